/*
 * pii.c — hand-written scanners for the PII of pii.h, and the policy that
 * decides what a match becomes (mask, redact, hash, keep).
 *
 * Digits: every maximal run of digits (with single spaces/dashes between
 * groups for card numbers) is tried as an ID card, a phone number and a bank
 * card, in that order (a +86 mobile number can pass Luhn by chance); the
 * first that validates wins. E-mail: from each '@', extend left over the
 * local part and right over the domain. Addresses: pii_address.c, tried
 * before the digits at each position so a house number or a room inside an
 * address stays part of it. Keys and sealing: pii_key.c.
 */
#include "kefu/pii.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "pii_int.h"

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
    case KF_PII_ADDRESS: return "address";
    }
    return "";
}

int kf_pii_type_index(enum kf_pii_type t)
{
    for (int i = 0; i < KF_PII_NTYPES; i++)
        if ((unsigned)t == 1u << i)
            return i;
    return -1;
}

int kf_pii_parse_types(const char *list, unsigned *types, struct kf_err *err)
{
    *types = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ", ");
        if (n > 0) {
            unsigned t = 0;
            for (unsigned bit = 1; bit <= KF_PII_ADDRESS; bit <<= 1) {
                const char *name = kf_pii_type_name((enum kf_pii_type)bit);
                if (strlen(name) == n && strncmp(p, name, n) == 0)
                    t = bit;
            }
            if (n == 4 && strncmp(p, "none", 4) == 0)
                t = 0;
            else if (t == 0)
                return kf_errorf(err, KF_EINVAL,
                                 "unknown PII type '%.*s' (id_card, bank_card, phone, email, "
                                 "address, none)",
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
        *m = (struct kf_pii_match){KF_PII_ID_CARD, i, end, i, end};
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
            *m = (struct kf_pii_match){KF_PII_PHONE, start, j, start, j};
            return 1;
        }
        if (start < i && run >= 8 && run <= 15) {
            *m = (struct kf_pii_match){KF_PII_PHONE, start, j, start, j};
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
        *m = (struct kf_pii_match){KF_PII_BANK_CARD, i, last_end, i, last_end};
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
    size_t anchor = 0; /* next Chinese address anchor at or after i (or len) */
    int have_anchor = 0;
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
                out[n++] = (struct kf_pii_match){KF_PII_EMAIL, s, e, s, e};
                i = e;
                continue;
            }
        }
        if ((types & KF_PII_ADDRESS) && ((unsigned char)c & 0xC0) != 0x80) {
            if (!have_anchor || anchor < i) {
                anchor = kf__pii_address_next_anchor(text, len, i);
                have_anchor = 1;
            }
            int try_zh = anchor < len && anchor - i <= KF__PII_ANCHOR_WINDOW;
            struct kf_pii_match m;
            if (kf__pii_address_at(text, len, i, try_zh, &m)) {
                out[n++] = m;
                i = m.end;
                continue;
            }
        }
        if (is_digit(c) && (i == 0 || !is_alnum(text[i - 1]))) {
            struct kf_pii_match m;
            if (pii__digits(text, len, i, types, &m)) {
                m.part_start = m.start;
                m.part_end = m.end;
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

/* ---- policy ---------------------------------------------------------- */

struct kf_pii_policy kf_pii_default_policy(void)
{
    struct kf_pii_policy p;
    memset(&p, 0, sizeof p);
    p.types = KF_PII_ALL;
    for (int i = 0; i < KF_PII_NTYPES; i++)
        p.action[i] = KF_PII_MASK;
    return p;
}

static const char *const action_names[] = {"mask", "redact", "hash", "keep"};

const char *kf_pii_action_name(enum kf_pii_action a)
{
    return (unsigned)a < 4 ? action_names[a] : "";
}

int kf_pii_parse_action(const char *s, enum kf_pii_action *out, struct kf_err *err)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, action_names[i]) == 0) {
            *out = (enum kf_pii_action)i;
            return KF_OK;
        }
    }
    return kf_errorf(err, KF_EINVAL, "unknown PII policy '%s' (mask, redact, hash, keep)", s);
}

/* The pseudonym of a value: 8 hex digits of keyed BLAKE2b over the type name
 * and the canonical value (digits only for numbers, +86 dropped from CN
 * mobiles, ID cards upper-cased, e-mail and addresses lower-cased ASCII). */
static void pii__pseudonym(const struct kf_pii_key *k, enum kf_pii_type t, const char *s,
                           size_t n, char out[9])
{
    crypto_generichash_state st;
    unsigned char h[16];
    crypto_generichash_init(&st, k->pseudonym, sizeof k->pseudonym, sizeof h);
    const char *name = kf_pii_type_name(t);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
    if (t == KF_PII_PHONE || t == KF_PII_BANK_CARD) {
        char d[32];
        size_t nd = 0;
        for (size_t i = 0; i < n && nd < sizeof d; i++)
            if (is_digit(s[i]))
                d[nd++] = s[i];
        const char *from = d;
        if (t == KF_PII_PHONE && nd == 13 && d[0] == '8' && d[1] == '6' &&
            pii__cn_mobile(d + 2, 11)) {
            from += 2;
            nd -= 2;
        }
        crypto_generichash_update(&st, (const unsigned char *)from, nd);
    } else {
        unsigned char buf[64];
        size_t b = 0;
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (t == KF_PII_ID_CARD && c == 'x')
                c = 'X';
            else if (t != KF_PII_ID_CARD && c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            buf[b++] = (unsigned char)c;
            if (b == sizeof buf) {
                crypto_generichash_update(&st, buf, b);
                b = 0;
            }
        }
        crypto_generichash_update(&st, buf, b);
    }
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 9, h, 4);
    sodium_memzero(&st, sizeof st);
}

/* Today's partial shapes (pii.h); writes into o, returns bytes written. */
static size_t pii__mask_one(const char *text, const struct kf_pii_match *m, char *o)
{
    const char *s = text + m->start;
    size_t n = m->end - m->start, at = 0;
    if (m->type == KF_PII_ADDRESS) {
        /* one '*' per character of the street part; elsewhere (town, state,
         * postcode) every letter/digit run that holds a digit: "SW1A 2AA" */
        size_t i = m->start, run_end = m->start;
        int run_digit = 0;
        while (i < m->end) {
            size_t k = 1;
            while (i + k < m->end && ((unsigned char)text[i + k] & 0xC0) == 0x80)
                k++;
            if (i >= run_end && is_alnum(text[i])) {
                run_end = i;
                run_digit = 0;
                while (run_end < m->end && is_alnum(text[run_end]))
                    run_digit |= is_digit(text[run_end++]);
            }
            int in_run = i < run_end && run_digit;
            if ((i >= m->part_start && i < m->part_end) || in_run) {
                o[at++] = '*';
            } else {
                memcpy(o + at, text + i, k);
                at += k;
            }
            i += k;
        }
        return at;
    }
    const char *at_sign = m->type == KF_PII_EMAIL ? memchr(s, '@', n) : NULL;
    for (size_t i = 0; i < n; i++) {
        int keep;
        switch (m->type) {
        case KF_PII_PHONE: keep = i < n - 8 || i >= n - 4; break;     /* 138****5678 */
        case KF_PII_ID_CARD: keep = i < 6 || i >= n - 4; break;       /* region + last 4 */
        case KF_PII_BANK_CARD: keep = i >= n - 4 || !is_digit(s[i]); break;
        case KF_PII_EMAIL: keep = i == 0 || (at_sign && s + i >= at_sign); break;
        default: keep = 0;
        }
        o[at++] = keep ? s[i] : '*';
    }
    return at;
}

int kf_pii_apply(const char *text, size_t len, const struct kf_pii_policy *p, struct kf_arena *a,
                 struct kf_pii_result *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < KF_PII_NTYPES; i++)
        if ((p->types & (1u << i)) && p->action[i] == KF_PII_HASH && p->key == NULL)
            return kf_errorf(err, KF_EINVAL, "privacy.%s: hash needs a privacy key",
                             kf_pii_type_name((enum kf_pii_type)(1u << i)));
    /* every match is at least 5 bytes and they do not overlap */
    size_t max = len / 4 + 1;
    struct kf_pii_match *m = kf_arena_alloc(a, max * sizeof *m);
    if (m == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t nm = kf_pii_find(text, len, p->types, m, max);
    /* masks never grow a value; a placeholder is at most 22 bytes */
    size_t cap = len + nm * 24 + 1;
    char *o = kf_arena_alloc(a, cap);
    struct kf_pii_span *sp = kf_arena_calloc(a, nm + 1, sizeof *sp);
    if (o == NULL || sp == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t at = 0, from = 0;
    for (size_t k = 0; k < nm; k++) {
        memcpy(o + at, text + from, m[k].start - from);
        at += m[k].start - from;
        int ti = kf_pii_type_index(m[k].type);
        enum kf_pii_action act = ti >= 0 ? p->action[ti] : KF_PII_MASK;
        const char *name = kf_pii_type_name(m[k].type);
        sp[k] = (struct kf_pii_span){m[k].type, act, m[k].start, m[k].end, at, at};
        switch (act) {
        case KF_PII_KEEP:
            memcpy(o + at, text + m[k].start, m[k].end - m[k].start);
            at += m[k].end - m[k].start;
            break;
        case KF_PII_REDACT:
            at += (size_t)snprintf(o + at, cap - at, "[%s]", name);
            break;
        case KF_PII_HASH: {
            char hex[9];
            pii__pseudonym(p->key, m[k].type, text + m[k].start, m[k].end - m[k].start, hex);
            at += (size_t)snprintf(o + at, cap - at, "[%s:%s]", name, hex);
            break;
        }
        case KF_PII_MASK:
        default:
            at += pii__mask_one(text, &m[k], o + at);
            break;
        }
        sp[k].out_end = at;
        from = m[k].end;
    }
    memcpy(o + at, text + from, len - from);
    at += len - from;
    o[at] = '\0';
    out->text = o;
    out->len = at;
    out->spans = sp;
    out->n = nm;
    return KF_OK;
}

int kf_pii_mask(const char *text, size_t len, unsigned types, struct kf_arena *a, char **out,
                size_t *out_len, size_t *count, struct kf_err *err)
{
    struct kf_pii_policy p = kf_pii_default_policy();
    p.types = types;
    struct kf_pii_result r;
    int rc = kf_pii_apply(text, len, &p, a, &r, err);
    if (rc != KF_OK)
        return rc;
    *out = r.text;
    if (out_len)
        *out_len = r.len;
    if (count)
        *count = r.n;
    return KF_OK;
}
