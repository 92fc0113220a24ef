/* unit/nlp/nlu.c — tests for src/nlp/nlu.c: models trained on first open,
 * reused while fresh, retrained when their data changes; parse results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "kefu/nlu.h"
#include "testutil.h"

static char dir[256];
static char data[300], models[300];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(dir, "nlu");
    snprintf(data, sizeof data, "%s/nlu", dir);
    snprintf(models, sizeof models, "%s/models/bot", dir);
    char p[400];
    mkdir(data, 0700);
    snprintf(p, sizeof p, "%s/intent", data);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/intent/a.tsv", data);
    write_file(p, "refund\tI want a refund\nrefund\tmoney back please\nrefund\t我要退款\n"
                  "track\twhere is my parcel\ntrack\ttrack my order\ntrack\t快递到哪了\n"
                  "oos\tweather tomorrow\noos\ttell me a joke\noos\t讲个笑话\n");
    snprintf(p, sizeof p, "%s/spam", data);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/spam/s.tsv", data);
    write_file(p, "spam\t加微信领红包\nspam\tearn 500 a day click here\nspam\t兼职刷单日赚\n"
                  "ham\twhere is my order\nham\t我要退款\nham\tdo you accept wechat pay\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    return 0;
}

static time_t mtime(const char *task)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s.kfm", models, task);
    struct stat sb;
    return stat(p, &sb) == 0 ? sb.st_mtime : 0;
}

static void test_train_on_first_open_then_reuse(void **state)
{
    (void)state;
    struct kf_nlu_params p = {.data_dir = data, .model_dir = models, .threads = 1};
    struct kf_nlu *nlu;
    struct kf_err err = {0};
    assert_int_equal(kf_nlu_open(p, &nlu, &err), KF_OK);
    assert_non_null(kf_nlu_model(nlu, "intent"));
    assert_non_null(kf_nlu_model(nlu, "spam"));
    assert_null(kf_nlu_model(nlu, "sentiment")); /* no data, no model */
    assert_null(kf_nlu_model(nlu, "nonsense"));
    time_t t1 = mtime("intent");
    assert_true(t1 > 0);

    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_nlu_result r;
    assert_int_equal(kf_nlu_parse(nlu, "I want a refund!", 16, a, &r, &err), KF_OK);
    assert_string_equal(r.intent, "refund");
    assert_string_equal(r.lang, "en");
    assert_string_equal(r.normalized, "i want a refund");
    assert_true(r.nintents == 3 && r.intents[0].confidence >= r.intents[1].confidence);
    assert_string_equal(r.sentiment, ""); /* no sentiment model */
    assert_int_equal(kf_nlu_parse(nlu, "加微信领红包", strlen("加微信领红包"), a, &r, &err), KF_OK);
    assert_true(r.is_spam && r.spam > 0.5);
    assert_int_equal(kf_nlu_parse(nlu, "\xff", 1, a, &r, &err), KF_EUTF8);
    kf_nlu_free(nlu);

    /* a fresh model is reused: set its time into the future and reopen */
    char mp[400];
    snprintf(mp, sizeof mp, "%s/intent.kfm", models);
    struct utimbuf future = {time(NULL) + 1000, time(NULL) + 1000};
    assert_int_equal(utime(mp, &future), 0);
    assert_int_equal(kf_nlu_open(p, &nlu, &err), KF_OK);
    assert_int_equal(mtime("intent"), future.modtime);
    kf_nlu_free(nlu);

    /* data newer than the model → retrained */
    char dp[400];
    snprintf(dp, sizeof dp, "%s/intent/a.tsv", data);
    struct utimbuf later = {time(NULL) + 2000, time(NULL) + 2000};
    assert_int_equal(utime(dp, &later), 0);
    assert_int_equal(kf_nlu_open(p, &nlu, &err), KF_OK);
    assert_true(mtime("intent") != future.modtime);
    kf_nlu_free(nlu);

    /* a damaged (or older-format) model is rebuilt, not fatal */
    FILE *f = fopen(mp, "r+b");
    assert_non_null(f);
    fputs("garbage!", f);
    fclose(f);
    struct utimbuf far = {time(NULL) + 3000, time(NULL) + 3000};
    assert_int_equal(utime(mp, &far), 0); /* fresh by its time: only the content is bad */
    assert_int_equal(kf_nlu_open(p, &nlu, &err), KF_OK);
    assert_int_equal(kf_nlu_parse(nlu, "I want a refund!", 16, a, &r, &err), KF_OK);
    assert_string_equal(r.intent, "refund");
    kf_nlu_free(nlu);
    kf_arena_free(a);
}

static void test_bad_data_is_reported(void **state)
{
    (void)state;
    char bad[300], p[400];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    mkdir(bad, 0700);
    snprintf(p, sizeof p, "%s/intent", bad);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/intent/x.tsv", bad);
    write_file(p, "greet\thello\nthis line has no tab\n");
    char bad_models[300];
    snprintf(bad_models, sizeof bad_models, "%s/models/bad", dir);
    struct kf_nlu_params np = {.data_dir = bad, .model_dir = bad_models, .threads = 1};
    struct kf_nlu *nlu = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_nlu_open(np, &nlu, &err), KF_EPARSE);
    assert_null(nlu);
    assert_non_null(strstr(err.msg, "x.tsv:2:"));
    assert_non_null(strstr(err.msg, "intent"));
    /* no data folder at all: an empty pipeline that still normalises */
    np.data_dir = NULL;
    assert_int_equal(kf_nlu_open(np, &nlu, &err), KF_OK);
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_nlu_result r;
    assert_int_equal(kf_nlu_parse(nlu, "你好 WORLD", strlen("你好 WORLD"), a, &r, &err), KF_OK);
    assert_string_equal(r.normalized, "你好 world");
    assert_string_equal(r.intent, "");
    kf_arena_free(a);
    kf_nlu_free(nlu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_on_first_open_then_reuse),
        cmocka_unit_test(test_bad_data_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
