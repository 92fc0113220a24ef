/*
 * cmd_nlu.c — `kefu train`, `kefu eval`, `kefu predict`: the classifiers from
 * the command line (see classifier.h, evaluate.h, docs/nlu.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/arena.h"
#include "kefu/classifier.h"
#include "kefu/dataset.h"
#include "kefu/evaluate.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_bar(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    if (!isatty(2) && done != total)
        return;
    int width = 30, fill = (int)(width * done / (total ? total : 1));
    fprintf(stderr, "\rtraining [%.*s%*s] %zu/%zu labels", fill,
            "##############################", width - fill, "", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static struct kf_dataset *load_data(const char *path)
{
    struct kf_dataset *ds;
    struct kf_err err = {0};
    if (kf_dataset_new(&ds, &err) != KF_OK || kf_dataset_load(ds, path, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return NULL;
    }
    return ds;
}

/* ---- train ------------------------------------------------------------- */

static void train_help(void)
{
    fputs("Usage: kefu train --data FILE|DIR --out MODEL [options]\n"
          "Train a linear classifier (LIBLINEAR logistic regression, one per label).\n"
          "  -d, --data PATH     training data: TSV (label<TAB>text), Rasa NLU YAML, or a folder\n"
          "  -o, --out FILE      model file to write (.kfm)\n"
          "  -t, --task T        intent | sentiment | spam | anger | ... (recorded in the model)\n"
          "  -v, --valid PATH    validation data: tunes the out-of-scope threshold\n"
          "      --oos LABEL     the out-of-scope label (default oos)\n"
          "  -C, --C N           regularisation (default 20)\n"
          "      --min-count N   keep features seen in at least N examples (default 1)\n"
          "      --eps X         solver tolerance (default 0.05)\n"
          "  -j, --threads N     training threads (default 2)\n"
          "      --reviewed      also the approved intent corrections of the review queue\n"
          "                      (kefu review export shows them; docs/learning.md)\n"
          "      --db DB         the store --reviewed reads (default var/kefu.db)\n"
          "  -h, --help          this help\n",
          stdout);
}

int cmd_train(int argc, char **argv)
{
    if (cli_is_entity_task(argc, argv))
        return cmd_train_entities(argc, argv);
    if (cli_has_bot_flag(argc, argv))
        return cmd_train_bot(argc, argv);
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"out", required_argument, NULL, 'o'},
        {"task", required_argument, NULL, 't'}, {"valid", required_argument, NULL, 'v'},
        {"oos", required_argument, NULL, 'O'},  {"C", required_argument, NULL, 'C'},
        {"min-count", required_argument, NULL, 'm'}, {"eps", required_argument, NULL, 'e'},
        {"threads", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {"reviewed", no_argument, NULL, 'R'},      {"db", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0}};
    const char *data = NULL, *outp = NULL, *valid = NULL, *db = "var/kefu.db";
    int reviewed = 0;
    struct kf_train_params p = kf_train_default_params();
    p.progress = progress_bar;
    double v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:o:t:v:C:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'o': outp = optarg; break;
        case 't': p.task = optarg; break;
        case 'v': valid = optarg; break;
        case 'O': p.oos_label = optarg; break;
        case 'C':
            if (cli_number("--C", optarg, 1e-4, 1e6, &p.C) < 0)
                return 2;
            break;
        case 'm':
            if (cli_number("--min-count", optarg, 1, 1000, &v) < 0)
                return 2;
            p.min_count = (int)v;
            break;
        case 'e':
            if (cli_number("--eps", optarg, 1e-6, 10, &p.eps) < 0)
                return 2;
            break;
        case 'j':
            if (cli_number("--threads", optarg, 1, 64, &v) < 0)
                return 2;
            p.threads = (int)v;
            break;
        case 'R': reviewed = 1; break;
        case 'D': db = optarg; break;
        case 'h': train_help(); return 0;
        default: fprintf(stderr, "Try 'kefu train --help'.\n"); return 2;
        }
    }
    if (data == NULL || outp == NULL || optind < argc) {
        fprintf(stderr, "kefu train: --data and --out are required\nTry 'kefu train --help'.\n");
        return 2;
    }
    struct kf_dataset *tr = load_data(data), *va = NULL;
    if (tr == NULL)
        return 1;
    if (reviewed) { /* the learning loop: reviewed corrections join the files' examples */
        json_t *added = NULL;
        size_t skipped = 0;
        if (cli_review_examples(db, NULL, tr, &added, &skipped) != 0) {
            kf_dataset_free(tr);
            return 1;
        }
        fprintf(stderr, "reviewed corrections from %s: %zu added, %zu skipped as duplicates\n",
                db, json_array_size(added), skipped);
        json_decref(added);
    }
    if (valid != NULL && (va = load_data(valid)) == NULL) {
        kf_dataset_free(tr);
        return 1;
    }
    double t0 = now_s();
    struct kf_classifier *model = NULL;
    struct kf_err err = {0};
    int rc = kf_classifier_train(tr, va, p, &model, &err);
    if (rc == KF_OK)
        rc = kf_classifier_save(model, outp, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu train: %s\n", err.msg);
    } else {
        fprintf(stderr,
                "trained %s on %zu examples: %zu labels, %zu features, oos threshold %.3f, "
                "%.2f s → %s\n",
                p.task, tr->n, kf_classifier_nlabels(model), kf_classifier_nfeatures(model),
                kf_classifier_oos_threshold(model), now_s() - t0, outp);
    }
    kf_classifier_free(model);
    kf_dataset_free(tr);
    kf_dataset_free(va);
    return rc == KF_OK ? 0 : 1;
}

/* ---- eval -------------------------------------------------------------- */

static void eval_help(void)
{
    fputs("Usage: kefu eval --model MODEL --data TEST [--json]\n"
          "       kefu eval --cv K --data DATA [--task T] [--json]\n"
          "Accuracy, macro-F1, per-label precision/recall/F1, the most confused pairs, and for\n"
          "models with an out-of-scope label, in-scope accuracy and out-of-scope recall.\n"
          "  -m, --model FILE    model to evaluate\n"
          "  -d, --data PATH     labelled data (TSV, Rasa NLU YAML or a folder)\n"
          "      --cv K          K-fold cross-validation on --data instead of a model\n"
          "      --oos-threshold T  use this out-of-scope threshold instead of the model's\n"
          "      --json          one JSON object on stdout\n"
          "  -h, --help          this help\n",
          stdout);
}

static void print_result(const struct kf_eval_result *r, int json)
{
    if (json) {
        printf("{\"examples\":%zu,\"accuracy\":%.4f,\"macro_f1\":%.4f", r->n, r->accuracy,
               r->macro_f1);
        if (r->has_oos)
            printf(",\"in_scope_accuracy\":%.4f,\"oos_recall\":%.4f", r->in_scope_accuracy,
                   r->oos_recall);
        printf(",\"seconds\":%.4f,\"per_label\":{", r->seconds);
        int first = 1;
        for (size_t i = 0; i < r->nlabels; i++) {
            const struct kf_label_score *s = &r->labels[i];
            if (s->support == 0 && s->predicted == 0)
                continue;
            printf("%s\"", first ? "" : ",");
            for (const char *q = s->label; *q; q++)
                printf(*q == '"' || *q == '\\' ? "\\%c" : "%c", *q);
            printf("\":{\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f,\"support\":%zu}",
                   s->precision, s->recall, s->f1, s->support);
            first = 0;
        }
        printf("}}\n");
        return;
    }
    printf("examples %zu   accuracy %.2f%%   macro-F1 %.2f%%\n", r->n, 100 * r->accuracy,
           100 * r->macro_f1);
    if (r->has_oos)
        printf("in-scope accuracy %.2f%%   out-of-scope recall %.2f%%\n",
               100 * r->in_scope_accuracy, 100 * r->oos_recall);
    printf("%.0f predictions/s\n\n%-28s %9s %9s %9s %8s\n", r->n / (r->seconds > 0 ? r->seconds : 1e-9),
           "label", "precision", "recall", "F1", "support");
    for (size_t i = 0; i < r->nlabels; i++) {
        const struct kf_label_score *s = &r->labels[i];
        if (s->support == 0)
            continue;
        printf("%-28s %8.1f%% %8.1f%% %8.1f%% %8zu\n", s->label, 100 * s->precision,
               100 * s->recall, 100 * s->f1, s->support);
    }
    if (r->ntop > 0) {
        printf("\nmost confused (gold → predicted):\n");
        for (size_t i = 0; i < r->ntop; i++)
            printf("  %4zu  %s → %s\n", r->top[i].count, r->top[i].gold, r->top[i].pred);
    }
}

static int eval_cv(struct kf_dataset *ds, int k, const char *task, int json)
{
    struct kf_eval_result sum = {0};
    struct kf_err err = {0};
    int has_oos = 0;
    for (int fold = 0; fold < k; fold++) {
        struct kf_dataset *tr, *te;
        if (kf_dataset_new(&tr, &err) != KF_OK || kf_dataset_new(&te, &err) != KF_OK) {
            fprintf(stderr, "kefu: %s\n", err.msg);
            return 1;
        }
        for (size_t i = 0; i < ds->n; i++) {
            struct kf_dataset *to = (int)(i % (size_t)k) == fold ? te : tr;
            kf_dataset_add(to, ds->v[i].label, ds->v[i].text, strlen(ds->v[i].text), NULL);
        }
        struct kf_train_params p = kf_train_default_params();
        p.task = task;
        struct kf_classifier *m = NULL;
        struct kf_eval_result r;
        int rc = kf_classifier_train(tr, NULL, p, &m, &err);
        if (rc == KF_OK)
            rc = kf_eval_run(m, te, &r, &err);
        kf_classifier_free(m);
        kf_dataset_free(tr);
        kf_dataset_free(te);
        if (rc != KF_OK) {
            fprintf(stderr, "kefu eval: fold %d: %s\n", fold + 1, err.msg);
            return 1;
        }
        if (!json)
            fprintf(stderr, "fold %d/%d: accuracy %.2f%%  macro-F1 %.2f%%\n", fold + 1, k,
                    100 * r.accuracy, 100 * r.macro_f1);
        sum.n += r.n;
        sum.accuracy += r.accuracy / k;
        sum.macro_f1 += r.macro_f1 / k;
        sum.in_scope_accuracy += r.in_scope_accuracy / k;
        sum.oos_recall += r.oos_recall / k;
        sum.seconds += r.seconds;
        has_oos = r.has_oos;
        kf_eval_result_free(&r);
    }
    sum.has_oos = has_oos;
    if (json) {
        printf("{\"folds\":%d,\"examples\":%zu,\"accuracy\":%.4f,\"macro_f1\":%.4f", k, sum.n,
               sum.accuracy, sum.macro_f1);
        if (has_oos)
            printf(",\"in_scope_accuracy\":%.4f,\"oos_recall\":%.4f", sum.in_scope_accuracy,
                   sum.oos_recall);
        printf("}\n");
    } else {
        printf("%d-fold cross-validation over %zu examples: accuracy %.2f%%  macro-F1 %.2f%%\n",
               k, sum.n, 100 * sum.accuracy, 100 * sum.macro_f1);
        if (has_oos)
            printf("in-scope accuracy %.2f%%   out-of-scope recall %.2f%%\n",
                   100 * sum.in_scope_accuracy, 100 * sum.oos_recall);
    }
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    if (cli_is_entity_task(argc, argv))
        return cmd_eval_entities(argc, argv);
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"data", required_argument, NULL, 'd'},
        {"cv", required_argument, NULL, 'k'},    {"task", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'J'},        {"help", no_argument, NULL, 'h'},
        {"oos-threshold", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    const char *model = NULL, *data = NULL, *task = "intent";
    double thr = -1;
    int json = 0, cv = 0, c;
    double v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:d:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 't': task = optarg; break;
        case 'J': json = 1; break;
        case 'T':
            if (cli_number("--oos-threshold", optarg, 0, 1, &thr) < 0)
                return 2;
            break;
        case 'k':
            if (cli_number("--cv", optarg, 2, 20, &v) < 0)
                return 2;
            cv = (int)v;
            break;
        case 'h': eval_help(); return 0;
        default: fprintf(stderr, "Try 'kefu eval --help'.\n"); return 2;
        }
    }
    if (data == NULL || (model == NULL && cv == 0) || optind < argc) {
        fprintf(stderr, "kefu eval: --data and one of --model or --cv are required\n"
                        "Try 'kefu eval --help'.\n");
        return 2;
    }
    struct kf_dataset *ds = load_data(data);
    if (ds == NULL)
        return 1;
    if (cv > 0) {
        int rc = eval_cv(ds, cv, task, json);
        kf_dataset_free(ds);
        return rc;
    }
    struct kf_classifier *m;
    struct kf_err err = {0};
    if (kf_classifier_load(model, &m, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        kf_dataset_free(ds);
        return 1;
    }
    if (thr >= 0)
        kf_classifier_set_oos_threshold(m, thr);
    struct kf_eval_result r;
    int rc = kf_eval_run(m, ds, &r, &err);
    if (rc == KF_OK) {
        print_result(&r, json);
        kf_eval_result_free(&r);
    } else {
        fprintf(stderr, "kefu eval: %s\n", err.msg);
    }
    kf_classifier_free(m);
    kf_dataset_free(ds);
    return rc == KF_OK ? 0 : 1;
}

/* ---- predict ----------------------------------------------------------- */

int cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *model = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'h':
            fputs("Usage: kefu predict --model MODEL < texts\n"
                  "One text per input line; prints label<TAB>confidence per line (the label is\n"
                  "the out-of-scope label when the model rejects the text).\n",
                  stdout);
            return 0;
        default: fprintf(stderr, "Try 'kefu predict --help'.\n"); return 2;
        }
    }
    if (model == NULL || optind < argc) {
        fprintf(stderr, "kefu predict: --model is required\nTry 'kefu predict --help'.\n");
        return 2;
    }
    struct kf_classifier *m;
    struct kf_err err = {0};
    if (kf_classifier_load(model, &m, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return 1;
    }
    struct kf_arena *a = kf_arena_new(1 << 16, 0);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while (a != NULL && (n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        kf_arena_reset(a);
        struct kf_prediction top[1];
        size_t k;
        if (kf_classifier_predict(m, line, (size_t)n, a, top, 1, &k, &err) != KF_OK) {
            fprintf(stderr, "kefu predict: stdin:%ld: %s\n", lineno, err.msg);
            printf("\t0\n"); /* keep output lines aligned with input lines */
            rc = 1;
            continue;
        }
        printf("%s\t%.4f\n", kf_classifier_decide(m, top, k), k ? top[0].prob : 0.0);
    }
    free(line);
    kf_arena_free(a);
    kf_classifier_free(m);
    return rc;
}
