/*
 * pii.h — finding and masking personal data in customer text (O5).
 *
 * Detected, each with validation so ordinary numbers are left alone:
 *   id_card    mainland China resident ID: 17 digits + digit/X, a plausible
 *              birth date, and the ISO 7064 MOD 11-2 check character
 *   bank_card  15-19 digits (single spaces or dashes between groups allowed)
 *              with the length and prefix of a card scheme (UnionPay 62,
 *              Visa, Mastercard, Amex, JCB, Discover) that pass the Luhn
 *              check — Luhn alone would take one number in ten
 *   phone      CN mobile 1[3-9]xxxxxxxxx (optionally +86 / 86), or an
 *              international +CC number of 8-15 digits
 *   email      local@domain.tld
 * A match must not touch another letter or digit (so an order id like
 * DS13812345678 is not a phone). Masking keeps just enough to talk about
 * it: 138****5678, 110105********123X, **** **** **** 1234 → "****1234",
 * z***@example.com.
 *
 * Ownership: results go to the caller's arena. Thread-safe, no state.
 */
#ifndef KEFU_PII_H
#define KEFU_PII_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"

enum kf_pii_type { KF_PII_ID_CARD = 1, KF_PII_BANK_CARD = 2, KF_PII_PHONE = 4, KF_PII_EMAIL = 8 };
#define KF_PII_ALL (KF_PII_ID_CARD | KF_PII_BANK_CARD | KF_PII_PHONE | KF_PII_EMAIL)

struct kf_pii_match {
    enum kf_pii_type type;
    size_t start, end; /* byte offsets, end exclusive */
};

/* Matches in text order, non-overlapping, only of the types in `types`. */
size_t kf_pii_find(const char *text, size_t len, unsigned types, struct kf_pii_match *out,
                   size_t max);

/* Copy of text with every match masked; *count (optional) gets how many. */
int kf_pii_mask(const char *text, size_t len, unsigned types, struct kf_arena *a, char **out,
                size_t *out_len, size_t *count, struct kf_err *err);

const char *kf_pii_type_name(enum kf_pii_type t);
/* "id_card,phone" → bit set; -1 for an unknown name (err says which). */
int kf_pii_parse_types(const char *list, unsigned *types, struct kf_err *err);

#endif
