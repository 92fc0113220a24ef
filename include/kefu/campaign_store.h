/*
 * campaign_store.h — what the campaign engine (campaign.h, biz layer) reads
 * and writes in the store: candidate customers per trigger, the facts of one
 * customer that opt-out, caps, cooldowns and the channel depend on, and the
 * campaign_sends log (one row per send or per reason for not sending), with
 * its report.
 *
 * How it fits: campaign_store.c checks arguments and forwards to the
 * store's campaign table (src/data/campaign_int.h), filled in by
 * src/data/sqlite/sqlite_campaigns.c. Schema: migration 4 (campaign_sends;
 * customers.marketing_opt_out and lang; profiles, customer_tags, events).
 *
 * Statuses in campaign_sends (KF_CAMPAIGN_* below): sending (a send claimed,
 * its message being written), sent, failed, skipped_opt_out, skipped_cap,
 * skipped_cooldown, deferred_quiet_hours.
 *
 * Ownership: ids are written into the caller's array; JSON results are new
 * references the caller drops.
 */
#ifndef KEFU_CAMPAIGN_STORE_H
#define KEFU_CAMPAIGN_STORE_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_CAMPAIGN_NAME_MAX 64 /* bytes, with the NUL */
#define KF_CAMPAIGN_PAGE_MAX 1000 /* candidates per call */

#define KF_CAMPAIGN_SENDING "sending"
#define KF_CAMPAIGN_SENT "sent"
#define KF_CAMPAIGN_FAILED "failed"
#define KF_CAMPAIGN_SKIPPED_OPT_OUT "skipped_opt_out"
#define KF_CAMPAIGN_SKIPPED_CAP "skipped_cap"
#define KF_CAMPAIGN_SKIPPED_COOLDOWN "skipped_cooldown"
#define KF_CAMPAIGN_DEFERRED_QUIET "deferred_quiet_hours"

/* How a campaign's candidates are found (before its audience condition). */
enum kf_campaign_pick {
    KF_PICK_BIRTHDAY,  /* customers.birthday's month-day is mmdd[0] or mmdd[1] */
    KF_PICK_LIFECYCLE, /* the stored profile's lifecycle stage is `stage` */
    KF_PICK_CART,      /* an add_to_cart event with from <= at < to */
    KF_PICK_TAG,       /* customer_tags has `tag` */
};

/* One page of candidates: customer ids > after_id, ascending, at most limit
 * (1..KF_CAMPAIGN_PAGE_MAX). Customers whose last look by this campaign is
 * settled are left out: a skipped_cooldown or skipped_opt_out row with
 * run_at > settled_since, or a skipped_cap row with run_at > cap_since. */
struct kf_campaign_query {
    enum kf_campaign_pick pick;
    const char *mmdd[2]; /* birthday: "MM-DD"; mmdd[1] may be NULL */
    const char *stage;   /* lifecycle: new | active | dormant | churned */
    long long from, to;  /* cart: ms */
    const char *tag;     /* tag */
    const char *campaign;
    long long settled_since, cap_since;
    long long after_id;
    int limit;
};

int kf_campaign_store_candidates(struct kf_store *st, const struct kf_campaign_query *q,
                                 long long *ids, size_t *n, struct kf_err *err);

/* What the engine needs to know about one customer before sending. */
struct kf_campaign_facts {
    int opt_out;           /* customers.marketing_opt_out */
    char name[64];         /* customers.name ("" when none; masked as stored) */
    char lang[8];          /* customers.lang, else the last conversation's, else "" */
    char channel[32];      /* the channel of the last conversation, "" when none */
    long long recent_sends; /* sends (sent|sending) of any campaign with run_at > cap_since */
    long long last_sent_at; /* the last send of `campaign` (sent|sending), 0: never */
};

/* KF_ENOTFOUND when there is no such customer. */
int kf_campaign_store_facts(struct kf_store *st, long long customer_id, const char *campaign,
                            long long cap_since, struct kf_campaign_facts *out,
                            struct kf_err *err);

/* One row of campaign_sends, written only when its guard holds (checked in
 * the same write transaction, so two runs at once cannot both send):
 *  - status sending (a claim): the campaign has no sent|sending row for the
 *    customer with run_at > since, and (cap_max > 0) the customer has fewer
 *    than cap_max sent|sending rows of any campaign with run_at > cap_since;
 *  - any other status: no row of the campaign with that status and
 *    run_at > since (a reason is logged once per window, not once per run).
 * *id gets the new row's id, or 0 when the guard left it out. */
struct kf_campaign_send {
    const char *campaign;
    long long customer_id;
    long long run_at;
    const char *status;
    const char *reason; /* NULL: none */
    long long since;
    long long cap_since;
    int cap_max;
};

int kf_campaign_store_record(struct kf_store *st, const struct kf_campaign_send *s, long long *id,
                             struct kf_err *err);

/* Settle a claimed row: status sent (with the conversation and message the
 * campaign wrote) or failed (with a reason). */
int kf_campaign_store_finish(struct kf_store *st, long long id, const char *status,
                             const char *reason, const char *conversation_id,
                             long long message_id, struct kf_err *err);

/* Counts of rows with from <= run_at < to (to 0: no end) by campaign and
 * status: {"from","to","campaigns":[{"campaign","counts":{status: n},
 * "last_run_at"}]}, campaigns by name. */
int kf_campaign_store_report(struct kf_store *st, long long from, long long to, json_t **out,
                             struct kf_err *err);

#endif
