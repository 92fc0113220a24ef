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

#include <pthread.h>
#include <sqlite3.h>

#include "../store_int.h"

#define SQ_STORE_STMTS 32 /* slots for sqlite_store.c's statements */
#define SQ_REPO_STMTS 96  /* slots for sqlite_repo.c's statements */

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_STORE_STMTS];
    sqlite3_stmt *repo_stmt[SQ_REPO_STMTS];
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

/* The repository half of the backend (sqlite_repo.c). */
extern const struct kf_repo_ops kf_sqlite_repo_ops;

#endif
