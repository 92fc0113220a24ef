/*
 * auth_int.h — the backend table behind auth.h (internal to src/data).
 *
 * auth.c validates names, roles and passwords, hashes passwords (Argon2id)
 * and tokens (SHA-256), then calls st->auth; the SQLite backend fills it in
 * (sqlite_auth.c). Token hashes are KF_AUTH_HASH_BYTES raw bytes.
 */
#ifndef KEFU_AUTH_INT_H
#define KEFU_AUTH_INT_H

#include "kefu/auth.h"
#include "store_int.h"

#define KF_AUTH_HASH_BYTES 32

struct kf_auth_ops {
    /* KF_ECONFLICT when the username is taken */
    int (*user_insert)(struct kf_store *st, const char *username, const char *display_name,
                       const char *role, const char *hash, long long now, long long *id,
                       struct kf_err *err);
    /* the stored hash (≤ 255 bytes) and the user's id; KF_ENOTFOUND, also
     * for a disabled user */
    int (*user_secret)(struct kf_store *st, const char *username, char *hash, size_t cap,
                       long long *id, struct kf_err *err);
    int (*user_set_password)(struct kf_store *st, const char *username, const char *hash,
                             long long now, struct kf_err *err);
    /* role NULL: unchanged; disabled < 0: unchanged; ends the user's sessions
     * when it disables or changes the role */
    int (*user_update)(struct kf_store *st, const char *username, const char *role, int disabled,
                       long long now, struct kf_err *err);
    int (*users_list)(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
    int (*users_count)(struct kf_store *st, long long *n, struct kf_err *err);
    /* a session row; also drops expired sessions */
    int (*session_insert)(struct kf_store *st, const unsigned char *hash, long long user_id,
                          long long customer_id, const char *role, long long now,
                          long long expires, struct kf_err *err);
    int (*session_delete)(struct kf_store *st, const unsigned char *hash, struct kf_err *err);
    /* a live session (its user enabled) or an unrevoked key; KF_ENOTFOUND */
    int (*lookup)(struct kf_store *st, const unsigned char *hash, int is_key, long long now,
                  struct kf_auth_who *who, struct kf_err *err);
    int (*key_insert)(struct kf_store *st, const char *name, const char *prefix,
                      const unsigned char *hash, const char *role, long long now, long long *id,
                      struct kf_err *err);
    int (*keys_list)(struct kf_store *st, json_t **out, struct kf_err *err);
    int (*key_revoke)(struct kf_store *st, const char *name, long long now, struct kf_err *err);
};

#endif
