/* unit/core/map.c — tests for src/core/map.c (string-keyed hash map). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kefu/err.h"
#include "kefu/map.h"
#include "kefu/mem.h"

#define K(s) (s), strlen(s)
#define V(i) ((void *)(uintptr_t)(i))

static int reset_mem(void **state)
{
    (void)state;
    kf_mem_fail_after(0);
    return 0;
}

static void test_put_get_replace(void **state)
{
    (void)state;
    struct kf_map *m = kf_map_new(0);
    assert_non_null(m);
    assert_int_equal(kf_map_len(m), 0);
    assert_null(kf_map_get(m, K("a")));
    void *old = V(99);
    assert_int_equal(kf_map_put(m, K("a"), V(1), &old), KF_OK);
    assert_null(old);
    assert_int_equal(kf_map_put(m, K("客服"), V(2), NULL), KF_OK);
    assert_ptr_equal(kf_map_get(m, K("a")), V(1));
    assert_ptr_equal(kf_map_get(m, K("客服")), V(2));
    assert_int_equal(kf_map_len(m), 2);
    /* replace */
    assert_int_equal(kf_map_put(m, K("a"), V(3), &old), KF_OK);
    assert_ptr_equal(old, V(1));
    assert_ptr_equal(kf_map_get(m, K("a")), V(3));
    assert_int_equal(kf_map_len(m), 2);
    kf_map_free(m);
    kf_map_free(NULL);
}

static void test_keys_are_copied_and_length_counted(void **state)
{
    (void)state;
    struct kf_map *m = kf_map_new(4);
    char key[16];
    snprintf(key, sizeof key, "order");
    kf_map_put(m, key, 5, V(1), NULL);
    memset(key, 'z', 5); /* the map kept its own copy */
    assert_ptr_equal(kf_map_get(m, K("order")), V(1));
    assert_null(kf_map_get(m, "zzzzz", 5));
    /* prefixes and embedded NULs are distinct keys */
    kf_map_put(m, "ord", 3, V(2), NULL);
    kf_map_put(m, "a\0b", 3, V(3), NULL);
    kf_map_put(m, "a", 1, V(4), NULL);
    kf_map_put(m, "", 0, V(5), NULL);
    assert_ptr_equal(kf_map_get(m, "order", 3), V(2));
    assert_ptr_equal(kf_map_get(m, "a\0b", 3), V(3));
    assert_ptr_equal(kf_map_get(m, "a\0c", 3), NULL);
    assert_ptr_equal(kf_map_get(m, "a", 1), V(4));
    assert_ptr_equal(kf_map_get(m, "", 0), V(5));
    assert_int_equal(kf_map_len(m), 5);
    kf_map_free(m);
}

static void test_delete(void **state)
{
    (void)state;
    struct kf_map *m = kf_map_new(0);
    kf_map_put(m, K("x"), V(1), NULL);
    kf_map_put(m, K("y"), V(2), NULL);
    assert_ptr_equal(kf_map_del(m, K("x")), V(1));
    assert_null(kf_map_get(m, K("x")));
    assert_ptr_equal(kf_map_get(m, K("y")), V(2));
    assert_int_equal(kf_map_len(m), 1);
    assert_null(kf_map_del(m, K("x")));       /* already gone */
    assert_null(kf_map_del(m, K("missing"))); /* never there */
    assert_int_equal(kf_map_len(m), 1);
    /* re-insert after delete */
    assert_int_equal(kf_map_put(m, K("x"), V(7), NULL), KF_OK);
    assert_ptr_equal(kf_map_get(m, K("x")), V(7));
    assert_int_equal(kf_map_len(m), 2);
    kf_map_free(m);
}

static void test_many_keys_grow(void **state)
{
    (void)state;
    struct kf_map *m = kf_map_new(0);
    char k[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "key-%d", i);
        assert_int_equal(kf_map_put(m, K(k), V(i + 1), NULL), KF_OK);
    }
    assert_int_equal(kf_map_len(m), 20000);
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "key-%d", i);
        assert_ptr_equal(kf_map_get(m, K(k)), V(i + 1));
    }
    snprintf(k, sizeof k, "key-%d", 20000);
    assert_null(kf_map_get(m, K(k)));
    /* delete the even ones */
    for (int i = 0; i < 20000; i += 2) {
        snprintf(k, sizeof k, "key-%d", i);
        assert_ptr_equal(kf_map_del(m, K(k)), V(i + 1));
    }
    assert_int_equal(kf_map_len(m), 10000);
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "key-%d", i);
        if (i % 2)
            assert_ptr_equal(kf_map_get(m, K(k)), V(i + 1));
        else
            assert_null(kf_map_get(m, K(k)));
    }
    kf_map_free(m);
}

static void test_churn_with_tombstones(void **state)
{
    (void)state;
    /* insert/delete many distinct keys in a small map: tombstones must be
     * recycled, lookups must terminate and stay correct */
    struct kf_map *m = kf_map_new(2);
    char k[32];
    kf_map_put(m, K("stay"), V(1), NULL);
    for (int i = 0; i < 50000; i++) {
        snprintf(k, sizeof k, "tmp-%d", i);
        assert_int_equal(kf_map_put(m, K(k), V(i + 2), NULL), KF_OK);
        assert_ptr_equal(kf_map_del(m, K(k)), V(i + 2));
        assert_null(kf_map_get(m, K(k)));
    }
    assert_int_equal(kf_map_len(m), 1);
    assert_ptr_equal(kf_map_get(m, K("stay")), V(1));
    assert_null(kf_map_get(m, K("tmp-7")));
    kf_map_free(m);
}

static void test_iterate(void **state)
{
    (void)state;
    struct kf_map *m = kf_map_new(0);
    size_t pos = 0;
    const char *key;
    size_t klen;
    void *val;
    assert_int_equal(kf_map_next(m, &pos, &key, &klen, &val), 0);

    char k[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "k%d", i);
        kf_map_put(m, K(k), V(i + 1), NULL);
    }
    kf_map_del(m, K("k50"));
    int seen[100] = {0};
    size_t count = 0;
    pos = 0;
    while (kf_map_next(m, &pos, &key, &klen, &val)) {
        int i = (int)(uintptr_t)val - 1;
        assert_true(i >= 0 && i < 100);
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(klen, strlen(k));
        assert_memory_equal(key, k, klen);
        assert_int_equal(key[klen], '\0');
        seen[i]++;
        count++;
    }
    assert_int_equal(count, 99);
    for (int i = 0; i < 100; i++)
        assert_int_equal(seen[i], i == 50 ? 0 : 1);
    /* exhausted stays exhausted; klen and val may be NULL */
    assert_int_equal(kf_map_next(m, &pos, &key, NULL, NULL), 0);
    pos = 0;
    count = 0;
    while (kf_map_next(m, &pos, &key, NULL, NULL))
        count++;
    assert_int_equal(count, 99);
    kf_map_free(m);
}

static void test_hash64_is_fnv1a(void **state)
{
    (void)state;
    assert_true(kf_hash64("", 0) == 0xcbf29ce484222325ULL);
    assert_true(kf_hash64("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(kf_hash64("foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(kf_hash64("ab", 2) != kf_hash64("ba", 2));
}

static void test_allocation_failures(void **state)
{
    (void)state;
    kf_mem_fail_after(1);
    assert_null(kf_map_new(0));
    kf_mem_fail_after(2); /* the slots array */
    assert_null(kf_map_new(0));
    kf_mem_fail_after(0);

    struct kf_map *m = kf_map_new(0);
    kf_map_put(m, K("a"), V(1), NULL);
    kf_mem_fail_after(1);
    assert_int_equal(kf_map_put(m, K("b"), V(2), NULL), KF_ENOMEM);
    assert_int_equal(kf_map_len(m), 1);
    assert_null(kf_map_get(m, K("b")));
    /* replacing needs no memory */
    kf_mem_fail_after(1);
    assert_int_equal(kf_map_put(m, K("a"), V(3), NULL), KF_OK);
    kf_mem_fail_after(0);
    assert_ptr_equal(kf_map_get(m, K("a")), V(3));

    /* every put can fail (on the key copy or on a resize) without losing
     * anything; the retry then succeeds */
    char k[32];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "n%d", i);
        size_t before = kf_map_len(m);
        kf_mem_fail_after(1);
        assert_int_equal(kf_map_put(m, K(k), V(i + 10), NULL), KF_ENOMEM);
        kf_mem_fail_after(0);
        assert_int_equal(kf_map_len(m), before);
        assert_null(kf_map_get(m, K(k)));
        assert_int_equal(kf_map_put(m, K(k), V(i + 10), NULL), KF_OK);
    }
    assert_int_equal(kf_map_len(m), 201);
    for (int j = 0; j < 200; j++) {
        snprintf(k, sizeof k, "n%d", j);
        assert_ptr_equal(kf_map_get(m, K(k)), V(j + 10));
    }
    kf_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_put_get_replace, reset_mem),
        cmocka_unit_test_teardown(test_keys_are_copied_and_length_counted, reset_mem),
        cmocka_unit_test_teardown(test_delete, reset_mem),
        cmocka_unit_test_teardown(test_many_keys_grow, reset_mem),
        cmocka_unit_test_teardown(test_churn_with_tombstones, reset_mem),
        cmocka_unit_test_teardown(test_iterate, reset_mem),
        cmocka_unit_test_teardown(test_hash64_is_fnv1a, reset_mem),
        cmocka_unit_test_teardown(test_allocation_failures, reset_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
