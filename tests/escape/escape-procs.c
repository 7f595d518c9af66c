/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-procs.c — from inside a job, tries to leave something running
 * after the job ends, or to reach processes outside it:
 *   daemon         double fork + setsid: a classic daemon, sleeps on
 *   nohup          setsid + SIGHUP ignored, sleeps on
 *   ignore-term    a child that ignores SIGTERM, sleeps on
 *   kill-all       kill(-1, SIGKILL): every process we may signal
 *   kill-pids MAX  kill(pid, SIGKILL) for pid 2..MAX outside our own job
 *   environ SECRET read /proc/PID/environ of every process we can see
 * The first three exit 0 at once and leave a process named by argv[0]:
 * the test checks from the host that it is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[]);

static void linger(void) {
        for (int i = 0; i < 1000; i++)
                sleep(1);
        _exit(0);
}

int main(int argc, char *argv[]) {
        const char *w = argc > 1 ? argv[1] : "";

        if (!strcmp(w, "daemon")) {
                if (fork() == 0) {
                        setsid();
                        if (fork() == 0) {
                                for (int fd = 0; fd < 3; fd++)
                                        close(fd);
                                linger();
                        }
                        _exit(0);
                }
                printf("daemon started\n");
                return 0;
        }
        if (!strcmp(w, "nohup")) {
                if (fork() == 0) {
                        setsid();
                        signal(SIGHUP, SIG_IGN);
                        linger();
                }
                printf("nohup started\n");
                return 0;
        }
        if (!strcmp(w, "ignore-term")) {
                if (fork() == 0) {
                        signal(SIGTERM, SIG_IGN);
                        signal(SIGHUP, SIG_IGN);
                        signal(SIGINT, SIG_IGN);
                        linger();
                }
                printf("ignore-term started\n");
                return 0;
        }
        if (!strcmp(w, "kill-all")) {
                /* we die with everything else we may signal in the job */
                (void) fflush(stdout);
                kill(-1, SIGKILL);
                sleep(1);
                printf("kill(-1) returned\n");
                return 0;
        }
        if (!strcmp(w, "kill-pids")) {
                int max = argc > 2 ? atoi(argv[2]) : 4194304, hits = 0;
                pid_t self = getpid();
                for (int p = 2; p <= max; p++)
                        if (p != self && kill(p, 0) == 0) {
                                /* only processes of this job may be visible */
                                hits++;
                        }
                printf("visible others: %d\n", hits);
                for (int p = 2; p <= max; p++)
                        if (p != self)
                                kill(p, SIGKILL);
                return 0;
        }
        if (!strcmp(w, "environ")) {
                const char *secret = argc > 2 ? argv[2] : "";
                DIR *d = opendir("/proc");
                struct dirent *e;
                int readable = 0;
                while (d && (e = readdir(d))) {
                        char p[300], buf[65536];
                        ssize_t n;
                        int fd;
                        if (e->d_name[0] < '0' || e->d_name[0] > '9')
                                continue;
                        snprintf(p, sizeof p, "/proc/%s/environ", e->d_name);
                        fd = open(p, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        n = read(fd, buf, sizeof buf - 1);
                        close(fd);
                        if (n <= 0)
                                continue;
                        readable++;
                        for (ssize_t i = 0; i < n; i++)
                                if (buf[i] == '\0')
                                        buf[i] = '\n';
                        buf[n] = '\0';
                        if (*secret && strstr(buf, secret)) {
                                printf("ESCAPED: read the secret from %s\n", p);
                                return 1;
                        }
                }
                printf("contained: secret not found (%d environ files readable)\n", readable);
                return 0;
        }
        fprintf(stderr, "unknown escape '%s'\n", w);
        return 2;
}
