/*
 * cmd_campaigns.c — `kefu campaigns run | list | report`: the bot's
 * lifecycle campaigns (campaign.h; bots/<bot>/campaigns.yaml) from the
 * terminal.
 *
 *   run      one run at --now (default: the clock), as the server's scheduler
 *            does it; --dry-run computes the same, writes nothing and shows
 *            the first messages as they would be sent
 *   list     the settings and campaigns of campaigns.yaml
 *   report   what the stored runs did: per campaign, counts by status
 *
 * The store and the bot's profile rules come with the engine, as in
 * `kefu serve`, so a run here sees the profiles the server sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kefu/campaign.h"
#include "kefu/campaign_store.h"
#include "kefu/engine.h"
#include "kefu/events.h"
#include "kefu/ingest.h"

struct camp_opts {
    long long now_ms, since_ms;
    int dry_run, json;
    const char *only;
};

static void campaigns_help(void)
{
    fputs("Usage: kefu campaigns run [--dry-run] [--now TIME] [--campaign NAME] [options]\n"
          "       kefu campaigns list [options]\n"
          "       kefu campaigns report [--since TIME] [options]\n"
          "Lifecycle campaigns from the bot's campaigns.yaml (docs/bot-format.md):\n"
          "birthday offers, win-back, cart reminders; opt-out, quiet hours, frequency\n"
          "cap and cooldowns respected.\n"
          "  run            run the campaigns once, as the server's scheduler does\n"
          "  list           the settings and campaigns of campaigns.yaml\n"
          "  report         per campaign, how many were sent or skipped and why\n"
          "      --dry-run        run: compute everything, write nothing, show the first\n"
          "                       messages as they would be sent\n"
          "      --now TIME       run: the moment of the run, ISO 8601 or ms (default: now)\n"
          "      --campaign NAME  run: only this campaign (also when not enabled)\n"
          "      --since TIME     report: only runs from this time on\n"
          "      --json           print JSON instead of a table\n\n",
          stdout);
    cli_help_common();
}

static int campaigns_opt(int opt, const char *arg, void *ctx)
{
    struct camp_opts *o = ctx;
    switch (opt) {
    case 'N':
    case 'S':
        return cli_time(opt == 'N' ? "--now" : "--since", arg,
                        opt == 'N' ? &o->now_ms : &o->since_ms) < 0 ? 2 : 0;
    case 'D':
        o->dry_run = 1;
        return 0;
    case 'J':
        o->json = 1;
        return 0;
    case 'C':
        o->only = arg;
        return 0;
    default:
        return 2;
    }
}

static int camp__print_json(json_t *doc)
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

/* The bot's campaigns.yaml; NULL after printing why. */
static struct kf_campaigns *camp__load(const struct kf_config *cfg, int *code)
{
    char path[KF_CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/campaigns.yaml", cfg->bot_path);
    struct kf_campaigns *c = NULL;
    struct kf_err err = {0};
    int rc = kf_campaigns_load(path, &c, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *code = rc == KF_ENOTFOUND ? 1 : 2;
    }
    return c;
}

static void camp__print_run(const struct kf_campaign_run *r)
{
    char when[32];
    kf_time_iso8601(r->now_ms, when);
    printf("campaigns at %s%s%s\n", when, r->dry_run ? " (dry run: nothing written)" : "",
           r->quiet ? " — quiet hours: sends deferred" : "");
    printf("%-16s %10s %8s %10s %8s %9s %5s %6s %7s\n", "campaign", "candidates", "audience",
           r->dry_run ? "would_send" : "sent", "opt_out", "cooldown", "cap", "quiet", "failed");
    for (size_t i = 0; i < r->n; i++) {
        const struct kf_campaign_tally *t = &r->tallies[i];
        printf("%-16s %10lld %8lld %10lld %8lld %9lld %5lld %6lld %7lld\n", t->campaign,
               t->candidates, t->audience, t->counts[KF_CO_SENT],
               t->counts[KF_CO_SKIPPED_OPT_OUT], t->counts[KF_CO_SKIPPED_COOLDOWN],
               t->counts[KF_CO_SKIPPED_CAP], t->counts[KF_CO_DEFERRED_QUIET],
               t->counts[KF_CO_FAILED]);
    }
    if (r->npreview > 0)
        printf("\n%s:\n", r->dry_run ? "first messages as they would be sent" : "first messages");
    for (size_t i = 0; i < r->npreview; i++) {
        const struct kf_campaign_preview *p = &r->preview[i];
        printf("  [%s] customer %lld (%s, %s): %s\n", p->campaign, p->customer_id, p->lang,
               p->channel, p->text);
    }
}

static int camp__run(struct kf_engine *e, const struct kf_config *cfg, const struct camp_opts *o)
{
    int code = 0;
    struct kf_campaigns *c = camp__load(cfg, &code);
    if (c == NULL)
        return code;
    struct kf_campaign_run_params p = kf_campaign_default_run_params();
    p.now_ms = o->now_ms;
    p.dry_run = o->dry_run;
    p.only = o->only;
    p.max_per_campaign = cfg->campaigns_max_per_run;
    struct kf_campaign_run r;
    struct kf_err err = {0};
    int rc = kf_campaigns_run(kf_engine_store(e), c, p, &r, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: campaigns run: %s\n", err.msg);
        code = rc == KF_ENOTFOUND || rc == KF_EINVAL ? 2 : 1;
    } else if (o->json) {
        json_t *doc = kf_campaign_run_json(&r);
        code = camp__print_json(doc);
        json_decref(doc);
    } else {
        camp__print_run(&r);
    }
    kf_campaign_run_release(&r);
    kf_campaigns_free(c);
    return code;
}

static int camp__list(const struct kf_config *cfg)
{
    int code = 0;
    struct kf_campaigns *c = camp__load(cfg, &code);
    if (c == NULL)
        return code;
    json_t *doc = kf_campaigns_json(c);
    code = camp__print_json(doc);
    json_decref(doc);
    kf_campaigns_free(c);
    return code;
}

static void camp__print_report(json_t *doc)
{
    static const char *const cols[] = {"sent",        "skipped_opt_out",      "skipped_cooldown",
                                       "skipped_cap", "deferred_quiet_hours", "failed",
                                       "sending"};
    printf("%-16s %6s %8s %9s %5s %6s %7s %8s  %s\n", "campaign", "sent", "opt_out", "cooldown",
           "cap", "quiet", "failed", "sending", "last run");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "campaigns"), i, c)
    {
        json_t *counts = json_object_get(c, "counts");
        long long v[7];
        for (size_t k = 0; k < 7; k++)
            v[k] = json_integer_value(json_object_get(counts, cols[k]));
        char when[32];
        kf_time_iso8601(json_integer_value(json_object_get(c, "last_run_at")), when);
        printf("%-16s %6lld %8lld %9lld %5lld %6lld %7lld %8lld  %s\n",
               json_string_value(json_object_get(c, "campaign")), v[0], v[1], v[2], v[3], v[4],
               v[5], v[6], when);
    }
    if (json_array_size(json_object_get(doc, "campaigns")) == 0)
        puts("(no campaign runs recorded)");
}

static int camp__report(struct kf_engine *e, const struct camp_opts *o)
{
    json_t *doc = NULL;
    struct kf_err err = {0};
    int rc = kf_campaign_store_report(kf_engine_store(e), o->since_ms, 0, &doc, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: campaigns report: %s\n", err.msg);
        return 1;
    }
    if (o->json)
        rc = camp__print_json(doc);
    else
        camp__print_report(doc);
    json_decref(doc);
    return rc;
}

int cmd_campaigns(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        campaigns_help();
        return 0;
    }
    if (strcmp(sub, "run") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "report") != 0) {
        fprintf(stderr, "kefu campaigns: expected run, list or report%s%s\n"
                        "Try 'kefu campaigns --help'.\n",
                argc >= 2 ? ", got " : "", sub);
        return 2;
    }
    static const struct option extra[] = {
        {"dry-run", no_argument, NULL, 'D'},       {"now", required_argument, NULL, 'N'},
        {"campaign", required_argument, NULL, 'C'}, {"since", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'J'},           {NULL, 0, NULL, 0}};
    struct camp_opts o = {0};
    struct kf_config cfg;
    int rc = cli_parse(argc - 1, argv + 1, "", extra, campaigns_opt, &o, campaigns_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (strcmp(sub, "list") == 0)
        return camp__list(&cfg);
    struct kf_engine *e = cli_engine_open(&cfg, 2, NULL, &rc);
    if (e == NULL)
        return rc;
    rc = strcmp(sub, "run") == 0 ? camp__run(e, &cfg, &o) : camp__report(e, &o);
    kf_engine_free(e);
    return rc;
}
