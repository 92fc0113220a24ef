/*
 * repo_int.h — the backend table behind repo.h (internal to src/data).
 *
 * repo.c checks what can be checked without the database and forwards to
 * st->repo; a backend fills in one struct kf_repo_ops. The demo seed is
 * split the same way: seed.c generates the whole shop in memory
 * (struct kf_seed_data, deterministic from the seed) and the backend writes
 * it in one transaction (seed_write), so the generator never sees SQL.
 */
#ifndef KEFU_REPO_INT_H
#define KEFU_REPO_INT_H

#include "kefu/repo.h"
#include "store_int.h"

/* Longest text accepted from a caller for any field, in bytes. */
#define KF_REPO_TEXT_MAX 4000

/* ---- the generated demo shop (seed.c → backend) --------------------- */

struct kf_seed_customer {
    char external_id[32]; /* "demo-customer-<n>", n from 1, on channel web */
    char name[16];        /* masked: "王*" */
    const char *tier;     /* regular | silver | gold | vip */
    char email[48];       /* masked: "z***@example.com" */
    char phone[16];       /* masked: "138****5678" */
    const char *city;
    char birthday[11]; /* "YYYY-MM-DD" or "" */
    long long created_at;
};

struct kf_seed_item {
    size_t product; /* index into params->products */
    int qty;
    double price;
};

struct kf_seed_order {
    char order_no[16];
    size_t customer; /* index into customers */
    const char *status;
    long long created_at, updated_at, paid_at, shipped_at, delivered_at; /* 0: null */
    double total;
    char address[64]; /* masked */
    struct kf_seed_item items[3];
    int nitems;
    /* shipment when carrier != NULL */
    const char *carrier;
    char tracking_no[20];
    const char *ship_status;
    long long eta;
    /* payment when pay_method != NULL */
    const char *pay_method;
    const char *pay_status;
    /* refund when refund_status != NULL */
    const char *refund_status, *refund_reason;
    long long refund_at, refund_done_at;
    double refund_amount;
    /* return when return_kind != NULL */
    const char *return_kind, *return_reason, *return_status;
    long long return_at;
};

struct kf_seed_data {
    const struct kf_seed_params *params;
    int *stock; /* per product */
    struct kf_seed_customer *customers;
    size_t ncustomers;
    struct kf_seed_order *orders;
    size_t norders;
};

/* Generate the shop for p (seed.c). d is freed with kf_seed_data_release. */
int kf_seed__generate(const struct kf_seed_params *p, struct kf_seed_data *d, struct kf_err *err);
void kf_seed__release(struct kf_seed_data *d);

/* ---- the backend table ---------------------------------------------- */

struct kf_repo_ops {
    int (*product_get)(struct kf_store *st, const char *sku, json_t **out, struct kf_err *err);
    int (*product_list)(struct kf_store *st, json_t *query, json_t **out, struct kf_err *err);
    int (*order_get)(struct kf_store *st, const char *order_no, json_t **out, struct kf_err *err);
    int (*order_list)(struct kf_store *st, long long customer_id, int limit, json_t **out,
                      struct kf_err *err);
    int (*order_update)(struct kf_store *st, const char *order_no, const char *expect,
                        json_t *patch, json_t **out, struct kf_err *err);
    int (*return_create)(struct kf_store *st, const char *order_no, json_t *req, json_t **out,
                         struct kf_err *err);
    int (*ticket_create)(struct kf_store *st, json_t *fields, const char *actor, json_t **out,
                         struct kf_err *err);
    int (*ticket_get)(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
    int (*ticket_list)(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err);
    int (*ticket_update)(struct kf_store *st, long long id, json_t *patch, const char *actor,
                         json_t **out, struct kf_err *err);
    int (*ticket_comment_add)(struct kf_store *st, long long id, const char *author,
                              const char *body, int internal, json_t **out, struct kf_err *err);
    int (*customer_get)(struct kf_store *st, long long id, json_t **out, struct kf_err *err);
    int (*customer_list)(struct kf_store *st, json_t *filter, json_t **out, struct kf_err *err);
    int (*customer_note_add)(struct kf_store *st, long long id, const char *author,
                             const char *body, json_t **out, struct kf_err *err);
    /* Demo orders already stored? (*n gets their count) */
    int (*seed_count)(struct kf_store *st, long long *n, struct kf_err *err);
    int (*seed_write)(struct kf_store *st, const struct kf_seed_data *d,
                      struct kf_seed_stats *stats, struct kf_err *err);
};

#endif
