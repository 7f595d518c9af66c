/* SPDX-License-Identifier: GPL-2.0-or-later */
/* escape-cgroup.c — from inside a job, tries to move itself out of its
 * cgroup: writes its pid into the cgroup.procs (and tasks) of its job
 * cgroup's parent, of the hierarchy's root and of a sibling, in every
 * hierarchy listed in /proc/self/cgroup, and creates a sub-cgroup. Prints
 * "contained" and exits 0 when every attempt failed; "ESCAPED: ..." and exit
 * 1 when one worked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void);

static int try_write(const char *path, const char *what) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;
        if (fd < 0)
                return 0;
        n = write(fd, what, strlen(what));
        close(fd);
        if (n > 0) {
                printf("ESCAPED: wrote %s into %s\n", what, path);
                return 1;
        }
        return 0;
}

int main(void) {
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[1024], pid[32];
        int escaped = 0, tried = 0;

        snprintf(pid, sizeof pid, "%d", (int) getpid());
        while (f && fgets(line, sizeof line, f)) {
                char *ctrl = strchr(line, ':'), *path, *slash, dir[1200], p[1400];
                if (!ctrl)
                        continue;
                ctrl++;
                path = strchr(ctrl, ':');
                if (!path)
                        continue;
                *path++ = '\0';
                path[strcspn(path, "\n")] = '\0';
                if (strncmp(ctrl, "name=", 5) == 0)
                        ctrl += 5;
                if (*ctrl)
                        snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", ctrl, path);
                else
                        snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", path);
                if (access(dir, F_OK) < 0)
                        continue;
                tried++;
                /* a sub-cgroup of our own */
                snprintf(p, sizeof p, "%s/escape", dir);
                if (mkdir(p, 0755) == 0) {
                        printf("ESCAPED: created %s\n", p);
                        rmdir(p);
                        escaped = 1;
                }
                /* parent, grandparent ... root */
                while ((slash = strrchr(dir, '/')) && slash > dir + strlen("/sys/fs/cgroup")) {
                        *slash = '\0';
                        snprintf(p, sizeof p, "%s/cgroup.procs", dir);
                        escaped |= try_write(p, pid);
                        snprintf(p, sizeof p, "%s/tasks", dir);
                        escaped |= try_write(p, pid);
                }
        }
        if (f)
                fclose(f);
        /* and the root of every hierarchy mounted here */
        {
                const char *roots[] = { "/sys/fs/cgroup/memory",  "/sys/fs/cgroup/pids",    "/sys/fs/cgroup/cpu",
                                        "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
                for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
                        char p[256];
                        snprintf(p, sizeof p, "%s/cgroup.procs", roots[i]);
                        escaped |= try_write(p, pid);
                }
        }
        if (!escaped)
                printf("contained: %d hierarchies, no write accepted\n", tried);
        return escaped;
}
