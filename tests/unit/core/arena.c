/*
 * unit/core/arena.c — tests for src/core/arena.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/mem.h"

static void test_alloc_aligned_and_distinct(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(256, 0);
    assert_non_null(a);
    char *p = kf_arena_alloc(a, 3);
    char *q = kf_arena_alloc(a, 5);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_int_equal((uintptr_t)q % 16, 0);
    assert_true(q >= p + 16 || p >= q + 16);
    /* larger than a block: gets its own chunk */
    char *big = kf_arena_alloc(a, 10000);
    assert_non_null(big);
    memset(big, 'x', 10000);
    assert_int_equal(kf_arena_used(a), 16 + 16 + 10000);
    kf_arena_free(a);
}

static void test_cap_is_enforced(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(128, 1024);
    assert_non_null(kf_arena_alloc(a, 1000));
    assert_null(kf_arena_alloc(a, 100));  /* would pass 1024 */
    assert_non_null(kf_arena_alloc(a, 16)); /* still fits */
    assert_null(kf_arena_alloc(a, SIZE_MAX));
    kf_arena_reset(a);
    assert_int_equal(kf_arena_used(a), 0);
    assert_non_null(kf_arena_alloc(a, 1000));
    kf_arena_free(a);
}

static void test_strings(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(0, 0);
    assert_string_equal(kf_arena_strdup(a, "客服"), "客服");
    assert_string_equal(kf_arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(kf_arena_printf(a, "%d-%s", 42, "x"), "42-x");
    int *z = kf_arena_calloc(a, 10, sizeof *z);
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    assert_null(kf_arena_calloc(a, SIZE_MAX / 2, 4));
    kf_arena_free(a);
    kf_arena_free(NULL);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    struct kf_arena *a = kf_arena_new(256, 0);
    kf_mem_fail_after(1); /* the first chunk allocation fails */
    assert_null(kf_arena_alloc(a, 8));
    kf_mem_fail_after(0);
    assert_non_null(kf_arena_alloc(a, 8));
    kf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_and_distinct),
        cmocka_unit_test(test_cap_is_enforced),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
