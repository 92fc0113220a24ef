/*
 * api_auth.c — sign in and out, and the admin's users and API keys.
 *
 *   POST   /api/v1/auth/login   {"username","password"} → token + cookie
 *   POST   /api/v1/auth/logout  ends the session of the cookie or bearer
 *   GET    /api/v1/auth/me      who the credentials are (role "none" if nobody)
 *   GET    /api/v1/users        POST /api/v1/users {"username","role","password","display_name"}
 *   PATCH  /api/v1/users/{id}   {"role","disabled","password"}
 *   GET    /api/v1/keys         POST /api/v1/keys {"name","role"} → the key, once
 *   DELETE /api/v1/keys/{name}
 *
 * The session cookie is HttpOnly and SameSite=Strict (a page of another
 * site cannot make the browser send it, so no CSRF token is needed for the
 * JSON API), and Secure unless kefu listens on a loopback address
 * (auth.cookie_secure: auto) — behind a TLS proxy set it to always.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"
#include "kefu/auth.h"

static const struct kf_config *auth__cfg(struct http_req *r, struct kf_config *tmp)
{
    if (r->srv->p.config != NULL)
        return r->srv->p.config;
    *tmp = kf_config_default();
    return tmp;
}

static int auth__secure(struct http_req *r, const struct kf_config *cfg)
{
    if (strcmp(cfg->cookie_secure, "always") == 0)
        return 1;
    if (strcmp(cfg->cookie_secure, "never") == 0)
        return 0;
    const char *h = r->srv->p.host ? r->srv->p.host : "127.0.0.1";
    return !(strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
             strcmp(h, "localhost") == 0);
}

static void auth__cookie(struct http_req *r, struct http_resp *out, const char *token, long ttl_s,
                         const struct kf_config *cfg)
{
    char buf[256];
    snprintf(buf, sizeof buf, "kefu_session=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
             token, ttl_s, auth__secure(r, cfg) ? "; Secure" : "");
    out->set_cookie = kf_arena_strdup(r->arena, buf);
}

static json_t *auth__user_json(struct http_req *r)
{
    json_t *u = NULL;
    struct kf_err err = {0};
    if (r->who.user_id > 0 &&
        kf_users_get(kf_engine_store(r->srv->p.engine), r->who.user_id, &u, &err) == KF_OK)
        return u;
    return NULL;
}

static void auth__login(struct http_req *r, struct http_resp *out)
{
    static const char *const known[] = {"username", "password", NULL};
    json_t *body = http_body_object(r, out, 0);
    const char *user = NULL, *pw = NULL;
    if (body == NULL || api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "username", 64, 1, &user) < 0 ||
        api_body_string(r, out, body, "password", KF_AUTH_PASSWORD_MAX, 1, &pw) < 0)
        goto done;
    if (user == NULL || pw == NULL) {
        http_error(r, out, 400, "bad_request", "%s: missing", user == NULL ? "username" : "password");
        goto done;
    }
    struct kf_config tmp;
    const struct kf_config *cfg = auth__cfg(r, &tmp);
    char token[KF_AUTH_TOKEN_MAX];
    struct kf_auth_who who;
    struct kf_err err = {0};
    int rc = kf_auth_login(kf_engine_store(r->srv->p.engine), user, pw, cfg->session_ttl_s, token,
                           &who, &err);
    if (rc == KF_ENOTFOUND) {
        /* username only: never the password */
        KF_INFO(r->srv->p.log, "auth", "failed login for '%.64s'", user);
        http_error(r, out, 401, "unauthorized", "wrong username or password");
        goto done;
    }
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "auth", "%s signed in (%s)", who.name, who.role);
    r->who.user_id = who.user_id;
    json_t *u = auth__user_json(r);
    auth__cookie(r, out, token, cfg->session_ttl_s, cfg);
    json_t *doc = json_pack("{s:s,s:o*,s:I}", "token", token, "user", u, "expires_in",
                            (json_int_t)cfg->session_ttl_s);
    memset(token, 0, sizeof token);
    http_json(r, out, 200, doc);
done:
    json_decref(body);
}

/* The token the request signed in with (cookie or bearer), or NULL. */
static const char *auth__request_token(struct http_req *r, char *buf, size_t cap)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        snprintf(buf, cap, "%s", h + 7);
        return buf;
    }
    const char *c = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "kefu_session");
    if (c != NULL) {
        snprintf(buf, cap, "%s", c);
        return buf;
    }
    return NULL;
}

static void auth__logout(struct http_req *r, struct http_resp *out)
{
    char buf[KF_AUTH_TOKEN_MAX + 8];
    const char *t = auth__request_token(r, buf, sizeof buf);
    struct kf_err err = {0};
    if (t != NULL && strncmp(t, "kfk_", 4) != 0) {
        int rc = kf_auth_logout(kf_engine_store(r->srv->p.engine), t, &err);
        if (rc != KF_OK) {
            http_engine_error(r, out, rc, &err);
            return;
        }
    }
    struct kf_config tmp;
    const struct kf_config *cfg = auth__cfg(r, &tmp);
    out->set_cookie = auth__secure(r, cfg)
                          ? "kefu_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
                          : "kefu_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
    http_json(r, out, 200, json_pack("{s:b}", "ok", 1));
}

static void auth__me(struct http_req *r, struct http_resp *out)
{
    json_t *doc = json_pack("{s:s}", "role", kf_role_name(r->who.role));
    if (r->who.user_id > 0)
        json_object_set_new(doc, "user", auth__user_json(r));
    if (r->who.customer_id > 0)
        json_object_set_new(doc, "customer_id", json_integer(r->who.customer_id));
    if (r->who.key_id > 0)
        json_object_set_new(doc, "key", json_string(r->who.name));
    api_iso_times(doc, 0);
    http_json(r, out, 200, doc);
}

/* ---- users (admin) ---------------------------------------------------- */

static void users__list(struct http_req *r, struct http_resp *out)
{
    json_t *list = NULL;
    struct kf_err err = {0};
    int rc = kf_users_list(kf_engine_store(r->srv->p.engine), &list, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(list, 0);
    http_json(r, out, 200, json_pack("{s:o}", "users", list));
}

static void users__add(struct http_req *r, struct http_resp *out)
{
    static const char *const known[] = {"username", "role", "password", "display_name", NULL};
    static const char *const roles[] = {"agent", "supervisor", "admin", NULL};
    json_t *body = http_body_object(r, out, 0);
    const char *name = NULL, *role = NULL, *pw = NULL, *dn = NULL;
    if (body == NULL || api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "username", 64, 1, &name) < 0 ||
        api_body_enum(r, out, body, "role", roles, &role) < 0 ||
        api_body_string(r, out, body, "password", KF_AUTH_PASSWORD_MAX, 1, &pw) < 0 ||
        api_body_string(r, out, body, "display_name", 128, 0, &dn) < 0)
        goto done;
    if (name == NULL || role == NULL || pw == NULL) {
        http_error(r, out, 400, "bad_request", "%s: missing",
                   name == NULL ? "username" : role == NULL ? "role" : "password");
        goto done;
    }
    struct kf_err err = {0};
    long long id = 0;
    struct kf_store *st = kf_engine_store(r->srv->p.engine);
    int rc = kf_users_add(st, name, dn, role, pw, &id, &err);
    json_t *u = NULL;
    if (rc == KF_OK)
        rc = kf_users_get(st, id, &u, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "auth", "%s added user %s (%s)", r->who.name, name, role);
    api_iso_times(u, 0);
    http_json(r, out, 201, u);
done:
    json_decref(body);
}

static void users__patch(struct http_req *r, struct http_resp *out, long long id)
{
    static const char *const known[] = {"role", "disabled", "password", NULL};
    static const char *const roles[] = {"agent", "supervisor", "admin", NULL};
    json_t *body = http_body_object(r, out, 0);
    const char *role = NULL, *pw = NULL;
    int disabled = -1, set = 0;
    struct kf_store *st = kf_engine_store(r->srv->p.engine);
    json_t *u = NULL;
    struct kf_err err = {0};
    if (body == NULL || api_body_known(r, out, body, known) < 0 ||
        api_body_enum(r, out, body, "role", roles, &role) < 0 ||
        api_body_bool(r, out, body, "disabled", &disabled, &set) < 0 ||
        api_body_string(r, out, body, "password", KF_AUTH_PASSWORD_MAX, 1, &pw) < 0)
        goto done;
    if (!set)
        disabled = -1;
    int rc = kf_users_get(st, id, &u, &err);
    const char *name = rc == KF_OK ? json_string_value(json_object_get(u, "username")) : NULL;
    if (rc == KF_OK && id == r->who.user_id && (disabled == 1 || (role && strcmp(role, "admin"))))
        rc = kf_errorf(&err, KF_ECONFLICT, "an admin cannot demote or disable themselves");
    if (rc == KF_OK && (role != NULL || disabled >= 0))
        rc = kf_users_update(st, name, role, disabled, &err);
    if (rc == KF_OK && pw != NULL)
        rc = kf_users_passwd(st, name, pw, &err);
    json_decref(u);
    u = NULL;
    if (rc == KF_OK)
        rc = kf_users_get(st, id, &u, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "auth", "%s changed user %s", r->who.name, name);
    api_iso_times(u, 0);
    http_json(r, out, 200, u);
    u = NULL;
done:
    json_decref(u);
    json_decref(body);
}

/* ---- keys (admin) ------------------------------------------------------ */

static void keys__add(struct http_req *r, struct http_resp *out)
{
    static const char *const known[] = {"name", "role", NULL};
    static const char *const roles[] = {"channel", "agent", "supervisor", "admin", NULL};
    json_t *body = http_body_object(r, out, 0);
    const char *name = NULL, *role = NULL;
    if (body == NULL || api_body_known(r, out, body, known) < 0 ||
        api_body_string(r, out, body, "name", 64, 1, &name) < 0 ||
        api_body_enum(r, out, body, "role", roles, &role) < 0)
        goto done;
    if (name == NULL || role == NULL) {
        http_error(r, out, 400, "bad_request", "%s: missing", name == NULL ? "name" : "role");
        goto done;
    }
    char key[KF_AUTH_TOKEN_MAX];
    long long id = 0;
    struct kf_err err = {0};
    int rc = kf_keys_add(kf_engine_store(r->srv->p.engine), name, role, key, &id, &err);
    if (rc != KF_OK) {
        http_engine_error(r, out, rc, &err);
        goto done;
    }
    KF_INFO(r->srv->p.log, "auth", "%s added key %s (%s)", r->who.name, name, role);
    http_json(r, out, 201,
              json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "name", name, "role", role,
                        "key", key));
    memset(key, 0, sizeof key);
done:
    json_decref(body);
}

static void keys__list(struct http_req *r, struct http_resp *out)
{
    json_t *list = NULL;
    struct kf_err err = {0};
    int rc = kf_keys_list(kf_engine_store(r->srv->p.engine), &list, &err);
    if (rc != KF_OK)
        return http_engine_error(r, out, rc, &err);
    api_iso_times(list, 0);
    http_json(r, out, 200, json_pack("{s:o}", "keys", list));
}

int api_auth_route(struct http_req *r, struct http_resp *out)
{
    const char *url = r->url;
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0;
    if (strcmp(url, "/api/v1/auth/login") == 0) {
        post ? auth__login(r, out) : http_method_not_allowed(r, out, "POST");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/auth/logout") == 0) {
        post ? auth__logout(r, out) : http_method_not_allowed(r, out, "POST");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/auth/me") == 0) {
        get ? auth__me(r, out) : http_method_not_allowed(r, out, "GET");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/users") == 0 || strcmp(url, "/api/v1/users/") == 0) {
        get ? users__list(r, out) : post ? users__add(r, out)
                                         : http_method_not_allowed(r, out, "GET, POST");
        return HTTP_HANDLED;
    }
    char seg[80];
    const char *rest = NULL;
    if (api_path_segment(url, "/api/v1/users/", seg, sizeof seg, &rest)) {
        long long id = api_parse_id(seg);
        if (id < 0 || !api_path_end(rest))
            http_error(r, out, 404, "not_found", "no such user");
        else if (strcmp(r->method, "PATCH") == 0)
            users__patch(r, out, id);
        else
            http_method_not_allowed(r, out, "PATCH");
        return HTTP_HANDLED;
    }
    if (strcmp(url, "/api/v1/keys") == 0 || strcmp(url, "/api/v1/keys/") == 0) {
        get ? keys__list(r, out) : post ? keys__add(r, out)
                                        : http_method_not_allowed(r, out, "GET, POST");
        return HTTP_HANDLED;
    }
    if (api_path_segment(url, "/api/v1/keys/", seg, sizeof seg, &rest)) {
        if (seg[0] == '\0' || !api_path_end(rest)) {
            http_error(r, out, 404, "not_found", "no such key");
        } else if (strcmp(r->method, "DELETE") == 0) {
            struct kf_err err = {0};
            int rc = kf_keys_revoke(kf_engine_store(r->srv->p.engine), seg, &err);
            if (rc != KF_OK)
                http_engine_error(r, out, rc, &err);
            else
                http_json(r, out, 200, json_pack("{s:s,s:b}", "name", seg, "revoked", 1));
        } else {
            http_method_not_allowed(r, out, "DELETE");
        }
        return HTTP_HANDLED;
    }
    return HTTP_DECLINED;
}
