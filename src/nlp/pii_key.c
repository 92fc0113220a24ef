/*
 * pii_key.c — the vault key and sealing of raw PII values (pii.h).
 *
 * One 32-byte key seals every value with crypto_secretbox_easy (XSalsa20 +
 * Poly1305) and a fresh random nonce. The pseudonym key of the hash policy is
 * derived from it with crypto_kdf (context "kefu_pii", id 1), so a pseudonym
 * never uses the sealing key directly. The key's id, a keyed hash of a fixed
 * string under the key, names the key in the vault (so a value sealed under
 * another key is reported as such) without saying anything about it.
 *
 * Key files: created once with randombytes and mode 0600 through a temporary
 * file and link(2), which fails if another process created the key first —
 * then that key is read. Reading refuses files others may read or write.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pii_int.h"

int kf_pii_crypto_init(struct kf_err *err)
{
    if (sodium_init() < 0)
        return kf_errorf(err, KF_EINTERNAL, "libsodium failed to initialise");
    return KF_OK;
}

static void pii__key_derive(struct kf_pii_key *k)
{
    crypto_kdf_derive_from_key(k->pseudonym, sizeof k->pseudonym, 1, "kefu_pii", k->seal);
    static const char label[] = "kefu pii key id";
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1, k->seal,
                       sizeof k->seal);
    sodium_bin2hex(k->id, sizeof k->id, h, KF_PII_KEY_ID_LEN / 2);
}

void kf_pii_key_wipe(struct kf_pii_key *k)
{
    if (k != NULL)
        sodium_memzero(k, sizeof *k);
}

static int pii__hex_key(const char *hex, size_t n, struct kf_pii_key *out)
{
    size_t got = 0;
    if (n != 2 * KF_PII_KEY_BYTES)
        return -1;
    if (sodium_hex2bin(out->seal, sizeof out->seal, hex, n, NULL, &got, NULL) != 0 ||
        got != KF_PII_KEY_BYTES)
        return -1;
    return 0;
}

int kf_pii_key_from_hex(const char *hex, struct kf_pii_key *out, struct kf_err *err)
{
    int rc = kf_pii_crypto_init(err);
    if (rc != KF_OK)
        return rc;
    memset(out, 0, sizeof *out);
    size_t n = strlen(hex);
    if (pii__hex_key(hex, n, out) != 0) {
        kf_pii_key_wipe(out);
        return kf_errorf(err, KF_EINVAL,
                         "expected 64 hex characters (a 32-byte key), got %zu characters%s", n,
                         n == 64 ? " that are not all hex" : "");
    }
    pii__key_derive(out);
    return KF_OK;
}

/* mkdir -p of the folder that will hold path */
static int pii__make_parent(const char *path, struct kf_err *err)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir)
        return kf_errorf(err, KF_EINVAL, "%s: path too long", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return KF_OK;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(dir, 0750) != 0 && errno != EEXIST)
                return kf_errorf(err, KF_EIO, "cannot create %s: %s", dir, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return KF_OK;
}

/* Write a new random key to path unless one is there; *made tells. */
static int pii__key_create(const char *path, int *made, struct kf_err *err)
{
    *made = 0;
    int rc = pii__make_parent(path, err);
    if (rc != KF_OK)
        return rc;
    char tmp[4200];
    int n = snprintf(tmp, sizeof tmp, "%s.new-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return kf_errorf(err, KF_EINVAL, "%s: path too long", path);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return kf_errorf(err, KF_EIO, "cannot create a key next to %s: %s", path, strerror(errno));
    unsigned char key[KF_PII_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    int ok = fchmod(fd, 0600) == 0 && write(fd, key, sizeof key) == (ssize_t)sizeof key &&
             fsync(fd) == 0;
    int saved = errno;
    sodium_memzero(key, sizeof key);
    close(fd);
    if (!ok) {
        unlink(tmp);
        return kf_errorf(err, KF_EIO, "cannot write %s: %s", tmp, strerror(saved));
    }
    if (link(tmp, path) == 0) {
        *made = 1;
    } else if (errno != EEXIST) {
        saved = errno;
        unlink(tmp);
        return kf_errorf(err, KF_EIO, "cannot create %s: %s", path, strerror(saved));
    }
    unlink(tmp);
    return KF_OK;
}

int kf_pii_key_load_file(const char *path, int create, struct kf_pii_key *out, int *created,
                         struct kf_err *err)
{
    memset(out, 0, sizeof *out);
    if (created != NULL)
        *created = 0;
    int rc = kf_pii_crypto_init(err);
    if (rc != KF_OK)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        int made = 0;
        if ((rc = pii__key_create(path, &made, err)) != KF_OK)
            return rc;
        if (created != NULL)
            *created = made;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return kf_errorf(err, errno == ENOENT ? KF_ENOTFOUND : KF_EIO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return kf_errorf(err, KF_EINVAL, "%s: not a regular file", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return kf_errorf(err, KF_EINVAL,
                         "%s: other users may read or change this key (mode %03o); "
                         "chmod 600 it",
                         path, (unsigned)(st.st_mode & 0777));
    }
    unsigned char buf[80];
    ssize_t n = st.st_size <= (off_t)sizeof buf ? read(fd, buf, sizeof buf) : -2;
    close(fd);
    rc = KF_OK;
    if (n == KF_PII_KEY_BYTES) {
        memcpy(out->seal, buf, KF_PII_KEY_BYTES);
    } else {
        size_t h = n > 0 ? (size_t)n : 0;
        while (h > 0 && (buf[h - 1] == '\n' || buf[h - 1] == '\r'))
            h--;
        if (n < 0 || pii__hex_key((const char *)buf, h, out) != 0)
            rc = kf_errorf(err, KF_EINVAL,
                           "%s: %lld bytes; a privacy key file holds 32 bytes (or 64 hex "
                           "characters)",
                           path, (long long)st.st_size);
    }
    sodium_memzero(buf, sizeof buf);
    if (rc != KF_OK) {
        kf_pii_key_wipe(out);
        return rc;
    }
    pii__key_derive(out);
    return KF_OK;
}

int kf_pii_seal(const struct kf_pii_key *k, const char *plain, size_t len, struct kf_arena *a,
                unsigned char **nonce, unsigned char **ct, size_t *ct_len, struct kf_err *err)
{
    *nonce = kf_arena_alloc(a, crypto_secretbox_NONCEBYTES);
    *ct = kf_arena_alloc(a, len + crypto_secretbox_MACBYTES);
    if (*nonce == NULL || *ct == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    randombytes_buf(*nonce, crypto_secretbox_NONCEBYTES);
    if (crypto_secretbox_easy(*ct, (const unsigned char *)plain, len, *nonce, k->seal) != 0)
        return kf_errorf(err, KF_EINTERNAL, "sealing failed");
    *ct_len = len + crypto_secretbox_MACBYTES;
    return KF_OK;
}

int kf_pii_open(const struct kf_pii_key *k, const unsigned char *nonce, size_t nonce_len,
                const unsigned char *ct, size_t ct_len, struct kf_arena *a, char **plain,
                size_t *len, struct kf_err *err)
{
    if (nonce_len != crypto_secretbox_NONCEBYTES || ct_len < crypto_secretbox_MACBYTES)
        return kf_errorf(err, KF_EINVAL, "sealed value: bad nonce or length");
    size_t n = ct_len - crypto_secretbox_MACBYTES;
    char *p = kf_arena_alloc(a, n + 1);
    if (p == NULL)
        return kf_errorf(err, KF_ENOMEM, "out of memory");
    if (crypto_secretbox_open_easy((unsigned char *)p, ct, ct_len, nonce, k->seal) != 0)
        return kf_errorf(err, KF_EINVAL, "sealed value: wrong key or damaged");
    p[n] = '\0';
    *plain = p;
    *len = n;
    return KF_OK;
}
