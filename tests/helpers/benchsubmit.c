/* SPDX-License-Identifier: GPL-2.0-or-later */
/* benchsubmit.c — benchmark client: submits N trivial jobs to corrald over
 * its socket, one connection per request like the CLI, and prints each
 * round-trip latency in microseconds (one per line), so the benchmark can
 * take p50/p99 without the cost of starting a process per submission. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static const char req[] = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\"}";
        char buf[65536];
        long n;

        if (argc != 3 || strlen(argv[1]) >= sizeof sa.sun_path || (n = strtol(argv[2], NULL, 10)) <= 0) {
                fprintf(stderr, "usage: benchsubmit SOCKET N\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        for (long i = 0; i < n; i++) {
                uint64_t t0 = now_us();
                int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
                    send(fd, req, sizeof req - 1, MSG_NOSIGNAL) < 0) {
                        perror("submit");
                        return 1;
                }
                ssize_t k = recv(fd, buf, sizeof buf - 1, 0);
                close(fd);
                if (k <= 0 || !memmem(buf, (size_t) k, "\"ok\":true", 9)) {
                        fprintf(stderr, "refused: %.*s\n", (int) (k > 0 ? k : 0), buf);
                        return 1;
                }
                printf("%llu\n", (unsigned long long) (now_us() - t0));
        }
        return 0;
}
