/*
 * config.h — kefu's settings: defaults < YAML file < environment < flags.
 *
 * Every setting has a dotted key ("server.port"). The same key is accepted
 * in the YAML file (nested maps: `server: {port: 8080}`), as an environment
 * variable (KEFU_ + upper-cased key with dots as underscores:
 * KEFU_SERVER_PORT) and on the command line (`--set server.port=8080`, plus
 * short flags the CLI maps onto keys, e.g. --port). Unknown keys and bad
 * values are errors that name where they came from: "kefu.yaml:12:
 * server.port: 99999 is out of range [0, 65535]". Secret settings
 * (privacy.key, privacy.reveal_token, connectors.*.auth_header) are never
 * echoed: not in errors, and kf_config_describe prints "(set)" for them.
 * Checks that involve several keys (an http connector needs url and spec)
 * are done by kf_config_check, once all layers are applied.
 *
 * struct kf_config is a plain value: copy it freely; strings live inside it.
 */
#ifndef KEFU_CONFIG_H
#define KEFU_CONFIG_H

#include <stddef.h>

#include "kefu/err.h"

#define KF_CONFIG_STR_MAX 1024

/* connectors.<backend>.* (connector.h, docs/connectors.md) */
struct kf_config_connector {
    char type[16];                 /* builtin | http */
    char url[KF_CONFIG_STR_MAX];   /* http: base URL */
    char spec[KF_CONFIG_STR_MAX];  /* http: spec YAML file */
    char auth_header[1024];        /* http: "Name: value" (secret) */
    long timeout_ms, retries, backoff_ms, breaker_failures, breaker_reset_ms;
};

struct kf_config {
    /* server */
    char host[KF_CONFIG_STR_MAX];
    long port;     /* 0 = any free port (printed at start) */
    long threads;  /* HTTP worker threads */
    long max_body; /* bytes; larger request bodies get 413 */
    char web_root[KF_CONFIG_STR_MAX];
    /* store */
    char db_path[KF_CONFIG_STR_MAX];
    char synchronous[16]; /* "full" (fsync each commit) or "normal" */
    /* bot */
    char bot_path[KF_CONFIG_STR_MAX];
    char model_dir[KF_CONFIG_STR_MAX]; /* nlu.model_dir */
    /* privacy (O5; README "Privacy") */
    char pii_mask[128]; /* privacy.mask: types detected, "id_card,...,address" or "none" */
    char pii_id_card[16]; /* privacy.<type>: mask | redact | hash | keep */
    char pii_bank_card[16];
    char pii_phone[16];
    char pii_email[16];
    char pii_address[16];
    char pii_key_file[KF_CONFIG_STR_MAX]; /* "" = pii.key beside store.path */
    char pii_key[72];       /* privacy.key: 64 hex (secret; wins over the file) */
    char reveal_token[256]; /* privacy.reveal_token (secret; "" = reveal disabled) */
    /* log */
    char log_level[16];
    char log_format[16];
    /* connectors: the back ends of the business layer */
    struct kf_config_connector conn_orders, conn_tickets, conn_customers;
    /* campaigns (L4, campaign.h): the server's scheduler */
    long campaigns_interval_s; /* seconds between runs; 0 = no scheduler */
    long campaigns_max_per_run; /* candidates looked at per campaign per run */
    /* profiles (D2, events.h): the scheduler refolds them as time passes */
    long profiles_rebuild_interval_s; /* seconds between rebuilds; 0 = never */
    /* accounts and sessions (issue 7, docs/auth.md) */
    char identity_secret[256]; /* auth.identity_secret: HMAC key for web customers' ids (secret) */
    long session_ttl_s;        /* auth.session_ttl_s: staff sessions expire after */
    char cookie_secure[16];    /* auth.cookie_secure: auto | always | never */
    /* churn alert (L2): N negative customer messages in a row */
    long churn_negative_streak;         /* churn.negative_streak; 0 = off */
    char churn_webhook_url[KF_CONFIG_STR_MAX]; /* churn.webhook_url (secret; "" = none) */
    /* metric alerts (O4) */
    char alert_rules[KF_CONFIG_STR_MAX];        /* alerts.rules */
    char alerts_webhook_url[KF_CONFIG_STR_MAX]; /* alerts.webhook_url (secret) */
    long alerts_interval_s;                     /* alerts.interval_s; 0 = not evaluated */
    /* CSAT (O3): scores at or below this go to the review queue */
    long csat_review_below;
};

struct kf_config kf_config_default(void);

/* Apply a YAML file on top of cfg. */
int kf_config_load_file(struct kf_config *cfg, const char *path, struct kf_err *err);

/* Apply KEFU_* environment variables from envp (NULL-terminated "K=V"). */
int kf_config_apply_env(struct kf_config *cfg, char *const *envp, struct kf_err *err);

/* Set one key from a string; `origin` names the source in messages
 * ("--set", "KEFU_SERVER_PORT", "kefu.yaml:3"). */
int kf_config_set(struct kf_config *cfg, const char *key, const char *value, const char *origin,
                  struct kf_err *err);

/* Checks across keys, after every layer is applied: each http connector has
 * connectors.<backend>.url and .spec. KF_ECONFIG naming the key. */
int kf_config_check(const struct kf_config *cfg, struct kf_err *err);

/* Print every key and its value as YAML-ish lines into out (for `--help`
 * and `kefu serve --print-config`). Returns bytes needed. */
size_t kf_config_describe(const struct kf_config *cfg, char *out, size_t cap);

#endif
