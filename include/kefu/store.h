/*
 * store.h — kefu's persistence seam.
 *
 * Callers see only struct kf_store and these functions; the backend behind
 * them is chosen by kf_store_open() from the params (today SQLite in WAL
 * mode, src/data/sqlite/; a PostgreSQL backend slots in beside it through the
 * vtable in src/data/store_int.h without touching callers).
 *
 * Durability contract: when kf_store_turn_commit() returns 0, the customer's
 * message and the bot's replies are committed (with store.synchronous=full,
 * fsynced) — the server acknowledges a message only after that.
 *
 * Ownership: records read into caller structs copy small fixed fields; text
 * fields of listed messages are allocated from the caller's arena. A store is
 * thread-safe: it keeps a pool of connections.
 */
#ifndef KEFU_STORE_H
#define KEFU_STORE_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/err.h"

#define KF_ID_LEN 32 /* conversation ids: 32 lowercase hex characters */

struct kf_store;

struct kf_store_params {
    const char *path;    /* SQLite file; created with its folder if missing */
    int synchronous_full; /* 1: fsync every commit */
    int pool_size;       /* connections (≈ worker threads); default 4 */
};

struct kf_store_params kf_store_default_params(void);

int kf_store_open(struct kf_store_params params, struct kf_store **out, struct kf_err *err);
void kf_store_free(struct kf_store *st); /* NULL is a no-op */

/* Apply pending numbered migrations; *version (optional) gets the result. */
int kf_store_migrate(struct kf_store *st, int *version, struct kf_err *err);
int kf_store_ping(struct kf_store *st, struct kf_err *err);

/* Find or create the customer known on `channel` as `external_id`; with
 * external_id NULL a new anonymous customer is created. */
int kf_store_customer_resolve(struct kf_store *st, const char *channel, const char *external_id,
                              const char *name, long long *customer_id, struct kf_err *err);

struct kf_conversation {
    char id[KF_ID_LEN + 1];
    long long customer_id;
    char channel[32];
    char lang[8];
    char status[16]; /* open | handoff | closed */
    long long created_at; /* ms since the epoch */
    long long updated_at;
    /* agent handling (issue 7, agent.h): read by conversation_get/find_open */
    long long assignee_id; /* the agent (users.id) who took it over; 0: the bot answers */
    char needs_human[24];  /* why it is in the agents' queue; "": it is not */
    int negative_streak;   /* negative customer messages in a row */
};

int kf_store_conversation_create(struct kf_store *st, const struct kf_conversation *c,
                                 struct kf_err *err);
int kf_store_conversation_get(struct kf_store *st, const char *id, struct kf_conversation *out,
                              struct kf_err *err); /* KF_ENOTFOUND */
/* The newest conversation of a customer on a channel that is not closed. */
int kf_store_conversation_find_open(struct kf_store *st, long long customer_id,
                                    const char *channel, struct kf_conversation *out,
                                    struct kf_err *err); /* KF_ENOTFOUND */

struct kf_message {
    long long id;     /* set by the store */
    const char *role; /* customer | bot | agent | system */
    const char *text;
    const char *lang;
    const char *kind;      /* e.g. faq, not_sure, handoff, greeting; "" for customers */
    const char *meta_json; /* JSON object text, or NULL */
    long long created_at;  /* set by the store when 0 */
};

/* A raw personal value of a message, sealed (O5 PII vault). The store keeps
 * bytes: it never sees a key or a raw value. start/end are byte offsets of
 * the value's masked form in the stored message text, so a permitted reader
 * can put the raw value back (engine.h: kf_engine_reveal). */
struct kf_vault_item {
    size_t msg;           /* writing: index into kf_turn_write.msgs */
    long long message_id; /* reading: the message it belongs to */
    const char *type;     /* pii.h type name: phone, email, ... */
    size_t start, end;
    const unsigned char *nonce;
    size_t nonce_len;
    const unsigned char *ciphertext;
    size_t ciphertext_len;
    const char *key_id; /* which key sealed it (pii.h kf_pii_key.id) */
};

/* What the dialog did with one customer message (table dialog_turns), for
 * reports and retraining. Strings may be NULL. */
struct kf_turn_record {
    const char *intent;
    double intent_confidence;
    const char *entities_json; /* JSON array (entities.h kf_entities_json) */
    const char *sentiment;
    const char *flow;    /* the flow the turn ran in, if any */
    const char *action;  /* the business action called, if any (e.g. order.cancel) */
    const char *outcome; /* resolved | handed_off | abandoned | in_progress | fallback */
};

/* One conversation turn, written in one transaction: the messages (ids and
 * created_at filled in on success), their vault items, an optional status
 * change, an optional handoff request, the conversation's new dialog state
 * and the turn's record. */
struct kf_turn_write {
    const char *conversation_id;
    struct kf_message *msgs;
    size_t n;
    const struct kf_vault_item *vault; /* nvault items, or NULL */
    size_t nvault;
    const char *new_status;     /* NULL: unchanged */
    const char *handoff_reason; /* NULL: none */
    const char *dialog_state;   /* JSON object text replacing the stored state; NULL: unchanged */
    const struct kf_turn_record *record; /* NULL: none (record.message = msgs[0]) */
    /* The agents' queue (issue 7, docs/console.md), kept in the same
     * transaction. sentiment_step: +1 a negative (or angry) customer
     * message, the conversation's negative streak grows; -1 another
     * sentiment, it resets; 0 unchanged. needs_human: a reason to put the
     * conversation in the queue (customer_request, low_confidence, a
     * handoff reason of the policy; NULL none); the store also queues it as
     * negative_streak when the streak reaches churn_streak (> 0), and as vip
     * when a VIP customer (customers.tier) is negative. A stronger reason
     * replaces a weaker one (customer_request > negative_streak > vip >
     * low_confidence); a closed conversation is never queued. */
    int sentiment_step;
    const char *needs_human;
    int churn_streak;
    /* out: the streak after the turn, and the reason the turn queued the
     * conversation with (static text; NULL when it did not change it) */
    int streak_out;
    const char *queued_out;
};

int kf_store_turn_commit(struct kf_store *st, struct kf_turn_write *t, struct kf_err *err);

/* Messages with id < before (0 = newest), oldest first, at most limit;
 * *more is set when older messages remain. Strings go into the arena. */
int kf_store_messages_list(struct kf_store *st, const char *conversation_id, long long before,
                           int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                           int *more, struct kf_err *err);
/* Messages with id > after, oldest first, at most limit (1..1000); *more is
 * set when newer ones remain. For clients polling for what is new (issue 7).
 * Strings go into the arena. */
int kf_store_messages_after(struct kf_store *st, const char *conversation_id, long long after,
                            int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                            int *more, struct kf_err *err);

/* The dialog state last committed for a conversation (JSON object text, in
 * the arena), or *out = NULL when there is none. */
int kf_store_dialog_state_get(struct kf_store *st, const char *conversation_id, struct kf_arena *a,
                              const char **out, struct kf_err *err);

/* The turn records of a conversation (dialog_turns), oldest first, at most
 * limit (≤ 1000); strings in the arena. message_ids (optional) gets each
 * record's customer message id. */
int kf_store_turns_list(struct kf_store *st, const char *conversation_id, int limit,
                        struct kf_arena *a, struct kf_turn_record **out, long long **message_ids,
                        size_t *n, struct kf_err *err);

/* Vault items of the conversation's messages with first_id <= id <= last_id,
 * ordered by message id, then start. Bytes and strings go into the arena. */
int kf_store_vault_list(struct kf_store *st, const char *conversation_id, long long first_id,
                        long long last_id, struct kf_arena *a, struct kf_vault_item **out,
                        size_t *n, struct kf_err *err);

#endif
