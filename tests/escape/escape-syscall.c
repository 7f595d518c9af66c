/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-syscall.c — from inside a job, tries one privileged way out by a
 * syscall and says whether it worked:
 *   escape-syscall NAME    NAME: mount, umount, unshare-user, unshare-mnt,
 *     unshare-net, unshare-pid, clone-newuser, clone-newns, setns-mnt,
 *     setns-pid, setns-user, setns-net, keyctl, add_key, bpf, perf,
 *     userfaultfd, io_uring, init_module, finit_module, ptrace-child,
 *     ptrace-init, chroot, pivot_root, reboot, swapon, sethostname
 * Prints "contained: ERRNO" and exits 0 when the call failed, "ESCAPED"
 * and exits 1 when it succeeded. */
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

int main(int argc, char *argv[]) {
        const char *w = argc > 1 ? argv[1] : "";

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
#if defined(__x86_64__)
        if (!strcmp(w, "unshare-int80")) {
                /* i386 unshare is 310; through int 0x80 the filter sees the
                 * i386 architecture */
                long r;
                __asm__ volatile("int $0x80" : "=a"(r) : "a"(310L), "b"((long) CLONE_NEWUSER) : "memory");
                if (r < 0 && r > -4096) {
                        errno = (int) -r;
                        r = -1;
                }
                return verdict(r, "unshare via int 0x80");
        }
        if (!strcmp(w, "unshare-x32"))
                return verdict(syscall(0x40000000L | SYS_unshare, CLONE_NEWUSER), "unshare via the x32 bit");
#endif
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
