/*
 * features.h — sparse text features for kefu's linear classifiers.
 *
 * A text is normalised (text.h; with t2s, Traditional characters become
 * Simplified ones first, so both scripts share features) and split into tokens: Han characters one
 * by one, and Latin/digit words. From them, hashed features (FNV-1a 64 of a
 * kind prefix + the feature's text):
 *   w  stemmed word            (digit runs fold to "#" + their length)
 *   b  pair of adjacent words   (stemmed)
 *   c  character n-grams of a word with boundary marks, n in [cmin, cmax]
 *      ("<refund>" → "<re", "ref", ...): typo-tolerant English
 *   h  Han character 1-, 2- and 3-grams inside a run of Han characters
 *   e  emoji
 * Feature values are 1 + ln(count), then the vector is scaled to unit L2
 * norm. Which kinds are on and the n-gram range are part of a model file,
 * so a model is always read with the features it was trained on.
 *
 * Ownership: results live in the caller's arena. Thread-safe.
 */
#ifndef KEFU_FEATURES_H
#define KEFU_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/arena.h"
#include "kefu/err.h"

struct kf_t2s;

struct kf_feature_params {
    int words;   /* w */
    int bigrams; /* b */
    int cmin, cmax; /* c; 0 = off */
    int han_max;    /* h: longest Han n-gram (0 = off, 1..4) */
    int t2s;        /* t: Traditional → Simplified first (off by default here; the
                     * trainer's defaults turn it on) */
    /* the table for t2s (t2s.h); runtime only, never stored in a model */
    const struct kf_t2s *t2s_table;
};

struct kf_feature_params kf_feature_default_params(void);

struct kf_fvec {
    uint64_t *h; /* feature hashes, ascending, unique */
    float *v;    /* values, unit L2 norm */
    size_t n;
};

/* With p->t2s set, p->t2s_table must be given (KF_EINVAL otherwise). */
int kf_features_extract(const char *text, size_t len, const struct kf_feature_params *p,
                        struct kf_arena *a, struct kf_fvec *out, struct kf_err *err);

/* The same for text already normalised with the params' t2s setting (lets a
 * caller that normalised once skip doing it again). */
int kf_features_from_normalized(const char *norm, size_t len, const struct kf_feature_params *p,
                                struct kf_arena *a, struct kf_fvec *out, struct kf_err *err);

#endif
