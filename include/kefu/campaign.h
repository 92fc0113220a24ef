/*
 * campaign.h — lifecycle campaigns (L4): birthday offers, win-back of
 * dormant customers, cart reminders, written in the bot's campaigns.yaml
 * (docs/bot-format.md "Campaigns") and run at a moment T by the server's
 * scheduler or by `kefu campaigns run`.
 *
 * A run, per enabled campaign: candidates from an index (campaign_store.h:
 * birthday month-day in the shop's zone, stored lifecycle stage, add-to-cart
 * events in the window, a tag), then per candidate the profile derived at T
 * (events.h kf_profiles_get) against the campaign's rule and `audience`
 * condition (cond.h); then, in this order, opt-out, cooldown (this campaign
 * sent within cooldown_days), frequency cap (max marketing messages per
 * customer in `days`, across campaigns) and quiet hours. A send writes one
 * bot message (kind "campaign") into the customer's open conversation on
 * the channel of their last conversation (else web), or a new one, and is
 * logged as sent; every other outcome is logged with its reason
 * (campaign_sends). A dry run computes the same and writes nothing.
 *
 * Idempotent: a second run at the same T (or any T within the cooldown)
 * sends nothing again. At most once: a send is claimed (a guarded row)
 * before its message is written, so a crash between the two loses a
 * message rather than doubling it.
 *
 * Ownership: struct kf_campaigns is immutable once loaded and may be shared
 * by threads; a run report owns its arrays (kf_campaign_run_release).
 */
#ifndef KEFU_CAMPAIGN_H
#define KEFU_CAMPAIGN_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/campaign_store.h"
#include "kefu/err.h"
#include "kefu/store.h"

#define KF_CAMPAIGNS_MAX 32       /* campaigns in one file */
#define KF_CAMPAIGN_TEXT_MAX 1000 /* bytes of one message template */

struct kf_campaigns;

/* Load campaigns.yaml. A missing file is KF_ENOTFOUND (no campaigns);
 * every mistake is KF_EPARSE naming path:line. */
int kf_campaigns_load(const char *path, struct kf_campaigns **out, struct kf_err *err);
/* The same from text; `name` stands for the path in messages. */
int kf_campaigns_load_string(const char *name, const char *text, size_t len,
                             struct kf_campaigns **out, struct kf_err *err);
void kf_campaigns_free(struct kf_campaigns *c); /* NULL is a no-op */

size_t kf_campaigns_count(const struct kf_campaigns *c);
/* The settings and every campaign as JSON (for `kefu campaigns list`). */
json_t *kf_campaigns_json(const struct kf_campaigns *c);

/* Outcomes of one candidate, in the order the engine checks them. */
enum kf_campaign_outcome {
    KF_CO_SENT,              /* sent (dry run: would send) */
    KF_CO_SKIPPED_OPT_OUT,
    KF_CO_SKIPPED_COOLDOWN,
    KF_CO_SKIPPED_CAP,
    KF_CO_DEFERRED_QUIET,    /* in the audience, but T is in quiet hours */
    KF_CO_FAILED,            /* the message could not be written */
    KF_CO__COUNT
};
/* The status stored for an outcome: "sent", "skipped_opt_out", ... */
const char *kf_campaign_outcome_name(enum kf_campaign_outcome o);

struct kf_campaign_run_params {
    long long now_ms;   /* T (0: now) */
    int dry_run;        /* compute, write nothing */
    const char *only;   /* run only this campaign (even when not enabled); NULL: all enabled */
    long max_per_campaign; /* candidates looked at per campaign (campaigns.max_per_run) */
    size_t preview;     /* messages kept in the result (default 5) */
};
struct kf_campaign_run_params kf_campaign_default_run_params(void);

struct kf_campaign_tally {
    char campaign[KF_CAMPAIGN_NAME_MAX];
    long long candidates; /* found by the trigger's query */
    long long audience;   /* of those, matching the rule and audience at T */
    long long counts[KF_CO__COUNT];
};

struct kf_campaign_preview {
    char campaign[KF_CAMPAIGN_NAME_MAX];
    long long customer_id;
    char lang[8];
    char channel[32];
    char *text; /* the message as sent */
};

struct kf_campaign_run {
    long long now_ms;
    int dry_run;
    int quiet; /* T was in quiet hours */
    struct kf_campaign_tally *tallies; /* one per campaign run, file order */
    size_t n;
    struct kf_campaign_preview *preview; /* the first messages sent (or that would be) */
    size_t npreview;
};

/* Run the campaigns at p.now_ms against st. KF_ENOTFOUND: p.only names no
 * campaign. A failure to write one message is counted (KF_CO_FAILED) and
 * does not stop the run; a store error does. out is filled in either way
 * (release it). */
int kf_campaigns_run(struct kf_store *st, const struct kf_campaigns *c,
                     struct kf_campaign_run_params p, struct kf_campaign_run *out,
                     struct kf_err *err);
void kf_campaign_run_release(struct kf_campaign_run *r);
/* {"now","dry_run","quiet_hours","campaigns":[{"campaign","candidates",
 * "audience","counts":{"sent",...}}],"preview":[{"campaign","customer_id",
 * "lang","channel","text"}]} */
json_t *kf_campaign_run_json(const struct kf_campaign_run *r);

/* Marketing opt-out (or back in): an attribute event
 * {"marketing_opt_out": opt_out} for the customer (events.h), which sets
 * customers.marketing_opt_out and the profile's opt_out. KF_ENOTFOUND:
 * no such customer. */
int kf_campaign_opt_out(struct kf_store *st, long long customer_id, int opt_out,
                        long long now_ms, struct kf_err *err);

#endif
