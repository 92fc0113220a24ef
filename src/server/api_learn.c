/*
 * api_learn.c — CSAT and the review queue (docs/api.md "CSAT and review",
 * docs/learning.md):
 *
 *   POST  /api/v1/conversations/{id}/end    the customer ends it (role none:
 *                                           the id is the capability)
 *   POST  /api/v1/conversations/{id}/csat   {"score":1..5,"comment"?} once,
 *                                           after the conversation closed
 *   GET   /api/v1/reports/csat?from=&to=&bucket=day|week|month  (supervisor)
 *   POST  /api/v1/messages/{id}/intent      {"intent"} an agent's correction
 *   GET   /api/v1/review?status=&kind=&after=&limit=   (supervisor)
 *   PATCH /api/v1/review/{id}               {"status":"approved"|"rejected",
 *                                           "intent"?} (supervisor)
 *
 * Roles come from access.c's table. Only HTTP and JSON here: the rules live
 * in src/data/review.c, the SQL in src/data/sqlite/sqlite_review.c; the
 * comment is masked by the engine's PII policy before it is stored.
 */
#include <string.h>

#include "http_int.h"
#include "kefu/metrics.h"
#include "kefu/ingest.h"
#include "kefu/nlu.h"
#include "kefu/review.h"

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static struct kf_store *learn__store(struct http_req *r)
{
    return kf_engine_store(r->srv->p.engine);
}

/* "/api/v1/conversations/{id}" + rest: 1 with the id when rest matches. */
static int learn__conv(const char *url, const char *tail, char id[KF_ID_LEN + 1])
{
    static const char pre[] = "/api/v1/conversations/";
    if (strncmp(url, pre, sizeof pre - 1) != 0)
        return 0;
    const char *p = url + sizeof pre - 1;
    size_t n = strcspn(p, "/");
    if (strcmp(p + n, tail) != 0 &&
        !(strncmp(p + n, tail, strlen(tail)) == 0 && strcmp(p + n + strlen(tail), "/") == 0))
        return 0;
    if (n != KF_ID_LEN) {
        id[0] = '\0';
        return 1;
    }
    memcpy(id, p, n);
    id[n] = '\0';
    return 1;
}

/* ---- end and CSAT ------------------------------------------------------------- */

static void learn__publish_status(struct http_req *r, json_t *conv)
{
    json_t *ev = json_pack("{s:s,s:O?,s:O?,s:O?,s:O?,s:O?}", "type", "status", "conversation_id",
                           json_object_get(conv, "id"), "status", json_object_get(conv, "status"),
                           "assignee", json_object_get(conv, "assignee"), "needs_human",
                           json_object_get(conv, "needs_human"), "resolution",
                           json_object_get(conv, "resolution"));
    if (ev == NULL)
        return;
    char topic[8 + KF_ID_LEN + 1];
    snprintf(topic, sizeof topic, "conv:%s", json_string_value(json_object_get(conv, "id")));
    http_publish(r->srv, topic, ev);
    http_publish(r->srv, "agents", ev);
    json_decref(ev);
}

static void learn__end(struct http_req *r, struct http_resp *out, const char *id)
{
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    static const char *const known[] = {NULL};
    int bad = api_body_known(r, out, body, known) < 0;
    json_decref(body);
    if (bad)
        return;
    int changed = 0;
    json_t *conv = NULL;
    struct kf_err err = {0};
    int rc = kf_review_conversation_end(learn__store(r), id, 0, &changed, &conv, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    if (changed)
        learn__publish_status(r, conv);
    if (changed && r->srv->metrics != NULL)
        kf_metrics_resolution(r->srv->metrics, "customer_ended");
    json_object_set_new(conv, "ended", json_boolean(changed));
    json_object_del(conv, "assignee_id");
    api_iso_times(conv, 0);
    http_json(r, out, 200, conv);
}

static long learn__review_below(const struct http_req *r)
{
    const struct kf_config *cfg = r->srv->p.config;
    return cfg != NULL ? cfg->csat_review_below : kf_config_default().csat_review_below;
}

static void learn__csat(struct http_req *r, struct http_resp *out, const char *id)
{
    static const char *const known[] = {"score", "comment", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *comment = NULL;
    json_t *score = json_object_get(body, "score");
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "comment", KF_CSAT_COMMENT_MAX, 0, &comment) < 0) {
        json_decref(body);
        return;
    }
    if (!json_is_integer(score) || json_integer_value(score) < 1 || json_integer_value(score) > 5) {
        json_decref(body);
        return http_error(r, out, 400, "bad_request", "score: expected an integer from 1 to 5");
    }
    struct kf_err err = {0};
    struct kf_csat c = {.conversation_id = id,
                        .score = (int)json_integer_value(score),
                        .review_below = (int)learn__review_below(r)};
    char *masked = NULL;
    int rc = KF_OK;
    if (comment != NULL && comment[0] != '\0') {
        rc = kf_engine_mask(r->srv->p.engine, comment, strlen(comment), r->arena, &masked, NULL,
                            &err);
        c.comment = masked;
    }
    long long review_id = 0;
    if (rc == KF_OK)
        rc = kf_review_csat_add(learn__store(r), &c, &review_id, &err);
    json_decref(body);
    if (rc == KF_ECONFLICT)
        return http_error(r, out, 409, "conflict", "%s", err.msg);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    if (r->srv->metrics != NULL)
        kf_metrics_csat(r->srv->metrics, c.score);
    json_t *doc = json_pack("{s:s,s:i,s:s?,s:b}", "conversation_id", id, "score", c.score,
                            "comment", c.comment, "review", review_id > 0);
    if (doc != NULL && review_id > 0)
        json_object_set_new(doc, "review_id", json_integer(review_id));
    http_json(r, out, 201, doc);
}

static void learn__csat_report(struct http_req *r, struct http_resp *out)
{
    static const char *const buckets[] = {"day", "week", "month", NULL};
    long long from = 0, to = 0;
    const char *bucket = NULL;
    if (api_query_time(r, out, "from", &from) < 0 || api_query_time(r, out, "to", &to) < 0 ||
        api_query_enum(r, out, "bucket", buckets, &bucket) < 0)
        return;
    if (to != 0 && to <= from)
        return http_error(r, out, 400, "bad_request", "to: must be after from");
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_review_csat_report(learn__store(r), from, to, bucket ? bucket : "day",
                                   kf_bot_utc_offset(kf_engine_bot(r->srv->p.engine)), &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_key(doc, "from");
    api_iso_key(doc, "to");
    http_json(r, out, 200, doc);
}

/* ---- intent corrections and the review queue --------------------------------- */

/* Is `intent` a label of the bot's intent model? */
static int learn__is_intent(struct http_req *r, const char *intent)
{
    const struct kf_nlu *nlu = kf_engine_nlu(r->srv->p.engine);
    const struct kf_classifier *m = nlu != NULL ? kf_nlu_model(nlu, "intent") : NULL;
    for (size_t i = 0; m != NULL && i < kf_classifier_nlabels(m); i++)
        if (strcmp(kf_classifier_label(m, i), intent) == 0)
            return 1;
    return 0;
}

static void learn__correct(struct http_req *r, struct http_resp *out, long long message_id)
{
    static const char *const known[] = {"intent", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *intent = NULL;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "intent", KF_REVIEW_INTENT_MAX, 1, &intent) < 0) {
        json_decref(body);
        return;
    }
    if (intent == NULL) {
        json_decref(body);
        return http_error(r, out, 400, "bad_request", "intent: missing");
    }
    if (!learn__is_intent(r, intent)) {
        http_error(r, out, 400, "bad_request", "intent: '%.64s' is not an intent of this bot",
                   intent);
        json_decref(body);
        return;
    }
    const char *actor = api_actor(r, out);
    if (actor == NULL) {
        json_decref(body);
        return;
    }
    long long id = 0;
    int updated = 0;
    struct kf_err err = {0};
    int rc = kf_review_correct_intent(learn__store(r), message_id, intent, actor, 0, &id, &updated,
                                      &err);
    json_t *doc = rc == KF_OK ? json_pack("{s:I,s:I,s:s,s:s,s:b}", "id", (json_int_t)id,
                                          "message_id", (json_int_t)message_id, "intent", intent,
                                          "status", "pending", "updated", updated)
                              : NULL;
    json_decref(body);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    http_json(r, out, updated ? 200 : 201, doc);
}

static void learn__list(struct http_req *r, struct http_resp *out)
{
    static const char *const statuses[] = {"pending", "approved", "rejected", "all", NULL};
    static const char *const kinds[] = {KF_REVIEW_LOW_CSAT, KF_REVIEW_INTENT_CORRECTION, NULL};
    const char *status = NULL, *kind = NULL;
    long long after, limit;
    if (api_query_enum(r, out, "status", statuses, &status) < 0 ||
        api_query_enum(r, out, "kind", kinds, &kind) < 0 ||
        api_query_long(r, out, "after", 0, 1000000000000000000LL, 0, &after, NULL) < 0 ||
        api_query_long(r, out, "limit", 1, KF_REVIEW_PAGE_MAX, 100, &limit, NULL) < 0)
        return;
    struct kf_review_query q = {.status = status == NULL               ? "pending"
                                          : strcmp(status, "all") == 0 ? NULL
                                                                       : status,
                                .kind = kind,
                                .after_id = after,
                                .limit = (int)limit};
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_review_list(learn__store(r), &q, &doc, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(doc, 0);
    http_json(r, out, 200, doc);
}

static void learn__decide(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"status", "intent", NULL};
    static const char *const decisions[] = {"approved", "rejected", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *status = NULL, *intent = NULL;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_enum(r, out, body, "status", decisions, &status) < 0 ||
        api_body_string(r, out, body, "intent", KF_REVIEW_INTENT_MAX, 1, &intent) < 0) {
        json_decref(body);
        return;
    }
    if (status == NULL) {
        json_decref(body);
        return http_error(r, out, 400, "bad_request", "status: missing (approved or rejected)");
    }
    if (intent != NULL && !learn__is_intent(r, intent)) {
        http_error(r, out, 400, "bad_request", "intent: '%.64s' is not an intent of this bot",
                   intent);
        json_decref(body);
        return;
    }
    const char *actor = api_actor(r, out);
    if (actor == NULL) {
        json_decref(body);
        return;
    }
    json_t *item = NULL;
    struct kf_err err = {0};
    int rc = kf_review_decide(learn__store(r), id, status, intent, actor, 0, &item, &err);
    json_decref(body);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(item, 0);
    http_json(r, out, 200, item);
}

/* ---- routing ------------------------------------------------------------------- */

int api_learn_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    char id[KF_ID_LEN + 1];
    if (learn__conv(url, "/end", id) || learn__conv(url, "/csat", id)) {
        int csat = strstr(url, "/csat") != NULL;
        if (!is_method(r, "POST"))
            http_method_not_allowed(r, out, "POST");
        else if (id[0] == '\0' || strspn(id, "0123456789abcdef") != KF_ID_LEN)
            http_error(r, out, 404, "not_found", "conversation not found");
        else if (csat)
            learn__csat(r, out, id);
        else
            learn__end(r, out, id);
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/reports/csat") == 0 || strcmp(url, "/api/v1/reports/csat/") == 0) {
        if (is_method(r, "GET"))
            learn__csat_report(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/review") == 0 || strcmp(url, "/api/v1/review/") == 0) {
        if (is_method(r, "GET"))
            learn__list(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    char seg[24];
    const char *rest;
    if (api_path_segment(url, "/api/v1/review/", seg, sizeof seg, &rest) && api_path_end(rest)) {
        long long rid = api_parse_id(seg);
        if (!is_method(r, "PATCH"))
            http_method_not_allowed(r, out, "PATCH");
        else if (rid < 0)
            http_error(r, out, 404, "not_found", "review item not found");
        else
            learn__decide(r, out, rid);
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/messages/", seg, sizeof seg, &rest) &&
        (strcmp(rest, "/intent") == 0 || strcmp(rest, "/intent/") == 0)) {
        long long mid = api_parse_id(seg);
        if (!is_method(r, "POST"))
            http_method_not_allowed(r, out, "POST");
        else if (mid < 0)
            http_error(r, out, 404, "not_found", "message not found");
        else
            learn__correct(r, out, mid);
        return HTTP_HANDLED;
    }
    return HTTP_DECLINED;
}
