/* unit/core/config.c — tests for src/core/config.c (defaults, YAML file, env, --set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kefu/config.h"

/* A temp folder holding kefu.yaml; removed by the teardown. */
struct tmp {
    char dir[64];
    char path[128];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/kefu-unit-config-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/kefu.yaml", t->dir);
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    unlink(t->path);
    rmdir(t->dir);
    free(t);
    return 0;
}

static const char *write_yaml(void **state, const char *text)
{
    struct tmp *t = *state;
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return t->path;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void assert_same_config(const struct kf_config *a, const struct kf_config *b)
{
    assert_memory_equal(a, b, sizeof *a);
}

static void test_defaults(void **state)
{
    (void)state;
    struct kf_config c = kf_config_default();
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.threads, 16);
    assert_int_equal(c.max_body, 64 * 1024);
    assert_string_equal(c.web_root, "web");
    assert_string_equal(c.db_path, "var/kefu.db");
    assert_string_equal(c.synchronous, "full");
    assert_string_equal(c.bot_path, "bots/demo-shop");
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.log_format, "text");
    assert_string_equal(c.pii_mask, "id_card,bank_card,phone,email,address");
    assert_string_equal(c.pii_phone, "mask");
    assert_string_equal(c.pii_address, "mask");
    assert_string_equal(c.pii_key_file, ""); /* pii.key beside store.path */
    assert_string_equal(c.pii_key, "");
    assert_string_equal(c.reveal_token, ""); /* reveal disabled */
}

/* privacy.*: policies per type, the list of types, and secrets that are
 * never echoed back. */
static void test_privacy_settings(void **state)
{
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    char want[400];
    const char *path = write_yaml(state, "privacy:\n"
                                         "  mask: phone, email,address\n"
                                         "  phone: hash\n"
                                         "  email: redact\n"
                                         "  address: keep\n"
                                         "  key_file: /etc/kefu/pii.key\n"
                                         "  reveal_token: s3cret-token-0123456789\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), 0);
    assert_string_equal(c.pii_mask, "phone, email,address");
    assert_string_equal(c.pii_phone, "hash");
    assert_string_equal(c.pii_email, "redact");
    assert_string_equal(c.pii_address, "keep");
    assert_string_equal(c.pii_id_card, "mask");
    assert_string_equal(c.pii_key_file, "/etc/kefu/pii.key");
    assert_string_equal(c.reveal_token, "s3cret-token-0123456789");

    /* errors name file:line and key */
    path = write_yaml(state, "privacy:\n  mask: phone\n  bank_card: blur\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want,
             "%s:3: privacy.bank_card: 'blur' is not one of mask|redact|hash|keep", path);
    assert_string_equal(err.msg, want);
    path = write_yaml(state, "privacy:\n  mask: phone,passport\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want,
             "%s:2: privacy.mask: unknown PII type 'passport' "
             "(one of id_card|bank_card|phone|email|address|none)",
             path);
    assert_string_equal(err.msg, want);
    assert_int_equal(kf_config_set(&c, "privacy.mask", " , ", "--set", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--set: privacy.mask: must not be empty (use none)");
    assert_int_equal(kf_config_set(&c, "privacy.mask", "none", "--set", &err), 0);

    /* the key: 64 hex characters; a bad one is not quoted */
    char *bad_key[] = {"KEFU_PRIVACY_KEY=deadbeef", NULL};
    assert_int_equal(kf_config_apply_env(&c, bad_key, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "KEFU_PRIVACY_KEY: privacy.key: expected 64 hex characters, "
                                 "got 8 characters (value not shown)");
    char hex[96] = "KEFU_PRIVACY_KEY=";
    memset(hex + 17, 'A', 64);
    hex[17 + 64] = '\0';
    char *good_key[] = {hex, NULL};
    assert_int_equal(kf_config_apply_env(&c, good_key, &err), 0);
    assert_int_equal(strlen(c.pii_key), 64);
    /* the token: from the environment too; too short is refused unquoted */
    char *token[] = {"KEFU_PRIVACY_REVEAL_TOKEN=short", NULL};
    assert_int_equal(kf_config_apply_env(&c, token, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "KEFU_PRIVACY_REVEAL_TOKEN: privacy.reveal_token: shorter than "
                                 "16 bytes (value not shown)");
    char *token2[] = {"KEFU_PRIVACY_REVEAL_TOKEN=another-long-token-42", NULL};
    assert_int_equal(kf_config_apply_env(&c, token2, &err), 0);
    assert_string_equal(c.reveal_token, "another-long-token-42");
    /* empty switches reveal off again; key_file "" means the default */
    assert_int_equal(kf_config_set(&c, "privacy.reveal_token", "", "--set", &err), 0);
    assert_string_equal(c.reveal_token, "");
    assert_int_equal(kf_config_set(&c, "privacy.key_file", "", "--set", &err), 0);

    /* describe never prints a secret */
    assert_int_equal(kf_config_set(&c, "privacy.reveal_token", "s3cret-token-0123456789", "--set",
                                   &err),
                     0);
    char out[8192];
    kf_config_describe(&c, out, sizeof out);
    assert_null(strstr(out, "s3cret-token"));
    assert_null(strstr(out, "AAAAAAAA"));
    assert_contains(out, "(set)");
}

static void test_load_file_applies_nested_keys(void **state)
{
    const char *path = write_yaml(state, "# kefu settings\n"
                                         "server:\n"
                                         "  host: 0.0.0.0\n"
                                         "  port: 9000\n"
                                         "store:\n"
                                         "  path: /var/lib/kefu/kefu.db\n"
                                         "  synchronous: normal\n"
                                         "log: {level: debug, format: json}\n");
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_load_file(&c, path, &err), 0);
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 9000);
    assert_string_equal(c.db_path, "/var/lib/kefu/kefu.db");
    assert_string_equal(c.synchronous, "normal");
    assert_string_equal(c.log_level, "debug");
    assert_string_equal(c.log_format, "json");
    /* untouched keys keep their defaults */
    assert_int_equal(c.threads, kf_config_default().threads);
    assert_string_equal(c.bot_path, "bots/demo-shop");
    assert_string_equal(c.web_root, "web");
}

static void test_load_empty_file_changes_nothing(void **state)
{
    const char *path = write_yaml(state, "# nothing here\n");
    struct kf_config c = kf_config_default(), d = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_load_file(&c, path, &err), 0);
    assert_same_config(&c, &d);
}

static void test_file_errors_name_file_line_and_key(void **state)
{
    struct kf_err err = {0};
    struct kf_config c = kf_config_default();
    char want[256];

    const char *path = write_yaml(state, "server:\n"
                                         "  host: 0.0.0.0\n"
                                         "  port: 99999\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want, "%s:3: server.port: 99999 is out of range [0, 65535]", path);
    assert_string_equal(err.msg, want);

    c = kf_config_default();
    path = write_yaml(state, "server:\n"
                             "  port: 8081\n"
                             "  colour: blue\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want, "%s:3: unknown setting 'server.colour'", path);
    assert_string_equal(err.msg, want);

    path = write_yaml(state, "log:\n  level: verbose\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want,
             "%s:2: log.level: 'verbose' is not one of debug|info|warn|error|off", path);
    assert_string_equal(err.msg, want);

    path = write_yaml(state, "server:\n  threads: many\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want, "%s:2: server.threads: expected an integer, got 'many'", path);
    assert_string_equal(err.msg, want);

    path = write_yaml(state, "server:\n  host:\n    - a\n    - b\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want, "%s:3: server.host: expected a value, not a list", path);
    assert_string_equal(err.msg, want);

    path = write_yaml(state, "- server\n- port\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_ECONFIG);
    snprintf(want, sizeof want, "%s:1:", path);
    assert_contains(err.msg, want);
    assert_contains(err.msg, "mapping");

    path = write_yaml(state, "server: {port: [}\n");
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_EPARSE);
    snprintf(want, sizeof want, "%s:1:", path);
    assert_contains(err.msg, want);
}

static void test_load_missing_file(void **state)
{
    struct tmp *t = *state;
    char path[200];
    snprintf(path, sizeof path, "%s/nope.yaml", t->dir);
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_load_file(&c, path, &err), KF_EIO);
    assert_contains(err.msg, "nope.yaml");
}

static void test_env(void **state)
{
    (void)state;
    char *envp[] = {
        "PATH=/usr/bin",
        "KEFU_SERVER_PORT=9001",
        "KEFU_SERVER_PORTS=1", /* a different variable: ignored */
        "KEFU_SERVER_PORT_X=2",
        "KEFU_LOG_FORMAT=json",
        "KEFU_STORE_PATH=/data/kefu.db",
        "KEFU_STORE_SYNCHRONOUS=normal",
        "KEFU_SERVER_MAX_BODY=1048576",
        "KEFU_BOT_PATH=bots/other",
        "kefu_server_threads=9", /* names are upper case */
        NULL,
    };
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_apply_env(&c, envp, &err), 0);
    assert_int_equal(c.port, 9001);
    assert_string_equal(c.log_format, "json");
    assert_string_equal(c.db_path, "/data/kefu.db");
    assert_string_equal(c.synchronous, "normal");
    assert_int_equal(c.max_body, 1048576);
    assert_string_equal(c.bot_path, "bots/other");
    assert_int_equal(c.threads, kf_config_default().threads);
    assert_string_equal(c.host, "127.0.0.1");

    /* no environment at all */
    struct kf_config d = kf_config_default(), e = kf_config_default();
    assert_int_equal(kf_config_apply_env(&d, NULL, &err), 0);
    char *none[] = {NULL};
    assert_int_equal(kf_config_apply_env(&d, none, &err), 0);
    assert_same_config(&d, &e);
}

static void test_env_errors_name_the_variable(void **state)
{
    (void)state;
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    char *bad_port[] = {"KEFU_SERVER_PORT=http", NULL};
    assert_int_equal(kf_config_apply_env(&c, bad_port, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "KEFU_SERVER_PORT: server.port: expected an integer, got 'http'");
    char *bad_level[] = {"KEFU_LOG_LEVEL=loud", NULL};
    assert_int_equal(kf_config_apply_env(&c, bad_level, &err), KF_ECONFIG);
    assert_string_equal(err.msg,
                        "KEFU_LOG_LEVEL: log.level: 'loud' is not one of debug|info|warn|error|off");
    char *range[] = {"KEFU_SERVER_THREADS=0", NULL};
    assert_int_equal(kf_config_apply_env(&c, range, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "KEFU_SERVER_THREADS: server.threads: 0 is out of range [1, 256]");
    char *empty[] = {"KEFU_SERVER_HOST=", NULL};
    assert_int_equal(kf_config_apply_env(&c, empty, &err), KF_ECONFIG);
    assert_string_equal(err.msg, "KEFU_SERVER_HOST: server.host: must not be empty");
}

static void test_set_values(void **state)
{
    (void)state;
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_set(&c, "server.port", "0", "--set", &err), 0);
    assert_int_equal(c.port, 0);
    assert_int_equal(kf_config_set(&c, "server.port", "65535", "--set", &err), 0);
    assert_int_equal(c.port, 65535);
    assert_int_equal(kf_config_set(&c, "server.threads", "256", "--set", &err), 0);
    assert_int_equal(c.threads, 256);
    assert_int_equal(kf_config_set(&c, "server.max_body", "256", "--set", &err), 0);
    assert_int_equal(c.max_body, 256);
    assert_int_equal(kf_config_set(&c, "server.max_body", "67108864", "--set", &err), 0);
    assert_int_equal(c.max_body, 64L << 20);
    assert_int_equal(kf_config_set(&c, "server.web_root", "/srv/web", "--set", &err), 0);
    assert_string_equal(c.web_root, "/srv/web");
    for (const char *const *lv = (const char *const[]){"debug", "info", "warn", "error", "off",
                                                       NULL};
         *lv; lv++) {
        assert_int_equal(kf_config_set(&c, "log.level", *lv, "--set", &err), 0);
        assert_string_equal(c.log_level, *lv);
    }
    assert_int_equal(kf_config_set(&c, "store.synchronous", "full", "--set", &err), 0);
    assert_string_equal(c.synchronous, "full");
    assert_int_equal(kf_config_set(&c, "log.format", "text", "--set", &err), 0);
    assert_string_equal(c.log_format, "text");
    /* a string of exactly the maximum length fits */
    char longest[KF_CONFIG_STR_MAX];
    memset(longest, 'p', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal(kf_config_set(&c, "bot.path", longest, "--set", &err), 0);
    assert_string_equal(c.bot_path, longest);
}

static void test_set_errors_name_origin_and_key(void **state)
{
    (void)state;
    struct kf_config c = kf_config_default(), before = kf_config_default();
    struct kf_err err = {0};

    assert_int_equal(kf_config_set(&c, "server.prot", "1", "--set", &err), KF_ECONFIG);
    assert_int_equal(err.code, KF_ECONFIG);
    assert_string_equal(err.msg, "--set: unknown setting 'server.prot'");
    assert_int_equal(kf_config_set(&c, "server", "1", "--set", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--set: unknown setting 'server'");

    assert_int_equal(kf_config_set(&c, "server.port", "65536", "--port", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--port: server.port: 65536 is out of range [0, 65535]");
    assert_int_equal(kf_config_set(&c, "server.port", "-1", "--port", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--port: server.port: -1 is out of range [0, 65535]");
    assert_int_equal(kf_config_set(&c, "server.max_body", "255", "--set", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--set: server.max_body: 255 is out of range [256, 67108864]");
    assert_int_equal(kf_config_set(&c, "server.threads", "257", "kefu.yaml:3", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "kefu.yaml:3: server.threads: 257 is out of range [1, 256]");

    const char *not_ints[] = {"", "8080 ", "80x", "0x10", "1.5", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof not_ints / sizeof not_ints[0]; i++) {
        char want[200];
        snprintf(want, sizeof want, "--set: server.port: expected an integer, got '%s'",
                 not_ints[i]);
        assert_int_equal(kf_config_set(&c, "server.port", not_ints[i], "--set", &err),
                         KF_ECONFIG);
        assert_string_equal(err.msg, want);
    }

    const char *not_enums[] = {"", "inf", "infox", "INFO", "info|warn", "debug|"};
    for (size_t i = 0; i < sizeof not_enums / sizeof not_enums[0]; i++) {
        char want[200];
        snprintf(want, sizeof want,
                 "--set: log.level: '%s' is not one of debug|info|warn|error|off", not_enums[i]);
        assert_int_equal(kf_config_set(&c, "log.level", not_enums[i], "--set", &err),
                         KF_ECONFIG);
        assert_string_equal(err.msg, want);
    }
    assert_int_equal(kf_config_set(&c, "store.synchronous", "off", "--set", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--set: store.synchronous: 'off' is not one of full|normal");
    assert_int_equal(kf_config_set(&c, "log.format", "xml", "--set", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--set: log.format: 'xml' is not one of text|json");

    assert_int_equal(kf_config_set(&c, "server.host", "", "--host", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--host: server.host: must not be empty");
    char toolong[KF_CONFIG_STR_MAX + 1];
    memset(toolong, 'x', sizeof toolong - 1);
    toolong[sizeof toolong - 1] = '\0';
    assert_int_equal(kf_config_set(&c, "store.path", toolong, "--db", &err), KF_ECONFIG);
    assert_string_equal(err.msg, "--db: store.path: longer than 1023 bytes");

    /* nothing changed by the failed calls */
    assert_same_config(&c, &before);
}

static void test_layers_override_in_order(void **state)
{
    /* defaults < file < environment < flags */
    const char *path = write_yaml(state, "server:\n  port: 9000\n  threads: 4\n");
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    assert_int_equal(kf_config_load_file(&c, path, &err), 0);
    char *envp[] = {"KEFU_SERVER_PORT=9100", NULL};
    assert_int_equal(kf_config_apply_env(&c, envp, &err), 0);
    assert_int_equal(kf_config_set(&c, "server.port", "9200", "--port", &err), 0);
    assert_int_equal(c.port, 9200);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.max_body, 64 * 1024);
}

static void test_describe(void **state)
{
    (void)state;
    struct kf_config c = kf_config_default();
    c.port = 9321;
    char out[16384];
    size_t need = kf_config_describe(&c, out, sizeof out);
    assert_true(need > 0 && need < sizeof out);
    assert_int_equal(strlen(out), need);
    const char *keys[] = {"server.host",  "server.port",       "server.threads",
                          "server.max_body", "server.web_root", "store.path",
                          "store.synchronous", "bot.path",      "nlu.model_dir",
                          "privacy.mask",      "privacy.id_card", "privacy.bank_card",
                          "privacy.phone",     "privacy.email", "privacy.address",
                          "privacy.key_file",  "privacy.key",   "privacy.reveal_token",
                          "log.level",         "log.format",
                          "campaigns.interval_s", "campaigns.max_per_run",
                          "profiles.rebuild_interval_s",
                          "auth.identity_secret", "auth.session_ttl_s", "auth.cookie_secure",
                          "churn.negative_streak", "churn.webhook_url",
                          "alerts.rules", "alerts.webhook_url", "alerts.interval_s",
                          "csat.review_below",
#define CONN(b)                                                                                  \
    "connectors." b ".type", "connectors." b ".url", "connectors." b ".spec",                   \
        "connectors." b ".auth_header", "connectors." b ".timeout_ms", "connectors." b ".retries", \
        "connectors." b ".backoff_ms", "connectors." b ".breaker_failures",                      \
        "connectors." b ".breaker_reset_ms"
                          CONN("orders"), CONN("tickets"), CONN("customers")
#undef CONN
    };
    size_t nkeys = sizeof keys / sizeof keys[0];
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, nkeys);
    for (size_t i = 0; i < nkeys; i++)
        assert_contains(out, keys[i]);
    assert_contains(out, "9321");
    assert_contains(out, "127.0.0.1");
    assert_contains(out, "bots/demo-shop");

    /* a small buffer: same size reported, output cut and terminated */
    char small[16];
    memset(small, '#', sizeof small);
    assert_int_equal(kf_config_describe(&c, small, sizeof small), need);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, out, sizeof small - 1);
}

static void test_connectors(void **state)
{
    const char *path = write_yaml(state, "connectors:\n"
                                         "  orders:\n"
                                         "    type: http\n"
                                         "    url: http://127.0.0.1:9000/api\n"
                                         "    spec: orders.yaml\n"
                                         "    auth_header: 'Authorization: Bearer abcdef123456'\n"
                                         "    timeout_ms: 500\n"
                                         "    retries: 0\n"
                                         "    breaker_failures: 3\n");
    struct kf_config c = kf_config_default();
    struct kf_err err = {0};
    /* defaults: builtin everywhere */
    assert_string_equal(c.conn_orders.type, "builtin");
    assert_string_equal(c.conn_customers.type, "builtin");
    assert_int_equal(c.conn_tickets.timeout_ms, 3000);
    assert_int_equal(c.conn_tickets.retries, 2);
    assert_int_equal(c.conn_tickets.backoff_ms, 100);
    assert_int_equal(c.conn_tickets.breaker_failures, 5);
    assert_int_equal(c.conn_tickets.breaker_reset_ms, 30000);
    assert_int_equal(kf_config_check(&c, &err), 0);

    assert_int_equal(kf_config_load_file(&c, path, &err), 0);
    assert_string_equal(c.conn_orders.type, "http");
    assert_string_equal(c.conn_orders.url, "http://127.0.0.1:9000/api");
    assert_string_equal(c.conn_orders.spec, "orders.yaml");
    assert_string_equal(c.conn_orders.auth_header, "Authorization: Bearer abcdef123456");
    assert_int_equal(c.conn_orders.timeout_ms, 500);
    assert_int_equal(c.conn_orders.retries, 0);
    assert_int_equal(c.conn_orders.breaker_failures, 3);
    assert_int_equal(kf_config_check(&c, &err), 0);

    /* the header is a secret: described as (set), never in errors */
    char out[16384];
    kf_config_describe(&c, out, sizeof out);
    assert_contains(out, "connectors.orders.auth_header");
    assert_null(strstr(out, "abcdef123456"));
    assert_contains(out, "(set)");
    assert_int_equal(kf_config_set(&c, "connectors.orders.auth_header", "Bearer abcdef123456",
                                   "--set", &err),
                     KF_ECONFIG);
    assert_null(strstr(err.msg, "abcdef123456"));
    assert_contains(err.msg, "Name: value");
    assert_int_equal(kf_config_set(&c, "connectors.orders.auth_header", "X-Key: a\r\nX: b",
                                   "--set", &err),
                     KF_ECONFIG);
    char *envp[] = {"KEFU_CONNECTORS_TICKETS_AUTH_HEADER=X-Api-Key: k1", NULL};
    assert_int_equal(kf_config_apply_env(&c, envp, &err), 0);
    assert_string_equal(c.conn_tickets.auth_header, "X-Api-Key: k1");

    /* bad values */
    assert_int_equal(kf_config_set(&c, "connectors.orders.type", "soap", "--set", &err),
                     KF_ECONFIG);
    assert_contains(err.msg, "builtin|http");
    assert_int_equal(kf_config_set(&c, "connectors.orders.url", "ftp://x", "--set", &err),
                     KF_ECONFIG);
    assert_int_equal(kf_config_set(&c, "connectors.orders.retries", "11", "--set", &err),
                     KF_ECONFIG);
    assert_int_equal(kf_config_set(&c, "connectors.orders.timeout_ms", "0", "--set", &err),
                     KF_ECONFIG);
    assert_int_equal(kf_config_set(&c, "connectors.billing.type", "http", "--set", &err),
                     KF_ECONFIG);

    /* http needs url and spec */
    assert_int_equal(kf_config_set(&c, "connectors.customers.type", "http", "--set", &err), 0);
    assert_int_equal(kf_config_check(&c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.customers.url: required");
    assert_int_equal(kf_config_set(&c, "connectors.customers.url", "https://crm.example/v1",
                                   "--set", &err),
                     0);
    assert_int_equal(kf_config_check(&c, &err), KF_ECONFIG);
    assert_contains(err.msg, "connectors.customers.spec: required");
    assert_int_equal(kf_config_set(&c, "connectors.customers.spec", "crm.yaml", "--set", &err),
                     0);
    assert_int_equal(kf_config_check(&c, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_load_file_applies_nested_keys, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_file_changes_nothing, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_file_errors_name_file_line_and_key, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_file, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_env),
        cmocka_unit_test_setup_teardown(test_privacy_settings, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_env_errors_name_the_variable),
        cmocka_unit_test(test_set_values),
        cmocka_unit_test(test_set_errors_name_origin_and_key),
        cmocka_unit_test_setup_teardown(test_layers_override_in_order, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_describe),
        cmocka_unit_test_setup_teardown(test_connectors, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
