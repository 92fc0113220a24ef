/*
 * static.c — files from the web root (GET/HEAD only).
 *
 * The URL (already percent-decoded by libmicrohttpd) is joined to the web
 * root, resolved with realpath(3) and served only if the result is a regular
 * file inside the root, so "..", symlinks out of the root and NUL tricks all
 * end in 404. "/" and folder URLs serve index.html.
 *
 * Front-end libraries come from npm into <root>/node_modules
 * (scripts/install-web-libs.sh). Only fixed files of it are served, under
 * /vendor/ (static__vendor); /node_modules/ itself is 404, so the web root
 * never exposes a package's other files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_int.h"

static const char *static__type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".ico", "image/x-icon"},
        {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (dot != NULL)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* /vendor/<name> → the one file of an npm package it stands for. */
static const char *static__vendor(const char *url)
{
    static const struct {
        const char *url, *path;
    } vendor[] = {
        {"/vendor/echarts.min.js", "/node_modules/echarts/dist/echarts.min.js"},
    };
    for (size_t i = 0; i < sizeof vendor / sizeof vendor[0]; i++)
        if (strcmp(url, vendor[i].url) == 0)
            return vendor[i].path;
    return NULL;
}

void http_static(struct http_req *r, struct http_resp *out)
{
    const char *root = r->srv->web_root;
    const char *url = r->url;
    const char *vendor = static__vendor(url);
    if (vendor != NULL)
        url = vendor;
    else if (strncmp(url, "/vendor/", 8) == 0) {
        http_error(r, out, 404, "not_found", "not found");
        return;
    }
    if (root[0] == '\0' || url[0] != '/' || strlen(url) > 1024) {
        http_error(r, out, 404, "not_found", "not found");
        return;
    }
    char want[PATH_MAX + 1100];
    size_t ul = strlen(url);
    snprintf(want, sizeof want, "%s%s%s", root, url, url[ul - 1] == '/' ? "index.html" : "");
    char real[PATH_MAX];
    size_t rl = strlen(root);
    if (realpath(want, real) == NULL || strncmp(real, root, rl) != 0 || real[rl] != '/' ||
        (vendor == NULL && strncmp(real + rl, "/node_modules", 13) == 0 &&
         (real[rl + 13] == '/' || real[rl + 13] == '\0'))) {
        http_error(r, out, 404, "not_found", "not found");
        return;
    }
    struct stat sb;
    if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        size_t n = strlen(real);
        if (n + 12 >= sizeof real) {
            http_error(r, out, 404, "not_found", "not found");
            return;
        }
        memcpy(real + n, "/index.html", 12);
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        http_error(r, out, 404, "not_found", "not found");
        return;
    }
    out->status = 200;
    out->fd = fd;
    out->len = (size_t)sb.st_size;
    out->ctype = static__type(real);
    if (vendor != NULL)
        out->cache_control = "public, max-age=86400"; /* versioned by web/package-lock.json */
}
