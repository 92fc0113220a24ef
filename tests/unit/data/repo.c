/* unit/data/repo.c — tests for the repositories of repo.h over the SQLite
 * backend: the demo seed (counts, determinism, the fixed orders), orders,
 * returns, products, tickets, customers, and the dialog state and turn
 * record written by kf_store_turn_commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/arena.h"
#include "kefu/repo.h"
#include "kefu/store.h"

#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */
#define HOUR 3600000LL

static const char *const ATTRS_5G[] = {"5g", "fast_charging"};
static const struct kf_seed_product PRODUCTS[] = {
    {"phone-a", "甲手机", "Phone A", "phones", "acme", 3999, ATTRS_5G, 2, NULL},
    {"phone-b", "乙手机", "Phone B", "phones", "bolt", 5999, NULL, 0, NULL},
    {"case-a", "甲手机壳", "Case A", "phone-cases", "acme", 59, NULL, 0, "{\"colour\":\"black\",\"fits\":[\"phone-a\"]}"},
    {"charger-a", "快充头", "Charger A", "chargers", "acme", 99, NULL, 0, NULL},
    {"buds-a", "甲耳机", "Buds A", "earphones", "bolt", 899, NULL, 0, NULL},
    {"laptop-a", "甲笔记本", "Laptop A", "laptops", "acme", 7999, NULL, 0, NULL},
    {"tablet-a", "甲平板", "Tablet A", "tablets", "bolt", 2999, NULL, 0, NULL},
    {"mouse-a", "甲鼠标", "Mouse A", "mice", "acme", 129, NULL, 0, NULL},
    {"chips-a", "薯片", "Chips", "chips", "crunch", 9.9, NULL, 0, NULL},
    {"drink-a", "可乐", "Cola", "drinks", "fizz", 3.5, NULL, 0, NULL},
};
#define NPRODUCTS (sizeof PRODUCTS / sizeof PRODUCTS[0])

struct fx {
    char dir[256];
    char path[320];
    struct kf_store *st;
    sqlite3 *db; /* an independent connection for checks */
    struct kf_seed_stats stats;
    long long demo1; /* demo-customer-1's id */
};

static struct kf_seed_params params(unsigned long long seed)
{
    struct kf_seed_params p = kf_seed_default_params();
    p.products = PRODUCTS;
    p.nproducts = NPRODUCTS;
    p.customers = 50;
    p.orders = 400;
    p.seed = seed;
    p.now_ms = NOW;
    return p;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-repo");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    *state = f;
    struct kf_store_params sp = kf_store_default_params();
    sp.path = f->path;
    sp.synchronous_full = 0;
    struct kf_err err = {0};
    struct kf_seed_params p = params(7);
    if (kf_store_open(sp, &f->st, &err) != 0 || kf_store_migrate(f->st, NULL, &err) != 0 ||
        kf_repo_seed(f->st, &p, &f->stats, &err) != 0 ||
        kf_store_customer_resolve(f->st, "web", "demo-customer-1", NULL, &f->demo1, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static long long sql_int(struct fx *f, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(f->db));
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static json_t *order(struct fx *f, const char *no)
{
    json_t *o = NULL;
    struct kf_err err = {0};
    if (kf_repo_order_get(f->st, no, &o, &err) != 0)
        fail_msg("order_get %s: %s", no, err.msg);
    return o;
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- seed ----------------------------------------------------------------- */

static void test_seed_counts(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->stats.products, NPRODUCTS);
    assert_int_equal(f->stats.customers, 50);
    assert_int_equal(f->stats.orders, 405); /* 400 generated + 5 fixed */
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM orders WHERE is_demo = 1"), 405);
    assert_int_equal(sql_int(f, "SELECT COUNT(DISTINCT order_no) FROM orders"), 405);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM orders WHERE order_no NOT GLOB"
                                " 'DS[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"),
                     0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM shipments"), f->stats.shipments);
    assert_true(f->stats.shipments > 300);
    assert_true(f->stats.payments >= f->stats.shipments);
    assert_true(f->stats.refunds > 0);
    /* tracking numbers in the formats the entity patterns read */
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM shipments WHERE NOT ("
                                "(tracking_no GLOB 'SF[0-9]*' AND length(tracking_no) = 14) OR"
                                "(tracking_no GLOB 'JD[0-9]*' AND length(tracking_no) = 15) OR"
                                "(tracking_no GLOB 'YT[0-9]*' AND length(tracking_no) = 15))"),
                     0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM orders WHERE created_at > 1795564800000"
                                " OR created_at < 1795564800000 - 366 * 86400000"),
                     0);
    assert_true(sql_int(f, "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'") > 0);
    assert_true(sql_int(f, "SELECT COUNT(*) FROM orders WHERE status = 'delivered'") > 300);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customers WHERE is_demo = 1"), 50);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customers WHERE phone_masked NOT GLOB"
                                " '1[0-9][0-9][*][*][*][*][0-9][0-9][0-9][0-9]'"
                                " OR name NOT LIKE '_*' OR email_masked NOT LIKE '_***@%'"),
                     0);
    assert_true(sql_int(f, "SELECT COUNT(*) FROM products WHERE stock > 0") > 0);
}

static void test_seed_is_deterministic_and_idempotent(void **state)
{
    struct fx *f = *state;
    json_t *before = NULL, *after = NULL;
    struct kf_err err = {0};
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(f->db, "SELECT order_no FROM orders ORDER BY id LIMIT 1", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    char first[32];
    snprintf(first, sizeof first, "%s", sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    before = order(f, first);
    struct kf_seed_params p = params(7);
    struct kf_seed_stats s;
    assert_int_equal(kf_repo_seed(f->st, &p, &s, &err), 0);
    assert_int_equal(s.orders, 405);
    after = order(f, first);
    json_object_del(before, "customer_id"); /* same customer row, so equal anyway */
    json_object_del(after, "customer_id");
    assert_true(json_equal(before, after));
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM orders"), 405);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customers"), 50);
    json_decref(before);
    json_decref(after);
    /* --if-empty: demo orders exist, nothing happens */
    p.if_empty = 1;
    p.seed = 99;
    assert_int_equal(kf_repo_seed(f->st, &p, &s, &err), 0);
    assert_true(s.skipped);
    json_t *again = order(f, first);
    json_decref(again);
    /* another seed: another shop */
    p.if_empty = 0;
    assert_int_equal(kf_repo_seed(f->st, &p, &s, &err), 0);
    json_t *o = NULL;
    int rc = kf_repo_order_get(f->st, first, &o, &err);
    assert_true(rc == KF_ENOTFOUND || !json_equal(o, after));
    json_decref(o);
}

static void test_fixed_orders(void **state)
{
    struct fx *f = *state;
    static const char *const want[][2] = {{"DS20261101001", "shipped"},
                                          {"DS20261101002", "delivered"},
                                          {"DS20261101003", "delivered"},
                                          {"DS20261101004", "paid"},
                                          {"DS20261101005", "pending"}};
    for (size_t i = 0; i < 5; i++) {
        json_t *o = order(f, want[i][0]);
        assert_string_equal(jstr(o, "status"), want[i][1]);
        assert_int_equal(json_integer_value(json_object_get(o, "customer_id")), f->demo1);
        json_decref(o);
    }
    json_t *o = order(f, "DS20261101001");
    assert_string_equal(jstr(json_object_get(o, "shipment"), "tracking_no"), "SF100000000001");
    assert_string_equal(jstr(json_array_get(json_object_get(o, "items"), 0), "sku"), "phone-a");
    json_decref(o);
    o = order(f, "DS20261101002");
    assert_int_equal(json_integer_value(json_object_get(o, "delivered_at")), NOW - 5 * 24 * HOUR);
    json_decref(o);
    o = order(f, "DS20261101005");
    assert_true(json_is_null(json_object_get(o, "payment")));
    assert_true(json_is_null(json_object_get(o, "paid_at")));
    json_decref(o);
}

/* ---- orders ---------------------------------------------------------------- */

static void test_order_shape(void **state)
{
    struct fx *f = *state;
    json_t *o = order(f, "DS20261101001");
    static const char *const keys[] = {"order_no",   "customer_id", "status",     "created_at",
                                       "updated_at", "paid_at",     "shipped_at", "delivered_at",
                                       "total",      "currency",    "address",    "items",
                                       "shipment",   "payment",     "refunds",    "returns"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(o, keys[i]) == NULL)
            fail_msg("order lacks %s", keys[i]);
    assert_int_equal(json_object_size(o), sizeof keys / sizeof keys[0]);
    json_t *it = json_array_get(json_object_get(o, "items"), 0);
    assert_non_null(json_object_get(it, "name"));
    assert_true(json_is_integer(json_object_get(it, "qty")));
    assert_string_equal(jstr(json_object_get(o, "payment"), "method"), "alipay");
    assert_string_equal(jstr(o, "currency"), "CNY");
    json_decref(o);
    json_t *list = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_repo_order_list(f->st, f->demo1, 10, &list, &err), 0);
    assert_int_equal(json_array_size(list), 5);
    assert_string_equal(jstr(json_array_get(list, 0), "order_no"), "DS20261101005"); /* newest */
    assert_non_null(json_object_get(json_array_get(list, 0), "items"));
    json_decref(list);
    assert_int_equal(kf_repo_order_get(f->st, "DS99999999999", &o, &err), KF_ENOTFOUND);
    assert_null(o);
}

static void test_order_update(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    json_t *o = NULL;
    json_t *cancel = json_pack("{s:s}", "status", "cancelled");
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101004", "pending", cancel, &o, &err),
                     KF_ECONFLICT);
    assert_non_null(strstr(err.msg, "paid"));
    assert_null(o);
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101004", "pending,paid", cancel, &o, &err),
                     0);
    assert_string_equal(jstr(o, "status"), "cancelled");
    json_t *refunds = json_object_get(o, "refunds");
    assert_int_equal(json_array_size(refunds), 1);
    assert_string_equal(jstr(json_array_get(refunds, 0), "status"), "processing");
    assert_true(json_number_value(json_object_get(json_array_get(refunds, 0), "amount")) ==
                json_number_value(json_object_get(o, "total")));
    json_decref(o);
    /* an unpaid order cancels without a refund */
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101005", NULL, cancel, &o, &err), 0);
    assert_int_equal(json_array_size(json_object_get(o, "refunds")), 0);
    json_decref(o);
    json_decref(cancel);
    json_t *addr = json_pack("{s:s}", "address", "北京市朝阳区****");
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101001", NULL, addr, &o, &err), 0);
    assert_string_equal(jstr(o, "address"), "北京市朝阳区****");
    json_decref(o);
    json_decref(addr);
}

static void test_return_create(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    json_t *r = NULL;
    json_t *req = json_pack("{s:s, s:s}", "kind", "return", "reason", "不想要了");
    assert_int_equal(kf_repo_return_create(f->st, "DS20261101002", req, &r, &err), 0);
    assert_string_equal(jstr(r, "status"), "requested");
    assert_string_equal(jstr(r, "rma_no"), "RMA2026110100201");
    assert_int_equal(json_array_size(json_object_get(r, "skus")), 1);
    json_decref(r);
    json_t *o = order(f, "DS20261101002");
    assert_int_equal(json_array_size(json_object_get(o, "returns")), 1);
    json_decref(o);
    /* not delivered yet */
    assert_int_equal(kf_repo_return_create(f->st, "DS20261101005", req, &r, &err), KF_ECONFLICT);
    json_decref(req);
    req = json_pack("{s:s, s:s}", "kind", "refund", "reason", "x");
    assert_int_equal(kf_repo_return_create(f->st, "DS20261101002", req, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "kind"));
    json_decref(req);
    req = json_pack("{s:s, s:s, s:[s]}", "kind", "exchange", "reason", "x", "skus", "nope");
    assert_int_equal(kf_repo_return_create(f->st, "DS20261101002", req, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "skus"));
    json_decref(req);
}

/* ---- products --------------------------------------------------------------- */

static json_t *products(struct fx *f, const char *query, int want_rc)
{
    json_t *q = json_loads(query, 0, NULL), *out = NULL;
    assert_non_null(q);
    struct kf_err err = {0};
    assert_int_equal(kf_repo_product_list(f->st, q, &out, &err), want_rc);
    json_decref(q);
    return out;
}

static void test_product_list(void **state)
{
    struct fx *f = *state;
    json_t *r = products(f, "{\"category\":\"phones\"}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 2);
    json_t *items = json_object_get(r, "items");
    assert_string_equal(jstr(json_array_get(items, 0), "sku"), "phone-a"); /* cheaper first */
    assert_true(json_is_array(json_object_get(json_array_get(items, 0), "attributes")));
    assert_true(json_is_object(json_object_get(json_array_get(items, 0), "specs")));
    json_decref(r);
    r = products(f, "{\"max_price\":100,\"limit\":2}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 4);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    json_decref(r);
    r = products(f, "{\"q\":\"phone\",\"brand\":\"bolt\"}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 1);
    json_decref(r);
    r = products(f, "{\"in_stock\":true,\"sort\":\"popular\",\"limit\":200}", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "total")),
                     sql_int(f, "SELECT COUNT(*) FROM products WHERE stock > 0"));
    json_decref(r);
    assert_null(products(f, "{\"colour\":\"red\"}", KF_EINVAL));
    assert_null(products(f, "{\"limit\":1000}", KF_EINVAL));
    assert_null(products(f, "{\"sort\":\"name\"}", KF_EINVAL));
    json_t *p = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_repo_product_get(f->st, "case-a", &p, &err), 0);
    assert_string_equal(jstr(p, "category"), "phone-cases");
    /* the seed's specs are kept as given: text specs and what it fits */
    json_t *specs = json_object_get(p, "specs");
    assert_string_equal(jstr(specs, "colour"), "black");
    assert_string_equal(json_string_value(json_array_get(json_object_get(specs, "fits"), 0)),
                        "phone-a");
    json_decref(p);
    assert_int_equal(kf_repo_product_get(f->st, "phone-b", &p, &err), 0);
    assert_int_equal(json_object_size(json_object_get(p, "specs")), 0); /* none given: {} */
    json_decref(p);
    assert_int_equal(kf_repo_product_get(f->st, "nope", &p, &err), KF_ENOTFOUND);
}

/* ---- tickets ---------------------------------------------------------------- */

static json_t *ticket_update(struct fx *f, long long id, const char *patch, int want_rc)
{
    json_t *p = json_loads(patch, 0, NULL), *out = NULL;
    struct kf_err err = {0};
    int rc = kf_repo_ticket_update(f->st, id, p, "alice", &out, &err);
    if (rc != want_rc)
        fail_msg("update %s: rc %d (%s)", patch, rc, err.msg);
    json_decref(p);
    return out;
}

static void test_tickets(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    json_t *t = NULL;
    json_t *fields = json_pack("{s:s, s:s, s:I}", "subject", "屏幕碎了", "priority", "high",
                               "customer_id", (json_int_t)f->demo1);
    assert_int_equal(kf_repo_ticket_create(f->st, fields, "bot", &t, &err), 0);
    json_decref(fields);
    long long id = json_integer_value(json_object_get(t, "id"));
    assert_string_equal(jstr(t, "status"), "open");
    assert_int_equal(json_integer_value(json_object_get(t, "due_at")) -
                         json_integer_value(json_object_get(t, "created_at")),
                     8 * HOUR);
    assert_int_equal(json_array_size(json_object_get(t, "history")), 1);
    json_decref(t);

    t = ticket_update(f, id, "{\"status\":\"pending\",\"assignee\":\"alice\"}", 0);
    json_t *h = json_object_get(t, "history");
    assert_int_equal(json_array_size(h), 3);
    assert_string_equal(jstr(json_array_get(h, 1), "actor"), "alice");
    assert_string_equal(jstr(json_array_get(h, 1), "from"), "open");
    assert_string_equal(jstr(json_array_get(h, 1), "to"), "pending");
    json_decref(t);
    t = ticket_update(f, id, "{\"priority\":\"urgent\"}", 0);
    assert_int_equal(json_integer_value(json_object_get(t, "due_at")) -
                         json_integer_value(json_object_get(t, "created_at")),
                     2 * HOUR);
    json_decref(t);
    t = ticket_update(f, id, "{\"status\":\"resolved\"}", 0);
    assert_true(json_is_integer(json_object_get(t, "resolved_at")));
    json_decref(t);
    json_decref(ticket_update(f, id, "{\"status\":\"closed\"}", 0));
    assert_null(ticket_update(f, id, "{\"status\":\"pending\"}", KF_ECONFLICT));
    t = ticket_update(f, id, "{\"status\":\"open\"}", 0);
    assert_true(json_is_null(json_object_get(t, "resolved_at")));
    json_decref(t);
    assert_null(ticket_update(f, id, "{\"status\":\"done\"}", KF_EINVAL));
    assert_null(ticket_update(f, id, "{\"owner\":\"bob\"}", KF_EINVAL));
    assert_null(ticket_update(f, 999999, "{\"status\":\"open\"}", KF_ENOTFOUND));

    json_t *c = NULL;
    assert_int_equal(kf_repo_ticket_comment_add(f->st, id, "alice", "已联系顾客", 1, &c, &err), 0);
    assert_true(json_is_true(json_object_get(c, "internal")));
    json_decref(c);
    assert_int_equal(kf_repo_ticket_comment_add(f->st, 999999, "a", "b", 0, &c, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_repo_ticket_get(f->st, id, &t, &err), 0);
    assert_int_equal(json_array_size(json_object_get(t, "comments")), 1);
    json_decref(t);

    json_t *filter = json_pack("{s:s}", "status", "open"), *list = NULL;
    assert_int_equal(kf_repo_ticket_list(f->st, filter, &list, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 1);
    json_decref(list);
    json_decref(filter);
    filter = json_pack("{s:s}", "priority", "whenever");
    assert_int_equal(kf_repo_ticket_list(f->st, filter, &list, &err), KF_EINVAL);
    json_decref(filter);

    fields = json_pack("{s:s}", "description", "no subject");
    assert_int_equal(kf_repo_ticket_create(f->st, fields, "bot", &t, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "subject"));
    json_decref(fields);
    fields = json_pack("{s:s, s:s}", "subject", "x", "priority", "asap");
    assert_int_equal(kf_repo_ticket_create(f->st, fields, "bot", &t, &err), KF_EINVAL);
    json_decref(fields);
    fields = json_pack("{s:s, s:I}", "subject", "x", "customer_id", (json_int_t)987654);
    assert_int_equal(kf_repo_ticket_create(f->st, fields, "bot", &t, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "customer_id"));
    json_decref(fields);
}

/* ---- customers ---------------------------------------------------------------- */

static void test_customer_get(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_conversation cv = {.customer_id = f->demo1, .created_at = NOW, .updated_at = NOW};
    memset(cv.id, 'a', KF_ID_LEN);
    snprintf(cv.channel, sizeof cv.channel, "web");
    snprintf(cv.lang, sizeof cv.lang, "zh");
    snprintf(cv.status, sizeof cv.status, "open");
    assert_int_equal(kf_store_conversation_create(f->st, &cv, &err), 0);
    json_t *n = NULL, *t = NULL, *c = NULL;
    assert_int_equal(kf_repo_customer_note_add(f->st, f->demo1, "alice", "VIP 顾客", &n, &err), 0);
    assert_string_equal(jstr(n, "body"), "VIP 顾客");
    json_decref(n);
    assert_int_equal(kf_repo_customer_note_add(f->st, 999999, "alice", "x", &n, &err),
                     KF_ENOTFOUND);
    json_t *fields = json_pack("{s:s, s:I, s:s}", "subject", "s", "customer_id",
                               (json_int_t)f->demo1, "conversation_id", cv.id);
    assert_int_equal(kf_repo_ticket_create(f->st, fields, NULL, &t, &err), 0);
    json_decref(fields);
    json_decref(t);

    assert_int_equal(kf_repo_customer_get(f->st, f->demo1, &c, &err), 0);
    assert_string_equal(jstr(json_array_get(json_object_get(c, "identities"), 0), "external_id"),
                        "demo-customer-1");
    assert_int_equal(json_array_size(json_object_get(c, "orders")), 5);
    assert_int_equal(json_array_size(json_object_get(c, "notes")), 1);
    assert_int_equal(json_array_size(json_object_get(c, "tickets")), 1);
    assert_int_equal(json_array_size(json_object_get(c, "conversations")), 1);
    assert_non_null(jstr(c, "tier"));
    assert_non_null(strchr(jstr(c, "name"), '*'));
    json_decref(c);
    assert_int_equal(kf_repo_customer_get(f->st, 999999, &c, &err), KF_ENOTFOUND);

    json_t *filter = json_pack("{s:s}", "q", "demo-customer-1"), *list = NULL;
    assert_int_equal(kf_repo_customer_list(f->st, filter, &list, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 11); /* 1, 10-19 */
    json_decref(list);
    json_decref(filter);
}

/* ---- dialog state and turn record --------------------------------------------- */

static void test_dialog_state_and_turn_record(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_conversation cv = {.customer_id = f->demo1, .created_at = NOW, .updated_at = NOW};
    memset(cv.id, 'b', KF_ID_LEN);
    snprintf(cv.channel, sizeof cv.channel, "web");
    snprintf(cv.lang, sizeof cv.lang, "zh");
    snprintf(cv.status, sizeof cv.status, "open");
    assert_int_equal(kf_store_conversation_create(f->st, &cv, &err), 0);
    struct kf_arena *a = kf_arena_new(0, 0);
    const char *got = (const char *)1;
    assert_int_equal(kf_store_dialog_state_get(f->st, cv.id, a, &got, &err), 0);
    assert_null(got);

    struct kf_message m[2] = {{.role = "customer", .text = "取消订单", .lang = "zh"},
                              {.role = "bot", .text = "好的", .lang = "zh", .kind = "flow"}};
    struct kf_turn_record rec = {.intent = "order.cancel",
                                 .intent_confidence = 0.93,
                                 .entities_json = "[]",
                                 .flow = "cancel_order",
                                 .outcome = "in_progress"};
    struct kf_turn_write w = {.conversation_id = cv.id,
                              .msgs = m,
                              .n = 2,
                              .dialog_state = "{\"flow\":\"cancel_order\"}",
                              .record = &rec};
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), 0);
    assert_int_equal(kf_store_dialog_state_get(f->st, cv.id, a, &got, &err), 0);
    assert_string_equal(got, "{\"flow\":\"cancel_order\"}");
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT message_id FROM dialog_turns WHERE conversation_id = '%s'"
             " AND intent = 'order.cancel' AND outcome = 'in_progress'",
             cv.id);
    assert_int_equal(sql_int(f, sql), m[0].id);

    /* the next turn replaces the state; no record: no row */
    m[0].id = m[1].id = 0;
    w.dialog_state = "{}";
    w.record = NULL;
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), 0);
    assert_int_equal(kf_store_dialog_state_get(f->st, cv.id, a, &got, &err), 0);
    assert_string_equal(got, "{}");
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM dialog_turns"), 1);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM dialog_states"), 1);

    /* an unknown conversation: nothing at all is written */
    w.conversation_id = "cccccccccccccccccccccccccccccccc";
    w.record = &rec;
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), KF_ENOTFOUND);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM dialog_turns"), 1);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM dialog_states"), 1);
    kf_arena_free(a);
}

/* ---- bad input -------------------------------------------------------------- */

static void test_bad_input(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    json_t *out = NULL;
    char *big = malloc(4002);
    memset(big, 'x', 4001);
    big[4001] = '\0';
    json_t *fields = json_pack("{s:s}", "subject", big);
    assert_int_equal(kf_repo_ticket_create(f->st, fields, "bot", &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "subject"));
    json_decref(fields);
    json_t *patch = json_pack("{s:s}", "address", big);
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101001", NULL, patch, &out, &err),
                     KF_EINVAL);
    assert_non_null(strstr(err.msg, "address"));
    json_decref(patch);
    assert_int_equal(kf_repo_ticket_comment_add(f->st, 1, "a", big, 0, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "body"));
    assert_int_equal(kf_repo_customer_note_add(f->st, f->demo1, big, "b", &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "author"));
    free(big);
    assert_int_equal(kf_repo_product_get(f->st, NULL, &out, &err), KF_EINVAL);
    assert_int_equal(kf_repo_order_list(f->st, f->demo1, 0, &out, &err), KF_EINVAL);
    patch = json_pack("{s:s}", "status", "lost");
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101001", NULL, patch, &out, &err),
                     KF_EINVAL);
    json_decref(patch);
    patch = json_pack("{s:i}", "status", 3);
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101001", NULL, patch, &out, &err),
                     KF_EINVAL);
    json_decref(patch);
    json_t *arr = json_array();
    assert_int_equal(kf_repo_order_update(f->st, "DS20261101001", NULL, arr, &out, &err),
                     KF_EINVAL);
    json_decref(arr);
    struct kf_seed_params p = params(1);
    struct kf_seed_stats s;
    p.nproducts = 0;
    assert_int_equal(kf_repo_seed(f->st, &p, &s, &err), KF_EINVAL);
    p = params(1);
    p.customers = 0;
    assert_int_equal(kf_repo_seed(f->st, &p, &s, &err), KF_EINVAL);
    assert_null(out);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_seed_counts),  T(test_seed_is_deterministic_and_idempotent),
        T(test_fixed_orders), T(test_order_shape),
        T(test_order_update), T(test_return_create),
        T(test_product_list), T(test_tickets),
        T(test_customer_get), T(test_dialog_state_and_turn_record),
        T(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
