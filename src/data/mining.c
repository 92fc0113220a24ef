/*
 * mining.c — association rules (mining.h): baskets, the preparation both
 * algorithms share, the rules derived from frequent itemsets, and the
 * store's rule-set functions (checks, then a forward to st->mining).
 *
 * How it fits: kf_mine prepares the baskets (struct mine_tx, mining_int.h),
 * records the frequent single items itself and asks apriori.c or
 * fpgrowth.c for the longer itemsets; then it sorts them into one canonical
 * order and derives the rules here, so the algorithm chosen never changes
 * the result — only the time it takes. The SQLite half of the rule sets is
 * src/data/sqlite/sqlite_mining.c (migration 4: rule_sets, assoc_rules,
 * assoc_rule_items).
 *
 * Design notes
 *  - Baskets are stored compressed-row: one array of item ids, one of
 *    offsets. An item id is an index; names are optional (the pure
 *    algorithm and its tests work on bare ids).
 *  - Preparation drops items below the threshold (they cannot be in any
 *    frequent itemset), renumbers the rest by descending frequency, sorts
 *    the baskets and merges identical ones with a weight: on a skewed
 *    million baskets that leaves a fraction of the input for the algorithms.
 *  - Rules come from itemsets: for a frequent I and each y in I, X = I \ {y}
 *    is frequent too (every subset of a frequent set is), so its count is a
 *    hash look-up; rule X → y is kept when its confidence and lift pass. The
 *    rule's antecedent and consequent point at X's and {y}'s items in the
 *    itemset pool: no copies.
 *  - Bounds: names, baskets, distinct items and cells are capped
 *    (mining.h); more than max_itemsets frequent itemsets is KF_ETOOBIG
 *    rather than a memory blow-up; rules past max_rules are dropped from
 *    the bottom and counted.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/events.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"
#include "mining_int.h"

/* ==== baskets =========================================================== */

struct kf_baskets {
    size_t n;      /* baskets */
    size_t *off;   /* n + 1 */
    size_t offcap;
    uint32_t *cell;
    size_t ncell, cellcap;
    uint32_t nitems; /* max id + 1 */
    char **names;    /* id → name, or NULL */
    size_t namecap;
    struct kf_map *byname; /* name → id + 1 */
};

struct kf_baskets *kf_baskets_new(void)
{
    struct kf_baskets *b = kf_calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->off = kf_malloc(16 * sizeof *b->off);
    b->byname = kf_map_new(64);
    if (b->off == NULL || b->byname == NULL) {
        kf_baskets_free(b);
        return NULL;
    }
    b->offcap = 16;
    b->off[0] = 0;
    return b;
}

void kf_baskets_free(struct kf_baskets *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->namecap; i++)
        kf_free(b->names[i]);
    kf_free(b->names);
    kf_map_free(b->byname);
    kf_free(b->off);
    kf_free(b->cell);
    kf_free(b);
}

/* Grow *p (elements of size sz, capacity *cap) to hold need. */
static int mine__grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return KF_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = kf_realloc(*p, c * sz);
    if (q == NULL)
        return KF_ENOMEM;
    *p = q;
    *cap = c;
    return KF_OK;
}

int kf_baskets_item(struct kf_baskets *b, const char *name, size_t len, uint32_t *id,
                    struct kf_err *err)
{
    if (len == 0 || len > KF_MINE_NAME_MAX)
        return kf_errorf(err, KF_EINVAL, "item name: %zu bytes, expected 1..%d", len,
                         KF_MINE_NAME_MAX);
    if (!kf_utf8_valid_text(name, len))
        return kf_errorf(err, KF_EUTF8, "item name: invalid UTF-8");
    void *v = kf_map_get(b->byname, name, len);
    if (v != NULL) {
        *id = (uint32_t)((uintptr_t)v - 1);
        return KF_OK;
    }
    if (b->nitems >= KF_MINE_ITEMS_MAX)
        return kf_errorf(err, KF_ETOOBIG, "more than %u distinct items", KF_MINE_ITEMS_MAX);
    uint32_t nid = b->nitems;
    size_t oldcap = b->namecap;
    if (mine__grow((void **)&b->names, &b->namecap, (size_t)nid + 1, sizeof *b->names) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    for (size_t i = oldcap; i < b->namecap; i++) /* ids added bare have no name */
        b->names[i] = NULL;
    b->names[nid] = kf_strndup(name, len);
    if (b->names[nid] == NULL ||
        kf_map_put(b->byname, name, len, (void *)(uintptr_t)(nid + 1), NULL) != KF_OK) {
        kf_free(b->names[nid]);
        b->names[nid] = NULL;
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    b->nitems = nid + 1;
    *id = nid;
    return KF_OK;
}

const char *kf_baskets_name(const struct kf_baskets *b, uint32_t id)
{
    return id < b->namecap ? b->names[id] : NULL;
}

long kf_baskets_find(const struct kf_baskets *b, const char *name)
{
    void *v = kf_map_get(b->byname, name, strlen(name));
    return v != NULL ? (long)((uintptr_t)v - 1) : -1;
}

static int mine__cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort v[0..n) and drop repeats; returns the new length. */
static size_t mine__sort_unique(uint32_t *v, size_t n)
{
    if (n < 2)
        return n;
    qsort(v, n, sizeof *v, mine__cmp_u32);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

int kf_baskets_add_ids(struct kf_baskets *b, const uint32_t *ids, size_t n, struct kf_err *err)
{
    if (n > KF_MINE_BASKET_MAX)
        return kf_errorf(err, KF_ETOOBIG, "basket of %zu items: at most %d", n,
                         KF_MINE_BASKET_MAX);
    if (b->ncell + n > KF_MINE_CELLS_MAX || b->n + 1 >= KF_MINE_CELLS_MAX)
        return kf_errorf(err, KF_ETOOBIG, "more than %u basket items in all", KF_MINE_CELLS_MAX);
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= KF_MINE_ITEMS_MAX)
            return kf_errorf(err, KF_EINVAL, "item id %u: at most %u", ids[i],
                             KF_MINE_ITEMS_MAX - 1);
    if (mine__grow((void **)&b->cell, &b->cellcap, b->ncell + n, sizeof *b->cell) != KF_OK ||
        mine__grow((void **)&b->off, &b->offcap, b->n + 2, sizeof *b->off) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    uint32_t *dst = b->cell + b->ncell;
    if (n > 0)
        memcpy(dst, ids, n * sizeof *ids);
    n = mine__sort_unique(dst, n);
    for (size_t i = 0; i < n; i++)
        if (dst[i] >= b->nitems)
            b->nitems = dst[i] + 1;
    b->ncell += n;
    b->off[++b->n] = b->ncell;
    return KF_OK;
}

int kf_baskets_add(struct kf_baskets *b, const char *const *names, size_t n, struct kf_err *err)
{
    if (n > KF_MINE_BASKET_MAX)
        return kf_errorf(err, KF_ETOOBIG, "basket of %zu items: at most %d", n,
                         KF_MINE_BASKET_MAX);
    uint32_t ids[KF_MINE_BASKET_MAX];
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL)
            return kf_errorf(err, KF_EINVAL, "item %zu: missing", i);
        int rc = kf_baskets_item(b, names[i], strlen(names[i]), &ids[i], err);
        if (rc != KF_OK)
            return rc;
    }
    return kf_baskets_add_ids(b, ids, n, err);
}

/* One line of a basket file: items split on spaces, tabs and commas. */
static int mine__line(struct kf_baskets *b, char *line, struct kf_err *err)
{
    uint32_t ids[KF_MINE_BASKET_MAX];
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        char *s = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',' && *p != '\r' && *p != '\n')
            p++;
        if (n == KF_MINE_BASKET_MAX)
            return kf_errorf(err, KF_ETOOBIG, "more than %d items", KF_MINE_BASKET_MAX);
        int rc = kf_baskets_item(b, s, (size_t)(p - s), &ids[n++], err);
        if (rc != KF_OK)
            return kf_err_prefix(err, "item '%.*s'", (int)((p - s) > 40 ? 40 : (p - s)), s);
    }
    return kf_baskets_add_ids(b, ids, n, err);
}

int kf_baskets_read_file(struct kf_baskets *b, const char *path, struct kf_err *err)
{
    enum { LINE_MAX_ = 65536 };
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return kf_errorf(err, KF_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *line = kf_malloc(LINE_MAX_ + 2);
    if (line == NULL) {
        fclose(f);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    int rc = KF_OK;
    long lineno = 0;
    while (rc == KF_OK && fgets(line, LINE_MAX_ + 2, f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len > LINE_MAX_ || (len == LINE_MAX_ + 1 && line[len - 1] != '\n')) {
            rc = kf_errorf(err, KF_ETOOBIG, "%s:%ld: line longer than %d bytes", path, lineno,
                           LINE_MAX_);
            break;
        }
        if (line[0] == '#')
            continue;
        rc = mine__line(b, line, err);
        if (rc != KF_OK)
            kf_err_prefix(err, "%s:%ld", path, lineno);
    }
    if (rc == KF_OK && ferror(f))
        rc = kf_errorf(err, KF_EIO, "%s: read error", path);
    kf_free(line);
    fclose(f);
    return rc;
}

size_t kf_baskets_count(const struct kf_baskets *b)
{
    return b->n;
}

size_t kf_baskets_nitems(const struct kf_baskets *b)
{
    return b->nitems;
}

const uint32_t *kf_baskets_get(const struct kf_baskets *b, size_t i, size_t *n)
{
    *n = b->off[i + 1] - b->off[i];
    return b->cell + b->off[i];
}

/* ==== parameters ======================================================== */

struct kf_mine_params kf_mine_default_params(void)
{
    return (struct kf_mine_params){
        .min_support = 0.01,
        .min_count = 0,
        .min_confidence = 0.2,
        .min_lift = 1.0,
        .max_len = 3,
        .algorithm = KF_MINE_FPGROWTH,
        .max_itemsets = 100000,
        .max_rules = 100000,
    };
}

int kf_mine_algorithm_parse(const char *s, enum kf_mine_algorithm *out, struct kf_err *err)
{
    if (s != NULL && strcmp(s, "fpgrowth") == 0)
        *out = KF_MINE_FPGROWTH;
    else if (s != NULL && strcmp(s, "apriori") == 0)
        *out = KF_MINE_APRIORI;
    else
        return kf_errorf(err, KF_EINVAL, "algorithm: '%s', expected apriori or fpgrowth",
                         s ? s : "");
    return KF_OK;
}

const char *kf_mine_algorithm_name(enum kf_mine_algorithm a)
{
    return a == KF_MINE_APRIORI ? "apriori" : "fpgrowth";
}

static int mine__check_params(const struct kf_mine_params *p, struct kf_err *err)
{
    if (p->min_count <= 0 && !(p->min_support > 0 && p->min_support <= 1))
        return kf_errorf(err, KF_EINVAL, "min_support: %g, expected (0, 1]", p->min_support);
    if (p->min_count > (long long)UINT32_MAX)
        return kf_errorf(err, KF_EINVAL, "min_count: %lld too large", p->min_count);
    if (!(p->min_confidence >= 0 && p->min_confidence <= 1))
        return kf_errorf(err, KF_EINVAL, "min_confidence: %g, expected [0, 1]",
                         p->min_confidence);
    if (!(p->min_lift >= 0 && isfinite(p->min_lift)))
        return kf_errorf(err, KF_EINVAL, "min_lift: %g, expected ≥ 0", p->min_lift);
    if (p->max_len < 1 || p->max_len > KF_MINE_LEN_MAX)
        return kf_errorf(err, KF_EINVAL, "max_len: %d, expected 1..%d", p->max_len,
                         KF_MINE_LEN_MAX);
    if (p->algorithm != KF_MINE_FPGROWTH && p->algorithm != KF_MINE_APRIORI)
        return kf_errorf(err, KF_EINVAL, "algorithm: unknown (%d)", (int)p->algorithm);
    if (p->max_itemsets < 1 || p->max_itemsets > 10000000)
        return kf_errorf(err, KF_EINVAL, "max_itemsets: %zu, expected 1..10000000",
                         p->max_itemsets);
    if (p->max_rules < 1 || p->max_rules > 10000000)
        return kf_errorf(err, KF_EINVAL, "max_rules: %zu, expected 1..10000000", p->max_rules);
    return KF_OK;
}

/* ==== preparation ======================================================= */

static void mine__tx_release(struct mine_tx *t)
{
    kf_free(t->off);
    kf_free(t->item);
    kf_free(t->weight);
    kf_free(t->orig);
    kf_free(t->rcount);
    memset(t, 0, sizeof *t);
}

static int mine__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Frequent items by count descending, then id: t->orig (rank → id),
 * t->rcount, and rank_of (id → rank, UINT32_MAX when infrequent). */
static int mine__rank(const struct kf_baskets *b, struct mine_tx *t, uint32_t **rank_of)
{
    size_t m = b->nitems ? b->nitems : 1;
    uint32_t *count = kf_calloc(m, sizeof *count);
    uint64_t *key = kf_malloc(m * sizeof *key);
    *rank_of = kf_malloc(m * sizeof **rank_of);
    t->orig = kf_malloc(m * sizeof *t->orig);
    t->rcount = kf_malloc(m * sizeof *t->rcount);
    if (count == NULL || key == NULL || *rank_of == NULL || t->orig == NULL ||
        t->rcount == NULL) {
        kf_free(count);
        kf_free(key);
        return KF_ENOMEM;
    }
    for (size_t i = 0; i < b->ncell; i++)
        count[b->cell[i]]++;
    size_t nf = 0;
    for (size_t i = 0; i < b->nitems; i++) {
        (*rank_of)[i] = UINT32_MAX;
        if (count[i] >= t->minc)
            key[nf++] = ((uint64_t)(UINT32_MAX - count[i]) << 32) | i;
    }
    qsort(key, nf, sizeof *key, mine__cmp_u64);
    for (size_t r = 0; r < nf; r++) {
        t->orig[r] = (uint32_t)key[r];
        t->rcount[r] = count[t->orig[r]];
        (*rank_of)[t->orig[r]] = (uint32_t)r;
    }
    t->nranks = (uint32_t)nf;
    kf_free(key);
    kf_free(count);
    return KF_OK;
}

/* Transactions i and j of the unmerged arrays, lexicographically. */
static int mine__cmp_tx(const void *a, const void *b, void *arg)
{
    const struct mine_tx *t = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const uint32_t *x = t->item + t->off[i], *y = t->item + t->off[j];
    size_t nx = t->off[i + 1] - t->off[i], ny = t->off[j + 1] - t->off[j];
    for (size_t k = 0; k < nx && k < ny; k++)
        if (x[k] != y[k])
            return x[k] < y[k] ? -1 : 1;
    return nx < ny ? -1 : nx > ny;
}

/* Baskets as ranks, sorted, 2+ items only (single items are counted by
 * mine__rank already). */
static int mine__project(const struct kf_baskets *b, const uint32_t *rank_of, struct mine_tx *t)
{
    t->off = kf_malloc((b->n + 1) * sizeof *t->off);
    t->item = kf_malloc((b->ncell ? b->ncell : 1) * sizeof *t->item);
    if (t->off == NULL || t->item == NULL)
        return KF_ENOMEM;
    size_t n = 0, len = 0;
    t->off[0] = 0;
    for (size_t i = 0; i < b->n; i++) {
        size_t k = 0;
        for (size_t c = b->off[i]; c < b->off[i + 1]; c++)
            if (rank_of[b->cell[c]] != UINT32_MAX)
                t->item[len + k++] = rank_of[b->cell[c]];
        if (k < 2)
            continue;
        qsort(t->item + len, k, sizeof *t->item, mine__cmp_u32);
        len += k;
        t->off[++n] = len;
    }
    t->n = n;
    return KF_OK;
}

/* Merge identical transactions: sorted order, one copy each with its weight. */
static int mine__merge(struct mine_tx *t)
{
    size_t n = t->n;
    size_t *idx = kf_malloc((n ? n : 1) * sizeof *idx);
    size_t *off = kf_malloc((n + 1) * sizeof *off);
    uint32_t *item = kf_malloc((t->off[n] ? t->off[n] : 1) * sizeof *item);
    uint32_t *weight = kf_malloc((n ? n : 1) * sizeof *weight);
    if (idx == NULL || off == NULL || item == NULL || weight == NULL) {
        kf_free(idx), kf_free(off), kf_free(item), kf_free(weight);
        return KF_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, mine__cmp_tx, t);
    size_t m = 0;
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && mine__cmp_tx(&idx[i], &idx[i - 1], t) == 0) {
            weight[m - 1]++;
            continue;
        }
        size_t len = t->off[idx[i] + 1] - t->off[idx[i]];
        memcpy(item + off[m], t->item + t->off[idx[i]], len * sizeof *item);
        off[m + 1] = off[m] + len;
        weight[m++] = 1;
    }
    kf_free(idx);
    kf_free(t->off);
    kf_free(t->item);
    t->off = off;
    t->item = item;
    t->weight = weight;
    t->n = m;
    return KF_OK;
}

static int mine__prepare(const struct kf_baskets *b, struct mine_tx *t, struct kf_err *err)
{
    uint32_t *rank_of = NULL;
    int rc = mine__rank(b, t, &rank_of);
    if (rc == KF_OK)
        rc = mine__project(b, rank_of, t);
    if (rc == KF_OK)
        rc = mine__merge(t);
    kf_free(rank_of);
    return rc == KF_OK ? KF_OK : kf_errorf(err, rc, "out of memory preparing the baskets");
}

/* ==== itemsets ========================================================== */

int kf_mine__emit(struct mine_sets *s, const uint32_t *ranks, int len, uint32_t count,
                  struct kf_err *err)
{
    if (s->n >= s->max)
        return kf_errorf(err, KF_ETOOBIG,
                         "more than %zu frequent itemsets: raise the minimum support or lower "
                         "the itemset length",
                         s->max);
    if (mine__grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != KF_OK ||
        mine__grow((void **)&s->pool, &s->pcap, s->plen + (size_t)len, sizeof *s->pool) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    uint32_t *dst = s->pool + s->plen;
    for (int i = 0; i < len; i++) { /* ids ascending: insertion sort, len ≤ 8 */
        uint32_t v = s->tx->orig[ranks[i]];
        int j = i;
        for (; j > 0 && dst[j - 1] > v; j--)
            dst[j] = dst[j - 1];
        dst[j] = v;
    }
    s->v[s->n++] = (struct mine_set){.off = s->plen, .len = len, .count = count};
    s->plen += (size_t)len;
    return KF_OK;
}

static int mine__cmp_items(const uint32_t *a, int na, const uint32_t *b, int nb)
{
    if (na != nb)
        return na < nb ? -1 : 1;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int mine__cmp_itemset(const void *a, const void *b)
{
    const struct kf_itemset *x = a, *y = b;
    return mine__cmp_items(x->items, x->len, y->items, y->len);
}

/* The itemsets of s, in canonical order, into r (r takes the pool). */
static int mine__collect(struct mine_sets *s, struct kf_mine_result *r)
{
    r->itemsets = kf_malloc((s->n ? s->n : 1) * sizeof *r->itemsets);
    if (r->itemsets == NULL)
        return KF_ENOMEM;
    for (size_t i = 0; i < s->n; i++)
        r->itemsets[i] = (struct kf_itemset){s->pool + s->v[i].off, s->v[i].len, s->v[i].count};
    if (s->n > 1)
        qsort(r->itemsets, s->n, sizeof *r->itemsets, mine__cmp_itemset);
    r->nitemsets = s->n;
    r->pool_ = s->pool;
    s->pool = NULL;
    return KF_OK;
}

/* ==== rules ============================================================= */

/* Open-addressing index of the itemsets by their items. */
struct mine_index {
    uint32_t *slot; /* itemset index, UINT32_MAX: empty */
    size_t mask;
    const struct kf_itemset *sets;
};

static size_t mine__hash(const uint32_t *items, int len)
{
    return (size_t)kf_hash64(items, (size_t)len * sizeof *items);
}

static int mine__index_build(struct mine_index *ix, const struct kf_mine_result *r)
{
    size_t cap = 16;
    while (cap < r->nitemsets * 2)
        cap *= 2;
    ix->slot = kf_malloc(cap * sizeof *ix->slot);
    if (ix->slot == NULL)
        return KF_ENOMEM;
    memset(ix->slot, 0xff, cap * sizeof *ix->slot);
    ix->mask = cap - 1;
    ix->sets = r->itemsets;
    for (size_t i = 0; i < r->nitemsets; i++) {
        size_t h = mine__hash(r->itemsets[i].items, r->itemsets[i].len) & ix->mask;
        while (ix->slot[h] != UINT32_MAX)
            h = (h + 1) & ix->mask;
        ix->slot[h] = (uint32_t)i;
    }
    return KF_OK;
}

static const struct kf_itemset *mine__index_find(const struct mine_index *ix,
                                                 const uint32_t *items, int len)
{
    size_t h = mine__hash(items, len) & ix->mask;
    for (; ix->slot[h] != UINT32_MAX; h = (h + 1) & ix->mask) {
        const struct kf_itemset *s = &ix->sets[ix->slot[h]];
        if (mine__cmp_items(s->items, s->len, items, len) == 0)
            return s;
    }
    return NULL;
}

static int mine__cmp_rule(const void *a, const void *b)
{
    const struct kf_rule *x = a, *y = b;
    double sx = x->lift * x->confidence, sy = y->lift * y->confidence;
    if (sx != sy)
        return sx > sy ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = mine__cmp_items(x->antecedent, x->nante, y->antecedent, y->nante);
    return c != 0 ? c : mine__cmp_items(x->consequent, x->ncons, y->consequent, y->ncons);
}

/* Rule X → y for the frequent I (X = I without its j-th item), if it passes. */
static int mine__rule(const struct mine_index *ix, const struct kf_itemset *set, int j,
                      const struct kf_mine_params *p, struct kf_mine_result *r, size_t *cap)
{
    uint32_t x[KF_MINE_LEN_MAX];
    int k = 0;
    for (int i = 0; i < set->len; i++)
        if (i != j)
            x[k++] = set->items[i];
    const struct kf_itemset *xs = mine__index_find(ix, x, k);
    const struct kf_itemset *ys = mine__index_find(ix, &set->items[j], 1);
    if (xs == NULL || ys == NULL) /* every subset of a frequent set is frequent */
        return KF_EINTERNAL;
    double n = (double)r->baskets;
    double conf = (double)set->count / (double)xs->count;
    double lift = conf * n / (double)ys->count;
    if (conf < p->min_confidence || lift < p->min_lift)
        return KF_OK;
    if (mine__grow((void **)&r->rules, cap, r->nrules + 1, sizeof *r->rules) != KF_OK)
        return KF_ENOMEM;
    r->rules[r->nrules++] = (struct kf_rule){
        .antecedent = xs->items,
        .nante = xs->len,
        .consequent = ys->items,
        .ncons = 1,
        .count = set->count,
        .support = (double)set->count / n,
        .confidence = conf,
        .lift = lift,
    };
    return KF_OK;
}

static int mine__rules(const struct kf_mine_params *p, struct kf_mine_result *r,
                       struct kf_err *err)
{
    struct mine_index ix;
    if (mine__index_build(&ix, r) != KF_OK)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t cap = 0;
    int rc = KF_OK;
    for (size_t i = 0; rc == KF_OK && i < r->nitemsets; i++)
        for (int j = 0; rc == KF_OK && r->itemsets[i].len > 1 && j < r->itemsets[i].len; j++)
            rc = mine__rule(&ix, &r->itemsets[i], j, p, r, &cap);
    kf_free(ix.slot);
    if (rc != KF_OK)
        return kf_errorf(err, rc, rc == KF_ENOMEM ? "out of memory" : "a subset is missing");
    if (r->nrules > 1)
        qsort(r->rules, r->nrules, sizeof *r->rules, mine__cmp_rule);
    if (r->nrules > p->max_rules) {
        r->rules_dropped = r->nrules - p->max_rules;
        r->nrules = p->max_rules;
    }
    return KF_OK;
}

/* ==== kf_mine =========================================================== */

static double mine__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kf_mine_result_release(struct kf_mine_result *r)
{
    if (r == NULL)
        return;
    kf_free(r->itemsets);
    kf_free(r->rules);
    kf_free(r->pool_);
    memset(r, 0, sizeof *r);
}

/* The support threshold in baskets. */
static uint32_t mine__min_count(const struct kf_mine_params *p, size_t n)
{
    if (p->min_count > 0)
        return (uint32_t)p->min_count;
    double c = ceil(p->min_support * (double)n - 1e-9);
    return c < 1 ? 1 : c > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

int kf_mine(const struct kf_baskets *b, struct kf_mine_params p, struct kf_mine_result *out,
            struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    if (b == NULL)
        return kf_errorf(err, KF_EINVAL, "baskets: missing");
    int rc = mine__check_params(&p, err);
    if (rc != KF_OK)
        return rc;
    double t0 = mine__now();
    struct mine_tx t = {.minc = mine__min_count(&p, b->n), .max_len = p.max_len};
    struct mine_sets s = {.max = p.max_itemsets, .tx = &t};
    out->baskets = b->n;
    out->min_count = t.minc;
    rc = mine__prepare(b, &t, err);
    for (uint32_t r = 0; rc == KF_OK && r < t.nranks; r++)
        rc = kf_mine__emit(&s, &r, 1, t.rcount[r], err);
    if (rc == KF_OK && p.max_len > 1)
        rc = p.algorithm == KF_MINE_APRIORI ? kf_mine__apriori(&t, &s, err)
                                            : kf_mine__fpgrowth(&t, &s, err);
    if (rc == KF_OK && mine__collect(&s, out) != KF_OK)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK)
        rc = mine__rules(&p, out, err);
    mine__tx_release(&t);
    kf_free(s.v);
    kf_free(s.pool);
    if (rc != KF_OK) {
        kf_mine_result_release(out);
        return rc;
    }
    out->seconds = mine__now() - t0;
    return KF_OK;
}

/* ==== rule sets in the store ============================================ */

static int mine__level(const char *level, struct kf_err *err)
{
    if (level == NULL || (strcmp(level, "sku") != 0 && strcmp(level, "category") != 0))
        return kf_errorf(err, KF_EINVAL, "level: '%s', expected sku or category",
                         level ? level : "");
    return KF_OK;
}

static int mine__item_arg(const char *item, const char *field, struct kf_err *err)
{
    if (item == NULL || item[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "%s: missing", field);
    size_t len = strnlen(item, KF_MINE_NAME_MAX + 1);
    if (len > KF_MINE_NAME_MAX)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %d bytes", field, KF_MINE_NAME_MAX);
    if (!kf_utf8_valid_text(item, len))
        return kf_errorf(err, KF_EUTF8, "%s: invalid UTF-8", field);
    return KF_OK;
}

int kf_rules_baskets(struct kf_store *st, const char *level, struct kf_baskets *b,
                     struct kf_err *err)
{
    int rc = mine__level(level, err);
    if (rc == KF_OK && b == NULL)
        rc = kf_errorf(err, KF_EINVAL, "baskets: missing");
    return rc != KF_OK ? rc : st->mining->baskets(st, level, b, err);
}

/* The parameters and outcome of a run, as saved with its version. */
static char *mine__params_json(const struct kf_mine_params *p, const struct kf_mine_result *r)
{
    json_t *o = json_pack("{s:s, s:f, s:I, s:f, s:f, s:i, s:I, s:I, s:I, s:f}", "algorithm",
                          kf_mine_algorithm_name(p->algorithm), "min_support", p->min_support,
                          "min_count", (json_int_t)r->min_count, "min_confidence",
                          p->min_confidence, "min_lift", p->min_lift, "max_len", p->max_len,
                          "max_rules", (json_int_t)p->max_rules, "itemsets",
                          (json_int_t)r->nitemsets, "rules_dropped",
                          (json_int_t)r->rules_dropped, "seconds", r->seconds);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

int kf_rules_save(struct kf_store *st, const char *level, const struct kf_baskets *b,
                  const struct kf_mine_params *p, const struct kf_mine_result *r,
                  long long *version, struct kf_err *err)
{
    *version = 0;
    int rc = mine__level(level, err);
    if (rc != KF_OK)
        return rc;
    if (b == NULL || p == NULL || r == NULL)
        return kf_errorf(err, KF_EINVAL, "baskets, params and result are required");
    char *params = mine__params_json(p, r);
    if (params == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct kf_rule_set_write w = {
        .level = level,
        .params_json = params,
        .created_at = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
        .b = b,
        .r = r,
    };
    rc = st->mining->save(st, &w, version, err);
    free(params); /* jansson's allocator */
    return rc;
}

int kf_rules_mine_store(struct kf_store *st, const char *level, struct kf_mine_params p,
                        struct kf_rules_run *run, struct kf_err *err)
{
    memset(run, 0, sizeof *run);
    int rc = mine__level(level, err);
    if (rc != KF_OK)
        return rc;
    double t0 = mine__now();
    struct kf_baskets *b = kf_baskets_new();
    if (b == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct kf_mine_result r = {0};
    rc = kf_events_sync_shop(st, 0, NULL, err);
    if (rc == KF_OK)
        rc = kf_rules_baskets(st, level, b, err);
    if (rc == KF_OK)
        rc = kf_mine(b, p, &r, err);
    if (rc == KF_OK)
        rc = kf_rules_save(st, level, b, &p, &r, &run->version, err);
    run->baskets = kf_baskets_count(b);
    run->itemsets = r.nitemsets;
    run->rules = r.nrules;
    run->seconds = mine__now() - t0;
    kf_mine_result_release(&r);
    kf_baskets_free(b);
    return rc;
}

int kf_rules_activate(struct kf_store *st, long long version, struct kf_err *err)
{
    if (version < 1)
        return kf_errorf(err, KF_EINVAL, "version: %lld, expected ≥ 1", version);
    return st->mining->activate(st, version, err);
}

int kf_rules_versions(struct kf_store *st, const char *level, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = level != NULL ? mine__level(level, err) : KF_OK;
    return rc != KF_OK ? rc : st->mining->versions(st, level, out, err);
}

int kf_rules_explain(struct kf_store *st, const char *level, const char *item, int limit,
                     json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = mine__level(level, err);
    if (rc == KF_OK)
        rc = mine__item_arg(item, "item", err);
    if (rc == KF_OK && (limit < 1 || limit > 1000))
        rc = kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, 1000]", limit);
    return rc != KF_OK ? rc : st->mining->explain(st, level, item, limit, out, err);
}

int kf_rules_cross_sell(struct kf_store *st, const char *level, const char *const *items, size_t n,
                        int limit, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = mine__level(level, err);
    if (rc == KF_OK && (limit < 1 || limit > 100))
        rc = kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, 100]", limit);
    if (rc == KF_OK && n > KF_MINE_BASKET_MAX)
        rc = kf_errorf(err, KF_EINVAL, "items: %zu, at most %d", n, KF_MINE_BASKET_MAX);
    if (rc == KF_OK && n > 0 && items == NULL)
        rc = kf_errorf(err, KF_EINVAL, "items: missing");
    char field[32];
    for (size_t i = 0; rc == KF_OK && i < n; i++) {
        snprintf(field, sizeof field, "items[%zu]", i);
        rc = mine__item_arg(items[i], field, err);
    }
    if (rc != KF_OK)
        return rc;
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_string(items[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    if (a == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (n == 0) { /* no antecedent fits in nothing */
        *out = a;
        return KF_OK;
    }
    rc = st->mining->cross_sell(st, level, a, limit, out, err);
    json_decref(a);
    return rc;
}
