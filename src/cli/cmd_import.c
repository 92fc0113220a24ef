/*
 * cmd_import.c — `kefu import FILE`: customer events from a CSV or JSON-lines
 * file into the store (docs/customer-data.md).
 *
 * The file is streamed in 64 KiB pieces through an ingester (ingest.h) —
 * never loaded whole — which masks personal data, validates each record and
 * writes batches of up to 1000 events, one transaction each. On a terminal
 * stderr shows a progress bar (bytes done of the total, events/s); each
 * rejected record is reported as "FILE:LINE: field: message" (the first
 * --max-errors of them, then a count); stdout gets one summary line. Exit
 * status: 0 when nothing was rejected, 1 when a record was rejected or the
 * import stopped (a bad header, the store), 2 for a usage error.
 *
 * Re-importing a file adds nothing: every event has an id (its own, or one
 * derived from its content), and ids already stored count as duplicates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/engine.h"
#include "kefu/ingest.h"

#define IMPORT_CHUNK (64 * 1024)

struct import_opts {
    const char *file;
    int format; /* -1: by extension */
    char channel[33];
    long long max_errors;
    long long now_ms;
    int check;
    int bulk; /* --bulk: events only, then one profile rebuild */
    size_t batch;
};

struct import_run {
    const struct import_opts *o;
    long long shown, rejected;
    FILE *in;
    long long done_bytes, total_bytes; /* total 0: unknown (a pipe) */
    double t0, last_draw;
    long long events;
    int tty;
};

static void import_help(void)
{
    fputs("Usage: kefu import FILE [options]\n"
          "Import customer events (view, click, search, add_to_cart, order, payment, refund,\n"
          "attribute) from a CSV or JSON-lines file (FILE '-' reads stdin); docs/customer-data.md\n"
          "lists the fields and CSV columns. Personal data in search queries and attribute\n"
          "values is masked before it is stored; importing a file again adds nothing.\n"
          "      --format F       csv | jsonl (default: by extension: .csv, .jsonl/.ndjson/.json)\n"
          "      --channel NAME   channel of events that name none (default web)\n"
          "      --max-errors N   rejected lines reported one by one (default 20), then a count\n"
          "      --now TIME       the current time: ISO 8601 or ms (default: the clock)\n"
          "      --batch N        events per transaction, 1..1000 (default 1000)\n"
          "      --check          validate only: nothing is written\n"
          "      --bulk           a large history: write the events only, then rebuild every\n"
          "                       profile once (several times faster than folding each event)\n"
          "Exit status: 0 all imported (or already there), 1 some lines rejected or the import\n"
          "stopped, 2 usage error.\n\n",
          stdout);
    cli_help_common();
}

static int import_opt(int opt, const char *arg, void *ctx)
{
    struct import_opts *o = ctx;
    double v;
    switch (opt) {
    case 'f':
        if (strcmp(arg, "csv") == 0)
            o->format = KF_INGEST_CSV;
        else if (strcmp(arg, "jsonl") == 0)
            o->format = KF_INGEST_JSONL;
        else {
            fprintf(stderr, "kefu: --format: expected csv or jsonl, got '%s'\n", arg);
            return 2;
        }
        return 0;
    case 'C':
        if (arg[0] == '\0' || strlen(arg) >= sizeof o->channel) {
            fprintf(stderr, "kefu: --channel: expected 1 to %zu bytes\n", sizeof o->channel - 1);
            return 2;
        }
        snprintf(o->channel, sizeof o->channel, "%s", arg);
        return 0;
    case 'M':
        if (cli_number("--max-errors", arg, 0, 1e9, &v) < 0)
            return 2;
        o->max_errors = (long long)v;
        return 0;
    case 'N':
        return cli_time("--now", arg, &o->now_ms) < 0 ? 2 : 0;
    case 'B':
        if (cli_number("--batch", arg, 1, KF_EVENTS_BATCH_MAX, &v) < 0)
            return 2;
        o->batch = (size_t)v;
        return 0;
    case 'K':
        o->check = 1;
        return 0;
    case 'U':
        o->bulk = 1;
        return 0;
    default:
        return 2;
    }
}

static double import__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --bulk: the profiles the import left alone, folded once. */
static int import__rebuild(struct kf_store *st, long long now_ms)
{
    kf_events_set_deferred(st, 0);
    struct kf_rebuild_stats rs = {0};
    struct kf_err err = {0};
    double t0 = import__now();
    int rc = kf_profiles_rebuild(st, now_ms, NULL, NULL, &rs, &err);
    if (rc != KF_OK)
        fprintf(stderr, "kefu: import: rebuilding profiles: %s\n", err.msg);
    else
        printf("rebuilt %lld profiles from %lld events in %.2f s\n", rs.customers, rs.events,
               import__now() - t0);
    return rc;
}

static int import__ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* "12.3 MB" */
static void import__size(long long b, char out[32])
{
    if (b >= 1000000000LL)
        snprintf(out, 32, "%.2f GB", (double)b / 1e9);
    else if (b >= 1000000)
        snprintf(out, 32, "%.1f MB", (double)b / 1e6);
    else
        snprintf(out, 32, "%.1f kB", (double)b / 1e3);
}

static void import__progress(struct import_run *run, int final)
{
    if (!run->tty)
        return;
    double now = import__now();
    if (!final && now - run->last_draw < 0.2)
        return;
    run->last_draw = now;
    double secs = now - run->t0 > 1e-6 ? now - run->t0 : 1e-6;
    char done[32], total[32], bar[31];
    import__size(run->done_bytes, done);
    if (run->total_bytes > 0) {
        double f = (double)run->done_bytes / (double)run->total_bytes;
        int fill = (int)(f * 30 + 0.5);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        import__size(run->total_bytes, total);
        fprintf(stderr, "\r[%s] %5.1f%% %s / %s  %lld events  %.0f events/s \033[K", bar,
                f * 100, done, total, run->events, (double)run->events / secs);
    } else {
        fprintf(stderr, "\r%s  %lld events  %.0f events/s \033[K", done, run->events,
                (double)run->events / secs);
    }
    if (final)
        fputc('\n', stderr);
}

static void import__on_result(const struct kf_ingest_result *r, void *arg)
{
    struct import_run *run = arg;
    run->events++;
    if (r->status != KF_EVENT_REJECTED)
        return;
    run->rejected++;
    if (run->shown >= run->o->max_errors)
        return;
    run->shown++;
    if (run->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "%s:%lld: %s\n", run->o->file, r->n, r->message);
}

/* The ingester's "line N: ..." as "FILE:N: ..." (what editors jump to). */
static void import__fatal(const char *file, const struct kf_err *err)
{
    long long line;
    int off = 0;
    if (sscanf(err->msg, "line %lld: %n", &line, &off) == 1 && off > 0)
        fprintf(stderr, "%s:%lld: %s\n", file, line, err->msg + off);
    else
        fprintf(stderr, "kefu: import %s: %s\n", file, err->msg);
}

static int import__stream(struct import_run *run, struct kf_ingest *ing, struct kf_err *err)
{
    char *buf = malloc(IMPORT_CHUNK);
    if (buf == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = KF_OK;
    size_t n;
    while (rc == KF_OK && (n = fread(buf, 1, IMPORT_CHUNK, run->in)) > 0) {
        rc = kf_ingest_feed(ing, buf, n, err);
        run->done_bytes += (long long)n;
        import__progress(run, 0);
    }
    if (rc == KF_OK && ferror(run->in))
        rc = kf_errorf(err, KF_EIO, "read error: %s", strerror(errno));
    if (rc == KF_OK)
        rc = kf_ingest_finish(ing, err);
    free(buf);
    return rc;
}

static int import__run(const struct kf_config *cfg, struct import_opts *o)
{
    struct import_run run = {.o = o, .tty = isatty(2)};
    if (strcmp(o->file, "-") == 0) {
        run.in = stdin;
    } else if ((run.in = fopen(o->file, "rb")) == NULL) {
        fprintf(stderr, "kefu: import: %s: %s\n", o->file, strerror(errno));
        return 1;
    }
    struct stat sb;
    if (fstat(fileno(run.in), &sb) == 0 && S_ISREG(sb.st_mode))
        run.total_bytes = (long long)sb.st_size;
    int code = 1;
    struct kf_engine *engine = cli_engine_open(cfg, 2, NULL, &code);
    if (engine == NULL) {
        if (run.in != stdin)
            fclose(run.in);
        return code;
    }
    struct kf_ingest_params p = kf_ingest_default_params();
    p.store = o->check ? NULL : kf_engine_store(engine);
    p.engine = engine;
    p.format = (enum kf_ingest_format)o->format;
    p.channel = o->channel[0] ? o->channel : NULL;
    p.now_ms = o->now_ms;
    p.batch = o->batch;
    p.on_result = import__on_result;
    p.arg = &run;
    struct kf_ingest *ing = NULL;
    struct kf_err err = {0};
    run.t0 = import__now();
    if (o->bulk && !o->check)
        kf_events_set_deferred(kf_engine_store(engine), 1);
    int rc = kf_ingest_new(p, &ing, &err);
    if (rc == KF_OK)
        rc = import__stream(&run, ing, &err);
    import__progress(&run, 1);
    if (rc != KF_OK)
        import__fatal(o->file, &err);
    struct kf_ingest_stats st = {0};
    if (ing != NULL)
        kf_ingest_stats(ing, &st);
    if (run.rejected > run.shown)
        fprintf(stderr, "%s: %lld more rejected lines not shown (--max-errors %lld)\n", o->file,
                run.rejected - run.shown, o->max_errors);
    double secs = import__now() - run.t0;
    printf("%s %s: %lld events: %lld %s, %lld duplicates, %lld rejected in %.2f s (%.0f "
           "events/s)%s\n",
           o->check ? "checked" : "imported", o->file, st.added + st.duplicates + st.rejected,
           st.added, o->check ? "valid" : "added", st.duplicates, st.rejected, secs,
           secs > 0 ? (double)(st.added + st.duplicates + st.rejected) / secs : 0.0,
           rc != KF_OK ? " — stopped" : "");
    if (rc == KF_OK && o->bulk && !o->check)
        rc = import__rebuild(kf_engine_store(engine), o->now_ms);
    kf_ingest_free(ing);
    kf_engine_free(engine);
    if (run.in != stdin)
        fclose(run.in);
    return rc != KF_OK || st.rejected > 0 ? 1 : 0;
}

int cmd_import(int argc, char **argv)
{
    static const struct option extra[] = {
        {"format", required_argument, NULL, 'f'},     {"channel", required_argument, NULL, 'C'},
        {"max-errors", required_argument, NULL, 'M'}, {"now", required_argument, NULL, 'N'},
        {"batch", required_argument, NULL, 'B'},      {"check", no_argument, NULL, 'K'},
        {"bulk", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0}};
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        import_help();
        return 0;
    }
    if (argc < 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "kefu import: expected a FILE first\nTry 'kefu import --help'.\n");
        return 2;
    }
    struct import_opts o = {.file = argv[1], .format = -1, .max_errors = 20};
    struct kf_config cfg;
    int rc = cli_parse(argc - 1, argv + 1, "", extra, import_opt, &o, import_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (o.format < 0) {
        if (import__ends(o.file, ".csv"))
            o.format = KF_INGEST_CSV;
        else if (import__ends(o.file, ".jsonl") || import__ends(o.file, ".ndjson") ||
                 import__ends(o.file, ".json"))
            o.format = KF_INGEST_JSONL;
        else {
            fprintf(stderr, "kefu import: %s: cannot tell the format from the name; give "
                            "--format csv or --format jsonl\n",
                    o.file);
            return 2;
        }
    }
    return import__run(&cfg, &o);
}
