/*
 * auth.h — staff accounts, sessions and API keys (issue 7, docs/auth.md).
 *
 * Passwords are hashed with Argon2id (libsodium crypto_pwhash_str, its
 * "interactive" limits); only the encoded hash is stored. Session tokens and
 * API keys are 32 random bytes in base64url; the store keeps only their
 * SHA-256, so a copy of the database lets nobody sign in. API keys start with
 * "kfk_" so a reader can tell them from session tokens, and show an
 * 8-character prefix in listings.
 *
 * Roles: staff are agent | supervisor | admin; keys add channel (speaks for
 * any customer of a channel); customer sessions (role "customer") are made
 * when a conversation starts and reach only that customer's records.
 *
 * Errors: KF_EINVAL (bad name, role or password: the message names the
 * field), KF_ECONFLICT (username or key name taken), KF_ENOTFOUND (no such
 * user or key; and every failed login, which never says which half was
 * wrong).
 */
#ifndef KEFU_AUTH_H
#define KEFU_AUTH_H

#include <jansson.h>

#include "kefu/err.h"
#include "kefu/store.h"

#define KF_AUTH_TOKEN_MAX 64    /* tokens and keys, with the NUL */
#define KF_AUTH_PASSWORD_MIN 8  /* bytes */
#define KF_AUTH_PASSWORD_MAX 256

/* Who a token stands for. */
struct kf_auth_who {
    char role[16];        /* customer | channel | agent | supervisor | admin */
    long long user_id;    /* staff sessions */
    long long customer_id; /* customer sessions */
    long long key_id;     /* API keys */
    char name[72];        /* username or key name ("" for customers) */
};

/* ---- users ---- */
/* username: 1..64 of [A-Za-z0-9._@-]; role agent|supervisor|admin. */
int kf_users_add(struct kf_store *st, const char *username, const char *display_name,
                 const char *role, const char *password, long long *id, struct kf_err *err);
int kf_users_passwd(struct kf_store *st, const char *username, const char *password,
                    struct kf_err *err);
/* role NULL: unchanged; disabled -1: unchanged. A disabled user's sessions
 * end at once. */
int kf_users_update(struct kf_store *st, const char *username, const char *role, int disabled,
                    struct kf_err *err);
/* [{id, username, display_name, role, disabled, created_at}], by username. */
int kf_users_list(struct kf_store *st, json_t **out, struct kf_err *err);
int kf_users_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
int kf_users_count(struct kf_store *st, long long *n, struct kf_err *err);

/* ---- sessions ---- */
/* Check the password (constant work whether or not the user exists) and
 * start a session of ttl_s seconds: the token (KF_AUTH_TOKEN_MAX) is shown
 * once. KF_ENOTFOUND "wrong username or password" on any failure. */
int kf_auth_login(struct kf_store *st, const char *username, const char *password, long ttl_s,
                  char token[KF_AUTH_TOKEN_MAX], struct kf_auth_who *who, struct kf_err *err);
/* A session for a customer (the widget's), ttl_s seconds. */
int kf_auth_customer_session(struct kf_store *st, long long customer_id, long ttl_s,
                             char token[KF_AUTH_TOKEN_MAX], struct kf_err *err);
/* Who a session token or API key is: KF_ENOTFOUND when unknown, expired,
 * revoked or its user disabled. */
int kf_auth_lookup(struct kf_store *st, const char *token, struct kf_auth_who *who,
                   struct kf_err *err);
int kf_auth_logout(struct kf_store *st, const char *token, struct kf_err *err);

/* ---- API keys ---- */
/* name: 1..64 of [A-Za-z0-9._-]; role channel|agent|supervisor|admin. The
 * key (KF_AUTH_TOKEN_MAX) is shown once. */
int kf_keys_add(struct kf_store *st, const char *name, const char *role,
                char key[KF_AUTH_TOKEN_MAX], long long *id, struct kf_err *err);
/* [{id, name, prefix, role, created_at, last_used_at, revoked_at}] */
int kf_keys_list(struct kf_store *st, json_t **out, struct kf_err *err);
int kf_keys_revoke(struct kf_store *st, const char *name, struct kf_err *err);

/* ---- customers' identities (auth.identity_secret) ---- */
/* 1 when hash_hex is the HMAC-SHA256 of external_id under secret (hex,
 * compared in constant time), else 0. */
int kf_auth_identity_ok(const char *secret, const char *external_id, const char *hash_hex);

#endif
