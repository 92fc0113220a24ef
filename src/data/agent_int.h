/*
 * agent_int.h — the backend table behind agent.h (internal to src/data).
 *
 * agent.c checks arguments without the database and forwards to
 * st->agent; the SQLite backend fills it in (sqlite_agent.c).
 */
#ifndef KEFU_AGENT_INT_H
#define KEFU_AGENT_INT_H

#include "kefu/agent.h"
#include "store_int.h"

enum kf_agent_action {
    KF_AGENT_TAKEOVER,
    KF_AGENT_REPLY,
    KF_AGENT_NOTE,
    KF_AGENT_HANDBACK,
    KF_AGENT_CLOSE,
};

struct kf_agent_ops {
    int (*queue)(struct kf_store *st, long long now_ms, json_t **out, struct kf_err *err);
    int (*list)(struct kf_store *st, const struct kf_agent_filter *f, long long now_ms,
                json_t **out, struct kf_err *err);
    int (*get)(struct kf_store *st, const char *id, long long now_ms, json_t **out,
               struct kf_err *err);
    /* one action (resolution: close only); *changed: takeover changed the
     * holder, or a reply took the conversation over */
    int (*act)(struct kf_store *st, enum kf_agent_action what, struct kf_agent_act *a,
               const char *resolution, int *changed, struct kf_err *err);
    int (*churn_ticket)(struct kf_store *st, const char *conversation_id, long long *ticket_id,
                        struct kf_err *err);
};

#endif
