/*
 * pii.h — finding, masking and sealing personal data in customer text (O5).
 *
 * Detected, each with validation so ordinary numbers and words are left alone:
 *   id_card    mainland China resident ID: 17 digits + digit/X, a plausible
 *              birth date, and the ISO 7064 MOD 11-2 check character
 *   bank_card  15-19 digits (single spaces or dashes between groups allowed)
 *              with the length and prefix of a card scheme (UnionPay 62,
 *              Visa, Mastercard, Amex, JCB, Discover) that pass the Luhn
 *              check — Luhn alone would take one number in ten
 *   phone      CN mobile 1[3-9]xxxxxxxxx (optionally +86 / 86), or an
 *              international +CC number of 8-15 digits
 *   email      local@domain.tld
 *   address    a Chinese postal address down to street level: optional
 *              administrative units (省/市/区/县/镇/街道..., or a province
 *              name without its suffix), then a street (…路/街/道/巷/弄/胡同/
 *              大道/大街) with a house number (…号/弄), or an estate with a
 *              building part (…号楼/栋/幢/单元/室), then building/room parts
 *              (SOHO现代城A座1201室). Or an English street address: a house
 *              number, 1-4 street-name words and a suffix (St, Street, Ave,
 *              Road, Blvd, Lane, Drive, Way, Parkway, Court, Place, ...), an
 *              optional unit before or after (Apt 5, Suite 100, #12) and up to
 *              three ", Town / ST 12345 / postcode" parts. A city alone
 *              ("我在北京", "Baker Street is nice") is not an address.
 * A match must not touch another letter or digit (so an order id like
 * DS13812345678 is not a phone).
 *
 * What happens to a match is a policy per type (struct kf_pii_policy):
 *   mask    keep just enough to talk about it (the default):
 *             phone 138****5678, id_card 110105********123X,
 *             bank_card "**** **** **** 1234", email z***@example.com,
 *             address: zh keeps the province/city/district prefix and puts
 *             one '*' per character for the rest (北京市朝阳区********); en
 *             puts one '*' per character over the street part (number,
 *             street, unit) and keeps the town and state with their digits
 *             starred ("************************, Mountain View, CA *****")
 *   redact  the whole value becomes "[phone]" ("[id_card]", "[address]", ...)
 *   hash    "[phone:3f9a1c2e]": the first 8 hex digits of a keyed BLAKE2b
 *           (libsodium crypto_generichash) of the canonical value (digits
 *           only for numbers, +86 dropped, e-mail lower-cased), under a key
 *           derived from the vault key — the same value always gets the same
 *           pseudonym, so repeats can be counted without the value. 32 bits:
 *           a pseudonym is for counting, not an identity.
 *   keep    not masked at all. Unsafe: the raw value is analysed and stored.
 *
 * The raw values themselves can be sealed (libsodium crypto_secretbox: XSalsa20
 * + Poly1305, a random 24-byte nonce per value) under a 32-byte key
 * (struct kf_pii_key) so that a permitted reader can see them again.
 *
 * Ownership: results go to the caller's arena. Thread-safe, no state; keys are
 * plain values owned by the caller (wipe them with kf_pii_key_wipe).
 */
#ifndef KEFU_PII_H
#define KEFU_PII_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"

enum kf_pii_type {
    KF_PII_ID_CARD = 1,
    KF_PII_BANK_CARD = 2,
    KF_PII_PHONE = 4,
    KF_PII_EMAIL = 8,
    KF_PII_ADDRESS = 16
};
#define KF_PII_ALL                                                                          \
    (KF_PII_ID_CARD | KF_PII_BANK_CARD | KF_PII_PHONE | KF_PII_EMAIL | KF_PII_ADDRESS)
#define KF_PII_NTYPES 5

struct kf_pii_match {
    enum kf_pii_type type;
    size_t start, end; /* byte offsets, end exclusive */
    /* address only: the street-level part [part_start, part_end) that the
     * mask policy hides (zh: after the province/city/district prefix; en: the
     * number, street and unit); equal to start, end for other types */
    size_t part_start, part_end;
};

/* Matches in text order, non-overlapping, only of the types in `types`. */
size_t kf_pii_find(const char *text, size_t len, unsigned types, struct kf_pii_match *out,
                   size_t max);

/* Copy of text with every match masked (policy mask for every type); *count
 * (optional) gets how many. */
int kf_pii_mask(const char *text, size_t len, unsigned types, struct kf_arena *a, char **out,
                size_t *out_len, size_t *count, struct kf_err *err);

const char *kf_pii_type_name(enum kf_pii_type t);
/* 0..KF_PII_NTYPES-1 for a single type bit (its index in policy arrays). */
int kf_pii_type_index(enum kf_pii_type t);
/* "id_card,phone" → bit set; -1 for an unknown name (err says which). */
int kf_pii_parse_types(const char *list, unsigned *types, struct kf_err *err);

/* ---- keys and sealing ------------------------------------------------ */

#define KF_PII_KEY_BYTES 32
#define KF_PII_NONCE_BYTES 24 /* crypto_secretbox_NONCEBYTES */
#define KF_PII_MAC_BYTES 16   /* crypto_secretbox_MACBYTES */
#define KF_PII_KEY_ID_LEN 16  /* hex characters */

struct kf_pii_key {
    unsigned char seal[KF_PII_KEY_BYTES];      /* the vault key itself */
    unsigned char pseudonym[KF_PII_KEY_BYTES]; /* derived (crypto_kdf, id 1) */
    char id[KF_PII_KEY_ID_LEN + 1]; /* keyed hash of the key: names it in the
                                     * vault without revealing it */
};

/* sodium_init(); safe to call any number of times from any thread. */
int kf_pii_crypto_init(struct kf_err *err);

/* A key from 64 hex characters. Errors never quote the input. */
int kf_pii_key_from_hex(const char *hex, struct kf_pii_key *out, struct kf_err *err);
/* A key from a file holding 32 raw bytes (or 64 hex characters and an
 * optional newline). A missing file is created when `create` is set: 32 bytes
 * from randombytes, mode 0600, written to a temporary file and linked into
 * place (never half-written, never over another process's key), the folder
 * created if needed; *created (optional) tells. A file other users can read
 * or write, or of any other size, is an error. */
int kf_pii_key_load_file(const char *path, int create, struct kf_pii_key *out, int *created,
                         struct kf_err *err);
void kf_pii_key_wipe(struct kf_pii_key *k);

/* Seal plain[0..len): *nonce (KF_PII_NONCE_BYTES) and *ct (len +
 * KF_PII_MAC_BYTES bytes) are allocated from the arena. */
int kf_pii_seal(const struct kf_pii_key *k, const char *plain, size_t len, struct kf_arena *a,
                unsigned char **nonce, unsigned char **ct, size_t *ct_len, struct kf_err *err);
/* Open a sealed value: *plain (NUL-terminated, arena) and *len. A wrong key
 * or altered bytes give KF_EINVAL. */
int kf_pii_open(const struct kf_pii_key *k, const unsigned char *nonce, size_t nonce_len,
                const unsigned char *ct, size_t ct_len, struct kf_arena *a, char **plain,
                size_t *len, struct kf_err *err);

/* ---- policy ---------------------------------------------------------- */

enum kf_pii_action { KF_PII_MASK = 0, KF_PII_REDACT, KF_PII_HASH, KF_PII_KEEP };

struct kf_pii_policy {
    unsigned types; /* detected at all; default KF_PII_ALL */
    enum kf_pii_action action[KF_PII_NTYPES]; /* by kf_pii_type_index; default mask */
    const struct kf_pii_key *key; /* borrowed; needed when an action is hash */
};

struct kf_pii_policy kf_pii_default_policy(void);

/* "mask" | "redact" | "hash" | "keep" → action; KF_EINVAL otherwise. */
int kf_pii_parse_action(const char *s, enum kf_pii_action *out, struct kf_err *err);
const char *kf_pii_action_name(enum kf_pii_action a);

/* One match and where its replacement sits in the output. */
struct kf_pii_span {
    enum kf_pii_type type;
    enum kf_pii_action action;
    size_t start, end;         /* in the input */
    size_t out_start, out_end; /* in the output text */
};

struct kf_pii_result {
    char *text; /* NUL-terminated, arena */
    size_t len;
    struct kf_pii_span *spans; /* arena; n of them, in text order */
    size_t n;
};

/* Apply the policy to text. A hash action without a key is KF_EINVAL. */
int kf_pii_apply(const char *text, size_t len, const struct kf_pii_policy *p, struct kf_arena *a,
                 struct kf_pii_result *out, struct kf_err *err);

#endif
