/* unit/nlp/features.c — tests for src/nlp/features.c (hashed sparse features). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "kefu/features.h"

static struct kf_fvec extract(struct kf_arena *a, const char *s, struct kf_feature_params p)
{
    struct kf_fvec v;
    struct kf_err err = {0};
    assert_int_equal(kf_features_extract(s, strlen(s), &p, a, &v, &err), KF_OK);
    return v;
}

static size_t shared(const struct kf_fvec *x, const struct kf_fvec *y)
{
    size_t i = 0, j = 0, n = 0;
    while (i < x->n && j < y->n) {
        if (x->h[i] == y->h[j]) {
            n++;
            i++;
            j++;
        } else if (x->h[i] < y->h[j]) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

static void test_sorted_unique_unit_norm(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_fvec v = extract(a, "Where is my order? 我的订单到哪了 where is it", kf_feature_default_params());
    assert_true(v.n > 20);
    double norm = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (i > 0)
            assert_true(v.h[i] > v.h[i - 1]);
        assert_true(v.v[i] > 0);
        norm += (double)v.v[i] * v.v[i];
    }
    assert_true(fabs(norm - 1.0) < 1e-5);
    kf_arena_free(a);
}

static void test_kinds_can_be_switched(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_feature_params words = {.words = 1};
    /* two words → two features, nothing else */
    assert_int_equal(extract(a, "refund please", words).n, 2);
    struct kf_feature_params bi = {.words = 1, .bigrams = 1};
    assert_int_equal(extract(a, "refund please", bi).n, 3);
    /* Han 1..3-grams of 退货运费: 4 + 3 + 2 */
    struct kf_feature_params han = {.han_max = 3};
    assert_int_equal(extract(a, "退货运费", han).n, 9);
    /* Han n-grams do not cross a space */
    assert_int_equal(extract(a, "退货 运费", han).n, 2 + 1 + 2 + 1);
    /* char n-grams of "<ab>" for n in 3..3: "<ab", "ab>" */
    struct kf_feature_params ch = {.cmin = 3, .cmax = 3};
    assert_int_equal(extract(a, "ab", ch).n, 2);
    kf_arena_free(a);
}

static void test_stems_typos_numbers_fullwidth(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_feature_params w = {.words = 1};
    /* stemming: refunds ~ refund */
    struct kf_fvec x = extract(a, "refunds", w), y = extract(a, "refund", w);
    assert_int_equal(shared(&x, &y), 1);
    /* numbers fold by length */
    x = extract(a, "order 12345678901", w);
    y = extract(a, "order 98765432109", w);
    assert_int_equal(shared(&x, &y), 2);
    /* full-width and case fold to the same features */
    x = extract(a, "ＲＥＦＵＮＤ", kf_feature_default_params());
    y = extract(a, "refund", kf_feature_default_params());
    assert_int_equal(shared(&x, &y), x.n);
    /* a typo still shares most character n-grams */
    x = extract(a, "recieve", (struct kf_feature_params){.cmin = 3, .cmax = 4});
    y = extract(a, "receive", (struct kf_feature_params){.cmin = 3, .cmax = 4});
    assert_true(shared(&x, &y) >= 4);
    kf_arena_free(a);
}

static void test_bad_and_edge_input(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_fvec v;
    struct kf_err err = {0};
    struct kf_feature_params p = kf_feature_default_params();
    assert_int_equal(kf_features_extract("\xff\xfe", 2, &p, a, &v, &err), KF_EUTF8);
    assert_int_equal(kf_features_extract("", 0, &p, a, &v, &err), KF_OK);
    assert_int_equal(v.n, 0);
    assert_int_equal(kf_features_extract("?!... ,,,", 9, &p, a, &v, &err), KF_OK);
    assert_int_equal(v.n, 0);
    /* 60 KB of text is handled; a 300-byte "word" gives no n-grams but no crash */
    static char big[60000];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = i % 300 == 299 ? ' ' : (char)('a' + i % 26);
    assert_int_equal(kf_features_extract(big, strlen(big), &p, a, &v, &err), KF_OK);
    assert_true(v.n > 0);
    /* emoji are features of their own */
    assert_int_equal(extract(a, "😡", p).n, 1);
    kf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_unique_unit_norm),
        cmocka_unit_test(test_kinds_can_be_switched),
        cmocka_unit_test(test_stems_typos_numbers_fullwidth),
        cmocka_unit_test(test_bad_and_edge_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
