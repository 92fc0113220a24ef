/* sqlite_mining.c — association rule sets in SQLite (mining.h). */
#include "../mining_int.h"
#include "sqlite_int.h"

const struct kf_mining_ops kf_sqlite_mining_ops = {0};
