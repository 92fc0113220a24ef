/*
 * dialog.h — what the bot says to one customer message (no storage).
 *
 * Two entry points:
 *   kf_dialog_turn     the whole policy (src/dialog/policy.c): multi-turn
 *                      flows from the bot's YAML (flow.h) over business
 *                      actions (biz.h), small talk, clarification, the FAQ
 *                      stage below and handoff after repeated failure; its
 *                      state is a JSON object the caller stores per
 *                      conversation (design notes atop policy.c);
 *   kf_dialog_respond  the FAQ stage alone.
 *
 * FAQ stage:
 *   1. the customer asks for a human (bot handoff phrases, the handoff
 *      button, or the intent model's ask_human with confidence ≥ 0.5) → a
 *      `handoff` reply, and the caller records a handoff request;
 *   2. else FAQ retrieval: confidence ≥ threshold → a `faq` reply with the
 *      entry's answer in the conversation's language;
 *   3. else a `not_sure` reply whose quick replies are the closest FAQ
 *      questions (in that language) and a handoff button.
 * Multi-turn flows, intents and entities join this policy in later issues.
 *
 * Ownership: reply strings point into the bot (immutable) or the arena.
 */
#ifndef KEFU_DIALOG_H
#define KEFU_DIALOG_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/biz.h"
#include "kefu/bot.h"
#include "kefu/catalogue.h"
#include "kefu/err.h"
#include "kefu/flow.h"
#include "kefu/nlu.h"

#define KF_DIALOG_MAX_QR 6
#define KF_DIALOG_MAX_REPLIES 4

struct kf_quick_reply {
    const char *title;
    const char *text; /* what the widget sends when clicked */
};

struct kf_reply {
    const char *text;
    /* faq | not_sure | fallback | handoff | greeting | smalltalk | ask |
     * confirm | action | cancelled | clarify | invalid | ack | offer
     * (the cross-sell question, policy.c) */
    const char *kind;
    const char *faq_id; /* NULL unless kind is faq */
    double confidence;  /* retrieval confidence, or 1 for rule decisions */
    struct kf_quick_reply qr[KF_DIALOG_MAX_QR];
    size_t nqr;
    const char *card_json; /* a structured card (order, product, products, ticket) or NULL */
    const char *flow;      /* the flow it belongs to, or NULL */
    const char *slot;      /* kind ask: the slot asked for */
    const char *action;    /* kind action: the business action whose result it tells */
    const char *outcome;   /* … and that action's outcome */
};

struct kf_dialog_result {
    struct kf_reply replies[KF_DIALOG_MAX_REPLIES];
    size_t n;
    int handoff; /* 1: a human should take over */
    const char *handoff_reason; /* customer_request | repeated_failure | flow | backend_unavailable */
    /* kf_dialog_turn only: */
    const char *state_json; /* the conversation's new state (arena) */
    const char *flow;       /* the flow the turn ran in, or NULL */
    const char *action;     /* the last business action called, or NULL */
    const char *outcome;    /* resolved | handed_off | abandoned | in_progress | fallback */
    /* the experiment (input variants) whose flow this turn started, and the
     * variant it ran: the caller records the exposure; NULL when none */
    const char *experiment;
    const char *variant;
};

/* How the policy keeps a raw personal value across turns without storing it
 * (a slot marked `sensitive`, e.g. a new delivery address): seal returns an
 * opaque string kept in the state, open gives the raw value back (NULL when
 * it cannot) for the business action that needs it. Both allocate from the
 * arena. */
struct kf_dialog_secrets {
    void *ud;
    const char *(*seal)(void *ud, const char *plain, size_t len, struct kf_arena *a);
    const char *(*open)(void *ud, const char *sealed, struct kf_arena *a);
};

/* A/B experiments (experiment.h; docs/experiments.md): the variant of one
 * experiment this conversation's customer is assigned. The policy applies
 * it when `flow` starts: style "direct" recommends at once (the flow's
 * optional questions are skipped, a required category comes from the
 * customer's profile when the message gave none) and offers a "narrow it
 * down" button that runs the flow as written; any other style runs the
 * flow as written. */
struct kf_dialog_variant {
    const char *experiment; /* id */
    const char *flow;       /* applies_to: the flow it changes */
    const char *variant;    /* the variant's name */
    const char *style;      /* guided | direct */
};

struct kf_dialog_input {
    const struct kf_bot *bot;
    const struct kf_flows *flows;   /* NULL: no flows */
    const struct kf_nlu_result *nlu; /* NULL: no models */
    const char *text;               /* the (masked) customer message */
    size_t len;
    const char *lang;
    const char *state_json;         /* as returned last turn; NULL: a new conversation */
    const struct kf_biz_ctx *biz;   /* NULL: flows cannot call actions */
    /* The message before PII masking (memory only, never stored) and how to
     * seal it; NULL: sensitive slots keep the masked text. */
    const char *raw_text;
    size_t raw_len;
    const struct kf_dialog_secrets *secrets;
    /* The bot's catalogue, for category names in texts (cross-sell); NULL:
     * category ids are shown. */
    const struct kf_catalogue *catalogue;
    /* The customer's experiment variants; NULL/0: none, every flow as
     * written (tests and transcripts). */
    const struct kf_dialog_variant *variants;
    size_t nvariants;
};

/* One customer message → replies and the new state. */
int kf_dialog_turn(const struct kf_dialog_input *in, struct kf_arena *a,
                   struct kf_dialog_result *out, struct kf_err *err);

/* nlu: the message's NLU result, or NULL when there is none. */
int kf_dialog_respond(const struct kf_bot *bot, const char *text, size_t len, const char *lang,
                      const struct kf_nlu_result *nlu, struct kf_arena *a,
                      struct kf_dialog_result *out, struct kf_err *err);

/* The NLU result as JSON text, stored with the customer's message:
 * {"intent":..,"intent_confidence":..,"sentiment":..,"sentiment_score":..,
 *  "angry":..,"spam":..} (keys present only for models that exist). */
const char *kf_nlu_meta_json(const struct kf_nlu_result *r, struct kf_arena *a);

/* The greeting that opens a conversation. */
void kf_dialog_greeting(const struct kf_bot *bot, const char *lang, struct kf_reply *out);

/* The reply's meta as JSON text ({"faq_id":..,"confidence":..,
 * "quick_replies":[{"title":..,"text":..}],"card":{..},"flow":..,"slot":..,
 * "action":..,"outcome":..}, keys present when set) allocated in the arena. */
const char *kf_reply_meta_json(const struct kf_reply *r, struct kf_arena *a);

#endif
