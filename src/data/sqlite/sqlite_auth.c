/*
 * sqlite_auth.c — the SQLite half of auth.h: users, sessions and API keys
 * (migration 5).
 *
 * How it fits: auth.c validates and hashes, then calls this table
 * (kf_sqlite_auth_ops, auth_int.h). Tokens arrive already hashed (32-byte
 * BLOBs); nothing here sees a password or a token.
 *
 * A lookup is one primary-key probe (sessions) or one unique-index probe
 * (api_keys) joined to users, run on every request that carries
 * credentials, so it never writes: expired sessions are dropped when a new
 * one is made, not when an old one is read.
 */
#include <string.h>

#include "../auth_int.h"
#include "sqlite_int.h"

enum astmt {
    AS_USER_INSERT,
    AS_USER_SECRET,
    AS_USER_PASSWORD,
    AS_USER_UPDATE,
    AS_USER_SESSIONS_END,
    AS_USERS_LIST,
    AS_USER_ONE,
    AS_USERS_COUNT,
    AS_SESSION_PURGE,
    AS_SESSION_INSERT,
    AS_SESSION_DELETE,
    AS_LOOKUP_SESSION,
    AS_LOOKUP_KEY,
    AS_KEY_INSERT,
    AS_KEYS_LIST,
    AS_KEY_REVOKE,
    AS__COUNT
};

_Static_assert(AS__COUNT <= SQ_AREA_STMTS, "raise SQ_AREA_STMTS in sqlite_int.h");

#define AS_USER_COLS "id, username, display_name, role, disabled, created_at, updated_at"

static const char *const as_sql[AS__COUNT] = {
    [AS_USER_INSERT] = "INSERT INTO users (username, display_name, role, password_hash,"
                       " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    [AS_USER_SECRET] = "SELECT id, password_hash FROM users WHERE username = ?1 AND disabled = 0",
    [AS_USER_PASSWORD] =
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE username = ?1",
    [AS_USER_UPDATE] = "UPDATE users SET role = coalesce(?2, role),"
                       " disabled = CASE WHEN ?3 < 0 THEN disabled ELSE ?3 END, updated_at = ?4"
                       " WHERE username = ?1",
    [AS_USER_SESSIONS_END] =
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
    [AS_USERS_LIST] = "SELECT " AS_USER_COLS " FROM users ORDER BY username",
    [AS_USER_ONE] = "SELECT " AS_USER_COLS " FROM users WHERE id = ?1",
    [AS_USERS_COUNT] = "SELECT count(*) FROM users",
    [AS_SESSION_PURGE] = "DELETE FROM sessions WHERE expires_at < ?1",
    [AS_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id, customer_id, role,"
                          " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [AS_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [AS_LOOKUP_SESSION] =
        "SELECT coalesce(u.role, s.role), coalesce(s.user_id, 0), coalesce(s.customer_id, 0),"
        " coalesce(u.username, '') FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ?1 AND s.expires_at > ?2"
        " AND (s.user_id IS NULL OR u.disabled = 0)",
    [AS_LOOKUP_KEY] = "SELECT role, id, name FROM api_keys WHERE key_hash = ?1"
                      " AND revoked_at IS NULL",
    [AS_KEY_INSERT] = "INSERT INTO api_keys (name, prefix, key_hash, role, created_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [AS_KEYS_LIST] = "SELECT id, name, prefix, role, created_at, revoked_at FROM api_keys"
                     " ORDER BY name",
    [AS_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1"
                      " AND revoked_at IS NULL",
};

static sqlite3_stmt *as__stmt(struct sq_conn *c, enum astmt id, struct kf_err *err)
{
    return sq__prepared(c, &c->area_stmt[SQ_AUTH][id], as_sql[id], err);
}

/* A write that changes nothing is "not found". */
static int as__changed(struct sq_conn *c, int rc, const char *what, const char *name,
                       struct kf_err *err)
{
    if (rc == KF_OK && sqlite3_changes(c->db) == 0)
        return kf_errorf(err, KF_ENOTFOUND, "%s '%.64s' not found", what, name);
    return rc;
}

static int as_user_insert(struct kf_store *st, const char *username, const char *display_name,
                          const char *role, const char *hash, long long now, long long *id,
                          struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_USER_INSERT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, username);
            sq__bind_text(q, 2, display_name);
            sq__bind_text(q, 3, role);
            sq__bind_text(q, 4, hash);
            sqlite3_bind_int64(q, 5, now);
            int r = sqlite3_step(q);
            if ((r & 0xff) == SQLITE_CONSTRAINT)
                rc = kf_errorf(err, KF_ECONFLICT, "username '%s' is taken", username);
            else if (r != SQLITE_DONE)
                rc = sq__error(c, err, "add user");
            else
                *id = sqlite3_last_insert_rowid(c->db);
            sqlite3_reset(q);
        }
    }
    return sq__write_end(s, c, rc, err);
}

static int as_user_secret(struct kf_store *st, const char *username, char *hash, size_t cap,
                          long long *id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = as__stmt(c, AS_USER_SECRET, err);
    if (q != NULL) {
        sq__bind_text(q, 1, username);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            const char *h = (const char *)sqlite3_column_text(q, 1);
            *id = sqlite3_column_int64(q, 0);
            if (h != NULL && strlen(h) < cap) {
                memcpy(hash, h, strlen(h) + 1);
                rc = KF_OK;
            } else {
                rc = kf_errorf(err, KF_ENOTFOUND, "user not found");
            }
        } else if (r == SQLITE_DONE) {
            rc = kf_errorf(err, KF_ENOTFOUND, "user not found");
        } else {
            rc = sq__error(c, err, "read user");
        }
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    return rc;
}

static int as_user_set_password(struct kf_store *st, const char *username, const char *hash,
                                long long now, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_USER_PASSWORD, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, username);
            sq__bind_text(q, 2, hash);
            sqlite3_bind_int64(q, 3, now);
            rc = as__changed(c, sq__done(c, q, "set password", err), "user", username, err);
        }
    }
    /* a new password ends the sessions made with the old one */
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_USER_SESSIONS_END, err);
        rc = q == NULL ? KF_ESTORE : (sq__bind_text(q, 1, username), sq__done(c, q, "end sessions", err));
    }
    return sq__write_end(s, c, rc, err);
}

static int as_user_update(struct kf_store *st, const char *username, const char *role,
                          int disabled, long long now, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_USER_UPDATE, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, username);
            sq__bind_text(q, 2, role);
            sqlite3_bind_int(q, 3, disabled);
            sqlite3_bind_int64(q, 4, now);
            rc = as__changed(c, sq__done(c, q, "update user", err), "user", username, err);
        }
    }
    if (rc == KF_OK && (disabled > 0 || role != NULL)) {
        sqlite3_stmt *q = as__stmt(c, AS_USER_SESSIONS_END, err);
        rc = q == NULL ? KF_ESTORE : (sq__bind_text(q, 1, username), sq__done(c, q, "end sessions", err));
    }
    return sq__write_end(s, c, rc, err);
}

static int as_users_list(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = as__stmt(c, id > 0 ? AS_USER_ONE : AS_USERS_LIST, err);
    if (q != NULL) {
        if (id > 0)
            sqlite3_bind_int64(q, 1, id);
        rc = sq__rows(c, q, out, err);
    }
    sq__give_back(s, c);
    if (rc == KF_OK) {
        size_t i;
        json_t *u;
        json_array_foreach(*out, i, u)
            json_object_set_new(u, "disabled",
                                json_boolean(json_integer_value(json_object_get(u, "disabled"))));
    }
    return rc;
}

static int as_users_count(struct kf_store *st, long long *n, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = as__stmt(c, AS_USERS_COUNT, err);
    int rc = q ? sq__int(c, q, n, err) : KF_ESTORE;
    sq__give_back(s, c);
    return rc;
}

static int as_session_insert(struct kf_store *st, const unsigned char *hash, long long user_id,
                             long long customer_id, const char *role, long long now,
                             long long expires, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_SESSION_PURGE, err);
        rc = q == NULL ? KF_ESTORE
                       : (sqlite3_bind_int64(q, 1, now), sq__done(c, q, "purge sessions", err));
    }
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_SESSION_INSERT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_blob(q, 1, hash, KF_AUTH_HASH_BYTES, SQLITE_STATIC);
            if (user_id > 0)
                sqlite3_bind_int64(q, 2, user_id);
            if (customer_id > 0)
                sqlite3_bind_int64(q, 3, customer_id);
            sq__bind_text(q, 4, role);
            sqlite3_bind_int64(q, 5, now);
            sqlite3_bind_int64(q, 6, expires);
            rc = sq__done(c, q, "start session", err);
        }
    }
    return sq__write_end(s, c, rc, err);
}

static int as_session_delete(struct kf_store *st, const unsigned char *hash, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_SESSION_DELETE, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sqlite3_bind_blob(q, 1, hash, KF_AUTH_HASH_BYTES, SQLITE_STATIC);
            rc = sq__done(c, q, "end session", err);
        }
    }
    return sq__write_end(s, c, rc, err);
}

static void as__copy(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static int as_lookup(struct kf_store *st, const unsigned char *hash, int is_key, long long now,
                     struct kf_auth_who *who, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    int rc = KF_ESTORE;
    sqlite3_stmt *q = as__stmt(c, is_key ? AS_LOOKUP_KEY : AS_LOOKUP_SESSION, err);
    if (q != NULL) {
        sqlite3_bind_blob(q, 1, hash, KF_AUTH_HASH_BYTES, SQLITE_STATIC);
        if (!is_key)
            sqlite3_bind_int64(q, 2, now);
        int r = sqlite3_step(q);
        if (r == SQLITE_ROW) {
            as__copy(who->role, sizeof who->role, sqlite3_column_text(q, 0));
            if (is_key) {
                who->key_id = sqlite3_column_int64(q, 1);
                as__copy(who->name, sizeof who->name, sqlite3_column_text(q, 2));
            } else {
                who->user_id = sqlite3_column_int64(q, 1);
                who->customer_id = sqlite3_column_int64(q, 2);
                as__copy(who->name, sizeof who->name, sqlite3_column_text(q, 3));
            }
            rc = KF_OK;
        } else if (r == SQLITE_DONE) {
            rc = kf_errorf(err, KF_ENOTFOUND, "unknown token");
        } else {
            rc = sq__error(c, err, "look up token");
        }
        sqlite3_reset(q);
    }
    sq__give_back(s, c);
    return rc;
}

static int as_key_insert(struct kf_store *st, const char *name, const char *prefix,
                         const unsigned char *hash, const char *role, long long now,
                         long long *id, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_KEY_INSERT, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, name);
            sq__bind_text(q, 2, prefix);
            sqlite3_bind_blob(q, 3, hash, KF_AUTH_HASH_BYTES, SQLITE_STATIC);
            sq__bind_text(q, 4, role);
            sqlite3_bind_int64(q, 5, now);
            int r = sqlite3_step(q);
            if ((r & 0xff) == SQLITE_CONSTRAINT)
                rc = kf_errorf(err, KF_ECONFLICT, "key name '%s' is taken", name);
            else if (r != SQLITE_DONE)
                rc = sq__error(c, err, "add key");
            else
                *id = sqlite3_last_insert_rowid(c->db);
            sqlite3_reset(q);
        }
    }
    return sq__write_end(s, c, rc, err);
}

static int as_keys_list(struct kf_store *st, json_t **out, struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = as__stmt(c, AS_KEYS_LIST, err);
    int rc = q ? sq__rows(c, q, out, err) : KF_ESTORE;
    sq__give_back(s, c);
    return rc;
}

static int as_key_revoke(struct kf_store *st, const char *name, long long now,
                         struct kf_err *err)
{
    struct sq_store *s = (struct sq_store *)st;
    int rc;
    struct sq_conn *c = sq__write_begin(s, &rc, err);
    if (rc == KF_OK) {
        sqlite3_stmt *q = as__stmt(c, AS_KEY_REVOKE, err);
        if (q == NULL) {
            rc = KF_ESTORE;
        } else {
            sq__bind_text(q, 1, name);
            sqlite3_bind_int64(q, 2, now);
            rc = as__changed(c, sq__done(c, q, "revoke key", err), "active key", name, err);
        }
    }
    return sq__write_end(s, c, rc, err);
}

const struct kf_auth_ops kf_sqlite_auth_ops = {
    .user_insert = as_user_insert,
    .user_secret = as_user_secret,
    .user_set_password = as_user_set_password,
    .user_update = as_user_update,
    .users_list = as_users_list,
    .users_count = as_users_count,
    .session_insert = as_session_insert,
    .session_delete = as_session_delete,
    .lookup = as_lookup,
    .key_insert = as_key_insert,
    .keys_list = as_keys_list,
    .key_revoke = as_key_revoke,
};
