/*
 * nlu.h — the understanding pipeline one message goes through:
 * normalise → language → intent → sentiment (+ anger) → spam → entities.
 *
 * A bot's training data sits in one folder per model (bots/NAME/nlu/intent,
 * sentiment, anger, spam; dataset.h formats). kf_nlu_open() loads each
 * model from the model folder, training it first when the model file is
 * missing or older than any of its data files — so models are built on the
 * first start and never committed. A task without a data folder is simply
 * absent from the results.
 *
 * Entities (entities.h): the bot's patterns, its catalogue
 * (bots/NAME/catalogue.yaml) and a CRF trained the same way from
 * bots/NAME/nlu/entities into MODEL_DIR/entities.kfm — again when the data
 * or the catalogue is newer than the model.
 *
 * Ownership: a kf_nlu owns its classifiers; it is immutable after open and
 * shared by all threads. Results point into the nlu (labels) or the arena.
 */
#ifndef KEFU_NLU_H
#define KEFU_NLU_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/classifier.h"
#include "kefu/entities.h"
#include "kefu/err.h"
#include "kefu/log.h"

#define KF_NLU_TOP 5

struct kf_nlu;

struct kf_nlu_params {
    const char *data_dir;  /* e.g. bots/demo-shop/nlu; NULL = no models */
    const char *model_dir; /* e.g. var/models/demo-shop; created if missing */
    int threads;           /* for training */
    struct kf_log *log;    /* borrowed; may be NULL */
    const char *catalogue; /* bots/NAME/catalogue.yaml; NULL = none */
    const struct kf_pattern_rule *rules; /* the bot's own entity patterns */
    size_t nrules;
    int utc_offset_min;    /* the bot's time zone, for relative dates */
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
    /* entities of the text as given (byte offsets into it), in text order */
    struct kf_entity *entities;
    size_t nentities;
};

/* Run every model there is over one text (valid UTF-8, ≤ 64 KiB); relative
 * dates are read against now in the bot's time zone. */
int kf_nlu_parse(const struct kf_nlu *nlu, const char *text, size_t len, struct kf_arena *a,
                 struct kf_nlu_result *out, struct kf_err *err);
/* The same against a given moment and zone. */
int kf_nlu_parse_at(const struct kf_nlu *nlu, const char *text, size_t len,
                    struct kf_time_ref ref, struct kf_arena *a, struct kf_nlu_result *out,
                    struct kf_err *err);
int kf_nlu_utc_offset(const struct kf_nlu *nlu);
const struct kf_entities *kf_nlu_entities(const struct kf_nlu *nlu);

/* Make sure MODEL_DIR/entities.kfm is trained from DATA_DIR (a folder of
 * annotated examples) and the catalogue (may be NULL): train it when it is
 * missing, unreadable or older than either. *path gets the model's path, or
 * "" when there is no data. */
int kf_nlu_entity_model(const char *data_dir, const char *model_dir, const char *catalogue,
                        int threads, struct kf_log *log, char *path, size_t cap,
                        struct kf_err *err);

#endif
