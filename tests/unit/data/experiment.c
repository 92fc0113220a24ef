/* unit/data/experiment.c — tests for src/data/experiment.c and sqlite_experiments.c
 * (experiment.h): the experiments.yaml loader and its path:line errors, the stable
 * assignment and its split by weight, the pooled two-proportion z-test against values
 * computed by hand, and the report's counts over a seeded store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/experiment.h"
#include "kefu/store.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static const char good[] = "experiments:\n"
                           "  - id: reco_style\n"
                           "    description: guided or direct\n"
                           "    status: running\n"
                           "    applies_to: shop_assistant\n"
                           "    variants:\n"
                           "      - {name: guided, weight: 50}\n"
                           "      - {name: direct, weight: 50}\n"
                           "    metrics: [conversion, handoff]\n"
                           "  - id: greeting-tone\n"
                           "    applies_to: greeting\n"
                           "    variants:\n"
                           "      - {name: plain, weight: 9}\n"
                           "      - {name: warm, weight: 1, style: guided}\n";

static struct kf_experiments *parse(const char *yaml, int want, const char *msg)
{
    struct kf_experiments *x = NULL;
    struct kf_err err = {0};
    int rc = kf_experiments_parse("experiments.yaml", yaml, strlen(yaml), &x, &err);
    assert_int_equal(rc, want);
    if (msg != NULL && strstr(err.msg, msg) == NULL)
        fail_msg("expected '%s' in: %s", msg, err.msg);
    return x;
}

static void test_load(void **state)
{
    (void)state;
    struct kf_experiments *x = parse(good, KF_OK, NULL);
    assert_int_equal(kf_experiments_count(x), 2);
    const struct kf_experiment *e = kf_experiments_find(x, "reco_style");
    assert_non_null(e);
    assert_string_equal(e->applies_to, "shop_assistant");
    assert_int_equal(e->nvariants, 2);
    assert_string_equal(e->variants[0].style, "guided");
    assert_string_equal(e->variants[1].style, "direct"); /* from its name */
    assert_int_equal(e->metrics, KF_METRIC_CONVERSION | KF_METRIC_HANDOFF);
    assert_int_equal(e->line, 2);
    const struct kf_experiment *g = kf_experiments_find(x, "greeting-tone");
    assert_string_equal(g->status, "running"); /* the default */
    assert_string_equal(g->variants[1].style, "guided");
    assert_int_equal(g->metrics, 15); /* all */
    assert_null(kf_experiments_find(x, "nope"));
    json_t *j = kf_experiments_json(x);
    json_t *v = json_object_get(json_array_get(j, 1), "variants");
    NEAR(json_real_value(json_object_get(json_array_get(v, 0), "share")), 0.9);
    json_decref(j);
    kf_experiments_free(x);

    /* mistakes name the file and line */
    parse("experiments:\n  - id: a\n    applies_to: f\n    variants:\n      - {name: x, weight: "
          "1}\n",
          KF_EPARSE, "experiments.yaml:5: variants: expected 2 to 8 variants");
    parse("experiments:\n  - id: a\n    applies_to: f\n    variants:\n      - {name: x, weight: "
          "1}\n      - {name: x, weight: 2}\n",
          KF_EPARSE, "experiments.yaml:6: variants[].name: named twice");
    parse("experiments:\n  - id: a\n    applies_to: f\n    variants:\n      - {name: x, weight: "
          "0}\n      - {name: y, weight: 2}\n",
          KF_EPARSE, "experiments.yaml:5:");
    parse("experiments:\n  - id: a\n    applies_to: f\n    statu: running\n", KF_EPARSE,
          "experiments.yaml:4: experiments[]: unknown key 'statu'");
    parse("experiments:\n  - id: A B\n    applies_to: f\n", KF_EPARSE, "experiments.yaml:2: id:");
    parse("experiments:\n  - id: a\n    status: live\n", KF_EPARSE,
          "experiments.yaml:3: status: 'live' is not one of draft, running, paused, ended");
    parse("experiments:\n  - id: a\n    variants: []\n", KF_EPARSE, "applies_to: missing");
    parse("experiments:\n  - id: a\n    applies_to: f\n    variants:\n      - {name: x, weight: "
          "1}\n      - {name: y, weight: 1, style: loud}\n",
          KF_EPARSE, "experiments.yaml:6: variants[].style");
    parse("experiments:\n  - id: a\n    applies_to: f\n    metrics: [revenue]\n    variants:\n"
          "      - {name: x, weight: 1}\n      - {name: y, weight: 1}\n",
          KF_EPARSE, "experiments.yaml:4: metrics[]: 'revenue'");
    x = parse("# nothing yet\n", KF_OK, NULL);
    assert_int_equal(kf_experiments_count(x), 0);
    kf_experiments_free(x);

    struct kf_err err = {0};
    assert_int_equal(kf_experiments_load("/nonexistent/experiments.yaml", &x, &err), KF_ENOTFOUND);
}

static void test_assignment_stable_and_weighted(void **state)
{
    (void)state;
    struct kf_experiments *x = parse(good, KF_OK, NULL);
    const struct kf_experiment *e = kf_experiments_find(x, "reco_style");
    const struct kf_experiment *g = kf_experiments_find(x, "greeting-tone");
    /* the same customer, the same variant: whatever was asked before */
    const struct kf_experiment_variant *first = kf_experiment_variant_for(e, 4242);
    for (long long c = 1; c < 500; c++)
        (void)kf_experiment_variant_for(e, c);
    assert_ptr_equal(kf_experiment_variant_for(e, 4242), first);
    assert_int_equal(kf_experiment_bucket("reco_style", 4242),
                     kf_experiment_bucket("reco_style", 4242));
    assert_true(kf_experiment_bucket("reco_style", 4242) < KF_EXPERIMENT_BUCKETS);
    /* FNV-1a 64 of "reco_style:42" is 0x6e8fafc65d72d63c (computed by hand from the
     * definition): bucket 0x6e8fafc65d72d63c % 10000 = 9212 */
    assert_int_equal(kf_experiment_bucket("reco_style", 42), 9212);
    int direct = 0, warm = 0, both = 0;
    for (long long c = 1; c <= 20000; c++) {
        int d = strcmp(kf_experiment_variant_for(e, c)->name, "direct") == 0;
        int w = strcmp(kf_experiment_variant_for(g, c)->name, "warm") == 0;
        direct += d;
        warm += w;
        both += d && w;
    }
    /* 50/50 and 90/10 within 2 points over 20000 customers; the two experiments split
     * independently (half of the warm ones are direct) */
    assert_true(direct > 9600 && direct < 10400);
    assert_true(warm > 1600 && warm < 2400);
    assert_true(both > warm * 4 / 10 && both < warm * 6 / 10);
    kf_experiments_free(x);
}

static void test_ztest_by_hand(void **state)
{
    (void)state;
    struct kf_ztest t;
    /* 30/100 vs 45/100: p = 75/200 = 0.375, se = sqrt(0.375 · 0.625 · 0.02) = 0.0684653,
     * z = 0.15 / 0.0684653 = 2.19089, p-value = erfc(2.19089 / √2) = 0.0284597;
     * unpooled se = sqrt(0.3·0.7/100 + 0.45·0.55/100) = 0.0676387, CI 0.15 ± 1.96 · se */
    kf_experiment_ztest(30, 100, 45, 100, &t);
    assert_int_equal(t.valid, 1);
    NEAR(t.p1, 0.30);
    NEAR(t.p2, 0.45);
    NEAR(t.diff, 0.15);
    NEAR(t.rel_diff, 0.5);
    NEAR(t.z, 2.1908902300);
    NEAR(t.p_value, 0.0284597369);
    NEAR(t.ci_low, 0.0174304933);
    NEAR(t.ci_high, 0.2825695067);
    assert_int_equal(t.significant, 1);
    assert_int_equal(t.small, 0);
    /* 200/1000 vs 180/1000: z = -1.13998, p = 0.254296, not significant */
    kf_experiment_ztest(200, 1000, 180, 1000, &t);
    NEAR(t.z, -1.1399759468);
    NEAR(t.p_value, 0.2542963222);
    NEAR(t.rel_diff, -0.1);
    assert_int_equal(t.significant, 0);
    /* small arms are flagged */
    kf_experiment_ztest(5, 20, 9, 25, &t);
    NEAR(t.z, 0.7920253452);
    NEAR(t.p_value, 0.4283458980);
    assert_int_equal(t.small, 1);
    /* no spread: z 0, p 1; control 0: no relative difference; empty arm: invalid */
    kf_experiment_ztest(0, 50, 0, 50, &t);
    assert_int_equal(t.valid, 1);
    NEAR(t.z, 0);
    NEAR(t.p_value, 1);
    assert_true(isnan(t.rel_diff));
    kf_experiment_ztest(0, 0, 3, 10, &t);
    assert_int_equal(t.valid, 0);
    assert_int_equal(t.significant, 0);
}

/* ---- the report over a store ------------------------------------------------------ */

struct fx {
    char dir[256];
    char path[300];
    struct kf_store *st;
    sqlite3 *db;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-experiment");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    struct kf_store_params p = kf_store_default_params();
    p.path = f->path;
    p.synchronous_full = 0;
    struct kf_err err = {0};
    if (kf_store_open(p, &f->st, &err) != KF_OK || kf_store_migrate(f->st, NULL, &err) != KF_OK)
        return -1;
    if (sqlite3_open(f->path, &f->db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static void sql(struct fx *f, const char *s)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, s, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", s, msg);
}

#define T0 1795564800000LL
#define DAY 86400000LL

/* A conversation of a new customer, exposed at T0 to `variant`. */
static void exposed(struct fx *f, const char *variant, char id[KF_ID_LEN + 1], long long *cust)
{
    static int n;
    struct kf_err err = {0};
    char ext[32];
    snprintf(ext, sizeof ext, "x-%d", ++n);
    assert_int_equal(kf_store_customer_resolve(f->st, "web", ext, NULL, cust, &err), KF_OK);
    snprintf(id, KF_ID_LEN + 1, "%032x", n);
    struct kf_conversation c = {.customer_id = *cust, .created_at = T0, .updated_at = T0};
    memcpy(c.id, id, KF_ID_LEN + 1);
    snprintf(c.channel, sizeof c.channel, "web");
    snprintf(c.lang, sizeof c.lang, "zh");
    snprintf(c.status, sizeof c.status, "open");
    assert_int_equal(kf_store_conversation_create(f->st, &c, &err), KF_OK);
    int ins = 0;
    assert_int_equal(kf_experiment_expose(f->st, "reco_style", id, *cust, variant, T0, &ins, &err),
                     KF_OK);
    assert_int_equal(ins, 1);
}

static void test_report_counts(void **state)
{
    struct fx *f = *state;
    struct kf_experiments *x = parse(good, KF_OK, NULL);
    const struct kf_experiment *e = kf_experiments_find(x, "reco_style");
    char id[KF_ID_LEN + 1], s[512];
    long long cust;
    struct kf_err err = {0};
    /* guided: 4 conversations — a clicked recommendation, a handoff, a bot-resolved turn,
     * nothing; direct: 2 — an order 2 days later (converted), an order 8 days later (not) */
    exposed(f, "guided", id, &cust);
    snprintf(s, sizeof s,
             "INSERT INTO recommendations (customer_id, conversation_id, sku, source, strategy,"
             " created_at, clicked_at) VALUES (%lld, '%s', 'P1', 'profile', 'elicitation', %lld,"
             " %lld)",
             cust, id, T0 + 10, T0 + 20);
    sql(f, s);
    int ins = 1;
    assert_int_equal(
        kf_experiment_expose(f->st, "reco_style", id, cust, "direct", T0 + 5, &ins, &err), KF_OK);
    assert_int_equal(ins, 0); /* the first exposure stays */
    exposed(f, "guided", id, &cust);
    snprintf(s, sizeof s,
             "UPDATE conversations SET status = 'handoff', handoff_at = %lld"
             " WHERE id = '%s'",
             T0 + 1, id);
    sql(f, s);
    exposed(f, "guided", id, &cust);
    struct kf_message m = {
        .role = "customer", .text = "hi", .lang = "zh", .kind = "", .created_at = T0 + 100};
    struct kf_turn_record rec = {.intent = "recommend_product", .outcome = "resolved"};
    struct kf_turn_write w = {.conversation_id = id, .msgs = &m, .n = 1, .record = &rec};
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), KF_OK);
    snprintf(s, sizeof s, "UPDATE conversations SET status = 'closed' WHERE id = '%s'", id);
    sql(f, s);
    snprintf(s, sizeof s,
             "INSERT INTO csat (conversation_id, customer_id, score, created_at)"
             " VALUES ('%s', %lld, 5, %lld)",
             id, cust, T0 + 200);
    sql(f, s);
    exposed(f, "guided", id, &cust);
    snprintf(s, sizeof s,
             "INSERT INTO csat (conversation_id, customer_id, score, created_at)"
             " VALUES ('%s', %lld, 2, %lld)",
             id, cust, T0 + 200);
    sql(f, s);
    exposed(f, "direct", id, &cust);
    snprintf(s, sizeof s,
             "INSERT INTO events (event_id, customer_id, type, at, received_at)"
             " VALUES ('order:A', %lld, 'order', %lld, 0)",
             cust, T0 + 2 * DAY);
    sql(f, s);
    exposed(f, "direct", id, &cust);
    snprintf(s, sizeof s,
             "INSERT INTO events (event_id, customer_id, type, at, received_at)"
             " VALUES ('order:B', %lld, 'order', %lld, 0)",
             cust, T0 + 8 * DAY);
    sql(f, s);

    json_t *doc = NULL;
    assert_int_equal(kf_experiment_report(f->st, e, 0, 0, &doc, &err), KF_OK);
    assert_int_equal(json_integer_value(json_object_get(doc, "exposed")), 6);
    json_t *v = json_object_get(doc, "variants");
    json_t *gd = json_array_get(v, 0), *dr = json_array_get(v, 1);
    assert_string_equal(json_string_value(json_object_get(gd, "name")), "guided");
    assert_int_equal(json_integer_value(json_object_get(gd, "conversations")), 4);
    assert_int_equal(json_integer_value(json_object_get(gd, "customers")), 4);
    assert_int_equal(json_integer_value(json_object_get(gd, "conversions")), 1);
    assert_int_equal(json_integer_value(json_object_get(gd, "handoffs")), 1);
    assert_int_equal(json_integer_value(json_object_get(gd, "resolved")), 1);
    assert_int_equal(json_integer_value(json_object_get(gd, "csat_count")), 2);
    NEAR(json_real_value(json_object_get(gd, "csat_average")), 3.5);
    NEAR(json_real_value(json_object_get(gd, "conversion_rate")), 0.25);
    assert_int_equal(json_integer_value(json_object_get(dr, "conversations")), 2);
    assert_int_equal(json_integer_value(json_object_get(dr, "conversions")), 1);
    assert_true(json_is_null(json_object_get(dr, "csat_average")));
    /* metrics conversion and handoff: two tests, each with a small-arm note */
    json_t *tests = json_object_get(doc, "tests");
    assert_int_equal(json_array_size(tests), 2);
    json_t *t = json_array_get(tests, 0);
    assert_string_equal(json_string_value(json_object_get(t, "metric")), "conversion");
    assert_string_equal(json_string_value(json_object_get(t, "variant")), "direct");
    struct kf_ztest z;
    kf_experiment_ztest(1, 4, 1, 2, &z);
    NEAR(json_real_value(json_object_get(t, "p_value")), z.p_value);
    assert_non_null(json_object_get(t, "note"));
    assert_string_equal(json_string_value(json_object_get(t, "verdict")),
                        "not significant at 0.05");
    json_decref(doc);
    /* a window without exposures: zeros */
    assert_int_equal(kf_experiment_report(f->st, e, T0 + 1, T0 + 2, &doc, &err), KF_OK);
    assert_int_equal(json_integer_value(json_object_get(doc, "exposed")), 0);
    json_decref(doc);
    assert_int_equal(kf_experiment_report(f->st, e, 5, 4, &doc, &err), KF_EINVAL);
    kf_experiments_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_assignment_stable_and_weighted),
        cmocka_unit_test(test_ztest_by_hand),
        cmocka_unit_test_setup_teardown(test_report_counts, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
