/*
 * modules.c — the registry of business modules (biz.h). A new module is a
 * new file exporting its descriptor plus one line here; dialog code never
 * changes.
 */
#include "kefu/biz.h"

extern const struct kf_biz_module kf_biz_orders_module;
extern const struct kf_biz_module kf_biz_tickets_module;
extern const struct kf_biz_module kf_biz_products_module;
extern const struct kf_biz_module kf_biz_reco_module;

const struct kf_biz_module *const kf_biz_modules[] = {
    &kf_biz_orders_module,
    &kf_biz_tickets_module,
    &kf_biz_products_module,
    &kf_biz_reco_module,
    NULL,
};
