/*
 * agent.h — conversations in human hands (issue 7, docs/console.md): the
 * agents' queue, an agent's list, and what an agent does with one
 * conversation — take it over, reply, write an internal note, hand it back
 * to the bot, close it with a resolution — plus the churn alert's ticket
 * check (its webhook is queued in ops.h's outbox).
 *
 * How it fits: the engine queues conversations while it commits turns
 * (store.h kf_turn_write: needs_human, the negative streak); the console's
 * routes (src/server/api_console.c) call these. agent.c checks arguments
 * and forwards to the store's table (src/data/agent_int.h), filled in by
 * src/data/sqlite/sqlite_agent.c. Schema: migration 5 (conversations.
 * assignee_id, needs_human, handoff_at, taken_at, first_agent_reply_at,
 * closed_at, resolution, negative_streak; handoff_requests; webhook_outbox).
 *
 * The queue holds every conversation that is not closed and either has
 * status handoff or a needs_human reason: customer_request (or another
 * handoff reason of the policy), negative_streak, vip, low_confidence. It
 * is sorted by priority (0 a VIP customer, 1 a negative streak, 2 a request
 * for a human, 3 low confidence), then by waiting time, longest first.
 *
 * Each action is one write transaction: the conversation's new state, its
 * handoff_requests rows (pending → taken on takeover, → done on handback
 * and close) and the action's message (struct kf_agent_act.msg), so a reply
 * is as durable as a customer's turn when kf_agent_reply returns.
 *
 * Conversation summaries (queue, list, get) are JSON objects:
 *   {"id","status","channel","lang","reason" (needs_human or null),
 *    "priority","vip","negative_streak","customer":{"id","name","tier"},
 *    "assignee":{"id","username","display_name"} | null,
 *    "created_at","updated_at","handoff_at","taken_at",
 *    "first_agent_reply_at","closed_at" (ms or null),"resolution",
 *    "waiting_s" (since handoff_at, else updated_at; 0 when closed),
 *    "last_message":{"role","text" (first 120 characters),"created_at"}|null}
 * Internal notes are never a last_message.
 *
 * Errors: KF_EINVAL (argument; the message names it), KF_ENOTFOUND (no such
 * conversation), KF_ECONFLICT (closed, or held by another agent: the
 * message names who). Ownership: JSON results are new references the caller
 * drops; message ids and times are written into the caller's struct.
 */
#ifndef KEFU_AGENT_H
#define KEFU_AGENT_H

#include <jansson.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_AGENT_TEXT_MAX 4000 /* bytes of a reply or a note */
#define KF_AGENT_LIST_MAX 200  /* conversations per page */
#define KF_AGENT_QUEUE_MAX 500 /* conversations the queue shows */

/* resolved | unresolved | duplicate | spam | no_response, NULL-terminated */
extern const char *const kf_agent_resolutions[];

/* {"items":[summaries]} in queue order, at most KF_AGENT_QUEUE_MAX. */
int kf_agent_queue(struct kf_store *st, long long now_ms, json_t **out, struct kf_err *err);

struct kf_agent_filter {
    const char *status;    /* open | handoff | closed; NULL: any */
    long long assignee_id; /* > 0: this agent's; 0: any; -1: nobody's */
    int limit;             /* 1..KF_AGENT_LIST_MAX */
    int offset;
};

/* {"items":[summaries],"total"} newest activity first. */
int kf_agent_conversations(struct kf_store *st, const struct kf_agent_filter *f, long long now_ms,
                           json_t **out, struct kf_err *err);
/* One summary; KF_ENOTFOUND. */
int kf_agent_conversation_get(struct kf_store *st, const char *id, long long now_ms, json_t **out,
                              struct kf_err *err);

/* One agent action on one conversation. */
struct kf_agent_act {
    const char *conversation_id;
    long long user_id; /* the agent (users.id); 0: an API key, who cannot hold one */
    int force;         /* act on a conversation another agent holds (a supervisor) */
    /* written in the same transaction (id and created_at filled in); the
     * actions below say which they need */
    struct kf_message *msg;
};

/* Take the conversation: assignee = user_id, taken_at, status handoff; the
 * bot stops answering it. Taking one's own again changes nothing
 * (*changed 0, no message written). msg optional (a system line for the
 * customer). */
int kf_agent_takeover(struct kf_store *st, struct kf_agent_act *a, int *changed,
                      struct kf_err *err);
/* An agent's message (msg required, role agent, 1..KF_AGENT_TEXT_MAX bytes
 * of UTF-8); first_agent_reply_at is set the first time. A conversation
 * nobody holds is taken over by the reply (*took_over 1). */
int kf_agent_reply(struct kf_store *st, struct kf_agent_act *a, int *took_over, struct kf_err *err);
/* An internal note (msg required: role system, kind note); the customer
 * never sees it. Allowed on closed conversations too. */
int kf_agent_note(struct kf_store *st, struct kf_agent_act *a, struct kf_err *err);
/* Back to the bot: assignee and needs_human cleared, status open, the
 * negative streak reset. msg optional (the line the customer sees). */
int kf_agent_handback(struct kf_store *st, struct kf_agent_act *a, struct kf_err *err);
/* Close with a resolution (kf_agent_resolutions): status closed, closed_at,
 * resolution; needs_human cleared. msg optional. */
int kf_agent_close(struct kf_store *st, struct kf_agent_act *a, const char *resolution,
                   struct kf_err *err);

/* ---- churn alert (docs/console.md) ---- */
/* The id of the conversation's churn_risk ticket that is still open
 * (open | pending | escalated), or 0. */
int kf_agent_churn_ticket(struct kf_store *st, const char *conversation_id, long long *ticket_id,
                          struct kf_err *err);
/* (The alert's webhook is queued with ops.h kf_ops_outbox_add.) */

#endif
