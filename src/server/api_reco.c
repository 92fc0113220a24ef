/*
 * api_reco.c — recommendations over HTTP (docs/api.md "Recommendations").
 *
 *   GET  /api/v1/customers/{id}/recommendations?limit=N&lang=zh|en
 *        → {"customer_id","items":[{"id","sku","name","category","brand",
 *           "price","source","strategy":"api","reason","rule_version"?}]}
 *        every item is logged as an impression (its "id" is the log id)
 *   POST /api/v1/recommendations/{id}/click   body {"customer_id"?}
 *        → {"id","first":bool,"recommendation":{..}}; only the first click
 *          counts; a customer_id that is not the recommendation's is a 404
 *   GET  /api/v1/reports/recommendations?since=&until=
 *        → {"since","until","by_source":[..],"by_strategy":[..],"total":{..}}
 *        (reco_log.h kf_reco_report); since/until: ms since the epoch,
 *        "YYYY-MM-DD" (UTC midnight) or "YYYY-MM-DDTHH:MM:SSZ"
 *
 * The handlers parse and bound the input, call reco.h / reco_log.h on the
 * engine's store and map errors (KF_EINVAL 400, KF_ENOTFOUND 404); the
 * picking and counting live in the library. Times in answers are ISO 8601.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "kefu/reco.h"
#include "kefu/reco_log.h"

#define RECO_SEG_MAX 24

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static struct kf_store *reco__store(struct http_req *r)
{
    return kf_engine_store(r->srv->p.engine);
}

/* Integer times of a log row → ISO 8601. */
static void reco__iso(json_t *o)
{
    static const char *const keys[] = {"created_at", "clicked_at", "bought_at", "since",
                                       "until", NULL};
    for (size_t i = 0; keys[i] != NULL; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!json_is_integer(v))
            continue;
        char ts[32];
        kf_time_iso8601((long long)json_integer_value(v), ts);
        json_object_set_new(o, keys[i], json_string(ts));
    }
}

static void api__recommendations(struct http_req *r, struct http_resp *out, long long customer)
{
    static const char *const langs[] = {"zh", "en", NULL};
    long long limit;
    const char *lang;
    if (api_query_long(r, out, "limit", 1, KF_RECO_MAX, 3, &limit, NULL) < 0 ||
        api_query_enum(r, out, "lang", langs, &lang) < 0)
        return;
    struct kf_reco_request req = {.customer_id = customer,
                                  .strategy = "api",
                                  .lang = lang,
                                  .limit = (int)limit};
    json_t *res = NULL;
    struct kf_err err = {0};
    int rc = kf_reco_for_customer(reco__store(r), &req, &res, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    http_json(r, out, 200, res); /* takes the reference */
}

static void api__click(struct http_req *r, struct http_resp *out, long long rec_id)
{
    static const char *const known[] = {"customer_id", NULL};
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    long long customer = 0;
    int has_customer = 0;
    json_t *rec = NULL;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_id(r, out, body, "customer_id", &customer, &has_customer) < 0)
        goto done;
    struct kf_err err = {0};
    int first = 0;
    int rc = kf_reco_mark_click(reco__store(r), rec_id, has_customer ? customer : 0, 0, &first,
                                &err);
    if (rc == KF_OK)
        rc = kf_reco_get(reco__store(r), rec_id, &rec, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    reco__iso(rec);
    json_t *doc = json_pack("{s:I,s:b,s:O}", "id", (json_int_t)rec_id, "first", first,
                            "recommendation", rec);
    http_json(r, out, 200, doc); /* takes the reference */
done:
    json_decref(rec);
    json_decref(body);
}

/* since/until: ms, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC); 0 absent. */
static int reco__time_query(struct http_req *r, struct http_resp *out, const char *name,
                            long long *ms)
{
    const char *s;
    *ms = 0;
    if (api_query_string(r, out, name, 32, &s) < 0)
        return -1;
    if (s == NULL)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && v > 0) {
        *ms = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (p != NULL && *p == 'T')
        p = strptime(p + 1, "%H:%M:%SZ", &tm);
    if (p == NULL || *p != '\0' || tm.tm_year < 100) {
        http_error(r, out, 400, "bad_request",
                   "%s: expected ms since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", name);
        return -1;
    }
    *ms = (long long)timegm(&tm) * 1000;
    return 0;
}

static void api__report(struct http_req *r, struct http_resp *out)
{
    long long since, until;
    if (reco__time_query(r, out, "since", &since) < 0 ||
        reco__time_query(r, out, "until", &until) < 0)
        return;
    if (since > 0 && until > 0 && since >= until)
        return http_error(r, out, 400, "bad_request", "since: must be before until");
    json_t *res = NULL;
    struct kf_err err = {0};
    int rc = kf_reco_report(reco__store(r), since, until, &res, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    reco__iso(res);
    http_json(r, out, 200, res); /* takes the reference */
}

int api_reco_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    char seg[RECO_SEG_MAX + 1];
    const char *rest;
    if (strcmp(url, "/api/v1/reports/recommendations") == 0) {
        if (is_method(r, "GET"))
            api__report(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/recommendations/", seg, sizeof seg, &rest)) {
        long long id = api_parse_id(seg);
        if (id < 0 || strcmp(rest, "/click") != 0)
            http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
        else if (is_method(r, "POST"))
            api__click(r, out, id);
        else
            http_method_not_allowed(r, out, "POST");
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/customers/", seg, sizeof seg, &rest) &&
        (strcmp(rest, "/recommendations") == 0 || strcmp(rest, "/recommendations/") == 0)) {
        long long id = api_parse_id(seg);
        if (id < 0)
            http_error(r, out, 404, "not_found", "customer not found");
        else if (is_method(r, "GET"))
            api__recommendations(r, out, id);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    return HTTP_DECLINED;
}
