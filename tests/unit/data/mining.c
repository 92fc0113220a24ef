/* unit/data/mining.c — tests for the store half of mining.h over SQLite:
 * baskets read from order events (both levels, bad rows skipped), a rule set
 * mined and saved as a version, cross-sell and explain look-ups against it,
 * a second version, rolling back with activate, argument errors, the whole
 * run over the demo shop (kf_rules_mine_store), and basket files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/mining.h"
#include "kefu/repo.h"
#include "kefu/store.h"

#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */

struct fx {
    char dir[256];
    char path[320];
    struct kf_store *st;
    sqlite3 *db; /* a second connection, to write events directly */
    long long customer;
    int next_event;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-mining");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    *state = f;
    struct kf_store_params sp = kf_store_default_params();
    sp.path = f->path;
    struct kf_err err = {0};
    if (kf_store_open(sp, &f->st, &err) != 0 || kf_store_migrate(f->st, NULL, &err) != 0 ||
        kf_store_customer_resolve(f->st, "web", "shopper-1", NULL, &f->customer, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    if (sqlite3_open(f->path, &f->db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(f->db, 5000);
    return 0;
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

/* One event row as the events code writes it (events.h). */
static void add_event(struct fx *f, const char *type, const char *props)
{
    sqlite3_stmt *q = NULL;
    const char *sql = "INSERT INTO events (event_id, customer_id, type, at, props, received_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?4)";
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare: %s", sqlite3_errmsg(f->db));
    char id[32];
    snprintf(id, sizeof id, "t:%d", ++f->next_event);
    sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, f->customer);
    sqlite3_bind_text(q, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, NOW - 86400000LL + f->next_event % 7); /* times out of id order */
    sqlite3_bind_text(q, 5, props, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        fail_msg("insert: %s", sqlite3_errmsg(f->db));
    sqlite3_finalize(q);
}

/* An order of the given categories, each item with sku "<category>-1". */
static void add_order(struct fx *f, int times, const char *const *cats, size_t n)
{
    char props[512];
    for (int t = 0; t < times; t++) {
        size_t len = (size_t)snprintf(props, sizeof props, "{\"items\":[");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(props + len, sizeof props - len,
                                    "%s{\"sku\":\"%s-1\",\"qty\":1,\"price\":9.5,\"category\":\"%s\"}",
                                    i ? "," : "", cats[i], cats[i]);
        snprintf(props + len, sizeof props - len, "]}");
        add_event(f, "order", props);
    }
}

#define ORDER(f, times, ...)                                                                       \
    add_order(f, times, (const char *const[]){__VA_ARGS__},                                        \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* 200 orders with planted pairs, plus rows the reader must skip. */
static void shop_events(struct fx *f)
{
    ORDER(f, 40, "phones", "phone-cases", "chargers");
    ORDER(f, 20, "phones", "phone-cases");
    ORDER(f, 10, "phones");
    ORDER(f, 30, "laptops", "mice");
    ORDER(f, 10, "laptops");
    ORDER(f, 20, "drinks", "chips");
    ORDER(f, 10, "drinks");
    ORDER(f, 58, "books");
    /* an item without a category (kept at sku level), the same category twice */
    add_event(f, "order", "{\"items\":[{\"sku\":\"x-9\"},{\"sku\":\"books-1\",\"category\":"
                          "\"books\"},{\"sku\":\"books-2\",\"category\":\"books\"}]}");
    add_event(f, "order", "{\"items\":[]}");                 /* an empty basket */
    add_event(f, "view", "{\"items\":[{\"category\":\"phones\"}]}"); /* not an order */
    add_event(f, "order", "{bad json");                      /* skipped */
    add_event(f, "order", "{\"items\":[\"phones\", 3]}");    /* not objects: no items */
}

static long long shop_orders = 40 + 20 + 10 + 30 + 10 + 20 + 10 + 58 + 4; /* + the odd ones */

static long long mine_save(struct fx *f, const char *level, double min_conf)
{
    struct kf_err err = {0};
    struct kf_baskets *b = kf_baskets_new();
    assert_int_equal(kf_rules_baskets(f->st, level, b, &err), 0);
    struct kf_mine_params p = kf_mine_default_params();
    p.min_count = 10;
    p.min_confidence = min_conf;
    p.min_lift = 1.0;
    struct kf_mine_result r;
    if (kf_mine(b, p, &r, &err) != 0)
        fail_msg("mine: %s", err.msg);
    assert_true(r.nrules > 0);
    long long v = 0;
    if (kf_rules_save(f->st, level, b, &p, &r, &v, &err) != 0)
        fail_msg("save: %s", err.msg);
    kf_mine_result_release(&r);
    kf_baskets_free(b);
    return v;
}

static json_t *cross_sell(struct fx *f, const char *level, const char *const *items, size_t n,
                          int limit)
{
    json_t *out = NULL;
    struct kf_err err = {0};
    if (kf_rules_cross_sell(f->st, level, items, n, limit, &out, &err) != 0)
        fail_msg("cross_sell: %s", err.msg);
    assert_true(json_is_array(out));
    return out;
}

static int in_list(const char *s, const char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, items[i]) == 0)
            return 1;
    return 0;
}

/* Every rule's antecedent is among items, its consequent is not, best first. */
static void check_cross_sell(json_t *rules, const char *const *items, size_t n, long long version)
{
    double prev = 1e300;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(r, "antecedent"), j, v)
            assert_true(in_list(json_string_value(v), items, n));
        json_array_foreach(json_object_get(r, "consequent"), j, v)
            assert_false(in_list(json_string_value(v), items, n));
        double score = json_real_value(json_object_get(r, "lift")) *
                       json_real_value(json_object_get(r, "confidence"));
        assert_true(score <= prev);
        prev = score;
        assert_int_equal(json_integer_value(json_object_get(r, "version")), version);
        assert_true(json_integer_value(json_object_get(r, "rule_id")) >= 1);
        assert_true(json_integer_value(json_object_get(r, "count")) >= 10);
        assert_true(json_real_value(json_object_get(r, "support")) > 0);
    }
}

static void test_baskets_from_events(void **state)
{
    struct fx *f = *state;
    shop_events(f);
    struct kf_err err = {0};
    struct kf_baskets *b = kf_baskets_new();
    assert_int_equal(kf_rules_baskets(f->st, "category", b, &err), 0);
    /* one basket per order event with item objects in valid JSON: the
     * bad-JSON, empty and non-object ones are not baskets */
    assert_int_equal(kf_baskets_count(b), shop_orders - 3);
    long long phones = kf_baskets_find(b, "phones");
    assert_true(phones >= 0);
    size_t n, with_phones = 0, sizes[4] = {0};
    for (size_t i = 0; i < kf_baskets_count(b); i++) {
        const uint32_t *it = kf_baskets_get(b, i, &n);
        sizes[n < 3 ? n : 3]++;
        for (size_t j = 0; j < n; j++)
            with_phones += it[j] == (uint32_t)phones;
    }
    assert_int_equal(with_phones, 70); /* the view event is not a basket */
    assert_int_equal(sizes[0], 0);
    assert_int_equal(sizes[3], 40);
    assert_int_equal(kf_baskets_nitems(b), 8);
    kf_baskets_free(b);
    /* sku level: the item without a category is there */
    b = kf_baskets_new();
    assert_int_equal(kf_rules_baskets(f->st, "sku", b, &err), 0);
    assert_true(kf_baskets_find(b, "x-9") >= 0);
    assert_true(kf_baskets_find(b, "books-2") >= 0);
    kf_baskets_free(b);
    assert_int_equal(kf_rules_baskets(f->st, "brand", b, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "level"));
}

static void test_round_trip(void **state)
{
    struct fx *f = *state;
    shop_events(f);
    struct kf_err err = {0};
    /* nothing mined yet: no active set, an empty answer */
    static const char *const PHONES[] = {"phones"};
    json_t *out = cross_sell(f, "category", PHONES, 1, 10);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);

    long long v1 = mine_save(f, "category", 0.5);
    assert_true(v1 >= 1);
    out = cross_sell(f, "category", PHONES, 1, 10);
    /* phones → phone-cases (60/70) and → chargers (40/70 ≥ 0.5) */
    assert_int_equal(json_array_size(out), 2);
    check_cross_sell(out, PHONES, 1, v1);
    json_t *top = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(top, "consequent"), 0)),
                        "phone-cases");
    assert_true(fabs(json_real_value(json_object_get(top, "confidence")) - 60.0 / 70) < 1e-9);
    assert_int_equal(json_integer_value(json_object_get(top, "count")), 60);
    json_decref(out);

    /* two items in the basket: the pair rule appears, nothing already owned */
    static const char *const PAIR[] = {"phone-cases", "phones", "unknown"};
    out = cross_sell(f, "category", PAIR, 3, 10);
    assert_true(json_array_size(out) >= 2);
    check_cross_sell(out, PAIR, 3, v1);
    int pair_rule = 0;
    size_t i;
    json_t *r;
    json_array_foreach(out, i, r) pair_rule |= json_array_size(json_object_get(r, "antecedent")) == 2;
    assert_true(pair_rule);
    json_decref(out);
    out = cross_sell(f, "category", PAIR, 3, 1); /* limit */
    assert_int_equal(json_array_size(out), 1);
    json_decref(out);
    static const char *const NONE[] = {"books"};
    out = cross_sell(f, "category", NONE, 1, 10);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    /* the other level has no active set */
    out = cross_sell(f, "sku", PHONES, 1, 10);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);

    /* explain: every rule mentioning chargers, either side */
    assert_int_equal(kf_rules_explain(f->st, "category", "chargers", 100, &out, &err), 0);
    assert_true(json_array_size(out) >= 3);
    json_array_foreach(out, i, r)
    {
        char *text = json_dumps(r, 0);
        assert_non_null(strstr(text, "\"chargers\""));
        free(text);
    }
    json_decref(out);

    /* a second, stricter version becomes the active one */
    long long v2 = mine_save(f, "category", 0.8);
    assert_true(v2 > v1);
    out = cross_sell(f, "category", PHONES, 1, 10);
    assert_int_equal(json_array_size(out), 1); /* only 60/70 ≥ 0.8 */
    check_cross_sell(out, PHONES, 1, v2);
    json_decref(out);
    long long vs = mine_save(f, "sku", 0.5); /* another level: its own active set */

    assert_int_equal(kf_rules_versions(f->st, "category", &out, &err), 0);
    assert_int_equal(json_array_size(out), 2);
    json_t *newest = json_array_get(out, 0);
    assert_int_equal(json_integer_value(json_object_get(newest, "version")), v2);
    assert_int_equal(json_integer_value(json_object_get(newest, "active")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 1), "active")), 0);
    assert_int_equal(json_integer_value(json_object_get(newest, "baskets")), shop_orders - 3);
    json_t *params = json_object_get(newest, "params");
    assert_string_equal(json_string_value(json_object_get(params, "algorithm")), "fpgrowth");
    assert_int_equal(json_integer_value(json_object_get(params, "min_count")), 10);
    json_decref(out);
    assert_int_equal(kf_rules_versions(f->st, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(out), 3);
    json_decref(out);

    /* roll back to v1 */
    assert_int_equal(kf_rules_activate(f->st, v1, &err), 0);
    out = cross_sell(f, "category", PHONES, 1, 10);
    assert_int_equal(json_array_size(out), 2);
    check_cross_sell(out, PHONES, 1, v1);
    json_decref(out);
    static const char *const SKU[] = {"laptops-1"};
    out = cross_sell(f, "sku", SKU, 1, 10); /* untouched by the category roll-back */
    assert_int_equal(json_array_size(out), 1);
    check_cross_sell(out, SKU, 1, vs);
    json_decref(out);
    assert_int_equal(kf_rules_activate(f->st, 9999, &err), KF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "9999"));
    out = cross_sell(f, "category", PHONES, 1, 10); /* a failed activate changes nothing */
    check_cross_sell(out, PHONES, 1, v1);
    json_decref(out);
}

static void test_argument_errors(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    json_t *out = NULL;
    static const char *const ITEMS[] = {"phones", NULL};
    assert_int_equal(kf_rules_cross_sell(f->st, "brand", ITEMS, 1, 5, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "level"));
    assert_int_equal(kf_rules_cross_sell(f->st, "sku", ITEMS, 1, 0, &out, &err), KF_EINVAL);
    assert_int_equal(kf_rules_cross_sell(f->st, "sku", ITEMS, 1, 101, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "limit"));
    assert_int_equal(kf_rules_cross_sell(f->st, "sku", ITEMS, 2, 5, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "items[1]"));
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *const LONG[] = {longname};
    assert_int_equal(kf_rules_cross_sell(f->st, "sku", LONG, 1, 5, &out, &err), KF_EINVAL);
    assert_null(out);
    assert_int_equal(kf_rules_cross_sell(f->st, "sku", NULL, 0, 5, &out, &err), 0);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    assert_int_equal(kf_rules_explain(f->st, "sku", "", 5, &out, &err), KF_EINVAL);
    assert_int_equal(kf_rules_activate(f->st, 0, &err), KF_EINVAL);
    assert_int_equal(kf_rules_versions(f->st, "x", &out, &err), KF_EINVAL);
}

/* The whole run: the shop's orders become events, then baskets, rules, a
 * version. */
static void test_mine_demo_shop(void **state)
{
    struct fx *f = *state;
    static const struct kf_seed_product P[] = {
        {"phone-a", "甲手机", "Phone A", "phones", "acme", 3999, NULL, 0, NULL},
        {"case-a", "甲手机壳", "Case A", "phone-cases", "acme", 59, NULL, 0, NULL},
        {"charger-a", "快充头", "Charger A", "chargers", "acme", 99, NULL, 0, NULL},
        {"buds-a", "甲耳机", "Buds A", "earphones", "bolt", 899, NULL, 0, NULL},
        {"mouse-a", "甲鼠标", "Mouse A", "mice", "acme", 129, NULL, 0, NULL},
        {"laptop-a", "甲笔记本", "Laptop A", "laptops", "acme", 7999, NULL, 0, NULL},
    };
    struct kf_seed_params sp = kf_seed_default_params();
    sp.products = P;
    sp.nproducts = sizeof P / sizeof P[0];
    sp.customers = 30;
    sp.orders = 600;
    sp.now_ms = NOW;
    struct kf_seed_stats stats;
    struct kf_err err = {0};
    if (kf_repo_seed(f->st, &sp, &stats, &err) != 0)
        fail_msg("seed: %s", err.msg);
    struct kf_mine_params p = kf_mine_default_params();
    p.min_support = 0.01;
    p.min_confidence = 0.1;
    p.min_lift = 0;
    struct kf_rules_run run;
    if (kf_rules_mine_store(f->st, "category", p, &run, &err) != 0)
        fail_msg("mine_store: %s", err.msg);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(f->db, "SELECT COUNT(*) FROM orders WHERE status != 'cancelled'", -1, &q,
                       NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long long orders = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    assert_int_equal(run.baskets, orders);
    assert_true(run.version >= 1);
    assert_true(run.itemsets >= 6 && run.rules > 0);
    json_t *out = NULL;
    assert_int_equal(kf_rules_versions(f->st, "category", &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 0), "nrules")),
                     run.rules);
    json_decref(out);
    /* a second run syncs nothing twice: the same baskets */
    struct kf_rules_run again;
    assert_int_equal(kf_rules_mine_store(f->st, "category", p, &again, &err), 0);
    assert_int_equal(again.baskets, run.baskets);
    assert_int_equal(again.rules, run.rules);
    assert_int_equal(again.version, run.version + 1);
    assert_int_equal(kf_rules_mine_store(f->st, "colour", p, &again, &err), KF_EINVAL);
}

static void test_basket_file(void **state)
{
    struct fx *f = *state;
    const char *path = tu_write(f->dir, "b.txt",
                                "# a comment\n"
                                "phone case charger\n"
                                "\n"
                                "phone,case\r\n"
                                "  laptop , mouse,,mouse\n");
    struct kf_err err = {0};
    struct kf_baskets *b = kf_baskets_new();
    assert_int_equal(kf_baskets_read_file(b, path, &err), 0);
    assert_int_equal(kf_baskets_count(b), 4); /* the blank line is an empty basket */
    size_t n;
    kf_baskets_get(b, 3, &n);
    assert_int_equal(n, 2);
    assert_int_equal(kf_baskets_find(b, "mouse"), 4);
    kf_baskets_free(b);

    char bad[256];
    snprintf(bad, sizeof bad, "a b\nc d\nok %0*d\n", 70, 7);
    path = tu_write(f->dir, "bad.txt", bad);
    b = kf_baskets_new();
    assert_int_equal(kf_baskets_read_file(b, path, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "bad.txt:3"));
    assert_non_null(strstr(err.msg, "expected 1..64"));
    kf_baskets_free(b);

    b = kf_baskets_new();
    path = tu_write(f->dir, "utf8.txt", "手机 保护壳\nx \xff\n");
    assert_int_equal(kf_baskets_read_file(b, path, &err), KF_EUTF8);
    assert_non_null(strstr(err.msg, "utf8.txt:2"));
    kf_baskets_free(b);

    b = kf_baskets_new();
    assert_int_equal(kf_baskets_read_file(b, "/nonexistent/baskets.txt", &err), KF_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/baskets.txt"));
    kf_baskets_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_baskets_from_events, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_argument_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_mine_demo_shop, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_basket_file, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
