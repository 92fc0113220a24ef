/*
 * campaign_int.h — the backend table behind campaign_store.h (internal to
 * src/data).
 *
 * campaign_store.c checks arguments without the database and forwards to
 * st->campaigns; the SQLite backend fills it in (sqlite_campaigns.c).
 */
#ifndef KEFU_CAMPAIGN_INT_H
#define KEFU_CAMPAIGN_INT_H

#include "kefu/campaign_store.h"
#include "store_int.h"

struct kf_campaign_ops {
    int (*candidates)(struct kf_store *st, const struct kf_campaign_query *q, long long *ids,
                      size_t *n, struct kf_err *err);
    int (*facts)(struct kf_store *st, long long customer_id, const char *campaign,
                 long long cap_since, struct kf_campaign_facts *out, struct kf_err *err);
    int (*record)(struct kf_store *st, const struct kf_campaign_send *s, long long *id,
                  struct kf_err *err);
    int (*finish)(struct kf_store *st, long long id, const char *status, const char *reason,
                  const char *conversation_id, long long message_id, struct kf_err *err);
    int (*report)(struct kf_store *st, long long from, long long to, json_t **out,
                  struct kf_err *err);
};

#endif
