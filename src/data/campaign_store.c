/*
 * campaign_store.c — the campaign tables of campaign_store.h: checks of the
 * arguments that need no database (names, statuses, limits, month-days),
 * then a forward to the backend's table (campaign_int.h). Shapes and
 * guards are documented in include/kefu/campaign_store.h.
 */
#include <string.h>

#include "campaign_int.h"

static const char *const camp__statuses[] = {
    KF_CAMPAIGN_SENDING,         KF_CAMPAIGN_SENT,        KF_CAMPAIGN_FAILED,
    KF_CAMPAIGN_SKIPPED_OPT_OUT, KF_CAMPAIGN_SKIPPED_CAP, KF_CAMPAIGN_SKIPPED_COOLDOWN,
    KF_CAMPAIGN_DEFERRED_QUIET,  NULL};

static int camp__name(const char *v, struct kf_err *err)
{
    if (v == NULL || v[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "campaign: missing");
    if (strnlen(v, KF_CAMPAIGN_NAME_MAX) >= KF_CAMPAIGN_NAME_MAX)
        return kf_errorf(err, KF_EINVAL, "campaign: longer than %d bytes",
                         KF_CAMPAIGN_NAME_MAX - 1);
    return KF_OK;
}

static int camp__status(const char *v, struct kf_err *err)
{
    for (const char *const *s = camp__statuses; v != NULL && *s != NULL; s++)
        if (strcmp(*s, v) == 0)
            return KF_OK;
    return kf_errorf(err, KF_EINVAL, "status: '%.32s' is not a campaign status",
                     v ? v : "(null)");
}

/* "MM-DD" with a plausible month and day. */
static int camp__mmdd(const char *v)
{
    return v != NULL && strlen(v) == 5 && v[2] == '-' && strspn(v, "0123456789-") == 5 &&
           memcmp(v, "01", 2) >= 0 && memcmp(v, "12", 2) <= 0 && memcmp(v + 3, "01", 2) >= 0 &&
           memcmp(v + 3, "31", 2) <= 0;
}

static int camp__query(const struct kf_campaign_query *q, struct kf_err *err)
{
    int rc = camp__name(q->campaign, err);
    if (rc != KF_OK)
        return rc;
    if (q->limit < 1 || q->limit > KF_CAMPAIGN_PAGE_MAX)
        return kf_errorf(err, KF_EINVAL, "limit: %d out of range [1, %d]", q->limit,
                         KF_CAMPAIGN_PAGE_MAX);
    switch (q->pick) {
    case KF_PICK_BIRTHDAY:
        if (!camp__mmdd(q->mmdd[0]) || (q->mmdd[1] != NULL && !camp__mmdd(q->mmdd[1])))
            return kf_errorf(err, KF_EINVAL, "mmdd: expected MM-DD");
        return KF_OK;
    case KF_PICK_LIFECYCLE:
        return q->stage != NULL && q->stage[0] != '\0' && strlen(q->stage) < 32
                   ? KF_OK
                   : kf_errorf(err, KF_EINVAL, "stage: missing or too long");
    case KF_PICK_CART:
        return q->from < q->to ? KF_OK : kf_errorf(err, KF_EINVAL, "cart window: from >= to");
    case KF_PICK_TAG:
        return q->tag != NULL && q->tag[0] != '\0' && strlen(q->tag) < 128
                   ? KF_OK
                   : kf_errorf(err, KF_EINVAL, "tag: missing or too long");
    }
    return kf_errorf(err, KF_EINVAL, "pick: unknown kind %d", (int)q->pick);
}

int kf_campaign_store_candidates(struct kf_store *st, const struct kf_campaign_query *q,
                                 long long *ids, size_t *n, struct kf_err *err)
{
    *n = 0;
    int rc = camp__query(q, err);
    return rc != KF_OK ? rc : st->campaigns->candidates(st, q, ids, n, err);
}

int kf_campaign_store_facts(struct kf_store *st, long long customer_id, const char *campaign,
                            long long cap_since, struct kf_campaign_facts *out,
                            struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = camp__name(campaign, err);
    return rc != KF_OK ? rc
                       : st->campaigns->facts(st, customer_id, campaign, cap_since, out, err);
}

int kf_campaign_store_record(struct kf_store *st, const struct kf_campaign_send *s, long long *id,
                             struct kf_err *err)
{
    *id = 0;
    int rc = camp__name(s->campaign, err);
    if (rc == KF_OK)
        rc = camp__status(s->status, err);
    if (rc == KF_OK && s->reason != NULL && strnlen(s->reason, 513) > 512)
        rc = kf_errorf(err, KF_EINVAL, "reason: longer than 512 bytes");
    if (rc == KF_OK && s->cap_max < 0)
        rc = kf_errorf(err, KF_EINVAL, "cap_max: negative");
    return rc != KF_OK ? rc : st->campaigns->record(st, s, id, err);
}

int kf_campaign_store_finish(struct kf_store *st, long long id, const char *status,
                             const char *reason, const char *conversation_id,
                             long long message_id, struct kf_err *err)
{
    int rc = camp__status(status, err);
    if (rc == KF_OK && strcmp(status, KF_CAMPAIGN_SENT) != 0 &&
        strcmp(status, KF_CAMPAIGN_FAILED) != 0)
        rc = kf_errorf(err, KF_EINVAL, "status: a claimed send ends sent or failed");
    if (rc == KF_OK && conversation_id != NULL && strlen(conversation_id) > KF_ID_LEN)
        rc = kf_errorf(err, KF_EINVAL, "conversation_id: longer than %d bytes", KF_ID_LEN);
    if (rc == KF_OK && reason != NULL && strnlen(reason, 513) > 512)
        rc = kf_errorf(err, KF_EINVAL, "reason: longer than 512 bytes");
    return rc != KF_OK ? rc
                       : st->campaigns->finish(st, id, status, reason, conversation_id,
                                               message_id, err);
}

int kf_campaign_store_report(struct kf_store *st, long long from, long long to, json_t **out,
                             struct kf_err *err)
{
    *out = NULL;
    if (from < 0 || to < 0 || (to != 0 && to <= from))
        return kf_errorf(err, KF_EINVAL, "from/to: an empty or negative period");
    return st->campaigns->report(st, from, to, out, err);
}
