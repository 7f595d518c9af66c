/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stallwait.c — test helper: a client that waits for a job's output and
 * then stops reading. stallwait SOCKET JOB connects to corrald, sends
 * {"op":"wait","job":JOB,"output":true}, prints the first message it gets
 * (the job's state, or the refusal) and then sleeps until killed without
 * reading another byte, so that tests can check corrald neither buffers the
 * job's output for it nor stalls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char buf[1 << 17];
        int fd, n;

        if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "usage: stallwait SOCKET JOB\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                perror("connect");
                return 1;
        }
        n = snprintf(buf, sizeof buf, "{\"op\":\"wait\",\"job\":%lld,\"output\":true}", strtoll(argv[2], NULL, 10));
        if (send(fd, buf, (size_t) n, MSG_NOSIGNAL) < 0) {
                perror("send");
                return 1;
        }
        ssize_t k = recv(fd, buf, sizeof buf - 1, 0);
        if (k < 0) {
                perror("recv");
                return 1;
        }
        buf[k] = '\0';
        printf("%s\n", buf);
        fflush(stdout);
        for (;;)
                pause();
}
