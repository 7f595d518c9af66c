/* SPDX-License-Identifier: GPL-2.0-or-later */
/* msg.c — one JSON object per SOCK_SEQPACKET message, for the core<->helper
 * socketpair; and the /proc start time that tells processes apart. */
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

int msg_send(int fd, json_t *msg) {
        _cleanup_free_ char *s = json_dumps(msg, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        if (n > HELPER_MAX_MESSAGE)
                return -E2BIG;
        for (;;) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                if (k >= 0)
                        return 0;
                if (errno != EINTR)
                        return negative_errno();
        }
}

int msg_recv(int fd, size_t max, json_t **ret) {
        _cleanup_free_ char *buf = malloc(max + 1);
        ssize_t n;
        json_t *o;

        if (!buf)
                return -ENOMEM;
        do
                n = recv(fd, buf, max + 1, MSG_TRUNC | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if (n == 0) {
                *ret = NULL;
                return 0;
        }
        if ((size_t) n > max)
                return -EBADMSG; /* oversized: the caller treats it as fatal */
        o = json_loadb(buf, (size_t) n, JSON_REJECT_DUPLICATES, NULL);
        if (!o || !json_is_object(o) || !json_is_string(json_object_get(o, "type"))) {
                json_decref(o);
                return -EBADMSG;
        }
        *ret = o;
        return 1;
}

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
