/*
 * api_campaigns.c — the campaign routes (docs/api.md "Campaigns"):
 *
 *   POST /api/v1/customers/{id}/opt-out   {"opt_out": true|false}? (default
 *                                         true): marketing opt-out, recorded
 *                                         as an attribute event (campaign.h)
 *   GET  /api/v1/reports/campaigns?from=&to=   per campaign, counts by
 *                                         status (campaign_store.h)
 *
 * Only HTTP and JSON here: the rules live in src/biz/campaign.c, the SQL in
 * src/data/sqlite/sqlite_campaigns.c.
 */
#include <string.h>

#include "http_int.h"
#include "kefu/campaign.h"
#include "kefu/campaign_store.h"
#include "kefu/ingest.h"

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static void api__opt_out(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"opt_out", NULL};
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    int opt_out = 1, set = 0;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_bool(r, out, body, "opt_out", &opt_out, &set) < 0) {
        json_decref(body);
        return;
    }
    json_decref(body);
    struct kf_err err = {0};
    int rc = kf_campaign_opt_out(kf_engine_store(r->srv->p.engine), id, set ? opt_out : 1, 0,
                                 &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    http_json(r, out, 200, json_pack("{s:I, s:b}", "customer_id", (json_int_t)id,
                                     "marketing_opt_out", set ? opt_out : 1));
}

static void api__report(struct http_req *r, struct http_resp *out)
{
    long long from = 0, to = 0;
    if (api_query_time(r, out, "from", &from) < 0 || api_query_time(r, out, "to", &to) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_campaign_store_report(kf_engine_store(r->srv->p.engine), from, to, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    http_json(r, out, 200, doc);
}

int api_campaigns_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/reports/campaigns") == 0) {
        if (is_method(r, "GET"))
            api__report(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    char seg[24];
    const char *rest;
    if (!api_path_segment(url, "/api/v1/customers/", seg, sizeof seg, &rest) ||
        (strcmp(rest, "/opt-out") != 0 && strcmp(rest, "/opt-out/") != 0))
        return HTTP_DECLINED;
    long long id = api_parse_id(seg);
    if (id < 0)
        http_error(r, out, 404, "not_found", "customer not found");
    else if (is_method(r, "POST"))
        api__opt_out(r, out, id);
    else
        http_method_not_allowed(r, out, "POST");
    return HTTP_HANDLED;
}
