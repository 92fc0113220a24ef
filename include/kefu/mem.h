/*
 * mem.h — the one allocation wrapper every libkefu module uses.
 *
 * kf_malloc/kf_calloc/kf_realloc/kf_free behave like the libc functions, with
 * two additions: sizes that overflow return NULL instead of wrapping, and a
 * test hook that makes the Nth allocation from now fail, so tests can prove
 * that every allocation failure is handled (curl's "torture" idea).
 *
 * The failure counter is the single piece of process-wide mutable state in
 * libkefu; it is atomic and only ever set by tests.
 */
#ifndef KEFU_MEM_H
#define KEFU_MEM_H

#include <stddef.h>

void *kf_malloc(size_t size);
void *kf_calloc(size_t n, size_t size);
void *kf_realloc(void *ptr, size_t size);
void kf_free(void *ptr);

/* Copies of strings; NULL on allocation failure. kf_strndup copies at most n
 * bytes and always terminates. */
char *kf_strdup(const char *s);
char *kf_strndup(const char *s, size_t n);

/* Test hook: make the allocation `n` calls from now fail (1 = the next one);
 * 0 disables. Returns the number of allocations done since the last call. */
long kf_mem_fail_after(long n);

#endif
