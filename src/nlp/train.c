/*
 * train.c — training linear classifiers with LIBLINEAR (see classifier.h).
 *
 * Steps: features for every example → vocabulary of hashes seen in at least
 * min_count examples → one LIBLINEAR problem shared by all labels → per
 * label, a binary L2-regularised logistic regression (dual solver) of that
 * label against the rest, labels handed out to worker threads → weights
 * copied into kefu's own layout (model_format.h) → with a validation set, an
 * out-of-scope threshold tuned on it.
 */
#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier_int.h"
#include "kefu/log.h"
#include "kefu/map.h"
#include "kefu/mem.h"

struct kf_train_params kf_train_default_params(void)
{
    struct kf_feature_params fp = kf_feature_default_params();
    fp.t2s = 1; /* models see Traditional and Simplified Chinese alike */
    return (struct kf_train_params){.task = "intent",
                                    .oos_label = "oos",
                                    .C = 20,
                                    .eps = 0.05,
                                    .min_count = 1,
                                    .threads = 2,
                                    .oos_max_loss = 0.005,
                                    .features = fp};
}

static void quiet(const char *s)
{
    (void)s;
}

struct job {
    const struct problem *prob;
    const int *y; /* label index per example */
    struct kf_classifier *c;
    const struct kf_train_params *p;
    atomic_size_t next;
    atomic_size_t done;
    atomic_int failed;
    pthread_mutex_t progress_lock;
};

static void *train__worker(void *arg)
{
    struct job *j = arg;
    const struct problem *prob = j->prob;
    double *yy = kf_malloc((size_t)prob->l * sizeof *yy);
    if (yy == NULL) {
        atomic_store(&j->failed, 1);
        return NULL;
    }
    struct problem bin = *prob;
    bin.y = yy;
    struct parameter param = {.solver_type = L2R_LR_DUAL, .eps = j->p->eps, .C = j->p->C};
    for (;;) {
        size_t k = atomic_fetch_add(&j->next, 1);
        if (k >= j->c->nclass || atomic_load(&j->failed))
            break;
        for (int i = 0; i < prob->l; i++)
            yy[i] = j->y[i] == (int)k ? 1.0 : -1.0;
        struct model *m = train(&bin, &param);
        if (m == NULL) {
            atomic_store(&j->failed, 1);
            break;
        }
        /* w holds nfeat + 1 values (the last is the bias); it scores
         * m->label[0], which may be -1 */
        double sign = m->label[0] == 1 ? 1.0 : -1.0;
        for (uint32_t f = 0; f < j->c->nfeat; f++)
            j->c->w[(size_t)f * j->c->nclass + k] = (float)(sign * m->w[f]);
        j->c->bias[k] = (float)(sign * m->w[j->c->nfeat] * prob->bias);
        free_and_destroy_model(&m);
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        if (j->p->progress != NULL) {
            pthread_mutex_lock(&j->progress_lock);
            j->p->progress(j->p->progress_ctx, done, j->c->nclass);
            pthread_mutex_unlock(&j->progress_lock);
        }
    }
    kf_free(yy);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Tune the out-of-scope threshold on a validation set: the highest value
 * (most out-of-scope texts rejected) that costs at most `max_loss` of the
 * in-scope accuracy reached without a threshold. Maximising in-scope accuracy
 * + oos recall instead (measured on CLINC150) rejects 85% of out-of-scope
 * texts but turns away 3 points of answerable ones; a customer who asked a
 * real question and is told "I don't understand" is the worse failure. */
static void train__tune_threshold(struct kf_classifier *c, const struct kf_dataset *valid,
                                  double max_loss)
{
    struct kf_arena *a = kf_arena_new(0, 0);
    double *top = kf_calloc(valid->n ? valid->n : 1, sizeof *top);
    int *right = kf_calloc(valid->n ? valid->n : 1, sizeof *right); /* top label == gold */
    int *gold_oos = kf_calloc(valid->n ? valid->n : 1, sizeof *gold_oos);
    int *pred_oos = kf_calloc(valid->n ? valid->n : 1, sizeof *pred_oos); /* top is oos */
    size_t nin = 0, nout = 0;
    for (size_t i = 0; a && top && right && gold_oos && pred_oos && i < valid->n; i++) {
        kf_arena_reset(a);
        struct kf_prediction p;
        size_t n;
        if (kf_classifier_predict(c, valid->v[i].text, strlen(valid->v[i].text), a, &p, 1, &n,
                                  NULL) != KF_OK ||
            n == 0)
            continue;
        top[i] = p.prob;
        right[i] = strcmp(c->labels[p.label], valid->v[i].label) == 0;
        pred_oos[i] = p.label == c->oos;
        gold_oos[i] = strcmp(valid->v[i].label, c->labels[c->oos]) == 0;
        nin += !gold_oos[i];
        nout += gold_oos[i];
    }
    double base = -1, best_t = 0;
    for (int s = 0; nin > 0 && nout > 0 && s <= 100; s++) {
        double t = s / 200.0; /* 0 .. 0.5 */
        size_t in_ok = 0;
        for (size_t i = 0; i < valid->n; i++)
            if (!gold_oos[i])
                in_ok += right[i] && !pred_oos[i] && top[i] >= t;
        double acc = (double)in_ok / nin;
        if (s == 0)
            base = acc;
        if (acc + 1e-12 < base - max_loss)
            break;
        best_t = t;
    }
    kf_classifier_set_oos_threshold(c, best_t);
    kf_free(top);
    kf_free(right);
    kf_free(gold_oos);
    kf_free(pred_oos);
    kf_arena_free(a);
}

int kf_classifier_train(const struct kf_dataset *train_set, const struct kf_dataset *valid,
                        struct kf_train_params p, struct kf_classifier **out, struct kf_err *err)
{
    *out = NULL;
    const char **labels;
    size_t nlabels;
    int rc = kf_dataset_labels(train_set, &labels, &nlabels, err);
    if (rc != KF_OK)
        return rc;
    if (nlabels < 2)
        return kf_errorf(err, KF_EINVAL, "training data has %zu label(s); need at least 2",
                         nlabels);
    size_t n = train_set->n;
    struct kf_classifier *c = kf_calloc(1, sizeof *c);
    struct kf_arena *a = kf_arena_new(1 << 20, (size_t)8 << 30);
    struct kf_fvec *x = kf_calloc(n, sizeof *x);
    int *y = kf_calloc(n, sizeof *y);
    struct kf_map *label_ix = kf_map_new(nlabels);
    struct feature_node **rows = kf_calloc(n, sizeof *rows);
    struct feature_node *nodes = NULL;
    uint64_t *all = NULL;
    if (c == NULL || a == NULL || x == NULL || y == NULL || label_ix == NULL || rows == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    c->fp = p.features;
    c->oos = -1;
    if ((rc = kf__classifier_ensure_t2s(c, err)) != KF_OK)
        goto out;
    c->nclass = (uint32_t)nlabels;
    c->labels = kf_calloc(nlabels, sizeof *c->labels);
    if (c->labels == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nlabels; i++) {
        c->labels[i] = kf_strdup(labels[i]);
        if (c->labels[i] == NULL ||
            kf_map_put(label_ix, labels[i], strlen(labels[i]), (void *)(uintptr_t)(i + 1),
                       NULL) != KF_OK) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            goto out;
        }
        if (p.oos_label && strcmp(labels[i], p.oos_label) == 0)
            c->oos = (int)i;
    }

    /* features, and document frequency of every hash */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        rc = kf_features_extract(train_set->v[i].text, strlen(train_set->v[i].text), &c->fp, a,
                                 &x[i], err);
        if (rc != KF_OK)
            goto out;
        y[i] = (int)(uintptr_t)kf_map_get(label_ix, train_set->v[i].label,
                                          strlen(train_set->v[i].label)) - 1;
        total += x[i].n;
    }
    all = kf_malloc((total ? total : 1) * sizeof *all);
    if (all == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < x[i].n; j++)
            all[k++] = x[i].h[j];
    qsort(all, total, sizeof *all, cmp_u64);
    size_t nf = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && all[j] == all[i])
            j++;
        if ((int)(j - i) >= p.min_count)
            all[nf++] = all[i];
        i = j;
    }
    if (nf == 0 || nf > 50000000) {
        rc = kf_errorf(err, KF_EINVAL, "%zu features after pruning", nf);
        goto out;
    }
    c->nfeat = (uint32_t)nf;
    c->hash = kf_malloc(nf * sizeof *c->hash);
    c->w = kf_calloc((size_t)nf * nlabels, sizeof *c->w);
    c->bias = kf_calloc(nlabels, sizeof *c->bias);
    if (c->hash == NULL || c->w == NULL || c->bias == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory (%zu features × %zu labels)", nf, nlabels);
        goto out;
    }
    memcpy(c->hash, all, nf * sizeof *c->hash);
    if (kf__classifier_index(c) != KF_OK) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }

    /* the LIBLINEAR problem: known features + a bias node + terminator */
    nodes = kf_malloc((total + 2 * n) * sizeof *nodes);
    if (nodes == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto out;
    }
    struct feature_node *at = nodes;
    for (size_t i = 0; i < n; i++) {
        rows[i] = at;
        for (size_t j = 0; j < x[i].n; j++) {
            uint64_t h = x[i].h[j];
            uint64_t *hit = bsearch(&h, c->hash, nf, sizeof *c->hash, cmp_u64);
            if (hit != NULL)
                *at++ = (struct feature_node){(int)(hit - c->hash) + 1, x[i].v[j]};
        }
        *at++ = (struct feature_node){(int)nf + 1, 1.0};
        *at++ = (struct feature_node){-1, 0};
    }
    struct problem prob = {.l = (int)n, .n = (int)nf + 1, .y = NULL, .x = rows, .bias = 1.0};
    set_print_string_function(quiet);

    struct job j = {.prob = &prob, .y = y, .c = c, .p = &p};
    pthread_mutex_init(&j.progress_lock, NULL);
    int nth = p.threads < 1 ? 1 : p.threads > 64 ? 64 : p.threads;
    pthread_t th[64];
    int started = 0;
    for (int t = 0; t < nth; t++)
        if (pthread_create(&th[t], NULL, train__worker, &j) == 0)
            started++;
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&j.progress_lock);
    if (started == 0 || atomic_load(&j.failed)) {
        rc = kf_errorf(err, KF_EINTERNAL, "training failed");
        goto out;
    }

    char buf[128];
    kf__features_format(&c->fp, buf, sizeof buf);
    rc = kf__classifier_set_meta(c, "kind", "linear-classifier");
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "task", p.task ? p.task : "intent");
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "features", buf);
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "probability", "ovr-logistic");
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "oos_label", c->oos >= 0 ? c->labels[c->oos] : "");
    snprintf(buf, sizeof buf, "%zu examples, %zu labels, C=%g", n, nlabels, p.C);
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "trained_on", buf);
    kf_time_iso8601(kf_time_now_ms(), buf);
    if (rc == KF_OK)
        rc = kf__classifier_set_meta(c, "created", buf);
    if (rc == KF_OK)
        rc = kf_classifier_set_oos_threshold(c, 0);
    if (rc != KF_OK) {
        rc = kf_errorf(err, rc, "out of memory");
        goto out;
    }
    if (valid != NULL && valid->n > 0 && c->oos >= 0)
        train__tune_threshold(c, valid, p.oos_max_loss);
out:
    kf_free(nodes);
    kf_free(all);
    kf_free(rows);
    kf_map_free(label_ix);
    kf_free(y);
    kf_free(x);
    kf_arena_free(a);
    if (rc != KF_OK) {
        kf_classifier_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}
