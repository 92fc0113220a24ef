/*
 * cond.c — the condition language of bot YAML (cond.h): a recursive-descent
 * parser into a flat node array, and an evaluator over a JSON subject (a
 * derived profile for tags, the same for campaigns).
 *
 * Grammar (lowest precedence first; keywords are lower case):
 *
 *   expr    := and { ("or" | "||") and }
 *   and     := unary { ("and" | "&&") unary }
 *   unary   := ("not" | "!") unary | cmp
 *   cmp     := operand [ op operand | ["not"] "in" (list | field) ]
 *   op      := "==" | "!=" | "<" | "<=" | ">" | ">="
 *   operand := "(" expr ")" | list | literal | field
 *   list    := "[" [ literal { "," literal } ] "]"
 *   literal := number | "string" | 'string' | true | false | null
 *   field   := name { "." segment }     name [A-Za-z_][A-Za-z0-9_]*, segment [A-Za-z0-9_]+
 *
 * A segment of digits indexes an array (`preferences.categories.0.category`).
 * Strings take the escapes \\ \" \' \n \t. Comparisons do not chain
 * (`1 < x < 3` is an error: write `1 < x and x < 3`).
 *
 * Evaluation never fails. A missing field is null. Values compare when both
 * are numbers (numerically), both strings (bytewise), both booleans (== and
 * != only) or both arrays/objects (== and != only, by JSON equality); any
 * other comparison, and any comparison with a null value, is false —
 * `!=` included, so `lifecycle != "new"` is false for a profile without a
 * lifecycle. The one exception is the literal `null`, which tests presence:
 * `x == null` is true when x is missing or null, `x != null` when it is not.
 * `v in L` is true when L (a list literal or a JSON array field) holds an
 * element equal to v; `not in` is its negation (so it is true when L is
 * missing). A bare value is true when it is true, a non-zero number, a
 * non-empty string, array or object.
 *
 * Limits: the text is at most KF_COND_MAX_TEXT bytes of UTF-8, nested at
 * most KF_COND_MAX_DEPTH deep (parentheses and `not`s); and/or chains are
 * n-ary nodes, so evaluation recursion is bounded by the nesting too. Every
 * node consumes at least one token of text, so the node array (len + 1)
 * and the string buffer (2 len + 2, room for every segment's NUL) are sized
 * from the text length once: two allocations per condition. A parsed
 * condition is read-only, so one can be evaluated from many threads.
 */
#include "kefu/cond.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/mem.h"
#include "kefu/utf8.h"

#define KF_COND_MAX_TEXT 1000
#define KF_COND_MAX_DEPTH 32

enum cn_kind {
    CN_OR,
    CN_AND,
    CN_NOT,
    CN_CMP,
    CN_IN,
    CN_NOTIN,
    CN_FIELD,
    CN_NUM,
    CN_STR,
    CN_TRUE,
    CN_FALSE,
    CN_NULL,
    CN_LIST
};

enum cn_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* One node. Children: CMP/IN/NOTIN a (left) and b (right); NOT a; OR, AND
 * and LIST a chain from a through next (-1 ends it). */
struct cnode {
    unsigned char kind;
    unsigned char op;
    int a, b, next;
    double num;
    const char *s; /* CN_STR: the text; CN_FIELD: segments, each NUL-terminated */
    size_t len;    /* CN_STR: bytes; CN_FIELD: number of segments */
};

struct kf_cond {
    struct cnode *nodes;
    int n;
    int root;
    char *strs; /* literal strings and field paths */
};

/* ------------------------------------------------------------------ lexer */

enum tk_kind {
    TK_END,
    TK_LP,
    TK_RP,
    TK_LB,
    TK_RB,
    TK_COMMA,
    TK_OP,
    TK_AND,
    TK_OR,
    TK_NOT,
    TK_IN,
    TK_NUM,
    TK_STR,
    TK_TRUE,
    TK_FALSE,
    TK_NULL,
    TK_FIELD
};

struct token {
    enum tk_kind kind;
    size_t at, end; /* byte offsets in the text */
    int op;
    double num;
    const char *s; /* TK_STR / TK_FIELD: copied into the string buffer */
    size_t len;    /* TK_STR: bytes; TK_FIELD: segments */
};

struct cparse {
    const char *t;
    size_t len, pos;
    struct token tok;
    struct kf_cond *c;
    char *sp; /* next free byte of c->strs */
    int depth;
    struct kf_err *err;
};

/* "col N: ..." with N the 1-based character column of byte offset `at`. */
static int cp__fail(struct cparse *P, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cp__fail(struct cparse *P, size_t at, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return kf_errorf(P->err, KF_EPARSE, "col %zu: %s", kf_utf8_count(P->t, at) + 1, what);
}

static int cp__is_name(char ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

static int cp__is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A number: -?digits[.digits][(e|E)[+-]digits], or -?.digits. */
static int cp__lex_number(struct cparse *P, struct token *k)
{
    const char *t = P->t;
    size_t i = P->pos, at = P->pos;
    if (t[i] == '-')
        i++;
    size_t digits = 0;
    while (cp__is_digit(t[i]))
        i++, digits++;
    if (t[i] == '.') {
        i++;
        while (cp__is_digit(t[i]))
            i++, digits++;
    }
    if (digits > 0 && (t[i] == 'e' || t[i] == 'E')) {
        size_t j = i + 1;
        if (t[j] == '+' || t[j] == '-')
            j++;
        if (!cp__is_digit(t[j]))
            return cp__fail(P, at, "bad number '%.*s'", (int)(j - at), t + at);
        while (cp__is_digit(t[j]))
            j++;
        i = j;
    }
    if (digits == 0 || cp__is_name(t[i], 0) || t[i] == '.') {
        while (cp__is_name(t[i], 0) || t[i] == '.')
            i++;
        return cp__fail(P, at, "bad number '%.*s'", (int)(i - at), t + at);
    }
    char buf[64];
    if (i - at >= sizeof buf)
        return cp__fail(P, at, "number too long");
    memcpy(buf, t + at, i - at);
    buf[i - at] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + (i - at) || !isfinite(v))
        return cp__fail(P, at, "bad number '%s'", buf);
    k->kind = TK_NUM;
    k->num = v;
    k->end = i;
    return KF_OK;
}

/* A quoted string, unescaped into the string buffer. */
static int cp__lex_string(struct cparse *P, struct token *k)
{
    const char *t = P->t;
    char q = t[P->pos];
    size_t i = P->pos + 1;
    char *out = P->sp;
    k->s = out;
    for (;;) {
        char ch = t[i];
        if (ch == '\0')
            return cp__fail(P, P->pos, "unterminated string");
        if (ch == q)
            break;
        if (ch == '\\') {
            char e = t[i + 1];
            switch (e) {
            case '\\':
            case '"':
            case '\'':
                ch = e;
                break;
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case '\0':
                return cp__fail(P, P->pos, "unterminated string");
            default:
                return cp__fail(P, i, "unknown escape '\\%c' (use \\\\ \\\" \\' \\n \\t)", e);
            }
            i++;
        }
        *out++ = ch;
        i++;
    }
    k->len = (size_t)(out - k->s);
    *out++ = '\0';
    P->sp = out;
    k->kind = TK_STR;
    k->end = i + 1;
    return KF_OK;
}

static const struct {
    const char *word;
    enum tk_kind kind;
} cp__keywords[] = {{"and", TK_AND},   {"or", TK_OR},       {"not", TK_NOT},  {"in", TK_IN},
                    {"true", TK_TRUE}, {"false", TK_FALSE}, {"null", TK_NULL}};

/* A keyword or a dotted field path (segments copied, NUL-separated). */
static int cp__lex_word(struct cparse *P, struct token *k)
{
    const char *t = P->t;
    size_t i = P->pos;
    while (cp__is_name(t[i], 0))
        i++;
    if (t[i] != '.') {
        for (size_t w = 0; w < sizeof cp__keywords / sizeof cp__keywords[0]; w++) {
            if (strlen(cp__keywords[w].word) == i - P->pos &&
                memcmp(cp__keywords[w].word, t + P->pos, i - P->pos) == 0) {
                k->kind = cp__keywords[w].kind;
                k->end = i;
                return KF_OK;
            }
        }
    }
    char *out = P->sp;
    k->s = out;
    k->len = 0;
    size_t seg = P->pos;
    for (;;) {
        memcpy(out, t + seg, i - seg);
        out += i - seg;
        *out++ = '\0';
        k->len++;
        if (t[i] != '.')
            break;
        seg = ++i;
        while (cp__is_name(t[i], 0))
            i++;
        if (i == seg)
            return cp__fail(P, seg, "expected a field name after '.'");
    }
    P->sp = out;
    k->kind = TK_FIELD;
    k->end = i;
    return KF_OK;
}

/* The operators and punctuation; 0 when `ch` starts none. */
static int cp__lex_punct(struct cparse *P, struct token *k)
{
    const char *t = P->t + P->pos;
    static const struct {
        const char *s;
        enum tk_kind kind;
        int op;
    } ops[] = {{"==", TK_OP, OP_EQ}, {"!=", TK_OP, OP_NE}, {"<=", TK_OP, OP_LE},
               {">=", TK_OP, OP_GE}, {"&&", TK_AND, 0},    {"||", TK_OR, 0},
               {"<", TK_OP, OP_LT},  {">", TK_OP, OP_GT},  {"!", TK_NOT, 0},
               {"(", TK_LP, 0},      {")", TK_RP, 0},      {"[", TK_LB, 0},
               {"]", TK_RB, 0},      {",", TK_COMMA, 0}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].s);
        if (strncmp(t, ops[i].s, n) == 0) {
            k->kind = ops[i].kind;
            k->op = ops[i].op;
            k->end = P->pos + n;
            return 1;
        }
    }
    return 0;
}

/* Read the next token into P->tok. */
static int cp__next(struct cparse *P)
{
    const char *t = P->t;
    while (t[P->pos] == ' ' || t[P->pos] == '\t' || t[P->pos] == '\n' || t[P->pos] == '\r')
        P->pos++;
    struct token *k = &P->tok;
    memset(k, 0, sizeof *k);
    k->at = P->pos;
    char ch = t[P->pos];
    int rc = KF_OK;
    if (ch == '\0') {
        k->kind = TK_END;
        k->end = P->pos;
    } else if (cp__is_digit(ch) ||
               (ch == '-' && (cp__is_digit(t[P->pos + 1]) || t[P->pos + 1] == '.')) ||
               (ch == '.' && cp__is_digit(t[P->pos + 1]))) {
        rc = cp__lex_number(P, k);
    } else if (ch == '"' || ch == '\'') {
        rc = cp__lex_string(P, k);
    } else if (cp__is_name(ch, 1)) {
        rc = cp__lex_word(P, k);
    } else if (!cp__lex_punct(P, k)) {
        if (ch == '=')
            return cp__fail(P, P->pos, "'=' is not an operator (use '==')");
        if (ch == '&' || ch == '|')
            return cp__fail(P, P->pos, "'%c' is not an operator (use '%c%c')", ch, ch, ch);
        uint32_t cp = 0;
        int n = kf_utf8_decode(t + P->pos, P->len - P->pos, &cp);
        return cp__fail(P, P->pos, "unexpected character '%.*s'", n > 0 ? n : 1, t + P->pos);
    }
    if (rc == KF_OK)
        P->pos = k->end;
    return rc;
}

/* ----------------------------------------------------------------- parser */

static int cp__node(struct cparse *P, enum cn_kind kind)
{
    struct cnode *n = &P->c->nodes[P->c->n];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)kind;
    n->a = n->b = n->next = -1;
    return P->c->n++;
}

static int cp__or(struct cparse *P, int *out);

static int cp__is_literal(enum tk_kind k)
{
    return k == TK_NUM || k == TK_STR || k == TK_TRUE || k == TK_FALSE || k == TK_NULL;
}

/* The current token, a literal or a field, as a node. */
static int cp__leaf(struct cparse *P, int *out)
{
    static const enum cn_kind kinds[] = {
        [TK_NUM] = CN_NUM,     [TK_STR] = CN_STR,   [TK_TRUE] = CN_TRUE,
        [TK_FALSE] = CN_FALSE, [TK_NULL] = CN_NULL, [TK_FIELD] = CN_FIELD};
    int i = cp__node(P, kinds[P->tok.kind]);
    struct cnode *n = &P->c->nodes[i];
    n->num = P->tok.num;
    n->s = P->tok.s;
    n->len = P->tok.len;
    *out = i;
    return cp__next(P);
}

static int cp__list(struct cparse *P, int *out)
{
    int list = cp__node(P, CN_LIST), last = -1, rc;
    *out = list;
    if ((rc = cp__next(P)) != KF_OK)
        return rc;
    if (P->tok.kind == TK_RB)
        return cp__next(P);
    for (;;) {
        if (!cp__is_literal(P->tok.kind))
            return cp__fail(P, P->tok.at, "expected a literal in the list");
        int item;
        if ((rc = cp__leaf(P, &item)) != KF_OK)
            return rc;
        if (last < 0)
            P->c->nodes[list].a = item;
        else
            P->c->nodes[last].next = item;
        last = item;
        if (P->tok.kind == TK_RB)
            return cp__next(P);
        if (P->tok.kind != TK_COMMA)
            return cp__fail(P, P->tok.at, "expected ',' or ']' in the list");
        if ((rc = cp__next(P)) != KF_OK)
            return rc;
    }
}

static int cp__enter(struct cparse *P)
{
    if (++P->depth > KF_COND_MAX_DEPTH)
        return cp__fail(P, P->tok.at, "nested deeper than %d", KF_COND_MAX_DEPTH);
    return KF_OK;
}

static int cp__operand(struct cparse *P, int *out)
{
    int rc;
    switch (P->tok.kind) {
    case TK_LP: {
        size_t open = P->tok.at;
        if ((rc = cp__enter(P)) != KF_OK || (rc = cp__next(P)) != KF_OK ||
            (rc = cp__or(P, out)) != KF_OK)
            return rc;
        if (P->tok.kind != TK_RP)
            return cp__fail(P, P->tok.at, "expected ')' to close the '(' at col %zu",
                            kf_utf8_count(P->t, open) + 1);
        P->depth--;
        return cp__next(P);
    }
    case TK_LB:
        return cp__list(P, out);
    case TK_NUM:
    case TK_STR:
    case TK_TRUE:
    case TK_FALSE:
    case TK_NULL:
    case TK_FIELD:
        return cp__leaf(P, out);
    case TK_END:
        return cp__fail(P, P->tok.at, "expected a value at the end");
    default:
        return cp__fail(P, P->tok.at, "expected a value");
    }
}

/* After `not` in a comparison position: it must be `not in`. */
static int cp__not_in(struct cparse *P)
{
    size_t at = P->tok.at;
    int rc = cp__next(P);
    if (rc == KF_OK && P->tok.kind != TK_IN)
        rc = cp__fail(P, at, "expected 'in' after 'not'");
    return rc;
}

static int cp__cmp(struct cparse *P, int *out)
{
    int left, right, rc;
    if ((rc = cp__operand(P, &left)) != KF_OK)
        return rc;
    *out = left;
    enum tk_kind k = P->tok.kind;
    if (k != TK_OP && k != TK_IN && k != TK_NOT)
        return KF_OK;
    int op = P->tok.op;
    enum cn_kind kind = k == TK_OP ? CN_CMP : CN_IN;
    if (k == TK_NOT) {
        if ((rc = cp__not_in(P)) != KF_OK)
            return rc;
        kind = CN_NOTIN;
    }
    size_t at_right;
    if ((rc = cp__next(P)) != KF_OK)
        return rc;
    at_right = P->tok.at;
    if ((rc = cp__operand(P, &right)) != KF_OK)
        return rc;
    if (kind != CN_CMP && P->c->nodes[right].kind != CN_LIST && P->c->nodes[right].kind != CN_FIELD)
        return cp__fail(P, at_right, "expected a list or a field after 'in'");
    if (P->tok.kind == TK_OP || P->tok.kind == TK_IN)
        return cp__fail(P, P->tok.at, "comparisons do not chain (use 'and')");
    int n = cp__node(P, kind);
    P->c->nodes[n].op = (unsigned char)op;
    P->c->nodes[n].a = left;
    P->c->nodes[n].b = right;
    *out = n;
    return KF_OK;
}

static int cp__unary(struct cparse *P, int *out)
{
    if (P->tok.kind != TK_NOT)
        return cp__cmp(P, out);
    int rc, x;
    if ((rc = cp__enter(P)) != KF_OK || (rc = cp__next(P)) != KF_OK ||
        (rc = cp__unary(P, &x)) != KF_OK)
        return rc;
    P->depth--;
    *out = cp__node(P, CN_NOT);
    P->c->nodes[*out].a = x;
    return KF_OK;
}

/* One n-ary level: sub { tok sub }. */
static int cp__chain(struct cparse *P, enum tk_kind tok, enum cn_kind kind,
                     int (*sub)(struct cparse *, int *), int *out)
{
    int first, rc;
    if ((rc = sub(P, &first)) != KF_OK)
        return rc;
    *out = first;
    if (P->tok.kind != tok)
        return KF_OK;
    int node = cp__node(P, kind), last = first;
    P->c->nodes[node].a = first;
    *out = node;
    while (P->tok.kind == tok) {
        int x;
        if ((rc = cp__next(P)) != KF_OK || (rc = sub(P, &x)) != KF_OK)
            return rc;
        P->c->nodes[last].next = x;
        last = x;
    }
    return KF_OK;
}

static int cp__and(struct cparse *P, int *out)
{
    return cp__chain(P, TK_AND, CN_AND, cp__unary, out);
}

static int cp__or(struct cparse *P, int *out)
{
    return cp__chain(P, TK_OR, CN_OR, cp__and, out);
}

int kf_cond_parse(const char *text, struct kf_cond **out, struct kf_err *err)
{
    *out = NULL;
    if (text == NULL)
        return kf_errorf(err, KF_EINVAL, "condition: missing");
    size_t len = strnlen(text, KF_COND_MAX_TEXT + 1);
    if (len > KF_COND_MAX_TEXT)
        return kf_errorf(err, KF_EPARSE, "condition longer than %d bytes", KF_COND_MAX_TEXT);
    if (!kf_utf8_valid_text(text, len))
        return kf_errorf(err, KF_EPARSE, "condition: not valid UTF-8");
    struct kf_cond *c = kf_calloc(1, sizeof *c);
    if (c != NULL) {
        c->nodes = kf_calloc(len + 1, sizeof *c->nodes);
        c->strs = kf_malloc(2 * len + 2);
    }
    if (c == NULL || c->nodes == NULL || c->strs == NULL) {
        kf_cond_free(c);
        return kf_errorf(err, KF_ENOMEM, "condition: out of memory");
    }
    struct cparse P = {.t = text, .len = len, .c = c, .sp = c->strs, .err = err};
    int rc = cp__next(&P);
    if (rc == KF_OK)
        rc = cp__or(&P, &c->root);
    if (rc == KF_OK && P.tok.kind != TK_END)
        rc = P.tok.kind == TK_RP ? cp__fail(&P, P.tok.at, "')' without a matching '('")
                                 : cp__fail(&P, P.tok.at, "expected 'and', 'or' or the end");
    if (rc != KF_OK) {
        kf_cond_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}

void kf_cond_free(struct kf_cond *c)
{
    if (c == NULL)
        return;
    kf_free(c->nodes);
    kf_free(c->strs);
    kf_free(c);
}

/* -------------------------------------------------------------- evaluator */

enum cv_kind { CV_NULL, CV_BOOL, CV_NUM, CV_STR, CV_JSON, CV_LIST };

struct cval {
    enum cv_kind k;
    int b;
    double num;
    const char *s;
    size_t len;
    json_t *j; /* CV_JSON: an array or object */
    int list;  /* CV_LIST: the list node */
};

static int ce__truth(const struct kf_cond *c, int i, json_t *subj);

static struct cval ce__from_json(json_t *j)
{
    struct cval v = {.k = CV_NULL};
    if (json_is_boolean(j)) {
        v.k = CV_BOOL;
        v.b = json_is_true(j);
    } else if (json_is_number(j)) {
        v.k = CV_NUM;
        v.num = json_number_value(j);
    } else if (json_is_string(j)) {
        v.k = CV_STR;
        v.s = json_string_value(j);
        v.len = json_string_length(j);
    } else if (json_is_array(j) || json_is_object(j)) {
        v.k = CV_JSON;
        v.j = j;
    }
    return v;
}

/* Follow a field's segments from the subject; NULL when any step is missing. */
static json_t *ce__field(const struct cnode *n, json_t *subj)
{
    json_t *cur = subj;
    const char *seg = n->s;
    for (size_t i = 0; i < n->len && cur != NULL; i++) {
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur) && cp__is_digit(seg[0]) && strlen(seg) <= 9) {
            cur = json_array_get(cur, strtoul(seg, NULL, 10));
        } else {
            cur = NULL;
        }
        seg += strlen(seg) + 1;
    }
    return cur;
}

static struct cval ce__value(const struct kf_cond *c, int i, json_t *subj)
{
    const struct cnode *n = &c->nodes[i];
    struct cval v = {.k = CV_NULL};
    switch ((enum cn_kind)n->kind) {
    case CN_FIELD:
        return ce__from_json(ce__field(n, subj));
    case CN_NUM:
        v.k = CV_NUM;
        v.num = n->num;
        return v;
    case CN_STR:
        v.k = CV_STR;
        v.s = n->s;
        v.len = n->len;
        return v;
    case CN_TRUE:
    case CN_FALSE:
        v.k = CV_BOOL;
        v.b = n->kind == CN_TRUE;
        return v;
    case CN_NULL:
        return v;
    case CN_LIST:
        v.k = CV_LIST;
        v.list = i;
        return v;
    default:
        v.k = CV_BOOL;
        v.b = ce__truth(c, i, subj);
        return v;
    }
}

/* Three-way order of two values of one kind; 2 when they do not order. */
static int ce__order(struct cval a, struct cval b)
{
    if (a.k != b.k)
        return 2;
    switch (a.k) {
    case CV_NUM:
        return a.num < b.num ? -1 : a.num > b.num ? 1 : a.num == b.num ? 0 : 2;
    case CV_STR: {
        int r = memcmp(a.s, b.s, a.len < b.len ? a.len : b.len);
        if (r == 0)
            r = a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
        return r < 0 ? -1 : r > 0 ? 1 : 0;
    }
    default:
        return 2;
    }
}

/* Equality: 1 equal, 0 not equal, -1 not comparable (null or mismatched). */
static int ce__equal(struct cval a, struct cval b)
{
    if (a.k != b.k || a.k == CV_NULL || a.k == CV_LIST)
        return -1;
    if (a.k == CV_BOOL)
        return a.b == b.b;
    if (a.k == CV_JSON)
        return json_equal(a.j, b.j) ? 1 : 0;
    return ce__order(a, b) == 0;
}

static int ce__compare(const struct kf_cond *c, const struct cnode *n, json_t *subj)
{
    struct cval a = ce__value(c, n->a, subj), b = ce__value(c, n->b, subj);
    int lit_null = c->nodes[n->a].kind == CN_NULL || c->nodes[n->b].kind == CN_NULL;
    if (lit_null) {
        int both = a.k == CV_NULL && b.k == CV_NULL;
        return n->op == OP_EQ ? both : n->op == OP_NE ? !both : 0;
    }
    if (n->op == OP_EQ || n->op == OP_NE) {
        int eq = ce__equal(a, b);
        return eq < 0 ? 0 : n->op == OP_EQ ? eq : !eq;
    }
    int o = ce__order(a, b);
    if (o == 2)
        return 0;
    switch (n->op) {
    case OP_LT:
        return o < 0;
    case OP_LE:
        return o <= 0;
    case OP_GT:
        return o > 0;
    default:
        return o >= 0;
    }
}

/* Membership: the left value equals an element (null matches null). */
static int ce__member(struct cval v, struct cval b)
{
    if (v.k == CV_NULL)
        return 0;
    if (b.k == CV_JSON && json_is_array(b.j)) {
        size_t i;
        json_t *e;
        json_array_foreach(b.j, i, e) if (ce__equal(v, ce__from_json(e)) == 1) return 1;
    }
    return 0;
}

static int ce__in(const struct kf_cond *c, const struct cnode *n, json_t *subj)
{
    struct cval v = ce__value(c, n->a, subj), b = ce__value(c, n->b, subj);
    if (b.k != CV_LIST)
        return ce__member(v, b);
    for (int i = c->nodes[b.list].a; i >= 0; i = c->nodes[i].next) {
        struct cval e = ce__value(c, i, subj);
        if ((v.k == CV_NULL && e.k == CV_NULL) || ce__equal(v, e) == 1)
            return 1;
    }
    return 0;
}

static int ce__truth(const struct kf_cond *c, int i, json_t *subj)
{
    const struct cnode *n = &c->nodes[i];
    switch ((enum cn_kind)n->kind) {
    case CN_OR:
        for (int k = n->a; k >= 0; k = c->nodes[k].next)
            if (ce__truth(c, k, subj))
                return 1;
        return 0;
    case CN_AND:
        for (int k = n->a; k >= 0; k = c->nodes[k].next)
            if (!ce__truth(c, k, subj))
                return 0;
        return 1;
    case CN_NOT:
        return !ce__truth(c, n->a, subj);
    case CN_CMP:
        return ce__compare(c, n, subj);
    case CN_IN:
        return ce__in(c, n, subj);
    case CN_NOTIN:
        return !ce__in(c, n, subj);
    default:
        break;
    }
    struct cval v = ce__value(c, i, subj);
    switch (v.k) {
    case CV_BOOL:
        return v.b;
    case CV_NUM:
        return v.num != 0;
    case CV_STR:
        return v.len > 0;
    case CV_JSON:
        return json_is_array(v.j) ? json_array_size(v.j) > 0 : json_object_size(v.j) > 0;
    case CV_LIST:
        return c->nodes[v.list].a >= 0;
    default:
        return 0;
    }
}

int kf_cond_eval(const struct kf_cond *c, json_t *subject)
{
    if (c == NULL)
        return 0;
    return ce__truth(c, c->root, subject) ? 1 : 0;
}
