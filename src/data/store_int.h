/*
 * store_int.h — the backend vtable behind store.h (internal to src/data).
 *
 * A backend embeds struct kf_store as its first member (`super`) and fills
 * in `ops`; store.c forwards every public call to it. The repositories of
 * repo.h (products, orders, tickets, customers, the demo seed) are a second
 * table, `repo` (src/data/repo_int.h), forwarded by repo.c.
 */
#ifndef KEFU_STORE_INT_H
#define KEFU_STORE_INT_H

#include "kefu/store.h"

struct kf_store_ops {
    const char *name;
    void (*free)(struct kf_store *st);
    int (*migrate)(struct kf_store *st, int *version, struct kf_err *err);
    int (*ping)(struct kf_store *st, struct kf_err *err);
    int (*customer_resolve)(struct kf_store *st, const char *channel, const char *external_id,
                            const char *name, long long *customer_id, struct kf_err *err);
    int (*conversation_create)(struct kf_store *st, const struct kf_conversation *c,
                               struct kf_err *err);
    int (*conversation_get)(struct kf_store *st, const char *id, struct kf_conversation *out,
                            struct kf_err *err);
    int (*conversation_find_open)(struct kf_store *st, long long customer_id,
                                  const char *channel, struct kf_conversation *out,
                                  struct kf_err *err);
    int (*turn_commit)(struct kf_store *st, struct kf_turn_write *t, struct kf_err *err);
    int (*messages_list)(struct kf_store *st, const char *conversation_id, long long before,
                         int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                         int *more, struct kf_err *err);
    int (*messages_after)(struct kf_store *st, const char *conversation_id, long long after,
                          int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                          int *more, struct kf_err *err);
    int (*turns_list)(struct kf_store *st, const char *conversation_id, int limit,
                      struct kf_arena *a, struct kf_turn_record **out, long long **message_ids,
                      size_t *n, struct kf_err *err);
    int (*dialog_state_get)(struct kf_store *st, const char *conversation_id,
                            struct kf_arena *a, const char **out, struct kf_err *err);
    int (*vault_list)(struct kf_store *st, const char *conversation_id, long long first_id,
                      long long last_id, struct kf_arena *a, struct kf_vault_item **out,
                      size_t *n, struct kf_err *err);
};

struct kf_repo_ops;
struct kf_events_ops;   /* events.h: events, profiles, segments (events_int.h) */
struct kf_mining_ops;   /* mining.h: association rules (mining_int.h) */
struct kf_reco_ops;     /* reco.h: the recommendation log (reco_int.h) */
struct kf_campaign_ops; /* campaign.h: campaign sends (campaign_int.h) */
struct kf_auth_ops;     /* auth.h: users, sessions, API keys (auth_int.h) */
struct kf_agent_ops;    /* agent.h: the agents' queue and actions (agent_int.h) */
struct kf_review_ops;   /* review.h: CSAT and the review queue (review_int.h) */
struct kf_experiment_ops; /* experiment.h: A/B assignments and reports (experiment_int.h) */
struct kf_ops_ops;       /* ops.h: KPIs, reports, alerts, webhook outbox (ops_int.h) */
struct kf_profile_rules;

struct kf_store {
    const struct kf_store_ops *ops;
    const struct kf_repo_ops *repo;
    const struct kf_events_ops *events;
    const struct kf_mining_ops *mining;
    const struct kf_reco_ops *reco;
    const struct kf_campaign_ops *campaigns;
    const struct kf_auth_ops *auth;
    const struct kf_agent_ops *agent;
    const struct kf_review_ops *review;
    const struct kf_experiment_ops *experiments;
    const struct kf_ops_ops *ops_tables; /* ops.h (`ops` is the store's own table) */
    const struct kf_profile_rules *rules; /* borrowed; NULL: built-in defaults */
    int events_deferred; /* kf_events_set_deferred: ingests leave profiles to a rebuild */
};

/* Backends */
int kf_sqlite_store_open(struct kf_store_params params, struct kf_store **out,
                         struct kf_err *err);

#endif
