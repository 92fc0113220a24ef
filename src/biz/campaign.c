/*
 * campaign.c — the campaign engine of campaign.h: one run at a moment T over
 * the campaigns of campaigns.yaml (loaded by campaign_load.c).
 *
 * Design notes
 *  - Per campaign: candidates page by page from campaign_store.h (an index
 *    per trigger; never every profile), at most max_per_campaign of them per
 *    run. Each candidate's profile is derived at T (kf_profiles_get) and
 *    checked against the trigger's own rule (birthday today in the shop's
 *    zone; lifecycle stage; last cart add inside the window with no order
 *    after it; tag) and the campaign's audience condition (cond.h). Those
 *    that pass are "the audience".
 *  - The audience then meets, in this order: opt-out, cooldown, frequency
 *    cap, quiet hours. The first that holds is the outcome; none → send.
 *    Quiet hours come last, so a deferred customer is one who would get the
 *    message at the next run outside them.
 *  - Outcomes other than a send are logged once per window (the store's
 *    guard): skipped_opt_out and skipped_cooldown once per cooldown, the
 *    others once a day. The candidate queries leave settled customers out,
 *    so frequent runs do not derive the same profiles again.
 *  - A send is claimed first (a guarded "sending" row: none of this campaign
 *    within the cooldown, fewer than the cap across campaigns), then its
 *    message is committed (kf_store_turn_commit: role bot, kind campaign),
 *    then the row becomes sent (or failed). A lost claim means another run
 *    got there first: counted as skipped_cooldown, nothing written.
 *  - Dry run: the same checks; sends are counted in memory (so the cap sees
 *    this run's earlier campaigns) and nothing is written.
 *  - Times: T is UTC ms; the shop's local date and clock are T shifted by
 *    the zone's offset (campaign_load.c: fixed offsets only).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "campaign_def.h"
#include "kefu/buf.h"
#include "kefu/events.h"
#include "kefu/log.h"
#include "kefu/map.h"
#include "kefu/mem.h"
#include "kefu/repo.h"

#define CAMP_PAGE 200

const char *kf_campaign_outcome_name(enum kf_campaign_outcome o)
{
    static const char *const names[KF_CO__COUNT] = {
        [KF_CO_SENT] = KF_CAMPAIGN_SENT,
        [KF_CO_SKIPPED_OPT_OUT] = KF_CAMPAIGN_SKIPPED_OPT_OUT,
        [KF_CO_SKIPPED_COOLDOWN] = KF_CAMPAIGN_SKIPPED_COOLDOWN,
        [KF_CO_SKIPPED_CAP] = KF_CAMPAIGN_SKIPPED_CAP,
        [KF_CO_DEFERRED_QUIET] = KF_CAMPAIGN_DEFERRED_QUIET,
        [KF_CO_FAILED] = KF_CAMPAIGN_FAILED,
    };
    return (unsigned)o < KF_CO__COUNT ? names[o] : "unknown";
}

struct kf_campaign_run_params kf_campaign_default_run_params(void)
{
    return (struct kf_campaign_run_params){.max_per_campaign = 5000, .preview = 5};
}

/* ---- one run's context ------------------------------------------------------ */

struct camp_run {
    struct kf_store *st;
    const struct kf_campaigns *c;
    struct kf_campaign_run_params p;
    long long now;
    int quiet;
    char today[6], leap_extra[6]; /* "MM-DD" in the shop's zone; Feb 29 people on Feb 28 */
    struct kf_map *dry_sends;     /* dry run: customer id → sends this run */
    struct kf_campaign_run *out;
    struct kf_err *err;
};

/* The shop's local date and minute of the day at T. */
static void camp__local(const struct kf_campaigns *c, long long now, struct tm *tm, int *minute)
{
    long long local = now + (long long)c->utc_offset_min * 60000LL;
    time_t secs = (time_t)(local >= 0 ? local / 1000 : (local - 999) / 1000);
    gmtime_r(&secs, tm);
    *minute = tm->tm_hour * 60 + tm->tm_min;
}

static int camp__in_quiet(const struct kf_campaigns *c, int minute)
{
    if (c->quiet_from == c->quiet_to)
        return 0;
    if (c->quiet_from < c->quiet_to)
        return minute >= c->quiet_from && minute < c->quiet_to;
    return minute >= c->quiet_from || minute < c->quiet_to; /* across midnight */
}

static int camp__leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* ---- the trigger's own rule at T --------------------------------------------- */

static long long camp__ms(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(json_object_get(o, path1), path2);
    if (json_is_integer(v))
        return json_integer_value(v);
    return json_is_real(v) ? (long long)json_real_value(v) : 0;
}

/* The profile's lifecycle is one of the campaign's stages. */
static int camp__stage_ok(const struct camp_def *d, json_t *prof)
{
    const char *life = json_string_value(json_object_get(prof, "lifecycle"));
    for (size_t i = 0; life != NULL && i < d->nstages; i++)
        if (strcmp(d->stages[i], life) == 0)
            return 1;
    return 0;
}

static int camp__tag_ok(const struct camp_def *d, json_t *prof)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(prof, "tags"), i, t)
    {
        if (json_is_string(t) && strcmp(json_string_value(t), d->tag) == 0)
            return 1;
    }
    return 0;
}

/* The last cart add lies in [T - within_days, T - after_hours] with no
 * order after it. */
static int camp__cart_ok(const struct camp_run *r, const struct camp_def *d, json_t *prof)
{
    long long cart = camp__ms(prof, "activity", "last_cart_at");
    long long order = camp__ms(prof, "activity", "last_order_at");
    const char *sku =
        json_string_value(json_object_get(json_object_get(prof, "activity"), "last_cart_sku"));
    return cart > 0 && sku != NULL && cart <= r->now - d->after_hours * CAMP_HOUR_MS &&
           cart >= r->now - d->within_days * CAMP_DAY_MS && order < cart;
}

static int camp__birthday_ok(const struct camp_run *r, json_t *prof)
{
    const char *b = json_string_value(json_object_get(prof, "birthday"));
    if (b == NULL || strlen(b) != 10)
        return 0;
    return strcmp(b + 5, r->today) == 0 ||
           (r->leap_extra[0] != '\0' && strcmp(b + 5, r->leap_extra) == 0);
}

static int camp__rule_ok(const struct camp_run *r, const struct camp_def *d, json_t *prof)
{
    int ok = 0;
    switch (d->pick) {
    case KF_PICK_BIRTHDAY:
        ok = camp__birthday_ok(r, prof);
        break;
    case KF_PICK_LIFECYCLE:
        ok = camp__stage_ok(d, prof);
        break;
    case KF_PICK_CART:
        ok = camp__cart_ok(r, d, prof);
        break;
    case KF_PICK_TAG:
        ok = camp__tag_ok(d, prof);
        break;
    }
    return ok && (d->audience == NULL || kf_cond_eval(d->audience, prof) == 1);
}

/* ---- the message --------------------------------------------------------------- */

/* The product's name in lang (name_<lang>), else the sku. */
static void camp__product(struct kf_store *st, const char *sku, const char *lang, char *out,
                          size_t cap)
{
    snprintf(out, cap, "%s", sku ? sku : "");
    json_t *p = NULL;
    struct kf_err ignored = {0};
    if (sku == NULL || kf_repo_product_get(st, sku, &p, &ignored) != KF_OK)
        return;
    char key[16];
    snprintf(key, sizeof key, "name_%s", lang);
    const char *name = json_string_value(json_object_get(p, key));
    if (name == NULL || name[0] == '\0')
        name = json_string_value(json_object_get(p, "name_zh"));
    if (name != NULL && name[0] != '\0')
        snprintf(out, cap, "%s", name);
    json_decref(p);
}

/* The template with {name}, {product} and {coupon} filled in (malloc'd). */
static char *camp__render(const char *tpl, const char *name, const char *product,
                          const char *coupon)
{
    struct kf_buf b;
    kf_buf_init(&b, 4 * KF_CAMPAIGN_TEXT_MAX + 1024);
    int rc = KF_OK;
    for (const char *p = tpl; rc == KF_OK && *p != '\0';) {
        const char *v = NULL;
        size_t skip = 0;
        if (strncmp(p, "{name}", 6) == 0)
            v = name, skip = 6;
        else if (strncmp(p, "{product}", 9) == 0)
            v = product, skip = 9;
        else if (strncmp(p, "{coupon}", 8) == 0)
            v = coupon, skip = 8;
        if (v != NULL) {
            rc = kf_buf_appends(&b, v);
            p += skip;
        } else {
            rc = kf_buf_appendc(&b, *p++);
        }
    }
    if (rc != KF_OK) {
        kf_buf_release(&b);
        return NULL;
    }
    return kf_buf_detach(&b);
}

/* The language to write in: the customer's (customers.lang, else their last
 * conversation's) when the message has it, else the default. */
static const char *camp__lang(const struct kf_campaigns *c, const struct camp_def *d,
                              const struct kf_campaign_facts *f)
{
    for (size_t i = 0; f->lang[0] != '\0' && i < d->message.n; i++)
        if (strcmp(d->message.lang[i], f->lang) == 0)
            return d->message.lang[i];
    return c->default_lang;
}

static char *camp__message(const struct camp_run *r, const struct camp_def *d,
                           const struct kf_campaign_facts *f, json_t *prof, const char *lang)
{
    char product[256];
    const char *sku =
        json_string_value(json_object_get(json_object_get(prof, "activity"), "last_cart_sku"));
    camp__product(r->st, sku, lang, product, sizeof product);
    const char *name = f->name;
    /* a masked name ("王*", as names are stored) is not said to the customer */
    if (name[0] == '\0' || strchr(name, '*') != NULL) {
        name = camp__text(&r->c->name_fallback, lang, r->c->default_lang);
        name = name ? name : "";
    }
    return camp__render(camp__text(&d->message, lang, r->c->default_lang), name, product,
                        d->coupon);
}

/* ---- writing a send ------------------------------------------------------------------- */

static int camp__new_id(char out[KF_ID_LEN + 1], struct kf_err *err)
{
    unsigned char raw[KF_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0)
            return kf_errorf(err, KF_EIO, "getrandom failed");
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return KF_OK;
}

/* The customer's open conversation on channel, or a new one. */
static int camp__conversation(struct kf_store *st, long long customer, const char *channel,
                              const char *lang, struct kf_conversation *cv, struct kf_err *err)
{
    int rc = kf_store_conversation_find_open(st, customer, channel, cv, err);
    if (rc != KF_ENOTFOUND)
        return rc;
    memset(cv, 0, sizeof *cv);
    if ((rc = camp__new_id(cv->id, err)) != KF_OK)
        return rc;
    cv->customer_id = customer;
    snprintf(cv->channel, sizeof cv->channel, "%s", channel);
    snprintf(cv->lang, sizeof cv->lang, "%s", lang);
    snprintf(cv->status, sizeof cv->status, "open");
    cv->created_at = cv->updated_at = kf_time_now_ms();
    return kf_store_conversation_create(st, cv, err);
}

/* Write the message of a claimed send (row id) and settle the row. */
static enum kf_campaign_outcome camp__deliver(struct camp_run *r, const struct camp_def *d,
                                              long long customer, long long id,
                                              const struct kf_campaign_facts *f,
                                              const char *lang, const char *text)
{
    struct kf_err e = {0};
    struct kf_conversation cv;
    const char *channel = f->channel[0] != '\0' ? f->channel : "web";
    char meta[160];
    snprintf(meta, sizeof meta, "{\"campaign\":\"%s\",\"send_id\":%lld}", d->name, id);
    struct kf_message msg = {.role = "bot", .text = text, .lang = lang, .kind = "campaign",
                             .meta_json = meta};
    struct kf_turn_write t = {.msgs = &msg, .n = 1};
    int rc = camp__conversation(r->st, customer, channel, lang, &cv, &e);
    if (rc == KF_OK) {
        t.conversation_id = cv.id;
        rc = kf_store_turn_commit(r->st, &t, &e);
    }
    struct kf_err fe = {0};
    if (rc == KF_OK) {
        kf_campaign_store_finish(r->st, id, KF_CAMPAIGN_SENT, NULL, cv.id, msg.id, &fe);
        return KF_CO_SENT;
    }
    kf_campaign_store_finish(r->st, id, KF_CAMPAIGN_FAILED, e.msg, NULL, 0, &fe);
    return KF_CO_FAILED;
}

/* ---- one candidate ---------------------------------------------------------------------- */

static long long camp__dry_count(const struct camp_run *r, long long customer)
{
    char key[24];
    int n = snprintf(key, sizeof key, "%lld", customer);
    return r->dry_sends ? (long long)(intptr_t)kf_map_get(r->dry_sends, key, (size_t)n) : 0;
}

static void camp__dry_add(struct camp_run *r, long long customer)
{
    char key[24];
    int n = snprintf(key, sizeof key, "%lld", customer);
    long long c = camp__dry_count(r, customer) + 1;
    kf_map_put(r->dry_sends, key, (size_t)n, (void *)(intptr_t)c, NULL);
}

/* Which check holds first for a customer in the audience (KF_CO_SENT: none). */
static enum kf_campaign_outcome camp__check(const struct camp_run *r, const struct camp_def *d,
                                            long long customer,
                                            const struct kf_campaign_facts *f, json_t *prof)
{
    if (f->opt_out)
        return KF_CO_SKIPPED_OPT_OUT;
    long long cooldown = d->cooldown_days * CAMP_DAY_MS;
    if (f->last_sent_at > 0 && f->last_sent_at > r->now - cooldown)
        return KF_CO_SKIPPED_COOLDOWN;
    if (d->pick == KF_PICK_CART && f->last_sent_at >= camp__ms(prof, "activity", "last_cart_at"))
        return KF_CO_SKIPPED_COOLDOWN; /* once per cart */
    if (r->c->cap_max > 0 && f->recent_sends + camp__dry_count(r, customer) >= r->c->cap_max)
        return KF_CO_SKIPPED_CAP;
    return r->quiet ? KF_CO_DEFERRED_QUIET : KF_CO_SENT;
}

static void camp__keep_preview(struct camp_run *r, const struct camp_def *d, long long customer,
                               const char *lang, const char *channel, const char *text)
{
    struct kf_campaign_run *o = r->out;
    if (o->npreview >= r->p.preview)
        return;
    struct kf_campaign_preview *pv = &o->preview[o->npreview];
    if ((pv->text = kf_strdup(text)) == NULL)
        return;
    snprintf(pv->campaign, sizeof pv->campaign, "%s", d->name);
    pv->customer_id = customer;
    snprintf(pv->lang, sizeof pv->lang, "%s", lang);
    snprintf(pv->channel, sizeof pv->channel, "%s", channel[0] ? channel : "web");
    o->npreview++;
}

/* Log a reason for not sending (once per window; see the design notes). */
static int camp__log_skip(struct camp_run *r, const struct camp_def *d, long long customer,
                          enum kf_campaign_outcome o)
{
    int settled = o == KF_CO_SKIPPED_OPT_OUT || o == KF_CO_SKIPPED_COOLDOWN;
    struct kf_campaign_send s = {
        .campaign = d->name,
        .customer_id = customer,
        .run_at = r->now,
        .status = kf_campaign_outcome_name(o),
        .since = settled ? r->now - d->cooldown_days * CAMP_DAY_MS : r->now - CAMP_DAY_MS,
    };
    long long id;
    return kf_campaign_store_record(r->st, &s, &id, r->err);
}

/* Claim, write and settle a send; the outcome. */
static int camp__send(struct camp_run *r, const struct camp_def *d, long long customer,
                      const struct kf_campaign_facts *f, json_t *prof,
                      enum kf_campaign_outcome *o)
{
    const char *lang = camp__lang(r->c, d, f);
    char *text = camp__message(r, d, f, prof, lang);
    if (text == NULL)
        return kf_errorf(r->err, KF_ENOMEM, "out of memory");
    int rc = KF_OK;
    if (r->p.dry_run) {
        camp__dry_add(r, customer);
        *o = KF_CO_SENT;
    } else {
        struct kf_campaign_send s = {
            .campaign = d->name,
            .customer_id = customer,
            .run_at = r->now,
            .status = KF_CAMPAIGN_SENDING,
            .since = r->now - d->cooldown_days * CAMP_DAY_MS,
            .cap_since = r->now - r->c->cap_days * CAMP_DAY_MS,
            .cap_max = (int)r->c->cap_max,
        };
        long long id = 0;
        rc = kf_campaign_store_record(r->st, &s, &id, r->err);
        if (rc == KF_OK)
            *o = id == 0 ? KF_CO_SKIPPED_COOLDOWN
                         : camp__deliver(r, d, customer, id, f, lang, text);
    }
    if (rc == KF_OK && *o == KF_CO_SENT)
        camp__keep_preview(r, d, customer, lang, f->channel, text);
    kf_free(text);
    return rc;
}

static int camp__candidate(struct camp_run *r, const struct camp_def *d, long long customer,
                           struct kf_campaign_tally *t)
{
    json_t *prof = NULL;
    struct kf_err e = {0};
    int rc = kf_profiles_get(r->st, customer, r->now, &prof, &e);
    if (rc == KF_ENOTFOUND)
        return KF_OK; /* deleted since the query */
    if (rc != KF_OK)
        return kf_errorf(r->err, rc, "%s", e.msg);
    if (!camp__rule_ok(r, d, prof)) {
        json_decref(prof);
        return KF_OK;
    }
    t->audience++;
    struct kf_campaign_facts f;
    rc = kf_campaign_store_facts(r->st, customer, d->name,
                                 r->now - r->c->cap_days * CAMP_DAY_MS, &f, r->err);
    enum kf_campaign_outcome o = KF_CO_SENT;
    if (rc == KF_OK)
        o = camp__check(r, d, customer, &f, prof);
    if (rc == KF_OK && o == KF_CO_SENT)
        rc = camp__send(r, d, customer, &f, prof, &o);
    else if (rc == KF_OK && !r->p.dry_run)
        rc = camp__log_skip(r, d, customer, o);
    if (rc == KF_OK)
        t->counts[o]++;
    json_decref(prof);
    return rc;
}

/* ---- one campaign ------------------------------------------------------------------------ */

/* Page through one query's candidates; *budget counts down. */
static int camp__query_all(struct camp_run *r, const struct camp_def *d,
                           struct kf_campaign_query *q, long *budget,
                           struct kf_campaign_tally *t)
{
    long long ids[CAMP_PAGE];
    int rc = KF_OK;
    while (rc == KF_OK && *budget > 0) {
        size_t n = 0;
        q->limit = *budget < CAMP_PAGE ? (int)*budget : CAMP_PAGE;
        rc = kf_campaign_store_candidates(r->st, q, ids, &n, r->err);
        for (size_t i = 0; rc == KF_OK && i < n; i++) {
            t->candidates++;
            (*budget)--;
            rc = camp__candidate(r, d, ids[i], t);
        }
        if (n == 0)
            break;
        q->after_id = ids[n - 1];
    }
    return rc;
}

static int camp__one(struct camp_run *r, const struct camp_def *d, struct kf_campaign_tally *t)
{
    snprintf(t->campaign, sizeof t->campaign, "%s", d->name);
    struct kf_campaign_query q = {
        .pick = d->pick,
        .campaign = d->name,
        .settled_since = r->now - d->cooldown_days * CAMP_DAY_MS,
        .cap_since = r->now - CAMP_DAY_MS,
    };
    long budget = r->p.max_per_campaign > 0 ? r->p.max_per_campaign : 5000;
    switch (d->pick) {
    case KF_PICK_BIRTHDAY:
        q.mmdd[0] = r->today;
        q.mmdd[1] = r->leap_extra[0] ? r->leap_extra : NULL;
        return camp__query_all(r, d, &q, &budget, t);
    case KF_PICK_LIFECYCLE: {
        int rc = KF_OK;
        for (size_t i = 0; rc == KF_OK && i < d->nstages; i++) {
            q.stage = d->stages[i];
            q.after_id = 0;
            rc = camp__query_all(r, d, &q, &budget, t);
        }
        return rc;
    }
    case KF_PICK_CART:
        q.from = r->now - d->within_days * CAMP_DAY_MS;
        q.to = r->now - d->after_hours * CAMP_HOUR_MS + 1;
        return camp__query_all(r, d, &q, &budget, t);
    case KF_PICK_TAG:
        q.tag = d->tag;
        return camp__query_all(r, d, &q, &budget, t);
    }
    return KF_OK;
}

/* ---- the run -------------------------------------------------------------------------------- */

static int camp__prepare(struct camp_run *r, struct kf_campaign_run *out)
{
    struct tm tm;
    int minute;
    camp__local(r->c, r->now, &tm, &minute);
    r->quiet = camp__in_quiet(r->c, minute);
    snprintf(r->today, sizeof r->today, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
    if (tm.tm_mon == 1 && tm.tm_mday == 28 && !camp__leap(tm.tm_year + 1900))
        snprintf(r->leap_extra, sizeof r->leap_extra, "02-29");
    out->now_ms = r->now;
    out->dry_run = r->p.dry_run;
    out->quiet = r->quiet;
    out->tallies = kf_calloc(r->c->n ? r->c->n : 1, sizeof *out->tallies);
    out->preview = kf_calloc(r->p.preview ? r->p.preview : 1, sizeof *out->preview);
    if (r->p.dry_run)
        r->dry_sends = kf_map_new(64);
    if (out->tallies == NULL || out->preview == NULL || (r->p.dry_run && r->dry_sends == NULL))
        return kf_errorf(r->err, KF_ENOMEM, "out of memory");
    return KF_OK;
}

int kf_campaigns_run(struct kf_store *st, const struct kf_campaigns *c,
                     struct kf_campaign_run_params p, struct kf_campaign_run *out,
                     struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    struct camp_run r = {.st = st, .c = c, .p = p, .out = out, .err = err};
    r.now = p.now_ms > 0 ? p.now_ms : kf_time_now_ms();
    if (p.only != NULL) {
        size_t i = 0;
        while (i < c->n && strcmp(c->v[i].name, p.only) != 0)
            i++;
        if (i == c->n)
            return kf_errorf(err, KF_ENOTFOUND, "campaign '%.64s' is not in campaigns.yaml",
                             p.only);
    }
    int rc = camp__prepare(&r, out);
    for (size_t i = 0; rc == KF_OK && i < c->n; i++) {
        const struct camp_def *d = &c->v[i];
        if (p.only != NULL ? strcmp(d->name, p.only) != 0 : !d->enabled)
            continue;
        rc = camp__one(&r, d, &out->tallies[out->n++]);
    }
    kf_map_free(r.dry_sends);
    return rc;
}

void kf_campaign_run_release(struct kf_campaign_run *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->npreview; i++)
        kf_free(r->preview[i].text);
    kf_free(r->preview);
    kf_free(r->tallies);
    memset(r, 0, sizeof *r);
}

json_t *kf_campaign_run_json(const struct kf_campaign_run *r)
{
    json_t *list = json_array(), *pv = json_array();
    for (size_t i = 0; list != NULL && i < r->n; i++) {
        const struct kf_campaign_tally *t = &r->tallies[i];
        json_t *counts = json_object();
        for (int o = 0; counts != NULL && o < KF_CO__COUNT; o++)
            json_object_set_new(counts, kf_campaign_outcome_name((enum kf_campaign_outcome)o),
                                json_integer(t->counts[o]));
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:o}", "campaign", t->campaign,
                                              "candidates", (json_int_t)t->candidates,
                                              "audience", (json_int_t)t->audience, "counts",
                                              counts));
    }
    for (size_t i = 0; pv != NULL && i < r->npreview; i++) {
        const struct kf_campaign_preview *m = &r->preview[i];
        json_array_append_new(pv, json_pack("{s:s, s:I, s:s, s:s, s:s}", "campaign",
                                            m->campaign, "customer_id",
                                            (json_int_t)m->customer_id, "lang", m->lang,
                                            "channel", m->channel, "text", m->text));
    }
    return json_pack("{s:I, s:b, s:b, s:o, s:o}", "now", (json_int_t)r->now_ms, "dry_run",
                     r->dry_run, "quiet_hours", r->quiet, "campaigns", list, "preview", pv);
}

/* ---- opt-out ------------------------------------------------------------------------------------ */

int kf_campaign_opt_out(struct kf_store *st, long long customer_id, int opt_out,
                        long long now_ms, struct kf_err *err)
{
    long long now = now_ms > 0 ? now_ms : kf_time_now_ms();
    char id[64];
    snprintf(id, sizeof id, "opt-out:%lld:%lld", customer_id, now);
    json_t *obj = json_pack("{s:s, s:s, s:I, s:I, s:{s:b}}", "event_id", id, "type", "attribute",
                            "customer_id", (json_int_t)customer_id, "at", (json_int_t)now,
                            "attributes", "marketing_opt_out", opt_out);
    struct kf_arena *a = kf_arena_new(4096, 1 << 20);
    if (obj == NULL || a == NULL) {
        json_decref(obj);
        kf_arena_free(a);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    struct kf_event ev;
    memset(&ev, 0, sizeof ev);
    enum kf_event_status status = KF_EVENT_REJECTED;
    struct kf_err one = {0};
    struct kf_campaign_facts f;
    int rc = kf_campaign_store_facts(st, customer_id, "opt-out", 0, &f, err);
    if (rc == KF_OK)
        rc = kf_event_parse(obj, now, a, &ev, err);
    if (rc == KF_OK)
        rc = kf_events_ingest(st, &ev, 1, now, &status, &one, NULL, err);
    if (rc == KF_OK && status == KF_EVENT_REJECTED)
        rc = kf_errorf(err, one.code != KF_OK ? one.code : KF_EINVAL, "%s", one.msg);
    kf_event_clear(&ev);
    kf_arena_free(a);
    json_decref(obj);
    return rc;
}
