/*
 * biz.h — the business layer: actions the dialog can call (B1–B3, B5, L1).
 *
 * Each business module (src/biz/orders.c, tickets.c, products.c, …) exports
 * one descriptor, struct kf_biz_module: its name and its actions. The
 * registry (src/biz/modules.c) lists the descriptors; a flow in the bot's
 * YAML names an action ("order.cancel") and the dialog calls it through
 * kf_biz_call without knowing which module serves it — adding a module never
 * edits dialog code (STYLE.md principle 8).
 *
 * An action reads its arguments (the flow's slots, as a JSON object) and
 * fills `result` (a JSON object the flow's reply templates read). A business
 * outcome is not an error: the action sets result.outcome to one of
 *   ok           done (or: the check passed)
 *   not_found    no such order / product / ticket
 *   not_owner    the record belongs to another customer
 *   not_allowed  a business rule says no (e.g. cancel after shipping); the
 *                result's "reason" says which rule
 *   unavailable  the back end did not answer (connector.h KF_EUNAVAILABLE)
 *   empty        nothing matched (e.g. no product within the budget)
 * and returns KF_OK. Only a bug, bad arguments or memory give an error code.
 *
 * Rules live here, above the connectors, so they hold for every back end:
 * cancel and address change only before shipping; returns and exchanges
 * within the return window after delivery (default 30 days), once per order.
 *
 * Ownership: kf_biz borrows its connectors (the engine owns them). Thread-safe.
 */
#ifndef KEFU_BIZ_H
#define KEFU_BIZ_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/connector.h"
#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/store.h"

struct kf_biz;

struct kf_biz_params {
    struct kf_connector *orders;    /* orders, returns, products */
    struct kf_connector *tickets;
    struct kf_connector *customers;
    int return_window_days;         /* default 30 */
    struct kf_log *log;             /* borrowed; may be NULL */
    /* kefu's own store, for the customer data modules (recommendations:
     * profiles, association rules, the recommendation log). Borrowed; NULL:
     * recommendations are not logged and cross-sell is off. */
    struct kf_store *store;
};

struct kf_biz_params kf_biz_default_params(void);

int kf_biz_new(struct kf_biz_params params, struct kf_biz **out, struct kf_err *err);
void kf_biz_free(struct kf_biz *b); /* NULL is a no-op */

/* Who asks, from where, when: every action gets it. */
struct kf_biz_ctx {
    struct kf_biz *biz;
    long long customer_id;       /* the conversation's customer (0: unknown) */
    const char *conversation_id; /* may be NULL */
    const char *lang;            /* zh | en: for texts an action composes */
    const char *text;            /* the customer's (masked) message of this turn */
    long long now_ms;
    int utc_offset_min;          /* the bot's zone, for dates an action writes */
};

typedef int (*kf_biz_action_fn)(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                                struct kf_err *err);

struct kf_biz_action {
    const char *name; /* module.verb, e.g. order.cancel */
    kf_biz_action_fn run;
    const char *summary;
};

struct kf_biz_module {
    const char *name;
    const struct kf_biz_action *actions;
    size_t nactions;
};

/* Every registered module, NULL-terminated (src/biz/modules.c). */
extern const struct kf_biz_module *const kf_biz_modules[];

/* The action of that name, or NULL. */
const struct kf_biz_action *kf_biz_find(const char *name);

/* Run an action: *result is a new JSON object with at least "outcome".
 * KF_ENOTFOUND when no module has the action. */
int kf_biz_call(const struct kf_biz_ctx *ctx, const char *action, json_t *args, json_t **result,
                struct kf_err *err);

/* The id a company's own systems know a customer by, from a customer record
 * (repo.h shape): the customer's external id on the web channel, else on any
 * channel; NULL when there is none. Borrowed from the record. An http order
 * service is asked for "customer_ref" (docs/connectors.md), kefu's own store
 * for "customer_id". */
const char *kf_biz_customer_ref(json_t *customer);

/* The connector behind a back end, for modules: "orders", "tickets", "customers". */
struct kf_connector *kf_biz_connector(const struct kf_biz *b, const char *backend);
int kf_biz_return_window_days(const struct kf_biz *b);
struct kf_log *kf_biz_log(const struct kf_biz *b);
struct kf_store *kf_biz_store(const struct kf_biz *b); /* NULL when none */

#endif
