/*
 * t2s.h — Traditional → Simplified Chinese, character by character.
 *
 * Built once from OpenCC's t2s configuration (Debian libopencc): every Han
 * character of the BMP blocks is converted in one OpenCC call and the ones
 * that change are kept in a flat table, so converting a message is one array
 * lookup per character (OpenCC itself costs ~10 µs per message, more than
 * the rest of the NLU pipeline). Phrase-level choices of OpenCC (rare for
 * t2s) are not reproduced.
 *
 * Ownership: immutable after kf_t2s_new; share it freely between threads;
 * the creator frees it after every user is gone.
 */
#ifndef KEFU_T2S_H
#define KEFU_T2S_H

#include <stdint.h>

#include "kefu/err.h"

struct kf_t2s;

int kf_t2s_new(struct kf_t2s **out, struct kf_err *err);
void kf_t2s_free(struct kf_t2s *t); /* NULL is a no-op */

/* The Simplified form of cp, or cp itself. t may be NULL (identity). */
uint32_t kf_t2s_map(const struct kf_t2s *t, uint32_t cp);

/* Number of characters that change (for logs and tests). */
unsigned kf_t2s_size(const struct kf_t2s *t);

#endif
