/*
 * flow.h — multi-turn flows of a bot (I3), read from its YAML
 * (docs/bot-format.md "Flows"):
 *
 *   bots/NAME/dialog.yaml   settings and phrases of the dialog policy: cancel,
 *                           correction, yes/no and skip phrases, small talk
 *                           answers, intent labels (clarification buttons),
 *                           the policy's own messages, thresholds
 *   bots/NAME/flows/NAME.yaml  flows: the intents (or entities) that start them,
 *                           typed slots (entity | choice | text) with per-
 *                           language prompts, and steps (ask, confirm, call
 *                           a business action, reply by outcome, say,
 *                           handoff), any step guarded by `when`
 *
 * Everything is checked at load: unknown keys, missing languages, a step that
 * asks for an undeclared slot, a duplicate flow id or intent — each reported
 * with file:line. Action names are checked against the business registry by
 * the engine (biz.h), not here.
 *
 * Ownership: a kf_flows is immutable after load and shared by threads; the
 * dialog policy (src/dialog/policy.c) reads its layout from flow_int.h.
 */
#ifndef KEFU_FLOW_H
#define KEFU_FLOW_H

#include <stddef.h>

#include "kefu/err.h"

struct kf_flows;

/* Reads DIR/dialog.yaml (optional) and DIR/flows/NAME.yaml (optional); langs are
 * the bot's languages, each text must exist in all of them. */
int kf_flows_load(const char *dir, const char *const *langs, size_t nlangs,
                  struct kf_flows **out, struct kf_err *err);
void kf_flows_free(struct kf_flows *f); /* NULL is a no-op */

size_t kf_flows_count(const struct kf_flows *f);
const char *kf_flows_id(const struct kf_flows *f, size_t i);
/* Every business action a flow calls, for the engine to check: calls fn for
 * each (flow id, action, file, line); stops at the first non-zero return. */
int kf_flows_each_action(const struct kf_flows *f,
                         int (*fn)(void *ud, const char *flow, const char *action,
                                   const char *file, int line),
                         void *ud);

#endif
