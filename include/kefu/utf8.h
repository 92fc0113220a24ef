/*
 * utf8.h — small, strict UTF-8 helpers used on every untrusted input.
 *
 * "Valid" means RFC 3629: shortest form only, no surrogates, nothing above
 * U+10FFFF. Embedded NUL bytes are rejected by kf_utf8_valid_text() because
 * they cannot round-trip through C strings.
 */
#ifndef KEFU_UTF8_H
#define KEFU_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..len) is valid UTF-8, else 0. */
int kf_utf8_valid(const char *s, size_t len);

/* Like kf_utf8_valid, and also rejects NUL bytes. */
int kf_utf8_valid_text(const char *s, size_t len);

/* Decode one code point at s (len bytes available). Returns the number of
 * bytes consumed (1..4) and stores the code point in *cp, or returns -1 for
 * an invalid sequence. */
int kf_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encode cp into out (4 bytes room). Returns bytes written, or 0 if cp is not
 * a Unicode scalar value. */
int kf_utf8_encode(uint32_t cp, char out[4]);

/* Number of code points in valid UTF-8 s[0..len); invalid bytes count as one. */
size_t kf_utf8_count(const char *s, size_t len);

/* Largest n <= max such that s[0..n) does not end inside a sequence. */
size_t kf_utf8_truncate(const char *s, size_t len, size_t max);

/* 1 for Han ideographs (CJK Unified Ideographs and extensions, compatibility
 * ideographs), else 0. */
int kf_utf8_is_han(uint32_t cp);

#endif
