/*
 * experiment.c — A/B experiments (experiment.h): the experiments.yaml
 * loader, the stable assignment, the pooled two-proportion z-test, and the
 * report built on the backend's per-variant counts (experiment_int.h).
 *
 * Format (docs/experiments.md):
 *
 *   experiments:
 *     - id: reco_style                 # [a-z0-9_-], unique
 *       description: ...
 *       status: running                # draft | running | paused | ended
 *       applies_to: shop_assistant     # the flow whose behaviour changes
 *       variants:                      # 2..8; the first is the control
 *         - {name: guided, weight: 50}
 *         - {name: direct, weight: 50, style: direct}
 *       metrics: [conversion, csat, resolution, handoff]   # default: all
 *
 * A variant's style says what the dialog does (dialog.h): guided runs the
 * flow as written, direct recommends at once; it defaults to the variant's
 * name when that is guided or direct, else guided. Every mistake is
 * KF_EPARSE "path:line: key: what"; unknown keys are mistakes too.
 *
 * Design notes
 *  - The bucket is FNV-1a 64 over "<id>:<customer id>" modulo 10000: no
 *    state, no clock, so assignment is the same on every node and in every
 *    conversation. Changing the weights of a running experiment moves the
 *    customers near the boundaries (documented).
 *  - The statistics are computed here, not in SQL: the backend only counts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_int.h"
#include "kefu/log.h"
#include "kefu/mem.h"
#include "kefu/yaml.h"

struct kf_experiments {
    struct kf_experiment v[KF_EXPERIMENTS_MAX];
    size_t n;
};

static const char *const xp__statuses[] = {"draft", "running", "paused", "ended", NULL};
static const char *const xp__metrics[] = {"conversion", "csat", "resolution", "handoff", NULL};

/* ---- the loader ------------------------------------------------------------ */

struct xp_ctx {
    const struct kf_ydoc *doc;
    struct kf_err *err;
};

static int xp__fail(struct xp_ctx *x, const struct kf_ynode *at, const char *key, const char *what)
{
    return kf_ydoc_errorf(x->doc, at, x->err, KF_EPARSE, "%s: %s", key, what);
}

/* A reader's error (yaml.h) as KF_EPARSE, keeping its "path:line: ..." text. */
static int xp__as_parse(struct kf_err *err)
{
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    return kf_errorf(err, KF_EPARSE, "%s", msg);
}

static int xp__keys(struct xp_ctx *x, const struct kf_ynode *map, const char *where,
                    const char *const *allowed)
{
    if (map->type != KF_Y_MAP)
        return xp__fail(x, map, where, "expected a map");
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, map->keys[i]->str) == 0;
        if (!ok)
            return kf_ydoc_errorf(x->doc, map->keys[i], x->err, KF_EPARSE,
                                  "%s: unknown key '%.64s'", where, map->keys[i]->str);
    }
    return KF_OK;
}

/* A scalar of 1..max-1 bytes copied into out; `chars` (NULL: any) limits
 * its characters. */
static int xp__str(struct xp_ctx *x, const struct kf_ynode *n, const char *key, char *out,
                   size_t max, const char *chars)
{
    const char *s;
    if (kf_ynode_string(x->doc, n, key, &s, x->err) != KF_OK)
        return xp__as_parse(x->err);
    size_t len = strlen(s);
    if (len == 0 || len >= max)
        return kf_ydoc_errorf(x->doc, n, x->err, KF_EPARSE, "%s: expected 1 to %zu bytes", key,
                              max - 1);
    if (chars != NULL && strspn(s, chars) != len)
        return kf_ydoc_errorf(x->doc, n, x->err, KF_EPARSE,
                              "%s: '%.64s' may use only lower-case letters, digits, _ and -", key,
                              s);
    memcpy(out, s, len + 1);
    return KF_OK;
}

static int xp__one_of(struct xp_ctx *x, const struct kf_ynode *n, const char *key, const char *v,
                      const char *const *allowed)
{
    for (const char *const *a = allowed; *a != NULL; a++)
        if (strcmp(*a, v) == 0)
            return KF_OK;
    char list[128] = "";
    size_t used = 0;
    for (const char *const *a = allowed; *a != NULL; a++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *a);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    return kf_ydoc_errorf(x->doc, n, x->err, KF_EPARSE, "%s: '%.32s' is not one of %s", key, v,
                          list);
}

#define XP_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

static int xp__variant(struct xp_ctx *x, const struct kf_ynode *n, struct kf_experiment *e)
{
    static const char *const keys[] = {"name", "weight", "style", NULL};
    static const char *const styles[] = {"guided", "direct", NULL};
    int rc = xp__keys(x, n, "variants[]", keys);
    if (rc != KF_OK)
        return rc;
    struct kf_experiment_variant *v = &e->variants[e->nvariants];
    const struct kf_ynode *name = kf_ynode_get(n, "name"), *w = kf_ynode_get(n, "weight");
    const struct kf_ynode *style = kf_ynode_get(n, "style");
    if (name == NULL)
        return xp__fail(x, n, "variants[].name", "missing");
    if (w == NULL)
        return xp__fail(x, n, "variants[].weight", "missing");
    if ((rc = xp__str(x, name, "variants[].name", v->name, sizeof v->name, XP_NAME_CHARS)) != KF_OK)
        return rc;
    for (size_t i = 0; i < e->nvariants; i++)
        if (strcmp(e->variants[i].name, v->name) == 0)
            return xp__fail(x, name, "variants[].name", "named twice");
    long weight;
    if (kf_ynode_long(x->doc, w, "variants[].weight", 1, KF_EXPERIMENT_BUCKETS, &weight, x->err) !=
        KF_OK)
        return xp__as_parse(x->err);
    v->weight = (int)weight;
    if (style != NULL) {
        if ((rc = xp__str(x, style, "variants[].style", v->style, sizeof v->style, NULL)) !=
                KF_OK ||
            (rc = xp__one_of(x, style, "variants[].style", v->style, styles)) != KF_OK)
            return rc;
    } else {
        snprintf(v->style, sizeof v->style, "%s",
                 strcmp(v->name, "direct") == 0 ? "direct" : "guided");
    }
    e->nvariants++;
    return KF_OK;
}

static int xp__one(struct xp_ctx *x, const struct kf_ynode *n, struct kf_experiments *out)
{
    static const char *const keys[] = {"id",       "description", "status", "applies_to",
                                       "variants", "metrics",     NULL};
    int rc = xp__keys(x, n, "experiments[]", keys);
    if (rc != KF_OK)
        return rc;
    if (out->n >= KF_EXPERIMENTS_MAX)
        return xp__fail(x, n, "experiments", "more than 32 experiments");
    struct kf_experiment *e = &out->v[out->n];
    memset(e, 0, sizeof *e);
    e->line = n->line;
    const struct kf_ynode *id = kf_ynode_get(n, "id"), *desc = kf_ynode_get(n, "description");
    const struct kf_ynode *status = kf_ynode_get(n, "status");
    const struct kf_ynode *applies = kf_ynode_get(n, "applies_to");
    const struct kf_ynode *variants = kf_ynode_get(n, "variants");
    const struct kf_ynode *metrics = kf_ynode_get(n, "metrics");
    if (id == NULL)
        return xp__fail(x, n, "experiments[].id", "missing");
    if ((rc = xp__str(x, id, "id", e->id, sizeof e->id, XP_NAME_CHARS)) != KF_OK)
        return rc;
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i].id, e->id) == 0)
            return xp__fail(x, id, "id", "defined twice");
    if (desc != NULL && (rc = xp__str(x, desc, "description", e->description, sizeof e->description,
                                      NULL)) != KF_OK)
        return rc;
    snprintf(e->status, sizeof e->status, "running");
    if (status != NULL &&
        ((rc = xp__str(x, status, "status", e->status, sizeof e->status, NULL)) != KF_OK ||
         (rc = xp__one_of(x, status, "status", e->status, xp__statuses)) != KF_OK))
        return rc;
    if (applies == NULL)
        return xp__fail(x, n, "applies_to", "missing (the flow the experiment changes)");
    if ((rc = xp__str(x, applies, "applies_to", e->applies_to, sizeof e->applies_to, NULL)) !=
        KF_OK)
        return rc;
    if (variants == NULL || variants->type != KF_Y_SEQ)
        return xp__fail(x, variants ? variants : n, "variants", "expected a list of variants");
    if (variants->n < 2 || variants->n > KF_EXPERIMENT_VARIANTS_MAX)
        return xp__fail(x, variants, "variants", "expected 2 to 8 variants");
    for (size_t i = 0; i < variants->n; i++)
        if ((rc = xp__variant(x, variants->items[i], e)) != KF_OK)
            return rc;
    e->metrics = KF_METRIC_CONVERSION | KF_METRIC_CSAT | KF_METRIC_RESOLUTION | KF_METRIC_HANDOFF;
    if (metrics != NULL) {
        if (metrics->type != KF_Y_SEQ || metrics->n == 0)
            return xp__fail(x, metrics, "metrics", "expected a list of metrics");
        e->metrics = 0;
        for (size_t i = 0; i < metrics->n; i++) {
            char m[32];
            if ((rc = xp__str(x, metrics->items[i], "metrics[]", m, sizeof m, NULL)) != KF_OK ||
                (rc = xp__one_of(x, metrics->items[i], "metrics[]", m, xp__metrics)) != KF_OK)
                return rc;
            for (size_t k = 0; xp__metrics[k] != NULL; k++)
                if (strcmp(xp__metrics[k], m) == 0)
                    e->metrics |= 1u << k;
        }
    }
    out->n++;
    return KF_OK;
}

static int xp__finish(struct kf_ydoc *doc, struct kf_experiments **out, struct kf_err *err)
{
    struct xp_ctx x = {doc, err};
    struct kf_experiments *xs = kf_calloc(1, sizeof *xs);
    int rc = xs != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
    const struct kf_ynode *root = doc->root;
    static const char *const top[] = {"experiments", NULL};
    if (rc == KF_OK && root != NULL) {
        rc = xp__keys(&x, root, "top level", top);
        const struct kf_ynode *list = rc == KF_OK ? kf_ynode_get(root, "experiments") : NULL;
        if (rc == KF_OK && list != NULL && list->type != KF_Y_SEQ)
            rc = xp__fail(&x, list, "experiments", "expected a list");
        for (size_t i = 0; rc == KF_OK && list != NULL && i < list->n; i++)
            rc = xp__one(&x, list->items[i], xs);
    }
    kf_ydoc_free(doc);
    if (rc != KF_OK) {
        kf_free(xs);
        return rc;
    }
    *out = xs;
    return KF_OK;
}

int kf_experiments_load(const char *path, struct kf_experiments **out, struct kf_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return kf_errorf(err, KF_ENOTFOUND, "%s: no experiments file", path);
    fclose(f);
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc == KF_ENOMEM ? rc : xp__as_parse(err);
    return xp__finish(doc, out, err);
}

int kf_experiments_parse(const char *name, const char *yaml, size_t len,
                         struct kf_experiments **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_string(name, yaml, len, &doc, err);
    if (rc != KF_OK)
        return rc == KF_ENOMEM ? rc : xp__as_parse(err);
    return xp__finish(doc, out, err);
}

void kf_experiments_free(struct kf_experiments *x)
{
    kf_free(x);
}

size_t kf_experiments_count(const struct kf_experiments *x)
{
    return x != NULL ? x->n : 0;
}

const struct kf_experiment *kf_experiments_at(const struct kf_experiments *x, size_t i)
{
    return x != NULL && i < x->n ? &x->v[i] : NULL;
}

const struct kf_experiment *kf_experiments_find(const struct kf_experiments *x, const char *id)
{
    for (size_t i = 0; x != NULL && id != NULL && i < x->n; i++)
        if (strcmp(x->v[i].id, id) == 0)
            return &x->v[i];
    return NULL;
}

static json_t *xp__metrics_json(unsigned m)
{
    json_t *a = json_array();
    for (size_t k = 0; xp__metrics[k] != NULL; k++)
        if (m & (1u << k))
            json_array_append_new(a, json_string(xp__metrics[k]));
    return a;
}

static json_t *xp__json(const struct kf_experiment *e)
{
    long total = 0;
    for (size_t i = 0; i < e->nvariants; i++)
        total += e->variants[i].weight;
    json_t *vs = json_array();
    for (size_t i = 0; i < e->nvariants; i++)
        json_array_append_new(vs, json_pack("{s:s,s:i,s:f,s:s}", "name", e->variants[i].name,
                                            "weight", e->variants[i].weight, "share",
                                            (double)e->variants[i].weight / (double)total, "style",
                                            e->variants[i].style));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "id", e->id, "description", e->description,
                     "status", e->status, "applies_to", e->applies_to, "control",
                     e->variants[0].name, "variants", vs, "metrics", xp__metrics_json(e->metrics));
}

json_t *kf_experiments_json(const struct kf_experiments *x)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && x != NULL && i < x->n; i++)
        json_array_append_new(a, xp__json(&x->v[i]));
    return a;
}

/* ---- assignment ---------------------------------------------------------------- */

unsigned kf_experiment_bucket(const char *experiment_id, long long customer_id)
{
    char key[KF_EXPERIMENT_ID_MAX + 32];
    int n = snprintf(key, sizeof key, "%s:%lld", experiment_id, customer_id);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof key)
        n = (int)sizeof key - 1;
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */
    for (int i = 0; i < n; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return (unsigned)(h % KF_EXPERIMENT_BUCKETS);
}

const struct kf_experiment_variant *kf_experiment_variant_for(const struct kf_experiment *e,
                                                              long long customer_id)
{
    long total = 0;
    for (size_t i = 0; i < e->nvariants; i++)
        total += e->variants[i].weight;
    if (e->nvariants == 0 || total <= 0)
        return NULL;
    unsigned b = kf_experiment_bucket(e->id, customer_id);
    long cum = 0;
    for (size_t i = 0; i < e->nvariants; i++) {
        cum += e->variants[i].weight;
        /* variant i holds the buckets below cum/total of the range */
        if ((long long)b * total < (long long)cum * KF_EXPERIMENT_BUCKETS)
            return &e->variants[i];
    }
    return &e->variants[e->nvariants - 1];
}

int kf_experiment_expose(struct kf_store *st, const char *experiment, const char *conversation_id,
                         long long customer_id, const char *variant, long long now_ms,
                         int *inserted, struct kf_err *err)
{
    int ins = 0;
    if (inserted != NULL)
        *inserted = 0;
    if (st == NULL || st->experiments == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED, "store: no experiment tables");
    if (experiment == NULL || experiment[0] == '\0' || strlen(experiment) >= KF_EXPERIMENT_ID_MAX ||
        variant == NULL || variant[0] == '\0' || strlen(variant) >= KF_EXPERIMENT_ID_MAX)
        return kf_errorf(err, KF_EINVAL, "experiment or variant: expected 1 to %d bytes",
                         KF_EXPERIMENT_ID_MAX - 1);
    if (conversation_id == NULL || strlen(conversation_id) != KF_ID_LEN)
        return kf_errorf(err, KF_EINVAL, "conversation_id: expected %d hex characters", KF_ID_LEN);
    int rc = st->experiments->expose(st, experiment, conversation_id, customer_id, variant,
                                     now_ms > 0 ? now_ms : kf_time_now_ms(), &ins, err);
    if (inserted != NULL)
        *inserted = ins;
    return rc;
}

/* ---- statistics ------------------------------------------------------------------ */

void kf_experiment_ztest(long long x1, long long n1, long long x2, long long n2,
                         struct kf_ztest *out)
{
    memset(out, 0, sizeof *out);
    out->rel_diff = NAN;
    out->p_value = 1;
    out->small = n1 < KF_EXPERIMENT_MIN_ARM || n2 < KF_EXPERIMENT_MIN_ARM;
    if (n1 <= 0 || n2 <= 0 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2)
        return;
    out->valid = 1;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double p = (double)(x1 + x2) / (double)(n1 + n2);
    out->p1 = p1;
    out->p2 = p2;
    out->diff = p2 - p1;
    if (p1 > 0)
        out->rel_diff = out->diff / p1;
    double se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
    if (se > 0) {
        out->z = out->diff / se;
        out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    }
    double se_u = sqrt(p1 * (1 - p1) / (double)n1 + p2 * (1 - p2) / (double)n2);
    out->ci_low = out->diff - 1.959963984540054 * se_u;
    out->ci_high = out->diff + 1.959963984540054 * se_u;
    out->significant = out->p_value < 0.05;
}

/* ---- the report -------------------------------------------------------------------- */

static long long xp__int(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static json_t *xp__rate(long long x, long long n)
{
    return n > 0 ? json_real((double)x / (double)n) : json_null();
}

static json_t *xp__num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The variant's row of counts, from the backend's rows (zeros when none). */
static json_t *xp__variant_row(const char *name, int weight, json_t *rows)
{
    json_t *src = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) if (strcmp(json_string_value(json_object_get(r, "variant")),
                                              name) == 0) src = r;
    long long n = xp__int(src, "conversations"), csat_n = xp__int(src, "csat_count");
    double csat_sum = json_number_value(json_object_get(src, "csat_sum"));
    json_t *o = json_pack("{s:s,s:I,s:I}", "name", name, "conversations", (json_int_t)n,
                          "customers", (json_int_t)xp__int(src, "customers"));
    if (weight > 0)
        json_object_set_new(o, "weight", json_integer(weight));
    json_object_set_new(o, "conversions", json_integer(xp__int(src, "conversions")));
    json_object_set_new(o, "conversion_rate", xp__rate(xp__int(src, "conversions"), n));
    json_object_set_new(o, "csat_count", json_integer(csat_n));
    json_object_set_new(o, "csat_average",
                        csat_n > 0 ? json_real(csat_sum / (double)csat_n) : json_null());
    json_object_set_new(o, "resolved", json_integer(xp__int(src, "resolved")));
    json_object_set_new(o, "resolution_rate", xp__rate(xp__int(src, "resolved"), n));
    json_object_set_new(o, "handoffs", json_integer(xp__int(src, "handoffs")));
    json_object_set_new(o, "handoff_rate", xp__rate(xp__int(src, "handoffs"), n));
    return o;
}

static json_t *xp__test(const char *variant, const char *metric, json_t *ctl, json_t *var,
                        const char *count_key)
{
    struct kf_ztest t;
    long long x1 = xp__int(ctl, count_key), n1 = xp__int(ctl, "conversations");
    long long x2 = xp__int(var, count_key), n2 = xp__int(var, "conversations");
    kf_experiment_ztest(x1, n1, x2, n2, &t);
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "variant", variant, "metric", metric,
                          "control_count", (json_int_t)x1, "control_n", (json_int_t)n1,
                          "variant_count", (json_int_t)x2, "variant_n", (json_int_t)n2);
    json_object_set_new(o, "control_rate", t.valid ? json_real(t.p1) : json_null());
    json_object_set_new(o, "variant_rate", t.valid ? json_real(t.p2) : json_null());
    json_object_set_new(o, "diff", t.valid ? json_real(t.diff) : json_null());
    json_object_set_new(o, "relative_diff", t.valid ? xp__num(t.rel_diff) : json_null());
    json_object_set_new(o, "z", t.valid ? json_real(t.z) : json_null());
    json_object_set_new(o, "p_value", t.valid ? json_real(t.p_value) : json_null());
    json_object_set_new(o, "ci95", t.valid ? json_pack("[f,f]", t.ci_low, t.ci_high) : json_null());
    json_object_set_new(o, "significant", json_boolean(t.valid && t.significant));
    json_object_set_new(o, "verdict",
                        json_string(!t.valid        ? "no data"
                                    : t.significant ? "significant at 0.05"
                                                    : "not significant at 0.05"));
    if (t.small)
        json_object_set_new(o, "note",
                            json_string("an arm has fewer than 30 conversations: the normal "
                                        "approximation is rough, read the result with care"));
    return o;
}

int kf_experiment_report(struct kf_store *st, const struct kf_experiment *e, long long from,
                         long long to, json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (st == NULL || st->experiments == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED, "store: no experiment tables");
    if (from < 0 || to < 0 || (to != 0 && to <= from))
        return kf_errorf(err, KF_EINVAL, "from/to: an empty or negative period");
    json_t *rows = NULL;
    int rc = st->experiments->counts(st, e->id, from, to, &rows, err);
    if (rc != KF_OK)
        return rc;
    json_t *variants = json_array();
    for (size_t i = 0; i < e->nvariants; i++)
        json_array_append_new(variants,
                              xp__variant_row(e->variants[i].name, e->variants[i].weight, rows));
    /* exposures of variants the file no longer defines: shown, not tested */
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *name = json_string_value(json_object_get(r, "variant"));
        int known = 0;
        for (size_t k = 0; k < e->nvariants && !known; k++)
            known = strcmp(e->variants[k].name, name) == 0;
        if (!known)
            json_array_append_new(variants, xp__variant_row(name, 0, rows));
    }
    json_decref(rows);
    long long exposed = 0;
    json_array_foreach(variants, i, r) exposed += xp__int(r, "conversations");
    json_t *ctl = json_array_get(variants, 0);
    json_t *tests = json_array();
    for (size_t k = 1; k < e->nvariants; k++) {
        json_t *var = json_array_get(variants, k);
        const char *name = e->variants[k].name;
        if (e->metrics & KF_METRIC_CONVERSION)
            json_array_append_new(tests, xp__test(name, "conversion", ctl, var, "conversions"));
        if (e->metrics & KF_METRIC_RESOLUTION)
            json_array_append_new(tests, xp__test(name, "resolution", ctl, var, "resolved"));
        if (e->metrics & KF_METRIC_HANDOFF)
            json_array_append_new(tests, xp__test(name, "handoff", ctl, var, "handoffs"));
    }
    json_t *doc =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:I,s:o,s:o,s:o}", "experiment", e->id,
                  "description", e->description, "status", e->status, "applies_to", e->applies_to,
                  "control", e->variants[0].name, "from", (json_int_t)from, "to",
                  to > 0 ? json_integer(to) : json_null(), "exposed", (json_int_t)exposed,
                  "metrics", xp__metrics_json(e->metrics), "variants", variants, "tests", tests);
    if (doc == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    *out = doc;
    return KF_OK;
}
