/*
 * reco_log.h — the recommendation log (issue 6, L1): every product kefu
 * shows a customer as a recommendation is one row, with where the pick came
 * from and why, so clicks and purchases can be credited to it.
 *
 *   source    profile  the customer's preferred categories / price band
 *             rules    an association rule (mining.h; rule_version says which set)
 *             popular  the shop's best sellers (fill)
 *   strategy  elicitation  the need-elicitation flow (product.recommend)
 *             cross_sell   the bot's one add-on offer after a resolved problem
 *             api          GET /api/v1/customers/{id}/recommendations
 *             campaign     a campaign message
 *
 * Conversion is recorded elsewhere too: the events ingest (events.h) marks a
 * recommendation clicked when a `click` event names it (rec_id), and bought
 * (bought_at, order_no) when the customer orders one of its skus within 7
 * days of the impression. This file reads those columns for the report.
 *
 * Ownership: json_t ** outs are new references (NULL on error); strings are
 * borrowed. Errors: KF_EINVAL naming the field, KF_ENOTFOUND, KF_ESTORE.
 * Times are ms since the epoch.
 */
#ifndef KEFU_RECO_LOG_H
#define KEFU_RECO_LOG_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_RECO_LOG_BATCH 50    /* impressions logged by one call, at most */
#define KF_RECO_REASON_MAX 500  /* bytes of a reason */

/* One impression (borrowed strings). */
struct kf_reco_entry {
    long long customer_id;       /* 0: an anonymous visitor */
    const char *conversation_id; /* NULL: not in a conversation */
    const char *sku;             /* 1..64 bytes */
    const char *source;          /* profile | rules | popular */
    const char *strategy;        /* elicitation | cross_sell | api | campaign */
    long long rule_version;      /* source rules: the rule set; else 0 */
    const char *reason;          /* shown to the customer; NULL: none */
    long long at;                /* 0: now */
};

/* Log n impressions (1..KF_RECO_LOG_BATCH) in one transaction; ids[i] gets
 * each row's id. A customer_id that does not exist is KF_EINVAL. */
int kf_reco_log(struct kf_store *st, const struct kf_reco_entry *e, size_t n, long long *ids,
                struct kf_err *err);

/* The customer clicked recommendation rec_id at `at` (0: now). customer_id
 * 0: anyone; else it must be that customer's or an anonymous one (else
 * KF_ENOTFOUND, as for an unknown id; the events ingest applies the same rule). Only the first click counts: *first (optional) is 1 when
 * this one set clicked_at, 0 when it was already clicked. */
int kf_reco_mark_click(struct kf_store *st, long long rec_id, long long customer_id, long long at,
                       int *first, struct kf_err *err);

/* One row: {"id","customer_id","conversation_id","sku","source","strategy",
 * "rule_version","reason","created_at","clicked_at","bought_at","order_no"}
 * (absent values null). */
int kf_reco_get(struct kf_store *st, long long rec_id, json_t **out, struct kf_err *err);

/* Impressions created in [since, until) (0: open), per source and per
 * strategy (every known one, zeros included) and in total:
 * {"since","until" (ms or null),
 *  "by_source":[{"source","impressions","clicks","conversions","click_rate",
 *                "conversion_rate"}],
 *  "by_strategy":[{"strategy",...}], "total":{...}}
 * click_rate = clicks / impressions, conversion_rate = conversions /
 * impressions (0 when there are none). */
int kf_reco_report(struct kf_store *st, long long since, long long until, json_t **out,
                   struct kf_err *err);

/* The known values, NULL-terminated (for checks and the report). */
extern const char *const kf_reco_sources[];
extern const char *const kf_reco_strategies[];

#endif
