/*
 * flow.c — loads and checks a bot's dialog.yaml and flows/NAME.yaml (flow.h).
 *
 * The YAML is read once into the structs of flow_int.h; strings are copied
 * into one arena so the documents can be freed. Every mistake is an error
 * naming file:line — a bot that loads is a bot the policy can run without
 * checking anything again.
 */
#include "kefu/flow.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "kefu/mem.h"
#include "kefu/yaml.h"

#define FLOW_MAX_FILES 256
#define FLOW_TEXT_MAX 2000

struct loader {
    struct kf_flows *f;
    const struct kf_ydoc *doc;
    struct kf_err *err;
};

static int ld__err(struct loader *ld, const struct kf_ynode *at, const char *fmt, const char *a,
                   const char *b)
{
    return kf_ydoc_errorf(ld->doc, at, ld->err, KF_ECONFIG, fmt, a, b);
}

static const char *ld__dup(struct loader *ld, const struct kf_ynode *n)
{
    return kf_arena_strndup(ld->f->arena, n->str, n->len);
}

static int ld__scalar(struct loader *ld, const struct kf_ynode *n, const char *what,
                      const char **out)
{
    if (n == NULL || n->type != KF_Y_SCALAR || n->len == 0)
        return ld__err(ld, n, "%s: expected a non-empty string%s", what, "");
    if (n->len > FLOW_TEXT_MAX)
        return ld__err(ld, n, "%s: text too long%s", what, "");
    *out = ld__dup(ld, n);
    return *out ? KF_OK : kf_errorf(ld->err, KF_ENOMEM, "out of memory");
}

static int ld__bool(struct loader *ld, const struct kf_ynode *n, const char *what, int *out)
{
    if (n == NULL)
        return KF_OK;
    if (n->type == KF_Y_SCALAR && (strcmp(n->str, "true") == 0 || strcmp(n->str, "yes") == 0)) {
        *out = 1;
        return KF_OK;
    }
    if (n->type == KF_Y_SCALAR && (strcmp(n->str, "false") == 0 || strcmp(n->str, "no") == 0)) {
        *out = 0;
        return KF_OK;
    }
    return ld__err(ld, n, "%s: expected true or false%s", what, "");
}

/* Keys of map n must be among the NULL-terminated allowed list. */
static int ld__keys(struct loader *ld, const struct kf_ynode *n, const char *what,
                    const char *const *allowed)
{
    if (n == NULL || n->type != KF_Y_MAP)
        return ld__err(ld, n, "%s: expected a map%s", what, "");
    for (size_t i = 0; i < n->n; i++) {
        size_t k = 0;
        while (allowed[k] != NULL && strcmp(allowed[k], n->keys[i]->str) != 0)
            k++;
        if (allowed[k] == NULL)
            return ld__err(ld, n->keys[i], "%s: unknown key '%s'", what, n->keys[i]->str);
    }
    return KF_OK;
}

static int ld__lang(const struct kf_flows *f, const char *s)
{
    for (size_t i = 0; i < f->nlangs; i++)
        if (strcmp(f->langs[i], s) == 0)
            return (int)i;
    return -1;
}

/* {zh: "...", en: "..."} with every language; `extra` keys (NULL-terminated)
 * may sit beside the languages. */
static int ld__text(struct loader *ld, const struct kf_ynode *n, const char *what,
                    const char *const *extra, struct flow_text *out)
{
    memset(out, 0, sizeof *out);
    if (n == NULL || n->type != KF_Y_MAP)
        return ld__err(ld, n, "%s: expected a map of languages (zh: ..., en: ...)%s", what, "");
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->str;
        int li = ld__lang(ld->f, k);
        if (li < 0) {
            size_t e = 0;
            while (extra != NULL && extra[e] != NULL && strcmp(extra[e], k) != 0)
                e++;
            if (extra == NULL || extra[e] == NULL)
                return ld__err(ld, n->keys[i], "%s: '%s' is not a language of the bot", what, k);
            continue;
        }
        int rc = ld__scalar(ld, n->items[i], what, &out->t[li]);
        if (rc != KF_OK)
            return rc;
    }
    for (size_t l = 0; l < ld->f->nlangs; l++)
        if (out->t[l] == NULL)
            return ld__err(ld, n, "%s: missing language '%s'", what, ld->f->langs[l]);
    return KF_OK;
}

static int ld__list(struct loader *ld, const struct kf_ynode *n, const char *what,
                    const char ***out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == NULL)
        return KF_OK;
    if (n->type == KF_Y_SCALAR) { /* one item */
        *out = kf_arena_alloc(ld->f->arena, sizeof **out);
        if (*out == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        *nout = 1;
        return ld__scalar(ld, n, what, &(*out)[0]);
    }
    if (n->type != KF_Y_SEQ)
        return ld__err(ld, n, "%s: expected a list%s", what, "");
    *out = kf_arena_alloc(ld->f->arena, (n->n + 1) * sizeof **out);
    if (*out == NULL)
        return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        int rc = ld__scalar(ld, n->items[i], what, &(*out)[i]);
        if (rc != KF_OK)
            return rc;
    }
    *nout = n->n;
    return KF_OK;
}

/* {zh: [..], en: [..]}: phrases per language (languages may be missing). */
static int ld__phrases(struct loader *ld, const struct kf_ynode *n, const char *what,
                       struct flow_phrases *out)
{
    memset(out, 0, sizeof *out);
    if (n == NULL)
        return KF_OK;
    if (n->type != KF_Y_MAP)
        return ld__err(ld, n, "%s: expected a map of languages to lists%s", what, "");
    for (size_t i = 0; i < n->n; i++) {
        int li = ld__lang(ld->f, n->keys[i]->str);
        if (li < 0)
            return ld__err(ld, n->keys[i], "%s: '%s' is not a language of the bot", what,
                           n->keys[i]->str);
        int rc = ld__list(ld, n->items[i], what, &out->p[li], &out->n[li]);
        if (rc != KF_OK)
            return rc;
    }
    return KF_OK;
}

static int ld__double(struct loader *ld, const struct kf_ynode *map, const char *key, double lo,
                      double hi, double *out)
{
    const struct kf_ynode *n = kf_ynode_get(map, key);
    if (n == NULL)
        return KF_OK;
    return kf_ynode_double(ld->doc, n, key, lo, hi, out, ld->err);
}

static int ld__int(struct loader *ld, const struct kf_ynode *map, const char *key, long lo,
                   long hi, int *out)
{
    const struct kf_ynode *n = kf_ynode_get(map, key);
    if (n == NULL)
        return KF_OK;
    long v;
    int rc = kf_ynode_long(ld->doc, n, key, lo, hi, &v, ld->err);
    if (rc == KF_OK)
        *out = (int)v;
    return rc;
}

/* --- dialog.yaml ------------------------------------------------------ */

/* cross_sell: {enabled, action, accept, flows, never_after, offer, accepted,
 * declined, yes_button, no_button} (docs/bot-format.md "Cross-sell"). */
static int ld__cross_sell(struct loader *ld, const struct kf_ynode *n)
{
    static const char *const keys[] = {"enabled", "action", "accept", "flows", "never_after",
                                       "offer", "accepted", "declined", "yes_button",
                                       "no_button", NULL};
    struct flow_cross_sell *x = &ld->f->cross_sell;
    int rc = ld__keys(ld, n, "cross_sell", keys);
    if (rc != KF_OK)
        return rc;
    x->line = n->line;
    x->enabled = 1;
    if ((rc = ld__bool(ld, kf_ynode_get(n, "enabled"), "cross_sell.enabled", &x->enabled)) !=
            KF_OK ||
        (rc = ld__scalar(ld, kf_ynode_get(n, "action"), "cross_sell.action", &x->action)) !=
            KF_OK ||
        (rc = ld__scalar(ld, kf_ynode_get(n, "accept"), "cross_sell.accept", &x->accept)) !=
            KF_OK ||
        (rc = ld__list(ld, kf_ynode_get(n, "flows"), "cross_sell.flows", &x->flows,
                       &x->nflows)) != KF_OK ||
        (rc = ld__list(ld, kf_ynode_get(n, "never_after"), "cross_sell.never_after",
                       &x->never_after, &x->nnever_after)) != KF_OK ||
        (rc = ld__text(ld, kf_ynode_get(n, "offer"), "cross_sell.offer", NULL, &x->offer)) !=
            KF_OK ||
        (rc = ld__text(ld, kf_ynode_get(n, "accepted"), "cross_sell.accepted", NULL,
                       &x->accepted)) != KF_OK ||
        (rc = ld__text(ld, kf_ynode_get(n, "declined"), "cross_sell.declined", NULL,
                       &x->declined)) != KF_OK ||
        (rc = ld__text(ld, kf_ynode_get(n, "yes_button"), "cross_sell.yes_button", NULL,
                       &x->yes_button)) != KF_OK ||
        (rc = ld__text(ld, kf_ynode_get(n, "no_button"), "cross_sell.no_button", NULL,
                       &x->no_button)) != KF_OK)
        return rc;
    if (x->nflows == 0)
        return ld__err(ld, n, "cross_sell.flows: list the flows that may offer%s%s", "", "");
    return KF_OK;
}

/* Flows named by cross_sell must exist (checked once every file is read). */
static int ld__cross_sell_check(struct kf_flows *f, const char *path, struct kf_err *err)
{
    const struct flow_cross_sell *x = &f->cross_sell;
    for (size_t k = 0; k < 2; k++) {
        const char *const *list = k ? x->never_after : x->flows;
        size_t n = k ? x->nnever_after : x->nflows;
        for (size_t i = 0; i < n; i++)
            if (flow__by_id(f, list[i]) == NULL)
                return kf_errorf(err, KF_ECONFIG, "%s:%d: cross_sell.%s: no flow '%s'", path,
                                 x->line, k ? "never_after" : "flows", list[i]);
    }
    return KF_OK;
}

static int ld__dialog(struct loader *ld, const struct kf_ynode *root)
{
    static const char *const keys[] = {"settings", "phrases", "smalltalk", "intent_labels",
                                       "messages", "cross_sell", NULL};
    int rc = ld__keys(ld, root, "dialog.yaml", keys);
    if (rc != KF_OK)
        return rc;
    struct kf_flows *f = ld->f;
    const struct kf_ynode *s = kf_ynode_get(root, "settings");
    if (s != NULL) {
        static const char *const sk[] = {"flow_threshold", "switch_threshold", "clarify_margin",
                                         "faq_over_flow", "smalltalk_threshold", "max_attempts",
                                         "max_fallbacks", NULL};
        if ((rc = ld__keys(ld, s, "settings", sk)) != KF_OK ||
            (rc = ld__double(ld, s, "flow_threshold", 0, 1, &f->flow_threshold)) != KF_OK ||
            (rc = ld__double(ld, s, "switch_threshold", 0, 1, &f->switch_threshold)) != KF_OK ||
            (rc = ld__double(ld, s, "clarify_margin", 0, 1, &f->clarify_margin)) != KF_OK ||
            (rc = ld__double(ld, s, "faq_over_flow", 0, 1, &f->faq_over_flow)) != KF_OK ||
            (rc = ld__double(ld, s, "smalltalk_threshold", 0, 1, &f->smalltalk_threshold)) !=
                KF_OK ||
            (rc = ld__int(ld, s, "max_attempts", 1, 10, &f->max_attempts)) != KF_OK ||
            (rc = ld__int(ld, s, "max_fallbacks", 1, 10, &f->max_fallbacks)) != KF_OK)
            return rc;
    }
    const struct kf_ynode *p = kf_ynode_get(root, "phrases");
    if (p != NULL) {
        static const char *const pk[] = {"cancel", "correction", "yes", "no", "skip", "request",
                                         "question", "restart", NULL};
        if ((rc = ld__keys(ld, p, "phrases", pk)) != KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "cancel"), "phrases.cancel", &f->cancel)) !=
                KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "correction"), "phrases.correction",
                              &f->correction)) != KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "yes"), "phrases.yes", &f->yes)) != KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "no"), "phrases.no", &f->no)) != KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "skip"), "phrases.skip", &f->skip)) != KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "restart"), "phrases.restart", &f->restart)) !=
                KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "request"), "phrases.request", &f->request)) !=
                KF_OK ||
            (rc = ld__phrases(ld, kf_ynode_get(p, "question"), "phrases.question",
                              &f->question)) != KF_OK)
            return rc;
    }
    const struct kf_ynode *xs = kf_ynode_get(root, "cross_sell");
    if (xs != NULL && (rc = ld__cross_sell(ld, xs)) != KF_OK)
        return rc;
    const char *const sect[] = {"smalltalk", "intent_labels", "messages"};
    for (int k = 0; k < 3; k++) {
        const struct kf_ynode *m = kf_ynode_get(root, sect[k]);
        if (m == NULL)
            continue;
        if (m->type != KF_Y_MAP)
            return ld__err(ld, m, "%s: expected a map%s", sect[k], "");
        struct flow_keyed *arr = kf_arena_alloc(f->arena, (m->n + 1) * sizeof *arr);
        if (arr == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        for (size_t i = 0; i < m->n; i++) {
            const char *key = ld__dup(ld, m->keys[i]);
            struct flow_text t;
            if (key == NULL)
                return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
            if ((rc = ld__text(ld, m->items[i], key, NULL, &t)) != KF_OK)
                return rc;
            arr[i].key = key;
            arr[i].text = t;
        }
        if (k == 0) {
            f->smalltalk = arr;
            f->nsmalltalk = m->n;
        } else if (k == 1) {
            f->labels = arr;
            f->nlabels = m->n;
        } else {
            f->messages = arr;
            f->nmessages = m->n;
        }
    }
    return KF_OK;
}

/* --- flows ------------------------------------------------------------ */

static int ld__slot(struct loader *ld, const struct kf_ynode *n, struct flow_slot *s)
{
    static const char *const keys[] = {"name", "entity", "type", "context", "choices",
                                       "optional", "ask", "multiple", "from_message",
                                       "min_length", "prompt", "invalid", "buttons", "options",
                                       "from_intent", "sensitive", NULL};
    int rc = ld__keys(ld, n, "slot", keys);
    if (rc != KF_OK)
        return rc;
    memset(s, 0, sizeof *s);
    s->ask = 1;
    s->min_length = 2;
    if ((rc = ld__scalar(ld, kf_ynode_get(n, "name"), "slot.name", &s->name)) != KF_OK)
        return rc;
    const char *type = NULL;
    const struct kf_ynode *tn = kf_ynode_get(n, "type");
    if (tn != NULL && (rc = ld__scalar(ld, tn, "slot.type", &type)) != KF_OK)
        return rc;
    const struct kf_ynode *en = kf_ynode_get(n, "entity");
    if (en != NULL && (rc = ld__scalar(ld, en, "slot.entity", &s->entity)) != KF_OK)
        return rc;
    if (type == NULL)
        type = s->entity != NULL ? "entity" : "text";
    if (strcmp(type, "entity") == 0) {
        s->kind = SLOT_ENTITY;
        if (s->entity == NULL)
            return ld__err(ld, n, "slot %s: an entity slot needs `entity`%s", s->name, "");
    } else if (strcmp(type, "choice") == 0) {
        s->kind = SLOT_CHOICE;
    } else if (strcmp(type, "text") == 0) {
        s->kind = SLOT_TEXT;
    } else {
        return ld__err(ld, tn, "slot %s: type '%s' is not entity, choice or text", s->name, type);
    }
    const struct kf_ynode *c;
    if ((c = kf_ynode_get(n, "context")) != NULL &&
        (rc = ld__scalar(ld, c, "slot.context", &s->context)) != KF_OK)
        return rc;
    if ((c = kf_ynode_get(n, "choices")) != NULL &&
        (rc = ld__scalar(ld, c, "slot.choices", &s->choices)) != KF_OK)
        return rc;
    if ((rc = ld__bool(ld, kf_ynode_get(n, "optional"), "slot.optional", &s->optional)) != KF_OK ||
        (rc = ld__bool(ld, kf_ynode_get(n, "ask"), "slot.ask", &s->ask)) != KF_OK ||
        (rc = ld__bool(ld, kf_ynode_get(n, "multiple"), "slot.multiple", &s->multiple)) != KF_OK ||

        (rc = ld__bool(ld, kf_ynode_get(n, "sensitive"), "slot.sensitive", &s->sensitive)) !=
            KF_OK ||
        (rc = ld__int(ld, n, "min_length", 1, 1000, &s->min_length)) != KF_OK)
        return rc;
    /* from_message: true (then min_length applies) or how much it must say */
    const struct kf_ynode *fm = kf_ynode_get(n, "from_message");
    if (fm != NULL && fm->type == KF_Y_SCALAR && fm->plain &&
        (strcmp(fm->str, "true") == 0 || strcmp(fm->str, "false") == 0)) {
        if ((rc = ld__bool(ld, fm, "slot.from_message", &s->from_message)) != KF_OK)
            return rc;
        if (s->from_message)
            s->from_message = s->min_length;
    } else if (fm != NULL) {
        long v;
        if ((rc = kf_ynode_long(ld->doc, fm, "slot.from_message", 1, 1000, &v, ld->err)) != KF_OK)
            return rc;
        s->from_message = (int)v;
    }
    if (s->sensitive && s->kind != SLOT_TEXT)
        return ld__err(ld, n, "slot %s: only a text slot can be sensitive%s", s->name, "");
    if (s->ask && (rc = ld__text(ld, kf_ynode_get(n, "prompt"), "slot.prompt", NULL,
                                 &s->prompt)) != KF_OK)
        return rc;
    if ((c = kf_ynode_get(n, "invalid")) != NULL &&
        (rc = ld__text(ld, c, "slot.invalid", NULL, &s->invalid)) != KF_OK)
        return rc;
    if ((rc = ld__phrases(ld, kf_ynode_get(n, "buttons"), "slot.buttons", &s->buttons)) != KF_OK)
        return rc;
    const struct kf_ynode *o = kf_ynode_get(n, "options");
    if (s->kind == SLOT_CHOICE && (o == NULL || o->type != KF_Y_MAP || o->n == 0))
        return ld__err(ld, n, "slot %s: a choice slot needs `options` (value: {zh, en, words})%s",
                       s->name, "");
    if (o != NULL) {
        s->options = kf_arena_alloc(ld->f->arena, o->n * sizeof *s->options);
        if (s->options == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        static const char *const extra[] = {"words", NULL};
        for (size_t i = 0; i < o->n; i++) {
            struct flow_option *op = &s->options[i];
            op->value = ld__dup(ld, o->keys[i]);
            if ((rc = ld__text(ld, o->items[i], "slot.options", extra, &op->label)) != KF_OK ||
                (rc = ld__list(ld, kf_ynode_get(o->items[i], "words"), "slot.options.words",
                               &op->words, &op->nwords)) != KF_OK)
                return rc;
        }
        s->noptions = o->n;
    }
    const struct kf_ynode *fi = kf_ynode_get(n, "from_intent");
    if (fi != NULL) {
        if (fi->type != KF_Y_MAP)
            return ld__err(ld, fi, "slot %s: from_intent: expected a map intent: value%s",
                           s->name, "");
        s->from_intent = kf_arena_alloc(ld->f->arena, fi->n * sizeof *s->from_intent);
        if (s->from_intent == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        for (size_t i = 0; i < fi->n; i++) {
            s->from_intent[i].key = ld__dup(ld, fi->keys[i]);
            if ((rc = ld__scalar(ld, fi->items[i], "from_intent", &s->from_intent[i].value)) !=
                KF_OK)
                return rc;
        }
        s->nfrom_intent = fi->n;
    }
    return KF_OK;
}

static int ld__when(struct loader *ld, const struct kf_ynode *n, struct flow_when *w)
{
    static const char *const keys[] = {"outcome", "slot", "equals", NULL};
    int rc = ld__keys(ld, n, "when", keys);
    if (rc != KF_OK)
        return rc;
    if ((rc = ld__list(ld, kf_ynode_get(n, "outcome"), "when.outcome", &w->outcomes,
                       &w->noutcomes)) != KF_OK)
        return rc;
    const struct kf_ynode *c;
    if ((c = kf_ynode_get(n, "slot")) != NULL &&
        (rc = ld__scalar(ld, c, "when.slot", &w->slot)) != KF_OK)
        return rc;
    if ((c = kf_ynode_get(n, "equals")) != NULL &&
        (rc = ld__scalar(ld, c, "when.equals", &w->equals)) != KF_OK)
        return rc;
    if (w->noutcomes == 0 && w->slot == NULL)
        return ld__err(ld, n, "when: needs `outcome` or `slot`%s%s", "", "");
    return KF_OK;
}

static int ld__case(struct loader *ld, const struct kf_ynode *key, const struct kf_ynode *n,
                    struct flow_case *c)
{
    static const char *const extra[] = {"card", "reask", "handoff", "end", NULL};
    memset(c, 0, sizeof *c);
    c->outcome = ld__dup(ld, key);
    int rc = ld__text(ld, n, "reply", extra, &c->text);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *r;
    if ((r = kf_ynode_get(n, "reask")) != NULL &&
        (rc = ld__scalar(ld, r, "reply.reask", &c->reask)) != KF_OK)
        return rc;
    if ((rc = ld__bool(ld, kf_ynode_get(n, "card"), "reply.card", &c->card)) != KF_OK ||
        (rc = ld__bool(ld, kf_ynode_get(n, "handoff"), "reply.handoff", &c->handoff)) != KF_OK ||
        (rc = ld__bool(ld, kf_ynode_get(n, "end"), "reply.end", &c->end)) != KF_OK)
        return rc;
    return KF_OK;
}

static int ld__step(struct loader *ld, const struct flow *fl, const struct kf_ynode *n,
                    struct flow_step *st)
{
    static const char *const keys[] = {"ask", "confirm", "no", "call", "reply", "say",
                                       "handoff", "when", NULL};
    int rc = ld__keys(ld, n, "step", keys);
    if (rc != KF_OK)
        return rc;
    memset(st, 0, sizeof *st);
    st->line = n->line;
    const struct kf_ynode *c;
    int kinds = 0;
    if ((c = kf_ynode_get(n, "ask")) != NULL) {
        kinds++;
        st->kind = STEP_ASK;
        if ((rc = ld__scalar(ld, c, "ask", &st->slot)) != KF_OK)
            return rc;
        if (flow__slot(fl, st->slot) == NULL)
            return ld__err(ld, c, "flow %s: ask: no slot named '%s'", fl->id, st->slot);
    }
    if ((c = kf_ynode_get(n, "confirm")) != NULL) {
        kinds++;
        st->kind = STEP_CONFIRM;
        if ((rc = ld__text(ld, c, "confirm", NULL, &st->text)) != KF_OK ||
            (rc = ld__text(ld, kf_ynode_get(n, "no"), "confirm: no", NULL, &st->no)) != KF_OK)
            return rc;
    }
    if ((c = kf_ynode_get(n, "call")) != NULL) {
        kinds++;
        st->kind = STEP_CALL;
        if ((rc = ld__scalar(ld, c, "call", &st->action)) != KF_OK)
            return rc;
    }
    if ((c = kf_ynode_get(n, "reply")) != NULL) {
        kinds++;
        st->kind = STEP_REPLY;
        if (c->type != KF_Y_MAP || c->n == 0)
            return ld__err(ld, c, "flow %s: reply: expected a map outcome: {zh, en}%s", fl->id,
                           "");
        st->cases = kf_arena_alloc(ld->f->arena, c->n * sizeof *st->cases);
        if (st->cases == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        for (size_t i = 0; i < c->n; i++) {
            if ((rc = ld__case(ld, c->keys[i], c->items[i], &st->cases[i])) != KF_OK)
                return rc;
            if (st->cases[i].reask != NULL && flow__slot(fl, st->cases[i].reask) == NULL)
                return ld__err(ld, c->items[i], "flow %s: reask: no slot named '%s'", fl->id,
                               st->cases[i].reask);
        }
        st->ncases = c->n;
    }
    if ((c = kf_ynode_get(n, "say")) != NULL) {
        kinds++;
        st->kind = STEP_SAY;
        if ((rc = ld__text(ld, c, "say", NULL, &st->text)) != KF_OK)
            return rc;
    }
    if ((c = kf_ynode_get(n, "handoff")) != NULL) {
        kinds++;
        st->kind = STEP_HANDOFF;
        if ((rc = ld__text(ld, c, "handoff", NULL, &st->text)) != KF_OK)
            return rc;
    }
    if (kinds != 1)
        return ld__err(ld, n,
                       "flow %s: a step is exactly one of ask, confirm, call, reply, say, "
                       "handoff%s",
                       fl->id, "");
    if (kf_ynode_get(n, "no") != NULL && st->kind != STEP_CONFIRM)
        return ld__err(ld, n, "flow %s: `no` belongs to a confirm step%s", fl->id, "");
    if ((c = kf_ynode_get(n, "when")) != NULL) {
        st->has_when = 1;
        if ((rc = ld__when(ld, c, &st->when)) != KF_OK)
            return rc;
        if (st->when.slot != NULL && flow__slot(fl, st->when.slot) == NULL)
            return ld__err(ld, c, "flow %s: when: no slot named '%s'", fl->id, st->when.slot);
    }
    return KF_OK;
}

static int ld__flow(struct loader *ld, const struct kf_ynode *n, struct flow *fl)
{
    static const char *const keys[] = {"id", "intents", "entities", "slots", "steps",
                                       "resolves", NULL};
    int rc = ld__keys(ld, n, "flow", keys);
    if (rc != KF_OK)
        return rc;
    memset(fl, 0, sizeof *fl);
    fl->line = n->line;
    fl->file = kf_arena_strdup(ld->f->arena, ld->doc->path);
    fl->resolves = 1;
    if ((rc = ld__scalar(ld, kf_ynode_get(n, "id"), "flow.id", &fl->id)) != KF_OK ||
        (rc = ld__list(ld, kf_ynode_get(n, "intents"), "flow.intents", &fl->intents,
                       &fl->nintents)) != KF_OK ||
        (rc = ld__list(ld, kf_ynode_get(n, "entities"), "flow.entities", &fl->entities,
                       &fl->nentities)) != KF_OK ||
        (rc = ld__bool(ld, kf_ynode_get(n, "resolves"), "flow.resolves", &fl->resolves)) != KF_OK)
        return rc;
    if (fl->nintents == 0 && fl->nentities == 0)
        return ld__err(ld, n, "flow %s: needs `intents` or `entities` that start it%s", fl->id,
                       "");
    const struct kf_ynode *sl = kf_ynode_get(n, "slots");
    if (sl != NULL) {
        if (sl->type != KF_Y_SEQ)
            return ld__err(ld, sl, "flow %s: slots: expected a list%s", fl->id, "");
        fl->slots = kf_arena_alloc(ld->f->arena, (sl->n + 1) * sizeof *fl->slots);
        if (fl->slots == NULL)
            return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
        for (size_t i = 0; i < sl->n; i++) {
            if ((rc = ld__slot(ld, sl->items[i], &fl->slots[i])) != KF_OK)
                return rc;
            if (flow__slot(fl, fl->slots[i].name) != NULL)
                return ld__err(ld, sl->items[i], "flow %s: slot '%s' declared twice", fl->id,
                               fl->slots[i].name);
            fl->nslots++;
        }
    }
    const struct kf_ynode *sp = kf_ynode_get(n, "steps");
    if (sp == NULL || sp->type != KF_Y_SEQ || sp->n == 0)
        return ld__err(ld, n, "flow %s: needs a list of `steps`%s", fl->id, "");
    fl->steps = kf_arena_alloc(ld->f->arena, sp->n * sizeof *fl->steps);
    if (fl->steps == NULL)
        return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; i < sp->n; i++)
        if ((rc = ld__step(ld, fl, sp->items[i], &fl->steps[i])) != KF_OK)
            return rc;
    fl->nsteps = sp->n;
    return KF_OK;
}

static int ld__flow_file(struct loader *ld, const struct kf_ynode *root, size_t *cap)
{
    static const char *const keys[] = {"flows", NULL};
    if (root == NULL)
        return KF_OK;
    int rc = ld__keys(ld, root, ld->doc->path, keys);
    if (rc != KF_OK)
        return rc;
    const struct kf_ynode *list = kf_ynode_get(root, "flows");
    if (list == NULL || list->type != KF_Y_SEQ)
        return ld__err(ld, root, "flows: expected a list%s%s", "", "");
    struct kf_flows *f = ld->f;
    for (size_t i = 0; i < list->n; i++) {
        if (f->nflows == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            struct flow *nf = kf_realloc(f->flows, ncap * sizeof *nf);
            if (nf == NULL)
                return kf_errorf(ld->err, KF_ENOMEM, "out of memory");
            f->flows = nf;
            *cap = ncap;
        }
        struct flow *fl = &f->flows[f->nflows];
        if ((rc = ld__flow(ld, list->items[i], fl)) != KF_OK)
            return rc;
        if (flow__by_id(f, fl->id) != NULL)
            return ld__err(ld, list->items[i], "flow '%s' is defined twice%s", fl->id, "");
        for (size_t k = 0; k < fl->nintents; k++)
            if (flow__by_intent(f, fl->intents[k]) != NULL)
                return ld__err(ld, list->items[i], "intent '%s' already starts flow %s",
                               fl->intents[k], flow__by_intent(f, fl->intents[k])->id);
        f->nflows++;
    }
    return KF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ld__file(struct kf_flows *f, const char *path, int dialog, size_t *cap,
                    struct kf_err *err)
{
    struct kf_ydoc *doc;
    int rc = kf_ydoc_load_file(path, &doc, err);
    if (rc != KF_OK)
        return rc;
    struct loader ld = {f, doc, err};
    rc = dialog ? (doc->root ? ld__dialog(&ld, doc->root) : KF_OK)
                : ld__flow_file(&ld, doc->root, cap);
    kf_ydoc_free(doc);
    return rc;
}

int kf_flows_load(const char *dir, const char *const *langs, size_t nlangs,
                  struct kf_flows **out, struct kf_err *err)
{
    *out = NULL;
    if (nlangs == 0 || nlangs > FLOW_MAX_LANGS)
        return kf_errorf(err, KF_EINVAL, "flows: 1 to %d languages", FLOW_MAX_LANGS);
    struct kf_flows *f = kf_calloc(1, sizeof *f);
    if (f == NULL || (f->arena = kf_arena_new(0, 0)) == NULL) {
        kf_free(f);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nlangs; i++)
        f->langs[i] = kf_arena_strdup(f->arena, langs[i]);
    f->nlangs = nlangs;
    f->flow_threshold = 0.5;
    f->switch_threshold = 0.75;
    f->clarify_margin = 0.1;
    f->faq_over_flow = 0.6;
    f->smalltalk_threshold = 0.6;
    f->max_attempts = 3;
    f->max_fallbacks = 3;

    char path[4096];
    size_t cap = 0;
    int rc = KF_OK;
    snprintf(path, sizeof path, "%s/dialog.yaml", dir);
    FILE *probe = fopen(path, "r");
    if (probe != NULL) {
        fclose(probe);
        rc = ld__file(f, path, 1, &cap, err);
    }
    snprintf(path, sizeof path, "%s/flows", dir);
    DIR *d = rc == KF_OK ? opendir(path) : NULL;
    if (d != NULL) {
        char *names[FLOW_MAX_FILES];
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < FLOW_MAX_FILES) {
            size_t len = strlen(de->d_name);
            if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
                names[n++] = kf_arena_strdup(f->arena, de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof names[0], cmp_str);
        for (size_t i = 0; i < n && rc == KF_OK; i++) {
            char fp[4400];
            snprintf(fp, sizeof fp, "%s/%s", path, names[i]);
            rc = ld__file(f, fp, 0, &cap, err);
        }
    }
    if (rc == KF_OK) {
        snprintf(path, sizeof path, "%s/dialog.yaml", dir);
        rc = ld__cross_sell_check(f, path, err);
    }
    if (rc != KF_OK) {
        kf_flows_free(f);
        return rc;
    }
    *out = f;
    return KF_OK;
}

void kf_flows_free(struct kf_flows *f)
{
    if (f == NULL)
        return;
    kf_free(f->flows);
    kf_arena_free(f->arena);
    kf_free(f);
}

size_t kf_flows_count(const struct kf_flows *f) { return f != NULL ? f->nflows : 0; }
const char *kf_flows_id(const struct kf_flows *f, size_t i) { return f->flows[i].id; }

int kf_flows_each_action(const struct kf_flows *f,
                         int (*fn)(void *ud, const char *flow, const char *action,
                                   const char *file, int line),
                         void *ud)
{
    for (size_t i = 0; f != NULL && i < f->nflows; i++) {
        const struct flow *fl = &f->flows[i];
        for (size_t s = 0; s < fl->nsteps; s++) {
            int rc = 0;
            if (fl->steps[s].kind == STEP_CALL)
                rc = fn(ud, fl->id, fl->steps[s].action, fl->file, fl->steps[s].line);
            if (rc != 0)
                return rc;
        }
        for (size_t s = 0; s < fl->nslots; s++)
            if (fl->slots[s].choices != NULL) {
                int rc = fn(ud, fl->id, fl->slots[s].choices, fl->file, fl->line);
                if (rc != 0)
                    return rc;
            }
    }
    const struct flow_cross_sell *x = f != NULL ? &f->cross_sell : NULL;
    if (x != NULL && x->action != NULL) { /* dialog.yaml's cross_sell calls two */
        int rc = fn(ud, "cross_sell", x->action, "dialog.yaml", x->line);
        if (rc == 0)
            rc = fn(ud, "cross_sell", x->accept, "dialog.yaml", x->line);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int flow__listed(const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; id != NULL && i < n; i++)
        if (strcmp(list[i], id) == 0)
            return 1;
    return 0;
}

const struct flow *flow__by_id(const struct kf_flows *f, const char *id)
{
    for (size_t i = 0; i < f->nflows; i++)
        if (strcmp(f->flows[i].id, id) == 0)
            return &f->flows[i];
    return NULL;
}

const struct flow *flow__by_intent(const struct kf_flows *f, const char *intent)
{
    for (size_t i = 0; i < f->nflows; i++)
        for (size_t k = 0; k < f->flows[i].nintents; k++)
            if (strcmp(f->flows[i].intents[k], intent) == 0)
                return &f->flows[i];
    return NULL;
}

const struct flow *flow__by_entity(const struct kf_flows *f, const char *type)
{
    for (size_t i = 0; i < f->nflows; i++)
        for (size_t k = 0; k < f->flows[i].nentities; k++)
            if (strcmp(f->flows[i].entities[k], type) == 0)
                return &f->flows[i];
    return NULL;
}

const struct flow_slot *flow__slot(const struct flow *fl, const char *name)
{
    for (size_t i = 0; i < fl->nslots; i++)
        if (strcmp(fl->slots[i].name, name) == 0)
            return &fl->slots[i];
    return NULL;
}

const char *flow__text(const struct flow_text *t, size_t li)
{
    if (li < FLOW_MAX_LANGS && t->t[li] != NULL)
        return t->t[li];
    return t->t[0];
}

const char *flow__message(const struct kf_flows *f, const char *key, size_t lang)
{
    for (size_t i = 0; i < f->nmessages; i++)
        if (strcmp(f->messages[i].key, key) == 0)
            return flow__text(&f->messages[i].text, lang);
    return NULL;
}

const char *flow__smalltalk(const struct kf_flows *f, const char *intent, size_t lang)
{
    for (size_t i = 0; i < f->nsmalltalk; i++)
        if (strcmp(f->smalltalk[i].key, intent) == 0)
            return flow__text(&f->smalltalk[i].text, lang);
    return NULL;
}

const char *flow__label(const struct kf_flows *f, const char *intent, size_t lang)
{
    for (size_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->labels[i].key, intent) == 0)
            return flow__text(&f->labels[i].text, lang);
    return NULL;
}
