/* unit/data/agent.c — tests for src/data/agent.c and sqlite_agent.c (agent.h), and the queue
 * rules a turn commit applies (store.h kf_turn_write: needs_human, the negative streak). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/agent.h"
#include "kefu/log.h"
#include "kefu/store.h"
#include "testutil.h"

struct fx {
    char dir[256];
    char path[300];
    struct kf_store *st;
    sqlite3 *db; /* a second connection: fixtures and checks */
    long long alice, bob;
    long long cust;
};

static long long fx_user(struct fx *f, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO users (username, role, password_hash, created_at, updated_at)"
             " VALUES ('%s', 'agent', 'x', 0, 0)",
             name);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
    return sqlite3_last_insert_rowid(f->db);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-agent");
    snprintf(f->path, sizeof f->path, "%s/kefu.db", f->dir);
    struct kf_store_params p = kf_store_default_params();
    p.path = f->path;
    p.synchronous_full = 0;
    struct kf_err err = {0};
    if (kf_store_open(p, &f->st, &err) != KF_OK || kf_store_migrate(f->st, NULL, &err) != KF_OK) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    if (sqlite3_open(f->path, &f->db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(f->db, 5000);
    f->alice = fx_user(f, "alice");
    f->bob = fx_user(f, "bob");
    if (kf_store_customer_resolve(f->st, "web", "c-1", "Ann", &f->cust, &err) != KF_OK)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    sqlite3_close(f->db);
    kf_store_free(f->st);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* A new open conversation of the fixture's customer (or of `cust`). */
static void new_conv(struct fx *f, long long cust, char id[KF_ID_LEN + 1])
{
    static int n;
    snprintf(id, KF_ID_LEN + 1, "%032x", ++n);
    struct kf_conversation c = {.customer_id = cust, .created_at = 1, .updated_at = 1};
    memcpy(c.id, id, KF_ID_LEN + 1);
    snprintf(c.channel, sizeof c.channel, "web");
    snprintf(c.lang, sizeof c.lang, "zh");
    snprintf(c.status, sizeof c.status, "open");
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_create(f->st, &c, &err), KF_OK);
}

/* One customer turn: step +1 negative, -1 other, 0 none; need: a reason or NULL (other than
 * low_confidence it hands off, as the engine does). */
static struct kf_turn_write turn(struct fx *f, const char *id, int step, const char *need,
                                 int churn)
{
    struct kf_message m = {.role = "customer", .text = "hi", .lang = "zh", .kind = ""};
    struct kf_turn_write w = {.conversation_id = id,
                              .msgs = &m,
                              .n = 1,
                              .sentiment_step = step,
                              .needs_human = need,
                              .churn_streak = churn};
    if (need != NULL && strcmp(need, "low_confidence") != 0) { /* as the engine hands off */
        w.handoff_reason = need;
        w.new_status = "handoff";
    }
    struct kf_err err = {0};
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), KF_OK);
    w.msgs = NULL;
    return w;
}

static long long col(struct fx *f, const char *sql)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &q, NULL), SQLITE_OK);
    long long v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return v;
}

static json_t *queue(struct fx *f)
{
    json_t *q;
    struct kf_err err = {0};
    assert_int_equal(kf_agent_queue(f->st, kf_time_now_ms(), &q, &err), KF_OK);
    return q;
}

static void test_handoff_queues(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, f->cust, id);
    struct kf_turn_write w = turn(f, id, 0, NULL, 3);
    assert_null(w.queued_out);
    json_t *q = queue(f);
    assert_int_equal(json_array_size(json_object_get(q, "items")), 0);
    json_decref(q);

    w = turn(f, id, 0, "customer_request", 3);
    assert_string_equal(w.queued_out, "customer_request");
    q = queue(f);
    json_t *it = json_array_get(json_object_get(q, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(it, "id")), id);
    assert_string_equal(json_string_value(json_object_get(it, "reason")), "customer_request");
    assert_int_equal(json_integer_value(json_object_get(it, "priority")), 2);
    assert_true(json_is_false(json_object_get(it, "vip")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(it, "customer"), "name")),
                        "Ann");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(it, "last_message"), "text")), "hi");
    assert_true(json_is_null(json_object_get(it, "assignee")));
    json_decref(q);

    /* a weaker reason does not replace a stronger one */
    w = turn(f, id, 0, "low_confidence", 3);
    assert_null(w.queued_out);
    struct kf_conversation c;
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_get(f->st, id, &c, &err), KF_OK);
    assert_string_equal(c.needs_human, "customer_request");
}

static void test_negative_streak(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, f->cust, id);
    assert_int_equal(turn(f, id, 1, NULL, 3).streak_out, 1);
    assert_int_equal(turn(f, id, -1, NULL, 3).streak_out, 0); /* another sentiment resets */
    assert_int_equal(turn(f, id, 1, NULL, 3).streak_out, 1);
    struct kf_turn_write w = turn(f, id, 1, NULL, 3);
    assert_int_equal(w.streak_out, 2);
    assert_null(w.queued_out);
    w = turn(f, id, 1, NULL, 3);
    assert_int_equal(w.streak_out, 3);
    assert_string_equal(w.queued_out, "negative_streak");
    assert_int_equal(turn(f, id, 0, NULL, 3).streak_out, 3); /* no sentiment: kept */
    /* 0 turns the alert off */
    char id2[KF_ID_LEN + 1];
    new_conv(f, f->cust, id2);
    for (int i = 0; i < 4; i++)
        assert_null(turn(f, id2, 1, NULL, 0).queued_out);
}

static void test_vip_priority(void **state)
{
    struct fx *f = *state;
    long long vip;
    struct kf_err err = {0};
    assert_int_equal(kf_store_customer_resolve(f->st, "web", "c-vip", "Vera", &vip, &err), KF_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE customers SET tier = 'vip' WHERE id = %lld", vip);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
    char plain[KF_ID_LEN + 1], v[KF_ID_LEN + 1];
    new_conv(f, f->cust, plain);
    new_conv(f, vip, v);
    turn(f, plain, 0, "customer_request", 3);
    assert_null(turn(f, v, 0, NULL, 3).queued_out); /* a VIP's ordinary message: no */
    assert_string_equal(turn(f, v, 1, NULL, 3).queued_out, "vip"); /* one negative: yes */
    json_t *q = queue(f);
    json_t *first = json_array_get(json_object_get(q, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), v);
    assert_int_equal(json_integer_value(json_object_get(first, "priority")), 0);
    assert_true(json_is_true(json_object_get(first, "vip")));
    json_decref(q);
}

static void test_takeover(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, f->cust, id);
    turn(f, id, 0, "customer_request", 3);
    struct kf_err err = {0};
    int changed = -1;
    struct kf_agent_act a = {.conversation_id = id, .user_id = f->alice};
    assert_int_equal(kf_agent_takeover(f->st, &a, &changed, &err), KF_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(kf_agent_takeover(f->st, &a, &changed, &err), KF_OK);
    assert_int_equal(changed, 0); /* one's own again */
    struct kf_agent_act b = {.conversation_id = id, .user_id = f->bob};
    assert_int_equal(kf_agent_takeover(f->st, &b, &changed, &err), KF_ECONFLICT);
    assert_non_null(strstr(err.msg, "alice"));
    b.force = 1;
    assert_int_equal(kf_agent_takeover(f->st, &b, &changed, &err), KF_OK);
    struct kf_conversation c;
    assert_int_equal(kf_store_conversation_get(f->st, id, &c, &err), KF_OK);
    assert_int_equal(c.assignee_id, f->bob);
    assert_string_equal(c.status, "handoff");
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handoff_requests WHERE conversation_id = '%s'"
             " AND status = 'taken'",
             id);
    assert_int_equal(col(f, sql), 1);
    json_t *one;
    assert_int_equal(kf_agent_conversation_get(f->st, id, 0, &one, &err), KF_OK);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(one, "assignee"), "username")), "bob");
    json_decref(one);
    /* an API key (user 0) cannot hold one; an unknown id is not found */
    struct kf_agent_act k = {.conversation_id = id};
    assert_int_equal(kf_agent_takeover(f->st, &k, &changed, &err), KF_EINVAL);
    struct kf_agent_act u = {.conversation_id = "0123456789abcdef0123456789abcdef",
                             .user_id = f->alice};
    assert_int_equal(kf_agent_takeover(f->st, &u, &changed, &err), KF_ENOTFOUND);
    u.conversation_id = "nope";
    assert_int_equal(kf_agent_takeover(f->st, &u, &changed, &err), KF_ENOTFOUND);
}

static void test_reply_note_handback_close(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, f->cust, id);
    struct kf_err err = {0};
    struct kf_message m = {.role = "agent", .text = "您好", .lang = "zh", .kind = ""};
    struct kf_agent_act a = {.conversation_id = id, .user_id = f->alice, .msg = &m};
    int took = 0;
    assert_int_equal(kf_agent_reply(f->st, &a, &took, &err), KF_OK);
    assert_int_equal(took, 1); /* nobody held it: the reply took it */
    assert_true(m.id > 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT first_agent_reply_at > 0 FROM conversations WHERE id = '%s'",
             id);
    assert_int_equal(col(f, sql), 1);
    /* bob may not reply to alice's conversation */
    struct kf_message mb = {.role = "agent", .text = "hi", .lang = "zh"};
    struct kf_agent_act b = {.conversation_id = id, .user_id = f->bob, .msg = &mb};
    assert_int_equal(kf_agent_reply(f->st, &b, &took, &err), KF_ECONFLICT);
    /* texts are checked */
    struct kf_message bad = {.role = "agent", .text = "  \n", .lang = "zh"};
    a.msg = &bad;
    assert_int_equal(kf_agent_reply(f->st, &a, &took, &err), KF_EINVAL);
    char *big = malloc(KF_AGENT_TEXT_MAX + 2);
    memset(big, 'a', KF_AGENT_TEXT_MAX + 1);
    big[KF_AGENT_TEXT_MAX + 1] = '\0';
    bad.text = big;
    assert_int_equal(kf_agent_reply(f->st, &a, &took, &err), KF_EINVAL);
    free(big);
    bad.text = "\xff\xfe";
    assert_int_equal(kf_agent_reply(f->st, &a, &took, &err), KF_EUTF8);
    /* a note: role system, kind note; never a last_message */
    struct kf_message note = {.role = "system", .kind = "note", .text = "vip soon", .lang = "zh"};
    struct kf_agent_act n = {.conversation_id = id, .user_id = f->bob, .msg = &note};
    assert_int_equal(kf_agent_note(f->st, &n, &err), KF_OK);
    json_t *one;
    assert_int_equal(kf_agent_conversation_get(f->st, id, 0, &one, &err), KF_OK);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(one, "last_message"), "role")), "agent");
    json_decref(one);
    /* hand back: open, nobody, off the queue */
    struct kf_message back = {.role = "system", .kind = "handback", .text = "back", .lang = "zh"};
    struct kf_agent_act h = {.conversation_id = id, .user_id = f->alice, .msg = &back};
    assert_int_equal(kf_agent_handback(f->st, &h, &err), KF_OK);
    struct kf_conversation c;
    assert_int_equal(kf_store_conversation_get(f->st, id, &c, &err), KF_OK);
    assert_int_equal(c.assignee_id, 0);
    assert_string_equal(c.status, "open");
    assert_string_equal(c.needs_human, "");
    /* close: a known resolution only; then no more replies, notes still */
    struct kf_agent_act cl = {.conversation_id = id, .user_id = f->alice};
    assert_int_equal(kf_agent_close(f->st, &cl, "fixed", &err), KF_EINVAL);
    assert_int_equal(kf_agent_close(f->st, &cl, "resolved", &err), KF_OK);
    snprintf(sql, sizeof sql,
             "SELECT resolution = 'resolved' AND closed_at > 0 FROM conversations WHERE id = '%s'",
             id);
    assert_int_equal(col(f, sql), 1);
    assert_int_equal(kf_agent_close(f->st, &cl, "resolved", &err), KF_ECONFLICT);
    m.id = 0;
    a.msg = &m;
    assert_int_equal(kf_agent_reply(f->st, &a, &took, &err), KF_ECONFLICT);
    assert_int_equal(m.id, 0);
    note.id = 0;
    assert_int_equal(kf_agent_note(f->st, &n, &err), KF_OK);
    /* the list: by status and assignee */
    struct kf_agent_filter flt = {.status = "closed", .limit = 10};
    json_t *l;
    assert_int_equal(kf_agent_conversations(f->st, &flt, 0, &l, &err), KF_OK);
    assert_int_equal(json_integer_value(json_object_get(l, "total")), 1);
    json_decref(l);
    flt.limit = 0;
    assert_int_equal(kf_agent_conversations(f->st, &flt, 0, &l, &err), KF_EINVAL);
    flt = (struct kf_agent_filter){.status = "gone", .limit = 5};
    assert_int_equal(kf_agent_conversations(f->st, &flt, 0, &l, &err), KF_EINVAL);
}

static void test_churn_ticket(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, f->cust, id);
    struct kf_err err = {0};
    long long t = -1;
    assert_int_equal(kf_agent_churn_ticket(f->st, id, &t, &err), KF_OK);
    assert_int_equal(t, 0);
    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO tickets (conversation_id, subject, category, priority, status,"
             " created_at, updated_at, due_at) VALUES ('%s', 's', 'churn_risk', 'high', 'open',"
             " 0, 0, 0)",
             id);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
    long long tid = sqlite3_last_insert_rowid(f->db);
    assert_int_equal(kf_agent_churn_ticket(f->st, id, &t, &err), KF_OK);
    assert_int_equal(t, tid);
    snprintf(sql, sizeof sql, "UPDATE tickets SET status = 'resolved' WHERE id = %lld", tid);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(kf_agent_churn_ticket(f->st, id, &t, &err), KF_OK);
    assert_int_equal(t, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handoff_queues, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_negative_streak, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_vip_priority, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_takeover, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reply_note_handback_close, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_churn_ticket, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
