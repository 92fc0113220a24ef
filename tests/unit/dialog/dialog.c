/* unit/dialog/dialog.c — tests for src/dialog/dialog.c (the FAQ-stage reply policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/bot.h"
#include "kefu/dialog.h"

#define DEMO_BOT KEFU_SRC_ROOT "/bots/demo-shop"

struct fx {
    struct kf_bot *bot;
    struct kf_arena *a;
};

static int fx_setup(void **state)
{
    static struct fx f;
    struct kf_err err = {0};
    if (kf_bot_load(DEMO_BOT, &f.bot, &err) != 0) {
        fprintf(stderr, "demo bot: %s\n", err.msg);
        return -1;
    }
    f.a = kf_arena_new(0, 0);
    *state = &f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    kf_bot_free(f->bot);
    kf_arena_free(f->a);
    return 0;
}

static struct kf_dialog_result respond(struct fx *f, const char *text, const char *lang)
{
    struct kf_dialog_result r;
    struct kf_err err = {0};
    if (kf_dialog_respond(f->bot, text, strlen(text), lang, NULL, f->a, &r, &err) != 0)
        fail_msg("respond '%s': %s", text, err.msg);
    assert_int_equal(r.n, 1);
    return r;
}

static const struct kf_faq_entry *entry(struct fx *f, const char *id)
{
    for (size_t i = 0; i < kf_bot_faq_count(f->bot); i++)
        if (strcmp(kf_bot_faq(f->bot, i)->id, id) == 0)
            return kf_bot_faq(f->bot, i);
    fail_msg("no FAQ entry %s", id);
    return NULL;
}

static void test_faq_answer_in_zh(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "退货运费谁出?", "zh");
    const struct kf_reply *rep = &r.replies[0];
    assert_string_equal(rep->kind, "faq");
    assert_non_null(rep->faq_id);
    assert_string_equal(rep->faq_id, "returns.return_shipping_fee");
    assert_string_equal(rep->text, entry(f, "returns.return_shipping_fee")->answer[0]);
    assert_true(rep->confidence >= kf_bot_faq_threshold(f->bot));
    assert_true(rep->confidence <= 1.0);
    assert_int_equal(rep->nqr, 0);
    assert_int_equal(r.handoff, 0);
}

static void test_faq_paraphrase_in_zh(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "退回去的快递费要我自己出吗", "zh");
    assert_string_equal(r.replies[0].kind, "faq");
    assert_string_equal(r.replies[0].faq_id, "returns.return_shipping_fee");
}

static void test_faq_answer_in_en(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "how long does delivery take", "en");
    const struct kf_reply *rep = &r.replies[0];
    assert_string_equal(rep->kind, "faq");
    assert_string_equal(rep->faq_id, "shipping.delivery_time");
    assert_string_equal(rep->text, entry(f, "shipping.delivery_time")->answer[1]);
    assert_true(rep->confidence >= kf_bot_faq_threshold(f->bot));
    assert_int_equal(r.handoff, 0);
}

static void test_answer_follows_the_conversation_language(void **state)
{
    struct fx *f = *state;
    const struct kf_faq_entry *e = entry(f, "shipping.delivery_time");
    /* asked in English in a Chinese conversation: the Chinese answer */
    struct kf_dialog_result r = respond(f, "how long does delivery take", "zh");
    assert_string_equal(r.replies[0].faq_id, "shipping.delivery_time");
    assert_string_equal(r.replies[0].text, e->answer[0]);
    /* a language the bot does not speak, or none: the default (zh) */
    r = respond(f, "how long does delivery take", "fr");
    assert_string_equal(r.replies[0].text, e->answer[0]);
    r = respond(f, "how long does delivery take", NULL);
    assert_string_equal(r.replies[0].text, e->answer[0]);
}

static void assert_last_is_handoff_button(struct fx *f, const struct kf_reply *rep,
                                          const char *lang)
{
    assert_true(rep->nqr >= 1);
    const char *button = kf_bot_phrase(f->bot, "handoff_button", lang);
    assert_string_equal(rep->qr[rep->nqr - 1].title, button);
    assert_string_equal(rep->qr[rep->nqr - 1].text, button);
}

static void test_gibberish_is_not_sure_with_handoff_button(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "xqzv blorpt", "en");
    const struct kf_reply *rep = &r.replies[0];
    assert_string_equal(rep->kind, "not_sure");
    assert_null(rep->faq_id);
    assert_float_equal(rep->confidence, 0.0, 1e-12);
    assert_int_equal(rep->nqr, 1); /* nothing close: only the button */
    assert_last_is_handoff_button(f, rep, "en");
    /* nothing to choose from: the fallback phrase, not "did you mean" */
    assert_string_equal(rep->text, kf_bot_phrase(f->bot, "fallback", "en"));
    assert_int_equal(r.handoff, 0);

    r = respond(f, "麒麟饕餮", "zh");
    assert_string_equal(r.replies[0].kind, "not_sure");
    assert_last_is_handoff_button(f, &r.replies[0], "zh");
    assert_string_equal(r.replies[0].text, kf_bot_phrase(f->bot, "fallback", "zh"));
}

static void test_close_questions_are_suggested(void **state)
{
    struct fx *f = *state;
    /* one known word among unknown ones: below the threshold, but close */
    struct kf_dialog_result r = respond(f, "xqzv blorpt glorp coupon", "en");
    const struct kf_reply *rep = &r.replies[0];
    assert_string_equal(rep->kind, "not_sure");
    assert_null(rep->faq_id);
    assert_true(rep->confidence > 0 && rep->confidence < kf_bot_faq_threshold(f->bot));
    assert_string_equal(rep->text, kf_bot_phrase(f->bot, "not_sure", "en"));
    size_t suggested = rep->nqr - 1;
    assert_true(suggested >= 1);
    assert_true(suggested <= (size_t)kf_bot_faq_suggest(f->bot));
    assert_last_is_handoff_button(f, rep, "en");
    for (size_t i = 0; i < suggested; i++) {
        /* each is the main English question of a distinct coupon entry */
        const struct kf_faq_entry *hit = NULL;
        for (size_t k = 0; k < kf_bot_faq_count(f->bot); k++)
            if (strcmp(kf_bot_faq(f->bot, k)->question[1], rep->qr[i].title) == 0)
                hit = kf_bot_faq(f->bot, k);
        assert_non_null(hit);
        assert_string_equal(hit->category, "coupons");
        assert_string_equal(rep->qr[i].text, rep->qr[i].title);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rep->qr[i].title, rep->qr[j].title);
    }
    /* in a Chinese conversation the suggestions are the Chinese questions */
    r = respond(f, "xqzv blorpt glorp coupon", "zh");
    rep = &r.replies[0];
    assert_string_equal(rep->kind, "not_sure");
    assert_true(rep->nqr >= 2);
    int found = 0;
    for (size_t k = 0; k < kf_bot_faq_count(f->bot); k++)
        found |= strcmp(kf_bot_faq(f->bot, k)->question[0], rep->qr[0].title) == 0;
    assert_true(found);
    assert_last_is_handoff_button(f, rep, "zh");
}

static void test_handoff(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "转人工", "zh");
    const struct kf_reply *rep = &r.replies[0];
    assert_int_equal(r.handoff, 1);
    assert_string_equal(rep->kind, "handoff");
    assert_string_equal(rep->text, kf_bot_phrase(f->bot, "handoff", "zh"));
    assert_null(rep->faq_id);
    assert_float_equal(rep->confidence, 1.0, 1e-12);
    assert_int_equal(rep->nqr, 0);

    /* the handoff phrase wins even inside an FAQ question */
    r = respond(f, "退货运费谁出?我要转人工", "zh");
    assert_int_equal(r.handoff, 1);
    assert_string_equal(r.replies[0].kind, "handoff");

    /* the English button, in an English conversation */
    r = respond(f, "Talk to a human", "en");
    assert_int_equal(r.handoff, 1);
    assert_string_equal(r.replies[0].text, kf_bot_phrase(f->bot, "handoff", "en"));

    /* "humanity" is not a request for a human */
    r = respond(f, "humanity", "en");
    assert_int_equal(r.handoff, 0);
    assert_string_not_equal(r.replies[0].kind, "handoff");
}

static void test_greeting(void **state)
{
    struct fx *f = *state;
    struct kf_reply g;
    memset(&g, 0x5a, sizeof g);
    kf_dialog_greeting(f->bot, "en", &g);
    assert_string_equal(g.kind, "greeting");
    assert_string_equal(g.text, kf_bot_phrase(f->bot, "greeting", "en"));
    assert_null(g.faq_id);
    assert_int_equal(g.nqr, 0);
    assert_float_equal(g.confidence, 1.0, 1e-12);
    kf_dialog_greeting(f->bot, "zh", &g);
    assert_string_equal(g.text, kf_bot_phrase(f->bot, "greeting", "zh"));
    kf_dialog_greeting(f->bot, NULL, &g);
    assert_string_equal(g.text, kf_bot_phrase(f->bot, "greeting", "zh"));
}

static void test_bad_text(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r;
    struct kf_err err = {0};
    assert_int_equal(kf_dialog_respond(f->bot, "运费\xff", 7, "zh", NULL, f->a, &r, &err), KF_EUTF8);
    /* empty text: nothing to answer, nothing close */
    r = respond(f, "", "en");
    assert_string_equal(r.replies[0].kind, "not_sure");
    assert_int_equal(r.handoff, 0);
}

static json_t *parse_meta(struct fx *f, const struct kf_reply *rep)
{
    const char *s = kf_reply_meta_json(rep, f->a);
    assert_non_null(s);
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    if (o == NULL)
        fail_msg("meta is not JSON: %s (%s)", s, je.text);
    assert_true(json_is_object(o));
    return o;
}

static void test_meta_json_of_a_faq_reply(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "how long does delivery take", "en");
    json_t *o = parse_meta(f, &r.replies[0]);
    assert_string_equal(json_string_value(json_object_get(o, "faq_id")), "shipping.delivery_time");
    json_t *c = json_object_get(o, "confidence");
    assert_true(json_is_number(c));
    assert_float_equal(json_number_value(c), r.replies[0].confidence, 0.0015);
    assert_null(json_object_get(o, "quick_replies"));
    json_decref(o);
}

static void test_meta_json_of_a_not_sure_reply(void **state)
{
    struct fx *f = *state;
    struct kf_dialog_result r = respond(f, "xqzv blorpt glorp coupon", "en");
    const struct kf_reply *rep = &r.replies[0];
    json_t *o = parse_meta(f, rep);
    assert_null(json_object_get(o, "faq_id"));
    assert_true(json_is_number(json_object_get(o, "confidence")));
    assert_float_equal(json_number_value(json_object_get(o, "confidence")), rep->confidence,
                       0.0015);
    json_t *qr = json_object_get(o, "quick_replies");
    assert_true(json_is_array(qr));
    assert_int_equal(json_array_size(qr), rep->nqr);
    for (size_t i = 0; i < rep->nqr; i++) {
        json_t *item = json_array_get(qr, i);
        assert_string_equal(json_string_value(json_object_get(item, "title")), rep->qr[i].title);
        assert_string_equal(json_string_value(json_object_get(item, "text")), rep->qr[i].text);
    }
    json_decref(o);
}

static void test_meta_json_escapes_text(void **state)
{
    struct fx *f = *state;
    struct kf_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.kind = "not_sure";
    rep.confidence = 0.12345;
    rep.qr[0] = (struct kf_quick_reply){"say \"hi\"\n", "back\\slash 客服"};
    rep.nqr = 1;
    json_t *o = parse_meta(f, &rep);
    json_t *item = json_array_get(json_object_get(o, "quick_replies"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "title")), "say \"hi\"\n");
    assert_string_equal(json_string_value(json_object_get(item, "text")), "back\\slash 客服");
    assert_float_equal(json_number_value(json_object_get(o, "confidence")), 0.123, 0.0011);
    json_decref(o);

    /* a handoff reply: confidence only */
    struct kf_dialog_result r = respond(f, "转人工", "zh");
    o = parse_meta(f, &r.replies[0]);
    assert_int_equal(json_object_size(o), 1);
    assert_float_equal(json_number_value(json_object_get(o, "confidence")), 1.0, 1e-9);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faq_answer_in_zh),
        cmocka_unit_test(test_faq_paraphrase_in_zh),
        cmocka_unit_test(test_faq_answer_in_en),
        cmocka_unit_test(test_answer_follows_the_conversation_language),
        cmocka_unit_test(test_gibberish_is_not_sure_with_handoff_button),
        cmocka_unit_test(test_close_questions_are_suggested),
        cmocka_unit_test(test_handoff),
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_meta_json_of_a_faq_reply),
        cmocka_unit_test(test_meta_json_of_a_not_sure_reply),
        cmocka_unit_test(test_meta_json_escapes_text),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
