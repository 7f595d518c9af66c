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
 *   3. /proc of the job's PID namespace; the job's own /dev (private_dev:
 *      setup_dev()); /dev/mqueue of its IPC namespace.
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
#include <limits.h>
#include <stdlib.h>
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

#include "devices.h"
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

/* ---- the job's own /dev (private_dev) ---- */

/* mkdir -p below /dev, each new directory 0755 */
static int mkdir_parents(const char *path) {
        char d[PATH_MAX];

        if (snprintf(d, sizeof d, "%s", path) >= (int) sizeof d)
                return -ENAMETOOLONG;
        for (char *s = d + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(d, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

/* host path -> an O_PATH fd, opened before the host's /dev is covered */
static int open_host(const char *path) {
        return open(path, O_PATH | O_CLOEXEC);
}

/* bind what fd refers to onto path (a new empty file or directory) */
static int bind_fd(int fd, const char *path, bool dir) {
        char src[64];

        if (dir) {
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
        } else {
                int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (f < 0)
                        return negative_errno();
                (void) close(f);
        }
        (void) snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
        if (mount(src, path, NULL, MS_BIND | (dir ? MS_REC : 0), NULL) < 0)
                return negative_errno();
        return 0;
}

/* The job's /dev: a tmpfs with the basic nodes and the policy's devices
 * bound from the host's (lib/devices.h; O_PATH fds opened before the tmpfs
 * covers the host's, bound through /proc/self/fd), a devpts of its own
 * (ptmx a link into it), /dev/shm and /dev/mqueue as mount points (their
 * private mounts come next; the host's are bound when the policy keeps
 * them), the usual links (fd, stdin, stdout, stderr, log), then made
 * read-only: the job cannot add nodes or files to it. A device of the
 * host that is not listed is not there at all; the device cgroup refuses
 * it by its numbers anywhere else. */
static int setup_dev(const Policy *p, uint64_t ns, const JobUser *u, const DevList *given, ChildError *err) {
        _cleanup_(devlist_done) DevList own = {};
        const DevList *l = given;
        _cleanup_free_ int *fds = NULL;
        _cleanup_close_ int shm_fd = -1, mq_fd = -1;
        char log_link[PATH_MAX] = "", opts[96];
        bool log_socket = false;
        _cleanup_close_ int log_fd = -1;
        uid_t ofsuid = (uid_t) -1;
        gid_t ofsgid = (gid_t) -1;
        struct stat st;
        int r = 0;

        /* corral-launch's list, the one its device cgroup has; the SPANK
         * path (no cgroup of ours) makes its own */
        if (!l) {
                r = devlist_for_policy(p, "/dev", &own);
                if (r < 0)
                        return fail(err, r, "cannot list the job's devices: %m");
                l = &own;
        }
        fds = calloc(l->n ? l->n : 1, sizeof *fds);
        if (!fds)
                return fail(err, -ENOMEM, "cannot list the job's devices: %m");
        for (size_t i = 0; i < l->n; i++) {
                fds[i] = l->v[i].basic ? -1 : open_host(l->v[i].path);
                if (fds[i] < 0 && !l->v[i].basic && errno != ENOENT)
                        r = fail(err, negative_errno(), "cannot open %s for the job's /dev: %m", l->v[i].path);
        }
        if (r >= 0 && !p->private_devshm)
                shm_fd = open_host("/dev/shm");
        if (r >= 0 && !(ns & CLONE_NEWIPC))
                mq_fd = open_host("/dev/mqueue");
        if (r >= 0 && lstat("/dev/log", &st) == 0) {
                if (S_ISLNK(st.st_mode)) {
                        ssize_t n = readlink("/dev/log", log_link, sizeof log_link - 1);
                        log_link[n > 0 ? n : 0] = '\0';
                } else if (S_ISSOCK(st.st_mode)) {
                        log_fd = open_host("/dev/log");
                        log_socket = log_fd >= 0;
                }
        }
        if (r < 0)
                goto out;

        /* owned by the user, who makes its files (the host's root has no
         * mapping in the job's user namespace), and read-only once made */
        (void) snprintf(opts, sizeof opts, "mode=0755,size=64k,nr_inodes=4096,uid=%u,gid=%u", (unsigned) u->uid,
                        (unsigned) u->gid);
        if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, opts) < 0) {
                r = fail(err, negative_errno(), "cannot mount the job's /dev (a tmpfs): %m");
                goto out;
        }
        /* files are made as the user (setup_hidden() does the same) */
        ofsgid = setfsgid(u->gid);
        ofsuid = setfsuid(u->uid);
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                if (l->v[i].basic || fds[i] < 0 || !l->v[i].path)
                        continue;
                r = mkdir_parents(l->v[i].path);
                if (r >= 0)
                        r = bind_fd(fds[i], l->v[i].path, false);
                if (r < 0)
                        r = fail(err, r, "cannot bind %s into the job's /dev: %m", l->v[i].path);
        }
        if (r < 0)
                goto out;
        if (mkdir("/dev/pts", 0755) < 0 ||
            mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0) {
                r = fail(err, negative_errno(), "cannot mount the job's own devpts on /dev/pts: %m");
                goto out;
        }
        if (symlink("pts/ptmx", "/dev/ptmx") < 0 || symlink("/proc/self/fd", "/dev/fd") < 0 ||
            symlink("/proc/self/fd/0", "/dev/stdin") < 0 || symlink("/proc/self/fd/1", "/dev/stdout") < 0 ||
            symlink("/proc/self/fd/2", "/dev/stderr") < 0 || (log_link[0] && symlink(log_link, "/dev/log") < 0)) {
                r = fail(err, negative_errno(), "cannot make the links of the job's /dev: %m");
                goto out;
        }
        if (log_socket && (r = bind_fd(log_fd, "/dev/log", false)) < 0) {
                r = fail(err, r, "cannot bind /dev/log into the job's /dev: %m");
                goto out;
        }
        if (shm_fd >= 0 ? (r = bind_fd(shm_fd, "/dev/shm", true)) < 0
                        : (mkdir("/dev/shm", 01777) < 0 && (r = negative_errno()) < 0)) {
                r = fail(err, r, "cannot make /dev/shm in the job's /dev: %m");
                goto out;
        }
        if (mq_fd >= 0 ? (r = bind_fd(mq_fd, "/dev/mqueue", true)) < 0
                       : (mkdir("/dev/mqueue", 0755) < 0 && (r = negative_errno()) < 0)) {
                r = fail(err, r, "cannot make /dev/mqueue in the job's /dev: %m");
                goto out;
        }
        if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0) {
                r = fail(err, negative_errno(), "cannot make the job's /dev read-only: %m");
                goto out;
        }
        r = 0;
out:
        /* back to the host's root where there is one (no user namespace);
         * in the job's user namespace it has no mapping and this fails */
        if (ofsuid != (uid_t) -1) {
                (void) setfsuid(ofsuid);
                (void) setfsgid(ofsgid);
        }
        for (size_t i = 0; fds && i < l->n; i++)
                if (fds[i] >= 0)
                        (void) close(fds[i]);
        return r;
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

int mounts_setup(const Policy *p, uint64_t ns, const JobUser *u, const DevList *devices, ChildError *err) {
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
                if (p->private_dev && (r = setup_dev(p, ns, u, devices, err)) < 0)
                        return r;
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
