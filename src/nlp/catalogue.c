/*
 * catalogue.c — the product catalogue as entity dictionaries (see catalogue.h).
 *
 * Loading: the YAML tree is read in two passes, ids of every kind first (so
 * references may point forward in the file), then names and references.
 * Every string the catalogue keeps is copied into one arena it owns; the
 * tree is freed before kf_catalogue_load returns.
 *
 * Folding: names and message text go through one per-code-point fold,
 * cat__fold_cp: NFKC + case folding (utf8proc), default-ignorable code
 * points dropped, and the separators space, tab, '-', '_' and '.' dropped,
 * so "Mate 60", "mate60" and "Ｍａｔｅ－６０" all fold to "mate60". Folding one
 * code point at a time (not the whole string) is what lets every folded
 * byte be mapped back to the original character it came from; the price is
 * that a letter followed by a separate combining mark is not composed.
 *
 * Exact matching: one Aho-Corasick automaton over the bytes of the distinct
 * folded names (a "pattern" is a distinct folded name; it remembers, per
 * kind, which entry owns it, and the first kind present wins, which gives
 * product > brand > category > attribute at one span). States are numbered
 * in breadth-first order; each keeps its outgoing edges as a sorted run of
 * (label, target) pairs, plus a failure link and a dictionary link (the
 * nearest state on the failure chain that ends a pattern). The root has a
 * dense 256-entry table since most steps from the root fail.
 *
 *   text ──decode──▶ code point ──fold──▶ folded bytes ──▶ automaton step
 *                         │                                  │
 *                         └── original offset, per folded ───┴─▶ candidates
 *                             byte, in a ring of 256                 │
 *                                                                    ▼
 *                      best candidate per folded start (ring) ──▶ greedy choice
 *
 * A candidate is kept only if it starts at the first byte of a character's
 * fold and ends at the last byte of one, and, for names that begin (end)
 * with a Latin letter or digit, if the original character before (after)
 * the span is not one ("ram" is not in "program"; "华为Mate60" is found in
 * "买华为Mate60吗"). For every folded start the longest candidate is kept;
 * a start is decided once no later byte can produce a match starting there
 * (CAT_MAX_NAME bytes later), and the leftmost undecided start that does
 * not overlap the previous choice wins: leftmost-longest, non-overlapping,
 * in one pass and with no allocation.
 *
 * Typo matching runs after the exact pass over every run of five or more
 * ASCII letters that no entity covers. The letter runs of the names
 * ("words") are indexed SymSpell-style: the hash of every word and of each
 * of its one-letter deletions, sorted, so that two words within
 * Damerau-Levenshtein distance 1 share a key. Each candidate word is
 * verified (cat__is_typo: a substituted letter must be a neighbouring key,
 * so "apply" is no typo of "apple"), then every name it occurs in is
 * checked against the text
 * around the misspelt word (folding backwards and forwards); the longest
 * such name wins and may swallow exact entities it covers whole (so
 * "Huawie Mate 60" is one product, not a product "Mate 60"). A word the
 * catalogue knows is never corrected.
 *
 * Invariants: folded names are valid UTF-8 of 1..CAT_MAX_NAME bytes; the
 * folded text is valid UTF-8 except that each byte that is not UTF-8 folds
 * to 0xFF, which no name contains — so byte matches always fall on
 * character boundaries. Everything after load is read-only, so matching is
 * thread-safe.
 */
#include "kefu/catalogue.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "kefu/arena.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"
#include "kefu/yaml.h"

#define CAT_MAX_ENTRIES 100000 /* all kinds together */
#define CAT_MAX_NAMES 64       /* per entry */
#define CAT_MAX_ATTRS 64       /* attribute ids per product */
#define CAT_MAX_ID 64          /* bytes */
#define CAT_MAX_NAME 255       /* bytes of a folded name: the match window */
#define CAT_MAX_NAME_SRC 1024  /* bytes of a name as written */
#define CAT_RING 256           /* > CAT_MAX_NAME */
#define CAT_FOLD_CPS 32        /* code points one code point may fold to */
#define CAT_FOLD_MAX (CAT_FOLD_CPS * 4)
#define CAT_WORD_MIN 5 /* letters before a word may be corrected */
#define CAT_WORD_MAX 32
#define CAT_MAX_TEXT 65536
#define CAT_TYPO_CONF 0.8
#define CAT_BAD UINT32_MAX /* a byte that is not UTF-8; folds to 0xFF */

enum { CAT_WORD_START = 1, CAT_WORD_END = 2 };

static const char *const cat_section[KF_CAT_NKINDS] = {"products", "brands", "categories",
                                                       "attributes"};
static const char *const cat_type[KF_CAT_NKINDS] = {"product", "brand", "category", "attribute"};
static const char *const cat_keys[KF_CAT_NKINDS] = {
    "id names brand category price attributes specs fits", "id names", "id names parent",
    "id names"};

struct cat_entry {
    const char *id;
    const char *value; /* the id as a JSON string */
    const char *name_zh, *name_en; /* the first name per language, or NULL */
    int line;
    int32_t parent; /* categories: index of the parent, or -1 */
};

/* A distinct folded name and the entry of each kind that has it (or -1). */
struct cat_pat {
    uint32_t off; /* bytes in c->pool */
    uint16_t len;
    uint8_t flags; /* CAT_WORD_START | CAT_WORD_END */
    uint8_t kind;  /* the first kind present: the one reported */
    int32_t ent[KF_CAT_NKINDS];
};

/* A letter run of some name, and where it occurs. */
struct cat_word {
    uint32_t off; /* bytes in c->pool (its first occurrence) */
    uint32_t len;
    uint32_t occ, nocc; /* c->occ[occ .. occ + nocc) */
};

struct cat_occ {
    uint32_t word, pat, off; /* word is only used while sorting */
};

struct cat_del {
    uint64_t h; /* hash of the word or of one deletion of it */
    uint32_t word;
};

struct cat_ac {
    uint32_t nstates;
    uint32_t *edge; /* edges of s: [edge[s], edge[s + 1]) */
    uint8_t *label; /* sorted within a state */
    uint32_t *target;
    uint32_t *fail;
    uint32_t *out;  /* pattern + 1 when s ends a name, else 0 */
    uint32_t *dict; /* next state on the failure chain with out != 0, or 0 */
    uint32_t root[256];
};

struct kf_catalogue {
    struct kf_arena *arena;
    struct cat_entry *ent[KF_CAT_NKINDS];
    size_t nent[KF_CAT_NKINDS];
    struct kf_catalogue_product *products; /* parallel to ent[KF_CAT_PRODUCT] */
    struct kf_map *product_ids;            /* id -> product */
    uint8_t *pool;                         /* folded names */
    size_t npool, cap_pool;
    struct cat_pat *pats;
    size_t npats, cap_pats;
    size_t maxlen; /* longest folded name */
    struct cat_ac ac;
    struct cat_word *words;
    size_t nwords, cap_words;
    struct cat_occ *occ;
    size_t nocc, cap_occ;
    struct cat_del *dels;
    size_t ndels;
    /* hashes of ordinary English words (a system word list), sorted: such a
     * word in the text is what the customer meant, never a typo */
    uint64_t *real;
    size_t nreal;
};

/* ---- folding ----------------------------------------------------------- */

static int cat__is_sep(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '-' || cp == '_' || cp == '.';
}

static int cat__is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

/* Letters and digits of alphabetic scripts, where names must match whole
 * words; Han, kana and Hangul (U+2E80 on) match anywhere. */
static int cat__is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp >= 0xFF10 && cp <= 0xFF5A) /* full-width digits and letters */
        return cp <= 0xFF19 || (cp >= 0xFF21 && cp <= 0xFF3A) || cp >= 0xFF41;
    if (cp >= 0x2E80)
        return 0;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
        return 1;
    default:
        return 0;
    }
}

/* Fold one code point into out[CAT_FOLD_MAX]; returns the byte count, 0 when
 * the code point is dropped (a separator or default-ignorable). */
static size_t cat__fold_cp(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        if (cat__is_sep(cp))
            return 0;
        out[0] = (uint8_t)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        return 1;
    }
    if (cp == CAT_BAD) {
        out[0] = 0xFF;
        return 1;
    }
    if (cat__is_han(cp))
        return (size_t)kf_utf8_encode(cp, (char *)out);
    utf8proc_int32_t buf[CAT_FOLD_CPS];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(
        (utf8proc_int32_t)cp, buf, CAT_FOLD_CPS,
        UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE, &boundclass);
    if (n < 0 || n > CAT_FOLD_CPS) {
        buf[0] = (utf8proc_int32_t)cp;
        n = 1;
    } else if (n > 1) {
        n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    }
    size_t m = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)buf[i];
        if (!cat__is_sep(c))
            m += (size_t)kf_utf8_encode(c, (char *)out + m);
    }
    return m;
}

/* The code point at t[i] and its length; a byte that is not UTF-8 is CAT_BAD. */
static size_t cat__next(const char *t, size_t len, size_t i, uint32_t *cp)
{
    unsigned char b = (unsigned char)t[i];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    int k = kf_utf8_decode(t + i, len - i, cp);
    if (k <= 0) {
        *cp = CAT_BAD;
        return 1;
    }
    return (size_t)k;
}

/* The code point ending at t[pos - 1] (pos > 0); returns where it starts. */
static size_t cat__prev(const char *t, size_t pos, uint32_t *cp)
{
    size_t i = pos - 1, lim = pos >= 4 ? pos - 4 : 0;
    while (i > lim && ((unsigned char)t[i] & 0xC0) == 0x80)
        i--;
    if (kf_utf8_decode(t + i, pos - i, cp) != (int)(pos - i)) {
        *cp = CAT_BAD;
        return pos - 1;
    }
    return i;
}

static int cat__word_before(const char *t, size_t pos)
{
    uint32_t cp;
    if (pos == 0)
        return 0;
    cat__prev(t, pos, &cp);
    return cp != CAT_BAD && cat__is_word_cp(cp);
}

static int cat__word_at(const char *t, size_t len, size_t pos)
{
    uint32_t cp;
    if (pos >= len)
        return 0;
    cat__next(t, len, pos, &cp);
    return cp != CAT_BAD && cat__is_word_cp(cp);
}

/* A name folded, with its letter runs (offsets into b). */
struct cat_folded {
    uint8_t b[CAT_MAX_NAME + CAT_FOLD_MAX];
    size_t len;
    int too_long;
    struct {
        uint32_t off, len;
    } words[CAT_MAX_NAME];
    size_t nwords;
};

static void cat__fold_name(const char *s, size_t len, struct cat_folded *f)
{
    f->len = 0;
    f->too_long = 0;
    f->nwords = 0;
    size_t run = 0; /* letters in the current run */
    for (size_t i = 0; i < len && !f->too_long;) {
        uint32_t cp;
        i += cat__next(s, len, i, &cp);
        size_t m = cat__fold_cp(cp, f->b + f->len);
        int letter = m == 1 && f->b[f->len] >= 'a' && f->b[f->len] <= 'z';
        if (!letter && run > 0) {
            f->words[f->nwords].off = (uint32_t)(f->len - run);
            f->words[f->nwords++].len = (uint32_t)run;
            run = 0;
        }
        f->len += m;
        run += (size_t)letter;
        f->too_long = f->len > CAT_MAX_NAME;
    }
    if (run > 0 && !f->too_long) {
        f->words[f->nwords].off = (uint32_t)(f->len - run);
        f->words[f->nwords++].len = (uint32_t)run;
    }
}

/* memcmp(a, b, n) == 0 for the few bytes of a fold or a word. */
static int cat__eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* ---- the automaton ----------------------------------------------------- */

static uint32_t cat__child(const struct cat_ac *ac, uint32_t s, uint8_t c)
{
    uint32_t lo = ac->edge[s], hi = ac->edge[s + 1];
    if (hi - lo <= 8) {
        for (; lo < hi; lo++)
            if (ac->label[lo] >= c)
                return ac->label[lo] == c ? ac->target[lo] : 0;
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ac->label[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ac->edge[s + 1] && ac->label[lo] == c ? ac->target[lo] : 0;
}

static uint32_t cat__step(const struct cat_ac *ac, uint32_t s, uint8_t c)
{
    while (s != 0) {
        uint32_t t = cat__child(ac, s, c);
        if (t != 0)
            return t;
        s = ac->fail[s];
    }
    return ac->root[c];
}

struct cat_tnode {
    uint32_t first, last, next; /* children as a sorted sibling list; 0 = none */
    uint32_t out;
    uint8_t label;
};

struct cat_sorted {
    const uint8_t *s;
    size_t len;
    uint32_t pat;
};

static int cat__cmp_sorted(const void *pa, const void *pb)
{
    const struct cat_sorted *a = pa, *b = pb;
    int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    if (r != 0)
        return r;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Build the trie from the names in sorted order (so a node's matching child
 * is always its last), renumber it breadth-first into flat arrays, then set
 * failure and dictionary links in that order. */
static int cat__build_ac(struct kf_catalogue *c)
{
    struct cat_ac *ac = &c->ac;
    struct cat_sorted *sorted = kf_calloc(c->npats ? c->npats : 1, sizeof *sorted);
    struct cat_tnode *t = kf_calloc(c->npool + 1, sizeof *t);
    uint32_t *queue = kf_calloc(c->npool + 1, sizeof *queue);
    int rc = KF_ENOMEM;
    if (sorted == NULL || t == NULL || queue == NULL)
        goto out;
    for (size_t i = 0; i < c->npats; i++)
        sorted[i] = (struct cat_sorted){c->pool + c->pats[i].off, c->pats[i].len, (uint32_t)i};
    qsort(sorted, c->npats, sizeof *sorted, cat__cmp_sorted);
    uint32_t nt = 1;
    for (size_t i = 0; i < c->npats; i++) {
        uint32_t u = 0;
        for (size_t j = 0; j < sorted[i].len; j++) {
            uint8_t b = sorted[i].s[j];
            uint32_t v = t[u].last;
            if (v == 0 || t[v].label != b) {
                v = nt++;
                t[v] = (struct cat_tnode){0, 0, 0, 0, b};
                if (t[u].last != 0)
                    t[t[u].last].next = v;
                else
                    t[u].first = v;
                t[u].last = v;
            }
            u = v;
        }
        t[u].out = sorted[i].pat + 1;
    }

    ac->nstates = nt;
    ac->edge = kf_calloc((size_t)nt + 1, sizeof *ac->edge);
    ac->label = kf_calloc(nt, sizeof *ac->label);
    ac->target = kf_calloc(nt, sizeof *ac->target);
    ac->fail = kf_calloc(nt, sizeof *ac->fail);
    ac->out = kf_calloc(nt, sizeof *ac->out);
    ac->dict = kf_calloc(nt, sizeof *ac->dict);
    if (ac->edge == NULL || ac->label == NULL || ac->target == NULL || ac->fail == NULL ||
        ac->out == NULL || ac->dict == NULL)
        goto out;
    uint32_t head = 0, tail = 1, ne = 0;
    queue[0] = 0;
    while (head < tail) {
        uint32_t s = head, u = queue[head++];
        ac->edge[s] = ne;
        ac->out[s] = t[u].out;
        for (uint32_t v = t[u].first; v != 0; v = t[v].next) {
            ac->label[ne] = t[v].label;
            ac->target[ne++] = tail;
            queue[tail++] = v;
        }
    }
    ac->edge[nt] = ne;
    memset(ac->root, 0, sizeof ac->root);
    for (uint32_t e = ac->edge[0]; e < ac->edge[1]; e++)
        ac->root[ac->label[e]] = ac->target[e];
    for (uint32_t s = 0; s < nt; s++) {
        for (uint32_t e = ac->edge[s]; e < ac->edge[s + 1]; e++) {
            uint32_t v = ac->target[e], f = 0;
            if (s != 0)
                f = cat__step(ac, ac->fail[s], ac->label[e]);
            ac->fail[v] = f;
            ac->dict[v] = ac->out[f] ? f : ac->dict[f];
        }
    }
    rc = KF_OK;
out:
    kf_free(sorted);
    kf_free(t);
    kf_free(queue);
    return rc;
}

/* ---- the typo index ---------------------------------------------------- */

static int cat__cmp_occ(const void *pa, const void *pb)
{
    const struct cat_occ *a = pa, *b = pb;
    return a->word < b->word ? -1 : a->word > b->word;
}

static int cat__cmp_del(const void *pa, const void *pb)
{
    const struct cat_del *a = pa, *b = pb;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->word < b->word ? -1 : a->word > b->word;
}

/* Hash of w[0..len) without the letter at `skip` (skip >= len: none). */
static uint64_t cat__del_hash(const uint8_t *w, size_t len, size_t skip)
{
    uint8_t key[CAT_WORD_MAX];
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (i != skip)
            key[n++] = w[i];
    return kf_hash64(key, n);
}

static int cat__build_typos(struct kf_catalogue *c)
{
    if (c->nocc > 0)
        qsort(c->occ, c->nocc, sizeof *c->occ, cat__cmp_occ);
    for (size_t i = 0; i < c->nocc;) {
        size_t j = i;
        while (j < c->nocc && c->occ[j].word == c->occ[i].word)
            j++;
        c->words[c->occ[i].word].occ = (uint32_t)i;
        c->words[c->occ[i].word].nocc = (uint32_t)(j - i);
        i = j;
    }
    size_t n = 0;
    for (size_t w = 0; w < c->nwords; w++)
        n += c->words[w].len + 1;
    c->dels = kf_calloc(n ? n : 1, sizeof *c->dels);
    if (c->dels == NULL)
        return KF_ENOMEM;
    for (size_t w = 0; w < c->nwords; w++) {
        const uint8_t *s = c->pool + c->words[w].off;
        for (size_t d = 0; d <= c->words[w].len; d++)
            c->dels[c->ndels++] =
                (struct cat_del){cat__del_hash(s, c->words[w].len, d), (uint32_t)w};
    }
    qsort(c->dels, c->ndels, sizeof *c->dels, cat__cmp_del);
    size_t k = 0;
    for (size_t i = 0; i < c->ndels; i++)
        if (k == 0 || c->dels[i].h != c->dels[k - 1].h || c->dels[i].word != c->dels[k - 1].word)
            c->dels[k++] = c->dels[i];
    c->ndels = k;
    return KF_OK;
}

static int cat__cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* The lower-case lines of a word list (proper names are capitalised there
 * and left out, so "Dysen" can still be Dyson). A missing file is no
 * error: typo matching just trusts the keyboard rules alone. */
static int cat__load_words(struct kf_catalogue *c, const char *path)
{
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    if (f == NULL)
        return KF_OK;
    size_t cap = 1 << 16;
    c->real = kf_malloc(cap * sizeof *c->real);
    char line[128];
    int rc = c->real == NULL ? KF_ENOMEM : KF_OK;
    while (rc == KF_OK && fgets(line, sizeof line, f) != NULL && c->nreal < 1000000) {
        size_t n = strcspn(line, "\r\n");
        int ok = n >= 5 && n < CAT_WORD_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = line[i] >= 'a' && line[i] <= 'z';
        if (!ok)
            continue;
        if (c->nreal == cap) {
            uint64_t *r = kf_realloc(c->real, 2 * cap * sizeof *r);
            if (r == NULL) {
                rc = KF_ENOMEM;
                break;
            }
            c->real = r;
            cap *= 2;
        }
        c->real[c->nreal++] = cat__del_hash((const uint8_t *)line, n, n);
    }
    fclose(f);
    if (c->nreal > 0)
        qsort(c->real, c->nreal, sizeof *c->real, cat__cmp_u64);
    return rc;
}

static int cat__is_real_word(const struct kf_catalogue *c, uint64_t h)
{
    size_t lo = 0, hi = c->nreal;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->real[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nreal && c->real[lo] == h;
}

/* First index in c->dels with hash h. */
static size_t cat__del_find(const struct kf_catalogue *c, uint64_t h)
{
    size_t lo = 0, hi = c->ndels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->dels[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Neighbours of each letter on a QWERTY keyboard (rows and diagonals). */
static const char *const cat_keys_near[26] = {
    "qwsz",    "vghn",   "xdfv",  "wserfcx", "wrsdf", "ertdgcv", "rtyfhvb", "tyugjbn", "ujklo",
    "yuihknm", "uiojlm", "iopk",  "jkn",     "hjbm",  "iklp",    "ol",      "was",     "etdfg",
    "qweadzx", "ryfgh",  "yihjk", "fgcb",    "qeasd", "sdzc",    "tughj",   "asx"};

static int cat__near(uint8_t a, uint8_t b)
{
    return a >= 'a' && a <= 'z' && b >= 'a' && b <= 'z' && strchr(cat_keys_near[a - 'a'], b);
}

/* 1 if a is a plausible typo of b: one letter left out or added (at the
 * end only an 's'), two neighbours swapped, or one letter replaced by a key
 * next to it; the first letter is kept unless it swapped with the second. Plain Damerau-Levenshtein
 * distance 1 also turns "apply" into "apple", "house" into "mouse" and "table" into "cable" or
 * "tablet". */
static int cat__is_typo(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
    if (la + 1 < lb || lb + 1 < la)
        return 0;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (i == la && i == lb)
        return 0; /* the same word */
    if (i == 0 &&
        !(la == lb && la > 1 && a[0] == b[1] && a[1] == b[0] && cat__eq(a + 2, b + 2, la - 2)))
        return 0; /* the first letter is rarely mistyped ("green" is no "ugreen") */
    if (la == lb) {
        if (cat__eq(a + i + 1, b + i + 1, la - i - 1))
            return cat__near(a[i], b[i]);
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               cat__eq(a + i + 2, b + i + 2, la - i - 2);
    }
    /* a letter more or less; at the end only a plural 's' ("tablet" is no
     * typo of "table") */
    if (la > lb)
        return cat__eq(a + i + 1, b + i, la - i - 1) && (i < lb || a[i] == 's');
    return cat__eq(a + i, b + i + 1, lb - i - 1) && (i < la || b[i] == 's');
}

/* ---- accessors --------------------------------------------------------- */

size_t kf_catalogue_count(const struct kf_catalogue *c, enum kf_catalogue_kind kind)
{
    if (c == NULL || (unsigned)kind >= KF_CAT_NKINDS)
        return 0;
    return c->nent[kind];
}

const struct kf_catalogue_product *kf_catalogue_product_at(const struct kf_catalogue *c, size_t i)
{
    if (c == NULL || i >= c->nent[KF_CAT_PRODUCT])
        return NULL;
    return &c->products[i];
}

const struct kf_catalogue_product *kf_catalogue_product_find(const struct kf_catalogue *c,
                                                             const char *id)
{
    if (c == NULL || id == NULL || c->product_ids == NULL)
        return NULL;
    return kf_map_get(c->product_ids, id, strlen(id));
}

void kf_catalogue_free(struct kf_catalogue *c)
{
    if (c == NULL)
        return;
    for (int k = 0; k < KF_CAT_NKINDS; k++)
        kf_free(c->ent[k]);
    kf_free(c->products);
    kf_map_free(c->product_ids);
    kf_free(c->pool);
    kf_free(c->pats);
    kf_free(c->ac.edge);
    kf_free(c->ac.label);
    kf_free(c->ac.target);
    kf_free(c->ac.fail);
    kf_free(c->ac.out);
    kf_free(c->ac.dict);
    kf_free(c->words);
    kf_free(c->occ);
    kf_free(c->dels);
    kf_free(c->real);
    kf_arena_free(c->arena);
    kf_free(c);
}

/* ---- loading ----------------------------------------------------------- */

struct cat_load {
    struct kf_catalogue *c;
    const struct kf_ydoc *doc;
    struct kf_err *err;
    const struct kf_ynode *sec[KF_CAT_NKINDS];
    struct kf_map *ids[KF_CAT_NKINDS]; /* id -> index + 1 */
    struct kf_map *names;              /* folded name -> pattern + 1 */
    struct kf_map *wordmap;            /* letter run -> word + 1 */
    struct cat_folded f;
};

/* Grow *p (of *cap elements of size sz) to hold `need`. */
static int cat__grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return KF_OK;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = kf_realloc(*p, n * sz);
    if (q == NULL)
        return KF_ENOMEM;
    *p = q;
    *cap = n;
    return KF_OK;
}

static int cat__nomem(struct kf_err *err)
{
    return kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* The typed YAML readers report KF_ECONFIG; a catalogue reports KF_EINVAL. */
static int cat__inval(int rc, struct kf_err *err)
{
    if (rc == KF_ECONFIG) {
        rc = KF_EINVAL;
        if (err != NULL)
            err->code = KF_EINVAL;
    }
    return rc;
}

static int cat__id_ok(const char *s, size_t len)
{
    if (len == 0 || len > CAT_MAX_ID)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    return 1;
}

static int cat__key_ok(const char *list, const char *key, size_t klen)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == klen && memcmp(p, key, n) == 0)
            return 1;
        p += n;
        p += *p == ' ';
    }
    return 0;
}

/* s as a JSON string literal, in the arena. */
static char *cat__json_string(struct kf_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *o = kf_arena_alloc(a, n * 6 + 3);
    if (o == NULL)
        return NULL;
    size_t k = 0;
    o[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            o[k++] = '\\';
            o[k++] = (char)*p;
        } else if (*p < 0x20) {
            snprintf(o + k, 7, "\\u%04x", *p);
            k += 6;
        } else {
            o[k++] = (char)*p;
        }
    }
    o[k++] = '"';
    o[k] = '\0';
    return o;
}

static const struct kf_ynode *cat__section(const struct kf_ydoc *doc, const char *key,
                                           struct kf_err *err, int *rc)
{
    const struct kf_ynode *n = kf_ynode_get(doc->root, key);
    *rc = KF_OK;
    if (n == NULL || (n->type == KF_Y_SCALAR && n->len == 0 && n->plain))
        return NULL; /* absent or empty */
    if (n->type != KF_Y_SEQ)
        *rc = kf_ydoc_errorf(doc, n, err, KF_EINVAL, "%s: expected a list of entries", key);
    return n;
}

/* Pass 1: shape, keys and ids of every entry of one kind. */
static int cat__read_ids(struct cat_load *L, int k)
{
    const struct kf_ydoc *doc = L->doc;
    const struct kf_ynode *sec = L->sec[k];
    struct kf_catalogue *c = L->c;
    const char *what = cat_section[k];
    size_t n = sec ? sec->n : 0;
    if (n == 0)
        return KF_OK;
    c->ent[k] = kf_calloc(n, sizeof *c->ent[k]);
    if (c->ent[k] == NULL)
        return cat__nomem(L->err);
    for (size_t i = 0; i < n; i++) {
        const struct kf_ynode *item = sec->items[i];
        if (item->type != KF_Y_MAP)
            return kf_ydoc_errorf(doc, item, L->err, KF_EINVAL, "%s[%zu]: expected a mapping", what,
                                  i);
        for (size_t j = 0; j < item->n; j++) {
            const struct kf_ynode *key = item->keys[j];
            if (key->type != KF_Y_SCALAR || !cat__key_ok(cat_keys[k], key->str, key->len))
                return kf_ydoc_errorf(doc, key, L->err, KF_EINVAL,
                                      "%s[%zu]: unknown key '%.64s' (known: %s)", what, i,
                                      key->type == KF_Y_SCALAR ? key->str : "?", cat_keys[k]);
        }
        const struct kf_ynode *id = kf_ynode_get(item, "id");
        if (id == NULL)
            return kf_ydoc_errorf(doc, item, L->err, KF_EINVAL, "%s[%zu]: id: required", what, i);
        if (id->type != KF_Y_SCALAR || !cat__id_ok(id->str, id->len))
            return kf_ydoc_errorf(doc, id, L->err, KF_EINVAL,
                                  "%s[%zu]: id '%.64s' must be 1 to %d of a-z 0-9 _ -", what, i,
                                  id->type == KF_Y_SCALAR ? id->str : "", CAT_MAX_ID);
        void *prev = kf_map_get(L->ids[k], id->str, id->len);
        if (prev != NULL)
            return kf_ydoc_errorf(doc, id, L->err, KF_EINVAL,
                                  "%s: duplicate id '%s' (first at line %d)", what, id->str,
                                  c->ent[k][(uintptr_t)prev - 1].line);
        struct cat_entry *e = &c->ent[k][i];
        e->id = kf_arena_strndup(c->arena, id->str, id->len);
        e->value = e->id ? cat__json_string(c->arena, e->id) : NULL;
        e->line = id->line;
        e->parent = -1;
        if (e->value == NULL ||
            kf_map_put(L->ids[k], id->str, id->len, (void *)(uintptr_t)(i + 1), NULL) != KF_OK)
            return cat__nomem(L->err);
        c->nent[k] = i + 1;
    }
    return KF_OK;
}

/* The index of the entry of kind `to` named by node n, or an error. */
static int cat__ref(struct cat_load *L, int k, size_t i, const struct kf_ynode *n, const char *key,
                    int to, int32_t *out)
{
    const char *from = L->c->ent[k][i].id;
    if (n->type != KF_Y_SCALAR)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_EINVAL, "%s '%s': %s: expected an id",
                              cat_section[k], from, key);
    void *v = kf_map_get(L->ids[to], n->str, n->len);
    if (v == NULL)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_EINVAL, "%s '%s': unknown %s '%.64s'",
                              cat_section[k], from, cat_type[to], n->str);
    *out = (int32_t)((uintptr_t)v - 1);
    return KF_OK;
}

static int cat__add_word(struct cat_load *L, uint32_t pat, uint32_t off, uint32_t len)
{
    struct kf_catalogue *c = L->c;
    const char *w = (const char *)c->pool + c->pats[pat].off + off;
    void *v = kf_map_get(L->wordmap, w, len);
    uint32_t word;
    if (v == NULL) {
        if (cat__grow((void **)&c->words, &c->cap_words, c->nwords + 1, sizeof *c->words) != KF_OK)
            return KF_ENOMEM;
        word = (uint32_t)c->nwords++;
        c->words[word] = (struct cat_word){c->pats[pat].off + off, len, 0, 0};
        if (kf_map_put(L->wordmap, w, len, (void *)(uintptr_t)(word + 1), NULL) != KF_OK)
            return KF_ENOMEM;
    } else {
        word = (uint32_t)((uintptr_t)v - 1);
    }
    if (cat__grow((void **)&c->occ, &c->cap_occ, c->nocc + 1, sizeof *c->occ) != KF_OK)
        return KF_ENOMEM;
    c->occ[c->nocc++] = (struct cat_occ){word, pat, off};
    return KF_OK;
}

/* A new distinct folded name (in L->f). */
static int cat__new_pat(struct cat_load *L, uint32_t *out)
{
    struct kf_catalogue *c = L->c;
    const struct cat_folded *f = &L->f;
    if (cat__grow((void **)&c->pats, &c->cap_pats, c->npats + 1, sizeof *c->pats) != KF_OK ||
        cat__grow((void **)&c->pool, &c->cap_pool, c->npool + f->len, 1) != KF_OK)
        return KF_ENOMEM;
    uint32_t p = (uint32_t)c->npats++;
    struct cat_pat *pat = &c->pats[p];
    memset(pat, 0, sizeof *pat);
    pat->off = (uint32_t)c->npool;
    pat->len = (uint16_t)f->len;
    for (int k = 0; k < KF_CAT_NKINDS; k++)
        pat->ent[k] = -1;
    memcpy(c->pool + c->npool, f->b, f->len);
    c->npool += f->len;
    if (f->len > c->maxlen)
        c->maxlen = f->len;

    uint32_t first, last;
    cat__next((const char *)f->b, f->len, 0, &first);
    cat__prev((const char *)f->b, f->len, &last);
    pat->flags = (uint8_t)((cat__is_word_cp(first) ? CAT_WORD_START : 0) |
                           (cat__is_word_cp(last) ? CAT_WORD_END : 0));
    if (kf_map_put(L->names, (const char *)f->b, f->len, (void *)(uintptr_t)(p + 1), NULL) != KF_OK)
        return KF_ENOMEM;
    for (size_t w = 0; w < f->nwords; w++)
        if (f->words[w].len >= CAT_WORD_MIN && f->words[w].len <= CAT_WORD_MAX &&
            cat__add_word(L, p, f->words[w].off, f->words[w].len) != KF_OK)
            return KF_ENOMEM;
    *out = p;
    return KF_OK;
}

static int cat__add_name(struct cat_load *L, int k, size_t i, const struct kf_ynode *n,
                         const char *lang, const char **first)
{
    const struct kf_ydoc *doc = L->doc;
    struct kf_catalogue *c = L->c;
    const char *id = c->ent[k][i].id;
    if (n->type != KF_Y_SCALAR || n->len == 0)
        return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL, "%s '%s': names.%s: expected text",
                              cat_section[k], id, lang);
    if (n->len > CAT_MAX_NAME_SRC || !kf_utf8_valid_text(n->str, n->len))
        return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL,
                              "%s '%s': names.%s: not UTF-8 text of at most %d bytes",
                              cat_section[k], id, lang, CAT_MAX_NAME_SRC);
    cat__fold_name(n->str, n->len, &L->f);
    if (L->f.too_long || L->f.len == 0)
        return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL, "%s '%s': name '%.64s' is %s once folded",
                              cat_section[k], id, n->str,
                              L->f.len == 0 ? "empty" : "longer than 255 bytes");
    void *v = kf_map_get(L->names, (const char *)L->f.b, L->f.len);
    uint32_t p;
    if (v == NULL) {
        if (cat__new_pat(L, &p) != KF_OK)
            return cat__nomem(L->err);
    } else {
        p = (uint32_t)((uintptr_t)v - 1);
    }
    struct cat_pat *pat = &c->pats[p];
    if (pat->ent[k] >= 0 && (size_t)pat->ent[k] != i) {
        const struct cat_entry *o = &c->ent[k][pat->ent[k]];
        return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL,
                              "%s '%s': name '%.64s' is also a name of '%s' (line %d)",
                              cat_section[k], id, n->str, o->id, o->line);
    }
    pat->ent[k] = (int32_t)i;
    for (int j = 0; j < KF_CAT_NKINDS; j++)
        if (pat->ent[j] >= 0) {
            pat->kind = (uint8_t)j;
            break;
        }
    if (first != NULL && *first == NULL &&
        (*first = kf_arena_strndup(c->arena, n->str, n->len)) == NULL)
        return cat__nomem(L->err);
    return KF_OK;
}

/* names: {lang: [name, ...] | name, ...} */
static int cat__read_names(struct cat_load *L, int k, size_t i, const struct kf_ynode *item,
                           const char **zh, const char **en)
{
    const struct kf_ydoc *doc = L->doc;
    const char *id = L->c->ent[k][i].id;
    const struct kf_ynode *names = kf_ynode_get(item, "names");
    if (names == NULL)
        return kf_ydoc_errorf(doc, item, L->err, KF_EINVAL, "%s '%s': names: required",
                              cat_section[k], id);
    if (names->type != KF_Y_MAP)
        return kf_ydoc_errorf(doc, names, L->err, KF_EINVAL,
                              "%s '%s': names: expected a map like {zh: [...], en: [...]}",
                              cat_section[k], id);
    size_t count = 0;
    for (size_t l = 0; l < names->n; l++) {
        if (names->keys[l]->type != KF_Y_SCALAR)
            return kf_ydoc_errorf(doc, names->keys[l], L->err, KF_EINVAL,
                                  "%s '%s': names: expected language codes as keys", cat_section[k],
                                  id);
        const char *lang = names->keys[l]->str;
        const struct kf_ynode *v = names->items[l];
        const char **first = strcmp(lang, "zh") == 0 ? zh : strcmp(lang, "en") == 0 ? en : NULL;
        size_t nv = v->type == KF_Y_SEQ ? v->n : 1;
        if (count + nv > CAT_MAX_NAMES)
            return kf_ydoc_errorf(doc, v, L->err, KF_EINVAL, "%s '%s': more than %d names",
                                  cat_section[k], id, CAT_MAX_NAMES);
        count += nv;
        for (size_t j = 0; j < nv; j++) {
            int rc = cat__add_name(L, k, i, v->type == KF_Y_SEQ ? v->items[j] : v, lang, first);
            if (rc != KF_OK)
                return rc;
        }
    }
    if (count == 0)
        return kf_ydoc_errorf(doc, names, L->err, KF_EINVAL, "%s '%s': names: none given",
                              cat_section[k], id);
    return KF_OK;
}

static int cat__read_product(struct cat_load *L, size_t i, const struct kf_ynode *item)
{
    struct kf_catalogue *c = L->c;
    struct kf_catalogue_product *p = &c->products[i];
    const struct kf_ydoc *doc = L->doc;
    const struct kf_ynode *n;
    int32_t r;
    int rc;
    p->id = c->ent[KF_CAT_PRODUCT][i].id;
    if ((n = kf_ynode_get(item, "brand")) != NULL) {
        if ((rc = cat__ref(L, KF_CAT_PRODUCT, i, n, "brand", KF_CAT_BRAND, &r)) != KF_OK)
            return rc;
        p->brand = c->ent[KF_CAT_BRAND][r].id;
    }
    if ((n = kf_ynode_get(item, "category")) != NULL) {
        if ((rc = cat__ref(L, KF_CAT_PRODUCT, i, n, "category", KF_CAT_CATEGORY, &r)) != KF_OK)
            return rc;
        p->category = c->ent[KF_CAT_CATEGORY][r].id;
    }
    if ((n = kf_ynode_get(item, "price")) != NULL &&
        (rc = cat__inval(kf_ynode_double(doc, n, "price", 0, 1e12, &p->price, L->err), L->err)) !=
            KF_OK)
        return rc;
    if ((n = kf_ynode_get(item, "attributes")) != NULL) {
        if (n->type != KF_Y_SEQ || n->n > CAT_MAX_ATTRS)
            return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL,
                                  "products '%s': attributes: expected a list of at most %d ids",
                                  p->id, CAT_MAX_ATTRS);
        const char **v = kf_arena_calloc(c->arena, n->n ? n->n : 1, sizeof *v);
        if (v == NULL)
            return cat__nomem(L->err);
        for (size_t j = 0; j < n->n; j++) {
            rc = cat__ref(L, KF_CAT_PRODUCT, i, n->items[j], "attributes", KF_CAT_ATTRIBUTE, &r);
            if (rc != KF_OK)
                return rc;
            v[j] = c->ent[KF_CAT_ATTRIBUTE][r].id;
            for (size_t q = 0; q < j; q++)
                if (v[q] == v[j])
                    return kf_ydoc_errorf(doc, n->items[j], L->err, KF_EINVAL,
                                          "products '%s': attribute '%s' listed twice", p->id,
                                          v[j]);
        }
        p->attributes = v;
        p->nattributes = n->n;
    }
    if ((n = kf_ynode_get(item, "specs")) != NULL) {
        int ok = n->type == KF_Y_MAP || (n->type == KF_Y_SCALAR && n->len == 0 && n->plain);
        for (size_t j = 0; ok && n->type == KF_Y_MAP && j < n->n; j++)
            ok = n->items[j]->type == KF_Y_SCALAR;
        if (!ok || (n->type == KF_Y_MAP && n->n > CAT_MAX_ATTRS))
            return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL,
                                  "products '%s': specs: expected a map of key: text", p->id);
        if (n->type == KF_Y_MAP && n->n > 0) {
            const char **k = kf_arena_calloc(c->arena, n->n, sizeof *k);
            const char **v = kf_arena_calloc(c->arena, n->n, sizeof *v);
            if (k == NULL || v == NULL)
                return cat__nomem(L->err);
            for (size_t j = 0; j < n->n; j++) {
                k[j] = kf_arena_strndup(c->arena, n->keys[j]->str, n->keys[j]->len);
                v[j] = kf_arena_strndup(c->arena, n->items[j]->str, n->items[j]->len);
                if (k[j] == NULL || v[j] == NULL)
                    return cat__nomem(L->err);
            }
            p->spec_keys = k;
            p->spec_values = v;
            p->nspecs = n->n;
        }
    }
    if ((n = kf_ynode_get(item, "fits")) != NULL) { /* accessories: the products they fit */
        if (n->type != KF_Y_SEQ || n->n > CAT_MAX_ATTRS)
            return kf_ydoc_errorf(doc, n, L->err, KF_EINVAL,
                                  "products '%s': fits: expected a list of at most %d product ids",
                                  p->id, CAT_MAX_ATTRS);
        const char **v = kf_arena_calloc(c->arena, n->n ? n->n : 1, sizeof *v);
        if (v == NULL)
            return cat__nomem(L->err);
        for (size_t j = 0; j < n->n; j++) {
            rc = cat__ref(L, KF_CAT_PRODUCT, i, n->items[j], "fits", KF_CAT_PRODUCT, &r);
            if (rc != KF_OK)
                return rc;
            v[j] = c->ent[KF_CAT_PRODUCT][r].id;
        }
        p->fits = v;
        p->nfits = n->n;
    }
    int rc2 = cat__read_names(L, KF_CAT_PRODUCT, i, item, &p->name_zh, &p->name_en);
    c->ent[KF_CAT_PRODUCT][i].name_zh = p->name_zh;
    c->ent[KF_CAT_PRODUCT][i].name_en = p->name_en;
    return rc2;
}

/* Pass 2: names and references of every entry. */
static int cat__read_entries(struct cat_load *L)
{
    struct kf_catalogue *c = L->c;
    int rc;
    size_t np = c->nent[KF_CAT_PRODUCT];
    if (np > 0) {
        c->products = kf_calloc(np, sizeof *c->products);
        c->product_ids = kf_map_new(np);
        if (c->products == NULL || c->product_ids == NULL)
            return cat__nomem(L->err);
    }
    for (int k = 0; k < KF_CAT_NKINDS; k++) {
        for (size_t i = 0; i < c->nent[k]; i++) {
            const struct kf_ynode *item = L->sec[k]->items[i];
            if (k == KF_CAT_PRODUCT) {
                rc = cat__read_product(L, i, item);
                if (rc == KF_OK &&
                    kf_map_put(c->product_ids, c->products[i].id, strlen(c->products[i].id),
                               &c->products[i], NULL) != KF_OK)
                    rc = cat__nomem(L->err);
            } else {
                rc = cat__read_names(L, k, i, item, &c->ent[k][i].name_zh,
                                     &c->ent[k][i].name_en);
                const struct kf_ynode *parent = kf_ynode_get(item, "parent");
                if (rc == KF_OK && k == KF_CAT_CATEGORY && parent != NULL)
                    rc = cat__ref(L, k, i, parent, "parent", KF_CAT_CATEGORY, &c->ent[k][i].parent);
            }
            if (rc != KF_OK)
                return rc;
        }
    }
    /* a category may not be its own ancestor */
    const struct cat_entry *cats = c->ent[KF_CAT_CATEGORY];
    for (size_t i = 0; i < c->nent[KF_CAT_CATEGORY]; i++) {
        int32_t p = cats[i].parent;
        for (size_t steps = 0; p >= 0 && steps < c->nent[KF_CAT_CATEGORY]; steps++) {
            if ((size_t)p == i)
                return kf_ydoc_errorf(
                    L->doc, kf_ynode_get(L->sec[KF_CAT_CATEGORY]->items[i], "parent"), L->err,
                    KF_EINVAL, "categories '%s': parent chain loops back to '%s'", cats[i].id,
                    cats[i].id);
            p = cats[p].parent;
        }
    }
    return KF_OK;
}

static int cat__read(struct cat_load *L)
{
    const struct kf_ydoc *doc = L->doc;
    const struct kf_ynode *root = doc->root;
    int rc;
    if (root == NULL)
        return KF_OK; /* an empty file: an empty catalogue */
    if (root->type != KF_Y_MAP)
        return kf_ydoc_errorf(doc, root, L->err, KF_EINVAL,
                              "expected a mapping with products, brands, categories, attributes");
    for (size_t j = 0; j < root->n; j++) {
        const struct kf_ynode *key = root->keys[j];
        int known = 0;
        for (int k = 0; k < KF_CAT_NKINDS; k++)
            known |= key->type == KF_Y_SCALAR && strcmp(key->str, cat_section[k]) == 0;
        if (!known)
            return kf_ydoc_errorf(doc, key, L->err, KF_EINVAL,
                                  "unknown key '%.64s' (known: products brands categories "
                                  "attributes)",
                                  key->type == KF_Y_SCALAR ? key->str : "?");
    }
    size_t total = 0;
    for (int k = 0; k < KF_CAT_NKINDS; k++) {
        L->sec[k] = cat__section(doc, cat_section[k], L->err, &rc);
        if (rc != KF_OK)
            return rc;
        total += L->sec[k] ? L->sec[k]->n : 0;
        if (total > CAT_MAX_ENTRIES)
            return kf_ydoc_errorf(doc, L->sec[k], L->err, KF_EINVAL,
                                  "more than %d catalogue entries", CAT_MAX_ENTRIES);
        L->ids[k] = kf_map_new(L->sec[k] ? L->sec[k]->n : 0);
        if (L->ids[k] == NULL)
            return cat__nomem(L->err);
    }
    L->names = kf_map_new(total * 2);
    L->wordmap = kf_map_new(total * 2);
    if (L->names == NULL || L->wordmap == NULL)
        return cat__nomem(L->err);
    for (int k = 0; k < KF_CAT_NKINDS; k++)
        if ((rc = cat__read_ids(L, k)) != KF_OK)
            return rc;
    return cat__read_entries(L);
}

int kf_catalogue_load(const char *path, struct kf_catalogue **out, struct kf_err *err)
{
    return kf_catalogue_load_with(path, KF_CATALOGUE_WORDS, out, err);
}

int kf_catalogue_load_with(const char *path, const char *words, struct kf_catalogue **out,
                           struct kf_err *err)
{
    *out = NULL;
    if (path == NULL)
        return kf_errorf(err, KF_EINVAL, "catalogue: no path");
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    struct cat_load *L = kf_calloc(1, sizeof *L);
    struct kf_catalogue *c = kf_calloc(1, sizeof *c);
    if (L == NULL || c == NULL || (c->arena = kf_arena_new(64 << 10, (size_t)256 << 20)) == NULL) {
        rc = cat__nomem(err);
        goto out;
    }
    L->c = c;
    L->doc = doc;
    L->err = err;
    if ((rc = cat__read(L)) != KF_OK)
        goto out;
    if (cat__build_ac(c) != KF_OK || cat__build_typos(c) != KF_OK ||
        cat__load_words(c, words) != KF_OK) {
        rc = cat__nomem(err);
        goto out;
    }
out:
    if (L != NULL) {
        for (int k = 0; k < KF_CAT_NKINDS; k++)
            kf_map_free(L->ids[k]);
        kf_map_free(L->names);
        kf_map_free(L->wordmap);
    }
    kf_free(L);
    kf_ydoc_free(doc);
    if (rc != KF_OK) {
        kf_catalogue_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}

/* ---- matching ---------------------------------------------------------- */

struct cat_cand {
    uint32_t flen; /* folded length; 0 = none */
    uint32_t pat;
    size_t start, end; /* original span */
};

struct cat_scan {
    const struct kf_catalogue *c;
    const char *text;
    size_t len;
    struct kf_arena *a;
    struct kf_entity *out;
    size_t n, max;
    size_t fin;                     /* folded starts below this are decided */
    size_t free_from;               /* folded end of the last chosen match */
    size_t ostart[CAT_RING];        /* per folded byte: its character's original start */
    uint8_t first[CAT_RING];        /* per folded byte: first byte of its character's fold */
    struct cat_cand best[CAT_RING]; /* per folded start: the longest candidate */
};

static int cat__entity(struct cat_scan *sc, const struct cat_pat *p, size_t start, size_t end,
                       double conf, struct kf_entity *e)
{
    const struct cat_entry *ent = &sc->c->ent[p->kind][p->ent[p->kind]];
    e->type = cat_type[p->kind];
    e->start = start;
    e->end = end;
    e->text = kf_arena_strndup(sc->a, sc->text + start, end - start);
    e->value = kf_arena_strdup(sc->a, ent->value);
    e->confidence = conf;
    e->source = KF_ENT_CATALOGUE;
    return e->text != NULL && e->value != NULL ? KF_OK : KF_ENOMEM;
}

/* Decide every folded start below `upto`. */
static void cat__decide(struct cat_scan *sc, size_t upto)
{
    for (; sc->fin < upto; sc->fin++) {
        struct cat_cand *b = &sc->best[sc->fin % CAT_RING];
        if (b->flen != 0 && sc->fin >= sc->free_from && sc->n < sc->max) {
            if (cat__entity(sc, &sc->c->pats[b->pat], b->start, b->end, 1.0, &sc->out[sc->n]) ==
                KF_OK) {
                sc->n++;
                sc->free_from = sc->fin + b->flen;
            } else {
                sc->max = sc->n; /* the arena is full: stop here */
            }
        }
        b->flen = 0;
    }
}

/* Names ending at folded offset fend (the end of a character, whose original
 * end is oend) become candidates for their start. */
static void cat__collect(struct cat_scan *sc, uint32_t state, size_t fend, size_t oend)
{
    const struct cat_ac *ac = &sc->c->ac;
    for (uint32_t o = ac->out[state] ? state : ac->dict[state]; o != 0; o = ac->dict[o]) {
        uint32_t pi = ac->out[o] - 1;
        const struct cat_pat *p = &sc->c->pats[pi];
        size_t fs = fend - p->len, slot = fs % CAT_RING;
        if (p->len <= sc->best[slot].flen || !sc->first[slot])
            continue;
        size_t os = sc->ostart[slot];
        if ((p->flags & CAT_WORD_START) && cat__word_before(sc->text, os))
            continue;
        if ((p->flags & CAT_WORD_END) && cat__word_at(sc->text, sc->len, oend))
            continue;
        sc->best[slot] = (struct cat_cand){p->len, pi, os, oend};
    }
}

static void cat__exact(struct cat_scan *sc)
{
    const struct kf_catalogue *c = sc->c;
    const char *t = sc->text;
    size_t fpos = 0, maxlen = c->maxlen;
    uint32_t state = 0;
    for (size_t i = 0; i < sc->len && sc->n < sc->max;) {
        uint8_t fb[CAT_FOLD_MAX];
        uint32_t cp;
        size_t k = cat__next(t, sc->len, i, &cp);
        size_t m = cat__fold_cp(cp, fb);
        for (size_t j = 0; j < m; j++) {
            size_t p = fpos++;
            if (p >= maxlen)
                cat__decide(sc, p + 1 - maxlen);
            sc->ostart[p % CAT_RING] = i;
            sc->first[p % CAT_RING] = j == 0;
            sc->best[p % CAT_RING].flen = 0; /* decided long ago, or never used */
            state = cat__step(&c->ac, state, fb[j]);
            if (j + 1 == m && (c->ac.out[state] | c->ac.dict[state]) != 0)
                cat__collect(sc, state, p + 1, i + k);
        }
        i += k;
    }
    cat__decide(sc, fpos);
}

/* Entities overlapping [s, e): out[*lo .. *hi). */
static void cat__overlap(const struct cat_scan *sc, size_t s, size_t e, size_t *lo, size_t *hi)
{
    size_t a = 0, b = sc->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (sc->out[mid].end <= s)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    b = sc->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (sc->out[mid].start < e)
            a = mid + 1;
        else
            b = mid;
    }
    *hi = a;
}

/* Does name p match the text when its bytes [off, off + wlen) stand for the
 * misspelt word at [ws, we)? Sets the original span. */
static int cat__typo_span(const struct cat_scan *sc, const struct cat_pat *p, size_t off,
                          size_t wlen, size_t ws, size_t we, size_t *s_out, size_t *e_out)
{
    const uint8_t *name = sc->c->pool + p->off;
    uint8_t fb[CAT_FOLD_MAX];
    uint32_t cp;
    size_t q = off + wlen, pos = we;
    while (q < p->len) {
        if (pos >= sc->len)
            return 0;
        size_t k = cat__next(sc->text, sc->len, pos, &cp);
        size_t m = cat__fold_cp(cp, fb);
        if (m > p->len - q || !cat__eq(fb, name + q, m))
            return 0;
        q += m;
        pos += k;
    }
    *e_out = pos;
    q = off;
    pos = ws;
    while (q > 0) {
        if (pos == 0)
            return 0;
        size_t ps = cat__prev(sc->text, pos, &cp);
        size_t m = cat__fold_cp(cp, fb);
        if (m > q || !cat__eq(fb, name + q - m, m))
            return 0;
        q -= m;
        pos = ps;
    }
    *s_out = pos;
    if ((p->flags & CAT_WORD_START) && cat__word_before(sc->text, *s_out))
        return 0;
    if ((p->flags & CAT_WORD_END) && cat__word_at(sc->text, sc->len, *e_out))
        return 0;
    return 1;
}

/* Try the letter run w[0..wl) at [ws, we) as a misspelt name word. */
static void cat__typo_word(struct cat_scan *sc, const uint8_t *w, size_t wl, size_t ws, size_t we)
{
    const struct kf_catalogue *c = sc->c;
    size_t lo, hi;
    cat__overlap(sc, ws, we, &lo, &hi);
    if (lo < hi)
        return; /* part of an entity already */
    /* a word the catalogue knows is not a typo */
    uint64_t h = cat__del_hash(w, wl, wl);
    for (size_t d = cat__del_find(c, h); d < c->ndels && c->dels[d].h == h; d++) {
        const struct cat_word *cw = &c->words[c->dels[d].word];
        if (cw->len == wl && cat__eq(c->pool + cw->off, w, wl))
            return;
    }
    /* nor is an ordinary English word ("shows" is not a typo of shoes),
     * except as the plural of a name word ("phones") */
    int real = cat__is_real_word(c, h);
    const struct cat_pat *best = NULL;
    size_t bs = 0, be = 0;
    for (size_t skip = 0; skip <= wl; skip++) {
        h = cat__del_hash(w, wl, skip);
        for (size_t d = cat__del_find(c, h); d < c->ndels && c->dels[d].h == h; d++) {
            const struct cat_word *cw = &c->words[c->dels[d].word];
            if (!cat__is_typo(w, wl, c->pool + cw->off, cw->len))
                continue;
            if (real && !(wl == cw->len + 1 && w[wl - 1] == 's'))
                continue;
            for (uint32_t o = cw->occ; o < cw->occ + cw->nocc; o++) {
                const struct cat_pat *p = &c->pats[c->occ[o].pat];
                size_t s, e;
                if (!cat__typo_span(sc, p, c->occ[o].off, cw->len, ws, we, &s, &e))
                    continue;
                cat__overlap(sc, s, e, &lo, &hi);
                if (lo < hi && (sc->out[lo].start < s || sc->out[hi - 1].end > e))
                    continue; /* would cut an entity in two */
                if (best == NULL || e - s > be - bs || (e - s == be - bs && p->kind < best->kind)) {
                    best = p;
                    bs = s;
                    be = e;
                }
            }
        }
    }
    if (best == NULL)
        return;
    struct kf_entity ent;
    if (cat__entity(sc, best, bs, be, CAT_TYPO_CONF, &ent) != KF_OK)
        return;
    cat__overlap(sc, bs, be, &lo, &hi);
    size_t n = sc->n - (hi - lo);
    if (n + 1 > sc->max) { /* full: keep the first max in text order */
        if (lo == sc->n)
            return;
        sc->n--;
        n--;
        if (hi > sc->n)
            hi = sc->n;
    }
    memmove(&sc->out[lo + 1], &sc->out[hi], (sc->n - hi) * sizeof *sc->out);
    sc->out[lo] = ent;
    sc->n = n + 1;
}

static void cat__typos(struct cat_scan *sc)
{
    uint8_t w[CAT_WORD_MAX];
    size_t wl = 0, ws = 0, we = 0;
    for (size_t i = 0; i <= sc->len;) {
        if (sc->n == sc->max && (sc->n == 0 || i >= sc->out[sc->n - 1].end))
            break; /* full, and nothing later can get in */
        uint8_t fb[CAT_FOLD_MAX];
        uint32_t cp = 0;
        size_t k = 1, m = 0;
        if (i < sc->len) {
            k = cat__next(sc->text, sc->len, i, &cp);
            m = cat__fold_cp(cp, fb);
        }
        if (m == 1 && fb[0] >= 'a' && fb[0] <= 'z') {
            if (wl == 0)
                ws = i;
            if (wl < CAT_WORD_MAX)
                w[wl] = fb[0];
            wl++;
            we = i + k;
        } else {
            if (wl >= CAT_WORD_MIN && wl <= CAT_WORD_MAX)
                cat__typo_word(sc, w, wl, ws, we);
            wl = 0;
        }
        i += k;
    }
}

size_t kf_catalogue_match(const struct kf_catalogue *c, const char *text, size_t len,
                          struct kf_arena *a, struct kf_entity *out, size_t max)
{
    if (c == NULL || text == NULL || a == NULL || out == NULL || max == 0 || len == 0 ||
        c->npats == 0)
        return 0;
    if (len > CAT_MAX_TEXT)
        len = kf_utf8_truncate(text, len, CAT_MAX_TEXT);
    struct cat_scan *sc, scan;
    sc = &scan;
    sc->c = c;
    sc->text = text;
    sc->len = len;
    sc->a = a;
    sc->out = out;
    sc->n = 0;
    sc->max = max;
    sc->fin = 0;
    sc->free_from = 0;
    cat__exact(sc);
    if (c->ndels > 0)
        cat__typos(sc);
    return sc->n;
}

const char *kf_catalogue_name(const struct kf_catalogue *c, enum kf_catalogue_kind kind,
                              const char *id, const char *lang)
{
    if (c == NULL || (int)kind < 0 || kind >= KF_CAT_NKINDS || id == NULL)
        return NULL;
    for (size_t i = 0; i < c->nent[kind]; i++) /* a few hundred entries: a scan will do */
        if (strcmp(c->ent[kind][i].id, id) == 0) {
            const struct cat_entry *e = &c->ent[kind][i];
            const char *zh = e->name_zh, *en = e->name_en;
            if (lang != NULL && strcmp(lang, "en") == 0)
                return en != NULL ? en : zh;
            return zh != NULL ? zh : en;
        }
    return NULL;
}
