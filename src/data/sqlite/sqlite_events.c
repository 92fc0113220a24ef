/*
 * sqlite_events.c — the SQLite half of events.h: events, profile states and
 * derived profiles, tags, segments, the churn distribution, and the shop's
 * orders and refunds turned into events.
 *
 * How it fits: events.c parses events and checks arguments, then calls this
 * table (kf_sqlite_events_ops, events_int.h). The fold and the derivation
 * are profile.h's (pure); this file reads and writes their inputs and
 * outputs. Schema: migration 4. The pool and write lock: sqlite_int.h.
 *
 * Design notes
 *  - An ingest is one write transaction for a batch. Each new event is
 *    inserted with INSERT OR IGNORE on its unique event_id (a duplicate
 *    changes nothing), then folded into its customer's state, which is kept
 *    in memory for the rest of the batch (a batch of 1000 events of 100
 *    customers reads and writes 100 states, not 1000). At the end every
 *    touched customer's profile is derived and written with its tags.
 *  - Bulk loads (kf_events_set_deferred) skip the fold and the profile
 *    writes — about 25 µs instead of 150 µs an event — and rebuild once.
 *  - The stored event is enriched: a view/click/add_to_cart gets the
 *    product's category and price (in `amount`), an order's items get their
 *    category and price (props.items), so a rebuild never joins products.
 *  - Conversions (L3) are marked in the same transaction: a click with
 *    rec_id marks that recommendation clicked; an order marks the customer's
 *    recommendations of its skus shown in the 7 days before it as bought.
 *  - The shop's orders and refunds become events by INSERT ... SELECT
 *    (ids "order:<no>", "refund:<no>"); a rebuild first drops such events
 *    whose order is gone (a reseeded demo shop).
 *  - The rebuild walks customers in id ranges; each range is one write
 *    transaction that reads the range's events, folds, derives and writes,
 *    so an ingest running beside it is never overwritten by a stale fold,
 *    and turns are never blocked for long.
 *  - Every statement is a fixed, prepared text (area_stmt[SQ_EVENTS]).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../events_int.h"
#include "kefu/log.h"
#include "kefu/mem.h"
#include "kefu/profile.h"
#include "sqlite_int.h"

#define EV_WINDOW_MS (7LL * 86400000LL) /* a recommendation converts within 7 days */
#define EV_RANGE 2000                   /* customers per rebuild transaction */

enum estmt {
    ES_CUSTOMER_EXISTS,
    ES_CHANNEL_ENSURE,
    ES_IDENTITY_FIND,
    ES_CUSTOMER_INSERT,
    ES_IDENTITY_INSERT,
    ES_PRODUCT,
    ES_INSERT,
    ES_ATTR_CUSTOMER,
    ES_REC_CLICK,
    ES_REC_BOUGHT,
    ES_REC_BOUGHT_ID,
    ES_STATE_GET,
    ES_CONTEXT,
    ES_PROFILE_UPSERT,
    ES_TAG_INSERT,
    ES_TAG_PRUNE,
    ES_TAGS_CLEAR,
    ES_CONV_CUSTOMER,
    ES_LIST,
    ES_COUNT,
    ES_SYNC_ORDERS,
    ES_SYNC_REFUNDS,
    ES_SYNC_STALE,
    ES_MAX_ID,
    ES_SINCE,
    ES_BY_ID,
    ES_CUSTOMER_COUNT,
    ES_CUSTOMER_RANGE,
    ES_RANGE_EVENTS,
    ES_SEG_TAG,
    ES_SEG_TAG_COUNT,
    ES_SEG_LIFECYCLE,
    ES_SEG_LIFECYCLE_COUNT,
    ES_SEG_RFM,
    ES_SEG_RFM_COUNT,
    ES_SUM_TAGS,
    ES_TAGGED,
    ES_SUM_LIFECYCLE,
    ES_SUM_RFM,
    ES_CHURN_BUCKETS,
    ES_CHURN_LEVELS,
    ES_CHURN_TOP,
    ES_PENDING_ADD,
    ES_PENDING_OF,
    ES_PENDING_DEL,
    ES_PENDING_DEL_RANGE,
    ES_PENDING_CUSTOMERS,
    ES__COUNT
};

_Static_assert(ES__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define EV_COLS "customer_id, type, at, channel, sku, category, amount, props"
#define SEG_COLS                                                                                   \
    "p.customer_id, c.name, p.lifecycle, p.rfm_segment, p.churn_score"

static const char *const es_sql[ES__COUNT] = {
    /* message events waiting to be folded (migration 6) */
    [ES_PENDING_ADD] = "INSERT INTO profile_pending (event_id, customer_id) VALUES (?1, ?2)",
    [ES_PENDING_OF] = "SELECT e.customer_id, e.type, e.at, e.channel, e.sku, e.category, e.amount,"
                      " e.props FROM profile_pending p JOIN events e ON e.id = p.event_id"
                      " WHERE p.customer_id = ?1 ORDER BY p.event_id",
    [ES_PENDING_DEL] = "DELETE FROM profile_pending WHERE customer_id = ?1",
    [ES_PENDING_DEL_RANGE] = "DELETE FROM profile_pending WHERE customer_id BETWEEN ?1 AND ?2",
    [ES_PENDING_CUSTOMERS] = "SELECT DISTINCT customer_id FROM profile_pending LIMIT ?1",
    [ES_CUSTOMER_EXISTS] = "SELECT 1 FROM customers WHERE id = ?1",
    [ES_CHANNEL_ENSURE] = "INSERT INTO channels (name, kind, created_at) VALUES (?1, 'events', ?2)"
                          " ON CONFLICT (name) DO NOTHING",
    [ES_IDENTITY_FIND] = "SELECT i.customer_id FROM customer_identities i JOIN channels ch"
                         " ON ch.id = i.channel_id WHERE ch.name = ?1 AND i.external_id = ?2",
    [ES_CUSTOMER_INSERT] = "INSERT INTO customers (name, created_at) VALUES (NULL, ?1)",
    [ES_IDENTITY_INSERT] = "INSERT INTO customer_identities (customer_id, channel_id, external_id,"
                           " created_at) VALUES (?1, (SELECT id FROM channels WHERE name = ?2),"
                           " ?3, ?4)",
    [ES_PRODUCT] = "SELECT category, price FROM products WHERE sku = ?1",
    [ES_INSERT] = "INSERT INTO events (event_id, customer_id, type, at, channel, sku, category,"
                  " query, amount, order_no, rec_id, props, received_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                  " ON CONFLICT (event_id) DO NOTHING",
    [ES_ATTR_CUSTOMER] =
        "UPDATE customers SET name = coalesce(?2, name), city = coalesce(?3, city),"
        " lang = coalesce(?4, lang), birthday = coalesce(?5, birthday),"
        " marketing_opt_out = coalesce(?6, marketing_opt_out) WHERE id = ?1",
    [ES_REC_CLICK] = "UPDATE recommendations SET clicked_at = ?3 WHERE id = ?1"
                     " AND (customer_id IS NULL OR customer_id = ?2) AND clicked_at IS NULL",
    [ES_REC_BOUGHT] = "UPDATE recommendations SET bought_at = ?4, order_no = ?5"
                      " WHERE customer_id = ?1 AND sku = ?2 AND bought_at IS NULL"
                      " AND created_at BETWEEN ?3 AND ?4",
    [ES_REC_BOUGHT_ID] = "UPDATE recommendations SET bought_at = ?3, order_no = ?4"
                         " WHERE id = ?1 AND (customer_id IS NULL OR customer_id = ?2)"
                         " AND bought_at IS NULL",
    [ES_STATE_GET] = "SELECT state FROM profiles WHERE customer_id = ?1",
    [ES_CONTEXT] =
        "SELECT c.created_at, c.birthday, c.marketing_opt_out, c.tier,"
        " (SELECT count(*) FROM tickets t WHERE t.customer_id = c.id"
        "   AND t.status IN ('open', 'pending', 'escalated')),"
        " (SELECT count(*) FROM tickets t WHERE t.customer_id = c.id"
        "   AND t.status IN ('open', 'pending', 'escalated') AND t.category = 'complaint')"
        " FROM customers c WHERE c.id = ?1",
    [ES_PROFILE_UPSERT] =
        "INSERT INTO profiles (customer_id, state, profile, lifecycle, rfm_segment, churn_score,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (customer_id) DO UPDATE SET"
        " state = excluded.state, profile = excluded.profile, lifecycle = excluded.lifecycle,"
        " rfm_segment = excluded.rfm_segment, churn_score = excluded.churn_score,"
        " updated_at = excluded.updated_at",
    [ES_TAG_INSERT] = "INSERT INTO customer_tags (tag, customer_id, since) VALUES (?1, ?2, ?3)"
                      " ON CONFLICT DO NOTHING",
    [ES_TAG_PRUNE] = "DELETE FROM customer_tags WHERE customer_id = ?1"
                     " AND tag NOT IN (SELECT value FROM json_each(?2))",
    [ES_TAGS_CLEAR] = "DELETE FROM customer_tags WHERE customer_id BETWEEN ?1 AND ?2"
                      " AND tag NOT IN (SELECT value FROM json_each(?3))",
    [ES_CONV_CUSTOMER] = "SELECT c.customer_id, ch.name FROM conversations c JOIN channels ch"
                         " ON ch.id = c.channel_id WHERE c.id = ?1",
    [ES_LIST] = "SELECT event_id, type, at, channel, sku, category, query, amount, order_no,"
                " rec_id, props AS \"props:json\" FROM events WHERE customer_id = ?1"
                " AND (?2 IS NULL OR type = ?2) ORDER BY at DESC, id DESC LIMIT ?3 OFFSET ?4",
    [ES_COUNT] = "SELECT count(*) FROM events WHERE customer_id = ?1 AND (?2 IS NULL OR type = ?2)",
    [ES_SYNC_ORDERS] =
        "INSERT INTO events (event_id, customer_id, type, at, channel, amount, order_no, props,"
        " received_at)"
        " SELECT 'order:' || o.order_no, o.customer_id, 'order', o.created_at, 'web', o.total,"
        " o.order_no, json_object('source', 'shop', 'items', (SELECT json_group_array("
        "   json_object('sku', i.sku, 'qty', i.qty, 'price', i.price, 'category', p.category))"
        "   FROM order_items i LEFT JOIN products p ON p.sku = i.sku WHERE i.order_id = o.id)),"
        " ?1 FROM orders o WHERE o.status <> 'cancelled'"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = 'order:' || o.order_no)"
        " ORDER BY o.id",
    [ES_SYNC_REFUNDS] =
        "INSERT INTO events (event_id, customer_id, type, at, channel, amount, order_no, props,"
        " received_at)"
        " SELECT 'refund:' || r.refund_no, o.customer_id, 'refund', r.created_at, 'web', r.amount,"
        " o.order_no, '{\"source\":\"shop\"}', ?1 FROM refunds r JOIN orders o ON o.id = r.order_id"
        " WHERE EXISTS (SELECT 1 FROM events e WHERE e.event_id = 'order:' || o.order_no)"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = 'refund:' || r.refund_no)"
        " ORDER BY r.id",
    [ES_SYNC_STALE] = "DELETE FROM events WHERE type IN ('order', 'refund')"
                      " AND (event_id LIKE 'order:%' OR event_id LIKE 'refund:%')"
                      " AND (order_no IS NULL OR order_no NOT IN (SELECT order_no FROM orders))",
    [ES_MAX_ID] = "SELECT coalesce(max(id), 0) FROM events",
    [ES_SINCE] = "SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ES_BY_ID] = "SELECT " EV_COLS ", order_no FROM events WHERE id = ?1",
    [ES_CUSTOMER_COUNT] = "SELECT count(*) FROM customers",
    [ES_CUSTOMER_RANGE] = "SELECT id FROM customers WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ES_RANGE_EVENTS] = "SELECT " EV_COLS " FROM events WHERE customer_id BETWEEN ?1 AND ?2"
                        " ORDER BY customer_id",
    [ES_SEG_TAG] = "SELECT " SEG_COLS ", t.since FROM customer_tags t"
                   " JOIN profiles p ON p.customer_id = t.customer_id"
                   " JOIN customers c ON c.id = t.customer_id WHERE t.tag = ?1"
                   " ORDER BY p.churn_score DESC, p.customer_id LIMIT ?2 OFFSET ?3",
    [ES_SEG_TAG_COUNT] = "SELECT count(*) FROM customer_tags WHERE tag = ?1",
    [ES_SEG_LIFECYCLE] = "SELECT " SEG_COLS ", p.updated_at AS since FROM profiles p"
                         " JOIN customers c ON c.id = p.customer_id WHERE p.lifecycle = ?1"
                         " ORDER BY p.churn_score DESC, p.customer_id LIMIT ?2 OFFSET ?3",
    [ES_SEG_LIFECYCLE_COUNT] = "SELECT count(*) FROM profiles WHERE lifecycle = ?1",
    [ES_SEG_RFM] = "SELECT " SEG_COLS ", p.updated_at AS since FROM profiles p"
                   " JOIN customers c ON c.id = p.customer_id WHERE p.rfm_segment = ?1"
                   " ORDER BY p.churn_score DESC, p.customer_id LIMIT ?2 OFFSET ?3",
    [ES_SEG_RFM_COUNT] = "SELECT count(*) FROM profiles WHERE rfm_segment = ?1",
    [ES_SUM_TAGS] = "SELECT tag, count(*) AS customers FROM customer_tags GROUP BY tag ORDER BY tag",
    [ES_TAGGED] = "SELECT count(DISTINCT customer_id) FROM customer_tags",
    [ES_SUM_LIFECYCLE] = "SELECT lifecycle, count(*) FROM profiles GROUP BY lifecycle",
    [ES_SUM_RFM] = "SELECT rfm_segment, count(*) FROM profiles GROUP BY rfm_segment",
    [ES_CHURN_BUCKETS] = "SELECT min(CAST(churn_score * 10 AS INTEGER), 9), count(*)"
                         " FROM profiles GROUP BY 1",
    [ES_CHURN_LEVELS] = "SELECT profile ->> '$.churn.level', count(*) FROM profiles GROUP BY 1",
    [ES_CHURN_TOP] = "SELECT p.customer_id, c.name, p.churn_score,"
                     " p.profile -> '$.churn.reasons' AS \"reasons:json\", p.lifecycle"
                     " FROM profiles p JOIN customers c ON c.id = p.customer_id"
                     " ORDER BY p.churn_score DESC, p.customer_id LIMIT ?1",
};

static sqlite3_stmt *es__stmt(struct sq_conn *c, enum estmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_EVENTS][id], es_sql[id], err);
}

/* ---- the profile rules --------------------------------------------------- */

static struct kf_profile_rules *es__defaults;
static pthread_once_t es__defaults_once = PTHREAD_ONCE_INIT;

static void es__make_defaults(void)
{
    es__defaults = kf_profile_rules_default();
}

static const struct kf_profile_rules *es__rules(struct sq_store *s)
{
    if (s->super.rules != NULL)
        return s->super.rules;
    pthread_once(&es__defaults_once, es__make_defaults);
    return es__defaults;
}

/* ---- states touched by a batch ------------------------------------------ */

struct es_touched {
    long long customer_id;
    struct kf_profile_state *state;
};

struct es_batch {
    struct es_touched *v;
    size_t n, cap;
};

static void es__batch_free(struct es_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        kf_profile_state_free(b->v[i].state);
    kf_free(b->v);
    memset(b, 0, sizeof *b);
}

/* Load a customer's stored state (an empty one when there is none). */
static int es__state_load(struct sq_conn *c, long long customer_id,
                          struct kf_profile_state **out, struct kf_err *err)
{
    *out = NULL;
    sqlite3_stmt *q = es__stmt(c, ES_STATE_GET, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, customer_id);
    int r = sqlite3_step(q);
    int rc = KF_OK;
    if (r == SQLITE_ROW) {
        json_t *j = json_loadb((const char *)sqlite3_column_text(q, 0),
                               (size_t)sqlite3_column_bytes(q, 0), 0, NULL);
        struct kf_err ignored = {0};
        /* a damaged state starts fresh; the next rebuild folds it again */
        if (j == NULL || kf_profile_state_from_json(j, out, &ignored) != KF_OK)
            *out = NULL;
        json_decref(j);
    } else if (r != SQLITE_DONE) {
        rc = sq__error(c, err, "read profile state");
    }
    sqlite3_reset(q);
    if (rc == KF_OK && *out == NULL && (*out = kf_profile_state_new()) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    return rc;
}

static int es__apply_pending(struct sq_conn *c, long long customer_id,
                             struct kf_profile_state *st, int drop, struct kf_err *err);

/* The batch's state of a customer, loaded on first touch. */
static int es__touch(struct sq_conn *c, struct es_batch *b, long long customer_id,
                     struct kf_profile_state **out, struct kf_err *err)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].customer_id == customer_id) {
            *out = b->v[i].state;
            return KF_OK;
        }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct es_touched *v = kf_realloc(b->v, cap * sizeof *v);
        if (v == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        b->v = v;
        b->cap = cap;
    }
    int rc = es__state_load(c, customer_id, out, err);
    /* the batch writes this state: what the queue holds goes in with it */
    if (rc == KF_OK)
        rc = es__apply_pending(c, customer_id, *out, 1, err);
    if (rc == KF_OK)
        b->v[b->n++] = (struct es_touched){customer_id, *out};
    else
        kf_profile_state_free(*out);
    return rc;
}

/* ---- deriving and writing a profile ------------------------------------- */

/* The facts of the customer record and open tickets (strings into buf). */
static int es__context(struct sq_conn *c, long long customer_id, struct kf_profile_context *ctx,
                       char *birthday, char *tier, struct kf_err *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->customer_id = customer_id;
    sqlite3_stmt *q = es__stmt(c, ES_CONTEXT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, customer_id);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        ctx->created_at = sqlite3_column_int64(q, 0);
        const char *b = (const char *)sqlite3_column_text(q, 1);
        if (b != NULL) {
            snprintf(birthday, 16, "%s", b);
            ctx->birthday = birthday;
        }
        ctx->opt_out = sqlite3_column_int(q, 2);
        const char *t = (const char *)sqlite3_column_text(q, 3);
        if (t != NULL) {
            snprintf(tier, 16, "%s", t);
            ctx->tier = tier;
        }
        ctx->open_tickets = sqlite3_column_int(q, 4);
        ctx->open_complaints = sqlite3_column_int(q, 5);
    }
    sqlite3_reset(q);
    if (r == SQLITE_DONE)
        return kf_errorf(err, KF_ENOTFOUND, "customer %lld not found", customer_id);
    return r == SQLITE_ROW ? KF_OK : sq__error(c, err, "read customer");
}

static json_t *es__derive(struct sq_store *s, const struct kf_profile_state *st,
                          const struct kf_profile_context *ctx, long long now)
{
    return kf_profile_derive(es__rules(s), st, ctx, now);
}

/* Write the state, the derived profile and its tags. */
static int es__write_profile(struct sq_store *s, struct sq_conn *c, long long customer_id,
                             const struct kf_profile_state *st, long long now,
                             struct kf_err *err)
{
    struct kf_profile_context ctx;
    char birthday[16], tier[16];
    int rc = es__context(c, customer_id, &ctx, birthday, tier, err);
    if (rc != KF_OK)
        return rc;
    json_t *state = kf_profile_state_json(st);
    json_t *prof = es__derive(s, st, &ctx, now);
    char *state_text = state ? json_dumps(state, JSON_COMPACT) : NULL;
    char *prof_text = prof ? json_dumps(prof, JSON_COMPACT) : NULL;
    json_t *tags = json_object_get(prof, "tags");
    char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : NULL;
    sqlite3_stmt *q = NULL;
    if (state_text == NULL || prof_text == NULL || tags_text == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    } else if ((q = es__stmt(c, ES_PROFILE_UPSERT, err)) == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_int64(q, 1, customer_id);
        sqlite3_bind_text(q, 2, state_text, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, prof_text, -1, SQLITE_STATIC);
        sq__bind_text(q, 4, json_string_value(json_object_get(prof, "lifecycle")));
        sq__bind_text(q, 5, json_string_value(
                                json_object_get(json_object_get(prof, "rfm"), "segment")));
        sqlite3_bind_double(q, 6, json_number_value(json_object_get(
                                      json_object_get(prof, "churn"), "score")));
        sqlite3_bind_int64(q, 7, now);
        rc = sq__done(c, q, "write profile", err);
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (rc != KF_OK || !json_is_string(t))
            break;
        if ((q = es__stmt(c, ES_TAG_INSERT, err)) == NULL) {
            rc = KF_ESTORE;
            break;
        }
        sqlite3_bind_text(q, 1, json_string_value(t), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, customer_id);
        sqlite3_bind_int64(q, 3, now);
        rc = sq__done(c, q, "write tag", err);
    }
    if (rc == KF_OK && (q = es__stmt(c, ES_TAG_PRUNE, err)) == NULL)
        rc = KF_ESTORE;
    else if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, customer_id);
        sqlite3_bind_text(q, 2, tags_text, -1, SQLITE_STATIC);
        rc = sq__done(c, q, "prune tags", err);
    }
    free(state_text);
    free(prof_text);
    free(tags_text);
    json_decref(state);
    json_decref(prof);
    return rc;
}

/* ---- folding a stored event ---------------------------------------------- */

/* A row of EV_COLS (from column `first`) folded into st. */
static int es__fold_row(sqlite3_stmt *q, int first, struct kf_profile_state *st,
                        struct kf_err *err)
{
    struct kf_profile_event pe = {0};
    pe.type = (const char *)sqlite3_column_text(q, first + 1);
    pe.at = sqlite3_column_int64(q, first + 2);
    pe.channel = (const char *)sqlite3_column_text(q, first + 3);
    pe.sku = (const char *)sqlite3_column_text(q, first + 4);
    pe.category = (const char *)sqlite3_column_text(q, first + 5);
    double amount = sqlite3_column_double(q, first + 6);
    int is_item = strcmp(pe.type, "view") == 0 || strcmp(pe.type, "click") == 0 ||
                  strcmp(pe.type, "add_to_cart") == 0;
    if (is_item)
        pe.price = amount; /* an item event's amount is the product's price */
    else
        pe.amount = amount;
    const char *props = (const char *)sqlite3_column_text(q, first + 7);
    json_t *pj = NULL;
    const char *cats[KF_EVENT_ITEMS_MAX];
    double prices[KF_EVENT_ITEMS_MAX];
    if (props != NULL && strcmp(props, "{}") != 0) {
        pj = json_loads(props, 0, NULL);
        json_t *items = json_object_get(pj, "items");
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            if (pe.nitem_categories >= KF_EVENT_ITEMS_MAX)
                break;
            cats[pe.nitem_categories] = json_string_value(json_object_get(it, "category"));
            prices[pe.nitem_categories] = json_number_value(json_object_get(it, "price"));
            pe.nitem_categories++;
            json_int_t qty = json_integer_value(json_object_get(it, "qty"));
            pe.items += qty > 0 ? (int)qty : 1;
        }
        pe.item_categories = cats;
        pe.item_prices = prices;
        pe.sentiment = json_string_value(json_object_get(pj, "sentiment"));
        pe.intent = json_string_value(json_object_get(pj, "intent"));
        pe.attributes = json_object_get(pj, "attributes");
    }
    if (strcmp(pe.type, "order") == 0 && pe.items == 0)
        pe.items = 1;
    int rc = kf_profile_apply(st, &pe, err);
    json_decref(pj);
    return rc;
}

/* Fold the customer's queued message events (profile_pending) into st;
 * with `drop`, also take them off the queue (the caller writes st in the
 * same transaction). */
static int es__apply_pending(struct sq_conn *c, long long customer_id,
                             struct kf_profile_state *st, int drop, struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_PENDING_OF, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, customer_id);
    int rc = KF_OK, r;
    while (rc == KF_OK && (r = sqlite3_step(q)) == SQLITE_ROW)
        rc = es__fold_row(q, 0, st, err);
    if (rc == KF_OK && r != SQLITE_DONE)
        rc = sq__error(c, err, "read queued events");
    sqlite3_reset(q);
    if (rc == KF_OK && drop) {
        if ((q = es__stmt(c, ES_PENDING_DEL, err)) == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, customer_id);
        rc = sq__done(c, q, "unqueue events", err);
    }
    return rc;
}

/* ---- ingest ----------------------------------------------------------------- */

/* The customer an event names: its id (which must exist) or its identity
 * on its channel (created on first sight). 0 with a message in ev_err. */
static int es__customer(struct sq_conn *c, const struct kf_event *ev, long long now,
                        long long *id, struct kf_err *ev_err, struct kf_err *err)
{
    *id = 0;
    sqlite3_stmt *q;
    if (ev->customer_id != 0) {
        long long found = 0;
        if ((q = es__stmt(c, ES_CUSTOMER_EXISTS, err)) == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, ev->customer_id);
        int rc = sq__int(c, q, &found, err);
        if (rc == KF_OK && found)
            *id = ev->customer_id;
        else if (rc == KF_OK)
            kf_errorf(ev_err, KF_EINVAL, "customer_id: no customer %lld", ev->customer_id);
        return rc;
    }
    if ((q = es__stmt(c, ES_IDENTITY_FIND, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, ev->channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, ev->external_id, -1, SQLITE_STATIC);
    int rc = sq__int(c, q, id, err);
    if (rc != KF_OK || *id != 0)
        return rc;
    if ((q = es__stmt(c, ES_CHANNEL_ENSURE, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, ev->channel, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    if ((rc = sq__done(c, q, "add channel", err)) != KF_OK)
        return rc;
    if ((q = es__stmt(c, ES_CUSTOMER_INSERT, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, ev->at < now ? ev->at : now);
    if ((rc = sq__done(c, q, "add customer", err)) != KF_OK)
        return rc;
    *id = sqlite3_last_insert_rowid(c->db);
    if ((q = es__stmt(c, ES_IDENTITY_INSERT, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, *id);
    sqlite3_bind_text(q, 2, ev->channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, ev->external_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, now);
    return sq__done(c, q, "add identity", err);
}

/* The catalogue's category and price of a sku (left as they are when the
 * sku is not in the products table). */
static int es__product(struct sq_conn *c, const char *sku, const char **category, double *price,
                       char *buf, size_t bufsize, struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_PRODUCT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, sku, -1, SQLITE_STATIC);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        const char *cat = (const char *)sqlite3_column_text(q, 0);
        if (*category == NULL && cat != NULL) {
            snprintf(buf, bufsize, "%s", cat);
            *category = buf;
        }
        if (*price <= 0)
            *price = sqlite3_column_double(q, 1);
    }
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? KF_OK : sq__error(c, err, "read product");
}

/* The event's props: order items enriched from the catalogue, attributes. */
static int es__props(struct sq_conn *c, const struct kf_event *ev, json_t *props,
                     struct kf_err *err)
{
    if (ev->nitems > 0) {
        json_t *items = json_array();
        if (items == NULL || json_object_set_new(props, "items", items) != 0)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        for (size_t i = 0; i < ev->nitems; i++) {
            const struct kf_event_item *it = &ev->items[i];
            const char *cat = NULL;
            double price = it->price;
            char buf[80];
            int rc = es__product(c, it->sku, &cat, &price, buf, sizeof buf, err);
            if (rc != KF_OK)
                return rc;
            json_t *o = json_pack("{s:s, s:i, s:f, s:s?}", "sku", it->sku, "qty", it->qty,
                                  "price", price, "category", cat);
            if (o == NULL || json_array_append_new(items, o) != 0)
                return kf_errorf(err, KF_ENOMEM, "out of memory");
        }
    }
    if (ev->attributes != NULL && json_object_set(props, "attributes", ev->attributes) != 0)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    return KF_OK;
}

/* Known attributes update the customer record. */
static int es__attributes(struct sq_conn *c, long long customer_id, json_t *attrs,
                          struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_ATTR_CUSTOMER, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, customer_id);
    sq__bind_text(q, 2, json_string_value(json_object_get(attrs, "name")));
    sq__bind_text(q, 3, json_string_value(json_object_get(attrs, "city")));
    sq__bind_text(q, 4, json_string_value(json_object_get(attrs, "lang")));
    sq__bind_text(q, 5, json_string_value(json_object_get(attrs, "birthday")));
    json_t *o = json_object_get(attrs, "marketing_opt_out");
    if (json_is_boolean(o))
        sqlite3_bind_int(q, 6, json_is_true(o));
    return sq__done(c, q, "update customer attributes", err);
}

/* A click or order converts recommendations (see the design notes). */
static int es__conversions(struct sq_conn *c, long long customer_id, const char *type,
                           long long at, long long rec_id, const char *order_no, json_t *items,
                           const char *sku, struct kf_err *err)
{
    sqlite3_stmt *q;
    int rc = KF_OK;
    if (strcmp(type, "click") == 0 && rec_id != 0) {
        if ((q = es__stmt(c, ES_REC_CLICK, err)) == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, rec_id);
        sqlite3_bind_int64(q, 2, customer_id);
        sqlite3_bind_int64(q, 3, at);
        return sq__done(c, q, "mark click", err);
    }
    if (strcmp(type, "order") != 0)
        return KF_OK;
    if (rec_id != 0) {
        if ((q = es__stmt(c, ES_REC_BOUGHT_ID, err)) == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, rec_id);
        sqlite3_bind_int64(q, 2, customer_id);
        sqlite3_bind_int64(q, 3, at);
        sq__bind_text(q, 4, order_no);
        if ((rc = sq__done(c, q, "mark bought", err)) != KF_OK)
            return rc;
    }
    size_t n = json_array_size(items);
    for (size_t i = 0; rc == KF_OK && i < (n ? n : 1); i++) {
        const char *s = n ? json_string_value(json_object_get(json_array_get(items, i), "sku"))
                          : sku;
        if (s == NULL)
            continue;
        if ((q = es__stmt(c, ES_REC_BOUGHT, err)) == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, customer_id);
        sqlite3_bind_text(q, 2, s, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, at - EV_WINDOW_MS);
        sqlite3_bind_int64(q, 4, at);
        sq__bind_text(q, 5, order_no);
        rc = sq__done(c, q, "mark bought", err);
    }
    return rc;
}

/* Insert one parsed event; *added is 0 for a duplicate id. */
static int es__insert(struct sq_conn *c, const struct kf_event *ev, long long customer_id,
                      long long now, int *added, struct kf_err *err)
{
    const char *category = ev->category;
    double amount = ev->amount;
    char buf[80];
    int is_item = strcmp(ev->type, "view") == 0 || strcmp(ev->type, "click") == 0 ||
                  strcmp(ev->type, "add_to_cart") == 0;
    int rc = KF_OK;
    if (is_item) {
        amount = 0; /* the stored amount of an item event is its price */
        rc = es__product(c, ev->sku, &category, &amount, buf, sizeof buf, err);
    }
    json_t *props = json_object();
    if (props == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK)
        rc = es__props(c, ev, props, err);
    char *props_text = rc == KF_OK ? json_dumps(props, JSON_COMPACT) : NULL;
    sqlite3_stmt *q = NULL;
    if (rc == KF_OK && props_text == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK && (q = es__stmt(c, ES_INSERT, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, ev->event_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, customer_id);
        sqlite3_bind_text(q, 3, ev->type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, ev->at);
        sq__bind_text(q, 5, ev->channel);
        sq__bind_text(q, 6, ev->sku);
        sq__bind_text(q, 7, category);
        sq__bind_text(q, 8, ev->query);
        if (is_item || ev->has_amount)
            sqlite3_bind_double(q, 9, amount);
        sq__bind_text(q, 10, ev->order_no);
        sq__bind_ms(q, 11, ev->rec_id);
        sqlite3_bind_text(q, 12, props_text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 13, now);
        rc = sq__done(c, q, "insert event", err);
        *added = rc == KF_OK && sqlite3_changes(c->db) > 0;
    }
    if (rc == KF_OK && *added && ev->attributes != NULL)
        rc = es__attributes(c, customer_id, ev->attributes, err);
    if (rc == KF_OK && *added)
        rc = es__conversions(c, customer_id, ev->type, ev->at, ev->rec_id, ev->order_no,
                             json_object_get(props, "items"), ev->sku, err);
    free(props_text);
    json_decref(props);
    return rc;
}

/* Fold the stored event `id` into its customer's batch state; mark: also
 * mark the conversions of an order (events written by SQL, not es__insert). */
static int es__fold_id(struct sq_conn *c, struct es_batch *b, long long id, int mark,
                       struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_BY_ID, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    int r = sqlite3_step(q);
    if (r != SQLITE_ROW) {
        sqlite3_reset(q);
        return r == SQLITE_DONE ? KF_OK : sq__error(c, err, "read event");
    }
    long long customer = sqlite3_column_int64(q, 0);
    struct kf_profile_state *st = NULL;
    /* es__touch may run other statements; this one stays on its row */
    int rc = es__touch(c, b, customer, &st, err);
    if (rc == KF_OK)
        rc = es__fold_row(q, 0, st, err);
    if (rc == KF_OK && mark && strcmp((const char *)sqlite3_column_text(q, 1), "order") == 0) {
        const char *props = (const char *)sqlite3_column_text(q, 7);
        json_t *pj = props ? json_loads(props, 0, NULL) : NULL;
        char order_no[80];
        const char *on = (const char *)sqlite3_column_text(q, 8);
        snprintf(order_no, sizeof order_no, "%s", on ? on : "");
        long long at = sqlite3_column_int64(q, 2);
        sqlite3_reset(q);
        rc = es__conversions(c, customer, "order", at, 0, order_no, json_object_get(pj, "items"),
                             NULL, err);
        json_decref(pj);
    }
    sqlite3_reset(q);
    return rc;
}

/* Fold the events with id > after (written by the shop sync) into the batch. */
static int es__fold_new(struct sq_conn *c, struct es_batch *b, long long after, int mark,
                        struct kf_err *err)
{
    long long ids[500];
    for (;;) {
        sqlite3_stmt *q = es__stmt(c, ES_SINCE, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, after);
        sqlite3_bind_int(q, 2, 500);
        int r, rows = 0, rc = KF_OK;
        while ((r = sqlite3_step(q)) == SQLITE_ROW)
            ids[rows++] = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        if (r != SQLITE_DONE)
            return sq__error(c, err, "read new events");
        for (int i = 0; rc == KF_OK && i < rows; i++)
            rc = es__fold_id(c, b, ids[i], mark, err);
        if (rc != KF_OK || rows < 500)
            return rc;
        after = ids[rows - 1];
    }
}

static int es__write_batch(struct sq_store *s, struct sq_conn *c, struct es_batch *b,
                           long long now, struct kf_err *err)
{
    int rc = KF_OK;
    for (size_t i = 0; rc == KF_OK && i < b->n; i++)
        rc = es__write_profile(s, c, b->v[i].customer_id, b->v[i].state, now, err);
    return rc;
}

static int sq_ev_ingest(struct kf_store *st, struct kf_event *evs, size_t n, long long now_ms,
                        enum kf_event_status *status, struct kf_err *errors,
                        struct kf_ingest_stats *stats, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    long long now = kf_time_now_ms();
    long long derive_at = now_ms > 0 ? now_ms : now;
    struct es_batch b = {0};
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    for (size_t i = 0; rc == KF_OK && i < n; i++) {
        struct kf_err ev_err = {0};
        long long customer = 0;
        int added = 0;
        enum kf_event_status result = KF_EVENT_REJECTED;
        rc = es__customer(c, &evs[i], now, &customer, &ev_err, err);
        if (rc == KF_OK && customer != 0)
            rc = es__insert(c, &evs[i], customer, now, &added, err);
        if (rc == KF_OK && added) {
            if (!s->super.events_deferred)
                rc = es__fold_id(c, &b, sqlite3_last_insert_rowid(c->db), 0, err);
            result = KF_EVENT_ADDED;
        } else if (rc == KF_OK && customer != 0) {
            result = KF_EVENT_DUPLICATE;
        }
        if (status != NULL)
            status[i] = result;
        if (errors != NULL)
            errors[i] = ev_err;
        stats->added += result == KF_EVENT_ADDED;
        stats->duplicates += result == KF_EVENT_DUPLICATE;
        stats->rejected += result == KF_EVENT_REJECTED;
    }
    if (rc == KF_OK)
        rc = es__write_batch(s, c, &b, derive_at, err);
    es__batch_free(&b);
    rc = sq__write_end(s, c, rc, err);
    if (rc != KF_OK)
        memset(stats, 0, sizeof *stats);
    return rc;
}

/* ---- conversation turns ------------------------------------------------------- */

int sq__events_turn(struct sq_store *s, struct sq_conn *c, const char *conversation_id,
                    long long message_id, long long at, const char *intent,
                    const char *sentiment, struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_CONV_CUSTOMER, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
    long long customer = 0;
    char channel[40] = "web";
    if (sqlite3_step(q) == SQLITE_ROW) {
        customer = sqlite3_column_int64(q, 0);
        snprintf(channel, sizeof channel, "%s", (const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_reset(q);
    if (customer == 0)
        return KF_OK;
    char id[40];
    snprintf(id, sizeof id, "msg:%lld", message_id);
    json_t *props = json_pack("{s:s?, s:s?}", "intent", intent, "sentiment", sentiment);
    char *props_text = props ? json_dumps(props, JSON_COMPACT) : NULL;
    json_decref(props);
    if (props_text == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = KF_OK;
    if ((q = es__stmt(c, ES_INSERT, err)) == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, customer);
        sqlite3_bind_text(q, 3, "message", -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, at);
        sqlite3_bind_text(q, 5, channel, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 12, props_text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 13, at);
        rc = sq__done(c, q, "insert message event", err);
    }
    free(props_text);
    if (rc != KF_OK || sqlite3_changes(c->db) == 0)
        return rc;
    /* folded later (kf_profiles_fold_pending) or by the next read or write
     * of this profile: the turn does not read or rewrite the profile */
    (void)s;
    if ((q = es__stmt(c, ES_PENDING_ADD, err)) == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(c->db));
    sqlite3_bind_int64(q, 2, customer);
    return sq__done(c, q, "queue message event", err);
}

/* ---- the shop's orders and refunds --------------------------------------------- */

static int sq_ev_sync_shop_in(struct sq_store *s, struct sq_conn *c, long long now,
                              long long derive_at, int fold, long long *added,
                              struct kf_err *err)
{
    long long before = 0;
    sqlite3_stmt *q = es__stmt(c, ES_MAX_ID, err);
    int rc = q ? sq__int(c, q, &before, err) : KF_ESTORE;
    *added = 0;
    /* a rebuild first drops the events of shop orders that are gone (a
     * reseeded demo shop); an incremental sync cannot take them back out of
     * the states, so it leaves them to the next rebuild */
    if (rc == KF_OK && !fold && (q = es__stmt(c, ES_SYNC_STALE, err)) == NULL)
        rc = KF_ESTORE;
    else if (rc == KF_OK && !fold)
        rc = sq__done(c, q, "drop stale shop events", err);
    if (rc == KF_OK && (q = es__stmt(c, ES_SYNC_ORDERS, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, now);
        rc = sq__done(c, q, "sync orders", err);
        *added += rc == KF_OK ? sqlite3_changes(c->db) : 0;
    }
    if (rc == KF_OK && (q = es__stmt(c, ES_SYNC_REFUNDS, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, now);
        rc = sq__done(c, q, "sync refunds", err);
        *added += rc == KF_OK ? sqlite3_changes(c->db) : 0;
    }
    if (rc == KF_OK && fold && *added > 0) {
        struct es_batch b = {0};
        rc = es__fold_new(c, &b, before, 1, err);
        if (rc == KF_OK)
            rc = es__write_batch(s, c, &b, derive_at, err);
        es__batch_free(&b);
    }
    return rc;
}

static int sq_ev_sync_shop(struct kf_store *st, long long now_ms, long long *added,
                           struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    long long now = kf_time_now_ms();
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = sq_ev_sync_shop_in(s, c, now, now_ms > 0 ? now_ms : now, 1, added, err);
    return sq__write_end(s, c, rc, err);
}

/* ---- reading ------------------------------------------------------------------ */

static int sq_ev_list(struct kf_store *st, long long customer_id, const char *type, int limit,
                      long long offset, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *items = NULL;
    long long total = 0;
    sqlite3_stmt *q = es__stmt(c, ES_LIST, err);
    int rc = q ? KF_OK : KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, customer_id);
        sq__bind_text(q, 2, type);
        sqlite3_bind_int(q, 3, limit);
        sqlite3_bind_int64(q, 4, offset);
        rc = sq__rows(c, q, &items, err);
    }
    if (rc == KF_OK && (q = es__stmt(c, ES_COUNT, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, customer_id);
        sq__bind_text(q, 2, type);
        rc = sq__int(c, q, &total, err);
    }
    sq__give_back(s, c);
    if (rc == KF_OK && (*out = json_pack("{s:o, s:I}", "items", items, "total",
                                         (json_int_t)total)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc != KF_OK && *out == NULL)
        json_decref(items);
    return rc;
}

static int sq_ev_profile_get(struct kf_store *st, long long customer_id, long long now_ms,
                             json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    struct kf_profile_context ctx;
    char birthday[16], tier[16];
    struct kf_profile_state *state = NULL;
    int rc = es__context(c, customer_id, &ctx, birthday, tier, err);
    if (rc == KF_OK)
        rc = es__state_load(c, customer_id, &state, err);
    if (rc == KF_OK) /* what the turns queued and the scheduler has not folded yet */
        rc = es__apply_pending(c, customer_id, state, 0, err);
    if (rc == KF_OK) {
        *out = es__derive(s, state, &ctx, now_ms > 0 ? now_ms : kf_time_now_ms());
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    kf_profile_state_free(state);
    sq__give_back(s, c);
    return rc;
}

/* ---- rebuild ------------------------------------------------------------------------ */

/* The next range of at most EV_RANGE customer ids after `after`: [*lo, *hi],
 * with the ids into ids[]. */
static int es__range(struct sq_conn *c, long long after, long long *ids, int *n,
                     struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, ES_CUSTOMER_RANGE, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, EV_RANGE);
    int r;
    *n = 0;
    while ((r = sqlite3_step(q)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? KF_OK : sq__error(c, err, "read customers");
}

/* The queued message events of up to `max` customers into their stored
 * profiles, in one write transaction. */
static int sq_ev_fold_pending(struct kf_store *st, int max, long long now_ms, int *folded,
                              struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    long long *ids = kf_calloc((size_t)max, sizeof *ids);
    if (ids == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    int n = 0;
    sqlite3_stmt *q = rc == KF_OK ? es__stmt(c, ES_PENDING_CUSTOMERS, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int(q, 1, max);
        int r;
        while (n < max && (r = sqlite3_step(q)) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(q, 0);
        if (n < max && r != SQLITE_DONE)
            rc = sq__error(c, err, "read queued customers");
        sqlite3_reset(q);
    }
    for (int i = 0; rc == KF_OK && i < n; i++) {
        struct kf_profile_state *state = NULL;
        rc = es__state_load(c, ids[i], &state, err);
        if (rc == KF_OK)
            rc = es__apply_pending(c, ids[i], state, 1, err);
        if (rc == KF_OK)
            rc = es__write_profile(s, c, ids[i], state, now_ms, err);
        kf_profile_state_free(state);
    }
    rc = sq__write_end(s, c, rc, err);
    kf_free(ids);
    *folded = rc == KF_OK ? n : 0;
    return rc;
}
/* Fold and write one range inside the open transaction. */
static int es__rebuild_range(struct sq_store *s, struct sq_conn *c, const long long *ids, int n,
                             long long now, struct kf_rebuild_stats *stats, struct kf_err *err)
{
    struct kf_profile_state **states = kf_calloc((size_t)n, sizeof *states);
    if (states == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = KF_OK;
    for (int i = 0; rc == KF_OK && i < n; i++)
        if ((states[i] = kf_profile_state_new()) == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    sqlite3_stmt *q = rc == KF_OK ? es__stmt(c, ES_RANGE_EVENTS, err) : NULL;
    if (rc == KF_OK && q == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, ids[0]);
        sqlite3_bind_int64(q, 2, ids[n - 1]);
        int r, at = 0;
        while (rc == KF_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
            long long cust = sqlite3_column_int64(q, 0);
            while (at < n && ids[at] < cust)
                at++;
            if (at < n && ids[at] == cust) {
                rc = es__fold_row(q, 0, states[at], err);
                stats->events++;
            }
        }
        sqlite3_reset(q);
        if (rc == KF_OK && r != SQLITE_DONE)
            rc = sq__error(c, err, "read events");
    }
    for (int i = 0; rc == KF_OK && i < n; i++)
        rc = es__write_profile(s, c, ids[i], states[i], now, err);
    /* every event of the range is in these states, the queued ones too */
    if (rc == KF_OK && n > 0 && (q = es__stmt(c, ES_PENDING_DEL_RANGE, err)) == NULL)
        rc = KF_ESTORE;
    else if (rc == KF_OK && n > 0) {
        sqlite3_bind_int64(q, 1, ids[0]);
        sqlite3_bind_int64(q, 2, ids[n - 1]);
        rc = sq__done(c, q, "unqueue rebuilt events", err);
    }
    for (int i = 0; i < n; i++)
        kf_profile_state_free(states[i]);
    kf_free(states);
    stats->customers += rc == KF_OK ? n : 0;
    return rc;
}

static int sq_ev_rebuild(struct kf_store *st, long long now_ms,
                         void (*progress)(long long done, long long total, void *arg), void *arg,
                         struct kf_rebuild_stats *stats, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    long long now = now_ms > 0 ? now_ms : kf_time_now_ms();
    long long added = 0, total = 0;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = sq_ev_sync_shop_in(s, c, kf_time_now_ms(), now, 0, &added, err);
    sqlite3_stmt *q = rc == KF_OK ? es__stmt(c, ES_CUSTOMER_COUNT, err) : NULL;
    if (rc == KF_OK)
        rc = q ? sq__int(c, q, &total, err) : KF_ESTORE;
    rc = sq__write_end(s, c, rc, err);
    long long *ids = kf_calloc(EV_RANGE, sizeof *ids);
    if (rc == KF_OK && ids == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    long long after = 0;
    while (rc == KF_OK) {
        int n = 0;
        c = sq__write_begin(s, &rc, err);
        if (rc == KF_OK)
            rc = es__range(c, after, ids, &n, err);
        if (rc == KF_OK && n > 0)
            rc = es__rebuild_range(s, c, ids, n, now, stats, err);
        rc = sq__write_end(s, c, rc, err);
        if (rc != KF_OK || n == 0)
            break;
        after = ids[n - 1];
        if (progress != NULL)
            progress(stats->customers, total, arg);
    }
    kf_free(ids);
    if (rc == KF_OK) {
        c = sq__borrow(s);
        q = es__stmt(c, ES_TAGGED, err);
        rc = q ? sq__int(c, q, &stats->tagged, err) : KF_ESTORE;
        sq__give_back(s, c);
    }
    return rc;
}

/* ---- segments and churn -------------------------------------------------------------- */

static int es__paged(struct sq_conn *c, enum estmt list, enum estmt count, const char *key,
                     int limit, long long offset, json_t **items, long long *total,
                     struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, list, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, limit);
    sqlite3_bind_int64(q, 3, offset);
    int rc = sq__rows(c, q, items, err);
    if (rc == KF_OK && (q = es__stmt(c, count, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        rc = sq__int(c, q, total, err);
    }
    return rc;
}

static int sq_ev_segment(struct kf_store *st, const char *tag, int limit, long long offset,
                         json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *items = NULL;
    long long total = 0;
    int rc;
    if (strncmp(tag, "lifecycle:", 10) == 0)
        rc = es__paged(c, ES_SEG_LIFECYCLE, ES_SEG_LIFECYCLE_COUNT, tag + 10, limit, offset,
                       &items, &total, err);
    else if (strncmp(tag, "rfm:", 4) == 0)
        rc = es__paged(c, ES_SEG_RFM, ES_SEG_RFM_COUNT, tag + 4, limit, offset, &items, &total,
                       err);
    else
        rc = es__paged(c, ES_SEG_TAG, ES_SEG_TAG_COUNT, tag, limit, offset, &items, &total, err);
    sq__give_back(s, c);
    if (rc == KF_OK && (*out = json_pack("{s:s, s:o, s:I}", "tag", tag, "items", items, "total",
                                         (json_int_t)total)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc != KF_OK && *out == NULL)
        json_decref(items);
    return rc;
}

/* Rows of (text, count) into an object. */
static int es__counts(struct sq_conn *c, enum estmt id, json_t *into, struct kf_err *err)
{
    sqlite3_stmt *q = es__stmt(c, id, err);
    if (q == NULL)
        return KF_ESTORE;
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0);
        json_object_set_new(into, k ? k : "unknown", json_integer(sqlite3_column_int64(q, 1)));
    }
    sqlite3_reset(q);
    return r == SQLITE_DONE ? KF_OK : sq__error(c, err, "read counts");
}

static int sq_ev_segments_summary(struct kf_store *st, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *tags = NULL, *life = json_object(), *rfm = json_object();
    sqlite3_stmt *q = es__stmt(c, ES_SUM_TAGS, err);
    int rc = q ? sq__rows(c, q, &tags, err) : KF_ESTORE;
    if (rc == KF_OK)
        rc = es__counts(c, ES_SUM_LIFECYCLE, life, err);
    if (rc == KF_OK)
        rc = es__counts(c, ES_SUM_RFM, rfm, err);
    sq__give_back(s, c);
    if (rc == KF_OK)
        *out = json_pack("{s:o, s:O, s:O}", "tags", tags, "lifecycle", life, "rfm", rfm);
    else
        json_decref(tags);
    json_decref(life);
    json_decref(rfm);
    if (rc == KF_OK && *out == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    return rc;
}

static int sq_ev_churn(struct kf_store *st, int top, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    long long counts[10] = {0};
    json_t *levels = json_object(), *riskiest = NULL, *buckets = json_array();
    sqlite3_stmt *q = es__stmt(c, ES_CHURN_BUCKETS, err);
    int rc = q ? KF_OK : KF_ESTORE, r = SQLITE_DONE;
    while (rc == KF_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        int b = sqlite3_column_int(q, 0);
        counts[b < 0 ? 0 : b > 9 ? 9 : b] += sqlite3_column_int64(q, 1);
    }
    if (q != NULL)
        sqlite3_reset(q);
    if (rc == KF_OK && r != SQLITE_DONE)
        rc = sq__error(c, err, "read churn buckets");
    if (rc == KF_OK)
        rc = es__counts(c, ES_CHURN_LEVELS, levels, err);
    if (rc == KF_OK && (q = es__stmt(c, ES_CHURN_TOP, err)) == NULL)
        rc = KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int(q, 1, top);
        rc = sq__rows(c, q, &riskiest, err);
    }
    sq__give_back(s, c);
    for (int i = 0; rc == KF_OK && i < 10; i++)
        json_array_append_new(buckets, json_pack("{s:f, s:f, s:I}", "from", i / 10.0, "to",
                                                 (i + 1) / 10.0, "customers",
                                                 (json_int_t)counts[i]));
    if (rc == KF_OK && (*out = json_pack("{s:O, s:O, s:o}", "buckets", buckets, "levels", levels,
                                         "riskiest", riskiest)) == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc != KF_OK)
        json_decref(riskiest);
    json_decref(buckets);
    json_decref(levels);
    return rc;
}

const struct kf_events_ops kf_sqlite_events_ops = {
    .ingest = sq_ev_ingest,
    .sync_shop = sq_ev_sync_shop,
    .list = sq_ev_list,
    .profile_get = sq_ev_profile_get,
    .rebuild = sq_ev_rebuild,
    .fold_pending = sq_ev_fold_pending,
    .segment = sq_ev_segment,
    .segments_summary = sq_ev_segments_summary,
    .churn = sq_ev_churn,
};
