/*
 * nlu_speed.c — how fast the NLU pipeline parses messages on one core, and
 * how fast models load.
 *
 * Usage: nlu_speed BOT_DIR MODEL_DIR TEXTS.tsv [SECONDS]
 * Opens the bot's NLU (training into MODEL_DIR if needed), then parses the
 * texts of TEXTS.tsv (label<TAB>text, or one text a line) round-robin for
 * SECONDS (default 3) on this thread: normalise + language + intent +
 * sentiment + anger + spam. Prints messages/second, the median and p99
 * latency, and the time to load the models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/arena.h"
#include "kefu/nlu.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s BOT_DIR MODEL_DIR TEXTS.tsv [SECONDS]\n", argv[0]);
        return 2;
    }
    double secs = argc > 4 ? atof(argv[4]) : 3;
    char data[4096];
    snprintf(data, sizeof data, "%s/nlu", argv[1]);
    struct kf_nlu_params p = {.data_dir = data, .model_dir = argv[2], .threads = 2};
    struct kf_nlu *nlu;
    struct kf_err err = {0};
    if (kf_nlu_open(p, &nlu, &err) != KF_OK) { /* trains if needed */
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    kf_nlu_free(nlu);
    double t0 = now_s();
    if (kf_nlu_open(p, &nlu, &err) != KF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double load = now_s() - t0;

    FILE *f = fopen(argv[3], "r");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    char **texts = malloc(cap * sizeof *texts);
    char line[8192];
    while (n < cap && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        texts[n++] = strdup(tab ? tab + 1 : line);
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "%s: no texts\n", argv[3]);
        return 1;
    }

    struct kf_arena *a = kf_arena_new(1 << 16, 0);
    size_t max_samples = 2000000, done = 0;
    double *lat = malloc(max_samples * sizeof *lat);
    double start = now_s(), end = start + secs;
    struct kf_nlu_result r;
    while (now_s() < end && done < max_samples) {
        for (int k = 0; k < 64 && done < max_samples; k++, done++) {
            const char *t = texts[done % n];
            kf_arena_reset(a);
            double t1 = now_s();
            if (kf_nlu_parse(nlu, t, strlen(t), a, &r, &err) != KF_OK) {
                fprintf(stderr, "parse: %s\n", err.msg);
                return 1;
            }
            lat[done] = now_s() - t1;
        }
    }
    double el = now_s() - start;
    qsort(lat, done, sizeof *lat, cmp_double);
    printf("nlu parse (normalise + lang + intent + sentiment + anger + spam), one thread:\n"
           "  %.0f messages/s over %zu messages (%zu distinct texts from %s)\n"
           "  latency median %.1f us, p99 %.1f us\n"
           "  models: intent %zu labels / %zu features; load all %.1f ms\n",
           done / el, done, n, argv[3], lat[done / 2] * 1e6, lat[done * 99 / 100] * 1e6,
           kf_classifier_nlabels(kf_nlu_model(nlu, "intent")),
           kf_classifier_nfeatures(kf_nlu_model(nlu, "intent")), load * 1e3);
    free(lat);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    kf_arena_free(a);
    kf_nlu_free(nlu);
    return 0;
}
