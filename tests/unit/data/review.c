/* unit/data/review.c — tests for src/data/review.c and sqlite_review.c (review.h): CSAT once
 * per closed conversation, the customer ending a conversation, the CSAT report, intent
 * corrections (one per message), decisions and the export for retraining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kefu/review.h"
#include "kefu/store.h"

#define DAY_MS 86400000LL
#define T0 1795564800000LL /* 2026-11-25T00:00:00Z */

struct fx {
    char dir[256];
    char path[300];
    struct kf_store *st;
    sqlite3 *db; /* a second connection: fixtures and checks */
    long long cust;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    tu_tmpdir(f->dir, "unit-review");
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
    if (kf_store_customer_resolve(f->st, "web", "c-1", NULL, &f->cust, &err) != KF_OK)
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

static void sql(struct fx *f, const char *s)
{
    char *msg = NULL;
    if (sqlite3_exec(f->db, s, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", s, msg);
}

static long long col(struct fx *f, const char *s)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(f->db, s, -1, &q, NULL), SQLITE_OK);
    long long v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return v;
}

static void new_conv(struct fx *f, char id[KF_ID_LEN + 1], const char *status)
{
    static int n;
    snprintf(id, KF_ID_LEN + 1, "%032x", ++n);
    struct kf_conversation c = {.customer_id = f->cust, .created_at = 1, .updated_at = 1};
    memcpy(c.id, id, KF_ID_LEN + 1);
    snprintf(c.channel, sizeof c.channel, "web");
    snprintf(c.lang, sizeof c.lang, "zh");
    snprintf(c.status, sizeof c.status, "%s", status);
    struct kf_err err = {0};
    assert_int_equal(kf_store_conversation_create(f->st, &c, &err), KF_OK);
}

/* A customer message with the intent the model predicted; its id. */
static long long say(struct fx *f, const char *conv, const char *text, const char *lang,
                     const char *intent)
{
    struct kf_message m[2] = {{.role = "customer", .text = text, .lang = lang, .kind = ""},
                              {.role = "bot", .text = "ok", .lang = lang, .kind = "faq"}};
    struct kf_turn_record rec = {.intent = intent, .intent_confidence = 0.6};
    struct kf_turn_write w = {.conversation_id = conv, .msgs = m, .n = 2, .record = &rec};
    struct kf_err err = {0};
    assert_int_equal(kf_store_turn_commit(f->st, &w, &err), KF_OK);
    return m[0].id;
}

static int rate(struct fx *f, const char *conv, int score, const char *comment, long long now,
                long long *review_id, struct kf_err *err)
{
    struct kf_csat c = {.conversation_id = conv,
                        .score = score,
                        .comment = comment,
                        .review_below = 3,
                        .now_ms = now};
    return kf_review_csat_add(f->st, &c, review_id, err);
}

static void test_csat_once_after_close(void **state)
{
    struct fx *f = *state;
    char open[KF_ID_LEN + 1], closed[KF_ID_LEN + 1];
    new_conv(f, open, "open");
    new_conv(f, closed, "closed");
    sql(f, "INSERT INTO users (username, role, password_hash, created_at, updated_at)"
           " VALUES ('alice', 'agent', 'x', 0, 0)");
    char s[256];
    snprintf(s, sizeof s, "UPDATE conversations SET assignee_id = 1 WHERE id = '%s'", closed);
    sql(f, s);
    struct kf_err err = {0};
    long long rid = -1;
    /* open: not yet */
    assert_int_equal(rate(f, open, 5, NULL, T0, &rid, &err), KF_ECONFLICT);
    assert_non_null(strstr(err.msg, "open"));
    /* closed: once, with the agent of record; a 4 queues nothing */
    assert_int_equal(rate(f, closed, 4, "", T0, &rid, &err), KF_OK);
    assert_int_equal(rid, 0);
    snprintf(s, sizeof s, "SELECT agent_id FROM csat WHERE conversation_id = '%s'", closed);
    assert_int_equal(col(f, s), 1);
    snprintf(s, sizeof s, "SELECT comment IS NULL FROM csat WHERE conversation_id = '%s'", closed);
    assert_int_equal(col(f, s), 1);
    assert_int_equal(rate(f, closed, 1, NULL, T0, &rid, &err), KF_ECONFLICT);
    assert_non_null(strstr(err.msg, "already"));
    assert_int_equal(col(f, "SELECT count(*) FROM csat"), 1);
    /* bad input */
    assert_int_equal(rate(f, open, 0, NULL, T0, &rid, &err), KF_EINVAL);
    assert_int_equal(rate(f, open, 6, NULL, T0, &rid, &err), KF_EINVAL);
    char big[KF_CSAT_COMMENT_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rate(f, closed, 3, big, T0, &rid, &err), KF_EINVAL);
    assert_int_equal(rate(f, "nope", 3, NULL, T0, &rid, &err), KF_ENOTFOUND);
    assert_int_equal(rate(f, "00000000000000000000000000000fff", 3, NULL, T0, &rid, &err),
                     KF_ENOTFOUND);
}

static void test_end_then_low_score_is_reviewed(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, id, "open");
    int changed = 0;
    json_t *conv = NULL;
    struct kf_err err = {0};
    assert_int_equal(kf_review_conversation_end(f->st, id, T0, &changed, &conv, &err), KF_OK);
    assert_int_equal(changed, 1);
    assert_string_equal(json_string_value(json_object_get(conv, "status")), "closed");
    assert_string_equal(json_string_value(json_object_get(conv, "resolution")), "customer_ended");
    assert_int_equal(json_integer_value(json_object_get(conv, "closed_at")), T0);
    json_decref(conv);
    /* ending again changes nothing */
    assert_int_equal(kf_review_conversation_end(f->st, id, T0 + 5, &changed, &conv, &err), KF_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(json_integer_value(json_object_get(conv, "closed_at")), T0);
    json_decref(conv);
    assert_int_equal(kf_review_conversation_end(f->st, "00000000000000000000000000000fff", T0,
                                                &changed, &conv, &err),
                     KF_ENOTFOUND);
    /* 2 < review_below 3: a low_csat item */
    long long rid = 0;
    assert_int_equal(rate(f, id, 2, "slow", T0, &rid, &err), KF_OK);
    assert_true(rid > 0);
    json_t *list = NULL;
    struct kf_review_query q = {.status = "pending", .kind = KF_REVIEW_LOW_CSAT};
    assert_int_equal(kf_review_list(f->st, &q, &list, &err), KF_OK);
    json_t *items = json_object_get(list, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_int_equal(json_integer_value(json_object_get(it, "id")), rid);
    assert_int_equal(json_integer_value(json_object_get(it, "score")), 2);
    assert_string_equal(json_string_value(json_object_get(it, "comment")), "slow");
    assert_string_equal(json_string_value(json_object_get(it, "conversation_id")), id);
    json_decref(list);
    /* a low_csat item has no intent to override */
    assert_int_equal(kf_review_decide(f->st, rid, "approved", "greet", "sup", T0, NULL, &err),
                     KF_EINVAL);
    assert_int_equal(kf_review_decide(f->st, rid, "rejected", NULL, "sup", T0, NULL, &err), KF_OK);
}

static void test_csat_report_buckets(void **state)
{
    struct fx *f = *state;
    struct kf_err err = {0};
    int scores[] = {5, 4, 1, 5, 3};
    long long at[] = {T0 + 1000, T0 + 2000, T0 + DAY_MS + 5, T0 + DAY_MS + 6, T0 + 3 * DAY_MS};
    for (size_t i = 0; i < 5; i++) {
        char id[KF_ID_LEN + 1];
        new_conv(f, id, "closed");
        assert_int_equal(rate(f, id, scores[i], NULL, at[i], NULL, &err), KF_OK);
    }
    json_t *doc = NULL;
    assert_int_equal(kf_review_csat_report(f->st, T0, T0 + 2 * DAY_MS, "day", 0, &doc, &err),
                     KF_OK);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 4);
    assert_true(json_real_value(json_object_get(doc, "average")) == 15.0 / 4);
    json_t *series = json_object_get(doc, "series");
    assert_int_equal(json_array_size(series), 2);
    json_t *d1 = json_array_get(series, 0), *d2 = json_array_get(series, 1);
    assert_string_equal(json_string_value(json_object_get(d1, "bucket")), "2026-11-25");
    assert_string_equal(json_string_value(json_object_get(d2, "bucket")), "2026-11-26");
    assert_true(json_real_value(json_object_get(d1, "average")) == 4.5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d2, "distribution"), "1")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d2, "distribution"), "5")),
                     1);
    json_decref(doc);
    /* by month (in a zone 8 h east): one bucket for all five */
    assert_int_equal(kf_review_csat_report(f->st, 0, 0, "month", 480, &doc, &err), KF_OK);
    assert_int_equal(json_array_size(json_object_get(doc, "series")), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 5);
    json_decref(doc);
    assert_int_equal(kf_review_csat_report(f->st, 0, 0, "year", 0, &doc, &err), KF_EINVAL);
    assert_int_equal(kf_review_csat_report(f->st, 10, 5, "day", 0, &doc, &err), KF_EINVAL);
    /* none: average null */
    assert_int_equal(kf_review_csat_report(f->st, 1, 2, "week", 0, &doc, &err), KF_OK);
    assert_true(json_is_null(json_object_get(doc, "average")));
    json_decref(doc);
}

static void test_corrections_decide_export(void **state)
{
    struct fx *f = *state;
    char id[KF_ID_LEN + 1];
    new_conv(f, id, "open");
    long long m1 = say(f, id, "快递怎么还没到", "zh", "delivery_time");
    long long m2 = say(f, id, "where is my stuff", "en", "chitchat");
    struct kf_err err = {0};
    long long c1 = 0, c2 = 0, again = 0;
    int updated = -1;
    assert_int_equal(
        kf_review_correct_intent(f->st, m1, "track_order", "alice", T0, &c1, &updated, &err),
        KF_OK);
    assert_int_equal(updated, 0);
    /* the same message again: the one item, updated, pending again */
    assert_int_equal(kf_review_decide(f->st, c1, "rejected", NULL, "sup", T0, NULL, &err), KF_OK);
    assert_int_equal(
        kf_review_correct_intent(f->st, m1, "complaint", "bob", T0 + 1, &again, &updated, &err),
        KF_OK);
    assert_int_equal(again, c1);
    assert_int_equal(updated, 1);
    assert_int_equal(col(f, "SELECT count(*) FROM review_items WHERE kind = 'intent_correction'"),
                     1);
    assert_int_equal(
        kf_review_correct_intent(f->st, m2, "track_order", "alice", T0, &c2, NULL, &err), KF_OK);
    /* errors: no message, a bot's message, a bad name */
    long long x;
    assert_int_equal(kf_review_correct_intent(f->st, 999999, "greet", "a", T0, &x, NULL, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_review_correct_intent(f->st, m1 + 1, "greet", "a", T0, &x, NULL, &err),
                     KF_EINVAL);
    assert_int_equal(kf_review_correct_intent(f->st, m1, "no spaces", "a", T0, &x, NULL, &err),
                     KF_EINVAL);
    assert_int_equal(kf_review_correct_intent(f->st, m1, "greet", "", T0, &x, NULL, &err),
                     KF_EINVAL);

    json_t *list = NULL;
    struct kf_review_query q = {
        .status = "pending", .kind = KF_REVIEW_INTENT_CORRECTION, .limit = 1};
    assert_int_equal(kf_review_list(f->st, &q, &list, &err), KF_OK);
    json_t *it = json_array_get(json_object_get(list, "items"), 0);
    assert_true(json_is_true(json_object_get(list, "more")));
    assert_string_equal(json_string_value(json_object_get(it, "predicted_intent")),
                        "delivery_time");
    assert_string_equal(json_string_value(json_object_get(it, "corrected_intent")), "complaint");
    assert_string_equal(json_string_value(json_object_get(it, "created_by")), "bob");
    assert_true(json_is_null(json_object_get(it, "reviewed_by")));
    assert_string_equal(json_string_value(json_object_get(it, "text")), "快递怎么还没到");
    json_decref(list);
    q.limit = 0;
    q.status = "bogus";
    assert_int_equal(kf_review_list(f->st, &q, &list, &err), KF_EINVAL);

    /* nothing approved: an empty export */
    json_t *ex = NULL;
    assert_int_equal(kf_review_export(f->st, NULL, &ex, &err), KF_OK);
    assert_int_equal(json_array_size(ex), 0);
    json_decref(ex);
    /* approve with an override; approve the other */
    json_t *item = NULL;
    assert_int_equal(
        kf_review_decide(f->st, c1, "approved", "track_order", "sup", T0 + 2, &item, &err), KF_OK);
    assert_string_equal(json_string_value(json_object_get(item, "corrected_intent")),
                        "track_order");
    assert_string_equal(json_string_value(json_object_get(item, "reviewed_by")), "sup");
    assert_int_equal(json_integer_value(json_object_get(item, "reviewed_at")), T0 + 2);
    json_decref(item);
    assert_int_equal(kf_review_decide(f->st, c2, "approved", NULL, "sup", T0, NULL, &err), KF_OK);
    assert_int_equal(kf_review_decide(f->st, c2, "pending", NULL, "sup", T0, NULL, &err),
                     KF_EINVAL);
    assert_int_equal(kf_review_decide(f->st, 999999, "approved", NULL, "sup", T0, NULL, &err),
                     KF_ENOTFOUND);
    assert_int_equal(kf_review_export(f->st, NULL, &ex, &err), KF_OK);
    assert_int_equal(json_array_size(ex), 2);
    json_decref(ex);
    assert_int_equal(kf_review_export(f->st, "en", &ex, &err), KF_OK);
    assert_int_equal(json_array_size(ex), 1);
    it = json_array_get(ex, 0);
    assert_string_equal(json_string_value(json_object_get(it, "intent")), "track_order");
    assert_string_equal(json_string_value(json_object_get(it, "text")), "where is my stuff");
    json_decref(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csat_once_after_close, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_end_then_low_score_is_reviewed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_csat_report_buckets, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_corrections_decide_export, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
