/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.c — step 5: credentials.
 *
 * rlimits are set by the parent with prlimit() on the waiting child: the
 * child, inside its user namespace, has no CAP_SYS_RESOURCE over the host
 * and could not raise a hard limit the policy allows.
 *
 * In the child, in this order:
 *   1. the bounding set is emptied while CAP_SETPCAP is still held (outside
 *      a user namespace setresuid() would take it away);
 *   2. setgroups() to the user's groups (what initgroups() gives, read by the
 *      parent), setresgid(), setresuid(): real, effective and saved ids;
 *   3. every capability set cleared with libcap-ng: effective, permitted,
 *      inheritable and ambient. Inside a user namespace setresuid() to a
 *      non-root uid clears nothing (uid 0 of the namespace is unmapped, so
 *      the kernel's drop on leaving root never happens): this step is what
 *      actually takes the capabilities away;
 *   4. no_new_privs, so that no setuid or file-capability binary can give
 *      anything back, and a check that all of it holds. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cap-ng.h>

#include "launch.h"

#define fail(err, r, ...) child_error((err), STEP_CREDENTIALS, (r), __VA_ARGS__)

int creds_set_rlimits(pid_t pid, const Policy *p, ChildError *err) {
        static const struct {
                int resource;
                const char *name;
                size_t offset;
        } table[] = {
                { RLIMIT_NOFILE, "nofile", offsetof(Policy, nofile) },
                { RLIMIT_NPROC, "nproc", offsetof(Policy, nproc) },
                { RLIMIT_CORE, "core", offsetof(Policy, core) },
                { RLIMIT_FSIZE, "fsize", offsetof(Policy, fsize) },
                { RLIMIT_STACK, "stack", offsetof(Policy, stack) },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t v = *(const uint64_t *) ((const char *) p + table[i].offset);
                struct rlimit rl;
                rl.rlim_cur = rl.rlim_max = v == UINT64_MAX ? RLIM_INFINITY : (rlim_t) v;
                if (prlimit(pid, (enum __rlimit_resource) table[i].resource, &rl, NULL) == 0)
                        continue;
                if (errno == EPERM) {
                        /* without CAP_SYS_RESOURCE (some containers) a hard
                         * limit cannot be raised: the job gets ours, which
                         * is lower, so tighter than the policy, never looser */
                        struct rlimit own;
                        if (getrlimit((enum __rlimit_resource) table[i].resource, &own) == 0 &&
                            (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > own.rlim_max)) {
                                rl.rlim_cur = rl.rlim_max = own.rlim_max;
                                if (prlimit(pid, (enum __rlimit_resource) table[i].resource, &rl, NULL) == 0)
                                        continue;
                        }
                }
                return fail(err, negative_errno(), "cannot set rlimit %s: %m", table[i].name);
        }
        return 0;
}

int creds_drop(const JobUser *u, ChildError *err) {
        int r;

        /* 1 */
        capng_get_caps_process();
        capng_clear(CAPNG_SELECT_BOUNDS);
        r = capng_apply(CAPNG_SELECT_BOUNDS);
        if (r < 0)
                return fail(err, -EPERM, "cannot empty the capability bounding set (libcap-ng error %d)", r);

        /* 2 */
        if (setgroups((size_t) u->n_groups, u->groups) < 0)
                return fail(err, negative_errno(), "cannot set the supplementary groups of %s: %m", u->name);
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return fail(err, negative_errno(), "cannot set gid %u: %m", (unsigned) u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return fail(err, negative_errno(), "cannot set uid %u: %m", (unsigned) u->uid);

        /* 3 */
        capng_clear(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
        r = capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
        if (r < 0)
                return fail(err, -EPERM, "cannot clear the capabilities (libcap-ng error %d)", r);

        /* 4 */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(err, negative_errno(), "cannot set no_new_privs: %m");

        /* fail closed: check what the kernel now says */
        {
                uid_t ru, eu, su;
                gid_t rg, eg, sg;
                if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != u->uid || eu != u->uid ||
                    su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid)
                        return fail(err, -EPERM, "uid/gid did not change to %u/%u", (unsigned) u->uid,
                                    (unsigned) u->gid);
        }
        capng_clear(CAPNG_SELECT_ALL);
        capng_get_caps_process();
        if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
            capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)
                return fail(err, -EPERM, "capabilities are still held after dropping them");
        /* (ambient is a subset of permitted: empty now) */
        return 0;
}
