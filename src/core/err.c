/*
 * err.c — names, messages and formatting for the codes in err.h.
 */
#include "kefu/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *kf_err_name(int code)
{
    switch (code) {
    case KF_OK: return "OK";
#define KF__ERR_NAME(name, val, msg) \
    case KF_##name: return #name;
        KF_ERR_MAP(KF__ERR_NAME)
#undef KF__ERR_NAME
    }
    return "UNKNOWN";
}

const char *kf_strerror(int code)
{
    switch (code) {
    case KF_OK: return "success";
#define KF__ERR_MSG(name, val, msg) \
    case KF_##name: return msg;
        KF_ERR_MAP(KF__ERR_MSG)
#undef KF__ERR_MSG
    }
    return "unknown error";
}

int kf_errorf(struct kf_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(err->msg, sizeof err->msg, "%s", kf_strerror(code));
    return code;
}

int kf_err_prefix(struct kf_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return KF_OK;
    char head[KF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[KF_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    char joined[2 * KF_ERR_MSG_MAX + 4];
    snprintf(joined, sizeof joined, "%s: %s", head, old);
    size_t n = strnlen(joined, sizeof err->msg - 1);
    memcpy(err->msg, joined, n);
    err->msg[n] = '\0';
    return err->code;
}

void kf_err_clear(struct kf_err *err)
{
    if (err == NULL)
        return;
    err->code = KF_OK;
    err->msg[0] = '\0';
}
