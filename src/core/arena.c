/*
 * arena.c — chunked bump allocator (see arena.h).
 *
 * Chunks form a singly linked list, newest first. Requests larger than a
 * quarter of the block size get a chunk of their own so big strings do not
 * waste the tail of the current chunk.
 */
#include "kefu/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kefu/mem.h"

#define ARENA_ALIGN 16

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct kf_arena {
    struct arena_chunk *head;
    size_t block;
    size_t max;
    size_t total; /* bytes handed out */
};

struct kf_arena *kf_arena_new(size_t block, size_t max)
{
    struct kf_arena *a = kf_calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->block = block ? block : 8192;
    a->max = max ? max : (size_t)64 << 20;
    return a;
}

static void arena__free_chunks(struct arena_chunk *c, struct arena_chunk *keep)
{
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        if (c != keep)
            kf_free(c);
        c = next;
    }
}

void kf_arena_free(struct kf_arena *a)
{
    if (a == NULL)
        return;
    arena__free_chunks(a->head, NULL);
    kf_free(a);
}

void kf_arena_reset(struct kf_arena *a)
{
    if (a == NULL || a->head == NULL)
        return;
    /* keep the oldest chunk of the standard size, drop the rest */
    struct arena_chunk *keep = NULL;
    for (struct arena_chunk *c = a->head; c != NULL; c = c->next)
        if (c->size == a->block)
            keep = c;
    arena__free_chunks(a->head, keep);
    a->head = keep;
    if (keep != NULL) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->total = 0;
}

static struct arena_chunk *arena__chunk_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(struct arena_chunk))
        return NULL;
    struct arena_chunk *c = kf_malloc(sizeof *c + size);
    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *kf_arena_alloc(struct kf_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size > a->max || a->total > a->max - size)
        return NULL;

    struct arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        if (size > a->block / 4) {
            /* a chunk of its own, linked behind the current one */
            struct arena_chunk *big = arena__chunk_new(size);
            if (big == NULL)
                return NULL;
            big->used = size;
            if (c == NULL) {
                a->head = big;
            } else {
                big->next = c->next;
                c->next = big;
            }
            a->total += size;
            return big->data;
        }
        c = arena__chunk_new(a->block);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->total += size;
    return p;
}

void *kf_arena_calloc(struct kf_arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = kf_arena_alloc(a, n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

char *kf_arena_strndup(struct kf_arena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = kf_arena_alloc(a, len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *kf_arena_strdup(struct kf_arena *a, const char *s)
{
    return kf_arena_strndup(a, s, SIZE_MAX);
}

char *kf_arena_printf(struct kf_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = kf_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t kf_arena_used(const struct kf_arena *a)
{
    return a->total;
}
