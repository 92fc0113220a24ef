/*
 * cond.h — conditions written in bot YAML (profile tags, campaigns), read
 * against a JSON object such as a derived profile (profile.h):
 *
 *   ltv.historical >= 5000 and rfm.f >= 3
 *   lifecycle == "dormant" and not opt_out
 *   churn.score > 0.6 or complaints.open_tickets > 0
 *   lifecycle in ["new", "active"]
 *   "vip" in tags
 *
 * Grammar: or / and / not (also ||, &&, !), parentheses; comparisons
 * == != < <= > >=; `in` against a list literal or a JSON array field; a
 * bare field is true when it is true, a non-zero number, a non-empty string
 * or array. Fields are dotted paths into the object. Literals: numbers,
 * "strings" or 'strings', true, false, null. A missing field is null; a
 * comparison of null or of mismatched types is false (never an error).
 */
#ifndef KEFU_COND_H
#define KEFU_COND_H

#include <jansson.h>

#include "kefu/err.h"

struct kf_cond;

/* KF_EPARSE with the column of the mistake ("col 12: expected a value"). */
int kf_cond_parse(const char *text, struct kf_cond **out, struct kf_err *err);
int kf_cond_eval(const struct kf_cond *c, json_t *subject); /* 1 true, 0 false */
void kf_cond_free(struct kf_cond *c); /* NULL is a no-op */

#endif
