/*
 * pii_int.h — pieces of the pii module shared between its files (internal
 * to src/nlp): pii.c (numbers, e-mail, policy), pii_address.c (postal
 * addresses), pii_key.c (keys and sealing).
 */
#ifndef KEFU_PII_INT_H
#define KEFU_PII_INT_H

#include <stddef.h>

#include "kefu/pii.h"

/* 1 if a postal address starts at text[i] (m filled in: type, start, end,
 * part_start, part_end), else 0. `i` is the start of a code point. English
 * is always tried; Chinese only with try_zh (set when an anchor is near, see
 * kf__pii_address_next_anchor). */
int kf__pii_address_at(const char *text, size_t len, size_t i, int try_zh, struct kf_pii_match *m);

/* Byte offset of the next anchor of a Chinese address at or after `from`
 * (a street marker followed by a house number, or a label followed by
 * 号楼/栋/幢/单元/室), or len. A Chinese address has one within
 * KF__PII_ANCHOR_WINDOW bytes after its start. */
size_t kf__pii_address_next_anchor(const char *text, size_t len, size_t from);
#define KF__PII_ANCHOR_WINDOW 240

#endif
