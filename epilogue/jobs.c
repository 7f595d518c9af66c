/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobs.c — which pids are in a cgroup, read from cgroupfs. Reading
 * cgroup.procs of a job's cgroup (and its children) costs one read per
 * cgroup, where /proc/PID/cgroup would cost one per process: on a node with
 * 10,000 processes that is the difference between microseconds and 50 ms.
 * The hierarchies come from /proc/self/mountinfo (cgroup v1 controllers and
 * cgroup2 alike; a hybrid node has both), so a hierarchy-relative path such
 * as /corral/job-7 is looked up under every mount that has it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epilogue.h"
#include "parse.h"

void pidset_done(PidSet *s) {
        free(s->pids);
        *s = (PidSet){};
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return (x > y) - (x < y);
}

void pidset_seal(PidSet *s) {
        size_t j = 0;
        if (s->n == 0)
                return;
        qsort(s->pids, s->n, sizeof *s->pids, cmp_pid);
        for (size_t i = 1; i < s->n; i++)
                if (s->pids[i] != s->pids[j])
                        s->pids[++j] = s->pids[i];
        s->n = j + 1;
}

bool pidset_contains(const PidSet *s, pid_t pid) {
        return s && s->n > 0 && bsearch(&pid, s->pids, s->n, sizeof *s->pids, cmp_pid) != NULL;
}

static int pidset_add(PidSet *s, pid_t pid) {
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 256;
                pid_t *n = realloc(s->pids, cap * sizeof *n);
                if (!n)
                        return -ENOMEM;
                s->pids = n;
                s->cap = cap;
        }
        s->pids[s->n++] = pid;
        return 0;
}

/* Reads dirfd/cgroup.procs, then recurses into child cgroups. */
static int add_tree(PidSet *s, int cgfd, const char *rel_skip, unsigned depth) {
        int fd;
        DIR *d;

        if (depth > 64)
                return -ELOOP;
        fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                FILE *f = fdopen(fd, "re");
                char line[32];
                if (!f) {
                        (void) close(fd);
                        return -ENOMEM;
                }
                while (fgets(line, sizeof line, f)) {
                        pid_t pid;
                        line[strcspn(line, "\n")] = '\0';
                        if (parse_pid(line, &pid) == 0 && pidset_add(s, pid) < 0) {
                                (void) fclose(f);
                                return -ENOMEM;
                        }
                }
                (void) fclose(f);
        }
        /* cgroupfs (kernfs) counts a directory's subdirectories in its link
         * count: 2 is a leaf, nothing to list (most job cgroups are) */
        struct stat st;
        if (fstat(cgfd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 2)
                return 0;
        fd = openat(cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                int sub;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if (rel_skip && depth == 0 && streq(de->d_name, rel_skip))
                        continue;
                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0)
                        continue;
                int r = add_tree(s, sub, NULL, depth + 1);
                (void) close(sub);
                if (r == -ENOMEM) {
                        (void) closedir(d);
                        return r;
                }
        }
        (void) closedir(d);
        return 0;
}

/* The cgroup mounts, read from /proc/self/mountinfo once per process: every
 * scan of the epilogue looks up two or three cgroup paths, and mountinfo is
 * generated anew for each read. */
typedef struct CgMount {
        char *root, *mnt;
} CgMount;

static CgMount *cg_mounts;
static size_t n_cg_mounts;
static bool cg_mounts_loaded;

static int load_cg_mounts(void) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[4096];

        if (cg_mounts_loaded)
                return 0;
        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof line, f)) {
                /* "36 25 0:31 / /sys/fs/cgroup/memory rw,... - cgroup cgroup rw,memory" */
                char root[1024], mnt[1024], fstype[64];
                const char *dash = strstr(line, " - ");

                if (!dash || sscanf(dash + 3, "%63s", fstype) != 1 ||
                    (!streq(fstype, "cgroup") && !streq(fstype, "cgroup2")))
                        continue;
                if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2)
                        continue;
                CgMount *n = realloc(cg_mounts, (n_cg_mounts + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                cg_mounts = n;
                cg_mounts[n_cg_mounts] = (CgMount){ strdup(root), strdup(mnt) };
                if (!cg_mounts[n_cg_mounts].root || !cg_mounts[n_cg_mounts].mnt) {
                        free(cg_mounts[n_cg_mounts].root);
                        free(cg_mounts[n_cg_mounts].mnt);
                        return -ENOMEM;
                }
                n_cg_mounts++;
        }
        cg_mounts_loaded = true;
        return 0;
}

int pidset_add_cgroup(PidSet *s, const char *path, const char *skip) {
        int found = 0, r;

        r = load_cg_mounts();
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_cg_mounts; i++) {
                const char *root = cg_mounts[i].root, *mnt = cg_mounts[i].mnt;
                _cleanup_free_ char *dir = NULL;
                size_t rl;
                int dfd;

                /* the mount shows the hierarchy from root on */
                rl = streq(root, "/") ? 0 : strlen(root);
                if (rl > 0 && (!strneq(path, root, rl) || (path[rl] != '/' && path[rl] != '\0')))
                        continue;
                if (asprintf(&dir, "%s%s", mnt, path + rl) < 0)
                        return -ENOMEM;
                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                /* skip: a child cgroup of path (the ended job below the
                 * job parent) */
                const char *rel = NULL;
                size_t pl = strlen(path);
                if (skip && strneq(skip, path, pl) && skip[pl] == '/' && !strchr(skip + pl + 1, '/'))
                        rel = skip + pl + 1;
                r = add_tree(s, dfd, rel, 0);
                (void) close(dfd);
                if (r < 0)
                        return r;
                found++;
        }
        return found;
}
