/*
 * catalogue.h — the bot's product catalogue as entity dictionaries (I2):
 * products, brands, categories and attributes (features) with their names
 * and synonyms in zh and en, matched in one pass over the text
 * (Aho-Corasick automaton over case-folded text) and tolerant of one typo
 * in English words of five letters or more (a letter left out or added,
 * two neighbours swapped, or a letter replaced by a nearby key; the first
 * letter is kept, and only an 's' may be added or left out at the end, so
 * "apply" does not become "apple").
 *
 * File: bots/NAME/catalogue.yaml
 *
 *   categories:
 *     - id: phones                      # [a-z0-9_-]+, unique per kind
 *       names: {zh: [手机, 智能手机], en: [phone, smartphone, mobile phone]}
 *       parent: electronics             # optional, a category id
 *   brands:
 *     - id: huawei
 *       names: {zh: [华为], en: [Huawei]}
 *   attributes:
 *     - id: noise_cancelling
 *       names: {zh: [降噪, 主动降噪], en: [noise cancelling, ANC]}
 *   products:
 *     - id: huawei-mate60
 *       brand: huawei                   # optional, a brand id
 *       category: phones                # optional, a category id
 *       names: {zh: [华为Mate60, Mate60], en: [Huawei Mate 60, Mate 60]}
 *       price: 5999.00                  # optional (0 = unknown), CNY
 *       attributes: [5g, fast_charging] # optional, attribute ids
 *       specs: {storage: 256GB, colour: 黑色}   # optional, free text
 *
 * Every id referenced must exist; names are unique per kind after case
 * folding (an error names the file, line and the two entries). Latin names
 * match whole words only ("ram" is not found in "program"), with spaces and
 * hyphens optional between a Latin/digit run and the next ("Mate 60" =
 * "mate60" = "Mate-60"); Chinese names match anywhere. The longest match
 * wins; at one span a product beats a brand beats a category beats an
 * attribute.
 *
 * Entities: type "product" | "brand" | "category" | "attribute", value the
 * id as a JSON string, confidence 1.0 for an exact match and 0.8 for a
 * typo match.
 *
 * Ownership: a kf_catalogue is immutable after load and shared by threads.
 */
#ifndef KEFU_CATALOGUE_H
#define KEFU_CATALOGUE_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/entity.h"
#include "kefu/err.h"

struct kf_catalogue;

enum kf_catalogue_kind {
    KF_CAT_PRODUCT = 0,
    KF_CAT_BRAND,
    KF_CAT_CATEGORY,
    KF_CAT_ATTRIBUTE,
    KF_CAT_NKINDS
};

/* A product as the business layer reads it (issue 5). */
struct kf_catalogue_product {
    const char *id, *brand, *category; /* brand, category: NULL if not given */
    const char *name_zh, *name_en; /* first name per language, or NULL */
    double price;
    const char *const *attributes;
    size_t nattributes;
    /* products this one is made for (a case → the phone it fits), by id */
    const char *const *fits;
    size_t nfits;
    /* specs: key → text, in file order */
    const char *const *spec_keys;
    const char *const *spec_values;
    size_t nspecs;
};

/* The system's English word list (Debian wamerican): a word of it in the
 * text is never read as a typo of a catalogue word. */
#define KF_CATALOGUE_WORDS "/usr/share/dict/american-english"

int kf_catalogue_load(const char *path, struct kf_catalogue **out, struct kf_err *err);
/* The same with another word list (NULL: none; a missing file: none). */
int kf_catalogue_load_with(const char *path, const char *words, struct kf_catalogue **out,
                           struct kf_err *err);
void kf_catalogue_free(struct kf_catalogue *c); /* NULL is a no-op */

size_t kf_catalogue_count(const struct kf_catalogue *c, enum kf_catalogue_kind kind);
/* The i-th product in file order, or NULL past the end. */
const struct kf_catalogue_product *kf_catalogue_product_at(const struct kf_catalogue *c,
                                                           size_t i);
const struct kf_catalogue_product *kf_catalogue_product_find(const struct kf_catalogue *c,
                                                             const char *id);

/* Entities in text order, non-overlapping, at most max; returns the count.
 * text is valid UTF-8 of at most 64 KiB (longer text is cut there; bytes
 * that are not UTF-8 match nothing). Allocates from a; a full arena ends
 * the list early. */
/* The first name of an entry (any kind) in lang ("zh" | "en", falling back
 * to the other), or NULL for an unknown id. */
const char *kf_catalogue_name(const struct kf_catalogue *c, enum kf_catalogue_kind kind,
                              const char *id, const char *lang);

size_t kf_catalogue_match(const struct kf_catalogue *c, const char *text, size_t len,
                          struct kf_arena *a, struct kf_entity *out, size_t max);

#endif
