/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pathcheck.h — can a given user reach a path? corrald starts as root and
 * then hands its state, output and policy directories to an unprivileged
 * user; when one of them lies below a directory that user cannot search
 * (a mode-0700 home directory), the open fails later with a bare ENOENT or
 * EACCES that names neither the directory nor the fix. This finds the first
 * directory on the way that the user may not search, so start-up can say so.
 * Mode bits only: ACLs and LSMs are not consulted. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

typedef struct PathBlock {
        char dir[4096]; /* the first directory the user cannot search */
        uid_t owner;
        gid_t group;
        mode_t mode; /* permission bits of dir */
} PathBlock;

/* 0 when uid (primary gid, supplementary groups) may search every directory
 * from / down to path's parent, and path itself when it is a directory;
 * -EACCES with *ret_block filled when it may not; other -errno when a
 * directory on the way cannot be examined. A path that does not exist yet
 * is checked as far as it exists. Symbolic links are resolved first. */
int path_reachable(const char *path, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, PathBlock *ret_block);

/* The same for a user looked up by uid (its groups from NSS). */
int path_reachable_by_user(const char *path, uid_t uid, gid_t gid, PathBlock *ret_block);
