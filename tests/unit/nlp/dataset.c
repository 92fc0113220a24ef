/* unit/nlp/dataset.c — tests for src/nlp/dataset.c (TSV and Rasa NLU YAML). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kefu/dataset.h"
#include <sys/stat.h>

#include "testutil.h"

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
    return tu_write(dir, name, text);
}

static void test_tsv(void **state)
{
    (void)state;
    struct kf_dataset *ds;
    struct kf_err err = {0};
    assert_int_equal(kf_dataset_new(&ds, &err), KF_OK);
    const char *p = write_file("a.tsv", "# comment\ngreet\thello\n\nrefund\t我要退款\r\ngreet\thi\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_OK);
    assert_int_equal(ds->n, 3);
    assert_string_equal(ds->v[1].label, "refund");
    assert_string_equal(ds->v[1].text, "我要退款");
    const char **labels;
    size_t n;
    assert_int_equal(kf_dataset_labels(ds, &labels, &n, &err), KF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(labels[0], "greet");
    assert_string_equal(labels[1], "refund");
    kf_dataset_free(ds);

    assert_int_equal(kf_dataset_new(&ds, &err), KF_OK);
    p = write_file("bad.tsv", "greet\thello\nno tab here\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_EPARSE);
    assert_non_null(strstr(err.msg, "bad.tsv:2:"));
    p = write_file("utf8.tsv", "greet\t\xff\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_EUTF8);
    assert_non_null(strstr(err.msg, "utf8.tsv:1"));
    kf_dataset_free(ds);
}

static void test_rasa_yaml(void **state)
{
    (void)state;
    struct kf_dataset *ds;
    struct kf_err err = {0};
    assert_int_equal(kf_dataset_new(&ds, &err), KF_OK);
    const char *p = write_file("nlu.yml",
                               "version: \"3.1\"\n"
                               "nlu:\n"
                               "- intent: track_order\n"
                               "  examples: |\n"
                               "    - where is my order [DS20261101001](order_id)\n"
                               "    - 我的[iPhone 15](product)到哪了\n"
                               "    - track {\"x\": 1} please\n"
                               "- intent: greet\n"
                               "  examples:\n"
                               "    - hi there\n"
                               "- synonym: iphone\n"
                               "  examples: |\n"
                               "    - 苹果手机\n"
                               "- regex: order_id\n"
                               "  examples: |\n"
                               "    - DS\\d{11}\n"
                               "- lookup: brand\n"
                               "  examples: |\n"
                               "    - Apple\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_OK);
    assert_int_equal(ds->n, 4);
    assert_string_equal(ds->v[0].text, "where is my order DS20261101001");
    assert_string_equal(ds->v[1].text, "我的iPhone 15到哪了");
    assert_string_equal(ds->v[2].text, "track {\"x\": 1} please");
    assert_string_equal(ds->v[3].label, "greet");
    assert_int_equal(ds->synonyms, 1);
    assert_int_equal(ds->regexes, 1);
    assert_int_equal(ds->lookups, 1);
    kf_dataset_free(ds);

    assert_int_equal(kf_dataset_new(&ds, &err), KF_OK);
    p = write_file("bad.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n    oops no dash\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_EPARSE);
    assert_non_null(strstr(err.msg, "bad.yml:5:"));
    p = write_file("noex.yml", "nlu:\n- intent: greet\n");
    assert_int_equal(kf_dataset_load(ds, p, &err), KF_EPARSE);
    assert_non_null(strstr(err.msg, "noex.yml:2:"));
    kf_dataset_free(ds);
}

static void test_annotations(void **state)
{
    (void)state;
    char out[128];
    const char *in = "[a](x) and [b](y:z) or [c]{\"entity\":\"e\"}";
    kf_dataset_strip_annotations(in, strlen(in), out, sizeof out);
    assert_string_equal(out, "a and b or c");
    const char *odd = "[unclosed and ] brackets (x)";
    kf_dataset_strip_annotations(odd, strlen(odd), out, sizeof out);
    assert_string_equal(out, odd);
    /* output never overflows */
    char small[4];
    kf_dataset_strip_annotations("abcdefgh", 8, small, sizeof small);
    assert_string_equal(small, "abc");
}

static void test_folder(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/folder", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char p[400];
    snprintf(p, sizeof p, "%s/b.tsv", sub);
    FILE *f = fopen(p, "w");
    fputs("b\tsecond file\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/a.yaml", sub);
    f = fopen(p, "w");
    fputs("nlu:\n- intent: a\n  examples: |\n    - first file\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/notes.md", sub);
    f = fopen(p, "w");
    fputs("ignored\n", f);
    fclose(f);
    struct kf_dataset *ds;
    struct kf_err err = {0};
    assert_int_equal(kf_dataset_new(&ds, &err), KF_OK);
    assert_int_equal(kf_dataset_load(ds, sub, &err), KF_OK);
    assert_int_equal(ds->n, 2);
    assert_string_equal(ds->v[0].label, "a"); /* name order: a.yaml before b.tsv */
    kf_dataset_free(ds);
}

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(dir, "dataset");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_rasa_yaml),
        cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_folder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
