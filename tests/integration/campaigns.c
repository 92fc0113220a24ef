/*
 * integration/campaigns.c — lifecycle campaigns in the real `kefu serve`:
 * the scheduler (campaigns.interval_s=1) runs the bot's campaigns by
 * itself, a dormant customer's win-back message appears in their
 * conversation (GET /api/v1/conversations/{id}), an opted-out one is
 * skipped, both show in GET /api/v1/reports/campaigns, the log has one line
 * per run, POST /api/v1/customers/{id}/opt-out answers, and the server
 * stops cleanly (exit 0 under ASan: no leak, the thread joined).
 *
 * The bot is the demo shop with its own campaigns.yaml (no quiet hours, so
 * the test passes at any time of day): a temporary folder of symlinks to
 * bots/demo-shop plus that file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DAY 86400000LL

static const char CAMPAIGNS[] =
    "settings:\n"
    "  timezone: Asia/Shanghai\n"
    "  default_lang: zh\n"
    "  frequency_cap: {max: 2, days: 7}\n"
    "  name_fallback: {zh: 亲, en: there}\n"
    "campaigns:\n"
    "  - name: win_back\n"
    "    trigger: lifecycle\n"
    "    stages: [dormant]\n"
    "    cooldown_days: 30\n"
    "    coupon: BACK-30\n"
    "    message:\n"
    "      zh: \"{name},好久不见!回归券 {coupon}\"\n"
    "      en: \"We miss you, {name}! Coupon {coupon}\"\n";

struct env {
    char dir[256];
    char db[300];
    char bot[300];
    char log[300];
    struct kefu_proc kefu;
};

static struct env E;

/* dir/bot: a symlink per entry of the demo shop, and our campaigns.yaml */
static int make_bot(void)
{
    snprintf(E.bot, sizeof E.bot, "%s/bot", E.dir);
    if (mkdir(E.bot, 0700) != 0)
        return -1;
    DIR *d = opendir(KEFU_SRC_ROOT "/bots/demo-shop");
    if (d == NULL)
        return -1;
    struct dirent *e;
    char from[600], to[600];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "campaigns.yaml") == 0)
            continue;
        snprintf(from, sizeof from, "%s/bots/demo-shop/%s", KEFU_SRC_ROOT, e->d_name);
        snprintf(to, sizeof to, "%s/%s", E.bot, e->d_name);
        if (symlink(from, to) != 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    snprintf(to, sizeof to, "%s/campaigns.yaml", E.bot);
    FILE *f = fopen(to, "w");
    if (f == NULL || fputs(CAMPAIGNS, f) < 0 || fclose(f) != 0)
        return -1;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    th_tmpdir(E.dir);
    snprintf(E.db, sizeof E.db, "%s/kefu.db", E.dir);
    snprintf(E.log, sizeof E.log, "%s/kefu.log", E.dir);
    if (make_bot() != 0) {
        perror("campaigns: bot folder");
        return -1;
    }
    const char *extra[] = {"--bot", E.bot, "--set", "campaigns.interval_s=1", "--log-level",
                           "info", NULL};
    return th_start_log(&E.kefu, E.db, extra, E.log);
}

static int teardown(void **state)
{
    (void)state;
    int st = th_stop(&E.kefu, SIGTERM);
    th_rmdir(E.dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static json_t *call(const char *method, const char *path, const char *body, long want)
{
    long status = 0;
    json_t *doc = th_json(&E.kefu, method, path, body, &status);
    if (status != want)
        fail_msg("%s %s → %ld, expected %ld", method, path, status, want);
    assert_non_null(doc);
    return doc;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The report's count of status for campaign (0 when absent). */
static long long report_count(const char *campaign, const char *status)
{
    json_t *rep = call("GET", "/api/v1/reports/campaigns", NULL, 200);
    long long n = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(rep, "campaigns"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "campaign")), campaign) == 0)
            n = json_integer_value(json_object_get(json_object_get(c, "counts"), status));
    }
    json_decref(rep);
    return n;
}

/* The id of the dormant customer named name (segments API). */
static long long dormant_id(const char *name)
{
    json_t *seg = call("GET", "/api/v1/segments/lifecycle:dormant/customers", NULL, 200);
    long long id = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(seg, "items"), i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            id = json_integer_value(json_object_get(c, "customer_id"));
    }
    json_decref(seg);
    return id;
}

static void test_scheduler_sends_win_back(void **state)
{
    (void)state;
    long long old = now_ms() - 200 * DAY;
    char body[1024];
    snprintf(body, sizeof body,
             "[{\"event_id\":\"it-1\",\"type\":\"order\",\"external_id\":\"camp-dormant\","
             "\"order_no\":\"IT1\",\"amount\":120,\"at\":%lld},"
             "{\"event_id\":\"it-2\",\"type\":\"attribute\",\"external_id\":\"camp-dormant\","
             "\"attributes\":{\"name\":\"Lee\",\"lang\":\"en\"},\"at\":%lld},"
             "{\"event_id\":\"it-3\",\"type\":\"order\",\"external_id\":\"camp-out\","
             "\"order_no\":\"IT2\",\"amount\":80,\"at\":%lld},"
             "{\"event_id\":\"it-4\",\"type\":\"attribute\",\"external_id\":\"camp-out\","
             "\"attributes\":{\"name\":\"Out\",\"marketing_opt_out\":true},\"at\":%lld}]",
             old, old + 1000, old, old + 1000);
    json_decref(call("POST", "/api/v1/events", body, 200));
    long long lee = dormant_id("L**"), out = dormant_id("O**");
    assert_true(lee > 0 && out > 0);

    /* the scheduler runs every second: wait for the send */
    long long sent = 0;
    for (int i = 0; i < 100 && sent == 0; i++) {
        usleep(100 * 1000);
        sent = report_count("win_back", "sent");
    }
    assert_int_equal(sent, 1);
    assert_int_equal(report_count("win_back", "skipped_opt_out"), 1);

    /* the message is in Lee's conversation, in Lee's language */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld", lee);
    json_t *cust = call("GET", path, NULL, 200);
    json_t *conv = json_array_get(json_object_get(cust, "conversations"), 0);
    assert_non_null(conv);
    assert_string_equal(json_string_value(json_object_get(conv, "channel")), "web");
    snprintf(path, sizeof path, "/api/v1/conversations/%s",
             json_string_value(json_object_get(conv, "id")));
    json_decref(cust);
    json_t *c = call("GET", path, NULL, 200);
    json_t *msgs = json_object_get(c, "messages");
    assert_int_equal(json_array_size(msgs), 1);
    json_t *m = json_array_get(msgs, 0);
    assert_string_equal(json_string_value(json_object_get(m, "role")), "bot");
    assert_string_equal(json_string_value(json_object_get(m, "text")),
                        "We miss you, there! Coupon BACK-30"); /* names are stored masked */
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "meta"), "kind")),
                        "campaign");
    json_decref(c);

    /* later runs send nothing twice */
    sleep(2);
    assert_int_equal(report_count("win_back", "sent"), 1);

    /* one log line per run, with its counts */
    FILE *f = fopen(E.log, "r");
    assert_non_null(f);
    char line[2048];
    int runs = 0, with_sent = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "campaigns: run") != NULL) {
            runs++;
            with_sent += strstr(line, "win_back: sent 1") != NULL;
        }
    }
    fclose(f);
    assert_true(runs >= 2);
    assert_int_equal(with_sent, 1);
}

static void test_opt_out_endpoint(void **state)
{
    (void)state;
    long long lee = dormant_id("L**");
    assert_true(lee > 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/customers/%lld/opt-out", lee);
    json_t *r = call("POST", path, "", 200);
    assert_true(json_is_true(json_object_get(r, "marketing_opt_out")));
    json_decref(r);
    r = call("POST", path, "{\"opt_out\":false}", 200);
    assert_true(json_is_false(json_object_get(r, "marketing_opt_out")));
    json_decref(r);
    json_decref(call("POST", path, "{\"opt_out\":\"yes\"}", 400));
    json_decref(call("POST", path, "{\"optout\":true}", 400));
    json_decref(call("GET", path, NULL, 405));
    json_decref(call("POST", "/api/v1/customers/987654/opt-out", "", 404));
    json_decref(call("GET", "/api/v1/reports/campaigns?from=tomorrow", NULL, 400));
    json_t *rep = call("GET", "/api/v1/reports/campaigns?from=2000-01-01T00:00:00Z", NULL, 200);
    assert_true(json_array_size(json_object_get(rep, "campaigns")) >= 1);
    json_decref(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheduler_sends_win_back),
        cmocka_unit_test(test_opt_out_endpoint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
