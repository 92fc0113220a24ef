/* unit/data/ops.c — tests for src/data/ops.c and sqlite_ops.c: KPIs over a
 * small hand-made set (numbers checked by hand in the comments), the intent
 * mix, hand-off reasons, the queue, alerts and the webhook outbox. */
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
#include <unistd.h>

#include "testutil.h"
#include "kefu/arena.h"
#include "kefu/ops.h"
#include "kefu/store.h"

#define DAY 86400000LL
#define HOUR 3600000LL
#define T0 (20783 * DAY) /* a midnight, UTC */

struct fx {
    char dir[64];
    char path[128];
    struct kf_store *st;
    struct kf_arena *a;
};

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* Conversations (times relative to T0):
 *  c1 +1h   bot only, a turn resolved            contained, resolved
 *  c2 +2h   bot only, a fallback                 contained
 *  c3 +3h   handoff request; handoff +3h, taken +3h1m, first reply +3h2m,
 *           closed taken+10m, resolution resolved  handed off, resolved, frt 120 s, aht 600 s
 *  c4 +1d1h queued (needs_human negative_streak, no request); taken +30 s,
 *           first reply +60 s, closed taken+5m, unresolved; a turn said
 *           resolved but a human took over        handed off, frt 60 s, aht 300 s
 *  c5 +1d2h greeting only (no turn)              not counted
 *  c6 -1h   before the window                    not counted
 *  c7 +1d3h waiting for an agent, no turn        the queue
 * CSAT: c1 5 at +1h, c3 3 at +4h, c4 1 at +1d5h. */
static void seed(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[4096];
    snprintf(sql, sizeof sql,
             "INSERT INTO customers (id, created_at) VALUES (1, 0), (2, 0);"
             "INSERT INTO conversations (id, customer_id, channel_id, lang, status, created_at,"
             " updated_at, handoff_at, taken_at, first_agent_reply_at, closed_at, resolution,"
             " needs_human) VALUES"
             " ('c1', 1, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL, NULL),"
             " ('c2', 1, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL, NULL),"
             " ('c3', 2, 1, 'zh', 'closed', %lld, 0, %lld, %lld, %lld, %lld, 'resolved', NULL),"
             " ('c4', 2, 1, 'en', 'closed', %lld, 0, %lld, %lld, %lld, %lld, 'unresolved',"
             "  'negative_streak'),"
             " ('c5', 1, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL, NULL),"
             " ('c6', 1, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL, NULL),"
             " ('c7', 2, 1, 'zh', 'handoff', %lld, 0, %lld, NULL, NULL, NULL, NULL, 'vip');"
             "INSERT INTO dialog_turns (conversation_id, intent, outcome, created_at) VALUES"
             " ('c1', 'order_status', 'resolved', %lld),"
             " ('c2', NULL, 'fallback', %lld),"
             " ('c3', 'human', 'handed_off', %lld),"
             " ('c4', 'complaint', 'resolved', %lld),"
             " ('c4', 'complaint', 'in_progress', %lld),"
             " ('c6', 'order_status', 'resolved', %lld);"
             "INSERT INTO handoff_requests (conversation_id, reason, created_at) VALUES"
             " ('c3', 'customer_request', %lld);"
             "INSERT INTO csat (conversation_id, customer_id, score, created_at) VALUES"
             " ('c1', 1, 5, %lld), ('c3', 2, 3, %lld), ('c4', 2, 1, %lld);",
             T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR + 60000,
             T0 + 3 * HOUR + 120000, T0 + 3 * HOUR + 660000, T0 + DAY + HOUR, T0 + DAY + HOUR,
             T0 + DAY + HOUR + 30000, T0 + DAY + HOUR + 60000, T0 + DAY + HOUR + 330000,
             T0 + DAY + 2 * HOUR, T0 - HOUR, T0 + DAY + 3 * HOUR, T0 + DAY + 3 * HOUR,
             T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + DAY + HOUR, T0 + DAY + HOUR + 1000,
             T0 - HOUR, T0 + 3 * HOUR, T0 + HOUR, T0 + 4 * HOUR, T0 + DAY + 5 * HOUR);
    exec(db, sql);
    sqlite3_close(db);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kefu-unit-ops-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    f->a = kf_arena_new(0, 0);
    *state = f;
    struct kf_store_params p = kf_store_default_params();
    p.path = f->path;
    struct kf_err err = {0};
    if (kf_store_open(p, &f->st, &err) != KF_OK || kf_store_migrate(f->st, NULL, &err) != KF_OK) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    seed(f->path);
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    kf_store_free(f->st);
    kf_arena_free(f->a);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static double num(json_t *o, const char *path)
{
    /* "a.b": one level of nesting */
    char key[64];
    snprintf(key, sizeof key, "%s", path);
    char *dot = strchr(key, '.');
    if (dot != NULL) {
        *dot = '\0';
        o = json_object_get(o, key);
        return num(o, dot + 1);
    }
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("%s: not a number", path);
    return json_number_value(v);
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-6)
        fail_msg("got %g, want %g", got, want);
}

static void test_stats(void **state)
{
    struct fx *f = *state;
    struct kf_ops_stats s;
    struct kf_err err = {0};
    assert_int_equal(kf_ops_stats(f->st, T0, T0 + 2 * DAY, &s, &err), KF_OK);
    assert_int_equal(s.conversations, 4);
    assert_int_equal(s.contained, 2);
    assert_int_equal(s.resolved, 2);
    assert_int_equal(s.handed_off, 2);
    assert_int_equal(s.frt_n, 2);
    near(s.frt_avg_s, 90);
    near(s.frt_p50_s, 60); /* the lower of 60 and 120 */
    assert_int_equal(s.aht_n, 2);
    near(s.aht_avg_s, 450);
    assert_int_equal(s.csat_n, 3);
    near(s.csat_avg, 3);
    /* an empty window: zeros, no division */
    assert_int_equal(kf_ops_stats(f->st, T0 + 10 * DAY, T0 + 11 * DAY, &s, &err), KF_OK);
    assert_int_equal(s.conversations, 0);
    assert_int_equal(s.csat_n, 0);
    assert_int_equal(kf_ops_stats(f->st, T0, T0, &s, &err), KF_EINVAL);
}

static void test_kpis(void **state)
{
    struct fx *f = *state;
    json_t *k = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_ops_kpis(f->st, T0, T0 + 2 * DAY, DAY, &k, &err), KF_OK);
    assert_string_equal(json_string_value(json_object_get(k, "bucket")), "day");
    json_t *all = json_object_get(k, "overall");
    near(num(all, "conversations"), 4);
    near(num(all, "containment_rate"), 0.5);
    near(num(all, "resolution_rate"), 0.5);
    near(num(all, "handoff_rate"), 0.5);
    near(num(all, "first_response_s.avg"), 90);
    near(num(all, "first_response_s.p50"), 60);
    near(num(all, "handle_time_s.avg"), 450);
    near(num(all, "csat.avg"), 3);
    near(num(all, "csat.n"), 3);
    json_t *series = json_object_get(k, "series");
    assert_int_equal(json_array_size(series), 2);
    json_t *d1 = json_array_get(series, 0), *d2 = json_array_get(series, 1);
    near(num(d1, "start"), (double)T0);
    near(num(d1, "conversations"), 3);
    near(num(d1, "containment_rate"), 0.6667); /* 2 of 3, rounded to 4 places */
    near(num(d1, "resolution_rate"), 0.6667);
    near(num(d1, "first_response_s.avg"), 120);
    near(num(d1, "csat.avg"), 4);
    near(num(d2, "start"), (double)(T0 + DAY));
    near(num(d2, "conversations"), 1);
    near(num(d2, "containment_rate"), 0);
    near(num(d2, "resolution_rate"), 0); /* a bot "resolved" turn does not count after a human */
    near(num(d2, "handle_time_s.avg"), 300);
    near(num(d2, "csat.avg"), 1);
    json_decref(k);
    /* hours: 48 points, conversations where they started */
    assert_int_equal(kf_ops_kpis(f->st, T0, T0 + 2 * DAY, HOUR, &k, &err), KF_OK);
    series = json_object_get(k, "series");
    assert_int_equal(json_array_size(series), 48);
    near(num(json_array_get(series, 1), "conversations"), 1);
    near(num(json_array_get(series, 0), "conversations"), 0);
    assert_true(json_is_null(json_object_get(json_array_get(series, 0), "containment_rate")));
    assert_true(json_is_null(
        json_object_get(json_object_get(json_array_get(series, 0), "csat"), "avg")));
    json_decref(k);
    assert_int_equal(kf_ops_kpis(f->st, T0, T0 + 2 * DAY, 60000, &k, &err), KF_EINVAL);
    assert_int_equal(kf_ops_kpis(f->st, T0, T0 + 1001 * HOUR, HOUR, &k, &err), KF_EINVAL);
    assert_null(k);
}

static void test_reports(void **state)
{
    struct fx *f = *state;
    json_t *r = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_ops_intents(f->st, T0, T0 + 2 * DAY, 2, &r, &err), KF_OK);
    near(num(r, "total"), 5);
    json_t *list = json_object_get(r, "intents");
    assert_int_equal(json_array_size(list), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "intent")),
                        "complaint");
    near(num(json_array_get(list, 0), "count"), 2);
    near(num(json_array_get(list, 0), "share"), 0.4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "intent")),
                        "human");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "intent")),
                        "other");
    near(num(json_array_get(list, 2), "count"), 2); /* none + order_status */
    json_decref(r);
    assert_int_equal(kf_ops_intents(f->st, T0, T0 + 2 * DAY, 0, &r, &err), KF_EINVAL);

    assert_int_equal(kf_ops_handoffs(f->st, T0, T0 + 2 * DAY, &r, &err), KF_OK);
    near(num(r, "total_requests"), 1);
    json_t *req = json_array_get(json_object_get(r, "requests"), 0);
    assert_string_equal(json_string_value(json_object_get(req, "reason")), "customer_request");
    json_t *need = json_object_get(r, "needs_human");
    assert_int_equal(json_array_size(need), 2); /* negative_streak (c4), vip (c7) */
    json_decref(r);

    long long n = -1;
    assert_int_equal(kf_ops_queue_waiting(f->st, &n, &err), KF_OK);
    assert_int_equal(n, 1);
}

static void test_alerts(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    long long id = -1, id2 = -1;
    const char *rule = "resolution_rate < 0.7 over 1h";
    assert_int_equal(kf_ops_alert_fire(f->st, rule, 0.5, 0.7, "low", T0, &id, &err), KF_OK);
    assert_true(id > 0);
    /* already firing: no second row */
    assert_int_equal(kf_ops_alert_fire(f->st, rule, 0.4, 0.7, "low", T0 + 1, &id2, &err), KF_OK);
    assert_int_equal(id2, 0);
    json_t *firing = NULL;
    assert_int_equal(kf_ops_alerts_firing(f->st, &firing, &err), KF_OK);
    assert_int_equal(json_array_size(firing), 1);
    assert_string_equal(json_string_value(json_array_get(firing, 0)), rule);
    json_decref(firing);
    json_t *list = NULL;
    assert_int_equal(kf_ops_alerts_list(f->st, 0, 50, &list, &err), KF_OK);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")),
                        "firing");
    json_decref(list);
    assert_int_equal(kf_ops_alert_resolve(f->st, rule, 0.9, T0 + 60000, &id2, &err), KF_OK);
    assert_int_equal(id2, id);
    assert_int_equal(kf_ops_alert_resolve(f->st, rule, 0.9, T0 + 60000, &id2, &err), KF_OK);
    assert_int_equal(id2, 0); /* nothing firing any more */
    assert_int_equal(kf_ops_alerts_list(f->st, 0, 50, &list, &err), KF_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(kf_ops_alerts_list(f->st, 1, 50, &list, &err), KF_OK);
    assert_int_equal(json_array_size(list), 1);
    json_t *a = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "resolved");
    near(num(a, "resolved_at"), (double)(T0 + 60000));
    json_decref(list);
    /* it may fire again */
    assert_int_equal(kf_ops_alert_fire(f->st, rule, 0.5, 0.7, "low", T0 + 120000, &id2, &err),
                     KF_OK);
    assert_true(id2 > id);
    assert_int_equal(kf_ops_alert_fire(f->st, "", 0, 0, "x", T0, &id2, &err), KF_EINVAL);
    assert_int_equal(kf_ops_alerts_list(f->st, 0, 0, &list, &err), KF_EINVAL);
}

static void test_outbox(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    long long a = 0, b = 0, c = 0;
    assert_int_equal(kf_ops_outbox_add(f->st, "alert", "{\"n\":1}", T0, &a, &err), KF_OK);
    assert_int_equal(kf_ops_outbox_add(f->st, "churn_alert", "{\"n\":2}", T0 + 1, &b, &err),
                     KF_OK);
    assert_int_equal(kf_ops_outbox_add(f->st, "other", "{\"n\":3}", T0 + 2, &c, &err), KF_OK);
    assert_true(a > 0 && b > a && c > b);
    assert_int_equal(kf_ops_outbox_add(f->st, "alert", "", T0, &c, &err), KF_EINVAL);

    static const char *const topics[] = {"alert", "churn_alert"};
    struct kf_outbox_item items[KF_OUTBOX_CLAIM_MAX];
    size_t n = 0;
    /* not due yet */
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 2, T0 - 1, 10000, 10, f->a, items, &n,
                                         &err),
                     KF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 2, T0 + 5, 10000, 10, f->a, items, &n,
                                         &err),
                     KF_OK);
    assert_int_equal(n, 2); /* "other" has no receiver: left alone */
    assert_int_equal(items[0].id, a);
    assert_string_equal(items[0].topic, "alert");
    assert_string_equal(items[0].payload, "{\"n\":1}");
    assert_int_equal(items[1].id, b);
    /* leased: a second claim at the same time finds nothing */
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 2, T0 + 6, 10000, 10, f->a, items, &n,
                                         &err),
                     KF_OK);
    assert_int_equal(n, 0);
    /* a sent, b retried at +1 s */
    assert_int_equal(kf_ops_outbox_mark(f->st, a, 1, NULL, 0, T0 + 7, &err), KF_OK);
    assert_int_equal(kf_ops_outbox_mark(f->st, b, 0, "HTTP 500", T0 + 1000, T0 + 7, &err), KF_OK);
    assert_int_equal(kf_ops_outbox_mark(f->st, a, 1, NULL, 0, T0 + 8, &err), KF_ENOTFOUND);
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 2, T0 + 1000, 10000, 10, f->a, items, &n,
                                         &err),
                     KF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, b);
    assert_int_equal(items[0].attempts, 1);
    /* given up */
    assert_int_equal(kf_ops_outbox_mark(f->st, b, 0, "HTTP 500", 0, T0 + 1001, &err), KF_OK);
    json_t *counts = NULL;
    assert_int_equal(kf_ops_outbox_counts(f->st, &counts, &err), KF_OK);
    near(num(counts, "alert.sent"), 1);
    near(num(counts, "churn_alert.failed"), 1);
    near(num(counts, "other.pending"), 1);
    json_decref(counts);
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 2, T0, 10000, 0, f->a, items, &n, &err),
                     KF_EINVAL);
    /* no topics: nothing claimed, no error */
    assert_int_equal(kf_ops_outbox_claim(f->st, topics, 0, T0 + 99999, 10000, 10, f->a, items,
                                         &n, &err),
                     KF_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_kpis, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reports, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_alerts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_outbox, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
