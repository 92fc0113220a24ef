/*
 * cli.c — settings and flags shared by the subcommands (see cli.h).
 */
#include <getopt.h>

#include "cli.h"
#include "kefu/ingest.h"
#include "kefu/engine.h"
#include "kefu/pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

void cli_help_common(void)
{
    fputs("Settings (defaults < config file < KEFU_* environment < flags):\n"
          "  -c, --config FILE     YAML settings file (default: $KEFU_CONFIG, else ./kefu.yaml)\n"
          "  -p, --port N          TCP port (server.port; 0 = any free port)\n"
          "  -H, --host ADDR       listen address (server.host)\n"
          "  -d, --db PATH         SQLite database (store.path)\n"
          "  -b, --bot DIR         bot definition folder (bot.path)\n"
          "  -w, --web DIR         web pages folder (server.web_root)\n"
          "  -t, --threads N       HTTP worker threads (server.threads)\n"
          "      --log-level L     debug|info|warn|error|off (log.level)\n"
          "      --log-format F    text|json (log.format)\n"
          "      --set KEY=VALUE   any setting, e.g. --set server.max_body=131072\n"
          "  -h, --help            this help\n"
          "Every setting is also an environment variable: server.port → KEFU_SERVER_PORT.\n",
          stdout);
}

static int cli__set(struct kf_config *cfg, const char *key, const char *val, const char *flag)
{
    struct kf_err err = {0};
    if (kf_config_set(cfg, key, val, flag, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return 2;
    }
    return 0;
}

int cli_parse(int argc, char **argv, const char *extra_short, const struct option *extra,
              int (*on_extra)(int opt, const char *arg, void *ctx), void *ctx,
              void (*help)(void), struct kf_config *cfg)
{
    static const struct option common[] = {CLI_COMMON_OPTS};
    struct option opts[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        opts[n++] = common[i];
    for (const struct option *o = extra; o && o->name && n < 63; o++)
        opts[n++] = *o;
    opts[n] = (struct option){0};
    char shorts[64];
    snprintf(shorts, sizeof shorts, "c:p:H:d:b:w:t:h%s", extra_short ? extra_short : "");

    /* pass 1: find --config and --help before applying anything */
    const char *config = NULL;
    int want_help = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        if (c == 'h')
            want_help = 1;
    }
    if (want_help) {
        help();
        return 1;
    }
    *cfg = kf_config_default();
    struct kf_err err = {0};
    if (config == NULL)
        config = getenv("KEFU_CONFIG");
    if (config == NULL && access("kefu.yaml", R_OK) == 0)
        config = "kefu.yaml";
    if (config != NULL && kf_config_load_file(cfg, config, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return 2;
    }
    if (kf_config_apply_env(cfg, environ, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return 2;
    }

    /* pass 2: flags */
    opterr = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'c': break;
        case 'p': rc = cli__set(cfg, "server.port", optarg, "--port"); break;
        case 'H': rc = cli__set(cfg, "server.host", optarg, "--host"); break;
        case 'd': rc = cli__set(cfg, "store.path", optarg, "--db"); break;
        case 'b': rc = cli__set(cfg, "bot.path", optarg, "--bot"); break;
        case 'w': rc = cli__set(cfg, "server.web_root", optarg, "--web"); break;
        case 't': rc = cli__set(cfg, "server.threads", optarg, "--threads"); break;
        case 'L': rc = cli__set(cfg, "log.level", optarg, "--log-level"); break;
        case 'F': rc = cli__set(cfg, "log.format", optarg, "--log-format"); break;
        case 's': {
            char key[128];
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || (size_t)(eq - optarg) >= sizeof key) {
                fprintf(stderr, "kefu: --set: expected KEY=VALUE, got '%s'\n", optarg);
                return 2;
            }
            memcpy(key, optarg, (size_t)(eq - optarg));
            key[eq - optarg] = '\0';
            rc = cli__set(cfg, key, eq + 1, "--set");
            break;
        }
        case '?':
            fprintf(stderr, "Try '%s --help'.\n", argv[0]);
            return 2;
        default:
            rc = on_extra ? on_extra(c, optarg, ctx) : 2;
            break;
        }
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "kefu: unexpected argument '%s'\nTry '%s --help'.\n", argv[optind],
                argv[0]);
        return 2;
    }
    return 0;
}

struct kf_log *cli_log_new(const struct kf_config *cfg)
{
    struct kf_log_params lp = kf_log_default_params();
    lp.level = (enum kf_log_level)kf_log_level_parse(cfg->log_level);
    lp.format = (enum kf_log_format)kf_log_format_parse(cfg->log_format);
    return kf_log_new(lp);
}

/* privacy.* → the PII policy (types detected, what each becomes). */
static int cli__pii_policy(const struct kf_config *cfg, struct kf_pii_policy *p,
                           struct kf_err *err)
{
    *p = kf_pii_default_policy();
    if (kf_pii_parse_types(cfg->pii_mask, &p->types, err) != KF_OK)
        return kf_err_prefix(err, "privacy.mask");
    const char *actions[KF_PII_NTYPES] = {cfg->pii_id_card, cfg->pii_bank_card, cfg->pii_phone,
                                          cfg->pii_email, cfg->pii_address};
    for (int i = 0; i < KF_PII_NTYPES; i++)
        if (kf_pii_parse_action(actions[i], &p->action[i], err) != KF_OK)
            return kf_err_prefix(err, "privacy.%s", kf_pii_type_name((enum kf_pii_type)(1u << i)));
    return KF_OK;
}

/* The PII vault key: privacy.key (KEFU_PRIVACY_KEY, 64 hex) if set, else the
 * file privacy.key_file (default pii.key beside the database), created on
 * first start. */
static int cli__pii_key(const struct kf_config *cfg, struct kf_log *log, struct kf_pii_key *key,
                        struct kf_err *err)
{
    if (cfg->pii_key[0] != '\0') {
        if (kf_pii_key_from_hex(cfg->pii_key, key, err) != KF_OK)
            return kf_err_prefix(err, "privacy.key");
        return KF_OK;
    }
    char path[KF_CONFIG_STR_MAX + 16];
    if (cfg->pii_key_file[0] != '\0') {
        snprintf(path, sizeof path, "%s", cfg->pii_key_file);
    } else {
        const char *slash = strrchr(cfg->db_path, '/');
        if (slash == NULL)
            snprintf(path, sizeof path, "pii.key");
        else
            snprintf(path, sizeof path, "%.*s/pii.key", (int)(slash - cfg->db_path), cfg->db_path);
    }
    int created = 0;
    if (kf_pii_key_load_file(path, 1, key, &created, err) != KF_OK)
        return kf_err_prefix(err, "privacy.key_file");
    if (created && log != NULL)
        KF_WARN(log, "privacy",
                "created the PII vault key %s (mode 0600): back it up — without it the raw "
                "values in the vault cannot be read",
                path);
    else if (created)
        fprintf(stderr, "kefu: created the PII vault key %s (mode 0600); back it up\n", path);
    return KF_OK;
}

/* connectors.<backend>.* → the engine's connector params (strings point
 * into cfg, which outlives kf_engine_new; the engine copies them). */
static void cli__connector(const struct kf_config_connector *cc, const char *backend,
                           struct kf_log *log, struct kf_connector_params *p)
{
    *p = kf_connector_default_params();
    p->backend = backend;
    p->type = cc->type;
    p->url = cc->url[0] ? cc->url : NULL;
    p->spec_path = cc->spec[0] ? cc->spec : NULL;
    p->auth_header = cc->auth_header[0] ? cc->auth_header : NULL;
    p->timeout_ms = cc->timeout_ms;
    p->retries = (int)cc->retries;
    p->backoff_ms = cc->backoff_ms;
    p->breaker_failures = (int)cc->breaker_failures;
    p->breaker_reset_ms = cc->breaker_reset_ms;
    p->log = log;
}

struct kf_engine *cli_engine_open(const struct kf_config *cfg, int pool_size, struct kf_log *log,
                                  int *exit_code)
{
    struct kf_engine_params ep = kf_engine_default_params();
    ep.db_path = cfg->db_path;
    ep.synchronous_full = strcmp(cfg->synchronous, "full") == 0;
    ep.pool_size = pool_size;
    ep.bot_path = cfg->bot_path;
    ep.model_dir = cfg->model_dir;
    ep.log = log;
    ep.experiments = 1; /* the bot's experiments.yaml, if any (docs/experiments.md) */
    ep.churn_negative_streak = (int)cfg->churn_negative_streak; /* config.c bounds it */
    struct kf_err err = {0};
    if (kf_config_check(cfg, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *exit_code = 2;
        return NULL;
    }
    cli__connector(&cfg->conn_orders, "orders", log, &ep.orders);
    cli__connector(&cfg->conn_tickets, "tickets", log, &ep.tickets);
    cli__connector(&cfg->conn_customers, "customers", log, &ep.customers);
    if (cli__pii_policy(cfg, &ep.pii, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *exit_code = 2;
        return NULL;
    }
    struct kf_pii_key key;
    if (cli__pii_key(cfg, log, &key, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *exit_code = err.code == KF_EINVAL ? 2 : 1;
        return NULL;
    }
    ep.pii_key = &key;
    struct kf_engine *e = NULL;
    int rc = kf_engine_new(ep, &e, &err);
    kf_pii_key_wipe(&key); /* the engine keeps its own copy */
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        *exit_code = 1;
        return NULL;
    }
    return e;
}

int cli_time(const char *flag, const char *s, long long *out)
{
    if (kf_ingest_parse_time(s, out) == 0)
        return 0;
    fprintf(stderr, "kefu: %s: '%s' is not ISO 8601 (2026-11-25T12:00:00Z) or ms\n", flag, s);
    return -1;
}

int cli_number(const char *flag, const char *s, double min, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "kefu: %s: expected a number in [%g, %g], got '%s'\n", flag, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}
