/*
 * evaluate.h — scoring a classifier on labelled data.
 *
 * Metrics: accuracy; per gold label precision, recall and F1 and their
 * macro average over gold labels; the most frequent confusions (gold →
 * predicted); and, when the model has an out-of-scope label, in-scope
 * accuracy (over examples whose gold label is not oos; predicting oos counts
 * as wrong) and out-of-scope recall (share of gold-oos examples decided oos),
 * the two figures of Larson et al. 2019 for CLINC150. Decisions use the
 * model's out-of-scope threshold (kf_classifier_decide).
 *
 * Ownership: a result owns its arrays; free with kf_eval_result_free.
 */
#ifndef KEFU_EVALUATE_H
#define KEFU_EVALUATE_H

#include <stddef.h>

#include "kefu/classifier.h"
#include "kefu/dataset.h"

struct kf_label_score {
    const char *label; /* points into the classifier or the dataset */
    size_t support;    /* gold examples */
    size_t predicted;
    size_t correct;
    double precision, recall, f1;
};

struct kf_confusion {
    const char *gold, *pred;
    size_t count;
};

struct kf_eval_result {
    size_t n;
    double accuracy;
    double macro_f1;
    int has_oos;
    double in_scope_accuracy;
    double oos_recall;
    double seconds;        /* prediction time for the whole set */
    struct kf_label_score *labels;
    size_t nlabels;
    struct kf_confusion top[10];
    size_t ntop;
};

int kf_eval_run(const struct kf_classifier *c, const struct kf_dataset *ds,
                struct kf_eval_result *out, struct kf_err *err);
void kf_eval_result_free(struct kf_eval_result *r);

#endif
