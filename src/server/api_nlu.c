/*
 * api_nlu.c — POST /api/v1/nlu/parse: what kefu understands of a text.
 *
 * Request {"text": "...", "lang": "zh"|"en" (optional: a hint; the detected
 * language is reported either way), "reference_time": ISO 8601 and
 * "timezone": "+08:00" (optional: what relative dates are read against;
 * default now in the bot's zone)}. Reply:
 *   {"text", "normalized", "lang",
 *    "intent": {"name", "confidence"}, "intent_ranking": [{"name","confidence"}, ...],
 *    "sentiment": {"label", "score", "angry", "anger"},
 *    "spam": {"score", "is_spam"},
 *    "entities": [{"type", "text", "start", "end", "value", "confidence",
 *                  "source"}]}   (entities.h; start/end are byte offsets
 *                                 into "text")
 * Parts whose model the bot has no data for are omitted. Stateless: nothing
 * is stored. PII is masked first (privacy.mask): "text" is the masked text.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "kefu/nlu.h"

/* "+08:00", "-0530", "Z" → minutes east of UTC; -1 when not an offset. */
static int nlu__offset(const char *s, int *min)
{
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) {
        *min = 0;
        return 0;
    }
    int h, m = 0;
    char sign;
    if (sscanf(s, "%c%2d:%2d", &sign, &h, &m) < 2 && sscanf(s, "%c%2d%2d", &sign, &h, &m) < 2)
        return -1;
    if ((sign != '+' && sign != '-') || h > 14 || m > 59 || strlen(s) > 6)
        return -1;
    *min = (sign == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

/* "2026-11-25T13:00:00+08:00" (or Z, or no zone = UTC) → epoch seconds. */
static int nlu__iso_time(const char *s, int64_t *epoch)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) < 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
        return -1;
    int off = 0;
    if (s[n] != '\0' && nlu__offset(s + n, &off) != 0)
        return -1;
    /* days from civil (Howard Hinnant's algorithm) */
    int yy = y - (mo <= 2);
    int era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *epoch = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)off * 60;
    return 0;
}

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
    const struct kf_nlu *nlu = kf_engine_nlu(r->srv->p.engine);
    struct kf_time_ref ref = {(int64_t)time(NULL), kf_nlu_utc_offset(nlu)};
    json_t *tz = json_object_get(body, "timezone"), *rt = json_object_get(body, "reference_time");
    if (tz != NULL && (!json_is_string(tz) || nlu__offset(json_string_value(tz), &ref.utc_offset_min) != 0)) {
        http_error(r, out, 400, "bad_request", "timezone: expected a UTC offset like \"+08:00\"");
        goto done;
    }
    if (rt != NULL && (!json_is_string(rt) || nlu__iso_time(json_string_value(rt), &ref.epoch_s) != 0)) {
        http_error(r, out, 400, "bad_request",
                   "reference_time: expected ISO 8601 like \"2026-11-25T13:00:00+08:00\"");
        goto done;
    }
    struct kf_nlu_result res;
    struct kf_err err = {0};
    char *masked; /* PII never reaches the models or the reply (pii.h) */
    int rc = kf_engine_mask(r->srv->p.engine, json_string_value(text), len, r->arena, &masked,
                            &len, &err);
    if (rc == KF_OK)
        rc = kf_nlu_parse_at(nlu, masked, len, ref, r->arena, &res, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc == KF_EUTF8 ? KF_EINVAL : rc, &err);
        goto done;
    }
    json_t *ents = json_loads(kf_entities_json(res.entities, res.nentities, r->arena), 0, NULL);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "text", masked, "normalized", res.normalized,
                          "lang", res.lang, "entities", ents ? ents : json_array());
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
    if (kf_nlu_model(nlu, "spam") != NULL)
        json_object_set_new(o, "spam",
                            json_pack("{s:f,s:b}", "score", res.spam, "is_spam", res.is_spam));
    http_json(r, out, 200, o);
done:
    json_decref(body);
}
