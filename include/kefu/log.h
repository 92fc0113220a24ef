/*
 * log.h — levelled logging as text lines or JSON lines.
 *
 * A struct kf_log is created by the program (server or CLI) and passed to
 * the modules that log; library code never logs to a global. Lines are
 * written with one write(2) each, so concurrent threads never interleave
 * inside a line. Callers must not pass secrets or unmasked PII.
 *
 *   text: 2026-11-25T12:00:00.123Z INFO  server: listening on http://...
 *   json: {"ts":"2026-11-25T12:00:00.123Z","level":"info","mod":"server","msg":"..."}
 */
#ifndef KEFU_LOG_H
#define KEFU_LOG_H

enum kf_log_level { KF_LOG_DEBUG, KF_LOG_INFO, KF_LOG_WARN, KF_LOG_ERROR, KF_LOG_OFF };
enum kf_log_format { KF_LOG_TEXT, KF_LOG_JSON };

struct kf_log_params {
    enum kf_log_level level;
    enum kf_log_format format;
    int fd; /* where lines go; default 2 (stderr) */
};

struct kf_log;

struct kf_log_params kf_log_default_params(void);
struct kf_log *kf_log_new(struct kf_log_params params);
void kf_log_free(struct kf_log *log); /* NULL is a no-op; does not close fd */

/* "debug", "info", "warn", "error", "off" → level; -1 if unknown. */
int kf_log_level_parse(const char *s);
int kf_log_format_parse(const char *s); /* "text" | "json"; -1 if unknown */

int kf_log_enabled(const struct kf_log *log, enum kf_log_level level);

/* log may be NULL (then nothing is written). mod names the module. */
void kf_log_write(struct kf_log *log, enum kf_log_level level, const char *mod, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

#define KF_DEBUG(log, mod, ...) kf_log_write((log), KF_LOG_DEBUG, (mod), __VA_ARGS__)
#define KF_INFO(log, mod, ...) kf_log_write((log), KF_LOG_INFO, (mod), __VA_ARGS__)
#define KF_WARN(log, mod, ...) kf_log_write((log), KF_LOG_WARN, (mod), __VA_ARGS__)
#define KF_ERROR(log, mod, ...) kf_log_write((log), KF_LOG_ERROR, (mod), __VA_ARGS__)

/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf >= 25 bytes); also used
 * for timestamps in API replies. */
void kf_time_iso8601(long long ms, char buf[32]);
long long kf_time_now_ms(void);

#endif
