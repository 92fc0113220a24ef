/*
 * integration/reco.c — recommendations over HTTP on the real `kefu serve`:
 * a customer's recommendations (logged impressions, never what the customer
 * owns), clicks (only the first counts, only the customer's own), the
 * conversion of a recommendation by events sent to POST /api/v1/events (a
 * click naming rec_id, an order of a recommended sku), the report's numbers
 * and window, and the 4xx JSON errors of every bad input.
 *
 * Assumes the demo shop: `kefu demo seed --customers 50 --orders 400`
 * (docs/demo-data.md), whose demo-customer-1 owns the fixed orders. The
 * tests run in order (the second uses the customer the first found).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
    long long customer; /* demo-customer-1 */
    long long other;    /* another customer */
};

static struct env E;

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    const char *seed[] = {"demo",   "seed",     "--db",        E.db, "--bot",
                          KEFU_SRC_ROOT "/bots/demo-shop", "--customers", "50",
                          "--orders", "400", "--log-level", "warn", NULL};
    if (th_run(seed) != 0) {
        th_rmdir(E.dir);
        return -1;
    }
    return th_start(&E.kefu, E.db, NULL);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One request: asserts the status and a JSON reply (caller decrefs). */
static json_t *call(const char *method, const char *path, const char *body, long want)
{
    long status = 0;
    json_t *j = th_json(&E.kefu, method, path, body, &status);
    if (status != want) {
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        fail_msg("%s %s → %ld, want %ld: %s", method, path, status, want, s ? s : "(no JSON)");
    }
    assert_non_null(j);
    return j;
}

/* A 4xx error reply carrying a JSON error object naming `field`. */
static void call_error(const char *method, const char *path, const char *body, long want,
                       const char *field)
{
    json_t *j = call(method, path, body, want);
    char *s = json_dumps(j, JSON_COMPACT);
    if (field != NULL && strstr(s, field) == NULL)
        fail_msg("%s %s: error %s does not name %s", method, path, s, field);
    assert_non_null(json_object_get(j, "error"));
    free(s);
    json_decref(j);
}

/* demo-customer-1: the owner of the fixed order DS20261101001. */
static long long demo_customer(void)
{
    json_t *j = call("GET", "/api/v1/orders/DS20261101001", NULL, 200);
    long long id = (long long)json_integer_value(json_object_get(j, "customer_id"));
    json_decref(j);
    assert_true(id > 0);
    return id;
}

/* Another customer of the demo shop. */
static long long other_customer(long long not)
{
    for (long long id = 1; id < 100; id++) {
        char path[160];
        long status = 0;
        snprintf(path, sizeof path, "/api/v1/customers/%lld", id);
        json_t *j = th_json(&E.kefu, "GET", path, NULL, &status);
        json_decref(j);
        if (status == 200 && id != not)
            return id;
    }
    fail_msg("no second customer");
    return 0;
}

static int owns(long long customer, const char *sku)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/orders", customer);
    json_t *j = call("GET", path, NULL, 200);
    size_t i, k;
    json_t *o, *it;
    int yes = 0;
    json_array_foreach(json_object_get(j, "items"), i, o)
        json_array_foreach(json_object_get(o, "items"), k, it) yes |=
        strcmp(json_string_value(json_object_get(it, "sku")), sku) == 0;
    json_decref(j);
    return yes;
}

static json_t *group_line(json_t *rep, const char *group, const char *key, const char *name)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rep, group), i, l) if (
        strcmp(json_string_value(json_object_get(l, key)), name) == 0) return l;
    fail_msg("report: no %s %s", key, name);
    return NULL;
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void test_recommend_click_convert_report(void **state)
{
    (void)state;
    E.customer = demo_customer();
    E.other = other_customer(E.customer);
    char path[200], body[600];

    /* an empty log reports zeros for every source and strategy */
    json_t *rep = call("GET", "/api/v1/reports/recommendations", NULL, 200);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 0);
    assert_int_equal(json_array_size(json_object_get(rep, "by_source")), 3);
    assert_int_equal(json_array_size(json_object_get(rep, "by_strategy")), 4);
    json_decref(rep);

    snprintf(path, sizeof path, "/api/v1/customers/%lld/recommendations?limit=3&lang=en",
             E.customer);
    json_t *rec = call("GET", path, NULL, 200);
    json_t *items = json_object_get(rec, "items");
    assert_int_equal(json_array_size(items), 3);
    long long ids[3];
    const char *skus[3];
    for (size_t i = 0; i < 3; i++) {
        json_t *it = json_array_get(items, i);
        ids[i] = num(it, "id");
        skus[i] = json_string_value(json_object_get(it, "sku"));
        assert_true(ids[i] > 0);
        assert_string_equal(json_string_value(json_object_get(it, "strategy")), "api");
        assert_non_null(json_string_value(json_object_get(it, "reason")));
        assert_false(owns(E.customer, skus[i]));
    }

    /* a click: the first counts; again: not; another customer's: 404 */
    snprintf(path, sizeof path, "/api/v1/recommendations/%lld/click", ids[0]);
    snprintf(body, sizeof body, "{\"customer_id\":%lld}", E.customer);
    json_t *c = call("POST", path, body, 200);
    assert_true(json_is_true(json_object_get(c, "first")));
    assert_true(json_is_string(
        json_object_get(json_object_get(c, "recommendation"), "clicked_at"))); /* ISO 8601 */
    json_decref(c);
    c = call("POST", path, "{}", 200);
    assert_true(json_is_false(json_object_get(c, "first")));
    json_decref(c);
    snprintf(body, sizeof body, "{\"customer_id\":%lld}", E.other);
    call_error("POST", path, body, 404, "not found");

    /* events: a click naming the second, an order of the third's sku */
    snprintf(body, sizeof body,
             "[{\"event_id\":\"it-reco-click\",\"type\":\"click\",\"customer_id\":%lld,"
             "\"sku\":\"%s\",\"rec_id\":%lld},"
             "{\"event_id\":\"it-reco-order\",\"type\":\"order\",\"customer_id\":%lld,"
             "\"order_no\":\"IT-RECO-1\",\"items\":[{\"sku\":\"%s\",\"qty\":1}]}]",
             E.customer, skus[1], ids[1], E.customer, skus[2]);
    json_t *ev = call("POST", "/api/v1/events", body, 200);
    json_decref(ev);
    json_decref(rec);

    rep = call("GET", "/api/v1/reports/recommendations", NULL, 200);
    json_t *total = json_object_get(rep, "total");
    assert_int_equal(num(total, "impressions"), 3);
    assert_int_equal(num(total, "clicks"), 2);
    assert_int_equal(num(total, "conversions"), 1);
    json_t *api = group_line(rep, "by_strategy", "strategy", "api");
    assert_int_equal(num(api, "impressions"), 3);
    assert_int_equal(num(api, "clicks"), 2);
    assert_int_equal(num(api, "conversions"), 1);
    double cr = json_real_value(json_object_get(api, "conversion_rate"));
    assert_true(cr > 0.333 && cr < 0.334);
    assert_int_equal(num(group_line(rep, "by_strategy", "strategy", "cross_sell"), "impressions"),
                     0);
    long long by_source = 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rep, "by_source"), i, l) by_source += num(l, "clicks");
    assert_int_equal(by_source, 2);
    json_decref(rep);

    /* a window before any of it: zeros, and the window is echoed */
    rep = call("GET", "/api/v1/reports/recommendations?since=2001-01-01&until=2001-01-02T00:00:00Z",
               NULL, 200);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 0);
    assert_string_equal(json_string_value(json_object_get(rep, "since")),
                        "2001-01-01T00:00:00.000Z");
    json_decref(rep);
    rep = call("GET", "/api/v1/reports/recommendations?since=978307200000", NULL, 200);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 3);
    json_decref(rep);
}

static void test_bad_input(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/recommendations?limit=0", E.customer);
    call_error("GET", path, NULL, 400, "limit");
    snprintf(path, sizeof path, "/api/v1/customers/%lld/recommendations?limit=abc", E.customer);
    call_error("GET", path, NULL, 400, "limit");
    snprintf(path, sizeof path, "/api/v1/customers/%lld/recommendations?lang=fr", E.customer);
    call_error("GET", path, NULL, 400, "lang");
    call_error("GET", "/api/v1/customers/999999/recommendations", NULL, 404, NULL);
    call_error("GET", "/api/v1/customers/abc/recommendations", NULL, 404, NULL);
    snprintf(path, sizeof path, "/api/v1/customers/%lld/recommendations", E.customer);
    call_error("POST", path, "{}", 405, NULL);
    call_error("POST", "/api/v1/recommendations/999999/click", "{}", 404, NULL);
    call_error("POST", "/api/v1/recommendations/abc/click", "{}", 404, NULL);
    call_error("POST", "/api/v1/recommendations/1/clicks", "{}", 404, NULL);
    call_error("GET", "/api/v1/recommendations/1/click", NULL, 405, NULL);
    call_error("POST", "/api/v1/recommendations/1/click", "{\"who\":1}", 400, "who");
    call_error("POST", "/api/v1/recommendations/1/click", "{\"customer_id\":\"x\"}", 400,
               "customer_id");
    call_error("POST", "/api/v1/recommendations/1/click", "[1", 400, NULL);
    call_error("GET", "/api/v1/reports/recommendations?since=yesterday", NULL, 400, "since");
    call_error("GET", "/api/v1/reports/recommendations?since=2026-01-02&until=2026-01-01", NULL,
               400, "since");
    call_error("DELETE", "/api/v1/reports/recommendations", NULL, 405, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recommend_click_convert_report),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
