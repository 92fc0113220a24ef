/*
 * api_tickets.c — /api/v1/tickets: the back office's tickets (docs/api.md).
 *
 *   POST  /api/v1/tickets                 create           → 201 ticket
 *   GET   /api/v1/tickets?status=&...     list and filter  → {"items","total"}
 *   GET   /api/v1/tickets/{id}            one ticket, with comments and history
 *   PATCH /api/v1/tickets/{id}            status, priority, assignee, category,
 *                                         subject          → ticket (409: a
 *                                         transition the ticket refuses)
 *   POST  /api/v1/tickets/{id}/comments   comment          → 201 comment
 *
 * Every record comes from the "tickets" connector (connector.h: ticket.*
 * operations); the ticket rules (SLA due times, which status may follow
 * which, the history) live behind it, not here. This file checks the shape
 * of what the client sent, names the field it dislikes, and passes the
 * acting user along: the X-Kefu-Actor header, else "api" — an interim
 * identity until accounts and roles (issue 7) authenticate it.
 */
#include <string.h>

#include "http_int.h"

#define TICKET_SUBJECT_MAX 200
#define TICKET_TEXT_MAX 4000 /* description, comment body */
#define TICKET_NAME_MAX 64   /* category, assignee, author */

static void api__ticket_create(struct http_req *r, struct http_resp *out)
{
    static const char *const known[] = {"subject",  "description",     "category", "priority",
                                        "customer_id", "conversation_id", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *args = NULL, *res = NULL;
    const char *subject, *desc, *category, *priority, *conv, *actor;
    long long customer;
    int has_customer;
    if (api_body_known(r, out, body, known) < 0)
        goto done;
    if (json_object_get(body, "subject") == NULL) {
        http_error(r, out, 400, "bad_request", "subject: required");
        goto done;
    }
    if (api_body_string(r, out, body, "subject", TICKET_SUBJECT_MAX, 1, &subject) < 0 ||
        api_body_string(r, out, body, "description", TICKET_TEXT_MAX, 0, &desc) < 0 ||
        api_body_string(r, out, body, "category", TICKET_NAME_MAX, 1, &category) < 0 ||
        api_body_enum(r, out, body, "priority", api_ticket_priorities, &priority) < 0 ||
        api_body_id(r, out, body, "customer_id", &customer, &has_customer) < 0 ||
        api_body_string(r, out, body, "conversation_id", KF_ID_LEN, 0, &conv) < 0 ||
        (actor = api_actor(r, out)) == NULL)
        goto done;
    if (subject == NULL) {
        http_error(r, out, 400, "bad_request", "subject: expected a string");
        goto done;
    }
    if (conv != NULL &&
        (strlen(conv) != KF_ID_LEN || strspn(conv, "0123456789abcdef") != KF_ID_LEN)) {
        http_error(r, out, 400, "bad_request",
                   "conversation_id: expected a conversation id (32 lowercase hex digits)");
        goto done;
    }
    args = json_pack("{s:s,s:s}", "subject", subject, "actor", actor);
    if (desc != NULL)
        json_object_set_new(args, "description", json_string(desc));
    if (category != NULL)
        json_object_set_new(args, "category", json_string(category));
    if (priority != NULL)
        json_object_set_new(args, "priority", json_string(priority));
    if (has_customer)
        json_object_set_new(args, "customer_id", json_integer(customer));
    if (conv != NULL)
        json_object_set_new(args, "conversation_id", json_string(conv));
    /* a customer or conversation that does not exist is the client's mistake: 400 */
    if (api_call(r, out, "tickets", "ticket.create", args, 400, &res) < 0)
        goto done;
    KF_INFO(r->srv->p.log, "tickets", "ticket %lld created by %s",
            (long long)json_integer_value(json_object_get(res, "id")), actor);
    http_json(r, out, 201, res);
done:
    json_decref(args);
    json_decref(body);
}

static void api__ticket_list(struct http_req *r, struct http_resp *out)
{
    const char *status, *priority, *assignee, *category;
    long long customer, limit, offset;
    int has_customer;
    if (api_query_enum(r, out, "status", api_ticket_statuses, &status) < 0 ||
        api_query_enum(r, out, "priority", api_ticket_priorities, &priority) < 0 ||
        api_query_string(r, out, "assignee", TICKET_NAME_MAX, &assignee) < 0 ||
        api_query_string(r, out, "category", TICKET_NAME_MAX, &category) < 0 ||
        api_query_long(r, out, "customer_id", 1, 999999999999999999LL, 0, &customer,
                       &has_customer) < 0 ||
        api_query_long(r, out, "limit", 1, 500, 50, &limit, NULL) < 0 ||
        api_query_long(r, out, "offset", 0, 1000000000LL, 0, &offset, NULL) < 0)
        return;
    json_t *args = json_pack("{s:I,s:I}", "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    if (status != NULL)
        json_object_set_new(args, "status", json_string(status));
    if (priority != NULL)
        json_object_set_new(args, "priority", json_string(priority));
    if (assignee != NULL)
        json_object_set_new(args, "assignee", json_string(assignee));
    if (category != NULL)
        json_object_set_new(args, "category", json_string(category));
    if (has_customer)
        json_object_set_new(args, "customer_id", json_integer(customer));
    json_t *res;
    if (api_call(r, out, "tickets", "ticket.list", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__ticket_get(struct http_req *r, struct http_resp *out, long long id)
{
    json_t *args = json_pack("{s:I}", "id", (json_int_t)id), *res;
    if (api_call(r, out, "tickets", "ticket.get", args, 404, &res) == 0)
        http_json(r, out, 200, res);
    json_decref(args);
}

static void api__ticket_patch(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"status", "priority", "assignee", "category", "subject",
                                        NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *args = NULL, *res = NULL;
    const char *status, *priority, *assignee, *category, *subject, *actor;
    if (api_body_known(r, out, body, known) < 0 ||
        api_body_enum(r, out, body, "status", api_ticket_statuses, &status) < 0 ||
        api_body_enum(r, out, body, "priority", api_ticket_priorities, &priority) < 0 ||
        api_body_string(r, out, body, "assignee", TICKET_NAME_MAX, 0, &assignee) < 0 ||
        api_body_string(r, out, body, "category", TICKET_NAME_MAX, 1, &category) < 0 ||
        api_body_string(r, out, body, "subject", TICKET_SUBJECT_MAX, 1, &subject) < 0 ||
        (actor = api_actor(r, out)) == NULL)
        goto done;
    json_t *patch = json_object();
    if (status != NULL)
        json_object_set_new(patch, "status", json_string(status));
    if (priority != NULL)
        json_object_set_new(patch, "priority", json_string(priority));
    /* "assignee": null (or "") unassigns; the other fields cannot be cleared */
    json_t *as = json_object_get(body, "assignee");
    if (as != NULL)
        json_object_set_new(patch, "assignee",
                            assignee != NULL && assignee[0] != '\0' ? json_string(assignee)
                                                                    : json_null());
    if (category != NULL)
        json_object_set_new(patch, "category", json_string(category));
    if (subject != NULL)
        json_object_set_new(patch, "subject", json_string(subject));
    if (json_object_size(patch) == 0) {
        json_decref(patch);
        http_error(r, out, 400, "bad_request",
                   "expected at least one of status, priority, assignee, category, subject");
        goto done;
    }
    args = json_pack("{s:I,s:o,s:s}", "id", (json_int_t)id, "patch", patch, "actor", actor);
    if (api_call(r, out, "tickets", "ticket.update", args, 404, &res) < 0)
        goto done;
    http_json(r, out, 200, res);
done:
    json_decref(args);
    json_decref(body);
}

static void api__ticket_comment(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"author", "body", "internal", NULL};
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *args = NULL, *res = NULL;
    const char *author, *text, *actor;
    int internal, has_internal;
    if (api_body_known(r, out, body, known) < 0)
        goto done;
    if (json_object_get(body, "body") == NULL) {
        http_error(r, out, 400, "bad_request", "body: required");
        goto done;
    }
    if (api_body_string(r, out, body, "body", TICKET_TEXT_MAX, 1, &text) < 0 ||
        api_body_string(r, out, body, "author", TICKET_NAME_MAX, 1, &author) < 0 ||
        api_body_bool(r, out, body, "internal", &internal, &has_internal) < 0 ||
        (actor = api_actor(r, out)) == NULL)
        goto done;
    if (text == NULL) {
        http_error(r, out, 400, "bad_request", "body: expected a string");
        goto done;
    }
    args = json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)id, "author",
                     author != NULL ? author : actor, "body", text, "internal", internal);
    if (api_call(r, out, "tickets", "ticket.comment", args, 404, &res) < 0)
        goto done;
    http_json(r, out, 201, res);
done:
    json_decref(args);
    json_decref(body);
}

static int is_method(const struct http_req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

int api_tickets_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    if (strcmp(url, "/api/v1/tickets") == 0 || strcmp(url, "/api/v1/tickets/") == 0) {
        if (is_method(r, "POST"))
            api__ticket_create(r, out);
        else if (is_method(r, "GET"))
            api__ticket_list(r, out);
        else
            http_method_not_allowed(r, out, "GET, POST");
        return HTTP_HANDLED;
    }
    char seg[32];
    const char *rest;
    if (!api_path_segment(url, "/api/v1/tickets/", seg, sizeof seg, &rest))
        return HTTP_DECLINED;
    long long id = api_parse_id(seg);
    if (id < 0) {
        http_error(r, out, 404, "not_found", "ticket not found");
    } else if (api_path_end(rest)) {
        if (is_method(r, "GET"))
            api__ticket_get(r, out, id);
        else if (is_method(r, "PATCH"))
            api__ticket_patch(r, out, id);
        else
            http_method_not_allowed(r, out, "GET, PATCH");
    } else if (strcmp(rest, "/comments") == 0 || strcmp(rest, "/comments/") == 0) {
        if (is_method(r, "POST"))
            api__ticket_comment(r, out, id);
        else
            http_method_not_allowed(r, out, "POST");
    } else {
        http_error(r, out, 404, "not_found", "no such endpoint: %s", url);
    }
    return HTTP_HANDLED;
}
