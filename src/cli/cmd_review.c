/*
 * cmd_review.c — `kefu review list | export`: the review queue of low CSAT
 * scores and agents' intent corrections (review.h, docs/learning.md).
 *
 *   list     the queue's items (default: pending), oldest first
 *   export   the approved intent corrections exactly as `kefu train
 *            --reviewed` adds them to the intent data: Rasa NLU YAML (the
 *            format of bots/NAME/nlu/intent/ files) or, with --format
 *            lines, `intent<TAB>text` lines (dataset.h TSV). Corrections the
 *            bot's intent data already has (same intent, same text) are left
 *            out and counted. A summary goes to stderr.
 *
 * Only the store is opened (no models are loaded): these commands are
 * cheap enough to run from cron or a review script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "kefu/dataset.h"
#include "kefu/review.h"
#include "kefu/store.h"

struct review_opts {
    const char *status, *kind, *lang, *format;
    int json;
};

static void review_help(void)
{
    fputs("Usage: kefu review list [--status pending|approved|rejected|all] [--kind K] [--json]\n"
          "       kefu review export [--lang zh|en] [--format yaml|lines]\n"
          "The review queue: low CSAT scores and agents' intent corrections (docs/learning.md).\n"
          "  list           items of the queue, oldest first (default: pending)\n"
          "  export         approved intent corrections as `kefu train --reviewed` adds them:\n"
          "                 Rasa NLU YAML, or intent<TAB>text lines; a summary on stderr\n"
          "      --status S     list: pending (default), approved, rejected or all\n"
          "      --kind K       list: low_csat or intent_correction\n"
          "      --lang L       export: only corrections of messages in this language\n"
          "      --format F     export: yaml (default) or lines\n"
          "      --json         list: JSON instead of a table\n\n",
          stdout);
    cli_help_common();
}

static int review_opt(int opt, const char *arg, void *ctx)
{
    struct review_opts *o = ctx;
    switch (opt) {
    case 'S':
        o->status = arg;
        return 0;
    case 'K':
        o->kind = arg;
        return 0;
    case 'G':
        o->lang = arg;
        return 0;
    case 'R':
        if (strcmp(arg, "yaml") != 0 && strcmp(arg, "lines") != 0) {
            fprintf(stderr, "kefu: --format: expected yaml or lines, got '%s'\n", arg);
            return 2;
        }
        o->format = arg;
        return 0;
    case 'J':
        o->json = 1;
        return 0;
    default:
        return 2;
    }
}

static struct kf_store *review__store(const char *db)
{
    struct kf_store_params sp = kf_store_default_params();
    sp.path = db;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    struct kf_err err = {0};
    if (kf_store_open(sp, &st, &err) != KF_OK || kf_store_migrate(st, NULL, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s: %s\n", db, err.msg);
        kf_store_free(st);
        return NULL;
    }
    return st;
}

/* A text on one line: newlines and tabs become spaces. */
static void review__one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

int cli_review_examples(const char *db, const char *lang, struct kf_dataset *ds, json_t **added,
                        size_t *skipped)
{
    *added = NULL;
    *skipped = 0;
    struct kf_store *st = review__store(db);
    if (st == NULL)
        return -1;
    json_t *items = NULL;
    struct kf_err err = {0};
    int rc = kf_review_export(st, lang, &items, &err);
    kf_store_free(st);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: review export: %s\n", err.msg);
        return -1;
    }
    /* what the data has: label TAB text */
    json_t *seen = json_object(), *out = json_array();
    char key[8192];
    for (size_t i = 0; seen != NULL && i < ds->n; i++) {
        snprintf(key, sizeof key, "%s\t%s", ds->v[i].label, ds->v[i].text);
        json_object_set_new(seen, key, json_true());
    }
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *intent = json_string_value(json_object_get(it, "intent"));
        const char *text = json_string_value(json_object_get(it, "text"));
        if (intent == NULL || text == NULL)
            continue;
        char *line = strdup(text);
        if (line == NULL)
            break;
        review__one_line(line);
        int n = snprintf(key, sizeof key, "%s\t%s", intent, line);
        if (n < 0 || (size_t)n >= sizeof key || json_object_get(seen, key) != NULL) {
            (*skipped)++;
            free(line);
            continue;
        }
        json_object_set_new(seen, key, json_true());
        if (kf_dataset_add(ds, intent, line, strlen(line), &err) != KF_OK) {
            fprintf(stderr, "kefu: review item %lld: %s\n",
                    (long long)json_integer_value(json_object_get(it, "id")), err.msg);
            (*skipped)++;
        } else {
            json_array_append_new(
                out, json_pack("{s:O,s:s,s:s,s:O}", "id", json_object_get(it, "id"), "intent",
                               intent, "text", line, "lang", json_object_get(it, "lang")));
        }
        free(line);
    }
    json_decref(seen);
    json_decref(items);
    *added = out;
    return 0;
}

/* "N examples (intent 2, other 1)" on stderr. */
static void review__summary(json_t *added, size_t skipped)
{
    fprintf(stderr, "%zu example%s", json_array_size(added),
            json_array_size(added) == 1 ? "" : "s");
    const char *prev = NULL;
    size_t count = 0, groups = 0, i;
    json_t *it;
    json_array_foreach(added, i, it)
    {
        const char *intent = json_string_value(json_object_get(it, "intent"));
        if (prev != NULL && strcmp(prev, intent) != 0) {
            fprintf(stderr, "%s%s %zu", groups++ ? ", " : " (", prev, count);
            count = 0;
        }
        prev = intent;
        count++;
    }
    if (prev != NULL)
        fprintf(stderr, "%s%s %zu)", groups ? ", " : " (", prev, count);
    fprintf(stderr, "; %zu skipped as already in the training data\n", skipped);
}

/* The examples block of Rasa YAML takes each text as a plain line ("- "
 * and the text), which is why texts were put on one line. */
static int review__export(const struct kf_config *cfg, const struct review_opts *o)
{
    struct kf_dataset *ds = NULL;
    struct kf_err err = {0};
    if (kf_dataset_new(&ds, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return 1;
    }
    char data[KF_CONFIG_STR_MAX + 32];
    snprintf(data, sizeof data, "%s/nlu/intent", cfg->bot_path);
    if (access(data, R_OK) == 0 && kf_dataset_load(ds, data, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        kf_dataset_free(ds);
        return 1;
    }
    json_t *added = NULL;
    size_t skipped = 0;
    int rc = cli_review_examples(cfg->db_path, o->lang, ds, &added, &skipped);
    kf_dataset_free(ds);
    if (rc != 0)
        return 1;
    int lines = o->format != NULL && strcmp(o->format, "lines") == 0;
    if (!lines)
        printf("version: \"3.1\"\nnlu:%s\n", json_array_size(added) == 0 ? " []" : "");
    const char *prev = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(added, i, it)
    {
        const char *intent = json_string_value(json_object_get(it, "intent"));
        const char *text = json_string_value(json_object_get(it, "text"));
        if (lines) {
            printf("%s\t%s\n", intent, text);
            continue;
        }
        if (prev == NULL || strcmp(prev, intent) != 0)
            printf("- intent: %s\n  examples: |\n", intent);
        printf("    - %s\n", text);
        prev = intent;
    }
    review__summary(added, skipped);
    json_decref(added);
    return 0;
}

static void review__time(char *out, size_t cap, json_t *v)
{
    if (!json_is_integer(v)) {
        snprintf(out, cap, "-");
        return;
    }
    char iso[32];
    kf_time_iso8601((long long)json_integer_value(v), iso);
    snprintf(out, cap, "%.16s", iso);
}

static int review__list(const struct kf_config *cfg, const struct review_opts *o)
{
    static const char *const statuses[] = {"pending", "approved", "rejected", "all", NULL};
    const char *status = o->status != NULL ? o->status : "pending";
    int ok = 0;
    for (const char *const *s = statuses; *s != NULL; s++)
        ok |= strcmp(*s, status) == 0;
    if (!ok) {
        fprintf(stderr, "kefu: --status: expected pending, approved, rejected or all\n");
        return 2;
    }
    struct kf_store *st = review__store(cfg->db_path);
    if (st == NULL)
        return 1;
    json_t *all = json_array();
    struct kf_review_query q = {.status = strcmp(status, "all") == 0 ? NULL : status,
                                .kind = o->kind,
                                .limit = KF_REVIEW_PAGE_MAX};
    struct kf_err err = {0};
    int rc = KF_OK;
    for (;;) { /* every page */
        json_t *page = NULL;
        if ((rc = kf_review_list(st, &q, &page, &err)) != KF_OK)
            break;
        json_t *items = json_object_get(page, "items");
        json_array_extend(all, items);
        size_t n = json_array_size(items);
        int more = json_is_true(json_object_get(page, "more"));
        if (n > 0)
            q.after_id = json_integer_value(json_object_get(json_array_get(items, n - 1), "id"));
        json_decref(page);
        if (!more || n == 0)
            break;
    }
    kf_store_free(st);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: review list: %s\n", err.msg);
        json_decref(all);
        return rc == KF_EINVAL ? 2 : 1;
    }
    if (o->json) {
        char *s = json_dumps(all, JSON_INDENT(2));
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(all);
        return 0;
    }
    printf("%-6s %-17s %-9s %-16s %-20s %s\n", "id", "kind", "status", "created (UTC)",
           "intent / score", "text / comment");
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it)
    {
        char when[32], what[96];
        review__time(when, sizeof when, json_object_get(it, "created_at"));
        const char *kind = json_string_value(json_object_get(it, "kind"));
        const char *text;
        if (strcmp(kind, KF_REVIEW_LOW_CSAT) == 0) {
            snprintf(what, sizeof what, "score %lld",
                     (long long)json_integer_value(json_object_get(it, "score")));
            text = json_string_value(json_object_get(it, "comment"));
        } else {
            const char *pred = json_string_value(json_object_get(it, "predicted_intent"));
            snprintf(what, sizeof what, "%s → %s", pred ? pred : "?",
                     json_string_value(json_object_get(it, "corrected_intent")));
            text = json_string_value(json_object_get(it, "text"));
        }
        printf("%-6lld %-17s %-9s %-16s %-20s %.80s\n",
               (long long)json_integer_value(json_object_get(it, "id")), kind,
               json_string_value(json_object_get(it, "status")), when, what, text ? text : "");
    }
    printf("%zu item(s)\n", json_array_size(all));
    json_decref(all);
    return 0;
}

int cmd_review(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        review_help();
        return 0;
    }
    if (strcmp(sub, "list") != 0 && strcmp(sub, "export") != 0) {
        fprintf(stderr, "kefu review: expected list or export%s%s\nTry 'kefu review --help'.\n",
                argc >= 2 ? ", got " : "", sub);
        return 2;
    }
    static const struct option extra[] = {
        {"status", required_argument, NULL, 'S'}, {"kind", required_argument, NULL, 'K'},
        {"lang", required_argument, NULL, 'G'},   {"format", required_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'J'},         {NULL, 0, NULL, 0}};
    struct review_opts o = {0};
    struct kf_config cfg;
    int rc = cli_parse(argc - 1, argv + 1, "", extra, review_opt, &o, review_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    return strcmp(sub, "list") == 0 ? review__list(&cfg, &o) : review__export(&cfg, &o);
}
