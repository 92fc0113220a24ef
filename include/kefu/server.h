/*
 * server.h — kefu's HTTP/1.1 server (libmicrohttpd, epoll thread pool).
 *
 * Routes (docs/api.md): the JSON API under /api/v1 (conversations, NLU, and
 * the back office: tickets, customers, orders, products), the Rasa-compatible
 * REST channel at /webhooks/rest/webhook, /healthz and /readyz, and static
 * files from the web root for everything else. Handlers only translate HTTP
 * and JSON to engine calls and the business layer's connectors; no SQL or
 * business rule lives here.
 *
 * Ownership: the server borrows the engine and the log; both must outlive
 * it. kf_server_free() stops accepting, finishes in-flight requests and
 * returns.
 */
#ifndef KEFU_SERVER_H
#define KEFU_SERVER_H

#include <stddef.h>

#include "kefu/config.h"
#include "kefu/engine.h"
#include "kefu/err.h"
#include "kefu/log.h"

struct kf_server;

struct kf_server_params {
    const char *host;     /* IPv4 or IPv6 literal; default 127.0.0.1 */
    int port;             /* 0 = any free port */
    int threads;          /* worker threads; default 2 */
    size_t max_body;      /* bytes; default 64 KiB */
    const char *web_root; /* folder of static files; NULL = none */
    /* privacy.reveal_token: the bearer token that may read raw PII
     * (GET /api/v1/conversations/{id}?reveal=pii). The interim permission
     * until accounts and roles (issue 7) replace it. NULL or "" = reveal
     * disabled. Borrowed; never logged. */
    const char *reveal_token;
    struct kf_engine *engine;
    struct kf_log *log;
    /* Lifecycle campaigns (campaign.h): the bot's campaigns.yaml, run with a
     * shop sync every campaigns_interval_s seconds by a thread that starts
     * and stops with the server (NULL path or 0 s: none; a missing file: none,
     * logged; a bad file fails the start). campaigns_max_per_run: candidates
     * per campaign per run (0: the default). Borrowed. */
    const char *campaigns_path;
    long campaigns_interval_s;
    long campaigns_max_per_run;
    /* The same thread rebuilds every profile (events.h) when this many
     * seconds have passed since its last rebuild (0: never), so lifecycle
     * stages and tags follow the calendar, not only new events. */
    long profiles_rebuild_interval_s;
    /* Every setting (issue 7: auth.*, churn.*, alerts.*, csat.*), borrowed;
     * NULL = the defaults. */
    const struct kf_config *config;
};

struct kf_server_params kf_server_default_params(void);

/* Bind and start serving in background threads. */
int kf_server_start(struct kf_server_params params, struct kf_server **out, struct kf_err *err);
void kf_server_free(struct kf_server *srv); /* stops; NULL is a no-op */

/* The port actually bound (useful with port 0). */
int kf_server_port(const struct kf_server *srv);

#endif
