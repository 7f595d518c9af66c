/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup-delegate.c — corrald's jobs inside its own delegated subtree.
 *
 * When corrald runs as a systemd service with Delegate=yes, the subtree below
 * the service's cgroup is corrald's to write (systemd's single-writer rule
 * leaves it alone), the slice's limits apply to everything in it and
 * `systemctl status corrald` shows it. Making each job's cgroup there with
 * cgroupfs is cheaper than a transient scope per job:
 *
 *   <unit>/supervisor   corrald's own processes (root helper, core, launchers)
 *   <unit>/jobs/job-ID  one cgroup per job (cgroup-fs.c, as elsewhere)
 *
 * 1. detect (cgroup_delegation_detect()): systemd is PID 1 (sd_booted()); the
 *    cgroup of this process in systemd's hierarchy (the "0::" line of
 *    /proc/self/cgroup, or "name=systemd" on a pure v1 systemd) is a
 *    "*.service"; systemd marked it delegated (the "trusted.delegate" extended
 *    attribute, which systemd sets on the cgroup of every Delegate=yes unit).
 *    On cgroup v2 with controllers, only when systemd started us in the leaf
 *    itself (DelegateSubgroup=supervisor, systemd 254): systemd 252 starts
 *    every main process in the unit's own cgroup, which the kernel refuses
 *    once it enables controllers for children, so after a stop that leaves
 *    jobs running the next start would fail with 219/CGROUP (measured in the
 *    QEMU guest, systemd 252). There corrald keeps cgroup_backend's choice.
 * 2. enter (cgroup_delegation_enter()): on the cgroup2 hierarchy every
 *    process in <unit> moves to the leaf <unit>/supervisor (the kernel's
 *    no-internal-process rule: a cgroup with processes cannot enable
 *    controllers for its children), then <unit> and <unit>/jobs enable the
 *    controllers the unit got (+memory +pids +cpu ...). On v1 there is no such
 *    rule; the job cgroups are made at the same path in each hierarchy
 *    (systemd keeps one path per unit in every controller it manages; those
 *    it does not manage, such as the freezer, get the path made by
 *    cgroup-fs.c), so one path names a job everywhere.
 * 3. set (cgroup_delegation_set()): process-wide, inherited by forked
 *    children (corrald's helper forks the launchers without exec): the
 *    cgroupfs backend makes and opens job cgroups below "<unit>/jobs"
 *    whatever parent its caller passes (cgroup.c). */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "parse.h"

static char *delegation_parent;

int cgroup_delegation_set(const char *jobs_parent) {
        char *p = NULL;

        if (jobs_parent) {
                if (!cgjob_parent_valid(jobs_parent))
                        return -EINVAL;
                p = strdup(jobs_parent);
                if (!p)
                        return -ENOMEM;
        }
        free(delegation_parent);
        delegation_parent = p;
        return 0;
}

const char *cgroup_delegation_parent(void) {
        return delegation_parent;
}

int cgroup_unit_path_from_proc(const char *text, char **ret) {
        const char *v2 = NULL, *v1 = NULL;
        size_t v2l = 0, v1l = 0;

        /* "0::/a.slice/b.service" (cgroup2: pure v2 or hybrid) first, else
         * "N:name=systemd:/a.slice/b.service" */
        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n'), *c1, *c2;
                size_t n = end ? (size_t) (end - line) : strlen(line);

                c1 = memchr(line, ':', n);
                c2 = c1 ? memchr(c1 + 1, ':', (size_t) (line + n - c1 - 1)) : NULL;
                if (c2) {
                        if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
                                v2 = c2 + 1;
                                v2l = (size_t) (line + n - v2);
                        } else if ((size_t) (c2 - c1 - 1) == strlen("name=systemd") &&
                                   strneq(c1 + 1, "name=systemd", c2 - c1 - 1)) {
                                v1 = c2 + 1;
                                v1l = (size_t) (line + n - v1);
                        }
                }
                line = end ? end + 1 : NULL;
        }
        if (!v2 && !v1)
                return -ENOENT;
        *ret = v2 ? strndup(v2, v2l) : strndup(v1, v1l);
        return *ret ? 0 : -ENOMEM;
}

int cgroup_delegation_jobs_parent(const char *unit_path, char **ret) {
        size_t n = strlen(unit_path);
        const char *last = strrchr(unit_path, '/');
        char *p;

        /* "/corral.slice/corrald.service" -> "corral.slice/corrald.service/jobs" */
        if (unit_path[0] != '/' || !last || n < strlen("/x.service") || !streq(unit_path + n - 8, ".service") ||
            last[1] == '.')
                return -EINVAL;
        if (asprintf(&p, "%s/jobs", unit_path + 1) < 0)
                return -ENOMEM;
        if (!cgjob_parent_valid(p)) {
                free(p);
                return -EINVAL;
        }
        *ret = p;
        return 0;
}

/* The mount point of the cgroup2 hierarchy (pure v2: /sys/fs/cgroup;
 * hybrid: /sys/fs/cgroup/unified), from /proc/self/mountinfo; -ENOENT. */
static int cgroup2_mount(char **ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];

        if (!f)
                return negative_errno();
        while (fgets(line, sizeof line, f)) {
                char *sep = strstr(line, " - "), *save = NULL, *mp;
                if (!sep || !strneq(sep + 3, "cgroup2 ", 8))
                        continue;
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
                if (!strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) || !strtok_r(NULL, " ", &save) ||
                    !strtok_r(NULL, " ", &save) || !(mp = strtok_r(NULL, " ", &save)))
                        continue;
                *ret = strdup(mp);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

/* The directory of our unit's cgroup in systemd's own hierarchy. */
static int unit_dir(const char *unit_path, char **ret) {
        _cleanup_free_ char *mnt = NULL;
        int r = cgroup2_mount(&mnt);

        if (r == -ENOENT) {
                /* a pure v1 systemd: its name=systemd hierarchy */
                if (asprintf(ret, "/sys/fs/cgroup/systemd%s", unit_path) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (r < 0)
                return r;
        return asprintf(ret, "%s%s", mnt, unit_path) < 0 ? -ENOMEM : 0;
}

/* The controllers job cgroups use (cgroup-fs.c: limits and usage) plus io,
 * enabled in dir's cgroup.subtree_control where the unit has them. */
static const char *const wanted[] = { "cpu", "io", "memory", "pids" };

static bool word_in(const char *list, const char *word) {
        size_t l = strlen(word);
        for (const char *p = list; (p = strstr(p, word)); p += l)
                if ((p == list || p[-1] == ' ') && (p[l] == '\0' || p[l] == ' ' || p[l] == '\n'))
                        return true;
        return false;
}

int cgroup_delegation_detect(char **ret_unit_path) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        char text[4096], x[8];
        bool on = false, subgroup = false;
        size_t n;
        ssize_t k;
        int r;

        if (sd_booted() <= 0)
                return -ENOMEDIUM;
        r = cgroup_fs_read_file("/proc/self", "cgroup", text, sizeof text);
        if (r < 0)
                return r;
        r = cgroup_unit_path_from_proc(text, &path);
        if (r < 0)
                return r;
        n = strlen(path);
        /* systemd 254's DelegateSubgroup=supervisor starts us in the leaf */
        if (n > 11 && streq(path + n - 11, "/supervisor")) {
                path[n - 11] = '\0';
                n -= 11;
                subgroup = true;
        }
        if (n < 9 || !streq(path + n - 8, ".service"))
                return -ENOMEDIUM; /* not a service: a login session, a scope, the root */
        r = unit_dir(path, &dir);
        if (r < 0)
                return r;
        /* systemd marks every Delegate=yes unit's cgroup (root-only
         * "trusted."; "user." from systemd 254 on) */
        k = getxattr(dir, "trusted.delegate", x, sizeof x - 1);
        if (k < 0)
                k = getxattr(dir, "user.delegate", x, sizeof x - 1);
        if (k <= 0)
                return -EPERM; /* a service without Delegate=yes */
        x[k] = '\0';
        if (parse_boolean(x, &on) < 0 || !on)
                return -EPERM;
        /* On cgroup v2 with controllers, the unit's cgroup would enable them
         * for its children, and systemd (before 254's DelegateSubgroup=)
         * starts the next main process in that very cgroup, which the kernel
         * then refuses (no internal processes: 219/CGROUP): a restart with
         * running jobs would fail. Only when systemd itself started us in a
         * subgroup is the subtree safe there. */
        if (!subgroup && cgroup_fs_read_file(dir, "cgroup.controllers", text, sizeof text) >= 0)
                for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
                        if (word_in(text, wanted[i]))
                                return -EBUSY;
        *ret_unit_path = TAKE_PTR(path);
        return 0;
}

/* Moves every process of dir's cgroup.procs into dir/supervisor. */
static int move_procs(const char *dir, const char *leaf) {
        _cleanup_free_ char *procs = NULL;
        int r = 0;

        if (asprintf(&procs, "%s/cgroup.procs", dir) < 0)
                return -ENOMEM;
        /* a process forked meanwhile appears in the next round */
        for (int round = 0; round < 100; round++) {
                _cleanup_fclose_ FILE *f = fopen(procs, "re");
                char line[32];
                int moved = 0;

                if (!f)
                        return negative_errno();
                while (fgets(line, sizeof line, f)) {
                        line[strcspn(line, "\n")] = '\0';
                        r = cgroup_fs_write_file(leaf, "cgroup.procs", line);
                        if (r < 0 && r != -ESRCH)
                                return r;
                        moved++;
                }
                if (moved == 0)
                        return 0;
        }
        return -EBUSY;
}

static int enable_controllers(const char *dir, const char *controllers) {
        char enabled[512];
        int r;

        r = cgroup_fs_read_file(dir, "cgroup.subtree_control", enabled, sizeof enabled);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
                char word[16];
                if (!word_in(controllers, wanted[i]) || word_in(enabled, wanted[i]))
                        continue;
                (void) snprintf(word, sizeof word, "+%s", wanted[i]);
                r = cgroup_fs_write_file(dir, "cgroup.subtree_control", word);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_delegation_enter(const char *unit_path, char **ret_where) {
        _cleanup_free_ char *dir = NULL, *leaf = NULL, *jobs = NULL;
        char controllers[512];
        int r;

        r = unit_dir(unit_path, &dir);
        if (r < 0)
                return r;
        if (asprintf(&leaf, "%s/supervisor", dir) < 0 || asprintf(&jobs, "%s/jobs", dir) < 0)
                return -ENOMEM;
        if (ret_where) {
                free(*ret_where);
                *ret_where = strdup(leaf);
        }
        if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        r = cgroup_fs_read_file(dir, "cgroup.controllers", controllers, sizeof controllers);
        if (r == -ENOENT) { /* pure v1: the name=systemd hierarchy has no rule to obey */
                if (ret_where) {
                        free(*ret_where);
                        *ret_where = NULL;
                }
                return 0;
        }
        if (r < 0)
                return r;
        r = move_procs(dir, leaf);
        if (r < 0)
                return r;
        if (ret_where) {
                free(*ret_where);
                *ret_where = strdup(dir);
        }
        r = enable_controllers(dir, controllers);
        if (r < 0)
                return r;
        if (ret_where) {
                free(*ret_where);
                *ret_where = strdup(jobs);
        }
        if (mkdir(jobs, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        r = enable_controllers(jobs, controllers);
        if (r < 0)
                return r;
        if (ret_where) {
                free(*ret_where);
                *ret_where = NULL;
        }
        return 0;
}
