/*
 * events.h — customer events in, profiles and segments out (D1, D2).
 *
 * Events are behaviour (view, click, search, add_to_cart), transactions
 * (order, payment, refund), profile attributes (attribute) and conversation
 * turns (message: written by the store itself with each customer message).
 * Every event has an id; ingesting an id again adds nothing (re-importing a
 * file is harmless). An event without an id gets one derived from its
 * content ("h:" + 16 hex digits), so resending the same line is still a
 * no-op.
 *
 * Each new event is folded into its customer's profile state (profile.h)
 * in the same transaction and the profile and tags are derived again, so a
 * profile is current after every ingest; `kefu profiles rebuild` folds all
 * events again (after changing profiles.yaml, and to move lifecycle stages
 * along as time passes).
 *
 * The shop's own orders and refunds (repo.h) become events by
 * kf_events_sync_shop (ids "order:<order_no>", "refund:<refund_no>"), which
 * the rebuild and the server's scheduler run.
 *
 * Limits: an event id is at most 128 bytes, a sku/category/order number 64,
 * a channel 32, a search query 500, an attribute object 16 keys with values
 * of at most 256 bytes; a batch is at most KF_EVENTS_BATCH_MAX events.
 */
#ifndef KEFU_EVENTS_H
#define KEFU_EVENTS_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"
#include "kefu/store.h"

struct kf_profile_rules;

#define KF_EVENTS_BATCH_MAX 1000
#define KF_EVENT_ITEMS_MAX 100

struct kf_event_item {
    const char *sku;
    int qty;
    double price; /* unit price; 0: the catalogue's */
};

/* A parsed, validated event. Strings live in the arena given to the parser. */
struct kf_event {
    const char *event_id; /* NULL before kf_event_parse derives one */
    const char *type;
    long long customer_id;   /* kefu's id, or 0 with channel + external_id */
    const char *channel;     /* where it happened, and the identity's channel (default web) */
    const char *external_id; /* the customer's id on that channel */
    long long at;            /* ms since the epoch */
    const char *sku, *category, *query, *order_no;
    double amount;
    int has_amount;
    struct kf_event_item *items;
    size_t nitems;
    long long rec_id;        /* click/order: the recommendation it answers (0: none) */
    json_t *attributes;      /* attribute: owned by the event, see kf_event_clear */
    const char *sentiment, *intent; /* message events only */
};

/*
 * An event from its JSON form:
 *   {"event_id"?, "type", "customer_id"? | "external_id" (+ "channel"?),
 *    "at"? (ms, or "YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)"; default now_ms),
 *    "sku"?, "category"?, "query"?, "order_no"?, "amount"?,
 *    "items"?: [{"sku","qty"?,"price"?}], "rec_id"?, "attributes"?: {..}}
 * Required by type: view/click/add_to_cart a sku, search a query, order an
 * order_no and items or an amount, payment an order_no and an amount,
 * refund an amount, attribute an attributes object. Unknown keys, wrong
 * types, bad times (before 2000 or more than a day ahead of now_ms) and
 * over-long values are KF_EINVAL naming the field. "message" is written by
 * kefu only and refused here. Known attributes: name, city, lang
 * ("zh"|"en"), birthday ("YYYY-MM-DD"), marketing_opt_out (bool) update
 * the customer record; others are kept in the profile.
 */
int kf_event_parse(json_t *obj, long long now_ms, struct kf_arena *a, struct kf_event *ev,
                   struct kf_err *err);
void kf_event_clear(struct kf_event *ev); /* drops ev->attributes */
/* The derived id of an event without one ("h:" + FNV-1a 64 of its fields). */
void kf_event_derive_id(const struct kf_event *ev, char out[19]);

/* Per-event result of an ingest. */
enum kf_event_status { KF_EVENT_ADDED, KF_EVENT_DUPLICATE, KF_EVENT_REJECTED };

struct kf_ingest_stats {
    long long added, duplicates, rejected;
};

/* Write n events (n ≤ KF_EVENTS_BATCH_MAX) in one transaction: resolve or
 * create customers named by external id, skip ids already stored, fill the
 * category and price of a sku from the products table, update each touched
 * customer's profile state, derived profile and tags (rules: NULL → the
 * store's rules, kf_events_set_rules). status (optional, n entries) gets
 * each event's result; an event the store refuses (e.g. an unknown
 * customer_id) is KF_EVENT_REJECTED with its message in errors[i] (optional,
 * n kf_err) and does not fail the batch. now_ms: the derive time (0: now). */
int kf_events_ingest(struct kf_store *st, struct kf_event *evs, size_t n, long long now_ms,
                     enum kf_event_status *status, struct kf_err *errors,
                     struct kf_ingest_stats *stats, struct kf_err *err);

/* The profile rules the store uses when a caller passes none (borrowed;
 * the caller keeps them alive while the store is open). Default: the
 * built-in rules. */
void kf_events_set_rules(struct kf_store *st, const struct kf_profile_rules *rules);
/* The rules set on the store (NULL: the built-in defaults). */
const struct kf_profile_rules *kf_events_rules(const struct kf_store *st);

/* Bulk loading (`kefu import --bulk`, bench/profiles.sh): while on, ingests
 * write events, customers, attributes and conversions but leave profiles
 * alone (several times faster); the loader then runs kf_profiles_rebuild
 * once. Turn turns' own events are always folded. Default off. */
void kf_events_set_deferred(struct kf_store *st, int on);

/* Shop orders (not cancelled) and refunds not yet events become events
 * (adding them to profiles); *added (optional) gets the count. */
int kf_events_sync_shop(struct kf_store *st, long long now_ms, long long *added,
                        struct kf_err *err);

/* A customer's events, newest first: {"items":[{"event_id","type","at",
 * "channel","sku","category","query","amount","order_no","rec_id",
 * "props"}], "total"}; type NULL: any; limit 1..500. */
int kf_events_list(struct kf_store *st, long long customer_id, const char *type, int limit,
                   long long offset, json_t **out, struct kf_err *err);

/* The customer's profile derived at now_ms (0: now) from the stored state
 * (an empty state for a customer without events). KF_ENOTFOUND: no such
 * customer. */
int kf_profiles_get(struct kf_store *st, long long customer_id, long long now_ms, json_t **out,
                    struct kf_err *err);

/* Fold the message events the conversation turns queued (at most
 * max_customers customers' worth, one transaction) into the stored profiles
 * and tags; *folded: the customers done (fewer than max_customers: the queue
 * is empty). A turn writes only its event; the server's scheduler calls this
 * every few seconds, and kf_profiles_get folds what is still queued in
 * memory, so stored profiles (segments, campaign audiences) lag the turns by
 * at most that much and a profile read never does. */
int kf_profiles_fold_pending(struct kf_store *st, int max_customers, long long now_ms,
                             int *folded, struct kf_err *err);

struct kf_rebuild_stats {
    long long customers, events, tagged; /* tagged: customers with at least one tag */
};
/* Sync the shop, then fold every event again and replace every profile and
 * tag (customers without events get a profile too). progress (optional) is
 * called now and then with customers done and the total. */
int kf_profiles_rebuild(struct kf_store *st, long long now_ms,
                        void (*progress)(long long done, long long total, void *arg), void *arg,
                        struct kf_rebuild_stats *stats, struct kf_err *err);

/* Customers with a tag (or lifecycle stage "lifecycle:<stage>", or RFM
 * segment "rfm:<segment>"), highest churn score first:
 * {"tag","items":[{"customer_id","name","lifecycle","rfm_segment",
 * "churn_score","since"}],"total"}; limit 1..500. */
int kf_segments_customers(struct kf_store *st, const char *tag, int limit, long long offset,
                          json_t **out, struct kf_err *err);
/* Every tag with its customer count, and the lifecycle and RFM counts:
 * {"tags":[{"tag","customers"}],"lifecycle":{..},"rfm":{..}}. */
int kf_segments_summary(struct kf_store *st, json_t **out, struct kf_err *err);
/* The churn-risk distribution for the dashboard: {"buckets":[{"from","to",
 * "customers"}] (10 buckets of 0.1), "levels":{"low","medium","high"},
 * "riskiest":[{"customer_id","name","churn_score","reasons"}] (at most
 * top, ≤ 100)}. */
int kf_churn_distribution(struct kf_store *st, int top, json_t **out, struct kf_err *err);

#endif
