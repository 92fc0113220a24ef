/*
 * apriori.c — frequent itemsets by Apriori (Agrawal & Srikant 1994) over a
 * prefix trie of candidates; one of the two algorithms behind kf_mine
 * (mining.h), the other being fpgrowth.c. Input and output are mining.c's
 * (mining_int.h): prepared transactions in, kf_mine__emit out.
 *
 * Design notes
 *  - The candidates live in one prefix trie (after Borgelt's apriori): a
 *    node is an item, the path from the root is an itemset, and a node's
 *    children are contiguous in one node array, sorted by item. Level k of
 *    the trie holds the candidate k-itemsets.
 *
 *        root ─ a ─ b ─ c        {a,b}, {a,c}, {a,b,c} ...
 *             │   └ c
 *             └ b ─ c
 *
 *  - One pass over the transactions per level: counting descends the trie
 *    along the items of a sorted transaction (a merge of two sorted lists
 *    at each node, a binary search when the node has many more children
 *    than the transaction has items left), so a transaction touches only
 *    the candidates it contains.
 *  - Candidates of level k+1 are joined from two frequent siblings at
 *    level k (same k−1 prefix), then pruned: every k-subset must be a
 *    frequent node of the trie (the Apriori property), checked by walking
 *    the trie. Infrequent nodes stay (childless) so look-ups fail fast.
 *  - Bounds: at most KF_MINE_NODES_MAX trie nodes (KF_ETOOBIG), and
 *    max_len levels.
 */
#include <string.h>

#include "kefu/mem.h"
#include "mining_int.h"

struct ap_node {
    uint32_t item;
    uint32_t count;
    uint32_t child; /* first child's index (0: none) */
    uint32_t nchild;
};

struct ap_ctx {
    const struct mine_tx *t;
    struct mine_sets *sets;
    struct ap_node *v;
    size_t n, cap;
    uint32_t path[KF_MINE_LEN_MAX + 1];
    struct kf_err *err;
};

static int ap__append(struct ap_ctx *c, uint32_t item, uint32_t count)
{
    if (c->n >= KF_MINE_NODES_MAX)
        return kf_errorf(c->err, KF_ETOOBIG,
                         "more than %u candidate itemsets: raise the minimum support",
                         KF_MINE_NODES_MAX);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        struct ap_node *v = kf_realloc(c->v, cap * sizeof *v);
        if (v == NULL)
            return kf_errorf(c->err, KF_ENOMEM, "out of memory");
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (struct ap_node){.item = item, .count = count};
    return KF_OK;
}

/* The child of node with `item`, or 0. */
static uint32_t ap__child(const struct ap_ctx *c, uint32_t node, uint32_t item)
{
    uint32_t lo = c->v[node].child, hi = lo + c->v[node].nchild;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->v[mid].item < item)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->v[node].child + c->v[node].nchild && c->v[lo].item == item ? lo : 0;
}

/* Is the itemset items[0..len) a frequent node of the trie? */
static int ap__frequent(const struct ap_ctx *c, const uint32_t *items, int len)
{
    uint32_t node = 0;
    for (int i = 0; i < len && node != UINT32_MAX; i++) {
        uint32_t ch = ap__child(c, node, items[i]);
        node = ch != 0 ? ch : UINT32_MAX;
    }
    return node != UINT32_MAX && c->v[node].count >= c->t->minc;
}

/* Every subset of path[0..k] (k+1 items) without one of its first k−1
 * items is frequent (the other two subsets are the joined siblings). */
static int ap__subsets_frequent(const struct ap_ctx *c, int k)
{
    uint32_t sub[KF_MINE_LEN_MAX];
    for (int drop = 0; drop < k - 1; drop++) {
        int n = 0;
        for (int i = 0; i <= k; i++)
            if (i != drop)
                sub[n++] = c->path[i];
        if (!ap__frequent(c, sub, n))
            return 0;
    }
    return 1;
}

/* Children of the level-k node ci: joins with its frequent later siblings
 * (indices first..last of its parent), pruned. path[0..k-1] is ci's set. */
static int ap__join(struct ap_ctx *c, uint32_t ci, uint32_t last, int k, size_t *added)
{
    uint32_t start = (uint32_t)c->n;
    for (uint32_t cj = ci + 1; cj < last; cj++) {
        if (c->v[cj].count < c->t->minc)
            continue;
        c->path[k] = c->v[cj].item;
        if (!ap__subsets_frequent(c, k))
            continue;
        int rc = ap__append(c, c->v[cj].item, 0);
        if (rc != KF_OK)
            return rc;
    }
    c->v[ci].child = c->n > start ? start : 0;
    c->v[ci].nchild = (uint32_t)(c->n - start);
    *added += c->n - start;
    return KF_OK;
}

/* Candidates of level k+1 under node (at depth d, its set in path[0..d)). */
static int ap__generate(struct ap_ctx *c, uint32_t node, int d, int k, size_t *added)
{
    uint32_t first = c->v[node].child, last = first + c->v[node].nchild;
    for (uint32_t ch = first; ch < last; ch++) {
        if (c->v[ch].count < c->t->minc)
            continue;
        c->path[d] = c->v[ch].item;
        int rc = d + 1 == k ? ap__join(c, ch, last, k, added)
                 : c->v[ch].nchild > 0 ? ap__generate(c, ch, d + 1, k, added)
                                        : KF_OK;
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

/* First index in [lo, hi) whose item is ≥ x. */
static uint32_t ap__lower(const struct ap_node *v, uint32_t lo, uint32_t hi, uint32_t x)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid].item < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Count transaction t[0..n) (weight w) into the nodes `left` levels below
 * node: a merge of the transaction with the node's children. */
static void ap__count(struct ap_node *v, uint32_t node, const uint32_t *t, size_t n, int left,
                      uint32_t w)
{
    uint32_t j = v[node].child, end = j + v[node].nchild;
    int sparse = v[node].nchild > 8 * n; /* binary search beats the merge */
    for (size_t i = 0; i + (size_t)left <= n && j < end; i++) {
        if (sparse)
            j = ap__lower(v, j, end, t[i]);
        else
            while (j < end && v[j].item < t[i])
                j++;
        if (j == end)
            break;
        if (v[j].item != t[i])
            continue;
        if (left == 1)
            v[j].count += w;
        else if (v[j].nchild > 0)
            ap__count(v, j, t + i + 1, n - i - 1, left - 1, w);
        j++;
    }
}

/* Emit the frequent nodes of level k under node (depth d). */
static int ap__emit(struct ap_ctx *c, uint32_t node, int d, int k)
{
    uint32_t first = c->v[node].child, last = first + c->v[node].nchild;
    for (uint32_t ch = first; ch < last; ch++) {
        if (c->v[ch].count < c->t->minc)
            continue;
        c->path[d] = c->v[ch].item;
        int rc = d + 1 == k ? kf_mine__emit(c->sets, c->path, k, c->v[ch].count, c->err)
                 : c->v[ch].nchild > 0 ? ap__emit(c, ch, d + 1, k)
                                        : KF_OK;
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

int kf_mine__apriori(const struct mine_tx *t, struct mine_sets *s, struct kf_err *err)
{
    struct ap_ctx c = {.t = t, .sets = s, .err = err};
    int rc = ap__append(&c, UINT32_MAX, 0); /* the root */
    for (uint32_t r = 0; rc == KF_OK && r < t->nranks; r++)
        rc = ap__append(&c, r, t->rcount[r]);
    if (rc == KF_OK && t->nranks > 0) {
        c.v[0].child = 1;
        c.v[0].nchild = t->nranks;
    }
    for (int k = 1; rc == KF_OK && k < t->max_len; k++) {
        size_t added = 0;
        rc = ap__generate(&c, 0, 0, k, &added);
        if (rc != KF_OK || added == 0)
            break;
        for (size_t i = 0; i < t->n; i++) {
            size_t len = t->off[i + 1] - t->off[i];
            if (len > (size_t)k)
                ap__count(c.v, 0, t->item + t->off[i], len, k + 1, t->weight[i]);
        }
        rc = ap__emit(&c, 0, 0, k + 1);
    }
    kf_free(c.v);
    return rc;
}
