/*
 * sqlite_experiments.c — the SQLite half of experiment.h: exposures
 * (experiment_assignments) and the per-variant counts behind the report.
 *
 * How it fits: experiment.c computes rates and tests from these counts
 * (experiment_int.h); the pool and the write lock are sqlite_store.c's
 * (sqlite_int.h). Schema: migration 5 (experiment_assignments) over the
 * conversations, csat, recommendations, events, dialog_turns and
 * handoff_requests of earlier migrations.
 *
 * Definitions (docs/experiments.md), per exposed conversation a (assigned
 * at a.assigned_at):
 *   converted  a recommendation logged in that conversation at or after the
 *              exposure was clicked or bought, or the customer has an order
 *              event within 7 days after the exposure;
 *   handoff    the conversation reached a human: handoff_at is set, its
 *              status is handoff, or it has a handoff request;
 *   resolved   closed with resolution 'resolved', or — never handed off — a
 *              bot turn at or after the exposure ended with outcome resolved;
 *   CSAT       the conversation's rating, if any.
 *
 * Design notes
 *  - One grouped query; each flag is a correlated EXISTS on an index
 *    (recommendations_customer, events_customer, dialog_turns_conversation),
 *    handoff requests are read once as a set of conversation ids.
 *  - Exposure is INSERT OR IGNORE on (experiment, conversation_id): the
 *    first turn that reached the behaviour decides.
 */
#include <string.h>

#include "../experiment_int.h"
#include "sqlite_int.h"

enum xstmt { XS_EXPOSE, XS_COUNTS, XS__COUNT };

_Static_assert(XS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define XS_WEEK_MS "604800000"

static const char *const xs_sql[XS__COUNT] = {
    [XS_EXPOSE] = "INSERT OR IGNORE INTO experiment_assignments"
                  " (experiment, conversation_id, customer_id, variant, assigned_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
    [XS_COUNTS] =
        "WITH h AS (SELECT DISTINCT conversation_id AS id FROM handoff_requests),"
        " x AS (SELECT a.variant, a.customer_id,"
        "  (EXISTS (SELECT 1 FROM recommendations r WHERE r.customer_id = a.customer_id"
        "     AND r.conversation_id = a.conversation_id AND r.created_at >= a.assigned_at"
        "     AND (r.clicked_at IS NOT NULL OR r.bought_at IS NOT NULL))"
        "   OR EXISTS (SELECT 1 FROM events e WHERE e.customer_id = a.customer_id"
        "     AND e.type = 'order' AND e.at >= a.assigned_at"
        "     AND e.at < a.assigned_at + " XS_WEEK_MS ")) AS converted,"
        "  (c.handoff_at IS NOT NULL OR c.status = 'handoff'"
        "   OR a.conversation_id IN (SELECT id FROM h)) AS handed,"
        "  s.score AS score,"
        "  c.resolution AS resolution,"
        "  EXISTS (SELECT 1 FROM dialog_turns t WHERE t.conversation_id = a.conversation_id"
        "     AND t.outcome = 'resolved' AND t.created_at >= a.assigned_at) AS bot_resolved"
        "  FROM experiment_assignments a JOIN conversations c ON c.id = a.conversation_id"
        "  LEFT JOIN csat s ON s.conversation_id = a.conversation_id"
        "  WHERE a.experiment = ?1 AND a.assigned_at >= ?2 AND (?3 = 0 OR a.assigned_at < ?3))"
        " SELECT variant, count(*) AS conversations, count(DISTINCT customer_id) AS customers,"
        "  sum(converted) AS conversions,"
        "  sum(resolution = 'resolved' OR (NOT handed AND bot_resolved)) AS resolved,"
        "  sum(handed) AS handoffs, count(score) AS csat_count,"
        "  coalesce(sum(score), 0) AS csat_sum"
        " FROM x GROUP BY variant ORDER BY variant",
};

static sqlite3_stmt *xs__stmt(struct sq_conn *c, enum xstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_EXPERIMENTS][id], xs_sql[id], err);
}

static int xs_expose(struct kf_store *st, const char *experiment, const char *conversation_id,
                     long long customer_id, const char *variant, long long now_ms, int *inserted,
                     struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? xs__stmt(c, XS_EXPOSE, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, experiment, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, conversation_id, -1, SQLITE_STATIC);
        if (customer_id > 0)
            sqlite3_bind_int64(q, 3, customer_id);
        sqlite3_bind_text(q, 4, variant, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, now_ms);
        rc = sq__done(c, q, "experiment exposure", err);
        *inserted = rc == KF_OK && sqlite3_changes(c->db) > 0;
    }
    return sq__write_end(s, c, rc, err);
}

static int xs_counts(struct kf_store *st, const char *experiment, long long from, long long to,
                     json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = xs__stmt(c, XS_COUNTS, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sqlite3_bind_text(q, 1, experiment, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, from);
        sqlite3_bind_int64(q, 3, to);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

const struct kf_experiment_ops kf_sqlite_experiment_ops = {
    .expose = xs_expose,
    .counts = xs_counts,
};
