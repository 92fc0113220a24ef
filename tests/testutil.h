/*
 * testutil.h — small helpers shared by kefu's test programs (header-only).
 *
 *   tu_tmpdir(out, tag)  a fresh folder /tmp/kefu-TAG-XXXXXX (aborts on failure)
 *   tu_rmtree(dir)       rm -r of such a folder
 */
#ifndef KEFU_TESTUTIL_H
#define KEFU_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static inline void tu_tmpdir(char out[256], const char *tag)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(out, 256, "%s/kefu-%s-XXXXXX", base, tag);
    if (mkdtemp(out) == NULL) {
        perror("mkdtemp");
        abort();
    }
}

static inline int tu__rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tu_rmtree(const char *dir)
{
    nftw(dir, tu__rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
