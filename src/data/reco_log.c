/*
 * reco_log.c — the recommendation log of reco_log.h: argument checks that
 * need no database, then a forward to the backend (reco_int.h); the report's
 * rates are computed here from the backend's counts, so every backend
 * answers the same shape.
 */
#include <string.h>

#include "kefu/log.h"
#include "kefu/reco_log.h"
#include "reco_int.h"

#define RECO_SKU_MAX 64
#define RECO_CONV_MAX 64

const char *const kf_reco_sources[] = {"profile", "rules", "popular", NULL};
const char *const kf_reco_strategies[] = {"elicitation", "cross_sell", "api", "campaign", NULL};

static int reco__one_of(const char *v, const char *const *set)
{
    for (size_t i = 0; v != NULL && set[i] != NULL; i++)
        if (strcmp(set[i], v) == 0)
            return 1;
    return 0;
}

static int reco__entry_check(const struct kf_reco_entry *e, size_t i, struct kf_err *err)
{
    if (e->sku == NULL || e->sku[0] == '\0' || strnlen(e->sku, RECO_SKU_MAX + 1) > RECO_SKU_MAX)
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: sku: 1..%d bytes", i, RECO_SKU_MAX);
    if (!reco__one_of(e->source, kf_reco_sources))
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: source: '%.32s' is not one of "
                         "profile, rules, popular", i, e->source ? e->source : "(null)");
    if (!reco__one_of(e->strategy, kf_reco_strategies))
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: strategy: '%.32s' is not one of "
                         "elicitation, cross_sell, api, campaign", i,
                         e->strategy ? e->strategy : "(null)");
    if (e->customer_id < 0 || e->rule_version < 0 || e->at < 0)
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: customer_id, rule_version and at "
                         "must not be negative", i);
    if (e->conversation_id != NULL &&
        strnlen(e->conversation_id, RECO_CONV_MAX + 1) > RECO_CONV_MAX)
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: conversation_id: longer than %d "
                         "bytes", i, RECO_CONV_MAX);
    if (e->reason != NULL && strnlen(e->reason, KF_RECO_REASON_MAX + 1) > KF_RECO_REASON_MAX)
        return kf_errorf(err, KF_EINVAL, "recommendation %zu: reason: longer than %d bytes", i,
                         KF_RECO_REASON_MAX);
    return KF_OK;
}

int kf_reco_log(struct kf_store *st, const struct kf_reco_entry *e, size_t n, long long *ids,
                struct kf_err *err)
{
    if (e == NULL || ids == NULL || n == 0 || n > KF_RECO_LOG_BATCH)
        return kf_errorf(err, KF_EINVAL, "recommendations: 1..%d per call", KF_RECO_LOG_BATCH);
    for (size_t i = 0; i < n; i++) {
        int rc = reco__entry_check(&e[i], i, err);
        if (rc != KF_OK)
            return rc;
    }
    return st->reco->log(st, e, n, kf_time_now_ms(), ids, err);
}

int kf_reco_mark_click(struct kf_store *st, long long rec_id, long long customer_id, long long at,
                       int *first, struct kf_err *err)
{
    int dummy;
    if (first == NULL)
        first = &dummy;
    *first = 0;
    if (rec_id <= 0)
        return kf_errorf(err, KF_EINVAL, "rec_id: expected a positive id");
    if (customer_id < 0 || at < 0)
        return kf_errorf(err, KF_EINVAL, "customer_id and at must not be negative");
    return st->reco->click(st, rec_id, customer_id, at > 0 ? at : kf_time_now_ms(), first, err);
}

int kf_reco_get(struct kf_store *st, long long rec_id, json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (rec_id <= 0)
        return kf_errorf(err, KF_EINVAL, "rec_id: expected a positive id");
    return st->reco->get(st, rec_id, out, err);
}

/* {key: name, impressions, clicks, conversions, click_rate, conversion_rate} */
static json_t *reco__line(const char *key, const char *name, long long imp, long long clicks,
                          long long conv)
{
    double d = imp > 0 ? (double)imp : 1;
    json_t *o = json_pack("{s:I,s:I,s:I,s:f,s:f}", "impressions", (json_int_t)imp, "clicks",
                          (json_int_t)clicks, "conversions", (json_int_t)conv, "click_rate",
                          imp > 0 ? (double)clicks / d : 0.0, "conversion_rate",
                          imp > 0 ? (double)conv / d : 0.0);
    if (o != NULL && key != NULL)
        json_object_set_new(o, key, json_string(name));
    return o;
}

static long long reco__num(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* Every known value in order (zeros included) from the backend's rows;
 * totals added into t[3]. */
static json_t *reco__group(json_t *rows, const char *key, const char *const *known, long long t[3])
{
    json_t *arr = json_array();
    for (size_t k = 0; arr != NULL && known[k] != NULL; k++) {
        long long c[3] = {0, 0, 0};
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            const char *name = json_string_value(json_object_get(row, "key"));
            if (name == NULL || strcmp(name, known[k]) != 0)
                continue;
            c[0] += reco__num(row, "impressions");
            c[1] += reco__num(row, "clicks");
            c[2] += reco__num(row, "conversions");
        }
        if (t != NULL)
            for (int j = 0; j < 3; j++)
                t[j] += c[j];
        if (json_array_append_new(arr, reco__line(key, known[k], c[0], c[1], c[2])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int kf_reco_report(struct kf_store *st, long long since, long long until, json_t **out,
                   struct kf_err *err)
{
    *out = NULL;
    if (since < 0 || until < 0 || (since > 0 && until > 0 && since >= until))
        return kf_errorf(err, KF_EINVAL, "since/until: expected since < until (ms)");
    json_t *by_src = NULL, *by_str = NULL;
    int rc = st->reco->counts(st, 0, since, until, &by_src, err);
    if (rc == KF_OK)
        rc = st->reco->counts(st, 1, since, until, &by_str, err);
    if (rc == KF_OK) {
        long long t[3] = {0, 0, 0};
        /* the strategy rows hold the same impressions: total from one grouping */
        json_t *src = reco__group(by_src, "source", kf_reco_sources, t);
        json_t *str = reco__group(by_str, "strategy", kf_reco_strategies, NULL);
        json_t *total = reco__line(NULL, NULL, t[0], t[1], t[2]);
        *out = json_pack("{s:o,s:o,s:o,s:o,s:o}", "since",
                         since > 0 ? json_integer(since) : json_null(), "until",
                         until > 0 ? json_integer(until) : json_null(), "by_source", src,
                         "by_strategy", str, "total", total);
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    json_decref(by_src);
    json_decref(by_str);
    return rc;
}
