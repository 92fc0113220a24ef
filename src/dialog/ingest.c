/*
 * ingest.c — events from outside into the store (ingest.h): JSON objects,
 * JSON lines and CSV streams, masked, in batches, a result per event.
 *
 * Design notes
 *   Stream → records: kf_ingest_feed takes bytes in pieces of any size and
 *   cuts them into records in one bounded buffer (KF_INGEST_LINE_MAX): a
 *   JSON line ends at '\n'; a CSV record ends at a '\n' outside quotes (the
 *   quote state is carried across pieces; "" toggles twice, so it needs no
 *   special case). A record past the bound is not kept: its bytes are
 *   skipped up to its end and it becomes one rejected result. Line numbers
 *   count every '\n', including those inside quoted CSV fields, so a record
 *   is named by the line it starts on.
 *
 *   Record → JSON object → event: a CSV row becomes the same JSON object a
 *   client would send (ingest.h lists the column mapping), so the one
 *   validator, kf_event_parse (events.h), judges every format and its
 *   messages name the same fields. Before parsing, kf_ingest_mask replaces
 *   personal data in the query and attribute values.
 *
 *   Batching: each record takes a slot (its number and, if it failed before
 *   the store, its error); parsed events go to a contiguous array for
 *   kf_events_ingest. When the slots are full (params.batch) or the input
 *   ends, the batch is written in one transaction and every slot's result
 *   is reported in input order. The batch's strings live in one arena,
 *   reset after each batch, so memory is bounded by one batch of records.
 *
 * Invariants: nevs ≤ nslots ≤ batch; every event in evs[0..nevs) was
 * parsed and is cleared (kf_event_clear) exactly once, at flush or free.
 */
#include "kefu/ingest.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/buf.h"
#include "kefu/log.h"
#include "kefu/mem.h"
#include "kefu/utf8.h"

#define ING_COLS_MAX 64        /* CSV columns: 13 known + attributes */
#define ING_ATTR_NAME_MAX 64
#define ING_ARENA_MAX (256u << 20) /* one batch of records at the line bound, and then some */

/* What a CSV column becomes in the event's JSON form. */
enum ing_col { COL_STR, COL_INT, COL_AT, COL_AMOUNT, COL_ITEMS, COL_ATTR };

static const struct {
    const char *name;
    enum ing_col kind;
} ing__columns[] = {
    {"event_id", COL_STR}, {"type", COL_STR},     {"customer_id", COL_INT},
    {"external_id", COL_STR}, {"channel", COL_STR}, {"at", COL_AT},
    {"sku", COL_STR},      {"category", COL_STR}, {"query", COL_STR},
    {"amount", COL_AMOUNT}, {"order_no", COL_STR}, {"items", COL_ITEMS},
    {"rec_id", COL_INT},
};
#define ING_NCOLUMNS (sizeof ing__columns / sizeof ing__columns[0])

struct ing_slot {
    long long n;
    long ev;            /* index into evs, or -1: rejected before the store */
    struct kf_err err;  /* why, when ev < 0 */
};

struct kf_ingest {
    struct kf_ingest_params p;
    struct kf_store *store; /* p.store, or the engine's; NULL: check only */
    struct kf_arena *arena; /* the batch's strings */
    struct ing_slot *slots;
    size_t nslots;
    struct kf_event *evs;
    size_t nevs;
    enum kf_event_status *status;
    struct kf_err *errs; /* per event: the store's reason for a rejection */
    struct kf_ingest_stats stats;
    /* the stream */
    struct kf_buf rec;
    long long line;   /* the line the current record starts on */
    long long rec_nl; /* newlines inside the current (quoted) record */
    int in_quotes, too_long, nul, seen_first;
    /* CSV header */
    int have_header;
    size_t ncols;
    char *cols[ING_COLS_MAX]; /* kf_malloc'd names */
    enum ing_col kinds[ING_COLS_MAX];
};

struct kf_ingest_params kf_ingest_default_params(void)
{
    return (struct kf_ingest_params){.pii = kf_pii_default_policy(),
                                     .format = KF_INGEST_JSONL,
                                     .batch = KF_EVENTS_BATCH_MAX};
}

int kf_ingest_new(struct kf_ingest_params p, struct kf_ingest **out, struct kf_err *err)
{
    *out = NULL;
    if (p.batch == 0)
        p.batch = KF_EVENTS_BATCH_MAX;
    if (p.batch > KF_EVENTS_BATCH_MAX)
        return kf_errorf(err, KF_EINVAL, "batch: %zu is more than %d", p.batch,
                         KF_EVENTS_BATCH_MAX);
    if (p.format != KF_INGEST_JSONL && p.format != KF_INGEST_CSV)
        return kf_errorf(err, KF_EINVAL, "format: unknown");
    struct kf_ingest *ing = kf_calloc(1, sizeof *ing);
    if (ing == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    ing->p = p;
    ing->store = p.store;
    ing->arena = kf_arena_new(64 * 1024, ING_ARENA_MAX);
    ing->slots = kf_calloc(p.batch, sizeof *ing->slots);
    ing->evs = kf_calloc(p.batch, sizeof *ing->evs);
    ing->status = kf_calloc(p.batch, sizeof *ing->status);
    ing->errs = kf_calloc(p.batch, sizeof *ing->errs);
    kf_buf_init(&ing->rec, KF_INGEST_LINE_MAX);
    ing->line = 1;
    if (ing->arena == NULL || ing->slots == NULL || ing->evs == NULL || ing->status == NULL ||
        ing->errs == NULL) {
        kf_ingest_free(ing);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    *out = ing;
    return KF_OK;
}

static void ing__clear_batch(struct kf_ingest *ing)
{
    for (size_t i = 0; i < ing->nevs; i++)
        kf_event_clear(&ing->evs[i]);
    ing->nevs = 0;
    ing->nslots = 0;
    kf_arena_reset(ing->arena);
}

void kf_ingest_free(struct kf_ingest *ing)
{
    if (ing == NULL)
        return;
    if (ing->evs != NULL)
        ing__clear_batch(ing);
    for (size_t i = 0; i < ing->ncols; i++)
        kf_free(ing->cols[i]);
    kf_buf_release(&ing->rec);
    kf_arena_free(ing->arena);
    kf_free(ing->slots);
    kf_free(ing->evs);
    kf_free(ing->status);
    kf_free(ing->errs);
    kf_free(ing);
}

void kf_ingest_stats(const struct kf_ingest *ing, struct kf_ingest_stats *out)
{
    *out = ing->stats;
}

/* ---- masking ------------------------------------------------------------ */

/* text → masked copy in the arena; *changed when anything was replaced. */
static int ing__mask_text(const char *text, size_t len, struct kf_engine *engine,
                          const struct kf_pii_policy *p, struct kf_arena *a, char **out,
                          size_t *out_len, int *changed, struct kf_err *err)
{
    int rc;
    if (engine != NULL) {
        rc = kf_engine_mask(engine, text, len, a, out, out_len, err);
        *changed = rc == KF_OK && (*out_len != len || memcmp(*out, text, len) != 0);
        return rc;
    }
    struct kf_pii_result res;
    rc = kf_pii_apply(text, len, p, a, &res, err);
    if (rc != KF_OK)
        return rc;
    *out = res.text;
    *out_len = res.len;
    *changed = res.n > 0;
    return KF_OK;
}

/* The masked form of a string or integer value, or NULL when nothing was
 * personal (or the value is of another type). */
static int ing__mask_value(json_t *v, struct kf_engine *engine, const struct kf_pii_policy *p,
                           struct kf_arena *a, json_t **repl, struct kf_err *err)
{
    char num[32];
    const char *text;
    size_t len;
    *repl = NULL;
    if (json_is_string(v)) {
        text = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        len = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        text = num;
    } else {
        return KF_OK;
    }
    char *m;
    size_t mlen;
    int changed = 0;
    int rc = ing__mask_text(text, len, engine, p, a, &m, &mlen, &changed, err);
    if (rc != KF_OK || !changed)
        return rc;
    *repl = json_stringn(m, mlen);
    return *repl != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* A person's name keeps its first character, the rest become '*' ("王**",
 * "J***"), as the CRM keeps names; NULL when it is one character. */
static json_t *ing__mask_name(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), first = 0, chars = 0;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int k = kf_utf8_decode(s + i, n - i, &cp);
        if (k <= 0)
            return NULL;
        if (i == 0)
            first = (size_t)k;
        i += (size_t)k, chars++;
    }
    if (chars < 2)
        return NULL;
    char out[300];
    if (first + chars > sizeof out)
        return NULL;
    memcpy(out, s, first);
    memset(out + first, '*', chars - 1);
    return json_stringn(out, first + chars - 1);
}

static int ing__mask(json_t *obj, struct kf_engine *engine, const struct kf_pii_policy *p,
                     struct kf_arena *a, size_t *count, struct kf_err *err)
{
    json_t *repl;
    int rc;
    if (!json_is_object(obj))
        return KF_OK;
    json_t *q = json_object_get(obj, "query");
    if (q != NULL && json_is_string(q)) {
        if ((rc = ing__mask_value(q, engine, p, a, &repl, err)) != KF_OK)
            return kf_err_prefix(err, "query");
        if (repl != NULL) {
            json_object_set_new(obj, "query", repl);
            (*count)++;
        }
    }
    json_t *attrs = json_object_get(obj, "attributes");
    if (!json_is_object(attrs))
        return KF_OK;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
    {
        if (strcmp(k, "name") == 0 && json_is_string(v)) {
            if ((repl = ing__mask_name(v)) != NULL) {
                json_object_iter_set_new(attrs, json_object_key_to_iter(k), repl);
                (*count)++;
            }
            continue;
        }
        if ((rc = ing__mask_value(v, engine, p, a, &repl, err)) != KF_OK)
            return kf_err_prefix(err, "attributes.%.64s", k);
        if (repl != NULL) {
            /* replacing the value in place keeps the iteration valid */
            json_object_iter_set_new(attrs, json_object_key_to_iter(k), repl);
            (*count)++;
        }
    }
    return KF_OK;
}

int kf_ingest_mask(json_t *obj, struct kf_engine *engine, const struct kf_pii_policy *p,
                   size_t *count, struct kf_err *err)
{
    size_t local = 0;
    struct kf_pii_policy def = kf_pii_default_policy();
    struct kf_arena *a = kf_arena_new(4096, 1u << 20);
    if (a == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    int rc = ing__mask(obj, engine, p != NULL ? p : &def, a, count ? count : &local, err);
    kf_arena_free(a);
    return rc;
}

/* ---- batches ------------------------------------------------------------ */

static void ing__report(struct kf_ingest *ing, const struct ing_slot *s)
{
    struct kf_ingest_result r = {.n = s->n, .status = KF_EVENT_REJECTED};
    if (s->ev < 0) {
        r.message = s->err.msg;
    } else {
        r.event = &ing->evs[s->ev];
        r.status = ing->status[s->ev];
        if (r.status == KF_EVENT_REJECTED)
            r.message = ing->errs[s->ev].msg[0] ? ing->errs[s->ev].msg : "refused by the store";
    }
    if (r.status == KF_EVENT_ADDED)
        ing->stats.added++;
    else if (r.status == KF_EVENT_DUPLICATE)
        ing->stats.duplicates++;
    else
        ing->stats.rejected++;
    if (ing->p.on_result != NULL)
        ing->p.on_result(&r, ing->p.arg);
}

/* Write the batch and report every slot in input order. */
static int ing__flush(struct kf_ingest *ing, struct kf_err *err)
{
    if (ing->nslots == 0)
        return KF_OK;
    for (size_t i = 0; i < ing->nevs; i++) {
        ing->status[i] = KF_EVENT_ADDED;
        kf_err_clear(&ing->errs[i]);
    }
    if (ing->store != NULL && ing->nevs > 0) {
        struct kf_ingest_stats st = {0};
        int rc = kf_events_ingest(ing->store, ing->evs, ing->nevs, ing->p.now_ms, ing->status,
                                  ing->errs, &st, err);
        if (rc != KF_OK) {
            ing__clear_batch(ing);
            return rc;
        }
    }
    for (size_t i = 0; i < ing->nslots; i++)
        ing__report(ing, &ing->slots[i]);
    ing__clear_batch(ing);
    return KF_OK;
}

/* A new slot for record n (the batch is written first when full). */
static int ing__slot(struct kf_ingest *ing, long long n, struct ing_slot **out, struct kf_err *err)
{
    if (ing->nslots == ing->p.batch) {
        int rc = ing__flush(ing, err);
        if (rc != KF_OK)
            return rc;
    }
    struct ing_slot *s = &ing->slots[ing->nslots++];
    s->n = n;
    s->ev = -1;
    kf_err_clear(&s->err);
    *out = s;
    return KF_OK;
}

/* A record that failed before parsing: one rejected result. */
static int ing__reject(struct kf_ingest *ing, long long n, const char *msg, struct kf_err *err)
{
    struct ing_slot *s;
    int rc = ing__slot(ing, n, &s, err);
    if (rc == KF_OK)
        kf_errorf(&s->err, KF_EINVAL, "%s", msg);
    return rc;
}

int kf_ingest_object(struct kf_ingest *ing, json_t *obj, long long n, struct kf_err *err)
{
    struct ing_slot *s;
    int rc = ing__slot(ing, n, &s, err);
    if (rc != KF_OK)
        return rc;
    if (!json_is_object(obj)) {
        kf_errorf(&s->err, KF_EINVAL, "an event is a JSON object");
        return KF_OK;
    }
    if (ing->p.channel != NULL && json_object_get(obj, "channel") == NULL)
        json_object_set_new(obj, "channel", json_string(ing->p.channel));
    size_t masked = 0;
    rc = ing__mask(obj, ing->p.engine, &ing->p.pii, ing->arena, &masked, &s->err);
    if (rc == KF_ENOMEM)
        return kf_errorf(err, rc, "%s", s->err.msg);
    if (rc != KF_OK)
        return KF_OK; /* the slot says why */
    long long now = ing->p.now_ms > 0 ? ing->p.now_ms : kf_time_now_ms();
    struct kf_event *ev = &ing->evs[ing->nevs];
    rc = kf_event_parse(obj, now, ing->arena, ev, &s->err);
    if (rc == KF_ENOMEM)
        return kf_errorf(err, rc, "%s", s->err.msg);
    if (rc == KF_OK)
        s->ev = (long)ing->nevs++;
    return KF_OK;
}

/* ---- CSV ----------------------------------------------------------------- */

int kf_ingest_csv_split(const char *rec, size_t len, struct kf_arena *a, char **fields,
                        size_t max, size_t *n, struct kf_err *err)
{
    *n = 0;
    /* every field's text, NUL-terminated, one after another: ≤ 2 len + 2 */
    char *buf = kf_arena_alloc(a, 2 * len + 2), *o = buf;
    if (buf == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t i = 0;
    for (;;) {
        if (*n == max)
            return kf_errorf(err, KF_EPARSE, "more than %zu fields", max);
        size_t f = *n + 1;
        fields[(*n)++] = o;
        if (i < len && rec[i] == '"') {
            for (i++;; i++) {
                if (i >= len)
                    return kf_errorf(err, KF_EPARSE, "field %zu: no closing quote", f);
                if (rec[i] == '"') {
                    if (i + 1 < len && rec[i + 1] == '"') {
                        *o++ = '"';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = rec[i];
            }
            if (i < len && rec[i] != ',')
                return kf_errorf(err, KF_EPARSE, "field %zu: text after the closing quote", f);
        } else {
            for (; i < len && rec[i] != ','; i++) {
                if (rec[i] == '"')
                    return kf_errorf(err, KF_EPARSE,
                                     "field %zu: a quote inside an unquoted field (quote the "
                                     "whole field and double the quote)",
                                     f);
                *o++ = rec[i];
            }
        }
        *o++ = '\0';
        if (i >= len)
            return KF_OK;
        i++; /* the comma: another field follows, perhaps empty */
    }
}

static int ing__column(const char *name, enum ing_col *kind)
{
    for (size_t i = 0; i < ING_NCOLUMNS; i++)
        if (strcmp(name, ing__columns[i].name) == 0) {
            *kind = ing__columns[i].kind;
            return 1;
        }
    size_t n = strlen(name);
    if (n > 5 && n - 5 <= ING_ATTR_NAME_MAX && strncmp(name, "attr_", 5) == 0) {
        *kind = COL_ATTR;
        return 1;
    }
    return 0;
}

static int ing__csv_header(struct kf_ingest *ing, char **f, size_t n, long long line,
                           struct kf_err *err)
{
    int has_type = 0;
    for (size_t i = 0; i < n; i++) {
        char *name = f[i];
        while (*name == ' ')
            name++;
        size_t len = strlen(name);
        while (len > 0 && name[len - 1] == ' ')
            name[--len] = '\0';
        if (!ing__column(name, &ing->kinds[i]))
            return kf_errorf(err, KF_EPARSE,
                             "line %lld: unknown column '%.64s' (expected event_id, type, "
                             "customer_id, external_id, channel, at, sku, category, query, "
                             "amount, order_no, items, rec_id or attr_<name>)",
                             line, name);
        for (size_t j = 0; j < ing->ncols; j++)
            if (strcmp(ing->cols[j], name) == 0)
                return kf_errorf(err, KF_EPARSE, "line %lld: column '%s' appears twice", line,
                                 name);
        ing->cols[i] = kf_malloc(len + 1);
        if (ing->cols[i] == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
        memcpy(ing->cols[i], name, len + 1);
        ing->ncols = i + 1;
        has_type |= strcmp(name, "type") == 0;
    }
    if (!has_type)
        return kf_errorf(err, KF_EPARSE, "line %lld: no 'type' column in the header", line);
    ing->have_header = 1;
    return KF_OK;
}

/* A cell that is a plain integer, else its text (kf_event_parse then names
 * the field and what it expected). */
static json_t *ing__int_or_text(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n > 0 && n <= 18 && s[n] == '\0')
        return json_integer(strtoll(s, NULL, 10));
    return json_string(s);
}

static json_t *ing__number_or_text(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno == 0 && end != s && *end == '\0' && isfinite(d) && !isspace((unsigned char)*s))
        return json_real(d);
    return json_string(s);
}

/* "sku*qty@price;sku*qty;sku" → [{"sku","qty"?,"price"?}, ...]. */
static json_t *ing__items_compact(const char *s, struct kf_err *err)
{
    json_t *arr = json_array();
    size_t k = 0;
    while (arr != NULL && *s != '\0') {
        k++;
        size_t len = strcspn(s, ";");
        char part[256];
        if (len == 0 || len >= sizeof part) {
            kf_errorf(err, KF_EINVAL, "items: item %zu: %s", k,
                      len == 0 ? "empty" : "longer than 255 bytes");
            goto bad;
        }
        memcpy(part, s, len);
        part[len] = '\0';
        s += len + (s[len] == ';');
        char *at = strchr(part, '@'), *star = strchr(part, '*');
        if (at != NULL)
            *at++ = '\0';
        if (star != NULL)
            *star++ = '\0';
        if (part[0] == '\0') {
            kf_errorf(err, KF_EINVAL, "items: item %zu: no sku (expected sku*qty@price)", k);
            goto bad;
        }
        json_t *item = json_pack("{s:s}", "sku", part);
        if (item == NULL) {
            kf_errorf(err, KF_EINVAL, "items: item %zu: the sku is not UTF-8 text", k);
            goto bad;
        }
        if (star != NULL)
            json_object_set_new(item, "qty", ing__int_or_text(star));
        if (at != NULL)
            json_object_set_new(item, "price", ing__number_or_text(at));
        json_array_append_new(arr, item);
    }
    return arr;
bad:
    json_decref(arr);
    return NULL;
}

static json_t *ing__items(const char *s, struct kf_err *err)
{
    if (s[0] != '[')
        return ing__items_compact(s, err);
    json_error_t je;
    json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        kf_errorf(err, KF_EINVAL, "items: malformed JSON at column %d: %s", je.column, je.text);
    return v;
}

static json_t *ing__cell(enum ing_col kind, const char *s, struct kf_err *err)
{
    switch (kind) {
    case COL_INT:
    case COL_AT: return ing__int_or_text(s);
    case COL_AMOUNT: return ing__number_or_text(s);
    case COL_ITEMS: return ing__items(s, err);
    case COL_ATTR:
        if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
            return json_boolean(s[0] == 't');
        return json_string(s);
    case COL_STR: return json_string(s);
    }
    return NULL;
}

/* A CSV row → the event's JSON object, or NULL with err. */
static json_t *ing__csv_object(struct kf_ingest *ing, char **f, size_t n, struct kf_err *err)
{
    if (n != ing->ncols) {
        kf_errorf(err, KF_EINVAL, "expected %zu fields (as in the header), got %zu", ing->ncols,
                  n);
        return NULL;
    }
    json_t *obj = json_object(), *attrs = NULL;
    for (size_t i = 0; obj != NULL && i < n; i++) {
        if (f[i][0] == '\0')
            continue;
        kf_err_clear(err);
        json_t *v = ing__cell(ing->kinds[i], f[i], err);
        if (v == NULL) {
            if (err == NULL || err->code == 0)
                kf_errorf(err, KF_EINVAL, "%s: not valid UTF-8 text", ing->cols[i]);
            json_decref(obj);
            json_decref(attrs);
            return NULL;
        }
        if (ing->kinds[i] == COL_ATTR) {
            if (attrs == NULL && (attrs = json_object()) == NULL) {
                json_decref(v);
                break;
            }
            json_object_set_new(attrs, ing->cols[i] + 5, v);
        } else {
            json_object_set_new(obj, ing->cols[i], v);
        }
    }
    if (obj != NULL && attrs != NULL)
        json_object_set_new(obj, "attributes", attrs);
    if (obj == NULL)
        kf_errorf(err, KF_ENOMEM, "out of memory");
    return obj;
}

/* ---- records ------------------------------------------------------------- */

static int ing__blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static int ing__jsonl_record(struct kf_ingest *ing, const char *s, size_t len, long long line,
                             struct kf_err *err)
{
    json_error_t je;
    json_t *obj = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (obj == NULL) {
        char msg[300];
        snprintf(msg, sizeof msg, "malformed JSON at column %d: %s", je.column, je.text);
        return ing__reject(ing, line, msg, err);
    }
    int rc = kf_ingest_object(ing, obj, line, err);
    json_decref(obj);
    return rc;
}

static int ing__csv_record(struct kf_ingest *ing, const char *s, size_t len, long long line,
                           struct kf_err *err)
{
    char *f[ING_COLS_MAX];
    size_t n;
    struct kf_err e = {0};
    int rc = kf_ingest_csv_split(s, len, ing->arena, f, ING_COLS_MAX, &n, &e);
    if (!ing->have_header) {
        if (rc != KF_OK)
            return kf_errorf(err, rc == KF_ENOMEM ? rc : KF_EPARSE, "line %lld: header: %s",
                             line, e.msg);
        return ing__csv_header(ing, f, n, line, err);
    }
    if (rc == KF_ENOMEM)
        return kf_errorf(err, rc, "out of memory");
    if (rc != KF_OK)
        return ing__reject(ing, line, e.msg, err);
    json_t *obj = ing__csv_object(ing, f, n, &e);
    if (obj == NULL)
        return e.code == KF_ENOMEM ? kf_errorf(err, KF_ENOMEM, "out of memory")
                                   : ing__reject(ing, line, e.msg, err);
    rc = kf_ingest_object(ing, obj, line, err);
    json_decref(obj);
    return rc;
}

/* The record in ing->rec is complete. */
static int ing__record(struct kf_ingest *ing, struct kf_err *err)
{
    long long line = ing->line;
    ing->line += ing->rec_nl + 1;
    ing->rec_nl = 0;
    ing->in_quotes = 0;
    const char *s = ing->rec.data ? ing->rec.data : "";
    size_t len = ing->rec.len;
    int rc = KF_OK;
    if (!ing->seen_first) { /* a UTF-8 byte-order mark some spreadsheets write */
        ing->seen_first = 1;
        if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, len -= 3;
    }
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (ing->too_long) {
        char msg[80];
        snprintf(msg, sizeof msg, "record longer than %d bytes", KF_INGEST_LINE_MAX);
        rc = ing->p.format == KF_INGEST_CSV && !ing->have_header
                 ? kf_errorf(err, KF_EPARSE, "line %lld: header: %s", line, msg)
                 : ing__reject(ing, line, msg, err);
    } else if (ing__blank(s, len)) {
        rc = KF_OK;
    } else if (ing->p.format == KF_INGEST_JSONL) {
        rc = ing__jsonl_record(ing, s, len, line, err);
    } else if (memchr(s, '\0', len) != NULL) {
        rc = ing->have_header ? ing__reject(ing, line, "a NUL byte in the record", err)
                              : kf_errorf(err, KF_EPARSE, "line %lld: header: a NUL byte", line);
    } else {
        rc = ing__csv_record(ing, s, len, line, err);
    }
    kf_buf_reset(&ing->rec);
    ing->too_long = 0;
    return rc;
}

static void ing__keep(struct kf_ingest *ing, const char *data, size_t len)
{
    if (len > 0 && !ing->too_long && kf_buf_append(&ing->rec, data, len) != KF_OK)
        ing->too_long = 1;
}

int kf_ingest_feed(struct kf_ingest *ing, const char *data, size_t len, struct kf_err *err)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        int end = 0;
        if (ing->p.format == KF_INGEST_CSV) {
            for (; j < len; j++) {
                if (data[j] == '"') {
                    ing->in_quotes = !ing->in_quotes;
                } else if (data[j] == '\n') {
                    if (!ing->in_quotes) {
                        end = 1;
                        break;
                    }
                    ing->rec_nl++;
                }
            }
        } else {
            const char *nl = memchr(data + i, '\n', len - i);
            j = nl != NULL ? (size_t)(nl - data) : len;
            end = nl != NULL;
        }
        ing__keep(ing, data + i, j - i);
        i = j;
        if (end) {
            i++;
            int rc = ing__record(ing, err);
            if (rc != KF_OK)
                return rc;
        }
    }
    return KF_OK;
}

int kf_ingest_finish(struct kf_ingest *ing, struct kf_err *err)
{
    if (ing->rec.len > 0 || ing->too_long) {
        int rc = ing__record(ing, err);
        if (rc != KF_OK)
            return rc;
    }
    return ing__flush(ing, err);
}

/* ---- times ----------------------------------------------------------------- */

/* n digits at *p → value; -1 when they are not there. */
static int ing__digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

int kf_ingest_parse_time(const char *s, long long *ms)
{
    size_t nd = strspn(s, "0123456789");
    if (nd > 0 && nd <= 15 && s[nd] == '\0') {
        *ms = strtoll(s, NULL, 10);
        return *ms > 0 ? 0 : -1;
    }
    const char *p = s;
    struct tm tm = {0};
    int y = ing__digits(&p, 4), mo = -1, d = -1;
    if (y >= 0 && *p == '-') {
        p++;
        mo = ing__digits(&p, 2);
    }
    if (mo >= 0 && *p == '-') {
        p++;
        d = ing__digits(&p, 2);
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    int h = 0, mi = 0, sec = 0, frac = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        h = ing__digits(&p, 2);
        mi = -1;
        if (h >= 0 && *p == ':') {
            p++;
            mi = ing__digits(&p, 2);
        }
        if (*p == ':') {
            p++;
            sec = ing__digits(&p, 2);
            if (*p == '.') {
                p++;
                size_t nf = strspn(p, "0123456789");
                if (nf == 0)
                    return -1;
                for (size_t i = 0; i < 3; i++)
                    frac = frac * 10 + (i < nf ? p[i] - '0' : 0);
                p += nf;
            }
        }
        if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
            return -1;
    }
    long long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '+' ? 1 : -1;
        int oh = ing__digits(&p, 2), om = -1;
        if (oh >= 0 && *p == ':') {
            p++;
            om = ing__digits(&p, 2);
        }
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        offset = sign * (oh * 60LL + om) * 60000LL;
    }
    if (*p != '\0')
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *ms = (long long)timegm(&tm) * 1000 + frac - offset;
    return 0;
}
