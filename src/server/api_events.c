/*
 * api_events.c — customer events in, profiles and segments out
 * (docs/api.md "Events and profiles"; issue 6).
 *
 *   POST /api/v1/events                      one event (JSON object), or a batch:
 *                                            a JSON array or Content-Type
 *                                            application/x-ndjson, ≤ 1000 events
 *   GET  /api/v1/customers/{id}/events?type=&limit=&offset=
 *   GET  /api/v1/customers/{id}/profile?at=  the profile derived at `at` (default now)
 *   GET  /api/v1/segments                    tags, lifecycle stages and RFM segments
 *                                            with their customer counts
 *   GET  /api/v1/segments/{tag}/customers?limit=&offset=
 *   GET  /api/v1/reports/churn?top=          the churn-risk distribution
 *
 * Statuses of POST /api/v1/events: 200 when every event was added or was
 * already there (duplicates are not errors: resending is safe); a single
 * event that is invalid → 400 naming the field; a batch with some events
 * rejected → 422 with the same counts and an "errors" list ({"index"} for
 * an array, {"line"} for JSON lines) — the valid events of that batch ARE
 * stored, so a client fixes the rejected ones and may resend the whole
 * batch. A body that cannot be read as events at all → 400. The body limit
 * is API_EVENTS_MAX_BODY (server.c), larger than server.max_body, so a full
 * batch fits.
 *
 * The work is done by ingest.h (masking, parsing, batches) and events.h;
 * this file only translates HTTP. Times in replies are ISO 8601.
 */
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "kefu/events.h"
#include "kefu/ingest.h"
#include "kefu/utf8.h"

#define EV_BATCH_MAX 1000
#define EV_TAG_MAX 64

static const char *const ev__types[] = {"view",   "click",  "search",    "add_to_cart", "order",
                                        "payment", "refund", "attribute", "message",     NULL};

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

/* A store answer → 200 with ISO times, or the error reply. */
static void ev__reply(struct http_req *r, struct http_resp *out, int rc, json_t *doc,
                      const struct kf_err *err)
{
    if (rc != KF_OK) {
        json_decref(doc);
        http_engine_error(r, out, rc, err);
        return;
    }
    api_iso_times(doc, 0);
    http_json(r, out, 200, doc);
}

/* ---- POST /api/v1/events ----------------------------------------------- */

struct ev_collect {
    json_t *errors;
    const char *key; /* "index" or "line" */
    char event_id[160];
    char message[KF_ERR_MSG_MAX];
};

static void ev__on_result(const struct kf_ingest_result *res, void *arg)
{
    struct ev_collect *c = arg;
    if (res->event != NULL && res->event->event_id != NULL)
        snprintf(c->event_id, sizeof c->event_id, "%s", res->event->event_id);
    if (res->status != KF_EVENT_REJECTED)
        return;
    snprintf(c->message, sizeof c->message, "%s", res->message);
    json_t *m = json_string(res->message);
    if (m == NULL) /* a message quoting invalid bytes */
        m = json_string("invalid event");
    json_array_append_new(c->errors, json_pack("{s:I,s:o}", c->key, (json_int_t)res->n,
                                               "error", m));
}

static int ev__is_ndjson(const char *ct)
{
    return ct != NULL && (strncasecmp(ct, "application/x-ndjson", 20) == 0 ||
                          strncasecmp(ct, "application/jsonl", 17) == 0 ||
                          strncasecmp(ct, "application/x-jsonlines", 23) == 0);
}

/* Non-blank lines of a JSON-lines body. */
static size_t ev__count_lines(const char *s, size_t len)
{
    size_t n = 0;
    int blank = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            n += !blank;
            blank = 1;
        } else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            blank = 0;
        }
    }
    return n + !blank;
}

/* An ingester sized for n events (one batch: one transaction per request). */
static int ev__ingester(struct http_req *r, size_t n, void *col, struct kf_ingest **ing,
                        struct kf_err *err)
{
    struct kf_ingest_params p = kf_ingest_default_params();
    p.store = kf_engine_store(r->srv->p.engine);
    p.engine = r->srv->p.engine;
    p.format = KF_INGEST_JSONL;
    p.batch = n;
    p.on_result = ev__on_result;
    p.arg = col;
    return kf_ingest_new(p, ing, err);
}

/* Feed the body to a new ingester (*ing): 0, or -1 after a 400. */
static int ev__feed_body(struct http_req *r, struct http_resp *out, struct kf_ingest **ing,
                         void *col, int ndjson, int *single, int *rc, struct kf_err *err)
{
    const char *body = r->body.data;
    size_t len = r->body.len;
    if (ndjson) {
        size_t n = ev__count_lines(body, len);
        if (n == 0 || n > EV_BATCH_MAX) {
            http_error(r, out, 400, "bad_request", "expected 1 to %d JSON lines, got %zu",
                       EV_BATCH_MAX, n);
            return -1;
        }
        if ((*rc = ev__ingester(r, n, col, ing, err)) == KF_OK)
            *rc = kf_ingest_feed(*ing, body, len, err);
        return 0;
    }
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        http_error(r, out, 400, "bad_request", "malformed JSON at line %d, column %d: %s",
                   je.line, je.column, je.text);
        return -1;
    }
    if (json_is_object(doc)) {
        *single = 1;
        if ((*rc = ev__ingester(r, 1, col, ing, err)) == KF_OK)
            *rc = kf_ingest_object(*ing, doc, 0, err);
    } else if (json_is_array(doc) && json_array_size(doc) >= 1 &&
               json_array_size(doc) <= EV_BATCH_MAX) {
        size_t i;
        json_t *e;
        *rc = ev__ingester(r, json_array_size(doc), col, ing, err);
        json_array_foreach(doc, i, e)
        {
            if (*rc != KF_OK || (*rc = kf_ingest_object(*ing, e, (long long)i, err)) != KF_OK)
                break;
        }
    } else {
        json_decref(doc);
        http_error(r, out, 400, "bad_request",
                   "expected an event object or an array of 1 to %d events", EV_BATCH_MAX);
        return -1;
    }
    json_decref(doc);
    return 0;
}

static void ev__post(struct http_req *r, struct http_resp *out)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    int ndjson = ev__is_ndjson(ct);
    if (!ndjson && ct != NULL && strncasecmp(ct, "application/json", 16) != 0 &&
        strncasecmp(ct, "text/plain", 10) != 0 &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return http_error(r, out, 415, "unsupported_media_type",
                          "expected Content-Type application/json or application/x-ndjson");
    if (r->body.len == 0)
        return http_error(r, out, 400, "bad_request", "empty body: expected events");

    struct ev_collect col = {.errors = json_array(), .key = ndjson ? "line" : "index"};
    struct kf_ingest *ing = NULL;
    struct kf_err err = {0};
    int rc = KF_OK, single = 0;
    if (ev__feed_body(r, out, &ing, &col, ndjson, &single, &rc, &err) < 0)
        goto done;
    if (rc == KF_OK)
        rc = kf_ingest_finish(ing, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc == KF_EINVAL ? KF_EINTERNAL : rc, &err);
        goto done;
    }
    struct kf_ingest_stats st;
    kf_ingest_stats(ing, &st);
    if (single && st.rejected > 0) {
        http_error(r, out, 400, "bad_request", "%s", col.message);
        goto done;
    }
    json_t *doc = json_pack("{s:I,s:I,s:I,s:O}", "added", (json_int_t)st.added, "duplicates",
                            (json_int_t)st.duplicates, "rejected", (json_int_t)st.rejected,
                            "errors", col.errors);
    if (doc != NULL && single)
        json_object_set_new(doc, "event_id", json_string(col.event_id));
    http_json(r, out, st.rejected > 0 ? 422 : 200, doc);
done:
    kf_ingest_free(ing);
    json_decref(col.errors);
}

/* ---- customers' events and profiles -------------------------------------- */

static void ev__customer_events(struct http_req *r, struct http_resp *out, long long id)
{
    const char *type;
    long long limit, offset;
    if (api_query_enum(r, out, "type", ev__types, &type) < 0 ||
        api_query_long(r, out, "limit", 1, 500, 50, &limit, NULL) < 0 ||
        api_query_long(r, out, "offset", 0, 1000000000LL, 0, &offset, NULL) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_events_list(kf_engine_store(r->srv->p.engine), id, type, (int)limit, offset, &doc,
                            &err);
    ev__reply(r, out, rc, doc, &err);
}

static void ev__customer_profile(struct http_req *r, struct http_resp *out, long long id)
{
    const char *at;
    long long at_ms = 0;
    if (api_query_string(r, out, "at", 40, &at) < 0)
        return;
    if (at != NULL && kf_ingest_parse_time(at, &at_ms) < 0)
        return http_error(r, out, 400, "bad_request",
                          "at: expected ms since the epoch or YYYY-MM-DD[THH:MM:SS](Z|+HH:MM)");
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_profiles_get(kf_engine_store(r->srv->p.engine), id, at_ms, &doc, &err);
    ev__reply(r, out, rc, doc, &err);
}

/* /api/v1/customers/{id}/events and /profile; other customer paths are
 * api_crm.c's. */
static int ev__customers(struct http_req *r, struct http_resp *out)
{
    char seg[32];
    const char *rest;
    if (!api_path_segment(r->url, "/api/v1/customers/", seg, sizeof seg, &rest))
        return HTTP_DECLINED;
    int events = strcmp(rest, "/events") == 0 || strcmp(rest, "/events/") == 0;
    int profile = strcmp(rest, "/profile") == 0 || strcmp(rest, "/profile/") == 0;
    if (!events && !profile)
        return HTTP_DECLINED;
    long long id = api_parse_id(seg);
    if (id < 0)
        http_error(r, out, 404, "not_found", "customer not found");
    else if (!is_method(r, "GET"))
        http_method_not_allowed(r, out, "GET");
    else if (events)
        ev__customer_events(r, out, id);
    else
        ev__customer_profile(r, out, id);
    return HTTP_HANDLED;
}

/* ---- segments and churn ---------------------------------------------------- */

static void ev__segment(struct http_req *r, struct http_resp *out, const char *tag)
{
    long long limit, offset;
    if (api_query_long(r, out, "limit", 1, 500, 50, &limit, NULL) < 0 ||
        api_query_long(r, out, "offset", 0, 1000000000LL, 0, &offset, NULL) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_segments_customers(kf_engine_store(r->srv->p.engine), tag, (int)limit, offset,
                                   &doc, &err);
    ev__reply(r, out, rc, doc, &err);
}

static int ev__segments(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/segments") == 0 || strcmp(url, "/api/v1/segments/") == 0) {
        if (!is_method(r, "GET")) {
            http_method_not_allowed(r, out, "GET");
            return HTTP_HANDLED;
        }
        json_t *doc = NULL;
        struct kf_err err = {0};
        int rc = kf_segments_summary(kf_engine_store(r->srv->p.engine), &doc, &err);
        ev__reply(r, out, rc, doc, &err);
        return HTTP_HANDLED;
    }
    char tag[EV_TAG_MAX + 1];
    const char *rest;
    if (!api_path_segment(url, "/api/v1/segments/", tag, sizeof tag, &rest))
        return HTTP_DECLINED;
    if (tag[0] == '\0' || !kf_utf8_valid_text(tag, strlen(tag)) ||
        (strcmp(rest, "/customers") != 0 && strcmp(rest, "/customers/") != 0))
        http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
    else if (!is_method(r, "GET"))
        http_method_not_allowed(r, out, "GET");
    else
        ev__segment(r, out, tag);
    return HTTP_HANDLED;
}

static void ev__churn(struct http_req *r, struct http_resp *out)
{
    long long top;
    if (api_query_long(r, out, "top", 1, 100, 10, &top, NULL) < 0)
        return;
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_churn_distribution(kf_engine_store(r->srv->p.engine), (int)top, &doc, &err);
    ev__reply(r, out, rc, doc, &err);
}

int api_events_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/events") == 0 || strcmp(url, "/api/v1/events/") == 0) {
        if (is_method(r, "POST"))
            ev__post(r, out);
        else
            http_method_not_allowed(r, out, "POST");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/reports/churn") == 0 || strcmp(url, "/api/v1/reports/churn/") == 0) {
        if (is_method(r, "GET"))
            ev__churn(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (ev__customers(r, out) == HTTP_HANDLED)
        return HTTP_HANDLED;
    return ev__segments(r, out);
}
