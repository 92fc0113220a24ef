/*
 * cmd_experiments.c — `kefu experiments list | report ID`: the bot's A/B
 * experiments (experiment.h; bots/NAME/experiments.yaml) and their results.
 *
 *   list     the experiments as defined (variants, weights, styles)
 *   report   per variant: exposed conversations, customers, conversion,
 *            CSAT, resolution and handoff; each rate of every variant
 *            against the control with a two-proportion z-test — a readable
 *            table, or with --json the document GET
 *            /api/v1/experiments/{id}/report returns.
 *
 * Only the store is opened (no models): the report is the server's, read
 * from the same database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kefu/experiment.h"
#include "kefu/store.h"

struct xp_opts {
    long long from, to;
    int json;
};

static void experiments_help(void)
{
    fputs("Usage: kefu experiments list [--json]\n"
          "       kefu experiments report ID [--from TIME] [--to TIME] [--json]\n"
          "A/B experiments of the bot's experiments.yaml (docs/experiments.md).\n"
          "  list           the experiments, their variants and weights\n"
          "  report ID      per variant: conversations exposed, customers, conversion, CSAT,\n"
          "                 resolution and handoff rates; z-tests against the control\n"
          "      --from TIME    report: exposures from this time (ISO 8601 or ms)\n"
          "      --to TIME      report: ... and before this one\n"
          "      --json         JSON instead of a table\n\n",
          stdout);
    cli_help_common();
}

static int experiments_opt(int opt, const char *arg, void *ctx)
{
    struct xp_opts *o = ctx;
    switch (opt) {
    case 'f':
        return cli_time("--from", arg, &o->from) < 0 ? 2 : 0;
    case 'T':
        return cli_time("--to", arg, &o->to) < 0 ? 2 : 0;
    case 'J':
        o->json = 1;
        return 0;
    default:
        return 2;
    }
}

static struct kf_experiments *xp__load(const struct kf_config *cfg, int *code)
{
    char path[KF_CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/experiments.yaml", cfg->bot_path);
    struct kf_experiments *x = NULL;
    struct kf_err err = {0};
    int rc = kf_experiments_load(path, &x, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *code = rc == KF_ENOTFOUND ? 1 : 2;
    }
    return x;
}

static int xp__print_json(json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    if (s == NULL) {
        fputs("kefu: out of memory\n", stderr);
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

static int xp__list(const struct kf_experiments *x, int json)
{
    if (json) {
        json_t *doc = kf_experiments_json(x);
        int rc = xp__print_json(doc);
        json_decref(doc);
        return rc;
    }
    for (size_t i = 0; i < kf_experiments_count(x); i++) {
        const struct kf_experiment *e = kf_experiments_at(x, i);
        long total = 0;
        for (size_t k = 0; k < e->nvariants; k++)
            total += e->variants[k].weight;
        printf("%s  [%s]  applies to flow %s\n", e->id, e->status, e->applies_to);
        if (e->description[0] != '\0')
            printf("  %s\n", e->description);
        for (size_t k = 0; k < e->nvariants; k++)
            printf("  %-16s weight %-5d (%5.1f%%)  style %s%s\n", e->variants[k].name,
                   e->variants[k].weight, 100.0 * e->variants[k].weight / (double)total,
                   e->variants[k].style, k == 0 ? "  (control)" : "");
    }
    if (kf_experiments_count(x) == 0)
        puts("(no experiments defined)");
    return 0;
}

/* "12.5% (3)" or "-" */
static void xp__pct(char *out, size_t cap, json_t *rate, json_t *count)
{
    if (!json_is_number(rate))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.1f%% (%lld)", 100 * json_number_value(rate),
                 (long long)json_integer_value(count));
}

static double xp__num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static void xp__print_report(json_t *doc)
{
    printf("experiment %s (%s, flow %s) — control: %s, %lld conversations exposed\n",
           json_string_value(json_object_get(doc, "experiment")),
           json_string_value(json_object_get(doc, "status")),
           json_string_value(json_object_get(doc, "applies_to")),
           json_string_value(json_object_get(doc, "control")),
           (long long)json_integer_value(json_object_get(doc, "exposed")));
    printf("\n%-14s %7s %9s %14s %14s %14s %14s\n", "variant", "convs", "customers", "conversion",
           "csat avg (n)", "resolution", "handoff");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "variants"), i, v)
    {
        char conv[32], csat[32], res[32], hand[32];
        xp__pct(conv, sizeof conv, json_object_get(v, "conversion_rate"),
                json_object_get(v, "conversions"));
        xp__pct(res, sizeof res, json_object_get(v, "resolution_rate"),
                json_object_get(v, "resolved"));
        xp__pct(hand, sizeof hand, json_object_get(v, "handoff_rate"),
                json_object_get(v, "handoffs"));
        json_t *avg = json_object_get(v, "csat_average");
        if (json_is_number(avg))
            snprintf(csat, sizeof csat, "%.2f (%lld)", json_number_value(avg),
                     (long long)json_integer_value(json_object_get(v, "csat_count")));
        else
            snprintf(csat, sizeof csat, "-");
        printf("%-14s %7lld %9lld %14s %14s %14s %14s\n",
               json_string_value(json_object_get(v, "name")),
               (long long)json_integer_value(json_object_get(v, "conversations")),
               (long long)json_integer_value(json_object_get(v, "customers")), conv, csat, res,
               hand);
    }
    json_t *tests = json_object_get(doc, "tests");
    if (json_array_size(tests) == 0)
        return;
    printf("\ntwo-proportion z-tests against %s (pooled; 95%% CI of the difference):\n",
           json_string_value(json_object_get(doc, "control")));
    printf("%-14s %-11s %8s %8s %9s %9s %7s %8s  %-20s %s\n", "variant", "metric", "control",
           "variant", "diff", "relative", "z", "p", "95% CI", "verdict");
    int small = 0;
    json_array_foreach(tests, i, v)
    {
        const char *verdict = json_string_value(json_object_get(v, "verdict"));
        if (!json_is_number(json_object_get(v, "z"))) {
            printf("%-14s %-11s %s\n", json_string_value(json_object_get(v, "variant")),
                   json_string_value(json_object_get(v, "metric")), verdict);
            continue;
        }
        char rel[16], ci[40];
        json_t *r = json_object_get(v, "relative_diff");
        if (json_is_number(r))
            snprintf(rel, sizeof rel, "%+.1f%%", 100 * json_number_value(r));
        else
            snprintf(rel, sizeof rel, "-");
        json_t *c = json_object_get(v, "ci95");
        snprintf(ci, sizeof ci, "[%+.1f, %+.1f] pp", 100 * json_number_value(json_array_get(c, 0)),
                 100 * json_number_value(json_array_get(c, 1)));
        printf("%-14s %-11s %7.1f%% %7.1f%% %+7.1fpp %9s %7.3f %8.4f  %-20s %s%s\n",
               json_string_value(json_object_get(v, "variant")),
               json_string_value(json_object_get(v, "metric")), 100 * xp__num(v, "control_rate"),
               100 * xp__num(v, "variant_rate"), 100 * xp__num(v, "diff"), rel, xp__num(v, "z"),
               xp__num(v, "p_value"), ci, verdict, json_object_get(v, "note") != NULL ? " *" : "");
        small |= json_object_get(v, "note") != NULL;
    }
    if (small)
        printf("\n* an arm has fewer than %d conversations: the normal approximation is rough\n",
               KF_EXPERIMENT_MIN_ARM);
}

static int xp__report(const struct kf_config *cfg, const struct kf_experiments *x, const char *id,
                      const struct xp_opts *o)
{
    const struct kf_experiment *e = kf_experiments_find(x, id);
    if (e == NULL) {
        fprintf(stderr, "kefu: experiments report: no experiment '%s' in %s/experiments.yaml\n", id,
                cfg->bot_path);
        return 2;
    }
    struct kf_store_params sp = kf_store_default_params();
    sp.path = cfg->db_path;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    struct kf_err err = {0};
    json_t *doc = NULL;
    int rc = kf_store_open(sp, &st, &err);
    if (rc == KF_OK)
        rc = kf_store_migrate(st, NULL, &err);
    if (rc == KF_OK)
        rc = kf_experiment_report(st, e, o->from, o->to, &doc, &err);
    kf_store_free(st);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: experiments report: %s\n", err.msg);
        return rc == KF_EINVAL ? 2 : 1;
    }
    if (o->json)
        rc = xp__print_json(doc);
    else
        xp__print_report(doc);
    json_decref(doc);
    return rc;
}

int cmd_experiments(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        experiments_help();
        return 0;
    }
    int report = strcmp(sub, "report") == 0;
    if (!report && strcmp(sub, "list") != 0) {
        fprintf(stderr,
                "kefu experiments: expected list or report%s%s\n"
                "Try 'kefu experiments --help'.\n",
                argc >= 2 ? ", got " : "", sub);
        return 2;
    }
    if (report && (argc < 3 || argv[2][0] == '-')) {
        fputs("kefu experiments report: ID missing\nTry 'kefu experiments --help'.\n", stderr);
        return 2;
    }
    static const struct option extra[] = {{"from", required_argument, NULL, 'f'},
                                          {"to", required_argument, NULL, 'T'},
                                          {"json", no_argument, NULL, 'J'},
                                          {NULL, 0, NULL, 0}};
    struct xp_opts o = {0};
    struct kf_config cfg;
    int skip = report ? 2 : 1;
    int rc =
        cli_parse(argc - skip, argv + skip, "", extra, experiments_opt, &o, experiments_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (o.to != 0 && o.to <= o.from) {
        fputs("kefu: --to must be after --from\n", stderr);
        return 2;
    }
    struct kf_experiments *x = xp__load(&cfg, &rc);
    if (x == NULL)
        return rc;
    rc = report ? xp__report(&cfg, x, argv[2], &o) : xp__list(x, o.json);
    kf_experiments_free(x);
    return rc;
}
