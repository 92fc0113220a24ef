/* unit/dialog/bot.c — tests for src/dialog/bot.c (loading, validating and querying a bot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "kefu/bot.h"

#define DEMO_BOT KEFU_SRC_ROOT "/bots/demo-shop"

/* ---- the demo bot ------------------------------------------------------ */

static int demo_setup(void **state)
{
    struct kf_bot *bot = NULL;
    struct kf_err err = {0};
    if (kf_bot_load(DEMO_BOT, &bot, &err) != 0) {
        fprintf(stderr, "demo bot: %s\n", err.msg);
        return -1;
    }
    *state = bot;
    return 0;
}

static int demo_teardown(void **state)
{
    kf_bot_free(*state);
    return 0;
}

static void test_demo_bot_basics(void **state)
{
    const struct kf_bot *bot = *state;
    assert_string_equal(kf_bot_name(bot), "demo-shop");
    assert_int_equal(kf_bot_lang_count(bot), 2);
    assert_string_equal(kf_bot_lang(bot, 0), "zh");
    assert_string_equal(kf_bot_lang(bot, 1), "en");
    assert_null(kf_bot_lang(bot, 2));
    assert_int_equal(kf_bot_lang_index(bot, "zh"), 0);
    assert_int_equal(kf_bot_lang_index(bot, "en"), 1);
    assert_int_equal(kf_bot_lang_index(bot, "fr"), -1);
    assert_int_equal(kf_bot_lang_index(bot, "EN"), -1);
    assert_int_equal(kf_bot_lang_index(bot, NULL), -1);
    /* faq.threshold is tuned in bot.yaml; it must be a usable confidence */
    assert_true(kf_bot_faq_threshold(bot) > 0.05 && kf_bot_faq_threshold(bot) < 0.95);
    assert_int_equal(kf_bot_faq_suggest(bot), 3);
    assert_non_null(kf_bot_kb(bot));
}

static void test_demo_bot_faq_entries(void **state)
{
    const struct kf_bot *bot = *state;
    size_t n = kf_bot_faq_count(bot);
    assert_true(n >= 60);
    assert_null(kf_bot_faq(bot, n));
    int found_fee = 0, found_time = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kf_faq_entry *e = kf_bot_faq(bot, i);
        assert_non_null(e);
        assert_non_null(e->id);
        assert_true(e->id[0] != '\0');
        assert_non_null(e->category);
        for (size_t l = 0; l < 2; l++) {
            assert_non_null(e->answer[l]);
            assert_true(e->answer[l][0] != '\0');
            assert_non_null(e->question[l]);
            assert_true(e->question[l][0] != '\0');
        }
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(e->id, kf_bot_faq(bot, j)->id);
        if (strcmp(e->id, "returns.return_shipping_fee") == 0) {
            found_fee = 1;
            assert_string_equal(e->category, "returns");
            assert_string_equal(e->question[0], "退货运费谁出?"); /* the main question */
            assert_string_equal(e->question[1], "Who pays for return shipping?");
            assert_non_null(strstr(e->answer[0], "运费"));
            assert_non_null(strstr(e->answer[1], "shipping"));
        }
        if (strcmp(e->id, "shipping.delivery_time") == 0)
            found_time = 1;
    }
    assert_true(found_fee);
    assert_true(found_time);
    /* every question and paraphrase is indexed: more questions than entries */
    assert_true(kf_kb_questions(kf_bot_kb(bot)) > 4 * n);
}

static void test_demo_bot_phrases(void **state)
{
    const struct kf_bot *bot = *state;
    assert_non_null(strstr(kf_bot_phrase(bot, "greeting", "zh"), "您好"));
    assert_memory_equal(kf_bot_phrase(bot, "greeting", "en"), "Hi", 2);
    assert_string_equal(kf_bot_phrase(bot, "handoff_button", "zh"), "转人工");
    assert_string_equal(kf_bot_phrase(bot, "handoff_button", "en"), "Talk to a human");
    assert_non_null(strstr(kf_bot_phrase(bot, "handoff", "en"), "human"));
    assert_non_null(strstr(kf_bot_phrase(bot, "not_sure", "zh"), "抱歉"));
    assert_non_null(strstr(kf_bot_phrase(bot, "fallback", "en"), "Sorry"));
    /* unknown or missing language: the default (zh) */
    assert_string_equal(kf_bot_phrase(bot, "handoff_button", "fr"), "转人工");
    assert_string_equal(kf_bot_phrase(bot, "handoff_button", NULL), "转人工");
    /* unknown key */
    assert_string_equal(kf_bot_phrase(bot, "farewell", "en"), "");
}

#define WANTS(bot, s) kf_bot_wants_human((bot), (s), strlen(s))

static void test_demo_bot_wants_human(void **state)
{
    const struct kf_bot *bot = *state;
    assert_true(WANTS(bot, "我要转人工"));
    assert_true(WANTS(bot, "转人工"));
    assert_true(WANTS(bot, "能不能找人工客服啊"));
    assert_true(WANTS(bot, "can I talk to a human please"));
    assert_true(WANTS(bot, "HUMAN!!!"));
    assert_true(WANTS(bot, "Talk to a human")); /* the handoff button */
    assert_true(WANTS(bot, "I want a real person"));
    assert_true(WANTS(bot, "ｈｕｍａｎ"));       /* full width */
    assert_false(WANTS(bot, "humanity"));
    assert_false(WANTS(bot, "inhuman prices"));
    assert_false(WANTS(bot, "how long does delivery take"));
    assert_false(WANTS(bot, "退货运费谁出?"));
    assert_false(WANTS(bot, "人工"));
    assert_false(WANTS(bot, ""));
    assert_false(WANTS(bot, "human\xff")); /* invalid UTF-8 is not a request */
}

/* ---- bot folders written by the tests ---------------------------------- */

struct tmpbot {
    char dir[64];
};


static int tmp_setup(void **state)
{
    struct tmpbot *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/kefu-unit-bot-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmpbot *t = *state;
    tu_rmtree(t->dir);
    free(t);
    return 0;
}

static void put(void **state, const char *rel, const char *text)
{
    struct tmpbot *t = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/faq", t->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", t->dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* bot.yaml with line numbers as the tests below expect them */
static const char *const BOT_YAML = "name: tiny\n"                                  /* 1 */
                                    "languages: [zh, en]\n"                         /* 2 */
                                    "faq:\n"                                        /* 3 */
                                    "  threshold: 0.4\n"                            /* 4 */
                                    "  suggest: 2\n"                                /* 5 */
                                    "messages:\n"                                   /* 6 */
                                    "  greeting: {zh: 你好, en: Hello}\n"           /* 7 */
                                    "  not_sure: {zh: 不确定, en: Not sure}\n"      /* 8 */
                                    "  fallback: {zh: 没懂, en: Sorry}\n"           /* 9 */
                                    "  handoff: {zh: 转接中, en: Connecting}\n"     /* 10 */
                                    "  handoff_button: {zh: 转人工, en: Agent}\n"   /* 11 */
                                    "handoff_phrases:\n"                            /* 12 */
                                    "  en: [\"human agent\"]\n";                    /* 13 */

static const char *const FAQ_A = "faq:\n"                                            /* 1 */
                                 "  - id: orders.track\n"                            /* 2 */
                                 "    category: orders\n"                            /* 3 */
                                 "    questions:\n"                                  /* 4 */
                                 "      zh: [\"我的快递到哪了\", \"查物流\"]\n"      /* 5 */
                                 "      en: [\"where is my parcel\", \"track my order\"]\n" /* 6 */
                                 "    answer:\n"                                     /* 7 */
                                 "      zh: 在订单页查看物流。\n"                    /* 8 */
                                 "      en: See tracking on the order page.\n";      /* 9 */

/* BOT_YAML with one piece of text replaced (static buffer). */
static const char *bot_yaml_with(const char *from, const char *to)
{
    static char out[2048];
    const char *at = strstr(BOT_YAML, from);
    assert_non_null(at);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - BOT_YAML), BOT_YAML, to, at + strlen(from));
    return out;
}

/* Load the temp bot, expecting failure; returns the message. */
static const char *load_fails(void **state, int code)
{
    struct tmpbot *t = *state;
    static struct kf_err err;
    memset(&err, 0, sizeof err);
    struct kf_bot *bot = (struct kf_bot *)1;
    int rc = kf_bot_load(t->dir, &bot, &err);
    if (rc == 0) {
        kf_bot_free(bot);
        fail_msg("the bot loaded but should not have");
    }
    assert_null(bot);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    return err.msg;
}

/* "DIR/REL:LINE:" must start the message; the other pieces must be in it. */
static void assert_error_at(void **state, const char *msg, const char *rel, int line,
                            const char *key, const char *what)
{
    struct tmpbot *t = *state;
    char head[256];
    snprintf(head, sizeof head, "%s/%s:%d:", t->dir, rel, line);
    if (strncmp(msg, head, strlen(head)) != 0)
        fail_msg("'%s' does not start with '%s'", msg, head);
    if (strstr(msg, key) == NULL)
        fail_msg("'%s' does not name the key '%s'", msg, key);
    if (what != NULL && strstr(msg, what) == NULL)
        fail_msg("'%s' does not say '%s'", msg, what);
}

static void test_small_bot_loads(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", FAQ_A);
    struct tmpbot *t = *state;
    struct kf_bot *bot = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(t->dir, &bot, &err), 0);
    assert_string_equal(kf_bot_name(bot), "tiny");
    assert_float_equal(kf_bot_faq_threshold(bot), 0.4, 1e-12);
    assert_int_equal(kf_bot_faq_suggest(bot), 2);
    assert_int_equal(kf_bot_faq_count(bot), 1);
    const struct kf_faq_entry *e = kf_bot_faq(bot, 0);
    assert_string_equal(e->id, "orders.track");
    assert_string_equal(e->category, "orders");
    assert_string_equal(e->question[0], "我的快递到哪了");
    assert_string_equal(e->question[1], "where is my parcel");
    assert_string_equal(e->answer[0], "在订单页查看物流。");
    assert_string_equal(e->answer[1], "See tracking on the order page.");
    assert_int_equal(kf_kb_questions(kf_bot_kb(bot)), 4);
    assert_string_equal(kf_bot_phrase(bot, "greeting", "en"), "Hello");
    assert_true(WANTS(bot, "get me a HUMAN AGENT"));
    assert_true(WANTS(bot, "agent")); /* the button */
    assert_false(WANTS(bot, "human"));
    kf_bot_free(bot);
    kf_bot_free(NULL);
}

static void test_defaults_and_no_faq_folder(void **state)
{
    /* no faq: section in bot.yaml, no faq/ folder, no handoff_phrases */
    struct tmpbot *t = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/bot.yaml", t->dir);
    FILE *f = fopen(path, "w");
    fputs("name: bare\n"
          "languages: [en]\n"
          "messages:\n"
          "  greeting: {en: Hi}\n"
          "  not_sure: {en: Hm}\n"
          "  fallback: {en: Eh}\n"
          "  handoff: {en: Ok}\n"
          "  handoff_button: {en: Human please}\n",
          f);
    fclose(f);
    struct kf_bot *bot = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(t->dir, &bot, &err), 0);
    assert_float_equal(kf_bot_faq_threshold(bot), 0.35, 1e-12);
    assert_int_equal(kf_bot_faq_suggest(bot), 3);
    assert_int_equal(kf_bot_faq_count(bot), 0);
    assert_int_equal(kf_bot_lang_count(bot), 1);
    assert_string_equal(kf_bot_phrase(bot, "greeting", "zh"), "Hi"); /* falls back to en */
    assert_true(WANTS(bot, "human please"));
    kf_bot_free(bot);
}

static void test_missing_bot_yaml(void **state)
{
    put(state, "faq/a.yaml", FAQ_A);
    const char *msg = load_fails(state, KF_EIO);
    struct tmpbot *t = *state;
    char want[128];
    snprintf(want, sizeof want, "%s/bot.yaml", t->dir);
    assert_non_null(strstr(msg, want));
}

static void test_duplicate_faq_id(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", FAQ_A);
    put(state, "faq/b.yaml", "# another file\n"
                             "faq:\n"
                             "  - id: orders.cancel\n"
                             "    questions: {zh: [取消订单], en: [cancel order]}\n"
                             "    answer: {zh: 可以取消, en: You can cancel}\n"
                             "  - id: orders.track\n"
                             "    questions: {zh: [物流], en: [tracking]}\n"
                             "    answer: {zh: 查看, en: Look}\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/b.yaml", 6, "id", "'orders.track' is used twice");
}

static void test_duplicate_faq_id_in_one_file(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"
                             "  - id: x.one\n"
                             "    questions: {zh: [一], en: [one]}\n"
                             "    answer: {zh: 一, en: one}\n"
                             "  - id: x.one\n"
                             "    questions: {zh: [二], en: [two]}\n"
                             "    answer: {zh: 二, en: two}\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 5, "id", "used twice");
}

static void test_answer_missing_a_language(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"                                       /* 1 */
                             "  - id: orders.track\n"                       /* 2 */
                             "    questions:\n"                             /* 3 */
                             "      zh: [查物流]\n"                          /* 4 */
                             "      en: [track my order]\n"                 /* 5 */
                             "    answer:\n"                                /* 6 */
                             "      zh: 在订单页查看物流。\n");             /* 7 */
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 7, "answer", "missing language 'en'");
    assert_non_null(strstr(msg, "orders.track"));
}

static void test_answer_in_an_unknown_language(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"
                             "  - id: orders.track\n"
                             "    questions: {zh: [查物流], en: [track my order]}\n"
                             "    answer:\n"
                             "      zh: 查看\n"
                             "      en: Look\n"
                             "      fr: Regardez\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 7, "answer", "'fr'");
}

static void test_bad_threshold(void **state)
{
    put(state, "bot.yaml", bot_yaml_with("threshold: 0.4", "threshold: 1.4"));
    put(state, "faq/a.yaml", FAQ_A);
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 4, "faq.threshold", "out of range");

    put(state, "bot.yaml", bot_yaml_with("threshold: 0.4", "threshold: -0.1"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 4, "faq.threshold", "out of range");

    put(state, "bot.yaml", bot_yaml_with("threshold: 0.4", "threshold: abc"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 4, "faq.threshold", "'abc'");
}

static void test_entities_section(void **state)
{
    struct tmpbot *t = *state;
    put(state, "faq/a.yaml", FAQ_A);
    put(state, "bot.yaml", bot_yaml_with("handoff_phrases:\n",
                                         "entities:\n"                               /* 12 */
                                         "  timezone: \"-05:30\"\n"                  /* 13 */
                                         "  patterns:\n"                             /* 14 */
                                         "    - type: member_no\n"                   /* 15 */
                                         "      regex: 'VIP\\d{8}'\n"               /* 16 */
                                         "handoff_phrases:\n"));
    struct kf_bot *bot;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(t->dir, &bot, &err), KF_OK);
    size_t n;
    const struct kf_pattern_rule *r = kf_bot_entity_rules(bot, &n);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].type, "member_no");
    assert_string_equal(r[0].regex, "VIP\\d{8}");
    assert_int_equal(kf_bot_utc_offset(bot), -330);
    kf_bot_free(bot);

    /* a bad expression is reported at its entry with PCRE2's words */
    put(state, "bot.yaml", bot_yaml_with("handoff_phrases:\n",
                                         "entities:\n"
                                         "  patterns:\n"
                                         "    - type: member_no\n"                   /* 14 */
                                         "      regex: 'VIP(\\d{8}'\n"
                                         "handoff_phrases:\n"));
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 14, "entities.patterns", "member_no");
    put(state, "bot.yaml", bot_yaml_with("handoff_phrases:\n",
                                         "entities:\n"
                                         "  timezone: Beijing\n"                     /* 13 */
                                         "handoff_phrases:\n"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 13, "entities.timezone", "UTC offset");
    put(state, "bot.yaml", bot_yaml_with("handoff_phrases:\n",
                                         "entities:\n"
                                         "  patterns:\n"
                                         "    - type: member_no\n"                   /* 14 */
                                         "handoff_phrases:\n"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 14, "regex", "required");
}

static void test_bad_suggest(void **state)
{
    put(state, "bot.yaml", bot_yaml_with("suggest: 2", "suggest: 9"));
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 5, "faq.suggest", "9 is out of range [0, 5]");
}

static void test_message_missing_a_language(void **state)
{
    put(state, "bot.yaml", bot_yaml_with("{zh: 你好, en: Hello}", "{zh: 你好}"));
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 7, "messages.greeting", "missing language 'en'");
}

static void test_messages_missing(void **state)
{
    put(state, "bot.yaml", "name: tiny\n"
                           "languages: [zh]\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 1, "messages", "missing");
}

static void test_bad_languages(void **state)
{
    put(state, "bot.yaml", bot_yaml_with("[zh, en]", "[zh, zh]"));
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 2, "languages", "'zh'");

    put(state, "bot.yaml", bot_yaml_with("[zh, en]", "[zh, EN]"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 2, "languages", "'EN'");

    put(state, "bot.yaml", bot_yaml_with("[zh, en]", "zh"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 2, "languages", "list");

    put(state, "bot.yaml", bot_yaml_with("[zh, en]", "[zh, en, fr, de, ja]"));
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "bot.yaml", 2, "languages", "1 to 4");
}

static void test_bad_faq_id(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"
                             "  - id: Orders-Track\n"
                             "    questions: {zh: [查物流], en: [track my order]}\n"
                             "    answer: {zh: 查看, en: Look}\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 2, "id", "'Orders-Track'");
}

static void test_missing_faq_id_names_the_entry_line(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"
                             "  - id: a.one\n"
                             "    questions: {zh: [一], en: [one]}\n"
                             "    answer: {zh: 一, en: one}\n"
                             "  - category: orders\n" /* 5: no id */
                             "    questions: {zh: [二], en: [two]}\n"
                             "    answer: {zh: 二, en: two}\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    /* bot.h: errors name file, line and key — also when the key is absent */
    assert_error_at(state, msg, "faq/a.yaml", 5, "id", NULL);
}

static void test_missing_name_names_a_line(void **state)
{
    /* bot.yaml without `name:` (bot-format.md: required) */
    put(state, "bot.yaml", bot_yaml_with("name: tiny\n", "# no name\n"));
    const char *msg = load_fails(state, KF_ECONFIG);
    /* the mapping that lacks the key starts on line 2 */
    assert_error_at(state, msg, "bot.yaml", 2, "name", NULL);
}

static void test_missing_questions_for_a_language(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "faq:\n"
                             "  - id: orders.track\n"
                             "    questions:\n"
                             "      zh: [查物流]\n"
                             "      en: []\n"
                             "    answer: {zh: 查看, en: Look}\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 5, "questions.en", "non-empty list");
}

static void test_question_too_long(void **state)
{
    char q[600];
    memset(q, 'q', 513);
    q[513] = '\0';
    char text[1024];
    snprintf(text, sizeof text,
             "faq:\n"
             "  - id: orders.track\n"
             "    questions:\n"
             "      zh: [查物流]\n"
             "      en:\n"
             "        - fine\n"
             "        - %s\n"
             "    answer: {zh: 查看, en: Look}\n",
             q);
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", text);
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 7, "questions.en[1]", "512");
}

static void test_answer_too_long(void **state)
{
    static char text[6000];
    static char a[4098];
    memset(a, 'a', 4097);
    a[4097] = '\0';
    snprintf(text, sizeof text,
             "faq:\n"
             "  - id: orders.track\n"
             "    questions: {zh: [查物流], en: [track]}\n"
             "    answer:\n"
             "      zh: 查看\n"
             "      en: %s\n",
             a);
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", text);
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 6, "answer.en", "4096");
}

static void test_faq_file_shape_and_syntax(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", "entries:\n  - id: x\n");
    const char *msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 1, "faq", "list");

    put(state, "faq/a.yaml", "faq:\n  - just a string\n");
    msg = load_fails(state, KF_ECONFIG);
    assert_error_at(state, msg, "faq/a.yaml", 2, "faq[0]", "mapping");

    put(state, "faq/a.yaml", "faq:\n  - id: x\n    questions: [unclosed\n");
    msg = load_fails(state, KF_EPARSE);
    struct tmpbot *t = *state;
    char head[128];
    snprintf(head, sizeof head, "%s/faq/a.yaml:", t->dir);
    assert_memory_equal(msg, head, strlen(head));
}

static void test_only_yaml_files_are_read(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/a.yaml", FAQ_A);
    put(state, "faq/notes.txt", "not: [yaml\n");
    put(state, "faq/.hidden.yaml", "not: [yaml\n");
    put(state, "faq/b.yaml.bak", "not: [yaml\n");
    struct tmpbot *t = *state;
    struct kf_bot *bot = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(t->dir, &bot, &err), 0);
    assert_int_equal(kf_bot_faq_count(bot), 1);
    kf_bot_free(bot);
}

static void test_faq_files_in_name_order(void **state)
{
    put(state, "bot.yaml", BOT_YAML);
    put(state, "faq/b.yaml", "faq:\n"
                             "  - id: b.first\n"
                             "    questions: {zh: [乙], en: [bee]}\n"
                             "    answer: {zh: 乙, en: bee}\n");
    put(state, "faq/a.yaml", FAQ_A);
    struct tmpbot *t = *state;
    struct kf_bot *bot = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(t->dir, &bot, &err), 0);
    assert_int_equal(kf_bot_faq_count(bot), 2);
    assert_string_equal(kf_bot_faq(bot, 0)->id, "orders.track");
    assert_string_equal(kf_bot_faq(bot, 1)->id, "b.first");
    kf_bot_free(bot);
}

int main(void)
{
    const struct CMUnitTest demo[] = {
        cmocka_unit_test(test_demo_bot_basics),
        cmocka_unit_test(test_demo_bot_faq_entries),
        cmocka_unit_test(test_demo_bot_phrases),
        cmocka_unit_test(test_demo_bot_wants_human),
    };
#define T(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)
    const struct CMUnitTest folders[] = {
        T(test_small_bot_loads),
        T(test_defaults_and_no_faq_folder),
        T(test_missing_bot_yaml),
        T(test_duplicate_faq_id),
        T(test_duplicate_faq_id_in_one_file),
        T(test_answer_missing_a_language),
        T(test_answer_in_an_unknown_language),
        T(test_bad_threshold),
        T(test_entities_section),
        T(test_bad_suggest),
        T(test_message_missing_a_language),
        T(test_messages_missing),
        T(test_bad_languages),
        T(test_bad_faq_id),
        T(test_missing_faq_id_names_the_entry_line),
        T(test_missing_name_names_a_line),
        T(test_missing_questions_for_a_language),
        T(test_question_too_long),
        T(test_answer_too_long),
        T(test_faq_file_shape_and_syntax),
        T(test_only_yaml_files_are_read),
        T(test_faq_files_in_name_order),
    };
#undef T
    int failed = cmocka_run_group_tests_name("demo bot", demo, demo_setup, demo_teardown);
    failed += cmocka_run_group_tests_name("bot folders", folders, NULL, NULL);
    return failed;
}
