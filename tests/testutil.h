/*
 * testutil.h — small helpers shared by kefu's test programs (header-only).
 *
 *   tu_tmpdir(out, tag)  a fresh folder /tmp/kefu-TAG-XXXXXX (aborts on failure)
 *   tu_rmtree(dir)       rm -r of such a folder
 *   tu_write(dir, name, text)  write DIR/NAME; returns its path (a static
 *                        buffer: use it before the next call; aborts on failure)
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

static inline const char *tu_write(const char *dir, const char *name, const char *text)
{
    static char path[768];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

#endif
