/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holdconns.c — test helper: opens N connections to a corrald socket and
 * keeps them open; prints how many connected and how many corrald refused
 * at once (its per-user connection cap), then waits for stdin to close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int n, open_n = 0, refused = 0;
        char buf[256];

        if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path || (n = atoi(argv[2])) <= 0) {
                fprintf(stderr, "usage: holdconns SOCKET N\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        int *fds = calloc((size_t) n, sizeof(int));
        if (!fds)
                return 1;
        for (int i = 0; i < n; i++) {
                fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (fds[i] < 0 || connect(fds[i], (struct sockaddr *) &sa, sizeof sa) < 0) {
                        perror("connect");
                        free(fds);
                        return 1;
                }
        }
        /* a refused connection gets an answer and is closed at once; an
         * accepted one stays silent until it asks something */
        usleep(1500 * 1000); /* generous: under load (ASan) corrald may accept late */
        for (int i = 0; i < n; i++) {
                ssize_t k = recv(fds[i], buf, sizeof buf - 1, MSG_DONTWAIT);
                if (k > 0 && memmem(buf, (size_t) k, "too many connections", 20))
                        refused++;
                else
                        open_n++;
        }
        printf("%d %d\n", open_n, refused);
        fflush(stdout);
        while (read(0, buf, sizeof buf) > 0)
                ;
        free(fds);
        return 0;
}
