/* integration/ops.c — metrics, KPIs, alerts and webhooks against the real
 * `kefu serve` (docs/operations.md):
 *  - GET /metrics: 401 without credentials, 403 for an agent, the families
 *    after a few turns for a supervisor;
 *  - KPIs over a small seeded set, with numbers checked by hand;
 *  - an alert rule that must fire (latency_p95_ms > 0) shows in
 *    GET /api/v1/alerts and is POSTed to alerts.webhook_url; a rule with too
 *    few samples does not fire;
 *  - a churn_alert outbox row reaches churn.webhook_url, after a first
 *    attempt the receiver refuses (retried with backoff);
 *  - a bad rule stops the server at start, naming the rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PW "correct horse battery"
#define DAY 86400000LL
#define HOUR 3600000LL
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

/* ---- a webhook receiver ---------------------------------------------------- */

struct hook {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    int fail_next; /* answer this many requests 500 */
    int n;
    char path[16][32];
    char body[16][2048];
    char ctype[16][64];
};

struct hook_req {
    char buf[2048];
    size_t len;
};

static enum MHD_Result hook_on(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    struct hook *h = cls;
    struct hook_req *r = *con_cls;
    if (r == NULL) {
        *con_cls = calloc(1, sizeof *r);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size < sizeof r->buf - 1 - r->len ? *upload_size
                                                              : sizeof r->buf - 1 - r->len;
        memcpy(r->buf + r->len, upload, n);
        r->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    unsigned status = 200;
    pthread_mutex_lock(&h->mu);
    if (h->fail_next > 0) {
        h->fail_next--;
        status = 500;
    } else if (strcmp(method, "POST") == 0 && h->n < 16) {
        snprintf(h->path[h->n], sizeof h->path[0], "%s", url);
        snprintf(h->body[h->n], sizeof h->body[0], "%.*s", (int)r->len, r->buf);
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(h->ctype[h->n], sizeof h->ctype[0], "%s", ct ? ct : "");
        h->n++;
    }
    pthread_mutex_unlock(&h->mu);
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void hook_done(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void hook_start(struct hook *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, hook_on, h,
                            MHD_OPTION_NOTIFY_COMPLETED, hook_done, h, MHD_OPTION_END);
    assert_non_null(h->d);
    h->port = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

/* The index of the first POST to path, or -1. */
static int hook_find(struct hook *h, const char *path)
{
    pthread_mutex_lock(&h->mu);
    int at = -1;
    for (int i = 0; i < h->n && at < 0; i++)
        if (strcmp(h->path[i], path) == 0)
            at = i;
    pthread_mutex_unlock(&h->mu);
    return at;
}

/* ---- fixtures ------------------------------------------------------------------- */

static void sql(const char *db, const char *text)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
    sqlite3_close(h);
}

static long long sql_int(const char *db, const char *text)
{
    sqlite3 *h;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, text, -1, &q, NULL), SQLITE_OK);
    long long v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(h);
    return v;
}

/* Three conversations on 2026-01-01 and one on 01-02 (see the checks). */
static void seed(const char *db)
{
    char s[4096];
    snprintf(s, sizeof s,
             "INSERT INTO customers (id, created_at) VALUES (901, 0);"
             "INSERT INTO conversations (id, customer_id, channel_id, lang, status, created_at,"
             " updated_at, handoff_at, taken_at, first_agent_reply_at, closed_at, resolution)"
             " VALUES"
             " ('k1', 901, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL),"
             " ('k2', 901, 1, 'zh', 'open', %lld, 0, NULL, NULL, NULL, NULL, NULL),"
             " ('k3', 901, 1, 'zh', 'closed', %lld, 0, %lld, %lld, %lld, %lld, 'resolved'),"
             " ('k4', 901, 1, 'zh', 'closed', %lld, 0, %lld, %lld, %lld, %lld, 'unresolved');"
             "INSERT INTO dialog_turns (conversation_id, intent, outcome, created_at) VALUES"
             " ('k1', 'track_order', 'resolved', %lld), ('k2', 'greet', 'fallback', %lld),"
             " ('k3', 'ask_human', 'handed_off', %lld), ('k4', 'complain', 'in_progress', %lld);"
             "INSERT INTO handoff_requests (conversation_id, reason, created_at) VALUES"
             " ('k3', 'customer_request', %lld);"
             "INSERT INTO csat (conversation_id, customer_id, score, created_at) VALUES"
             " ('k1', 901, 4, %lld), ('k3', 901, 2, %lld);",
             T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR + 10000,
             T0 + 3 * HOUR + 40000, T0 + 3 * HOUR + 190000, T0 + DAY, T0 + DAY, T0 + DAY + 20000,
             T0 + DAY + 100000, T0 + DAY + 320000, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR,
             T0 + DAY, T0 + 3 * HOUR, T0 + HOUR, T0 + 4 * HOUR);
    sql(db, s);
    /* a churn alert as the console writes it */
    snprintf(s, sizeof s,
             "INSERT INTO webhook_outbox (topic, payload, next_at, created_at) VALUES"
             " ('churn_alert', '{\"type\":\"churn_alert\",\"conversation_id\":\"k4\"}', 0, 0);");
    sql(db, s);
}

struct fx {
    char dir[256], db[300], log[300];
    struct hook hook;
    struct kefu_proc p;
    char sup[64], agent[64];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    th_tmpdir(f->dir);
    snprintf(f->db, sizeof f->db, "%s/kefu.db", f->dir);
    snprintf(f->log, sizeof f->log, "%s/serve.log", f->dir);
    if (th_user(f->db, "sup", "supervisor", PW) != 0 || th_user(f->db, "ag", "agent", PW) != 0)
        return -1;
    seed(f->db);
    hook_start(&f->hook);
    f->hook.fail_next = 1; /* the first delivery is refused: retried */
    char alert_url[128], churn_url[128];
    snprintf(alert_url, sizeof alert_url, "alerts.webhook_url=http://127.0.0.1:%d/alert",
             f->hook.port);
    snprintf(churn_url, sizeof churn_url, "churn.webhook_url=http://127.0.0.1:%d/churn",
             f->hook.port);
    const char *extra[] = {"--set", "alerts.rules=latency_p95_ms > 0 over 1m min 1; "
                                    "resolution_rate < 0.7 over 1d",
                           "--set", "alerts.interval_s=1", "--set", alert_url, "--set",
                           churn_url, NULL};
    if (th_start_log(&f->p, f->db, extra, f->log) != 0)
        return -1;
    if (th_login(&f->p, "sup", PW, f->sup) != 0 || th_login(&f->p, "ag", PW, f->agent) != 0)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    th_stop(&f->p, SIGTERM);
    MHD_stop_daemon(f->hook.d);
    th_rmdir(f->dir);
    free(f);
    return 0;
}

static long get_as(struct fx *f, const char *token, const char *path, struct th_resp *r)
{
    char auth[128];
    if (token != NULL)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    else
        snprintf(auth, sizeof auth, "Authorization:");
    const char *hdr[] = {auth, NULL};
    assert_int_equal(th_http_ex(&f->p, "GET", path, NULL, 0, NULL, hdr, r), 0);
    return r->status;
}

static json_t *get_json(struct fx *f, const char *token, const char *path)
{
    struct th_resp r;
    long status = get_as(f, token, path, &r);
    if (status != 200)
        fail_msg("GET %s: %ld %s", path, status, r.body);
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    assert_non_null(doc);
    return doc;
}

static void talk(struct fx *f, const char *text)
{
    long st;
    json_t *c = th_json(&f->p, "POST", "/api/v1/conversations", "{\"lang\":\"zh\"}", &st);
    assert_int_equal(st, 201);
    char path[128], body[256];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages",
             json_string_value(json_object_get(c, "id")));
    json_t *b = json_pack("{s:s}", "text", text);
    char *s = json_dumps(b, JSON_COMPACT);
    snprintf(body, sizeof body, "%s", s);
    free(s);
    json_decref(b);
    json_t *t = th_json(&f->p, "POST", path, body, &st);
    assert_int_equal(st, 200);
    json_decref(t);
    json_decref(c);
}

static double num(json_t *o, const char *k1, const char *k2)
{
    json_t *v = json_object_get(o, k1);
    if (k2 != NULL)
        v = json_object_get(v, k2);
    if (!json_is_number(v))
        fail_msg("%s.%s: not a number", k1, k2 ? k2 : "");
    return json_number_value(v);
}

static void test_metrics(void **state)
{
    struct fx *f = *state;
    talk(f, "我的订单到哪了");
    talk(f, "转人工");
    talk(f, "where is my order");
    struct th_resp r;
    assert_int_equal(get_as(f, NULL, "/metrics", &r), 401);
    th_resp_free(&r);
    assert_int_equal(get_as(f, f->agent, "/metrics", &r), 403);
    th_resp_free(&r);
    assert_int_equal(get_as(f, f->sup, "/metrics", &r), 200);
    assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    static const char *const want[] = {
        "# TYPE kefu_http_request_duration_seconds histogram\n",
        "kefu_http_request_duration_seconds_count{route=\"conversation_message\",method=\"POST\"} 3\n",
        "kefu_http_requests_total{code_class=\"2xx\"}",
        "kefu_http_requests_total{code_class=\"4xx\"}", /* the 401 and 403 above */
        "kefu_messages_total{role=\"customer\"} 3\n",
        "kefu_intents_total{intent=\"track_order\"} 2\n",
        "kefu_intents_total{intent=\"other\"} 0\n",
        "# TYPE kefu_fallbacks_total counter\n",
        "kefu_handoffs_total{reason=\"customer_request\"} 1\n",
        "# TYPE kefu_resolutions_total counter\n",
        "# TYPE kefu_csat_total counter\n",
        "kefu_csat_sum ",
        "# TYPE kefu_errors_total counter\n",
        "# TYPE kefu_ws_connections gauge\n",
        "process_start_time_seconds ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(r.body, want[i]) == NULL)
            fail_msg("/metrics lacks '%s':\n%s", want[i], r.body);
    th_resp_free(&r);
}

static void test_kpis(void **state)
{
    struct fx *f = *state;
    /* 01-01: k1 contained + resolved (bot), k2 contained, k3 handed off and
     * resolved by an agent (first reply 40 s after the hand-off, handled
     * 180 s); 01-02: k4 handed off, unresolved (first reply 100 s, handled
     * 300 s). CSAT 4 and 2 on 01-01. */
    json_t *k = get_json(f, f->sup,
                         "/api/v1/reports/kpis?from=2026-01-01&to=2026-01-03&bucket=day");
    json_t *all = json_object_get(k, "overall");
    assert_int_equal((int)num(all, "conversations", NULL), 4);
    assert_true(num(all, "containment_rate", NULL) == 0.5);
    assert_true(num(all, "resolution_rate", NULL) == 0.5);
    assert_true(num(all, "handoff_rate", NULL) == 0.5);
    assert_true(num(all, "first_response_s", "avg") == 70);
    assert_true(num(all, "first_response_s", "p50") == 40);
    assert_true(num(all, "handle_time_s", "avg") == 240);
    assert_true(num(all, "csat", "avg") == 3);
    assert_string_equal(json_string_value(json_object_get(k, "from")), "2026-01-01T00:00:00.000Z");
    json_t *series = json_object_get(k, "series");
    assert_int_equal(json_array_size(series), 2);
    json_t *d1 = json_array_get(series, 0);
    assert_string_equal(json_string_value(json_object_get(d1, "start")),
                        "2026-01-01T00:00:00.000Z");
    assert_int_equal((int)num(d1, "conversations", NULL), 3);
    assert_true(num(d1, "resolution_rate", NULL) == 0.6667);
    assert_true(num(json_array_get(series, 1), "containment_rate", NULL) == 0);
    json_decref(k);

    json_t *in = get_json(f, f->sup, "/api/v1/reports/intents?from=2026-01-01&to=2026-01-03");
    assert_int_equal((int)num(in, "total", NULL), 4);
    json_decref(in);
    json_t *h = get_json(f, f->sup, "/api/v1/reports/handoffs?from=2026-01-01&to=2026-01-03");
    assert_int_equal((int)num(h, "total_requests", NULL), 1);
    json_decref(h);

    struct th_resp r;
    assert_int_equal(get_as(f, f->agent, "/api/v1/reports/kpis", &r), 403);
    th_resp_free(&r);
    assert_int_equal(get_as(f, f->sup, "/api/v1/reports/kpis?bucket=week", &r), 400);
    th_resp_free(&r);
    assert_int_equal(get_as(f, f->sup, "/api/v1/reports/kpis?from=2026-01-03&to=2026-01-01", &r),
                     400);
    th_resp_free(&r);
}

static void test_alerts_and_webhooks(void **state)
{
    struct fx *f = *state;
    talk(f, "你好"); /* some latency to measure */
    /* the latency rule fires within a few evaluations; an agent sees it */
    json_t *firing = NULL;
    for (int i = 0; i < 100 && firing == NULL; i++) {
        json_t *a = get_json(f, f->agent, "/api/v1/alerts");
        json_t *list = json_object_get(a, "alerts");
        for (size_t k = 0; k < json_array_size(list) && firing == NULL; k++) {
            json_t *al = json_array_get(list, k);
            if (strcmp(json_string_value(json_object_get(al, "rule")),
                       "latency_p95_ms > 0 over 1m") == 0)
                firing = json_incref(al);
        }
        assert_int_equal(json_array_size(json_object_get(a, "rules")), 2);
        json_decref(a);
        if (firing == NULL)
            usleep(200000);
    }
    assert_non_null(firing);
    assert_string_equal(json_string_value(json_object_get(firing, "state")), "firing");
    assert_true(json_is_string(json_object_get(firing, "started_at")));
    json_decref(firing);
    /* the webhooks: the alert and the churn alert, one of them after a 500 */
    int a = -1, c = -1;
    for (int i = 0; i < 150 && (a < 0 || c < 0); i++) {
        a = hook_find(&f->hook, "/alert");
        c = hook_find(&f->hook, "/churn");
        if (a < 0 || c < 0)
            usleep(100000);
    }
    assert_true(a >= 0);
    assert_true(c >= 0);
    json_t *body = json_loads(f->hook.body[a], 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "type")), "alert");
    assert_string_equal(json_string_value(json_object_get(body, "state")), "firing");
    assert_string_equal(json_string_value(json_object_get(body, "rule")),
                        "latency_p95_ms > 0 over 1m");
    json_decref(body);
    assert_string_equal(f->hook.ctype[a], "application/json");
    assert_non_null(strstr(f->hook.body[c], "\"conversation_id\":\"k4\""));
    /* one delivery took two attempts; nothing is left pending */
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM webhook_outbox WHERE status = 'sent'"
                                    " AND attempts = 2"),
                     1);
    assert_int_equal(
        sql_int(f->db, "SELECT count(*) FROM webhook_outbox WHERE status <> 'sent'"), 0);
    /* the resolution rule had too few conversations (minimum 10): no alert */
    assert_int_equal(sql_int(f->db, "SELECT count(*) FROM alerts WHERE rule LIKE 'resolution%'"),
                     0);
    /* history, and the secret URL is in no log line */
    json_t *h = get_json(f, f->sup, "/api/v1/alerts?all=1");
    assert_true(json_array_size(json_object_get(h, "alerts")) >= 1);
    json_decref(h);
    FILE *lf = fopen(f->log, "r");
    assert_non_null(lf);
    char line[2048], port[32];
    snprintf(port, sizeof port, ":%d/", f->hook.port);
    int warned = 0;
    while (fgets(line, sizeof line, lf) != NULL) {
        assert_null(strstr(line, port));
        warned |= strstr(line, "firing #") != NULL;
    }
    fclose(lf);
    assert_true(warned);
}

static void test_bad_rule(void **state)
{
    (void)state;
    char dir[256], db[300], log[300];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    const char *extra[] = {"--set", "alerts.rules=csat_avg < 4; queue_waiting >> 3", NULL};
    struct kefu_proc p;
    assert_int_not_equal(th_start_log(&p, db, extra, log), 0);
    FILE *lf = fopen(log, "r");
    assert_non_null(lf);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, lf);
    buf[n] = '\0';
    fclose(lf);
    if (strstr(buf, "'queue_waiting >> 3'") == NULL)
        fail_msg("the error does not name the rule:\n%s", buf);
    th_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_kpis),
        cmocka_unit_test(test_alerts_and_webhooks),
        cmocka_unit_test(test_bad_rule),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
