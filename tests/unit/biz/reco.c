/* unit/biz/reco.c — recommendations (reco.h) and the recommendation log
 * (reco_log.h) on a real SQLite store.
 *
 * Each test gets a fresh store seeded with the demo shop at a fixed NOW
 * (demo-customer-1 owns only the fixed orders: DS20261101001 shipped, a
 * phone and a phone case; DS20261101002 delivered earphones; …005 pending)
 * and category rules mined from its orders with low thresholds (a small
 * shop spreads a phone's add-ons over six categories). What a call logged
 * is read back with kf_reco_get / kf_reco_report; conversions come from the
 * events ingest (events.h), as in production.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/biz.h"
#include "kefu/connector.h"
#include "kefu/demo.h"
#include "kefu/events.h"
#include "kefu/mining.h"
#include "kefu/reco.h"
#include "kefu/reco_log.h"
#include "kefu/repo.h"
#include "kefu/store.h"

#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */
#define DAY 86400000LL

struct fx {
    char dir[256];
    struct kf_store *st;
    struct kf_connector *orders, *tickets, *customers;
    struct kf_biz *biz, *biz_nostore;
    long long demo1, other;
};

static int fx__connector(struct fx *f, const char *backend, struct kf_connector **out,
                         struct kf_err *err)
{
    struct kf_connector_params cp = kf_connector_default_params();
    cp.backend = backend;
    cp.type = "builtin";
    cp.store = f->st;
    return kf_connector_new(cp, out, err);
}

static int fx__mine(struct kf_store *st, struct kf_err *err)
{
    struct kf_mine_params mp = kf_mine_default_params();
    mp.min_count = 2;
    mp.min_confidence = 0.05;
    struct kf_rules_run run;
    int rc = kf_rules_mine_store(st, "category", mp, &run, err);
    if (rc == KF_OK && run.rules == 0)
        rc = kf_errorf(err, KF_EINTERNAL, "no rules mined");
    return rc;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    tu_tmpdir(f->dir, "unit-reco");
    char path[320];
    snprintf(path, sizeof path, "%s/kefu.db", f->dir);
    struct kf_store_params sp = kf_store_default_params();
    sp.path = path;
    sp.synchronous_full = 0;
    struct kf_seed_params seed = kf_seed_default_params();
    seed.customers = 50;
    seed.orders = 300;
    seed.now_ms = NOW;
    struct kf_seed_stats stats;
    struct kf_err err = {0};
    if (kf_store_open(sp, &f->st, &err) != KF_OK || kf_store_migrate(f->st, NULL, &err) != KF_OK ||
        kf_demo_seed(f->st, KEFU_SRC_ROOT "/bots/demo-shop", seed, &stats, &err) != KF_OK ||
        fx__mine(f->st, &err) != KF_OK ||
        kf_store_customer_resolve(f->st, "web", "demo-customer-1", NULL, &f->demo1, &err) !=
            KF_OK ||
        kf_store_customer_resolve(f->st, "web", "unit-reco-other", NULL, &f->other, &err) !=
            KF_OK ||
        fx__connector(f, "orders", &f->orders, &err) != KF_OK ||
        fx__connector(f, "tickets", &f->tickets, &err) != KF_OK ||
        fx__connector(f, "customers", &f->customers, &err) != KF_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    struct kf_biz_params bp = kf_biz_default_params();
    bp.orders = f->orders;
    bp.tickets = f->tickets;
    bp.customers = f->customers;
    if (kf_biz_new(bp, &f->biz_nostore, &err) != KF_OK)
        return -1;
    bp.store = f->st;
    return kf_biz_new(bp, &f->biz, &err) == KF_OK ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    kf_biz_free(f->biz);
    kf_biz_free(f->biz_nostore);
    kf_connector_free(f->orders);
    kf_connector_free(f->tickets);
    kf_connector_free(f->customers);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* The skus demo-customer-1 owns (its fixed orders, cancelled ones aside). */
static int owned_by_demo1(struct fx *f, const char *sku)
{
    json_t *orders = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_repo_order_list(f->st, f->demo1, 100, &orders, &err), KF_OK);
    size_t i, k;
    json_t *o, *it;
    int yes = 0;
    json_array_foreach(orders, i, o) json_array_foreach(json_object_get(o, "items"), k, it) yes |=
        strcmp(str(it, "sku"), sku) == 0 && strcmp(str(o, "status"), "cancelled") != 0;
    json_decref(orders);
    return yes;
}

/* The one line of a report group with key = name. */
static json_t *line_of(json_t *report, const char *group, const char *key, const char *name)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(report, group), i, l) if (strcmp(str(l, key), name) == 0)
        return l;
    fail_msg("no %s %s in the report", key, name);
    return NULL;
}

/* ---- the log ------------------------------------------------------------ */

static void test_log_click_report(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_reco_entry e[3] = {
        {.customer_id = f->demo1, .sku = "huawei-mate60", .source = "rules",
         .strategy = "cross_sell", .rule_version = 1, .reason = "with your phone", .at = NOW},
        {.customer_id = f->demo1, .sku = "mate60-pro-case", .source = "profile",
         .strategy = "api", .at = NOW + 1},
        {.customer_id = 0, .conversation_id = "c1", .sku = "iphone-15", .source = "popular",
         .strategy = "api", .at = NOW + 2 * DAY}};
    long long ids[3];
    assert_int_equal(kf_reco_log(f->st, e, 3, ids, &err), KF_OK);
    assert_true(ids[0] > 0 && ids[1] == ids[0] + 1 && ids[2] == ids[1] + 1);

    json_t *rec = NULL;
    assert_int_equal(kf_reco_get(f->st, ids[0], &rec, &err), KF_OK);
    assert_string_equal(str(rec, "sku"), "huawei-mate60");
    assert_string_equal(str(rec, "source"), "rules");
    assert_int_equal(num(rec, "rule_version"), 1);
    assert_int_equal(num(rec, "created_at"), NOW);
    assert_true(json_is_null(json_object_get(rec, "clicked_at")));
    json_decref(rec);

    /* the first click counts, a second does not; another customer's is not found */
    int first = -1;
    assert_int_equal(kf_reco_mark_click(f->st, ids[0], f->demo1, NOW + 5, &first, &err), KF_OK);
    assert_int_equal(first, 1);
    assert_int_equal(kf_reco_mark_click(f->st, ids[0], 0, NOW + 9, &first, &err), KF_OK);
    assert_int_equal(first, 0);
    assert_int_equal(kf_reco_mark_click(f->st, ids[1], f->other, NOW, &first, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_reco_mark_click(f->st, 999999, 0, NOW, &first, &err), KF_ENOTFOUND);
    /* an anonymous impression may be clicked by whoever saw it */
    assert_int_equal(kf_reco_mark_click(f->st, ids[2], f->other, NOW, &first, &err), KF_OK);
    assert_int_equal(first, 1);
    assert_int_equal(kf_reco_get(f->st, ids[0], &rec, &err), KF_OK);
    assert_int_equal(num(rec, "clicked_at"), NOW + 5);
    json_decref(rec);

    json_t *rep = NULL;
    assert_int_equal(kf_reco_report(f->st, 0, 0, &rep, &err), KF_OK);
    json_t *total = json_object_get(rep, "total");
    assert_int_equal(num(total, "impressions"), 3);
    assert_int_equal(num(total, "clicks"), 2);
    assert_int_equal(num(total, "conversions"), 0);
    assert_true(json_real_value(json_object_get(total, "click_rate")) > 0.66 &&
                json_real_value(json_object_get(total, "click_rate")) < 0.67);
    json_t *rules = line_of(rep, "by_source", "source", "rules");
    assert_int_equal(num(rules, "impressions"), 1);
    assert_int_equal(num(rules, "clicks"), 1);
    assert_true(json_real_value(json_object_get(rules, "click_rate")) == 1.0);
    json_t *api = line_of(rep, "by_strategy", "strategy", "api");
    assert_int_equal(num(api, "impressions"), 2);
    json_t *camp = line_of(rep, "by_strategy", "strategy", "campaign"); /* zeros listed */
    assert_int_equal(num(camp, "impressions"), 0);
    assert_true(json_real_value(json_object_get(camp, "conversion_rate")) == 0.0);
    assert_int_equal(json_array_size(json_object_get(rep, "by_source")), 3);
    assert_int_equal(json_array_size(json_object_get(rep, "by_strategy")), 4);
    json_decref(rep);

    /* a window: [NOW + 1, NOW + DAY) holds the second impression only */
    assert_int_equal(kf_reco_report(f->st, NOW + 1, NOW + DAY, &rep, &err), KF_OK);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 1);
    assert_int_equal(num(line_of(rep, "by_source", "source", "profile"), "impressions"), 1);
    assert_int_equal(num(rep, "since"), NOW + 1);
    json_decref(rep);
    assert_int_equal(kf_reco_report(f->st, NOW, NOW, &rep, &err), KF_EINVAL);
    assert_null(rep);
}

static void test_log_bad_input(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    long long id;
    char long_reason[KF_RECO_REASON_MAX + 2];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = '\0';
    const struct {
        struct kf_reco_entry e;
        const char *field;
    } bad[] = {
        {{.sku = "a", .source = "magic", .strategy = "api"}, "source"},
        {{.sku = "a", .source = "rules", .strategy = "spam"}, "strategy"},
        {{.sku = "", .source = "rules", .strategy = "api"}, "sku"},
        {{.sku = NULL, .source = "rules", .strategy = "api"}, "sku"},
        {{.sku = "a", .source = "rules", .strategy = "api", .reason = long_reason}, "reason"},
        {{.sku = "a", .source = "rules", .strategy = "api", .customer_id = -1}, "negative"},
        {{.sku = "a", .source = "rules", .strategy = "api", .customer_id = 987654}, "customer_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = (struct kf_err){0};
        assert_int_equal(kf_reco_log(f->st, &bad[i].e, 1, &id, &err), KF_EINVAL);
        if (strstr(err.msg, bad[i].field) == NULL)
            fail_msg("case %zu: '%s' does not name %s", i, err.msg, bad[i].field);
    }
    struct kf_reco_entry ok = {.sku = "a", .source = "rules", .strategy = "api"};
    assert_int_equal(kf_reco_log(f->st, &ok, 0, &id, &err), KF_EINVAL);
    assert_int_equal(kf_reco_log(f->st, &ok, KF_RECO_LOG_BATCH + 1, &id, &err), KF_EINVAL);
    assert_int_equal(kf_reco_mark_click(f->st, 0, 0, 0, NULL, &err), KF_EINVAL);
    json_t *rec = (json_t *)1;
    assert_int_equal(kf_reco_get(f->st, -3, &rec, &err), KF_EINVAL);
    assert_null(rec);
    /* nothing of the failed batches was written */
    json_t *rep = NULL;
    assert_int_equal(kf_reco_report(f->st, 0, 0, &rep, &err), KF_OK);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 0);
    json_decref(rep);
}

/* An order event of the customer for a recommended sku converts it (the
 * events ingest does, within 7 days); the report counts it. */
static void test_conversion_from_order_event(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_reco_entry e = {.customer_id = f->demo1, .sku = "ugreen-usb-c-cable",
                              .source = "rules", .strategy = "cross_sell", .at = NOW};
    long long id;
    assert_int_equal(kf_reco_log(f->st, &e, 1, &id, &err), KF_OK);
    char text[512];
    snprintf(text, sizeof text,
             "{\"event_id\":\"unit-reco-order\",\"type\":\"order\",\"customer_id\":%lld,"
             "\"at\":%lld,\"order_no\":\"X1\",\"items\":[{\"sku\":\"ugreen-usb-c-cable\"}]}",
             f->demo1, NOW + DAY);
    json_t *obj = json_loads(text, 0, NULL);
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_event ev;
    assert_int_equal(kf_event_parse(obj, NOW + DAY, a, &ev, &err), KF_OK);
    struct kf_ingest_stats stats = {0};
    enum kf_event_status status = KF_EVENT_REJECTED;
    struct kf_err evErr = {0};
    assert_int_equal(kf_events_ingest(f->st, &ev, 1, NOW + DAY, &status, &evErr, &stats, &err),
                     KF_OK);
    if (status != KF_EVENT_ADDED)
        fail_msg("order event: status %d: %s", (int)status, evErr.msg);
    kf_event_clear(&ev);
    kf_arena_free(a);
    json_decref(obj);
    json_t *rec = NULL, *rep = NULL;
    assert_int_equal(kf_reco_get(f->st, id, &rec, &err), KF_OK);
    assert_string_equal(str(rec, "order_no"), "X1");
    json_decref(rec);
    assert_int_equal(kf_reco_report(f->st, 0, 0, &rep, &err), KF_OK);
    json_t *rules = line_of(rep, "by_source", "source", "rules");
    assert_int_equal(num(rules, "conversions"), 1);
    assert_true(json_real_value(json_object_get(rules, "conversion_rate")) == 1.0);
    json_decref(rep);
}

/* ---- picks ---------------------------------------------------------------- */

static void test_for_customer(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_reco_request req = {.customer_id = f->demo1, .strategy = "api", .lang = "en",
                                  .limit = 5, .now_ms = NOW};
    json_t *a = NULL, *b = NULL;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &a, &err), KF_OK);
    json_t *items = json_object_get(a, "items");
    assert_int_equal(json_array_size(items), 5);
    size_t i;
    json_t *it;
    int rules = 0;
    json_array_foreach(items, i, it) {
        assert_false(owned_by_demo1(f, str(it, "sku"))); /* never what they own */
        for (size_t k = 0; k < i; k++) /* never twice */
            assert_string_not_equal(str(json_array_get(items, k), "sku"), str(it, "sku"));
        assert_true(num(it, "id") > 0);
        assert_string_equal(str(it, "strategy"), "api");
        assert_non_null(str(it, "reason"));
        rules += strcmp(str(it, "source"), "rules") == 0;
        json_t *rec = NULL;
        assert_int_equal(kf_reco_get(f->st, num(it, "id"), &rec, &err), KF_OK);
        assert_string_equal(str(rec, "sku"), str(it, "sku"));
        assert_string_equal(str(rec, "source"), str(it, "source"));
        json_decref(rec);
    }
    /* the phone and earphones they bought have rules: the first pick is one */
    assert_true(rules >= 1);
    assert_string_equal(str(json_array_get(items, 0), "source"), "rules");
    assert_true(num(json_array_get(items, 0), "rule_version") > 0);
    /* the same data gives the same picks (a dry run logs nothing) */
    req.dry_run = 1;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &b, &err), KF_OK);
    json_array_foreach(json_object_get(b, "items"), i, it) {
        assert_string_equal(str(it, "sku"), str(json_array_get(items, i), "sku"));
        assert_null(json_object_get(it, "id"));
    }
    json_decref(a);
    json_decref(b);
    json_t *rep = NULL;
    assert_int_equal(kf_reco_report(f->st, 0, 0, &rep, &err), KF_OK);
    assert_int_equal(num(json_object_get(rep, "total"), "impressions"), 5);
    json_decref(rep);
}

static void test_for_customer_anonymous_and_errors(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_reco_request req = {.limit = 4, .now_ms = NOW, .dry_run = 1};
    json_t *out = NULL;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &out, &err), KF_OK);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it) {
        assert_string_equal(str(it, "source"), "popular"); /* nothing else is known */
        assert_string_equal(str(it, "strategy"), "api");   /* the default */
    }
    assert_int_equal(json_array_size(json_object_get(out, "items")), 4);
    json_decref(out);
    req.customer_id = 987654;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &out, &err), KF_ENOTFOUND);
    assert_null(out);
    req.customer_id = f->demo1;
    req.limit = KF_RECO_MAX + 1;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "limit"));
    req.limit = 1;
    req.strategy = "telepathy";
    req.dry_run = 0;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &out, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "strategy"));
}

/* Events shape the taste: views of one category make it preferred, and the
 * profile source then shows a product of it. */
static void test_profile_source(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_event ev[3];
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"event_id\":\"unit-reco-view-%d\",\"type\":\"view\",\"customer_id\":%lld,"
                 "\"at\":%lld,\"sku\":\"xiaomi-band-8\"}",
                 i, f->other, NOW - DAY + i);
        json_t *obj = json_loads(text, 0, NULL);
        assert_int_equal(kf_event_parse(obj, NOW, a, &ev[i], &err), KF_OK);
        json_decref(obj);
    }
    assert_int_equal(kf_events_ingest(f->st, ev, 3, NOW, NULL, NULL, NULL, &err), KF_OK);
    kf_arena_free(a);
    struct kf_reco_taste t;
    assert_int_equal(kf_reco_taste(f->st, f->other, NOW, &t, &err), KF_OK);
    assert_true(t.known);
    assert_true(t.ncategories >= 1);
    struct kf_reco_request req = {.customer_id = f->other, .limit = 3, .now_ms = NOW,
                                  .dry_run = 1};
    json_t *out = NULL;
    assert_int_equal(kf_reco_for_customer(f->st, &req, &out, &err), KF_OK);
    json_t *first = json_array_get(json_object_get(out, "items"), 0);
    assert_string_equal(str(first, "source"), "profile");
    assert_string_equal(str(first, "category"), t.categories[0]);
    json_decref(out);
    assert_int_equal(kf_reco_taste(f->st, 987654, NOW, &t, &err), KF_ENOTFOUND);
}

static void test_cross_sell(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    const char *skus[] = {"huawei-mate60"};
    struct kf_reco_request req = {.customer_id = f->other, .conversation_id = "conv-1",
                                  .lang = "zh", .now_ms = NOW};
    json_t *out = NULL;
    assert_int_equal(kf_reco_cross_sell(f->st, &req, skus, 1, &out, &err), KF_OK);
    assert_non_null(out);
    assert_string_equal(str(out, "source"), "rules");
    assert_string_equal(str(out, "strategy"), "cross_sell");
    assert_string_not_equal(str(out, "category"), "phones");
    assert_non_null(strstr(str(out, "reason"), "华为Mate60"));
    assert_true(json_is_object(json_object_get(out, "product")));
    json_t *rec = NULL;
    assert_int_equal(kf_reco_get(f->st, num(out, "id"), &rec, &err), KF_OK);
    assert_string_equal(str(rec, "conversation_id"), "conv-1");
    assert_int_equal(num(rec, "rule_version"), num(out, "rule_version"));
    json_decref(rec);
    json_decref(out);
    /* an item without rules (or unknown) gives nothing, without error */
    const char *none[] = {"no-such-sku"};
    assert_int_equal(kf_reco_cross_sell(f->st, &req, none, 1, &out, &err), KF_OK);
    assert_null(out);
    assert_int_equal(kf_reco_cross_sell(f->st, &req, none, 0, &out, &err), KF_EINVAL);
}

/* ---- the dialog's actions -------------------------------------------------- */

static struct kf_biz_ctx ctx_of(struct kf_biz *b, long long customer)
{
    return (struct kf_biz_ctx){.biz = b, .customer_id = customer, .conversation_id = "conv-x",
                               .lang = "en", .now_ms = NOW};
}

static json_t *call(struct kf_biz *b, long long customer, const char *action, const char *args)
{
    struct kf_biz_ctx c = ctx_of(b, customer);
    json_t *a = json_loads(args, 0, NULL), *res = NULL;
    struct kf_err err = {0};
    if (kf_biz_call(&c, action, a, &res, &err) != KF_OK)
        fail_msg("%s %s: %s", action, args, err.msg);
    json_decref(a);
    return res;
}

static void test_actions(void **state)
{
    struct fx *f = *state;
    /* the customer's shipped order → an add-on, logged, not one of its items */
    json_t *r = call(f->biz, f->demo1, "reco.cross_sell", "{\"order_id\":\"DS20261101001\"}");
    assert_string_equal(str(r, "outcome"), "ok");
    long long id = num(r, "rec_id");
    assert_true(id > 0);
    assert_false(owned_by_demo1(f, str(r, "sku")));
    assert_string_equal(str(json_object_get(r, "card"), "type"), "product");
    assert_int_equal(num(json_object_get(r, "card"), "rec_id"), id);
    json_decref(r);
    /* someone else's order, or one not yet shipped: no offer */
    r = call(f->biz, f->other, "reco.cross_sell", "{\"order_id\":\"DS20261101001\"}");
    assert_string_equal(str(r, "outcome"), "empty");
    json_decref(r);
    r = call(f->biz, f->demo1, "reco.cross_sell", "{\"order_id\":\"DS20261101005\"}");
    assert_string_equal(str(r, "outcome"), "empty");
    json_decref(r);
    r = call(f->biz, f->demo1, "reco.cross_sell", "{\"order_id\":\"DS99999999999\"}");
    assert_string_equal(str(r, "outcome"), "not_found");
    json_decref(r);
    /* accept: the click is recorded once; another customer cannot */
    char args[64];
    snprintf(args, sizeof args, "{\"rec_id\":%lld}", id);
    r = call(f->biz, f->other, "reco.accept", args);
    assert_string_equal(str(r, "outcome"), "not_found");
    json_decref(r);
    r = call(f->biz, f->demo1, "reco.accept", args);
    assert_string_equal(str(r, "outcome"), "ok");
    assert_non_null(str(r, "name"));
    json_decref(r);
    json_t *rec = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_reco_get(f->st, id, &rec, &err), KF_OK);
    assert_int_equal(num(rec, "clicked_at"), NOW);
    json_decref(rec);
    /* without a store the actions say unavailable, never fail */
    r = call(f->biz_nostore, f->demo1, "reco.cross_sell", "{\"product\":\"huawei-mate60\"}");
    assert_string_equal(str(r, "outcome"), "unavailable");
    json_decref(r);
    struct kf_biz_ctx c = ctx_of(f->biz, f->demo1);
    json_t *bad = json_loads("{\"rec_id\":\"7\"}", 0, NULL);
    assert_int_equal(kf_biz_call(&c, "reco.accept", bad, &r, &err), KF_EINVAL);
    json_decref(bad);
}

/* The elicitation flow's picks are logged (strategy elicitation) and each
 * card carries its rec_id. */
static void recommend_logged(struct fx *f, long long customer, const char *source)
{
    json_t *r = call(f->biz, customer, "product.recommend", "{\"category\":\"phones\"}");
    assert_string_equal(str(r, "outcome"), "ok");
    size_t i;
    json_t *card;
    json_array_foreach(json_object_get(json_object_get(r, "card"), "items"), i, card) {
        json_t *rec = NULL;
        struct kf_err err = {0};
        assert_int_equal(kf_reco_get(f->st, num(card, "rec_id"), &rec, &err), KF_OK);
        assert_string_equal(str(rec, "sku"), str(card, "sku"));
        assert_string_equal(str(rec, "strategy"), "elicitation");
        assert_string_equal(str(rec, "source"), source);
        json_decref(rec);
    }
    assert_int_equal(i, 3);
    json_decref(r);
}

static void test_recommend_logged(void **state)
{
    struct fx *f = *state;
    /* no events, no profile: the flow's own ranking */
    recommend_logged(f, f->other, "popular");
    /* demo-customer-1's orders are events (mining synced the shop): with no
     * budget given, the price it usually pays reorders the picks */
    recommend_logged(f, f->demo1, "profile");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_click_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_log_bad_input, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_conversion_from_order_event, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_for_customer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_for_customer_anonymous_and_errors, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_profile_source, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cross_sell, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_actions, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_recommend_logged, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
