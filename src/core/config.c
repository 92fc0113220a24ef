/*
 * config.c — table-driven settings (see config.h).
 *
 * One table lists every key with its type, bounds and place in struct
 * kf_config; the file, environment and flag paths all end in config__apply,
 * so validation is written once.
 */
#include "kefu/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/yaml.h"

/* CFG_LIST: comma-separated words from `enums`; CFG_SECRET: a string that is
 * never echoed, "" allowed, at least `min` bytes when set; CFG_HEX: a secret
 * of exactly `min` hex characters, or ""; CFG_HEADER: a secret HTTP header
 * line "Name: value", or ""; CFG_URL: "" or an http:// or https:// URL. */
enum cfg_type { CFG_STR, CFG_LONG, CFG_ENUM, CFG_LIST, CFG_SECRET, CFG_HEX, CFG_HEADER, CFG_URL };

struct cfg_key {
    const char *key;
    enum cfg_type type;
    size_t offset;
    size_t size;       /* CFG_STR / CFG_ENUM / CFG_LIST / CFG_SECRET / CFG_HEX: buffer size */
    long min, max;     /* CFG_LONG; CFG_SECRET / CFG_HEX: length */
    const char *enums; /* CFG_ENUM / CFG_LIST: "a|b|c" */
    const char *help;
    const char *item;  /* CFG_LIST: what one word is, for messages */
    int empty_ok;      /* CFG_STR: "" is a value (means "the default") */
};

#define PII_POLICY "mask|redact|hash|keep"

#define OFF(f) offsetof(struct kf_config, f)
#define SZ(f) sizeof(((struct kf_config *)0)->f)

/* connectors.<backend>.* for one back end (docs/connectors.md) */
#define CONN_KEYS(b, f)                                                                         \
    {"connectors." b ".type", CFG_ENUM, OFF(f.type), SZ(f.type), 0, 0, "builtin|http",          \
     "builtin: the embedded store; http: a REST service described by a spec", NULL, 0},         \
        {"connectors." b ".url", CFG_URL, OFF(f.url), SZ(f.url), 0, 0, NULL,                    \
         "http: base URL of the service", NULL, 1},                                             \
        {"connectors." b ".spec", CFG_STR, OFF(f.spec), SZ(f.spec), 0, 0, NULL,                 \
         "http: YAML spec of its operations and field mapping", NULL, 1},                       \
        {"connectors." b ".auth_header", CFG_HEADER, OFF(f.auth_header), SZ(f.auth_header), 0, \
         0, NULL, "http: header sent with every request, 'Name: value' (secret)", NULL, 0},     \
        {"connectors." b ".timeout_ms", CFG_LONG, OFF(f.timeout_ms), 0, 1, 600000, NULL,        \
         "http: time limit of one attempt", NULL, 0},                                           \
        {"connectors." b ".retries", CFG_LONG, OFF(f.retries), 0, 0, 10, NULL,                  \
         "http: extra attempts after a 5xx, timeout or connection error", NULL, 0},            \
        {"connectors." b ".backoff_ms", CFG_LONG, OFF(f.backoff_ms), 0, 0, 60000, NULL,         \
         "http: first wait between attempts, doubled each time", NULL, 0},                      \
        {"connectors." b ".breaker_failures", CFG_LONG, OFF(f.breaker_failures), 0, 0, 1000,    \
         NULL, "http: failed calls in a row that open the circuit breaker (0 = never)", NULL,  \
         0},                                                                                    \
        {"connectors." b ".breaker_reset_ms", CFG_LONG, OFF(f.breaker_reset_ms), 0, 0,          \
         86400000, NULL, "http: how long the open breaker fails calls before one trial", NULL, \
         0}

static const struct cfg_key cfg_keys[] = {
    {"server.host", CFG_STR, OFF(host), SZ(host), 0, 0, NULL, "address to listen on", NULL,
     0},
    {"server.port", CFG_LONG, OFF(port), 0, 0, 65535, NULL, "TCP port (0 = any free port)",
     NULL, 0},
    {"server.threads", CFG_LONG, OFF(threads), 0, 1, 256, NULL, "HTTP worker threads", NULL, 0},
    {"server.max_body", CFG_LONG, OFF(max_body), 0, 256, 64L << 20, NULL,
     "largest request body in bytes", NULL, 0},
    {"server.web_root", CFG_STR, OFF(web_root), SZ(web_root), 0, 0, NULL,
     "folder of the web pages", NULL, 0},
    {"store.path", CFG_STR, OFF(db_path), SZ(db_path), 0, 0, NULL, "SQLite database file",
     NULL, 0},
    {"store.synchronous", CFG_ENUM, OFF(synchronous), SZ(synchronous), 0, 0, "full|normal",
     "full: fsync every commit; normal: survive a crash of kefu, not of the machine", NULL, 0},
    {"bot.path", CFG_STR, OFF(bot_path), SZ(bot_path), 0, 0, NULL, "bot definition folder",
     NULL, 0},
    {"nlu.model_dir", CFG_STR, OFF(model_dir), SZ(model_dir), 0, 0, NULL,
     "where trained NLU models are kept (one folder per bot)", NULL, 0},
    {"privacy.mask", CFG_LIST, OFF(pii_mask), SZ(pii_mask), 0, 0,
     "id_card|bank_card|phone|email|address|none",
     "PII detected before storing/analysing (id_card,bank_card,phone,email,address or none)",
     "PII type", 0},
    {"privacy.id_card", CFG_ENUM, OFF(pii_id_card), SZ(pii_id_card), 0, 0, PII_POLICY,
     "what an ID-card number becomes: mask (partial) | redact | hash | keep (unsafe)", NULL, 0},
    {"privacy.bank_card", CFG_ENUM, OFF(pii_bank_card), SZ(pii_bank_card), 0, 0, PII_POLICY,
     "what a bank-card number becomes", NULL, 0},
    {"privacy.phone", CFG_ENUM, OFF(pii_phone), SZ(pii_phone), 0, 0, PII_POLICY,
     "what a phone number becomes", NULL, 0},
    {"privacy.email", CFG_ENUM, OFF(pii_email), SZ(pii_email), 0, 0, PII_POLICY,
     "what an e-mail address becomes", NULL, 0},
    {"privacy.address", CFG_ENUM, OFF(pii_address), SZ(pii_address), 0, 0, PII_POLICY,
     "what a postal address becomes", NULL, 0},
    {"privacy.key_file", CFG_STR, OFF(pii_key_file), SZ(pii_key_file), 0, 0, NULL,
     "32-byte PII vault key, created (0600) if missing; default pii.key beside store.path",
     NULL, 1},
    {"privacy.key", CFG_HEX, OFF(pii_key), SZ(pii_key), 64, 64, NULL,
     "PII vault key as 64 hex characters (secret; instead of key_file)", NULL, 0},
    {"privacy.reveal_token", CFG_SECRET, OFF(reveal_token), SZ(reveal_token), 16, 0, NULL,
     "bearer token that may see raw PII (?reveal=pii; secret, 16+ bytes; empty = off)", NULL,
     0},
    {"log.level", CFG_ENUM, OFF(log_level), SZ(log_level), 0, 0, "debug|info|warn|error|off",
     "log level", NULL, 0},
    {"log.format", CFG_ENUM, OFF(log_format), SZ(log_format), 0, 0, "text|json",
     "log line format", NULL, 0},
    {"campaigns.interval_s", CFG_LONG, OFF(campaigns_interval_s), 0, 0, 86400, NULL,
     "seconds between the server's campaign runs (bot's campaigns.yaml; 0 = off)", NULL, 0},
    {"campaigns.max_per_run", CFG_LONG, OFF(campaigns_max_per_run), 0, 1, 1000000, NULL,
     "candidates one run looks at per campaign (the rest wait for the next run)", NULL, 0},
    {"profiles.rebuild_interval_s", CFG_LONG, OFF(profiles_rebuild_interval_s), 0, 0, 2592000,
     NULL, "seconds between the scheduler's profile rebuilds (lifecycle stages move with time; 0 = "
     "never)", NULL, 0},
    {"auth.identity_secret", CFG_SECRET, OFF(identity_secret), SZ(identity_secret), 16, 0, NULL,
     "HMAC-SHA256 key the shop signs web customers' ids with (secret, 16+ bytes; empty = ids "
     "are trusted as given)", NULL, 0},
    {"auth.session_ttl_s", CFG_LONG, OFF(session_ttl_s), 0, 60, 2592000, NULL,
     "seconds a staff login lasts", NULL, 0},
    {"auth.cookie_secure", CFG_ENUM, OFF(cookie_secure), SZ(cookie_secure), 0, 0,
     "auto|always|never", "Secure flag on the session cookie (auto: unless on a loopback address)",
     NULL, 0},
    {"churn.negative_streak", CFG_LONG, OFF(churn_negative_streak), 0, 0, 100, NULL,
     "negative customer messages in a row that open a churn-risk ticket (0 = off)", NULL, 0},
    {"churn.webhook_url", CFG_SECRET, OFF(churn_webhook_url), SZ(churn_webhook_url), 0, 0, NULL,
     "URL a churn alert is POSTed to (secret: may carry a token; empty = none)", NULL, 0},
    {"alerts.rules", CFG_STR, OFF(alert_rules), SZ(alert_rules), 0, 0, NULL,
     "threshold alert rules, ';'-separated (docs/operations.md; empty = none)", NULL, 1},
    {"alerts.webhook_url", CFG_SECRET, OFF(alerts_webhook_url), SZ(alerts_webhook_url), 0, 0, NULL,
     "URL a firing or resolved alert is POSTed to (secret; empty = none)", NULL, 0},
    {"alerts.interval_s", CFG_LONG, OFF(alerts_interval_s), 0, 0, 86400, NULL,
     "seconds between alert evaluations (0 = off)", NULL, 0},
    {"csat.review_below", CFG_LONG, OFF(csat_review_below), 0, 1, 6, NULL,
     "CSAT scores below this go to the review queue", NULL, 0},
    CONN_KEYS("orders", conn_orders),
    CONN_KEYS("tickets", conn_tickets),
    CONN_KEYS("customers", conn_customers),
};

#undef CONN_KEYS
#define N_KEYS (sizeof cfg_keys / sizeof cfg_keys[0])

struct kf_config kf_config_default(void)
{
    struct kf_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.host, sizeof c.host, "127.0.0.1");
    c.port = 8080;
    c.threads = 16; /* handlers block on commits: more threads share one fsync */
    c.max_body = 64 * 1024;
    snprintf(c.web_root, sizeof c.web_root, "web");
    snprintf(c.db_path, sizeof c.db_path, "var/kefu.db");
    snprintf(c.synchronous, sizeof c.synchronous, "full");
    snprintf(c.bot_path, sizeof c.bot_path, "bots/demo-shop");
    snprintf(c.model_dir, sizeof c.model_dir, "var/models");
    snprintf(c.pii_mask, sizeof c.pii_mask, "id_card,bank_card,phone,email,address");
    snprintf(c.pii_id_card, sizeof c.pii_id_card, "mask");
    snprintf(c.pii_bank_card, sizeof c.pii_bank_card, "mask");
    snprintf(c.pii_phone, sizeof c.pii_phone, "mask");
    snprintf(c.pii_email, sizeof c.pii_email, "mask");
    snprintf(c.pii_address, sizeof c.pii_address, "mask");
    snprintf(c.log_level, sizeof c.log_level, "info");
    snprintf(c.log_format, sizeof c.log_format, "text");
    c.campaigns_interval_s = 600;
    c.campaigns_max_per_run = 5000;
    c.profiles_rebuild_interval_s = 86400;
    c.session_ttl_s = 12 * 3600;
    snprintf(c.cookie_secure, sizeof c.cookie_secure, "auto");
    c.churn_negative_streak = 3;
    snprintf(c.alert_rules, sizeof c.alert_rules,
             "latency_p95_ms > 500 over 5m; resolution_rate < 0.70 over 1h");
    c.alerts_interval_s = 60;
    c.csat_review_below = 3;
    struct kf_config_connector *conns[] = {&c.conn_orders, &c.conn_tickets, &c.conn_customers};
    for (size_t i = 0; i < 3; i++) {
        snprintf(conns[i]->type, sizeof conns[i]->type, "builtin");
        conns[i]->timeout_ms = 3000;
        conns[i]->retries = 2;
        conns[i]->backoff_ms = 100;
        conns[i]->breaker_failures = 5;
        conns[i]->breaker_reset_ms = 30000;
    }
    return c;
}

static const struct cfg_key *config__find(const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(cfg_keys[i].key, key) == 0)
            return &cfg_keys[i];
    return NULL;
}

static int config__enum_ok(const char *enums, const char *v)
{
    size_t vl = strlen(v);
    const char *p = enums;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && memcmp(p, v, l) == 0)
            return 1;
        p += l + (bar ? 1 : 0);
    }
    return 0;
}

int kf_config_set(struct kf_config *cfg, const char *key, const char *value, const char *origin,
                  struct kf_err *err)
{
    const struct cfg_key *k = config__find(key);
    if (k == NULL)
        return kf_errorf(err, KF_ECONFIG, "%s: unknown setting '%s'", origin, key);
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case CFG_LIST: {
        if (strlen(value) >= k->size)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: longer than %zu bytes", origin, key,
                             k->size - 1);
        const char *p = value;
        int words = 0;
        while (*p) {
            size_t n = strcspn(p, ", ");
            if (n > 0) {
                char w[64];
                snprintf(w, sizeof w, "%.*s", (int)(n < 63 ? n : 63), p);
                if (n >= sizeof w || !config__enum_ok(k->enums, w))
                    return kf_errorf(err, KF_ECONFIG, "%s: %s: unknown %s '%.*s' (one of %s)",
                                     origin, key, k->item, (int)n, p, k->enums);
                words++;
            }
            p += n;
            while (*p == ',' || *p == ' ')
                p++;
        }
        if (words == 0)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: must not be empty (use none)", origin,
                             key);
        memcpy(field, value, strlen(value) + 1);
        return KF_OK;
    }
    case CFG_SECRET: {
        size_t n = strlen(value);
        if (n >= k->size)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: longer than %zu bytes", origin, key,
                             k->size - 1);
        if (n > 0 && n < (size_t)k->min)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: shorter than %ld bytes (value not shown)",
                             origin, key, k->min);
        memcpy(field, value, n + 1);
        return KF_OK;
    }
    case CFG_HEX: {
        size_t n = strlen(value);
        if (n != 0 && (n != (size_t)k->min || strspn(value, "0123456789abcdefABCDEF") != n))
            return kf_errorf(err, KF_ECONFIG,
                             "%s: %s: expected %ld hex characters, got %zu characters%s "
                             "(value not shown)",
                             origin, key, k->min, n,
                             n == (size_t)k->min ? " that are not all hex" : "");
        memcpy(field, value, n + 1);
        return KF_OK;
    }
    case CFG_HEADER: {
        size_t n = strlen(value);
        if (n >= k->size)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: longer than %zu bytes (value not shown)",
                             origin, key, k->size - 1);
        const char *colon = strchr(value, ':');
        int ctl = 0;
        for (size_t i = 0; i < n; i++)
            ctl |= (unsigned char)value[i] < 0x20 || value[i] == 0x7f;
        if (n > 0 && (colon == NULL || colon == value || ctl ||
                      strcspn(value, " \t") < (size_t)(colon - value)))
            return kf_errorf(err, KF_ECONFIG,
                             "%s: %s: expected one header line 'Name: value' (value not shown)",
                             origin, key);
        memcpy(field, value, n + 1);
        return KF_OK;
    }
    case CFG_URL:
        if (value[0] != '\0' && strncmp(value, "http://", 7) != 0 &&
            strncmp(value, "https://", 8) != 0)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: '%.64s' is not an http:// or https:// URL",
                             origin, key, value);
        if (strlen(value) >= k->size)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: longer than %zu bytes", origin, key,
                             k->size - 1);
        memcpy(field, value, strlen(value) + 1);
        return KF_OK;
    case CFG_STR:
        if (value[0] == '\0' && k->empty_ok) {
            field[0] = '\0';
            return KF_OK;
        }
        if (value[0] == '\0')
            return kf_errorf(err, KF_ECONFIG, "%s: %s: must not be empty", origin, key);
        if (strlen(value) >= k->size)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: longer than %zu bytes", origin, key,
                             k->size - 1);
        memcpy(field, value, strlen(value) + 1);
        return KF_OK;
    case CFG_ENUM:
        if (!config__enum_ok(k->enums, value))
            return kf_errorf(err, KF_ECONFIG, "%s: %s: '%s' is not one of %s", origin, key, value,
                             k->enums);
        memcpy(field, value, strlen(value) + 1);
        return KF_OK;
    case CFG_LONG: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (value[0] == '\0' || *end != '\0' || errno != 0)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: expected an integer, got '%s'", origin, key,
                             value);
        if (v < k->min || v > k->max)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: %ld is out of range [%ld, %ld]", origin,
                             key, v, k->min, k->max);
        memcpy(field, &v, sizeof v);
        return KF_OK;
    }
    }
    return kf_errorf(err, KF_EINTERNAL, "bad config table");
}

/* Walk a mapping, joining keys with dots, and set every leaf. */
static int config__walk(struct kf_config *cfg, const struct kf_ydoc *doc,
                        const struct kf_ynode *map, const char *prefix, struct kf_err *err)
{
    for (size_t i = 0; i < map->n; i++) {
        char key[256];
        int n = snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "",
                         map->keys[i]->str);
        if (n < 0 || (size_t)n >= sizeof key)
            return kf_ydoc_errorf(doc, map->keys[i], err, KF_ECONFIG, "key too long");
        const struct kf_ynode *v = map->items[i];
        if (v->type == KF_Y_MAP) {
            int rc = config__walk(cfg, doc, v, key, err);
            if (rc != KF_OK)
                return rc;
            continue;
        }
        char origin[KF_CONFIG_STR_MAX + 32];
        snprintf(origin, sizeof origin, "%s:%d", doc->path, v->line);
        if (v->type != KF_Y_SCALAR)
            return kf_errorf(err, KF_ECONFIG, "%s: %s: expected a value, not a list", origin,
                             key);
        int rc = kf_config_set(cfg, key, v->str, origin, err);
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

int kf_config_load_file(struct kf_config *cfg, const char *path, struct kf_err *err)
{
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    if (doc->root != NULL) {
        if (doc->root->type != KF_Y_MAP)
            rc = kf_ydoc_errorf(doc, doc->root, err, KF_ECONFIG, "expected a mapping of settings");
        else
            rc = config__walk(cfg, doc, doc->root, "", err);
    }
    kf_ydoc_free(doc);
    return rc;
}

int kf_config_apply_env(struct kf_config *cfg, char *const *envp, struct kf_err *err)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char var[128] = "KEFU_";
        size_t at = 5;
        for (const char *p = cfg_keys[i].key; *p && at < sizeof var - 1; p++)
            var[at++] = *p == '.' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        var[at] = '\0';
        for (char *const *e = envp; e && *e; e++) {
            if (strncmp(*e, var, at) == 0 && (*e)[at] == '=') {
                int rc = kf_config_set(cfg, cfg_keys[i].key, *e + at + 1, var, err);
                if (rc != KF_OK)
                    return rc;
            }
        }
    }
    return KF_OK;
}

size_t kf_config_describe(const struct kf_config *cfg, char *out, size_t cap)
{
    size_t at = 0;
    int width = 18; /* the longest key, so the values line up */
    for (size_t i = 0; i < N_KEYS; i++)
        if ((int)strlen(cfg_keys[i].key) > width)
            width = (int)strlen(cfg_keys[i].key);
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        const char *field = (const char *)cfg + k->offset;
        int n;
        if (k->type == CFG_LONG) {
            long v;
            memcpy(&v, field, sizeof v);
            n = snprintf(out + (at < cap ? at : cap), at < cap ? cap - at : 0,
                         "  %-*s %-24ld # %s\n", width, k->key, v, k->help);
        } else if (k->type == CFG_SECRET || k->type == CFG_HEX || k->type == CFG_HEADER) {
            n = snprintf(out + (at < cap ? at : cap), at < cap ? cap - at : 0,
                         "  %-*s %-24s # %s\n", width, k->key, field[0] ? "(set)" : "\"\"",
                         k->help);
        } else {
            n = snprintf(out + (at < cap ? at : cap), at < cap ? cap - at : 0,
                         "  %-*s %-24s # %s\n", width, k->key, field, k->help);
        }
        if (n > 0)
            at += (size_t)n;
    }
    return at;
}

int kf_config_check(const struct kf_config *cfg, struct kf_err *err)
{
    const struct kf_config_connector *conns[] = {&cfg->conn_orders, &cfg->conn_tickets,
                                                 &cfg->conn_customers};
    static const char *const names[] = {"orders", "tickets", "customers"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(conns[i]->type, "http") != 0)
            continue;
        if (conns[i]->url[0] == '\0')
            return kf_errorf(err, KF_ECONFIG,
                             "connectors.%s.url: required when connectors.%s.type is http",
                             names[i], names[i]);
        if (conns[i]->spec[0] == '\0')
            return kf_errorf(err, KF_ECONFIG,
                             "connectors.%s.spec: required when connectors.%s.type is http",
                             names[i], names[i]);
    }
    return KF_OK;
}
