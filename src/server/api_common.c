/*
 * api_common.c — what the back-office routes (api_tickets.c, api_crm.c)
 * share: path segments, typed body fields and query parameters that answer
 * 400 naming the field, the acting user, and one call into the business
 * layer's connectors.
 *
 * The handlers never see SQL or repo.h: every record comes from
 * kf_connector_call (connector.h) on the engine's connector of a back end,
 * so a company's own REST service (the http connector) serves these routes
 * exactly as the embedded store does. Records keep their canonical shape
 * (repo.h) except that integer times are shown as ISO 8601, as everywhere
 * else in the API.
 *
 * Assumes: query values and header values are untrusted bytes (checked for
 * UTF-8 and length before use); JSON bodies were parsed by jansson, which
 * rejects invalid UTF-8 and NUL escapes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "kefu/ingest.h"
#include "kefu/connector.h"
#include "kefu/utf8.h"

const char *const api_ticket_statuses[] = {"open", "pending", "escalated", "resolved", "closed",
                                           NULL};
const char *const api_ticket_priorities[] = {"low", "normal", "high", "urgent", NULL};

/* ---- paths ------------------------------------------------------------- */

int api_path_segment(const char *url, const char *prefix, char *seg, size_t segmax,
                     const char **rest)
{
    size_t pl = strlen(prefix);
    if (strncmp(url, prefix, pl) != 0)
        return 0;
    const char *p = url + pl;
    size_t n = strcspn(p, "/");
    if (n >= segmax)
        n = 0; /* too long to be anything of ours: "" never matches */
    memcpy(seg, p, n);
    seg[n] = '\0';
    *rest = p + strcspn(p, "/");
    return 1;
}

long long api_parse_id(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 18 || s[n] != '\0' || s[0] == '0')
        return -1;
    return strtoll(s, NULL, 10);
}

int api_path_end(const char *rest)
{
    return rest[0] == '\0' || strcmp(rest, "/") == 0;
}

/* ---- body fields ------------------------------------------------------- */

int api_body_string(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                    size_t max, int nonempty, const char **val)
{
    *val = NULL;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        http_error(r, out, 400, "bad_request", "%s: expected a string", name);
        return -1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len > max) {
        http_error(r, out, 400, "bad_request", "%s: longer than %zu bytes", name, max);
        return -1;
    }
    if (nonempty && strspn(s, " \t\r\n") == len) {
        http_error(r, out, 400, "bad_request", "%s: must not be empty", name);
        return -1;
    }
    *val = s;
    return 0;
}

int api_body_id(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                long long *val, int *set)
{
    *set = 0;
    *val = 0;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        http_error(r, out, 400, "bad_request", "%s: expected a positive integer", name);
        return -1;
    }
    *val = (long long)json_integer_value(v);
    *set = 1;
    return 0;
}

int api_body_bool(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                  int *val, int *set)
{
    *set = 0;
    *val = 0;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        http_error(r, out, 400, "bad_request", "%s: expected true or false", name);
        return -1;
    }
    *val = json_is_true(v);
    *set = 1;
    return 0;
}

/* "a", "b" or "c" for messages. */
static void api__list(const char *const *allowed, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; allowed[i] != NULL && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s\"%s\"",
                         i == 0 ? "" : allowed[i + 1] == NULL ? " or " : ", ", allowed[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int api__one_of(const char *s, const char *const *allowed)
{
    for (size_t i = 0; allowed[i] != NULL; i++)
        if (strcmp(s, allowed[i]) == 0)
            return 1;
    return 0;
}

int api_body_enum(struct http_req *r, struct http_resp *out, json_t *obj, const char *name,
                  const char *const *allowed, const char **val)
{
    if (api_body_string(r, out, obj, name, 64, 0, val) < 0)
        return -1;
    if (*val != NULL && !api__one_of(*val, allowed)) {
        char list[256];
        api__list(allowed, list, sizeof list);
        http_error(r, out, 400, "bad_request", "%s: expected %s", name, list);
        *val = NULL;
        return -1;
    }
    return 0;
}

int api_body_known(struct http_req *r, struct http_resp *out, json_t *obj,
                   const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        (void)v;
        if (!api__one_of(key, known)) {
            char list[256];
            api__list(known, list, sizeof list);
            http_error(r, out, 400, "bad_request", "%.64s: unknown field (expected %s)", key,
                       list);
            return -1;
        }
    }
    return 0;
}

/* ---- query parameters -------------------------------------------------- */

int api_query_string(struct http_req *r, struct http_resp *out, const char *name, size_t max,
                     const char **val)
{
    *val = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    if (*val == NULL)
        return 0;
    size_t len = strlen(*val);
    if (len > max || !kf_utf8_valid_text(*val, len)) {
        http_error(r, out, 400, "bad_request", "%s: expected at most %zu bytes of UTF-8 text",
                   name, max);
        *val = NULL;
        return -1;
    }
    if (len == 0) /* ?status= means no filter */
        *val = NULL;
    return 0;
}

int api_query_long(struct http_req *r, struct http_resp *out, const char *name, long long min,
                   long long max, long long def, long long *val, int *set)
{
    const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    *val = def;
    if (set != NULL)
        *set = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        http_error(r, out, 400, "bad_request", "%s: expected an integer in [%lld, %lld]", name,
                   min, max);
        return -1;
    }
    *val = v;
    if (set != NULL)
        *set = 1;
    return 0;
}

int api_query_number(struct http_req *r, struct http_resp *out, const char *name, double *val,
                     int *set)
{
    const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    *val = 0;
    *set = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0) {
        http_error(r, out, 400, "bad_request", "%s: expected a number >= 0", name);
        return -1;
    }
    *val = v;
    *set = 1;
    return 0;
}

int api_query_bool(struct http_req *r, struct http_resp *out, const char *name, int *val,
                   int *set)
{
    const char *s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    *val = 0;
    *set = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *val = 1;
    else if (strcmp(s, "false") != 0 && strcmp(s, "0") != 0) {
        http_error(r, out, 400, "bad_request", "%s: expected true or false", name);
        return -1;
    }
    *set = 1;
    return 0;
}

int api_query_enum(struct http_req *r, struct http_resp *out, const char *name,
                   const char *const *allowed, const char **val)
{
    if (api_query_string(r, out, name, 64, val) < 0)
        return -1;
    if (*val != NULL && !api__one_of(*val, allowed)) {
        char list[256];
        api__list(allowed, list, sizeof list);
        http_error(r, out, 400, "bad_request", "%s: expected %s", name, list);
        *val = NULL;
        return -1;
    }
    return 0;
}

/* ---- actor ------------------------------------------------------------- */

const char *api_actor(struct http_req *r, struct http_resp *out)
{
    /* a person signed in is the actor; an API key may name the person it
     * acts for (an integration's own user) in X-Kefu-Actor */
    const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Kefu-Actor");
    if (r->who.key_id == 0 && r->who.name[0] != '\0')
        return r->who.name;
    if (a == NULL)
        return r->who.name[0] != '\0' ? r->who.name : "api";
    size_t len = strlen(a);
    int ok = len >= 1 && len <= 64 && kf_utf8_valid_text(a, len);
    for (size_t i = 0; ok && i < len; i++)
        if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
            ok = 0;
    if (!ok) {
        http_error(r, out, 400, "bad_request",
                   "X-Kefu-Actor: expected 1 to 64 bytes of UTF-8 text without control characters");
        return NULL;
    }
    return a;
}

/* ---- connector calls --------------------------------------------------- */

static int api__time_key(const char *k)
{
    size_t n = strlen(k);
    return strcmp(k, "at") == 0 || strcmp(k, "eta") == 0 ||
           (n > 3 && strcmp(k + n - 3, "_at") == 0);
}

/* Integer times (ms) → "2026-11-25T12:00:00.000Z", depth-bounded. */
void api_iso_times(json_t *v, int depth)
{
    if (depth > 8)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) api_iso_times(e, depth + 1);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e)
    {
        if (json_is_integer(e) && api__time_key(k)) {
            char ts[32];
            kf_time_iso8601((long long)json_integer_value(e), ts);
            /* replacing the value in place keeps the iteration valid */
            json_object_iter_set_new(v, json_object_key_to_iter(k), json_string(ts));
        } else if (json_is_object(e) || json_is_array(e)) {
            api_iso_times(e, depth + 1);
        }
    }
}

int api_call(struct http_req *r, struct http_resp *out, const char *backend, const char *op,
             json_t *args, unsigned missing_status, json_t **res)
{
    *res = NULL;
    struct kf_err err = {0};
    struct kf_connector *c = kf_engine_connector(r->srv->p.engine, backend);
    if (c == NULL) {
        kf_errorf(&err, KF_EINTERNAL, "no connector for back end '%s'", backend);
        http_engine_error(r, out, KF_EINTERNAL, &err);
        return -1;
    }
    int rc = kf_connector_call(c, op, args, res, &err);
    if (rc == KF_OK && *res == NULL)
        rc = kf_errorf(&err, KF_EINTERNAL, "%s: %s returned nothing", backend, op);
    if (rc != KF_OK) {
        json_decref(*res);
        *res = NULL;
        if (rc == KF_ENOTFOUND && missing_status == 400)
            http_error(r, out, 400, "bad_request", "%s", err.msg);
        else
            http_engine_error(r, out, rc, &err);
        return -1;
    }
    api_iso_times(*res, 0);
    return 0;
}

int api_query_time(struct http_req *r, struct http_resp *out, const char *name, long long *ms)
{
    const char *v = NULL;
    if (api_query_string(r, out, name, 64, &v) < 0)
        return -1;
    if (v != NULL && kf_ingest_parse_time(v, ms) < 0) {
        http_error(r, out, 400, "bad_request",
                   "%s: expected ms since the epoch or ISO 8601 (2026-11-25T12:00:00Z)", name);
        return -1;
    }
    return 0;
}

void api_iso_key(json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return;
    char iso[32];
    kf_time_iso8601((long long)json_integer_value(v), iso);
    json_object_set_new(doc, key, json_string(iso));
}
