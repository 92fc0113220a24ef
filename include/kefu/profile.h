/*
 * profile.h — what kefu knows about a customer (D2, L2 scoring): a small
 * accumulator folded from the customer's events, and the profile derived
 * from it at a moment in time (RFM, lifetime value, lifecycle stage,
 * preferences, channels, sentiment trend, complaints, churn risk with its
 * reasons, and tags from rules written in the bot's profiles.yaml).
 *
 * Pure: no store, no clock. The store (events.h) keeps one state per
 * customer, applies each new event to it (O(1)) and re-derives the profile;
 * `kefu profiles rebuild` folds every event again.
 *
 *   state  = fold(kf_profile_apply, empty, events in any order)
 *   profile = kf_profile_derive(rules, state, context, now)
 *
 * Everything time-based (recency, lifecycle, trends) is computed at derive
 * time from `now`, so a stored state never goes stale; only the derived
 * copy does, and reading a profile derives it again.
 */
#ifndef KEFU_PROFILE_H
#define KEFU_PROFILE_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/err.h"

#define KF_PROFILE_CATEGORIES 8 /* preferred categories kept (space-saving top-k) */
#define KF_PROFILE_CHANNELS 6   /* channels kept */
#define KF_PROFILE_MONTHS 24    /* monthly order counts kept (ring) */
#define KF_PROFILE_MOODS 16     /* last sentiments of the customer's messages */
#define KF_PROFILE_ATTRS 16     /* profile attributes kept (other than the known ones) */

/* One event as the fold sees it (borrowed strings; NULL when absent). */
struct kf_profile_event {
    const char *type; /* view click search add_to_cart order payment refund attribute message */
    long long at;     /* ms since the epoch */
    const char *channel;
    const char *sku;
    const char *category; /* the product's category (the store fills it from the sku) */
    double amount;        /* order/payment/refund: money; 0 otherwise */
    double price;         /* view/click/add_to_cart/order: the item's unit price if known, else 0 */
    int items;            /* order: number of items (≥ 1) */
    const char *const *item_categories; /* order: the categories of its items */
    const double *item_prices;          /* order: their unit prices */
    size_t nitem_categories;
    const char *sentiment; /* message: positive | neutral | negative */
    const char *intent;    /* message: the intent (e.g. complaint) */
    json_t *attributes;    /* attribute: an object of name → string|number|bool (borrowed) */
};

struct kf_profile_state; /* opaque; serialises to JSON */

struct kf_profile_state *kf_profile_state_new(void);
void kf_profile_state_free(struct kf_profile_state *s); /* NULL is a no-op */
/* Fold one event in (order of events does not matter for counts; the latest
 * time wins for "last" fields). KF_EINVAL for an unknown type. */
int kf_profile_apply(struct kf_profile_state *s, const struct kf_profile_event *ev,
                     struct kf_err *err);
/* The state as a JSON object and back (the stored form; versioned "v":1). */
json_t *kf_profile_state_json(const struct kf_profile_state *s);
int kf_profile_state_from_json(json_t *j, struct kf_profile_state **out, struct kf_err *err);

/* Facts the fold cannot know, read by the store at derive time. */
struct kf_profile_context {
    long long customer_id;
    long long created_at;  /* the customer record's */
    int open_tickets;      /* open | pending | escalated */
    int open_complaints;   /* of those, category complaint */
    const char *birthday;  /* "YYYY-MM-DD" or NULL */
    int opt_out;           /* marketing opt-out */
    const char *tier;      /* regular | silver | gold | vip, or NULL */
};

/* Rules from bots/<bot>/profiles.yaml (docs/bot-format.md "Profiles"):
 * RFM breakpoints, lifecycle day limits, price bands, churn weights and tag
 * rules (a name, zh/en labels and a condition over the derived profile,
 * e.g. `when: "ltv.historical >= 5000 and rfm.f >= 3"`). */
struct kf_profile_rules;

/* The built-in defaults (what a bot without profiles.yaml gets). */
struct kf_profile_rules *kf_profile_rules_default(void);
/* Load path; a missing file is KF_ENOTFOUND (callers fall back to the
 * defaults); every mistake is KF_EPARSE naming path:line. */
int kf_profile_rules_load(const char *path, struct kf_profile_rules **out, struct kf_err *err);
void kf_profile_rules_free(struct kf_profile_rules *r); /* NULL is a no-op */
/* The tag names the rules can give, in file order (for docs and checks). */
size_t kf_profile_rules_tags(const struct kf_profile_rules *r, const char *const **names);

/*
 * The derived profile, a new JSON object:
 * {"customer_id", "computed_at",
 *  "rfm": {"recency_days" (null: never ordered), "frequency", "monetary",
 *          "r","f","m" (1..5), "segment"},
 *  "ltv": {"historical", "predicted_12m", "avg_order_value"},
 *  "lifecycle": "new"|"active"|"dormant"|"churned",
 *  "preferences": {"categories":[{"category","score"}], "price_band",
 *                  "avg_price"},
 *  "channels": [{"channel","count"}],
 *  "activity": {"views","clicks","searches","cart_adds","messages",
 *               "first_seen_at","last_seen_at","last_order_at",
 *               "last_cart_at","last_cart_sku","orders_90d","orders_prev_90d"},
 *  "sentiment": {"recent","previous" (mean of -1/0/1, null when none),
 *                "trend": "improving"|"steady"|"worsening"|"unknown",
 *                "negative_30d"},
 *  "complaints": {"total","last_at","open_tickets","open_complaints"},
 *  "churn": {"score" (0..1), "level": "low"|"medium"|"high",
 *            "reasons":[{"code","weight","zh","en"}] (largest first)},
 *  "tags": ["high_value", ...],
 *  "attributes": {...}, "birthday", "opt_out", "tier"}
 * NULL on out of memory.
 */
json_t *kf_profile_derive(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                          const struct kf_profile_context *ctx, long long now_ms);

#endif
