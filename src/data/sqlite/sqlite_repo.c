/*
 * sqlite_repo.c — the SQLite half of repo.h: products, orders (items,
 * shipment, payment, refunds, returns), tickets (comments, history), the
 * CRM view of customers, and the writer of the demo seed.
 *
 * How it fits: repo.c checks plain arguments and calls this table
 * (kf_sqlite_repo_ops, repo_int.h); the connection pool and the write lock
 * are sqlite_store.c's (sqlite_int.h). Schema: migration 3.
 *
 * Design notes
 *  - Every statement is a fixed, prepared text (cached per connection in
 *    repo_stmt[]); optional filters are written "(?N IS NULL OR col = ?N)",
 *    so no SQL is ever built from input.
 *  - Rows become JSON by their column names: a column "x" becomes key "x",
 *    "x:json" is JSON text parsed into key "x", and "_x" is read by the code
 *    but left out of the record (internal ids). So a record's shape is
 *    written once, in its SELECT.
 *  - Writes take the store's write lock, then BEGIN IMMEDIATE on the
 *    borrowed connection (sq__write_begin/end, sqlite_util.c): they queue fairly with the
 *    group-committed turns and never wait in SQLite's busy handler. The
 *    record a write returns is read inside the same transaction.
 *  - Input text is bounded (KF_REPO_TEXT_MAX bytes); unknown keys in a
 *    query, filter or patch are KF_EINVAL naming the key (typos fail loudly).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../repo_int.h"
#include "kefu/log.h"
#include "kefu/mem.h"
#include "sqlite_int.h"

enum rstmt {
    RS_PRODUCT_GET,
    RS_PRODUCT_LIST_PRICE,
    RS_PRODUCT_LIST_POPULAR,
    RS_PRODUCT_COUNT,
    RS_ORDER_GET,
    RS_ORDER_ITEMS,
    RS_ORDER_SHIPMENT,
    RS_ORDER_PAYMENT,
    RS_ORDER_REFUNDS,
    RS_ORDER_RETURNS,
    RS_ORDER_LIST,
    RS_ORDER_ITEMS_SHORT,
    RS_ORDER_SET_STATUS,
    RS_ORDER_SET_ADDRESS,
    RS_PAYMENT_SET_STATUS,
    RS_REFUND_COUNT,
    RS_REFUND_INSERT,
    RS_RETURN_COUNT,
    RS_RETURN_INSERT,
    RS_ITEM_HAS_SKU,
    RS_ITEM_SKUS,
    RS_TICKET_INSERT,
    RS_TICKET_GET,
    RS_TICKET_COMMENTS,
    RS_TICKET_HISTORY,
    RS_TICKET_LIST,
    RS_TICKET_COUNT,
    RS_TICKET_UPDATE,
    RS_TICKET_TOUCH,
    RS_HISTORY_INSERT,
    RS_COMMENT_INSERT,
    RS_COMMENT_GET,
    RS_CUSTOMER_EXISTS,
    RS_CONVERSATION_EXISTS,
    RS_CUSTOMER_GET,
    RS_CUSTOMER_IDENTITIES,
    RS_CUSTOMER_NOTES,
    RS_CUSTOMER_CONVERSATIONS,
    RS_CUSTOMER_TICKETS,
    RS_CUSTOMER_LIST,
    RS_CUSTOMER_COUNT,
    RS_NOTE_INSERT,
    RS_NOTE_GET,
    RS_SEED_COUNT,
    RS_SEED_PRODUCT,
    RS_SEED_DELETE_ORDERS,
    RS_SEED_CHANNEL,
    RS_SEED_FIND_CUSTOMER,
    RS_SEED_UPDATE_CUSTOMER,
    RS_SEED_INSERT_CUSTOMER,
    RS_SEED_INSERT_IDENTITY,
    RS_SEED_ORDER,
    RS_SEED_ITEM,
    RS_SEED_SHIPMENT,
    RS_SEED_PAYMENT,
    RS_SEED_REFUND,
    RS_SEED_RETURN,
    RS__COUNT
};

_Static_assert(RS__COUNT <= SQ_REPO_STMTS, "raise SQ_REPO_STMTS in sqlite_int.h");

#define PRODUCT_COLS                                                                               \
    "p.sku, p.name_zh, p.name_en, p.category, p.brand, p.price, p.stock,"                          \
    " p.attributes AS \"attributes:json\", p.specs AS \"specs:json\""
#define PRODUCT_WHERE                                                                              \
    " WHERE (?1 IS NULL OR p.category = ?1) AND (?2 IS NULL OR p.brand = ?2)"                      \
    " AND (?3 IS NULL OR p.price >= ?3) AND (?4 IS NULL OR p.price <= ?4)"                         \
    " AND (?5 IS NULL OR (?5 = 1) = (p.stock > 0))"                                                \
    " AND (?6 IS NULL OR instr(p.name_zh, ?6) > 0 OR instr(lower(p.name_en), lower(?6)) > 0"       \
    "      OR instr(lower(p.sku), lower(?6)) > 0)"
#define TICKET_SUMMARY                                                                             \
    "t.id, t.customer_id, t.conversation_id, t.subject, t.category, t.priority, t.status,"         \
    " t.assignee, t.created_at, t.updated_at, t.due_at, t.resolved_at"
#define TICKET_WHERE                                                                               \
    " WHERE (?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR t.priority = ?2)"                     \
    " AND (?3 IS NULL OR t.assignee = ?3) AND (?4 IS NULL OR t.customer_id = ?4)"                  \
    " AND (?5 IS NULL OR t.category = ?5)"
#define CUSTOMER_WHERE                                                                             \
    " WHERE (?1 IS NULL OR instr(c.name, ?1) > 0 OR EXISTS (SELECT 1 FROM"                         \
    " customer_identities i WHERE i.customer_id = c.id AND instr(i.external_id, ?1) > 0))"

static const char *const rstmt_sql[RS__COUNT] = {
    [RS_PRODUCT_GET] = "SELECT " PRODUCT_COLS " FROM products p WHERE p.sku = ?1",
    [RS_PRODUCT_LIST_PRICE] = "SELECT " PRODUCT_COLS " FROM products p" PRODUCT_WHERE
                              " ORDER BY p.price, p.sku LIMIT ?7 OFFSET ?8",
    [RS_PRODUCT_LIST_POPULAR] = "SELECT " PRODUCT_COLS ", (SELECT COUNT(*) FROM order_items i"
                                " WHERE i.sku = p.sku) AS _sold FROM products p" PRODUCT_WHERE
                                " ORDER BY _sold DESC, p.price, p.sku LIMIT ?7 OFFSET ?8",
    [RS_PRODUCT_COUNT] = "SELECT COUNT(*) FROM products p" PRODUCT_WHERE,
    [RS_ORDER_GET] = "SELECT id AS _id, order_no, customer_id, status, created_at, updated_at,"
                     " paid_at, shipped_at, delivered_at, total, currency, address"
                     " FROM orders WHERE order_no = ?1",
    [RS_ORDER_ITEMS] = "SELECT sku, name, qty, price FROM order_items WHERE order_id = ?1"
                       " ORDER BY id",
    [RS_ORDER_SHIPMENT] = "SELECT carrier, tracking_no, status, eta FROM shipments"
                          " WHERE order_id = ?1",
    [RS_ORDER_PAYMENT] = "SELECT method, amount, status, paid_at FROM payments"
                         " WHERE order_id = ?1",
    [RS_ORDER_REFUNDS] = "SELECT refund_no, amount, status, reason, created_at, completed_at"
                         " FROM refunds WHERE order_id = ?1 ORDER BY id",
    [RS_ORDER_RETURNS] = "SELECT rma_no, kind, reason, status, skus AS \"skus:json\","
                         " created_at FROM returns WHERE order_id = ?1 ORDER BY id",
    [RS_ORDER_LIST] = "SELECT id AS _id, order_no, status, created_at, total FROM orders"
                      " WHERE customer_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
    [RS_ORDER_ITEMS_SHORT] = "SELECT sku, name, qty FROM order_items WHERE order_id = ?1"
                             " ORDER BY id",
    [RS_ORDER_SET_STATUS] =
        "UPDATE orders SET status = ?2, updated_at = ?3,"
        " paid_at = CASE WHEN ?2 = 'paid' AND paid_at IS NULL THEN ?3 ELSE paid_at END,"
        " shipped_at = CASE WHEN ?2 = 'shipped' AND shipped_at IS NULL THEN ?3"
        " ELSE shipped_at END,"
        " delivered_at = CASE WHEN ?2 = 'delivered' AND delivered_at IS NULL THEN ?3"
        " ELSE delivered_at END WHERE id = ?1",
    [RS_ORDER_SET_ADDRESS] = "UPDATE orders SET address = ?2, updated_at = ?3 WHERE id = ?1",
    [RS_PAYMENT_SET_STATUS] = "UPDATE payments SET status = ?2 WHERE order_id = ?1",
    [RS_REFUND_COUNT] = "SELECT COUNT(*) FROM refunds WHERE order_id = ?1",
    [RS_REFUND_INSERT] = "INSERT INTO refunds (refund_no, order_id, amount, status, reason,"
                         " created_at) VALUES (?1, ?2, ?3, 'processing', ?4, ?5)",
    [RS_RETURN_COUNT] = "SELECT COUNT(*) FROM returns WHERE order_id = ?1",
    [RS_RETURN_INSERT] = "INSERT INTO returns (rma_no, order_id, kind, reason, status, skus,"
                         " created_at) VALUES (?1, ?2, ?3, ?4, 'requested', ?5, ?6)",
    [RS_ITEM_HAS_SKU] = "SELECT 1 FROM order_items WHERE order_id = ?1 AND sku = ?2",
    [RS_ITEM_SKUS] = "SELECT sku FROM order_items WHERE order_id = ?1 ORDER BY id",
    [RS_TICKET_INSERT] = "INSERT INTO tickets (customer_id, conversation_id, subject,"
                         " description, category, priority, status, created_at, updated_at,"
                         " due_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7, ?8)",
    [RS_TICKET_GET] = "SELECT t.id, t.customer_id, t.conversation_id, t.subject, t.description,"
                      " t.category, t.priority, t.status, t.assignee, t.created_at, t.updated_at,"
                      " t.due_at, t.resolved_at FROM tickets t WHERE t.id = ?1",
    [RS_TICKET_COMMENTS] = "SELECT id, author, body, internal, created_at FROM ticket_comments"
                           " WHERE ticket_id = ?1 ORDER BY id",
    [RS_TICKET_HISTORY] = "SELECT at, actor, field, from_value AS \"from\", to_value AS \"to\""
                          " FROM ticket_history WHERE ticket_id = ?1 ORDER BY id",
    [RS_TICKET_LIST] = "SELECT " TICKET_SUMMARY " FROM tickets t" TICKET_WHERE
                       " ORDER BY t.due_at, t.id LIMIT ?6 OFFSET ?7",
    [RS_TICKET_COUNT] = "SELECT COUNT(*) FROM tickets t" TICKET_WHERE,
    [RS_TICKET_UPDATE] = "UPDATE tickets SET status = ?2, priority = ?3, assignee = ?4,"
                         " category = ?5, subject = ?6, due_at = ?7, resolved_at = ?8,"
                         " updated_at = ?9 WHERE id = ?1",
    [RS_TICKET_TOUCH] = "UPDATE tickets SET updated_at = ?2 WHERE id = ?1",
    [RS_HISTORY_INSERT] = "INSERT INTO ticket_history (ticket_id, at, actor, field, from_value,"
                          " to_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [RS_COMMENT_INSERT] = "INSERT INTO ticket_comments (ticket_id, author, body, internal,"
                          " created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [RS_COMMENT_GET] = "SELECT id, ticket_id, author, body, internal, created_at"
                       " FROM ticket_comments WHERE id = ?1",
    [RS_CUSTOMER_EXISTS] = "SELECT 1 FROM customers WHERE id = ?1",
    [RS_CONVERSATION_EXISTS] = "SELECT 1 FROM conversations WHERE id = ?1",
    [RS_CUSTOMER_GET] = "SELECT id, name, tier, email_masked AS email, phone_masked AS phone,"
                        " city, birthday, created_at FROM customers WHERE id = ?1",
    [RS_CUSTOMER_IDENTITIES] = "SELECT ch.name AS channel, i.external_id FROM"
                               " customer_identities i JOIN channels ch ON ch.id = i.channel_id"
                               " WHERE i.customer_id = ?1 ORDER BY i.created_at, ch.name",
    [RS_CUSTOMER_NOTES] = "SELECT id, author, body, created_at FROM customer_notes"
                          " WHERE customer_id = ?1 ORDER BY id DESC LIMIT 50",
    [RS_CUSTOMER_CONVERSATIONS] = "SELECT c.id, ch.name AS channel, c.status, c.created_at"
                                  " FROM conversations c JOIN channels ch"
                                  " ON ch.id = c.channel_id WHERE c.customer_id = ?1"
                                  " ORDER BY c.updated_at DESC LIMIT 20",
    [RS_CUSTOMER_TICKETS] = "SELECT " TICKET_SUMMARY " FROM tickets t WHERE t.customer_id = ?1"
                            " ORDER BY t.created_at DESC, t.id DESC LIMIT 20",
    [RS_CUSTOMER_LIST] =
        "SELECT c.id, c.name, c.tier, c.city, c.created_at FROM customers c" CUSTOMER_WHERE
        " ORDER BY c.id LIMIT ?2 OFFSET ?3",
    [RS_CUSTOMER_COUNT] = "SELECT COUNT(*) FROM customers c" CUSTOMER_WHERE,
    [RS_NOTE_INSERT] = "INSERT INTO customer_notes (customer_id, author, body, created_at)"
                       " VALUES (?1, ?2, ?3, ?4)",
    [RS_NOTE_GET] = "SELECT id, customer_id, author, body, created_at FROM customer_notes"
                    " WHERE id = ?1",
    [RS_SEED_COUNT] = "SELECT COUNT(*) FROM orders WHERE is_demo = 1",
    [RS_SEED_PRODUCT] =
        "INSERT INTO products (sku, name_zh, name_en, category, brand, price, stock,"
        " attributes, specs, is_demo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)"
        " ON CONFLICT (sku) DO UPDATE SET name_zh = excluded.name_zh,"
        " name_en = excluded.name_en, category = excluded.category, brand = excluded.brand,"
        " price = excluded.price, stock = excluded.stock, attributes = excluded.attributes,"
        " specs = excluded.specs, is_demo = 1",
    [RS_SEED_DELETE_ORDERS] = "DELETE FROM orders WHERE is_demo = 1",
    [RS_SEED_CHANNEL] = "SELECT id FROM channels WHERE name = 'web'",
    [RS_SEED_FIND_CUSTOMER] = "SELECT customer_id FROM customer_identities"
                              " WHERE channel_id = ?1 AND external_id = ?2",
    [RS_SEED_UPDATE_CUSTOMER] = "UPDATE customers SET name = ?2, tier = ?3, email_masked = ?4,"
                                " phone_masked = ?5, city = ?6, birthday = ?7, created_at = ?8,"
                                " is_demo = 1 WHERE id = ?1",
    [RS_SEED_INSERT_CUSTOMER] = "INSERT INTO customers (name, tier, email_masked, phone_masked,"
                                " city, birthday, created_at, is_demo)"
                                " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
    [RS_SEED_INSERT_IDENTITY] = "INSERT INTO customer_identities (customer_id, channel_id,"
                                " external_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    [RS_SEED_ORDER] = "INSERT INTO orders (order_no, customer_id, status, created_at,"
                      " updated_at, paid_at, shipped_at, delivered_at, total, currency,"
                      " address, is_demo)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'CNY', ?10, 1)",
    [RS_SEED_ITEM] = "INSERT INTO order_items (order_id, sku, name, qty, price)"
                     " VALUES (?1, ?2, ?3, ?4, ?5)",
    [RS_SEED_SHIPMENT] = "INSERT INTO shipments (order_id, carrier, tracking_no, status, eta)"
                         " VALUES (?1, ?2, ?3, ?4, ?5)",
    [RS_SEED_PAYMENT] = "INSERT INTO payments (order_id, method, amount, status, paid_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [RS_SEED_REFUND] = "INSERT INTO refunds (refund_no, order_id, amount, status, reason,"
                       " created_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [RS_SEED_RETURN] = "INSERT INTO returns (rma_no, order_id, kind, reason, status, skus,"
                       " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

/* ---- statements and rows ----------------------------------------------- */

/* A ready-to-bind statement (reset, bindings cleared). */
static sqlite3_stmt *rp__stmt(struct sq_conn *c, enum rstmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->repo_stmt[id], rstmt_sql[id], err);
}

/* Run statement id bound to one integer into out[key] (an array). */
static int rp__child_rows(struct sq_conn *c, enum rstmt id, long long parent, json_t *out,
                          const char *key, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, id, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, parent);
    json_t *rows = NULL;
    int rc = sq__rows(c, q, &rows, err);
    if (rc == KF_OK && json_object_set_new(out, key, rows) != 0)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    return rc;
}

/* The same for a child that is one object or null. */
static int rp__child_one(struct sq_conn *c, enum rstmt id, long long parent, json_t *out,
                         const char *key, struct kf_err *err)
{
    json_t *rows = NULL;
    json_t *tmp = json_object();
    int rc = tmp ? rp__child_rows(c, id, parent, tmp, key, err)
                 : kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK) {
        rows = json_object_get(tmp, key);
        json_t *first = json_array_get(rows, 0);
        json_object_set(out, key, first != NULL ? first : json_null());
    }
    json_decref(tmp);
    return rc;
}

/* ---- input fields ---------------------------------------------------------- */

/* Fail on a key of obj that is not in allowed (NULL-terminated). */
static int rp__keys(json_t *obj, const char *const *allowed, const char *what, struct kf_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return kf_errorf(err, KF_EINVAL, "%s: unknown field '%.64s'", what, key);
    }
    return KF_OK;
}

/* obj[key] as a string of 1..max bytes; absent or null: *out NULL. */
static int rp__str(json_t *obj, const char *key, size_t max, const char **out, struct kf_err *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_string(v))
        return kf_errorf(err, KF_EINVAL, "%s: expected a string", key);
    if (json_string_length(v) > max)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %zu bytes", key, max);
    if (json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
        return kf_errorf(err, KF_EINVAL, "%s: empty or contains NUL", key);
    *out = json_string_value(v);
    return KF_OK;
}

/* obj[key] as an integer in [lo, hi]; absent: *out = def, *given 0. */
static int rp__integer(json_t *obj, const char *key, long long lo, long long hi, long long def,
                       long long *out, int *given, struct kf_err *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = def;
    if (given != NULL)
        *given = 0;
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return kf_errorf(err, KF_EINVAL, "%s: expected an integer in [%lld, %lld]", key, lo, hi);
    *out = json_integer_value(v);
    if (given != NULL)
        *given = 1;
    return KF_OK;
}

/* obj[key] as a number >= 0; absent: *given 0. */
static int rp__number(json_t *obj, const char *key, double *out, int *given, struct kf_err *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *given = 0;
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_number(v) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v)))
        return kf_errorf(err, KF_EINVAL, "%s: expected a number >= 0", key);
    *out = json_number_value(v);
    *given = 1;
    return KF_OK;
}

static int rp__one_of(const char *v, const char *const *set, const char *key, struct kf_err *err)
{
    for (const char *const *p = set; *p; p++)
        if (strcmp(*p, v) == 0)
            return KF_OK;
    return kf_errorf(err, KF_EINVAL, "%s: '%.64s' is not a valid value", key, v);
}

/* limit/offset of a list query. */
static int rp__page(json_t *q, long long def, long long max, long long *limit, long long *offset,
                    struct kf_err *err)
{
    int rc = rp__integer(q, "limit", 1, max, def, limit, NULL, err);
    if (rc == KF_OK)
        rc = rp__integer(q, "offset", 0, 1000000000, 0, offset, NULL, err);
    return rc;
}

/* {"items": rows of list, "total": count} */
static int rp__paged(struct sq_conn *c, sqlite3_stmt *list, sqlite3_stmt *count, json_t **out,
                     struct kf_err *err)
{
    json_t *items = NULL;
    long long total = 0;
    int rc = sq__rows(c, list, &items, err);
    if (rc == KF_OK)
        rc = sq__int(c, count, &total, err);
    if (rc == KF_OK) {
        *out = json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total);
        items = NULL;
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    json_decref(items);
    return rc;
}

/* ---- products --------------------------------------------------------------- */

static int rp_product_get(struct kf_store *st, const char *sku, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rp__stmt(c, RS_PRODUCT_GET, err);
    int rc = KF_ESTORE;
    if (q != NULL) {
        sqlite3_bind_text(q, 1, sku, -1, SQLITE_STATIC);
        rc = sq__one(c, q, "product", out, NULL, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* Bind the product filters ?1..?6 of query to q. */
static int rp__product_filter(json_t *query, sqlite3_stmt *q, struct kf_err *err)
{
    const char *cat, *brand, *text;
    double lo = 0, hi = 0;
    int has_lo, has_hi;
    int rc = rp__str(query, "category", 128, &cat, err);
    if (rc == KF_OK)
        rc = rp__str(query, "brand", 128, &brand, err);
    if (rc == KF_OK)
        rc = rp__str(query, "q", 200, &text, err);
    if (rc == KF_OK)
        rc = rp__number(query, "min_price", &lo, &has_lo, err);
    if (rc == KF_OK)
        rc = rp__number(query, "max_price", &hi, &has_hi, err);
    json_t *in_stock = query ? json_object_get(query, "in_stock") : NULL;
    if (rc == KF_OK && in_stock != NULL && !json_is_boolean(in_stock) && !json_is_null(in_stock))
        rc = kf_errorf(err, KF_EINVAL, "in_stock: expected true or false");
    if (rc != KF_OK)
        return rc;
    sq__bind_text(q, 1, cat);
    sq__bind_text(q, 2, brand);
    if (has_lo)
        sqlite3_bind_double(q, 3, lo);
    if (has_hi)
        sqlite3_bind_double(q, 4, hi);
    if (json_is_boolean(in_stock))
        sqlite3_bind_int(q, 5, json_is_true(in_stock));
    sq__bind_text(q, 6, text);
    return KF_OK;
}

static int rp_product_list(struct kf_store *st, json_t *query, json_t **out, struct kf_err *err)
{
    static const char *const keys[] = {"category", "brand", "max_price", "min_price", "in_stock",
                                       "q",        "limit", "offset",    "sort",      NULL};
    const char *sort = NULL;
    long long limit, offset;
    int rc = query ? rp__keys(query, keys, "query", err) : KF_OK;
    if (rc == KF_OK)
        rc = rp__str(query, "sort", 16, &sort, err);
    if (rc == KF_OK && sort != NULL)
        rc = rp__one_of(sort, (const char *const[]){"price", "popular", NULL}, "sort", err);
    if (rc == KF_OK)
        rc = rp__page(query, 20, 200, &limit, &offset, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int popular = sort != NULL && strcmp(sort, "popular") == 0;
    sqlite3_stmt *list =
        rp__stmt(c, popular ? RS_PRODUCT_LIST_POPULAR : RS_PRODUCT_LIST_PRICE, err);
    sqlite3_stmt *count = list ? rp__stmt(c, RS_PRODUCT_COUNT, err) : NULL;
    rc = count ? rp__product_filter(query, list, err) : KF_ESTORE;
    if (rc == KF_OK)
        rc = rp__product_filter(query, count, err);
    if (rc == KF_OK) {
        sqlite3_bind_int64(list, 7, limit);
        sqlite3_bind_int64(list, 8, offset);
        rc = rp__paged(c, list, count, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- orders ----------------------------------------------------------------- */

/* The whole order record on c; *id (optional) gets its row id. */
static int rp__order_read(struct sq_conn *c, const char *order_no, json_t **out, long long *id,
                          struct kf_err *err)
{
    long long oid = 0;
    sqlite3_stmt *q = rp__stmt(c, RS_ORDER_GET, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, order_no, -1, SQLITE_TRANSIENT);
    int rc = sq__one(c, q, "order", out, &oid, err);
    if (rc == KF_OK)
        rc = rp__child_rows(c, RS_ORDER_ITEMS, oid, *out, "items", err);
    if (rc == KF_OK)
        rc = rp__child_one(c, RS_ORDER_SHIPMENT, oid, *out, "shipment", err);
    if (rc == KF_OK)
        rc = rp__child_one(c, RS_ORDER_PAYMENT, oid, *out, "payment", err);
    if (rc == KF_OK)
        rc = rp__child_rows(c, RS_ORDER_REFUNDS, oid, *out, "refunds", err);
    if (rc == KF_OK)
        rc = rp__child_rows(c, RS_ORDER_RETURNS, oid, *out, "returns", err);
    if (rc != KF_OK) {
        json_decref(*out);
        *out = NULL;
    }
    if (id != NULL)
        *id = oid;
    return rc == KF_ENOTFOUND ? kf_errorf(err, rc, "order %.32s not found", order_no) : rc;
}

static int rp_order_get(struct kf_store *st, const char *order_no, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = rp__order_read(c, order_no, out, NULL, err);
    sq__give_back(s, c);
    return rc;
}

/* A customer's newest orders as summaries. */
static int rp__order_summaries(struct sq_conn *c, long long customer_id, int limit, json_t **out,
                               struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_ORDER_LIST, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, customer_id);
    sqlite3_bind_int(q, 2, limit);
    /* the summaries first, then each one's items (limit <= 500) */
    json_t *rows = NULL;
    long long ids[500];
    int n = 0, r;
    rows = json_array();
    while (rows != NULL && n < 500 && (r = sqlite3_step(q)) == SQLITE_ROW) {
        ids[n++] = sqlite3_column_int64(q, 0);
        json_array_append_new(rows, sq__row(q));
    }
    sqlite3_reset(q);
    int rc = rows != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
    for (int i = 0; rc == KF_OK && i < n; i++)
        rc = rp__child_rows(c, RS_ORDER_ITEMS_SHORT, ids[i], json_array_get(rows, (size_t)i),
                            "items", err);
    if (rc != KF_OK) {
        json_decref(rows);
        rows = NULL;
    }
    *out = rows;
    return rc;
}

static int rp_order_list(struct kf_store *st, long long customer_id, int limit, json_t **out,
                         struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = rp__order_summaries(c, customer_id, limit, out, err);
    sq__give_back(s, c);
    return rc;
}

static const char *const ORDER_STATUSES[] = {"pending",   "paid",      "shipped",
                                             "delivered", "cancelled", NULL};

/* Is status one of the comma-separated list? */
static int rp__in_list(const char *status, const char *list)
{
    size_t n = strlen(status);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == n && len > 0 && strncmp(p, status, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* "<prefix><order digits><2-digit sequence>" for a refund or an RMA. */
static int rp__child_no(struct sq_conn *c, enum rstmt count_id, long long oid, const char *prefix,
                        const char *order_no, char *out, size_t cap, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, count_id, err);
    long long n = 0;
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, oid);
    int rc = sq__int(c, q, &n, err);
    const char *digits = strncmp(order_no, "DS", 2) == 0 ? order_no + 2 : order_no;
    snprintf(out, cap, "%s%.32s%02lld", prefix, digits, n + 1);
    return rc;
}

/* Cancelling a paid order: a refund of the total, in processing. */
static int rp__cancel_refund(struct sq_conn *c, long long oid, const char *order_no, double total,
                             long long now, struct kf_err *err)
{
    char no[48];
    int rc = rp__child_no(c, RS_REFUND_COUNT, oid, "RF", order_no, no, sizeof no, err);
    sqlite3_stmt *q = rc == KF_OK ? rp__stmt(c, RS_REFUND_INSERT, err) : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    sqlite3_bind_text(q, 1, no, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, oid);
    sqlite3_bind_double(q, 3, total);
    sqlite3_bind_text(q, 4, "order cancelled", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, now);
    rc = sq__done(c, q, "insert refund", err);
    q = rc == KF_OK ? rp__stmt(c, RS_PAYMENT_SET_STATUS, err) : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    sqlite3_bind_int64(q, 1, oid);
    sqlite3_bind_text(q, 2, "refunding", -1, SQLITE_STATIC);
    return sq__done(c, q, "update payment", err);
}

/* Apply a checked patch to the order read as cur (row id oid). */
static int rp__order_apply(struct sq_conn *c, long long oid, json_t *cur, const char *status,
                           const char *address, long long now, struct kf_err *err)
{
    const char *old = json_string_value(json_object_get(cur, "status"));
    const char *no = json_string_value(json_object_get(cur, "order_no"));
    int rc = KF_OK;
    if (status != NULL && strcmp(status, old) != 0) {
        sqlite3_stmt *q = rp__stmt(c, RS_ORDER_SET_STATUS, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_text(q, 2, status, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, now);
        rc = sq__done(c, q, "update order", err);
        if (rc == KF_OK && strcmp(status, "cancelled") == 0 &&
            json_is_integer(json_object_get(cur, "paid_at")))
            rc = rp__cancel_refund(c, oid, no, json_number_value(json_object_get(cur, "total")),
                                   now, err);
    }
    if (rc == KF_OK && address != NULL) {
        sqlite3_stmt *q = rp__stmt(c, RS_ORDER_SET_ADDRESS, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_text(q, 2, address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, now);
        rc = sq__done(c, q, "update order address", err);
    }
    return rc;
}

static int rp_order_update(struct kf_store *st, const char *order_no, const char *expect,
                           json_t *patch, json_t **out, struct kf_err *err)
{
    static const char *const keys[] = {"status", "address", NULL};
    const char *status = NULL, *address = NULL;
    int rc = rp__keys(patch, keys, "patch", err);
    if (rc == KF_OK)
        rc = rp__str(patch, "status", 16, &status, err);
    if (rc == KF_OK && status != NULL)
        rc = rp__one_of(status, ORDER_STATUSES, "status", err);
    if (rc == KF_OK)
        rc = rp__str(patch, "address", KF_REPO_TEXT_MAX, &address, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    json_t *cur = NULL;
    long long oid = 0;
    if (rc == KF_OK)
        rc = rp__order_read(c, order_no, &cur, &oid, err);
    const char *now_status = cur ? json_string_value(json_object_get(cur, "status")) : "";
    if (rc == KF_OK && expect != NULL && !rp__in_list(now_status, expect))
        rc = kf_errorf(err, KF_ECONFLICT, "order %.32s is %s, not %.200s", order_no, now_status,
                       expect);
    if (rc == KF_OK)
        rc = rp__order_apply(c, oid, cur, status, address, kf_time_now_ms(), err);
    if (rc == KF_OK)
        rc = rp__order_read(c, order_no, out, NULL, err);
    json_decref(cur);
    return sq__write_end_record(s, c, rc, out, err);
}

/* req's skus (checked against the order's items), or all of them, as JSON text. */
static int rp__return_skus(struct sq_conn *c, long long oid, json_t *req, char **text,
                           struct kf_err *err)
{
    json_t *skus = json_object_get(req, "skus");
    json_t *list = json_array();
    int rc = list ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK && skus != NULL &&
        (!json_is_array(skus) || json_array_size(skus) == 0 || json_array_size(skus) > 100))
        rc = kf_errorf(err, KF_EINVAL, "skus: expected an array of 1-100 skus");
    size_t i;
    json_t *v;
    json_array_foreach(skus, i, v)
    {
        if (rc != KF_OK)
            break;
        if (!json_is_string(v) || json_string_length(v) > 128)
            rc = kf_errorf(err, KF_EINVAL, "skus[%zu]: expected a sku", i);
        sqlite3_stmt *q = rc == KF_OK ? rp__stmt(c, RS_ITEM_HAS_SKU, err) : NULL;
        long long has = 0;
        if (q != NULL) {
            sqlite3_bind_int64(q, 1, oid);
            sqlite3_bind_text(q, 2, json_string_value(v), -1, SQLITE_TRANSIENT);
            rc = sq__int(c, q, &has, err);
            if (rc == KF_OK && !has)
                rc = kf_errorf(err, KF_EINVAL, "skus[%zu]: '%.64s' is not in the order", i,
                               json_string_value(v));
            json_array_append(list, v);
        } else if (rc == KF_OK) {
            rc = KF_ESTORE;
        }
    }
    if (rc == KF_OK && skus == NULL) {
        json_t *all = NULL;
        rc = rp__child_rows(c, RS_ITEM_SKUS, oid, req, "_skus", err);
        all = json_object_get(req, "_skus");
        json_array_foreach(all, i, v) json_array_append(list, json_object_get(v, "sku"));
        json_object_del(req, "_skus");
    }
    *text = rc == KF_OK ? json_dumps(list, JSON_COMPACT) : NULL;
    if (rc == KF_OK && *text == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    json_decref(list);
    return rc;
}

static int rp__return_insert(struct sq_conn *c, long long oid, const char *order_no,
                             const char *kind, const char *reason, const char *skus, json_t **out,
                             struct kf_err *err)
{
    char no[48];
    long long now = kf_time_now_ms();
    int rc = rp__child_no(c, RS_RETURN_COUNT, oid, "RMA", order_no, no, sizeof no, err);
    sqlite3_stmt *q = rc == KF_OK ? rp__stmt(c, RS_RETURN_INSERT, err) : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    sqlite3_bind_text(q, 1, no, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, oid);
    sqlite3_bind_text(q, 3, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 5, skus, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 6, now);
    rc = sq__done(c, q, "insert return", err);
    if (rc == KF_OK) {
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "rma_no", no, "order_no", order_no,
                         "kind", kind, "reason", reason, "status", "requested", "skus",
                         json_loads(skus, 0, NULL), "created_at", (json_int_t)now);
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    return rc;
}

static int rp_return_create(struct kf_store *st, const char *order_no, json_t *req, json_t **out,
                            struct kf_err *err)
{
    static const char *const keys[] = {"kind", "reason", "skus", NULL};
    const char *kind = NULL, *reason = NULL;
    int rc = rp__keys(req, keys, "request", err);
    if (rc == KF_OK)
        rc = rp__str(req, "kind", 16, &kind, err);
    if (rc == KF_OK && kind == NULL)
        rc = kf_errorf(err, KF_EINVAL, "kind: missing (return or exchange)");
    if (rc == KF_OK)
        rc = rp__one_of(kind, (const char *const[]){"return", "exchange", NULL}, "kind", err);
    if (rc == KF_OK)
        rc = rp__str(req, "reason", KF_REPO_TEXT_MAX, &reason, err);
    if (rc == KF_OK && reason == NULL)
        rc = kf_errorf(err, KF_EINVAL, "reason: missing");
    if (rc != KF_OK)
        return rc;
    json_t *work = json_deep_copy(req); /* rp__return_skus may use it as scratch */
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    json_t *cur = NULL;
    long long oid = 0;
    char *skus = NULL;
    if (rc == KF_OK)
        rc = work ? rp__order_read(c, order_no, &cur, &oid, err)
                  : kf_errorf(err, KF_ENOMEM, "out of memory");
    const char *status = cur ? json_string_value(json_object_get(cur, "status")) : "";
    if (rc == KF_OK && strcmp(status, "delivered") != 0)
        rc = kf_errorf(err, KF_ECONFLICT, "order %.32s is %s, not delivered", order_no, status);
    if (rc == KF_OK)
        rc = rp__return_skus(c, oid, work, &skus, err);
    if (rc == KF_OK)
        rc = rp__return_insert(c, oid, order_no, kind, reason, skus, out, err);
    free(skus);
    json_decref(cur);
    json_decref(work);
    return sq__write_end_record(s, c, rc, out, err);
}

/* ---- tickets ------------------------------------------------------------------ */

static const char *const TICKET_STATUSES[] = {"open",     "pending", "escalated",
                                              "resolved", "closed",  NULL};
static const char *const PRIORITIES[] = {"low", "normal", "high", "urgent", NULL};

/* The SLA of a priority: hours until a ticket is due. */
static long long rp__sla_ms(const char *priority)
{
    static const long long hours[] = {72, 24, 8, 2};
    for (int i = 0; PRIORITIES[i]; i++)
        if (strcmp(PRIORITIES[i], priority) == 0)
            return hours[i] * 3600000LL;
    return 24 * 3600000LL;
}

/* Does the row with this id exist (statement id takes ?1)? */
static int rp__exists(struct sq_conn *c, enum rstmt id, int is_text, long long n, const char *text,
                      int *yes, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, id, err);
    long long v = 0;
    if (q == NULL)
        return KF_ESTORE;
    if (is_text)
        sqlite3_bind_text(q, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(q, 1, n);
    int rc = sq__int(c, q, &v, err);
    *yes = v != 0;
    return rc;
}

static int rp__history(struct sq_conn *c, long long id, long long at, const char *actor,
                       const char *field, const char *from, const char *to, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_HISTORY_INSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, at);
    sqlite3_bind_text(q, 3, actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, field, -1, SQLITE_STATIC);
    sq__bind_text(q, 5, from);
    sq__bind_text(q, 6, to);
    return sq__done(c, q, "insert ticket history", err);
}

static int rp__ticket_read(struct sq_conn *c, long long id, json_t **out, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_TICKET_GET, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    int rc = sq__one(c, q, "ticket", out, NULL, err);
    if (rc == KF_OK)
        rc = rp__child_rows(c, RS_TICKET_COMMENTS, id, *out, "comments", err);
    if (rc == KF_OK)
        rc = rp__child_rows(c, RS_TICKET_HISTORY, id, *out, "history", err);
    if (rc == KF_OK) { /* internal is a flag */
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(*out, "comments"), i, v) json_object_set_new(
            v, "internal", json_boolean(json_integer_value(json_object_get(v, "internal"))));
    }
    if (rc != KF_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc == KF_ENOTFOUND ? kf_errorf(err, rc, "ticket %lld not found", id) : rc;
}

struct ticket_new {
    long long customer_id;
    int has_customer;
    const char *conversation_id, *subject, *description, *category, *priority;
};

static int rp__ticket_fields(json_t *f, struct ticket_new *t, struct kf_err *err)
{
    static const char *const keys[] = {"customer_id", "conversation_id", "subject", "description",
                                       "category",    "priority",        NULL};
    int rc = rp__keys(f, keys, "fields", err);
    if (rc == KF_OK)
        rc = rp__integer(f, "customer_id", 1, (long long)9e18, 0, &t->customer_id, &t->has_customer,
                         err);
    if (rc == KF_OK)
        rc = rp__str(f, "conversation_id", 64, &t->conversation_id, err);
    if (rc == KF_OK)
        rc = rp__str(f, "subject", KF_REPO_TEXT_MAX, &t->subject, err);
    if (rc == KF_OK && t->subject == NULL)
        rc = kf_errorf(err, KF_EINVAL, "subject: missing");
    if (rc == KF_OK)
        rc = rp__str(f, "description", KF_REPO_TEXT_MAX, &t->description, err);
    if (rc == KF_OK)
        rc = rp__str(f, "category", 128, &t->category, err);
    if (rc == KF_OK)
        rc = rp__str(f, "priority", 16, &t->priority, err);
    if (rc == KF_OK && t->priority == NULL)
        t->priority = "normal";
    if (rc == KF_OK)
        rc = rp__one_of(t->priority, PRIORITIES, "priority", err);
    return rc;
}

/* The customer and conversation a new ticket names must exist. */
static int rp__ticket_refs(struct sq_conn *c, const struct ticket_new *t, struct kf_err *err)
{
    int yes = 1, rc = KF_OK;
    if (t->has_customer)
        rc = rp__exists(c, RS_CUSTOMER_EXISTS, 0, t->customer_id, NULL, &yes, err);
    if (rc == KF_OK && !yes)
        return kf_errorf(err, KF_EINVAL, "customer_id: no customer %lld", t->customer_id);
    if (rc == KF_OK && t->conversation_id != NULL)
        rc = rp__exists(c, RS_CONVERSATION_EXISTS, 1, 0, t->conversation_id, &yes, err);
    if (rc == KF_OK && !yes)
        return kf_errorf(err, KF_EINVAL, "conversation_id: no conversation %.64s",
                         t->conversation_id);
    return rc;
}

static int rp_ticket_create(struct kf_store *st, json_t *fields, const char *actor, json_t **out,
                            struct kf_err *err)
{
    struct ticket_new t = {0};
    int rc = rp__ticket_fields(fields, &t, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    long long now = kf_time_now_ms(), id = 0;
    if (rc == KF_OK)
        rc = rp__ticket_refs(c, &t, err);
    sqlite3_stmt *q = rc == KF_OK ? rp__stmt(c, RS_TICKET_INSERT, err) : NULL;
    if (q != NULL) {
        if (t.has_customer)
            sqlite3_bind_int64(q, 1, t.customer_id);
        sq__bind_text(q, 2, t.conversation_id);
        sq__bind_text(q, 3, t.subject);
        sq__bind_text(q, 4, t.description);
        sq__bind_text(q, 5, t.category);
        sq__bind_text(q, 6, t.priority);
        sqlite3_bind_int64(q, 7, now);
        sqlite3_bind_int64(q, 8, now + rp__sla_ms(t.priority));
        rc = sq__done(c, q, "insert ticket", err);
        id = sqlite3_last_insert_rowid(c->db);
    } else if (rc == KF_OK) {
        rc = KF_ESTORE;
    }
    if (rc == KF_OK)
        rc = rp__history(c, id, now, actor, "status", NULL, "open", err);
    if (rc == KF_OK)
        rc = rp__ticket_read(c, id, out, err);
    return sq__write_end_record(s, c, rc, out, err);
}

static int rp_ticket_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = rp__ticket_read(c, id, out, err);
    sq__give_back(s, c);
    return rc;
}

static int rp_ticket_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err)
{
    static const char *const keys[] = {"status",   "priority", "assignee", "customer_id",
                                       "category", "limit",    "offset",   NULL};
    const char *v[5] = {NULL};
    long long cust = 0, limit, offset;
    int has_cust = 0;
    int rc = filter ? rp__keys(filter, keys, "filter", err) : KF_OK;
    if (rc == KF_OK)
        rc = rp__str(filter, "status", 16, &v[0], err);
    if (rc == KF_OK && v[0] != NULL)
        rc = rp__one_of(v[0], TICKET_STATUSES, "status", err);
    if (rc == KF_OK)
        rc = rp__str(filter, "priority", 16, &v[1], err);
    if (rc == KF_OK && v[1] != NULL)
        rc = rp__one_of(v[1], PRIORITIES, "priority", err);
    if (rc == KF_OK)
        rc = rp__str(filter, "assignee", 256, &v[2], err);
    if (rc == KF_OK)
        rc = rp__integer(filter, "customer_id", 1, (long long)9e18, 0, &cust, &has_cust, err);
    if (rc == KF_OK)
        rc = rp__str(filter, "category", 128, &v[4], err);
    if (rc == KF_OK)
        rc = rp__page(filter, 50, 500, &limit, &offset, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *qs[2] = {rp__stmt(c, RS_TICKET_LIST, err), rp__stmt(c, RS_TICKET_COUNT, err)};
    rc = qs[0] && qs[1] ? KF_OK : KF_ESTORE;
    for (int k = 0; rc == KF_OK && k < 2; k++) {
        sq__bind_text(qs[k], 1, v[0]);
        sq__bind_text(qs[k], 2, v[1]);
        sq__bind_text(qs[k], 3, v[2]);
        if (has_cust)
            sqlite3_bind_int64(qs[k], 4, cust);
        sq__bind_text(qs[k], 5, v[4]);
    }
    if (rc == KF_OK) {
        sqlite3_bind_int64(qs[0], 6, limit);
        sqlite3_bind_int64(qs[0], 7, offset);
        rc = rp__paged(c, qs[0], qs[1], out, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* The ticket's fields as they will be after a patch. */
struct ticket_now {
    const char *status, *priority, *assignee, *category, *subject;
    long long created_at, due_at, resolved_at;
};

static const char *rp__jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* One patched field: validate, record history, update *slot. */
static int rp__ticket_field(struct sq_conn *c, long long id, json_t *patch, const char *key,
                            size_t max, const char *const *set, int nullable, const char **slot,
                            const char *actor, long long now, struct kf_err *err)
{
    json_t *v = json_object_get(patch, key);
    const char *to = NULL;
    if (v == NULL)
        return KF_OK;
    if (json_is_null(v) && !nullable)
        return kf_errorf(err, KF_EINVAL, "%s: cannot be null", key);
    int rc = rp__str(patch, key, max, &to, err);
    if (rc == KF_OK && to != NULL && set != NULL)
        rc = rp__one_of(to, set, key, err);
    if (rc != KF_OK)
        return rc;
    const char *from = *slot;
    if ((from == NULL && to == NULL) || (from != NULL && to != NULL && strcmp(from, to) == 0))
        return KF_OK;
    *slot = to;
    return rp__history(c, id, now, actor, key, from, to, err);
}

static int rp__ticket_patch(struct sq_conn *c, long long id, json_t *cur, json_t *patch,
                            const char *actor, struct ticket_now *t, struct kf_err *err)
{
    long long now = kf_time_now_ms();
    const char *old_status = rp__jstr(cur, "status"), *old_priority = rp__jstr(cur, "priority");
    *t = (struct ticket_now){old_status,
                             old_priority,
                             rp__jstr(cur, "assignee"),
                             rp__jstr(cur, "category"),
                             rp__jstr(cur, "subject"),
                             json_integer_value(json_object_get(cur, "created_at")),
                             json_integer_value(json_object_get(cur, "due_at")),
                             json_integer_value(json_object_get(cur, "resolved_at"))};
    int rc = rp__ticket_field(c, id, patch, "status", 16, TICKET_STATUSES, 0, &t->status, actor,
                              now, err);
    if (rc == KF_OK && strcmp(old_status, "closed") == 0 && strcmp(t->status, "closed") != 0 &&
        strcmp(t->status, "open") != 0)
        return kf_errorf(err, KF_ECONFLICT, "ticket %lld is closed: it can only be reopened", id);
    if (rc == KF_OK)
        rc = rp__ticket_field(c, id, patch, "priority", 16, PRIORITIES, 0, &t->priority, actor, now,
                              err);
    if (rc == KF_OK)
        rc =
            rp__ticket_field(c, id, patch, "assignee", 256, NULL, 1, &t->assignee, actor, now, err);
    if (rc == KF_OK)
        rc =
            rp__ticket_field(c, id, patch, "category", 128, NULL, 1, &t->category, actor, now, err);
    if (rc == KF_OK)
        rc = rp__ticket_field(c, id, patch, "subject", KF_REPO_TEXT_MAX, NULL, 0, &t->subject,
                              actor, now, err);
    if (strcmp(t->priority, old_priority) != 0) /* the SLA runs from creation */
        t->due_at = t->created_at + rp__sla_ms(t->priority);
    if (strcmp(t->status, "resolved") == 0 && strcmp(old_status, "resolved") != 0)
        t->resolved_at = now;
    else if (strcmp(t->status, "closed") == 0 && t->resolved_at == 0)
        t->resolved_at = now;
    else if (strcmp(t->status, "resolved") != 0 && strcmp(t->status, "closed") != 0)
        t->resolved_at = 0;
    return rc;
}

static int rp__ticket_write(struct sq_conn *c, long long id, const struct ticket_now *t,
                            struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_TICKET_UPDATE, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sq__bind_text(q, 2, t->status);
    sq__bind_text(q, 3, t->priority);
    sq__bind_text(q, 4, t->assignee);
    sq__bind_text(q, 5, t->category);
    sq__bind_text(q, 6, t->subject);
    sqlite3_bind_int64(q, 7, t->due_at);
    sq__bind_ms(q, 8, t->resolved_at);
    sqlite3_bind_int64(q, 9, kf_time_now_ms());
    return sq__done(c, q, "update ticket", err);
}

static int rp_ticket_update(struct kf_store *st, long long id, json_t *patch, const char *actor,
                            json_t **out, struct kf_err *err)
{
    static const char *const keys[] = {"status",   "priority", "assignee",
                                       "category", "subject",  NULL};
    int rc = rp__keys(patch, keys, "patch", err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    json_t *cur = NULL;
    struct ticket_now t;
    if (rc == KF_OK)
        rc = rp__ticket_read(c, id, &cur, err);
    if (rc == KF_OK)
        rc = rp__ticket_patch(c, id, cur, patch, actor, &t, err);
    if (rc == KF_OK && json_object_size(patch) > 0)
        rc = rp__ticket_write(c, id, &t, err);
    if (rc == KF_OK)
        rc = rp__ticket_read(c, id, out, err);
    json_decref(cur);
    return sq__write_end_record(s, c, rc, out, err);
}

/* Touch the parent (KF_ENOTFOUND if missing), insert the child, read it back. */
static int rp__add_child(struct sq_conn *c, enum rstmt touch, long long parent, const char *what,
                         sqlite3_stmt *ins, enum rstmt get, json_t **out, struct kf_err *err)
{
    int rc = KF_OK;
    if (touch != RS__COUNT) {
        sqlite3_stmt *q = rp__stmt(c, touch, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, parent);
        sqlite3_bind_int64(q, 2, kf_time_now_ms());
        rc = sq__done(c, q, "touch", err);
        if (rc == KF_OK && sqlite3_changes(c->db) == 0)
            return kf_errorf(err, KF_ENOTFOUND, "%s %lld not found", what, parent);
    }
    if (rc == KF_OK)
        rc = sq__done(c, ins, "insert", err);
    sqlite3_stmt *q = rc == KF_OK ? rp__stmt(c, get, err) : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(c->db));
    return sq__one(c, q, what, out, NULL, err);
}

static int rp_ticket_comment_add(struct kf_store *st, long long id, const char *author,
                                 const char *body, int internal, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    sqlite3_stmt *ins = rc == KF_OK ? rp__stmt(c, RS_COMMENT_INSERT, err) : NULL;
    if (ins != NULL) {
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_text(ins, 2, author, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 4, internal);
        sqlite3_bind_int64(ins, 5, kf_time_now_ms());
        rc = rp__add_child(c, RS_TICKET_TOUCH, id, "ticket", ins, RS_COMMENT_GET, out, err);
        if (rc == KF_OK)
            json_object_set_new(*out, "internal", json_boolean(internal));
    } else if (rc == KF_OK) {
        rc = KF_ESTORE;
    }
    return sq__write_end_record(s, c, rc, out, err);
}

/* ---- customers ------------------------------------------------------------------ */

static int rp__customer_section(struct sq_conn *c, enum rstmt id, long long cust, json_t *out,
                                const char *key, struct kf_err *err)
{
    return rp__child_rows(c, id, cust, out, key, err);
}

static int rp_customer_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    json_t *orders = NULL;
    sqlite3_stmt *q = rp__stmt(c, RS_CUSTOMER_GET, err);
    int rc = q ? KF_OK : KF_ESTORE;
    if (rc == KF_OK) {
        sqlite3_bind_int64(q, 1, id);
        rc = sq__one(c, q, "customer", out, NULL, err);
        if (rc == KF_ENOTFOUND)
            rc = kf_errorf(err, rc, "customer %lld not found", id);
    }
    if (rc == KF_OK)
        rc = rp__customer_section(c, RS_CUSTOMER_IDENTITIES, id, *out, "identities", err);
    if (rc == KF_OK)
        rc = rp__customer_section(c, RS_CUSTOMER_NOTES, id, *out, "notes", err);
    if (rc == KF_OK)
        rc = rp__customer_section(c, RS_CUSTOMER_CONVERSATIONS, id, *out, "conversations", err);
    if (rc == KF_OK)
        rc = rp__order_summaries(c, id, 20, &orders, err);
    if (rc == KF_OK)
        json_object_set_new(*out, "orders", orders);
    if (rc == KF_OK)
        rc = rp__customer_section(c, RS_CUSTOMER_TICKETS, id, *out, "tickets", err);
    if (rc != KF_OK) {
        json_decref(*out);
        *out = NULL;
    }
    sq__give_back(s, c);
    return rc;
}

static int rp_customer_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err)
{
    static const char *const keys[] = {"q", "limit", "offset", NULL};
    const char *text = NULL;
    long long limit, offset;
    int rc = filter ? rp__keys(filter, keys, "filter", err) : KF_OK;
    if (rc == KF_OK)
        rc = rp__str(filter, "q", 200, &text, err);
    if (rc == KF_OK)
        rc = rp__page(filter, 50, 500, &limit, &offset, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *list = rp__stmt(c, RS_CUSTOMER_LIST, err);
    sqlite3_stmt *count = list ? rp__stmt(c, RS_CUSTOMER_COUNT, err) : NULL;
    rc = count ? KF_OK : KF_ESTORE;
    if (rc == KF_OK) {
        sq__bind_text(list, 1, text);
        sq__bind_text(count, 1, text);
        sqlite3_bind_int64(list, 2, limit);
        sqlite3_bind_int64(list, 3, offset);
        rc = rp__paged(c, list, count, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int rp_customer_note_add(struct kf_store *st, long long id, const char *author,
                                const char *body, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc, yes = 0;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = rp__exists(c, RS_CUSTOMER_EXISTS, 0, id, NULL, &yes, err);
    if (rc == KF_OK && !yes)
        rc = kf_errorf(err, KF_ENOTFOUND, "customer %lld not found", id);
    sqlite3_stmt *ins = rc == KF_OK ? rp__stmt(c, RS_NOTE_INSERT, err) : NULL;
    if (ins != NULL) {
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_text(ins, 2, author, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 4, kf_time_now_ms());
        rc = rp__add_child(c, RS__COUNT, id, "note", ins, RS_NOTE_GET, out, err);
    } else if (rc == KF_OK) {
        rc = KF_ESTORE;
    }
    return sq__write_end_record(s, c, rc, out, err);
}

/* ---- the demo seed -------------------------------------------------------------- */

static int rp_seed_count(struct kf_store *st, long long *n, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = rp__stmt(c, RS_SEED_COUNT, err);
    int rc = q ? sq__int(c, q, n, err) : KF_ESTORE;
    sq__give_back(s, c);
    return rc;
}

/* Products: upsert by sku (rows of other products stay). */
static int rp__seed_products(struct sq_conn *c, const struct kf_seed_data *d, struct kf_err *err)
{
    const struct kf_seed_params *p = d->params;
    int rc = KF_OK;
    for (size_t i = 0; rc == KF_OK && i < p->nproducts; i++) {
        const struct kf_seed_product *pr = &p->products[i];
        json_t *attrs = json_array();
        for (size_t k = 0; attrs != NULL && k < pr->nattributes; k++)
            json_array_append_new(attrs, json_string(pr->attributes[k]));
        char *text = attrs ? json_dumps(attrs, JSON_COMPACT) : NULL;
        json_decref(attrs);
        sqlite3_stmt *q = text ? rp__stmt(c, RS_SEED_PRODUCT, err) : NULL;
        if (q == NULL) {
            free(text);
            return text ? KF_ESTORE : kf_errorf(err, KF_ENOMEM, "out of memory");
        }
        sqlite3_bind_text(q, 1, pr->sku, -1, SQLITE_STATIC);
        sq__bind_text(q, 2, pr->name_zh);
        sq__bind_text(q, 3, pr->name_en);
        sq__bind_text(q, 4, pr->category);
        sq__bind_text(q, 5, pr->brand);
        sqlite3_bind_double(q, 6, pr->price);
        sqlite3_bind_int(q, 7, d->stock[i]);
        sqlite3_bind_text(q, 8, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 9, pr->specs_json != NULL ? pr->specs_json : "{}", -1,
                          SQLITE_STATIC);
        rc = sq__done(c, q, "seed product", err);
        free(text);
    }
    return rc;
}

/* A demo customer: the one known on web as its external id, updated in
 * place (so its conversations and tickets keep pointing at it), or new. */
static int rp__seed_customer(struct sq_conn *c, long long web, const struct kf_seed_customer *sc,
                             long long *id, struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_SEED_FIND_CUSTOMER, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, web);
    sqlite3_bind_text(q, 2, sc->external_id, -1, SQLITE_STATIC);
    int rc = sq__int(c, q, id, err);
    int found = *id != 0;
    q = rc == KF_OK ? rp__stmt(c, found ? RS_SEED_UPDATE_CUSTOMER : RS_SEED_INSERT_CUSTOMER, err)
                    : NULL;
    if (q == NULL)
        return rc != KF_OK ? rc : KF_ESTORE;
    if (found)
        sqlite3_bind_int64(q, 1, *id);
    sqlite3_bind_text(q, 2, sc->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, sc->tier, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, sc->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, sc->phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, sc->city, -1, SQLITE_STATIC);
    sq__bind_text(q, 7, sc->birthday[0] ? sc->birthday : NULL);
    sqlite3_bind_int64(q, 8, sc->created_at);
    rc = sq__done(c, q, "seed customer", err);
    if (rc != KF_OK || found)
        return rc;
    *id = sqlite3_last_insert_rowid(c->db);
    q = rp__stmt(c, RS_SEED_INSERT_IDENTITY, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, *id);
    sqlite3_bind_int64(q, 2, web);
    sqlite3_bind_text(q, 3, sc->external_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, sc->created_at);
    return sq__done(c, q, "seed identity", err);
}

static int rp__seed_items(struct sq_conn *c, const struct kf_seed_params *p, long long oid,
                          const struct kf_seed_order *o, struct kf_err *err)
{
    int rc = KF_OK;
    for (int i = 0; rc == KF_OK && i < o->nitems; i++) {
        const struct kf_seed_product *pr = &p->products[o->items[i].product];
        sqlite3_stmt *q = rp__stmt(c, RS_SEED_ITEM, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_text(q, 2, pr->sku, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3,
                          pr->name_zh   ? pr->name_zh
                          : pr->name_en ? pr->name_en
                                        : pr->sku,
                          -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 4, o->items[i].qty);
        sqlite3_bind_double(q, 5, o->items[i].price);
        rc = sq__done(c, q, "seed order item", err);
    }
    return rc;
}

/* Shipment and payment of a seeded order, where it has them. */
static int rp__seed_pay_ship(struct sq_conn *c, long long oid, const struct kf_seed_order *o,
                             struct kf_seed_stats *stats, struct kf_err *err)
{
    int rc = KF_OK;
    if (o->carrier != NULL) {
        sqlite3_stmt *q = rp__stmt(c, RS_SEED_SHIPMENT, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_text(q, 2, o->carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, o->tracking_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, o->ship_status, -1, SQLITE_STATIC);
        sq__bind_ms(q, 5, o->eta);
        rc = sq__done(c, q, "seed shipment", err);
        stats->shipments++;
    }
    if (rc == KF_OK && o->pay_method != NULL) {
        sqlite3_stmt *q = rp__stmt(c, RS_SEED_PAYMENT, err);
        if (q == NULL)
            return KF_ESTORE;
        sqlite3_bind_int64(q, 1, oid);
        sqlite3_bind_text(q, 2, o->pay_method, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 3, o->total);
        sqlite3_bind_text(q, 4, o->pay_status, -1, SQLITE_STATIC);
        sq__bind_ms(q, 5, o->paid_at);
        rc = sq__done(c, q, "seed payment", err);
        stats->payments++;
    }
    return rc;
}

/* Refund and return of a seeded order, where it has them. */
static int rp__seed_after_sales(struct sq_conn *c, long long oid, const struct kf_seed_order *o,
                                struct kf_seed_stats *stats, struct kf_err *err)
{
    int rc = KF_OK;
    char no[48];
    if (o->refund_status != NULL) {
        sqlite3_stmt *q = rp__stmt(c, RS_SEED_REFUND, err);
        if (q == NULL)
            return KF_ESTORE;
        snprintf(no, sizeof no, "RF%s01", o->order_no + 2);
        sqlite3_bind_text(q, 1, no, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, oid);
        sqlite3_bind_double(q, 3, o->refund_amount);
        sqlite3_bind_text(q, 4, o->refund_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, o->refund_reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, o->refund_at);
        sq__bind_ms(q, 7, o->refund_done_at);
        rc = sq__done(c, q, "seed refund", err);
        stats->refunds++;
    }
    if (rc == KF_OK && o->return_kind != NULL) {
        sqlite3_stmt *q = rp__stmt(c, RS_SEED_RETURN, err);
        if (q == NULL)
            return KF_ESTORE;
        snprintf(no, sizeof no, "RMA%s01", o->order_no + 2);
        sqlite3_bind_text(q, 1, no, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, oid);
        sqlite3_bind_text(q, 3, o->return_kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, o->return_reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, o->return_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, "[]", -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 7, o->return_at);
        rc = sq__done(c, q, "seed return", err);
        stats->returns++;
    }
    return rc;
}

static int rp__seed_order(struct sq_conn *c, const struct kf_seed_data *d, const long long *cust,
                          const struct kf_seed_order *o, struct kf_seed_stats *stats,
                          struct kf_err *err)
{
    sqlite3_stmt *q = rp__stmt(c, RS_SEED_ORDER, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, o->order_no, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, cust[o->customer]);
    sqlite3_bind_text(q, 3, o->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, o->created_at);
    sqlite3_bind_int64(q, 5, o->updated_at);
    sq__bind_ms(q, 6, o->paid_at);
    sq__bind_ms(q, 7, o->shipped_at);
    sq__bind_ms(q, 8, o->delivered_at);
    sqlite3_bind_double(q, 9, o->total);
    sqlite3_bind_text(q, 10, o->address, -1, SQLITE_STATIC);
    int rc = sq__done(c, q, "seed order", err);
    long long oid = sqlite3_last_insert_rowid(c->db);
    if (rc == KF_OK)
        rc = rp__seed_items(c, d->params, oid, o, err);
    if (rc == KF_OK)
        rc = rp__seed_pay_ship(c, oid, o, stats, err);
    if (rc == KF_OK)
        rc = rp__seed_after_sales(c, oid, o, stats, err);
    if (rc == KF_OK)
        stats->orders++;
    return rc;
}

static int rp__seed_all(struct sq_conn *c, const struct kf_seed_data *d, long long *cust,
                        struct kf_seed_stats *stats, struct kf_err *err)
{
    long long web = 0;
    sqlite3_stmt *q = rp__stmt(c, RS_SEED_CHANNEL, err);
    int rc = q ? sq__int(c, q, &web, err) : KF_ESTORE;
    if (rc == KF_OK && web == 0)
        rc = kf_errorf(err, KF_ESTORE, "seed: channel 'web' is missing");
    if (rc == KF_OK)
        rc = rp__seed_products(c, d, err);
    stats->products = rc == KF_OK ? (long long)d->params->nproducts : 0;
    q = rc == KF_OK ? rp__stmt(c, RS_SEED_DELETE_ORDERS, err) : NULL;
    if (q != NULL)
        rc = sq__done(c, q, "delete demo orders", err);
    else if (rc == KF_OK)
        rc = KF_ESTORE;
    for (size_t i = 0; rc == KF_OK && i < d->ncustomers; i++)
        rc = rp__seed_customer(c, web, &d->customers[i], &cust[i], err);
    stats->customers = rc == KF_OK ? (long long)d->ncustomers : 0;
    for (size_t i = 0; rc == KF_OK && i < d->norders; i++)
        rc = rp__seed_order(c, d, cust, &d->orders[i], stats, err);
    return rc;
}

static int rp_seed_write(struct kf_store *st, const struct kf_seed_data *d,
                         struct kf_seed_stats *stats, struct kf_err *err)
{
    long long *cust = kf_calloc(d->ncustomers, sizeof *cust);
    if (cust == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK)
        rc = rp__seed_all(c, d, cust, stats, err);
    rc = sq__write_end(s, c, rc, err);
    kf_free(cust);
    if (rc != KF_OK) {
        struct kf_seed_stats zero = {0};
        *stats = zero;
    }
    return rc;
}

const struct kf_repo_ops kf_sqlite_repo_ops = {
    .product_get = rp_product_get,
    .product_list = rp_product_list,
    .order_get = rp_order_get,
    .order_list = rp_order_list,
    .order_update = rp_order_update,
    .return_create = rp_return_create,
    .ticket_create = rp_ticket_create,
    .ticket_get = rp_ticket_get,
    .ticket_list = rp_ticket_list,
    .ticket_update = rp_ticket_update,
    .ticket_comment_add = rp_ticket_comment_add,
    .customer_get = rp_customer_get,
    .customer_list = rp_customer_list,
    .customer_note_add = rp_customer_note_add,
    .seed_count = rp_seed_count,
    .seed_write = rp_seed_write,
};
