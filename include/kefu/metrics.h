/*
 * metrics.h — in-process counters and histograms for GET /metrics
 * (Prometheus text format 0.0.4), and the threshold alert rules of
 * alerts.rules (docs/operations.md).
 *
 * How it fits: the server owns one struct kf_metrics (created with the
 * server, freed after it); request handlers and the scheduler bump it with
 * the one-line calls below, and /metrics renders it. Every label set is
 * fixed when the object is made — route classes, methods, status classes,
 * roles, handoff reasons, resolutions, error kinds, CSAT scores, and the
 * bot's own intents (given at kf_metrics_new) — so a label value never
 * comes from input: anything not in a set is counted as "other", and the
 * scrape stays small however many requests or odd values arrive.
 *
 * Concurrency: every counter is a C11 atomic updated with relaxed order;
 * no call takes a lock. A scrape reads counters one by one, so it may see a
 * request's count before its histogram bucket (Prometheus tolerates that).
 * The latency ring for alerts (one histogram per wall-clock minute, the
 * last 60 minutes) is recycled with a compare-and-swap on its minute; an
 * observation racing a recycle at a minute boundary can be lost — a few
 * samples out of a minute's, which a p95 does not notice.
 *
 * Every call taking a struct kf_metrics * accepts NULL and does nothing,
 * so code that runs without metrics (unit tests, the CLI) needs no checks.
 *
 * Ownership: kf_metrics_new copies the intent names; the caller keeps its
 * arrays. Rules parsed by kf_alert_rules_parse are plain values.
 */
#ifndef KEFU_METRICS_H
#define KEFU_METRICS_H

#include <stddef.h>

#include "kefu/buf.h"
#include "kefu/err.h"

struct kf_metrics;

#define KF_METRICS_MAX_INTENTS 128 /* intents beyond these count as "other" */
#define KF_METRICS_RING_MINUTES 60 /* the longest latency / error-rate window */

struct kf_metrics_params {
    const char *const *intents; /* the bot's intent labels (may be NULL) */
    size_t nintents;
    long long start_ms; /* process start, ms since the epoch (0: now) */
};

struct kf_metrics_params kf_metrics_default_params(void);
int kf_metrics_new(struct kf_metrics_params p, struct kf_metrics **out, struct kf_err *err);
void kf_metrics_free(struct kf_metrics *m); /* NULL is a no-op */

/* Route classes of kefu_http_request_duration_seconds (the server decides
 * which class a path is: server.c). */
enum kf_route_class {
    KF_ROUTE_CONVERSATION_MESSAGE, /* POST a customer message (a dialog turn) */
    KF_ROUTE_CONVERSATION_OTHER,   /* the rest of /api/v1/conversations */
    KF_ROUTE_BACKOFFICE,           /* the rest of /api/ */
    KF_ROUTE_STATIC,               /* files of the web root */
    KF_ROUTE_OTHER,                /* health, /metrics, webhooks, WebSocket */
    KF_ROUTE__COUNT
};

/* One HTTP request: its class, method (GET HEAD POST PUT PATCH DELETE, else
 * "other"), status and duration. now_ms (ms since the epoch; 0: the clock)
 * picks the minute of the alert ring. 5xx replies also count as
 * kefu_errors_total{kind="http_5xx"}. */
void kf_metrics_request(struct kf_metrics *m, enum kf_route_class rc, const char *method,
                        unsigned status, double seconds, long long now_ms);

/* Conversation counters. Unknown values are counted under "other".
 *  role:       customer bot agent system
 *  intent:     the bot's intents (kf_metrics_params.intents)
 *  reason:     customer_request repeated_failure flow backend_unavailable
 *              negative_streak low_confidence vip
 *  resolution: resolved unresolved escalated spam abandoned
 *  kind:       http_5xx store webhook alert scheduler */
void kf_metrics_message(struct kf_metrics *m, const char *role);
void kf_metrics_intent(struct kf_metrics *m, const char *intent);
void kf_metrics_fallback(struct kf_metrics *m); /* a not_sure reply */
void kf_metrics_handoff(struct kf_metrics *m, const char *reason);
void kf_metrics_resolution(struct kf_metrics *m, const char *resolution);
void kf_metrics_csat(struct kf_metrics *m, int score); /* 1..5; others ignored */
void kf_metrics_error(struct kf_metrics *m, const char *kind);
void kf_metrics_ws(struct kf_metrics *m, int delta); /* open (+1) / closed (-1) WebSockets */

/* The whole scrape, appended to out (text/plain; version=0.0.4). */
int kf_metrics_render(const struct kf_metrics *m, struct kf_buf *out);

/* Requests of the last window_s seconds (whole minutes, the current one
 * included; at most KF_METRICS_RING_MINUTES), from the ring. */
struct kf_metrics_window {
    unsigned long long requests;
    unsigned long long server_errors; /* 5xx */
    double p95_ms;                    /* 0 when no request */
};
void kf_metrics_window(const struct kf_metrics *m, long window_s, long long now_ms,
                       struct kf_metrics_window *out);

/* The q-quantile (0..1) of a histogram with cumulative-free bucket counts
 * counts[0..nb] (counts[nb] is +Inf) and upper bounds bounds[0..nb-1],
 * interpolated linearly inside its bucket as Prometheus' histogram_quantile
 * does; the +Inf bucket gives the largest finite bound. 0 when empty. */
double kf_metrics_quantile(const unsigned long long *counts, const double *bounds, size_t nb,
                           double q);

/* ---- alert rules (alerts.rules) --------------------------------------------
 * "METRIC OP NUMBER [over DURATION] [min N]" separated by ';', e.g.
 * "latency_p95_ms > 500 over 5m; resolution_rate < 0.70 over 1h".
 * OP: > >= < <=. DURATION: N s|m|h|d (default 5m; latency and error rate at
 * most 60m, the ring's length). min N: the fewest samples (requests,
 * conversations or ratings) the window needs before the rule is judged
 * (defaults by metric, kf_alert_default_min); queue_waiting is a current
 * count, its window unused. */
enum kf_alert_metric {
    KF_ALERT_LATENCY_P95_MS,
    KF_ALERT_ERROR_RATE, /* 5xx / requests */
    KF_ALERT_RESOLUTION_RATE,
    KF_ALERT_CONTAINMENT_RATE,
    KF_ALERT_CSAT_AVG,
    KF_ALERT_HANDOFF_RATE,
    KF_ALERT_QUEUE_WAITING,
    KF_ALERT__COUNT
};

enum kf_alert_op { KF_ALERT_GT, KF_ALERT_GE, KF_ALERT_LT, KF_ALERT_LE };

#define KF_ALERT_RULES_MAX 16
#define KF_ALERT_RULE_TEXT 128

struct kf_alert_rule {
    enum kf_alert_metric metric;
    enum kf_alert_op op;
    double threshold;
    long window_s;
    long long min_samples;
    char text[KF_ALERT_RULE_TEXT]; /* canonical: "resolution_rate < 0.7 over 1h" (the key) */
};

/* Parse spec into out[0..*n). Empty spec (or only spaces and ';'): *n = 0.
 * KF_ECONFIG naming the rule and what is wrong with it. */
int kf_alert_rules_parse(const char *spec, struct kf_alert_rule *out, size_t max, size_t *n,
                         struct kf_err *err);
const char *kf_alert_metric_name(enum kf_alert_metric metric);
const char *kf_alert_op_name(enum kf_alert_op op);
long long kf_alert_default_min(enum kf_alert_metric metric);
/* 1 when value breaches the rule (value OP threshold). */
int kf_alert_breaches(const struct kf_alert_rule *r, double value);

#endif
