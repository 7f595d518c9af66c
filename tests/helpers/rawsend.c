/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rawsend.c — test helper: sends stdin as ONE SOCK_SEQPACKET message to the
 * corrald socket given as argv[1] (or, with a size as argv[2], that many
 * bytes of 'x') and prints the one answer, so that tests can send malformed,
 * truncated and oversized requests that the corral CLI never would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char buf[1 << 20];
        size_t n = 0;
        int fd;

        if (argc < 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "usage: rawsend SOCKET [SIZE] < request\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        if (argc > 2) {
                n = (size_t) strtoul(argv[2], NULL, 10);
                if (n > sizeof buf)
                        n = sizeof buf;
                memset(buf, 'x', n);
        } else
                n = fread(buf, 1, sizeof buf, stdin);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                perror("connect");
                return 1;
        }
        if (send(fd, buf, n, MSG_NOSIGNAL) < 0) {
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
        return 0;
}
