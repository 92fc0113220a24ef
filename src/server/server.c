/*
 * server.c — libmicrohttpd daemon, request life cycle and routing.
 *
 * Request life cycle (MHD calls the access handler several times):
 *   first call    → allocate struct http_req (arena + bounded body buffer);
 *                   a Content-Length above max_body is answered 413 at once
 *   upload calls  → append to the body; past max_body stop keeping it
 *   last call     → route, run the handler, queue the response
 *   completed     → free the request (MHD_OPTION_NOTIFY_COMPLETED)
 *
 * Routing: fixed paths first, then conversations, then the back-office
 * route tables (api_tickets_route, api_events_route, api_crm_route: each
 * answers or declines; events before crm, which owns other customer paths),
 * then a JSON 404 under /api/ and /webhooks/, else static files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "kefu/classifier.h"
#include "kefu/mem.h"
#include "kefu/metrics.h"
#include "kefu/nlu.h"
#include "scheduler.h"

struct kf_server_params kf_server_default_params(void)
{
    return (struct kf_server_params){
        .host = "127.0.0.1", .port = 8080, .threads = 16, .max_body = 64 * 1024};
}

/* ---- replies ----------------------------------------------------------- */

void http_json(struct http_req *r, struct http_resp *out, unsigned status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(doc);
    out->status = status;
    out->ctype = "application/json; charset=utf-8";
    if (s == NULL) {
        out->status = 500;
        out->body = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        out->len = strlen(out->body);
        return;
    }
    out->body = kf_arena_strdup(r->arena, s);
    free(s);
    if (out->body == NULL) {
        out->status = 500;
        out->body = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
    }
    out->len = strlen(out->body);
}

void http_error(struct http_req *r, struct http_resp *out, unsigned status, const char *code,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* messages may quote input: keep them valid UTF-8 for the JSON encoder */
    json_t *m = json_string(msg);
    if (m == NULL)
        m = json_string("invalid input");
    http_json(r, out, status, json_pack("{s:{s:s,s:o}}", "error", "code", code, "message", m));
}

void http_engine_error(struct http_req *r, struct http_resp *out, int rc, const struct kf_err *err)
{
    switch (rc) {
    case KF_ENOTFOUND:
        http_error(r, out, 404, "not_found", "%s", err->msg);
        return;
    case KF_EINVAL:
    case KF_EUTF8:
        http_error(r, out, 400, "bad_request", "%s", err->msg);
        return;
    case KF_ETOOBIG:
        http_error(r, out, 413, "payload_too_large", "%s", err->msg);
        return;
    case KF_ECONFLICT:
        http_error(r, out, 409, "conflict", "%s", err->msg);
        return;
    case KF_EUNSUPPORTED:
        http_error(r, out, 501, "not_implemented", "%s", err->msg);
        return;
    case KF_EBUSY:
        http_error(r, out, 503, "unavailable", "busy, try again");
        return;
    case KF_EUNAVAILABLE:
        KF_WARN(r->srv->p.log, "http", "%s %s: %s", r->method, r->url, err->msg);
        http_error(r, out, 503, "unavailable", "%s", err->msg);
        return;
    default:
        KF_ERROR(r->srv->p.log, "http", "%s %s: %s", r->method, r->url, err->msg);
        http_error(r, out, 500, "internal", "internal error");
        return;
    }
}

json_t *http_body_object(struct http_req *r, struct http_resp *out, int allow_empty)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->body.len == 0 && allow_empty)
        return json_object();
    /* JSON is parsed whatever the client called it, as Rasa's REST channel
     * does, except for types that are clearly something else (forms with
     * files, images, ...): `curl -d` sends x-www-form-urlencoded. */
    if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0 &&
        strncasecmp(ct, "text/plain", 10) != 0 &&
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        http_error(r, out, 415, "unsupported_media_type", "expected Content-Type application/json");
        return NULL;
    }
    if (r->body.len == 0) {
        http_error(r, out, 400, "bad_request", "empty body: expected a JSON object");
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        http_error(r, out, 400, "bad_request", "malformed JSON at line %d, column %d: %s",
                   je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        http_error(r, out, 400, "bad_request", "expected a JSON object");
        return NULL;
    }
    return doc;
}

/* ---- routing ----------------------------------------------------------- */

static void http__health(struct http_req *r, struct http_resp *out, int ready)
{
    if (!ready) {
        http_json(r, out, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    struct kf_err err = {0};
    if (kf_engine_ready(r->srv->p.engine, &err) != KF_OK) {
        KF_WARN(r->srv->p.log, "http", "not ready: %s", err.msg);
        http_json(r, out, 503, json_pack("{s:s,s:s}", "status", "unavailable", "reason", "store"));
        return;
    }
    http_json(r, out, 200, json_pack("{s:s}", "status", "ready"));
}

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

void http_method_not_allowed(struct http_req *r, struct http_resp *out, const char *allow)
{
    out->allow = allow;
    http_error(r, out, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
               r->method, allow);
}

/* Match "/api/v1/conversations/{id}[/messages]"; the id must be 32 hex. */
static int http__conv_path(const char *url, char id[KF_ID_LEN + 1], const char **rest)
{
    static const char pre[] = "/api/v1/conversations/";
    if (strncmp(url, pre, sizeof pre - 1) != 0)
        return 0;
    const char *p = url + sizeof pre - 1;
    size_t n = strcspn(p, "/");
    if (n == 0 || n > KF_ID_LEN)
        return -1;
    memcpy(id, p, n);
    id[n] = '\0';
    *rest = p + n;
    return n == KF_ID_LEN && strspn(id, "0123456789abcdef") == KF_ID_LEN ? 1 : -1;
}

static void http__route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    http_authenticate(r);
    if (api_require(r, out, access_required(r->method, url)) < 0)
        return;
    if (api_ws_route(r, out) == HTTP_HANDLED || api_auth_route(r, out) == HTTP_HANDLED ||
        api_ops_route(r, out) == HTTP_HANDLED || api_console_route(r, out) == HTTP_HANDLED ||
        api_learn_route(r, out) == HTTP_HANDLED || api_experiments_route(r, out) == HTTP_HANDLED)
        return;
    if (strcmp(url, "/healthz") == 0)
        return is_method(r, "GET") || is_method(r, "HEAD")
                   ? http__health(r, out, 0)
                   : http_method_not_allowed(r, out, "GET");
    if (strcmp(url, "/readyz") == 0)
        return is_method(r, "GET") || is_method(r, "HEAD")
                   ? http__health(r, out, 1)
                   : http_method_not_allowed(r, out, "GET");
    if (strcmp(url, "/webhooks/rest/webhook") == 0)
        return is_method(r, "POST") ? api_rasa_webhook(r, out)
                                    : http_method_not_allowed(r, out, "POST");
    if (strcmp(url, "/api/v1/nlu/parse") == 0)
        return is_method(r, "POST") ? api_nlu_parse(r, out)
                                    : http_method_not_allowed(r, out, "POST");
    if (strcmp(url, "/api/v1/conversations") == 0 || strcmp(url, "/api/v1/conversations/") == 0)
        return is_method(r, "POST") ? api_conversation_create(r, out)
                                    : http_method_not_allowed(r, out, "POST");
    char id[KF_ID_LEN + 1];
    const char *rest = NULL;
    int m = http__conv_path(url, id, &rest);
    if (m < 0)
        return http_error(r, out, 404, "not_found", "conversation not found");
    if (m > 0 && (rest[0] == '\0' || strcmp(rest, "/") == 0))
        return is_method(r, "GET") ? api_conversation_get(r, out, id)
                                   : http_method_not_allowed(r, out, "GET");
    if (m > 0 && strcmp(rest, "/turns") == 0)
        return is_method(r, "GET") ? api_conversation_turns(r, out, id)
                                   : http_method_not_allowed(r, out, "GET");
    if (m > 0 && strcmp(rest, "/messages") == 0) {
        if (is_method(r, "POST"))
            return api_message_post(r, out, id);
        if (is_method(r, "GET"))
            return api_conversation_get(r, out, id);
        return http_method_not_allowed(r, out, "GET, POST");
    }
    /* the back office: tickets, then customers, orders and products */
    if (api_tickets_route(r, out) == HTTP_HANDLED || api_reco_route(r, out) == HTTP_HANDLED ||
        api_campaigns_route(r, out) == HTTP_HANDLED ||
        api_events_route(r, out) == HTTP_HANDLED ||
        api_crm_route(r, out) == HTTP_HANDLED)
        return;
    if (strncmp(url, "/api/", 5) == 0 || strncmp(url, "/webhooks/", 10) == 0)
        return http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
    if (!is_method(r, "GET") && !is_method(r, "HEAD"))
        return http_method_not_allowed(r, out, "GET");
    http_static(r, out);
}

/* ---- MHD glue ---------------------------------------------------------- */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void http__req_free(struct http_req *r)
{
    if (r == NULL)
        return;
    kf_buf_release(&r->body);
    kf_arena_free(r->arena);
    kf_free(r);
}

/* The route class of kefu_http_request_duration_seconds (metrics.h). The
 * Rasa channel's POST is a customer message like the API's. */
static enum kf_route_class http__route_class(const struct http_req *r)
{
    static const char conv[] = "/api/v1/conversations";
    const char *url = r->url;
    size_t n = strlen(url);
    if (strncmp(url, conv, sizeof conv - 1) == 0) {
        int msg = n > 9 && strcmp(url + n - 9, "/messages") == 0 && strcmp(r->method, "POST") == 0;
        return msg ? KF_ROUTE_CONVERSATION_MESSAGE : KF_ROUTE_CONVERSATION_OTHER;
    }
    if (strcmp(url, "/webhooks/rest/webhook") == 0)
        return KF_ROUTE_CONVERSATION_MESSAGE;
    if (strncmp(url, "/api/", 5) == 0)
        return KF_ROUTE_BACKOFFICE;
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
        strcmp(url, "/metrics") == 0 || strncmp(url, "/webhooks/", 10) == 0)
        return KF_ROUTE_OTHER;
    return KF_ROUTE_STATIC;
}

/* The request's duration, status and class into the metrics. */
static void http__observe(const struct http_req *r, unsigned status)
{
    if (r->srv->metrics != NULL)
        kf_metrics_request(r->srv->metrics, http__route_class(r), r->method, status,
                           (double)(now_ns() - r->t0_ns) / 1e9, 0);
}

static enum MHD_Result http__queue(struct http_req *r, struct http_resp *out)
{
    struct MHD_Response *resp;
    http__observe(r, out->status);
    if (out->raw != NULL) {
        enum MHD_Result ok = MHD_queue_response(r->conn, out->status, out->raw);
        MHD_destroy_response(out->raw);
        return ok;
    }
    if (out->fd >= 0)
        resp = MHD_create_response_from_fd(out->len, out->fd);
    else
        resp = MHD_create_response_from_buffer(out->len, (void *)out->body,
                                               MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        if (out->fd >= 0)
            close(out->fd);
        return MHD_NO;
    }
    if (out->ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, out->ctype);
    if (out->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, out->allow);
    if (out->set_cookie != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, out->set_cookie);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            out->cache_control ? out->cache_control : "no-cache");
    enum MHD_Result ok = MHD_queue_response(r->conn, out->status, resp);
    MHD_destroy_response(resp);
    if (kf_log_enabled(r->srv->p.log, KF_LOG_DEBUG))
        KF_DEBUG(r->srv->p.log, "http", "%s %s %u %.3f ms", r->method, r->url, out->status,
                 (double)(now_ns() - r->t0_ns) / 1e6);
    return ok;
}

/* The largest body a path takes: server.max_body, or more for event batches. */
static size_t http__max_body(const struct kf_server *srv, const char *url)
{
    if (strcmp(url, "/api/v1/events") == 0 && srv->p.max_body < API_EVENTS_MAX_BODY)
        return API_EVENTS_MAX_BODY;
    return srv->p.max_body;
}

static enum MHD_Result http__on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct kf_server *srv = cls;
    struct http_req *r = *con_cls;
    if (r == NULL) {
        r = kf_calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        size_t max_body = http__max_body(srv, url);
        r->arena = kf_arena_new(16384, max_body * 8 + (1 << 20));
        if (r->arena == NULL) {
            kf_free(r);
            return MHD_NO;
        }
        kf_buf_init(&r->body, max_body);
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->url = url;
        r->t0_ns = now_ns();
        *con_cls = r;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno != 0 || *end != '\0' || n > max_body) {
                struct http_resp out = {.fd = -1};
                http_error(r, &out, 413, "payload_too_large", "request body larger than %zu bytes",
                           max_body);
                return http__queue(r, &out);
            }
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!r->too_big && kf_buf_append(&r->body, upload, *upload_size) != KF_OK)
            r->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    struct http_resp out = {.fd = -1};
    if (r->too_big)
        http_error(r, &out, 413, "payload_too_large", "request body larger than %zu bytes",
                   r->body.max);
    else
        http__route(r, &out);
    return http__queue(r, &out);
}

static void http__on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    http__req_free(*con_cls);
    *con_cls = NULL;
}

static void http__mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct kf_server *srv = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    KF_WARN(srv->p.log, "mhd", "%s", msg);
}

/* The metrics, labelled with the bot's intents (its intent model's labels). */
static int http__metrics_new(struct kf_server *srv, struct kf_err *err)
{
    const struct kf_nlu *nlu = kf_engine_nlu(srv->p.engine);
    const struct kf_classifier *im = nlu != NULL ? kf_nlu_model(nlu, "intent") : NULL;
    const char *names[KF_METRICS_MAX_INTENTS];
    size_t n = 0;
    for (size_t i = 0; im != NULL && i < kf_classifier_nlabels(im) && n < KF_METRICS_MAX_INTENTS;
         i++)
        names[n++] = kf_classifier_label(im, i);
    struct kf_metrics_params mp = kf_metrics_default_params();
    mp.intents = names;
    mp.nintents = n;
    return kf_metrics_new(mp, &srv->metrics, err);
}

int kf_server_start(struct kf_server_params p, struct kf_server **out, struct kf_err *err)
{
    *out = NULL;
    if (p.engine == NULL)
        return kf_errorf(err, KF_EINVAL, "server: no engine");
    struct kf_server *srv = kf_calloc(1, sizeof *srv);
    if (srv == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    srv->p = p;
    if (srv->p.threads < 1)
        srv->p.threads = 1;
    if (p.web_root != NULL && p.web_root[0] != '\0') {
        if (realpath(p.web_root, srv->web_root) == NULL) {
            kf_errorf(err, KF_ECONFIG, "server.web_root: %s: %s", p.web_root, strerror(errno));
            kf_free(srv);
            return KF_ECONFIG;
        }
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;
    const char *host = p.host ? p.host : "127.0.0.1";
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p.port);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
            kf_free(srv);
            return kf_errorf(err, KF_ECONFIG, "server.host: '%s' is not an IP address", host);
        }
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p.port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
            kf_free(srv);
            return kf_errorf(err, KF_ECONFIG, "server.host: '%s' is not an IP address", host);
        }
    }
    int lrc = http__metrics_new(srv, err); /* GET /metrics, the alert ring */
    if (lrc != KF_OK) {
        kf_free(srv);
        return lrc;
    }
    lrc = http_live_start(srv, err); /* the WebSocket hub (ws.c), before any request */
    if (lrc != KF_OK) {
        kf_metrics_free(srv->metrics);
        kf_free(srv);
        return lrc;
    }
    srv->mhd = MHD_start_daemon(
        flags, (uint16_t)p.port, NULL, NULL, http__on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        http__mhd_log, srv, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->p.threads, MHD_OPTION_NOTIFY_COMPLETED,
        http__on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_END);
    if (srv->mhd == NULL) {
        http_live_stop(srv);
        http_live_free(srv);
        kf_metrics_free(srv->metrics);
        kf_free(srv);
        return kf_errorf(err, KF_EIO, "cannot listen on %s:%d (in use, or not allowed)", host,
                         p.port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : p.port;
    /* campaigns (when configured), alert rules and webhook deliveries */
    struct sched_params sp = {.store = kf_engine_store(p.engine), .log = p.log,
                              .campaigns_path = p.campaigns_path,
                              .interval_s = p.campaigns_interval_s,
                              .max_per_run = p.campaigns_max_per_run,
                              .rebuild_interval_s = p.profiles_rebuild_interval_s,
                              .config = p.config, .metrics = srv->metrics, .srv = srv};
    int rc = sched_start(&sp, &srv->sched, err);
    if (rc != KF_OK) {
        http_live_stop(srv);
        MHD_stop_daemon(srv->mhd);
        http_live_free(srv);
        kf_metrics_free(srv->metrics);
        kf_free(srv);
        return rc;
    }
    *out = srv;
    return KF_OK;
}

void kf_server_free(struct kf_server *srv)
{
    if (srv == NULL)
        return;
    sched_stop(srv->sched); /* first: a run may be writing through the engine's store */
    http_live_stop(srv);    /* closes upgraded sockets: MHD wants them closed before it stops */
    if (srv->mhd != NULL)
        MHD_stop_daemon(srv->mhd);
    http_live_free(srv); /* after MHD: its threads may still publish until then */
    kf_metrics_free(srv->metrics); /* after MHD: its threads count requests until then */
    kf_free(srv);
}

int kf_server_port(const struct kf_server *srv)
{
    return srv->port;
}
