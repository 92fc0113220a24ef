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

enum cfg_type { CFG_STR, CFG_LONG, CFG_ENUM };

struct cfg_key {
    const char *key;
    enum cfg_type type;
    size_t offset;
    size_t size;       /* CFG_STR / CFG_ENUM: buffer size */
    long min, max;     /* CFG_LONG */
    const char *enums; /* CFG_ENUM: "a|b|c" */
    const char *help;
};

#define OFF(f) offsetof(struct kf_config, f)
#define SZ(f) sizeof(((struct kf_config *)0)->f)

static const struct cfg_key cfg_keys[] = {
    {"server.host", CFG_STR, OFF(host), SZ(host), 0, 0, NULL, "address to listen on"},
    {"server.port", CFG_LONG, OFF(port), 0, 0, 65535, NULL, "TCP port (0 = any free port)"},
    {"server.threads", CFG_LONG, OFF(threads), 0, 1, 256, NULL, "HTTP worker threads"},
    {"server.max_body", CFG_LONG, OFF(max_body), 0, 256, 64L << 20, NULL,
     "largest request body in bytes"},
    {"server.web_root", CFG_STR, OFF(web_root), SZ(web_root), 0, 0, NULL,
     "folder of the web pages"},
    {"store.path", CFG_STR, OFF(db_path), SZ(db_path), 0, 0, NULL, "SQLite database file"},
    {"store.synchronous", CFG_ENUM, OFF(synchronous), SZ(synchronous), 0, 0, "full|normal",
     "full: fsync every commit; normal: survive a crash of kefu, not of the machine"},
    {"bot.path", CFG_STR, OFF(bot_path), SZ(bot_path), 0, 0, NULL, "bot definition folder"},
    {"nlu.model_dir", CFG_STR, OFF(model_dir), SZ(model_dir), 0, 0, NULL,
     "where trained NLU models are kept (one folder per bot)"},
    {"privacy.mask", CFG_STR, OFF(pii_mask), SZ(pii_mask), 0, 0, NULL,
     "PII masked before storing/analysing: id_card,bank_card,phone,email or none"},
    {"log.level", CFG_ENUM, OFF(log_level), SZ(log_level), 0, 0, "debug|info|warn|error|off",
     "log level"},
    {"log.format", CFG_ENUM, OFF(log_format), SZ(log_format), 0, 0, "text|json",
     "log line format"},
};

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
    snprintf(c.pii_mask, sizeof c.pii_mask, "id_card,bank_card,phone,email");
    snprintf(c.log_level, sizeof c.log_level, "info");
    snprintf(c.log_format, sizeof c.log_format, "text");
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
    case CFG_STR:
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
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        const char *field = (const char *)cfg + k->offset;
        int n;
        if (k->type == CFG_LONG) {
            long v;
            memcpy(&v, field, sizeof v);
            n = snprintf(out + (at < cap ? at : cap), at < cap ? cap - at : 0,
                         "  %-18s %-24ld # %s\n", k->key, v, k->help);
        } else {
            n = snprintf(out + (at < cap ? at : cap), at < cap ? cap - at : 0,
                         "  %-18s %-24s # %s\n", k->key, field, k->help);
        }
        if (n > 0)
            at += (size_t)n;
    }
    return at;
}
