/*
 * bot.h — a bot definition loaded from its folder (docs/bot-format.md).
 *
 * kf_bot_load() reads bot.yaml and faq/NAME.yaml, validates them (errors name
 * file, line and key), and builds the FAQ retrieval index. A loaded bot is
 * immutable and may be shared by every thread; it owns all its strings.
 */
#ifndef KEFU_BOT_H
#define KEFU_BOT_H

#include <stddef.h>

#include "kefu/err.h"
#include "kefu/flow.h"
#include "kefu/kb.h"
#include "kefu/patterns.h"

#define KF_BOT_MAX_LANGS 4
#define KF_BOT_MAX_FAQ 10000
#define KF_BOT_QUESTION_MAX 512
#define KF_BOT_ANSWER_MAX 4096

struct kf_bot;

/* A piece of text in every language of the bot; index by kf_bot_lang_index. */
struct kf_faq_entry {
    const char *id;
    const char *category;
    const char *answer[KF_BOT_MAX_LANGS];
    const char *question[KF_BOT_MAX_LANGS]; /* the main question per language */
};

int kf_bot_load(const char *dir, struct kf_bot **out, struct kf_err *err);
void kf_bot_free(struct kf_bot *bot); /* NULL is a no-op */

const char *kf_bot_name(const struct kf_bot *bot);
size_t kf_bot_lang_count(const struct kf_bot *bot);
const char *kf_bot_lang(const struct kf_bot *bot, size_t i); /* 0 is the default */
/* Index of a language code, or -1 if the bot does not speak it. */
int kf_bot_lang_index(const struct kf_bot *bot, const char *lang);

/* One of the bot's phrases (greeting, not_sure, handoff, handoff_button) in
 * `lang` (falls back to the default language); "" if the key is unknown. */
const char *kf_bot_phrase(const struct kf_bot *bot, const char *key, const char *lang);

double kf_bot_faq_threshold(const struct kf_bot *bot);
int kf_bot_faq_suggest(const struct kf_bot *bot);
size_t kf_bot_faq_count(const struct kf_bot *bot);
const struct kf_faq_entry *kf_bot_faq(const struct kf_bot *bot, size_t i);
const struct kf_kb *kf_bot_kb(const struct kf_bot *bot);
/* bot.yaml `entities:` — the bot's own patterns (patterns.h) and its time
 * zone in minutes east of UTC (default 0 = UTC; the demo shop says +08:00). */
const struct kf_pattern_rule *kf_bot_entity_rules(const struct kf_bot *bot, size_t *n);
int kf_bot_utc_offset(const struct kf_bot *bot);
/* The bot's flows and dialog settings (flow.h): DIR/dialog.yaml and
 * DIR/flows/NAME.yaml, checked at load. Never NULL after a load. */
const struct kf_flows *kf_bot_flows(const struct kf_bot *bot);

/* 1 if the (raw) text asks for a human, by the bot's handoff phrases. */
int kf_bot_wants_human(const struct kf_bot *bot, const char *text, size_t len);

#endif
