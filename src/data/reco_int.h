/*
 * reco_int.h — the backend table behind the recommendation log
 * (reco_log.h) (internal to src/data).
 *
 * reco_log.c checks every argument without the database (known sources and
 * strategies, lengths, batch size, time window) and forwards to st->reco;
 * the SQLite half is src/data/sqlite/sqlite_reco.c.
 */
#ifndef KEFU_RECO_INT_H
#define KEFU_RECO_INT_H

#include "kefu/reco_log.h"
#include "store_int.h"

struct kf_reco_ops {
    int (*log)(struct kf_store *st, const struct kf_reco_entry *e, size_t n, long long now_ms,
               long long *ids, struct kf_err *err);
    int (*click)(struct kf_store *st, long long rec_id, long long customer_id, long long at,
                 int *first, struct kf_err *err);
    int (*get)(struct kf_store *st, long long rec_id, json_t **out, struct kf_err *err);
    /* rows [{"key","impressions","clicks","conversions"}] grouped by source
     * (by_strategy 0) or strategy (1) */
    int (*counts)(struct kf_store *st, int by_strategy, long long since, long long until,
                  json_t **out, struct kf_err *err);
};

#endif
