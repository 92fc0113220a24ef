/*
 * cmd_mine.c — `kefu mine rules`: association rules over order baskets
 * (mining.h; docs/mining.md).
 *
 *   kefu mine rules [--level L] [thresholds] [--from FILE] [--dry-run]
 *       mine the store's order events (the shop's orders are copied into
 *       events first) or a basket file, print a summary and the top rules,
 *       and save them as the new active version of the level;
 *   kefu mine rules --explain ITEM     the active rules mentioning ITEM, in words;
 *   kefu mine rules --list             the saved versions;
 *   kefu mine rules --activate V       make version V the active one (roll back).
 *
 * The store is store.path (-d), migrated first; a --from --dry-run run needs
 * no store at all (the benchmark mines files that way).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kefu/events.h"
#include "kefu/mining.h"
#include "kefu/store.h"
#include "kefu/utf8.h"

enum mine_mode { MODE_MINE, MODE_EXPLAIN, MODE_LIST, MODE_ACTIVATE };

struct mine_opts {
    enum mine_mode mode;
    int modes; /* how many of --explain/--list/--activate were given */
    const char *level;
    const char *from;
    const char *save_baskets;
    const char *item;
    long long version;
    int dry_run;
    int top;
    struct kf_mine_params p;
};

static void mine_help(void)
{
    fputs("Usage: kefu mine rules [options]\n"
          "Find products (or categories) bought together in the shop's orders and save\n"
          "the rules X → Y as a new version, used for cross-sell (docs/mining.md).\n"
          "      --level L            category (default) or sku\n"
          "      --min-support F      a fraction of the baskets in (0, 1), or a count of\n"
          "                           baskets when ≥ 1 (default 0.01)\n"
          "      --min-confidence F   P(Y | X) at least F (default 0.2)\n"
          "      --min-lift F         confidence / P(Y) at least F (default 1)\n"
          "      --max-len N          items in an itemset, 1..8 (default 3)\n"
          "      --max-rules N        rules kept, best first (default 100000)\n"
          "      --algorithm A        fpgrowth (default) or apriori: the same rules\n"
          "      --from FILE          mine a basket file (one basket per line, items\n"
          "                           separated by spaces or commas) instead of the store\n"
          "      --save-baskets FILE  also write the baskets mined to FILE, one per line\n"
          "      --dry-run            print the rules, save nothing\n"
          "      --top N              rules to print (default 20)\n"
          "      --explain ITEM       the active rules with ITEM on either side, in words\n"
          "      --list               the saved versions\n"
          "      --activate V         make version V the active set of its level\n",
          stdout);
    cli_help_common();
}

static int mine__mode(struct mine_opts *o, enum mine_mode m)
{
    o->mode = m;
    if (++o->modes > 1) {
        fputs("kefu: mine rules: --explain, --list and --activate go alone\n", stderr);
        return 2;
    }
    return 0;
}

static int mine_opt(int opt, const char *arg, void *ctx)
{
    struct mine_opts *o = ctx;
    double v;
    struct kf_err err = {0};
    switch (opt) {
    case 'l':
        if (strcmp(arg, "sku") != 0 && strcmp(arg, "category") != 0) {
            fprintf(stderr, "kefu: --level: expected category or sku, got '%s'\n", arg);
            return 2;
        }
        o->level = arg;
        return 0;
    case 'S':
        if (cli_number("--min-support", arg, 1e-9, 4294967295.0, &v) < 0)
            return 2;
        if (v >= 1 && v != floor(v)) {
            fprintf(stderr, "kefu: --min-support: a count of baskets must be whole, got '%s'\n",
                    arg);
            return 2;
        }
        o->p.min_count = v >= 1 ? (long long)v : 0;
        o->p.min_support = v >= 1 ? 1 : v;
        return 0;
    case 'C':
        return cli_number("--min-confidence", arg, 0, 1, &o->p.min_confidence) < 0 ? 2 : 0;
    case 'I':
        return cli_number("--min-lift", arg, 0, 1e9, &o->p.min_lift) < 0 ? 2 : 0;
    case 'M':
        if (cli_number("--max-len", arg, 1, KF_MINE_LEN_MAX, &v) < 0 || v != floor(v))
            return 2;
        o->p.max_len = (int)v;
        return 0;
    case 'R':
        if (cli_number("--max-rules", arg, 1, 10000000, &v) < 0)
            return 2;
        o->p.max_rules = (size_t)v;
        return 0;
    case 'A':
        if (kf_mine_algorithm_parse(arg, &o->p.algorithm, &err) != KF_OK) {
            fprintf(stderr, "kefu: --%s\n", err.msg);
            return 2;
        }
        return 0;
    case 'f': o->from = arg; return 0;
    case 'B': o->save_baskets = arg; return 0;
    case 'n': o->dry_run = 1; return 0;
    case 'T':
        if (cli_number("--top", arg, 0, 10000000, &v) < 0)
            return 2;
        o->top = (int)v;
        return 0;
    case 'x':
        o->item = arg;
        return mine__mode(o, MODE_EXPLAIN);
    case 'V': return mine__mode(o, MODE_LIST);
    case 'a':
        if (cli_number("--activate", arg, 1, 9007199254740992.0, &v) < 0)
            return 2;
        o->version = (long long)v;
        return mine__mode(o, MODE_ACTIVATE);
    default: return 2;
    }
}

/* ---- the store ---------------------------------------------------------- */

static struct kf_store *mine__store(const struct kf_config *cfg, struct kf_err *err)
{
    struct kf_store_params sp = kf_store_default_params();
    sp.path = cfg->db_path;
    sp.synchronous_full = strcmp(cfg->synchronous, "full") == 0;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    if (kf_store_open(sp, &st, err) != KF_OK || kf_store_migrate(st, NULL, err) != KF_OK) {
        kf_store_free(st);
        return NULL;
    }
    return st;
}

static int mine__exit(int rc)
{
    return rc == KF_OK ? 0 : rc == KF_EINVAL ? 2 : 1;
}

/* ---- printing ----------------------------------------------------------- */

/* "a + b" of a JSON array or of item ids. */
static void mine__side_json(json_t *a, char *out, size_t cap)
{
    size_t len = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v)
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", i ? " + " : "",
                                json_string_value(v));
}

static void mine__side_ids(const struct kf_baskets *b, const uint32_t *ids, int n, char *out,
                           size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = kf_baskets_name(b, ids[i]);
        char num[16];
        snprintf(num, sizeof num, "#%u", ids[i]);
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", i ? " + " : "",
                                name ? name : num);
    }
}

/* Pad s to `width` columns (one per code point; wide characters may shift). */
static void mine__cell(const char *s, int width)
{
    int w = (int)kf_utf8_count(s, strlen(s));
    fputs(s, stdout);
    for (; w < width; w++)
        putchar(' ');
}

/* "a + b → c" of a rule. */
static void mine__rule_text(const struct kf_baskets *b, const struct kf_rule *ru, char *out,
                            size_t cap)
{
    char ante[256], cons[256];
    mine__side_ids(b, ru->antecedent, ru->nante, ante, sizeof ante);
    mine__side_ids(b, ru->consequent, ru->ncons, cons, sizeof cons);
    snprintf(out, cap, "%s → %s", ante, cons);
}

static void mine__rule_row(int rank, const char *rule, int width, const struct kf_rule *ru)
{
    printf("  %4d  ", rank);
    mine__cell(rule, width);
    printf(" %8.3f%%  %9.1f%%  %7.2f  %9lld\n", ru->support * 100, ru->confidence * 100, ru->lift,
           ru->count);
}

static void mine__rule_header(int width)
{
    printf("  %4s  ", "#");
    mine__cell("rule", width);
    printf(" %9s  %10s  %7s  %9s\n", "support", "confidence", "lift", "count");
}

static void mine__summary(const struct mine_opts *o, const struct kf_baskets *b,
                          const struct kf_mine_result *r)
{
    printf("mined %zu baskets (%s level, from %s) with %s in %.3f s\n", r->baskets, o->level,
           o->from ? o->from : "the store's order events",
           kf_mine_algorithm_name(o->p.algorithm), r->seconds);
    printf("  min support %g (%lld baskets), min confidence %g, min lift %g, max length %d\n",
           o->p.min_count > 0 ? (double)o->p.min_count / (double)(r->baskets ? r->baskets : 1)
                              : o->p.min_support,
           r->min_count, o->p.min_confidence, o->p.min_lift, o->p.max_len);
    printf("  %zu distinct items, %zu frequent itemsets, %zu rules", kf_baskets_nitems(b),
           r->nitemsets, r->nrules);
    if (r->rules_dropped > 0)
        printf(" (%zu more past --max-rules %zu were not kept)", r->rules_dropped,
               o->p.max_rules);
    putchar('\n');
    int top = o->top < (int)r->nrules ? o->top : (int)r->nrules;
    if (top == 0)
        return;
    printf("top %d rules (best first: lift × confidence):\n", top);
    char rule[600];
    int width = 20;
    for (int i = 0; i < top && i < 1000; i++) { /* the column fits the first 1000 rules */
        mine__rule_text(b, &r->rules[i], rule, sizeof rule);
        int w = (int)kf_utf8_count(rule, strlen(rule));
        width = w > width ? (w < 72 ? w : 72) : width;
    }
    mine__rule_header(width);
    for (int i = 0; i < top; i++) {
        mine__rule_text(b, &r->rules[i], rule, sizeof rule);
        mine__rule_row(i + 1, rule, width, &r->rules[i]);
    }
}

/* ---- modes -------------------------------------------------------------- */

/* Write the baskets, one per line (names with separators cannot be written). */
static int mine__save_baskets(const char *path, const struct kf_baskets *b, struct kf_err *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return kf_errorf(err, KF_EIO, "%s: cannot write", path);
    int rc = KF_OK;
    for (size_t i = 0; rc == KF_OK && i < kf_baskets_count(b); i++) {
        size_t n;
        const uint32_t *it = kf_baskets_get(b, i, &n);
        for (size_t j = 0; rc == KF_OK && j < n; j++) {
            const char *name = kf_baskets_name(b, it[j]);
            if (name == NULL || strpbrk(name, " \t,\r\n#") != NULL)
                rc = kf_errorf(err, KF_EINVAL, "%s: item '%s' has a separator in its name",
                               path, name ? name : "?");
            else
                fprintf(f, "%s%s", j ? " " : "", name);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0 && rc == KF_OK)
        rc = kf_errorf(err, KF_EIO, "%s: write error", path);
    return rc;
}

static int mine__baskets(const struct mine_opts *o, struct kf_store *st, struct kf_baskets *b,
                         struct kf_err *err)
{
    if (o->from != NULL)
        return kf_baskets_read_file(b, o->from, err);
    long long added = 0;
    int rc = kf_events_sync_shop(st, 0, &added, err);
    if (rc == KF_OK && added > 0)
        fprintf(stderr, "kefu: %lld shop orders and refunds copied into events\n", added);
    return rc != KF_OK ? rc : kf_rules_baskets(st, o->level, b, err);
}

static int mine__run(struct mine_opts *o, const struct kf_config *cfg)
{
    struct kf_err err = {0};
    struct kf_store *st = NULL;
    struct kf_baskets *b = kf_baskets_new();
    struct kf_mine_result r = {0};
    int rc = b ? KF_OK : kf_errorf(&err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK && (o->from == NULL || !o->dry_run) && (st = mine__store(cfg, &err)) == NULL)
        rc = err.code ? err.code : KF_ESTORE;
    if (rc == KF_OK)
        rc = mine__baskets(o, st, b, &err);
    if (rc == KF_OK && o->save_baskets != NULL)
        rc = mine__save_baskets(o->save_baskets, b, &err);
    if (rc == KF_OK)
        rc = kf_mine(b, o->p, &r, &err);
    if (rc == KF_OK)
        mine__summary(o, b, &r);
    long long version = 0;
    if (rc == KF_OK && !o->dry_run)
        rc = kf_rules_save(st, o->level, b, &o->p, &r, &version, &err);
    if (rc == KF_OK && o->dry_run)
        puts("dry run: nothing saved");
    else if (rc == KF_OK)
        printf("saved as version %lld, now the active %s rule set (kefu mine rules --list)\n",
               version, o->level);
    if (rc != KF_OK)
        fprintf(stderr, "kefu: mine rules: %s\n", err.msg);
    kf_mine_result_release(&r);
    kf_baskets_free(b);
    kf_store_free(st);
    return mine__exit(rc);
}

/* The active version of level in a versions list, or NULL. */
static json_t *mine__active(json_t *versions)
{
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) if (json_integer_value(json_object_get(v, "active")) == 1)
        return v;
    return NULL;
}

static void mine__explain_rule(int rank, json_t *r, long long baskets)
{
    char ante[300], cons[300];
    mine__side_json(json_object_get(r, "antecedent"), ante, sizeof ante);
    mine__side_json(json_object_get(r, "consequent"), cons, sizeof cons);
    double support = json_real_value(json_object_get(r, "support"));
    double conf = json_real_value(json_object_get(r, "confidence"));
    double lift = json_real_value(json_object_get(r, "lift"));
    long long count = json_integer_value(json_object_get(r, "count"));
    printf("%d. %s → %s   (rule %lld)\n", rank, ante, cons,
           (long long)json_integer_value(json_object_get(r, "rule_id")));
    printf("   support %.2f%%: %lld of the %lld baskets hold %s and %s together.\n",
           support * 100, count, baskets, ante, cons);
    printf("   confidence %.1f%%: of the baskets with %s, %.1f%% also hold %s.\n", conf * 100,
           ante, conf * 100, cons);
    printf("   lift %.2f: %s is in those baskets %.2f× as often as in baskets in general%s\n",
           lift, cons, lift,
           lift > 1.05   ? " — bought together more than chance would give."
           : lift < 0.95 ? " — less than chance: they rarely go together."
                         : " — about chance: no real link.");
}

static int mine__explain(const struct mine_opts *o, struct kf_store *st)
{
    struct kf_err err = {0};
    json_t *versions = NULL, *rules = NULL;
    int rc = kf_rules_versions(st, o->level, &versions, &err);
    json_t *act = rc == KF_OK ? mine__active(versions) : NULL;
    if (rc == KF_OK && act == NULL) {
        fprintf(stderr, "kefu: no active %s rule set: run 'kefu mine rules --level %s' first\n",
                o->level, o->level);
        json_decref(versions);
        return 1;
    }
    if (rc == KF_OK)
        rc = kf_rules_explain(st, o->level, o->item, o->top > 0 ? o->top : 20, &rules, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: mine rules --explain: %s\n", err.msg);
        json_decref(versions);
        return mine__exit(rc);
    }
    long long version = json_integer_value(json_object_get(act, "version"));
    long long baskets = json_integer_value(json_object_get(act, "baskets"));
    if (json_array_size(rules) == 0)
        printf("no rule of the active %s set (version %lld) mentions '%s'\n", o->level, version,
               o->item);
    else
        printf("rules with '%s' in the active %s set (version %lld, %lld baskets), best first:\n",
               o->item, o->level, version, baskets);
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) mine__explain_rule((int)i + 1, r, baskets);
    json_decref(rules);
    json_decref(versions);
    return 0;
}

static int mine__list(struct kf_store *st)
{
    struct kf_err err = {0};
    json_t *versions = NULL;
    if (kf_rules_versions(st, NULL, &versions, &err) != KF_OK) {
        fprintf(stderr, "kefu: mine rules --list: %s\n", err.msg);
        return 1;
    }
    if (json_array_size(versions) == 0)
        puts("no rule sets yet: run 'kefu mine rules'");
    else
        printf("%7s  %-8s  %-20s  %9s  %7s  %-9s  %11s  %8s  %s\n", "version", "level",
               "created (UTC)", "baskets", "rules", "algorithm", "min support", "min conf",
               "active");
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        json_t *p = json_object_get(v, "params");
        time_t t = (time_t)(json_integer_value(json_object_get(v, "created_at")) / 1000);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        char sup[32];
        long long minc = json_integer_value(json_object_get(p, "min_count"));
        snprintf(sup, sizeof sup, "%lld", minc);
        const char *alg = json_string_value(json_object_get(p, "algorithm"));
        printf("%7lld  %-8s  %-20s  %9lld  %7lld  %-9s  %11s  %8g  %s\n",
               (long long)json_integer_value(json_object_get(v, "version")),
               json_string_value(json_object_get(v, "level")), when,
               (long long)json_integer_value(json_object_get(v, "baskets")),
               (long long)json_integer_value(json_object_get(v, "nrules")),
               alg ? alg : "?", sup,
               json_number_value(json_object_get(p, "min_confidence")),
               json_integer_value(json_object_get(v, "active")) ? "*" : "");
    }
    json_decref(versions);
    return 0;
}

static int mine__activate(const struct mine_opts *o, struct kf_store *st)
{
    struct kf_err err = {0};
    int rc = kf_rules_activate(st, o->version, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: mine rules --activate: %s\n", err.msg);
        return rc == KF_ENOTFOUND ? 2 : mine__exit(rc);
    }
    printf("version %lld is now the active rule set of its level\n", o->version);
    return 0;
}

int cmd_mine(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "rules") != 0 && strcmp(argv[1], "--help") != 0 &&
                     strcmp(argv[1], "-h") != 0)) {
        fprintf(stderr, "kefu mine: expected 'rules'%s%s\nTry 'kefu mine rules --help'.\n",
                argc >= 2 ? ", got " : "", argc >= 2 ? argv[1] : "");
        return 2;
    }
    if (strcmp(argv[1], "rules") != 0) {
        mine_help();
        return 0;
    }
    static const struct option extra[] = {
        {"level", required_argument, NULL, 'l'},
        {"min-support", required_argument, NULL, 'S'},
        {"min-confidence", required_argument, NULL, 'C'},
        {"min-lift", required_argument, NULL, 'I'},
        {"max-len", required_argument, NULL, 'M'},
        {"max-rules", required_argument, NULL, 'R'},
        {"algorithm", required_argument, NULL, 'A'},
        {"from", required_argument, NULL, 'f'},
        {"save-baskets", required_argument, NULL, 'B'},
        {"dry-run", no_argument, NULL, 'n'},
        {"top", required_argument, NULL, 'T'},
        {"explain", required_argument, NULL, 'x'},
        {"list", no_argument, NULL, 'V'},
        {"activate", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0}};
    struct mine_opts o = {.level = "category", .top = 20, .p = kf_mine_default_params()};
    struct kf_config cfg;
    int rc = cli_parse(argc - 1, argv + 1, "", extra, mine_opt, &o, mine_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (o.mode == MODE_MINE)
        return mine__run(&o, &cfg);
    struct kf_err err = {0};
    struct kf_store *st = mine__store(&cfg, &err);
    if (st == NULL) {
        fprintf(stderr, "kefu: mine rules: %s\n", err.msg);
        return 1;
    }
    rc = o.mode == MODE_EXPLAIN ? mine__explain(&o, st)
         : o.mode == MODE_LIST  ? mine__list(st)
                                : mine__activate(&o, st);
    kf_store_free(st);
    return rc;
}
