/*
 * cmd_users.c — `kefu users add|list|passwd|set` and `kefu keys
 * add|list|revoke`: staff accounts and API keys in the store (auth.h).
 *
 * Passwords come from --password-stdin (one line; for scripts) or are asked
 * for twice on the terminal without echo. A key is printed once, on stdout,
 * and never again: only its hash is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "kefu/auth.h"
#include "kefu/store.h"

struct users_opts {
    const char *role;
    const char *display_name;
    int password_stdin;
    int disable, enable;
};

static void users_help(void)
{
    fputs("Usage: kefu users add NAME --role agent|supervisor|admin [--display-name TEXT]\n"
          "                          [--password-stdin]\n"
          "       kefu users list\n"
          "       kefu users passwd NAME [--password-stdin]\n"
          "       kefu users set NAME [--role ROLE] [--disable | --enable]\n"
          "Staff accounts of the agent console and the dashboard (docs/auth.md). Without\n"
          "--password-stdin the password is asked for twice on the terminal. Changing a\n"
          "password, a role or disabling ends the user's sessions.\n\n",
          stdout);
    cli_help_common();
}

static void keys_help(void)
{
    fputs("Usage: kefu keys add NAME --role channel|agent|supervisor|admin\n"
          "       kefu keys list\n"
          "       kefu keys revoke NAME\n"
          "API keys for channels and back-office integrations (docs/auth.md). The key is\n"
          "printed once; send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.\n\n",
          stdout);
    cli_help_common();
}

static int users_opt(int opt, const char *arg, void *ctx)
{
    struct users_opts *o = ctx;
    switch (opt) {
    case 'r': o->role = arg; return 0;
    case 'D': o->display_name = arg; return 0;
    case 'S': o->password_stdin = 1; return 0;
    case 'X': o->disable = 1; return 0;
    case 'E': o->enable = 1; return 0;
    default: return 2;
    }
}

static const struct option users_extra[] = {{"role", required_argument, NULL, 'r'},
                                            {"display-name", required_argument, NULL, 'D'},
                                            {"password-stdin", no_argument, NULL, 'S'},
                                            {"disable", no_argument, NULL, 'X'},
                                            {"enable", no_argument, NULL, 'E'},
                                            {NULL, 0, NULL, 0}};

static struct kf_store *users__store(const struct kf_config *cfg)
{
    struct kf_store_params sp = kf_store_default_params();
    sp.path = cfg->db_path;
    sp.synchronous_full = strcmp(cfg->synchronous, "full") == 0;
    sp.pool_size = 1;
    struct kf_store *st = NULL;
    struct kf_err err = {0};
    if (kf_store_open(sp, &st, &err) != KF_OK || kf_store_migrate(st, NULL, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s: %s\n", cfg->db_path, err.msg);
        kf_store_free(st);
        return NULL;
    }
    return st;
}

/* One line from f without its newline; 0, or -1 at EOF / too long. */
static int users__line(FILE *f, char *buf, size_t cap)
{
    if (fgets(buf, (int)cap, f) == NULL)
        return -1;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] != '\n' && !feof(f))
        return -1; /* longer than the buffer */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

static int users__ask(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    fputs(prompt, stderr);
    int rc = users__line(stdin, buf, cap);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return rc;
}

/* The new password into buf (KF_AUTH_PASSWORD_MAX + 2). */
static int users__password(const struct users_opts *o, char *buf, size_t cap)
{
    if (o->password_stdin || !isatty(STDIN_FILENO)) {
        if (users__line(stdin, buf, cap) != 0) {
            fprintf(stderr, "kefu: users: expected the password on one line of stdin (at most "
                            "%d bytes)\n", KF_AUTH_PASSWORD_MAX);
            return -1;
        }
        return 0;
    }
    char again[KF_AUTH_PASSWORD_MAX + 2];
    if (users__ask("Password: ", buf, cap) != 0 || users__ask("Again: ", again, sizeof again) != 0)
        return -1;
    if (strcmp(buf, again) != 0) {
        fputs("kefu: users: the two passwords differ\n", stderr);
        return -1;
    }
    return 0;
}

static int users__exit(int rc)
{
    return rc == KF_OK ? 0 : rc == KF_EINVAL || rc == KF_ECONFLICT || rc == KF_ENOTFOUND ? 2 : 1;
}

static void users__time(char *out, size_t cap, json_t *v)
{
    if (!json_is_integer(v)) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t)(json_integer_value(v) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

static int users__list(struct kf_store *st)
{
    json_t *list = NULL;
    struct kf_err err = {0};
    int rc = kf_users_list(st, &list, &err);
    if (rc != KF_OK) {
        fprintf(stderr, "kefu: users list: %s\n", err.msg);
        return users__exit(rc);
    }
    printf("%-4s %-24s %-11s %-9s %-17s %s\n", "id", "username", "role", "status", "created (UTC)",
           "display name");
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u) {
        char when[32];
        users__time(when, sizeof when, json_object_get(u, "created_at"));
        const char *dn = json_string_value(json_object_get(u, "display_name"));
        printf("%-4lld %-24s %-11s %-9s %-17s %s\n",
               (long long)json_integer_value(json_object_get(u, "id")),
               json_string_value(json_object_get(u, "username")),
               json_string_value(json_object_get(u, "role")),
               json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active", when,
               dn ? dn : "");
    }
    printf("%zu user(s)\n", json_array_size(list));
    json_decref(list);
    return 0;
}

int cmd_users(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;
    if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        users_help();
        return verb == NULL ? 2 : 0;
    }
    int named = strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0 ||
                strcmp(verb, "set") == 0;
    if (!named && strcmp(verb, "list") != 0) {
        fprintf(stderr, "kefu: users: unknown command '%s' (add, list, passwd, set)\n", verb);
        return 2;
    }
    if (named && (argc < 3 || argv[2][0] == '-')) {
        fprintf(stderr, "kefu: users %s: NAME missing\nTry 'kefu users --help'.\n", verb);
        return 2;
    }
    struct users_opts o = {0};
    struct kf_config cfg;
    int skip = named ? 2 : 1;
    int rc = cli_parse(argc - skip, argv + skip, "", users_extra, users_opt, &o, users_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    const char *name = named ? argv[2] : NULL;
    if (strcmp(verb, "add") == 0 && o.role == NULL) {
        fputs("kefu: users add: --role is required (agent, supervisor or admin)\n", stderr);
        return 2;
    }
    if (o.disable && o.enable) {
        fputs("kefu: users set: --disable and --enable exclude each other\n", stderr);
        return 2;
    }
    struct kf_store *st = users__store(&cfg);
    if (st == NULL)
        return 1;
    struct kf_err err = {0};
    char pw[KF_AUTH_PASSWORD_MAX + 2];
    if (strcmp(verb, "list") == 0) {
        rc = users__list(st);
    } else if (strcmp(verb, "set") == 0) {
        rc = kf_users_update(st, name, o.role, o.disable ? 1 : o.enable ? 0 : -1, &err);
        if (rc == KF_OK)
            printf("updated user %s\n", name);
        rc = rc == KF_OK ? 0 : (fprintf(stderr, "kefu: users set: %s\n", err.msg), users__exit(rc));
    } else if (users__password(&o, pw, sizeof pw) != 0) {
        rc = 2;
    } else if (strcmp(verb, "add") == 0) {
        long long id = 0;
        rc = kf_users_add(st, name, o.display_name, o.role, pw, &id, &err);
        if (rc == KF_OK)
            printf("added user %s (id %lld, role %s)\n", name, id, o.role);
        rc = rc == KF_OK ? 0 : (fprintf(stderr, "kefu: users add: %s\n", err.msg), users__exit(rc));
    } else {
        rc = kf_users_passwd(st, name, pw, &err);
        if (rc == KF_OK)
            printf("changed the password of %s (their sessions ended)\n", name);
        rc = rc == KF_OK ? 0
                         : (fprintf(stderr, "kefu: users passwd: %s\n", err.msg), users__exit(rc));
    }
    memset(pw, 0, sizeof pw);
    kf_store_free(st);
    return rc;
}

int cmd_keys(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;
    if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        keys_help();
        return verb == NULL ? 2 : 0;
    }
    int named = strcmp(verb, "add") == 0 || strcmp(verb, "revoke") == 0;
    if (!named && strcmp(verb, "list") != 0) {
        fprintf(stderr, "kefu: keys: unknown command '%s' (add, list, revoke)\n", verb);
        return 2;
    }
    if (named && (argc < 3 || argv[2][0] == '-')) {
        fprintf(stderr, "kefu: keys %s: NAME missing\nTry 'kefu keys --help'.\n", verb);
        return 2;
    }
    struct users_opts o = {0};
    struct kf_config cfg;
    int skip = named ? 2 : 1;
    int rc = cli_parse(argc - skip, argv + skip, "", users_extra, users_opt, &o, keys_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (strcmp(verb, "add") == 0 && o.role == NULL) {
        fputs("kefu: keys add: --role is required (channel, agent, supervisor or admin)\n", stderr);
        return 2;
    }
    struct kf_store *st = users__store(&cfg);
    if (st == NULL)
        return 1;
    struct kf_err err = {0};
    if (strcmp(verb, "add") == 0) {
        char key[KF_AUTH_TOKEN_MAX];
        long long id = 0;
        rc = kf_keys_add(st, argv[2], o.role, key, &id, &err);
        if (rc == KF_OK) {
            printf("%s\n", key);
            fprintf(stderr, "added key %s (id %lld, role %s): shown once, keep it now\n", argv[2],
                    id, o.role);
            memset(key, 0, sizeof key);
        }
    } else if (strcmp(verb, "revoke") == 0) {
        rc = kf_keys_revoke(st, argv[2], &err);
        if (rc == KF_OK)
            printf("revoked key %s\n", argv[2]);
    } else {
        json_t *list = NULL;
        rc = kf_keys_list(st, &list, &err);
        if (rc == KF_OK) {
            printf("%-4s %-24s %-11s %-14s %-17s %s\n", "id", "name", "role", "prefix",
                   "created (UTC)", "status");
            size_t i;
            json_t *k;
            json_array_foreach(list, i, k) {
                char when[32];
                users__time(when, sizeof when, json_object_get(k, "created_at"));
                printf("%-4lld %-24s %-11s %-14s %-17s %s\n",
                       (long long)json_integer_value(json_object_get(k, "id")),
                       json_string_value(json_object_get(k, "name")),
                       json_string_value(json_object_get(k, "role")),
                       json_string_value(json_object_get(k, "prefix")), when,
                       json_is_integer(json_object_get(k, "revoked_at")) ? "revoked" : "active");
            }
            printf("%zu key(s)\n", json_array_size(list));
            json_decref(list);
        }
    }
    if (rc != KF_OK)
        fprintf(stderr, "kefu: keys %s: %s\n", verb, err.msg);
    kf_store_free(st);
    return users__exit(rc);
}
