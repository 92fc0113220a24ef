/*
 * kb.c — BM25 retrieval over FAQ questions and whole entries (see kb.h).
 *
 * Two inverted indexes share one design (struct bm25):
 *   questions  one document per question or paraphrase;
 *   entries    one document per entry: all its questions plus any context
 *              text (the answer), so words that only the answer or another
 *              paraphrase uses still count.
 * Terms map to dense ids through a kf_map; each term owns a postings vector
 * of (doc, tf). A search accumulates scores into arrays sized by the document
 * counts, normalises each by the query's self-score and mixes the two.
 */
#include "kefu/kb.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/text.h"

struct posting {
    uint32_t doc;
    uint32_t tf;
};

struct term {
    struct posting *p;
    size_t n, cap;
    double idf;
};

struct bm25 {
    struct kf_map *ids; /* term → id + 1 */
    struct term *terms;
    size_t nterms, cap_terms;
    uint32_t *len; /* terms per document */
    size_t ndocs, cap_docs;
    double avglen;
};

struct kf_kb {
    struct kf_kb_params params;
    struct bm25 q;   /* questions */
    struct bm25 e;   /* entries */
    int *q_entry;    /* entry of each question */
    size_t cap_qe;
    double typical_self; /* median self-score of the indexed questions */
    int built;
};

struct kf_kb_params kf_kb_default_params(void)
{
    return (struct kf_kb_params){.k1 = 1.2, .b = 0.5, .entry_weight = 0.7,
                                 .min_evidence = 0.5};
}

/* ---- one BM25 index ---------------------------------------------------- */

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return KF_OK;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *p = kf_realloc(*v, c * elem);
    if (p == NULL)
        return KF_ENOMEM;
    *v = p;
    *cap = c;
    return KF_OK;
}

static int bm25_init(struct bm25 *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->ids = kf_map_new(1024);
    return ix->ids ? KF_OK : KF_ENOMEM;
}

static void bm25_release(struct bm25 *ix)
{
    for (size_t i = 0; i < ix->nterms; i++)
        kf_free(ix->terms[i].p);
    kf_free(ix->terms);
    kf_free(ix->len);
    kf_map_free(ix->ids);
}

/* Make sure document `doc` exists (documents are numbered densely). */
static int bm25_doc(struct bm25 *ix, size_t doc)
{
    if (doc < ix->ndocs)
        return KF_OK;
    if (grow((void **)&ix->len, &ix->cap_docs, doc + 1, sizeof *ix->len) != KF_OK)
        return KF_ENOMEM;
    while (ix->ndocs <= doc)
        ix->len[ix->ndocs++] = 0;
    return KF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add sorted terms to document `doc` (which may already have some). */
static int bm25_add(struct bm25 *ix, size_t doc, const struct kf_terms *t)
{
    if (bm25_doc(ix, doc) != KF_OK)
        return KF_ENOMEM;
    for (size_t i = 0; i < t->n;) {
        size_t j = i + 1;
        while (j < t->n && strcmp(t->v[i], t->v[j]) == 0)
            j++;
        size_t len = strlen(t->v[i]);
        void *v = kf_map_get(ix->ids, t->v[i], len);
        size_t id;
        if (v != NULL) {
            id = (size_t)(uintptr_t)v - 1;
        } else {
            if (grow((void **)&ix->terms, &ix->cap_terms, ix->nterms + 1, sizeof *ix->terms) !=
                    KF_OK ||
                kf_map_put(ix->ids, t->v[i], len, (void *)(uintptr_t)(ix->nterms + 1), NULL) !=
                    KF_OK)
                return KF_ENOMEM;
            memset(&ix->terms[ix->nterms], 0, sizeof ix->terms[0]);
            id = ix->nterms++;
        }
        struct term *tm = &ix->terms[id];
        if (tm->n > 0 && tm->p[tm->n - 1].doc == doc) {
            tm->p[tm->n - 1].tf += (uint32_t)(j - i);
        } else {
            if (grow((void **)&tm->p, &tm->cap, tm->n + 1, sizeof *tm->p) != KF_OK)
                return KF_ENOMEM;
            tm->p[tm->n++] = (struct posting){(uint32_t)doc, (uint32_t)(j - i)};
        }
        i = j;
    }
    ix->len[doc] += (uint32_t)t->n;
    return KF_OK;
}

static double idf_of(size_t ndocs, size_t df)
{
    return log(1.0 + ((double)ndocs - (double)df + 0.5) / ((double)df + 0.5));
}

static void bm25_build(struct bm25 *ix)
{
    double total = 0;
    for (size_t i = 0; i < ix->ndocs; i++)
        total += ix->len[i];
    ix->avglen = ix->ndocs ? total / (double)ix->ndocs : 1;
    if (ix->avglen <= 0)
        ix->avglen = 1;
    for (size_t i = 0; i < ix->nterms; i++)
        ix->terms[i].idf = idf_of(ix->ndocs, ix->terms[i].n);
}

static double tfw(const struct kf_kb_params *p, double tf, double len, double avglen)
{
    return tf * (p->k1 + 1.0) / (tf + p->k1 * (1.0 - p->b + p->b * len / avglen));
}

/* Scores of every document for sorted query terms; returns the self-score
 * (the query scored against a document equal to itself). */
static double bm25_score(const struct bm25 *ix, const struct kf_kb_params *p,
                         const struct kf_terms *q, double *score)
{
    double self = 0;
    for (size_t i = 0; i < q->n;) {
        size_t j = i + 1;
        while (j < q->n && strcmp(q->v[i], q->v[j]) == 0)
            j++;
        void *v = kf_map_get(ix->ids, q->v[i], strlen(q->v[i]));
        const struct term *t = v ? &ix->terms[(uintptr_t)v - 1] : NULL;
        double idf = t ? t->idf : idf_of(ix->ndocs, 0);
        self += idf * tfw(p, (double)(j - i), (double)q->n, ix->avglen);
        for (size_t k = 0; t && k < t->n; k++) {
            const struct posting *ps = &t->p[k];
            score[ps->doc] += t->idf * tfw(p, ps->tf, ix->len[ps->doc], ix->avglen);
        }
        i = j;
    }
    return self;
}

/* ---- the kb ------------------------------------------------------------ */

struct kf_kb *kf_kb_new(struct kf_kb_params params)
{
    struct kf_kb *kb = kf_calloc(1, sizeof *kb);
    if (kb == NULL)
        return NULL;
    kb->params = params;
    if (bm25_init(&kb->q) != KF_OK || bm25_init(&kb->e) != KF_OK) {
        kf_kb_free(kb);
        return NULL;
    }
    return kb;
}

void kf_kb_free(struct kf_kb *kb)
{
    if (kb == NULL)
        return;
    bm25_release(&kb->q);
    bm25_release(&kb->e);
    kf_free(kb->q_entry);
    kf_free(kb);
}

static int kb__add(struct kf_kb *kb, int entry, const char *text, size_t len, int question,
                   struct kf_err *err)
{
    if (kb->built)
        return kf_errorf(err, KF_EINVAL, "kb: already built");
    if (entry < 0 || entry > 1000000)
        return kf_errorf(err, KF_EINVAL, "kb: entry %d out of range", entry);
    struct kf_arena *a = kf_arena_new(0, 0);
    if (a == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct kf_terms terms;
    int rc = kf_text_analyze(text, len, a, &terms, err);
    if (rc == KF_OK && terms.n == 0 && question)
        rc = kf_errorf(err, KF_EINVAL, "kb: question has no words: '%.*s'",
                       (int)(len > 80 ? 80 : len), text);
    if (rc == KF_OK) {
        if (terms.n > 0)
            qsort(terms.v, terms.n, sizeof *terms.v, cmp_str);
        size_t qdoc = kb->q.ndocs;
        if (question &&
            (grow((void **)&kb->q_entry, &kb->cap_qe, qdoc + 1, sizeof *kb->q_entry) != KF_OK ||
             bm25_add(&kb->q, qdoc, &terms) != KF_OK))
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        else if (question)
            kb->q_entry[qdoc] = entry;
        if (rc == KF_OK && bm25_add(&kb->e, (size_t)entry, &terms) != KF_OK)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    kf_arena_free(a);
    return rc;
}

int kf_kb_add(struct kf_kb *kb, int entry, const char *question, size_t len, struct kf_err *err)
{
    return kb__add(kb, entry, question, len, 1, err);
}

int kf_kb_add_context(struct kf_kb *kb, int entry, const char *text, size_t len,
                      struct kf_err *err)
{
    return kb__add(kb, entry, text, len, 0, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int kf_kb_build(struct kf_kb *kb, struct kf_err *err)
{
    if (kb->q.ndocs == 0)
        return kf_errorf(err, KF_EINVAL, "kb: no questions");
    bm25_build(&kb->q);
    bm25_build(&kb->e);
    /* self-score of every question: sum over its postings of idf * tf weight */
    double *self = kf_calloc(kb->q.ndocs, sizeof *self);
    if (self == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; i < kb->q.nterms; i++) {
        const struct term *t = &kb->q.terms[i];
        for (size_t k = 0; k < t->n; k++)
            self[t->p[k].doc] += t->idf * tfw(&kb->params, t->p[k].tf, kb->q.len[t->p[k].doc],
                                              kb->q.avglen);
    }
    qsort(self, kb->q.ndocs, sizeof *self, cmp_double);
    kb->typical_self = self[kb->q.ndocs / 2];
    kf_free(self);
    kb->built = 1;
    return KF_OK;
}

int kf_kb_search(const struct kf_kb *kb, const char *text, size_t len, struct kf_arena *a,
                 struct kf_kb_hit *hits, size_t max, size_t *n, struct kf_err *err)
{
    *n = 0;
    if (!kb->built)
        return kf_errorf(err, KF_EINVAL, "kb: not built");
    struct kf_terms terms;
    int rc = kf_text_analyze(text, len, a, &terms, err);
    if (rc != KF_OK)
        return rc;
    if (terms.n == 0 || max == 0)
        return KF_OK;
    size_t nq = kb->q.ndocs, ne = kb->e.ndocs;
    double *qs = kf_arena_calloc(a, nq, sizeof *qs);
    double *es = kf_arena_calloc(a, ne, sizeof *es);
    int *best_q = kf_arena_alloc(a, ne * sizeof *best_q);
    if (qs == NULL || es == NULL || best_q == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");

    qsort(terms.v, terms.n, sizeof *terms.v, cmp_str);
    double qself = bm25_score(&kb->q, &kb->params, &terms, qs);
    double eself = bm25_score(&kb->e, &kb->params, &terms, es);

    for (size_t e = 0; e < ne; e++)
        best_q[e] = -1;
    for (size_t q = 0; q < nq; q++) {
        if (qs[q] <= 0)
            continue;
        int e = kb->q_entry[q];
        if (best_q[e] < 0 || qs[q] > qs[best_q[e]])
            best_q[e] = (int)q;
    }
    double w = kb->params.entry_weight;
    /* Evidence: a one-word query ("when", "钱") can match an entry perfectly
     * and still say little. Confidence is scaled down when the query carries
     * less than min_evidence of a typical question's information. */
    double need = kb->params.min_evidence * kb->typical_self;
    double evidence = need > 0 && qself < need ? qself / need : 1;
    size_t k = 0;
    for (size_t e = 0; e < ne; e++) {
        if (best_q[e] < 0 && es[e] <= 0)
            continue;
        double cq = best_q[e] >= 0 && qself > 0 ? qs[best_q[e]] / qself : 0;
        double ce = eself > 0 ? es[e] / eself : 0;
        double conf = evidence * ((1 - w) * (cq > 1 ? 1 : cq) + w * (ce > 1 ? 1 : ce));
        if (k == max && conf <= hits[k - 1].confidence)
            continue;
        size_t at = k < max ? k++ : max - 1;
        while (at > 0 && hits[at - 1].confidence < conf) {
            hits[at] = hits[at - 1];
            at--;
        }
        hits[at] = (struct kf_kb_hit){(int)e, best_q[e], best_q[e] >= 0 ? qs[best_q[e]] : 0,
                                      conf};
    }
    *n = k;
    return KF_OK;
}

size_t kf_kb_questions(const struct kf_kb *kb)
{
    return kb->q.ndocs;
}

size_t kf_kb_terms(const struct kf_kb *kb)
{
    return kb->q.nterms;
}
