/*
 * integration/access.c — accounts, sessions, API keys and the role of every
 * route, against the real `kefu serve`.
 *
 * The route list below is written out by hand (not read from access.c), so a
 * route whose row is missing or wrong in the server's table fails here: for
 * each route and each kind of caller — nobody, a customer's session, a
 * channel key, an agent, a supervisor, an admin — the reply must be 401
 * (nobody, route needs more), 403 (signed in, role too small) or anything
 * else (allowed: the handler ran, whatever it answered).
 *
 * Then what no table can say: a customer reads only their own orders and
 * tickets, a forged identity is refused when auth.identity_secret is set,
 * logout, password change, disabling and key revocation end access at once,
 * and a wrong password gets the same answer as an unknown user.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SECRET "identity-secret-for-tests-0123456789"

enum who { W_NONE, W_CUSTOMER, W_CHANNEL, W_AGENT, W_SUPERVISOR, W_ADMIN, W__N };
static const char *const who_names[W__N] = {"nobody", "customer", "channel", "agent",
                                            "supervisor", "admin"};

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
    char cred[W__N][128]; /* "Authorization: Bearer ..." ("Authorization:" for nobody) */
    char conv[40];        /* a conversation of customer 1 */
    long long cust;       /* its customer id */
    char cust_token[64];
};

static struct env E;

static void bearer(char out[128], const char *token)
{
    snprintf(out, 128, "Authorization: Bearer %s", token);
}

/* POST /api/v1/conversations as external id `ext` (signed with SECRET). */
static json_t *start_as(const char *ext, const char *hash, long *status)
{
    json_t *body = json_pack("{s:s,s:{s:s}}", "channel", "web", "customer", "external_id", ext);
    if (hash != NULL)
        json_object_set_new(json_object_get(body, "customer"), "identity_hash", json_string(hash));
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *hdr[] = {"Authorization:", NULL};
    struct th_resp r;
    json_t *doc = NULL;
    *status = 0;
    if (th_http_ex(&E.kefu, "POST", "/api/v1/conversations", s, strlen(s), NULL, hdr, &r) == 0) {
        *status = r.status;
        doc = json_loadb(r.body, r.len, 0, NULL);
    }
    th_resp_free(&r);
    free(s);
    return doc;
}

static void sign(const char *ext, char hex[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ext, strlen(ext));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
}

static long call(enum who w, const char *method, const char *path, const char *body)
{
    const char *hdr[] = {E.cred[w], NULL};
    struct th_resp r;
    long st = -1;
    if (th_http_ex(&E.kefu, method, path, body, body ? strlen(body) : 0, NULL, hdr, &r) == 0)
        st = r.status;
    th_resp_free(&r);
    return st;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    const char *seed[] = {"demo", "seed", "--customers", "20", "--orders", "80", "--db", E.db,
                          "--bot", KEFU_SRC_ROOT "/bots/demo-shop", NULL};
    if (th_run_io(seed, NULL, NULL, 0) != 0)
        return -1;
    if (th_user(E.db, "ann", "agent", "ann-password-1") != 0 ||
        th_user(E.db, "sue", "supervisor", "sue-password-1") != 0 ||
        th_user(E.db, "bob", "agent", "bob-password-1") != 0 ||
        th_user(E.db, "ada", "admin", "ada-password-1") != 0)
        return -1;
    char key[128];
    const char *kargs[] = {"keys", "add", "web-channel", "--role", "channel", "--db", E.db, NULL};
    if (th_run_io(kargs, NULL, key, sizeof key) != 0)
        return -1;
    key[strcspn(key, "\n")] = '\0';
    const char *extra[] = {"--set", "auth.identity_secret=" SECRET, NULL};
    if (th_start(&E.kefu, E.db, extra) != 0)
        return -1;
    snprintf(E.cred[W_NONE], 128, "Authorization:");
    bearer(E.cred[W_CHANNEL], key);
    char t[64];
    if (th_login(&E.kefu, "ada", "ada-password-1", t) != 0)
        return -1;
    bearer(E.cred[W_ADMIN], t); /* a person: some actions are for people, not keys */
    if (th_login(&E.kefu, "ann", "ann-password-1", t) != 0)
        return -1;
    bearer(E.cred[W_AGENT], t);
    if (th_login(&E.kefu, "sue", "sue-password-1", t) != 0)
        return -1;
    bearer(E.cred[W_SUPERVISOR], t);
    char hex[65];
    sign("demo-customer-1", hex);
    long st;
    json_t *c = start_as("demo-customer-1", hex, &st);
    if (st != 201 || c == NULL)
        return -1;
    snprintf(E.conv, sizeof E.conv, "%s", json_string_value(json_object_get(c, "id")));
    snprintf(E.cust_token, sizeof E.cust_token, "%s",
             json_string_value(json_object_get(c, "customer_token")));
    E.cust = json_integer_value(json_object_get(c, "customer_id"));
    bearer(E.cred[W_CUSTOMER], E.cust_token);
    json_decref(c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return 0;
}

/* ---- every route, every caller ------------------------------------------ */

struct route {
    const char *method;
    const char *path; /* %s: the conversation id; %lld: the customer id */
    const char *body;
    enum who least; /* the smallest caller allowed */
    int only;       /* 1: only `least` itself (a customer's /me) */
};

static const struct route routes[] = {
    {"GET", "/healthz", NULL, W_NONE, 0},
    {"GET", "/readyz", NULL, W_NONE, 0},
    {"GET", "/", NULL, W_NONE, 0},
    {"GET", "/metrics", NULL, W_SUPERVISOR, 0},
    {"POST", "/webhooks/rest/webhook", "{\"sender\":\"x\",\"message\":\"hi\"}", W_CHANNEL, 0},
    {"POST", "/api/v1/nlu/parse", "{\"text\":\"hi\"}", W_CHANNEL, 0},
    {"GET", "/api/v1/auth/me", NULL, W_NONE, 0},
    {"POST", "/api/v1/conversations", "{}", W_NONE, 0},
    {"GET", "/api/v1/conversations", NULL, W_AGENT, 0},
    {"GET", "/api/v1/conversations/%s", NULL, W_NONE, 0},
    {"GET", "/api/v1/conversations/%s/messages", NULL, W_NONE, 0},
    {"GET", "/api/v1/conversations/%s/turns", NULL, W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/takeover", "{}", W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/reply", "{\"text\":\"r\"}", W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/notes", "{\"text\":\"n\"}", W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/handback", "{}", W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/typing", "{\"on\":true}", W_NONE, 0},
    {"GET", "/api/v1/conversations/%s/ws", NULL, W_NONE, 0},
    {"GET", "/api/v1/conversations/%s/suggestions", NULL, W_AGENT, 0},
    {"GET", "/api/v1/conversations/%s/context", NULL, W_AGENT, 0},
    {"GET", "/api/v1/agents/ws", NULL, W_AGENT, 0},
    {"GET", "/api/v1/queue", NULL, W_AGENT, 0},
    {"GET", "/api/v1/canned", NULL, W_AGENT, 0},
    {"POST", "/api/v1/messages/1/intent", "{\"intent\":\"greet\"}", W_AGENT, 0},
    {"GET", "/api/v1/me", NULL, W_CUSTOMER, 1},
    {"GET", "/api/v1/me/orders", NULL, W_CUSTOMER, 1},
    {"GET", "/api/v1/me/tickets", NULL, W_CUSTOMER, 1},
    {"GET", "/api/v1/customers/%lld/orders", NULL, W_CUSTOMER, 0},
    {"GET", "/api/v1/products", NULL, W_NONE, 0},
    {"GET", "/api/v1/products/no-such-sku", NULL, W_NONE, 0},
    {"GET", "/api/v1/tickets", NULL, W_AGENT, 0},
    {"POST", "/api/v1/tickets", "{}", W_AGENT, 0},
    {"GET", "/api/v1/tickets/1", NULL, W_AGENT, 0},
    {"GET", "/api/v1/customers/%lld", NULL, W_AGENT, 0},
    {"POST", "/api/v1/customers/%lld/notes", "{}", W_AGENT, 0},
    {"GET", "/api/v1/customers/%lld/profile", NULL, W_AGENT, 0},
    {"GET", "/api/v1/customers/%lld/events", NULL, W_AGENT, 0},
    {"GET", "/api/v1/customers/%lld/recommendations", NULL, W_AGENT, 0},
    {"POST", "/api/v1/customers/%lld/opt-out", "{}", W_AGENT, 0},
    {"GET", "/api/v1/orders/NO-SUCH", NULL, W_AGENT, 0},
    {"POST", "/api/v1/events", "{}", W_AGENT, 0},
    {"GET", "/api/v1/alerts", NULL, W_AGENT, 0},
    {"GET", "/api/v1/review", NULL, W_SUPERVISOR, 0},
    {"PATCH", "/api/v1/review/1", "{}", W_SUPERVISOR, 0},
    {"GET", "/api/v1/segments", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/segments/vip/customers", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/churn", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/recommendations", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/campaigns", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/kpis", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/csat", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/intents", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/reports/handoffs", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/experiments", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/experiments/reco_style/report", NULL, W_SUPERVISOR, 0},
    {"GET", "/api/v1/users", NULL, W_ADMIN, 0},
    {"POST", "/api/v1/users", "{}", W_ADMIN, 0},
    {"PATCH", "/api/v1/users/999", "{}", W_ADMIN, 0},
    {"GET", "/api/v1/keys", NULL, W_ADMIN, 0},
    {"POST", "/api/v1/keys", "{}", W_ADMIN, 0},
    {"DELETE", "/api/v1/keys/no-such-key", NULL, W_ADMIN, 0},
    {"GET", "/api/v1/no-such-route", NULL, W_ADMIN, 0},
    /* last: they close the conversation */
    {"POST", "/api/v1/conversations/%s/close", "{\"resolution\":\"resolved\"}", W_AGENT, 0},
    {"POST", "/api/v1/conversations/%s/end", "{}", W_NONE, 0},
    {"POST", "/api/v1/conversations/%s/csat", "{\"score\":5}", W_NONE, 0},
};

static void every_route_checks_its_role(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        char path[256];
        if (strstr(rt->path, "%s") != NULL)
            snprintf(path, sizeof path, rt->path, E.conv);
        else if (strstr(rt->path, "%lld") != NULL)
            snprintf(path, sizeof path, rt->path, E.cust);
        else
            snprintf(path, sizeof path, "%s", rt->path);
        for (int w = 0; w < W__N; w++) {
            long st = call((enum who)w, rt->method, path, rt->body);
            long want = w >= (int)rt->least ? 0 : w == W_NONE ? 401 : 403;
            if (rt->only && w > (int)rt->least)
                want = 403;
            int ok = want == 0 ? (st != 401 && st != 403 && st > 0) : st == want;
            if (!ok) {
                fprintf(stderr, "%s %s as %s: got %ld, want %s%ld\n", rt->method, path,
                        who_names[w], st, want == 0 ? "not 401/403, e.g. " : "", want ? want : 200);
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- a customer sees only their own ------------------------------------- */

static void customer_sees_only_own_records(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/orders", E.cust);
    assert_int_equal(call(W_CUSTOMER, "GET", path, NULL), 200);
    /* another customer's orders: refused, whichever id */
    for (long long other = 1; other <= 3; other++) {
        if (other == E.cust)
            continue;
        snprintf(path, sizeof path, "/api/v1/customers/%lld/orders", other);
        assert_int_equal(call(W_CUSTOMER, "GET", path, NULL), 403);
        snprintf(path, sizeof path, "/api/v1/customers/%lld", other);
        assert_int_equal(call(W_CUSTOMER, "GET", path, NULL), 403);
    }
    /* /me/orders: every order is the customer's own */
    const char *hdr[] = {E.cred[W_CUSTOMER], NULL};
    struct th_resp r;
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/me/orders", NULL, 0, NULL, hdr, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    json_t *items = json_object_get(doc, "items");
    assert_true(json_is_array(items));
    assert_true(json_array_size(items) > 0); /* demo-customer-1 has orders */
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
        json_t *cid = json_object_get(o, "customer_id");
        if (cid != NULL)
            assert_int_equal(json_integer_value(cid), E.cust);
    }
    json_decref(doc);
    /* staff-only data through the customer's token: refused */
    assert_int_equal(call(W_CUSTOMER, "GET", "/api/v1/tickets", NULL), 403);
    assert_int_equal(call(W_CUSTOMER, "GET", "/api/v1/orders/DS20261101001", NULL), 403);
}

static void forged_identity_is_refused(void **state)
{
    (void)state;
    long st;
    json_t *c = start_as("demo-customer-2", NULL, &st);
    assert_int_equal(st, 403);
    json_decref(c);
    c = start_as("demo-customer-2", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                 &st);
    assert_int_equal(st, 403);
    json_decref(c);
    char hex[65];
    sign("demo-customer-1", hex); /* signed for another customer */
    c = start_as("demo-customer-2", hex, &st);
    assert_int_equal(st, 403);
    json_decref(c);
    sign("demo-customer-2", hex);
    c = start_as("demo-customer-2", hex, &st);
    assert_int_equal(st, 201);
    assert_true(json_integer_value(json_object_get(c, "customer_id")) != E.cust);
    json_decref(c);
    /* anonymous visitors need no signature */
    const char *hdr[] = {"Authorization:", NULL};
    struct th_resp r;
    assert_int_equal(th_http_ex(&E.kefu, "POST", "/api/v1/conversations", "{}", 2, NULL, hdr, &r),
                     0);
    assert_int_equal(r.status, 201);
    th_resp_free(&r);
    /* a channel key speaks for any customer */
    const char *ch[] = {E.cred[W_CHANNEL], NULL};
    const char *body = "{\"customer\":{\"external_id\":\"demo-customer-3\"}}";
    assert_int_equal(
        th_http_ex(&E.kefu, "POST", "/api/v1/conversations", body, strlen(body), NULL, ch, &r), 0);
    assert_int_equal(r.status, 201);
    th_resp_free(&r);
}

/* ---- sessions end -------------------------------------------------------- */

static void login_logout_and_lockout(void **state)
{
    (void)state;
    char t[64], cred[128];
    /* a wrong password and an unknown user get the same answer */
    assert_int_not_equal(th_login(&E.kefu, "bob", "wrong-password", t), 0);
    const char *hdr0[] = {"Authorization:", NULL};
    struct th_resp a, b;
    const char *wrong = "{\"username\":\"bob\",\"password\":\"wrong-password\"}";
    const char *nouser = "{\"username\":\"nobody-here\",\"password\":\"wrong-password\"}";
    th_http_ex(&E.kefu, "POST", "/api/v1/auth/login", wrong, strlen(wrong), NULL, hdr0, &a);
    th_http_ex(&E.kefu, "POST", "/api/v1/auth/login", nouser, strlen(nouser), NULL, hdr0, &b);
    assert_int_equal(a.status, 401);
    assert_int_equal(b.status, 401);
    assert_string_equal(a.body, b.body);
    th_resp_free(&a);
    th_resp_free(&b);

    /* the cookie works as well as the bearer token */
    assert_int_equal(th_login(&E.kefu, "bob", "bob-password-1", t), 0);
    char cookie[128];
    snprintf(cookie, sizeof cookie, "Cookie: kefu_session=%s", t);
    const char *ck[] = {"Authorization:", cookie, NULL};
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, ck, &a), 0);
    assert_int_equal(a.status, 200);
    th_resp_free(&a);
    /* logout ends it */
    bearer(cred, t);
    const char *h[] = {cred, NULL};
    assert_int_equal(th_http_ex(&E.kefu, "POST", "/api/v1/auth/logout", "", 0, NULL, h, &a), 0);
    assert_int_equal(a.status, 200);
    th_resp_free(&a);
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, h, &a), 0);
    assert_int_equal(a.status, 401);
    th_resp_free(&a);

    /* a new password ends the old sessions; the new one signs in */
    assert_int_equal(th_login(&E.kefu, "bob", "bob-password-1", t), 0);
    bearer(cred, t);
    const char *pw = "{\"password\":\"bob-password-2\"}";
    json_t *users = th_json(&E.kefu, "GET", "/api/v1/users", NULL, &(long){0});
    long long bob = 0;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(users, "users"), i, u)
        if (strcmp(json_string_value(json_object_get(u, "username")), "bob") == 0)
            bob = json_integer_value(json_object_get(u, "id"));
    json_decref(users);
    assert_true(bob > 0);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", bob);
    assert_int_equal(th_http(&E.kefu, "PATCH", path, pw, strlen(pw), NULL, &a), 0);
    assert_int_equal(a.status, 200);
    assert_null(strstr(a.body, "password")); /* no hash in replies */
    th_resp_free(&a);
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, h, &a), 0);
    assert_int_equal(a.status, 401);
    th_resp_free(&a);
    assert_int_equal(th_login(&E.kefu, "bob", "bob-password-2", t), 0);

    /* disabled: the session stops working and no new one starts */
    bearer(cred, t);
    const char *dis = "{\"disabled\":true}";
    assert_int_equal(th_http(&E.kefu, "PATCH", path, dis, strlen(dis), NULL, &a), 0);
    assert_int_equal(a.status, 200);
    th_resp_free(&a);
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, h, &a), 0);
    assert_int_equal(a.status, 401);
    th_resp_free(&a);
    assert_int_not_equal(th_login(&E.kefu, "bob", "bob-password-2", t), 0);
}

static void keys_are_shown_once_and_revocable(void **state)
{
    (void)state;
    json_t *k = th_json(&E.kefu, "POST", "/api/v1/keys", "{\"name\":\"crm-sync\",\"role\":\"agent\"}",
                        &(long){0});
    const char *key = json_string_value(json_object_get(k, "key"));
    assert_non_null(key);
    assert_memory_equal(key, "kfk_", 4);
    char cred[128];
    bearer(cred, key);
    json_decref(k);
    const char *h[] = {cred, NULL};
    char xkey[140];
    snprintf(xkey, sizeof xkey, "X-Api-Key: %s", cred + strlen("Authorization: Bearer "));
    const char *hx[] = {"Authorization:", xkey, NULL};
    struct th_resp r;
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, h, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, hx, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    /* listings never show the key again */
    assert_int_equal(th_http(&E.kefu, "GET", "/api/v1/keys", NULL, 0, NULL, &r), 0);
    assert_null(strstr(r.body, cred + strlen("Authorization: Bearer ")));
    assert_non_null(strstr(r.body, "crm-sync"));
    th_resp_free(&r);
    assert_int_equal(th_http(&E.kefu, "DELETE", "/api/v1/keys/crm-sync", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, h, &r), 0);
    assert_int_equal(r.status, 401);
    th_resp_free(&r);
    /* a made-up token is refused, not taken for nobody */
    const char *fake[] = {"Authorization: Bearer kfk_not-a-real-key-aaaaaaaaaaaaaaaaaaaa", NULL};
    assert_int_equal(th_http_ex(&E.kefu, "GET", "/api/v1/tickets", NULL, 0, NULL, fake, &r), 0);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "unauthorized"));
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_checks_its_role),
        cmocka_unit_test(customer_sees_only_own_records),
        cmocka_unit_test(forged_identity_is_refused),
        cmocka_unit_test(login_logout_and_lockout),
        cmocka_unit_test(keys_are_shown_once_and_revocable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
