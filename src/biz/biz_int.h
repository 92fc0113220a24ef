/*
 * biz_int.h — helpers shared by the business modules (internal to src/biz).
 */
#ifndef KEFU_BIZ_INT_H
#define KEFU_BIZ_INT_H

#include <jansson.h>

#include "kefu/biz.h"

/* Call op on a back end. On success *out is the answer (a new reference).
 * KF_ENOTFOUND, KF_ECONFLICT and KF_EUNAVAILABLE are outcomes, not errors:
 * result.outcome becomes not_found, not_allowed or unavailable, *out NULL
 * and the call returns KF_OK. Anything else is returned as is. */
int biz__fetch(const struct kf_biz_ctx *ctx, const char *backend, const char *op, json_t *args,
               json_t *result, json_t **out, struct kf_err *err);

void biz__outcome(json_t *result, const char *outcome);
int biz__is_zh(const struct kf_biz_ctx *ctx);
/* A string argument (NULL when missing or not a string). */
const char *biz__arg_str(json_t *args, const char *key);
/* "2026-11-25" (dates) / "2026-11-25 14:30" (with_time) in the ctx's zone. */
void biz__format_time(const struct kf_biz_ctx *ctx, long long ms, int with_time, char *out,
                      size_t cap);
/* A money amount without trailing zeros: 5499, 12.5 */
void biz__format_money(double v, char *out, size_t cap);

#endif
