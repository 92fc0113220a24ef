/*
 * bot.c — loading and validating a bot folder (see bot.h).
 *
 * Strings are copied out of the YAML trees into one arena owned by the bot,
 * so the trees can be freed as soon as a file is read. FAQ files are read in
 * name order so entry numbers (and thus ties in retrieval) are stable.
 */
#include "kefu/bot.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/arena.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/text.h"
#include "kefu/utf8.h"
#include "kefu/yaml.h"

#define BOT_PHRASES(XX) XX(greeting) XX(not_sure) XX(fallback) XX(handoff) XX(handoff_button)

enum bot_phrase {
#define BOT__ENUM(name) PH_##name,
    BOT_PHRASES(BOT__ENUM)
#undef BOT__ENUM
    PH__COUNT
};

static const char *const phrase_keys[] = {
#define BOT__NAME(name) #name,
    BOT_PHRASES(BOT__NAME)
#undef BOT__NAME
};

struct kf_bot {
    struct kf_arena *arena;
    const char *name;
    const char *langs[KF_BOT_MAX_LANGS];
    size_t nlangs;
    const char *phrases[PH__COUNT][KF_BOT_MAX_LANGS];
    double threshold;
    int suggest;
    /* handoff phrases, normalised, any language */
    const char **human;
    size_t nhuman;
    struct kf_faq_entry *faq;
    size_t nfaq, cap_faq;
    struct kf_kb *kb;
    /* entities: the bot's own patterns and its time zone */
    struct kf_pattern_rule *rules;
    size_t nrules;
    int utc_offset_min;
    struct kf_flows *flows; /* dialog.yaml + flows/ (flow.h) */
};

/* ---- accessors --------------------------------------------------------- */

const char *kf_bot_name(const struct kf_bot *bot) { return bot->name; }
size_t kf_bot_lang_count(const struct kf_bot *bot) { return bot->nlangs; }
const char *kf_bot_lang(const struct kf_bot *bot, size_t i)
{
    return i < bot->nlangs ? bot->langs[i] : NULL;
}
double kf_bot_faq_threshold(const struct kf_bot *bot) { return bot->threshold; }
int kf_bot_faq_suggest(const struct kf_bot *bot) { return bot->suggest; }
size_t kf_bot_faq_count(const struct kf_bot *bot) { return bot->nfaq; }
const struct kf_kb *kf_bot_kb(const struct kf_bot *bot) { return bot->kb; }
const struct kf_pattern_rule *kf_bot_entity_rules(const struct kf_bot *bot, size_t *n)
{
    *n = bot->nrules;
    return bot->rules;
}
int kf_bot_utc_offset(const struct kf_bot *bot) { return bot->utc_offset_min; }
const struct kf_flows *kf_bot_flows(const struct kf_bot *bot) { return bot->flows; }

const struct kf_faq_entry *kf_bot_faq(const struct kf_bot *bot, size_t i)
{
    return i < bot->nfaq ? &bot->faq[i] : NULL;
}

int kf_bot_lang_index(const struct kf_bot *bot, const char *lang)
{
    if (lang == NULL)
        return -1;
    for (size_t i = 0; i < bot->nlangs; i++)
        if (strcmp(bot->langs[i], lang) == 0)
            return (int)i;
    return -1;
}

const char *kf_bot_phrase(const struct kf_bot *bot, const char *key, const char *lang)
{
    int li = kf_bot_lang_index(bot, lang);
    if (li < 0)
        li = 0;
    for (int p = 0; p < PH__COUNT; p++)
        if (strcmp(phrase_keys[p], key) == 0)
            return bot->phrases[p][li];
    return "";
}

void kf_bot_free(struct kf_bot *bot)
{
    if (bot == NULL)
        return;
    kf_kb_free(bot->kb);
    kf_flows_free(bot->flows);
    kf_free(bot->faq);
    kf_free(bot->human);
    kf_arena_free(bot->arena);
    kf_free(bot);
}

/* ---- loading ----------------------------------------------------------- */

/* A required string field: a missing key is reported at its parent's line. */
static int bot__req_string(const struct kf_ydoc *doc, const struct kf_ynode *parent,
                           const char *key, const char *label, const char **out,
                           struct kf_err *err)
{
    const struct kf_ynode *n = kf_ynode_get(parent, key);
    if (n == NULL)
        return kf_ydoc_errorf(doc, parent, err, KF_ECONFIG, "%s: required", label);
    return kf_ynode_string(doc, n, label, out, err);
}

static int bot__lang_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 7)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return 0;
    return 1;
}

/* A map {lang: string} with every bot language present. */
static int bot__read_i18n(struct kf_bot *bot, const struct kf_ydoc *doc, const struct kf_ynode *n,
                          const char *key, size_t max, const char **out, struct kf_err *err)
{
    if (n == NULL || n->type != KF_Y_MAP)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected a map of languages", key);
    for (size_t l = 0; l < bot->nlangs; l++) {
        const struct kf_ynode *v = kf_ynode_get(n, bot->langs[l]);
        if (v == NULL)
            return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: missing language '%s'", key,
                                  bot->langs[l]);
        if (v->type != KF_Y_SCALAR || v->len == 0)
            return kf_ydoc_errorf(doc, v, err, KF_ECONFIG, "%s.%s: expected non-empty text", key,
                                  bot->langs[l]);
        if (v->len > max)
            return kf_ydoc_errorf(doc, v, err, KF_ECONFIG, "%s.%s: longer than %zu bytes", key,
                                  bot->langs[l], max);
        out[l] = kf_arena_strndup(bot->arena, v->str, v->len);
        if (out[l] == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n->n; i++)
        if (kf_bot_lang_index(bot, n->keys[i]->str) < 0)
            return kf_ydoc_errorf(doc, n->keys[i], err, KF_ECONFIG,
                                  "%s: language '%s' is not in bot.yaml languages", key,
                                  n->keys[i]->str);
    return KF_OK;
}

static int bot__add_human_phrase(struct kf_bot *bot, const char *s, size_t len, struct kf_err *err)
{
    struct kf_arena *a = bot->arena;
    char *norm;
    size_t nlen;
    int rc = kf_text_normalize(s, len, a, &norm, &nlen, err);
    if (rc != KF_OK)
        return rc;
    if (nlen == 0)
        return KF_OK;
    const char **v = kf_realloc(bot->human, (bot->nhuman + 1) * sizeof *v);
    if (v == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    bot->human = v;
    bot->human[bot->nhuman++] = norm;
    return KF_OK;
}

static int bot__read_entities(struct kf_bot *bot, const struct kf_ydoc *doc,
                              const struct kf_ynode *en, struct kf_err *err)
{
    if (en->type != KF_Y_MAP)
        return kf_ydoc_errorf(doc, en, err, KF_ECONFIG, "entities: expected a map");
    const char *s;
    int rc;
    const struct kf_ynode *tz = kf_ynode_get(en, "timezone");
    if (tz != NULL) {
        if ((rc = kf_ynode_string(doc, tz, "entities.timezone", &s, err)) != KF_OK)
            return rc;
        int h, m = 0;
        char sign;
        if ((sscanf(s, "%c%2d:%2d", &sign, &h, &m) < 2) || (sign != '+' && sign != '-') ||
            h > 14 || m > 59)
            return kf_ydoc_errorf(doc, tz, err, KF_ECONFIG,
                                  "entities.timezone: expected a UTC offset like \"+08:00\"");
        bot->utc_offset_min = (sign == '-' ? -1 : 1) * (h * 60 + m);
    }
    const struct kf_ynode *pl = kf_ynode_get(en, "patterns");
    if (pl == NULL)
        return KF_OK;
    if (pl->type != KF_Y_SEQ || pl->n > 256)
        return kf_ydoc_errorf(doc, pl, err, KF_ECONFIG,
                              "entities.patterns: expected a list of {type, regex} (at most 256)");
    bot->rules = kf_arena_calloc(bot->arena, pl->n + 1, sizeof *bot->rules);
    if (bot->rules == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; i < pl->n; i++) {
        const struct kf_ynode *it = pl->items[i];
        const char *type, *regex;
        if (it->type != KF_Y_MAP)
            return kf_ydoc_errorf(doc, it, err, KF_ECONFIG,
                                  "entities.patterns[]: expected {type, regex}");
        if ((rc = bot__req_string(doc, it, "type", "entities.patterns[].type", &type, err)) !=
                KF_OK ||
            (rc = bot__req_string(doc, it, "regex", "entities.patterns[].regex", &regex,
                                  err)) != KF_OK)
            return rc;
        struct kf_pattern_rule r = {kf_arena_strdup(bot->arena, type),
                                    kf_arena_strdup(bot->arena, regex)};
        if (r.type == NULL || r.regex == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        /* compile it now, so a bad expression is reported with its line */
        struct kf_patterns_params pp = kf_patterns_default_params();
        pp.rules = &r;
        pp.nrules = 1;
        struct kf_patterns *pat;
        struct kf_err perr = {0};
        if (kf_patterns_new(pp, &pat, &perr) != KF_OK)
            return kf_ydoc_errorf(doc, it, err, KF_ECONFIG, "entities.patterns: %s", perr.msg);
        kf_patterns_free(pat);
        bot->rules[bot->nrules++] = r;
    }
    return KF_OK;
}

static int bot__read_main(struct kf_bot *bot, const char *dir, struct kf_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bot.yaml", dir);
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *root = doc->root;
    const struct kf_ynode *n;
    const char *s;
    if (root == NULL || root->type != KF_Y_MAP) {
        rc = kf_ydoc_errorf(doc, root, err, KF_ECONFIG, "expected a mapping");
        goto out;
    }
    if ((rc = bot__req_string(doc, root, "name", "name", &s, err)) != KF_OK)
        goto out;
    if (s[0] == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s)) {
        rc = kf_ydoc_errorf(doc, kf_ynode_get(root, "name"), err, KF_ECONFIG,
                            "name: '%s' may only use a-z 0-9 -", s);
        goto out;
    }
    bot->name = kf_arena_strdup(bot->arena, s);

    n = kf_ynode_get(root, "languages");
    if (n == NULL || n->type != KF_Y_SEQ || n->n == 0 || n->n > KF_BOT_MAX_LANGS) {
        rc = kf_ydoc_errorf(doc, n ? n : root, err, KF_ECONFIG,
                            "languages: expected a list of 1 to %d language codes",
                            KF_BOT_MAX_LANGS);
        goto out;
    }
    for (size_t i = 0; i < n->n; i++) {
        if ((rc = kf_ynode_string(doc, n->items[i], "languages[]", &s, err)) != KF_OK)
            goto out;
        if (!bot__lang_ok(s) || kf_bot_lang_index(bot, s) >= 0) {
            rc = kf_ydoc_errorf(doc, n->items[i], err, KF_ECONFIG,
                                "languages: '%s' is not a new language code like zh or en", s);
            goto out;
        }
        bot->langs[bot->nlangs++] = kf_arena_strdup(bot->arena, s);
    }

    bot->threshold = 0.35;
    bot->suggest = 3;
    const struct kf_ynode *faq = kf_ynode_get(root, "faq");
    if (faq != NULL) {
        const struct kf_ynode *t = kf_ynode_get(faq, "threshold");
        if (t != NULL &&
            (rc = kf_ynode_double(doc, t, "faq.threshold", 0, 1, &bot->threshold, err)) != KF_OK)
            goto out;
        t = kf_ynode_get(faq, "suggest");
        long sug;
        if (t != NULL) {
            if ((rc = kf_ynode_long(doc, t, "faq.suggest", 0, 5, &sug, err)) != KF_OK)
                goto out;
            bot->suggest = (int)sug;
        }
    }

    const struct kf_ynode *msgs = kf_ynode_get(root, "messages");
    for (int p = 0; p < PH__COUNT; p++) {
        char key[64];
        snprintf(key, sizeof key, "messages.%s", phrase_keys[p]);
        rc = bot__read_i18n(bot, doc, kf_ynode_get(msgs, phrase_keys[p]), key, KF_BOT_ANSWER_MAX,
                            bot->phrases[p], err);
        if (rc != KF_OK) {
            if (msgs == NULL)
                rc = kf_ydoc_errorf(doc, root, err, KF_ECONFIG, "messages: missing");
            goto out;
        }
    }

    /* handoff_phrases: {zh: [...], en: [...]} */
    const struct kf_ynode *hp = kf_ynode_get(root, "handoff_phrases");
    if (hp != NULL) {
        if (hp->type != KF_Y_MAP) {
            rc = kf_ydoc_errorf(doc, hp, err, KF_ECONFIG,
                                "handoff_phrases: expected a map of language → list");
            goto out;
        }
        for (size_t l = 0; l < hp->n; l++) {
            const struct kf_ynode *list = hp->items[l];
            if (list->type != KF_Y_SEQ) {
                rc = kf_ydoc_errorf(doc, list, err, KF_ECONFIG,
                                    "handoff_phrases.%s: expected a list", hp->keys[l]->str);
                goto out;
            }
            for (size_t i = 0; i < list->n; i++) {
                if ((rc = kf_ynode_string(doc, list->items[i], "handoff_phrases[]", &s, err)) !=
                        KF_OK ||
                    (rc = bot__add_human_phrase(bot, s, strlen(s), err)) != KF_OK)
                    goto out;
            }
        }
    }
    /* entities: {timezone: "+08:00", patterns: [{type: T, regex: R}, ...]} */
    const struct kf_ynode *en = kf_ynode_get(root, "entities");
    if (en != NULL && (rc = bot__read_entities(bot, doc, en, err)) != KF_OK)
        goto out;
    /* the handoff button must always work, whatever the phrases say */
    for (size_t l = 0; l < bot->nlangs; l++) {
        const char *b = bot->phrases[PH_handoff_button][l];
        if ((rc = bot__add_human_phrase(bot, b, strlen(b), err)) != KF_OK)
            goto out;
    }
out:
    kf_ydoc_free(doc);
    return rc;
}

static int bot__read_faq_file(struct kf_bot *bot, const char *path, struct kf_map *seen,
                              struct kf_err *err)
{
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *list = kf_ynode_get(doc->root, "faq");
    if (list == NULL || list->type != KF_Y_SEQ) {
        rc = kf_ydoc_errorf(doc, list ? list : doc->root, err, KF_ECONFIG,
                            "faq: expected a list of entries");
        goto out;
    }
    for (size_t i = 0; i < list->n; i++) {
        const struct kf_ynode *e = list->items[i];
        const char *s;
        if (e->type != KF_Y_MAP) {
            rc = kf_ydoc_errorf(doc, e, err, KF_ECONFIG, "faq[%zu]: expected a mapping", i);
            goto out;
        }
        if (bot->nfaq >= KF_BOT_MAX_FAQ) {
            rc = kf_ydoc_errorf(doc, e, err, KF_ETOOBIG, "more than %d FAQ entries",
                                KF_BOT_MAX_FAQ);
            goto out;
        }
        if (bot->nfaq == bot->cap_faq) {
            size_t cap = bot->cap_faq ? bot->cap_faq * 2 : 64;
            struct kf_faq_entry *v = kf_realloc(bot->faq, cap * sizeof *v);
            if (v == NULL) {
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
                goto out;
            }
            bot->faq = v;
            bot->cap_faq = cap;
        }
        struct kf_faq_entry *fe = &bot->faq[bot->nfaq];
        memset(fe, 0, sizeof *fe);
        if ((rc = bot__req_string(doc, e, "id", "faq[].id", &s, err)) != KF_OK)
            goto out;
        for (const char *p = s; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                  *p == '.')) {
                rc = kf_ydoc_errorf(doc, kf_ynode_get(e, "id"), err, KF_ECONFIG,
                                    "faq[].id: '%s' may only use a-z 0-9 _ .", s);
                goto out;
            }
        if (kf_map_get(seen, s, strlen(s)) != NULL) {
            rc = kf_ydoc_errorf(doc, kf_ynode_get(e, "id"), err, KF_ECONFIG,
                                "faq[].id: '%s' is used twice", s);
            goto out;
        }
        fe->id = kf_arena_strdup(bot->arena, s);
        if (fe->id == NULL || kf_map_put(seen, fe->id, strlen(fe->id), fe, NULL) != KF_OK) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            goto out;
        }
        const struct kf_ynode *cat = kf_ynode_get(e, "category");
        fe->category = "";
        if (cat != NULL) {
            if ((rc = kf_ynode_string(doc, cat, "faq[].category", &s, err)) != KF_OK)
                goto out;
            fe->category = kf_arena_strdup(bot->arena, s);
        }
        char key[256];
        snprintf(key, sizeof key, "faq %s: answer", fe->id);
        if ((rc = bot__read_i18n(bot, doc, kf_ynode_get(e, "answer"), key, KF_BOT_ANSWER_MAX,
                                 fe->answer, err)) != KF_OK)
            goto out;
        const struct kf_ynode *qs = kf_ynode_get(e, "questions");
        if (qs == NULL || qs->type != KF_Y_MAP) {
            rc = kf_ydoc_errorf(doc, qs ? qs : e, err, KF_ECONFIG,
                                "faq %s: questions: expected a map of languages", fe->id);
            goto out;
        }
        for (size_t l = 0; l < bot->nlangs; l++) {
            const struct kf_ynode *ql = kf_ynode_get(qs, bot->langs[l]);
            if (ql == NULL || ql->type != KF_Y_SEQ || ql->n == 0) {
                rc = kf_ydoc_errorf(doc, ql ? ql : qs, err, KF_ECONFIG,
                                    "faq %s: questions.%s: expected a non-empty list", fe->id,
                                    bot->langs[l]);
                goto out;
            }
            for (size_t k = 0; k < ql->n; k++) {
                const struct kf_ynode *q = ql->items[k];
                if (q->type != KF_Y_SCALAR || q->len == 0 || q->len > KF_BOT_QUESTION_MAX) {
                    rc = kf_ydoc_errorf(doc, q, err, KF_ECONFIG,
                                        "faq %s: questions.%s[%zu]: expected text of 1 to %d bytes",
                                        fe->id, bot->langs[l], k, KF_BOT_QUESTION_MAX);
                    goto out;
                }
                if (k == 0)
                    fe->question[l] = kf_arena_strndup(bot->arena, q->str, q->len);
                rc = kf_kb_add(bot->kb, (int)bot->nfaq, q->str, q->len, err);
                if (rc != KF_OK) {
                    kf_ydoc_errorf(doc, q, err, rc, "faq %s: %s", fe->id, err ? err->msg : "");
                    goto out;
                }
            }
        }
        for (size_t l = 0; l < bot->nlangs; l++) {
            rc = kf_kb_add_context(bot->kb, (int)bot->nfaq, fe->answer[l], strlen(fe->answer[l]),
                                   err);
            if (rc != KF_OK)
                goto out;
        }
        for (size_t k = 0; k < qs->n; k++)
            if (kf_bot_lang_index(bot, qs->keys[k]->str) < 0) {
                rc = kf_ydoc_errorf(doc, qs->keys[k], err, KF_ECONFIG,
                                    "faq %s: questions: language '%s' is not in bot.yaml",
                                    fe->id, qs->keys[k]->str);
                goto out;
            }
        bot->nfaq++;
    }
out:
    kf_ydoc_free(doc);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int bot__read_faq_dir(struct kf_bot *bot, const char *dir, struct kf_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/faq", dir);
    DIR *d = opendir(path);
    if (d == NULL)
        return KF_OK; /* a bot without FAQ is allowed */
    char *names[1024];
    size_t n = 0;
    struct dirent *de;
    int rc = KF_OK;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        if (n == sizeof names / sizeof names[0]) {
            rc = kf_errorf(err, KF_ETOOBIG, "%s: more than %zu files", path, n);
            break;
        }
        names[n] = kf_strdup(de->d_name);
        if (names[n] == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    struct kf_map *seen = kf_map_new(256);
    if (seen == NULL && rc == KF_OK)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == KF_OK; i++) {
        char file[4352];
        snprintf(file, sizeof file, "%s/%s", path, names[i]);
        rc = bot__read_faq_file(bot, file, seen, err);
    }
    for (size_t i = 0; i < n; i++)
        kf_free(names[i]);
    kf_map_free(seen);
    return rc;
}

int kf_bot_load(const char *dir, struct kf_bot **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_bot *bot = kf_calloc(1, sizeof *bot);
    if (bot == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    bot->arena = kf_arena_new(0, 0);
    struct kf_kb_params kp = kf_kb_default_params();
    bot->kb = kf_kb_new(kp);
    int rc = KF_OK;
    if (bot->arena == NULL || bot->kb == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK)
        rc = bot__read_main(bot, dir, err);
    if (rc == KF_OK)
        rc = bot__read_faq_dir(bot, dir, err);
    if (rc == KF_OK && bot->nfaq > 0)
        rc = kf_kb_build(bot->kb, err);
    if (rc == KF_OK)
        rc = kf_flows_load(dir, bot->langs, bot->nlangs, &bot->flows, err);
    if (rc != KF_OK) {
        kf_bot_free(bot);
        return rc;
    }
    *out = bot;
    return KF_OK;
}

/* Whole-word (Latin) or substring (Han) match of a normalised phrase. */
static int bot__phrase_in(const char *text, size_t tlen, const char *ph)
{
    size_t plen = strlen(ph);
    int han = 0;
    for (size_t i = 0; i < plen;) {
        uint32_t cp;
        int k = kf_utf8_decode(ph + i, plen - i, &cp);
        if (k < 0)
            break;
        if (kf_utf8_is_han(cp))
            han = 1;
        i += (size_t)k;
    }
    for (const char *p = text; (p = memmem(p, tlen - (size_t)(p - text), ph, plen)) != NULL;
         p++) {
        if (han)
            return 1;
        int start = p == text || p[-1] == ' ';
        int end = (size_t)(p - text) + plen == tlen || p[plen] == ' ';
        if (start && end)
            return 1;
    }
    return 0;
}

int kf_bot_wants_human(const struct kf_bot *bot, const char *text, size_t len)
{
    struct kf_arena *a = kf_arena_new(0, 0);
    if (a == NULL)
        return 0;
    char *norm;
    size_t nlen;
    int found = 0;
    if (kf_text_normalize(text, len, a, &norm, &nlen, NULL) == KF_OK)
        for (size_t i = 0; i < bot->nhuman && !found; i++)
            found = bot__phrase_in(norm, nlen, bot->human[i]);
    kf_arena_free(a);
    return found;
}
