/*
 * hub.c — one epoll thread for every WebSocket (hub.h).
 *
 * Threads and locks:
 *   - MHD worker threads call hub_attach (a new peer) and hub_publish (an
 *     event); both take `mu` briefly and wake the hub thread (eventfd).
 *   - The hub thread alone touches a peer's wslay context and socket, and
 *     alone unlinks and frees peers. So it may walk the list without holding
 *     `mu` across a peer (only reading `next` under it): attach inserts at
 *     the head, which a walk in progress does not need to see (attach wakes
 *     the thread, so the next walk does).
 *   - on_text runs on the hub thread with no lock held, so it may publish.
 *
 * A peer's life:
 *
 *   attach ──▶ open ──(close frame, EOF, error, queue overflow,
 *                      2 × ping interval without a byte)──▶ dead ──▶ freed
 *
 * Servicing a peer: read what wslay wants, move queued events into wslay
 * (at most WSLAY_INFLIGHT at a time, so our bounded queue is the only real
 * queue), ping if idle, write, then either update its epoll mask or, when
 * wslay wants neither to read nor to write, close it. A wakeup by an event
 * (a socket's, or the eventfd after a publish) services only the peers on
 * the ready list: those with new events queued or socket activity; the 1 s
 * tick services every peer (pings, silent peers). Publishing looks only at
 * the peers of its topic (by_topic). So an event costs O(its subscribers),
 * not O(peers) — bench/live.sh measured turns/s halve with 1,000 idle
 * customer sockets and 10 agents open when every wakeup walked every peer.
 */
#include "hub.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "kefu/mem.h"
#include "kefu/metrics.h"

#define WSLAY_INFLIGHT 8 /* events handed to wslay and not yet written */
#define TEXT_RATE 5      /* frames a peer may send per second ... */
#define TEXT_BURST 10    /* ... with bursts up to this many */

/* One event's text, shared by the queues of every peer it goes to. */
struct hub_msg {
    atomic_int refs;
    size_t len;
    char text[];
};

#define HUB_TOPIC_SLOTS 1024

/* FNV-1a of a topic, a slot of hub.by_topic */
static unsigned hub__topic_slot(const char *topic)
{
    uint32_t h = 2166136261u;
    for (; *topic; topic++)
        h = (h ^ (unsigned char)*topic) * 16777619u;
    return h % HUB_TOPIC_SLOTS;
}

struct hub_client {
    struct hub *hub;
    struct hub_client *next, *prev; /* h->clients, under h->mu */
    struct hub_client *tnext, *tprev; /* h->by_topic[hash of peer.topic], under h->mu */
    unsigned tslot;
    struct hub_client *rnext; /* h->ready, under h->mu */
    int in_ready;             /* under h->mu */
    struct hub_peer peer;
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    wslay_event_context_ptr ws;
    char *pre; /* bytes MHD read past the handshake, consumed first */
    size_t pre_len, pre_off;
    /* under h->mu: the outbound queue (a ring) */
    struct hub_msg **ring;
    size_t head, count, bytes;
    int overflow;
    /* hub thread only */
    int readable; /* epoll said EPOLLIN */
    int dead;
    uint32_t events;   /* the epoll mask set now */
    long long last_in; /* monotonic ms of the last byte received */
    int ping_sent;
    double tokens; /* text frames allowed now (TEXT_RATE refill) */
    long long tokens_at;
};

struct hub {
    struct hub_params p;
    int epfd, efd;
    pthread_t thread;
    int running;
    atomic_int stop;
    pthread_mutex_t mu;
    struct hub_client *clients; /* under mu */
    /* the same peers by topic, so a publish looks only at its topic's
     * peers (bench/live.sh: with 1,000 sockets open, comparing every
     * peer's topic was 12% of the server's time) */
    struct hub_client *by_topic[HUB_TOPIC_SLOTS]; /* under mu */
    struct hub_client *ready; /* under mu: peers to service at the next wakeup */
    size_t nclients;            /* under mu */
    int closed;                 /* under mu: no more attaches */
};

static long long hub__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hub__msg_unref(struct hub_msg *m)
{
    if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1)
        kf_free(m);
}

static void hub__wake(struct hub *h)
{
    uint64_t one = 1;
    ssize_t n = write(h->efd, &one, sizeof one);
    (void)n; /* EAGAIN: the counter is already nonzero, the thread wakes anyway */
}

struct hub_params hub_default_params(void)
{
    return (struct hub_params){.ping_interval_ms = 30000,
                               .queue_max_msgs = 256,
                               .queue_max_bytes = 1 << 20,
                               .frame_max = 4096};
}

/* ---- wslay callbacks (hub thread) ----------------------------------------- */

static ssize_t hub__recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                            void *user)
{
    (void)flags;
    struct hub_client *c = user;
    if (c->pre_off < c->pre_len) {
        size_t n = c->pre_len - c->pre_off;
        if (n > len)
            n = len;
        memcpy(buf, c->pre + c->pre_off, n);
        c->pre_off += n;
        c->last_in = hub__mono_ms();
        return (ssize_t)n;
    }
    ssize_t n;
    do
        n = recv(c->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->last_in = hub__mono_ms();
        c->ping_sent = 0;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE); /* EOF or a socket error */
    return -1;
}

static ssize_t hub__send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                            void *user)
{
    struct hub_client *c = user;
    ssize_t n;
    do
        n = send(c->fd, data, len, MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0));
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static void hub__close_with(struct hub_client *c, uint16_t code, const char *reason)
{
    wslay_event_queue_close(c->ws, code, (const uint8_t *)reason, strlen(reason));
    wslay_event_shutdown_read(c->ws);
}

static void hub__on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                        void *user)
{
    (void)ctx;
    struct hub_client *c = user;
    struct hub *h = c->hub;
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        hub__close_with(c, WSLAY_CODE_UNSUPPORTED_DATA, "text frames only");
        return;
    }
    if (arg->opcode != WSLAY_TEXT_FRAME || h->p.on_text == NULL)
        return; /* ping, pong, close: wslay answers them */
    long long now = hub__mono_ms();
    c->tokens += (double)(now - c->tokens_at) * TEXT_RATE / 1000.0;
    if (c->tokens > TEXT_BURST)
        c->tokens = TEXT_BURST;
    c->tokens_at = now;
    if (c->tokens < 1)
        return; /* over the rate: dropped */
    c->tokens -= 1;
    h->p.on_text(h->p.cls, &c->peer, (const char *)arg->msg, arg->msg_length);
}

static const struct wslay_event_callbacks hub__callbacks = {
    .recv_callback = hub__recv_cb,
    .send_callback = hub__send_cb,
    .on_msg_recv_callback = hub__on_msg,
};

/* ---- peers ----------------------------------------------------------------- */

/* Close and free a peer the hub thread has unlinked (or never linked). */
static void hub__client_free(struct hub_client *c)
{
    if (c->ws != NULL)
        wslay_event_context_free(c->ws);
    for (size_t i = 0; i < c->count; i++)
        hub__msg_unref(c->ring[(c->head + i) % c->hub->p.queue_max_msgs]);
    if (c->urh != NULL)
        MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    kf_free(c->ring);
    kf_free(c->pre);
    kf_free(c);
}

/* Put c on the ready list (mu held). */
static void hub__mark(struct hub *h, struct hub_client *c)
{
    if (!c->in_ready) {
        c->in_ready = 1;
        c->rnext = h->ready;
        h->ready = c;
    }
}

static void hub__unlink(struct hub *h, struct hub_client *c)
{
    epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    pthread_mutex_lock(&h->mu);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        h->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->tprev != NULL)
        c->tprev->tnext = c->tnext;
    else
        h->by_topic[c->tslot] = c->tnext;
    if (c->tnext != NULL)
        c->tnext->tprev = c->tprev;
    if (c->in_ready) { /* short: what waits for the next wakeup */
        struct hub_client **pp = &h->ready;
        while (*pp != NULL && *pp != c)
            pp = &(*pp)->rnext;
        if (*pp == c)
            *pp = c->rnext;
        c->in_ready = 0;
    }
    h->nclients--;
    pthread_mutex_unlock(&h->mu);
    if (h->p.metrics != NULL)
        kf_metrics_ws(h->p.metrics, -1);
}

/* Append m to c's queue (under h->mu); 0, or -1 when c fell behind. */
static int hub__enqueue(struct hub *h, struct hub_client *c, struct hub_msg *m)
{
    if (c->overflow)
        return -1;
    hub__mark(h, c); /* to be written, or dropped */
    if (c->count == h->p.queue_max_msgs || c->bytes + m->len > h->p.queue_max_bytes) {
        c->overflow = 1;
        return -1;
    }
    atomic_fetch_add(&m->refs, 1);
    c->ring[(c->head + c->count) % h->p.queue_max_msgs] = m;
    c->count++;
    c->bytes += m->len;
    return 0;
}

static struct hub_msg *hub__msg_new(const char *text, size_t len)
{
    struct hub_msg *m = kf_malloc(sizeof *m + len);
    if (m == NULL)
        return NULL;
    atomic_init(&m->refs, 1);
    m->len = len;
    memcpy(m->text, text, len);
    return m;
}

/* Move queued events into wslay, as many as it may hold. */
static void hub__pump(struct hub *h, struct hub_client *c)
{
    struct hub_msg *batch[WSLAY_INFLIGHT];
    size_t n = 0;
    size_t inflight = wslay_event_get_queued_msg_count(c->ws);
    size_t room = inflight >= WSLAY_INFLIGHT ? 0 : WSLAY_INFLIGHT - inflight;
    pthread_mutex_lock(&h->mu);
    if (c->overflow) {
        c->dead = 1;
        pthread_mutex_unlock(&h->mu);
        KF_INFO(h->p.log, "ws", "dropped a peer of %s: it fell behind", c->peer.topic);
        return;
    }
    while (n < room && c->count > 0) {
        batch[n++] = c->ring[c->head];
        c->head = (c->head + 1) % h->p.queue_max_msgs;
        c->count--;
        c->bytes -= batch[n - 1]->len;
    }
    pthread_mutex_unlock(&h->mu);
    for (size_t i = 0; i < n; i++) {
        struct wslay_event_msg wm = {.opcode = WSLAY_TEXT_FRAME,
                                     .msg = (const uint8_t *)batch[i]->text,
                                     .msg_length = batch[i]->len};
        wslay_event_queue_msg(c->ws, &wm); /* copies; fails only once closing */
        hub__msg_unref(batch[i]);
    }
}

/* Everything a peer needs on a wakeup; sets c->dead when it is done for. */
static void hub__service(struct hub *h, struct hub_client *c, long long now)
{
    if (c->dead)
        return;
    if ((c->readable || c->pre_off < c->pre_len) && wslay_event_want_read(c->ws)) {
        c->readable = 0;
        if (wslay_event_recv(c->ws) != 0) {
            c->dead = 1;
            return;
        }
    }
    hub__pump(h, c);
    if (c->dead)
        return;
    /* a peer that only listens still answers pings: silence means it is gone */
    if (now - c->last_in > 2LL * h->p.ping_interval_ms) {
        c->dead = 1;
        return;
    }
    if (!c->ping_sent && now - c->last_in >= h->p.ping_interval_ms) {
        struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
        if (wslay_event_queue_msg(c->ws, &ping) == 0)
            c->ping_sent = 1;
    }
    if (wslay_event_want_write(c->ws) && wslay_event_send(c->ws) != 0) {
        c->dead = 1;
        return;
    }
    int rd = wslay_event_want_read(c->ws), wr = wslay_event_want_write(c->ws);
    if (!rd && !wr) {
        c->dead = 1; /* the closing handshake is over */
        return;
    }
    uint32_t ev = (rd ? EPOLLIN : 0) | (wr ? EPOLLOUT : 0);
    if (ev != c->events) {
        struct epoll_event e = {.events = ev, .data.ptr = c};
        if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
            c->events = ev;
        else
            c->dead = 1;
    }
}

/* Service the peers on the ready list, taken in batches under mu (a peer
 * marked again while it is serviced waits for the next wakeup). */
static void hub__sweep_ready(struct hub *h)
{
    long long now = hub__mono_ms();
    struct hub_client *batch[256];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&h->mu);
        while (h->ready != NULL && n < sizeof batch / sizeof batch[0]) {
            struct hub_client *c = h->ready;
            h->ready = c->rnext;
            c->in_ready = 0;
            batch[n++] = c;
        }
        pthread_mutex_unlock(&h->mu);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++) {
            hub__service(h, batch[i], now);
            if (batch[i]->dead) {
                hub__unlink(h, batch[i]);
                hub__client_free(batch[i]);
            }
        }
        if (n < sizeof batch / sizeof batch[0])
            return; /* what was marked meanwhile: the eventfd woke us for it */
    }
}

/* Walk every peer (see the top of the file for why no lock is held). */
static void hub__sweep(struct hub *h)
{
    long long now = hub__mono_ms();
    pthread_mutex_lock(&h->mu);
    for (struct hub_client *r = h->ready; r != NULL; r = r->rnext)
        r->in_ready = 0; /* every peer is serviced now */
    h->ready = NULL;
    struct hub_client *c = h->clients;
    pthread_mutex_unlock(&h->mu);
    while (c != NULL) {
        hub__service(h, c, now);
        pthread_mutex_lock(&h->mu);
        struct hub_client *next = c->next;
        pthread_mutex_unlock(&h->mu);
        if (c->dead) {
            hub__unlink(h, c);
            hub__client_free(c);
        }
        c = next;
    }
}

/* Server shutdown: say goodbye (best effort: sockets are non-blocking) and
 * close every peer; later attaches are closed at once. */
static void hub__close_all(struct hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->closed = 1;
    struct hub_client *c = h->clients;
    h->clients = NULL;
    memset(h->by_topic, 0, sizeof h->by_topic);
    h->ready = NULL; /* every peer is freed below */
    h->nclients = 0;
    pthread_mutex_unlock(&h->mu);
    while (c != NULL) {
        struct hub_client *next = c->next;
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        wslay_event_queue_close(c->ws, WSLAY_CODE_GOING_AWAY, (const uint8_t *)"server stopping",
                                15);
        wslay_event_send(c->ws);
        hub__client_free(c);
        c = next;
    }
}

static void *hub__main(void *arg)
{
    struct hub *h = arg;
    struct epoll_event evs[64];
    long long last_sweep = 0;
    while (!atomic_load(&h->stop)) {
        int n = epoll_wait(h->epfd, evs, 64, 1000);
        if (n < 0 && errno != EINTR) {
            KF_ERROR(h->p.log, "ws", "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) { /* the eventfd */
                uint64_t v;
                ssize_t r = read(h->efd, &v, sizeof v);
                (void)r;
                continue;
            }
            struct hub_client *c = evs[i].data.ptr;
            if (evs[i].events & (EPOLLHUP | EPOLLERR))
                c->dead = 1; /* nothing more can be said either way */
            else if (evs[i].events & EPOLLIN)
                c->readable = 1;
            pthread_mutex_lock(&h->mu);
            hub__mark(h, c);
            pthread_mutex_unlock(&h->mu);
        }
        long long now = hub__mono_ms();
        if (now - last_sweep >= 1000) {
            hub__sweep(h);
            last_sweep = now;
        } else if (n > 0) {
            hub__sweep_ready(h);
        }
    }
    hub__close_all(h);
    return NULL;
}

/* ---- API ------------------------------------------------------------------- */

int hub_start(const struct hub_params *p, struct hub **out, struct kf_err *err)
{
    *out = NULL;
    if (p->queue_max_msgs < 1 || p->queue_max_bytes < 1 || p->frame_max < 1 ||
        p->ping_interval_ms < 1)
        return kf_errorf(err, KF_EINVAL, "ws hub: bad parameters");
    struct hub *h = kf_calloc(1, sizeof *h);
    if (h == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    h->p = *p;
    atomic_init(&h->stop, 0);
    pthread_mutex_init(&h->mu, NULL);
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    if (h->epfd < 0 || h->efd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->efd, &e) != 0) {
        int rc = kf_errorf(err, KF_EIO, "ws hub: %s", strerror(errno));
        hub_free(h);
        return rc;
    }
    int prc = pthread_create(&h->thread, NULL, hub__main, h);
    if (prc != 0) {
        int rc = kf_errorf(err, KF_EIO, "ws hub: cannot start a thread: %s", strerror(prc));
        hub_free(h);
        return rc;
    }
    h->running = 1;
    *out = h;
    return KF_OK;
}

void hub_stop(struct hub *h)
{
    if (h == NULL || !h->running)
        return;
    atomic_store(&h->stop, 1);
    hub__wake(h);
    pthread_join(h->thread, NULL);
    h->running = 0;
}

void hub_free(struct hub *h)
{
    if (h == NULL)
        return;
    hub_stop(h);
    if (h->epfd >= 0)
        close(h->epfd);
    if (h->efd >= 0)
        close(h->efd);
    pthread_mutex_destroy(&h->mu);
    kf_free(h);
}

void hub_attach(struct hub *h, const struct hub_peer *peer, int fd,
                struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t extra_len,
                const char *hello, size_t hello_len)
{
    struct hub_client *c = kf_calloc(1, sizeof *c);
    if (c == NULL) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    c->hub = h;
    c->peer = *peer;
    c->fd = fd;
    c->urh = urh;
    c->last_in = c->tokens_at = hub__mono_ms();
    c->tokens = TEXT_BURST;
    c->ring = kf_calloc(h->p.queue_max_msgs, sizeof *c->ring);
    if (extra_len > 0) {
        c->pre = kf_malloc(extra_len);
        if (c->pre != NULL) {
            memcpy(c->pre, extra, extra_len);
            c->pre_len = extra_len;
        }
    }
    int flags = fcntl(fd, F_GETFL);
    if (c->ring == NULL || (extra_len > 0 && c->pre == NULL) || flags < 0 ||
        fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        wslay_event_context_server_init(&c->ws, &hub__callbacks, c) != 0) {
        hub__client_free(c);
        return;
    }
    wslay_event_config_set_max_recv_msg_length(c->ws, h->p.frame_max);
    struct hub_msg *m = hello != NULL ? hub__msg_new(hello, hello_len) : NULL;
    pthread_mutex_lock(&h->mu);
    if (h->closed) {
        pthread_mutex_unlock(&h->mu);
        hub__msg_unref(m);
        hub__client_free(c);
        return;
    }
    c->events = EPOLLIN;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
        pthread_mutex_unlock(&h->mu);
        hub__msg_unref(m);
        hub__client_free(c);
        return;
    }
    if (m != NULL) /* after the add: a peer on the ready list is always linked below */
        hub__enqueue(h, c, m);
    c->next = h->clients;
    if (h->clients != NULL)
        h->clients->prev = c;
    h->clients = c;
    c->tslot = hub__topic_slot(c->peer.topic);
    c->tnext = h->by_topic[c->tslot];
    if (c->tnext != NULL)
        c->tnext->tprev = c;
    h->by_topic[c->tslot] = c;
    h->nclients++;
    pthread_mutex_unlock(&h->mu);
    if (h->p.metrics != NULL)
        kf_metrics_ws(h->p.metrics, +1);
    hub__msg_unref(m);
    hub__wake(h);
}

size_t hub_publish(struct hub *h, const char *topic, const char *text, size_t len)
{
    if (h == NULL)
        return 0;
    struct hub_msg *m = hub__msg_new(text, len);
    if (m == NULL)
        return 0;
    size_t sent = 0;
    int lagging = 0;
    pthread_mutex_lock(&h->mu);
    for (struct hub_client *c = h->by_topic[hub__topic_slot(topic)]; c != NULL; c = c->tnext) {
        if (strcmp(c->peer.topic, topic) != 0)
            continue;
        if (hub__enqueue(h, c, m) == 0)
            sent++;
        else
            lagging = 1;
    }
    pthread_mutex_unlock(&h->mu);
    hub__msg_unref(m);
    if (sent > 0 || lagging)
        hub__wake(h);
    return sent;
}

size_t hub_peer_count(struct hub *h)
{
    if (h == NULL)
        return 0;
    pthread_mutex_lock(&h->mu);
    size_t n = h->nclients;
    pthread_mutex_unlock(&h->mu);
    return n;
}
