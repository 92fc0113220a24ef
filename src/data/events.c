/*
 * events.c — events.h without the database: parsing and checking an event's
 * JSON form (every field bounded, every mistake naming its field), the
 * content-derived id of an event sent without one, and the argument checks
 * of the store calls, which then forward to the backend (events_int.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events_int.h"
#include "kefu/log.h"

#define EV_ID_MAX 128
#define EV_KEY_MAX 64 /* sku, category, order number, external id */
#define EV_CHANNEL_MAX 32
#define EV_QUERY_MAX 500
#define EV_ATTRS_MAX 16
#define EV_ATTR_VALUE_MAX 256
#define EV_MIN_MS 946684800000LL /* 2000-01-01 */
#define EV_DAY_MS 86400000LL

static const char *const ev__types[] = {"view",  "click",   "search", "add_to_cart", "order",
                                        "payment", "refund", "attribute", NULL};

static const char *const ev__keys[] = {
    "event_id", "type",     "customer_id", "external_id", "channel", "at",         "sku",
    "category", "query",    "order_no",    "amount",      "items",   "rec_id",     "attributes",
    NULL};

static int ev__in(const char *v, const char *const *set)
{
    for (size_t i = 0; set[i] != NULL; i++)
        if (strcmp(v, set[i]) == 0)
            return 1;
    return 0;
}

/* An optional string field, at most max bytes, copied into the arena. */
static int ev__str(json_t *obj, const char *key, size_t max, struct kf_arena *a, const char **out,
                   struct kf_err *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_string(v))
        return kf_errorf(err, KF_EINVAL, "%s: expected a string", key);
    size_t n = json_string_length(v);
    if (n == 0)
        return kf_errorf(err, KF_EINVAL, "%s: empty", key);
    if (n > max)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %zu bytes", key, max);
    if (memchr(json_string_value(v), '\0', n) != NULL)
        return kf_errorf(err, KF_EINVAL, "%s: contains a NUL byte", key);
    *out = kf_arena_strndup(a, json_string_value(v), n);
    return *out != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* An optional positive integer id. */
static int ev__id(json_t *obj, const char *key, long long *out, struct kf_err *err)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return kf_errorf(err, KF_EINVAL, "%s: expected a positive integer", key);
    *out = json_integer_value(v);
    return KF_OK;
}

/* An amount of money: a finite number in [0, 1e9]. */
static int ev__money(json_t *v, const char *key, double *out, struct kf_err *err)
{
    if (!json_is_number(v))
        return kf_errorf(err, KF_EINVAL, "%s: expected a number", key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > 1e9)
        return kf_errorf(err, KF_EINVAL, "%s: %g out of range [0, 1e9]", key, d);
    *out = d;
    return KF_OK;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" (a space may stand for T). */
static int ev__iso_time(const char *s, long long *ms)
{
    struct tm tm = {0};
    int frac = 0, fdigits = 0;
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (p == NULL || (*p != 'T' && *p != ' '))
        return -1;
    p = strptime(p + 1, "%H:%M:%S", &tm);
    if (p == NULL)
        return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (fdigits < 3)
                frac = frac * 10 + (*p - '0'), fdigits++;
        while (fdigits > 0 && fdigits < 3)
            frac *= 10, fdigits++;
    }
    long long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59 || strlen(p) != 6)
            return -1;
        offset = (hh * 60LL + mm) * 60000LL * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *ms = (long long)timegm(&tm) * 1000 + frac - offset;
    return 0;
}

static int ev__at(json_t *obj, long long now_ms, long long *out, struct kf_err *err)
{
    json_t *v = json_object_get(obj, "at");
    if (v == NULL || json_is_null(v)) {
        *out = now_ms;
        return KF_OK;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else if (!json_is_string(v) || json_string_length(v) > 40 ||
               ev__iso_time(json_string_value(v), out) != 0) {
        return kf_errorf(err, KF_EINVAL,
                         "at: expected ms since the epoch or YYYY-MM-DDTHH:MM:SS(Z|+HH:MM)");
    }
    if (*out < EV_MIN_MS || *out > now_ms + EV_DAY_MS)
        return kf_errorf(err, KF_EINVAL, "at: %lld is before 2000 or more than a day ahead", *out);
    return KF_OK;
}

static int ev__items(json_t *obj, struct kf_arena *a, struct kf_event *ev, struct kf_err *err)
{
    json_t *v = json_object_get(obj, "items");
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return kf_errorf(err, KF_EINVAL, "items: expected a non-empty array");
    if (json_array_size(v) > KF_EVENT_ITEMS_MAX)
        return kf_errorf(err, KF_EINVAL, "items: more than %d", KF_EVENT_ITEMS_MAX);
    ev->nitems = json_array_size(v);
    ev->items = kf_arena_calloc(a, ev->nitems, sizeof *ev->items);
    if (ev->items == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it)
    {
        struct kf_event_item *item = &ev->items[i];
        const char *k;
        json_t *f;
        if (!json_is_object(it))
            return kf_errorf(err, KF_EINVAL, "items[%zu]: expected an object", i);
        json_object_foreach(it, k, f)
        {
            if (strcmp(k, "sku") != 0 && strcmp(k, "qty") != 0 && strcmp(k, "price") != 0)
                return kf_errorf(err, KF_EINVAL, "items[%zu].%s: unknown field", i, k);
        }
        int rc = ev__str(it, "sku", EV_KEY_MAX, a, &item->sku, err);
        if (rc != KF_OK)
            return kf_err_prefix(err, "items[%zu]", i);
        if (item->sku == NULL)
            return kf_errorf(err, KF_EINVAL, "items[%zu].sku: missing", i);
        json_t *q = json_object_get(it, "qty");
        item->qty = 1;
        if (q != NULL) {
            if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 10000)
                return kf_errorf(err, KF_EINVAL, "items[%zu].qty: expected 1..10000", i);
            item->qty = (int)json_integer_value(q);
        }
        json_t *p = json_object_get(it, "price");
        if (p != NULL && ev__money(p, "price", &item->price, err) != KF_OK)
            return kf_err_prefix(err, "items[%zu]", i);
    }
    return KF_OK;
}

static int ev__attributes(json_t *obj, struct kf_event *ev, struct kf_err *err)
{
    json_t *v = json_object_get(obj, "attributes");
    if (v == NULL || json_is_null(v))
        return KF_OK;
    if (!json_is_object(v) || json_object_size(v) == 0)
        return kf_errorf(err, KF_EINVAL, "attributes: expected a non-empty object");
    if (json_object_size(v) > EV_ATTRS_MAX)
        return kf_errorf(err, KF_EINVAL, "attributes: more than %d", EV_ATTRS_MAX);
    const char *k;
    json_t *f;
    json_object_foreach(v, k, f)
    {
        if (strlen(k) == 0 || strlen(k) > EV_KEY_MAX)
            return kf_errorf(err, KF_EINVAL, "attributes: a name is empty or too long");
        if (json_is_string(f) && json_string_length(f) > EV_ATTR_VALUE_MAX)
            return kf_errorf(err, KF_EINVAL, "attributes.%s: longer than %d bytes", k,
                             EV_ATTR_VALUE_MAX);
        if (!json_is_string(f) && !json_is_number(f) && !json_is_boolean(f))
            return kf_errorf(err, KF_EINVAL, "attributes.%s: expected a string, number or bool", k);
    }
    json_t *b = json_object_get(v, "birthday");
    if (b != NULL) {
        struct tm tm = {0};
        const char *s = json_string_value(b);
        const char *end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
        if (end == NULL || *end != '\0' || strlen(s) != 10)
            return kf_errorf(err, KF_EINVAL, "attributes.birthday: expected YYYY-MM-DD");
    }
    json_t *o = json_object_get(v, "marketing_opt_out");
    if (o != NULL && !json_is_boolean(o))
        return kf_errorf(err, KF_EINVAL, "attributes.marketing_opt_out: expected true or false");
    json_t *l = json_object_get(v, "lang");
    if (l != NULL && (!json_is_string(l) || (strcmp(json_string_value(l), "zh") != 0 &&
                                             strcmp(json_string_value(l), "en") != 0)))
        return kf_errorf(err, KF_EINVAL, "attributes.lang: expected \"zh\" or \"en\"");
    ev->attributes = json_deep_copy(v);
    return ev->attributes ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
}

/* What each type needs. */
static int ev__required(const struct kf_event *ev, struct kf_err *err)
{
    const char *t = ev->type;
    if ((strcmp(t, "view") == 0 || strcmp(t, "click") == 0 || strcmp(t, "add_to_cart") == 0) &&
        ev->sku == NULL)
        return kf_errorf(err, KF_EINVAL, "sku: missing (a %s names the product)", t);
    if (strcmp(t, "search") == 0 && ev->query == NULL)
        return kf_errorf(err, KF_EINVAL, "query: missing (a search has a query)");
    if (strcmp(t, "order") == 0 && ev->order_no == NULL)
        return kf_errorf(err, KF_EINVAL, "order_no: missing (an order has a number)");
    if (strcmp(t, "order") == 0 && ev->nitems == 0 && !ev->has_amount)
        return kf_errorf(err, KF_EINVAL, "items: missing (an order has items or an amount)");
    if (strcmp(t, "payment") == 0 && (ev->order_no == NULL || !ev->has_amount))
        return kf_errorf(err, KF_EINVAL, "%s: missing (a payment has an order_no and an amount)",
                         ev->order_no == NULL ? "order_no" : "amount");
    if (strcmp(t, "refund") == 0 && !ev->has_amount)
        return kf_errorf(err, KF_EINVAL, "amount: missing (a refund has an amount)");
    if (strcmp(t, "attribute") == 0 && ev->attributes == NULL)
        return kf_errorf(err, KF_EINVAL, "attributes: missing (an attribute event sets some)");
    if (strcmp(t, "attribute") != 0 && ev->attributes != NULL)
        return kf_errorf(err, KF_EINVAL, "attributes: only an attribute event sets attributes");
    if (ev->customer_id == 0 && ev->external_id == NULL)
        return kf_errorf(err, KF_EINVAL, "customer_id: missing (or external_id with channel)");
    return KF_OK;
}

static int ev__parse(json_t *obj, long long now_ms, struct kf_arena *a, struct kf_event *ev,
                     struct kf_err *err)
{
    if (!json_is_object(obj))
        return kf_errorf(err, KF_EINVAL, "an event is a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!ev__in(k, ev__keys))
            return kf_errorf(err, KF_EINVAL, "%s: unknown field", k);
    }
    int rc;
    if ((rc = ev__str(obj, "type", 16, a, &ev->type, err)) != KF_OK)
        return rc;
    if (ev->type == NULL)
        return kf_errorf(err, KF_EINVAL, "type: missing");
    if (strcmp(ev->type, "message") == 0)
        return kf_errorf(err, KF_EINVAL, "type: message events are written by kefu itself");
    if (!ev__in(ev->type, ev__types))
        return kf_errorf(err, KF_EINVAL,
                         "type: \"%s\" is not one of view, click, search, add_to_cart, order, "
                         "payment, refund, attribute", ev->type);
    json_t *amount = json_object_get(obj, "amount");
    if (amount != NULL && !json_is_null(amount)) {
        if ((rc = ev__money(amount, "amount", &ev->amount, err)) != KF_OK)
            return rc;
        ev->has_amount = 1;
    }
    if ((rc = ev__str(obj, "event_id", EV_ID_MAX, a, &ev->event_id, err)) != KF_OK ||
        (rc = ev__id(obj, "customer_id", &ev->customer_id, err)) != KF_OK ||
        (rc = ev__str(obj, "external_id", EV_KEY_MAX, a, &ev->external_id, err)) != KF_OK ||
        (rc = ev__str(obj, "channel", EV_CHANNEL_MAX, a, &ev->channel, err)) != KF_OK ||
        (rc = ev__at(obj, now_ms, &ev->at, err)) != KF_OK ||
        (rc = ev__str(obj, "sku", EV_KEY_MAX, a, &ev->sku, err)) != KF_OK ||
        (rc = ev__str(obj, "category", EV_KEY_MAX, a, &ev->category, err)) != KF_OK ||
        (rc = ev__str(obj, "query", EV_QUERY_MAX, a, &ev->query, err)) != KF_OK ||
        (rc = ev__str(obj, "order_no", EV_KEY_MAX, a, &ev->order_no, err)) != KF_OK ||
        (rc = ev__id(obj, "rec_id", &ev->rec_id, err)) != KF_OK ||
        (rc = ev__items(obj, a, ev, err)) != KF_OK ||
        (rc = ev__attributes(obj, ev, err)) != KF_OK)
        return rc;
    if (ev->event_id != NULL && strncmp(ev->event_id, "order:", 6) == 0)
        return kf_errorf(err, KF_EINVAL, "event_id: the prefixes order: and refund: are kefu's");
    if (ev->event_id != NULL && strncmp(ev->event_id, "refund:", 7) == 0)
        return kf_errorf(err, KF_EINVAL, "event_id: the prefixes order: and refund: are kefu's");
    if (ev->customer_id != 0 && ev->external_id != NULL)
        return kf_errorf(err, KF_EINVAL, "customer_id: give customer_id or external_id, not both");
    if (ev->channel == NULL)
        ev->channel = "web";
    if ((rc = ev__required(ev, err)) != KF_OK)
        return rc;
    if (ev->event_id == NULL) {
        char id[19];
        kf_event_derive_id(ev, id);
        ev->event_id = kf_arena_strdup(a, id);
        if (ev->event_id == NULL)
            return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    return KF_OK;
}

int kf_event_parse(json_t *obj, long long now_ms, struct kf_arena *a, struct kf_event *ev,
                   struct kf_err *err)
{
    memset(ev, 0, sizeof *ev);
    int rc = ev__parse(obj, now_ms, a, ev, err);
    if (rc != KF_OK)
        kf_event_clear(ev);
    return rc;
}

void kf_event_clear(struct kf_event *ev)
{
    if (ev != NULL) {
        json_decref(ev->attributes);
        ev->attributes = NULL;
    }
}

/* ---- derived ids ----------------------------------------------------------- */

static unsigned long long ev__fnv(unsigned long long h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (h ^ 0x1f) * 1099511628211ULL; /* field separator */
}

void kf_event_derive_id(const struct kf_event *ev, char out[19])
{
    char num[64];
    unsigned long long h = 14695981039346656037ULL;
    h = ev__fnv(h, ev->type);
    snprintf(num, sizeof num, "%lld/%lld", ev->customer_id, ev->at);
    h = ev__fnv(h, num);
    h = ev__fnv(h, ev->channel);
    h = ev__fnv(h, ev->external_id);
    h = ev__fnv(h, ev->sku);
    h = ev__fnv(h, ev->category);
    h = ev__fnv(h, ev->query);
    h = ev__fnv(h, ev->order_no);
    snprintf(num, sizeof num, "%d/%.4f/%lld", ev->has_amount, ev->amount, ev->rec_id);
    h = ev__fnv(h, num);
    for (size_t i = 0; i < ev->nitems; i++) {
        snprintf(num, sizeof num, "%d/%.4f", ev->items[i].qty, ev->items[i].price);
        h = ev__fnv(ev__fnv(h, ev->items[i].sku), num);
    }
    if (ev->attributes != NULL) {
        char *text = json_dumps(ev->attributes, JSON_SORT_KEYS | JSON_COMPACT);
        h = ev__fnv(h, text);
        free(text);
    }
    snprintf(out, 19, "h:%016llx", h);
}

/* ---- the store calls ------------------------------------------------------- */

int kf_events_ingest(struct kf_store *st, struct kf_event *evs, size_t n, long long now_ms,
                     enum kf_event_status *status, struct kf_err *errors,
                     struct kf_ingest_stats *stats, struct kf_err *err)
{
    if (n > KF_EVENTS_BATCH_MAX)
        return kf_errorf(err, KF_EINVAL, "a batch holds at most %d events", KF_EVENTS_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        if (evs[i].event_id == NULL || evs[i].type == NULL)
            return kf_errorf(err, KF_EINVAL, "event %zu: not parsed (no id or type)", i);
    struct kf_ingest_stats local = {0};
    return st->events->ingest(st, evs, n, now_ms, status, errors, stats ? stats : &local, err);
}

void kf_events_set_rules(struct kf_store *st, const struct kf_profile_rules *rules)
{
    st->rules = rules;
}

const struct kf_profile_rules *kf_events_rules(const struct kf_store *st)
{
    return st->rules;
}

void kf_events_set_deferred(struct kf_store *st, int on)
{
    st->events_deferred = on != 0;
}

int kf_events_sync_shop(struct kf_store *st, long long now_ms, long long *added,
                        struct kf_err *err)
{
    long long local = 0;
    return st->events->sync_shop(st, now_ms, added ? added : &local, err);
}

static int ev__limit(int limit, int max, struct kf_err *err)
{
    if (limit < 1 || limit > max)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, %d]", limit, max);
    return KF_OK;
}

int kf_events_list(struct kf_store *st, long long customer_id, const char *type, int limit,
                   long long offset, json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (type != NULL && !ev__in(type, ev__types) && strcmp(type, "message") != 0)
        return kf_errorf(err, KF_EINVAL, "type: unknown event type \"%.32s\"", type);
    if (offset < 0)
        return kf_errorf(err, KF_EINVAL, "offset: negative");
    int rc = ev__limit(limit, 500, err);
    return rc != KF_OK ? rc : st->events->list(st, customer_id, type, limit, offset, out, err);
}

int kf_profiles_get(struct kf_store *st, long long customer_id, long long now_ms, json_t **out,
                    struct kf_err *err)
{
    *out = NULL;
    return st->events->profile_get(st, customer_id, now_ms, out, err);
}

int kf_profiles_rebuild(struct kf_store *st, long long now_ms,
                        void (*progress)(long long done, long long total, void *arg), void *arg,
                        struct kf_rebuild_stats *stats, struct kf_err *err)
{
    struct kf_rebuild_stats local = {0};
    return st->events->rebuild(st, now_ms, progress, arg, stats ? stats : &local, err);
}

int kf_profiles_fold_pending(struct kf_store *st, int max_customers, long long now_ms,
                             int *folded, struct kf_err *err)
{
    *folded = 0;
    if (max_customers < 1 || max_customers > 10000)
        return kf_errorf(err, KF_EINVAL, "max_customers: out of range [1, 10000]");
    return st->events->fold_pending(st, max_customers, now_ms > 0 ? now_ms : kf_time_now_ms(),
                                    folded, err);
}

int kf_segments_customers(struct kf_store *st, const char *tag, int limit, long long offset,
                          json_t **out, struct kf_err *err)
{
    *out = NULL;
    if (tag == NULL || tag[0] == '\0' || strlen(tag) > EV_KEY_MAX)
        return kf_errorf(err, KF_EINVAL, "tag: missing or longer than %d bytes", EV_KEY_MAX);
    if (offset < 0)
        return kf_errorf(err, KF_EINVAL, "offset: negative");
    int rc = ev__limit(limit, 500, err);
    return rc != KF_OK ? rc : st->events->segment(st, tag, limit, offset, out, err);
}

int kf_segments_summary(struct kf_store *st, json_t **out, struct kf_err *err)
{
    *out = NULL;
    return st->events->segments_summary(st, out, err);
}

int kf_churn_distribution(struct kf_store *st, int top, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = ev__limit(top, 100, err);
    return rc != KF_OK ? rc : st->events->churn(st, top, out, err);
}
