/*
 * crf_train.c — training the CRF (crf.h): maximum conditional likelihood
 * with an L2 penalty, optimised by L-BFGS (liblbfgs).
 *
 * Objective: Σ_seq (log Z(x) − score(x, y_gold)) + c2·‖θ‖². The gradient
 * is expected minus observed feature counts, from forward-backward in
 * probability space with per-position scaling (no log-sum-exp in the inner
 * loops): emissions are exponentiated relative to their maximum per
 * position and the transition matrix once per evaluation.
 *
 * Parameters θ: attribute × label weights (dense: every label for every
 * attribute kept), label × label transitions, start and end scores.
 * Sequences are split between threads; each thread sums its own gradient,
 * the main thread adds them up.
 */
#include <lbfgs.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crf_int.h"
#include "kefu/mem.h"

#define LEX_FOLDS 4

struct kf_crf_train_params kf_crf_default_train_params(void)
{
    return (struct kf_crf_train_params){
        .c2 = 1.0, .max_iter = 200, .delta = 1e-5, .min_count = 1, .threads = 2, .bioes = 1,
        .lexicon = 1};
}

struct trainer {
    const struct kf_seqset *data;
    struct kf_crf *c;
    struct kf_crf_train_params p;
    size_t L, nparams;
    /* per token, in data order: attribute ids [off[t], off[t+1]) and gold */
    uint32_t *ids;
    size_t *off;     /* per token */
    size_t *seq_tok; /* first token of each sequence */
    uint16_t *gold;
    size_t max_ntok;
    /* per evaluation */
    const lbfgsfloatval_t *x;
    double *expT;
    double t0;
};

struct worker {
    struct trainer *tr;
    size_t from, to; /* sequences */
    double *g;       /* nparams */
    double loss;
    int oom;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One sequence: add its loss and gradient. buf holds 4·n·L + n doubles. */
static double train__seq(const struct trainer *tr, size_t si, double *g, double *buf)
{
    const struct kf_seq *q = kf_seqset_get(tr->data, si);
    const size_t n = q->ntok, L = tr->L;
    if (n == 0)
        return 0;
    const lbfgsfloatval_t *x = tr->x;
    const lbfgsfloatval_t *T = x + (size_t)tr->c->nattr * L, *S = T + L * L, *E = S + L;
    const double *expT = tr->expT;
    double *em = buf, *alpha = em + n * L, *beta = alpha + n * L, *st = beta + n * L;
    double *scale = st + n * L;
    const size_t t0 = tr->seq_tok[si];
    const uint16_t *gold = tr->gold + t0;

    double gold_score = 0, logz = 0;
    for (size_t t = 0; t < n; t++) {
        double *e = em + t * L;
        memset(e, 0, L * sizeof *e);
        for (size_t k = tr->off[t0 + t]; k < tr->off[t0 + t + 1]; k++) {
            const lbfgsfloatval_t *w = x + (size_t)tr->ids[k] * L;
            for (size_t y = 0; y < L; y++)
                e[y] += w[y];
        }
        gold_score += e[gold[t]];
        if (t > 0)
            gold_score += T[(size_t)gold[t - 1] * L + gold[t]];
        double m = e[0];
        for (size_t y = 1; y < L; y++)
            m = e[y] > m ? e[y] : m;
        logz += m;
        for (size_t y = 0; y < L; y++)
            st[t * L + y] = exp(e[y] - m);
    }
    gold_score += S[gold[0]] + E[gold[n - 1]];

    /* forward, normalised per position */
    double sum = 0;
    for (size_t y = 0; y < L; y++)
        sum += alpha[y] = exp(S[y]) * st[y];
    scale[0] = sum;
    for (size_t y = 0; y < L; y++)
        alpha[y] /= sum;
    for (size_t t = 1; t < n; t++) {
        const double *ap = alpha + (t - 1) * L;
        double *a = alpha + t * L;
        for (size_t j = 0; j < L; j++)
            a[j] = 0;
        for (size_t i = 0; i < L; i++) {
            const double ai = ap[i];
            const double *ti = expT + i * L;
            for (size_t j = 0; j < L; j++)
                a[j] += ai * ti[j];
        }
        sum = 0;
        for (size_t j = 0; j < L; j++)
            sum += a[j] *= st[t * L + j];
        scale[t] = sum;
        for (size_t j = 0; j < L; j++)
            a[j] /= sum;
    }
    double zs = 0;
    for (size_t y = 0; y < L; y++)
        zs += alpha[(n - 1) * L + y] * exp(E[y]);
    for (size_t t = 0; t < n; t++)
        logz += log(scale[t]);
    logz += log(zs);

    /* backward, with the forward's scales */
    for (size_t y = 0; y < L; y++)
        beta[(n - 1) * L + y] = exp(E[y]) / zs;
    for (size_t t = n - 1; t > 0; t--) {
        const double *bn = beta + t * L, *sn = st + t * L;
        double *b = beta + (t - 1) * L;
        for (size_t i = 0; i < L; i++) {
            const double *ti = expT + i * L;
            double s = 0;
            for (size_t j = 0; j < L; j++)
                s += ti[j] * sn[j] * bn[j];
            b[i] = s / scale[t];
        }
    }

    /* expected − observed counts */
    double *gw = g, *gT = g + (size_t)tr->c->nattr * L, *gS = gT + L * L, *gE = gS + L;
    for (size_t t = 0; t < n; t++) {
        double *mg = em + t * L; /* emissions are no longer needed: marginals */
        for (size_t y = 0; y < L; y++)
            mg[y] = alpha[t * L + y] * beta[t * L + y];
        mg[gold[t]] -= 1;
        for (size_t k = tr->off[t0 + t]; k < tr->off[t0 + t + 1]; k++) {
            double *gk = gw + (size_t)tr->ids[k] * L;
            for (size_t y = 0; y < L; y++)
                gk[y] += mg[y];
        }
    }
    for (size_t y = 0; y < L; y++) {
        gS[y] += em[y];
        gE[y] += em[(n - 1) * L + y];
    }
    for (size_t t = 1; t < n; t++) {
        const double *ap = alpha + (t - 1) * L, *bn = beta + t * L, *sn = st + t * L;
        const double inv = 1.0 / scale[t];
        for (size_t i = 0; i < L; i++) {
            const double ai = ap[i] * inv;
            const double *ti = expT + i * L;
            double *gi = gT + i * L;
            for (size_t j = 0; j < L; j++)
                gi[j] += ai * ti[j] * sn[j] * bn[j];
        }
        gT[(size_t)gold[t - 1] * L + gold[t]] -= 1;
    }
    return logz - gold_score;
}

static void *train__work(void *arg)
{
    struct worker *wk = arg;
    const struct trainer *tr = wk->tr;
    memset(wk->g, 0, tr->nparams * sizeof *wk->g);
    wk->loss = 0;
    double *buf = kf_malloc((4 * tr->max_ntok * tr->L + tr->max_ntok + 1) * sizeof *buf);
    if (buf == NULL) {
        wk->oom = 1;
        return NULL;
    }
    for (size_t s = wk->from; s < wk->to; s++)
        wk->loss += train__seq(tr, s, wk->g, buf);
    kf_free(buf);
    return NULL;
}

struct eval_ctx {
    struct trainer *tr;
    struct worker *w;
    int nw;
};

static lbfgsfloatval_t train__evaluate(void *instance, const lbfgsfloatval_t *x,
                                       lbfgsfloatval_t *g, const int n, const lbfgsfloatval_t step)
{
    (void)step;
    struct eval_ctx *ec = instance;
    struct trainer *tr = ec->tr;
    const size_t L = tr->L;
    tr->x = x;
    const lbfgsfloatval_t *T = x + (size_t)tr->c->nattr * L;
    for (size_t i = 0; i < L * L; i++)
        tr->expT[i] = exp(T[i]);
    pthread_t th[64];
    int started[64] = {0};
    for (int k = 1; k < ec->nw; k++)
        started[k] = pthread_create(&th[k], NULL, train__work, &ec->w[k]) == 0;
    train__work(&ec->w[0]);
    for (int k = 1; k < ec->nw; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            train__work(&ec->w[k]);
    }
    double fx = 0, c2 = tr->p.c2;
    for (int i = 0; i < n; i++) {
        double s = 2 * c2 * x[i];
        for (int k = 0; k < ec->nw; k++)
            s += ec->w[k].g[i];
        g[i] = s;
        fx += c2 * x[i] * x[i];
    }
    for (int k = 0; k < ec->nw; k++)
        fx += ec->w[k].loss;
    return fx;
}

static int train__progress(void *instance, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
                           const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
                           const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n, int k,
                           int ls)
{
    (void)x, (void)g, (void)xnorm, (void)gnorm, (void)step, (void)n, (void)ls;
    struct eval_ctx *ec = instance;
    if (ec->tr->p.progress)
        ec->tr->p.progress(ec->tr->p.ud, k, fx, now_s() - ec->tr->t0);
    return 0;
}

/* ---- attribute dictionary ------------------------------------------------ */

struct counter {
    uint64_t *key;
    uint32_t *count;
    size_t cap, n;
};

static uint64_t train__h(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int counter_add(struct counter *c, uint64_t k)
{
    if (k == 0)
        k = 1; /* 0 marks an empty slot */
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1 << 16;
        uint64_t *key = kf_calloc(cap, sizeof *key);
        uint32_t *count = kf_calloc(cap, sizeof *count);
        if (key == NULL || count == NULL) {
            kf_free(key);
            kf_free(count);
            return KF_ENOMEM;
        }
        for (size_t i = 0; i < c->cap; i++)
            if (c->key[i] != 0) {
                size_t j = train__h(c->key[i]) & (cap - 1);
                while (key[j] != 0)
                    j = (j + 1) & (cap - 1);
                key[j] = c->key[i];
                count[j] = c->count[i];
            }
        kf_free(c->key);
        kf_free(c->count);
        c->key = key;
        c->count = count;
        c->cap = cap;
    }
    size_t j = train__h(k) & (c->cap - 1);
    while (c->key[j] != 0 && c->key[j] != k)
        j = (j + 1) & (c->cap - 1);
    if (c->key[j] == 0) {
        c->key[j] = k;
        c->n++;
    }
    if (c->count[j] < UINT32_MAX)
        c->count[j]++;
    return KF_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- training ------------------------------------------------------------- */

static int train__features(struct trainer *tr, struct kf_err *err)
{
    const struct kf_seqset *d = tr->data;
    const size_t ns = kf_seqset_size(d);
    size_t ntok = 0;
    for (size_t s = 0; s < ns; s++) {
        size_t n = kf_seqset_get(d, s)->ntok;
        ntok += n;
        tr->max_ntok = n > tr->max_ntok ? n : tr->max_ntok;
    }
    const size_t K = KF_CRF_MAX_ATTRS_PER_TOKEN;
    uint64_t *all = kf_malloc((ntok + 1) * K * sizeof *all);
    uint8_t *cnt = kf_malloc(ntok + 1);
    uint64_t *hints = kf_malloc((tr->max_ntok + 1) * sizeof *hints);
    tr->seq_tok = kf_malloc((ns + 1) * sizeof *tr->seq_tok);
    tr->gold = kf_malloc((ntok + 1) * sizeof *tr->gold);
    tr->off = kf_malloc((ntok + 1) * sizeof *tr->off);
    struct counter ctr = {0};
    struct kf_crf_lex lexf[LEX_FOLDS];
    memset(lexf, 0, sizeof lexf);
    int rc = KF_OK;
    for (int f = 0; f < LEX_FOLDS && tr->p.lexicon; f++)
        if (kf__crf_lex_build(tr->c->t2s, d, f, LEX_FOLDS, &lexf[f]) != KF_OK)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory (lexicon)");
    if (rc == KF_OK && tr->p.lexicon &&
        kf__crf_lex_build(tr->c->t2s, d, -1, LEX_FOLDS, &tr->c->lex) != KF_OK)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory (lexicon)");
    if (rc != KF_OK)
        goto out;
    if (all == NULL || cnt == NULL || hints == NULL || tr->seq_tok == NULL || tr->gold == NULL ||
        tr->off == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory (%zu tokens)", ntok);
        goto out;
    }
    size_t t0 = 0;
    for (size_t s = 0; s < ns; s++) {
        const struct kf_seq *q = kf_seqset_get(d, s);
        tr->seq_tok[s] = t0;
        if (tr->p.catalogue)
            kf__crf_hints(tr->p.catalogue, q->text, q->len, q->tstart, q->tend, q->ntok, hints);
        kf__crf_featurize(tr->c->t2s, q->text, q->tstart, q->tend, q->ntok,
                          tr->p.catalogue ? hints : NULL,
                          tr->p.lexicon ? &lexf[s % LEX_FOLDS] : NULL, all + t0 * K, cnt + t0);
        kf__crf_gold(tr->c, q, NULL, tr->gold + t0);
        for (size_t t = t0; t < t0 + q->ntok && rc == KF_OK; t++)
            for (uint8_t k = 0; k < cnt[t] && rc == KF_OK; k++)
                if (counter_add(&ctr, all[t * K + k]) != KF_OK)
                    rc = kf_errorf(err, KF_ENOMEM, "out of memory (attributes)");
        t0 += q->ntok;
    }
    tr->seq_tok[ns] = t0;
    if (rc != KF_OK)
        goto out;
    /* keep attributes seen often enough, sorted by hash */
    struct kf_crf *c = tr->c;
    c->hash = kf_malloc((ctr.n + 1) * sizeof *c->hash);
    if (c->hash == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ctr.cap; i++)
        if (ctr.key[i] != 0 && ctr.count[i] >= (uint32_t)tr->p.min_count)
            c->hash[c->nattr++] = ctr.key[i];
    qsort(c->hash, c->nattr, sizeof *c->hash, cmp_u64);
    if (kf__crf_index(c) != KF_OK) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    size_t nids = 0;
    for (size_t t = 0; t < ntok; t++)
        nids += cnt[t];
    tr->ids = kf_malloc((nids + 1) * sizeof *tr->ids);
    if (tr->ids == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    size_t o = 0;
    for (size_t t = 0; t < ntok; t++) {
        tr->off[t] = o;
        for (uint8_t k = 0; k < cnt[t]; k++) {
            uint64_t h = all[t * K + k] ? all[t * K + k] : 1;
            long i = kf__crf_lookup(c, h);
            if (i >= 0)
                tr->ids[o++] = (uint32_t)i;
        }
    }
    tr->off[ntok] = o;
out:
    for (int f = 0; f < LEX_FOLDS; f++)
        kf__crf_lex_release(&lexf[f]);
    kf_free(all);
    kf_free(cnt);
    kf_free(hints);
    kf_free(ctr.key);
    kf_free(ctr.count);
    return rc;
}

int kf_crf_train(const struct kf_seqset *data, struct kf_crf_train_params p,
                 struct kf_crf **out, struct kf_err *err)
{
    *out = NULL;
    const size_t ns = kf_seqset_size(data), ntypes = kf_seqset_ntypes(data);
    if (ns == 0)
        return kf_errorf(err, KF_EINVAL, "no training sequences");
    if (ntypes == 0)
        return kf_errorf(err, KF_EINVAL, "no entity annotations in the training data");
    if (!(p.c2 >= 0) || p.max_iter < 1 || p.min_count < 1)
        return kf_errorf(err, KF_EINVAL, "bad training parameters");
    int nth = p.threads < 1 ? 1 : p.threads > 64 ? 64 : p.threads;
    if ((size_t)nth > ns)
        nth = (int)ns;

    struct kf_crf *c = kf_calloc(1, sizeof *c);
    if (c == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct trainer tr = {.data = data, .c = c, .p = p, .t0 = now_s()};
    struct worker w[64];
    memset(w, 0, sizeof w);
    lbfgsfloatval_t *x = NULL;
    const char **types = kf_calloc(ntypes, sizeof *types);
    int rc = types == NULL ? KF_ENOMEM : KF_OK;
    for (size_t i = 0; rc == KF_OK && i < ntypes; i++)
        types[i] = kf_seqset_type(data, i);
    if (rc == KF_OK)
        rc = kf__crf_set_labels(c, types, ntypes, p.bioes);
    kf_free(types);
    if (rc != KF_OK) {
        rc = kf_errorf(err, rc, rc == KF_ETOOBIG ? "too many entity types" : "out of memory");
        goto fail;
    }
    c->use_cat = p.catalogue != NULL;
    if ((rc = kf_t2s_new(&c->t2s, err)) != KF_OK)
        goto fail;
    tr.L = c->nlabels;
    /* the index needs a transition block to exponentiate; zeros for now */
    if ((c->trans = kf_calloc(tr.L * tr.L + 2 * tr.L, sizeof *c->trans)) == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = train__features(&tr, err)) != KF_OK)
        goto fail;
    tr.nparams = (size_t)c->nattr * tr.L + tr.L * tr.L + 2 * tr.L;
    if (tr.nparams > (size_t)INT32_MAX) {
        rc = kf_errorf(err, KF_ETOOBIG, "%zu parameters: raise --min-count", tr.nparams);
        goto fail;
    }
    x = lbfgs_malloc((int)tr.nparams);
    tr.expT = kf_malloc(tr.L * tr.L * sizeof *tr.expT);
    if (x == NULL || tr.expT == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory (%zu parameters)", tr.nparams);
        goto fail;
    }
    memset(x, 0, tr.nparams * sizeof *x);
    /* split the sequences by tokens, not by count */
    size_t total = tr.seq_tok[ns], s = 0;
    for (int k = 0; k < nth; k++) {
        w[k].tr = &tr;
        w[k].from = s;
        size_t goal = total * (size_t)(k + 1) / (size_t)nth;
        while (s < ns && (tr.seq_tok[s] < goal || k == nth - 1))
            s++;
        w[k].to = s;
        if ((w[k].g = kf_malloc(tr.nparams * sizeof *w[k].g)) == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory (%zu parameters)", tr.nparams);
            goto fail;
        }
    }
    struct eval_ctx ec = {&tr, w, nth};
    lbfgs_parameter_t lp;
    lbfgs_parameter_init(&lp);
    lp.m = 6;
    lp.epsilon = 1e-5;
    lp.past = 10;
    lp.delta = p.delta;
    lp.max_iterations = p.max_iter;
    lbfgsfloatval_t fx = 0;
    int ret = lbfgs((int)tr.nparams, x, &fx, train__evaluate, train__progress, &ec, &lp);
    for (int k = 0; k < nth; k++)
        if (w[k].oom) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory in training");
            goto fail;
        }
    if (ret == LBFGSERR_OUTOFMEMORY || ret == LBFGSERR_INVALID_N ||
        ret == LBFGSERR_INVALIDPARAMETERS || ret == LBFGSERR_INVALID_N_SSE) {
        rc = kf_errorf(err, KF_EINVAL, "L-BFGS failed (code %d)", ret);
        goto fail;
    }
    /* any other end (converged, iteration limit, a line search that could
     * not improve further) leaves x at the best point reached */
    const size_t nw = (size_t)c->nattr * tr.L;
    if ((c->w = kf_malloc((nw + 1) * sizeof *c->w)) == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nw; i++)
        c->w[i] = (float)x[i];
    for (size_t i = 0; i < tr.L * tr.L + 2 * tr.L; i++)
        c->trans[i] = (float)x[nw + i];
    for (size_t i = 0; i < tr.L * tr.L; i++)
        c->exptrans[i] = exp(c->trans[i]);
    char buf[256];
    snprintf(buf, sizeof buf, "%zu sequences, %zu tokens, %zu types, %u attributes, loss %.1f",
             ns, total, ntypes, c->nattr, fx);
    char c2s[32], lexmax[16];
    snprintf(c2s, sizeof c2s, "%g", p.c2);
    snprintf(lexmax, sizeof lexmax, "%u", c->lex.maxlen);
    time_t now = time(NULL);
    struct tm tmv;
    char created[32];
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    if (kf__crf_set_meta(c, "kind", "crf") != KF_OK ||
        kf__crf_set_meta(c, "features", KF_CRF_FEATURE_VERSION) != KF_OK ||
        kf__crf_set_meta(c, "scheme", p.bioes ? "bioes" : "bio") != KF_OK ||
        kf__crf_set_meta(c, "catalogue", c->use_cat ? "yes" : "no") != KF_OK ||
        kf__crf_set_meta(c, "c2", c2s) != KF_OK || kf__crf_set_meta(c, "trained_on", buf) != KF_OK ||
        kf__crf_set_meta(c, "lexicon_max", lexmax) != KF_OK ||
        kf__crf_set_meta(c, "created", created) != KF_OK) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto fail;
    }
    rc = KF_OK;
    *out = c;
    c = NULL;
fail:
    for (int k = 0; k < 64; k++)
        kf_free(w[k].g);
    if (x != NULL)
        lbfgs_free(x);
    kf_free(tr.expT);
    kf_free(tr.ids);
    kf_free(tr.off);
    kf_free(tr.seq_tok);
    kf_free(tr.gold);
    kf_crf_free(c);
    return rc;
}
