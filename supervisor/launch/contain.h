/* SPDX-License-Identifier: GPL-2.0-or-later */
/* contain.h — corral's containment in the phases a caller needs, whoever
 * starts the process: corral-launch (it clones the job) and a caller that
 * cannot clone and must contain the process it runs in (the SPANK plugin,
 * inside slurmstepd's forked task, docs/slurm.md). Each step has one
 * implementation; corral-launch's own sequence (launch.c, init.c) calls the
 * same functions.
 *
 *   phase                          corral-launch               a foreign caller
 *   ---------------------------------------------------------------------------
 *   0 prepare (root, before fork)  launch.c (with caches)      contain_filters_build()
 *   1 privileged set-up            clone3(contain_namespace_   contain_setup_self()
 *                                  flags()), uid/gid maps,     (unshare, mounts,
 *                                  creds_set_rlimits(pid),     hostname, loopback,
 *                                  mounts_setup() in the child rlimits of itself)
 *   2 privileged drop (still root) contain_drop_privileged()   contain_drop_privileged()
 *   3 ids                          contain_become_user()       the host's own
 *                                                              (slurmstepd's setuid)
 *   4 lock-down, last before exec  contain_drop_caps() in      contain_lockdown()
 *                                  init; contain_apply_filters()
 *                                  in the job
 *
 * Every function reports a failure through a ChildError (the step, the
 * errno, a message naming the cause) and returns the negative errno, as the
 * steps in corral-launch's child always have; the caller must not run the
 * job after a failure. Nothing here logs.
 *
 * What the calling process can get from contain_setup_self() (unshare(2)):
 * the mount, IPC, UTS and network namespaces the policy asks for
 * (CONTAIN_SELF_NAMESPACES); *ret_skipped says what the policy asked beyond
 * them, for the caller's messages and documentation.
 *   - No PID namespace: unshare(CLONE_NEWPID) moves only the caller's later
 *     children; the caller itself, which is what execs the job, stays in the
 *     host's PID namespace, and a /proc mounted then would still be the
 *     host's. A caller that wants one must fork after phase 1 and keep a
 *     waiting parent, as corral-launch's init does.
 *   - No user namespace: the set-up here runs as the host's root, which
 *     needs none (corral-launch makes one so that the root of the job's
 *     namespaces is not the host's). One made in the privileged phase would
 *     hold the ids the host sets afterwards: the maps would have to be
 *     written first (through a file opened before unshare), and the host's
 *     setuid() inside it clears no capability (root of that namespace is
 *     not the host's uid 0), so the task would run with a full set there
 *     until phase 4. One made after the host's setuid() needs unprivileged
 *     user namespaces (a sysctl many sites turn off) and cannot map the
 *     supplementary groups (setgroups is denied to an unprivileged writer of
 *     the maps). Without one the mounts belong to the host's root, and the
 *     job, without capabilities and with no_new_privs, cannot undo them.
 * The rlimits are set soft = hard = the policy's: a host that sets limits
 * later as the user (slurmstepd propagates the submitter's soft limits just
 * before exec) can lower them, never raise them. */
#pragma once

#include <sched.h>
#include <stdint.h>

#include "landlock.h"
#include "launch.h"
#include "policy.h"

/* The namespaces unshare(2) can give the calling process. */
#define CONTAIN_SELF_NAMESPACES ((uint64_t) (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET))

/* The CLONE_NEW* flags of the namespaces policy p isolates ([namespaces]):
 * the one place that maps the policy to flags. */
uint64_t contain_namespace_flags(const Policy *p);

/* Phase 0: what the lock-down needs, built before the fork (libseccomp
 * allocates; the lock-down must not). The Landlock plan follows this
 * kernel's ABI: what it lacks is *ret_warning (a static sentence, or NULL)
 * under mode = auto, and an error under mode = required. */
typedef struct ContainFilters {
        LandlockPlan landlock;
        SeccompProgram seccomp; /* prog.filter NULL: the policy has none */
} ContainFilters;

/* The Landlock plan for this kernel; *ret_missing: what it lacks (a static
 * sentence, or NULL). -EOPNOTSUPP when something is missing and the
 * policy's mode is required. */
int contain_landlock_plan(const Policy *p, LandlockPlan *ret, const char **ret_missing);
/* The seccomp program of p, built by libseccomp (no cache; corral-launch
 * keeps one, launch.c); prog.filter NULL when the policy has none. On
 * failure *ret_msg (freed by the caller) says why. */
int contain_seccomp_program(const Policy *p, SeccompProgram *ret, char **ret_msg);

/* Both: on failure *ret_msg (freed by the caller) says why, naming the step
 * in *ret_step (STEP_SECCOMP or STEP_LANDLOCK). */
int contain_filters_build(const Policy *p, ContainFilters *ret, Step *ret_step, char **ret_msg,
                          const char **ret_warning);
void contain_filters_done(ContainFilters *f);

/* Phase 1 for a caller that cannot clone, as root of the host: unshare()
 * the namespaces of contain_namespace_flags(p) & CONTAIN_SELF_NAMESPACES,
 * then mounts_setup() (/ private, read-only paths, /dev/mqueue, private
 * /tmp, /dev/shm and private_dirs, hidden paths, hostname, loopback), then
 * the policy's rlimits on the caller (creds_set_rlimits(0)). Must be called
 * by a single-threaded process. u is the job's user (the owner of the hidden
 * paths' scratch file). *ret_ns: the namespaces made; *ret_skipped: those
 * the policy asks that this phase cannot make (see above). The fsuid is the
 * caller's again on return. */
int contain_setup_self(const Policy *p, const JobUser *u, uint64_t *ret_ns, uint64_t *ret_skipped, ChildError *err);

/* Phase 2, while the caller still holds CAP_SETPCAP (root of the host, or
 * of the job's user namespace): the bounding set emptied, the inheritable
 * and ambient sets cleared. Effective and permitted stay: the caller (or
 * its host) still has ids to set; a later change to a non-root uid, or
 * contain_drop_caps(), clears them. */
int contain_drop_privileged(ChildError *err);

/* Phase 3 for corral-launch (a host such as slurmstepd sets the ids
 * itself): the supplementary groups, then real, effective and saved gid and
 * uid set to the user's, and checked. */
int contain_become_user(const JobUser *u, ChildError *err);

/* Phase 4a, as the user: every capability set cleared (effective, permitted,
 * inheritable, ambient; inside a user namespace setresuid() clears
 * nothing), no_new_privs set, then checked: no capability left, the
 * bounding set empty (contain_drop_privileged() must have run). */
int contain_drop_caps(ChildError *err);

/* Phase 4b, the last thing before exec, with no_new_privs set: the Landlock
 * domain (its paths are resolved now, in the caller's mount namespace), then
 * the seccomp filter. Either may be absent (plan inactive, no program). */
int contain_apply_filters(const Policy *p, const LandlockPlan *landlock, const SeccompProgram *seccomp,
                          ChildError *err);

/* Phase 4 for a caller that execs right after: contain_drop_caps() then
 * contain_apply_filters(). */
int contain_lockdown(const Policy *p, const ContainFilters *f, ChildError *err);
