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
#include <unistd.h>

#include "testutil.h"
#include "kefu/engine.h"

#define DIR_PATH KEFU_SRC_ROOT "/tests/dialog/transcripts"

static int run_file(struct kf_engine *e, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    struct kf_arena *a = kf_arena_new(0, 0);
    struct kf_conversation conv;
    struct kf_turn turn;
    int have_conv = 0, have_turn = 0, lineno = 0, checks = 0;
    char lang[8] = "";
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
        if (!have_conv) {
            struct kf_start req = {.channel = "api", .lang = lang[0] ? lang : NULL};
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
        if (strncmp(line, "< ", 2) == 0) {
            if (!have_turn)
                fail_msg("%s:%d: expectation before any turn", path, lineno);
            char want[4096];
            snprintf(want, sizeof want, "%s", line + 2);
            char *piece = strstr(want, " ~");
            if (piece != NULL) {
                *piece = '\0';
                piece += 2;
            }
            char *faq = strchr(want, ' ');
            if (faq != NULL)
                *faq++ = '\0';
            const struct kf_message *r = &turn.replies[0];
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
        fail_msg("%s:%d: cannot read '%s'", path, lineno, line);
    }
    fclose(f);
    kf_arena_free(a);
    return checks;
}

static void test_transcripts(void **state)
{
    (void)state;
    char dir[] = "/tmp/kefu-transcripts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128];
    snprintf(db, sizeof db, "%s/t.db", dir);
    struct kf_engine_params p = kf_engine_default_params();
    p.db_path = db;
    p.synchronous_full = 0;
    p.bot_path = KEFU_SRC_ROOT "/bots/demo-shop";
    struct kf_engine *e;
    struct kf_err err = {0};
    assert_int_equal(kf_engine_new(p, &e, &err), KF_OK);

    DIR *d = opendir(DIR_PATH);
    assert_non_null(d);
    struct dirent *de;
    int files = 0, checks = 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", DIR_PATH, de->d_name);
        checks += run_file(e, path);
        files++;
    }
    closedir(d);
    print_message("%d transcripts, %d checks\n", files, checks);
    assert_true(files >= 4);
    kf_engine_free(e);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_transcripts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
