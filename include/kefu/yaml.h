/*
 * yaml.h — a small read-only YAML tree on top of libyaml, with line numbers.
 *
 * Config and bot files are loaded into this tree, then walked by their own
 * loaders, which report problems as "FILE:LINE: KEY: what is wrong" using the
 * positions kept on every node. Anchors/aliases and multiple documents are
 * rejected (bot files do not need them, and aliases allow "billion laughs").
 * Nesting depth and file size are bounded.
 *
 * Ownership: the document owns every node and string (one arena); nodes are
 * valid until kf_ydoc_free().
 */
#ifndef KEFU_YAML_H
#define KEFU_YAML_H

#include <stddef.h>

#include "kefu/err.h"

enum kf_ytype { KF_Y_SCALAR, KF_Y_SEQ, KF_Y_MAP };

struct kf_ynode {
    enum kf_ytype type;
    int line; /* 1-based */
    int col;  /* 1-based */
    /* scalar */
    const char *str;
    size_t len;
    int plain; /* 1 if the scalar was unquoted (so `yes`/`123` may be typed) */
    /* sequence: items[0..n); mapping: keys[i] -> items[i] for i < n */
    struct kf_ynode **items;
    struct kf_ynode **keys;
    size_t n;
};

struct kf_ydoc {
    const char *path;      /* as given, for messages */
    struct kf_ynode *root; /* NULL for an empty file */
};

#define KF_YAML_MAX_BYTES ((size_t)16 << 20)
#define KF_YAML_MAX_DEPTH 64

/* Load a file (at most KF_YAML_MAX_BYTES). Errors name the file and line. */
int kf_ydoc_load_file(const char *path, struct kf_ydoc **out, struct kf_err *err);
/* Parse a buffer; `name` is used in messages. */
int kf_ydoc_load_string(const char *name, const char *data, size_t len, struct kf_ydoc **out,
                        struct kf_err *err);
void kf_ydoc_free(struct kf_ydoc *doc); /* NULL is a no-op */

/* Value of `key` in a mapping node, or NULL (also when node is not a map). */
const struct kf_ynode *kf_ynode_get(const struct kf_ynode *map, const char *key);

/* Report a problem at a node: "PATH:LINE: WHAT" into err; returns code. */
int kf_ydoc_errorf(const struct kf_ydoc *doc, const struct kf_ynode *at, struct kf_err *err,
                   int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Typed scalar readers; each reports "PATH:LINE: KEY: expected ..." on error.
 * `key` is the dotted name used in messages. */
int kf_ynode_string(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key,
                    const char **out, struct kf_err *err);
int kf_ynode_long(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key, long min,
                  long max, long *out, struct kf_err *err);
int kf_ynode_double(const struct kf_ydoc *doc, const struct kf_ynode *n, const char *key,
                    double min, double max, double *out, struct kf_err *err);

#endif
