/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devmode.c — `corrald --dev`, what `sudo make run` starts from a checkout.
 *
 * A checkout usually lives in its owner's home directory: mode 0700 on
 * Debian 12, so the daemon user cannot reach state kept there, and its files
 * belong to that user, so a policy read from it fails the root-ownership
 * check that corral-launch and corral-epilogue make (rightly: on a real node
 * a policy anyone but root can change is a way to root). Rather than weaken
 * that check, development mode keeps everything the daemon needs under one
 * root-owned directory outside the checkout (/run/corral-dev by default):
 *
 *   DEV_DIR/state      the queue database (the daemon user's, 0700)
 *   DEV_DIR/run        root-only runtime files
 *   DEV_DIR/output     job output
 *   DEV_DIR/corral.sock
 *   DEV_DIR/policies   a root-owned copy of the checkout's policies/NAME.ini,
 *                      made anew at every start (edit the checkout's, restart)
 *
 * The ownership checks stay on everywhere; the copy is what makes them pass. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corrald.h"
#include "log.h"
#include "macro.h"

#define DEV_POLICY_MAX ((off_t) 1024 * 1024)

/* DEV_DIR and every directory above it must be root's and writable by no
 * one else (sticky directories such as /tmp excepted for the ancestors):
 * otherwise another user could swap what root then trusts. */
static int check_root_owned(const char *dir, bool leaf) {
        struct stat st;
        if (lstat(dir, &st) < 0)
                return log_error_errno(negative_errno(), "Cannot examine %s: %m", dir);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR,
                                       "%s is not a directory; remove it or choose another "
                                       "development directory (corrald --dev-dir DIR, make run DEV_DIR=DIR)",
                                       dir);
        bool foreign_writable = (st.st_mode & 022) && !(!leaf && (st.st_mode & S_ISVTX));
        if (st.st_uid != 0 || foreign_writable)
                return log_error_errno(-EPERM,
                                       "%s is owned by uid %u with mode %04o, but development mode keeps root's "
                                       "state there: it must be root's and writable by root only; remove it or "
                                       "choose another directory (corrald --dev-dir DIR, make run DEV_DIR=DIR)",
                                       dir, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        return 0;
}

static int prepare_dir(const char *dev_dir) {
        char buf[PATH_MAX];
        if (dev_dir[0] != '/' || strlen(dev_dir) >= sizeof buf)
                return log_error_errno(-EINVAL, "--dev-dir: expected an absolute path, got '%s'", dev_dir);
        if (mkdir(dev_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create the development directory %s: %m", dev_dir);
        int r = check_root_owned(dev_dir, true);
        if (r < 0)
                return r;
        strcpy(buf, dev_dir);
        for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
                if (slash == buf) {
                        buf[1] = '\0';
                        return check_root_owned(buf, false);
                }
                *slash = '\0';
                r = check_root_owned(buf, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Copies one policy file, refusing anything but a regular file of sane size,
 * through a temporary name and rename(), so a reader never sees half a file. */
static int copy_policy(int src_dir, int dst_dir, const char *name, const char *src_path) {
        char tmp[NAME_MAX + 8];
        struct stat st;
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (in < 0)
                return log_error_errno(negative_errno(), "Cannot open %s/%s: %m", src_path, name);
        if (fstat(in, &st) < 0)
                return log_error_errno(negative_errno(), "Cannot examine %s/%s: %m", src_path, name);
        if (!S_ISREG(st.st_mode) || st.st_size > DEV_POLICY_MAX)
                return log_error_errno(-EINVAL, "%s/%s is not a regular file of at most 1 MiB, not copied", src_path,
                                       name);
        snprintf(tmp, sizeof tmp, ".%s.tmp", name);
        (void) unlinkat(dst_dir, tmp, 0);
        _cleanup_close_ int out = openat(dst_dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0)
                return log_error_errno(negative_errno(), "Cannot create a copy of %s/%s: %m", src_path, name);
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0)
                        return log_error_errno(negative_errno(), "Cannot read %s/%s: %m", src_path, name);
                if (n == 0)
                        break;
                if (write(out, buf, (size_t) n) != n)
                        return log_error_errno(-EIO, "Cannot write the copy of %s/%s", src_path, name);
        }
        if (fchmod(out, 0644) < 0 || renameat(dst_dir, tmp, dst_dir, name) < 0)
                return log_error_errno(negative_errno(), "Cannot put the copy of %s/%s in place: %m", src_path, name);
        return 0;
}

static bool is_policy_name(const char *n) {
        size_t l = strlen(n);
        return n[0] != '.' && l > 4 && streq(n + l - 4, ".ini");
}

/* Makes DEV_DIR/policies hold exactly the *.ini files of src. */
static int copy_policies(const char *src, const char *dst, unsigned *ret_n) {
        unsigned n = 0;
        if (mkdir(dst, 0755) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", dst);
        int r = check_root_owned(dst, true);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(negative_errno(), "Cannot open %s: %m", dst);
        int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
                return log_error_errno(negative_errno(),
                                       "Cannot open the policy directory %s: %m; start `make run` from the top "
                                       "of the checkout, or name it with --policy-dir",
                                       src);
        DIR *d = fdopendir(sfd);
        if (!d) {
                close(sfd);
                return log_oom();
        }
        for (struct dirent *e; (e = readdir(d));) {
                if (!is_policy_name(e->d_name))
                        continue;
                r = copy_policy(dirfd(d), dfd, e->d_name, src);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
                n++;
        }
        closedir(d);
        if (n == 0)
                return log_error_errno(-ENOENT, "No policies (*.ini) in %s; name the directory with --policy-dir", src);

        /* policies removed from the checkout go from the copy too */
        int dfd2 = dup(dfd);
        DIR *o = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
        if (!o) {
                if (dfd2 >= 0)
                        close(dfd2);
                return log_oom();
        }
        for (struct dirent *e; (e = readdir(o));) {
                if (e->d_name[0] == '.')
                        continue;
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s/%s", src, e->d_name);
                if (access(p, F_OK) < 0)
                        (void) unlinkat(dirfd(o), e->d_name, 0);
        }
        closedir(o);
        *ret_n = n;
        return 0;
}

static int join(char **ret, const char *dir, const char *name) {
        free(*ret);
        *ret = NULL;
        return asprintf(ret, "%s/%s", dir, name) < 0 ? log_oom() : 0;
}

int dev_prepare(Settings *s, const char *dev_dir, const char *policy_src) {
        unsigned n = 0;
        _cleanup_free_ char *policies = NULL;
        int r = prepare_dir(dev_dir);
        if (r < 0)
                return r;
        if (join(&s->state_dir, dev_dir, "state") < 0 || join(&s->run_dir, dev_dir, "run") < 0 ||
            join(&s->output_dir, dev_dir, "output") < 0 || join(&s->socket, dev_dir, "corral.sock") < 0 ||
            join(&s->policy_dir, dev_dir, "policies") < 0)
                return -ENOMEM;
        r = copy_policies(policy_src, s->policy_dir, &n);
        if (r < 0)
                return r;
        log_info("Development mode: state, output and socket under %s; %u policies copied from %s to %s", dev_dir, n,
                 policy_src, s->policy_dir);
        return 0;
}
