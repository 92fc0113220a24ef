/*
 * buf.h — growable byte buffer with a hard maximum (after git's strbuf and
 * curl's dynbuf).
 *
 * Embedded value: kf_buf_init() it, kf_buf_release() it. Every append checks
 * the cap given at init and fails with KF_ETOOBIG instead of growing past it;
 * on any failure the buffer keeps its previous contents. `data` is always
 * NUL-terminated (when non-NULL) so it can be used as a C string.
 *
 * Ownership: the buffer owns `data`; kf_buf_detach() hands it to the caller
 * (free it with kf_free).
 */
#ifndef KEFU_BUF_H
#define KEFU_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct kf_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* largest len allowed */
};

void kf_buf_init(struct kf_buf *b, size_t max);
void kf_buf_release(struct kf_buf *b);
void kf_buf_reset(struct kf_buf *b); /* len = 0, memory kept */

int kf_buf_append(struct kf_buf *b, const void *data, size_t len);
int kf_buf_appends(struct kf_buf *b, const char *s);
int kf_buf_appendc(struct kf_buf *b, char c);
int kf_buf_appendf(struct kf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kf_buf_vappendf(struct kf_buf *b, const char *fmt, va_list ap);

/* Take the contents (NUL-terminated, never NULL unless out of memory); the
 * buffer is left empty. */
char *kf_buf_detach(struct kf_buf *b);

#endif
