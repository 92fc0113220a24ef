/*
 * dataset.h — labelled texts for training and evaluating classifiers.
 *
 * Reads, from a file or every *.tsv / *.yaml / *.yml file of a folder (in
 * name order):
 *   TSV        `label<TAB>text`, one example a line; blank lines and lines
 *              starting with # are skipped
 *   Rasa NLU   YAML with `nlu:` items: `- intent: NAME` + `examples: |` (a
 *              block of "- text" lines, or a list); entity annotations
 *              `[text](entity)`, `[text](entity:value)` and
 *              `[text]{"entity": ...}` are reduced to their text; `synonym:`,
 *              `regex:` and `lookup:` items are read and counted (the
 *              entity extractor of a later issue uses them)
 * Errors name the file and line. Texts are valid UTF-8, at most 64 KiB.
 *
 * Ownership: a dataset owns all its strings.
 */
#ifndef KEFU_DATASET_H
#define KEFU_DATASET_H

#include <stddef.h>

#include "kefu/err.h"

struct kf_example {
    const char *label;
    const char *text;
};

struct kf_dataset {
    struct kf_example *v;
    size_t n;
    size_t synonyms, regexes, lookups; /* Rasa items seen besides intents */
    int keep_annotations; /* set before loading: keep Rasa examples as written,
                             [text](entity) and all (the entity trainer) */
    struct kf_dataset_int *in;         /* storage, private */
};

int kf_dataset_new(struct kf_dataset **out, struct kf_err *err);
void kf_dataset_free(struct kf_dataset *ds); /* NULL is a no-op */

/* Load a file or a folder and append its examples. */
int kf_dataset_load(struct kf_dataset *ds, const char *path, struct kf_err *err);
int kf_dataset_add(struct kf_dataset *ds, const char *label, const char *text, size_t len,
                   struct kf_err *err);

/* Strip Rasa entity annotations from one example into out (cap bytes);
 * returns the length written. */
size_t kf_dataset_strip_annotations(const char *in, size_t len, char *out, size_t cap);

/* Distinct labels in first-seen order; *n gets the count. Pointers stay valid
 * while the dataset lives. */
int kf_dataset_labels(const struct kf_dataset *ds, const char ***labels, size_t *n,
                      struct kf_err *err);

#endif
