/*
 * reco_int.h — the backend table behind the recommendation log (reco.h) (internal to src/data).
 */
#ifndef KEFU_RECO_INT_H
#define KEFU_RECO_INT_H

#include "store_int.h"

struct kf_reco_ops {
    int placeholder; /* filled in by the reco work */
};

#endif
