/*
 * cmd_demo.c — `kefu demo seed`: fill the store with the deterministic demo
 * shop (customers, orders, shipments, payments, refunds, returns; see
 * docs/demo-data.md and src/data/seed.c).
 *
 * The products come from the bot's catalogue.yaml (bot.path); the store is
 * store.path, migrated first. --if-empty leaves a store that already holds
 * demo orders alone (`make run` seeds that way before serving).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/auth.h"
#include "kefu/mem.h"
#include "kefu/demo.h"
#include "kefu/mining.h"
#include "kefu/repo.h"
#include "kefu/store.h"

struct demo_opts {
    struct kf_seed_params p;
};

static void demo_help(void)
{
    fputs("Usage: kefu demo seed [options]\n"
          "Fill the store with the demo shop: customers, a year of orders with shipments,\n"
          "payments, refunds and returns, and the fixed orders of demo-customer-1\n"
          "(docs/demo-data.md). The same --seed and --now give the same data; running it\n"
          "again replaces the earlier demo data.\n"
          "      --customers N    demo customers (default 2000, at most 200000)\n"
          "      --orders N       generated orders (default 20000, at most 250000), plus 5\n"
          "                       fixed ones\n"
          "      --seed N         random seed (default 42)\n"
          "      --now TIME       the shop's 'now': ISO 8601 (2026-11-25T12:00:00Z) or ms\n"
          "                       since the epoch (default: the current time)\n"
          "      --if-empty       do nothing when demo orders exist\n",
          stdout);
    cli_help_common();
}

/* ms since the epoch, or "YYYY-MM-DD[THH:MM[:SS]][Z]" read as UTC. */
static int demo__parse_now(const char *s, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && end != s && v > 0) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    if (rest != NULL && (*rest == 'T' || *rest == ' ')) {
        const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
        rest = r2 ? r2 : strptime(rest + 1, "%H:%M", &tm);
    }
    if (rest != NULL && *rest == 'Z')
        rest++;
    if (rest == NULL || *rest != '\0') {
        fprintf(stderr, "kefu: --now: '%s' is not ISO 8601 (2026-11-25T12:00:00Z) or ms\n", s);
        return -1;
    }
    *out = (long long)timegm(&tm) * 1000;
    return 0;
}

static int demo_opt(int opt, const char *arg, void *ctx)
{
    struct demo_opts *o = ctx;
    double v;
    switch (opt) {
    case 'C':
        if (cli_number("--customers", arg, 1, 200000, &v) < 0)
            return 2;
        o->p.customers = (int)v;
        return 0;
    case 'O':
        if (cli_number("--orders", arg, 0, 250000, &v) < 0)
            return 2;
        o->p.orders = (int)v;
        return 0;
    case 'S':
        if (cli_number("--seed", arg, 0, 9007199254740992.0, &v) < 0)
            return 2;
        o->p.seed = (unsigned long long)v;
        return 0;
    case 'N':
        return demo__parse_now(arg, &o->p.now_ms) < 0 ? 2 : 0;
    case 'E':
        o->p.if_empty = 1;
        return 0;
    default:
        return 2;
    }
}

/* The demo's cross-sell rules: category rules mined from the seeded orders.
 * The shop spreads each product's add-ons over several categories, so a
 * pair sits at a few percent confidence (phones are in a quarter of the
 * orders, so phones → phone-cases is 2.8% confident, with lift 2.3): the
 * thresholds ask for lift instead (`kefu mine rules` with other thresholds
 * makes a new version). */
static int demo_rules(struct kf_store *st, struct kf_err *err)
{
    struct kf_mine_params mp = kf_mine_default_params();
    mp.min_support = 0.001;
    mp.min_confidence = 0.02;
    mp.min_lift = 1.5;
    struct kf_rules_run run = {0};
    int rc = kf_rules_mine_store(st, "category", mp, &run, err);
    if (rc != KF_OK)
        fprintf(stderr, "kefu: demo seed: mining rules: %s\n", err->msg);
    else
        printf("mined %zu category rules from %zu orders (version %lld, kefu mine rules --list)\n",
               run.rules, run.baskets, run.version);
    return rc;
}

/* Staff accounts for the demo's console and dashboard, when the store has
 * none: agent, supervisor and admin with random passwords, written to
 * demo-accounts.txt beside the database (0600) and printed once. A real
 * deployment makes its own with `kefu users add`. */
static int demo_accounts(struct kf_store *st, const char *db_path, struct kf_err *err)
{
    long long n = 0;
    int rc = kf_users_count(st, &n, err);
    if (rc != KF_OK || n > 0)
        return rc;
    char path[KF_CONFIG_STR_MAX + 32];
    const char *slash = strrchr(db_path, '/');
    snprintf(path, sizeof path, "%.*sdemo-accounts.txt",
             slash ? (int)(slash - db_path + 1) : 0, db_path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    }
    static const char *const roles[] = {"agent", "supervisor", "admin"};
    fprintf(f, "# kefu demo staff accounts (username password role); change them with\n"
               "# kefu users passwd NAME, or make your own with kefu users add\n");
    for (size_t i = 0; i < 3 && rc == KF_OK; i++) {
        unsigned char raw[9];
        char pw[16];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(pw, sizeof pw, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        rc = kf_users_add(st, roles[i], NULL, roles[i], pw, NULL, err);
        if (rc == KF_OK)
            fprintf(f, "%s %s %s\n", roles[i], pw, roles[i]);
        sodium_memzero(pw, sizeof pw);
    }
    fclose(f);
    if (rc == KF_OK)
        printf("demo staff accounts agent, supervisor and admin: passwords in %s\n", path);
    return rc;
}

static int demo__seed(const struct kf_config *cfg, struct kf_seed_params *p)
{
    struct kf_err err = {0};
    struct kf_store_params sp = kf_store_default_params();
    sp.path = cfg->db_path;
    sp.synchronous_full = strcmp(cfg->synchronous, "full") == 0;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    struct kf_seed_stats s;
    int rc = kf_store_open(sp, &st, &err);
    if (rc == KF_OK)
        rc = kf_store_migrate(st, NULL, &err);
    if (rc == KF_OK)
        rc = kf_demo_seed(st, cfg->bot_path, *p, &s, &err);
    if (rc != KF_OK)
        fprintf(stderr, "kefu: demo seed: %s\n", err.msg);
    else if (s.skipped)
        printf("demo data already present in %s (%lld demo orders): left as it is\n", cfg->db_path,
               s.orders);
    else
        printf("seeded %s: %lld products, %lld customers, %lld orders, %lld shipments, "
               "%lld payments, %lld refunds, %lld returns\n",
               cfg->db_path, s.products, s.customers, s.orders, s.shipments, s.payments, s.refunds,
               s.returns);
    if (rc == KF_OK && !s.skipped)
        rc = demo_rules(st, &err);
    /* also for a store seeded before accounts existed (issue 7) */
    if (rc == KF_OK && (rc = demo_accounts(st, cfg->db_path, &err)) != KF_OK)
        fprintf(stderr, "kefu: demo seed: accounts: %s\n", err.msg);
    kf_store_free(st);
    return rc == KF_OK ? 0 : rc == KF_EINVAL ? 2 : 1;
}

int cmd_demo(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "seed") != 0 && strcmp(argv[1], "--help") != 0 &&
                     strcmp(argv[1], "-h") != 0)) {
        fprintf(stderr, "kefu demo: expected 'seed'%s%s\nTry 'kefu demo seed --help'.\n",
                argc >= 2 ? ", got " : "", argc >= 2 ? argv[1] : "");
        return 2;
    }
    if (strcmp(argv[1], "seed") != 0) {
        demo_help();
        return 0;
    }
    static const struct option extra[] = {
        {"customers", required_argument, NULL, 'C'}, {"orders", required_argument, NULL, 'O'},
        {"seed", required_argument, NULL, 'S'},      {"now", required_argument, NULL, 'N'},
        {"if-empty", no_argument, NULL, 'E'},        {NULL, 0, NULL, 0}};
    struct demo_opts o = {.p = kf_seed_default_params()};
    struct kf_config cfg;
    int rc = cli_parse(argc - 1, argv + 1, "", extra, demo_opt, &o, demo_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    return demo__seed(&cfg, &o.p);
}
