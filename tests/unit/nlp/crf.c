/* unit/nlp/crf.c — tests for src/nlp/crf*.c: tokens, data readers, training
 * on a small set, labelling, model files, and exact-span scoring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kefu/crf.h"
#include "kefu/entities.h"
#include "testutil.h"

static char DIR_[256];

static void write_file(const char *name, const char *body)
{
    tu_write(DIR_, name, body);
}

static const char *path(const char *name)
{
    static char p[700];
    snprintf(p, sizeof p, "%s/%s", DIR_, name);
    return p;
}

static void test_tokenize(void **state)
{
    (void)state;
    uint32_t s[32], e[32];
    const char *t = "我的iPhone 15到了, DS20261101001!";
    size_t n = kf_crf_tokenize(t, strlen(t), s, e, 32);
    /* 我 的 iPhone 15 到 了 , DS20261101001 ! */
    assert_int_equal(n, 9);
    assert_memory_equal(t + s[2], "iPhone", 6);
    assert_int_equal(e[2] - s[2], 6);
    assert_memory_equal(t + s[3], "15", 2);
    assert_memory_equal(t + s[7], "DS20261101001", 13);
    /* invalid bytes are tokens of their own, never a crash */
    const char bad[] = "a\xff\xfe b";
    n = kf_crf_tokenize(bad, sizeof bad - 1, s, e, 32);
    assert_int_equal(n, 4);
    assert_int_equal(kf_crf_tokenize("", 0, s, e, 32), 0);
    assert_int_equal(kf_crf_tokenize("   ", 3, s, e, 32), 0);
}

static void test_annotated(void **state)
{
    (void)state;
    struct kf_seqset *s;
    struct kf_err err = {0};
    assert_int_equal(kf_seqset_new(&s, &err), KF_OK);
    const char *ex = "订单[DS20261101001](order_id)的[华为Mate60]{\"entity\": \"product\"}到了吗";
    assert_int_equal(kf_seqset_add_annotated(s, ex, strlen(ex), &err), KF_OK);
    const char *en = "is [AirPods Pro](product:airpods-pro) in stock";
    assert_int_equal(kf_seqset_add_annotated(s, en, strlen(en), &err), KF_OK);
    assert_int_equal(kf_seqset_size(s), 2);
    assert_int_equal(kf_seqset_ntypes(s), 2);
    const struct kf_seq *q = kf_seqset_get(s, 0);
    assert_string_equal(q->text, "订单DS20261101001的华为Mate60到了吗");
    assert_int_equal(q->nspans, 2);
    assert_string_equal(kf_seqset_type(s, q->spans[0].type), "order_id");
    assert_memory_equal(q->text + q->tstart[q->spans[1].start], "华为Mate60", 10);
    assert_int_equal(q->spans[1].end - q->spans[1].start, 3); /* 华 为 Mate60 */
    q = kf_seqset_get(s, 1);
    assert_string_equal(q->text, "is AirPods Pro in stock");
    assert_int_equal(q->spans[0].end - q->spans[0].start, 2);
    assert_int_equal(kf_seqset_type_index(s, "product"), 1);
    /* a type name that cannot be one */
    const char *bad = "x [y]() z";
    assert_int_not_equal(kf_seqset_add_annotated(s, bad, strlen(bad), &err), KF_OK);
    kf_seqset_free(s);
}

static void test_conll_files(void **state)
{
    (void)state;
    write_file("a.bio", "张\tB-name\n三\tI-name\n去\tO\n北\tB-address\n京\tI-address\n\n"
                        "-DOCSTART- O\n李\tS-name\n来\tO\n\n");
    write_file("b.conll", "John B-PER\nlives O\nin O\nNew B-LOC\nYork I-LOC\n. O\n");
    struct kf_seqset *s;
    struct kf_err err = {0};
    assert_int_equal(kf_seqset_new(&s, &err), KF_OK);
    assert_int_equal(kf_seqset_load(s, path("a.bio"), &err), KF_OK);
    assert_int_equal(kf_seqset_load(s, path("b.conll"), &err), KF_OK);
    assert_int_equal(kf_seqset_size(s), 3);
    const struct kf_seq *q = kf_seqset_get(s, 0);
    assert_string_equal(q->text, "张三去北京");
    assert_int_equal(q->nspans, 2);
    assert_int_equal(kf_seqset_get(s, 1)->nspans, 1);
    q = kf_seqset_get(s, 2);
    assert_string_equal(q->text, "John lives in New York .");
    assert_int_equal(q->nspans, 2);
    assert_int_equal(q->spans[1].start, 3);
    assert_int_equal(q->spans[1].end, 5);
    kf_seqset_free(s);

    /* errors name the file and line */
    write_file("bad.bio", "张\tB-name\n三 X-name\n");
    assert_int_equal(kf_seqset_new(&s, &err), KF_OK);
    assert_int_equal(kf_seqset_load(s, path("bad.bio"), &err), KF_EPARSE);
    assert_non_null(strstr(err.msg, "bad.bio:2"));
    assert_int_not_equal(kf_seqset_load(s, path("missing.bio"), &err), KF_OK);
    write_file("x.json", "{}");
    assert_int_equal(kf_seqset_load(s, path("x.json"), &err), KF_EINVAL);
    kf_seqset_free(s);
}

/* A small world: names before 说/来, cities after 去/到/在. */
static struct kf_seqset *toy_data(void)
{
    static const char *names[] = {"张三", "李四", "王五", "赵六", "陈晨", "刘洋", "周杰"};
    static const char *cities[] = {"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉"};
    struct kf_seqset *s;
    struct kf_err err = {0};
    assert_int_equal(kf_seqset_new(&s, &err), KF_OK);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            char ex[256];
            snprintf(ex, sizeof ex, "[%s](name)明天去[%s](city)出差", names[i], cities[j]);
            assert_int_equal(kf_seqset_add_annotated(s, ex, strlen(ex), &err), KF_OK);
            snprintf(ex, sizeof ex, "听说[%s](name)在[%s](city)", names[(i + j) % 7],
                     cities[i]);
            assert_int_equal(kf_seqset_add_annotated(s, ex, strlen(ex), &err), KF_OK);
        }
    return s;
}

static void test_train_tag_save_load(void **state)
{
    (void)state;
    struct kf_seqset *s = toy_data();
    struct kf_crf_train_params p = kf_crf_default_train_params();
    p.max_iter = 60;
    struct kf_crf *c;
    struct kf_err err = {0};
    assert_int_equal(kf_crf_train(s, p, &c, &err), KF_OK);
    assert_int_equal(kf_crf_ntypes(c), 2);
    assert_true(kf_crf_nattributes(c) > 100);

    struct kf_arena *a = kf_arena_new(4096, 1 << 20);
    struct kf_entity e[8];
    const char *t = "李四明天去杭州出差";
    size_t n = kf_crf_extract(c, NULL, t, strlen(t), a, e, 8);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].type, "name");
    assert_string_equal(e[0].text, "李四");
    assert_string_equal(e[0].value, "\"李四\"");
    assert_string_equal(e[1].type, "city");
    assert_string_equal(e[1].text, "杭州");
    assert_int_equal(e[1].start, strlen("李四明天去"));
    assert_true(e[0].confidence > 0.5 && e[0].confidence <= 1.0);
    assert_int_equal(e[0].source, KF_ENT_CRF);

    /* the model file round-trips and labels the same */
    assert_int_equal(kf_crf_save(c, path("m.kfm"), &err), KF_OK);
    struct kf_crf *d;
    assert_int_equal(kf_crf_load(path("m.kfm"), &d, &err), KF_OK);
    struct kf_entity e2[8];
    assert_int_equal(kf_crf_extract(d, NULL, t, strlen(t), a, e2, 8), 2);
    assert_string_equal(e2[1].text, "杭州");
    assert_true(e2[0].confidence - e[0].confidence < 1e-3 &&
                e[0].confidence - e2[0].confidence < 1e-3);

    /* scoring on the training data itself: near perfect */
    struct kf_entity_score r;
    assert_int_equal(kf_entities_evaluate(NULL, d, NULL, s, &r, &err), KF_OK);
    assert_true(r.micro_f1 > 0.95);
    assert_int_equal(r.sentences, 98);
    assert_int_equal(r.ntypes, 2);
    assert_string_equal(r.types[0].type, "city");
    kf_entity_score_release(&r);

    /* nothing to label, long input: no crash, bounded */
    assert_int_equal(kf_crf_extract(d, NULL, "", 0, a, e2, 8), 0);
    static char big[70000];
    memset(big, 'x', sizeof big - 1);
    for (size_t i = 0; i + 1 < sizeof big; i += 2)
        big[i] = ' ';
    kf_crf_extract(d, NULL, big, sizeof big - 1, a, e2, 8);

    kf_arena_free(a);
    kf_crf_free(c);
    kf_crf_free(d);
    kf_seqset_free(s);
}

static void test_bad_models(void **state)
{
    (void)state;
    struct kf_crf *c;
    struct kf_err err = {0};
    write_file("empty.kfm", "");
    assert_int_equal(kf_crf_load(path("empty.kfm"), &c, &err), KF_EPARSE);
    assert_int_not_equal(kf_crf_load(path("nothing.kfm"), &c, &err), KF_OK);
    /* flip one byte of a good model: the checksum catches it */
    struct kf_seqset *s = toy_data();
    struct kf_crf_train_params p = kf_crf_default_train_params();
    p.max_iter = 5;
    assert_int_equal(kf_crf_train(s, p, &c, &err), KF_OK);
    assert_int_equal(kf_crf_save(c, path("good.kfm"), &err), KF_OK);
    kf_crf_free(c);
    FILE *f = fopen(path("good.kfm"), "r+b");
    assert_non_null(f);
    fseek(f, 200, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(ch ^ 0x5a, f);
    fclose(f);
    assert_int_equal(kf_crf_load(path("good.kfm"), &c, &err), KF_EPARSE);
    assert_non_null(strstr(err.msg, "checksum"));
    /* training without annotations is refused */
    struct kf_seqset *none;
    assert_int_equal(kf_seqset_new(&none, &err), KF_OK);
    assert_int_equal(kf_crf_train(none, p, &c, &err), KF_EINVAL);
    assert_int_equal(kf_seqset_add_annotated(none, "no entity", 9, &err), KF_OK);
    assert_int_equal(kf_crf_train(none, p, &c, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "annotations"));
    kf_seqset_free(none);
    kf_seqset_free(s);
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(DIR_, "crf");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(DIR_);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_annotated),
        cmocka_unit_test(test_conll_files),
        cmocka_unit_test(test_train_tag_save_load),
        cmocka_unit_test(test_bad_models),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
