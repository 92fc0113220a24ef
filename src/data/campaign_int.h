/*
 * campaign_int.h — the backend table behind campaign sends (campaign.h) (internal to src/data).
 */
#ifndef KEFU_CAMPAIGN_INT_H
#define KEFU_CAMPAIGN_INT_H

#include "store_int.h"

struct kf_campaign_ops {
    int placeholder; /* filled in by the campaign work */
};

#endif
