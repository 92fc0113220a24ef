/*
 * unit/data/group_commit.c — turns committed concurrently share transactions
 * (group commit in src/data/sqlite/sqlite_store.c) without mixing their
 * fates: every good turn is stored with its own ids, a turn for an unknown
 * conversation fails alone, and nothing of a failed turn is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "kefu/log.h"
#include "kefu/store.h"

#define THREADS 8
#define TURNS 40

struct worker {
    struct kf_store *st;
    const char *conv;
    int bad_every; /* every Nth turn targets a missing conversation */
    int ok, failed, wrong_code;
    long long ids[TURNS * 2];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < TURNS; i++) {
        int bad = w->bad_every && i % w->bad_every == 0;
        char text[64];
        snprintf(text, sizeof text, "turn %d of %p", i, (void *)w);
        struct kf_message m[2] = {
            {.role = "customer", .text = text, .lang = "en", .kind = ""},
            {.role = "bot", .text = "reply", .lang = "en", .kind = "faq"},
        };
        struct kf_turn_write t = {.conversation_id = bad ? "ffffffffffffffffffffffffffffffff"
                                                         : w->conv,
                                  .msgs = m,
                                  .n = 2};
        struct kf_err err = {0};
        int rc = kf_store_turn_commit(w->st, &t, &err);
        if (bad) {
            w->failed += rc != KF_OK;
            w->wrong_code += rc != KF_ENOTFOUND;
            if (m[0].id != 0 || m[1].id != 0)
                w->wrong_code++;
        } else if (rc == KF_OK && m[0].id > 0 && m[1].id == m[0].id + 1) {
            w->ids[w->ok * 2] = m[0].id;
            w->ids[w->ok * 2 + 1] = m[1].id;
            w->ok++;
        }
    }
    return NULL;
}

static void test_concurrent_turns(void **state)
{
    (void)state;
    char dir[] = "/tmp/kefu-gc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct kf_store_params p = kf_store_default_params();
    p.path = path;
    p.pool_size = THREADS;
    struct kf_store *st;
    struct kf_err err = {0};
    assert_int_equal(kf_store_open(p, &st, &err), KF_OK);
    assert_int_equal(kf_store_migrate(st, NULL, &err), KF_OK);
    long long cust;
    assert_int_equal(kf_store_customer_resolve(st, "api", NULL, NULL, &cust, &err), KF_OK);
    struct kf_conversation c = {.customer_id = cust, .created_at = kf_time_now_ms()};
    snprintf(c.id, sizeof c.id, "0123456789abcdef0123456789abcdef");
    snprintf(c.channel, sizeof c.channel, "api");
    snprintf(c.lang, sizeof c.lang, "en");
    snprintf(c.status, sizeof c.status, "open");
    assert_int_equal(kf_store_conversation_create(st, &c, &err), KF_OK);

    static struct worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].st = st;
        w[i].conv = c.id;
        w[i].bad_every = i % 2 ? 5 : 0;
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    int good = 0, bad = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        good += w[i].ok;
        bad += w[i].failed;
        assert_int_equal(w[i].wrong_code, 0);
    }
    int want_bad = (THREADS / 2) * (TURNS / 5);
    assert_int_equal(bad, want_bad);
    assert_int_equal(good, THREADS * TURNS - want_bad);
    /* ids are unique across threads */
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < w[i].ok * 2; k++)
            for (int j = i + 1; j < THREADS; j++)
                for (int l = 0; l < w[j].ok * 2; l++)
                    assert_true(w[i].ids[k] != w[j].ids[l]);

    /* the database holds exactly the good turns */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM messages", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), good * 2);
    sqlite3_finalize(q);
    sqlite3_close(db);
    kf_store_free(st);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_concurrent_turns)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
