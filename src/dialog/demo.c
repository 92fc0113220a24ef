/*
 * demo.c — the demo shop from a bot's catalogue (see demo.h).
 *
 * Lives in the dialog layer because it joins the catalogue (nlp) to the
 * store's seeding (data); the strings it hands kf_repo_seed borrow from the
 * catalogue and the arena, both freed here after the seed. After the seed
 * the shop's orders become events and every customer gets a profile.
 */
#include "kefu/demo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "kefu/arena.h"
#include "kefu/catalogue.h"
#include "kefu/events.h"
#include "kefu/mem.h"
#include "kefu/profile.h"

/* {"storage": "256GB", …, "fits": ["iphone-15-pro", …], "features_zh": ["快充", …],
 *  "features_en": ["fast charging", …]}: the attributes' names travel with the
 * product, so the business layer can say them without the catalogue. */
static const char *demo__specs(const struct kf_catalogue *cat,
                               const struct kf_catalogue_product *p, struct kf_arena *a)
{
    if (p->nspecs == 0 && p->nfits == 0 && p->nattributes == 0)
        return NULL;
    json_t *o = json_object();
    static const char *const langs[] = {"zh", "en"};
    for (size_t l = 0; o != NULL && p->nattributes > 0 && l < 2; l++) {
        json_t *names = json_array();
        for (size_t i = 0; names != NULL && i < p->nattributes; i++) {
            const char *nm = kf_catalogue_name(cat, KF_CAT_ATTRIBUTE, p->attributes[i], langs[l]);
            json_array_append_new(names, json_string(nm != NULL ? nm : p->attributes[i]));
        }
        json_object_set_new(o, l == 0 ? "features_zh" : "features_en", names);
    }
    for (size_t i = 0; o != NULL && i < p->nspecs; i++)
        json_object_set_new(o, p->spec_keys[i], json_string(p->spec_values[i]));
    if (o != NULL && p->nfits > 0) {
        json_t *fits = json_array();
        for (size_t i = 0; fits != NULL && i < p->nfits; i++)
            json_array_append_new(fits, json_string(p->fits[i]));
        json_object_set_new(o, "fits", fits);
    }
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    const char *copy = s != NULL ? kf_arena_strdup(a, s) : NULL;
    free(s);
    return copy;
}

/* The seeded orders become events and every customer gets a profile,
 * under the bot's profiles.yaml (the built-in rules when it has none). */
static int demo__profiles(struct kf_store *st, const char *bot_dir, long long now_ms,
                          struct kf_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/profiles.yaml", bot_dir);
    struct kf_profile_rules *rules = NULL;
    int rc = kf_profile_rules_load(path, &rules, err);
    if (rc == KF_ENOTFOUND)
        rc = KF_OK;
    if (rc != KF_OK)
        return rc;
    const struct kf_profile_rules *before = kf_events_rules(st);
    if (rules != NULL)
        kf_events_set_rules(st, rules);
    rc = kf_profiles_rebuild(st, now_ms, NULL, NULL, NULL, err);
    kf_events_set_rules(st, before);
    kf_profile_rules_free(rules);
    return rc;
}

int kf_demo_seed(struct kf_store *st, const char *bot_dir, struct kf_seed_params params,
                 struct kf_seed_stats *stats, struct kf_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/catalogue.yaml", bot_dir);
    struct kf_catalogue *cat = NULL;
    int rc = kf_catalogue_load_with(path, NULL, &cat, err);
    if (rc != KF_OK)
        return rc;
    size_t n = kf_catalogue_count(cat, KF_CAT_PRODUCT);
    struct kf_seed_product *prods = kf_calloc(n ? n : 1, sizeof *prods);
    struct kf_arena *a = kf_arena_new(0, 0);
    if (prods == NULL || a == NULL)
        rc = kf_errorf(err, KF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == KF_OK && i < n; i++) {
        const struct kf_catalogue_product *p = kf_catalogue_product_at(cat, i);
        prods[i] = (struct kf_seed_product){.sku = p->id,
                                            .name_zh = p->name_zh,
                                            .name_en = p->name_en,
                                            .category = p->category,
                                            .brand = p->brand,
                                            .price = p->price,
                                            .attributes = p->attributes,
                                            .nattributes = p->nattributes,
                                            .specs_json = demo__specs(cat, p, a)};
    }
    if (rc == KF_OK) {
        params.products = prods;
        params.nproducts = n;
        rc = kf_repo_seed(st, &params, stats, err);
    }
    if (rc == KF_OK && !stats->skipped)
        rc = demo__profiles(st, bot_dir, params.now_ms, err);
    kf_arena_free(a);
    kf_free(prods);
    kf_catalogue_free(cat);
    return rc;
}
