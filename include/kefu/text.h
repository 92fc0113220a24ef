/*
 * text.h — the text pipeline shared by retrieval and (later) the classifiers.
 *
 * normalise: Unicode NFKC (full-width → half-width), case folding, control
 *   characters dropped, punctuation and symbols turned into spaces, runs of
 *   white space folded to one space, trimmed. Han characters, letters and
 *   digits survive; emoji are kept as their own tokens.
 * terms: Han characters as unigrams and adjacent-pair bigrams, Latin words
 *   stemmed with Snowball's English stemmer, digit runs as words.
 * lang: from the share r of Han characters among Han characters + Latin
 *   words: "zh" when r ≥ 0.65 (我的iPhone坏了), "en" when r ≤ 0.35 (can you
 *   help me with 退款), "mixed" in between (这个order can cancel吗), ""
 *   when there are neither (digits, emoji, punctuation only).
 *
 * Ownership: results are allocated from the caller's arena. Thread-safe: no
 * shared state (each call creates its own stemmer).
 */
#ifndef KEFU_TEXT_H
#define KEFU_TEXT_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"

#define KF_TEXT_MAX_BYTES 65536 /* longest input the pipeline accepts */

/* Normalise valid UTF-8 in[0..len) into *out (NUL-terminated, arena). */
int kf_text_normalize(const char *in, size_t len, struct kf_arena *a, char **out, size_t *out_len,
                      struct kf_err *err);

/* The same, also turning Traditional Han characters into Simplified ones
 * with a t2s.h table (t2s may be NULL). */
struct kf_t2s;
int kf_text_normalize_t2s(const char *in, size_t len, const struct kf_t2s *t2s,
                          struct kf_arena *a, char **out, size_t *out_len, struct kf_err *err);

struct kf_terms {
    const char **v; /* each NUL-terminated, in the arena */
    size_t n;
};

/* Terms of already-normalised text. */
int kf_text_terms(const char *norm, size_t len, struct kf_arena *a, struct kf_terms *out,
                  struct kf_err *err);

/* Normalise then split: the usual entry point. */
int kf_text_analyze(const char *in, size_t len, struct kf_arena *a, struct kf_terms *out,
                    struct kf_err *err);

/* "zh", "en", "mixed" or "" (see above). */
const char *kf_text_detect_lang(const char *s, size_t len);

#endif
