/* unit/nlp/entities.c — tests for src/nlp/entities.c: the merged extractor
 * over the demo shop's patterns and catalogue, overlap rules, JSON form,
 * and exact-span scoring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/entities.h"

#define CATALOGUE KEFU_SRC_ROOT "/bots/demo-shop/catalogue.yaml"

static struct kf_entities *E;
static struct kf_arena *A;
/* Wednesday 2026-11-25 13:00 in UTC+8 */
static const struct kf_time_ref REF = {1795582800, 480};

static size_t extract(const char *t, struct kf_entity *out)
{
    kf_arena_reset(A);
    return kf_entities_extract(E, t, strlen(t), REF, A, out, KF_ENTITIES_MAX);
}

static void test_merged_in_text_order(void **state)
{
    (void)state;
    struct kf_entity e[KF_ENTITIES_MAX];
    const char *t = "订单DS20261101001里的两台华为Mate60 Pro,明天下午能到吗?";
    size_t n = extract(t, e);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].type, "order_id");
    assert_string_equal(e[1].type, "quantity");
    assert_string_equal(e[2].type, "product");
    assert_string_equal(e[2].text, "华为Mate60 Pro");
    assert_int_equal(e[2].source, KF_ENT_CATALOGUE);
    assert_string_equal(e[3].type, "datetime");
    assert_string_equal(e[3].value, "\"2026-11-26T15:00:00+08:00\"");
    for (size_t i = 1; i < n; i++)
        assert_true(e[i - 1].end <= e[i].start);
}

static void test_longer_rule_match_wins(void **state)
{
    (void)state;
    struct kf_entity e[KF_ENTITIES_MAX];
    /* 三只 would be a quantity, but 三只松鼠 is a brand */
    size_t n = extract("三只松鼠的坚果还有货吗", e);
    assert_true(n >= 1);
    assert_string_equal(e[0].type, "brand");
    assert_string_equal(e[0].text, "三只松鼠");
    /* a price limit, not swallowed by anything */
    n = extract("有没有2000元以内的降噪耳机", e);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].type, "money");
    assert_string_equal(e[1].type, "attribute");
    assert_string_equal(e[2].type, "category");
}

static void test_json(void **state)
{
    (void)state;
    struct kf_entity e[KF_ENTITIES_MAX];
    size_t n = extract("under $300 please", e);
    assert_int_equal(n, 1);
    json_t *j = json_loads(kf_entities_json(e, n, A), 0, NULL);
    assert_non_null(j);
    json_t *o = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "money");
    assert_string_equal(json_string_value(json_object_get(o, "text")), "under $300");
    assert_int_equal(json_integer_value(json_object_get(o, "start")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "end")), 10);
    assert_string_equal(json_string_value(json_object_get(o, "source")), "pattern");
    json_t *v = json_object_get(o, "value");
    assert_int_equal(json_number_value(json_object_get(v, "amount")), 300);
    assert_string_equal(json_string_value(json_object_get(v, "currency")), "USD");
    assert_string_equal(json_string_value(json_object_get(v, "comparator")), "lt");
    json_decref(j);
    assert_string_equal(kf_entities_json(e, 0, A), "[]");
}

static void test_nothing_and_bad_input(void **state)
{
    (void)state;
    struct kf_entity e[KF_ENTITIES_MAX];
    assert_int_equal(extract("你好", e), 0);
    assert_int_equal(extract("", e), 0);
    static char big[65536];
    for (size_t i = 0; i + 16 < sizeof big; i += 16)
        memcpy(big + i, "DS20261101001 x ", 16);
    big[sizeof big - 1] = '\0';
    kf_arena_reset(A);
    size_t n = kf_entities_extract(E, big, strlen(big), REF, A, e, KF_ENTITIES_MAX);
    assert_true(n > 0 && n <= KF_ENTITIES_MAX);
}

static void test_scoring(void **state)
{
    (void)state;
    struct kf_seqset *s;
    struct kf_err err = {0};
    assert_int_equal(kf_seqset_new(&s, &err), KF_OK);
    const char *ex[] = {"订单[DS20261101001](order_id)到哪了",
                        /* a gold span the extractor cannot find: a miss */
                        "帮我找[老王](person)", "[三只松鼠](brand)打折吗"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(kf_seqset_add_annotated(s, ex[i], strlen(ex[i]), &err), KF_OK);
    struct kf_entity_score r;
    assert_int_equal(kf_entities_evaluate(E, NULL, NULL, s, &r, &err), KF_OK);
    assert_int_equal(r.sentences, 3);
    assert_true(r.precision > 0.999);
    assert_true(r.recall > 0.66 && r.recall < 0.67);
    size_t person = r.ntypes;
    for (size_t i = 0; i < r.ntypes; i++)
        if (strcmp(r.types[i].type, "person") == 0)
            person = i;
    assert_true(person < r.ntypes);
    assert_int_equal(r.types[person].fn, 1);
    kf_entity_score_release(&r);
    kf_seqset_free(s);
}

static int setup(void **state)
{
    (void)state;
    struct kf_entities_params p = kf_entities_default_params();
    p.catalogue = CATALOGUE;
    struct kf_err err = {0};
    if (kf_entities_new(p, &E, &err) != KF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    A = kf_arena_new(1 << 16, 1 << 24);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kf_entities_free(E);
    kf_arena_free(A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_in_text_order),
        cmocka_unit_test(test_longer_rule_match_wins),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_nothing_and_bad_input),
        cmocka_unit_test(test_scoring),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
