/*
 * text.c — normalisation, term extraction and language guess (see text.h).
 *
 * utf8proc does NFKC + case folding in one pass; we then walk code points
 * and classify each by its Unicode category: letters/digits are kept, marks
 * are kept (they belong to the letter before), everything else becomes a
 * space. Emoji (category So in the emoji blocks) are kept and surrounded by
 * spaces so they become tokens of their own.
 */
#include "kefu/text.h"

#include <libstemmer.h>
#include <string.h>
#include <utf8proc.h>

#include "kefu/buf.h"
#include "kefu/t2s.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"

static int text__is_emoji(uint32_t cp)
{
    return (cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF);
}

int kf_text_normalize(const char *in, size_t len, struct kf_arena *a, char **out, size_t *out_len,
                      struct kf_err *err)
{
    return kf_text_normalize_t2s(in, len, NULL, a, out, out_len, err);
}

int kf_text_normalize_t2s(const char *in, size_t len, const struct kf_t2s *t2s,
                          struct kf_arena *a, char **out, size_t *out_len, struct kf_err *err)
{
    if (len > KF_TEXT_MAX_BYTES)
        return kf_errorf(err, KF_ETOOBIG, "text longer than %d bytes", KF_TEXT_MAX_BYTES);
    if (!kf_utf8_valid(in, len))
        return kf_errorf(err, KF_EUTF8, "text is not valid UTF-8");
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t mlen =
        utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &mapped,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                         UTF8PROC_STRIPCC);
    if (mlen < 0)
        return kf_errorf(err, KF_EUTF8, "normalisation failed: %s", utf8proc_errmsg(mlen));

    /* output is at most 3x: each kept code point may gain two spaces */
    char *o = kf_arena_alloc(a, (size_t)mlen * 3 + 1);
    if (o == NULL) {
        free(mapped);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    size_t n = 0;
    int space = 1; /* suppress leading space */
    for (utf8proc_ssize_t i = 0; i < mlen;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(mapped + i, mlen - i, &cp);
        if (k <= 0)
            break;
        utf8proc_category_t cat = utf8proc_category(cp);
        int keep = 0, alone = 0;
        switch (cat) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
            keep = 1;
            break;
        case UTF8PROC_CATEGORY_SO:
            keep = alone = text__is_emoji((uint32_t)cp);
            break;
        default:
            /* apostrophes inside words ("don't") are dropped, not split */
            if (cp == '\'' || cp == 0x2019) {
                i += k;
                continue;
            }
            break;
        }
        if (!keep) {
            if (!space)
                o[n++] = ' ';
            space = 1;
        } else {
            if (alone && !space)
                o[n++] = ' ';
            uint32_t simp = t2s ? kf_t2s_map(t2s, (uint32_t)cp) : (uint32_t)cp;
            if (simp != (uint32_t)cp) {
                n += (size_t)kf_utf8_encode(simp, o + n); /* BMP → BMP: never longer */
            } else {
                memcpy(o + n, mapped + i, (size_t)k);
                n += (size_t)k;
            }
            space = 0;
            if (alone) {
                o[n++] = ' ';
                space = 1;
            }
        }
        i += k;
    }
    while (n > 0 && o[n - 1] == ' ')
        n--;
    o[n] = '\0';
    free(mapped);
    *out = o;
    if (out_len != NULL)
        *out_len = n;
    return KF_OK;
}

struct terms_builder {
    struct kf_arena *a;
    const char **v;
    size_t n, cap;
};

static int terms__push(struct terms_builder *b, const char *s, size_t len)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        const char **v = kf_arena_alloc(b->a, cap * sizeof *v);
        if (v == NULL)
            return KF_ENOMEM;
        if (b->n)
            memcpy(v, b->v, b->n * sizeof *v);
        b->v = v;
        b->cap = cap;
    }
    char *t = kf_arena_strndup(b->a, s, len);
    if (t == NULL)
        return KF_ENOMEM;
    b->v[b->n++] = t;
    return KF_OK;
}

int kf_text_terms(const char *s, size_t len, struct kf_arena *a, struct kf_terms *out,
                  struct kf_err *err)
{
    struct terms_builder b = {.a = a};
    struct sb_stemmer *stem = sb_stemmer_new("english", "UTF_8");
    if (stem == NULL)
        return kf_errorf(err, KF_ENOMEM, "cannot create stemmer");
    int rc = KF_OK;
    size_t i = 0;
    size_t prev_han = SIZE_MAX, prev_han_len = 0; /* start of previous Han char if adjacent */
    while (i < len && rc == KF_OK) {
        uint32_t cp;
        int k = kf_utf8_decode(s + i, len - i, &cp);
        if (k < 0) {
            i++;
            continue;
        }
        if (cp == ' ') {
            prev_han = SIZE_MAX;
            i += (size_t)k;
            continue;
        }
        if (kf_utf8_is_han(cp)) {
            rc = terms__push(&b, s + i, (size_t)k);
            if (rc == KF_OK && prev_han != SIZE_MAX)
                rc = terms__push(&b, s + prev_han, prev_han_len + (size_t)k);
            prev_han = i;
            prev_han_len = (size_t)k;
            i += (size_t)k;
            continue;
        }
        prev_han = SIZE_MAX;
        /* a word: up to the next space or Han character */
        size_t j = i;
        while (j < len) {
            uint32_t c2;
            int k2 = kf_utf8_decode(s + j, len - j, &c2);
            if (k2 < 0 || c2 == ' ' || kf_utf8_is_han(c2))
                break;
            j += (size_t)k2;
        }
        const sb_symbol *st = sb_stemmer_stem(stem, (const sb_symbol *)(s + i), (int)(j - i));
        if (st != NULL)
            rc = terms__push(&b, (const char *)st, (size_t)sb_stemmer_length(stem));
        else
            rc = terms__push(&b, s + i, j - i);
        i = j;
    }
    sb_stemmer_delete(stem);
    if (rc != KF_OK)
        return kf_errorf(err, rc, "out of memory");
    out->v = b.v;
    out->n = b.n;
    return KF_OK;
}

int kf_text_analyze(const char *in, size_t len, struct kf_arena *a, struct kf_terms *out,
                    struct kf_err *err)
{
    char *norm;
    size_t nlen;
    int rc = kf_text_normalize(in, len, a, &norm, &nlen, err);
    if (rc != KF_OK)
        return rc;
    return kf_text_terms(norm, nlen, a, out, err);
}

const char *kf_text_detect_lang(const char *s, size_t len)
{
    size_t han = 0, words = 0;
    int in_word = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int k = kf_utf8_decode(s + i, len - i, &cp);
        if (k < 0) {
            i++;
            in_word = 0;
            continue;
        }
        int latin = (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
        if (latin && !in_word)
            words++;
        in_word = latin;
        if (kf_utf8_is_han(cp))
            han++;
        i += (size_t)k;
    }
    if (han == 0 && words == 0)
        return "";
    /* share of Han characters among Han characters + Latin words */
    double r = (double)han / (double)(han + words);
    return r >= 0.65 ? "zh" : r <= 0.35 ? "en" : "mixed";
}
