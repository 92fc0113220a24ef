/*
 * campaign_load.c — reads the bot's campaigns.yaml into struct
 * kf_campaigns (campaign_def.h) and describes it as JSON.
 *
 * Format (docs/bot-format.md "Campaigns"):
 *
 *   settings:
 *     timezone: Asia/Shanghai        # or a UTC offset "+08:00"
 *     default_lang: zh
 *     quiet_hours: {from: "21:00", to: "09:00"}
 *     frequency_cap: {max: 2, days: 7}
 *     name_fallback: {zh: "亲", en: "there"}
 *   campaigns:
 *     - name: birthday
 *       enabled: true
 *       trigger: birthday | lifecycle | cart | tag
 *       stages: [dormant]              # lifecycle
 *       tag: high_value                # tag
 *       cart: {after_hours: 4, within_days: 3}   # cart
 *       audience: 'rfm.f >= 1'         # cond.h over the derived profile
 *       cooldown_days: 365
 *       coupon: BDAY-88
 *       message: {zh: "...{name}...", en: "..."}
 *
 * Every mistake is KF_EPARSE "path:line: key: what"; unknown keys are
 * mistakes too (a typo must not silently drop a rule). Time zones: a UTC
 * offset, or one of the zone names in camp__zones (zones without daylight
 * saving time, so a fixed offset is exact).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_def.h"
#include "kefu/mem.h"
#include "kefu/yaml.h"

struct camp_zone {
    const char *name;
    int offset_min;
};

static const struct camp_zone camp__zones[] = {
    {"UTC", 0},
    {"Etc/UTC", 0},
    {"Asia/Shanghai", 480},
    {"Asia/Chongqing", 480},
    {"Asia/Hong_Kong", 480},
    {"Asia/Macau", 480},
    {"Asia/Taipei", 480},
    {"Asia/Singapore", 480},
    {"Asia/Kuala_Lumpur", 480},
    {"Asia/Manila", 480},
    {"Asia/Tokyo", 540},
    {"Asia/Seoul", 540},
    {"Asia/Bangkok", 420},
    {"Asia/Jakarta", 420},
    {"Asia/Ho_Chi_Minh", 420},
    {"Asia/Kolkata", 330},
    {"Asia/Dubai", 240},
};

const char *camp__text(const struct camp_text *t, const char *lang, const char *def_lang)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *want = pass == 0 ? lang : def_lang;
        for (size_t i = 0; want != NULL && i < t->n; i++)
            if (strcmp(t->lang[i], want) == 0)
                return t->text[i];
    }
    return t->n > 0 ? t->text[0] : NULL;
}

/* ---- small readers ------------------------------------------------------- */

struct camp_ctx {
    const struct kf_ydoc *doc;
    struct kf_err *err;
};

/* A reader's error (yaml.h) as KF_EPARSE, keeping its "path:line: ..." text. */
static int cl__as_parse(struct camp_ctx *x)
{
    char msg[sizeof x->err->msg];
    memcpy(msg, x->err->msg, sizeof msg);
    return kf_errorf(x->err, KF_EPARSE, "%s", msg);
}

static int cl__fail(struct camp_ctx *x, const struct kf_ynode *at, const char *key,
                    const char *what)
{
    return kf_ydoc_errorf(x->doc, at, x->err, KF_EPARSE, "%s: %s", key, what);
}

/* Fail on a key of map not in allowed (NULL-terminated). */
static int cl__keys(struct camp_ctx *x, const struct kf_ynode *map, const char *where,
                    const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, map->keys[i]->str) == 0;
        if (!ok)
            return kf_ydoc_errorf(x->doc, map->keys[i], x->err, KF_EPARSE,
                                  "%s: unknown key '%.64s'", where, map->keys[i]->str);
    }
    return KF_OK;
}

static int cl__map(struct camp_ctx *x, const struct kf_ynode *n, const char *key)
{
    return n->type == KF_Y_MAP ? KF_OK : cl__fail(x, n, key, "expected a map");
}

/* A scalar string of 1..max-1 bytes copied into out. */
static int cl__str(struct camp_ctx *x, const struct kf_ynode *n, const char *key, char *out,
                   size_t max)
{
    const char *s;
    int rc = kf_ynode_string(x->doc, n, key, &s, x->err);
    if (rc != KF_OK)
        return cl__as_parse(x);
    if (s[0] == '\0' || strlen(s) >= max)
        return kf_ydoc_errorf(x->doc, n, x->err, KF_EPARSE, "%s: expected 1 to %zu bytes", key,
                              max - 1);
    memcpy(out, s, strlen(s) + 1);
    return KF_OK;
}

static int cl__long(struct camp_ctx *x, const struct kf_ynode *n, const char *key, long min,
                    long max, long *out)
{
    int rc = kf_ynode_long(x->doc, n, key, min, max, out, x->err);
    return rc == KF_OK ? KF_OK : cl__as_parse(x);
}

static int cl__bool(struct camp_ctx *x, const struct kf_ynode *n, const char *key, int *out)
{
    if (n->type == KF_Y_SCALAR && n->plain) {
        if (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0) {
            *out = 1;
            return KF_OK;
        }
        if (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0) {
            *out = 0;
            return KF_OK;
        }
    }
    return cl__fail(x, n, key, "expected true or false");
}

/* [a-z0-9_-]+ */
static int cl__ident(const char *s)
{
    return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

/* "HH:MM" → minutes of the day. */
static int cl__clock(struct camp_ctx *x, const struct kf_ynode *n, const char *key, int *out)
{
    char s[8];
    int rc = cl__str(x, n, key, s, sizeof s);
    if (rc != KF_OK)
        return rc;
    if (strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5)
        return cl__fail(x, n, key, "expected a time of day HH:MM");
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return cl__fail(x, n, key, "expected a time of day HH:MM (00:00 to 23:59)");
    *out = h * 60 + m;
    return KF_OK;
}

static int cl__timezone(struct camp_ctx *x, const struct kf_ynode *n, struct kf_campaigns *c)
{
    int rc = cl__str(x, n, "settings.timezone", c->timezone, sizeof c->timezone);
    if (rc != KF_OK)
        return rc;
    const char *s = c->timezone;
    if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':' &&
        strspn(s + 1, "0123456789:") == 5) {
        int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
        if (h <= 14 && m <= 59) {
            c->utc_offset_min = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
            return KF_OK;
        }
    }
    for (size_t i = 0; i < sizeof camp__zones / sizeof camp__zones[0]; i++)
        if (strcmp(camp__zones[i].name, s) == 0) {
            c->utc_offset_min = camp__zones[i].offset_min;
            return KF_OK;
        }
    return cl__fail(x, n, "settings.timezone",
                    "expected a UTC offset like \"+08:00\" or a zone without daylight saving "
                    "time (Asia/Shanghai, Asia/Tokyo, UTC, ...)");
}

/* {lang: text, ...}; each text at most KF_CAMPAIGN_TEXT_MAX bytes; with
 * vars, {x} placeholders must be one of them. */
static int cl__texts(struct camp_ctx *x, const struct kf_ynode *n, const char *key,
                     struct camp_text *t, const char *const *vars)
{
    int rc = cl__map(x, n, key);
    if (rc != KF_OK)
        return rc;
    if (n->n == 0 || n->n > CAMP_LANGS)
        return cl__fail(x, n, key, "expected 1 to 4 languages");
    for (size_t i = 0; i < n->n; i++) {
        const char *lang = n->keys[i]->str;
        if (strlen(lang) < 2 || strlen(lang) > 7 || !cl__ident(lang))
            return kf_ydoc_errorf(x->doc, n->keys[i], x->err, KF_EPARSE,
                                  "%s: '%.16s' is not a language code (zh, en, ...)", key, lang);
        const char *s;
        if ((rc = kf_ynode_string(x->doc, n->items[i], key, &s, x->err)) != KF_OK)
            return cl__as_parse(x);
        if (s[0] == '\0' || strlen(s) > KF_CAMPAIGN_TEXT_MAX)
            return kf_ydoc_errorf(x->doc, n->items[i], x->err, KF_EPARSE,
                                  "%s.%s: expected 1 to %d bytes", key, lang,
                                  KF_CAMPAIGN_TEXT_MAX);
        for (const char *p = strchr(s, '{'); vars != NULL && p != NULL; p = strchr(p + 1, '{')) {
            size_t len = strcspn(p + 1, "}");
            int known = 0;
            for (const char *const *v = vars; *v != NULL && !known; v++)
                known = p[1 + len] == '}' && strlen(*v) == len && memcmp(*v, p + 1, len) == 0;
            if (!known)
                return kf_ydoc_errorf(x->doc, n->items[i], x->err, KF_EPARSE,
                                      "%s.%s: unknown variable '{%.*s' (use {name}, {product}, "
                                      "{coupon})",
                                      key, lang, (int)(len > 20 ? 20 : len + 1), p + 1);
        }
        snprintf(t->lang[t->n], sizeof t->lang[0], "%s", lang);
        if ((t->text[t->n] = kf_strdup(s)) == NULL)
            return kf_errorf(x->err, KF_ENOMEM, "out of memory");
        t->n++;
    }
    return KF_OK;
}

static void cl__texts_free(struct camp_text *t)
{
    for (size_t i = 0; i < t->n; i++)
        kf_free(t->text[i]);
    t->n = 0;
}

/* ---- settings ------------------------------------------------------------- */

static int cl__settings(struct camp_ctx *x, const struct kf_ynode *s, struct kf_campaigns *c)
{
    static const char *const keys[] = {"timezone",      "default_lang",  "quiet_hours",
                                       "frequency_cap", "name_fallback", NULL};
    int rc = cl__map(x, s, "settings");
    if (rc == KF_OK)
        rc = cl__keys(x, s, "settings", keys);
    const struct kf_ynode *n;
    if (rc == KF_OK && (n = kf_ynode_get(s, "timezone")) != NULL)
        rc = cl__timezone(x, n, c);
    if (rc == KF_OK && (n = kf_ynode_get(s, "default_lang")) != NULL)
        rc = cl__str(x, n, "settings.default_lang", c->default_lang, sizeof c->default_lang);
    if (rc == KF_OK && (n = kf_ynode_get(s, "quiet_hours")) != NULL) {
        static const char *const qk[] = {"from", "to", NULL};
        const struct kf_ynode *f = kf_ynode_get(n, "from"), *t = kf_ynode_get(n, "to");
        rc = cl__map(x, n, "settings.quiet_hours");
        if (rc == KF_OK)
            rc = cl__keys(x, n, "settings.quiet_hours", qk);
        if (rc == KF_OK && (f == NULL || t == NULL))
            rc = cl__fail(x, n, "settings.quiet_hours", "expected from and to (HH:MM)");
        if (rc == KF_OK)
            rc = cl__clock(x, f, "settings.quiet_hours.from", &c->quiet_from);
        if (rc == KF_OK)
            rc = cl__clock(x, t, "settings.quiet_hours.to", &c->quiet_to);
    }
    if (rc == KF_OK && (n = kf_ynode_get(s, "frequency_cap")) != NULL) {
        static const char *const fk[] = {"max", "days", NULL};
        const struct kf_ynode *m = kf_ynode_get(n, "max"), *d = kf_ynode_get(n, "days");
        rc = cl__map(x, n, "settings.frequency_cap");
        if (rc == KF_OK)
            rc = cl__keys(x, n, "settings.frequency_cap", fk);
        if (rc == KF_OK && (m == NULL || d == NULL))
            rc = cl__fail(x, n, "settings.frequency_cap", "expected max and days");
        if (rc == KF_OK)
            rc = cl__long(x, m, "settings.frequency_cap.max", 0, 100, &c->cap_max);
        if (rc == KF_OK)
            rc = cl__long(x, d, "settings.frequency_cap.days", 1, 365, &c->cap_days);
    }
    if (rc == KF_OK && (n = kf_ynode_get(s, "name_fallback")) != NULL)
        rc = cl__texts(x, n, "settings.name_fallback", &c->name_fallback, NULL);
    return rc;
}

/* ---- one campaign ---------------------------------------------------------- */

static int cl__trigger(struct camp_ctx *x, const struct kf_ynode *m, struct camp_def *d)
{
    static const char *const names[] = {[KF_PICK_BIRTHDAY] = "birthday",
                                        [KF_PICK_LIFECYCLE] = "lifecycle",
                                        [KF_PICK_CART] = "cart",
                                        [KF_PICK_TAG] = "tag"};
    const struct kf_ynode *n = kf_ynode_get(m, "trigger");
    char t[16];
    if (n == NULL)
        return cl__fail(x, m, "trigger", "required (birthday, lifecycle, cart or tag)");
    int rc = cl__str(x, n, "trigger", t, sizeof t);
    if (rc != KF_OK)
        return rc;
    size_t k = 0;
    while (k < 4 && strcmp(names[k], t) != 0)
        k++;
    if (k == 4)
        return cl__fail(x, n, "trigger", "expected birthday, lifecycle, cart or tag");
    d->pick = (enum kf_campaign_pick)k;
    /* each trigger's own settings, and no other trigger's */
    const struct kf_ynode *st = kf_ynode_get(m, "stages"), *tag = kf_ynode_get(m, "tag"),
                          *cart = kf_ynode_get(m, "cart");
    if ((st != NULL) != (d->pick == KF_PICK_LIFECYCLE))
        return cl__fail(x, st ? st : n, "stages", "goes with trigger: lifecycle (and only then)");
    if ((tag != NULL) != (d->pick == KF_PICK_TAG))
        return cl__fail(x, tag ? tag : n, "tag", "goes with trigger: tag (and only then)");
    if ((cart != NULL) != (d->pick == KF_PICK_CART))
        return cl__fail(x, cart ? cart : n, "cart", "goes with trigger: cart (and only then)");
    if (st != NULL) {
        static const char *const stages[] = {"new", "active", "dormant", "churned"};
        if (st->type != KF_Y_SEQ || st->n == 0 || st->n > CAMP_STAGES)
            return cl__fail(x, st, "stages", "expected a list of 1 to 4 lifecycle stages");
        for (size_t i = 0; i < st->n; i++) {
            if ((rc = cl__str(x, st->items[i], "stages", d->stages[i], sizeof d->stages[0])))
                return rc;
            int ok = 0;
            for (size_t j = 0; j < 4 && !ok; j++)
                ok = strcmp(stages[j], d->stages[i]) == 0;
            if (!ok)
                return cl__fail(x, st->items[i], "stages",
                                "expected new, active, dormant or churned");
        }
        d->nstages = st->n;
    }
    if (tag != NULL)
        return cl__str(x, tag, "tag", d->tag, sizeof d->tag);
    if (cart != NULL) {
        static const char *const ck[] = {"after_hours", "within_days", NULL};
        const struct kf_ynode *a = kf_ynode_get(cart, "after_hours"),
                              *w = kf_ynode_get(cart, "within_days");
        if ((rc = cl__map(x, cart, "cart")) != KF_OK || (rc = cl__keys(x, cart, "cart", ck)))
            return rc;
        if (a == NULL || w == NULL)
            return cl__fail(x, cart, "cart", "expected after_hours and within_days");
        if ((rc = cl__long(x, a, "cart.after_hours", 1, 720, &d->after_hours)) != KF_OK ||
            (rc = cl__long(x, w, "cart.within_days", 1, 90, &d->within_days)) != KF_OK)
            return rc;
        if (d->within_days * 24 <= d->after_hours)
            return cl__fail(x, cart, "cart", "within_days must reach past after_hours");
    }
    return KF_OK;
}

static int cl__campaign(struct camp_ctx *x, const struct kf_ynode *m, struct camp_def *d)
{
    static const char *const keys[] = {"name",     "enabled",       "trigger", "stages",
                                       "tag",      "cart",          "audience", "cooldown_days",
                                       "coupon",   "message",       NULL};
    static const char *const vars[] = {"name", "product", "coupon", NULL};
    d->line = m->line;
    d->enabled = 1;
    int rc = cl__map(x, m, "campaigns[]");
    if (rc == KF_OK)
        rc = cl__keys(x, m, "campaign", keys);
    const struct kf_ynode *n = rc == KF_OK ? kf_ynode_get(m, "name") : NULL;
    if (rc == KF_OK && n == NULL)
        rc = cl__fail(x, m, "name", "required");
    if (rc == KF_OK)
        rc = cl__str(x, n, "name", d->name, sizeof d->name);
    if (rc == KF_OK && !cl__ident(d->name))
        rc = cl__fail(x, n, "name", "use lowercase letters, digits, _ and -");
    if (rc == KF_OK && (n = kf_ynode_get(m, "enabled")) != NULL)
        rc = cl__bool(x, n, "enabled", &d->enabled);
    if (rc == KF_OK)
        rc = cl__trigger(x, m, d);
    if (rc == KF_OK && (n = kf_ynode_get(m, "cooldown_days")) == NULL)
        rc = cl__fail(x, m, "cooldown_days", "required (how long before this campaign may "
                                             "reach the same customer again)");
    if (rc == KF_OK)
        rc = cl__long(x, n, "cooldown_days", 1, 3660, &d->cooldown_days);
    if (rc == KF_OK && (n = kf_ynode_get(m, "coupon")) != NULL)
        rc = cl__str(x, n, "coupon", d->coupon, sizeof d->coupon);
    if (rc == KF_OK && (n = kf_ynode_get(m, "audience")) != NULL) {
        const char *s;
        struct kf_err cerr = {0};
        if ((rc = kf_ynode_string(x->doc, n, "audience", &s, x->err)) != KF_OK)
            rc = cl__as_parse(x);
        else if (kf_cond_parse(s, &d->audience, &cerr) != KF_OK)
            rc = kf_ydoc_errorf(x->doc, n, x->err, KF_EPARSE, "audience: %s", cerr.msg);
        else if ((d->audience_text = kf_strdup(s)) == NULL)
            rc = kf_errorf(x->err, KF_ENOMEM, "out of memory");
    }
    if (rc == KF_OK && (n = kf_ynode_get(m, "message")) == NULL)
        rc = cl__fail(x, m, "message", "required ({zh: ..., en: ...})");
    if (rc == KF_OK)
        rc = cl__texts(x, n, "message", &d->message, vars);
    return rc;
}

/* ---- the file -------------------------------------------------------------------- */

static void cl__defaults(struct kf_campaigns *c)
{
    snprintf(c->timezone, sizeof c->timezone, "+08:00");
    c->utc_offset_min = 480;
    snprintf(c->default_lang, sizeof c->default_lang, "zh");
    c->quiet_from = c->quiet_to = 0;
    c->cap_max = 0;
    c->cap_days = 7;
}

/* Does t have a text in lang? */
static int cl__has_lang(const struct camp_text *t, const char *lang)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->lang[i], lang) == 0)
            return 1;
    return 0;
}

static int cl__doc(struct camp_ctx *x, struct kf_campaigns *c)
{
    static const char *const keys[] = {"settings", "campaigns", NULL};
    const struct kf_ynode *root = x->doc->root;
    if (root == NULL || root->type != KF_Y_MAP)
        return kf_errorf(x->err, KF_EPARSE, "%s:1: expected a map with settings and campaigns",
                         x->doc->path);
    int rc = cl__keys(x, root, "campaigns.yaml", keys);
    const struct kf_ynode *n;
    if (rc == KF_OK && (n = kf_ynode_get(root, "settings")) != NULL)
        rc = cl__settings(x, n, c);
    const struct kf_ynode *list = kf_ynode_get(root, "campaigns");
    if (rc == KF_OK && (list == NULL || list->type != KF_Y_SEQ || list->n > KF_CAMPAIGNS_MAX))
        return cl__fail(x, list ? list : root, "campaigns", "expected a list of at most 32");
    if (rc == KF_OK && list->n > 0 && (c->v = kf_calloc(list->n, sizeof *c->v)) == NULL)
        return kf_errorf(x->err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == KF_OK && i < list->n; i++) {
        struct camp_def *d = &c->v[c->n++];
        rc = cl__campaign(x, list->items[i], d);
        if (rc == KF_OK && !cl__has_lang(&d->message, c->default_lang))
            rc = cl__fail(x, kf_ynode_get(list->items[i], "message"), "message",
                          "needs a text in settings.default_lang");
        for (size_t j = 0; rc == KF_OK && j + 1 < c->n; j++)
            if (strcmp(c->v[j].name, d->name) == 0)
                rc = cl__fail(x, list->items[i], "name", "used by an earlier campaign");
    }
    return rc;
}

static int cl__finish(struct kf_ydoc *doc, struct kf_campaigns **out, struct kf_err *err)
{
    struct kf_campaigns *c = kf_calloc(1, sizeof *c);
    if (c == NULL) {
        kf_ydoc_free(doc);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    cl__defaults(c);
    struct camp_ctx x = {doc, err};
    int rc = cl__doc(&x, c);
    kf_ydoc_free(doc);
    if (rc != KF_OK) {
        kf_campaigns_free(c);
        return rc;
    }
    *out = c;
    return KF_OK;
}

int kf_campaigns_load(const char *path, struct kf_campaigns **out, struct kf_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return kf_errorf(err, KF_ENOTFOUND, "%s: no campaigns file", path);
    fclose(f);
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc == KF_ENOMEM ? rc : cl__as_parse(&(struct camp_ctx){NULL, err});
    return cl__finish(doc, out, err);
}

int kf_campaigns_load_string(const char *name, const char *text, size_t len,
                             struct kf_campaigns **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_ydoc *doc = NULL;
    int rc = kf_ydoc_load_string(name, text, len, &doc, err);
    if (rc != KF_OK)
        return rc == KF_ENOMEM ? rc : cl__as_parse(&(struct camp_ctx){NULL, err});
    return cl__finish(doc, out, err);
}

void kf_campaigns_free(struct kf_campaigns *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        kf_cond_free(c->v[i].audience);
        kf_free(c->v[i].audience_text);
        cl__texts_free(&c->v[i].message);
    }
    cl__texts_free(&c->name_fallback);
    kf_free(c->v);
    kf_free(c);
}

size_t kf_campaigns_count(const struct kf_campaigns *c)
{
    return c ? c->n : 0;
}

/* ---- description ------------------------------------------------------------------ */

static json_t *cl__texts_json(const struct camp_text *t)
{
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < t->n; i++)
        json_object_set_new(o, t->lang[i], json_string(t->text[i]));
    return o;
}

static const char *cl__clock_text(int min, char buf[6])
{
    snprintf(buf, 6, "%02d:%02d", (min / 60) % 24, min % 60);
    return buf;
}

static json_t *cl__campaign_json(const struct camp_def *d)
{
    static const char *const picks[] = {"birthday", "lifecycle", "cart", "tag"};
    json_t *o = json_pack("{s:s, s:b, s:s, s:I, s:o}", "name", d->name, "enabled", d->enabled,
                          "trigger", picks[d->pick], "cooldown_days", (json_int_t)d->cooldown_days,
                          "message", cl__texts_json(&d->message));
    if (o == NULL)
        return NULL;
    if (d->pick == KF_PICK_LIFECYCLE) {
        json_t *a = json_array();
        for (size_t i = 0; i < d->nstages; i++)
            json_array_append_new(a, json_string(d->stages[i]));
        json_object_set_new(o, "stages", a);
    }
    if (d->pick == KF_PICK_TAG)
        json_object_set_new(o, "tag", json_string(d->tag));
    if (d->pick == KF_PICK_CART)
        json_object_set_new(o, "cart", json_pack("{s:I, s:I}", "after_hours",
                                                 (json_int_t)d->after_hours, "within_days",
                                                 (json_int_t)d->within_days));
    if (d->audience_text != NULL)
        json_object_set_new(o, "audience", json_string(d->audience_text));
    if (d->coupon[0] != '\0')
        json_object_set_new(o, "coupon", json_string(d->coupon));
    return o;
}

json_t *kf_campaigns_json(const struct kf_campaigns *c)
{
    char from[6], to[6];
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < c->n; i++)
        json_array_append_new(list, cl__campaign_json(&c->v[i]));
    json_t *quiet = c->quiet_from == c->quiet_to
                        ? json_null()
                        : json_pack("{s:s, s:s}", "from", cl__clock_text(c->quiet_from, from),
                                    "to", cl__clock_text(c->quiet_to, to));
    json_t *cap = c->cap_max == 0 ? json_null()
                                  : json_pack("{s:I, s:I}", "max", (json_int_t)c->cap_max,
                                              "days", (json_int_t)c->cap_days);
    return json_pack("{s:{s:s, s:i, s:s, s:o, s:o}, s:o}", "settings", "timezone", c->timezone,
                     "utc_offset_min", c->utc_offset_min, "default_lang", c->default_lang,
                     "quiet_hours", quiet, "frequency_cap", cap, "campaigns", list);
}
