/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rmtree.c — see rmtree.h. Depth first: open the directory with
 * O_DIRECTORY|O_NOFOLLOW relative to its parent's fd, check it is on the
 * same file system, remove its entries (recursing into directories), then
 * unlinkat(AT_REMOVEDIR) it from the parent. unlinkat() never follows a
 * symlink, so the owner of the tree can make us remove nothing but entries
 * of the tree. */
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static int rm_dir_contents(int fd, dev_t dev, unsigned depth_left);

static int rm_entry(int dirfd, const char *name, dev_t dev, unsigned depth_left) {
        int r;

        if (unlinkat(dirfd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM) /* unlink() of a directory: EISDIR (Linux), EPERM (POSIX) */
                return negative_errno();
        if (depth_left == 0)
                return -ELOOP;
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        struct stat st;
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                close(fd);
                return r;
        }
        if (st.st_dev != dev) {
                close(fd);
                return -EXDEV;
        }
        r = rm_dir_contents(fd, dev, depth_left - 1); /* closes fd */
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r >= 0)
                r = negative_errno();
        return r;
}

static int rm_dir_contents(int fd, dev_t dev, unsigned depth_left) {
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                int k = rm_entry(dirfd(d), de->d_name, dev, depth_left);
                if (k < 0 && r >= 0)
                        r = k;
        }
        if (errno != 0 && r >= 0)
                r = negative_errno();
        closedir(d);
        return r;
}

int rmtree_at(int dirfd, const char *name, unsigned max_depth) {
        struct stat st;

        if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        if (fstat(dirfd, &st) < 0)
                return negative_errno();
        return rm_entry(dirfd, name, st.st_dev, max_depth);
}
