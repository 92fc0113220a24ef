/*
 * api_rasa.c — Rasa-compatible REST channel: POST /webhooks/rest/webhook.
 *
 * Request  {"sender": "user-42", "message": "hi"}  (extra fields ignored,
 * as Rasa does). Reply: a JSON array with one {"recipient_id", "text"} per
 * bot message, quick replies as Rasa "buttons" {title, payload}. A sender id
 * is one customer identity on channel `rest`; their open conversation is
 * continued, or a new one started.
 */
#include <string.h>

#include "http_int.h"

void api_rasa_webhook(struct http_req *r, struct http_resp *out)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *sender = json_object_get(body, "sender");
    json_t *message = json_object_get(body, "message");
    if (sender == NULL || !json_is_string(sender) || json_string_length(sender) == 0 ||
        json_string_length(sender) > 200) {
        http_error(r, out, 400, "bad_request", "sender: expected a string of 1 to 200 bytes");
        goto done;
    }
    if (message == NULL || !json_is_string(message)) {
        http_error(r, out, 400, "bad_request", "message: expected a string");
        goto done;
    }
    struct kf_start req = {.channel = "rest", .external_id = json_string_value(sender)};
    struct kf_conversation conv;
    struct kf_err err = {0};
    int rc = kf_engine_start_or_resume(r->srv->p.engine, &req, r->arena, &conv, &err);
    struct kf_turn turn;
    if (rc == KF_OK)
        rc = kf_engine_post(r->srv->p.engine, conv.id, json_string_value(message),
                            json_string_length(message), NULL, r->arena, &turn, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    api_turn_done(r, conv.id, &turn);
    json_t *arr = json_array();
    for (size_t i = 0; i < turn.nreplies; i++) {
        json_t *m = api_message_json(&turn.replies[i]);
        json_t *o = json_pack("{s:O,s:O}", "recipient_id", sender, "text",
                              json_object_get(m, "text"));
        json_t *qr = json_object_get(m, "quick_replies");
        if (json_array_size(qr) > 0) {
            json_t *buttons = json_array();
            size_t k;
            json_t *q;
            json_array_foreach(qr, k, q)
                json_array_append_new(buttons,
                                      json_pack("{s:O,s:O}", "title", json_object_get(q, "title"),
                                                "payload", json_object_get(q, "text")));
            json_object_set_new(o, "buttons", buttons);
        }
        json_decref(m);
        json_array_append_new(arr, o);
    }
    http_json(r, out, 200, arr);
done:
    json_decref(body);
}
