/* sqlite_campaigns.c — campaign sends in SQLite (campaign.h). */
#include "../campaign_int.h"
#include "sqlite_int.h"

const struct kf_campaign_ops kf_sqlite_campaign_ops = {0};
