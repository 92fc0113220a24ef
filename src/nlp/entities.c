/*
 * entities.c — patterns, catalogue and CRF behind one call, merged (see
 * entities.h), and exact-span scoring for `kefu eval --task entities`.
 */
#include "kefu/entities.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kefu/mem.h"

struct kf_entities {
    struct kf_patterns *patterns;
    struct kf_catalogue *catalogue;
    struct kf_crf *crf;
    unsigned sources;
    double crf_min;
};

struct kf_entities_params kf_entities_default_params(void)
{
    return (struct kf_entities_params){.crf_min_confidence = 0.5};
}

void kf_entities_free(struct kf_entities *e)
{
    if (e == NULL)
        return;
    kf_patterns_free(e->patterns);
    kf_catalogue_free(e->catalogue);
    kf_crf_free(e->crf);
    kf_free(e);
}

int kf_entities_new(struct kf_entities_params p, struct kf_entities **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_entities *e = kf_calloc(1, sizeof *e);
    if (e == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    e->sources = p.sources ? p.sources
                           : (1u << KF_ENT_PATTERN) | (1u << KF_ENT_CATALOGUE) | (1u << KF_ENT_CRF);
    e->crf_min = p.crf_min_confidence;
    int rc = KF_OK;
    if (e->sources & (1u << KF_ENT_PATTERN)) {
        struct kf_patterns_params pp = kf_patterns_default_params();
        pp.rules = p.rules;
        pp.nrules = p.nrules;
        rc = kf_patterns_new(pp, &e->patterns, err);
    }
    struct stat sb;
    if (rc == KF_OK && p.catalogue != NULL && stat(p.catalogue, &sb) == 0)
        rc = kf_catalogue_load(p.catalogue, &e->catalogue, err);
    if (rc == KF_OK && p.crf_model != NULL && (e->sources & (1u << KF_ENT_CRF)))
        rc = kf_crf_load(p.crf_model, &e->crf, err);
    if (rc == KF_OK && e->crf != NULL && kf_crf_uses_catalogue(e->crf) && e->catalogue == NULL)
        rc = kf_errorf(err, KF_EINVAL, "%s: the model uses catalogue features but there is no "
                                       "catalogue", p.crf_model);
    if (rc != KF_OK) {
        kf_entities_free(e);
        return rc;
    }
    *out = e;
    return KF_OK;
}

const struct kf_catalogue *kf_entities_catalogue(const struct kf_entities *e)
{
    return e->catalogue;
}

const struct kf_crf *kf_entities_crf(const struct kf_entities *e) { return e->crf; }

/* Rank: rule-based candidates (patterns, catalogue) before the CRF; among
 * them the longer span first — "三只松鼠" the brand beats "三只" the
 * quantity, "Nike Air Max 90" the product beats "Max 90" the money — and at
 * equal length a pattern before a catalogue entry. */
static int ent__cmp_rank(const void *a, const void *b)
{
    const struct kf_entity *x = a, *y = b;
    int cx = x->source == KF_ENT_CRF, cy = y->source == KF_ENT_CRF;
    if (cx != cy)
        return cx - cy;
    size_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly)
        return lx > ly ? -1 : 1;
    if (x->source != y->source)
        return x->source == KF_ENT_PATTERN ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int ent__cmp_pos(const void *a, const void *b)
{
    const struct kf_entity *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

size_t kf_entities_extract(const struct kf_entities *e, const char *text, size_t len,
                           struct kf_time_ref ref, struct kf_arena *a, struct kf_entity *out,
                           size_t max)
{
    struct kf_entity cand[3 * KF_ENTITIES_MAX];
    size_t n = 0;
    if (e->patterns != NULL)
        n += kf_patterns_extract(e->patterns, text, len, ref, a, cand + n, KF_ENTITIES_MAX);
    /* the catalogue is matched once: its matches are candidates and the
     * CRF's dictionary features */
    struct kf_entity hits[KF_ENTITIES_MAX];
    size_t nhits = 0;
    if (e->catalogue != NULL)
        nhits = kf_catalogue_match(e->catalogue, text, len, a, hits, KF_ENTITIES_MAX);
    if (e->sources & (1u << KF_ENT_CATALOGUE)) {
        memcpy(cand + n, hits, nhits * sizeof *hits);
        n += nhits;
    }
    if (e->crf != NULL) {
        size_t base = n;
        size_t k = kf_crf_extract_hits(e->crf, e->catalogue ? hits : NULL, nhits, text, len, a,
                                       cand + base, KF_ENTITIES_MAX);
        for (size_t i = 0; i < k; i++)
            if (cand[base + i].confidence >= e->crf_min)
                cand[n++] = cand[base + i];
    }
    qsort(cand, n, sizeof *cand, ent__cmp_rank);
    size_t m = 0;
    for (size_t i = 0; i < n && m < max; i++) {
        int clash = 0;
        for (size_t j = 0; j < m && !clash; j++)
            clash = cand[i].start < out[j].end && out[j].start < cand[i].end;
        if (!clash)
            out[m++] = cand[i];
    }
    qsort(out, m, sizeof *out, ent__cmp_pos);
    return m;
}

const char *kf_entities_json(const struct kf_entity *v, size_t n, struct kf_arena *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *val = json_loads(v[i].value, JSON_DECODE_ANY, NULL);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:I,s:I,s:o,s:f,s:s}", "type", v[i].type, "text", v[i].text,
                           "start", (json_int_t)v[i].start, "end", (json_int_t)v[i].end, "value",
                           val ? val : json_string(v[i].text), "confidence",
                           (double)(long)(v[i].confidence * 1000) / 1000, "source",
                           kf_entity_source_name(v[i].source)));
    }
    char *s = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(4));
    json_decref(arr);
    const char *r = s ? kf_arena_strdup(a, s) : NULL;
    free(s);
    return r ? r : "[]";
}

/* ---- scoring ------------------------------------------------------------------ */

struct ent_tally {
    struct kf_entity_type_score *v;
    size_t n, cap;
};

static struct kf_entity_type_score *tally__get(struct ent_tally *t, const char *type)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].type, type) == 0)
            return &t->v[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct kf_entity_type_score *v = kf_realloc(t->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    char *name = kf_strdup(type);
    if (name == NULL)
        return NULL;
    t->v[t->n] = (struct kf_entity_type_score){.type = name};
    return &t->v[t->n++];
}

struct span3 {
    size_t start, end;
    const char *type;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ent__cmp_type(const void *a, const void *b)
{
    return strcmp(((const struct kf_entity_type_score *)a)->type,
                  ((const struct kf_entity_type_score *)b)->type);
}

int kf_entities_evaluate(const struct kf_entities *e, const struct kf_crf *crf,
                         const struct kf_catalogue *cat, const struct kf_seqset *data,
                         struct kf_entity_score *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    struct ent_tally t = {0};
    struct kf_arena *a = kf_arena_new(1 << 16, (size_t)1 << 26);
    struct span3 *pred = kf_malloc(KF_CRF_MAX_TOKENS * sizeof *pred);
    struct kf_seqspan *sp = kf_malloc(KF_CRF_MAX_TOKENS * sizeof *sp);
    if (a == NULL || pred == NULL || sp == NULL) {
        kf_arena_free(a);
        kf_free(pred);
        kf_free(sp);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    struct kf_time_ref ref = {(int64_t)time(NULL), 480};
    double secs = 0;
    int rc = KF_OK;
    for (size_t s = 0; s < kf_seqset_size(data) && rc == KF_OK; s++) {
        const struct kf_seq *q = kf_seqset_get(data, s);
        kf_arena_reset(a);
        size_t np = 0;
        double t0 = now_s();
        if (e != NULL) {
            struct kf_entity ents[KF_ENTITIES_MAX];
            size_t k = kf_entities_extract(e, q->text, q->len, ref, a, ents, KF_ENTITIES_MAX);
            for (size_t i = 0; i < k; i++)
                pred[np++] = (struct span3){ents[i].start, ents[i].end, ents[i].type};
        } else {
            size_t k = kf_crf_tag(crf, cat, q->text, q->len, q->tstart, q->tend, q->ntok, sp,
                                  KF_CRF_MAX_TOKENS);
            for (size_t i = 0; i < k; i++)
                pred[np++] = (struct span3){q->tstart[sp[i].start], q->tend[sp[i].end - 1],
                                            kf_crf_type(crf, sp[i].type)};
        }
        secs += now_s() - t0;
        /* gold spans, in bytes */
        for (uint32_t g = 0; g < q->nspans; g++) {
            const struct kf_seqspan *gs = &q->spans[g];
            size_t gb = q->tstart[gs->start], ge = q->tend[gs->end - 1];
            const char *gt = kf_seqset_type(data, gs->type);
            struct kf_entity_type_score *ts = tally__get(&t, gt);
            if (ts == NULL) {
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
                break;
            }
            int hit = 0;
            for (size_t i = 0; i < np && !hit; i++)
                if (pred[i].type != NULL && pred[i].start == gb && pred[i].end == ge &&
                    strcmp(pred[i].type, gt) == 0) {
                    hit = 1;
                    pred[i].type = NULL; /* matched once */
                }
            if (hit)
                ts->tp++;
            else
                ts->fn++;
        }
        for (size_t i = 0; i < np && rc == KF_OK; i++) {
            if (pred[i].type == NULL)
                continue;
            struct kf_entity_type_score *ts = tally__get(&t, pred[i].type);
            if (ts == NULL)
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            else
                ts->fp++;
        }
    }
    kf_arena_free(a);
    kf_free(pred);
    kf_free(sp);
    if (rc != KF_OK) {
        out->types = t.v;
        out->ntypes = t.n;
        kf_entity_score_release(out);
        return rc;
    }
    size_t tp = 0, fp = 0, fn = 0;
    double macro = 0;
    size_t nmacro = 0;
    qsort(t.v, t.n, sizeof *t.v, ent__cmp_type);
    for (size_t i = 0; i < t.n; i++) {
        struct kf_entity_type_score *x = &t.v[i];
        x->precision = x->tp + x->fp ? (double)x->tp / (double)(x->tp + x->fp) : 0;
        x->recall = x->tp + x->fn ? (double)x->tp / (double)(x->tp + x->fn) : 0;
        x->f1 = x->precision + x->recall > 0
                    ? 2 * x->precision * x->recall / (x->precision + x->recall)
                    : 0;
        tp += x->tp;
        fp += x->fp;
        fn += x->fn;
        if (x->tp + x->fn > 0) {
            macro += x->f1;
            nmacro++;
        }
    }
    out->types = t.v;
    out->ntypes = t.n;
    out->sentences = kf_seqset_size(data);
    out->precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    out->recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    out->micro_f1 = out->precision + out->recall > 0
                        ? 2 * out->precision * out->recall / (out->precision + out->recall)
                        : 0;
    out->macro_f1 = nmacro ? macro / (double)nmacro : 0;
    out->seconds = secs;
    return KF_OK;
}

void kf_entity_score_release(struct kf_entity_score *s)
{
    for (size_t i = 0; i < s->ntypes; i++)
        kf_free((char *)s->types[i].type);
    kf_free(s->types);
    memset(s, 0, sizeof *s);
}
