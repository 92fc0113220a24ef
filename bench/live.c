/*
 * live.c — WebSocket push latency and fan-out against a running `kefu serve`
 * (bench/live.sh; issue 7, docs/benchmarks.md "Live push, sign-in and auth").
 *
 *   live --port P [--token T] [--customers N] [--agents M] [--turns K]
 *        [--pid SERVER_PID] [--hold SECONDS]
 *
 * Opens N new conversations (POST /api/v1/conversations, no credentials),
 * one customer socket on each (GET /api/v1/conversations/{id}/ws) and M
 * agent sockets (GET /api/v1/agents/ws, "Authorization: Bearer T"), and
 * waits for every socket's hello. Then, one turn at a time, K times: post a
 * FAQ question to the next conversation (round robin) and time, from the
 * moment the request is written, (a) the HTTP reply, (b) the bot reply's
 * `message` event on that conversation's customer socket and (c) on each
 * agent socket. Prints p50/p95/p99/max of each; a turn whose event does not
 * arrive within 5 s counts as missed. With --pid, the server's RSS before
 * and after the sockets opened.
 *
 * --hold S: open the sockets, print "ready", then only read what arrives
 * for S seconds (agents get every conversation's events; the customer
 * sockets stay idle) and print what came and how many sockets closed —
 * bench/live.sh runs wrk meanwhile, to see whether idle sockets and agent
 * fan-out slow turns.
 *
 * The client writes the RFC 6455 upgrade itself (a few header lines) and
 * leaves frames to wslay, the library the server uses; HTTP requests are
 * one connection each (Connection: close), opened before the clock starts.
 * Everything runs on one thread with poll(2), so the client's own cost is
 * part of what is measured: it shares the machine's cores with the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define TURN_TIMEOUT_MS 5000
#define FAQ_TEXT "{\"text\":\"how long does delivery take\",\"lang\":\"en\"}"

struct peer {
    int fd;
    wslay_event_context_ptr ws;
    char pre[2048]; /* bytes read past the 101 headers */
    size_t pre_len, pre_off;
    int conv; /* its conversation (index), -1: an agent */
    int hello, closed;
    long events;
    double got; /* ms after the turn's start its bot reply came, < 0: not yet */
};

struct bench {
    int port;
    const char *token;
    struct peer *peers;
    int npeers;
    char (*convs)[33];
    int nconvs;
    int count_only;        /* holding: count frames, parse none */
    const char *turn_conv; /* the conversation of the turn in flight */
    double t0;             /* its start (ms, monotonic) */
    long bad_frames;
};

static struct bench B;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "live: %s\n", what);
    _Exit(1);
}

static int tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket failed (fd limit? ulimit -n)");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)B.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect to the server failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- HTTP: one request per connection ------------------------------------ */

struct http {
    int fd;
    char buf[65536];
    size_t len;
    int status; /* 0 until the whole reply is in */
    size_t body_off;
};

static void http_send(struct http *h, const char *method, const char *path, const char *body)
{
    char req[1024];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, B.port, blen, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req || send_all(h->fd, req, (size_t)n) != 0)
        die("sending an HTTP request failed");
}

/* Read what is there; 1 when the reply is complete (status set), 0 not yet. */
static int http_read(struct http *h)
{
    int eof = 0;
    for (;;) {
        if (h->len >= sizeof h->buf - 1)
            die("HTTP reply too large");
        ssize_t n = recv(h->fd, h->buf + h->len, sizeof h->buf - 1 - h->len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            eof = 1;
            break;
        }
        h->len += (size_t)n;
    }
    h->buf[h->len] = '\0';
    const char *end = strstr(h->buf, "\r\n\r\n");
    if (end == NULL && eof)
        die("the server closed an HTTP connection before its reply was complete");
    if (end == NULL)
        return 0;
    const char *cl = strcasestr(h->buf, "\r\nContent-Length:");
    if (cl == NULL || cl > end)
        die("HTTP reply without Content-Length");
    size_t want = (size_t)strtoul(cl + 17, NULL, 10);
    h->body_off = (size_t)(end + 4 - h->buf);
    if (h->len - h->body_off < want && eof)
        die("the server closed an HTTP connection before its reply was complete");
    if (h->len - h->body_off < want)
        return 0;
    if (sscanf(h->buf, "HTTP/1.1 %d", &h->status) != 1)
        die("not an HTTP reply");
    return 1;
}

/* A blocking request; the reply in *h (caller closes h->fd). */
static void http_do(struct http *h, const char *method, const char *path, const char *body)
{
    h->fd = tcp_connect();
    h->len = 0;
    h->status = 0;
    http_send(h, method, path, body);
    while (!http_read(h)) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            die("no HTTP reply within 10 s");
    }
}

/* ---- WebSocket clients --------------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct peer *c = user;
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

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    struct peer *c = user;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        wslay_event_set_error(ctx, errno == EAGAIN ? WSLAY_ERR_WOULDBLOCK
                                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return n;
}

static int ws_mask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx;
    (void)user;
    randombytes_buf(buf, len);
    return 0;
}

/* A text frame: the hello, or an event; a bot message of the turn in flight
 * on its conversation stamps the peer's arrival time. */
static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user)
{
    (void)ctx;
    struct peer *c = user;
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        c->closed = 1;
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return;
    if (B.count_only) {
        c->events++;
        return;
    }
    double t = now_ms();
    json_t *doc = json_loadb((const char *)arg->msg, arg->msg_length, 0, NULL);
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (type == NULL) {
        B.bad_frames++;
    } else if (strcmp(type, "hello") == 0) {
        c->hello = 1;
    } else {
        c->events++;
        const char *conv = json_string_value(json_object_get(doc, "conversation_id"));
        json_t *msg = json_object_get(doc, "message");
        const char *role = json_string_value(json_object_get(msg, "role"));
        if (strcmp(type, "message") == 0 && B.turn_conv != NULL && conv != NULL &&
            strcmp(conv, B.turn_conv) == 0 && role != NULL && strcmp(role, "bot") == 0 &&
            c->got < 0)
            c->got = t - B.t0;
    }
    json_decref(doc);
}

static const struct wslay_event_callbacks ws_callbacks = {.recv_callback = ws_recv,
                                                          .send_callback = ws_send,
                                                          .genmask_callback = ws_mask,
                                                          .on_msg_recv_callback = ws_on_msg};

/* Upgrade a new connection on path; auth: a bearer token or NULL. */
static void ws_open(struct peer *c, const char *path, const char *auth)
{
    c->fd = tcp_connect();
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s%s%s\r\n",
                     path, B.port, auth ? "Authorization: Bearer " : "", auth ? auth : "",
                     auth ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req || send_all(c->fd, req, (size_t)n) != 0)
        die("sending an upgrade failed");
    char buf[4096];
    size_t len = 0;
    const char *end = NULL;
    while (end == NULL) {
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0 || len >= sizeof buf - 1)
            die("no upgrade reply within 10 s");
        ssize_t r = recv(c->fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0)
            die("the server closed a socket during the upgrade");
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.1 %d", &status) != 1 || status != 101) {
        fprintf(stderr, "live: upgrade of %s: %.200s\n", path, buf);
        die("the upgrade was refused");
    }
    size_t hdr = (size_t)(end + 4 - buf);
    if (len - hdr > sizeof c->pre)
        die("too many bytes after the upgrade");
    memcpy(c->pre, buf + hdr, len - hdr);
    c->pre_len = len - hdr;
    c->pre_off = 0;
    if (wslay_event_context_client_init(&c->ws, &ws_callbacks, c) != 0)
        die("wslay_event_context_client_init failed");
}

static void ws_service(struct peer *c)
{
    if (c->closed)
        return;
    if (wslay_event_recv(c->ws) != 0)
        c->closed = 1;
    while (!c->closed && wslay_event_want_write(c->ws) && wslay_event_send(c->ws) == 0) {
    }
}

/* ---- the event loop ------------------------------------------------------ */

static struct pollfd *pfds;

/* Poll every socket (and h->fd when h is not NULL) for up to ms; service
 * what is readable. Returns 1 when h's reply completed in this call. */
static int pump(struct http *h, int ms)
{
    int n = 0;
    for (int i = 0; i < B.npeers; i++)
        pfds[n++] = (struct pollfd){B.peers[i].closed ? -1 : B.peers[i].fd, POLLIN, 0};
    if (h != NULL)
        pfds[n++] = (struct pollfd){h->fd, POLLIN, 0};
    for (int i = 0; i < B.npeers; i++) /* bytes read with the upgrade reply */
        if (B.peers[i].pre_off < B.peers[i].pre_len)
            ms = 0;
    if (poll(pfds, (nfds_t)n, ms) < 0 && errno != EINTR)
        die("poll failed");
    for (int i = 0; i < B.npeers; i++)
        if (pfds[i].revents != 0 || B.peers[i].pre_off < B.peers[i].pre_len)
            ws_service(&B.peers[i]);
    return h != NULL && pfds[n - 1].revents != 0 && http_read(h);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, int n, int missed)
{
    if (n == 0) {
        printf("  %-34s no samples, missed %d\n", what, missed);
        return;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_double);
#define PCT(p) v[(int)((double)(n - 1) * (p) + 0.5)]
    printf("  %-34s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (n %d, missed %d)\n",
           what, PCT(0.50), PCT(0.95), PCT(0.99), v[n - 1], n, missed);
#undef PCT
}

static long rss_kib(long pid)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static long arg_long(const char *s, const char *name)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 0) {
        fprintf(stderr, "live: %s wants a number\n", name);
        _Exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long customers = 1, agents = 0, turns = 100, pid = 0, hold = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            B.port = (int)arg_long(argv[i + 1], "--port");
        else if (strcmp(argv[i], "--token") == 0)
            B.token = argv[i + 1];
        else if (strcmp(argv[i], "--customers") == 0)
            customers = arg_long(argv[i + 1], "--customers");
        else if (strcmp(argv[i], "--agents") == 0)
            agents = arg_long(argv[i + 1], "--agents");
        else if (strcmp(argv[i], "--turns") == 0)
            turns = arg_long(argv[i + 1], "--turns");
        else if (strcmp(argv[i], "--pid") == 0)
            pid = arg_long(argv[i + 1], "--pid");
        else if (strcmp(argv[i], "--hold") == 0)
            hold = arg_long(argv[i + 1], "--hold");
        else {
            fprintf(stderr, "live: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (B.port == 0 || (customers < 1 && hold == 0) || customers > 100000 || agents > 1000 ||
        customers + agents < 1 ||
        (agents > 0 && B.token == NULL)) {
        fprintf(stderr, "usage: live --port P [--token T] [--customers N] [--agents M] "
                        "[--turns K] [--pid SERVER_PID] [--hold SECONDS]\n");
        return 2;
    }
    if (sodium_init() < 0)
        die("sodium_init failed");

    /* the conversations */
    double t_setup = now_ms();
    B.nconvs = (int)customers;
    B.convs = calloc((size_t)B.nconvs + 1, sizeof *B.convs);
    static struct http h;
    for (int i = 0; i < B.nconvs; i++) {
        http_do(&h, "POST", "/api/v1/conversations", "{\"channel\":\"web\",\"lang\":\"en\"}");
        close(h.fd);
        json_t *doc = json_loadb(h.buf + h.body_off, h.len - h.body_off, 0, NULL);
        const char *id = json_string_value(json_object_get(doc, "id"));
        if (h.status != 201 || id == NULL || strlen(id) != 32)
            die("POST /api/v1/conversations did not answer 201 with an id");
        memcpy(B.convs[i], id, 33);
        json_decref(doc);
    }
    double t_convs = now_ms();
    long rss0 = pid ? rss_kib(pid) : -1;

    /* the sockets: customers first, then agents */
    B.npeers = (int)(customers + agents);
    B.peers = calloc((size_t)B.npeers, sizeof *B.peers);
    pfds = calloc((size_t)B.npeers + 1, sizeof *pfds);
    if (B.convs == NULL || B.peers == NULL || pfds == NULL)
        die("out of memory");
    char path[128];
    for (int i = 0; i < B.npeers; i++) {
        struct peer *c = &B.peers[i];
        c->got = -1;
        if (i < customers) {
            c->conv = i;
            snprintf(path, sizeof path, "/api/v1/conversations/%s/ws", B.convs[i]);
            ws_open(c, path, NULL);
        } else {
            c->conv = -1;
            ws_open(c, "/api/v1/agents/ws", B.token);
        }
    }
    for (int hellos = 0; hellos < B.npeers;) {
        if (now_ms() - t_convs > 30000)
            die("not every socket got its hello within 30 s");
        pump(NULL, 100);
        hellos = 0;
        for (int i = 0; i < B.npeers; i++)
            hellos += B.peers[i].hello;
    }
    double t_open = now_ms();
    long rss1 = pid ? rss_kib(pid) : -1;
    printf("live: %ld customer sockets (each on its own new conversation) + %ld agent sockets; "
           "%ld conversations in %.2f s, sockets open with hello in %.2f s\n",
           customers, agents, customers, (t_convs - t_setup) / 1e3, (t_open - t_convs) / 1e3);
    if (pid)
        printf("  server RSS %ld MiB before the sockets, %ld MiB with them (%.1f KiB a socket)\n",
               rss0 / 1024, rss1 / 1024,
               (double)(rss1 - rss0) / (double)(customers + agents));
    fflush(stdout);

    if (hold > 0) { /* idle sockets while someone else loads the server */
        printf("ready\n");
        fflush(stdout);
        B.count_only = 1;
        struct rusage ru0, ru1;
        getrusage(RUSAGE_SELF, &ru0);
        double end = now_ms() + (double)hold * 1e3;
        while (now_ms() < end)
            pump(NULL, 200);
        getrusage(RUSAGE_SELF, &ru1);
        double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
        long ev_c = 0, ev_a = 0;
        int closed = 0;
        for (int i = 0; i < B.npeers; i++) {
            if (B.peers[i].conv >= 0)
                ev_c += B.peers[i].events;
            else
                ev_a += B.peers[i].events;
            closed += B.peers[i].closed;
        }
        printf("  held %ld s: events received by the customer sockets %ld, by each agent socket "
               "%ld; sockets closed by the server %d; this client's CPU %.2f s\n",
               hold, ev_c, agents ? ev_a / agents : 0, closed, cpu);
        return closed == 0 ? 0 : 1;
    }

    /* the turns, one at a time */
    double *t_http = calloc((size_t)turns + 1, sizeof *t_http);
    double *t_cust = calloc((size_t)turns + 1, sizeof *t_cust);
    double *t_agent = calloc((size_t)(turns * agents) + 1, sizeof *t_agent);
    double *t_last = calloc((size_t)turns + 1, sizeof *t_last);
    int n_http = 0, n_cust = 0, n_agent = 0, n_last = 0, miss_cust = 0, miss_agent = 0;
    char mpath[128];
    for (long k = 0; k < turns; k++) {
        int ci = (int)(k % B.nconvs);
        struct peer *cust = &B.peers[ci];
        for (int i = 0; i < B.npeers; i++)
            B.peers[i].got = -1;
        snprintf(mpath, sizeof mpath, "/api/v1/conversations/%s/messages", B.convs[ci]);
        h.fd = tcp_connect();
        h.len = 0;
        h.status = 0;
        B.turn_conv = B.convs[ci];
        B.t0 = now_ms();
        http_send(&h, "POST", mpath, FAQ_TEXT);
        double http_ms = -1;
        for (;;) {
            int done = http_ms >= 0 && cust->got >= 0;
            for (int i = (int)customers; done && i < B.npeers; i++)
                done = B.peers[i].got >= 0 || B.peers[i].closed;
            if (done || now_ms() - B.t0 > TURN_TIMEOUT_MS)
                break;
            if (pump(http_ms < 0 ? &h : NULL, 50))
                http_ms = now_ms() - B.t0;
        }
        close(h.fd);
        if (http_ms < 0 || h.status != 200)
            die("a turn's POST did not answer 200 within 5 s");
        t_http[n_http++] = http_ms;
        if (cust->got >= 0)
            t_cust[n_cust++] = cust->got;
        else
            miss_cust++;
        double last = -1;
        for (int i = (int)customers; i < B.npeers; i++) {
            if (B.peers[i].got >= 0) {
                t_agent[n_agent++] = B.peers[i].got;
                last = B.peers[i].got > last ? B.peers[i].got : last;
            } else {
                miss_agent++;
            }
        }
        if (agents > 0 && last >= 0)
            t_last[n_last++] = last;
        B.turn_conv = NULL;
    }
    int closed = 0;
    for (int i = 0; i < B.npeers; i++)
        closed += B.peers[i].closed;
    printf("  %ld FAQ turns one at a time (round robin over the conversations), from writing the "
           "POST:\n", turns);
    report("HTTP reply", t_http, n_http, 0);
    report("bot reply on the customer socket", t_cust, n_cust, miss_cust);
    if (agents > 0) {
        report("bot reply on an agent socket", t_agent, n_agent, miss_agent);
        report("... on the last of the agents", t_last, n_last, 0);
    }
    printf("  sockets closed by the server: %d; unparsable frames: %ld\n", closed, B.bad_frames);
    return miss_cust == 0 && miss_agent == 0 && closed == 0 && B.bad_frames == 0 ? 0 : 1;
}
