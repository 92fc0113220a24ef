/* unit/data/apriori.c — tests for the mining algorithms of mining.h without a
 * store: a hand-checked example, Apriori and FP-growth against a brute-force
 * count on small random data, the two against each other on larger skewed
 * data, thresholds and caps, bounds on baskets, and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/mem.h"
#include "kefu/mining.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* n random baskets over m items: item i is in a basket with probability
 * p / (i + 1) (a skew), plus item 1 follows item 0 half of the time. */
static struct kf_baskets *random_baskets(uint64_t seed, size_t n, uint32_t m, double p)
{
    struct kf_baskets *b = kf_baskets_new();
    assert_non_null(b);
    uint32_t ids[64];
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (uint32_t it = 0; it < m && k < 64; it++)
            if (rng_unit(&seed) < p / (1 + it * 0.3))
                ids[k++] = it;
        if (k > 0 && ids[0] == 0 && k < 64 && rng_unit(&seed) < 0.5)
            ids[k++] = 1; /* a repeat when 1 is there already: counted once */
        assert_int_equal(kf_baskets_add_ids(b, ids, k, NULL), 0);
    }
    return b;
}

static struct kf_mine_result mine(const struct kf_baskets *b, struct kf_mine_params p)
{
    struct kf_mine_result r;
    struct kf_err err = {0};
    int rc = kf_mine(b, p, &r, &err);
    if (rc != 0)
        fail_msg("kf_mine: %s", err.msg);
    return r;
}

static const struct kf_itemset *find_set(const struct kf_mine_result *r, const uint32_t *items,
                                         int len)
{
    for (size_t i = 0; i < r->nitemsets; i++)
        if (r->itemsets[i].len == len &&
            memcmp(r->itemsets[i].items, items, (size_t)len * sizeof *items) == 0)
            return &r->itemsets[i];
    return NULL;
}

static void assert_same_result(const struct kf_mine_result *a, const struct kf_mine_result *b)
{
    assert_int_equal(a->baskets, b->baskets);
    assert_int_equal(a->min_count, b->min_count);
    assert_int_equal(a->nitemsets, b->nitemsets);
    for (size_t i = 0; i < a->nitemsets; i++) {
        assert_int_equal(a->itemsets[i].len, b->itemsets[i].len);
        assert_int_equal(a->itemsets[i].count, b->itemsets[i].count);
        assert_memory_equal(a->itemsets[i].items, b->itemsets[i].items,
                            (size_t)a->itemsets[i].len * sizeof(uint32_t));
    }
    assert_int_equal(a->nrules, b->nrules);
    assert_int_equal(a->rules_dropped, b->rules_dropped);
    for (size_t i = 0; i < a->nrules; i++) {
        const struct kf_rule *x = &a->rules[i], *y = &b->rules[i];
        assert_int_equal(x->nante, y->nante);
        assert_int_equal(x->ncons, y->ncons);
        assert_memory_equal(x->antecedent, y->antecedent, (size_t)x->nante * sizeof(uint32_t));
        assert_memory_equal(x->consequent, y->consequent, (size_t)x->ncons * sizeof(uint32_t));
        assert_int_equal(x->count, y->count);
        assert_true(x->support == y->support && x->confidence == y->confidence &&
                    x->lift == y->lift);
    }
}

/* ---- a hand-checked example ----------------------------------------------- */

/* phone=0 case=1 charger=2 cable=3 bag=4
 *   {0,1,2} {0,1} {0,2,3} {1,3} {0,1,2,3} {4} {}                   N = 7 */
static struct kf_baskets *shop_baskets(void)
{
    static const char *const B[][5] = {
        {"phone", "case", "charger"}, {"phone", "case"}, {"phone", "charger", "cable"},
        {"case", "cable"},            {"phone", "case", "charger", "cable"}, {"bag"}, {NULL}};
    static const size_t N[] = {3, 2, 3, 2, 4, 1, 0};
    struct kf_baskets *b = kf_baskets_new();
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(kf_baskets_add(b, B[i], N[i], NULL), 0);
    return b;
}

static void test_hand_example(void **state)
{
    (void)state;
    struct kf_baskets *b = shop_baskets();
    assert_int_equal(kf_baskets_count(b), 7);
    assert_int_equal(kf_baskets_nitems(b), 5);
    assert_int_equal(kf_baskets_find(b, "charger"), 2);
    assert_string_equal(kf_baskets_name(b, 4), "bag");
    for (int alg = 0; alg < 2; alg++) {
        struct kf_mine_params p = kf_mine_default_params();
        p.min_count = 2;
        p.min_confidence = 0.6;
        p.min_lift = 0;
        p.algorithm = alg ? KF_MINE_APRIORI : KF_MINE_FPGROWTH;
        struct kf_mine_result r = mine(b, p);
        assert_int_equal(r.baskets, 7);
        assert_int_equal(r.min_count, 2);
        /* singles: phone 4, case 4, charger 3, cable 3 (bag 1 is out) */
        uint32_t s[3] = {0, 1, 2};
        assert_int_equal(find_set(&r, s, 1)->count, 4);
        assert_null(find_set(&r, (uint32_t[]){4}, 1));
        assert_int_equal(find_set(&r, s, 2)->count, 3);    /* phone case */
        assert_int_equal(find_set(&r, s, 3)->count, 2);    /* phone case charger */
        assert_int_equal(find_set(&r, (uint32_t[]){0, 2}, 2)->count, 3);
        assert_int_equal(find_set(&r, (uint32_t[]){2, 3}, 2)->count, 2);
        assert_null(find_set(&r, (uint32_t[]){0, 1, 3}, 3)); /* count 1 */
        /* 4 singles, 6 pairs ({0,1}3 {0,2}3 {0,3}2 {1,2}2 {1,3}2 {2,3}2), triples
         * {0,1,2}2 {0,2,3}2 */
        assert_int_equal(r.nitemsets, 12);
        /* the best rule: {phone, cable} → charger: conf 2/2, lift 1 × 7/3 */
        const struct kf_rule *top = &r.rules[0];
        assert_int_equal(top->nante, 2);
        assert_int_equal(top->antecedent[0], 0);
        assert_int_equal(top->antecedent[1], 3);
        assert_int_equal(top->consequent[0], 2);
        assert_true(top->confidence == 1.0);
        assert_true(fabs(top->lift - 7.0 / 3) < 1e-12);
        assert_true(fabs(top->support - 2.0 / 7) < 1e-12);
        assert_int_equal(top->count, 2);
        /* a tie on lift × confidence (1.75) goes to the larger count:
         * charger → phone (3) before {case, charger} → phone (2) */
        assert_int_equal(r.rules[1].nante, 1);
        assert_int_equal(r.rules[1].antecedent[0], 2);
        assert_int_equal(r.rules[1].consequent[0], 0);
        assert_int_equal(r.rules[1].count, 3);
        /* every rule passes the thresholds and is best-first */
        for (size_t i = 0; i < r.nrules; i++) {
            assert_true(r.rules[i].confidence >= 0.6);
            if (i > 0)
                assert_true(r.rules[i - 1].lift * r.rules[i - 1].confidence >=
                            r.rules[i].lift * r.rules[i].confidence);
        }
        /* {case, charger} → phone is there: conf 2/2 */
        int found = 0;
        for (size_t i = 0; i < r.nrules; i++)
            if (r.rules[i].nante == 2 && r.rules[i].antecedent[0] == 1 &&
                r.rules[i].antecedent[1] == 2 && r.rules[i].consequent[0] == 0)
                found = r.rules[i].confidence == 1.0;
        assert_true(found);
        kf_mine_result_release(&r);
    }
    kf_baskets_free(b);
}

/* ---- brute force ---------------------------------------------------------- */

struct brute {
    uint32_t *mask; /* per basket, items as bits */
    size_t n;
};

static long long brute_count(const struct brute *bf, uint32_t set)
{
    long long c = 0;
    for (size_t i = 0; i < bf->n; i++)
        c += (bf->mask[i] & set) == set;
    return c;
}

static int mask_items(uint32_t set, uint32_t *items)
{
    int k = 0;
    for (uint32_t i = 0; i < 32; i++)
        if (set & (1u << i))
            items[k++] = i;
    return k;
}

static void check_brute(const struct kf_baskets *b, uint32_t m, struct kf_mine_params p,
                        const struct kf_mine_result *r)
{
    struct brute bf = {calloc(kf_baskets_count(b) + 1, sizeof(uint32_t)), kf_baskets_count(b)};
    for (size_t i = 0; i < bf.n; i++) {
        size_t k;
        const uint32_t *it = kf_baskets_get(b, i, &k);
        for (size_t j = 0; j < k; j++)
            bf.mask[i] |= 1u << it[j];
    }
    size_t nsets = 0, nrules = 0;
    for (uint32_t set = 1; set < (1u << m); set++) {
        uint32_t items[32];
        int len = mask_items(set, items);
        if (len > p.max_len)
            continue;
        long long c = brute_count(&bf, set);
        const struct kf_itemset *got = find_set(r, items, len);
        if (c < r->min_count) {
            assert_null(got);
            continue;
        }
        nsets++;
        assert_non_null(got);
        assert_int_equal(got->count, c);
        for (int j = 0; len > 1 && j < len; j++) {
            double conf = (double)c / (double)brute_count(&bf, set & ~(1u << items[j]));
            double lift = conf * (double)bf.n / (double)brute_count(&bf, 1u << items[j]);
            if (conf < p.min_confidence || lift < p.min_lift)
                continue;
            nrules++;
            int found = 0;
            for (size_t i = 0; i < r->nrules && !found; i++) {
                const struct kf_rule *ru = &r->rules[i];
                if (ru->consequent[0] != items[j] || ru->nante != len - 1)
                    continue;
                uint32_t ante = 0;
                for (int a = 0; a < ru->nante; a++)
                    ante |= 1u << ru->antecedent[a];
                if (ante == (set & ~(1u << items[j]))) {
                    found = 1;
                    assert_true(fabs(ru->confidence - conf) < 1e-12);
                    assert_true(fabs(ru->lift - lift) < 1e-9);
                    assert_int_equal(ru->count, c);
                }
            }
            assert_true(found);
        }
    }
    assert_int_equal(r->nitemsets, nsets);
    assert_int_equal(r->nrules, nrules);
    free(bf.mask);
}

static void test_brute_force(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        uint32_t m = 6 + (uint32_t)(seed % 6); /* 6..11 items */
        struct kf_baskets *b = random_baskets(seed, 150 + seed * 20, m, 0.55);
        for (int max_len = 1; max_len <= 5; max_len += 2) {
            struct kf_mine_params p = kf_mine_default_params();
            p.min_support = 0.02 + 0.01 * (double)(seed % 4);
            p.min_confidence = seed % 2 ? 0.1 : 0.4;
            p.min_lift = seed % 3 ? 0 : 1.05;
            p.max_len = max_len;
            for (int alg = 0; alg < 2; alg++) {
                p.algorithm = alg ? KF_MINE_APRIORI : KF_MINE_FPGROWTH;
                struct kf_mine_result r = mine(b, p);
                check_brute(b, m, p, &r);
                kf_mine_result_release(&r);
            }
        }
        kf_baskets_free(b);
    }
}

/* ---- Apriori = FP-growth ---------------------------------------------------- */

static void test_algorithms_agree(void **state)
{
    (void)state;
    for (uint64_t seed = 100; seed < 104; seed++) {
        struct kf_baskets *b = random_baskets(seed, 6000, 40, 0.35);
        struct kf_mine_params p = kf_mine_default_params();
        p.min_support = 0.004;
        p.min_confidence = 0.05;
        p.min_lift = 0;
        p.max_len = (int)(seed % 3) + 3; /* 3..5 */
        p.algorithm = KF_MINE_APRIORI;
        struct kf_mine_result a = mine(b, p);
        p.algorithm = KF_MINE_FPGROWTH;
        struct kf_mine_result f = mine(b, p);
        assert_true(a.nitemsets > 500); /* a real workload, not a trivial one */
        assert_true(a.nrules > 500);
        assert_same_result(&a, &f);
        kf_mine_result_release(&a);
        kf_mine_result_release(&f);
        kf_baskets_free(b);
    }
}

/* ---- parameters, caps, bounds -------------------------------------------- */

static void test_params(void **state)
{
    (void)state;
    struct kf_baskets *b = shop_baskets();
    struct kf_mine_result r;
    struct kf_err err = {0};
    struct kf_mine_params p = kf_mine_default_params();
    assert_int_equal(p.algorithm, KF_MINE_FPGROWTH);
    p.min_support = 0;
    assert_int_equal(kf_mine(b, p, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "min_support"));
    p = kf_mine_default_params();
    p.max_len = 9;
    assert_int_equal(kf_mine(b, p, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "max_len"));
    p = kf_mine_default_params();
    p.min_confidence = 1.5;
    assert_int_equal(kf_mine(b, p, &r, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "min_confidence"));
    p = kf_mine_default_params();
    p.min_lift = NAN;
    assert_int_equal(kf_mine(b, p, &r, &err), KF_EINVAL);
    enum kf_mine_algorithm a;
    assert_int_equal(kf_mine_algorithm_parse("apriori", &a, &err), 0);
    assert_int_equal(a, KF_MINE_APRIORI);
    assert_int_equal(kf_mine_algorithm_parse("eclat", &a, &err), KF_EINVAL);
    assert_non_null(strstr(err.msg, "apriori or fpgrowth"));
    assert_string_equal(kf_mine_algorithm_name(KF_MINE_FPGROWTH), "fpgrowth");
    /* a fraction: 0.3 of 7 baskets = 2.1 → 3 */
    p = kf_mine_default_params();
    p.min_support = 0.3;
    r = mine(b, p);
    assert_int_equal(r.min_count, 3);
    kf_mine_result_release(&r);
    kf_baskets_free(b);
}

static void test_caps(void **state)
{
    (void)state;
    struct kf_baskets *b = random_baskets(7, 3000, 30, 0.4);
    struct kf_mine_params p = kf_mine_default_params();
    p.min_support = 0.005;
    p.min_confidence = 0;
    p.min_lift = 0;
    p.max_len = 4;
    struct kf_mine_result full = mine(b, p);
    assert_true(full.nitemsets > 100 && full.nrules > 100);
    for (int alg = 0; alg < 2; alg++) {
        p.algorithm = alg ? KF_MINE_APRIORI : KF_MINE_FPGROWTH;
        /* too many itemsets: a clear error, nothing returned */
        p.max_itemsets = 100;
        struct kf_mine_result r;
        struct kf_err err = {0};
        assert_int_equal(kf_mine(b, p, &r, &err), KF_ETOOBIG);
        assert_non_null(strstr(err.msg, "more than 100 frequent itemsets"));
        assert_null(r.itemsets);
        /* rules past max_rules: the best kept, the rest counted */
        p.max_itemsets = 100000;
        p.max_rules = 50;
        r = mine(b, p);
        assert_int_equal(r.nrules, 50);
        assert_int_equal(r.rules_dropped, full.nrules - 50);
        for (size_t i = 0; i < 50; i++)
            assert_true(r.rules[i].lift == full.rules[i].lift &&
                        r.rules[i].count == full.rules[i].count);
        kf_mine_result_release(&r);
        p.max_rules = 100000;
    }
    kf_mine_result_release(&full);
    kf_baskets_free(b);
}

static void test_basket_bounds(void **state)
{
    (void)state;
    struct kf_baskets *b = kf_baskets_new();
    struct kf_err err = {0};
    uint32_t *big = calloc(KF_MINE_BASKET_MAX + 1, sizeof *big);
    for (uint32_t i = 0; i <= KF_MINE_BASKET_MAX; i++)
        big[i] = i;
    assert_int_equal(kf_baskets_add_ids(b, big, KF_MINE_BASKET_MAX + 1, &err), KF_ETOOBIG);
    assert_non_null(strstr(err.msg, "at most 1000"));
    uint32_t bad = KF_MINE_ITEMS_MAX;
    assert_int_equal(kf_baskets_add_ids(b, &bad, 1, &err), KF_EINVAL);
    assert_int_equal(kf_baskets_count(b), 0);
    /* repeats count once; names are checked */
    uint32_t rep[] = {3, 1, 3, 3};
    assert_int_equal(kf_baskets_add_ids(b, rep, 4, &err), 0);
    size_t n;
    const uint32_t *got = kf_baskets_get(b, 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 3);
    uint32_t id;
    char longname[KF_MINE_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname);
    assert_int_equal(kf_baskets_item(b, longname, sizeof longname, &id, &err), KF_EINVAL);
    assert_int_equal(kf_baskets_item(b, "\xff\xfe", 2, &id, &err), KF_EUTF8);
    assert_int_equal(kf_baskets_item(b, "手机", strlen("手机"), &id, &err), 0);
    assert_int_equal(id, 4); /* after the bare ids 0..3 */
    assert_null(kf_baskets_name(b, 1));
    kf_baskets_free(b);
    free(big);
    /* empty input: nothing frequent, no crash */
    b = kf_baskets_new();
    struct kf_mine_result r = mine(b, kf_mine_default_params());
    assert_int_equal(r.nitemsets, 0);
    assert_int_equal(r.nrules, 0);
    kf_mine_result_release(&r);
    kf_baskets_free(b);
}

/* Every allocation of a mining run may fail: ENOMEM, never a crash or a
 * leak (ASan checks the leaks at exit). */
static void test_alloc_failures(void **state)
{
    (void)state;
    struct kf_baskets *b = random_baskets(9, 300, 12, 0.5);
    for (int alg = 0; alg < 2; alg++) {
        struct kf_mine_params p = kf_mine_default_params();
        p.min_support = 0.02;
        p.max_len = 4;
        p.algorithm = alg ? KF_MINE_APRIORI : KF_MINE_FPGROWTH;
        int ok = 0;
        for (long n = 1; n < 1000000 && !ok; n += 1 + n / 16) {
            struct kf_mine_result r;
            struct kf_err err = {0};
            kf_mem_fail_after(n);
            int rc = kf_mine(b, p, &r, &err);
            kf_mem_fail_after(0);
            assert_true(rc == 0 || rc == KF_ENOMEM);
            ok = rc == 0;
            if (ok)
                assert_true(r.nrules > 0);
            kf_mine_result_release(&r);
        }
        assert_true(ok);
    }
    kf_baskets_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_example),     cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_algorithms_agree), cmocka_unit_test(test_params),
        cmocka_unit_test(test_caps),             cmocka_unit_test(test_basket_bounds),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
