/*
 * scheduler.c — the server's campaign scheduler (scheduler.h).
 *
 * The thread sleeps on a condition variable with a CLOCK_MONOTONIC deadline
 * (a wall-clock jump neither fires nor starves it); sched_stop sets `stop`
 * and signals, so shutdown waits at most for the run in progress. A run's
 * errors are logged and the next run tries again: the scheduler never stops
 * the server.
 *
 * Jobs and their deadlines (monotonic ms): campaigns every interval_s,
 * alert rules every alerts.interval_s, webhook deliveries every
 * outbox_interval_ms; the thread sleeps until the nearest and runs every job
 * that is due, deliveries first (they are the ones a person waits for).
 *
 * Alert evaluation is stateless across restarts: whether a rule is firing
 * is read from the alerts table, so a restarted server resolves an alert
 * that stopped breaching while it was down, and never opens a second row
 * for a rule that is still firing. A window with fewer samples than the
 * rule's minimum changes nothing (an idle night neither fires "resolution
 * rate < 0.7" on zero conversations nor resolves a real alert for lack of
 * data). A firing alert whose rule left alerts.rules is resolved.
 */
#include "scheduler.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "kefu/campaign.h"
#include "kefu/events.h"
#include "kefu/mem.h"
#include "kefu/notify.h"
#include "kefu/ops.h"

struct sched {
    struct sched_params p;
    struct kf_campaigns *campaigns; /* NULL: none */
    struct kf_notify *notify;
    struct kf_alert_rule rules[KF_ALERT_RULES_MAX];
    size_t nrules;
    long alerts_interval_s; /* 0: rules not evaluated */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    long long last_rebuild; /* monotonic ms of the last profile rebuild; 0: none */
};

static long long sched__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "birthday sent 1, skipped_cap 2; win_back nothing" */
static void sched__summary(const struct kf_campaign_run *r, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n && n < cap; i++) {
        const struct kf_campaign_tally *t = &r->tallies[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%s:", i ? "; " : "", t->campaign);
        int any = 0;
        for (int o = 0; o < KF_CO__COUNT && n < cap; o++)
            if (t->counts[o] > 0) {
                n += (size_t)snprintf(out + n, cap - n, " %s %lld",
                                      kf_campaign_outcome_name((enum kf_campaign_outcome)o),
                                      t->counts[o]);
                any = 1;
            }
        if (!any && n < cap)
            n += (size_t)snprintf(out + n, cap - n, " nothing (%lld candidates)", t->candidates);
    }
}

/* Refold every profile when the rebuild interval has passed. */
static void sched__rebuild_due(struct sched *s)
{
    long long t0 = sched__mono_ms();
    if (s->p.rebuild_interval_s <= 0 ||
        (s->last_rebuild != 0 && t0 - s->last_rebuild < s->p.rebuild_interval_s * 1000LL))
        return;
    struct kf_rebuild_stats st = {0};
    struct kf_err err = {0};
    if (kf_profiles_rebuild(s->p.store, 0, NULL, NULL, &st, &err) != KF_OK) {
        KF_WARN(s->p.log, "profiles", "rebuild failed: %s", err.msg);
        return;
    }
    s->last_rebuild = sched__mono_ms();
    KF_INFO(s->p.log, "profiles", "rebuilt %lld profiles from %lld events (%lld ms)",
            st.customers, st.events, s->last_rebuild - t0);
}

static void sched__run_once(struct sched *s)
{
    sched__rebuild_due(s);
    long long t0 = sched__mono_ms(), added = 0;
    struct kf_err err = {0};
    if (kf_events_sync_shop(s->p.store, 0, &added, &err) != KF_OK)
        KF_WARN(s->p.log, "campaigns", "shop sync failed: %s", err.msg);
    struct kf_campaign_run_params rp = kf_campaign_default_run_params();
    rp.max_per_campaign = s->p.max_per_run;
    rp.preview = 0;
    struct kf_campaign_run r;
    memset(&err, 0, sizeof err);
    int rc = kf_campaigns_run(s->p.store, s->campaigns, rp, &r, &err);
    char summary[1024];
    sched__summary(&r, summary, sizeof summary);
    if (rc != KF_OK)
        KF_WARN(s->p.log, "campaigns", "run failed: %s (so far: %s)", err.msg, summary);
    else
        KF_INFO(s->p.log, "campaigns", "run%s: %s; %lld shop events synced (%lld ms)",
                r.quiet ? " in quiet hours" : "", summary, added, sched__mono_ms() - t0);
    kf_campaign_run_release(&r);
}

/* ---- alerts ------------------------------------------------------------- */

static long long sched__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A rule's current value and how many samples it rests on; -1 on a store
 * error (logged). */
static int sched__measure(struct sched *s, const struct kf_alert_rule *rule, long long now,
                          double *value, long long *samples)
{
    struct kf_err err = {0};
    *value = 0;
    *samples = 0;
    if (rule->metric == KF_ALERT_LATENCY_P95_MS || rule->metric == KF_ALERT_ERROR_RATE) {
        struct kf_metrics_window w;
        kf_metrics_window(s->p.metrics, rule->window_s, now, &w);
        *samples = (long long)w.requests;
        *value = rule->metric == KF_ALERT_LATENCY_P95_MS
                     ? w.p95_ms
                     : (w.requests ? (double)w.server_errors / (double)w.requests : 0);
        return 0;
    }
    if (rule->metric == KF_ALERT_QUEUE_WAITING) {
        long long n = 0;
        if (kf_ops_queue_waiting(s->p.store, &n, &err) != KF_OK) {
            KF_WARN(s->p.log, "alerts", "%s: %s", rule->text, err.msg);
            return -1;
        }
        *value = (double)n;
        *samples = 1LL << 62; /* a count now: always judged */
        return 0;
    }
    struct kf_ops_stats st;
    if (kf_ops_stats(s->p.store, now - rule->window_s * 1000LL, now + 1, &st, &err) != KF_OK) {
        KF_WARN(s->p.log, "alerts", "%s: %s", rule->text, err.msg);
        return -1;
    }
    long long conv = st.conversations;
    *samples = conv;
    switch (rule->metric) {
    case KF_ALERT_RESOLUTION_RATE:
        *value = conv ? (double)st.resolved / (double)conv : 0;
        break;
    case KF_ALERT_CONTAINMENT_RATE:
        *value = conv ? (double)st.contained / (double)conv : 0;
        break;
    case KF_ALERT_HANDOFF_RATE:
        *value = conv ? (double)st.handed_off / (double)conv : 0;
        break;
    case KF_ALERT_CSAT_AVG:
        *value = st.csat_avg;
        *samples = st.csat_n;
        break;
    default:
        break;
    }
    return 0;
}

/* The outbox row, the live event and the log line of an alert's change. */
static void sched__announce(struct sched *s, const char *state, long long id, const char *rule,
                            const char *metric, double value, double threshold,
                            const char *message, long long now)
{
    char at[32];
    kf_time_iso8601(now, at);
    json_t *ev = json_pack("{s:s,s:s,s:I,s:s,s:s,s:f,s:f,s:s,s:s}", "type", "alert", "state",
                           state, "id", (json_int_t)id, "rule", rule, "metric", metric, "value",
                           value, "threshold", threshold, "message", message, "at", at);
    if (ev == NULL)
        return;
    char *payload = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(10));
    struct kf_err err = {0};
    long long oid;
    if (payload == NULL || kf_ops_outbox_add(s->p.store, "alert", payload, now, &oid, &err) != KF_OK)
        KF_WARN(s->p.log, "alerts", "alert #%lld: outbox: %s", id,
                payload ? err.msg : "out of memory");
    free(payload);
    if (s->p.srv != NULL)
        http_publish(s->p.srv, "agents", ev);
    json_decref(ev);
}

static void sched__judge(struct sched *s, const struct kf_alert_rule *rule, int firing,
                         long long now)
{
    double value;
    long long samples;
    if (sched__measure(s, rule, now, &value, &samples) < 0) {
        kf_metrics_error(s->p.metrics, "alert");
        return;
    }
    if (samples < rule->min_samples)
        return; /* too little data to judge: no change */
    int breach = kf_alert_breaches(rule, value);
    struct kf_err err = {0};
    long long id = 0;
    const char *metric = kf_alert_metric_name(rule->metric);
    char msg[256];
    if (breach && !firing) {
        snprintf(msg, sizeof msg, "%s is %.4g (%s %g; window %lds, %lld samples)", metric, value,
                 kf_alert_op_name(rule->op), rule->threshold, rule->window_s,
                 samples == 1LL << 62 ? 1 : samples);
        if (kf_ops_alert_fire(s->p.store, rule->text, value, rule->threshold, msg, now, &id,
                              &err) != KF_OK) {
            KF_WARN(s->p.log, "alerts", "%s: %s", rule->text, err.msg);
            return;
        }
        if (id > 0) {
            KF_WARN(s->p.log, "alerts", "firing #%lld [%s]: %s", id, rule->text, msg);
            sched__announce(s, "firing", id, rule->text, metric, value, rule->threshold, msg, now);
        }
    } else if (!breach && firing) {
        snprintf(msg, sizeof msg, "%s is %.4g again (rule: %s)", metric, value, rule->text);
        if (kf_ops_alert_resolve(s->p.store, rule->text, value, now, &id, &err) != KF_OK) {
            KF_WARN(s->p.log, "alerts", "%s: %s", rule->text, err.msg);
            return;
        }
        if (id > 0) {
            KF_INFO(s->p.log, "alerts", "resolved #%lld [%s]: %s", id, rule->text, msg);
            sched__announce(s, "resolved", id, rule->text, metric, value, rule->threshold, msg,
                            now);
        }
    }
}

static void sched__alerts(struct sched *s)
{
    long long now = sched__wall_ms();
    json_t *firing = NULL;
    struct kf_err err = {0};
    if (kf_ops_alerts_firing(s->p.store, &firing, &err) != KF_OK) {
        KF_WARN(s->p.log, "alerts", "cannot read the alerts: %s", err.msg);
        kf_metrics_error(s->p.metrics, "alert");
        return;
    }
    for (size_t i = 0; i < s->nrules; i++) {
        int on = 0;
        for (size_t k = 0; k < json_array_size(firing) && !on; k++)
            on = strcmp(json_string_value(json_array_get(firing, k)), s->rules[i].text) == 0;
        sched__judge(s, &s->rules[i], on, now);
    }
    /* alerts of rules no longer configured */
    for (size_t k = 0; k < json_array_size(firing); k++) {
        const char *text = json_string_value(json_array_get(firing, k));
        int known = 0;
        for (size_t i = 0; i < s->nrules && !known; i++)
            known = strcmp(text, s->rules[i].text) == 0;
        long long id = 0;
        if (!known && kf_ops_alert_resolve(s->p.store, text, 0, now, &id, &err) == KF_OK &&
            id > 0)
            KF_INFO(s->p.log, "alerts", "resolved #%lld [%s]: the rule left alerts.rules", id,
                    text);
    }
    json_decref(firing);
}

static void sched__deliver(struct sched *s)
{
    struct kf_notify_run run;
    struct kf_err err = {0};
    if (kf_notify_deliver(s->notify, 0, &run, &err) != KF_OK) {
        KF_WARN(s->p.log, "webhook", "delivery run failed: %s", err.msg);
        kf_metrics_error(s->p.metrics, "webhook");
        return;
    }
    for (size_t i = 0; i < run.retried + run.failed; i++)
        kf_metrics_error(s->p.metrics, "webhook");
}

/* The message events the turns queued, into the stored profiles (events.h
 * kf_profiles_fold_pending), 500 customers a transaction so turns wait on
 * the writer for one short transaction at a time. */
static void sched__fold(struct sched *s)
{
    struct kf_err err = {0};
    for (int folded = 500, rounds = 0; folded == 500 && rounds < 100; rounds++) {
        if (kf_profiles_fold_pending(s->p.store, 500, 0, &folded, &err) != KF_OK) {
            KF_WARN(s->p.log, "profiles", "folding queued events failed: %s", err.msg);
            return;
        }
    }
}

static long long sched__min(long long a, long long b)
{
    return a < b ? a : b;
}

static void *sched__main(void *arg)
{
    struct sched *s = arg;
    const long long never = LLONG_MAX / 2;
    long long now = sched__mono_ms();
    long long outbox_ms = s->p.outbox_interval_ms > 0 ? s->p.outbox_interval_ms : 2000;
    long long next_camp = s->campaigns ? now + s->p.interval_s * 1000 : never;
    long long next_alert = s->nrules > 0 && s->alerts_interval_s > 0
                               ? now + s->alerts_interval_s * 1000
                               : never;
    long long next_outbox = now + outbox_ms;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        long long due = sched__min(next_outbox, sched__min(next_alert, next_camp));
        struct timespec ts = {.tv_sec = (time_t)(due / 1000), .tv_nsec = (due % 1000) * 1000000};
        while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        now = sched__mono_ms();
        if (now >= next_outbox) {
            sched__fold(s);
            sched__deliver(s);
            next_outbox = sched__mono_ms() + outbox_ms;
        }
        if (now >= next_alert) {
            sched__alerts(s);
            next_alert = sched__mono_ms() + s->alerts_interval_s * 1000;
        }
        if (now >= next_camp) {
            sched__run_once(s);
            next_camp = sched__mono_ms() + s->p.interval_s * 1000;
        }
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int sched__init_sync(struct sched *s)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = pthread_cond_init(&s->wake, &ca) != 0;
    pthread_condattr_destroy(&ca);
    if (bad)
        return -1;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_cond_destroy(&s->wake);
        return -1;
    }
    return 0;
}

/* The alert rules and the webhook deliverer of the configuration. */
static int sched__ops_setup(struct sched *s, struct kf_err *err)
{
    struct kf_config def = kf_config_default();
    const struct kf_config *cfg = s->p.config ? s->p.config : &def;
    int rc = kf_alert_rules_parse(cfg->alert_rules, s->rules, KF_ALERT_RULES_MAX, &s->nrules, err);
    if (rc != KF_OK)
        return rc;
    s->alerts_interval_s = cfg->alerts_interval_s;
    struct kf_notify_params np = kf_notify_default_params();
    np.targets[0] = (struct kf_notify_target){.topic = "alert", .url = cfg->alerts_webhook_url};
    np.targets[1] = (struct kf_notify_target){.topic = "churn_alert",
                                              .url = cfg->churn_webhook_url};
    np.ntargets = 2;
    rc = kf_notify_new(np, s->p.store, s->p.log, &s->notify, err);
    if (rc == KF_ECONFIG) /* name the setting, never the URL */
        kf_errorf(err, KF_ECONFIG, "%s: not an http:// or https:// URL",
                  strstr(err->msg, "'alert'") ? "alerts.webhook_url" : "churn.webhook_url");
    if (rc != KF_OK)
        return rc;
    KF_INFO(s->p.log, "alerts", "%zu alert rules, evaluated every %ld s; webhooks: alert %s, "
            "churn_alert %s", s->nrules, s->alerts_interval_s,
            cfg->alerts_webhook_url[0] ? "configured" : "none (rows wait)",
            cfg->churn_webhook_url[0] ? "configured" : "none (rows wait)");
    return KF_OK;
}

int sched_start(const struct sched_params *p, struct sched **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_campaigns *c = NULL;
    if (p->campaigns_path != NULL && p->interval_s > 0) {
        int rc = kf_campaigns_load(p->campaigns_path, &c, err);
        if (rc == KF_ENOTFOUND) {
            KF_INFO(p->log, "campaigns", "%s not found: no campaigns scheduled",
                    p->campaigns_path);
            c = NULL;
        } else if (rc != KF_OK) {
            return rc;
        }
    }
    struct sched *s = kf_calloc(1, sizeof *s);
    if (s == NULL || sched__init_sync(s) != 0) {
        kf_free(s);
        kf_campaigns_free(c);
        return kf_errorf(err, KF_ENOMEM, "scheduler: cannot set up its lock");
    }
    s->p = *p;
    s->campaigns = c;
    int rc = sched__ops_setup(s, err);
    if (rc != KF_OK) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        kf_campaigns_free(c);
        kf_free(s);
        return rc;
    }
    if (pthread_create(&s->thread, NULL, sched__main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        kf_notify_free(s->notify);
        kf_campaigns_free(c);
        kf_free(s);
        return kf_errorf(err, KF_EIO, "scheduler: cannot start its thread");
    }
    if (c != NULL)
        KF_INFO(p->log, "campaigns", "%zu campaigns from %s, run every %ld s",
                kf_campaigns_count(c), p->campaigns_path, p->interval_s);
    *out = s;
    return KF_OK;
}

void sched_stop(struct sched *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    kf_campaigns_free(s->campaigns);
    kf_notify_free(s->notify);
    kf_free(s);
}
