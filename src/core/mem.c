/*
 * mem.c — allocation wrapper with overflow checks and failure injection.
 */
#include "kefu/mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Set only by tests through kf_mem_fail_after(); see mem.h. */
static atomic_long fail_countdown;
static atomic_long alloc_count;

static int mem__should_fail(void)
{
    atomic_fetch_add(&alloc_count, 1);
    long c = atomic_load(&fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
            return c == 1;
    }
    return 0;
}

long kf_mem_fail_after(long n)
{
    atomic_store(&fail_countdown, n < 0 ? 0 : n);
    return atomic_exchange(&alloc_count, 0);
}

void *kf_malloc(size_t size)
{
    if (mem__should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *kf_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (mem__should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *kf_realloc(void *ptr, size_t size)
{
    if (mem__should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void kf_free(void *ptr)
{
    free(ptr);
}

char *kf_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = kf_malloc(len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *kf_strdup(const char *s)
{
    return kf_strndup(s, SIZE_MAX);
}
