/*
 * cmd_profiles.c — `kefu profiles rebuild | show ID` and `kefu segments
 * [TAG]`: customer profiles and segments from the terminal
 * (docs/customer-data.md).
 *
 *   profiles rebuild   sync the shop's orders and refunds into events, fold
 *                      every event again, replace every profile and tag (after
 *                      changing profiles.yaml; to move lifecycle stages along);
 *                      a progress bar on a terminal, a summary line on stdout
 *   profiles show ID   the customer's profile, pretty JSON
 *   segments           tags, lifecycle stages and RFM segments with counts
 *   segments TAG       the customers with TAG ("lifecycle:dormant" and
 *                      "rfm:<segment>" work too), riskiest first
 *
 * The bot's profiles.yaml (its tag rules) comes with the engine, as in
 * `kefu serve`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/engine.h"
#include "kefu/events.h"
#include "kefu/ingest.h"

struct prof_opts {
    long long now_ms;
    long long limit, offset;
};

static void profiles_help(void)
{
    fputs("Usage: kefu profiles rebuild [options]\n"
          "       kefu profiles show ID [options]\n"
          "       kefu segments [TAG] [--limit N] [--offset N] [options]\n"
          "Customer profiles (RFM, lifetime value, lifecycle, preferences, churn risk, tags)\n"
          "and segments; docs/customer-data.md.\n"
          "  rebuild        sync shop orders into events, fold every event again, replace\n"
          "                 every profile and tag (after editing the bot's profiles.yaml)\n"
          "  show ID        one customer's profile as JSON\n"
          "  segments       every tag, lifecycle stage and RFM segment with its customers\n"
          "  segments TAG   the customers with TAG (also lifecycle:STAGE, rfm:SEGMENT)\n"
          "      --now TIME       derive at this time: ISO 8601 or ms (default: the clock)\n"
          "      --limit N        segments TAG: customers shown, 1..500 (default 50)\n"
          "      --offset N       segments TAG: skip the first N\n\n",
          stdout);
    cli_help_common();
}

static int profiles_opt(int opt, const char *arg, void *ctx)
{
    struct prof_opts *o = ctx;
    double v;
    switch (opt) {
    case 'N':
        return cli_time("--now", arg, &o->now_ms) < 0 ? 2 : 0;
    case 'l':
        if (cli_number("--limit", arg, 1, 500, &v) < 0)
            return 2;
        o->limit = (long long)v;
        return 0;
    case 'o':
        if (cli_number("--offset", arg, 0, 1e12, &v) < 0)
            return 2;
        o->offset = (long long)v;
        return 0;
    default:
        return 2;
    }
}

static const struct option profiles_extra[] = {{"now", required_argument, NULL, 'N'},
                                               {"limit", required_argument, NULL, 'l'},
                                               {"offset", required_argument, NULL, 'o'},
                                               {NULL, 0, NULL, 0}};

static double prof__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct prof_progress {
    double t0, last;
    int tty;
};

static void prof__progress(long long done, long long total, void *arg)
{
    struct prof_progress *p = arg;
    double now = prof__now();
    if (!p->tty || (now - p->last < 0.2 && done < total))
        return;
    p->last = now;
    double f = total > 0 ? (double)done / (double)total : 1;
    char bar[31];
    int fill = (int)(f * 30 + 0.5);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%% %lld / %lld customers  %.0f/s \033[K", bar, f * 100, done,
            total, (double)done / (now - p->t0 > 1e-6 ? now - p->t0 : 1e-6));
}

static int prof__print(json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    if (s == NULL) {
        fputs("kefu: out of memory\n", stderr);
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

/* The store call's failure: 1 (not found and store errors alike). */
static int prof__fail(const char *what, const struct kf_err *err)
{
    fprintf(stderr, "kefu: %s: %s\n", what, err->msg);
    return err->code == KF_EINVAL ? 2 : 1;
}

static int prof__rebuild(struct kf_engine *e, const struct prof_opts *o)
{
    struct prof_progress pp = {.t0 = prof__now(), .tty = isatty(2)};
    struct kf_rebuild_stats st = {0};
    struct kf_err err = {0};
    int rc = kf_profiles_rebuild(kf_engine_store(e), o->now_ms, prof__progress, &pp, &st, &err);
    if (pp.tty)
        fputc('\n', stderr);
    if (rc != KF_OK)
        return prof__fail("profiles rebuild", &err);
    double secs = prof__now() - pp.t0;
    printf("rebuilt %lld profiles from %lld events (%lld customers tagged) in %.2f s\n",
           st.customers, st.events, st.tagged, secs);
    return 0;
}

static int prof__show(struct kf_engine *e, const char *id_text, const struct prof_opts *o)
{
    char *end;
    long long id = strtoll(id_text, &end, 10);
    if (*id_text == '\0' || *end != '\0' || id < 1) {
        fprintf(stderr, "kefu: profiles show: expected a customer id, got '%s'\n", id_text);
        return 2;
    }
    json_t *doc = NULL;
    struct kf_err err = {0};
    if (kf_profiles_get(kf_engine_store(e), id, o->now_ms, &doc, &err) != KF_OK)
        return prof__fail("profiles show", &err);
    int rc = prof__print(doc);
    json_decref(doc);
    return rc;
}

/* kefu profiles SUB [ID] ...: SUB and ID come first, then options. */
int cmd_profiles(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        profiles_help();
        return 0;
    }
    int show = argc >= 2 && strcmp(argv[1], "show") == 0;
    if (argc < 2 || (!show && strcmp(argv[1], "rebuild") != 0)) {
        fprintf(stderr, "kefu profiles: expected 'rebuild' or 'show ID'%s%s\n"
                        "Try 'kefu profiles --help'.\n",
                argc >= 2 ? ", got " : "", argc >= 2 ? argv[1] : "");
        return 2;
    }
    if (show && (argc < 3 || argv[2][0] == '-')) {
        fprintf(stderr, "kefu profiles show: expected a customer id\n");
        return 2;
    }
    int skip = show ? 2 : 1;
    struct prof_opts o = {.limit = 50};
    struct kf_config cfg;
    int rc = cli_parse(argc - skip, argv + skip, "", profiles_extra, profiles_opt, &o,
                       profiles_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    struct kf_engine *e = cli_engine_open(&cfg, 2, NULL, &rc);
    if (e == NULL)
        return rc;
    rc = show ? prof__show(e, argv[2], &o) : prof__rebuild(e, &o);
    kf_engine_free(e);
    return rc;
}

int cmd_segments(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        profiles_help();
        return 0;
    }
    const char *tag = argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL;
    int skip = tag != NULL ? 1 : 0;
    struct prof_opts o = {.limit = 50};
    struct kf_config cfg;
    int rc = cli_parse(argc - skip, argv + skip, "", profiles_extra, profiles_opt, &o,
                       profiles_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    struct kf_engine *e = cli_engine_open(&cfg, 2, NULL, &rc);
    if (e == NULL)
        return rc;
    json_t *doc = NULL;
    struct kf_err err = {0};
    if (tag != NULL)
        rc = kf_segments_customers(kf_engine_store(e), tag, (int)o.limit, o.offset, &doc, &err);
    else
        rc = kf_segments_summary(kf_engine_store(e), &doc, &err);
    rc = rc != KF_OK ? prof__fail("segments", &err) : prof__print(doc);
    json_decref(doc);
    kf_engine_free(e);
    return rc;
}
