/* unit/nlp/t2s.c — tests for src/nlp/t2s.c and Traditional → Simplified in
 * normalisation and features. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/features.h"
#include "kefu/t2s.h"
#include "kefu/text.h"

static struct kf_t2s *t2s;

static int setup(void **state)
{
    (void)state;
    return kf_t2s_new(&t2s, NULL) == KF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kf_t2s_free(t2s);
    return 0;
}

static void test_table(void **state)
{
    (void)state;
    assert_true(kf_t2s_size(t2s) > 2000); /* OpenCC's t2s has a few thousand characters */
    assert_int_equal(kf_t2s_map(t2s, 0x8A02 /* 訂 */), 0x8BA2 /* 订 */);
    assert_int_equal(kf_t2s_map(t2s, 0x9AD4 /* 體 */), 0x4F53 /* 体 */);
    assert_int_equal(kf_t2s_map(t2s, 0x8BA2 /* 订: already simplified */), 0x8BA2);
    assert_int_equal(kf_t2s_map(t2s, 'A'), 'A');
    assert_int_equal(kf_t2s_map(t2s, 0x1F600), 0x1F600);
    assert_int_equal(kf_t2s_map(NULL, 0x8A02), 0x8A02);
}

static void test_normalise_and_features(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    char *out;
    size_t n;
    const char *in = "我的訂單到哪了？請幫我查詢 ＩＰＨＯＮＥ";
    assert_int_equal(kf_text_normalize_t2s(in, strlen(in), t2s, a, &out, &n, NULL), KF_OK);
    assert_string_equal(out, "我的订单到哪了 请帮我查询 iphone");
    assert_int_equal(kf_text_normalize(in, strlen(in), a, &out, &n, NULL), KF_OK);
    assert_string_equal(out, "我的訂單到哪了 請幫我查詢 iphone");

    struct kf_feature_params p = kf_feature_default_params();
    p.t2s = 1;
    p.t2s_table = t2s;
    struct kf_fvec x, y;
    assert_int_equal(kf_features_extract("訂單", strlen("訂單"), &p, a, &x, NULL), KF_OK);
    assert_int_equal(kf_features_extract("订单", strlen("订单"), &p, a, &y, NULL), KF_OK);
    assert_int_equal(x.n, y.n);
    assert_memory_equal(x.h, y.h, x.n * sizeof *x.h);
    /* t2s on without a table is an error, not a silent difference */
    p.t2s_table = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_features_extract("訂單", strlen("訂單"), &p, a, &x, &err), KF_EINVAL);
    kf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_normalise_and_features),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
