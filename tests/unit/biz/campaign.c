/* unit/biz/campaign.c — the campaign engine (campaign.h) against a temporary
 * store with customers and events made here: birthday today or not, dormant
 * or active, the cart-reminder window, opt-out, quiet hours in the shop's
 * zone, the frequency cap across campaigns, cooldowns, idempotency, dry
 * runs that write nothing, the customer's language and channel, and
 * campaigns.yaml mistakes reported with their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "kefu/campaign.h"
#include "kefu/events.h"
#include "kefu/log.h"
#include "kefu/store.h"

#define DAY 86400000LL
#define HOUR 3600000LL
#define ZONE (8 * HOUR) /* the shop's zone in these tests: +08:00 */

/* birthday, win-back, cart reminder; quiet 21:00-09:00; at most 2 per 7 days */
static const char YAML[] =
    "settings:\n"
    "  timezone: Asia/Shanghai\n"
    "  default_lang: zh\n"
    "  quiet_hours: {from: \"21:00\", to: \"09:00\"}\n"
    "  frequency_cap: {max: 2, days: 7}\n"
    "  name_fallback: {zh: 亲, en: there}\n"
    "campaigns:\n"
    "  - name: birthday\n"
    "    trigger: birthday\n"
    "    cooldown_days: 365\n"
    "    coupon: BDAY-88\n"
    "    message:\n"
    "      zh: \"{name}生日快乐!优惠券 {coupon}\"\n"
    "      en: \"Happy birthday, {name}! Coupon {coupon}\"\n"
    "  - name: win_back\n"
    "    trigger: lifecycle\n"
    "    stages: [dormant]\n"
    "    audience: 'lifecycle == \"dormant\"'\n"
    "    cooldown_days: 30\n"
    "    message: {zh: \"{name},好久不见\", en: \"We miss you, {name}\"}\n"
    "  - name: cart\n"
    "    trigger: cart\n"
    "    cart: {after_hours: 4, within_days: 3}\n"
    "    cooldown_days: 3\n"
    "    message: {zh: \"您的购物车里还有{product}\", en: \"{product} is still in your cart\"}\n"
    "  - name: dormant_2\n"
    "    enabled: false\n"
    "    trigger: lifecycle\n"
    "    stages: [dormant, churned]\n"
    "    cooldown_days: 1\n"
    "    message: {zh: 第二个}\n";

struct fx {
    char dir[256];
    char path[320];
    struct kf_store *st;
    struct kf_campaigns *c;
    sqlite3 *db;
    long long noon; /* today 12:00 in the shop's zone, as UTC ms */
    char today[11], tomorrow[11]; /* YYYY-MM-DD there, for birthdays (year 1990) */
    int seq;
};

static void local_date(long long ms, char out[11])
{
    time_t s = (time_t)((ms + ZONE) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 11, "1990-%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-campaign");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    *state = f;
    long long now = kf_time_now_ms();
    f->noon = (now + ZONE) / DAY * DAY - ZONE + 12 * HOUR;
    local_date(f->noon, f->today);
    local_date(f->noon + DAY, f->tomorrow);
    if (strcmp(f->today + 5, "02-28") == 0 || strcmp(f->today + 5, "02-29") == 0)
        f->noon += 2 * DAY, local_date(f->noon, f->today), local_date(f->noon + DAY, f->tomorrow);
    struct kf_store_params sp = kf_store_default_params();
    sp.path = f->path;
    sp.synchronous_full = 0;
    struct kf_err err = {0};
    if (kf_store_open(sp, &f->st, &err) != 0 || kf_store_migrate(f->st, NULL, &err) != 0 ||
        kf_campaigns_load_string("campaigns.yaml", YAML, strlen(YAML), &f->c, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_campaigns_free(f->c);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static long long sql_int(struct fx *f, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(f->db));
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static long long customer(struct fx *f, const char *ext, const char *name)
{
    long long id = 0;
    struct kf_err err = {0};
    if (kf_store_customer_resolve(f->st, "web", ext, name, &id, &err) != 0)
        fail_msg("customer %s: %s", ext, err.msg);
    return id;
}

/* Ingest one event (JSON text with "%lld" for the customer id) derived at f->noon. */
static void event(struct fx *f, long long cust, long long at, const char *fields)
{
    char text[512];
    snprintf(text, sizeof text, "{\"event_id\":\"t%d\",\"customer_id\":%lld,\"at\":%lld,%s}",
             ++f->seq, cust, at, fields);
    json_t *obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    struct kf_arena *a = kf_arena_new(4096, 1 << 20);
    struct kf_event ev;
    memset(&ev, 0, sizeof ev);
    struct kf_err err = {0}, one = {0};
    enum kf_event_status st = KF_EVENT_REJECTED;
    if (kf_event_parse(obj, f->noon, a, &ev, &err) != 0 ||
        kf_events_ingest(f->st, &ev, 1, f->noon, &st, &one, NULL, &err) != 0)
        fail_msg("event %s: %s", text, err.msg);
    if (st == KF_EVENT_REJECTED)
        fail_msg("event %s rejected: %s", text, one.msg);
    kf_event_clear(&ev);
    kf_arena_free(a);
    json_decref(obj);
}

static void birthday(struct fx *f, long long cust, const char *date)
{
    char fields[128];
    snprintf(fields, sizeof fields, "\"type\":\"attribute\",\"attributes\":{\"birthday\":\"%s\"}",
             date);
    event(f, cust, f->noon - 400 * DAY, fields);
}

/* A customer last seen 200 days ago (dormant by the default rules). */
static long long dormant(struct fx *f, const char *ext)
{
    long long id = customer(f, ext, NULL);
    event(f, id, f->noon - 200 * DAY, "\"type\":\"order\",\"order_no\":\"X\",\"amount\":100");
    return id;
}

struct run {
    struct kf_campaign_run r;
};

static struct kf_campaign_run run_at(struct fx *f, long long at, int dry, const char *only)
{
    struct kf_campaign_run_params p = kf_campaign_default_run_params();
    p.now_ms = at;
    p.dry_run = dry;
    p.only = only;
    struct kf_campaign_run r;
    struct kf_err err = {0};
    if (kf_campaigns_run(f->st, f->c, p, &r, &err) != 0)
        fail_msg("run: %s", err.msg);
    return r;
}

static const struct kf_campaign_tally *tally(const struct kf_campaign_run *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->tallies[i].campaign, name) == 0)
            return &r->tallies[i];
    fail_msg("no tally for %s", name);
    return NULL;
}

static long long sent(const struct kf_campaign_run *r, const char *name)
{
    return tally(r, name)->counts[KF_CO_SENT];
}

/* The customer's last message on channel (text into out), its kind; 0 if none. */
static int last_message(struct fx *f, long long cust, const char *channel, char *out, size_t cap,
                        char *kind)
{
    struct kf_conversation cv;
    struct kf_err err = {0};
    if (kf_store_conversation_find_open(f->st, cust, channel, &cv, &err) != 0)
        return 0;
    struct kf_arena *a = kf_arena_new(4096, 1 << 20);
    struct kf_message *m = NULL;
    size_t n = 0;
    int more = 0;
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 50, a, &m, &n, &more, &err), 0);
    int ok = n > 0;
    if (ok) {
        snprintf(out, cap, "%s", m[n - 1].text);
        snprintf(kind, 16, "%s", m[n - 1].kind);
        assert_string_equal(m[n - 1].role, "bot");
    }
    kf_arena_free(a);
    return ok ? (int)n : 0;
}

/* ---- triggers ------------------------------------------------------------- */

static void test_birthday_today_only(void **state)
{
    struct fx *f = *state;
    long long a = customer(f, "bday-a", "王*"), b = customer(f, "bday-b", "小王");
    birthday(f, a, f->today);
    birthday(f, b, f->tomorrow);
    long long before = kf_time_now_ms();
    struct kf_campaign_run r = run_at(f, f->noon, 0, "birthday");
    assert_int_equal(tally(&r, "birthday")->candidates, 1);
    assert_int_equal(sent(&r, "birthday"), 1);
    char text[256], kind[16];
    assert_int_equal(last_message(f, a, "web", text, sizeof text, kind), 1);
    assert_string_equal(text, "亲生日快乐!优惠券 BDAY-88"); /* a masked name: the fallback */
    assert_string_equal(kind, "campaign");
    assert_int_equal(last_message(f, b, "web", text, sizeof text, kind), 0);
    /* the conversation was touched by the commit */
    struct kf_conversation cv;
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_find_open(f->st, a, "web", &cv, &err), 0);
    assert_true(cv.updated_at >= before);
    /* the send row names the conversation and the message */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM campaign_sends s JOIN messages m"
                                " ON m.id = s.message_id AND m.conversation_id = s.conversation_id"
                                " WHERE s.status = 'sent' AND s.campaign = 'birthday'"),
                     1);
    /* a bot message is not a customer interaction */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE type = 'message'"), 0);
    /* tomorrow it is b's turn; a is not a candidate any more */
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon + DAY, 0, "birthday");
    assert_int_equal(sent(&r, "birthday"), 1);
    assert_int_equal(last_message(f, b, "web", text, sizeof text, kind), 1);
    assert_string_equal(text, "小王生日快乐!优惠券 BDAY-88");
    kf_campaign_run_release(&r);
}

static void test_win_back_dormant_not_active(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "wb-dormant");
    long long a = customer(f, "wb-active", NULL);
    event(f, a, f->noon - 60 * DAY, "\"type\":\"order\",\"order_no\":\"A1\",\"amount\":50");
    event(f, a, f->noon - 10 * DAY, "\"type\":\"order\",\"order_no\":\"A2\",\"amount\":50");
    struct kf_campaign_run r = run_at(f, f->noon, 0, "win_back");
    assert_int_equal(sent(&r, "win_back"), 1);
    char text[256], kind[16];
    assert_int_equal(last_message(f, d, "web", text, sizeof text, kind), 1);
    assert_string_equal(text, "亲,好久不见");
    assert_int_equal(last_message(f, a, "web", text, sizeof text, kind), 0);
    kf_campaign_run_release(&r);
}

static void test_cart_window(void **state)
{
    struct fx *f = *state;
    long long ok = customer(f, "cart-ok", NULL), early = customer(f, "cart-early", NULL),
              bought = customer(f, "cart-bought", NULL), old = customer(f, "cart-old", NULL);
    event(f, ok, f->noon - 5 * HOUR, "\"type\":\"add_to_cart\",\"sku\":\"case-x\"");
    event(f, early, f->noon - 1 * HOUR, "\"type\":\"add_to_cart\",\"sku\":\"case-x\"");
    event(f, bought, f->noon - 6 * HOUR, "\"type\":\"add_to_cart\",\"sku\":\"case-x\"");
    event(f, bought, f->noon - 2 * HOUR, "\"type\":\"order\",\"order_no\":\"B1\",\"amount\":9");
    event(f, old, f->noon - 4 * DAY, "\"type\":\"add_to_cart\",\"sku\":\"case-x\"");
    struct kf_campaign_run r = run_at(f, f->noon, 0, "cart");
    assert_int_equal(tally(&r, "cart")->candidates, 2); /* ok and bought: in the window */
    assert_int_equal(tally(&r, "cart")->audience, 1);
    assert_int_equal(sent(&r, "cart"), 1);
    char text[256], kind[16];
    assert_int_equal(last_message(f, ok, "web", text, sizeof text, kind), 1);
    assert_string_equal(text, "您的购物车里还有case-x"); /* no such product: the sku */
    assert_int_equal(last_message(f, early, "web", text, sizeof text, kind), 0);
    assert_int_equal(last_message(f, bought, "web", text, sizeof text, kind), 0);
    assert_int_equal(last_message(f, old, "web", text, sizeof text, kind), 0);
    kf_campaign_run_release(&r);
    /* two days later: the same cart is not reminded again; the early one is due now */
    r = run_at(f, f->noon + 2 * DAY, 0, "cart");
    assert_int_equal(sent(&r, "cart"), 1);
    assert_int_equal(tally(&r, "cart")->counts[KF_CO_SKIPPED_COOLDOWN], 1);
    kf_campaign_run_release(&r);
    assert_int_equal(last_message(f, ok, "web", text, sizeof text, kind), 1);
    assert_int_equal(last_message(f, early, "web", text, sizeof text, kind), 1);
}

/* ---- rules around a send ------------------------------------------------------ */

static void test_opt_out(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "oo-dormant");
    event(f, d, f->noon - 300 * DAY,
          "\"type\":\"attribute\",\"attributes\":{\"marketing_opt_out\":true}");
    /* the API's way: an attribute event now (and back in) */
    long long other = customer(f, "oo-other", NULL);
    struct kf_err err = {0};
    assert_int_equal(kf_campaign_opt_out(f->st, other, 1, f->noon, &err), 0);
    assert_int_equal(sql_int(f, "SELECT marketing_opt_out FROM customers WHERE id = "
                                "(SELECT customer_id FROM customer_identities"
                                " WHERE external_id = 'oo-other')"),
                     1);
    assert_int_equal(kf_campaign_opt_out(f->st, other, 0, f->noon + 1, &err), 0);
    assert_int_equal(sql_int(f, "SELECT marketing_opt_out FROM customers WHERE id = "
                                "(SELECT customer_id FROM customer_identities"
                                " WHERE external_id = 'oo-other')"),
                     0);
    struct kf_campaign_run r = run_at(f, f->noon, 0, "win_back");
    assert_int_equal(sent(&r, "win_back"), 0);
    assert_int_equal(tally(&r, "win_back")->counts[KF_CO_SKIPPED_OPT_OUT], 1);
    kf_campaign_run_release(&r);
    /* settled: the next run does not look at the customer again */
    r = run_at(f, f->noon + HOUR, 0, "win_back");
    assert_int_equal(tally(&r, "win_back")->candidates, 0);
    kf_campaign_run_release(&r);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM campaign_sends WHERE status ="
                                " 'skipped_opt_out'"),
                     1);
    assert_int_equal(kf_campaign_opt_out(f->st, 999999, 1, f->noon, &err), KF_ENOTFOUND);
}

static void test_quiet_hours_in_shop_zone(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "quiet-dormant");
    /* 22:00 in +08:00 is 14:00 UTC: quiet there, whatever the UTC clock says */
    long long night = f->noon + 10 * HOUR;
    struct kf_campaign_run r = run_at(f, night, 0, "win_back");
    assert_true(r.quiet);
    assert_int_equal(sent(&r, "win_back"), 0);
    assert_int_equal(tally(&r, "win_back")->counts[KF_CO_DEFERRED_QUIET], 1);
    kf_campaign_run_release(&r);
    char text[256], kind[16];
    assert_int_equal(last_message(f, d, "web", text, sizeof text, kind), 0);
    /* 08:59 still quiet, logged once; 09:00 the deferred send goes out */
    r = run_at(f, f->noon + 20 * HOUR + 59 * 60000LL, 0, "win_back");
    assert_int_equal(tally(&r, "win_back")->counts[KF_CO_DEFERRED_QUIET], 1);
    kf_campaign_run_release(&r);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM campaign_sends WHERE status ="
                                " 'deferred_quiet_hours'"),
                     1);
    r = run_at(f, f->noon + 21 * HOUR, 0, "win_back");
    assert_false(r.quiet);
    assert_int_equal(sent(&r, "win_back"), 1);
    kf_campaign_run_release(&r);
    assert_int_equal(last_message(f, d, "web", text, sizeof text, kind), 1);
}

static void test_frequency_cap_across_campaigns(void **state)
{
    struct fx *f = *state;
    /* two sends in the last 7 days from other campaigns: the cap (2) is reached */
    long long d = dormant(f, "cap-dormant");
    birthday(f, d, f->today);
    struct kf_campaign_run r = run_at(f, f->noon, 0, NULL); /* file order: birthday, win_back */
    assert_int_equal(sent(&r, "birthday"), 1);
    assert_int_equal(sent(&r, "win_back"), 1);
    assert_int_equal(r.n, 3); /* the disabled campaign did not run */
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon + HOUR, 0, "dormant_2");
    assert_int_equal(sent(&r, "dormant_2"), 0);
    assert_int_equal(tally(&r, "dormant_2")->counts[KF_CO_SKIPPED_CAP], 1);
    kf_campaign_run_release(&r);
    /* 8 days later the window has passed */
    r = run_at(f, f->noon + 8 * DAY, 0, "dormant_2");
    assert_int_equal(sent(&r, "dormant_2"), 1);
    kf_campaign_run_release(&r);
    /* a dry run counts its own sends against the cap (here 1) */
    static const char cap1[] =
        "settings: {frequency_cap: {max: 1, days: 7}}\n"
        "campaigns:\n"
        "  - {name: b, trigger: birthday, cooldown_days: 365, message: {zh: b}}\n"
        "  - {name: w, trigger: lifecycle, stages: [dormant], cooldown_days: 30, message: {zh: w}}\n";
    struct kf_campaigns *c = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_campaigns_load_string("cap1", cap1, strlen(cap1), &c, &err), 0);
    long long e = dormant(f, "cap-dry");
    birthday(f, e, f->today);
    struct kf_campaign_run_params p = kf_campaign_default_run_params();
    p.now_ms = f->noon;
    p.dry_run = 1;
    assert_int_equal(kf_campaigns_run(f->st, c, p, &r, &err), 0);
    /* d is capped by the three real sends above; e gets b, and then w is one too many */
    assert_int_equal(sent(&r, "b"), 1);
    assert_int_equal(tally(&r, "b")->counts[KF_CO_SKIPPED_CAP], 1);
    assert_int_equal(sent(&r, "w"), 0);
    assert_int_equal(tally(&r, "w")->counts[KF_CO_SKIPPED_CAP], 2);
    kf_campaign_run_release(&r);
    kf_campaigns_free(c);
}

static void test_cooldown(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "cool-dormant");
    struct kf_campaign_run r = run_at(f, f->noon, 0, "win_back");
    assert_int_equal(sent(&r, "win_back"), 1);
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon + DAY, 0, "win_back");
    assert_int_equal(sent(&r, "win_back"), 0);
    assert_int_equal(tally(&r, "win_back")->counts[KF_CO_SKIPPED_COOLDOWN], 1);
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon + 2 * DAY, 0, "win_back"); /* settled: not looked at */
    assert_int_equal(tally(&r, "win_back")->candidates, 0);
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon + 31 * DAY, 0, "win_back"); /* still dormant, cooldown over */
    assert_int_equal(sent(&r, "win_back"), 1);
    kf_campaign_run_release(&r);
    char text[256], kind[16];
    assert_int_equal(last_message(f, d, "web", text, sizeof text, kind), 2);
}

static void test_idempotent_at_same_time(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "idem");
    birthday(f, d, f->today);
    struct kf_campaign_run r = run_at(f, f->noon, 0, NULL);
    assert_int_equal(sent(&r, "birthday") + sent(&r, "win_back"), 2);
    kf_campaign_run_release(&r);
    r = run_at(f, f->noon, 0, NULL);
    assert_int_equal(sent(&r, "birthday") + sent(&r, "win_back") + sent(&r, "cart"), 0);
    kf_campaign_run_release(&r);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM messages"), 2);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM campaign_sends WHERE status = 'sent'"), 2);
}

static void test_dry_run_writes_nothing(void **state)
{
    struct fx *f = *state;
    long long d = dormant(f, "dry");
    birthday(f, d, f->today);
    long long sends = sql_int(f, "SELECT count(*) FROM campaign_sends");
    long long convs = sql_int(f, "SELECT count(*) FROM conversations");
    struct kf_campaign_run r = run_at(f, f->noon, 1, NULL);
    assert_true(r.dry_run);
    assert_int_equal(sent(&r, "birthday"), 1);
    assert_int_equal(sent(&r, "win_back"), 1);
    assert_int_equal(r.npreview, 2);
    assert_string_equal(r.preview[0].text, "亲生日快乐!优惠券 BDAY-88");
    assert_string_equal(r.preview[0].channel, "web");
    json_t *j = kf_campaign_run_json(&r);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(
                         json_object_get(j, "campaigns"), 0), "counts"), "sent")),
                     1);
    json_decref(j);
    kf_campaign_run_release(&r);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM campaign_sends"), sends);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM conversations"), convs);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM messages"), 0);
}

static void test_language_and_channel(void **state)
{
    struct fx *f = *state;
    /* customers.lang wins */
    long long en = dormant(f, "lang-en");
    event(f, en, f->noon - 300 * DAY, "\"type\":\"attribute\",\"attributes\":{\"lang\":\"en\"}");
    /* else the last conversation's language and channel */
    long long api = dormant(f, "lang-api");
    struct kf_conversation cv = {.customer_id = api, .created_at = f->noon - 250 * DAY,
                                 .updated_at = f->noon - 250 * DAY};
    snprintf(cv.id, sizeof cv.id, "%032x", 77);
    snprintf(cv.channel, sizeof cv.channel, "api");
    snprintf(cv.lang, sizeof cv.lang, "en");
    snprintf(cv.status, sizeof cv.status, "open");
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_create(f->st, &cv, &err), 0);
    struct kf_campaign_run r = run_at(f, f->noon, 0, "win_back");
    assert_int_equal(sent(&r, "win_back"), 2);
    kf_campaign_run_release(&r);
    char text[256], kind[16];
    assert_int_equal(last_message(f, en, "web", text, sizeof text, kind), 1);
    assert_string_equal(text, "We miss you, there");
    assert_int_equal(last_message(f, api, "web", text, sizeof text, kind), 0);
    assert_int_equal(last_message(f, api, "api", text, sizeof text, kind), 1);
    assert_string_equal(text, "We miss you, there");
    struct kf_conversation got;
    assert_int_equal(kf_store_conversation_find_open(f->st, api, "api", &got, &err), 0);
    assert_string_equal(got.id, cv.id); /* the open conversation, not a new one */
}

static void test_report(void **state)
{
    struct fx *f = *state;
    dormant(f, "rep");
    event(f, dormant(f, "rep-out"), f->noon - 300 * DAY,
          "\"type\":\"attribute\",\"attributes\":{\"marketing_opt_out\":true}");
    struct kf_campaign_run r = run_at(f, f->noon, 0, "win_back");
    kf_campaign_run_release(&r);
    json_t *rep = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_campaign_store_report(f->st, 0, 0, &rep, &err), 0);
    json_t *c0 = json_array_get(json_object_get(rep, "campaigns"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "campaign")), "win_back");
    json_t *counts = json_object_get(c0, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "sent")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "skipped_opt_out")), 1);
    assert_int_equal(json_integer_value(json_object_get(c0, "last_run_at")), f->noon);
    json_decref(rep);
    assert_int_equal(kf_campaign_store_report(f->st, 10, 5, &rep, &err), KF_EINVAL);
}

/* ---- campaigns.yaml ---------------------------------------------------------------- */

static void expect_error(const char *yaml, const char *where, const char *what)
{
    struct kf_campaigns *c = NULL;
    struct kf_err err = {0};
    int rc = kf_campaigns_load_string("c.yaml", yaml, strlen(yaml), &c, &err);
    if (rc != KF_EPARSE || strstr(err.msg, where) == NULL || strstr(err.msg, what) == NULL)
        fail_msg("expected EPARSE '%s' ... '%s', got %d: %s", where, what, rc, err.msg);
    assert_null(c);
}

#define ONE(extra)                                                                                 \
    "campaigns:\n"                                                                                 \
    "  - name: x\n"                                                                                \
    "    trigger: birthday\n"                                                                      \
    "    cooldown_days: 1\n" extra

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_error("settings:\n  timezone: Mars/Olympus\ncampaigns: []\n", "c.yaml:2", "timezone");
    expect_error("settings:\n  quiet_hours: {from: \"25:00\", to: \"09:00\"}\ncampaigns: []\n",
                 "c.yaml:2", "quiet_hours.from");
    expect_error("settings:\n  frequency_cap: {max: 2}\ncampaigns: []\n", "c.yaml:2", "days");
    expect_error("setings: {}\ncampaigns: []\n", "c.yaml:1", "unknown key 'setings'");
    expect_error(ONE("    message: {zh: \"hi {nmae}\"}\n"), "c.yaml:5", "unknown variable");
    expect_error(ONE("    message: {en: hi}\n"), "c.yaml:5", "default_lang");
    expect_error(ONE("    message: {zh: hi}\n    audience: 'rfm.f >>= 3'\n"), "c.yaml:6",
                 "audience");
    expect_error(ONE("    message: {zh: hi}\n    stages: [dormant]\n"), "c.yaml:6", "stages");
    expect_error(ONE("    message: {zh: hi}\n    enabled: maybe\n"), "c.yaml:6", "true or false");
    expect_error(ONE("    message: {zh: hi}\n  - name: x\n    trigger: birthday\n"
                     "    cooldown_days: 1\n    message: {zh: hi}\n"),
                 "c.yaml:6", "earlier campaign");
    expect_error("campaigns:\n  - name: x\n    trigger: cart\n    cooldown_days: 1\n"
                 "    message: {zh: hi}\n",
                 "c.yaml:", "cart");
    expect_error("campaigns:\n  - name: x\n    trigger: lifecycle\n    stages: [sleepy]\n"
                 "    cooldown_days: 1\n    message: {zh: hi}\n",
                 "c.yaml:4", "dormant");
    expect_error("campaigns:\n  - name: x\n    trigger: birthday\n    cooldown_days: 0\n"
                 "    message: {zh: hi}\n",
                 "c.yaml:4", "cooldown_days");
    /* the shipped file loads */
    struct kf_campaigns *c = NULL;
    struct kf_err err = {0};
    if (kf_campaigns_load(KEFU_SRC_ROOT "/bots/demo-shop/campaigns.yaml", &c, &err) != 0)
        fail_msg("demo-shop campaigns.yaml: %s", err.msg);
    assert_true(kf_campaigns_count(c) >= 3);
    json_t *j = kf_campaigns_json(c);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "settings"),
                                                          "timezone")),
                        "Asia/Shanghai");
    json_decref(j);
    kf_campaigns_free(c);
    assert_int_equal(kf_campaigns_load("/nonexistent/campaigns.yaml", &c, &err), KF_ENOTFOUND);
}

static void test_unknown_only(void **state)
{
    struct fx *f = *state;
    struct kf_campaign_run_params p = kf_campaign_default_run_params();
    p.only = "nope";
    struct kf_campaign_run r;
    struct kf_err err = {0};
    assert_int_equal(kf_campaigns_run(f->st, f->c, p, &r, &err), KF_ENOTFOUND);
    kf_campaign_run_release(&r);
    /* a disabled campaign runs when named */
    r = run_at(f, f->noon, 1, "dormant_2");
    assert_int_equal(r.n, 1);
    kf_campaign_run_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_birthday_today_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_win_back_dormant_not_active, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cart_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_opt_out, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_quiet_hours_in_shop_zone, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_frequency_cap_across_campaigns, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_cooldown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_at_same_time, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_language_and_channel, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_only, fx_setup, fx_teardown),
        cmocka_unit_test(test_yaml_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
