/*
 * dataset.c — TSV and Rasa NLU YAML loaders (see dataset.h).
 */
#include "kefu/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kefu/arena.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"
#include "kefu/yaml.h"

#define TEXT_MAX 65536

struct kf_dataset_int {
    struct kf_arena *arena;
    size_t cap;
    const char **labels; /* cache for kf_dataset_labels */
    size_t nlabels;
};

int kf_dataset_new(struct kf_dataset **out, struct kf_err *err)
{
    struct kf_dataset *ds = kf_calloc(1, sizeof *ds);
    struct kf_dataset_int *in = kf_calloc(1, sizeof *in);
    struct kf_arena *a = kf_arena_new(1 << 16, (size_t)1 << 32);
    if (ds == NULL || in == NULL || a == NULL) {
        kf_free(ds);
        kf_free(in);
        kf_arena_free(a);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    in->arena = a;
    ds->in = in;
    *out = ds;
    return KF_OK;
}

void kf_dataset_free(struct kf_dataset *ds)
{
    if (ds == NULL)
        return;
    kf_free(ds->v);
    kf_free(ds->in->labels);
    kf_arena_free(ds->in->arena);
    kf_free(ds->in);
    kf_free(ds);
}

int kf_dataset_add(struct kf_dataset *ds, const char *label, const char *text, size_t len,
                   struct kf_err *err)
{
    if (len > TEXT_MAX)
        return kf_errorf(err, KF_ETOOBIG, "text longer than %d bytes", TEXT_MAX);
    if (!kf_utf8_valid_text(text, len) || !kf_utf8_valid_text(label, strlen(label)))
        return kf_errorf(err, KF_EUTF8, "not valid UTF-8");
    if (label[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "empty label");
    if (ds->n == ds->in->cap) {
        size_t cap = ds->in->cap ? ds->in->cap * 2 : 1024;
        struct kf_example *v = kf_realloc(ds->v, cap * sizeof *v);
        if (v == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        ds->v = v;
        ds->in->cap = cap;
    }
    const char *l = kf_arena_strdup(ds->in->arena, label);
    const char *t = kf_arena_strndup(ds->in->arena, text, len);
    if (l == NULL || t == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    ds->v[ds->n++] = (struct kf_example){l, t};
    kf_free(ds->in->labels);
    ds->in->labels = NULL;
    return KF_OK;
}

size_t kf_dataset_strip_annotations(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap;) {
        if (in[i] == '[') {
            const char *close = memchr(in + i + 1, ']', len - i - 1);
            if (close != NULL && (size_t)(close - in) + 1 < len &&
                (close[1] == '(' || close[1] == '{')) {
                char end = close[1] == '(' ? ')' : '}';
                const char *stop = memchr(close + 2, end, len - (size_t)(close + 2 - in));
                if (stop != NULL) {
                    size_t tl = (size_t)(close - in) - i - 1;
                    if (o + tl >= cap)
                        tl = cap - o - 1;
                    memcpy(out + o, in + i + 1, tl);
                    o += tl;
                    i = (size_t)(stop - in) + 1;
                    continue;
                }
            }
        }
        out[o++] = in[i++];
    }
    out[o] = '\0';
    return o;
}

/* An example as the dataset keeps it: stripped of annotations, or as
 * written when the caller asked for them (keep_annotations). */
static size_t ds__example(const struct kf_dataset *ds, const char *in, size_t len, char *out,
                          size_t cap)
{
    if (!ds->keep_annotations)
        return kf_dataset_strip_annotations(in, len, out, cap);
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(out, in, n);
    out[n] = '\0';
    return n;
}

static int ds__load_tsv(struct kf_dataset *ds, const char *path, struct kf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = KF_OK;
    while (rc == KF_OK && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *tab = memchr(line, '\t', (size_t)n);
        if (tab == NULL || tab == line || tab[1] == '\0') {
            rc = kf_errorf(err, KF_EPARSE, "%s:%d: expected label<TAB>text", path, lineno);
            break;
        }
        *tab = '\0';
        rc = kf_dataset_add(ds, line, tab + 1, (size_t)(n - (tab + 1 - line)), err);
        if (rc != KF_OK)
            kf_err_prefix(err, "%s:%d", path, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

/* Add every "- text" line of a Rasa examples block. */
static int ds__add_block_into(struct kf_dataset *ds, const struct kf_ydoc *doc,
                              const struct kf_ynode *ex, const char *label, char *clean,
                              struct kf_err *err);

static int ds__add_block(struct kf_dataset *ds, const struct kf_ydoc *doc,
                         const struct kf_ynode *ex, const char *label, struct kf_err *err)
{
    char *clean = kf_malloc(TEXT_MAX + 1);
    if (clean == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = ds__add_block_into(ds, doc, ex, label, clean, err);
    kf_free(clean);
    return rc;
}

static int ds__add_block_into(struct kf_dataset *ds, const struct kf_ydoc *doc,
                              const struct kf_ynode *ex, const char *label, char *clean,
                              struct kf_err *err)
{
    const size_t cap = TEXT_MAX + 1;
    if (ex->type == KF_Y_SEQ) {
        for (size_t i = 0; i < ex->n; i++) {
            const struct kf_ynode *it = ex->items[i];
            if (it->type != KF_Y_SCALAR)
                return kf_ydoc_errorf(doc, it, err, KF_EPARSE, "examples: expected text");
            size_t cl = ds__example(ds, it->str, it->len, clean, cap);
            int rc = kf_dataset_add(ds, label, clean, cl, err);
            if (rc != KF_OK)
                return kf_ydoc_errorf(doc, it, err, rc, "intent %s: %s", label, err ? err->msg : "");
        }
        return KF_OK;
    }
    if (ex->type != KF_Y_SCALAR)
        return kf_ydoc_errorf(doc, ex, err, KF_EPARSE, "examples: expected a block of '- text' lines");
    const char *p = ex->str, *end = ex->str + ex->len;
    int lineno = ex->line; /* the block starts on the line after "examples: |" */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (s < le) {
            if (*s != '-' || s + 1 >= le || s[1] != ' ') {
                kf_errorf(err, KF_EPARSE, "%s:%d: intent %s: expected '- example', got '%.*s'",
                          doc->path, lineno, label, (int)(le - s > 40 ? 40 : le - s), s);
                return KF_EPARSE;
            }
            s += 2;
            size_t cl = ds__example(ds, s, (size_t)(le - s), clean, cap);
            while (cl > 0 && (clean[cl - 1] == ' ' || clean[cl - 1] == '\r'))
                clean[--cl] = '\0';
            if (cl > 0) {
                int rc = kf_dataset_add(ds, label, clean, cl, err);
                if (rc != KF_OK)
                    return kf_err_prefix(err, "%s:%d", doc->path, lineno);
            }
        }
        p = le + 1;
    }
    return KF_OK;
}

static int ds__load_yaml(struct kf_dataset *ds, const char *path, struct kf_err *err)
{
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *nlu = kf_ynode_get(doc->root, "nlu");
    if (nlu == NULL || nlu->type != KF_Y_SEQ) {
        rc = kf_ydoc_errorf(doc, nlu ? nlu : doc->root, err, KF_EPARSE,
                            "nlu: expected a list of intents (Rasa NLU format)");
        goto out;
    }
    for (size_t i = 0; i < nlu->n && rc == KF_OK; i++) {
        const struct kf_ynode *it = nlu->items[i];
        const struct kf_ynode *name = kf_ynode_get(it, "intent");
        if (name == NULL) {
            if (kf_ynode_get(it, "synonym"))
                ds->synonyms++;
            else if (kf_ynode_get(it, "regex"))
                ds->regexes++;
            else if (kf_ynode_get(it, "lookup"))
                ds->lookups++;
            else
                rc = kf_ydoc_errorf(doc, it, err, KF_EPARSE,
                                    "nlu[%zu]: expected intent, synonym, regex or lookup", i);
            continue;
        }
        if (name->type != KF_Y_SCALAR || name->len == 0) {
            rc = kf_ydoc_errorf(doc, name, err, KF_EPARSE, "intent: expected a name");
            break;
        }
        const struct kf_ynode *ex = kf_ynode_get(it, "examples");
        if (ex == NULL) {
            rc = kf_ydoc_errorf(doc, it, err, KF_EPARSE, "intent %s: examples: required", name->str);
            break;
        }
        rc = ds__add_block(ds, doc, ex, name->str, err);
    }
out:
    kf_ydoc_free(doc);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int ds__load_file(struct kf_dataset *ds, const char *path, struct kf_err *err)
{
    if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
        return ds__load_yaml(ds, path, err);
    return ds__load_tsv(ds, path, err);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kf_dataset_load(struct kf_dataset *ds, const char *path, struct kf_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return ds__load_file(ds, path, err);
    DIR *d = opendir(path);
    if (d == NULL)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    char *names[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
        if (de->d_name[0] == '.' || !(ends_with(de->d_name, ".tsv") ||
                                      ends_with(de->d_name, ".yaml") ||
                                      ends_with(de->d_name, ".yml")))
            continue;
        names[n] = kf_strdup(de->d_name);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    int rc = n == 0 ? kf_errorf(err, KF_ENOTFOUND, "%s: no .tsv or .yaml files", path) : KF_OK;
    for (size_t i = 0; i < n; i++) {
        if (rc == KF_OK) {
            char file[4096];
            snprintf(file, sizeof file, "%s/%s", path, names[i]);
            rc = ds__load_file(ds, file, err);
        }
        kf_free(names[i]);
    }
    return rc;
}

int kf_dataset_labels(const struct kf_dataset *ds, const char ***labels, size_t *n,
                      struct kf_err *err)
{
    struct kf_dataset_int *in = ds->in;
    if (in->labels == NULL) {
        struct kf_map *seen = kf_map_new(256);
        const char **v = kf_calloc(ds->n ? ds->n : 1, sizeof *v);
        if (seen == NULL || v == NULL) {
            kf_map_free(seen);
            kf_free(v);
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        }
        size_t k = 0;
        for (size_t i = 0; i < ds->n; i++) {
            const char *l = ds->v[i].label;
            if (kf_map_get(seen, l, strlen(l)) == NULL) {
                if (kf_map_put(seen, l, strlen(l), (void *)l, NULL) != KF_OK) {
                    kf_map_free(seen);
                    kf_free(v);
                    return kf_errorf(err, KF_ENOMEM, "out of memory");
                }
                v[k++] = l;
            }
        }
        kf_map_free(seen);
        in->labels = v;
        in->nlabels = k;
    }
    *labels = in->labels;
    *n = in->nlabels;
    return KF_OK;
}
