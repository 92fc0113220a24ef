/*
 * events_gen.c — synthetic customer events for the ingestion and profile
 * benchmarks (bench/events.sh, bench/profiles.sh; issue 6).
 *
 *   events_gen --events N --customers M [--format jsonl|csv] [--seed S]
 *              [--days D] [--prefix P] [--ndjson-batch K]         > FILE
 *   events_gen --events N --customers M --db PATH [--batch B] [--deferred 1]   (bulk path;
 *              --deferred 1: events only, kf_events_set_deferred, then rebuild)
 *
 * The mix of a shop's stream: view 55 %, click 15 %, search 10 %,
 * add_to_cart 9 %, order 6 %, payment 4 %, refund 0.5 %, attribute 0.5 %;
 * 2,000 synthetic skus ("SKU-00001", 40 categories, prices 9.9 .. 9,999 with
 * a long tail); orders of 1-3 items; customers "P-u<n>" on the web channel
 * (skewed: a tenth of the customers make half of the events); times spread
 * over the last D days (default 365) before 2026-11-20. Event ids are
 * "P-<n>", so the same arguments give the same events (re-import: all
 * duplicates).
 *
 * Text output (JSON lines or CSV with the columns of docs/customer-data.md)
 * is what `kefu import` and POST /api/v1/events take. --ndjson-batch K writes
 * JSON lines in files of K lines into the folder given as --out-dir, for
 * wrk to post.
 *
 * The bulk path (--db) is the fast path of bench/profiles.sh: the same
 * events, built as struct kf_event in memory and written by
 * kf_events_ingest in batches (default 1000) with the default profile rules
 * — what `kefu import` does after parsing and masking, so it measures the
 * store's ingest (customer resolution, dedup, profile state and tags) without
 * the text formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kefu/arena.h"
#include "kefu/events.h"
#include "kefu/profile.h"
#include "kefu/store.h"

#define NSKUS 2000
#define NCATS 40
#define END_MS 1795132800000LL /* 2026-11-20T00:00:00Z */

struct gen {
    long long events, customers;
    unsigned long long rng;
    int days;
    const char *prefix, *format, *db, *out_dir;
    int batch, ndjson_batch;
    int deferred; /* --deferred 1: events only; profiles wait for a rebuild */
};

static unsigned long long gen__next(struct gen *g)
{
    /* xorshift64* */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ULL;
}

static double gen__unit(struct gen *g)
{
    return (double)(gen__next(g) >> 11) / 9007199254740992.0;
}

static long long gen__below(struct gen *g, long long n)
{
    return (long long)(gen__unit(g) * (double)n);
}

static double gen__price(int sku)
{
    /* deterministic per sku: most cheap, a long tail of expensive ones */
    unsigned long long h = (unsigned long long)sku * 11400714819323198485ULL;
    double u = (double)(h >> 11) / 9007199254740992.0;
    double p = 9.9 + u * u * u * 9989.0;
    return (double)(long long)(p * 10) / 10;
}

/* One event's fields (strings in static buffers; valid until the next). */
struct gen_ev {
    long long n;
    const char *type;
    long long customer;
    long long at;
    int sku, cat;
    char query[64];
    char order_no[32];
    double amount;
    int nitems;
    int item_sku[3], item_qty[3];
    char city[16];
};

static const char *const gen__queries[] = {"phone case",  "蓝牙耳机",   "charger 65w",
                                           "机械键盘",    "laptop bag", "智能手表",
                                           "usb-c cable", "充电宝",     "screen protector",
                                           "降噪耳机"};
static const char *const gen__cities[] = {"北京", "上海", "广州", "深圳", "杭州", "成都"};

static void gen__event(struct gen *g, long long n, struct gen_ev *e)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    /* a tenth of the customers make half of the events */
    long long hot = g->customers / 10 > 0 ? g->customers / 10 : 1;
    e->customer = gen__unit(g) < 0.5 ? 1 + gen__below(g, hot) : 1 + gen__below(g, g->customers);
    e->at = END_MS - gen__below(g, (long long)g->days * 86400000LL);
    e->sku = 1 + (int)gen__below(g, NSKUS);
    e->cat = e->sku % NCATS;
    double u = gen__unit(g) * 100;
    if (u < 55)
        e->type = "view";
    else if (u < 70)
        e->type = "click";
    else if (u < 80) {
        e->type = "search";
        snprintf(e->query, sizeof e->query, "%s", gen__queries[gen__below(g, 10)]);
    } else if (u < 89)
        e->type = "add_to_cart";
    else if (u < 95 || u >= 99.5) {
        if (u >= 99.75) {
            e->type = "attribute";
            snprintf(e->city, sizeof e->city, "%s", gen__cities[gen__below(g, 6)]);
            return;
        }
        e->type = "order";
        e->nitems = 1 + (int)gen__below(g, 3);
        for (int i = 0; i < e->nitems; i++) {
            e->item_sku[i] = 1 + (int)gen__below(g, NSKUS);
            e->item_qty[i] = 1 + (int)gen__below(g, 2);
            e->amount += gen__price(e->item_sku[i]) * e->item_qty[i];
        }
    } else if (u < 99) {
        e->type = "payment";
        e->amount = gen__price(e->sku);
    } else {
        e->type = "refund";
        e->amount = gen__price(e->sku) / 2;
    }
    /* orders, payments and refunds (the events with an amount) name an order */
    if (e->amount > 0)
        snprintf(e->order_no, sizeof e->order_no, "%s-o%lld", g->prefix, n);
}

static void gen__iso(long long ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void gen__jsonl(FILE *f, const struct gen *g, const struct gen_ev *e)
{
    char at[32];
    gen__iso(e->at, at);
    fprintf(f, "{\"event_id\":\"%s-%lld\",\"type\":\"%s\",\"external_id\":\"%s-u%lld\",\"at\":\"%s\"",
            g->prefix, e->n, e->type, g->prefix, e->customer, at);
    if (strcmp(e->type, "attribute") == 0) {
        fprintf(f, ",\"attributes\":{\"city\":\"%s\"}}\n", e->city);
        return;
    }
    if (e->query[0])
        fprintf(f, ",\"query\":\"%s\"", e->query);
    else if (e->order_no[0] == '\0')
        fprintf(f, ",\"sku\":\"SKU-%05d\",\"category\":\"cat-%02d\"", e->sku, e->cat);
    if (e->order_no[0])
        fprintf(f, ",\"order_no\":\"%s\",\"amount\":%.2f", e->order_no, e->amount);
    if (e->nitems > 0) {
        fputs(",\"items\":[", f);
        for (int i = 0; i < e->nitems; i++)
            fprintf(f, "%s{\"sku\":\"SKU-%05d\",\"qty\":%d,\"price\":%.1f}", i ? "," : "",
                    e->item_sku[i], e->item_qty[i], gen__price(e->item_sku[i]));
        fputc(']', f);
    }
    fputs("}\n", f);
}

static void gen__csv(FILE *f, const struct gen *g, const struct gen_ev *e)
{
    char at[32];
    gen__iso(e->at, at);
    /* event_id,type,external_id,at,sku,category,query,amount,order_no,items,attr_city */
    fprintf(f, "%s-%lld,%s,%s-u%lld,%s,", g->prefix, e->n, e->type, g->prefix, e->customer, at);
    int plain = e->query[0] == '\0' && e->order_no[0] == '\0' && e->city[0] == '\0';
    if (plain)
        fprintf(f, "SKU-%05d,cat-%02d,", e->sku, e->cat);
    else
        fputs(",,", f);
    fprintf(f, "%s,", e->query);
    if (e->order_no[0])
        fprintf(f, "%.2f,%s,", e->amount, e->order_no);
    else
        fputs(",,", f);
    for (int i = 0; i < e->nitems; i++)
        fprintf(f, "%sSKU-%05d*%d@%.1f", i ? ";" : "", e->item_sku[i], e->item_qty[i],
                gen__price(e->item_sku[i]));
    fprintf(f, ",%s\n", e->city);
}

static int gen__text(struct gen *g)
{
    int csv = strcmp(g->format, "csv") == 0;
    FILE *f = stdout;
    int file_no = 0;
    if (g->ndjson_batch > 0) {
        mkdir(g->out_dir, 0755);
        f = NULL;
    }
    if (csv && f != NULL)
        fputs("event_id,type,external_id,at,sku,category,query,amount,order_no,items,attr_city\n",
              f);
    struct gen_ev e;
    for (long long n = 1; n <= g->events; n++) {
        if (g->ndjson_batch > 0 && (n - 1) % g->ndjson_batch == 0) {
            if (f != NULL)
                fclose(f);
            char path[512];
            snprintf(path, sizeof path, "%s/%06d.ndjson", g->out_dir, file_no++);
            if ((f = fopen(path, "w")) == NULL) {
                perror(path);
                return 1;
            }
        }
        gen__event(g, n, &e);
        if (csv)
            gen__csv(f, g, &e);
        else
            gen__jsonl(f, g, &e);
    }
    if (f != NULL && f != stdout)
        fclose(f);
    return 0;
}

/* ---- the bulk path ---------------------------------------------------- */

static int gen__fill(struct gen *g, const struct gen_ev *e, struct kf_arena *a,
                     struct kf_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->event_id = kf_arena_printf(a, "%s-%lld", g->prefix, e->n);
    ev->type = e->type;
    ev->channel = "web";
    ev->external_id = kf_arena_printf(a, "%s-u%lld", g->prefix, e->customer);
    ev->at = e->at;
    if (strcmp(e->type, "attribute") == 0) {
        ev->attributes = json_pack("{s:s}", "city", e->city);
        return ev->attributes != NULL ? 0 : -1;
    }
    if (e->query[0])
        ev->query = kf_arena_strdup(a, e->query);
    else if (e->order_no[0] == '\0') {
        ev->sku = kf_arena_printf(a, "SKU-%05d", e->sku);
        ev->category = kf_arena_printf(a, "cat-%02d", e->cat);
    }
    if (e->order_no[0]) {
        ev->order_no = kf_arena_strdup(a, e->order_no);
        ev->amount = e->amount;
        ev->has_amount = 1;
    }
    if (e->nitems > 0) {
        ev->items = kf_arena_calloc(a, (size_t)e->nitems, sizeof *ev->items);
        if (ev->items == NULL)
            return -1;
        for (int i = 0; i < e->nitems; i++) {
            ev->items[i].sku = kf_arena_printf(a, "SKU-%05d", e->item_sku[i]);
            ev->items[i].qty = e->item_qty[i];
            ev->items[i].price = gen__price(e->item_sku[i]);
        }
        ev->nitems = (size_t)e->nitems;
    }
    return 0;
}

static double gen__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int gen__bulk(struct gen *g)
{
    struct kf_store_params sp = kf_store_default_params();
    sp.path = g->db;
    sp.synchronous_full = 0;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    struct kf_err err = {0};
    struct kf_profile_rules *rules = kf_profile_rules_default();
    struct kf_arena *a = kf_arena_new(1 << 20, 0);
    struct kf_event *evs = calloc((size_t)g->batch, sizeof *evs);
    int rc = rules && a && evs ? KF_OK : KF_ENOMEM;
    if (rc == KF_OK)
        rc = kf_store_open(sp, &st, &err);
    if (rc == KF_OK)
        rc = kf_store_migrate(st, NULL, &err);
    if (rc == KF_OK)
        kf_events_set_rules(st, rules);
    kf_events_set_deferred(st, g->deferred);
    struct kf_ingest_stats total = {0};
    double t0 = gen__now(), last = t0;
    struct gen_ev e;
    for (long long n = 1; rc == KF_OK && n <= g->events;) {
        size_t k = 0;
        kf_arena_reset(a);
        for (; k < (size_t)g->batch && n <= g->events; k++, n++) {
            gen__event(g, n, &e);
            if (gen__fill(g, &e, a, &evs[k]) != 0) {
                rc = kf_errorf(&err, KF_ENOMEM, "out of memory");
                break;
            }
        }
        struct kf_ingest_stats s = {0};
        if (rc == KF_OK)
            rc = kf_events_ingest(st, evs, k, END_MS, NULL, NULL, &s, &err);
        for (size_t i = 0; i < k; i++)
            kf_event_clear(&evs[i]);
        total.added += s.added, total.duplicates += s.duplicates, total.rejected += s.rejected;
        double now = gen__now();
        if (now - last > 10) {
            last = now;
            fprintf(stderr, "events_gen: %lld events, %.0f events/s\n", n - 1,
                    (double)(n - 1) / (now - t0));
        }
    }
    double secs = gen__now() - t0;
    if (rc != KF_OK)
        fprintf(stderr, "events_gen: %s\n", err.msg);
    else
        printf("bulk: %lld events (%lld added, %lld duplicates, %lld rejected) for %lld "
               "customers in %.1f s: %.0f events/s, %.1f us/event\n",
               g->events, total.added, total.duplicates, total.rejected, g->customers, secs,
               (double)g->events / secs, secs * 1e6 / (double)g->events);
    kf_store_free(st);
    kf_profile_rules_free(rules);
    kf_arena_free(a);
    free(evs);
    return rc == KF_OK ? 0 : 1;
}

static void gen__usage(void)
{
    fputs("usage: events_gen --events N --customers M [--format jsonl|csv] [--seed S]\n"
          "                  [--days D] [--prefix P] [--ndjson-batch K --out-dir DIR]\n"
          "                  [--db PATH [--batch B] [--deferred 1]]\n",
          stderr);
}

int main(int argc, char **argv)
{
    struct gen g = {.events = 1000, .customers = 100, .rng = 88172645463325252ULL, .days = 365,
                    .prefix = "g", .format = "jsonl", .batch = KF_EVENTS_BATCH_MAX};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            gen__usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--events") == 0)
            g.events = strtoll(v, NULL, 10);
        else if (strcmp(a, "--customers") == 0)
            g.customers = strtoll(v, NULL, 10);
        else if (strcmp(a, "--format") == 0)
            g.format = v;
        else if (strcmp(a, "--seed") == 0)
            g.rng ^= strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ULL;
        else if (strcmp(a, "--days") == 0)
            g.days = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--prefix") == 0)
            g.prefix = v;
        else if (strcmp(a, "--db") == 0)
            g.db = v;
        else if (strcmp(a, "--batch") == 0)
            g.batch = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--deferred") == 0)
            g.deferred = strcmp(v, "1") == 0;
        else if (strcmp(a, "--ndjson-batch") == 0)
            g.ndjson_batch = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "--out-dir") == 0)
            g.out_dir = v;
        else {
            gen__usage();
            return 2;
        }
    }
    if (g.events < 1 || g.customers < 1 || g.days < 1 || g.batch < 1 ||
        g.batch > KF_EVENTS_BATCH_MAX || (g.ndjson_batch > 0 && g.out_dir == NULL) ||
        g.rng == 0) {
        gen__usage();
        return 2;
    }
    return g.db != NULL ? gen__bulk(&g) : gen__text(&g);
}
