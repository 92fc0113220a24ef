/*
 * review.c — CSAT and the review queue (review.h): checks of the arguments
 * that need no database (scores, lengths, statuses, kinds, buckets), then a
 * forward to the backend's table (review_int.h). Shapes and rules are
 * documented in include/kefu/review.h; the loop as a whole in
 * docs/learning.md.
 */
#include <string.h>

#include "kefu/log.h"
#include "kefu/utf8.h"
#include "review_int.h"

static int rv__ready(struct kf_store *st, struct kf_err *err)
{
    if (st == NULL || st->review == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED, "store: no review tables");
    return KF_OK;
}

static long long rv__now(long long now_ms)
{
    return now_ms > 0 ? now_ms : kf_time_now_ms();
}

static int rv__conv_id(const char *id, struct kf_err *err)
{
    if (id == NULL || strlen(id) != KF_ID_LEN || strspn(id, "0123456789abcdef") != KF_ID_LEN)
        return kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    return KF_OK;
}

/* An intent name: 1..KF_REVIEW_INTENT_MAX bytes of [A-Za-z0-9_.-]. */
static int rv__intent(const char *v, struct kf_err *err)
{
    size_t n = v != NULL ? strnlen(v, KF_REVIEW_INTENT_MAX + 1) : 0;
    if (n == 0 || n > KF_REVIEW_INTENT_MAX)
        return kf_errorf(err, KF_EINVAL, "intent: expected 1 to %d bytes", KF_REVIEW_INTENT_MAX);
    if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
        return kf_errorf(err, KF_EINVAL, "intent: '%.64s' is not an intent name", v);
    return KF_OK;
}

static int rv__actor(const char *v, const char *field, struct kf_err *err)
{
    if (v == NULL || v[0] == '\0' || strnlen(v, 129) > 128)
        return kf_errorf(err, KF_EINVAL, "%s: expected 1 to 128 bytes", field);
    return KF_OK;
}

int kf_review_csat_add(struct kf_store *st, const struct kf_csat *c, long long *review_id,
                       struct kf_err *err)
{
    if (review_id != NULL)
        *review_id = 0;
    int rc = rv__ready(st, err);
    if (rc != KF_OK || (rc = rv__conv_id(c->conversation_id, err)) != KF_OK)
        return rc;
    if (c->score < 1 || c->score > 5)
        return kf_errorf(err, KF_EINVAL, "score: expected an integer from 1 to 5");
    if (c->comment != NULL) {
        size_t n = strnlen(c->comment, KF_CSAT_COMMENT_MAX + 1);
        if (n > KF_CSAT_COMMENT_MAX)
            return kf_errorf(err, KF_EINVAL, "comment: longer than %d bytes", KF_CSAT_COMMENT_MAX);
        if (!kf_utf8_valid(c->comment, n))
            return kf_errorf(err, KF_EUTF8, "comment: not valid UTF-8");
    }
    struct kf_csat copy = *c;
    copy.now_ms = rv__now(c->now_ms);
    if (copy.comment != NULL && copy.comment[0] == '\0')
        copy.comment = NULL;
    long long id = 0;
    rc = st->review->csat_add(st, &copy, &id, err);
    if (rc == KF_OK && review_id != NULL)
        *review_id = id;
    return rc;
}

int kf_review_conversation_end(struct kf_store *st, const char *conversation_id, long long now_ms,
                               int *changed, json_t **out, struct kf_err *err)
{
    *changed = 0;
    *out = NULL;
    int rc = rv__ready(st, err);
    if (rc != KF_OK || (rc = rv__conv_id(conversation_id, err)) != KF_OK)
        return rc;
    return st->review->conversation_end(st, conversation_id, rv__now(now_ms), changed, out, err);
}

int kf_review_csat_report(struct kf_store *st, long long from, long long to, const char *bucket,
                          int utc_offset_min, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = rv__ready(st, err);
    if (rc != KF_OK)
        return rc;
    if (from < 0 || to < 0 || (to != 0 && to <= from))
        return kf_errorf(err, KF_EINVAL, "from/to: an empty or negative period");
    if (bucket == NULL)
        bucket = "day";
    if (strcmp(bucket, "day") != 0 && strcmp(bucket, "week") != 0 && strcmp(bucket, "month") != 0)
        return kf_errorf(err, KF_EINVAL, "bucket: expected day, week or month");
    if (utc_offset_min < -14 * 60 || utc_offset_min > 14 * 60)
        return kf_errorf(err, KF_EINVAL, "utc offset: out of range");
    return st->review->csat_report(st, from, to, bucket, utc_offset_min, out, err);
}

int kf_review_correct_intent(struct kf_store *st, long long message_id, const char *intent,
                             const char *created_by, long long now_ms, long long *id, int *updated,
                             struct kf_err *err)
{
    *id = 0;
    int up = 0;
    int rc = rv__ready(st, err);
    if (rc == KF_OK && message_id <= 0)
        rc = kf_errorf(err, KF_ENOTFOUND, "message not found");
    if (rc == KF_OK)
        rc = rv__intent(intent, err);
    if (rc == KF_OK)
        rc = rv__actor(created_by, "created_by", err);
    if (rc == KF_OK)
        rc = st->review->correct_intent(st, message_id, intent, created_by, rv__now(now_ms), id,
                                        &up, err);
    if (updated != NULL)
        *updated = up;
    return rc;
}

static int rv__one_of(const char *v, const char *field, const char *const *allowed,
                      struct kf_err *err)
{
    for (const char *const *a = allowed; v != NULL && *a != NULL; a++)
        if (strcmp(*a, v) == 0)
            return KF_OK;
    return kf_errorf(err, KF_EINVAL, "%s: '%.32s' is not one of the allowed values", field,
                     v != NULL ? v : "(null)");
}

static const char *const rv__statuses[] = {"pending", "approved", "rejected", NULL};
static const char *const rv__kinds[] = {KF_REVIEW_LOW_CSAT, KF_REVIEW_INTENT_CORRECTION, NULL};

int kf_review_list(struct kf_store *st, const struct kf_review_query *q, json_t **out,
                   struct kf_err *err)
{
    *out = NULL;
    int rc = rv__ready(st, err);
    if (rc != KF_OK)
        return rc;
    struct kf_review_query c = *q;
    if (c.limit == 0)
        c.limit = 100;
    if (c.limit < 1 || c.limit > KF_REVIEW_PAGE_MAX)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, %d]", c.limit,
                         KF_REVIEW_PAGE_MAX);
    if (c.after_id < 0)
        return kf_errorf(err, KF_EINVAL, "after: negative");
    if (c.status != NULL && (rc = rv__one_of(c.status, "status", rv__statuses, err)) != KF_OK)
        return rc;
    if (c.kind != NULL && (rc = rv__one_of(c.kind, "kind", rv__kinds, err)) != KF_OK)
        return rc;
    return st->review->list(st, &c, out, err);
}

int kf_review_decide(struct kf_store *st, long long id, const char *status, const char *intent,
                     const char *reviewed_by, long long now_ms, json_t **out, struct kf_err *err)
{
    if (out != NULL)
        *out = NULL;
    static const char *const decisions[] = {"approved", "rejected", NULL};
    int rc = rv__ready(st, err);
    if (rc == KF_OK && id <= 0)
        rc = kf_errorf(err, KF_ENOTFOUND, "review item not found");
    if (rc == KF_OK)
        rc = rv__one_of(status, "status", decisions, err);
    if (rc == KF_OK && intent != NULL)
        rc = rv__intent(intent, err);
    if (rc == KF_OK)
        rc = rv__actor(reviewed_by, "reviewed_by", err);
    if (rc != KF_OK)
        return rc;
    json_t *item = NULL;
    rc = st->review->decide(st, id, status, intent, reviewed_by, rv__now(now_ms), &item, err);
    if (rc == KF_OK && out != NULL)
        *out = item;
    else
        json_decref(item);
    return rc;
}

int kf_review_export(struct kf_store *st, const char *lang, json_t **out, struct kf_err *err)
{
    *out = NULL;
    int rc = rv__ready(st, err);
    if (rc != KF_OK)
        return rc;
    if (lang != NULL && (lang[0] == '\0' || strlen(lang) > 8))
        return kf_errorf(err, KF_EINVAL, "lang: expected a language code such as zh or en");
    return st->review->export_approved(st, lang, out, err);
}
