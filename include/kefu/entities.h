/*
 * entities.h — every entity extractor behind one call (I2): patterns
 * (patterns.h), the bot's catalogue (catalogue.h) and the CRF (crf.h),
 * merged into one non-overlapping list with normalised values.
 *
 * Merging: candidates are taken in rank order — pattern and catalogue
 * matches first, longest span first (a pattern before a catalogue entry at
 * equal length), then CRF spans whose confidence is at least
 * crf_min_confidence — and a candidate that overlaps one already taken is
 * dropped. The result is in text order.
 *
 * The CRF model is a file trained by `kefu train --task entities` or, for a
 * bot, by kf_nlu_open from bots/NAME/nlu/entities (nlu.h).
 *
 * Scoring (kefu eval --task entities) compares spans exactly: a predicted
 * entity counts when its type and its byte span equal a gold one.
 *
 * Ownership: a kf_entities owns its extractors; immutable after new and
 * shared by threads. Results go to the caller's arena.
 */
#ifndef KEFU_ENTITIES_H
#define KEFU_ENTITIES_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/catalogue.h"
#include "kefu/crf.h"
#include "kefu/entity.h"
#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/patterns.h"

#define KF_ENTITIES_MAX 64 /* per message */

struct kf_entities;

struct kf_entities_params {
    const char *catalogue;  /* bots/NAME/catalogue.yaml; NULL or missing = none */
    const char *crf_model;  /* a CRF model file; NULL = no CRF */
    const struct kf_pattern_rule *rules; /* the bot's own patterns */
    size_t nrules;
    unsigned sources;       /* bit (1 << KF_ENT_*) per extractor; 0 = all */
    double crf_min_confidence; /* default 0.5 */
};

struct kf_entities_params kf_entities_default_params(void);
int kf_entities_new(struct kf_entities_params p, struct kf_entities **out, struct kf_err *err);
void kf_entities_free(struct kf_entities *e); /* NULL is a no-op */

const struct kf_catalogue *kf_entities_catalogue(const struct kf_entities *e);
const struct kf_crf *kf_entities_crf(const struct kf_entities *e);

/* Entities of text (valid UTF-8, ≤ 64 KiB) in text order, at most max. */
size_t kf_entities_extract(const struct kf_entities *e, const char *text, size_t len,
                           struct kf_time_ref ref, struct kf_arena *a, struct kf_entity *out,
                           size_t max);

/* The JSON array of entities (arena): [{"type","text","start","end",
 * "value","confidence","source"}], start/end in bytes. */
const char *kf_entities_json(const struct kf_entity *v, size_t n, struct kf_arena *a);

/* ---- scoring ------------------------------------------------------------- */

struct kf_entity_type_score {
    const char *type;
    size_t tp, fp, fn;
    double precision, recall, f1;
};

struct kf_entity_score {
    struct kf_entity_type_score *types; /* gold and predicted types */
    size_t ntypes;
    size_t sentences;
    double precision, recall, micro_f1, macro_f1;
    double seconds; /* extraction time, all sentences */
};

/* Score an extractor on a sequence set. With e, the whole pipeline runs on
 * each sentence's text; with crf (and e NULL), the CRF labels the set's own
 * tokens. Free with kf_entity_score_release. */
int kf_entities_evaluate(const struct kf_entities *e, const struct kf_crf *crf,
                         const struct kf_catalogue *cat, const struct kf_seqset *data,
                         struct kf_entity_score *out, struct kf_err *err);
void kf_entity_score_release(struct kf_entity_score *s);

#endif
