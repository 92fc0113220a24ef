/*
 * ws.c — live events: the WebSocket handshake, publishing, and typing
 * (docs/api.md "Live events"; the sockets themselves live in hub.c).
 *
 * Routes (the access table in access.c says who may ask):
 *   GET  /api/v1/conversations/{id}/ws      a customer's widget; the 32-hex
 *                                           id is the capability (404 when
 *                                           no such conversation)
 *   GET  /api/v1/agents/ws                  agent consoles (role agent; a
 *                                           browser sends the session cookie)
 *   POST /api/v1/conversations/{id}/typing  {"on": bool}: typing over HTTP,
 *                                           for widgets that poll
 *
 * libmicrohttpd 0.9.75 has no WebSocket helper, only MHD_ALLOW_UPGRADE:
 * this file checks the RFC 6455 request headers, answers 101 with
 * Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (nettle's SHA-1,
 * libsodium's base64) and, in MHD's upgrade callback, hands the socket to
 * the hub. A request to a WebSocket path that is not a valid upgrade gets a
 * JSON 400. An agent socket whose Origin is not this host is refused (403):
 * a page elsewhere must not ride an agent's cookies.
 *
 * Topics: "conv:<id>" (a conversation's widget) and "agents" (every agent
 * console). Conversation events go to both (http_publish_conv), so agents
 * see every conversation; internal notes (role system, kind note) never go
 * to a "conv:" topic. The first message on every socket is
 * {"type":"hello",...}: once a client has it, every later event reaches it.
 */
#include <nettle/sha1.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "hub.h"
#include "kefu/mem.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* What the upgrade callback needs, in the request's arena (alive until MHD
 * reports the request complete, which is after the callback). */
struct ws_pending {
    struct kf_server *srv;
    struct hub_peer peer;
    char *hello;
};

static int ws__is_hex_id(const char *s, size_t n)
{
    if (n != KF_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ---- publishing ------------------------------------------------------------ */

/* An internal note: only staff may see it. */
static int ws__is_note(json_t *event)
{
    json_t *m = json_object_get(event, "message");
    const char *role = json_string_value(json_object_get(m, "role"));
    const char *kind = json_string_value(json_object_get(json_object_get(m, "meta"), "kind"));
    if (kind == NULL)
        kind = json_string_value(json_object_get(m, "kind"));
    return role != NULL && strcmp(role, "system") == 0 && kind != NULL && strcmp(kind, "note") == 0;
}

void http_publish(struct kf_server *srv, const char *topic, json_t *event)
{
    if (srv == NULL || srv->hub == NULL || topic == NULL || event == NULL)
        return;
    if (strncmp(topic, "conv:", 5) == 0 && ws__is_note(event))
        return; /* the customer's side never sees notes */
    char *s = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s == NULL)
        return;
    hub_publish(srv->hub, topic, s, strlen(s));
    free(s);
}

void http_publish_conv(struct kf_server *srv, const char *conv_id, json_t *event)
{
    char topic[48];
    snprintf(topic, sizeof topic, "conv:%s", conv_id);
    http_publish(srv, topic, event);
    http_publish(srv, "agents", event);
}

/* A typing event from one side of a conversation to the other. */
static void ws__typing(struct kf_server *srv, const char *conv_id, int staff, int on)
{
    json_t *ev = json_pack("{s:s,s:s,s:s,s:b}", "type", "typing", "conversation_id", conv_id,
                           "role", staff ? "agent" : "customer", "on", on);
    if (ev == NULL)
        return;
    if (staff) {
        char topic[48];
        snprintf(topic, sizeof topic, "conv:%s", conv_id);
        http_publish(srv, topic, ev);
    } else {
        http_publish(srv, "agents", ev);
    }
    json_decref(ev);
}

/* A text frame from a socket (hub thread): {"type":"typing","on":bool}
 * (agents add "conversation_id"). Anything else is ignored: clients newer
 * than this server may send more. */
static void ws__on_text(void *cls, const struct hub_peer *peer, const char *text, size_t len)
{
    struct kf_server *srv = cls;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    const char *type = json_string_value(json_object_get(doc, "type"));
    json_t *on = json_object_get(doc, "on");
    if (type == NULL || strcmp(type, "typing") != 0 || !json_is_boolean(on))
        goto done;
    if (peer->staff) {
        const char *id = json_string_value(json_object_get(doc, "conversation_id"));
        if (id != NULL && ws__is_hex_id(id, strlen(id)))
            ws__typing(srv, id, 1, json_is_true(on));
    } else {
        ws__typing(srv, peer->conv_id, 0, json_is_true(on));
    }
done:
    json_decref(doc);
}

/* ---- the hub's life (server.c) --------------------------------------------- */

int http_live_start(struct kf_server *srv, struct kf_err *err)
{
    struct hub_params hp = hub_default_params();
    hp.metrics = srv->metrics;
    hp.log = srv->p.log;
    hp.on_text = ws__on_text;
    hp.cls = srv;
    return hub_start(&hp, &srv->hub, err);
}

void http_live_stop(struct kf_server *srv)
{
    hub_stop(srv->hub);
}

void http_live_free(struct kf_server *srv)
{
    hub_free(srv->hub);
    srv->hub = NULL;
}

/* ---- the handshake --------------------------------------------------------- */

/* Does the comma-separated header value list contain token (any case)? */
static int ws__has_token(const char *value, const char *token)
{
    size_t tn = strlen(token);
    while (value != NULL && *value != '\0') {
        while (*value == ' ' || *value == '\t' || *value == ',')
            value++;
        size_t n = strcspn(value, ",");
        size_t m = n;
        while (m > 0 && (value[m - 1] == ' ' || value[m - 1] == '\t'))
            m--;
        if (m == tn && strncasecmp(value, token, tn) == 0)
            return 1;
        value += n;
    }
    return 0;
}

static const char *ws__header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* The Origin of a browser's request is this server (its Host), or absent. */
static int ws__same_origin(struct http_req *r)
{
    const char *origin = ws__header(r, "Origin");
    const char *host = ws__header(r, "Host");
    if (origin == NULL)
        return 1; /* not a browser: credentials are its own */
    const char *p = strstr(origin, "://");
    return host != NULL && p != NULL && strcasecmp(p + 3, host) == 0;
}

static void ws__upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                         size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    struct ws_pending *w = cls;
    hub_attach(w->srv->hub, &w->peer, sock, urh, extra, extra_len, w->hello,
               w->hello ? strlen(w->hello) : 0);
}

/* Check the upgrade request and answer 101 (out->raw), or a JSON 400. */
static void ws__handshake(struct http_req *r, struct http_resp *out, const struct hub_peer *peer,
                          json_t *hello)
{
    const char *upgrade = ws__header(r, "Upgrade");
    const char *connection = ws__header(r, "Connection");
    const char *version = ws__header(r, "Sec-WebSocket-Version");
    const char *key = ws__header(r, "Sec-WebSocket-Key");
    unsigned char raw[16];
    size_t raw_len = 0;
    if (!ws__has_token(upgrade, "websocket") || !ws__has_token(connection, "upgrade"))
        return http_error(r, out, 400, "bad_request",
                          "expected a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)");
    if (version == NULL || strcmp(version, "13") != 0)
        return http_error(r, out, 400, "bad_request", "Sec-WebSocket-Version: expected 13");
    if (key == NULL || strlen(key) != 24 ||
        sodium_base642bin(raw, sizeof raw, key, 24, NULL, &raw_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        raw_len != sizeof raw)
        return http_error(r, out, 400, "bad_request",
                          "Sec-WebSocket-Key: expected 16 bytes in base64");

    struct sha1_ctx sha;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&sha);
    sha1_update(&sha, 24, (const uint8_t *)key);
    sha1_update(&sha, sizeof WS_GUID - 1, (const uint8_t *)WS_GUID);
    sha1_digest(&sha, sizeof digest, digest);
    char accept[sodium_base64_ENCODED_LEN(SHA1_DIGEST_SIZE, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(accept, sizeof accept, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);

    struct ws_pending *w = kf_arena_alloc(r->arena, sizeof *w);
    char *text = json_dumps(hello, JSON_COMPACT);
    if (w != NULL) {
        w->srv = r->srv;
        w->peer = *peer;
        w->hello = text ? kf_arena_strdup(r->arena, text) : NULL;
    }
    free(text);
    struct MHD_Response *resp = w ? MHD_create_response_for_upgrade(ws__upgraded, w) : NULL;
    if (resp == NULL)
        return http_error(r, out, 500, "internal", "out of memory");
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket") != MHD_YES ||
        MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept) != MHD_YES) {
        MHD_destroy_response(resp);
        return http_error(r, out, 500, "internal", "out of memory");
    }
    out->raw = resp;
    out->status = MHD_HTTP_SWITCHING_PROTOCOLS;
}

/* ---- routes ---------------------------------------------------------------- */

static void ws__conversation(struct http_req *r, struct http_resp *out, const char *id)
{
    struct kf_conversation conv;
    struct kf_err err = {0};
    int rc = kf_store_conversation_get(kf_engine_store(r->srv->p.engine), id, &conv, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    struct hub_peer peer = {.staff = 0};
    snprintf(peer.topic, sizeof peer.topic, "conv:%s", id);
    snprintf(peer.conv_id, sizeof peer.conv_id, "%s", id);
    json_t *hello = json_pack("{s:s,s:s,s:s,s:s}", "type", "hello", "role", "customer",
                              "conversation_id", id, "status", conv.status);
    ws__handshake(r, out, &peer, hello);
    json_decref(hello);
}

static void ws__agents(struct http_req *r, struct http_resp *out)
{
    if (!ws__same_origin(r))
        return http_error(r, out, 403, "forbidden", "Origin: not this server");
    struct hub_peer peer = {.staff = 1};
    snprintf(peer.topic, sizeof peer.topic, "agents");
    snprintf(peer.name, sizeof peer.name, "%s", r->who.name);
    json_t *hello =
        json_pack("{s:s,s:s,s:s}", "type", "hello", "role", "agent", "user", r->who.name);
    ws__handshake(r, out, &peer, hello);
    json_decref(hello);
}

/* POST .../typing {"on": bool}: staff type as the agent, anyone else as
 * the customer (the id is the capability, as for the messages). */
static void ws__typing_post(struct http_req *r, struct http_resp *out, const char *id)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    static const char *const known[] = {"on", NULL};
    int on = 0, set = 0;
    if (api_body_known(r, out, body, known) < 0 || api_body_bool(r, out, body, "on", &on, &set) < 0)
        goto done;
    if (!set) {
        http_error(r, out, 400, "bad_request", "on: required");
        goto done;
    }
    struct kf_conversation conv;
    struct kf_err err = {0};
    int rc = kf_store_conversation_get(kf_engine_store(r->srv->p.engine), id, &conv, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    ws__typing(r->srv, id, r->who.role >= KF_ROLE_AGENT, on);
    out->status = 204;
    out->body = "";
    out->len = 0;
done:
    json_decref(body);
}

int api_ws_route(struct http_req *r, struct http_resp *out)
{
    static const char conv[] = "/api/v1/conversations/";
    const char *url = r->url;
    if (strcmp(url, "/api/v1/agents/ws") == 0) {
        if (strcmp(r->method, "GET") != 0)
            http_method_not_allowed(r, out, "GET");
        else
            ws__agents(r, out);
        return HTTP_HANDLED;
    }
    if (strncmp(url, conv, sizeof conv - 1) != 0)
        return HTTP_DECLINED;
    const char *id = url + sizeof conv - 1;
    size_t n = strcspn(id, "/");
    const char *rest = id + n;
    int ws = strcmp(rest, "/ws") == 0, typing = strcmp(rest, "/typing") == 0;
    if (!ws && !typing)
        return HTTP_DECLINED;
    if (!ws__is_hex_id(id, n)) {
        http_error(r, out, 404, "not_found", "conversation not found");
        return HTTP_HANDLED;
    }
    char cid[KF_ID_LEN + 1];
    memcpy(cid, id, n);
    cid[n] = '\0';
    if (ws) {
        if (strcmp(r->method, "GET") != 0)
            http_method_not_allowed(r, out, "GET");
        else
            ws__conversation(r, out, cid);
    } else {
        if (strcmp(r->method, "POST") != 0)
            http_method_not_allowed(r, out, "POST");
        else
            ws__typing_post(r, out, cid);
    }
    return HTTP_HANDLED;
}
