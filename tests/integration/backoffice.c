/*
 * integration/backoffice.c — the back-office API of the real `kefu serve`
 * over HTTP: tickets (create, read, the status life cycle with its history
 * and actor, comments, filters and paging), the CRM view of a customer
 * (identities, orders, tickets, notes), orders and products, and every
 * bad-input case the API promises a 4xx JSON error for.
 *
 * Assumes the demo shop: the store is seeded first with
 * `kefu demo seed --customers 50 --orders 400` (docs/demo-data.md), whose
 * fixed records include customer demo-customer-1 owning order
 * DS20261101001, then kefu serves that same store.
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
#include <unistd.h>

#include "harness.h"

#define DEMO_ORDER "DS20261101001"
#define DEMO_CUSTOMER "demo-customer-1"

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
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
    int rc = th_run(seed);
    if (rc != 0) {
        fprintf(stderr, "backoffice: kefu demo seed exited with %d\n", rc);
        th_rmdir(E.dir);
        return -1;
    }
    const char *extra[] = {"--set", "server.max_body=8192", NULL};
    return th_start(&E.kefu, E.db, extra);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One request; asserts the status and a JSON reply, which it returns
 * (caller decrefs). actor NULL: no X-Kefu-Actor header. */
static json_t *call(const char *method, const char *path, const char *body, const char *actor,
                    long want)
{
    char hdr[128];
    const char *headers[2] = {NULL, NULL};
    if (actor != NULL) {
        snprintf(hdr, sizeof hdr, "X-Kefu-Actor: %s", actor);
        headers[0] = hdr;
    }
    struct th_resp r;
    assert_int_equal(th_http_ex(&E.kefu, method, path, body, body ? strlen(body) : 0, NULL,
                                headers, &r),
                     0);
    if (r.status != want)
        fprintf(stderr, "%s %s → %ld %s\n", method, path, r.status, r.body);
    assert_int_equal(r.status, want);
    assert_non_null(strstr(r.ctype, "application/json"));
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    assert_non_null(doc);
    return doc;
}

/* A 4xx/5xx with {"error":{"code","message"}}; returns the message's
 * first bytes in a static buffer, for checks that it names the field. */
static const char *expect_error(const char *method, const char *path, const char *body,
                                long want, const char *code)
{
    static char msg[256];
    json_t *e = call(method, path, body, NULL, want);
    json_t *err = json_object_get(e, "error");
    assert_true(json_is_object(err));
    assert_string_equal(json_string_value(json_object_get(err, "code")), code);
    const char *m = json_string_value(json_object_get(err, "message"));
    assert_non_null(m);
    assert_true(strlen(m) > 0);
    snprintf(msg, sizeof msg, "%s", m);
    json_decref(e);
    return msg;
}

static long long int_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return (long long)json_integer_value(v);
}

static const char *str_field(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    return s;
}

static long long create_ticket(const char *body, const char *actor)
{
    json_t *t = call("POST", "/api/v1/tickets", body, actor, 201);
    long long id = int_field(t, "id");
    json_decref(t);
    return id;
}

static json_t *patch_ticket(long long id, const char *body, const char *actor, long want)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tickets/%lld", id);
    return call("PATCH", path, body, actor, want);
}

/* The history entries of a ticket for field `field`, in order, as
 * "from>to@actor;" strings concatenated into buf. */
static void history_of(json_t *ticket, const char *field, char *buf, size_t size)
{
    json_t *h = json_object_get(ticket, "history");
    assert_true(json_is_array(h));
    size_t used = 0, i;
    json_t *e;
    buf[0] = '\0';
    json_array_foreach(h, i, e)
    {
        if (strcmp(str_field(e, "field"), field) != 0)
            continue;
        const char *from = json_string_value(json_object_get(e, "from"));
        int n = snprintf(buf + used, size - used, "%s>%s@%s;", from ? from : "", str_field(e, "to"),
                         str_field(e, "actor"));
        assert_true(n > 0 && (size_t)n < size - used);
        used += (size_t)n;
        assert_non_null(json_object_get(e, "at"));
    }
}

static void test_ticket_lifecycle(void **state)
{
    (void)state;
    json_t *t = call("POST", "/api/v1/tickets",
                     "{\"subject\":\"耳机左耳没有声音\",\"description\":\"收到就坏了\","
                     "\"category\":\"after_sales\",\"priority\":\"high\"}",
                     "agent-7", 201);
    long long id = int_field(t, "id");
    assert_true(id > 0);
    assert_string_equal(str_field(t, "subject"), "耳机左耳没有声音");
    assert_string_equal(str_field(t, "status"), "open");
    assert_string_equal(str_field(t, "priority"), "high");
    assert_string_equal(str_field(t, "category"), "after_sales");
    /* times are ISO 8601, as in the rest of the API; high priority → an SLA due time */
    assert_non_null(strchr(str_field(t, "created_at"), 'T'));
    assert_non_null(strchr(str_field(t, "due_at"), 'T'));
    json_decref(t);

    char path[64];
    snprintf(path, sizeof path, "/api/v1/tickets/%lld", id);
    t = call("GET", path, NULL, NULL, 200);
    assert_int_equal(int_field(t, "id"), id);
    assert_true(json_is_array(json_object_get(t, "comments")));
    assert_true(json_is_array(json_object_get(t, "history")));
    json_decref(t);

    /* open → pending → resolved → closed, each change recorded with its actor */
    json_decref(patch_ticket(id, "{\"status\":\"pending\"}", "agent-7", 200));
    t = patch_ticket(id, "{\"status\":\"resolved\",\"assignee\":\"alice\"}", "alice", 200);
    assert_string_equal(str_field(t, "status"), "resolved");
    assert_string_equal(str_field(t, "assignee"), "alice");
    assert_non_null(strchr(str_field(t, "resolved_at"), 'T'));
    json_decref(t);
    t = patch_ticket(id, "{\"status\":\"closed\"}", NULL, 200);
    assert_string_equal(str_field(t, "status"), "closed");
    json_decref(t);

    t = call("GET", path, NULL, NULL, 200);
    char hist[512];
    history_of(t, "status", hist, sizeof hist);
    assert_non_null(strstr(hist, "open>pending@agent-7;pending>resolved@alice;"
                                 "resolved>closed@test-admin;"));
    history_of(t, "assignee", hist, sizeof hist);
    assert_non_null(strstr(hist, ">alice@alice;"));
    json_decref(t);

    /* a closed ticket only reopens */
    const char *m = expect_error("PATCH", path, "{\"status\":\"pending\"}", 409, "conflict");
    (void)m;
    t = patch_ticket(id, "{\"status\":\"open\"}", "agent-7", 200);
    assert_string_equal(str_field(t, "status"), "open");
    json_decref(t);
    /* the refused change left no history entry */
    t = call("GET", path, NULL, NULL, 200);
    history_of(t, "status", hist, sizeof hist);
    assert_null(strstr(hist, "closed>pending"));
    assert_non_null(strstr(hist, "closed>open@agent-7;"));
    json_decref(t);

    /* other fields */
    t = patch_ticket(id, "{\"priority\":\"urgent\",\"subject\":\"左耳无声\",\"category\":\"repair\"}",
                     "bob", 200);
    assert_string_equal(str_field(t, "priority"), "urgent");
    assert_string_equal(str_field(t, "subject"), "左耳无声");
    assert_string_equal(str_field(t, "category"), "repair");
    history_of(t, "priority", hist, sizeof hist);
    assert_non_null(strstr(hist, "high>urgent@bob;"));
    json_decref(t);
}

static void test_ticket_comments(void **state)
{
    (void)state;
    long long id = create_ticket("{\"subject\":\"Refund not received\"}", NULL);
    char path[80];
    snprintf(path, sizeof path, "/api/v1/tickets/%lld/comments", id);
    json_t *c = call("POST", path, "{\"body\":\"Checked with finance\",\"internal\":true}",
                     "agent-9", 201);
    assert_true(int_field(c, "id") > 0);
    assert_string_equal(str_field(c, "author"), "agent-9");
    assert_string_equal(str_field(c, "body"), "Checked with finance");
    assert_true(json_is_true(json_object_get(c, "internal")));
    json_decref(c);
    c = call("POST", path, "{\"body\":\"We are on it\",\"author\":\"Alice\"}", NULL, 201);
    assert_string_equal(str_field(c, "author"), "Alice");
    assert_true(json_is_false(json_object_get(c, "internal")));
    json_decref(c);
    c = call("POST", path, "{\"body\":\"no actor\"}", NULL, 201);
    assert_string_equal(str_field(c, "author"), "test-admin");
    json_decref(c);

    snprintf(path, sizeof path, "/api/v1/tickets/%lld", id);
    json_t *t = call("GET", path, NULL, NULL, 200);
    json_t *cs = json_object_get(t, "comments");
    assert_int_equal(json_array_size(cs), 3);
    assert_string_equal(str_field(json_array_get(cs, 0), "body"), "Checked with finance");
    assert_non_null(strchr(str_field(json_array_get(cs, 0), "created_at"), 'T'));
    json_decref(t);

    snprintf(path, sizeof path, "/api/v1/tickets/%lld/comments", id);
    expect_error("POST", path, "{}", 400, "bad_request");
    expect_error("POST", path, "{\"body\":\"\"}", 400, "bad_request");
    expect_error("POST", path, "{\"body\":\"x\",\"internal\":\"yes\"}", 400, "bad_request");
    expect_error("GET", path, NULL, 405, "method_not_allowed");
    expect_error("POST", "/api/v1/tickets/99999999/comments", "{\"body\":\"x\"}", 404,
                 "not_found");
}

static void test_ticket_list(void **state)
{
    (void)state;
    /* a category of its own, so other tests' tickets do not count */
    long long ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = create_ticket(i < 3 ? "{\"subject\":\"list me\",\"category\":\"listing-test\","
                                       "\"priority\":\"urgent\"}"
                                     : "{\"subject\":\"list me\",\"category\":\"listing-test\","
                                       "\"priority\":\"low\"}",
                               NULL);
    json_decref(patch_ticket(ids[0], "{\"status\":\"pending\",\"assignee\":\"carol\"}", NULL, 200));

    json_t *l = call("GET", "/api/v1/tickets?category=listing-test", NULL, NULL, 200);
    assert_int_equal(int_field(l, "total"), 5);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 5);
    json_decref(l);
    l = call("GET", "/api/v1/tickets?category=listing-test&priority=urgent", NULL, NULL, 200);
    assert_int_equal(int_field(l, "total"), 3);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(l, "items"), i, it)
        assert_string_equal(str_field(it, "priority"), "urgent");
    json_decref(l);
    l = call("GET", "/api/v1/tickets?category=listing-test&status=pending", NULL, NULL, 200);
    assert_int_equal(int_field(l, "total"), 1);
    assert_int_equal(int_field(json_array_get(json_object_get(l, "items"), 0), "id"), ids[0]);
    json_decref(l);
    l = call("GET", "/api/v1/tickets?assignee=carol&category=listing-test", NULL, NULL, 200);
    assert_int_equal(int_field(l, "total"), 1);
    json_decref(l);

    /* paging: 2 + 2 + 1, no ticket twice */
    long long seen[5];
    size_t nseen = 0;
    for (int off = 0; off < 6; off += 2) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/tickets?category=listing-test&limit=2&offset=%d", off);
        l = call("GET", path, NULL, NULL, 200);
        assert_int_equal(int_field(l, "total"), 5);
        json_t *items = json_object_get(l, "items");
        assert_int_equal(json_array_size(items), off < 4 ? 2 : 1);
        json_array_foreach(items, i, it)
        {
            long long id = int_field(it, "id");
            for (size_t k = 0; k < nseen; k++)
                assert_true(seen[k] != id);
            seen[nseen++] = id;
        }
        json_decref(l);
    }
    assert_int_equal(nseen, 5);

    expect_error("GET", "/api/v1/tickets?status=bogus", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/tickets?priority=asap", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/tickets?limit=0", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/tickets?limit=abc", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/tickets?offset=-1", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/tickets?customer_id=x", NULL, 400, "bad_request");
}

static void test_ticket_bad_input(void **state)
{
    (void)state;
    const char *m;
    expect_error("POST", "/api/v1/tickets", "{\"subject\":", 400, "bad_request");
    expect_error("POST", "/api/v1/tickets", "[1,2]", 400, "bad_request");
    expect_error("POST", "/api/v1/tickets", "", 400, "bad_request");
    m = expect_error("POST", "/api/v1/tickets", "{\"description\":\"x\"}", 400, "bad_request");
    assert_non_null(strstr(m, "subject"));
    m = expect_error("POST", "/api/v1/tickets", "{\"subject\":42}", 400, "bad_request");
    assert_non_null(strstr(m, "subject"));
    expect_error("POST", "/api/v1/tickets", "{\"subject\":\"   \"}", 400, "bad_request");
    m = expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"priority\":\"asap\"}", 400,
                     "bad_request");
    assert_non_null(strstr(m, "priority"));
    m = expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"customer_id\":\"7\"}", 400,
                     "bad_request");
    assert_non_null(strstr(m, "customer_id"));
    m = expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"conversation_id\":\"abc\"}",
                     400, "bad_request");
    assert_non_null(strstr(m, "conversation_id"));
    m = expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"priorty\":\"high\"}", 400,
                     "bad_request");
    assert_non_null(strstr(m, "priorty"));
    expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"status\":\"closed\"}", 400,
                 "bad_request");

    long long id = create_ticket("{\"subject\":\"bad input target\"}", NULL);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tickets/%lld", id);
    expect_error("PATCH", path, "{}", 400, "bad_request");
    m = expect_error("PATCH", path, "{\"status\":\"done\"}", 400, "bad_request");
    assert_non_null(strstr(m, "status"));
    expect_error("PATCH", path, "{\"priority\":3}", 400, "bad_request");
    expect_error("PATCH", path, "{\"id\":5}", 400, "bad_request");
    expect_error("PATCH", path, "not json", 400, "bad_request");
    expect_error("DELETE", path, NULL, 405, "method_not_allowed");
    expect_error("PUT", "/api/v1/tickets", "{}", 405, "method_not_allowed");

    /* the Allow header names the methods */
    struct th_resp r;
    assert_int_equal(th_http(&E.kefu, "DELETE", path, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, PATCH");
    th_resp_free(&r);

    /* a bad actor header */
    char longname[100];
    memset(longname, 'a', 80);
    longname[80] = '\0';
    char hdr[128];
    snprintf(hdr, sizeof hdr, "X-Kefu-Actor: %s", longname);
    const char *headers[] = {hdr, NULL};
    const char *b = "{\"status\":\"pending\"}";
    assert_int_equal(th_http_ex(&E.kefu, "PATCH", path, b, strlen(b), NULL, headers, &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "X-Kefu-Actor"));
    th_resp_free(&r);

    /* unknown tickets */
    expect_error("GET", "/api/v1/tickets/99999999", NULL, 404, "not_found");
    expect_error("PATCH", "/api/v1/tickets/99999999", "{\"status\":\"pending\"}", 404,
                 "not_found");
    expect_error("GET", "/api/v1/tickets/abc", NULL, 404, "not_found");
    expect_error("GET", "/api/v1/tickets/0", NULL, 404, "not_found");
    expect_error("GET", "/api/v1/tickets/1/nothing", NULL, 404, "not_found");
    /* nothing was written by the refused requests above */
    json_t *t = call("GET", path, NULL, NULL, 200);
    assert_string_equal(str_field(t, "status"), "open");
    assert_int_equal(json_array_size(json_object_get(t, "comments")), 0);
    json_decref(t);
}

/* Does array `arr` hold an object whose `key` is the string `val`? */
static int has_item(json_t *arr, const char *key, const char *val)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *s = json_string_value(json_object_get(it, key));
        if (s != NULL && strcmp(s, val) == 0)
            return 1;
    }
    return 0;
}

static void test_customer_and_orders(void **state)
{
    (void)state;
    json_t *o = call("GET", "/api/v1/orders/" DEMO_ORDER, NULL, NULL, 200);
    assert_string_equal(str_field(o, "order_no"), DEMO_ORDER);
    assert_true(json_array_size(json_object_get(o, "items")) > 0);
    assert_non_null(str_field(o, "status"));
    long long cid = int_field(o, "customer_id");
    json_decref(o);

    expect_error("GET", "/api/v1/orders/DS00000000000", NULL, 404, "not_found");
    expect_error("GET", "/api/v1/orders/bad%20no", NULL, 404, "not_found");
    expect_error("POST", "/api/v1/orders/" DEMO_ORDER, "{}", 405, "method_not_allowed");

    /* a ticket for this customer shows up in the CRM view */
    char body[160];
    snprintf(body, sizeof body, "{\"subject\":\"Where is my parcel\",\"customer_id\":%lld}", cid);
    long long tid = create_ticket(body, NULL);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/notes", cid);
    json_t *n = call("POST", path, "{\"body\":\"Prefers phone calls\"}", "agent-3", 201);
    assert_string_equal(str_field(n, "body"), "Prefers phone calls");
    assert_string_equal(str_field(n, "author"), "agent-3");
    json_decref(n);
    expect_error("POST", path, "{}", 400, "bad_request");
    expect_error("POST", path, "{\"body\":7}", 400, "bad_request");
    expect_error("GET", path, NULL, 405, "method_not_allowed");

    snprintf(path, sizeof path, "/api/v1/customers/%lld", cid);
    json_t *c = call("GET", path, NULL, NULL, 200);
    assert_int_equal(int_field(c, "id"), cid);
    assert_true(has_item(json_object_get(c, "identities"), "external_id", DEMO_CUSTOMER));
    assert_true(has_item(json_object_get(c, "orders"), "order_no", DEMO_ORDER));
    assert_true(has_item(json_object_get(c, "notes"), "body", "Prefers phone calls"));
    assert_true(json_is_array(json_object_get(c, "conversations")));
    json_t *tickets = json_object_get(c, "tickets");
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(tickets, i, it) found |= int_field(it, "id") == tid;
    assert_true(found);
    json_decref(c);

    snprintf(path, sizeof path, "/api/v1/customers/%lld/orders", cid);
    json_t *l = call("GET", path, NULL, NULL, 200);
    assert_true(has_item(json_object_get(l, "items"), "order_no", DEMO_ORDER));
    json_decref(l);
    snprintf(path, sizeof path, "/api/v1/customers/%lld/orders?limit=1", cid);
    l = call("GET", path, NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);

    expect_error("GET", "/api/v1/customers/99999999", NULL, 404, "not_found");
    expect_error("GET", "/api/v1/customers/99999999/orders", NULL, 404, "not_found");
    expect_error("POST", "/api/v1/customers/99999999/notes", "{\"body\":\"x\"}", 404, "not_found");
    expect_error("GET", "/api/v1/customers/x1", NULL, 404, "not_found");
    /* a ticket for a customer that does not exist is the client's mistake */
    expect_error("POST", "/api/v1/tickets", "{\"subject\":\"x\",\"customer_id\":99999999}", 400,
                 "bad_request");
}

static void test_products(void **state)
{
    (void)state;
    json_t *l = call("GET", "/api/v1/products?category=phones&max_price=3000", NULL, NULL, 200);
    json_t *items = json_object_get(l, "items");
    assert_true(json_array_size(items) > 0);
    assert_true(int_field(l, "total") >= (long long)json_array_size(items));
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        assert_string_equal(str_field(it, "category"), "phones");
        assert_true(json_number_value(json_object_get(it, "price")) <= 3000.0);
    }
    char sku[128];
    snprintf(sku, sizeof sku, "%s", str_field(json_array_get(items, 0), "sku"));
    json_decref(l);

    l = call("GET", "/api/v1/products?category=phones&min_price=5000&limit=3", NULL, NULL, 200);
    items = json_object_get(l, "items");
    assert_true(json_array_size(items) > 0 && json_array_size(items) <= 3);
    json_array_foreach(items, i, it)
        assert_true(json_number_value(json_object_get(it, "price")) >= 5000.0);
    json_decref(l);

    char path[200];
    snprintf(path, sizeof path, "/api/v1/products/%s", sku);
    json_t *p = call("GET", path, NULL, NULL, 200);
    assert_string_equal(str_field(p, "sku"), sku);
    assert_string_equal(str_field(p, "category"), "phones");
    json_decref(p);

    expect_error("GET", "/api/v1/products/no-such-sku", NULL, 404, "not_found");
    expect_error("GET", "/api/v1/products?max_price=cheap", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/products?min_price=-1", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/products?min_price=10&max_price=5", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/products?in_stock=maybe", NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/products?limit=201", NULL, 400, "bad_request");
    expect_error("POST", "/api/v1/products", "{}", 405, "method_not_allowed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticket_lifecycle),   cmocka_unit_test(test_ticket_comments),
        cmocka_unit_test(test_ticket_list),        cmocka_unit_test(test_ticket_bad_input),
        cmocka_unit_test(test_customer_and_orders), cmocka_unit_test(test_products),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
