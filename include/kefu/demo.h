/*
 * demo.h — the demo shop from a bot's catalogue (`kefu demo seed`, tests).
 *
 * kf_repo_seed (repo.h) writes a deterministic shop from a list of products;
 * this reads that list from BOT_DIR/catalogue.yaml (names, category, brand,
 * price, attributes, and the specs with "fits": the products an accessory is
 * made for) so the CLI and the tests seed the same shop the same way.
 */
#ifndef KEFU_DEMO_H
#define KEFU_DEMO_H

#include "kefu/err.h"
#include "kefu/repo.h"
#include "kefu/store.h"

/* params.products/nproducts are filled from the catalogue (anything given
 * there is ignored); the rest of params is used as it is. */
int kf_demo_seed(struct kf_store *st, const char *bot_dir, struct kf_seed_params params,
                 struct kf_seed_stats *stats, struct kf_err *err);

#endif
