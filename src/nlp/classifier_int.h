/*
 * classifier_int.h — struct kf_classifier, shared by classifier.c (load,
 * save, predict) and train.c (LIBLINEAR training). Internal to src/nlp.
 */
#ifndef KEFU_CLASSIFIER_INT_H
#define KEFU_CLASSIFIER_INT_H

#include <stdint.h>

#include "kefu/classifier.h"

#define KF_CLASSIFIER_MAX_META 16

struct kf_classifier {
    char *meta_key[KF_CLASSIFIER_MAX_META];
    char *meta_val[KF_CLASSIFIER_MAX_META];
    size_t nmeta;
    struct kf_feature_params fp;
    uint32_t nclass;
    char **labels;
    uint32_t nfeat;
    uint64_t *hash; /* ascending */
    float *w;       /* nfeat * nclass */
    float *bias;    /* nclass */
    void *map;      /* a loaded model's file mapping (hash, w, bias point into it) */
    size_t map_len;
    int oos;        /* label index of the oos label, or -1 */
    double oos_threshold;
    struct kf_t2s *own_t2s; /* the table fp.t2s_table points to, when we made it */
    /* hash → feature index, open addressing (index + 1; 0 = empty) */
    uint32_t *table;
    size_t tmask;
};

/* Build the lookup table from hash[]; 0 or KF_ENOMEM. */
int kf__classifier_index(struct kf_classifier *c);
/* Set a metadata entry (copied). */
int kf__classifier_set_meta(struct kf_classifier *c, const char *key, const char *val);
/* Scores (probabilities, normalised) of every label for a feature vector. */
void kf__classifier_probs(const struct kf_classifier *c, const struct kf_fvec *x, double *probs);
/* Make sure fp has its t2s table (creating one owned by c if needed). */
int kf__classifier_ensure_t2s(struct kf_classifier *c, struct kf_err *err);
/* "w=1 b=1 c=3-5 h=3 t=1" ⇄ params */
void kf__features_format(const struct kf_feature_params *p, char *out, size_t cap);
int kf__features_parse(const char *s, struct kf_feature_params *p);

#endif
