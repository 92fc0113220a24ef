/*
 * connector_http.c — the `http` connector: a company's REST service behind
 * connector.h, described by a YAML spec file (docs/connectors.md).
 *
 * How a call goes:
 *   1. find the operation in the spec (none: KF_EUNSUPPORTED);
 *   2. build the request from the arguments: path template ("{order_no}",
 *      URL-escaped, required), query and JSON body mappings (missing
 *      arguments are left out); bad or missing arguments are KF_EINVAL and
 *      never reach the network nor the breaker;
 *   3. ask the breaker (below) whether to try at all;
 *   4. up to 1 + retries attempts, one curl easy handle each, waiting
 *      backoff_ms, 2*backoff_ms, ... between them; 5xx, 408, 429, timeouts
 *      and connection errors are retried, any other answer is final;
 *   5. map the answer: 2xx → the record at `root`, its fields renamed and
 *      values translated by the spec's field mapping; 404 → KF_ENOTFOUND;
 *      409/422 → KF_ECONFLICT with the service's message; other 4xx →
 *      KF_EINVAL; retries used up → KF_EUNAVAILABLE.
 *
 * Circuit breaker (one per connector, behind a mutex):
 *
 *        breaker_failures consecutive            breaker_reset_ms
 *        failed calls                            have passed
 *   CLOSED ───────────────────────────▶ OPEN ──────────────────▶ HALF_OPEN
 *     ▲                                  ▲                          │
 *     │        trial call succeeds       │   trial call fails       │
 *     └──────────────────────────────────┼──────────────────────────┤
 *                                        └──────────────────────────┘
 *   OPEN: every call fails at once with KF_EUNAVAILABLE, no network.
 *   HALF_OPEN: one call (the trial) goes out; others fail fast meanwhile.
 *   A "failed call" is one whose attempts all failed (step 4); an answer of
 *   4xx is the service working, so it counts as a success. breaker_failures
 *   0 disables the breaker.
 *
 * Field mapping ("fmap"): one target field of the result (or of a request
 * body) comes from a dotted path in the source JSON ("amount.value",
 * "lines.0.sku"; "." is the source itself), or is a constant, with an
 * optional value table, a default and a type conversion; "each" maps every
 * element of an array, "fields" builds a nested object. The same code maps
 * answers onto kefu records and arguments onto request bodies.
 *
 * Bounds: spec file (yaml.h's limit), 64 operations, 64 fields per mapping,
 * mapping depth 6, URL 4 KiB, request body 64 KiB, answer 1 MiB
 * (KF_ETOOBIG), service messages quoted up to 200 bytes.
 * Secrets: the auth header is sent with every request, kept only here and
 * wiped on free; it is never logged nor put into an error message. Logged
 * at debug: backend, method, path template, status, ms, attempt.
 *
 * Assumes libcurl >= 7.85 (CURLOPT_PROTOCOLS_STR) whose curl_global_init is
 * thread-safe (7.84+).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector_int.h"
#include "kefu/buf.h"
#include "kefu/mem.h"
#include "kefu/yaml.h"

#define HTTP_MAX_OPS 64
#define HTTP_MAX_FIELDS 64
#define HTTP_MAX_DEPTH 6
#define HTTP_MAX_URL 4096
#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_ANSWER (1024 * 1024)
#define HTTP_MAX_MSG 200
#define HTTP_MAX_BACKOFF_MS 60000L

/* The operations of connector.h; a spec may describe any subset. */
static const char *const http_known_ops[] = {
    "order.get",     "order.list", "order.update",  "return.create",  "product.get", "product.list",
    "ticket.create", "ticket.get", "ticket.update", "ticket.comment", "customer.get",
    "ticket.list",   "customer.note"};

/* ---- spec ------------------------------------------------------------ */

enum fmap_type { T_ANY, T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN, T_MS };

struct fmapset;

struct fmap {
    char *name;     /* target key */
    char *from;     /* dotted source path; NULL = the source itself */
    json_t *konst;  /* "const": fixed value (from unused) */
    json_t *values; /* "values": object, source value as text → target value */
    json_t *deflt;  /* "default": when the source is missing or null */
    enum fmap_type type;
    struct fmapset *each;   /* the source is an array: map every element */
    struct fmapset *fields; /* the source is an object: nested mapping */
};

struct fmapset {
    struct fmap *m;
    size_t n;
};

struct op {
    char *name;
    char method[8];
    char *path;                            /* template: "/orders/{order_no}" */
    struct fmapset *query, *body, *fields; /* NULL when absent */
    char *root;                            /* where the record is in the answer; NULL = all of it */
    char **required;
    size_t nrequired;
};

struct spec {
    struct op *ops;
    size_t nops;
    char *error_message; /* dotted path of the message in an error answer */
};

/* ---- connector ---------------------------------------------------------- */

enum breaker { B_CLOSED, B_OPEN, B_HALF_OPEN };

struct http {
    struct kf_connector super;
    struct spec spec;
    char *url;  /* base, no trailing '/' */
    char *auth; /* "Name: value" or NULL (secret) */
    long timeout_ms, backoff_ms, breaker_reset_ms;
    int retries, breaker_failures;
    pthread_mutex_t mu; /* guards the breaker fields below */
    enum breaker state;
    int failures;        /* consecutive failed calls */
    long long opened_at; /* monotonic ms */
    int trial;           /* a half-open trial call is out */
};

static long long http__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void http__sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- spec: freeing -------------------------------------------------------- */

static void fmapset_free(struct fmapset *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct fmap *m = &s->m[i];
        kf_free(m->name);
        kf_free(m->from);
        json_decref(m->konst);
        json_decref(m->values);
        json_decref(m->deflt);
        fmapset_free(m->each);
        fmapset_free(m->fields);
    }
    kf_free(s->m);
    kf_free(s);
}

static void spec_release(struct spec *sp)
{
    for (size_t i = 0; i < sp->nops; i++) {
        struct op *o = &sp->ops[i];
        kf_free(o->name);
        kf_free(o->path);
        kf_free(o->root);
        fmapset_free(o->query);
        fmapset_free(o->body);
        fmapset_free(o->fields);
        for (size_t j = 0; j < o->nrequired; j++)
            kf_free(o->required[j]);
        kf_free(o->required);
    }
    kf_free(sp->ops);
    kf_free(sp->error_message);
    memset(sp, 0, sizeof *sp);
}

/* ---- spec: loading ---------------------------------------------------------- */

struct sload {
    const struct kf_ydoc *doc;
    struct kf_err *err;
};

static int sload__oom(struct sload *L)
{
    return kf_errorf(L->err, KF_ENOMEM, "%s: out of memory", L->doc->path);
}

/* A YAML scalar as JSON: plain null/true/false/numbers are typed, anything
 * quoted is a string. */
static json_t *sload__scalar(const struct kf_ynode *n)
{
    if (n->plain) {
        if (strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0)
            return json_null();
        if (strcmp(n->str, "true") == 0)
            return json_true();
        if (strcmp(n->str, "false") == 0)
            return json_false();
        char *end;
        errno = 0;
        long long i = strtoll(n->str, &end, 10);
        if (n->len > 0 && *end == '\0' && errno == 0)
            return json_integer(i);
        double d = strtod(n->str, &end);
        if (n->len > 0 && *end == '\0')
            return json_real(d);
    }
    return json_stringn(n->str, n->len);
}

/* A dotted path as written in the spec: "." (or "") is the source itself. */
static int sload__path(struct sload *L, const struct kf_ynode *n, const char *what, char **out)
{
    if (n->type != KF_Y_SCALAR)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: expected a dotted path", what);
    if (n->len > 256)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: path longer than 256 bytes",
                              what);
    *out = NULL;
    if (n->len == 0 || strcmp(n->str, ".") == 0)
        return KF_OK;
    if (n->str[0] == '.' || n->str[n->len - 1] == '.' || strstr(n->str, "..") != NULL)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: bad path '%s'", what, n->str);
    *out = kf_strdup(n->str);
    return *out ? KF_OK : sload__oom(L);
}

static int sload__mapset(struct sload *L, const struct kf_ynode *n, const char *what, int depth,
                         struct fmapset **out);

static int sload__fmap(struct sload *L, const struct kf_ynode *key, const struct kf_ynode *v,
                       const char *what, int depth, struct fmap *m)
{
    char sub[256];
    if (key->len == 0 || key->len > 64)
        return kf_ydoc_errorf(L->doc, key, L->err, KF_ECONFIG, "%s: field names are 1 to 64 bytes",
                              what);
    snprintf(sub, sizeof sub, "%s.%s", what, key->str);
    if ((m->name = kf_strdup(key->str)) == NULL)
        return sload__oom(L);
    if (v->type == KF_Y_SCALAR)
        return sload__path(L, v, sub, &m->from);
    if (v->type != KF_Y_MAP)
        return kf_ydoc_errorf(L->doc, v, L->err, KF_ECONFIG,
                              "%s: expected a dotted path or a mapping (from, const, values, "
                              "default, type, each, fields)",
                              sub);
    int rc;
    for (size_t i = 0; i < v->n; i++) {
        const struct kf_ynode *k = v->keys[i], *x = v->items[i];
        char kw[320];
        snprintf(kw, sizeof kw, "%s.%s", sub, k->str);
        if (strcmp(k->str, "from") == 0) {
            if ((rc = sload__path(L, x, kw, &m->from)) != KF_OK)
                return rc;
        } else if (strcmp(k->str, "const") == 0 || strcmp(k->str, "default") == 0) {
            if (x->type != KF_Y_SCALAR)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG, "%s: expected a value", kw);
            json_t *j = sload__scalar(x);
            if (j == NULL)
                return sload__oom(L);
            if (k->str[0] == 'c')
                m->konst = j;
            else
                m->deflt = j;
        } else if (strcmp(k->str, "values") == 0) {
            if (x->type != KF_Y_MAP)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG,
                                      "%s: expected a mapping of their value: kefu value", kw);
            if ((m->values = json_object()) == NULL)
                return sload__oom(L);
            for (size_t j = 0; j < x->n; j++) {
                if (x->items[j]->type != KF_Y_SCALAR)
                    return kf_ydoc_errorf(L->doc, x->items[j], L->err, KF_ECONFIG,
                                          "%s.%s: expected a value", kw, x->keys[j]->str);
                json_t *t = sload__scalar(x->items[j]);
                if (t == NULL || json_object_set_new(m->values, x->keys[j]->str, t) != 0)
                    return sload__oom(L);
            }
        } else if (strcmp(k->str, "type") == 0) {
            static const char *const names[] = {"any",    "string",  "integer",
                                                "number", "boolean", "ms"};
            size_t t = 0;
            while (x->type == KF_Y_SCALAR && t < 6 && strcmp(x->str, names[t]) != 0)
                t++;
            if (x->type != KF_Y_SCALAR || t == 6)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG,
                                      "%s: expected any, string, integer, number, boolean or ms",
                                      kw);
            m->type = (enum fmap_type)t;
        } else if (strcmp(k->str, "each") == 0) {
            if ((rc = sload__mapset(L, x, kw, depth + 1, &m->each)) != KF_OK)
                return rc;
        } else if (strcmp(k->str, "fields") == 0) {
            if ((rc = sload__mapset(L, x, kw, depth + 1, &m->fields)) != KF_OK)
                return rc;
        } else {
            return kf_ydoc_errorf(L->doc, k, L->err, KF_ECONFIG,
                                  "%s: unknown key (from, const, values, default, type, each, "
                                  "fields)",
                                  kw);
        }
    }
    if (m->each && m->fields)
        return kf_ydoc_errorf(L->doc, v, L->err, KF_ECONFIG,
                              "%s: each (an array) and fields (an object) exclude each other", sub);
    if (m->konst && (m->from || m->each || m->fields))
        return kf_ydoc_errorf(L->doc, v, L->err, KF_ECONFIG,
                              "%s: const excludes from, each and fields", sub);
    return KF_OK;
}

static int sload__mapset(struct sload *L, const struct kf_ynode *n, const char *what, int depth,
                         struct fmapset **out)
{
    if (depth > HTTP_MAX_DEPTH)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: nested deeper than %d", what,
                              HTTP_MAX_DEPTH);
    if (n->type != KF_Y_MAP)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG,
                              "%s: expected a mapping of field: source", what);
    if (n->n > HTTP_MAX_FIELDS)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: more than %d fields", what,
                              HTTP_MAX_FIELDS);
    struct fmapset *s = kf_calloc(1, sizeof *s);
    if (s == NULL || (n->n > 0 && (s->m = kf_calloc(n->n, sizeof *s->m)) == NULL)) {
        kf_free(s);
        return sload__oom(L);
    }
    *out = s;
    for (size_t i = 0; i < n->n; i++) {
        s->n = i + 1; /* so a failure frees what was filled */
        int rc = sload__fmap(L, n->keys[i], n->items[i], what, depth, &s->m[i]);
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

/* Every {name} of a path template is a dotted path; braces balance. */
static int sload__template(struct sload *L, const struct kf_ynode *n, const char *what)
{
    if (n->str[0] != '/')
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: must start with '/'", what);
    if (n->len > 1024)
        return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: longer than 1024 bytes", what);
    for (const char *p = n->str; *p; p++) {
        if (*p == '}')
            return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG, "%s: unmatched '}'", what);
        if (*p != '{')
            continue;
        const char *e = strchr(p + 1, '}');
        if (e == NULL || e == p + 1 || memchr(p + 1, '{', (size_t)(e - p - 1)) != NULL)
            return kf_ydoc_errorf(L->doc, n, L->err, KF_ECONFIG,
                                  "%s: expected {argument} with a name", what);
        p = e;
    }
    return KF_OK;
}

static int sload__op(struct sload *L, const struct kf_ynode *key, const struct kf_ynode *v,
                     struct op *o)
{
    char what[128];
    snprintf(what, sizeof what, "operations.%.64s", key->str);
    size_t k = 0;
    while (k < sizeof http_known_ops / sizeof http_known_ops[0] &&
           strcmp(http_known_ops[k], key->str) != 0)
        k++;
    if (k == sizeof http_known_ops / sizeof http_known_ops[0])
        return kf_ydoc_errorf(L->doc, key, L->err, KF_ECONFIG,
                              "%s: unknown operation (see connector.h: order.get, order.list, "
                              "order.update, return.create, product.get, product.list, "
                              "ticket.create, ticket.get, ticket.update, ticket.comment, "
                              "customer.get)",
                              what);
    if (v->type != KF_Y_MAP)
        return kf_ydoc_errorf(L->doc, v, L->err, KF_ECONFIG, "%s: expected a mapping", what);
    if ((o->name = kf_strdup(key->str)) == NULL)
        return sload__oom(L);
    snprintf(o->method, sizeof o->method, "GET");
    int rc;
    for (size_t i = 0; i < v->n; i++) {
        const struct kf_ynode *k2 = v->keys[i], *x = v->items[i];
        char kw[200];
        snprintf(kw, sizeof kw, "%s.%.32s", what, k2->str);
        if (strcmp(k2->str, "method") == 0) {
            static const char *const m[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
            size_t j = 0;
            while (x->type == KF_Y_SCALAR && j < 5 && strcmp(x->str, m[j]) != 0)
                j++;
            if (x->type != KF_Y_SCALAR || j == 5)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG,
                                      "%s: expected GET, POST, PUT, PATCH or DELETE", kw);
            snprintf(o->method, sizeof o->method, "%s", m[j]);
        } else if (strcmp(k2->str, "path") == 0) {
            if (x->type != KF_Y_SCALAR)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG, "%s: expected a path", kw);
            if ((rc = sload__template(L, x, kw)) != KF_OK)
                return rc;
            if ((o->path = kf_strdup(x->str)) == NULL)
                return sload__oom(L);
        } else if (strcmp(k2->str, "root") == 0) {
            if ((rc = sload__path(L, x, kw, &o->root)) != KF_OK)
                return rc;
        } else if (strcmp(k2->str, "query") == 0) {
            if ((rc = sload__mapset(L, x, kw, 0, &o->query)) != KF_OK)
                return rc;
        } else if (strcmp(k2->str, "body") == 0) {
            if ((rc = sload__mapset(L, x, kw, 0, &o->body)) != KF_OK)
                return rc;
        } else if (strcmp(k2->str, "fields") == 0) {
            if ((rc = sload__mapset(L, x, kw, 0, &o->fields)) != KF_OK)
                return rc;
        } else if (strcmp(k2->str, "result") == 0) {
            if (x->type != KF_Y_SCALAR) /* documentation only */
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG, "%s: expected a name", kw);
        } else if (strcmp(k2->str, "required") == 0) {
            if (x->type != KF_Y_SEQ || x->n > 16)
                return kf_ydoc_errorf(L->doc, x, L->err, KF_ECONFIG,
                                      "%s: expected a list of at most 16 argument names", kw);
            if (x->n > 0 && (o->required = kf_calloc(x->n, sizeof *o->required)) == NULL)
                return sload__oom(L);
            for (size_t j = 0; j < x->n; j++) {
                if ((rc = sload__path(L, x->items[j], kw, &o->required[j])) != KF_OK)
                    return rc;
                o->nrequired = j + 1;
                if (o->required[j] == NULL)
                    return kf_ydoc_errorf(L->doc, x->items[j], L->err, KF_ECONFIG,
                                          "%s: expected an argument name", kw);
            }
        } else {
            return kf_ydoc_errorf(L->doc, k2, L->err, KF_ECONFIG,
                                  "%s: unknown key (method, path, query, body, root, fields, "
                                  "result, required)",
                                  kw);
        }
    }
    if (o->path == NULL)
        return kf_ydoc_errorf(L->doc, key, L->err, KF_ECONFIG, "%s: path: required", what);
    if (o->body && strcmp(o->method, "GET") == 0)
        return kf_ydoc_errorf(L->doc, key, L->err, KF_ECONFIG, "%s: a GET has no body", what);
    return KF_OK;
}

static int spec_load(const char *path, struct spec *sp, struct kf_err *err)
{
    memset(sp, 0, sizeof *sp);
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc == KF_EPARSE ? KF_ECONFIG : rc;
    struct sload L = {doc, err};
    const struct kf_ynode *root = doc->root, *ops = NULL;
    if (root == NULL || root->type != KF_Y_MAP) {
        rc = kf_ydoc_errorf(doc, root, err, KF_ECONFIG, "expected a mapping with operations");
        goto out;
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i]->str;
        if (strcmp(k, "operations") == 0) {
            ops = root->items[i];
        } else if (strcmp(k, "error_message") == 0) {
            if ((rc = sload__path(&L, root->items[i], k, &sp->error_message)) != KF_OK)
                goto out;
        } else {
            rc = kf_ydoc_errorf(doc, root->keys[i], err, KF_ECONFIG,
                                "%s: unknown key (operations, error_message)", k);
            goto out;
        }
    }
    if (ops == NULL || ops->type != KF_Y_MAP || ops->n == 0) {
        rc = kf_ydoc_errorf(doc, ops ? ops : root, err, KF_ECONFIG,
                            "operations: expected a mapping of at least one operation");
        goto out;
    }
    if (ops->n > HTTP_MAX_OPS) {
        rc = kf_ydoc_errorf(doc, ops, err, KF_ECONFIG, "operations: more than %d", HTTP_MAX_OPS);
        goto out;
    }
    if ((sp->ops = kf_calloc(ops->n, sizeof *sp->ops)) == NULL) {
        rc = sload__oom(&L);
        goto out;
    }
    for (size_t i = 0; i < ops->n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(ops->keys[j]->str, ops->keys[i]->str) == 0) {
                rc = kf_ydoc_errorf(doc, ops->keys[i], err, KF_ECONFIG,
                                    "operations.%.64s: described twice", ops->keys[i]->str);
                goto out;
            }
        sp->nops = i + 1;
        if ((rc = sload__op(&L, ops->keys[i], ops->items[i], &sp->ops[i])) != KF_OK)
            goto out;
    }
    rc = KF_OK;
out:
    if (rc != KF_OK)
        spec_release(sp);
    kf_ydoc_free(doc);
    return rc;
}

/* ---- mapping ----------------------------------------------------------------- */

/* The value at a dotted path ("a.b.0.c"; NULL = root), or NULL. Borrowed. */
static json_t *path_get(json_t *root, const char *path)
{
    json_t *cur = root;
    const char *p = path;
    while (p != NULL && cur != NULL) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, p, len);
        } else if (json_is_array(cur) && len > 0 && len < 10 && strspn(p, "0123456789") >= len) {
            cur = json_array_get(cur, strtoul(p, NULL, 10));
        } else {
            cur = NULL;
        }
        p = dot ? dot + 1 : NULL;
    }
    return cur;
}

/* A scalar as text (for value tables, paths and queries); -1 if not one. */
static int scalar_text(json_t *v, char *buf, size_t cap)
{
    int n;
    switch (json_typeof(v)) {
    case JSON_STRING:
        n = snprintf(buf, cap, "%s", json_string_value(v));
        break;
    case JSON_INTEGER:
        n = snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        n = snprintf(buf, cap, "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
        n = snprintf(buf, cap, "true");
        break;
    case JSON_FALSE:
        n = snprintf(buf, cap, "false");
        break;
    default:
        return -1;
    }
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" → ms since the epoch. */
static int iso_to_ms(const char *s, long long *out)
{
    struct tm tm = {0};
    int used = 0;
    if (sscanf(s, "%4d-%2d-%2d%*[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used == 0)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long ms = 0;
    const char *p = s + used;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    long off = 0;
    if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 60L + mm) * 60L * (*p == '-' ? -1 : 1);
        p += 6;
    } else if (*p == 'Z') {
        p++;
    }
    if (*p != '\0')
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = ((long long)t - off) * 1000 + ms;
    return 0;
}

/* Convert v (a new reference) to the field's type; NULL when it cannot be. */
static json_t *fmap__convert(enum fmap_type type, json_t *v)
{
    char text[128];
    json_t *r = NULL;
    if (type == T_ANY || json_is_null(v))
        return v;
    switch (type) {
    case T_STRING:
        if (json_is_string(v))
            return v;
        if (scalar_text(v, text, sizeof text) == 0)
            r = json_string(text);
        break;
    case T_INTEGER:
    case T_NUMBER:
    case T_MS:
        if (json_is_integer(v) || (type != T_INTEGER && json_is_real(v)))
            return v;
        if (json_is_real(v)) {
            r = json_integer((json_int_t)json_real_value(v));
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            char *end;
            long long ms;
            if (type == T_MS && iso_to_ms(s, &ms) == 0) {
                r = json_integer(ms);
                break;
            }
            errno = 0;
            long long i = strtoll(s, &end, 10);
            if (*s && *end == '\0' && errno == 0) {
                r = json_integer(i);
                break;
            }
            double d = strtod(s, &end);
            if (*s && *end == '\0' && type == T_NUMBER)
                r = json_real(d);
        }
        break;
    case T_BOOLEAN:
        if (json_is_boolean(v))
            return v;
        if (json_is_integer(v))
            r = json_boolean(json_integer_value(v) != 0);
        else if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
                                       strcmp(json_string_value(v), "false") == 0))
            r = json_boolean(json_string_value(v)[0] == 't');
        break;
    case T_ANY:
        break;
    }
    json_decref(v);
    return r;
}

static const char *const type_names[] = {"any", "string", "integer", "number", "boolean", "ms"};

struct mapctx {
    const char *backend, *op;
    int omit_missing;  /* request bodies: leave absent sources out */
    const char *where; /* "answer" | "arguments", for messages */
    struct kf_err *err;
};

static int map_apply(const struct fmapset *set, json_t *src, struct mapctx *mc, json_t **out);

/* One field; *out NULL means "leave it out". */
static int map_field(const struct fmap *m, json_t *src, struct mapctx *mc, json_t **out)
{
    *out = NULL;
    if (m->konst) {
        *out = json_incref(m->konst);
        return KF_OK;
    }
    json_t *v = path_get(src, m->from);
    if (v == NULL || json_is_null(v)) {
        if (m->deflt)
            *out = json_incref(m->deflt);
        else if (!mc->omit_missing)
            *out = m->each ? json_array() : json_null();
        return KF_OK;
    }
    if (m->fields) {
        if (!json_is_object(v))
            return kf_errorf(mc->err, KF_EPARSE,
                             "%s back end: %s: field '%s': expected an object in the %s",
                             mc->backend, mc->op, m->name, mc->where);
        return map_apply(m->fields, v, mc, out);
    }
    if (m->each) {
        if (!json_is_array(v))
            return kf_errorf(mc->err, KF_EPARSE,
                             "%s back end: %s: field '%s': expected a list in the %s", mc->backend,
                             mc->op, m->name, mc->where);
        json_t *arr = json_array();
        if (arr == NULL)
            return kf_errorf(mc->err, KF_ENOMEM, "connector: out of memory");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            json_t *me = NULL;
            int rc = json_is_object(e) ? map_apply(m->each, e, mc, &me)
                                       : kf_errorf(mc->err, KF_EPARSE,
                                                   "%s back end: %s: field '%s': expected a "
                                                   "list of objects",
                                                   mc->backend, mc->op, m->name);
            if (rc == KF_OK && json_array_append_new(arr, me) != 0)
                rc = kf_errorf(mc->err, KF_ENOMEM, "connector: out of memory");
            if (rc != KF_OK) {
                json_decref(arr);
                return rc;
            }
        }
        *out = arr;
        return KF_OK;
    }
    json_t *r = json_incref(v);
    if (m->values) {
        char text[256];
        json_t *t =
            scalar_text(v, text, sizeof text) == 0 ? json_object_get(m->values, text) : NULL;
        if (t != NULL) { /* unlisted values pass through unchanged */
            json_decref(r);
            r = json_incref(t);
        }
    }
    if (r != NULL && (r = fmap__convert(m->type, r)) == NULL)
        return kf_errorf(mc->err, KF_EPARSE,
                         "%s back end: %s: field '%s': not a %s value in the %s", mc->backend,
                         mc->op, m->name, type_names[m->type], mc->where);
    *out = r;
    return KF_OK;
}

static int map_apply(const struct fmapset *set, json_t *src, struct mapctx *mc, json_t **out)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return kf_errorf(mc->err, KF_ENOMEM, "connector: out of memory");
    for (size_t i = 0; i < set->n; i++) {
        json_t *v;
        int rc = map_field(&set->m[i], src, mc, &v);
        if (rc == KF_OK && v != NULL && json_object_set_new(obj, set->m[i].name, v) != 0)
            rc = kf_errorf(mc->err, KF_ENOMEM, "connector: out of memory");
        if (rc != KF_OK) {
            json_decref(obj);
            return rc;
        }
    }
    *out = obj;
    return KF_OK;
}

/* ---- request ------------------------------------------------------------------ */

static const struct op *http__find(const struct http *h, const char *name)
{
    for (size_t i = 0; i < h->spec.nops; i++)
        if (strcmp(h->spec.ops[i].name, name) == 0)
            return &h->spec.ops[i];
    return NULL;
}

static int http__escape(struct kf_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int rc;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            rc = kf_buf_appendc(b, (char)ch);
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = kf_buf_append(b, enc, 3);
        }
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

/* URL = base + path template filled from args + query. */
static int http__url(const struct http *h, const struct op *o, json_t *args, struct kf_buf *url,
                     struct kf_err *err)
{
    char name[260], text[1024];
    if (kf_buf_appends(url, h->url) != KF_OK)
        goto too_long;
    for (const char *p = o->path; *p; p++) {
        if (*p != '{') {
            if (kf_buf_appendc(url, *p) != KF_OK)
                goto too_long;
            continue;
        }
        const char *e = strchr(p, '}'); /* checked at load */
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        json_t *v = path_get(args, name);
        if (v == NULL || json_is_null(v))
            return kf_errorf(err, KF_EINVAL, "%s connector: %s: missing argument '%s'",
                             h->super.backend, o->name, name);
        if (scalar_text(v, text, sizeof text) != 0 || text[0] == '\0')
            return kf_errorf(err, KF_EINVAL,
                             "%s connector: %s: '%s' must be a non-empty string or number "
                             "(under 1 KiB)",
                             h->super.backend, o->name, name);
        if (http__escape(url, text) != KF_OK)
            goto too_long;
        p = e;
    }
    if (o->query == NULL)
        return KF_OK;
    struct mapctx mc = {h->super.backend, o->name, 1, "arguments", err};
    json_t *q;
    int rc = map_apply(o->query, args, &mc, &q);
    if (rc != KF_OK)
        return rc;
    const char *k;
    json_t *v;
    char sep = '?';
    json_object_foreach(q, k, v)
    {
        if (scalar_text(v, text, sizeof text) != 0) {
            json_decref(q);
            return kf_errorf(err, KF_EINVAL,
                             "%s connector: %s: query parameter '%s' must be a string or number",
                             h->super.backend, o->name, k);
        }
        if (kf_buf_appendc(url, sep) != KF_OK || http__escape(url, k) != KF_OK ||
            kf_buf_appendc(url, '=') != KF_OK || http__escape(url, text) != KF_OK) {
            json_decref(q);
            goto too_long;
        }
        sep = '&';
    }
    json_decref(q);
    return KF_OK;
too_long:
    return kf_errorf(err, KF_EINVAL, "%s connector: %s: URL longer than %d bytes", h->super.backend,
                     o->name, HTTP_MAX_URL);
}

static int http__body(const struct http *h, const struct op *o, json_t *args, char **out,
                      struct kf_err *err)
{
    *out = NULL;
    if (o->body == NULL)
        return KF_OK;
    struct mapctx mc = {h->super.backend, o->name, 1, "arguments", err};
    json_t *b;
    int rc = map_apply(o->body, args, &mc, &b);
    if (rc == KF_EPARSE) { /* a bad argument, not a bad answer */
        if (err != NULL)
            err->code = KF_EINVAL;
        return KF_EINVAL;
    }
    if (rc != KF_OK)
        return rc;
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    if (s == NULL)
        return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
    if (strlen(s) > HTTP_MAX_BODY) {
        free(s); /* jansson's allocator */
        return kf_errorf(err, KF_EINVAL, "%s connector: %s: request body over %d bytes",
                         h->super.backend, o->name, HTTP_MAX_BODY);
    }
    *out = kf_strdup(s);
    free(s);
    return *out ? KF_OK : kf_errorf(err, KF_ENOMEM, "connector: out of memory");
}

/* ---- one attempt ---------------------------------------------------------------- */

struct attempt {
    long status;   /* HTTP status, 0 when none */
    CURLcode code; /* transport result */
    int too_big;
    struct kf_buf answer;
};

static size_t http__write(char *data, size_t size, size_t n, void *ud)
{
    struct attempt *a = ud;
    if (kf_buf_append(&a->answer, data, size * n) != KF_OK) {
        a->too_big = 1;
        return 0; /* aborts the transfer */
    }
    return size * n;
}

static void http__perform(const struct http *h, const struct op *o, const char *url,
                          const char *body, struct attempt *a)
{
    kf_buf_reset(&a->answer);
    a->status = 0;
    a->too_big = 0;
    CURL *curl = curl_easy_init();
    struct curl_slist *hdr = NULL, *t;
    if (curl == NULL) {
        a->code = CURLE_OUT_OF_MEMORY;
        return;
    }
    const char *fixed[] = {"Accept: application/json",
                           body ? "Content-Type: application/json" : NULL, h->auth};
    for (size_t i = 0; i < 3; i++) {
        if (fixed[i] == NULL)
            continue;
        if ((t = curl_slist_append(hdr, fixed[i])) == NULL) {
            a->code = CURLE_OUT_OF_MEMORY;
            goto out;
        }
        hdr = t;
    }
    long connect_ms = h->timeout_ms;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, o->method);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_ANSWER);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http__write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "kefu-connector");
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(o->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    a->code = curl_easy_perform(curl);
    if (a->code == CURLE_FILESIZE_EXCEEDED)
        a->too_big = 1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(curl);
}

static int http__retryable(const struct attempt *a)
{
    if (a->too_big)
        return 0;
    if (a->code != CURLE_OK)
        return 1;
    return a->status >= 500 || a->status == 408 || a->status == 429;
}

/* The service's own message from an error answer, cleaned and capped. */
static void http__service_msg(const struct http *h, const struct attempt *a, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *j = json_loadb(a->answer.data ? a->answer.data : "", a->answer.len, 0, NULL);
    if (j == NULL)
        return;
    static const char *const guesses[] = {"message", "error.message", "error", "msg", "detail"};
    json_t *m = h->spec.error_message ? path_get(j, h->spec.error_message) : NULL;
    for (size_t i = 0; m == NULL && i < sizeof guesses / sizeof guesses[0]; i++) {
        json_t *g = path_get(j, guesses[i]);
        if (json_is_string(g))
            m = g;
    }
    if (json_is_string(m)) {
        size_t n = 0;
        for (const char *p = json_string_value(m); *p && n + 1 < cap && n < HTTP_MAX_MSG; p++)
            out[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
        out[n] = '\0';
    }
    json_decref(j);
}

/* The final answer of a call → result or error. */
static int http__answer(const struct http *h, const struct op *o, struct attempt *a, json_t **out,
                        struct kf_err *err)
{
    const char *be = h->super.backend;
    char msg[HTTP_MAX_MSG + 8];
    if (a->too_big)
        return kf_errorf(err, KF_ETOOBIG, "%s back end: %s: answer larger than %d bytes", be,
                         o->name, HTTP_MAX_ANSWER);
    if (a->status == 404 || a->status == 409 || a->status == 422 ||
        (a->status >= 400 && a->status < 500)) {
        http__service_msg(h, a, msg, sizeof msg);
        int code = a->status == 404                       ? KF_ENOTFOUND
                   : a->status == 409 || a->status == 422 ? KF_ECONFLICT
                                                          : KF_EINVAL;
        return kf_errorf(err, code, "%s back end: %s: %s (HTTP %ld)%s%s", be, o->name,
                         code == KF_ENOTFOUND   ? "not found"
                         : code == KF_ECONFLICT ? "refused"
                                                : "rejected the request",
                         a->status, msg[0] ? ": " : "", msg);
    }
    if (a->status < 200 || a->status > 299)
        return kf_errorf(err, KF_EPARSE, "%s back end: %s: unexpected HTTP status %ld", be, o->name,
                         a->status);
    json_t *doc;
    if (a->answer.len == 0) {
        doc = json_object();
    } else {
        json_error_t je;
        doc = json_loadb(a->answer.data, a->answer.len, JSON_DECODE_ANY, &je);
        if (doc == NULL)
            return kf_errorf(err, KF_EPARSE, "%s back end: %s: answer is not JSON (line %d: %s)",
                             be, o->name, je.line, je.text);
    }
    json_t *rec = path_get(doc, o->root);
    int rc;
    if (rec == NULL) {
        rc = kf_errorf(err, KF_EPARSE, "%s back end: %s: answer has no '%s'", be, o->name, o->root);
    } else if (o->fields == NULL) {
        *out = json_incref(rec);
        rc = KF_OK;
    } else {
        struct mapctx mc = {be, o->name, 0, "answer", err};
        rc = map_apply(o->fields, rec, &mc, out);
    }
    json_decref(doc);
    return rc;
}

/* ---- breaker ------------------------------------------------------------------- */

static const char *const breaker_names[] = {"closed", "open", "half_open"};

/* May this call go out? Sets *trial when it is the half-open trial. */
static int http__breaker_enter(struct http *h, const char *op, int *trial, struct kf_err *err)
{
    *trial = 0;
    if (h->breaker_failures == 0)
        return KF_OK;
    pthread_mutex_lock(&h->mu);
    long long now = http__now_ms();
    if (h->state == B_OPEN && now - h->opened_at >= h->breaker_reset_ms) {
        h->state = B_HALF_OPEN;
        h->trial = 0;
        KF_INFO(h->super.log, "connector", "%s: circuit breaker half-open: trying one call",
                h->super.backend);
    }
    int rc = KF_OK;
    if (h->state == B_OPEN) {
        rc = kf_errorf(err, KF_EUNAVAILABLE,
                       "%s back end: %s: unavailable (circuit breaker open after %d failed "
                       "calls; next try in %lld ms)",
                       h->super.backend, op, h->failures,
                       h->breaker_reset_ms - (now - h->opened_at));
    } else if (h->state == B_HALF_OPEN && h->trial) {
        rc = kf_errorf(err, KF_EUNAVAILABLE,
                       "%s back end: %s: unavailable (circuit breaker half-open: a trial call "
                       "is under way)",
                       h->super.backend, op);
    } else if (h->state == B_HALF_OPEN) {
        h->trial = 1;
        *trial = 1;
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

static void http__breaker_leave(struct http *h, int trial, int failed)
{
    if (h->breaker_failures == 0)
        return;
    pthread_mutex_lock(&h->mu);
    if (trial)
        h->trial = 0;
    if (!failed) {
        if (h->state != B_CLOSED)
            KF_INFO(h->super.log, "connector", "%s: circuit breaker closed", h->super.backend);
        h->state = B_CLOSED;
        h->failures = 0;
    } else {
        h->failures++;
        if ((trial || h->state == B_CLOSED) && (trial || h->failures >= h->breaker_failures)) {
            h->state = B_OPEN;
            h->opened_at = http__now_ms();
            KF_WARN(h->super.log, "connector",
                    "%s: circuit breaker open after %d failed calls (for %ld ms)", h->super.backend,
                    h->failures, h->breaker_reset_ms);
        }
    }
    pthread_mutex_unlock(&h->mu);
}

static const char *http__breaker_state(struct kf_connector *c)
{
    struct http *h = (struct http *)c;
    pthread_mutex_lock(&h->mu);
    enum breaker s = h->state;
    if (s == B_OPEN && http__now_ms() - h->opened_at >= h->breaker_reset_ms)
        s = B_HALF_OPEN; /* the next call will be the trial */
    pthread_mutex_unlock(&h->mu);
    return breaker_names[s];
}

/* ---- call ------------------------------------------------------------------------ */

static int http__call(struct kf_connector *c, const char *opname, json_t *args, json_t **out,
                      struct kf_err *err)
{
    struct http *h = (struct http *)c;
    const struct op *o = http__find(h, opname);
    if (o == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED,
                         "%s connector (http): no operation '%.64s' in its spec", c->backend,
                         opname);
    json_t *empty = NULL;
    if (args == NULL && (args = empty = json_object()) == NULL)
        return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
    for (size_t i = 0; i < o->nrequired; i++) {
        json_t *v = path_get(args, o->required[i]);
        if (v == NULL || json_is_null(v)) {
            json_decref(empty);
            return kf_errorf(err, KF_EINVAL, "%s connector: %s: missing argument '%s'", c->backend,
                             o->name, o->required[i]);
        }
    }
    struct kf_buf url;
    kf_buf_init(&url, HTTP_MAX_URL);
    char *body = NULL;
    int rc = http__url(h, o, args, &url, err);
    if (rc == KF_OK)
        rc = http__body(h, o, args, &body, err);
    json_decref(empty);
    int trial = 0;
    if (rc == KF_OK)
        rc = http__breaker_enter(h, o->name, &trial, err);
    if (rc != KF_OK) {
        kf_buf_release(&url);
        kf_free(body);
        return rc;
    }

    struct attempt a = {0};
    kf_buf_init(&a.answer, HTTP_MAX_ANSWER);
    int attempts = 1 + h->retries;
    long wait = h->backoff_ms;
    int n;
    for (n = 1; n <= attempts; n++) {
        long long t0 = http__now_ms();
        http__perform(h, o, url.data, body, &a);
        KF_DEBUG(c->log, "connector", "%s: %s %s -> %ld%s%s (%lld ms, attempt %d/%d)", c->backend,
                 o->method, o->path, a.status, a.code ? " " : "",
                 a.code ? curl_easy_strerror(a.code) : "", http__now_ms() - t0, n, attempts);
        if (!http__retryable(&a) || n == attempts)
            break;
        if (wait > 0)
            http__sleep_ms(wait);
        wait = wait * 2 > HTTP_MAX_BACKOFF_MS ? HTTP_MAX_BACKOFF_MS : wait * 2;
    }
    int failed = http__retryable(&a);
    if (failed) {
        if (a.code != CURLE_OK)
            rc = kf_errorf(
                err, KF_EUNAVAILABLE, "%s back end: %s: unavailable after %d attempt%s: %s",
                c->backend, o->name, attempts, attempts == 1 ? "" : "s",
                a.code == CURLE_OPERATION_TIMEDOUT ? "timed out" : curl_easy_strerror(a.code));
        else
            rc = kf_errorf(err, KF_EUNAVAILABLE,
                           "%s back end: %s: unavailable after %d attempt%s: HTTP %ld", c->backend,
                           o->name, attempts, attempts == 1 ? "" : "s", a.status);
    } else {
        rc = http__answer(h, o, &a, out, err);
    }
    http__breaker_leave(h, trial, failed);
    kf_buf_release(&a.answer);
    kf_buf_release(&url);
    kf_free(body);
    return rc;
}

static void http__free(struct kf_connector *c)
{
    struct http *h = (struct http *)c;
    spec_release(&h->spec);
    kf_free(h->url);
    if (h->auth != NULL) {
        explicit_bzero(h->auth, strlen(h->auth));
        kf_free(h->auth);
    }
    pthread_mutex_destroy(&h->mu);
    kf_free(h);
    curl_global_cleanup();
}

static const struct kf_connector_ops http_ops = {
    .type = "http", .call = http__call, .free = http__free, .breaker_state = http__breaker_state};

/* Checks of params that do not need the spec; messages name config keys. */
static int http__check(const struct kf_connector_params *p, const char *be, struct kf_err *err)
{
    if (p->url == NULL || p->url[0] == '\0')
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.url: required for type http", be);
    if (strncmp(p->url, "http://", 7) != 0 && strncmp(p->url, "https://", 8) != 0)
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.url: must start with http:// or https://",
                         be);
    if (strlen(p->url) > 2048)
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.url: longer than 2048 bytes", be);
    if (p->spec_path == NULL || p->spec_path[0] == '\0')
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.spec: required for type http", be);
    if (p->auth_header != NULL && p->auth_header[0] != '\0') {
        const char *colon = strchr(p->auth_header, ':');
        size_t n = strlen(p->auth_header);
        int ctl = 0;
        for (size_t i = 0; i < n; i++)
            ctl |= (unsigned char)p->auth_header[i] < 0x20;
        if (colon == NULL || colon == p->auth_header || ctl || n > 4096)
            return kf_errorf(err, KF_ECONFIG,
                             "connectors.%s.auth_header: expected 'Name: value' on one line "
                             "(value not shown)",
                             be);
    }
    if (p->timeout_ms < 1 || p->timeout_ms > 600000)
        return kf_errorf(err, KF_ECONFIG,
                         "connectors.%s.timeout_ms: %ld is out of range [1, 600000]", be,
                         p->timeout_ms);
    if (p->retries < 0 || p->retries > 10)
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.retries: %d is out of range [0, 10]", be,
                         p->retries);
    if (p->backoff_ms < 0 || p->backoff_ms > HTTP_MAX_BACKOFF_MS)
        return kf_errorf(err, KF_ECONFIG, "connectors.%s.backoff_ms: %ld is out of range [0, %ld]",
                         be, p->backoff_ms, HTTP_MAX_BACKOFF_MS);
    if (p->breaker_failures < 0 || p->breaker_failures > 1000)
        return kf_errorf(err, KF_ECONFIG,
                         "connectors.%s.breaker_failures: %d is out of range [0, 1000]", be,
                         p->breaker_failures);
    if (p->breaker_reset_ms < 0 || p->breaker_reset_ms > 86400000L)
        return kf_errorf(err, KF_ECONFIG,
                         "connectors.%s.breaker_reset_ms: %ld is out of range [0, 86400000]", be,
                         p->breaker_reset_ms);
    return KF_OK;
}

int kf__connector_http_new(const struct kf_connector_params *p, struct kf_connector **out,
                           struct kf_err *err)
{
    const char *be = p->backend ? p->backend : "connector";
    int rc = http__check(p, be, err);
    if (rc != KF_OK)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return kf_errorf(err, KF_EINTERNAL, "connectors.%s: libcurl failed to start", be);
    struct http *h = kf_calloc(1, sizeof *h);
    if (h == NULL) {
        curl_global_cleanup();
        return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
    }
    kf__connector_init(&h->super, &http_ops, p);
    pthread_mutex_init(&h->mu, NULL);
    h->timeout_ms = p->timeout_ms;
    h->retries = p->retries;
    h->backoff_ms = p->backoff_ms;
    h->breaker_failures = p->breaker_failures;
    h->breaker_reset_ms = p->breaker_reset_ms;
    h->state = B_CLOSED;
    size_t ul = strlen(p->url);
    while (ul > 0 && p->url[ul - 1] == '/')
        ul--;
    h->url = kf_strndup(p->url, ul);
    if (p->auth_header != NULL && p->auth_header[0] != '\0')
        h->auth = kf_strdup(p->auth_header);
    if (h->url == NULL || (p->auth_header && p->auth_header[0] && h->auth == NULL)) {
        http__free(&h->super);
        return kf_errorf(err, KF_ENOMEM, "connector: out of memory");
    }
    if ((rc = spec_load(p->spec_path, &h->spec, err)) != KF_OK) {
        kf_err_prefix(err, "connectors.%s.spec", be);
        http__free(&h->super);
        return rc;
    }
    *out = &h->super;
    return KF_OK;
}
