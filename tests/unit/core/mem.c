/* unit/core/mem.c — tests for src/core/mem.c (allocation wrapper and failure injection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/mem.h"

static int reset(void **state)
{
    (void)state;
    kf_mem_fail_after(0);
    return 0;
}

static void test_malloc_and_zero_size(void **state)
{
    (void)state;
    char *p = kf_malloc(10);
    assert_non_null(p);
    memset(p, 'x', 10);
    kf_free(p);
    void *z = kf_malloc(0); /* never NULL for size 0 */
    assert_non_null(z);
    kf_free(z);
    kf_free(NULL);
}

static void test_calloc_zeroes_and_rejects_overflow(void **state)
{
    (void)state;
    long long *v = kf_calloc(100, sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i], 0);
    kf_free(v);
    assert_null(kf_calloc(SIZE_MAX / 2, 3));
    assert_null(kf_calloc(3, SIZE_MAX / 2));
    assert_null(kf_calloc(SIZE_MAX, SIZE_MAX));
    void *z = kf_calloc(0, 0);
    assert_non_null(z);
    kf_free(z);
}

static void test_realloc_keeps_contents(void **state)
{
    (void)state;
    char *p = kf_realloc(NULL, 4);
    assert_non_null(p);
    memcpy(p, "abc", 4);
    p = kf_realloc(p, 100000);
    assert_non_null(p);
    assert_string_equal(p, "abc");
    p = kf_realloc(p, 2);
    assert_non_null(p);
    assert_memory_equal(p, "ab", 2);
    kf_free(p);
}

static void test_strdup_and_strndup(void **state)
{
    (void)state;
    char *a = kf_strdup("客服 kefu");
    assert_non_null(a);
    assert_string_equal(a, "客服 kefu");
    kf_free(a);
    char *b = kf_strndup("abcdef", 3);
    assert_string_equal(b, "abc");
    kf_free(b);
    char *c = kf_strndup("ab", 100); /* n past the end: whole string */
    assert_string_equal(c, "ab");
    kf_free(c);
    char *d = kf_strndup("abc", 0);
    assert_non_null(d);
    assert_string_equal(d, "");
    kf_free(d);
    char *e = kf_strdup("");
    assert_non_null(e);
    assert_string_equal(e, "");
    kf_free(e);
}

static void test_fail_after_fails_exactly_the_nth(void **state)
{
    (void)state;
    kf_mem_fail_after(3);
    void *a = kf_malloc(8);
    void *b = kf_calloc(1, 8);
    void *c = kf_realloc(NULL, 8); /* the third: fails */
    void *d = kf_malloc(8);        /* one-shot: later ones succeed */
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_non_null(d);
    kf_free(a);
    kf_free(b);
    kf_free(d);
}

static void test_fail_after_one_and_strings(void **state)
{
    (void)state;
    kf_mem_fail_after(1);
    assert_null(kf_strdup("x"));
    char *p = kf_strdup("x");
    assert_non_null(p);
    kf_free(p);
    kf_mem_fail_after(1);
    assert_null(kf_strndup("abc", 2));
    kf_mem_fail_after(1);
    assert_null(kf_calloc(2, 2));
}

static void test_fail_after_zero_or_negative_disables(void **state)
{
    (void)state;
    kf_mem_fail_after(2);
    kf_mem_fail_after(0);
    for (int i = 0; i < 5; i++) {
        void *p = kf_malloc(1);
        assert_non_null(p);
        kf_free(p);
    }
    kf_mem_fail_after(-5);
    for (int i = 0; i < 5; i++) {
        void *p = kf_malloc(1);
        assert_non_null(p);
        kf_free(p);
    }
}

static void test_fail_after_counts_allocations(void **state)
{
    (void)state;
    kf_mem_fail_after(0);
    void *p[5];
    p[0] = kf_malloc(1);
    p[1] = kf_calloc(1, 1);
    p[2] = kf_realloc(NULL, 1);
    p[3] = kf_strdup("a");
    p[4] = kf_strndup("ab", 1);
    assert_int_equal(kf_mem_fail_after(0), 5);
    assert_int_equal(kf_mem_fail_after(0), 0); /* the count was reset */
    for (int i = 0; i < 5; i++)
        kf_free(p[i]);
    /* a failed allocation still counts */
    kf_mem_fail_after(1);
    assert_null(kf_malloc(1));
    assert_int_equal(kf_mem_fail_after(0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_malloc_and_zero_size, reset, reset),
        cmocka_unit_test_setup_teardown(test_calloc_zeroes_and_rejects_overflow, reset, reset),
        cmocka_unit_test_setup_teardown(test_realloc_keeps_contents, reset, reset),
        cmocka_unit_test_setup_teardown(test_strdup_and_strndup, reset, reset),
        cmocka_unit_test_setup_teardown(test_fail_after_fails_exactly_the_nth, reset, reset),
        cmocka_unit_test_setup_teardown(test_fail_after_one_and_strings, reset, reset),
        cmocka_unit_test_setup_teardown(test_fail_after_zero_or_negative_disables, reset, reset),
        cmocka_unit_test_setup_teardown(test_fail_after_counts_allocations, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
