/*
 * sqlite_ops.c — the SQLite half of ops.h: KPI sums per time bucket, the
 * intent mix and hand-off reasons, queue length, the alerts table and the
 * webhook outbox.
 *
 * How it fits: ops.c checks arguments and calls this table
 * (kf_sqlite_ops_ops, ops_int.h); the pool and the write lock are
 * sqlite_store.c's (sqlite_int.h). Schema: migrations 1 and 5.
 *
 * Design notes
 *  - One statement sums every KPI of the conversations started in a window,
 *    grouped by (created_at - from) / bucket: the overall figure is the
 *    same statement with one bucket as wide as the window. It scans the
 *    window's conversations (there is no index on created_at; a dashboard
 *    asks for a few weeks, which is a range scan of the rowid-less table —
 *    add one if reports over years get slow) and probes dialog_turns and
 *    handoff_requests by their conversation indexes.
 *  - The median first response is one more statement with OFFSET n/2 over
 *    the sorted values, so no row set is brought into C.
 *  - An alert row is opened only when the rule has none firing (INSERT ...
 *    WHERE NOT EXISTS under the write lock), so two evaluators never open
 *    two.
 *  - Outbox claims select and push next_at forward in one write transaction
 *    (see ops.h).
 *  - Every statement is a fixed, prepared text (area_stmt[SQ_OPS]).
 */
#include <stdio.h>
#include <string.h>

#include "../ops_int.h"
#include "sqlite_int.h"

enum ostmt {
    OS_SERIES,
    OS_CSAT,
    OS_FRT_P50,
    OS_INTENTS,
    OS_INTENTS_TOTAL,
    OS_HANDOFF_REQ,
    OS_HANDOFF_NEED,
    OS_QUEUE,
    OS_ALERT_FIRE,
    OS_ALERT_RESOLVE,
    OS_ALERTS_FIRING,
    OS_ALERTS_ACTIVE,
    OS_ALERTS_ALL,
    OS_OUTBOX_ADD,
    OS_OUTBOX_DUE,
    OS_OUTBOX_LEASE,
    OS_OUTBOX_SENT,
    OS_OUTBOX_RETRY,
    OS_OUTBOX_FAILED,
    OS_OUTBOX_COUNTS,
    OS__COUNT
};

_Static_assert(OS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define OS_OUTBOX_TOPICS 4 /* topics one claim may name */

/* A conversation is handed off when it was queued for a human (handoff_at)
 * or the dialog asked for one (handoff_requests). */
#define OS_HANDED                                                                                  \
    "(c.handoff_at IS NOT NULL OR EXISTS (SELECT 1 FROM handoff_requests h"                        \
    " WHERE h.conversation_id = c.id))"

static const char *const os_sql[OS__COUNT] = {
    /* ?1 from, ?2 to, ?3 bucket ms */
    [OS_SERIES] =
        "SELECT b, count(*), sum(1 - handed), sum(resolved), sum(handed),"
        " count(frt), coalesce(avg(frt), 0), count(aht), coalesce(avg(aht), 0) FROM ("
        "  SELECT (c.created_at - ?1) / ?3 AS b, " OS_HANDED " AS handed,"
        "   (coalesce(c.resolution, '') = 'resolved' OR (NOT " OS_HANDED
        "    AND EXISTS (SELECT 1 FROM dialog_turns t WHERE t.conversation_id = c.id"
        "    AND t.outcome = 'resolved'))) AS resolved,"
        "   CASE WHEN c.handoff_at IS NOT NULL AND c.first_agent_reply_at >= c.handoff_at"
        "    THEN c.first_agent_reply_at - c.handoff_at END AS frt,"
        "   CASE WHEN c.taken_at IS NOT NULL AND c.closed_at >= c.taken_at"
        "    THEN c.closed_at - c.taken_at END AS aht"
        "  FROM conversations c WHERE c.created_at >= ?1 AND c.created_at < ?2"
        "  AND EXISTS (SELECT 1 FROM dialog_turns t WHERE t.conversation_id = c.id))"
        " GROUP BY b ORDER BY b",
    [OS_CSAT] = "SELECT (created_at - ?1) / ?3 AS b, count(*), avg(score) FROM csat"
                " WHERE created_at >= ?1 AND created_at < ?2 GROUP BY b ORDER BY b",
    /* ?3 offset */
    [OS_FRT_P50] = "SELECT c.first_agent_reply_at - c.handoff_at AS v FROM conversations c"
                   " WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.handoff_at IS NOT NULL"
                   " AND c.first_agent_reply_at >= c.handoff_at"
                   " AND EXISTS (SELECT 1 FROM dialog_turns t WHERE t.conversation_id = c.id)"
                   " ORDER BY v LIMIT 1 OFFSET ?3",
    [OS_INTENTS] = "SELECT coalesce(nullif(intent, ''), 'none') AS i, count(*) AS n"
                   " FROM dialog_turns WHERE created_at >= ?1 AND created_at < ?2"
                   " GROUP BY i ORDER BY n DESC, i LIMIT ?3",
    [OS_INTENTS_TOTAL] = "SELECT count(*) FROM dialog_turns WHERE created_at >= ?1"
                         " AND created_at < ?2",
    [OS_HANDOFF_REQ] = "SELECT reason, count(*) AS count FROM handoff_requests"
                       " WHERE created_at >= ?1 AND created_at < ?2"
                       " GROUP BY reason ORDER BY count DESC, reason",
    [OS_HANDOFF_NEED] = "SELECT needs_human AS reason, count(*) AS count FROM conversations"
                        " WHERE needs_human IS NOT NULL"
                        " AND coalesce(handoff_at, created_at) >= ?1"
                        " AND coalesce(handoff_at, created_at) < ?2"
                        " GROUP BY needs_human ORDER BY count DESC, reason",
    [OS_QUEUE] = "SELECT count(*) FROM conversations WHERE status = 'handoff'"
                 " AND assignee_id IS NULL",
    /* ?1 rule ?2 value ?3 threshold ?4 message ?5 now */
    [OS_ALERT_FIRE] = "INSERT INTO alerts (rule, state, value, threshold, message, started_at)"
                      " SELECT ?1, 'firing', ?2, ?3, ?4, ?5 WHERE NOT EXISTS"
                      " (SELECT 1 FROM alerts WHERE rule = ?1 AND state = 'firing')",
    [OS_ALERT_RESOLVE] = "UPDATE alerts SET state = 'resolved', resolved_at = ?3, value = ?2"
                         " WHERE rule = ?1 AND state = 'firing' RETURNING id",
    [OS_ALERTS_FIRING] = "SELECT rule FROM alerts WHERE state = 'firing' ORDER BY id",
    [OS_ALERTS_ACTIVE] = "SELECT id, rule, state, value, threshold, message, started_at,"
                         " resolved_at FROM alerts WHERE state = 'firing'"
                         " ORDER BY started_at DESC, id DESC LIMIT ?1",
    [OS_ALERTS_ALL] = "SELECT id, rule, state, value, threshold, message, started_at,"
                      " resolved_at FROM alerts ORDER BY started_at DESC, id DESC LIMIT ?1",
    [OS_OUTBOX_ADD] = "INSERT INTO webhook_outbox (topic, payload, next_at, created_at)"
                      " VALUES (?1, ?2, ?3, ?3)",
    /* ?1 now ?2 limit ?3..?6 topics (NULL when fewer) */
    [OS_OUTBOX_DUE] = "SELECT id, topic, payload, attempts, created_at FROM webhook_outbox"
                      " WHERE status = 'pending' AND next_at <= ?1"
                      " AND topic IN (?3, ?4, ?5, ?6) ORDER BY next_at, id LIMIT ?2",
    [OS_OUTBOX_LEASE] = "UPDATE webhook_outbox SET next_at = ?2 WHERE id = ?1",
    [OS_OUTBOX_SENT] = "UPDATE webhook_outbox SET status = 'sent', sent_at = ?2,"
                       " attempts = attempts + 1, last_error = NULL"
                       " WHERE id = ?1 AND status = 'pending'",
    [OS_OUTBOX_RETRY] = "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2,"
                        " next_at = ?3 WHERE id = ?1 AND status = 'pending'",
    [OS_OUTBOX_FAILED] = "UPDATE webhook_outbox SET status = 'failed', attempts = attempts + 1,"
                         " last_error = ?2 WHERE id = ?1 AND status = 'pending'",
    [OS_OUTBOX_COUNTS] = "SELECT topic, status, count(*) FROM webhook_outbox"
                         " GROUP BY topic, status ORDER BY topic, status",
};

static sqlite3_stmt *os__stmt(struct sq_conn *c, enum ostmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_OPS][id], os_sql[id], err);
}

/* ---- KPIs ------------------------------------------------------------------ */

static int os__series_rows(struct sq_conn *c, sqlite3_stmt *q, int csat, struct kf_ops_stats *out,
                           size_t nb, struct kf_err *err)
{
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        long long b = sqlite3_column_int64(q, 0);
        if (b < 0 || (size_t)b >= nb)
            continue;
        struct kf_ops_stats *s = &out[b];
        if (csat) {
            s->csat_n = sqlite3_column_int64(q, 1);
            s->csat_avg = sqlite3_column_double(q, 2);
            continue;
        }
        s->conversations = sqlite3_column_int64(q, 1);
        s->contained = sqlite3_column_int64(q, 2);
        s->resolved = sqlite3_column_int64(q, 3);
        s->handed_off = sqlite3_column_int64(q, 4);
        s->frt_n = sqlite3_column_int64(q, 5);
        s->frt_avg_s = sqlite3_column_double(q, 6) / 1000;
        s->aht_n = sqlite3_column_int64(q, 7);
        s->aht_avg_s = sqlite3_column_double(q, 8) / 1000;
    }
    sqlite3_reset(q);
    return r == SQLITE_DONE ? KF_OK : sq__error(c, err, "kpis");
}

static int os_series(struct kf_store *st, long long from, long long to, long long bucket_ms,
                     struct kf_ops_stats *out, size_t nb, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_OK;
    for (int csat = 0; csat <= 1 && rc == KF_OK; csat++) {
        sqlite3_stmt *q = os__stmt(c, csat ? OS_CSAT : OS_SERIES, err);
        if (q == NULL) {
            rc = KF_ESTORE;
            break;
        }
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        sqlite3_bind_int64(q, 3, bucket_ms);
        rc = os__series_rows(c, q, csat, out, nb, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int os_frt_p50(struct kf_store *st, long long from, long long to, long long n, double *out,
                      struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, OS_FRT_P50, err);
    int rc = KF_ESTORE;
    *out = 0;
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        sqlite3_bind_int64(q, 3, (n - 1) / 2); /* the lower median */
        long long v;
        rc = sq__int(c, q, &v, err);
        *out = (double)v / 1000;
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- reports --------------------------------------------------------------- */

static int os_intents(struct kf_store *st, long long from, long long to, int top, json_t **out,
                      struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, OS_INTENTS, err);
    sqlite3_stmt *t = q ? os__stmt(c, OS_INTENTS_TOTAL, err) : NULL;
    int rc = t ? KF_OK : KF_ESTORE;
    long long total = 0;
    json_t *list = json_array();
    if (rc == KF_OK && list == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK) {
        sqlite3_bind_int64(t, 1, from);
        sqlite3_bind_int64(t, 2, to);
        rc = sq__int(c, t, &total, err);
    }
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        sqlite3_bind_int(q, 3, top);
        int r;
        long long listed = 0;
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            long long n = sqlite3_column_int64(q, 1);
            listed += n;
            json_array_append_new(list, json_pack("{s:s,s:I,s:f}", "intent",
                                                  (const char *)sqlite3_column_text(q, 0),
                                                  "count", (json_int_t)n, "share",
                                                  total ? (double)n / (double)total : 0.0));
        }
        sqlite3_reset(q);
        if (r != SQLITE_DONE)
            rc = sq__error(c, err, "intent mix");
        else if (total > listed)
            json_array_append_new(list, json_pack("{s:s,s:I,s:f}", "intent", "other", "count",
                                                  (json_int_t)(total - listed), "share",
                                                  (double)(total - listed) / (double)total));
    }
    sq__give_back(s, c);
    if (rc == KF_OK && (*out = json_pack("{s:I,s:I,s:I,s:O}", "from", (json_int_t)from, "to",
                                         (json_int_t)to, "total", (json_int_t)total, "intents",
                                         list)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    json_decref(list);
    return rc;
}

static int os_handoffs(struct kf_store *st, long long from, long long to, json_t **out,
                       struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *lists[2] = {NULL, NULL};
    int rc = KF_OK;
    for (int i = 0; i < 2 && rc == KF_OK; i++) {
        sqlite3_stmt *q = os__stmt(c, i ? OS_HANDOFF_NEED : OS_HANDOFF_REQ, err);
        if (q == NULL) {
            rc = KF_ESTORE;
            break;
        }
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        rc = sq__rows(c, q, &lists[i], err);
    }
    sq__give_back(s, c);
    long long total = 0;
    for (size_t i = 0; rc == KF_OK && i < json_array_size(lists[0]); i++)
        total += json_integer_value(json_object_get(json_array_get(lists[0], i), "count"));
    if (rc == KF_OK) {
        *out = json_pack("{s:I,s:I,s:O,s:O,s:I}", "from", (json_int_t)from, "to", (json_int_t)to,
                         "requests", lists[0], "needs_human", lists[1], "total_requests",
                         (json_int_t)total);
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    json_decref(lists[0]);
    json_decref(lists[1]);
    return rc;
}

static int os_queue_waiting(struct kf_store *st, long long *n, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, OS_QUEUE, err);
    int rc = q ? sq__int(c, q, n, err) : KF_ESTORE;
    sq__give_back(s, c);
    return rc;
}

/* ---- alerts ---------------------------------------------------------------- */

static int os_alert_fire(struct kf_store *st, const char *rule, double value, double threshold,
                         const char *message, long long now_ms, long long *id,
                         struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? os__stmt(c, OS_ALERT_FIRE, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, rule, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 2, value);
        sqlite3_bind_double(q, 3, threshold);
        sqlite3_bind_text(q, 4, message, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, now_ms);
        rc = sq__done(c, q, "open alert", err);
        if (rc == KF_OK && sqlite3_changes(c->db) > 0)
            *id = sqlite3_last_insert_rowid(c->db);
    }
    return sq__write_end(s, c, rc, err);
}

static int os_alert_resolve(struct kf_store *st, const char *rule, double value, long long now_ms,
                            long long *id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? os__stmt(c, OS_ALERT_RESOLVE, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, rule, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 2, value);
        sqlite3_bind_int64(q, 3, now_ms);
        rc = sq__int(c, q, id, err); /* RETURNING id: one firing row at most */
    }
    return sq__write_end(s, c, rc, err);
}

static int os_alerts_firing(struct kf_store *st, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, OS_ALERTS_FIRING, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        json_t *a = json_array();
        int r;
        while (a != NULL && (r = sqlite3_step(q)) == SQLITE_ROW)
            json_array_append_new(a, json_string((const char *)sqlite3_column_text(q, 0)));
        sqlite3_reset(q);
        if (a == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        } else if (r != SQLITE_DONE) {
            json_decref(a);
            rc = sq__error(c, err, "firing alerts");
        } else {
            *out = a;
            rc = KF_OK;
        }
    }
    sq__give_back(s, c);
    return rc;
}

static int os_alerts_list(struct kf_store *st, int all, int limit, json_t **out,
                          struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, all ? OS_ALERTS_ALL : OS_ALERTS_ACTIVE, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sqlite3_bind_int(q, 1, limit);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- the outbox ------------------------------------------------------------ */

static int os_outbox_add(struct kf_store *st, const char *topic, const char *payload,
                         long long now_ms, long long *id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? os__stmt(c, OS_OUTBOX_ADD, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, topic, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, payload, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, now_ms);
        rc = sq__done(c, q, "add to the webhook outbox", err);
        if (rc == KF_OK)
            *id = sqlite3_last_insert_rowid(c->db);
    }
    return sq__write_end(s, c, rc, err);
}

static int os__claim_rows(struct sq_conn *c, sqlite3_stmt *q, struct kf_arena *a,
                          struct kf_outbox_item *items, int max, size_t *n, struct kf_err *err)
{
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW && *n < (size_t)max) {
        struct kf_outbox_item *it = &items[*n];
        memset(it, 0, sizeof *it);
        it->id = sqlite3_column_int64(q, 0);
        const char *topic = (const char *)sqlite3_column_text(q, 1);
        snprintf(it->topic, sizeof it->topic, "%s", topic ? topic : "");
        const char *payload = (const char *)sqlite3_column_text(q, 2);
        it->payload = kf_arena_strdup(a, payload ? payload : "");
        it->attempts = sqlite3_column_int(q, 3);
        it->created_at = sqlite3_column_int64(q, 4);
        if (it->payload == NULL) {
            sqlite3_reset(q);
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        }
        (*n)++;
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? KF_OK : sq__error(c, err, "claim outbox rows");
}

static int os_outbox_claim(struct kf_store *st, const char *const *topics, size_t ntopics,
                           long long now_ms, long long lease_ms, int max, struct kf_arena *a,
                           struct kf_outbox_item *items, size_t *n, struct kf_err *err)
{
    if (ntopics > OS_OUTBOX_TOPICS)
        return kf_errorf(err, KF_EINVAL, "topics: at most %d per claim", OS_OUTBOX_TOPICS);
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? os__stmt(c, OS_OUTBOX_DUE, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, now_ms);
        sqlite3_bind_int(q, 2, max);
        for (size_t i = 0; i < OS_OUTBOX_TOPICS; i++)
            sq__bind_text(q, 3 + (int)i, i < ntopics ? topics[i] : NULL);
        rc = os__claim_rows(c, q, a, items, max, n, err);
    }
    sqlite3_stmt *u = rc == KF_OK ? os__stmt(c, OS_OUTBOX_LEASE, err) : NULL;
    if (rc == KF_OK && u == NULL)
        rc = KF_ESTORE;
    for (size_t i = 0; rc == KF_OK && i < *n; i++) {
        sqlite3_bind_int64(u, 1, items[i].id);
        sqlite3_bind_int64(u, 2, now_ms + lease_ms);
        rc = sq__done(c, u, "lease outbox row", err);
    }
    rc = sq__write_end(s, c, rc, err);
    if (rc != KF_OK)
        *n = 0;
    return rc;
}

static int os_outbox_mark(struct kf_store *st, long long id, int sent, const char *error,
                          long long retry_at, long long now_ms, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    enum ostmt which = sent ? OS_OUTBOX_SENT : retry_at > 0 ? OS_OUTBOX_RETRY : OS_OUTBOX_FAILED;
    sqlite3_stmt *q = rc == KF_OK ? os__stmt(c, which, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, id);
        if (sent) {
            sqlite3_bind_int64(q, 2, now_ms);
        } else {
            sq__bind_text(q, 2, error);
            if (retry_at > 0)
                sqlite3_bind_int64(q, 3, retry_at);
        }
        rc = sq__done(c, q, "mark outbox row", err);
        if (rc == KF_OK && sqlite3_changes(c->db) == 0)
            rc = kf_errorf(err, KF_ENOTFOUND, "outbox row %lld not found or not pending", id);
    }
    return sq__write_end(s, c, rc, err);
}

static int os_outbox_counts(struct kf_store *st, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = os__stmt(c, OS_OUTBOX_COUNTS, err);
    int rc = KF_ESTORE;
    json_t *o = json_object();
    if (q != NULL && o != NULL) {
        int r;
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            const char *topic = (const char *)sqlite3_column_text(q, 0);
            const char *status = (const char *)sqlite3_column_text(q, 1);
            json_t *t = json_object_get(o, topic ? topic : "");
            if (t == NULL) {
                t = json_object();
                json_object_set_new(o, topic ? topic : "", t);
            }
            json_object_set_new(t, status ? status : "", json_integer(sqlite3_column_int64(q, 2)));
        }
        sqlite3_reset(q);
        rc = r == SQLITE_DONE ? KF_OK : sq__error(c, err, "outbox counts");
    } else if (q != NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    sq__give_back(s, c);
    if (rc == KF_OK)
        *out = o;
    else
        json_decref(o);
    return rc;
}

const struct kf_ops_ops kf_sqlite_ops_ops = {
    .series = os_series,
    .frt_p50 = os_frt_p50,
    .intents = os_intents,
    .handoffs = os_handoffs,
    .queue_waiting = os_queue_waiting,
    .alert_fire = os_alert_fire,
    .alert_resolve = os_alert_resolve,
    .alerts_firing = os_alerts_firing,
    .alerts_list = os_alerts_list,
    .outbox_add = os_outbox_add,
    .outbox_claim = os_outbox_claim,
    .outbox_mark = os_outbox_mark,
    .outbox_counts = os_outbox_counts,
};
