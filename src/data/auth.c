/* auth.c — placeholder: the lead is writing it (issue 7). */
#include "kefu/auth.h"

int kf_auth_lookup(struct kf_store *st, const char *token, struct kf_auth_who *who,
                   struct kf_err *err)
{
    (void)st;
    (void)token;
    (void)who;
    return kf_errorf(err, KF_ENOTFOUND, "unknown token");
}
