/*
 * crf_data.c — token sequences with entity spans: the tokenizer the CRF
 * uses, and the readers for CoNLL/BIO files and Rasa-annotated examples
 * (see crf.h). crf.c labels, crf_train.c trains.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kefu/crf.h"
#include "kefu/dataset.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"

#define SEQ_TEXT_MAX 65536
#define SEQ_MAX_TYPES 256
#define SEQ_MAX 5000000

struct kf_seqset {
    struct kf_arena *arena; /* texts, offsets, spans */
    struct kf_seq *v;
    size_t n, cap;
    char *types[SEQ_MAX_TYPES];
    size_t ntypes;
};

int kf_seqset_new(struct kf_seqset **out, struct kf_err *err)
{
    struct kf_seqset *s = kf_calloc(1, sizeof *s);
    if (s == NULL || (s->arena = kf_arena_new(1 << 20, (size_t)4 << 30)) == NULL) {
        kf_free(s);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    *out = s;
    return KF_OK;
}

void kf_seqset_free(struct kf_seqset *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ntypes; i++)
        kf_free(s->types[i]);
    kf_free(s->v);
    kf_arena_free(s->arena);
    kf_free(s);
}

size_t kf_seqset_size(const struct kf_seqset *s) { return s->n; }
const struct kf_seq *kf_seqset_get(const struct kf_seqset *s, size_t i)
{
    return i < s->n ? &s->v[i] : NULL;
}
size_t kf_seqset_ntypes(const struct kf_seqset *s) { return s->ntypes; }
const char *kf_seqset_type(const struct kf_seqset *s, size_t i)
{
    return i < s->ntypes ? s->types[i] : NULL;
}

long kf_seqset_type_index(const struct kf_seqset *s, const char *type)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (strcmp(s->types[i], type) == 0)
            return (long)i;
    return -1;
}

static long seq__intern_type(struct kf_seqset *s, const char *type, size_t len)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (strlen(s->types[i]) == len && memcmp(s->types[i], type, len) == 0)
            return (long)i;
    if (s->ntypes == SEQ_MAX_TYPES || len == 0 || len > 64)
        return -1;
    if ((s->types[s->ntypes] = kf_strndup(type, len)) == NULL)
        return -1;
    return (long)s->ntypes++;
}

/* ---- tokens ------------------------------------------------------------- */

static int seq__is_cjk(uint32_t c)
{
    return kf_utf8_is_han(c) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF);
}

/* Letters and digits that form words: ASCII, Latin-1 and other alphabets
 * (not CJK, which is one token per character). */
static int seq__is_word(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (seq__is_cjk(c))
        return 0;
    return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x370 && c <= 0x52F) ||
           (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A);
}

static int seq__is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000 || c == 0xA0 ||
           c == 0x200B || c == 0xFEFF;
}

size_t kf_crf_tokenize(const char *text, size_t len, uint32_t *tstart, uint32_t *tend,
                       size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        uint32_t c;
        int dk = kf_utf8_decode(text + i, len - i, &c);
        size_t k = dk > 0 ? (size_t)dk : 1;
        if (dk <= 0) /* an invalid byte is a token of its own */
            c = 0xFFFD;
        if (seq__is_space(c)) {
            i += k;
            continue;
        }
        size_t start = i;
        i += k;
        if (seq__is_word(c)) {
            while (i < len) {
                uint32_t d;
                int m = kf_utf8_decode(text + i, len - i, &d);
                if (m <= 0 || !seq__is_word(d))
                    break;
                i += (size_t)m;
            }
        }
        tstart[n] = (uint32_t)start;
        tend[n] = (uint32_t)i;
        n++;
    }
    return n;
}

/* ---- adding sequences --------------------------------------------------- */

static struct kf_seq *seq__push(struct kf_seqset *s, struct kf_err *err)
{
    if (s->n == SEQ_MAX) {
        kf_errorf(err, KF_ETOOBIG, "more than %d sequences", SEQ_MAX);
        return NULL;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        struct kf_seq *v = kf_realloc(s->v, cap * sizeof *v);
        if (v == NULL) {
            kf_errorf(err, KF_ENOMEM, "out of memory");
            return NULL;
        }
        s->v = v;
        s->cap = cap;
    }
    struct kf_seq *q = &s->v[s->n];
    memset(q, 0, sizeof *q);
    return q;
}

/* Byte spans of plain text → token spans (every token the span touches). */
struct byte_span {
    size_t start, end;
    long type;
};

static int seq__add_plain(struct kf_seqset *s, const char *text, size_t len,
                          const struct byte_span *bs, size_t nbs, struct kf_err *err)
{
    struct kf_seq *q = seq__push(s, err);
    if (q == NULL)
        return err ? err->code : KF_ENOMEM;
    char *t = kf_arena_strndup(s->arena, text, len);
    uint32_t *ts = kf_arena_alloc(s->arena, (len + 1) * sizeof *ts);
    uint32_t *te = kf_arena_alloc(s->arena, (len + 1) * sizeof *te);
    struct kf_seqspan *sp = kf_arena_alloc(s->arena, (nbs + 1) * sizeof *sp);
    if (t == NULL || ts == NULL || te == NULL || sp == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    uint32_t ntok = (uint32_t)kf_crf_tokenize(t, len, ts, te, len + 1);
    uint32_t nsp = 0;
    for (size_t i = 0; i < nbs; i++) {
        uint32_t a = 0;
        while (a < ntok && te[a] <= bs[i].start)
            a++;
        uint32_t b = a;
        while (b < ntok && ts[b] < bs[i].end)
            b++;
        if (b > a && (nsp == 0 || sp[nsp - 1].end <= a))
            sp[nsp++] = (struct kf_seqspan){a, b, (uint32_t)bs[i].type};
    }
    *q = (struct kf_seq){t, len, ntok, ts, te, sp, nsp};
    s->n++;
    return KF_OK;
}

int kf_seqset_add_annotated(struct kf_seqset *s, const char *in, size_t len, struct kf_err *err)
{
    if (len > SEQ_TEXT_MAX)
        return kf_errorf(err, KF_ETOOBIG, "example longer than %d bytes", SEQ_TEXT_MAX);
    if (!kf_utf8_valid_text(in, len))
        return kf_errorf(err, KF_EUTF8, "example is not valid UTF-8");
    char *plain = kf_malloc(len + 1);
    struct byte_span *bs = kf_malloc((len / 4 + 1) * sizeof *bs);
    if (plain == NULL || bs == NULL) {
        kf_free(plain);
        kf_free(bs);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    size_t o = 0, nbs = 0;
    int rc = KF_OK;
    for (size_t i = 0; i < len && rc == KF_OK;) {
        const char *close = in[i] == '[' ? memchr(in + i + 1, ']', len - i - 1) : NULL;
        if (close != NULL && (size_t)(close - in) + 1 < len && (close[1] == '(' || close[1] == '{')) {
            char endc = close[1] == '(' ? ')' : '}';
            const char *stop = memchr(close + 2, endc, len - (size_t)(close + 2 - in));
            if (stop != NULL) {
                const char *tx = in + i + 1;
                size_t tl = (size_t)(close - tx);
                const char *ty = close + 2;
                size_t tyl = (size_t)(stop - ty);
                char tbuf[80] = "";
                if (endc == '}') { /* {"entity": "type", ...} */
                    json_t *j = json_loadb(close + 1, (size_t)(stop - close), 0, NULL);
                    const char *e = json_string_value(json_object_get(j, "entity"));
                    if (e != NULL && strlen(e) < sizeof tbuf)
                        snprintf(tbuf, sizeof tbuf, "%s", e);
                    json_decref(j);
                    ty = tbuf;
                    tyl = strlen(tbuf);
                } else { /* (type) or (type:value) */
                    const char *colon = memchr(ty, ':', tyl);
                    if (colon != NULL)
                        tyl = (size_t)(colon - ty);
                }
                long type = seq__intern_type(s, ty, tyl);
                if (type < 0) {
                    rc = kf_errorf(err, KF_EPARSE, "bad entity type in '%.*s'",
                                   (int)((size_t)(stop - in) + 1 - i), in + i);
                    break;
                }
                bs[nbs++] = (struct byte_span){o, o + tl, type};
                memcpy(plain + o, tx, tl);
                o += tl;
                i = (size_t)(stop - in) + 1;
                continue;
            }
        }
        plain[o++] = in[i++];
    }
    if (rc == KF_OK)
        rc = seq__add_plain(s, plain, o, bs, nbs, err);
    kf_free(plain);
    kf_free(bs);
    return rc;
}

/* ---- CoNLL / BIO files -------------------------------------------------- */

struct conll_tok {
    size_t off, len; /* in the line buffer */
    char tag;        /* B I E S O */
    long type;
};

struct conll {
    char *text; /* the sentence's tokens, joined */
    size_t tlen, tcap;
    uint32_t *ts, *te;
    char *tags;
    long *types;
    size_t ntok, cap;
};

static int conll__flush(struct kf_seqset *s, struct conll *c, struct kf_err *err)
{
    if (c->ntok == 0)
        return KF_OK;
    struct kf_seq *q = seq__push(s, err);
    if (q == NULL)
        return err ? err->code : KF_ENOMEM;
    char *t = kf_arena_strndup(s->arena, c->text, c->tlen);
    uint32_t *ts = kf_arena_alloc(s->arena, c->ntok * sizeof *ts);
    uint32_t *te = kf_arena_alloc(s->arena, c->ntok * sizeof *te);
    struct kf_seqspan *sp = kf_arena_alloc(s->arena, c->ntok * sizeof *sp);
    if (t == NULL || ts == NULL || te == NULL || sp == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    memcpy(ts, c->ts, c->ntok * sizeof *ts);
    memcpy(te, c->te, c->ntok * sizeof *te);
    uint32_t nsp = 0;
    for (size_t i = 0; i < c->ntok;) {
        char g = c->tags[i];
        if (g == 'O') {
            i++;
            continue;
        }
        /* B, S, or an I/E that starts an entity (IOB1 or a broken file) */
        size_t j = i + 1;
        if (g != 'S')
            while (j < c->ntok && (c->tags[j] == 'I' || c->tags[j] == 'E') &&
                   c->types[j] == c->types[i] && c->tags[j - 1] != 'E')
                j++;
        sp[nsp++] = (struct kf_seqspan){(uint32_t)i, (uint32_t)j, (uint32_t)c->types[i]};
        i = j;
    }
    *q = (struct kf_seq){t, c->tlen, (uint32_t)c->ntok, ts, te, sp, nsp};
    s->n++;
    c->ntok = 0;
    c->tlen = 0;
    return KF_OK;
}

static int conll__add(struct conll *c, const char *tok, size_t tl, char tag, long type)
{
    if (c->ntok == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        if (cap > KF_CRF_MAX_TOKENS * 16)
            return KF_ETOOBIG;
        uint32_t *ts = kf_realloc(c->ts, cap * sizeof *ts);
        if (ts != NULL)
            c->ts = ts;
        uint32_t *te = kf_realloc(c->te, cap * sizeof *te);
        if (te != NULL)
            c->te = te;
        char *tags = kf_realloc(c->tags, cap);
        if (tags != NULL)
            c->tags = tags;
        long *types = kf_realloc(c->types, cap * sizeof *types);
        if (types != NULL)
            c->types = types;
        if (ts == NULL || te == NULL || tags == NULL || types == NULL)
            return KF_ENOMEM;
        c->cap = cap;
    }
    /* words of a word-level file are joined by a space; characters of a
     * character-level file (CLUENER, MSRA) directly */
    int space = c->tlen > 0 && (tl > 1 || c->te[c->ntok - 1] - c->ts[c->ntok - 1] > 1) &&
                (unsigned char)tok[0] < 0x80;
    if (c->tlen + tl + 2 > c->tcap) {
        size_t cap = (c->tlen + tl + 2) * 2;
        if (cap > SEQ_TEXT_MAX * 4)
            return KF_ETOOBIG;
        char *t = kf_realloc(c->text, cap);
        if (t == NULL)
            return KF_ENOMEM;
        c->text = t;
        c->tcap = cap;
    }
    if (space)
        c->text[c->tlen++] = ' ';
    memcpy(c->text + c->tlen, tok, tl);
    c->ts[c->ntok] = (uint32_t)c->tlen;
    c->tlen += tl;
    c->te[c->ntok] = (uint32_t)c->tlen;
    c->tags[c->ntok] = tag;
    c->types[c->ntok] = type;
    c->ntok++;
    return KF_OK;
}

static int seq__load_conll(struct kf_seqset *s, const char *path, struct kf_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    struct conll c = {0};
    char line[4096];
    int lineno = 0, rc = KF_OK;
    while (rc == KF_OK && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            rc = kf_errorf(err, KF_ETOOBIG, "%s:%d: line longer than %zu bytes", path, lineno,
                           sizeof line - 2);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0) {
            rc = conll__flush(s, &c, err);
            continue;
        }
        if (strncmp(line, "-DOCSTART-", 10) == 0)
            continue;
        if (!kf_utf8_valid_text(line, n)) {
            rc = kf_errorf(err, KF_EUTF8, "%s:%d: not valid UTF-8", path, lineno);
            break;
        }
        /* the tag is the last field; the token the first */
        size_t te = n;
        while (te > 0 && line[te - 1] != '\t' && line[te - 1] != ' ')
            te--;
        size_t tok_end = te;
        while (tok_end > 0 && (line[tok_end - 1] == '\t' || line[tok_end - 1] == ' '))
            tok_end--;
        size_t tok_len = 0;
        while (tok_len < tok_end && line[tok_len] != '\t' && line[tok_len] != ' ')
            tok_len++;
        if (te == 0 || tok_len == 0) {
            rc = kf_errorf(err, KF_EPARSE, "%s:%d: expected 'token TAG', got '%.40s'", path,
                           lineno, line);
            break;
        }
        const char *tag = line + te;
        char g = tag[0];
        long type = -1;
        if (strcmp(tag, "O") == 0) {
            g = 'O';
        } else if ((g == 'B' || g == 'I' || g == 'E' || g == 'S') && (tag[1] == '-' || tag[1] == '_')) {
            type = seq__intern_type(s, tag + 2, strlen(tag + 2));
            if (type < 0) {
                rc = kf_errorf(err, KF_EPARSE, "%s:%d: bad entity type in tag '%s'", path,
                               lineno, tag);
                break;
            }
        } else {
            rc = kf_errorf(err, KF_EPARSE, "%s:%d: tag '%.40s' is not O, B-x, I-x, E-x or S-x",
                           path, lineno, tag);
            break;
        }
        int r = conll__add(&c, line, tok_len, g, type);
        if (r != KF_OK)
            rc = kf_errorf(err, r, "%s:%d: sentence too long or out of memory", path, lineno);
    }
    if (rc == KF_OK)
        rc = conll__flush(s, &c, err);
    fclose(f);
    kf_free(c.text);
    kf_free(c.ts);
    kf_free(c.te);
    kf_free(c.tags);
    kf_free(c.types);
    return rc;
}

/* ---- files and folders -------------------------------------------------- */

static int seq__ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int seq__load_yaml(struct kf_seqset *s, const char *path, struct kf_err *err)
{
    struct kf_dataset *ds;
    int rc = kf_dataset_new(&ds, err);
    if (rc != KF_OK)
        return rc;
    ds->keep_annotations = 1;
    rc = kf_dataset_load(ds, path, err);
    for (size_t i = 0; rc == KF_OK && i < ds->n; i++) {
        rc = kf_seqset_add_annotated(s, ds->v[i].text, strlen(ds->v[i].text), err);
        if (rc != KF_OK)
            kf_err_prefix(err, "%s: example '%.60s'", path, ds->v[i].text);
    }
    kf_dataset_free(ds);
    return rc;
}

static int seq__load_file(struct kf_seqset *s, const char *path, struct kf_err *err)
{
    if (seq__ends_with(path, ".yml") || seq__ends_with(path, ".yaml"))
        return seq__load_yaml(s, path, err);
    if (seq__ends_with(path, ".bio") || seq__ends_with(path, ".conll") ||
        seq__ends_with(path, ".txt") || seq__ends_with(path, ".tsv"))
        return seq__load_conll(s, path, err);
    return kf_errorf(err, KF_EINVAL, "%s: unknown entity data format (.bio .conll .txt .yml)",
                     path);
}

static int seq__cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kf_seqset_load(struct kf_seqset *s, const char *path, struct kf_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return seq__load_file(s, path, err);
    DIR *d = opendir(path);
    if (d == NULL)
        return kf_errorf(err, KF_EIO, "%s: %s", path, strerror(errno));
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024) {
        const char *nm = e->d_name;
        if (nm[0] != '.' && (seq__ends_with(nm, ".yml") || seq__ends_with(nm, ".yaml") ||
                             seq__ends_with(nm, ".bio") || seq__ends_with(nm, ".conll")))
            names[n++] = kf_strdup(nm);
    }
    closedir(d);
    qsort(names, n, sizeof *names, seq__cmp_name);
    int rc = KF_OK;
    for (size_t i = 0; i < n; i++) {
        if (rc == KF_OK && names[i] != NULL) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, names[i]);
            rc = seq__load_file(s, p, err);
        }
        kf_free(names[i]);
    }
    return rc;
}
