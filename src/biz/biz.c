/*
 * biz.c — the action registry and the helpers modules share (see biz.h).
 *
 * Actions are found by a linear scan of the registered modules: there are a
 * few dozen, a turn calls at most a couple, and a scan needs no state.
 */
#include "kefu/biz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "biz_int.h"
#include "kefu/mem.h"

struct kf_biz {
    struct kf_biz_params p;
};

struct kf_biz_params kf_biz_default_params(void)
{
    return (struct kf_biz_params){.return_window_days = 30};
}

int kf_biz_new(struct kf_biz_params params, struct kf_biz **out, struct kf_err *err)
{
    *out = NULL;
    if (params.orders == NULL || params.tickets == NULL || params.customers == NULL)
        return kf_errorf(err, KF_EINVAL, "biz: every back end needs a connector");
    if (params.return_window_days <= 0)
        params.return_window_days = 30;
    struct kf_biz *b = kf_calloc(1, sizeof *b);
    if (b == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    b->p = params;
    *out = b;
    return KF_OK;
}

void kf_biz_free(struct kf_biz *b)
{
    kf_free(b);
}

struct kf_connector *kf_biz_connector(const struct kf_biz *b, const char *backend)
{
    if (strcmp(backend, "orders") == 0)
        return b->p.orders;
    if (strcmp(backend, "tickets") == 0)
        return b->p.tickets;
    if (strcmp(backend, "customers") == 0)
        return b->p.customers;
    return NULL;
}

const char *kf_biz_customer_ref(json_t *customer)
{
    const char *any = NULL;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(customer, "identities"), i, id) {
        const char *ext = json_string_value(json_object_get(id, "external_id"));
        const char *ch = json_string_value(json_object_get(id, "channel"));
        if (ext == NULL)
            continue;
        if (ch != NULL && strcmp(ch, "web") == 0)
            return ext;
        if (any == NULL)
            any = ext;
    }
    return any;
}

int kf_biz_return_window_days(const struct kf_biz *b) { return b->p.return_window_days; }
struct kf_log *kf_biz_log(const struct kf_biz *b) { return b->p.log; }
struct kf_store *kf_biz_store(const struct kf_biz *b) { return b->p.store; }

const struct kf_biz_action *kf_biz_find(const char *name)
{
    for (size_t m = 0; kf_biz_modules[m] != NULL; m++) {
        const struct kf_biz_module *mod = kf_biz_modules[m];
        for (size_t i = 0; i < mod->nactions; i++)
            if (strcmp(mod->actions[i].name, name) == 0)
                return &mod->actions[i];
    }
    return NULL;
}

int kf_biz_call(const struct kf_biz_ctx *ctx, const char *action, json_t *args, json_t **result,
                struct kf_err *err)
{
    *result = NULL;
    const struct kf_biz_action *act = kf_biz_find(action);
    if (act == NULL)
        return kf_errorf(err, KF_ENOTFOUND, "no business action '%s'", action);
    json_t *r = json_object();
    if (r == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = act->run(ctx, args, r, err);
    if (rc != KF_OK) {
        json_decref(r);
        return rc;
    }
    if (json_object_get(r, "outcome") == NULL)
        biz__outcome(r, "ok");
    *result = r;
    return KF_OK;
}

void biz__outcome(json_t *result, const char *outcome)
{
    json_object_set_new(result, "outcome", json_string(outcome));
}

int biz__is_zh(const struct kf_biz_ctx *ctx)
{
    return ctx->lang == NULL || strcmp(ctx->lang, "en") != 0;
}

const char *biz__arg_str(json_t *args, const char *key)
{
    json_t *v = args != NULL ? json_object_get(args, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int biz__fetch(const struct kf_biz_ctx *ctx, const char *backend, const char *op, json_t *args,
               json_t *result, json_t **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_connector *c = kf_biz_connector(ctx->biz, backend);
    if (c == NULL)
        return kf_errorf(err, KF_EINVAL, "no back end '%s'", backend);
    struct kf_err cerr = {0};
    int rc = kf_connector_call(c, op, args, out, &cerr);
    switch (rc) {
    case KF_OK:
        return KF_OK;
    case KF_ENOTFOUND:
        biz__outcome(result, "not_found");
        return KF_OK;
    case KF_ECONFLICT:
        biz__outcome(result, "not_allowed");
        json_object_set_new(result, "reason", json_string("conflict"));
        return KF_OK;
    case KF_EUNAVAILABLE:
        KF_WARN(kf_biz_log(ctx->biz), "biz", "%s %s: %s", backend, op, cerr.msg);
        biz__outcome(result, "unavailable");
        return KF_OK;
    default:
        *err = cerr;
        return rc;
    }
}

void biz__format_time(const struct kf_biz_ctx *ctx, long long ms, int with_time, char *out,
                      size_t cap)
{
    time_t t = (time_t)(ms / 1000) + (time_t)ctx->utc_offset_min * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

void biz__format_money(double v, char *out, size_t cap)
{
    long long cents = (long long)(v * 100 + (v >= 0 ? 0.5 : -0.5));
    if (cents % 100 == 0)
        snprintf(out, cap, "%lld", cents / 100);
    else
        snprintf(out, cap, "%.2f", (double)cents / 100);
}
