/* SPDX-License-Identifier: GPL-2.0-or-later */
/* user.c — step 1: who the job runs as. The user must exist and pass the
 * policy's [users] rule (policy_user_allowed() in lib/policy.c, the rule
 * corrald also checks at submit: not root, uid >= min_uid, not denied,
 * allowed by name or group when allow_users or allow_groups is set). The
 * supplementary groups (what initgroups() would set) are read here, in the
 * parent, while NSS is the host's: the child only applies them. */
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

int user_resolve(const char *name, const Policy *p, JobUser *ret, char **ret_msg) {
        _cleanup_strv_free_ char **group_names = NULL;
        JobUser u = {};
        struct passwd *pw;
        int n = LAUNCH_MAX_GROUPS, r;

        errno = 0;
        pw = getpwnam(name);
        if (!pw) {
                if (errno != 0 && errno != ENOENT && errno != ESRCH)
                        return asprintf(ret_msg, "cannot look up user '%s': %s", name, strerror(errno)) < 0 ? -ENOMEM
                                                                                                            : -errno;
                return asprintf(ret_msg, "no such user '%s'", name) < 0 ? -ENOMEM : -ESRCH;
        }

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
                r = asprintf(ret_msg, "user '%s' is in more than %d groups", name, LAUNCH_MAX_GROUPS);
                user_done(&u);
                return r < 0 ? -ENOMEM : -E2BIG;
        }
        u.n_groups = n;

        /* the policy's [users] rule, the same corrald checks at submit */
        if (policy_user_needs_groups(p)) {
                r = policy_group_names(u.groups, (size_t) u.n_groups, &group_names);
                if (r < 0) {
                        user_done(&u);
                        return r;
                }
        }
        r = policy_user_allowed(p, u.uid, u.gid, u.name, group_names, ret_msg);
        if (r < 0) {
                user_done(&u);
                return r;
        }
        *ret = u;
        return 0;
}
