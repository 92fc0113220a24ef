/*
 * api_ops.c — operations routes (docs/api.md "Metrics, KPIs and alerts",
 * docs/operations.md):
 *
 *   GET /metrics                       Prometheus text 0.0.4 (supervisor: an
 *                                      API key in the scrape's authorization)
 *   GET /api/v1/reports/kpis?from=&to=&bucket=hour|day   (supervisor)
 *   GET /api/v1/reports/intents?from=&to=&top=           (supervisor)
 *   GET /api/v1/reports/handoffs?from=&to=               (supervisor)
 *   GET /api/v1/alerts?all=&limit=     active alerts for the banner (agent);
 *                                      all=1: the history
 *
 * Roles come from access.c's table. Only HTTP and JSON here: the counters
 * are core/metrics.c's, the queries data/ops.c's; the alert evaluation is
 * the scheduler's (scheduler.c).
 */
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "kefu/config.h"
#include "kefu/ingest.h"
#include "kefu/metrics.h"
#include "kefu/ops.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0 || (strcmp(m, "GET") == 0 && strcmp(r->method, "HEAD") == 0);
}

/* url is path (or path + "/") */
static int ops__is(const char *url, const char *path)
{
    size_t n = strlen(path);
    return strncmp(url, path, n) == 0 && (url[n] == '\0' || (url[n] == '/' && url[n + 1] == '\0'));
}

static struct kf_store *ops__store(struct http_req *r)
{
    return kf_engine_store(r->srv->p.engine);
}

static long long ops__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms → ISO 8601 under key (integers only; null and others kept). */
static void ops__iso(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return;
    char ts[32];
    kf_time_iso8601((long long)json_integer_value(v), ts);
    json_object_set_new(o, key, json_string(ts));
}

/* The period of a report: ?from=&to=, by default the `span` ms up to the
 * end of the current `align` (UTC hour or day). -1 after a 400. */
static int ops__period(struct http_req *r, struct http_resp *out, long long span, long long align,
                       long long *from, long long *to)
{
    long long now = ops__now_ms();
    *to = (now / align + 1) * align;
    *from = -1;
    if (api_query_time(r, out, "to", to) < 0 || api_query_time(r, out, "from", from) < 0)
        return -1;
    if (*from < 0)
        *from = *to - span > 0 ? *to - span : 0;
    if (*from >= *to) {
        http_error(r, out, 400, "bad_request", "from: must be before to");
        return -1;
    }
    return 0;
}

/* ---- GET /metrics ------------------------------------------------------------ */

static void ops__metrics(struct http_req *r, struct http_resp *out)
{
    struct kf_buf b;
    kf_buf_init(&b, 4 << 20);
    if (kf_metrics_render(r->srv->metrics, &b) != KF_OK) {
        kf_buf_release(&b);
        return http_error(r, out, 500, "internal", "metrics: too large");
    }
    out->status = 200;
    out->ctype = "text/plain; version=0.0.4; charset=utf-8";
    out->body = b.data ? kf_arena_strdup(r->arena, b.data) : "";
    kf_buf_release(&b);
    if (out->body == NULL)
        return http_error(r, out, 500, "internal", "out of memory");
    out->len = strlen(out->body);
    out->cache_control = "no-store";
}

/* ---- reports ------------------------------------------------------------------ */

static void ops__kpis(struct http_req *r, struct http_resp *out)
{
    static const char *const buckets[] = {"hour", "day", NULL};
    const char *bucket = NULL;
    if (api_query_enum(r, out, "bucket", buckets, &bucket) < 0)
        return;
    long long bms = bucket != NULL && strcmp(bucket, "hour") == 0 ? HOUR_MS : DAY_MS;
    long long from = 0, to = 0;
    if (ops__period(r, out, bms == HOUR_MS ? 24 * HOUR_MS : 14 * DAY_MS, bms, &from, &to) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_ops_kpis(ops__store(r), from, to, bms, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    ops__iso(doc, "from");
    ops__iso(doc, "to");
    json_t *series = json_object_get(doc, "series");
    for (size_t i = 0; i < json_array_size(series); i++)
        ops__iso(json_array_get(series, i), "start");
    http_json(r, out, 200, doc);
}

static void ops__intents(struct http_req *r, struct http_resp *out)
{
    long long from, to, top;
    if (api_query_long(r, out, "top", 1, 200, 12, &top, NULL) < 0 ||
        ops__period(r, out, 7 * DAY_MS, DAY_MS, &from, &to) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_ops_intents(ops__store(r), from, to, (int)top, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    ops__iso(doc, "from");
    ops__iso(doc, "to");
    http_json(r, out, 200, doc);
}

static void ops__handoffs(struct http_req *r, struct http_resp *out)
{
    long long from = 0, to = 0;
    if (ops__period(r, out, 7 * DAY_MS, DAY_MS, &from, &to) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_ops_handoffs(ops__store(r), from, to, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    ops__iso(doc, "from");
    ops__iso(doc, "to");
    http_json(r, out, 200, doc);
}

/* ---- alerts --------------------------------------------------------------------- */

static void ops__alerts(struct http_req *r, struct http_resp *out)
{
    int all = 0, set;
    long long limit;
    if (api_query_bool(r, out, "all", &all, &set) < 0 ||
        api_query_long(r, out, "limit", 1, 1000, 100, &limit, NULL) < 0)
        return;
    json_t *list = NULL;
    struct kf_err err = {0};
    int rc = kf_ops_alerts_list(ops__store(r), all, (int)limit, &list, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(list, 0);
    /* the rules in force, as the scheduler reads them */
    struct kf_config def = kf_config_default();
    const struct kf_config *cfg = r->srv->p.config ? r->srv->p.config : &def;
    struct kf_alert_rule rules[KF_ALERT_RULES_MAX];
    size_t n = 0;
    json_t *texts = json_array();
    if (kf_alert_rules_parse(cfg->alert_rules, rules, KF_ALERT_RULES_MAX, &n, &err) == KF_OK)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(texts, json_string(rules[i].text));
    http_json(r, out, 200,
              json_pack("{s:o,s:o,s:I}", "alerts", list, "rules", texts, "interval_s",
                        (json_int_t)(cfg->alerts_interval_s)));
}

int api_ops_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    void (*fn)(struct http_req *, struct http_resp *) = NULL;
    if (ops__is(url, "/metrics"))
        fn = ops__metrics;
    else if (ops__is(url, "/api/v1/reports/kpis"))
        fn = ops__kpis;
    else if (ops__is(url, "/api/v1/reports/intents"))
        fn = ops__intents;
    else if (ops__is(url, "/api/v1/reports/handoffs"))
        fn = ops__handoffs;
    else if (ops__is(url, "/api/v1/alerts"))
        fn = ops__alerts;
    if (fn == NULL)
        return HTTP_DECLINED;
    if (!is_method(r, "GET"))
        http_method_not_allowed(r, out, "GET");
    else
        fn(r, out);
    return HTTP_HANDLED;
}
