/*
 * integration/console.c — the agent console's API in the real `kefu serve`
 * (docs/console.md): a customer's "转人工" puts the conversation in the
 * queue; agent A takes it over, agent B gets 409, B cannot force, a
 * supervisor can; an agent's reply is in the history as role agent; the bot
 * is silent while an agent holds the conversation and answers again after
 * the handback; close takes a resolution; notes never reach the customer;
 * three negative messages open exactly one churn_risk ticket and one
 * churn_alert webhook; two messages the bot does not understand flag it
 * low_confidence; the side panels and canned responses answer; every
 * console route answers 401 without credentials and 403 to a customer's
 * session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
    char alice[64], bob[64], sue[64]; /* session tokens: agent, agent, supervisor */
};

static struct env E;

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    if (th_user(E.db, "alice", "agent", "alice-pass-1") != 0 ||
        th_user(E.db, "bob", "agent", "bob-pass-22") != 0 ||
        th_user(E.db, "sue", "supervisor", "sue-pass-333") != 0)
        return -1;
    const char *extra[] = {"--set", "churn.negative_streak=3", NULL};
    if (th_start(&E.kefu, E.db, extra) != 0)
        return -1;
    if (th_login(&E.kefu, "alice", "alice-pass-1", E.alice) != 0 ||
        th_login(&E.kefu, "bob", "bob-pass-22", E.bob) != 0 ||
        th_login(&E.kefu, "sue", "sue-pass-333", E.sue) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A request as `token` (NULL: no credentials at all); the reply's JSON, and
 * its status checked against want. */
static json_t *req(const char *token, const char *method, const char *path, const char *body,
                   long want)
{
    long status;
    char got[512];
    json_t *doc = th_json_as(&E.kefu, token, method, path, body, &status, got, sizeof got);
    if (status != want)
        fail_msg("%s %s → %ld, expected %ld: %s", method, path, status, want, got);
    return doc;
}

/* A web conversation of a new customer: its id and the customer's token. */
static void start(const char *customer, char id[40], char ctoken[64])
{
    char body[200];
    snprintf(body, sizeof body,
             "{\"lang\":\"zh\",\"channel\":\"web\",\"customer\":{\"external_id\":\"%s\"}}",
             customer);
    json_t *c = req(NULL, "POST", "/api/v1/conversations", body, 201);
    snprintf(id, 40, "%s", json_string_value(json_object_get(c, "id")));
    if (ctoken != NULL)
        snprintf(ctoken, 64, "%s", json_string_value(json_object_get(c, "customer_token")));
    json_decref(c);
}

/* The customer says text; the number of replies the bot gave. */
static size_t say(const char *id, const char *text)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
    json_t *t = req(NULL, "POST", path, body, 200);
    size_t n = json_array_size(json_object_get(t, "replies"));
    json_decref(t);
    return n;
}

static json_t *act(const char *token, const char *id, const char *what, const char *body, long want)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/%s", id, what);
    return req(token, "POST", path, body ? body : "{}", want);
}

/* The queue item of conversation id, or NULL (a new reference). */
static json_t *queued(const char *id)
{
    json_t *q = req(E.alice, "GET", "/api/v1/queue", NULL, 200), *hit = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(q, "items"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0)
            hit = json_incref(it);
    }
    json_decref(q);
    return hit;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_takeover_reply_handback_close(void **state)
{
    (void)state;
    char id[40];
    start("console-1", id, NULL);
    assert_null(queued(id));
    assert_true(say(id, "转人工") >= 1); /* the bot says it hands off */
    json_t *it = queued(id);
    assert_non_null(it);
    assert_string_equal(str(it, "reason"), "customer_request");
    assert_string_equal(str(it, "status"), "handoff");
    json_decref(it);

    json_t *r = act(E.alice, id, "takeover", NULL, 200);
    assert_string_equal(
        str(json_object_get(json_object_get(r, "conversation"), "assignee"), "username"), "alice");
    json_decref(r);
    json_decref(act(E.bob, id, "takeover", NULL, 409));
    json_decref(act(E.bob, id, "takeover", "{\"force\":true}", 403)); /* agents cannot force */
    json_decref(act(E.bob, id, "reply", "{\"text\":\"me too\"}", 409));

    r = act(E.alice, id, "reply", "{\"text\":\"您好，我是 alice\"}", 201);
    assert_string_equal(str(json_object_get(r, "message"), "role"), "agent");
    json_decref(r);
    json_decref(act(E.alice, id, "reply", "{\"text\":\"\"}", 400));
    json_decref(act(E.alice, id, "reply", "{\"text\":\"  \"}", 400));

    /* the bot is silent while alice holds it */
    assert_int_equal(say(id, "我的订单到哪了"), 0);

    /* the history has the agent's message */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    json_t *h = req(NULL, "GET", path, NULL, 200);
    int agent = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(h, "messages"), i, m)
    {
        if (strcmp(str(m, "role"), "agent") == 0 && strcmp(str(m, "text"), "您好，我是 alice") == 0)
            agent++;
    }
    assert_int_equal(agent, 1);
    json_decref(h);

    /* a supervisor forces it over, then hands it back: the bot answers again */
    r = act(E.sue, id, "takeover", "{\"force\":true}", 200);
    assert_string_equal(
        str(json_object_get(json_object_get(r, "conversation"), "assignee"), "username"), "sue");
    json_decref(r);
    json_decref(act(E.alice, id, "handback", NULL, 409));
    r = act(E.sue, id, "handback", NULL, 200);
    assert_string_equal(str(json_object_get(r, "conversation"), "status"), "open");
    assert_string_equal(str(json_object_get(r, "message"), "text"), "已转回智能助手");
    json_decref(r);
    assert_null(queued(id));
    assert_true(say(id, "退货运费谁出?") >= 1);

    /* close with a resolution */
    json_decref(act(E.alice, id, "close", "{\"resolution\":\"fixed\"}", 400));
    json_decref(act(E.alice, id, "close", "{}", 400));
    r = act(E.alice, id, "close", "{\"resolution\":\"resolved\"}", 200);
    assert_string_equal(str(json_object_get(r, "conversation"), "status"), "closed");
    assert_string_equal(str(json_object_get(r, "conversation"), "resolution"), "resolved");
    json_decref(r);
    json_decref(act(E.alice, id, "close", "{\"resolution\":\"resolved\"}", 409));
    h = req(NULL, "GET", path, NULL, 200);
    assert_string_equal(str(h, "status"), "closed");
    json_decref(h);

    /* the agent's list: closed ones, and mine */
    json_t *l = req(E.alice, "GET", "/api/v1/conversations?status=closed", NULL, 200);
    assert_true(json_integer_value(json_object_get(l, "total")) >= 1);
    json_decref(l);
    json_decref(req(E.alice, "GET", "/api/v1/conversations?assignee=me&status=open", NULL, 200));
    json_decref(req(E.alice, "GET", "/api/v1/conversations?status=gone", NULL, 400));
    json_decref(act(E.alice, "0123456789abcdef0123456789abcdef", "takeover", NULL, 404));
}

static void test_notes_are_internal(void **state)
{
    (void)state;
    char id[40];
    start("console-2", id, NULL);
    json_t *r = act(E.alice, id, "notes", "{\"text\":\"secret-note-42\"}", 201);
    assert_string_equal(str(json_object_get(r, "message"), "role"), "system");
    json_decref(r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    json_t *h = req(NULL, "GET", path, NULL, 200);
    char *text = json_dumps(h, 0);
    assert_null(strstr(text, "secret-note-42")); /* the customer's view */
    free(text);
    json_decref(h);
    h = req(E.alice, "GET", path, NULL, 200);
    text = json_dumps(h, 0);
    assert_non_null(strstr(text, "secret-note-42")); /* the agent's */
    free(text);
    json_decref(h);
}

static long long db_count(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(E.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    long long n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

static void test_churn_alert(void **state)
{
    (void)state;
    char id[40];
    start("console-3", id, NULL);
    say(id, "你们的服务太差了，我非常生气");
    say(id, "快递太慢了，气死我了，太差劲");
    json_t *it = queued(id);
    if (it != NULL) /* two are not a streak of three */
        assert_string_not_equal(str(it, "reason"), "negative_streak");
    json_decref(it);
    say(id, "垃圾商家，再也不买了，太失望了");
    say(id, "真的太烂了，你们太差了"); /* a fourth: still one ticket */
    it = queued(id);
    assert_non_null(it);
    assert_int_equal(json_integer_value(json_object_get(it, "negative_streak")), 4);
    json_decref(it);

    json_t *l =
        req(E.sue, "GET", "/api/v1/tickets?category=churn_risk&status=open&limit=100", NULL, 200);
    int n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(l, "items"), i, t)
    {
        if (strcmp(str(t, "conversation_id"), id) != 0)
            continue;
        n++;
        assert_string_equal(str(t, "priority"), "high");
        assert_string_equal(str(t, "assignee"), "supervisor");
        assert_non_null(strstr(str(t, "subject"), "Churn risk: 3 negative"));
    }
    assert_int_equal(n, 1);
    json_decref(l);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM webhook_outbox WHERE topic = 'churn_alert'"
             " AND json_extract(payload, '$.conversation_id') = '%s'"
             " AND json_extract(payload, '$.transcript') LIKE '%%customer: %%'",
             id);
    assert_int_equal(db_count(sql), 1);
}

static void test_panels(void **state)
{
    (void)state;
    char id[40];
    start("console-4", id, NULL);
    say(id, "退货运费谁出?");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/suggestions", id);
    json_t *s = req(E.alice, "GET", path, NULL, 200);
    assert_non_null(str(s, "intent"));
    json_t *a = json_array_get(json_object_get(s, "answers"), 0);
    assert_string_equal(str(a, "faq_id"), "returns.return_shipping_fee");
    assert_non_null(str(a, "answer"));
    json_decref(s);
    snprintf(path, sizeof path, "/api/v1/conversations/%s/context", id);
    json_t *c = req(E.alice, "GET", path, NULL, 200);
    assert_string_equal(str(json_object_get(c, "conversation"), "id"), id);
    assert_true(json_is_object(json_object_get(c, "customer")));
    assert_true(json_is_object(json_object_get(c, "profile")));
    json_decref(c);
    /* two messages the bot does not understand: low confidence (it still answers) */
    char id2[40];
    start("console-6", id2, NULL);
    assert_true(say(id2, "量子纠缠的波函数坍缩") >= 1);
    assert_null(queued(id2));
    assert_true(say(id2, "火星上的企鹅会唱歌吗") >= 1);
    json_t *lc = queued(id2);
    assert_non_null(lc);
    assert_string_equal(str(lc, "reason"), "low_confidence");
    assert_int_equal(json_integer_value(json_object_get(lc, "priority")), 3);
    json_decref(lc);
    json_t *k = req(E.alice, "GET", "/api/v1/canned?lang=en", NULL, 200);
    json_t *first = json_array_get(json_object_get(k, "items"), 0);
    assert_string_equal(str(first, "code"), "hi");
    assert_true(json_is_string(json_object_get(first, "text")));
    json_decref(k);
}

static void test_access(void **state)
{
    (void)state;
    char id[40], ctoken[64];
    start("console-5", id, ctoken);
    assert_true(strlen(ctoken) > 10);
    static const char *const gets[] = {"/api/v1/queue", "/api/v1/conversations", "/api/v1/canned",
                                       "suggestions", "context"};
    static const char *const posts[] = {"takeover", "reply", "notes", "handback", "close"};
    char path[160];
    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        if (gets[i][0] == '/')
            snprintf(path, sizeof path, "%s", gets[i]);
        else
            snprintf(path, sizeof path, "/api/v1/conversations/%s/%s", id, gets[i]);
        json_decref(req(NULL, "GET", path, NULL, 401));
        json_decref(req(ctoken, "GET", path, NULL, 403));
    }
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        snprintf(path, sizeof path, "/api/v1/conversations/%s/%s", id, posts[i]);
        json_decref(req(NULL, "POST", path, "{\"text\":\"x\",\"resolution\":\"spam\"}", 401));
        json_decref(req(ctoken, "POST", path, "{\"text\":\"x\",\"resolution\":\"spam\"}", 403));
    }
    /* an API key may read the queue but not hold a conversation */
    json_decref(req(E.kefu.auth, "GET", "/api/v1/queue", NULL, 200));
    snprintf(path, sizeof path, "/api/v1/conversations/%s/takeover", id);
    json_decref(req(E.kefu.auth, "POST", path, "{}", 403));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_takeover_reply_handback_close),
        cmocka_unit_test(test_notes_are_internal),
        cmocka_unit_test(test_churn_alert),
        cmocka_unit_test(test_panels),
        cmocka_unit_test(test_access),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
