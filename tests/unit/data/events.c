/* unit/data/events.c — tests for events.h over the SQLite backend: parsing
 * and validation of events (every refusal names its field), derived ids,
 * ingest (customers by external id, duplicates, rejected events that do not
 * fail the batch, enrichment from the catalogue, attributes), conversions of
 * recommendations, the shop's orders and refunds as events, the incremental
 * fold agreeing with a rebuild, conversation turns as events, segments and
 * the churn distribution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/arena.h"
#include "kefu/events.h"
#include "kefu/repo.h"
#include "kefu/store.h"

#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */
#define DAY 86400000LL

static const struct kf_seed_product PRODUCTS[] = {
    {"phone-a", "甲手机", "Phone A", "phones", "acme", 3999, NULL, 0, NULL},
    {"case-a", "甲手机壳", "Case A", "phone-cases", "acme", 59, NULL, 0, NULL},
    {"charger-a", "快充头", "Charger A", "chargers", "acme", 99, NULL, 0, NULL},
    {"buds-a", "甲耳机", "Buds A", "earphones", "bolt", 899, NULL, 0, NULL},
};

struct fx {
    char dir[256];
    char path[320];
    struct kf_store *st;
    sqlite3 *db; /* an independent connection for checks and setup */
    struct kf_arena *a;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-events");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    *state = f;
    struct kf_store_params sp = kf_store_default_params();
    sp.path = f->path;
    struct kf_err err = {0};
    struct kf_seed_params p = kf_seed_default_params();
    p.products = PRODUCTS;
    p.nproducts = sizeof PRODUCTS / sizeof PRODUCTS[0];
    p.customers = 20;
    p.orders = 120;
    p.seed = 3;
    p.now_ms = NOW;
    struct kf_seed_stats stats;
    if (kf_store_open(sp, &f->st, &err) != 0 || kf_store_migrate(f->st, NULL, &err) != 0 ||
        kf_repo_seed(f->st, &p, &stats, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    f->a = kf_arena_new(0, 0);
    return sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_store_free(f->st);
    kf_arena_free(f->a);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static long long sql_int(struct fx *f, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(f->db));
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static void sql_exec(struct fx *f, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* Parse one event from JSON text; returns the kf_err code. */
static int parse(struct fx *f, const char *text, struct kf_event *ev, struct kf_err *err)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (j == NULL)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    int rc = kf_event_parse(j, NOW, f->a, ev, err);
    json_decref(j);
    return rc;
}

static void refused(struct fx *f, const char *text, const char *field)
{
    struct kf_event ev;
    struct kf_err err = {0};
    if (parse(f, text, &ev, &err) != KF_EINVAL)
        fail_msg("accepted: %s", text);
    if (strncmp(err.msg, field, strlen(field)) != 0)
        fail_msg("%s: the error \"%s\" does not name %s", text, err.msg, field);
}

/* Ingest JSON events given as one JSON array text. */
static struct kf_ingest_stats ingest(struct fx *f, const char *array, enum kf_event_status *status,
                                     struct kf_err *errors)
{
    json_t *j = json_loads(array, 0, NULL);
    assert_non_null(j);
    size_t n = json_array_size(j);
    struct kf_event *evs = calloc(n, sizeof *evs);
    for (size_t i = 0; i < n; i++) {
        struct kf_err err = {0};
        if (kf_event_parse(json_array_get(j, i), NOW, f->a, &evs[i], &err) != 0)
            fail_msg("event %zu: %s", i, err.msg);
    }
    struct kf_ingest_stats stats = {0};
    struct kf_err err = {0};
    if (kf_events_ingest(f->st, evs, n, NOW, status, errors, &stats, &err) != 0)
        fail_msg("ingest: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        kf_event_clear(&evs[i]);
    free(evs);
    json_decref(j);
    return stats;
}

static json_t *profile(struct fx *f, long long id)
{
    json_t *p = NULL;
    struct kf_err err = {0};
    if (kf_profiles_get(f->st, id, NOW, &p, &err) != 0)
        fail_msg("profile %lld: %s", id, err.msg);
    return p;
}

static json_t *path(json_t *o, const char *a, const char *b)
{
    return json_object_get(json_object_get(o, a), b);
}

/* ---- parsing ------------------------------------------------------------------ */

static void test_parse_accepts_each_type(void **state)
{
    struct fx *f = *state;
    struct kf_event ev;
    struct kf_err err = {0};
    assert_int_equal(parse(f, "{\"type\":\"view\",\"external_id\":\"u1\",\"sku\":\"phone-a\","
                              "\"at\":\"2026-11-24T08:00:00+08:00\"}", &ev, &err), 0);
    assert_string_equal(ev.type, "view");
    assert_string_equal(ev.channel, "web");
    assert_int_equal(ev.at, NOW - DAY); /* 00:00Z on the 24th */
    assert_int_equal(strncmp(ev.event_id, "h:", 2), 0);
    assert_int_equal(parse(f, "{\"type\":\"order\",\"customer_id\":1,\"order_no\":\"X1\","
                              "\"items\":[{\"sku\":\"phone-a\",\"qty\":2,\"price\":3000}]}",
                           &ev, &err), 0);
    assert_int_equal(ev.nitems, 1);
    assert_int_equal(ev.items[0].qty, 2);
    assert_int_equal(ev.at, NOW); /* default: now */
    assert_int_equal(parse(f, "{\"type\":\"search\",\"customer_id\":1,\"query\":\"耳机\","
                              "\"at\":1795560000000}", &ev, &err), 0);
    assert_int_equal(parse(f, "{\"type\":\"attribute\",\"customer_id\":1,\"attributes\":"
                              "{\"birthday\":\"1990-11-25\",\"lang\":\"en\"}}", &ev, &err), 0);
    kf_event_clear(&ev);
    assert_int_equal(parse(f, "{\"type\":\"refund\",\"customer_id\":1,\"amount\":10.5,"
                              "\"event_id\":\"r-1\"}", &ev, &err), 0);
    assert_string_equal(ev.event_id, "r-1");
}

static void test_parse_refusals_name_the_field(void **state)
{
    struct fx *f = *state;
    refused(f, "[]", "an event");
    refused(f, "{\"customer_id\":1}", "type");
    refused(f, "{\"type\":\"teleport\",\"customer_id\":1}", "type");
    refused(f, "{\"type\":\"message\",\"customer_id\":1}", "type");
    refused(f, "{\"type\":\"view\",\"customer_id\":1,\"colour\":\"red\"}", "colour");
    refused(f, "{\"type\":\"view\",\"customer_id\":1}", "sku");
    refused(f, "{\"type\":\"search\",\"customer_id\":1}", "query");
    refused(f, "{\"type\":\"order\",\"customer_id\":1,\"amount\":5}", "order_no");
    refused(f, "{\"type\":\"order\",\"customer_id\":1,\"order_no\":\"X\"}", "items");
    refused(f, "{\"type\":\"payment\",\"customer_id\":1,\"order_no\":\"X\"}", "amount");
    refused(f, "{\"type\":\"refund\",\"customer_id\":1,\"amount\":-1}", "amount");
    refused(f, "{\"type\":\"attribute\",\"customer_id\":1}", "attributes");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\"}", "customer_id");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":0}", "customer_id");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"external_id\":\"u\"}",
            "customer_id");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"at\":\"yesterday\"}", "at");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"at\":100}", "at");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"at\":1895564800000}", "at");
    refused(f, "{\"type\":\"view\",\"sku\":\"\",\"customer_id\":1}", "sku");
    refused(f, "{\"type\":\"view\",\"sku\":5,\"customer_id\":1}", "sku");
    refused(f, "{\"type\":\"order\",\"customer_id\":1,\"order_no\":\"X\",\"items\":[{\"qty\":1}]}",
            "items[0].sku");
    refused(f, "{\"type\":\"order\",\"customer_id\":1,\"order_no\":\"X\",\"items\":"
               "[{\"sku\":\"a\",\"qty\":0}]}", "items[0].qty");
    refused(f, "{\"type\":\"attribute\",\"customer_id\":1,\"attributes\":"
               "{\"birthday\":\"25/11/1990\"}}", "attributes.birthday");
    refused(f, "{\"type\":\"attribute\",\"customer_id\":1,\"attributes\":"
               "{\"marketing_opt_out\":\"yes\"}}", "attributes.marketing_opt_out");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"attributes\":{\"x\":1}}",
            "attributes");
    refused(f, "{\"type\":\"view\",\"sku\":\"a\",\"customer_id\":1,\"event_id\":\"order:1\"}",
            "event_id");
    char big[700];
    snprintf(big, sizeof big, "{\"type\":\"search\",\"customer_id\":1,\"query\":\"%0600d\"}", 0);
    refused(f, big, "query");
}

static void test_derived_ids_follow_the_content(void **state)
{
    struct fx *f = *state;
    struct kf_event a, b, c;
    struct kf_err err = {0};
    const char *text = "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"phone-a\",\"at\":1795560000000}";
    assert_int_equal(parse(f, text, &a, &err), 0);
    assert_int_equal(parse(f, text, &b, &err), 0);
    assert_int_equal(parse(f, "{\"type\":\"view\",\"customer_id\":1,\"sku\":\"case-a\","
                              "\"at\":1795560000000}", &c, &err), 0);
    assert_string_equal(a.event_id, b.event_id);
    assert_string_not_equal(a.event_id, c.event_id);
}

/* ---- ingest ------------------------------------------------------------------- */

static void test_ingest_duplicates_and_rejections(void **state)
{
    struct fx *f = *state;
    const char *batch =
        "[{\"event_id\":\"e1\",\"type\":\"view\",\"external_id\":\"shopper-9\",\"sku\":\"phone-a\","
        "  \"at\":1795500000000},"
        " {\"event_id\":\"e2\",\"type\":\"add_to_cart\",\"external_id\":\"shopper-9\","
        "  \"sku\":\"case-a\",\"at\":1795510000000},"
        " {\"event_id\":\"e3\",\"type\":\"view\",\"customer_id\":999999,\"sku\":\"phone-a\"},"
        " {\"event_id\":\"e4\",\"type\":\"order\",\"external_id\":\"shopper-9\",\"order_no\":\"EXT1\","
        "  \"items\":[{\"sku\":\"phone-a\"},{\"sku\":\"case-a\",\"qty\":2}],\"amount\":4117,"
        "  \"at\":1795520000000}]";
    enum kf_event_status status[4];
    struct kf_err errors[4];
    struct kf_ingest_stats s = ingest(f, batch, status, errors);
    assert_int_equal(s.added, 3);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(status[2], KF_EVENT_REJECTED);
    assert_non_null(strstr(errors[2].msg, "999999"));
    assert_int_equal(status[0], KF_EVENT_ADDED);
    /* the same file again adds nothing */
    s = ingest(f, batch, status, errors);
    assert_int_equal(s.added, 0);
    assert_int_equal(s.duplicates, 3);
    /* one customer was created for the external id, with its identity */
    assert_int_equal(sql_int(f, "SELECT count(DISTINCT customer_id) FROM events WHERE event_id IN"
                                " ('e1','e2','e4')"), 1);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM customer_identities WHERE"
                                " external_id = 'shopper-9'"), 1);
    /* enrichment: the view's category and price come from the catalogue */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE event_id = 'e1'"
                                " AND category = 'phones' AND amount = 3999"), 1);
    assert_int_equal(sql_int(f, "SELECT json_extract(props, '$.items[1].price') FROM events"
                                " WHERE event_id = 'e4'"), 59);
    long long id = sql_int(f, "SELECT customer_id FROM events WHERE event_id = 'e1'");
    json_t *p = profile(f, id);
    assert_int_equal(json_integer_value(path(p, "rfm", "frequency")), 1);
    assert_true(json_number_value(path(p, "rfm", "monetary")) > 4116.9);
    assert_int_equal(json_integer_value(path(p, "activity", "views")), 1);
    assert_int_equal(json_integer_value(path(p, "activity", "cart_adds")), 1);
    json_decref(p);
    /* the stored profile row exists */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM profiles WHERE customer_id = %lld", id);
    assert_int_equal(sql_int(f, sql), 1);
}

static void test_attributes_update_the_customer(void **state)
{
    struct fx *f = *state;
    ingest(f, "[{\"type\":\"attribute\",\"customer_id\":1,\"attributes\":{\"birthday\":"
              "\"1990-11-25\",\"lang\":\"en\",\"marketing_opt_out\":true,\"shoe_size\":42}}]",
           NULL, NULL);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM customers WHERE id = 1 AND birthday ="
                                " '1990-11-25' AND lang = 'en' AND marketing_opt_out = 1"), 1);
    json_t *p = profile(f, 1);
    assert_true(json_is_true(json_object_get(p, "opt_out")));
    assert_int_equal(json_integer_value(path(p, "attributes", "shoe_size")), 42);
    json_decref(p);
}

static void test_recommendations_convert(void **state)
{
    struct fx *f = *state;
    sql_exec(f, "INSERT INTO recommendations (id, customer_id, sku, source, strategy, created_at)"
                " VALUES (1, 2, 'case-a', 'rules', 'cross_sell', 1795400000000),"
                " (2, 2, 'buds-a', 'popular', 'api', 1795400000000),"
                " (3, 2, 'charger-a', 'profile', 'api', 1794000000000)");
    ingest(f, "[{\"type\":\"click\",\"customer_id\":2,\"sku\":\"case-a\",\"rec_id\":1,"
              "\"at\":1795410000000},"
              " {\"type\":\"order\",\"customer_id\":2,\"order_no\":\"EXT2\",\"at\":1795420000000,"
              "  \"items\":[{\"sku\":\"case-a\"},{\"sku\":\"charger-a\"}]}]",
           NULL, NULL);
    assert_int_equal(sql_int(f, "SELECT clicked_at FROM recommendations WHERE id = 1"),
                     1795410000000LL);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM recommendations WHERE id = 1"
                                " AND bought_at = 1795420000000 AND order_no = 'EXT2'"), 1);
    /* not bought: buds-a; charger-a was shown more than 7 days before */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM recommendations WHERE bought_at IS NULL"),
                     2);
}

static void test_shop_orders_become_events_once(void **state)
{
    struct fx *f = *state;
    long long added = 0;
    struct kf_err err = {0};
    assert_int_equal(kf_events_sync_shop(f->st, NOW, &added, &err), 0);
    long long orders = sql_int(f, "SELECT count(*) FROM orders WHERE status <> 'cancelled'");
    assert_true(orders > 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE type = 'order'"), orders);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE type = 'refund'"),
                     sql_int(f, "SELECT count(*) FROM refunds r JOIN orders o ON o.id ="
                                " r.order_id WHERE o.status <> 'cancelled'"));
    assert_true(added >= orders);
    assert_int_equal(kf_events_sync_shop(f->st, NOW, &added, &err), 0);
    assert_int_equal(added, 0);
    /* items carry their categories */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM events e, json_each(e.props, '$.items') j"
                                " WHERE e.type = 'order' AND j.value ->> 'category' IS NULL"), 0);
}

/* The states the incremental fold wrote equal those a rebuild folds. */
static void test_incremental_matches_rebuild(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    assert_int_equal(kf_events_sync_shop(f->st, NOW, NULL, &err), 0);
    ingest(f, "[{\"type\":\"view\",\"customer_id\":3,\"sku\":\"buds-a\",\"at\":1795000000000},"
              " {\"type\":\"search\",\"customer_id\":3,\"query\":\"earphones\","
              "  \"at\":1794000000000},"
              " {\"type\":\"refund\",\"customer_id\":3,\"amount\":20,\"at\":1795100000000}]",
           NULL, NULL);
    sql_exec(f, "CREATE TEMP TABLE before AS SELECT customer_id, state FROM profiles");
    struct kf_rebuild_stats rs = {0};
    assert_int_equal(kf_profiles_rebuild(f->st, NOW, NULL, NULL, &rs, &err), 0);
    assert_int_equal(rs.customers, sql_int(f, "SELECT count(*) FROM customers"));
    assert_int_equal(rs.events, sql_int(f, "SELECT count(*) FROM events"));
    assert_true(sql_int(f, "SELECT count(*) FROM temp.before") > 10);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(f->db, "SELECT b.state, p.state FROM temp.before b JOIN profiles p USING"
                              " (customer_id) WHERE p.state <> b.state", -1, &q, NULL);
    if (sqlite3_step(q) == SQLITE_ROW)
        fail_msg("incremental %s\nrebuilt     %s", sqlite3_column_text(q, 0),
                 sqlite3_column_text(q, 1));
    sqlite3_finalize(q);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM profiles"),
                     sql_int(f, "SELECT count(*) FROM customers"));
}

static void test_turns_are_events(void **state)
{
    struct fx *f = *state;
    long long cust = 0;
    struct kf_err err = {0};
    assert_int_equal(kf_store_customer_resolve(f->st, "web", "chat-1", NULL, &cust, &err), 0);
    struct kf_conversation c = {.customer_id = cust, .created_at = NOW};
    snprintf(c.id, sizeof c.id, "%032d", 7);
    snprintf(c.channel, sizeof c.channel, "web");
    snprintf(c.lang, sizeof c.lang, "zh");
    snprintf(c.status, sizeof c.status, "open");
    assert_int_equal(kf_store_conversation_create(f->st, &c, &err), 0);
    for (int i = 0; i < 2; i++) {
        struct kf_message m[2] = {{.role = "customer", .text = "太差了", .lang = "zh", .kind = ""},
                                  {.role = "bot", .text = "抱歉", .lang = "zh", .kind = "faq"}};
        struct kf_turn_record rec = {.intent = "complaint", .sentiment = "negative"};
        struct kf_turn_write t = {.conversation_id = c.id, .msgs = m, .n = 2, .record = &rec};
        assert_int_equal(kf_store_turn_commit(f->st, &t, &err), 0);
    }
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE customer_id = %lld AND type ="
                              " 'message' AND props ->> 'sentiment' = 'negative'", cust);
    assert_int_equal(sql_int(f, sql), 2);
    json_t *p = profile(f, cust);
    assert_int_equal(json_integer_value(path(p, "activity", "messages")), 2);
    assert_int_equal(json_integer_value(path(p, "complaints", "total")), 2);
    json_decref(p);
    /* the turns only queued their events: the read above folded them in
     * memory, the stored profile waits for kf_profiles_fold_pending */
    char pend[160], stored[200];
    snprintf(pend, sizeof pend, "SELECT count(*) FROM profile_pending WHERE customer_id = %lld",
             cust);
    snprintf(stored, sizeof stored,
             "SELECT coalesce(profile ->> '$.activity.messages', 0) FROM profiles"
             " WHERE customer_id = %lld", cust);
    assert_int_equal(sql_int(f, pend), 2);
    int folded = 0;
    assert_int_equal(kf_profiles_fold_pending(f->st, 10, NOW, &folded, &err), 0);
    assert_true(folded >= 1);
    assert_int_equal(sql_int(f, pend), 0);
    assert_int_equal(sql_int(f, stored), 2);
    p = profile(f, cust); /* folded once, not twice */
    assert_int_equal(json_integer_value(path(p, "activity", "messages")), 2);
    json_decref(p);
    assert_int_equal(kf_profiles_fold_pending(f->st, 10, NOW, &folded, &err), 0);
    assert_int_equal(folded, 0);
    json_t *list = NULL;
    assert_int_equal(kf_events_list(f->st, cust, "message", 10, 0, &list, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
    json_decref(list);
    assert_int_equal(kf_events_list(f->st, cust, "teleport", 10, 0, &list, &err), KF_EINVAL);
}

static void test_segments_and_churn(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    assert_int_equal(kf_profiles_rebuild(f->st, NOW, NULL, NULL, NULL, &err), 0);
    json_t *sum = NULL;
    assert_int_equal(kf_segments_summary(f->st, &sum, &err), 0);
    long long total = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(sum, "lifecycle"), k, v)
        total += json_integer_value(v);
    assert_int_equal(total, sql_int(f, "SELECT count(*) FROM customers"));
    json_decref(sum);
    const char *stage = NULL;
    sqlite3_stmt *q;
    sqlite3_prepare_v2(f->db, "SELECT lifecycle, count(*) FROM profiles GROUP BY 1 LIMIT 1", -1,
                       &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    char tag[64];
    snprintf(tag, sizeof tag, "lifecycle:%s", (stage = (const char *)sqlite3_column_text(q, 0)));
    long long n = sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    json_t *seg = NULL;
    assert_int_equal(kf_segments_customers(f->st, tag, 500, 0, &seg, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(seg, "total")), n);
    assert_int_equal((long long)json_array_size(json_object_get(seg, "items")), n);
    json_decref(seg);
    assert_int_equal(kf_segments_customers(f->st, "no-such-tag", 10, 0, &seg, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(seg, "total")), 0);
    json_decref(seg);
    assert_int_equal(kf_segments_customers(f->st, "x", 0, 0, &seg, &err), KF_EINVAL);
    json_t *churn = NULL;
    assert_int_equal(kf_churn_distribution(f->st, 5, &churn, &err), 0);
    long long in_buckets = 0;
    size_t i;
    json_array_foreach(json_object_get(churn, "buckets"), i, v)
        in_buckets += json_integer_value(json_object_get(v, "customers"));
    assert_int_equal(in_buckets, sql_int(f, "SELECT count(*) FROM profiles"));
    json_t *top = json_object_get(churn, "riskiest");
    assert_int_equal(json_array_size(top), 5);
    assert_true(json_number_value(json_object_get(json_array_get(top, 0), "churn_score")) >=
                json_number_value(json_object_get(json_array_get(top, 4), "churn_score")));
    json_decref(churn);
    assert_int_equal(kf_profiles_get(f->st, 999999, NOW, &churn, &err), KF_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_accepts_each_type, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_parse_refusals_name_the_field, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_derived_ids_follow_the_content, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_duplicates_and_rejections, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_attributes_update_the_customer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_recommendations_convert, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_shop_orders_become_events_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_incremental_matches_rebuild, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turns_are_events, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_segments_and_churn, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
