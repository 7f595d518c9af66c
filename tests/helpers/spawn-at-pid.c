/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn-at-pid PID NAME — starts a process with exactly that PID (clone3
 * with set_tid, root only) that looks like a corral launcher in every way
 * but its start time: a root session leader named NAME, sleeping until it
 * is killed. For corrald-crash.t: a PID recycled while corrald was down must
 * not be adopted. Prints nothing; exits 0 once the process runs, 1 with a
 * message (EEXIST: the PID is taken) otherwise. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        if (argc != 3) {
                fprintf(stderr, "usage: spawn-at-pid PID NAME\n");
                return 2;
        }
        pid_t want = (pid_t) atoi(argv[1]);
        pid_t tid[1] = { want };
        struct clone_args args = {
                .exit_signal = SIGCHLD,
                .set_tid = (uint64_t) (uintptr_t) tid,
                .set_tid_size = 1,
        };
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0) {
                fprintf(stderr, "spawn-at-pid: clone3 with pid %d: %s\n", (int) want, strerror(errno));
                return 1;
        }
        if (pid == 0) {
                (void) setsid();
                (void) prctl(PR_SET_NAME, argv[2], 0, 0, 0);
                int fd;
                for (fd = 0; fd < 3; fd++)
                        (void) close(fd);
                for (;;)
                        pause();
        }
        return 0;
}
