/*
 * map.h — string-keyed hash map (open addressing, linear probing).
 *
 * Keys are copied into the map; values are opaque pointers the caller owns
 * (the map never frees them). Iteration order is unspecified. Not
 * thread-safe for writers; concurrent readers are fine once built.
 */
#ifndef KEFU_MAP_H
#define KEFU_MAP_H

#include <stddef.h>
#include <stdint.h>

struct kf_map;

struct kf_map *kf_map_new(size_t hint);
void kf_map_free(struct kf_map *m); /* NULL is a no-op */

/* Insert or replace. Returns 0 or KF_ENOMEM. *old (if non-NULL) receives the
 * replaced value or NULL. */
int kf_map_put(struct kf_map *m, const char *key, size_t klen, void *val, void **old);
void *kf_map_get(const struct kf_map *m, const char *key, size_t klen);
/* Remove; returns the removed value or NULL. */
void *kf_map_del(struct kf_map *m, const char *key, size_t klen);
size_t kf_map_len(const struct kf_map *m);

/* Iterate: start with *pos = 0; returns 1 and sets key/val while entries
 * remain, then 0. The map must not change during iteration. */
int kf_map_next(const struct kf_map *m, size_t *pos, const char **key, size_t *klen, void **val);

/* FNV-1a, exposed for other hashed structures. */
uint64_t kf_hash64(const void *data, size_t len);

#endif
