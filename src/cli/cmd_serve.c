/*
 * cmd_serve.c — `kefu serve`: the engine behind the HTTP server until
 * SIGINT/SIGTERM.
 *
 * Prints one "listening on URL" line on stdout once the port is bound (tests
 * read it to learn the port when started with --port 0), then the URLs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"
#include "kefu/auth.h"
#include "kefu/engine.h"
#include "kefu/server.h"

static void serve_help(void)
{
    fputs("Usage: kefu serve [options]\n"
          "Serve the web chat (/), the JSON API (/api/v1), the Rasa-compatible REST channel\n"
          "(/webhooks/rest/webhook) and health checks (/healthz, /readyz).\n"
          "      --print-config    print every setting as it would be used, then exit\n"
          "                        (secrets show as \"(set)\")\n\n",
          stdout);
    cli_help_common();
}

static int serve_opt(int opt, const char *arg, void *ctx)
{
    (void)arg;
    if (opt != 'P')
        return 2;
    *(int *)ctx = 1;
    return 0;
}

/* --print-config: every setting and where it ends up, secrets as "(set)". */
static int serve_print_config(const struct kf_config *cfg)
{
    size_t need = kf_config_describe(cfg, NULL, 0);
    char *out = malloc(need + 1);
    if (out == NULL) {
        fputs("kefu: out of memory\n", stderr);
        return 1;
    }
    kf_config_describe(cfg, out, need + 1);
    fputs(out, stdout);
    free(out);
    return 0;
}

/* Where staff sign in: the demo's accounts file, or how to make one. */
static void serve__accounts(const struct kf_config *cfg, struct kf_engine *engine)
{
    long long n = 0;
    struct kf_err err = {0};
    if (kf_users_count(kf_engine_store(engine), &n, &err) != KF_OK)
        return;
    if (n == 0) {
        printf("no staff accounts yet: kefu users add NAME --role admin (docs/auth.md)\n");
        return;
    }
    char path[KF_CONFIG_STR_MAX + 32];
    const char *slash = strrchr(cfg->db_path, '/');
    snprintf(path, sizeof path, "%.*sdemo-accounts.txt",
             slash ? (int)(slash - cfg->db_path + 1) : 0, cfg->db_path);
    if (access(path, R_OK) == 0)
        printf("sign in to the console and dashboard with an account from %s\n", path);
    if (cfg->identity_secret[0] == '\0')
        printf("note: auth.identity_secret is not set, so web customers are who they say they "
               "are (docs/auth.md)\n");
}

int cmd_serve(int argc, char **argv)
{
    static const struct option extra[] = {{"print-config", no_argument, NULL, 'P'},
                                          {NULL, 0, NULL, 0}};
    struct kf_config cfg;
    int print = 0;
    int rc = cli_parse(argc, argv, NULL, extra, serve_opt, &print, serve_help, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (print)
        return serve_print_config(&cfg);

    /* block the stop signals before any thread starts, then wait for them */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct kf_log *log = cli_log_new(&cfg);
    struct kf_engine *engine = cli_engine_open(&cfg, (int)cfg.threads + 2, log, &rc);
    if (engine == NULL) {
        kf_log_free(log);
        return rc;
    }
    struct kf_err err = {0};
    struct kf_server_params sp = kf_server_default_params();
    sp.host = cfg.host;
    sp.port = (int)cfg.port;
    sp.threads = (int)cfg.threads;
    sp.max_body = (size_t)cfg.max_body;
    sp.web_root = cfg.web_root;
    sp.reveal_token = cfg.reveal_token;
    sp.engine = engine;
    sp.log = log;
    char campaigns_path[KF_CONFIG_STR_MAX + 32];
    snprintf(campaigns_path, sizeof campaigns_path, "%s/campaigns.yaml", cfg.bot_path);
    sp.campaigns_path = campaigns_path;
    sp.campaigns_interval_s = cfg.campaigns_interval_s;
    sp.campaigns_max_per_run = cfg.campaigns_max_per_run;
    sp.profiles_rebuild_interval_s = cfg.profiles_rebuild_interval_s;
    sp.config = &cfg;
    struct kf_server *srv = NULL;
    if (kf_server_start(sp, &srv, &err) != KF_OK) {
        fprintf(stderr, "kefu: %s\n", err.msg);
        kf_engine_free(engine);
        kf_log_free(log);
        return 1;
    }
    char base[300];
    const char *h = cfg.host;
    snprintf(base, sizeof base, strchr(h, ':') ? "http://[%s]:%d" : "http://%s:%d", h,
             kf_server_port(srv));
    printf("listening on %s\n"
           "  web chat     %s/   (as a demo customer: %s/?customer=demo-customer-1)\n"
           "  agent console %s/console.html   dashboard %s/dashboard.html\n"
           "  JSON API     %s/api/v1/conversations   (docs/api.md)\n"
           "  back office  %s/api/v1/tickets  %s/api/v1/customers/1  %s/api/v1/products\n"
           "  NLU parse    %s/api/v1/nlu/parse\n"
           "  Rasa REST    %s/webhooks/rest/webhook\n"
           "  health       %s/healthz  %s/readyz\n"
           "bot '%s' from %s, database %s. Ctrl-C stops.\n",
           base, base, base, base, base, base, base, base, base, base, base, base, base,
           kf_bot_name(kf_engine_bot(engine)), cfg.bot_path, cfg.db_path);
    serve__accounts(&cfg, engine);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    KF_INFO(log, "serve", "signal %d: stopping", sig);
    kf_server_free(srv);
    kf_engine_free(engine);
    kf_log_free(log);
    return 0;
}
