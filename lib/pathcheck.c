/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pathcheck.c — see pathcheck.h. Walks the resolved path component by
 * component from the root and applies the kernel's mode-bit rule for search
 * permission (owner, then group, then other) to each directory. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "pathcheck.h"

static bool in_groups(gid_t g, gid_t gid, const gid_t *groups, size_t n) {
        if (g == gid)
                return true;
        for (size_t i = 0; i < n; i++)
                if (groups[i] == g)
                        return true;
        return false;
}

static bool may_search(const struct stat *st, uid_t uid, gid_t gid, const gid_t *groups, size_t n) {
        if (uid == 0)
                return true;
        if (st->st_uid == uid)
                return st->st_mode & S_IXUSR;
        if (in_groups(st->st_gid, gid, groups, n))
                return st->st_mode & S_IXGRP;
        return st->st_mode & S_IXOTH;
}

/* The longest prefix of path that exists, resolved (realpath of a path that
 * does not exist fails, so strip components until it does not). */
static int resolve_existing(const char *path, char ret[PATH_MAX]) {
        char buf[PATH_MAX];
        if (path[0] != '/' || strlen(path) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, path);
        for (;;) {
                if (realpath(buf, ret))
                        return 0;
                if (errno != ENOENT && errno != ENOTDIR)
                        return -errno;
                char *slash = strrchr(buf, '/');
                if (!slash || slash == buf) {
                        strcpy(ret, "/");
                        return 0;
                }
                *slash = '\0';
        }
}

int path_reachable(const char *path, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, PathBlock *ret_block) {
        char real[PATH_MAX], prefix[PATH_MAX];
        struct stat st;
        int r = resolve_existing(path, real);
        if (r < 0)
                return r;
        /* "/", "/a", "/a/b", ... each a directory the user must search */
        size_t len = strlen(real);
        for (size_t i = 0; i <= len; i++) {
                if (i != 0 && real[i] != '/' && real[i] != '\0')
                        continue;
                size_t n = i == 0 ? 1 : i;
                memcpy(prefix, real, n);
                prefix[n] = '\0';
                if (stat(prefix, &st) < 0)
                        return -errno;
                if (!S_ISDIR(st.st_mode))
                        return 0; /* the path itself, a file: reaching it is enough */
                if (!may_search(&st, uid, gid, groups, n_groups)) {
                        if (ret_block) {
                                strcpy(ret_block->dir, prefix);
                                ret_block->owner = st.st_uid;
                                ret_block->group = st.st_gid;
                                ret_block->mode = st.st_mode & 07777;
                        }
                        return -EACCES;
                }
                if (i == 0 && len == 1)
                        break;
        }
        return 0;
}

int path_reachable_by_user(const char *path, uid_t uid, gid_t gid, PathBlock *ret_block) {
        gid_t groups[256];
        int n = (int) ELEMENTSOF(groups);
        struct passwd *pw = getpwuid(uid);
        if (!pw || getgrouplist(pw->pw_name, gid, groups, &n) < 0)
                n = 0;
        return path_reachable(path, uid, gid, groups, (size_t) n, ret_block);
}
