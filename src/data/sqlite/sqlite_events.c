/* sqlite_events.c — events, profiles and tags in SQLite (events.h). */
#include "../events_int.h"
#include "sqlite_int.h"

const struct kf_events_ops kf_sqlite_events_ops = {0};

int sq__events_turn(struct sq_store *s, struct sq_conn *c, long long customer_id,
                    const char *channel, long long message_id, long long at, const char *intent,
                    const char *sentiment, struct kf_err *err)
{
    (void)s, (void)c, (void)customer_id, (void)channel, (void)message_id, (void)at, (void)intent,
        (void)sentiment, (void)err;
    return KF_OK;
}
