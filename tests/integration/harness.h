/*
 * harness.h — start the real `kefu serve` and talk HTTP to it (tests only).
 *
 * kefu is started with --port 0 and its stdout is read until the
 * "listening on http://HOST:PORT" line, so tests never race for a port.
 */
#ifndef KEFU_TEST_HARNESS_H
#define KEFU_TEST_HARNESS_H

#include <jansson.h>
#include <sys/types.h>

struct kefu_proc {
    pid_t pid;
    int port;
    char base[64]; /* http://127.0.0.1:PORT */
    /* An admin API key made for the test's database (kept beside it in
     * DB.th-admin-key, so a restarted server reuses it); th_http sends it
     * unless the request brings its own Authorization header. */
    char auth[96];
};

/* A fresh temporary folder (mkdtemp); path written into out. */
void th_tmpdir(char out[256]);
/* rm -rf of a folder made by th_tmpdir. */
void th_rmdir(const char *path);

/* Run the kefu binary with args (NULL-terminated, without the program name)
 * and wait: its exit status, -1 if it did not exit normally. */
int th_run(const char *const *args);

/* Start kefu serve on db; extra flags (NULL-terminated) are appended.
 * Returns 0 on success. */
int th_start(struct kefu_proc *p, const char *db, const char *const *extra);
/* The same, with kefu's stderr (its log lines) appended to log_path (NULL:
 * inherited, as th_start does). */
int th_start_log(struct kefu_proc *p, const char *db, const char *const *extra,
                 const char *log_path);
/* Send sig (SIGTERM for a clean stop, SIGKILL for a crash) and reap. Returns
 * the exit status as waitpid gives it. */
int th_stop(struct kefu_proc *p, int sig);

struct th_resp {
    long status;
    char *body;        /* NUL-terminated, malloc'd */
    size_t len;
    char ctype[128];
    char cache_control[128]; /* the Cache-Control header, "" if none */
    char allow[128];         /* the Allow header (405 replies), "" if none */
};

/* Add a staff user to db (kefu users add ... --password-stdin): 0 on success. */
int th_user(const char *db, const char *name, const char *role, const char *password);
/* Sign in through POST /api/v1/auth/login: 0 and the session token, or -1. */
int th_login(const struct kefu_proc *p, const char *name, const char *password, char token[64]);
/* Run kefu with args and its stdin fed from `input`; its stdout (first
 * outcap-1 bytes) into out. Returns the exit status, -1 if it did not exit. */
int th_run_io(const char *const *args, const char *input, char *out, size_t outcap);

/* One HTTP request; body may be NULL; ctype NULL = application/json.
 * Sends the proc's admin key unless headers hold an Authorization line
 * ("Authorization:" with no value sends no credentials at all). */
int th_http(const struct kefu_proc *p, const char *method, const char *path, const char *body,
            size_t body_len, const char *ctype, struct th_resp *out);
/* The same with extra request headers ("Name: value", NULL-terminated). */
int th_http_ex(const struct kefu_proc *p, const char *method, const char *path, const char *body,
               size_t body_len, const char *ctype, const char *const *headers,
               struct th_resp *out);
void th_resp_free(struct th_resp *r);

/* The same as `token` (a session token or API key; NULL: no credentials at
 * all): the reply as JSON (NULL if it is not JSON), *status its status, and
 * the body's first bytes into body_out (optional) for failure messages. */
json_t *th_json_as(const struct kefu_proc *p, const char *token, const char *method,
                   const char *path, const char *body, long *status, char *body_out,
                   size_t body_cap);

/* Request + parse the reply as JSON (NULL if it is not JSON). */
json_t *th_json(const struct kefu_proc *p, const char *method, const char *path,
                const char *body, long *status);

#endif
