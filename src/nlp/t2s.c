/*
 * t2s.c — the character table of t2s.h, built with OpenCC.
 *
 * Table: for code points in [T2S_LO, T2S_HI), the Simplified code point
 * (0 = unchanged). One OpenCC call converts all of them, one per line so no
 * phrase spans two characters; a line that does not come back as exactly
 * one character is left unchanged.
 */
#include "kefu/t2s.h"

#include <opencc/opencc.h>
#include <string.h>

#include "kefu/mem.h"
#include "kefu/utf8.h"

#define T2S_LO 0x3400u
#define T2S_HI 0xFB00u /* Ext A, URO and the compatibility block */

struct kf_t2s {
    uint32_t map[T2S_HI - T2S_LO];
    unsigned changed;
};

static int t2s__in_blocks(uint32_t cp)
{
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF);
}

int kf_t2s_new(struct kf_t2s **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_t2s *t = kf_calloc(1, sizeof *t);
    size_t cap = (size_t)(T2S_HI - T2S_LO) * 4 + 1;
    char *all = kf_malloc(cap);
    if (t == NULL || all == NULL) {
        kf_free(t);
        kf_free(all);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (uint32_t cp = T2S_LO; cp < T2S_HI; cp++) {
        if (!t2s__in_blocks(cp))
            continue;
        n += (size_t)kf_utf8_encode(cp, all + n);
        all[n++] = '\n';
    }
    opencc_t cc = opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP);
    if (cc == (opencc_t)-1) {
        kf_free(all);
        kf_free(t);
        return kf_errorf(err, KF_EIO, "OpenCC: cannot open %s: %s",
                         OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP, opencc_error());
    }
    char *conv = opencc_convert_utf8(cc, all, n);
    opencc_close(cc);
    if (conv == NULL) {
        kf_free(all);
        kf_free(t);
        return kf_errorf(err, KF_EINTERNAL, "OpenCC: conversion failed");
    }
    /* walk both texts line by line */
    const char *a = all, *b = conv, *aend = all + n, *bend = conv + strlen(conv);
    while (a < aend && b < bend) {
        const char *anl = memchr(a, '\n', (size_t)(aend - a));
        const char *bnl = memchr(b, '\n', (size_t)(bend - b));
        if (anl == NULL || bnl == NULL)
            break;
        uint32_t from, to;
        int ka = kf_utf8_decode(a, (size_t)(anl - a), &from);
        int kb = kf_utf8_decode(b, (size_t)(bnl - b), &to);
        if (ka > 0 && kb > 0 && a + ka == anl && b + kb == bnl && to != from && from >= T2S_LO &&
            from < T2S_HI) {
            t->map[from - T2S_LO] = to;
            t->changed++;
        }
        a = anl + 1;
        b = bnl + 1;
    }
    opencc_convert_utf8_free(conv);
    kf_free(all);
    *out = t;
    return KF_OK;
}

void kf_t2s_free(struct kf_t2s *t)
{
    kf_free(t);
}

uint32_t kf_t2s_map(const struct kf_t2s *t, uint32_t cp)
{
    if (t == NULL || cp < T2S_LO || cp >= T2S_HI || t->map[cp - T2S_LO] == 0)
        return cp;
    return t->map[cp - T2S_LO];
}

unsigned kf_t2s_size(const struct kf_t2s *t)
{
    return t->changed;
}
