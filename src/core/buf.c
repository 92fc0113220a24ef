/*
 * buf.c — bounded growable buffer (see buf.h).
 */
#include "kefu/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kefu/err.h"
#include "kefu/mem.h"

void kf_buf_init(struct kf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void kf_buf_release(struct kf_buf *b)
{
    kf_free(b->data);
    kf_buf_init(b, b->max);
}

void kf_buf_reset(struct kf_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int buf__grow(struct kf_buf *b, size_t add)
{
    if (add > b->max || b->len > b->max - add)
        return KF_ETOOBIG;
    size_t need = b->len + add + 1;
    if (need <= b->cap)
        return KF_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
    if (cap - 1 > b->max) /* not cap > max + 1: max may be SIZE_MAX */
        cap = b->max + 1;
    char *p = kf_realloc(b->data, cap);
    if (p == NULL)
        return KF_ENOMEM;
    b->data = p;
    b->cap = cap;
    return KF_OK;
}

int kf_buf_append(struct kf_buf *b, const void *data, size_t len)
{
    int rc = buf__grow(b, len);
    if (rc != KF_OK)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return KF_OK;
}

int kf_buf_appends(struct kf_buf *b, const char *s)
{
    return kf_buf_append(b, s, strlen(s));
}

int kf_buf_appendc(struct kf_buf *b, char c)
{
    return kf_buf_append(b, &c, 1);
}

int kf_buf_vappendf(struct kf_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return KF_EINVAL;
    int rc = buf__grow(b, (size_t)n);
    if (rc != KF_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return KF_OK;
}

int kf_buf_appendf(struct kf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kf_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *kf_buf_detach(struct kf_buf *b)
{
    if (b->data == NULL && buf__grow(b, 0) != KF_OK)
        return NULL;
    if (b->len == 0)
        b->data[0] = '\0';
    char *p = b->data;
    kf_buf_init(b, b->max);
    return p;
}
