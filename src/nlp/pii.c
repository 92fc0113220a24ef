/*
 * pii.c — hand-written scanners for the PII of pii.h.
 *
 * Digits: every maximal run of digits (with single spaces/dashes between
 * groups for card numbers) is tried as an ID card, a phone number and a bank
 * card, in that order (a +86 mobile number can pass Luhn by chance); the
 * first that validates wins. E-mail: from each
 * '@', extend left over the local part and right over the domain.
 */
#include "kefu/pii.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *kf_pii_type_name(enum kf_pii_type t)
{
    switch (t) {
    case KF_PII_ID_CARD: return "id_card";
    case KF_PII_BANK_CARD: return "bank_card";
    case KF_PII_PHONE: return "phone";
    case KF_PII_EMAIL: return "email";
    }
    return "";
}

int kf_pii_parse_types(const char *list, unsigned *types, struct kf_err *err)
{
    *types = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ", ");
        if (n > 0) {
            unsigned t = 0;
            for (unsigned bit = 1; bit <= KF_PII_EMAIL; bit <<= 1) {
                const char *name = kf_pii_type_name((enum kf_pii_type)bit);
                if (strlen(name) == n && strncmp(p, name, n) == 0)
                    t = bit;
            }
            if (n == 4 && strncmp(p, "none", 4) == 0)
                t = 0;
            else if (t == 0)
                return kf_errorf(err, KF_EINVAL,
                                 "unknown PII type '%.*s' (id_card, bank_card, phone, email, none)",
                                 (int)n, p);
            *types |= t;
        }
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return KF_OK;
}

/* ISO 7064 MOD 11-2 check of an 18-character ID with a plausible date. */
static int pii__id_card(const char *d)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!is_digit(d[i]))
            return 0;
        sum += (d[i] - '0') * w[i];
    }
    char last = d[17] == 'x' ? 'X' : d[17];
    if (last != check[sum % 11])
        return 0;
    int year = (d[6] - '0') * 1000 + (d[7] - '0') * 100 + (d[8] - '0') * 10 + (d[9] - '0');
    int month = (d[10] - '0') * 10 + (d[11] - '0');
    int day = (d[12] - '0') * 10 + (d[13] - '0');
    return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static int pii__luhn(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = digits[n - 1 - i] - '0';
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* A card number: a length and issuer prefix of a real scheme, and Luhn.
 * Luhn alone passes one random number in ten (order numbers, timestamps). */
static int pii__card(const char *d, size_t n)
{
    int two = (d[0] - '0') * 10 + (d[1] - '0');
    int four = two * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int known = (d[0] == '4' && (n == 16 || n == 19))                      /* Visa */
                || (two >= 51 && two <= 55 && n == 16)                      /* Mastercard */
                || (four >= 2221 && four <= 2720 && n == 16)                /* Mastercard 2-series */
                || ((two == 34 || two == 37) && n == 15)                    /* Amex */
                || (two == 35 && n >= 16 && n <= 19)                        /* JCB */
                || (two == 62 && n >= 16 && n <= 19)                        /* UnionPay */
                || ((two == 60 || two == 65) && n >= 16 && n <= 19);        /* Discover */
    return known && pii__luhn(d, n);
}

static int pii__cn_mobile(const char *d, size_t n)
{
    return n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* Try the digits starting at text[i]; on a match fill m and return 1. */
static int pii__digits(const char *text, size_t len, size_t i, unsigned types,
                       struct kf_pii_match *m)
{
    /* plain run (ID cards may end in X) */
    size_t j = i;
    while (j < len && is_digit(text[j]))
        j++;
    size_t run = j - i;
    int x_end = run == 17 && j < len && (text[j] == 'X' || text[j] == 'x');
    size_t end = x_end ? j + 1 : j;
    int boundary = end >= len || !is_alnum(text[end]);
    if ((types & KF_PII_ID_CARD) && (run == 18 || x_end) && boundary && pii__id_card(text + i)) {
        *m = (struct kf_pii_match){KF_PII_ID_CARD, i, end};
        return 1;
    }
    if ((types & KF_PII_PHONE) && boundary && !x_end) {
        size_t start = i;
        /* +86 / 86 prefix */
        if (i >= 1 && text[i - 1] == '+')
            start = i - 1;
        const char *d = text + i;
        if (pii__cn_mobile(d, run) || (run == 13 && d[0] == '8' && d[1] == '6' &&
                                       pii__cn_mobile(d + 2, 11))) {
            *m = (struct kf_pii_match){KF_PII_PHONE, start, j};
            return 1;
        }
        if (start < i && run >= 8 && run <= 15) {
            *m = (struct kf_pii_match){KF_PII_PHONE, start, j};
            return 1;
        }
    }
    /* card numbers: groups separated by one space or dash */
    char digits[20];
    size_t nd = 0, k = i, last_end = i;
    while (k < len && nd < sizeof digits) {
        if (is_digit(text[k])) {
            digits[nd++] = text[k++];
            last_end = k;
        } else if ((text[k] == ' ' || text[k] == '-') && k + 1 < len && is_digit(text[k + 1]) &&
                   k > i) {
            k++;
        } else {
            break;
        }
    }
    if ((types & KF_PII_BANK_CARD) && nd >= 15 && nd <= 19 &&
        (last_end >= len || !is_alnum(text[last_end])) && pii__card(digits, nd)) {
        *m = (struct kf_pii_match){KF_PII_BANK_CARD, i, last_end};
        return 1;
    }
    return 0;
}

static int is_local(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+';
}

static int is_domain(char c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

size_t kf_pii_find(const char *text, size_t len, unsigned types, struct kf_pii_match *out,
                   size_t max)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len && n < max) {
        char c = text[i];
        if ((types & KF_PII_EMAIL) && c == '@' && i > 0) {
            size_t s = i;
            while (s > 0 && is_local(text[s - 1]))
                s--;
            size_t e = i + 1;
            while (e < len && is_domain(text[e]))
                e++;
            while (e > i + 1 && text[e - 1] == '.')
                e--;
            const char *dot = memchr(text + i + 1, '.', e - i - 1);
            size_t prev_end = n ? out[n - 1].end : 0;
            if (s < i && s >= prev_end && dot != NULL && dot > text + i + 1 && dot + 1 < text + e) {
                out[n++] = (struct kf_pii_match){KF_PII_EMAIL, s, e};
                i = e;
                continue;
            }
        }
        if (is_digit(c) && (i == 0 || !is_alnum(text[i - 1]))) {
            struct kf_pii_match m;
            if (pii__digits(text, len, i, types, &m)) {
                out[n++] = m;
                i = m.end;
                continue;
            }
            while (i < len && is_digit(text[i]))
                i++;
            continue;
        }
        i++;
    }
    return n;
}

int kf_pii_mask(const char *text, size_t len, unsigned types, struct kf_arena *a, char **out,
                size_t *out_len, size_t *count, struct kf_err *err)
{
    struct kf_pii_match m[64];
    size_t nm = kf_pii_find(text, len, types, m, 64);
    char *o = kf_arena_alloc(a, len + 1);
    if (o == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t at = 0, from = 0;
    for (size_t k = 0; k < nm; k++) {
        memcpy(o + at, text + from, m[k].start - from);
        at += m[k].start - from;
        const char *s = text + m[k].start;
        size_t n = m[k].end - m[k].start;
        for (size_t i = 0; i < n; i++) {
            int keep;
            switch (m[k].type) {
            case KF_PII_PHONE: keep = i < n - 8 || i >= n - 4; break;     /* 138****5678 */
            case KF_PII_ID_CARD: keep = i < 6 || i >= n - 4; break;       /* region + last 4 */
            case KF_PII_BANK_CARD: keep = i >= n - 4 || !is_digit(s[i]); break;
            case KF_PII_EMAIL: {
                const char *at_sign = memchr(s, '@', n);
                keep = i == 0 || (at_sign && s + i >= at_sign);
                break;
            }
            default: keep = 0;
            }
            o[at++] = keep ? s[i] : '*';
        }
        from = m[k].end;
    }
    memcpy(o + at, text + from, len - from);
    at += len - from;
    o[at] = '\0';
    *out = o;
    if (out_len)
        *out_len = at;
    if (count)
        *count = nm;
    return KF_OK;
}
