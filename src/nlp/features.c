/*
 * features.c — hashed sparse features (see features.h).
 *
 * Every feature string is hashed as it is built (FNV-1a 64 over the kind
 * letter, then the bytes), so no feature text is ever stored; collisions in
 * 64 bits are negligible at our vocabulary sizes.
 */
#include "kefu/features.h"

#include <libstemmer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/text.h"
#include "kefu/utf8.h"

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL
#define MAX_TOKENS 4096

struct kf_feature_params kf_feature_default_params(void)
{
    return (struct kf_feature_params){
        .words = 1, .bigrams = 1, .cmin = 3, .cmax = 5, .han_max = 3, .t2s = 0};
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_kind(char kind)
{
    return fnv(FNV_OFFSET, &kind, 1);
}

struct token {
    const char *s; /* into the normalised text, or the stem buffer */
    size_t n;
    int han; /* a single Han character */
    int emoji;
};

struct hashes {
    uint64_t *v;
    size_t n, cap;
    struct kf_arena *a;
};

static int push(struct hashes *h, uint64_t x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        uint64_t *v = kf_arena_alloc(h->a, cap * sizeof *v);
        if (v == NULL)
            return KF_ENOMEM;
        if (h->n)
            memcpy(v, h->v, h->n * sizeof *v);
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = x;
    return KF_OK;
}

/* Sort hashes in place: quicksort with insertion sort for short runs.
 * Measured: qsort with a comparator was a quarter of parse time. */
static void sort_u64(uint64_t *v, size_t n)
{
    while (n > 16) {
        uint64_t a = v[0], b = v[n / 2], c = v[n - 1];
        uint64_t pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint64_t t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller side, loop on the larger */
        if (j + 1 < n - j - 1) {
            sort_u64(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            sort_u64(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t k = i;
        while (k > 0 && v[k - 1] > x) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
}

/* Character n-grams of "<word>" counted in code points. */
static int char_ngrams(struct hashes *h, const char *w, size_t n, int cmin, int cmax)
{
    size_t offs[260];
    size_t k = 0;
    char buf[260];
    if (n + 2 > sizeof buf - 1)
        return KF_OK; /* very long "words" (URLs, base64) give no n-grams */
    buf[0] = '<';
    memcpy(buf + 1, w, n);
    buf[n + 1] = '>';
    size_t len = n + 2;
    for (size_t i = 0; i < len && k < 259;) {
        offs[k++] = i;
        uint32_t cp;
        int step = kf_utf8_decode(buf + i, len - i, &cp);
        i += step > 0 ? (size_t)step : 1;
    }
    offs[k] = len;
    for (int g = cmin; g <= cmax; g++)
        for (size_t i = 0; i + (size_t)g <= k; i++)
            if (push(h, fnv(fnv_kind('c'), buf + offs[i], offs[i + g] - offs[i])) != KF_OK)
                return KF_ENOMEM;
    return KF_OK;
}

int kf_features_extract(const char *text, size_t len, const struct kf_feature_params *p,
                        struct kf_arena *a, struct kf_fvec *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    char *norm;
    size_t nlen;
    if (p->t2s && p->t2s_table == NULL)
        return kf_errorf(err, KF_EINVAL, "features: t2s is on but no table was given");
    int rc = kf_text_normalize_t2s(text, len, p->t2s ? p->t2s_table : NULL, a, &norm, &nlen, err);
    if (rc != KF_OK)
        return rc;
    return kf_features_from_normalized(norm, nlen, p, a, out, err);
}

int kf_features_from_normalized(const char *norm, size_t nlen, const struct kf_feature_params *p,
                                struct kf_arena *a, struct kf_fvec *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    int rc;

    /* tokens */
    struct token *tok = kf_arena_alloc(a, MAX_TOKENS * sizeof *tok);
    if (tok == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t nt = 0;
    for (size_t i = 0; i < nlen && nt < MAX_TOKENS;) {
        uint32_t cp;
        int k = kf_utf8_decode(norm + i, nlen - i, &cp);
        if (k < 0) {
            i++;
            continue;
        }
        if (cp == ' ') {
            i++;
            continue;
        }
        if (kf_utf8_is_han(cp) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
            (cp >= 0x2600 && cp <= 0x27BF)) {
            tok[nt++] = (struct token){norm + i, (size_t)k, kf_utf8_is_han(cp), !kf_utf8_is_han(cp)};
            i += (size_t)k;
            continue;
        }
        size_t j = i;
        while (j < nlen) {
            uint32_t c2;
            int k2 = kf_utf8_decode(norm + j, nlen - j, &c2);
            if (k2 < 0 || c2 == ' ' || kf_utf8_is_han(c2) || (c2 >= 0x1F300 && c2 <= 0x1FAFF))
                break;
            j += (size_t)k2;
        }
        tok[nt++] = (struct token){norm + i, j - i, 0, 0};
        i = j;
    }

    struct hashes h = {.a = a};
    struct sb_stemmer *stem = sb_stemmer_new("english", "UTF_8");
    if (stem == NULL)
        return kf_errorf(err, KF_ENOMEM, "cannot create stemmer");
    uint64_t prev_word = 0; /* hash state of the previous stemmed word, 0 = none */
    rc = KF_OK;
    for (size_t t = 0; t < nt && rc == KF_OK; t++) {
        struct token *tk = &tok[t];
        if (tk->emoji) {
            rc = push(&h, fnv(fnv_kind('e'), tk->s, tk->n));
            prev_word = 0;
            continue;
        }
        if (tk->han) {
            prev_word = 0;
            /* n-grams ending at this character, within the Han run */
            size_t start = tk->s - norm;
            for (int g = 1; g <= p->han_max && rc == KF_OK; g++) {
                if ((size_t)g > t + 1)
                    break;
                int run = 1;
                for (int q = 1; q < g; q++)
                    run &= tok[t - (size_t)q].han &&
                           tok[t - (size_t)q].s + tok[t - (size_t)q].n == tok[t - (size_t)q + 1].s;
                if (!run)
                    break;
                const char *from = tok[t - (size_t)g + 1].s;
                rc = push(&h, fnv(fnv_kind('h'), from, (size_t)(norm + start + tk->n - from)));
            }
            continue;
        }
        /* a word */
        char wbuf[64];
        const char *w = tk->s;
        size_t wn = tk->n;
        int digits = strspn(tk->s, "0123456789") >= tk->n;
        if (digits) {
            wbuf[0] = '#';
            wbuf[1] = (char)('0' + (tk->n > 9 ? 9 : tk->n));
            w = wbuf;
            wn = 2;
        } else if (tk->n < 48) {
            const sb_symbol *st = sb_stemmer_stem(stem, (const sb_symbol *)tk->s, (int)tk->n);
            if (st != NULL) {
                wn = (size_t)sb_stemmer_length(stem);
                memcpy(wbuf, st, wn);
                w = wbuf;
            }
        }
        uint64_t wh = fnv(FNV_OFFSET, w, wn);
        if (p->words)
            rc = push(&h, fnv(fnv_kind('w'), w, wn));
        if (rc == KF_OK && p->bigrams && prev_word != 0) {
            uint64_t b = fnv_kind('b');
            b = fnv(b, &prev_word, sizeof prev_word);
            b = fnv(b, &wh, sizeof wh);
            rc = push(&h, b);
        }
        prev_word = wh;
        if (rc == KF_OK && p->cmin > 0 && !digits)
            rc = char_ngrams(&h, tk->s, tk->n, p->cmin, p->cmax);
    }
    sb_stemmer_delete(stem);
    if (rc != KF_OK)
        return kf_errorf(err, rc, "out of memory");

    /* count, weight 1 + ln(count), unit norm */
    sort_u64(h.v, h.n);
    out->h = kf_arena_alloc(a, (h.n ? h.n : 1) * sizeof *out->h);
    out->v = kf_arena_alloc(a, (h.n ? h.n : 1) * sizeof *out->v);
    if (out->h == NULL || out->v == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    double norm2 = 0;
    size_t n = 0;
    for (size_t i = 0; i < h.n;) {
        size_t j = i + 1;
        while (j < h.n && h.v[j] == h.v[i])
            j++;
        float v = (float)(1.0 + log((double)(j - i)));
        out->h[n] = h.v[i];
        out->v[n] = v;
        norm2 += (double)v * v;
        n++;
        i = j;
    }
    float inv = norm2 > 0 ? (float)(1.0 / sqrt(norm2)) : 0;
    for (size_t i = 0; i < n; i++)
        out->v[i] *= inv;
    out->n = n;
    return KF_OK;
}
