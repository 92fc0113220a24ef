/*
 * integration/learn.c — the learning loop and A/B experiments in the real
 * `kefu serve` (docs/learning.md, docs/experiments.md):
 *   - CSAT: 409 before the conversation is closed, bad scores 400, the
 *     customer ends it, one rating (a second is 409), a low score lands in
 *     the review queue with its comment PII-masked; the CSAT report;
 *   - an agent corrects a message's intent (again: the same item, updated),
 *     a supervisor lists and approves it, `kefu review export` prints it
 *     (and leaves out one the bot's data already has), and `kefu train
 *     --reviewed` turns a model's wrong answer for that text into the
 *     corrected one;
 *   - the demo shop's reco_style experiment over 40 new customers: guided
 *     ones are asked their budget, direct ones get products at once with a
 *     "narrow it down" button; the report splits them near 50/50, counts a
 *     clicked recommendation as a conversion, and carries z-tests;
 *   - the supervisor routes answer 401 without credentials and 403 to a
 *     customer's session and to an agent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

struct env {
    char dir[256];
    char db[300];
    struct kefu_proc kefu;
    char ann[64], sue[64]; /* session tokens: agent, supervisor */
};

static struct env E;

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    /* the demo shop's catalogue, for the recommendations (a small seed) */
    const char *seed[] = {"demo", "seed", "--customers", "20",    "--orders",
                          "60",   "--db", E.db,          "--bot", KEFU_SRC_ROOT "/bots/demo-shop",
                          NULL};
    if (th_run_io(seed, NULL, NULL, 0) != 0)
        return -1;
    if (th_user(E.db, "ann", "agent", "ann-pass-123") != 0 ||
        th_user(E.db, "sue", "supervisor", "sue-pass-456") != 0)
        return -1;
    if (th_start(&E.kefu, E.db, NULL) != 0)
        return -1;
    if (th_login(&E.kefu, "ann", "ann-pass-123", E.ann) != 0 ||
        th_login(&E.kefu, "sue", "sue-pass-456", E.sue) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A request as `token` (NULL: no credentials); the reply's JSON, its status
 * checked against want. */
static json_t *req(const char *token, const char *method, const char *path, const char *body,
                   long want)
{
    long status;
    char got[512];
    json_t *doc = th_json_as(&E.kefu, token, method, path, body, &status, got, sizeof got);
    if (status != want)
        fail_msg("%s %s → %ld, expected %ld: %s", method, path, status, want, got);
    return doc;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}
static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* A web conversation of a new customer: its id (and the customer's token). */
static void start(const char *customer, const char *lang, char id[40], char ctoken[64])
{
    char body[200];
    snprintf(body, sizeof body,
             "{\"lang\":\"%s\",\"channel\":\"web\",\"customer\":{\"external_id\":\"%s\"}}", lang,
             customer);
    json_t *c = req(NULL, "POST", "/api/v1/conversations", body, 201);
    snprintf(id, 40, "%s", str(c, "id"));
    if (ctoken != NULL)
        snprintf(ctoken, 64, "%s", str(c, "customer_token"));
    json_decref(c);
}

/* The customer says text: the turn's reply document (a new reference). */
static json_t *say(const char *id, const char *text)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/messages", id);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", text);
    return req(NULL, "POST", path, body, 200);
}

static json_t *conv_post(const char *id, const char *what, const char *body, long want)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/%s", id, what);
    return req(NULL, "POST", path, body, want);
}

static void test_csat(void **state)
{
    (void)state;
    char id[40];
    start("learn-csat-1", "zh", id, NULL);
    json_decref(say(id, "你好"));
    json_decref(conv_post(id, "csat", "{\"score\":5}", 409)); /* still open */
    static const char *const bad[] = {"{\"score\":0}",
                                      "{\"score\":6}",
                                      "{\"score\":\"3\"}",
                                      "{\"score\":3.5}",
                                      "{\"comment\":\"x\"}",
                                      "{\"score\":3,"
                                      "\"x\":1}",
                                      "[3]",
                                      NULL};
    for (const char *const *b = bad; *b != NULL; b++)
        json_decref(conv_post(id, "csat", *b, 400));
    char big[1100];
    snprintf(big, sizeof big, "{\"score\":2,\"comment\":\"%01001d\"}", 0);
    json_decref(conv_post(id, "csat", big, 400));

    /* the customer ends it: closed, customer_ended; ending again changes nothing */
    json_t *e = conv_post(id, "end", NULL, 200);
    assert_string_equal(str(e, "status"), "closed");
    assert_string_equal(str(e, "resolution"), "customer_ended");
    assert_true(json_is_true(json_object_get(e, "ended")));
    json_decref(e);
    e = conv_post(id, "end", "{}", 200);
    assert_true(json_is_false(json_object_get(e, "ended")));
    json_decref(e);
    json_decref(conv_post("0123456789abcdef0123456789abcdef", "end", NULL, 404));

    /* a 2 (< csat.review_below 3): rated once, queued for review, the phone masked */
    json_t *r = conv_post(id, "csat", "{\"score\":2,\"comment\":\"太慢了,回电 13812345678\"}", 201);
    assert_int_equal(num(r, "score"), 2);
    assert_true(json_is_true(json_object_get(r, "review")));
    assert_null(strstr(str(r, "comment"), "13812345678"));
    long long rid = num(r, "review_id");
    json_decref(r);
    json_decref(conv_post(id, "csat", "{\"score\":5}", 409));

    json_t *q = req(E.sue, "GET", "/api/v1/review?kind=low_csat", NULL, 200);
    json_t *hit = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(q, "items"), i, it) if (num(it, "id") == rid) hit = it;
    assert_non_null(hit);
    assert_string_equal(str(hit, "conversation_id"), id);
    assert_string_equal(str(hit, "status"), "pending");
    assert_null(strstr(str(hit, "comment"), "13812345678"));
    json_decref(q);

    /* a 4 queues nothing */
    char id2[40];
    start("learn-csat-2", "en", id2, NULL);
    json_decref(conv_post(id2, "end", NULL, 200));
    r = conv_post(id2, "csat", "{\"score\":4}", 201);
    assert_true(json_is_false(json_object_get(r, "review")));
    json_decref(r);

    json_t *rep = req(E.sue, "GET", "/api/v1/reports/csat?bucket=day", NULL, 200);
    assert_int_equal(num(rep, "count"), 2);
    assert_true(json_real_value(json_object_get(rep, "average")) == 3.0);
    assert_int_equal(json_array_size(json_object_get(rep, "series")), 1);
    json_decref(rep);
    json_decref(req(E.sue, "GET", "/api/v1/reports/csat?bucket=year", NULL, 400));
    json_decref(req(E.sue, "GET", "/api/v1/reports/csat?from=yesterday", NULL, 400));
}

/* kefu predict: the label a model gives text. */
static void predict(const char *model, const char *text, char *label, size_t cap)
{
    char out[512], in[256];
    snprintf(in, sizeof in, "%s\n", text);
    const char *args[] = {"predict", "--model", model, NULL};
    assert_int_equal(th_run_io(args, in, out, sizeof out), 0);
    out[strcspn(out, "\t\n")] = '\0';
    snprintf(label, cap, "%s", out);
}

static const char TINY[] = "track_order\t我的快递到哪了\n"
                           "track_order\t帮我查一下物流\n"
                           "track_order\t订单发货了吗\n"
                           "track_order\twhere is my package\n"
                           "track_order\ttrack my order please\n"
                           "cancel_order\t帮我取消订单\n"
                           "cancel_order\t这个订单我不要了\n"
                           "cancel_order\t订单还能取消吗\n"
                           "cancel_order\tcancel my order\n"
                           "cancel_order\tplease cancel it\n"
                           "greet\t你好\n"
                           "greet\t在吗\n"
                           "greet\t您好呀\n"
                           "greet\thello\n"
                           "greet\thi there\n";

static void test_correct_review_export_retrain(void **state)
{
    (void)state;
    /* the model before: trained on a tiny set, its answer for the text */
    static const char text[] = "zorblax quibbit 咕噜咕噜";
    char data[320], m1[320], m2[320], before[64], after[64];
    snprintf(data, sizeof data, "%s/tiny.tsv", E.dir);
    snprintf(m1, sizeof m1, "%s/m1.kfm", E.dir);
    snprintf(m2, sizeof m2, "%s/m2.kfm", E.dir);
    FILE *f = fopen(data, "w");
    assert_non_null(f);
    fputs(TINY, f);
    fclose(f);
    const char *train1[] = {"train", "--data", data, "--task", "intent", "--out", m1, NULL};
    assert_int_equal(th_run_io(train1, NULL, NULL, 0), 0);
    predict(m1, text, before, sizeof before);
    const char *target = strcmp(before, "cancel_order") != 0 ? "cancel_order" : "track_order";

    char id[40], ctoken[64];
    start("learn-correct-1", "zh", id, ctoken);
    json_t *t = say(id, text);
    long long mid = num(json_object_get(t, "message"), "id");
    json_decref(t);
    t = say(id, "在不在"); /* greet, word for word in the bot's data */
    long long dup = num(json_object_get(t, "message"), "id");
    json_decref(t);
    assert_true(mid > 0 && dup > 0);

    char path[96], body[96];
    snprintf(path, sizeof path, "/api/v1/messages/%lld/intent", mid);
    /* who may: not the customer, not anonymous; an unknown intent is 400 */
    json_decref(req(NULL, "POST", path, "{\"intent\":\"greet\"}", 401));
    json_decref(req(ctoken, "POST", path, "{\"intent\":\"greet\"}", 403));
    json_decref(req(E.ann, "POST", path, "{\"intent\":\"no_such_intent\"}", 400));
    json_decref(req(E.ann, "POST", path, "{}", 400));
    json_decref(
        req(E.ann, "POST", "/api/v1/messages/99999999/intent", "{\"intent\":\"greet\"}", 404));
    json_t *c = req(E.ann, "POST", path, "{\"intent\":\"greet\"}", 201);
    long long item = num(c, "id");
    json_decref(c);
    snprintf(body, sizeof body, "{\"intent\":\"%s\"}", target);
    c = req(E.ann, "POST", path, body, 200); /* corrected again: the same item */
    assert_int_equal(num(c, "id"), item);
    assert_true(json_is_true(json_object_get(c, "updated")));
    json_decref(c);
    snprintf(path, sizeof path, "/api/v1/messages/%lld/intent", dup);
    c = req(E.ann, "POST", path, "{\"intent\":\"greet\"}", 201);
    long long dup_item = num(c, "id");
    json_decref(c);

    /* the supervisor's queue shows it with the model's guess; approve both */
    json_t *q = req(E.sue, "GET", "/api/v1/review?kind=intent_correction", NULL, 200);
    json_t *hit = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(q, "items"), i, it) if (num(it, "id") == item) hit = it;
    assert_non_null(hit);
    assert_string_equal(str(hit, "text"), text);
    assert_string_equal(str(hit, "corrected_intent"), target);
    assert_string_equal(str(hit, "created_by"), "ann");
    assert_true(json_is_string(json_object_get(hit, "predicted_intent")));
    json_decref(q);
    snprintf(path, sizeof path, "/api/v1/review/%lld", item);
    json_decref(req(E.sue, "PATCH", path, "{\"status\":\"done\"}", 400));
    json_decref(req(E.sue, "PATCH", path, "{\"status\":\"approved\",\"intent\":\"bogus\"}", 400));
    c = req(E.sue, "PATCH", path, "{\"status\":\"approved\"}", 200);
    assert_string_equal(str(c, "status"), "approved");
    assert_string_equal(str(c, "reviewed_by"), "sue");
    json_decref(c);
    snprintf(path, sizeof path, "/api/v1/review/%lld", dup_item);
    json_decref(req(E.sue, "PATCH", path, "{\"status\":\"approved\"}", 200));
    json_decref(req(E.sue, "PATCH", "/api/v1/review/99999999", "{\"status\":\"approved\"}", 404));

    /* the export: the new example, not the one the bot's data has */
    char out[4096], want[256];
    const char *ex[] = {"review",   "export", "--db",
                        E.db,       "--bot",  KEFU_SRC_ROOT "/bots/demo-shop",
                        "--format", "lines",  NULL};
    assert_int_equal(th_run_io(ex, NULL, out, sizeof out), 0);
    snprintf(want, sizeof want, "%s\t%s\n", target, text);
    assert_string_equal(out, want);
    const char *exy[] = {"review", "export", "--db", E.db, "--bot", KEFU_SRC_ROOT "/bots/demo-shop",
                         NULL};
    assert_int_equal(th_run_io(exy, NULL, out, sizeof out), 0);
    snprintf(want, sizeof want, "- intent: %s\n  examples: |\n    - %s\n", target, text);
    assert_non_null(strstr(out, "version: \"3.1\"\nnlu:\n"));
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "在不在"));

    /* retrained with the reviewed corrections: the model now says what the agent said */
    const char *train2[] = {"train", "--data",     data,   "--task", "intent", "--out",
                            m2,      "--reviewed", "--db", E.db,     NULL};
    assert_int_equal(th_run_io(train2, NULL, NULL, 0), 0);
    predict(m2, text, after, sizeof after);
    assert_string_not_equal(before, target);
    assert_string_equal(after, target);
}

static void test_experiment_report(void **state)
{
    (void)state;
    json_t *list = req(E.sue, "GET", "/api/v1/experiments", NULL, 200);
    json_t *x = json_array_get(json_object_get(list, "experiments"), 0);
    assert_string_equal(str(x, "id"), "reco_style");
    assert_string_equal(str(x, "control"), "guided");
    json_decref(list);

    enum { N = 40 };
    int guided = 0, direct = 0;
    long long rec_id = 0;
    for (int k = 0; k < N; k++) {
        char who[32], id[40];
        snprintf(who, sizeof who, "learn-xp-%d", k);
        start(who, "zh", id, NULL);
        json_t *t = say(id, "想买个耳机");
        json_t *rep = json_array_get(json_object_get(t, "replies"), 0);
        const char *kind = json_string_value(json_object_get(json_object_get(rep, "meta"), "kind"));
        assert_non_null(kind);
        if (strcmp(kind, "ask") == 0) { /* guided: the budget question */
            guided++;
        } else { /* direct: products at once, and the button to narrow them down */
            assert_string_equal(kind, "action");
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(rep, "meta"), "outcome")), "ok");
            json_t *qr = json_object_get(rep, "quick_replies");
            int narrow = 0;
            size_t i;
            json_t *b;
            json_array_foreach(qr, i, b) narrow |= strcmp(str(b, "title"), "缩小范围") == 0;
            assert_true(narrow);
            json_t *items =
                json_object_get(json_object_get(json_object_get(rep, "meta"), "card"), "items");
            assert_true(json_array_size(items) > 0);
            if (direct++ == 0) {
                rec_id = num(json_array_get(items, 0), "rec_id");
                /* the button runs the flow as written: the budget question */
                json_t *n = say(id, "缩小范围");
                json_t *r0 = json_array_get(json_object_get(n, "replies"), 0);
                assert_string_equal(
                    json_string_value(json_object_get(json_object_get(r0, "meta"), "slot")),
                    "budget");
                json_decref(n);
            }
        }
        json_decref(t);
    }
    /* 50/50 over 40 customers: both arms well filled */
    fprintf(stderr, "reco_style over %d customers: guided %d, direct %d\n", N, guided, direct);
    assert_true(guided >= 8 && direct >= 8);
    assert_true(rec_id > 0);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/recommendations/%lld/click", rec_id);
    json_decref(req(NULL, "POST", path, "{}", 200));

    json_t *rep = req(E.sue, "GET", "/api/v1/experiments/reco_style/report", NULL, 200);
    assert_int_equal(num(rep, "exposed"), N);
    json_t *v = json_object_get(rep, "variants");
    json_t *g = json_array_get(v, 0), *d = json_array_get(v, 1);
    assert_string_equal(str(g, "name"), "guided");
    assert_int_equal(num(g, "conversations"), guided);
    assert_int_equal(num(d, "conversations"), direct);
    assert_int_equal(num(d, "customers"), direct);
    assert_int_equal(num(d, "conversions"), 1);
    assert_int_equal(num(g, "conversions"), 0);
    json_t *tests = json_object_get(rep, "tests");
    assert_int_equal(json_array_size(tests), 3); /* conversion, resolution, handoff */
    json_t *t0 = json_array_get(tests, 0);
    assert_string_equal(str(t0, "metric"), "conversion");
    double p = json_real_value(json_object_get(t0, "p_value"));
    assert_true(p > 0 && p <= 1);
    assert_non_null(json_object_get(t0, "ci95"));
    assert_non_null(json_object_get(t0, "note")); /* arms under 30 */
    json_decref(rep);
    json_decref(req(E.sue, "GET", "/api/v1/experiments/nope/report", NULL, 404));
    json_decref(req(E.sue, "GET",
                    "/api/v1/experiments/reco_style/report?from=2001-01-01&to=2001-"
                    "01-02",
                    NULL, 200));

    /* the command line shows the same */
    char out[8192];
    const char *cmd[] = {"experiments",
                         "report",
                         "reco_style",
                         "--db",
                         E.db,
                         "--bot",
                         KEFU_SRC_ROOT "/bots/demo-shop",
                         "--json",
                         NULL};
    assert_int_equal(th_run_io(cmd, NULL, out, sizeof out), 0);
    json_t *cli = json_loads(out, 0, NULL);
    assert_non_null(cli);
    assert_int_equal(num(cli, "exposed"), N);
    json_decref(cli);
    const char *table[] = {"experiments",
                           "report",
                           "reco_style",
                           "--db",
                           E.db,
                           "--bot",
                           KEFU_SRC_ROOT "/bots/demo-shop",
                           NULL};
    assert_int_equal(th_run_io(table, NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "two-proportion z-tests against guided"));
}

static void test_access(void **state)
{
    (void)state;
    char id[40], ctoken[64];
    start("learn-access-1", "zh", id, ctoken);
    static const char *const routes[][2] = {
        {"GET", "/api/v1/review"},
        {"PATCH", "/api/v1/review/1"},
        {"GET", "/api/v1/reports/csat"},
        {"GET", "/api/v1/experiments"},
        {"GET", "/api/v1/experiments/reco_style/report"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *body = strcmp(routes[i][0], "PATCH") == 0 ? "{\"status\":\"approved\"}" : NULL;
        json_decref(req(NULL, routes[i][0], routes[i][1], body, 401));
        json_decref(req(ctoken, routes[i][0], routes[i][1], body, 403));
        json_decref(req(E.ann, routes[i][0], routes[i][1], body, 403));
    }
    /* the customer's own routes need no credentials */
    json_decref(conv_post(id, "end", NULL, 200));
    json_decref(conv_post(id, "csat", "{\"score\":5}", 201));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csat),
        cmocka_unit_test(test_correct_review_export_retrain),
        cmocka_unit_test(test_experiment_report),
        cmocka_unit_test(test_access),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
