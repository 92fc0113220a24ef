/*
 * nlu.h — the understanding pipeline one message goes through:
 * normalise → language → intent → sentiment (+ anger) → spam.
 *
 * A bot's training data sits in one folder per model (bots/NAME/nlu/intent,
 * sentiment, anger, spam; dataset.h formats). kf_nlu_open() loads each
 * model from the model folder, training it first when the model file is
 * missing or older than any of its data files — so models are built on the
 * first start and never committed. A task without a data folder is simply
 * absent from the results.
 *
 * Ownership: a kf_nlu owns its classifiers; it is immutable after open and
 * shared by all threads. Results point into the nlu (labels) or the arena.
 */
#ifndef KEFU_NLU_H
#define KEFU_NLU_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/classifier.h"
#include "kefu/err.h"
#include "kefu/log.h"

#define KF_NLU_TOP 5

struct kf_nlu;

struct kf_nlu_params {
    const char *data_dir;  /* e.g. bots/demo-shop/nlu; NULL = no models */
    const char *model_dir; /* e.g. var/models/demo-shop; created if missing */
    int threads;           /* for training */
    struct kf_log *log;    /* borrowed; may be NULL */
};

int kf_nlu_open(struct kf_nlu_params params, struct kf_nlu **out, struct kf_err *err);
void kf_nlu_free(struct kf_nlu *nlu); /* NULL is a no-op */

/* The classifier of a task ("intent", "sentiment", "anger", "spam"), or NULL. */
const struct kf_classifier *kf_nlu_model(const struct kf_nlu *nlu, const char *task);

struct kf_nlu_label {
    const char *name;
    double confidence;
};

struct kf_nlu_result {
    const char *normalized;
    const char *lang; /* zh | en | "" */
    /* intent: decided label (the oos label when rejected) and the ranking */
    const char *intent;
    double intent_confidence;
    struct kf_nlu_label intents[KF_NLU_TOP];
    size_t nintents;
    /* sentiment: negative | neutral | positive, and score in [-1, 1]
     * (P(positive) - P(negative)) */
    const char *sentiment;
    double sentiment_score;
    int angry; /* anger model says "angry" */
    double anger;
    /* spam probability and decision */
    double spam;
    int is_spam;
};

/* Run every model there is over one text (valid UTF-8, ≤ 64 KiB). */
int kf_nlu_parse(const struct kf_nlu *nlu, const char *text, size_t len, struct kf_arena *a,
                 struct kf_nlu_result *out, struct kf_err *err);

#endif
