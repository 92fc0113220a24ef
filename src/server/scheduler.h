/*
 * scheduler.h — the server's background jobs (internal to src/server).
 *
 * One thread, started with the server and stopped before it: every
 * interval_s seconds it syncs the shop's orders and refunds into events
 * (events.h kf_events_sync_shop) and runs the bot's lifecycle campaigns
 * (campaign.h kf_campaigns_run), logging one line per run with its counts.
 * Before a run, when rebuild_interval_s has passed since the last rebuild
 * (or none was done yet), it rebuilds every profile (kf_profiles_rebuild),
 * so lifecycle stages and tags move with the calendar.
 * The first run comes one interval after the start.
 *
 * Ownership: the scheduler borrows the store and the log (both outlive it)
 * and owns the campaigns it loads.
 */
#ifndef KEFU_SCHEDULER_H
#define KEFU_SCHEDULER_H

#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/store.h"

struct sched;

struct sched_params {
    struct kf_store *store;
    struct kf_log *log;
    const char *campaigns_path; /* the bot's campaigns.yaml */
    long interval_s;            /* > 0 */
    long max_per_run;           /* candidates per campaign per run */
    long rebuild_interval_s;    /* profile rebuilds at most this often (0: never) */
};

/* Load the campaigns and start the thread. A missing campaigns file is not
 * an error: *out is NULL (nothing to schedule, logged). A bad one is
 * KF_EPARSE naming path:line. */
int sched_start(const struct sched_params *p, struct sched **out, struct kf_err *err);
/* Wake the thread, wait for a run in progress to finish, join, free. NULL
 * is a no-op. */
void sched_stop(struct sched *s);

#endif
