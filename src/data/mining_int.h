/*
 * mining_int.h — the backend table behind association rules (mining.h) (internal to src/data).
 */
#ifndef KEFU_MINING_INT_H
#define KEFU_MINING_INT_H

#include "store_int.h"

struct kf_mining_ops {
    int placeholder; /* filled in by the mining work */
};

#endif
