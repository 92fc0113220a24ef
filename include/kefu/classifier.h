/*
 * classifier.h — linear text classifiers: intent, sentiment, spam, anger.
 *
 * Training (kf_classifier_train) extracts features.h features from every
 * example, keeps those seen in at least min_count examples, and trains one
 * L2-regularised logistic regression per label against the rest with
 * LIBLINEAR, labels spread over `threads` threads. When the labels include
 * the out-of-scope label ("oos" by default) or a validation set is given, a
 * confidence threshold for out-of-scope is tuned: on the validation set if
 * there is one (the highest threshold that costs at most oos_max_loss of
 * in-scope accuracy), else left at 0 (only the trained class decides).
 *
 * Prediction is kefu's own code over the model file (model_format.h): a
 * sparse dot product per label, logistic, normalised.
 *
 * Ownership: a classifier owns its memory; it is immutable once trained or
 * loaded and may be shared by threads (reference it from several sessions;
 * free it once).
 */
#ifndef KEFU_CLASSIFIER_H
#define KEFU_CLASSIFIER_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/dataset.h"
#include "kefu/err.h"
#include "kefu/features.h"

struct kf_classifier;

struct kf_train_params {
    const char *task;      /* recorded in the model; default "intent" */
    const char *oos_label; /* default "oos" */
    double C;              /* regularisation; default 20 */
    double eps;            /* solver tolerance; default 0.05 */
    int min_count;         /* keep features seen in ≥ this many examples; default 1 */
    int threads;           /* default 2 */
    double oos_max_loss;   /* in-scope accuracy the oos threshold may cost; default 0.005 */
    struct kf_feature_params features;
    /* progress: called after each label with (done, total); may be NULL */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
};

struct kf_train_params kf_train_default_params(void);

int kf_classifier_train(const struct kf_dataset *train, const struct kf_dataset *valid,
                        struct kf_train_params params, struct kf_classifier **out,
                        struct kf_err *err);
int kf_classifier_save(const struct kf_classifier *c, const char *path, struct kf_err *err);
int kf_classifier_load(const char *path, struct kf_classifier **out, struct kf_err *err);
/* Load with a shared Traditional → Simplified table (t2s.h; borrowed, must
 * outlive the classifier). kf_classifier_load makes its own when the model
 * needs one. */
struct kf_t2s;
int kf_classifier_load_with(const char *path, const struct kf_t2s *t2s,
                            struct kf_classifier **out, struct kf_err *err);
/* Switch a classifier to a shared table (freeing its own). */
void kf_classifier_use_t2s(struct kf_classifier *c, const struct kf_t2s *t2s);
void kf_classifier_free(struct kf_classifier *c); /* NULL is a no-op */

size_t kf_classifier_nlabels(const struct kf_classifier *c);
const char *kf_classifier_label(const struct kf_classifier *c, size_t i);
size_t kf_classifier_nfeatures(const struct kf_classifier *c);
const char *kf_classifier_task(const struct kf_classifier *c);
const char *kf_classifier_meta(const struct kf_classifier *c, const char *key); /* or NULL */
double kf_classifier_oos_threshold(const struct kf_classifier *c);
int kf_classifier_set_oos_threshold(struct kf_classifier *c, double t);

struct kf_prediction {
    int label; /* index */
    double prob;
};

/* All labels ranked by probability into out[0..min(max, nlabels)); *n gets
 * the count. The decision: label of out[0], or the oos label when out[0].prob
 * is below the model's threshold (see kf_classifier_decide). */
int kf_classifier_predict(const struct kf_classifier *c, const char *text, size_t len,
                          struct kf_arena *a, struct kf_prediction *out, size_t max, size_t *n,
                          struct kf_err *err);

/* The same from features already extracted with kf_classifier_features()'s
 * settings (lets several models share one extraction). */
int kf_classifier_predict_features(const struct kf_classifier *c, const struct kf_fvec *x,
                                   struct kf_arena *a, struct kf_prediction *out, size_t max,
                                   size_t *n, struct kf_err *err);
const struct kf_feature_params *kf_classifier_features(const struct kf_classifier *c);

/* The decided label for a ranking (the oos label under the threshold). */
const char *kf_classifier_decide(const struct kf_classifier *c, const struct kf_prediction *top,
                                 size_t n);

#endif
