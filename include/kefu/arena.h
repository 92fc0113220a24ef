/*
 * arena.h — region allocator for request-scoped data.
 *
 * One chat turn or one HTTP request allocates everything it needs from one
 * arena and frees it in one step (kf_arena_free or kf_arena_reset). An arena
 * has a hard cap on the bytes it will hand out, so a hostile input cannot make
 * a request grow without bound: past the cap, allocation returns NULL.
 *
 * Ownership: the arena owns every block it returned; pointers into it are
 * valid until kf_arena_reset/kf_arena_free. Not thread-safe: one arena, one
 * thread at a time.
 */
#ifndef KEFU_ARENA_H
#define KEFU_ARENA_H

#include <stddef.h>

struct kf_arena;

/* block: bytes per chunk (0 = 8 KiB); max: total cap (0 = 64 MiB). */
struct kf_arena *kf_arena_new(size_t block, size_t max);
void kf_arena_free(struct kf_arena *a); /* NULL is a no-op */

/* Drop everything but keep the first chunk for reuse. */
void kf_arena_reset(struct kf_arena *a);

/* 16-byte aligned memory; NULL past the cap or on allocation failure. */
void *kf_arena_alloc(struct kf_arena *a, size_t size);
void *kf_arena_calloc(struct kf_arena *a, size_t n, size_t size);
char *kf_arena_strdup(struct kf_arena *a, const char *s);
char *kf_arena_strndup(struct kf_arena *a, const char *s, size_t n);
char *kf_arena_printf(struct kf_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes handed out since the last reset. */
size_t kf_arena_used(const struct kf_arena *a);

#endif
