/* SPDX-License-Identifier: GPL-2.0-or-later */
/* user.c — step 1: who the job runs as. The user must exist, must not be
 * root (uid 0 or primary gid 0), must have a uid >= the policy's min_uid,
 * must not be in deny_users and, when allow_users or allow_groups is set,
 * must be listed or be a member of a listed group. The supplementary groups
 * (what initgroups() would set) are read here, in the parent, while NSS is
 * the host's: the child only applies them. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "strv.h"

void user_done(JobUser *u) {
        free(u->name);
        free(u->home);
        free(u->shell);
        *u = (JobUser){};
}

static bool in_allowed_group(const JobUser *u, char *const *allow_groups) {
        for (int i = 0; i < u->n_groups; i++) {
                struct group *g = getgrgid(u->groups[i]);
                if (g && strv_contains(allow_groups, g->gr_name))
                        return true;
        }
        return false;
}

int user_resolve(const char *name, const Policy *p, JobUser *ret, char **ret_msg) {
        JobUser u = {};
        struct passwd *pw;
        int n = LAUNCH_MAX_GROUPS;

        errno = 0;
        pw = getpwnam(name);
        if (!pw) {
                if (errno != 0 && errno != ENOENT && errno != ESRCH)
                        return asprintf(ret_msg, "cannot look up user '%s': %s", name, strerror(errno)) < 0 ? -ENOMEM
                                                                                                            : -errno;
                return asprintf(ret_msg, "no such user '%s'", name) < 0 ? -ENOMEM : -ESRCH;
        }
        if (pw->pw_uid == 0 || pw->pw_gid == 0)
                return asprintf(ret_msg, "user '%s' is root (uid %u, gid %u): jobs never run as root", name,
                                (unsigned) pw->pw_uid, (unsigned) pw->pw_gid) < 0
                               ? -ENOMEM
                               : -EPERM;
        if (pw->pw_uid < p->min_uid)
                return asprintf(ret_msg, "user '%s': uid %u is below the policy's min_uid %llu", name,
                                (unsigned) pw->pw_uid, (unsigned long long) p->min_uid) < 0
                               ? -ENOMEM
                               : -EPERM;
        if (strv_contains(p->deny_users, name))
                return asprintf(ret_msg, "user '%s' is in the policy's deny_users", name) < 0 ? -ENOMEM : -EPERM;

        u.uid = pw->pw_uid;
        u.gid = pw->pw_gid;
        u.name = strdup(pw->pw_name);
        u.home = strdup(pw->pw_dir ? pw->pw_dir : "/");
        u.shell = strdup(pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
        if (!u.name || !u.home || !u.shell) {
                user_done(&u);
                return -ENOMEM;
        }
        if (getgrouplist(u.name, u.gid, u.groups, &n) < 0) {
                int r = asprintf(ret_msg, "user '%s' is in more than %d groups", name, LAUNCH_MAX_GROUPS);
                user_done(&u);
                return r < 0 ? -ENOMEM : -E2BIG;
        }
        u.n_groups = n;

        if ((strv_length(p->allow_users) > 0 || strv_length(p->allow_groups) > 0) &&
            !strv_contains(p->allow_users, name) && !in_allowed_group(&u, p->allow_groups)) {
                int r = asprintf(ret_msg, "user '%s' is not in the policy's allow_users or allow_groups", name);
                user_done(&u);
                return r < 0 ? -ENOMEM : -EPERM;
        }
        *ret = u;
        return 0;
}
