/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pidstat.c — the /proc start time and session that tell processes apart (the
 * core<->helper messages themselves are lib/hmsg.c's). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "corrald.h"
#include "macro.h"
#include "parse.h"
#include "proctable.h"

/* /proc/PID/stat through libcorral's parser (the one the epilogue uses). */
static int read_stat(pid_t pid, ProcEntry *ret) {
        char path[64], buf[1024];
        ssize_t k;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        k = proc_syscalls.read_file(AT_FDCWD, path, buf, sizeof buf);
        if (k < 0)
                return (int) k;
        *ret = (ProcEntry){ 0 };
        return proc_parse_stat(buf, ret);
}

int pid_start_time(pid_t pid, uint64_t *ret) {
        ProcEntry e;
        int r = read_stat(pid, &e);
        if (r < 0)
                return r;
        *ret = e.start_time;
        return 0;
}

int pid_session(pid_t pid, pid_t *ret) {
        ProcEntry e;
        int r = read_stat(pid, &e);
        if (r < 0)
                return r;
        if (e.sid <= 0)
                return -ESRCH;
        *ret = e.sid;
        return 0;
}

/* ---- where a client runs (core-api.c's submit from inside a job) ---- */

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* The number of entries of the "NSpid:" line of /proc/PID/status text, less
 * one: how many PID namespaces below the reader's the process is in; -EBADMSG
 * when there is no such line (a kernel before 4.1). Pure. */
int proc_status_pidns_depth(const char *status) {
        const char *l = status;
        while (l && *l) {
                if (strncmp(l, "NSpid:", 6) == 0) {
                        int n = 0;
                        const char *p = l + 6;
                        for (;;) {
                                while (*p == ' ' || *p == '\t')
                                        p++;
                                if (*p < '0' || *p > '9')
                                        break;
                                n++;
                                while (*p >= '0' && *p <= '9')
                                        p++;
                        }
                        return n > 0 ? n - 1 : -EBADMSG;
                }
                l = strchr(l, '\n');
                if (l)
                        l++;
        }
        return -EBADMSG;
}

static int read_proc(pid_t pid, const char *what, char *buf, size_t size) {
        char path[64];
        ssize_t k;
        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, what);
        k = proc_syscalls.read_file(AT_FDCWD, path, buf, size - 1);
        if (k < 0)
                return (int) k;
        buf[k] = '\0';
        return 0;
}

/* The pid of a pidfd, from /proc/self/fdinfo ("Pid:"; -1 once the process
 * is gone). */
static int pidfd_pid(int pidfd, pid_t *ret) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "fdinfo/%d", pidfd);
        int r = read_proc(getpid(), path, buf, sizeof buf);
        if (r < 0)
                return r;
        const char *p = strstr(buf, "\nPid:");
        if (!p)
                return -EOPNOTSUPP;
        long v = strtol(p + 5, NULL, 10);
        if (v <= 0)
                return -ESRCH;
        *ret = (pid_t) v;
        return 0;
}

int peer_inspect(int fd, pid_t pid, uint64_t accepted_usec, char **ret_cgroup, int *ret_pidns_depth) {
        _cleanup_close_ int pidfd = -1;
        socklen_t len = sizeof pidfd;
        bool exact = true;
        char status[4096];
        int r;

        /* The pidfd of the process that connected (Linux 6.5), or of the one
         * that has its pid now, checked below to be as old as the connection. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0) {
                if (errno != ENOPROTOOPT && errno != EINVAL && errno != EOPNOTSUPP)
                        return negative_errno();
                pidfd = -1;
        }
        if (pidfd >= 0) {
                r = pidfd_pid(pidfd, &pid);
                if (r < 0 && r != -EOPNOTSUPP)
                        return r;
        } else {
                exact = false;
                pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
                if (pidfd < 0)
                        return negative_errno();
        }
        _cleanup_free_ char *cg = malloc(8192);
        if (!cg)
                return -ENOMEM;
        r = read_proc(pid, "cgroup", cg, 8192);
        if (r < 0)
                return r;
        r = read_proc(pid, "status", status, sizeof status);
        if (r < 0)
                return r;
        if (!exact) {
                /* a process started after the connection was accepted is not
                 * the one that connected (its pid was reused) */
                uint64_t start;
                long hz = sysconf(_SC_CLK_TCK);
                r = pid_start_time(pid, &start);
                if (r < 0)
                        return r;
                if (hz > 0 && start * (USEC_PER_SEC / (uint64_t) hz) > accepted_usec)
                        return -ESRCH;
        }
        /* still alive, so the pid read above was still its own (EPERM: it
         * is, but another user's) */
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno != EPERM)
                return negative_errno();
        int depth = proc_status_pidns_depth(status);
        if (depth < 0)
                return depth;
        *ret_pidns_depth = depth;
        *ret_cgroup = TAKE_PTR(cg);
        return 0;
}
