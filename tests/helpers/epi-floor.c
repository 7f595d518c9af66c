/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epi-floor.c — the kernel's share of an epilogue on a node, with no
 * program around it: what tests/bench/epilogue.sh compares corral-epilogue
 * to (the floor of that node).
 *
 *   epi-floor UID [-v] [--keep FILE]...
 *
 * Snapshots /proc for the processes whose real uid (status) is UID,
 * pidfd_open()s each, SIGSTOPs all, SIGKILLs all, and waits until every
 * pidfd is readable (the process exited). No classification, no re-scan,
 * no report: prints "N processes" and exits 0. UID must be a test uid
 * (61000-61999). -v: the time of each step on stderr. --keep FILE: the
 * PIDs listed in FILE (a cgroup.procs: a running job's) are left alone,
 * read once before the snapshot. Like launch-floor, a measuring tool; it links libc only. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double ms(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        long uid = argc >= 2 ? strtol(argv[1], NULL, 10) : -1;
        int verbose = 0;
        double t0 = ms(), t1, t2, t3;
        char *keep = NULL; /* keep[pid] != 0: leave it */
        size_t keep_max = 4u << 20;
        int proc_fd, ep, *fds = NULL;
        size_t n = 0, cap = 0, left = 0;
        DIR *d;

        if (uid < 61000 || uid > 61999) {
                fprintf(stderr, "usage: epi-floor UID [-v] [--keep FILE]... (UID: a test uid, 61000-61999)\n");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "-v"))
                        verbose = 1;
                else if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
                        FILE *f = fopen(argv[++i], "re");
                        long pid;
                        if (!keep)
                                keep = calloc(keep_max, 1);
                        if (!f || !keep) {
                                perror(argv[i]);
                                return 1;
                        }
                        while (fscanf(f, "%ld", &pid) == 1)
                                if (pid > 0 && (size_t) pid < keep_max)
                                        keep[pid] = 1;
                        (void) fclose(f);
                } else {
                        fprintf(stderr, "epi-floor: unknown argument %s\n", argv[i]);
                        return 2;
                }
        }
        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = proc_fd < 0 ? NULL : opendir("/proc");
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (!d || ep < 0) {
                perror("epi-floor");
                return 1;
        }
        for (struct dirent *de; (de = readdir(d));) {
                char path[64], buf[2048], *u;
                long pid = strtol(de->d_name, &u, 10);
                ssize_t k;
                int fd, pfd;

                if (pid <= 0 || *u || (keep && (size_t) pid < keep_max && keep[pid]))
                        continue;
                (void) snprintf(path, sizeof path, "%ld/status", pid);
                fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                k = read(fd, buf, sizeof buf - 1);
                (void) close(fd);
                if (k <= 0)
                        continue;
                buf[k] = '\0';
                u = strstr(buf, "\nUid:");
                if (!u || strtol(u + 5, NULL, 10) != uid)
                        continue;
                pfd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
                if (pfd < 0)
                        continue;
                if (n == cap) {
                        int *nf = realloc(fds, (cap = cap ? cap * 2 : 1024) * sizeof *nf);
                        if (!nf)
                                return 1;
                        fds = nf;
                }
                fds[n++] = pfd;
        }
        (void) closedir(d);
        t1 = ms();
        for (size_t i = 0; i < n; i++)
                (void) syscall(SYS_pidfd_send_signal, fds[i], SIGSTOP, NULL, 0);
        t2 = ms();
        for (size_t i = 0; i < n; i++) {
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t) i };
                if (syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0) == 0 &&
                    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == 0)
                        left++;
        }
        t3 = ms();
        while (left > 0) {
                struct epoll_event evs[256];
                int k = epoll_wait(ep, evs, 256, 10000);
                if (k <= 0)
                        break;
                for (int j = 0; j < k; j++)
                        (void) epoll_ctl(ep, EPOLL_CTL_DEL, fds[evs[j].data.u32], NULL);
                left -= (size_t) k;
        }
        if (verbose)
                fprintf(stderr, "snapshot %.1f ms, SIGSTOP %.1f ms, SIGKILL %.1f ms, exits %.1f ms\n", t1 - t0, t2 - t1,
                        t3 - t2, ms() - t3);
        printf("%zu processes%s\n", n, left ? ", some did not exit in 10 s" : "");
        return left ? 1 : 0;
}
