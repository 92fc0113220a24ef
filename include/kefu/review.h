/*
 * review.h — the learning loop (issue 7, docs/learning.md): customer
 * satisfaction (CSAT) at the end of a conversation, and the review queue of
 * low scores and agents' intent corrections that `kefu train --reviewed`
 * folds back into the intent model.
 *
 *   CSAT          one score 1..5 (and an optional comment, masked by the
 *                 caller with the engine's PII policy) per conversation,
 *                 once, after it is closed; the agent of record is the
 *                 conversation's assignee. A score below `review_below`
 *                 also queues a review item of kind low_csat.
 *   end           the customer ends an open conversation: closed with the
 *                 resolution customer_ended.
 *   corrections   an agent says which intent a customer message really had:
 *                 a review item of kind intent_correction with the message's
 *                 (masked) text, its language and the intent the model
 *                 predicted (dialog_turns). One per message: a second
 *                 correction of the same message replaces the first and is
 *                 pending again.
 *   review        supervisors approve or reject items (an approval may
 *                 override the corrected intent); the approved corrections
 *                 are the export `kefu review export` prints and `kefu train
 *                 --reviewed` adds to the training data.
 *
 * How it fits: review.c checks arguments and forwards to the store's table
 * (src/data/review_int.h), filled in by src/data/sqlite/sqlite_review.c.
 * Schema: migration 5 (csat, review_items; conversations.assignee_id,
 * closed_at, resolution).
 *
 * Ownership: JSON results are new references the caller drops; string
 * arguments are borrowed. Times are ms since the epoch; 0 means now.
 * Errors: KF_EINVAL (the message names the field), KF_ENOTFOUND (no such
 * conversation, message or item), KF_ECONFLICT (already rated; not closed).
 */
#ifndef KEFU_REVIEW_H
#define KEFU_REVIEW_H

#include <jansson.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_CSAT_COMMENT_MAX 1000 /* bytes */
#define KF_REVIEW_INTENT_MAX 64  /* bytes of an intent name, without the NUL */
#define KF_REVIEW_PAGE_MAX 500   /* items per list call */

/* ---- CSAT ---------------------------------------------------------------- */

struct kf_csat {
    const char *conversation_id;
    int score;           /* 1..5 */
    const char *comment; /* already masked; NULL or "": none */
    int review_below;    /* a score below this queues a low_csat item (0: never) */
    long long now_ms;    /* 0: now */
};

/*
 * Record the rating of a closed conversation. *review_id (optional) gets
 * the low_csat item's id, 0 when the score did not need one.
 * KF_ENOTFOUND: no such conversation; KF_ECONFLICT: already rated, or the
 * conversation is not closed (the message says which).
 */
int kf_review_csat_add(struct kf_store *st, const struct kf_csat *c, long long *review_id,
                       struct kf_err *err);

/*
 * The customer ends the conversation: an open (or handoff) one is closed
 * with resolution customer_ended, closed_at now; a closed one is left as it
 * is (*changed 0). *out: {"id","status","resolution","assignee_id",
 * "needs_human","closed_at"}. KF_ENOTFOUND: no such conversation.
 */
int kf_review_conversation_end(struct kf_store *st, const char *conversation_id, long long now_ms,
                               int *changed, json_t **out, struct kf_err *err);

/*
 * Ratings with from <= created_at < to (to 0: no end), bucketed by day,
 * week (Monday first, "2026-W47") or month in a zone utc_offset_min east of
 * UTC: {"from","to","bucket","count","average","distribution":{"1".."5"},
 *  "series":[{"bucket","count","average","distribution":{...}}]}; buckets
 * oldest first, only those with ratings. average is null without ratings.
 */
int kf_review_csat_report(struct kf_store *st, long long from, long long to, const char *bucket,
                          int utc_offset_min, json_t **out, struct kf_err *err);

/* ---- the review queue ------------------------------------------------------ */

#define KF_REVIEW_LOW_CSAT "low_csat"
#define KF_REVIEW_INTENT_CORRECTION "intent_correction"

/*
 * An agent's correction of a customer message's intent (already checked
 * against the bot's intents by the caller). *id gets the item's id,
 * *updated (optional) 1 when it replaced an earlier correction of the same
 * message. KF_ENOTFOUND: no such message; KF_EINVAL: not a customer message.
 */
int kf_review_correct_intent(struct kf_store *st, long long message_id, const char *intent,
                             const char *created_by, long long now_ms, long long *id, int *updated,
                             struct kf_err *err);

struct kf_review_query {
    const char *status; /* pending | approved | rejected; NULL: any */
    const char *kind;   /* low_csat | intent_correction; NULL: any */
    long long after_id; /* items with id > after_id (paging) */
    int limit;          /* 1..KF_REVIEW_PAGE_MAX; 0: 100 */
};

/*
 * Items oldest first: {"items":[{"id","kind","status","conversation_id",
 * "message_id","text","lang","predicted_intent","corrected_intent","score",
 * "comment","created_by","created_at","reviewed_by","reviewed_at"}],
 * "more": bool}.
 */
int kf_review_list(struct kf_store *st, const struct kf_review_query *q, json_t **out,
                   struct kf_err *err);

/*
 * Decide an item: status approved | rejected, by reviewed_by. intent (NULL:
 * keep) overrides the corrected intent of an intent_correction (KF_EINVAL
 * on a low_csat item). *out (optional): the item after the change.
 */
int kf_review_decide(struct kf_store *st, long long id, const char *status, const char *intent,
                     const char *reviewed_by, long long now_ms, json_t **out, struct kf_err *err);

/*
 * The approved intent corrections, as they would be added to training:
 * [{"id","intent","text","lang"}] by intent, then id; lang NULL: every
 * language.
 */
int kf_review_export(struct kf_store *st, const char *lang, json_t **out, struct kf_err *err);

#endif
