/*
 * ingest.h — customer events from outside into the store (issue 6, D1):
 * single JSON objects, JSON lines and CSV streams, with personal data
 * masked before anything is stored, written in batches of at most
 * KF_EVENTS_BATCH_MAX (events.h), with a result for every event in input
 * order. `POST /api/v1/events` and `kefu import` are thin callers of this.
 *
 *   ingester = kf_ingest_new(params)
 *   kf_ingest_object(one JSON event)   — or —   kf_ingest_feed(bytes)...
 *   kf_ingest_finish()   → the last batch is written, every result reported
 *
 * Masking (pii.h): the search query and every string attribute value (and
 * an integer attribute that reads as personal data, e.g. a phone number
 * sent as a number) go through the PII policy — the engine's when
 * params.engine is set (kf_engine_mask), else params.pii — so a phone
 * number, e-mail or ID card typed into a search box is never stored raw.
 * Identifiers (sku, order_no, external_id) are not text and are kept.
 *
 * Formats of a stream (docs/customer-data.md):
 *   JSON lines  one event object per line (events.h); blank lines skipped
 *   CSV         RFC 4180 (quoted fields may hold commas, quotes as "" and
 *               newlines); a header row naming the columns event_id, type,
 *               customer_id, external_id, channel, at, sku, category, query,
 *               amount, order_no, items, rec_id and attr_<name>; an empty
 *               cell is an absent field. items is JSON text ("[{...}]") or
 *               "sku*qty@price;sku*qty" (qty and price optional). Attribute
 *               cells are strings, except true/false which are booleans.
 * A record is at most KF_INGEST_LINE_MAX bytes; a longer one is rejected
 * (and skipped) by itself. A line is numbered from 1 in the stream; a CSV
 * record is numbered by the line it starts on.
 *
 * Errors: a bad event is a result (KF_EVENT_REJECTED, with "field: what"),
 * never a failure of the call. Calls fail only when the stream cannot go on
 * (a CSV header with an unknown or repeated column: KF_EPARSE "line 1: ...")
 * or the store fails (its code).
 *
 * Ownership: the ingester borrows the store, engine and callback; results
 * passed to the callback (and the event in them) live until it returns.
 * One ingester, one thread.
 */
#ifndef KEFU_INGEST_H
#define KEFU_INGEST_H

#include <jansson.h>
#include <stddef.h>

#include "kefu/engine.h"
#include "kefu/err.h"
#include "kefu/events.h"
#include "kefu/pii.h"
#include "kefu/store.h"

#define KF_INGEST_LINE_MAX (64 * 1024)

enum kf_ingest_format { KF_INGEST_JSONL = 0, KF_INGEST_CSV = 1 };

/* The result of one event. */
struct kf_ingest_result {
    long long n;                  /* line (streams) or the number given to kf_ingest_object */
    enum kf_event_status status;
    const char *message;          /* rejected: "field: what is wrong"; else NULL */
    const struct kf_event *event; /* the parsed event (NULL when it did not parse) */
};

struct kf_ingest_params {
    struct kf_store *store;   /* borrowed; NULL: check only — nothing is written, a valid
                               * event is reported KF_EVENT_ADDED */
    struct kf_engine *engine; /* borrowed, optional: its PII policy masks */
    struct kf_pii_policy pii; /* without an engine; default kf_pii_default_policy() */
    enum kf_ingest_format format; /* of kf_ingest_feed */
    const char *channel;      /* for events without one; NULL: the store's default (web) */
    long long now_ms;         /* the parse and derive time; 0: the clock at each batch */
    size_t batch;             /* events per transaction, 1..KF_EVENTS_BATCH_MAX; 0: the max */
    /* every event's result, in input order (after its batch is written) */
    void (*on_result)(const struct kf_ingest_result *r, void *arg);
    void *arg;
};

struct kf_ingest;

struct kf_ingest_params kf_ingest_default_params(void);
int kf_ingest_new(struct kf_ingest_params p, struct kf_ingest **out, struct kf_err *err);
void kf_ingest_free(struct kf_ingest *ing); /* NULL is a no-op; unflushed events are dropped */

/* One event as a JSON value (not an object: rejected). obj is borrowed and
 * may be changed (masked values). n numbers its result. */
int kf_ingest_object(struct kf_ingest *ing, json_t *obj, long long n, struct kf_err *err);
/* The next bytes of a stream in params.format, in pieces of any size. */
int kf_ingest_feed(struct kf_ingest *ing, const char *data, size_t len, struct kf_err *err);
/* End of input: the last record (without its newline) and the last batch. */
int kf_ingest_finish(struct kf_ingest *ing, struct kf_err *err);

void kf_ingest_stats(const struct kf_ingest *ing, struct kf_ingest_stats *out);

/* ---- pieces, public for tests and other callers ----------------------- */

/* Mask obj's "query" and its attribute values in place (see above). mask:
 * the engine's policy when engine is set, else p. *count (optional) gets the
 * number of values replaced. */
int kf_ingest_mask(json_t *obj, struct kf_engine *engine, const struct kf_pii_policy *p,
                   size_t *count, struct kf_err *err);

/* Split one CSV record (without its line end) into at most max fields,
 * unquoted, NUL-terminated, in the arena. KF_EPARSE for bad quoting or more
 * than max fields, naming the field's number. */
int kf_ingest_csv_split(const char *rec, size_t len, struct kf_arena *a, char **fields,
                        size_t max, size_t *n, struct kf_err *err);

/* ms since the epoch, or "YYYY-MM-DD[THH:MM[:SS[.sss]]](Z|±HH:MM)" (no zone:
 * UTC). -1 when s is neither. */
int kf_ingest_parse_time(const char *s, long long *ms);

#endif
