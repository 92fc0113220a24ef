/*
 * auth.c — accounts, sessions and API keys (auth.h): validation, password
 * hashing and token making, then a forward to the backend (auth_int.h).
 *
 * Design notes
 *  - Passwords: libsodium's crypto_pwhash_str_alg with Argon2id13 at the
 *    "interactive" limits (64 MiB, 2 passes): the encoded string carries its
 *    own salt and parameters, so limits can rise later without a migration
 *    (crypto_pwhash_str_needs_rehash).
 *  - A login for an unknown or disabled user still runs one Argon2id
 *    verification against a throw-away hash, so the time taken does not tell
 *    which usernames exist.
 *  - Tokens: 32 bytes from randombytes_buf, base64url without padding (43
 *    characters); API keys are "kfk_" + the same. Only SHA-256 of a token is
 *    stored: tokens are random, so a fast hash is enough (no dictionary to
 *    guess from), and a lookup is one index probe.
 */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "auth_int.h"

#define AUTH_KEY_PREFIX "kfk_"
#define AUTH_NAME_MAX 64

static long long auth__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int auth__ready(struct kf_store *st, struct kf_err *err)
{
    if (st == NULL || st->auth == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED, "auth: this store keeps no accounts");
    if (sodium_init() < 0)
        return kf_errorf(err, KF_EINTERNAL, "auth: libsodium did not start");
    return KF_OK;
}

/* 1..64 bytes of [A-Za-z0-9] and `extra`. */
static int auth__name(const char *field, const char *v, const char *extra, struct kf_err *err)
{
    if (v == NULL || v[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "%s: missing", field);
    size_t n = strnlen(v, AUTH_NAME_MAX + 1);
    if (n > AUTH_NAME_MAX)
        return kf_errorf(err, KF_EINVAL, "%s: longer than %d bytes", field, AUTH_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c) != NULL))
            return kf_errorf(err, KF_EINVAL, "%s: only letters, digits and %s are allowed", field,
                             extra);
    }
    return KF_OK;
}

static int auth__role(const char *v, int keys, struct kf_err *err)
{
    static const char *const staff[] = {"agent", "supervisor", "admin", NULL};
    if (v != NULL) {
        if (keys && strcmp(v, "channel") == 0)
            return KF_OK;
        for (const char *const *r = staff; *r != NULL; r++)
            if (strcmp(*r, v) == 0)
                return KF_OK;
    }
    return kf_errorf(err, KF_EINVAL, "role: '%.32s' is not one of %s", v ? v : "(none)",
                     keys ? "channel, agent, supervisor, admin" : "agent, supervisor, admin");
}

static int auth__password(const char *pw, struct kf_err *err)
{
    if (pw == NULL)
        return kf_errorf(err, KF_EINVAL, "password: missing");
    size_t n = strnlen(pw, KF_AUTH_PASSWORD_MAX + 1);
    if (n < KF_AUTH_PASSWORD_MIN)
        return kf_errorf(err, KF_EINVAL, "password: at least %d characters",
                         KF_AUTH_PASSWORD_MIN);
    if (n > KF_AUTH_PASSWORD_MAX)
        return kf_errorf(err, KF_EINVAL, "password: longer than %d bytes",
                         KF_AUTH_PASSWORD_MAX);
    return KF_OK;
}

static int auth__hash_password(const char *pw, char out[crypto_pwhash_STRBYTES],
                               struct kf_err *err)
{
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return kf_errorf(err, KF_ENOMEM, "auth: out of memory hashing a password");
    return KF_OK;
}

/* A fresh random token (with `prefix`) and its SHA-256. */
static void auth__token(const char *prefix, char token[KF_AUTH_TOKEN_MAX],
                        unsigned char hash[KF_AUTH_HASH_BYTES])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t pl = strlen(prefix);
    memcpy(token, prefix, pl);
    sodium_bin2base64(token + pl, KF_AUTH_TOKEN_MAX - pl, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    sodium_memzero(raw, sizeof raw);
}

/* ---- users ------------------------------------------------------------- */

int kf_users_add(struct kf_store *st, const char *username, const char *display_name,
                 const char *role, const char *password, long long *id, struct kf_err *err)
{
    int rc;
    if ((rc = auth__ready(st, err)) != KF_OK || (rc = auth__name("username", username, "._@-",
                                                                 err)) != KF_OK ||
        (rc = auth__role(role, 0, err)) != KF_OK || (rc = auth__password(password, err)) != KF_OK)
        return rc;
    if (display_name != NULL && strlen(display_name) > 128)
        return kf_errorf(err, KF_EINVAL, "display_name: longer than 128 bytes");
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = auth__hash_password(password, hash, err)) != KF_OK)
        return rc;
    long long uid = 0;
    rc = st->auth->user_insert(st, username, display_name, role, hash, auth__now(), &uid, err);
    if (rc == KF_OK && id != NULL)
        *id = uid;
    return rc;
}

int kf_users_passwd(struct kf_store *st, const char *username, const char *password,
                    struct kf_err *err)
{
    int rc;
    if ((rc = auth__ready(st, err)) != KF_OK || (rc = auth__password(password, err)) != KF_OK)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = auth__hash_password(password, hash, err)) != KF_OK)
        return rc;
    return st->auth->user_set_password(st, username, hash, auth__now(), err);
}

int kf_users_update(struct kf_store *st, const char *username, const char *role, int disabled,
                    struct kf_err *err)
{
    int rc;
    if ((rc = auth__ready(st, err)) != KF_OK)
        return rc;
    if (role != NULL && (rc = auth__role(role, 0, err)) != KF_OK)
        return rc;
    return st->auth->user_update(st, username, role, disabled, auth__now(), err);
}

int kf_users_list(struct kf_store *st, json_t **out, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    return rc != KF_OK ? rc : st->auth->users_list(st, 0, out, err);
}

int kf_users_get(struct kf_store *st, long long id, json_t **out, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    if (rc != KF_OK)
        return rc;
    json_t *list = NULL;
    if ((rc = st->auth->users_list(st, id, &list, err)) != KF_OK)
        return rc;
    if (json_array_size(list) == 0) {
        json_decref(list);
        return kf_errorf(err, KF_ENOTFOUND, "user %lld not found", id);
    }
    *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return KF_OK;
}

int kf_users_count(struct kf_store *st, long long *n, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    return rc != KF_OK ? rc : st->auth->users_count(st, n, err);
}

/* ---- sessions ---------------------------------------------------------- */

int kf_auth_login(struct kf_store *st, const char *username, const char *password, long ttl_s,
                  char token[KF_AUTH_TOKEN_MAX], struct kf_auth_who *who, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    if (rc != KF_OK)
        return rc;
    if (username == NULL || password == NULL || strlen(password) > KF_AUTH_PASSWORD_MAX ||
        auth__name("username", username, "._@-", err) != KF_OK)
        return kf_errorf(err, KF_ENOTFOUND, "wrong username or password");
    char hash[256];
    long long uid = 0;
    rc = st->auth->user_secret(st, username, hash, sizeof hash, &uid, err);
    if (rc != KF_OK && rc != KF_ENOTFOUND)
        return rc;
    int ok;
    if (rc == KF_ENOTFOUND) {
        /* the same work as a real check, so timing tells nothing */
        char dummy[crypto_pwhash_STRBYTES];
        unsigned char junk[16];
        randombytes_buf(junk, sizeof junk);
        if (auth__hash_password("not-a-password", dummy, err) != KF_OK)
            return KF_ENOMEM;
        int never = crypto_pwhash_str_verify(dummy, (const char *)junk, 0);
        ok = never == 0 && 0; /* the work is what counts, not its answer */
    } else {
        ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    }
    if (!ok)
        return kf_errorf(err, KF_ENOTFOUND, "wrong username or password");
    json_t *user = NULL;
    if ((rc = st->auth->users_list(st, uid, &user, err)) != KF_OK)
        return rc;
    json_t *u = json_array_get(user, 0);
    const char *role = json_string_value(json_object_get(u, "role"));
    if (role == NULL) {
        json_decref(user);
        return kf_errorf(err, KF_ENOTFOUND, "wrong username or password");
    }
    unsigned char th[KF_AUTH_HASH_BYTES];
    auth__token("", token, th);
    long long now = auth__now();
    rc = st->auth->session_insert(st, th, uid, 0, role, now, now + (long long)ttl_s * 1000, err);
    if (rc == KF_OK && who != NULL) {
        memset(who, 0, sizeof *who);
        snprintf(who->role, sizeof who->role, "%s", role);
        who->user_id = uid;
        snprintf(who->name, sizeof who->name, "%s", username);
    }
    json_decref(user);
    if (rc != KF_OK)
        sodium_memzero(token, KF_AUTH_TOKEN_MAX);
    return rc;
}

int kf_auth_customer_session(struct kf_store *st, long long customer_id, long ttl_s,
                             char token[KF_AUTH_TOKEN_MAX], struct kf_err *err)
{
    int rc = auth__ready(st, err);
    if (rc != KF_OK)
        return rc;
    if (customer_id <= 0)
        return kf_errorf(err, KF_EINVAL, "customer: missing");
    unsigned char th[KF_AUTH_HASH_BYTES];
    auth__token("", token, th);
    long long now = auth__now();
    return st->auth->session_insert(st, th, 0, customer_id, "customer", now,
                                    now + (long long)ttl_s * 1000, err);
}

int kf_auth_lookup(struct kf_store *st, const char *token, struct kf_auth_who *who,
                   struct kf_err *err)
{
    int rc = auth__ready(st, err);
    if (rc != KF_OK)
        return rc;
    size_t n = token ? strnlen(token, KF_AUTH_TOKEN_MAX) : 0;
    if (n < 16 || n >= KF_AUTH_TOKEN_MAX)
        return kf_errorf(err, KF_ENOTFOUND, "unknown token");
    unsigned char th[KF_AUTH_HASH_BYTES];
    crypto_hash_sha256(th, (const unsigned char *)token, n);
    memset(who, 0, sizeof *who);
    return st->auth->lookup(st, th, strncmp(token, AUTH_KEY_PREFIX, 4) == 0, auth__now(), who,
                            err);
}

int kf_auth_logout(struct kf_store *st, const char *token, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    if (rc != KF_OK)
        return rc;
    size_t n = token ? strnlen(token, KF_AUTH_TOKEN_MAX) : 0;
    if (n == 0 || n >= KF_AUTH_TOKEN_MAX)
        return KF_OK;
    unsigned char th[KF_AUTH_HASH_BYTES];
    crypto_hash_sha256(th, (const unsigned char *)token, n);
    return st->auth->session_delete(st, th, err);
}

/* ---- API keys ---------------------------------------------------------- */

int kf_keys_add(struct kf_store *st, const char *name, const char *role,
                char key[KF_AUTH_TOKEN_MAX], long long *id, struct kf_err *err)
{
    int rc;
    if ((rc = auth__ready(st, err)) != KF_OK || (rc = auth__name("name", name, "._-", err)) !=
                                                    KF_OK ||
        (rc = auth__role(role, 1, err)) != KF_OK)
        return rc;
    unsigned char th[KF_AUTH_HASH_BYTES];
    auth__token(AUTH_KEY_PREFIX, key, th);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.12s", key);
    long long kid = 0;
    rc = st->auth->key_insert(st, name, prefix, th, role, auth__now(), &kid, err);
    if (rc != KF_OK)
        sodium_memzero(key, KF_AUTH_TOKEN_MAX);
    else if (id != NULL)
        *id = kid;
    return rc;
}

int kf_keys_list(struct kf_store *st, json_t **out, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    return rc != KF_OK ? rc : st->auth->keys_list(st, out, err);
}

int kf_keys_revoke(struct kf_store *st, const char *name, struct kf_err *err)
{
    int rc = auth__ready(st, err);
    return rc != KF_OK ? rc : st->auth->key_revoke(st, name, auth__now(), err);
}

/* ---- customers' identities --------------------------------------------- */

int kf_auth_identity_ok(const char *secret, const char *external_id, const char *hash_hex)
{
    if (secret == NULL || external_id == NULL || hash_hex == NULL || sodium_init() < 0)
        return 0;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state s;
    /* the secret may be any length: the init form takes it as is */
    crypto_auth_hmacsha256_init(&s, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)external_id, strlen(external_id));
    crypto_auth_hmacsha256_final(&s, mac);
    unsigned char got[crypto_auth_hmacsha256_BYTES];
    size_t len = 0;
    if (strlen(hash_hex) != 2 * sizeof got ||
        sodium_hex2bin(got, sizeof got, hash_hex, strlen(hash_hex), NULL, &len, NULL) != 0 ||
        len != sizeof got)
        return 0;
    return sodium_memcmp(mac, got, sizeof got) == 0;
}
