/*
 * err.h — kefu's error codes and the caller-owned error buffer.
 *
 * Every fallible libkefu function returns int: 0 on success, a negative
 * KF_E* code on failure, and writes a human-readable detail into a
 * `struct kf_err` the caller passes in (NULL is allowed and discards the
 * detail). The codes come from one X-macro table so the enum, the names and
 * the default messages cannot drift apart (after libuv's UV_ERRNO_MAP).
 *
 * Ownership: struct kf_err is a plain value owned by the caller; nothing in
 * it is heap-allocated.
 */
#ifndef KEFU_ERR_H
#define KEFU_ERR_H

#include <stddef.h>

/* XX(NAME, value, "default message") */
#define KF_ERR_MAP(XX)                                               \
    XX(EINVAL, -1, "invalid argument")                               \
    XX(ENOMEM, -2, "out of memory")                                  \
    XX(EIO, -3, "input/output error")                                \
    XX(ENOTFOUND, -4, "not found")                                   \
    XX(ETOOBIG, -5, "too large")                                     \
    XX(EPARSE, -6, "parse error")                                    \
    XX(ECONFIG, -7, "configuration error")                           \
    XX(ESTORE, -8, "storage error")                                  \
    XX(EUTF8, -9, "invalid UTF-8")                                   \
    XX(EEXIST, -10, "already exists")                                \
    XX(EBUSY, -11, "busy")                                           \
    XX(EUNSUPPORTED, -12, "not supported")                           \
    XX(EINTERNAL, -13, "internal error")                             \
    XX(ECONFLICT, -14, "conflict")                                   \
    XX(EUNAVAILABLE, -15, "service unavailable")

enum kf_errcode {
    KF_OK = 0,
#define KF__ERR_ENUM(name, val, msg) KF_##name = val,
    KF_ERR_MAP(KF__ERR_ENUM)
#undef KF__ERR_ENUM
};

#define KF_ERR_MSG_MAX 512

struct kf_err {
    int code;                 /* 0 or a KF_E* value */
    char msg[KF_ERR_MSG_MAX]; /* detail, always NUL-terminated */
};

/* Short name of a code, e.g. "EINVAL"; "UNKNOWN" for anything else. */
const char *kf_err_name(int code);

/* Default message of a code, e.g. "invalid argument". */
const char *kf_strerror(int code);

/* Record `code` and a printf-style detail in `err` (may be NULL); returns code
 * so callers can write `return kf_errorf(err, KF_EINVAL, "...")`. */
int kf_errorf(struct kf_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing detail with more context: "ctx: old detail". */
int kf_err_prefix(struct kf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void kf_err_clear(struct kf_err *err);

#endif
