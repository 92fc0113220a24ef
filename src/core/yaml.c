/*
 * yaml.c — libyaml event stream → struct kf_ynode tree (see yaml.h).
 *
 * The builder keeps an explicit stack of open collections; each finished node
 * is attached to the collection on top. For a mapping, items alternate key,
 * value: a pending key is held until its value arrives. Growable child arrays
 * live in the heap while a collection is open and are copied into the arena
 * when it closes.
 */
#include "kefu/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kefu/arena.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"

struct ydoc_full {
    struct kf_ydoc pub;
    struct kf_arena *arena;
};

struct yframe {
    struct kf_ynode *node;
    struct kf_ynode **kids; /* heap, alternating key/value for maps */
    size_t n, cap;
};

static int yaml__push_child(struct yframe *f, struct kf_ynode *child)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct kf_ynode **k = kf_realloc(f->kids, cap * sizeof *k);
        if (k == NULL)
            return KF_ENOMEM;
        f->kids = k;
        f->cap = cap;
    }
    f->kids[f->n++] = child;
    return KF_OK;
}

static int yaml__close_in(struct kf_arena *a, struct yframe *f);

/* Close a frame: its children move into the arena; the kids buffer is
 * freed whether or not that worked (the caller has already popped it). */
static int yaml__close(struct kf_arena *a, struct yframe *f)
{
    int rc = yaml__close_in(a, f);
    kf_free(f->kids);
    f->kids = NULL;
    return rc;
}

static int yaml__close_in(struct kf_arena *a, struct yframe *f)
{
    struct kf_ynode *node = f->node;
    if (node->type == KF_Y_SEQ) {
        node->n = f->n;
        node->items = kf_arena_calloc(a, f->n ? f->n : 1, sizeof *node->items);
        if (node->items == NULL)
            return KF_ENOMEM;
        if (f->n > 0) /* kids is NULL for an empty sequence */
            memcpy(node->items, f->kids, f->n * sizeof *node->items);
    } else {
        node->n = f->n / 2;
        node->items = kf_arena_calloc(a, node->n ? node->n : 1, sizeof *node->items);
        node->keys = kf_arena_calloc(a, node->n ? node->n : 1, sizeof *node->keys);
        if (node->items == NULL || node->keys == NULL)
            return KF_ENOMEM;
        for (size_t i = 0; i < node->n; i++) {
            node->keys[i] = f->kids[2 * i];
            node->items[i] = f->kids[2 * i + 1];
        }
    }
    return KF_OK;
}

int kf_ydoc_load_string(const char *name, const char *data, size_t len, struct kf_ydoc **out,
                        struct kf_err *err)
{
    *out = NULL;
    if (len > KF_YAML_MAX_BYTES)
        return kf_errorf(err, KF_ETOOBIG, "%s: larger than %zu bytes", name, KF_YAML_MAX_BYTES);
    if (!kf_utf8_valid(data, len))
        return kf_errorf(err, KF_EUTF8, "%s: not valid UTF-8", name);

    struct ydoc_full *doc = kf_calloc(1, sizeof *doc);
    struct kf_arena *a = kf_arena_new(0, KF_YAML_MAX_BYTES * 4);
    if (doc == NULL || a == NULL) {
        kf_free(doc);
        kf_arena_free(a);
        return kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
    }
    doc->arena = a;
    if ((doc->pub.path = kf_arena_strdup(a, name)) == NULL) {
        kf_free(doc);
        kf_arena_free(a);
        return kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
    }

    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

    struct yframe stack[KF_YAML_MAX_DEPTH + 1];
    int depth = 0;
    int rc = KF_OK;
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = kf_errorf(err, KF_EPARSE, "%s:%zu:%zu: %s%s%s", name,
                           parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                           parser.problem ? parser.problem : "syntax error",
                           parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        struct kf_ynode *node = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            goto done;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = kf_errorf(err, KF_EPARSE, "%s:%d: only one YAML document is allowed", name,
                               line);
            break;
        case YAML_ALIAS_EVENT:
            rc = kf_errorf(err, KF_EPARSE, "%s:%d: YAML aliases are not supported", name, line);
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.anchor != NULL) {
                rc = kf_errorf(err, KF_EPARSE, "%s:%d: YAML anchors are not supported", name,
                               line);
                break;
            }
            node = kf_arena_calloc(a, 1, sizeof *node);
            if (node == NULL) {
                rc = kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
                break;
            }
            node->type = KF_Y_SCALAR;
            node->len = ev.data.scalar.length;
            node->str = kf_arena_strndup(a, (const char *)ev.data.scalar.value, node->len);
            node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (node->str == NULL)
                rc = kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
            if (memchr(ev.data.scalar.value, '\0', node->len) != NULL)
                rc = kf_errorf(err, KF_EPARSE, "%s:%d: NUL character in a string", name, line);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if ((ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                      : ev.data.mapping_start.anchor) != NULL) {
                rc = kf_errorf(err, KF_EPARSE, "%s:%d: YAML anchors are not supported", name,
                               line);
                break;
            }
            if (depth >= KF_YAML_MAX_DEPTH) {
                rc = kf_errorf(err, KF_ETOOBIG, "%s:%d: nested deeper than %d levels", name, line,
                               KF_YAML_MAX_DEPTH);
                break;
            }
            node = kf_arena_calloc(a, 1, sizeof *node);
            if (node == NULL) {
                rc = kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
                break;
            }
            node->type = ev.type == YAML_SEQUENCE_START_EVENT ? KF_Y_SEQ : KF_Y_MAP;
            stack[depth++] = (struct yframe){.node = node};
            node = NULL; /* attached when it closes */
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (yaml__close(a, &stack[depth]) != KF_OK) {
                rc = kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
                break;
            }
            node = stack[depth].node;
            break;
        default:
            break;
        }
        if (node != NULL && rc == KF_OK) {
            node->line = node->line ? node->line : line;
            node->col = node->col ? node->col : col;
            if (depth == 0) {
                doc->pub.root = node;
            } else {
                struct yframe *top = &stack[depth - 1];
                if (top->node->type == KF_Y_MAP && top->n % 2 == 0 &&
                    node->type != KF_Y_SCALAR)
                    rc = kf_errorf(err, KF_EPARSE, "%s:%d: mapping keys must be plain strings",
                                   name, line);
                else if (yaml__push_child(top, node) != KF_OK)
                    rc = kf_errorf(err, KF_ENOMEM, "%s: out of memory", name);
            }
        }
        if (node == NULL && rc == KF_OK &&
            (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT))
            stack[depth - 1].node->line = line, stack[depth - 1].node->col = col;
        yaml_event_delete(&ev);
        if (rc != KF_OK)
            break;
    }
done:
    while (depth > 0)
        kf_free(stack[--depth].kids);
    yaml_parser_delete(&parser);
    if (rc != KF_OK) {
        kf_ydoc_free(&doc->pub);
        return rc;
    }
    *out = &doc->pub;
    return KF_OK;
}

int kf_ydoc_load_file(const char *path, struct kf_ydoc **out, struct kf_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    char *data = kf_malloc(KF_YAML_MAX_BYTES + 1);
    if (data == NULL) {
        fclose(f);
        return kf_errorf(err, KF_ENOMEM, "%s: out of memory", path);
    }
    size_t len = fread(data, 1, KF_YAML_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad)
        rc = kf_errorf(err, KF_EIO, "%s: read error", path);
    else
        rc = kf_ydoc_load_string(path, data, len, out, err);
    kf_free(data);
    return rc;
}

void kf_ydoc_free(struct kf_ydoc *doc)
{
    if (doc == NULL)
        return;
    struct ydoc_full *full = (struct ydoc_full *)doc;
    kf_arena_free(full->arena);
    kf_free(full);
}

const struct kf_ynode *kf_ynode_get(const struct kf_ynode *map, const char *key)
{
    if (map == NULL || map->type != KF_Y_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == klen && memcmp(map->keys[i]->str, key, klen) == 0)
            return map->items[i];
    return NULL;
}

int kf_ydoc_errorf(const struct kf_ydoc *doc, const struct kf_ynode *at, struct kf_err *err,
                   int code, const char *fmt, ...)
{
    char what[KF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (at != NULL)
        return kf_errorf(err, code, "%s:%d: %s", doc->path, at->line, what);
    return kf_errorf(err, code, "%s: %s", doc->path, what);
}

int kf_ynode_string(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key,
                    const char **out, struct kf_err *err)
{
    if (n == NULL || n->type != KF_Y_SCALAR)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected a string", key);
    *out = n->str;
    return KF_OK;
}

int kf_ynode_long(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key, long min,
                  long max, long *out, struct kf_err *err)
{
    if (n == NULL || n->type != KF_Y_SCALAR || n->len == 0)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected an integer", key);
    char *end;
    errno = 0;
    long v = strtol(n->str, &end, 10);
    if (errno != 0 || *end != '\0')
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected an integer, got '%s'", key,
                              n->str);
    if (v < min || v > max)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: %ld is out of range [%ld, %ld]", key,
                              v, min, max);
    *out = v;
    return KF_OK;
}

int kf_ynode_double(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key,
                    double min, double max, double *out, struct kf_err *err)
{
    if (n == NULL || n->type != KF_Y_SCALAR || n->len == 0)
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected a number", key);
    char *end;
    errno = 0;
    double v = strtod(n->str, &end);
    if (errno != 0 || *end != '\0')
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: expected a number, got '%s'", key,
                              n->str);
    if (!(v >= min && v <= max))
        return kf_ydoc_errorf(doc, n, err, KF_ECONFIG, "%s: %g is out of range [%g, %g]", key, v,
                              min, max);
    *out = v;
    return KF_OK;
}
