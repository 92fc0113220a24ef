/* unit/biz/modules.c — tests of the business modules (biz.h: orders.c,
 * tickets.c, products.c and the registry in biz.c) through kf_biz_call.
 *
 * Each test gets a fresh SQLite store in a temp folder, seeded with the demo
 * shop: the products of bots/demo-shop/catalogue.yaml and kf_repo_seed's
 * fixed orders of demo-customer-1 (src/data/seed.c):
 *   DS20261101001 shipped, DS20261101002 delivered 5 days ago,
 *   DS20261101003 delivered 60 days ago, DS20261101004 paid,
 *   DS20261101005 pending.
 * The seed and every call use the same NOW, so the return windows are exact.
 * The connectors are the builtin ones on that store; what an action changed
 * is read back through them (order.get, ticket.get, product.get).
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
#include "kefu/demo.h"
#include "kefu/connector.h"
#include "kefu/repo.h"
#include "kefu/store.h"

#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */
#define DAY 86400000LL

#define O_SHIPPED "DS20261101001"
#define O_DELIVERED_5D "DS20261101002"
#define O_DELIVERED_60D "DS20261101003"
#define O_PAID "DS20261101004"
#define O_PENDING "DS20261101005"

struct fx {
    char dir[256];
    struct kf_store *st;
    struct kf_connector *orders, *tickets, *customers;
    struct kf_biz *biz;
    long long demo1; /* demo-customer-1 */
    long long other; /* another customer */
};

/* The demo shop from the bot's catalogue (demo.h), at the fixed NOW. */
static int fx__seed(struct kf_store *st, struct kf_err *err)
{
    struct kf_seed_params sp = kf_seed_default_params();
    sp.customers = 20;
    sp.orders = 100;
    sp.seed = 7;
    sp.now_ms = NOW;
    struct kf_seed_stats stats;
    return kf_demo_seed(st, KEFU_SRC_ROOT "/bots/demo-shop", sp, &stats, err);
}

static int fx__connector(struct fx *f, const char *backend, struct kf_connector **out,
                         struct kf_err *err)
{
    struct kf_connector_params cp = kf_connector_default_params();
    cp.backend = backend;
    cp.type = "builtin";
    cp.store = f->st;
    return kf_connector_new(cp, out, err);
}

static int fx_setup_window(void **state, int window_days)
{
    struct fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    tu_tmpdir(f->dir, "unit-biz");
    char path[320];
    snprintf(path, sizeof path, "%s/kefu.db", f->dir);
    struct kf_store_params sp = kf_store_default_params();
    sp.path = path;
    sp.synchronous_full = 0;
    struct kf_err err = {0};
    struct kf_biz_params bp = kf_biz_default_params();
    if (kf_store_open(sp, &f->st, &err) != KF_OK || kf_store_migrate(f->st, NULL, &err) != KF_OK ||
        fx__seed(f->st, &err) != KF_OK ||
        kf_store_customer_resolve(f->st, "web", "demo-customer-1", NULL, &f->demo1, &err) !=
            KF_OK ||
        kf_store_customer_resolve(f->st, "web", "unit-biz-someone-else", NULL, &f->other, &err) !=
            KF_OK ||
        fx__connector(f, "orders", &f->orders, &err) != KF_OK ||
        fx__connector(f, "tickets", &f->tickets, &err) != KF_OK ||
        fx__connector(f, "customers", &f->customers, &err) != KF_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    bp.orders = f->orders;
    bp.tickets = f->tickets;
    bp.customers = f->customers;
    if (window_days > 0)
        bp.return_window_days = window_days;
    if (kf_biz_new(bp, &f->biz, &err) != KF_OK) {
        fprintf(stderr, "biz: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int fx_setup(void **state) { return fx_setup_window(state, 0); }
static int fx_setup_window5(void **state) { return fx_setup_window(state, 5); }
static int fx_setup_window4(void **state) { return fx_setup_window(state, 4); }

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f == NULL)
        return 0;
    kf_biz_free(f->biz);
    kf_connector_free(f->orders);
    kf_connector_free(f->tickets);
    kf_connector_free(f->customers);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static struct kf_biz_ctx ctx_of(struct fx *f, long long customer, const char *lang,
                                const char *text)
{
    return (struct kf_biz_ctx){.biz = f->biz,
                               .customer_id = customer,
                               .conversation_id = NULL,
                               .lang = lang,
                               .text = text,
                               .now_ms = NOW,
                               .utc_offset_min = 480};
}

/* kf_biz_call with args as JSON text; fails the test on an error code. */
static json_t *call(const struct kf_biz_ctx *ctx, const char *action, const char *args_json)
{
    json_error_t jerr;
    json_t *args = json_loads(args_json, 0, &jerr);
    if (args == NULL)
        fail_msg("bad test args %s: %s", args_json, jerr.text);
    json_t *res = NULL;
    struct kf_err err = {0};
    int rc = kf_biz_call(ctx, action, args, &res, &err);
    json_decref(args);
    if (rc != KF_OK)
        fail_msg("%s %s: %s (%s)", action, args_json, kf_err_name(rc), err.msg);
    assert_non_null(res);
    return res;
}

static int call_rc(const struct kf_biz_ctx *ctx, const char *action, const char *args_json)
{
    json_t *args = json_loads(args_json, 0, NULL);
    assert_non_null(args);
    json_t *res = (json_t *)1;
    struct kf_err err = {0};
    int rc = kf_biz_call(ctx, action, args, &res, &err);
    json_decref(args);
    if (rc != KF_OK)
        assert_null(res);
    json_decref(res);
    return rc;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void assert_outcome(json_t *res, const char *outcome)
{
    const char *got = str(res, "outcome");
    if (got == NULL || strcmp(got, outcome) != 0) {
        char *dump = json_dumps(res, JSON_COMPACT);
        fail_msg("outcome %s expected, got %s", outcome, dump ? dump : "?");
    }
}

static void assert_field(json_t *o, const char *key, const char *want)
{
    const char *got = str(o, key);
    if (got == NULL || strcmp(got, want) != 0) {
        char *dump = json_dumps(o, JSON_COMPACT);
        fail_msg("%s: \"%s\" expected in %s", key, want, dump ? dump : "?");
    }
}

static json_t *backend(struct kf_connector *c, const char *op, const char *args_json)
{
    json_t *args = json_loads(args_json, 0, NULL), *out = NULL;
    assert_non_null(args);
    struct kf_err err = {0};
    int rc = kf_connector_call(c, op, args, &out, &err);
    json_decref(args);
    if (rc != KF_OK)
        fail_msg("%s %s: %s", op, args_json, err.msg);
    return out;
}

static json_t *order_get(struct fx *f, const char *no)
{
    char q[64];
    snprintf(q, sizeof q, "{\"order_no\":\"%s\"}", no);
    return backend(f->orders, "order.get", q);
}

static json_t *product_get(struct fx *f, const char *sku)
{
    json_t *q = json_pack("{s:s}", "sku", sku), *out = NULL;
    struct kf_err err = {0};
    int rc = kf_connector_call(f->orders, "product.get", q, &out, &err);
    json_decref(q);
    if (rc != KF_OK)
        fail_msg("product.get %s: %s", sku, err.msg);
    return out;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static int has_attr(json_t *p, const char *attr)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(p, "attributes"), i, a) if (
        json_is_string(a) && strcmp(json_string_value(a), attr) == 0) return 1;
    return 0;
}

/* ---- registry ----------------------------------------------------------- */

static void test_registry_names(void **state)
{
    (void)state;
    size_t total = 0;
    for (size_t m = 0; kf_biz_modules[m] != NULL; m++) {
        const struct kf_biz_module *mod = kf_biz_modules[m];
        assert_non_null(mod->name);
        assert_true(mod->nactions > 0);
        for (size_t i = 0; i < mod->nactions; i++) {
            const struct kf_biz_action *a = &mod->actions[i];
            assert_non_null(a->name);
            assert_non_null(a->run);
            assert_non_null(a->summary);
            /* module.verb, the module part naming its module: order.* in "orders" */
            const char *dot = strchr(a->name, '.');
            assert_non_null(dot);
            size_t plen = (size_t)(dot - a->name);
            assert_true(plen > 0 && dot[1] != '\0');
            assert_null(strchr(dot + 1, '.'));
            if (strncmp(mod->name, a->name, plen) != 0)
                fail_msg("action %s is not prefixed by its module %s", a->name, mod->name);
            /* unique: the registry finds this very entry */
            assert_ptr_equal(kf_biz_find(a->name), a);
            for (size_t m2 = 0; kf_biz_modules[m2] != NULL; m2++)
                for (size_t j = 0; j < kf_biz_modules[m2]->nactions; j++) {
                    const struct kf_biz_action *b = &kf_biz_modules[m2]->actions[j];
                    if (b != a && strcmp(b->name, a->name) == 0)
                        fail_msg("action %s registered twice", a->name);
                }
            total++;
        }
    }
    assert_true(total >= 13);
    static const char *const expected[] = {
        "order.status",  "order.recent",        "order.check_cancel", "order.cancel",
        "order.check_change", "order.change_address", "order.check_return", "order.return",
        "order.refund_status", "ticket.create",  "ticket.status",      "product.info",
        "product.recommend",   NULL};
    for (size_t i = 0; expected[i] != NULL; i++)
        if (kf_biz_find(expected[i]) == NULL)
            fail_msg("action %s not registered", expected[i]);
    assert_null(kf_biz_find("order.nope"));
    assert_null(kf_biz_find(""));
    assert_null(kf_biz_find("order"));
}

static void test_unknown_action(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *res = (json_t *)1;
    struct kf_err err = {0};
    assert_int_equal(kf_biz_call(&c, "order.teleport", NULL, &res, &err), KF_ENOTFOUND);
    assert_null(res);
    assert_non_null(strstr(err.msg, "order.teleport"));
}

static void test_biz_new_params(void **state)
{
    struct fx *f = *state;
    struct kf_biz_params bp = kf_biz_default_params();
    assert_int_equal(bp.return_window_days, 30);
    struct kf_biz *b = (struct kf_biz *)1;
    struct kf_err err = {0};
    bp.orders = f->orders;
    bp.tickets = f->tickets; /* no customers connector */
    assert_int_equal(kf_biz_new(bp, &b, &err), KF_EINVAL);
    assert_null(b);
    bp.customers = f->customers;
    bp.return_window_days = 0;
    assert_int_equal(kf_biz_new(bp, &b, &err), KF_OK);
    assert_int_equal(kf_biz_return_window_days(b), 30);
    assert_ptr_equal(kf_biz_connector(b, "orders"), f->orders);
    assert_ptr_equal(kf_biz_connector(b, "tickets"), f->tickets);
    assert_ptr_equal(kf_biz_connector(b, "customers"), f->customers);
    assert_null(kf_biz_connector(b, "payroll"));
    kf_biz_free(b);
    kf_biz_free(NULL);
}

/* Every action, called with no args or wrong-typed ones, answers an outcome
 * or KF_EINVAL: never a crash, never another error. */
static void test_all_actions_bad_args(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {NULL, "{}", "{\"order_id\":5,\"product\":[],\"ticket_id\":{},"
                                                  "\"budget\":true,\"features\":7,\"details\":1}"};
    for (size_t m = 0; kf_biz_modules[m] != NULL; m++)
        for (size_t i = 0; i < kf_biz_modules[m]->nactions; i++)
            for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                const char *name = kf_biz_modules[m]->actions[i].name;
                struct kf_biz_ctx c = ctx_of(f, k == 1 ? 0 : f->demo1, "zh", NULL);
                json_t *args = bad[k] ? json_loads(bad[k], 0, NULL) : NULL;
                json_t *res = NULL;
                struct kf_err err = {0};
                int rc = kf_biz_call(&c, name, args, &res, &err);
                json_decref(args);
                if (rc == KF_OK) {
                    assert_non_null(str(res, "outcome"));
                    json_decref(res);
                } else if (rc != KF_EINVAL) {
                    fail_msg("%s with %s: %s (%s)", name, bad[k] ? bad[k] : "NULL",
                             kf_err_name(rc), err.msg);
                } else {
                    assert_null(res);
                }
            }
}

/* ---- order.status / order.recent ---------------------------------------- */

static void test_order_status(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.status", "{\"order_id\":\"" O_SHIPPED "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "order_no", O_SHIPPED);
    assert_field(r, "status", "shipped");
    assert_field(r, "status_text", "已发货,运输中");
    const char *track = str(r, "tracking_text");
    assert_non_null(track);
    assert_non_null(strstr(track, "SF100000000001"));
    assert_non_null(strstr(track, "顺丰"));
    assert_field(r, "tracking_no", "SF100000000001");
    assert_non_null(str(r, "eta"));
    assert_true(strlen(str(r, "items_text")) > 0);
    json_t *card = json_object_get(r, "card");
    assert_true(json_is_object(card));
    assert_field(card, "type", "order");
    assert_field(card, "order_no", O_SHIPPED);
    assert_field(card, "status", "shipped");
    assert_true(json_array_size(json_object_get(card, "items")) >= 1);
    json_decref(r);

    /* English texts; a paid order has no tracking yet */
    c = ctx_of(f, f->demo1, "en", NULL);
    r = call(&c, "order.status", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "status_text", "paid, waiting to ship");
    assert_non_null(strstr(str(r, "tracking_text"), "warehouse"));
    assert_null(json_object_get(r, "tracking_no"));
    json_decref(r);

    /* anyone may see the status (the card has no personal data) */
    c = ctx_of(f, 0, "zh", NULL);
    r = call(&c, "order.status", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "status_text", "已签收");
    assert_non_null(str(r, "delivered_on"));
    json_decref(r);

    r = call(&c, "order.status", "{\"order_id\":\"DS20991231999\"}");
    assert_outcome(r, "not_found");
    assert_field(r, "order_id", "DS20991231999");
    json_decref(r);

    assert_int_equal(call_rc(&c, "order.status", "{}"), KF_EINVAL);
}

static void test_order_recent(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.recent", "{}");
    assert_outcome(r, "ok");
    json_t *choices = json_object_get(r, "choices");
    assert_true(json_is_array(choices));
    assert_true(json_array_size(choices) >= 1 && json_array_size(choices) <= 3);
    /* the newest fixed orders: pending (20 min), paid (60 min), shipped (3 days) */
    assert_string_equal(json_string_value(json_array_get(choices, 0)), O_PENDING);
    assert_string_equal(json_string_value(json_array_get(choices, 1)), O_PAID);
    assert_string_equal(json_string_value(json_array_get(choices, 2)), O_SHIPPED);
    long long prev = 0;
    size_t i;
    json_t *no;
    json_array_foreach(choices, i, no) {
        json_t *o = order_get(f, json_string_value(no));
        long long created = (long long)num(o, "created_at");
        if (i > 0)
            assert_true(created <= prev);
        prev = created;
        json_decref(o);
    }
    json_decref(r);

    c = ctx_of(f, 0, "zh", NULL);
    r = call(&c, "order.recent", "{}");
    assert_outcome(r, "empty");
    assert_true(json_array_size(json_object_get(r, "choices")) == 0);
    json_decref(r);

    /* a customer without orders */
    c = ctx_of(f, f->other, "zh", NULL);
    r = call(&c, "order.recent", "{}");
    assert_outcome(r, "empty");
    json_decref(r);
}

/* ---- cancel ------------------------------------------------------------- */

static void test_order_check_cancel(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "status", "paid");
    json_decref(r);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_PENDING "\"}");
    assert_outcome(r, "ok");
    json_decref(r);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_SHIPPED "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "shipped");
    json_decref(r);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "delivered");
    json_decref(r);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"DS20991231999\"}");
    assert_outcome(r, "not_found");
    json_decref(r);

    /* a check changes nothing */
    json_t *o = order_get(f, O_PAID);
    assert_field(o, "status", "paid");
    json_decref(o);

    c = ctx_of(f, f->other, "zh", NULL);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_owner");
    json_decref(r);
    c = ctx_of(f, 0, "zh", NULL);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_owner");
    json_decref(r);
}

static void test_order_cancel_paid_refunds(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *before = order_get(f, O_PAID);
    double total = num(before, "total");
    assert_int_equal(json_array_size(json_object_get(before, "refunds")), 0);
    json_decref(before);

    json_t *r = call(&c, "order.cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "status", "cancelled");
    assert_field(r, "status_text", "已取消");
    assert_true(json_is_true(json_object_get(r, "refund")));
    assert_true(strlen(str(r, "refund_text")) > 0);
    json_decref(r);

    json_t *o = order_get(f, O_PAID);
    assert_field(o, "status", "cancelled");
    json_t *refunds = json_object_get(o, "refunds");
    assert_int_equal(json_array_size(refunds), 1);
    json_t *rf = json_array_get(refunds, 0);
    assert_field(rf, "status", "processing");
    assert_true(num(rf, "amount") > total - 0.005 && num(rf, "amount") < total + 0.005);
    json_decref(o);

    /* once cancelled, not again */
    r = call(&c, "order.cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "cancelled");
    json_decref(r);

    /* English refund text */
    c = ctx_of(f, f->demo1, "en", NULL);
    r = call(&c, "order.check_cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_allowed");
    json_decref(r);
}

static void test_order_cancel_pending_no_refund(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "en", NULL);
    json_t *r = call(&c, "order.cancel", "{\"order_id\":\"" O_PENDING "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "status", "cancelled");
    assert_field(r, "status_text", "cancelled");
    assert_true(json_is_false(json_object_get(r, "refund")));
    assert_field(r, "refund_text", "");
    json_decref(r);
    json_t *o = order_get(f, O_PENDING);
    assert_field(o, "status", "cancelled");
    assert_int_equal(json_array_size(json_object_get(o, "refunds")), 0);
    json_decref(o);
}

static void test_order_cancel_refused(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.cancel", "{\"order_id\":\"" O_SHIPPED "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "shipped");
    assert_true(str(r, "refund_text") == NULL || *str(r, "refund_text") == '\0');
    json_decref(r);
    json_t *o = order_get(f, O_SHIPPED);
    assert_field(o, "status", "shipped");
    json_decref(o);

    /* another customer: not_owner, and the order is unchanged */
    json_t *before = order_get(f, O_PAID);
    c = ctx_of(f, f->other, "zh", NULL);
    r = call(&c, "order.cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_owner");
    json_decref(r);
    json_t *after = order_get(f, O_PAID);
    assert_field(after, "status", "paid");
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);

    c = ctx_of(f, f->demo1, "zh", NULL);
    r = call(&c, "order.cancel", "{\"order_id\":\"DS20991231999\"}");
    assert_outcome(r, "not_found");
    json_decref(r);
}

/* ---- address ------------------------------------------------------------ */

static void test_order_change_address(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    static const char addr[] = "北京市海淀区中关村大街1号";
    char args[256];
    snprintf(args, sizeof args, "{\"order_id\":\"%s\",\"address\":\"%s\"}", O_PAID, addr);
    json_t *r = call(&c, "order.check_change", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    json_decref(r);
    r = call(&c, "order.change_address", args);
    assert_outcome(r, "ok");
    assert_field(r, "address", addr);
    assert_field(r, "status", "paid");
    json_decref(r);
    json_t *o = order_get(f, O_PAID);
    assert_field(o, "address", addr);
    assert_field(o, "status", "paid");
    json_decref(o);

    /* after shipping: refused, address unchanged */
    json_t *before = order_get(f, O_SHIPPED);
    snprintf(args, sizeof args, "{\"order_id\":\"%s\",\"address\":\"%s\"}", O_SHIPPED, addr);
    r = call(&c, "order.check_change", "{\"order_id\":\"" O_SHIPPED "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "shipped");
    json_decref(r);
    r = call(&c, "order.change_address", args);
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "shipped");
    json_decref(r);
    o = order_get(f, O_SHIPPED);
    assert_field(o, "address", str(before, "address"));
    json_decref(o);
    json_decref(before);

    /* another customer */
    c = ctx_of(f, f->other, "zh", NULL);
    snprintf(args, sizeof args, "{\"order_id\":\"%s\",\"address\":\"x\"}", O_PENDING);
    r = call(&c, "order.change_address", args);
    assert_outcome(r, "not_owner");
    json_decref(r);

    /* the address argument is required */
    c = ctx_of(f, f->demo1, "zh", NULL);
    assert_int_equal(call_rc(&c, "order.change_address", "{\"order_id\":\"" O_PAID "\"}"),
                     KF_EINVAL);
    assert_int_equal(
        call_rc(&c, "order.change_address", "{\"order_id\":\"" O_PAID "\",\"address\":\"\"}"),
        KF_EINVAL);
}

/* ---- returns ------------------------------------------------------------ */

static void test_order_return(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "ok");
    assert_int_equal(json_integer_value(json_object_get(r, "window_days")), 30);
    json_decref(r);

    r = call(&c, "order.return",
             "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"return\",\"reason\":\"quality\"}");
    assert_outcome(r, "ok");
    const char *rma = str(r, "rma_no");
    assert_non_null(rma);
    assert_true(strlen(rma) > 0);
    assert_field(r, "kind", "return");
    char rma_copy[64];
    snprintf(rma_copy, sizeof rma_copy, "%s", rma);
    json_decref(r);

    json_t *o = order_get(f, O_DELIVERED_5D);
    json_t *rets = json_object_get(o, "returns");
    assert_int_equal(json_array_size(rets), 1);
    assert_field(json_array_get(rets, 0), "rma_no", rma_copy);
    assert_field(json_array_get(rets, 0), "kind", "return");
    assert_field(json_array_get(rets, 0), "reason", "quality");
    json_decref(o);

    /* once per order */
    r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "already_requested");
    json_decref(r);
    r = call(&c, "order.return",
             "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"exchange\",\"reason\":\"size\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "already_requested");
    json_decref(r);
    o = order_get(f, O_DELIVERED_5D);
    assert_int_equal(json_array_size(json_object_get(o, "returns")), 1);
    json_decref(o);
}

static void test_order_return_refused(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "en", NULL);
    json_t *r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_60D "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "window_passed");
    json_decref(r);
    r = call(&c, "order.return",
             "{\"order_id\":\"" O_DELIVERED_60D "\",\"kind\":\"return\",\"reason\":\"quality\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "window_passed");
    json_decref(r);

    r = call(&c, "order.check_return", "{\"order_id\":\"" O_SHIPPED "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "not_delivered");
    json_decref(r);
    r = call(&c, "order.return",
             "{\"order_id\":\"" O_SHIPPED "\",\"kind\":\"return\",\"reason\":\"quality\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "not_delivered");
    json_decref(r);
    r = call(&c, "order.check_return", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "not_delivered");
    json_decref(r);

    /* another customer */
    c = ctx_of(f, f->other, "en", NULL);
    r = call(&c, "order.return",
             "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"return\",\"reason\":\"quality\"}");
    assert_outcome(r, "not_owner");
    json_decref(r);
    r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "not_owner");
    json_decref(r);
    r = call(&c, "order.return", "{\"order_id\":\"DS20991231999\",\"kind\":\"return\"}");
    assert_outcome(r, "not_found");
    json_decref(r);

    /* nothing was written */
    json_t *o = order_get(f, O_DELIVERED_5D);
    assert_int_equal(json_array_size(json_object_get(o, "returns")), 0);
    json_decref(o);
    o = order_get(f, O_DELIVERED_60D);
    assert_int_equal(json_array_size(json_object_get(o, "returns")), 0);
    json_decref(o);
}

static void test_order_exchange(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.return",
                     "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"exchange\",\"reason\":"
                     "\"size\"}");
    assert_outcome(r, "ok");
    assert_field(r, "kind", "exchange");
    assert_true(strlen(str(r, "rma_no")) > 0);
    json_decref(r);
    json_t *o = order_get(f, O_DELIVERED_5D);
    json_t *rets = json_object_get(o, "returns");
    assert_int_equal(json_array_size(rets), 1);
    assert_field(json_array_get(rets, 0), "kind", "exchange");
    json_decref(o);
}

/* kind defaults to return; a request without a reason is still a request */
static void test_order_return_defaults(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "en", NULL);
    json_t *r = call(&c, "order.return", "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"swap\"}");
    assert_outcome(r, "ok");
    assert_field(r, "kind", "return");
    assert_true(strlen(str(r, "rma_no")) > 0);
    json_decref(r);
    json_t *o = order_get(f, O_DELIVERED_5D);
    json_t *ret = json_array_get(json_object_get(o, "returns"), 0);
    assert_field(ret, "kind", "return");
    assert_true(strlen(str(ret, "reason")) > 0);
    json_decref(o);
}

/* The window is exact: delivered exactly 5 days before now is inside a
 * 5-day window (fixture window5) and outside a 4-day one (window4). */
static void test_order_return_window_edge_in(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *o = order_get(f, O_DELIVERED_5D);
    assert_true((long long)num(o, "delivered_at") == NOW - 5 * DAY);
    json_decref(o);
    json_t *r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "ok");
    assert_int_equal(json_integer_value(json_object_get(r, "window_days")), 5);
    json_decref(r);
    /* one ms later it has passed */
    c.now_ms = NOW + 1;
    r = call(&c, "order.check_return", "{\"order_id\":\"" O_DELIVERED_5D "\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "window_passed");
    json_decref(r);
}

static void test_order_return_window_edge_out(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.return",
                     "{\"order_id\":\"" O_DELIVERED_5D "\",\"kind\":\"return\",\"reason\":"
                     "\"quality\"}");
    assert_outcome(r, "not_allowed");
    assert_field(r, "reason", "window_passed");
    json_decref(r);
}

/* ---- refunds ------------------------------------------------------------ */

static void test_order_refund_status(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "order.refund_status", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "empty");
    assert_null(json_object_get(r, "refund_text"));
    json_decref(r);
    r = call(&c, "order.refund_status", "{\"order_id\":\"DS20991231999\"}");
    assert_outcome(r, "not_found");
    json_decref(r);

    r = call(&c, "order.cancel", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    json_decref(r);

    json_t *o = order_get(f, O_PAID);
    double total = num(o, "total");
    json_decref(o);
    char money[32];
    long long cents = (long long)(total * 100 + 0.5);
    if (cents % 100 == 0)
        snprintf(money, sizeof money, "%lld", cents / 100);
    else
        snprintf(money, sizeof money, "%.2f", (double)cents / 100);

    r = call(&c, "order.refund_status", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    assert_field(r, "refund_status", "processing");
    assert_field(r, "refund_amount", money);
    const char *text = str(r, "refund_text");
    assert_non_null(text);
    assert_non_null(strstr(text, "处理中"));
    assert_non_null(strstr(text, money));
    json_decref(r);

    c = ctx_of(f, f->demo1, "en", NULL);
    r = call(&c, "order.refund_status", "{\"order_id\":\"" O_PAID "\"}");
    assert_outcome(r, "ok");
    assert_non_null(strstr(str(r, "refund_text"), "being processed"));
    json_decref(r);
}

/* ---- tickets ------------------------------------------------------------ */

static json_t *ticket_get(struct fx *f, json_t *id)
{
    json_t *q = json_pack("{s:O}", "id", id), *out = NULL;
    struct kf_err err = {0};
    int rc = kf_connector_call(f->tickets, "ticket.get", q, &out, &err);
    json_decref(q);
    if (rc != KF_OK)
        fail_msg("ticket.get: %s", err.msg);
    return out;
}

static void test_ticket_create(void **state)
{
    struct fx *f = *state;
    struct kf_conversation cv = {.id = "0123456789abcdef0123456789abcdef",
                                 .customer_id = f->demo1,
                                 .channel = "web",
                                 .lang = "zh",
                                 .status = "open",
                                 .created_at = NOW,
                                 .updated_at = NOW};
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_create(f->st, &cv, &err), KF_OK);
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", "快递太慢了");
    c.conversation_id = cv.id;
    json_t *r = call(&c, "ticket.create", "{\"details\":\"快递三天还没到\"}");
    assert_outcome(r, "ok");
    assert_field(r, "priority", "normal");
    assert_field(r, "status", "open");
    assert_true(json_is_integer(json_object_get(r, "ticket_id")));
    assert_field(json_object_get(r, "card"), "type", "ticket");
    assert_true(strlen(str(r, "due")) > 0);
    json_t *t = ticket_get(f, json_object_get(r, "ticket_id"));
    assert_int_equal(json_integer_value(json_object_get(t, "customer_id")), f->demo1);
    assert_field(t, "conversation_id", "0123456789abcdef0123456789abcdef");
    assert_field(t, "priority", "normal");
    assert_field(t, "subject", "快递三天还没到");
    assert_field(t, "description", "快递三天还没到");
    assert_field(t, "category", "complaint");
    json_decref(t);
    json_decref(r);

    /* angry: high priority; the message is the details when none are given */
    r = call(&c, "ticket.create", "{\"_angry\": true}");
    assert_outcome(r, "ok");
    assert_field(r, "priority", "high");
    t = ticket_get(f, json_object_get(r, "ticket_id"));
    assert_field(t, "priority", "high");
    assert_field(t, "description", "快递太慢了");
    json_decref(t);
    json_decref(r);

    /* an order number is appended to the description */
    r = call(&c, "ticket.create",
             "{\"details\":\"商品有划痕\",\"order_id\":\"" O_DELIVERED_5D "\",\"_angry\":false}");
    assert_outcome(r, "ok");
    assert_field(r, "priority", "normal");
    t = ticket_get(f, json_object_get(r, "ticket_id"));
    const char *desc = str(t, "description");
    assert_non_null(desc);
    assert_non_null(strstr(desc, "商品有划痕"));
    assert_non_null(strstr(desc, O_DELIVERED_5D));
    assert_true(strstr(desc, O_DELIVERED_5D) > strstr(desc, "商品有划痕"));
    assert_field(t, "subject", "商品有划痕");
    json_decref(t);
    json_decref(r);

    /* an unknown customer: no customer_id stored */
    c = ctx_of(f, 0, "zh", "hello");
    r = call(&c, "ticket.create", "{}");
    assert_outcome(r, "ok");
    t = ticket_get(f, json_object_get(r, "ticket_id"));
    json_t *cid = json_object_get(t, "customer_id");
    assert_true(cid == NULL || json_is_null(cid));
    json_decref(t);
    json_decref(r);
}

static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t w = *p < 0x80            ? 1
                   : (*p >> 5) == 6     ? 2
                   : (*p >> 4) == 14    ? 3
                   : (*p >> 3) == 30    ? 4
                                        : 0;
        if (w == 0)
            return 0;
        for (size_t k = 1; k < w; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        p += w;
    }
    return 1;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

static void test_ticket_subject_cut(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    /* 60 Chinese characters, after one ASCII letter so 3-byte boundaries are odd */
    char details[256] = "a";
    static const char *const words[] = {"我", "买", "的", "手", "机", "屏", "幕", "坏", "了", "。"};
    for (int i = 0; i < 60; i++) {
        size_t len = strlen(details);
        snprintf(details + len, sizeof details - len, "%s", words[i % 10]);
    }
    assert_int_equal(strlen(details), 1 + 60 * 3);
    json_t *args = json_pack("{s:s}", "details", details), *r = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_biz_call(&c, "ticket.create", args, &r, &err), KF_OK);
    json_decref(args);
    assert_outcome(r, "ok");
    json_t *t = ticket_get(f, json_object_get(r, "ticket_id"));
    const char *subject = str(t, "subject");
    assert_non_null(subject);
    assert_true(utf8_valid(subject));
    assert_int_equal(utf8_chars(subject), 40);
    assert_int_equal(strlen(subject), 1 + 39 * 3);
    assert_memory_equal(subject, details, strlen(subject));
    assert_field(t, "description", details);
    json_decref(t);
    json_decref(r);

    /* a 4-byte character (emoji) is never split either */
    char emoji[256] = "";
    for (int i = 0; i < 45; i++) {
        size_t len = strlen(emoji);
        snprintf(emoji + len, sizeof emoji - len, "%s", "\xF0\x9F\x98\xA0");
    }
    args = json_pack("{s:s}", "details", emoji);
    assert_int_equal(kf_biz_call(&c, "ticket.create", args, &r, &err), KF_OK);
    json_decref(args);
    t = ticket_get(f, json_object_get(r, "ticket_id"));
    assert_true(utf8_valid(str(t, "subject")));
    assert_int_equal(utf8_chars(str(t, "subject")), 40);
    json_decref(t);
    json_decref(r);
}

/* A complaint longer than a ticket's description may be (repo.h: 4000
 * bytes) still opens a ticket: the description is cut on a character
 * boundary, and an order number still follows it. */
static void test_ticket_long_details(void **state)
{
    struct fx *f = *state;
    size_t n = 2000; /* 6000 bytes */
    char *details = malloc(n * 3 + 1);
    assert_non_null(details);
    for (size_t i = 0; i < n; i++)
        memcpy(details + i * 3, "慢", 3);
    details[n * 3] = '\0';
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", details);
    for (int with_order = 0; with_order < 2; with_order++) {
        json_t *args = with_order ? json_pack("{s:s}", "order_id", O_SHIPPED) : json_object();
        json_t *r = NULL;
        struct kf_err err = {0};
        int rc = kf_biz_call(&c, "ticket.create", args, &r, &err);
        json_decref(args);
        if (rc != KF_OK)
            fail_msg("ticket.create of %zu bytes: %s (%s)", n * 3, kf_err_name(rc), err.msg);
        assert_outcome(r, "ok");
        json_t *t = ticket_get(f, json_object_get(r, "ticket_id"));
        const char *desc = str(t, "description");
        assert_non_null(desc);
        assert_true(strlen(desc) <= 4000);
        assert_true(strlen(desc) >= 3000);
        assert_true(utf8_valid(desc));
        assert_memory_equal(desc, details, 300);
        if (with_order)
            assert_non_null(strstr(desc, O_SHIPPED));
        assert_int_equal(utf8_chars(str(t, "subject")), 40);
        json_decref(t);
        json_decref(r);
    }
    free(details);
}

static void test_ticket_status(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "ticket.create", "{\"details\":\"耳机有杂音\"}");
    json_t *id = json_incref(json_object_get(r, "ticket_id"));
    json_decref(r);
    assert_true(json_is_integer(id));
    char args[64];
    snprintf(args, sizeof args, "{\"ticket_id\":%lld}", (long long)json_integer_value(id));

    r = call(&c, "ticket.status", args);
    assert_outcome(r, "ok");
    assert_field(r, "status", "open");
    assert_field(r, "status_text", "已受理");
    assert_field(r, "priority", "normal");
    assert_true(json_equal(json_object_get(r, "ticket_id"), id));
    assert_field(json_object_get(r, "card"), "type", "ticket");
    json_decref(r);

    /* the id as text, English */
    c = ctx_of(f, f->demo1, "en", NULL);
    snprintf(args, sizeof args, "{\"ticket_id\":\"%lld\"}", (long long)json_integer_value(id));
    r = call(&c, "ticket.status", args);
    assert_outcome(r, "ok");
    assert_field(r, "status_text", "open");
    json_decref(r);

    /* someone else's ticket: not_owner, no details */
    c = ctx_of(f, f->other, "zh", NULL);
    r = call(&c, "ticket.status", args);
    assert_outcome(r, "not_owner");
    assert_null(json_object_get(r, "status"));
    assert_null(json_object_get(r, "card"));
    json_decref(r);
    c = ctx_of(f, 0, "zh", NULL);
    r = call(&c, "ticket.status", args);
    assert_outcome(r, "not_owner");
    json_decref(r);

    c = ctx_of(f, f->demo1, "zh", NULL);
    r = call(&c, "ticket.status", "{\"ticket_id\":99999999}");
    assert_outcome(r, "not_found");
    json_decref(r);
    r = call(&c, "ticket.status", "{\"ticket_id\":\"abc\"}");
    assert_outcome(r, "not_found");
    json_decref(r);
    r = call(&c, "ticket.status", "{}");
    assert_outcome(r, "not_found");
    json_decref(r);
    json_decref(id);
}

/* ---- products ----------------------------------------------------------- */

struct cue_case {
    const char *lang, *text, *aspect;
};

static void test_product_info(void **state)
{
    struct fx *f = *state;
    static const struct cue_case cases[] = {
        {"zh", "华为Mate60多少钱", "price"},
        {"zh", "这个价格是多少", "price"},
        {"zh", "Mate60现在有货吗", "stock"},
        {"zh", "还有库存吗", "stock"},
        {"zh", "能兼容我的车载支架吗", "compatibility"},
        {"zh", "这款适用于什么设备", "compatibility"},
        {"zh", "介绍一下这款手机", "summary"},
        {"en", "How much is the Mate 60?", "price"},
        {"en", "what does it cost", "price"},
        {"en", "Is the Mate 60 in stock?", "stock"},
        {"en", "is it available", "stock"},
        {"en", "Is it compatible with my car mount?", "compatibility"},
        {"en", "does it work with wireless chargers", "compatibility"},
        {"en", "tell me about the Mate 60", "summary"},
        {"en", NULL, "summary"},
    };
    json_t *p = product_get(f, "huawei-mate60");
    long long stock = (long long)num(p, "stock");
    json_decref(p);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kf_biz_ctx c = ctx_of(f, f->demo1, cases[i].lang, cases[i].text);
        json_t *r = call(&c, "product.info", "{\"product\":\"huawei-mate60\"}");
        assert_outcome(r, "ok");
        if (strcmp(str(r, "aspect"), cases[i].aspect) != 0)
            fail_msg("\"%s\": aspect %s expected, got %s", cases[i].text ? cases[i].text : "(none)",
                     cases[i].aspect, str(r, "aspect"));
        int zh = strcmp(cases[i].lang, "zh") == 0;
        const char *answer = str(r, "answer");
        assert_non_null(answer);
        assert_field(r, "name", zh ? "华为Mate60" : "Huawei Mate 60");
        assert_field(r, "price", "5499");
        assert_non_null(strstr(answer, str(r, "name")));
        if (strcmp(cases[i].aspect, "price") == 0) {
            assert_non_null(strstr(answer, "¥5499"));
        } else if (strcmp(cases[i].aspect, "stock") == 0) {
            if (stock > 0)
                assert_non_null(strstr(answer, zh ? "有货" : "in stock"));
            else
                assert_non_null(strstr(answer, zh ? "缺货" : "out of stock"));
            assert_null(strstr(answer, "¥"));
        } else if (strcmp(cases[i].aspect, "compatibility") == 0) {
            /* the catalogue says nothing it fits: its features, by name */
            assert_non_null(strstr(answer, zh ? "无线充电" : "wireless charging"));
        } else {
            assert_non_null(strstr(answer, "¥5499"));
            assert_non_null(strstr(answer, zh ? "5G网络" : "5G"));
            assert_null(strstr(answer, "fast_charging")); /* names, not ids */
        }
        json_t *card = json_object_get(r, "card");
        assert_field(card, "type", "product");
        assert_field(card, "sku", "huawei-mate60");
        assert_int_equal(json_integer_value(json_object_get(card, "stock")), stock);
        json_decref(r);
    }

    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", "多少钱");
    json_t *r = call(&c, "product.info", "{\"product\":\"no-such-product\"}");
    assert_outcome(r, "not_found");
    json_decref(r);
    assert_int_equal(call_rc(&c, "product.info", "{}"), KF_EINVAL);
}

/* The in-stock products of a category within [lo, hi] (0: open), from the
 * back end directly: what a recommendation may choose from. */
static json_t *candidates(struct fx *f, const char *category, double lo, double hi)
{
    json_t *q = json_pack("{s:s,s:b,s:i}", "category", category, "in_stock", 1, "limit", 200);
    if (hi > 0)
        json_object_set_new(q, "max_price", json_real(hi));
    if (lo > 0)
        json_object_set_new(q, "min_price", json_real(lo));
    json_t *out = NULL;
    struct kf_err err = {0};
    if (kf_connector_call(f->orders, "product.list", q, &out, &err) != KF_OK)
        fail_msg("product.list: %s", err.msg);
    json_decref(q);
    json_t *items = json_incref(json_object_get(out, "items"));
    json_decref(out);
    return items;
}

/* Each recommended sku: of the category, in stock, within [lo, hi]. */
static void check_picks(struct fx *f, json_t *r, const char *category, double lo, double hi)
{
    json_t *skus = json_object_get(r, "skus");
    assert_true(json_is_array(skus));
    assert_true(json_array_size(skus) <= 3);
    assert_int_equal(json_integer_value(json_object_get(r, "count")), json_array_size(skus));
    json_t *card = json_object_get(r, "card");
    assert_field(card, "type", "products");
    assert_int_equal(json_array_size(json_object_get(card, "items")), json_array_size(skus));
    size_t i;
    json_t *s;
    json_array_foreach(skus, i, s) {
        json_t *p = product_get(f, json_string_value(s));
        assert_field(p, "category", category);
        assert_true(num(p, "stock") > 0);
        if (hi > 0 && num(p, "price") > hi + 1e-6)
            fail_msg("%s at %.2f is above %.2f", json_string_value(s), num(p, "price"), hi);
        if (lo > 0 && num(p, "price") < lo - 1e-6)
            fail_msg("%s at %.2f is below %.2f", json_string_value(s), num(p, "price"), lo);
        json_decref(p);
        /* no sku twice */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(json_string_value(json_array_get(skus, j)),
                                    json_string_value(s));
    }
}

static void test_product_recommend_budget(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    json_t *r = call(&c, "product.recommend",
                     "{\"category\":\"phones\","
                     "\"budget\":{\"amount\":3000,\"comparator\":\"le\"}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3000);
    json_t *cands = candidates(f, "phones", 0, 3000);
    size_t want = json_array_size(cands) < 3 ? json_array_size(cands) : 3;
    assert_true(want > 0);
    assert_int_equal(json_array_size(json_object_get(r, "skus")), want);
    /* most product for the budget first: prices never rise down the list */
    double prev = 1e18;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r, "skus"), i, s) {
        json_t *p = product_get(f, json_string_value(s));
        assert_true(num(p, "price") <= prev);
        prev = num(p, "price");
        json_decref(p);
    }
    const char *list = str(r, "list_text");
    assert_non_null(list);
    assert_non_null(strstr(list, "1. "));
    assert_non_null(strstr(list, "在您的预算内"));
    json_decref(cands);
    json_decref(r);

    /* "about 3000" allows 15% more */
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":3000,\"comparator\":\"about\"}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3450);
    cands = candidates(f, "phones", 3000.01, 3450);
    if (json_array_size(cands) > 0) {
        /* the dearest candidate is above 3000: it must be picked first */
        json_t *top = json_array_get(json_object_get(r, "skus"), 0);
        json_t *p = product_get(f, json_string_value(top));
        assert_true(num(p, "price") > 3000);
        json_decref(p);
    }
    json_decref(cands);
    json_decref(r);
    /* a bare amount typed as text reads as "about" too */
    r = call(&c, "product.recommend", "{\"category\":\"phones\",\"budget\":\"3000\"}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3450);
    json_decref(r);

    /* the money entity's own name for "about" (patterns.c), and a bare amount */
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":3000,\"comparator\":\"approx\"}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3450);
    json_decref(r);
    r = call(&c, "product.recommend", "{\"category\":\"phones\",\"budget\":{\"amount\":3000}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3450);
    json_decref(r);

    /* "at least 5000" is a floor; nearest the budget means the cheapest
     * above it, not the dearest phone of the shop */
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":5000,\"comparator\":\"ge\"}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 5000, 0);
    cands = candidates(f, "phones", 5000, 0); /* ascending price */
    want = json_array_size(cands) < 3 ? json_array_size(cands) : 3;
    assert_true(want > 0);
    assert_int_equal(json_array_size(json_object_get(r, "skus")), want);
    prev = 0;
    json_array_foreach(json_object_get(r, "skus"), i, s) {
        json_t *p = product_get(f, json_string_value(s));
        assert_true(num(p, "price") >= prev);
        prev = num(p, "price");
        json_decref(p);
    }
    json_t *cheapest = json_array_get(cands, 0);
    json_t *top = json_array_get(json_object_get(r, "skus"), 0);
    json_t *first = product_get(f, json_string_value(top));
    assert_true(num(first, "price") <= num(cheapest, "price") + 1e-6);
    json_decref(first);
    json_decref(cands);
    json_decref(r);
    /* "more than" likewise */
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":5000,\"comparator\":\"gt\"}}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 5000, 0);
    json_decref(r);

    /* nothing that cheap */
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":10,\"comparator\":\"le\"}}");
    assert_outcome(r, "empty");
    assert_int_equal(json_integer_value(json_object_get(r, "count")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "skus")), 0);
    json_decref(r);
    r = call(&c, "product.recommend", "{\"category\":\"no-such-category\"}");
    assert_outcome(r, "empty");
    json_decref(r);

    /* brand narrows the choice */
    r = call(&c, "product.recommend", "{\"category\":\"phones\",\"brand\":\"honor\"}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 0);
    json_array_foreach(json_object_get(r, "skus"), i, s) {
        json_t *p = product_get(f, json_string_value(s));
        assert_field(p, "brand", "honor");
        json_decref(p);
    }
    json_decref(r);
}

static void test_product_recommend_features(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "zh", NULL);
    /* phones up to 3000: some have 5G, some not */
    json_t *cands = candidates(f, "phones", 0, 3000);
    size_t with = 0, without = 0, i;
    json_t *p;
    json_array_foreach(cands, i, p) {
        if (has_attr(p, "5g"))
            with++;
        else
            without++;
    }
    json_decref(cands);
    assert_true(with > 0);
    assert_true(without > 0); /* else the ranking is not tested */

    json_t *r = call(&c, "product.recommend",
                     "{\"category\":\"phones\",\"budget\":{\"amount\":3000,\"comparator\":\"le\"},"
                     "\"features\":[\"5g\"],\"features_text\":[\"5G网络\"]}");
    assert_outcome(r, "ok");
    check_picks(f, r, "phones", 0, 3000);
    json_t *skus = json_object_get(r, "skus");
    json_t *items = json_object_get(json_object_get(r, "card"), "items");
    size_t first = with < 3 ? with : 3;
    int seen_without = 0;
    for (i = 0; i < json_array_size(skus); i++) {
        json_t *prod = product_get(f, json_string_value(json_array_get(skus, i)));
        int has = has_attr(prod, "5g");
        json_decref(prod);
        const char *reasons = str(json_array_get(items, i), "reasons");
        assert_non_null(reasons);
        if (i < first) {
            assert_true(has);
            assert_non_null(strstr(reasons, "5G网络"));
        }
        if (!has) {
            seen_without = 1;
            assert_null(strstr(reasons, "5G网络"));
            assert_non_null(strstr(reasons, "同类热门款"));
        } else {
            assert_false(seen_without); /* matched products come first */
        }
    }
    assert_non_null(strstr(str(r, "list_text"), "5G网络"));
    json_decref(r);

    /* one feature as a string, English, without features_text: the id is shown */
    c = ctx_of(f, f->demo1, "en", NULL);
    r = call(&c, "product.recommend",
             "{\"category\":\"phones\",\"budget\":{\"amount\":3000,\"comparator\":\"le\"},"
             "\"features\":\"5g\"}");
    assert_outcome(r, "ok");
    json_t *prod = product_get(f, json_string_value(json_array_get(json_object_get(r, "skus"), 0)));
    assert_true(has_attr(prod, "5g"));
    json_decref(prod);
    assert_non_null(strstr(str(r, "list_text"), "has 5g"));
    json_decref(r);
}

/* "Does X work with Y?" from the catalogue's fits (specs.fits). */
static void test_product_compat_fits(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->demo1, "en", "does the Apple MagSafe Charger work with iPhone 16?");
    json_t *r = call(&c, "product.info",
                     "{\"product\":\"apple-magsafe-charger\",\"_products\":[\"apple-magsafe-charger\",\"iphone-16\"]}");
    assert_outcome(r, "ok");
    assert_field(r, "aspect", "compatibility");
    assert_non_null(strstr(str(r, "answer"), "Yes, Apple MagSafe Charger works with iPhone 16"));
    json_decref(r);
    /* the other way round, and a no with what it does fit */
    c = ctx_of(f, f->demo1, "zh", "华为Mate60 Pro保护壳能用在华为Mate60上吗");
    r = call(&c, "product.info",
             "{\"product\":\"mate60-pro-case\",\"_products\":[\"mate60-pro-case\",\"huawei-mate60\"]}");
    assert_non_null(strstr(str(r, "answer"), "不适配华为Mate60"));
    assert_non_null(strstr(str(r, "answer"), "它适配:华为Mate60 Pro"));
    json_decref(r);
    c = ctx_of(f, f->demo1, "zh", "华为Mate60兼容华为66W超级快充充电器吗");
    r = call(&c, "product.info",
             "{\"product\":\"huawei-mate60\",\"_products\":[\"huawei-mate60\",\"huawei-66w-charger\"]}");
    assert_non_null(strstr(str(r, "answer"), "可以"));
    json_decref(r);
    /* no other product named: the list of what it fits */
    c = ctx_of(f, f->demo1, "zh", "苹果MagSafe充电器适配哪些手机");
    r = call(&c, "product.info", "{\"product\":\"apple-magsafe-charger\"}");
    assert_non_null(strstr(str(r, "answer"), "苹果MagSafe充电器适配:苹果15"));
    json_decref(r);
    /* two products the catalogue says nothing about: the general answer */
    c = ctx_of(f, f->demo1, "en", "is the iPhone 16 compatible with the Mate 60?");
    r = call(&c, "product.info",
             "{\"product\":\"iphone-16\",\"_products\":[\"iphone-16\",\"huawei-mate60\"]}");
    assert_non_null(strstr(str(r, "answer"), "Please check"));
    json_decref(r);
}

/* ticket.latest: the customer's newest ticket that is not closed. */
static void test_ticket_latest(void **state)
{
    struct fx *f = *state;
    struct kf_biz_ctx c = ctx_of(f, f->other, "zh", NULL);
    json_t *r = call(&c, "ticket.latest", "{}");
    assert_outcome(r, "empty"); /* no tickets yet */
    json_decref(r);
    r = call(&c, "ticket.create", "{\"details\":\"第一次反映:耳机有杂音\"}");
    long long first = json_integer_value(json_object_get(r, "ticket_id"));
    json_decref(r);
    r = call(&c, "ticket.create", "{\"details\":\"第二次反映:包裹破损\"}");
    long long second = json_integer_value(json_object_get(r, "ticket_id"));
    json_decref(r);
    r = call(&c, "ticket.latest", "{}");
    assert_outcome(r, "ok");
    assert_int_equal(json_integer_value(json_object_get(r, "ticket_id")), second);
    assert_field(r, "status_text", "已受理");
    assert_field(r, "priority_text", "普通");
    assert_non_null(strstr(str(r, "subject"), "包裹破损"));
    json_decref(r);
    /* the newer one closed: the open one comes first */
    char args[128];
    snprintf(args, sizeof args, "{\"id\":%lld,\"patch\":{\"status\":\"closed\"}}", second);
    json_t *a = json_loads(args, 0, NULL), *t = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_connector_call(f->tickets, "ticket.update", a, &t, &err), KF_OK);
    json_decref(a);
    json_decref(t);
    r = call(&c, "ticket.latest", "{}");
    assert_int_equal(json_integer_value(json_object_get(r, "ticket_id")), first);
    json_decref(r);
    /* nobody: empty */
    c = ctx_of(f, 0, "en", NULL);
    r = call(&c, "ticket.latest", "{}");
    assert_outcome(r, "empty");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_names),
        cmocka_unit_test_setup_teardown(test_unknown_action, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_biz_new_params, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_all_actions_bad_args, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_status, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_recent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_check_cancel, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_cancel_paid_refunds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_cancel_pending_no_refund, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_cancel_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_change_address, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_return, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_return_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_exchange, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_return_defaults, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_return_window_edge_in, fx_setup_window5,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_return_window_edge_out, fx_setup_window4,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_refund_status, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_create, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_subject_cut, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_long_details, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_status, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ticket_latest, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_product_info, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_product_compat_fits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_product_recommend_budget, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_product_recommend_features, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
