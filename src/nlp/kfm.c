/*
 * kfm.c — kefu model files: the container every model kind shares (see
 * model_format.h for the layout and kfm_int.h for the calls).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kefu/mem.h"
#include "kefu/model_format.h"
#include "kfm_int.h"

/* FNV-1a over 64-bit little-endian words (a zero-padded last word): eight
 * times fewer steps than byte-wise FNV, which was half of loading a
 * CLINC150-sized model (35 MB). */
static uint64_t kfm__checksum(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ULL;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 1099511628211ULL;
    }
    return h;
}

/* ---- metadata ----------------------------------------------------------- */

int kf__kfm_meta_set(char **keys, char **vals, size_t *n, size_t max, const char *key,
                     const char *val)
{
    char *v = kf_strdup(val);
    if (v == NULL)
        return KF_ENOMEM;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(keys[i], key) == 0) {
            kf_free(vals[i]);
            vals[i] = v;
            return KF_OK;
        }
    char *k = *n < max ? kf_strdup(key) : NULL;
    if (k == NULL) {
        kf_free(v);
        return *n < max ? KF_ENOMEM : KF_ETOOBIG;
    }
    keys[*n] = k;
    vals[(*n)++] = v;
    return KF_OK;
}

const char *kf__kfm_meta_get(char *const *keys, char *const *vals, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return vals[i];
    return NULL;
}

/* ---- writing ----------------------------------------------------------- */

void kf__kfm_w_init(struct kfm_w *w)
{
    kf_buf_init(&w->b, (size_t)KF_MODEL_MAX_BYTES);
    w->bad = 0;
}

void kf__kfm_w_release(struct kfm_w *w) { kf_buf_release(&w->b); }

void kf__kfm_w_bytes(struct kfm_w *w, const void *p, size_t n)
{
    if (n > 0 && kf_buf_append(&w->b, p, n) != KF_OK)
        w->bad = 1;
}

void kf__kfm_w_u32(struct kfm_w *w, uint32_t v) { kf__kfm_w_bytes(w, &v, 4); }
void kf__kfm_w_u64(struct kfm_w *w, uint64_t v) { kf__kfm_w_bytes(w, &v, 8); }

void kf__kfm_w_str(struct kfm_w *w, const char *s)
{
    kf__kfm_w_u32(w, (uint32_t)strlen(s));
    kf__kfm_w_bytes(w, s, strlen(s));
}

void kf__kfm_w_header(struct kfm_w *w, char *const *keys, char *const *vals, size_t n)
{
    kf__kfm_w_bytes(w, KF_MODEL_MAGIC, 8);
    kf__kfm_w_u32(w, KF_MODEL_VERSION);
    kf__kfm_w_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        kf__kfm_w_str(w, keys[i]);
        kf__kfm_w_str(w, vals[i]);
    }
}

/* Zero bytes so that the block header (u32 tag + u64 length) leaves its
 * data 8-byte aligned in the file (and in a mapping of it). */
void kf__kfm_w_block_begin(struct kfm_w *w, uint32_t tag, uint64_t len)
{
    static const char zero[8];
    kf__kfm_w_bytes(w, zero, (8 - (w->b.len + 12) % 8) % 8);
    kf__kfm_w_u32(w, tag);
    kf__kfm_w_u64(w, len);
}

int kf__kfm_w_finish(struct kfm_w *w, const char *path, struct kf_err *err)
{
    if (!w->bad)
        kf__kfm_w_u64(w, kfm__checksum((const unsigned char *)w->b.data, w->b.len));
    if (w->bad) {
        kf__kfm_w_release(w);
        return kf_errorf(err, KF_ETOOBIG, "%s: model too large or out of memory", path);
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(w->b.data, 1, w->b.len, f) == w->b.len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    kf__kfm_w_release(w);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return kf_errorf(err, KF_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return KF_OK;
}

/* ---- reading ----------------------------------------------------------- */

int kf__kfm_map(const char *path, void **map, size_t *len, struct kf_err *err)
{
    *map = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    int rc = KF_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = kf_errorf(err, KF_EIO, "%s: not a regular file", path);
    } else if ((unsigned long long)sb.st_size > KF_MODEL_MAX_BYTES) {
        rc = kf_errorf(err, KF_ETOOBIG, "%s: model file too large", path);
    } else if (sb.st_size > 0) {
        /* one mapping, read ahead in bulk; the weights are used in place */
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = kf_errorf(err, KF_EIO, "%s: cannot map: %s", path, strerror(errno));
        } else {
            *map = m;
            *len = (size_t)sb.st_size;
        }
    }
    close(fd);
    return rc;
}

void kf__kfm_unmap(void *map, size_t len)
{
    if (map != NULL)
        munmap(map, len);
}

const void *kf__kfm_r_bytes(struct kfm_r *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    return at;
}

uint32_t kf__kfm_r_u32(struct kfm_r *r)
{
    uint32_t v = 0;
    const void *p = kf__kfm_r_bytes(r, 4);
    if (p)
        memcpy(&v, p, 4);
    return v;
}

static uint64_t kfm__r_u64(struct kfm_r *r)
{
    uint64_t v = 0;
    const void *p = kf__kfm_r_bytes(r, 8);
    if (p)
        memcpy(&v, p, 8);
    return v;
}

char *kf__kfm_r_str(struct kfm_r *r, size_t max)
{
    uint32_t n = kf__kfm_r_u32(r);
    if (n > max) {
        r->bad = 1;
        return NULL;
    }
    const char *s = kf__kfm_r_bytes(r, n);
    if (s == NULL || memchr(s, '\0', n) != NULL) {
        r->bad = 1;
        return NULL;
    }
    return kf_strndup(s, n);
}

int kf__kfm_r_header(struct kfm_r *r, const unsigned char *data, size_t len, const char *path,
                     size_t max_meta, int (*meta)(void *ud, const char *k, const char *v),
                     void *ud, struct kf_err *err)
{
    if (data == NULL || len < 24 || memcmp(data, KF_MODEL_MAGIC, 8) != 0)
        return kf_errorf(err, KF_EPARSE, "%s: not a kefu model file (bad magic)", path);
    uint64_t sum = kfm__checksum(data, len - 8), stored;
    memcpy(&stored, data + len - 8, 8);
    r->base = data;
    r->p = data + 8;
    r->end = data + len - 8;
    r->bad = 0;
    uint32_t version = kf__kfm_r_u32(r);
    if (version != KF_MODEL_VERSION)
        return kf_errorf(err, KF_EPARSE, "%s: model format version %u, this kefu reads version %u",
                         path, version, KF_MODEL_VERSION);
    if (sum != stored)
        return kf_errorf(err, KF_EPARSE, "%s: checksum mismatch (file corrupt or truncated)",
                         path);
    uint32_t nmeta = kf__kfm_r_u32(r);
    if (nmeta > max_meta)
        return kf_errorf(err, KF_EPARSE, "%s: %u metadata entries (at most %zu)", path, nmeta,
                         max_meta);
    for (uint32_t i = 0; i < nmeta; i++) {
        char *k = kf__kfm_r_str(r, 256), *v = kf__kfm_r_str(r, 65536);
        int ok = k != NULL && v != NULL && meta(ud, k, v) == KF_OK;
        kf_free(k);
        kf_free(v);
        if (!ok)
            return kf_errorf(err, KF_EPARSE, "%s: bad metadata entry %u", path, i);
    }
    return KF_OK;
}

const void *kf__kfm_r_block(struct kfm_r *r, uint32_t tag, uint64_t *len)
{
    size_t off = (size_t)(r->p - r->base);
    kf__kfm_r_bytes(r, (8 - (off + 12) % 8) % 8); /* the writer's padding */
    uint32_t t = kf__kfm_r_u32(r);
    uint64_t n = kfm__r_u64(r);
    if (r->bad || t != tag || n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        return NULL;
    }
    *len = n;
    return kf__kfm_r_bytes(r, (size_t)n);
}
