/*
 * sqlite_agent.c — the SQLite half of agent.h: the agents' queue and list,
 * the actions of an agent on a conversation, the churn alert's ticket check
 * (the churn alert's webhook goes through ops.h's outbox).
 *
 * How it fits: agent.c checks arguments and calls this table
 * (kf_sqlite_agent_ops, agent_int.h); the pool and the write lock are
 * sqlite_store.c's (sqlite_int.h). Schema: migration 5.
 *
 * Design notes
 *  - A summary's shape is written once, in AG_SUMMARY: nested objects
 *    (customer, assignee, last message) are built by SQLite's json_object
 *    and read back through "x:json" columns (sqlite_util.c sq__row).
 *  - The queue reads by conversations_queue (status, needs_human,
 *    updated_at): the two arms of its OR are both index ranges. The last
 *    message is one step down messages_conversation (conversation_id, id).
 *  - An action reads the conversation's status and holder inside its own
 *    BEGIN IMMEDIATE under the write lock, so two agents taking the same
 *    conversation at once cannot both win: the second sees the first's
 *    assignee and gets KF_ECONFLICT.
 *  - Messages of actions are inserted here with the same columns as a
 *    turn's (sqlite_store.c); the connection's synchronous setting makes
 *    the COMMIT as durable as a turn's.
 *  - Every statement is a fixed, prepared text (area_stmt[SQ_AGENT]).
 */
#include <stdio.h>
#include <string.h>

#include "../agent_int.h"
#include "kefu/log.h"
#include "sqlite_int.h"

enum astmt {
    AS_QUEUE,
    AS_LIST,
    AS_COUNT,
    AS_GET,
    AS_STATE,
    AS_TAKE,
    AS_REQ_TAKEN,
    AS_REQ_DONE,
    AS_MSG_INSERT,
    AS_FIRST_REPLY,
    AS_TOUCH,
    AS_HANDBACK,
    AS_CLOSE,
    AS_CHURN_TICKET,
    AS__COUNT
};

_Static_assert(AS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

/* ?1 is now (ms) in every summary query */
#define AG_SUMMARY                                                                                 \
    "SELECT c.id, c.status, ch.name AS channel, c.lang,"                                           \
    " coalesce(c.needs_human, CASE WHEN c.status = 'handoff' THEN 'customer_request' END)"         \
    "   AS reason,"                                                                                \
    " CASE WHEN u.tier = 'vip' THEN 0 WHEN c.needs_human = 'negative_streak' THEN 1"               \
    "   WHEN c.needs_human = 'low_confidence' THEN 3 ELSE 2 END AS priority,"                      \
    " CASE WHEN u.tier = 'vip' THEN 'true' ELSE 'false' END AS \"vip:json\","                      \
    " c.negative_streak,"                                                                          \
    " json_object('id', u.id, 'name', u.name, 'tier', u.tier) AS \"customer:json\","               \
    " CASE WHEN a.id IS NULL THEN NULL ELSE json_object('id', a.id, 'username', a.username,"       \
    "   'display_name', a.display_name) END AS \"assignee:json\","                                 \
    " c.created_at, c.updated_at, c.handoff_at, c.taken_at, c.first_agent_reply_at,"               \
    " c.closed_at, c.resolution,"                                                                  \
    " CASE WHEN c.status = 'closed' THEN 0"                                                        \
    "   ELSE max(0, (?1 - coalesce(c.handoff_at, c.updated_at)) / 1000) END AS waiting_s,"         \
    " (SELECT json_object('role', m.role, 'text', substr(m.text, 1, 120),"                         \
    "   'created_at', m.created_at) FROM messages m WHERE m.conversation_id = c.id"                \
    "   AND m.kind <> 'note' ORDER BY m.id DESC LIMIT 1) AS \"last_message:json\""                 \
    " FROM conversations c JOIN channels ch ON ch.id = c.channel_id"                               \
    " JOIN customers u ON u.id = c.customer_id LEFT JOIN users a ON a.id = c.assignee_id"

/* ?2 status (NULL any), ?3 assignee (0 any, -1 nobody, else the id) */
#define AG_LIST_WHERE                                                                              \
    " WHERE (?2 IS NULL OR c.status = ?2)"                                                         \
    " AND (?3 = 0 OR (?3 = -1 AND c.assignee_id IS NULL) OR c.assignee_id = ?3)"

static const char *const as_sql[AS__COUNT] = {
    [AS_QUEUE] = AG_SUMMARY
    " WHERE (c.status = 'handoff' OR (c.status = 'open' AND c.needs_human IS NOT NULL))"
    " ORDER BY priority, coalesce(c.handoff_at, c.updated_at), c.id LIMIT ?2",
    [AS_LIST] = AG_SUMMARY AG_LIST_WHERE " ORDER BY c.updated_at DESC, c.id LIMIT ?4 OFFSET ?5",
    [AS_COUNT] = "SELECT count(*) FROM conversations c" AG_LIST_WHERE,
    [AS_GET] = AG_SUMMARY " WHERE c.id = ?2",
    [AS_STATE] = "SELECT c.status, c.assignee_id, a.username FROM conversations c"
                 " LEFT JOIN users a ON a.id = c.assignee_id WHERE c.id = ?1",
    [AS_TAKE] = "UPDATE conversations SET assignee_id = ?2, taken_at = ?3, status = 'handoff',"
                " handoff_at = coalesce(handoff_at, ?3), updated_at = ?3 WHERE id = ?1",
    [AS_REQ_TAKEN] = "UPDATE handoff_requests SET status = 'taken'"
                     " WHERE conversation_id = ?1 AND status = 'pending'",
    [AS_REQ_DONE] = "UPDATE handoff_requests SET status = 'done'"
                    " WHERE conversation_id = ?1 AND status IN ('pending', 'taken')",
    [AS_MSG_INSERT] = "INSERT INTO messages"
                      " (conversation_id, role, text, lang, kind, meta, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [AS_FIRST_REPLY] = "UPDATE conversations SET updated_at = ?2,"
                       " first_agent_reply_at = coalesce(first_agent_reply_at, ?2) WHERE id = ?1",
    [AS_TOUCH] = "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
    [AS_HANDBACK] = "UPDATE conversations SET assignee_id = NULL, needs_human = NULL,"
                    " status = 'open', negative_streak = 0, updated_at = ?2 WHERE id = ?1",
    [AS_CLOSE] = "UPDATE conversations SET status = 'closed', closed_at = ?2, resolution = ?3,"
                 " needs_human = NULL, updated_at = ?2 WHERE id = ?1",
    [AS_CHURN_TICKET] =
        "SELECT id FROM tickets WHERE conversation_id = ?1"
        " AND category = 'churn_risk' AND status IN ('open', 'pending', 'escalated')"
        " ORDER BY id DESC LIMIT 1",
};

static sqlite3_stmt *ag__stmt(struct sq_conn *c, enum astmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_AGENT][id], as_sql[id], err);
}

/* ---- reads ------------------------------------------------------------ */

static int ag_queue(struct kf_store *st, long long now_ms, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *items = NULL;
    int rc = KF_ESTORE;
    sqlite3_stmt *q = ag__stmt(c, AS_QUEUE, err);
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, now_ms);
        sqlite3_bind_int(q, 2, KF_AGENT_QUEUE_MAX);
        rc = sq__rows(c, q, &items, err);
    }
    sq__give_back(s, c);
    if (rc == KF_OK && (*out = json_pack("{s:o}", "items", items)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    return rc;
}

static void ag__bind_filter(sqlite3_stmt *q, const struct kf_agent_filter *f, long long now_ms)
{
    sqlite3_bind_int64(q, 1, now_ms);
    sq__bind_text(q, 2, f->status);
    sqlite3_bind_int64(q, 3, f->assignee_id);
}

static int ag_list(struct kf_store *st, const struct kf_agent_filter *f, long long now_ms,
                   json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *items = NULL;
    long long total = 0;
    int rc = KF_ESTORE;
    sqlite3_stmt *q = ag__stmt(c, AS_LIST, err);
    if (q != NULL) {
        ag__bind_filter(q, f, now_ms);
        sqlite3_bind_int(q, 4, f->limit);
        sqlite3_bind_int(q, 5, f->offset);
        rc = sq__rows(c, q, &items, err);
    }
    if (rc == KF_OK) {
        q = ag__stmt(c, AS_COUNT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            ag__bind_filter(q, f, now_ms);
            rc = sq__int(c, q, &total, err);
        }
    }
    sq__give_back(s, c);
    if (rc == KF_OK &&
        (*out = json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)total)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    else if (rc != KF_OK)
        json_decref(items);
    return rc;
}

static int ag_get(struct kf_store *st, const char *id, long long now_ms, json_t **out,
                  struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = ag__stmt(c, AS_GET, err);
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, now_ms);
        sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
        rc = sq__one(c, q, "conversation", out, NULL, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- actions ---------------------------------------------------------- */

/* Run a statement whose ?1 is the conversation id and ?2 now. */
static int ag__update(struct sq_conn *c, enum astmt id, const char *conv, long long now,
                      struct kf_err *err)
{
    sqlite3_stmt *q = ag__stmt(c, id, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(q) >= 2)
        sqlite3_bind_int64(q, 2, now);
    return sq__done(c, q, as_sql[id], err);
}

static int ag__take(struct sq_conn *c, const char *conv, long long user, long long now,
                    struct kf_err *err)
{
    sqlite3_stmt *q = ag__stmt(c, AS_TAKE, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, user);
    sqlite3_bind_int64(q, 3, now);
    int rc = sq__done(c, q, "take over", err);
    return rc == KF_OK ? ag__update(c, AS_REQ_TAKEN, conv, now, err) : rc;
}

static int ag__insert_message(struct sq_conn *c, const char *conv, struct kf_message *m,
                              long long now, struct kf_err *err)
{
    sqlite3_stmt *q = ag__stmt(c, AS_MSG_INSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    if (m->created_at == 0)
        m->created_at = now;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, m->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, m->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, m->lang ? m->lang : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, m->kind ? m->kind : "", -1, SQLITE_STATIC);
    sq__bind_text(q, 6, m->meta_json);
    sqlite3_bind_int64(q, 7, m->created_at);
    int rc = sq__done(c, q, "insert message", err);
    if (rc == KF_OK)
        m->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

/* The conversation's status and holder (0: nobody) with the holder's name. */
static int ag__state(struct sq_conn *c, const char *conv, char status[16], long long *holder,
                     char name[72], struct kf_err *err)
{
    sqlite3_stmt *q = ag__stmt(c, AS_STATE, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    int r = sqlite3_step(q);
    int rc = KF_OK;
    if (r == SQLITE_ROW) {
        const unsigned char *st = sqlite3_column_text(q, 0), *nm = sqlite3_column_text(q, 2);
        snprintf(status, 16, "%s", st ? (const char *)st : "");
        *holder = sqlite3_column_int64(q, 1);
        snprintf(name, 72, "%s", nm ? (const char *)nm : "another agent");
    } else if (r == SQLITE_DONE) {
        rc = kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    } else {
        rc = sq__error(c, err, "read conversation");
    }
    sqlite3_reset(q);
    return rc;
}

static int ag_act(struct kf_store *st, enum kf_agent_action what, struct kf_agent_act *a,
                  const char *resolution, int *changed, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    const char *conv = a->conversation_id;
    long long now = kf_time_now_ms(), holder = 0;
    char status[16] = "", name[72] = "";
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = ag__state(c, conv, status, &holder, name, err);
    if (rc == KF_OK && what != KF_AGENT_NOTE && strcmp(status, "closed") == 0)
        rc = kf_errorf(err, KF_ECONFLICT, "the conversation is closed");
    if (rc == KF_OK && what != KF_AGENT_NOTE && holder != 0 && holder != a->user_id && !a->force)
        rc = kf_errorf(err, KF_ECONFLICT, "the conversation is held by %s", name);
    int write_msg = a->msg != NULL;
    if (rc == KF_OK) {
        switch (what) {
        case KF_AGENT_TAKEOVER:
            if (holder == a->user_id) {
                write_msg = 0; /* one's own already: nothing changes */
                break;
            }
            rc = ag__take(c, conv, a->user_id, now, err);
            *changed = 1;
            break;
        case KF_AGENT_REPLY:
            if (holder == 0) {
                rc = ag__take(c, conv, a->user_id, now, err);
                *changed = 1;
            }
            if (rc == KF_OK)
                rc = ag__update(c, AS_FIRST_REPLY, conv, now, err);
            break;
        case KF_AGENT_NOTE:
            rc = ag__update(c, AS_TOUCH, conv, now, err);
            break;
        case KF_AGENT_HANDBACK:
            rc = ag__update(c, AS_HANDBACK, conv, now, err);
            if (rc == KF_OK)
                rc = ag__update(c, AS_REQ_DONE, conv, now, err);
            break;
        case KF_AGENT_CLOSE: {
            sqlite3_stmt *q = ag__stmt(c, AS_CLOSE, err);
            if (q == NULL) {
                rc = KF_ESTORE;
                break;
            }
            sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, now);
            sqlite3_bind_text(q, 3, resolution, -1, SQLITE_STATIC);
            rc = sq__done(c, q, "close conversation", err);
            if (rc == KF_OK)
                rc = ag__update(c, AS_REQ_DONE, conv, now, err);
            break;
        }
        }
    }
    if (rc == KF_OK && write_msg)
        rc = ag__insert_message(c, conv, a->msg, now, err);
    rc = sq__write_end(s, c, rc, err);
    if (rc != KF_OK) {
        *changed = 0;
        if (a->msg != NULL)
            a->msg->id = 0;
    }
    return rc;
}

/* ---- churn alert ------------------------------------------------------ */

static int ag_churn_ticket(struct kf_store *st, const char *conversation_id, long long *ticket_id,
                           struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = ag__stmt(c, AS_CHURN_TICKET, err);
    if (q != NULL) {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        rc = sq__int(c, q, ticket_id, err);
    }
    sq__give_back(s, c);
    return rc;
}

const struct kf_agent_ops kf_sqlite_agent_ops = {
    .queue = ag_queue,
    .list = ag_list,
    .get = ag_get,
    .act = ag_act,
    .churn_ticket = ag_churn_ticket,
};
