/*
 * repo.c — the repositories of repo.h: checks of the arguments that need no
 * database (NULLs, lengths, limits, the seed's sizes), then a forward to the
 * backend's table (repo_int.h). Record shapes, errors and ownership are
 * documented in include/kefu/repo.h.
 */
#include <string.h>

#include "kefu/log.h"
#include "kefu/repo.h"
#include "repo_int.h"

/* A caller's string argument: present and at most KF_REPO_TEXT_MAX bytes. */
static int repo__text(const char *v, const char *field, struct kf_err *err)
{
    if (v == NULL || v[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "%s: missing", field);
    if (strnlen(v, KF_REPO_TEXT_MAX + 1) > KF_REPO_TEXT_MAX)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %d bytes", field, KF_REPO_TEXT_MAX);
    return KF_OK;
}

/* The optional JSON object argument of a query/patch. */
static int repo__object(json_t *v, int required, const char *what, struct kf_err *err)
{
    if (v == NULL && !required)
        return KF_OK;
    if (!json_is_object(v))
        return kf_errorf(err, KF_EINVAL, "%s: expected a JSON object", what);
    return KF_OK;
}

int kf_repo_product_get(struct kf_store *st, const char *sku, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(sku, "sku", err);
    return rc != KF_OK ? rc : st->repo->product_get(st, sku, out, err);
}

int kf_repo_product_list(struct kf_store *st, json_t *query, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__object(query, 0, "query", err);
    return rc != KF_OK ? rc : st->repo->product_list(st, query, out, err);
}

int kf_repo_order_get(struct kf_store *st, const char *order_no, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(order_no, "order_no", err);
    return rc != KF_OK ? rc : st->repo->order_get(st, order_no, out, err);
}

int kf_repo_order_list(struct kf_store *st, long long customer_id, int limit, json_t **out,
                       struct kf_err *err)
{
    *out = NULL;
    if (limit < 1 || limit > 500)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, 500]", limit);
    return st->repo->order_list(st, customer_id, limit, out, err);
}

int kf_repo_order_update(struct kf_store *st, const char *order_no, const char *expect,
                         json_t *patch, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(order_no, "order_no", err);
    if (rc == KF_OK && expect != NULL)
        rc = repo__text(expect, "expect", err);
    if (rc == KF_OK)
        rc = repo__object(patch, 1, "patch", err);
    return rc != KF_OK ? rc : st->repo->order_update(st, order_no, expect, patch, out, err);
}

int kf_repo_return_create(struct kf_store *st, const char *order_no, json_t *req, json_t **out,
                          struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(order_no, "order_no", err);
    if (rc == KF_OK)
        rc = repo__object(req, 1, "request", err);
    return rc != KF_OK ? rc : st->repo->return_create(st, order_no, req, out, err);
}

int kf_repo_ticket_create(struct kf_store *st, json_t *fields, const char *actor, json_t **out,
                          struct kf_err *err)
{
    *out = NULL;
    int rc = repo__object(fields, 1, "fields", err);
    if (rc == KF_OK)
        rc = repo__text(actor ? actor : "system", "actor", err);
    return rc != KF_OK ? rc
                       : st->repo->ticket_create(st, fields, actor ? actor : "system", out, err);
}

int kf_repo_ticket_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->repo->ticket_get(st, id, out, err);
}

int kf_repo_ticket_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__object(filter, 0, "filter", err);
    return rc != KF_OK ? rc : st->repo->ticket_list(st, filter, out, err);
}

int kf_repo_ticket_update(struct kf_store *st, long long id, json_t *patch, const char *actor,
                          json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__object(patch, 1, "patch", err);
    if (rc == KF_OK)
        rc = repo__text(actor ? actor : "system", "actor", err);
    return rc != KF_OK ? rc
                       : st->repo->ticket_update(st, id, patch, actor ? actor : "system", out, err);
}

int kf_repo_ticket_comment_add(struct kf_store *st, long long id, const char *author,
                               const char *body, int internal, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(author, "author", err);
    if (rc == KF_OK)
        rc = repo__text(body, "body", err);
    return rc != KF_OK
               ? rc
               : st->repo->ticket_comment_add(st, id, author, body, internal != 0, out, err);
}

int kf_repo_customer_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->repo->customer_get(st, id, out, err);
}

int kf_repo_customer_list(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__object(filter, 0, "filter", err);
    return rc != KF_OK ? rc : st->repo->customer_list(st, filter, out, err);
}

int kf_repo_customer_note_add(struct kf_store *st, long long id, const char *author,
                              const char *body, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = repo__text(author, "author", err);
    if (rc == KF_OK)
        rc = repo__text(body, "body", err);
    return rc != KF_OK ? rc : st->repo->customer_note_add(st, id, author, body, out, err);
}

/* ---- the demo seed ---------------------------------------------------- */

struct kf_seed_params kf_seed_default_params(void)
{
    return (struct kf_seed_params){.customers = 2000, .orders = 20000, .seed = 42};
}

static int repo__seed_check(const struct kf_seed_params *p, struct kf_err *err)
{
    if (p->products == NULL || p->nproducts == 0)
        return kf_errorf(err, KF_EINVAL, "seed: no products");
    /* order numbers have 900 per day (seed.c): 250000 a year stays far below */
    if (p->customers < 1 || p->customers > 200000)
        return kf_errorf(err, KF_EINVAL, "seed: customers: %d out of range [1, 200000]",
                         p->customers);
    if (p->orders < 0 || p->orders > 250000)
        return kf_errorf(err, KF_EINVAL, "seed: orders: %d out of range [0, 250000]", p->orders);
    for (size_t i = 0; i < p->nproducts; i++)
        if (p->products[i].sku == NULL || p->products[i].price < 0)
            return kf_errorf(err, KF_EINVAL, "seed: product %zu has no sku or a negative price", i);
    return KF_OK;
}

int kf_repo_seed(struct kf_store *st, const struct kf_seed_params *p, struct kf_seed_stats *stats,
                 struct kf_err *err)
{
    memset(stats, 0, sizeof *stats);
    int rc = repo__seed_check(p, err);
    if (rc != KF_OK)
        return rc;
    if (p->if_empty) {
        long long n = 0;
        rc = st->repo->seed_count(st, &n, err);
        if (rc != KF_OK || n > 0) {
            stats->skipped = rc == KF_OK;
            stats->orders = n;
            return rc;
        }
    }
    struct kf_seed_params q = *p;
    if (q.now_ms == 0)
        q.now_ms = kf_time_now_ms();
    struct kf_seed_data d;
    rc = kf_seed__generate(&q, &d, err);
    if (rc == KF_OK)
        rc = st->repo->seed_write(st, &d, stats, err);
    kf_seed__release(&d);
    return rc;
}
