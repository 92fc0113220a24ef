/*
 * ops.h — what operations read and write in the store: KPIs over time
 * windows, the reports of the dashboard (intent mix, hand-off reasons),
 * metric alerts (table alerts) and the webhook outbox (table
 * webhook_outbox) the scheduler delivers from (notify.h).
 *
 * How it fits: ops.c checks arguments and forwards to the store's ops table
 * (src/data/ops_int.h), filled in by src/data/sqlite/sqlite_ops.c. Schema:
 * migration 5 (conversations' handoff_at, taken_at, first_agent_reply_at,
 * closed_at, resolution, needs_human; csat; alerts; webhook_outbox) over
 * migration 1 (conversations, handoff_requests, dialog_turns).
 *
 * KPI definitions (docs/operations.md "KPIs"), over the conversations
 * *started* in [from, to) that the customer wrote in (at least one dialog
 * turn; an opened widget nobody typed in is not a conversation served):
 *  - handed off: handoff_at set or a handoff request recorded;
 *  - contained: not handed off (the bot alone served it);
 *  - resolved: closed with resolution 'resolved', or not handed off and
 *    some turn's bot outcome 'resolved';
 *  - first response (agent): first_agent_reply_at - handoff_at;
 *  - handle time: closed_at - taken_at;
 *  - CSAT: the ratings *given* in [from, to) (csat.created_at).
 *
 * Ownership: JSON results are new references the caller drops; outbox
 * payloads are copied into the caller's arena.
 */
#ifndef KEFU_OPS_H
#define KEFU_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"
#include "kefu/store.h"

#define KF_OPS_MAX_BUCKETS 1000 /* KPI series points per call */

/* Counts and sums of one window (a bucket or the whole period). */
struct kf_ops_stats {
    long long conversations; /* started in the window, with a customer message */
    long long contained, resolved, handed_off;
    long long frt_n;     /* conversations with an agent's first reply */
    double frt_avg_s;    /* mean first agent response, seconds (0 when frt_n 0) */
    double frt_p50_s;    /* median (kf_ops_stats only; 0 in buckets) */
    long long aht_n;     /* conversations taken and closed */
    double aht_avg_s;    /* mean handle time, seconds */
    long long csat_n;    /* ratings given in the window */
    double csat_avg;     /* mean score (0 when csat_n 0) */
};

/* One window [from, to) (ms). */
int kf_ops_stats(struct kf_store *st, long long from, long long to, struct kf_ops_stats *out,
                 struct kf_err *err);

/* The KPI report: overall and per bucket of bucket_ms (3600000 or
 * 86400000; at most KF_OPS_MAX_BUCKETS buckets, else KF_EINVAL), buckets
 * aligned on `from`:
 *   {"from","to","bucket":"hour|day","overall":{KPIS},"series":[{"start",KPIS}]}
 * KPIS = {"conversations","contained","resolved","handed_off",
 *   "containment_rate","resolution_rate","handoff_rate" (null when no
 *   conversation), "first_response_s":{"avg","p50","n"} (avg/p50 null when
 *   n 0; p50 only overall), "handle_time_s":{"avg","n"}, "csat":{"avg","n"}}.
 * Times are ms (the HTTP layer makes them ISO). */
int kf_ops_kpis(struct kf_store *st, long long from, long long to, long long bucket_ms,
                json_t **out, struct kf_err *err);

/* Intent mix of the customer messages (dialog_turns) in [from, to):
 * {"from","to","total","intents":[{"intent","count","share"}]} by count,
 * at most `top` (1..200) intents, the rest summed as "other". A turn with
 * no intent counts as "none". */
int kf_ops_intents(struct kf_store *st, long long from, long long to, int top, json_t **out,
                   struct kf_err *err);

/* Why conversations went to a human in [from, to): handoff_requests by
 * reason, and conversations' needs_human (the console's queue reasons) by
 * value: {"from","to","requests":[{"reason","count"}],
 * "needs_human":[{"reason","count"}],"total_requests"}. */
int kf_ops_handoffs(struct kf_store *st, long long from, long long to, json_t **out,
                    struct kf_err *err);

/* Conversations waiting for a human now: status 'handoff', nobody assigned. */
int kf_ops_queue_waiting(struct kf_store *st, long long *n, struct kf_err *err);

/* ---- alerts ---------------------------------------------------------------- */

/* Open an alert for `rule` unless one is firing: *id the new row's id, 0
 * when the rule was already firing. */
int kf_ops_alert_fire(struct kf_store *st, const char *rule, double value, double threshold,
                      const char *message, long long now_ms, long long *id,
                      struct kf_err *err);
/* Resolve the firing alert of `rule`: *id its id, 0 when none was firing. */
int kf_ops_alert_resolve(struct kf_store *st, const char *rule, double value, long long now_ms,
                         long long *id, struct kf_err *err);
/* The rules with a firing alert: a JSON array of strings. */
int kf_ops_alerts_firing(struct kf_store *st, json_t **out, struct kf_err *err);
/* Alerts, newest first: the firing ones (all 0) or every one (all 1), at
 * most limit (1..1000): [{"id","rule","state","value","threshold",
 * "message","started_at","resolved_at"}]. */
int kf_ops_alerts_list(struct kf_store *st, int all, int limit, json_t **out,
                       struct kf_err *err);

/* ---- webhook outbox ------------------------------------------------------------
 * Rows are 'pending' until delivered ('sent') or given up ('failed');
 * next_at is when a pending row is due. A claim moves the claimed rows'
 * next_at forward by lease_ms inside its write transaction, so two
 * deliverers (two scheduler threads on one store) never send a row twice
 * at once, and a deliverer that dies leaves the row due again later. */

#define KF_OUTBOX_TOPIC_MAX 32     /* bytes with the NUL */
#define KF_OUTBOX_PAYLOAD_MAX 65536 /* bytes */
#define KF_OUTBOX_CLAIM_MAX 64

int kf_ops_outbox_add(struct kf_store *st, const char *topic, const char *payload,
                      long long now_ms, long long *id, struct kf_err *err);

struct kf_outbox_item {
    long long id;
    char topic[KF_OUTBOX_TOPIC_MAX];
    const char *payload; /* in the arena */
    int attempts;        /* before this one */
    long long created_at;
};

/* Claim up to max (1..KF_OUTBOX_CLAIM_MAX) pending rows of the given topics
 * with next_at <= now_ms, oldest first. Topics not listed are left
 * pending, untouched (no receiver configured: they wait for one). */
int kf_ops_outbox_claim(struct kf_store *st, const char *const *topics, size_t ntopics,
                        long long now_ms, long long lease_ms, int max, struct kf_arena *a,
                        struct kf_outbox_item *items, size_t *n, struct kf_err *err);

/* After an attempt: sent (status 'sent', sent_at now) or not: attempts + 1,
 * last_error, and then either next_at = retry_at (retry_at > 0) or status
 * 'failed' (retry_at 0: given up). */
int kf_ops_outbox_mark(struct kf_store *st, long long id, int sent, const char *error,
                       long long retry_at, long long now_ms, struct kf_err *err);

/* Counts of the outbox by topic and status: {"topic": {"pending": n, ...}}. */
int kf_ops_outbox_counts(struct kf_store *st, json_t **out, struct kf_err *err);

#endif
