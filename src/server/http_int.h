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

struct kf_server {
    struct kf_server_params p;
    struct MHD_Daemon *mhd;
    char web_root[4096]; /* realpath, "" when none */
    int port;
};

struct http_req {
    struct kf_server *srv;
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
};

/* Replies */
void http_json(struct http_req *r, struct http_resp *out, unsigned status, json_t *doc);
void http_error(struct http_req *r, struct http_resp *out, unsigned status, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Map an engine error code to a status and error reply. */
void http_engine_error(struct http_req *r, struct http_resp *out, int rc, const struct kf_err *err);

/* Parse the body as a JSON object (or an empty body → empty object when
 * allow_empty); on failure fills `out` with a 4xx and returns NULL. The
 * caller owns the returned reference. */
json_t *http_body_object(struct http_req *r, struct http_resp *out, int allow_empty);

/* Routes */
void api_conversation_create(struct http_req *r, struct http_resp *out);
void api_conversation_get(struct http_req *r, struct http_resp *out, const char *id);
void api_message_post(struct http_req *r, struct http_resp *out, const char *id);
void api_rasa_webhook(struct http_req *r, struct http_resp *out);
void api_nlu_parse(struct http_req *r, struct http_resp *out);
void http_static(struct http_req *r, struct http_resp *out);

/* A stored message as the API shows it. */
json_t *api_message_json(const struct kf_message *m);

#endif
