/*
 * sqlite_int.h — the SQLite backend's connection pool, shared by the files
 * of src/data/sqlite/ (sqlite_store.c owns it; sqlite_repo.c borrows from
 * it). Internal: nothing outside this folder includes it.
 *
 * A connection is borrowed for one store call and given back; statements are
 * prepared once per connection and cached in its slots (stmt[] for
 * sqlite_store.c, repo_stmt[] for sqlite_repo.c, each file indexing its own
 * enum). Writers take write_lock (one writer per process, a fair queue)
 * before BEGIN IMMEDIATE, so repository writes and group-committed turns
 * never wait on SQLite's busy handler for each other.
 */
#ifndef KEFU_SQLITE_INT_H
#define KEFU_SQLITE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>

#include "../store_int.h"

#define SQ_STORE_STMTS 32 /* slots for sqlite_store.c's statements */
#define SQ_REPO_STMTS 96  /* slots for sqlite_repo.c's statements */
#define SQ_AREA_STMTS 48  /* slots for each customer-data file's statements */

/* The customer-data files (issue 6), each with its own statement slots. */
enum sq_area {
    SQ_EVENTS, SQ_MINING, SQ_RECO, SQ_CAMPAIGNS,
    SQ_AUTH, SQ_AGENT, SQ_LEARN, SQ_EXPERIMENTS, SQ_OPS, /* issue 7 */
    SQ__AREAS
};

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_STORE_STMTS];
    sqlite3_stmt *repo_stmt[SQ_REPO_STMTS];
    sqlite3_stmt *area_stmt[SQ__AREAS][SQ_AREA_STMTS];
    sqlite3_stmt *tx_stmt[2]; /* BEGIN IMMEDIATE, COMMIT (sqlite_util.c) */
    int busy; /* borrowed */
};

struct commit_req;

struct sq_store {
    struct kf_store super;
    struct kf_store_params params;
    char *path;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    /* One writer at a time inside the process: SQLite allows only one
     * anyway, and waiting here is a fair queue where SQLite's busy handler
     * would sleep and retry (measured: p99 of a turn 1.2 s → see
     * docs/benchmarks.md). */
    pthread_mutex_t write_lock;
    /* group commit queue */
    pthread_mutex_t q_lock;
    pthread_cond_t q_done;
    struct commit_req *q_head, **q_tail;
    int q_leader;
    int nconn;
    struct sq_conn *conns;
};

/* Borrow a free connection (waits for one), and give it back. */
struct sq_conn *sq__borrow(struct sq_store *s);
void sq__give_back(struct sq_store *s, struct sq_conn *c);
/* KF_ESTORE with "sqlite: what: <sqlite's message>". */
int sq__error(struct sq_conn *c, struct kf_err *err, const char *what);
/* Run SQL text without input (BEGIN, COMMIT, PRAGMA ...). */
int sq__exec(sqlite3 *db, const char *sql, struct kf_err *err);
/* ROLLBACK if a transaction is open on c. */
void sq__rollback(struct sq_conn *c);

/* ---- sqlite_util.c: statements, rows as JSON, write transactions ---- */

/* The statement cached in *slot (prepared from sql on first use), reset and
 * with its bindings cleared; NULL on error. */
sqlite3_stmt *sq__prepared(struct sq_conn *c, sqlite3_stmt **slot, const char *sql,
                           struct kf_err *err);
void sq__bind_text(sqlite3_stmt *q, int i, const char *v); /* NULL binds NULL */
void sq__bind_ms(sqlite3_stmt *q, int i, long long v);     /* 0 binds NULL */
/* Run a statement that returns no rows. */
int sq__done(struct sq_conn *c, sqlite3_stmt *q, const char *what, struct kf_err *err);
/* Rows as JSON: column "x" → key "x"; "x:json" is parsed; "_x" is skipped. */
json_t *sq__column(sqlite3_stmt *q, int i, int parse);
json_t *sq__row(sqlite3_stmt *q);
/* Every row of a bound statement as an array of objects. */
int sq__rows(struct sq_conn *c, sqlite3_stmt *q, json_t **out, struct kf_err *err);
/* The one row (KF_ENOTFOUND: "<what> not found"); *id (optional): column 0. */
int sq__one(struct sq_conn *c, sqlite3_stmt *q, const char *what, json_t **out, long long *id,
            struct kf_err *err);
/* One integer (0 when there is no row). */
int sq__int(struct sq_conn *c, sqlite3_stmt *q, long long *v, struct kf_err *err);
/* A write: the process's write lock, a borrowed connection and BEGIN
 * IMMEDIATE; end commits when rc is KF_OK (else rolls back), gives the
 * connection back and unlocks. end_record also drops *out on failure, so a
 * caller never sees half of a rolled-back change. */
struct sq_conn *sq__write_begin(struct sq_store *s, int *rc, struct kf_err *err);
int sq__write_end(struct sq_store *s, struct sq_conn *c, int rc, struct kf_err *err);
int sq__write_end_record(struct sq_store *s, struct sq_conn *c, int rc, json_t **out,
                         struct kf_err *err);

/* The repository half of the backend (sqlite_repo.c), and the customer-data
 * tables (sqlite_events.c, sqlite_mining.c, sqlite_reco.c,
 * sqlite_campaigns.c). */
extern const struct kf_repo_ops kf_sqlite_repo_ops;
extern const struct kf_events_ops kf_sqlite_events_ops;
extern const struct kf_mining_ops kf_sqlite_mining_ops;
extern const struct kf_reco_ops kf_sqlite_reco_ops;
extern const struct kf_campaign_ops kf_sqlite_campaign_ops;
extern const struct kf_ops_ops kf_sqlite_ops_ops; /* sqlite_ops.c */
extern const struct kf_auth_ops kf_sqlite_auth_ops;
extern const struct kf_review_ops kf_sqlite_review_ops;         /* sqlite_review.c */
extern const struct kf_experiment_ops kf_sqlite_experiment_ops; /* sqlite_experiments.c */
extern const struct kf_agent_ops kf_sqlite_agent_ops;

/* sqlite_events.c: inside an open write transaction on c, record the
 * interaction event of a committed customer message (a conversation turn)
 * and fold it into the customer's profile. */
int sq__events_turn(struct sq_store *s, struct sq_conn *c, const char *conversation_id,
                    long long message_id, long long at, const char *intent,
                    const char *sentiment, struct kf_err *err);

#endif
