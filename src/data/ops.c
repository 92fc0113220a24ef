/*
 * ops.c — the operations tables of ops.h: argument checks that need no
 * database, the KPI report assembled from the backend's per-bucket sums,
 * and forwards to the backend's table (ops_int.h). Definitions of the KPIs
 * are at the top of include/kefu/ops.h.
 */
#include <math.h>
#include <string.h>

#include "kefu/mem.h"
#include "ops_int.h"

static int ops__period(long long from, long long to, struct kf_err *err)
{
    if (from < 0 || to <= from)
        return kf_errorf(err, KF_EINVAL, "from/to: an empty or negative period");
    return KF_OK;
}

static int ops__text(const char *v, const char *what, size_t max, struct kf_err *err)
{
    if (v == NULL || v[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "%s: missing", what);
    if (strnlen(v, max + 1) > max)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %zu bytes", what, max);
    return KF_OK;
}

int kf_ops_stats(struct kf_store *st, long long from, long long to, struct kf_ops_stats *out,
                 struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = ops__period(from, to, err);
    if (rc == KF_OK)
        rc = st->ops_tables->series(st, from, to, to - from, out, 1, err);
    if (rc == KF_OK && out->frt_n > 0)
        rc = st->ops_tables->frt_p50(st, from, to, out->frt_n, &out->frt_p50_s, err);
    return rc;
}

/* A rate, or null when there is nothing to divide by. */
static json_t *ops__rate(long long num, long long den)
{
    if (den <= 0)
        return json_null();
    return json_real(round((double)num / (double)den * 10000) / 10000);
}

static json_t *ops__avg(double v, long long n)
{
    return n > 0 ? json_real(round(v * 1000) / 1000) : json_null();
}

static json_t *ops__kpis_json(const struct kf_ops_stats *s, int with_p50)
{
    json_t *frt = json_pack("{s:o,s:I}", "avg", ops__avg(s->frt_avg_s, s->frt_n), "n",
                            (json_int_t)s->frt_n);
    if (frt != NULL && with_p50)
        json_object_set_new(frt, "p50", ops__avg(s->frt_p50_s, s->frt_n));
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:{s:o,s:I},s:{s:o,s:I}}",
                     "conversations", (json_int_t)s->conversations, "contained",
                     (json_int_t)s->contained, "resolved", (json_int_t)s->resolved,
                     "handed_off", (json_int_t)s->handed_off, "containment_rate",
                     ops__rate(s->contained, s->conversations), "resolution_rate",
                     ops__rate(s->resolved, s->conversations), "handoff_rate",
                     ops__rate(s->handed_off, s->conversations), "first_response_s", frt,
                     "handle_time_s", "avg", ops__avg(s->aht_avg_s, s->aht_n), "n",
                     (json_int_t)s->aht_n, "csat", "avg", ops__avg(s->csat_avg, s->csat_n),
                     "n", (json_int_t)s->csat_n);
}

int kf_ops_kpis(struct kf_store *st, long long from, long long to, long long bucket_ms,
                json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = ops__period(from, to, err);
    if (rc != KF_OK)
        return rc;
    if (bucket_ms != 3600000 && bucket_ms != 86400000)
        return kf_errorf(err, KF_EINVAL, "bucket: expected hour or day");
    long long nb = (to - from + bucket_ms - 1) / bucket_ms;
    if (nb > KF_OPS_MAX_BUCKETS)
        return kf_errorf(err, KF_EINVAL,
                         "from/to: %lld buckets, more than %d (use a larger bucket)", nb,
                         KF_OPS_MAX_BUCKETS);
    struct kf_ops_stats all;
    if ((rc = kf_ops_stats(st, from, to, &all, err)) != KF_OK)
        return rc;
    struct kf_ops_stats *v = kf_calloc((size_t)nb, sizeof *v);
    if (v == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    rc = st->ops_tables->series(st, from, to, bucket_ms, v, (size_t)nb, err);
    json_t *series = rc == KF_OK ? json_array() : NULL;
    for (long long i = 0; rc == KF_OK && i < nb; i++) {
        json_t *k = ops__kpis_json(&v[i], 0);
        if (k == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            break;
        }
        json_object_set_new(k, "start", json_integer(from + i * bucket_ms));
        json_array_append_new(series, k);
    }
    kf_free(v);
    if (rc == KF_OK) {
        *out = json_pack("{s:I,s:I,s:s,s:o,s:o}", "from", (json_int_t)from, "to", (json_int_t)to,
                         "bucket", bucket_ms == 3600000 ? "hour" : "day", "overall",
                         ops__kpis_json(&all, 1), "series", series);
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    } else {
        json_decref(series);
    }
    return rc;
}

int kf_ops_intents(struct kf_store *st, long long from, long long to, int top, json_t **out,
                   struct kf_err *err)
{
    *out = NULL;
    int rc = ops__period(from, to, err);
    if (rc == KF_OK && (top < 1 || top > 200))
        rc = kf_errorf(err, KF_EINVAL, "top: %d out of range [1, 200]", top);
    return rc != KF_OK ? rc : st->ops_tables->intents(st, from, to, top, out, err);
}

int kf_ops_handoffs(struct kf_store *st, long long from, long long to, json_t **out,
                    struct kf_err *err)
{
    *out = NULL;
    int rc = ops__period(from, to, err);
    return rc != KF_OK ? rc : st->ops_tables->handoffs(st, from, to, out, err);
}

int kf_ops_queue_waiting(struct kf_store *st, long long *n, struct kf_err *err)
{
    *n = 0;
    return st->ops_tables->queue_waiting(st, n, err);
}

int kf_ops_alert_fire(struct kf_store *st, const char *rule, double value, double threshold,
                      const char *message, long long now_ms, long long *id, struct kf_err *err)
{
    *id = 0;
    int rc = ops__text(rule, "rule", 255, err);
    if (rc == KF_OK)
        rc = ops__text(message, "message", 1024, err);
    return rc != KF_OK ? rc
                       : st->ops_tables->alert_fire(st, rule, value, threshold, message, now_ms,
                                                    id, err);
}

int kf_ops_alert_resolve(struct kf_store *st, const char *rule, double value, long long now_ms,
                         long long *id, struct kf_err *err)
{
    *id = 0;
    int rc = ops__text(rule, "rule", 255, err);
    return rc != KF_OK ? rc : st->ops_tables->alert_resolve(st, rule, value, now_ms, id, err);
}

int kf_ops_alerts_firing(struct kf_store *st, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->ops_tables->alerts_firing(st, out, err);
}

int kf_ops_alerts_list(struct kf_store *st, int all, int limit, json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (limit < 1 || limit > 1000)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, 1000]", limit);
    return st->ops_tables->alerts_list(st, all != 0, limit, out, err);
}

int kf_ops_outbox_add(struct kf_store *st, const char *topic, const char *payload,
                      long long now_ms, long long *id, struct kf_err *err)
{
    *id = 0;
    int rc = ops__text(topic, "topic", KF_OUTBOX_TOPIC_MAX - 1, err);
    if (rc == KF_OK)
        rc = ops__text(payload, "payload", KF_OUTBOX_PAYLOAD_MAX, err);
    return rc != KF_OK ? rc : st->ops_tables->outbox_add(st, topic, payload, now_ms, id, err);
}

int kf_ops_outbox_claim(struct kf_store *st, const char *const *topics, size_t ntopics,
                        long long now_ms, long long lease_ms, int max, struct kf_arena *a,
                        struct kf_outbox_item *items, size_t *n, struct kf_err *err)
{
    *n = 0;
    if (max < 1 || max > KF_OUTBOX_CLAIM_MAX)
        return kf_errorf(err, KF_EINVAL, "max: %d out of range [1, %d]", max,
                         KF_OUTBOX_CLAIM_MAX);
    if (lease_ms < 1)
        return kf_errorf(err, KF_EINVAL, "lease: must be positive");
    for (size_t i = 0; i < ntopics; i++) {
        int rc = ops__text(topics[i], "topic", KF_OUTBOX_TOPIC_MAX - 1, err);
        if (rc != KF_OK)
            return rc;
    }
    if (ntopics == 0)
        return KF_OK;
    return st->ops_tables->outbox_claim(st, topics, ntopics, now_ms, lease_ms, max, a, items, n,
                                        err);
}

int kf_ops_outbox_mark(struct kf_store *st, long long id, int sent, const char *error,
                       long long retry_at, long long now_ms, struct kf_err *err)
{
    if (id <= 0)
        return kf_errorf(err, KF_EINVAL, "id: expected a positive id");
    if (error != NULL && strnlen(error, 513) > 512)
        return kf_errorf(err, KF_EINVAL, "error: longer than 512 bytes");
    return st->ops_tables->outbox_mark(st, id, sent != 0, error, retry_at, now_ms, err);
}

int kf_ops_outbox_counts(struct kf_store *st, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->ops_tables->outbox_counts(st, out, err);
}
