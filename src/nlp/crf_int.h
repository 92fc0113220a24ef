/*
 * crf_int.h — struct kf_crf and the featurizer, shared by crf.c (load,
 * save, labelling) and crf_train.c (training). Internal to src/nlp.
 */
#ifndef KEFU_CRF_INT_H
#define KEFU_CRF_INT_H

#include <stdint.h>

#include "kefu/crf.h"
#include "kefu/t2s.h"

#define KF_CRF_MAX_META 16
#define KF_CRF_MAX_LABELS 1024
#define KF_CRF_FEATURE_VERSION "1"
#define KF_CRF_MAX_ATTRS_PER_TOKEN 40

/* A lexicon of the training data's entities: hashes of their token
 * sequences (see crf.c) with the types each was seen as. */
struct kf_crf_lex {
    uint64_t *hash;  /* ascending */
    uint32_t *mask;  /* bit t = seen as type t (types ≥ 32 share bit 31) */
    size_t n;
    uint32_t maxlen; /* tokens */
};

struct kf_crf {
    char *meta_key[KF_CRF_MAX_META];
    char *meta_val[KF_CRF_MAX_META];
    size_t nmeta;
    uint32_t nlabels;
    char **labels;     /* "O", "B-name", ... */
    char *kind;        /* per label: 'O' 'B' 'I' 'E' 'S' */
    uint32_t *ltype;   /* per label: type index (0 for O) */
    char **types;      /* entity types, first-seen order of the labels */
    uint32_t ntypes;
    int bioes, use_cat;
    struct kf_crf_lex lex; /* n = 0 when the model has none */
    uint32_t nattr;
    uint64_t *hash;    /* ascending */
    float *w;          /* nattr * nlabels */
    float *trans;      /* nlabels * nlabels (from × to), then start[L], end[L] */
    void *map;         /* a loaded model's mapping (hash, w, trans point into it) */
    size_t map_len;
    double *exptrans;  /* exp of the label × label block, for the forward pass */
    uint32_t *table;   /* hash → attribute index + 1, open addressing */
    size_t tmask;
    struct kf_t2s *t2s;
};

/* Attribute hashes of every token (at most KF_CRF_MAX_ATTRS_PER_TOKEN
 * each): attrs[t * KF_CRF_MAX_ATTRS_PER_TOKEN + k], count in nattrs[t].
 * hints are per-token catalogue tags (0 = none; else a hash) or NULL. */
void kf__crf_featurize(const struct kf_t2s *t2s, const char *text, const uint32_t *ts,
                       const uint32_t *te, uint32_t ntok, const uint64_t *hints,
                       const struct kf_crf_lex *lex, uint64_t *attrs, uint8_t *nattrs);
/* The lexicon of the spans of every sequence i with i % nfolds != fold
 * (fold -1: of all of them). */
int kf__crf_lex_build(const struct kf_t2s *t2s, const struct kf_seqset *s, long fold,
                      int nfolds, struct kf_crf_lex *out);
void kf__crf_lex_release(struct kf_crf_lex *l);
/* Catalogue hints for tokens (hints[ntok]); all 0 without a catalogue. */
void kf__crf_hints(const struct kf_catalogue *cat, const char *text, size_t len,
                   const uint32_t *ts, const uint32_t *te, uint32_t ntok, uint64_t *hints);
/* Labels ("O", B-/I-/E-/S- + type) from the types; fills kind/ltype/types. */
int kf__crf_set_labels(struct kf_crf *c, const char *const *types, size_t ntypes, int bioes);
int kf__crf_set_meta(struct kf_crf *c, const char *key, const char *val);
/* Build the hash lookup table and exptrans (after hash and trans are set). */
int kf__crf_index(struct kf_crf *c);
/* Attribute index of a hash, or -1. */
long kf__crf_lookup(const struct kf_crf *c, uint64_t h);
/* Gold label of each token of a sequence (labels[ntok]). */
void kf__crf_gold(const struct kf_crf *c, const struct kf_seq *q, const uint32_t *typemap,
                  uint16_t *labels);

#endif
