/*
 * connector.h — how the business layer reaches a back end (B4).
 *
 * Each back end (orders, tickets, customers) is one connector, chosen in the
 * config (`connectors.<backend>.type`):
 *   builtin  the embedded store, through repo.h;
 *   http     a company's REST service: base URL, one request per operation
 *            (method, path template, body fields), a JSON field mapping from
 *            its answers onto kefu's canonical records (repo.h), an auth
 *            header, a timeout, retries with exponential backoff, and a
 *            circuit breaker. The operations and mapping live in a YAML spec
 *            file (`connectors.<backend>.spec`, docs/connectors.md).
 *
 * Operations (args → result, shapes as in repo.h):
 *   order.get      {"order_no"}                          → order
 *   order.list     {"customer_id","limit"?}              → {"items":[order summaries]}
 *   order.update   {"order_no","expect"?,"patch":{..}}   → order
 *   return.create  {"order_no","kind","reason","skus"?}  → {"rma_no",...}
 *   product.get    {"sku"}                               → product
 *   product.list   query as repo.h                       → {"items","total"}
 *   ticket.create  fields as repo.h (+ "actor"?)         → ticket
 *   ticket.get     {"id"}                                → ticket
 *   ticket.update  {"id","patch","actor"?}               → ticket
 *   ticket.comment {"id","author","body","internal"?}    → comment
 *   ticket.list    filter as repo.h                      → {"items","total"}
 *   customer.get   {"id"}                                → customer
 *   customer.note  {"id","author","body"}                → note
 *
 * Errors a caller acts on: KF_ENOTFOUND (no such record), KF_ECONFLICT (the
 * back end refused the change: wrong state), KF_EINVAL (bad arguments),
 * KF_EUNAVAILABLE (the back end did not answer within its retries, or its
 * circuit breaker is open), KF_EUNSUPPORTED (the connector has no such
 * operation).
 *
 * Ownership: a connector borrows the store and log given in its params and
 * copies everything else. kf_connector_call's *out is a new reference.
 * Thread-safe (the breaker's counters are behind a mutex).
 */
#ifndef KEFU_CONNECTOR_H
#define KEFU_CONNECTOR_H

#include <jansson.h>

#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/store.h"

struct kf_connector;

struct kf_connector_params {
    const char *backend; /* orders | tickets | customers (for messages and metrics) */
    const char *type;    /* builtin | http */
    struct kf_store *store; /* builtin */
    /* http */
    const char *url;         /* base URL, e.g. http://127.0.0.1:9000/api */
    const char *spec_path;   /* YAML: operations, paths, field mapping */
    const char *auth_header; /* e.g. "Authorization: Bearer …" (secret: never logged) */
    long timeout_ms;         /* per attempt; default 3000 */
    int retries;             /* extra attempts after the first; default 2 */
    long backoff_ms;         /* first wait between attempts, doubled each time; default 100 */
    int breaker_failures;    /* consecutive failed calls that open the breaker; default 5 */
    long breaker_reset_ms;   /* open → half-open after this long; default 30000 */
    struct kf_log *log;      /* borrowed; may be NULL */
};

struct kf_connector_params kf_connector_default_params(void);

int kf_connector_new(struct kf_connector_params params, struct kf_connector **out,
                     struct kf_err *err);
void kf_connector_free(struct kf_connector *c); /* NULL is a no-op */

const char *kf_connector_type(const struct kf_connector *c); /* "builtin" | "http" */

int kf_connector_call(struct kf_connector *c, const char *op, json_t *args, json_t **out,
                      struct kf_err *err);

/* closed | open | half_open, for /readyz and metrics (always closed for builtin) */
const char *kf_connector_breaker_state(struct kf_connector *c);

#endif
