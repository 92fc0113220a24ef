/*
 * patterns.h — rule-based entities: a set of PCRE2 expressions (UTF mode,
 * JIT-compiled once) with a normaliser per type (I2).
 *
 * Built-in types and their normalised values (entity.h has the JSON form):
 *   order_id         the demo shop's DS + 11 digits → "DS20261101001"
 *   tracking_number  carrier formats (SF…, YT…, JD…, 1Z…, …) → upper case
 *   phone, email, id_card, bank_card
 *                    raw forms and the masked forms pii.h writes
 *                    (138****5678) → the text as written
 *   money            "199元", "两百块", "¥1,299", "$20", "under 300",
 *                    "300以内" → {"amount":N,"currency":"CNY"|"USD"|…,
 *                    "comparator":"lt"|"le"|"gt"|"ge"|"approx"} (comparator
 *                    only when said)
 *   quantity         "2件", "三台", "two pairs" → {"amount":N,"unit":"…"}
 *   date, datetime   absolute and relative, zh and en ("明天下午", "下周一",
 *                    "11月3日", "yesterday", "next Friday", "2026-11-03",
 *                    "3pm") → ISO 8601 against a kf_time_ref: "2026-11-26"
 *                    for a day, "2026-11-26T15:00:00+08:00" with a time
 *                    (a part of day without a clock time: 上午 09:00,
 *                    中午 12:00, 下午 15:00, 晚上 20:00)
 * Chinese numerals (一百二十三, 两千五, 十一, 0-9 mixed like 3千) are read
 * inside money, quantity and dates by kf_cn_number_parse.
 *
 * A bot adds its own rules (bot.yaml `entities.patterns`): a type and a
 * regex; a rule whose type is a built-in one replaces the built-in
 * expression of that type (so a shop with another order-id format says so),
 * other types are new (value = the matched text).
 *
 * Matches never touch a letter or digit on either side; overlapping
 * matches keep the longer one. Thread-safe after kf_patterns_new.
 */
#ifndef KEFU_PATTERNS_H
#define KEFU_PATTERNS_H

#include <stddef.h>

#include "kefu/arena.h"
#include "kefu/entity.h"
#include "kefu/err.h"

struct kf_patterns;

struct kf_pattern_rule {
    const char *type;  /* e.g. "order_id" */
    const char *regex; /* PCRE2 syntax, UTF */
};

struct kf_patterns_params {
    const struct kf_pattern_rule *rules; /* may be NULL */
    size_t nrules;
};

struct kf_patterns_params kf_patterns_default_params(void);
/* A bad regex is KF_EINVAL naming the type and the PCRE2 message + offset. */
int kf_patterns_new(struct kf_patterns_params params, struct kf_patterns **out,
                    struct kf_err *err);
void kf_patterns_free(struct kf_patterns *p); /* NULL is a no-op */

/* Entities in text order, non-overlapping, at most max; returns the count.
 * text is valid UTF-8 of at most 64 KiB. Allocates from a. */
size_t kf_patterns_extract(const struct kf_patterns *p, const char *text, size_t len,
                           struct kf_time_ref ref, struct kf_arena *a, struct kf_entity *out,
                           size_t max);

/* "一百二十三" → 123, "两千五" → 2500, "3千" → 3000, "十一" → 11,
 * "一二三" → 123 (digit by digit), "1,299.5" → 1299.5. 0, or -1 when the
 * whole of s is not a number. */
int kf_cn_number_parse(const char *s, size_t len, double *out);

#endif
