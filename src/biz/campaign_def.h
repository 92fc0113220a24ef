/*
 * campaign_def.h — the loaded form of campaigns.yaml, shared by the loader
 * (campaign_load.c) and the engine (campaign.c); internal to src/biz.
 *
 * Everything is validated at load time (docs/bot-format.md "Campaigns"), so
 * the engine trusts these fields: names are [a-z0-9_-], at least one
 * message text in the default language, a trigger's own settings present.
 */
#ifndef KEFU_CAMPAIGN_DEF_H
#define KEFU_CAMPAIGN_DEF_H

#include "kefu/campaign.h"
#include "kefu/cond.h"

#define CAMP_LANGS 4  /* languages per message */
#define CAMP_STAGES 4 /* lifecycle stages per campaign */
#define CAMP_DAY_MS 86400000LL
#define CAMP_HOUR_MS 3600000LL

/* A text in several languages (lang "" ends the list). */
struct camp_text {
    char lang[CAMP_LANGS][8];
    char *text[CAMP_LANGS];
    size_t n;
};

struct camp_def {
    char name[KF_CAMPAIGN_NAME_MAX];
    int line; /* where it starts in the file */
    int enabled;
    enum kf_campaign_pick pick;
    char stages[CAMP_STAGES][16]; /* lifecycle */
    size_t nstages;
    char tag[64];                    /* tag */
    long after_hours, within_days;   /* cart: last add older than after_hours, newer than within_days */
    struct kf_cond *audience;        /* NULL: everyone the trigger finds */
    char *audience_text;
    long cooldown_days;
    char coupon[64];
    struct camp_text message;
};

struct kf_campaigns {
    char timezone[48];  /* as written */
    int utc_offset_min; /* the shop's zone */
    char default_lang[8];
    int quiet_from, quiet_to; /* minutes of the day; quiet_from == quiet_to: none */
    long cap_max, cap_days;   /* cap_max 0: no frequency cap */
    struct camp_text name_fallback; /* {name} when the customer has none */
    struct camp_def *v;
    size_t n;
};

/* The text of t in lang, else in def_lang, else the first; NULL if empty. */
const char *camp__text(const struct camp_text *t, const char *lang, const char *def_lang);

#endif
