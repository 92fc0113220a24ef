/*
 * connector_builtin.c — the `builtin` connector: each operation of
 * connector.h becomes one call of repo.h on the engine's embedded store.
 *
 * The records already have kefu's canonical shapes, so this file only checks
 * and unpacks the arguments (a missing order_no is KF_EINVAL naming it) and
 * wraps list answers as {"items":[..]}. Errors from the repository
 * (ENOTFOUND, ECONFLICT, EINVAL, ESTORE) pass through unchanged. There is no
 * network, so no breaker: the state is always "closed".
 *
 * Assumes: the store outlives the connector (borrowed, params.store).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "connector_int.h"
#include "kefu/buf.h"
#include "kefu/mem.h"
#include "kefu/repo.h"

struct builtin {
    struct kf_connector super;
    struct kf_store *store;
};

#define ARG_MAX 256 /* longest order_no, sku, actor ... accepted */

/* A string argument; *out NULL when absent and not required. */
static int builtin__string(struct kf_connector *c, const char *op, json_t *args, const char *key,
                           int required, const char **out, struct kf_err *err)
{
    json_t *v = args ? json_object_get(args, key) : NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return kf_errorf(err, KF_EINVAL, "%s connector: %s: missing argument '%s'", c->backend,
                             op, key);
        return KF_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: '%s' must be a non-empty string",
                         c->backend, op, key);
    if (json_string_length(v) > ARG_MAX)
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: '%s' is longer than %d bytes",
                         c->backend, op, key, ARG_MAX);
    *out = json_string_value(v);
    return KF_OK;
}

/* A positive integer id, given as a number or a string of digits. */
static int builtin__id(struct kf_connector *c, const char *op, json_t *args, const char *key,
                       long long *out, struct kf_err *err)
{
    json_t *v = args ? json_object_get(args, key) : NULL;
    if (v == NULL || json_is_null(v))
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: missing argument '%s'", c->backend, op,
                         key);
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = json_integer_value(v);
        return KF_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (s[0] >= '0' && s[0] <= '9' && *end == '\0' && errno == 0 && n > 0) {
            *out = n;
            return KF_OK;
        }
    }
    return kf_errorf(err, KF_EINVAL, "%s connector: %s: '%s' must be a positive integer id",
                     c->backend, op, key);
}

static int builtin__object(struct kf_connector *c, const char *op, json_t *args, const char *key,
                           json_t **out, struct kf_err *err)
{
    json_t *v = args ? json_object_get(args, key) : NULL;
    if (!json_is_object(v))
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: '%s' must be an object", c->backend, op,
                         key);
    *out = v;
    return KF_OK;
}

/* "expect": a string "paid,pending" or a list ["paid","pending"] → buf. */
static int builtin__expect(struct kf_connector *c, json_t *args, struct kf_buf *b,
                           struct kf_err *err)
{
    json_t *v = json_object_get(args, "expect");
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (json_is_string(v))
        return kf_buf_appends(b, json_string_value(v)) == KF_OK
                   ? KF_OK
                   : kf_errorf(err, KF_EINVAL, "%s connector: order.update: 'expect' too long",
                               c->backend);
    if (!json_is_array(v))
        return kf_errorf(err, KF_EINVAL,
                         "%s connector: order.update: 'expect' must be a status or a list of "
                         "statuses",
                         c->backend);
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s) || (i > 0 && kf_buf_appendc(b, ',') != KF_OK) ||
            kf_buf_appends(b, json_string_value(s)) != KF_OK)
            return kf_errorf(err, KF_EINVAL,
                             "%s connector: order.update: 'expect' must list status names",
                             c->backend);
    }
    return KF_OK;
}

/* An array answer becomes {"items": array}; an object passes through. */
static int builtin__items(json_t *res, json_t **out, struct kf_err *err)
{
    if (!json_is_array(res)) {
        *out = res;
        return KF_OK;
    }
    *out = json_pack("{s:o}", "items", res);
    return *out ? KF_OK : kf_errorf(err, KF_ENOMEM, "connector: out of memory");
}

static int builtin__order(struct kf_connector *c, struct kf_store *st, const char *op, json_t *args,
                          json_t **out, struct kf_err *err)
{
    const char *order_no;
    int rc;
    if (strcmp(op, "order.list") == 0) {
        long long customer;
        if ((rc = builtin__id(c, op, args, "customer_id", &customer, err)) != KF_OK)
            return rc;
        json_t *l = json_object_get(args, "limit");
        long long limit = 20;
        if (l != NULL && !json_is_null(l)) {
            if (!json_is_integer(l) || json_integer_value(l) < 1 || json_integer_value(l) > 200)
                return kf_errorf(err, KF_EINVAL,
                                 "%s connector: order.list: 'limit' must be in [1, 200]",
                                 c->backend);
            limit = json_integer_value(l);
        }
        json_t *res = NULL;
        if ((rc = kf_repo_order_list(st, customer, (int)limit, &res, err)) != KF_OK)
            return rc;
        return builtin__items(res, out, err);
    }
    if ((rc = builtin__string(c, op, args, "order_no", 1, &order_no, err)) != KF_OK)
        return rc;
    if (strcmp(op, "order.get") == 0)
        return kf_repo_order_get(st, order_no, out, err);
    if (strcmp(op, "order.update") == 0) {
        json_t *patch = NULL;
        if ((rc = builtin__object(c, op, args, "patch", &patch, err)) != KF_OK)
            return rc;
        /* kefu's own store keeps only the masked form of an address
         * (privacy): a patch carrying both stores address_masked */
        json_t *masked = json_object_get(patch, "address_masked");
        json_t *stored = patch;
        if (masked != NULL) {
            stored = json_copy(patch);
            if (stored == NULL)
                return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
            json_object_set(stored, "address", masked);
            json_object_del(stored, "address_masked");
        }
        struct kf_buf expect;
        kf_buf_init(&expect, 512);
        rc = builtin__expect(c, args, &expect, err);
        if (rc == KF_OK)
            rc = kf_repo_order_update(st, order_no, expect.len ? expect.data : NULL, stored, out,
                                      err);
        kf_buf_release(&expect);
        if (stored != patch)
            json_decref(stored);
        return rc;
    }
    /* return.create */
    const char *kind, *reason;
    if ((rc = builtin__string(c, op, args, "kind", 1, &kind, err)) != KF_OK ||
        (rc = builtin__string(c, op, args, "reason", 1, &reason, err)) != KF_OK)
        return rc;
    if (strcmp(kind, "return") != 0 && strcmp(kind, "exchange") != 0)
        return kf_errorf(err, KF_EINVAL,
                         "%s connector: return.create: 'kind' must be return or exchange",
                         c->backend);
    json_t *skus = json_object_get(args, "skus");
    if (skus != NULL && !json_is_null(skus) && !json_is_array(skus))
        return kf_errorf(err, KF_EINVAL, "%s connector: return.create: 'skus' must be a list",
                         c->backend);
    json_t *req = json_pack("{s:s,s:s}", "kind", kind, "reason", reason);
    if (req == NULL || (json_is_array(skus) && json_object_set(req, "skus", skus) != 0)) {
        json_decref(req);
        return kf_errorf(err, KF_ENOMEM, "%s connector: out of memory", c->backend);
    }
    rc = kf_repo_return_create(st, order_no, req, out, err);
    json_decref(req);
    return rc;
}

static int builtin__ticket(struct kf_connector *c, struct kf_store *st, const char *op,
                           json_t *args, json_t **out, struct kf_err *err)
{
    const char *actor;
    long long id;
    int rc;
    if ((rc = builtin__string(c, op, args, "actor", 0, &actor, err)) != KF_OK)
        return rc;
    if (actor == NULL)
        actor = "system";
    if (strcmp(op, "ticket.create") == 0) {
        const char *subject;
        if ((rc = builtin__string(c, op, args, "subject", 1, &subject, err)) != KF_OK)
            return rc;
        json_t *fields = json_deep_copy(args);
        if (fields == NULL)
            return kf_errorf(err, KF_ENOMEM, "%s connector: out of memory", c->backend);
        json_object_del(fields, "actor");
        rc = kf_repo_ticket_create(st, fields, actor, out, err);
        json_decref(fields);
        return rc;
    }
    if ((rc = builtin__id(c, op, args, "id", &id, err)) != KF_OK)
        return rc;
    if (strcmp(op, "ticket.get") == 0)
        return kf_repo_ticket_get(st, id, out, err);
    if (strcmp(op, "ticket.update") == 0) {
        json_t *patch = NULL;
        if ((rc = builtin__object(c, op, args, "patch", &patch, err)) != KF_OK)
            return rc;
        return kf_repo_ticket_update(st, id, patch, actor, out, err);
    }
    /* ticket.comment */
    const char *author, *body;
    if ((rc = builtin__string(c, op, args, "author", 1, &author, err)) != KF_OK ||
        (rc = builtin__string(c, op, args, "body", 0, &body, err)) != KF_OK)
        return rc;
    if (body == NULL)
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: missing argument 'body'", c->backend,
                         op);
    json_t *internal = json_object_get(args, "internal");
    if (internal != NULL && !json_is_null(internal) && !json_is_boolean(internal))
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: 'internal' must be true or false",
                         c->backend, op);
    return kf_repo_ticket_comment_add(st, id, author, body, json_is_true(internal), out, err);
}

static int builtin__call(struct kf_connector *c, const char *op, json_t *args, json_t **out,
                         struct kf_err *err)
{
    struct builtin *b = (struct builtin *)c;
    int rc;
    if (strcmp(op, "order.get") == 0 || strcmp(op, "order.list") == 0 ||
        strcmp(op, "order.update") == 0 || strcmp(op, "return.create") == 0)
        return builtin__order(c, b->store, op, args, out, err);
    if (strcmp(op, "ticket.create") == 0 || strcmp(op, "ticket.get") == 0 ||
        strcmp(op, "ticket.update") == 0 || strcmp(op, "ticket.comment") == 0)
        return builtin__ticket(c, b->store, op, args, out, err);
    if (strcmp(op, "product.get") == 0) {
        const char *sku;
        if ((rc = builtin__string(c, op, args, "sku", 1, &sku, err)) != KF_OK)
            return rc;
        return kf_repo_product_get(b->store, sku, out, err);
    }
    if (strcmp(op, "product.list") == 0) {
        json_t *empty = args ? NULL : json_object();
        rc = kf_repo_product_list(b->store, args ? args : empty, out, err);
        json_decref(empty);
        return rc;
    }
    if (strcmp(op, "ticket.list") == 0) {
        json_t *empty = args ? NULL : json_object();
        rc = kf_repo_ticket_list(b->store, args ? args : empty, out, err);
        json_decref(empty);
        return rc;
    }
    if (strcmp(op, "customer.note") == 0) {
        long long id;
        const char *author, *body;
        if ((rc = builtin__id(c, op, args, "id", &id, err)) != KF_OK ||
            (rc = builtin__string(c, op, args, "author", 1, &author, err)) != KF_OK ||
            (rc = builtin__string(c, op, args, "body", 1, &body, err)) != KF_OK)
            return rc;
        return kf_repo_customer_note_add(b->store, id, author, body, out, err);
    }
    if (strcmp(op, "customer.get") == 0) {
        long long id;
        if ((rc = builtin__id(c, op, args, "id", &id, err)) != KF_OK)
            return rc;
        return kf_repo_customer_get(b->store, id, out, err);
    }
    return kf_errorf(err, KF_EUNSUPPORTED, "%s connector (builtin): no operation '%.64s'",
                     c->backend, op);
}

static void builtin__free(struct kf_connector *c)
{
    kf_free(c);
}

static const struct kf_connector_ops builtin_ops = {
    .type = "builtin", .call = builtin__call, .free = builtin__free, .breaker_state = NULL};

int kf__connector_builtin_new(const struct kf_connector_params *p, struct kf_connector **out,
                              struct kf_err *err)
{
    if (p->store == NULL)
        return kf_errorf(err, KF_ECONFIG, "connectors.%s: the builtin connector needs a store",
                         p->backend ? p->backend : "connector");
    struct builtin *b = kf_calloc(1, sizeof *b);
    if (b == NULL)
        return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
    kf__connector_init(&b->super, &builtin_ops, p);
    b->store = p->store;
    *out = &b->super;
    return KF_OK;
}
