/*
 * engine.h — conversations as a service: the one place where the bot's
 * replies meet the store. The HTTP server, the Rasa channel and `kefu chat`
 * all go through these calls, so every channel behaves the same.
 *
 * A turn (kf_engine_post) replaces personal data in the customer's text by
 * the privacy policy (pii.h), runs the dialog policy, then writes the
 * customer's message, its sealed raw values (the PII vault), the replies and
 * any handoff request in one transaction; only after that commit does it
 * return, so whatever a caller acknowledges is durable.
 *
 * Ownership: the engine owns its store, bot and a copy of the vault key (wiped
 * by kf_engine_free). Messages returned by calls live in the caller's arena.
 * Thread-safe.
 */
#ifndef KEFU_ENGINE_H
#define KEFU_ENGINE_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/bot.h"
#include "kefu/connector.h"
#include "kefu/err.h"
#include "kefu/log.h"
#include "kefu/nlu.h"
#include "kefu/pii.h"
#include "kefu/store.h"

#define KF_MESSAGE_MAX_BYTES 4000 /* longest customer message */

struct kf_engine;

struct kf_engine_params {
    const char *db_path;
    int synchronous_full;
    int pool_size;
    const char *bot_path;
    const char *model_dir; /* models of the bot's NLU go to MODEL_DIR/BOT_NAME */
    /* PII policy (pii.h): the types detected before anything is stored or
     * analysed and what each becomes; default every type, mask. */
    struct kf_pii_policy pii;
    /* The PII vault key (copied): raw values are sealed with it and stored
     * beside their message in the same transaction, so kf_engine_reveal can
     * put them back. NULL: no vault, raw values are dropped after masking
     * (and a hash policy is an error). */
    const struct kf_pii_key *pii_key;
    int train_threads;
    struct kf_log *log; /* borrowed; may be NULL */
    /* The back ends of the business layer (connector.h); a type of NULL or
     * "builtin" is the engine's own store (the store field is ignored). */
    struct kf_connector_params orders, tickets, customers;
    /* Churn alert (docs/console.md): this many negative customer messages in
     * a row queue the conversation for a human and open a churn_risk ticket
     * for supervisors, with a churn_alert webhook in the outbox; 0: off.
     * Default 3 (config churn.negative_streak). */
    int churn_negative_streak;
    /* A/B experiments (experiment.h, docs/experiments.md): 1 runs the bot's
     * experiments.yaml (when there is one) — variants by customer, exposures
     * recorded; 0 (the default, so tests and transcripts see every flow as
     * written): none. `kefu serve` and `kefu chat` set it. */
    int experiments;
};

struct kf_engine_params kf_engine_default_params(void);

/* Opens (and migrates) the store, loads the bot and its NLU models
 * (training those that are missing or stale, see nlu.h). */
int kf_engine_new(struct kf_engine_params params, struct kf_engine **out, struct kf_err *err);
void kf_engine_free(struct kf_engine *e); /* NULL is a no-op */

const struct kf_bot *kf_engine_bot(const struct kf_engine *e);
const struct kf_nlu *kf_engine_nlu(const struct kf_engine *e);
struct kf_store *kf_engine_store(struct kf_engine *e);
/* The bot's experiments (experiment.h), or NULL when they are off or the
 * bot has none. Owned by the engine. */
struct kf_experiments;
const struct kf_experiments *kf_engine_experiments(const struct kf_engine *e);

/* The connector of a back end: "orders" (also products and returns),
 * "tickets" or "customers"; NULL for another name. Owned by the engine. */
struct kf_connector *kf_engine_connector(struct kf_engine *e, const char *backend);

/* 0 when the store answers. */
int kf_engine_ready(struct kf_engine *e, struct kf_err *err);

struct kf_start {
    const char *channel;     /* web, api, rest, cli; default api */
    const char *lang;        /* NULL: the bot's default */
    const char *external_id; /* the customer's id on that channel, or NULL */
    const char *name;        /* optional display name */
};

/* Start a conversation; *greeting gets the stored greeting message. */
int kf_engine_start(struct kf_engine *e, const struct kf_start *req, struct kf_arena *a,
                    struct kf_conversation *conv, struct kf_message *greeting,
                    struct kf_err *err);

/* Reuse the open conversation of a channel identity, or start one. */
int kf_engine_start_or_resume(struct kf_engine *e, const struct kf_start *req, struct kf_arena *a,
                              struct kf_conversation *conv, struct kf_err *err);

struct kf_turn {
    struct kf_message customer;
    struct kf_message replies[4];
    size_t nreplies; /* 0 while an agent holds the conversation: the bot is silent */
    int handoff;
    /* the reason this turn put the conversation in the agents' queue
     * (agent.h; static text), NULL when it did not */
    const char *queued;
    long long churn_ticket_id; /* the churn_risk ticket this turn opened, or 0 */
};

/* The text with the engine's PII policy applied (pii.h), in the arena. */
int kf_engine_mask(const struct kf_engine *e, const char *text, size_t len, struct kf_arena *a,
                   char **out, size_t *out_len, struct kf_err *err);

/* One customer message → the bot's replies, committed. The text is masked
 * (kf_engine_mask) first: only the masked form is analysed and stored; with
 * a vault key each raw value is sealed and committed with the message (table
 * pii_vault), never in clear. lang NULL: the language detected in the text
 * if the bot speaks it, else the conversation's. Errors: KF_ENOTFOUND
 * (conversation), KF_EINVAL (empty or too long text), KF_EUTF8. */
int kf_engine_post(struct kf_engine *e, const char *conv_id, const char *text, size_t len,
                   const char *lang, struct kf_arena *a, struct kf_turn *out, struct kf_err *err);

/* Put the raw personal values back into messages of a conversation, as
 * listed by kf_store_messages_list: each text with vault items is replaced
 * by a copy in the arena. The caller decides who may see them (the HTTP API
 * asks for privacy.reveal_token); the engine never logs them. *revealed
 * counts values put back, *failed values that could not be (sealed under
 * another key, or damaged) and stay masked. KF_EUNSUPPORTED without a key. */
int kf_engine_reveal(struct kf_engine *e, const char *conv_id, struct kf_message *msgs, size_t n,
                     struct kf_arena *a, size_t *revealed, size_t *failed, struct kf_err *err);

/* What the bot makes of a conversation's last customer message, for the
 * agent console: the NLU result (intent ranking, sentiment) and the FAQ
 * entries that answer it best, in the conversation's language. */
#define KF_SUGGEST_MAX 3
struct kf_suggestion {
    long long message_id; /* the last customer message; 0 when there is none yet */
    const char *text;     /* its (masked) text */
    const char *lang;     /* the conversation's language: answers are in it */
    struct kf_nlu_result nlu;
    struct {
        const char *faq_id, *question, *answer;
        double confidence; /* kb.h: 0..1 */
    } answers[KF_SUGGEST_MAX];
    size_t nanswers;
};

/* KF_ENOTFOUND (conversation). Strings are in the arena or the bot's. */
int kf_engine_suggest(struct kf_engine *e, const char *conv_id, struct kf_arena *a,
                      struct kf_suggestion *out, struct kf_err *err);

#endif
