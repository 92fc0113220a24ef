/*
 * connector_int.h — the connector seam inside src/biz: the base struct every
 * back end embeds first (`super`), its ops table, and the constructors
 * connector.c picks from by params.type. Internal to src/biz.
 *
 * A back end is one file (connector_builtin.c, connector_http.c) with a
 * static ops table; adding one means a constructor here and one line in
 * kf_connector_new (after h2o's `h2o_handler_t super` and curl's vtls).
 */
#ifndef KEFU_CONNECTOR_INT_H
#define KEFU_CONNECTOR_INT_H

#include "kefu/connector.h"

struct kf_connector_ops {
    const char *type; /* "builtin" | "http" */
    /* args is borrowed and may be NULL (= no arguments); *out is a new reference */
    int (*call)(struct kf_connector *c, const char *op, json_t *args, json_t **out,
                struct kf_err *err);
    void (*free)(struct kf_connector *c); /* frees the whole connector */
    /* NULL: always "closed" */
    const char *(*breaker_state)(struct kf_connector *c);
};

#define KF_CONNECTOR_BACKEND_MAX 32

struct kf_connector {
    const struct kf_connector_ops *ops;
    char backend[KF_CONNECTOR_BACKEND_MAX]; /* "orders", ... for messages */
    struct kf_log *log;                     /* borrowed; may be NULL */
};

/* Fill the base part of a new connector. */
void kf__connector_init(struct kf_connector *c, const struct kf_connector_ops *ops,
                        const struct kf_connector_params *p);

int kf__connector_builtin_new(const struct kf_connector_params *p, struct kf_connector **out,
                              struct kf_err *err);
int kf__connector_http_new(const struct kf_connector_params *p, struct kf_connector **out,
                           struct kf_err *err);

#endif
