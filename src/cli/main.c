/*
 * main.c — the kefu command: dispatches to subcommands.
 *
 * Each subcommand is a thin program over libkefu; see cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fputs("kefu — intelligent customer service (客服)\n"
          "\n"
          "Usage: kefu COMMAND [options]\n"
          "\n"
          "Commands:\n"
          "  serve     run the HTTP server: web chat, JSON API, Rasa REST channel\n"
          "  chat      talk to the bot in this terminal\n"
          "  train     train a classifier (intent, sentiment, spam, ...)\n"
          "  eval      score a classifier: accuracy, macro-F1, out-of-scope\n"
          "  predict   classify texts from stdin\n"
          "  demo      demo seed: fill the store with the deterministic demo shop\n"
          "  import    import customer events from a CSV or JSON-lines file\n"
          "  profiles  customer profiles: rebuild, show ID\n"
          "  segments  customer segments and tags, or the customers of one\n"
          "  campaigns lifecycle campaigns: run [--dry-run], list, report\n"
          "  mine      mine rules: association rules from order baskets (cross-sell)\n"
          "  users     staff accounts: add, list, passwd, set\n"
          "  keys      API keys for channels and integrations: add, list, revoke\n"
          "  review    the review queue: list, export (what kefu train --reviewed adds)\n"
          "  experiments  A/B experiments: list, report ID\n"
          "  version   print the version\n"
          "  help      this help (kefu COMMAND --help for a command's options)\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "chat") == 0)
        return cmd_chat(argc - 1, argv + 1);
    if (strcmp(cmd, "users") == 0)
        return cmd_users(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "review") == 0)
        return cmd_review(argc - 1, argv + 1);
    if (strcmp(cmd, "experiments") == 0)
        return cmd_experiments(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "predict") == 0)
        return cmd_predict(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(cmd, "profiles") == 0)
        return cmd_profiles(argc - 1, argv + 1);
    if (strcmp(cmd, "segments") == 0)
        return cmd_segments(argc - 1, argv + 1);
    if (strcmp(cmd, "campaigns") == 0)
        return cmd_campaigns(argc - 1, argv + 1);
    if (strcmp(cmd, "mine") == 0)
        return cmd_mine(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            puts("Usage: kefu version\nPrints kefu's version.");
            return 0;
        }
        printf("kefu %s\n", KEFU_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "kefu: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
