/*
 * log.c — line-at-a-time logger (see log.h).
 */
#include "kefu/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kefu/mem.h"
#include "kefu/utf8.h"

#define LOG_LINE_MAX 4096

struct kf_log {
    struct kf_log_params p;
};

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

struct kf_log_params kf_log_default_params(void)
{
    return (struct kf_log_params){.level = KF_LOG_INFO, .format = KF_LOG_TEXT, .fd = 2};
}

struct kf_log *kf_log_new(struct kf_log_params params)
{
    struct kf_log *log = kf_calloc(1, sizeof *log);
    if (log != NULL)
        log->p = params;
    return log;
}

void kf_log_free(struct kf_log *log)
{
    kf_free(log);
}

int kf_log_level_parse(const char *s)
{
    for (int i = 0; i <= KF_LOG_OFF; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int kf_log_format_parse(const char *s)
{
    if (strcmp(s, "text") == 0)
        return KF_LOG_TEXT;
    if (strcmp(s, "json") == 0)
        return KF_LOG_JSON;
    return -1;
}

int kf_log_enabled(const struct kf_log *log, enum kf_log_level level)
{
    return log != NULL && level >= log->p.level && log->p.level != KF_LOG_OFF;
}

long long kf_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kf_time_iso8601(long long ms, char buf[32])
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    size_t n = strnlen(tmp, 31);
    memcpy(buf, tmp, n);
    buf[n] = '\0';
}

/* Append s to out as JSON string content (no quotes); returns new length.
 * Stops before a character that would not fit whole, and writes invalid
 * UTF-8 (e.g. a message cut by vsnprintf inside a character) as U+FFFD, so
 * every line stays valid JSON. */
static size_t log__json_escape(char *out, size_t at, size_t cap, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (at + 7 >= cap)
                break;
            if (c == '"' || c == '\\') {
                out[at++] = '\\';
                out[at++] = (char)c;
            } else if (c < 0x20) {
                at += (size_t)snprintf(out + at, cap - at, "\\u%04x", c);
            } else {
                out[at++] = (char)c;
            }
            i++;
            continue;
        }
        uint32_t cp;
        int k = kf_utf8_decode(s + i, len - i, &cp);
        if (at + 7 + (k > 0 ? (size_t)k : 6) >= cap)
            break;
        if (k < 0) {
            memcpy(out + at, "\\ufffd", 6);
            at += 6;
            i++;
            continue;
        }
        memcpy(out + at, s + i, (size_t)k);
        at += (size_t)k;
        i += (size_t)k;
    }
    return at;
}

static void log__write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

void kf_log_write(struct kf_log *log, enum kf_log_level level, const char *mod, const char *fmt,
                  ...)
{
    if (!kf_log_enabled(log, level))
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* a cut inside a multi-byte character leaves a broken tail: drop it */
    size_t ml = strlen(msg);
    size_t keep = ml;
    while (keep > 0 && ((unsigned char)msg[keep - 1] & 0xC0) == 0x80)
        keep--;
    if (keep > 0 && (unsigned char)msg[keep - 1] >= 0xC0) {
        uint32_t cp;
        if (kf_utf8_decode(msg + keep - 1, ml - keep + 1, &cp) < 0)
            msg[keep - 1] = '\0';
    }
    char ts[32];
    kf_time_iso8601(kf_time_now_ms(), ts);

    char line[LOG_LINE_MAX * 2];
    size_t n;
    if (log->p.format == KF_LOG_JSON) {
        n = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"mod\":\"", ts,
                             level_names[level]);
        n = log__json_escape(line, n, sizeof line - 16, mod);
        n += (size_t)snprintf(line + n, sizeof line - n, "\",\"msg\":\"");
        n = log__json_escape(line, n, sizeof line - 4, msg);
        n += (size_t)snprintf(line + n, sizeof line - n, "\"}\n");
    } else {
        char up[8];
        size_t i = 0;
        for (; level_names[level][i] && i < sizeof up - 1; i++)
            up[i] = (char)(level_names[level][i] - 32);
        up[i] = '\0';
        int k = snprintf(line, sizeof line, "%s %-5s %s: %s\n", ts, up, mod, msg);
        n = k < 0 ? 0 : (size_t)k >= sizeof line ? sizeof line - 1 : (size_t)k;
        if (k >= 0 && (size_t)k >= sizeof line)
            line[n - 1] = '\n';
    }
    log__write_all(log->p.fd, line, n);
}
