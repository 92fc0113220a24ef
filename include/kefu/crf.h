/*
 * crf.h — the statistical entity extractor: a linear-chain conditional
 * random field over tokens (I2), trained by kefu itself.
 *
 * Tokens: one per Han (or other CJK) character, one per run of Latin
 * letters and digits, one per other non-space character — so Chinese is
 * labelled character by character and English word by word. Data read from
 * CoNLL/BIO files keeps the file's own tokens.
 *
 * Labels: each entity type t becomes B-t, I-t (and with the "bioes" scheme
 * E-t, S-t) plus O. Features per token (hashed, 64-bit): the token's
 * normal form (NFKC, case-folded, Traditional→Simplified) at offsets -2..2,
 * bigrams at -2..1, the trigram around it, its shape (Han, lower, Upper,
 * digit, mixed, punctuation) and the neighbours' shapes, prefixes and
 * suffixes of Latin words, the longest entry of a lexicon of the training
 * data's entities it is part of (position and types, at -1..1; while
 * training, each quarter of the data sees only the other three quarters'
 * lexicon, so the model does not learn to trust it blindly), and — when a
 * catalogue is given — the catalogue match it is part of at -1..1.
 *
 * Training minimises the negative conditional log-likelihood plus an L2
 * penalty with L-BFGS (liblbfgs); the gradient is computed by scaled
 * forward-backward over the data split across threads.
 *
 * Model file: model_format.h, kind "crf": metadata (scheme, feature
 * version, whether catalogue features are used), blocks LABL (label
 * names), HASH (attribute hashes, ascending), WGHT (attribute × label,
 * f32), TRAN (label × label, then start and end scores, f32), LEXH and
 * LEXM (the lexicon: entry hashes ascending, u64; type bits, u32).
 *
 * Ownership: a kf_crf is immutable after train/load and shared by threads.
 */
#ifndef KEFU_CRF_H
#define KEFU_CRF_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/arena.h"
#include "kefu/catalogue.h"
#include "kefu/entity.h"
#include "kefu/err.h"

/* ---- sequences: training and test data --------------------------------- */

#define KF_CRF_MAX_TOKENS 4096 /* a longer text is labelled in pieces */

struct kf_seqspan {
    uint32_t start, end; /* token indices, end exclusive */
    uint32_t type;       /* index into the set's types */
};

struct kf_seq {
    const char *text;
    size_t len;
    uint32_t ntok;
    const uint32_t *tstart, *tend; /* byte offsets of each token in text */
    const struct kf_seqspan *spans;
    uint32_t nspans;
};

struct kf_seqset;

int kf_seqset_new(struct kf_seqset **out, struct kf_err *err);
void kf_seqset_free(struct kf_seqset *s); /* NULL is a no-op */
/* Load a file or a folder of files:
 *   .bio .conll .txt   CoNLL: "token TAG" or "token<TAB>TAG" a line (the tag
 *                      last), a blank line between sentences; BIO, IOB2 or
 *                      BIOES tags
 *   .yml .yaml         Rasa NLU YAML; every example, with its
 *                      [text](type), [text](type:value) and
 *                      [text]{"entity": "type", ...} annotations
 * Errors name the file and line. */
int kf_seqset_load(struct kf_seqset *s, const char *path, struct kf_err *err);
/* One example in Rasa's annotated form ("订单[DS20261101001](order_id)到哪了"). */
int kf_seqset_add_annotated(struct kf_seqset *s, const char *text, size_t len,
                            struct kf_err *err);
size_t kf_seqset_size(const struct kf_seqset *s);
const struct kf_seq *kf_seqset_get(const struct kf_seqset *s, size_t i);
size_t kf_seqset_ntypes(const struct kf_seqset *s);
const char *kf_seqset_type(const struct kf_seqset *s, size_t i);
/* Index of a type name, or -1. */
long kf_seqset_type_index(const struct kf_seqset *s, const char *type);

/* Tokens of a text (see above): byte offsets, at most max; returns count. */
size_t kf_crf_tokenize(const char *text, size_t len, uint32_t *tstart, uint32_t *tend,
                       size_t max);

/* ---- the model ---------------------------------------------------------- */

struct kf_crf;

struct kf_crf_train_params {
    double c2;          /* L2 penalty (default 1.0) */
    int max_iter;       /* L-BFGS iterations (default 200) */
    double delta;       /* stop when the loss improves less than this,
                           relative, over 10 iterations (default 1e-5) */
    int min_count;      /* keep attributes seen at least this often (1) */
    int threads;        /* gradient threads (default 2) */
    int bioes;          /* 1 = BIOES labels, 0 = BIO (default 1) */
    int lexicon;        /* 1 = lexicon features from the training entities
                           (default 1; built 4-fold for the training data) */
    const struct kf_catalogue *catalogue; /* dictionary features; may be NULL */
    /* called after each iteration; may be NULL */
    void (*progress)(void *ud, int iter, double loss, double seconds);
    void *ud;
};

struct kf_crf_train_params kf_crf_default_train_params(void);
int kf_crf_train(const struct kf_seqset *data, struct kf_crf_train_params p,
                 struct kf_crf **out, struct kf_err *err);
int kf_crf_save(const struct kf_crf *c, const char *path, struct kf_err *err);
int kf_crf_load(const char *path, struct kf_crf **out, struct kf_err *err);
void kf_crf_free(struct kf_crf *c); /* NULL is a no-op */

size_t kf_crf_ntypes(const struct kf_crf *c);
const char *kf_crf_type(const struct kf_crf *c, size_t i);
size_t kf_crf_nattributes(const struct kf_crf *c);
/* 1 when the model was trained with catalogue features */
int kf_crf_uses_catalogue(const struct kf_crf *c);

/* Label given tokens: entity spans (token indices; type = index into the
 * model's types) in order, at most max; returns the count. cat must be the
 * catalogue the model was trained with (or NULL when it used none). */
size_t kf_crf_tag(const struct kf_crf *c, const struct kf_catalogue *cat, const char *text,
                  size_t len, const uint32_t *tstart, const uint32_t *tend, uint32_t ntok,
                  struct kf_seqspan *out, size_t max);

/* Tokenize, label and report entities (source KF_ENT_CRF, value = the text
 * as a JSON string, confidence = the probability of the best labelling). */
size_t kf_crf_extract(const struct kf_crf *c, const struct kf_catalogue *cat, const char *text,
                      size_t len, struct kf_arena *a, struct kf_entity *out, size_t max);
/* The same with the text's catalogue matches already found (in text order,
 * as kf_catalogue_match gives them; NULL when there is no catalogue), so a
 * caller that matched the catalogue anyway does not match it twice. */
size_t kf_crf_extract_hits(const struct kf_crf *c, const struct kf_entity *hits, size_t nhits,
                           const char *text, size_t len, struct kf_arena *a,
                           struct kf_entity *out, size_t max);

#endif
