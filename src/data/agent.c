/*
 * agent.c — the agent handling calls of agent.h: checks of the arguments
 * that need no database (ids, texts, roles of the action's message,
 * resolutions, limits), then a forward to the backend's table
 * (agent_int.h). Shapes and rules are documented in include/kefu/agent.h.
 */
#include <string.h>

#include "agent_int.h"
#include "kefu/utf8.h"

const char *const kf_agent_resolutions[] = {"resolved", "unresolved",  "duplicate",
                                            "spam",     "no_response", NULL};

static int agent__id(const char *id, struct kf_err *err)
{
    if (id == NULL || strlen(id) != KF_ID_LEN || strspn(id, "0123456789abcdef") != KF_ID_LEN)
        return kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    return KF_OK;
}

/* The action's message: its role and kind, and 1..KF_AGENT_TEXT_MAX bytes
 * of UTF-8 with something besides white space. */
static int agent__msg(const struct kf_message *m, const char *role, int required,
                      struct kf_err *err)
{
    if (m == NULL)
        return required ? kf_errorf(err, KF_EINVAL, "message: required") : KF_OK;
    if (m->role == NULL || strcmp(m->role, role) != 0)
        return kf_errorf(err, KF_EINVAL, "message: role must be %s", role);
    if (m->text == NULL)
        return kf_errorf(err, KF_EINVAL, "text: required");
    size_t n = strnlen(m->text, KF_AGENT_TEXT_MAX + 1);
    if (n > KF_AGENT_TEXT_MAX)
        return kf_errorf(err, KF_EINVAL, "text: longer than %d bytes", KF_AGENT_TEXT_MAX);
    if (!kf_utf8_valid_text(m->text, n))
        return kf_errorf(err, KF_EUTF8, "text: not valid UTF-8");
    if (strspn(m->text, " \t\r\n") == n)
        return kf_errorf(err, KF_EINVAL, "text: must not be empty");
    return KF_OK;
}

static int agent__act(struct kf_store *st, enum kf_agent_action what, struct kf_agent_act *a,
                      const char *resolution, int *changed, struct kf_err *err)
{
    int dummy;
    if (changed == NULL)
        changed = &dummy;
    *changed = 0;
    int rc = agent__id(a->conversation_id, err);
    if (rc == KF_OK && a->user_id < 0)
        rc = kf_errorf(err, KF_EINVAL, "user_id: negative");
    if (rc == KF_OK && (what == KF_AGENT_TAKEOVER || what == KF_AGENT_REPLY) && a->user_id == 0)
        rc = kf_errorf(err, KF_EINVAL, "user_id: a conversation is held by a signed-in agent");
    if (rc != KF_OK)
        return rc;
    switch (what) {
    case KF_AGENT_REPLY:
        rc = agent__msg(a->msg, "agent", 1, err);
        break;
    case KF_AGENT_NOTE:
        rc = agent__msg(a->msg, "system", 1, err);
        if (rc == KF_OK && (a->msg->kind == NULL || strcmp(a->msg->kind, "note") != 0))
            rc = kf_errorf(err, KF_EINVAL, "message: a note has kind note");
        break;
    case KF_AGENT_CLOSE:
        rc = KF_EINVAL;
        for (const char *const *r = kf_agent_resolutions; resolution != NULL && *r; r++)
            if (strcmp(*r, resolution) == 0)
                rc = KF_OK;
        if (rc != KF_OK)
            return kf_errorf(err, KF_EINVAL,
                             "resolution: expected resolved, unresolved, duplicate, spam or "
                             "no_response");
        rc = agent__msg(a->msg, "system", 0, err);
        break;
    default:
        rc = agent__msg(a->msg, "system", 0, err);
        break;
    }
    return rc != KF_OK ? rc : st->agent->act(st, what, a, resolution, changed, err);
}

int kf_agent_queue(struct kf_store *st, long long now_ms, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->agent->queue(st, now_ms, out, err);
}

int kf_agent_conversations(struct kf_store *st, const struct kf_agent_filter *f, long long now_ms,
                           json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (f->limit < 1 || f->limit > KF_AGENT_LIST_MAX)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, %d]", f->limit,
                         KF_AGENT_LIST_MAX);
    if (f->offset < 0)
        return kf_errorf(err, KF_EINVAL, "offset: negative");
    if (f->assignee_id < -1)
        return kf_errorf(err, KF_EINVAL, "assignee: not a user id");
    if (f->status != NULL && strcmp(f->status, "open") != 0 && strcmp(f->status, "handoff") != 0 &&
        strcmp(f->status, "closed") != 0)
        return kf_errorf(err, KF_EINVAL, "status: expected open, handoff or closed");
    return st->agent->list(st, f, now_ms, out, err);
}

int kf_agent_conversation_get(struct kf_store *st, const char *id, long long now_ms, json_t **out,
                              struct kf_err *err)
{
    *out = NULL;
    int rc = agent__id(id, err);
    return rc != KF_OK ? rc : st->agent->get(st, id, now_ms, out, err);
}

int kf_agent_takeover(struct kf_store *st, struct kf_agent_act *a, int *changed, struct kf_err *err)
{
    return agent__act(st, KF_AGENT_TAKEOVER, a, NULL, changed, err);
}

int kf_agent_reply(struct kf_store *st, struct kf_agent_act *a, int *took_over, struct kf_err *err)
{
    return agent__act(st, KF_AGENT_REPLY, a, NULL, took_over, err);
}

int kf_agent_note(struct kf_store *st, struct kf_agent_act *a, struct kf_err *err)
{
    return agent__act(st, KF_AGENT_NOTE, a, NULL, NULL, err);
}

int kf_agent_handback(struct kf_store *st, struct kf_agent_act *a, struct kf_err *err)
{
    return agent__act(st, KF_AGENT_HANDBACK, a, NULL, NULL, err);
}

int kf_agent_close(struct kf_store *st, struct kf_agent_act *a, const char *resolution,
                   struct kf_err *err)
{
    return agent__act(st, KF_AGENT_CLOSE, a, resolution, NULL, err);
}

int kf_agent_churn_ticket(struct kf_store *st, const char *conversation_id, long long *ticket_id,
                          struct kf_err *err)
{
    *ticket_id = 0;
    int rc = agent__id(conversation_id, err);
    return rc != KF_OK ? rc : st->agent->churn_ticket(st, conversation_id, ticket_id, err);
}

