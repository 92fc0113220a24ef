/*
 * integration/durability.c — a message acknowledged to a client survives
 * kill -9 of the server.
 *
 * A client thread posts messages as fast as it can and records every one
 * the server acknowledged (HTTP 200 with ids). Meanwhile the server is
 * killed with SIGKILL; it is restarted on the same database and every
 * acknowledged message, and its replies, must be there.
 *
 * A conversation in the middle of a flow (asked which order to cancel, then
 * asked to confirm) carries on after kill -9 and a restart: the dialog state
 * is committed with each turn, so the new process continues where the old
 * one stopped and the order is cancelled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_ACKS 100000

struct client {
    struct kefu_proc *kefu;
    char conv[40];
    long long acked_ids[MAX_ACKS]; /* customer message ids */
    long long reply_ids[MAX_ACKS];
    int acked;
    atomic_int stop;
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", c->conv);
    for (int i = 0; !atomic_load(&c->stop) && c->acked < MAX_ACKS; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"text\":\"invoice question number %d\",\"lang\":\"en\"}",
                 i);
        long status;
        json_t *r = th_json(c->kefu, "POST", path, body, &status);
        if (status != 200 || r == NULL) {
            json_decref(r);
            break; /* the server is gone */
        }
        c->acked_ids[c->acked] =
            json_integer_value(json_object_get(json_object_get(r, "message"), "id"));
        c->reply_ids[c->acked] = json_integer_value(
            json_object_get(json_array_get(json_object_get(r, "replies"), 0), "id"));
        c->acked++;
        json_decref(r);
    }
    return NULL;
}

static void test_kill9_keeps_acknowledged_messages(void **state)
{
    (void)state;
    char dir[256], db[300];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    struct kefu_proc kefu;
    assert_int_equal(th_start(&kefu, db, NULL), 0);
    long status;
    json_t *c = th_json(&kefu, "POST", "/api/v1/conversations", "{\"lang\":\"en\"}", &status);
    assert_int_equal(status, 201);
    struct client *cl = calloc(1, sizeof *cl);
    cl->kefu = &kefu;
    snprintf(cl->conv, sizeof cl->conv, "%s", json_string_value(json_object_get(c, "id")));
    json_decref(c);

    pthread_t t;
    pthread_create(&t, NULL, client_main, cl);
    /* let it run until a few dozen messages are acknowledged, then crash it */
    for (int i = 0; i < 200 && cl->acked < 30; i++)
        usleep(20000);
    th_stop(&kefu, SIGKILL);
    atomic_store(&cl->stop, 1);
    pthread_join(t, NULL);
    assert_true(cl->acked >= 1);
    print_message("acknowledged before kill -9: %d messages\n", cl->acked);

    assert_int_equal(th_start(&kefu, db, NULL), 0);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s?limit=200", cl->conv);
    int found = 0, replies = 0;
    long long before = 0;
    for (;;) {
        char p2[200];
        if (before)
            snprintf(p2, sizeof p2, "%s&before=%lld", path, before);
        else
            snprintf(p2, sizeof p2, "%s", path);
        json_t *h = th_json(&kefu, "GET", p2, NULL, &status);
        assert_int_equal(status, 200);
        json_t *msgs = json_object_get(h, "messages");
        for (size_t i = 0; i < json_array_size(msgs); i++) {
            long long id = json_integer_value(json_object_get(json_array_get(msgs, i), "id"));
            for (int k = 0; k < cl->acked; k++) {
                found += cl->acked_ids[k] == id;
                replies += cl->reply_ids[k] == id;
            }
        }
        json_t *nb = json_object_get(h, "next_before");
        before = nb ? json_integer_value(nb) : 0;
        json_decref(h);
        if (!before)
            break;
    }
    assert_int_equal(found, cl->acked);
    assert_int_equal(replies, cl->acked);
    /* and the restarted server carries on with the same conversation */
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", cl->conv);
    json_t *r = th_json(&kefu, "POST", path, "{\"text\":\"how long does delivery take\"}", &status);
    assert_int_equal(status, 200);
    json_decref(r);
    th_stop(&kefu, SIGTERM);
    th_rmdir(dir);
    free(cl);
}

/* POST a message; the first reply's meta.kind, and its text into text. */
static const char *say(struct kefu_proc *k, const char *conv, const char *msg, char *text,
                       size_t cap)
{
    static char kind[32];
    char path[160], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", conv);
    json_t *b = json_pack("{s:s}", "text", msg);
    char *bs = json_dumps(b, 0);
    snprintf(body, sizeof body, "%s", bs);
    free(bs);
    json_decref(b);
    long status;
    json_t *r = th_json(k, "POST", path, body, &status);
    assert_int_equal(status, 200);
    json_t *rep = json_array_get(json_object_get(r, "replies"), 0);
    snprintf(kind, sizeof kind, "%s",
             json_string_value(json_object_get(json_object_get(rep, "meta"), "kind")));
    snprintf(text, cap, "%s", json_string_value(json_object_get(rep, "text")));
    json_decref(r);
    return kind;
}

static void test_flow_survives_restart(void **state)
{
    (void)state;
    char dir[256], db[300];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    const char *seed[] = {"demo", "seed", "--db", db, "--bot", KEFU_SRC_ROOT "/bots/demo-shop",
                          "--customers", "20", "--orders", "100", "--log-level", "warn", NULL};
    assert_int_equal(th_run(seed), 0);
    struct kefu_proc kefu;
    assert_int_equal(th_start(&kefu, db, NULL), 0);
    long status;
    json_t *c = th_json(&kefu, "POST", "/api/v1/conversations",
                        "{\"lang\":\"zh\",\"channel\":\"web\","
                        "\"customer\":{\"external_id\":\"demo-customer-1\"}}",
                        &status);
    assert_int_equal(status, 201);
    char conv[40], text[1024];
    snprintf(conv, sizeof conv, "%s", json_string_value(json_object_get(c, "id")));
    json_decref(c);
    assert_string_equal(say(&kefu, conv, "我要取消订单", text, sizeof text), "ask");
    assert_string_equal(say(&kefu, conv, "DS20261101004", text, sizeof text), "confirm");
    th_stop(&kefu, SIGKILL);

    assert_int_equal(th_start(&kefu, db, NULL), 0);
    assert_string_equal(say(&kefu, conv, "确认", text, sizeof text), "action");
    assert_non_null(strstr(text, "DS20261101004 已取消"));
    json_t *o = th_json(&kefu, "GET", "/api/v1/orders/DS20261101004", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "cancelled");
    json_decref(o);
    th_stop(&kefu, SIGTERM);
    th_rmdir(dir);
}

/* Turns of one conversation run one at a time (the engine's per-conversation
 * lock): 8 clients post not-understood messages to the same conversation at
 * once. Each turn reads the state's count of misses in a row and writes it
 * back (the third miss hands off and starts the count again), so a lost
 * update would show as fewer handoffs than one per three messages; and in
 * the history each customer message is followed by its own replies. */
struct burst {
    struct kefu_proc *kefu;
    const char *conv;
    int n, ok, handoffs;
};

static void *burst_main(void *arg)
{
    struct burst *b = arg;
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", b->conv);
    for (int i = 0; i < b->n; i++) {
        long status;
        json_t *r = th_json(b->kefu, "POST", path, "{\"text\":\"呃呃呃啊\"}", &status);
        b->ok += status == 200;
        json_t *rep = json_array_get(json_object_get(r, "replies"), 0);
        const char *kind = json_string_value(json_object_get(json_object_get(rep, "meta"), "kind"));
        b->handoffs += kind != NULL && strcmp(kind, "handoff") == 0;
        json_decref(r);
    }
    return NULL;
}

static void test_one_conversation_turns_in_order(void **state)
{
    (void)state;
    char dir[256], db[300];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    struct kefu_proc kefu;
    const char *extra[] = {"--set", "store.synchronous=normal", NULL};
    assert_int_equal(th_start(&kefu, db, extra), 0);
    long status;
    json_t *c = th_json(&kefu, "POST", "/api/v1/conversations", "{\"lang\":\"zh\"}", &status);
    assert_int_equal(status, 201);
    char conv[40];
    snprintf(conv, sizeof conv, "%s", json_string_value(json_object_get(c, "id")));
    json_decref(c);
    enum { CLIENTS = 8, EACH = 6 };
    struct burst b[CLIENTS];
    pthread_t t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        b[i] = (struct burst){&kefu, conv, EACH, 0, 0};
        pthread_create(&t[i], NULL, burst_main, &b[i]);
    }
    int ok = 0, handoffs = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        ok += b[i].ok;
        handoffs += b[i].handoffs;
    }
    assert_int_equal(ok, CLIENTS * EACH);
    assert_int_equal(handoffs, CLIENTS * EACH / 3); /* max_fallbacks: 3 */
    char path[200];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/turns?limit=1000", conv);
    json_t *turns = th_json(&kefu, "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_array_size(json_object_get(turns, "turns")), CLIENTS * EACH);
    json_decref(turns);
    /* history: customer, then that turn's bot replies, then the next customer message */
    snprintf(path, sizeof path, "/api/v1/conversations/%s?limit=200", conv);
    json_t *h = th_json(&kefu, "GET", path, NULL, &status);
    json_t *msgs = json_object_get(h, "messages");
    long long prev_id = 0;
    int customers = 0;
    const char *prev_role = "bot"; /* the greeting */
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        json_t *m = json_array_get(msgs, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        long long id = json_integer_value(json_object_get(m, "id"));
        assert_true(id > prev_id);
        if (strcmp(role, "customer") == 0) {
            assert_string_equal(prev_role, "bot"); /* a turn never starts inside another */
            customers++;
        }
        prev_role = role;
        prev_id = id;
    }
    assert_string_equal(prev_role, "bot");
    json_decref(h);
    print_message("%d turns of one conversation from %d clients at once, in order\n", customers,
                  CLIENTS);
    th_stop(&kefu, SIGTERM);
    th_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_keeps_acknowledged_messages),
        cmocka_unit_test(test_flow_survives_restart),
        cmocka_unit_test(test_one_conversation_turns_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
