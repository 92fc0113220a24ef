/*
 * api_console.c — the agent console's routes (issue 7, docs/console.md,
 * docs/api.md "Agent console"). Every route needs the role agent (access.c).
 *
 *   GET  /api/v1/queue                              conversations waiting for a human
 *   GET  /api/v1/conversations?status=&assignee=me|none|ID&limit=&offset=
 *   POST /api/v1/conversations/{id}/takeover        {"force"?: bool (supervisors)}
 *   POST /api/v1/conversations/{id}/reply           {"text"}
 *   POST /api/v1/conversations/{id}/notes           {"text"}  internal note
 *   POST /api/v1/conversations/{id}/handback        back to the bot
 *   POST /api/v1/conversations/{id}/close           {"resolution"}
 *   GET  /api/v1/conversations/{id}/suggestions     the bot's view of the last message
 *   GET  /api/v1/conversations/{id}/context         customer, profile, orders, tickets
 *   GET  /api/v1/canned?lang=                       canned responses (the bot's canned.yaml)
 *
 * How it fits: the conversation's state and the actions' messages are
 * agent.h's (one transaction each); the side panel reads the back ends
 * through their connectors like api_crm.c, and the profile from events.h.
 * Every change is published live (ws.c): the message to the conversation
 * and the agents, a status event on takeover, handback and close, a queue
 * event when a conversation leaves the queue (api_conversations.c publishes
 * the ones that enter it).
 *
 * Agents type what they mean: a reply is not PII-masked, only bounded
 * (1..4000 bytes of UTF-8). A conversation is held by a signed-in user
 * (users.id); an API key may read, note, hand back and close, not hold.
 *
 * canned.yaml is read on each GET /api/v1/canned (a few KiB), so edits show
 * up without a restart; a broken file answers 500 with its path:line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "kefu/metrics.h"
#include "kefu/agent.h"
#include "kefu/biz.h"
#include "kefu/connector.h"
#include "kefu/events.h"
#include "kefu/yaml.h"

#define CONSOLE_CANNED_MAX 200 /* entries in canned.yaml */
#define CONSOLE_CODE_MAX 32    /* bytes of a canned code */

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

/* ---- live events -------------------------------------------------------- */

static void console__publish_message(struct http_req *r, const char *id, const struct kf_message *m)
{
    json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "message", "conversation_id", id, "message",
                           api_message_json(m));
    if (ev != NULL)
        http_publish_conv(r->srv, id, ev);
    json_decref(ev);
}

/* {"type":"status",...} from the conversation's summary (agent.h). */
static void console__publish_status(struct http_req *r, const char *id, json_t *summary)
{
    json_t *ev = json_pack("{s:s,s:s,s:O,s:O,s:O,s:O}", "type", "status", "conversation_id", id,
                           "status", json_object_get(summary, "status"), "assignee",
                           json_object_get(summary, "assignee"), "needs_human",
                           json_object_get(summary, "reason"), "resolution",
                           json_object_get(summary, "resolution"));
    if (ev != NULL)
        http_publish_conv(r->srv, id, ev);
    json_decref(ev);
}

/* A conversation left the agents' queue (handed back or closed). */
static void console__publish_left(struct http_req *r, const char *id)
{
    json_t *ev = json_pack("{s:s,s:s,s:n,s:b}", "type", "queue", "conversation_id", id, "reason",
                           "queued", 0);
    if (ev != NULL)
        http_publish(r->srv, "agents", ev);
    json_decref(ev);
}

/* ---- the queue and the list --------------------------------------------- */

static void console__queue(struct http_req *r, struct http_resp *out)
{
    json_t *res;
    struct kf_err err = {0};
    int rc = kf_agent_queue(kf_engine_store(r->srv->p.engine), kf_time_now_ms(), &res, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(res, 0);
    http_json(r, out, 200, res);
}

static void console__list(struct http_req *r, struct http_resp *out)
{
    static const char *const statuses[] = {"open", "handoff", "closed", NULL};
    const char *status, *assignee;
    long long limit, offset;
    if (api_query_enum(r, out, "status", statuses, &status) < 0 ||
        api_query_string(r, out, "assignee", 24, &assignee) < 0 ||
        api_query_long(r, out, "limit", 1, KF_AGENT_LIST_MAX, 50, &limit, NULL) < 0 ||
        api_query_long(r, out, "offset", 0, 1000000, 0, &offset, NULL) < 0)
        return;
    struct kf_agent_filter f = {.status = status, .limit = (int)limit, .offset = (int)offset};
    if (assignee != NULL && strcmp(assignee, "me") == 0) {
        if (r->who.user_id == 0)
            return http_error(r, out, 400, "bad_request",
                              "assignee: \"me\" needs a signed-in user, not an API key");
        f.assignee_id = r->who.user_id;
    } else if (assignee != NULL && strcmp(assignee, "none") == 0) {
        f.assignee_id = -1;
    } else if (assignee != NULL && (f.assignee_id = api_parse_id(assignee)) < 0) {
        return http_error(r, out, 400, "bad_request", "assignee: expected me, none or a user id");
    }
    json_t *res;
    struct kf_err err = {0};
    int rc =
        kf_agent_conversations(kf_engine_store(r->srv->p.engine), &f, kf_time_now_ms(), &res, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(res, 0);
    http_json(r, out, 200, res);
}

/* ---- actions -------------------------------------------------------------- */

/* What the customer is told on a handback, in the conversation's language.
 * Takeover and close write no message: the widget shows their status
 * events (and asks for a rating on close). */
static const char *console__handback_line(const char *lang)
{
    return lang != NULL && strcmp(lang, "zh") == 0 ? "已转回智能助手"
                                                   : "You're back with the assistant";
}

/* The action's reply: {"conversation": summary, "message": m?}; publishes
 * the message, and the status when `status` is set. */
static void console__done(struct http_req *r, struct http_resp *out, const char *id,
                          const struct kf_message *m, int status, int left, unsigned code)
{
    json_t *summary;
    struct kf_err err = {0};
    int rc = kf_agent_conversation_get(kf_engine_store(r->srv->p.engine), id, kf_time_now_ms(),
                                       &summary, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(summary, 0);
    if (m != NULL && m->id != 0)
        console__publish_message(r, id, m);
    if (status)
        console__publish_status(r, id, summary);
    if (left)
        console__publish_left(r, id);
    json_t *res = json_pack("{s:o}", "conversation", summary);
    if (res != NULL && m != NULL && m->id != 0)
        json_object_set_new(res, "message", api_message_json(m));
    http_json(r, out, code, res);
}

/* A user who can hold conversations, and force only for supervisors. */
static int console__holder(struct http_req *r, struct http_resp *out, int force)
{
    if (r->who.user_id == 0) {
        http_error(r, out, 403, "forbidden",
                   "an API key cannot hold a conversation: sign in as an agent");
        return -1;
    }
    if (force && r->who.role < KF_ROLE_SUPERVISOR) {
        http_error(r, out, 403, "forbidden",
                   "force: only a supervisor takes over another's "
                   "conversation");
        return -1;
    }
    return 0;
}

/* The conversation's language, for the lines the customer reads. */
static int console__conv(struct http_req *r, struct http_resp *out, const char *id,
                         struct kf_conversation *conv)
{
    struct kf_err err = {0};
    int rc = kf_store_conversation_get(kf_engine_store(r->srv->p.engine), id, conv, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        return -1;
    }
    return 0;
}

static void console__takeover(struct http_req *r, struct http_resp *out, const char *id)
{
    static const char *const known[] = {"force", NULL};
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    int force = 0, set;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_bool(r, out, body, "force", &force, &set) < 0 ||
        console__holder(r, out, force) < 0)
        goto done;
    struct kf_agent_act a = {.conversation_id = id, .user_id = r->who.user_id, .force = force};
    int changed = 0;
    struct kf_err err = {0};
    int rc = kf_agent_takeover(kf_engine_store(r->srv->p.engine), &a, &changed, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "console", "%s took over conversation %s%s", r->who.name, id,
            changed ? (force ? " (forced)" : "") : " (already theirs)");
    console__done(r, out, id, NULL, changed, 0, 200);
done:
    json_decref(body);
}

/* "text": 1..KF_AGENT_TEXT_MAX bytes, not only white space. */
static int console__text(struct http_req *r, struct http_resp *out, json_t *body, const char **text)
{
    static const char *const known[] = {"text", NULL};
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "text", KF_AGENT_TEXT_MAX, 1, text) < 0)
        return -1;
    if (*text == NULL || strspn(*text, " \t\r\n") == strlen(*text)) {
        http_error(r, out, 400, "bad_request", "text: required, 1..%d bytes", KF_AGENT_TEXT_MAX);
        return -1;
    }
    return 0;
}

static void console__reply(struct http_req *r, struct http_resp *out, const char *id)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *text;
    struct kf_conversation conv;
    if (console__text(r, out, body, &text) < 0 || console__holder(r, out, 0) < 0 ||
        console__conv(r, out, id, &conv) < 0)
        goto done;
    json_t *meta = json_pack("{s:s}", "agent", r->who.name);
    char *mj = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    struct kf_message m = {.role = "agent",
                           .kind = "",
                           .lang = conv.lang,
                           .text = text,
                           .meta_json = mj != NULL ? kf_arena_strdup(r->arena, mj) : NULL};
    free(mj);
    struct kf_agent_act a = {.conversation_id = id,
                             .user_id = r->who.user_id,
                             .force = r->who.role >= KF_ROLE_SUPERVISOR,
                             .msg = &m};
    int took = 0;
    struct kf_err err = {0};
    int rc = kf_agent_reply(kf_engine_store(r->srv->p.engine), &a, &took, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    console__done(r, out, id, &m, took, 0, 201);
done:
    json_decref(body);
}

static void console__note(struct http_req *r, struct http_resp *out, const char *id)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *text;
    struct kf_conversation conv;
    if (console__text(r, out, body, &text) < 0 || console__conv(r, out, id, &conv) < 0)
        goto done;
    json_t *meta = json_pack("{s:s}", "author", r->who.name);
    char *mj = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    struct kf_message m = {.role = "system",
                           .kind = "note",
                           .lang = conv.lang,
                           .text = text,
                           .meta_json = mj != NULL ? kf_arena_strdup(r->arena, mj) : NULL};
    free(mj);
    struct kf_agent_act a = {.conversation_id = id, .user_id = r->who.user_id, .msg = &m};
    struct kf_err err = {0};
    int rc = kf_agent_note(kf_engine_store(r->srv->p.engine), &a, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    console__done(r, out, id, &m, 0, 0, 201);
done:
    json_decref(body);
}

static void console__handback(struct http_req *r, struct http_resp *out, const char *id)
{
    static const char *const known[] = {NULL};
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    struct kf_conversation conv;
    if (api_body_known(r, out, body, known) < 0 || console__conv(r, out, id, &conv) < 0)
        goto done;
    struct kf_message m = {.role = "system",
                           .kind = "handback",
                           .lang = conv.lang,
                           .text = console__handback_line(conv.lang)};
    struct kf_agent_act a = {.conversation_id = id,
                             .user_id = r->who.user_id,
                             .force = r->who.role >= KF_ROLE_SUPERVISOR,
                             .msg = &m};
    struct kf_err err = {0};
    int rc = kf_agent_handback(kf_engine_store(r->srv->p.engine), &a, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "console", "%s handed conversation %s back to the bot", r->who.name, id);
    console__done(r, out, id, &m, 1, 1, 200);
done:
    json_decref(body);
}

static void console__close(struct http_req *r, struct http_resp *out, const char *id)
{
    static const char *const known[] = {"resolution", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *resolution;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_enum(r, out, body, "resolution", kf_agent_resolutions, &resolution) < 0)
        goto done;
    if (resolution == NULL) {
        http_error(r, out, 400, "bad_request",
                   "resolution: required (resolved, unresolved, duplicate, spam or no_response)");
        goto done;
    }
    struct kf_agent_act a = {.conversation_id = id,
                             .user_id = r->who.user_id,
                             .force = r->who.role >= KF_ROLE_SUPERVISOR};
    struct kf_err err = {0};
    int rc = kf_agent_close(kf_engine_store(r->srv->p.engine), &a, resolution, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "console", "%s closed conversation %s: %s", r->who.name, id, resolution);
    if (r->srv->metrics != NULL)
        kf_metrics_resolution(r->srv->metrics, resolution);
    console__done(r, out, id, NULL, 1, 1, 200);
done:
    json_decref(body);
}

/* ---- the side panels ------------------------------------------------------ */

static double console__round(double v)
{
    return (double)(long long)(v * 1000 + (v >= 0 ? 0.5 : -0.5)) / 1000;
}

static void console__suggestions(struct http_req *r, struct http_resp *out, const char *id)
{
    struct kf_suggestion s;
    struct kf_err err = {0};
    int rc = kf_engine_suggest(r->srv->p.engine, id, r->arena, &s, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    json_t *o = json_pack("{s:s,s:s}", "conversation_id", id, "lang", s.lang);
    if (o == NULL)
        return http_error(r, out, 500, "internal", "out of memory");
    if (s.message_id == 0) {
        json_object_set_new(o, "message_id", json_null());
        json_object_set_new(o, "answers", json_array());
        return http_json(r, out, 200, o);
    }
    const struct kf_nlu_result *n = &s.nlu;
    json_object_set_new(o, "message_id", json_integer(s.message_id));
    json_object_set_new(o, "text", json_string(s.text));
    json_object_set_new(o, "intent", n->intent ? json_string(n->intent) : json_null());
    json_object_set_new(o, "intent_confidence", json_real(console__round(n->intent_confidence)));
    json_t *ranking = json_array();
    for (size_t i = 0; i < n->nintents && i < 3; i++)
        json_array_append_new(ranking,
                              json_pack("{s:s,s:f}", "intent", n->intents[i].name, "confidence",
                                        console__round(n->intents[i].confidence)));
    json_object_set_new(o, "intents", ranking);
    json_object_set_new(o, "sentiment", n->sentiment ? json_string(n->sentiment) : json_null());
    json_object_set_new(o, "sentiment_score", json_real(console__round(n->sentiment_score)));
    json_object_set_new(o, "angry", json_boolean(n->angry));
    json_t *answers = json_array();
    for (size_t i = 0; i < s.nanswers; i++)
        json_array_append_new(
            answers, json_pack("{s:s,s:s?,s:s,s:f}", "faq_id", s.answers[i].faq_id, "question",
                               s.answers[i].question, "answer", s.answers[i].answer, "score",
                               console__round(s.answers[i].confidence)));
    json_object_set_new(o, "answers", answers);
    http_json(r, out, 200, o);
}

/* A connector call whose failure leaves a null in the panel (with the
 * reason logged) rather than failing the whole panel. */
static json_t *console__soft_call(struct http_req *r, const char *backend, const char *op,
                                  json_t *args)
{
    struct kf_connector *c = kf_engine_connector(r->srv->p.engine, backend);
    json_t *res = NULL;
    struct kf_err err = {0};
    if (c == NULL || args == NULL || kf_connector_call(c, op, args, &res, &err) != KF_OK) {
        if (c != NULL && args != NULL)
            KF_WARN(r->srv->p.log, "console", "%s %s: %s", backend, op, err.msg);
        json_decref(res);
        return json_null();
    }
    api_iso_times(res, 0);
    return res != NULL ? res : json_null();
}

static void console__context(struct http_req *r, struct http_resp *out, const char *id)
{
    struct kf_store *st = kf_engine_store(r->srv->p.engine);
    json_t *summary = NULL, *cust = NULL, *profile = NULL;
    struct kf_err err = {0};
    int rc = kf_agent_conversation_get(st, id, kf_time_now_ms(), &summary, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    long long cid =
        (long long)json_integer_value(json_object_get(json_object_get(summary, "customer"), "id"));
    json_t *args = json_pack("{s:I}", "id", (json_int_t)cid);
    cust = console__soft_call(r, "customers", "customer.get", args);
    json_decref(args);
    if (kf_profiles_get(st, cid, kf_time_now_ms(), &profile, &err) != KF_OK) {
        KF_WARN(r->srv->p.log, "console", "profile of customer %lld: %s", cid, err.msg);
        profile = json_null();
    } else {
        api_iso_times(profile, 0);
    }
    args = json_pack("{s:I,s:i}", "customer_id", (json_int_t)cid, "limit", 10);
    if (args != NULL && json_is_object(cust) && kf_biz_customer_ref(cust) != NULL)
        json_object_set_new(args, "customer_ref", json_string(kf_biz_customer_ref(cust)));
    json_t *orders = console__soft_call(r, "orders", "order.list", args);
    json_decref(args);
    args = json_pack("{s:I,s:i}", "customer_id", (json_int_t)cid, "limit", 20);
    json_t *tickets = console__soft_call(r, "tickets", "ticket.list", args);
    json_decref(args);
    api_iso_times(summary, 0);
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o}", "conversation", summary, "customer", cust,
                          "profile", profile, "orders", orders, "tickets", tickets);
    http_json(r, out, 200, o);
}

/* ---- canned responses ------------------------------------------------------ */

static const char *console__bot_path(struct http_req *r)
{
    const struct kf_config *cfg = r->srv->p.config;
    return cfg != NULL && cfg->bot_path[0] != '\0' ? cfg->bot_path : "bots/demo-shop";
}

/* A {lang: text} map of canned.yaml → JSON object (every value a string). */
static int console__texts(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key,
                          json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (n == NULL || n->type != KF_Y_MAP || n->n == 0)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected a map of language: text", key);
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < n->n; i++) {
        const char *lang, *text;
        int rc = kf_ynode_string(doc, n->keys[i], key, &lang, err);
        if (rc == KF_OK)
            rc = kf_ynode_string(doc, n->items[i], key, &text, err);
        if (rc == KF_OK &&
            (strlen(lang) > 8 || text[0] == '\0' || strlen(text) > KF_AGENT_TEXT_MAX))
            rc =
                kf_ydoc_errorf(doc, n->items[i], err, KF_ECONFIG,
                               "%s.%s: expected 1..%d bytes of text", key, lang, KF_AGENT_TEXT_MAX);
        if (rc != KF_OK) {
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, lang, json_string(text));
    }
    *out = o;
    return o != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* canned.yaml: {canned: [{code, title?: {lang: text}, text: {lang: text}}]};
 * codes are [a-z0-9_-], unique. *out: [{code, title, text}] with the maps. */
static int console__canned_load(const char *path, json_t **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *list = doc->root ? kf_ynode_get(doc->root, "canned") : NULL;
    json_t *items = json_array();
    if (list == NULL || list->type != KF_Y_SEQ)
        rc = kf_ydoc_errorf(doc, list ? list : doc->root, err, KF_ECONFIG,
                            "canned: expected a list of responses");
    else if (list->n > CONSOLE_CANNED_MAX)
        rc = kf_ydoc_errorf(doc, list, err, KF_ECONFIG, "canned: more than %d responses",
                            CONSOLE_CANNED_MAX);
    for (size_t i = 0; rc == KF_OK && list != NULL && i < list->n; i++) {
        const struct kf_ynode *it = list->items[i];
        const char *code = NULL;
        json_t *title = NULL, *text = NULL;
        if (it->type != KF_Y_MAP) {
            rc = kf_ydoc_errorf(doc, it, err, KF_ECONFIG, "canned[%zu]: expected a map", i);
            break;
        }
        for (size_t k = 0; k < it->n; k++) {
            const char *kn = it->keys[k]->str;
            if (strcmp(kn, "code") != 0 && strcmp(kn, "title") != 0 && strcmp(kn, "text") != 0) {
                rc = kf_ydoc_errorf(doc, it->keys[k], err, KF_ECONFIG,
                                    "canned[%zu]: unknown key '%s' (code, title, text)", i, kn);
                break;
            }
        }
        if (rc == KF_OK)
            rc = kf_ynode_string(doc, kf_ynode_get(it, "code"), "code", &code, err);
        if (rc == KF_OK && kf_ynode_get(it, "code") == NULL)
            rc = kf_ydoc_errorf(doc, it, err, KF_ECONFIG, "canned[%zu]: code: required", i);
        if (rc == KF_OK && (code[0] == '\0' || strlen(code) > CONSOLE_CODE_MAX ||
                            strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(code)))
            rc = kf_ydoc_errorf(doc, kf_ynode_get(it, "code"), err, KF_ECONFIG,
                                "code: expected 1..%d of a-z 0-9 _ -", CONSOLE_CODE_MAX);
        for (size_t j = 0; rc == KF_OK && j < json_array_size(items); j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(items, j), "code")),
                       code) == 0)
                rc = kf_ydoc_errorf(doc, kf_ynode_get(it, "code"), err, KF_ECONFIG,
                                    "code: '%s' is used twice", code);
        if (rc == KF_OK)
            rc = console__texts(doc, kf_ynode_get(it, "text"), "text", &text, err);
        if (rc == KF_OK && kf_ynode_get(it, "title") != NULL)
            rc = console__texts(doc, kf_ynode_get(it, "title"), "title", &title, err);
        if (rc == KF_OK)
            json_array_append_new(items, json_pack("{s:s,s:o,s:o}", "code", code, "title",
                                                   title ? title : json_object(), "text", text));
        else {
            json_decref(title);
            json_decref(text);
        }
    }
    kf_ydoc_free(doc);
    if (rc != KF_OK) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return KF_OK;
}

/* The text of a {lang: text} map in lang, else the bot's first language's,
 * else any. */
static json_t *console__pick(json_t *texts, const char *lang, const char *fallback)
{
    json_t *v = json_object_get(texts, lang);
    if (v == NULL)
        v = json_object_get(texts, fallback);
    if (v == NULL) {
        void *it = json_object_iter(texts);
        v = it ? json_object_iter_value(it) : NULL;
    }
    return v != NULL ? json_incref(v) : json_null();
}

static void console__canned(struct http_req *r, struct http_resp *out)
{
    const char *lang;
    if (api_query_string(r, out, "lang", 8, &lang) < 0)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/canned.yaml", console__bot_path(r));
    json_t *items;
    struct kf_err err = {0};
    int rc = console__canned_load(path, &items, &err);
    if (rc == KF_ENOTFOUND || (rc == KF_EIO && strstr(err.msg, "No such file") != NULL))
        return http_json(r, out, 200, json_pack("{s:[]}", "items"));
    if (rc != KF_OK) {
        KF_ERROR(r->srv->p.log, "console", "%s", err.msg);
        return http_error(r, out, 500, "config", "%s", err.msg);
    }
    if (lang != NULL) {
        const char *def = kf_bot_lang(kf_engine_bot(r->srv->p.engine), 0);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            json_object_set_new(it, "title",
                                console__pick(json_object_get(it, "title"), lang, def));
            json_object_set_new(it, "text", console__pick(json_object_get(it, "text"), lang, def));
        }
    }
    json_t *o = json_pack("{s:o}", "items", items);
    if (lang != NULL)
        json_object_set_new(o, "lang", json_string(lang));
    http_json(r, out, 200, o);
}

/* ---- routing -------------------------------------------------------------- */

static void console__conv_route(struct http_req *r, struct http_resp *out, const char *id,
                                const char *action)
{
    static const struct {
        const char *name, *method;
        void (*fn)(struct http_req *, struct http_resp *, const char *);
    } routes[] = {
        {"takeover", "POST", console__takeover}, {"reply", "POST", console__reply},
        {"notes", "POST", console__note},        {"handback", "POST", console__handback},
        {"close", "POST", console__close},       {"suggestions", "GET", console__suggestions},
        {"context", "GET", console__context},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].name, action) != 0)
            continue;
        int get = strcmp(routes[i].method, "GET") == 0;
        if (is_method(r, routes[i].method) || (get && is_method(r, "HEAD")))
            return routes[i].fn(r, out, id);
        return http_method_not_allowed(r, out, routes[i].method);
    }
}

int api_console_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/queue") == 0 || strcmp(url, "/api/v1/queue/") == 0) {
        if (is_method(r, "GET") || is_method(r, "HEAD"))
            console__queue(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/canned") == 0 || strcmp(url, "/api/v1/canned/") == 0) {
        if (is_method(r, "GET") || is_method(r, "HEAD"))
            console__canned(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if ((strcmp(url, "/api/v1/conversations") == 0 || strcmp(url, "/api/v1/conversations/") == 0) &&
        (is_method(r, "GET") || is_method(r, "HEAD"))) {
        console__list(r, out);
        return HTTP_HANDLED;
    }
    char id[KF_ID_LEN + 2];
    const char *rest;
    if (!api_path_segment(url, "/api/v1/conversations/", id, sizeof id, &rest) || rest[0] != '/')
        return HTTP_DECLINED;
    static const char *const mine[] = {"takeover", "reply",       "notes",   "handback",
                                       "close",    "suggestions", "context", NULL};
    const char *action = rest + 1;
    size_t alen = strcspn(action, "/");
    if (action[alen] != '\0' && strcmp(action + alen, "/") != 0)
        return HTTP_DECLINED;
    char name[16];
    if (alen >= sizeof name)
        return HTTP_DECLINED;
    memcpy(name, action, alen);
    name[alen] = '\0';
    int ours = 0;
    for (const char *const *m = mine; *m != NULL; m++)
        ours |= strcmp(*m, name) == 0;
    if (!ours)
        return HTTP_DECLINED;
    if (strlen(id) != KF_ID_LEN || strspn(id, "0123456789abcdef") != KF_ID_LEN) {
        http_error(r, out, 404, "not_found", "conversation not found");
        return HTTP_HANDLED;
    }
    console__conv_route(r, out, id, name);
    return HTTP_HANDLED;
}
