/*
 * engine.c — conversation service over the store and the bot (see engine.h).
 */
#include "kefu/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "kefu/agent.h"
#include "kefu/biz.h"
#include "kefu/dialog.h"
#include "kefu/entities.h"
#include "kefu/events.h"
#include "kefu/experiment.h"
#include "kefu/ops.h"
#include "kefu/mem.h"
#include "kefu/pii.h"
#include "kefu/profile.h"
#include "kefu/repo.h"
#include "kefu/text.h"
#include "kefu/utf8.h"

struct kf_engine {
    struct kf_pii_policy pii; /* pii.key points at key below when has_key */
    struct kf_pii_key key;
    int has_key;
    struct kf_store *store;
    struct kf_bot *bot;
    struct kf_nlu *nlu;
    struct kf_log *log;
    struct kf_connector *orders, *tickets, *customers;
    struct kf_biz *biz;
    /* the bot's profiles.yaml (or the defaults), set on the store; freed after it */
    struct kf_profile_rules *profile_rules;
    int churn_streak; /* kf_engine_params.churn_negative_streak; 0: off */
    struct kf_experiments *experiments; /* the bot's experiments.yaml; NULL: none or off */
    /* one conversation's turns run one at a time (its dialog state is read,
     * changed and written by each): a conversation id hashes to a stripe */
    pthread_mutex_t stripes[64];
};

struct kf_engine_params kf_engine_default_params(void)
{
    return (struct kf_engine_params){.db_path = "var/kefu.db",
                                     .synchronous_full = 1,
                                     .pool_size = 4,
                                     .bot_path = "bots/demo-shop",
                                     .model_dir = "var/models",
                                     .pii = kf_pii_default_policy(),
                                     .train_threads = 2,
                                     .churn_negative_streak = 3};
}

/* The PII policy and vault key (pii.h); the key is copied, the caller may
 * wipe its own. */
static int engine__privacy_init(struct kf_engine *e, const struct kf_engine_params *p,
                                struct kf_err *err)
{
    int rc = kf_pii_crypto_init(err);
    if (rc != KF_OK)
        return rc;
    e->pii = p->pii;
    e->pii.key = NULL;
    if (p->pii_key != NULL) {
        e->key = *p->pii_key;
        e->has_key = 1;
        e->pii.key = &e->key;
    }
    for (int i = 0; i < KF_PII_NTYPES; i++) {
        enum kf_pii_type t = (enum kf_pii_type)(1u << i);
        if (!(e->pii.types & (unsigned)t))
            continue;
        if (e->pii.action[i] == KF_PII_HASH && !e->has_key)
            return kf_errorf(err, KF_ECONFIG, "privacy.%s: hash needs a privacy key",
                             kf_pii_type_name(t));
        if (e->pii.action[i] == KF_PII_KEEP)
            KF_WARN(e->log, "privacy", "privacy.%s=keep: raw %s values are analysed and stored",
                    kf_pii_type_name(t), kf_pii_type_name(t));
    }
    return KF_OK;
}

/* Every action a flow calls must exist in the business registry. */
static int engine__check_action(void *ud, const char *flow, const char *action, const char *file,
                                int line)
{
    struct kf_err *err = ud;
    if (kf_biz_find(action) != NULL)
        return 0;
    return kf_errorf(err, KF_ECONFIG, "%s:%d: flow %s calls '%s', which no business module has",
                     file, line, flow, action);
}

static int engine__connector(struct kf_engine *e, struct kf_connector_params cp,
                             const char *backend, struct kf_connector **out, struct kf_err *err)
{
    if (cp.type == NULL || cp.type[0] == '\0')
        cp.type = "builtin";
    cp.backend = backend;
    cp.store = e->store;
    if (cp.log == NULL)
        cp.log = e->log;
    return kf_connector_new(cp, out, err);
}

static int engine__biz_init(struct kf_engine *e, const struct kf_engine_params *p,
                            struct kf_err *err)
{
    int rc = engine__connector(e, p->orders, "orders", &e->orders, err);
    if (rc == KF_OK)
        rc = engine__connector(e, p->tickets, "tickets", &e->tickets, err);
    if (rc == KF_OK)
        rc = engine__connector(e, p->customers, "customers", &e->customers, err);
    if (rc != KF_OK)
        return rc;
    struct kf_biz_params bp = kf_biz_default_params();
    bp.orders = e->orders;
    bp.tickets = e->tickets;
    bp.customers = e->customers;
    bp.log = e->log;
    bp.store = e->store; /* recommendations: profiles, rules, the log */
    if ((rc = kf_biz_new(bp, &e->biz, err)) != KF_OK)
        return rc;
    if (kf_flows_each_action(kf_bot_flows(e->bot), engine__check_action, err) != 0)
        return err->code;
    return KF_OK;
}

/* The bot's profile and tag rules (profiles.yaml; the built-in defaults when
 * the bot has none), which every event the store takes is derived with. A
 * broken file stops the start with its path:line. */
static int engine__profile_rules(struct kf_engine *e, const char *bot_path, struct kf_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/profiles.yaml", bot_path);
    int rc = kf_profile_rules_load(path, &e->profile_rules, err);
    if (rc == KF_ENOTFOUND) {
        kf_err_clear(err);
        e->profile_rules = kf_profile_rules_default();
        rc = e->profile_rules != NULL ? KF_OK : kf_errorf(err, KF_ENOMEM, "out of memory");
    }
    if (rc == KF_OK)
        kf_events_set_rules(e->store, e->profile_rules);
    return rc;
}

/* The bot's experiments.yaml (none is fine); an experiment on a flow the
 * bot does not have stops the start with its path:line. */
static int engine__experiments(struct kf_engine *e, const char *bot_path, struct kf_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/experiments.yaml", bot_path);
    int rc = kf_experiments_load(path, &e->experiments, err);
    if (rc == KF_ENOTFOUND) {
        kf_err_clear(err);
        return KF_OK;
    }
    const struct kf_flows *flows = kf_bot_flows(e->bot);
    for (size_t i = 0; rc == KF_OK && i < kf_experiments_count(e->experiments); i++) {
        const struct kf_experiment *x = kf_experiments_at(e->experiments, i);
        int found = 0;
        for (size_t k = 0; k < kf_flows_count(flows) && !found; k++)
            found = strcmp(kf_flows_id(flows, k), x->applies_to) == 0;
        if (!found)
            rc = kf_errorf(err, KF_ECONFIG, "%s:%d: applies_to: the bot has no flow '%s'", path,
                           x->line, x->applies_to);
    }
    if (rc == KF_OK)
        KF_INFO(e->log, "experiments", "%zu experiment(s) from %s",
                kf_experiments_count(e->experiments), path);
    return rc;
}

/* The customer's variants of the running experiments, for the dialog. */
static size_t engine__variants(const struct kf_engine *e, long long customer_id,
                               struct kf_dialog_variant *v, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < kf_experiments_count(e->experiments) && n < cap; i++) {
        const struct kf_experiment *x = kf_experiments_at(e->experiments, i);
        const struct kf_experiment_variant *xv = kf_experiment_variant_for(x, customer_id);
        if (strcmp(x->status, "running") != 0 || xv == NULL)
            continue;
        v[n++] = (struct kf_dialog_variant){.experiment = x->id, .flow = x->applies_to,
                                            .variant = xv->name, .style = xv->style};
    }
    return n;
}

int kf_engine_new(struct kf_engine_params p, struct kf_engine **out, struct kf_err *err)
{
    *out = NULL;
    struct kf_engine *e = kf_calloc(1, sizeof *e);
    if (e == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    e->log = p.log;
    e->churn_streak = p.churn_negative_streak > 0 ? p.churn_negative_streak : 0;
    for (size_t i = 0; i < sizeof e->stripes / sizeof e->stripes[0]; i++)
        pthread_mutex_init(&e->stripes[i], NULL);
    int rc = engine__privacy_init(e, &p, err);
    if (rc == KF_OK)
        rc = kf_bot_load(p.bot_path, &e->bot, err);
    if (rc == KF_OK) {
        char data[4096], models[4096];
        snprintf(data, sizeof data, "%s/nlu", p.bot_path);
        snprintf(models, sizeof models, "%s/%s", p.model_dir ? p.model_dir : "var/models",
                 kf_bot_name(e->bot));
        char catalogue[4096];
        snprintf(catalogue, sizeof catalogue, "%s/catalogue.yaml", p.bot_path);
        struct kf_nlu_params np = {.data_dir = data, .model_dir = models,
                                   .threads = p.train_threads, .log = p.log,
                                   .catalogue = catalogue,
                                   .utc_offset_min = kf_bot_utc_offset(e->bot)};
        np.rules = kf_bot_entity_rules(e->bot, &np.nrules);
        rc = kf_nlu_open(np, &e->nlu, err);
    }
    if (rc == KF_OK) {
        struct kf_store_params sp = kf_store_default_params();
        sp.path = p.db_path;
        sp.synchronous_full = p.synchronous_full;
        sp.pool_size = p.pool_size;
        rc = kf_store_open(sp, &e->store, err);
    }
    int version = 0;
    if (rc == KF_OK)
        rc = kf_store_migrate(e->store, &version, err);
    if (rc == KF_OK)
        rc = engine__profile_rules(e, p.bot_path, err);
    if (rc == KF_OK)
        rc = engine__biz_init(e, &p, err);
    if (rc == KF_OK && p.experiments)
        rc = engine__experiments(e, p.bot_path, err);
    if (rc != KF_OK) {
        kf_engine_free(e);
        return rc;
    }
    KF_INFO(e->log, "engine", "bot '%s': %zu FAQ entries, %zu questions, %zu terms; store %s (schema %d)",
            kf_bot_name(e->bot), kf_bot_faq_count(e->bot),
            kf_bot_faq_count(e->bot) ? kf_kb_questions(kf_bot_kb(e->bot)) : 0,
            kf_bot_faq_count(e->bot) ? kf_kb_terms(kf_bot_kb(e->bot)) : 0, p.db_path, version);
    *out = e;
    return KF_OK;
}

void kf_engine_free(struct kf_engine *e)
{
    if (e == NULL)
        return;
    kf_biz_free(e->biz);
    kf_connector_free(e->orders);
    kf_connector_free(e->tickets);
    kf_connector_free(e->customers);
    kf_store_free(e->store);
    kf_profile_rules_free(e->profile_rules);
    kf_experiments_free(e->experiments);
    kf_nlu_free(e->nlu);
    for (size_t i = 0; i < sizeof e->stripes / sizeof e->stripes[0]; i++)
        pthread_mutex_destroy(&e->stripes[i]);
    kf_bot_free(e->bot);
    kf_pii_key_wipe(&e->key);
    kf_free(e);
}

const struct kf_bot *kf_engine_bot(const struct kf_engine *e) { return e->bot; }
const struct kf_nlu *kf_engine_nlu(const struct kf_engine *e) { return e->nlu; }
const struct kf_experiments *kf_engine_experiments(const struct kf_engine *e)
{
    return e->experiments;
}
struct kf_store *kf_engine_store(struct kf_engine *e) { return e->store; }

struct kf_connector *kf_engine_connector(struct kf_engine *e, const char *backend)
{
    return e->biz != NULL ? kf_biz_connector(e->biz, backend) : NULL;
}

int kf_engine_ready(struct kf_engine *e, struct kf_err *err)
{
    return kf_store_ping(e->store, err);
}

static int engine__new_id(char out[KF_ID_LEN + 1], struct kf_err *err)
{
    unsigned char raw[KF_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0)
            return kf_errorf(err, KF_EIO, "getrandom failed");
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[KF_ID_LEN] = '\0';
    return KF_OK;
}

static void engine__reply_message(const struct kf_reply *r, const char *lang, struct kf_arena *a,
                                  struct kf_message *m)
{
    memset(m, 0, sizeof *m);
    m->role = "bot";
    m->text = r->text;
    m->lang = lang;
    m->kind = r->kind;
    m->meta_json = kf_reply_meta_json(r, a);
}

/* A customer's display name goes through the PII policy too (a phone number
 * typed as a name); it is not vaulted. */
static int engine__mask_name(const struct kf_engine *e, const char *name, struct kf_arena *a,
                             const char **out, struct kf_err *err)
{
    *out = name;
    if (name == NULL)
        return KF_OK;
    char *m;
    int rc = kf_engine_mask(e, name, strlen(name), a, &m, NULL, err);
    if (rc == KF_OK)
        *out = m;
    return rc;
}

int kf_engine_start(struct kf_engine *e, const struct kf_start *req, struct kf_arena *a,
                    struct kf_conversation *conv, struct kf_message *greeting, struct kf_err *err)
{
    memset(conv, 0, sizeof *conv);
    const char *lang = req->lang;
    if (lang == NULL || kf_bot_lang_index(e->bot, lang) < 0)
        lang = kf_bot_lang(e->bot, 0);
    const char *channel = req->channel ? req->channel : "api";
    const char *name;
    int rc = engine__mask_name(e, req->name, a, &name, err);
    if (rc == KF_OK)
        rc = kf_store_customer_resolve(e->store, channel, req->external_id, name,
                                       &conv->customer_id, err);
    if (rc != KF_OK)
        return rc;
    if ((rc = engine__new_id(conv->id, err)) != KF_OK)
        return rc;
    snprintf(conv->channel, sizeof conv->channel, "%s", channel);
    snprintf(conv->lang, sizeof conv->lang, "%s", lang);
    snprintf(conv->status, sizeof conv->status, "open");
    conv->created_at = conv->updated_at = kf_time_now_ms();
    if ((rc = kf_store_conversation_create(e->store, conv, err)) != KF_OK)
        return rc;

    struct kf_reply r;
    kf_dialog_greeting(e->bot, lang, &r);
    struct kf_message m;
    engine__reply_message(&r, conv->lang, a, &m);
    struct kf_turn_write w = {.conversation_id = conv->id, .msgs = &m, .n = 1};
    if ((rc = kf_store_turn_commit(e->store, &w, err)) != KF_OK)
        return rc;
    if (greeting != NULL)
        *greeting = m;
    KF_DEBUG(e->log, "engine", "conversation %s started on %s (%s)", conv->id, channel, lang);
    return KF_OK;
}

int kf_engine_start_or_resume(struct kf_engine *e, const struct kf_start *req, struct kf_arena *a,
                              struct kf_conversation *conv, struct kf_err *err)
{
    const char *channel = req->channel ? req->channel : "api";
    if (req->external_id != NULL) {
        long long cid;
        const char *name;
        int rc = engine__mask_name(e, req->name, a, &name, err);
        if (rc == KF_OK)
            rc = kf_store_customer_resolve(e->store, channel, req->external_id, name, &cid, err);
        if (rc != KF_OK)
            return rc;
        rc = kf_store_conversation_find_open(e->store, cid, channel, conv, err);
        if (rc != KF_ENOTFOUND)
            return rc;
        kf_err_clear(err);
    }
    return kf_engine_start(e, req, a, conv, NULL, err);
}

int kf_engine_mask(const struct kf_engine *e, const char *text, size_t len, struct kf_arena *a,
                   char **out, size_t *out_len, struct kf_err *err)
{
    struct kf_pii_result r;
    int rc = kf_pii_apply(text, len, &e->pii, a, &r, err);
    if (rc != KF_OK)
        return rc;
    *out = r.text;
    if (out_len != NULL)
        *out_len = r.len;
    return KF_OK;
}

/* Mask text by the policy; with a key, seal each raw value that the policy
 * changed into a vault item of message `msg` (its offsets in the masked
 * text). The raw text is not kept anywhere else. */
static int engine__mask_seal(const struct kf_engine *e, const char *text, size_t len, size_t msg,
                             struct kf_arena *a, struct kf_pii_result *res,
                             struct kf_vault_item **vault, size_t *nvault, struct kf_err *err)
{
    *vault = NULL;
    *nvault = 0;
    int rc = kf_pii_apply(text, len, &e->pii, a, res, err);
    if (rc != KF_OK || !e->has_key || res->n == 0)
        return rc;
    struct kf_vault_item *v = kf_arena_calloc(a, res->n, sizeof *v);
    if (v == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < res->n; i++) {
        const struct kf_pii_span *sp = &res->spans[i];
        if (sp->action == KF_PII_KEEP)
            continue; /* the value is in the text as it is */
        unsigned char *nonce, *ct;
        size_t ct_len;
        rc = kf_pii_seal(&e->key, text + sp->start, sp->end - sp->start, a, &nonce, &ct, &ct_len,
                         err);
        if (rc != KF_OK)
            return rc;
        v[k++] = (struct kf_vault_item){.msg = msg,
                                        .type = kf_pii_type_name(sp->type),
                                        .start = sp->out_start,
                                        .end = sp->out_end,
                                        .nonce = nonce,
                                        .nonce_len = KF_PII_NONCE_BYTES,
                                        .ciphertext = ct,
                                        .ciphertext_len = ct_len,
                                        .key_id = e->key.id};
    }
    *vault = v;
    *nvault = k;
    return KF_OK;
}

/* The raw form of one message: its text with each vault item's span
 * replaced by the opened value. Items are sorted by start. */
static int engine__reveal_one(const struct kf_engine *e, struct kf_message *m,
                              const struct kf_vault_item *v, size_t nv, struct kf_arena *a,
                              size_t *revealed, size_t *failed, struct kf_err *err)
{
    size_t len = strlen(m->text), cap = len + 1;
    for (size_t i = 0; i < nv; i++)
        cap += v[i].ciphertext_len;
    char *o = kf_arena_alloc(a, cap);
    if (o == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t at = 0, from = 0;
    for (size_t i = 0; i < nv; i++) {
        char *plain = NULL;
        size_t plen = 0;
        struct kf_err oerr = {0};
        int ok = v[i].start >= from && v[i].end <= len && v[i].start <= v[i].end &&
                 strcmp(v[i].key_id, e->key.id) == 0 &&
                 kf_pii_open(&e->key, v[i].nonce, v[i].nonce_len, v[i].ciphertext,
                             v[i].ciphertext_len, a, &plain, &plen, &oerr) == KF_OK;
        if (!ok) {
            (*failed)++;
            continue; /* the masked form stays */
        }
        memcpy(o + at, m->text + from, v[i].start - from);
        at += v[i].start - from;
        memcpy(o + at, plain, plen);
        at += plen;
        from = v[i].end;
        (*revealed)++;
    }
    memcpy(o + at, m->text + from, len - from);
    at += len - from;
    o[at] = '\0';
    m->text = o;
    return KF_OK;
}

int kf_engine_reveal(struct kf_engine *e, const char *conv_id, struct kf_message *msgs, size_t n,
                     struct kf_arena *a, size_t *revealed, size_t *failed, struct kf_err *err)
{
    *revealed = *failed = 0;
    if (!e->has_key)
        return kf_errorf(err, KF_EUNSUPPORTED, "no PII vault key: raw values cannot be revealed");
    if (n == 0)
        return KF_OK;
    long long lo = msgs[0].id, hi = msgs[0].id;
    for (size_t i = 1; i < n; i++) {
        lo = msgs[i].id < lo ? msgs[i].id : lo;
        hi = msgs[i].id > hi ? msgs[i].id : hi;
    }
    struct kf_vault_item *v;
    size_t nv;
    int rc = kf_store_vault_list(e->store, conv_id, lo, hi, a, &v, &nv, err);
    for (size_t i = 0, j = 0; rc == KF_OK && i < n; i++) {
        while (j < nv && v[j].message_id < msgs[i].id)
            j++;
        size_t k = j;
        while (k < nv && v[k].message_id == msgs[i].id)
            k++;
        if (k > j)
            rc = engine__reveal_one(e, &msgs[i], v + j, k - j, a, revealed, failed, err);
        j = k;
    }
    return rc;
}

/* Whether a message carries language at all: a Han character, or two Latin
 * words. "DS20261101004", "ok" or "3000" keep the conversation's language. */
static int engine__says_language(const char *text, size_t len)
{
    int words = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80) {
            uint32_t cp;
            int k = kf_utf8_decode(text + i, len - i, &cp);
            if (k <= 0)
                return 1;
            if (kf_utf8_is_han(cp))
                return 1;
            i += (size_t)k;
            continue;
        }
        size_t j = i, digits = 0;
        while (j < len && ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z') ||
                           (text[j] >= '0' && text[j] <= '9'))) {
            digits += text[j] >= '0' && text[j] <= '9';
            j++;
        }
        if (j - i >= 2 && digits == 0 && ++words >= 2)
            return 1;
        i = j > i ? j : i + 1;
    }
    return 0;
}

static size_t engine__stripe(const char *id)
{
    size_t h = 5381;
    for (; *id; id++)
        h = h * 33 + (unsigned char)*id;
    return h % 64;
}

static long long engine__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sensitive slot values (dialog.h kf_dialog_secrets) ----------------
 * "v1:" KEY_ID ":" hex(nonce || ciphertext), sealed with the PII vault key:
 * the dialog state (stored) never holds a raw personal value. */

static const char *engine__seal(void *ud, const char *plain, size_t len, struct kf_arena *a)
{
    const struct kf_engine *e = ud;
    unsigned char *nonce, *ct;
    size_t ct_len;
    struct kf_err err = {0};
    if (kf_pii_seal(&e->key, plain, len, a, &nonce, &ct, &ct_len, &err) != KF_OK)
        return NULL;
    size_t n = KF_PII_NONCE_BYTES + ct_len;
    size_t cap = 3 + KF_PII_KEY_ID_LEN + 1 + 2 * n + 1;
    char *out = kf_arena_alloc(a, cap);
    if (out == NULL)
        return NULL;
    int used = snprintf(out, cap, "v1:%s:", e->key.id);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char b = i < KF_PII_NONCE_BYTES ? nonce[i] : ct[i - KF_PII_NONCE_BYTES];
        out[used++] = hex[b >> 4];
        out[used++] = hex[b & 15];
    }
    out[used] = '\0';
    return out;
}

static int engine__unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char *engine__open(void *ud, const char *sealed, struct kf_arena *a)
{
    const struct kf_engine *e = ud;
    size_t idlen = strlen(e->key.id);
    if (strncmp(sealed, "v1:", 3) != 0 || strncmp(sealed + 3, e->key.id, idlen) != 0 ||
        sealed[3 + idlen] != ':')
        return NULL; /* another key, or not ours */
    const char *h = sealed + 4 + idlen;
    size_t hl = strlen(h);
    if (hl % 2 != 0 || hl / 2 <= KF_PII_NONCE_BYTES + KF_PII_MAC_BYTES || hl > 64 * 1024)
        return NULL;
    unsigned char *bin = kf_arena_alloc(a, hl / 2);
    if (bin == NULL)
        return NULL;
    for (size_t i = 0; i < hl / 2; i++) {
        int hi = engine__unhex(h[2 * i]), lo = engine__unhex(h[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return NULL;
        bin[i] = (unsigned char)(hi << 4 | lo);
    }
    char *plain;
    size_t len;
    struct kf_err err = {0};
    if (kf_pii_open(&e->key, bin, KF_PII_NONCE_BYTES, bin + KF_PII_NONCE_BYTES,
                    hl / 2 - KF_PII_NONCE_BYTES, a, &plain, &len, &err) != KF_OK)
        return NULL;
    return plain;
}

/* Two not-understood messages in a row (the policy's "fails" counter in the
 * new state): the conversation is flagged low_confidence for the agents'
 * queue, one message before max_fallbacks hands it off (docs/console.md). */
static int engine__unsure(const struct kf_dialog_result *res)
{
    if (res->outcome == NULL || strcmp(res->outcome, "fallback") != 0 || res->state_json == NULL)
        return 0;
    json_t *st = json_loads(res->state_json, 0, NULL);
    json_int_t fails = json_integer_value(json_object_get(st, "fails"));
    json_decref(st);
    return fails >= 2;
}

/* +1 for a negative or angry customer message, -1 for another sentiment, 0
 * without a sentiment model (store.h kf_turn_write.sentiment_step). */
static int engine__sentiment_step(const struct kf_nlu_result *nlu)
{
    if (nlu->angry || (nlu->sentiment != NULL && strcmp(nlu->sentiment, "negative") == 0))
        return 1;
    return nlu->sentiment != NULL && nlu->sentiment[0] != '\0' ? -1 : 0;
}

/* At most `max` bytes of s, not cutting a UTF-8 character. */
static size_t engine__utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

#define ENGINE_TRANSCRIPT_MAX 3900 /* a ticket's description holds 4000 bytes */

/* The conversation's last 20 messages (masked as stored; internal notes
 * left out), one "role: text" line each, the newest kept when it is long. */
static int engine__transcript(struct kf_engine *e, const char *conv_id, struct kf_arena *a,
                              const char **out, struct kf_err *err)
{
    struct kf_message *msgs;
    size_t n;
    int more;
    int rc = kf_store_messages_list(e->store, conv_id, 0, 20, a, &msgs, &n, &more, err);
    if (rc != KF_OK)
        return rc;
    char *buf = kf_arena_alloc(a, ENGINE_TRANSCRIPT_MAX + 1);
    if (buf == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    size_t used = 0, first = 0, total = 0;
    for (size_t i = n; i-- > 0;) { /* newest first: which ones fit */
        if (strcmp(msgs[i].kind, "note") == 0)
            continue;
        size_t line = strlen(msgs[i].role) + 2 + engine__utf8_prefix(msgs[i].text, 300) + 1;
        if (total + line > ENGINE_TRANSCRIPT_MAX)
            break;
        total += line;
        first = i;
    }
    for (size_t i = first; i < n && total > 0; i++) {
        if (strcmp(msgs[i].kind, "note") == 0)
            continue;
        size_t tl = engine__utf8_prefix(msgs[i].text, 300);
        int k = snprintf(buf + used, ENGINE_TRANSCRIPT_MAX + 1 - used, "%s: %.*s\n", msgs[i].role,
                         (int)tl, msgs[i].text);
        if (k < 0 || used + (size_t)k > ENGINE_TRANSCRIPT_MAX)
            break;
        used += (size_t)k;
    }
    buf[used] = '\0';
    *out = buf;
    return KF_OK;
}

/* The churn alert (docs/console.md), after the turn that made the streak
 * reach the threshold committed and still under the conversation's stripe
 * (so two turns cannot both open a ticket): unless the conversation has an
 * open churn_risk ticket, open one for the supervisors with the transcript
 * and queue a churn_alert webhook. The turn's own transaction already
 * queued the conversation (negative_streak). */
static int engine__churn_alert(struct kf_engine *e, const struct kf_conversation *conv,
                               int streak, struct kf_arena *a, long long *ticket_id,
                               struct kf_err *err)
{
    long long open_id = 0;
    int rc = kf_agent_churn_ticket(e->store, conv->id, &open_id, err);
    if (rc != KF_OK || open_id != 0)
        return rc;
    const char *transcript = NULL;
    if ((rc = engine__transcript(e, conv->id, a, &transcript, err)) != KF_OK)
        return rc;
    char subject[160];
    snprintf(subject, sizeof subject,
             "流失风险: 连续%d条负面消息 / Churn risk: %d negative messages in a row", streak,
             streak);
    json_t *fields = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "customer_id",
                               (json_int_t)conv->customer_id, "conversation_id", conv->id,
                               "subject", subject, "description", transcript, "category",
                               "churn_risk", "priority", "high");
    json_t *patch = json_pack("{s:s}", "assignee", "supervisor");
    json_t *ticket = NULL, *updated = NULL;
    if (fields == NULL || patch == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    if (rc == KF_OK)
        rc = kf_repo_ticket_create(e->store, fields, "kefu", &ticket, err);
    json_int_t id = json_integer_value(json_object_get(ticket, "id"));
    if (rc == KF_OK) /* the supervisors' queue (tickets are assigned by name) */
        rc = kf_repo_ticket_update(e->store, (long long)id, patch, "kefu", &updated, err);
    if (rc == KF_OK) {
        json_t *payload = json_pack(
            "{s:s,s:I,s:I,s:s,s:s,s:i,s:s,s:s,s:I}", "event", "churn_alert", "ticket_id", id,
            "customer_id", (json_int_t)conv->customer_id, "conversation_id", conv->id, "lang",
            conv->lang, "streak", streak, "subject", subject, "transcript", transcript, "at",
            (json_int_t)kf_time_now_ms());
        char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
        long long oid;
        rc = text ? kf_ops_outbox_add(e->store, "churn_alert", text, kf_time_now_ms(), &oid, err)
                  : kf_errorf(err, KF_ENOMEM, "out of memory");
        free(text);
        json_decref(payload);
    }
    if (rc == KF_OK) {
        *ticket_id = (long long)id;
        KF_INFO(e->log, "churn", "conversation %s: %d negative messages in a row: ticket %lld",
                conv->id, streak, (long long)id);
    }
    json_decref(fields);
    json_decref(patch);
    json_decref(ticket);
    json_decref(updated);
    return rc;
}

/* The dialog and the commit of one turn, under the conversation's stripe:
 * state read → policy → messages, vault, state and the turn record in one
 * transaction. While an agent holds the conversation (assignee) the bot is
 * silent: the customer's message and its NLU record are committed, no
 * policy runs and the state stays. */
static int engine__turn(struct kf_engine *e, const struct kf_conversation *conv, const char *raw,
                        size_t raw_len, const char *text,
                        size_t len, const char *lang, const struct kf_nlu_result *nlu,
                        const struct kf_vault_item *vault, size_t nvault, struct kf_arena *a,
                        struct kf_turn *out, struct kf_err *err)
{
    int held = conv->assignee_id != 0;
    long long turn_ms = engine__now_ms(); /* the turn's time: actions, an experiment's exposure */
    struct kf_dialog_result res;
    memset(&res, 0, sizeof res);
    int rc = KF_OK;
    if (held) {
        res.outcome = "handed_off";
    } else {
        const char *state = NULL;
        rc = kf_store_dialog_state_get(e->store, conv->id, a, &state, err);
        if (rc != KF_OK)
            return rc;
        struct kf_biz_ctx ctx = {.biz = e->biz,
                                 .customer_id = conv->customer_id,
                                 .conversation_id = conv->id,
                                 .lang = lang,
                                 .text = text,
                                 .now_ms = turn_ms,
                                 .utc_offset_min = kf_bot_utc_offset(e->bot)};
        struct kf_dialog_input in = {.bot = e->bot,
                                     .flows = kf_bot_flows(e->bot),
                                     .nlu = nlu,
                                     .text = text,
                                     .len = len,
                                     .lang = lang,
                                     .state_json = state,
                                     .biz = &ctx};
        const struct kf_entities *ents = e->nlu != NULL ? kf_nlu_entities(e->nlu) : NULL;
        in.catalogue = ents != NULL ? kf_entities_catalogue(ents) : NULL; /* category names */
        struct kf_dialog_secrets secrets = {.ud = e, .seal = engine__seal, .open = engine__open};
        in.raw_text = raw; /* memory only: how much an answer says, and sealing */
        in.raw_len = raw_len;
        if (e->has_key)
            in.secrets = &secrets;
        struct kf_dialog_variant variants[KF_EXPERIMENTS_MAX];
        in.nvariants = engine__variants(e, conv->customer_id, variants, KF_EXPERIMENTS_MAX);
        in.variants = in.nvariants > 0 ? variants : NULL;
        if ((rc = kf_dialog_turn(&in, a, &res, err)) != KF_OK)
            return rc;
    }

    struct kf_message msgs[1 + KF_DIALOG_MAX_REPLIES];
    memset(&msgs[0], 0, sizeof msgs[0]);
    msgs[0].role = "customer";
    msgs[0].text = text;
    msgs[0].lang = lang;
    msgs[0].kind = "";
    msgs[0].meta_json = kf_nlu_meta_json(nlu, a);
    for (size_t i = 0; i < res.n; i++)
        engine__reply_message(&res.replies[i], lang, a, &msgs[1 + i]);
    struct kf_turn_record rec = {
        .intent = nlu->intent,
        .intent_confidence = nlu->intent_confidence,
        .entities_json = nlu->nentities > 0 ? kf_entities_json(nlu->entities, nlu->nentities, a)
                                            : NULL,
        .sentiment = nlu->sentiment,
        .flow = res.flow,
        .action = res.action,
        .outcome = res.outcome,
    };
    const char *reason = res.handoff ? (res.handoff_reason ? res.handoff_reason
                                                           : "customer_request")
                                     : NULL;
    int step = engine__sentiment_step(nlu);
    struct kf_turn_write w = {
        .conversation_id = conv->id,
        .msgs = msgs,
        .n = 1 + res.n,
        .vault = vault,
        .nvault = nvault,
        .new_status = res.handoff && strcmp(conv->status, "handoff") != 0 ? "handoff" : NULL,
        .handoff_reason = reason,
        .dialog_state = res.state_json,
        .record = &rec,
        .sentiment_step = step,
        .needs_human = reason != NULL ? reason : engine__unsure(&res) ? "low_confidence" : NULL,
        .churn_streak = e->churn_streak,
    };
    if ((rc = kf_store_turn_commit(e->store, &w, err)) != KF_OK)
        return rc;

    out->customer = msgs[0];
    for (size_t i = 0; i < res.n && i < sizeof out->replies / sizeof out->replies[0]; i++)
        out->replies[out->nreplies++] = msgs[1 + i];
    out->handoff = res.handoff;
    out->queued = w.queued_out;
    if (res.experiment != NULL) { /* exposed (as the turn began): once per conversation */
        struct kf_err xerr = {0};
        if (kf_experiment_expose(e->store, res.experiment, conv->id, conv->customer_id,
                                 res.variant, turn_ms, NULL, &xerr) != KF_OK)
            KF_WARN(e->log, "experiments", "conversation %s: exposure to %s not recorded: %s",
                    conv->id, res.experiment, xerr.msg);
    }
    if (step > 0 && e->churn_streak > 0 && w.streak_out >= e->churn_streak) {
        /* the turn is committed: a failed alert is logged, not the turn's error */
        struct kf_err aerr = {0};
        if (engine__churn_alert(e, conv, w.streak_out, a, &out->churn_ticket_id, &aerr) != KF_OK)
            KF_WARN(e->log, "churn", "conversation %s: churn alert failed: %s", conv->id,
                    aerr.msg);
    }
    return KF_OK;
}

int kf_engine_post(struct kf_engine *e, const char *conv_id, const char *text, size_t len,
                   const char *lang, struct kf_arena *a, struct kf_turn *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > KF_MESSAGE_MAX_BYTES)
        return kf_errorf(err, KF_EINVAL, "text: longer than %d bytes", KF_MESSAGE_MAX_BYTES);
    if (!kf_utf8_valid_text(text, len))
        return kf_errorf(err, KF_EUTF8, "text: not valid UTF-8");
    size_t start = 0;
    while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\t' ||
                           text[start] == '\r'))
        start++;
    if (start == len)
        return kf_errorf(err, KF_EINVAL, "text: must not be empty");

    struct kf_conversation conv;
    int rc = kf_store_conversation_get(e->store, conv_id, &conv, err);
    if (rc != KF_OK)
        return rc;

    if (lang != NULL && kf_bot_lang_index(e->bot, lang) < 0)
        return kf_errorf(err, KF_EINVAL, "lang: '%s' is not a language of this bot", lang);
    if (lang == NULL) {
        const char *guess = engine__says_language(text, len) ? kf_text_detect_lang(text, len) : "";
        lang = kf_bot_lang_index(e->bot, guess) >= 0 ? guess : conv.lang;
    }
    lang = kf_arena_strdup(a, lang);
    if (lang == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    /* from here on only the masked text exists (raw values: sealed, if a key) */
    struct kf_pii_result masked;
    struct kf_vault_item *vault;
    size_t nvault;
    if ((rc = engine__mask_seal(e, text, len, 0, a, &masked, &vault, &nvault, err)) != KF_OK)
        return rc;
    char *copy = masked.text;
    const char *raw = text;
    size_t raw_len = len;
    len = masked.len;

    struct kf_nlu_result nlu;
    if ((rc = kf_nlu_parse(e->nlu, copy, len, a, &nlu, err)) != KF_OK)
        return rc;

    pthread_mutex_t *stripe = &e->stripes[engine__stripe(conv.id)];
    pthread_mutex_lock(stripe);
    rc = engine__turn(e, &conv, raw, raw_len, copy, len, lang, &nlu, vault, nvault, a, out, err);
    pthread_mutex_unlock(stripe);
    return rc;
}

int kf_engine_suggest(struct kf_engine *e, const char *conv_id, struct kf_arena *a,
                      struct kf_suggestion *out, struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    struct kf_conversation conv;
    int rc = kf_store_conversation_get(e->store, conv_id, &conv, err);
    if (rc != KF_OK)
        return rc;
    out->lang = kf_arena_strdup(a, conv.lang);
    if (out->lang == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    /* the last customer message among the newest 50 */
    struct kf_message *msgs;
    size_t n;
    int more;
    if ((rc = kf_store_messages_list(e->store, conv_id, 0, 50, a, &msgs, &n, &more, err)) != KF_OK)
        return rc;
    const struct kf_message *last = NULL;
    for (size_t i = n; i-- > 0 && last == NULL;)
        if (strcmp(msgs[i].role, "customer") == 0)
            last = &msgs[i];
    if (last == NULL)
        return KF_OK;
    out->message_id = last->id;
    out->text = last->text;
    size_t len = strlen(last->text);
    if ((rc = kf_nlu_parse(e->nlu, last->text, len, a, &out->nlu, err)) != KF_OK)
        return rc;
    if (kf_bot_faq_count(e->bot) == 0)
        return KF_OK;
    struct kf_kb_hit hits[KF_SUGGEST_MAX];
    size_t nh = 0;
    rc = kf_kb_search(kf_bot_kb(e->bot), last->text, len, a, hits, KF_SUGGEST_MAX, &nh, err);
    if (rc != KF_OK)
        return rc;
    int li = kf_bot_lang_index(e->bot, conv.lang);
    if (li < 0)
        li = 0;
    for (size_t i = 0; i < nh; i++) {
        const struct kf_faq_entry *fe = kf_bot_faq(e->bot, (size_t)hits[i].entry);
        if (fe == NULL || fe->answer[li] == NULL)
            continue;
        out->answers[out->nanswers].faq_id = fe->id;
        out->answers[out->nanswers].question = fe->question[li];
        out->answers[out->nanswers].answer = fe->answer[li];
        out->answers[out->nanswers].confidence = hits[i].confidence;
        out->nanswers++;
    }
    return KF_OK;
}
