/*
 * connector.c — the public face of connector.h: default params, choosing a
 * back end by params.type, and dispatch through the ops table of
 * connector_int.h.
 *
 * Assumes params strings are valid for the duration of kf_connector_new only
 * (each back end copies what it keeps); the store and log are borrowed.
 */
#include "connector_int.h"

#include <stdio.h>
#include <string.h>

struct kf_connector_params kf_connector_default_params(void)
{
    return (struct kf_connector_params){.backend = "orders",
                                        .type = "builtin",
                                        .timeout_ms = 3000,
                                        .retries = 2,
                                        .backoff_ms = 100,
                                        .breaker_failures = 5,
                                        .breaker_reset_ms = 30000};
}

void kf__connector_init(struct kf_connector *c, const struct kf_connector_ops *ops,
                        const struct kf_connector_params *p)
{
    c->ops = ops;
    snprintf(c->backend, sizeof c->backend, "%s", p->backend ? p->backend : "connector");
    c->log = p->log;
}

int kf_connector_new(struct kf_connector_params params, struct kf_connector **out,
                     struct kf_err *err)
{
    *out = NULL;
    const char *backend = params.backend ? params.backend : "connector";
    if (strlen(backend) >= KF_CONNECTOR_BACKEND_MAX)
        return kf_errorf(err, KF_ECONFIG, "connector: backend name longer than %d bytes",
                         KF_CONNECTOR_BACKEND_MAX - 1);
    if (params.type == NULL || params.type[0] == '\0' || strcmp(params.type, "builtin") == 0)
        return kf__connector_builtin_new(&params, out, err);
    if (strcmp(params.type, "http") == 0)
        return kf__connector_http_new(&params, out, err);
    return kf_errorf(err, KF_ECONFIG,
                     "connectors.%s.type: unknown connector type '%.64s' (builtin or http)",
                     backend, params.type);
}

void kf_connector_free(struct kf_connector *c)
{
    if (c != NULL)
        c->ops->free(c);
}

const char *kf_connector_type(const struct kf_connector *c)
{
    return c->ops->type;
}

int kf_connector_call(struct kf_connector *c, const char *op, json_t *args, json_t **out,
                      struct kf_err *err)
{
    *out = NULL;
    if (op == NULL || op[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "%s connector: no operation given", c->backend);
    if (args != NULL && !json_is_object(args))
        return kf_errorf(err, KF_EINVAL, "%s connector: %.64s: arguments must be an object",
                         c->backend, op);
    return c->ops->call(c, op, args, out, err);
}

const char *kf_connector_breaker_state(struct kf_connector *c)
{
    return c->ops->breaker_state ? c->ops->breaker_state(c) : "closed";
}
