/*
 * api_experiments.c — A/B experiments (docs/api.md "Experiments",
 * docs/experiments.md):
 *
 *   GET /api/v1/experiments                 the bot's experiments.yaml
 *   GET /api/v1/experiments/{id}/report?from=&to=
 *                                           per variant: exposures,
 *                                           conversion, CSAT, resolution,
 *                                           handoff; z-tests against the
 *                                           control (404: unknown id)
 *
 * Supervisors only (access.c). The definitions are the engine's (loaded at
 * start); the counts and statistics come from src/data/experiment.c.
 */
#include <string.h>

#include "http_int.h"
#include "kefu/experiment.h"
#include "kefu/ingest.h"

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static void xp__list(struct http_req *r, struct http_resp *out)
{
    json_t *list = kf_experiments_json(kf_engine_experiments(r->srv->p.engine));
    http_json(r, out, 200, json_pack("{s:o}", "experiments", list));
}

static void xp__report(struct http_req *r, struct http_resp *out, const char *id)
{
    const struct kf_experiment *e =
        kf_experiments_find(kf_engine_experiments(r->srv->p.engine), id);
    if (e == NULL)
        return http_error(r, out, 404, "not_found", "no experiment '%.64s'", id);
    long long from = 0, to = 0;
    if (api_query_time(r, out, "from", &from) < 0 || api_query_time(r, out, "to", &to) < 0)
        return;
    if (to != 0 && to <= from)
        return http_error(r, out, 400, "bad_request", "to: must be after from");
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_experiment_report(kf_engine_store(r->srv->p.engine), e, from, to, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_key(doc, "from");
    api_iso_key(doc, "to");
    http_json(r, out, 200, doc);
}

int api_experiments_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/experiments") == 0 || strcmp(url, "/api/v1/experiments/") == 0) {
        if (is_method(r, "GET"))
            xp__list(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    char seg[KF_EXPERIMENT_ID_MAX];
    const char *rest;
    if (!api_path_segment(url, "/api/v1/experiments/", seg, sizeof seg, &rest))
        return HTTP_DECLINED;
    if (strcmp(rest, "/report") != 0 && strcmp(rest, "/report/") != 0)
        http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
    else if (!is_method(r, "GET"))
        http_method_not_allowed(r, out, "GET");
    else
        xp__report(r, out, seg);
    return HTTP_HANDLED;
}
