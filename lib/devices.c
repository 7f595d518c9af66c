/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices.c — the list of devices a job may use (devices.h). */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "devices.h"
#include "macro.h"

#define DEV_WALK_DEPTH 8

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static const struct {
        const char *path;
        uint32_t major, minor;
} basic_nodes[] = {
        { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
        { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static bool have_path(const DevList *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].path && streq(l->v[i].path, path))
                        return true;
        return false;
}

static int add(DevList *l, const char *path, char type, uint32_t major, uint32_t minor, bool basic,
               const char *systemd) {
        if (path && have_path(l, path))
                return 0;
        DevNode *v = realloc(l->v, (l->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        l->v = v;
        v[l->n] = (DevNode){ .type = type, .major = major, .minor = minor, .basic = basic, .systemd = systemd };
        if (path && !(v[l->n].path = strdup(path)))
                return -ENOMEM;
        l->n++;
        return 0;
}

/* host path (below root) -> the job's "/dev/..." path */
static int add_node(DevList *l, const char *root, const char *host_path, const struct stat *st) {
        char job[PATH_MAX];
        size_t rl = strlen(root);

        if (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode))
                return 0;
        if (strncmp(host_path, root, rl) != 0 || (host_path[rl] != '/' && host_path[rl] != '\0'))
                return 0;
        if (snprintf(job, sizeof job, "/dev%s", host_path + rl) >= (int) sizeof job)
                return 0;
        return add(l, job, S_ISCHR(st->st_mode) ? 'c' : 'b', major(st->st_rdev), minor(st->st_rdev), false, NULL);
}

static int walk(DevList *l, const char *root, const char *dir, unsigned depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        if (depth > DEV_WALK_DEPTH || !(d = opendir(dir)))
                return 0;
        while ((de = readdir(d))) {
                char p[PATH_MAX];
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int) sizeof p)
                        continue;
                /* inside a directory, symlinks are not followed (by-path links) */
                if (lstat(p, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        r = walk(l, root, p, depth + 1);
                else
                        r = add_node(l, root, p, &st);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_match(DevList *l, const char *root, const char *match) {
        struct stat st;
        char real[PATH_MAX], rroot[PATH_MAX];

        if (lstat(match, &st) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return walk(l, root, match, 1);
        if (S_ISLNK(st.st_mode)) {
                /* a link named in the policy: to a device node below root only;
                 * the job's /dev has the node at the link's path */
                if (!realpath(match, real) || !realpath(root, rroot) || stat(real, &st) < 0)
                        return 0;
                size_t rl = strlen(rroot);
                if (strncmp(real, rroot, rl) != 0 || real[rl] != '/')
                        return 0;
        }
        return add_node(l, root, match, &st);
}

int devlist_for_policy(const Policy *p, const char *dev_root, DevList *ret) {
        DevList l = {};
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(basic_nodes) && r >= 0; i++)
                r = add(&l, basic_nodes[i].path, 'c', basic_nodes[i].major, basic_nodes[i].minor, false, NULL);
        /* made by corral-launch: ptmx of the job's own devpts, its slaves
         * (Unix98 pty slaves: majors 136-143) */
        if (r >= 0)
                r = add(&l, "/dev/ptmx", 'c', 5, 2, true, NULL);
        for (uint32_t m = 136; m <= 143 && r >= 0; m++)
                r = add(&l, m == 136 ? "/dev/pts" : NULL, 'c', m, DEV_ANY_MINOR, true, "char-pts");
        for (char **d = p ? p->devices : NULL; d && *d && r >= 0; d++) {
                char pattern[PATH_MAX];
                glob_t g = {};

                /* "/dev/x" -> dev_root "/x" */
                if (snprintf(pattern, sizeof pattern, "%s%s", dev_root, *d + 4) >= (int) sizeof pattern)
                        continue;
                int gr = glob(pattern, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g);
                if (gr == GLOB_NOSPACE)
                        r = -ENOMEM;
                for (size_t i = 0; gr == 0 && i < g.gl_pathc && r >= 0; i++)
                        r = add_match(&l, dev_root, g.gl_pathv[i]);
                globfree(&g);
        }
        if (r < 0) {
                devlist_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void devlist_done(DevList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        *l = (DevList){};
}
