/*
 * mining_int.h — internals of association rules (mining.h), shared by
 * mining.c (baskets, preparation, rules, the store's forwarders),
 * apriori.c and fpgrowth.c, and the backend table the store fills in
 * (src/data/sqlite/sqlite_mining.c).
 *
 * The two algorithms see the same prepared input (struct mine_tx): items
 * below the support threshold are gone, the rest are renumbered by rank
 * (0 = the most frequent), every basket is sorted by rank, and identical
 * baskets are merged into one with a weight. They report the frequent
 * itemsets of two or more items through kf_mine__emit (mining.c), which
 * turns ranks back into item ids and enforces max_itemsets; mining.c adds
 * the single items and derives the rules, so both give the same result.
 */
#ifndef KEFU_MINING_INT_H
#define KEFU_MINING_INT_H

#include <stdint.h>

#include "kefu/mining.h"
#include "store_int.h"

/* Candidate / tree nodes one tree may hold (16 bytes each in the trie, 24 in an FP-tree). */
#define KF_MINE_NODES_MAX (32u * 1024 * 1024)

/* Prepared transactions (see above). */
struct mine_tx {
    size_t n;           /* distinct transactions of 2+ frequent items */
    size_t *off;        /* n + 1 offsets into item */
    uint32_t *item;     /* ranks, ascending within a transaction */
    uint32_t *weight;   /* how many baskets each transaction stands for */
    uint32_t nranks;    /* frequent items */
    uint32_t *orig;     /* rank → item id */
    uint32_t *rcount;   /* rank → baskets holding it */
    uint32_t minc;      /* support threshold in baskets (≥ 1) */
    int max_len;
};

/* The frequent itemsets found so far: items are ids, ascending. */
struct mine_set {
    size_t off; /* into pool */
    int len;
    uint32_t count;
};

struct mine_sets {
    uint32_t *pool;
    size_t plen, pcap;
    struct mine_set *v;
    size_t n, cap, max;
    const struct mine_tx *tx;
};

/* Record the itemset of `len` ranks with its count. KF_ETOOBIG past max. */
int kf_mine__emit(struct mine_sets *s, const uint32_t *ranks, int len, uint32_t count,
                  struct kf_err *err);

/* The frequent itemsets of 2..max_len items of t, each emitted once. */
int kf_mine__apriori(const struct mine_tx *t, struct mine_sets *s, struct kf_err *err);
int kf_mine__fpgrowth(const struct mine_tx *t, struct mine_sets *s, struct kf_err *err);

/* ---- the store's half --------------------------------------------------- */

/* A rule set to save: rules of r named by b. */
struct kf_rule_set_write {
    const char *level;
    const char *params_json; /* the mining parameters, a JSON object */
    long long created_at;    /* ms */
    const struct kf_baskets *b;
    const struct kf_mine_result *r;
};

struct kf_mining_ops {
    /* Baskets of order events at level (checked: "sku" | "category"). */
    int (*baskets)(struct kf_store *st, const char *level, struct kf_baskets *b,
                   struct kf_err *err);
    /* A new version, active for its level, in one transaction. */
    int (*save)(struct kf_store *st, const struct kf_rule_set_write *w, long long *version,
                struct kf_err *err);
    int (*activate)(struct kf_store *st, long long version, struct kf_err *err);
    int (*versions)(struct kf_store *st, const char *level, json_t **out, struct kf_err *err);
    /* items: a JSON array of strings (1 for explain). */
    int (*explain)(struct kf_store *st, const char *level, const char *item, int limit,
                   json_t **out, struct kf_err *err);
    int (*cross_sell)(struct kf_store *st, const char *level, json_t *items, int limit,
                      json_t **out, struct kf_err *err);
};

#endif
