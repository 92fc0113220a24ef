/*
 * cmd_entities.c — `kefu train --task entities` and `kefu eval --task
 * entities`: the CRF entity labeller and the whole extractor from the
 * command line (see crf.h, entities.h, docs/nlu.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/bot.h"
#include "kefu/catalogue.h"
#include "kefu/crf.h"
#include "kefu/entities.h"
#include "kefu/nlu.h"

int cli_is_entity_task(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--task") == 0 || strcmp(argv[i], "-t") == 0) && i + 1 < argc &&
            strcmp(argv[i + 1], "entities") == 0)
            return 1;
        if (strcmp(argv[i], "--task=entities") == 0)
            return 1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kf_seqset *load_seqs(const char *path)
{
    struct kf_seqset *s;
    struct kf_err err = {0};
    if (kf_seqset_new(&s, &err) != KF_OK || kf_seqset_load(s, path, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        kf_seqset_free(s);
        return NULL;
    }
    return s;
}

/* ---- train ------------------------------------------------------------- */

static void progress(void *ud, int iter, double loss, double seconds)
{
    int max = *(int *)ud;
    if (!isatty(2))
        return;
    fprintf(stderr, "\rtraining entities: iteration %d/%d, loss %.1f, %.1f s   ", iter, max,
            loss, seconds);
    fflush(stderr);
}

static void train_help(void)
{
    fputs("Usage: kefu train --task entities --data FILE|DIR --out MODEL [options]\n"
          "Train the CRF entity labeller (L-BFGS). Data: CoNLL/BIO files (token TAG a line,\n"
          "blank line between sentences) or Rasa NLU YAML with [text](type) annotations.\n"
          "  -d, --data PATH      training data, a file or a folder\n"
          "  -o, --out FILE       model file to write (.kfm)\n"
          "      --catalogue FILE use the bot's catalogue matches as features\n"
          "      --c2 X           L2 penalty (default 1.0)\n"
          "      --max-iter N     L-BFGS iterations (default 200)\n"
          "      --min-count N    keep attributes seen at least N times (default 1)\n"
          "      --bio            BIO labels instead of BIOES\n"
          "  -j, --threads N      training threads (default 2)\n"
          "  -h, --help           this help\n",
          stdout);
}

int cmd_train_entities(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},      {"out", required_argument, NULL, 'o'},
        {"task", required_argument, NULL, 't'},      {"catalogue", required_argument, NULL, 'K'},
        {"c2", required_argument, NULL, 'c'},        {"max-iter", required_argument, NULL, 'i'},
        {"min-count", required_argument, NULL, 'm'}, {"bio", no_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 'j'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *data = NULL, *outp = NULL, *catp = NULL;
    struct kf_crf_train_params p = kf_crf_default_train_params();
    double v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:o:t:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'o': outp = optarg; break;
        case 't': break;
        case 'K': catp = optarg; break;
        case 'c':
            if (cli_number("--c2", optarg, 0, 1e6, &p.c2) < 0)
                return 2;
            break;
        case 'i':
            if (cli_number("--max-iter", optarg, 1, 100000, &v) < 0)
                return 2;
            p.max_iter = (int)v;
            break;
        case 'm':
            if (cli_number("--min-count", optarg, 1, 1000, &v) < 0)
                return 2;
            p.min_count = (int)v;
            break;
        case 'b': p.bioes = 0; break;
        case 'j':
            if (cli_number("--threads", optarg, 1, 64, &v) < 0)
                return 2;
            p.threads = (int)v;
            break;
        case 'h': train_help(); return 0;
        default: fprintf(stderr, "Try 'kefu train --task entities --help'.\n"); return 2;
        }
    }
    if (data == NULL || outp == NULL || optind < argc) {
        fprintf(stderr, "kefu train: --data and --out are required\n"
                        "Try 'kefu train --task entities --help'.\n");
        return 2;
    }
    struct kf_err err = {0};
    struct kf_catalogue *cat = NULL;
    if (catp != NULL && kf_catalogue_load(catp, &cat, &err) != KF_OK) {
        fprintf(stderr, "kefu train: %s\n", err.msg);
        return 1;
    }
    struct kf_seqset *s = load_seqs(data);
    if (s == NULL) {
        kf_catalogue_free(cat);
        return 1;
    }
    p.catalogue = cat;
    p.progress = progress;
    p.ud = &p.max_iter;
    double t0 = now_s();
    struct kf_crf *m = NULL;
    int rc = kf_crf_train(s, p, &m, &err);
    if (isatty(2))
        fputc('\n', stderr);
    if (rc == KF_OK)
        rc = kf_crf_save(m, outp, &err);
    if (rc != KF_OK)
        fprintf(stderr, "kefu train: %s\n", err.msg);
    else
        fprintf(stderr, "trained entities on %zu sentences: %zu types, %zu attributes, %.1f s → %s\n",
                kf_seqset_size(s), kf_crf_ntypes(m), kf_crf_nattributes(m), now_s() - t0, outp);
    kf_crf_free(m);
    kf_seqset_free(s);
    kf_catalogue_free(cat);
    return rc == KF_OK ? 0 : 1;
}

/* ---- a bot's models ------------------------------------------------------ */

int cli_has_bot_flag(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--bot") == 0 || strncmp(argv[i], "--bot=", 6) == 0)
            return 1;
    return 0;
}

/* `kefu train --bot DIR [--models DIR]`: train whatever of the bot's models
 * is missing or older than its data, as `kefu serve` would on start. */
int cmd_train_bot(int argc, char **argv)
{
    static const struct option opts[] = {{"bot", required_argument, NULL, 'b'},
                                         {"models", required_argument, NULL, 'M'},
                                         {"threads", required_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *bot = NULL, *models = "var/models";
    double threads = 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bot = optarg; break;
        case 'M': models = optarg; break;
        case 'j':
            if (cli_number("--threads", optarg, 1, 64, &threads) < 0)
                return 2;
            break;
        case 'h':
            fputs("Usage: kefu train --bot DIR [--models DIR] [-j N]\n"
                  "Train the bot's models that are missing or older than their data (intent,\n"
                  "sentiment, anger, spam, entities) into DIR/NAME (default var/models/NAME),\n"
                  "as `kefu serve` does when it starts.\n",
                  stdout);
            return 0;
        default: fprintf(stderr, "Try 'kefu train --bot DIR --help'.\n"); return 2;
        }
    }
    if (bot == NULL || optind < argc) {
        fprintf(stderr, "kefu train: --bot DIR expected\n");
        return 2;
    }
    struct kf_err err = {0};
    struct kf_bot *b = NULL;
    struct kf_nlu *nlu = NULL;
    double t0 = now_s();
    int rc = kf_bot_load(bot, &b, &err);
    if (rc == KF_OK) {
        char data[4096], mdir[4096], catf[4096];
        snprintf(data, sizeof data, "%s/nlu", bot);
        snprintf(mdir, sizeof mdir, "%s/%s", models, kf_bot_name(b));
        snprintf(catf, sizeof catf, "%s/catalogue.yaml", bot);
        struct kf_nlu_params np = {.data_dir = data, .model_dir = mdir, .threads = (int)threads,
                                   .catalogue = catf,
                                   .utc_offset_min = kf_bot_utc_offset(b)};
        np.rules = kf_bot_entity_rules(b, &np.nrules);
        rc = kf_nlu_open(np, &nlu, &err);
        if (rc == KF_OK)
            fprintf(stderr, "models of %s ready in %s (%.1f s)\n", kf_bot_name(b), mdir,
                    now_s() - t0);
    }
    if (rc != KF_OK)
        fprintf(stderr, "kefu train: %s\n", err.msg);
    kf_nlu_free(nlu);
    kf_bot_free(b);
    return rc == KF_OK ? 0 : 1;
}

/* ---- eval -------------------------------------------------------------- */

static void eval_help(void)
{
    fputs("Usage: kefu eval --task entities --model MODEL --data TEST [--catalogue FILE] [--json]\n"
          "       kefu eval --task entities --bot DIR --data TEST [--json]\n"
          "Per-type precision, recall and F1 by exact span match, micro and macro F1.\n"
          "  -m, --model FILE     a CRF model alone (labels the test file's own tokens)\n"
          "  -b, --bot DIR        the bot's whole extractor: patterns, catalogue and its CRF\n"
          "                       (var/models/NAME/entities.kfm, trained first if missing)\n"
          "      --models DIR     the bot's model folder (default var/models/NAME)\n"
          "      --no-crf         with --bot: patterns and catalogue only\n"
          "  -d, --data PATH      annotated data (CoNLL/BIO or Rasa YAML)\n"
          "      --json           one JSON object on stdout\n"
          "  -h, --help           this help\n",
          stdout);
}

static void print_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++)
        printf(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    putchar('"');
}

static void print_score(const struct kf_entity_score *r, int json)
{
    if (json) {
        printf("{\"sentences\":%zu,\"micro_f1\":%.4f,\"precision\":%.4f,\"recall\":%.4f,"
               "\"macro_f1\":%.4f,\"seconds\":%.4f,\"us_per_sentence\":%.2f,\"per_type\":{",
               r->sentences, r->micro_f1, r->precision, r->recall, r->macro_f1, r->seconds,
               r->sentences ? 1e6 * r->seconds / (double)r->sentences : 0);
        for (size_t i = 0; i < r->ntypes; i++) {
            const struct kf_entity_type_score *t = &r->types[i];
            printf("%s", i ? "," : "");
            print_json_str(t->type);
            printf(":{\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f,\"support\":%zu,"
                   "\"predicted\":%zu}",
                   t->precision, t->recall, t->f1, t->tp + t->fn, t->tp + t->fp);
        }
        printf("}}\n");
        return;
    }
    printf("sentences %zu   micro P %.2f%%  R %.2f%%  F1 %.2f%%   macro-F1 %.2f%%   %.1f µs/sentence\n",
           r->sentences, 100 * r->precision, 100 * r->recall, 100 * r->micro_f1,
           100 * r->macro_f1, r->sentences ? 1e6 * r->seconds / (double)r->sentences : 0);
    printf("%-20s %9s %9s %9s %8s %8s\n", "type", "precision", "recall", "f1", "support",
           "predicted");
    for (size_t i = 0; i < r->ntypes; i++) {
        const struct kf_entity_type_score *t = &r->types[i];
        printf("%-20s %8.2f%% %8.2f%% %8.2f%% %8zu %8zu\n", t->type, 100 * t->precision,
               100 * t->recall, 100 * t->f1, t->tp + t->fn, t->tp + t->fp);
    }
}

int cmd_eval_entities(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"bot", required_argument, NULL, 'b'},
        {"models", required_argument, NULL, 'M'}, {"data", required_argument, NULL, 'd'},
        {"task", required_argument, NULL, 't'}, {"catalogue", required_argument, NULL, 'K'},
        {"no-crf", no_argument, NULL, 'n'},      {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *model = NULL, *bot = NULL, *models = NULL, *data = NULL, *catp = NULL;
    int json = 0, no_crf = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:b:d:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'b': bot = optarg; break;
        case 'M': models = optarg; break;
        case 'd': data = optarg; break;
        case 't': break;
        case 'K': catp = optarg; break;
        case 'n': no_crf = 1; break;
        case 'J': json = 1; break;
        case 'h': eval_help(); return 0;
        default: fprintf(stderr, "Try 'kefu eval --task entities --help'.\n"); return 2;
        }
    }
    if (data == NULL || (model == NULL) == (bot == NULL) || optind < argc) {
        fprintf(stderr, "kefu eval: --data and one of --model or --bot are required\n"
                        "Try 'kefu eval --task entities --help'.\n");
        return 2;
    }
    struct kf_seqset *s = load_seqs(data);
    if (s == NULL)
        return 1;
    struct kf_err err = {0};
    struct kf_entity_score r;
    struct kf_catalogue *cat = NULL;
    struct kf_crf *crf = NULL;
    struct kf_entities *ext = NULL;
    int rc = KF_OK;
    if (model != NULL) {
        if (catp != NULL)
            rc = kf_catalogue_load(catp, &cat, &err);
        if (rc == KF_OK)
            rc = kf_crf_load(model, &crf, &err);
        if (rc == KF_OK && kf_crf_uses_catalogue(crf) && cat == NULL)
            rc = kf_errorf(&err, KF_EINVAL, "%s uses catalogue features: give --catalogue",
                           model);
        if (rc == KF_OK)
            rc = kf_entities_evaluate(NULL, crf, cat, s, &r, &err);
    } else {
        char catf[4096], crff[4096] = "", mdir[4096], edata[4096];
        snprintf(catf, sizeof catf, "%s/catalogue.yaml", bot);
        snprintf(edata, sizeof edata, "%s/nlu/entities", bot);
        struct kf_bot *b = NULL;
        rc = kf_bot_load(bot, &b, &err);
        if (rc == KF_OK && models != NULL)
            snprintf(mdir, sizeof mdir, "%s", models);
        else if (rc == KF_OK)
            snprintf(mdir, sizeof mdir, "var/models/%s", kf_bot_name(b));
        if (rc == KF_OK && !no_crf) /* trained here when missing or stale */
            rc = kf_nlu_entity_model(edata, mdir, catf, 2, NULL, crff, sizeof crff, &err);
        struct kf_entities_params ep = kf_entities_default_params();
        ep.catalogue = catf;
        ep.crf_model = crff[0] ? crff : NULL;
        if (rc == KF_OK) {
            ep.rules = kf_bot_entity_rules(b, &ep.nrules);
            rc = kf_entities_new(ep, &ext, &err);
        }
        kf_bot_free(b);
        if (rc == KF_OK)
            rc = kf_entities_evaluate(ext, NULL, NULL, s, &r, &err);
    }
    if (rc == KF_OK) {
        print_score(&r, json);
        kf_entity_score_release(&r);
    } else {
        fprintf(stderr, "kefu eval: %s\n", err.msg);
    }
    kf_entities_free(ext);
    kf_crf_free(crf);
    kf_catalogue_free(cat);
    kf_seqset_free(s);
    return rc == KF_OK ? 0 : 1;
}
