/*
 * dialog.c — the FAQ-stage reply policy (see dialog.h for the rules).
 */
#include "kefu/dialog.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/entities.h"
#include "kefu/kb.h"

void kf_dialog_greeting(const struct kf_bot *bot, const char *lang, struct kf_reply *out)
{
    memset(out, 0, sizeof *out);
    out->text = kf_bot_phrase(bot, "greeting", lang);
    out->kind = "greeting";
    out->confidence = 1;
}

static void dialog__handoff_button(const struct kf_bot *bot, const char *lang, struct kf_reply *r)
{
    if (r->nqr >= KF_DIALOG_MAX_QR)
        return;
    const char *b = kf_bot_phrase(bot, "handoff_button", lang);
    r->qr[r->nqr++] = (struct kf_quick_reply){b, b};
}

int kf_dialog_respond(const struct kf_bot *bot, const char *text, size_t len, const char *lang,
                      const struct kf_nlu_result *nlu, struct kf_arena *a,
                      struct kf_dialog_result *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    int li = kf_bot_lang_index(bot, lang);
    if (li < 0)
        li = 0;
    struct kf_reply *r = &out->replies[out->n++];

    int intent_human = nlu != NULL && strcmp(nlu->intent, "ask_human") == 0 &&
                       nlu->intent_confidence >= 0.5;
    if (intent_human || kf_bot_wants_human(bot, text, len)) {
        r->text = kf_bot_phrase(bot, "handoff", lang);
        r->kind = "handoff";
        r->confidence = 1;
        out->handoff = 1;
        out->handoff_reason = "customer_request";
        return KF_OK;
    }

    struct kf_kb_hit hits[KF_DIALOG_MAX_QR];
    size_t nhits = 0;
    int suggest = kf_bot_faq_suggest(bot);
    size_t want = (size_t)(suggest > 0 ? suggest : 1);
    if (kf_bot_faq_count(bot) > 0) {
        int rc = kf_kb_search(kf_bot_kb(bot), text, len, a, hits, want, &nhits, err);
        if (rc != KF_OK)
            return rc;
    }
    if (nhits > 0 && hits[0].confidence >= kf_bot_faq_threshold(bot)) {
        const struct kf_faq_entry *fe = kf_bot_faq(bot, (size_t)hits[0].entry);
        r->text = fe->answer[li];
        r->kind = "faq";
        r->faq_id = fe->id;
        r->confidence = hits[0].confidence;
        return KF_OK;
    }
    r->kind = "not_sure";
    r->confidence = nhits > 0 ? hits[0].confidence : 0;
    for (size_t i = 0; i < nhits && (int)i < suggest && r->nqr < KF_DIALOG_MAX_QR - 1; i++) {
        const struct kf_faq_entry *fe = kf_bot_faq(bot, (size_t)hits[i].entry);
        r->qr[r->nqr++] = (struct kf_quick_reply){fe->question[li], fe->question[li]};
    }
    /* "did you mean…" only makes sense with something to choose from */
    r->text = kf_bot_phrase(bot, r->nqr > 0 ? "not_sure" : "fallback", lang);
    dialog__handoff_button(bot, lang, r);
    return KF_OK;
}

/* Serialise o into the arena and drop it. */
static const char *dialog__dump(json_t *o, struct kf_arena *a)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (s == NULL)
        return NULL;
    char *copy = kf_arena_strdup(a, s);
    free(s);
    return copy;
}

/* Three decimals are all a log or a client needs. */
static json_t *dialog__real3(double v)
{
    return json_real((double)(long)(v * 1000) / 1000);
}

const char *kf_reply_meta_json(const struct kf_reply *r, struct kf_arena *a)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (r->faq_id != NULL)
        json_object_set_new(o, "faq_id", json_string(r->faq_id));
    json_object_set_new(o, "confidence", dialog__real3(r->confidence));
    if (r->flow != NULL)
        json_object_set_new(o, "flow", json_string(r->flow));
    if (r->slot != NULL)
        json_object_set_new(o, "slot", json_string(r->slot));
    if (r->action != NULL)
        json_object_set_new(o, "action", json_string(r->action));
    if (r->outcome != NULL)
        json_object_set_new(o, "outcome", json_string(r->outcome));
    if (r->card_json != NULL) {
        json_t *card = json_loads(r->card_json, 0, NULL);
        if (card != NULL)
            json_object_set_new(o, "card", card);
    }
    if (r->nqr > 0) {
        json_t *qr = json_array();
        for (size_t i = 0; i < r->nqr; i++)
            json_array_append_new(qr, json_pack("{s:s,s:s}", "title", r->qr[i].title, "text",
                                                r->qr[i].text));
        json_object_set_new(o, "quick_replies", qr);
    }
    return dialog__dump(o, a);
}

const char *kf_nlu_meta_json(const struct kf_nlu_result *r, struct kf_arena *a)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (r->intent[0] != '\0') {
        json_object_set_new(o, "intent", json_string(r->intent));
        json_object_set_new(o, "intent_confidence",
                            dialog__real3(r->intent_confidence));
    }
    if (r->sentiment[0] != '\0') {
        json_object_set_new(o, "sentiment", json_string(r->sentiment));
        json_object_set_new(o, "sentiment_score",
                            dialog__real3(r->sentiment_score));
        json_object_set_new(o, "angry", json_boolean(r->angry));
    }
    json_object_set_new(o, "spam", dialog__real3(r->spam));
    if (r->nentities > 0) {
        json_t *ents = json_loads(kf_entities_json(r->entities, r->nentities, a), 0, NULL);
        if (ents != NULL)
            json_object_set_new(o, "entities", ents);
    }
    return dialog__dump(o, a);
}
