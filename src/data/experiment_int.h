/*
 * experiment_int.h — the backend table behind experiment.h (internal to
 * src/data).
 *
 * experiment.c loads definitions, assigns and computes the statistics; the
 * store calls go through st->experiments, filled in by the SQLite backend
 * (sqlite_experiments.c).
 */
#ifndef KEFU_EXPERIMENT_INT_H
#define KEFU_EXPERIMENT_INT_H

#include "kefu/experiment.h"
#include "store_int.h"

struct kf_experiment_ops {
    int (*expose)(struct kf_store *st, const char *experiment, const char *conversation_id,
                  long long customer_id, const char *variant, long long now_ms, int *inserted,
                  struct kf_err *err);
    /* Per variant over exposures with from <= assigned_at < to (to 0: no
     * end): [{"variant","conversations","customers","conversions",
     * "resolved","handoffs","csat_count","csat_sum"}], by variant name. The
     * definitions of conversion, resolution and handoff are the SQL's
     * (documented in docs/experiments.md). */
    int (*counts)(struct kf_store *st, const char *experiment, long long from, long long to,
                  json_t **out, struct kf_err *err);
};

#endif
