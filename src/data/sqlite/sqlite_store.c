/*
 * sqlite_store.c — the SQLite backend of store.h.
 *
 * Design notes
 *  - WAL mode: readers never block the writer; one writer at a time is
 *    serialised by SQLite (BEGIN IMMEDIATE + busy timeout), so connections
 *    never deadlock on lock upgrades.
 *  - A fixed pool of connections, each with its own prepared statements
 *    (created on first use, indexed by enum stmt_id). A thread borrows a
 *    connection for one store call and returns it; nothing is shared
 *    between threads while borrowed.
 *  - Writes: customer/conversation creation take an in-process write lock;
 *    conversation turns go through group commit (sq_turn_commit): turns that
 *    arrive while a commit is running are written together in the next
 *    transaction, each in its own SAVEPOINT, so one COMMIT (one fsync) serves
 *    many turns and each caller still returns only after its turn committed.
 *  - synchronous=FULL fsyncs the WAL at every commit (survives power loss);
 *    NORMAL survives a crash of kefu (kill -9) but not of the machine.
 *  - Every statement is prepared; no SQL text is ever built from input.
 *  - PII vault rows (migration 2) are inserted by sq__apply_turn right after
 *    their messages, inside the turn's SAVEPOINT: a message and its sealed
 *    raw values commit or roll back together. They are bytes to the store.
 *  - The conversation's dialog state (dialog_states, one JSON row per
 *    conversation) and the turn's record (dialog_turns) are written there
 *    too (migration 3), so the state always matches the committed messages.
 *  - A customer's message also becomes an interaction event (type
 *    message) folded into their profile, in the same SAVEPOINT
 *    (sqlite_events.c, migration 4).
 *  - The agents' queue (migration 5, docs/console.md): the touch that opens
 *    every turn also keeps the conversation's negative streak and returns
 *    what the queue rules need (RETURNING), so a turn costs no extra
 *    statement unless it gives a reason to queue the conversation.
 *  - The pool and write lock are shared with sqlite_repo.c (sqlite_int.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kefu/log.h"
#include "kefu/mem.h"
#include "migrations.h"
#include "sqlite_int.h"

enum stmt_id {
    ST_PING,
    ST_CHANNEL_ID,
    ST_IDENTITY_FIND,
    ST_CUSTOMER_INSERT,
    ST_IDENTITY_INSERT,
    ST_CONV_INSERT,
    ST_CONV_GET,
    ST_CONV_FIND_OPEN,
    ST_CONV_TOUCH,
    ST_CONV_SET_STATUS,
    ST_CONV_NEED,
    ST_MSG_INSERT,
    ST_HANDOFF_INSERT,
    ST_MSG_LIST,
    ST_MSG_AFTER,
    ST_VAULT_INSERT,
    ST_VAULT_LIST,
    ST_STATE_UPSERT,
    ST_STATE_GET,
    ST_TURNS_LIST,
    ST_TURN_INSERT,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_PING] = "SELECT 1",
    [ST_CHANNEL_ID] = "SELECT id FROM channels WHERE name = ?1",
    [ST_IDENTITY_FIND] = "SELECT customer_id FROM customer_identities"
                         " WHERE channel_id = ?1 AND external_id = ?2",
    [ST_CUSTOMER_INSERT] = "INSERT INTO customers (name, created_at) VALUES (?1, ?2)",
    [ST_IDENTITY_INSERT] = "INSERT INTO customer_identities"
                           " (customer_id, channel_id, external_id, created_at)"
                           " VALUES (?1, ?2, ?3, ?4)",
    [ST_CONV_INSERT] = "INSERT INTO conversations"
                       " (id, customer_id, channel_id, lang, status, created_at, updated_at)"
                       " VALUES (?1, ?2, (SELECT id FROM channels WHERE name = ?3), ?4, ?5, ?6, ?6)",
    [ST_CONV_GET] = "SELECT c.id, c.customer_id, ch.name, c.lang, c.status, c.created_at,"
                    " c.updated_at, c.assignee_id, c.needs_human, c.negative_streak"
                    " FROM conversations c JOIN channels ch ON ch.id = c.channel_id"
                    " WHERE c.id = ?1",
    [ST_CONV_FIND_OPEN] = "SELECT c.id, c.customer_id, ch.name, c.lang, c.status, c.created_at,"
                          " c.updated_at, c.assignee_id, c.needs_human, c.negative_streak"
                          " FROM conversations c"
                          " JOIN channels ch ON ch.id = c.channel_id"
                          " WHERE c.customer_id = ?1 AND ch.name = ?2 AND c.status <> 'closed'"
                          " ORDER BY c.updated_at DESC LIMIT 1",
    /* the touch also keeps the negative streak (?3: +1, -1 reset, 0 keep) and
     * tells what the queue rules of sq__queue need */
    [ST_CONV_TOUCH] = "UPDATE conversations SET updated_at = ?2, negative_streak = CASE ?3"
                      " WHEN 1 THEN negative_streak + 1 WHEN -1 THEN 0 ELSE negative_streak END"
                      " WHERE id = ?1 RETURNING negative_streak, needs_human, status,"
                      " (SELECT tier FROM customers u WHERE u.id = conversations.customer_id)",
    [ST_CONV_SET_STATUS] = "UPDATE conversations SET status = ?2 WHERE id = ?1",
    [ST_CONV_NEED] = "UPDATE conversations SET needs_human = ?2,"
                     " handoff_at = CASE WHEN needs_human IS NULL THEN ?3 ELSE handoff_at END"
                     " WHERE id = ?1",
    [ST_MSG_INSERT] = "INSERT INTO messages"
                      " (conversation_id, role, text, lang, kind, meta, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_HANDOFF_INSERT] = "INSERT INTO handoff_requests"
                          " (conversation_id, message_id, reason, created_at)"
                          " VALUES (?1, ?2, ?3, ?4)",
    [ST_MSG_LIST] = "SELECT id, role, text, lang, kind, meta, created_at FROM messages"
                    " WHERE conversation_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
    [ST_MSG_AFTER] = "SELECT id, role, text, lang, kind, meta, created_at FROM messages"
                     " WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_VAULT_INSERT] = "INSERT INTO pii_vault"
                        " (message_id, type, start, \"end\", nonce, ciphertext, key_id, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_VAULT_LIST] = "SELECT v.message_id, v.type, v.start, v.\"end\", v.nonce, v.ciphertext,"
                      " v.key_id FROM pii_vault v JOIN messages m ON m.id = v.message_id"
                      " WHERE m.conversation_id = ?1 AND v.message_id BETWEEN ?2 AND ?3"
                      " ORDER BY v.message_id, v.start",
    [ST_STATE_UPSERT] = "INSERT INTO dialog_states (conversation_id, state, updated_at)"
                        " VALUES (?1, ?2, ?3) ON CONFLICT (conversation_id)"
                        " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    [ST_STATE_GET] = "SELECT state FROM dialog_states WHERE conversation_id = ?1",
    [ST_TURNS_LIST] = "SELECT message_id, intent, intent_confidence, entities, sentiment, flow,"
                      " action, outcome FROM dialog_turns WHERE conversation_id = ?1"
                      " ORDER BY id LIMIT ?2",
    [ST_TURN_INSERT] = "INSERT INTO dialog_turns (conversation_id, message_id, intent,"
                       " intent_confidence, entities, sentiment, flow, action, outcome, created_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT turn",
    [ST_RELEASE] = "RELEASE turn",
    [ST_ROLLBACK_TO] = "ROLLBACK TO turn",
};

_Static_assert(ST__COUNT <= SQ_STORE_STMTS, "raise SQ_STORE_STMTS in sqlite_int.h");

/* A turn waiting for group commit (see sq_turn_commit). */
struct commit_req {
    struct kf_turn_write *t;
    struct kf_err *err;
    int rc;
    int done;
    struct commit_req *next;
};

/* ---- connections ------------------------------------------------------ */

int sq__error(struct sq_conn *c, struct kf_err *err, const char *what)
{
    return kf_errorf(err, KF_ESTORE, "sqlite: %s: %s", what, sqlite3_errmsg(c->db));
}

int sq__exec(sqlite3 *db, const char *sql, struct kf_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        kf_errorf(err, KF_ESTORE, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return KF_ESTORE;
    }
    return KF_OK;
}

static int sq__conn_open(struct sq_store *s, struct sq_conn *c, struct kf_err *err)
{
    int rc = sqlite3_open_v2(s->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        kf_errorf(err, KF_ESTORE, "sqlite: cannot open %s: %s", s->path,
                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return KF_ESTORE;
    }
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    const char *sync =
        s->params.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (sq__exec(c->db, "PRAGMA journal_mode=WAL", err) != KF_OK ||
        sq__exec(c->db, sync, err) != KF_OK ||
        sq__exec(c->db, "PRAGMA foreign_keys=ON", err) != KF_OK)
        return kf_err_prefix(err, "%s", s->path);
    return KF_OK;
}

static void sq__conn_close(struct sq_conn *c)
{
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    for (int i = 0; i < SQ_REPO_STMTS; i++)
        sqlite3_finalize(c->repo_stmt[i]);
    for (int a = 0; a < SQ__AREAS; a++)
        for (int i = 0; i < SQ_AREA_STMTS; i++)
            sqlite3_finalize(c->area_stmt[a][i]);
    for (int i = 0; i < 2; i++)
        sqlite3_finalize(c->tx_stmt[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

struct sq_conn *sq__borrow(struct sq_store *s)
{
    pthread_mutex_lock(&s->lock);
    for (;;) {
        for (int i = 0; i < s->nconn; i++) {
            if (!s->conns[i].busy) {
                s->conns[i].busy = 1;
                pthread_mutex_unlock(&s->lock);
                return &s->conns[i];
            }
        }
        pthread_cond_wait(&s->freed, &s->lock);
    }
}

void sq__give_back(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->lock);
    c->busy = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* A ready-to-bind statement (reset, bindings cleared). */
static sqlite3_stmt *sq__stmt(struct sq_conn *c, enum stmt_id id, struct kf_err *err)
{
    if (c->stmt[id] == NULL) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id],
                               NULL) != SQLITE_OK) {
            sq__error(c, err, "prepare");
            return NULL;
        }
    } else {
        sqlite3_reset(c->stmt[id]);
        sqlite3_clear_bindings(c->stmt[id]);
    }
    return c->stmt[id];
}

/* Run a statement that returns no rows. */
static int sq__step_done(struct sq_conn *c, sqlite3_stmt *st, struct kf_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq__error(c, err, what);
    return KF_OK;
}

static int sq__simple(struct sq_conn *c, enum stmt_id id, struct kf_err *err)
{
    sqlite3_stmt *st = sq__stmt(c, id, err);
    if (st == NULL)
        return KF_ESTORE;
    return sq__step_done(c, st, err, stmt_sql[id]);
}

void sq__rollback(struct sq_conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        sq__simple(c, ST_ROLLBACK, NULL);
}

/* ---- lifecycle and migrations ---------------------------------------- */

static void sq_free(struct kf_store *st)
{
    struct sq_store *s = (struct sq_store *)st;
    for (int i = 0; i < s->nconn; i++)
        sq__conn_close(&s->conns[i]);
    kf_free(s->conns);
    kf_free(s->path);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_done);
    pthread_cond_destroy(&s->freed);
    kf_free(s);
}

static int sq_migrate(struct kf_store *st, int *version, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = sq__exec(c->db,
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                      " applied_at INTEGER NOT NULL)",
                      err);
    int current = 0;
    if (rc == KF_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                               -1, &q, NULL) != SQLITE_OK ||
            sqlite3_step(q) != SQLITE_ROW)
            rc = sq__error(c, err, "read schema version");
        else
            current = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    int newest = (int)kf_sqlite_migrations[kf_sqlite_migrations_len - 1].version;
    if (rc == KF_OK && current > newest)
        rc = kf_errorf(err, KF_ESTORE,
                       "%s: database schema version %d is newer than this kefu (%d)", s->path,
                       current, newest);
    for (size_t i = 0; rc == KF_OK && i < kf_sqlite_migrations_len; i++) {
        const struct kf_migration *m = &kf_sqlite_migrations[i];
        if (m->version <= current)
            continue;
        rc = sq__exec(c->db, "BEGIN IMMEDIATE", err);
        if (rc == KF_OK)
            rc = sq__exec(c->db, m->sql, err);
        if (rc == KF_OK) {
            sqlite3_stmt *ins = NULL;
            if (sqlite3_prepare_v2(c->db,
                                   "INSERT INTO schema_migrations (version, name, applied_at)"
                                   " VALUES (?1, ?2, ?3)",
                                   -1, &ins, NULL) != SQLITE_OK) {
                rc = sq__error(c, err, "prepare");
            } else {
                sqlite3_bind_int(ins, 1, m->version);
                sqlite3_bind_text(ins, 2, m->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 3, kf_time_now_ms());
                if (sqlite3_step(ins) != SQLITE_DONE)
                    rc = sq__error(c, err, "record migration");
            }
            sqlite3_finalize(ins);
        }
        if (rc == KF_OK)
            rc = sq__exec(c->db, "COMMIT", err);
        if (rc != KF_OK) {
            sq__rollback(c);
            kf_err_prefix(err, "migration %d (%s)", m->version, m->name);
        } else {
            current = m->version;
        }
    }
    sq__give_back(s, c);
    if (version != NULL)
        *version = current;
    return rc;
}

static int sq_ping(struct kf_store *st, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_OK;
    sqlite3_stmt *q = sq__stmt(c, ST_PING, err);
    if (q == NULL || sqlite3_step(q) != SQLITE_ROW)
        rc = q ? sq__error(c, err, "ping") : KF_ESTORE;
    if (q != NULL)
        sqlite3_reset(q);
    sq__give_back(s, c);
    return rc;
}

/* ---- customers and conversations ------------------------------------ */

static int sq__channel_id(struct sq_conn *c, const char *channel, long long *id, struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_CHANNEL_ID, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, channel, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        return KF_OK;
    }
    sqlite3_reset(q);
    if (rc == SQLITE_DONE)
        return kf_errorf(err, KF_ENOTFOUND, "unknown channel '%s'", channel);
    return sq__error(c, err, "channel");
}

static int sq_customer_resolve__locked(struct kf_store *st, const char *channel, const char *external_id,
                               const char *name, long long *customer_id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    long long now = kf_time_now_ms();
    long long chan = 0;
    int rc = sq__simple(c, ST_BEGIN, err);
    if (rc == KF_OK)
        rc = sq__channel_id(c, channel, &chan, err);
    int found = 0;
    if (rc == KF_OK && external_id != NULL) {
        sqlite3_stmt *q = sq__stmt(c, ST_IDENTITY_FIND, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_int64(q, 1, chan);
            sqlite3_bind_text(q, 2, external_id, -1, SQLITE_STATIC);
            int r = sqlite3_step(q);
            if (r == SQLITE_ROW) {
                *customer_id = sqlite3_column_int64(q, 0);
                found = 1;
            } else if (r != SQLITE_DONE) {
                rc = sq__error(c, err, "find identity");
            }
            sqlite3_reset(q);
        }
    }
    if (rc == KF_OK && !found) {
        sqlite3_stmt *q = sq__stmt(c, ST_CUSTOMER_INSERT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            if (name != NULL)
                sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, now);
            rc = sq__step_done(c, q, err, "insert customer");
            *customer_id = sqlite3_last_insert_rowid(c->db);
        }
        if (rc == KF_OK && external_id != NULL) {
            q = sq__stmt(c, ST_IDENTITY_INSERT, err);
            if (q == NULL) {
                rc = KF_ESTORE;
            } else {
                sqlite3_bind_int64(q, 1, *customer_id);
                sqlite3_bind_int64(q, 2, chan);
                sqlite3_bind_text(q, 3, external_id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 4, now);
                rc = sq__step_done(c, q, err, "insert identity");
            }
        }
    }
    if (rc == KF_OK)
        rc = sq__simple(c, ST_COMMIT, err);
    if (rc != KF_OK)
        sq__rollback(c);
    sq__give_back(s, c);
    return rc;
}

static int sq_conversation_create__locked(struct kf_store *st, const struct kf_conversation *cv,
                                  struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = sq__stmt(c, ST_CONV_INSERT, err);
    if (q != NULL) {
        sqlite3_bind_text(q, 1, cv->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, cv->customer_id);
        sqlite3_bind_text(q, 3, cv->channel, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, cv->lang, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, cv->status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, cv->created_at);
        rc = sq__step_done(c, q, err, "insert conversation");
    }
    sq__give_back(s, c);
    return rc;
}

static void sq__copy(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static int sq__conv_row(struct sq_conn *c, sqlite3_stmt *q, struct kf_conversation *out,
                        struct kf_err *err)
{
    int r = sqlite3_step(q);
    int rc = KF_OK;
    if (r == SQLITE_ROW) {
        sq__copy(out->id, sizeof out->id, sqlite3_column_text(q, 0));
        out->customer_id = sqlite3_column_int64(q, 1);
        sq__copy(out->channel, sizeof out->channel, sqlite3_column_text(q, 2));
        sq__copy(out->lang, sizeof out->lang, sqlite3_column_text(q, 3));
        sq__copy(out->status, sizeof out->status, sqlite3_column_text(q, 4));
        out->created_at = sqlite3_column_int64(q, 5);
        out->updated_at = sqlite3_column_int64(q, 6);
        out->assignee_id = sqlite3_column_int64(q, 7);
        sq__copy(out->needs_human, sizeof out->needs_human, sqlite3_column_text(q, 8));
        out->negative_streak = sqlite3_column_int(q, 9);
    } else if (r == SQLITE_DONE) {
        rc = kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    } else {
        rc = sq__error(c, err, "read conversation");
    }
    sqlite3_reset(q);
    return rc;
}

static int sq_conversation_get(struct kf_store *st, const char *id, struct kf_conversation *out,
                               struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = sq__stmt(c, ST_CONV_GET, err);
    if (q != NULL) {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        rc = sq__conv_row(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

static int sq_conversation_find_open(struct kf_store *st, long long customer_id,
                                     const char *channel, struct kf_conversation *out,
                                     struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = sq__stmt(c, ST_CONV_FIND_OPEN, err);
    if (q != NULL) {
        sqlite3_bind_int64(q, 1, customer_id);
        sqlite3_bind_text(q, 2, channel, -1, SQLITE_STATIC);
        rc = sq__conv_row(c, q, out, err);
    }
    sq__give_back(s, c);
    return rc;
}

/* ---- messages -------------------------------------------------------- */

static int sq__insert_message(struct sq_conn *c, const char *conv, struct kf_message *m,
                              long long now, struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_MSG_INSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    if (m->created_at == 0)
        m->created_at = now;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, m->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, m->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, m->lang ? m->lang : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, m->kind ? m->kind : "", -1, SQLITE_STATIC);
    if (m->meta_json != NULL)
        sqlite3_bind_text(q, 6, m->meta_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, m->created_at);
    int rc = sq__step_done(c, q, err, "insert message");
    if (rc == KF_OK)
        m->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int sq__insert_vault(struct sq_conn *c, const struct kf_vault_item *v, long long message_id,
                            long long now, struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_VAULT_INSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_int64(q, 1, message_id);
    sqlite3_bind_text(q, 2, v->type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)v->start);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)v->end);
    sqlite3_bind_blob(q, 5, v->nonce, (int)v->nonce_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 6, v->ciphertext, (int)v->ciphertext_len, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, v->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, now);
    return sq__step_done(c, q, err, "insert vault item");
}

static void sq__bind_text_or_null(sqlite3_stmt *q, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

/* Replace the conversation's dialog state (one row per conversation). */
static int sq__upsert_state(struct sq_conn *c, const char *conv, const char *state,
                            long long now, struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_STATE_UPSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, now);
    return sq__step_done(c, q, err, "save dialog state");
}

/* The turn's record, tied to its first message (the customer's). */
static int sq__insert_record(struct sq_conn *c, const char *conv, long long message_id,
                             const struct kf_turn_record *r, long long now, struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_TURN_INSERT, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, message_id);
    sq__bind_text_or_null(q, 3, r->intent);
    sqlite3_bind_double(q, 4, r->intent_confidence);
    sq__bind_text_or_null(q, 5, r->entities_json);
    sq__bind_text_or_null(q, 6, r->sentiment);
    sq__bind_text_or_null(q, 7, r->flow);
    sq__bind_text_or_null(q, 8, r->action);
    sq__bind_text_or_null(q, 9, r->outcome);
    sqlite3_bind_int64(q, 10, now);
    return sq__step_done(c, q, err, "insert dialog turn");
}

/* How strongly a reason asks for a human (store.h kf_turn_write). */
static int sq__need_rank(const char *reason)
{
    if (reason == NULL || reason[0] == '\0')
        return 0;
    if (strcmp(reason, "low_confidence") == 0)
        return 1;
    if (strcmp(reason, "vip") == 0)
        return 2;
    if (strcmp(reason, "negative_streak") == 0)
        return 3;
    return 4; /* customer_request and the policy's other handoff reasons */
}

/* The agents' queue rules of one turn (store.h kf_turn_write): the strongest
 * reason the turn gives, written when it beats the conversation's current
 * one. `need`, `status` and `tier` are the row as the touch left it. */
static int sq__queue(struct sq_conn *c, struct kf_turn_write *t, const char *need,
                     const char *status, const char *tier, long long now, struct kf_err *err)
{
    const char *want = t->needs_human;
    if (t->sentiment_step > 0 && tier != NULL && strcmp(tier, "vip") == 0 &&
        sq__need_rank("vip") > sq__need_rank(want))
        want = "vip";
    if (t->sentiment_step > 0 && t->churn_streak > 0 && t->streak_out >= t->churn_streak &&
        sq__need_rank("negative_streak") > sq__need_rank(want))
        want = "negative_streak";
    if (want == NULL || strcmp(status, "closed") == 0 ||
        sq__need_rank(want) <= sq__need_rank(need))
        return KF_OK;
    sqlite3_stmt *q = sq__stmt(c, ST_CONV_NEED, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, t->conversation_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, want, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, now);
    int rc = sq__step_done(c, q, err, "queue conversation");
    if (rc == KF_OK)
        t->queued_out = want;
    return rc;
}

/* Touch the conversation (updated_at, the negative streak), then its queue
 * rules. An unknown id is ENOTFOUND, not a foreign-key failure of the
 * message insert that follows. */
static int sq__touch(struct sq_conn *c, struct kf_turn_write *t, long long now,
                     struct kf_err *err)
{
    sqlite3_stmt *q = sq__stmt(c, ST_CONV_TOUCH, err);
    if (q == NULL)
        return KF_ESTORE;
    sqlite3_bind_text(q, 1, t->conversation_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    sqlite3_bind_int(q, 3, t->sentiment_step > 0 ? 1 : t->sentiment_step < 0 ? -1 : 0);
    int r = sqlite3_step(q);
    if (r == SQLITE_DONE) {
        sqlite3_reset(q);
        return kf_errorf(err, KF_ENOTFOUND, "conversation not found");
    }
    if (r != SQLITE_ROW) {
        sqlite3_reset(q);
        return sq__error(c, err, "touch conversation");
    }
    char need[24], status[16], tier[16];
    t->streak_out = sqlite3_column_int(q, 0);
    sq__copy(need, sizeof need, sqlite3_column_text(q, 1));
    sq__copy(status, sizeof status, sqlite3_column_text(q, 2));
    sq__copy(tier, sizeof tier, sqlite3_column_text(q, 3));
    sqlite3_reset(q);
    if (t->needs_human == NULL && t->sentiment_step <= 0)
        return KF_OK; /* the common turn: nothing for the queue */
    return sq__queue(c, t, need, status, tier, now, err);
}

/* Apply one turn inside the open transaction on c. */
static int sq__apply_turn(struct sq_store *s, struct sq_conn *c, struct kf_turn_write *t,
                          long long now, struct kf_err *err)
{
    t->queued_out = NULL;
    int rc = sq__touch(c, t, now, err);
    sqlite3_stmt *q;
    for (size_t i = 0; rc == KF_OK && i < t->n; i++)
        rc = sq__insert_message(c, t->conversation_id, &t->msgs[i], now, err);
    /* the sealed raw values, in the same transaction as their messages */
    for (size_t i = 0; rc == KF_OK && i < t->nvault; i++)
        rc = sq__insert_vault(c, &t->vault[i], t->msgs[t->vault[i].msg].id, now, err);
    if (rc == KF_OK && t->new_status != NULL) {
        q = sq__stmt(c, ST_CONV_SET_STATUS, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_text(q, 1, t->conversation_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, t->new_status, -1, SQLITE_STATIC);
            rc = sq__step_done(c, q, err, "set conversation status");
        }
    }
    if (rc == KF_OK && t->handoff_reason != NULL) {
        q = sq__stmt(c, ST_HANDOFF_INSERT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_text(q, 1, t->conversation_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, t->msgs[0].id);
            sqlite3_bind_text(q, 3, t->handoff_reason, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 4, now);
            rc = sq__step_done(c, q, err, "insert handoff request");
        }
    }
    if (rc == KF_OK && t->dialog_state != NULL)
        rc = sq__upsert_state(c, t->conversation_id, t->dialog_state, now, err);
    if (rc == KF_OK && t->record != NULL)
        rc = sq__insert_record(c, t->conversation_id, t->msgs[0].id, t->record, now, err);
    /* a customer's message is an interaction event of their profile (D1) */
    if (rc == KF_OK && t->record != NULL && t->n > 0 && strcmp(t->msgs[0].role, "customer") == 0)
        rc = sq__events_turn(s, c, t->conversation_id, t->msgs[0].id, t->msgs[0].created_at,
                             t->record->intent, t->record->sentiment, err);
    return rc;
}

/*
 * Group commit. Turns that arrive while a commit is running queue up; the
 * first thread to find no leader takes the whole queue and writes it as one
 * transaction, each turn inside its own SAVEPOINT (so a failing turn, e.g.
 * an unknown conversation, is rolled back alone), then one COMMIT — one fsync
 * for the batch. Every caller still returns only after the COMMIT that holds
 * its turn, so the durability contract of store.h is unchanged.
 */
static void sq__run_batch(struct sq_store *s, struct commit_req *batch)
{
    pthread_mutex_lock(&s->write_lock);
    struct sq_conn *c = sq__borrow(s);
    long long now = kf_time_now_ms();
    struct kf_err berr = {0};
    int rc = sq__simple(c, ST_BEGIN, &berr);
    for (struct commit_req *r = batch; r != NULL; r = r->next) {
        if (rc != KF_OK) {
            r->rc = kf_errorf(r->err, rc, "%s", berr.msg);
            continue;
        }
        if (sq__simple(c, ST_SAVEPOINT, r->err) != KF_OK) {
            r->rc = KF_ESTORE;
            continue;
        }
        r->rc = sq__apply_turn(s, c, r->t, now, r->err);
        if (r->rc == KF_OK) {
            if (sq__simple(c, ST_RELEASE, r->err) != KF_OK)
                r->rc = KF_ESTORE;
        } else {
            sq__simple(c, ST_ROLLBACK_TO, NULL);
            sq__simple(c, ST_RELEASE, NULL);
        }
    }
    if (rc == KF_OK && sq__simple(c, ST_COMMIT, &berr) != KF_OK) {
        rc = KF_ESTORE;
        for (struct commit_req *r = batch; r != NULL; r = r->next)
            if (r->rc == KF_OK)
                r->rc = kf_errorf(r->err, KF_ESTORE, "%s", berr.msg);
    }
    if (rc != KF_OK)
        sq__rollback(c);
    for (struct commit_req *r = batch; r != NULL; r = r->next)
        if (r->rc != KF_OK)
            for (size_t i = 0; i < r->t->n; i++)
                r->t->msgs[i].id = 0;
    sq__give_back(s, c);
    pthread_mutex_unlock(&s->write_lock);
}

static int sq_turn_commit(struct kf_store *st, struct kf_turn_write *t, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct commit_req req = {.t = t, .err = err};
    pthread_mutex_lock(&s->q_lock);
    *s->q_tail = &req;
    s->q_tail = &req.next;
    while (!req.done) {
        if (s->q_leader) {
            pthread_cond_wait(&s->q_done, &s->q_lock);
            continue;
        }
        s->q_leader = 1;
        struct commit_req *batch = s->q_head;
        s->q_head = NULL;
        s->q_tail = &s->q_head;
        pthread_mutex_unlock(&s->q_lock);
        sq__run_batch(s, batch);
        pthread_mutex_lock(&s->q_lock);
        for (struct commit_req *r = batch, *next; r != NULL; r = next) {
            next = r->next;
            r->done = 1; /* r may be gone once its owner sees this */
        }
        s->q_leader = 0;
        pthread_cond_broadcast(&s->q_done);
    }
    pthread_mutex_unlock(&s->q_lock);
    return req.rc;
}

static const char *sq__col_dup(struct kf_arena *a, sqlite3_stmt *q, int col)
{
    const unsigned char *v = sqlite3_column_text(q, col);
    if (v == NULL)
        return NULL;
    return kf_arena_strndup(a, (const char *)v, (size_t)sqlite3_column_bytes(q, col));
}

/* Rows (id, role, text, lang, kind, meta, created_at) of a bound message
 * query into v (limit + 1 room: the extra row only sets *more); strings in
 * the arena. Resets q. */
static int sq__message_rows(struct sq_conn *c, sqlite3_stmt *q, int limit, struct kf_arena *a,
                            struct kf_message *v, size_t *n, int *more, const char *what,
                            struct kf_err *err)
{
    int rc = KF_OK, r;
    size_t k = 0;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (k == (size_t)limit) {
            *more = 1;
            break;
        }
        struct kf_message *m = &v[k++];
        m->id = sqlite3_column_int64(q, 0);
        m->role = sq__col_dup(a, q, 1);
        m->text = sq__col_dup(a, q, 2);
        m->lang = sq__col_dup(a, q, 3);
        m->kind = sq__col_dup(a, q, 4);
        m->meta_json = sq__col_dup(a, q, 5);
        m->created_at = sqlite3_column_int64(q, 6);
        if (m->role == NULL || m->text == NULL || m->lang == NULL || m->kind == NULL) {
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == KF_OK && r != SQLITE_ROW && r != SQLITE_DONE)
        rc = sq__error(c, err, what);
    sqlite3_reset(q);
    *n = k;
    return rc;
}

static int sq_messages_list(struct kf_store *st, const char *conversation_id, long long before,
                            int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                            int *more, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    *out = NULL;
    *n = 0;
    *more = 0;
    int rc = KF_OK;
    struct kf_message *v = kf_arena_calloc(a, (size_t)limit + 1, sizeof *v);
    sqlite3_stmt *q = v ? sq__stmt(c, ST_MSG_LIST, err) : NULL;
    if (v == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    } else if (q == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, before > 0 ? before : (long long)9e18);
        sqlite3_bind_int(q, 3, limit + 1); /* one extra tells whether more remain */
        size_t k = 0;
        rc = sq__message_rows(c, q, limit, a, v, &k, more, "list messages", err);
        /* rows came newest first; callers want oldest first */
        for (size_t i = 0; i < k / 2; i++) {
            struct kf_message tmp = v[i];
            v[i] = v[k - 1 - i];
            v[k - 1 - i] = tmp;
        }
        *out = v;
        *n = k;
    }
    sq__give_back(s, c);
    return rc;
}

/* Polling for what is new: rows come oldest first, as callers want them. */
static int sq_messages_after(struct kf_store *st, const char *conversation_id, long long after,
                             int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                             int *more, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_OK;
    struct kf_message *v = kf_arena_calloc(a, (size_t)limit + 1, sizeof *v);
    sqlite3_stmt *q = v ? sq__stmt(c, ST_MSG_AFTER, err) : NULL;
    if (v == NULL) {
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    } else if (q == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, after > 0 ? after : 0);
        sqlite3_bind_int(q, 3, limit + 1); /* one extra tells whether more remain */
        size_t k = 0;
        rc = sq__message_rows(c, q, limit, a, v, &k, more, "list new messages", err);
        *out = v;
        *n = k;
    }
    sq__give_back(s, c);
    return rc;
}

static int sq_dialog_state_get(struct kf_store *st, const char *conversation_id,
                               struct kf_arena *a, const char **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    *out = NULL;
    int rc = KF_OK;
    sqlite3_stmt *q = sq__stmt(c, ST_STATE_GET, err);
    if (q == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            *out = sq__col_dup(a, q, 0);
            if (*out == NULL)
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
        } else if (r != SQLITE_DONE) {
            rc = sq__error(c, err, "read dialog state");
        }
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    return rc;
}

static int sq_turns_list(struct kf_store *st, const char *conversation_id, int limit,
                         struct kf_arena *a, struct kf_turn_record **out, long long **message_ids,
                         size_t *n, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct kf_turn_record *recs = kf_arena_calloc(a, (size_t)limit, sizeof *recs);
    long long *ids = kf_arena_calloc(a, (size_t)limit, sizeof *ids);
    if (recs == NULL || ids == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_OK;
    size_t k = 0;
    sqlite3_stmt *q = sq__stmt(c, ST_TURNS_LIST, err);
    if (q == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, limit);
        int r;
        while ((r = sqlite3_step(q)) == SQLITE_ROW && k < (size_t)limit) {
            ids[k] = sqlite3_column_int64(q, 0);
            recs[k] = (struct kf_turn_record){
                .intent = sq__col_dup(a, q, 1),
                .intent_confidence = sqlite3_column_double(q, 2),
                .entities_json = sq__col_dup(a, q, 3),
                .sentiment = sq__col_dup(a, q, 4),
                .flow = sq__col_dup(a, q, 5),
                .action = sq__col_dup(a, q, 6),
                .outcome = sq__col_dup(a, q, 7),
            };
            k++;
        }
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            rc = sq__error(c, err, "list turns");
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    if (rc == KF_OK) {
        *out = recs;
        *n = k;
        if (message_ids != NULL)
            *message_ids = ids;
    }
    return rc;
}

static const unsigned char *sq__blob_dup(struct kf_arena *a, sqlite3_stmt *q, int col,
                                         size_t *len)
{
    const void *v = sqlite3_column_blob(q, col);
    int n = sqlite3_column_bytes(q, col);
    *len = (size_t)n;
    unsigned char *p = kf_arena_alloc(a, (size_t)n + 1);
    if (p != NULL && n > 0)
        memcpy(p, v, (size_t)n);
    return p;
}

static int sq_vault_list(struct kf_store *st, const char *conversation_id, long long first_id,
                         long long last_id, struct kf_arena *a, struct kf_vault_item **out,
                         size_t *n, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_OK;
    size_t cap = 0, k = 0;
    struct kf_vault_item *v = NULL;
    sqlite3_stmt *q = sq__stmt(c, ST_VAULT_LIST, err);
    if (q == NULL) {
        rc = KF_ESTORE;
    } else {
        sqlite3_bind_text(q, 1, conversation_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, first_id);
        sqlite3_bind_int64(q, 3, last_id);
        int r;
        while ((r = sqlite3_step(q)) == SQLITE_ROW) {
            if (k == cap) { /* grow in the arena: double, copy */
                size_t ncap = cap ? cap * 2 : 16;
                struct kf_vault_item *nv = kf_arena_calloc(a, ncap, sizeof *nv);
                if (nv == NULL) {
                    rc = kf_errorf(err, KF_ENOMEM, "out of memory");
                    break;
                }
                if (k > 0)
                    memcpy(nv, v, k * sizeof *v);
                v = nv;
                cap = ncap;
            }
            struct kf_vault_item *it = &v[k++];
            it->message_id = sqlite3_column_int64(q, 0);
            it->type = sq__col_dup(a, q, 1);
            it->start = (size_t)sqlite3_column_int64(q, 2);
            it->end = (size_t)sqlite3_column_int64(q, 3);
            it->nonce = sq__blob_dup(a, q, 4, &it->nonce_len);
            it->ciphertext = sq__blob_dup(a, q, 5, &it->ciphertext_len);
            it->key_id = sq__col_dup(a, q, 6);
            if (it->type == NULL || it->nonce == NULL || it->ciphertext == NULL ||
                it->key_id == NULL) {
                rc = kf_errorf(err, KF_ENOMEM, "out of memory");
                break;
            }
        }
        if (rc == KF_OK && r != SQLITE_DONE)
            rc = sq__error(c, err, "list vault items");
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    *out = rc == KF_OK ? v : NULL;
    *n = rc == KF_OK ? k : 0;
    return rc;
}

/* Write entry points: the same functions under the process's write lock. */
static int sq_customer_resolve(struct kf_store *st, const char *channel, const char *external_id,
                               const char *name, long long *customer_id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    pthread_mutex_lock(&s->write_lock);
    int rc = sq_customer_resolve__locked(st, channel, external_id, name, customer_id, err);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static int sq_conversation_create(struct kf_store *st, const struct kf_conversation *c,
                                  struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    pthread_mutex_lock(&s->write_lock);
    int rc = sq_conversation_create__locked(st, c, err);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}


static const struct kf_store_ops sq_ops = {
    .name = "sqlite",
    .free = sq_free,
    .migrate = sq_migrate,
    .ping = sq_ping,
    .customer_resolve = sq_customer_resolve,
    .conversation_create = sq_conversation_create,
    .conversation_get = sq_conversation_get,
    .conversation_find_open = sq_conversation_find_open,
    .turn_commit = sq_turn_commit,
    .messages_list = sq_messages_list,
    .messages_after = sq_messages_after,
    .dialog_state_get = sq_dialog_state_get,
    .turns_list = sq_turns_list,
    .vault_list = sq_vault_list,
};

/* mkdir -p of the folder that will hold the database file */
static int sq__make_parent(const char *path, struct kf_err *err)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return kf_errorf(err, KF_EINVAL, "database path too long");
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return KF_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(dir, 0750) != 0 && errno != EEXIST)
                return kf_errorf(err, KF_EIO, "cannot create %s: %s", dir, strerror(errno));
            *p = '/';
        }
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return kf_errorf(err, KF_EIO, "cannot create %s: %s", dir, strerror(errno));
    return KF_OK;
}

int kf_sqlite_store_open(struct kf_store_params params, struct kf_store **out, struct kf_err *err)
{
    int rc = sq__make_parent(params.path, err);
    if (rc != KF_OK)
        return rc;
    struct sq_store *s = kf_calloc(1, sizeof *s);
    if (s == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    s->super.ops = &sq_ops;
    s->super.repo = &kf_sqlite_repo_ops;
    s->super.events = &kf_sqlite_events_ops;
    s->super.mining = &kf_sqlite_mining_ops;
    s->super.reco = &kf_sqlite_reco_ops;
    s->super.campaigns = &kf_sqlite_campaign_ops;
    s->super.ops_tables = &kf_sqlite_ops_ops;
    s->super.agent = &kf_sqlite_agent_ops;
    s->super.review = &kf_sqlite_review_ops;
    s->super.experiments = &kf_sqlite_experiment_ops;
    s->super.auth = &kf_sqlite_auth_ops;
    s->params = params;
    s->nconn = params.pool_size > 0 ? params.pool_size : 4;
    s->path = kf_strdup(params.path);
    s->conns = kf_calloc((size_t)s->nconn, sizeof *s->conns);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_done, NULL);
    s->q_tail = &s->q_head;
    pthread_cond_init(&s->freed, NULL);
    if (s->path == NULL || s->conns == NULL) {
        sq_free(&s->super);
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    for (int i = 0; i < s->nconn; i++) {
        rc = sq__conn_open(s, &s->conns[i], err);
        if (rc != KF_OK) {
            sq_free(&s->super);
            return rc;
        }
    }
    *out = &s->super;
    return KF_OK;
}
