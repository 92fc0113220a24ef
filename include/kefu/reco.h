/*
 * reco.h — product recommendations (issue 6, L1): what to show a customer,
 * why, and the one add-on the bot may offer after a resolved problem.
 *
 * Three sources are blended, each pick carrying its source and a reason:
 *   rules    association rules (mining.h kf_rules_cross_sell) over what the
 *            customer bought: sku rules first, then category rules ("手机" →
 *            "手机壳"), whose consequent category gives an in-stock product
 *            in the customer's price band (one that fits what they own first);
 *   profile  the customer's preferred categories from the derived profile
 *            (events.h kf_profiles_get), again in their price band;
 *   popular  the shop's best sellers in stock, as fill.
 * Rules and profile picks alternate (rules first), popularity fills the
 * rest. Products the customer already owns (their orders, not cancelled)
 * and products already picked are never shown. Everything is ordered by
 * fixed keys (scores, sales, price, sku), so the same data gives the same
 * picks — tests rely on it.
 *
 * Every pick is logged (reco_log.h) unless the request is a dry run; its
 * log id travels with it ("id"), so a client can report the click
 * (kf_reco_mark_click, POST /api/v1/recommendations/{id}/click) and an
 * order within 7 days is credited to it by the events ingest.
 *
 * The business module kf_biz_reco_module exports the dialog's cross-sell
 * actions (flows and the policy call them by name, biz.h):
 *   reco.cross_sell  {order_id? | product?} → one add-on for that order's
 *                    items (the customer's own, shipped or delivered) or that
 *                    product: result {sku,name,category,price,rec_id,reason,
 *                    card}; outcome empty when no rule gives one;
 *   reco.accept      {rec_id} → the click recorded, result {sku,name,price,
 *                    reason,card}; outcome not_found for another's rec_id.
 *
 * Ownership: *out is a new reference (NULL on error); arguments are
 * borrowed. Errors: KF_EINVAL (bad request), KF_ENOTFOUND (no such
 * customer), KF_ESTORE.
 */
#ifndef KEFU_RECO_H
#define KEFU_RECO_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/biz.h"
#include "kefu/err.h"
#include "kefu/store.h"

#define KF_RECO_MAX 20 /* picks per request, at most */
#define KF_RECO_TASTE_CATEGORIES 3

struct kf_reco_request {
    long long customer_id;       /* 0: anonymous (popularity only, nothing owned) */
    const char *conversation_id; /* logged with each pick; NULL: none */
    const char *strategy;        /* reco_log.h: elicitation | cross_sell | api | campaign;
                                  * NULL: api */
    const char *lang;            /* zh | en: names and reasons; NULL: zh */
    int limit;                   /* 1..KF_RECO_MAX; 0: 3 */
    long long now_ms;            /* 0: now */
    int dry_run;                 /* 1: pick without logging (items carry no id) */
};

/*
 * Up to limit products for the customer:
 * {"customer_id","items":[{"id" (log id, absent on a dry run),"sku","name",
 *  "category","brand","price","source","strategy","reason",
 *  "rule_version" (rules only)}]}
 */
int kf_reco_for_customer(struct kf_store *st, const struct kf_reco_request *req, json_t **out,
                         struct kf_err *err);

/*
 * One add-on for what a conversation was about: skus[0..n) (n ≤ 50) are
 * the order's items or the product asked about. The best rule (sku level,
 * then category level) whose consequent has an in-stock product the
 * customer does not own gives it; the pick is logged (source rules).
 * *out: {"id","sku","name","category","price","reason","rule_version",
 * "product":{repo.h product}} or NULL (KF_OK) when no rule gives one.
 */
int kf_reco_cross_sell(struct kf_store *st, const struct kf_reco_request *req,
                       const char *const *skus, size_t n, json_t **out, struct kf_err *err);

/* The customer's taste from the derived profile, for other rankers (the
 * elicitation flow's product.recommend). known 0: no profile data. */
struct kf_reco_taste {
    int known;
    double avg_price;   /* mean unit price of what they bought or looked at; 0: unknown */
    int band;           /* -1 unknown, 0 low, 1 middle, 2 high */
    char categories[KF_RECO_TASTE_CATEGORIES][65]; /* preferred, best first */
    size_t ncategories;
};

/* KF_ENOTFOUND: no such customer. customer_id 0 gives an unknown taste. */
int kf_reco_taste(struct kf_store *st, long long customer_id, long long now_ms,
                  struct kf_reco_taste *out, struct kf_err *err);

/* The dialog's cross-sell actions (registered in src/biz/modules.c). */
extern const struct kf_biz_module kf_biz_reco_module;

#endif
