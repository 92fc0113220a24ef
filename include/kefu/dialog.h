/*
 * dialog.h — what the bot says to one customer message (no storage).
 *
 * Policy for this stage of kefu (FAQ bot):
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
#include "kefu/bot.h"
#include "kefu/err.h"
#include "kefu/nlu.h"

#define KF_DIALOG_MAX_QR 6
#define KF_DIALOG_MAX_REPLIES 4

struct kf_quick_reply {
    const char *title;
    const char *text; /* what the widget sends when clicked */
};

struct kf_reply {
    const char *text;
    const char *kind;   /* faq | not_sure | handoff | greeting */
    const char *faq_id; /* NULL unless kind is faq */
    double confidence;  /* retrieval confidence, or 1 for rule decisions */
    struct kf_quick_reply qr[KF_DIALOG_MAX_QR];
    size_t nqr;
};

struct kf_dialog_result {
    struct kf_reply replies[KF_DIALOG_MAX_REPLIES];
    size_t n;
    int handoff; /* 1: the customer asked for a human */
};

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
 * "quick_replies":[{"title":..,"text":..}]}) allocated in the arena. */
const char *kf_reply_meta_json(const struct kf_reply *r, struct kf_arena *a);

#endif
