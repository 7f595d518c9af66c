/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts.c — step 4, in the child, as root of its new user namespace
 * (which owns the new mount, PID, IPC, UTS and network namespaces), or in a
 * process that contained itself (contain_setup_self(), as the host's root;
 * no PID namespace, so no /proc of its own); ns says which namespaces the
 * process is in:
 *
 *   1. "/" recursively private: nothing done here propagates to the host.
 *   2. read-only paths: recursive bind onto themselves, then read-only
 *      recursively (mount_setattr), so submounts are covered too.
 *   3. /proc of the job's PID namespace; /dev/mqueue of its IPC namespace.
 *   4. private /tmp, /dev/shm and private_dirs (/var/tmp, /run/lock in the
 *      default policy): fresh tmpfs, charged to the job's memory cgroup,
 *      gone with the mount namespace. A world-writable directory shared
 *      with the host would keep what the job left there after it ended,
 *      charged to no cgroup, for the epilogue to find.
 *   5. hidden paths: an empty read-only tmpfs with mode 000 over a
 *      directory; a mode-000 file bound read-only over a file (the
 *      directories first: the file is made on a scratch tmpfs over /tmp,
 *      which would hide a directory below /tmp). Done after 2 so that a
 *      hidden path inside a read-only tree is covered as well.
 *   6. hostname (UTS namespace) and loopback up (network namespace).
 * Everything disappears with the mount namespace when the job ends: nothing
 * is ever mounted on the host. Paths that do not exist on this node are
 * skipped (a policy is shared by nodes that differ). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* where the inaccessible file lives while hidden paths are set up */
#define STAGING "/tmp"

#define fail(err, r, ...) child_error((err), STEP_MOUNTS, (r), __VA_ARGS__)

static int make_readonly(const char *path) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        struct statvfs sv;

        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return negative_errno();
        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return negative_errno();
        /* before 5.12: the top mount only; a remount in a user namespace
         * must keep the flags the kernel locked (nosuid, nodev, noexec...) */
        if (statvfs(path, &sv) < 0)
                return negative_errno();
        if (mount(NULL, path, NULL,
                  MS_REMOUNT | MS_BIND | MS_RDONLY | (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME)),
                  NULL) < 0)
                return negative_errno();
        return 0;
}

/* A directory: an empty read-only tmpfs with mode 000 over it (no staging
 * file needed); 0 when path is not a directory (hide() does it). */
static int hide_dir(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode))
                return 0;
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=000,size=4k,nr_inodes=1") < 0)
                return negative_errno();
        return 1;
}

static int hide(const char *path, const char *inaccessible) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return 0; /* hidden already, by hide_dir() */
        if (mount(inaccessible, path, NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return negative_errno();
        return 0;
}

static int setup_hidden(const Policy *p, const JobUser *u, ChildError *err) {
        const char *f = STAGING "/inaccessible";
        char opts[96];
        _cleanup_close_ int fd = -1;
        int r;

        if (!p->hide || !p->hide[0])
                return 0;
        /* directories first, before the scratch tmpfs covers STAGING: a
         * hidden directory below /tmp (corrald's socket's, when the host's
         * /tmp is the job's) is then still found */
        for (char **h = p->hide; *h; h++) {
                r = hide_dir(*h);
                if (r < 0 && r != -ENOENT)
                        return fail(err, r, "cannot hide %s: %m", *h);
        }
        /* a scratch tmpfs for the mode-000 file; detached afterwards, the
         * bind mounts keep the file alive */
        (void) snprintf(opts, sizeof opts, "mode=0700,size=4k,uid=%u,gid=%u", (unsigned) u->uid, (unsigned) u->gid);
        if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return fail(err, negative_errno(), "cannot mount a scratch tmpfs on %s: %m", STAGING);
        /* our own uid (the host's root) has no mapping in this namespace, so
         * the file is created as the user; mode 000, and reachable only
         * through read-only bind mounts: the user can neither chmod it nor
         * read it */
        (void) setfsgid(u->gid);
        (void) setfsuid(u->uid);
        fd = open(f, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0000);
        r = fd < 0 ? negative_errno() : 0;
        if (fd < 0) {
                errno = -r;
                (void) umount2(STAGING, MNT_DETACH);
                return fail(err, r, "cannot create %s: %m", f);
        }
        for (char **h = p->hide; *h; h++) {
                r = hide(*h, f);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        (void) umount2(STAGING, MNT_DETACH);
                        return fail(err, r, "cannot hide %s: %m", *h);
                }
        }
        if (umount2(STAGING, MNT_DETACH) < 0)
                return fail(err, negative_errno(), "cannot unmount the scratch tmpfs on %s: %m", STAGING);
        return 0;
}

static int mount_tmpfs(const char *path, unsigned long flags, ChildError *err) {
        struct stat st;

        if (stat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return fail(err, negative_errno(), "cannot mount a private %s: %m", path);
        }
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | flags, "mode=1777") < 0)
                return fail(err, negative_errno(), "cannot mount a private %s: %m", path);
        return 0;
}

static int loopback_up(void) {
        struct ifreq ifr = {};
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return negative_errno();
        (void) snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return negative_errno();
        return 0;
}

int mounts_setup(const Policy *p, uint64_t ns, const JobUser *u, ChildError *err) {
        int r;

        if (ns & CLONE_NEWNS) {
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        return fail(err, negative_errno(), "cannot make / private: %m");

                for (char **ro = p->read_only; ro && *ro; ro++) {
                        r = make_readonly(*ro);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return fail(err, r, "cannot make %s read-only: %m", *ro);
                }

                if ((ns & CLONE_NEWPID) && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail(err, negative_errno(), "cannot mount /proc of the job's PID namespace: %m");
                if ((ns & CLONE_NEWIPC) && access("/dev/mqueue", F_OK) == 0 &&
                    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail(err, negative_errno(), "cannot mount /dev/mqueue of the job's IPC namespace: %m");
                if (p->private_tmp && (r = mount_tmpfs("/tmp", 0, err)) < 0)
                        return r;
                if (p->private_devshm && (r = mount_tmpfs("/dev/shm", MS_NOEXEC, err)) < 0)
                        return r;
                for (char **d = p->private_dirs; d && *d; d++)
                        if ((r = mount_tmpfs(*d, 0, err)) < 0)
                                return r;
                /* last: it leaves the fsuid at the user's (root's has no
                 * mapping here to go back to), and the credentials step
                 * sets every id next anyway (contain_setup_self() puts the
                 * host root's back) */
                r = setup_hidden(p, u, err);
                if (r < 0)
                        return r;
        }
        if ((ns & CLONE_NEWUTS) && !isempty(p->hostname) && sethostname(p->hostname, strlen(p->hostname)) < 0)
                return fail(err, negative_errno(), "cannot set the hostname to %s: %m", p->hostname);
        if ((ns & CLONE_NEWNET) && (r = loopback_up()) < 0)
                return fail(err, r, "cannot bring the loopback interface up: %m");
        return 0;
}
