/*
 * ops_int.h — the backend table behind ops.h (internal to src/data).
 *
 * ops.c checks arguments without the database, builds the KPI JSON from
 * the backend's per-bucket sums, and forwards the rest to st->ops; the
 * SQLite backend fills the table in (sqlite_ops.c).
 */
#ifndef KEFU_OPS_INT_H
#define KEFU_OPS_INT_H

#include "kefu/ops.h"
#include "store_int.h"

struct kf_ops_ops {
    /* Sums of the conversations started in [from, to) into out[(created_at
     * - from) / bucket_ms] (nb buckets, zeroed by the caller), CSAT by the
     * rating's time; averages filled in, p50 not. */
    int (*series)(struct kf_store *st, long long from, long long to, long long bucket_ms,
                  struct kf_ops_stats *out, size_t nb, struct kf_err *err);
    /* The median first agent response (s) of [from, to); n is its count. */
    int (*frt_p50)(struct kf_store *st, long long from, long long to, long long n, double *out,
                   struct kf_err *err);
    int (*intents)(struct kf_store *st, long long from, long long to, int top, json_t **out,
                   struct kf_err *err);
    int (*handoffs)(struct kf_store *st, long long from, long long to, json_t **out,
                    struct kf_err *err);
    int (*queue_waiting)(struct kf_store *st, long long *n, struct kf_err *err);
    int (*alert_fire)(struct kf_store *st, const char *rule, double value, double threshold,
                      const char *message, long long now_ms, long long *id, struct kf_err *err);
    int (*alert_resolve)(struct kf_store *st, const char *rule, double value, long long now_ms,
                         long long *id, struct kf_err *err);
    int (*alerts_firing)(struct kf_store *st, json_t **out, struct kf_err *err);
    int (*alerts_list)(struct kf_store *st, int all, int limit, json_t **out,
                       struct kf_err *err);
    int (*outbox_add)(struct kf_store *st, const char *topic, const char *payload,
                      long long now_ms, long long *id, struct kf_err *err);
    int (*outbox_claim)(struct kf_store *st, const char *const *topics, size_t ntopics,
                        long long now_ms, long long lease_ms, int max, struct kf_arena *a,
                        struct kf_outbox_item *items, size_t *n, struct kf_err *err);
    int (*outbox_mark)(struct kf_store *st, long long id, int sent, const char *error,
                       long long retry_at, long long now_ms, struct kf_err *err);
    int (*outbox_counts)(struct kf_store *st, json_t **out, struct kf_err *err);
};

#endif
