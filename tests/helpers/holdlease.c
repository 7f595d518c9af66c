/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holdlease.c — test helper: takes a read lease (F_SETLEASE, F_RDLCK) on
 * FILE and keeps it, ignoring the kernel's SIGIO that asks for it back, so
 * that another process opening FILE for writing waits for the lease break
 * (lease-break-time, 45 s by default) — or, with O_NONBLOCK, gets
 * EWOULDBLOCK. Prints "leased" once it holds the lease, then waits for stdin
 * to close. Needs to own FILE, or CAP_LEASE. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        char buf[64];
        int fd;

        if (argc != 2) {
                fprintf(stderr, "usage: holdlease FILE\n");
                return 2;
        }
        (void) signal(SIGIO, SIG_IGN);
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) < 0) {
                perror(argv[1]);
                return 1;
        }
        printf("leased\n");
        fflush(stdout);
        while (read(0, buf, sizeof buf) > 0)
                ;
        return 0;
}
