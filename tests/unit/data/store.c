/* unit/data/store.c — tests for src/data (the store API over the SQLite backend). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "kefu/arena.h"
#include "kefu/log.h"
#include "kefu/store.h"

#define SCHEMA 6 /* the newest migration (src/data/sqlite/migrations.c) */

/* Each test gets a fresh temp folder with an opened, migrated store. */
struct fx {
    char dir[64];
    char path[128];
    struct kf_store *st;
    struct kf_arena *a;
    sqlite3 *db; /* a second, independent connection for checks */
};


static int open_store(struct fx *f, int sync_full)
{
    struct kf_store_params p = kf_store_default_params();
    p.path = f->path;
    p.synchronous_full = sync_full;
    p.pool_size = 4;
    struct kf_err err = {0};
    if (kf_store_open(p, &f->st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    int version = -1;
    if (kf_store_migrate(f->st, &version, &err) != 0 || version != SCHEMA) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kefu-unit-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    /* a folder that does not exist yet: the store creates it */
    snprintf(f->path, sizeof f->path, "%s/var/kefu.db", f->dir);
    f->a = kf_arena_new(0, 0);
    *state = f;
    if (open_store(f, 0) != 0)
        return -1;
    if (sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -1;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_store_free(f->st);
    kf_arena_free(f->a);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* One integer from SQL run on the checking connection. */
static long long sql_int(struct fx *f, const char *sql, const char *arg)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(f->db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(f->db));
    if (arg != NULL)
        sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static long long customer(struct fx *f, const char *channel, const char *ext)
{
    long long id = -1;
    struct kf_err err = {0};
    if (kf_store_customer_resolve(f->st, channel, ext, NULL, &id, &err) != 0)
        fail_msg("resolve: %s", err.msg);
    assert_true(id > 0);
    return id;
}

/* Create a conversation with id made of `c` repeated (32 hex chars). */
static struct kf_conversation conversation(struct fx *f, char c, long long cust, long long at)
{
    struct kf_conversation cv;
    memset(&cv, 0, sizeof cv);
    memset(cv.id, c, KF_ID_LEN);
    cv.id[KF_ID_LEN] = '\0';
    cv.customer_id = cust;
    snprintf(cv.channel, sizeof cv.channel, "web");
    snprintf(cv.lang, sizeof cv.lang, "zh");
    snprintf(cv.status, sizeof cv.status, "open");
    cv.created_at = cv.updated_at = at;
    struct kf_err err = {0};
    if (kf_store_conversation_create(f->st, &cv, &err) != 0)
        fail_msg("create: %s", err.msg);
    return cv;
}

static int commit(struct fx *f, const char *conv, struct kf_message *msgs, size_t n,
                  const char *status, const char *handoff, struct kf_err *err)
{
    struct kf_turn_write w = {.conversation_id = conv,
                              .msgs = msgs,
                              .n = n,
                              .new_status = status,
                              .handoff_reason = handoff};
    return kf_store_turn_commit(f->st, &w, err);
}

static void test_open_rejects_empty_path(void **state)
{
    (void)state;
    struct kf_store *st = (struct kf_store *)1;
    struct kf_err err = {0};
    struct kf_store_params p = kf_store_default_params();
    assert_string_equal(p.path, "var/kefu.db");
    assert_int_equal(p.synchronous_full, 1);
    assert_int_equal(p.pool_size, 4);
    p.path = "";
    assert_int_equal(kf_store_open(p, &st, &err), KF_EINVAL);
    assert_null(st);
    st = (struct kf_store *)1;
    p.path = NULL;
    assert_int_equal(kf_store_open(p, &st, &err), KF_EINVAL);
    assert_null(st);
    kf_store_free(NULL);
}

static void test_open_creates_folder_and_migrate_is_idempotent(void **state)
{
    struct fx *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    struct kf_err err = {0};
    int version = -1;
    assert_int_equal(kf_store_migrate(f->st, &version, &err), 0);
    assert_int_equal(version, SCHEMA);
    assert_int_equal(kf_store_migrate(f->st, NULL, &err), 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM schema_migrations", NULL), SCHEMA);
    assert_int_equal(sql_int(f, "SELECT MAX(version) FROM schema_migrations", NULL), SCHEMA);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM channels", NULL), 4);
    assert_int_equal(kf_store_ping(f->st, &err), 0);

    /* reopening an existing database: same version, nothing re-run */
    kf_store_free(f->st);
    f->st = NULL;
    assert_int_equal(open_store(f, 1), 0);
    version = -1;
    assert_int_equal(kf_store_migrate(f->st, &version, &err), 0);
    assert_int_equal(version, SCHEMA);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM schema_migrations", NULL), SCHEMA);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM channels", NULL), 4);
}

static void test_newer_schema_is_refused(void **state)
{
    struct fx *f = *state;
    sqlite3 *w = NULL;
    assert_int_equal(sqlite3_open(f->path, &w), SQLITE_OK);
    assert_int_equal(sqlite3_exec(w,
                                  "INSERT INTO schema_migrations (version, name, applied_at)"
                                  " VALUES (99, 'from the future', 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(w);
    struct kf_err err = {0};
    assert_int_equal(kf_store_migrate(f->st, NULL, &err), KF_ESTORE);
    assert_non_null(strstr(err.msg, "99"));
}

static void test_customer_resolve(void **state)
{
    struct fx *f = *state;
    long long a = customer(f, "web", "visitor-1");
    long long b = customer(f, "web", "visitor-1");
    long long c = customer(f, "web", "visitor-2");
    long long d = customer(f, "api", "visitor-1"); /* same id, other channel */
    assert_int_equal(a, b);
    assert_int_not_equal(a, c);
    assert_int_not_equal(a, d);
    assert_int_not_equal(c, d);
    /* anonymous: a new customer every time */
    long long n1 = customer(f, "web", NULL);
    long long n2 = customer(f, "web", NULL);
    assert_int_not_equal(n1, n2);
    assert_int_not_equal(n1, a);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customers", NULL), 5);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customer_identities", NULL), 3);

    /* the display name is stored */
    long long named = -1;
    struct kf_err err = {0};
    assert_int_equal(kf_store_customer_resolve(f->st, "cli", "me", "小王", &named, &err), 0);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM customers WHERE id = %lld AND name = ?1",
             named);
    assert_int_equal(sql_int(f, sql, "小王"), 1);

    /* unknown channel */
    long long x = 12345;
    assert_int_equal(kf_store_customer_resolve(f->st, "fax", "1", NULL, &x, &err), KF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "fax"));
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM customers", NULL), 6);
}

static void test_conversation_create_get_find(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "c1");
    struct kf_conversation a = conversation(f, 'a', cust, 1000);
    struct kf_conversation got;
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_get(f->st, a.id, &got, &err), 0);
    assert_string_equal(got.id, a.id);
    assert_int_equal(got.customer_id, cust);
    assert_string_equal(got.channel, "web");
    assert_string_equal(got.lang, "zh");
    assert_string_equal(got.status, "open");
    assert_int_equal(got.created_at, 1000);
    assert_int_equal(got.updated_at, 1000);

    /* find_open: the newest that is not closed */
    struct kf_conversation b = conversation(f, 'b', cust, 2000);
    assert_int_equal(kf_store_conversation_find_open(f->st, cust, "web", &got, &err), 0);
    assert_string_equal(got.id, b.id);
    struct kf_message m = {.role = "system", .text = "closed", .lang = "zh", .kind = "close"};
    assert_int_equal(commit(f, b.id, &m, 1, "closed", NULL, &err), 0);
    assert_int_equal(kf_store_conversation_get(f->st, b.id, &got, &err), 0);
    assert_string_equal(got.status, "closed");
    assert_int_equal(kf_store_conversation_find_open(f->st, cust, "web", &got, &err), 0);
    assert_string_equal(got.id, a.id);
    /* a conversation in handoff is still open for the customer */
    m = (struct kf_message){.role = "customer", .text = "人工", .lang = "zh", .kind = ""};
    assert_int_equal(commit(f, a.id, &m, 1, "handoff", NULL, &err), 0);
    assert_int_equal(kf_store_conversation_find_open(f->st, cust, "web", &got, &err), 0);
    assert_string_equal(got.id, a.id);
    assert_string_equal(got.status, "handoff");
    assert_true(got.updated_at > 2000); /* touched by the turn */

    /* not found */
    assert_int_equal(kf_store_conversation_find_open(f->st, cust, "api", &got, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_store_conversation_find_open(f->st, cust + 1000, "web", &got, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_store_conversation_get(f->st, "0123456789abcdef0123456789abcdef", &got,
                                               &err),
                     KF_ENOTFOUND);
    assert_int_equal(err.code, KF_ENOTFOUND);
    assert_int_equal(kf_store_conversation_get(f->st, "", &got, &err), KF_ENOTFOUND);

    /* the same id twice is refused */
    struct kf_conversation dup = a;
    assert_true(kf_store_conversation_create(f->st, &dup, &err) < 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM conversations", NULL), 2);
}

static void test_turn_commit_writes_messages(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "t1");
    struct kf_conversation cv = conversation(f, 'c', cust, 1000);
    struct kf_err err = {0};
    struct kf_message msgs[3] = {
        {.role = "customer", .text = "退货运费谁出?", .lang = "zh", .kind = ""},
        {.role = "bot", .text = "无理由退货的寄回运费由你承担", .lang = "zh", .kind = "faq",
         .meta_json = "{\"faq_id\":\"returns.return_shipping_fee\"}"},
        {.role = "bot", .text = "还有什么可以帮您?", .lang = "zh", .kind = "faq",
         .created_at = 42},
    };
    long long before = kf_time_now_ms();
    assert_int_equal(commit(f, cv.id, msgs, 3, NULL, NULL, &err), 0);
    long long after = kf_time_now_ms();
    assert_true(msgs[0].id > 0);
    assert_true(msgs[1].id > msgs[0].id);
    assert_true(msgs[2].id > msgs[1].id);
    assert_true(msgs[0].created_at >= before && msgs[0].created_at <= after);
    assert_int_equal(msgs[1].created_at, msgs[0].created_at);
    assert_int_equal(msgs[2].created_at, 42); /* given: kept */

    /* a later turn gets larger ids and a created_at not before the first */
    struct kf_message next = {.role = "customer", .text = "谢谢", .lang = "zh", .kind = ""};
    assert_int_equal(commit(f, cv.id, &next, 1, NULL, NULL, &err), 0);
    assert_true(next.id > msgs[2].id);
    assert_true(next.created_at >= msgs[0].created_at);

    struct kf_message *out = NULL;
    size_t n = 0;
    int more = -1;
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 10, f->a, &out, &n, &more, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(more, 0);
    assert_int_equal(out[0].id, msgs[0].id);
    assert_string_equal(out[0].role, "customer");
    assert_string_equal(out[0].text, "退货运费谁出?");
    assert_string_equal(out[0].lang, "zh");
    assert_string_equal(out[0].kind, "");
    assert_null(out[0].meta_json);
    assert_int_equal(out[0].created_at, msgs[0].created_at);
    assert_string_equal(out[1].role, "bot");
    assert_string_equal(out[1].kind, "faq");
    assert_string_equal(out[1].meta_json, "{\"faq_id\":\"returns.return_shipping_fee\"}");
    assert_int_equal(out[2].created_at, 42);
    assert_string_equal(out[3].text, "谢谢");
    /* no handoff was asked for */
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM handoff_requests", NULL), 0);
    struct kf_conversation got;
    assert_int_equal(kf_store_conversation_get(f->st, cv.id, &got, &err), 0);
    assert_string_equal(got.status, "open");
}

static void test_handoff_reason_inserts_a_request(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "h1");
    struct kf_conversation cv = conversation(f, 'd', cust, 1000);
    struct kf_err err = {0};
    struct kf_message msgs[2] = {
        {.role = "customer", .text = "我要转人工", .lang = "zh", .kind = ""},
        {.role = "bot", .text = "好的,已为您转接人工客服", .lang = "zh", .kind = "handoff"},
    };
    assert_int_equal(commit(f, cv.id, msgs, 2, "handoff", "customer_request", &err), 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM handoff_requests", NULL), 1);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM handoff_requests WHERE conversation_id = ?1"
                                " AND reason = 'customer_request' AND status = 'pending'",
                             cv.id),
                     1);
    assert_int_equal(sql_int(f, "SELECT message_id FROM handoff_requests", NULL), msgs[0].id);
    assert_true(sql_int(f, "SELECT created_at FROM handoff_requests", NULL) > 0);
    struct kf_conversation got;
    assert_int_equal(kf_store_conversation_get(f->st, cv.id, &got, &err), 0);
    assert_string_equal(got.status, "handoff");
}

static void test_messages_list_paging(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "api", "p1");
    struct kf_conversation cv = conversation(f, 'e', cust, 1000);
    struct kf_conversation other = conversation(f, 'f', cust, 1000);
    struct kf_err err = {0};
    long long ids[25];
    for (int i = 0; i < 25; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%02d", i);
        struct kf_message m = {.role = i % 2 ? "bot" : "customer", .text = text, .lang = "en",
                               .kind = ""};
        assert_int_equal(commit(f, cv.id, &m, 1, NULL, NULL, &err), 0);
        ids[i] = m.id;
        /* interleave another conversation's messages */
        struct kf_message o = {.role = "customer", .text = "other", .lang = "en", .kind = ""};
        assert_int_equal(commit(f, other.id, &o, 1, NULL, NULL, &err), 0);
    }
    struct kf_message *page;
    size_t n;
    int more;
    /* newest 10, oldest first */
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 10, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 10);
    assert_int_equal(more, 1);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(page[i].id, ids[15 + i]);
        char text[16];
        snprintf(text, sizeof text, "m%02d", 15 + i);
        assert_string_equal(page[i].text, text);
    }
    /* the page before */
    assert_int_equal(
        kf_store_messages_list(f->st, cv.id, page[0].id, 10, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 10);
    assert_int_equal(more, 1);
    assert_int_equal(page[0].id, ids[5]);
    assert_int_equal(page[9].id, ids[14]);
    /* the last page: 5 left, no more */
    assert_int_equal(
        kf_store_messages_list(f->st, cv.id, page[0].id, 10, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(more, 0);
    assert_int_equal(page[0].id, ids[0]);
    assert_int_equal(page[4].id, ids[4]);
    /* before the first message: nothing */
    assert_int_equal(
        kf_store_messages_list(f->st, cv.id, ids[0], 10, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(more, 0);
    /* an exact fit: limit 25 gets everything and no "more" */
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 25, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 25);
    assert_int_equal(more, 0);
    assert_int_equal(page[0].id, ids[0]);
    assert_int_equal(page[24].id, ids[24]);
    /* limit 1 */
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 1, f->a, &page, &n, &more, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(more, 1);
    assert_int_equal(page[0].id, ids[24]);
    /* limits out of range */
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 0, f->a, &page, &n, &more, &err),
                     KF_EINVAL);
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 1001, f->a, &page, &n, &more, &err),
                     KF_EINVAL);
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, -5, f->a, &page, &n, &more, &err),
                     KF_EINVAL);
}

static void test_turn_for_unknown_conversation_writes_nothing(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "u1");
    struct kf_conversation cv = conversation(f, 'a', cust, 1000);
    struct kf_err err = {0};
    struct kf_message m = {.role = "customer", .text = "hi", .lang = "en", .kind = ""};
    assert_int_equal(commit(f, cv.id, &m, 1, NULL, NULL, &err), 0);
    long long count = sql_int(f, "SELECT COUNT(*) FROM messages", NULL);
    long long max_id = sql_int(f, "SELECT MAX(id) FROM messages", NULL);
    assert_int_equal(count, 1);

    struct kf_message msgs[2] = {
        {.role = "customer", .text = "hello?", .lang = "en", .kind = ""},
        {.role = "bot", .text = "hi", .lang = "en", .kind = "faq"},
    };
    int rc = commit(f, "ffffffffffffffffffffffffffffffff", msgs, 2, "handoff", "customer_request",
                    &err);
    assert_true(rc < 0);
    assert_int_equal(err.code, rc);
    assert_int_equal(msgs[0].id, 0);
    assert_int_equal(msgs[1].id, 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages", NULL), count);
    assert_int_equal(sql_int(f, "SELECT MAX(id) FROM messages", NULL), max_id);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM handoff_requests", NULL), 0);

    /* the store still works afterwards */
    struct kf_message again = {.role = "customer", .text = "still here", .lang = "en", .kind = ""};
    assert_int_equal(commit(f, cv.id, &again, 1, NULL, NULL, &err), 0);
    assert_true(again.id > max_id);
}

static void test_turn_is_all_or_nothing(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "a1");
    struct kf_conversation cv = conversation(f, 'b', cust, 1000);
    struct kf_err err = {0};
    /* the second message breaks a constraint (role): the first must not stay */
    struct kf_message msgs[2] = {
        {.role = "customer", .text = "ok", .lang = "en", .kind = ""},
        {.role = "robot", .text = "bad role", .lang = "en", .kind = ""},
    };
    assert_true(commit(f, cv.id, msgs, 2, "handoff", "customer_request", &err) < 0);
    assert_int_equal(msgs[0].id, 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages", NULL), 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM handoff_requests", NULL), 0);
    struct kf_conversation got;
    assert_int_equal(kf_store_conversation_get(f->st, cv.id, &got, &err), 0);
    assert_string_equal(got.status, "open");
    assert_int_equal(got.updated_at, 1000);
    /* a bad status is refused the same way */
    struct kf_message m = {.role = "customer", .text = "ok", .lang = "en", .kind = ""};
    assert_true(commit(f, cv.id, &m, 1, "deleted", NULL, &err) < 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages", NULL), 0);
}

/* Vault items are written with their messages, in the same transaction, and
 * listed back per message range. */
static void test_turn_writes_vault_items(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "v1");
    struct kf_conversation cv = conversation(f, '1', cust, 1000);
    struct kf_conversation other = conversation(f, '2', cust, 1000);
    struct kf_err err = {0};
    static const unsigned char nonce[24] = {1, 2, 3};
    static const unsigned char ct[20] = {9, 8, 7, 0, 6}; /* bytes, with a NUL inside */
    struct kf_message msgs[2] = {
        {.role = "customer", .text = "电话138****5678 邮箱 z***@x.cn", .lang = "zh", .kind = ""},
        {.role = "bot", .text = "好的", .lang = "zh", .kind = "faq"},
    };
    struct kf_vault_item v[2] = {
        {.msg = 0, .type = "phone", .start = 6, .end = 17, .nonce = nonce, .nonce_len = 24,
         .ciphertext = ct, .ciphertext_len = 20, .key_id = "0123456789abcdef"},
        {.msg = 0, .type = "email", .start = 25, .end = 34, .nonce = nonce, .nonce_len = 24,
         .ciphertext = ct, .ciphertext_len = 11, .key_id = "0123456789abcdef"},
    };
    struct kf_turn_write w = {.conversation_id = cv.id, .msgs = msgs, .n = 2, .vault = v,
                              .nvault = 2};
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM pii_vault", NULL), 2);
    char q[128];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM pii_vault WHERE message_id = %lld", msgs[0].id);
    assert_int_equal(sql_int(f, q, NULL), 2);
    /* another conversation's message in between */
    struct kf_message o = {.role = "customer", .text = "x", .lang = "zh", .kind = ""};
    struct kf_vault_item ov = v[0];
    struct kf_turn_write ow = {.conversation_id = other.id, .msgs = &o, .n = 1, .vault = &ov,
                               .nvault = 1};
    assert_int_equal(kf_store_turn_commit(f->st, &ow, &err), 0);

    struct kf_vault_item *got;
    size_t n;
    assert_int_equal(
        kf_store_vault_list(f->st, cv.id, msgs[0].id, o.id, f->a, &got, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].message_id, msgs[0].id);
    assert_string_equal(got[0].type, "phone");
    assert_int_equal(got[0].start, 6);
    assert_int_equal(got[0].end, 17);
    assert_int_equal(got[0].nonce_len, 24);
    assert_memory_equal(got[0].nonce, nonce, 24);
    assert_int_equal(got[0].ciphertext_len, 20);
    assert_memory_equal(got[0].ciphertext, ct, 20);
    assert_string_equal(got[0].key_id, "0123456789abcdef");
    assert_string_equal(got[1].type, "email");
    assert_int_equal(got[1].ciphertext_len, 11);
    /* an empty or reversed range: nothing */
    assert_int_equal(kf_store_vault_list(f->st, cv.id, msgs[1].id, msgs[1].id, f->a, &got, &n,
                                         &err),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(kf_store_vault_list(f->st, cv.id, 10, 1, f->a, &got, &n, &err), 0);
    assert_int_equal(n, 0);

    /* a failing turn leaves no vault rows; a malformed item is refused */
    struct kf_message bad[1] = {{.role = "robot", .text = "x", .lang = "zh", .kind = ""}};
    struct kf_turn_write bw = {.conversation_id = cv.id, .msgs = bad, .n = 1, .vault = v,
                               .nvault = 1};
    assert_true(kf_store_turn_commit(f->st, &bw, &err) < 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM pii_vault", NULL), 3);
    struct kf_vault_item wrong = v[0];
    wrong.msg = 5;
    struct kf_message m = {.role = "customer", .text = "x", .lang = "zh", .kind = ""};
    struct kf_turn_write ww = {.conversation_id = cv.id, .msgs = &m, .n = 1, .vault = &wrong,
                               .nvault = 1};
    assert_int_equal(kf_store_turn_commit(f->st, &ww, &err), KF_EINVAL);
    wrong = v[0];
    wrong.type = "passport"; /* the schema knows the types */
    ww.vault = &wrong;
    assert_true(kf_store_turn_commit(f->st, &ww, &err) < 0);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM pii_vault", NULL), 3);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages WHERE text = 'x'", NULL), 1);
}

static void test_turn_argument_errors(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "e1");
    struct kf_conversation cv = conversation(f, 'c', cust, 1000);
    struct kf_err err = {0};
    struct kf_message m = {.role = "customer", .text = "x", .lang = "en", .kind = ""};
    assert_int_equal(commit(f, cv.id, &m, 0, NULL, NULL, &err), KF_EINVAL);
    assert_int_equal(commit(f, NULL, &m, 1, NULL, NULL, &err), KF_EINVAL);
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages", NULL), 0);
}

static void test_data_survives_reopen(void **state)
{
    struct fx *f = *state;
    long long cust = customer(f, "web", "r1");
    struct kf_conversation cv = conversation(f, 'd', cust, 1000);
    struct kf_err err = {0};
    struct kf_message m = {.role = "customer", .text = "持久", .lang = "zh", .kind = ""};
    assert_int_equal(commit(f, cv.id, &m, 1, NULL, NULL, &err), 0);
    kf_store_free(f->st);
    f->st = NULL;
    assert_int_equal(open_store(f, 1), 0);
    struct kf_message *out;
    size_t n;
    int more;
    assert_int_equal(kf_store_messages_list(f->st, cv.id, 0, 5, f->a, &out, &n, &more, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].text, "持久");
    assert_int_equal(out[0].id, m.id);
    assert_int_equal(customer(f, "web", "r1"), cust);
}

struct worker {
    struct fx *f;
    char conv[KF_ID_LEN + 1];
    int failures;
    long long last_id;
    int ordered;
};

static void *turns(void *p)
{
    struct worker *w = p;
    w->ordered = 1;
    for (int i = 0; i < 25; i++) {
        struct kf_message m[2] = {
            {.role = "customer", .text = "q", .lang = "en", .kind = ""},
            {.role = "bot", .text = "a", .lang = "en", .kind = "faq"},
        };
        struct kf_turn_write t = {.conversation_id = w->conv, .msgs = m, .n = 2};
        struct kf_err err;
        if (kf_store_turn_commit(w->f->st, &t, &err) != 0) {
            w->failures++;
            continue;
        }
        if (!(m[0].id > w->last_id && m[1].id == m[0].id + 1))
            w->ordered = 0;
        w->last_id = m[1].id;
    }
    return NULL;
}

static void test_concurrent_turns(void **state)
{
    struct fx *f = *state;
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        long long cust = customer(f, "api", NULL);
        struct kf_conversation cv = conversation(f, (char)('1' + i), cust, 1000);
        w[i] = (struct worker){.f = f};
        memcpy(w[i].conv, cv.id, sizeof w[i].conv);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, turns, &w[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_true(w[i].ordered);
        assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?1",
                                 w[i].conv),
                         50);
    }
    assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM messages", NULL), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_rejects_empty_path),
        cmocka_unit_test_setup_teardown(test_open_creates_folder_and_migrate_is_idempotent,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_customer_resolve, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_conversation_create_get_find, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turn_commit_writes_messages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_handoff_reason_inserts_a_request, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_messages_list_paging, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turn_for_unknown_conversation_writes_nothing,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turn_is_all_or_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turn_writes_vault_items, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_turn_argument_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_survives_reopen, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_turns, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
