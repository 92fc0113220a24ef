/*
 * hub.h — the server's WebSocket connections (internal to src/server).
 *
 * One epoll thread owns every upgraded socket: ws.c does the HTTP handshake
 * and hands each socket over with hub_attach; from then on the hub reads and
 * writes WebSocket frames with wslay's event API (nothing here parses a
 * frame by hand), answers pings, pings idle peers and closes them.
 *
 * Topics: each peer listens to one topic ("conv:<id>" for a customer's
 * widget, "agents" for an agent console). hub_publish, callable from any
 * thread, appends a shared copy of one text message to the bounded queue of
 * every peer of the topic and wakes the thread; a peer whose queue is full
 * (queue_max_msgs or queue_max_bytes) is dropped rather than waited for: it
 * reconnects, or polls (GET .../messages?after=).
 *
 * What a peer sends (text frames up to frame_max bytes; larger ones are
 * closed with 1009, binary frames with 1003) goes to params.on_text on the
 * hub thread; each peer gets at most a few per second (the rest are
 * dropped), so a noisy client cannot flood the agents.
 *
 * Ownership: the hub borrows the log and the on_text context; it owns the
 * attached sockets (closing them with MHD_upgrade_action) and its queues.
 */
#ifndef KEFU_HUB_H
#define KEFU_HUB_H

#include <microhttpd.h>
#include <stddef.h>

#include "kefu/err.h"
#include "kefu/log.h"

struct hub;

/* Who is at the other end of a socket. */
struct hub_peer {
    char topic[48];   /* "conv:<id>" or "agents" */
    int staff;        /* an agent console (else a customer's widget) */
    char conv_id[33]; /* customers: their conversation */
    char name[72];    /* staff: the user's name (an actor of typing events) */
};

struct kf_metrics;

struct hub_params {
    struct kf_log *log;
    struct kf_metrics *metrics; /* kefu_ws_connections (metrics.h); may be NULL */
    int ping_interval_ms;   /* ping a peer silent this long; close it after twice that */
    size_t queue_max_msgs;  /* per peer */
    size_t queue_max_bytes; /* per peer */
    size_t frame_max;       /* largest text frame a peer may send */
    /* A text frame of a peer (not NUL-terminated), on the hub thread. It may
     * call hub_publish. */
    void (*on_text)(void *cls, const struct hub_peer *peer, const char *text, size_t len);
    void *cls;
};

struct hub_params hub_default_params(void);

int hub_start(const struct hub_params *p, struct hub **out, struct kf_err *err);
/* Close every socket (with 1001 "going away") and join the thread; sockets
 * attached later are closed at once. NULL is a no-op. */
void hub_stop(struct hub *h);
/* Free a stopped hub. NULL is a no-op. */
void hub_free(struct hub *h);

/* Take over an upgraded socket (MHD's upgrade handler arguments): extra are
 * bytes MHD read past the handshake, hello (may be NULL) the first message
 * sent to the peer. Always consumes fd/urh: on any failure the socket is
 * closed. */
void hub_attach(struct hub *h, const struct hub_peer *peer, int fd,
                struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t extra_len,
                const char *hello, size_t hello_len);

/* Queue a text message for every peer of topic; returns how many got it.
 * Thread-safe; never blocks on a peer. */
size_t hub_publish(struct hub *h, const char *topic, const char *text, size_t len);

/* Peers attached now (for tests and metrics). */
size_t hub_peer_count(struct hub *h);

#endif
