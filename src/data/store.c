/*
 * store.c — picks a backend and forwards calls to it (see store.h).
 */
#include "kefu/store.h"

#include "store_int.h"

struct kf_store_params kf_store_default_params(void)
{
    return (struct kf_store_params){.path = "var/kefu.db", .synchronous_full = 1, .pool_size = 4};
}

int kf_store_open(struct kf_store_params params, struct kf_store **out, struct kf_err *err)
{
    *out = NULL;
    if (params.path == NULL || params.path[0] == '\0')
        return kf_errorf(err, KF_EINVAL, "store: no database path");
    return kf_sqlite_store_open(params, out, err);
}

void kf_store_free(struct kf_store *st)
{
    if (st != NULL)
        st->ops->free(st);
}

int kf_store_migrate(struct kf_store *st, int *version, struct kf_err *err)
{
    return st->ops->migrate(st, version, err);
}

int kf_store_ping(struct kf_store *st, struct kf_err *err)
{
    return st->ops->ping(st, err);
}

int kf_store_customer_resolve(struct kf_store *st, const char *channel, const char *external_id,
                              const char *name, long long *customer_id, struct kf_err *err)
{
    return st->ops->customer_resolve(st, channel, external_id, name, customer_id, err);
}

int kf_store_conversation_create(struct kf_store *st, const struct kf_conversation *c,
                                 struct kf_err *err)
{
    return st->ops->conversation_create(st, c, err);
}

int kf_store_conversation_get(struct kf_store *st, const char *id, struct kf_conversation *out,
                              struct kf_err *err)
{
    return st->ops->conversation_get(st, id, out, err);
}

int kf_store_conversation_find_open(struct kf_store *st, long long customer_id,
                                    const char *channel, struct kf_conversation *out,
                                    struct kf_err *err)
{
    return st->ops->conversation_find_open(st, customer_id, channel, out, err);
}

int kf_store_turn_commit(struct kf_store *st, struct kf_turn_write *t, struct kf_err *err)
{
    if (t->conversation_id == NULL || t->n == 0)
        return kf_errorf(err, KF_EINVAL, "store: empty turn");
    for (size_t i = 0; i < t->nvault; i++) {
        const struct kf_vault_item *v = &t->vault[i];
        if (v->msg >= t->n || v->type == NULL || v->key_id == NULL || v->start > v->end ||
            v->nonce == NULL || v->ciphertext == NULL)
            return kf_errorf(err, KF_EINVAL, "store: vault item %zu is malformed", i);
    }
    return st->ops->turn_commit(st, t, err);
}

int kf_store_messages_list(struct kf_store *st, const char *conversation_id, long long before,
                           int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                           int *more, struct kf_err *err)
{
    if (limit < 1 || limit > 1000)
        return kf_errorf(err, KF_EINVAL, "store: limit %d out of range [1, 1000]", limit);
    return st->ops->messages_list(st, conversation_id, before, limit, a, out, n, more, err);
}

int kf_store_messages_after(struct kf_store *st, const char *conversation_id, long long after,
                            int limit, struct kf_arena *a, struct kf_message **out, size_t *n,
                            int *more, struct kf_err *err)
{
    *out = NULL;
    *n = 0;
    *more = 0;
    if (limit < 1 || limit > 1000)
        return kf_errorf(err, KF_EINVAL, "store: limit %d out of range [1, 1000]", limit);
    if (st->ops->messages_after == NULL)
        return kf_errorf(err, KF_EUNSUPPORTED, "store %s: no messages_after", st->ops->name);
    return st->ops->messages_after(st, conversation_id, after, limit, a, out, n, more, err);
}

int kf_store_turns_list(struct kf_store *st, const char *conversation_id, int limit,
                        struct kf_arena *a, struct kf_turn_record **out, long long **message_ids,
                        size_t *n, struct kf_err *err)
{
    *out = NULL;
    *n = 0;
    if (message_ids != NULL)
        *message_ids = NULL;
    if (conversation_id == NULL || limit < 1 || limit > 1000)
        return kf_errorf(err, KF_EINVAL, "store: turns: limit must be 1..1000");
    return st->ops->turns_list(st, conversation_id, limit, a, out, message_ids, n, err);
}

int kf_store_dialog_state_get(struct kf_store *st, const char *conversation_id, struct kf_arena *a,
                              const char **out, struct kf_err *err)
{
    *out = NULL;
    if (conversation_id == NULL)
        return kf_errorf(err, KF_EINVAL, "store: no conversation id");
    return st->ops->dialog_state_get(st, conversation_id, a, out, err);
}

int kf_store_vault_list(struct kf_store *st, const char *conversation_id, long long first_id,
                        long long last_id, struct kf_arena *a, struct kf_vault_item **out,
                        size_t *n, struct kf_err *err)
{
    *out = NULL;
    *n = 0;
    if (first_id > last_id)
        return KF_OK;
    return st->ops->vault_list(st, conversation_id, first_id, last_id, a, out, n, err);
}
