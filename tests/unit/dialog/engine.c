/* unit/dialog/engine.c — tests for src/dialog/engine.c (conversations over store + bot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "kefu/arena.h"
#include "kefu/dialog.h"
#include "kefu/engine.h"
#include "kefu/log.h"

#define DEMO_BOT KEFU_SRC_ROOT "/bots/demo-shop"

/* One engine (temp database + the demo bot) shared by the tests; each test
 * works in conversations of its own. */
struct fx {
    char dir[64];
    char db[128];
    int log_fd;
    struct kf_log *log;
    struct kf_engine *e;
    struct kf_arena *a;
    sqlite3 *check; /* read-only connection for checks */
};

static struct fx F;


static int group_setup(void **state)
{
    snprintf(F.dir, sizeof F.dir, "/tmp/kefu-unit-engine-XXXXXX");
    if (mkdtemp(F.dir) == NULL)
        return -1;
    snprintf(F.db, sizeof F.db, "%s/kefu.db", F.dir);
    char logpath[128];
    snprintf(logpath, sizeof logpath, "%s/kefu.log", F.dir);
    F.log_fd = open(logpath, O_CREAT | O_RDWR | O_TRUNC, 0600);
    struct kf_log_params lp = kf_log_default_params();
    lp.fd = F.log_fd;
    lp.level = KF_LOG_INFO;
    F.log = kf_log_new(lp);
    struct kf_engine_params p = kf_engine_default_params();
    p.db_path = F.db;
    p.bot_path = DEMO_BOT;
    p.synchronous_full = 0;
    p.pool_size = 4;
    p.log = F.log;
    struct kf_err err = {0};
    if (kf_engine_new(p, &F.e, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return -1;
    }
    F.a = kf_arena_new(0, 0);
    if (sqlite3_open_v2(F.db, &F.check, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    *state = &F;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sqlite3_close(F.check);
    kf_engine_free(F.e);
    kf_log_free(F.log);
    close(F.log_fd);
    kf_arena_free(F.a);
    tu_rmtree(F.dir);
    return 0;
}

static long long sql_int(const char *sql, const char *arg)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(F.check, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(F.check));
    if (arg != NULL)
        sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static long long count_messages(const char *conv)
{
    return conv ? sql_int("SELECT COUNT(*) FROM messages WHERE conversation_id = ?1", conv)
                : sql_int("SELECT COUNT(*) FROM messages", NULL);
}

static struct kf_conversation start(const char *channel, const char *lang, const char *ext,
                                    struct kf_message *greeting)
{
    struct kf_start req = {.channel = channel, .lang = lang, .external_id = ext};
    struct kf_conversation c;
    struct kf_err err = {0};
    if (kf_engine_start(F.e, &req, F.a, &c, greeting, &err) != 0)
        fail_msg("start: %s", err.msg);
    return c;
}

static struct kf_turn post(const char *conv, const char *text, const char *lang)
{
    struct kf_turn t;
    struct kf_err err = {0};
    if (kf_engine_post(F.e, conv, text, strlen(text), lang, F.a, &t, &err) != 0)
        fail_msg("post '%s': %s", text, err.msg);
    return t;
}

/* The messages of a conversation, oldest first. */
static struct kf_message *history(const char *conv, size_t *n)
{
    struct kf_message *v = NULL;
    int more = 0;
    struct kf_err err = {0};
    if (kf_store_messages_list(kf_engine_store(F.e), conv, 0, 100, F.a, &v, n, &more, &err) != 0)
        fail_msg("list: %s", err.msg);
    assert_int_equal(more, 0);
    return v;
}

static const struct kf_faq_entry *entry(const char *id)
{
    const struct kf_bot *bot = kf_engine_bot(F.e);
    for (size_t i = 0; i < kf_bot_faq_count(bot); i++)
        if (strcmp(kf_bot_faq(bot, i)->id, id) == 0)
            return kf_bot_faq(bot, i);
    fail_msg("no FAQ entry %s", id);
    return NULL;
}

static void test_engine_is_ready(void **state)
{
    (void)state;
    struct kf_err err = {0};
    assert_int_equal(kf_engine_ready(F.e, &err), 0);
    assert_non_null(kf_engine_store(F.e));
    assert_string_equal(kf_bot_name(kf_engine_bot(F.e)), "demo-shop");
    /* the database was migrated */
    assert_int_equal(sql_int("SELECT MAX(version) FROM schema_migrations", NULL), 6);
    /* and the start was logged with the bot's name */
    char buf[4096];
    ssize_t n = pread(F.log_fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "demo-shop"));
    assert_non_null(strstr(buf, " INFO  engine: "));
}

static void test_default_params(void **state)
{
    (void)state;
    struct kf_engine_params p = kf_engine_default_params();
    assert_string_equal(p.db_path, "var/kefu.db");
    assert_string_equal(p.bot_path, "bots/demo-shop");
    assert_int_equal(p.synchronous_full, 1);
    assert_true(p.pool_size >= 1);
    assert_null(p.log);
}

static void test_engine_new_errors(void **state)
{
    (void)state;
    struct kf_engine_params p = kf_engine_default_params();
    char db[160];
    snprintf(db, sizeof db, "%s/other.db", F.dir);
    p.db_path = db;
    p.bot_path = KEFU_SRC_ROOT "/bots/no-such-bot";
    struct kf_engine *e = (struct kf_engine *)1;
    struct kf_err err = {0};
    assert_true(kf_engine_new(p, &e, &err) < 0);
    assert_null(e);
    assert_non_null(strstr(err.msg, "no-such-bot"));

    /* a database path below a regular file cannot be created */
    char blocked[200];
    snprintf(blocked, sizeof blocked, "%s/kefu.log/sub/x.db", F.dir);
    p.db_path = blocked;
    p.bot_path = DEMO_BOT;
    e = (struct kf_engine *)1;
    assert_true(kf_engine_new(p, &e, &err) < 0);
    assert_null(e);
    kf_engine_free(NULL);
}

static int is_id(const char *s)
{
    if (strlen(s) != KF_ID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static void test_start_stores_the_greeting(void **state)
{
    (void)state;
    struct kf_message g;
    long long before = kf_time_now_ms();
    struct kf_conversation c = start("web", "en", NULL, &g);
    assert_true(is_id(c.id));
    assert_string_equal(c.channel, "web");
    assert_string_equal(c.lang, "en");
    assert_string_equal(c.status, "open");
    assert_true(c.customer_id > 0);
    assert_true(c.created_at >= before);

    const struct kf_bot *bot = kf_engine_bot(F.e);
    assert_true(g.id > 0);
    assert_string_equal(g.role, "bot");
    assert_string_equal(g.kind, "greeting");
    assert_string_equal(g.lang, "en");
    assert_string_equal(g.text, kf_bot_phrase(bot, "greeting", "en"));
    assert_true(g.created_at >= before);

    size_t n;
    struct kf_message *h = history(c.id, &n);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].id, g.id);
    assert_string_equal(h[0].role, "bot");
    assert_string_equal(h[0].kind, "greeting");
    assert_string_equal(h[0].text, g.text);
    assert_int_equal(h[0].created_at, g.created_at);
    assert_non_null(h[0].meta_json);
    json_t *meta = json_loads(h[0].meta_json, 0, NULL);
    assert_non_null(meta);
    json_decref(meta);

    /* the store has the same conversation */
    struct kf_conversation got;
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_get(kf_engine_store(F.e), c.id, &got, &err), 0);
    assert_int_equal(got.customer_id, c.customer_id);
    assert_string_equal(got.lang, "en");
}

static void test_start_defaults(void **state)
{
    (void)state;
    struct kf_message g;
    /* no channel: api; no language: the bot's default */
    struct kf_conversation c = start(NULL, NULL, NULL, &g);
    assert_string_equal(c.channel, "api");
    assert_string_equal(c.lang, "zh");
    assert_string_equal(g.text, kf_bot_phrase(kf_engine_bot(F.e), "greeting", "zh"));
    /* a language the bot does not speak: the default too */
    c = start("web", "fr", NULL, NULL);
    assert_string_equal(c.lang, "zh");
    /* every conversation gets a new id */
    struct kf_conversation d = start("web", "zh", NULL, NULL);
    assert_string_not_equal(c.id, d.id);
    assert_int_not_equal(c.customer_id, d.customer_id); /* anonymous customers */
}

static void test_start_unknown_channel(void **state)
{
    (void)state;
    struct kf_start req = {.channel = "fax"};
    struct kf_conversation c;
    struct kf_err err = {0};
    long long convs = sql_int("SELECT COUNT(*) FROM conversations", NULL);
    assert_int_equal(kf_engine_start(F.e, &req, F.a, &c, NULL, &err), KF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "fax"));
    assert_int_equal(sql_int("SELECT COUNT(*) FROM conversations", NULL), convs);
}

static void test_post_stores_customer_message_and_reply(void **state)
{
    (void)state;
    struct kf_conversation c = start("web", "zh", NULL, NULL);
    struct kf_turn t = post(c.id, "退货运费谁出?", NULL);
    assert_int_equal(t.handoff, 0);
    assert_int_equal(t.nreplies, 1);
    assert_string_equal(t.customer.role, "customer");
    assert_string_equal(t.customer.text, "退货运费谁出?");
    assert_string_equal(t.customer.lang, "zh");
    assert_string_equal(t.customer.kind, "");
    assert_true(t.customer.id > 0);
    const struct kf_message *r = &t.replies[0];
    assert_string_equal(r->role, "bot");
    assert_string_equal(r->kind, "faq");
    assert_string_equal(r->lang, "zh");
    assert_string_equal(r->text, entry("returns.return_shipping_fee")->answer[0]);
    assert_true(r->id > t.customer.id);

    size_t n;
    struct kf_message *h = history(c.id, &n);
    assert_int_equal(n, 3); /* greeting, customer, bot */
    assert_string_equal(h[0].kind, "greeting");
    assert_int_equal(h[1].id, t.customer.id);
    assert_string_equal(h[1].role, "customer");
    assert_string_equal(h[1].text, "退货运费谁出?");
    assert_int_equal(h[2].id, r->id);
    assert_string_equal(h[2].role, "bot");
    assert_string_equal(h[2].kind, "faq");
    assert_string_equal(h[2].text, r->text);
    json_t *meta = json_loads(h[2].meta_json, 0, NULL);
    assert_non_null(meta);
    assert_string_equal(json_string_value(json_object_get(meta, "faq_id")),
                        "returns.return_shipping_fee");
    assert_true(json_is_number(json_object_get(meta, "confidence")));
    json_decref(meta);
}

static void test_post_language(void **state)
{
    (void)state;
    struct kf_conversation c = start("web", "zh", NULL, NULL);
    /* detected: English text in a Chinese conversation gets English */
    struct kf_turn t = post(c.id, "how long does delivery take", NULL);
    assert_string_equal(t.customer.lang, "en");
    assert_string_equal(t.replies[0].lang, "en");
    assert_string_equal(t.replies[0].text, entry("shipping.delivery_time")->answer[1]);
    /* nothing to detect (digits): the conversation's language */
    t = post(c.id, "12345", NULL);
    assert_string_equal(t.customer.lang, "zh");
    /* given explicitly: used as is */
    t = post(c.id, "退货运费谁出?", "en");
    assert_string_equal(t.customer.lang, "en");
    assert_string_equal(t.replies[0].text, entry("returns.return_shipping_fee")->answer[1]);
    /* a language the bot does not speak */
    struct kf_turn bad;
    struct kf_err err = {0};
    long long before = count_messages(c.id);
    assert_int_equal(kf_engine_post(F.e, c.id, "bonjour", 7, "fr", F.a, &bad, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "fr"));
    assert_int_equal(count_messages(c.id), before);
}

static void test_post_handoff(void **state)
{
    (void)state;
    struct kf_conversation c = start("web", "zh", NULL, NULL);
    struct kf_turn t = post(c.id, "我要转人工", NULL);
    assert_int_equal(t.handoff, 1);
    assert_int_equal(t.nreplies, 1);
    assert_string_equal(t.replies[0].kind, "handoff");
    assert_string_equal(t.replies[0].text, kf_bot_phrase(kf_engine_bot(F.e), "handoff", "zh"));
    struct kf_conversation got;
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_get(kf_engine_store(F.e), c.id, &got, &err), 0);
    assert_string_equal(got.status, "handoff");
    assert_int_equal(sql_int("SELECT COUNT(*) FROM handoff_requests WHERE conversation_id = ?1",
                             c.id),
                     1);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM handoff_requests WHERE message_id = %lld"
             " AND reason = 'customer_request' AND conversation_id = ?1",
             t.customer.id);
    assert_int_equal(sql_int(sql, c.id), 1);

    /* a normal question afterwards: answered, status stays handoff */
    t = post(c.id, "退货运费谁出?", NULL);
    assert_int_equal(t.handoff, 0);
    assert_int_equal(kf_store_conversation_get(kf_engine_store(F.e), c.id, &got, &err), 0);
    assert_string_equal(got.status, "handoff");
}

static void test_post_not_sure(void **state)
{
    (void)state;
    struct kf_conversation c = start("web", "en", NULL, NULL);
    struct kf_turn t = post(c.id, "xqzv blorpt", NULL);
    assert_int_equal(t.nreplies, 1);
    assert_string_equal(t.replies[0].kind, "not_sure");
    json_t *meta = json_loads(t.replies[0].meta_json, 0, NULL);
    assert_non_null(meta);
    json_t *qr = json_object_get(meta, "quick_replies");
    assert_true(json_array_size(qr) >= 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(qr, json_array_size(qr) - 1), "title")),
                        kf_bot_phrase(kf_engine_bot(F.e), "handoff_button", "en"));
    json_decref(meta);
    assert_int_equal(t.handoff, 0);
}

static void assert_post_fails(const char *conv, const char *text, size_t len, int code)
{
    struct kf_turn t;
    memset(&t, 0x5a, sizeof t);
    struct kf_err err = {0};
    long long before = count_messages(NULL);
    assert_int_equal(kf_engine_post(F.e, conv, text, len, NULL, F.a, &t, &err), code);
    assert_int_equal(err.code, code);
    assert_int_equal(t.nreplies, 0);
    assert_int_equal(t.handoff, 0);
    assert_int_equal(count_messages(NULL), before); /* nothing written */
}

static void test_post_rejects_bad_text(void **state)
{
    (void)state;
    struct kf_conversation c = start("web", "zh", NULL, NULL);
    assert_post_fails(c.id, "", 0, KF_EINVAL);
    assert_post_fails(c.id, " \n\t\r ", 5, KF_EINVAL);
    assert_post_fails(c.id, "退货\xff", 7, KF_EUTF8);
    assert_post_fails(c.id, "\xed\xa0\x80", 3, KF_EUTF8);
    assert_post_fails(c.id, "a\0b", 3, KF_EUTF8);

    static char big[KF_MESSAGE_MAX_BYTES + 1];
    memset(big, 'a', sizeof big);
    for (size_t i = 10; i < sizeof big; i += 10)
        big[i] = ' ';
    assert_post_fails(c.id, big, KF_MESSAGE_MAX_BYTES + 1, KF_EINVAL);
    /* exactly the maximum is fine */
    struct kf_turn t;
    struct kf_err err = {0};
    assert_int_equal(kf_engine_post(F.e, c.id, big, KF_MESSAGE_MAX_BYTES, NULL, F.a, &t, &err), 0);
    assert_int_equal(strlen(t.customer.text), KF_MESSAGE_MAX_BYTES);
    size_t n;
    struct kf_message *h = history(c.id, &n);
    assert_int_equal(strlen(h[1].text), KF_MESSAGE_MAX_BYTES);
}

static void test_post_unknown_conversation(void **state)
{
    (void)state;
    assert_post_fails("00000000000000000000000000000000", "退货运费谁出?", strlen("退货运费谁出?"),
                      KF_ENOTFOUND);
    assert_post_fails("not-an-id", "hello", 5, KF_ENOTFOUND);
    assert_post_fails("", "hello", 5, KF_ENOTFOUND);
}

static void test_start_or_resume(void **state)
{
    (void)state;
    struct kf_start req = {.channel = "web", .lang = "en", .external_id = "visitor-42"};
    struct kf_conversation a, b, other, api;
    struct kf_err err = {0};
    assert_int_equal(kf_engine_start_or_resume(F.e, &req, F.a, &a, &err), 0);
    assert_true(is_id(a.id));
    assert_int_equal(count_messages(a.id), 1); /* greeted once */
    post(a.id, "hello", NULL);
    assert_int_equal(kf_engine_start_or_resume(F.e, &req, F.a, &b, &err), 0);
    assert_string_equal(a.id, b.id);
    assert_int_equal(a.customer_id, b.customer_id);
    assert_int_equal(count_messages(a.id), 3); /* no second greeting */

    /* another visitor, and the same visitor id on another channel */
    struct kf_start req2 = {.channel = "web", .external_id = "visitor-43"};
    assert_int_equal(kf_engine_start_or_resume(F.e, &req2, F.a, &other, &err), 0);
    assert_string_not_equal(other.id, a.id);
    struct kf_start req3 = {.channel = "api", .external_id = "visitor-42"};
    assert_int_equal(kf_engine_start_or_resume(F.e, &req3, F.a, &api, &err), 0);
    assert_string_not_equal(api.id, a.id);

    /* a conversation in handoff is still resumed */
    post(a.id, "转人工", NULL);
    assert_int_equal(kf_engine_start_or_resume(F.e, &req, F.a, &b, &err), 0);
    assert_string_equal(b.id, a.id);

    /* once closed, the next start opens a new conversation for the same customer */
    struct kf_message m = {.role = "system", .text = "closed", .lang = "en", .kind = "close"};
    struct kf_turn_write w = {.conversation_id = a.id, .msgs = &m, .n = 1, .new_status = "closed"};
    assert_int_equal(kf_store_turn_commit(kf_engine_store(F.e), &w, &err), 0);
    assert_int_equal(kf_engine_start_or_resume(F.e, &req, F.a, &b, &err), 0);
    assert_string_not_equal(b.id, a.id);
    assert_int_equal(b.customer_id, a.customer_id);

    /* no external id: always a new conversation */
    struct kf_start anon = {.channel = "web"};
    struct kf_conversation x, y;
    assert_int_equal(kf_engine_start_or_resume(F.e, &anon, F.a, &x, &err), 0);
    assert_int_equal(kf_engine_start_or_resume(F.e, &anon, F.a, &y, &err), 0);
    assert_string_not_equal(x.id, y.id);
}

struct poster {
    char conv[KF_ID_LEN + 1];
    int failures;
};

static void *posting(void *p)
{
    struct poster *w = p;
    struct kf_arena *a = kf_arena_new(0, 0);
    for (int i = 0; i < 10; i++) {
        struct kf_turn t;
        struct kf_err err;
        const char *q = i % 2 ? "how long does delivery take" : "退货运费谁出?";
        if (kf_engine_post(F.e, w->conv, q, strlen(q), NULL, a, &t, &err) != 0 ||
            t.nreplies != 1 || strcmp(t.replies[0].kind, "faq") != 0)
            w->failures++;
    }
    kf_arena_free(a);
    return NULL;
}

static void test_concurrent_posts(void **state)
{
    (void)state;
    struct poster w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        struct kf_conversation c = start("web", "zh", NULL, NULL);
        memcpy(w[i].conv, c.id, sizeof w[i].conv);
        w[i].failures = 0;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, posting, &w[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(count_messages(w[i].conv), 1 + 10 * 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_is_ready),
        cmocka_unit_test(test_default_params),
        cmocka_unit_test(test_engine_new_errors),
        cmocka_unit_test(test_start_stores_the_greeting),
        cmocka_unit_test(test_start_defaults),
        cmocka_unit_test(test_start_unknown_channel),
        cmocka_unit_test(test_post_stores_customer_message_and_reply),
        cmocka_unit_test(test_post_language),
        cmocka_unit_test(test_post_handoff),
        cmocka_unit_test(test_post_not_sure),
        cmocka_unit_test(test_post_rejects_bad_text),
        cmocka_unit_test(test_post_unknown_conversation),
        cmocka_unit_test(test_start_or_resume),
        cmocka_unit_test(test_concurrent_posts),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
