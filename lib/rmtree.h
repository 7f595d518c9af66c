/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rmtree.h — remove a directory tree that its owner, someone else, may still
 * change under us: the output directories of ended jobs in the spool (the
 * user owns each one). */
#pragma once

/* Removes the entry name of the directory dirfd and, if it is a directory,
 * everything in it: every step relative to an fd opened O_NOFOLLOW, so a
 * symlink is removed as a link, never followed, and a directory swapped for
 * a symlink between two steps is refused (ENOTDIR), not entered; nothing on
 * another file system (a mount point, -EXDEV) and nothing deeper than
 * max_depth levels (-ELOOP) is entered. A missing name is success. Returns 0
 * or the first -errno; what could be removed is removed. */
int rmtree_at(int dirfd, const char *name, unsigned max_depth);
