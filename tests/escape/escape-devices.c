/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-devices.c — a device node the job should not reach:
 *   open PATH    opens PATH read-only (a device node: the device cgroup
 *                decides) and prints "escaped" when it opened, "contained"
 *                when the open failed with EPERM (what the device cgroup
 *                answers), "errno NAME" for any other failure (exit 1). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        int fd;

        if (argc != 3 || strcmp(argv[1], "open") != 0) {
                fprintf(stderr, "usage: escape-devices open PATH\n");
                return 2;
        }
        fd = open(argv[2], O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
                (void) close(fd);
                printf("escaped\n");
                return 0;
        }
        if (errno == EPERM) {
                printf("contained\n");
                return 0;
        }
        printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
        return 1;
}
