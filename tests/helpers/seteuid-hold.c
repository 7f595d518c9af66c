/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seteuid-hold — a root daemon that acts as a user for a while, the way
 * slurmstepd and sge_shepherd do: its real and saved uid stay 0, only its
 * effective uid (and with it the filesystem uid) becomes the user's.
 *
 *   seteuid-hold --euid U [--dumpable] [--comm NAME]
 *
 * Run as root. Forks, the child calls setsid() and seteuid(U) (U must be a
 * test uid, 61000-61999). The directory /proc/PID is then U's (it always
 * shows the effective uid); the change of uid makes the process
 * non-dumpable, so the files inside are root's, unless --dumpable: then it
 * calls prctl(PR_SET_DUMPABLE, 1) as slurmstepd does, and they are U's too.
 * The parent prints the child's pid once it is set up and exits, so the child
 * is an orphan (re-parented to the nearest subreaper). The child sleeps
 * until killed. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void) {
        fprintf(stderr, "usage: seteuid-hold --euid UID [--dumpable] [--comm NAME]\n");
        exit(2);
}

int main(int argc, char **argv) {
        const char *comm = NULL;
        bool dumpable = false;
        long euid = -1;
        int p[2];
        pid_t pid;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--euid") == 0 && i + 1 < argc)
                        euid = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--dumpable") == 0)
                        dumpable = true;
                else if (strcmp(argv[i], "--comm") == 0 && i + 1 < argc)
                        comm = argv[++i];
                else
                        usage();
        }
        if (euid < 61000 || euid > 61999) {
                fprintf(stderr, "seteuid-hold: --euid must be a test uid (61000-61999)\n");
                return 2;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "seteuid-hold: must run as root\n");
                return 2;
        }
        if (pipe(p) < 0) {
                perror("seteuid-hold: pipe");
                return 1;
        }
        pid = fork();
        if (pid < 0) {
                perror("seteuid-hold: fork");
                return 1;
        }
        if (pid == 0) {
                char ok = 'y';
                close(p[0]);
                (void) setsid();
                if (comm)
                        (void) prctl(PR_SET_NAME, comm, 0, 0, 0);
                if (seteuid((uid_t) euid) < 0 || (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0))
                        ok = 'n';
                if (write(p[1], &ok, 1) != 1 || ok != 'y')
                        _exit(1);
                close(p[1]);
                for (;;)
                        pause();
        }
        close(p[1]);
        char c = 0;
        if (read(p[0], &c, 1) != 1 || c != 'y') {
                fprintf(stderr, "seteuid-hold: the child could not seteuid(%ld): %s\n", euid, strerror(errno));
                return 1;
        }
        printf("%d\n", (int) pid);
        fflush(stdout);
        return 0;
}
