/* unit/data/cond.c — tests for src/data/cond.c (the condition language of
 * cond.h): precedence, `in`, missing fields, type mismatches, null tests,
 * and every parse error with its column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/cond.h"

/* The subject every evaluation test reads. */
static const char *SUBJECT =
    "{\"lifecycle\":\"dormant\",\"opt_out\":false,\"tier\":\"gold\","
    "\"rfm\":{\"r\":2,\"f\":4,\"segment\":\"at_risk\"},"
    "\"ltv\":{\"historical\":6000.5},"
    "\"churn\":{\"score\":0.65},"
    "\"complaints\":{\"open_tickets\":0},"
    "\"tags\":[\"vip\",\"loyal\"],\"empty\":[],\"name\":\"\",\"zero\":0,\"nothing\":null,"
    "\"prefs\":{\"categories\":[{\"category\":\"phones\",\"score\":9}]},"
    "\"obj\":{\"a\":1},\"obj2\":{\"a\":1},\"zh\":\"高价值\"}";

/* Parse and evaluate `text` against SUBJECT; a parse error fails the test. */
static int eval(const char *text)
{
    json_error_t je;
    json_t *subj = json_loads(SUBJECT, 0, &je);
    assert_non_null(subj);
    struct kf_cond *c = NULL;
    struct kf_err err = {0};
    int rc = kf_cond_parse(text, &c, &err);
    if (rc != 0)
        fail_msg("'%s': %s", text, err.msg);
    int v = kf_cond_eval(c, subj);
    kf_cond_free(c);
    json_decref(subj);
    return v;
}

/* A parse error: KF_EPARSE, message contains `want`, out stays NULL. */
static void bad(const char *text, const char *want)
{
    struct kf_cond *c = (struct kf_cond *)1;
    struct kf_err err = {0};
    int rc = kf_cond_parse(text, &c, &err);
    if (rc != KF_EPARSE)
        fail_msg("'%s': expected KF_EPARSE, got %d (%s)", text, rc, err.msg);
    assert_null(c);
    if (strstr(err.msg, want) == NULL)
        fail_msg("'%s': error '%s' does not contain '%s'", text, err.msg, want);
}

static void test_examples_of_the_header(void **state)
{
    (void)state;
    assert_int_equal(eval("ltv.historical >= 5000 and rfm.f >= 3"), 1);
    assert_int_equal(eval("lifecycle == \"dormant\" and not opt_out"), 1);
    assert_int_equal(eval("churn.score > 0.6 or complaints.open_tickets > 0"), 1);
    assert_int_equal(eval("lifecycle in [\"new\", \"active\"]"), 0);
    assert_int_equal(eval("\"vip\" in tags"), 1);
    assert_int_equal(eval("'vip' in tags && !opt_out"), 1);
}

static void test_precedence(void **state)
{
    (void)state;
    /* and binds tighter than or: true or (false and false) */
    assert_int_equal(eval("rfm.r == 2 or rfm.r == 3 and rfm.f == 1"), 1);
    assert_int_equal(eval("(rfm.r == 2 or rfm.r == 3) and rfm.f == 1"), 0);
    /* not binds tighter than and/or */
    assert_int_equal(eval("not rfm.r == 3 and rfm.f == 4"), 1);
    assert_int_equal(eval("not (rfm.r == 2 and rfm.f == 4)"), 0);
    assert_int_equal(eval("not not opt_out"), 0);
    assert_int_equal(eval("! opt_out || false"), 1);
    assert_int_equal(eval("false or false or true"), 1);
    assert_int_equal(eval("true and true and false"), 0);
    /* a parenthesised condition is a value */
    assert_int_equal(eval("(rfm.r > 1) == true"), 1);
    assert_int_equal(eval("((((rfm.r))))"), 1);
}

static void test_comparisons(void **state)
{
    (void)state;
    assert_int_equal(eval("rfm.r == 2"), 1);
    assert_int_equal(eval("rfm.r != 2"), 0);
    assert_int_equal(eval("rfm.r < 2"), 0);
    assert_int_equal(eval("rfm.r <= 2"), 1);
    assert_int_equal(eval("rfm.r > 1.5"), 1);
    assert_int_equal(eval("rfm.r >= 2.0"), 1);
    assert_int_equal(eval("churn.score > -1"), 1);
    assert_int_equal(eval("ltv.historical == 6000.5"), 1);
    assert_int_equal(eval("ltv.historical > 6e3"), 1);
    assert_int_equal(eval("churn.score < .7"), 1);
    assert_int_equal(eval("tier == 'gold'"), 1);
    assert_int_equal(eval("tier != \"vip\""), 1);
    assert_int_equal(eval("tier < \"silver\""), 1); /* bytewise */
    assert_int_equal(eval("zh == \"高价值\""), 1);
    assert_int_equal(eval("opt_out == false"), 1);
    assert_int_equal(eval("obj == obj2"), 1);
    assert_int_equal(eval("prefs.categories.0.category == \"phones\""), 1);
    assert_int_equal(eval("prefs.categories.1.category == null"), 1);
    assert_int_equal(eval("'it\\'s' == \"it's\""), 1);
    assert_int_equal(eval("\"a\\\\b\" != 'a\\\\c'"), 1);
    assert_int_equal(eval(" rfm.r==2\tand\nrfm.f==4 "), 1);
}

static void test_in(void **state)
{
    (void)state;
    assert_int_equal(eval("lifecycle in [\"dormant\", \"churned\"]"), 1);
    assert_int_equal(eval("lifecycle in ['new']"), 0);
    assert_int_equal(eval("lifecycle in []"), 0);
    assert_int_equal(eval("rfm.r in [1, 2, 3]"), 1);
    assert_int_equal(eval("rfm.r in [\"2\"]"), 0); /* types differ */
    assert_int_equal(eval("\"loyal\" in tags"), 1);
    assert_int_equal(eval("\"new\" in tags"), 0);
    assert_int_equal(eval("\"new\" not in tags"), 1);
    assert_int_equal(eval("lifecycle not in [\"new\", \"active\"]"), 1);
    assert_int_equal(eval("\"x\" in empty"), 0);
    assert_int_equal(eval("\"x\" in missing"), 0);   /* a missing list holds nothing */
    assert_int_equal(eval("\"x\" in lifecycle"), 0); /* not a list */
    assert_int_equal(eval("missing in [\"a\"]"), 0);
    assert_int_equal(eval("missing in [null]"), 1);
    assert_int_equal(eval("opt_out in [false]"), 1);
}

static void test_missing_and_null(void **state)
{
    (void)state;
    assert_int_equal(eval("missing"), 0);
    assert_int_equal(eval("not missing"), 1);
    assert_int_equal(eval("missing.deeper.still > 0"), 0);
    assert_int_equal(eval("missing == 0"), 0);
    assert_int_equal(eval("missing != 0"), 0); /* a comparison with null is false */
    assert_int_equal(eval("missing < 1 or missing >= 1"), 0);
    assert_int_equal(eval("missing == null"), 1);
    assert_int_equal(eval("nothing == null"), 1);
    assert_int_equal(eval("null == missing"), 1);
    assert_int_equal(eval("tier == null"), 0);
    assert_int_equal(eval("tier != null"), 1);
    assert_int_equal(eval("missing != null"), 0);
    assert_int_equal(eval("null < 1"), 0);
    assert_int_equal(eval("rfm.r.deeper == 2"), 0); /* through a number */
    assert_int_equal(eval("tags.9 == null"), 1);
    assert_int_equal(eval("tags.x == null"), 1);
}

static void test_type_mismatch_and_truth(void **state)
{
    (void)state;
    assert_int_equal(eval("tier > 3"), 0);
    assert_int_equal(eval("tier != 3"), 0); /* mismatched: false, even for != */
    assert_int_equal(eval("rfm.r == \"2\""), 0);
    assert_int_equal(eval("opt_out < true"), 0); /* booleans do not order */
    assert_int_equal(eval("tags == \"vip\""), 0);
    assert_int_equal(eval("tags > 1"), 0);
    assert_int_equal(eval("obj < obj2"), 0);
    assert_int_equal(eval("[1] == [1]"), 0); /* list literals only serve `in` */
    /* truth of bare values */
    assert_int_equal(eval("tags"), 1);
    assert_int_equal(eval("empty"), 0);
    assert_int_equal(eval("name"), 0);
    assert_int_equal(eval("tier"), 1);
    assert_int_equal(eval("zero"), 0);
    assert_int_equal(eval("rfm.r"), 1);
    assert_int_equal(eval("obj"), 1);
    assert_int_equal(eval("nothing"), 0);
    assert_int_equal(eval("0"), 0);
    assert_int_equal(eval("'x'"), 1);
    assert_int_equal(eval("[]"), 0);
    assert_int_equal(eval("[1]"), 1);
    assert_int_equal(eval("null"), 0);
}

static void test_eval_on_non_objects(void **state)
{
    (void)state;
    struct kf_cond *c = NULL;
    assert_int_equal(kf_cond_parse("a.b == 1 or not c", &c, NULL), 0);
    assert_int_equal(kf_cond_eval(c, NULL), 1);
    json_t *arr = json_array();
    assert_int_equal(kf_cond_eval(c, arr), 1);
    json_decref(arr);
    kf_cond_free(c);
    assert_int_equal(kf_cond_eval(NULL, NULL), 0);
    kf_cond_free(NULL);
}

static void test_parse_errors(void **state)
{
    (void)state;
    bad("", "col 1: expected a value at the end");
    bad("   ", "col 4: expected a value at the end");
    bad("a ==", "col 5: expected a value at the end");
    bad("a == == 1", "col 6: expected a value");
    bad("a and", "col 6: expected a value at the end");
    bad("or a", "col 1: expected a value");
    bad("a = 1", "col 3: '=' is not an operator (use '==')");
    bad("a & b", "col 3: '&' is not an operator (use '&&')");
    bad("a | b", "col 3: '|' is not an operator (use '||')");
    bad("a # b", "col 3: unexpected character '#'");
    bad("分数 > 1", "col 1: unexpected character '分'");
    bad("\"高价值\" == x @", "col 12: unexpected character '@'");
    bad("(a == 1", "col 8: expected ')' to close the '(' at col 1");
    bad("a == 1)", "col 7: ')' without a matching '('");
    bad("a b", "col 3: expected 'and', 'or' or the end");
    bad("a == 1 2", "col 8: expected 'and', 'or' or the end");
    bad("1 < a < 3", "col 7: comparisons do not chain");
    bad("a in b in c", "col 8: comparisons do not chain");
    bad("a == 'abc", "col 6: unterminated string");
    bad("a == \"abc\\", "col 6: unterminated string");
    bad("a == 'a\\qb'", "col 8: unknown escape '\\q'");
    bad("a > 1.2.3", "col 5: bad number '1.2.3'");
    bad("a > 12abc", "col 5: bad number '12abc'");
    bad("a > 1e", "col 5: bad number '1e'");
    bad("a > 1e999", "col 5: bad number '1e999'");
    bad("a > -", "col 5: unexpected character '-'");
    bad("a. == 1", "col 3: expected a field name after '.'");
    bad("a..b", "col 3: expected a field name after '.'");
    bad("a in 'x'", "col 6: expected a list or a field after 'in'");
    bad("a in 3", "col 6: expected a list or a field after 'in'");
    bad("a in [b]", "col 7: expected a literal in the list");
    bad("a in [1 2]", "col 9: expected ',' or ']' in the list");
    bad("a in [1,", "col 9: expected a literal in the list");
    bad("a not b", "col 3: expected 'in' after 'not'");
    bad("a == and", "col 6: expected a value");
}

static void test_limits(void **state)
{
    (void)state;
    struct kf_cond *c = NULL;
    struct kf_err err = {0};
    /* depth: 32 nested parentheses parse, 33 do not */
    char text[1100];
    size_t n = 0;
    for (int i = 0; i < 32; i++)
        text[n++] = '(';
    text[n++] = 'a';
    for (int i = 0; i < 32; i++)
        text[n++] = ')';
    text[n] = '\0';
    assert_int_equal(kf_cond_parse(text, &c, &err), 0);
    kf_cond_free(c);
    bad("((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))",
        "nested deeper than 32");
    n = 0;
    for (int i = 0; i < 33; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "not ");
    snprintf(text + n, sizeof text - n, "a");
    bad(text, "nested deeper than 32");
    /* length: 1000 bytes parse, 1001 do not */
    memset(text, ' ', 1000);
    text[0] = 'a';
    text[1000] = '\0';
    assert_int_equal(kf_cond_parse(text, &c, &err), 0);
    kf_cond_free(c);
    text[1000] = ' ';
    text[1001] = '\0';
    bad(text, "longer than 1000 bytes");
    /* a long flat chain is fine (n-ary, no deep recursion) */
    n = 0;
    while (n < 990)
        n += (size_t)snprintf(text + n, sizeof text - n, "a or ");
    snprintf(text + n, sizeof text - n, "b");
    assert_int_equal(kf_cond_parse(text, &c, &err), 0);
    json_t *subj = json_pack("{s:b}", "b", 1);
    assert_int_equal(kf_cond_eval(c, subj), 1);
    json_decref(subj);
    kf_cond_free(c);
    /* invalid UTF-8 and a missing text */
    bad("a == '\xff'", "not valid UTF-8");
    assert_int_equal(kf_cond_parse(NULL, &c, &err), KF_EINVAL);
    assert_null(c);
}

/* Many fields and strings: the buffers sized from the text hold them. */
static void test_dense_text(void **state)
{
    (void)state;
    assert_int_equal(eval("a<b"), 0);
    assert_int_equal(eval("a.b.c.d.e.f.g.h==a.b.c.d.e.f.g.i"), 0);
    assert_int_equal(eval("x in['','','','','','']"), 0);
    assert_int_equal(eval("rfm.r in[1,2]and rfm.f in[4]"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_of_the_header),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_missing_and_null),
        cmocka_unit_test(test_type_mismatch_and_truth),
        cmocka_unit_test(test_eval_on_non_objects),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_dense_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
