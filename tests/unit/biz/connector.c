/*
 * unit/biz/connector.c — tests for src/biz/connector*.c (connector.h).
 *
 * The http connector talks to tests/fake_orders.c, a fake company order
 * service on a loopback port whose answers each test scripts (errors,
 * delays), with docs/examples/orders-http.yaml as the spec: field and value
 * mapping, status → error mapping, retries with backoff, timeouts, the
 * circuit breaker, the auth header (sent, never logged) and spec errors with
 * file:line. The builtin connector is tested against a fresh SQLite store
 * seeded by kf_repo_seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_orders.h"
#include "kefu/connector.h"
#include "kefu/repo.h"
#include "kefu/store.h"
#include "testutil.h"

#define SPEC KEFU_SRC_ROOT "/docs/examples/orders-http.yaml"
#define AUTH_VALUE "Bearer s3cret-token-1234"

static struct fake_orders *fake;

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int group_setup(void **state)
{
    (void)state;
    fake = fake_orders_start(AUTH_VALUE);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_orders_stop(fake);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    fake_orders_reset(fake);
    return 0;
}

static struct kf_connector_params http_params(void)
{
    struct kf_connector_params p = kf_connector_default_params();
    p.backend = "orders";
    p.type = "http";
    p.url = fake_orders_url(fake);
    p.spec_path = SPEC;
    p.auth_header = "Authorization: " AUTH_VALUE;
    p.timeout_ms = 2000;
    p.backoff_ms = 10;
    return p;
}

static struct kf_connector *http_new(struct kf_connector_params p)
{
    struct kf_connector *c = NULL;
    struct kf_err err = {0};
    int rc = kf_connector_new(p, &c, &err);
    if (rc != 0)
        fail_msg("kf_connector_new: %s", err.msg);
    return c;
}

static int call(struct kf_connector *c, const char *op, const char *args_json, json_t **out,
                struct kf_err *err)
{
    json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
    if (args_json != NULL && args == NULL)
        fail_msg("bad test JSON %s", args_json);
    int rc = kf_connector_call(c, op, args, out, err);
    json_decref(args);
    return rc;
}

/* ---- params and construction ------------------------------------------------- */

static void test_default_params(void **state)
{
    (void)state;
    struct kf_connector_params p = kf_connector_default_params();
    assert_string_equal(p.type, "builtin");
    assert_int_equal(p.timeout_ms, 3000);
    assert_int_equal(p.retries, 2);
    assert_int_equal(p.backoff_ms, 100);
    assert_int_equal(p.breaker_failures, 5);
    assert_int_equal(p.breaker_reset_ms, 30000);
    kf_connector_free(NULL); /* no-op */
}

static void test_new_errors(void **state)
{
    (void)state;
    struct kf_connector *c = NULL;
    struct kf_err err = {0};
    struct kf_connector_params p = http_params();
    p.type = "soap";
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_null(c);
    assert_contains(err.msg, "connectors.orders.type");
    assert_contains(err.msg, "soap");

    p = http_params();
    p.url = NULL;
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.orders.url: required");
    p = http_params();
    p.url = "ftp://example.com/";
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.orders.url");
    p = http_params();
    p.spec_path = "";
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.orders.spec: required");
    p = http_params();
    p.auth_header = "Bearer no-name-" AUTH_VALUE;
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.orders.auth_header");
    assert_null(strstr(err.msg, "s3cret")); /* never echoed */
    p = http_params();
    p.retries = 11;
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.orders.retries");
    p = http_params();
    p.spec_path = "/nonexistent/spec.yaml";
    assert_int_not_equal(kf_connector_new(p, &c, &err), 0);
    assert_contains(err.msg, "connectors.orders.spec");
    assert_contains(err.msg, "/nonexistent/spec.yaml");

    /* builtin needs a store */
    p = kf_connector_default_params();
    p.type = NULL;
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_contains(err.msg, "store");
}

/* ---- mapping ------------------------------------------------------------------------ */

static void test_get_maps_fields_and_values(void **state)
{
    (void)state;
    struct kf_connector *c = http_new(http_params());
    assert_string_equal(kf_connector_type(c), "http");
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    json_t *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "order_no")), "A1001");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "shipped");
    /* their customer id is a reference (a string), never kefu's customer_id */
    assert_string_equal(json_string_value(json_object_get(o, "customer_ref")), "7");
    assert_null(json_object_get(o, "customer_id"));
    assert_true(json_is_null(json_object_get(o, "delivered_at"))); /* not delivered */
    assert_true(json_is_real(json_object_get(o, "total")));
    assert_true(json_real_value(json_object_get(o, "total")) == 199.0);
    assert_string_equal(json_string_value(json_object_get(o, "currency")), "CNY");
    /* 2026-01-05T10:00:00Z */
    assert_int_equal(json_integer_value(json_object_get(o, "created_at")), 1767607200000LL);
    json_t *items = json_object_get(o, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(it, "sku")), "SKU-MUG");
    assert_string_equal(json_string_value(json_object_get(it, "name")), "Mug");
    assert_int_equal(json_integer_value(json_object_get(it, "qty")), 2);
    assert_true(json_number_value(json_object_get(it, "price")) == 99.5);
    json_t *sh = json_object_get(o, "shipment");
    assert_string_equal(json_string_value(json_object_get(sh, "carrier")), "SF Express");
    assert_string_equal(json_string_value(json_object_get(sh, "tracking_no")), "SF1234567890");
    assert_string_equal(json_string_value(json_object_get(sh, "status")), "in_transit");
    /* 2026-01-08T18:00:00+08:00 = 10:00Z */
    assert_int_equal(json_integer_value(json_object_get(sh, "eta")), 1767866400000LL);
    assert_true(json_is_array(json_object_get(o, "refunds"))); /* absent → [] */
    assert_int_equal(json_array_size(json_object_get(o, "refunds")), 0);
    assert_null(json_object_get(o, "state")); /* only mapped fields */
    json_decref(o);

    /* a PAID order without shipping: shipment null, status mapped */
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1002\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "paid");
    assert_true(json_is_null(json_object_get(o, "shipment")));
    json_decref(o);

    /* list, with the query parameter */
    assert_int_equal(call(c, "order.list", "{\"customer_id\":7,\"customer_ref\":\"7\"}", &o, &err), 0);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 4);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 4);
    json_t *first = json_array_get(json_object_get(o, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "order_no")), "A1001");
    assert_string_equal(json_string_value(json_object_get(first, "status")), "shipped");
    json_decref(o);
    assert_int_equal(call(c, "order.list", "{\"customer_id\":8,\"customer_ref\":\"8\"}", &o, &err), 0);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
    json_decref(o);

    /* a string customer id, and a delivery time (5 days ago) */
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"DS30000000003\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "customer_ref")), "web-user-7");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "delivered");
    json_t *d = json_object_get(o, "delivered_at");
    assert_true(json_is_integer(d));
    long long ago = (long long)time(NULL) * 1000 - (long long)json_integer_value(d);
    assert_true(ago > 4LL * 86400000 && ago < 6LL * 86400000);
    json_decref(o);
    kf_connector_free(c);
}

static void test_update_and_return(void **state)
{
    (void)state;
    struct kf_connector *c = http_new(http_params());
    json_t *o = NULL;
    struct kf_err err = {0};
    /* kefu's "cancelled" goes out as their CANCELLED and comes back mapped */
    assert_int_equal(call(c, "order.update",
                          "{\"order_no\":\"A1002\",\"patch\":{\"status\":\"cancelled\"}}", &o,
                          &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "cancelled");
    json_decref(o);
    assert_int_equal(call(c, "order.update",
                          "{\"order_no\":\"A1003\",\"patch\":{\"address\":\"Hangzhou, ***\"}}", &o,
                          &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(o, "address")), "Hangzhou, ***");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "pending");
    json_decref(o);

    /* a return of a delivered order */
    assert_int_equal(call(c, "return.create",
                          "{\"order_no\":\"A1004\",\"kind\":\"exchange\",\"reason\":\"size\","
                          "\"skus\":[\"SKU-SOCK\"]}",
                          &o, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(o, "rma_no")), "RMA-A1004-1");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "exchange");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "requested");
    json_decref(o);
    kf_connector_free(c);
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_status_mapping(void **state)
{
    (void)state;
    struct kf_connector *c = http_new(http_params());
    json_t *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"NOPE-9\"}", &o, &err), KF_ENOTFOUND);
    assert_null(o);
    assert_contains(err.msg, "not found");
    assert_contains(err.msg, "no order NOPE-9"); /* the service's message */

    /* 409: a shipped order cannot be cancelled; the service says why */
    long before = fake_orders_requests(fake);
    assert_int_equal(call(c, "order.update",
                          "{\"order_no\":\"A1001\",\"patch\":{\"status\":\"cancelled\"}}", &o,
                          &err),
                     KF_ECONFLICT);
    assert_contains(err.msg, "can no longer be changed");
    assert_int_equal(fake_orders_requests(fake) - before, 1); /* 4xx is not retried */
    /* 422: a state they do not know (unmapped values pass through) */
    assert_int_equal(call(c, "order.update",
                          "{\"order_no\":\"A1002\",\"patch\":{\"status\":\"teleported\"}}", &o,
                          &err),
                     KF_ECONFLICT);
    /* return of an undelivered order */
    assert_int_equal(call(c, "return.create",
                          "{\"order_no\":\"A1001\",\"kind\":\"return\",\"reason\":\"x\"}", &o,
                          &err),
                     KF_ECONFLICT);
    assert_contains(err.msg, "returns need a delivered order");
    /* other 4xx → EINVAL */
    fake_orders_script(fake, 1, 400, 0);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "HTTP 400");
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    kf_connector_free(c);
}

static void test_bad_arguments_never_reach_the_service(void **state)
{
    (void)state;
    struct kf_connector *c = http_new(http_params());
    json_t *o = NULL;
    struct kf_err err = {0};
    long before = fake_orders_requests(fake);
    assert_int_equal(call(c, "order.get", "{}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "missing argument 'order_no'");
    assert_int_equal(call(c, "order.get", NULL, &o, &err), KF_EINVAL);
    assert_int_equal(call(c, "order.get", "{\"order_no\":{\"x\":1}}", &o, &err), KF_EINVAL);
    assert_int_equal(call(c, "order.update", "{\"order_no\":\"A1002\"}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "missing argument 'patch'");
    assert_int_equal(call(c, "order.list", "{}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "customer_ref");
    json_t *arr = json_array();
    assert_int_equal(kf_connector_call(c, "order.get", arr, &o, &err), KF_EINVAL);
    json_decref(arr);
    /* operations the spec does not describe */
    assert_int_equal(call(c, "ticket.get", "{\"id\":1}", &o, &err), KF_EUNSUPPORTED);
    assert_contains(err.msg, "ticket.get");
    assert_int_equal(call(c, "order.explode", "{}", &o, &err), KF_EUNSUPPORTED);
    assert_int_equal(fake_orders_requests(fake), before);

    /* path arguments are URL-escaped: "A1001/cancel" is one (unknown) id */
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001/cancel\"}", &o, &err),
                     KF_ENOTFOUND);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001?x=1\"}", &o, &err), KF_ENOTFOUND);
    kf_connector_free(c);
}

/* ---- retries, timeouts, breaker ------------------------------------------------------------- */

static void test_retries_then_success(void **state)
{
    (void)state;
    struct kf_connector_params p = http_params();
    p.retries = 2;
    p.backoff_ms = 50;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    fake_orders_script(fake, 2, 500, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(fake_orders_requests(fake), 3);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 150); /* waited 50 then 100 */
    assert_string_equal(json_string_value(json_object_get(o, "order_no")), "A1001");
    json_decref(o);

    /* 503 every time: three attempts, then unavailable */
    fake_orders_script(fake, 100, 503, 0);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), KF_EUNAVAILABLE);
    assert_contains(err.msg, "after 3 attempts");
    assert_contains(err.msg, "HTTP 503");
    assert_int_equal(fake_orders_requests(fake), 6);
    kf_connector_free(c);
}

static void test_timeout_is_retried_then_unavailable(void **state)
{
    (void)state;
    struct kf_connector_params p = http_params();
    p.timeout_ms = 150;
    p.retries = 1;
    p.backoff_ms = 10;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    fake_orders_script(fake, 2, 0, 500);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), KF_EUNAVAILABLE);
    assert_contains(err.msg, "timed out");
    assert_contains(err.msg, "after 2 attempts");
    assert_int_equal(fake_orders_requests(fake), 2);
    /* one slow answer, then a quick one: success on the second attempt */
    fake_orders_script(fake, 1, 0, 500);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), 0);
    assert_int_equal(fake_orders_requests(fake), 4);
    json_decref(o);
    kf_connector_free(c);
    sleep_ms(400); /* let the slow handlers finish before the next test counts */
}

static void test_connection_refused_is_unavailable(void **state)
{
    (void)state;
    struct kf_connector_params p = http_params();
    p.url = "http://127.0.0.1:1/api"; /* nothing listens on port 1 */
    p.retries = 1;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), KF_EUNAVAILABLE);
    assert_contains(err.msg, "after 2 attempts");
    kf_connector_free(c);
}

static void test_breaker_opens_half_opens_and_closes(void **state)
{
    (void)state;
    struct kf_connector_params p = http_params();
    p.retries = 1;
    p.backoff_ms = 1;
    p.breaker_failures = 2;
    p.breaker_reset_ms = 300;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    const char *args = "{\"order_no\":\"A1001\"}";
    fake_orders_script(fake, 1000, 500, 0);
    assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
    assert_int_equal(fake_orders_requests(fake), 4); /* 2 calls x 2 attempts */
    assert_string_equal(kf_connector_breaker_state(c), "open");

    /* open: fail fast, nothing reaches the service */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
        assert_contains(err.msg, "circuit breaker open");
    }
    assert_int_equal(fake_orders_requests(fake), 4);
    /* a bad argument is still EINVAL, not the breaker */
    assert_int_equal(call(c, "order.get", "{}", &o, &err), KF_EINVAL);

    /* half-open: the trial fails → open again at once */
    sleep_ms(350);
    assert_string_equal(kf_connector_breaker_state(c), "half_open");
    assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
    assert_int_equal(fake_orders_requests(fake), 6);
    assert_string_equal(kf_connector_breaker_state(c), "open");
    assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
    assert_contains(err.msg, "circuit breaker open");
    assert_int_equal(fake_orders_requests(fake), 6);

    /* half-open again, the service is back: the trial succeeds → closed */
    fake_orders_script(fake, 0, 0, 0);
    sleep_ms(350);
    assert_int_equal(call(c, "order.get", args, &o, &err), 0);
    json_decref(o);
    assert_int_equal(fake_orders_requests(fake), 7);
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    /* closed: the failure count starts again from zero */
    fake_orders_script(fake, 2, 500, 0);
    assert_int_equal(call(c, "order.get", args, &o, &err), KF_EUNAVAILABLE);
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    kf_connector_free(c);
}

static void test_breaker_zero_never_opens(void **state)
{
    (void)state;
    struct kf_connector_params p = http_params();
    p.retries = 0;
    p.breaker_failures = 0;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    fake_orders_script(fake, 10, 500, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err),
                         KF_EUNAVAILABLE);
    assert_int_equal(fake_orders_requests(fake), 10);
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    kf_connector_free(c);
}

/* ---- auth and logging ------------------------------------------------------------------------ */

static void test_auth_header_sent_never_logged(void **state)
{
    (void)state;
    char dir[256];
    tu_tmpdir(dir, "conn-log");
    char path[320];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    assert_true(fd >= 0);
    struct kf_log_params lp = kf_log_default_params();
    lp.level = KF_LOG_DEBUG;
    lp.fd = fd;
    struct kf_log *log = kf_log_new(lp);
    struct kf_connector_params p = http_params();
    p.log = log;
    p.retries = 1;
    p.backoff_ms = 1;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    fake_orders_script(fake, 1, 502, 0);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), 0);
    json_decref(o);
    char got[256];
    fake_orders_last_auth(fake, got, sizeof got);
    assert_string_equal(got, AUTH_VALUE);
    kf_connector_free(c);
    kf_log_free(log);

    char text[8192] = {0};
    assert_true(pread(fd, text, sizeof text - 1, 0) > 0);
    close(fd);
    assert_contains(text, "GET /orders/{order_no} -> 502");
    assert_contains(text, "attempt 1/2");
    assert_contains(text, "GET /orders/{order_no} -> 200");
    assert_null(strstr(text, "s3cret"));
    assert_null(strstr(text, "Authorization"));
    assert_null(strstr(text, "SF1234567890")); /* no bodies */

    /* without the header the service refuses: 401 → EINVAL */
    p = http_params();
    p.auth_header = NULL;
    c = http_new(p);
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "401");
    kf_connector_free(c);
    tu_rmtree(dir);
}

/* ---- spec errors ---------------------------------------------------------------------------- */

static void expect_spec_error(const char *dir, const char *text, int line, const char *needle)
{
    const char *path = tu_write(dir, "spec.yaml", text);
    char want[512];
    snprintf(want, sizeof want, "%s:%d:", path, line);
    struct kf_connector_params p = http_params();
    p.spec_path = path;
    struct kf_connector *c = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_connector_new(p, &c, &err), KF_ECONFIG);
    assert_null(c);
    assert_contains(err.msg, want);
    assert_contains(err.msg, needle);
    assert_contains(err.msg, "connectors.orders.spec");
}

static void test_bad_specs_name_file_and_line(void **state)
{
    (void)state;
    char dir[256];
    tu_tmpdir(dir, "conn-spec");
    expect_spec_error(dir, "operations:\n  order.get:\n    method: GET\n", 2, "path: required");
    expect_spec_error(dir, "operations:\n  order.gte:\n    path: /x\n", 2, "unknown operation");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: /x\n    methd: GET\n", 4,
                      "unknown key");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: /x\n    method: FETCH\n", 4,
                      "expected GET, POST");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: x/{id}\n", 3,
                      "must start with '/'");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: /x/{id\n", 3, "{argument}");
    expect_spec_error(dir,
                      "operations:\n  order.get:\n    path: /x\n    fields:\n"
                      "      status:\n        from: state\n        values: [a, b]\n",
                      7, "values: expected a mapping");
    expect_spec_error(dir,
                      "operations:\n  order.get:\n    path: /x\n    fields:\n"
                      "      total: {from: amount, type: money}\n",
                      5, "expected any, string");
    expect_spec_error(dir,
                      "operations:\n  order.get:\n    path: /x\n    fields:\n"
                      "      items: {from: lines, each: {sku: code}, fields: {a: b}}\n",
                      5, "exclude each other");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: /x\n    body: {a: b}\n", 2,
                      "a GET has no body");
    expect_spec_error(dir, "endpoints:\n  order.get: {}\n", 1, "unknown key");
    expect_spec_error(dir, "operations: {}\n", 1, "at least one operation");
    expect_spec_error(dir, "operations:\n  order.get:\n    path: /x\n    fields: [a]\n", 4,
                      "expected a mapping of field");
    expect_spec_error(dir, "operations:\n  order.get: {path: /x}\n  order.get: {path: /y}\n", 3,
                      "twice");
    /* YAML syntax errors name the file and line too */
    const char *path = tu_write(dir, "spec.yaml", "operations:\n  order.get:\n    path: [\n");
    struct kf_connector_params p = http_params();
    p.spec_path = path;
    struct kf_connector *c = NULL;
    struct kf_err err = {0};
    assert_int_not_equal(kf_connector_new(p, &c, &err), 0);
    assert_contains(err.msg, path);
    tu_rmtree(dir);
}

static void test_spec_passthrough_and_const(void **state)
{
    (void)state;
    char dir[256];
    tu_tmpdir(dir, "conn-spec2");
    /* no fields: the record at root as it is; const and default */
    const char *path = tu_write(dir, "spec.yaml",
                                "operations:\n"
                                "  order.get:\n"
                                "    path: /orders/{order_no}\n"
                                "    root: data.customer\n"
                                "  product.get:\n"
                                "    path: /orders/{sku}\n"
                                "    root: data\n"
                                "    fields:\n"
                                "      sku: id\n"
                                "      source: {const: fake}\n"
                                "      stock: {from: nothing.here, default: 0}\n"
                                "      first_sku: lines.0.product_code\n"
                                "      qty_text: {from: lines.0.quantity, type: string}\n");
    struct kf_connector_params p = http_params();
    p.spec_path = path;
    struct kf_connector *c = http_new(p);
    json_t *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(call(c, "order.get", "{\"order_no\":\"A1001\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "Li Lei");
    json_decref(o);
    assert_int_equal(call(c, "product.get", "{\"sku\":\"A1001\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "source")), "fake");
    assert_int_equal(json_integer_value(json_object_get(o, "stock")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "first_sku")), "SKU-MUG");
    assert_string_equal(json_string_value(json_object_get(o, "qty_text")), "2");
    json_decref(o);
    kf_connector_free(c);
    tu_rmtree(dir);
}

/* ---- builtin ------------------------------------------------------------------------------- */

struct shop {
    char dir[256];
    struct kf_store *st;
    struct kf_connector *c;
};

static int shop_setup(void **state)
{
    struct shop *s = calloc(1, sizeof *s);
    tu_tmpdir(s->dir, "conn-builtin");
    char path[320];
    snprintf(path, sizeof path, "%s/kefu.db", s->dir);
    struct kf_store_params sp = kf_store_default_params();
    sp.path = path;
    sp.synchronous_full = 0;
    struct kf_err err = {0};
    if (kf_store_open(sp, &s->st, &err) != 0 || kf_store_migrate(s->st, NULL, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    static const char *const attrs[] = {"red"};
    static const struct kf_seed_product products[] = {
        {"SKU-MUG", "马克杯", "Mug", "kitchen", "Acme", 99.5, attrs, 1, NULL},
        {"SKU-TEE", "T恤", "T-shirt", "clothing", "Acme", 59.0, attrs, 1, NULL},
    };
    struct kf_seed_params seed = kf_seed_default_params();
    seed.products = products;
    seed.nproducts = 2;
    seed.customers = 3;
    seed.orders = 30;
    seed.seed = 42;
    seed.now_ms = 1767607200000LL;
    struct kf_seed_stats stats;
    if (kf_repo_seed(s->st, &seed, &stats, &err) != 0) {
        fprintf(stderr, "seed: %s\n", err.msg);
        return -1;
    }
    struct kf_connector_params p = kf_connector_default_params();
    p.type = NULL; /* builtin */
    p.store = s->st;
    if (kf_connector_new(p, &s->c, &err) != 0) {
        fprintf(stderr, "connector: %s\n", err.msg);
        return -1;
    }
    *state = s;
    return 0;
}

static int shop_teardown(void **state)
{
    struct shop *s = *state;
    kf_connector_free(s->c);
    kf_store_free(s->st);
    tu_rmtree(s->dir);
    free(s);
    return 0;
}

/* The first order of the seeded customers, as order.list shows it. */
static char *some_order(struct kf_connector *c, long long *customer)
{
    struct kf_err err = {0};
    for (long long id = 1; id <= 10; id++) {
        json_t *args = json_pack("{s:I,s:i}", "customer_id", (json_int_t)id, "limit", 5);
        json_t *o = NULL;
        int rc = kf_connector_call(c, "order.list", args, &o, &err);
        json_decref(args);
        if (rc != 0)
            continue;
        json_t *first = json_array_get(json_object_get(o, "items"), 0);
        char *no = first ? strdup(json_string_value(json_object_get(first, "order_no"))) : NULL;
        json_decref(o);
        if (no != NULL) {
            *customer = id;
            return no;
        }
    }
    fail_msg("no seeded order found");
    return NULL;
}

static void test_builtin_orders(void **state)
{
    struct shop *s = *state;
    struct kf_connector *c = s->c;
    assert_string_equal(kf_connector_type(c), "builtin");
    assert_string_equal(kf_connector_breaker_state(c), "closed");
    long long customer = 0;
    char *no = some_order(c, &customer);
    json_t *args = json_pack("{s:s}", "order_no", no);
    json_t *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_connector_call(c, "order.get", args, &o, &err), 0);
    json_decref(args);
    assert_string_equal(json_string_value(json_object_get(o, "order_no")), no);
    assert_int_equal(json_integer_value(json_object_get(o, "customer_id")), customer);
    assert_true(json_is_array(json_object_get(o, "items")));
    assert_non_null(json_object_get(o, "status"));
    json_decref(o);

    /* expect a status it is not in → ECONFLICT; limits checked */
    args = json_pack("{s:s,s:[s],s:{s:s}}", "order_no", no, "expect", "no-such-status", "patch",
                     "status", "cancelled");
    assert_int_equal(kf_connector_call(c, "order.update", args, &o, &err), KF_ECONFLICT);
    json_decref(args);
    free(no);

    assert_int_equal(call(c, "order.get", "{\"order_no\":\"NOPE-1\"}", &o, &err), KF_ENOTFOUND);
    assert_int_equal(call(c, "order.get", "{}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "missing argument 'order_no'");
    assert_int_equal(call(c, "order.get", "{\"order_no\":7}", &o, &err), KF_EINVAL);
    assert_int_equal(call(c, "order.update", "{\"order_no\":\"X\"}", &o, &err), KF_EINVAL);
    assert_contains(err.msg, "patch");
    assert_int_equal(call(c, "order.list", "{\"customer_id\":1,\"limit\":0}", &o, &err),
                     KF_EINVAL);
    assert_int_equal(call(c, "return.create", "{\"order_no\":\"X\",\"kind\":\"swap\","
                                              "\"reason\":\"r\"}",
                          &o, &err),
                     KF_EINVAL);
    assert_contains(err.msg, "kind");
    assert_int_equal(call(c, "order.explode", "{}", &o, &err), KF_EUNSUPPORTED);

    assert_int_equal(call(c, "product.get", "{\"sku\":\"SKU-MUG\"}", &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "name_en")), "Mug");
    json_decref(o);
    assert_int_equal(call(c, "product.get", "{\"sku\":\"SKU-NONE\"}", &o, &err), KF_ENOTFOUND);
    assert_int_equal(call(c, "product.list", "{\"category\":\"clothing\"}", &o, &err), 0);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
    json_decref(o);
    assert_int_equal(call(c, "customer.get", "{\"id\":\"1\"}", &o, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 1);
    json_decref(o);
    assert_int_equal(call(c, "customer.get", "{\"id\":\"one\"}", &o, &err), KF_EINVAL);
    assert_int_equal(call(c, "customer.get", "{\"id\":999999}", &o, &err), KF_ENOTFOUND);
}

static void test_builtin_tickets(void **state)
{
    struct shop *s = *state;
    struct kf_connector *c = s->c;
    json_t *t = NULL, *o = NULL;
    struct kf_err err = {0};
    assert_int_equal(call(c, "ticket.create", "{\"subject\":\"Broken mug\",\"priority\":\"high\","
                                              "\"customer_id\":1,\"actor\":\"agent:ann\"}",
                          &t, &err),
                     0);
    long long id = json_integer_value(json_object_get(t, "id"));
    assert_true(id > 0);
    assert_string_equal(json_string_value(json_object_get(t, "subject")), "Broken mug");
    json_decref(t);
    assert_int_equal(call(c, "ticket.create", "{\"priority\":\"high\"}", &t, &err), KF_EINVAL);
    assert_contains(err.msg, "subject");

    json_t *args = json_pack("{s:I}", "id", (json_int_t)id);
    assert_int_equal(kf_connector_call(c, "ticket.get", args, &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "priority")), "high");
    json_decref(o);
    json_decref(args);

    args = json_pack("{s:I,s:{s:s},s:s}", "id", (json_int_t)id, "patch", "status", "pending",
                     "actor", "agent:ann");
    assert_int_equal(kf_connector_call(c, "ticket.update", args, &o, &err), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "pending");
    json_decref(o);
    json_decref(args);

    args = json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)id, "author", "agent:ann", "body",
                     "Sent a replacement", "internal", 1);
    assert_int_equal(kf_connector_call(c, "ticket.comment", args, &o, &err), 0);
    json_decref(o);
    json_decref(args);
    assert_int_equal(call(c, "ticket.comment", "{\"id\":1,\"author\":\"a\"}", &o, &err),
                     KF_EINVAL);
    assert_contains(err.msg, "body");
    assert_int_equal(call(c, "ticket.get", "{\"id\":0}", &o, &err), KF_EINVAL);
    assert_int_equal(call(c, "ticket.get", "{\"id\":987654}", &o, &err), KF_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_params),
        cmocka_unit_test_setup(test_new_errors, reset),
        cmocka_unit_test_setup(test_get_maps_fields_and_values, reset),
        cmocka_unit_test_setup(test_update_and_return, reset),
        cmocka_unit_test_setup(test_status_mapping, reset),
        cmocka_unit_test_setup(test_bad_arguments_never_reach_the_service, reset),
        cmocka_unit_test_setup(test_retries_then_success, reset),
        cmocka_unit_test_setup(test_timeout_is_retried_then_unavailable, reset),
        cmocka_unit_test_setup(test_connection_refused_is_unavailable, reset),
        cmocka_unit_test_setup(test_breaker_opens_half_opens_and_closes, reset),
        cmocka_unit_test_setup(test_breaker_zero_never_opens, reset),
        cmocka_unit_test_setup(test_auth_header_sent_never_logged, reset),
        cmocka_unit_test_setup(test_bad_specs_name_file_and_line, reset),
        cmocka_unit_test_setup(test_spec_passthrough_and_const, reset),
        cmocka_unit_test_setup_teardown(test_builtin_orders, shop_setup, shop_teardown),
        cmocka_unit_test_setup_teardown(test_builtin_tickets, shop_setup, shop_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
