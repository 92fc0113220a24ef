/*
 * products.c — product knowledge (B5) and need elicitation's last step (L1).
 *
 * product.info answers one question about one product: its price, its stock,
 * its features or what it works with, chosen by cue words in the customer's
 * message (ctx->text); without a cue it gives a short summary of all.
 *
 * product.recommend takes what the elicitation flow learnt — "category"
 * (catalogue id), "budget" (a money entity value {"amount","comparator"}),
 * "features" (attribute ids; "features_text" as the customer wrote them),
 * "brand" — and returns up to three in-stock products of the category within
 * the budget, ranked by features matched, then by price nearest the budget
 * (a customer who names a budget wants the most product it buys), each with
 * its reasons. "about 3000" allows 15% above the amount; "at least" is a
 * floor. Outcome "empty" when nothing matches.
 *
 * The customer's profile (reco.h kf_reco_taste, issue 6) only breaks ties
 * and stands in for a budget not given: preferred categories first among
 * equals, then the price nearest what the customer usually pays. Every
 * pick shown is logged (reco_log.h, strategy elicitation; source profile
 * when the profile changed the three shown, else popular) and its card
 * carries the log id as rec_id, so the widget can report the click.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biz_int.h"
#include "kefu/reco.h"
#include "kefu/reco_log.h"

#define PRODUCTS_SHOWN 3

static const char *prod__str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static const char *prod__name(const struct kf_biz_ctx *ctx, json_t *p)
{
    const char *zh = prod__str(p, "name_zh"), *en = prod__str(p, "name_en");
    if (biz__is_zh(ctx))
        return *zh ? zh : en;
    return *en ? en : zh;
}

static double prod__price(json_t *p)
{
    json_t *v = json_object_get(p, "price");
    return json_is_number(v) ? json_number_value(v) : 0;
}

static long long prod__stock(json_t *p)
{
    json_t *v = json_object_get(p, "stock");
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static int prod__has_attr(json_t *p, const char *attr)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(p, "attributes"), i, a) if (
        json_is_string(a) && strcmp(json_string_value(a), attr) == 0) return 1;
    return 0;
}

static int prod__cue(const char *text, const char *const *cues)
{
    if (text == NULL)
        return 0;
    for (size_t i = 0; cues[i] != NULL; i++)
        if (strcasestr(text, cues[i]) != NULL)
            return 1;
    return 0;
}

static json_t *prod__card(const struct kf_biz_ctx *ctx, json_t *p)
{
    char price[32];
    biz__format_money(prod__price(p), price, sizeof price);
    json_t *features = json_object_get(json_object_get(p, "specs"),
                                       biz__is_zh(ctx) ? "features_zh" : "features_en");
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:O?,s:O?}", "type", "product", "sku",
                     prod__str(p, "sku"), "name", prod__name(ctx, p), "price", price, "stock",
                     (json_int_t)prod__stock(p), "attributes", json_object_get(p, "attributes"),
                     "features", features);
}

/* The product's features in the reply's language (specs.features_zh|en,
 * else the attribute ids), then its text specs: "5G网络、快充、storage 256GB". */
static void prod__features(json_t *p, char *out, size_t cap, int zh)
{
    size_t used = 0, i;
    json_t *a;
    out[0] = '\0';
    json_t *names = json_object_get(json_object_get(p, "specs"), zh ? "features_zh" : "features_en");
    if (!json_is_array(names))
        names = json_object_get(p, "attributes");
    json_array_foreach(names, i, a) {
        if (!json_is_string(a))
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? (zh ? "、" : ", ") : "",
                         json_string_value(a));
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
    static const char *const keys_zh[][2] = {{"storage", "存储"}, {"colour", "颜色"},
                                              {"color", "颜色"},   {"size", "尺寸"},
                                              {"weight", "重量"},  {"capacity", "容量"},
                                              {"screen", "屏幕"},  {"battery", "电池"}};
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(p, "specs"), key, v) {
        if (!json_is_string(v))
            continue;
        const char *shown = key;
        for (size_t k = 0; zh && k < sizeof keys_zh / sizeof keys_zh[0]; k++)
            if (strcmp(keys_zh[k][0], key) == 0)
                shown = keys_zh[k][1];
        int n = snprintf(out + used, cap - used, "%s%s %s", used ? (zh ? "、" : ", ") : "", shown,
                         json_string_value(v));
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

/* The product of that sku (a new reference), or NULL. */
static json_t *prod__get(const struct kf_biz_ctx *ctx, const char *sku)
{
    json_t *q = json_pack("{s:s}", "sku", sku), *p = NULL;
    struct kf_err err = {0};
    if (q == NULL || kf_connector_call(kf_biz_connector(ctx->biz, "orders"), "product.get", q, &p,
                                       &err) != KF_OK)
        p = NULL;
    json_decref(q);
    return p;
}

static int prod__fits(json_t *p, const char *sku)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(p, "specs"), "fits"), i, f) if (
        json_is_string(f) && strcmp(json_string_value(f), sku) == 0) return 1;
    return 0;
}

/* "Does X work with Y?": from the catalogue's "fits" (specs.fits: the
 * products an accessory is made for). others: every product the message
 * named (the dialog passes them as _products). 0 when the catalogue does not
 * say, so the caller answers in general terms. */
static int prod__compat(const struct kf_biz_ctx *ctx, json_t *p, json_t *others, char *out,
                        size_t cap)
{
    int zh = biz__is_zh(ctx);
    const char *sku = prod__str(p, "sku"), *name = prod__name(ctx, p);
    size_t i;
    json_t *o;
    json_array_foreach(others, i, o) {
        if (!json_is_string(o) || strcmp(json_string_value(o), sku) == 0)
            continue;
        json_t *q = prod__get(ctx, json_string_value(o));
        if (q == NULL)
            continue;
        int yes = prod__fits(p, prod__str(q, "sku")) || prod__fits(q, sku);
        int known = json_array_size(json_object_get(json_object_get(p, "specs"), "fits")) > 0 ||
                    json_array_size(json_object_get(json_object_get(q, "specs"), "fits")) > 0;
        if (yes || known)
            snprintf(out, cap,
                     yes ? (zh ? "可以,%s适配%s。" : "Yes, %s works with %s.")
                         : (zh ? "%s不适配%s。" : "No, %s does not work with %s."),
                     name, prod__name(ctx, q));
        json_decref(q);
        if (!(yes || known))
            continue;
        if (!yes) { /* what it is made for, then */
            size_t used = strlen(out), k;
            json_t *f;
            json_array_foreach(json_object_get(json_object_get(p, "specs"), "fits"), k, f) {
                json_t *fp = json_is_string(f) ? prod__get(ctx, json_string_value(f)) : NULL;
                if (fp == NULL)
                    continue;
                int w = snprintf(out + used, cap - used, "%s%s",
                                 k == 0 ? (zh ? "它适配:" : " It works with: ") : (zh ? "、" : ", "),
                                 prod__name(ctx, fp));
                json_decref(fp);
                if (w < 0 || (size_t)w >= cap - used)
                    break;
                used += (size_t)w;
            }
            if (used + 4 < cap)
                snprintf(out + used, cap - used, "%s", zh ? "。" : ".");
        }
        return 1;
    }
    /* no other product named: what this one is made for, if the catalogue says */
    json_t *fits = json_object_get(json_object_get(p, "specs"), "fits");
    if (json_array_size(fits) == 0)
        return 0;
    size_t used = (size_t)snprintf(out, cap, zh ? "%s适配:" : "%s works with: ", name);
    json_t *f;
    json_array_foreach(fits, i, f) {
        json_t *fp = json_is_string(f) ? prod__get(ctx, json_string_value(f)) : NULL;
        if (fp == NULL || used >= cap)
            continue;
        int w = snprintf(out + used, cap - used, "%s%s", i == 0 ? "" : (zh ? "、" : ", "),
                         prod__name(ctx, fp));
        json_decref(fp);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    if (used + 4 < cap)
        snprintf(out + used, cap - used, "%s", zh ? "。" : ".");
    return 1;
}

static int product_info(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                        struct kf_err *err)
{
    const char *sku = biz__arg_str(args, "product");
    if (sku == NULL)
        return kf_errorf(err, KF_EINVAL, "product.info: the product argument is missing");
    json_t *q = json_pack("{s:s}", "sku", sku), *p;
    int rc = biz__fetch(ctx, "orders", "product.get", q, result, &p, err);
    json_decref(q);
    if (rc != KF_OK || p == NULL)
        return rc;
    int zh = biz__is_zh(ctx);
    static const char *const price_cues[] = {"多少钱", "价格", "价钱", "售价", "几块", "price",
                                             "cost", "how much", NULL};
    static const char *const stock_cues[] = {"有货", "库存", "现货", "缺货", "没货", "in stock",
                                             "available", "stock", "sold out", NULL};
    static const char *const compat_cues[] = {"兼容", "适用", "适配", "能用", "能配", "可以用在",
                                              "配套", "compatible", "work with", "works with",
                                              "fits", "fit my", "fit the", NULL};
    char price[32], feats[600], answer[1024];
    biz__format_money(prod__price(p), price, sizeof price);
    prod__features(p, feats, sizeof feats, zh);
    const char *name = prod__name(ctx, p);
    long long stock = prod__stock(p);
    char stock_text[160];
    if (stock > 0)
        snprintf(stock_text, sizeof stock_text, zh ? "%s目前有货(库存 %lld 件)。" : "%s is in stock (%lld available).", name, stock);
    else
        snprintf(stock_text, sizeof stock_text, zh ? "%s暂时缺货,到货后可以通知您。" : "%s is out of stock right now; we can let you know when it is back.", name);
    const char *aspect;
    if (prod__cue(ctx->text, price_cues)) {
        aspect = "price";
        snprintf(answer, sizeof answer, zh ? "%s的售价是 ¥%s。" : "%s costs ¥%s.", name, price);
    } else if (prod__cue(ctx->text, stock_cues)) {
        aspect = "stock";
        snprintf(answer, sizeof answer, "%s", stock_text);
    } else if (prod__cue(ctx->text, compat_cues)) {
        aspect = "compatibility";
        if (!prod__compat(ctx, p, json_object_get(args, "_products"), answer, sizeof answer))
            snprintf(answer, sizeof answer,
                     zh ? "%s的规格:%s。请按接口和型号核对是否适配您的设备;不确定的话可以转人工帮您确认。"
                        : "%s: %s. Please check the connector and model against your device; a "
                          "human agent can confirm it for you.",
                     name, feats);
    } else {
        aspect = "summary";
        snprintf(answer, sizeof answer, zh ? "%s,售价 ¥%s,特点:%s。%s" : "%s, ¥%s. Features: %s. %s",
                 name, price, feats, stock_text);
    }
    json_object_set_new(result, "aspect", json_string(aspect));
    json_object_set_new(result, "answer", json_string(answer));
    json_object_set_new(result, "name", json_string(name));
    json_object_set_new(result, "price", json_string(price));
    json_object_set_new(result, "card", prod__card(ctx, p));
    json_decref(p);
    return KF_OK;
}

struct prod_pick {
    json_t *p;
    int matched;
    double price;
    double rank; /* higher first: the price under a ceiling, minus it above a floor */
    int preferred; /* the profile: one of the customer's preferred categories */
    double near;   /* the profile: minus the distance to the customer's usual price */
};

static int rec__cmp(const void *x, const void *y)
{
    const struct prod_pick *a = x, *b = y;
    if (a->matched != b->matched)
        return b->matched - a->matched;
    if (a->preferred != b->preferred)
        return b->preferred - a->preferred;
    if (a->rank != b->rank)
        return a->rank > b->rank ? -1 : 1;
    if (a->near != b->near)
        return a->near > b->near ? -1 : 1;
    return strcmp(prod__str(a->p, "sku"), prod__str(b->p, "sku"));
}

/* The customer's taste applied to the picks; 1 when it changed the ones
 * shown (the source logged is then "profile"). No budget: the price they
 * usually pay stands in for one. */
static int rec__taste(const struct kf_biz_ctx *ctx, struct prod_pick *picks, size_t n,
                      int budget)
{
    struct kf_store *st = kf_biz_store(ctx->biz);
    struct kf_reco_taste t;
    struct kf_err err = {0};
    if (st == NULL || ctx->customer_id <= 0 || n < 2)
        return 0;
    if (kf_reco_taste(st, ctx->customer_id, ctx->now_ms, &t, &err) != KF_OK) {
        KF_DEBUG(kf_biz_log(ctx->biz), "products", "no taste for customer %lld: %s",
                 ctx->customer_id, err.msg);
        return 0;
    }
    if (!t.known)
        return 0;
    const char *before[PRODUCTS_SHOWN] = {0};
    for (size_t i = 0; i < n && i < PRODUCTS_SHOWN; i++)
        before[i] = prod__str(picks[i].p, "sku");
    for (size_t i = 0; i < n; i++) {
        const char *cat = prod__str(picks[i].p, "category");
        for (size_t k = 0; k < t.ncategories; k++)
            picks[i].preferred |= strcmp(t.categories[k], cat) == 0;
        if (t.avg_price > 0) {
            double d = picks[i].price - t.avg_price;
            picks[i].near = -(d < 0 ? -d : d);
            if (!budget)
                picks[i].rank = picks[i].near;
        }
    }
    qsort(picks, n, sizeof *picks, rec__cmp);
    for (size_t i = 0; i < n && i < PRODUCTS_SHOWN; i++)
        if (strcmp(before[i], prod__str(picks[i].p, "sku")) != 0)
            return 1;
    return 0;
}

/* Log the picks shown (strategy elicitation); each card gets its rec_id.
 * A failure is logged and the customer still gets the picks. */
static void rec__log(const struct kf_biz_ctx *ctx, json_t *cards, json_t *reasons, int shaped)
{
    struct kf_store *st = kf_biz_store(ctx->biz);
    size_t n = json_array_size(cards);
    if (st == NULL || n == 0)
        return;
    struct kf_reco_entry e[PRODUCTS_SHOWN];
    long long ids[PRODUCTS_SHOWN];
    if (n > PRODUCTS_SHOWN)
        n = PRODUCTS_SHOWN;
    for (size_t i = 0; i < n; i++)
        e[i] = (struct kf_reco_entry){.customer_id = ctx->customer_id,
                                      .conversation_id = ctx->conversation_id,
                                      .sku = prod__str(json_array_get(cards, i), "sku"),
                                      .source = shaped ? "profile" : "popular",
                                      .strategy = "elicitation",
                                      .reason = json_string_value(json_array_get(reasons, i)),
                                      .at = ctx->now_ms};
    struct kf_err err = {0};
    if (kf_reco_log(st, e, n, ids, &err) != KF_OK) {
        KF_WARN(kf_biz_log(ctx->biz), "products", "recommendation log: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++)
        json_object_set_new(json_array_get(cards, i), "rec_id", json_integer(ids[i]));
}

/* Reads the budget entity value ({"amount":3000,"comparator":"le"}) into a
 * range; 0 means open. */
static void rec__budget(json_t *budget, double *lo, double *hi)
{
    *lo = 0;
    *hi = 0;
    if (json_is_string(budget)) { /* a bare number typed as text */
        char *end;
        double v = strtod(json_string_value(budget), &end);
        if (end != json_string_value(budget))
            *hi = v * 1.15;
        return;
    }
    if (!json_is_object(budget))
        return;
    json_t *amt = json_object_get(budget, "amount");
    if (!json_is_number(amt))
        return;
    double v = json_number_value(amt);
    const char *cmp = json_string_value(json_object_get(budget, "comparator"));
    if (cmp != NULL && (strcmp(cmp, "ge") == 0 || strcmp(cmp, "gt") == 0))
        *lo = v;
    else if (cmp != NULL && (strcmp(cmp, "le") == 0 || strcmp(cmp, "lt") == 0))
        *hi = v;
    else
        *hi = v * 1.15;
}

static int product_recommend(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                             struct kf_err *err)
{
    int zh = biz__is_zh(ctx);
    const char *category = biz__arg_str(args, "category");
    const char *brand = biz__arg_str(args, "brand");
    double lo, hi;
    rec__budget(json_object_get(args, "budget"), &lo, &hi);
    json_t *q = json_pack("{s:b,s:i}", "in_stock", 1, "limit", 200);
    if (q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (category != NULL)
        json_object_set_new(q, "category", json_string(category));
    if (brand != NULL)
        json_object_set_new(q, "brand", json_string(brand));
    if (hi > 0)
        json_object_set_new(q, "max_price", json_real(hi));
    if (lo > 0)
        json_object_set_new(q, "min_price", json_real(lo));
    json_t *list;
    int rc = biz__fetch(ctx, "orders", "product.list", q, result, &list, err);
    json_decref(q);
    if (rc != KF_OK || list == NULL)
        return rc;
    json_t *items = json_object_get(list, "items");
    size_t n = json_array_size(items);
    struct prod_pick *picks = n ? calloc(n, sizeof *picks) : NULL;
    if (n > 0 && picks == NULL) {
        json_decref(list);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    json_t *features = json_object_get(args, "features");
    if (json_is_string(features)) /* one feature */
        features = json_pack("[O]", features);
    else
        features = json_incref(json_is_array(features) ? features : NULL);
    for (size_t i = 0; i < n; i++) {
        picks[i].p = json_array_get(items, i);
        picks[i].price = prod__price(picks[i].p);
        /* nearest the budget: the dearest under a ceiling ("le", "about"),
         * the cheapest above a floor ("ge": not the dearest of the shop) */
        picks[i].rank = lo > 0 && hi <= 0 ? -picks[i].price : picks[i].price;
        size_t k;
        json_t *f;
        json_array_foreach(features, k, f) if (json_is_string(f) &&
                                               prod__has_attr(picks[i].p, json_string_value(f)))
            picks[i].matched++;
    }
    if (n > 1)
        qsort(picks, n, sizeof *picks, rec__cmp);
    int shaped = rec__taste(ctx, picks, n, hi > 0 || lo > 0);

    json_t *out = json_array(), *cards = json_array(), *logged = json_array();
    char list_text[2048] = "";
    size_t used = 0;
    /* nothing has what was asked for: say so before the nearest picks */
    if (n > 0 && picks[0].matched == 0 && json_array_size(features) > 0) {
        int w = snprintf(list_text, sizeof list_text, "%s",
                         zh ? "暂时没有带这些功能的有货商品,以下是条件最接近的:"
                            : "Nothing in stock has all of that; these come closest:");
        if (w > 0 && (size_t)w < sizeof list_text)
            used = (size_t)w;
    }
    json_t *ftext = json_object_get(args, "features_text");
    for (size_t i = 0; i < n && i < PRODUCTS_SHOWN; i++) {
        json_t *p = picks[i].p;
        char price[32], reasons[512];
        biz__format_money(picks[i].price, price, sizeof price);
        size_t r = 0;
        reasons[0] = '\0';
        if (hi > 0 || lo > 0)
            r += (size_t)snprintf(reasons + r, sizeof reasons - r, "%s",
                                  zh ? "在您的预算内" : "within your budget");
        size_t k;
        json_t *f;
        int said = 0;
        json_array_foreach(features, k, f) {
            if (!json_is_string(f) || !prod__has_attr(p, json_string_value(f)) || r >= sizeof reasons - 64)
                continue;
            json_t *shown = json_is_array(ftext) ? json_array_get(ftext, k) : NULL;
            const char *label = json_is_string(shown) ? json_string_value(shown) : json_string_value(f);
            r += (size_t)snprintf(reasons + r, sizeof reasons - r, "%s%s%s",
                                  r ? (said ? (zh ? "、" : ", ") : (zh ? ";支持" : "; has "))
                                    : (zh ? "支持" : "has "),
                                  label, "");
            said = 1;
        }
        if (r == 0 || (!said && json_array_size(features) > 0))
            r += (size_t)snprintf(reasons + r, sizeof reasons - r, "%s%s",
                                  r ? (zh ? ";" : "; ") : "",
                                  zh ? "同类热门款" : "a popular pick in this category");
        json_t *card = prod__card(ctx, p);
        json_object_set_new(card, "reasons", json_string(reasons));
        json_array_append_new(cards, card);
        json_array_append_new(logged, json_string(reasons));
        json_array_append_new(out, json_string(prod__str(p, "sku")));
        int w = snprintf(list_text + used, sizeof list_text - used,
                         zh ? "%s%zu. %s ¥%s(%s)" : "%s%zu. %s ¥%s (%s)", used ? "\n" : "",
                         i + 1, prod__name(ctx, p), price, reasons);
        if (w > 0 && (size_t)w < sizeof list_text - used)
            used += (size_t)w;
    }
    json_decref(features);
    free(picks);
    rec__log(ctx, cards, logged, shaped);
    json_decref(logged);
    json_object_set_new(result, "skus", out);
    json_object_set_new(result, "list_text", json_string(list_text));
    json_object_set_new(result, "card", json_pack("{s:s,s:o}", "type", "products", "items", cards));
    json_object_set_new(result, "count", json_integer((json_int_t)json_array_size(out)));
    if (json_array_size(out) == 0)
        biz__outcome(result, "empty");
    json_decref(list);
    return KF_OK;
}

static const struct kf_biz_action products_actions[] = {
    {"product.info", product_info, "price, stock, features or compatibility of a product"},
    {"product.recommend", product_recommend, "three products for a category, budget and features"},
};

const struct kf_biz_module kf_biz_products_module = {
    "products", products_actions, sizeof products_actions / sizeof products_actions[0]};
