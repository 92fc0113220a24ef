/*
 * integration/events.c — customer events through the real `kefu serve`
 * (issue 6): POST /api/v1/events with one event, a JSON array and JSON
 * lines; duplicates; a 400 naming the field for every kind of bad event; a
 * 422 listing the rejected lines of a partly bad batch; PII in a search
 * query stored masked; the profile reflecting the events (orders → RFM and
 * lifetime value, lifecycle), a tag from the bot's profiles.yaml listed by
 * the segments endpoints; the churn report; 404s, 405s and limits.
 *
 * The bot is a copy of the demo shop (cp -a keeps the times, so its NLU
 * models are not retrained) with a profiles.yaml adding one tag:
 * big_spender when the historical lifetime value is at least 2000.
 * Event times are relative to the clock (the API refuses times a day ahead).
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
#include <time.h>

#include "harness.h"

struct env {
    char dir[256];
    char db[300];
    char bot[300];
    struct kefu_proc kefu;
    long long customer; /* the id of external id ev-u1, learned in test_profile */
};

static struct env E;

/* "YYYY-MM-DDTHH:MM:SSZ", days before now. */
static const char *ago(double days, char buf[32])
{
    time_t t = time(NULL) - (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    snprintf(E.bot, sizeof E.bot, "%s/bot", E.dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -a '%s/bots/demo-shop' '%s'", KEFU_SRC_ROOT, E.bot);
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s/profiles.yaml", E.bot);
    FILE *f = fopen(cmd, "w");
    if (f == NULL)
        return -1;
    fputs("# written by tests/integration/events.c\n"
          "tags:\n"
          "  - name: big_spender\n"
          "    zh: 大客户\n"
          "    en: Big spender\n"
          "    when: \"ltv.historical >= 2000\"\n",
          f);
    fclose(f);
    const char *extra[] = {"--bot", E.bot, NULL};
    return th_start(&E.kefu, E.db, extra);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One request with a content type; asserts the status; returns the JSON
 * reply (caller decrefs). */
static json_t *call(const char *method, const char *path, const char *body, const char *ctype,
                    long want)
{
    struct th_resp r;
    assert_int_equal(th_http(&E.kefu, method, path, body, body ? strlen(body) : 0, ctype, &r), 0);
    if (r.status != want)
        fprintf(stderr, "%s %s → %ld %s\n", method, path, r.status, r.body);
    assert_int_equal(r.status, want);
    json_error_t je;
    json_t *doc = json_loadb(r.body, r.len, 0, &je);
    if (doc == NULL)
        fail_msg("%s %s: not JSON: %s", method, path, r.body);
    th_resp_free(&r);
    return doc;
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("%s: not a number", key);
    return (long long)json_number_value(v);
}

/* A 400 whose message names `field`. */
static void bad(const char *body, const char *field)
{
    json_t *r = call("POST", "/api/v1/events", body, NULL, 400);
    const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    assert_non_null(msg);
    if (strstr(msg, field) == NULL)
        fail_msg("%s → '%s' does not name %s", body, msg, field);
    json_decref(r);
}

static void test_single_and_duplicate(void **state)
{
    (void)state;
    char t[32], body[512];
    snprintf(body, sizeof body,
             "{\"event_id\":\"v-1\",\"type\":\"view\",\"external_id\":\"ev-u1\",\"sku\":\"S1\","
             "\"category\":\"phone\",\"at\":\"%s\"}",
             ago(3, t));
    json_t *r = call("POST", "/api/v1/events", body, NULL, 200);
    assert_int_equal(num(r, "added"), 1);
    assert_int_equal(num(r, "duplicates"), 0);
    assert_int_equal(num(r, "rejected"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "event_id")), "v-1");
    json_decref(r);
    r = call("POST", "/api/v1/events", body, NULL, 200);
    assert_int_equal(num(r, "added"), 0);
    assert_int_equal(num(r, "duplicates"), 1);
    json_decref(r);
}

static void test_batch_array(void **state)
{
    (void)state;
    char t1[32], t2[32], t3[32], body[1024];
    snprintf(body, sizeof body,
             "[{\"event_id\":\"s-1\",\"type\":\"search\",\"external_id\":\"ev-u1\","
             "\"query\":\"我的手机13812345678能退吗\",\"at\":\"%s\"},"
             "{\"event_id\":\"o-1\",\"type\":\"order\",\"external_id\":\"ev-u1\","
             "\"order_no\":\"EV-1\",\"amount\":1500,\"items\":[{\"sku\":\"S1\",\"qty\":1,"
             "\"price\":1500}],\"at\":\"%s\"},"
             "{\"event_id\":\"o-2\",\"type\":\"order\",\"external_id\":\"ev-u1\","
             "\"order_no\":\"EV-2\",\"amount\":800,\"at\":\"%s\"}]",
             ago(3, t1), ago(2, t2), ago(1, t3));
    json_t *r = call("POST", "/api/v1/events", body, NULL, 200);
    assert_int_equal(num(r, "added"), 3);
    assert_int_equal(json_array_size(json_object_get(r, "errors")), 0);
    json_decref(r);
}

static void test_ndjson_partial(void **state)
{
    (void)state;
    char t[32], body[1024];
    ago(0.5, t);
    snprintf(body, sizeof body,
             "{\"event_id\":\"c-1\",\"type\":\"click\",\"external_id\":\"ev-u2\",\"sku\":\"S2\","
             "\"at\":\"%s\"}\n"
             "{\"event_id\":\"c-2\",\"type\":\"click\",\"external_id\":\"ev-u2\",\"at\":\"%s\"}\n"
             "\n"
             "not json\n"
             "{\"event_id\":\"v-1\",\"type\":\"view\",\"external_id\":\"ev-u1\",\"sku\":\"S1\","
             "\"category\":\"phone\",\"at\":\"%s\"}\n",
             t, t, t);
    json_t *r = call("POST", "/api/v1/events", body, "application/x-ndjson", 422);
    assert_int_equal(num(r, "added"), 1);
    assert_int_equal(num(r, "rejected"), 2);
    json_t *errs = json_object_get(r, "errors");
    assert_int_equal(json_array_size(errs), 2);
    assert_int_equal(num(json_array_get(errs, 0), "line"), 2);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errs, 0), "error")),
                           "sku"));
    assert_int_equal(num(json_array_get(errs, 1), "line"), 4);
    json_decref(r);
    /* the same in a JSON array names indexes */
    snprintf(body, sizeof body, "[{\"type\":\"view\",\"external_id\":\"ev-u2\",\"sku\":\"S1\"},7]");
    r = call("POST", "/api/v1/events", body, NULL, 422);
    assert_int_equal(num(json_array_get(json_object_get(r, "errors"), 0), "index"), 1);
    json_decref(r);
}

static void test_validation_names_the_field(void **state)
{
    (void)state;
    bad("{\"external_id\":\"ev-u3\",\"sku\":\"S1\"}", "type");
    bad("{\"type\":\"teleport\",\"external_id\":\"ev-u3\"}", "type");
    bad("{\"type\":\"view\",\"external_id\":\"ev-u3\",\"sku\":\"S1\",\"colour\":\"red\"}", "colour");
    bad("{\"type\":\"view\",\"external_id\":\"ev-u3\"}", "sku");
    bad("{\"type\":\"view\",\"sku\":\"S1\"}", "customer_id");
    bad("{\"type\":\"view\",\"customer_id\":\"one\",\"sku\":\"S1\"}", "customer_id");
    bad("{\"type\":\"view\",\"external_id\":\"ev-u3\",\"sku\":\"S1\",\"at\":\"yesterday\"}", "at");
    bad("{\"type\":\"view\",\"external_id\":\"ev-u3\",\"sku\":\"S1\",\"at\":\"2099-01-01T00:00:00Z\"}",
        "at");
    bad("{\"type\":\"order\",\"external_id\":\"ev-u3\",\"order_no\":\"X\",\"amount\":-5}", "amount");
    bad("{\"type\":\"search\",\"external_id\":\"ev-u3\"}", "query");
    bad("{\"type\":\"message\",\"external_id\":\"ev-u3\"}", "type");
    bad("{\"type\":\"attribute\",\"external_id\":\"ev-u3\",\"attributes\":{\"lang\":\"fr\"}}",
        "attributes.lang");
    char *big = malloc(700);
    assert_non_null(big);
    memset(big, 'q', 600);
    big[600] = '\0';
    char body[1024];
    snprintf(body, sizeof body, "{\"type\":\"search\",\"external_id\":\"ev-u3\",\"query\":\"%s\"}",
             big);
    free(big);
    bad(body, "query");
    /* bodies that are not events at all */
    json_decref(call("POST", "/api/v1/events", "{\"type\":", NULL, 400));
    json_decref(call("POST", "/api/v1/events", "[]", NULL, 400));
    json_decref(call("POST", "/api/v1/events", "42", NULL, 400));
    json_decref(call("POST", "/api/v1/events", "", NULL, 400));
    json_decref(call("POST", "/api/v1/events", "\n\n", "application/x-ndjson", 400));
    json_decref(call("POST", "/api/v1/events", "{}", "image/png", 415));
    json_decref(call("GET", "/api/v1/events", NULL, NULL, 405));
}

static void test_limits(void **state)
{
    (void)state;
    /* 1001 events: refused whole; 1000 (≈ 90 kB, over server.max_body) fit */
    const char *ev = "{\"type\":\"view\",\"external_id\":\"ev-bulk\",\"sku\":\"S9\"}";
    size_t evlen = strlen(ev);
    char *body = malloc(1001 * (evlen + 1) + 1000 * 100 + 8);
    assert_non_null(body);
    size_t o = 0;
    body[o++] = '[';
    for (int i = 0; i < 1001; i++) {
        if (i > 0)
            body[o++] = ',';
        memcpy(body + o, ev, evlen);
        o += evlen;
    }
    body[o++] = ']';
    body[o] = '\0';
    json_decref(call("POST", "/api/v1/events", body, NULL, 400));
    o = 0;
    for (int i = 0; i < 1000; i++) {
        o += (size_t)snprintf(body + o, 100,
                              "{\"event_id\":\"bulk-%d\",\"type\":\"view\",\"external_id\":"
                              "\"ev-bulk\",\"sku\":\"S9\"}\n",
                              i);
    }
    assert_true(o > 64 * 1024);
    json_t *r = call("POST", "/api/v1/events", body, "application/x-ndjson", 200);
    assert_int_equal(num(r, "added"), 1000);
    json_decref(r);
    free(body);
    /* past the events body limit: 413 at once */
    size_t huge = 1100 * 1024;
    body = malloc(huge + 1);
    assert_non_null(body);
    memset(body, ' ', huge);
    body[huge] = '\0';
    json_decref(call("POST", "/api/v1/events", body, NULL, 413));
    free(body);
}

static void test_pii_masked_in_store(void **state)
{
    (void)state;
    json_t *seg = call("GET", "/api/v1/segments/big_spender/customers", NULL, NULL, 200);
    json_t *items = json_object_get(seg, "items");
    assert_int_equal(json_array_size(items), 1);
    E.customer = num(json_array_get(items, 0), "customer_id");
    assert_true(E.customer > 0);
    json_decref(seg);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/events?type=search", E.customer);
    json_t *r = call("GET", path, NULL, NULL, 200);
    json_t *list = json_object_get(r, "items");
    assert_int_equal(json_array_size(list), 1);
    const char *q = json_string_value(json_object_get(json_array_get(list, 0), "query"));
    assert_non_null(q);
    assert_null(strstr(q, "13812345678"));
    assert_non_null(strstr(q, "138****5678"));
    json_decref(r);
    /* every event of the customer, newest first, ISO times */
    snprintf(path, sizeof path, "/api/v1/customers/%lld/events?limit=2", E.customer);
    r = call("GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
    assert_int_equal(num(r, "total"), 4);
    assert_true(json_is_string(json_object_get(json_array_get(json_object_get(r, "items"), 0),
                                               "at")));
    json_decref(r);
}

static void test_profile_reflects_events(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/profile", E.customer);
    json_t *p = call("GET", path, NULL, NULL, 200);
    json_t *rfm = json_object_get(p, "rfm"), *ltv = json_object_get(p, "ltv");
    assert_int_equal(num(rfm, "frequency"), 2);
    assert_int_equal(num(rfm, "recency_days"), 1);
    assert_int_equal(num(ltv, "historical"), 2300);
    assert_int_equal(num(ltv, "avg_order_value"), 1150);
    /* a recent first order: new or active by the default lifecycle rules */
    const char *stage = json_string_value(json_object_get(p, "lifecycle"));
    assert_non_null(stage);
    assert_true(strcmp(stage, "new") == 0 || strcmp(stage, "active") == 0);
    json_t *tags = json_object_get(p, "tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "big_spender");
    assert_true(json_is_string(json_object_get(p, "computed_at")));
    json_decref(p);
    /* a year on, the same events make a churned customer */
    char at[32];
    time_t later = time(NULL) + 400 * 86400;
    struct tm tm;
    gmtime_r(&later, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(path, sizeof path, "/api/v1/customers/%lld/profile?at=%s", E.customer, at);
    p = call("GET", path, NULL, NULL, 200);
    assert_string_equal(json_string_value(json_object_get(p, "lifecycle")), "churned");
    assert_true(json_number_value(json_object_get(json_object_get(p, "churn"), "score")) > 0.5);
    json_decref(p);
    snprintf(path, sizeof path, "/api/v1/customers/%lld/profile?at=soon", E.customer);
    json_decref(call("GET", path, NULL, NULL, 400));
}

static void test_segments_and_churn(void **state)
{
    (void)state;
    json_t *s = call("GET", "/api/v1/segments", NULL, NULL, 200);
    json_t *tags = json_object_get(s, "tags");
    int found = 0;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "tag")), "big_spender") == 0) {
            assert_int_equal(num(t, "customers"), 1);
            found = 1;
        }
    }
    assert_true(found);
    json_decref(s);
    /* the customer is listed under its lifecycle stage too */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/profile", E.customer);
    json_t *p = call("GET", path, NULL, NULL, 200);
    snprintf(path, sizeof path, "/api/v1/segments/lifecycle:%s/customers?limit=500",
             json_string_value(json_object_get(p, "lifecycle")));
    json_decref(p);
    s = call("GET", path, NULL, NULL, 200);
    found = 0;
    json_array_foreach(json_object_get(s, "items"), i, t) found |= num(t, "customer_id") == E.customer;
    assert_true(found);
    json_decref(s);
    s = call("GET", "/api/v1/segments/nobody_has_this/customers", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(s, "items")), 0);
    json_decref(s);
    json_t *c = call("GET", "/api/v1/reports/churn?top=5", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(c, "buckets")), 10);
    assert_true(json_is_object(json_object_get(c, "levels")));
    json_decref(c);
}

static void test_not_found_and_limits(void **state)
{
    (void)state;
    json_decref(call("GET", "/api/v1/customers/999999/profile", NULL, NULL, 404));
    json_decref(call("GET", "/api/v1/customers/abc/profile", NULL, NULL, 404));
    json_decref(call("GET", "/api/v1/customers/abc/events", NULL, NULL, 404));
    json_decref(call("GET", "/api/v1/segments/x/nope", NULL, NULL, 404));
    json_decref(call("POST", "/api/v1/segments", "{}", NULL, 405));
    json_decref(call("POST", "/api/v1/customers/1/profile", "{}", NULL, 405));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/events?limit=501", E.customer);
    json_decref(call("GET", path, NULL, NULL, 400));
    snprintf(path, sizeof path, "/api/v1/customers/%lld/events?type=teleport", E.customer);
    json_decref(call("GET", path, NULL, NULL, 400));
    json_decref(call("GET", "/api/v1/segments/big_spender/customers?offset=-1", NULL, NULL, 400));
    json_decref(call("GET", "/api/v1/reports/churn?top=0", NULL, NULL, 400));
    json_decref(call("GET", "/api/v1/reports/churn?top=101", NULL, NULL, 400));
    /* the back office's customer routes still answer beside these */
    snprintf(path, sizeof path, "/api/v1/customers/%lld", E.customer);
    json_decref(call("GET", path, NULL, NULL, 200));
}

static void test_bad_profiles_yaml_stops_start(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/profiles.yaml", E.bot);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("tags:\n  - name: broken\n    when: \"ltv.historical >>= 1\"\n", f);
    fclose(f);
    char db[320];
    snprintf(db, sizeof db, "%s/other.db", E.dir);
    const char *args[] = {"serve", "--port", "0", "--db", db, "--bot", E.bot, "--log-level",
                          "off", NULL};
    assert_int_not_equal(th_run(args), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_and_duplicate),
        cmocka_unit_test(test_batch_array),
        cmocka_unit_test(test_ndjson_partial),
        cmocka_unit_test(test_validation_names_the_field),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_pii_masked_in_store),
        cmocka_unit_test(test_profile_reflects_events),
        cmocka_unit_test(test_segments_and_churn),
        cmocka_unit_test(test_not_found_and_limits),
        cmocka_unit_test(test_bad_profiles_yaml_stops_start),
    };
    return cmocka_run_group_tests_name("events", tests, setup, teardown);
}
