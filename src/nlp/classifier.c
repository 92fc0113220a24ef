/*
 * classifier.c — model files, loading and prediction (see classifier.h and
 * model_format.h). Training lives in train.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_int.h"
#include "kefu/buf.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/model_format.h"
#include "kfm_int.h"
#include "kefu/t2s.h"

/* ---- small helpers ------------------------------------------------------ */

int kf__classifier_set_meta(struct kf_classifier *c, const char *key, const char *val)
{
    return kf__kfm_meta_set(c->meta_key, c->meta_val, &c->nmeta, KF_CLASSIFIER_MAX_META, key, val);
}

const char *kf_classifier_meta(const struct kf_classifier *c, const char *key)
{
    return kf__kfm_meta_get(c->meta_key, c->meta_val, c->nmeta, key);
}

void kf__features_format(const struct kf_feature_params *p, char *out, size_t cap)
{
    snprintf(out, cap, "w=%d b=%d c=%d-%d h=%d t=%d", p->words, p->bigrams, p->cmin, p->cmax,
             p->han_max, p->t2s);
}

int kf__features_parse(const char *s, struct kf_feature_params *p)
{
    int w, b, cmin, cmax, h, t = 0;
    int got = sscanf(s, "w=%d b=%d c=%d-%d h=%d t=%d", &w, &b, &cmin, &cmax, &h, &t);
    if (got != 5 && got != 6)
        return KF_EPARSE;
    if (w < 0 || w > 1 || b < 0 || b > 1 || cmin < 0 || cmax < cmin || cmax > 8 || h < 0 ||
        h > 4 || t < 0 || t > 1)
        return KF_EPARSE;
    *p = (struct kf_feature_params){w, b, cmin, cmax, h, t, NULL};
    return KF_OK;
}

int kf__classifier_ensure_t2s(struct kf_classifier *c, struct kf_err *err)
{
    if (!c->fp.t2s || c->fp.t2s_table != NULL)
        return KF_OK;
    int rc = kf_t2s_new(&c->own_t2s, err);
    if (rc == KF_OK)
        c->fp.t2s_table = c->own_t2s;
    return rc;
}

void kf_classifier_use_t2s(struct kf_classifier *c, const struct kf_t2s *t2s)
{
    if (!c->fp.t2s || t2s == NULL)
        return;
    c->fp.t2s_table = t2s;
    kf_t2s_free(c->own_t2s);
    c->own_t2s = NULL;
}

int kf__classifier_index(struct kf_classifier *c)
{
    size_t cap = 16;
    while (cap < (size_t)c->nfeat * 2)
        cap <<= 1;
    c->table = kf_calloc(cap, sizeof *c->table);
    if (c->table == NULL)
        return KF_ENOMEM;
    c->tmask = cap - 1;
    for (uint32_t i = 0; i < c->nfeat; i++) {
        size_t s = (size_t)(c->hash[i] ^ (c->hash[i] >> 29)) & c->tmask;
        while (c->table[s] != 0)
            s = (s + 1) & c->tmask;
        c->table[s] = i + 1;
    }
    return KF_OK;
}

static long classifier__lookup(const struct kf_classifier *c, uint64_t h)
{
    size_t s = (size_t)(h ^ (h >> 29)) & c->tmask;
    while (c->table[s] != 0) {
        uint32_t i = c->table[s] - 1;
        if (c->hash[i] == h)
            return i;
        s = (s + 1) & c->tmask;
    }
    return -1;
}

void kf_classifier_free(struct kf_classifier *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nmeta; i++) {
        kf_free(c->meta_key[i]);
        kf_free(c->meta_val[i]);
    }
    for (uint32_t i = 0; c->labels && i < c->nclass; i++)
        kf_free(c->labels[i]);
    kf_free(c->labels);
    if (c->map != NULL) {
        kf__kfm_unmap(c->map, c->map_len); /* hash, w and bias point into it */
    } else {
        kf_free(c->hash);
        kf_free(c->w);
        kf_free(c->bias);
    }
    kf_free(c->table);
    kf_t2s_free(c->own_t2s);
    kf_free(c);
}

size_t kf_classifier_nlabels(const struct kf_classifier *c) { return c->nclass; }
size_t kf_classifier_nfeatures(const struct kf_classifier *c) { return c->nfeat; }
double kf_classifier_oos_threshold(const struct kf_classifier *c) { return c->oos_threshold; }

const char *kf_classifier_label(const struct kf_classifier *c, size_t i)
{
    return i < c->nclass ? c->labels[i] : NULL;
}

const char *kf_classifier_task(const struct kf_classifier *c)
{
    const char *t = kf_classifier_meta(c, "task");
    return t ? t : "";
}

int kf_classifier_set_oos_threshold(struct kf_classifier *c, double t)
{
    if (!(t >= 0 && t <= 1))
        return KF_EINVAL;
    c->oos_threshold = t;
    char buf[32];
    snprintf(buf, sizeof buf, "%.4f", t);
    return kf__classifier_set_meta(c, "oos_threshold", buf);
}

/* ---- prediction -------------------------------------------------------- */

void kf__classifier_probs(const struct kf_classifier *c, const struct kf_fvec *x, double *probs)
{
    for (uint32_t k = 0; k < c->nclass; k++)
        probs[k] = c->bias[k];
    for (size_t i = 0; i < x->n; i++) {
        long f = classifier__lookup(c, x->h[i]);
        if (f < 0)
            continue;
        const float *row = c->w + (size_t)f * c->nclass;
        double v = x->v[i];
        for (uint32_t k = 0; k < c->nclass; k++)
            probs[k] += v * row[k];
    }
    double sum = 0;
    for (uint32_t k = 0; k < c->nclass; k++) {
        probs[k] = 1.0 / (1.0 + exp(-probs[k]));
        sum += probs[k];
    }
    for (uint32_t k = 0; k < c->nclass; k++)
        probs[k] = sum > 0 ? probs[k] / sum : 1.0 / c->nclass;
}

const struct kf_feature_params *kf_classifier_features(const struct kf_classifier *c)
{
    return &c->fp;
}

int kf_classifier_predict(const struct kf_classifier *c, const char *text, size_t len,
                          struct kf_arena *a, struct kf_prediction *out, size_t max, size_t *n,
                          struct kf_err *err)
{
    *n = 0;
    struct kf_fvec x;
    int rc = kf_features_extract(text, len, &c->fp, a, &x, err);
    if (rc != KF_OK)
        return rc;
    return kf_classifier_predict_features(c, &x, a, out, max, n, err);
}

int kf_classifier_predict_features(const struct kf_classifier *c, const struct kf_fvec *x,
                                   struct kf_arena *a, struct kf_prediction *out, size_t max,
                                   size_t *n, struct kf_err *err)
{
    *n = 0;
    double *p = kf_arena_alloc(a, c->nclass * sizeof *p);
    if (p == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    kf__classifier_probs(c, x, p);
    /* partial selection of the top `max` */
    size_t k = 0;
    for (uint32_t i = 0; i < c->nclass; i++) {
        if (k == max && (max == 0 || p[i] <= out[k - 1].prob))
            continue;
        size_t at = k < max ? k++ : max - 1;
        while (at > 0 && out[at - 1].prob < p[i]) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = (struct kf_prediction){(int)i, p[i]};
    }
    *n = k;
    return KF_OK;
}

const char *kf_classifier_decide(const struct kf_classifier *c, const struct kf_prediction *top,
                                 size_t n)
{
    if (n == 0)
        return c->oos >= 0 ? c->labels[c->oos] : NULL;
    if (c->oos >= 0 && top[0].prob < c->oos_threshold)
        return c->labels[c->oos];
    return c->labels[top[0].label];
}

/* ---- model files (kfm_int.h) ------------------------------------------ */

int kf_classifier_save(const struct kf_classifier *c, const char *path, struct kf_err *err)
{
    struct kfm_w w;
    kf__kfm_w_init(&w);
    kf__kfm_w_header(&w, c->meta_key, c->meta_val, c->nmeta);
    uint64_t lablen = 4;
    for (uint32_t i = 0; i < c->nclass; i++)
        lablen += 4 + strlen(c->labels[i]);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('L', 'A', 'B', 'L'), lablen);
    kf__kfm_w_u32(&w, c->nclass);
    for (uint32_t i = 0; i < c->nclass; i++)
        kf__kfm_w_str(&w, c->labels[i]);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('H', 'A', 'S', 'H'), (uint64_t)c->nfeat * 8);
    kf__kfm_w_bytes(&w, c->hash, (size_t)c->nfeat * 8);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('W', 'G', 'H', 'T'), (uint64_t)c->nfeat * c->nclass * 4);
    kf__kfm_w_bytes(&w, c->w, (size_t)c->nfeat * c->nclass * 4);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('B', 'I', 'A', 'S'), (uint64_t)c->nclass * 4);
    kf__kfm_w_bytes(&w, c->bias, (size_t)c->nclass * 4);
    return kf__kfm_w_finish(&w, path, err);
}

static int classifier__meta(void *ud, const char *k, const char *v)
{
    return kf__classifier_set_meta(ud, k, v);
}

static int classifier__parse(struct kf_classifier *c, const unsigned char *data, size_t len,
                             const char *path, struct kf_err *err)
{
#define BAD(...) return kf_errorf(err, KF_EPARSE, __VA_ARGS__)
    struct kfm_r r;
    int rc = kf__kfm_r_header(&r, data, len, path, KF_CLASSIFIER_MAX_META, classifier__meta, c,
                              err);
    if (rc != KF_OK)
        return rc;
    const char *kind = kf_classifier_meta(c, "kind");
    if (kind == NULL || strcmp(kind, "linear-classifier") != 0)
        BAD("%s: model kind '%s', expected linear-classifier", path, kind ? kind : "");
    const char *fs = kf_classifier_meta(c, "features");
    if (fs == NULL || kf__features_parse(fs, &c->fp) != KF_OK)
        BAD("%s: unknown feature settings '%s'", path, fs ? fs : "");

    uint64_t bl;
    if (kf__kfm_r_block(&r, KF_MODEL_TAG('L', 'A', 'B', 'L'), &bl) == NULL)
        BAD("%s: missing LABL block", path);
    r.p -= bl; /* read the labels field by field */
    c->nclass = kf__kfm_r_u32(&r);
    if (r.bad || c->nclass < 2 || c->nclass > 100000)
        BAD("%s: %u labels", path, c->nclass);
    c->labels = kf_calloc(c->nclass, sizeof *c->labels);
    if (c->labels == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < c->nclass; i++)
        if ((c->labels[i] = kf__kfm_r_str(&r, 256)) == NULL)
            BAD("%s: bad label %u", path, i);

    uint64_t hl, wl, bsz;
    const void *hp = kf__kfm_r_block(&r, KF_MODEL_TAG('H', 'A', 'S', 'H'), &hl);
    if (hp == NULL)
        BAD("%s: missing HASH block", path);
    if (hl % 8 != 0 || hl / 8 > 50000000)
        BAD("%s: bad HASH block length", path);
    c->nfeat = (uint32_t)(hl / 8);
    const void *wp = kf__kfm_r_block(&r, KF_MODEL_TAG('W', 'G', 'H', 'T'), &wl);
    if (wp == NULL)
        BAD("%s: missing WGHT block", path);
    if (wl != (uint64_t)c->nfeat * c->nclass * 4)
        BAD("%s: WGHT block has %llu bytes, expected %u features × %u labels", path,
            (unsigned long long)wl, c->nfeat, c->nclass);
    const void *bp = kf__kfm_r_block(&r, KF_MODEL_TAG('B', 'I', 'A', 'S'), &bsz);
    if (bp == NULL || bsz != (uint64_t)c->nclass * 4)
        BAD("%s: bad BIAS block", path);
    /* blocks are 8-byte aligned in the file and the mapping is page
     * aligned: use them in place */
    if (((uintptr_t)hp | (uintptr_t)wp | (uintptr_t)bp) % 8 != 0)
        BAD("%s: blocks not aligned", path);
    c->hash = (uint64_t *)hp;
    c->w = (float *)wp;
    c->bias = (float *)bp;
    for (uint32_t i = 1; i < c->nfeat; i++)
        if (c->hash[i] <= c->hash[i - 1])
            BAD("%s: feature hashes out of order", path);
    for (size_t i = 0; i < (size_t)c->nfeat * c->nclass; i++)
        if (!isfinite(c->w[i]))
            BAD("%s: non-finite weight", path);
    for (uint32_t i = 0; i < c->nclass; i++)
        if (!isfinite(c->bias[i]))
            BAD("%s: non-finite bias", path);
#undef BAD
    c->oos = -1;
    const char *ol = kf_classifier_meta(c, "oos_label");
    for (uint32_t i = 0; ol && ol[0] && i < c->nclass; i++)
        if (strcmp(c->labels[i], ol) == 0)
            c->oos = (int)i;
    const char *ot = kf_classifier_meta(c, "oos_threshold");
    c->oos_threshold = ot ? strtod(ot, NULL) : 0;
    if (!(c->oos_threshold >= 0 && c->oos_threshold <= 1))
        c->oos_threshold = 0;
    if (kf__classifier_index(c) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    return KF_OK;
}

int kf_classifier_load(const char *path, struct kf_classifier **out, struct kf_err *err)
{
    return kf_classifier_load_with(path, NULL, out, err);
}

int kf_classifier_load_with(const char *path, const struct kf_t2s *t2s,
                            struct kf_classifier **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_classifier *c = kf_calloc(1, sizeof *c);
    if (c == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = kf__kfm_map(path, &c->map, &c->map_len, err);
    if (rc == KF_OK)
        rc = classifier__parse(c, c->map, c->map_len, path, err);
    if (rc == KF_OK && c->fp.t2s) {
        if (t2s != NULL)
            c->fp.t2s_table = t2s;
        else
            rc = kf__classifier_ensure_t2s(c, err);
    }
    if (rc != KF_OK) {
        kf_classifier_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}
