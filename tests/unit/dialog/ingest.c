/*
 * unit/dialog/ingest.c — tests for src/dialog/ingest.c: the CSV splitter
 * (RFC 4180 quoting), CSV and JSON-lines streams cut at any byte (records,
 * line numbers, header errors, the line bound), masking of personal data in
 * queries and attributes, batching and result order, and times. The
 * ingester runs in check-only mode (no store): kf_event_parse still judges
 * every event, nothing is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/ingest.h"

#define NOW "2026-11-25T00:00:00Z"
#define MAXR 64

/* Results as the callback saw them (copied: they live only for the call). */
struct seen {
    size_t n;
    long long line[MAXR];
    enum kf_event_status status[MAXR];
    char msg[MAXR][256];
    char query[MAXR][512];
    char sku[MAXR][64];
    size_t nitems[MAXR];
    int items_qty0[MAXR];
    double items_price0[MAXR];
    char attrs[MAXR][512];
};

static void on_result(const struct kf_ingest_result *r, void *arg)
{
    struct seen *s = arg;
    assert_true(s->n < MAXR);
    size_t i = s->n++;
    s->line[i] = r->n;
    s->status[i] = r->status;
    snprintf(s->msg[i], sizeof s->msg[i], "%s", r->message ? r->message : "");
    if (r->event != NULL) {
        snprintf(s->query[i], sizeof s->query[i], "%s", r->event->query ? r->event->query : "");
        snprintf(s->sku[i], sizeof s->sku[i], "%s", r->event->sku ? r->event->sku : "");
        s->nitems[i] = r->event->nitems;
        if (r->event->nitems > 0) {
            s->items_qty0[i] = r->event->items[0].qty;
            s->items_price0[i] = r->event->items[0].price;
        }
        if (r->event->attributes != NULL) {
            char *t = json_dumps(r->event->attributes, JSON_SORT_KEYS | JSON_COMPACT);
            snprintf(s->attrs[i], sizeof s->attrs[i], "%s", t);
            free(t);
        }
    }
}

static struct kf_ingest *new_ingest(enum kf_ingest_format f, size_t batch, struct seen *s)
{
    struct kf_ingest_params p = kf_ingest_default_params();
    p.format = f;
    p.batch = batch;
    assert_int_equal(kf_ingest_parse_time(NOW, &p.now_ms), 0);
    p.on_result = on_result;
    p.arg = s;
    struct kf_ingest *ing = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_ingest_new(p, &ing, &err), 0);
    return ing;
}

/* Feed text in pieces of `step` bytes (1: byte by byte), then finish. */
static int feed_all(struct kf_ingest *ing, const char *text, size_t step, struct kf_err *err)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i += step) {
        size_t n = len - i < step ? len - i : step;
        int rc = kf_ingest_feed(ing, text + i, n, err);
        if (rc != 0)
            return rc;
    }
    return kf_ingest_finish(ing, err);
}

/* ---- the CSV splitter ---------------------------------------------------- */

static size_t split(const char *rec, char **f, size_t max, int want_rc, struct kf_err *err)
{
    struct kf_arena *a = kf_arena_new(0, 0);
    static char keep[16][256];
    size_t n = 0;
    int rc = kf_ingest_csv_split(rec, strlen(rec), a, f, max, &n, err);
    assert_int_equal(rc, want_rc);
    for (size_t i = 0; rc == 0 && i < n && i < 16; i++) {
        snprintf(keep[i], sizeof keep[i], "%s", f[i]);
        f[i] = keep[i];
    }
    kf_arena_free(a);
    return n;
}

static void test_csv_split_plain_and_empty(void **state)
{
    (void)state;
    char *f[16];
    struct kf_err err = {0};
    assert_int_equal(split("view,42,,SKU-1", f, 16, 0, &err), 4);
    assert_string_equal(f[0], "view");
    assert_string_equal(f[1], "42");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "SKU-1");
    /* a trailing comma is one more (empty) field; an empty record is one field */
    assert_int_equal(split("a,", f, 16, 0, &err), 2);
    assert_string_equal(f[1], "");
    assert_int_equal(split("", f, 16, 0, &err), 1);
    assert_string_equal(f[0], "");
}

static void test_csv_split_quoting(void **state)
{
    (void)state;
    char *f[16];
    struct kf_err err = {0};
    assert_int_equal(split("\"a,b\",\"say \"\"hi\"\"\",\"\",\"line1\nline2\"", f, 16, 0, &err), 4);
    assert_string_equal(f[0], "a,b");
    assert_string_equal(f[1], "say \"hi\"");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "line1\nline2");
    /* UTF-8 inside quotes is kept byte for byte */
    assert_int_equal(split("\"手机,壳\",x", f, 16, 0, &err), 2);
    assert_string_equal(f[0], "手机,壳");
}

static void test_csv_split_errors(void **state)
{
    (void)state;
    char *f[16];
    struct kf_err err = {0};
    split("a,\"open", f, 16, KF_EPARSE, &err);
    assert_non_null(strstr(err.msg, "field 2: no closing quote"));
    split("\"a\"b,c", f, 16, KF_EPARSE, &err);
    assert_non_null(strstr(err.msg, "field 1: text after the closing quote"));
    split("a,b\"c", f, 16, KF_EPARSE, &err);
    assert_non_null(strstr(err.msg, "field 2: a quote inside an unquoted field"));
    split("a,b,c", f, 2, KF_EPARSE, &err);
    assert_non_null(strstr(err.msg, "more than 2 fields"));
}

/* ---- CSV streams ----------------------------------------------------------- */

static const char *csv_text =
    "\xEF\xBB\xBF"
    "event_id,type,external_id,at,sku,query,amount,order_no,items,attr_city,attr_vip\r\n"
    "e1,view,u1,2026-11-20T10:00:00Z,SKU-1,,,,,,\r\n"
    "e2,search,u1,2026-11-20T10:01:00Z,,\"case, \"\"red\"\"\n for phone\",,,,,\r\n"
    "e3,order,u1,2026-11-20T10:02:00Z,,,,DS1,SKU-1*2@19.5;SKU-2,,\r\n"
    "\r\n"
    "e4,attribute,u1,2026-11-20T10:03:00Z,,,,,,上海,true\r\n"
    "e5,view,u1,2026-11-20T10:04:00Z\r\n"
    "e6,view,u1,2026-11-20T10:05:00Z,,,,,,,\r\n";

static void check_csv_results(const struct seen *s)
{
    assert_int_equal(s->n, 6);
    assert_int_equal(s->line[0], 2);
    assert_int_equal(s->status[0], KF_EVENT_ADDED);
    assert_string_equal(s->sku[0], "SKU-1");
    /* a quoted newline: the record starts on line 3, the next on line 5 */
    assert_int_equal(s->line[1], 3);
    assert_int_equal(s->status[1], KF_EVENT_ADDED);
    assert_string_equal(s->query[1], "case, \"red\"\n for phone");
    assert_int_equal(s->line[2], 5);
    assert_int_equal(s->status[2], KF_EVENT_ADDED);
    assert_int_equal(s->nitems[2], 2);
    assert_int_equal(s->items_qty0[2], 2);
    assert_true(s->items_price0[2] > 19.49 && s->items_price0[2] < 19.51);
    /* the blank line 6 is skipped */
    assert_int_equal(s->line[3], 7);
    assert_string_equal(s->attrs[3], "{\"city\":\"上海\",\"vip\":true}");
    assert_int_equal(s->line[4], 8);
    assert_int_equal(s->status[4], KF_EVENT_REJECTED);
    assert_non_null(strstr(s->msg[4], "expected 11 fields"));
    /* a view without a sku: kf_event_parse names the field */
    assert_int_equal(s->line[5], 9);
    assert_int_equal(s->status[5], KF_EVENT_REJECTED);
    assert_non_null(strstr(s->msg[5], "sku"));
}

static void test_csv_stream_any_pieces(void **state)
{
    (void)state;
    size_t steps[] = {1, 2, 7, 64, 4096};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        struct seen s = {0};
        struct kf_ingest *ing = new_ingest(KF_INGEST_CSV, 0, &s);
        struct kf_err err = {0};
        assert_int_equal(feed_all(ing, csv_text, steps[k], &err), 0);
        check_csv_results(&s);
        struct kf_ingest_stats st;
        kf_ingest_stats(ing, &st);
        assert_int_equal(st.added, 4);
        assert_int_equal(st.rejected, 2);
        kf_ingest_free(ing);
    }
}

static void test_csv_header_errors(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"type,colour\nview,red\n", "line 1: unknown column 'colour'"},
        {"type,sku,sku\n", "line 1: column 'sku' appears twice"},
        {"sku,at\n", "line 1: no 'type' column"},
        {"type,\"sku\n", "line 1: header: field 2: no closing quote"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct seen s = {0};
        struct kf_ingest *ing = new_ingest(KF_INGEST_CSV, 0, &s);
        struct kf_err err = {0};
        assert_int_equal(feed_all(ing, bad[i][0], 3, &err), KF_EPARSE);
        if (strstr(err.msg, bad[i][1]) == NULL)
            fail_msg("'%s' lacks '%s'", err.msg, bad[i][1]);
        kf_ingest_free(ing);
    }
}

static void test_csv_bad_cells(void **state)
{
    (void)state;
    struct seen s = {0};
    struct kf_ingest *ing = new_ingest(KF_INGEST_CSV, 0, &s);
    struct kf_err err = {0};
    const char *text = "type,customer_id,order_no,items,amount,at\n"
                       "order,7,DS1,*2,,2026-11-20T10:00:00Z\n"
                       "order,7,DS2,\"[{\"\"sku\"\":\",,2026-11-20T10:00:00Z\n"
                       "order,seven,DS3,,10,2026-11-20T10:00:00Z\n"
                       "order,7,DS4,,ten,2026-11-20T10:00:00Z\n"
                       "order,7,DS5,A*1,,2026-11-20T10:00:00Z\n";
    assert_int_equal(feed_all(ing, text, 5, &err), 0);
    assert_int_equal(s.n, 5);
    assert_non_null(strstr(s.msg[0], "items: item 1: no sku"));
    assert_non_null(strstr(s.msg[1], "items: malformed JSON"));
    assert_non_null(strstr(s.msg[2], "customer_id"));
    assert_non_null(strstr(s.msg[3], "amount"));
    assert_int_equal(s.status[4], KF_EVENT_ADDED);
    kf_ingest_free(ing);
}

/* ---- JSON lines ------------------------------------------------------------- */

static void test_jsonl_lines_and_bound(void **state)
{
    (void)state;
    struct seen s = {0};
    struct kf_ingest *ing = new_ingest(KF_INGEST_JSONL, 0, &s);
    struct kf_err err = {0};
    size_t big = KF_INGEST_LINE_MAX + 100;
    char *text = malloc(big + 512);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, 512,
                                "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"A\"}\n"
                                "\n   \n"
                                "{\"type\":\"view\",\"customer_id\":1,\n"
                                "[1]\n"
                                "{\"type\":\"search\",\"customer_id\":1,\"query\":\"");
    memset(text + o, 'x', big);
    o += big;
    o += (size_t)snprintf(text + o, 512, "\"}\n{\"type\":\"view\",\"customer_id\":2,\"sku\":\"B\"}");
    text[o] = '\0';
    assert_int_equal(feed_all(ing, text, 1000, &err), 0);
    free(text);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.line[0], 1);
    assert_int_equal(s.status[0], KF_EVENT_ADDED);
    assert_int_equal(s.line[1], 4);
    assert_non_null(strstr(s.msg[1], "malformed JSON"));
    assert_int_equal(s.line[2], 5);
    assert_non_null(strstr(s.msg[2], "JSON object"));
    assert_int_equal(s.line[3], 6);
    assert_non_null(strstr(s.msg[3], "longer than 65536 bytes"));
    /* the line after the over-long one, without a final newline */
    assert_int_equal(s.line[4], 7);
    assert_int_equal(s.status[4], KF_EVENT_ADDED);
    assert_string_equal(s.sku[4], "B");
    kf_ingest_free(ing);
}

static void test_batches_keep_input_order(void **state)
{
    (void)state;
    struct seen s = {0};
    struct kf_ingest *ing = new_ingest(KF_INGEST_JSONL, 2, &s);
    struct kf_err err = {0};
    const char *text = "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"A\"}\n"
                       "{\"type\":\"view\",\"customer_id\":1}\n"
                       "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"C\"}\n"
                       "nonsense\n"
                       "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"E\"}\n";
    assert_int_equal(feed_all(ing, text, 9, &err), 0);
    assert_int_equal(s.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(s.line[i], (long long)i + 1);
    assert_string_equal(s.sku[2], "C");
    assert_string_equal(s.sku[4], "E");
    struct kf_ingest_stats st;
    kf_ingest_stats(ing, &st);
    assert_int_equal(st.added, 3);
    assert_int_equal(st.rejected, 2);
    kf_ingest_free(ing);
}

/* ---- masking ------------------------------------------------------------------ */

static void test_mask_query_and_attributes(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:I,s:b,s:s}}", "type", "search", "sku",
                            "13812345678", "query", "手机 13812345678 退货", "attributes",
                            "email", "zhang.san@example.com", "city", "上海", "phone",
                            (json_int_t)13912345678LL, "vip", 1, "id",
                            "11010519491231002X");
    assert_non_null(obj);
    size_t count = 0;
    struct kf_err err = {0};
    assert_int_equal(kf_ingest_mask(obj, NULL, NULL, &count, &err), 0);
    assert_int_equal(count, 4);
    const char *q = json_string_value(json_object_get(obj, "query"));
    assert_non_null(strstr(q, "138****5678"));
    assert_null(strstr(q, "13812345678"));
    json_t *at = json_object_get(obj, "attributes");
    const char *email = json_string_value(json_object_get(at, "email"));
    assert_null(strstr(email, "zhang.san"));
    assert_non_null(strstr(email, "@example.com"));
    assert_string_equal(json_string_value(json_object_get(at, "city")), "上海");
    /* a phone sent as a number becomes its masked text */
    assert_string_equal(json_string_value(json_object_get(at, "phone")), "139****5678");
    assert_true(json_is_true(json_object_get(at, "vip")));
    assert_null(strstr(json_string_value(json_object_get(at, "id")), "194912310021"));
    /* identifiers are not text: the sku is kept */
    assert_string_equal(json_string_value(json_object_get(obj, "sku")), "13812345678");
    json_decref(obj);
    /* a name keeps its first character, as the CRM keeps names */
    obj = json_pack("{s:s,s:{s:s}}", "type", "attribute", "attributes", "name", "张三丰");
    assert_int_equal(kf_ingest_mask(obj, NULL, NULL, &count, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "attributes"),
                                                          "name")), "张**");
    json_decref(obj);
}

static void test_stream_masks_before_parsing(void **state)
{
    (void)state;
    struct seen s = {0};
    struct kf_ingest *ing = new_ingest(KF_INGEST_CSV, 0, &s);
    struct kf_err err = {0};
    const char *text = "type,customer_id,query,at,attr_email\n"
                       "search,3,call me 13812345678,2026-11-20T10:00:00Z,\n"
                       "attribute,3,,2026-11-20T10:00:00Z,a.b@example.org\n";
    assert_int_equal(feed_all(ing, text, 4096, &err), 0);
    assert_int_equal(s.n, 2);
    for (size_t i = 0; i < 2; i++)
        if (s.status[i] != KF_EVENT_ADDED)
            fail_msg("rejected: %s", s.msg[i]);
    assert_string_equal(s.query[0], "call me 138****5678");
    assert_non_null(strstr(s.attrs[1], "@example.org"));
    assert_null(strstr(s.attrs[1], "a.b@example.org"));
    kf_ingest_free(ing);
}

/* ---- times and parameters ---------------------------------------------------- */

static void test_parse_time(void **state)
{
    (void)state;
    long long ms;
    assert_int_equal(kf_ingest_parse_time("2026-11-25T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 1795564800000LL);
    assert_int_equal(kf_ingest_parse_time("2026-11-25", &ms), 0);
    assert_int_equal(ms, 1795564800000LL);
    assert_int_equal(kf_ingest_parse_time("2026-11-25T08:00:00+08:00", &ms), 0);
    assert_int_equal(ms, 1795564800000LL);
    assert_int_equal(kf_ingest_parse_time("2026-11-25T00:00:00.250Z", &ms), 0);
    assert_int_equal(ms, 1795564800250LL);
    assert_int_equal(kf_ingest_parse_time("1795564800000", &ms), 0);
    assert_int_equal(ms, 1795564800000LL);
    const char *bad[] = {"", "yesterday", "2026-13-01", "2026-11-25T25:00", "2026-11-25Tx",
                         "2026-11-25T00:00:00+8", "0", "2026-11-25T00:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kf_ingest_parse_time(bad[i], &ms) == 0)
            fail_msg("'%s' parsed", bad[i]);
}

static void test_params(void **state)
{
    (void)state;
    struct kf_ingest_params p = kf_ingest_default_params();
    struct kf_ingest *ing = NULL;
    struct kf_err err = {0};
    p.batch = KF_EVENTS_BATCH_MAX + 1;
    assert_int_equal(kf_ingest_new(p, &ing, &err), KF_EINVAL);
    assert_null(ing);
    kf_ingest_free(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(test_csv_split_plain_and_empty),
        T(test_csv_split_quoting),
        T(test_csv_split_errors),
        T(test_csv_stream_any_pieces),
        T(test_csv_header_errors),
        T(test_csv_bad_cells),
        T(test_jsonl_lines_and_bound),
        T(test_batches_keep_input_order),
        T(test_mask_query_and_attributes),
        T(test_stream_masks_before_parsing),
        T(test_parse_time),
        T(test_params),
    };
#undef T
    return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
