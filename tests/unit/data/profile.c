/* unit/data/profile.c — tests for src/data/profile.c (profile.h): the fold
 * (order independence, the month ring, top-k eviction, attributes, bad
 * events), the state's JSON form (exact round trip, garbage rejected), the
 * derivation (RFM at its breakpoints, lifecycle boundaries, churn reasons
 * and monotonicity, tags) and the rules loader (defaults, the demo shop's
 * file, every mistake with its line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kefu/mem.h"
#include "kefu/profile.h"
#include "kefu/yaml.h"
#include "testutil.h"

#define DAY 86400000LL
#define NOW 1795564800000LL /* 2026-11-25T00:00:00Z */

/* ms of a UTC date at noon. */
static long long ms_of(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    return (long long)timegm(&tm) * 1000;
}

static struct kf_profile_event ev(const char *type, long long at)
{
    struct kf_profile_event e = {.type = type, .at = at};
    return e;
}

static void apply(struct kf_profile_state *s, struct kf_profile_event e)
{
    struct kf_err err = {0};
    int rc = kf_profile_apply(s, &e, &err);
    if (rc != 0)
        fail_msg("apply %s: %s", e.type, err.msg);
}

static void order(struct kf_profile_state *s, long long at, double amount)
{
    struct kf_profile_event e = ev("order", at);
    e.amount = amount;
    e.items = 1;
    apply(s, e);
}

static char *state_str(const struct kf_profile_state *s)
{
    json_t *j = kf_profile_state_json(s);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_non_null(out);
    return out;
}

/* A value in a JSON object by dotted path (array indexes as digits). */
static json_t *at(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *seg = strtok(buf, "."); seg != NULL && j != NULL; seg = strtok(NULL, "."))
        j = json_is_array(j) ? json_array_get(j, strtoul(seg, NULL, 10)) : json_object_get(j, seg);
    return j;
}

static long long num(json_t *p, const char *path)
{
    json_t *v = at(p, path);
    if (!json_is_integer(v))
        fail_msg("%s: not an integer", path);
    return json_integer_value(v);
}

static double real(json_t *p, const char *path)
{
    json_t *v = at(p, path);
    if (!json_is_number(v))
        fail_msg("%s: not a number", path);
    return json_number_value(v);
}

static const char *str(json_t *p, const char *path)
{
    json_t *v = at(p, path);
    if (!json_is_string(v))
        fail_msg("%s: not a string", path);
    return json_string_value(v);
}

static json_t *derive(const struct kf_profile_rules *r, const struct kf_profile_state *s,
                      const struct kf_profile_context *ctx, long long now)
{
    json_t *p = kf_profile_derive(r, s, ctx, now);
    assert_non_null(p);
    return p;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* ------------------------------------------------------------------ fold */

/* A varied history: 26 months of orders, behaviour, messages, attributes. */
static size_t history(struct kf_profile_event *out, size_t cap, json_t *attrs[3])
{
    static const char *const cats[] = {"phones", "phone-cases", "chargers", "laptops", "mice"};
    static const char *const chans[] = {"web", "app", "wechat"};
    static const char *const moods[] = {"negative", "neutral", "positive"};
    static const char *const oc[] = {"phones", "chargers"};
    static const double op[] = {3999, 99.5};
    size_t n = 0;
    for (int i = 0; i < 30 && n < cap; i++) { /* orders over 26 months */
        struct kf_profile_event e = ev("order", ms_of(2024, 9, 1) + (long long)i * 27 * DAY);
        e.amount = 100 + 25 * i;
        e.items = 2;
        e.item_categories = oc;
        e.item_prices = op;
        e.nitem_categories = 2;
        e.channel = chans[i % 3];
        out[n++] = e;
    }
    static const char *const types[] = {"view",   "click",   "add_to_cart",
                                        "search", "payment", "refund"};
    for (int i = 0; i < 36 && n < cap; i++) {
        struct kf_profile_event e = ev(types[i % 6], NOW - (long long)(i + 1) * 3 * DAY);
        e.category = cats[i % 5];
        e.sku = i % 2 ? "sku-b" : "sku-a";
        e.channel = chans[i % 2];
        e.amount = i % 6 >= 4 ? 50 : 0;
        out[n++] = e;
    }
    for (int i = 0; i < 24 && n < cap; i++) { /* more than the mood ring holds */
        struct kf_profile_event e = ev("message", NOW - (long long)i * DAY - 5);
        e.sentiment = moods[(i * 7) % 3];
        e.intent = i % 5 == 0 ? "complaint" : "track_order";
        e.channel = "web";
        out[n++] = e;
    }
    attrs[0] = json_pack("{s:s, s:i}", "colour", "red", "size", 42);
    attrs[1] = json_pack("{s:s, s:b}", "colour", "blue", "member", 1);
    attrs[2] = json_pack("{s:s, s:s}", "city", "Beijing", "pet", "cat"); /* city: the record's */
    for (int i = 0; i < 3 && n < cap; i++) {
        struct kf_profile_event e = ev("attribute", NOW - (long long)(10 - i) * DAY);
        e.attributes = attrs[i];
        out[n++] = e;
    }
    return n;
}

static void test_fold_order_independent(void **state)
{
    (void)state;
    struct kf_profile_event evs[128];
    json_t *attrs[3];
    size_t n = history(evs, 128, attrs);
    char *want = NULL;
    unsigned long long rng = 12345;
    for (int round = 0; round < 6; round++) {
        struct kf_profile_event shuffled[128];
        memcpy(shuffled, evs, n * sizeof evs[0]);
        if (round == 1) /* reversed */
            for (size_t i = 0; i < n; i++)
                shuffled[i] = evs[n - 1 - i];
        for (size_t i = n - 1; round >= 2 && i > 0; i--) { /* Fisher-Yates */
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t k = (size_t)((rng >> 33) % (i + 1));
            struct kf_profile_event t = shuffled[i];
            shuffled[i] = shuffled[k], shuffled[k] = t;
        }
        struct kf_profile_state *s = kf_profile_state_new();
        for (size_t i = 0; i < n; i++)
            apply(s, shuffled[i]);
        char *got = state_str(s);
        if (want == NULL)
            want = got;
        else {
            assert_string_equal(got, want);
            free(got);
        }
        kf_profile_state_free(s);
    }
    /* the latest attribute value wins; the record's own attributes stay out */
    assert_contains(want, "\"name\":\"colour\"");
    assert_contains(want, "\"value\":\"blue\"");
    assert_null(strstr(want, "\"value\":\"red\""));
    assert_null(strstr(want, "Beijing"));
    assert_contains(want, "\"orders\":30");
    free(want);
    for (int i = 0; i < 3; i++)
        json_decref(attrs[i]);
}

static void test_month_ring_shifts(void **state)
{
    (void)state;
    struct kf_profile_state *s = kf_profile_state_new();
    order(s, ms_of(2024, 1, 15), 10);
    order(s, ms_of(2024, 2, 10), 10);
    order(s, ms_of(2024, 2, 20), 10);
    json_t *j = kf_profile_state_json(s);
    assert_int_equal(num(j, "months.0"), 2);
    assert_int_equal(num(j, "months.1"), 1);
    long long feb24 = num(j, "month_last");
    assert_int_equal(feb24, (2024 - 1970) * 12 + 1);
    json_decref(j);

    /* 25 months later: every old slot is cleared, the totals keep them */
    order(s, ms_of(2026, 3, 5), 10);
    j = kf_profile_state_json(s);
    assert_int_equal(num(j, "month_last"), feb24 + 25);
    assert_int_equal(num(j, "months.0"), 1);
    for (int k = 1; k < KF_PROFILE_MONTHS; k++)
        assert_int_equal(
            json_integer_value(json_array_get(json_object_get(j, "months"), (size_t)k)), 0);
    assert_int_equal(num(j, "orders"), 4);
    json_decref(j);

    /* an older order inside the ring lands in its month; one before it only counts */
    order(s, ms_of(2024, 5, 1), 10); /* 22 months before 2026-03 */
    order(s, ms_of(2024, 3, 1), 10); /* 24 months before: outside */
    j = kf_profile_state_json(s);
    assert_int_equal(num(j, "months.22"), 1);
    assert_int_equal(num(j, "months.23"), 0);
    assert_int_equal(num(j, "orders"), 6);
    json_decref(j);

    /* a later month shifts by one: 2024-05 is now the oldest slot */
    order(s, ms_of(2026, 4, 2), 10);
    order(s, ms_of(2026, 4, 3), 10);
    j = kf_profile_state_json(s);
    assert_int_equal(num(j, "months.0"), 2);
    assert_int_equal(num(j, "months.1"), 1);
    assert_int_equal(num(j, "months.23"), 1);
    json_decref(j);

    /* derived windows: the calendar month of now and the two before, then three more */
    order(s, ms_of(2026, 1, 10), 10);
    order(s, ms_of(2025, 12, 10), 10);
    order(s, ms_of(2025, 11, 10), 10);
    json_t *p = derive(NULL, s, NULL, ms_of(2026, 4, 20));
    assert_int_equal(num(p, "activity.orders_90d"), 3);      /* 2026-02..04: 2 + 1 */
    assert_int_equal(num(p, "activity.orders_prev_90d"), 3); /* 2025-11..2026-01: one each */
    json_decref(p);
    p = derive(NULL, s, NULL, ms_of(2026, 2, 20));
    assert_int_equal(num(p, "activity.orders_90d"), 2); /* 2025-12..2026-02 */
    json_decref(p);
    kf_profile_state_free(s);
}

static void test_topk_eviction(void **state)
{
    (void)state;
    struct kf_profile_state *s = kf_profile_state_new();
    char names[KF_PROFILE_CATEGORIES][16];
    for (int c = 0; c < KF_PROFILE_CATEGORIES; c++) { /* cat0 gets 8 clicks ... cat7 1 */
        snprintf(names[c], sizeof names[c], "cat%d", c);
        for (int k = 0; k < KF_PROFILE_CATEGORIES - c; k++) {
            struct kf_profile_event e = ev("click", NOW - DAY);
            e.category = names[c];
            apply(s, e);
        }
    }
    struct kf_profile_event e = ev("view", NOW - DAY); /* a 9th: replaces cat7 (score 1) */
    e.category = "newcomer";
    apply(s, e);
    json_t *j = kf_profile_state_json(s);
    assert_int_equal(json_array_size(json_object_get(j, "categories")), KF_PROFILE_CATEGORIES);
    assert_string_equal(str(j, "categories.7.name"), "newcomer");
    assert_true(real(j, "categories.7.score") == 1.5); /* inherited 1 + view 0.5 */
    assert_true(real(j, "categories.7.err") == 1.0);
    json_decref(j);
    /* weights: order item 3, add_to_cart 2, click 1, view 0.5 */
    struct kf_profile_state *w = kf_profile_state_new();
    const char *oc[] = {"a", "a", "b"};
    e = ev("order", NOW - DAY);
    e.item_categories = oc;
    e.nitem_categories = 3;
    e.amount = 1;
    apply(w, e);
    e = ev("add_to_cart", NOW - DAY);
    e.category = "b";
    e.sku = "x";
    apply(w, e);
    e = ev("view", NOW - DAY);
    e.category = "c";
    apply(w, e);
    json_t *p = derive(NULL, w, NULL, NOW);
    assert_string_equal(str(p, "preferences.categories.0.category"), "a");
    assert_true(real(p, "preferences.categories.0.score") == 6);
    assert_true(real(p, "preferences.categories.1.score") == 5);
    assert_true(real(p, "preferences.categories.2.score") == 0.5);
    json_decref(p);
    kf_profile_state_free(w);
    /* channels keep the top KF_PROFILE_CHANNELS the same way */
    for (int c = 0; c < KF_PROFILE_CHANNELS + 3; c++) {
        char ch[16];
        snprintf(ch, sizeof ch, "ch%d", c);
        struct kf_profile_event m = ev("message", NOW - DAY);
        m.channel = ch;
        apply(s, m);
    }
    p = derive(NULL, s, NULL, NOW);
    assert_int_equal(json_array_size(at(p, "channels")), KF_PROFILE_CHANNELS);
    json_decref(p);
    kf_profile_state_free(s);
}

static void test_apply_rejects_bad_events(void **state)
{
    (void)state;
    struct kf_profile_state *s = kf_profile_state_new();
    order(s, NOW - DAY, 100);
    char *before = state_str(s);
    char longsku[100];
    memset(longsku, 'x', sizeof longsku - 1);
    longsku[sizeof longsku - 1] = '\0';
    json_t *nested = json_pack("{s:s, s:{}}", "ok", "1", "bad", "");
    json_t *notobj = json_string("x");
    struct {
        struct kf_profile_event e;
        const char *want;
    } cases[] = {
        {{.type = "purchase", .at = NOW}, "unknown event type 'purchase'"},
        {{.type = NULL, .at = NOW}, "type: missing"},
        {{.type = "view", .at = -5}, "at:"},
        {{.type = "order", .at = NOW, .amount = -1}, "amount:"},
        {{.type = "order", .at = NOW, .amount = NAN}, "amount:"},
        {{.type = "view", .at = NOW, .sku = longsku}, "sku: longer than 64 bytes"},
        {{.type = "message", .at = NOW, .sentiment = "angry"}, "sentiment:"},
        {{.type = "attribute", .at = NOW, .attributes = NULL}, "attributes: expected an object"},
        {{.type = "attribute", .at = NOW, .attributes = notobj}, "attributes: expected an object"},
        {{.type = "attribute", .at = NOW, .attributes = nested},
         "attributes.bad: expected a string, number or bool"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kf_err err = {0};
        assert_int_equal(kf_profile_apply(s, &cases[i].e, &err), KF_EINVAL);
        assert_contains(err.msg, cases[i].want);
        char *after = state_str(s);
        assert_string_equal(after, before); /* nothing half-applied */
        free(after);
    }
    free(before);
    json_decref(nested);
    json_decref(notobj);
    kf_profile_state_free(s);
}

static void test_attributes_bounded(void **state)
{
    (void)state;
    struct kf_profile_state *s = kf_profile_state_new();
    for (int i = 0; i < KF_PROFILE_ATTRS + 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%02d", i);
        json_t *o = json_pack("{s:i}", name, i);
        struct kf_profile_event e = ev("attribute", NOW - 100 * DAY + i * DAY);
        e.attributes = o;
        apply(s, e);
        json_decref(o);
    }
    json_t *old = json_pack("{s:s}", "a03", "stale");
    struct kf_profile_event e = ev("attribute", NOW - 200 * DAY); /* older than all kept */
    e.attributes = old;
    apply(s, e);
    json_decref(old);
    json_t *p = derive(NULL, s, NULL, NOW);
    json_t *a = at(p, "attributes");
    assert_int_equal(json_object_size(a), KF_PROFILE_ATTRS);
    assert_null(json_object_get(a, "a00")); /* the oldest went first */
    assert_null(json_object_get(a, "a03"));
    assert_int_equal(num(a, "a19"), 19);
    json_decref(p);
    kf_profile_state_free(s);
}

/* ------------------------------------------------------------ state JSON */

static struct kf_profile_state *rich_state(void)
{
    struct kf_profile_event evs[128];
    json_t *attrs[3];
    size_t n = history(evs, 128, attrs);
    struct kf_profile_state *s = kf_profile_state_new();
    for (size_t i = 0; i < n; i++)
        apply(s, evs[i]);
    for (int i = 0; i < 3; i++)
        json_decref(attrs[i]);
    struct kf_profile_event e = ev("refund", NOW - 3 * DAY);
    e.amount = 0.1; /* not exact in binary: the round trip must still be exact */
    apply(s, e);
    return s;
}

static void test_state_json_round_trip(void **state)
{
    (void)state;
    struct kf_profile_state *s = rich_state();
    json_t *j = kf_profile_state_json(s);
    assert_int_equal(num(j, "v"), 1);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL); /* through text, as stored */
    struct kf_profile_state *t = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_profile_state_from_json(back, &t, &err), 0);
    char *again = state_str(t);
    assert_string_equal(again, text);
    json_t *p1 = derive(NULL, s, NULL, NOW), *p2 = derive(NULL, t, NULL, NOW);
    assert_true(json_equal(p1, p2));
    /* an empty state too */
    struct kf_profile_state *e = kf_profile_state_new(), *e2 = NULL;
    json_t *ej = kf_profile_state_json(e);
    assert_int_equal(kf_profile_state_from_json(ej, &e2, &err), 0);
    char *a = state_str(e), *b = state_str(e2);
    assert_string_equal(a, b);
    free(a), free(b);
    json_decref(ej), json_decref(p1), json_decref(p2), json_decref(back), json_decref(j);
    free(text), free(again);
    kf_profile_state_free(s), kf_profile_state_free(t), kf_profile_state_free(e),
        kf_profile_state_free(e2);
}

static int from_text(const char *text, struct kf_err *err)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    struct kf_profile_state *s = (struct kf_profile_state *)1;
    int rc = kf_profile_state_from_json(j, &s, err);
    if (rc != 0)
        assert_null(s);
    kf_profile_state_free(rc == 0 ? s : NULL);
    json_decref(j);
    return rc;
}

/* The valid form of a small state with one `key` replaced by `value`. */
static int with(const char *key, const char *value, struct kf_err *err)
{
    struct kf_profile_state *s = kf_profile_state_new();
    order(s, NOW - DAY, 10);
    json_t *j = kf_profile_state_json(s);
    kf_profile_state_free(s);
    json_object_set_new(j, key, json_loads(value, JSON_DECODE_ANY, NULL));
    char *text = json_dumps(j, 0);
    json_decref(j);
    int rc = from_text(text, err);
    free(text);
    return rc;
}

static void test_state_json_rejects_garbage(void **state)
{
    (void)state;
    struct kf_err err = {0};
    assert_int_equal(kf_profile_state_from_json(NULL, &(struct kf_profile_state *){NULL}, &err),
                     KF_EINVAL);
    const char *texts[] = {"[]", "null", "{}", "1", "\"v\"", "{\"v\":1}"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_int_equal(from_text(texts[i], &err), KF_EINVAL);
    assert_int_equal(with("v", "2", &err), KF_EINVAL);
    assert_int_equal(with("extra", "1", &err), KF_EINVAL);
    assert_contains(err.msg, "unknown key");
    const struct {
        const char *key, *value;
    } bad[] = {
        {"orders", "-1"},
        {"orders", "\"1\""},
        {"orders", "1.5"},
        {"monetary", "-5"},
        {"monetary", "1e300"},
        {"first_seen_at", "99999999999999999"},
        {"first_seen_at", "null"}, /* last_seen_at is set */
        {"last_order_at", "null"},
        {"month_last", "null"},
        {"last_cart_sku", "5"},
        {"last_cart_sku", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""},
        {"months", "[1,2]"},
        {"months", "[5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]"},
        {"categories", "[{\"name\":\"a\",\"score\":1}]"},
        {"categories", "[{\"name\":\"\",\"score\":1,\"err\":0}]"},
        {"categories", "[{\"name\":\"a\",\"score\":1,\"err\":2}]"},
        {"categories",
         "[{\"name\":\"a\",\"score\":1,\"err\":0},{\"name\":\"a\",\"score\":1,\"err\":0}]"},
        {"categories", "[1,2,3,4,5,6,7,8,9]"},
        {"categories", "{}"},
        {"channels", "[{\"name\":\"web\",\"count\":1,\"err\":1}]"},
        {"moods", "[{\"at\":1,\"v\":2}]"},
        {"moods", "[{\"at\":-1,\"v\":0}]"},
        {"attributes", "[{\"name\":\"a\",\"at\":1,\"value\":{}}]"},
        {"attributes", "[{\"name\":\"a\",\"at\":1,\"value\":null}]"},
        {"complaints", "1"}, /* without last_complaint_at */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (with(bad[i].key, bad[i].value, &err) != KF_EINVAL)
            fail_msg("%s = %s accepted", bad[i].key, bad[i].value);
        assert_contains(err.msg, "profile state");
    }
}

/* Every value of a rich state replaced by every kind of junk: KF_EINVAL or a
 * state that round-trips — never a crash (ASan watches). */
static void test_state_json_fuzz(void **state)
{
    (void)state;
    struct kf_profile_state *s = rich_state();
    json_t *good = kf_profile_state_json(s);
    kf_profile_state_free(s);
    const char *junk[] = {"null",
                          "true",
                          "-1",
                          "0",
                          "1e300",
                          "\"x\"",
                          "[]",
                          "{}",
                          "[[]]",
                          "[{}]",
                          "4611686018427387904",
                          "[null]"};
    const char *key;
    json_t *v;
    int accepted = 0, total = 0;
    json_object_foreach(good, key, v)
    {
        size_t nslots = json_is_array(v) ? json_array_size(v) + 1 : 1;
        for (size_t slot = 0; slot < nslots; slot++) {
            for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
                json_t *copy = json_deep_copy(good);
                json_t *jv = json_loads(junk[k], JSON_DECODE_ANY, NULL);
                if (slot == 0)
                    json_object_set_new(copy, key, jv);
                else if (json_is_object(json_array_get(json_object_get(copy, key), slot - 1)))
                    json_object_set_new(json_array_get(json_object_get(copy, key), slot - 1),
                                        "name", jv);
                else
                    json_array_set_new(json_object_get(copy, key), slot - 1, jv);
                struct kf_profile_state *t = NULL;
                struct kf_err err = {0};
                int rc = kf_profile_state_from_json(copy, &t, &err);
                assert_true(rc == 0 || rc == KF_EINVAL);
                if (rc == 0) {
                    accepted++;
                    json_t *again = kf_profile_state_json(t);
                    struct kf_profile_state *u = NULL;
                    assert_int_equal(kf_profile_state_from_json(again, &u, &err), 0);
                    kf_profile_state_free(u);
                    json_decref(again);
                }
                kf_profile_state_free(t);
                json_decref(copy);
                total++;
            }
        }
    }
    assert_true(total > 300);
    assert_true(accepted < total / 4);
    json_decref(good);
}

/* ---------------------------------------------------------------- derive */

static void test_rfm_breakpoints(void **state)
{
    (void)state;
    /* defaults: recency [30,90,180,365], frequency [2,3,5,8], monetary [500,1000,5000,10000] */
    const struct {
        long long ago_ms;
        int orders;
        double each, refund;
        int r, f, m;
        const char *segment;
    } cases[] = {
        {30 * DAY, 1, 500, 0, 5, 1, 2, "potential"},
        {30 * DAY + DAY - 1, 1, 499.99, 0, 5, 1, 1, "new"},
        {31 * DAY, 1, 1000, 0, 4, 1, 3, "potential"},
        {90 * DAY, 2, 250, 0, 4, 2, 2, "potential"},
        {91 * DAY, 3, 1000, 0, 3, 3, 3, "need_attention"},
        {180 * DAY, 5, 1000, 0, 3, 4, 4, "loyal"},
        {181 * DAY, 7, 1000, 0, 2, 4, 4, "at_risk"},
        {365 * DAY, 8, 1250, 0, 2, 5, 5, "cant_lose"},
        {366 * DAY, 8, 1250, 0, 1, 5, 5, "cant_lose"},
        {400 * DAY, 1, 10, 0, 1, 1, 1, "lost"},
        {0, 8, 1250, 0, 5, 5, 5, "champions"},
        {0, 2, 300, 200, 5, 2, 1, "new"}, /* net 400: m 1; fm 2 → potential? no: (2+1+1)/2 = 2 */
        {45 * DAY, 1, 100, 0, 4, 1, 1, "promising"},
        {100 * DAY, 1, 100, 0, 3, 1, 1, "about_to_sleep"},
        {200 * DAY, 1, 100, 0, 2, 1, 1, "hibernating"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kf_profile_state *s = kf_profile_state_new();
        for (int k = 0; k < cases[i].orders; k++)
            order(s, NOW - cases[i].ago_ms - k * 1000, cases[i].each);
        if (cases[i].refund > 0) {
            struct kf_profile_event e = ev("refund", NOW);
            e.amount = cases[i].refund;
            apply(s, e);
        }
        json_t *p = derive(NULL, s, NULL, NOW);
        if (num(p, "rfm.r") != cases[i].r || num(p, "rfm.f") != cases[i].f ||
            num(p, "rfm.m") != cases[i].m)
            fail_msg("case %zu: r%lld f%lld m%lld, want r%d f%d m%d", i, num(p, "rfm.r"),
                     num(p, "rfm.f"), num(p, "rfm.m"), cases[i].r, cases[i].f, cases[i].m);
        if (i != 11)
            assert_string_equal(str(p, "rfm.segment"), cases[i].segment);
        json_decref(p);
        kf_profile_state_free(s);
    }
    /* case 11 in detail: net of refunds is the monetary value */
    struct kf_profile_state *s = kf_profile_state_new();
    order(s, NOW - DAY, 300);
    order(s, NOW - DAY, 300);
    struct kf_profile_event e = ev("refund", NOW);
    e.amount = 200;
    apply(s, e);
    json_t *p = derive(NULL, s, NULL, NOW);
    assert_true(real(p, "rfm.monetary") == 400);
    assert_true(real(p, "ltv.historical") == 400);
    assert_true(real(p, "ltv.avg_order_value") == 200);
    assert_int_equal(num(p, "rfm.recency_days"), 1);
    assert_string_equal(str(p, "rfm.segment"), "potential"); /* r5, fm = (2 + 1 + 1) / 2 = 2 */
    json_decref(p);
    kf_profile_state_free(s);
    /* never ordered */
    p = derive(NULL, NULL, NULL, NOW);
    assert_true(json_is_null(at(p, "rfm.recency_days")));
    assert_int_equal(num(p, "rfm.r"), 1);
    assert_string_equal(str(p, "rfm.segment"), "prospect");
    assert_true(real(p, "ltv.predicted_12m") == 0);
    json_decref(p);
}

static const char *stage(const struct kf_profile_state *s, const struct kf_profile_context *ctx)
{
    static char out[16];
    json_t *p = derive(NULL, s, ctx, NOW);
    snprintf(out, sizeof out, "%s", str(p, "lifecycle"));
    json_decref(p);
    return out;
}

static void test_lifecycle_boundaries(void **state)
{
    (void)state;
    const struct {
        long long first_ago, last_ago;
        int orders;
        const char *want;
    } cases[] = {
        {30 * DAY, 30 * DAY, 0, "new"},       {30 * DAY + 1, 30 * DAY + 1, 0, "active"},
        {10 * DAY, 10 * DAY, 1, "new"},       {10 * DAY, 5 * DAY, 2, "active"},
        {200 * DAY, 90 * DAY, 0, "active"},   {200 * DAY, 90 * DAY + 1, 0, "dormant"},
        {400 * DAY, 365 * DAY, 3, "dormant"}, {400 * DAY, 365 * DAY + 1, 3, "churned"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kf_profile_state *s = kf_profile_state_new();
        apply(s, ev("view", NOW - cases[i].first_ago));
        for (int k = 0; k < cases[i].orders; k++)
            order(s, NOW - cases[i].last_ago, 10);
        if (cases[i].orders == 0)
            apply(s, ev("view", NOW - cases[i].last_ago));
        if (strcmp(stage(s, NULL), cases[i].want) != 0)
            fail_msg("case %zu: %s, want %s", i, stage(s, NULL), cases[i].want);
        kf_profile_state_free(s);
    }
    /* a customer without events: by the record's creation */
    struct kf_profile_context ctx = {.customer_id = 7, .created_at = NOW - 5 * DAY};
    assert_string_equal(stage(NULL, &ctx), "new");
    ctx.created_at = NOW - 100 * DAY;
    assert_string_equal(stage(NULL, &ctx), "dormant");
    ctx.created_at = NOW - 400 * DAY;
    assert_string_equal(stage(NULL, &ctx), "churned");
    assert_string_equal(stage(NULL, NULL), "new"); /* nothing known */
    /* the record's creation counts as first seen when it is earlier */
    struct kf_profile_state *s = kf_profile_state_new();
    apply(s, ev("view", NOW - DAY));
    ctx.created_at = NOW - 60 * DAY;
    assert_string_equal(stage(s, &ctx), "active");
    kf_profile_state_free(s);
}

static double churn_after(long long idle_days)
{
    struct kf_profile_state *s = kf_profile_state_new();
    for (int k = 0; k < 4; k++) /* one order every 30 days */
        order(s, NOW - idle_days * DAY - k * 30 * DAY, 100);
    json_t *p = derive(NULL, s, NULL, NOW);
    double v = real(p, "churn.score");
    json_decref(p);
    kf_profile_state_free(s);
    return v;
}

static void test_churn_monotonic_in_inactivity(void **state)
{
    (void)state;
    assert_true(churn_after(10) == 0);
    assert_true(churn_after(30) == 0); /* on schedule */
    double prev = 0;
    const long long days[] = {31, 45, 60, 90, 120, 150, 400, 1000};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        double v = churn_after(days[i]);
        if (v < prev)
            fail_msg("%lld days idle: %g < %g", days[i], v, prev);
        assert_true(v >= 0 && v <= 1);
        prev = v;
    }
    assert_true(churn_after(60) > churn_after(45));
    assert_true(churn_after(150) > churn_after(90));
}

static void test_churn_reasons(void **state)
{
    (void)state;
    /* one order 120 days ago: default gap 60 → one interval overdue */
    struct kf_profile_state *s = kf_profile_state_new();
    order(s, NOW - 120 * DAY, 100);
    json_t *p = derive(NULL, s, NULL, NOW);
    assert_int_equal(json_array_size(at(p, "churn.reasons")), 1);
    assert_string_equal(str(p, "churn.reasons.0.code"), "inactivity");
    assert_string_equal(str(p, "churn.reasons.0.zh"), "120 天未下单");
    assert_string_equal(str(p, "churn.reasons.0.en"), "no order for 120 days");
    assert_true(fabs(real(p, "churn.score") - (1 - exp(-0.6))) < 0.001);
    assert_true(fabs(real(p, "churn.reasons.0.weight") - real(p, "churn.score")) < 0.002);
    assert_string_equal(str(p, "churn.level"), "medium");
    json_decref(p);

    /* everything at once: regular orders that stopped, anger, complaints, tickets */
    for (int k = 0; k < 5; k++)
        order(s, NOW - 200 * DAY - k * 20 * DAY, 100);
    for (int k = 0; k < 3; k++) {
        struct kf_profile_event m = ev("message", NOW - (k + 1) * DAY);
        m.sentiment = "negative";
        m.intent = k == 0 ? "complaint" : "track_order";
        apply(s, m);
    }
    struct kf_profile_context ctx = {.customer_id = 9, .open_tickets = 2, .open_complaints = 1};
    p = derive(NULL, s, &ctx, NOW);
    json_t *reasons = at(p, "churn.reasons");
    assert_int_equal(json_array_size(reasons), 5);
    double sum = 0, last = 2;
    int seen = 0;
    for (size_t i = 0; i < json_array_size(reasons); i++) {
        json_t *x = json_array_get(reasons, i);
        double w = real(x, "weight");
        assert_true(w <= last); /* largest first */
        last = w;
        sum += w;
        const char *code = str(x, "code");
        if (strcmp(code, "open_tickets") == 0) {
            assert_string_equal(str(x, "en"), "2 unresolved tickets (1 complaints)");
            assert_string_equal(str(x, "zh"), "2 张工单未解决（其中投诉 1 张）");
            seen |= 1;
        } else if (strcmp(code, "negative_sentiment") == 0) {
            assert_string_equal(str(x, "en"), "3 negative messages in the last 30 days");
            seen |= 2;
        } else if (strcmp(code, "complaints") == 0) {
            assert_string_equal(str(x, "en"), "complained in the last 90 days (1 in total)");
            seen |= 4;
        } else if (strcmp(code, "inactivity") == 0) {
            assert_contains(str(x, "en"), "no order for 120 days (usually one every");
            seen |= 8;
        } else if (strcmp(code, "frequency_drop") == 0) {
            seen |= 16;
        }
    }
    assert_int_equal(seen, 31);
    assert_true(fabs(sum - real(p, "churn.score")) < 0.01); /* shares of the score */
    assert_string_equal(str(p, "churn.level"), "high");
    assert_int_equal(num(p, "complaints.total"), 1);
    assert_int_equal(num(p, "complaints.open_tickets"), 2);
    assert_int_equal(num(p, "sentiment.negative_30d"), 3);
    json_decref(p);
    kf_profile_state_free(s);

    /* a happy regular: no reasons, low */
    s = kf_profile_state_new();
    for (int k = 0; k < 6; k++)
        order(s, NOW - k * 20 * DAY, 100);
    p = derive(NULL, s, NULL, NOW);
    assert_int_equal(json_array_size(at(p, "churn.reasons")), 0);
    assert_string_equal(str(p, "churn.level"), "low");
    assert_true(real(p, "ltv.predicted_12m") > 0);
    json_decref(p);
    kf_profile_state_free(s);
}

static void test_frequency_drop_and_sentiment_trend(void **state)
{
    (void)state;
    struct kf_profile_state *s = kf_profile_state_new();
    for (int k = 0; k < 4; k++) /* 4 orders 7..10 months ago, 1 this month */
        order(s, ms_of(2026, 1 + k, 15), 100);
    order(s, ms_of(2026, 11, 2), 100);
    for (int k = 0; k < 6; k++) { /* moods: positive then negative */
        struct kf_profile_event m = ev("message", NOW - (60 - k) * DAY);
        m.sentiment = k < 3 ? "positive" : "negative";
        apply(s, m);
    }
    json_t *p = derive(NULL, s, NULL, NOW);
    json_t *reasons = at(p, "churn.reasons");
    int found = 0;
    for (size_t i = 0; i < json_array_size(reasons); i++)
        if (strcmp(str(json_array_get(reasons, i), "code"), "frequency_drop") == 0) {
            assert_string_equal(str(json_array_get(reasons, i), "en"),
                                "1 orders in the last 6 months, 4.0 per 6 months before");
            found = 1;
        }
    assert_true(found);
    assert_string_equal(str(p, "sentiment.trend"), "worsening");
    assert_true(real(p, "sentiment.recent") == -1);
    assert_true(real(p, "sentiment.previous") == 1);
    assert_int_equal(num(p, "sentiment.negative_30d"), 0); /* all older than 30 days */
    json_decref(p);
    kf_profile_state_free(s);
    /* fewer than two moods: unknown */
    s = kf_profile_state_new();
    struct kf_profile_event m = ev("message", NOW - DAY);
    m.sentiment = "neutral";
    apply(s, m);
    p = derive(NULL, s, NULL, NOW);
    assert_string_equal(str(p, "sentiment.trend"), "unknown");
    assert_true(json_is_null(at(p, "sentiment.previous")));
    assert_true(real(p, "sentiment.recent") == 0);
    json_decref(p);
    kf_profile_state_free(s);
}

static void test_derived_shape(void **state)
{
    (void)state;
    struct kf_profile_state *s = rich_state();
    struct kf_profile_context ctx = {.customer_id = 42,
                                     .created_at = NOW - 900 * DAY,
                                     .birthday = "1990-05-01",
                                     .opt_out = 1,
                                     .tier = "gold"};
    json_t *p = derive(NULL, s, &ctx, NOW);
    const char *keys[] = {"customer_id", "computed_at", "rfm",      "ltv",
                          "lifecycle",   "preferences", "channels", "activity",
                          "sentiment",   "complaints",  "churn",    "tags",
                          "attributes",  "birthday",    "opt_out",  "tier"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(p, keys[i]) == NULL)
            fail_msg("derived profile without '%s'", keys[i]);
    assert_int_equal(num(p, "customer_id"), 42);
    assert_int_equal(num(p, "computed_at"), NOW);
    assert_string_equal(str(p, "birthday"), "1990-05-01");
    assert_true(json_is_true(at(p, "opt_out")));
    assert_string_equal(str(p, "tier"), "gold");
    assert_string_equal(str(p, "preferences.price_band"), "premium"); /* (3999 + 99.5) / 2 */
    assert_true(real(p, "preferences.avg_price") == 2049.25);
    assert_string_equal(str(p, "channels.0.channel"), "web");
    assert_string_equal(str(p, "activity.last_cart_sku"), "sku-a");
    assert_int_equal(json_array_size(at(p, "tags")), 0); /* default rules have none */
    json_decref(p);
    kf_profile_state_free(s);
}

/* ----------------------------------------------------------------- rules */

struct fx {
    char dir[256];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "profiles");
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static int load(struct fx *f, const char *yaml, struct kf_profile_rules **r, struct kf_err *err)
{
    const char *path = tu_write(f->dir, "profiles.yaml", yaml);
    return kf_profile_rules_load(path, r, err);
}

static void test_rules_defaults_equal_empty_file(void **state)
{
    struct fx *f = *state;
    struct kf_profile_rules *d = kf_profile_rules_default(), *e = NULL;
    struct kf_err err = {0};
    assert_int_equal(load(f, "# nothing here\n", &e, &err), 0);
    struct kf_profile_state *s = rich_state();
    json_t *p1 = derive(d, s, NULL, NOW), *p2 = derive(e, s, NULL, NOW),
           *p3 = derive(NULL, s, NULL, NOW);
    assert_true(json_equal(p1, p2));
    assert_true(json_equal(p1, p3));
    const char *const *names = (const char *const *)1;
    assert_int_equal(kf_profile_rules_tags(d, &names), 0);
    json_decref(p1), json_decref(p2), json_decref(p3);
    kf_profile_rules_free(e);
    /* an empty mapping is also no keys */
    assert_int_equal(load(f, "{}\n", &e, &err), 0);
    p2 = derive(e, s, NULL, NOW);
    p1 = derive(d, s, NULL, NOW);
    assert_true(json_equal(p1, p2));
    json_decref(p1), json_decref(p2);
    kf_profile_rules_free(e);
    kf_profile_rules_free(d);
    kf_profile_state_free(s);
    kf_profile_rules_free(NULL);
}

static void test_rules_missing_file(void **state)
{
    struct fx *f = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/none.yaml", f->dir);
    struct kf_profile_rules *r = (struct kf_profile_rules *)1;
    struct kf_err err = {0};
    assert_int_equal(kf_profile_rules_load(path, &r, &err), KF_ENOTFOUND);
    assert_null(r);
}

static void test_rules_tags_and_settings(void **state)
{
    struct fx *f = *state;
    struct kf_profile_rules *r = NULL;
    struct kf_err err = {0};
    const char *yaml =
        "rfm:\n"
        "  frequency: [1, 2, 3, 4]\n"
        "lifecycle: {new_days: 7}\n"
        "price_bands:\n"
        "  - {name: cheap, below: 100, zh: 便宜, en: Cheap}\n"
        "  - {name: dear, zh: 贵, en: Dear}\n"
        "churn:\n"
        "  weights: {inactivity: 0, frequency_drop: 0, open_tickets: 1}\n"
        "  thresholds: {medium: 0.2, high: 0.5}\n"
        "tags:\n"
        "  - {name: big, zh: 大, en: Big, when: 'rfm.f >= 4'}\n"
        "  - {name: cheapo, zh: 省, en: Saver, when: \"preferences.price_band == 'cheap'\"}\n"
        "  - {name: troubled, zh: 麻烦, en: Trouble, when: 'churn.level == \"high\"'}\n"
        "  - {name: never, zh: 无, en: Never, when: 'false'}\n"
        "  - {name: fresh, zh: 新, en: Fresh, when: \"lifecycle == 'new'\"}\n";
    assert_int_equal(load(f, yaml, &r, &err), 0);
    const char *const *names = NULL;
    assert_int_equal(kf_profile_rules_tags(r, &names), 5);
    assert_string_equal(names[0], "big");
    assert_string_equal(names[4], "fresh");
    struct kf_profile_state *s = kf_profile_state_new();
    struct kf_profile_event e = ev("order", NOW - 400 * DAY);
    const double prices[] = {50};
    const char *cats[] = {"snacks"};
    e.item_prices = prices;
    e.item_categories = cats;
    e.nitem_categories = 1;
    e.amount = 50;
    for (int k = 0; k < 4; k++)
        apply(s, e);
    struct kf_profile_context ctx = {.open_tickets = 2};
    json_t *p = derive(r, s, &ctx, NOW);
    json_t *tags = at(p, "tags");
    assert_int_equal(json_array_size(tags), 3); /* in file order */
    assert_string_equal(str(tags, "0"), "big");
    assert_string_equal(str(tags, "1"), "cheapo");
    assert_string_equal(str(tags, "2"), "troubled");
    assert_int_equal(json_array_size(at(p, "churn.reasons")), 1); /* the others weigh 0 */
    assert_string_equal(str(p, "churn.reasons.0.code"), "open_tickets");
    json_decref(p);
    /* new_days: 7 */
    struct kf_profile_state *n = kf_profile_state_new();
    apply(n, ev("view", NOW - 8 * DAY));
    p = derive(r, n, NULL, NOW);
    assert_string_equal(str(p, "lifecycle"), "active");
    json_decref(p);
    apply(n, ev("view", NOW - 8 * DAY));
    kf_profile_state_free(n);
    kf_profile_state_free(s);
    kf_profile_rules_free(r);
}

static void test_rules_demo_shop(void **state)
{
    (void)state;
    struct kf_profile_rules *r = NULL;
    struct kf_err err = {0};
    int rc = kf_profile_rules_load(KEFU_SRC_ROOT "/bots/demo-shop/profiles.yaml", &r, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    const char *const *names = NULL;
    size_t n = kf_profile_rules_tags(r, &names);
    const char *want[] = {"high_value", "potential_churn", "vip",        "new_customer",
                          "dormant",    "bargain_hunter",  "complainer", "loyal"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t i = 0;
        while (i < n && strcmp(names[i], want[w]) != 0)
            i++;
        if (i == n)
            fail_msg("demo-shop profiles.yaml has no tag '%s'", want[w]);
    }
    /* a big spender who went quiet and complained */
    struct kf_profile_state *s = kf_profile_state_new();
    for (int k = 0; k < 12; k++)
        order(s, NOW - 150 * DAY - k * 25 * DAY, 3000);
    struct kf_profile_event m = ev("message", NOW - 2 * DAY);
    m.sentiment = "negative";
    m.intent = "complaint";
    apply(s, m);
    apply(s, m);
    struct kf_profile_context ctx = {
        .customer_id = 1, .open_tickets = 1, .open_complaints = 1, .tier = "vip"};
    json_t *p = derive(r, s, &ctx, NOW);
    json_t *tags = at(p, "tags");
    const char *expect[] = {"high_value", "vip", "potential_churn", "complainer", "unhappy"};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        int found = 0;
        for (size_t k = 0; k < json_array_size(tags); k++)
            found |= strcmp(json_string_value(json_array_get(tags, k)), expect[i]) == 0;
        if (!found) {
            char *d = json_dumps(p, JSON_INDENT(1));
            fail_msg("tag %s missing in %s", expect[i], d);
        }
    }
    assert_string_equal(str(p, "lifecycle"), "active"); /* the messages are activity */
    json_decref(p);
    /* quiet for 200 days: dormant, and a cart left behind */
    kf_profile_state_free(s);
    s = kf_profile_state_new();
    order(s, NOW - 300 * DAY, 100);
    struct kf_profile_event c = ev("add_to_cart", NOW - 200 * DAY);
    c.sku = "phone-x";
    apply(s, c);
    p = derive(r, s, NULL, NOW);
    assert_string_equal(str(p, "lifecycle"), "dormant");
    assert_string_equal(str(p, "tags.0"), "potential_churn"); /* file order */
    assert_string_equal(str(p, "tags.1"), "dormant");
    assert_string_equal(str(p, "tags.2"), "cart_abandoner");
    assert_int_equal(json_array_size(at(p, "tags")), 3);
    json_decref(p);
    kf_profile_state_free(s);
    kf_profile_rules_free(r);
}

static void test_rules_errors_name_the_line(void **state)
{
    struct fx *f = *state;
    const struct {
        const char *yaml;
        const char *want;
    } cases[] = {
        {"colour: red\n", ":1: profiles: unknown key 'colour'"},
        {"- a\n- b\n", ":1: profiles: expected a mapping"},
        {"rfm:\n  recency_days: [1, 2, 3]\n", ":2: rfm.recency_days: expected a list of 4"},
        {"rfm:\n  frequency:\n    - 1\n    - 2\n    - x\n    - 4\n",
         ":5: rfm.frequency[2]: expected a number, got 'x'"},
        {"rfm:\n  monetary: [5, 4, 6, 7]\n", ":2: rfm.monetary[1]: 4 is not above 5"},
        {"rfm:\n  recency: [1, 2, 3, 4]\n", ":2: rfm: unknown key 'recency'"},
        {"lifecycle:\n  new_days: 30\n  active_days: 400\n",
         ":2: lifecycle: active_days (400) must be below dormant_days (365)"},
        {"lifecycle:\n  new_days: -3\n", ":2: lifecycle.new_days: -3 is out of range"},
        {"lifecycle:\n  dormant_days: 1.5\n", ":2: lifecycle.dormant_days: expected an integer"},
        {"price_bands:\n  - {name: a, below: 10, zh: 甲, en: A}\n  - {name: b, below: 5, zh: 乙, "
         "en: B}\n"
         "  - {name: c, zh: 丙, en: C}\n",
         ":3: price_bands[1].below: 5 is not above the band before"},
        {"price_bands:\n  - {name: a, zh: 甲, en: A}\n  - {name: b, zh: 乙, en: B}\n",
         ":2: price_bands[0]: below: required"},
        {"price_bands:\n  - {name: a, below: 10, zh: 甲, en: A}\n",
         ":2: price_bands[0]: below: the last band has no upper limit"},
        {"price_bands:\n  - {name: a, zh: 甲}\n", ":2: price_bands[0]: en: required"},
        {"price_bands: []\n", ":1: price_bands: expected a list of 1..8 bands"},
        {"churn:\n  weights:\n    inactivity: 1\n    typo: 2\n",
         ":4: churn.weights: unknown key 'typo'"},
        {"churn:\n  weights: {complaints: 11}\n",
         ":2: churn.weights.complaints: 11 is out of range"},
        {"churn:\n  thresholds: {medium: 0.8, high: 0.5}\n",
         ":2: churn.thresholds: medium (0.8) must be below high (0.5)"},
        {"churn:\n  min_reason: lots\n", ":2: churn.min_reason: expected a number, got 'lots'"},
        {"sentiment: {trend_delta: 3}\n", ":1: sentiment.trend_delta: 3 is out of range"},
        {"tags:\n  - name: a\n    zh: 甲\n    en: A\n    when: 'rfm.f >= '\n",
         ":5: tags[0] (a): when: col 10: expected a value at the end"},
        {"tags:\n  - {name: a, zh: 甲, en: A, when: x}\n  - {name: b, zh: 乙, en: B, when: 'y = "
         "1'}\n",
         ":3: tags[1] (b): when: col 3: '=' is not an operator"},
        {"tags:\n  - {name: a, zh: 甲, en: A, when: x}\n  - {name: a, zh: 乙, en: B, when: y}\n",
         ":3: tags[1]: duplicate tag 'a'"},
        {"tags:\n  - {name: a, zh: 甲, en: A}\n", ":2: tags[0] (a): when: required"},
        {"tags:\n  - {name: High, zh: 甲, en: A, when: x}\n",
         ":2: tags[0]: name: 'High' is not [a-z0-9_]+"},
        {"tags:\n  - {name: a, zh: 甲, en: A, when: x, colour: red}\n",
         ":2: tags[0]: unknown key 'colour'"},
        {"tags:\n  - {name: a, zh: 甲, en: A, when: [x]}\n",
         ":2: tags[0] (a): when: expected a condition"},
        {"tags: {a: 1}\n", ":1: tags: expected a list"},
        {"rfm:\n  frequency: [1, 2\n", ":"}, /* YAML syntax */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kf_profile_rules *r = (struct kf_profile_rules *)1;
        struct kf_err err = {0};
        int rc = load(f, cases[i].yaml, &r, &err);
        if (rc != KF_EPARSE)
            fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
        assert_null(r);
        assert_contains(err.msg, "profiles.yaml:");
        assert_contains(err.msg, cases[i].want);
    }
}

/* Every allocation of a load after the YAML tree's failing in turn: an
 * error, never a crash or a leak (ASan). The tree's own allocations are
 * yaml.c's business (tests/unit/core/yaml.c). */
static void test_rules_allocation_failures(void **state)
{
    (void)state;
    const char *path = KEFU_SRC_ROOT "/bots/demo-shop/profiles.yaml";
    struct kf_ydoc *doc = NULL;
    kf_mem_fail_after(0);
    assert_int_equal(kf_ydoc_load_file(path, &doc, NULL), 0);
    long tree = kf_mem_fail_after(0);
    kf_ydoc_free(doc);
    int ok = 0;
    for (long n = tree + 1; n < tree + 400 && !ok; n++) {
        struct kf_profile_rules *r = NULL;
        struct kf_err err = {0};
        kf_mem_fail_after(n);
        int rc = kf_profile_rules_load(path, &r, &err);
        kf_mem_fail_after(0);
        assert_true(rc == 0 || rc == KF_ENOMEM);
        if (rc == 0)
            ok = 1;
        else
            assert_null(r);
        kf_profile_rules_free(r);
    }
    assert_true(ok);
    kf_mem_fail_after(1);
    assert_null(kf_profile_state_new());
    kf_mem_fail_after(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_order_independent),
        cmocka_unit_test(test_month_ring_shifts),
        cmocka_unit_test(test_topk_eviction),
        cmocka_unit_test(test_apply_rejects_bad_events),
        cmocka_unit_test(test_attributes_bounded),
        cmocka_unit_test(test_state_json_round_trip),
        cmocka_unit_test(test_state_json_rejects_garbage),
        cmocka_unit_test(test_state_json_fuzz),
        cmocka_unit_test(test_rfm_breakpoints),
        cmocka_unit_test(test_lifecycle_boundaries),
        cmocka_unit_test(test_churn_monotonic_in_inactivity),
        cmocka_unit_test(test_churn_reasons),
        cmocka_unit_test(test_frequency_drop_and_sentiment_trend),
        cmocka_unit_test(test_derived_shape),
        cmocka_unit_test_setup_teardown(test_rules_defaults_equal_empty_file, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_rules_missing_file, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rules_tags_and_settings, fx_setup, fx_teardown),
        cmocka_unit_test(test_rules_demo_shop),
        cmocka_unit_test_setup_teardown(test_rules_errors_name_the_line, fx_setup, fx_teardown),
        cmocka_unit_test(test_rules_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
