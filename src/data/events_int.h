/*
 * events_int.h — the backend table behind events.h (internal to src/data).
 *
 * events.c parses and checks events and arguments without the database,
 * then forwards to st->events.
 */
#ifndef KEFU_EVENTS_INT_H
#define KEFU_EVENTS_INT_H

#include "kefu/events.h"
#include "store_int.h"

struct kf_events_ops {
    int (*ingest)(struct kf_store *st, struct kf_event *evs, size_t n, long long now_ms,
                  enum kf_event_status *status, struct kf_err *errors,
                  struct kf_ingest_stats *stats, struct kf_err *err);
    int (*sync_shop)(struct kf_store *st, long long now_ms, long long *added, struct kf_err *err);
    int (*list)(struct kf_store *st, long long customer_id, const char *type, int limit,
                long long offset, json_t **out, struct kf_err *err);
    int (*profile_get)(struct kf_store *st, long long customer_id, long long now_ms, json_t **out,
                       struct kf_err *err);
    int (*rebuild)(struct kf_store *st, long long now_ms,
                   void (*progress)(long long done, long long total, void *arg), void *arg,
                   struct kf_rebuild_stats *stats, struct kf_err *err);
    int (*fold_pending)(struct kf_store *st, int max_customers, long long now_ms, int *folded,
                        struct kf_err *err);
    int (*segment)(struct kf_store *st, const char *tag, int limit, long long offset,
                   json_t **out, struct kf_err *err);
    int (*segments_summary)(struct kf_store *st, json_t **out, struct kf_err *err);
    int (*churn)(struct kf_store *st, int top, json_t **out, struct kf_err *err);
};

#endif
