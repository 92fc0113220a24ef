/*
 * profile.c — customer profiles (profile.h): the fold of events into a
 * fixed-size state, the state's JSON form, the rules of profiles.yaml, and
 * the profile derived from a state at a moment in time.
 *
 * Design notes
 *
 * State. One fixed-size struct per customer, so apply is O(1) and allocates
 * nothing (except an attribute's value): counters and sums, first/last
 * times (-1: none), and small bounded tables:
 *   - months: order counts per calendar month (UTC), a ring of
 *     KF_PROFILE_MONTHS slots keyed by the month index since 1970-01
 *     (slot m % KF_PROFILE_MONTHS) and covering the months up to month_last.
 *     An order of a later month moves month_last forward and clears the
 *     slots passed; an order older than the ring counts only in the totals.
 *     So the ring always holds exactly the orders of its months, whatever
 *     the order of the events.
 *   - categories: space-saving top-k (Metwally et al. 2005) of weighted
 *     interest: an order's item 3, add_to_cart 2, click 1, view 0.5 (fixed
 *     here: apply takes no rules). A new category when the table is full
 *     replaces the one with the smallest score and inherits that score (kept
 *     as its `err`, the most it may be overestimated by).
 *   - channels: the same with counts.
 *   - moods: the KF_PROFILE_MOODS latest message sentiments (-1/0/1) with
 *     their times (the earliest is replaced when a later one arrives).
 *   - attributes: up to KF_PROFILE_ATTRS name → scalar (string ≤ 256 bytes,
 *     number, bool), the latest time winning per name; when full, a new name
 *     replaces the attribute updated longest ago if it is newer. The
 *     attributes the customer record keeps (name, city, lang, birthday,
 *     marketing_opt_out: events.h) are not kept here.
 * Counts, sums (up to floating-point rounding), min/max times, the month
 * ring and the moods do not depend on the order of events (a tie for the
 * last cart goes to the larger sku); the two top-k tables do once they
 * evict, as space-saving does. The JSON form lists every table in a
 * canonical order (by name; moods by time), so equal states are equal text.
 *
 * Derivation at `now` (all times in ms since the epoch; a day is 86400000):
 *   RFM     recency_days = whole days since the last order (null: none);
 *           frequency = orders; monetary = order amounts − refunds (≥ 0).
 *           r = 5 − #(recency breakpoints exceeded) (recency_days ≤ b₀ → 5);
 *           f = 1 + #(frequency breakpoints reached) (orders ≥ bᵢ), m alike;
 *           a customer who never ordered scores r = f = m = 1.
 *   segment from r and fm = ⌈(f + m) / 2⌉ (the usual R×F grid, with money):
 *                 fm:  1          2           3             4      5
 *             r 5   new        potential   potential     champions
 *             r 4   promising  potential   potential     loyal
 *             r 3   about_to_sleep (1–2)   need_attention loyal
 *             r 2   hibernating (1–2)      at_risk (3–4)  cant_lose (5)
 *             r 1   lost (1–2)             at_risk (3–4)  cant_lose (5)
 *           and "prospect" for a customer without orders.
 *   LTV     historical = net monetary; avg_order_value = net / orders;
 *           predicted_12m = yearly order rate × AOV × (1 − churn score), the
 *           rate being orders × 365 / max(days since the first order, 90).
 *   lifecycle  new: first seen (the earlier of the first event and the
 *           customer record) within new_days and at most one order; active:
 *           the last activity (any event, orders included; the record's
 *           creation for a customer without events) within active_days;
 *           dormant: within dormant_days; churned: longer ago. A customer
 *           who never ordered moves through the same stages by activity.
 *           "Within N days" is now − t ≤ N × 86400000 ms.
 *   activity orders_90d = the ring's current calendar month and the two
 *           before it; orders_prev_90d = the three months before those
 *           (months approximate 90 days).
 *   sentiment  moods by time; previous = mean of the older ⌊n/2⌋, recent =
 *           mean of the rest; trend improving/worsening when they differ by
 *           more than sentiment.trend_delta, else steady; unknown below two.
 *   churn   score = 1 − exp(−Σ wᵢ·xᵢ) with
 *             inactivity      x = clamp(idle / gap − 1, 0, 4): idle = days
 *                             since the last order (since the last activity
 *                             for a customer without orders), gap = the
 *                             customer's own mean days between orders
 *                             (clamped 7..365) when there are two or more,
 *                             else churn.default_gap_days;
 *             frequency_drop  x = (rate − recent) / rate, 0 when not fewer:
 *                             recent = orders of the last 6 calendar months
 *                             (the ring's), rate = the customer's own orders
 *                             per 6 months before them (orders before ÷ the
 *                             months from the first order, at least 6);
 *             negative_sentiment x = negative messages in 30 days (≤ 5);
 *             complaints      x = complaints in total (≤ 3) when the last is
 *                             within 90 days, else 0;
 *             open_tickets    x = open tickets + open complaints (≤ 6; a
 *                             complaint counts twice).
 *           A reason's weight is its share of the score, score × wᵢxᵢ / Σ;
 *           reasons under churn.min_reason are left out; largest first.
 *   tags    every rule's `when` (cond.h) against the profile without "tags",
 *           in file order.
 */
#include "kefu/profile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kefu/cond.h"
#include "kefu/mem.h"
#include "kefu/yaml.h"

#define DAY_MS 86400000LL
#define PF_NAME_MAX 64               /* sku, category, attribute name (bytes) */
#define PF_CHANNEL_MAX 32            /* channel (bytes) */
#define PF_VALUE_MAX 256             /* an attribute's string value (bytes) */
#define PF_ITEMS_MAX 1000            /* an order's items */
#define PF_EVENT_ATTRS_MAX 64        /* keys of one attribute event */
#define PF_TIME_MAX 32503680000000LL /* year 3000: times beyond are garbage */
#define PF_COUNT_MAX 1000000000000LL
#define PF_MONEY_MAX 1e15
#define PF_NBANDS_MAX 8
#define PF_NTAGS_MAX 64
#define PF_LABEL_MAX 128
#define PF_NRFM 4

/* Category weights of the fold (see the design notes). */
#define PF_W_ORDER 3.0
#define PF_W_CART 2.0
#define PF_W_CLICK 1.0
#define PF_W_VIEW 0.5

/* ------------------------------------------------------------------ state */

/* Tables compare a name's hash (FNV-1a, 32 bits; not stored in the JSON)
 * before its bytes: apply runs tens of millions of times in a rebuild. */
struct pf_cat {
    uint32_t hash;
    char name[PF_NAME_MAX + 1];
    double score, err;
};

struct pf_chan {
    uint32_t hash;
    char name[PF_CHANNEL_MAX + 1];
    long long count, err;
};

struct pf_mood {
    long long at;
    int v; /* -1 negative, 0 neutral, 1 positive */
};

struct pf_attr {
    char name[PF_NAME_MAX + 1];
    long long at;
    json_t *value; /* owned scalar */
};

struct kf_profile_state {
    long long first_seen, last_seen, first_order, last_order; /* -1: none */
    long long orders, refunds, payments;
    double monetary, refunded, paid;
    long long views, clicks, searches, cart_adds, messages;
    long long last_cart_at;
    char last_cart_sku[PF_NAME_MAX + 1];
    long long month_last; /* month index of the ring's newest month; -1: empty */
    long long months[KF_PROFILE_MONTHS];
    struct pf_cat cats[KF_PROFILE_CATEGORIES];
    int ncats;
    double price_sum;
    long long price_count;
    struct pf_chan chans[KF_PROFILE_CHANNELS];
    int nchans;
    struct pf_mood moods[KF_PROFILE_MOODS];
    int nmoods;
    long long complaints, last_complaint;
    struct pf_attr attrs[KF_PROFILE_ATTRS];
    int nattrs;
};

static void pf__state_init(struct kf_profile_state *s)
{
    memset(s, 0, sizeof *s);
    s->first_seen = s->last_seen = s->first_order = s->last_order = -1;
    s->last_cart_at = s->month_last = s->last_complaint = -1;
}

struct kf_profile_state *kf_profile_state_new(void)
{
    struct kf_profile_state *s = kf_malloc(sizeof *s);
    if (s != NULL)
        pf__state_init(s);
    return s;
}

void kf_profile_state_free(struct kf_profile_state *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->nattrs; i++)
        json_decref(s->attrs[i].value);
    kf_free(s);
}

/* ------------------------------------------------------------------- fold */

enum pf_type { T_VIEW, T_CLICK, T_SEARCH, T_CART, T_ORDER, T_PAYMENT, T_REFUND, T_ATTR, T_MSG };

static const char *const pf__types[] = {"view",    "click",  "search",    "add_to_cart", "order",
                                        "payment", "refund", "attribute", "message"};

static int pf__type(const char *t)
{
    int i;
    switch (t[0]) { /* one candidate per first letter, but two for 'a' */
    case 'v':
        i = T_VIEW;
        break;
    case 'c':
        i = T_CLICK;
        break;
    case 's':
        i = T_SEARCH;
        break;
    case 'a':
        i = t[1] == 'd' ? T_CART : T_ATTR;
        break;
    case 'o':
        i = T_ORDER;
        break;
    case 'p':
        i = T_PAYMENT;
        break;
    case 'r':
        i = T_REFUND;
        break;
    case 'm':
        i = T_MSG;
        break;
    default:
        return -1;
    }
    return strcmp(t, pf__types[i]) == 0 ? i : -1;
}

/* FNV-1a of a name; *len gets its length. */
static uint32_t pf__hash(const char *name, size_t *len)
{
    uint32_t h = 2166136261u;
    const unsigned char *p = (const unsigned char *)name;
    for (; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    *len = (size_t)(p - (const unsigned char *)name);
    return h;
}

/* Month index since 1970-01 of a time (civil-from-days, H. Hinnant). */
static long long pf__month(long long ms)
{
    long long z = (ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS)) + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long m = mp < 10 ? mp + 3 : mp - 9;
    long long y = yoe + era * 400 + (m <= 2);
    return (y - 1970) * 12 + (m - 1);
}

static void pf__month_add(struct kf_profile_state *s, long long m)
{
    const long long K = KF_PROFILE_MONTHS;
    if (s->month_last < 0 || m > s->month_last) {
        long long gap = s->month_last < 0 ? K : m - s->month_last;
        for (long long k = 0; k < gap && k < K; k++)
            s->months[(m - k) % K] = 0;
        s->month_last = m;
    }
    if (m > s->month_last - K)
        s->months[m % K]++;
}

/* Orders of the months [from, to] that the ring still covers. */
static long long pf__orders_in(const struct kf_profile_state *s, long long from, long long to)
{
    const long long K = KF_PROFILE_MONTHS;
    long long n = 0;
    if (s->month_last < 0)
        return 0;
    if (from < s->month_last - K + 1)
        from = s->month_last - K + 1;
    if (to > s->month_last)
        to = s->month_last;
    for (long long m = from; m <= to; m++)
        n += s->months[m % K];
    return n;
}

/* Space-saving: add w to a category (the smallest one makes room). */
static void pf__cat_add(struct kf_profile_state *s, const char *name, double w)
{
    size_t len;
    uint32_t h = pf__hash(name, &len);
    int min = 0;
    for (int i = 0; i < s->ncats; i++) {
        if (s->cats[i].hash == h && strcmp(s->cats[i].name, name) == 0) {
            s->cats[i].score += w;
            return;
        }
        if (s->cats[i].score < s->cats[min].score)
            min = i;
    }
    struct pf_cat *c;
    double base = 0;
    if (s->ncats < KF_PROFILE_CATEGORIES) {
        c = &s->cats[s->ncats++];
    } else {
        c = &s->cats[min];
        base = c->score;
    }
    memcpy(c->name, name, len + 1); /* len ≤ PF_NAME_MAX: checked by pf__check */
    c->hash = h;
    c->score = base + w;
    c->err = base;
}

static void pf__chan_add(struct kf_profile_state *s, const char *name)
{
    size_t len;
    uint32_t h = pf__hash(name, &len);
    int min = 0;
    for (int i = 0; i < s->nchans; i++) {
        if (s->chans[i].hash == h && strcmp(s->chans[i].name, name) == 0) {
            s->chans[i].count++;
            return;
        }
        if (s->chans[i].count < s->chans[min].count)
            min = i;
    }
    struct pf_chan *c;
    long long base = 0;
    if (s->nchans < KF_PROFILE_CHANNELS) {
        c = &s->chans[s->nchans++];
    } else {
        c = &s->chans[min];
        base = c->count;
    }
    memcpy(c->name, name, len + 1); /* len ≤ PF_CHANNEL_MAX: checked by pf__check */
    c->hash = h;
    c->count = base + 1;
    c->err = base;
}

static void pf__mood_add(struct kf_profile_state *s, long long at, int v)
{
    if (s->nmoods < KF_PROFILE_MOODS) {
        s->moods[s->nmoods++] = (struct pf_mood){at, v};
        return;
    }
    int min = 0;
    for (int i = 1; i < s->nmoods; i++)
        if (s->moods[i].at < s->moods[min].at)
            min = i;
    if (at > s->moods[min].at)
        s->moods[min] = (struct pf_mood){at, v};
}

static int pf__sentiment(const char *v)
{
    return strcmp(v, "negative") == 0   ? -1
           : strcmp(v, "neutral") == 0  ? 0
           : strcmp(v, "positive") == 0 ? 1
                                        : 2;
}

static int pf__known_attr(const char *name)
{
    static const char *const known[] = {"name", "city", "lang", "birthday", "marketing_opt_out"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(name, known[i]) == 0)
            return 1;
    return 0;
}

/* A copy of an attribute value, or NULL (out of memory). */
static json_t *pf__attr_copy(json_t *v)
{
    if (json_is_string(v))
        return json_stringn(json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        return json_integer(json_integer_value(v));
    if (json_is_real(v))
        return json_real(json_real_value(v));
    return json_boolean(json_is_true(v));
}

static int pf__attr_valid(const char *name, json_t *v, struct kf_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > PF_NAME_MAX)
        return kf_errorf(err, KF_EINVAL, "attributes: a name must be 1..%d bytes", PF_NAME_MAX);
    if (json_is_string(v) && json_string_length(v) > PF_VALUE_MAX)
        return kf_errorf(err, KF_EINVAL, "attributes.%s: longer than %d bytes", name, PF_VALUE_MAX);
    if (json_is_real(v) && !isfinite(json_real_value(v)))
        return kf_errorf(err, KF_EINVAL, "attributes.%s: not a finite number", name);
    if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
        return kf_errorf(err, KF_EINVAL, "attributes.%s: expected a string, number or bool", name);
    return KF_OK;
}

/* Put one attribute (its value copy `v` is taken; freed if not kept). */
static void pf__attr_put(struct kf_profile_state *s, const char *name, json_t *v, long long at)
{
    struct pf_attr *a = NULL;
    int oldest = 0;
    for (int i = 0; i < s->nattrs; i++) {
        if (strcmp(s->attrs[i].name, name) == 0) {
            a = &s->attrs[i];
            break;
        }
        if (s->attrs[i].at < s->attrs[oldest].at)
            oldest = i;
    }
    if (a == NULL && s->nattrs < KF_PROFILE_ATTRS) {
        a = &s->attrs[s->nattrs++];
        snprintf(a->name, sizeof a->name, "%s", name);
        a->at = -1;
        a->value = NULL;
    } else if (a == NULL && at > s->attrs[oldest].at) {
        a = &s->attrs[oldest];
        snprintf(a->name, sizeof a->name, "%s", name);
        a->at = -1;
    }
    if (a == NULL || at < a->at) {
        json_decref(v);
        return;
    }
    json_decref(a->value);
    a->value = v;
    a->at = at;
}

/* An attribute event: every value checked and copied, then all put. */
static int pf__apply_attrs(struct kf_profile_state *s, const struct kf_profile_event *ev,
                           struct kf_err *err)
{
    if (!json_is_object(ev->attributes))
        return kf_errorf(err, KF_EINVAL, "attributes: expected an object");
    if (json_object_size(ev->attributes) > PF_EVENT_ATTRS_MAX)
        return kf_errorf(err, KF_EINVAL, "attributes: more than %d keys", PF_EVENT_ATTRS_MAX);
    const char *names[PF_EVENT_ATTRS_MAX];
    json_t *copies[PF_EVENT_ATTRS_MAX];
    size_t n = 0;
    const char *key;
    json_t *v;
    int rc = KF_OK;
    json_object_foreach(ev->attributes, key, v)
    {
        if ((rc = pf__attr_valid(key, v, err)) != KF_OK)
            break;
        if (pf__known_attr(key))
            continue;
        if ((copies[n] = pf__attr_copy(v)) == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "attributes: out of memory");
            break;
        }
        names[n++] = key;
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == KF_OK)
            pf__attr_put(s, names[i], copies[i], ev->at);
        else
            json_decref(copies[i]);
    }
    return rc;
}

static int pf__text(const char *v, size_t max, const char *field, struct kf_err *err)
{
    if (v != NULL && strnlen(v, max + 1) > max)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %zu bytes", field, max);
    return KF_OK;
}

static int pf__money(double v, const char *field, struct kf_err *err)
{
    if (!isfinite(v) || v < 0 || v > PF_MONEY_MAX)
        return kf_errorf(err, KF_EINVAL, "%s: %g is not an amount in [0, %g]", field, v,
                         PF_MONEY_MAX);
    return KF_OK;
}

/* Every check of an event, before anything changes. */
static int pf__check(const struct kf_profile_event *ev, int type, struct kf_err *err)
{
    int rc;
    if (ev->at < 0 || ev->at > PF_TIME_MAX)
        return kf_errorf(err, KF_EINVAL, "at: %lld is not a time in ms", ev->at);
    if ((rc = pf__text(ev->channel, PF_CHANNEL_MAX, "channel", err)) != KF_OK ||
        (rc = pf__text(ev->sku, PF_NAME_MAX, "sku", err)) != KF_OK ||
        (rc = pf__text(ev->category, PF_NAME_MAX, "category", err)) != KF_OK ||
        (rc = pf__money(ev->amount, "amount", err)) != KF_OK ||
        (rc = pf__money(ev->price, "price", err)) != KF_OK)
        return rc;
    if (type == T_ORDER) {
        if (ev->nitem_categories > PF_ITEMS_MAX)
            return kf_errorf(err, KF_EINVAL, "items: more than %d", PF_ITEMS_MAX);
        for (size_t i = 0; i < ev->nitem_categories; i++) {
            if (ev->item_categories != NULL && (rc = pf__text(ev->item_categories[i], PF_NAME_MAX,
                                                              "items.category", err)) != KF_OK)
                return rc;
            if (ev->item_prices != NULL &&
                (rc = pf__money(ev->item_prices[i], "items.price", err)) != KF_OK)
                return rc;
        }
    }
    if (type == T_MSG && ev->sentiment != NULL && pf__sentiment(ev->sentiment) == 2)
        return kf_errorf(err, KF_EINVAL, "sentiment: '%.32s' is not negative, neutral or positive",
                         ev->sentiment);
    return KF_OK;
}

static int pf__has(const char *v)
{
    return v != NULL && v[0] != '\0';
}

static void pf__apply_order(struct kf_profile_state *s, const struct kf_profile_event *ev)
{
    s->orders++;
    s->monetary += ev->amount;
    if (s->first_order < 0 || ev->at < s->first_order)
        s->first_order = ev->at;
    if (ev->at > s->last_order)
        s->last_order = ev->at;
    pf__month_add(s, pf__month(ev->at));
    size_t n = ev->nitem_categories;
    for (size_t i = 0; i < n; i++) {
        if (ev->item_categories != NULL && pf__has(ev->item_categories[i]))
            pf__cat_add(s, ev->item_categories[i], PF_W_ORDER);
        if (ev->item_prices != NULL && ev->item_prices[i] > 0) {
            s->price_sum += ev->item_prices[i];
            s->price_count++;
        }
    }
    if (n == 0 && pf__has(ev->category))
        pf__cat_add(s, ev->category, PF_W_ORDER);
    if ((n == 0 || ev->item_prices == NULL) && ev->price > 0) {
        long long items = ev->items > 0 ? ev->items : 1;
        s->price_sum += ev->price * (double)items;
        s->price_count += items;
    }
}

static void pf__apply_behaviour(struct kf_profile_state *s, const struct kf_profile_event *ev,
                                int type)
{
    double w = 0;
    switch (type) {
    case T_VIEW:
        s->views++, w = PF_W_VIEW;
        break;
    case T_CLICK:
        s->clicks++, w = PF_W_CLICK;
        break;
    case T_SEARCH:
        s->searches++;
        break;
    default:
        s->cart_adds++, w = PF_W_CART;
        if (ev->at > s->last_cart_at || (ev->at == s->last_cart_at && pf__has(ev->sku) &&
                                         strcmp(ev->sku, s->last_cart_sku) > 0)) {
            s->last_cart_at = ev->at;
            snprintf(s->last_cart_sku, sizeof s->last_cart_sku, "%s", ev->sku ? ev->sku : "");
        }
        break;
    }
    if (w > 0 && pf__has(ev->category))
        pf__cat_add(s, ev->category, w);
}

int kf_profile_apply(struct kf_profile_state *s, const struct kf_profile_event *ev,
                     struct kf_err *err)
{
    if (s == NULL || ev == NULL || ev->type == NULL)
        return kf_errorf(err, KF_EINVAL, "type: missing");
    int type = pf__type(ev->type);
    if (type < 0)
        return kf_errorf(err, KF_EINVAL, "type: unknown event type '%.32s'", ev->type);
    int rc = pf__check(ev, type, err);
    if (rc == KF_OK && type == T_ATTR)
        rc = pf__apply_attrs(s, ev, err);
    if (rc != KF_OK)
        return rc;
    /* an attribute (a birthday set, an opt-out) is not the customer being
     * active: it never moves the seen times or the channel counts */
    if (type == T_ATTR)
        return KF_OK;
    if (s->first_seen < 0 || ev->at < s->first_seen)
        s->first_seen = ev->at;
    if (ev->at > s->last_seen)
        s->last_seen = ev->at;
    if (pf__has(ev->channel))
        pf__chan_add(s, ev->channel);
    switch (type) {
    case T_ORDER:
        pf__apply_order(s, ev);
        break;
    case T_PAYMENT:
        s->payments++, s->paid += ev->amount;
        break;
    case T_REFUND:
        s->refunds++, s->refunded += ev->amount;
        break;
    case T_ATTR:
        break;
    case T_MSG:
        s->messages++;
        if (ev->sentiment != NULL)
            pf__mood_add(s, ev->at, pf__sentiment(ev->sentiment));
        if (ev->intent != NULL && strcmp(ev->intent, "complaint") == 0) {
            s->complaints++;
            if (ev->at > s->last_complaint)
                s->last_complaint = ev->at;
        }
        break;
    default:
        pf__apply_behaviour(s, ev, type);
        break;
    }
    return KF_OK;
}

/* ------------------------------------------------------------ state JSON */

/* Builder: a NULL value or a failed set clears *ok (the value is consumed). */
static void pf__put(json_t *o, const char *key, json_t *v, int *ok)
{
    if (v == NULL || o == NULL || json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

static void pf__push(json_t *a, json_t *v, int *ok)
{
    if (v == NULL || a == NULL || json_array_append_new(a, v) != 0)
        *ok = 0;
}

static json_t *pf__time_json(long long t)
{
    return t < 0 ? json_null() : json_integer(t);
}

/* Indexes 0..n-1 of a small table in the order `before` says (n ≤ 16). */
static void pf__order(const struct kf_profile_state *s, int n, int *idx,
                      int (*before)(const struct kf_profile_state *, int, int))
{
    for (int i = 0; i < n; i++) {
        int k = i;
        for (; k > 0 && before(s, i, idx[k - 1]); k--)
            idx[k] = idx[k - 1];
        idx[k] = i;
    }
}

static int pf__cat_by_name(const struct kf_profile_state *s, int a, int b)
{
    return strcmp(s->cats[a].name, s->cats[b].name) < 0;
}

static int pf__cat_by_score(const struct kf_profile_state *s, int a, int b)
{
    const struct pf_cat *x = &s->cats[a], *y = &s->cats[b];
    return x->score > y->score || (x->score == y->score && strcmp(x->name, y->name) < 0);
}

static int pf__chan_by_name(const struct kf_profile_state *s, int a, int b)
{
    return strcmp(s->chans[a].name, s->chans[b].name) < 0;
}

static int pf__chan_by_count(const struct kf_profile_state *s, int a, int b)
{
    const struct pf_chan *x = &s->chans[a], *y = &s->chans[b];
    return x->count > y->count || (x->count == y->count && strcmp(x->name, y->name) < 0);
}

static int pf__mood_by_time(const struct kf_profile_state *s, int a, int b)
{
    const struct pf_mood *x = &s->moods[a], *y = &s->moods[b];
    return x->at < y->at || (x->at == y->at && x->v < y->v);
}

static int pf__attr_by_name(const struct kf_profile_state *s, int a, int b)
{
    return strcmp(s->attrs[a].name, s->attrs[b].name) < 0;
}

/* The tables in a canonical order (by name, moods by time), so that the
 * same events in any order give the same text. */
static json_t *pf__state_tables(const struct kf_profile_state *s, int *ok)
{
    int x[KF_PROFILE_MOODS + KF_PROFILE_ATTRS + KF_PROFILE_CATEGORIES];
    json_t *o = json_object(), *a = json_array();
    pf__order(s, s->ncats, x, pf__cat_by_name);
    for (int i = 0; i < s->ncats; i++)
        pf__push(a,
                 json_pack("{s:s, s:f, s:f}", "name", s->cats[x[i]].name, "score",
                           s->cats[x[i]].score, "err", s->cats[x[i]].err),
                 ok);
    pf__put(o, "categories", a, ok);
    a = json_array();
    pf__order(s, s->nchans, x, pf__chan_by_name);
    for (int i = 0; i < s->nchans; i++)
        pf__push(a,
                 json_pack("{s:s, s:I, s:I}", "name", s->chans[x[i]].name, "count",
                           (json_int_t)s->chans[x[i]].count, "err", (json_int_t)s->chans[x[i]].err),
                 ok);
    pf__put(o, "channels", a, ok);
    a = json_array();
    pf__order(s, s->nmoods, x, pf__mood_by_time);
    for (int i = 0; i < s->nmoods; i++)
        pf__push(
            a, json_pack("{s:I, s:i}", "at", (json_int_t)s->moods[x[i]].at, "v", s->moods[x[i]].v),
            ok);
    pf__put(o, "moods", a, ok);
    a = json_array();
    pf__order(s, s->nattrs, x, pf__attr_by_name);
    for (int i = 0; i < s->nattrs; i++)
        pf__push(a,
                 json_pack("{s:s, s:I, s:o}", "name", s->attrs[x[i]].name, "at",
                           (json_int_t)s->attrs[x[i]].at, "value",
                           pf__attr_copy(s->attrs[x[i]].value)),
                 ok);
    pf__put(o, "attributes", a, ok);
    a = json_array();
    for (int k = 0; k < KF_PROFILE_MONTHS; k++) {
        long long m = s->month_last - k;
        pf__push(a, json_integer(m < 0 ? 0 : s->months[m % KF_PROFILE_MONTHS]), ok);
    }
    pf__put(o, "months", a, ok);
    return o;
}

json_t *kf_profile_state_json(const struct kf_profile_state *s)
{
    if (s == NULL)
        return NULL;
    int ok = 1;
    json_t *o = pf__state_tables(s, &ok);
    pf__put(o, "v", json_integer(1), &ok);
    const struct {
        const char *key;
        long long v;
    } times[] = {{"first_seen_at", s->first_seen},   {"last_seen_at", s->last_seen},
                 {"first_order_at", s->first_order}, {"last_order_at", s->last_order},
                 {"last_cart_at", s->last_cart_at},  {"last_complaint_at", s->last_complaint},
                 {"month_last", s->month_last}};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        pf__put(o, times[i].key, pf__time_json(times[i].v), &ok);
    const struct {
        const char *key;
        long long v;
    } counts[] = {{"orders", s->orders},           {"refunds", s->refunds},
                  {"payments", s->payments},       {"views", s->views},
                  {"clicks", s->clicks},           {"searches", s->searches},
                  {"cart_adds", s->cart_adds},     {"messages", s->messages},
                  {"price_count", s->price_count}, {"complaints", s->complaints}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        pf__put(o, counts[i].key, json_integer(counts[i].v), &ok);
    pf__put(o, "monetary", json_real(s->monetary), &ok);
    pf__put(o, "refunded", json_real(s->refunded), &ok);
    pf__put(o, "paid", json_real(s->paid), &ok);
    pf__put(o, "price_sum", json_real(s->price_sum), &ok);
    pf__put(o, "last_cart_sku", json_string(s->last_cart_sku), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Reading the stored form back: every field checked, nothing trusted. */
struct pf_rd {
    struct kf_err *err;
    int rc;
};

static int pf__rd_fail(struct pf_rd *R, const char *key, const char *what)
{
    if (R->rc == KF_OK)
        R->rc = kf_errorf(R->err, KF_EINVAL, "profile state: %s: %s", key, what);
    return R->rc;
}

static long long pf__rd_int(struct pf_rd *R, json_t *o, const char *key, long long min,
                            long long max, int nullable)
{
    json_t *v = json_object_get(o, key);
    if (nullable && json_is_null(v))
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        pf__rd_fail(R, key,
                    nullable ? "expected null or an integer in range"
                             : "expected an integer in range");
        return min;
    }
    return json_integer_value(v);
}

static double pf__rd_num(struct pf_rd *R, json_t *o, const char *key, double max)
{
    json_t *v = json_object_get(o, key);
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < 0 || d > max) {
        pf__rd_fail(R, key, "expected a number in range");
        return 0;
    }
    return d;
}

static void pf__rd_str(struct pf_rd *R, json_t *o, const char *key, char *out, size_t cap,
                       int allow_empty)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v) ||
        (!allow_empty && json_string_length(v) == 0)) {
        pf__rd_fail(R, key, "expected a string of the right length");
        return;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
}

/* An object holds exactly the keys listed. */
static void pf__rd_keys(struct pf_rd *R, json_t *o, const char *what, const char *const *keys,
                        size_t n)
{
    if (!json_is_object(o)) {
        pf__rd_fail(R, what, "expected an object");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0)
            i++;
        if (i == n) {
            pf__rd_fail(R, what, "unknown key");
            return;
        }
    }
    if (json_object_size(o) != n)
        pf__rd_fail(R, what, "missing keys");
}

/* An array of at most max objects with the given keys; its size, or 0. */
static size_t pf__rd_table(struct pf_rd *R, json_t *o, const char *key, size_t max,
                           const char *const *keys, size_t nkeys)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) > max) {
        pf__rd_fail(R, key, "expected a short array");
        return 0;
    }
    for (size_t i = 0; i < json_array_size(a); i++)
        pf__rd_keys(R, json_array_get(a, i), key, keys, nkeys);
    return R->rc == KF_OK ? json_array_size(a) : 0;
}

static void pf__rd_cats(struct pf_rd *R, json_t *o, struct kf_profile_state *s)
{
    static const char *const keys[] = {"name", "score", "err"};
    size_t n = pf__rd_table(R, o, "categories", KF_PROFILE_CATEGORIES, keys, 3);
    json_t *a = json_object_get(o, "categories");
    for (size_t i = 0; i < n && R->rc == KF_OK; i++) {
        struct pf_cat *c = &s->cats[i];
        json_t *e = json_array_get(a, i);
        pf__rd_str(R, e, "name", c->name, sizeof c->name, 0);
        size_t len;
        c->hash = pf__hash(c->name, &len);
        c->score = pf__rd_num(R, e, "score", PF_MONEY_MAX);
        c->err = pf__rd_num(R, e, "err", PF_MONEY_MAX);
        if (c->err > c->score)
            pf__rd_fail(R, "categories", "err above score");
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->cats[j].name, c->name) == 0)
                pf__rd_fail(R, "categories", "duplicate name");
    }
    s->ncats = (int)n;
}

static void pf__rd_chans(struct pf_rd *R, json_t *o, struct kf_profile_state *s)
{
    static const char *const keys[] = {"name", "count", "err"};
    size_t n = pf__rd_table(R, o, "channels", KF_PROFILE_CHANNELS, keys, 3);
    json_t *a = json_object_get(o, "channels");
    for (size_t i = 0; i < n && R->rc == KF_OK; i++) {
        struct pf_chan *c = &s->chans[i];
        json_t *e = json_array_get(a, i);
        pf__rd_str(R, e, "name", c->name, sizeof c->name, 0);
        size_t len;
        c->hash = pf__hash(c->name, &len);
        c->count = pf__rd_int(R, e, "count", 1, PF_COUNT_MAX, 0);
        c->err = pf__rd_int(R, e, "err", 0, PF_COUNT_MAX, 0);
        if (c->err >= c->count)
            pf__rd_fail(R, "channels", "err not below count");
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->chans[j].name, c->name) == 0)
                pf__rd_fail(R, "channels", "duplicate name");
    }
    s->nchans = (int)n;
}

static void pf__rd_moods(struct pf_rd *R, json_t *o, struct kf_profile_state *s)
{
    static const char *const keys[] = {"at", "v"};
    size_t n = pf__rd_table(R, o, "moods", KF_PROFILE_MOODS, keys, 2);
    json_t *a = json_object_get(o, "moods");
    for (size_t i = 0; i < n && R->rc == KF_OK; i++) {
        json_t *e = json_array_get(a, i);
        s->moods[i].at = pf__rd_int(R, e, "at", 0, PF_TIME_MAX, 0);
        s->moods[i].v = (int)pf__rd_int(R, e, "v", -1, 1, 0);
    }
    s->nmoods = (int)n;
}

static void pf__rd_attrs(struct pf_rd *R, json_t *o, struct kf_profile_state *s)
{
    static const char *const keys[] = {"name", "at", "value"};
    size_t n = pf__rd_table(R, o, "attributes", KF_PROFILE_ATTRS, keys, 3);
    json_t *a = json_object_get(o, "attributes");
    for (size_t i = 0; i < n && R->rc == KF_OK; i++) {
        struct pf_attr *t = &s->attrs[i];
        json_t *e = json_array_get(a, i);
        pf__rd_str(R, e, "name", t->name, sizeof t->name, 0);
        t->at = pf__rd_int(R, e, "at", 0, PF_TIME_MAX, 0);
        json_t *v = json_object_get(e, "value");
        struct kf_err verr;
        if (R->rc == KF_OK && pf__attr_valid(t->name, v, &verr) != KF_OK)
            pf__rd_fail(R, "attributes", verr.msg);
        for (size_t j = 0; j < i && R->rc == KF_OK; j++)
            if (strcmp(s->attrs[j].name, t->name) == 0)
                pf__rd_fail(R, "attributes", "duplicate name");
        if (R->rc == KF_OK) {
            if ((t->value = pf__attr_copy(v)) == NULL)
                R->rc = kf_errorf(R->err, KF_ENOMEM, "profile state: out of memory");
            else
                s->nattrs = (int)i + 1;
        }
    }
}

static void pf__rd_months(struct pf_rd *R, json_t *o, struct kf_profile_state *s)
{
    json_t *a = json_object_get(o, "months");
    if (!json_is_array(a) || json_array_size(a) != KF_PROFILE_MONTHS) {
        pf__rd_fail(R, "months", "expected an array of KF_PROFILE_MONTHS counts");
        return;
    }
    s->month_last = pf__rd_int(R, o, "month_last", 0, 12LL * 1100, 1);
    for (long long k = 0; k < KF_PROFILE_MONTHS && R->rc == KF_OK; k++) {
        json_t *v = json_array_get(a, (size_t)k);
        long long c = json_integer_value(v);
        if (!json_is_integer(v) || c < 0 || c > s->orders) {
            pf__rd_fail(R, "months", "expected counts in [0, orders]");
            break;
        }
        if (s->month_last < 0 && c != 0)
            pf__rd_fail(R, "months", "counts without month_last");
        else if (s->month_last - k >= 0)
            s->months[(s->month_last - k) % KF_PROFILE_MONTHS] = c;
        else if (c != 0)
            pf__rd_fail(R, "months", "a count before 1970");
    }
}

static const char *const pf__state_keys[] = {"v",
                                             "first_seen_at",
                                             "last_seen_at",
                                             "first_order_at",
                                             "last_order_at",
                                             "last_cart_at",
                                             "last_complaint_at",
                                             "month_last",
                                             "orders",
                                             "refunds",
                                             "payments",
                                             "views",
                                             "clicks",
                                             "searches",
                                             "cart_adds",
                                             "messages",
                                             "price_count",
                                             "complaints",
                                             "monetary",
                                             "refunded",
                                             "paid",
                                             "price_sum",
                                             "last_cart_sku",
                                             "categories",
                                             "channels",
                                             "moods",
                                             "attributes",
                                             "months"};

static void pf__rd_scalars(struct pf_rd *R, json_t *j, struct kf_profile_state *s)
{
    s->first_seen = pf__rd_int(R, j, "first_seen_at", 0, PF_TIME_MAX, 1);
    s->last_seen = pf__rd_int(R, j, "last_seen_at", 0, PF_TIME_MAX, 1);
    s->first_order = pf__rd_int(R, j, "first_order_at", 0, PF_TIME_MAX, 1);
    s->last_order = pf__rd_int(R, j, "last_order_at", 0, PF_TIME_MAX, 1);
    s->last_cart_at = pf__rd_int(R, j, "last_cart_at", 0, PF_TIME_MAX, 1);
    s->last_complaint = pf__rd_int(R, j, "last_complaint_at", 0, PF_TIME_MAX, 1);
    const struct {
        const char *key;
        long long *v;
    } counts[] = {{"orders", &s->orders},           {"refunds", &s->refunds},
                  {"payments", &s->payments},       {"views", &s->views},
                  {"clicks", &s->clicks},           {"searches", &s->searches},
                  {"cart_adds", &s->cart_adds},     {"messages", &s->messages},
                  {"price_count", &s->price_count}, {"complaints", &s->complaints}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        *counts[i].v = pf__rd_int(R, j, counts[i].key, 0, PF_COUNT_MAX, 0);
    s->monetary = pf__rd_num(R, j, "monetary", PF_MONEY_MAX * 1e3);
    s->refunded = pf__rd_num(R, j, "refunded", PF_MONEY_MAX * 1e3);
    s->paid = pf__rd_num(R, j, "paid", PF_MONEY_MAX * 1e3);
    s->price_sum = pf__rd_num(R, j, "price_sum", PF_MONEY_MAX * 1e3);
    pf__rd_str(R, j, "last_cart_sku", s->last_cart_sku, sizeof s->last_cart_sku, 1);
}

/* What a fold can never produce. */
static void pf__rd_consistent(struct pf_rd *R, const struct kf_profile_state *s)
{
    if ((s->first_seen < 0) != (s->last_seen < 0) || s->first_seen > s->last_seen)
        pf__rd_fail(R, "first_seen_at", "inconsistent with last_seen_at");
    if ((s->first_order < 0) != (s->last_order < 0) || s->first_order > s->last_order ||
        (s->orders > 0) != (s->last_order >= 0) || (s->orders > 0) != (s->month_last >= 0))
        pf__rd_fail(R, "orders", "inconsistent with the order times");
    if ((s->complaints > 0) != (s->last_complaint >= 0))
        pf__rd_fail(R, "complaints", "inconsistent with last_complaint_at");
}

int kf_profile_state_from_json(json_t *j, struct kf_profile_state **out, struct kf_err *err)
{
    *out = NULL;
    struct pf_rd R = {.err = err, .rc = KF_OK};
    pf__rd_keys(&R, j, "state", pf__state_keys, sizeof pf__state_keys / sizeof pf__state_keys[0]);
    if (R.rc == KF_OK && pf__rd_int(&R, j, "v", 1, 1, 0) != 1)
        return R.rc;
    if (R.rc != KF_OK)
        return R.rc;
    struct kf_profile_state *s = kf_profile_state_new();
    if (s == NULL)
        return kf_errorf(err, KF_ENOMEM, "profile state: out of memory");
    pf__rd_scalars(&R, j, s);
    pf__rd_months(&R, j, s);
    pf__rd_cats(&R, j, s);
    pf__rd_chans(&R, j, s);
    pf__rd_moods(&R, j, s);
    pf__rd_attrs(&R, j, s);
    pf__rd_consistent(&R, s);
    if (R.rc != KF_OK) {
        kf_profile_state_free(s);
        return R.rc;
    }
    *out = s;
    return KF_OK;
}

/* ------------------------------------------------------------------ rules */

struct pf_band {
    char name[33];
    char zh[PF_LABEL_MAX + 1], en[PF_LABEL_MAX + 1];
    double below; /* INFINITY for the last */
};

struct pf_tag {
    char name[PF_NAME_MAX + 1];
    char zh[PF_LABEL_MAX + 1], en[PF_LABEL_MAX + 1];
    struct kf_cond *when;
};

enum { W_INACTIVITY, W_DROP, W_NEGATIVE, W_COMPLAINTS, W_OPEN, W_N };
static const char *const pf__weight_keys[W_N + 1] = {
    "inactivity", "frequency_drop", "negative_sentiment", "complaints", "open_tickets", NULL};

struct kf_profile_rules {
    double rfm[3][PF_NRFM]; /* recency_days, frequency, monetary */
    long new_days, active_days, dormant_days;
    struct pf_band bands[PF_NBANDS_MAX];
    size_t nbands;
    double w[W_N];
    double default_gap_days, medium, high, min_reason;
    double trend_delta;
    struct pf_tag *tags;
    const char **names;
    size_t ntags;
};

static void pf__defaults(struct kf_profile_rules *r)
{
    static const double rfm[3][PF_NRFM] = {
        {30, 90, 180, 365}, {2, 3, 5, 8}, {500, 1000, 5000, 10000}};
    static const struct pf_band bands[] = {{"budget", "经济", "Budget", 200},
                                           {"mid", "中端", "Mid-range", 1000},
                                           {"premium", "高端", "Premium", 5000},
                                           {"luxury", "奢华", "Luxury", INFINITY}};
    static const double w[W_N] = {0.6, 0.8, 0.25, 0.4, 0.35};
    memset(r, 0, sizeof *r);
    memcpy(r->rfm, rfm, sizeof rfm);
    r->new_days = 30, r->active_days = 90, r->dormant_days = 365;
    memcpy(r->bands, bands, sizeof bands);
    r->nbands = sizeof bands / sizeof bands[0];
    memcpy(r->w, w, sizeof w);
    r->default_gap_days = 60;
    r->medium = 0.4, r->high = 0.7, r->min_reason = 0.05;
    r->trend_delta = 0.25;
}

struct kf_profile_rules *kf_profile_rules_default(void)
{
    struct kf_profile_rules *r = kf_malloc(sizeof *r);
    if (r != NULL)
        pf__defaults(r);
    return r;
}

void kf_profile_rules_free(struct kf_profile_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->ntags; i++)
        kf_cond_free(r->tags[i].when);
    kf_free(r->tags);
    kf_free(r->names);
    kf_free(r);
}

size_t kf_profile_rules_tags(const struct kf_profile_rules *r, const char *const **names)
{
    if (names != NULL)
        *names = r != NULL ? r->names : NULL;
    return r != NULL ? r->ntags : 0;
}

/* The loader's context; every error is KF_EPARSE at a node. */
struct pf_load {
    const struct kf_ydoc *doc;
    struct kf_profile_rules *r;
    struct kf_err *err;
};

static int pf__perr(struct pf_load *L, const struct kf_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pf__perr(struct pf_load *L, const struct kf_ynode *at, const char *fmt, ...)
{
    char what[KF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return kf_ydoc_errorf(L->doc, at, L->err, KF_EPARSE, "%s", what);
}

/* The yaml.h readers report KF_ECONFIG; a rules file says KF_EPARSE. */
static int pf__as_parse(int rc, struct kf_err *err)
{
    if (rc != KF_OK && rc != KF_ENOMEM) {
        rc = KF_EPARSE;
        if (err != NULL)
            err->code = KF_EPARSE;
    }
    return rc;
}

/* A mapping whose keys are all among `keys` (NULL-terminated). */
static int pf__map(struct pf_load *L, const struct kf_ynode *n, const char *what,
                   const char *const *keys)
{
    if (n->type != KF_Y_MAP)
        return pf__perr(L, n, "%s: expected a mapping", what);
    for (size_t i = 0; i < n->n; i++) {
        size_t k = 0;
        while (keys[k] != NULL && strcmp(keys[k], n->keys[i]->str) != 0)
            k++;
        if (keys[k] == NULL) {
            char list[256] = "";
            size_t used = 0;
            for (k = 0; keys[k] != NULL && used < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                         keys[k]);
            return pf__perr(L, n->keys[i], "%s: unknown key '%.64s' (expected %s)", what,
                            n->keys[i]->str, list);
        }
    }
    return KF_OK;
}

static int pf__num(struct pf_load *L, const struct kf_ynode *n, const char *key, double min,
                   double max, double *out)
{
    if (n == NULL)
        return KF_OK;
    return pf__as_parse(kf_ynode_double(L->doc, n, key, min, max, out, L->err), L->err);
}

static int pf__days(struct pf_load *L, const struct kf_ynode *map, const char *key, long *out)
{
    const struct kf_ynode *n = kf_ynode_get(map, key);
    if (n == NULL)
        return KF_OK;
    char name[64];
    snprintf(name, sizeof name, "lifecycle.%s", key);
    return pf__as_parse(kf_ynode_long(L->doc, n, name, 1, 36500, out, L->err), L->err);
}

/* rfm.<key>: four increasing numbers. */
static int pf__breakpoints(struct pf_load *L, const struct kf_ynode *map, const char *key,
                           double out[PF_NRFM])
{
    const struct kf_ynode *n = kf_ynode_get(map, key);
    if (n == NULL)
        return KF_OK;
    if (n->type != KF_Y_SEQ || n->n != PF_NRFM)
        return pf__perr(L, n, "rfm.%s: expected a list of %d increasing numbers", key, PF_NRFM);
    double v[PF_NRFM];
    for (size_t i = 0; i < PF_NRFM; i++) {
        char name[64];
        snprintf(name, sizeof name, "rfm.%s[%zu]", key, i);
        int rc = pf__num(L, n->items[i], name, 0, 1e12, &v[i]);
        if (rc != KF_OK)
            return rc;
        if (i > 0 && v[i] <= v[i - 1])
            return pf__perr(L, n->items[i], "%s: %g is not above %g (breakpoints increase)", name,
                            v[i], v[i - 1]);
    }
    memcpy(out, v, sizeof v);
    return KF_OK;
}

static int pf__load_rfm(struct pf_load *L, const struct kf_ynode *n)
{
    static const char *const keys[] = {"recency_days", "frequency", "monetary", NULL};
    int rc = pf__map(L, n, "rfm", keys);
    for (int i = 0; i < 3 && rc == KF_OK; i++)
        rc = pf__breakpoints(L, n, keys[i], L->r->rfm[i]);
    return rc;
}

static int pf__load_lifecycle(struct pf_load *L, const struct kf_ynode *n)
{
    static const char *const keys[] = {"new_days", "active_days", "dormant_days", NULL};
    struct kf_profile_rules *r = L->r;
    int rc = pf__map(L, n, "lifecycle", keys);
    if (rc == KF_OK && (rc = pf__days(L, n, "new_days", &r->new_days)) == KF_OK &&
        (rc = pf__days(L, n, "active_days", &r->active_days)) == KF_OK)
        rc = pf__days(L, n, "dormant_days", &r->dormant_days);
    if (rc == KF_OK && r->active_days >= r->dormant_days)
        rc = pf__perr(L, n, "lifecycle: active_days (%ld) must be below dormant_days (%ld)",
                      r->active_days, r->dormant_days);
    return rc;
}

/* A label or name into a fixed buffer. */
static int pf__str(struct pf_load *L, const struct kf_ynode *item, const char *key,
                   const char *what, char *out, size_t cap, int ident)
{
    const struct kf_ynode *n = kf_ynode_get(item, key);
    if (n == NULL)
        return pf__perr(L, item, "%s: %s: required", what, key);
    if (n->type != KF_Y_SCALAR || n->len == 0 || n->len >= cap)
        return pf__perr(L, n, "%s: %s: expected text of 1..%zu bytes", what, key, cap - 1);
    for (size_t i = 0; ident && i < n->len; i++) {
        char ch = n->str[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return pf__perr(L, n, "%s: %s: '%.64s' is not [a-z0-9_]+", what, key, n->str);
    }
    memcpy(out, n->str, n->len + 1);
    return KF_OK;
}

static int pf__load_band(struct pf_load *L, const struct kf_ynode *item, size_t i, size_t last)
{
    static const char *const keys[] = {"name", "below", "zh", "en", NULL};
    struct pf_band *b = &L->r->bands[i];
    char what[48];
    snprintf(what, sizeof what, "price_bands[%zu]", i);
    int rc = pf__map(L, item, what, keys);
    if (rc == KF_OK && (rc = pf__str(L, item, "name", what, b->name, sizeof b->name, 1)) == KF_OK &&
        (rc = pf__str(L, item, "zh", what, b->zh, sizeof b->zh, 0)) == KF_OK)
        rc = pf__str(L, item, "en", what, b->en, sizeof b->en, 0);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *below = kf_ynode_get(item, "below");
    b->below = INFINITY;
    if (i == last && below != NULL)
        return pf__perr(L, below, "%s: below: the last band has no upper limit", what);
    if (i < last && below == NULL)
        return pf__perr(L, item, "%s: below: required (all bands but the last)", what);
    char name[64];
    snprintf(name, sizeof name, "%s.below", what);
    if ((rc = pf__num(L, below, name, 0, 1e12, &b->below)) != KF_OK)
        return rc;
    if (i > 0 && b->below <= L->r->bands[i - 1].below)
        return pf__perr(L, below, "%s: %g is not above the band before", name, b->below);
    for (size_t k = 0; k < i; k++)
        if (strcmp(L->r->bands[k].name, b->name) == 0)
            return pf__perr(L, item, "%s: duplicate band '%s'", what, b->name);
    return KF_OK;
}

static int pf__load_bands(struct pf_load *L, const struct kf_ynode *n)
{
    if (n->type != KF_Y_SEQ || n->n == 0 || n->n > PF_NBANDS_MAX)
        return pf__perr(L, n, "price_bands: expected a list of 1..%d bands", PF_NBANDS_MAX);
    for (size_t i = 0; i < n->n; i++) {
        int rc = pf__load_band(L, n->items[i], i, n->n - 1);
        if (rc != KF_OK)
            return rc;
    }
    L->r->nbands = n->n;
    return KF_OK;
}

static int pf__load_churn(struct pf_load *L, const struct kf_ynode *n)
{
    static const char *const keys[] = {"weights", "default_gap_days", "thresholds", "min_reason",
                                       NULL};
    static const char *const tkeys[] = {"medium", "high", NULL};
    struct kf_profile_rules *r = L->r;
    const struct kf_ynode *w = kf_ynode_get(n, "weights"), *t = kf_ynode_get(n, "thresholds");
    int rc = pf__map(L, n, "churn", keys);
    if (rc == KF_OK && w != NULL)
        rc = pf__map(L, w, "churn.weights", pf__weight_keys);
    for (int i = 0; i < W_N && rc == KF_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "churn.weights.%s", pf__weight_keys[i]);
        rc = pf__num(L, kf_ynode_get(w, pf__weight_keys[i]), name, 0, 10, &r->w[i]);
    }
    if (rc == KF_OK && t != NULL)
        rc = pf__map(L, t, "churn.thresholds", tkeys);
    if (rc == KF_OK)
        rc = pf__num(L, kf_ynode_get(t, "medium"), "churn.thresholds.medium", 0, 1, &r->medium);
    if (rc == KF_OK)
        rc = pf__num(L, kf_ynode_get(t, "high"), "churn.thresholds.high", 0, 1, &r->high);
    if (rc == KF_OK && r->medium >= r->high)
        rc = pf__perr(L, t != NULL ? t : n, "churn.thresholds: medium (%g) must be below high (%g)",
                      r->medium, r->high);
    if (rc == KF_OK)
        rc = pf__num(L, kf_ynode_get(n, "default_gap_days"), "churn.default_gap_days", 1, 3650,
                     &r->default_gap_days);
    if (rc == KF_OK)
        rc = pf__num(L, kf_ynode_get(n, "min_reason"), "churn.min_reason", 0, 1, &r->min_reason);
    return rc;
}

static int pf__load_sentiment(struct pf_load *L, const struct kf_ynode *n)
{
    static const char *const keys[] = {"trend_delta", NULL};
    int rc = pf__map(L, n, "sentiment", keys);
    if (rc == KF_OK)
        rc = pf__num(L, kf_ynode_get(n, "trend_delta"), "sentiment.trend_delta", 0, 2,
                     &L->r->trend_delta);
    return rc;
}

static int pf__load_tag(struct pf_load *L, const struct kf_ynode *item, size_t i)
{
    static const char *const keys[] = {"name", "zh", "en", "when", NULL};
    struct pf_tag *t = &L->r->tags[i];
    char what[48];
    snprintf(what, sizeof what, "tags[%zu]", i);
    int rc = pf__map(L, item, what, keys);
    if (rc == KF_OK && (rc = pf__str(L, item, "name", what, t->name, sizeof t->name, 1)) == KF_OK &&
        (rc = pf__str(L, item, "zh", what, t->zh, sizeof t->zh, 0)) == KF_OK)
        rc = pf__str(L, item, "en", what, t->en, sizeof t->en, 0);
    if (rc != KF_OK)
        return rc;
    for (size_t k = 0; k < i; k++)
        if (strcmp(L->r->tags[k].name, t->name) == 0)
            return pf__perr(L, kf_ynode_get(item, "name"), "%s: duplicate tag '%s'", what, t->name);
    const struct kf_ynode *when = kf_ynode_get(item, "when");
    if (when == NULL)
        return pf__perr(L, item, "%s (%s): when: required", what, t->name);
    if (when->type != KF_Y_SCALAR)
        return pf__perr(L, when, "%s (%s): when: expected a condition", what, t->name);
    struct kf_err cerr = {0};
    rc = kf_cond_parse(when->str, &t->when, &cerr);
    if (rc == KF_ENOMEM)
        return kf_errorf(L->err, rc, "%s", cerr.msg);
    if (rc != KF_OK)
        return pf__perr(L, when, "%s (%s): when: %s", what, t->name, cerr.msg);
    L->r->names[i] = t->name;
    L->r->ntags = i + 1;
    return KF_OK;
}

static int pf__load_tags(struct pf_load *L, const struct kf_ynode *n)
{
    if (n->type != KF_Y_SEQ || n->n > PF_NTAGS_MAX)
        return pf__perr(L, n, "tags: expected a list of at most %d tags", PF_NTAGS_MAX);
    if (n->n == 0)
        return KF_OK;
    L->r->tags = kf_calloc(n->n, sizeof *L->r->tags);
    L->r->names = kf_calloc(n->n, sizeof *L->r->names);
    if (L->r->tags == NULL || L->r->names == NULL)
        return kf_errorf(L->err, KF_ENOMEM, "%s: out of memory", L->doc->path);
    for (size_t i = 0; i < n->n; i++) {
        int rc = pf__load_tag(L, n->items[i], i);
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

static int pf__load_doc(struct pf_load *L)
{
    static const char *const keys[] = {"rfm",       "lifecycle", "price_bands", "churn",
                                       "sentiment", "tags",      NULL};
    static int (*const loaders[])(struct pf_load *, const struct kf_ynode *) = {
        pf__load_rfm,   pf__load_lifecycle, pf__load_bands,
        pf__load_churn, pf__load_sentiment, pf__load_tags};
    const struct kf_ynode *root = L->doc->root;
    if (root == NULL)
        return KF_OK;
    int rc = pf__map(L, root, "profiles", keys);
    for (size_t i = 0; keys[i] != NULL && rc == KF_OK; i++) {
        const struct kf_ynode *n = kf_ynode_get(root, keys[i]);
        if (n != NULL)
            rc = loaders[i](L, n);
    }
    return rc;
}

int kf_profile_rules_load(const char *path, struct kf_profile_rules **out, struct kf_err *err)
{
    *out = NULL;
    struct stat st;
    if (path == NULL)
        return kf_errorf(err, KF_EINVAL, "profiles: no path");
    if (stat(path, &st) != 0 && errno == ENOENT)
        return kf_errorf(err, KF_ENOTFOUND, "%s: not found", path);
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc == KF_EUTF8 || rc == KF_ETOOBIG ? pf__as_parse(rc, err) : rc;
    struct kf_profile_rules *r = kf_profile_rules_default();
    if (r == NULL) {
        kf_ydoc_free(doc);
        return kf_errorf(err, KF_ENOMEM, "%s: out of memory", path);
    }
    struct pf_load L = {.doc = doc, .r = r, .err = err};
    rc = pf__load_doc(&L);
    kf_ydoc_free(doc);
    if (rc != KF_OK) {
        kf_profile_rules_free(r);
        return rc;
    }
    *out = r;
    return KF_OK;
}

/* ----------------------------------------------------------------- derive */

struct pf_reason {
    const char *code;
    double raw, weight;
    char zh[128], en[160];
};

struct pf_derived {
    long long recency_days; /* -1: never ordered */
    int r, f, m;
    const char *segment;
    double net, aov, predicted;
    const char *lifecycle;
    long long orders_90d, orders_prev_90d;
    int nmood;
    double recent, previous; /* NAN: none */
    const char *trend;
    int negative_30d;
    double churn;
    const char *level;
    struct pf_reason reasons[W_N];
    int nreasons;
};

/* x to 1/scale (the double nearest the decimal, e.g. 216.42). */
static double pf__round(double x, double scale)
{
    return round(x * scale) / scale;
}

static long long pf__days_since(long long now, long long t)
{
    return t < 0 || now <= t ? 0 : (now - t) / DAY_MS;
}

static const char *pf__segment(int r, int f, int m, long long orders)
{
    if (orders == 0)
        return "prospect";
    int fm = (f + m + 1) / 2;
    switch (r) {
    case 5:
        return fm == 1 ? "new" : fm <= 3 ? "potential" : "champions";
    case 4:
        return fm == 1 ? "promising" : fm <= 3 ? "potential" : "loyal";
    case 3:
        return fm <= 2 ? "about_to_sleep" : fm == 3 ? "need_attention" : "loyal";
    case 2:
        return fm <= 2 ? "hibernating" : fm <= 4 ? "at_risk" : "cant_lose";
    default:
        return fm <= 2 ? "lost" : fm <= 4 ? "at_risk" : "cant_lose";
    }
}

static void pf__rfm(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                    long long now, struct pf_derived *d)
{
    d->net = s->monetary - s->refunded > 0 ? s->monetary - s->refunded : 0;
    d->recency_days = s->orders > 0 ? pf__days_since(now, s->last_order) : -1;
    d->r = d->recency_days < 0 ? 1 : 5;
    d->f = d->m = 1;
    for (int i = 0; i < PF_NRFM; i++) {
        if (d->recency_days >= 0 && (double)d->recency_days > r->rfm[0][i])
            d->r--;
        d->f += (double)s->orders >= r->rfm[1][i];
        d->m += d->net >= r->rfm[2][i];
    }
    d->segment = pf__segment(d->r, d->f, d->m, s->orders);
    d->aov = s->orders > 0 ? d->net / (double)s->orders : 0;
}

static void pf__lifecycle(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                          const struct kf_profile_context *ctx, long long now, struct pf_derived *d)
{
    long long first = s->first_seen,
              last = s->last_seen > s->last_order ? s->last_seen : s->last_order;
    if (ctx->created_at > 0 && (first < 0 || ctx->created_at < first))
        first = ctx->created_at;
    if (last < 0 && ctx->created_at > 0)
        last = ctx->created_at;
    if (first < 0) {
        d->lifecycle = "new";
        return;
    }
    if (now - first <= r->new_days * DAY_MS && s->orders <= 1)
        d->lifecycle = "new";
    else if (now - last <= r->active_days * DAY_MS)
        d->lifecycle = "active";
    else if (now - last <= r->dormant_days * DAY_MS)
        d->lifecycle = "dormant";
    else
        d->lifecycle = "churned";
}

static void pf__sentiment_trend(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                                long long now, struct pf_derived *d)
{
    struct pf_mood m[KF_PROFILE_MOODS];
    int n = s->nmoods, idx[KF_PROFILE_MOODS];
    pf__order(s, n, idx, pf__mood_by_time);
    for (int i = 0; i < n; i++)
        m[i] = s->moods[idx[i]];
    double older = 0, newer = 0;
    int half = n / 2;
    d->negative_30d = 0;
    for (int i = 0; i < n; i++) {
        if (i < half)
            older += m[i].v;
        else
            newer += m[i].v;
        if (m[i].v < 0 && now - m[i].at <= 30 * DAY_MS)
            d->negative_30d++;
    }
    d->nmood = n;
    d->recent = n > 0 ? newer / (n - half) : NAN;
    d->previous = half > 0 ? older / half : NAN;
    if (n < 2)
        d->trend = "unknown";
    else if (d->recent - d->previous > r->trend_delta)
        d->trend = "improving";
    else if (d->previous - d->recent > r->trend_delta)
        d->trend = "worsening";
    else
        d->trend = "steady";
}

static void pf__reason(struct pf_derived *d, const char *code, double raw)
{
    if (raw <= 0)
        return;
    struct pf_reason *x = &d->reasons[d->nreasons++];
    x->code = code;
    x->raw = raw;
}

/* The churn inputs; reason texts are written afterwards by pf__reason_texts. */
static void pf__churn(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                      const struct kf_profile_context *ctx, long long now, struct pf_derived *d,
                      double *idle, double *gap, long long *recent6, double *prev6)
{
    long long last = s->orders > 0         ? s->last_order
                     : s->last_seen >= 0   ? s->last_seen
                     : ctx->created_at > 0 ? ctx->created_at
                                           : now;
    *idle = now > last ? (double)(now - last) / DAY_MS : 0;
    *gap = r->default_gap_days;
    if (s->orders >= 2) {
        *gap = (double)(s->last_order - s->first_order) / DAY_MS / (double)(s->orders - 1);
        *gap = *gap < 7 ? 7 : *gap > 365 ? 365 : *gap;
    }
    double x = *idle / *gap - 1;
    pf__reason(d, "inactivity", r->w[W_INACTIVITY] * (x < 0 ? 0 : x > 4 ? 4 : x));
    long long nm = pf__month(now);
    *recent6 = pf__orders_in(s, nm - 5, nm);
    *prev6 = 0;
    long long before = s->orders - *recent6, first = pf__month(s->first_order);
    if (s->orders > 0 && before > 0 && first <= nm - 6) {
        long long months = nm - 6 - first + 1;
        *prev6 = (double)before * 6.0 / (double)(months > 6 ? months : 6);
    }
    if (*prev6 > 0 && (double)*recent6 < *prev6)
        pf__reason(d, "frequency_drop", r->w[W_DROP] * (*prev6 - (double)*recent6) / *prev6);
    pf__reason(d, "negative_sentiment",
               r->w[W_NEGATIVE] * (d->negative_30d > 5 ? 5 : d->negative_30d));
    if (s->last_complaint >= 0 && now - s->last_complaint <= 90 * DAY_MS)
        pf__reason(d, "complaints",
                   r->w[W_COMPLAINTS] * (double)(s->complaints > 3 ? 3 : s->complaints));
    int open = ctx->open_tickets + ctx->open_complaints;
    pf__reason(d, "open_tickets", r->w[W_OPEN] * (open > 6 ? 6 : open < 0 ? 0 : open));
}

static void pf__reason_text(struct pf_reason *x, const struct kf_profile_state *s,
                            const struct kf_profile_context *ctx, double idle, double gap,
                            long long recent6, double prev6, int neg30)
{
    long long days = (long long)idle;
    if (strcmp(x->code, "inactivity") == 0 && s->orders == 0) {
        snprintf(x->zh, sizeof x->zh, "%lld 天没有任何活动", days);
        snprintf(x->en, sizeof x->en, "no activity for %lld days", days);
    } else if (strcmp(x->code, "inactivity") == 0 && s->orders == 1) {
        snprintf(x->zh, sizeof x->zh, "%lld 天未下单", days);
        snprintf(x->en, sizeof x->en, "no order for %lld days", days);
    } else if (strcmp(x->code, "inactivity") == 0) {
        long long g = (long long)round(gap);
        snprintf(x->zh, sizeof x->zh, "%lld 天未下单（平时约 %lld 天一单）", days, g);
        snprintf(x->en, sizeof x->en, "no order for %lld days (usually one every %lld days)", days,
                 g);
    } else if (strcmp(x->code, "frequency_drop") == 0) {
        snprintf(x->zh, sizeof x->zh, "近 6 个月下单 %lld 次，此前平均每 6 个月 %.1f 次", recent6,
                 prev6);
        snprintf(x->en, sizeof x->en, "%lld orders in the last 6 months, %.1f per 6 months before",
                 recent6, prev6);
    } else if (strcmp(x->code, "negative_sentiment") == 0) {
        snprintf(x->zh, sizeof x->zh, "近 30 天 %d 条负面消息", neg30);
        snprintf(x->en, sizeof x->en, "%d negative messages in the last 30 days", neg30);
    } else if (strcmp(x->code, "complaints") == 0) {
        snprintf(x->zh, sizeof x->zh, "近 90 天有投诉（累计 %lld 次）", s->complaints);
        snprintf(x->en, sizeof x->en, "complained in the last 90 days (%lld in total)",
                 s->complaints);
    } else {
        snprintf(x->zh, sizeof x->zh, "%d 张工单未解决（其中投诉 %d 张）", ctx->open_tickets,
                 ctx->open_complaints);
        snprintf(x->en, sizeof x->en, "%d unresolved tickets (%d complaints)", ctx->open_tickets,
                 ctx->open_complaints);
    }
}

static void pf__churn_score(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                            const struct kf_profile_context *ctx, long long now,
                            struct pf_derived *d)
{
    double idle, gap;
    long long recent6;
    double prev6;
    d->nreasons = 0;
    pf__churn(r, s, ctx, now, d, &idle, &gap, &recent6, &prev6);
    double sum = 0;
    for (int i = 0; i < d->nreasons; i++)
        sum += d->reasons[i].raw;
    d->churn = pf__round(1 - exp(-sum), 1000);
    d->level = d->churn >= r->high ? "high" : d->churn >= r->medium ? "medium" : "low";
    int kept = 0;
    for (int i = 0; i < d->nreasons; i++) {
        struct pf_reason x = d->reasons[i];
        x.weight = pf__round(d->churn * x.raw / sum, 1000);
        if (x.weight < r->min_reason || x.weight <= 0)
            continue;
        pf__reason_text(&x, s, ctx, idle, gap, recent6, prev6, d->negative_30d);
        int k = kept++;
        for (; k > 0 && d->reasons[k - 1].weight < x.weight; k--)
            d->reasons[k] = d->reasons[k - 1];
        d->reasons[k] = x;
    }
    d->nreasons = kept;
}

static void pf__compute(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                        const struct kf_profile_context *ctx, long long now, struct pf_derived *d)
{
    memset(d, 0, sizeof *d);
    pf__rfm(r, s, now, d);
    pf__lifecycle(r, s, ctx, now, d);
    long long nm = pf__month(now);
    d->orders_90d = pf__orders_in(s, nm - 2, nm);
    d->orders_prev_90d = pf__orders_in(s, nm - 5, nm - 3);
    pf__sentiment_trend(r, s, now, d);
    pf__churn_score(r, s, ctx, now, d);
    if (s->orders > 0) {
        double tenure = (double)(now - s->first_order) / DAY_MS;
        double rate = (double)s->orders * 365.0 / (tenure > 90 ? tenure : 90);
        d->predicted = pf__round(rate * d->aov * (1 - d->churn), 100);
    }
}

static json_t *pf__num_or_null(double v, double scale)
{
    return isnan(v) ? json_null() : json_real(pf__round(v, scale));
}

static json_t *pf__j_rfm(const struct pf_derived *d, const struct kf_profile_state *s)
{
    return json_pack("{s:o, s:I, s:f, s:i, s:i, s:i, s:s}", "recency_days",
                     d->recency_days < 0 ? json_null() : json_integer(d->recency_days), "frequency",
                     (json_int_t)s->orders, "monetary", pf__round(d->net, 100), "r", d->r, "f",
                     d->f, "m", d->m, "segment", d->segment);
}

static json_t *pf__j_preferences(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                                 int *ok)
{
    int order[KF_PROFILE_CATEGORIES];
    pf__order(s, s->ncats, order, pf__cat_by_score);
    json_t *o = json_object(), *a = json_array();
    for (int i = 0; i < s->ncats; i++)
        pf__push(a,
                 json_pack("{s:s, s:f}", "category", s->cats[order[i]].name, "score",
                           pf__round(s->cats[order[i]].score, 100)),
                 ok);
    pf__put(o, "categories", a, ok);
    double avg = s->price_count > 0 ? s->price_sum / (double)s->price_count : NAN;
    const char *band = NULL;
    for (size_t i = 0; !isnan(avg) && band == NULL && i < r->nbands; i++)
        if (avg < r->bands[i].below || i + 1 == r->nbands)
            band = r->bands[i].name;
    pf__put(o, "price_band", band != NULL ? json_string(band) : json_null(), ok);
    pf__put(o, "avg_price", pf__num_or_null(avg, 100), ok);
    return o;
}

static json_t *pf__j_channels(const struct kf_profile_state *s, int *ok)
{
    int order[KF_PROFILE_CHANNELS];
    pf__order(s, s->nchans, order, pf__chan_by_count);
    json_t *a = json_array();
    for (int i = 0; i < s->nchans; i++)
        pf__push(a,
                 json_pack("{s:s, s:I}", "channel", s->chans[order[i]].name, "count",
                           (json_int_t)s->chans[order[i]].count),
                 ok);
    return a;
}

static json_t *pf__j_activity(const struct kf_profile_state *s, const struct pf_derived *d)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "views",
        (json_int_t)s->views, "clicks", (json_int_t)s->clicks, "searches", (json_int_t)s->searches,
        "cart_adds", (json_int_t)s->cart_adds, "messages", (json_int_t)s->messages, "first_seen_at",
        pf__time_json(s->first_seen), "last_seen_at", pf__time_json(s->last_seen), "last_order_at",
        pf__time_json(s->last_order), "last_cart_at", pf__time_json(s->last_cart_at),
        "last_cart_sku", s->last_cart_sku[0] ? json_string(s->last_cart_sku) : json_null(),
        "orders_90d", (json_int_t)d->orders_90d, "orders_prev_90d", (json_int_t)d->orders_prev_90d);
}

static json_t *pf__j_churn(const struct pf_derived *d, int *ok)
{
    json_t *a = json_array();
    for (int i = 0; i < d->nreasons; i++)
        pf__push(a,
                 json_pack("{s:s, s:f, s:s, s:s}", "code", d->reasons[i].code, "weight",
                           d->reasons[i].weight, "zh", d->reasons[i].zh, "en", d->reasons[i].en),
                 ok);
    return json_pack("{s:f, s:s, s:o}", "score", d->churn, "level", d->level, "reasons", a);
}

static json_t *pf__j_attributes(const struct kf_profile_state *s, int *ok)
{
    json_t *o = json_object();
    for (int i = 0; i < s->nattrs; i++)
        pf__put(o, s->attrs[i].name, pf__attr_copy(s->attrs[i].value), ok);
    return o;
}

static json_t *pf__json(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                        const struct kf_profile_context *ctx, long long now,
                        const struct pf_derived *d)
{
    int ok = 1;
    json_t *p = json_object();
    pf__put(p, "customer_id", json_integer(ctx->customer_id), &ok);
    pf__put(p, "computed_at", json_integer(now), &ok);
    pf__put(p, "rfm", pf__j_rfm(d, s), &ok);
    pf__put(p, "ltv",
            json_pack("{s:f, s:f, s:f}", "historical", pf__round(d->net, 100), "predicted_12m",
                      d->predicted, "avg_order_value", pf__round(d->aov, 100)),
            &ok);
    pf__put(p, "lifecycle", json_string(d->lifecycle), &ok);
    pf__put(p, "preferences", pf__j_preferences(r, s, &ok), &ok);
    pf__put(p, "channels", pf__j_channels(s, &ok), &ok);
    pf__put(p, "activity", pf__j_activity(s, d), &ok);
    pf__put(p, "sentiment",
            json_pack("{s:o, s:o, s:s, s:i}", "recent", pf__num_or_null(d->recent, 1000),
                      "previous", pf__num_or_null(d->previous, 1000), "trend", d->trend,
                      "negative_30d", d->negative_30d),
            &ok);
    pf__put(p, "complaints",
            json_pack("{s:I, s:o, s:i, s:i}", "total", (json_int_t)s->complaints, "last_at",
                      pf__time_json(s->last_complaint), "open_tickets", ctx->open_tickets,
                      "open_complaints", ctx->open_complaints),
            &ok);
    pf__put(p, "churn", pf__j_churn(d, &ok), &ok);
    pf__put(p, "attributes", pf__j_attributes(s, &ok), &ok);
    pf__put(p, "birthday", ctx->birthday ? json_string(ctx->birthday) : json_null(), &ok);
    pf__put(p, "opt_out", json_boolean(ctx->opt_out), &ok);
    pf__put(p, "tier", ctx->tier ? json_string(ctx->tier) : json_null(), &ok);
    if (!ok) {
        json_decref(p);
        return NULL;
    }
    return p;
}

json_t *kf_profile_derive(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                          const struct kf_profile_context *ctx, long long now_ms)
{
    struct kf_profile_rules defaults;
    struct kf_profile_state empty;
    struct kf_profile_context noctx = {0};
    if (r == NULL)
        pf__defaults(&defaults), r = &defaults;
    if (s == NULL)
        pf__state_init(&empty), s = &empty;
    if (ctx == NULL)
        ctx = &noctx;
    struct pf_derived d;
    pf__compute(r, s, ctx, now_ms, &d);
    json_t *p = pf__json(r, s, ctx, now_ms, &d);
    json_t *tags = json_array();
    if (p == NULL || tags == NULL) {
        json_decref(p);
        json_decref(tags);
        return NULL;
    }
    int ok = 1;
    for (size_t i = 0; i < r->ntags; i++)
        if (kf_cond_eval(r->tags[i].when, p))
            pf__push(tags, json_string(r->tags[i].name), &ok);
    pf__put(p, "tags", tags, &ok);
    if (!ok) {
        json_decref(p);
        return NULL;
    }
    return p;
}
