/*
 * entity.h — one entity found in a message, as every extractor reports it
 * (patterns.h, catalogue.h, crf.h) and as entities.h merges them.
 *
 * Spans are byte offsets into the text the extractor was given (the
 * PII-masked customer text), end exclusive, always on UTF-8 character
 * boundaries. `value` is the normalised value as JSON text so that every
 * type can carry what it needs:
 *   order_id "DS20261101001"   money {"amount":199,"currency":"CNY"}
 *   date "2026-11-26"          datetime "2026-11-26T14:00:00+08:00"
 *   product "huawei-mate60"    quantity {"amount":2,"unit":"件"}
 *
 * Ownership: every pointer points into the caller's arena (or to static
 * strings for `type`); nothing to free.
 */
#ifndef KEFU_ENTITY_H
#define KEFU_ENTITY_H

#include <stddef.h>
#include <stdint.h>

enum kf_entity_source {
    KF_ENT_PATTERN = 1, /* a regular expression plus a normaliser */
    KF_ENT_CATALOGUE,   /* a dictionary entry of the bot's catalogue */
    KF_ENT_CRF,         /* the statistical sequence labeller */
};

struct kf_entity {
    const char *type;  /* "order_id", "money", "product", ... */
    size_t start, end; /* byte offsets, end exclusive */
    const char *text;  /* the span as written (arena copy) */
    const char *value; /* normalised value, JSON text (arena) */
    double confidence; /* (0, 1] */
    enum kf_entity_source source;
};

/* The moment relative dates are read against: "明天" from a Monday 23:00
 * in UTC+8 is Tuesday. */
struct kf_time_ref {
    int64_t epoch_s;    /* seconds since 1970-01-01T00:00:00Z */
    int utc_offset_min; /* the customer's zone, e.g. +480 for Asia/Shanghai */
};

const char *kf_entity_source_name(enum kf_entity_source s);

#endif
