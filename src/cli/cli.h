/*
 * cli.h — shared pieces of the kefu command's subcommands.
 *
 * Settings precedence for every subcommand: built-in defaults < config file
 * (--config FILE, else $KEFU_CONFIG, else ./kefu.yaml if present) < KEFU_*
 * environment variables < flags.
 */
#ifndef KEFU_CLI_H
#define KEFU_CLI_H

#include <getopt.h>
#include <jansson.h>

#include "kefu/config.h"
#include "kefu/log.h"

/* Flags every subcommand that runs the engine accepts (see cli_help_common). */
#define CLI_COMMON_OPTS                                                        \
    {"config", required_argument, NULL, 'c'}, {"port", required_argument, NULL, 'p'},       \
        {"host", required_argument, NULL, 'H'}, {"db", required_argument, NULL, 'd'},       \
        {"bot", required_argument, NULL, 'b'}, {"web", required_argument, NULL, 'w'},       \
        {"threads", required_argument, NULL, 't'},                                          \
        {"log-level", required_argument, NULL, 'L'},                                        \
        {"log-format", required_argument, NULL, 'F'}, {"set", required_argument, NULL, 's'}, \
        {"help", no_argument, NULL, 'h'}

/* Parse argv into cfg (file, env, flags). Returns 0 ok, 1 if --help was
 * given (help already printed by `help`), 2 on a usage error (printed). */
int cli_parse(int argc, char **argv, const char *extra_short, const struct option *extra,
              int (*on_extra)(int opt, const char *arg, void *ctx), void *ctx,
              void (*help)(void), struct kf_config *cfg);

void cli_help_common(void);

/* The engine the settings describe (store, bot, NLU models, PII policy),
 * with pool_size store connections; log may be NULL. On failure prints the
 * reason and returns NULL with *exit_code 2 (bad setting) or 1. */
struct kf_engine;
struct kf_engine *cli_engine_open(const struct kf_config *cfg, int pool_size, struct kf_log *log,
                                  int *exit_code);

/* A logger for the configured level/format, writing to stderr. */
struct kf_log *cli_log_new(const struct kf_config *cfg);

/* A flag's number in [min, max]; -1 with a message naming the flag. */
int cli_number(const char *flag, const char *s, double min, double max, double *out);
/* A time option: ISO 8601 (2026-11-25T12:00:00Z, ±HH:MM) or ms since the
 * epoch (ingest.h kf_ingest_parse_time); -1 after a message naming flag. */
int cli_time(const char *flag, const char *s, long long *out);

int cmd_serve(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
/* --task entities among the arguments: train/eval go to cmd_entities.c */
int cli_is_entity_task(int argc, char **argv);
int cmd_train_entities(int argc, char **argv);
int cli_has_bot_flag(int argc, char **argv);
int cmd_train_bot(int argc, char **argv);
int cmd_eval_entities(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_demo(int argc, char **argv); /* cmd_demo.c: kefu demo seed */
int cmd_import(int argc, char **argv);   /* cmd_import.c: kefu import FILE */
int cmd_profiles(int argc, char **argv); /* cmd_profiles.c: kefu profiles rebuild|show */
int cmd_segments(int argc, char **argv); /* cmd_profiles.c: kefu segments [TAG] */
int cmd_campaigns(int argc, char **argv); /* cmd_campaigns.c: kefu campaigns run|list|report */
int cmd_mine(int argc, char **argv);      /* cmd_mine.c: kefu mine rules */
int cmd_users(int argc, char **argv);     /* cmd_users.c: kefu users add|list|passwd|set */
int cmd_keys(int argc, char **argv);      /* cmd_users.c: kefu keys add|list|revoke */
int cmd_review(int argc, char **argv);    /* cmd_review.c: kefu review list|export */
/* cmd_review.c: append the approved intent corrections of the store at db
 * (review.h; lang NULL: all) to ds, skipping those ds already has (same
 * label, same text); *added (new reference) lists what was added
 * [{"id","intent","text","lang"}], *skipped counts the rest. 0, or -1 after
 * a message on stderr. `kefu train --reviewed` and `kefu review export`. */
struct kf_dataset;
int cli_review_examples(const char *db, const char *lang, struct kf_dataset *ds, json_t **added,
                        size_t *skipped);
int cmd_experiments(int argc, char **argv); /* cmd_experiments.c: kefu experiments list|report */

#endif
