/*
 * repo.h — the shop's records in the embedded store: products, orders (with
 * items, shipment, payment, refunds and return requests), tickets and the
 * CRM view of customers. The business layer (biz/, through its `builtin`
 * connector) and the HTTP API read and change them only through these calls;
 * SQL stays in src/data/sqlite/.
 *
 * Records travel as jansson objects in one canonical shape per kind, the same
 * shape the `http` connector maps a company's REST service onto
 * (docs/connectors.md), so the business rules above never know which back end
 * answered:
 *
 *   product  {"sku","name_zh","name_en","category","brand","price","stock",
 *             "attributes":[..], "specs":{..}}
 *   order    {"order_no","customer_id","status","created_at","updated_at",
 *             "paid_at","shipped_at","delivered_at" (ms or null),
 *             "total","currency","address" (masked form),
 *             "items":[{"sku","name","qty","price"}],
 *             "shipment":{"carrier","tracking_no","status","eta"} or null,
 *             "payment":{"method","amount","status","paid_at"} or null,
 *             "refunds":[{"refund_no","amount","status","reason","created_at",
 *                         "completed_at"}],
 *             "returns":[{"rma_no","kind","reason","status","created_at"}]}
 *     order status: pending (unpaid) | paid | shipped | delivered | cancelled
 *   ticket   {"id","customer_id","conversation_id","subject","description",
 *             "category","priority","status","assignee","created_at",
 *             "updated_at","due_at","resolved_at",
 *             "comments":[{"id","author","body","internal","created_at"}],
 *             "history":[{"at","actor","field","from","to"}]}
 *     ticket status: open | pending | escalated | resolved | closed
 *     priority: low | normal | high | urgent (SLA: 72, 24, 8, 2 hours)
 *   customer {"id","name","tier","created_at","identities":[{"channel",
 *             "external_id"}], "notes":[{"id","author","body","created_at"}],
 *             "conversations":[{"id","channel","status","created_at"}],
 *             "orders":[order summaries], "tickets":[ticket summaries]}
 *
 *   customers also carry "email", "phone" (masked), "city", "birthday".
 *
 * Ownership: every json_t ** out gets a new reference the caller decrefs
 * (NULL on error); arguments are borrowed. Errors: KF_ENOTFOUND (no such
 * record), KF_EINVAL (a bad field: the message names it; also an unknown
 * key in a query, filter, patch or request, and any text over 4000 bytes),
 * KF_ECONFLICT (the record is not in the state the change expects),
 * KF_ESTORE. Times are ms since the epoch; money is CNY as a JSON real.
 * Writes are one transaction each, safe beside concurrent turn commits.
 */
#ifndef KEFU_REPO_H
#define KEFU_REPO_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/err.h"
#include "kefu/store.h"

/* Products */
int kf_repo_product_get(struct kf_store *st, const char *sku, json_t **out, struct kf_err *err);
/* query: {"category"?, "brand"?, "max_price"?, "min_price"?, "in_stock"?
 * (true|false), "q"? (substring of a name or sku), "limit"? (default 20, max
 * 200), "offset"?, "sort"? ("price": ascending, the default | "popular":
 * most ordered first)} → {"items":[..], "total":N} (NULL query: all) */
int kf_repo_product_list(struct kf_store *st, json_t *query, json_t **out, struct kf_err *err);

/* Orders */
int kf_repo_order_get(struct kf_store *st, const char *order_no, json_t **out,
                      struct kf_err *err);
/* The customer's orders, newest first, as summaries {"order_no","status",
 * "created_at","total","items":[{"sku","name","qty"}]}; limit 1..500. */
int kf_repo_order_list(struct kf_store *st, long long customer_id, int limit, json_t **out,
                       struct kf_err *err);
/* Change "status" and/or "address" of an order. expect (NULL: any) is a
 * comma-separated list of statuses the order must be in, else KF_ECONFLICT.
 * Cancelling a paid order also records its refund (status processing, the
 * order's total; the payment becomes "refunding"). A status change stamps
 * paid_at/shipped_at/delivered_at if unset. *out: the updated order. */
int kf_repo_order_update(struct kf_store *st, const char *order_no, const char *expect,
                         json_t *patch, json_t **out, struct kf_err *err);
/* A return or exchange request (RMA): req {"kind":"return"|"exchange",
 * "reason", "skus"?:[..] (default: every item; each must be in the order)};
 * the order must be delivered (else KF_ECONFLICT; the return window is the
 * business layer's rule). *out is the new record {"rma_no","order_no",
 * "kind","reason","status":"requested","skus","created_at"}. */
int kf_repo_return_create(struct kf_store *st, const char *order_no, json_t *req, json_t **out,
                          struct kf_err *err);

/* Tickets. fields: {"customer_id"?, "conversation_id"?, "subject",
 * "description"?, "category"?, "priority"? (default normal)}; due_at comes
 * from the priority's SLA. actor NULL: "system". *out: the new ticket. */
int kf_repo_ticket_create(struct kf_store *st, json_t *fields, const char *actor, json_t **out,
                          struct kf_err *err);
int kf_repo_ticket_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
/* filter: {"status"?, "priority"?, "assignee"?, "customer_id"?, "category"?,
 * "limit"? (default 50, max 500), "offset"?} → {"items":[..], "total":N}. */
int kf_repo_ticket_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err);
/* patch: {"status"?, "priority"?, "assignee"? (null: unassign),
 * "category"?, "subject"?}; each change is a history entry by actor; a closed
 * ticket only reopens (status open, else KF_ECONFLICT). resolved_at is set
 * on resolved (and on closed if unset) and cleared on reopening; a new
 * priority moves due_at to created_at + its SLA. *out: the updated ticket. */
int kf_repo_ticket_update(struct kf_store *st, long long id, json_t *patch, const char *actor,
                          json_t **out, struct kf_err *err);
/* *out: the new comment {"id","ticket_id","author","body","internal","created_at"}. */
int kf_repo_ticket_comment_add(struct kf_store *st, long long id, const char *author,
                               const char *body, int internal, json_t **out,
                               struct kf_err *err);

/* Customers (CRM). customer_get: the last 50 notes and the last 20
 * conversations, orders and tickets. */
int kf_repo_customer_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
/* filter: {"q"? (name or external id), "limit"? (default 50, max 500),
 * "offset"?} → {"items":[{"id","name","tier","city","created_at"}],"total"} */
int kf_repo_customer_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err);
/* *out: the new note {"id","customer_id","author","body","created_at"}. */
int kf_repo_customer_note_add(struct kf_store *st, long long id, const char *author,
                              const char *body, json_t **out, struct kf_err *err);

/* The deterministic demo shop (`kefu demo seed`, docs/demo-data.md). The
 * products come from the caller (the CLI reads them from the bot's
 * catalogue.yaml); customers and orders are generated from `seed` over the
 * year before `now_ms`, plus the five fixed orders of demo-customer-1
 * (DS20261101001-005, listed in docs/demo-data.md). */
struct kf_seed_product {
    const char *sku, *name_zh, *name_en, *category, *brand;
    double price;
    const char *const *attributes;
    size_t nattributes;
    const char *specs_json; /* the product's "specs" object as JSON text; NULL: {} */
};

struct kf_seed_params {
    const struct kf_seed_product *products;
    size_t nproducts;
    int customers; /* default 2000 */
    int orders;    /* default 20000 */
    unsigned long long seed;
    long long now_ms; /* default: the current time */
    int if_empty;     /* 1: do nothing when demo orders exist (stats->skipped) */
};

struct kf_seed_params kf_seed_default_params(void);

struct kf_seed_stats {
    long long products, customers, orders, shipments, payments, refunds, returns;
    int skipped; /* if_empty and demo orders were there: nothing written */
};

/* Replaces any earlier demo data in one transaction (demo orders are
 * rewritten; demo customers are updated in place, so their ids stay;
 * customers created by conversations stay). */
int kf_repo_seed(struct kf_store *st, const struct kf_seed_params *p, struct kf_seed_stats *stats,
                 struct kf_err *err);

#endif
