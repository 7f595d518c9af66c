/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobns.c — the job's published namespaces (jobns.h). */
#include "jobns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

static const struct {
        const char *name;
        int type;
} ns_types[] = {
        { "mnt", CLONE_NEWNS },
        { "ipc", CLONE_NEWIPC },
        { "uts", CLONE_NEWUTS },
};

static int msg(char **ret, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int msg(char **ret, int r, const char *fmt, ...) {
        va_list ap;

        errno = -r;
        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return r;
}

static int ns_type(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(ns_types); i++)
                if (strcmp(ns_types[i].name, name) == 0)
                        return ns_types[i].type;
        return -1;
}

/* mkdir -p, the last component 0700 */
static int make_dir(const char *dir, char **ret_msg) {
        char path[PATH_MAX];

        if (snprintf(path, sizeof path, "%s", dir) >= (int) sizeof path || path[0] != '/')
                return msg(ret_msg, -EINVAL, "%s: not an absolute path", dir);
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return msg(ret_msg, negative_errno(), "cannot create %s: %m", path);
                *p = '/';
        }
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return msg(ret_msg, negative_errno(), "cannot create %s: %m", path);
        return 0;
}

int jobns_lock(const JobNsKey *k, int *ret_fd, char **ret_msg) {
        char path[PATH_MAX];
        struct stat st;
        int fd, r;

        *ret_fd = -1;
        r = make_dir(k->dir, ret_msg);
        if (r < 0)
                return r;
        if (lstat(k->dir, &st) < 0)
                return msg(ret_msg, negative_errno(), "cannot stat %s: %m", k->dir);
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022))
                return msg(ret_msg, -EPERM,
                           "%s is not a directory of root's that only root can write; fix: remove it, or name "
                           "another with ns_dir= in plugstack.conf",
                           k->dir);
        /* a private mount of its own (once per boot): the namespace files'
         * mounts must not propagate to other mount namespaces */
        if (mount(NULL, k->dir, NULL, MS_PRIVATE, NULL) < 0) {
                if (errno != EINVAL)
                        return msg(ret_msg, negative_errno(), "cannot make %s a private mount: %m", k->dir);
                if (mount(k->dir, k->dir, NULL, MS_BIND, NULL) < 0 || mount(NULL, k->dir, NULL, MS_PRIVATE, NULL) < 0)
                        return msg(ret_msg, negative_errno(), "cannot make %s a private mount: %m", k->dir);
        }
        (void) snprintf(path, sizeof path, "%s/%u.lock", k->dir, (unsigned) k->job);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return msg(ret_msg, negative_errno(), "cannot open %s: %m", path);
        while (flock(fd, LOCK_EX) < 0) {
                if (errno == EINTR)
                        continue;
                r = negative_errno();
                (void) close(fd);
                return msg(ret_msg, r, "cannot lock %s: %m", path);
        }
        *ret_fd = fd;
        return 0;
}

static int read_policy(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        return 0;
}

int jobns_open(const JobNsKey *k, const char *const *names, int *fds, size_t n, char **ret_msg) {
        char path[PATH_MAX], have[PATH_MAX + 256];
        int r;

        for (size_t i = 0; i < n; i++)
                fds[i] = -1;
        (void) snprintf(path, sizeof path, "%s/%u/policy", k->dir, (unsigned) k->job);
        r = read_policy(path, have, sizeof have);
        if (r == -ENOENT)
                return msg(ret_msg, r, "no namespaces published for job %u", (unsigned) k->job);
        if (r < 0)
                return msg(ret_msg, r, "cannot read %s: %m", path);
        for (size_t i = 0; i < n; i++) {
                int type;
                if (!names[i])
                        continue;
                (void) snprintf(path, sizeof path, "%s/%u/%s", k->dir, (unsigned) k->job, names[i]);
                fds[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fds[i] < 0) {
                        r = msg(ret_msg, negative_errno(), "cannot open %s: %m", path);
                        goto fail;
                }
                /* an empty file, not a namespace, if the mount is gone (a
                 * set left by a job whose epilog never ran, its id given
                 * again): -ENOENT, the step makes and publishes a new set */
                type = ioctl(fds[i], NS_GET_NSTYPE);
                if (type != ns_type(names[i])) {
                        r = msg(ret_msg, -ENOENT, "%s is not a %s namespace (its bind mount is gone)", path, names[i]);
                        goto fail;
                }
        }
        /* (checked after the files: a stale set is replaced whatever it was) */
        if (strcmp(have, k->policy) != 0) {
                r = msg(ret_msg, -ESTALE, "job %u's namespaces are policy %s's", (unsigned) k->job, have);
                goto fail;
        }
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        (void) close(fds[i]);
                        fds[i] = -1;
                }
        return r;
}

/* unmounts and removes DIR/JOB/name (gone: fine) */
static int remove_ns_file(const char *jobdir, const char *name, char **ret_msg) {
        char path[PATH_MAX];

        (void) snprintf(path, sizeof path, "%s/%s", jobdir, name);
        while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                ; /* (mounted twice by a step that crashed half-way) */
        if (errno != EINVAL && errno != ENOENT)
                return msg(ret_msg, negative_errno(), "cannot unmount %s: %m", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return msg(ret_msg, negative_errno(), "cannot remove %s: %m", path);
        return 0;
}

int jobns_publish(const JobNsKey *k, const char *const *names, const int *fds, size_t n, char **ret_msg) {
        char jobdir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX], src[64];
        _cleanup_close_ int fd = -1;
        size_t len = strlen(k->policy);
        int r;

        (void) snprintf(jobdir, sizeof jobdir, "%s/%u", k->dir, (unsigned) k->job);
        if (mkdir(jobdir, 0700) < 0 && errno != EEXIST)
                return msg(ret_msg, negative_errno(), "cannot create %s: %m", jobdir);
        for (size_t i = 0; i < n; i++) {
                if (!names[i] || fds[i] < 0)
                        continue;
                /* a half-published set of a step that failed: replaced */
                r = remove_ns_file(jobdir, names[i], ret_msg);
                if (r < 0)
                        return r;
                (void) snprintf(path, sizeof path, "%s/%s", jobdir, names[i]);
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return msg(ret_msg, negative_errno(), "cannot create %s: %m", path);
                (void) close(fd);
                fd = -1;
                (void) snprintf(src, sizeof src, "/proc/self/fd/%d", fds[i]);
                if (mount(src, path, NULL, MS_BIND, NULL) < 0)
                        return msg(ret_msg, negative_errno(), "cannot bind the step's %s namespace on %s: %m", names[i],
                                   path);
        }
        (void) snprintf(tmp, sizeof tmp, "%s/policy.new", jobdir);
        (void) snprintf(path, sizeof path, "%s/policy", jobdir);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return msg(ret_msg, negative_errno(), "cannot create %s: %m", tmp);
        if (write(fd, k->policy, len) != (ssize_t) len)
                return msg(ret_msg, errno ? negative_errno() : -EIO, "cannot write %s: %m", tmp);
        if (rename(tmp, path) < 0)
                return msg(ret_msg, negative_errno(), "cannot rename %s to %s: %m", tmp, path);
        return 0;
}

int jobns_remove(const char *dir, uint32_t job, char **ret_msg) {
        JobNsKey k = { .dir = dir, .job = job };
        char jobdir[PATH_MAX], path[PATH_MAX];
        _cleanup_close_ int lock = -1;
        struct stat st;
        int r;

        (void) snprintf(jobdir, sizeof jobdir, "%s/%u", dir, (unsigned) job);
        (void) snprintf(path, sizeof path, "%s/%u.lock", dir, (unsigned) job);
        if (lstat(jobdir, &st) < 0 && errno == ENOENT && lstat(path, &st) < 0 && errno == ENOENT)
                return 1;
        r = jobns_lock(&k, &lock, ret_msg);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(ns_types); i++) {
                r = remove_ns_file(jobdir, ns_types[i].name, ret_msg);
                if (r < 0)
                        return r;
        }
        (void) snprintf(path, sizeof path, "%s/policy", jobdir);
        (void) unlink(path);
        (void) snprintf(path, sizeof path, "%s/policy.new", jobdir);
        (void) unlink(path);
        if (rmdir(jobdir) < 0 && errno != ENOENT)
                return msg(ret_msg, negative_errno(), "cannot remove %s: %m", jobdir);
        /* the job is over: no step of it waits for the lock any more */
        (void) snprintf(path, sizeof path, "%s/%u.lock", dir, (unsigned) job);
        if (unlink(path) < 0 && errno != ENOENT)
                return msg(ret_msg, negative_errno(), "cannot remove %s: %m", path);
        return 0;
}
