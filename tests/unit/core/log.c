/* unit/core/log.c — tests for src/core/log.c (text and JSON log lines, levels, time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kefu/log.h"
#include "kefu/utf8.h"

/* An unlinked temp file: the log writes to fd, the test reads it back. */
struct sink {
    int fd;
    struct kf_log *log; /* freed by the teardown, so a failed check leaks nothing */
    char text[1 << 16];
    size_t len;
};

static int sink_setup(void **state)
{
    struct sink *s = calloc(1, sizeof *s);
    char path[] = "/tmp/kefu-unit-log-XXXXXX";
    s->fd = mkstemp(path);
    if (s->fd < 0)
        return -1;
    unlink(path);
    *state = s;
    return 0;
}

static int sink_teardown(void **state)
{
    struct sink *s = *state;
    close(s->fd);
    kf_log_free(s->log);
    free(s);
    return 0;
}

static const char *sink_read(struct sink *s)
{
    ssize_t n = pread(s->fd, s->text, sizeof s->text - 1, 0);
    assert_true(n >= 0);
    s->len = (size_t)n;
    s->text[s->len] = '\0';
    return s->text;
}

static struct kf_log *new_log(struct sink *s, enum kf_log_level level, enum kf_log_format format)
{
    struct kf_log_params p = kf_log_default_params();
    p.level = level;
    p.format = format;
    p.fd = s->fd;
    kf_log_free(s->log);
    s->log = kf_log_new(p);
    assert_non_null(s->log);
    return s->log;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void assert_iso8601(const char *ts, size_t len)
{
    assert_int_equal(len, 24);
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < 24; i++) {
        if (shape[i] == 'd')
            assert_true(ts[i] >= '0' && ts[i] <= '9');
        else
            assert_int_equal(ts[i], shape[i]);
    }
}

static void test_defaults_and_parsing(void **state)
{
    (void)state;
    struct kf_log_params p = kf_log_default_params();
    assert_int_equal(p.level, KF_LOG_INFO);
    assert_int_equal(p.format, KF_LOG_TEXT);
    assert_int_equal(p.fd, 2);
    assert_int_equal(kf_log_level_parse("debug"), KF_LOG_DEBUG);
    assert_int_equal(kf_log_level_parse("info"), KF_LOG_INFO);
    assert_int_equal(kf_log_level_parse("warn"), KF_LOG_WARN);
    assert_int_equal(kf_log_level_parse("error"), KF_LOG_ERROR);
    assert_int_equal(kf_log_level_parse("off"), KF_LOG_OFF);
    assert_int_equal(kf_log_level_parse("INFO"), -1);
    assert_int_equal(kf_log_level_parse("warning"), -1);
    assert_int_equal(kf_log_level_parse(""), -1);
    assert_int_equal(kf_log_format_parse("text"), KF_LOG_TEXT);
    assert_int_equal(kf_log_format_parse("json"), KF_LOG_JSON);
    assert_int_equal(kf_log_format_parse("JSON"), -1);
    assert_int_equal(kf_log_format_parse("yaml"), -1);
}

static void test_text_line_format(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_DEBUG, KF_LOG_TEXT);
    KF_INFO(log, "server", "listening on http://%s:%d", "127.0.0.1", 8080);
    KF_WARN(log, "store", "slow commit: %d ms", 250);
    KF_ERROR(log, "bot", "bad file");
    KF_DEBUG(log, "engine", "客服 %s", "ok");
    const char *t = sink_read(s);
    const char *want[] = {
        " INFO  server: listening on http://127.0.0.1:8080\n",
        " WARN  store: slow commit: 250 ms\n",
        " ERROR bot: bad file\n",
        " DEBUG engine: 客服 ok\n",
    };
    const char *line = t;
    for (size_t i = 0; i < 4; i++) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_iso8601(line, 24);
        size_t rest = (size_t)(nl + 1 - (line + 24));
        assert_int_equal(rest, strlen(want[i]));
        assert_memory_equal(line + 24, want[i], rest);
        line = nl + 1;
    }
    assert_string_equal(line, ""); /* exactly four lines */
}

static void test_json_line_format(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_INFO, KF_LOG_JSON);
    KF_INFO(log, "server", "listening on %s", "http://127.0.0.1:8080");
    KF_ERROR(log, "mod\"x", "quote \" backslash \\ newline \n tab \t bell \a 客服");
    const char *t = sink_read(s);
    const char *nl = strchr(t, '\n');
    assert_non_null(nl);
    assert_non_null(strchr(nl + 1, '\n'));
    assert_int_equal(t[s->len - 1], '\n');

    json_error_t je;
    json_t *a = json_loadb(t, (size_t)(nl - t), 0, &je);
    assert_non_null(a);
    assert_int_equal(json_object_size(a), 4);
    const char *ts = json_string_value(json_object_get(a, "ts"));
    assert_non_null(ts);
    assert_iso8601(ts, strlen(ts));
    assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(a, "mod")), "server");
    assert_string_equal(json_string_value(json_object_get(a, "msg")),
                        "listening on http://127.0.0.1:8080");
    /* the keys come in the documented order */
    assert_memory_equal(t, "{\"ts\":\"", 7);
    json_decref(a);

    const char *second = nl + 1;
    const char *nl2 = strchr(second, '\n');
    /* one physical line even though the message had a newline */
    assert_int_equal(nl2 + 1 - t, (long)s->len);
    json_t *b = json_loadb(second, (size_t)(nl2 - second), 0, &je);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(b, "mod")), "mod\"x");
    assert_string_equal(json_string_value(json_object_get(b, "msg")),
                        "quote \" backslash \\ newline \n tab \t bell \a 客服");
    json_decref(b);
}

static void test_levels_filter(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_WARN, KF_LOG_TEXT);
    assert_false(kf_log_enabled(log, KF_LOG_DEBUG));
    assert_false(kf_log_enabled(log, KF_LOG_INFO));
    assert_true(kf_log_enabled(log, KF_LOG_WARN));
    assert_true(kf_log_enabled(log, KF_LOG_ERROR));
    KF_DEBUG(log, "m", "d");
    KF_INFO(log, "m", "i");
    KF_WARN(log, "m", "w");
    KF_ERROR(log, "m", "e");
    const char *t = sink_read(s);
    assert_null(strstr(t, "m: d"));
    assert_null(strstr(t, "m: i"));
    assert_non_null(strstr(t, " WARN  m: w\n"));
    assert_non_null(strstr(t, " ERROR m: e\n"));
}

static void test_off_writes_nothing(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_OFF, KF_LOG_JSON);
    assert_false(kf_log_enabled(log, KF_LOG_ERROR));
    assert_false(kf_log_enabled(log, KF_LOG_OFF));
    KF_ERROR(log, "m", "e");
    kf_log_write(log, KF_LOG_OFF, "m", "x");
    sink_read(s);
    assert_int_equal(s->len, 0);
}

static void test_null_log(void **state)
{
    (void)state;
    assert_false(kf_log_enabled(NULL, KF_LOG_ERROR));
    KF_ERROR(NULL, "m", "nothing happens %d", 1);
    kf_log_free(NULL);
}

static void test_long_message_is_one_line(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_INFO, KF_LOG_TEXT);
    static char big[20000];
    memset(big, 'x', 19999);
    big[19999] = '\0';
    KF_INFO(log, "m", "%s", big);
    const char *t = sink_read(s);
    assert_true(s->len > 1000);
    assert_true(s->len < 20000); /* bounded */
    assert_int_equal(t[s->len - 1], '\n');
    assert_ptr_equal(strchr(t, '\n'), t + s->len - 1);
}

static void test_long_multibyte_message_stays_valid_json(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_INFO, KF_LOG_JSON);
    /* "a" + 2000 × "客": any byte limit near 4 KiB falls inside a character */
    static char big[1 + 2000 * 3 + 1];
    big[0] = 'a';
    for (int i = 0; i < 2000; i++)
        memcpy(big + 1 + 3 * i, "客", 3);
    big[1 + 2000 * 3] = '\0';
    KF_INFO(log, "m", "%s", big);
    const char *t = sink_read(s);
    assert_true(s->len > 1000);
    assert_int_equal(t[s->len - 1], '\n');
    assert_ptr_equal(strchr(t, '\n'), t + s->len - 1);
    /* a JSON line must be valid UTF-8 and parse, even when truncated */
    assert_true(kf_utf8_valid(t, s->len));
    json_error_t je;
    json_t *o = json_loadb(t, s->len - 1, 0, &je);
    assert_non_null(o);
    const char *msg = json_string_value(json_object_get(o, "msg"));
    assert_non_null(msg);
    assert_int_equal(msg[0], 'a');
    json_decref(o);
}

struct writer_arg {
    struct kf_log *log;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *w = p;
    for (int i = 0; i < 300; i++)
        KF_INFO(w->log, "thread", "writer %d line %d %s", w->id, i,
                "padding padding padding padding padding padding padding padding");
    return NULL;
}

static void test_threads_never_interleave_inside_a_line(void **state)
{
    struct sink *s = *state;
    struct kf_log *log = new_log(s, KF_LOG_INFO, KF_LOG_JSON);
    pthread_t th[4];
    struct writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct writer_arg){log, i};
        assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    /* 1200 lines × ~150 bytes: read it all */
    off_t size = lseek(s->fd, 0, SEEK_END);
    char *all = malloc((size_t)size + 1);
    assert_int_equal(pread(s->fd, all, (size_t)size, 0), size);
    all[size] = '\0';
    int count[4] = {0};
    int lines = 0;
    for (char *line = all, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)(nl - line), 0, &je);
        assert_non_null(o);
        int id = -1, n = -1;
        assert_int_equal(sscanf(json_string_value(json_object_get(o, "msg")),
                                "writer %d line %d", &id, &n),
                         2);
        assert_true(id >= 0 && id < 4);
        assert_int_equal(n, count[id]); /* each thread's lines in its order */
        count[id]++;
        lines++;
        json_decref(o);
    }
    assert_int_equal(lines, 1200);
    free(all);
}

static void test_time_iso8601(void **state)
{
    (void)state;
    char buf[32];
    kf_time_iso8601(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    kf_time_iso8601(1795608000123LL, buf);
    assert_string_equal(buf, "2026-11-25T12:00:00.123Z");
    kf_time_iso8601(951868799999LL, buf); /* a leap day, last millisecond */
    assert_string_equal(buf, "2000-02-29T23:59:59.999Z");
    long long now = kf_time_now_ms();
    long long sec = (long long)time(NULL);
    assert_true(now / 1000 >= sec - 2 && now / 1000 <= sec + 2);
    kf_time_iso8601(now, buf);
    assert_iso8601(buf, strlen(buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_parsing),
        cmocka_unit_test_setup_teardown(test_text_line_format, sink_setup, sink_teardown),
        cmocka_unit_test_setup_teardown(test_json_line_format, sink_setup, sink_teardown),
        cmocka_unit_test_setup_teardown(test_levels_filter, sink_setup, sink_teardown),
        cmocka_unit_test_setup_teardown(test_off_writes_nothing, sink_setup, sink_teardown),
        cmocka_unit_test(test_null_log),
        cmocka_unit_test_setup_teardown(test_long_message_is_one_line, sink_setup, sink_teardown),
        cmocka_unit_test_setup_teardown(test_long_multibyte_message_stays_valid_json, sink_setup,
                                        sink_teardown),
        cmocka_unit_test_setup_teardown(test_threads_never_interleave_inside_a_line, sink_setup,
                                        sink_teardown),
        cmocka_unit_test(test_time_iso8601),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
