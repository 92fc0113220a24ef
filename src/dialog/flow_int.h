/*
 * flow_int.h — the layout of loaded flows (flow.h), read by the policy.
 *
 * Texts point into the loader's arena. A "text" (struct flow_text) holds one
 * string per bot language, indexed like the bot's languages.
 */
#ifndef KEFU_FLOW_INT_H
#define KEFU_FLOW_INT_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/flow.h"

#define FLOW_MAX_LANGS 4

struct flow_text {
    const char *t[FLOW_MAX_LANGS]; /* NULL when not given */
};

/* A list of phrases per language. */
struct flow_phrases {
    const char **p[FLOW_MAX_LANGS];
    size_t n[FLOW_MAX_LANGS];
};

enum slot_kind { SLOT_ENTITY, SLOT_CHOICE, SLOT_TEXT };

struct flow_option {
    const char *value;
    struct flow_text label;
    const char **words; /* any language; matched in the customer's message */
    size_t nwords;
};

struct flow_keyed {
    const char *key;
    struct flow_text text;
};

struct flow_map { /* intent → value (choice slots' from_intent) */
    const char *key, *value;
};

struct flow_slot {
    const char *name;
    enum slot_kind kind;
    const char *entity;   /* SLOT_ENTITY: entity type */
    const char *context;  /* context key it reads and writes, or NULL */
    const char *choices;  /* action whose result.choices are quick replies */
    int optional;
    int ask;              /* 0: only filled from what the customer says */
    int multiple;         /* SLOT_ENTITY: all matches, as an array */
    int from_message;     /* SLOT_TEXT: the message that starts the flow fills it when it
                           * says at least this much (units: Han characters, words) */
    int min_length;       /* SLOT_TEXT: an answer says at least this much (same units) */
    int sensitive;        /* SLOT_TEXT: the raw text is sealed for the action (dialog.h) */
    struct flow_text prompt, invalid;
    struct flow_phrases buttons;
    struct flow_option *options; /* SLOT_CHOICE */
    size_t noptions;
    struct flow_map *from_intent;
    size_t nfrom_intent;
};

enum step_kind { STEP_ASK, STEP_CONFIRM, STEP_CALL, STEP_REPLY, STEP_SAY, STEP_HANDOFF };

struct flow_case { /* a reply for one outcome */
    const char *outcome; /* or "default" */
    struct flow_text text;
    int card;            /* attach result.card */
    const char *reask;   /* slot to clear and ask again */
    int handoff;
    int end;             /* end the flow even when the outcome is ok */
};

struct flow_when {
    const char **outcomes; /* result.outcome is one of these */
    size_t noutcomes;
    const char *slot;      /* and/or: the slot has this value (or is set) */
    const char *equals;    /* NULL: just set */
};

struct flow_step {
    enum step_kind kind;
    int line;
    const char *slot;   /* ask */
    const char *action; /* call */
    struct flow_text text; /* confirm, say, handoff */
    struct flow_text no;   /* confirm: said when the customer declines */
    struct flow_case *cases; /* reply */
    size_t ncases;
    int has_when;
    struct flow_when when;
};

struct flow {
    const char *id;
    const char *file;
    int line;
    const char **intents;
    size_t nintents;
    const char **entities; /* entity types that start it when no intent does */
    size_t nentities;
    struct flow_slot *slots;
    size_t nslots;
    struct flow_step *steps;
    size_t nsteps;
    int resolves;          /* 1: finishing it counts as resolved (default) */
};

/* dialog.yaml `cross_sell` (issue 6): one add-on offered after a resolved
 * problem, at most once per conversation (policy.c "Cross-sell"). */
struct flow_cross_sell {
    int enabled;
    const char *action;        /* picks the add-on: reco.cross_sell */
    const char *accept;        /* the customer said yes: reco.accept */
    const char **flows;        /* flows whose resolved end may offer */
    size_t nflows;
    const char **never_after;  /* flows that rule it out for the whole conversation */
    size_t nnever_after;
    int line;                  /* of the section in dialog.yaml, for errors */
    struct flow_text offer, accepted, declined, yes_button, no_button;
};

struct kf_flows {
    struct kf_arena *arena;
    const char *langs[FLOW_MAX_LANGS];
    size_t nlangs;
    struct flow *flows;
    size_t nflows;
    /* dialog.yaml */
    struct flow_phrases cancel, correction, yes, no, skip, restart;
    struct flow_phrases request, question; /* "I want to…" vs "how do I…" */
    struct flow_keyed *smalltalk; /* intent → answer */
    size_t nsmalltalk;
    struct flow_keyed *labels;    /* intent → button label */
    size_t nlabels;
    struct flow_keyed *messages;  /* the policy's own texts */
    size_t nmessages;
    double flow_threshold;   /* intent confidence that starts a flow */
    double switch_threshold; /* … that leaves a flow for another */
    double clarify_margin;   /* top two closer than this: ask which */
    double faq_over_flow;    /* FAQ confidence that answers instead of a flow */
    double smalltalk_threshold;
    int max_attempts;        /* invalid answers to one question before a human */
    int max_fallbacks;       /* not-understood messages in a row before a human */
    struct flow_cross_sell cross_sell;
};

const struct flow *flow__by_intent(const struct kf_flows *f, const char *intent);
const struct flow *flow__by_entity(const struct kf_flows *f, const char *type);
const struct flow *flow__by_id(const struct kf_flows *f, const char *id);
const struct flow_slot *flow__slot(const struct flow *fl, const char *name);
const char *flow__message(const struct kf_flows *f, const char *key, size_t lang);
const char *flow__smalltalk(const struct kf_flows *f, const char *intent, size_t lang);
const char *flow__label(const struct kf_flows *f, const char *intent, size_t lang);
/* 1 when id is among list[0..n). */
int flow__listed(const char *const *list, size_t n, const char *id);
/* The text in language li, else the first language's. */
const char *flow__text(const struct flow_text *t, size_t li);

#endif
