/* unit/nlp/pii.c — tests for src/nlp/pii.c: detection with validation, and
 * masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/pii.h"

static struct kf_arena *A;

static const char *mask(const char *in)
{
    char *out;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_mask(in, strlen(in), KF_PII_ALL, A, &out, NULL, NULL, &err), KF_OK);
    return out;
}

static size_t find(const char *in, struct kf_pii_match *m)
{
    return kf_pii_find(in, strlen(in), KF_PII_ALL, m, 8);
}

static void test_id_cards(void **state)
{
    (void)state;
    struct kf_pii_match m[8];
    assert_int_equal(find("身份证11010519491231002X谢谢", m), 1);
    assert_int_equal(m[0].type, KF_PII_ID_CARD);
    assert_string_equal(mask("身份证11010519491231002X谢谢"), "身份证110105********002X谢谢");
    assert_string_equal(mask("id 440304199001011233"), "id 440304********1233");
    /* wrong check character, impossible date, or glued to letters: left alone */
    assert_string_equal(mask("440304199001011234"), "440304199001011234");
    assert_string_equal(mask("440304199013011233 x"), "440304199013011233 x");
    assert_string_equal(mask("A440304199001011233"), "A440304199001011233");
}

static void test_bank_cards(void **state)
{
    (void)state;
    assert_string_equal(mask("卡号 6212261202000000001"), "卡号 ***************0001");
    assert_string_equal(mask("card 4111 1111 1111 1111 thanks"), "card **** **** **** 1111 thanks");
    assert_string_equal(mask("4111-1111-1111-1111"), "****-****-****-1111");
    assert_string_equal(mask("4111 1111 1111 1112"), "4111 1111 1111 1112"); /* Luhn fails */
    /* Luhn-valid numbers that are no card: a timestamp, an order number */
    assert_string_equal(mask("ref 1795613859630"), "ref 1795613859630");
    assert_string_equal(mask("order 2026110100000002"), "order 2026110100000002");
}

static void test_phones(void **state)
{
    (void)state;
    assert_string_equal(mask("电话13812345678"), "电话138****5678");
    assert_string_equal(mask("call +8613812345678 now"), "call +86138****5678 now");
    assert_string_equal(mask("+44 2071234567"), "+44 2071234567"); /* a space splits it */
    assert_string_equal(mask("+442071234567"), "+4420****4567");
    /* order ids and plain numbers are not phones */
    assert_string_equal(mask("订单DS13812345678"), "订单DS13812345678");
    assert_string_equal(mask("订单 20261101001 到了吗"), "订单 20261101001 到了吗");
    assert_string_equal(mask("12812345678"), "12812345678"); /* 12x is not a mobile prefix */
    assert_string_equal(mask("价格199元, 2 件"), "价格199元, 2 件");
}

static void test_emails(void **state)
{
    (void)state;
    assert_string_equal(mask("邮箱 zhang.san@example.com 谢谢"), "邮箱 z********@example.com 谢谢");
    assert_string_equal(mask("mail me: a@b.cn."), "mail me: a@b.cn.");
    assert_string_equal(mask("x@localhost"), "x@localhost"); /* no dot in the domain */
    assert_string_equal(mask("@@@"), "@@@");
}

static void test_several_and_types(void **state)
{
    (void)state;
    const char *in = "我叫张三,电话13812345678,邮箱 zs@qq.com,身份证11010519491231002X";
    struct kf_pii_match m[8];
    assert_int_equal(find(in, m), 3);
    assert_int_equal(m[0].type, KF_PII_PHONE);
    assert_int_equal(m[1].type, KF_PII_EMAIL);
    assert_int_equal(m[2].type, KF_PII_ID_CARD);
    char *out;
    size_t count;
    struct kf_err err = {0};
    assert_int_equal(kf_pii_mask(in, strlen(in), KF_PII_PHONE, A, &out, NULL, &count, &err), KF_OK);
    assert_int_equal(count, 1);
    assert_non_null(strstr(out, "zs@qq.com")); /* only phones were asked for */
    unsigned t;
    assert_int_equal(kf_pii_parse_types("phone, email", &t, &err), KF_OK);
    assert_int_equal(t, KF_PII_PHONE | KF_PII_EMAIL);
    assert_int_equal(kf_pii_parse_types("none", &t, &err), KF_OK);
    assert_int_equal(t, 0);
    assert_int_equal(kf_pii_parse_types("phone,passport", &t, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "passport"));
    /* nothing to mask: same text; empty text */
    assert_string_equal(mask("hello 你好"), "hello 你好");
    assert_string_equal(mask(""), "");
}

static int setup(void **state)
{
    (void)state;
    A = kf_arena_new(0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kf_arena_free(A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_cards),   cmocka_unit_test(test_bank_cards),
        cmocka_unit_test(test_phones),     cmocka_unit_test(test_emails),
        cmocka_unit_test(test_several_and_types),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
