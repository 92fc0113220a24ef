/* unit/core/metrics.c — tests for src/core/metrics.c: counters, histogram
 * quantiles, the Prometheus text, the minute ring and the alert rule parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kefu/buf.h"
#include "kefu/err.h"
#include "kefu/mem.h"
#include "kefu/metrics.h"

#define T0 1795665600000LL /* a whole minute */

static struct kf_metrics *mk(void)
{
    static const char *const intents[] = {"order_status", "refund", "order_status", "other", "oos"};
    struct kf_metrics_params p = kf_metrics_default_params();
    p.intents = intents;
    p.nintents = 5;
    p.start_ms = T0;
    struct kf_metrics *m = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_metrics_new(p, &m, &err), KF_OK);
    return m;
}

static char *render(const struct kf_metrics *m)
{
    struct kf_buf b;
    kf_buf_init(&b, 1 << 20);
    assert_int_equal(kf_metrics_render(m, &b), KF_OK);
    return kf_buf_detach(&b);
}

static void test_quantile(void **state)
{
    (void)state;
    const double bounds[] = {1, 2, 4};
    unsigned long long empty[4] = {0};
    assert_true(kf_metrics_quantile(empty, bounds, 3, 0.95) == 0); /* z of nothing */
    /* 10 in (0,1], 10 in (1,2]: the median is the top of the first bucket,
     * p75 halfway through the second */
    unsigned long long c[4] = {10, 10, 0, 0};
    assert_true(fabs(kf_metrics_quantile(c, bounds, 3, 0.5) - 1.0) < 1e-9);
    assert_true(fabs(kf_metrics_quantile(c, bounds, 3, 0.75) - 1.5) < 1e-9);
    assert_true(fabs(kf_metrics_quantile(c, bounds, 3, 0.25) - 0.5) < 1e-9);
    /* everything past the last bound: the largest finite bound */
    unsigned long long inf[4] = {0, 0, 0, 7};
    assert_true(kf_metrics_quantile(inf, bounds, 3, 0.95) == 4);
}

static void test_prometheus_text(void **state)
{
    (void)state;
    struct kf_metrics *m = mk();
    kf_metrics_request(m, KF_ROUTE_CONVERSATION_MESSAGE, "POST", 200, 0.003, T0);
    kf_metrics_request(m, KF_ROUTE_CONVERSATION_MESSAGE, "POST", 200, 0.2, T0);
    kf_metrics_request(m, KF_ROUTE_BACKOFFICE, "BREW", 503, 20, T0);
    kf_metrics_message(m, "customer");
    kf_metrics_message(m, "robot"); /* → other */
    kf_metrics_intent(m, "refund");
    kf_metrics_intent(m, "refund");
    kf_metrics_intent(m, "no_such_intent");
    kf_metrics_intent(m, NULL);
    kf_metrics_fallback(m);
    kf_metrics_handoff(m, "customer_request");
    kf_metrics_handoff(m, "weird\"reason");
    kf_metrics_resolution(m, "resolved");
    kf_metrics_csat(m, 4);
    kf_metrics_csat(m, 5);
    kf_metrics_csat(m, 9); /* ignored */
    kf_metrics_ws(m, 2);
    kf_metrics_ws(m, -1);
    char *s = render(m);
    /* families with HELP and TYPE */
    assert_non_null(strstr(s, "# TYPE kefu_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(s, "# TYPE kefu_http_requests_total counter\n"));
    assert_non_null(strstr(s, "# TYPE kefu_ws_connections gauge\n"));
    /* histogram: cumulative buckets, +Inf = count, sum in seconds */
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_bucket{route=\"conversation_"
                              "message\",method=\"POST\",le=\"0.0025\"} 0\n"));
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_bucket{route=\"conversation_"
                              "message\",method=\"POST\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_bucket{route=\"conversation_"
                              "message\",method=\"POST\",le=\"0.25\"} 2\n"));
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_bucket{route=\"conversation_"
                              "message\",method=\"POST\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_count{route=\"conversation_"
                              "message\",method=\"POST\"} 2\n"));
    assert_non_null(strstr(s, "kefu_http_request_duration_seconds_sum{route=\"conversation_"
                              "message\",method=\"POST\"} 0.203000000\n"));
    /* an unknown method is "other"; series without requests are left out */
    assert_non_null(strstr(s, "route=\"backoffice\",method=\"other\",le=\"+Inf\"} 1\n"));
    assert_null(strstr(s, "route=\"static\""));
    assert_non_null(strstr(s, "kefu_http_requests_total{code_class=\"2xx\"} 2\n"));
    assert_non_null(strstr(s, "kefu_http_requests_total{code_class=\"5xx\"} 1\n"));
    assert_non_null(strstr(s, "kefu_errors_total{kind=\"http_5xx\"} 1\n"));
    assert_non_null(strstr(s, "kefu_messages_total{role=\"customer\"} 1\n"));
    assert_non_null(strstr(s, "kefu_messages_total{role=\"other\"} 1\n"));
    /* intents: the bot's (deduplicated; "other" only once, last) */
    assert_non_null(strstr(s, "kefu_intents_total{intent=\"refund\"} 2\n"));
    assert_non_null(strstr(s, "kefu_intents_total{intent=\"order_status\"} 0\n"));
    assert_non_null(strstr(s, "kefu_intents_total{intent=\"oos\"} 0\n"));
    assert_non_null(strstr(s, "kefu_intents_total{intent=\"other\"} 2\n"));
    const char *first = strstr(s, "intent=\"order_status\"");
    assert_null(strstr(first + 1, "intent=\"order_status\""));
    const char *oth = strstr(s, "intent=\"other\"");
    assert_null(strstr(oth + 1, "intent=\"other\""));
    assert_non_null(strstr(s, "kefu_fallbacks_total 1\n"));
    assert_non_null(strstr(s, "kefu_handoffs_total{reason=\"customer_request\"} 1\n"));
    assert_non_null(strstr(s, "kefu_handoffs_total{reason=\"other\"} 1\n"));
    assert_non_null(strstr(s, "kefu_resolutions_total{resolution=\"resolved\"} 1\n"));
    assert_non_null(strstr(s, "kefu_csat_total{score=\"4\"} 1\n"));
    assert_non_null(strstr(s, "kefu_csat_total{score=\"5\"} 1\n"));
    assert_non_null(strstr(s, "kefu_csat_sum 9\n"));
    assert_non_null(strstr(s, "kefu_ws_connections 1\n"));
    assert_non_null(strstr(s, "process_start_time_seconds 1795665600.000\n"));
    /* every line is a comment or "name{labels} value" */
    for (const char *l = s; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        assert_non_null(nl);
        assert_true(l[0] == '#' || (l[0] >= 'a' && l[0] <= 'z'));
        l = nl + 1;
    }
    kf_free(s);
    kf_metrics_free(m);
    kf_metrics_free(NULL);
    /* NULL metrics: calls are no-ops */
    kf_metrics_intent(NULL, "x");
    kf_metrics_request(NULL, KF_ROUTE_STATIC, "GET", 200, 0.1, 0);
}

static void test_window_ring(void **state)
{
    (void)state;
    struct kf_metrics *m = mk();
    struct kf_metrics_window w;
    kf_metrics_window(m, 300, T0, &w); /* nothing yet */
    assert_int_equal(w.requests, 0);
    assert_true(w.p95_ms == 0);
    /* 19 fast requests and one slow, in the current minute */
    for (int i = 0; i < 19; i++)
        kf_metrics_request(m, KF_ROUTE_OTHER, "GET", 200, 0.0005, T0 + 1000);
    kf_metrics_request(m, KF_ROUTE_OTHER, "GET", 500, 3, T0 + 2000);
    kf_metrics_window(m, 60, T0 + 5000, &w);
    assert_int_equal(w.requests, 20);
    assert_int_equal(w.server_errors, 1);
    /* rank 19 of 20 falls at the top of the first bucket: 1 ms */
    assert_true(fabs(w.p95_ms - 1.0) < 1e-6);
    /* ten minutes on: a 5-minute window no longer sees them, a 15-minute one does */
    kf_metrics_request(m, KF_ROUTE_OTHER, "GET", 200, 0.4, T0 + 600000);
    kf_metrics_window(m, 300, T0 + 600000, &w);
    assert_int_equal(w.requests, 1);
    assert_true(w.p95_ms > 250 && w.p95_ms <= 500);
    kf_metrics_window(m, 900, T0 + 600000, &w);
    assert_int_equal(w.requests, 21);
    /* an hour on, the slot of T0 is recycled: counts start again */
    kf_metrics_request(m, KF_ROUTE_OTHER, "GET", 200, 0.0005, T0 + 3600000);
    kf_metrics_window(m, 60, T0 + 3600000, &w);
    assert_int_equal(w.requests, 1);
    assert_int_equal(w.server_errors, 0);
    kf_metrics_free(m);
}

struct hammer {
    struct kf_metrics *m;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 10000; i++) {
        kf_metrics_request(h->m, KF_ROUTE_STATIC, "GET", 200, 0.002, T0);
        kf_metrics_intent(h->m, "refund");
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct kf_metrics *m = mk();
    struct hammer h = {m};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *s = render(m);
    assert_non_null(strstr(s, "kefu_intents_total{intent=\"refund\"} 40000\n"));
    assert_non_null(strstr(s, "route=\"static\",method=\"GET\"} 40000\n"));
    kf_free(s);
    struct kf_metrics_window w;
    kf_metrics_window(m, 60, T0, &w);
    assert_int_equal(w.requests, 40000);
    kf_metrics_free(m);
}

static void test_rules_parse(void **state)
{
    (void)state;
    struct kf_alert_rule r[KF_ALERT_RULES_MAX];
    size_t n = 99;
    struct kf_err err = {0};
    assert_int_equal(kf_alert_rules_parse("", r, KF_ALERT_RULES_MAX, &n, &err), KF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kf_alert_rules_parse(" ; ;", r, KF_ALERT_RULES_MAX, &n, &err), KF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(kf_alert_rules_parse("latency_p95_ms > 500 over 5m; resolution_rate < "
                                          "0.70 over 1h ;queue_waiting >= 3 min 0",
                                          r, KF_ALERT_RULES_MAX, &n, &err),
                     KF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].metric, KF_ALERT_LATENCY_P95_MS);
    assert_int_equal(r[0].op, KF_ALERT_GT);
    assert_true(r[0].threshold == 500);
    assert_int_equal(r[0].window_s, 300);
    assert_int_equal(r[0].min_samples, 20);
    assert_string_equal(r[0].text, "latency_p95_ms > 500 over 5m");
    assert_int_equal(r[1].metric, KF_ALERT_RESOLUTION_RATE);
    assert_int_equal(r[1].op, KF_ALERT_LT);
    assert_int_equal(r[1].window_s, 3600);
    assert_int_equal(r[1].min_samples, 10);
    assert_string_equal(r[1].text, "resolution_rate < 0.7 over 1h");
    assert_int_equal(r[2].op, KF_ALERT_GE);
    assert_int_equal(r[2].window_s, 300); /* the default */
    assert_int_equal(r[2].min_samples, 0);
    assert_true(kf_alert_breaches(&r[1], 0.5));
    assert_false(kf_alert_breaches(&r[1], 0.7));
    assert_true(kf_alert_breaches(&r[2], 3));
    assert_false(kf_alert_breaches(&r[0], 500));

    static const struct {
        const char *spec, *want;
    } bad[] = {
        {"latency_p99_ms > 5", "unknown metric 'latency_p99_ms'"},
        {"csat_avg = 3", "expected an operator"},
        {"csat_avg < three", "expected a number"},
        {"csat_avg < 3 over 5y", "expected a duration"},
        {"csat_avg < 3 over", "expected a duration"},
        {"csat_avg < 3 min -1", "expected a count"},
        {"csat_avg < 3 during 5m", "unexpected 'during'"},
        {"latency_p95_ms > 500 over 2h", "at most 60m"},
        {"csat_avg < 3; csat_avg <  3 over 5m", "given twice"},
        {"error_rate > 0.1; csat_avg < nan", "expected a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(kf_alert_rules_parse(bad[i].spec, r, KF_ALERT_RULES_MAX, &n, &err),
                         KF_ECONFIG);
        if (strstr(err.msg, bad[i].want) == NULL)
            fail_msg("'%s': got '%s', want '%s'", bad[i].spec, err.msg, bad[i].want);
        assert_non_null(strstr(err.msg, "alerts.rules"));
    }
    /* the error names the rule */
    kf_alert_rules_parse("csat_avg < 3; handoff_rate >> 0.5", r, KF_ALERT_RULES_MAX, &n, &err);
    assert_non_null(strstr(err.msg, "'handoff_rate >> 0.5'"));
    /* too many */
    char many[2048];
    size_t len = 0;
    for (int i = 0; i < KF_ALERT_RULES_MAX + 1; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "queue_waiting > %d;", i);
    assert_int_equal(kf_alert_rules_parse(many, r, KF_ALERT_RULES_MAX, &n, &err), KF_ECONFIG);
}

static void test_oom(void **state)
{
    (void)state;
    struct kf_metrics *m = NULL;
    struct kf_err err = {0};
    for (int k = 1; k <= 4; k++) {
        static const char *const intents[] = {"a", "b"};
        struct kf_metrics_params p = kf_metrics_default_params();
        p.intents = intents;
        p.nintents = 2;
        kf_mem_fail_after(k);
        int rc = kf_metrics_new(p, &m, &err);
        kf_mem_fail_after(0);
        if (rc == KF_OK)
            kf_metrics_free(m);
        else
            assert_int_equal(rc, KF_ENOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile),      cmocka_unit_test(test_prometheus_text),
        cmocka_unit_test(test_window_ring),   cmocka_unit_test(test_threads),
        cmocka_unit_test(test_rules_parse),   cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
