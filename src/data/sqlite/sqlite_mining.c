/*
 * sqlite_mining.c — the SQLite half of association rules (mining.h): order
 * baskets read from the events table, rule sets saved as versions, and the
 * look-ups of cross-sell and --explain.
 *
 * How it fits: mining.c checks arguments and calls this table
 * (kf_sqlite_mining_ops, mining_int.h); connections, statement slots
 * (area_stmt[SQ_MINING]) and the write lock are sqlite_store.c's
 * (sqlite_int.h). Schema: migration 4 (rule_sets, assoc_rules,
 * assoc_rule_items).
 *
 * Design notes
 *  - Baskets: an order event's props hold {"items":[{"sku","category",..}]}
 *    (events.h); json_each walks the items and the level picks the key (the
 *    JSON path is bound, the text is fixed). Rows come ordered by the
 *    events_type index (type, at, rowid), so one event's items are
 *    adjacent and no sort is needed.
 *  - A rule set is one row of rule_sets (version = its rowid), its rules
 *    numbered 1..n best first in assoc_rules (antecedent and consequent as
 *    JSON arrays of names), and every item of every rule in
 *    assoc_rule_items, so the rules mentioning an item are an index range.
 *    Saving and activating happen in one transaction each: a reader sees
 *    the old active set or the new one, never none.
 *  - Cross-sell asks the index for the rules mentioning any given item,
 *    then keeps those whose whole antecedent is among the items and whose
 *    consequent is not (json_each over the rule and over the bound item
 *    array), best first by lift × confidence.
 */
#include <stdlib.h>
#include <string.h>

#include "../mining_int.h"
#include "kefu/mem.h"
#include "sqlite_int.h"

enum mstmt {
    MS_BASKETS,
    MS_SET_INSERT,
    MS_RULE_INSERT,
    MS_ITEM_INSERT,
    MS_ACTIVATE,
    MS_EXISTS,
    MS_VERSIONS,
    MS_EXPLAIN,
    MS_CROSS_SELL,
    MS__COUNT
};

_Static_assert(MS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define RULE_COLS                                                                                  \
    "r.antecedent AS \"antecedent:json\", r.consequent AS \"consequent:json\", r.support,"         \
    " r.confidence, r.lift, r.count, r.id AS rule_id, r.version"
#define ACTIVE_SET " FROM rule_sets s JOIN assoc_rules r ON r.version = s.version"               \
                   " WHERE s.level = ?1 AND s.active = 1"

static const char *const mstmt_sql[MS__COUNT] = {
    [MS_BASKETS] = "SELECT e.id, json_extract(j.value, ?1)"
                   " FROM events e, json_each(e.props, '$.items') j"
                   " WHERE e.type = 'order' AND json_valid(e.props) AND j.type = 'object'"
                   " ORDER BY e.type, e.at, e.id",
    [MS_SET_INSERT] = "INSERT INTO rule_sets (level, created_at, params, baskets, nrules, active)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, 0)",
    [MS_RULE_INSERT] = "INSERT INTO assoc_rules (version, id, antecedent, consequent, support,"
                       " confidence, lift, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [MS_ITEM_INSERT] = "INSERT OR IGNORE INTO assoc_rule_items (version, item, rule_id)"
                       " VALUES (?1, ?2, ?3)",
    [MS_ACTIVATE] = "UPDATE rule_sets SET active = (version = ?1)"
                    " WHERE level = (SELECT level FROM rule_sets WHERE version = ?1)",
    [MS_EXISTS] = "SELECT COUNT(*) FROM rule_sets WHERE version = ?1",
    [MS_VERSIONS] = "SELECT version, level, created_at, params AS \"params:json\", baskets,"
                    " nrules, active FROM rule_sets WHERE (?1 IS NULL OR level = ?1)"
                    " ORDER BY version DESC",
    [MS_EXPLAIN] = "SELECT " RULE_COLS ACTIVE_SET
                   " AND r.id IN (SELECT i.rule_id FROM assoc_rule_items i"
                   "   WHERE i.version = s.version AND i.item = ?2)"
                   " ORDER BY r.lift * r.confidence DESC, r.id LIMIT ?3",
    [MS_CROSS_SELL] = "SELECT " RULE_COLS ACTIVE_SET
                      " AND r.id IN (SELECT i.rule_id FROM assoc_rule_items i"
                      "   WHERE i.version = s.version"
                      "   AND i.item IN (SELECT value FROM json_each(?2)))"
                      " AND NOT EXISTS (SELECT 1 FROM json_each(r.antecedent) a"
                      "   WHERE a.value NOT IN (SELECT value FROM json_each(?2)))"
                      " AND NOT EXISTS (SELECT 1 FROM json_each(r.consequent) q"
                      "   WHERE q.value IN (SELECT value FROM json_each(?2)))"
                      " ORDER BY r.lift * r.confidence DESC, r.id LIMIT ?3",
};

static sqlite3_stmt *ms__stmt(struct sq_conn *c, enum mstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_MINING][id], mstmt_sql[id], err);
}

/* ---- baskets ------------------------------------------------------------ */

/* Close the basket being gathered (ids[0..*n)) into b. */
static int ms__flush(struct kf_baskets *b, uint32_t *ids, size_t *n, struct kf_err *err)
{
    int rc = kf_baskets_add_ids(b, ids, *n, err);
    *n = 0;
    return rc;
}

static int ms__baskets(struct kf_store *st, const char *level, struct kf_baskets *b,
                       struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    uint32_t *ids = kf_malloc(KF_MINE_BASKET_MAX * sizeof *ids);
    sqlite3_stmt *q = ids ? ms__stmt(c, MS_BASKETS, err) : NULL;
    int rc = ids == NULL ? kf_errorf(err, KF_ENOMEM, "out of memory") : q ? KF_OK : KF_ESTORE;
    if (q != NULL)
        sq__bind_text(q, 1, strcmp(level, "sku") == 0 ? "$.sku" : "$.category");
    long long cur = -1;
    size_t n = 0;
    int r = SQLITE_DONE;
    while (rc == KF_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        long long ev = sqlite3_column_int64(q, 0);
        if (ev != cur && cur != -1)
            rc = ms__flush(b, ids, &n, err);
        cur = ev;
        const char *name = (const char *)sqlite3_column_text(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        if (rc != KF_OK || name == NULL || len == 0)
            continue;
        if (n == KF_MINE_BASKET_MAX)
            rc = kf_errorf(err, KF_ETOOBIG, "more than %d items", KF_MINE_BASKET_MAX);
        else
            rc = kf_baskets_item(b, name, len, &ids[n++], err);
        if (rc != KF_OK)
            kf_err_prefix(err, "order event %lld", ev);
    }
    if (rc == KF_OK && r != SQLITE_DONE)
        rc = sq__error(c, err, "read order baskets");
    if (rc == KF_OK && cur != -1)
        rc = ms__flush(b, ids, &n, err);
    if (q != NULL)
        sqlite3_reset(q);
    sq__give_back(s, c);
    kf_free(ids);
    return rc;
}

/* ---- saving ------------------------------------------------------------- */

/* items[0..n) as a JSON array of names (malloc'd text), or NULL. */
static char *ms__names(const struct kf_baskets *b, const uint32_t *items, int n, json_t **arr)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++) {
        const char *name = kf_baskets_name(b, items[i]);
        if (name == NULL || json_array_append_new(a, json_string(name)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    *arr = a;
    return s;
}

static int ms__index_items(struct sq_conn *c, long long version, long long id, json_t *items,
                           struct kf_err *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        sqlite3_stmt *q = ms__stmt(c, MS_ITEM_INSERT, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, version);
        sq__bind_text(q, 2, json_string_value(v));
        sqlite3_bind_int64(q, 3, id);
        int rc = sq__done(c, q, "save rule item", err);
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

static int ms__save_rule(struct sq_conn *c, const struct kf_rule_set_write *w, long long version,
                         size_t i, struct kf_err *err)
{
    const struct kf_rule *ru = &w->r->rules[i];
    json_t *ante = NULL, *cons = NULL;
    char *a = ms__names(w->b, ru->antecedent, ru->nante, &ante);
    char *q_ = ms__names(w->b, ru->consequent, ru->ncons, &cons);
    int rc = KF_OK;
    sqlite3_stmt *q = NULL;
    if (a == NULL || q_ == NULL)
        rc = kf_errorf(err, KF_EINVAL, "rule %zu: an item has no name", i + 1);
    else if ((q = ms__stmt(c, MS_RULE_INSERT, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, version);
        sqlite3_bind_int64(q, 2, (long long)i + 1);
        sq__bind_text(q, 3, a);
        sq__bind_text(q, 4, q_);
        sqlite3_bind_double(q, 5, ru->support);
        sqlite3_bind_double(q, 6, ru->confidence);
        sqlite3_bind_double(q, 7, ru->lift);
        sqlite3_bind_int64(q, 8, ru->count);
        rc = sq__done(c, q, "save rule", err);
    }
    if (rc == KF_OK)
        rc = ms__index_items(c, version, (long long)i + 1, ante, err);
    if (rc == KF_OK)
        rc = ms__index_items(c, version, (long long)i + 1, cons, err);
    free(a); /* jansson's allocator */
    free(q_);
    json_decref(ante);
    json_decref(cons);
    return rc;
}

/* Make version the only active set of its level (inside a transaction). */
static int ms__activate_in(struct sq_conn *c, long long version, struct kf_err *err)
{
    sqlite3_stmt *q = ms__stmt(c, MS_EXISTS, err);
    long long n = 0;
    int rc = q ? (sqlite3_bind_int64(q, 1, version), sq__int(c, q, &n, err)) : KF_ESTORE;
    if (rc == KF_OK && n == 0)
        rc = kf_errorf(err, KF_ENOTFOUND, "rule set version %lld not found", version);
    if (rc == KF_OK && (q = ms__stmt(c, MS_ACTIVATE, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, version);
        rc = sq__done(c, q, "activate rule set", err);
    }
    return rc;
}

static int ms__save(struct kf_store *st, const struct kf_rule_set_write *w, long long *version,
                    struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *q = rc == KF_OK ? ms__stmt(c, MS_SET_INSERT, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sq__bind_text(q, 1, w->level);
        sqlite3_bind_int64(q, 2, w->created_at);
        sq__bind_text(q, 3, w->params_json);
        sqlite3_bind_int64(q, 4, (long long)w->r->baskets);
        sqlite3_bind_int64(q, 5, (long long)w->r->nrules);
        rc = sq__done(c, q, "save rule set", err);
    }
    long long v = rc == KF_OK ? sqlite3_last_insert_rowid(c->db) : 0;
    for (size_t i = 0; rc == KF_OK && i < w->r->nrules; i++)
        rc = ms__save_rule(c, w, v, i, err);
    if (rc == KF_OK)
        rc = ms__activate_in(c, v, err);
    rc = sq__write_end(s, c, rc, err);
    *version = rc == KF_OK ? v : 0;
    return rc;
}

static int ms__activate(struct kf_store *st, long long version, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = ms__activate_in(c, version, err);
    return sq__write_end(s, c, rc, err);
}

/* ---- reading ------------------------------------------------------------ */

static int ms__versions(struct kf_store *st, const char *level, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = ms__stmt(c, MS_VERSIONS, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sq__bind_text(q, 1, level);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int ms__explain(struct kf_store *st, const char *level, const char *item, int limit,
                       json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = ms__stmt(c, MS_EXPLAIN, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sq__bind_text(q, 1, level);
        sq__bind_text(q, 2, item);
        sqlite3_bind_int(q, 3, limit);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int ms__cross_sell(struct kf_store *st, const char *level, json_t *items, int limit,
                          json_t **out, struct kf_err *err)
{
    char *text = json_dumps(items, JSON_COMPACT);
    if (text == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = ms__stmt(c, MS_CROSS_SELL, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sq__bind_text(q, 1, level);
        sq__bind_text(q, 2, text);
        sqlite3_bind_int(q, 3, limit);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    free(text);
    return rc;
}

const struct kf_mining_ops kf_sqlite_mining_ops = {
    .baskets = ms__baskets,
    .save = ms__save,
    .activate = ms__activate,
    .versions = ms__versions,
    .explain = ms__explain,
    .cross_sell = ms__cross_sell,
};
