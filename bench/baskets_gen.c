/*
 * baskets_gen.c — synthetic order baskets for the association-rule
 * benchmark (bench/apriori.sh, docs/benchmarks.md "Association rules").
 *
 *   baskets_gen [-n BASKETS] [-m ITEMS] [-s SEED] > baskets.txt
 *   baskets_gen --arff IN.txt > baskets.arff
 *   baskets_gen --arff-dense IN.txt > baskets.arff
 *
 * The first form writes BASKETS baskets (default 1,000,000), one per line,
 * items separated by spaces — the format `kefu mine rules --from` reads.
 * Items follow a Zipf popularity (exponent 1.1) over ITEMS items (default
 * 300): a few best sellers, a long tail. Basket sizes are 1 + a geometric
 * count (mean ≈ 2.2, at most 20). Planted associations then add companions
 * to anchors with fixed probabilities (phone → case 0.6, charger 0.45 ...),
 * so a miner has something real to find. Deterministic for a seed.
 *
 * The second form turns a basket file into Weka's sparse ARFF (one {0,1}
 * attribute per item, in first-seen order) for Weka's FPGrowth. The third
 * writes dense ARFF with unary {1} attributes and '?' for an absent item,
 * for Weka 3.6's Apriori, which would otherwise mine the absent values too
 * (it has no "zero as missing" option); 2 bytes per item per basket, so
 * only for small files.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/map.h"

struct plant {
    const char *anchor;
    const char *companion;
    double p;
};

/* Anchors sit at fixed popularity ranks; companions are added with p. */
static const struct plant PLANTS[] = {
    {"phone", "phone-case", 0.60},  {"phone", "charger", 0.45},   {"phone", "screen-film", 0.30},
    {"laptop", "mouse", 0.50},      {"laptop", "laptop-bag", 0.35}, {"laptop", "keyboard", 0.20},
    {"camera", "sd-card", 0.70},    {"camera", "tripod", 0.25},   {"printer", "ink", 0.80},
    {"printer", "paper", 0.50},     {"coffee", "milk", 0.40},     {"coffee", "sugar", 0.30},
    {"console", "game", 0.75},      {"console", "controller", 0.40},
};
#define NPLANTS (sizeof PLANTS / sizeof PLANTS[0])

static const char *const NAMED[] = {"phone",   "coffee", "laptop",  "milk",     "charger",
                                    "console", "camera", "printer", "phone-case", "mouse",
                                    "game",    "sugar",  "paper",   "sd-card",  "ink",
                                    "tripod",  "keyboard", "laptop-bag", "controller",
                                    "screen-film"};
#define NNAMED (sizeof NAMED / sizeof NAMED[0])
/* popularity rank of NAMED[i] (0 = best seller) */
static const int NAMED_RANK[NNAMED] = {3, 1, 9, 6, 14, 17, 21, 30, 40, 45,
                                       60, 70, 80, 90, 100, 110, 120, 130, 140, 150};

static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static int usage(void)
{
    fputs("usage: baskets_gen [-n BASKETS] [-m ITEMS] [-s SEED] > baskets.txt\n"
          "       baskets_gen --arff IN.txt > baskets.arff\n"
          "       baskets_gen --arff-dense IN.txt > baskets.arff\n",
          stderr);
    return 2;
}

static long num(const char *s, long min, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "baskets_gen: '%s' is not a number in [%ld, %ld]\n", s, min, max);
        return -1;
    }
    return v;
}

static int generate(long n, int m, uint64_t seed)
{
    char **name = calloc((size_t)m, sizeof *name);
    double *cum = malloc((size_t)m * sizeof *cum);
    if (name == NULL || cum == NULL)
        return 1;
    for (size_t i = 0; i < NNAMED; i++)
        if (NAMED_RANK[i] < m)
            name[NAMED_RANK[i]] = strdup(NAMED[i]);
    for (int r = 0; r < m; r++) {
        if (name[r] == NULL) {
            char buf[16];
            snprintf(buf, sizeof buf, "item%03d", r);
            name[r] = strdup(buf);
        }
        cum[r] = (r ? cum[r - 1] : 0) + 1.0 / pow(r + 1, 1.1);
    }
    int plant_anchor[NPLANTS], plant_comp[NPLANTS];
    for (size_t k = 0; k < NPLANTS; k++) {
        plant_anchor[k] = plant_comp[k] = -1;
        for (int r = 0; r < m; r++) {
            if (strcmp(name[r], PLANTS[k].anchor) == 0)
                plant_anchor[k] = r;
            if (strcmp(name[r], PLANTS[k].companion) == 0)
                plant_comp[k] = r;
        }
    }
    rng_state = seed;
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    int basket[64];
    for (long b = 0; b < n; b++) {
        int k = 1;
        while (k < 20 && rng_unit() < 0.55)
            k++;
        int len = 0;
        for (int i = 0; i < k; i++) {
            double x = rng_unit() * cum[m - 1];
            int lo = 0, hi = m - 1;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (cum[mid] > x)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            basket[len++] = lo;
        }
        for (size_t p = 0; p < NPLANTS; p++) {
            if (plant_anchor[p] < 0 || plant_comp[p] < 0)
                continue;
            for (int i = 0; i < k; i++)
                if (basket[i] == plant_anchor[p] && len < 64 && rng_unit() < PLANTS[p].p) {
                    basket[len++] = plant_comp[p];
                    break;
                }
        }
        for (int i = 0; i < len; i++) {
            int dup = 0;
            for (int j = 0; j < i; j++)
                dup |= basket[j] == basket[i];
            if (!dup)
                printf("%s%s", i ? " " : "", name[basket[i]]);
        }
        putchar('\n');
    }
    fflush(stdout);
    for (int r = 0; r < m; r++)
        free(name[r]);
    free(name);
    free(cum);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Basket file → sparse ARFF: two passes (the attribute list comes first). */
static int to_arff(const char *path, int dense)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    struct kf_map *ids = kf_map_new(1024);
    char **names = NULL;
    size_t nnames = 0, cap = 0;
    static char line[1 << 16];
    static const char *SEP = " \t,\r\n";
    while (fgets(line, sizeof line, f) != NULL) {
        for (char *save = NULL, *t = strtok_r(line, SEP, &save); t; t = strtok_r(NULL, SEP, &save)) {
            if (kf_map_get(ids, t, strlen(t)) != NULL)
                continue;
            if (nnames == cap) {
                cap = cap ? cap * 2 : 256;
                names = realloc(names, cap * sizeof *names);
            }
            names[nnames] = strdup(t);
            kf_map_put(ids, t, strlen(t), (void *)(uintptr_t)(nnames + 1), NULL);
            nnames++;
        }
    }
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    printf("@relation baskets\n\n");
    for (size_t i = 0; i < nnames; i++)
        printf(dense ? "@attribute '%s' {1}\n" : "@attribute '%s' {0,1}\n", names[i]);
    printf("\n@data\n");
    rewind(f);
    int idx[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        int n = 0;
        for (char *save = NULL, *t = strtok_r(line, SEP, &save); t && n < 1024;
             t = strtok_r(NULL, SEP, &save))
            idx[n++] = (int)((uintptr_t)kf_map_get(ids, t, strlen(t)) - 1);
        qsort(idx, (size_t)n, sizeof *idx, cmp_int);
        if (dense) {
            for (size_t a = 0, i = 0; a < nnames; a++) {
                while (i < (size_t)n && (size_t)idx[i] < a)
                    i++;
                fputs(i < (size_t)n && (size_t)idx[i] == a ? "1" : "?", stdout);
                putchar(a + 1 < nnames ? ',' : '\n');
            }
            continue;
        }
        putchar('{');
        for (int i = 0; i < n; i++)
            if (i == 0 || idx[i] != idx[i - 1])
                printf("%s%d 1", i ? "," : "", idx[i]);
        puts("}");
    }
    fflush(stdout);
    fclose(f);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    kf_map_free(ids);
    return 0;
}

int main(int argc, char **argv)
{
    long n = 1000000, m = 300, seed = 42;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--arff") == 0 && i + 1 < argc)
            return to_arff(argv[i + 1], 0);
        if (strcmp(argv[i], "--arff-dense") == 0 && i + 1 < argc)
            return to_arff(argv[i + 1], 1);
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "-n") == 0)
            n = num(argv[++i], 1, 100000000);
        else if (strcmp(argv[i], "-m") == 0)
            m = num(argv[++i], 160, 100000);
        else if (strcmp(argv[i], "-s") == 0)
            seed = num(argv[++i], 0, 1L << 62);
        else
            return usage();
        if (n < 0 || m < 0 || seed < 0)
            return 2;
    }
    return generate(n, (int)m, (uint64_t)seed);
}
