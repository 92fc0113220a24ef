/*
 * dialog/transcripts.c — runs the conversations in tests/dialog/transcripts/
 * through the engine (store included) and checks every bot reply.
 *
 * Transcript format (one file = one conversation):
 *   # comment
 *   lang: zh                 conversation language (before the first turn)
 *   > customer text          a customer turn
 *   < KIND [FAQ_ID] [~TEXT]  the reply: its kind, its FAQ id when kind is
 *                            faq, and ~TEXT a piece the reply must contain
 *                            (or that one of its quick replies must be)
 *   = status STATUS          the conversation's status after the turn
 *
 * Flows and the business layer (issue 5):
 *   customer: EXTERNAL_ID    the conversation's customer on channel web
 *                            (demo-customer-1 owns the fixed demo orders);
 *                            the demo shop is seeded afresh before the file
 *                            (it is seeded once before the first file too)
 *   <N KIND [~TEXT]          the Nth reply of the turn (1-based; "<" is <1)
 *   = replies N              the turn gave N replies
 *   = flow ID | -            the flow running after the turn (- none)
 *   = slot NAME VALUE | -    a slot of the running flow (strings bare, other
 *                            values as compact JSON)
 *   = action NAME            a reply of the turn tells that action's result
 *   = card TYPE              a reply of the turn carries a card of that type
 *   = order NO FIELD VALUE   a field of the order, read through the orders
 *                            connector (FIELD: status, address, ...)
 *   = returns NO N / = refunds NO N   return requests / refunds of the order
 *   = ticket FIELD VALUE     a field of the ticket whose card the turn showed
 *   = turn FIELD VALUE | -   the turn's stored record (dialog_turns): intent,
 *                            flow, action, outcome (resolved, handed_off,
 *                            abandoned, in_progress, fallback)
 *
 * Cross-sell (issue 6):
 *   rules: mined             the file runs on a second store whose demo shop
 *                            has mined category rules (kf_rules_mine_store),
 *                            so the bot's cross-sell offers something; every
 *                            other file runs without rules, and so without
 *                            offers
 *   = clicked N              the offer card of the turn was clicked (1) or not (0)
 *   = state KEY VALUE | -    a top-level key of the dialog state (xs_done …)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"
#include "kefu/demo.h"
#include "kefu/engine.h"
#include "kefu/mining.h"
#include "kefu/reco_log.h"
#include "kefu/repo.h"

#define DIR_PATH KEFU_SRC_ROOT "/tests/dialog/transcripts"

/* The demo shop, small: the fixed orders of demo-customer-1 plus a few
 * hundred others (reseeding restores the fixed orders a file changed). */
static void seed_shop(struct kf_engine *e)
{
    struct kf_err err = {0};
    struct kf_seed_params sp = kf_seed_default_params();
    sp.customers = 50;
    sp.orders = 300;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sp.now_ms = (long long)ts.tv_sec * 1000;
    struct kf_seed_stats stats;
    if (kf_demo_seed(kf_engine_store(e), KEFU_SRC_ROOT "/bots/demo-shop", sp, &stats, &err) !=
        KF_OK)
        fail_msg("seed: %s", err.msg);
}

/* A field of a JSON object as text: strings bare, others compact JSON. */
static void field_text(json_t *v, char *out, size_t cap)
{
    if (v == NULL) {
        snprintf(out, cap, "-");
    } else if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(out, cap, "%s", s ? s : "?");
        free(s);
    }
}

static json_t *order_get(struct kf_engine *e, const char *no)
{
    json_t *args = json_pack("{s:s}", "order_no", no), *out = NULL;
    struct kf_err err = {0};
    int rc = kf_connector_call(kf_engine_connector(e, "orders"), "order.get", args, &out, &err);
    json_decref(args);
    if (rc != KF_OK)
        fail_msg("order.get %s: %s", no, err.msg);
    return out;
}

static json_t *turn_meta_with(const struct kf_turn *t, const char *needle)
{
    for (size_t i = 0; i < t->nreplies; i++)
        if (t->replies[i].meta_json != NULL && strstr(t->replies[i].meta_json, needle) != NULL)
            return json_loads(t->replies[i].meta_json, 0, NULL);
    return NULL;
}

/* "= ..." checks about flows and records; 1 if the line was one. */
static int check_flow_line(struct kf_engine *e, const struct kf_conversation *conv,
                           const struct kf_turn *turn, const char *path, int lineno,
                           const char *line, struct kf_arena *a)
{
    char k1[128] = "", k2[128] = "", k3[1024] = "";
    struct kf_err err = {0};
    if (sscanf(line, "= replies %127s", k1) == 1) {
        if ((size_t)strtol(k1, NULL, 10) != turn->nreplies)
            fail_msg("%s:%d: %zu replies, want %s", path, lineno, turn->nreplies, k1);
        return 1;
    }
    if (sscanf(line, "= state %127s %1023[^\n]", k2, k3) == 2) {
        const char *state = NULL;
        assert_int_equal(kf_store_dialog_state_get(kf_engine_store(e), conv->id, a, &state, &err),
                         KF_OK);
        json_t *st = state ? json_loads(state, 0, NULL) : json_object();
        char got[1024];
        field_text(json_object_get(st, k2), got, sizeof got);
        json_decref(st);
        if (strcmp(got, k3) != 0)
            fail_msg("%s:%d: state %s = %s, want %s", path, lineno, k2, got, k3);
        return 1;
    }
    if (sscanf(line, "= flow %127s", k1) == 1 || sscanf(line, "= slot %127s %1023[^\n]", k2, k3) == 2) {
        const char *state = NULL;
        assert_int_equal(kf_store_dialog_state_get(kf_engine_store(e), conv->id, a, &state, &err),
                         KF_OK);
        json_t *st = state ? json_loads(state, 0, NULL) : json_object();
        char got[1024];
        if (k1[0] != '\0') {
            field_text(json_object_get(st, "flow"), got, sizeof got);
            if (strcmp(got, k1) != 0)
                fail_msg("%s:%d: flow %s, want %s", path, lineno, got, k1);
        } else {
            field_text(json_object_get(json_object_get(st, "slots"), k2), got, sizeof got);
            if (strcmp(got, k3) != 0)
                fail_msg("%s:%d: slot %s = %s, want %s", path, lineno, k2, got, k3);
        }
        json_decref(st);
        return 1;
    }
    if (sscanf(line, "= action %127s", k1) == 1 || sscanf(line, "= card %127s", k2) == 1) {
        char needle[200];
        if (k1[0] != '\0')
            snprintf(needle, sizeof needle, "\"action\":\"%s\"", k1);
        else
            snprintf(needle, sizeof needle, "\"card\":{\"type\":\"%s\"", k2);
        json_t *m = turn_meta_with(turn, needle);
        if (m == NULL)
            fail_msg("%s:%d: no reply with %s (first reply: %s)", path, lineno, needle,
                     turn->nreplies ? turn->replies[0].meta_json : "none");
        json_decref(m);
        return 1;
    }
    if (sscanf(line, "= order %127s %127s %1023[^\n]", k1, k2, k3) == 3) {
        json_t *o = order_get(e, k1);
        char got[1024];
        field_text(json_object_get(o, k2), got, sizeof got);
        if (strcmp(got, k3) != 0)
            fail_msg("%s:%d: order %s %s = %s, want %s", path, lineno, k1, k2, got, k3);
        json_decref(o);
        return 1;
    }
    if (sscanf(line, "= returns %127s %127s", k1, k2) == 2 ||
        sscanf(line, "= refunds %127s %127s", k1, k2) == 2) {
        json_t *o = order_get(e, k1);
        const char *what = strncmp(line, "= returns", 9) == 0 ? "returns" : "refunds";
        size_t n = json_array_size(json_object_get(o, what));
        if (n != (size_t)strtol(k2, NULL, 10))
            fail_msg("%s:%d: order %s has %zu %s, want %s", path, lineno, k1, n, what, k2);
        json_decref(o);
        return 1;
    }
    if (sscanf(line, "= turn %127s %1023[^\n]", k1, k3) == 2) {
        struct kf_turn_record *recs;
        size_t n;
        assert_int_equal(kf_store_turns_list(kf_engine_store(e), conv->id, 1000, a, &recs, NULL,
                                             &n, &err),
                         KF_OK);
        if (n == 0)
            fail_msg("%s:%d: no turn recorded", path, lineno);
        const struct kf_turn_record *r = &recs[n - 1];
        const char *got = strcmp(k1, "intent") == 0   ? r->intent
                          : strcmp(k1, "flow") == 0   ? r->flow
                          : strcmp(k1, "action") == 0 ? r->action
                          : strcmp(k1, "outcome") == 0 ? r->outcome
                                                       : "?";
        if (got == NULL)
            got = "-";
        if (strcmp(got, k3) != 0)
            fail_msg("%s:%d: turn %s = %s, want %s", path, lineno, k1, got, k3);
        return 1;
    }
    if (sscanf(line, "= clicked %127s", k1) == 1) {
        /* the offer's card carries its rec_id; count the clicked ones of
         * the cards this conversation showed so far (checked turn by turn) */
        json_t *m = turn_meta_with(turn, "\"rec_id\"");
        long long want = strtoll(k1, NULL, 10), got = 0;
        json_t *id = m ? json_object_get(json_object_get(m, "card"), "rec_id") : NULL;
        if (json_is_integer(id)) {
            json_t *rec = NULL;
            assert_int_equal(kf_reco_get(kf_engine_store(e), json_integer_value(id), &rec, &err),
                             KF_OK);
            got = json_is_integer(json_object_get(rec, "clicked_at"));
            json_decref(rec);
        }
        json_decref(m);
        if (got != want)
            fail_msg("%s:%d: %lld clicked, want %lld", path, lineno, got, want);
        return 1;
    }
    if (sscanf(line, "= ticket %127s %1023[^\n]", k1, k3) == 2) {
        json_t *m = turn_meta_with(turn, "\"type\":\"ticket\"");
        if (m == NULL)
            fail_msg("%s:%d: the turn showed no ticket", path, lineno);
        json_t *id = json_object_get(json_object_get(m, "card"), "id");
        json_t *args = json_pack("{s:O}", "id", id), *t = NULL;
        if (kf_connector_call(kf_engine_connector(e, "tickets"), "ticket.get", args, &t, &err) !=
            KF_OK)
            fail_msg("%s:%d: ticket.get: %s", path, lineno, err.msg);
        char got[1024];
        field_text(json_object_get(t, k1), got, sizeof got);
        if (strcmp(got, k3) != 0)
            fail_msg("%s:%d: ticket %s = %s, want %s", path, lineno, k1, got, k3);
        json_decref(args);
        json_decref(t);
        json_decref(m);
        return 1;
    }
    return 0;
}

static int run_file(struct kf_engine *e, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_conversation conv;
    struct kf_turn turn;
    int have_conv = 0, have_turn = 0, lineno = 0, checks = 0;
    char lang[8] = "";
    char customer[64] = "";
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        struct kf_err err = {0};
        if (strncmp(line, "lang: ", 6) == 0) {
            snprintf(lang, sizeof lang, "%s", line + 6);
            continue;
        }
        if (strncmp(line, "rules: ", 7) == 0) /* chose the engine (test_transcripts) */
            continue;
        if (strncmp(line, "customer: ", 10) == 0) {
            snprintf(customer, sizeof customer, "%s", line + 10);
            seed_shop(e);
            continue;
        }
        if (!have_conv) {
            struct kf_start req = {.channel = customer[0] ? "web" : "api",
                                   .lang = lang[0] ? lang : NULL,
                                   .external_id = customer[0] ? customer : NULL};
            assert_int_equal(kf_engine_start(e, &req, a, &conv, NULL, &err), KF_OK);
            have_conv = 1;
        }
        if (strncmp(line, "> ", 2) == 0) {
            if (kf_engine_post(e, conv.id, line + 2, strlen(line + 2), NULL, a, &turn, &err) !=
                KF_OK)
                fail_msg("%s:%d: %s", path, lineno, err.msg);
            have_turn = 1;
            continue;
        }
        if (line[0] == '<') {
            if (!have_turn)
                fail_msg("%s:%d: expectation before any turn", path, lineno);
            size_t idx = 0;
            const char *rest = line + 1;
            if (rest[0] >= '1' && rest[0] <= '9') {
                idx = (size_t)(rest[0] - '1');
                rest++;
            }
            if (rest[0] != ' ')
                fail_msg("%s:%d: cannot read '%s'", path, lineno, line);
            if (idx >= turn.nreplies)
                fail_msg("%s:%d: the turn has %zu replies (first: %s)", path, lineno,
                         turn.nreplies, turn.nreplies ? turn.replies[0].text : "");
            char want[4096];
            snprintf(want, sizeof want, "%s", rest + 1);
            char *piece = strstr(want, " ~");
            if (piece != NULL) {
                *piece = '\0';
                piece += 2;
            }
            char *faq = strchr(want, ' ');
            if (faq != NULL)
                *faq++ = '\0';
            const struct kf_message *r = &turn.replies[idx];
            if (strcmp(r->kind, want) != 0)
                fail_msg("%s:%d: reply kind %s, want %s (text: %s)", path, lineno, r->kind, want,
                         r->text);
            if (faq != NULL && (r->meta_json == NULL || strstr(r->meta_json, faq) == NULL))
                fail_msg("%s:%d: reply meta %s lacks %s", path, lineno, r->meta_json, faq);
            if (piece != NULL && strstr(r->text, piece) == NULL &&
                (r->meta_json == NULL || strstr(r->meta_json, piece) == NULL))
                fail_msg("%s:%d: reply '%s' lacks '%s'", path, lineno, r->text, piece);
            checks++;
            continue;
        }
        if (strncmp(line, "= status ", 9) == 0) {
            struct kf_conversation now;
            assert_int_equal(kf_store_conversation_get(kf_engine_store(e), conv.id, &now, &err),
                             KF_OK);
            if (strcmp(now.status, line + 9) != 0)
                fail_msg("%s:%d: status %s, want %s", path, lineno, now.status, line + 9);
            checks++;
            continue;
        }
        if (have_turn && check_flow_line(e, &conv, &turn, path, lineno, line, a)) {
            checks++;
            continue;
        }
        fail_msg("%s:%d: cannot read '%s'", path, lineno, line);
    }
    fclose(f);
    kf_arena_free(a);
    return checks;
}

/* Does the file ask for mined rules ("rules: mined")? */
static int wants_rules(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int yes = 0;
    while (f != NULL && !yes && fgets(line, sizeof line, f))
        yes = strncmp(line, "rules: mined", 12) == 0;
    if (f != NULL)
        fclose(f);
    return yes;
}

static struct kf_engine *open_engine(const char *dir, const char *name, int rules)
{
    char db[160];
    snprintf(db, sizeof db, "%s/%s", dir, name);
    struct kf_engine_params p = kf_engine_default_params();
    p.db_path = db;
    p.synchronous_full = 0;
    p.bot_path = KEFU_SRC_ROOT "/bots/demo-shop";
    struct kf_engine *e;
    struct kf_err err = {0};
    assert_int_equal(kf_engine_new(p, &e, &err), KF_OK);
    seed_shop(e); /* every file sees the demo shop, whatever order they run in */
    if (rules) { /* the shop's orders → category rules, as `kefu mine rules` does */
        struct kf_rules_run run;
        struct kf_mine_params mp = kf_mine_default_params();
        /* 300 orders spread a phone's add-ons over six categories: each
         * pair is in a few baskets, at a confidence near 5% */
        mp.min_count = 2;
        mp.min_confidence = 0.05;
        if (kf_rules_mine_store(kf_engine_store(e), "category", mp, &run, &err) != KF_OK)
            fail_msg("mine rules: %s", err.msg);
        if (run.rules == 0)
            fail_msg("mine rules: no rules from %zu baskets", run.baskets);
    }
    return e;
}

static void test_transcripts(void **state)
{
    (void)state;
    char dir[] = "/tmp/kefu-transcripts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct kf_engine *e = open_engine(dir, "t.db", 0);
    struct kf_engine *with_rules = NULL; /* opened for the first file that wants rules */

    DIR *d = opendir(DIR_PATH);
    assert_non_null(d);
    struct dirent *de;
    int files = 0, checks = 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0)
            continue;
        const char *only = getenv("KEFU_TRANSCRIPT"); /* run one file while writing it */
        if (only != NULL && strstr(de->d_name, only) == NULL)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", DIR_PATH, de->d_name);
        int rules = wants_rules(path);
        if (rules && with_rules == NULL)
            with_rules = open_engine(dir, "rules.db", 1);
        checks += run_file(rules ? with_rules : e, path);
        files++;
    }
    closedir(d);
    print_message("%d transcripts, %d checks\n", files, checks);
    if (getenv("KEFU_TRANSCRIPT") == NULL)
        assert_true(files >= 36);
    kf_engine_free(with_rules);
    kf_engine_free(e);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_transcripts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
