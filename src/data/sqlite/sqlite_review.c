/*
 * sqlite_review.c — the SQLite half of review.h: CSAT ratings, the customer
 * ending a conversation, the CSAT report, and the review queue (low scores,
 * intent corrections) with its export for retraining.
 *
 * How it fits: review.c checks arguments and calls this table
 * (kf_sqlite_review_ops, review_int.h); the pool and the write lock are
 * sqlite_store.c's (sqlite_int.h). Schema: migration 5 (csat, review_items,
 * conversations.assignee_id, closed_at, resolution).
 *
 * Design notes
 *  - "Once per conversation" is csat's primary key; the check and the
 *    insert (and the low_csat item) run in one write transaction, so two
 *    ratings at once cannot both land.
 *  - A correction of a message already corrected updates that item (the
 *    unique index review_items_message allows one per kind and message) and
 *    makes it pending again: the last word of an agent is what a reviewer
 *    decides on.
 *  - The predicted intent is the one dialog_turns recorded for the message,
 *    found through the conversation's index (dialog_turns_conversation).
 *  - Every statement is a fixed, prepared text (area_stmt[SQ_LEARN]).
 */
#include <stdio.h>
#include <string.h>

#include "../review_int.h"
#include "sqlite_int.h"

enum rstmt {
    RS_CONV,
    RS_CSAT_EXISTS,
    RS_CSAT_INSERT,
    RS_ITEM_CSAT,
    RS_END,
    RS_CONV_JSON,
    RS_REPORT,
    RS_MSG,
    RS_FIND_CORRECTION,
    RS_CORRECTION_UPDATE,
    RS_CORRECTION_INSERT,
    RS_LIST,
    RS_ITEM_KIND,
    RS_DECIDE,
    RS_ITEM,
    RS_EXPORT,
    RS__COUNT
};

_Static_assert(RS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define RS_ITEM_COLS                                                                               \
    "SELECT id, kind, status, conversation_id, message_id, text, lang, predicted_intent,"          \
    " corrected_intent, score, comment, created_by, created_at, reviewed_by, reviewed_at"          \
    " FROM review_items"

static const char *const rs_sql[RS__COUNT] = {
    [RS_CONV] = "SELECT status, customer_id, assignee_id FROM conversations WHERE id = ?1",
    [RS_CSAT_EXISTS] = "SELECT count(*) FROM csat WHERE conversation_id = ?1",
    [RS_CSAT_INSERT] = "INSERT INTO csat (conversation_id, customer_id, agent_id, score, comment,"
                       " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [RS_ITEM_CSAT] = "INSERT INTO review_items (kind, conversation_id, score, comment, status,"
                     " created_by, created_at) VALUES ('low_csat', ?1, ?2, ?3, 'pending',"
                     " 'csat', ?4)",
    [RS_END] = "UPDATE conversations SET status = 'closed', resolution = 'customer_ended',"
               " closed_at = ?2, updated_at = ?2 WHERE id = ?1 AND status <> 'closed'",
    [RS_CONV_JSON] = "SELECT c.id, c.status, c.resolution, c.assignee_id,"
                     " (SELECT u.username FROM users u WHERE u.id = c.assignee_id) AS assignee,"
                     " c.needs_human, c.closed_at FROM conversations c WHERE c.id = ?1",
    /* ?1 from ?2 to ?3 offset (s) ?4 strftime format */
    [RS_REPORT] = "SELECT strftime(?4, created_at / 1000 + ?3, 'unixepoch') AS b, score, count(*)"
                  " FROM csat WHERE created_at >= ?1 AND (?2 = 0 OR created_at < ?2)"
                  " GROUP BY b, score ORDER BY b, score",
    [RS_MSG] = "SELECT m.conversation_id, m.role, m.text, m.lang,"
               " (SELECT t.intent FROM dialog_turns t WHERE t.conversation_id = m.conversation_id"
               "   AND t.message_id = m.id ORDER BY t.id DESC LIMIT 1) AS predicted"
               " FROM messages m WHERE m.id = ?1",
    [RS_FIND_CORRECTION] = "SELECT id FROM review_items WHERE kind = 'intent_correction'"
                           " AND message_id = ?1",
    [RS_CORRECTION_UPDATE] = "UPDATE review_items SET corrected_intent = ?2, status = 'pending',"
                             " created_by = ?3, created_at = ?4, reviewed_by = NULL,"
                             " reviewed_at = NULL, predicted_intent = ?5 WHERE id = ?1",
    [RS_CORRECTION_INSERT] = "INSERT INTO review_items (kind, conversation_id, message_id, text,"
                             " lang, predicted_intent, corrected_intent, status, created_by,"
                             " created_at) VALUES ('intent_correction', ?1, ?2, ?3, ?4, ?5, ?6,"
                             " 'pending', ?7, ?8)",
    [RS_LIST] = RS_ITEM_COLS " WHERE id > ?1 AND (?2 IS NULL OR status = ?2)"
                             " AND (?3 IS NULL OR kind = ?3) ORDER BY id LIMIT ?4",
    [RS_ITEM_KIND] = "SELECT kind FROM review_items WHERE id = ?1",
    [RS_DECIDE] = "UPDATE review_items SET status = ?2, corrected_intent = coalesce(?3,"
                  " corrected_intent), reviewed_by = ?4, reviewed_at = ?5 WHERE id = ?1",
    [RS_ITEM] = RS_ITEM_COLS " WHERE id = ?1",
    [RS_EXPORT] = "SELECT id, corrected_intent AS intent, text, lang FROM review_items"
                  " WHERE kind = 'intent_correction' AND status = 'approved'"
                  " AND text IS NOT NULL AND corrected_intent IS NOT NULL"
                  " AND (?1 IS NULL OR lang = ?1) ORDER BY corrected_intent, id",
};

static sqlite3_stmt *rs__stmt(struct sq_conn *c, enum rstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_LEARN][id], rs_sql[id], err);
}

/* ---- CSAT ------------------------------------------------------------------ */

static int rs__csat_tx(struct sq_conn *c, const struct kf_csat *in, long long *review_id,
                       struct kf_err *err)
{
    sqlite3_stmt *q = rs__stmt(c, RS_CONV, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, in->conversation_id, -1, SQLITE_STATIC);
    int r = sqlite3_step(q);
    if (r == SQLITE_DONE) {
        sqlite3_reset(q);
        return kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    }
    if (r != SQLITE_ROW) {
        sqlite3_reset(q);
        return sq__error(c, err, "csat: conversation");
    }
    char status[16];
    snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(q, 0));
    long long customer = sqlite3_column_int64(q, 1);
    int has_agent = sqlite3_column_type(q, 2) != SQLITE_NULL;
    long long agent = sqlite3_column_int64(q, 2);
    sqlite3_reset(q);

    long long n = 0;
    if ((q = rs__stmt(c, RS_CSAT_EXISTS, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, in->conversation_id, -1, SQLITE_STATIC);
    int rc = sq__int(c, q, &n, err);
    if (rc != KF_OK)
        return rc;
    if (n > 0)
        return kf_errorf(err, KF_ECONFLICT, "this conversation has been rated already");
    if (strcmp(status, "closed") != 0)
        return kf_errorf(err, KF_ECONFLICT,
                         "the conversation is still %s: it is rated once it is closed or ended",
                         status);

    if ((q = rs__stmt(c, RS_CSAT_INSERT, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, in->conversation_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, customer);
    if (has_agent)
        sqlite3_bind_int64(q, 3, agent);
    sqlite3_bind_int(q, 4, in->score);
    sq__bind_text(q, 5, in->comment);
    sqlite3_bind_int64(q, 6, in->now_ms);
    if ((rc = sq__done(c, q, "csat: insert", err)) != KF_OK)
        return rc;
    if (in->score >= in->review_below)
        return KF_OK;
    if ((q = rs__stmt(c, RS_ITEM_CSAT, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, in->conversation_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, in->score);
    sq__bind_text(q, 3, in->comment);
    sqlite3_bind_int64(q, 4, in->now_ms);
    rc = sq__done(c, q, "csat: review item", err);
    if (rc == KF_OK)
        *review_id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int rs_csat_add(struct kf_store *st, const struct kf_csat *in, long long *review_id,
                       struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = rs__csat_tx(c, in, review_id, err);
    return sq__write_end(s, c, rc, err);
}

static int rs_conversation_end(struct kf_store *st, const char *id, long long now_ms, int *changed,
                               json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? rs__stmt(c, RS_END, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, now_ms);
        rc = sq__done(c, q, "end conversation", err);
        *changed = rc == KF_OK && sqlite3_changes(c->db) > 0;
    }
    if (rc == KF_OK && (q = rs__stmt(c, RS_CONV_JSON, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        rc = sq__one(c, q, "conversation", out, NULL, err);
    }
    if (rc != KF_OK)
        *changed = 0;
    return sq__write_end_record(s, c, rc, out, err);
}

/* ---- the CSAT report -------------------------------------------------------- */

static json_t *rs__dist(void)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i}", "1", 0, "2", 0, "3", 0, "4", 0, "5", 0);
}

/* Average and count of a distribution object into o. */
static void rs__summary(json_t *o, json_t *dist)
{
    long long n = 0, sum = 0;
    for (int k = 1; k <= 5; k++) {
        char key[2] = {(char)('0' + k), '\0'};
        long long v = (long long)json_integer_value(json_object_get(dist, key));
        n += v;
        sum += v * k;
    }
    json_object_set_new(o, "count", json_integer(n));
    json_object_set_new(o, "average", n > 0 ? json_real((double)sum / (double)n) : json_null());
}

static int rs_csat_report(struct kf_store *st, long long from, long long to, const char *bucket,
                          int utc_offset_min, json_t **out, struct kf_err *err)
{
    const char *fmt = strcmp(bucket, "week") == 0    ? "%Y-W%W"
                      : strcmp(bucket, "month") == 0 ? "%Y-%m"
                                                     : "%Y-%m-%d";
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rs__stmt(c, RS_REPORT, err);
    int rc = q != NULL ? KF_OK : KF_ESTORE;
    json_t *series = json_array(), *total = rs__dist(), *cur = NULL;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        sqlite3_bind_int64(q, 3, (long long)utc_offset_min * 60);
        sqlite3_bind_text(q, 4, fmt, -1, SQLITE_STATIC);
        int r;
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            const char *b = (const char *)sqlite3_column_text(q, 0);
            int score = sqlite3_column_int(q, 1);
            long long n = sqlite3_column_int64(q, 2);
            if (b == NULL || score < 1 || score > 5)
                continue;
            if (cur == NULL || strcmp(json_string_value(json_object_get(cur, "bucket")), b) != 0) {
                cur = json_pack("{s:s,s:o}", "bucket", b, "distribution", rs__dist());
                json_array_append_new(series, cur);
            }
            char key[2] = {(char)('0' + score), '\0'};
            json_object_set_new(json_object_get(cur, "distribution"), key, json_integer(n));
            json_t *t = json_object_get(total, key);
            json_object_set_new(total, key, json_integer(json_integer_value(t) + n));
        }
        sqlite3_reset(q);
        if (r != SQLITE_DONE)
            rc = sq__error(c, err, "csat report");
    }
    sq__give_back(s, c);
    if (rc != KF_OK || series == NULL || total == NULL) {
        json_decref(series);
        json_decref(total);
        return rc != KF_OK ? rc : kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    size_t i;
    json_t *b;
    json_array_foreach(series, i, b) rs__summary(b, json_object_get(b, "distribution"));
    json_t *doc = json_pack("{s:I,s:o,s:s,s:o,s:o}", "from", (json_int_t)from, "to",
                            to > 0 ? json_integer(to) : json_null(), "bucket", bucket,
                            "distribution", total, "series", series);
    if (doc == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    rs__summary(doc, total);
    *out = doc;
    return KF_OK;
}

/* ---- the review queue -------------------------------------------------------- */

static int rs__correct_tx(struct sq_conn *c, long long message_id, const char *intent,
                          const char *by, long long now, long long *id, int *updated,
                          struct kf_err *err)
{
    sqlite3_stmt *q = rs__stmt(c, RS_MSG, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, message_id);
    int r = sqlite3_step(q);
    if (r != SQLITE_ROW) {
        sqlite3_reset(q);
        return r == SQLITE_DONE ? kf_errorf(err, KF_ENOTFOUND, "message not found")
                                : sq__error(c, err, "correction: message");
    }
    if (strcmp((const char *)sqlite3_column_text(q, 1), "customer") != 0) {
        sqlite3_reset(q);
        return kf_errorf(err, KF_EINVAL, "message: only a customer's message has an intent");
    }
    /* copies: the statement is reused below */
    json_t *m = sq__row(q);
    sqlite3_reset(q);
    if (m == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    const char *conv = json_string_value(json_object_get(m, "conversation_id"));
    const char *text = json_string_value(json_object_get(m, "text"));
    const char *lang = json_string_value(json_object_get(m, "lang"));
    const char *predicted = json_string_value(json_object_get(m, "predicted")); /* may be NULL */

    long long existing = 0;
    int rc = KF_OK;
    if ((q = rs__stmt(c, RS_FIND_CORRECTION, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, message_id);
        rc = sq__int(c, q, &existing, err);
    }
    if (rc == KF_OK && existing > 0) {
        if ((q = rs__stmt(c, RS_CORRECTION_UPDATE, err)) == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_int64(q, 1, existing);
            sqlite3_bind_text(q, 2, intent, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, by, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 4, now);
            sq__bind_text(q, 5, predicted);
            rc = sq__done(c, q, "correction: update", err);
        }
        *id = existing;
        *updated = 1;
    } else if (rc == KF_OK) {
        if ((q = rs__stmt(c, RS_CORRECTION_INSERT, err)) == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, conv);
            sqlite3_bind_int64(q, 2, message_id);
            sq__bind_text(q, 3, text);
            sq__bind_text(q, 4, lang);
            sq__bind_text(q, 5, predicted);
            sqlite3_bind_text(q, 6, intent, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 7, by, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 8, now);
            rc = sq__done(c, q, "correction: insert", err);
            if (rc == KF_OK)
                *id = sqlite3_last_insert_rowid(c->db);
        }
    }
    json_decref(m);
    return rc;
}

static int rs_correct_intent(struct kf_store *st, long long message_id, const char *intent,
                             const char *created_by, long long now_ms, long long *id, int *updated,
                             struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = rs__correct_tx(c, message_id, intent, created_by, now_ms, id, updated, err);
    return sq__write_end(s, c, rc, err);
}

static int rs_list(struct kf_store *st, const struct kf_review_query *q, json_t **out,
                   struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *p = rs__stmt(c, RS_LIST, err);
    json_t *rows = NULL;
    int rc = KF_ESTORE;
    if (p != NULL) {
        sqlite3_bind_int64(p, 1, q->after_id);
        sq__bind_text(p, 2, q->status);
        sq__bind_text(p, 3, q->kind);
        sqlite3_bind_int(p, 4, q->limit + 1);
        rc = sq__rows(c, p, &rows, err);
    }
    sq__give_back(s, c);
    if (rc != KF_OK)
        return rc;
    int more = json_array_size(rows) > (size_t)q->limit;
    if (more)
        json_array_remove(rows, (size_t)q->limit);
    *out = json_pack("{s:o,s:b}", "items", rows, "more", more);
    return *out != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
}

static int rs__decide_tx(struct sq_conn *c, long long id, const char *status, const char *intent,
                         const char *by, long long now, json_t **out, struct kf_err *err)
{
    sqlite3_stmt *q = rs__stmt(c, RS_ITEM_KIND, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    int r = sqlite3_step(q);
    int is_csat =
        r == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), KF_REVIEW_LOW_CSAT) == 0;
    sqlite3_reset(q);
    if (r == SQLITE_DONE)
        return kf_errorf(err, KF_ENOTFOUND, "review item not found");
    if (r != SQLITE_ROW)
        return sq__error(c, err, "review item");
    if (is_csat && intent != NULL)
        return kf_errorf(err, KF_EINVAL, "intent: a low_csat item has no intent to override");
    if ((q = rs__stmt(c, RS_DECIDE, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
    sq__bind_text(q, 3, intent);
    sqlite3_bind_text(q, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, now);
    int rc = sq__done(c, q, "review decide", err);
    if (rc != KF_OK)
        return rc;
    if ((q = rs__stmt(c, RS_ITEM, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return sq__one(c, q, "review item", out, NULL, err);
}

static int rs_decide(struct kf_store *st, long long id, const char *status, const char *intent,
                     const char *reviewed_by, long long now_ms, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = rs__decide_tx(c, id, status, intent, reviewed_by, now_ms, out, err);
    return sq__write_end_record(s, c, rc, out, err);
}

static int rs_export(struct kf_store *st, const char *lang, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rs__stmt(c, RS_EXPORT, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sq__bind_text(q, 1, lang);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

const struct kf_review_ops kf_sqlite_review_ops = {
    .csat_add = rs_csat_add,
    .conversation_end = rs_conversation_end,
    .csat_report = rs_csat_report,
    .correct_intent = rs_correct_intent,
    .list = rs_list,
    .decide = rs_decide,
    .export_approved = rs_export,
};
