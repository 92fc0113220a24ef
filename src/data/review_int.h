/*
 * review_int.h — the backend table behind review.h (internal to src/data).
 *
 * review.c checks arguments without the database and forwards to
 * st->review; the SQLite backend fills it in (sqlite_review.c).
 */
#ifndef KEFU_REVIEW_INT_H
#define KEFU_REVIEW_INT_H

#include "kefu/review.h"
#include "store_int.h"

struct kf_review_ops {
    int (*csat_add)(struct kf_store *st, const struct kf_csat *c, long long *review_id,
                    struct kf_err *err);
    int (*conversation_end)(struct kf_store *st, const char *conversation_id, long long now_ms,
                            int *changed, json_t **out, struct kf_err *err);
    int (*csat_report)(struct kf_store *st, long long from, long long to, const char *bucket,
                       int utc_offset_min, json_t **out, struct kf_err *err);
    int (*correct_intent)(struct kf_store *st, long long message_id, const char *intent,
                          const char *created_by, long long now_ms, long long *id, int *updated,
                          struct kf_err *err);
    int (*list)(struct kf_store *st, const struct kf_review_query *q, json_t **out,
                struct kf_err *err);
    int (*decide)(struct kf_store *st, long long id, const char *status, const char *intent,
                  const char *reviewed_by, long long now_ms, json_t **out, struct kf_err *err);
    int (*export_approved)(struct kf_store *st, const char *lang, json_t **out, struct kf_err *err);
};

#endif
