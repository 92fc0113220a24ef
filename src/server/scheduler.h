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
 * The same thread (issue 7, docs/operations.md) evaluates the alert rules
 * of alerts.rules every alerts.interval_s seconds (a rule that starts
 * breaching opens an alert: a WARN line, an outbox row of topic "alert" and
 * an {"type":"alert"} event to the agents; one that stops breaching
 * resolves it the same way), and every outbox_interval_ms delivers the due
 * webhook outbox rows (notify.h: "alert" → alerts.webhook_url,
 * "churn_alert" → churn.webhook_url). Each job has its own deadline; the
 * thread sleeps until the nearest.
 *
 * Ownership: the scheduler borrows the store, the log, the config, the
 * metrics and the server (all outlive it) and owns the campaigns it loads
 * and its webhook deliverer.
 */
#ifndef KEFU_SCHEDULER_H
#define KEFU_SCHEDULER_H

#include "kefu/config.h"
#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/metrics.h"
#include "kefu/store.h"

struct sched;
struct kf_server;

struct sched_params {
    struct kf_store *store;
    struct kf_log *log;
    const char *campaigns_path; /* the bot's campaigns.yaml */
    long interval_s;            /* campaigns; 0: none */
    long max_per_run;           /* candidates per campaign per run */
    long rebuild_interval_s;    /* profile rebuilds at most this often (0: never) */
    /* issue 7 */
    const struct kf_config *config; /* alerts.*, churn.webhook_url; NULL: the defaults */
    struct kf_metrics *metrics;     /* latency and error rate of the alert rules; may be NULL */
    struct kf_server *srv;          /* alert events to the agents (http_publish); may be NULL */
    long outbox_interval_ms;        /* webhook deliveries; 0: 2000 */
};

/* Load the campaigns (campaigns_path NULL or interval_s 0: none), parse the
 * alert rules and start the thread. A missing campaigns file is not an
 * error (no campaigns, logged); a bad one is KF_EPARSE naming path:line; a
 * bad alert rule or webhook URL is KF_ECONFIG naming the rule or the topic.
 * The thread always runs: the outbox may get churn alerts at any time. */
int sched_start(const struct sched_params *p, struct sched **out, struct kf_err *err);
/* Wake the thread, wait for a run in progress to finish, join, free. NULL
 * is a no-op. */
void sched_stop(struct sched *s);

#endif
