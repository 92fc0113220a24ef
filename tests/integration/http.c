/*
 * integration/http.c — the real `kefu serve` over HTTP on a loopback port:
 * a zh and an en conversation (replies and database rows), handoff, history
 * paging, the Rasa REST channel, static files, and every bad-input case the
 * API promises a 4xx JSON error for (with nothing written).
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

#include "harness.h"

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
    const char *extra[] = {"--set", "server.max_body=4096", NULL};
    return th_start(&E.kefu, E.db, extra);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    /* a clean stop must exit 0 */
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One integer from the database, through a separate connection. */
static long long db_count(const char *sql, const char *arg)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(E.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static char *start_conversation(const char *lang)
{
    char body[128];
    snprintf(body, sizeof body, "{\"lang\":\"%s\",\"channel\":\"web\"}", lang);
    long status;
    json_t *c = th_json(&E.kefu, "POST", "/api/v1/conversations", body, &status);
    assert_int_equal(status, 201);
    assert_non_null(c);
    const char *id = json_string_value(json_object_get(c, "id"));
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    assert_string_equal(json_string_value(json_object_get(c, "lang")), lang);
    json_t *msgs = json_object_get(c, "messages");
    assert_int_equal(json_array_size(msgs), 1);
    json_t *g = json_array_get(msgs, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "meta"), "kind")),
                        "greeting");
    char *copy = strdup(id);
    json_decref(c);
    return copy;
}

/* Post text; returns the reply document (caller decrefs). */
static json_t *say(const char *id, const char *text, long want_status)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    json_t *body = json_pack("{s:s}", "text", text);
    char *s = json_dumps(body, 0);
    long status;
    json_t *r = th_json(&E.kefu, "POST", path, s, &status);
    free(s);
    json_decref(body);
    assert_int_equal(status, want_status);
    assert_non_null(r);
    return r;
}

static const char *reply_field(json_t *r, size_t i, const char *meta_key)
{
    json_t *rep = json_array_get(json_object_get(r, "replies"), i);
    assert_non_null(rep);
    if (meta_key == NULL)
        return json_string_value(json_object_get(rep, "text"));
    return json_string_value(json_object_get(json_object_get(rep, "meta"), meta_key));
}

static void test_health(void **state)
{
    (void)state;
    long status;
    json_t *h = th_json(&E.kefu, "GET", "/healthz", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
    json_decref(h);
    h = th_json(&E.kefu, "GET", "/readyz", NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(h, "status")), "ready");
    json_decref(h);
}

static void conversation(const char *lang, const char *question, const char *faq_id)
{
    char *id = start_conversation(lang);
    json_t *r = say(id, question, 200);
    assert_string_equal(json_string_value(json_object_get(r, "conversation_id")), id);
    json_t *m = json_object_get(r, "message");
    assert_string_equal(json_string_value(json_object_get(m, "role")), "customer");
    assert_string_equal(json_string_value(json_object_get(m, "text")), question);
    /* the customer's message carries what the NLU understood */
    assert_non_null(json_string_value(json_object_get(json_object_get(m, "meta"), "intent")));
    assert_non_null(json_string_value(json_object_get(json_object_get(m, "meta"), "sentiment")));
    assert_string_equal(reply_field(r, 0, "kind"), "faq");
    assert_string_equal(reply_field(r, 0, "faq_id"), faq_id);
    assert_true(strlen(reply_field(r, 0, NULL)) > 20);
    json_t *rep = json_array_get(json_object_get(r, "replies"), 0);
    assert_string_equal(json_string_value(json_object_get(rep, "lang")), lang);
    char *answer = strdup(reply_field(r, 0, NULL));
    json_decref(r);

    /* the history and the database hold greeting, question and answer */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    long status;
    json_t *h = th_json(&E.kefu, "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    json_t *msgs = json_object_get(h, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "text")),
                        question);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 2), "text")),
                        answer);
    assert_null(json_object_get(h, "next_before"));
    json_decref(h);
    assert_int_equal(db_count("SELECT COUNT(*) FROM messages WHERE conversation_id = ?1", id), 3);
    sqlite3 *db;
    sqlite3_open_v2(E.db, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT text, lang FROM messages WHERE conversation_id = ?1"
                       " AND role = 'customer'",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), question);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), lang);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(answer);
    free(id);
}

static void test_zh_conversation(void **state)
{
    (void)state;
    conversation("zh", "退货运费谁出?", "returns.return_shipping_fee");
}

static void test_en_conversation(void **state)
{
    (void)state;
    conversation("en", "how long does delivery take", "shipping.delivery_time");
}

static void test_not_sure_then_handoff(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    json_t *r = say(id, "qwzx plorb vanta", 200);
    assert_string_equal(reply_field(r, 0, "kind"), "not_sure");
    json_t *qr = json_object_get(json_array_get(json_object_get(r, "replies"), 0), "quick_replies");
    assert_true(json_array_size(qr) >= 1);
    const char *human =
        json_string_value(json_object_get(json_array_get(qr, json_array_size(qr) - 1), "text"));
    assert_string_equal(human, "Talk to a human");
    assert_int_equal(
        db_count("SELECT COUNT(*) FROM handoff_requests WHERE conversation_id = ?1", id), 0);
    json_t *h = say(id, human, 200);
    assert_string_equal(reply_field(h, 0, "kind"), "handoff");
    assert_int_equal(
        db_count("SELECT COUNT(*) FROM handoff_requests WHERE conversation_id = ?1", id), 1);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    long status;
    json_t *c = th_json(&E.kefu, "GET", path, NULL, &status);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "handoff");
    json_decref(c);
    json_decref(h);
    json_decref(r);
    free(id);
}

static void test_history_paging(void **state)
{
    (void)state;
    char *id = start_conversation("zh");
    for (int i = 0; i < 4; i++)
        json_decref(say(id, "能开发票吗", 200));
    /* 1 greeting + 4 × 2 = 9 messages; read them 4 at a time, newest page first */
    long long seen[16];
    size_t nseen = 0;
    long long before = 0;
    int pages = 0;
    for (;;) {
        char path[160];
        if (before > 0)
            snprintf(path, sizeof path, "/api/v1/conversations/%s?limit=4&before=%lld", id,
                     before);
        else
            snprintf(path, sizeof path, "/api/v1/conversations/%s?limit=4", id);
        long status;
        json_t *h = th_json(&E.kefu, "GET", path, NULL, &status);
        assert_int_equal(status, 200);
        json_t *msgs = json_object_get(h, "messages");
        long long prev = 0;
        for (size_t i = 0; i < json_array_size(msgs); i++) {
            long long mid = json_integer_value(json_object_get(json_array_get(msgs, i), "id"));
            assert_true(mid > prev); /* oldest first inside a page */
            prev = mid;
            for (size_t k = 0; k < nseen; k++)
                assert_true(seen[k] != mid);
            seen[nseen++] = mid;
        }
        pages++;
        json_t *nb = json_object_get(h, "next_before");
        if (nb == NULL) {
            json_decref(h);
            break;
        }
        before = json_integer_value(nb);
        json_decref(h);
        assert_true(pages < 5);
    }
    assert_int_equal(pages, 3);
    assert_int_equal(nseen, 9);
    free(id);
}

static void test_rasa_channel(void **state)
{
    (void)state;
    long status;
    json_t *r = th_json(&E.kefu, "POST", "/webhooks/rest/webhook",
                        "{\"sender\":\"rasa-user-1\",\"message\":\"how long does delivery take\"}",
                        &status);
    assert_int_equal(status, 200);
    assert_true(json_is_array(r));
    assert_int_equal(json_array_size(r), 1);
    json_t *m = json_array_get(r, 0);
    assert_string_equal(json_string_value(json_object_get(m, "recipient_id")), "rasa-user-1");
    assert_non_null(strstr(json_string_value(json_object_get(m, "text")), "1–2 days"));
    json_decref(r);
    /* the same sender continues the same conversation; buttons for not-sure */
    r = th_json(&E.kefu, "POST", "/webhooks/rest/webhook",
                "{\"sender\":\"rasa-user-1\",\"message\":\"qwzx plorb vanta\",\"metadata\":{}}",
                &status);
    assert_int_equal(status, 200);
    json_t *buttons = json_object_get(json_array_get(r, 0), "buttons");
    assert_true(json_array_size(buttons) >= 1);
    assert_non_null(json_object_get(json_array_get(buttons, 0), "payload"));
    json_decref(r);
    assert_int_equal(db_count("SELECT COUNT(*) FROM conversations c JOIN customer_identities i"
                              " ON i.customer_id = c.customer_id WHERE i.external_id = ?1",
                              "rasa-user-1"),
                     1);
    assert_int_equal(db_count("SELECT COUNT(*) FROM messages m JOIN conversations c"
                              " ON c.id = m.conversation_id JOIN customer_identities i"
                              " ON i.customer_id = c.customer_id WHERE i.external_id = ?1",
                              "rasa-user-1"),
                     5);
}

/* Sends a request and checks the status and the JSON error shape. */
static void expect_error(const char *method, const char *path, const char *body, size_t len,
                         const char *ctype, long status, const char *code)
{
    struct th_resp r;
    assert_int_equal(th_http(&E.kefu, method, path, body, len, ctype, &r), 0);
    if (r.status != status)
        fail_msg("%s %s: status %ld, want %ld; body %s", method, path, r.status, status, r.body);
    assert_non_null(strstr(r.ctype, "application/json"));
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    assert_non_null(doc);
    json_t *e = json_object_get(doc, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
    json_decref(doc);
    th_resp_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    long long before = db_count("SELECT COUNT(*) FROM messages", NULL);

#define BAD(body, status, code) expect_error("POST", path, body, strlen(body), NULL, status, code)
    BAD("{\"text\":", 400, "bad_request");
    BAD("not json", 400, "bad_request");
    BAD("[1,2]", 400, "bad_request");
    BAD("{\"text\":5}", 400, "bad_request");
    BAD("{\"text\":null}", 400, "bad_request");
    BAD("{}", 400, "bad_request");
    BAD("{\"text\":\"   \"}", 400, "bad_request");
    BAD("{\"text\":\"hi\",\"lang\":\"fr\"}", 400, "bad_request");
    BAD("{\"text\":\"hi\",\"lang\":7}", 400, "bad_request");
    BAD("{\"text\":\"a\\u0000b\"}", 400, "bad_request");
    BAD("{\"text\":\"\\ud800\"}", 400, "bad_request");
    BAD("{\"text\":\"x\",\"text\":\"y\"}", 400, "bad_request");
#undef BAD
    const char bad_utf8[] = "{\"text\":\"\xff\xfe\xc3\"}";
    expect_error("POST", path, bad_utf8, sizeof bad_utf8 - 1, NULL, 400, "bad_request");
    /* 4001 bytes of text: over the message limit, under the body limit */
    char *big = malloc(5000);
    memcpy(big, "{\"text\":\"", 9);
    memset(big + 9, 'a', 4001);
    memcpy(big + 9 + 4001, "\"}", 3);
    expect_error("POST", path, big, strlen(big), NULL, 400, "bad_request");
    /* over server.max_body (4096 here) */
    char *huge = malloc(10000);
    memset(huge, ' ', 9999);
    huge[0] = '{';
    huge[9998] = '}';
    huge[9999] = '\0';
    expect_error("POST", path, huge, strlen(huge), NULL, 413, "payload_too_large");
    free(huge);
    free(big);
    expect_error("POST", path, "{\"text\":\"hi\"}", 13, "image/png", 415,
                 "unsupported_media_type");
    expect_error("POST", "/api/v1/conversations/0123456789abcdef0123456789abcdef/messages",
                 "{\"text\":\"hi\"}", 13, NULL, 404, "not_found");
    expect_error("POST", "/api/v1/conversations/not-an-id/messages", "{\"text\":\"hi\"}", 13, NULL,
                 404, "not_found");
    expect_error("GET", "/api/v1/conversations/0123456789abcdef0123456789abcdef", NULL, 0, NULL,
                 404, "not_found");
    expect_error("GET", "/api/v1/nothing-here", NULL, 0, NULL, 404, "not_found");
    expect_error("DELETE", "/api/v1/conversations", NULL, 0, NULL, 405, "method_not_allowed");
    expect_error("PUT", path, "{}", 2, NULL, 405, "method_not_allowed");
    char q[200];
    snprintf(q, sizeof q, "/api/v1/conversations/%s?limit=0", id);
    expect_error("GET", q, NULL, 0, NULL, 400, "bad_request");
    snprintf(q, sizeof q, "/api/v1/conversations/%s?limit=abc", id);
    expect_error("GET", q, NULL, 0, NULL, 400, "bad_request");
    expect_error("POST", "/api/v1/conversations", "{\"lang\":\"xx\"}", 13, NULL, 400,
                 "bad_request");
    expect_error("POST", "/api/v1/conversations", "{\"customer\":[]}", 15, NULL, 400,
                 "bad_request");
    expect_error("POST", "/webhooks/rest/webhook", "{\"message\":\"hi\"}", 16, NULL, 400,
                 "bad_request");
    expect_error("POST", "/webhooks/rest/webhook", "{\"sender\":\"u\",\"message\":1}", 25, NULL,
                 400, "bad_request");

    /* nothing was written, and the server still answers */
    assert_int_equal(db_count("SELECT COUNT(*) FROM messages", NULL), before);
    json_decref(say(id, "how long does delivery take", 200));
    free(id);
}

static void test_nlu_parse(void **state)
{
    (void)state;
    long status;
    json_t *r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                        "{\"text\":\"我要退款,太坑了!!!\"}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "lang")), "zh");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "intent"), "name")),
        "refund_request");
    assert_true(json_array_size(json_object_get(r, "intent_ranking")) >= 3);
    json_t *s = json_object_get(r, "sentiment");
    assert_string_equal(json_string_value(json_object_get(s, "label")), "negative");
    assert_true(json_real_value(json_object_get(s, "score")) < 0);
    assert_true(json_is_true(json_object_get(s, "angry")));
    assert_true(json_is_false(json_object_get(json_object_get(r, "spam"), "is_spam")));
    assert_true(json_is_array(json_object_get(r, "entities")));
    json_decref(r);

    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                "{\"text\":\"ＷＨＥＲＥ is my order DS20261101001?\",\"lang\":\"en\"}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "normalized")),
                        "where is my order ds20261101001");
    assert_string_equal(json_string_value(json_object_get(r, "lang")), "en");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "intent"), "name")), "track_order");
    json_decref(r);

    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                "{\"text\":\"加微信领红包 兼职刷单日赚500\"}", &status);
    assert_true(json_is_true(json_object_get(json_object_get(r, "spam"), "is_spam")));
    json_decref(r);
    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                "{\"text\":\"what's the weather like in Paris tomorrow\"}", &status);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "intent"), "name")), "oos");
    json_decref(r);

    /* entities: patterns, catalogue, values read against the reference time */
    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                "{\"text\":\"订单DS20261101001的两台华为Mate60 Pro明天下午能到吗,预算1万以内\","
                "\"reference_time\":\"2026-11-25T13:00:00+08:00\"}",
                &status);
    assert_int_equal(status, 200);
    json_t *ents = json_object_get(r, "entities");
    const char *want[][3] = {{"order_id", "DS20261101001", "\"DS20261101001\""},
                             {"quantity", "两台", "{\"amount\": 2, \"unit\": \"台\"}"},
                             {"product", "华为Mate60 Pro", NULL},
                             {"datetime", "明天下午", "\"2026-11-26T15:00:00+08:00\""},
                             {"money", "1万以内", NULL}};
    assert_int_equal(json_array_size(ents), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_array_get(ents, i);
        assert_string_equal(json_string_value(json_object_get(e, "type")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(e, "text")), want[i][1]);
        const char *txt = json_string_value(json_object_get(r, "text"));
        json_int_t st = json_integer_value(json_object_get(e, "start"));
        assert_memory_equal(txt + st, want[i][1], strlen(want[i][1]));
        if (want[i][2] != NULL) {
            char *v = json_dumps(json_object_get(e, "value"), JSON_ENCODE_ANY);
            assert_string_equal(v, want[i][2]);
            free(v);
        }
    }
    json_t *money = json_object_get(json_array_get(ents, 4), "value");
    assert_int_equal(json_number_value(json_object_get(money, "amount")), 10000);
    assert_string_equal(json_string_value(json_object_get(money, "comparator")), "le");
    json_decref(r);
    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse",
                "{\"text\":\"can it arrive by next Friday\",\"timezone\":\"-05:00\","
                "\"reference_time\":\"2026-11-25T03:00:00Z\"}",
                &status);
    /* 03:00Z is still Tuesday the 24th at -05:00: next Friday is Dec 4 */
    json_t *e0 = json_array_get(json_object_get(r, "entities"), 0);
    assert_string_equal(json_string_value(json_object_get(e0, "type")), "date");
    assert_string_equal(json_string_value(json_object_get(e0, "value")), "2026-12-04");
    json_decref(r);
    static const char bad_tz[] = "{\"text\":\"x\",\"timezone\":\"Mars\"}";
    static const char bad_rt[] = "{\"text\":\"x\",\"reference_time\":\"soon\"}";
    expect_error("POST", "/api/v1/nlu/parse", bad_tz, sizeof bad_tz - 1, NULL, 400, "bad_request");
    expect_error("POST", "/api/v1/nlu/parse", bad_rt, sizeof bad_rt - 1, NULL, 400, "bad_request");

    expect_error("POST", "/api/v1/nlu/parse", "{}", 2, NULL, 400, "bad_request");
    expect_error("POST", "/api/v1/nlu/parse", "{\"text\":\"\"}", 11, NULL, 400, "bad_request");
    expect_error("POST", "/api/v1/nlu/parse", "{\"text\":1}", 10, NULL, 400, "bad_request");
    expect_error("GET", "/api/v1/nlu/parse", NULL, 0, NULL, 405, "method_not_allowed");
}

static void test_turns_record_nlu(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    /* the intent model hands off where no handoff phrase matches */
    json_t *r = say(id, "is there a person I can talk to", 200);
    assert_string_equal(reply_field(r, 0, "kind"), "handoff");
    json_decref(r);
    sqlite3 *db;
    sqlite3_open_v2(E.db, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT meta FROM messages WHERE conversation_id = ?1 AND role = 'customer'",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    json_t *meta = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(meta, "intent")), "ask_human");
    assert_non_null(json_object_get(meta, "sentiment"));
    json_decref(meta);
    sqlite3_finalize(st);
    /* entities are recorded with the message */
    json_decref(say(id, "where is order DS20261101001", 200));
    sqlite3_prepare_v2(db, "SELECT meta FROM messages WHERE conversation_id = ?1 AND role = "
                           "'customer' ORDER BY rowid DESC LIMIT 1",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    meta = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    json_t *e = json_array_get(json_object_get(meta, "entities"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "order_id");
    assert_string_equal(json_string_value(json_object_get(e, "value")), "DS20261101001");
    assert_string_equal(json_string_value(json_object_get(e, "source")), "pattern");
    json_decref(meta);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* and each turn's record: intent, entities, flow, action, outcome */
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/turns", id);
    long status;
    json_t *t = th_json(&E.kefu, "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    json_t *turns = json_object_get(t, "turns");
    assert_int_equal(json_array_size(turns), 2);
    json_t *t0 = json_array_get(turns, 0), *t1 = json_array_get(turns, 1);
    assert_string_equal(json_string_value(json_object_get(t0, "intent")), "ask_human");
    assert_string_equal(json_string_value(json_object_get(t0, "outcome")), "handed_off");
    assert_string_equal(json_string_value(json_object_get(t1, "flow")), "order_status");
    assert_string_equal(json_string_value(json_object_get(t1, "action")), "order.status");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(t1, "entities"), 0), "type")),
                        "order_id");
    json_decref(t);
    json_decref(th_json(&E.kefu, "GET", "/api/v1/conversations/0123456789abcdef0123456789abcdef/turns",
                        NULL, &status));
    assert_int_equal(status, 404);
    json_decref(th_json(&E.kefu, "POST", path, "{}", &status));
    assert_int_equal(status, 405);
    free(id);
}

/* Raw PII must not reach the database (main file or WAL), the replies, or
 * the NLU endpoint; the masked form does. */
static int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    static char buf[8 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static void test_pii_is_masked_before_storage(void **state)
{
    (void)state;
    char *id = start_conversation("zh");
    json_t *r = say(id, "我的手机13812345678,身份证11010519491231002X,邮箱 zhang.san@example.com", 200);
    const char *stored = json_string_value(json_object_get(json_object_get(r, "message"), "text"));
    assert_string_equal(stored, "我的手机138****5678,身份证110105********002X,邮箱 z********@example.com");
    json_decref(r);
    long status;
    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse", "{\"text\":\"card 4111 1111 1111 1111\"}",
                &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "text")), "card **** **** **** 1111");
    assert_null(strstr(json_string_value(json_object_get(r, "normalized")), "4111 1111"));
    json_decref(r);
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", E.db);
    const char *raw[] = {"13812345678", "11010519491231002X", "zhang.san@example.com"};
    for (size_t i = 0; i < 3; i++) {
        assert_false(file_contains(E.db, raw[i]));
        assert_false(file_contains(wal, raw[i]));
    }
    /* the masked text is there (so the check above can see the data at all) */
    assert_true(file_contains(E.db, "138****5678") || file_contains(wal, "138****5678"));
    free(id);
}

static void test_static_files(void **state)
{
    (void)state;
    struct th_resp r;
    assert_int_equal(th_http(&E.kefu, "GET", "/", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "text/html"));
    assert_non_null(strstr(r.body, "kefu-panel"));
    th_resp_free(&r);
    assert_int_equal(th_http(&E.kefu, "GET", "/chat.js", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "javascript"));
    th_resp_free(&r);
    expect_error("GET", "/../../../../etc/passwd", NULL, 0, NULL, 404, "not_found");
    expect_error("GET", "/%2e%2e/%2e%2e/etc/passwd", NULL, 0, NULL, 404, "not_found");
    expect_error("GET", "/missing.html", NULL, 0, NULL, 404, "not_found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_zh_conversation),
        cmocka_unit_test(test_en_conversation),
        cmocka_unit_test(test_not_sure_then_handoff),
        cmocka_unit_test(test_history_paging),
        cmocka_unit_test(test_rasa_channel),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_nlu_parse),
        cmocka_unit_test(test_turns_record_nlu),
        cmocka_unit_test(test_pii_is_masked_before_storage),
        cmocka_unit_test(test_static_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
