/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts.c — step 4, in the child, as root of its new user namespace
 * (which owns the new mount, PID, IPC, UTS and network namespaces), or in a
 * process that contained itself (contain_setup_self(), as the host's root;
 * no PID namespace, so no /proc of its own); ns says which namespaces the
 * process is in:
 *
 *   1. "/" recursively private: nothing done here propagates to the host.
 *   1b. private_root (corral-launch only: a RootSpec from the parent): a
 *      root of the job's own, so that its /proc/self/mountinfo lists its
 *      own mounts and not the host's table (other users' /run/user/UID,
 *      container runtimes' mounts, what is mounted under /tmp or /sys).
 *      A small tmpfs (owned by the user: root has no mapping here, read-
 *      only at the end) is mounted on /tmp and pivot_root() makes it "/",
 *      the host's root kept below it at /.oldroot for the steps that
 *      follow. Each entry of the host's / comes back: links made again
 *      (merged /usr: /bin -> usr/bin), directories and files bound with
 *      their submounts (MS_REC: in the job's user namespace the host's
 *      mounts are locked together and a bind without the submounts below
 *      it is refused; /dev is the job's own, made before under
 *      private_dev), except /proc and /tmp when the next steps make them
 *      fresh (empty directories here), and /run and /sys, which
 *      come without their submounts: the parent cloned them alone
 *      (open_tree(OPEN_TREE_CLONE), in the host's mount namespace where
 *      nothing is locked) and the child mounts the clones (move_mount()).
 *      /run keeps its own files (systemd-resolved's and nscd's sockets,
 *      utmp), not /run/user/UID and the like; /sys keeps sysfs, not
 *      debugfs, tracefs, securityfs, bpf or the cgroup hierarchies.
 *      Then the job's cgroups: a cgroup namespace of its own (its
 *      /proc/self/cgroup says "/", the mount table names no host path),
 *      and on /sys/fs/cgroup on v2 a cgroup2 of that namespace, read-only
 *      (the job's subtree only); on v1 or hybrid a read-only tmpfs with,
 *      for each hierarchy where the job has a cgroup of its own, that
 *      cgroup bound read-only at /sys/fs/cgroup/NAME, and the host's
 *      links (cpu -> cpu,cpuacct). A hierarchy where the job's cgroup is
 *      the launcher's (one the cgroup backend does not use, the unified
 *      one of a hybrid host) is left out: it would show the launcher's.
 *      No other job's cgroup is reachable. About 1.2 ms per launch
 *      (docs/BENCHMARKS.md).
 *   2. read-only paths: recursive bind onto themselves (unless a mount
 *      root already), then read-only recursively (mount_setattr), so
 *      submounts are covered too. Under private_root done before 1b, in
 *      the host's tree with root's fsuid (1b makes the new root's files
 *      as the user, who may not search every directory on the way), and
 *      1b's recursive binds carry them; those below /run and /sys again
 *      after 1b. The job's cgroups are cloned before 1b for the same
 *      reason (corrald.service's are below a root-only directory).
 *   3. /proc of the job's PID namespace; the job's own /dev (private_dev:
 *      setup_dev(); under private_root made over the host's /dev before
 *      1b, which binds it into the job's root); /dev/mqueue of its IPC
 *      namespace.
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
 *   5b. private_root: the host's root detached (umount2(MNT_DETACH): its
 *      mounts leave the job's table), the job's root made read-only.
 *   6. hostname (UTS namespace) and loopback up (network namespace).
 * Everything disappears with the mount namespace when the job ends: nothing
 * is ever mounted on the host. Paths that do not exist on this node are
 * skipped (a policy is shared by nodes that differ).
 *
 * The SPANK path (contain_setup_self()) has no private root: without a PID
 * namespace the job's /proc is the host's, whose /proc/PID/mountinfo and
 * /proc/PID/root of the user's other processes show the host's table
 * anyway, and Slurm owns the task's cgroup (docs/slurm.md). */
#include <dirent.h>
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
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
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
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
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

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

/* is path the root of a mount (the job's root binds the host's top-level
 * directories: /etc, /usr are)? Then it needs no bind onto itself. */
static bool mount_root(const char *path) {
        struct statx stx;

        return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &stx) == 0 &&
               (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int make_readonly(const char *path) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        struct statvfs sv;

        if (!mount_root(path) && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
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

typedef enum RoWhich {
        RO_ALL,
        RO_ALL_BUT_RUN_SYS,
        RO_RUN_SYS,
} RoWhich;

static bool below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strneq(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int setup_read_only(const Policy *p, RoWhich which, ChildError *err) {
        for (char **ro = p->read_only; ro && *ro; ro++) {
                bool run_sys = below(*ro, "/run") || below(*ro, "/sys");
                /* "/" before (the binds carry it), and after /run and /sys
                 * (the new root itself is made read-only at the end) */
                const char *after[] = { "/run", "/sys" };
                bool root = streq(*ro, "/");
                int r;

                if ((which == RO_ALL_BUT_RUN_SYS && run_sys) || (which == RO_RUN_SYS && !run_sys && !root))
                        continue;
                for (size_t i = 0; i < (which == RO_RUN_SYS && root ? ELEMENTSOF(after) : 1); i++) {
                        const char *path = which == RO_RUN_SYS && root ? after[i] : *ro;
                        r = make_readonly(path);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return fail(err, r, "cannot make %s read-only: %m", path);
                }
        }
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

/* ---- the job's own root (private_root) ---- */

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* where the new root's tmpfs is mounted before pivot_root() makes it "/" */
#define NEWROOT "/tmp"
/* where the host's root stays, below the job's, until mounts_setup() ends */
#define OLDROOT "/.oldroot"
#define CGROUP_DIR "/sys/fs/cgroup"

/* What the job's /sys/fs/cgroup is made of, found before the pivot (in the
 * host's /proc, the job not yet in a cgroup namespace of its own). */
typedef enum CgKind {
        CG_NONE, /* nothing mounted there: an empty tmpfs */
        CG_V2, /* cgroup v2: a cgroup2 of the job's cgroup namespace */
        CG_V1, /* a tmpfs with hierarchies (v1 or hybrid): the job's own cgroup in each */
} CgKind;

void mounts_root_prepare(const Policy *p, uint64_t ns, const int *cg_fds, size_t n_cg_fds, bool cg_known,
                         RootSpec *ret) {
        _cleanup_close_ int fd = -1;
        struct statfs sf;
        size_t len = 0, dl = 0;

        *ret = (RootSpec){ .run_fd = -1, .sys_fd = -1 };
        if (!p->private_root || !(ns & CLONE_NEWNS))
                return;
        ret->active = true;
        /* the host's /run without /run/user/UID, /run/netns, container
         * runtimes' mounts...; /sys without /sys/fs/cgroup's hierarchies,
         * debugfs, tracefs, securityfs... (before 5.2: -1) */
        ret->run_fd = (int) syscall(SYS_open_tree, AT_FDCWD, "/run", OPEN_TREE_CLONE | O_CLOEXEC);
        ret->sys_fd = (int) syscall(SYS_open_tree, AT_FDCWD, "/sys", OPEN_TREE_CLONE | O_CLOEXEC);
        fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        while (fd >= 0 && len < sizeof ret->host_cgroups - 1) {
                ssize_t n = read(fd, ret->host_cgroups + len, sizeof ret->host_cgroups - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        ret->host_cgroups[len] = '\0';

        /* the job's cgroups, from the fds it joins them through ("tasks"
         * of a v1 hierarchy, the v2 directory): reading them in the child,
         * in /proc/self/cgroup just after it joined them, costs half a
         * millisecond */
        if (statfs(CGROUP_DIR, &sf) == 0)
                ret->cg_kind = sf.f_type == CGROUP2_SUPER_MAGIC ? CG_V2 : sf.f_type == TMPFS_MAGIC ? CG_V1 : CG_NONE;
        ret->cg_known = cg_known;
        for (size_t i = 0; cg_known && i < n_cg_fds; i++) {
                char link[64], path[PATH_MAX];
                struct stat st;
                ssize_t n;

                (void) snprintf(link, sizeof link, "/proc/self/fd/%d", cg_fds[i]);
                n = readlink(link, path, sizeof path - 1);
                if (n <= 0 || fstat(cg_fds[i], &st) < 0) {
                        ret->cg_known = false;
                        break;
                }
                path[n] = '\0';
                if (!S_ISDIR(st.st_mode) && strrchr(path, '/'))
                        *strrchr(path, '/') = '\0';
                if (!strneq(path, CGROUP_DIR "/", strlen(CGROUP_DIR "/")))
                        continue;
                if (dl + strlen(path) + 2 > sizeof ret->cg_dirs) {
                        ret->cg_known = false;
                        break;
                }
                dl += (size_t) snprintf(ret->cg_dirs + dl, sizeof ret->cg_dirs - dl, "%s\n", path);
        }
}

void mounts_root_done(RootSpec *r) {
        if (r->run_fd >= 0)
                (void) close(r->run_fd);
        if (r->sys_fd >= 0)
                (void) close(r->sys_fd);
        r->run_fd = r->sys_fd = -1;
}

/* is tok (n bytes) one of the comma-separated items of list? */
static bool has_item(const char *list, const char *tok, size_t n) {
        for (const char *s = list; *s;) {
                size_t m = strcspn(s, ",");
                if (m == n && strneq(s, tok, n))
                        return true;
                s += m;
                if (*s == ',')
                        s++;
        }
        return false;
}

/* The line "ID:CONTROLLERS:PATH" of a /proc/PID/cgroup text for a
 * hierarchy: v2 "0::"; v1 the one whose controllers (cpu,cpuacct;
 * name=systemd) are all among the mount's super options. Returns the line,
 * *ret_len its length. */
static const char *cgroup_line(const char *text, bool v2, const char *superopts, size_t *ret_len) {
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                const char *c1 = memchr(l, ':', n), *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t) (c1 + 1 - l)) : NULL;
                bool match = false;

                if (c2 && v2)
                        match = c1 - l == 1 && l[0] == '0' && c2 == c1 + 1;
                else if (c2 && c2 > c1 + 1 && !(c1 - l == 1 && l[0] == '0')) {
                        match = true;
                        for (const char *s = c1 + 1; s < c2 && match;) {
                                size_t m = strcspn(s, ",:");
                                match = has_item(superopts, s, m);
                                s += m;
                                if (*s == ',')
                                        s++;
                        }
                }
                if (match) {
                        *ret_len = n;
                        return l;
                }
                l += n;
                if (*l == '\n')
                        l++;
        }
        return NULL;
}

#define CG_MAX 16

/* small: the child's stack is new memory, each page of it a fault */
typedef struct CgView {
        CgKind kind;
        bool v2_own; /* CG_V2: the job has a cgroup of its own there */
        bool unshared; /* in a cgroup namespace of its own already */
        int v2_fd; /* CG_V2: the job's cgroup2, made before the pivot (fsmount()), or -1 */
        size_t n;
        struct {
                char name[64]; /* below /sys/fs/cgroup */
                char *src; /* the job's cgroup in it, as the host names it */
                int fd; /* a clone of it (open_tree()), or -1: bound from OLDROOT */
        } h[CG_MAX];
} CgView;

static void cgview_done(CgView *v) {
        if (v->v2_fd >= 0)
                (void) close(v->v2_fd);
        v->v2_fd = -1;
        for (size_t i = 0; i < v->n; i++) {
                free(v->h[i].src);
                if (v->h[i].fd >= 0)
                        (void) close(v->h[i].fd);
        }
        v->n = 0;
}

/* the job's cgroup src cloned now, while the fsuid is still root's: a
 * cgroup below a directory only root may search (corrald.service's jobs
 * subtree) is not found as the user (setup_root() changes the fsuid) */
static int cgview_add(CgView *v, const char *name, size_t name_len, const char *src, size_t src_len) {
        if (v->n >= CG_MAX || name_len == 0 || name_len >= sizeof v->h[0].name)
                return 0;
        v->h[v->n].src = strndup(src, src_len);
        if (!v->h[v->n].src)
                return -ENOMEM;
        (void) snprintf(v->h[v->n].name, sizeof v->h[v->n].name, "%.*s", (int) name_len, name);
        v->h[v->n].fd = (int) syscall(SYS_open_tree, AT_FDCWD, v->h[v->n].src, OPEN_TREE_CLONE | O_CLOEXEC);
        v->n++;
        return 0;
}

/* the job's own cgroup in the hierarchy with superopts mounted at mp (root:
 * the mount's root in the hierarchy) -> src; false when the
 * job has none of its own there (the same as the launcher's: a hierarchy
 * corral's backend does not use, the unified one of a hybrid host) */
static bool own_cgroup(const RootSpec *root, const char *text, bool v2, const char *superopts, const char *mnt_root,
                       const char *mp, char *src, size_t size) {
        const char *l, *h, *path;
        size_t n = 0, hn = 0, rl = strlen(mnt_root);

        l = cgroup_line(text, v2, superopts, &n);
        if (!l)
                return false;
        h = cgroup_line(root->host_cgroups, v2, superopts, &hn);
        if (h && hn == n && strneq(h, l, n))
                return false;
        path = memchr(memchr(l, ':', n) + 1, ':', n) + 1;
        n -= (size_t) (path - l);
        if (streq(mnt_root, "/"))
                rl = 0;
        else if (n < rl || !strneq(path, mnt_root, rl) || (n > rl && path[rl] != '/'))
                return false; /* not below the mount's root */
        return snprintf(src, size, "%s%.*s", mp, (int) (n - rl), path + rl) < (int) size;
}

static int cgroup_view_find(const RootSpec *root, CgView *v) {
        _cleanup_fclose_ FILE *f = NULL, *c = NULL;
        _cleanup_free_ char *line = NULL, *text = NULL;
        size_t size = 0;

        v->kind = CG_NONE;
        v->v2_own = false;
        v->n = 0;
        if (root->cg_known) {
                /* from the parent: on v2 the job was born in its cgroup */
                v->kind = (CgKind) root->cg_kind;
                v->v2_own = v->kind == CG_V2;
                for (const char *l = root->cg_dirs; *l && v->kind == CG_V1;) {
                        size_t n = strcspn(l, "\n"), base = strlen(CGROUP_DIR "/");
                        int r = cgview_add(v, l + base, strcspn(l + base, "/\n"), l, n);
                        if (r < 0)
                                return r;
                        l += n;
                        if (*l == '\n')
                                l++;
                }
                return 0;
        }
        /* the job's cgroups (in the host's /proc: not yet in a cgroup
         * namespace of its own), then the cgroup mounts */
        c = fopen("/proc/self/cgroup", "re");
        if (!c || getdelim(&text, &size, '\0', c) < 0)
                return c ? -EIO : negative_errno();
        size = 0;
        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        while (getline(&line, &size, f) > 0) {
                char *save = NULL, *fields[5], *sep, *type, *superopts, *name, src[PATH_MAX];
                int i, r;

                line[strcspn(line, "\n")] = '\0';
                sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                for (i = 0; i < 5 && (fields[i] = strtok_r(i ? NULL : line, " ", &save)); i++)
                        ;
                save = NULL;
                type = strtok_r(sep + 3, " ", &save);
                (void) strtok_r(NULL, " ", &save);
                superopts = strtok_r(NULL, " ", &save);
                if (i < 5 || !type || !superopts || strchr(fields[4], '\\') || strchr(fields[3], '\\'))
                        continue;
                if (streq(fields[4], CGROUP_DIR)) {
                        /* the last mount there is the one seen */
                        cgview_done(v);
                        v->kind = streq(type, "cgroup2") ? CG_V2 : streq(type, "tmpfs") ? CG_V1 : CG_NONE;
                        if (v->kind == CG_V2) {
                                v->v2_own =
                                        own_cgroup(root, text, true, superopts, fields[3], fields[4], src, sizeof src);
                        }
                        continue;
                }
                if (v->kind != CG_V1 || !strneq(fields[4], CGROUP_DIR "/", strlen(CGROUP_DIR "/")))
                        continue;
                name = fields[4] + strlen(CGROUP_DIR "/");
                if (strchr(name, '/') || strlen(name) >= sizeof v->h[0].name || v->n >= CG_MAX ||
                    !(streq(type, "cgroup") || streq(type, "cgroup2")))
                        continue;
                if (!own_cgroup(root, text, streq(type, "cgroup2"), superopts, fields[3], fields[4], src, sizeof src))
                        continue;
                r = cgview_add(v, name, strlen(name), src, strlen(src));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* after the pivot, /sys in place: the job's /sys/fs/cgroup, in a cgroup
 * namespace of its own (its cgroup is "/" in /proc/self/cgroup) */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
/* <linux/mount.h>'s values, named apart from glibc's enums */
#define CORRAL_FSOPEN_CLOEXEC 0x1
#define CORRAL_FSCONFIG_CMD_CREATE 6
#define CORRAL_FSMOUNT_CLOEXEC 0x1
#define CORRAL_MOUNT_ATTR_RO_NOSUID_NODEV_NOEXEC 0xf /* RDONLY | NOSUID | NODEV | NOEXEC */

/* Before the pivot, while the fsuid is still root's: the job's cgroup
 * namespace, and on v2 its cgroup2 made as a detached mount. Mounting
 * cgroup2 walks from the hierarchy's root down to the namespace's with the
 * caller's fsuid, and the job's cgroup may lie below a directory only root
 * may search (corrald.service's jobs subtree): as the user, after the
 * pivot, that walk is refused (EACCES). Kernels without fsopen() (before
 * 5.2): setup_cgroup_view() mounts it the old way. */
static int cgview_prepare(CgView *v, ChildError *err) {
        if (unshare(CLONE_NEWCGROUP) < 0)
                return fail(err, negative_errno(), "cannot make the job's cgroup namespace: %m");
        v->unshared = true;
        if (v->kind != CG_V2 || !v->v2_own)
                return 0;
        _cleanup_close_ int fs = (int) syscall(SYS_fsopen, "cgroup2", CORRAL_FSOPEN_CLOEXEC);
        if (fs < 0)
                return errno == ENOSYS ? 0 : fail(err, negative_errno(), "cannot open a cgroup2 for the job: %m");
        if (syscall(SYS_fsconfig, fs, CORRAL_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fail(err, negative_errno(), "cannot make the job's cgroup2: %m");
        v->v2_fd = (int) syscall(SYS_fsmount, fs, CORRAL_FSMOUNT_CLOEXEC, CORRAL_MOUNT_ATTR_RO_NOSUID_NODEV_NOEXEC);
        if (v->v2_fd < 0)
                return fail(err, negative_errno(), "cannot mount the job's cgroup2: %m");
        return 0;
}

static int setup_cgroup_view(const JobUser *u, const CgView *v, ChildError *err) {
        char opts[96], path[PATH_MAX];
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (!v->unshared && unshare(CLONE_NEWCGROUP) < 0)
                return fail(err, negative_errno(), "cannot make the job's cgroup namespace: %m");
        if (v->kind == CG_V2 && v->v2_own && v->v2_fd >= 0) {
                if (syscall(SYS_move_mount, v->v2_fd, "", AT_FDCWD, CGROUP_DIR, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return fail(err, negative_errno(), "cannot put the job's cgroup2 on %s: %m", CGROUP_DIR);
                return 0;
        }
        if (v->kind == CG_V2 && v->v2_own) {
                if (mount("cgroup2", CGROUP_DIR, "cgroup2", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail(err, negative_errno(), "cannot mount the job's cgroup2 on %s: %m", CGROUP_DIR);
                return 0;
        }
        /* a tmpfs, for the hierarchies below or for nothing at all (none
         * of the host's is shown) */
        (void) snprintf(opts, sizeof opts, "mode=0755,size=16k,nr_inodes=256,uid=%u,gid=%u", (unsigned) u->uid,
                        (unsigned) u->gid);
        if (mount("tmpfs", CGROUP_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return fail(err, negative_errno(), "cannot mount a tmpfs on the job's %s: %m", CGROUP_DIR);
        for (size_t i = 0; i < v->n; i++) {
                char src[PATH_MAX];
                int r;

                (void) snprintf(path, sizeof path, CGROUP_DIR "/%s", v->h[i].name);
                (void) snprintf(src, sizeof src, OLDROOT "%s", v->h[i].src);
                r = mkdir(path, 0755);
                if (r == 0)
                        r = v->h[i].fd >= 0 ? (int) syscall(SYS_move_mount, v->h[i].fd, "", AT_FDCWD, path,
                                                            MOVE_MOUNT_F_EMPTY_PATH)
                                            : mount(src, path, NULL, MS_BIND, NULL);
                if (r == 0)
                        r = mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL);
                if (r < 0)
                        return fail(err, negative_errno(), "cannot bind the job's cgroup %s into %s: %m", v->h[i].src,
                                    path);
        }
        /* the links (cpu -> cpu,cpuacct) */
        d = opendir(OLDROOT CGROUP_DIR);
        while (d && (de = readdir(d))) {
                char target[PATH_MAX];
                ssize_t n;

                if (de->d_type != DT_LNK)
                        continue;
                n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
                if (n <= 0)
                        continue;
                target[n] = '\0';
                (void) snprintf(path, sizeof path, CGROUP_DIR "/%s", de->d_name);
                if (symlink(target, path) < 0)
                        return fail(err, negative_errno(), "cannot make the link %s: %m", path);
        }
        if (mount(NULL, CGROUP_DIR, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
            0)
                return fail(err, negative_errno(), "cannot make the job's %s read-only: %m", CGROUP_DIR);
        return 0;
}

/* one entry of the host's / in the job's root: a link made again, a
 * directory or file bound (with its submounts), except what mounts_setup()
 * makes fresh next (/proc, /dev, /tmp) and /run, /sys without theirs */
static int root_entry(const Policy *p, uint64_t ns, const RootSpec *root, const char *name, ChildError *err) {
        char src[PATH_MAX], dst[PATH_MAX], link[PATH_MAX];
        struct stat st;
        bool bind = true;
        int tree = -1;

        if (streq(name, ".") || streq(name, "..") || streq(name, OLDROOT + 1))
                return 0;
        if (snprintf(src, sizeof src, OLDROOT "/%s", name) >= (int) sizeof src)
                return 0;
        (void) snprintf(dst, sizeof dst, "/%s", name);
        if (lstat(src, &st) < 0)
                return errno == ENOENT ? 0 : fail(err, negative_errno(), "cannot look at the host's %s: %m", dst);
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(src, link, sizeof link - 1);
                if (n < 0)
                        return fail(err, negative_errno(), "cannot read the host's link %s: %m", dst);
                link[n] = '\0';
                if (symlink(link, dst) < 0)
                        return fail(err, negative_errno(), "cannot make the link %s in the job's root: %m", dst);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                if (mkdir(dst, 0755) < 0)
                        return fail(err, negative_errno(), "cannot make %s in the job's root: %m", dst);
        } else if (S_ISREG(st.st_mode)) {
                int fd = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0)
                        return fail(err, negative_errno(), "cannot make %s in the job's root: %m", dst);
                (void) close(fd);
        } else
                return 0; /* a socket or fifo in /: left out */

        if (streq(name, "proc"))
                bind = !(ns & CLONE_NEWPID);
        else if (streq(name, "tmp"))
                bind = !p->private_tmp;
        else if (streq(name, "run"))
                tree = root->run_fd;
        else if (streq(name, "sys"))
                tree = root->sys_fd;
        if (!bind)
                return 0;
        if (tree >= 0) {
                if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return fail(err, negative_errno(), "cannot mount the host's %s in the job's root: %m", dst);
                return 0;
        }
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return fail(err, negative_errno(),
                            "cannot bind the host's %s into the job's root: %m (the policy's private_root = no "
                            "keeps the host's mount table)",
                            dst);
        return 0;
}

/* A tmpfs becomes the job's root (pivot_root), the host's stays below it at
 * OLDROOT until the end of mounts_setup(), and what the job sees of the
 * host is bound from it (its /dev too: the job's own, made over the host's
 * before, under private_dev); cg: its cgroups, found before.
 * Leaves the fsuid at the user's (the files of the new root are the user's;
 * root has no mapping here to go back to), as setup_dev() does. */
static int setup_root(const Policy *p, uint64_t ns, const JobUser *u, const RootSpec *root, const CgView *cg,
                      ChildError *err) {
        _cleanup_(closedirp) DIR *d = NULL;
        char opts[96];
        int r;

        (void) snprintf(opts, sizeof opts, "mode=0755,size=64k,nr_inodes=1024,uid=%u,gid=%u", (unsigned) u->uid,
                        (unsigned) u->gid);
        if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                return fail(err, negative_errno(), "cannot mount the job's root (a tmpfs on %s): %m", NEWROOT);
        (void) setfsgid(u->gid);
        (void) setfsuid(u->uid);
        if (mkdir(NEWROOT OLDROOT, 0700) < 0)
                return fail(err, negative_errno(), "cannot make %s in the job's root: %m", OLDROOT);
        if (syscall(SYS_pivot_root, NEWROOT, NEWROOT OLDROOT) < 0 || chdir("/") < 0)
                return fail(err, negative_errno(), "cannot pivot into the job's root: %m");
        d = opendir(OLDROOT);
        if (!d)
                return fail(err, negative_errno(), "cannot list the host's /: %m");
        for (;;) {
                struct dirent *de;
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return fail(err, negative_errno(), "cannot list the host's /: %m");
                        break;
                }
                r = root_entry(p, ns, root, de->d_name, err);
                if (r < 0)
                        return r;
        }
        if (access(CGROUP_DIR, F_OK) == 0)
                return setup_cgroup_view(u, cg, err);
        return 0;
}

/* Last: the host's root detached from the job's (its mounts gone from the
 * job's table), and the job's root read-only. */
static int finish_root(ChildError *err) {
        if (umount2(OLDROOT, MNT_DETACH) < 0)
                return fail(err, negative_errno(), "cannot detach the host's root from the job's: %m");
        if (rmdir(OLDROOT) < 0)
                return fail(err, negative_errno(), "cannot remove %s from the job's root: %m", OLDROOT);
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return fail(err, negative_errno(), "cannot make the job's root read-only: %m");
        return 0;
}

int mounts_setup(const Policy *p, uint64_t ns, const JobUser *u, const DevList *devices, const RootSpec *root,
                 ChildError *err) {
        bool own_root = root && root->active && (ns & CLONE_NEWNS);
        _cleanup_(cgview_done) CgView cg = { .n = 0, .v2_fd = -1 };
        int r;

        if (ns & CLONE_NEWNS) {
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        return fail(err, negative_errno(), "cannot make / private: %m");
                /* under private_root, what needs root's fsuid (a path below
                 * a directory only root may search) is done in the host's
                 * tree first, and the job's root binds it as it is: its
                 * cgroups cloned, read-only paths, its /dev (setup_root()
                 * and setup_dev() leave the fsuid at the user's); then the
                 * read-only paths below /run and /sys, which come into it
                 * without their submounts */
                if (own_root && (r = cgroup_view_find(root, &cg)) < 0)
                        return fail(err, r, "cannot find the job's cgroups: %m");
                if (own_root && (r = cgview_prepare(&cg, err)) < 0)
                        return r;
                if ((r = setup_read_only(p, own_root ? RO_ALL_BUT_RUN_SYS : RO_ALL, err)) < 0)
                        return r;
                if (own_root && p->private_dev && (r = setup_dev(p, ns, u, devices, err)) < 0)
                        return r;
                if (own_root && (r = setup_root(p, ns, u, root, &cg, err)) < 0)
                        return r;
                if (own_root && (r = setup_read_only(p, RO_RUN_SYS, err)) < 0)
                        return r;

                if ((ns & CLONE_NEWPID) && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail(err, negative_errno(), "cannot mount /proc of the job's PID namespace: %m");
                if (!own_root && p->private_dev && (r = setup_dev(p, ns, u, devices, err)) < 0)
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
                if (own_root && (r = finish_root(err)) < 0)
                        return r;
        }
        if ((ns & CLONE_NEWUTS) && !isempty(p->hostname) && sethostname(p->hostname, strlen(p->hostname)) < 0)
                return fail(err, negative_errno(), "cannot set the hostname to %s: %m", p->hostname);
        if ((ns & CLONE_NEWNET) && (r = loopback_up()) < 0)
                return fail(err, r, "cannot bring the loopback interface up: %m");
        return 0;
}
