/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-syscall.c — from inside a job, tries one privileged way out by a
 * syscall and says whether it worked:
 *   escape-syscall NAME    NAME: mount, umount, unshare-user, unshare-mnt,
 *     unshare-net, unshare-pid, clone-newuser, clone-newns, setns-mnt,
 *     setns-pid, setns-user, setns-net, keyctl, add_key, bpf, perf,
 *     userfaultfd, io_uring, init_module, finit_module, ptrace-child,
 *     ptrace-init, chroot, pivot_root, reboot, swapon, sethostname,
 *     unshare-int80 (i386 ABI), unshare-x32 (x32 ABI)
 * Prints "contained: ERRNO" and exits 0 when the call failed, "ESCAPED"
 * and exits 1 when it succeeded.
 *   escape-syscall probe NAME
 * is run by the test as root on the host, outside any job, before a job
 * tries NAME: a denial inside a job proves something only where the call
 * works outside. In a child process (namespaces, mounts and keys it makes
 * vanish with it), it makes a harmless form of the same call and prints
 * "available: ..." (exit 0) when the kernel serves it, or "unavailable:
 * REASON" (exit 77) when this kernel or CPU lacks it: ENOSYS, the i386 ABI
 * turned off, a sysctl that disables it even for root... */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <linux/bpf.h>

int main(int argc, char *argv[]);

static int verdict(long r, const char *what) {
        if (r < 0) {
                printf("contained: %s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
                return 0;
        }
        printf("ESCAPED: %s succeeded\n", what);
        return 1;
}

static int try_setns(const char *ns) {
        char p[64];
        int fd, r;
        snprintf(p, sizeof p, "/proc/1/ns/%s", ns);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                /* then our own: joining any namespace must fail */
                snprintf(p, sizeof p, "/proc/self/ns/%s", ns);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return verdict(-1, p);
        }
        r = setns(fd, 0);
        return verdict(r, p);
}

static int try_ptrace(pid_t target) {
        long r = ptrace(PTRACE_ATTACH, target, NULL, NULL);
        int v = verdict(r, "ptrace(PTRACE_ATTACH)");
        if (r == 0)
                (void) ptrace(PTRACE_DETACH, target, NULL, NULL);
        return v;
}

static long try_clone(unsigned long flags) {
        long r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (r == 0)
                _exit(0);
        if (r > 0)
                (void) waitpid((pid_t) r, NULL, 0);
        return r;
}

/* The i386 unshare through int 0x80: the i386 syscall ABI, whatever the
 * filter does with it. A kernel without it (IA32_EMULATION off, or
 * ia32_emulation=false) raises a general protection fault: SIGSEGV. */
static long int80_unshare(long flags) {
#if defined(__x86_64__)
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(310L), "b"(flags) : "memory");
        if (r < 0 && r > -4096) {
                errno = (int) -r;
                r = -1;
        }
        return r;
#else
        (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

/* ---- probe mode ---- */

/* a child that waits to be killed, cloned into new namespaces FLAGS: a
 * ptrace or setns target (cloned, not unshared: a new PID namespace is
 * only its children's) */
static pid_t idle_child(int flags) {
        int p[2];
        char c = 0;
        long pid;
        if (pipe(p) < 0)
                return -1;
        pid = syscall(SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                close(p[0]);
                (void) !write(p[1], "x", 1);
                pause();
                _exit(0);
        }
        close(p[1]);
        if (pid > 0 && read(p[0], &c, 1) != 1) {
                (void) waitpid((pid_t) pid, NULL, 0);
                pid = -1;
                errno = ECHILD;
        }
        close(p[0]);
        return (pid_t) pid;
}

static void end_child(pid_t pid) {
        kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

/* a private mount namespace with a tmpfs on /tmp, for mount, umount and
 * pivot_root to change */
static int private_mounts(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -1;
        return mount("none", "/tmp", "tmpfs", 0, NULL);
}

/* 0: the call worked; 1: it failed with HANDLER_ERRNO, which root gets only
 * from the call's own handler, past its permission checks; -1: not
 * available (errno says why) */
static int probe_result(long r, int handler_errno) {
        if (r >= 0)
                return 0;
        if (handler_errno && errno == handler_errno)
                return 1;
        return -1;
}

static int probe_setns(const char *ns) {
        static const struct {
                const char *ns;
                int flag;
        } types[] = {
                { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID }, { "user", CLONE_NEWUSER }, { "net", CLONE_NEWNET }
        };
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
                char p[64];
                pid_t c;
                int fd, r;
                if (strcmp(ns, types[i].ns))
                        continue;
                /* into a fresh namespace of that type (joining the user
                 * namespace one is in is EINVAL) */
                c = idle_child(types[i].flag);
                if (c < 0)
                        return -1;
                snprintf(p, sizeof p, "/proc/%d/ns/%s", (int) c, types[i].ns);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? -1 : setns(fd, 0);
                end_child(c);
                return probe_result(r, 0);
        }
        errno = EINVAL;
        return -2;
}

/* the harmless form of escape W, in the probe's child */
static int probe_call(const char *w) {
        if (!strcmp(w, "mount"))
                return probe_result(private_mounts(), 0);
        if (!strcmp(w, "umount"))
                return private_mounts() < 0 ? -1 : probe_result(umount2("/proc", MNT_DETACH), 0);
        if (!strcmp(w, "unshare-user"))
                return probe_result(unshare(CLONE_NEWUSER), 0);
        if (!strcmp(w, "unshare-mnt"))
                return probe_result(unshare(CLONE_NEWNS), 0);
        if (!strcmp(w, "unshare-net"))
                return probe_result(unshare(CLONE_NEWNET), 0);
        if (!strcmp(w, "unshare-pid"))
                return probe_result(unshare(CLONE_NEWPID), 0);
        if (!strcmp(w, "unshare-int80"))
                return probe_result(int80_unshare(CLONE_NEWUSER), 0);
        if (!strcmp(w, "unshare-x32"))
                return probe_result(syscall(0x40000000L | SYS_unshare, CLONE_NEWUSER), 0);
        if (!strcmp(w, "clone-newuser"))
                return probe_result(try_clone(CLONE_NEWUSER), 0);
        if (!strcmp(w, "clone-newns"))
                return probe_result(try_clone(CLONE_NEWNS), 0);
        if (!strncmp(w, "setns-", 6))
                return probe_setns(w + 6);
        if (!strcmp(w, "keyctl"))
                return probe_result(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 1), 0);
        if (!strcmp(w, "add_key")) {
                /* into a new session keyring of the probe's own */
                if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0)
                        return -1;
                return probe_result(syscall(SYS_add_key, "user", "corral-probe", "x", 1, -3), 0);
        }
        if (!strcmp(w, "bpf")) {
                union bpf_attr a;
                memset(&a, 0, sizeof a);
                a.map_type = BPF_MAP_TYPE_ARRAY;
                a.key_size = 4;
                a.value_size = 4;
                a.max_entries = 1;
                return probe_result(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a), 0);
        }
        if (!strcmp(w, "perf")) {
                struct perf_event_attr a;
                memset(&a, 0, sizeof a);
                a.type = PERF_TYPE_SOFTWARE;
                a.size = sizeof a;
                a.config = PERF_COUNT_SW_CPU_CLOCK;
                return probe_result(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0), 0);
        }
        if (!strcmp(w, "userfaultfd"))
                return probe_result(syscall(SYS_userfaultfd, O_CLOEXEC), 0);
        if (!strcmp(w, "io_uring")) {
                char params[120];
                memset(params, 0, sizeof params);
                return probe_result(syscall(SYS_io_uring_setup, 4, params), 0);
        }
        /* never a module loaded: an empty image is refused by the loader
         * (ENOEXEC), a bad fd by finit_module (EBADF), both after the
         * checks that modules_disabled=1 or a lockdown fail (EPERM) */
        if (!strcmp(w, "init_module"))
                return probe_result(syscall(SYS_init_module, NULL, 0, ""), ENOEXEC);
        if (!strcmp(w, "finit_module"))
                return probe_result(syscall(SYS_finit_module, -1, "", 0), EBADF);
        if (!strcmp(w, "ptrace-child") || !strcmp(w, "ptrace-init")) {
                /* never the host's PID 1: a child of the probe's own */
                pid_t c = idle_child(0);
                long r;
                if (c < 0)
                        return -1;
                r = ptrace(PTRACE_ATTACH, c, NULL, NULL);
                end_child(c);
                return probe_result(r, 0);
        }
        if (!strcmp(w, "chroot"))
                return probe_result(chroot("/tmp"), 0);
        if (!strcmp(w, "pivot_root")) {
                if (private_mounts() < 0 || mkdir("/tmp/root", 0755) < 0 ||
                    mount("none", "/tmp/root", "tmpfs", 0, NULL) < 0)
                        return -1;
                return probe_result(syscall(SYS_pivot_root, "/tmp/root", "/tmp/root"), 0);
        }
        /* never a valid magic number: EINVAL comes after CAP_SYS_BOOT */
        if (!strcmp(w, "reboot"))
                return probe_result(syscall(SYS_reboot, 0, 0, 0, NULL), EINVAL);
        /* /dev/null is no swap area: EINVAL comes after CAP_SYS_ADMIN */
        if (!strcmp(w, "swapon"))
                return probe_result(swapon("/dev/null", 0), EINVAL);
        if (!strcmp(w, "sethostname")) {
                if (unshare(CLONE_NEWUTS) < 0)
                        return -1;
                return probe_result(sethostname("probe", 5), 0);
        }
        return -2;
}

static const char *errname(int e) {
        return strerrorname_np(e) ? strerrorname_np(e) : "?";
}

static int probe(const char *w) {
        int st, r, p[2];
        char msg[64] = "";
        ssize_t n;
        pid_t c;

        if (pipe(p) < 0)
                return 2;
        (void) fflush(stdout);
        c = fork();
        if (c < 0)
                return 2;
        if (c == 0) {
                close(p[0]);
                /* a fault is the answer (int 0x80 without the i386 ABI): die
                 * of it, even in a sanitizer build that catches SIGSEGV */
                (void) signal(SIGSEGV, SIG_DFL);
                (void) signal(SIGILL, SIG_DFL);
                (void) signal(SIGBUS, SIG_DFL);
                r = probe_call(w);
                dprintf(p[1], "%s", r == 0 ? "works" : errname(errno));
                _exit(r == -2 ? 2 : r < 0 ? 77 : 0);
        }
        close(p[1]);
        n = read(p[0], msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = '\0';
        close(p[0]);
        if (waitpid(c, &st, 0) < 0)
                return 2;
        if (WIFSIGNALED(st)) {
                printf("unavailable: %s is killed by SIG%s outside any job%s\n", w, sigabbrev_np(WTERMSIG(st)),
                       !strcmp(w, "unshare-int80") ? " (no i386 syscall ABI in this kernel: ia32_emulation off?)" : "");
                return 77;
        }
        if (WEXITSTATUS(st) == 2) {
                fprintf(stderr, "unknown escape '%s'\n", w);
                return 2;
        }
        if (WEXITSTATUS(st) == 77) {
                printf("unavailable: %s fails with %s as root outside any job%s\n", w, msg,
                       !strcmp(msg, "ENOSYS") ? " (not in this kernel)" : "");
                return 77;
        }
        if (!strcmp(msg, "works"))
                printf("available: %s works as root outside any job\n", w);
        else
                printf("available: %s reaches its handler as root outside any job (%s past the permission checks)\n", w,
                       msg);
        return 0;
}

int main(int argc, char *argv[]) {
        const char *w = argc > 1 ? argv[1] : "";

        if (!strcmp(w, "probe") && argc > 2)
                return probe(argv[2]);
        if (!strcmp(w, "mount"))
                return verdict(mount("none", "/tmp", "tmpfs", 0, NULL), "mount");
        if (!strcmp(w, "umount"))
                return verdict(umount2("/proc", MNT_DETACH), "umount /proc");
        if (!strcmp(w, "unshare-user"))
                return verdict(unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
        if (!strcmp(w, "unshare-mnt"))
                return verdict(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
        if (!strcmp(w, "unshare-net"))
                return verdict(unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");
        if (!strcmp(w, "unshare-pid"))
                return verdict(unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)");
        if (!strcmp(w, "unshare-int80"))
                /* i386 unshare is 310; through int 0x80 the filter sees the
                 * i386 architecture */
                return verdict(int80_unshare(CLONE_NEWUSER), "unshare via int 0x80");
        if (!strcmp(w, "unshare-x32"))
                return verdict(syscall(0x40000000L | SYS_unshare, CLONE_NEWUSER), "unshare via the x32 bit");
        if (!strcmp(w, "clone-newuser"))
                return verdict(try_clone(CLONE_NEWUSER), "clone(CLONE_NEWUSER)");
        if (!strcmp(w, "clone-newns"))
                return verdict(try_clone(CLONE_NEWNS), "clone(CLONE_NEWNS)");
        if (!strncmp(w, "setns-", 6))
                return try_setns(w + 6);
        if (!strcmp(w, "keyctl"))
                return verdict(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1), "keyctl");
        if (!strcmp(w, "add_key"))
                return verdict(syscall(SYS_add_key, "user", "corral", "x", 1, -3), "add_key");
        if (!strcmp(w, "bpf")) {
                union bpf_attr a;
                memset(&a, 0, sizeof a);
                a.map_type = BPF_MAP_TYPE_ARRAY;
                a.key_size = 4;
                a.value_size = 4;
                a.max_entries = 1;
                return verdict(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a), "bpf(BPF_MAP_CREATE)");
        }
        if (!strcmp(w, "perf")) {
                struct perf_event_attr a;
                memset(&a, 0, sizeof a);
                a.type = PERF_TYPE_SOFTWARE;
                a.size = sizeof a;
                a.config = PERF_COUNT_SW_CPU_CLOCK;
                return verdict(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0), "perf_event_open");
        }
        if (!strcmp(w, "userfaultfd"))
                return verdict(syscall(SYS_userfaultfd, O_CLOEXEC), "userfaultfd");
        if (!strcmp(w, "io_uring")) {
                char params[120];
                memset(params, 0, sizeof params);
                return verdict(syscall(SYS_io_uring_setup, 4, params), "io_uring_setup");
        }
        if (!strcmp(w, "init_module"))
                return verdict(syscall(SYS_init_module, "", 0, ""), "init_module");
        if (!strcmp(w, "finit_module")) {
                int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
                return verdict(syscall(SYS_finit_module, fd, "", 0), "finit_module");
        }
        if (!strcmp(w, "ptrace-child")) {
                pid_t c = fork();
                int v;
                if (c == 0) {
                        pause();
                        _exit(0);
                }
                v = try_ptrace(c);
                kill(c, SIGKILL);
                waitpid(c, NULL, 0);
                return v;
        }
        if (!strcmp(w, "ptrace-init"))
                return try_ptrace(1);
        if (!strcmp(w, "chroot"))
                return verdict(chroot("/tmp"), "chroot");
        if (!strcmp(w, "pivot_root"))
                return verdict(syscall(SYS_pivot_root, "/tmp", "/tmp"), "pivot_root");
        if (!strcmp(w, "reboot"))
                return verdict(reboot(RB_POWER_OFF), "reboot");
        if (!strcmp(w, "swapon"))
                return verdict(syscall(SYS_swapon, "/dev/null", 0), "swapon");
        if (!strcmp(w, "sethostname"))
                return verdict(sethostname("escaped", 7), "sethostname");
        fprintf(stderr, "unknown escape '%s'\n", w);
        return 2;
}
