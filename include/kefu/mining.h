/*
 * mining.h — association rules over baskets (issue 6): frequent itemsets by
 * FP-growth or Apriori, rules X → y with support, confidence and lift, and
 * the versioned rule sets in the store that cross-sell reads.
 *
 * Two halves:
 *  - the algorithm (no store): baskets are sets of small integer item ids
 *    (struct kf_baskets, with an optional name per id); kf_mine finds the
 *    itemsets bought together in at least min_count baskets, up to max_len
 *    items, and the rules X → y (one consequent item, an antecedent of up to
 *    max_len − 1 items) that pass min_confidence and min_lift. Both
 *    algorithms give the same result, in one canonical order
 *    (src/data/apriori.c, src/data/fpgrowth.c; docs/mining.md).
 *  - the store: baskets from the `order` events (events.h), rule sets saved
 *    as numbered versions (one active per level, old ones kept, any can be
 *    activated again), and the look-ups cross-sell and `kefu mine rules
 *    --explain` use.
 *
 * Definitions, for N baskets and count(S) = baskets holding every item of S:
 *   support(X → y) = count(X ∪ {y}) / N
 *   confidence     = count(X ∪ {y}) / count(X)
 *   lift           = confidence / (count({y}) / N)
 *
 * Limits: an item name is at most KF_MINE_NAME_MAX bytes, a basket at most
 * KF_MINE_BASKET_MAX distinct items, at most KF_MINE_ITEMS_MAX distinct items
 * and KF_MINE_CELLS_MAX basket items in all; max_itemsets and max_rules
 * bound the output (params).
 *
 * Ownership: a kf_baskets is the caller's (kf_baskets_free); a result's
 * arrays belong to the result (kf_mine_result_release); JSON from the store
 * functions is the caller's (json_decref).
 */
#ifndef KEFU_MINING_H
#define KEFU_MINING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_MINE_NAME_MAX 64
#define KF_MINE_BASKET_MAX 1000
#define KF_MINE_ITEMS_MAX (1u << 20)
#define KF_MINE_CELLS_MAX 200000000u
#define KF_MINE_LEN_MAX 8

/* ---- baskets ---------------------------------------------------------- */

struct kf_baskets;

struct kf_baskets *kf_baskets_new(void); /* NULL: out of memory */
void kf_baskets_free(struct kf_baskets *b); /* NULL is a no-op */

/* The id of an item name (1..KF_MINE_NAME_MAX bytes), added when new. */
int kf_baskets_item(struct kf_baskets *b, const char *name, size_t len, uint32_t *id,
                    struct kf_err *err);
/* An id's name (owned by b), or NULL for an id added without one. */
const char *kf_baskets_name(const struct kf_baskets *b, uint32_t id);
/* The id of a known name, or -1. */
long kf_baskets_find(const struct kf_baskets *b, const char *name);

/* Add one basket of item ids (< KF_MINE_ITEMS_MAX; repeats count once) or
 * of names. An empty basket still counts in N. */
int kf_baskets_add_ids(struct kf_baskets *b, const uint32_t *ids, size_t n, struct kf_err *err);
int kf_baskets_add(struct kf_baskets *b, const char *const *names, size_t n, struct kf_err *err);

/* One basket per line, items separated by spaces, tabs or commas; a line
 * starting with '#' is skipped, a blank line is an empty basket (it counts
 * in N, as an order without items would). Errors name "path:line". */
int kf_baskets_read_file(struct kf_baskets *b, const char *path, struct kf_err *err);

size_t kf_baskets_count(const struct kf_baskets *b);  /* baskets (N) */
size_t kf_baskets_nitems(const struct kf_baskets *b); /* distinct item ids (max id + 1) */
/* Basket i's items, ascending, valid until the next add. */
const uint32_t *kf_baskets_get(const struct kf_baskets *b, size_t i, size_t *n);

/* ---- mining ----------------------------------------------------------- */

enum kf_mine_algorithm { KF_MINE_FPGROWTH, KF_MINE_APRIORI };

struct kf_mine_params {
    double min_support;      /* fraction of baskets in (0, 1]; default 0.01 */
    long long min_count;     /* > 0: this many baskets instead of min_support */
    double min_confidence;   /* [0, 1]; default 0.2 */
    double min_lift;         /* ≥ 0; default 1.0 */
    int max_len;             /* itemset length 1..KF_MINE_LEN_MAX; default 3 */
    enum kf_mine_algorithm algorithm; /* default FP-growth (the faster, bench/apriori.sh) */
    size_t max_itemsets;     /* more frequent itemsets: KF_ETOOBIG; default 100000 */
    size_t max_rules;        /* rules kept (best first); default 100000 */
};

struct kf_mine_params kf_mine_default_params(void);
/* "fpgrowth" | "apriori" (KF_EINVAL names the choices). */
int kf_mine_algorithm_parse(const char *s, enum kf_mine_algorithm *out, struct kf_err *err);
const char *kf_mine_algorithm_name(enum kf_mine_algorithm a);

/* A frequent itemset: items ascending. */
struct kf_itemset {
    const uint32_t *items;
    int len;
    long long count;
};

struct kf_rule {
    const uint32_t *antecedent; /* ascending */
    int nante;
    const uint32_t *consequent; /* ascending (today always one item) */
    int ncons;
    long long count; /* baskets holding antecedent and consequent */
    double support, confidence, lift;
};

struct kf_mine_result {
    size_t baskets;       /* N */
    long long min_count;  /* the support threshold in baskets */
    struct kf_itemset *itemsets; /* by length, then items */
    size_t nitemsets;
    struct kf_rule *rules; /* best first: lift × confidence, then support, then items */
    size_t nrules;
    size_t rules_dropped; /* rules past max_rules (the lowest ranked), not kept */
    double seconds;       /* wall time of kf_mine */
    uint32_t *pool_;      /* item storage (internal) */
};

/* Frequent itemsets and rules of b. KF_EINVAL names a bad parameter;
 * KF_ETOOBIG when more than max_itemsets itemsets are frequent (raise the
 * support or lower max_len). */
int kf_mine(const struct kf_baskets *b, struct kf_mine_params p, struct kf_mine_result *out,
            struct kf_err *err);
void kf_mine_result_release(struct kf_mine_result *r);

/* ---- rule sets in the store ------------------------------------------- */

/* The baskets of the store's order events at level "sku" | "category": one
 * per event of type order, its items' skus or categories (items without
 * one are left out). Added to b. */
int kf_rules_baskets(struct kf_store *st, const char *level, struct kf_baskets *b,
                     struct kf_err *err);

/* Save r (mined from b with p) as a new version of level's rules and make it
 * the active one; *version gets its number. Items need names. */
int kf_rules_save(struct kf_store *st, const char *level, const struct kf_baskets *b,
                  const struct kf_mine_params *p, const struct kf_mine_result *r,
                  long long *version, struct kf_err *err);

struct kf_rules_run {
    long long version; /* 0: nothing saved */
    size_t baskets, itemsets, rules;
    double seconds; /* the whole run */
};

/* The whole job of `kefu mine rules`: copy the shop's orders into events
 * (kf_events_sync_shop), read the baskets, mine, save as the new active
 * version of level. */
int kf_rules_mine_store(struct kf_store *st, const char *level, struct kf_mine_params p,
                        struct kf_rules_run *run, struct kf_err *err);

/* Make a saved version the active one of its level (KF_ENOTFOUND). */
int kf_rules_activate(struct kf_store *st, long long version, struct kf_err *err);

/* Saved versions, newest first (level NULL: both):
 * [{"version","level","created_at","params":{..},"baskets","nrules","active"}]. */
int kf_rules_versions(struct kf_store *st, const char *level, json_t **out, struct kf_err *err);

/* Rules of the active set of `level` with `item` in the antecedent or the
 * consequent, best first, at most limit (1..1000): the cross-sell shape
 * below. An empty array when there is no active set. */
int kf_rules_explain(struct kf_store *st, const char *level, const char *item, int limit,
                     json_t **out, struct kf_err *err);

/* Rules of the active set of `level` ("sku" | "category") whose antecedent is contained in items[0..n)
 * and whose consequent is not among them, best first (lift × confidence), at most limit (1..100):
 * out = [{"antecedent":[..],"consequent":[..],"support","confidence","lift","count","rule_id","version"}]
 * (an empty array when there is no active set). */
int kf_rules_cross_sell(struct kf_store *st, const char *level, const char *const *items, size_t n,
                        int limit, json_t **out, struct kf_err *err);

#endif
