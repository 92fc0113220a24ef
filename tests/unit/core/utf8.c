/* unit/core/utf8.c — tests for src/core/utf8.c (strict UTF-8 helpers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kefu/utf8.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_decode_valid(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(kf_utf8_decode(S("A"), &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(kf_utf8_decode(S("\x7f"), &cp), 1);
    assert_int_equal(cp, 0x7F);
    assert_int_equal(kf_utf8_decode(S("\xc2\x80"), &cp), 2);
    assert_int_equal(cp, 0x80);
    assert_int_equal(kf_utf8_decode(S("é"), &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(kf_utf8_decode(S("\xdf\xbf"), &cp), 2);
    assert_int_equal(cp, 0x7FF);
    assert_int_equal(kf_utf8_decode(S("\xe0\xa0\x80"), &cp), 3);
    assert_int_equal(cp, 0x800);
    assert_int_equal(kf_utf8_decode(S("客服"), &cp), 3); /* only the first */
    assert_int_equal(cp, 0x5BA2);
    assert_int_equal(kf_utf8_decode(S("\xef\xbf\xbf"), &cp), 3);
    assert_int_equal(cp, 0xFFFF);
    assert_int_equal(kf_utf8_decode(S("\xf0\x90\x80\x80"), &cp), 4);
    assert_int_equal(cp, 0x10000);
    assert_int_equal(kf_utf8_decode(S("😀"), &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(kf_utf8_decode(S("\xf4\x8f\xbf\xbf"), &cp), 4);
    assert_int_equal(cp, 0x10FFFF);
    /* NUL is a valid code point for decode */
    assert_int_equal(kf_utf8_decode("\0", 1, &cp), 1);
    assert_int_equal(cp, 0);
}

static void test_decode_invalid(void **state)
{
    (void)state;
    uint32_t cp = 12345;
    assert_int_equal(kf_utf8_decode("", 0, &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\x80"), &cp), -1);         /* lone continuation */
    assert_int_equal(kf_utf8_decode(S("\xbf"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xc0\x80"), &cp), -1);     /* overlong NUL */
    assert_int_equal(kf_utf8_decode(S("\xc1\xbf"), &cp), -1);     /* overlong */
    assert_int_equal(kf_utf8_decode(S("\xe0\x80\x80"), &cp), -1); /* overlong 3-byte */
    assert_int_equal(kf_utf8_decode(S("\xe0\x9f\xbf"), &cp), -1); /* overlong U+07FF */
    assert_int_equal(kf_utf8_decode(S("\xf0\x80\x80\x80"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xf0\x8f\xbf\xbf"), &cp), -1); /* overlong U+FFFF */
    assert_int_equal(kf_utf8_decode(S("\xed\xa0\x80"), &cp), -1);     /* U+D800 */
    assert_int_equal(kf_utf8_decode(S("\xed\xbf\xbf"), &cp), -1);     /* U+DFFF */
    assert_int_equal(kf_utf8_decode(S("\xf4\x90\x80\x80"), &cp), -1); /* U+110000 */
    assert_int_equal(kf_utf8_decode(S("\xf5\x80\x80\x80"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xf8\x88\x80\x80\x80"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xfe"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xff"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xe5\xae"), &cp), -1);        /* truncated */
    assert_int_equal(kf_utf8_decode("\xe5\xae\xa2", 2, &cp), -1);    /* len too short */
    assert_int_equal(kf_utf8_decode(S("\xf0\x9f\x98"), &cp), -1);
    assert_int_equal(kf_utf8_decode(S("\xe5\x41\xa2"), &cp), -1);    /* bad continuation */
    assert_int_equal(kf_utf8_decode(S("\xc3\xc3"), &cp), -1);
    assert_int_equal(cp, 12345); /* untouched on error */
}

static void test_valid_and_valid_text(void **state)
{
    (void)state;
    assert_true(kf_utf8_valid("", 0));
    assert_true(kf_utf8_valid(S("hello")));
    assert_true(kf_utf8_valid(S("退货运费谁出? Who pays? 😀 é")));
    assert_false(kf_utf8_valid(S("ok\xff")));
    assert_false(kf_utf8_valid(S("\xed\xa0\x80")));
    assert_false(kf_utf8_valid(S("abc\xe5\xae")));     /* truncated at the end */
    assert_true(kf_utf8_valid("abc\xe5\xae\xa2", 3)); /* the length is what counts */
    assert_false(kf_utf8_valid(S("\xc0\xaf")));
    /* NUL: fine for valid, not for valid_text */
    assert_true(kf_utf8_valid("a\0b", 3));
    assert_false(kf_utf8_valid_text("a\0b", 3));
    assert_true(kf_utf8_valid_text(S("a客b")));
    assert_false(kf_utf8_valid_text(S("a\xff")));
    assert_true(kf_utf8_valid_text("", 0));
}

static void test_encode(void **state)
{
    (void)state;
    char out[4];
    assert_int_equal(kf_utf8_encode('A', out), 1);
    assert_memory_equal(out, "A", 1);
    assert_int_equal(kf_utf8_encode(0, out), 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(kf_utf8_encode(0x7F, out), 1);
    assert_int_equal(kf_utf8_encode(0x80, out), 2);
    assert_memory_equal(out, "\xc2\x80", 2);
    assert_int_equal(kf_utf8_encode(0x7FF, out), 2);
    assert_memory_equal(out, "\xdf\xbf", 2);
    assert_int_equal(kf_utf8_encode(0x800, out), 3);
    assert_memory_equal(out, "\xe0\xa0\x80", 3);
    assert_int_equal(kf_utf8_encode(0x5BA2, out), 3);
    assert_memory_equal(out, "客", 3);
    assert_int_equal(kf_utf8_encode(0xFFFF, out), 3);
    assert_int_equal(kf_utf8_encode(0x1F600, out), 4);
    assert_memory_equal(out, "😀", 4);
    assert_int_equal(kf_utf8_encode(0x10FFFF, out), 4);
    assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);
    /* not scalar values */
    assert_int_equal(kf_utf8_encode(0xD800, out), 0);
    assert_int_equal(kf_utf8_encode(0xDFFF, out), 0);
    assert_int_equal(kf_utf8_encode(0x110000, out), 0);
    assert_int_equal(kf_utf8_encode(0xFFFFFFFF, out), 0);
}

static void test_encode_decode_round_trip(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x3000 ? 1 : 97)) {
        char out[4];
        int n = kf_utf8_encode(cp, out);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_true(n >= 1 && n <= 4);
        uint32_t back = 0;
        assert_int_equal(kf_utf8_decode(out, (size_t)n, &back), n);
        assert_int_equal(back, cp);
        assert_true(kf_utf8_valid(out, (size_t)n));
    }
}

static void test_count(void **state)
{
    (void)state;
    assert_int_equal(kf_utf8_count("", 0), 0);
    assert_int_equal(kf_utf8_count(S("abc")), 3);
    assert_int_equal(kf_utf8_count(S("a客😀é")), 4);
    assert_int_equal(kf_utf8_count(S("退货运费谁出")), 6);
    /* invalid bytes count as one each */
    assert_int_equal(kf_utf8_count(S("\xff\xfe")), 2);
    assert_int_equal(kf_utf8_count(S("a\xe5\xae")), 3);
    assert_int_equal(kf_utf8_count(S("\x80客")), 2);
}

static void test_truncate(void **state)
{
    (void)state;
    const char *s = "客服"; /* 6 bytes */
    assert_int_equal(kf_utf8_truncate(s, 6, 10), 6);
    assert_int_equal(kf_utf8_truncate(s, 6, 6), 6);
    assert_int_equal(kf_utf8_truncate(s, 6, 5), 3);
    assert_int_equal(kf_utf8_truncate(s, 6, 4), 3);
    assert_int_equal(kf_utf8_truncate(s, 6, 3), 3);
    assert_int_equal(kf_utf8_truncate(s, 6, 2), 0);
    assert_int_equal(kf_utf8_truncate(s, 6, 0), 0);
    assert_int_equal(kf_utf8_truncate(S("abcdef"), 4), 4);
    const char *e = "a😀b"; /* 1 + 4 + 1 */
    assert_int_equal(kf_utf8_truncate(e, 6, 1), 1);
    assert_int_equal(kf_utf8_truncate(e, 6, 2), 1);
    assert_int_equal(kf_utf8_truncate(e, 6, 4), 1);
    assert_int_equal(kf_utf8_truncate(e, 6, 5), 5);
    /* the result is always a valid prefix of valid input */
    const char *mix = "退货 return 运费 😀 fee";
    size_t len = strlen(mix);
    for (size_t max = 0; max <= len; max++) {
        size_t n = kf_utf8_truncate(mix, len, max);
        assert_true(n <= max);
        assert_true(kf_utf8_valid(mix, n));
        assert_true(max - n < 4);
    }
}

static void test_is_han(void **state)
{
    (void)state;
    assert_true(kf_utf8_is_han(0x4E00));  /* 一 */
    assert_true(kf_utf8_is_han(0x5BA2));  /* 客 */
    assert_true(kf_utf8_is_han(0x9FFF));
    assert_true(kf_utf8_is_han(0x3400));  /* extension A */
    assert_true(kf_utf8_is_han(0x4DBF));
    assert_true(kf_utf8_is_han(0x20000)); /* extension B */
    assert_true(kf_utf8_is_han(0x2A700)); /* extension C */
    assert_true(kf_utf8_is_han(0x30000)); /* extension G */
    assert_true(kf_utf8_is_han(0xF900));  /* compatibility ideographs */
    assert_true(kf_utf8_is_han(0xFAFF));
    assert_true(kf_utf8_is_han(0x2F800)); /* compatibility ideographs supplement */
    assert_true(kf_utf8_is_han(0x31350)); /* extension H (Unicode 15) */
    assert_false(kf_utf8_is_han('a'));
    assert_false(kf_utf8_is_han('1'));
    assert_false(kf_utf8_is_han(0x3000));  /* ideographic space */
    assert_false(kf_utf8_is_han(0x3002));  /* 。 */
    assert_false(kf_utf8_is_han(0xFF0C));  /* ， */
    assert_false(kf_utf8_is_han(0x3042));  /* hiragana あ */
    assert_false(kf_utf8_is_han(0x30A2));  /* katakana ア */
    assert_false(kf_utf8_is_han(0xAC00));  /* hangul 가 */
    assert_false(kf_utf8_is_han(0x1F600)); /* emoji */
    assert_false(kf_utf8_is_han(0x4DC0));  /* Yijing hexagram, between A and the main block */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_invalid),
        cmocka_unit_test(test_valid_and_valid_text),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_encode_decode_round_trip),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_is_han),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
