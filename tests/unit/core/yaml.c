/* unit/core/yaml.c — tests for src/core/yaml.c (YAML tree with line numbers, limits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/yaml.h"

/* Parse a literal with name "t.yaml"; the doc lands in *state for teardown. */
static int parse(void **state, const char *text, struct kf_err *err)
{
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_string("t.yaml", text, strlen(text), &doc, err);
    if (rc == 0)
        assert_non_null(doc);
    else
        assert_null(doc);
    kf_ydoc_free(*state);
    *state = doc;
    return rc;
}

static int doc_teardown(void **state)
{
    kf_ydoc_free(*state);
    *state = NULL;
    return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_tree_shape_and_positions(void **state)
{
    struct kf_err err = {0};
    const char *y = "# comment\n"
                    "name: demo-shop\n"
                    "languages: [zh, en]\n"
                    "faq:\n"
                    "  threshold: 0.35\n"
                    "  quoted: \"123\"\n"
                    "list:\n"
                    "  - a\n"
                    "  - b: 1\n"
                    "empty: {}\n"
                    "none: []\n";
    assert_int_equal(parse(state, y, &err), 0);
    const struct kf_ydoc *doc = *state;
    assert_string_equal(doc->path, "t.yaml");
    const struct kf_ynode *root = doc->root;
    assert_non_null(root);
    assert_int_equal(root->type, KF_Y_MAP);
    assert_int_equal(root->n, 6);
    assert_string_equal(root->keys[0]->str, "name");
    assert_int_equal(root->line, 2);

    const struct kf_ynode *name = kf_ynode_get(root, "name");
    assert_int_equal(name->type, KF_Y_SCALAR);
    assert_string_equal(name->str, "demo-shop");
    assert_int_equal(name->len, 9);
    assert_int_equal(name->line, 2);
    assert_int_equal(name->col, 7);
    assert_true(name->plain);

    const struct kf_ynode *langs = kf_ynode_get(root, "languages");
    assert_int_equal(langs->type, KF_Y_SEQ);
    assert_int_equal(langs->n, 2);
    assert_int_equal(langs->line, 3);
    assert_int_equal(langs->col, 12);
    assert_string_equal(langs->items[1]->str, "en");
    assert_int_equal(langs->items[1]->line, 3);

    const struct kf_ynode *faq = kf_ynode_get(root, "faq");
    assert_int_equal(faq->type, KF_Y_MAP);
    assert_int_equal(faq->line, 5);
    const struct kf_ynode *th = kf_ynode_get(faq, "threshold");
    assert_string_equal(th->str, "0.35");
    assert_int_equal(th->line, 5);
    assert_int_equal(th->col, 14);
    const struct kf_ynode *q = kf_ynode_get(faq, "quoted");
    assert_string_equal(q->str, "123");
    assert_false(q->plain);
    assert_int_equal(q->line, 6);

    const struct kf_ynode *list = kf_ynode_get(root, "list");
    assert_int_equal(list->type, KF_Y_SEQ);
    assert_int_equal(list->n, 2);
    assert_int_equal(list->items[0]->line, 8);
    assert_int_equal(list->items[1]->type, KF_Y_MAP);
    assert_int_equal(list->items[1]->line, 9);
    assert_string_equal(kf_ynode_get(list->items[1], "b")->str, "1");

    const struct kf_ynode *empty = kf_ynode_get(root, "empty");
    assert_int_equal(empty->type, KF_Y_MAP);
    assert_int_equal(empty->n, 0);
    assert_int_equal(empty->line, 10);
    const struct kf_ynode *none = kf_ynode_get(root, "none");
    assert_int_equal(none->type, KF_Y_SEQ);
    assert_int_equal(none->n, 0);
    assert_int_equal(none->line, 11);

    /* lookups that find nothing */
    assert_null(kf_ynode_get(root, "missing"));
    assert_null(kf_ynode_get(root, "nam"));
    assert_null(kf_ynode_get(name, "x"));  /* not a map */
    assert_null(kf_ynode_get(langs, "zh")); /* not a map */
    assert_null(kf_ynode_get(NULL, "x"));
}

static void test_scalars_keep_utf8_and_multiline(void **state)
{
    struct kf_err err = {0};
    const char *y = "zh: \"退货运费谁出?\"\n"
                    "block: |\n"
                    "  line one\n"
                    "  line two\n"
                    "esc: \"tab\\there\"\n"
                    "top: 😀\n";
    assert_int_equal(parse(state, y, &err), 0);
    const struct kf_ynode *root = ((struct kf_ydoc *)*state)->root;
    assert_string_equal(kf_ynode_get(root, "zh")->str, "退货运费谁出?");
    assert_string_equal(kf_ynode_get(root, "block")->str, "line one\nline two\n");
    assert_int_equal(kf_ynode_get(root, "block")->line, 2);
    assert_string_equal(kf_ynode_get(root, "esc")->str, "tab\there");
    assert_string_equal(kf_ynode_get(root, "top")->str, "😀");
    assert_int_equal(kf_ynode_get(root, "top")->line, 6);
}

static void test_empty_and_scalar_documents(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "", &err), 0);
    assert_null(((struct kf_ydoc *)*state)->root);
    assert_int_equal(parse(state, "# only a comment\n", &err), 0);
    assert_null(((struct kf_ydoc *)*state)->root);
    assert_int_equal(parse(state, "just text", &err), 0);
    const struct kf_ynode *r = ((struct kf_ydoc *)*state)->root;
    assert_int_equal(r->type, KF_Y_SCALAR);
    assert_string_equal(r->str, "just text");
    assert_int_equal(parse(state, "---\na: 1\n...\n", &err), 0); /* one explicit document */
    kf_ydoc_free(NULL);
}

static void test_syntax_error_names_file_and_line(void **state)
{
    struct kf_err err = {0};
    const char *y = "a: 1\n"
                    "b: [1, 2\n"
                    "c: 3\n"
                    "d: }\n";
    assert_int_equal(parse(state, y, &err), KF_EPARSE);
    assert_int_equal(err.code, KF_EPARSE);
    assert_memory_equal(err.msg, "t.yaml:", 7);
    int line = atoi(err.msg + 7);
    assert_true(line >= 2 && line <= 4);

    assert_int_equal(parse(state, "a: 1\n  b: 2\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:2:");

    assert_int_equal(parse(state, "a: \"unterminated\n", &err), KF_EPARSE);
    assert_memory_equal(err.msg, "t.yaml:", 7);
}

static void test_aliases_and_anchors_are_rejected(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "a: &x hello\nb: *x\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:1:");
    assert_contains(err.msg, "anchors are not supported");


    /* an alias alone (no anchor in the file) is refused where it appears */
    assert_int_equal(parse(state, "a: [x]\nb: *a\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:2:");
    assert_contains(err.msg, "aliases are not supported");
}

static void test_anchor_on_a_collection_is_rejected(void **state)
{
    struct kf_err err = {0};
    /* yaml.h: anchors are rejected, whatever node they sit on */
    assert_int_equal(parse(state, "base: &b\n  k: v\nother: 1\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:1:");
    assert_contains(err.msg, "anchor");
    assert_int_equal(parse(state, "list: &l [1, 2]\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:1:");
    assert_contains(err.msg, "anchor");
}

static void test_alias_line_is_reported(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "x: 1\ny: 2\nz: *undefined\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:3:");
    /* a merge key is an alias too */
    assert_int_equal(parse(state, "x: 1\ny:\n  <<: *base\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:3:");
}

static void test_multiple_documents_rejected(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "a: 1\n---\nb: 2\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:2:");
    assert_contains(err.msg, "only one YAML document");
}

static char *nested(int depth, int flow_map)
{
    char *s = malloc((size_t)depth * 6 + 16);
    size_t n = 0;
    const char *open = flow_map ? "{a: " : "[";
    for (int i = 0; i < depth; i++) {
        memcpy(s + n, open, strlen(open));
        n += strlen(open);
    }
    s[n++] = '1';
    for (int i = 0; i < depth; i++)
        s[n++] = flow_map ? '}' : ']';
    s[n++] = '\n';
    s[n] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    struct kf_err err = {0};
    char *ok = nested(KF_YAML_MAX_DEPTH, 0);
    char *deep = nested(KF_YAML_MAX_DEPTH + 1, 0);
    char *deep_map = nested(KF_YAML_MAX_DEPTH + 1, 1);
    int rc_ok = parse(state, ok, &err);
    const struct kf_ynode *n = rc_ok == 0 ? ((struct kf_ydoc *)*state)->root : NULL;
    int levels = 0;
    while (n != NULL && n->type == KF_Y_SEQ) {
        levels++;
        n = n->n ? n->items[0] : NULL;
    }
    int rc_deep = parse(state, deep, &err);
    char msg[KF_ERR_MSG_MAX];
    memcpy(msg, err.msg, sizeof msg);
    int rc_map = parse(state, deep_map, &err);
    free(ok);
    free(deep);
    free(deep_map);
    assert_int_equal(rc_ok, 0);
    assert_int_equal(levels, KF_YAML_MAX_DEPTH);
    assert_int_equal(rc_deep, KF_ETOOBIG);
    assert_contains(msg, "t.yaml:1:");
    assert_contains(msg, "nested deeper than 64 levels");
    assert_int_equal(rc_map, KF_ETOOBIG);
}

static void test_invalid_utf8_and_nul(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "a: \"caf\xc3\"\n", &err), KF_EUTF8);
    assert_contains(err.msg, "t.yaml");
    assert_contains(err.msg, "UTF-8");
    assert_int_equal(parse(state, "a: \xed\xa0\x80\n", &err), KF_EUTF8); /* surrogate */
    assert_int_equal(parse(state, "a: \xc0\xaf\n", &err), KF_EUTF8);     /* overlong */
    /* a NUL written as an escape still cannot become a C string */
    assert_int_equal(parse(state, "a: 1\nb: \"x\\0y\"\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:2:");
    assert_contains(err.msg, "NUL");
}

static void test_non_scalar_keys_rejected(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "? [a, b]\n: c\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:1:");
    assert_contains(err.msg, "mapping keys");
    assert_int_equal(parse(state, "x:\n  {a: 1}: 2\n", &err), KF_EPARSE);
    assert_contains(err.msg, "t.yaml:2:");
}

static void test_size_limit(void **state)
{
    (void)state;
    struct kf_err err = {0};
    size_t n = KF_YAML_MAX_BYTES + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    struct kf_ydoc *doc = (struct kf_ydoc *)1;
    int rc = kf_ydoc_load_string("big.yaml", big, n, &doc, &err);
    free(big);
    assert_int_equal(rc, KF_ETOOBIG);
    assert_null(doc);
    assert_contains(err.msg, "big.yaml");
}

static void test_load_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/kefu-unit-yaml-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/conf.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("server:\n  port: 9000\n  host: [bad\n", f);
    fclose(f);
    struct kf_err err = {0};
    struct kf_ydoc *doc = NULL;
    int rc_bad = kf_ydoc_load_file(path, &doc, &err);
    char msg[KF_ERR_MSG_MAX];
    memcpy(msg, err.msg, sizeof msg);

    f = fopen(path, "w");
    fputs("server:\n  port: 9000\n", f);
    fclose(f);
    struct kf_ydoc *good = NULL;
    int rc_good = kf_ydoc_load_file(path, &good, &err);

    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing.yaml", dir);
    struct kf_ydoc *none = (struct kf_ydoc *)1;
    int rc_missing = kf_ydoc_load_file(missing, &none, &err);
    char mmsg[KF_ERR_MSG_MAX];
    memcpy(mmsg, err.msg, sizeof mmsg);

    unlink(path);
    rmdir(dir);

    assert_int_equal(rc_bad, KF_EPARSE);
    assert_null(doc);
    char want[300];
    snprintf(want, sizeof want, "%s:", path);
    assert_contains(msg, want);
    assert_int_equal(rc_good, 0);
    assert_string_equal(good->path, path);
    const struct kf_ynode *port = kf_ynode_get(kf_ynode_get(good->root, "server"), "port");
    assert_string_equal(port->str, "9000");
    assert_int_equal(port->line, 2);
    kf_ydoc_free(good);
    assert_int_equal(rc_missing, KF_EIO);
    assert_null(none);
    assert_contains(mmsg, "missing.yaml");
}

static void test_typed_readers(void **state)
{
    struct kf_err err = {0};
    const char *y = "s: hello\n"
                    "n: 42\n"
                    "neg: -7\n"
                    "big: 99999\n"
                    "word: 12abc\n"
                    "d: 0.35\n"
                    "huge: 1e999\n"
                    "list: [1]\n"
                    "blank: \"\"\n";
    assert_int_equal(parse(state, y, &err), 0);
    const struct kf_ydoc *doc = *state;
    const struct kf_ynode *r = doc->root;
    const char *s = NULL;
    long l = 0;
    double d = 0;

    assert_int_equal(kf_ynode_string(doc, kf_ynode_get(r, "s"), "s", &s, &err), 0);
    assert_string_equal(s, "hello");
    assert_int_equal(kf_ynode_string(doc, kf_ynode_get(r, "list"), "x.list", &s, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:8: x.list: expected a string");
    assert_int_equal(kf_ynode_string(doc, NULL, "absent", &s, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml: absent: expected a string");

    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "n"), "n", 0, 100, &l, &err), 0);
    assert_int_equal(l, 42);
    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "neg"), "neg", -10, 0, &l, &err), 0);
    assert_int_equal(l, -7);
    l = 5;
    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "big"), "server.port", 0, 65535, &l, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:4: server.port: 99999 is out of range [0, 65535]");
    assert_int_equal(l, 5); /* untouched */
    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "word"), "w", 0, 100, &l, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:5: w: expected an integer, got '12abc'");
    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "blank"), "b", 0, 1, &l, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:9: b: expected an integer");
    assert_int_equal(kf_ynode_long(doc, kf_ynode_get(r, "list"), "l", 0, 1, &l, &err), KF_ECONFIG);
    assert_int_equal(kf_ynode_long(doc, NULL, "nothing", 0, 1, &l, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml: nothing: expected an integer");

    assert_int_equal(kf_ynode_double(doc, kf_ynode_get(r, "d"), "d", 0, 1, &d, &err), 0);
    assert_true(d > 0.3499 && d < 0.3501);
    assert_int_equal(kf_ynode_double(doc, kf_ynode_get(r, "n"), "faq.threshold", 0, 1, &d, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:2: faq.threshold: 42 is out of range [0, 1]");
    assert_int_equal(kf_ynode_double(doc, kf_ynode_get(r, "word"), "x", 0, 1, &d, &err),
                     KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:5: x: expected a number, got '12abc'");
    assert_int_equal(kf_ynode_double(doc, kf_ynode_get(r, "huge"), "h", 0, 1, &d, &err),
                     KF_ECONFIG);
    assert_contains(err.msg, "t.yaml:7: h:");
}

static void test_errorf(void **state)
{
    struct kf_err err = {0};
    assert_int_equal(parse(state, "a:\n  b: 1\n", &err), 0);
    const struct kf_ydoc *doc = *state;
    const struct kf_ynode *b = kf_ynode_get(kf_ynode_get(doc->root, "a"), "b");
    assert_int_equal(kf_ydoc_errorf(doc, b, &err, KF_ECONFIG, "a.b: %s", "bad"), KF_ECONFIG);
    assert_int_equal(err.code, KF_ECONFIG);
    assert_string_equal(err.msg, "t.yaml:2: a.b: bad");
    assert_int_equal(kf_ydoc_errorf(doc, NULL, &err, KF_EINVAL, "whole file"), KF_EINVAL);
    assert_string_equal(err.msg, "t.yaml: whole file");
    assert_int_equal(kf_ydoc_errorf(doc, b, NULL, KF_EINVAL, "x"), KF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tree_shape_and_positions, doc_teardown),
        cmocka_unit_test_teardown(test_scalars_keep_utf8_and_multiline, doc_teardown),
        cmocka_unit_test_teardown(test_empty_and_scalar_documents, doc_teardown),
        cmocka_unit_test_teardown(test_syntax_error_names_file_and_line, doc_teardown),
        cmocka_unit_test_teardown(test_aliases_and_anchors_are_rejected, doc_teardown),
        cmocka_unit_test_teardown(test_anchor_on_a_collection_is_rejected, doc_teardown),
        cmocka_unit_test_teardown(test_alias_line_is_reported, doc_teardown),
        cmocka_unit_test_teardown(test_multiple_documents_rejected, doc_teardown),
        cmocka_unit_test_teardown(test_depth_limit, doc_teardown),
        cmocka_unit_test_teardown(test_invalid_utf8_and_nul, doc_teardown),
        cmocka_unit_test_teardown(test_non_scalar_keys_rejected, doc_teardown),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test_teardown(test_typed_readers, doc_teardown),
        cmocka_unit_test_teardown(test_errorf, doc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
