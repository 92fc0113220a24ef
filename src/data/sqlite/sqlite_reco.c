/*
 * sqlite_reco.c — the recommendation log in SQLite (reco_log.h; table
 * `recommendations` of migration 4).
 *
 * How it fits: reco_log.c checks arguments and calls this table
 * (kf_sqlite_reco_ops, reco_int.h); the connection pool, the write lock and
 * the statement/row helpers are sqlite_store.c's and sqlite_util.c's
 * (sqlite_int.h). Statements live in the SQ_RECO slots of each connection.
 *
 * Design notes
 *  - Writes (a batch of impressions, a click) take the store's write lock,
 *    then BEGIN IMMEDIATE (sq__write_begin/end), so they queue fairly with
 *    group-committed turns and the events ingest.
 *  - A click only sets clicked_at while it is NULL ("only the first click
 *    counts"): one UPDATE … WHERE clicked_at IS NULL, whose change count
 *    says whether this was the first.
 *  - bought_at / order_no are written by the events ingest
 *    (sqlite_events.c) inside the event's transaction; the report only
 *    counts the columns.
 *  - The report groups by source or strategy over created_at in [since,
 *    until); the index recommendations_created serves the window.
 */
#include <string.h>

#include "../reco_int.h"
#include "sqlite_int.h"

enum rcstmt {
    RC_CUSTOMER_EXISTS,
    RC_INSERT,
    RC_CLICK,
    RC_EXISTS,
    RC_GET,
    RC_COUNT_SOURCE,
    RC_COUNT_STRATEGY,
    RC__COUNT
};

_Static_assert(RC__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define RC_COUNTS(col)                                                                             \
    "SELECT " col " AS key, COUNT(*) AS impressions, COUNT(clicked_at) AS clicks,"               \
    " COUNT(bought_at) AS conversions FROM recommendations"                                        \
    " WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2)"                  \
    " GROUP BY " col " ORDER BY " col

static const char *const rc_sql[RC__COUNT] = {
    [RC_CUSTOMER_EXISTS] = "SELECT 1 FROM customers WHERE id = ?1",
    [RC_INSERT] = "INSERT INTO recommendations (customer_id, conversation_id, sku, source,"
                  " strategy, rule_version, reason, created_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [RC_CLICK] = "UPDATE recommendations SET clicked_at = ?3 WHERE id = ?1"
                 " AND (?2 IS NULL OR customer_id IS NULL OR customer_id = ?2)"
                 " AND clicked_at IS NULL",
    [RC_EXISTS] = "SELECT 1 FROM recommendations WHERE id = ?1"
                  " AND (?2 IS NULL OR customer_id IS NULL OR customer_id = ?2)",
    [RC_GET] = "SELECT id, customer_id, conversation_id, sku, source, strategy, rule_version,"
               " reason, created_at, clicked_at, bought_at, order_no FROM recommendations"
               " WHERE id = ?1",
    [RC_COUNT_SOURCE] = RC_COUNTS("source"),
    [RC_COUNT_STRATEGY] = RC_COUNTS("strategy"),
};

static sqlite3_stmt *rc__stmt(struct sq_conn *c, enum rcstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_RECO][id], rc_sql[id], err);
}

/* KF_EINVAL unless the customer exists (0: anonymous, fine). */
static int rc__customer(struct sq_conn *c, long long id, struct kf_err *err)
{
    if (id == 0)
        return KF_OK;
    sqlite3_stmt *q = rc__stmt(c, RC_CUSTOMER_EXISTS, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    long long found = 0;
    int rc = sq__int(c, q, &found, err);
    if (rc == KF_OK && !found)
        rc = kf_errorf(err, KF_EINVAL, "customer_id: no customer %lld", id);
    return rc;
}

static int rc__insert(struct sq_conn *c, const struct kf_reco_entry *e, long long now_ms,
                      long long *id, struct kf_err *err)
{
    int rc = rc__customer(c, e->customer_id, err);
    sqlite3_stmt *q = rc == KF_OK ? rc__stmt(c, RC_INSERT, err) : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    if (e->customer_id > 0)
        sqlite3_bind_int64(q, 1, e->customer_id);
    sq__bind_text(q, 2, e->conversation_id);
    sq__bind_text(q, 3, e->sku);
    sq__bind_text(q, 4, e->source);
    sq__bind_text(q, 5, e->strategy);
    sq__bind_ms(q, 6, e->rule_version);
    sq__bind_text(q, 7, e->reason);
    sqlite3_bind_int64(q, 8, e->at > 0 ? e->at : now_ms);
    rc = sq__done(c, q, "log recommendation", err);
    if (rc == KF_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int rc_log(struct kf_store *st, const struct kf_reco_entry *e, size_t n, long long now_ms,
                  long long *ids, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    for (size_t i = 0; rc == KF_OK && i < n; i++)
        rc = rc__insert(c, &e[i], now_ms, &ids[i], err);
    return sq__write_end(s, c, rc, err);
}

static int rc_click(struct kf_store *st, long long rec_id, long long customer_id, long long at,
                    int *first, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? rc__stmt(c, RC_CLICK, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, rec_id);
        sq__bind_ms(q, 2, customer_id);
        sqlite3_bind_int64(q, 3, at);
        rc = sq__done(c, q, "record click", err);
        *first = rc == KF_OK && sqlite3_changes(c->db) > 0;
    }
    if (rc == KF_OK && !*first) { /* clicked before, or not there at all? */
        q = rc__stmt(c, RC_EXISTS, err);
        long long found = 0;
        if (q == NULL)
            rc = KF_ESTORE;
        if (rc == KF_OK) {
            sqlite3_bind_int64(q, 1, rec_id);
            sq__bind_ms(q, 2, customer_id);
            rc = sq__int(c, q, &found, err);
        }
        if (rc == KF_OK && !found)
            rc = kf_errorf(err, KF_ENOTFOUND, "recommendation %lld not found", rec_id);
    }
    return sq__write_end(s, c, rc, err);
}

static int rc_get(struct kf_store *st, long long rec_id, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rc__stmt(c, RC_GET, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, rec_id);
        rc = sq__one(c, q, "recommendation", out, NULL, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int rc_counts(struct kf_store *st, int by_strategy, long long since, long long until,
                     json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rc__stmt(c, by_strategy ? RC_COUNT_STRATEGY : RC_COUNT_SOURCE, err);
    int rc = KF_ESTORE;
    *out = NULL;
    if (q != NULL) {
        sq__bind_ms(q, 1, since);
        sq__bind_ms(q, 2, until);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

const struct kf_reco_ops kf_sqlite_reco_ops = {
    .log = rc_log,
    .click = rc_click,
    .get = rc_get,
    .counts = rc_counts,
};
