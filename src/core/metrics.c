/*
 * metrics.c — counters, histograms and the Prometheus scrape (metrics.h),
 * and the parser of alerts.rules.
 *
 * Layout: plain arrays of _Atomic unsigned long long indexed by fixed label
 * sets (the enums and name tables below); nothing is allocated after
 * kf_metrics_new. Durations are kept in nanoseconds (integer atomics; a
 * double sum would need a CAS loop) and rendered as seconds.
 *
 * The alert ring: slot i holds the histogram of wall-clock minute M with
 * M % 60 == i. The first observation of a new minute swaps the slot's
 * minute (CAS) and zeroes its counts; readers take only slots whose minute
 * lies in the window.
 */
#include "kefu/metrics.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/mem.h"

typedef _Atomic unsigned long long counter_t;

/* seconds; the last bucket (+Inf) is implicit */
static const double lat_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25,  0.5,    1,     2.5,  5,     10};
#define NB (sizeof lat_bounds / sizeof lat_bounds[0])

static const char *const route_names[KF_ROUTE__COUNT] = {
    "conversation_message", "conversation_other", "backoffice", "static", "other"};
static const char *const method_names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                           "other"};
#define NMETHOD (sizeof method_names / sizeof method_names[0])
static const char *const code_names[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
static const char *const role_names[] = {"customer", "bot", "agent", "system", "other"};
static const char *const reason_names[] = {"customer_request", "repeated_failure", "flow",
                                           "backend_unavailable", "negative_streak",
                                           "low_confidence", "vip", "other"};
/* the console's resolution codes (agent.h) and the customer's own end */
static const char *const resolution_names[] = {"resolved",    "unresolved",     "duplicate", "spam",
                                               "no_response", "customer_ended", "other"};
static const char *const error_names[] = {"http_5xx", "store", "webhook", "alert", "scheduler",
                                          "other"};
#define COUNT(a) (sizeof a / sizeof a[0])

struct hist {
    counter_t buckets[NB + 1];
    counter_t sum_ns;
    counter_t count;
};

struct ring_slot {
    _Atomic long long minute; /* -1: never used */
    counter_t buckets[NB + 1];
    counter_t requests, server_errors;
};

struct kf_metrics {
    long long start_ms;
    struct hist http[KF_ROUTE__COUNT][NMETHOD];
    counter_t codes[COUNT(code_names)];
    counter_t messages[COUNT(role_names)];
    counter_t *intents; /* nintents + 1 ("other" last) */
    char **intent_names;
    size_t nintents;
    counter_t fallbacks;
    counter_t handoffs[COUNT(reason_names)];
    counter_t resolutions[COUNT(resolution_names)];
    counter_t csat[5];
    counter_t csat_sum;
    counter_t errors[COUNT(error_names)];
    _Atomic long long ws;
    struct ring_slot ring[KF_METRICS_RING_MINUTES];
};

static long long metrics__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct kf_metrics_params kf_metrics_default_params(void)
{
    return (struct kf_metrics_params){0};
}

void kf_metrics_free(struct kf_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nintents; i++)
        kf_free(m->intent_names[i]);
    kf_free(m->intent_names);
    kf_free((void *)m->intents);
    kf_free(m);
}

int kf_metrics_new(struct kf_metrics_params p, struct kf_metrics **out, struct kf_err *err)
{
    *out = NULL;
    size_t n = p.intents != NULL ? p.nintents : 0;
    if (n > KF_METRICS_MAX_INTENTS)
        n = KF_METRICS_MAX_INTENTS;
    struct kf_metrics *m = kf_calloc(1, sizeof *m);
    if (m == NULL)
        return kf_errorf(err, KF_ENOMEM, "metrics: out of memory");
    m->start_ms = p.start_ms > 0 ? p.start_ms : metrics__now_ms();
    m->intents = kf_calloc(n + 1, sizeof *m->intents);
    m->intent_names = kf_calloc(n + 1, sizeof *m->intent_names);
    if (m->intents == NULL || m->intent_names == NULL) {
        kf_metrics_free(m);
        return kf_errorf(err, KF_ENOMEM, "metrics: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = p.intents[i] ? p.intents[i] : "";
        /* duplicates and "other" would give two series of one name */
        int dup = strcmp(name, "other") == 0 || name[0] == '\0';
        for (size_t j = 0; j < m->nintents && !dup; j++)
            dup = strcmp(m->intent_names[j], name) == 0;
        if (dup)
            continue;
        size_t len = strnlen(name, 64);
        char *copy = kf_malloc(len + 1);
        if (copy == NULL) {
            kf_metrics_free(m);
            return kf_errorf(err, KF_ENOMEM, "metrics: out of memory");
        }
        memcpy(copy, name, len);
        copy[len] = '\0';
        m->intent_names[m->nintents++] = copy;
    }
    for (size_t i = 0; i < KF_METRICS_RING_MINUTES; i++)
        atomic_init(&m->ring[i].minute, -1);
    *out = m;
    return KF_OK;
}

/* ---- observations ---------------------------------------------------------- */

static void inc(counter_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static size_t label_index(const char *const *names, size_t n, const char *v)
{
    for (size_t i = 0; v != NULL && i + 1 < n; i++)
        if (strcmp(names[i], v) == 0)
            return i;
    return n - 1; /* "other" */
}

static size_t bucket_of(double seconds)
{
    size_t b = 0;
    while (b < NB && seconds > lat_bounds[b])
        b++;
    return b;
}

static struct ring_slot *ring_slot_for(struct kf_metrics *m, long long minute)
{
    struct ring_slot *s = &m->ring[minute % KF_METRICS_RING_MINUTES];
    long long cur = atomic_load_explicit(&s->minute, memory_order_acquire);
    if (cur == minute)
        return s;
    if (cur > minute)
        return NULL; /* an observation from a minute already recycled */
    if (atomic_compare_exchange_strong(&s->minute, &cur, minute)) {
        for (size_t i = 0; i <= NB; i++)
            atomic_store_explicit(&s->buckets[i], 0, memory_order_relaxed);
        atomic_store_explicit(&s->requests, 0, memory_order_relaxed);
        atomic_store_explicit(&s->server_errors, 0, memory_order_relaxed);
        return s;
    }
    return cur == minute ? s : NULL; /* another thread moved it on */
}

void kf_metrics_request(struct kf_metrics *m, enum kf_route_class rc, const char *method,
                        unsigned status, double seconds, long long now_ms)
{
    if (m == NULL)
        return;
    if ((unsigned)rc >= KF_ROUTE__COUNT)
        rc = KF_ROUTE_OTHER;
    if (!(seconds >= 0)) /* NaN too */
        seconds = 0;
    size_t b = bucket_of(seconds);
    struct hist *h = &m->http[rc][label_index(method_names, NMETHOD, method)];
    inc(&h->buckets[b]);
    inc(&h->count);
    double ns = seconds * 1e9;
    atomic_fetch_add_explicit(&h->sum_ns, ns < 1e18 ? (unsigned long long)ns : 0ULL,
                              memory_order_relaxed);
    unsigned cls = status / 100;
    if (cls >= 1 && cls <= 5)
        inc(&m->codes[cls - 1]);
    if (cls == 5)
        inc(&m->errors[0]);
    long long minute = (now_ms > 0 ? now_ms : metrics__now_ms()) / 60000;
    struct ring_slot *s = ring_slot_for(m, minute);
    if (s != NULL) {
        inc(&s->buckets[b]);
        inc(&s->requests);
        if (cls == 5)
            inc(&s->server_errors);
    }
}

void kf_metrics_message(struct kf_metrics *m, const char *role)
{
    if (m != NULL)
        inc(&m->messages[label_index(role_names, COUNT(role_names), role)]);
}

void kf_metrics_intent(struct kf_metrics *m, const char *intent)
{
    if (m == NULL)
        return;
    size_t i = 0;
    while (intent != NULL && i < m->nintents && strcmp(m->intent_names[i], intent) != 0)
        i++;
    inc(&m->intents[intent != NULL ? i : m->nintents]);
}

void kf_metrics_fallback(struct kf_metrics *m)
{
    if (m != NULL)
        inc(&m->fallbacks);
}

void kf_metrics_handoff(struct kf_metrics *m, const char *reason)
{
    if (m != NULL)
        inc(&m->handoffs[label_index(reason_names, COUNT(reason_names), reason)]);
}

void kf_metrics_resolution(struct kf_metrics *m, const char *resolution)
{
    if (m != NULL)
        inc(&m->resolutions[label_index(resolution_names, COUNT(resolution_names), resolution)]);
}

void kf_metrics_csat(struct kf_metrics *m, int score)
{
    if (m == NULL || score < 1 || score > 5)
        return;
    inc(&m->csat[score - 1]);
    atomic_fetch_add_explicit(&m->csat_sum, (unsigned long long)score, memory_order_relaxed);
}

void kf_metrics_error(struct kf_metrics *m, const char *kind)
{
    if (m != NULL)
        inc(&m->errors[label_index(error_names, COUNT(error_names), kind)]);
}

void kf_metrics_ws(struct kf_metrics *m, int delta)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->ws, delta, memory_order_relaxed);
}

/* ---- reading --------------------------------------------------------------- */

static unsigned long long get(const counter_t *c)
{
    return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

double kf_metrics_quantile(const unsigned long long *counts, const double *bounds, size_t nb,
                           double q)
{
    unsigned long long total = 0;
    for (size_t i = 0; i <= nb; i++)
        total += counts[i];
    if (total == 0 || nb == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double rank = q * (double)total;
    unsigned long long below = 0;
    for (size_t i = 0; i <= nb; i++) {
        if (counts[i] > 0 && (double)(below + counts[i]) >= rank) {
            if (i == nb)
                return bounds[nb - 1];
            double lo = i == 0 ? 0 : bounds[i - 1];
            return lo + (bounds[i] - lo) * ((rank - (double)below) / (double)counts[i]);
        }
        below += counts[i];
    }
    return bounds[nb - 1];
}

void kf_metrics_window(const struct kf_metrics *m, long window_s, long long now_ms,
                       struct kf_metrics_window *out)
{
    memset(out, 0, sizeof *out);
    if (m == NULL)
        return;
    long long now_min = (now_ms > 0 ? now_ms : metrics__now_ms()) / 60000;
    long long span = (window_s + 59) / 60; /* minutes, the current one included */
    if (span < 1)
        span = 1;
    if (span > KF_METRICS_RING_MINUTES)
        span = KF_METRICS_RING_MINUTES;
    unsigned long long counts[NB + 1] = {0};
    for (size_t i = 0; i < KF_METRICS_RING_MINUTES; i++) {
        const struct ring_slot *s = &m->ring[i];
        long long minute = atomic_load_explicit((_Atomic long long *)&s->minute,
                                                memory_order_acquire);
        if (minute < 0 || minute > now_min || minute <= now_min - span)
            continue;
        for (size_t b = 0; b <= NB; b++)
            counts[b] += get(&s->buckets[b]);
        out->requests += get(&s->requests);
        out->server_errors += get(&s->server_errors);
    }
    out->p95_ms = kf_metrics_quantile(counts, lat_bounds, NB, 0.95) * 1000;
}

/* ---- the scrape ------------------------------------------------------------ */

/* A label value in the exposition format: \ " and newline escaped. */
static int put_label(struct kf_buf *b, const char *v)
{
    int rc = KF_OK;
    for (const char *p = v; *p != '\0' && rc == KF_OK; p++) {
        if (*p == '\\' || *p == '"')
            rc = kf_buf_appendc(b, '\\') == KF_OK ? kf_buf_appendc(b, *p) : KF_ETOOBIG;
        else if (*p == '\n')
            rc = kf_buf_appends(b, "\\n");
        else
            rc = kf_buf_appendc(b, *p);
    }
    return rc;
}

static int put_head(struct kf_buf *b, const char *name, const char *type, const char *help)
{
    return kf_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int put_family(struct kf_buf *b, const char *name, const char *help, const char *label,
                      const char *const *names, const counter_t *v, size_t n)
{
    int rc = put_head(b, name, "counter", help);
    for (size_t i = 0; i < n && rc == KF_OK; i++) {
        rc = kf_buf_appendf(b, "%s{%s=\"", name, label);
        if (rc == KF_OK)
            rc = put_label(b, names[i]);
        if (rc == KF_OK)
            rc = kf_buf_appendf(b, "\"} %llu\n", get(&v[i]));
    }
    return rc;
}

static int put_http(const struct kf_metrics *m, struct kf_buf *b)
{
    static const char name[] = "kefu_http_request_duration_seconds";
    int rc = put_head(b, name, "histogram", "HTTP request latency by route class and method.");
    for (size_t r = 0; r < KF_ROUTE__COUNT && rc == KF_OK; r++)
        for (size_t k = 0; k < NMETHOD && rc == KF_OK; k++) {
            const struct hist *h = &m->http[r][k];
            unsigned long long count = get(&h->count);
            if (count == 0)
                continue; /* a series appears with its first request */
            unsigned long long cum = 0;
            for (size_t i = 0; i <= NB && rc == KF_OK; i++) {
                cum += get(&h->buckets[i]);
                char le[32];
                if (i < NB)
                    snprintf(le, sizeof le, "%g", lat_bounds[i]);
                else
                    snprintf(le, sizeof le, "+Inf");
                rc = kf_buf_appendf(b, "%s_bucket{route=\"%s\",method=\"%s\",le=\"%s\"} %llu\n",
                                    name, route_names[r], method_names[k], le, cum);
            }
            if (rc == KF_OK)
                rc = kf_buf_appendf(b, "%s_sum{route=\"%s\",method=\"%s\"} %.9f\n", name,
                                    route_names[r], method_names[k],
                                    (double)get(&h->sum_ns) / 1e9);
            if (rc == KF_OK)
                rc = kf_buf_appendf(b, "%s_count{route=\"%s\",method=\"%s\"} %llu\n", name,
                                    route_names[r], method_names[k], count);
        }
    return rc;
}

int kf_metrics_render(const struct kf_metrics *m, struct kf_buf *b)
{
    if (m == NULL)
        return KF_OK;
    static const char *const scores[] = {"1", "2", "3", "4", "5"};
    const char *inames[KF_METRICS_MAX_INTENTS + 1];
    for (size_t i = 0; i < m->nintents; i++)
        inames[i] = m->intent_names[i];
    inames[m->nintents] = "other";
    int rc = put_http(m, b);
    if (rc == KF_OK)
        rc = put_family(b, "kefu_http_requests_total", "HTTP requests by status class.",
                        "code_class", code_names, m->codes, COUNT(code_names));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_messages_total", "Conversation messages written, by author.",
                        "role", role_names, m->messages, COUNT(role_names));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_intents_total", "Customer messages by the intent understood.",
                        "intent", inames, m->intents, m->nintents + 1);
    if (rc == KF_OK)
        rc = put_head(b, "kefu_fallbacks_total", "counter",
                      "Bot replies that were not sure (not_sure).");
    if (rc == KF_OK)
        rc = kf_buf_appendf(b, "kefu_fallbacks_total %llu\n", get(&m->fallbacks));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_handoffs_total", "Hand-offs to a human, by reason.", "reason",
                        reason_names, m->handoffs, COUNT(reason_names));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_resolutions_total", "Conversations closed, by resolution.",
                        "resolution", resolution_names, m->resolutions,
                        COUNT(resolution_names));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_csat_total", "CSAT ratings, by score.", "score", scores, m->csat,
                        5);
    if (rc == KF_OK)
        rc = put_head(b, "kefu_csat_sum", "counter", "Sum of all CSAT scores.");
    if (rc == KF_OK)
        rc = kf_buf_appendf(b, "kefu_csat_sum %llu\n", get(&m->csat_sum));
    if (rc == KF_OK)
        rc = put_family(b, "kefu_errors_total", "Errors, by kind.", "kind", error_names,
                        m->errors, COUNT(error_names));
    if (rc == KF_OK)
        rc = put_head(b, "kefu_ws_connections", "gauge", "Open WebSocket connections.");
    if (rc == KF_OK)
        rc = kf_buf_appendf(b, "kefu_ws_connections %lld\n",
                            atomic_load_explicit((_Atomic long long *)&m->ws,
                                                 memory_order_relaxed));
    if (rc == KF_OK)
        rc = put_head(b, "process_start_time_seconds", "gauge",
                      "Start time of the process since the epoch, in seconds.");
    if (rc == KF_OK)
        rc = kf_buf_appendf(b, "process_start_time_seconds %lld.%03lld\n", m->start_ms / 1000,
                            m->start_ms % 1000);
    return rc;
}

/* ---- alert rules ------------------------------------------------------------ */

static const char *const alert_metric_names[KF_ALERT__COUNT] = {
    "latency_p95_ms",   "error_rate", "resolution_rate", "containment_rate",
    "csat_avg",         "handoff_rate", "queue_waiting"};
static const char *const alert_op_names[] = {">", ">=", "<", "<="};

const char *kf_alert_metric_name(enum kf_alert_metric metric)
{
    return (unsigned)metric < KF_ALERT__COUNT ? alert_metric_names[metric] : "?";
}

const char *kf_alert_op_name(enum kf_alert_op op)
{
    return (unsigned)op < COUNT(alert_op_names) ? alert_op_names[op] : "?";
}

long long kf_alert_default_min(enum kf_alert_metric metric)
{
    switch (metric) {
    case KF_ALERT_LATENCY_P95_MS:
    case KF_ALERT_ERROR_RATE:
        return 20; /* requests */
    case KF_ALERT_RESOLUTION_RATE:
    case KF_ALERT_CONTAINMENT_RATE:
    case KF_ALERT_HANDOFF_RATE:
        return 10; /* conversations */
    case KF_ALERT_CSAT_AVG:
        return 5; /* ratings */
    default:
        return 0;
    }
}

int kf_alert_breaches(const struct kf_alert_rule *r, double value)
{
    switch (r->op) {
    case KF_ALERT_GT:
        return value > r->threshold;
    case KF_ALERT_GE:
        return value >= r->threshold;
    case KF_ALERT_LT:
        return value < r->threshold;
    case KF_ALERT_LE:
        return value <= r->threshold;
    }
    return 0;
}

/* The next word of s (after spaces) into w; returns the position after it. */
static const char *next_word(const char *s, char *w, size_t cap)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    while (*s != '\0' && *s != ' ' && *s != '\t') {
        if (n + 1 < cap)
            w[n++] = *s;
        s++;
    }
    w[n] = '\0';
    return s;
}

/* "30s" "5m" "1h" "2d" → seconds; -1 when not one. */
static long parse_duration(const char *w)
{
    char *end;
    errno = 0;
    long v = strtol(w, &end, 10);
    if (end == w || errno != 0 || v <= 0 || v > 1000000 || end[1] != '\0')
        return -1;
    switch (*end) {
    case 's':
        return v;
    case 'm':
        return v * 60;
    case 'h':
        return v * 3600;
    case 'd':
        return v <= 366 ? v * 86400 : -1;
    default:
        return -1;
    }
}

static void duration_text(long s, char *out, size_t cap)
{
    if (s % 86400 == 0)
        snprintf(out, cap, "%ldd", s / 86400);
    else if (s % 3600 == 0)
        snprintf(out, cap, "%ldh", s / 3600);
    else if (s % 60 == 0)
        snprintf(out, cap, "%ldm", s / 60);
    else
        snprintf(out, cap, "%lds", s);
}

static int parse_rule(const char *rule, struct kf_alert_rule *r, struct kf_err *err)
{
    char w[64];
    memset(r, 0, sizeof *r);
    const char *p = next_word(rule, w, sizeof w);
    size_t i = 0;
    while (i < KF_ALERT__COUNT && strcmp(alert_metric_names[i], w) != 0)
        i++;
    if (i == KF_ALERT__COUNT)
        return kf_errorf(err, KF_ECONFIG,
                         "alerts.rules: '%s': unknown metric '%s' (latency_p95_ms, error_rate, "
                         "resolution_rate, containment_rate, csat_avg, handoff_rate, "
                         "queue_waiting)",
                         rule, w);
    r->metric = (enum kf_alert_metric)i;
    p = next_word(p, w, sizeof w);
    for (i = 0; i < COUNT(alert_op_names) && strcmp(alert_op_names[i], w) != 0; i++)
        ;
    if (i == COUNT(alert_op_names))
        return kf_errorf(err, KF_ECONFIG,
                         "alerts.rules: '%s': expected an operator (> >= < <=) after the metric",
                         rule);
    r->op = (enum kf_alert_op)i;
    p = next_word(p, w, sizeof w);
    char *end;
    errno = 0;
    r->threshold = strtod(w, &end);
    if (w[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(r->threshold))
        return kf_errorf(err, KF_ECONFIG, "alerts.rules: '%s': expected a number after '%s'",
                         rule, alert_op_names[r->op]);
    r->window_s = 300;
    r->min_samples = kf_alert_default_min(r->metric);
    for (;;) {
        p = next_word(p, w, sizeof w);
        if (w[0] == '\0')
            break;
        if (strcmp(w, "over") == 0) {
            p = next_word(p, w, sizeof w);
            r->window_s = parse_duration(w);
            if (r->window_s < 0)
                return kf_errorf(err, KF_ECONFIG,
                                 "alerts.rules: '%s': expected a duration after 'over' "
                                 "(30s, 5m, 1h, 1d)",
                                 rule);
        } else if (strcmp(w, "min") == 0) {
            p = next_word(p, w, sizeof w);
            errno = 0;
            long long v = strtoll(w, &end, 10);
            if (w[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 1000000000)
                return kf_errorf(err, KF_ECONFIG,
                                 "alerts.rules: '%s': expected a count after 'min'", rule);
            r->min_samples = v;
        } else {
            return kf_errorf(err, KF_ECONFIG,
                             "alerts.rules: '%s': unexpected '%s' (expected 'over DURATION' or "
                             "'min N')",
                             rule, w);
        }
    }
    if ((r->metric == KF_ALERT_LATENCY_P95_MS || r->metric == KF_ALERT_ERROR_RATE) &&
        r->window_s > KF_METRICS_RING_MINUTES * 60)
        return kf_errorf(err, KF_ECONFIG,
                         "alerts.rules: '%s': %s is measured in-process over at most %dm", rule,
                         alert_metric_names[r->metric], KF_METRICS_RING_MINUTES);
    char d[32];
    duration_text(r->window_s, d, sizeof d);
    snprintf(r->text, sizeof r->text, "%s %s %g over %s", alert_metric_names[r->metric],
             alert_op_names[r->op], r->threshold, d);
    return KF_OK;
}

int kf_alert_rules_parse(const char *spec, struct kf_alert_rule *out, size_t max, size_t *n,
                         struct kf_err *err)
{
    *n = 0;
    if (spec == NULL)
        return KF_OK;
    const char *p = spec;
    while (*p != '\0') {
        size_t len = strcspn(p, ";");
        char rule[256];
        /* trim */
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        p += len + (p[len] == ';');
        if (e == s)
            continue;
        if ((size_t)(e - s) >= sizeof rule)
            return kf_errorf(err, KF_ECONFIG, "alerts.rules: a rule longer than %zu bytes: '%.40s...'",
                             sizeof rule - 1, s);
        memcpy(rule, s, (size_t)(e - s));
        rule[e - s] = '\0';
        if (*n == max)
            return kf_errorf(err, KF_ECONFIG, "alerts.rules: more than %zu rules", max);
        int rc = parse_rule(rule, &out[*n], err);
        if (rc != KF_OK)
            return rc;
        for (size_t i = 0; i < *n; i++)
            if (strcmp(out[i].text, out[*n].text) == 0)
                return kf_errorf(err, KF_ECONFIG, "alerts.rules: '%s' is given twice", rule);
        (*n)++;
    }
    return KF_OK;
}
