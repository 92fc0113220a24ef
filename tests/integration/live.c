/*
 * integration/live.c — live events over WebSocket and the polling fallback,
 * against the real `kefu serve` (docs/api.md "Live events").
 *
 * The WebSocket client here writes the RFC 6455 handshake itself (it is a
 * few header lines) and leaves frames to wslay's client API, the library
 * the server uses, so neither side parses frames by hand. Covered: a
 * customer's socket gets its conversation's messages and handoff status;
 * an agent's socket gets every conversation's events; typing both ways
 * (frames and HTTP); bad upgrades (400), unknown conversations (404), agents
 * without credentials (401) or from another origin (403); oversized and
 * binary frames are closed (1009, 1003); ?after= polling; internal notes
 * never reach a customer; a server stop closes open sockets with 1001.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "harness.h"

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
    struct wsc *left_open; /* for the shutdown check in teardown */
};

static struct env E;

/* ---- a small WebSocket client --------------------------------------------- */

struct wsc {
    int fd;
    wslay_event_context_ptr ws;
    char pre[4096]; /* bytes read past the 101 headers */
    size_t pre_len, pre_off;
    json_t *inbox; /* text messages received, parsed */
    int closed;    /* a close frame came */
    uint16_t close_code;
};

static ssize_t wsc_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                        void *user)
{
    (void)flags;
    struct wsc *c = user;
    if (c->pre_off < c->pre_len) {
        size_t n = c->pre_len - c->pre_off < len ? c->pre_len - c->pre_off : len;
        memcpy(buf, c->pre + c->pre_off, n);
        c->pre_off += n;
        return (ssize_t)n;
    }
    ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
    if (n > 0)
        return n;
    wslay_event_set_error(ctx, n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static ssize_t wsc_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                        void *user)
{
    (void)flags;
    struct wsc *c = user;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return n;
}

static int wsc_mask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx;
    (void)user;
    randombytes_buf(buf, len);
    return 0;
}

static void wsc_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    (void)ctx;
    struct wsc *c = user;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        c->closed = 1;
        c->close_code = arg->status_code;
    } else if (arg->opcode == WSLAY_TEXT_FRAME) {
        json_t *doc = json_loadb((const char *)arg->msg, arg->msg_length, 0, NULL);
        assert_non_null(doc);
        json_array_append_new(c->inbox, doc);
    }
}

static const struct wslay_event_callbacks wsc_callbacks = {.recv_callback = wsc_recv,
                                                           .send_callback = wsc_send,
                                                           .genmask_callback = wsc_mask,
                                                           .on_msg_recv_callback = wsc_on_msg};

static int tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)E.kefu.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Read until the end of the response headers (5 s); returns the header
 * length, the rest stays in buf[hdr..len). */
static size_t read_headers(int fd, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    time_t deadline = time(NULL) + 5;
    while (time(NULL) < deadline && *len < cap - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = recv(fd, buf + *len, cap - 1 - *len, 0);
        if (n <= 0)
            break;
        *len += (size_t)n;
        buf[*len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL)
            return (size_t)(end - buf) + 4;
    }
    fail_msg("no complete HTTP response headers");
    return 0;
}

/* An upgrade request to path with extra header lines ("Name: value\r\n"
 * each; NULL: a valid key and version). 101 → a connected client in *out
 * (Sec-WebSocket-Accept checked); anything else → the status, with the
 * body (JSON) in *body when body is not NULL. */
static int ws_open_ex(const char *path, const char *headers, struct wsc **out, json_t **body)
{
    /* the key is RFC 6455's example, so the accept value is its too */
    int fd = tcp_connect();
    char req[2048];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", path,
                     E.kefu.port,
                     headers ? headers
                             : "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    char buf[8192];
    size_t len;
    size_t hdr = read_headers(fd, buf, sizeof buf, &len);
    int status = 0;
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &status), 1);
    if (status != 101) {
        if (body != NULL) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            assert_non_null(cl);
            size_t want = (size_t)strtoul(cl + 17, NULL, 10);
            while (len - hdr < want) {
                ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
                assert_true(r > 0);
                len += (size_t)r;
            }
            *body = json_loadb(buf + hdr, want, 0, NULL);
        }
        close(fd);
        return status;
    }
    /* the accept value RFC 6455 gives for its example key */
    assert_non_null(strcasestr(buf, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strcasestr(buf, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    struct wsc *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->inbox = json_array();
    memcpy(c->pre, buf + hdr, len - hdr);
    c->pre_len = len - hdr;
    assert_int_equal(wslay_event_context_client_init(&c->ws, &wsc_callbacks, c), 0);
    *out = c;
    return 101;
}

static struct wsc *ws_open(const char *path)
{
    struct wsc *c = NULL;
    assert_int_equal(ws_open_ex(path, NULL, &c, NULL), 101);
    return c;
}

static void ws_close(struct wsc *c)
{
    if (c == NULL)
        return;
    wslay_event_context_free(c->ws);
    close(c->fd);
    json_decref(c->inbox);
    free(c);
}

static void ws_send_raw(struct wsc *c, uint8_t opcode, const char *data, size_t len)
{
    struct wslay_event_msg m = {.opcode = opcode, .msg = (const uint8_t *)data, .msg_length = len};
    assert_int_equal(wslay_event_queue_msg(c->ws, &m), 0);
    while (wslay_event_want_write(c->ws))
        assert_int_equal(wslay_event_send(c->ws), 0);
}

static void ws_send(struct wsc *c, const char *text)
{
    ws_send_raw(c, WSLAY_TEXT_FRAME, text, strlen(text));
}

/* The next message (a new reference), or NULL after timeout_ms or a close. */
static json_t *ws_next(struct wsc *c, int timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (json_array_size(c->inbox) > 0) {
            json_t *m = json_incref(json_array_get(c->inbox, 0));
            json_array_remove(c->inbox, 0);
            return m;
        }
        if (c->closed)
            return NULL;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return NULL;
        struct pollfd p = {c->fd, POLLIN, 0};
        if (c->pre_off == c->pre_len && poll(&p, 1, (int)left) <= 0)
            continue;
        if (wslay_event_recv(c->ws) != 0)
            c->closed = 1; /* EOF */
        while (wslay_event_want_write(c->ws) && wslay_event_send(c->ws) == 0) {
        }
    }
}

/* Skip messages until one of `type` (a new reference), or fail. */
static json_t *ws_expect(struct wsc *c, const char *type)
{
    for (;;) {
        json_t *m = ws_next(c, 10000);
        if (m == NULL)
            fail_msg("no \"%s\" event within 10 s", type);
        if (strcmp(json_string_value(json_object_get(m, "type")), type) == 0)
            return m;
        json_decref(m);
    }
}

/* Nothing of `type` arrives within ms. */
static void ws_expect_none(struct wsc *c, const char *type, int ms)
{
    json_t *m;
    while ((m = ws_next(c, ms)) != NULL) {
        const char *got = json_string_value(json_object_get(m, "type"));
        if (strcmp(got, type) == 0)
            fail_msg("unexpected \"%s\" event", type);
        json_decref(m);
    }
}

/* ---- HTTP helpers ----------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    return th_start(&E.kefu, E.db, NULL);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (E.left_open != NULL) { /* the stop said goodbye to it: 1001 going away */
        json_t *m;
        while ((m = ws_next(E.left_open, 5000)) != NULL)
            json_decref(m);
        if (!E.left_open->closed || E.left_open->close_code != 1001) {
            fprintf(stderr, "live: an open socket was not closed with 1001 at stop (%d, %u)\n",
                    E.left_open->closed, E.left_open->close_code);
            ok = 0;
        }
        ws_close(E.left_open);
    }
    th_rmdir(E.dir);
    return ok ? 0 : -1;
}

/* A new conversation (as a customer: no credentials); its id, malloc'd. */
static char *start_conversation(const char *lang)
{
    char body[128];
    snprintf(body, sizeof body, "{\"lang\":\"%s\",\"channel\":\"web\"}", lang);
    struct th_resp r;
    const char *none[] = {"Authorization:", NULL};
    assert_int_equal(
        th_http_ex(&E.kefu, "POST", "/api/v1/conversations", body, strlen(body), NULL, none, &r),
        0);
    assert_int_equal(r.status, 201);
    json_t *c = json_loadb(r.body, r.len, 0, NULL);
    char *id = strdup(json_string_value(json_object_get(c, "id")));
    json_decref(c);
    th_resp_free(&r);
    return id;
}

/* A request as a customer (no credentials) or with the admin key. */
static json_t *call(int staff, const char *method, const char *path, const char *body, long *status)
{
    struct th_resp r;
    const char *none[] = {"Authorization:", NULL};
    assert_int_equal(th_http_ex(&E.kefu, method, path, body, body ? strlen(body) : 0, NULL,
                                staff ? NULL : none, &r),
                     0);
    *status = r.status;
    json_t *doc = r.len > 0 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    th_resp_free(&r);
    return doc;
}

static json_t *say(const char *id, const char *text)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    json_t *b = json_pack("{s:s}", "text", text);
    char *s = json_dumps(b, JSON_COMPACT);
    snprintf(body, sizeof body, "%s", s);
    free(s);
    json_decref(b);
    long status;
    json_t *r = call(0, "POST", path, body, &status);
    assert_int_equal(status, 200);
    return r;
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b != NULL)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static json_int_t int_at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b != NULL)
        v = json_object_get(v, b);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* ---- tests ------------------------------------------------------------------- */

/* A customer's socket: hello, then the customer message and the bot's reply
 * of a turn posted over HTTP, with the ids the POST reply has. */
static void test_customer_socket_gets_turn(void **state)
{
    (void)state;
    char *id = start_conversation("zh");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    struct wsc *c = ws_open(path);
    json_t *hello = ws_expect(c, "hello");
    assert_string_equal(str_at(hello, "conversation_id", NULL), id);
    assert_string_equal(str_at(hello, "status", NULL), "open");
    assert_string_equal(str_at(hello, "role", NULL), "customer");
    json_decref(hello);

    json_t *r = say(id, "退货运费谁出?");
    json_t *m1 = ws_expect(c, "message");
    assert_string_equal(str_at(m1, "conversation_id", NULL), id);
    assert_string_equal(str_at(m1, "message", "role"), "customer");
    assert_string_equal(str_at(m1, "message", "text"), "退货运费谁出?");
    assert_int_equal(int_at(m1, "message", "id"), int_at(r, "message", "id"));
    json_t *m2 = ws_expect(c, "message");
    assert_string_equal(str_at(m2, "message", "role"), "bot");
    json_t *reply = json_array_get(json_object_get(r, "replies"), 0);
    assert_int_equal(int_at(m2, "message", "id"), json_integer_value(json_object_get(reply, "id")));
    assert_string_equal(str_at(m2, "message", "text"),
                        json_string_value(json_object_get(reply, "text")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(m2, "message"), "meta"), "kind")),
                        "faq");

    /* another conversation's turn does not reach this socket */
    char *other = start_conversation("en");
    json_decref(say(other, "hello"));
    ws_expect_none(c, "message", 500);
    json_decref(m1);
    json_decref(m2);
    json_decref(r);
    ws_close(c);
    free(other);
    free(id);
}

/* Asking for a human: the reply, then a status event "handoff". */
static void test_handoff_status_pushed(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    struct wsc *c = ws_open(path);
    json_decref(ws_expect(c, "hello"));
    json_decref(say(id, "Talk to a human"));
    json_t *s = ws_expect(c, "status");
    assert_string_equal(str_at(s, "status", NULL), "handoff");
    assert_string_equal(str_at(s, "conversation_id", NULL), id);
    assert_string_equal(str_at(s, "needs_human", NULL), "customer_request");
    assert_true(json_is_null(json_object_get(s, "assignee")));
    json_decref(s);
    ws_close(c);
    /* a new socket's hello says where the conversation is */
    c = ws_open(path);
    json_t *hello = ws_expect(c, "hello");
    assert_string_equal(str_at(hello, "status", NULL), "handoff");
    json_decref(hello);
    ws_close(c);
    free(id);
}

/* An agent's socket sees every conversation; typing goes both ways. */
static void test_agents_socket_and_typing(void **state)
{
    (void)state;
    char auth[512];
    snprintf(
        auth, sizeof auth,
        "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer %s\r\n",
        E.kefu.auth);
    struct wsc *agent = NULL;
    assert_int_equal(ws_open_ex("/api/v1/agents/ws", auth, &agent, NULL), 101);
    json_t *hello = ws_expect(agent, "hello");
    assert_string_equal(str_at(hello, "role", NULL), "agent");
    json_decref(hello);

    char *id = start_conversation("zh");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    struct wsc *cust = ws_open(path);
    json_decref(ws_expect(cust, "hello"));

    json_decref(say(id, "你好"));
    json_t *m = ws_expect(agent, "message");
    assert_string_equal(str_at(m, "conversation_id", NULL), id);
    assert_string_equal(str_at(m, "message", "role"), "customer");
    json_decref(m);

    /* customer → agents, over the socket */
    ws_send(cust, "{\"type\":\"typing\",\"on\":true}");
    json_t *t = ws_expect(agent, "typing");
    assert_string_equal(str_at(t, "conversation_id", NULL), id);
    assert_string_equal(str_at(t, "role", NULL), "customer");
    assert_true(json_is_true(json_object_get(t, "on")));
    json_decref(t);

    /* agent → the conversation's customer */
    char frame[160];
    snprintf(frame, sizeof frame, "{\"type\":\"typing\",\"conversation_id\":\"%s\",\"on\":true}",
             id);
    ws_send(agent, frame);
    t = ws_expect(cust, "typing");
    assert_string_equal(str_at(t, "role", NULL), "agent");
    assert_true(json_is_true(json_object_get(t, "on")));
    json_decref(t);

    /* junk frames are ignored, the socket stays */
    ws_send(cust, "not json");
    ws_send(cust, "{\"type\":\"dance\"}");

    /* typing over HTTP (polling widgets): 204, and the agents hear it */
    char tpath[128];
    snprintf(tpath, sizeof tpath, "/api/v1/conversations/%s/typing", id);
    long status;
    json_t *doc = call(0, "POST", tpath, "{\"on\":false}", &status);
    assert_int_equal(status, 204);
    json_decref(doc);
    t = ws_expect(agent, "typing");
    assert_string_equal(str_at(t, "role", NULL), "customer");
    assert_true(json_is_false(json_object_get(t, "on")));
    json_decref(t);
    json_decref(call(0, "POST", tpath, "{\"on\":\"yes\"}", &status));
    assert_int_equal(status, 400);
    json_decref(call(0, "POST", "/api/v1/conversations/00000000000000000000000000000000/typing",
                     "{\"on\":true}", &status));
    assert_int_equal(status, 404);

    /* a conversation entering the queue: a queue event for the agents */
    char *other = start_conversation("en");
    json_decref(say(other, "Talk to a human"));
    json_t *q = ws_expect(agent, "queue");
    assert_string_equal(str_at(q, "conversation_id", NULL), other);
    assert_string_equal(str_at(q, "reason", NULL), "customer_request");
    assert_true(json_is_true(json_object_get(q, "queued")));
    json_decref(q);
    free(other);

    ws_close(cust);
    ws_close(agent);
    free(id);
}

static void expect_error(const char *path, const char *headers, int want)
{
    struct wsc *c = NULL;
    json_t *body = NULL;
    int st = ws_open_ex(path, headers, &c, &body);
    if (st != want)
        fail_msg("%s: status %d, want %d", path, st, want);
    assert_non_null(body);
    assert_non_null(json_object_get(body, "error"));
    json_decref(body);
}

static void test_bad_upgrades(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    expect_error(path, "", 400); /* a plain GET */
    expect_error(path,
                 "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                 400); /* no Connection */
    expect_error(path,
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                 400);
    expect_error(path,
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: c2hvcnQ=\r\n",
                 400); /* not 16 bytes */
    expect_error("/api/v1/conversations/0123456789abcdef0123456789abcdef/ws", NULL, 404);
    expect_error("/api/v1/conversations/nope/ws", NULL, 404);
    expect_error("/api/v1/agents/ws", NULL, 401); /* no credentials */
    char other[512];
    snprintf(other, sizeof other,
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer %s\r\n"
             "Origin: http://evil.example\r\n",
             E.kefu.auth);
    expect_error("/api/v1/agents/ws", other, 403);
    long status;
    json_decref(call(0, "POST", path, "{}", &status));
    assert_int_equal(status, 405);
    free(id);
}

/* Text frames over 4 KiB close the socket with 1009, binary ones with 1003. */
static void test_frame_limits(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    struct wsc *c = ws_open(path);
    json_decref(ws_expect(c, "hello"));
    char *big = malloc(5000);
    memset(big, ' ', 5000);
    ws_send_raw(c, WSLAY_TEXT_FRAME, big, 5000);
    free(big);
    assert_null(ws_next(c, 5000));
    assert_true(c->closed);
    assert_int_equal(c->close_code, 1009);
    ws_close(c);

    c = ws_open(path);
    json_decref(ws_expect(c, "hello"));
    ws_send_raw(c, WSLAY_BINARY_FRAME, "\x01\x02", 2);
    assert_null(ws_next(c, 5000));
    assert_true(c->closed);
    assert_int_equal(c->close_code, 1003);
    ws_close(c);
    free(id);
}

/* ?after=MSGID: only newer messages, oldest first, with the status. */
static void test_polling_after(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    json_t *r1 = say(id, "hello");
    json_int_t first = int_at(r1, "message", "id");
    json_t *r2 = say(id, "Talk to a human");
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages?after=%lld", id,
             (long long)first);
    long status;
    json_t *doc = call(0, "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(str_at(doc, "status", NULL), "handoff");
    json_t *msgs = json_object_get(doc, "messages");
    assert_true(json_array_size(msgs) >= 3); /* the bot's reply to hello, then turn 2 */
    json_int_t prev = first;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        assert_true(int_at(m, "id", NULL) > prev);
        prev = int_at(m, "id", NULL);
    }
    assert_int_equal(prev, json_integer_value(json_object_get(
                               json_array_get(json_object_get(r2, "replies"), 0), "id")));
    json_decref(doc);

    /* nothing newer: an empty list; limit pages with next_after */
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages?after=%lld", id,
             (long long)prev);
    doc = call(0, "GET", path, NULL, &status);
    assert_int_equal(json_array_size(json_object_get(doc, "messages")), 0);
    json_decref(doc);
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages?after=0&limit=1", id);
    doc = call(0, "GET", path, NULL, &status);
    assert_int_equal(json_array_size(json_object_get(doc, "messages")), 1);
    assert_true(int_at(doc, "next_after", NULL) > 0);
    json_decref(doc);
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages?after=1&before=9", id);
    json_decref(call(0, "GET", path, NULL, &status));
    assert_int_equal(status, 400);
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages?after=x", id);
    json_decref(call(0, "GET", path, NULL, &status));
    assert_int_equal(status, 400);
    json_decref(r1);
    json_decref(r2);
    free(id);
}

static int has_note(json_t *doc)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "messages"), i, m)
    {
        if (strcmp(str_at(m, "role", NULL), "system") == 0 &&
            strcmp(str_at(m, "meta", "kind"), "note") == 0)
            return 1;
    }
    return 0;
}

/* Internal notes (role system, kind note) are staff only. */
static void test_notes_hidden_from_customers(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    json_decref(say(id, "hello"));
    sqlite3 *db;
    assert_int_equal(sqlite3_open(E.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO messages (conversation_id, role, text, lang,"
                                        " kind, created_at) VALUES (?1, 'system', 'VIP, be kind',"
                                        " 'en', 'note', 1)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);

    const char *paths[] = {"", "/messages", "/messages?after=0"};
    for (size_t i = 0; i < 3; i++) {
        char path[160];
        snprintf(path, sizeof path, "/api/v1/conversations/%s%s", id, paths[i]);
        long status;
        json_t *doc = call(0, "GET", path, NULL, &status);
        assert_int_equal(status, 200);
        assert_false(has_note(doc));
        json_decref(doc);
        doc = call(1, "GET", path, NULL, &status);
        assert_int_equal(status, 200);
        assert_true(has_note(doc));
        json_decref(doc);
    }
    free(id);
}

/* Last: a socket left open when the server stops (teardown checks 1001). */
static void test_socket_open_at_stop(void **state)
{
    (void)state;
    char *id = start_conversation("en");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", id);
    E.left_open = ws_open(path);
    json_decref(ws_expect(E.left_open, "hello"));
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_socket_gets_turn),
        cmocka_unit_test(test_handoff_status_pushed),
        cmocka_unit_test(test_agents_socket_and_typing),
        cmocka_unit_test(test_bad_upgrades),
        cmocka_unit_test(test_frame_limits),
        cmocka_unit_test(test_polling_after),
        cmocka_unit_test(test_notes_hidden_from_customers),
        cmocka_unit_test(test_socket_open_at_stop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
