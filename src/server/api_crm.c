/*
 * api_crm.c — the back office's customers, orders and products
 * (docs/api.md).
 *
 *   GET  /api/v1/customers/{id}           customer with identities, notes,
 *                                         conversations, orders, tickets
 *   POST /api/v1/customers/{id}/notes     add a note      → 201 note
 *   GET  /api/v1/customers/{id}/orders    {"items":[order summaries]}
 *   GET  /api/v1/orders/{order_no}        one order with items, shipment,
 *                                         payment, refunds, returns
 *   GET  /api/v1/products?category=&brand=&q=&min_price=&max_price=
 *        &in_stock=&limit=&offset=        {"items","total"}
 *   GET  /api/v1/products/{sku}           one product
 *
 * Customers come from the "customers" connector, orders and products from
 * "orders" (connector.h), never from SQL: with an http connector these
 * routes show the company's own systems. Read-only except notes.
 */
#include <string.h>

#include "http_int.h"
#include "kefu/biz.h"

#define CRM_NOTE_MAX 4000
#define CRM_NAME_MAX 64  /* author, category, brand */
#define CRM_KEY_MAX 64   /* order_no, sku */
#define CRM_QUERY_MAX 200

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

/* Order numbers and SKUs: letters, digits, '-', '_' and '.'. */
static int crm__key_ok(const char *s)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    size_t n = strlen(s);
    return n > 0 && strspn(s, set) == n;
}

static void api__customer_get(struct http_req *r, struct http_resp *out, long long id)
{
    json_t *args = json_pack("{s:I}", "id", (json_int_t)id), *res;
    if (api_call(r, out, "customers", "customer.get", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__customer_note(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"author", "body", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *args = NULL, *res = NULL;
    const char *author, *text, *actor;
    if (api_body_known(r, out, body, known) < 0)
        goto done;
    if (json_object_get(body, "body") == NULL) {
        http_error(r, out, 400, "bad_request", "body: required");
        goto done;
    }
    if (api_body_string(r, out, body, "body", CRM_NOTE_MAX, 1, &text) < 0 ||
        api_body_string(r, out, body, "author", CRM_NAME_MAX, 1, &author) < 0 ||
        (actor = api_actor(r, out)) == NULL)
        goto done;
    if (text == NULL) {
        http_error(r, out, 400, "bad_request", "body: expected a string");
        goto done;
    }
    args = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "author",
                     author != NULL ? author : actor, "body", text);
    if (api_call(r, out, "customers", "customer.note", args, 404, &res) < 0)
        goto done;
    http_json(r, out, 201, res);
done:
    json_decref(args);
    json_decref(body);
}

static void api__customer_orders(struct http_req *r, struct http_resp *out, long long id)
{
    if (api_require_customer(r, out, id) < 0)
        return; /* a customer's session reaches only its own orders */
    long long limit;
    if (api_query_long(r, out, "limit", 1, 200, 50, &limit, NULL) < 0)
        return;
    /* an unknown customer is a 404, not an empty list; the customers and
     * orders back ends may be different systems, so ask the first */
    json_t *cargs = json_pack("{s:I}", "id", (json_int_t)id), *cust;
    int rc = api_call(r, out, "customers", "customer.get", cargs, 404, &cust);
    json_decref(cargs);
    if (rc < 0)
        return;
    json_t *args = json_pack("{s:I,s:I}", "customer_id", (json_int_t)id, "limit",
                             (json_int_t)limit),
           *res;
    /* an http order service knows the customer by its own id (docs/connectors.md) */
    if (args != NULL && kf_biz_customer_ref(cust) != NULL)
        json_object_set_new(args, "customer_ref", json_string(kf_biz_customer_ref(cust)));
    json_decref(cust);
    if (api_call(r, out, "orders", "order.list", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__order_get(struct http_req *r, struct http_resp *out, const char *order_no)
{
    json_t *args = json_pack("{s:s}", "order_no", order_no), *res;
    if (api_call(r, out, "orders", "order.get", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__product_list(struct http_req *r, struct http_resp *out)
{
    const char *category, *brand, *q;
    double min_price, max_price;
    int has_min, has_max, in_stock, has_stock;
    long long limit, offset;
    if (api_query_string(r, out, "category", CRM_NAME_MAX, &category) < 0 ||
        api_query_string(r, out, "brand", CRM_NAME_MAX, &brand) < 0 ||
        api_query_string(r, out, "q", CRM_QUERY_MAX, &q) < 0 ||
        api_query_number(r, out, "min_price", &min_price, &has_min) < 0 ||
        api_query_number(r, out, "max_price", &max_price, &has_max) < 0 ||
        api_query_bool(r, out, "in_stock", &in_stock, &has_stock) < 0 ||
        api_query_long(r, out, "limit", 1, 200, 20, &limit, NULL) < 0 ||
        api_query_long(r, out, "offset", 0, 1000000000LL, 0, &offset, NULL) < 0)
        return;
    if (has_min && has_max && min_price > max_price) {
        http_error(r, out, 400, "bad_request", "min_price: greater than max_price");
        return;
    }
    json_t *args = json_pack("{s:I,s:I}", "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    if (category != NULL)
        json_object_set_new(args, "category", json_string(category));
    if (brand != NULL)
        json_object_set_new(args, "brand", json_string(brand));
    if (q != NULL)
        json_object_set_new(args, "q", json_string(q));
    if (has_min)
        json_object_set_new(args, "min_price", json_real(min_price));
    if (has_max)
        json_object_set_new(args, "max_price", json_real(max_price));
    if (has_stock)
        json_object_set_new(args, "in_stock", json_boolean(in_stock));
    json_t *res;
    if (api_call(r, out, "orders", "product.list", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__product_get(struct http_req *r, struct http_resp *out, const char *sku)
{
    json_t *args = json_pack("{s:s}", "sku", sku), *res;
    if (api_call(r, out, "orders", "product.get", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void crm__customers(struct http_req *r, struct http_resp *out, const char *seg,
                           const char *rest)
{
    long long id = api_parse_id(seg);
    if (id < 0)
        return http_error(r, out, 404, "not_found", "customer not found");
    if (api_path_end(rest))
        return is_method(r, "GET") ? api__customer_get(r, out, id)
                                   : http_method_not_allowed(r, out, "GET");
    if (strcmp(rest, "/notes") == 0 || strcmp(rest, "/notes/") == 0)
        return is_method(r, "POST") ? api__customer_note(r, out, id)
                                    : http_method_not_allowed(r, out, "POST");
    if (strcmp(rest, "/orders") == 0 || strcmp(rest, "/orders/") == 0)
        return is_method(r, "GET") ? api__customer_orders(r, out, id)
                                   : http_method_not_allowed(r, out, "GET");
    http_error(r, out, 404, "not_found", "no such endpoint: %s", r->url);
}

/* GET /api/v1/me/tickets: the customer's own tickets, without internal
 * fields (assignee, comments stay with the staff). */
static void api__my_tickets(struct http_req *r, struct http_resp *out)
{
    json_t *args = json_pack("{s:I,s:I}", "customer_id", (json_int_t)r->who.customer_id, "limit",
                             (json_int_t)50),
           *res;
    if (api_call(r, out, "tickets", "ticket.list", args, 404, &res) == 0) {
        json_t *items = json_object_get(res, "items");
        json_t *mine = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(items, i, t) {
            json_t *o = json_object();
            static const char *const keep[] = {"id", "subject", "status", "priority", "category",
                                               "created_at", "updated_at", "due_at", NULL};
            for (const char *const *k = keep; *k != NULL; k++)
                if (json_object_get(t, *k) != NULL)
                    json_object_set(o, *k, json_object_get(t, *k));
            json_array_append_new(mine, o);
        }
        json_decref(res);
        http_json(r, out, 200, json_pack("{s:o}", "items", mine));
    }
    json_decref(args);
}

/* /api/v1/me...: a customer's session (the customer_token of a started
 * conversation) sees its own orders and tickets; staff have no "me" here. */
static int crm__me(struct http_req *r, struct http_resp *out, const char *url)
{
    if (strncmp(url, "/api/v1/me", 10) != 0 || (url[10] != '\0' && url[10] != '/'))
        return HTTP_DECLINED;
    if (r->who.customer_id <= 0) {
        http_error(r, out, 403, "forbidden", "only a customer's session has a /me");
        return HTTP_HANDLED;
    }
    const char *rest = url + 10;
    if (!is_method(r, "GET"))
        http_method_not_allowed(r, out, "GET");
    else if (api_path_end(rest))
        http_json(r, out, 200, json_pack("{s:I}", "customer_id", (json_int_t)r->who.customer_id));
    else if (strcmp(rest, "/orders") == 0 || strcmp(rest, "/orders/") == 0)
        api__customer_orders(r, out, r->who.customer_id);
    else if (strcmp(rest, "/tickets") == 0 || strcmp(rest, "/tickets/") == 0)
        api__my_tickets(r, out);
    else
        http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
    return HTTP_HANDLED;
}

int api_crm_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    char seg[CRM_KEY_MAX + 1];
    const char *rest;
    if (crm__me(r, out, url) == HTTP_HANDLED)
        return HTTP_HANDLED;
    if (strcmp(url, "/api/v1/products") == 0 || strcmp(url, "/api/v1/products/") == 0) {
        if (is_method(r, "GET"))
            api__product_list(r, out);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/customers/", seg, sizeof seg, &rest)) {
        crm__customers(r, out, seg, rest);
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/orders/", seg, sizeof seg, &rest)) {
        if (!crm__key_ok(seg) || !api_path_end(rest))
            http_error(r, out, 404, "not_found", "order not found");
        else if (is_method(r, "GET"))
            api__order_get(r, out, seg);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/products/", seg, sizeof seg, &rest)) {
        if (!crm__key_ok(seg) || !api_path_end(rest))
            http_error(r, out, 404, "not_found", "product not found");
        else if (is_method(r, "GET"))
            api__product_get(r, out, seg);
        else
            http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    return HTTP_DECLINED;
}
