/*
 * policy.c — the dialog policy: one customer message → replies, business
 * actions and the conversation's next state (dialog.h kf_dialog_turn).
 *
 * Design notes
 * ------------
 * State. One JSON object per conversation, stored by the engine in the same
 * transaction as the turn (so a restarted server, or another node, carries
 * on). Keys:
 *   flow, step       the running flow and the index of its current step
 *   waiting          "slot" | "confirm": what the last reply asked for
 *   slot             the slot asked for (waiting = slot)
 *   attempts         invalid answers to the current question
 *   slots, texts     slot values (JSON: entity values, choice values, text;
 *                    null = skipped) and how the customer wrote them
 *   last_slot        the slot filled last (what a correction takes back)
 *   rejected         slot → a value the customer said was wrong
 *   confirmed        steps (indexes) the customer said yes to
 *   sealed           sensitive slots' raw values, sealed (dialog.h secrets)
 *   from_context     the slot filled from the context, not from the customer
 *   result           the last business action's result (last_action: its name)
 *   context          outside flows too: order_id, product … mentioned last
 *   fails            not-understood messages in a row
 *   clarify          [intent, intent] offered in a clarification question
 *   xs_done          cross-sell is over for this conversation: "offered",
 *                    "negative", "complaint" or "handoff" (kept across flows)
 *   xs_offer         {rec_id, sku}: the offer the last reply made, awaiting
 *                    yes or no (one turn only)
 *
 * States and transitions (one message = one transition):
 *
 *              trigger intent / entity                   step needs input
 *   ┌──────┐ ─────────────────────────▶ ┌────────────┐ ───────────────────┐
 *   │ idle │                            │ run steps  │                    ▼
 *   └──────┘ ◀───────────────────────── └────────────┘ ◀──────── ┌───────────────┐
 *      ▲  ▲     last step / reply ends       ▲   answer fills     │ waiting: slot │
 *      │  │                                  │   slot / "yes"     │   or confirm  │
 *      │  └──────────── cancel phrase, "no" to a confirm ──────── └───────────────┘
 *      │                                                              │  ▲
 *      └────── handoff: asked for a human, too many invalid answers ──┘  │
 *                                           FAQ / small talk digression ─┘
 *                                           (answered, question repeated)
 *
 *   idle → idle: small talk, FAQ, clarification ("did you mean A or B?"),
 *   fallback (after max_fallbacks in a row: handoff).
 *
 * Functions: pol__idle (idle), pol__start (trigger), pol__in_flow (waiting),
 * pol__run (run steps), pol__end (back to idle).
 *
 * Invariants: waiting is set only while flow is; a step index never passes
 * nsteps; every reply a turn makes fits KF_DIALOG_MAX_REPLIES (pol__say
 * drops extras rather than overflow); run steps stops after 2 × nsteps
 * iterations, so a reask loop cannot spin.
 *
 * Corrections: an entity that fills an already-filled slot replaces it and
 * restarts the steps (checks run again, confirmations are asked again); a
 * correction phrase without a new value ("不是这个订单") takes back the slot
 * filled last and asks again, never offering the rejected value from context.
 * A value taken from the context that an action turns down is asked for
 * instead of ending the flow. "重新开始" restarts the flow with nothing kept.
 *
 * Order of the rules inside a flow (pol__in_flow), first match wins:
 *   restart phrase → the flow afresh;
 *   another flow's intent ≥ switch_threshold → that flow, unless we wait for
 *     free text or the message is a question the FAQ answers (a digression);
 *   a cancel phrase while free text is awaited → cancelled;
 *   entities and choice words fill or correct slots; the awaited slot takes
 *     a choice, a skip or a bare budget;
 *   a correction phrase → take back; a cancel phrase or "no" to a
 *     confirmation with nothing filled → cancelled (the step's `no` text);
 *   "yes" to a confirmation → on; free text → the awaited text slot;
 *   a confident FAQ answer or small talk → answered, question repeated;
 *   else an invalid answer (max_attempts: handoff).
 * Outside a flow (pol__idle): a clicked label → its flow; a flow's intent →
 * the FAQ if phrased as a question it answers well, "which one?" if the top
 * two are close (the message's entities break the tie), else the flow; small
 * talk; an entity that starts a flow; the FAQ stage (max_fallbacks: handoff).
 *
 * Cross-sell (issue 6; dialog.yaml `cross_sell`, docs/bot-format.md). After
 * the rules above, a turn whose flow ended resolved with an ok result, in a
 * flow the bot lists, may add ONE offer: the `action` (reco.cross_sell) gets
 * the ended flow's slots (order_id, product) and picks an add-on by the
 * association rules; the offer names its category and carries yes/no
 * buttons. Never twice in a conversation, and never once the conversation
 * had a never_after flow (a complaint), a negative or angry customer
 * message, or a handoff: each sets xs_done for good (pol__xs_after). The
 * next message answers the offer before anything else (pol__xs_answer):
 * yes → the `accept` action records the click and the product card is
 * shown; no → a short acknowledgement; anything else drops the offer and
 * the turn runs as if there had been none. The offer's failures never fail
 * a turn: without a store, rules or a product there is simply no offer.
 *
 * Experiments (issue 7; dialog.h kf_dialog_variant, docs/experiments.md).
 * A flow named by a variant of the input reports the experiment when it
 * starts (out.experiment, out.variant: the engine records the exposure, for
 * every variant alike). The `direct` style skips the optional questions and
 * takes a missing category from the customer's profile (pol__xp_taste);
 * when such a flow ends resolved with an ok result, its last reply carries a
 * "narrow it down" button (pol__xp_after) and the state remembers the
 * offer (xp_narrow: the flow and its required slots). That button, as the
 * next message, runs the flow again as written (state xp_guided, kept while
 * the flow runs) with the required slots it had (pol__xp_narrow); anything
 * else drops the offer. Without variants nothing here runs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "kefu/biz.h"
#include "kefu/dialog.h"
#include "kefu/reco.h"
#include "kefu/utf8.h"

struct pol {
    const struct kf_dialog_input *in;
    const struct kf_flows *f;
    struct kf_arena *a;
    struct kf_dialog_result *out;
    struct kf_err *err;
    json_t *st;      /* the state being changed */
    size_t li;       /* language index into the bot's languages */
    const char *intent;
    double conf;
    double faq; /* the message's best FAQ confidence; < 0 until asked (pol__faq_confidence) */
    /* the flow that ended resolved this turn, with its slots and whether its
     * last result was ok (pol__end): what a cross-sell offer is about */
    const struct flow *ended;
    json_t *ended_slots;
    int ended_ok;
    /* experiments: the flow a direct variant ran this turn, and the slots a
     * "narrow it down" start begins with (borrowed from the offer) */
    const struct flow *xp_flow;
    json_t *preset;
};

/* ---- small helpers ---------------------------------------------------- */

static struct kf_reply *pol__say(struct pol *p, const char *kind, const char *text)
{
    if (p->out->n >= KF_DIALOG_MAX_REPLIES || text == NULL)
        return NULL;
    struct kf_reply *r = &p->out->replies[p->out->n++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->text = text;
    r->confidence = 1;
    return r;
}

static void pol__qr(struct kf_reply *r, const char *title)
{
    if (r != NULL && title != NULL && r->nqr < KF_DIALOG_MAX_QR)
        r->qr[r->nqr++] = (struct kf_quick_reply){title, title};
}

static const char *pol__msg(struct pol *p, const char *key, const char *fallback)
{
    const char *m = p->f != NULL ? flow__message(p->f, key, p->li) : NULL;
    return m != NULL ? m : fallback;
}

static const char *pol__dump(struct pol *p, json_t *v)
{
    if (v == NULL)
        return NULL;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == NULL)
        return NULL;
    char *c = kf_arena_strdup(p->a, s);
    free(s);
    return c;
}

static int pol__is_boundary(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return 1;
    unsigned char c = (unsigned char)s[i];
    return c < 0x80 && !isalnum(c);
}

static int pol__has_latin(const char *s)
{
    for (; *s; s++)
        if (isalpha((unsigned char)*s))
            return 1;
    return 0;
}

/* A phrase in the (normalised, lower-case) text: Latin phrases as whole
 * words, others anywhere. prefix: only at the start of the message. */
static int pol__phrase_in(const char *text, const char *ph, int prefix)
{
    size_t n = strlen(text), pl = strlen(ph);
    size_t start = 0;
    while (start < n && (text[start] == ' ' || text[start] == '\t'))
        start++;
    int latin = pol__has_latin(ph);
    for (size_t i = start; i + pl <= n; i++) {
        if (prefix && i != start)
            break;
        if (strncasecmp(text + i, ph, pl) != 0)
            continue;
        if (!latin)
            return 1;
        if ((i == 0 || pol__is_boundary(text, i - 1, n)) && pol__is_boundary(text, i + pl, n))
            return 1;
    }
    return 0;
}

static int pol__phrases_in(struct pol *p, const struct flow_phrases *ph, int prefix)
{
    const char *text = p->in->nlu != NULL && p->in->nlu->normalized != NULL
                           ? p->in->nlu->normalized
                           : p->in->text;
    for (size_t l = 0; l < p->f->nlangs; l++) /* customers mix languages */
        for (size_t i = 0; i < ph->n[l]; i++)
            if (pol__phrase_in(text, ph->p[l][i], prefix))
                return 1;
    return 0;
}

/* How much a text says: a Han character or a Latin/digit word counts one
 * ("我要投诉" 4, "I want to make a complaint" 6). */
static size_t pol__units_n(const char *s, size_t len)
{
    size_t n = 0;
    const char *end = s + len;
    while (s < end) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c)) {
            n++;
            while (s < end && (isalnum((unsigned char)*s) || *s == '\''))
                s++;
            continue;
        }
        if (c >= 0xE0) { /* a 3- or 4-byte character: Han and the like */
            uint32_t cp;
            int k = kf_utf8_decode(s, (size_t)(end - s), &cp);
            n += k > 0 && kf_utf8_is_han(cp);
            s += k > 0 ? k : 1;
            continue;
        }
        s++;
    }
    return n;
}

/* Measured on what the customer wrote (masking turns words into stars). */
static size_t pol__units(struct pol *p)
{
    if (p->in->raw_text != NULL)
        return pol__units_n(p->in->raw_text, p->in->raw_len);
    return pol__units_n(p->in->text, p->in->len);
}

static const char *pol__str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long pol__int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static json_t *pol__obj(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    return v;
}

/* ---- templates --------------------------------------------------------- */

/* The text of one {name}: the action's result, then a choice slot's label,
 * then the slot as the customer wrote it, then its value. */
static void pol__var(struct pol *p, const struct flow *fl, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    const struct flow_slot *s = fl != NULL ? flow__slot(fl, name) : NULL;
    json_t *sv = json_object_get(json_object_get(p->st, "slots"), name);
    if (s != NULL && s->kind == SLOT_CHOICE && json_is_string(sv)) { /* its label */
        for (size_t i = 0; i < s->noptions; i++)
            if (strcmp(s->options[i].value, json_string_value(sv)) == 0) {
                snprintf(out, cap, "%s", flow__text(&s->options[i].label, p->li));
                return;
            }
    }
    json_t *v = json_object_get(json_object_get(p->st, "result"), name);
    if (v == NULL && s != NULL) {
        v = json_object_get(json_object_get(p->st, "texts"), name);
        if (v == NULL)
            v = sv;
    }
    if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(out, cap, "%g", json_real_value(v));
    } else if (json_is_array(v)) {
        size_t used = 0, i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (!json_is_string(it))
                continue;
            int k = snprintf(out + used, cap - used, "%s%s", used ? (p->li == 0 ? "、" : ", ") : "",
                             json_string_value(it));
            if (k < 0 || (size_t)k >= cap - used)
                break;
            used += (size_t)k;
        }
    } else if (json_is_object(v) && json_is_number(json_object_get(v, "amount"))) {
        snprintf(out, cap, "%g", json_number_value(json_object_get(v, "amount")));
    }
}

/* "{name}" → its text (pol__var); "{{" is a literal brace. */
static const char *pol__render(struct pol *p, const struct flow *fl, const char *tpl)
{
    char buf[4096];
    size_t used = 0;
    for (const char *s = tpl; *s && used + 1 < sizeof buf;) {
        if (s[0] == '{' && s[1] == '{') {
            buf[used++] = '{';
            s += 2;
            continue;
        }
        const char *end = s[0] == '{' ? strchr(s, '}') : NULL;
        if (end == NULL || end - s > 64) {
            buf[used++] = *s++;
            continue;
        }
        char name[72], val[1024];
        snprintf(name, sizeof name, "%.*s", (int)(end - s - 1), s + 1);
        pol__var(p, fl, name, val, sizeof val);
        size_t vl = strlen(val);
        if (used + vl >= sizeof buf)
            break;
        memcpy(buf + used, val, vl);
        used += vl;
        s = end + 1;
    }
    buf[used] = '\0';
    return kf_arena_strdup(p->a, buf);
}

/* ---- state ------------------------------------------------------------- */

static void pol__end(struct pol *p, const struct flow *fl, const char *outcome)
{
    /* what the flow learnt stays as context for the next one */
    json_t *slots = json_object_get(p->st, "slots");
    if (fl != NULL && outcome != NULL && strcmp(outcome, "resolved") == 0 && p->ended == NULL) {
        const char *o = pol__str(json_object_get(p->st, "result"), "outcome");
        p->ended = fl;
        p->ended_ok = o == NULL || strcmp(o, "ok") == 0;
        p->ended_slots = json_is_object(slots) ? json_deep_copy(slots) : json_object();
    }
    json_t *ctx = pol__obj(p->st, "context");
    for (size_t i = 0; fl != NULL && i < fl->nslots; i++) {
        const struct flow_slot *s = &fl->slots[i];
        json_t *v = json_object_get(slots, s->name);
        if (s->context != NULL && v != NULL && !json_is_null(v))
            json_object_set(ctx, s->context, v);
    }
    static const char *const keys[] = {"flow", "step", "waiting", "slot", "attempts", "slots",
                                       "texts", "last_slot", "rejected", "confirmed", "result",
                                       "last_action", "from_context", "sealed", "xp_guided"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_object_del(p->st, keys[i]);
    if (outcome != NULL)
        p->out->outcome = outcome;
}

static void pol__handoff(struct pol *p, const char *reason, const char *text)
{
    struct kf_reply *r = pol__say(p, "handoff", text != NULL ? text
                                                             : kf_bot_phrase(p->in->bot, "handoff",
                                                                             p->in->lang));
    (void)r;
    p->out->handoff = 1;
    p->out->handoff_reason = reason;
    p->out->outcome = "handed_off";
}

static int pol__confirmed(struct pol *p, size_t step)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p->st, "confirmed"), i, v) if (
        json_integer_value(v) == (json_int_t)step) return 1;
    return 0;
}

static void pol__set_slot(struct pol *p, const struct flow_slot *s, json_t *value, json_t *text)
{
    json_object_set_new(pol__obj(p->st, "slots"), s->name, value);
    if (text != NULL)
        json_object_set_new(pol__obj(p->st, "texts"), s->name, text);
    else
        json_object_del(pol__obj(p->st, "texts"), s->name);
    json_object_set_new(p->st, "last_slot", json_string(s->name));
    const char *fc = pol__str(p->st, "from_context");
    if (fc != NULL && strcmp(fc, s->name) == 0)
        json_object_del(p->st, "from_context");
    if (s->context != NULL && !json_is_null(value))
        json_object_set(pol__obj(p->st, "context"), s->context, value);
}

/* Empty a slot the customer (or an action) turned down: its value is
 * remembered as rejected, so neither the message nor the context offers it
 * again, and the context forgets it. */
static void pol__take_back(struct pol *p, const struct flow_slot *s)
{
    json_t *old = json_object_get(json_object_get(p->st, "slots"), s->name);
    if (old != NULL)
        json_object_set(pol__obj(p->st, "rejected"), s->name, old);
    json_object_del(pol__obj(p->st, "slots"), s->name);
    json_object_del(pol__obj(p->st, "texts"), s->name);
    json_object_del(pol__obj(p->st, "sealed"), s->name);
    if (s->context != NULL)
        json_object_del(pol__obj(p->st, "context"), s->context);
}

static int pol__rejected(struct pol *p, const struct flow_slot *s, json_t *value)
{
    json_t *r = json_object_get(json_object_get(p->st, "rejected"), s->name);
    return r != NULL && json_equal(r, value);
}

/* FAQ confidence of the message (0 when none). */
static double pol__faq_confidence(struct pol *p)
{
    if (p->faq >= 0) /* several rules ask; the search runs once per turn */
        return p->faq;
    p->faq = 0;
    struct kf_kb_hit hit;
    size_t n = 0;
    struct kf_err e2 = {0};
    if (kf_bot_faq_count(p->in->bot) > 0 &&
        kf_kb_search(kf_bot_kb(p->in->bot), p->in->text, p->in->len, p->a, &hit, 1, &n, &e2) ==
            KF_OK &&
        n > 0)
        p->faq = hit.confidence;
    return p->faq;
}

/* The message is phrased as a question ("怎么…", "how do I…", "?"). */
static int pol__asks(struct pol *p)
{
    return pol__phrases_in(p, &p->f->question, 0) || memchr(p->in->text, '?', p->in->len) != NULL ||
           strstr(p->in->text, "？") != NULL;
}

/* ---- filling slots ------------------------------------------------------ */

static json_t *pol__entity_value(const struct kf_entity *e)
{
    json_t *v = json_loads(e->value, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(e->text);
}

/* A free-text slot gets the (masked) message; a sensitive one also keeps the
 * raw message, sealed, for the action (never in clear in the state). */
static void pol__set_text(struct pol *p, const struct flow_slot *s)
{
    pol__set_slot(p, s, json_stringn(p->in->text, p->in->len), NULL);
    json_object_del(pol__obj(p->st, "sealed"), s->name);
    const struct kf_dialog_secrets *sec = p->in->secrets;
    if (!s->sensitive || sec == NULL || p->in->raw_text == NULL ||
        (p->in->raw_len == p->in->len && memcmp(p->in->raw_text, p->in->text, p->in->len) == 0))
        return;
    const char *sealed = sec->seal(sec->ud, p->in->raw_text, p->in->raw_len, p->a);
    if (sealed != NULL)
        json_object_set_new(pol__obj(p->st, "sealed"), s->name, json_string(sealed));
}

/* A number typed alone as a budget ("3000", "5千") → a money value. */
static json_t *pol__bare_money(const char *text)
{
    const char *s = text;
    while (*s && !isdigit((unsigned char)*s))
        s++;
    if (!*s)
        return NULL;
    char *end;
    double v = strtod(s, &end);
    if (strncmp(end, "千", 3) == 0 || *end == 'k' || *end == 'K')
        v *= 1000;
    else if (strncmp(end, "万", 3) == 0 || *end == 'w' || *end == 'W')
        v *= 10000;
    return v > 0 ? json_pack("{s:f,s:s}", "amount", v, "currency", "CNY") : NULL;
}

/* Entity slots from the message's entities. *changed: an already-filled slot
 * got a different value (a correction). Returns slots filled. */
static int pol__fill_entities(struct pol *p, const struct flow *fl, int *changed)
{
    const struct kf_nlu_result *nlu = p->in->nlu;
    int filled = 0;
    if (nlu == NULL)
        return 0;
    json_t *slots = pol__obj(p->st, "slots");
    for (size_t i = 0; i < fl->nslots; i++) {
        const struct flow_slot *s = &fl->slots[i];
        if (s->kind != SLOT_ENTITY)
            continue;
        json_t *val = NULL, *txt = NULL;
        for (size_t k = 0; k < nlu->nentities; k++) {
            const struct kf_entity *e = &nlu->entities[k];
            if (strcmp(e->type, s->entity) != 0)
                continue;
            json_t *v = pol__entity_value(e);
            if (v == NULL || pol__rejected(p, s, v)) {
                json_decref(v);
                continue;
            }
            if (!s->multiple) {
                val = v;
                txt = json_string(e->text);
                break;
            }
            if (val == NULL) {
                val = json_array();
                txt = json_array();
            }
            json_array_append_new(val, v);
            json_array_append_new(txt, json_string(e->text));
        }
        if (val == NULL)
            continue;
        json_t *old = json_object_get(slots, s->name);
        if (old != NULL && !json_is_null(old) && !json_equal(old, val))
            *changed = 1;
        pol__set_slot(p, s, val, txt);
        filled++;
    }
    return filled;
}

static const char *pol__choice_match(struct pol *p, const struct flow_slot *s)
{
    const char *text = p->in->nlu != NULL && p->in->nlu->normalized != NULL
                           ? p->in->nlu->normalized
                           : p->in->text;
    for (size_t i = 0; i < s->noptions; i++) {
        const struct flow_option *o = &s->options[i];
        for (size_t w = 0; w < o->nwords; w++)
            if (pol__phrase_in(text, o->words[w], 0))
                return o->value;
        for (size_t l = 0; l < p->f->nlangs; l++)
            if (o->label.t[l] != NULL && pol__phrase_in(text, o->label.t[l], 0))
                return o->value;
    }
    for (size_t i = 0; i < s->nfrom_intent && p->intent != NULL; i++)
        if (strcmp(s->from_intent[i].key, p->intent) == 0 && p->conf >= 0.5)
            return s->from_intent[i].value;
    return NULL;
}

/* The slot a question waits for, from a message that carried no entity for
 * it: a choice, free text, a skip, or a bare budget. 1 if filled. */
static int pol__fill_awaited(struct pol *p, const struct flow_slot *s)
{
    if (s->optional && pol__phrases_in(p, &p->f->skip, 0)) {
        pol__set_slot(p, s, json_null(), NULL);
        return 1;
    }
    switch (s->kind) {
    case SLOT_CHOICE: {
        const char *v = pol__choice_match(p, s);
        if (v == NULL)
            return 0;
        pol__set_slot(p, s, json_string(v), NULL);
        return 1;
    }
    case SLOT_TEXT: {
        if ((int)pol__units(p) < s->min_length)
            return 0;
        /* "运费怎么算?" while we wait for an address is a question, not the
         * answer: the digression path answers it */
        if (pol__asks(p) && pol__faq_confidence(p) >= kf_bot_faq_threshold(p->in->bot))
            return 0;
        pol__set_text(p, s);
        return 1;
    }
    case SLOT_ENTITY:
        if (strcmp(s->entity, "money") == 0) {
            json_t *m = pol__bare_money(p->in->text);
            if (m != NULL) {
                pol__set_slot(p, s, m, json_stringn(p->in->text, p->in->len));
                return 1;
            }
        }
        return 0;
    }
    return 0;
}

/* ---- running steps ------------------------------------------------------ */

static int pol__when(struct pol *p, const struct flow_when *w)
{
    if (w->noutcomes > 0) {
        const char *o = pol__str(json_object_get(p->st, "result"), "outcome");
        int hit = 0;
        for (size_t i = 0; i < w->noutcomes && o != NULL; i++)
            hit |= strcmp(w->outcomes[i], o) == 0;
        if (!hit)
            return 0;
    }
    if (w->slot != NULL) {
        json_t *v = json_object_get(json_object_get(p->st, "slots"), w->slot);
        if (v == NULL || json_is_null(v))
            return 0;
        if (w->equals != NULL && !(json_is_string(v) && strcmp(json_string_value(v), w->equals) == 0))
            return 0;
    }
    return 1;
}

static json_t *pol__args(struct pol *p)
{
    json_t *args = json_deep_copy(pol__obj(p->st, "slots"));
    if (args == NULL)
        return NULL;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(p->st, "texts"), key, v) {
        char k[96];
        snprintf(k, sizeof k, "%s_text", key);
        json_object_set(args, k, v);
    }
    /* sensitive slots: the raw value for the action, the masked one beside */
    const struct kf_dialog_secrets *sec = p->in->secrets;
    json_object_foreach(json_object_get(p->st, "sealed"), key, v) {
        const char *raw = sec != NULL && json_is_string(v)
                              ? sec->open(sec->ud, json_string_value(v), p->a)
                              : NULL;
        if (raw == NULL)
            continue;
        char k[96];
        snprintf(k, sizeof k, "%s_masked", key);
        json_object_set(args, k, json_object_get(args, key));
        json_object_set_new(args, key, json_string(raw));
    }
    const struct kf_nlu_result *nlu = p->in->nlu;
    if (nlu != NULL) {
        json_t *prods = NULL; /* every product the message names ("does X fit Y?") */
        for (size_t i = 0; i < nlu->nentities; i++)
            if (strcmp(nlu->entities[i].type, "product") == 0) {
                if (prods == NULL)
                    prods = json_array();
                json_array_append_new(prods, pol__entity_value(&nlu->entities[i]));
            }
        if (prods != NULL)
            json_object_set_new(args, "_products", prods);
        json_object_set_new(args, "_angry", json_boolean(nlu->angry));
        if (nlu->sentiment != NULL)
            json_object_set_new(args, "_sentiment", json_string(nlu->sentiment));
    }
    return args;
}

static int pol__call(struct pol *p, const char *action, json_t **result)
{
    *result = NULL;
    if (p->in->biz == NULL)
        return kf_errorf(p->err, KF_EUNSUPPORTED, "flow calls %s but no business layer", action);
    json_t *args = pol__args(p);
    if (args == NULL)
        return kf_errorf(p->err, KF_ENOMEM, "out of memory");
    struct kf_biz_ctx ctx = *p->in->biz;
    ctx.lang = p->in->lang;
    ctx.text = p->in->text;
    int rc = kf_biz_call(&ctx, action, args, result, p->err);
    json_decref(args);
    p->out->action = kf_arena_strdup(p->a, action);
    return rc;
}

static void pol__ask(struct pol *p, const struct flow *fl, const struct flow_slot *s,
                     const char *prefix_kind)
{
    struct kf_reply *r = pol__say(p, prefix_kind, pol__render(p, fl, flow__text(&s->prompt, p->li)));
    if (r == NULL)
        return;
    r->flow = fl->id;
    r->slot = s->name;
    for (size_t i = 0; i < s->buttons.n[p->li]; i++)
        pol__qr(r, s->buttons.p[p->li][i]);
    if (s->kind == SLOT_CHOICE && s->buttons.n[p->li] == 0)
        for (size_t i = 0; i < s->noptions; i++)
            pol__qr(r, flow__text(&s->options[i].label, p->li));
    if (s->choices != NULL && p->in->biz != NULL) {
        json_t *res;
        struct kf_err e2 = {0};
        struct kf_err *keep = p->err;
        p->err = &e2; /* quick replies are a convenience: never fail the turn */
        if (pol__call(p, s->choices, &res) == KF_OK) {
            size_t i;
            json_t *c;
            json_t *rej = json_object_get(json_object_get(p->st, "rejected"), s->name);
            json_array_foreach(json_object_get(res, "choices"), i, c) if (
                json_is_string(c) && !(rej != NULL && json_equal(rej, c)))
                pol__qr(r, kf_arena_strdup(p->a, json_string_value(c)));
        }
        json_decref(res);
        p->err = keep;
        p->out->action = NULL;
    }
    if (s->optional) {
        const char *skip = pol__msg(p, "skip_button", NULL);
        pol__qr(r, skip);
    }
    json_object_set_new(p->st, "waiting", json_string("slot"));
    json_object_set_new(p->st, "slot", json_string(s->name));
}

static size_t pol__ask_step(const struct flow *fl, const char *slot)
{
    for (size_t i = 0; i < fl->nsteps; i++)
        if (fl->steps[i].kind == STEP_ASK && strcmp(fl->steps[i].slot, slot) == 0)
            return i;
    return 0;
}

static const struct flow_case *pol__case(const struct flow_step *st, const char *outcome)
{
    for (size_t i = 0; i < st->ncases; i++)
        if (strcmp(st->cases[i].outcome, outcome) == 0)
            return &st->cases[i];
    for (size_t i = 0; i < st->ncases; i++)
        if (strcmp(st->cases[i].outcome, "default") == 0)
            return &st->cases[i];
    return NULL;
}

/* A reply step: the case for the result's outcome. Returns 1 when the flow
 * goes on with the next step, 0 when it stopped (ended or waits). */
static int pol__reply(struct pol *p, const struct flow *fl, const struct flow_step *st,
                      size_t *step)
{
    json_t *result = json_object_get(p->st, "result");
    const char *outcome = pol__str(result, "outcome");
    if (outcome == NULL)
        outcome = "ok";
    int ok = strcmp(outcome, "ok") == 0;
    const struct flow_case *c = pol__case(st, outcome);
    if (c == NULL) {
        if (ok)
            return 1;
        if (strcmp(outcome, "unavailable") == 0) {
            pol__end(p, fl, NULL);
            pol__handoff(p, "backend_unavailable",
                         pol__msg(p, "unavailable", kf_bot_phrase(p->in->bot, "handoff",
                                                                   p->in->lang)));
            return 0;
        }
        char key[64];
        snprintf(key, sizeof key, "outcome_%s", outcome);
        struct kf_reply *r = pol__say(p, "action", pol__msg(p, key, pol__msg(p, "action_failed",
                                                                             "")));
        if (r != NULL) {
            r->flow = fl->id;
            r->action = p->out->action;
            r->outcome = kf_arena_strdup(p->a, outcome);
        }
        pol__end(p, fl, "resolved");
        return 0;
    }
    struct kf_reply *r = pol__say(p, "action", pol__render(p, fl, flow__text(&c->text, p->li)));
    if (r != NULL) {
        r->flow = fl->id;
        r->action = pol__str(p->st, "last_action");
        if (r->action != NULL)
            r->action = kf_arena_strdup(p->a, r->action);
        r->outcome = kf_arena_strdup(p->a, outcome);
        if (c->card)
            r->card_json = pol__dump(p, json_object_get(result, "card"));
    }
    if (c->handoff) {
        pol__end(p, fl, NULL);
        pol__handoff(p, "flow", pol__msg(p, "handoff_flow", NULL));
        return 0;
    }
    /* a value taken from the context (the order mentioned earlier) that the
     * action turned down: ask which one the customer means instead of ending */
    const char *reask = c->reask;
    const char *fc = pol__str(p->st, "from_context");
    if (reask == NULL && !ok && fc != NULL && flow__slot(fl, fc) != NULL &&
        flow__slot(fl, fc)->ask)
        reask = fc;
    if (reask != NULL) {
        const struct flow_slot *s = flow__slot(fl, reask);
        json_object_del(p->st, "from_context");
        pol__take_back(p, s);
        json_object_set_new(p->st, "confirmed", json_array());
        *step = pol__ask_step(fl, s->name);
        json_object_set_new(p->st, "step", json_integer((json_int_t)*step));
        json_object_set_new(p->st, "waiting", json_string("slot"));
        json_object_set_new(p->st, "slot", json_string(s->name));
        if (r != NULL)
            r->slot = s->name;
        if (c->reask == NULL) /* the case's text did not ask: the slot's prompt does */
            pol__ask(p, fl, s, "ask");
        p->out->outcome = "in_progress";
        return 0;
    }
    if (!ok || c->end) {
        pol__end(p, fl, fl->resolves ? "resolved" : "in_progress");
        return 0;
    }
    return 1;
}

/* ---- experiments --------------------------------------------------------- */

/* The customer's variant of an experiment on this flow, or NULL. */
static const struct kf_dialog_variant *pol__variant(struct pol *p, const struct flow *fl)
{
    for (size_t i = 0; fl != NULL && i < p->in->nvariants; i++)
        if (p->in->variants[i].flow != NULL && strcmp(p->in->variants[i].flow, fl->id) == 0)
            return &p->in->variants[i];
    return NULL;
}

/* Does the flow run the direct style (not after "narrow it down")? */
static int pol__direct(struct pol *p, const struct flow *fl)
{
    const struct kf_dialog_variant *v = pol__variant(p, fl);
    return v != NULL && v->style != NULL && strcmp(v->style, "direct") == 0 &&
           !json_is_true(json_object_get(p->st, "xp_guided"));
}

static const char *pol__narrow_label(struct pol *p)
{
    int zh = p->in->lang != NULL && strncmp(p->in->lang, "zh", 2) == 0;
    return pol__msg(p, "narrow_button", zh ? "缩小范围" : "Narrow it down");
}

/* The message is exactly `label` (trailing blanks aside). */
static int pol__is_text(struct pol *p, const char *label)
{
    size_t n = p->in->len;
    while (n > 0 && (p->in->text[n - 1] == ' ' || p->in->text[n - 1] == '\n' ||
                     p->in->text[n - 1] == '\t' || p->in->text[n - 1] == '\r'))
        n--;
    return label != NULL && strlen(label) == n && memcmp(p->in->text, label, n) == 0;
}

/* Run the flow from state.step until it needs the customer or ends. */
static int pol__run(struct pol *p, const struct flow *fl)
{
    size_t step = (size_t)pol__int(p->st, "step");
    json_object_del(p->st, "waiting");
    p->out->flow = fl->id;
    int direct = pol__direct(p, fl);
    if (direct)
        p->xp_flow = fl;
    for (size_t guard = 0; guard < 2 * fl->nsteps + 2; guard++) {
        if (step >= fl->nsteps) {
            pol__end(p, fl, fl->resolves ? "resolved" : "in_progress");
            return KF_OK;
        }
        const struct flow_step *st = &fl->steps[step];
        json_object_set_new(p->st, "step", json_integer((json_int_t)step));
        if (st->has_when && !pol__when(p, &st->when)) {
            step++;
            continue;
        }
        switch (st->kind) {
        case STEP_ASK: {
            const struct flow_slot *s = flow__slot(fl, st->slot);
            if (json_object_get(json_object_get(p->st, "slots"), s->name) != NULL || !s->ask ||
                (direct && s->optional)) {
                step++;
                continue;
            }
            pol__ask(p, fl, s, "ask");
            p->out->outcome = "in_progress";
            return KF_OK;
        }
        case STEP_CONFIRM: {
            if (pol__confirmed(p, step)) {
                step++;
                continue;
            }
            struct kf_reply *r = pol__say(p, "confirm",
                                          pol__render(p, fl, flow__text(&st->text, p->li)));
            if (r != NULL) {
                r->flow = fl->id;
                pol__qr(r, pol__msg(p, "yes_button", NULL));
                pol__qr(r, pol__msg(p, "no_button", NULL));
            }
            json_object_set_new(p->st, "waiting", json_string("confirm"));
            p->out->outcome = "in_progress";
            return KF_OK;
        }
        case STEP_CALL: {
            json_t *res;
            int rc = pol__call(p, st->action, &res);
            if (rc != KF_OK)
                return rc;
            json_object_set_new(p->st, "result", res);
            json_object_set_new(p->st, "last_action", json_string(st->action));
            step++;
            continue;
        }
        case STEP_REPLY:
            if (!pol__reply(p, fl, st, &step))
                return KF_OK;
            step++;
            continue;
        case STEP_SAY: {
            struct kf_reply *r = pol__say(p, "action",
                                          pol__render(p, fl, flow__text(&st->text, p->li)));
            if (r != NULL)
                r->flow = fl->id;
            step++;
            continue;
        }
        case STEP_HANDOFF:
            pol__end(p, fl, NULL);
            pol__handoff(p, "flow", pol__render(p, NULL, flow__text(&st->text, p->li)));
            return KF_OK;
        }
    }
    pol__end(p, fl, "abandoned"); /* a reask loop: give up rather than spin */
    return KF_OK;
}

/* ---- entering a flow ---------------------------------------------------- */

/* Direct style: a required category slot still empty takes the customer's
 * preferred category (the profile, reco.h); without one it is asked. */
static void pol__xp_taste(struct pol *p, const struct flow *fl)
{
    const struct kf_biz_ctx *ctx = p->in->biz;
    struct kf_store *st = ctx != NULL && ctx->biz != NULL ? kf_biz_store(ctx->biz) : NULL;
    for (size_t i = 0; st != NULL && ctx->customer_id > 0 && i < fl->nslots; i++) {
        const struct flow_slot *s = &fl->slots[i];
        if (s->optional || s->kind != SLOT_ENTITY || strcmp(s->entity, "category") != 0 ||
            json_object_get(json_object_get(p->st, "slots"), s->name) != NULL)
            continue;
        struct kf_reco_taste t;
        struct kf_err e2 = {0};
        if (kf_reco_taste(st, ctx->customer_id, ctx->now_ms, &t, &e2) == KF_OK && t.known &&
            t.ncategories > 0)
            pol__set_slot(p, s, json_string(t.categories[0]), NULL);
    }
}

static int pol__start(struct pol *p, const struct flow *fl)
{
    pol__end(p, NULL, NULL); /* a flow that was running is left */
    json_object_set_new(p->st, "flow", json_string(fl->id));
    json_object_set_new(p->st, "step", json_integer(0));
    json_object_set_new(p->st, "slots", json_object());
    json_object_set_new(p->st, "texts", json_object());
    json_object_set_new(p->st, "confirmed", json_array());
    const struct kf_dialog_variant *xv = pol__variant(p, fl);
    if (xv != NULL) {
        p->out->experiment = xv->experiment;
        p->out->variant = xv->variant;
    }
    if (p->preset != NULL) { /* "narrow it down": the flow as written, what was known kept */
        json_object_update(json_object_get(p->st, "slots"), p->preset);
        json_object_set_new(p->st, "xp_guided", json_true());
    }
    int changed = 0;
    pol__fill_entities(p, fl, &changed);
    json_t *ctx = json_object_get(p->st, "context");
    for (size_t i = 0; i < fl->nslots; i++) {
        const struct flow_slot *s = &fl->slots[i];
        json_t *slots = json_object_get(p->st, "slots");
        if (json_object_get(slots, s->name) != NULL)
            continue;
        if (s->kind == SLOT_CHOICE) {
            const char *v = pol__choice_match(p, s);
            if (v != NULL)
                pol__set_slot(p, s, json_string(v), NULL);
        } else if (s->kind == SLOT_TEXT && s->from_message > 0 &&
                   (int)pol__units(p) >= s->from_message) {
            pol__set_text(p, s);
        } else if (s->kind == SLOT_ENTITY && s->context != NULL &&
                   json_object_get(ctx, s->context) != NULL) {
            json_object_set(slots, s->name, json_object_get(ctx, s->context));
            json_object_set_new(p->st, "from_context", json_string(s->name));
        }
    }
    if (pol__direct(p, fl))
        pol__xp_taste(p, fl);
    json_object_set_new(p->st, "attempts", json_integer(0));
    return pol__run(p, fl);
}

/* ---- inside a flow ------------------------------------------------------ */

static int pol__yes(struct pol *p)
{
    if (pol__phrases_in(p, &p->f->yes, 1))
        return 1;
    return p->intent != NULL && strcmp(p->intent, "affirm") == 0 && p->conf >= 0.6;
}

static int pol__no(struct pol *p)
{
    if (pol__phrases_in(p, &p->f->no, 1))
        return 1;
    return p->intent != NULL && strcmp(p->intent, "deny") == 0 && p->conf >= 0.6;
}

/* An FAQ answer or small talk in the middle of a question: answered, then
 * the question again. Returns 1 when it was one. */
static int pol__digression(struct pol *p)
{
    const char *st = p->intent != NULL && p->conf >= p->f->smalltalk_threshold
                         ? flow__smalltalk(p->f, p->intent, p->li)
                         : NULL;
    if (st != NULL) {
        pol__say(p, "smalltalk", st);
        return 1;
    }
    /* inside a form a weak FAQ match ("I don't remember" ~ forgot password)
     * is more likely a bad answer than a question: only a confident one
     * digresses */
    struct kf_dialog_result faq;
    struct kf_err e2 = {0};
    if (kf_dialog_respond(p->in->bot, p->in->text, p->in->len, p->in->lang, NULL, p->a, &faq,
                          &e2) == KF_OK &&
        faq.n > 0 && strcmp(faq.replies[0].kind, "faq") == 0 &&
        faq.replies[0].confidence >= p->f->faq_over_flow) {
        if (p->out->n < KF_DIALOG_MAX_REPLIES)
            p->out->replies[p->out->n++] = faq.replies[0];
        return 1;
    }
    return 0;
}

static void pol__repeat_question(struct pol *p, const struct flow *fl)
{
    const char *waiting = pol__str(p->st, "waiting");
    if (waiting != NULL && strcmp(waiting, "slot") == 0) {
        const struct flow_slot *s = flow__slot(fl, pol__str(p->st, "slot"));
        if (s != NULL)
            pol__ask(p, fl, s, "ask");
    } else {
        size_t step = (size_t)pol__int(p->st, "step");
        if (step < fl->nsteps && fl->steps[step].kind == STEP_CONFIRM) {
            struct kf_reply *r = pol__say(p, "confirm",
                                          pol__render(p, fl, flow__text(&fl->steps[step].text,
                                                                        p->li)));
            if (r != NULL) {
                r->flow = fl->id;
                pol__qr(r, pol__msg(p, "yes_button", NULL));
                pol__qr(r, pol__msg(p, "no_button", NULL));
            }
        }
    }
    p->out->flow = fl->id;
    p->out->outcome = "in_progress";
}

static int pol__restart_steps(struct pol *p)
{
    json_object_set_new(p->st, "step", json_integer(0));
    json_object_set_new(p->st, "confirmed", json_array());
    json_object_del(p->st, "result");
    return KF_OK;
}

static int pol__in_flow(struct pol *p, const struct flow *fl)
{
    p->out->flow = fl->id;
    const char *waiting = pol__str(p->st, "waiting");
    int confirm = waiting != NULL && strcmp(waiting, "confirm") == 0;
    const struct flow_slot *awaited =
        waiting != NULL && !confirm ? flow__slot(fl, pol__str(p->st, "slot")) : NULL;
    /* another flow asked for clearly: leave this one — unless the message
     * is the free text we asked for ("my order DS… arrived crushed" as a
     * complaint's details) or a question the FAQ answers (a digression) */
    const struct flow *other = p->intent != NULL ? flow__by_intent(p->f, p->intent) : NULL;
    if (other != NULL && other != fl && p->conf >= p->f->switch_threshold &&
        !(awaited != NULL && awaited->kind == SLOT_TEXT) &&
        !(pol__asks(p) && pol__faq_confidence(p) >= p->f->faq_over_flow))
        return pol__start(p, other);
    /* "算了" is only a cancel when it is not the answer itself: free text
     * is checked first, other answers after the message gave nothing else */
    if (pol__phrases_in(p, &p->f->restart, 0)) { /* "重新开始": the same flow, afresh */
        for (size_t i = 0; i < fl->nslots; i++) /* nothing carried over, not even context */
            if (fl->slots[i].context != NULL)
                json_object_del(pol__obj(p->st, "context"), fl->slots[i].context);
        pol__say(p, "ack", pol__msg(p, "restarted", NULL));
        return pol__start(p, fl);
    }
    int cancel = pol__phrases_in(p, &p->f->cancel, 0);
    if (cancel && awaited != NULL && awaited->kind == SLOT_TEXT) {
        pol__end(p, fl, "abandoned");
        pol__say(p, "cancelled", pol__msg(p, "cancelled", "OK."));
        return KF_OK;
    }
    int changed = 0;
    int filled = pol__fill_entities(p, fl, &changed);
    /* "exchange it instead": a choice answered earlier, said differently now */
    for (size_t i = 0; i < fl->nslots; i++) {
        const struct flow_slot *s = &fl->slots[i];
        const char *now = s->kind == SLOT_CHOICE ? pol__choice_match(p, s) : NULL;
        json_t *old = json_object_get(json_object_get(p->st, "slots"), s->name);
        if (now != NULL && json_is_string(old) && strcmp(json_string_value(old), now) != 0) {
            pol__set_slot(p, s, json_string(now), NULL);
            changed = 1;
        }
    }
    int have = awaited != NULL &&
               json_object_get(json_object_get(p->st, "slots"), awaited->name) != NULL;
    if (awaited != NULL && !have && awaited->kind != SLOT_TEXT && pol__fill_awaited(p, awaited))
        have = filled = filled + 1;
    if (changed) {
        pol__restart_steps(p);
        return pol__run(p, fl);
    }
    if (filled == 0 && pol__phrases_in(p, &p->f->correction, 0)) {
        const char *last = pol__str(p->st, "last_slot");
        const struct flow_slot *s = last != NULL ? flow__slot(fl, last) : NULL;
        if (s == NULL && fl->nslots > 0)
            s = &fl->slots[0];
        if (s != NULL) {
            pol__take_back(p, s);
            pol__restart_steps(p);
            pol__say(p, "ack", pol__msg(p, "correction", NULL));
            return pol__run(p, fl);
        }
    }
    if (filled == 0 && !changed && (cancel || (confirm && pol__no(p)))) {
        /* at a confirmation the step says what stays as it was */
        size_t step = (size_t)pol__int(p->st, "step");
        const char *no = confirm && step < fl->nsteps ? flow__text(&fl->steps[step].no, p->li)
                                                      : NULL;
        const char *text = no != NULL ? pol__render(p, fl, no) : pol__msg(p, "cancelled", "OK.");
        pol__end(p, fl, "abandoned");
        pol__say(p, "cancelled", text);
        return KF_OK;
    }
    if (confirm) {
        if (pol__yes(p)) {
            json_t *done = json_object_get(p->st, "confirmed");
            if (!json_is_array(done)) {
                done = json_array();
                json_object_set_new(p->st, "confirmed", done);
            }
            json_array_append_new(done, json_integer(pol__int(p->st, "step")));
            return pol__run(p, fl);
        }
    } else if (awaited != NULL) {
        if (!have && awaited->kind == SLOT_TEXT && pol__fill_awaited(p, awaited))
            have = 1;
        if (have || filled > 0) {
            json_object_set_new(p->st, "attempts", json_integer(0));
            return pol__run(p, fl);
        }
    } else if (filled > 0) {
        return pol__run(p, fl);
    }
    if (pol__digression(p)) {
        pol__repeat_question(p, fl);
        return KF_OK;
    }
    long long attempts = pol__int(p->st, "attempts") + 1;
    json_object_set_new(p->st, "attempts", json_integer(attempts));
    if (attempts >= p->f->max_attempts) {
        pol__end(p, fl, NULL);
        pol__handoff(p, "repeated_failure", pol__msg(p, "too_many_attempts", NULL));
        return KF_OK;
    }
    const struct flow_slot *s = confirm ? NULL : flow__slot(fl, pol__str(p->st, "slot") ? pol__str(p->st, "slot") : "");
    const char *inv = s != NULL && s->invalid.t[0] != NULL ? flow__text(&s->invalid, p->li)
                                                           : pol__msg(p, confirm ? "confirm_again" : "invalid", NULL);
    struct kf_reply *r = pol__say(p, "invalid", inv != NULL ? pol__render(p, fl, inv) : NULL);
    if (r != NULL) {
        r->flow = fl->id;
        if (s != NULL)
            r->slot = s->name;
    }
    if (s == NULL || s->invalid.t[0] == NULL || s->choices != NULL || s->buttons.n[p->li] > 0 ||
        s->kind == SLOT_CHOICE)
        pol__repeat_question(p, fl);
    p->out->flow = fl->id;
    p->out->outcome = "in_progress";
    return KF_OK;
}

/* ---- outside flows ------------------------------------------------------ */

static const char *pol__label_intent(struct pol *p)
{
    /* a clicked clarification or FAQ button: its label names the intent */
    char buf[256];
    size_t n = p->in->len < sizeof buf - 1 ? p->in->len : sizeof buf - 1;
    memcpy(buf, p->in->text, n);
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    for (size_t i = 0; i < p->f->nlabels; i++)
        for (size_t l = 0; l < p->f->nlangs; l++)
            if (p->f->labels[i].text.t[l] != NULL &&
                strcasecmp(p->f->labels[i].text.t[l], buf) == 0)
                return p->f->labels[i].key;
    return NULL;
}

static int pol__faq(struct pol *p, const struct flow *offer)
{
    struct kf_dialog_result faq;
    int rc = kf_dialog_respond(p->in->bot, p->in->text, p->in->len, p->in->lang, p->in->nlu, p->a,
                               &faq, p->err);
    if (rc != KF_OK)
        return rc;
    for (size_t i = 0; i < faq.n && p->out->n < KF_DIALOG_MAX_REPLIES; i++)
        p->out->replies[p->out->n++] = faq.replies[i];
    if (faq.handoff) {
        p->out->handoff = 1;
        p->out->handoff_reason = faq.handoff_reason;
        p->out->outcome = "handed_off";
        return KF_OK;
    }
    int understood = faq.n > 0 && strcmp(faq.replies[0].kind, "faq") == 0;
    if (understood) {
        json_object_set_new(p->st, "fails", json_integer(0));
        p->out->outcome = "resolved";
        if (offer != NULL && p->out->n > 0) /* "…and if you want to do it now:" */
            pol__qr(&p->out->replies[p->out->n - 1],
                    flow__label(p->f, offer->intents[0], p->li));
        return KF_OK;
    }
    long long fails = pol__int(p->st, "fails") + 1;
    json_object_set_new(p->st, "fails", json_integer(fails));
    p->out->outcome = "fallback";
    if (fails >= p->f->max_fallbacks) {
        p->out->n = 0; /* the handoff replaces "did you mean…" */
        json_object_set_new(p->st, "fails", json_integer(0));
        pol__handoff(p, "repeated_failure", pol__msg(p, "repeated_fallback", NULL));
    }
    return KF_OK;
}

static int pol__start(struct pol *p, const struct flow *fl);

/* Does the message carry an entity one of the flow's slots takes? */
static int pol__flow_uses_entities(struct pol *p, const struct flow *fl)
{
    for (size_t i = 0; fl != NULL && p->in->nlu != NULL && i < p->in->nlu->nentities; i++)
        for (size_t s = 0; s < fl->nslots; s++)
            if (fl->slots[s].kind == SLOT_ENTITY &&
                strcmp(fl->slots[s].entity, p->in->nlu->entities[i].type) == 0)
                return 1;
    return 0;
}

static int pol__clarify(struct pol *p)
{
    const struct kf_nlu_result *nlu = p->in->nlu;
    if (nlu == NULL || nlu->nintents < 2)
        return 0;
    const struct kf_nlu_label *a = &nlu->intents[0], *b = &nlu->intents[1];
    if (a->confidence - b->confidence >= p->f->clarify_margin || b->confidence < 0.2)
        return 0;
    const char *la = flow__label(p->f, a->name, p->li), *lb = flow__label(p->f, b->name, p->li);
    if (la == NULL || lb == NULL)
        return 0;
    /* the message's entities break the tie: "X能用在Y上吗" names products,
     * which only the product question's flow takes */
    int ea = pol__flow_uses_entities(p, flow__by_intent(p->f, a->name));
    int eb = pol__flow_uses_entities(p, flow__by_intent(p->f, b->name));
    if (ea != eb) {
        p->intent = ea ? a->name : b->name;
        p->conf = ea ? a->confidence : b->confidence;
        return pol__start(p, flow__by_intent(p->f, p->intent)) == KF_OK ? 1 : -1;
    }
    struct kf_reply *r = pol__say(p, "clarify", pol__msg(p, "clarify", NULL));
    if (r == NULL)
        return 0;
    pol__qr(r, la);
    pol__qr(r, lb);
    json_object_set_new(p->st, "clarify", json_pack("[s,s]", a->name, b->name));
    p->out->outcome = "in_progress";
    return 1;
}

static int pol__idle(struct pol *p)
{
    const struct kf_flows *f = p->f;
    const struct flow *fl = NULL;
    const char *forced = pol__label_intent(p);
    json_object_del(p->st, "clarify");
    if (forced != NULL) {
        p->intent = forced;
        p->conf = 1;
        fl = flow__by_intent(f, forced);
        if (fl != NULL)
            return pol__start(p, fl);
    }
    if (p->intent != NULL && p->conf >= f->flow_threshold)
        fl = flow__by_intent(f, p->intent);
    if (fl != NULL) {
        /* "what is your return policy?" is a question for the FAQ, "I want
         * to return DS…" an action: a confident FAQ answer wins unless the
         * message names something the flow acts on */
        int names = pol__flow_uses_entities(p, fl);
        int asks = !names && !pol__phrases_in(p, &f->request, 0) && pol__asks(p);
        if (asks && pol__faq_confidence(p) >= f->faq_over_flow)
            return pol__faq(p, fl);
        int c = p->conf < f->flow_threshold + f->clarify_margin ? pol__clarify(p) : 0;
        if (c != 0)
            return c < 0 ? p->err->code : KF_OK;
        return pol__start(p, fl);
    }
    int c = pol__clarify(p);
    if (c != 0)
        return c < 0 ? p->err->code : KF_OK;
    const char *st = p->intent != NULL && p->conf >= f->smalltalk_threshold
                         ? flow__smalltalk(f, p->intent, p->li)
                         : NULL;
    if (st != NULL && pol__faq_confidence(p) < kf_bot_faq_threshold(p->in->bot)) {
        pol__say(p, "smalltalk", st);
        json_object_set_new(p->st, "fails", json_integer(0));
        p->out->outcome = "resolved";
        return KF_OK;
    }
    /* an order number alone, etc. */
    for (size_t i = 0; p->in->nlu != NULL && i < p->in->nlu->nentities; i++) {
        const struct flow *ef = flow__by_entity(f, p->in->nlu->entities[i].type);
        if (ef != NULL)
            return pol__start(p, ef);
    }
    return pol__faq(p, NULL);
}

/* ---- cross-sell (design notes: "Cross-sell") ------------------------------ */

static int pol__wants_human(struct pol *p)
{
    if (kf_bot_wants_human(p->in->bot, p->in->text, p->in->len))
        return 1;
    return p->intent != NULL && strcmp(p->intent, "ask_human") == 0 && p->conf >= 0.5;
}

/* The message is exactly a button's label ("好的", "No"). */
static int pol__is_label(struct pol *p, const struct flow_text *t)
{
    const char *label = flow__text(t, p->li);
    size_t n = p->in->len;
    while (n > 0 && isspace((unsigned char)p->in->text[n - 1]))
        n--;
    return label != NULL && strlen(label) == n && strncasecmp(label, p->in->text, n) == 0;
}

/* Call a cross-sell action; its failure is logged away, never the turn's,
 * and the turn's recorded action stays the flow's. NULL unless outcome ok. */
static json_t *pol__xs_call(struct pol *p, const char *action, json_t *args)
{
    struct kf_err e2 = {0};
    struct kf_err *keep = p->err;
    const char *keep_action = p->out->action;
    json_t *res = NULL;
    p->err = &e2;
    if (p->in->biz != NULL) {
        struct kf_biz_ctx ctx = *p->in->biz;
        ctx.lang = p->in->lang;
        ctx.text = p->in->text;
        if (kf_biz_call(&ctx, action, args, &res, &e2) != KF_OK)
            res = NULL;
    }
    p->err = keep;
    p->out->action = keep_action;
    const char *o = pol__str(res, "outcome");
    if (o == NULL || strcmp(o, "ok") != 0) {
        json_decref(res);
        return NULL;
    }
    return res;
}

/* A template over an action's result ({name}, {price}, {category_name} …). */
static const char *pol__xs_render(struct pol *p, const struct flow_text *t, json_t *res)
{
    json_t *keep = json_incref(json_object_get(p->st, "result"));
    json_object_set(p->st, "result", res);
    const char *text = pol__render(p, NULL, flow__text(t, p->li));
    if (keep != NULL)
        json_object_set_new(p->st, "result", keep);
    else
        json_object_del(p->st, "result");
    return text;
}

/* A message answering the pending offer: yes → the card, no → an
 * acknowledgement (1: the turn is done); anything else drops it (0). */
static int pol__xs_answer(struct pol *p)
{
    const struct flow_cross_sell *x = &p->f->cross_sell;
    json_t *offer = json_incref(json_object_get(p->st, "xs_offer"));
    if (offer == NULL)
        return 0;
    json_object_del(p->st, "xs_offer");
    int done = 0;
    if (x->enabled && json_is_object(offer) && pol__str(p->st, "flow") == NULL &&
        !pol__wants_human(p)) {
        if (pol__is_label(p, &x->yes_button) || pol__yes(p)) {
            json_t *args = json_pack("{s:O}", "rec_id", json_object_get(offer, "rec_id"));
            json_t *res = args != NULL ? pol__xs_call(p, x->accept, args) : NULL;
            json_decref(args);
            struct kf_reply *r =
                pol__say(p, res != NULL ? "action" : "ack",
                         res != NULL ? pol__xs_render(p, &x->accepted, res)
                                     : flow__text(&x->declined, p->li));
            if (r != NULL && res != NULL) {
                r->action = x->accept;
                r->outcome = "ok";
                r->card_json = pol__dump(p, json_object_get(res, "card"));
                p->out->action = x->accept;
            }
            json_decref(res);
            done = 1;
        } else if (pol__is_label(p, &x->no_button) || pol__no(p) ||
                   pol__phrases_in(p, &p->f->cancel, 1)) {
            pol__say(p, "ack", flow__text(&x->declined, p->li));
            done = 1;
        }
        if (done)
            p->out->outcome = "resolved";
    }
    json_decref(offer);
    return done;
}

/* After the turn: what rules cross-sell out for good, then maybe the offer. */
static void pol__xs_after(struct pol *p)
{
    const struct flow_cross_sell *x = &p->f->cross_sell;
    const struct kf_nlu_result *nlu = p->in->nlu;
    const char *blocked = NULL;
    if (flow__listed(x->never_after, x->nnever_after, p->out->flow) ||
        flow__listed(x->never_after, x->nnever_after, pol__str(p->st, "flow")))
        blocked = "complaint";
    else if (nlu != NULL && (nlu->angry || (nlu->sentiment != NULL &&
                                            strcmp(nlu->sentiment, "negative") == 0)))
        blocked = "negative";
    else if (p->out->handoff)
        blocked = "handoff";
    if (blocked != NULL && pol__str(p->st, "xs_done") == NULL)
        json_object_set_new(p->st, "xs_done", json_string(blocked));
    if (!x->enabled || x->action == NULL || pol__str(p->st, "xs_done") != NULL ||
        p->ended == NULL || !p->ended_ok || !flow__listed(x->flows, x->nflows, p->ended->id) ||
        p->out->outcome == NULL || strcmp(p->out->outcome, "resolved") != 0 ||
        pol__str(p->st, "flow") != NULL || p->out->n >= KF_DIALOG_MAX_REPLIES)
        return;
    json_t *res = pol__xs_call(p, x->action, p->ended_slots);
    json_t *id = json_object_get(res, "rec_id");
    if (res == NULL || !json_is_integer(id)) {
        json_decref(res);
        return;
    }
    const char *cat = pol__str(res, "category");
    const char *shown = cat != NULL && p->in->catalogue != NULL
                            ? kf_catalogue_name(p->in->catalogue, KF_CAT_CATEGORY, cat, p->in->lang)
                            : NULL;
    json_object_set_new(res, "category_name", json_string(shown ? shown : cat ? cat : ""));
    struct kf_reply *r = pol__say(p, "offer", pol__xs_render(p, &x->offer, res));
    if (r != NULL) {
        pol__qr(r, flow__text(&x->yes_button, p->li));
        pol__qr(r, flow__text(&x->no_button, p->li));
        json_object_set_new(p->st, "xs_offer", json_pack("{s:O,s:O}", "rec_id", id, "sku",
                                                         json_object_get(res, "sku")));
        json_object_set_new(p->st, "xs_done", json_string("offered"));
    }
    json_decref(res);
}

/* After the turn: a flow a direct variant ran that ended resolved offers to
 * narrow its picks down (the flow again, as written, with its required
 * slots). */
static void pol__xp_after(struct pol *p)
{
    const struct flow *fl = p->xp_flow;
    if (fl == NULL || p->ended != fl || !p->ended_ok || p->out->n == 0 ||
        pol__str(p->st, "flow") != NULL)
        return;
    struct kf_reply *last = &p->out->replies[p->out->n - 1];
    json_t *keep = json_object();
    for (size_t i = 0; i < fl->nslots; i++) {
        json_t *v = json_object_get(p->ended_slots, fl->slots[i].name);
        if (!fl->slots[i].optional && v != NULL && !json_is_null(v))
            json_object_set(keep, fl->slots[i].name, v);
    }
    pol__qr(last, pol__narrow_label(p));
    json_object_set_new(p->st, "xp_narrow", json_pack("{s:s,s:o}", "flow", fl->id, "slots", keep));
}

/* The "narrow it down" button answering the last turn's offer: the flow
 * again, as written (1: the turn is done, *rc its result). Anything else
 * drops the offer (0). */
static int pol__xp_narrow(struct pol *p, int *rc)
{
    json_t *offer = json_incref(json_object_get(p->st, "xp_narrow"));
    if (offer == NULL)
        return 0;
    json_object_del(p->st, "xp_narrow");
    const struct flow *fl = flow__by_id(p->f, pol__str(offer, "flow"));
    int done = 0;
    if (fl != NULL && pol__str(p->st, "flow") == NULL && pol__is_text(p, pol__narrow_label(p))) {
        p->preset = json_object_get(offer, "slots");
        *rc = pol__start(p, fl);
        p->preset = NULL;
        done = 1;
    }
    json_decref(offer);
    return done;
}

/* ---- entry --------------------------------------------------------------- */

int kf_dialog_turn(const struct kf_dialog_input *in, struct kf_arena *a,
                   struct kf_dialog_result *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    if (in->flows == NULL) { /* the FAQ stage alone */
        int rc = kf_dialog_respond(in->bot, in->text, in->len, in->lang, in->nlu, a, out, err);
        out->outcome = out->handoff ? "handed_off"
                       : out->n > 0 && strcmp(out->replies[0].kind, "faq") == 0 ? "resolved"
                                                                                 : "fallback";
        return rc;
    }
    if (!kf_utf8_valid(in->text, in->len))
        return kf_errorf(err, KF_EUTF8, "text: invalid UTF-8");
    struct pol p = {.in = in, .f = in->flows, .a = a, .out = out, .err = err, .faq = -1};
    int li = kf_bot_lang_index(in->bot, in->lang);
    p.li = li < 0 ? 0 : (size_t)li;
    if (in->nlu != NULL && in->nlu->intent != NULL && in->nlu->intent[0] != '\0') {
        p.intent = in->nlu->intent;
        p.conf = in->nlu->intent_confidence;
    }
    p.st = in->state_json != NULL ? json_loads(in->state_json, 0, NULL) : NULL;
    if (!json_is_object(p.st)) { /* none yet, or unreadable: start afresh */
        json_decref(p.st);
        p.st = json_object();
    }
    if (p.st == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");

    int rc = KF_OK;
    const char *running = pol__str(p.st, "flow");
    const struct flow *fl = running != NULL ? flow__by_id(p.f, running) : NULL;
    if (running != NULL && fl == NULL) /* the bot changed under a conversation */
        pol__end(&p, NULL, NULL);
    if (pol__xs_answer(&p)) {
        /* the offer's yes or no was the whole message */
    } else if (pol__xp_narrow(&p, &rc)) {
        /* "narrow it down" after a direct recommendation */
    } else if (pol__wants_human(&p)) {
        pol__end(&p, fl, NULL);
        pol__handoff(&p, "customer_request", NULL);
    } else if (fl != NULL) {
        rc = pol__in_flow(&p, fl);
    } else {
        rc = pol__idle(&p);
    }
    if (rc == KF_OK) {
        pol__xs_after(&p);
        pol__xp_after(&p);
    }
    json_decref(p.ended_slots);
    /* remember what the customer mentioned, for "that order" next time */
    for (size_t i = 0; rc == KF_OK && in->nlu != NULL && i < in->nlu->nentities; i++) {
        const struct kf_entity *e = &in->nlu->entities[i];
        if (strcmp(e->type, "order_id") == 0 || strcmp(e->type, "product") == 0) {
            json_t *v = pol__entity_value(e);
            const char *key = strcmp(e->type, "order_id") == 0 ? "order_id" : "product";
            json_t *rej = json_object_get(json_object_get(p.st, "rejected"), key);
            if (v != NULL && !(rej != NULL && json_equal(rej, v)))
                json_object_set_new(pol__obj(p.st, "context"), key, v);
            else
                json_decref(v);
        }
    }
    if (rc == KF_OK && out->n == 0) /* never leave the customer without a word */
        pol__say(&p, "fallback", kf_bot_phrase(in->bot, "fallback", in->lang));
    if (rc == KF_OK) {
        out->state_json = pol__dump(&p, p.st);
        if (out->state_json == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    json_decref(p.st);
    return rc;
}
