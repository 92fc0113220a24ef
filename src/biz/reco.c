/*
 * reco.c — product recommendations (reco.h): the blend of association
 * rules, the customer's profile and popularity; the in-dialog cross-sell
 * offer; and the business module that lets the dialog call both.
 *
 * How it fits: reads kefu's own store only — products and orders through
 * repo.h, the derived profile through events.h, rules through mining.h —
 * and writes every shown pick to the recommendation log (reco_log.h). The
 * HTTP API (src/server/api_reco.c), the elicitation flow
 * (products.c: kf_reco_taste + kf_reco_log) and the dialog policy
 * (reco.cross_sell / reco.accept) are its callers.
 *
 * Design notes
 *  - One request builds a small context (struct rc): the skus the customer
 *    owns and their categories, the taste from the profile, the skus
 *    picked so far. Every lookup is bounded: the last 100 orders, 50 owned
 *    skus, 20 rules per level, 50 products per category.
 *  - A category becomes one product by rc__best_in_category: in stock,
 *    not owned or picked; one made for what the customer has (specs.fits)
 *    first; else the best seller within the customer's price band (the
 *    category's products by price, split in thirds); else the best seller.
 *  - Determinism: rules come best first with a stable order from mining.h,
 *    products by sales then price then sku (repo.h "popular"); no clock or
 *    random number enters a choice.
 */
#include "kefu/reco.h"

#include <stdio.h>
#include <string.h>

#include "biz_int.h"
#include "kefu/events.h"
#include "kefu/log.h"
#include "kefu/mining.h"
#include "kefu/reco_log.h"
#include "kefu/repo.h"

#define RC_ORDERS 100     /* the customer's latest orders read for "owned" */
#define RC_OWNED_MAX 50   /* owned skus whose categories count */
#define RC_RULES 20       /* rules asked for per level */
#define RC_CATEGORY_SCAN 50

struct rc {
    struct kf_store *st;
    const struct kf_reco_request *req;
    int zh;
    json_t *owned;  /* sku → category (string, "" when unknown) */
    json_t *picked; /* sku → true */
    json_t *basis;  /* skus the cross-sell is about (owned for rules) */
    struct kf_reco_taste taste;
    json_t *items;  /* the picks, in order */
};

static const char *rc__str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double rc__num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *rc__name(const struct rc *c, json_t *p)
{
    const char *zh = rc__str(p, "name_zh"), *en = rc__str(p, "name_en");
    const char *first = c->zh ? zh : en, *second = c->zh ? en : zh;
    return first != NULL && *first ? first : second != NULL ? second : rc__str(p, "sku");
}

static int rc__oom(struct kf_err *err)
{
    return kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* ---- taste (the derived profile) ----------------------------------------- */

/* A band name from profiles.yaml → 0 low, 1 middle, 2 high, -1 unknown. */
static int rc__band(const char *name)
{
    static const char *const names[3][6] = {
        {"low", "budget", "economy", "entry", "cheap", NULL},
        {"mid", "middle", "medium", "mainstream", "moderate", NULL},
        {"high", "premium", "luxury", "upper", "expensive", NULL}};
    for (int b = 0; name != NULL && b < 3; b++)
        for (int i = 0; names[b][i] != NULL; i++)
            if (strcmp(name, names[b][i]) == 0)
                return b;
    return -1;
}

int kf_reco_taste(struct kf_store *st, long long customer_id, long long now_ms,
                  struct kf_reco_taste *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    out->band = -1;
    if (customer_id <= 0)
        return KF_OK;
    json_t *prof = NULL;
    int rc = kf_profiles_get(st, customer_id, now_ms, &prof, err);
    if (rc != KF_OK)
        return rc;
    json_t *pref = json_object_get(prof, "preferences");
    out->avg_price = rc__num(pref, "avg_price");
    out->band = rc__band(rc__str(pref, "price_band"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(pref, "categories"), i, c) {
        const char *cat = rc__str(c, "category");
        if (cat == NULL || out->ncategories >= KF_RECO_TASTE_CATEGORIES)
            continue;
        snprintf(out->categories[out->ncategories++], sizeof out->categories[0], "%s", cat);
    }
    out->known = out->avg_price > 0 || out->band >= 0 || out->ncategories > 0;
    json_decref(prof);
    return KF_OK;
}

/* ---- the request's context ------------------------------------------------- */

/* The skus of the customer's orders (not cancelled), with their categories. */
static int rc__owned(struct rc *c, struct kf_err *err)
{
    if (c->req->customer_id <= 0)
        return KF_OK;
    json_t *orders = NULL;
    int rc = kf_repo_order_list(c->st, c->req->customer_id, RC_ORDERS, &orders, err);
    size_t i, k;
    json_t *o, *it;
    json_array_foreach(orders, i, o) {
        const char *status = rc__str(o, "status");
        if (status != NULL && strcmp(status, "cancelled") == 0)
            continue;
        json_array_foreach(json_object_get(o, "items"), k, it) {
            const char *sku = rc__str(it, "sku");
            if (sku != NULL && json_object_size(c->owned) < RC_OWNED_MAX)
                json_object_set_new(c->owned, sku, json_string(""));
        }
    }
    json_decref(orders);
    const char *sku;
    json_t *v;
    json_object_foreach(c->owned, sku, v) { /* their categories, for category rules */
        json_t *p = NULL;
        struct kf_err e2 = {0};
        if (kf_repo_product_get(c->st, sku, &p, &e2) == KF_OK && rc__str(p, "category") != NULL)
            json_string_set(v, rc__str(p, "category"));
        json_decref(p);
    }
    return rc;
}

static int rc__init(struct rc *c, struct kf_store *st, const struct kf_reco_request *req,
                    struct kf_err *err)
{
    memset(c, 0, sizeof *c);
    c->st = st;
    c->req = req;
    c->zh = req->lang == NULL || strcmp(req->lang, "en") != 0;
    c->taste.band = -1;
    c->owned = json_object();
    c->picked = json_object();
    c->basis = json_object();
    c->items = json_array();
    if (c->owned == NULL || c->picked == NULL || c->basis == NULL || c->items == NULL)
        return rc__oom(err);
    if (req->limit < 0 || req->limit > KF_RECO_MAX)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, %d]", req->limit,
                         KF_RECO_MAX);
    if (req->customer_id < 0)
        return kf_errorf(err, KF_EINVAL, "customer_id: must not be negative");
    int known = req->strategy == NULL;
    for (size_t i = 0; !known && kf_reco_strategies[i] != NULL; i++)
        known = strcmp(kf_reco_strategies[i], req->strategy) == 0;
    if (!known)
        return kf_errorf(err, KF_EINVAL, "strategy: '%.32s' is not one of elicitation, "
                         "cross_sell, api, campaign", req->strategy);
    int rc = kf_reco_taste(st, req->customer_id, req->now_ms, &c->taste, err);
    return rc == KF_OK ? rc__owned(c, err) : rc;
}

static void rc__release(struct rc *c)
{
    json_decref(c->owned);
    json_decref(c->picked);
    json_decref(c->basis);
    json_decref(c->items);
}

static int rc__limit(const struct rc *c)
{
    return c->req->limit > 0 ? c->req->limit : 3;
}

/* Shown already, owned, or what the conversation is about. */
static int rc__taken(const struct rc *c, const char *sku)
{
    return json_object_get(c->picked, sku) != NULL || json_object_get(c->owned, sku) != NULL ||
           json_object_get(c->basis, sku) != NULL;
}

/* ---- products ------------------------------------------------------------------ */

static int rc__fits_basis(const struct rc *c, json_t *p)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(p, "specs"), "fits"), i, f) {
        const char *sku = json_string_value(f);
        if (sku != NULL &&
            (json_object_get(c->owned, sku) != NULL || json_object_get(c->basis, sku) != NULL))
            return 1;
    }
    return 0;
}

/* The best product of a category for this customer (a new reference), or
 * NULL when none is free; see the design notes. */
static json_t *rc__best_in_category(struct rc *c, const char *category)
{
    json_t *q = json_pack("{s:s,s:b,s:s,s:i}", "category", category, "in_stock", 1, "sort",
                          "popular", "limit", RC_CATEGORY_SCAN);
    json_t *list = NULL;
    struct kf_err e2 = {0};
    if (q == NULL || kf_repo_product_list(c->st, q, &list, &e2) != KF_OK) {
        json_decref(q);
        return NULL;
    }
    json_decref(q);
    json_t *items = json_object_get(list, "items"), *best = NULL, *in_band = NULL, *p;
    size_t n = json_array_size(items), i;
    /* price thirds of the category: the cut points among in-stock products */
    double lo_cut = 0, hi_cut = 0;
    if (c->taste.band >= 0 && n >= 3) {
        double prices[RC_CATEGORY_SCAN];
        size_t m = 0;
        json_array_foreach(items, i, p) if (m < RC_CATEGORY_SCAN) prices[m++] = rc__num(p, "price");
        for (size_t a = 1; a < m; a++) /* insertion sort: at most 50 */
            for (size_t b = a; b > 0 && prices[b - 1] > prices[b]; b--) {
                double t = prices[b];
                prices[b] = prices[b - 1];
                prices[b - 1] = t;
            }
        lo_cut = prices[m / 3];
        hi_cut = prices[(2 * m) / 3];
    }
    json_array_foreach(items, i, p) {
        const char *sku = rc__str(p, "sku");
        if (sku == NULL || rc__taken(c, sku))
            continue;
        if (rc__fits_basis(c, p)) {
            best = p;
            break;
        }
        if (best == NULL)
            best = p; /* the best seller, if nothing better */
        double price = rc__num(p, "price");
        int band = c->taste.band < 0 || n < 3 ? -1 : price < lo_cut ? 0 : price < hi_cut ? 1 : 2;
        if (in_band == NULL && band >= 0 && band == c->taste.band)
            in_band = p;
    }
    if (best != NULL && !rc__fits_basis(c, best) && in_band != NULL)
        best = in_band;
    json_incref(best);
    json_decref(list);
    return best;
}

/* Append a pick; marks it taken. */
static int rc__add(struct rc *c, json_t *p, const char *source, const char *reason,
                   long long rule_version, struct kf_err *err)
{
    const char *sku = rc__str(p, "sku");
    json_t *it = json_pack("{s:s,s:s,s:s?,s:s?,s:f,s:s,s:s,s:s}", "sku", sku, "name",
                           rc__name(c, p), "category", rc__str(p, "category"), "brand",
                           rc__str(p, "brand"), "price", rc__num(p, "price"), "source", source,
                           "strategy", c->req->strategy ? c->req->strategy : "api", "reason",
                           reason);
    if (it == NULL)
        return rc__oom(err);
    if (rule_version > 0)
        json_object_set_new(it, "rule_version", json_integer(rule_version));
    json_object_set_new(c->picked, sku, json_true());
    return json_array_append_new(c->items, it) == 0 ? KF_OK : rc__oom(err);
}

/* ---- the sources ------------------------------------------------------------------ */

/* The name of an owned (or basis) product in one of the antecedent's
 * categories or skus, for the reason text; NULL when none. */
static const char *rc__antecedent_name(struct rc *c, json_t *rule, int category_level, char *buf,
                                       size_t cap)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(rule, "antecedent"), i, a) {
        const char *item = json_string_value(a);
        const char *sku;
        json_t *v;
        json_t *sets[2] = {c->basis, c->owned};
        for (int s = 0; s < 2 && item != NULL; s++)
            json_object_foreach(sets[s], sku, v) {
                int hit = category_level ? json_is_string(v) && strcmp(json_string_value(v), item) == 0
                                         : strcmp(sku, item) == 0;
                json_t *p = NULL;
                struct kf_err e2 = {0};
                if (!hit || kf_repo_product_get(c->st, sku, &p, &e2) != KF_OK)
                    continue;
                snprintf(buf, cap, "%s", rc__name(c, p));
                json_decref(p);
                return buf;
            }
    }
    return NULL;
}

/* Items to ask rules about: the basis when there is one, else what the
 * customer owns; skus, or their categories (distinct). */
static size_t rc__rule_items(struct rc *c, int category_level, const char **items, size_t cap)
{
    json_t *from = json_object_size(c->basis) > 0 ? c->basis : c->owned;
    size_t n = 0;
    const char *sku;
    json_t *v;
    json_object_foreach(from, sku, v) {
        const char *item = category_level ? json_string_value(v) : sku;
        if (item == NULL || item[0] == '\0' || n >= cap)
            continue;
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(items[i], item) == 0;
        if (!dup)
            items[n++] = item;
    }
    return n;
}

/* Picks from association rules, at most max, appended to c->items. */
static int rc__from_rules(struct rc *c, int max, struct kf_err *err)
{
    int added = 0;
    for (int level = 0; level < 2 && added < max; level++) { /* sku rules, then category */
        const char *items[RC_OWNED_MAX];
        size_t n = rc__rule_items(c, level, items, RC_OWNED_MAX);
        if (n == 0)
            continue;
        json_t *rules = NULL;
        int rc = kf_rules_cross_sell(c->st, level ? "category" : "sku", items, n, RC_RULES,
                                     &rules, err);
        if (rc != KF_OK)
            return rc;
        size_t i, k;
        json_t *rule, *cons;
        json_array_foreach(rules, i, rule) {
            if (added >= max)
                break;
            json_array_foreach(json_object_get(rule, "consequent"), k, cons) {
                const char *item = json_string_value(cons);
                json_t *p = NULL;
                struct kf_err e2 = {0};
                if (item == NULL)
                    continue;
                if (level == 1)
                    p = rc__best_in_category(c, item);
                else if (!rc__taken(c, item) && kf_repo_product_get(c->st, item, &p, &e2) == KF_OK &&
                         rc__num(p, "stock") <= 0) {
                    json_decref(p);
                    p = NULL;
                }
                if (p == NULL)
                    continue;
                char name[256], reason[400];
                const char *with = rc__antecedent_name(c, rule, level, name, sizeof name);
                if (with != NULL)
                    snprintf(reason, sizeof reason,
                             c->zh ? "购买%s的顾客常一起买" : "Often bought with %s", with);
                else
                    snprintf(reason, sizeof reason, "%s",
                             c->zh ? "常被一起购买" : "Often bought together");
                json_t *ver = json_object_get(rule, "version");
                rc = rc__add(c, p, "rules", reason,
                             json_is_integer(ver) ? (long long)json_integer_value(ver) : 0, err);
                json_decref(p);
                if (rc != KF_OK) {
                    json_decref(rules);
                    return rc;
                }
                added++;
                break; /* one product per rule */
            }
        }
        json_decref(rules);
    }
    return KF_OK;
}

/* Picks from the preferred categories, at most max. */
static int rc__from_profile(struct rc *c, int max, struct kf_err *err)
{
    int added = 0;
    for (size_t i = 0; i < c->taste.ncategories && added < max; i++) {
        json_t *p = rc__best_in_category(c, c->taste.categories[i]);
        if (p == NULL)
            continue;
        int rc = rc__add(c, p, "profile",
                         c->zh ? "根据您的浏览和购买偏好" : "Picked for what you like", 0, err);
        json_decref(p);
        if (rc != KF_OK)
            return rc;
        added++;
    }
    return KF_OK;
}

/* Best sellers in stock until limit picks. */
static int rc__fill_popular(struct rc *c, struct kf_err *err)
{
    json_t *q = json_pack("{s:b,s:s,s:i}", "in_stock", 1, "sort", "popular", "limit", 100);
    json_t *list = NULL;
    int rc = q != NULL ? kf_repo_product_list(c->st, q, &list, err) : rc__oom(err);
    json_decref(q);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(list, "items"), i, p) {
        if (rc != KF_OK || (int)json_array_size(c->items) >= rc__limit(c))
            break;
        const char *sku = rc__str(p, "sku");
        if (sku != NULL && !rc__taken(c, sku))
            rc = rc__add(c, p, "popular", c->zh ? "本店热销" : "A best seller", 0, err);
    }
    json_decref(list);
    return rc;
}

/* Rules and profile picks alternate, rules first. */
static int rc__interleave(struct rc *c, json_t *rules, json_t *prof)
{
    json_t *all = json_array();
    if (all == NULL)
        return -1;
    size_t nr = json_array_size(rules), np = json_array_size(prof);
    for (size_t i = 0; i < nr || i < np; i++) {
        if (i < nr)
            json_array_append(all, json_array_get(rules, i));
        if (i < np)
            json_array_append(all, json_array_get(prof, i));
    }
    while (json_array_size(all) > (size_t)rc__limit(c))
        json_array_remove(all, json_array_size(all) - 1);
    json_decref(c->items);
    c->items = all;
    return 0;
}

/* Log every pick; each gets its "id". */
static int rc__log(struct rc *c, struct kf_err *err)
{
    size_t n = json_array_size(c->items);
    if (c->req->dry_run || n == 0)
        return KF_OK;
    struct kf_reco_entry e[KF_RECO_MAX];
    long long ids[KF_RECO_MAX];
    if (n > KF_RECO_MAX)
        n = KF_RECO_MAX;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(c->items, i);
        json_t *ver = json_object_get(it, "rule_version");
        e[i] = (struct kf_reco_entry){.customer_id = c->req->customer_id,
                                      .conversation_id = c->req->conversation_id,
                                      .sku = rc__str(it, "sku"),
                                      .source = rc__str(it, "source"),
                                      .strategy = rc__str(it, "strategy"),
                                      .rule_version = json_is_integer(ver)
                                                          ? (long long)json_integer_value(ver)
                                                          : 0,
                                      .reason = rc__str(it, "reason"),
                                      .at = c->req->now_ms};
    }
    int rc = kf_reco_log(c->st, e, n, ids, err);
    for (size_t i = 0; rc == KF_OK && i < n; i++)
        json_object_set_new(json_array_get(c->items, i), "id", json_integer(ids[i]));
    return rc;
}

int kf_reco_for_customer(struct kf_store *st, const struct kf_reco_request *req, json_t **out,
                         struct kf_err *err)
{
    *out = NULL;
    struct rc c;
    int rc = rc__init(&c, st, req, err);
    if (rc == KF_OK)
        rc = rc__from_rules(&c, rc__limit(&c), err);
    json_t *rules = c.items;
    c.items = json_array();
    if (rc == KF_OK && c.items == NULL)
        rc = rc__oom(err);
    if (rc == KF_OK)
        rc = rc__from_profile(&c, rc__limit(&c), err);
    if (rc == KF_OK && rc__interleave(&c, rules, c.items) != 0)
        rc = rc__oom(err);
    json_decref(rules);
    if (rc == KF_OK) { /* what interleaving dropped may be shown by the fill */
        json_object_clear(c.picked);
        size_t i;
        json_t *it;
        json_array_foreach(c.items, i, it) json_object_set_new(c.picked, rc__str(it, "sku"),
                                                               json_true());
        rc = rc__fill_popular(&c, err);
    }
    if (rc == KF_OK)
        rc = rc__log(&c, err);
    if (rc == KF_OK) {
        *out = json_pack("{s:I,s:O}", "customer_id", (json_int_t)req->customer_id, "items",
                         c.items);
        if (*out == NULL)
            rc = rc__oom(err);
    }
    rc__release(&c);
    return rc;
}

int kf_reco_cross_sell(struct kf_store *st, const struct kf_reco_request *req,
                       const char *const *skus, size_t n, json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (skus == NULL || n == 0 || n > RC_OWNED_MAX)
        return kf_errorf(err, KF_EINVAL, "skus: 1..%d expected", RC_OWNED_MAX);
    struct kf_reco_request one = *req;
    one.limit = 1;
    if (one.strategy == NULL)
        one.strategy = "cross_sell";
    struct rc c;
    int rc = rc__init(&c, st, &one, err);
    for (size_t i = 0; rc == KF_OK && i < n; i++) {
        json_t *p = NULL;
        struct kf_err e2 = {0};
        if (skus[i] == NULL || kf_repo_product_get(st, skus[i], &p, &e2) != KF_OK)
            continue; /* a product the shop no longer has says nothing */
        const char *cat = rc__str(p, "category");
        json_object_set_new(c.basis, skus[i], json_string(cat != NULL ? cat : ""));
        json_decref(p);
    }
    if (rc == KF_OK && json_object_size(c.basis) > 0)
        rc = rc__from_rules(&c, 1, err);
    if (rc == KF_OK)
        rc = rc__log(&c, err);
    json_t *it = json_array_get(c.items, 0);
    if (rc == KF_OK && it != NULL) {
        json_t *p = NULL;
        rc = kf_repo_product_get(st, rc__str(it, "sku"), &p, err);
        if (rc == KF_OK) {
            json_object_set_new(it, "product", p);
            *out = json_incref(it);
        }
    }
    rc__release(&c);
    return rc;
}

/* ---- the business module: the dialog's offer and its acceptance ------------- */

static struct kf_store *rc__store(const struct kf_biz_ctx *ctx, json_t *result)
{
    struct kf_store *st = kf_biz_store(ctx->biz);
    if (st == NULL)
        biz__outcome(result, "unavailable");
    return st;
}

static json_t *rc__card(const struct kf_biz_ctx *ctx, json_t *p, long long rec_id,
                        const char *reason)
{
    char price[32];
    biz__format_money(rc__num(p, "price"), price, sizeof price);
    json_t *v = json_object_get(p, "stock");
    struct rc c = {.zh = biz__is_zh(ctx)};
    return json_pack("{s:s,s:s?,s:s,s:s,s:I,s:I,s:s?}", "type", "product", "sku",
                     rc__str(p, "sku"), "name", rc__name(&c, p), "price", price, "stock",
                     (json_int_t)(json_is_integer(v) ? json_integer_value(v) : 0), "rec_id",
                     (json_int_t)rec_id, "reasons", reason);
}

/* The skus the conversation was about: the order's items (the customer's
 * own order, shipped or delivered), else the product asked about. */
static int rc__offer_basis(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                           json_t *skus, struct kf_err *err)
{
    const char *order_no = biz__arg_str(args, "order_id");
    const char *product = biz__arg_str(args, "product");
    if (order_no != NULL) {
        json_t *q = json_pack("{s:s}", "order_no", order_no), *o = NULL;
        int rc = q ? biz__fetch(ctx, "orders", "order.get", q, result, &o, err) : rc__oom(err);
        json_decref(q);
        if (rc != KF_OK || o == NULL)
            return rc;
        json_t *owner = json_object_get(o, "customer_id");
        const char *status = rc__str(o, "status");
        int mine = json_is_integer(owner) && json_integer_value(owner) == ctx->customer_id;
        if (mine && status != NULL &&
            (strcmp(status, "shipped") == 0 || strcmp(status, "delivered") == 0)) {
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(o, "items"), i, it) if (rc__str(it, "sku"))
                json_array_append_new(skus, json_string(rc__str(it, "sku")));
        }
        json_decref(o);
        return KF_OK;
    }
    if (product != NULL)
        json_array_append_new(skus, json_string(product));
    return KF_OK;
}

static int reco_cross_sell(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                           struct kf_err *err)
{
    struct kf_store *st = rc__store(ctx, result);
    json_t *skus = json_array();
    if (skus == NULL)
        return rc__oom(err);
    int rc = st != NULL ? rc__offer_basis(ctx, args, result, skus, err) : KF_OK;
    const char *list[RC_OWNED_MAX];
    size_t n = 0, i;
    json_t *s;
    json_array_foreach(skus, i, s) if (n < RC_OWNED_MAX) list[n++] = json_string_value(s);
    json_t *pick = NULL;
    if (rc == KF_OK && st != NULL && n > 0 && json_object_get(result, "outcome") == NULL) {
        struct kf_reco_request req = {.customer_id = ctx->customer_id,
                                      .conversation_id = ctx->conversation_id,
                                      .strategy = "cross_sell",
                                      .lang = ctx->lang,
                                      .now_ms = ctx->now_ms};
        rc = kf_reco_cross_sell(st, &req, list, n, &pick, err);
    }
    json_decref(skus);
    if (rc != KF_OK)
        return rc;
    if (pick == NULL) {
        if (json_object_get(result, "outcome") == NULL)
            biz__outcome(result, "empty");
        return KF_OK;
    }
    char price[32];
    biz__format_money(rc__num(pick, "price"), price, sizeof price);
    long long id = (long long)json_integer_value(json_object_get(pick, "id"));
    json_object_set_new(result, "rec_id", json_integer(id));
    json_object_set(result, "sku", json_object_get(pick, "sku"));
    json_object_set(result, "name", json_object_get(pick, "name"));
    json_object_set(result, "category", json_object_get(pick, "category"));
    json_object_set(result, "reason", json_object_get(pick, "reason"));
    json_object_set_new(result, "price", json_string(price));
    json_object_set_new(result, "card", rc__card(ctx, json_object_get(pick, "product"), id,
                                                 rc__str(pick, "reason")));
    json_decref(pick);
    return KF_OK;
}

static int reco_accept(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                       struct kf_err *err)
{
    json_t *v = json_object_get(args, "rec_id");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return kf_errorf(err, KF_EINVAL, "reco.accept: rec_id: expected a positive integer");
    struct kf_store *st = rc__store(ctx, result);
    if (st == NULL)
        return KF_OK;
    long long id = (long long)json_integer_value(v);
    json_t *rec = NULL, *p = NULL;
    struct kf_err e2 = {0};
    int rc = kf_reco_mark_click(st, id, ctx->customer_id, ctx->now_ms, NULL, &e2);
    if (rc == KF_OK)
        rc = kf_reco_get(st, id, &rec, &e2);
    if (rc == KF_OK)
        rc = kf_repo_product_get(st, rc__str(rec, "sku"), &p, &e2);
    if (rc == KF_ENOTFOUND) {
        biz__outcome(result, "not_found");
        rc = KF_OK;
    } else if (rc != KF_OK) {
        *err = e2;
    } else {
        struct rc c = {.zh = biz__is_zh(ctx)};
        char price[32];
        biz__format_money(rc__num(p, "price"), price, sizeof price);
        json_object_set_new(result, "rec_id", json_integer(id));
        json_object_set_new(result, "sku", json_string(rc__str(p, "sku")));
        json_object_set_new(result, "name", json_string(rc__name(&c, p)));
        json_object_set_new(result, "price", json_string(price));
        json_object_set_new(result, "reason", json_string(rc__str(rec, "reason") ? rc__str(rec, "reason") : ""));
        json_object_set_new(result, "card", rc__card(ctx, p, id, rc__str(rec, "reason")));
    }
    json_decref(rec);
    json_decref(p);
    return rc;
}

static const struct kf_biz_action reco_actions[] = {
    {"reco.cross_sell", reco_cross_sell, "one add-on for the order or product a conversation was about"},
    {"reco.accept", reco_accept, "the customer took the offer: record the click, show the product"},
};

const struct kf_biz_module kf_biz_reco_module = {"reco", reco_actions,
                                                 sizeof reco_actions / sizeof reco_actions[0]};
