/*
 * sqlite_campaigns.c — the SQLite half of campaign_store.h: candidate
 * customers per trigger, one customer's facts, and the campaign_sends log
 * with its report.
 *
 * How it fits: campaign_store.c checks arguments and calls this table
 * (kf_sqlite_campaign_ops, campaign_int.h); the pool and the write lock are
 * sqlite_store.c's (sqlite_int.h). Schema: migration 4.
 *
 * Design notes
 *  - Candidates come from an index, never from deriving every profile: the
 *    birthday by customers' month-day (a scan of the narrow customers
 *    table), the lifecycle stage by profiles_lifecycle, carts by events_type
 *    (type, at), tags by customer_tags' key. Pages are keyset (id > after),
 *    so a page costs the same wherever it starts.
 *  - A customer whose last look is settled (skipped_cooldown or
 *    skipped_opt_out within the cooldown, skipped_cap within a day) is left
 *    out in SQL (campaign_sends_customer index), so runs every few minutes
 *    do not derive the same profiles again and again.
 *  - A record's guard is part of its INSERT ... SELECT ... WHERE NOT EXISTS,
 *    run inside BEGIN IMMEDIATE under the write lock: two runs at once (the
 *    server's scheduler and `kefu campaigns run`) cannot both claim a send.
 *  - Every statement is a fixed, prepared text (area_stmt[SQ_CAMPAIGNS]).
 */
#include <string.h>

#include "../campaign_int.h"
#include "sqlite_int.h"

enum cstmt {
    CS_BIRTHDAY,
    CS_LIFECYCLE,
    CS_CART,
    CS_TAG,
    CS_FACTS,
    CS_RECORD,
    CS_FINISH,
    CS_REPORT,
    CS__COUNT
};

_Static_assert(CS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

/* ?1 after_id, ?2 limit, ?3 campaign, ?4 settled_since, ?5 cap_since; ?6.. the pick's */
#define CS_UNSETTLED(col)                                                                          \
    " AND NOT EXISTS (SELECT 1 FROM campaign_sends s WHERE s.customer_id = " col                   \
    " AND s.campaign = ?3 AND ((s.status IN ('skipped_cooldown', 'skipped_opt_out')"              \
    " AND s.run_at > ?4) OR (s.status = 'skipped_cap' AND s.run_at > ?5)))"

static const char *const cs_sql[CS__COUNT] = {
    [CS_BIRTHDAY] = "SELECT c.id FROM customers c WHERE c.id > ?1 AND c.birthday IS NOT NULL"
                    " AND substr(c.birthday, 6, 5) IN (?6, coalesce(?7, ?6))" CS_UNSETTLED("c.id")
                    " ORDER BY c.id LIMIT ?2",
    [CS_LIFECYCLE] = "SELECT p.customer_id FROM profiles p WHERE p.lifecycle = ?6"
                     " AND p.customer_id > ?1" CS_UNSETTLED("p.customer_id")
                     " ORDER BY p.customer_id LIMIT ?2",
    [CS_CART] = "SELECT DISTINCT e.customer_id FROM events e WHERE e.type = 'add_to_cart'"
                " AND e.at >= ?6 AND e.at < ?7 AND e.customer_id > ?1" CS_UNSETTLED("e.customer_id")
                " ORDER BY e.customer_id LIMIT ?2",
    [CS_TAG] = "SELECT t.customer_id FROM customer_tags t WHERE t.tag = ?6"
               " AND t.customer_id > ?1" CS_UNSETTLED("t.customer_id")
               " ORDER BY t.customer_id LIMIT ?2",
    [CS_FACTS] = "SELECT c.marketing_opt_out, coalesce(c.name, ''),"
                 " coalesce(c.lang, (SELECT v.lang FROM conversations v WHERE v.customer_id = c.id"
                 "   ORDER BY v.updated_at DESC, v.created_at DESC LIMIT 1), ''),"
                 " coalesce((SELECT ch.name FROM conversations v JOIN channels ch"
                 "   ON ch.id = v.channel_id WHERE v.customer_id = c.id"
                 "   ORDER BY v.updated_at DESC, v.created_at DESC LIMIT 1), ''),"
                 " (SELECT count(*) FROM campaign_sends s WHERE s.customer_id = c.id"
                 "   AND s.status IN ('sent', 'sending') AND s.run_at > ?3),"
                 " coalesce((SELECT max(s.run_at) FROM campaign_sends s WHERE s.customer_id = c.id"
                 "   AND s.campaign = ?2 AND s.status IN ('sent', 'sending')), 0)"
                 " FROM customers c WHERE c.id = ?1",
    /* ?1 campaign ?2 customer ?3 run_at ?4 status ?5 reason ?6 since ?7 cap_max ?8 cap_since */
    [CS_RECORD] =
        "INSERT INTO campaign_sends (campaign, customer_id, run_at, status, reason)"
        " SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM campaign_sends s"
        "   WHERE s.customer_id = ?2 AND s.campaign = ?1 AND s.run_at > ?6"
        "   AND (s.status = ?4 OR (?4 = 'sending' AND s.status IN ('sent', 'sending'))))"
        " AND (?4 <> 'sending' OR ?7 <= 0 OR (SELECT count(*) FROM campaign_sends s"
        "   WHERE s.customer_id = ?2 AND s.status IN ('sent', 'sending') AND s.run_at > ?8) < ?7)",
    [CS_FINISH] = "UPDATE campaign_sends SET status = ?2, reason = ?3, conversation_id = ?4,"
                  " message_id = ?5 WHERE id = ?1 AND status = 'sending'",
    [CS_REPORT] = "SELECT campaign, status, count(*), max(run_at) FROM campaign_sends"
                  " WHERE run_at >= ?1 AND (?2 = 0 OR run_at < ?2)"
                  " GROUP BY campaign, status ORDER BY campaign, status",
};

static sqlite3_stmt *cs__stmt(struct sq_conn *c, enum cstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_CAMPAIGNS][id], cs_sql[id], err);
}

/* ---- candidates ----------------------------------------------------------- */

static int cs_candidates(struct kf_store *st, const struct kf_campaign_query *q, long long *ids,
                         size_t *n, struct kf_err *err)
{
    static const enum cstmt by_pick[] = {
        [KF_PICK_BIRTHDAY] = CS_BIRTHDAY,
        [KF_PICK_LIFECYCLE] = CS_LIFECYCLE,
        [KF_PICK_CART] = CS_CART,
        [KF_PICK_TAG] = CS_TAG,
    };
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *p = cs__stmt(c, by_pick[q->pick], err);
    int rc = KF_ESTORE;
    if (p != NULL) {
        sqlite3_bind_int64(p, 1, q->after_id);
        sqlite3_bind_int(p, 2, q->limit);
        sqlite3_bind_text(p, 3, q->campaign, -1, SQLITE_STATIC);
        sqlite3_bind_int64(p, 4, q->settled_since);
        sqlite3_bind_int64(p, 5, q->cap_since);
        switch (q->pick) {
        case KF_PICK_BIRTHDAY:
            sq__bind_text(p, 6, q->mmdd[0]);
            sq__bind_text(p, 7, q->mmdd[1]);
            break;
        case KF_PICK_LIFECYCLE:
            sq__bind_text(p, 6, q->stage);
            break;
        case KF_PICK_CART:
            sqlite3_bind_int64(p, 6, q->from);
            sqlite3_bind_int64(p, 7, q->to);
            break;
        case KF_PICK_TAG:
            sq__bind_text(p, 6, q->tag);
            break;
        }
        int r;
        while ((r = sqlite3_step(p)) == SQLITE_ROW && *n < (size_t)q->limit)
            ids[(*n)++] = sqlite3_column_int64(p, 0);
        sqlite3_reset(p);
        rc = r == SQLITE_ROW || r == SQLITE_DONE ? KF_OK : sq__error(c, err, "campaign candidates");
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- one customer's facts -------------------------------------------------- */

static void cs__copy(char *dst, size_t cap, sqlite3_stmt *q, int col)
{
    const char *v = (const char *)sqlite3_column_text(q, col);
    size_t n = v ? (size_t)sqlite3_column_bytes(q, col) : 0;
    if (n >= cap)
        n = 0; /* longer than any valid value: treat as absent */
    if (n > 0)
        memcpy(dst, v, n);
    dst[n] = '\0';
}

static int cs_facts(struct kf_store *st, long long customer_id, const char *campaign,
                    long long cap_since, struct kf_campaign_facts *out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = cs__stmt(c, CS_FACTS, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, customer_id);
        sqlite3_bind_text(q, 2, campaign, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, cap_since);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            out->opt_out = sqlite3_column_int(q, 0) != 0;
            cs__copy(out->name, sizeof out->name, q, 1);
            cs__copy(out->lang, sizeof out->lang, q, 2);
            cs__copy(out->channel, sizeof out->channel, q, 3);
            out->recent_sends = sqlite3_column_int64(q, 4);
            out->last_sent_at = sqlite3_column_int64(q, 5);
            rc = KF_OK;
        } else if (r == SQLITE_DONE) {
            rc = kf_errorf(err, KF_ENOTFOUND, "customer %lld not found", customer_id);
        } else {
            rc = sq__error(c, err, "campaign facts");
        }
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- the sends log --------------------------------------------------------- */

static int cs_record(struct kf_store *st, const struct kf_campaign_send *r, long long *id,
                     struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? cs__stmt(c, CS_RECORD, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, r->campaign, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, r->customer_id);
        sqlite3_bind_int64(q, 3, r->run_at);
        sqlite3_bind_text(q, 4, r->status, -1, SQLITE_STATIC);
        sq__bind_text(q, 5, r->reason);
        sqlite3_bind_int64(q, 6, r->since);
        sqlite3_bind_int(q, 7, r->cap_max);
        sqlite3_bind_int64(q, 8, r->cap_since);
        rc = sq__done(c, q, "record campaign send", err);
        if (rc == KF_OK && sqlite3_changes(c->db) > 0)
            *id = sqlite3_last_insert_rowid(c->db);
    }
    return sq__write_end(s, c, rc, err);
}

static int cs_finish(struct kf_store *st, long long id, const char *status, const char *reason,
                     const char *conversation_id, long long message_id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? cs__stmt(c, CS_FINISH, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
        sq__bind_text(q, 3, reason);
        sq__bind_text(q, 4, conversation_id);
        if (message_id > 0)
            sqlite3_bind_int64(q, 5, message_id);
        rc = sq__done(c, q, "finish campaign send", err);
        if (rc == KF_OK && sqlite3_changes(c->db) == 0)
            rc = kf_errorf(err, KF_ENOTFOUND, "campaign send %lld not found or not pending", id);
    }
    return sq__write_end(s, c, rc, err);
}

/* Add one (campaign, status, count, last run) row to the report's list. */
static int cs__report_row(json_t *list, sqlite3_stmt *q)
{
    const char *camp = (const char *)sqlite3_column_text(q, 0);
    const char *status = (const char *)sqlite3_column_text(q, 1);
    long long last = sqlite3_column_int64(q, 3);
    json_t *cur = json_array_get(list, json_array_size(list) - 1);
    if (cur == NULL ||
        strcmp(json_string_value(json_object_get(cur, "campaign")), camp ? camp : "") != 0) {
        cur = json_pack("{s:s, s:{}, s:I}", "campaign", camp ? camp : "", "counts",
                        "last_run_at", (json_int_t)0);
        if (cur == NULL || json_array_append_new(list, cur) != 0)
            return -1;
    }
    json_t *counts = json_object_get(cur, "counts");
    if (json_object_set_new(counts, status ? status : "", json_integer(sqlite3_column_int64(q, 2))))
        return -1;
    if (last > json_integer_value(json_object_get(cur, "last_run_at")))
        json_object_set_new(cur, "last_run_at", json_integer(last));
    return 0;
}

static int cs_report(struct kf_store *st, long long from, long long to, json_t **out,
                     struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *list = json_array();
    sqlite3_stmt *q = cs__stmt(c, CS_REPORT, err);
    int rc = q ? KF_OK : KF_ESTORE;
    if (rc == KF_OK && list == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        int r;
        while (rc == KF_OK && (r = sqlite3_step(q)) == SQLITE_ROW)
            if (cs__report_row(list, q) != 0)
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        if (rc == KF_OK && r != SQLITE_DONE)
            rc = sq__error(c, err, "campaign report");
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    if (rc == KF_OK && (*out = json_pack("{s:I, s:I, s:O}", "from", (json_int_t)from, "to",
                                         (json_int_t)to, "campaigns", list)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    json_decref(list);
    return rc;
}

const struct kf_campaign_ops kf_sqlite_campaign_ops = {
    .candidates = cs_candidates,
    .facts = cs_facts,
    .record = cs_record,
    .finish = cs_finish,
    .report = cs_report,
};
