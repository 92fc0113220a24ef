/*
 * api_nlu.c — POST /api/v1/nlu/parse: what kefu understands of a text.
 *
 * Request {"text": "...", "lang": "zh"|"en" (optional: a hint; the detected
 * language is reported either way)}. Reply:
 *   {"text", "normalized", "lang",
 *    "intent": {"name", "confidence"}, "intent_ranking": [{"name","confidence"}, ...],
 *    "sentiment": {"label", "score", "angry", "anger"},
 *    "spam": {"score", "is_spam"},
 *    "entities": []}
 * Parts whose model the bot has no data for are omitted. Stateless: nothing
 * is stored. PII is masked first (privacy.mask): "text" is the masked text.
 */
#include <string.h>

#include "http_int.h"
#include "kefu/nlu.h"

void api_nlu_parse(struct http_req *r, struct http_resp *out)
{
    json_t *body = http_body_object(r, out, 0);
    if (body == NULL)
        return;
    json_t *text = json_object_get(body, "text");
    json_t *lang = json_object_get(body, "lang");
    if (text == NULL || !json_is_string(text)) {
        http_error(r, out, 400, "bad_request", "text: expected a string");
        goto done;
    }
    if (lang != NULL && !json_is_null(lang) && !json_is_string(lang)) {
        http_error(r, out, 400, "bad_request", "lang: expected a string");
        goto done;
    }
    size_t len = json_string_length(text);
    if (len == 0 || len > KF_MESSAGE_MAX_BYTES) {
        http_error(r, out, 400, "bad_request", "text: expected 1 to %d bytes", KF_MESSAGE_MAX_BYTES);
        goto done;
    }
    struct kf_nlu_result res;
    struct kf_err err = {0};
    char *masked; /* PII never reaches the models or the reply (pii.h) */
    int rc = kf_engine_mask(r->srv->p.engine, json_string_value(text), len, r->arena, &masked,
                            &len, &err);
    if (rc == KF_OK)
        rc = kf_nlu_parse(kf_engine_nlu(r->srv->p.engine), masked, len, r->arena, &res, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc == KF_EUTF8 ? KF_EINVAL : rc, &err);
        goto done;
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:[]}", "text", masked, "normalized", res.normalized,
                          "lang", res.lang, "entities");
    if (res.intent[0] != '\0') {
        json_object_set_new(o, "intent", json_pack("{s:s,s:f}", "name", res.intent, "confidence",
                                                   res.intent_confidence));
        json_t *rank = json_array();
        for (size_t i = 0; i < res.nintents; i++)
            json_array_append_new(rank, json_pack("{s:s,s:f}", "name", res.intents[i].name,
                                                  "confidence", res.intents[i].confidence));
        json_object_set_new(o, "intent_ranking", rank);
    }
    if (res.sentiment[0] != '\0')
        json_object_set_new(o, "sentiment",
                            json_pack("{s:s,s:f,s:b,s:f}", "label", res.sentiment, "score",
                                      res.sentiment_score, "angry", res.angry, "anger",
                                      res.anger));
    if (kf_nlu_model(kf_engine_nlu(r->srv->p.engine), "spam") != NULL)
        json_object_set_new(o, "spam",
                            json_pack("{s:f,s:b}", "score", res.spam, "is_spam", res.is_spam));
    http_json(r, out, 200, o);
done:
    json_decref(body);
}
