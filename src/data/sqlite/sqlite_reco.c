/* sqlite_reco.c — the recommendation log in SQLite (reco.h). */
#include "../reco_int.h"
#include "sqlite_int.h"

const struct kf_reco_ops kf_sqlite_reco_ops = {0};
