/*
 * http_int.h — what route handlers see (internal to src/server).
 *
 * A request owns one arena; everything a handler allocates for the reply
 * comes from it and is released when libmicrohttpd reports the request
 * complete.
 */
#ifndef KEFU_HTTP_INT_H
#define KEFU_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/buf.h"
#include "kefu/engine.h"
#include "kefu/log.h"
#include "kefu/server.h"

struct sched;
struct kf_metrics;
struct hub;

struct kf_server {
    struct kf_server_params p;
    struct MHD_Daemon *mhd;
    struct sched *sched; /* campaigns (scheduler.h); NULL: none */
    struct kf_metrics *metrics; /* GET /metrics and the alert ring (metrics.h); owned */
    struct hub *hub;     /* WebSocket connections (hub.h, ws.c) */
    char web_root[4096]; /* realpath, "" when none */
    int port;
};

/* Who is asking (auth.h): resolved once per request before routing, from the
 * session cookie, a bearer token (session or API key) or X-Api-Key. */
enum kf_role {
    KF_ROLE_NONE = 0, /* anyone: health, static files, starting a conversation */
    KF_ROLE_CUSTOMER, /* a customer's session (returned when a conversation starts) */
    KF_ROLE_CHANNEL,  /* an API key of a channel (speaks for any customer) */
    KF_ROLE_AGENT,
    KF_ROLE_SUPERVISOR,
    KF_ROLE_ADMIN,
};

struct http_principal {
    enum kf_role role;    /* KF_ROLE_NONE: nobody signed in */
    long long user_id;    /* staff sessions; 0 otherwise */
    long long customer_id; /* customer sessions; 0 otherwise */
    long long key_id;     /* API keys; 0 otherwise */
    char name[72];        /* username, key name, or "customer:<id>": the actor of changes */
    int bad_credentials;  /* credentials were sent but are unknown or expired */
};

struct http_req {
    struct kf_server *srv;
    struct http_principal who;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    struct kf_arena *arena;
    struct kf_buf body;
    int too_big;
    long long t0_ns;
};

struct http_resp {
    unsigned status;
    const char *ctype;
    const char *body; /* arena or static */
    size_t len;
    int fd; /* >= 0: serve this file (len bytes) instead of body */
    const char *allow; /* for 405 */
    const char *cache_control; /* NULL: "no-cache" */
    const char *set_cookie;    /* a Set-Cookie header, or NULL */
    struct MHD_Response *raw;  /* set: queue this response as is (WebSocket upgrade) */
};

/* Replies */
void http_json(struct http_req *r, struct http_resp *out, unsigned status, json_t *doc);
void http_error(struct http_req *r, struct http_resp *out, unsigned status, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Map an engine or connector error code to a status and error reply:
 * ENOTFOUND 404, EINVAL/EUTF8 400, ECONFLICT 409, ETOOBIG 413,
 * EUNSUPPORTED 501, EBUSY/EUNAVAILABLE 503, anything else 500 (logged). */
void http_engine_error(struct http_req *r, struct http_resp *out, int rc, const struct kf_err *err);
/* 405 with an Allow header listing the methods the path takes. */
void http_method_not_allowed(struct http_req *r, struct http_resp *out, const char *allow);

/* Parse the body as a JSON object (or an empty body → empty object when
 * allow_empty); on failure fills `out` with a 4xx and returns NULL. The
 * caller owns the returned reference. */
json_t *http_body_object(struct http_req *r, struct http_resp *out, int allow_empty);

/* Route tables: a path family's handler either answers (HTTP_HANDLED) or
 * says the path is not its own (HTTP_DECLINED) so the router tries the
 * next one. */
enum { HTTP_DECLINED = 0, HTTP_HANDLED = 1 };
int api_tickets_route(struct http_req *r, struct http_resp *out); /* /api/v1/tickets... */
int api_crm_route(struct http_req *r, struct http_resp *out); /* customers, orders, products */
/* customers/{id}/opt-out and reports/campaigns (api_campaigns.c) */
int api_campaigns_route(struct http_req *r, struct http_resp *out);
/* customers' recommendations, clicks, the report (api_reco.c) */
int api_reco_route(struct http_req *r, struct http_resp *out);
/* events in; customers' events and profiles, segments, churn (api_events.c) */
int api_events_route(struct http_req *r, struct http_resp *out);
/* POST /api/v1/events takes bodies up to this size (a batch of 1000 events)
 * even when server.max_body is smaller. */
#define API_EVENTS_MAX_BODY (1024 * 1024)

/* ---- access (access.c) -------------------------------------------------
 * The role a path needs comes from one table (access.c); the router checks
 * it before any handler runs: 401 with no or bad credentials, 403 with too
 * small a role. Handlers that depend on *which* customer asks (a customer's
 * own orders) check that themselves with api_require_customer. */
/* Fill r->who from the request's credentials (auth.h), once. */
void http_authenticate(struct http_req *r);
const char *kf_role_name(enum kf_role role);
int kf_role_parse(const char *name, enum kf_role *out); /* 0, or -1 when unknown */
/* 0 when r->who has at least `min`; else -1 after a 401/403 reply. */
int api_require(struct http_req *r, struct http_resp *out, enum kf_role min);
/* 0 when r->who is staff or a channel (which speaks for any customer) or
 * the customer `customer_id` itself; else -1 after a 401/403 reply. */
int api_require_customer(struct http_req *r, struct http_resp *out, long long customer_id);
/* The table lookup the router uses: the smallest role for method + url. */
enum kf_role access_required(const char *method, const char *url);

/* Route tables of issue 7 (each answers or declines, like the ones above). */
int api_auth_route(struct http_req *r, struct http_resp *out);    /* auth, users, keys (api_auth.c) */
int api_console_route(struct http_req *r, struct http_resp *out); /* queue, agent actions (api_console.c) */
int api_learn_route(struct http_req *r, struct http_resp *out);   /* CSAT, review queue (api_learn.c) */
int api_experiments_route(struct http_req *r, struct http_resp *out); /* (api_experiments.c) */
int api_ops_route(struct http_req *r, struct http_resp *out); /* /metrics, KPIs, alerts, reports (api_ops.c) */
int api_ws_route(struct http_req *r, struct http_resp *out);  /* WebSocket upgrade (ws.c) */

/* ---- live push (ws.c) ----------------------------------------------------
 * Send a JSON event to every WebSocket subscribed to `topic`: "conv:<id>"
 * (the conversation's customer widget and agents watching it) or "agents"
 * (every signed-in agent console: queue changes, alerts). Never blocks on
 * a slow client (its queue is bounded; a client that falls behind is
 * dropped and reconnects or polls). The event is {"type": ..., ...}; see
 * docs/api.md "Live events". json is borrowed. */
void http_publish(struct kf_server *srv, const char *topic, json_t *event);
/* A conversation's event to both "conv:<id>" and "agents" (internal notes,
 * role system + kind note, go to "agents" only). json is borrowed. */
void http_publish_conv(struct kf_server *srv, const char *conv_id, json_t *event);
/* The WebSocket hub of a server: started with it, stopped before MHD is
 * (ws.c; server.c calls them). */
int http_live_start(struct kf_server *srv, struct kf_err *err);
void http_live_stop(struct kf_server *srv);
void http_live_free(struct kf_server *srv);

/* Routes */
void api_conversation_create(struct http_req *r, struct http_resp *out);
void api_conversation_get(struct http_req *r, struct http_resp *out, const char *id);
void api_message_post(struct http_req *r, struct http_resp *out, const char *id);
void api_conversation_turns(struct http_req *r, struct http_resp *out, const char *id);
void api_rasa_webhook(struct http_req *r, struct http_resp *out);
void api_nlu_parse(struct http_req *r, struct http_resp *out);
void http_static(struct http_req *r, struct http_resp *out);

/* After a turn of another channel (the Rasa REST webhook) committed: count
 * it (metrics.h) and push its messages to the live sockets (ws.c), as
 * POST .../messages does for its own turns. */
void api_turn_done(struct http_req *r, const char *id, const struct kf_turn *turn);

/* A stored message as the API shows it. */
json_t *api_message_json(const struct kf_message *m);

/* ---- api_common.c: helpers of the back-office routes -------------------
 * Each returns 0 on success or -1 after it has filled `out` with a 4xx/5xx
 * reply naming the field, so handlers read `if (api_x(...) < 0) goto done;`. */

/* Path segment after `prefix`: 0 when url does not start with prefix, else
 * 1 with the segment (up to the next '/', at most segmax-1 bytes, else
 * truncated to "" ) in seg and *rest pointing after it. */
int api_path_segment(const char *url, const char *prefix, char *seg, size_t segmax,
                     const char **rest);
/* "123" → 123 (1..10^18 - 1); -1 when not a plain positive integer. */
long long api_parse_id(const char *s);
/* Nothing, "" or "/" left after the id. */
int api_path_end(const char *rest);

/* Optional body fields; a JSON null counts as absent (*val NULL / *set 0).
 * Strings must be at most max bytes, and at least 1 when nonempty is set. */
int api_body_string(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                    size_t max, int nonempty, const char **val);
int api_body_id(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                long long *val, int *set);
int api_body_bool(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                  int *val, int *set);
/* A string that must be one of the NULL-terminated list `allowed` (NULL val
 * allowed when absent). */
int api_body_enum(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                  const char *const *allowed, const char **val);
/* 400 naming the first key of obj not in the NULL-terminated `known`. */
int api_body_known(struct http_req *r, struct http_resp *out, json_t *obj,
                   const char *const *known);

/* Query parameters (?name=value); absent → default / NULL / *set 0. */
int api_query_string(struct http_req *r, struct http_resp *out, const char *name, size_t max,
                     const char **val);
int api_query_long(struct http_req *r, struct http_resp *out, const char *name, long long min,
                   long long max, long long def, long long *val, int *set);
int api_query_number(struct http_req *r, struct http_resp *out, const char *name, double *val,
                     int *set);
int api_query_bool(struct http_req *r, struct http_resp *out, const char *name, int *val,
                   int *set);
int api_query_enum(struct http_req *r, struct http_resp *out, const char *name,
                   const char *const *allowed, const char **val);

/* ?name= as ms since the epoch or ISO 8601 (2026-11-25T12:00:00Z): *ms is
 * left as it is when absent; -1 after a 400 naming the parameter. */
int api_query_time(struct http_req *r, struct http_resp *out, const char *name, long long *ms);
/* The integer ms under `key` of doc → an ISO 8601 string (0 or absent: as it is). */
void api_iso_key(json_t *doc, const char *key);

/* Who makes a change: the signed-in user; for an API key the X-Kefu-Actor
 * header (1..64 bytes of text: the person the integration acts for) or the
 * key's name. NULL after a 400. */
const char *api_actor(struct http_req *r, struct http_resp *out);

/* Integer times (ms) under the keys "at", "eta" and "*_at" → ISO 8601
 * ("2026-11-25T12:00:00.000Z"), in place, depth ≤ 8 (pass depth 0). */
void api_iso_times(json_t *v, int depth);

/* Call `op` on the engine's connector for `backend` (connector.h). args is
 * borrowed. On success *res is a new reference with its integer times
 * ("at", "eta", "*_at": ms since the epoch) rewritten as ISO 8601 strings;
 * on failure -1 after the error reply (http_engine_error), with not_found
 * becoming `missing_status` (400 when a referenced record is missing, 404
 * when the path's own record is). */
int api_call(struct http_req *r, struct http_resp *out, const char *backend, const char *op,
             json_t *args, unsigned missing_status, json_t **res);

/* Ticket values (repo.h), NULL-terminated. */
extern const char *const api_ticket_statuses[];
extern const char *const api_ticket_priorities[];

#endif
