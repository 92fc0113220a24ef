/*
 * evaluate.c — accuracy, macro-F1, confusions, in-scope/oos (see evaluate.h).
 */
#include "kefu/evaluate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/arena.h"
#include "kefu/map.h"
#include "kefu/mem.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Index of a label in the result's table, adding it when new. The map has
 * room for every label (sized by the caller), so put cannot fail for lack of
 * a slot; on allocation failure the label shares index 0. */
static size_t label_ix(struct kf_map *ix, struct kf_label_score *labels, size_t *nl,
                       const char *name)
{
    void *v = kf_map_get(ix, name, strlen(name));
    if (v != NULL)
        return (size_t)(uintptr_t)v - 1;
    if (kf_map_put(ix, name, strlen(name), (void *)(uintptr_t)(*nl + 1), NULL) != KF_OK)
        return 0;
    labels[*nl].label = name;
    return (*nl)++;
}

static int cmp_conf(const void *a, const void *b)
{
    const struct kf_confusion *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int kf_eval_run(const struct kf_classifier *c, const struct kf_dataset *ds,
                struct kf_eval_result *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    if (ds->n == 0)
        return kf_errorf(err, KF_EINVAL, "no examples to evaluate");
    /* label table: the model's labels, then gold labels it does not know */
    size_t cap = kf_classifier_nlabels(c) + ds->n;
    out->labels = kf_calloc(cap, sizeof *out->labels);
    struct kf_map *ix = kf_map_new(cap);
    size_t *conf = NULL; /* confusion counts, nl × nl, filled after labels are known */
    const char **pred = kf_calloc(ds->n, sizeof *pred);
    struct kf_arena *a = kf_arena_new(0, 0);
    int rc = KF_OK;
    if (out->labels == NULL || ix == NULL || pred == NULL || a == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto done;
    }
    size_t nl = 0;
    for (size_t i = 0; i < kf_classifier_nlabels(c); i++)
        (void)label_ix(ix, out->labels, &nl, kf_classifier_label(c, i));
    double t0 = now_s();
    for (size_t i = 0; i < ds->n; i++) {
        kf_arena_reset(a);
        struct kf_prediction top[1];
        size_t n;
        rc = kf_classifier_predict(c, ds->v[i].text, strlen(ds->v[i].text), a, top, 1, &n, err);
        if (rc != KF_OK)
            goto done;
        pred[i] = kf_classifier_decide(c, top, n);
    }
    out->seconds = now_s() - t0;
    for (size_t i = 0; i < ds->n; i++)
        (void)label_ix(ix, out->labels, &nl, ds->v[i].label);
    conf = kf_calloc(nl * nl, sizeof *conf);
    if (conf == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        goto done;
    }
    const char *oos = kf_classifier_meta(c, "oos_label");
    out->has_oos = oos != NULL && oos[0] != '\0';
    size_t ok = 0, in_n = 0, in_ok = 0, oos_n = 0, oos_ok = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t g = label_ix(ix, out->labels, &nl, ds->v[i].label), p = label_ix(ix, out->labels, &nl, pred[i]);
        conf[g * nl + p]++;
        out->labels[g].support++;
        out->labels[p].predicted++;
        if (g == p) {
            ok++;
            out->labels[g].correct++;
        }
        if (out->has_oos) {
            int gold_oos = strcmp(ds->v[i].label, oos) == 0;
            if (gold_oos) {
                oos_n++;
                oos_ok += strcmp(pred[i], oos) == 0;
            } else {
                in_n++;
                in_ok += g == p;
            }
        }
    }
    out->n = ds->n;
    out->accuracy = (double)ok / ds->n;
    out->in_scope_accuracy = in_n ? (double)in_ok / in_n : 0;
    out->oos_recall = oos_n ? (double)oos_ok / oos_n : 0;
    double f1sum = 0;
    size_t gold_labels = 0;
    for (size_t l = 0; l < nl; l++) {
        struct kf_label_score *s = &out->labels[l];
        s->precision = s->predicted ? (double)s->correct / s->predicted : 0;
        s->recall = s->support ? (double)s->correct / s->support : 0;
        s->f1 = s->precision + s->recall > 0
                    ? 2 * s->precision * s->recall / (s->precision + s->recall)
                    : 0;
        if (s->support > 0) {
            f1sum += s->f1;
            gold_labels++;
        }
    }
    out->macro_f1 = gold_labels ? f1sum / gold_labels : 0;
    out->nlabels = nl;
    /* top confusions */
    for (size_t g = 0; g < nl; g++)
        for (size_t p = 0; p < nl; p++) {
            size_t cnt = conf[g * nl + p];
            if (g == p || cnt == 0)
                continue;
            struct kf_confusion cf = {out->labels[g].label, out->labels[p].label, cnt};
            if (out->ntop < 10) {
                out->top[out->ntop++] = cf;
                qsort(out->top, out->ntop, sizeof cf, cmp_conf);
            } else if (cnt > out->top[9].count) {
                out->top[9] = cf;
                qsort(out->top, out->ntop, sizeof cf, cmp_conf);
            }
        }
done:
    kf_free(conf);
    kf_free(pred);
    kf_map_free(ix);
    kf_arena_free(a);
    if (rc != KF_OK)
        kf_eval_result_free(out);
    return rc;
}

void kf_eval_result_free(struct kf_eval_result *r)
{
    kf_free(r->labels);
    r->labels = NULL;
    r->nlabels = 0;
}
