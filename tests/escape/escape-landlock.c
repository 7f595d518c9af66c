/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-landlock — what Landlock closes, tried from inside a job, and the
 * host side the test needs:
 *
 *   listen NAME      (host) listen on the abstract unix socket @NAME, print
 *                    "ready" and wait until killed
 *   connect NAME     connect to @NAME: "contained" when refused by the
 *                    kernel's policy (EPERM), "escaped" when connected
 *   signal PID       send SIGUSR1 to PID: "contained" (EPERM) or "escaped"
 *   read PATH        open PATH for reading: "contained" (EACCES/EPERM) or
 *                    "escaped"
 *   probe            (host) exit 0 when this kernel has Landlock scopes
 *                    (ABI >= 6), 77 with the reason when not
 *
 * Anything else unexpected prints "error: ..." and exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t abstract_addr(const char *name, struct sockaddr_un *sa) {
        size_t n = strlen(name);
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        if (n >= sizeof sa->sun_path - 1)
                n = sizeof sa->sun_path - 2;
        memcpy(sa->sun_path + 1, name, n);
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int verdict(int r, const char *what) {
        if (r == 0) {
                printf("escaped\n");
                return 0;
        }
        if (errno == EPERM || errno == EACCES) {
                printf("contained\n");
                return 0;
        }
        printf("error: %s: %s\n", what, strerror(errno));
        return 1;
}

int main(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "probe") == 0) {
                long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);
                if (abi < 0) {
                        printf("unavailable: no Landlock in this kernel (%s)\n", strerror(errno));
                        return 77;
                }
                if (abi < 6) {
                        printf("unavailable: Landlock ABI %ld has no scopes (6 needed, Linux 6.12)\n", abi);
                        return 77;
                }
                printf("ABI %ld\n", abi);
                return 0;
        }
        if (argc != 3) {
                fprintf(stderr, "usage: escape-landlock listen|connect NAME | signal PID | read PATH | probe\n");
                return 2;
        }
        const char *mode = argv[1], *arg = argv[2];
        if (strcmp(mode, "listen") == 0 || strcmp(mode, "connect") == 0) {
                struct sockaddr_un sa;
                socklen_t len = abstract_addr(arg, &sa);
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                        printf("error: socket: %s\n", strerror(errno));
                        return 1;
                }
                if (mode[0] == 'c')
                        return verdict(connect(fd, (struct sockaddr *) &sa, len), "connect");
                if (bind(fd, (struct sockaddr *) &sa, len) < 0 || listen(fd, 16) < 0) {
                        printf("error: bind/listen: %s\n", strerror(errno));
                        return 1;
                }
                printf("ready\n");
                fflush(stdout);
                for (;;)
                        pause();
        }
        if (strcmp(mode, "signal") == 0)
                return verdict(kill((pid_t) atoi(arg), SIGUSR1), "kill");
        if (strcmp(mode, "read") == 0) {
                int fd = open(arg, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        close(fd);
                return verdict(fd >= 0 ? 0 : -1, "open");
        }
        fprintf(stderr, "escape-landlock: unknown mode %s\n", mode);
        return 2;
}
