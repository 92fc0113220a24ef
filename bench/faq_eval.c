/*
 * faq_eval.c — FAQ retrieval quality and speed on a held-out set.
 *
 * Usage: faq_eval BOT_DIR EVAL_TSV [THRESHOLD]
 * EVAL_TSV lines: faq_id<TAB>lang<TAB>question (faq_id "none" = out of scope).
 * Prints top-1 / top-3 accuracy of retrieval, the answered-correctly rate and
 * out-of-scope rejection at the bot's threshold (or THRESHOLD), a sweep of
 * thresholds, and the median / p99 search time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/arena.h"
#include "kefu/bot.h"
#include "kefu/kb.h"

struct item {
    char id[128];
    char lang[8];
    char q[1024];
    int top1_entry;
    int in_top3;
    double conf;
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BOT_DIR EVAL_TSV [THRESHOLD]\n", argv[0]);
        return 2;
    }
    struct kf_bot *bot;
    struct kf_err err = {0};
    if (kf_bot_load(argv[1], &bot, &err) != KF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double thr = argc > 3 ? atof(argv[3]) : kf_bot_faq_threshold(bot);
    FILE *f = fopen(argv[2], "r");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }
    static struct item items[20000];
    size_t n = 0;
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f) && n < sizeof items / sizeof items[0]) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t2 == NULL) {
            fprintf(stderr, "%s:%d: expected faq_id<TAB>lang<TAB>question\n", argv[2], lineno);
            return 1;
        }
        *t1 = *t2 = '\0';
        snprintf(items[n].id, sizeof items[n].id, "%s", line);
        snprintf(items[n].lang, sizeof items[n].lang, "%s", t1 + 1);
        snprintf(items[n].q, sizeof items[n].q, "%s", t2 + 1);
        n++;
    }
    fclose(f);

    struct kf_arena *a = kf_arena_new(0, 0);
    double *us = calloc(n, sizeof *us);
    for (size_t i = 0; i < n; i++) {
        struct kf_kb_hit hits[3];
        size_t k = 0;
        kf_arena_reset(a);
        double t0 = now_us();
        kf_kb_search(kf_bot_kb(bot), items[i].q, strlen(items[i].q), a, hits, 3, &k, &err);
        us[i] = now_us() - t0;
        items[i].top1_entry = k > 0 ? hits[0].entry : -1;
        items[i].conf = k > 0 ? hits[0].confidence : 0;
        items[i].in_top3 = 0;
        for (size_t j = 0; j < k; j++)
            if (strcmp(kf_bot_faq(bot, (size_t)hits[j].entry)->id, items[i].id) == 0)
                items[i].in_top3 = 1;
    }

    printf("FAQ retrieval: %zu entries, %zu indexed questions; eval set %s (%zu questions)\n",
           kf_bot_faq_count(bot), kf_kb_questions(kf_bot_kb(bot)), argv[2], n);
    const char *langs[] = {"zh", "en", NULL};
    for (int pass = 0; pass < 3; pass++) {
        const char *lang = pass < 2 ? langs[pass] : NULL;
        size_t in = 0, top1 = 0, top3 = 0, answered_ok = 0, oos = 0, oos_rej = 0;
        for (size_t i = 0; i < n; i++) {
            if (lang && strcmp(items[i].lang, lang) != 0)
                continue;
            if (strcmp(items[i].id, "none") == 0) {
                oos++;
                oos_rej += items[i].conf < thr;
                continue;
            }
            in++;
            int ok = items[i].top1_entry >= 0 &&
                     strcmp(kf_bot_faq(bot, (size_t)items[i].top1_entry)->id, items[i].id) == 0;
            top1 += ok;
            top3 += items[i].in_top3;
            answered_ok += ok && items[i].conf >= thr;
        }
        printf("  %-4s in-scope %3zu: top-1 %.1f%%  top-3 %.1f%%  answered correctly %.1f%%"
               "  | out-of-scope %2zu: rejected %.1f%%  (threshold %.2f)\n",
               lang ? lang : "all", in, 100.0 * top1 / (in ? in : 1),
               100.0 * top3 / (in ? in : 1), 100.0 * answered_ok / (in ? in : 1), oos,
               100.0 * oos_rej / (oos ? oos : 1), thr);
    }
    printf("  threshold sweep (all): thr  answered-correctly  wrong-answers  oos-rejected\n");
    for (double t = 0.15; t < 0.66; t += 0.05) {
        size_t in = 0, ok = 0, wrong = 0, oos = 0, rej = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(items[i].id, "none") == 0) {
                oos++;
                rej += items[i].conf < t;
                continue;
            }
            in++;
            int right = items[i].top1_entry >= 0 &&
                        strcmp(kf_bot_faq(bot, (size_t)items[i].top1_entry)->id, items[i].id) ==
                            0;
            ok += right && items[i].conf >= t;
            wrong += !right && items[i].conf >= t;
        }
        printf("                          %.2f   %5.1f%%             %5.1f%%         %5.1f%%\n", t,
               100.0 * ok / in, 100.0 * wrong / in, 100.0 * rej / (oos ? oos : 1));
    }
    qsort(us, n, sizeof *us, cmp_double);
    printf("  search time: median %.1f us, p99 %.1f us\n", us[n / 2], us[n * 99 / 100]);
    if (getenv("FAQ_EVAL_ERRORS"))
        for (size_t i = 0; i < n; i++) {
            const char *got = items[i].top1_entry >= 0
                                  ? kf_bot_faq(bot, (size_t)items[i].top1_entry)->id
                                  : "-";
            if (strcmp(got, items[i].id) != 0)
                printf("  MISS %s | %s -> %s (%.2f)\n", items[i].id, items[i].q, got,
                       items[i].conf);
        }
    free(us);
    kf_arena_free(a);
    kf_bot_free(bot);
    return 0;
}
