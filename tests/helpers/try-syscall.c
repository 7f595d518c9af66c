/* SPDX-License-Identifier: GPL-2.0-or-later */
/* try-syscall.c — makes one syscall and prints "ok" or "errno NAME", for
 * the corral-launch tests that check what the seccomp filter does.
 *   try-syscall unshare | clone-newuser | clone3 | fork | getppid | mount
 *   try-syscall loopback     (a TCP connection to 127.0.0.1: is lo up?)
 *   try-syscall personality HEX | memfd_secret | mbind | set_mempolicy |
 *               process_vm_readv | vsock */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char *argv[]);

static int report(long r) {
        if (r >= 0) {
                printf("ok\n");
                return 0;
        }
        printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
        return 1;
}

int main(int argc, char *argv[]) {
        const char *what = argc > 1 ? argv[1] : "";
        long r;

        if (strcmp(what, "unshare") == 0)
                return report(unshare(CLONE_NEWUSER));
        if (strcmp(what, "clone-newuser") == 0) {
                r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
                if (r == 0)
                        _exit(0);
                if (r > 0)
                        (void) waitpid((pid_t) r, NULL, 0);
                return report(r);
        }
        if (strcmp(what, "clone3") == 0) {
                struct {
                        unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
                } args = { .exit_signal = SIGCHLD };
                r = syscall(SYS_clone3, &args, sizeof args);
                if (r == 0)
                        _exit(0);
                if (r > 0)
                        (void) waitpid((pid_t) r, NULL, 0);
                return report(r);
        }
        if (strcmp(what, "fork") == 0) {
                pid_t p = fork();
                if (p == 0)
                        _exit(0);
                if (p > 0)
                        (void) waitpid(p, NULL, 0);
                return report(p);
        }
        if (strcmp(what, "getppid") == 0)
                return report(syscall(SYS_getppid));
        if (strcmp(what, "loopback") == 0) {
                struct sockaddr_in a = { .sin_family = AF_INET };
                socklen_t len = sizeof a;
                int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (l < 0 || c < 0 || bind(l, (struct sockaddr *) &a, sizeof a) < 0 || listen(l, 1) < 0 ||
                    getsockname(l, (struct sockaddr *) &a, &len) < 0)
                        return report(-1);
                return report(connect(c, (struct sockaddr *) &a, sizeof a));
        }
        if (strcmp(what, "mount") == 0)
                return report(mount("none", "/tmp", "tmpfs", 0, NULL));
        if (strcmp(what, "personality") == 0 && argc > 2) {
                /* the raw syscall: glibc's wrapper maps errors to -1 too */
                r = syscall(SYS_personality, strtoul(argv[2], NULL, 16));
                if (r >= 0)
                        (void) syscall(SYS_personality, 0UL); /* back to PER_LINUX */
                return report(r);
        }
        if (strcmp(what, "memfd_secret") == 0)
                return report(syscall(447 /* SYS_memfd_secret */, 0));
        if (strcmp(what, "mbind") == 0 || strcmp(what, "set_mempolicy") == 0) {
                void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (what[0] == 'm') /* MPOL_DEFAULT: no nodes, a no-op */
                        return report(syscall(SYS_mbind, p, 4096UL, 0, NULL, 0UL, 0U));
                return report(syscall(SYS_set_mempolicy, 0, NULL, 0UL));
        }
        if (strcmp(what, "process_vm_readv") == 0) {
                char src[8] = "x", dst[8];
                struct iovec l = { dst, sizeof dst }, rm = { src, sizeof src };
                return report(syscall(SYS_process_vm_readv, getpid(), &l, 1UL, &rm, 1UL, 0UL));
        }
        if (strcmp(what, "vsock") == 0)
                return report(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
        fprintf(stderr, "usage: try-syscall unshare|clone-newuser|clone3|fork|getppid|mount|loopback|personality "
                        "HEX|memfd_secret|mbind|set_mempolicy|process_vm_readv|vsock\n");
        return 2;
}
