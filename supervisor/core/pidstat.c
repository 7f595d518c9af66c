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
