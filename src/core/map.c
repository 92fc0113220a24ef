/*
 * map.c — open-addressing hash map with tombstones (see map.h).
 *
 * Capacity is a power of two and the load (live + tombstones) stays under
 * 70%; a resize drops tombstones.
 */
#include "kefu/map.h"

#include <string.h>

#include "kefu/err.h"
#include "kefu/mem.h"

struct map_slot {
    char *key; /* NULL = empty; TOMBSTONE = deleted */
    size_t klen;
    uint64_t hash;
    void *val;
};

struct kf_map {
    struct map_slot *slots;
    size_t cap;
    size_t live;
    size_t used; /* live + tombstones */
};

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

uint64_t kf_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64-bit offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct kf_map *kf_map_new(size_t hint)
{
    struct kf_map *m = kf_calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    size_t cap = 16;
    while (cap < hint * 2 && cap < ((size_t)1 << 40))
        cap <<= 1;
    m->slots = kf_calloc(cap, sizeof *m->slots);
    if (m->slots == NULL) {
        kf_free(m);
        return NULL;
    }
    m->cap = cap;
    return m;
}

void kf_map_free(struct kf_map *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
            kf_free(m->slots[i].key);
    kf_free(m->slots);
    kf_free(m);
}

static struct map_slot *map__find(const struct kf_map *m, const char *key, size_t klen,
                                  uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct map_slot *s = &m->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && s->klen == klen &&
            memcmp(s->key, key, klen) == 0)
            return s;
    }
}

static int map__resize(struct kf_map *m, size_t cap)
{
    struct map_slot *slots = kf_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return KF_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct map_slot *s = &m->slots[i];
        if (s->key == NULL || s->key == TOMBSTONE)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].key != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    kf_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->live;
    return KF_OK;
}

int kf_map_put(struct kf_map *m, const char *key, size_t klen, void *val, void **old)
{
    uint64_t h = kf_hash64(key, klen);
    struct map_slot *s = map__find(m, key, klen, h);
    if (old != NULL)
        *old = NULL;
    if (s != NULL) {
        if (old != NULL)
            *old = s->val;
        s->val = val;
        return KF_OK;
    }
    if ((m->used + 1) * 10 >= m->cap * 7) {
        size_t cap = m->live * 2 + 2 >= m->cap / 2 ? m->cap * 2 : m->cap;
        if (map__resize(m, cap) != KF_OK)
            return KF_ENOMEM;
    }
    char *k = kf_malloc(klen + 1);
    if (k == NULL)
        return KF_ENOMEM;
    memcpy(k, key, klen);
    k[klen] = '\0';
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    if (m->slots[i].key == NULL)
        m->used++;
    m->slots[i] = (struct map_slot){k, klen, h, val};
    m->live++;
    return KF_OK;
}

void *kf_map_get(const struct kf_map *m, const char *key, size_t klen)
{
    struct map_slot *s = map__find(m, key, klen, kf_hash64(key, klen));
    return s ? s->val : NULL;
}

void *kf_map_del(struct kf_map *m, const char *key, size_t klen)
{
    struct map_slot *s = map__find(m, key, klen, kf_hash64(key, klen));
    if (s == NULL)
        return NULL;
    void *v = s->val;
    kf_free(s->key);
    s->key = TOMBSTONE;
    s->val = NULL;
    m->live--;
    return v;
}

size_t kf_map_len(const struct kf_map *m)
{
    return m->live;
}

int kf_map_next(const struct kf_map *m, size_t *pos, const char **key, size_t *klen, void **val)
{
    for (size_t i = *pos; i < m->cap; i++) {
        struct map_slot *s = &m->slots[i];
        if (s->key != NULL && s->key != TOMBSTONE) {
            *key = s->key;
            if (klen != NULL)
                *klen = s->klen;
            if (val != NULL)
                *val = s->val;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = m->cap;
    return 0;
}
