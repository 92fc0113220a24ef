/*
 * kfm_int.h — reading and writing kefu model files (model_format.h), shared
 * by every model kind in src/nlp (classifier.c, crf.c). Internal.
 *
 * Writing: kf__kfm_w_init, the header (magic, version, metadata), then
 * blocks (kf__kfm_w_block_begin pads so each block's data is 8-byte
 * aligned, then raw bytes), then kf__kfm_w_finish appends the checksum and
 * replaces the file atomically (write to PATH.tmp, rename).
 *
 * Reading: kf__kfm_map maps a file read-only after checking its size;
 * kf__kfm_r_header checks magic, version and checksum and reads the
 * metadata; kf__kfm_r_block reads the next block's header and returns its
 * data in place. Every read is bounds-checked (r->bad).
 */
#ifndef KEFU_KFM_INT_H
#define KEFU_KFM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/buf.h"
#include "kefu/err.h"

struct kfm_w {
    struct kf_buf b;
    int bad;
};

void kf__kfm_w_init(struct kfm_w *w);
void kf__kfm_w_release(struct kfm_w *w);
void kf__kfm_w_bytes(struct kfm_w *w, const void *p, size_t n);
void kf__kfm_w_u32(struct kfm_w *w, uint32_t v);
void kf__kfm_w_u64(struct kfm_w *w, uint64_t v);
void kf__kfm_w_str(struct kfm_w *w, const char *s); /* u32 length + bytes */
/* magic, version, n metadata entries */
void kf__kfm_w_header(struct kfm_w *w, char *const *keys, char *const *vals, size_t n);
/* padding, tag, byte length; the caller then writes exactly len bytes */
void kf__kfm_w_block_begin(struct kfm_w *w, uint32_t tag, uint64_t len);
/* checksum, write PATH.tmp, rename to PATH; releases w */
int kf__kfm_w_finish(struct kfm_w *w, const char *path, struct kf_err *err);

/* Set (or replace) key = val in parallel arrays of at most max entries
 * (copies). 0, KF_ENOMEM or KF_ETOOBIG. */
int kf__kfm_meta_set(char **keys, char **vals, size_t *n, size_t max, const char *key,
                     const char *val);
/* The value of key, or NULL. */
const char *kf__kfm_meta_get(char *const *keys, char *const *vals, size_t n, const char *key);

struct kfm_r {
    const unsigned char *base, *p, *end;
    int bad;
};

/* Map a model file read-only (*map, *len; munmap when done). An empty file
 * gives *map = NULL, *len = 0 (the header check then rejects it). */
int kf__kfm_map(const char *path, void **map, size_t *len, struct kf_err *err);
void kf__kfm_unmap(void *map, size_t len);

/* Check magic, version, checksum; call meta(ud, key, value) per metadata
 * entry (max entries). 0 or KF_EPARSE naming path. */
int kf__kfm_r_header(struct kfm_r *r, const unsigned char *data, size_t len, const char *path,
                     size_t max_meta, int (*meta)(void *ud, const char *k, const char *v),
                     void *ud, struct kf_err *err);
/* Next block: its data (in place, 8-byte aligned) or NULL when the tag is not
 * `tag` or the file is short. */
const void *kf__kfm_r_block(struct kfm_r *r, uint32_t tag, uint64_t *len);
uint32_t kf__kfm_r_u32(struct kfm_r *r);
const void *kf__kfm_r_bytes(struct kfm_r *r, size_t n);
/* u32 length + bytes → malloc'd string (NULL when bad or longer than max) */
char *kf__kfm_r_str(struct kfm_r *r, size_t max);

#endif
