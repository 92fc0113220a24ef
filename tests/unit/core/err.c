/* unit/core/err.c — tests for src/core/err.c (codes, names, messages, kf_err). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/err.h"

static void test_names_and_messages_follow_the_table(void **state)
{
    (void)state;
    assert_string_equal(kf_err_name(KF_OK), "OK");
    assert_string_equal(kf_strerror(KF_OK), "success");
    int seen = 0;
#define CHECK(name, val, msg)                                  \
    assert_int_equal(KF_##name, val);                          \
    assert_true(KF_##name < 0);                                \
    assert_string_equal(kf_err_name(KF_##name), #name);       \
    assert_string_equal(kf_strerror(KF_##name), msg);          \
    seen++;
    KF_ERR_MAP(CHECK)
#undef CHECK
    assert_int_equal(seen, 15);
    assert_string_equal(kf_err_name(KF_EINVAL), "EINVAL");
    assert_string_equal(kf_strerror(KF_EUTF8), "invalid UTF-8");
    assert_string_equal(kf_strerror(KF_ENOTFOUND), "not found");
}

static void test_codes_are_distinct(void **state)
{
    (void)state;
    const int codes[] = {
#define LIST(name, val, msg) KF_##name,
        KF_ERR_MAP(LIST)
#undef LIST
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(codes[i], codes[j]);
}

static void test_unknown_codes(void **state)
{
    (void)state;
    assert_string_equal(kf_err_name(1), "UNKNOWN");
    assert_string_equal(kf_err_name(-16), "UNKNOWN");
    assert_string_equal(kf_err_name(-1000), "UNKNOWN");
    assert_string_equal(kf_strerror(42), "unknown error");
    assert_string_equal(kf_strerror(-16), "unknown error");
}

static void test_errorf_records_code_and_detail(void **state)
{
    (void)state;
    struct kf_err e;
    kf_err_clear(&e);
    int rc = kf_errorf(&e, KF_ECONFIG, "%s:%d: %s", "kefu.yaml", 12, "server.port");
    assert_int_equal(rc, KF_ECONFIG);
    assert_int_equal(e.code, KF_ECONFIG);
    assert_string_equal(e.msg, "kefu.yaml:12: server.port");
    /* a second error replaces the first */
    rc = kf_errorf(&e, KF_EIO, "disk %s", "full");
    assert_int_equal(rc, KF_EIO);
    assert_int_equal(e.code, KF_EIO);
    assert_string_equal(e.msg, "disk full");
}

static void test_errorf_with_null_err_returns_code(void **state)
{
    (void)state;
    assert_int_equal(kf_errorf(NULL, KF_ENOMEM, "x %d", 1), KF_ENOMEM);
    assert_int_equal(kf_err_prefix(NULL, "ctx"), KF_OK);
    kf_err_clear(NULL); /* no crash */
}

static void test_errorf_truncates_long_detail(void **state)
{
    (void)state;
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct kf_err e;
    assert_int_equal(kf_errorf(&e, KF_ETOOBIG, "%s", big), KF_ETOOBIG);
    assert_int_equal(strlen(e.msg), KF_ERR_MSG_MAX - 1);
    assert_int_equal(e.msg[0], 'a');
    assert_int_equal(e.msg[KF_ERR_MSG_MAX - 2], 'a');
}

static void test_prefix_adds_context(void **state)
{
    (void)state;
    struct kf_err e;
    kf_errorf(&e, KF_ESTORE, "disk I/O error");
    int rc = kf_err_prefix(&e, "migration %d (%s)", 1, "core");
    assert_int_equal(rc, KF_ESTORE);
    assert_int_equal(e.code, KF_ESTORE);
    assert_string_equal(e.msg, "migration 1 (core): disk I/O error");
    kf_err_prefix(&e, "outer");
    assert_string_equal(e.msg, "outer: migration 1 (core): disk I/O error");
}

static void test_prefix_truncates_and_terminates(void **state)
{
    (void)state;
    struct kf_err e;
    char old[KF_ERR_MSG_MAX];
    memset(old, 'o', sizeof old - 1);
    old[sizeof old - 1] = '\0';
    kf_errorf(&e, KF_EPARSE, "%s", old);
    assert_int_equal(strlen(e.msg), KF_ERR_MSG_MAX - 1);
    kf_err_prefix(&e, "ctx");
    assert_int_equal(strlen(e.msg), KF_ERR_MSG_MAX - 1);
    assert_memory_equal(e.msg, "ctx: ooo", 8);
    assert_int_equal(e.code, KF_EPARSE);

    /* a prefix longer than the buffer */
    char head[KF_ERR_MSG_MAX * 2];
    memset(head, 'h', sizeof head - 1);
    head[sizeof head - 1] = '\0';
    kf_err_prefix(&e, "%s", head);
    assert_int_equal(strlen(e.msg), KF_ERR_MSG_MAX - 1);
    assert_int_equal(e.msg[0], 'h');
}

static void test_clear(void **state)
{
    (void)state;
    struct kf_err e;
    kf_errorf(&e, KF_EBUSY, "busy now");
    kf_err_clear(&e);
    assert_int_equal(e.code, KF_OK);
    assert_string_equal(e.msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_messages_follow_the_table),
        cmocka_unit_test(test_codes_are_distinct),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_errorf_records_code_and_detail),
        cmocka_unit_test(test_errorf_with_null_err_returns_code),
        cmocka_unit_test(test_errorf_truncates_long_detail),
        cmocka_unit_test(test_prefix_adds_context),
        cmocka_unit_test(test_prefix_truncates_and_terminates),
        cmocka_unit_test(test_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
