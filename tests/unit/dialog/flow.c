/*
 * unit/dialog/flow.c — loading flows (flow.c) and running them (policy.c)
 * without a business layer: slots, choices, skips, confirmation, when,
 * corrections, cancel, digressions, invalid answers, templates, state, and
 * every load error with its file:line.
 *
 * The policy is fed hand-made NLU results (intent, entities), so each test
 * says exactly what the models would have said.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/bot.h"
#include "kefu/dialog.h"
#include "kefu/flow.h"

static const char *const LANGS[] = {"zh", "en"};

static const char BOT_YAML[] =
    "name: t\n"
    "languages: [zh, en]\n"
    "messages:\n"
    "  greeting: {zh: 你好, en: Hi}\n"
    "  not_sure: {zh: 不确定, en: Not sure}\n"
    "  fallback: {zh: 没懂, en: Sorry}\n"
    "  handoff: {zh: 转人工了, en: Human now}\n"
    "  handoff_button: {zh: 转人工, en: Human}\n"
    "handoff_phrases: {zh: [转人工], en: [human]}\n";

static const char DIALOG_YAML[] =
    "settings: {max_attempts: 2, max_fallbacks: 2}\n"
    "phrases:\n"
    "  cancel: {zh: [算了], en: [never mind]}\n"
    "  correction: {zh: [不是这个], en: [not this one]}\n"
    "  yes: {zh: [是的, 确认], en: [yes]}\n"
    "  no: {zh: [不], en: [no]}\n"
    "  skip: {zh: [随便], en: [any]}\n"
    "smalltalk:\n"
    "  thanks: {zh: 不客气, en: You're welcome}\n"
    "intent_labels:\n"
    "  book: {zh: 订座, en: Book a table}\n"
    "  menu: {zh: 看菜单, en: See the menu}\n"
    "messages:\n"
    "  cancelled: {zh: 已取消, en: Stopped}\n"
    "  correction: {zh: 重新来, en: Again}\n"
    "  clarify: {zh: 您是指哪个?, en: Which one?}\n"
    "  yes_button: {zh: 确认, en: \"Yes\"}\n"
    "  no_button: {zh: 不用了, en: \"No\"}\n"
    "  too_many_attempts: {zh: 转人工处理, en: Getting a human}\n"
    "  repeated_fallback: {zh: 多次没懂转人工, en: Human after misses}\n";

static const char FLOW_YAML[] =
    "flows:\n"
    "  - id: booking\n"
    "    intents: [book]\n"
    "    slots:\n"
    "      - name: when\n"
    "        entity: datetime\n"
    "        prompt: {zh: 哪天?, en: Which day?}\n"
    "        invalid: {zh: 请说日期, en: Please give a date}\n"
    "      - name: seat\n"
    "        type: choice\n"
    "        options:\n"
    "          inside: {zh: 室内, en: inside, words: [里面, indoors]}\n"
    "          outside: {zh: 室外, en: outside, words: [外面, terrace]}\n"
    "        prompt: {zh: 室内还是室外?, en: Inside or outside?}\n"
    "      - name: note\n"
    "        type: text\n"
    "        optional: true\n"
    "        min_length: 3\n"
    "        prompt: {zh: 备注?, en: Any note?}\n"
    "    steps:\n"
    "      - ask: when\n"
    "      - ask: seat\n"
    "      - ask: note\n"
    "      - say: {zh: \"户外座位受天气影响\", en: \"Terrace seats depend on the weather\"}\n"
    "        when: {slot: seat, equals: outside}\n"
    "      - confirm: {zh: \"{when} {seat},确认吗?\", en: \"{when}, {seat}: OK?\"}\n"
    "        no: {zh: 好的不订了, en: \"OK, not booked\"}\n"
    "      - say: {zh: \"已订好 {seat} 座位\", en: \"Booked a seat {seat}\"}\n";

struct fx {
    char dir[256];
    struct kf_bot *bot;
    struct kf_arena *a;
    char *state;
    struct kf_dialog_result res;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "flow");
    tu_write(f->dir, "bot.yaml", BOT_YAML);
    tu_write(f->dir, "dialog.yaml", DIALOG_YAML);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/flows", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    tu_write(sub, "booking.yaml", FLOW_YAML);
    struct kf_err err = {0};
    if (kf_bot_load(f->dir, &f->bot, &err) != KF_OK)
        fail_msg("%s", err.msg);
    f->a = kf_arena_new(0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kf_bot_free(f->bot);
    kf_arena_free(f->a);
    free(f->state);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* One turn: text, the intent the model "said", an optional entity. */
static struct kf_dialog_result *turn(struct fx *f, const char *lang, const char *text,
                                     const char *intent, double conf, const char *etype,
                                     const char *evalue)
{
    struct kf_entity ent = {.type = etype, .start = 0, .end = strlen(text), .text = text,
                            .value = evalue, .confidence = 1};
    struct kf_nlu_result nlu = {.normalized = text, .lang = lang, .intent = intent ? intent : "",
                                .intent_confidence = conf, .sentiment = "neutral",
                                .entities = etype ? &ent : NULL, .nentities = etype ? 1 : 0};
    if (intent != NULL) {
        nlu.intents[0] = (struct kf_nlu_label){intent, conf};
        nlu.nintents = 1;
    }
    struct kf_dialog_input in = {.bot = f->bot, .flows = kf_bot_flows(f->bot), .nlu = &nlu,
                                 .text = text, .len = strlen(text), .lang = lang,
                                 .state_json = f->state};
    struct kf_err err = {0};
    if (kf_dialog_turn(&in, f->a, &f->res, &err) != KF_OK)
        fail_msg("turn '%s': %s", text, err.msg);
    free(f->state);
    f->state = strdup(f->res.state_json);
    return &f->res;
}

static json_t *st_get(struct fx *f, const char *path1, const char *path2)
{
    static json_t *keep;
    json_decref(keep);
    keep = json_loads(f->state, 0, NULL);
    json_t *v = json_object_get(keep, path1);
    return path2 != NULL ? json_object_get(v, path2) : v;
}

static void test_demo_bot_loads(void **state)
{
    (void)state;
    struct kf_bot *bot;
    struct kf_err err = {0};
    if (kf_bot_load(KEFU_SRC_ROOT "/bots/demo-shop", &bot, &err) != KF_OK)
        fail_msg("%s", err.msg);
    const struct kf_flows *fl = kf_bot_flows(bot);
    assert_true(kf_flows_count(fl) >= 8);
    int found = 0;
    for (size_t i = 0; i < kf_flows_count(fl); i++)
        found += strcmp(kf_flows_id(fl, i), "cancel_order") == 0;
    assert_int_equal(found, 1);
    kf_bot_free(bot);
}

static int count_action(void *ud, const char *flow, const char *action, const char *file, int line)
{
    (void)flow;
    (void)action;
    assert_non_null(strstr(file, ".yaml"));
    assert_true(line > 0);
    (*(int *)ud)++;
    return 0;
}

static void test_each_action(void **state)
{
    (void)state;
    struct kf_bot *bot;
    struct kf_err err = {0};
    assert_int_equal(kf_bot_load(KEFU_SRC_ROOT "/bots/demo-shop", &bot, &err), KF_OK);
    int n = 0;
    assert_int_equal(kf_flows_each_action(kf_bot_flows(bot), count_action, &n), 0);
    assert_true(n >= 12); /* calls and choices of the demo flows */
    kf_bot_free(bot);
}

static void test_form_to_end(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result *r = turn(f, "zh", "我想订座", "book", 0.9, NULL, NULL);
    assert_string_equal(r->replies[0].kind, "ask");
    assert_string_equal(r->replies[0].slot, "when");
    assert_string_equal(r->outcome, "in_progress");
    r = turn(f, "zh", "明天晚上", NULL, 0, "datetime", "\"2026-11-26T19:00:00+08:00\"");
    assert_string_equal(r->replies[0].slot, "seat");
    assert_int_equal(r->replies[0].nqr, 2); /* the options as buttons */
    assert_string_equal(r->replies[0].qr[0].title, "室内");
    r = turn(f, "zh", "外面吧", NULL, 0, NULL, NULL);
    assert_string_equal(json_string_value(st_get(f, "slots", "seat")), "outside");
    assert_string_equal(r->replies[0].slot, "note");
    r = turn(f, "zh", "随便", NULL, 0, NULL, NULL); /* optional: skipped */
    assert_true(json_is_null(st_get(f, "slots", "note")));
    /* the when-guarded say, then the confirmation with the choice's label */
    assert_int_equal(r->n, 2);
    assert_string_equal(r->replies[0].text, "户外座位受天气影响");
    assert_string_equal(r->replies[1].kind, "confirm");
    assert_non_null(strstr(r->replies[1].text, "明天晚上 室外"));
    r = turn(f, "zh", "是的", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].text, "已订好 室外 座位");
    assert_string_equal(r->outcome, "resolved");
    assert_null(st_get(f, "flow", NULL));
}

static void test_decline_and_cancel(void **state)
{
    struct fx *f = *state;
    turn(f, "en", "book a table", "book", 0.9, "datetime", "\"2026-11-27\"");
    turn(f, "en", "inside", NULL, 0, NULL, NULL);
    struct kf_dialog_result *r = turn(f, "en", "no thanks nothing", NULL, 0, NULL, NULL);
    /* "no thanks nothing" is the note (free text) */
    assert_string_equal(r->replies[0].kind, "confirm");
    r = turn(f, "en", "no", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].kind, "cancelled");
    assert_string_equal(r->replies[0].text, "OK, not booked");
    assert_string_equal(r->outcome, "abandoned");
    turn(f, "zh", "订座", "book", 0.9, NULL, NULL);
    r = turn(f, "zh", "算了", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].text, "已取消");
    assert_null(st_get(f, "flow", NULL));
}

static void test_correction(void **state)
{
    struct fx *f = *state;
    turn(f, "zh", "订座", "book", 0.9, "datetime", "\"2026-11-27\"");
    struct kf_dialog_result *r = turn(f, "zh", "不是这个", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].kind, "ack");
    assert_string_equal(r->replies[1].slot, "when");
    assert_null(st_get(f, "slots", "when"));
    /* the rejected value is not taken again */
    r = turn(f, "zh", "27号", NULL, 0, "datetime", "\"2026-11-27\"");
    assert_string_equal(r->replies[0].kind, "invalid");
    r = turn(f, "zh", "28号", NULL, 0, "datetime", "\"2026-11-28\"");
    assert_string_equal(r->replies[0].slot, "seat");
    /* a new value for a filled slot replaces it and restarts the checks */
    turn(f, "zh", "里面", NULL, 0, NULL, NULL);
    r = turn(f, "zh", "改成外面", NULL, 0, NULL, NULL);
    assert_string_equal(json_string_value(st_get(f, "slots", "seat")), "outside");
    assert_string_equal(r->replies[0].slot, "note");
}

static void test_digression_and_attempts(void **state)
{
    struct fx *f = *state;
    turn(f, "zh", "订座", "book", 0.9, NULL, NULL);
    struct kf_dialog_result *r = turn(f, "zh", "谢谢你", "thanks", 0.9, NULL, NULL);
    assert_string_equal(r->replies[0].kind, "smalltalk");
    assert_string_equal(r->replies[1].kind, "ask"); /* the question again */
    assert_string_equal(r->replies[1].slot, "when");
    r = turn(f, "zh", "嗯嗯", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].kind, "invalid");
    assert_string_equal(r->replies[0].text, "请说日期");
    r = turn(f, "zh", "啊啊", NULL, 0, NULL, NULL); /* max_attempts: 2 */
    assert_string_equal(r->replies[0].kind, "handoff");
    assert_int_equal(r->handoff, 1);
    assert_string_equal(r->handoff_reason, "repeated_failure");
    assert_null(st_get(f, "flow", NULL));
}

static void test_handoff_clarify_fallback(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result *r = turn(f, "zh", "订座", "book", 0.9, NULL, NULL);
    r = turn(f, "zh", "转人工", NULL, 0, NULL, NULL);
    assert_int_equal(r->handoff, 1);
    assert_string_equal(r->handoff_reason, "customer_request");
    assert_null(st_get(f, "flow", NULL));

    /* two intents too close to call: ask which, with their labels */
    struct kf_entity none;
    (void)none;
    struct kf_nlu_result nlu = {.normalized = "座位和菜单", .intent = "book",
                                .intent_confidence = 0.4, .sentiment = "neutral", .nintents = 2};
    nlu.intents[0] = (struct kf_nlu_label){"book", 0.40};
    nlu.intents[1] = (struct kf_nlu_label){"menu", 0.38};
    struct kf_dialog_input in = {.bot = f->bot, .flows = kf_bot_flows(f->bot), .nlu = &nlu,
                                 .text = "座位和菜单", .len = strlen("座位和菜单"),
                                 .lang = "zh", .state_json = f->state};
    struct kf_err err = {0};
    assert_int_equal(kf_dialog_turn(&in, f->a, &f->res, &err), KF_OK);
    assert_string_equal(f->res.replies[0].kind, "clarify");
    assert_int_equal(f->res.replies[0].nqr, 2);
    assert_string_equal(f->res.replies[0].qr[1].title, "看菜单");
    free(f->state);
    f->state = strdup(f->res.state_json);
    /* the label sent back starts that intent's flow */
    r = turn(f, "zh", "订座", NULL, 0, NULL, NULL);
    assert_string_equal(r->replies[0].slot, "when");
    turn(f, "zh", "算了", NULL, 0, NULL, NULL);

    r = turn(f, "zh", "呜呜呜", NULL, 0, NULL, NULL);
    assert_string_equal(r->outcome, "fallback");
    r = turn(f, "zh", "哇哇哇", NULL, 0, NULL, NULL); /* max_fallbacks: 2 */
    assert_int_equal(r->n, 1);
    assert_string_equal(r->replies[0].kind, "handoff");
    assert_string_equal(r->replies[0].text, "多次没懂转人工");
}

static void test_bad_state_and_input(void **state)
{
    struct fx *f = *state;
    free(f->state);
    f->state = strdup("{\"flow\":\"no-such-flow\",\"step\":99}");
    struct kf_dialog_result *r = turn(f, "zh", "谢谢", "thanks", 0.9, NULL, NULL);
    assert_string_equal(r->replies[0].text, "不客气");
    free(f->state);
    f->state = strdup("not json");
    r = turn(f, "en", "thanks", "thanks", 0.9, NULL, NULL);
    assert_string_equal(r->replies[0].text, "You're welcome");
    struct kf_dialog_input in = {.bot = f->bot, .flows = kf_bot_flows(f->bot), .text = "a\xff",
                                 .len = 2, .lang = "zh"};
    struct kf_err err = {0};
    assert_int_equal(kf_dialog_turn(&in, f->a, &f->res, &err), KF_EUTF8);
}

/* A stored state is ours, but a damaged or old one must never crash a turn:
 * every key with every wrong type, then each of them through a few turns. */
static void test_damaged_states(void **state)
{
    struct fx *f = *state;
    static const char *const states[] = {
        "{\"flow\":\"booking\",\"step\":\"two\",\"slots\":[],\"texts\":7}",
        "{\"flow\":\"booking\",\"step\":-5,\"waiting\":\"slot\",\"slot\":\"nope\"}",
        "{\"flow\":\"booking\",\"step\":999999,\"waiting\":\"confirm\"}",
        "{\"flow\":\"booking\",\"step\":4,\"waiting\":\"confirm\",\"confirmed\":{\"a\":1}}",
        "{\"flow\":42,\"context\":\"x\",\"rejected\":[1],\"sealed\":{\"note\":\"v1:zz:00\"}}",
        "{\"flow\":\"booking\",\"slots\":{\"when\":{\"deep\":[1,2,{\"x\":null}]},\"seat\":5},"
        "\"step\":1,\"waiting\":\"slot\",\"slot\":\"seat\",\"attempts\":\"many\"}",
        "{\"fails\":1e300,\"clarify\":[\"book\"],\"last_slot\":{}}",
        "[]", "null", "{\"flow\":\"booking\"", "",
    };
    static const char *const texts[] = {"是的", "不是这个", "算了", "外面", "随便", "明天", "转人工"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        free(f->state);
        f->state = strdup(states[i]);
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
            struct kf_dialog_result *r = turn(f, "zh", texts[t], t % 2 ? "book" : NULL, 0.9,
                                              t == 5 ? "datetime" : NULL, "\"2026-11-27\"");
            assert_true(r->n >= 1 && r->n <= KF_DIALOG_MAX_REPLIES);
            for (size_t k = 0; k < r->n; k++)
                assert_non_null(r->replies[k].text);
            json_t *st = json_loads(r->state_json, 0, NULL);
            assert_true(json_is_object(st)); /* what is stored is always an object */
            json_decref(st);
        }
    }
}

/* ---- load errors ------------------------------------------------------- */

static void expect_error(const char *flows_yaml, const char *dialog_yaml, const char *where,
                         const char *what)
{
    char dir[256];
    tu_tmpdir(dir, "flowerr");
    char sub[300];
    snprintf(sub, sizeof sub, "%s/flows", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    if (flows_yaml != NULL)
        tu_write(sub, "f.yaml", flows_yaml);
    if (dialog_yaml != NULL)
        tu_write(dir, "dialog.yaml", dialog_yaml);
    struct kf_flows *fl = NULL;
    struct kf_err err = {0};
    int rc = kf_flows_load(dir, LANGS, 2, &fl, &err);
    if (rc == KF_OK)
        fail_msg("loaded, but should fail with %s", what);
    assert_null(fl);
    if (strstr(err.msg, where) == NULL || strstr(err.msg, what) == NULL)
        fail_msg("'%s' lacks '%s' or '%s'", err.msg, where, what);
    tu_rmtree(dir);
}

static void test_load_errors(void **state)
{
    (void)state;
    const char *head = "flows:\n  - id: x\n    intents: [a]\n";
    char y[2048];
    snprintf(y, sizeof y, "%s    steps:\n      - ask: nope\n", head);
    expect_error(y, NULL, "f.yaml:5:", "no slot named 'nope'");
    snprintf(y, sizeof y, "%s    colour: red\n    steps:\n      - say: {zh: a, en: b}\n", head);
    expect_error(y, NULL, "f.yaml:4:", "unknown key 'colour'");
    snprintf(y, sizeof y, "%s    steps:\n      - say: {zh: a}\n", head);
    expect_error(y, NULL, "f.yaml:5:", "missing language 'en'");
    snprintf(y, sizeof y, "%s    steps:\n      - say: {zh: a, en: b, fr: c}\n", head);
    expect_error(y, NULL, "f.yaml:5:", "'fr' is not a language");
    snprintf(y, sizeof y, "%s    steps:\n      - say: {zh: a, en: b}\n        call: x.y\n", head);
    expect_error(y, NULL, "f.yaml:5:", "exactly one of");
    snprintf(y, sizeof y,
             "%s    slots:\n      - name: k\n        type: choice\n        prompt: {zh: a, en: b}\n"
             "    steps:\n      - ask: k\n",
             head);
    expect_error(y, NULL, "f.yaml:5:", "needs `options`");
    snprintf(y, sizeof y,
             "%s    slots:\n      - name: k\n        type: number\n    steps:\n      - ask: k\n",
             head);
    expect_error(y, NULL, "f.yaml:6:", "not entity, choice or text");
    snprintf(y, sizeof y, "%s    steps:\n      - say: {zh: a, en: b}\n  - id: y\n    intents: [a]\n"
                          "    steps:\n      - say: {zh: a, en: b}\n",
             head);
    expect_error(y, NULL, "f.yaml:6:", "intent 'a' already starts flow x");
    expect_error("flows:\n  - id: x\n    steps:\n      - say: {zh: a, en: b}\n", NULL, "f.yaml:2:",
                 "needs `intents` or `entities`");
    expect_error("flows:\n  - id: x\n    intents: [a]\n", NULL, "f.yaml:2:", "`steps`");
    expect_error(NULL, "settings: {max_attempts: 99}\n", "dialog.yaml:1:", "max_attempts");
    expect_error(NULL, "phrases: {cancel: {de: [x]}}\n", "dialog.yaml:1:", "'de'");
    expect_error(NULL, "wishes: 1\n", "dialog.yaml:1:", "unknown key 'wishes'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_bot_loads),
        cmocka_unit_test(test_each_action),
        cmocka_unit_test_setup_teardown(test_form_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decline_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digression_and_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handoff_clarify_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_state_and_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_states, setup, teardown),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
