/*
 * cmd_chat.c — `kefu chat`: the same bot in a terminal.
 *
 * With a terminal, lines are read through libedit (editing, history kept in
 * ~/.kefu_history); with a pipe, plain lines are read so scripts can drive
 * it. The conversation is stored like any other (channel `cli`).
 * In-chat commands: /new, /lang zh|en, /help, /quit; a number picks one of
 * the quick replies just shown.
 */
#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kefu/arena.h"
#include "kefu/engine.h"

struct chat_opts {
    char lang[8];
    int meta; /* --meta: show kind, FAQ id and confidence */
    char customer[128]; /* --customer: chat as this web customer (e.g. demo-customer-1) */
};

static void chat_help(void)
{
    fputs("Usage: kefu chat [--lang zh|en] [--meta] [--customer ID] [options]\n"
          "Talk to the bot in this terminal (line editing and history when interactive).\n"
          "  -l, --lang L          conversation language (default: the bot's first)\n"
          "      --meta            show each reply's kind, FAQ id and confidence\n"
          "      --customer ID     chat as the web customer ID (demo-customer-1 owns the\n"
          "                        demo orders DS20261101001-005; default: a new customer)\n"
          "In the chat: /new starts over, /lang en switches language, /quit leaves,\n"
          "and a number picks one of the suggested replies.\n\n",
          stdout);
    cli_help_common();
}

static int chat_opt(int opt, const char *arg, void *ctx)
{
    struct chat_opts *o = ctx;
    if (opt == 'l') {
        snprintf(o->lang, sizeof o->lang, "%s", arg);
        return 0;
    }
    if (opt == 'M') {
        o->meta = 1;
        return 0;
    }
    if (opt == 'C') {
        if (strlen(arg) >= sizeof o->customer) {
            fprintf(stderr, "kefu: --customer: longer than %zu bytes\n", sizeof o->customer - 1);
            return 2;
        }
        snprintf(o->customer, sizeof o->customer, "%s", arg);
        return 0;
    }
    return 2;
}

struct chat {
    struct kf_engine *engine;
    struct kf_conversation conv;
    struct chat_opts opts;
    int tty;
    /* quick replies of the last bot message, owned */
    char *qr[8];
    size_t nqr;
};

static void chat__clear_qr(struct chat *c)
{
    for (size_t i = 0; i < c->nqr; i++)
        free(c->qr[i]);
    c->nqr = 0;
}

/* Print a bot message and remember its quick replies (meta JSON parsed
 * loosely: we only need the "text" fields, in order). */
static void chat__show(struct chat *c, const struct kf_message *m)
{
    printf("%s%s>%s %s\n", c->tty ? "\033[1;34m" : "", kf_bot_name(kf_engine_bot(c->engine)),
           c->tty ? "\033[0m" : "", m->text);
    chat__clear_qr(c);
    const char *meta = m->meta_json ? m->meta_json : "";
    if (c->opts.meta)
        printf("  [%s %s]\n", m->kind, meta);
    const char *p = strstr(meta, "\"quick_replies\"");
    while (p != NULL && c->nqr < 8 && (p = strstr(p, "\"text\":\"")) != NULL) {
        p += 8;
        const char *end = p;
        while (*end && !(*end == '"' && end[-1] != '\\'))
            end++;
        c->qr[c->nqr] = strndup(p, (size_t)(end - p));
        printf("  [%zu] %s\n", c->nqr + 1, c->qr[c->nqr]);
        c->nqr++;
        p = end;
    }
}

static int chat__start(struct chat *c, struct kf_arena *a)
{
    struct kf_start req = {.channel = c->opts.customer[0] ? "web" : "cli",
                           .lang = c->opts.lang[0] ? c->opts.lang : NULL,
                           .external_id = c->opts.customer[0] ? c->opts.customer : NULL};
    struct kf_message greeting;
    struct kf_err err = {0};
    if (kf_engine_start(c->engine, &req, a, &c->conv, &greeting, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        return -1;
    }
    chat__show(c, &greeting);
    return 0;
}

static char *chat__read(struct chat *c)
{
    if (c->tty)
        return readline("you> ");
    char buf[8192];
    if (fgets(buf, sizeof buf, stdin) == NULL)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

int cmd_chat(int argc, char **argv)
{
    static const struct option extra[] = {{"lang", required_argument, NULL, 'l'},
                                          {"meta", no_argument, NULL, 'M'},
                                          {"customer", required_argument, NULL, 'C'},
                                          {NULL, 0, NULL, 0}};
    struct chat c;
    memset(&c, 0, sizeof c);
    struct kf_config cfg;
    int rc = cli_parse(argc, argv, "l:", extra, chat_opt, &c.opts, chat_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;

    /* no log: the terminal is for the conversation */
    c.engine = cli_engine_open(&cfg, 1, NULL, &rc);
    if (c.engine == NULL)
        return rc;
    struct kf_err err = {0};
    if (c.opts.lang[0] && kf_bot_lang_index(kf_engine_bot(c.engine), c.opts.lang) < 0) {
        fprintf(stderr, "kefu: --lang: '%s' is not a language of bot '%s'\n", c.opts.lang,
                kf_bot_name(kf_engine_bot(c.engine)));
        kf_engine_free(c.engine);
        return 2;
    }
    c.tty = isatty(0) && isatty(1);
    char hist[4096] = "";
    if (c.tty && getenv("HOME") != NULL) {
        snprintf(hist, sizeof hist, "%s/.kefu_history", getenv("HOME"));
        using_history();
        read_history(hist);
    }
    struct kf_arena *a = kf_arena_new(0, 0);
    rc = a && chat__start(&c, a) == 0 ? 0 : 1;
    char *line;
    while (rc == 0 && (line = chat__read(&c)) != NULL) {
        kf_arena_reset(a);
        char *text = line;
        while (*text == ' ')
            text++;
        if (*text == '\0') {
            free(line);
            continue;
        }
        if (c.tty)
            add_history(text);
        if (strcmp(text, "/quit") == 0 || strcmp(text, "/exit") == 0) {
            free(line);
            break;
        }
        if (strcmp(text, "/help") == 0) {
            puts("/new  start over    /lang zh|en  switch language    /quit  leave\n"
                 "a number picks a suggested reply");
            free(line);
            continue;
        }
        if (strcmp(text, "/new") == 0 || strncmp(text, "/lang ", 6) == 0) {
            if (text[1] == 'l')
                snprintf(c.opts.lang, sizeof c.opts.lang, "%s", text + 6);
            if (c.opts.lang[0] && kf_bot_lang_index(kf_engine_bot(c.engine), c.opts.lang) < 0) {
                printf("unknown language '%s'\n", c.opts.lang);
                c.opts.lang[0] = '\0';
            } else {
                chat__start(&c, a);
            }
            free(line);
            continue;
        }
        char *end;
        long pick = strtol(text, &end, 10);
        if (*end == '\0' && pick >= 1 && (size_t)pick <= c.nqr)
            text = c.qr[pick - 1];
        struct kf_turn turn;
        const char *lang = c.opts.lang[0] ? c.opts.lang : NULL;
        if (kf_engine_post(c.engine, c.conv.id, text, strlen(text), lang, a, &turn, &err) !=
            KF_OK) {
            printf("(error: %s)\n", err.msg);
        } else {
            for (size_t i = 0; i < turn.nreplies; i++)
                chat__show(&c, &turn.replies[i]);
        }
        fflush(stdout);
        free(line);
    }
    if (hist[0])
        write_history(hist);
    chat__clear_qr(&c);
    kf_arena_free(a);
    kf_engine_free(c.engine);
    return rc;
}
