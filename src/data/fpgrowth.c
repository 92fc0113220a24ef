/*
 * fpgrowth.c — frequent itemsets by FP-growth (Han, Pei & Yin 2000); the
 * default algorithm behind kf_mine (mining.h) because it is the faster one
 * on our baskets (docs/benchmarks.md), with apriori.c selectable. Input
 * and output are mining.c's (mining_int.h).
 *
 * Design notes
 *  - An FP-tree stores the transactions as paths from the root, items in
 *    one fixed order, so baskets sharing a prefix share nodes; a node has
 *    its item, a count, its parent, and the next node of the same item (the
 *    header chain). Nodes are one array; children are a sibling list, the
 *    root's children a direct table by item (the root has the most).
 *  - Items are the prepared ranks (0 = most frequent), so a transaction
 *    sorted ascending is already in FP-tree order. A conditional tree keeps
 *    that order: its items are the frequent items of the conditional base,
 *    numbered locally in ascending global rank, so a prefix path read
 *    upwards and reversed is in order without sorting.
 *  - mine(T, prefix): for each item x of T, emit prefix ∪ {x} with the
 *    count of x in T; if the prefix may grow (max_len), build the tree of
 *    x's prefix paths (each with the count of its x node), keep only the
 *    items frequent there, and recurse. Recursion depth ≤ max_len.
 *  - Bounds: at most KF_MINE_NODES_MAX nodes per tree (KF_ETOOBIG).
 */
#include <string.h>

#include "kefu/mem.h"
#include "mining_int.h"

struct fp_node {
    uint32_t item, count;
    uint32_t parent, next; /* next: same item's next node (0: end) */
    uint32_t child, sibling;
};

struct fp_tree {
    struct fp_node *v; /* v[0] is the root */
    size_t n, cap;
    uint32_t nitems;    /* local items 0..nitems-1 */
    uint32_t *map;      /* local item → global rank */
    uint32_t *head;     /* local item → first node of its chain */
    uint32_t *count;    /* local item → total count */
    uint32_t *rootchild;
};

struct fp_ctx {
    const struct mine_tx *t;
    struct mine_sets *sets;
    uint32_t prefix[KF_MINE_LEN_MAX];
    struct kf_err *err;
};

static void fp__release(struct fp_tree *T)
{
    kf_free(T->v);
    kf_free(T->map);
    kf_free(T->head);
    kf_free(T->count);
    kf_free(T->rootchild);
    memset(T, 0, sizeof *T);
}

static int fp__init(struct fp_tree *T, uint32_t nitems, size_t hint, struct kf_err *err)
{
    memset(T, 0, sizeof *T);
    size_t m = nitems ? nitems : 1;
    T->nitems = nitems;
    T->cap = hint < 16 ? 16 : hint;
    T->v = kf_malloc(T->cap * sizeof *T->v);
    T->map = kf_malloc(m * sizeof *T->map);
    T->head = kf_calloc(m, sizeof *T->head);
    T->count = kf_calloc(m, sizeof *T->count);
    T->rootchild = kf_calloc(m, sizeof *T->rootchild);
    if (T->v == NULL || T->map == NULL || T->head == NULL || T->count == NULL ||
        T->rootchild == NULL) {
        fp__release(T);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    T->v[0] = (struct fp_node){.item = UINT32_MAX};
    T->n = 1;
    return KF_OK;
}

static int fp__new_node(struct fp_tree *T, uint32_t item, uint32_t parent, struct kf_err *err)
{
    if (T->n >= KF_MINE_NODES_MAX)
        return kf_errorf(err, KF_ETOOBIG, "FP-tree larger than %u nodes: raise the minimum "
                         "support", KF_MINE_NODES_MAX);
    if (T->n == T->cap) {
        struct fp_node *v = kf_realloc(T->v, T->cap * 2 * sizeof *v);
        if (v == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        T->v = v;
        T->cap *= 2;
    }
    uint32_t id = (uint32_t)T->n++;
    T->v[id] = (struct fp_node){.item = item, .parent = parent, .next = T->head[item]};
    T->head[item] = id;
    if (parent == 0) {
        T->rootchild[item] = id;
    } else {
        T->v[id].sibling = T->v[parent].child;
        T->v[parent].child = id;
    }
    return KF_OK;
}

/* Add the path items[0..n) (local items, ascending) with weight w. */
static int fp__insert(struct fp_tree *T, const uint32_t *items, size_t n, uint32_t w,
                      struct kf_err *err)
{
    uint32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = items[i], ch;
        if (node == 0) {
            ch = T->rootchild[x];
        } else {
            ch = T->v[node].child;
            while (ch != 0 && T->v[ch].item != x)
                ch = T->v[ch].sibling;
        }
        if (ch == 0) {
            int rc = fp__new_node(T, x, node, err);
            if (rc != KF_OK)
                return rc;
            ch = (uint32_t)T->n - 1;
        }
        T->v[ch].count += w;
        T->count[x] += w;
        node = ch;
    }
    return KF_OK;
}

/* The conditional tree C of item x in T: x's prefix paths, frequent items
 * only. C.nitems == 0 when none is frequent. */
static int fp__conditional(const struct fp_ctx *c, const struct fp_tree *T, uint32_t x,
                           struct fp_tree *C)
{
    memset(C, 0, sizeof *C);
    uint32_t *cnt = kf_calloc(x, sizeof *cnt);
    uint32_t *local = kf_malloc(x * sizeof *local);
    uint32_t *path = kf_malloc(x * sizeof *path);
    int rc = KF_OK;
    if (cnt == NULL || local == NULL || path == NULL) {
        rc = kf_errorf(c->err, KF_ENOMEM, "out of memory");
        goto out;
    }
    size_t cells = 0;
    for (uint32_t v = T->head[x]; v != 0; v = T->v[v].next)
        for (uint32_t p = T->v[v].parent; p != 0; p = T->v[p].parent, cells++)
            cnt[T->v[p].item] += T->v[v].count;
    uint32_t k = 0;
    for (uint32_t l = 0; l < x; l++)
        local[l] = cnt[l] >= c->t->minc ? k++ : UINT32_MAX;
    if (k == 0)
        goto out;
    rc = fp__init(C, k, cells + 1, c->err);
    for (uint32_t l = 0; rc == KF_OK && l < x; l++)
        if (local[l] != UINT32_MAX)
            C->map[local[l]] = T->map[l];
    for (uint32_t v = T->head[x]; rc == KF_OK && v != 0; v = T->v[v].next) {
        size_t n = 0;
        for (uint32_t p = T->v[v].parent; p != 0; p = T->v[p].parent)
            if (local[T->v[p].item] != UINT32_MAX)
                path[n++] = local[T->v[p].item];
        for (size_t i = 0; i < n / 2; i++) { /* upwards → ascending */
            uint32_t tmp = path[i];
            path[i] = path[n - 1 - i];
            path[n - 1 - i] = tmp;
        }
        if (n > 0)
            rc = fp__insert(C, path, n, T->v[v].count, c->err);
    }
    if (rc != KF_OK)
        fp__release(C);
out:
    kf_free(cnt);
    kf_free(local);
    kf_free(path);
    return rc;
}

/* Emit prefix ∪ {x} for every item x of T (depth: the prefix's length)
 * and recurse into x's conditional tree. */
static int fp__mine(struct fp_ctx *c, const struct fp_tree *T, int depth)
{
    for (uint32_t x = T->nitems; x-- > 0;) {
        c->prefix[depth] = T->map[x];
        int rc = KF_OK;
        if (depth > 0)
            rc = kf_mine__emit(c->sets, c->prefix, depth + 1, T->count[x], c->err);
        if (rc == KF_OK && depth + 1 < c->t->max_len && x > 0) {
            struct fp_tree C = {0};
            rc = fp__conditional(c, T, x, &C);
            if (rc == KF_OK && C.nitems > 0) {
                rc = fp__mine(c, &C, depth + 1);
                fp__release(&C);
            }
        }
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

int kf_mine__fpgrowth(const struct mine_tx *t, struct mine_sets *s, struct kf_err *err)
{
    struct fp_ctx c = {.t = t, .sets = s, .err = err};
    struct fp_tree T;
    int rc = fp__init(&T, t->nranks, t->off[t->n] / 2 + 1, err);
    if (rc != KF_OK)
        return rc;
    for (uint32_t r = 0; r < t->nranks; r++)
        T.map[r] = r;
    for (size_t i = 0; rc == KF_OK && i < t->n; i++)
        rc = fp__insert(&T, t->item + t->off[i], t->off[i + 1] - t->off[i], t->weight[i], err);
    if (rc == KF_OK)
        rc = fp__mine(&c, &T, 0);
    fp__release(&T);
    return rc;
}
