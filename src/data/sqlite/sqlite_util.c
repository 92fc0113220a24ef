/*
 * sqlite_util.c — statement, row and write-transaction helpers shared by
 * the files of the SQLite backend (declared in sqlite_int.h).
 *
 * Rows become JSON by their column names: a column "x" becomes key "x",
 * "x:json" is JSON text parsed into key "x", and "_x" is read by the code
 * but left out of the record (internal ids). So a record's shape is written
 * once, in its SELECT.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

sqlite3_stmt *sq__prepared(struct sq_conn *c, sqlite3_stmt **slot, const char *sql,
                           struct kf_err *err)
{
    if (*slot == NULL) {
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
            SQLITE_OK) {
            sq__error(c, err, "prepare");
            return NULL;
        }
    } else {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
    }
    return *slot;
}

void sq__bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, i);
}

void sq__bind_ms(sqlite3_stmt *q, int i, long long v)
{
    if (v != 0)
        sqlite3_bind_int64(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

int sq__done(struct sq_conn *c, sqlite3_stmt *q, const char *what, struct kf_err *err)
{
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    return r == SQLITE_DONE ? KF_OK : sq__error(c, err, what);
}

json_t *sq__column(sqlite3_stmt *q, int i, int parse)
{
    switch (sqlite3_column_type(q, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(q, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(q, i));
    case SQLITE_NULL:
        return json_null();
    default:
        break;
    }
    const char *t = (const char *)sqlite3_column_text(q, i);
    size_t n = (size_t)sqlite3_column_bytes(q, i);
    if (parse) {
        json_t *v = json_loadb(t, n, JSON_DECODE_ANY, NULL);
        return v != NULL ? v : json_null();
    }
    return json_stringn(t, n);
}

json_t *sq__row(sqlite3_stmt *q)
{
    json_t *o = json_object();
    int n = sqlite3_column_count(q);
    for (int i = 0; o != NULL && i < n; i++) {
        const char *name = sqlite3_column_name(q, i);
        if (name[0] == '_')
            continue;
        const char *colon = strchr(name, ':');
        size_t len = colon ? (size_t)(colon - name) : strlen(name);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)len, name);
        json_t *v = sq__column(q, i, colon != NULL);
        if (v == NULL || json_object_set_new(o, key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int sq__rows(struct sq_conn *c, sqlite3_stmt *q, json_t **out, struct kf_err *err)
{
    json_t *a = json_array();
    int r = SQLITE_ERROR;
    while (a != NULL && (r = sqlite3_step(q)) == SQLITE_ROW) {
        if (json_array_append_new(a, sq__row(q)) != 0) {
            r = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(q);
    if (r != SQLITE_DONE) {
        json_decref(a);
        *out = NULL;
        return a == NULL || r == SQLITE_NOMEM ? kf_errorf(err, KF_ENOMEM, "out of memory")
                                              : sq__error(c, err, "read rows");
    }
    *out = a;
    return KF_OK;
}

int sq__one(struct sq_conn *c, sqlite3_stmt *q, const char *what, json_t **out, long long *id,
            struct kf_err *err)
{
    *out = NULL;
    int r = sqlite3_step(q);
    int rc = KF_OK;
    if (r == SQLITE_ROW) {
        *out = sq__row(q);
        if (id != NULL)
            *id = sqlite3_column_int64(q, 0);
        if (*out == NULL)
            rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    } else if (r == SQLITE_DONE) {
        rc = kf_errorf(err, KF_ENOTFOUND, "%s not found", what);
    } else {
        rc = sq__error(c, err, what);
    }
    sqlite3_reset(q);
    return rc;
}

int sq__int(struct sq_conn *c, sqlite3_stmt *q, long long *v, struct kf_err *err)
{
    int r = sqlite3_step(q);
    *v = r == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    return r == SQLITE_ROW || r == SQLITE_DONE ? KF_OK : sq__error(c, err, "read");
}

struct sq_conn *sq__write_begin(struct sq_store *s, int *rc, struct kf_err *err)
{
    pthread_mutex_lock(&s->write_lock);
    struct sq_conn *c = sq__borrow(s);
    sqlite3_stmt *q = sq__prepared(c, &c->tx_stmt[0], "BEGIN IMMEDIATE", err);
    *rc = q ? sq__done(c, q, "begin", err) : KF_ESTORE;
    return c;
}

int sq__write_end(struct sq_store *s, struct sq_conn *c, int rc, struct kf_err *err)
{
    if (rc == KF_OK) {
        sqlite3_stmt *q = sq__prepared(c, &c->tx_stmt[1], "COMMIT", err);
        rc = q ? sq__done(c, q, "commit", err) : KF_ESTORE;
    }
    if (rc != KF_OK)
        sq__rollback(c);
    sq__give_back(s, c);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

int sq__write_end_record(struct sq_store *s, struct sq_conn *c, int rc, json_t **out,
                         struct kf_err *err)
{
    rc = sq__write_end(s, c, rc, err);
    if (rc != KF_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
