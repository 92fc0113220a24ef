/*
 * tickets.c — the tickets module (B3): a complaint becomes a ticket, and a
 * customer can ask how their ticket is doing.
 *
 * Priority: high when the customer is angry (the dialog passes the NLU's
 * "_angry" flag and "_sentiment" with the args), else normal; the back end
 * sets the SLA due time from it (repo.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biz_int.h"

static const char *ticket__str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* The ticket's subject: the first ~40 characters of the details, cut on a
 * UTF-8 boundary. */
static void ticket__subject(const char *details, char *out, size_t cap)
{
    size_t n = 0, chars = 0;
    while (details[n] != '\0' && chars < 40 && n + 4 < cap) {
        unsigned char c = (unsigned char)details[n];
        size_t w = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        for (size_t k = 1; k < w; k++)
            if (details[n + k] == '\0')
                w = k;
        n += w;
        chars++;
    }
    memcpy(out, details, n);
    out[n] = '\0';
}

/* The back ends keep at most this much description (repo.h: any text over
 * 4000 bytes is KF_EINVAL); a longer complaint (a chat message may be 64 KiB)
 * is cut, not refused. */
#define TICKET_DESC_MAX 4000

/* The length of s cut to at most max bytes, on a UTF-8 character boundary. */
static size_t ticket__fit(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static void ticket__describe(const struct kf_biz_ctx *ctx, json_t *t, json_t *result)
{
    int zh = biz__is_zh(ctx);
    static const char *const st[][3] = {
        {"open", "已受理", "open"},          {"pending", "等待您的回复", "waiting for your reply"},
        {"escalated", "已升级处理", "escalated"}, {"resolved", "已解决", "resolved"},
        {"closed", "已关闭", "closed"},
    };
    const char *status = ticket__str(t, "status");
    const char *text = status;
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        if (strcmp(st[i][0], status) == 0)
            text = st[i][zh ? 1 : 2];
    json_t *id = json_object_get(t, "id");
    json_object_set(result, "ticket_id", id);
    json_object_set_new(result, "status", json_string(status));
    json_object_set_new(result, "status_text", json_string(text));
    json_object_set_new(result, "priority", json_string(ticket__str(t, "priority")));
    static const char *const pr[][3] = {
        {"urgent", "紧急", "urgent"}, {"high", "高", "high"}, {"normal", "普通", "normal"},
        {"low", "低", "low"}};
    const char *ptext = ticket__str(t, "priority");
    for (size_t i = 0; i < sizeof pr / sizeof pr[0]; i++)
        if (strcmp(pr[i][0], ptext) == 0)
            ptext = pr[i][zh ? 1 : 2];
    json_object_set_new(result, "priority_text", json_string(ptext));
    json_t *due = json_object_get(t, "due_at");
    char buf[32] = "";
    if (json_is_integer(due))
        biz__format_time(ctx, (long long)json_integer_value(due), 1, buf, sizeof buf);
    json_object_set_new(result, "due", json_string(buf));
    json_t *card = json_pack("{s:s,s:O,s:s,s:s,s:s,s:s}", "type", "ticket", "id", id, "subject",
                             ticket__str(t, "subject"), "status", status, "priority",
                             ticket__str(t, "priority"), "due", buf);
    if (card != NULL)
        json_object_set_new(result, "card", card);
}

static int ticket_create(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                         struct kf_err *err)
{
    const char *details = biz__arg_str(args, "details");
    if (details == NULL || *details == '\0')
        details = ctx->text != NULL ? ctx->text : "";
    char subject[200];
    ticket__subject(details, subject, sizeof subject);
    /* the details, then the order number if any, within TICKET_DESC_MAX */
    const char *order = biz__arg_str(args, "order_id");
    char suffix[300] = "", desc[TICKET_DESC_MAX + 1];
    if (order != NULL)
        snprintf(suffix, sizeof suffix, "\n[order %.*s]", (int)ticket__fit(order, 200), order);
    size_t keep = ticket__fit(details, TICKET_DESC_MAX - strlen(suffix));
    snprintf(desc, sizeof desc, "%.*s%s", (int)keep, details, suffix);
    int angry = json_is_true(json_object_get(args, "_angry"));
    const char *category = biz__arg_str(args, "category");
    json_t *f = json_pack("{s:s,s:s,s:s,s:s}", "subject", subject, "description", desc,
                          "category", category != NULL ? category : "complaint", "priority",
                          angry ? "high" : "normal");
    if (f == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (ctx->customer_id > 0)
        json_object_set_new(f, "customer_id", json_integer(ctx->customer_id));
    if (ctx->conversation_id != NULL)
        json_object_set_new(f, "conversation_id", json_string(ctx->conversation_id));
    json_object_set_new(f, "actor", json_string("bot"));
    json_t *t;
    int rc = biz__fetch(ctx, "tickets", "ticket.create", f, result, &t, err);
    json_decref(f);
    if (rc != KF_OK || t == NULL)
        return rc;
    ticket__describe(ctx, t, result);
    json_decref(t);
    return KF_OK;
}

static int ticket_status(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                         struct kf_err *err)
{
    json_t *id = json_object_get(args, "ticket_id");
    long long n = 0;
    if (json_is_integer(id))
        n = (long long)json_integer_value(id);
    else if (json_is_string(id))
        n = strtoll(json_string_value(id), NULL, 10);
    if (n <= 0) {
        biz__outcome(result, "not_found");
        return KF_OK;
    }
    json_t *q = json_pack("{s:I}", "id", (json_int_t)n);
    json_t *t;
    int rc = biz__fetch(ctx, "tickets", "ticket.get", q, result, &t, err);
    json_decref(q);
    if (rc != KF_OK || t == NULL)
        return rc;
    json_t *owner = json_object_get(t, "customer_id");
    if (!json_is_integer(owner) || json_integer_value(owner) != ctx->customer_id)
        biz__outcome(result, "not_owner");
    else
        ticket__describe(ctx, t, result);
    json_decref(t);
    return KF_OK;
}

/* "我的投诉处理得怎么样了": the customer's most recent ticket that is not
 * closed (else the most recent one), with its status and due time. */
static int ticket_latest(const struct kf_biz_ctx *ctx, json_t *args, json_t *result,
                         struct kf_err *err)
{
    (void)args;
    if (ctx->customer_id <= 0) {
        biz__outcome(result, "empty");
        return KF_OK;
    }
    json_t *q = json_pack("{s:I,s:i}", "customer_id", (json_int_t)ctx->customer_id, "limit", 50);
    json_t *list;
    int rc = biz__fetch(ctx, "tickets", "ticket.list", q, result, &list, err);
    json_decref(q);
    if (rc != KF_OK || list == NULL)
        return rc;
    json_t *best = NULL, *t;
    long long best_at = -1;
    int best_open = 0;
    size_t i;
    json_array_foreach(json_object_get(list, "items"), i, t) {
        json_t *at = json_object_get(t, "created_at");
        long long ms = json_is_integer(at) ? (long long)json_integer_value(at) : 0;
        int open = strcmp(ticket__str(t, "status"), "closed") != 0;
        if (best == NULL || open > best_open || (open == best_open && ms >= best_at)) {
            best = t;
            best_at = ms;
            best_open = open;
        }
    }
    if (best == NULL) {
        biz__outcome(result, "empty");
    } else {
        ticket__describe(ctx, best, result);
        json_object_set_new(result, "subject", json_string(ticket__str(best, "subject")));
    }
    json_decref(list);
    return KF_OK;
}

static const struct kf_biz_action tickets_actions[] = {
    {"ticket.latest", ticket_latest, "the customer's latest ticket and how it stands"},
    {"ticket.create", ticket_create, "open a ticket (complaints)"},
    {"ticket.status", ticket_status, "the state of the customer's ticket"},
};

const struct kf_biz_module kf_biz_tickets_module = {
    "tickets", tickets_actions, sizeof tickets_actions / sizeof tickets_actions[0]};
