/*
 * integration/privacy.c — the PII promise of issue 4 (O5), proved on the real
 * `kefu serve` with log level debug and its log captured:
 *
 *   - raw phone, e-mail, ID card (valid check character), bank card (valid
 *     Luhn), a zh and an en address, sent through the JSON API, the Rasa
 *     channel, a customer name and the NLU endpoint, appear nowhere: not in
 *     the SQLite main file or WAL (bytes), not in any column of any table
 *     (messages.meta, customers, pii_vault included), not in the log;
 *   - GET ...?reveal=pii with the reveal token gives the raw text back,
 *     without a token or with a wrong one it is 403 forbidden, and both are
 *     audit lines in the log (without values or the token);
 *   - the vault key survives a restart; values sealed under another key stay
 *     masked and are counted; a bad key file stops the start;
 *   - policies redact and hash give [phone] and [email:1a2b3c4d] shapes, the
 *     same pseudonym for the same value, and still reveal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

#define TOKEN "test-reveal-token-0123456789abcdef"
#define TOKEN_B "policy-server-token-9876543210"

/* A zh and an en message with every kind of PII; raw values listed below. */
static const char ZH_MSG[] = "我的手机13812345678,身份证11010519491231002X,卡号6212261202000000001,"
                             "邮箱zhang.san@example.com,寄到北京市朝阳区建国路88号SOHO现代城A座1201室";
static const char EN_MSG[] = "Please ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043 or "
                             "call +8613912345678, mail jane.doe@example.org";
static const char RASA_MSG[] = "my email is li.si@example.net, thanks";
static const char NLU_MSG[] = "call me on 13600002222 please";
static const char *const RAW[] = {
    "13812345678",     "11010519491231002X",        "6212261202000000001",
    "zhang.san",       "建国路88号",                "SOHO现代城A座1201室",
    "Amphitheatre",    "1600 Amphitheatre Parkway", "13912345678",
    "jane.doe",        "li.si@example.net",         "13700001111", /* in a customer name */
    "13600002222",     TOKEN,
};
#define N_RAW (sizeof RAW / sizeof RAW[0])

struct env {
    char dir[256];
    char db[300];
    char log[300];
    struct kefu_proc kefu;
    char zh_id[33], en_id[33];
};

static struct env E;

static int start_a(void)
{
    /* the token through the environment, as an operator would set it */
    setenv("KEFU_PRIVACY_REVEAL_TOKEN", TOKEN, 1);
    const char *extra[] = {"--log-level", "debug", NULL};
    int rc = th_start_log(&E.kefu, E.db, extra, E.log);
    unsetenv("KEFU_PRIVACY_REVEAL_TOKEN");
    return rc;
}

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    snprintf(E.log, sizeof E.log, "%s/kefu.log", E.dir);
    return start_a();
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *len = 0;
        return calloc(1, 1);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int file_contains(const char *path, const char *needle)
{
    size_t n;
    char *buf = read_file(path, &n);
    int hit = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return hit;
}

/* Every column of every row of every table, as bytes: where is needle?
 * Writes "table.column" of the first hit into where; 0 when nowhere. */
static int db_contains(const char *db_path, const char *needle, char *where, size_t cap)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *tables;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    int hit = 0;
    while (!hit && sqlite3_step(tables) == SQLITE_ROW) {
        char sql[256];
        /* table names come from the schema itself, not from input */
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", sqlite3_column_text(tables, 0));
        sqlite3_stmt *rows;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
        while (!hit && sqlite3_step(rows) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(rows) && !hit; c++) {
                const void *v = sqlite3_column_blob(rows, c);
                int n = sqlite3_column_bytes(rows, c);
                if (v != NULL && memmem(v, (size_t)n, needle, strlen(needle)) != NULL) {
                    snprintf(where, cap, "%s.%s", sqlite3_column_text(tables, 0),
                             sqlite3_column_name(rows, c));
                    hit = 1;
                }
            }
        }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return hit;
}

static long long db_count(const char *db_path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void start_conversation(const struct kefu_proc *k, const char *body, char id[33])
{
    long status;
    json_t *c = th_json(k, "POST", "/api/v1/conversations", body, &status);
    assert_int_equal(status, 201);
    snprintf(id, 33, "%s", json_string_value(json_object_get(c, "id")));
    assert_int_equal(strlen(id), 32);
    json_decref(c);
}

/* Post text; returns the stored (masked) customer text, malloc'd. */
static char *say(const struct kefu_proc *k, const char *id, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    json_t *body = json_pack("{s:s}", "text", text);
    char *s = json_dumps(body, 0);
    long status;
    json_t *r = th_json(k, "POST", path, s, &status);
    free(s);
    json_decref(body);
    assert_int_equal(status, 200);
    char *out = strdup(json_string_value(json_object_get(json_object_get(r, "message"), "text")));
    json_decref(r);
    return out;
}

/* GET the history with optional query and Authorization value. */
static json_t *history(const struct kefu_proc *k, const char *id, const char *query,
                       const char *auth, long *status, char cache_control[128])
{
    char path[256], header[256];
    snprintf(path, sizeof path, "/api/v1/conversations/%s%s", id, query);
    const char *headers[] = {header, NULL};
    snprintf(header, sizeof header, "Authorization: %s", auth ? auth : "");
    struct th_resp r;
    assert_int_equal(th_http_ex(k, "GET", path, NULL, 0, NULL, auth ? headers : NULL, &r), 0);
    *status = r.status;
    if (cache_control != NULL)
        snprintf(cache_control, 128, "%s", r.cache_control);
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    assert_non_null(doc);
    return doc;
}

/* The text of the first customer message of a history document. */
static const char *customer_text(json_t *doc)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "messages"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "role")), "customer") == 0)
            return json_string_value(json_object_get(m, "text"));
    }
    fail_msg("no customer message");
    return NULL;
}

static void expect_forbidden(const char *id, const char *auth)
{
    long status;
    json_t *d = history(&E.kefu, id, "?reveal=pii", auth, &status, NULL);
    assert_int_equal(status, 403);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "error"), "code")),
                        "forbidden");
    assert_null(json_object_get(d, "messages"));
    json_decref(d);
}

/* ---- tests -------------------------------------------------------------- */

static void test_messages_are_stored_masked(void **state)
{
    (void)state;
    start_conversation(&E.kefu,
                       "{\"lang\":\"zh\",\"customer\":{\"external_id\":\"cust-1\","
                       "\"name\":\"王五 13700001111\"}}",
                       E.zh_id);
    char *stored = say(&E.kefu, E.zh_id, ZH_MSG);
    assert_string_equal(stored,
                        "我的手机138****5678,身份证110105********002X,卡号***************0001,"
                        "邮箱z********@example.com,寄到北京市朝阳区********************");
    free(stored);
    start_conversation(&E.kefu, "{\"lang\":\"en\"}", E.en_id);
    stored = say(&E.kefu, E.en_id, EN_MSG);
    assert_string_equal(stored, "Please ship to *************************, Mountain View, CA ***** "
                                "or call +86139****5678, mail j*******@example.org");
    free(stored);

    /* the Rasa channel and the NLU endpoint go through the same masking */
    long status;
    json_t *req = json_pack("{s:s,s:s}", "sender", "shopper-7", "message", RASA_MSG);
    char *body = json_dumps(req, 0);
    json_t *r = th_json(&E.kefu, "POST", "/webhooks/rest/webhook", body, &status);
    assert_int_equal(status, 200);
    json_decref(r);
    free(body);
    json_decref(req);
    req = json_pack("{s:s}", "text", NLU_MSG);
    body = json_dumps(req, 0);
    r = th_json(&E.kefu, "POST", "/api/v1/nlu/parse", body, &status);
    free(body);
    json_decref(req);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "text")),
                        "call me on 136****2222 please");
    json_decref(r);

    /* one vault row per masked value, written with its message */
    assert_int_equal(db_count(E.db, "SELECT COUNT(*) FROM pii_vault"), 5 + 3 + 1);
    assert_int_equal(db_count(E.db, "SELECT COUNT(*) FROM pii_vault v LEFT JOIN messages m"
                                    " ON m.id = v.message_id WHERE m.role IS NOT 'customer'"),
                     0);
    assert_int_equal(db_count(E.db, "SELECT COUNT(DISTINCT type) FROM pii_vault"), 5);
    assert_int_equal(db_count(E.db, "SELECT MAX(version) FROM schema_migrations"), 6);
    /* the key was made on first start, beside the database, private */
    char key[320];
    snprintf(key, sizeof key, "%s/pii.key", E.dir);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
}

static void test_reveal_needs_the_token(void **state)
{
    (void)state;
    long status;
    char cc[128];
    /* with the token: the raw text, not to be cached */
    json_t *d = history(&E.kefu, E.zh_id, "?reveal=pii", "Bearer " TOKEN, &status, cc);
    assert_int_equal(status, 200);
    assert_string_equal(customer_text(d), ZH_MSG);
    assert_int_equal(json_integer_value(json_object_get(d, "revealed")), 5);
    assert_null(json_object_get(d, "unrevealed"));
    assert_string_equal(cc, "no-store");
    json_decref(d);
    d = history(&E.kefu, E.en_id, "/messages?reveal=pii&limit=10", "bearer  " TOKEN, &status, NULL);
    assert_int_equal(status, 200);
    assert_string_equal(customer_text(d), EN_MSG);
    assert_int_equal(json_integer_value(json_object_get(d, "revealed")), 3);
    json_decref(d);

    /* without ?reveal: the masked text, as stored */
    d = history(&E.kefu, E.zh_id, "", "Bearer " TOKEN, &status, cc);
    assert_int_equal(status, 200);
    assert_null(strstr(customer_text(d), "13812345678"));
    assert_non_null(strstr(customer_text(d), "138****5678"));
    assert_null(json_object_get(d, "revealed"));
    assert_string_equal(cc, "no-cache");
    json_decref(d);

    /* no token, a wrong one, another scheme, a prefix of it: 403 */
    expect_forbidden(E.zh_id, NULL);
    expect_forbidden(E.zh_id, "Bearer wrong-token-0123456789abcdef");
    expect_forbidden(E.zh_id, "Bearer " TOKEN "x");
    expect_forbidden(E.zh_id, "Bearer test-reveal-token");
    expect_forbidden(E.zh_id, "Basic " TOKEN);
    expect_forbidden(E.zh_id, "Bearer ");
    /* an unknown reveal value is a bad request */
    d = history(&E.kefu, E.zh_id, "?reveal=all", "Bearer " TOKEN, &status, NULL);
    assert_int_equal(status, 400);
    json_decref(d);

    /* audit lines: who asked for which conversation, how many; no values */
    char want[200];
    snprintf(want, sizeof want, "pii reveal: conversation %s, 5 values", E.zh_id);
    assert_true(file_contains(E.log, want));
    snprintf(want, sizeof want, "pii reveal denied: conversation %s, client 127.0.0.1: wrong token",
             E.zh_id);
    assert_true(file_contains(E.log, want));
    assert_true(file_contains(E.log, "no bearer token"));
}

static void test_raw_pii_is_nowhere(void **state)
{
    (void)state;
    char wal[320], where[200];
    snprintf(wal, sizeof wal, "%s-wal", E.db);
    /* the checks can see data at all: masked forms are there, the log is on */
    assert_true(file_contains(E.db, "138****5678") || file_contains(wal, "138****5678"));
    assert_true(db_contains(E.db, "138****5678", where, sizeof where));
    assert_string_equal(where, "messages.text");
    assert_true(db_contains(E.db, "王五", where, sizeof where)); /* the customer's name */
    assert_true(file_contains(E.log, "DEBUG"));
    assert_true(file_contains(E.log, "/api/v1/conversations"));
    for (size_t i = 0; i < N_RAW; i++) {
        if (file_contains(E.db, RAW[i]) || file_contains(wal, RAW[i]))
            fail_msg("raw '%s' is in the database file", RAW[i]);
        if (db_contains(E.db, RAW[i], where, sizeof where))
            fail_msg("raw '%s' is in %s", RAW[i], where);
        if (file_contains(E.log, RAW[i]))
            fail_msg("raw '%s' is in the log", RAW[i]);
    }
}

static void test_key_survives_restart(void **state)
{
    (void)state;
    assert_int_equal(th_stop(&E.kefu, SIGTERM), 0);
    assert_int_equal(start_a(), 0);
    long status;
    json_t *d = history(&E.kefu, E.zh_id, "?reveal=pii", "Bearer " TOKEN, &status, NULL);
    assert_int_equal(status, 200);
    assert_string_equal(customer_text(d), ZH_MSG);
    json_decref(d);

    /* another key (KEFU_PRIVACY_KEY wins over the file): the values are not
     * guessed at, they stay masked and are counted as unrevealed */
    assert_int_equal(th_stop(&E.kefu, SIGTERM), 0);
    setenv("KEFU_PRIVACY_KEY", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
           1);
    assert_int_equal(start_a(), 0);
    unsetenv("KEFU_PRIVACY_KEY");
    d = history(&E.kefu, E.zh_id, "?reveal=pii", "Bearer " TOKEN, &status, NULL);
    assert_int_equal(status, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "revealed")), 0);
    assert_int_equal(json_integer_value(json_object_get(d, "unrevealed")), 5);
    assert_non_null(strstr(customer_text(d), "138****5678"));
    json_decref(d);
    assert_int_equal(th_stop(&E.kefu, SIGTERM), 0);
    assert_int_equal(start_a(), 0);
}

/* A second server: policies redact/hash, the key from KEFU_PRIVACY_KEY. */
static void test_policies_redact_and_hash(void **state)
{
    (void)state;
    char dir[256], db[300], log[300], keyfile[300];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    snprintf(log, sizeof log, "%s/kefu.log", dir);
    snprintf(keyfile, sizeof keyfile, "%s/pii.key", dir);
    setenv("KEFU_PRIVACY_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
           1);
    const char *extra[] = {"--set", "privacy.phone=redact", "--set", "privacy.email=hash",
                           "--set", "privacy.bank_card=hash", "--set", "privacy.address=redact",
                           "--set", "privacy.reveal_token=" TOKEN_B, NULL};
    struct kefu_proc k;
    int rc = th_start_log(&k, db, extra, log);
    unsetenv("KEFU_PRIVACY_KEY");
    assert_int_equal(rc, 0);
    char id[33];
    start_conversation(&k, "{\"lang\":\"zh\"}", id);
    const char *msg = "电话13812345678 邮箱zhang.san@example.com 卡6212261202000000001 "
                      "地址北京市朝阳区建国路88号";
    char *s1 = say(&k, id, msg);
    /* 电话[phone] 邮箱[email:xxxxxxxx] 卡[bank_card:xxxxxxxx] 地址[address] */
    const char *e = strstr(s1, "[email:"), *b = strstr(s1, "[bank_card:");
    assert_memory_equal(s1, "电话[phone] 邮箱[email:", strlen("电话[phone] 邮箱[email:"));
    assert_non_null(e);
    assert_non_null(b);
    assert_int_equal(strspn(e + 7, "0123456789abcdef"), 8);
    assert_int_equal(e[15], ']');
    assert_int_equal(strspn(b + 11, "0123456789abcdef"), 8);
    assert_string_equal(b + 19, "] 地址[address]");
    /* the same e-mail (any case) gets the same pseudonym */
    char *s2 = say(&k, id, "again ZHANG.SAN@example.com");
    assert_memory_equal(s2 + 6, e, 16);
    /* raw values are still in the vault only, and a reveal puts them back */
    char where[200];
    assert_false(db_contains(db, "13812345678", where, sizeof where));
    assert_false(db_contains(db, "zhang.san", where, sizeof where));
    assert_false(db_contains(db, "建国路88号", where, sizeof where));
    assert_int_equal(db_count(db, "SELECT COUNT(*) FROM pii_vault"), 5);
    long status;
    json_t *d = history(&k, id, "?reveal=pii", "Bearer " TOKEN_B, &status, NULL);
    assert_int_equal(status, 200);
    assert_string_equal(customer_text(d), msg);
    assert_int_equal(json_integer_value(json_object_get(d, "revealed")), 5);
    json_decref(d);
    /* the key came from the environment: no key file was made */
    struct stat st;
    assert_int_not_equal(stat(keyfile, &st), 0);
    free(s1);
    free(s2);
    assert_int_equal(th_stop(&k, SIGTERM), 0);
    th_rmdir(dir);
}

/* A key file of the wrong size or readable by others stops the start. */
static void test_bad_key_file_is_an_error(void **state)
{
    (void)state;
    char dir[256], db[300], log[300], keyfile[300], opt[340];
    th_tmpdir(dir);
    snprintf(db, sizeof db, "%s/kefu.db", dir);
    snprintf(log, sizeof log, "%s/kefu.log", dir);
    snprintf(keyfile, sizeof keyfile, "%s/short.key", dir);
    FILE *f = fopen(keyfile, "w");
    fputs("0123456789", f);
    fclose(f);
    chmod(keyfile, 0600);
    snprintf(opt, sizeof opt, "privacy.key_file=%s", keyfile);
    const char *extra[] = {"--set", opt, NULL};
    struct kefu_proc k;
    assert_int_not_equal(th_start_log(&k, db, extra, log), 0);
    assert_true(file_contains(log, "privacy.key_file"));
    assert_true(file_contains(log, "10 bytes"));
    chmod(keyfile, 0644);
    assert_int_not_equal(th_start_log(&k, db, extra, log), 0);
    assert_true(file_contains(log, "chmod 600"));
    th_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_are_stored_masked),
        cmocka_unit_test(test_reveal_needs_the_token),
        cmocka_unit_test(test_raw_pii_is_nowhere),
        cmocka_unit_test(test_key_survives_restart),
        cmocka_unit_test(test_policies_redact_and_hash),
        cmocka_unit_test(test_bad_key_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
