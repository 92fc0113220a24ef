/*
 * integration/connector_http.c — kefu against a company order service: the
 * real `kefu serve`, its orders connector of type http pointed at the fake
 * order service of tests/fake_orders.h, started on loopback by this test,
 * with the example spec docs/examples/orders-http.yaml.
 *
 * Driven only through kefu's HTTP API, as a shop's site would:
 *   - the chat (POST /api/v1/conversations, .../messages) of a customer who
 *     starts it with the service's own customer id as the web channel's
 *     external_id ("web-user-7"): tracking shows the service's tracking
 *     number; a cancel of their own paid order, once confirmed, reaches the
 *     service; a cancel of another customer's order is not_owner and sends
 *     the service no update (docs/connectors.md "Who owns an order");
 *   - the service failing (scripted 500s): after the connector's retries the
 *     bot hands the customer to a human and kefu stays up; once the breaker
 *     opens no request reaches the service, after breaker_reset_ms they do
 *     again;
 *   - the back office (GET /api/v1/orders/{no}) shows the service's order in
 *     kefu's canonical shape;
 *   - the auth header reaches the service and never kefu's log.
 *
 * The tests run in order and share one kefu and one fake: each names the
 * counters it needs (fake_orders_requests/posts) as differences.
 * Assumes the demo bot (order numbers DS + 11 digits; English replies of
 * bots/demo-shop/flows/orders.yaml) and the models of setup.models.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fake_orders.h"
#include "harness.h"
#include "testutil.h"

#define TOKEN "Bearer kefu-it-0xC0FFEE-secret"
#define CUSTOMER "web-user-7" /* the service's id of the customer owning DS3000000000{1,2,3} */
#define RETRIES 1
#define BREAKER_FAILURES 3
#define BREAKER_RESET_MS 1500

struct env {
    char dir[256];
    char db[300];
    char log[300];
    struct fake_orders *fake;
    struct kefu_proc kefu;
};

static struct env E;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    E.fake = fake_orders_start(TOKEN);
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    snprintf(E.log, sizeof E.log, "%s/kefu.log", E.dir);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "connectors:\n"
             "  orders:\n"
             "    type: http\n"
             "    url: %s\n"
             "    spec: %s/docs/examples/orders-http.yaml\n"
             "    timeout_ms: 2000\n"
             "    retries: %d\n"
             "    backoff_ms: 20\n"
             "    breaker_failures: %d\n"
             "    breaker_reset_ms: %d\n",
             fake_orders_url(E.fake), KEFU_SRC_ROOT, RETRIES, BREAKER_FAILURES, BREAKER_RESET_MS);
    const char *cfg = tu_write(E.dir, "kefu.yaml", yaml);
    /* the secret the way docs/connectors.md recommends: from the environment */
    setenv("KEFU_CONNECTORS_ORDERS_AUTH_HEADER", "Authorization: " TOKEN, 1);
    /* debug: the connector logs every attempt, so the log has lines to leak into */
    const char *extra[] = {"--config", cfg, "--log-level", "debug", NULL};
    int rc = th_start_log(&E.kefu, E.db, extra, E.log);
    unsetenv("KEFU_CONNECTORS_ORDERS_AUTH_HEADER");
    if (rc != 0) {
        fake_orders_stop(E.fake);
        th_rmdir(E.dir);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    fake_orders_stop(E.fake);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

/* A new English web conversation of the customer the service calls ext. */
static char *start_conversation(const char *ext)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"lang\":\"en\",\"channel\":\"web\",\"customer\":{\"external_id\":\"%s\"}}", ext);
    long status;
    json_t *c = th_json(&E.kefu, "POST", "/api/v1/conversations", body, &status);
    assert_int_equal(status, 201);
    assert_non_null(c);
    const char *id = json_string_value(json_object_get(c, "id"));
    assert_non_null(id);
    char *copy = strdup(id);
    json_decref(c);
    return copy;
}

/* Post text; the last bot reply of the answer (a new reference). */
static json_t *say(const char *conv, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", conv);
    json_t *body = json_pack("{s:s}", "text", text);
    char *s = json_dumps(body, 0);
    long status;
    json_t *r = th_json(&E.kefu, "POST", path, s, &status);
    free(s);
    json_decref(body);
    if (status != 200)
        fail_msg("POST %s '%s' → %ld", path, text, status);
    assert_non_null(r);
    json_t *replies = json_object_get(r, "replies");
    size_t n = json_array_size(replies);
    if (n == 0)
        fail_msg("'%s': no bot reply", text);
    json_t *last = json_incref(json_array_get(replies, n - 1));
    json_decref(r);
    return last;
}

static const char *meta(json_t *reply, const char *key)
{
    return json_string_value(json_object_get(json_object_get(reply, "meta"), key));
}

static const char *text_of(json_t *reply)
{
    return json_string_value(json_object_get(reply, "text"));
}

/* The reply's meta.kind is want (and, unless NULL, meta.outcome). */
static void expect_reply(json_t *reply, const char *kind, const char *outcome)
{
    const char *k = meta(reply, "kind"), *o = meta(reply, "outcome");
    if (k == NULL || strcmp(k, kind) != 0 ||
        (outcome != NULL && (o == NULL || strcmp(o, outcome) != 0))) {
        char *dump = json_dumps(reply, 0);
        fail_msg("want kind %s outcome %s, got: %s", kind, outcome ? outcome : "-", dump);
    }
}

/* GET a back-office path; asserts the status, returns the JSON. */
static json_t *get(const char *path, long want)
{
    long status;
    json_t *doc = th_json(&E.kefu, "GET", path, NULL, &status);
    if (status != want)
        fail_msg("GET %s → %ld, want %ld", path, status, want);
    assert_non_null(doc);
    return doc;
}

static const char *order_status(const char *order_no, char *buf, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/orders/%s", order_no);
    json_t *o = get(path, 200);
    const char *s = json_string_value(json_object_get(o, "status"));
    snprintf(buf, cap, "%s", s ? s : "");
    json_decref(o);
    return buf;
}

/* ---- the chat ---------------------------------------------------------------------------- */

static void test_track_order(void **state)
{
    (void)state;
    char *conv = start_conversation(CUSTOMER);
    long before = fake_orders_requests(E.fake);
    json_t *r = say(conv, "where is my order DS30000000001");
    expect_reply(r, "action", "ok");
    assert_string_equal(meta(r, "flow"), "order_status");
    assert_contains(text_of(r), "DS30000000001");
    assert_contains(text_of(r), "SF3000000001"); /* the service's tracking number */
    assert_contains(text_of(r), "Desk lamp");
    json_t *card = json_object_get(json_object_get(r, "meta"), "card");
    assert_string_equal(json_string_value(json_object_get(card, "status")), "shipped");
    json_decref(r);
    assert_true(fake_orders_requests(E.fake) > before);
    /* the auth header reached the service */
    char auth[256];
    fake_orders_last_auth(E.fake, auth, sizeof auth);
    assert_string_equal(auth, TOKEN);
    free(conv);
}

/* A new delivery address: the company's service gets it as typed (it must
 * deliver there), while kefu's own conversation keeps it masked. */
static void test_change_address_reaches_service_raw(void **state)
{
    (void)state;
    const char *addr = "上海市浦东新区世纪大道100号";
    char *conv = start_conversation(CUSTOMER);
    json_t *r = say(conv, "I need to change the delivery address of order DS30000000002");
    expect_reply(r, "ask", NULL);
    json_decref(r);
    r = say(conv, addr);
    expect_reply(r, "confirm", NULL);
    assert_null(strstr(text_of(r), "世纪大道")); /* the reply (stored) is masked */
    json_decref(r);
    r = say(conv, "yes");
    expect_reply(r, "action", "ok");
    json_decref(r);
    json_t *o = get("/api/v1/orders/DS30000000002", 200);
    assert_string_equal(json_string_value(json_object_get(o, "address")), addr);
    json_decref(o);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s?limit=50", conv);
    json_t *h = get(path, 200);
    char *dump = json_dumps(h, 0);
    assert_null(strstr(dump, "世纪大道")); /* nowhere in kefu's copy */
    free(dump);
    json_decref(h);
    free(conv);
}

static void test_cancel_own_order(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(order_status("DS30000000002", buf, sizeof buf), "paid");
    char *conv = start_conversation(CUSTOMER);
    long posts = fake_orders_posts(E.fake), before = fake_orders_requests(E.fake);
    json_t *r = say(conv, "cancel order DS30000000002");
    expect_reply(r, "confirm", NULL);
    assert_contains(text_of(r), "DS30000000002");
    json_decref(r);
    assert_int_equal(fake_orders_posts(E.fake), posts); /* nothing changed before "yes" */
    r = say(conv, "yes");
    expect_reply(r, "action", "ok");
    assert_contains(text_of(r), "Order DS30000000002 is cancelled");
    json_decref(r);
    /* the update reached the service and the service now says cancelled */
    assert_int_equal(fake_orders_posts(E.fake), posts + 1);
    assert_true(fake_orders_requests(E.fake) > before);
    assert_string_equal(order_status("DS30000000002", buf, sizeof buf), "cancelled");
    free(conv);
}

static void test_cancel_someone_elses_order(void **state)
{
    (void)state;
    char *conv = start_conversation(CUSTOMER);
    long posts = fake_orders_posts(E.fake);
    json_t *r = say(conv, "cancel order DS30000000009"); /* web-user-8's */
    expect_reply(r, "action", "not_owner");
    json_decref(r);
    assert_int_equal(fake_orders_posts(E.fake), posts); /* no update was sent */
    char buf[32];
    assert_string_equal(order_status("DS30000000009", buf, sizeof buf), "paid");
    free(conv);

    /* nor does a customer the service does not know own web-user-7's order */
    conv = start_conversation("someone-else");
    r = say(conv, "cancel order DS30000000001");
    expect_reply(r, "action", "not_owner");
    json_decref(r);
    assert_int_equal(fake_orders_posts(E.fake), posts);
    free(conv);
}

/* ---- the back office --------------------------------------------------------------------- */

static void test_back_office_order(void **state)
{
    (void)state;
    json_t *o = get("/api/v1/orders/DS30000000001", 200);
    assert_string_equal(json_string_value(json_object_get(o, "order_no")), "DS30000000001");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "shipped");
    assert_string_equal(json_string_value(json_object_get(o, "currency")), "CNY");
    assert_true(json_number_value(json_object_get(o, "total")) == 129.0);
    json_t *items = json_object_get(o, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(it, "sku")), "SKU-LAMP");
    assert_int_equal(json_integer_value(json_object_get(it, "qty")), 1);
    json_t *sh = json_object_get(o, "shipment");
    assert_string_equal(json_string_value(json_object_get(sh, "tracking_no")), "SF3000000001");
    assert_string_equal(json_string_value(json_object_get(sh, "status")), "in_transit");
    /* times as ISO 8601, like the rest of the API */
    assert_non_null(strchr(json_string_value(json_object_get(o, "created_at")), 'T'));
    assert_null(json_object_get(o, "state")); /* only kefu's fields */
    json_decref(o);

    o = get("/api/v1/orders/DS30000000003", 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "delivered");
    assert_non_null(strchr(json_string_value(json_object_get(o, "delivered_at")), 'T'));
    json_decref(o);

    o = get("/api/v1/orders/DS39999999999", 404);
    json_decref(o);
}

/* ---- the service failing ----------------------------------------------------------------- */

static void test_service_down_hands_off_then_breaker(void **state)
{
    (void)state;
    fake_orders_script(E.fake, 1000, 500, 0);
    /* each failed call: 1 + RETRIES requests, then a handoff; BREAKER_FAILURES
     * of them open the breaker */
    for (int i = 0; i < BREAKER_FAILURES; i++) {
        char *conv = start_conversation(CUSTOMER);
        long before = fake_orders_requests(E.fake);
        json_t *r = say(conv, "where is my order DS30000000001");
        expect_reply(r, "handoff", NULL);
        json_decref(r);
        assert_int_equal(fake_orders_requests(E.fake) - before, 1 + RETRIES);
        char path[128];
        snprintf(path, sizeof path, "/api/v1/conversations/%s", conv);
        json_t *c = get(path, 200);
        assert_string_equal(json_string_value(json_object_get(c, "status")), "handoff");
        json_decref(c);
        json_t *h = get("/healthz", 200); /* kefu stays up */
        json_decref(h);
        free(conv);
    }

    /* open: the bot still hands off, but no request reaches the service */
    long before = fake_orders_requests(E.fake);
    char *conv = start_conversation(CUSTOMER);
    json_t *r = say(conv, "where is my order DS30000000001");
    expect_reply(r, "handoff", NULL);
    json_decref(r);
    free(conv);
    json_t *o = get("/api/v1/orders/DS30000000001", 503);
    json_decref(o);
    assert_int_equal(fake_orders_requests(E.fake), before);

    /* the service recovers; after breaker_reset_ms the trial call goes out */
    fake_orders_script(E.fake, 0, 0, 0);
    sleep_ms(BREAKER_RESET_MS + 300);
    conv = start_conversation(CUSTOMER);
    r = say(conv, "where is my order DS30000000001");
    expect_reply(r, "action", "ok");
    assert_contains(text_of(r), "SF3000000001");
    json_decref(r);
    free(conv);
    assert_true(fake_orders_requests(E.fake) > before);
    o = get("/api/v1/orders/DS30000000001", 200);
    json_decref(o);
}

/* ---- secrets ----------------------------------------------------------------------------- */

static void test_auth_header_never_logged(void **state)
{
    (void)state;
    FILE *f = fopen(E.log, "rb");
    assert_non_null(f);
    static char log[4 << 20];
    size_t n = fread(log, 1, sizeof log - 1, f);
    fclose(f);
    log[n] = '\0';
    /* the log has the connector's lines (so the check below means something) */
    assert_contains(log, "/orders/{order_no}");
    assert_contains(log, "500");
    assert_null(strstr(log, "kefu-it-0xC0FFEE-secret"));
    assert_null(strstr(log, "Authorization"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_track_order),
        cmocka_unit_test(test_change_address_reaches_service_raw),
        cmocka_unit_test(test_cancel_own_order),
        cmocka_unit_test(test_cancel_someone_elses_order),
        cmocka_unit_test(test_back_office_order),
        cmocka_unit_test(test_service_down_hands_off_then_breaker),
        cmocka_unit_test(test_auth_header_never_logged),
    };
    return cmocka_run_group_tests_name("integration.connector_http", tests, setup, teardown);
}
