/*
 * scheduler.c — the server's campaign scheduler (scheduler.h).
 *
 * The thread sleeps on a condition variable with a CLOCK_MONOTONIC deadline
 * (a wall-clock jump neither fires nor starves it); sched_stop sets `stop`
 * and signals, so shutdown waits at most for the run in progress. A run's
 * errors are logged and the next run tries again: the scheduler never stops
 * the server.
 */
#include "scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kefu/campaign.h"
#include "kefu/events.h"
#include "kefu/mem.h"

struct sched {
    struct sched_params p;
    struct kf_campaigns *campaigns;
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

static void *sched__main(void *arg)
{
    struct sched *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        long long due = sched__mono_ms() + s->p.interval_s * 1000;
        struct timespec ts = {.tv_sec = (time_t)(due / 1000), .tv_nsec = (due % 1000) * 1000000};
        while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        sched__run_once(s);
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

int sched_start(const struct sched_params *p, struct sched **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_campaigns *c = NULL;
    int rc = kf_campaigns_load(p->campaigns_path, &c, err);
    if (rc == KF_ENOTFOUND) {
        KF_INFO(p->log, "campaigns", "%s not found: no campaigns scheduled", p->campaigns_path);
        return KF_OK;
    }
    if (rc != KF_OK)
        return rc;
    struct sched *s = kf_calloc(1, sizeof *s);
    if (s == NULL || sched__init_sync(s) != 0) {
        kf_free(s);
        kf_campaigns_free(c);
        return kf_errorf(err, KF_ENOMEM, "scheduler: cannot set up its lock");
    }
    s->p = *p;
    s->campaigns = c;
    if (pthread_create(&s->thread, NULL, sched__main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        kf_campaigns_free(c);
        kf_free(s);
        return kf_errorf(err, KF_EIO, "scheduler: cannot start its thread");
    }
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
    kf_free(s);
}
