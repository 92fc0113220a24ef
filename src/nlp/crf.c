/*
 * crf.c — the CRF entity labeller: features, Viterbi decoding, model files
 * (see crf.h for the model, crf_train.c for training, crf_data.c for data).
 *
 * Features are 64-bit hashes built without strings: each token gets the
 * hash of its normal form and of its shape once, and a feature is a
 * template number mixed with those hashes (splitmix64 finaliser). A model
 * keeps the hashes it saw in training, sorted, and a lookup table built at
 * load; unknown hashes are simply absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crf_int.h"
#include "kefu/mem.h"
#include "kefu/model_format.h"
#include "kefu/utf8.h"
#include "kfm_int.h"

/* ---- hashing ------------------------------------------------------------- */

static uint64_t crf__mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t crf__f1(uint64_t tpl, uint64_t a) { return crf__mix(crf__mix(tpl) ^ a); }
static uint64_t crf__f2(uint64_t tpl, uint64_t a, uint64_t b)
{
    return crf__mix(crf__f1(tpl, a) + b);
}
static uint64_t crf__f3(uint64_t tpl, uint64_t a, uint64_t b, uint64_t c)
{
    return crf__mix(crf__f2(tpl, a, b) + c);
}

#define FNV_INIT 14695981039346656037ULL
static uint64_t crf__fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

/* ---- per-token facts ------------------------------------------------------ */

/* Fold one code point: full-width ASCII → ASCII, upper → lower,
 * Traditional → Simplified. */
static uint32_t crf__fold(const struct kf_t2s *t2s, uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E)
        c -= 0xFEE0;
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (t2s != NULL && c >= 0x3400)
        return kf_t2s_map(t2s, c);
    return c;
}

/* Shape class of a code point: d digit, a lower, A upper, H Han, p other. */
static char crf__cls(uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E)
        c -= 0xFEE0;
    if (c >= '0' && c <= '9')
        return 'd';
    if (c >= 'a' && c <= 'z')
        return 'a';
    if (c >= 'A' && c <= 'Z')
        return 'A';
    if (kf_utf8_is_han(c))
        return 'H';
    if (c >= 0xC0 && c <= 0x24F)
        return c <= 0xDE ? 'A' : 'a';
    return 'p';
}

struct tokfacts {
    uint64_t norm;   /* hash of the normal form */
    uint64_t shape;  /* hash of the compressed shape + length bucket */
    uint64_t pre2, pre3, suf2, suf3; /* Latin words only, else 0 */
};

static void crf__facts(const struct kf_t2s *t2s, const char *s, size_t n, struct tokfacts *f)
{
    char folded[64], shape[8];
    size_t fl = 0, sl = 0, ncp = 0;
    size_t cpoff[65];
    for (size_t i = 0; i < n;) {
        uint32_t c;
        int k = kf_utf8_decode(s + i, n - i, &c);
        if (k <= 0) {
            c = 0xFFFD;
            k = 1;
        }
        char cl = crf__cls(c);
        if (sl == 0 || (shape[sl - 1] != cl && sl < sizeof shape - 1))
            shape[sl++] = cl;
        char enc[4];
        int el = kf_utf8_encode(crf__fold(t2s, c), enc);
        if (ncp < 64 && fl + (size_t)el <= sizeof folded) {
            cpoff[ncp++] = fl;
            memcpy(folded + fl, enc, (size_t)el);
            fl += (size_t)el;
        }
        i += (size_t)k;
        if (ncp < 64)
            cpoff[ncp] = fl;
    }
    size_t nc = ncp;
    char bucket = nc <= 4 ? (char)('0' + nc) : nc <= 8 ? '5' : nc <= 12 ? '6' : '7';
    shape[sl++] = bucket;
    f->norm = crf__fnv(FNV_INIT, folded, fl);
    f->shape = crf__fnv(FNV_INIT ^ 0x5a, shape, sl);
    f->pre2 = f->pre3 = f->suf2 = f->suf3 = 0;
    int word = nc >= 3 && (shape[0] == 'a' || shape[0] == 'A');
    if (word) {
        f->pre2 = crf__fnv(FNV_INIT ^ 1, folded, cpoff[2]);
        f->pre3 = crf__fnv(FNV_INIT ^ 2, folded, cpoff[3]);
        f->suf2 = crf__fnv(FNV_INIT ^ 3, folded + cpoff[nc - 2], fl - cpoff[nc - 2]);
        if (nc >= 4)
            f->suf3 = crf__fnv(FNV_INIT ^ 4, folded + cpoff[nc - 3], fl - cpoff[nc - 3]);
    }
}

/* Templates (numbers only identify them; changing one means a new
 * KF_CRF_FEATURE_VERSION). */
enum {
    T_BIAS = 1, T_U = 10, /* T_U + 2 + offset, offsets -2..2 */
    T_B = 20,             /* T_B + 2 + offset, bigram (t+o, t+o+1), o = -2..1 */
    T_TRI = 30, T_S0 = 31, T_SL = 32, T_SR = 33, T_P2 = 34, T_P3 = 35, T_X2 = 36, T_X3 = 37,
    T_D = 40,             /* T_D + 1 + offset, catalogue hint at -1..1 */
    T_DU = 45,
    T_L = 50,             /* T_L + 1 + offset, lexicon hint at -1..1 */
    T_LU = 55, T_LL = 56,
};

/* ---- the lexicon of training entities ------------------------------------ */

#define LEX_SEED 0x6c657869636f6eULL

static long crf__lex_find(const struct kf_crf_lex *l, uint64_t h)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->hash[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->hash[lo] == h ? (long)lo : -1;
}

/* Per token: the longest lexicon entry starting there (greedy, left to
 * right), as a hash of position (B/I/E/S) and the entry's types. */
static void crf__lex_hints(const struct kf_crf_lex *l, const struct tokfacts *f, uint32_t ntok,
                           uint64_t *out)
{
    memset(out, 0, ntok * sizeof *out);
    for (uint32_t t = 0; t < ntok;) {
        uint64_t h = LEX_SEED;
        uint32_t best = 0, mask = 0;
        for (uint32_t k = 0; k < l->maxlen && t + k < ntok; k++) {
            h = crf__mix(h ^ f[t + k].norm);
            long i = crf__lex_find(l, h);
            if (i >= 0) {
                best = k + 1;
                mask = l->mask[i];
            }
        }
        if (best == 0) {
            t++;
            continue;
        }
        for (uint32_t k = 0; k < best; k++) {
            uint64_t pos = best == 1 ? 'S' : k == 0 ? 'B' : k == best - 1 ? 'E' : 'I';
            out[t + k] = crf__mix(((uint64_t)mask << 8) | pos);
        }
        t += best;
    }
}

static int cmp_hm(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int kf__crf_lex_build(const struct kf_t2s *t2s, const struct kf_seqset *s, long fold,
                      int nfolds, struct kf_crf_lex *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    for (size_t i = 0; i < kf_seqset_size(s); i++)
        cap += kf_seqset_get(s, i)->nspans;
    /* pairs (hash, mask) sorted together */
    uint64_t *pairs = kf_malloc((cap + 1) * 2 * sizeof *pairs);
    if (pairs == NULL)
        return KF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < kf_seqset_size(s); i++) {
        if (fold >= 0 && (long)(i % (size_t)nfolds) == fold)
            continue;
        const struct kf_seq *q = kf_seqset_get(s, i);
        for (uint32_t k = 0; k < q->nspans; k++) {
            const struct kf_seqspan *sp = &q->spans[k];
            uint32_t len = sp->end - sp->start;
            size_t bytes = q->tend[sp->end - 1] - q->tstart[sp->start];
            if (len > 12 || bytes < 4) /* long ones rarely repeat; one Han or two letters: noise */
                continue;
            uint64_t h = LEX_SEED;
            for (uint32_t t = sp->start; t < sp->end; t++) {
                struct tokfacts tf;
                crf__facts(t2s, q->text + q->tstart[t], q->tend[t] - q->tstart[t], &tf);
                h = crf__mix(h ^ tf.norm);
            }
            pairs[2 * n] = h;
            pairs[2 * n + 1] = 1u << (sp->type < 31 ? sp->type : 31);
            n++;
            out->maxlen = len > out->maxlen ? len : out->maxlen;
        }
    }
    qsort(pairs, n, 2 * sizeof *pairs, cmp_hm);
    out->hash = kf_malloc((n + 1) * sizeof *out->hash);
    out->mask = kf_malloc((n + 1) * sizeof *out->mask);
    if (out->hash == NULL || out->mask == NULL) {
        kf_free(pairs);
        kf__crf_lex_release(out);
        return KF_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (out->n > 0 && out->hash[out->n - 1] == pairs[2 * i]) {
            out->mask[out->n - 1] |= (uint32_t)pairs[2 * i + 1];
            continue;
        }
        out->hash[out->n] = pairs[2 * i];
        out->mask[out->n++] = (uint32_t)pairs[2 * i + 1];
    }
    kf_free(pairs);
    return KF_OK;
}

void kf__crf_lex_release(struct kf_crf_lex *l)
{
    kf_free(l->hash);
    kf_free(l->mask);
    memset(l, 0, sizeof *l);
}

#define BOS_HASH 0x1badb002ULL
#define EOS_HASH 0x2badb003ULL

void kf__crf_featurize(const struct kf_t2s *t2s, const char *text, const uint32_t *ts,
                       const uint32_t *te, uint32_t ntok, const uint64_t *hints,
                       const struct kf_crf_lex *lex, uint64_t *attrs, uint8_t *nattrs)
{
    uint64_t lhstack[64];
    uint64_t *lh = NULL;
    if (lex != NULL && lex->n > 0) {
        lh = ntok <= 64 ? lhstack : kf_malloc(ntok * sizeof *lh);
        if (lh == NULL)
            lex = NULL;
    }
    /* facts with two pads either side */
    struct tokfacts stackf[68];
    struct tokfacts *f = ntok + 4 <= 68 ? stackf : kf_malloc((ntok + 4) * sizeof *f);
    if (f == NULL) {
        memset(nattrs, 0, ntok);
        return;
    }
    for (int i = 0; i < 2; i++) {
        f[i] = (struct tokfacts){BOS_HASH, BOS_HASH, 0, 0, 0, 0};
        f[ntok + 2 + i] = (struct tokfacts){EOS_HASH, EOS_HASH, 0, 0, 0, 0};
    }
    for (uint32_t t = 0; t < ntok; t++)
        crf__facts(t2s, text + ts[t], te[t] - ts[t], &f[t + 2]);
    if (lh != NULL)
        crf__lex_hints(lex, f + 2, ntok, lh);
    for (uint32_t t = 0; t < ntok; t++) {
        uint64_t *a = attrs + (size_t)t * KF_CRF_MAX_ATTRS_PER_TOKEN;
        uint8_t k = 0;
        const struct tokfacts *c = &f[t + 2];
        a[k++] = crf__mix(T_BIAS);
        for (int o = -2; o <= 2; o++)
            a[k++] = crf__f1(T_U + 2 + o, c[o].norm);
        for (int o = -2; o <= 1; o++)
            a[k++] = crf__f2(T_B + 2 + o, c[o].norm, c[o + 1].norm);
        a[k++] = crf__f3(T_TRI, c[-1].norm, c[0].norm, c[1].norm);
        a[k++] = crf__f1(T_S0, c[0].shape);
        a[k++] = crf__f2(T_SL, c[-1].shape, c[0].shape);
        a[k++] = crf__f2(T_SR, c[0].shape, c[1].shape);
        if (c->pre2) {
            a[k++] = crf__f1(T_P2, c->pre2);
            a[k++] = crf__f1(T_P3, c->pre3);
            a[k++] = crf__f1(T_X2, c->suf2);
            if (c->suf3)
                a[k++] = crf__f1(T_X3, c->suf3);
        }
        if (hints != NULL) {
            for (int o = -1; o <= 1; o++) {
                long u = (long)t + o;
                uint64_t h = u >= 0 && u < (long)ntok ? hints[u] : 0;
                if (h != 0)
                    a[k++] = crf__f1(T_D + 1 + o, h);
            }
            if (hints[t] != 0)
                a[k++] = crf__f2(T_DU, hints[t], c[0].norm);
        }
        if (lh != NULL) {
            for (int o = -1; o <= 1; o++) {
                long u = (long)t + o;
                uint64_t h = u >= 0 && u < (long)ntok ? lh[u] : 0;
                a[k++] = crf__f1(T_L + 1 + o, h);
            }
            if (lh[t] != 0)
                a[k++] = crf__f2(T_LU, lh[t], c[0].norm);
            a[k++] = crf__f2(T_LL, lh[t], t > 0 ? lh[t - 1] : 1);
        }
        nattrs[t] = k;
    }
    if (f != stackf)
        kf_free(f);
    if (lh != NULL && lh != lhstack)
        kf_free(lh);
}

/* Per-token hints from catalogue matches (in text order). */
static void crf__hints_from(const struct kf_entity *ents, size_t n, const uint32_t *ts,
                            const uint32_t *te, uint32_t ntok, uint64_t *hints)
{
    memset(hints, 0, ntok * sizeof *hints);
    uint32_t t = 0;
    for (size_t i = 0; i < n; i++) {
        while (t < ntok && te[t] <= ents[i].start)
            t++;
        int first = 1;
        for (uint32_t u = t; u < ntok && ts[u] < ents[i].end; u++) {
            uint64_t h = crf__fnv(FNV_INIT, ents[i].type, strlen(ents[i].type));
            hints[u] = crf__mix(h + (first ? 1 : 2));
            first = 0;
        }
    }
}

void kf__crf_hints(const struct kf_catalogue *cat, const char *text, size_t len,
                   const uint32_t *ts, const uint32_t *te, uint32_t ntok, uint64_t *hints)
{
    memset(hints, 0, ntok * sizeof *hints);
    if (cat == NULL || ntok == 0)
        return;
    struct kf_arena *a = kf_arena_new(4096, (size_t)1 << 24);
    if (a == NULL)
        return;
    struct kf_entity ents[64];
    size_t n = kf_catalogue_match(cat, text, len, a, ents, 64);
    crf__hints_from(ents, n, ts, te, ntok, hints);
    kf_arena_free(a);
}

/* ---- labels, metadata, lookup --------------------------------------------- */

int kf__crf_set_meta(struct kf_crf *c, const char *key, const char *val)
{
    return kf__kfm_meta_set(c->meta_key, c->meta_val, &c->nmeta, KF_CRF_MAX_META, key, val);
}

static const char *crf__meta(const struct kf_crf *c, const char *key)
{
    return kf__kfm_meta_get(c->meta_key, c->meta_val, c->nmeta, key);
}

int kf__crf_set_labels(struct kf_crf *c, const char *const *types, size_t ntypes, int bioes)
{
    size_t per = bioes ? 4 : 2;
    if (ntypes * per + 1 > KF_CRF_MAX_LABELS)
        return KF_ETOOBIG;
    c->bioes = bioes;
    c->nlabels = (uint32_t)(ntypes * per + 1);
    c->ntypes = (uint32_t)ntypes;
    c->labels = kf_calloc(c->nlabels, sizeof *c->labels);
    c->kind = kf_calloc(c->nlabels, 1);
    c->ltype = kf_calloc(c->nlabels, sizeof *c->ltype);
    c->types = kf_calloc(ntypes + 1, sizeof *c->types);
    if (c->labels == NULL || c->kind == NULL || c->ltype == NULL || c->types == NULL)
        return KF_ENOMEM;
    static const char kinds[] = "BIES";
    c->labels[0] = kf_strdup("O");
    c->kind[0] = 'O';
    if (c->labels[0] == NULL)
        return KF_ENOMEM;
    for (size_t t = 0; t < ntypes; t++) {
        if ((c->types[t] = kf_strdup(types[t])) == NULL)
            return KF_ENOMEM;
        for (size_t k = 0; k < per; k++) {
            size_t l = 1 + t * per + k;
            char buf[160];
            snprintf(buf, sizeof buf, "%c-%s", kinds[k], types[t]);
            if ((c->labels[l] = kf_strdup(buf)) == NULL)
                return KF_ENOMEM;
            c->kind[l] = kinds[k];
            c->ltype[l] = (uint32_t)t;
        }
    }
    return KF_OK;
}

/* Labels read from a model file → kind, type and the type list. */
static int crf__labels_parsed(struct kf_crf *c)
{
    c->kind = kf_calloc(c->nlabels, 1);
    c->ltype = kf_calloc(c->nlabels, sizeof *c->ltype);
    c->types = kf_calloc(c->nlabels, sizeof *c->types);
    if (c->kind == NULL || c->ltype == NULL || c->types == NULL)
        return KF_ENOMEM;
    for (uint32_t l = 0; l < c->nlabels; l++) {
        const char *s = c->labels[l];
        if (strcmp(s, "O") == 0) {
            c->kind[l] = 'O';
            continue;
        }
        if (strchr("BIES", s[0]) == NULL || s[0] == '\0' || s[1] != '-' || s[2] == '\0')
            return KF_EPARSE;
        c->kind[l] = s[0];
        uint32_t t = 0;
        while (t < c->ntypes && strcmp(c->types[t], s + 2) != 0)
            t++;
        if (t == c->ntypes && (c->types[c->ntypes++] = kf_strdup(s + 2)) == NULL)
            return KF_ENOMEM;
        c->ltype[l] = t;
    }
    return KF_OK;
}

int kf__crf_index(struct kf_crf *c)
{
    size_t cap = 16;
    while (cap < (size_t)c->nattr * 2)
        cap <<= 1;
    c->table = kf_calloc(cap, sizeof *c->table);
    if (c->table == NULL)
        return KF_ENOMEM;
    c->tmask = cap - 1;
    size_t L = c->nlabels;
    if ((c->exptrans = kf_malloc(L * L * sizeof *c->exptrans)) == NULL)
        return KF_ENOMEM;
    for (size_t i = 0; i < L * L; i++)
        c->exptrans[i] = exp(c->trans[i]);
    for (uint32_t i = 0; i < c->nattr; i++) {
        size_t j = (size_t)crf__mix(c->hash[i]) & c->tmask;
        while (c->table[j] != 0)
            j = (j + 1) & c->tmask;
        c->table[j] = i + 1;
    }
    return KF_OK;
}

long kf__crf_lookup(const struct kf_crf *c, uint64_t h)
{
    size_t j = (size_t)crf__mix(h) & c->tmask;
    while (c->table[j] != 0) {
        uint32_t i = c->table[j] - 1;
        if (c->hash[i] == h)
            return i;
        j = (j + 1) & c->tmask;
    }
    return -1;
}

void kf__crf_gold(const struct kf_crf *c, const struct kf_seq *q, const uint32_t *typemap,
                  uint16_t *labels)
{
    size_t per = c->bioes ? 4 : 2;
    memset(labels, 0, q->ntok * sizeof *labels);
    for (uint32_t i = 0; i < q->nspans; i++) {
        const struct kf_seqspan *s = &q->spans[i];
        uint32_t ty = typemap != NULL ? typemap[s->type] : s->type;
        uint16_t base = (uint16_t)(1 + ty * per);
        for (uint32_t t = s->start; t < s->end && t < q->ntok; t++) {
            uint16_t k = t == s->start ? 0 : 1; /* B, I */
            if (c->bioes) {
                if (s->end - s->start == 1)
                    k = 3; /* S */
                else if (t == s->end - 1)
                    k = 2; /* E */
            }
            labels[t] = (uint16_t)(base + k);
        }
    }
}

/* ---- accessors ------------------------------------------------------------- */

size_t kf_crf_ntypes(const struct kf_crf *c) { return c->ntypes; }
const char *kf_crf_type(const struct kf_crf *c, size_t i)
{
    return i < c->ntypes ? c->types[i] : NULL;
}
size_t kf_crf_nattributes(const struct kf_crf *c) { return c->nattr; }
int kf_crf_uses_catalogue(const struct kf_crf *c) { return c->use_cat; }

void kf_crf_free(struct kf_crf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nmeta; i++) {
        kf_free(c->meta_key[i]);
        kf_free(c->meta_val[i]);
    }
    for (uint32_t i = 0; c->labels && i < c->nlabels; i++)
        kf_free(c->labels[i]);
    for (uint32_t i = 0; c->types && i < c->ntypes; i++)
        kf_free(c->types[i]);
    kf_free(c->labels);
    kf_free(c->types);
    kf_free(c->kind);
    kf_free(c->ltype);
    if (c->map != NULL) {
        kf__kfm_unmap(c->map, c->map_len);
    } else {
        kf_free(c->hash);
        kf_free(c->w);
        kf_free(c->trans);
        kf__crf_lex_release(&c->lex);
    }
    kf_free(c->table);
    kf_free(c->exptrans);
    kf_t2s_free(c->t2s);
    kf_free(c);
}

/* ---- labelling ------------------------------------------------------------- */

/* Viterbi over emissions em[ntok × L]; best labels into path; returns the
 * probability of that labelling (scaled forward for log Z). */
static double crf__viterbi(const struct kf_crf *c, const double *em, uint32_t n, uint16_t *path,
                           double *work, uint16_t *back)
{
    const uint32_t L = c->nlabels;
    const float *T = c->trans, *S = c->trans + (size_t)L * L, *E = S + L;
    double *cur = work, *nxt = work + L;
    for (uint32_t y = 0; y < L; y++)
        cur[y] = S[y] + em[y];
    for (uint32_t t = 1; t < n; t++) {
        const double *e = em + (size_t)t * L;
        for (uint32_t j = 0; j < L; j++) {
            double best = -INFINITY;
            uint16_t arg = 0;
            for (uint32_t i = 0; i < L; i++) {
                double v = cur[i] + T[(size_t)i * L + j];
                if (v > best) {
                    best = v;
                    arg = (uint16_t)i;
                }
            }
            nxt[j] = best + e[j];
            back[(size_t)t * L + j] = arg;
        }
        double *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    double best = -INFINITY;
    uint16_t arg = 0;
    for (uint32_t y = 0; y < L; y++)
        if (cur[y] + E[y] > best) {
            best = cur[y] + E[y];
            arg = (uint16_t)y;
        }
    path[n - 1] = arg;
    for (uint32_t t = n - 1; t > 0; t--)
        path[t - 1] = back[(size_t)t * L + path[t]];

    /* log Z by the forward recursion in log space, scaled per position */
    double logz = 0;
    for (uint32_t y = 0; y < L; y++)
        cur[y] = S[y] + em[y];
    for (uint32_t t = 1; t < n; t++) {
        double m = -INFINITY;
        for (uint32_t y = 0; y < L; y++)
            m = cur[y] > m ? cur[y] : m;
        logz += m;
        for (uint32_t y = 0; y < L; y++)
            cur[y] = exp(cur[y] - m);
        const double *e = em + (size_t)t * L;
        for (uint32_t j = 0; j < L; j++) {
            double s = 0;
            for (uint32_t i = 0; i < L; i++)
                s += cur[i] * c->exptrans[(size_t)i * L + j];
            nxt[j] = log(s > 0 ? s : 1e-300) + e[j];
        }
        double *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    double m = -INFINITY;
    for (uint32_t y = 0; y < L; y++)
        m = cur[y] + E[y] > m ? cur[y] + E[y] : m;
    double s = 0;
    for (uint32_t y = 0; y < L; y++)
        s += exp(cur[y] + E[y] - m);
    logz += m + log(s);
    double p = exp(best - logz);
    return p > 1 ? 1 : p;
}

/* Labels → spans. A span starts at B or S (or an I/E that follows O or
 * another type) and runs while I/E of the same type follow. */
static size_t crf__spans(const struct kf_crf *c, const uint16_t *path, uint32_t n,
                         struct kf_seqspan *out, size_t max)
{
    size_t k = 0;
    for (uint32_t t = 0; t < n && k < max;) {
        uint16_t l = path[t];
        char kd = c->kind[l];
        if (kd == 'O') {
            t++;
            continue;
        }
        uint32_t j = t + 1;
        if (kd != 'S' && kd != 'E')
            while (j < n && c->kind[path[j]] != 'O' && c->kind[path[j]] != 'B' &&
                   c->kind[path[j]] != 'S' && c->ltype[path[j]] == c->ltype[l]) {
                j++;
                if (c->kind[path[j - 1]] == 'E')
                    break;
            }
        out[k++] = (struct kf_seqspan){t, j, c->ltype[l]};
        t = j;
    }
    return k;
}

/* Label tokens. hits: the text's catalogue matches (NULL: none known). */
static size_t crf__tag_conf(const struct kf_crf *c, const struct kf_entity *hits, size_t nhits,
                            const char *text, const uint32_t *ts, const uint32_t *te,
                            uint32_t ntok, struct kf_seqspan *out, size_t max, double *conf)
{
    *conf = 0;
    if (ntok == 0 || max == 0)
        return 0;
    if (ntok > KF_CRF_MAX_TOKENS)
        ntok = KF_CRF_MAX_TOKENS;
    const uint32_t L = c->nlabels;
    size_t need = (size_t)ntok * KF_CRF_MAX_ATTRS_PER_TOKEN * 8 + ntok + ntok * 8 +
                  (size_t)ntok * L * 8 + 2 * (size_t)L * 8 + (size_t)ntok * L * 2 + ntok * 2 +
                  64;
    unsigned char *mem = kf_malloc(need);
    if (mem == NULL)
        return 0;
    uint64_t *attrs = (uint64_t *)mem;
    double *em = (double *)(attrs + (size_t)ntok * KF_CRF_MAX_ATTRS_PER_TOKEN);
    double *work = em + (size_t)ntok * L;
    uint64_t *hints = (uint64_t *)(work + 2 * L);
    uint16_t *back = (uint16_t *)(hints + ntok);
    uint16_t *path = back + (size_t)ntok * L;
    uint8_t *nattrs = (uint8_t *)(path + ntok);
    int use_hits = c->use_cat && hits != NULL;
    if (use_hits)
        crf__hints_from(hits, nhits, ts, te, ntok, hints);
    kf__crf_featurize(c->t2s, text, ts, te, ntok, use_hits ? hints : NULL, &c->lex, attrs,
                      nattrs);
    for (uint32_t t = 0; t < ntok; t++) {
        double *e = em + (size_t)t * L;
        memset(e, 0, L * sizeof *e);
        const uint64_t *a = attrs + (size_t)t * KF_CRF_MAX_ATTRS_PER_TOKEN;
        for (uint8_t k = 0; k < nattrs[t]; k++) {
            long i = kf__crf_lookup(c, a[k]);
            if (i < 0)
                continue;
            const float *w = c->w + (size_t)i * L;
            for (uint32_t y = 0; y < L; y++)
                e[y] += w[y];
        }
    }
    *conf = crf__viterbi(c, em, ntok, path, work, back);
    size_t k = crf__spans(c, path, ntok, out, max);
    kf_free(mem);
    return k;
}

size_t kf_crf_tag(const struct kf_crf *c, const struct kf_catalogue *cat, const char *text,
                  size_t len, const uint32_t *tstart, const uint32_t *tend, uint32_t ntok,
                  struct kf_seqspan *out, size_t max)
{
    double conf;
    struct kf_entity hits[64];
    size_t nhits = 0;
    struct kf_arena *a = NULL;
    if (c->use_cat && cat != NULL && (a = kf_arena_new(4096, (size_t)1 << 24)) != NULL)
        nhits = kf_catalogue_match(cat, text, len, a, hits, 64);
    size_t n = crf__tag_conf(c, a ? hits : NULL, nhits, text, tstart, tend, ntok, out, max,
                             &conf);
    kf_arena_free(a);
    return n;
}

size_t kf_crf_extract(const struct kf_crf *c, const struct kf_catalogue *cat, const char *text,
                      size_t len, struct kf_arena *a, struct kf_entity *out, size_t max)
{
    struct kf_entity hits[64];
    size_t nhits = 0;
    if (c->use_cat && cat != NULL)
        nhits = kf_catalogue_match(cat, text, len, a, hits, 64);
    return kf_crf_extract_hits(c, c->use_cat && cat ? hits : NULL, nhits, text, len, a, out,
                               max);
}

size_t kf_crf_extract_hits(const struct kf_crf *c, const struct kf_entity *hits, size_t nhits,
                           const char *text, size_t len, struct kf_arena *a,
                           struct kf_entity *out, size_t max)
{
    uint32_t tsb[256], teb[256];
    size_t cap = len + 1 < KF_CRF_MAX_TOKENS ? len + 1 : KF_CRF_MAX_TOKENS;
    uint32_t *ts = cap <= 256 ? tsb : kf_malloc(cap * sizeof *ts);
    uint32_t *te = cap <= 256 ? teb : kf_malloc(cap * sizeof *te);
    struct kf_seqspan spb[64];
    size_t n = 0;
    if (ts != NULL && te != NULL) {
        uint32_t ntok = (uint32_t)kf_crf_tokenize(text, len, ts, te, cap);
        double conf;
        size_t k = crf__tag_conf(c, hits, nhits, text, ts, te, ntok, spb,
                                 max < 64 ? max : 64, &conf);
        for (size_t i = 0; i < k; i++) {
            size_t s = ts[spb[i].start], e = te[spb[i].end - 1];
            char *tx = kf_arena_strndup(a, text + s, e - s);
            if (tx == NULL)
                break;
            struct kf_buf b;
            kf_buf_init(&b, e - s + 64);
            kf_buf_appendc(&b, '"');
            for (const char *p = tx; *p; p++) {
                if (*p == '"' || *p == '\\')
                    kf_buf_appendc(&b, '\\');
                if ((unsigned char)*p < 0x20)
                    kf_buf_appendf(&b, "\\u%04x", (unsigned char)*p);
                else
                    kf_buf_appendc(&b, *p);
            }
            kf_buf_appendc(&b, '"');
            const char *val = b.data ? kf_arena_strndup(a, b.data, b.len) : NULL;
            kf_buf_release(&b);
            if (val == NULL)
                break;
            out[n++] = (struct kf_entity){c->types[spb[i].type], s, e, tx, val,
                                          conf > 0.01 ? conf : 0.01, KF_ENT_CRF};
        }
    }
    if (ts != tsb)
        kf_free(ts);
    if (te != teb)
        kf_free(te);
    return n;
}

/* ---- model files ----------------------------------------------------------- */

int kf_crf_save(const struct kf_crf *c, const char *path, struct kf_err *err)
{
    struct kfm_w w;
    kf__kfm_w_init(&w);
    kf__kfm_w_header(&w, c->meta_key, c->meta_val, c->nmeta);
    uint64_t lablen = 4;
    for (uint32_t i = 0; i < c->nlabels; i++)
        lablen += 4 + strlen(c->labels[i]);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('L', 'A', 'B', 'L'), lablen);
    kf__kfm_w_u32(&w, c->nlabels);
    for (uint32_t i = 0; i < c->nlabels; i++)
        kf__kfm_w_str(&w, c->labels[i]);
    size_t L = c->nlabels;
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('H', 'A', 'S', 'H'), (uint64_t)c->nattr * 8);
    kf__kfm_w_bytes(&w, c->hash, (size_t)c->nattr * 8);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('W', 'G', 'H', 'T'), (uint64_t)c->nattr * L * 4);
    kf__kfm_w_bytes(&w, c->w, (size_t)c->nattr * L * 4);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('T', 'R', 'A', 'N'), (uint64_t)(L * L + 2 * L) * 4);
    kf__kfm_w_bytes(&w, c->trans, (L * L + 2 * L) * 4);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('L', 'E', 'X', 'H'), (uint64_t)c->lex.n * 8);
    kf__kfm_w_bytes(&w, c->lex.hash, c->lex.n * 8);
    kf__kfm_w_block_begin(&w, KF_MODEL_TAG('L', 'E', 'X', 'M'), (uint64_t)c->lex.n * 4);
    kf__kfm_w_bytes(&w, c->lex.mask, c->lex.n * 4);
    return kf__kfm_w_finish(&w, path, err);
}

static int crf__meta_cb(void *ud, const char *k, const char *v)
{
    return kf__crf_set_meta(ud, k, v);
}

static int crf__parse(struct kf_crf *c, const char *path, struct kf_err *err)
{
#define BAD(...) return kf_errorf(err, KF_EPARSE, __VA_ARGS__)
    struct kfm_r r;
    int rc = kf__kfm_r_header(&r, c->map, c->map_len, path, KF_CRF_MAX_META, crf__meta_cb, c,
                              err);
    if (rc != KF_OK)
        return rc;
    const char *kind = crf__meta(c, "kind"), *fv = crf__meta(c, "features");
    if (kind == NULL || strcmp(kind, "crf") != 0)
        BAD("%s: model kind '%s', expected crf", path, kind ? kind : "");
    if (fv == NULL || strcmp(fv, KF_CRF_FEATURE_VERSION) != 0)
        BAD("%s: CRF feature version '%s', this kefu uses %s (retrain the model)", path,
            fv ? fv : "", KF_CRF_FEATURE_VERSION);
    const char *sch = crf__meta(c, "scheme"), *cat = crf__meta(c, "catalogue");
    c->bioes = sch != NULL && strcmp(sch, "bioes") == 0;
    c->use_cat = cat != NULL && strcmp(cat, "yes") == 0;
    uint64_t bl;
    if (kf__kfm_r_block(&r, KF_MODEL_TAG('L', 'A', 'B', 'L'), &bl) == NULL)
        BAD("%s: missing LABL block", path);
    r.p -= bl;
    c->nlabels = kf__kfm_r_u32(&r);
    if (r.bad || c->nlabels < 1 || c->nlabels > KF_CRF_MAX_LABELS)
        BAD("%s: %u labels", path, c->nlabels);
    if ((c->labels = kf_calloc(c->nlabels, sizeof *c->labels)) == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < c->nlabels; i++)
        if ((c->labels[i] = kf__kfm_r_str(&r, 200)) == NULL)
            BAD("%s: bad label %u", path, i);
    if ((rc = crf__labels_parsed(c)) != KF_OK)
        return rc == KF_ENOMEM ? kf_errorf(err, rc, "out of memory")
                               : kf_errorf(err, KF_EPARSE, "%s: bad label names", path);
    size_t L = c->nlabels;
    uint64_t hl, wl, tl;
    const void *hp = kf__kfm_r_block(&r, KF_MODEL_TAG('H', 'A', 'S', 'H'), &hl);
    if (hp == NULL || hl % 8 != 0 || hl / 8 > 100000000)
        BAD("%s: bad HASH block", path);
    c->nattr = (uint32_t)(hl / 8);
    const void *wp = kf__kfm_r_block(&r, KF_MODEL_TAG('W', 'G', 'H', 'T'), &wl);
    if (wp == NULL || wl != (uint64_t)c->nattr * L * 4)
        BAD("%s: bad WGHT block", path);
    const void *tp = kf__kfm_r_block(&r, KF_MODEL_TAG('T', 'R', 'A', 'N'), &tl);
    if (tp == NULL || tl != (uint64_t)(L * L + 2 * L) * 4)
        BAD("%s: bad TRAN block", path);
    uint64_t lhl, lml;
    const void *lhp = kf__kfm_r_block(&r, KF_MODEL_TAG('L', 'E', 'X', 'H'), &lhl);
    const void *lmp = lhp ? kf__kfm_r_block(&r, KF_MODEL_TAG('L', 'E', 'X', 'M'), &lml) : NULL;
    if (lhp == NULL || lmp == NULL || lhl % 8 != 0 || lml != lhl / 2)
        BAD("%s: bad lexicon blocks", path);
    if (((uintptr_t)hp | (uintptr_t)wp | (uintptr_t)tp | (uintptr_t)lhp | (uintptr_t)lmp) % 4 != 0 ||
        ((uintptr_t)hp | (uintptr_t)wp | (uintptr_t)lhp) % 8 != 0)
        BAD("%s: blocks not aligned", path);
    c->lex.hash = (uint64_t *)lhp;
    c->lex.mask = (uint32_t *)lmp;
    c->lex.n = (size_t)(lhl / 8);
    for (size_t i = 1; i < c->lex.n; i++)
        if (c->lex.hash[i] <= c->lex.hash[i - 1])
            BAD("%s: lexicon out of order", path);
    const char *lm = crf__meta(c, "lexicon_max");
    c->lex.maxlen = lm ? (uint32_t)strtoul(lm, NULL, 10) : 0;
    if (c->lex.maxlen > 64)
        BAD("%s: bad lexicon_max", path);
    c->hash = (uint64_t *)hp;
    c->w = (float *)wp;
    c->trans = (float *)tp;
    for (uint32_t i = 1; i < c->nattr; i++)
        if (c->hash[i] <= c->hash[i - 1])
            BAD("%s: attribute hashes out of order", path);
    for (size_t i = 0; i < (size_t)c->nattr * L; i++)
        if (!isfinite(c->w[i]))
            BAD("%s: non-finite weight", path);
    for (size_t i = 0; i < L * L + 2 * L; i++)
        if (!isfinite(c->trans[i]))
            BAD("%s: non-finite transition", path);
#undef BAD
    if (kf__crf_index(c) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    return kf_t2s_new(&c->t2s, err);
}

int kf_crf_load(const char *path, struct kf_crf **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_crf *c = kf_calloc(1, sizeof *c);
    if (c == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = kf__kfm_map(path, &c->map, &c->map_len, err);
    if (rc == KF_OK)
        rc = crf__parse(c, path, err);
    if (rc != KF_OK) {
        kf_crf_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}
