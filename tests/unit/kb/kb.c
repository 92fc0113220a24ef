/* unit/kb/kb.c — tests for src/kb/kb.c (BM25 FAQ retrieval and confidence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/kb.h"

/* A small bilingual FAQ: entry → questions (main first, then paraphrases). */
static const char *const faq[][6] = {
    /* 0 */ {"退货运费谁出?", "退货的邮费谁承担", "Who pays for return shipping?",
             "is return shipping free", NULL},
    /* 1 */ {"多久能到货?", "快递几天能收到", "How long does delivery take?",
             "how many days until my package arrives", NULL},
    /* 2 */ {"怎么开发票?", "发票在哪申请", "How do I get an invoice?",
             "where do I request an invoice", NULL},
    /* 3 */ {"忘记密码怎么办?", "怎么重置密码", "I forgot my password",
             "how do I reset my password", NULL},
    /* 4 */ {"支持哪些支付方式?", "能用微信支付吗", "Which payment methods do you accept?",
             "can I pay with a credit card", NULL},
    /* 5 */ {"What do members get?", NULL},
};
#define NFAQ (sizeof faq / sizeof faq[0])

/* The index question number of faq[e][k] (add order). */
static int question_no(size_t e, size_t k)
{
    int q = 0;
    for (size_t i = 0; i < e; i++)
        for (size_t j = 0; faq[i][j]; j++)
            q++;
    return q + (int)k;
}

struct fixture {
    struct kf_kb *kb;
    struct kf_arena *a;
};

static int kb_setup(void **state)
{
    static struct fixture f;
    f.kb = kf_kb_new(kf_kb_default_params());
    f.a = kf_arena_new(0, 0);
    if (f.kb == NULL || f.a == NULL)
        return -1;
    struct kf_err err = {0};
    for (size_t e = 0; e < NFAQ; e++)
        for (size_t k = 0; faq[e][k]; k++)
            if (kf_kb_add(f.kb, (int)e, faq[e][k], strlen(faq[e][k]), &err) != 0)
                return -1;
    if (kf_kb_build(f.kb, &err) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int kb_teardown(void **state)
{
    struct fixture *f = *state;
    kf_kb_free(f->kb);
    kf_arena_free(f->a);
    return 0;
}

static size_t search(struct fixture *f, const char *q, struct kf_kb_hit *hits, size_t max)
{
    size_t n = 999;
    struct kf_err err = {0};
    int rc = kf_kb_search(f->kb, q, strlen(q), f->a, hits, max, &n, &err);
    if (rc != 0)
        fail_msg("search '%s': %s", q, err.msg);
    assert_true(n <= max);
    return n;
}

static int best(struct fixture *f, const char *q)
{
    struct kf_kb_hit hits[5];
    size_t n = search(f, q, hits, 5);
    return n ? hits[0].entry : -1;
}

static void test_paraphrases_find_the_right_entry(void **state)
{
    struct fixture *f = *state;
    /* zh */
    assert_int_equal(best(f, "退货运费由谁来出"), 0);
    assert_int_equal(best(f, "几天能到货啊"), 1);
    assert_int_equal(best(f, "我想开发票"), 2);
    assert_int_equal(best(f, "密码忘了"), 3);
    assert_int_equal(best(f, "可以微信支付吗"), 4);
    /* en, with other word forms than the index */
    assert_int_equal(best(f, "who is paying the return shipping"), 0);
    assert_int_equal(best(f, "how long will delivery take"), 1);
    assert_int_equal(best(f, "I need invoices"), 2);
    assert_int_equal(best(f, "password reset"), 3);
    assert_int_equal(best(f, "paying by credit card?"), 4);
    /* full-width and upper case go through the same pipeline */
    assert_int_equal(best(f, "ＩＮＶＯＩＣＥ"), 2);
}

static void test_exact_question_has_full_confidence(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[3];
    /* entry 5 has a single question and no context: an exact question
     * matches its entry completely in both views (question and entry) */
    size_t n = search(f, "What do members get?", hits, 3);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 5);
    assert_int_equal(hits[0].question, question_no(5, 0));
    assert_true(hits[0].score > 0);
    assert_float_equal(hits[0].confidence, 1.0, 1e-9);

    /* an exact question of a multi-paraphrase entry wins and names that
     * question; the whole-entry view is longer than the query, so the mixed
     * confidence is below 1 but above any looser paraphrase */
    n = search(f, "Who pays for return shipping?", hits, 3);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 0);
    assert_int_equal(hits[0].question, question_no(0, 2));
    assert_true(hits[0].confidence > 0.5 && hits[0].confidence <= 1.0);
    double exact = hits[0].confidence;
    search(f, "who pays the return postage", hits, 3);
    assert_int_equal(hits[0].entry, 0);
    assert_true(hits[0].confidence < exact);
}

static void test_unknown_words_score_zero(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[3];
    assert_int_equal(search(f, "xyzzy plugh", hits, 3), 0);
    assert_int_equal(search(f, "量子纠缠", hits, 3), 0);
    assert_int_equal(search(f, "12345", hits, 3), 0);
}

static void test_partial_match_confidence_is_between(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[5];
    size_t n = search(f, "invoice for my xyzzy spaceship", hits, 5);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 2);
    assert_true(hits[0].confidence > 0 && hits[0].confidence < 1);
    n = search(f, "发票 量子", hits, 5);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 2);
    assert_true(hits[0].confidence > 0 && hits[0].confidence < 1);
    for (size_t i = 0; i < n; i++)
        assert_true(hits[i].confidence > 0 && hits[i].confidence <= 1);
}

static void test_hits_are_distinct_and_best_first(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[NFAQ];
    /* words shared by several entries: "how do I", "my", "password", "pay" */
    size_t n = search(f, "how do I pay for my password and shipping", hits, NFAQ);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(hits[i].entry >= 0 && hits[i].entry < (int)NFAQ);
        if (i > 0)
            assert_true(hits[i - 1].confidence >= hits[i].confidence);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(hits[i].entry, hits[j].entry);
    }
    /* a smaller max keeps the same leaders, in the same order */
    struct kf_kb_hit top[2];
    size_t m = search(f, "how do I pay for my password and shipping", top, 2);
    assert_int_equal(m, 2);
    assert_int_equal(top[0].entry, hits[0].entry);
    assert_int_equal(top[1].entry, hits[1].entry);
    assert_float_equal(top[0].confidence, hits[0].confidence, 1e-12);
    /* max = 0: nothing */
    assert_int_equal(search(f, "invoice", top, 0), 0);
}

static void test_question_belongs_to_its_entry(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[NFAQ];
    size_t n = search(f, "how do I reset my password", hits, NFAQ);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 3);
    assert_int_equal(hits[0].question, question_no(3, 3));
    for (size_t i = 0; i < n; i++) {
        if (hits[i].question < 0)
            continue;
        /* the question index lies in the range of its entry */
        size_t e = (size_t)hits[i].entry;
        int first = question_no(e, 0);
        int count = 0;
        while (faq[e][count])
            count++;
        assert_true(hits[i].question >= first && hits[i].question < first + count);
    }
}

static void test_empty_query_gives_no_hits(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[3];
    assert_int_equal(search(f, "", hits, 3), 0);
    assert_int_equal(search(f, "?!。", hits, 3), 0);
    assert_int_equal(search(f, "   ", hits, 3), 0);
}

static void test_bad_query_text(void **state)
{
    struct fixture *f = *state;
    struct kf_kb_hit hits[3];
    size_t n = 7;
    struct kf_err err = {0};
    assert_int_equal(kf_kb_search(f->kb, "inv\xff", 4, f->a, hits, 3, &n, &err), KF_EUTF8);
    assert_int_equal(n, 0);
}

static void test_counts(void **state)
{
    struct fixture *f = *state;
    size_t q = 0;
    for (size_t e = 0; e < NFAQ; e++)
        for (size_t k = 0; faq[e][k]; k++)
            q++;
    assert_int_equal(kf_kb_questions(f->kb), q);
    assert_true(kf_kb_terms(f->kb) > 50);
}

static void test_lifecycle_errors(void **state)
{
    (void)state;
    struct kf_kb *kb = kf_kb_new(kf_kb_default_params());
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_err err = {0};
    struct kf_kb_hit hits[2];
    size_t n = 5;
    /* search before build */
    assert_int_equal(kf_kb_search(kb, "x", 1, a, hits, 2, &n, &err), KF_EINVAL);
    assert_int_equal(n, 0);
    /* build with nothing in it */
    assert_int_equal(kf_kb_build(kb, &err), KF_EINVAL);
    /* bad additions */
    assert_int_equal(kf_kb_add(kb, -1, "hello", 5, &err), KF_EINVAL);
    assert_int_equal(kf_kb_add(kb, 0, "?!", 2, &err), KF_EINVAL); /* no words */
    assert_int_equal(kf_kb_add(kb, 0, "", 0, &err), KF_EINVAL);
    assert_int_equal(kf_kb_add(kb, 0, "bad\xff", 4, &err), KF_EUTF8);
    assert_int_equal(kf_kb_questions(kb), 0);
    /* then a good one, build, and no more additions */
    assert_int_equal(kf_kb_add(kb, 0, "hello there", 11, &err), 0);
    assert_int_equal(kf_kb_search(kb, "hello", 5, a, hits, 2, &n, &err), KF_EINVAL);
    assert_int_equal(kf_kb_build(kb, &err), 0);
    assert_int_equal(kf_kb_add(kb, 1, "late", 4, &err), KF_EINVAL);
    assert_int_equal(kf_kb_search(kb, "hello", 5, a, hits, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].entry, 0);
    assert_int_equal(hits[0].question, 0);
    kf_kb_free(kb);
    kf_kb_free(NULL);
    kf_arena_free(a);
}

static void test_sparse_entry_numbers(void **state)
{
    (void)state;
    /* entry numbers are the caller's: gaps are fine */
    struct kf_kb *kb = kf_kb_new(kf_kb_default_params());
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_err err = {0};
    assert_int_equal(kf_kb_add(kb, 7, "track my parcel", 15, &err), 0);
    assert_int_equal(kf_kb_add(kb, 2, "cancel my order", 15, &err), 0);
    assert_int_equal(kf_kb_build(kb, &err), 0);
    struct kf_kb_hit hits[4];
    size_t n = 0;
    assert_int_equal(kf_kb_search(kb, "where is my parcel", 18, a, hits, 4, &n, &err), 0);
    assert_true(n >= 1);
    assert_int_equal(hits[0].entry, 7);
    assert_int_equal(hits[0].question, 0);
    assert_int_equal(kf_kb_search(kb, "cancel order", 12, a, hits, 4, &n, &err), 0);
    assert_int_equal(hits[0].entry, 2);
    assert_int_equal(hits[0].question, 1);
    kf_kb_free(kb);
    kf_arena_free(a);
}

static void test_context_text_helps_its_entry(void **state)
{
    (void)state;
    struct kf_kb *kb = kf_kb_new(kf_kb_default_params());
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_err err = {0};
    const char *q0 = "how do returns work", *q1 = "how do invoices work";
    const char *ctx1 = "electronic fapiao are emailed within three business days";
    assert_int_equal(kf_kb_add(kb, 0, q0, strlen(q0), &err), 0);
    assert_int_equal(kf_kb_add(kb, 1, q1, strlen(q1), &err), 0);
    assert_int_equal(kf_kb_add_context(kb, 1, ctx1, strlen(ctx1), &err), 0);
    assert_int_equal(kf_kb_questions(kb), 2); /* context is not a question */
    assert_int_equal(kf_kb_build(kb, &err), 0);
    struct kf_kb_hit hits[2];
    size_t n = 0;
    assert_int_equal(kf_kb_search(kb, "fapiao emailed", 14, a, hits, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].entry, 1);
    assert_true(hits[0].confidence > 0 && hits[0].confidence < 1);
    kf_kb_free(kb);
    kf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paraphrases_find_the_right_entry),
        cmocka_unit_test(test_exact_question_has_full_confidence),
        cmocka_unit_test(test_unknown_words_score_zero),
        cmocka_unit_test(test_partial_match_confidence_is_between),
        cmocka_unit_test(test_hits_are_distinct_and_best_first),
        cmocka_unit_test(test_question_belongs_to_its_entry),
        cmocka_unit_test(test_empty_query_gives_no_hits),
        cmocka_unit_test(test_bad_query_text),
        cmocka_unit_test(test_counts),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_lifecycle_errors),
        cmocka_unit_test(test_sparse_entry_numbers),
        cmocka_unit_test(test_context_text_helps_its_entry),
    };
    int failed = cmocka_run_group_tests_name("kb (shared index)", tests, kb_setup, kb_teardown);
    failed += cmocka_run_group_tests_name("kb (own index)", alone, NULL, NULL);
    return failed;
}
