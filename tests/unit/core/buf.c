/* unit/core/buf.c — tests for src/core/buf.c (bounded growable buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/buf.h"
#include "kefu/err.h"
#include "kefu/mem.h"

static int reset_mem(void **state)
{
    (void)state;
    kf_mem_fail_after(0);
    return 0;
}

static void test_init_is_empty(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 100);
    kf_buf_release(&b); /* releasing an empty buffer is fine */
    assert_null(b.data);
    assert_int_equal(b.max, 100);
}

static void test_appends_and_terminates(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 1024);
    assert_int_equal(kf_buf_append(&b, "ab\0cd", 5), KF_OK); /* binary-safe */
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "ab\0cd", 6);
    kf_buf_reset(&b);
    assert_int_equal(kf_buf_appends(&b, "客服"), KF_OK);
    assert_int_equal(kf_buf_appendc(&b, '-'), KF_OK);
    assert_int_equal(kf_buf_appendf(&b, "%d:%s", 42, "x"), KF_OK);
    assert_int_equal(kf_buf_append(&b, "zz", 0), KF_OK);
    assert_string_equal(b.data, "客服-42:x");
    assert_int_equal(b.len, strlen("客服-42:x"));
    assert_int_equal(b.data[b.len], '\0');
    kf_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_grows_over_many_appends(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(kf_buf_appendc(&b, (char)('a' + i % 26)), KF_OK);
    assert_int_equal(b.len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    assert_int_equal(b.data[10000], '\0');
    assert_true(b.cap >= b.len + 1);
    kf_buf_release(&b);
}

static void test_max_is_enforced_and_contents_kept(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 5);
    assert_int_equal(kf_buf_appends(&b, "abc"), KF_OK);
    assert_int_equal(kf_buf_appends(&b, "def"), KF_ETOOBIG); /* 6 > 5 */
    assert_string_equal(b.data, "abc");
    assert_int_equal(b.len, 3);
    assert_int_equal(kf_buf_appends(&b, "de"), KF_OK); /* exactly max */
    assert_string_equal(b.data, "abcde");
    assert_int_equal(kf_buf_appendc(&b, 'x'), KF_ETOOBIG);
    assert_int_equal(kf_buf_appendf(&b, "%d", 1), KF_ETOOBIG);
    assert_int_equal(kf_buf_append(&b, "x", SIZE_MAX), KF_ETOOBIG);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(b.len, 5);
    assert_true(b.cap <= b.max + 1); /* never allocates past the cap */
    assert_int_equal(kf_buf_appendf(&b, "%s", ""), KF_OK); /* nothing to add */
    kf_buf_release(&b);
}

static void test_appendf_too_big_keeps_contents(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 10);
    assert_int_equal(kf_buf_appendf(&b, "%s", "12345"), KF_OK);
    assert_int_equal(kf_buf_appendf(&b, "%s-%s", "abc", "def"), KF_ETOOBIG);
    assert_string_equal(b.data, "12345");
    assert_int_equal(b.len, 5);
    kf_buf_release(&b);
}

static void test_zero_max(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 0);
    assert_int_equal(kf_buf_appendc(&b, 'a'), KF_ETOOBIG);
    assert_int_equal(kf_buf_append(&b, "", 0), KF_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    kf_buf_release(&b);
}

static void test_unbounded_max(void **state)
{
    (void)state;
    /* SIZE_MAX means "no practical limit": growing must still work */
    struct kf_buf b;
    kf_buf_init(&b, SIZE_MAX);
    assert_int_equal(kf_buf_appends(&b, "abc"), KF_OK);
    for (int i = 0; i < 200; i++)
        assert_int_equal(kf_buf_appendf(&b, "%03d", i), KF_OK);
    assert_int_equal(b.len, 3 + 600);
    assert_memory_equal(b.data, "abc000001002", 12);
    assert_string_equal(b.data + b.len - 3, "199");
    kf_buf_release(&b);
}

static void test_allocation_failure_keeps_contents(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 1 << 20);
    assert_int_equal(kf_buf_appends(&b, "keep"), KF_OK);
    char big[200];
    memset(big, 'x', sizeof big);
    kf_mem_fail_after(1);
    assert_int_equal(kf_buf_append(&b, big, sizeof big), KF_ENOMEM);
    assert_string_equal(b.data, "keep");
    assert_int_equal(b.len, 4);
    kf_mem_fail_after(1);
    assert_int_equal(kf_buf_appendf(&b, "%.*s", 200, big), KF_ENOMEM);
    assert_string_equal(b.data, "keep");
    kf_mem_fail_after(0);
    assert_int_equal(kf_buf_append(&b, big, sizeof big), KF_OK);
    assert_int_equal(b.len, 204);
    kf_buf_release(&b);

    /* the very first allocation failing leaves the buffer untouched */
    kf_buf_init(&b, 100);
    kf_mem_fail_after(1);
    assert_int_equal(kf_buf_appendc(&b, 'a'), KF_ENOMEM);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    kf_buf_release(&b);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 1000);
    kf_buf_appends(&b, "hello world");
    char *before = b.data;
    size_t cap = b.cap;
    kf_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, before);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    kf_buf_appends(&b, "x");
    assert_string_equal(b.data, "x");
    kf_buf_release(&b);

    struct kf_buf e;
    kf_buf_init(&e, 10);
    kf_buf_reset(&e); /* on a never-used buffer */
    assert_null(e.data);
    assert_int_equal(e.len, 0);
}

static void test_detach(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 100);
    kf_buf_appendf(&b, "id=%d", 7);
    char *s = kf_buf_detach(&b);
    assert_string_equal(s, "id=7");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    kf_free(s);

    /* a fresh buffer detaches as "" (never NULL) */
    char *empty = kf_buf_detach(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    kf_free(empty);

    /* after reset */
    kf_buf_appends(&b, "abc");
    kf_buf_reset(&b);
    char *r = kf_buf_detach(&b);
    assert_string_equal(r, "");
    kf_free(r);

    /* the buffer is reusable after detach */
    assert_int_equal(kf_buf_appends(&b, "again"), KF_OK);
    assert_string_equal(b.data, "again");
    kf_buf_release(&b);

    /* out of memory: NULL */
    kf_mem_fail_after(1);
    assert_null(kf_buf_detach(&b));
}

static int vappend(struct kf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kf_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

static void test_vappendf(void **state)
{
    (void)state;
    struct kf_buf b;
    kf_buf_init(&b, 64);
    assert_int_equal(vappend(&b, "%s=%ld;", "port", 8080L), KF_OK);
    assert_int_equal(vappend(&b, "%c", 'z'), KF_OK);
    assert_string_equal(b.data, "port=8080;z");
    kf_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_init_is_empty, reset_mem),
        cmocka_unit_test_teardown(test_appends_and_terminates, reset_mem),
        cmocka_unit_test_teardown(test_grows_over_many_appends, reset_mem),
        cmocka_unit_test_teardown(test_max_is_enforced_and_contents_kept, reset_mem),
        cmocka_unit_test_teardown(test_appendf_too_big_keeps_contents, reset_mem),
        cmocka_unit_test_teardown(test_zero_max, reset_mem),
        cmocka_unit_test_teardown(test_unbounded_max, reset_mem),
        cmocka_unit_test_teardown(test_allocation_failure_keeps_contents, reset_mem),
        cmocka_unit_test_teardown(test_reset_keeps_memory, reset_mem),
        cmocka_unit_test_teardown(test_detach, reset_mem),
        cmocka_unit_test_teardown(test_vappendf, reset_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
