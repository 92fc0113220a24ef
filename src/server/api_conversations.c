/*
 * api_conversations.c — /api/v1/conversations routes (docs/api.md).
 *
 * Each handler validates the JSON body, calls the engine, and renders the
 * result. Validation errors name the field: "text: expected a string".
 *
 * Reading raw PII (GET ...?reveal=pii) is the one privileged call: it needs
 * a signed-in supervisor or admin (a person, not an API key), or
 * `Authorization: Bearer <privacy.reveal_token>` (compared in constant time;
 * for scripts that predate accounts), every
 * attempt is written to the log as an "audit" line (conversation, count,
 * client; never a value or the token), and the reply is not to be cached.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "kefu/auth.h"
#include "kefu/metrics.h"
#include "kefu/utf8.h"

json_t *api_message_json(const struct kf_message *m)
{
    char ts[32];
    kf_time_iso8601(m->created_at, ts);
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)m->id, "role", m->role,
                          "text", m->text, "lang", m->lang, "created_at", ts);
    if (o == NULL)
        return NULL;
    json_t *meta = m->meta_json ? json_loads(m->meta_json, 0, NULL) : NULL;
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    if (strcmp(m->role, "customer") == 0) {
        /* what the NLU understood of the message (dialog.h: kf_nlu_meta_json) */
        if (json_object_size(meta) > 0)
            json_object_set_new(o, "meta", meta);
        else
            json_decref(meta);
    } else {
        json_t *qr = json_object_get(meta, "quick_replies");
        if (qr != NULL) {
            json_object_set(o, "quick_replies", qr);
            json_object_del(meta, "quick_replies");
        }
        json_object_set_new(meta, "kind", json_string(m->kind ? m->kind : ""));
        json_object_set_new(o, "meta", meta);
    }
    return o;
}

static json_t *api__conversation_json(const struct kf_conversation *c)
{
    char ts[32];
    kf_time_iso8601(c->created_at, ts);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", c->id, "lang", c->lang, "status", c->status,
                     "channel", c->channel, "created_at", ts);
}

static int api__lang(struct http_req *r, struct http_resp *out, const char *lang)
{
    if (lang != NULL && kf_bot_lang_index(kf_engine_bot(r->srv->p.engine), lang) < 0) {
        http_error(r, out, 400, "bad_request", "lang: '%s' is not a language of this bot", lang);
        return -1;
    }
    return 0;
}

void api_conversation_create(struct http_req *r, struct http_resp *out)
{
    json_t *body = http_body_object(r, out, 1);
    if (body == NULL)
        return;
    const char *lang, *channel, *ext = NULL, *name = NULL;
    if (api_body_string(r, out, body, "lang", 16, 0, &lang) < 0 ||
        api_body_string(r, out, body, "channel", 31, 0, &channel) < 0 || api__lang(r, out, lang) < 0)
        goto done;
    if (channel != NULL && strcmp(channel, "web") != 0 && strcmp(channel, "api") != 0) {
        http_error(r, out, 400, "bad_request", "channel: expected \"web\" or \"api\"");
        goto done;
    }
    json_t *cust = json_object_get(body, "customer");
    if (cust != NULL && !json_is_null(cust)) {
        if (!json_is_object(cust)) {
            http_error(r, out, 400, "bad_request", "customer: expected an object");
            goto done;
        }
        const char *hash = NULL;
        if (api_body_string(r, out, cust, "external_id", 200, 0, &ext) < 0 ||
            api_body_string(r, out, cust, "name", 200, 0, &name) < 0 ||
            api_body_string(r, out, cust, "identity_hash", 128, 0, &hash) < 0)
            goto done;
        /* who says they are this customer? (docs/auth.md "Customers") */
        const struct kf_config *cfg = r->srv->p.config;
        if (ext != NULL && cfg != NULL && cfg->identity_secret[0] != '\0' &&
            r->who.role < KF_ROLE_CHANNEL &&
            !kf_auth_identity_ok(cfg->identity_secret, ext, hash)) {
            http_error(r, out, 403, "forbidden",
                       hash == NULL ? "customer.identity_hash: required with an external_id"
                                    : "customer.identity_hash: does not match the external_id");
            goto done;
        }
    }
    struct kf_start req = {.channel = channel ? channel : "api", .lang = lang,
                           .external_id = ext, .name = name};
    struct kf_conversation conv;
    struct kf_message greeting;
    struct kf_err err = {0};
    int rc = kf_engine_start(r->srv->p.engine, &req, r->arena, &conv, &greeting, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    json_t *o = api__conversation_json(&conv);
    json_t *msgs = json_array();
    json_array_append_new(msgs, api_message_json(&greeting));
    json_object_set_new(o, "messages", msgs);
    /* the customer's session: their own orders and tickets (GET /api/v1/me) */
    char token[KF_AUTH_TOKEN_MAX];
    long ttl = r->srv->p.config ? r->srv->p.config->session_ttl_s : 12 * 3600;
    if (kf_auth_customer_session(kf_engine_store(r->srv->p.engine), conv.customer_id, ttl, token,
                                 &err) == KF_OK)
        json_object_set_new(o, "customer_token", json_string(token));
    else
        KF_WARN(r->srv->p.log, "auth", "no customer session: %s", err.msg);
    memset(token, 0, sizeof token);
    json_object_set_new(o, "customer_id", json_integer(conv.customer_id));
    http_json(r, out, 201, o);
done:
    json_decref(body);
}

static int api__query_long(struct http_req *r, struct http_resp *out, const char *name, long min,
                           long max, long def, long *val)
{
    const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    *val = def;
    if (s == NULL)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < min || v > max) {
        http_error(r, out, 400, "bad_request", "%s: expected an integer in [%ld, %ld]", name, min,
                   max);
        return -1;
    }
    *val = v;
    return 0;
}

/* The client's address, for audit lines. */
static void api__peer(struct http_req *r, char out[64])
{
    snprintf(out, 64, "?");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, 64);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, 64);
}

/* Constant-time equality of two tokens of any length: compare their hashes. */
static int api__token_equal(const char *want, const char *got)
{
    unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
    crypto_generichash(a, sizeof a, (const unsigned char *)want, strlen(want), NULL, 0);
    crypto_generichash(b, sizeof b, (const unsigned char *)got, strlen(got), NULL, 0);
    return sodium_memcmp(a, b, sizeof a) == 0;
}

/* ?reveal=pii: *reveal set when asked for and allowed; -1 after a 400/403. */
static int api__reveal_allowed(struct http_req *r, struct http_resp *out, const char *id,
                               int *reveal)
{
    *reveal = 0;
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "reveal");
    if (v == NULL)
        return 0;
    if (strcmp(v, "pii") != 0) {
        http_error(r, out, 400, "bad_request", "reveal: expected \"pii\"");
        return -1;
    }
    char peer[64];
    api__peer(r, peer);
    /* a signed-in supervisor or admin may (issue 7); the audit line names them */
    if (r->who.role >= KF_ROLE_SUPERVISOR && r->who.key_id == 0) {
        KF_WARN(r->srv->p.log, "audit", "pii reveal by %s (%s): conversation %s, client %s",
                r->who.name, kf_role_name(r->who.role), id, peer);
        *reveal = 1;
        return 0;
    }
    const char *want = r->srv->p.reveal_token;
    if (want == NULL || want[0] == '\0') {
        KF_WARN(r->srv->p.log, "audit", "pii reveal denied: conversation %s, client %s: reveal "
                "is disabled", id, peer);
        http_error(r, out, 403, "forbidden",
                   "revealing personal data is disabled (privacy.reveal_token is not set)");
        return -1;
    }
    const char *auth =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *got = NULL;
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
        got = auth + 7;
        while (*got == ' ')
            got++;
    }
    if (got == NULL || !api__token_equal(want, got)) {
        KF_WARN(r->srv->p.log, "audit", "pii reveal denied: conversation %s, client %s: %s", id,
                peer, got == NULL ? "no bearer token" : "wrong token");
        http_error(r, out, 403, "forbidden",
                   "revealing personal data needs the reveal token (Authorization: Bearer ...)");
        return -1;
    }
    *reveal = 1;
    return 0;
}

/* An internal note of the console (role system, kind note): staff only. */
static int api__is_note(const struct kf_message *m)
{
    return strcmp(m->role, "system") == 0 && m->kind != NULL && strcmp(m->kind, "note") == 0;
}

/* ?after=MSGID (polling widgets): messages newer than MSGID, oldest first,
 * with "next_after" when more remain. Internal notes are left out unless
 * staff asks: customers reach this with the conversation's id. */
void api_conversation_get(struct http_req *r, struct http_resp *out, const char *id)
{
    long limit, before, after;
    int reveal;
    if (api__query_long(r, out, "limit", 1, 200, 50, &limit) < 0 ||
        api__query_long(r, out, "before", 1, 0x7fffffffffffffffL, 0, &before) < 0 ||
        api__query_long(r, out, "after", 0, 0x7fffffffffffffffL, -1, &after) < 0 ||
        api__reveal_allowed(r, out, id, &reveal) < 0)
        return;
    if (after >= 0 && before > 0)
        return http_error(r, out, 400, "bad_request", "before and after: give one of them");
    struct kf_store *st = kf_engine_store(r->srv->p.engine);
    struct kf_conversation conv;
    struct kf_err err = {0};
    int rc = kf_store_conversation_get(st, id, &conv, &err);
    struct kf_message *msgs = NULL;
    size_t n = 0;
    int more = 0;
    if (rc == KF_OK && after >= 0)
        rc = kf_store_messages_after(st, id, after, (int)limit, r->arena, &msgs, &n, &more, &err);
    else if (rc == KF_OK)
        rc = kf_store_messages_list(st, id, before, (int)limit, r->arena, &msgs, &n, &more, &err);
    size_t revealed = 0, failed = 0;
    if (rc == KF_OK && reveal)
        rc = kf_engine_reveal(r->srv->p.engine, id, msgs, n, r->arena, &revealed, &failed, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        return;
    }
    if (reveal) {
        char peer[64];
        api__peer(r, peer);
        KF_INFO(r->srv->p.log, "audit",
                "pii reveal: conversation %s, %zu values in %zu messages (%zu not revealable), "
                "client %s",
                id, revealed, n, failed, peer);
    }
    json_t *o = api__conversation_json(&conv);
    json_t *arr = json_array();
    int staff = r->who.role >= KF_ROLE_AGENT;
    for (size_t i = 0; i < n; i++)
        if (staff || !api__is_note(&msgs[i]))
            json_array_append_new(arr, api_message_json(&msgs[i]));
    json_object_set_new(o, "messages", arr);
    if (more && n > 0 && after >= 0)
        json_object_set_new(o, "next_after", json_integer(msgs[n - 1].id));
    else if (more && n > 0)
        json_object_set_new(o, "next_before", json_integer(msgs[0].id));
    if (reveal) {
        json_object_set_new(o, "revealed", json_integer((json_int_t)revealed));
        if (failed > 0)
            json_object_set_new(o, "unrevealed", json_integer((json_int_t)failed));
        out->cache_control = "no-store";
    }
    http_json(r, out, 200, o);
}

/* What the dialog did with each customer message: intent, entities,
 * sentiment, flow, action, outcome (dialog_turns), oldest first. */
void api_conversation_turns(struct http_req *r, struct http_resp *out, const char *id)
{
    long limit;
    if (api__query_long(r, out, "limit", 1, 1000, 200, &limit) < 0)
        return;
    struct kf_store *st = kf_engine_store(r->srv->p.engine);
    struct kf_conversation conv;
    struct kf_err err = {0};
    struct kf_turn_record *recs = NULL;
    long long *ids = NULL;
    size_t n = 0;
    int rc = kf_store_conversation_get(st, id, &conv, &err);
    if (rc == KF_OK)
        rc = kf_store_turns_list(st, id, (int)limit, r->arena, &recs, &ids, &n, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct kf_turn_record *t = &recs[i];
        json_t *o = json_pack("{s:I,s:s?,s:f,s:s?,s:s?,s:s?,s:s?}", "message_id",
                              (json_int_t)ids[i], "intent", t->intent, "intent_confidence",
                              (double)(long)(t->intent_confidence * 1000) / 1000, "sentiment",
                              t->sentiment, "flow", t->flow, "action", t->action, "outcome",
                              t->outcome);
        json_t *ents = t->entities_json ? json_loads(t->entities_json, 0, NULL) : NULL;
        json_object_set_new(o, "entities", ents ? ents : json_array());
        json_array_append_new(arr, o);
    }
    json_t *body = json_pack("{s:s,s:o}", "conversation_id", id, "turns", arr);
    http_json(r, out, 200, body);
}

/* Live events of a committed turn (ws.c): the customer's message, each
 * reply, the status when the turn handed off, and a queue event for the
 * agents when it put the conversation in their queue; reply is borrowed. */
static void api__publish_turn(struct http_req *r, const char *id, json_t *reply,
                              const struct kf_turn *turn)
{
    json_t *msgs = json_array();
    json_array_append(msgs, json_object_get(reply, "message"));
    json_array_extend(msgs, json_object_get(reply, "replies"));
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        json_t *ev = json_pack("{s:s,s:s,s:O}", "type", "message", "conversation_id", id,
                               "message", m);
        http_publish_conv(r->srv, id, ev);
        json_decref(ev);
    }
    json_decref(msgs);
    const char *reason = turn->queued ? turn->queued : turn->handoff ? "customer_request" : NULL;
    if (turn->handoff) {
        json_t *ev = json_pack("{s:s,s:s,s:s,s:n,s:s}", "type", "status", "conversation_id", id,
                               "status", "handoff", "assignee", "needs_human", reason);
        http_publish_conv(r->srv, id, ev);
        json_decref(ev);
    }
    if (turn->queued) { /* the agents' queue (api_console.c, docs/console.md) */
        json_t *ev = json_pack("{s:s,s:s,s:s,s:b}", "type", "queue", "conversation_id", id,
                               "reason", turn->queued, "queued", 1);
        if (ev != NULL && turn->churn_ticket_id > 0)
            json_object_set_new(ev, "churn_ticket_id", json_integer(turn->churn_ticket_id));
        http_publish(r->srv, "agents", ev);
        json_decref(ev);
    }
}

/* The metrics of a committed turn (metrics.h): its messages, the intent
 * understood (the customer message's meta), a not-sure reply, and the
 * reason when the turn put the conversation in the agents' queue. */
static void api__count_turn(struct http_req *r, const struct kf_turn *turn)
{
    struct kf_metrics *m = r->srv->metrics;
    if (m == NULL)
        return;
    kf_metrics_message(m, "customer");
    json_t *meta = turn->customer.meta_json ? json_loads(turn->customer.meta_json, 0, NULL) : NULL;
    kf_metrics_intent(m, json_string_value(json_object_get(meta, "intent")));
    json_decref(meta);
    for (size_t i = 0; i < turn->nreplies; i++) {
        kf_metrics_message(m, turn->replies[i].role);
        if (turn->replies[i].kind != NULL && strcmp(turn->replies[i].kind, "not_sure") == 0)
            kf_metrics_fallback(m);
    }
    if (turn->queued != NULL)
        kf_metrics_handoff(m, turn->queued);
}

void api_message_post(struct http_req *r, struct http_resp *out, const char *id)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    const char *lang;
    json_t *text = json_object_get(body, "text");
    if (text == NULL) {
        http_error(r, out, 400, "bad_request", "text: required");
        goto done;
    }
    if (!json_is_string(text)) {
        http_error(r, out, 400, "bad_request", "text: expected a string");
        goto done;
    }
    if (api_body_string(r, out, body, "lang", 16, 0, &lang) < 0 || api__lang(r, out, lang) < 0)
        goto done;
    struct kf_turn turn;
    struct kf_err err = {0};
    int rc = kf_engine_post(r->srv->p.engine, id, json_string_value(text),
                            json_string_length(text), lang, r->arena, &turn, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    api__count_turn(r, &turn);
    json_t *replies = json_array();
    for (size_t i = 0; i < turn.nreplies; i++)
        json_array_append_new(replies, api_message_json(&turn.replies[i]));
    json_t *reply = json_pack("{s:s,s:o,s:o}", "conversation_id", id, "message",
                              api_message_json(&turn.customer), "replies", replies);
    api__publish_turn(r, id, reply, &turn);
    http_json(r, out, 200, reply);
done:
    json_decref(body);
}

void api_turn_done(struct http_req *r, const char *id, const struct kf_turn *turn)
{
    api__count_turn(r, turn);
    json_t *replies = json_array();
    for (size_t i = 0; i < turn->nreplies; i++)
        json_array_append_new(replies, api_message_json(&turn->replies[i]));
    json_t *reply = json_pack("{s:s,s:o,s:o}", "conversation_id", id, "message",
                              api_message_json(&turn->customer), "replies", replies);
    if (reply != NULL)
        api__publish_turn(r, id, reply, turn);
    json_decref(reply);
}
