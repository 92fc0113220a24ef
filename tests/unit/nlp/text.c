/* unit/nlp/text.c — tests for src/nlp/text.c (normalisation, terms, language guess). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/text.h"

static int arena_setup(void **state)
{
    *state = kf_arena_new(0, 0);
    return *state ? 0 : -1;
}

static int arena_teardown(void **state)
{
    kf_arena_free(*state);
    return 0;
}

/* Normalise a C string; fails the test on error. */
static const char *norm(void **state, const char *in)
{
    char *out = NULL;
    size_t n = 12345;
    struct kf_err err = {0};
    int rc = kf_text_normalize(in, strlen(in), *state, &out, &n, &err);
    if (rc != 0)
        fail_msg("normalise '%s': %s", in, err.msg);
    assert_int_equal(n, strlen(out));
    return out;
}

static void assert_norm(void **state, const char *in, const char *want)
{
    const char *got = norm(state, in);
    if (strcmp(got, want) != 0)
        fail_msg("normalise '%s': got '%s', want '%s'", in, got, want);
}

/* Terms as one string joined by '|' (in the order produced). */
static const char *terms(void **state, const char *in, int analyze)
{
    struct kf_terms t = {0};
    struct kf_err err = {0};
    int rc = analyze ? kf_text_analyze(in, strlen(in), *state, &t, &err)
                     : kf_text_terms(in, strlen(in), *state, &t, &err);
    if (rc != 0)
        fail_msg("terms '%s': %s", in, err.msg);
    size_t len = 1;
    for (size_t i = 0; i < t.n; i++)
        len += strlen(t.v[i]) + 1;
    char *s = kf_arena_alloc(*state, len);
    s[0] = '\0';
    for (size_t i = 0; i < t.n; i++) {
        if (i)
            strcat(s, "|");
        strcat(s, t.v[i]);
    }
    return s;
}

static void assert_terms(void **state, const char *in, const char *want)
{
    const char *got = terms(state, in, 1);
    if (strcmp(got, want) != 0)
        fail_msg("terms of '%s': got '%s', want '%s'", in, got, want);
}

static void test_fullwidth_to_halfwidth(void **state)
{
    assert_norm(state, "ＡＢＣ１２３", "abc123");
    assert_norm(state, "ｈｅｌｌｏ　ｗｏｒｌｄ", "hello world"); /* ideographic space */
    assert_norm(state, "ﬁle", "file");                            /* ligature */
    assert_norm(state, "①②", "12");
}

static void test_case_folding(void **state)
{
    assert_norm(state, "Hello WORLD", "hello world");
    assert_norm(state, "Straße", "strasse");
    assert_norm(state, "ÉCOLE", "école");
    assert_norm(state, "e\xcc\x81t\xc3\xa9", "été"); /* decomposed é composes */
    assert_norm(state, "ΣΊΣΥΦΟΣ", "σίσυφοσ");
}

static void test_punctuation_becomes_single_spaces(void **state)
{
    assert_norm(state, "Hello,,, world!!!", "hello world");
    assert_norm(state, "a-b_c/d", "a b c d");
    assert_norm(state, "退货运费谁出?", "退货运费谁出");
    assert_norm(state, "你好，世界！", "你好 世界");
    assert_norm(state, "【促销】满99减10", "促销 满99减10");
    assert_norm(state, "price: $5 + 10%", "price 5 10");
    assert_norm(state, "a \t\n  b", "a b");
    assert_norm(state, "don't", "dont"); /* apostrophes inside words vanish */
    assert_norm(state, "it\xe2\x80\x99s", "its");
}

static void test_trimming_and_empty(void **state)
{
    assert_norm(state, "   --hello--   ", "hello");
    assert_norm(state, "\n\t x \n", "x");
    assert_norm(state, "", "");
    assert_norm(state, "   ", "");
    assert_norm(state, "?!。，…", "");
}

static void test_control_characters_dropped(void **state)
{
    assert_norm(state, "a\x01" "b", "ab");
    assert_norm(state, "a\x7f" "b", "ab");
    assert_norm(state, "\x1b[31mred", "31mred");
}

static void test_emoji_are_own_tokens(void **state)
{
    assert_norm(state, "hi😀there", "hi 😀 there");
    assert_norm(state, "😀😀", "😀 😀");
    assert_norm(state, "好评👍", "好评 👍");
    assert_norm(state, "  👍  ", "👍");
}

static void test_normalize_errors(void **state)
{
    char *out = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_text_normalize("ab\xff", 3, *state, &out, NULL, &err), KF_EUTF8);
    assert_int_equal(err.code, KF_EUTF8);
    assert_int_equal(kf_text_normalize("\xed\xa0\x80", 3, *state, &out, NULL, &err), KF_EUTF8);
    char *big = malloc(KF_TEXT_MAX_BYTES + 1);
    memset(big, 'a', KF_TEXT_MAX_BYTES + 1);
    int rc_big = kf_text_normalize(big, KF_TEXT_MAX_BYTES + 1, *state, &out, NULL, &err);
    int rc_max = kf_text_normalize(big, KF_TEXT_MAX_BYTES, *state, &out, NULL, &err);
    free(big);
    assert_int_equal(rc_big, KF_ETOOBIG);
    assert_int_equal(rc_max, 0);
    assert_int_equal(strlen(out), KF_TEXT_MAX_BYTES);
    /* the terms entry point reports the same errors */
    struct kf_terms t;
    assert_int_equal(kf_text_analyze("\xc3", 1, *state, &t, &err), KF_EUTF8);
}

static void test_han_unigrams_and_bigrams(void **state)
{
    assert_terms(state, "退货运费", "退|货|退货|运|货运|费|运费");
    assert_terms(state, "退货", "退|货|退货");
    assert_terms(state, "客", "客");
    /* no bigram across a space or punctuation */
    assert_terms(state, "退 货", "退|货");
    assert_terms(state, "退，货", "退|货");
    /* Latin words stop at Han characters and the other way round */
    assert_terms(state, "iphone手机", "iphon|手|机|手机");
    assert_terms(state, "手机iphone", "手|机|手机|iphon");
}

static void test_english_stems(void **state)
{
    const char *a = terms(state, "deliveries", 1);
    const char *b = terms(state, "delivery", 1);
    assert_string_equal(a, b);
    assert_true(strchr(a, '|') == NULL); /* one term */
    assert_string_equal(terms(state, "Running runs", 1), "run|run");
    assert_string_equal(terms(state, "refunded refunding refunds", 1), "refund|refund|refund");
    assert_string_equal(terms(state, "DELIVERIES!", 1), b);
    assert_string_equal(terms(state, "How long does delivery take?", 1),
                        "how|long|doe|deliveri|take");
    /* plain word splitting on already-normalised text */
    assert_string_equal(terms(state, "ordered items", 0), "order|item");
}

static void test_digits_are_words(void **state)
{
    assert_terms(state, "order 12345", "order|12345");
    assert_terms(state, "满99减10", "满|99|减|10");
    assert_terms(state, "ＡＢＣ１２３", "abc123");
}

static void test_empty_terms(void **state)
{
    struct kf_terms t = {.n = 99};
    struct kf_err err = {0};
    assert_int_equal(kf_text_analyze("", 0, *state, &t, &err), 0);
    assert_int_equal(t.n, 0);
    t.n = 99;
    assert_int_equal(kf_text_analyze("?!  ...", 7, *state, &t, &err), 0);
    assert_int_equal(t.n, 0);
}

static void test_many_terms(void **state)
{
    /* more terms than the first growth step */
    char text[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(text, "word ");
    struct kf_terms t;
    struct kf_err err = {0};
    assert_int_equal(kf_text_analyze(text, strlen(text), *state, &t, &err), 0);
    assert_int_equal(t.n, 100);
    for (size_t i = 0; i < t.n; i++)
        assert_string_equal(t.v[i], "word");
}

#define LANG(s) kf_text_detect_lang((s), strlen(s))

static void test_detect_lang(void **state)
{
    (void)state;
    assert_string_equal(LANG("退货运费谁出?"), "zh");
    assert_string_equal(LANG("我要转人工"), "zh");
    assert_string_equal(LANG("how long does delivery take"), "en");
    assert_string_equal(LANG("Hello!"), "en");
    assert_string_equal(LANG("我的iPhone坏了"), "zh");       /* a product name in Chinese */
    assert_string_equal(LANG("can you help me with 退款"), "en"); /* a word in English */
    assert_string_equal(LANG("这个order can cancel吗"), "mixed");
    assert_string_equal(LANG("我的order到哪了"), "zh");
    assert_string_equal(LANG("12345"), "");
    assert_string_equal(LANG(""), "");
    assert_string_equal(LANG("?!"), "");
    assert_string_equal(LANG("😀"), "");
    assert_string_equal(LANG("\xff\xfe"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fullwidth_to_halfwidth, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_case_folding, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_punctuation_becomes_single_spaces, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_trimming_and_empty, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_control_characters_dropped, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_emoji_are_own_tokens, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_normalize_errors, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_han_unigrams_and_bigrams, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_english_stems, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_digits_are_words, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_empty_terms, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_many_terms, arena_setup, arena_teardown),
        cmocka_unit_test(test_detect_lang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
