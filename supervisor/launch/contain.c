/* SPDX-License-Identifier: GPL-2.0-or-later */
/* contain.c — the phases of the containment (contain.h): namespaces from the
 * policy, the privileged set-up of the calling process, the privileged drop,
 * the ids, and the lock-down before exec. corral-launch's clone (userns.c),
 * its init (init.c) and its job's last steps call these too.
 *
 * Credentials, in this order (corral-launch's init runs all of it):
 *   1. the bounding set is emptied while CAP_SETPCAP is still held (outside
 *      a user namespace setresuid() would take it away); inheritable and
 *      ambient cleared;
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
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cap-ng.h>

#include "contain.h"

uint64_t contain_namespace_flags(const Policy *p) {
        uint64_t f = 0;
        if (p->ns_user == NS_ISOLATED)
                f |= CLONE_NEWUSER;
        if (p->ns_pid == NS_ISOLATED)
                f |= CLONE_NEWPID;
        if (p->ns_mount == NS_ISOLATED)
                f |= CLONE_NEWNS;
        if (p->ns_ipc == NS_ISOLATED)
                f |= CLONE_NEWIPC;
        if (p->ns_uts == NS_ISOLATED)
                f |= CLONE_NEWUTS;
        if (p->ns_net == NS_ISOLATED)
                f |= CLONE_NEWNET;
        return f;
}

/* ---- phase 0 ---- */

int contain_landlock_plan(const Policy *p, LandlockPlan *ret, const char **ret_missing) {
        landlock_plan(p, p->landlock_mode == LANDLOCK_MODE_OFF ? 0 : landlock_abi(), ret);
        *ret_missing = landlock_missing_text(ret);
        if (*ret_missing && p->landlock_mode == LANDLOCK_MODE_REQUIRED)
                return -EOPNOTSUPP;
        return 0;
}

int contain_seccomp_program(const Policy *p, SeccompProgram *ret, char **ret_msg) {
        _cleanup_free_ char *msg = NULL;
        scmp_filter_ctx ctx = NULL;
        int r;

        *ret = (SeccompProgram){};
        *ret_msg = NULL;
        if (p->seccomp_mode == SECCOMP_MODE_OFF)
                return 0;
        r = seccomp_build(p, &ctx, &msg);
        if (r < 0) {
                *ret_msg = msg ? TAKE_PTR(msg) : strdup("cannot build the seccomp filter");
                return r;
        }
        r = seccomp_export(p, ctx, ret);
        seccomp_release(ctx);
        if (r < 0) {
                errno = -r;
                if (asprintf(ret_msg, "cannot generate the seccomp program: %m") < 0)
                        *ret_msg = NULL;
        }
        return r;
}

int contain_filters_build(const Policy *p, ContainFilters *ret, Step *ret_step, char **ret_msg,
                          const char **ret_warning) {
        const char *missing;
        int r;

        *ret = (ContainFilters){};
        *ret_msg = NULL;
        *ret_warning = NULL;

        r = contain_landlock_plan(p, &ret->landlock, &missing);
        if (r < 0) {
                *ret_step = STEP_LANDLOCK;
                if (asprintf(ret_msg, "%s, and the policy's [landlock] mode is required", missing) < 0)
                        *ret_msg = NULL;
                return r;
        }
        *ret_warning = missing;

        r = contain_seccomp_program(p, &ret->seccomp, ret_msg);
        if (r < 0)
                *ret_step = STEP_SECCOMP;
        return r;
}

void contain_filters_done(ContainFilters *f) {
        free(f->seccomp.prog.filter);
        f->seccomp.prog.filter = NULL;
}

/* ---- phase 1 ---- */

int contain_setup_self(const Policy *p, const JobUser *u, uint64_t *ret_ns, uint64_t *ret_skipped, ChildError *err) {
        uint64_t want = contain_namespace_flags(p), ns = want & CONTAIN_SELF_NAMESPACES;
        uid_t fsuid;
        gid_t fsgid;
        int r;

        *ret_ns = 0;
        *ret_skipped = want & ~CONTAIN_SELF_NAMESPACES;
        if (ns != 0 && unshare((int) ns) < 0)
                return child_error(err, STEP_NAMESPACES, negative_errno(), "cannot create the job's namespaces: %m");
        *ret_ns = ns;

        /* mounts_setup() creates the hidden paths' file as the user (for
         * corral-launch, whose root has no mapping in the job's user
         * namespace); here the caller's fsuid comes back afterwards (a
         * query: the ids do not change) */
        fsuid = (uid_t) setfsuid((uid_t) -1);
        fsgid = (gid_t) setfsgid((gid_t) -1);
        r = mounts_setup(p, ns, u, NULL, NULL, err);
        (void) setfsgid(fsgid);
        (void) setfsuid(fsuid);
        if (r < 0)
                return r;

        return creds_set_rlimits(0, p, NULL, err);
}

/* ---- phases 2 to 4 ---- */

#define fail(err, r, ...) child_error((err), STEP_CREDENTIALS, (r), __VA_ARGS__)

int contain_drop_privileged(ChildError *err) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
        int r;

        if (capng_get_caps_process() < 0)
                return fail(err, -EPERM, "cannot read this process's capabilities");
        capng_clear(CAPNG_SELECT_BOUNDS);
        r = capng_apply(CAPNG_SELECT_BOUNDS);
        if (r < 0)
                return fail(err, -EPERM, "cannot empty the capability bounding set (libcap-ng error %d)", r);

        /* what an exec could carry over: never anything of ours */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return fail(err, negative_errno(), "cannot clear the ambient capabilities: %m");
        if (syscall(SYS_capget, &h, d) < 0)
                return fail(err, negative_errno(), "cannot read the capabilities: %m");
        for (size_t i = 0; i < ELEMENTSOF(d); i++)
                d[i].inheritable = 0;
        if (syscall(SYS_capset, &h, d) < 0)
                return fail(err, negative_errno(), "cannot clear the inheritable capabilities: %m");
        return 0;
}

int contain_become_user(const JobUser *u, ChildError *err) {
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        if (setgroups((size_t) u->n_groups, u->groups) < 0)
                return fail(err, negative_errno(), "cannot set the supplementary groups of %s: %m", u->name);
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return fail(err, negative_errno(), "cannot set gid %u: %m", (unsigned) u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return fail(err, negative_errno(), "cannot set uid %u: %m", (unsigned) u->uid);

        /* fail closed: check what the kernel now says */
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != u->uid || eu != u->uid ||
            su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid)
                return fail(err, -EPERM, "uid/gid did not change to %u/%u", (unsigned) u->uid, (unsigned) u->gid);
        return 0;
}

int contain_drop_caps(ChildError *err) {
        int r;

        if (capng_get_caps_process() < 0)
                return fail(err, -EPERM, "cannot read this process's capabilities");
        capng_clear(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
        r = capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
        if (r < 0)
                return fail(err, -EPERM, "cannot clear the capabilities (libcap-ng error %d)", r);

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(err, negative_errno(), "cannot set no_new_privs: %m");

        /* fail closed: check what the kernel now says */
        capng_clear(CAPNG_SELECT_ALL);
        /* (a failed read would leave the cleared state: "none") */
        if (capng_get_caps_process() < 0)
                return fail(err, -EPERM, "cannot read this process's capabilities to check them");
        if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
            capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)
                return fail(err, -EPERM, "capabilities are still held after dropping them");
        /* (ambient is a subset of permitted: empty now) */
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
                return fail(err, -EPERM, "no_new_privs is not set after setting it");
        return 0;
}

int contain_apply_filters(const Policy *p, const LandlockPlan *landlock, const SeccompProgram *seccomp,
                          ChildError *err) {
        int r;

        /* Landlock in the job's mount namespace and as the user (its rules
         * name the paths the job sees) */
        if (landlock && landlock_plan_active(landlock)) {
                const char *where = NULL;
                r = landlock_apply(p, landlock, &where);
                if (r < 0)
                        return child_error(err, STEP_LANDLOCK, r, "cannot apply Landlock (%s): %m",
                                           where ? where : "?");
        }

        /* seccomp, last before exec */
        if (seccomp && seccomp->prog.filter) {
                r = seccomp_install(seccomp);
                if (r < 0)
                        return child_error(err, STEP_SECCOMP, r, "cannot load the seccomp filter: %m");
        }
        return 0;
}

int contain_lockdown(const Policy *p, const ContainFilters *f, ChildError *err) {
        int r = contain_drop_caps(err);
        if (r < 0)
                return r;
        return contain_apply_filters(p, &f->landlock, &f->seccomp, err);
}
