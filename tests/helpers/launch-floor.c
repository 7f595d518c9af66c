/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch-floor.c — the kernel's share of a corral-launch under the default
 * policy, with no program around it: what tests/bench/launch.sh compares
 * corral-launch to, to show how much of a launch is ours at all.
 *
 *   launch-floor UID GID BPF_FILE CGROUP_DIR... -- CMD [ARG]...
 *
 * Does what corral-launch does in the kernel, in the same order, and
 * nothing else: mkdir of each job cgroup directory with the default
 * policy's limits (the v1 or the v2 file names, whichever exist), a child
 * in new user, PID, mount, IPC and UTS namespaces that moves itself into
 * the cgroups (v1 "tasks"; on v2 it moves itself too, through
 * cgroup.procs), uid/gid maps, the default policy's mounts (/ private,
 * a root of its own (private_root: a tmpfs with the host's top-level
 * directories bound, pivot_root, the old root detached at the end),
 * read-only /etc /usr /boot /opt, /proc, /dev/mqueue, private /tmp and
 * /dev/shm, /var/tmp and /run/lock, the default hide list, a /dev of its own
 * (private_dev: the basic nodes bound on a tmpfs, a devpts instance), the
 * hostname),
 * the ids, an empty bounding set
 * and no capabilities, no_new_privs, then a vforked process that makes
 * the default policy's Landlock domain (abstract unix sockets and signals
 * scoped, where the kernel has Landlock ABI 6), loads the seccomp program (a cache file of lib/runcache.c,
 * RUN_DIR/seccomp/HASH) and execs CMD, while the first child waits as init; at the end the cgroups are removed. No
 * checks beyond return codes, no messages: a measuring tool, not a launcher. Like /bin/true and unshare it links libc
 * only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char *argv[]);

#define MAX_DIRS 8

static void put(const char *dir, const char *file, const char *value) {
        char p[512];
        int fd;

        (void) snprintf(p, sizeof p, "%s/%s", dir, file);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return; /* not this version's file */
        if (write(fd, value, strlen(value)) < 0)
                exit(2);
        (void) close(fd);
}

/* private_root: a tmpfs made "/" with the host's top-level entries bound
 * (links made again), fresh /proc, /dev, /tmp left to the next steps; the
 * host's root at /.oldroot until the end of the mounts */
static void private_root(uid_t uid, gid_t gid) {
        char opts[96], p[300], l[300];
        struct dirent *e;
        struct stat st;
        DIR *d;

        (void) snprintf(opts, sizeof opts, "mode=0755,size=1m,uid=%u,gid=%u", (unsigned) uid, (unsigned) gid);
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 || !(d = opendir("/")))
                _exit(12);
        (void) setfsgid(gid);
        (void) setfsuid(uid);
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                (void) snprintf(p, sizeof p, "/tmp/%s", e->d_name);
                if (S_ISLNK(st.st_mode)) {
                        ssize_t k = readlinkat(dirfd(d), e->d_name, l, sizeof l - 1);
                        if (k > 0) {
                                l[k] = 0;
                                if (symlink(l, p) < 0)
                                        _exit(12);
                        }
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                (void) mkdir(p, 0755);
                if (strcmp(e->d_name, "proc") == 0 || strcmp(e->d_name, "tmp") == 0)
                        continue;
                (void) snprintf(l, sizeof l, "/%s", e->d_name);
                (void) mount(l, p, NULL, MS_BIND | MS_REC, NULL);
        }
        (void) closedir(d);
        (void) mkdir("/tmp/.oldroot", 0755);
        if (chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".oldroot") < 0 || chdir("/") < 0)
                _exit(12);
        (void) setfsuid(0);
        (void) setfsgid(0);
}

/* private_dev: a tmpfs on /dev with the basic nodes bound from the host's,
 * a devpts of its own, shm and mqueue again */
static void private_dev(uid_t uid, gid_t gid) {
        static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
        int fds[6];
        char p[64], opts[96];

        for (size_t i = 0; i < 6; i++) {
                (void) snprintf(p, sizeof p, "/dev/%s", nodes[i]);
                fds[i] = open(p, O_PATH | O_CLOEXEC);
        }
        (void) snprintf(opts, sizeof opts, "mode=0755,size=64k,uid=%u,gid=%u", (unsigned) uid, (unsigned) gid);
        if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, opts) < 0)
                _exit(13);
        (void) setfsgid(gid);
        (void) setfsuid(uid);
        for (size_t i = 0; i < 6; i++) {
                char fdp[40];
                int fd;
                if (fds[i] < 0)
                        continue;
                (void) snprintf(p, sizeof p, "/dev/%s", nodes[i]);
                fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (fd >= 0)
                        (void) close(fd);
                (void) snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fds[i]);
                (void) mount(fdp, p, NULL, MS_BIND, NULL);
                (void) close(fds[i]);
        }
        (void) mkdir("/dev/pts", 0755);
        (void) mkdir("/dev/shm", 01777);
        (void) mkdir("/dev/mqueue", 01777);
        if (symlink("pts/ptmx", "/dev/ptmx") < 0 || symlink("/proc/self/fd", "/dev/fd") < 0)
                _exit(13);
        (void) setfsuid(0);
        (void) setfsgid(0);
        (void) mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
        (void) mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
        (void) mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        (void) mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL);
}

static void die(const char *what) {
        perror(what);
        exit(3);
}

int main(int argc, char *argv[]) {
        static char bpf[1 << 16];
        const char *dirs[MAX_DIRS];
        int n = 0, tasks[MAX_DIRS], sync_p[2], st;
        uid_t uid;
        gid_t gid;
        struct sock_fprog prog;
        char **cmd = NULL, buf[64];
        uint32_t key_size, data_size;
        ssize_t len;
        long pid;
        int fd;
        /* the Landlock ABI, probed as corral-launch does for each job */
        long landlock_abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

        if (argc < 6)
                return 1;
        uid = (uid_t) strtoul(argv[1], NULL, 10);
        gid = (gid_t) strtoul(argv[2], NULL, 10);
        fd = open(argv[3], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die("bpf file");
        len = read(fd, bpf, sizeof bpf);
        (void) close(fd);
        if (len < 24)
                return 1;
        memcpy(&key_size, bpf + 8, 4);
        memcpy(&data_size, bpf + 12, 4);
        prog.len = (unsigned short) (data_size / sizeof(struct sock_filter));
        prog.filter = (struct sock_filter *) (bpf + 24 + key_size);
        for (int i = 4; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        cmd = argv + i + 1;
                        break;
                }
                if (n < MAX_DIRS)
                        dirs[n++] = argv[i];
        }
        if (!cmd || !cmd[0])
                return 1;

        /* 2. the cgroups, with the default policy's limits */
        for (int i = 0; i < n; i++) {
                if (mkdir(dirs[i], 0755) < 0)
                        die("mkdir");
                put(dirs[i], "memory.limit_in_bytes", "4294967296");
                put(dirs[i], "memory.memsw.limit_in_bytes", "4294967296");
                put(dirs[i], "memory.max", "4294967296");
                put(dirs[i], "memory.swap.max", "0");
                put(dirs[i], "cpu.cfs_period_us", "100000");
                put(dirs[i], "cpu.cfs_quota_us", "100000");
                put(dirs[i], "cpu.max", "100000 100000");
                put(dirs[i], "pids.max", "512");
                {
                        char p[512];
                        (void) snprintf(p, sizeof p, "%s/tasks", dirs[i]);
                        tasks[i] = open(p, O_WRONLY | O_CLOEXEC);
                        if (tasks[i] < 0) {
                                (void) snprintf(p, sizeof p, "%s/cgroup.procs", dirs[i]);
                                tasks[i] = open(p, O_WRONLY | O_CLOEXEC);
                        }
                        if (tasks[i] < 0)
                                die("tasks");
                }
        }
        if (pipe2(sync_p, O_CLOEXEC) < 0)
                die("pipe");

        /* 3. the namespaces */
        {
                struct clone_args a = {
                        .flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS,
                        .exit_signal = SIGCHLD,
                };
                pid = syscall(SYS_clone3, &a, sizeof a);
        }
        if (pid < 0)
                die("clone3");
        if (pid == 0) {
                static const char *const ro[] = { "/etc", "/usr", "/boot", "/opt" };
                struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
                struct __user_cap_data_struct d[2] = {};
                struct mount_attr {
                        uint64_t attr_set, attr_clr, propagation, userns_fd;
                } attr = { .attr_set = 0x1 };
                char go;
                pid_t job;

                for (int i = 0; i < n; i++)
                        if (write(tasks[i], "0", 1) != 1)
                                _exit(4);
                if (read(sync_p[0], &go, 1) != 1)
                        _exit(5);
                /* 4. mounts */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(6);
                private_root(uid, gid);
                for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
                        if (mount(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) == 0)
                                (void) syscall(SYS_mount_setattr, AT_FDCWD, ro[i], 0x8000 /* AT_RECURSIVE */, &attr,
                                               sizeof attr);
                (void) mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
                (void) mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
                (void) mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
                (void) mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
                /* the default policy's private_dirs */
                (void) mount("tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
                (void) mount("tmpfs", "/run/lock", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
                (void) snprintf(buf, sizeof buf, "mode=0700,size=4k,uid=%u,gid=%u", (unsigned) uid, (unsigned) gid);
                (void) mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, buf);
                /* host root has no mapping here: the file is the user's */
                (void) setfsgid(gid);
                (void) setfsuid(uid);
                fd = open("/tmp/inaccessible", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0000);
                if (fd >= 0)
                        (void) close(fd);
                /* the default policy's hide list, those that exist */
                static const char *const hidden[] = { "/etc/ssh/ssh_host_rsa_key",
                                                      "/etc/ssh/ssh_host_ecdsa_key",
                                                      "/etc/ssh/ssh_host_ed25519_key",
                                                      "/etc/munge",
                                                      "/var/spool/cron",
                                                      "/etc/corral" };
                for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
                        struct stat hst;
                        if (lstat(hidden[i], &hst) < 0)
                                continue;
                        if (S_ISDIR(hst.st_mode))
                                (void) mount("tmpfs", hidden[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                             "mode=000,size=4k,nr_inodes=1");
                        else if (mount("/tmp/inaccessible", hidden[i], NULL, MS_BIND, NULL) == 0)
                                (void) mount(NULL, hidden[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
                }
                (void) umount2("/tmp", MNT_DETACH);
                private_dev(uid, gid);
                (void) umount2("/.oldroot", MNT_DETACH);
                (void) mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
                if (sethostname("corral-job", 10) < 0)
                        _exit(11);
                /* 5. credentials */
                for (int c = 0; c <= CAP_LAST_CAP; c++)
                        (void) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
                if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(7);
                if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(8);
                /* 6.-8. the job, and init */
                job = vfork();
                if (job == 0) {
                        (void) setsid();
                        if (landlock_abi >= 6) {
                                uint64_t ll_attr[3] = { 0, 0, 3 }; /* scoped: abstract unix, signal */
                                int ll = (int) syscall(SYS_landlock_create_ruleset, ll_attr, sizeof ll_attr, 0);
                                if (ll < 0 || syscall(SYS_landlock_restrict_self, ll, 0) < 0)
                                        _exit(11);
                                (void) close(ll);
                        }
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                                _exit(9);
                        execv(cmd[0], cmd);
                        _exit(127);
                }
                if (waitpid(job, &st, 0) != job)
                        _exit(10);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        /* 3b. the maps */
        {
                char p[64];
                (void) snprintf(p, sizeof p, "/proc/%ld", pid);
                (void) snprintf(buf, sizeof buf, "%u %u 1\n", (unsigned) uid, (unsigned) uid);
                put(p, "uid_map", buf);
                (void) snprintf(buf, sizeof buf, "%u %u 1\n", (unsigned) gid, (unsigned) gid);
                put(p, "gid_map", buf);
        }
        if (write(sync_p[1], "g", 1) != 1)
                die("sync");
        if (waitpid((pid_t) pid, &st, 0) != pid)
                die("waitpid");
        /* 10. the end */
        for (int i = 0; i < n; i++)
                if (rmdir(dirs[i]) < 0)
                        die("rmdir");
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
