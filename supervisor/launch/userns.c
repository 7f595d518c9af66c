/* SPDX-License-Identifier: GPL-2.0-or-later */
/* userns.c — step 3: the job's namespaces. One clone3() creates the child
 * in new user, PID, mount, IPC, UTS (and network) namespaces as the policy
 * says (contain_namespace_flags()), directly inside its cgroup when the cgroup is on v2
 * (CLONE_INTO_CGROUP), with a pidfd for the parent. The parent then maps the
 * job's own uid and gids (and nothing else: no root inside) into the user
 * namespace; the child waits for that before doing anything. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "contain.h"
#include "launch.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of <linux/sched.h>, version 2 (with cgroup) */
struct launch_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
                cgroup;
};

/* Like fork(): returns 0 in the child and the pid in the parent. */
int userns_clone(const Policy *p, int cgroup_fd, pid_t *ret_pid, int *ret_pidfd) {
        int pidfd = -1;
        struct launch_clone_args args = {
                .flags = contain_namespace_flags(p) | CLONE_PIDFD,
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                .exit_signal = SIGCHLD,
        };
        long pid;

        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) cgroup_fd;
        }
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0 && errno == ENOSYS && cgroup_fd < 0) {
                /* before 5.3, or a seccomp profile around us that hides
                 * clone3: clone() does the same without CLONE_INTO_CGROUP */
                pid = syscall(SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, &pidfd, NULL, NULL);
        }
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                return 0;
        *ret_pid = (pid_t) pid;
        *ret_pidfd = pidfd;
        return 1;
}

static int write_proc(pid_t pid, const char *file, const char *buf) {
        char path[64];
        _cleanup_close_ int fd = -1;
        size_t n = strlen(buf);

        (void) snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (write(fd, buf, n) != (ssize_t) n)
                return negative_errno();
        return 0;
}

static int cmp_gid(const void *a, const void *b) {
        gid_t x = *(const gid_t *) a, y = *(const gid_t *) b;
        return x < y ? -1 : x > y;
}

int userns_write_maps(pid_t pid, const JobUser *u) {
        gid_t g[LAUNCH_MAX_GROUPS + 1];
        /* at most 340 lines of "%u %u %u\n" (kernel limit), 36 bytes each */
        char buf[340 * 36 + 1];
        size_t len = 0;
        int n = 0, lines = 0, r;

        (void) snprintf(buf, sizeof buf, "%u %u 1\n", (unsigned) u->uid, (unsigned) u->uid);
        r = write_proc(pid, "uid_map", buf);
        if (r < 0)
                return r;

        /* the job's gids, each mapped to itself, merged into ranges */
        g[n++] = u->gid;
        for (int i = 0; i < u->n_groups; i++)
                g[n++] = u->groups[i];
        qsort(g, (size_t) n, sizeof g[0], cmp_gid);
        buf[0] = '\0';
        for (int i = 0; i < n;) {
                int j = i + 1;
                while (j < n && (g[j] == g[j - 1] || g[j] == g[j - 1] + 1))
                        j++;
                if (++lines > 340)
                        return -E2BIG;
                len += (size_t) snprintf(buf + len, sizeof buf - len, "%u %u %u\n", (unsigned) g[i], (unsigned) g[i],
                                         (unsigned) (g[j - 1] - g[i] + 1));
                i = j;
        }
        return write_proc(pid, "gid_map", buf);
}
