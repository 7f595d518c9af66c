/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-suid.c — installed setuid root by the test; run inside a job it
 * prints its real and effective uid: with no_new_privs the effective uid must
 * stay the job's. */
#include <stdio.h>
#include <unistd.h>

int main(void);

int main(void) {
        printf("ruid=%u euid=%u\n", (unsigned) getuid(), (unsigned) geteuid());
        return geteuid() == 0;
}
