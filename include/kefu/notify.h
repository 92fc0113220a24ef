/*
 * notify.h — webhook delivery from the outbox (ops.h webhook_outbox):
 * churn alerts and metric alerts POSTed as JSON to the receivers in the
 * configuration (churn.webhook_url, alerts.webhook_url).
 *
 * How it fits: the server's scheduler calls kf_notify_deliver every few
 * seconds; it claims the due rows of the topics that have a receiver,
 * POSTs each payload (libcurl: Content-Type application/json, a timeout, no
 * redirects, http and https only) and marks the row: 2xx → 'sent'; anything
 * else → retried with exponential backoff (1 s, 2 s, 4 s, … at most 10 min,
 * kf_notify_backoff_ms) until max_attempts, then 'failed'. A topic without
 * a receiver is not claimed: its rows wait, pending, for a URL to be
 * configured (docs/operations.md).
 *
 * Secrets: a webhook URL may carry a token, so it is never logged and never
 * put into an error or the outbox's last_error — errors say what failed
 * ("HTTP 503", "timeout"), not where.
 *
 * Ownership: kf_notify_new borrows the store and the log (both outlive it)
 * and copies the URLs; kf_notify_free wipes them.
 */
#ifndef KEFU_NOTIFY_H
#define KEFU_NOTIFY_H

#include <stddef.h>

#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/store.h"

struct kf_notify;

#define KF_NOTIFY_TARGETS_MAX 4

struct kf_notify_target {
    const char *topic; /* outbox topic: "alert", "churn_alert" */
    const char *url;   /* http(s) URL; NULL or "": no receiver (rows wait) */
};

struct kf_notify_params {
    struct kf_notify_target targets[KF_NOTIFY_TARGETS_MAX];
    size_t ntargets;
    long timeout_ms;          /* per POST; default 5000 */
    int max_attempts;         /* then 'failed'; default 8 */
    long long backoff_min_ms; /* first retry; default 1000 */
    long long backoff_max_ms; /* cap; default 600000 (10 min) */
    int batch;                /* rows per delivery run; default 32 */
};

struct kf_notify_params kf_notify_default_params(void);

/* KF_ECONFIG when a URL is not http(s)://… (naming the topic, not the URL). */
int kf_notify_new(struct kf_notify_params p, struct kf_store *st, struct kf_log *log,
                  struct kf_notify **out, struct kf_err *err);
void kf_notify_free(struct kf_notify *n); /* NULL is a no-op */

struct kf_notify_run {
    size_t claimed, sent, retried, failed;
};

/* Deliver the due rows (one batch). now_ms 0: the clock. Errors of single
 * deliveries are recorded on their rows, not returned; an error is a store
 * failure. */
int kf_notify_deliver(struct kf_notify *n, long long now_ms, struct kf_notify_run *run,
                      struct kf_err *err);

/* The delay before attempt number `attempts + 1`, after `attempts` failed
 * ones (>= 1): backoff_min_ms * 2^(attempts-1), at most backoff_max_ms. */
long long kf_notify_backoff_ms(const struct kf_notify_params *p, int attempts);

#endif
