/*
 * kb.h — FAQ retrieval: an Okapi BM25 index over question paraphrases.
 *
 * Two views of the same FAQ are indexed: every question (a main question or
 * a paraphrase, any language) as its own document, and every entry as one
 * document holding all its questions plus context text (its answers). Text
 * goes through the shared pipeline (text.h): NFKC, case folding, Han
 * unigrams + bigrams, stemmed English words.
 *
 * Confidence of an entry: each view's BM25 score (the best question's, and
 * the entry's) divided by the score the query would get against a copy of
 * itself (terms unknown to the index count at full IDF), clamped to [0, 1],
 * then mixed: (1 - entry_weight) * question + entry_weight * entry, and
 * scaled by the query's evidence: a query whose self-score is below
 * min_evidence × the median question's self-score (one word, "when", "钱")
 * gets proportionally less confidence, however well it matches. So 1
 * means "every part of the question matched", and a query made of words the
 * FAQ has never seen scores 0. Entries come back by confidence, best first.
 *
 * Lifecycle: kf_kb_new → kf_kb_add (any number) → kf_kb_build → searches.
 * After build the index is read-only and safe to search from many threads.
 */
#ifndef KEFU_KB_H
#define KEFU_KB_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"

struct kf_kb;

struct kf_kb_params {
    double k1; /* term-frequency saturation; default 1.2 */
    double b;  /* length normalisation; default 0.5 (questions are short) */
    double entry_weight; /* share of the whole-entry score in the confidence */
    double min_evidence; /* share of a typical question's self-score a query
                          * needs for full confidence (short queries scale down) */
};

struct kf_kb_params kf_kb_default_params(void);

struct kf_kb *kf_kb_new(struct kf_kb_params params);
void kf_kb_free(struct kf_kb *kb); /* NULL is a no-op */

/* Index one question of entry `entry` (0-based, caller's numbering). */
int kf_kb_add(struct kf_kb *kb, int entry, const char *question, size_t len, struct kf_err *err);
/* Text that describes entry `entry` without being a question (its answer):
 * indexed into the whole-entry document only. */
int kf_kb_add_context(struct kf_kb *kb, int entry, const char *text, size_t len,
                      struct kf_err *err);
int kf_kb_build(struct kf_kb *kb, struct kf_err *err);

struct kf_kb_hit {
    int entry;
    int question;      /* index of the best-matching question, in add order */
    double score;      /* raw BM25 */
    double confidence; /* 0..1, see above */
};

/* Up to `max` distinct entries, best first; *n gets the count (0 when
 * nothing matched). Scratch memory comes from the arena. */
int kf_kb_search(const struct kf_kb *kb, const char *text, size_t len, struct kf_arena *a,
                 struct kf_kb_hit *hits, size_t max, size_t *n, struct kf_err *err);

size_t kf_kb_questions(const struct kf_kb *kb);
size_t kf_kb_terms(const struct kf_kb *kb);

#endif
