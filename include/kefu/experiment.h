/*
 * experiment.h — A/B experiments (issue 7, docs/experiments.md): their
 * definitions (the bot's experiments.yaml), the stable assignment of a
 * customer to a variant, the record of who was exposed, and the report with
 * its significance tests.
 *
 *   definitions  experiments.yaml, loaded with "path:line: key: what"
 *                errors (format in docs/experiments.md);
 *   assignment   FNV-1a 64 of "<experiment id>:<customer id>" → a bucket in
 *                [0, 10000); the variants' cumulative weights split the
 *                buckets in the order they are written. No state: the same
 *                customer gets the same variant in every conversation, on
 *                every node, whatever the order of arrival;
 *   exposure     one row per conversation (experiment_assignments) written
 *                the first time a turn reaches the experimented behaviour
 *                (the flow `applies_to` names starts); the report counts
 *                exposed conversations only;
 *   report       per variant: conversations, customers, conversion, CSAT,
 *                resolution and handoff; each rate of every other variant
 *                against the control (the first variant) by a pooled
 *                two-proportion z-test (kf_experiment_ztest).
 *
 * How it fits: experiment.c holds the loader, the hash and the statistics
 * and forwards the store calls to the backend's table
 * (src/data/experiment_int.h, src/data/sqlite/sqlite_experiments.c). The
 * engine assigns and records (dialog/engine.c); the dialog sees only the
 * variant (dialog.h kf_dialog_variant).
 *
 * Ownership: a kf_experiments owns its definitions; pointers into it live
 * until kf_experiments_free. JSON results are new references.
 */
#ifndef KEFU_EXPERIMENT_H
#define KEFU_EXPERIMENT_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_EXPERIMENT_ID_MAX 64 /* bytes with the NUL: ids, variant names, flows */
#define KF_EXPERIMENT_VARIANTS_MAX 8
#define KF_EXPERIMENTS_MAX 32
#define KF_EXPERIMENT_BUCKETS 10000
#define KF_EXPERIMENT_MIN_ARM 30 /* fewer conversations in an arm: the report says so */

/* Metrics a report shows (bits of kf_experiment.metrics). */
enum {
    KF_METRIC_CONVERSION = 1 << 0,
    KF_METRIC_CSAT = 1 << 1,
    KF_METRIC_RESOLUTION = 1 << 2,
    KF_METRIC_HANDOFF = 1 << 3,
};

struct kf_experiment_variant {
    char name[KF_EXPERIMENT_ID_MAX];
    int weight;     /* > 0; shares are weight / sum of weights */
    char style[16]; /* what the dialog does: guided (the flow as written) | direct */
};

struct kf_experiment {
    char id[KF_EXPERIMENT_ID_MAX];
    char description[256];
    char status[16];                       /* draft | running | paused | ended */
    char applies_to[KF_EXPERIMENT_ID_MAX]; /* the flow it changes */
    struct kf_experiment_variant variants[KF_EXPERIMENT_VARIANTS_MAX];
    size_t nvariants; /* ≥ 2; variants[0] is the control */
    unsigned metrics; /* KF_METRIC_* */
    int line;         /* where it is defined */
};

struct kf_experiments;

/* Load a file. KF_ENOTFOUND when it does not exist; KF_EPARSE
 * "path:line: key: what" for every mistake (unknown keys included). */
int kf_experiments_load(const char *path, struct kf_experiments **out, struct kf_err *err);
/* The same from a buffer (tests); name is used in messages. */
int kf_experiments_parse(const char *name, const char *yaml, size_t len,
                         struct kf_experiments **out, struct kf_err *err);
void kf_experiments_free(struct kf_experiments *x); /* NULL is a no-op */

size_t kf_experiments_count(const struct kf_experiments *x); /* 0 for NULL */
const struct kf_experiment *kf_experiments_at(const struct kf_experiments *x, size_t i);
const struct kf_experiment *kf_experiments_find(const struct kf_experiments *x, const char *id);
/* [{"id","description","status","applies_to","variants":[{"name","weight",
 *  "share","style"}],"metrics":[...]}] */
json_t *kf_experiments_json(const struct kf_experiments *x);

/* The bucket of a customer in [0, KF_EXPERIMENT_BUCKETS). */
unsigned kf_experiment_bucket(const char *experiment_id, long long customer_id);
/* The customer's variant (never NULL for a loaded experiment). */
const struct kf_experiment_variant *kf_experiment_variant_for(const struct kf_experiment *e,
                                                              long long customer_id);

/* Record that a conversation was exposed to an experiment; the first
 * record of a conversation stays (*inserted 0 for later ones). */
int kf_experiment_expose(struct kf_store *st, const char *experiment, const char *conversation_id,
                         long long customer_id, const char *variant, long long now_ms,
                         int *inserted, struct kf_err *err);

/* Pooled two-proportion z-test of x2/n2 (a variant) against x1/n1 (the
 * control): z = (p2 - p1) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (x1+x2)/(n1+n2),
 * two-sided p-value erfc(|z|/√2); the 95% interval of p2 - p1 uses the
 * unpooled standard error. valid 0 when an arm is empty; with p = 0 or 1
 * (no spread) z is 0 and the p-value 1. */
struct kf_ztest {
    int valid;
    double p1, p2;
    double diff;     /* p2 - p1 */
    double rel_diff; /* diff / p1; NAN when p1 is 0 */
    double z;
    double p_value;
    double ci_low, ci_high;
    int significant; /* p_value < 0.05 */
    int small;       /* n1 or n2 < KF_EXPERIMENT_MIN_ARM */
};

void kf_experiment_ztest(long long x1, long long n1, long long x2, long long n2,
                         struct kf_ztest *out);

/*
 * The report of one experiment over exposures with from <= assigned_at < to
 * (to 0: no end); shape in docs/experiments.md ({"experiment", "variants":
 * [...], "tests": [...]}). Variants without exposures are listed with
 * zeros; exposures of variants no longer defined are listed after them.
 */
int kf_experiment_report(struct kf_store *st, const struct kf_experiment *e, long long from,
                         long long to, json_t **out, struct kf_err *err);

#endif
