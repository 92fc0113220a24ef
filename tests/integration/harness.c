/*
 * harness.c — process and HTTP helpers for integration tests (harness.h).
 */
#include "harness.h"
#include "testutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void th_tmpdir(char out[256])
{
    tu_tmpdir(out, "test");
}

void th_rmdir(const char *path)
{
    tu_rmtree(path);
}

int th_start(struct kefu_proc *p, const char *db, const char *const *extra)
{
    return th_start_log(p, db, extra, NULL);
}

/* The admin key of db's tests: made once, kept in DB.th-admin-key. */
static int th__admin_key(const char *db, char *key, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s.th-admin-key", db);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        int ok = fgets(key, (int)cap, f) != NULL;
        fclose(f);
        key[strcspn(key, "\n")] = '\0';
        if (ok && key[0] != '\0')
            return 0;
    }
    const char *args[] = {"keys", "add", "test-admin", "--role", "admin", "--db", db, NULL};
    if (th_run_io(args, NULL, key, cap) != 0)
        return -1;
    key[strcspn(key, "\n")] = '\0';
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%s\n", key);
    fclose(f);
    return key[0] != '\0' ? 0 : -1;
}

int th_start_log(struct kefu_proc *p, const char *db, const char *const *extra,
                 const char *log_path)
{
    if (th__admin_key(db, p->auth, sizeof p->auth) != 0) {
        fprintf(stderr, "harness: could not make an admin key for %s\n", db);
        return -1;
    }
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    const char *argv[32];
    int n = 0;
    argv[n++] = KEFU_BIN;
    argv[n++] = "serve";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--db";
    argv[n++] = db;
    argv[n++] = "--bot";
    argv[n++] = KEFU_SRC_ROOT "/bots/demo-shop";
    argv[n++] = "--web";
    argv[n++] = KEFU_SRC_ROOT "/web";
    argv[n++] = "--log-level";
    argv[n++] = "warn";
    for (; extra && *extra && n < 30; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (log_path != NULL) {
            int lfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (lfd >= 0) {
                dup2(lfd, 2);
                close(lfd);
            }
        }
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->port = 0;
    /* read stdout until the listening line (20 s at most) */
    char buf[4096];
    size_t len = 0;
    time_t deadline = time(NULL) + 20;
    while (p->port == 0 && time(NULL) < deadline && len < sizeof buf - 1) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        if (poll(&pfd, 1, 500) <= 0)
            continue;
        ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        const char *at = strstr(buf, "listening on http://127.0.0.1:");
        if (at != NULL && strchr(at, '\n') != NULL)
            p->port = atoi(at + strlen("listening on http://127.0.0.1:"));
    }
    /* keep draining stdout in the background so kefu never blocks on it */
    if (fork() == 0) {
        char sink[4096];
        while (read(fds[0], sink, sizeof sink) > 0) {
        }
        _exit(0);
    }
    close(fds[0]);
    if (p->port == 0) {
        fprintf(stderr, "harness: kefu did not start; output:\n%.*s\n", (int)len, buf);
        th_stop(p, SIGKILL);
        return -1;
    }
    snprintf(p->base, sizeof p->base, "http://127.0.0.1:%d", p->port);
    return 0;
}

int th_stop(struct kefu_proc *p, int sig)
{
    int status = 0;
    kill(p->pid, sig);
    waitpid(p->pid, &status, 0);
    return status;
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    struct th_resp *r = ctx;
    size_t add = size * n;
    char *nb = realloc(r->body, r->len + add + 1);
    if (nb == NULL)
        return 0;
    memcpy(nb + r->len, data, add);
    r->body = nb;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

/* The value of header `name` ("name:") when data is that header line. */
static void header_value(const char *data, size_t len, const char *name, char *dst, size_t size)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(data, name, nl) != 0)
        return;
    const char *v = data + nl;
    size_t vl = len - nl;
    while (vl > 0 && *v == ' ') {
        v++;
        vl--;
    }
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(dst, size, "%.*s", (int)vl, v);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct th_resp *r = ctx;
    size_t len = size * n;
    header_value(data, len, "cache-control:", r->cache_control, sizeof r->cache_control);
    header_value(data, len, "allow:", r->allow, sizeof r->allow);
    return len;
}

int th_http(const struct kefu_proc *p, const char *method, const char *path, const char *body,
            size_t body_len, const char *ctype, struct th_resp *out)
{
    return th_http_ex(p, method, path, body, body_len, ctype, NULL, out);
}

int th_http_ex(const struct kefu_proc *p, const char *method, const char *path, const char *body,
               size_t body_len, const char *ctype, const char *const *headers,
               struct th_resp *out)
{
    memset(out, 0, sizeof *out);
    out->body = calloc(1, 1);
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", p->base, path);
    struct curl_slist *h = NULL;
    char cth[160];
    snprintf(cth, sizeof cth, "Content-Type: %s", ctype ? ctype : "application/json");
    h = curl_slist_append(h, cth);
    h = curl_slist_append(h, "Expect:");
    int own_auth = 0;
    for (; headers && *headers; headers++) {
        own_auth |= strncasecmp(*headers, "Authorization:", 14) == 0;
        h = curl_slist_append(h, *headers);
    }
    char auth[160];
    if (!own_auth && p->auth[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->auth);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(out->ctype, sizeof out->ctype, "%s", ct ? ct : "");
    } else {
        fprintf(stderr, "harness: %s %s: %s\n", method, path, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

void th_resp_free(struct th_resp *r)
{
    free(r->body);
    r->body = NULL;
}

json_t *th_json(const struct kefu_proc *p, const char *method, const char *path,
                const char *body, long *status)
{
    struct th_resp r;
    if (th_http(p, method, path, body, body ? strlen(body) : 0, NULL, &r) != 0) {
        th_resp_free(&r);
        *status = 0;
        return NULL;
    }
    *status = r.status;
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    return doc;
}

int th_run(const char *const *args)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = KEFU_BIN;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int th_run_io(const char *const *args, const char *input, char *out, size_t outcap)
{
    int in[2], outp[2];
    if (pipe(in) != 0)
        return -1;
    if (pipe(outp) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    const char *argv[32];
    int n = 0;
    argv[n++] = KEFU_BIN;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    if (input != NULL && write(in[1], input, strlen(input)) < 0)
        perror("harness: write");
    close(in[1]);
    size_t len = 0;
    if (out != NULL && outcap > 0) {
        ssize_t r;
        while (len < outcap - 1 && (r = read(outp[0], out + len, outcap - 1 - len)) > 0)
            len += (size_t)r;
        out[len] = '\0';
    }
    char sink[512];
    while (read(outp[0], sink, sizeof sink) > 0) {
    }
    close(outp[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int th_user(const char *db, const char *name, const char *role, const char *password)
{
    const char *args[] = {"users", "add", name, "--role", role, "--password-stdin", "--db", db,
                          NULL};
    char in[300];
    snprintf(in, sizeof in, "%s\n", password);
    return th_run_io(args, in, NULL, 0);
}

int th_login(const struct kefu_proc *p, const char *name, const char *password, char token[64])
{
    json_t *body = json_pack("{s:s,s:s}", "username", name, "password", password);
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct th_resp r;
    const char *hdr[] = {"Authorization:", NULL};
    int rc = th_http_ex(p, "POST", "/api/v1/auth/login", s, strlen(s), NULL, hdr, &r);
    free(s);
    token[0] = '\0';
    if (rc == 0 && r.status == 200) {
        json_t *doc = json_loadb(r.body, r.len, 0, NULL);
        const char *t = json_string_value(json_object_get(doc, "token"));
        if (t != NULL && strlen(t) < 64)
            memcpy(token, t, strlen(t) + 1);
        json_decref(doc);
    }
    th_resp_free(&r);
    return token[0] != '\0' ? 0 : -1;
}

json_t *th_json_as(const struct kefu_proc *p, const char *token, const char *method,
                   const char *path, const char *body, long *status, char *body_out,
                   size_t body_cap)
{
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization:%s%s", token ? " Bearer " : "", token ? token : "");
    const char *hdrs[] = {auth, NULL};
    struct th_resp r;
    *status = 0;
    if (body_out != NULL && body_cap > 0)
        body_out[0] = '\0';
    if (th_http_ex(p, method, path, body, body ? strlen(body) : 0, NULL, hdrs, &r) != 0) {
        th_resp_free(&r);
        return NULL;
    }
    *status = r.status;
    if (body_out != NULL && body_cap > 0)
        snprintf(body_out, body_cap, "%s", r.body);
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    th_resp_free(&r);
    return doc;
}
