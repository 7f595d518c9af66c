/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.c — step 5a: the policy's rlimits.
 *
 * corral-launch's parent sets them with prlimit() on the waiting child: the
 * child, inside its user namespace, has no CAP_SYS_RESOURCE over the host
 * and could not raise a hard limit the policy allows. A caller that contains
 * itself (contain_setup_self()) sets its own, as the host's root. The
 * credentials (groups, ids, capabilities, no_new_privs) are contain.c's. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "launch.h"
#include "strv.h"

#define fail(err, r, ...) child_error((err), STEP_CREDENTIALS, (r), __VA_ARGS__)

int creds_set_rlimits(pid_t pid, const Policy *p, char ***warnings, ChildError *err) {
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
                                if (prlimit(pid, (enum __rlimit_resource) table[i].resource, &rl, NULL) == 0) {
                                        /* never silently: the result record says so */
                                        char w[256], asked[32] = "unlimited";
                                        if (v != UINT64_MAX)
                                                (void) snprintf(asked, sizeof asked, "%llu", (unsigned long long) v);
                                        (void) snprintf(w, sizeof w,
                                                        "rlimit %s: the policy's %s is above what this node lets "
                                                        "corral grant (its own hard limit, %llu, without "
                                                        "CAP_SYS_RESOURCE): the job got %llu",
                                                        table[i].name, asked, (unsigned long long) own.rlim_max,
                                                        (unsigned long long) own.rlim_max);
                                        if (warnings && strv_extend(warnings, w) < 0)
                                                return fail(err, -ENOMEM, "out of memory");
                                        continue;
                                }
                        }
                }
                return fail(err, negative_errno(), "cannot set rlimit %s: %m", table[i].name);
        }
        return 0;
}
