/*
 * orders.c — the orders module (B1, B2): status and tracking, cancel,
 * address change, return/exchange requests and refund status.
 *
 * Every action reads the order through the "orders" connector (builtin or
 * http, connector.h) and applies the shop's rules here, so they hold for any
 * back end:
 *   - anyone who knows an order number may see its status and tracking (the
 *     card shows no personal data: the address is stored masked);
 *   - changes (cancel, address, return) need the conversation's customer to
 *     own the order (outcome not_owner otherwise; order__owned);
 *   - cancel and address change only while the order is pending or paid
 *     (reason "shipped", "delivered" or "cancelled" otherwise);
 *   - return or exchange only when delivered, within the return window, and
 *     once per order (reasons "not_delivered", "window_passed",
 *     "already_requested").
 * Args come from the flow's slots: "order_id" (a string), "kind", "reason",
 * "address".
 */
#include <stdio.h>
#include <string.h>

#include "biz_int.h"

static const char *order__status_text(const char *status, int zh)
{
    static const char *const tab[][3] = {
        {"pending", "待付款", "awaiting payment"},
        {"paid", "已付款,等待发货", "paid, waiting to ship"},
        {"shipped", "已发货,运输中", "shipped, on its way"},
        {"delivered", "已签收", "delivered"},
        {"cancelled", "已取消", "cancelled"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(tab[i][0], status) == 0)
            return tab[i][zh ? 1 : 2];
    return status;
}

/* The order named by args.order_id, or *order NULL with result.outcome set. */
static int order__load(const struct kf_biz_ctx *ctx, json_t *args, json_t *result, json_t **order,
                       struct kf_err *err)
{
    *order = NULL;
    const char *no = biz__arg_str(args, "order_id");
    if (no == NULL)
        return kf_errorf(err, KF_EINVAL, "order: the order_id argument is missing");
    json_object_set_new(result, "order_id", json_string(no));
    json_t *q = json_pack("{s:s}", "order_no", no);
    if (q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = biz__fetch(ctx, "orders", "order.get", q, result, order, err);
    json_decref(q);
    return rc;
}

static void order__describe(const struct kf_biz_ctx *ctx, json_t *order, json_t *result);

/* order__load, then the fields templates use (order__describe). */
static int order__load_described(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                                 json_t **order, struct kf_err *err)
{
    int rc = order__load(ctx, args, result, order, err);
    if (rc == KF_OK && *order != NULL)
        order__describe(ctx, *order, result);
    return rc;
}

static const char *order__str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static long long order__ms(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v)
                              : json_is_real(v) ? (long long)json_real_value(v) : 0;
}

/* An item's name in the reply's language: orders keep the name they were
 * sold under (Chinese in the demo shop); English asks the catalogue. */
static const char *order__item_name(const struct kf_biz_ctx *ctx, json_t *item)
{
    const char *name = order__str(item, "name");
    const char *sku = order__str(item, "sku");
    if (biz__is_zh(ctx) || *sku == '\0')
        return name;
    json_t *q = json_pack("{s:s}", "sku", sku), *p = NULL;
    struct kf_err err = {0};
    const char *en = NULL;
    if (q != NULL &&
        kf_connector_call(kf_biz_connector(ctx->biz, "orders"), "product.get", q, &p, &err) ==
            KF_OK &&
        *order__str(p, "name_en") != '\0') {
        json_object_set(item, "name", json_object_get(p, "name_en")); /* the card too */
        en = order__str(item, "name");
    }
    json_decref(q);
    json_decref(p);
    return en != NULL ? en : name;
}

/* Carriers as the demo shop's orders name them, in English. */
static const char *order__carrier(const struct kf_biz_ctx *ctx, const char *c)
{
    static const char *const tab[][2] = {
        {"顺丰", "SF Express"}, {"京东", "JD Logistics"}, {"圆通", "YTO Express"},
        {"中通", "ZTO Express"}, {"韵达", "Yunda Express"}, {"邮政", "China Post"},
    };
    if (biz__is_zh(ctx))
        return c;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(tab[i][0], c) == 0)
            return tab[i][1];
    return c;
}

/* The fields templates use, and the structured card. */
static void order__describe(const struct kf_biz_ctx *ctx, json_t *order, json_t *result)
{
    int zh = biz__is_zh(ctx);
    const char *status = order__str(order, "status");
    char buf[64];
    json_object_set_new(result, "order_no", json_string(order__str(order, "order_no")));
    json_object_set_new(result, "status", json_string(status));
    json_object_set_new(result, "status_text", json_string(order__status_text(status, zh)));
    json_t *total = json_object_get(order, "total");
    biz__format_money(json_is_number(total) ? json_number_value(total) : 0, buf, sizeof buf);
    json_object_set_new(result, "total", json_string(buf));

    /* "华为Mate60 ×1、手机壳 ×2" */
    char items[512] = "";
    size_t used = 0;
    json_t *arr = json_object_get(order, "items"), *it;
    size_t i;
    json_array_foreach(arr, i, it) {
        const char *name = order__item_name(ctx, it);
        long long qty = order__ms(it, "qty");
        int n = snprintf(items + used, sizeof items - used, "%s%s ×%lld",
                         i == 0 ? "" : (zh ? "、" : ", "), name, qty > 0 ? qty : 1);
        if (n < 0 || (size_t)n >= sizeof items - used)
            break;
        used += (size_t)n;
    }
    json_object_set_new(result, "items_text", json_string(items));

    json_t *ship = json_object_get(order, "shipment");
    char track[256] = "";
    if (json_is_object(ship) && *order__str(ship, "tracking_no") != '\0') {
        const char *carrier = order__carrier(ctx, order__str(ship, "carrier"));
        json_object_set_new(result, "carrier", json_string(carrier));
        json_object_set_new(result, "tracking_no", json_string(order__str(ship, "tracking_no")));
        long long eta = order__ms(ship, "eta");
        if (eta > 0 && strcmp(status, "shipped") == 0) {
            biz__format_time(ctx, eta, 0, buf, sizeof buf);
            json_object_set_new(result, "eta", json_string(buf));
            snprintf(track, sizeof track,
                     zh ? "%s运单号 %s,预计 %s 送达。" : "%s tracking number %s, expected by %s.",
                     carrier, order__str(ship, "tracking_no"), buf);
        } else {
            snprintf(track, sizeof track, zh ? "%s运单号 %s。" : "%s tracking number %s.",
                     carrier, order__str(ship, "tracking_no"));
        }
    } else if (strcmp(status, "paid") == 0) {
        snprintf(track, sizeof track, "%s",
                 zh ? "仓库正在备货,发货后会通知您。" : "The warehouse is packing it; we'll notify you when it ships.");
    }
    json_object_set_new(result, "tracking_text", json_string(track));
    long long delivered = order__ms(order, "delivered_at");
    if (delivered > 0) {
        biz__format_time(ctx, delivered, 0, buf, sizeof buf);
        json_object_set_new(result, "delivered_on", json_string(buf));
    }

    json_t *card = json_pack("{s:s,s:s,s:s,s:s,s:O?,s:O?}", "type", "order", "order_no",
                             order__str(order, "order_no"), "status", status, "status_text",
                             order__status_text(status, zh), "items", json_object_get(order, "items"),
                             "shipment", json_object_get(order, "shipment"));
    if (card != NULL) {
        json_object_set(card, "total", json_object_get(result, "total"));
        /* the day the shop promises, in the shop's zone (as the text says it) */
        if (json_object_get(result, "eta") != NULL)
            json_object_set(card, "eta_date", json_object_get(result, "eta"));
        json_object_set_new(result, "card", card);
    }
}

/* Is the customer's identity on some channel the order's customer_ref? */
static int order__ref_is_customer(const struct kf_biz_ctx *ctx, const char *ref)
{
    if (ctx->customer_id <= 0)
        return 0;
    json_t *q = json_pack("{s:I}", "id", (json_int_t)ctx->customer_id), *cust = NULL;
    struct kf_err err = {0};
    int rc = kf_connector_call(kf_biz_connector(ctx->biz, "customers"), "customer.get", q, &cust,
                               &err);
    json_decref(q);
    int mine = 0;
    size_t i;
    json_t *id;
    if (rc == KF_OK)
        json_array_foreach(json_object_get(cust, "identities"), i, id) if (
            strcmp(order__str(id, "external_id"), ref) == 0) mine = 1;
    json_decref(cust);
    return mine;
}

/* Orders from the embedded store carry kefu's customer_id; a company's
 * order service (http connector) knows its own customer id, mapped to
 * "customer_ref" and matched against the ids the customer has on kefu's
 * channels (the site passes its user id as the web channel's external id). */
static int order__owned(const struct kf_biz_ctx *ctx, json_t *order, json_t *result)
{
    const char *ref = order__str(order, "customer_ref");
    if (*ref != '\0') {
        if (order__ref_is_customer(ctx, ref))
            return 1;
    } else {
        long long owner = order__ms(order, "customer_id");
        if (owner != 0 && owner == ctx->customer_id)
            return 1;
    }
    biz__outcome(result, "not_owner");
    return 0;
}

/* Status and tracking for anyone with the number; what was bought and
 * for how much only for the customer who owns the order. */
static int order_status(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                        struct kf_err *err)
{
    json_t *order;
    int rc = order__load_described(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL)
        return rc;
    if (!order__owned(ctx, order, result)) {
        biz__outcome(result, "ok"); /* looking is allowed, the details are not */
        size_t n = json_array_size(json_object_get(order, "items"));
        char count[64];
        snprintf(count, sizeof count, biz__is_zh(ctx) ? "%zu件商品" : "%zu item%s", n,
                 n == 1 ? "" : "s");
        json_object_set_new(result, "items_text", json_string(count));
        json_object_del(result, "total");
        json_t *card = json_object_get(result, "card");
        json_object_del(card, "items");
        json_object_del(card, "total");
        json_object_set_new(result, "owner", json_false());
    }
    json_decref(order);
    return KF_OK;
}

/* The customer's latest orders (quick replies when a flow asks which one). */
static int order_recent(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                        struct kf_err *err)
{
    (void)args;
    if (ctx->customer_id <= 0) {
        biz__outcome(result, "empty");
        return KF_OK;
    }
    json_t *q = json_pack("{s:I,s:i}", "customer_id", (json_int_t)ctx->customer_id, "limit", 3);
    if (q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    /* an http order service knows the customer by its own id (customer_ref) */
    json_t *cq = json_pack("{s:I}", "id", (json_int_t)ctx->customer_id), *cust = NULL;
    struct kf_err cerr = {0};
    if (kf_connector_call(kf_biz_connector(ctx->biz, "customers"), "customer.get", cq, &cust,
                          &cerr) == KF_OK &&
        kf_biz_customer_ref(cust) != NULL)
        json_object_set_new(q, "customer_ref", json_string(kf_biz_customer_ref(cust)));
    json_decref(cq);
    json_decref(cust);
    json_t *list;
    int rc = biz__fetch(ctx, "orders", "order.list", q, result, &list, err);
    json_decref(q);
    if (rc != KF_OK || list == NULL)
        return rc;
    json_t *items = json_object_get(list, "items");
    json_t *choices = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) json_array_append_new(
        choices, json_string(order__str(it, "order_no")));
    json_object_set_new(result, "choices", choices);
    biz__outcome(result, json_array_size(choices) > 0 ? "ok" : "empty");
    json_decref(list);
    return KF_OK;
}

/* Cancel and address change: the order is the customer's and not shipped. */
static int order__check_unshipped(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                                  json_t **order_out, struct kf_err *err)
{
    json_t *order;
    *order_out = NULL;
    int rc = order__load_described(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL)
        return rc;
    const char *status = order__str(order, "status");
    if (order__owned(ctx, order, result)) { /* else: not_owner */
        if (strcmp(status, "pending") == 0 || strcmp(status, "paid") == 0) {
            *order_out = order;
            return KF_OK;
        }
        biz__outcome(result, "not_allowed");
        json_object_set_new(result, "reason", json_string(status));
    }
    json_decref(order);
    return KF_OK;
}

static int order_check_unshipped(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                                 struct kf_err *err)
{
    json_t *order;
    int rc = order__check_unshipped(ctx, args, result, &order, err);
    json_decref(order);
    return rc;
}

static int order__update(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                         json_t *patch, struct kf_err *err)
{
    json_t *order;
    int rc = order__check_unshipped(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL) {
        json_decref(patch);
        return rc;
    }
    const char *was = order__str(order, "status");
    int refund = strcmp(was, "paid") == 0;
    json_t *q = json_pack("{s:s,s:s,s:o}", "order_no", order__str(order, "order_no"), "expect",
                          "pending,paid", "patch", patch);
    json_decref(order);
    if (q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    json_t *updated;
    rc = biz__fetch(ctx, "orders", "order.update", q, result, &updated, err);
    json_decref(q);
    if (rc != KF_OK || updated == NULL)
        return rc;
    order__describe(ctx, updated, result);
    json_object_set_new(result, "refund", json_boolean(refund));
    json_decref(updated);
    return KF_OK;
}

static int order_cancel(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                        struct kf_err *err)
{
    json_t *patch = json_pack("{s:s}", "status", "cancelled");
    if (patch == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = order__update(ctx, args, result, patch, err);
    if (rc == KF_OK && json_is_true(json_object_get(result, "refund")))
        json_object_set_new(result, "refund_text",
                            json_string(biz__is_zh(ctx)
                                            ? "已付款项将在1-3个工作日内原路退回。"
                                            : "Your payment will be refunded to the original method within 1-3 business days."));
    else if (rc == KF_OK)
        json_object_set_new(result, "refund_text", json_string(""));
    return rc;
}

static int order_change_address(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                                 struct kf_err *err)
{
    const char *addr = biz__arg_str(args, "address");
    if (addr == NULL || *addr == '\0')
        return kf_errorf(err, KF_EINVAL, "order.change_address: the address argument is missing");
    /* with a PII vault the dialog passes the raw address (for a company's
     * order service, which must deliver) and its masked form (what kefu's
     * own store, replies and state keep) */
    const char *masked = biz__arg_str(args, "address_masked");
    json_t *patch = json_pack("{s:s}", "address", addr);
    if (patch == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (masked != NULL)
        json_object_set_new(patch, "address_masked", json_string(masked));
    json_object_set_new(result, "address", json_string(masked != NULL ? masked : addr));
    return order__update(ctx, args, result, patch, err);
}

static int order__check_return(const struct kf_biz_ctx *ctx, json_t *order, json_t *result)
{
    const char *status = order__str(order, "status");
    long long delivered = order__ms(order, "delivered_at");
    long long window = (long long)kf_biz_return_window_days(ctx->biz) * 86400000LL;
    json_object_set_new(result, "window_days", json_integer(kf_biz_return_window_days(ctx->biz)));
    const char *reason = NULL;
    if (strcmp(status, "delivered") != 0)
        reason = "not_delivered";
    else if (delivered > 0 && ctx->now_ms - delivered > window)
        reason = "window_passed";
    else if (json_array_size(json_object_get(order, "returns")) > 0)
        reason = "already_requested";
    if (reason == NULL)
        return 1;
    biz__outcome(result, "not_allowed");
    json_object_set_new(result, "reason", json_string(reason));
    return 0;
}

static int order_check_return(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                              struct kf_err *err)
{
    json_t *order;
    int rc = order__load_described(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL)
        return rc;
    if (order__owned(ctx, order, result))
        order__check_return(ctx, order, result);
    json_decref(order);
    return KF_OK;
}

static int order_return(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                        struct kf_err *err)
{
    json_t *order;
    int rc = order__load_described(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL)
        return rc;
    if (!order__owned(ctx, order, result) || !order__check_return(ctx, order, result)) {
        json_decref(order);
        return KF_OK;
    }
    const char *kind = biz__arg_str(args, "kind");
    if (kind == NULL || (strcmp(kind, "return") != 0 && strcmp(kind, "exchange") != 0))
        kind = "return";
    /* back ends require a reason (the builtin connector refuses ""): a
     * request without one is still a request */
    const char *reason = biz__arg_str(args, "reason");
    json_t *q = json_pack("{s:s,s:s,s:s}", "order_no", order__str(order, "order_no"), "kind", kind,
                          "reason", reason != NULL && *reason != '\0' ? reason : "unspecified");
    json_decref(order);
    if (q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    json_t *rma;
    rc = biz__fetch(ctx, "orders", "return.create", q, result, &rma, err);
    json_decref(q);
    if (rc != KF_OK || rma == NULL)
        return rc;
    json_object_set_new(result, "rma_no", json_string(order__str(rma, "rma_no")));
    json_object_set_new(result, "kind", json_string(kind));
    json_decref(rma);
    return KF_OK;
}

static int order_refund_status(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                               struct kf_err *err)
{
    json_t *order;
    int rc = order__load_described(ctx, args, result, &order, err);
    if (rc != KF_OK || order == NULL)
        return rc;
    json_t *refunds = json_object_get(order, "refunds");
    size_t n = json_array_size(refunds);
    if (n == 0) {
        biz__outcome(result, "empty");
        json_decref(order);
        return KF_OK;
    }
    json_t *last = json_array_get(refunds, n - 1);
    int zh = biz__is_zh(ctx);
    const char *st = order__str(last, "status");
    char money[32], when[32] = "";
    json_t *amount = json_object_get(last, "amount");
    biz__format_money(json_is_number(amount) ? json_number_value(amount) : 0, money, sizeof money);
    long long done = order__ms(last, "completed_at");
    if (done > 0)
        biz__format_time(ctx, done, 0, when, sizeof when);
    char text[256];
    if (strcmp(st, "completed") == 0)
        snprintf(text, sizeof text,
                 zh ? "退款 ¥%s 已于 %s 退回原支付账户,银行入账可能需要1-3个工作日。"
                    : "The refund of ¥%s was sent back to your original payment method on %s; "
                      "banks may take 1-3 business days to show it.",
                 money, when);
    else
        snprintf(text, sizeof text,
                 zh ? "退款 ¥%s 正在处理中,通常1-3个工作日内原路退回。"
                    : "The refund of ¥%s is being processed and usually reaches your original "
                      "payment method within 1-3 business days.",
                 money);
    json_object_set_new(result, "refund_status", json_string(st));
    json_object_set_new(result, "refund_amount", json_string(money));
    json_object_set_new(result, "refund_text", json_string(text));
    json_decref(order);
    return KF_OK;
}

static const struct kf_biz_action orders_actions[] = {
    {"order.status", order_status, "an order's status, items and tracking (order card)"},
    {"order.recent", order_recent, "the customer's latest order numbers"},
    {"order.check_cancel", order_check_unshipped, "may the customer cancel the order?"},
    {"order.cancel", order_cancel, "cancel an order before it ships"},
    {"order.check_change", order_check_unshipped, "may the customer change the order?"},
    {"order.change_address", order_change_address, "change the delivery address before shipping"},
    {"order.check_return", order_check_return, "is the order within the return window?"},
    {"order.return", order_return, "request a return or an exchange (creates an RMA)"},
    {"order.refund_status", order_refund_status, "the refund of an order"},
};

const struct kf_biz_module kf_biz_orders_module = {
    "orders", orders_actions, sizeof orders_actions / sizeof orders_actions[0]};
