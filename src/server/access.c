/*
 * access.c — who may call what: one table of path patterns and the smallest
 * role each needs, checked by the router before any handler runs.
 *
 * Patterns: literal segments, "*" for exactly one segment, and a trailing
 * "**" for any rest (including none). The first row whose method and
 * pattern match wins, so specific rows come before general ones. A path
 * under /api/ or /metrics that no row names needs an admin: a new route is
 * closed until it is given a row (tests/integration/access.c walks the
 * table with every role).
 *
 * Roles form a ladder (http_int.h enum kf_role): none < customer < channel
 * < agent < supervisor < admin. A customer's session reaches only routes
 * marked customer, and those handlers check the customer is the one asked
 * about (api_require_customer). Conversations are reached by their id — 128
 * random bits handed only to the conversation's customer — so the customer
 * routes of a conversation need no login (docs/auth.md "Customers").
 */
#include <string.h>
#include <strings.h>

#include <stdio.h>

#include "http_int.h"
#include "kefu/auth.h"

struct access_rule {
    const char *method; /* "GET", ..., or "*" */
    const char *pattern;
    enum kf_role role;
};

static const struct access_rule access_rules[] = {
    /* health and the Prometheus scrape */
    {"*", "/healthz", KF_ROLE_NONE},
    {"*", "/readyz", KF_ROLE_NONE},
    {"GET", "/metrics", KF_ROLE_SUPERVISOR},
    /* channels */
    {"*", "/webhooks/rest/webhook", KF_ROLE_CHANNEL},
    {"*", "/api/v1/nlu/parse", KF_ROLE_CHANNEL},
    /* sign in and out */
    {"POST", "/api/v1/auth/login", KF_ROLE_NONE},
    {"POST", "/api/v1/auth/logout", KF_ROLE_NONE},
    {"GET", "/api/v1/auth/me", KF_ROLE_NONE},
    /* conversations: the customer's side (the id is the key) ... */
    {"POST", "/api/v1/conversations", KF_ROLE_NONE},
    {"GET", "/api/v1/conversations", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/turns", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/takeover", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/reply", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/handback", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/close", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/notes", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/suggestions", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/context", KF_ROLE_AGENT},
    {"*", "/api/v1/conversations/*/typing", KF_ROLE_NONE},
    {"*", "/api/v1/conversations/*/csat", KF_ROLE_NONE},
    {"*", "/api/v1/conversations/*/ws", KF_ROLE_NONE},
    {"*", "/api/v1/conversations/*/end", KF_ROLE_NONE},
    {"*", "/api/v1/conversations/**", KF_ROLE_NONE},
    /* ... and the agents' */
    {"GET", "/api/v1/agents/ws", KF_ROLE_AGENT},
    {"*", "/api/v1/queue", KF_ROLE_AGENT},
    {"*", "/api/v1/canned", KF_ROLE_AGENT},
    {"*", "/api/v1/messages/*/intent", KF_ROLE_AGENT},
    /* a customer's own records (handlers check which customer) */
    {"GET", "/api/v1/me", KF_ROLE_CUSTOMER},
    {"GET", "/api/v1/me/**", KF_ROLE_CUSTOMER},
    {"GET", "/api/v1/customers/*/orders", KF_ROLE_CUSTOMER},
    /* the catalogue is public; a recommendation click comes from the widget */
    {"GET", "/api/v1/products", KF_ROLE_NONE},
    {"GET", "/api/v1/products/**", KF_ROLE_NONE},
    {"POST", "/api/v1/recommendations/*/click", KF_ROLE_NONE},
    /* the back office */
    {"*", "/api/v1/tickets", KF_ROLE_AGENT},
    {"*", "/api/v1/tickets/**", KF_ROLE_AGENT},
    {"*", "/api/v1/customers", KF_ROLE_AGENT},
    {"*", "/api/v1/customers/**", KF_ROLE_AGENT},
    {"*", "/api/v1/orders", KF_ROLE_AGENT},
    {"*", "/api/v1/orders/**", KF_ROLE_AGENT},
    {"POST", "/api/v1/events", KF_ROLE_AGENT},
    /* supervisors: review, reports, experiments, alerts */
    {"*", "/api/v1/review", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/review/**", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/segments", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/segments/**", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/reports/**", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/experiments", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/experiments/**", KF_ROLE_SUPERVISOR},
    {"*", "/api/v1/alerts", KF_ROLE_AGENT}, /* the console shows the banner too */
    /* admins: accounts and keys */
    {"*", "/api/v1/users", KF_ROLE_ADMIN},
    {"*", "/api/v1/users/**", KF_ROLE_ADMIN},
    {"*", "/api/v1/keys", KF_ROLE_ADMIN},
    {"*", "/api/v1/keys/**", KF_ROLE_ADMIN},
};

/* Does url (without the query) match pattern? */
static int access__match(const char *pat, const char *url)
{
    while (*pat != '\0') {
        if (pat[0] == '*' && pat[1] == '*')
            return 1; /* the rest, whatever it is */
        if (pat[0] == '*') {
            size_t n = strcspn(url, "/");
            if (n == 0)
                return 0;
            url += n;
            pat++;
            continue;
        }
        if (*pat != *url)
            return 0;
        pat++;
        url++;
    }
    /* a trailing slash is the same path */
    return *url == '\0' || (url[0] == '/' && url[1] == '\0');
}

enum kf_role access_required(const char *method, const char *url)
{
    for (size_t i = 0; i < sizeof access_rules / sizeof access_rules[0]; i++) {
        const struct access_rule *a = &access_rules[i];
        if ((a->method[0] == '*' || strcmp(a->method, method) == 0 ||
             (strcmp(method, "HEAD") == 0 && strcmp(a->method, "GET") == 0)) &&
            access__match(a->pattern, url))
            return a->role;
    }
    if (strncmp(url, "/api/", 5) == 0 || strncmp(url, "/webhooks/", 10) == 0 ||
        strcmp(url, "/metrics") == 0)
        return KF_ROLE_ADMIN; /* closed until the table names it */
    return KF_ROLE_NONE; /* static files */
}

static const char *const role_names[] = {"none", "customer", "channel", "agent", "supervisor",
                                         "admin"};

const char *kf_role_name(enum kf_role role)
{
    return (unsigned)role < sizeof role_names / sizeof role_names[0] ? role_names[role] : "none";
}

int kf_role_parse(const char *name, enum kf_role *out)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(role_names[i], name) == 0) {
            *out = (enum kf_role)i;
            return 0;
        }
    return -1;
}

int api_require(struct http_req *r, struct http_resp *out, enum kf_role min)
{
    if (min == KF_ROLE_NONE || r->who.role >= min)
        return 0;
    if (r->who.role == KF_ROLE_NONE) {
        http_error(r, out, 401, "unauthorized",
                   r->who.bad_credentials ? "the session or key is unknown or has expired"
                                          : "sign in first (a session or an API key)");
        return -1;
    }
    http_error(r, out, 403, "forbidden", "this needs the role %s (you are %s)", kf_role_name(min),
               kf_role_name(r->who.role));
    return -1;
}

int api_require_customer(struct http_req *r, struct http_resp *out, long long customer_id)
{
    if (r->who.role >= KF_ROLE_CHANNEL) /* staff, and channels speak for any customer */
        return 0;
    if (r->who.role == KF_ROLE_CUSTOMER && r->who.customer_id == customer_id)
        return 0;
    if (r->who.role == KF_ROLE_NONE)
        return api_require(r, out, KF_ROLE_CUSTOMER);
    http_error(r, out, 403, "forbidden", "a customer sees only their own records");
    return -1;
}

/* ---- credentials -------------------------------------------------------- */

/* The value of cookie `name` in a Cookie header, copied into out. */
static int access__cookie(const char *hdr, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = hdr;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            p += nl + 1;
            size_t n = strcspn(p, ";");
            if (n == 0 || n >= cap)
                return 0;
            memcpy(out, p, n);
            out[n] = '\0';
            return 1;
        }
        p = strchr(p, ';');
    }
    return 0;
}

void http_authenticate(struct http_req *r)
{
    memset(&r->who, 0, sizeof r->who);
    char token[KF_AUTH_TOKEN_MAX];
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Api-Key");
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Cookie");
    int have = 0;
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        const char *t = h + 7;
        while (*t == ' ')
            t++;
        const char *reveal = r->srv->p.reveal_token;
        /* the PII reveal token (privacy.reveal_token) is not a session */
        if (reveal != NULL && reveal[0] != '\0' && strcmp(t, reveal) == 0)
            return;
        if (strlen(t) < sizeof token) {
            memcpy(token, t, strlen(t) + 1);
            have = 1;
        } else {
            r->who.bad_credentials = 1;
            return;
        }
    } else if (key != NULL) {
        if (strlen(key) < sizeof token) {
            memcpy(token, key, strlen(key) + 1);
            have = 1;
        } else {
            r->who.bad_credentials = 1;
            return;
        }
    } else if (cookie != NULL) {
        have = access__cookie(cookie, "kefu_session", token, sizeof token);
    }
    if (!have)
        return;
    struct kf_auth_who who;
    struct kf_err err = {0};
    int rc = kf_auth_lookup(kf_engine_store(r->srv->p.engine), token, &who, &err);
    if (rc != KF_OK) {
        if (rc != KF_ENOTFOUND)
            KF_WARN(r->srv->p.log, "auth", "%s", err.msg);
        r->who.bad_credentials = 1;
        return;
    }
    enum kf_role role;
    if (kf_role_parse(who.role, &role) != 0)
        return;
    r->who.role = role;
    r->who.user_id = who.user_id;
    r->who.customer_id = who.customer_id;
    r->who.key_id = who.key_id;
    if (who.name[0] != '\0')
        snprintf(r->who.name, sizeof r->who.name, "%s", who.name);
    else
        snprintf(r->who.name, sizeof r->who.name, "customer:%lld", who.customer_id);
}
