/* unit/nlp/classifier.c — tests for train.c, classifier.c and evaluate.c:
 * training on a small separable set, prediction, the out-of-scope decision,
 * model files (round trip and every kind of corruption), and the metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kefu/classifier.h"
#include "kefu/evaluate.h"
#include "kefu/model_format.h"
#include "testutil.h"

static char dir[256];
static struct kf_dataset *train_set;
static struct kf_classifier *model;

static const char *const rows[][2] = {
    {"refund", "I want my money back"},     {"refund", "please refund my order"},
    {"refund", "give me a refund now"},     {"refund", "我要退款"},
    {"refund", "退款什么时候到账"},         {"refund", "can I get my money back"},
    {"track", "where is my package"},       {"track", "track my order please"},
    {"track", "my parcel has not arrived"}, {"track", "我的快递到哪了"},
    {"track", "物流信息怎么查"},            {"track", "where is my parcel now"},
    {"greet", "hello there"},               {"greet", "hi"},
    {"greet", "good morning"},              {"greet", "你好"},
    {"greet", "您好呀"},                    {"greet", "hey hello"},
    {"oos", "what is the weather tomorrow"}, {"oos", "tell me a joke"},
    {"oos", "明天天气怎么样"},              {"oos", "who won the football game"},
    {"oos", "how do I cook rice"},          {"oos", "讲个笑话"},
};

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(dir, "classifier");
    struct kf_err err = {0};
    if (kf_dataset_new(&train_set, &err) != KF_OK)
        return -1;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (kf_dataset_add(train_set, rows[i][0], rows[i][1], strlen(rows[i][1]), &err) != KF_OK)
            return -1;
    struct kf_train_params p = kf_train_default_params();
    p.min_count = 1;
    return kf_classifier_train(train_set, NULL, p, &model, &err) == KF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kf_classifier_free(model);
    kf_dataset_free(train_set);
    tu_rmtree(dir);
    return 0;
}

static const char *decide(const struct kf_classifier *c, const char *text, double *prob)
{
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_prediction top[8];
    size_t n;
    struct kf_err err = {0};
    assert_int_equal(kf_classifier_predict(c, text, strlen(text), a, top, 8, &n, &err), KF_OK);
    assert_int_equal(n, kf_classifier_nlabels(c) < 8 ? kf_classifier_nlabels(c) : 8);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            assert_true(top[i].prob <= top[i - 1].prob);
        sum += top[i].prob;
    }
    assert_true(fabs(sum - 1.0) < 1e-6); /* all labels returned: probabilities sum to 1 */
    if (prob)
        *prob = top[0].prob;
    const char *d = kf_classifier_decide(c, top, n);
    kf_arena_free(a);
    return d;
}

static void test_learns_the_labels(void **state)
{
    (void)state;
    assert_int_equal(kf_classifier_nlabels(model), 4);
    assert_string_equal(kf_classifier_task(model), "intent");
    assert_string_equal(decide(model, "I want a refund", NULL), "refund");
    assert_string_equal(decide(model, "where is my package now?", NULL), "track");
    assert_string_equal(decide(model, "你好", NULL), "greet");
    assert_string_equal(decide(model, "天气怎么样", NULL), "oos");
    assert_string_equal(decide(model, "退款", NULL), "refund");
}

static void test_oos_threshold_decides(void **state)
{
    (void)state;
    double p;
    assert_string_equal(decide(model, "please refund my order", &p), "refund");
    assert_true(p > 0.25 && p < 1);
    assert_int_equal(kf_classifier_set_oos_threshold(model, p + 0.01), KF_OK);
    assert_string_equal(decide(model, "please refund my order", NULL), "oos");
    assert_int_equal(kf_classifier_set_oos_threshold(model, 0), KF_OK);
    assert_int_equal(kf_classifier_set_oos_threshold(model, 1.5), KF_EINVAL);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/m.kfm", dir);
    struct kf_err err = {0};
    assert_int_equal(kf_classifier_set_oos_threshold(model, 0.125), KF_OK);
    assert_int_equal(kf_classifier_save(model, path, &err), KF_OK);
    struct kf_classifier *m2;
    assert_int_equal(kf_classifier_load(path, &m2, &err), KF_OK);
    assert_int_equal(kf_classifier_nlabels(m2), kf_classifier_nlabels(model));
    assert_int_equal(kf_classifier_nfeatures(m2), kf_classifier_nfeatures(model));
    assert_true(fabs(kf_classifier_oos_threshold(m2) - 0.125) < 1e-9);
    assert_string_equal(kf_classifier_meta(m2, "features"), kf_classifier_meta(model, "features"));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double p1, p2;
        assert_string_equal(decide(model, rows[i][1], &p1), decide(m2, rows[i][1], &p2));
        assert_true(fabs(p1 - p2) < 1e-9);
    }
    kf_classifier_free(m2);
    assert_int_equal(kf_classifier_set_oos_threshold(model, 0), KF_OK);
}

/* Write `data` to a file and expect the loader to refuse it with `msg`. */
static void expect_rejected(const unsigned char *data, size_t len, const char *msg)
{
    char path[300];
    snprintf(path, sizeof path, "%s/bad.kfm", dir);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    struct kf_classifier *m = NULL;
    struct kf_err err = {0};
    assert_int_not_equal(kf_classifier_load(path, &m, &err), KF_OK);
    assert_null(m);
    if (strstr(err.msg, msg) == NULL || strstr(err.msg, "bad.kfm") == NULL)
        fail_msg("message '%s' lacks '%s' or the file name", err.msg, msg);
}

static void test_corrupt_files_are_rejected(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/good.kfm", dir);
    struct kf_err err = {0};
    assert_int_equal(kf_classifier_save(model, path, &err), KF_OK);
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 100 && len < sizeof buf);

    static unsigned char copy[1 << 20];
    memcpy(copy, buf, len);
    copy[0] = 'X';
    expect_rejected(copy, len, "bad magic");
    memcpy(copy, buf, len);
    copy[8] = 9; /* version 9 */
    expect_rejected(copy, len, "version 9");
    memcpy(copy, buf, len);
    copy[len / 2] ^= 0x40; /* one flipped bit in the middle */
    expect_rejected(copy, len, "checksum");
    expect_rejected(buf, len - 20, "checksum"); /* truncated */
    expect_rejected(buf, 10, "bad magic");
    expect_rejected((const unsigned char *)"", 0, "bad magic");
    struct kf_classifier *m;
    assert_int_equal(kf_classifier_load("/nonexistent/x.kfm", &m, &err), KF_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.kfm"));
}

static void test_metrics(void **state)
{
    (void)state;
    struct kf_dataset *test;
    struct kf_err err = {0};
    assert_int_equal(kf_dataset_new(&test, &err), KF_OK);
    /* 4 right, 1 wrong: a refund text labelled track */
    kf_dataset_add(test, "refund", "please refund my order", 22, &err);
    kf_dataset_add(test, "track", "where is my package", 19, &err);
    kf_dataset_add(test, "greet", "hello there", 11, &err);
    kf_dataset_add(test, "oos", "tell me a joke", 14, &err);
    kf_dataset_add(test, "track", "give me a refund now", 20, &err);
    struct kf_eval_result r;
    assert_int_equal(kf_eval_run(model, test, &r, &err), KF_OK);
    assert_int_equal(r.n, 5);
    assert_true(fabs(r.accuracy - 0.8) < 1e-9);
    assert_true(r.has_oos);
    assert_true(fabs(r.in_scope_accuracy - 0.75) < 1e-9); /* 3 of 4 */
    assert_true(fabs(r.oos_recall - 1.0) < 1e-9);
    /* refund: P = 1/2, R = 1 → F1 2/3; track: P = 1, R = 1/2 → 2/3; greet, oos: 1 */
    double want = (2.0 / 3 + 2.0 / 3 + 1 + 1) / 4;
    assert_true(fabs(r.macro_f1 - want) < 1e-9);
    assert_int_equal(r.ntop, 1);
    assert_string_equal(r.top[0].gold, "track");
    assert_string_equal(r.top[0].pred, "refund");
    kf_eval_result_free(&r);
    kf_dataset_free(test);
}

static void test_bad_training_input(void **state)
{
    (void)state;
    struct kf_dataset *one;
    struct kf_err err = {0};
    assert_int_equal(kf_dataset_new(&one, &err), KF_OK);
    kf_dataset_add(one, "a", "only one label", 14, &err);
    struct kf_classifier *m = NULL;
    assert_int_equal(kf_classifier_train(one, NULL, kf_train_default_params(), &m, &err),
                     KF_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err.msg, "need at least 2"));
    kf_dataset_free(one);
    /* prediction on invalid UTF-8 is an error, not a crash */
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_prediction top[1];
    size_t n;
    assert_int_equal(kf_classifier_predict(model, "\xc3", 1, a, top, 1, &n, &err), KF_EUTF8);
    kf_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_the_labels),
        cmocka_unit_test(test_oos_threshold_decides),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corrupt_files_are_rejected),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_bad_training_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
