/*
 * migrations.h — the SQLite schema as numbered, append-only migrations.
 *
 * Never edit a migration that has shipped: add the next number. Each one
 * runs in its own transaction together with its row in schema_migrations.
 */
#ifndef KEFU_SQLITE_MIGRATIONS_H
#define KEFU_SQLITE_MIGRATIONS_H

#include <stddef.h>

struct kf_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct kf_migration kf_sqlite_migrations[];
extern const size_t kf_sqlite_migrations_len;

#endif
