/* SPDX-License-Identifier: GPL-2.0-or-later */
/* step.h — the containment of one Slurm step: contain.h's phases as
 * slurmstepd runs them (docs/slurm.md §2 and §3), apart from the plugin's
 * Slurm-facing part (spank_corral.c): <slurm/slurm.h> and launch.h cannot be
 * included together (both define JOB_FAILED, JOB_TIMEOUT, JOB_CANCELLED).
 *
 *   spank_step_prepare   slurmstepd, root, once per step (init_post_opt):
 *                        the seccomp program and Landlock plan (phase 0);
 *                        the step's mount, IPC and UTS namespaces made by a
 *                        helper process (phase 1), kept as fds
 *   spank_step_join      each task, root (task_init_privileged): setns()
 *                        into them, rlimits, bounding/inheritable/ambient
 *                        capabilities dropped (phase 2)
 *   spank_step_lockdown  each task, the job's user (task_init, last before
 *                        exec): capabilities, no_new_privs, Landlock,
 *                        seccomp (phase 4)
 * Messages are malloc'd sentences naming the cause; nothing here logs. */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobns.h"
#include "policy.h"

/* The namespaces a step gets under Slurm: the user and PID namespaces
 * cannot be made for a process that slurmstepd forks and then setuid()s
 * (contain.h), and the network stays the host's, since the tasks must reach
 * slurmctld and slurmd (srun and sbatch inside a job, PMI). */
#define SPANK_NAMESPACES ((uint64_t) (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS))

typedef struct SpankStep SpankStep;

typedef enum JobShared {
        JOB_SHARED_NO, /* the step's own namespaces (share=step, or none asked) */
        JOB_SHARED_MADE, /* made by this step and published for the job's next steps */
        JOB_SHARED_JOINED, /* an earlier step's of the same job and policy */
        JOB_SHARED_OTHER_POLICY, /* the job's set is another policy's: the step's own */
} JobShared;

/* p must outlive the step. uid/gid: the job's (the owner of the hidden
 * paths' scratch file). share: the job's published namespaces to join or
 * publish (jobns.h), NULL for the step's own. *ret_warning: what this
 * kernel lacks for the policy's Landlock under mode = auto (static text, or
 * NULL). On failure -errno and *ret_msg. */
int spank_step_prepare(const Policy *p, uid_t uid, gid_t gid, const JobNsKey *share, SpankStep **ret, char **ret_msg,
                       const char **ret_warning);
JobShared spank_step_shared(const SpankStep *s);
/* The namespaces made for the step; those the policy asks that are not
 * applied under Slurm. */
uint64_t spank_step_namespaces(const SpankStep *s);
uint64_t spank_step_skipped(const SpankStep *s);
bool spank_step_landlock(const SpankStep *s);

/* In the task, as root; closes the task's copies of the fds. A limit of
 * the policy that could not be granted as asked (the caller's own hard
 * limit is lower and cannot be raised) is set to that hard limit and
 * described in *ret_warnings (a strv, the caller frees it; never silent). */
int spank_step_join(SpankStep *s, char ***ret_warnings, char **ret_msg);
/* In the task, as the user, right before exec. */
int spank_step_lockdown(const SpankStep *s, char **ret_msg);

/* Closes the fds and frees (NULL is fine). */
void spank_step_free(SpankStep *s);

/* "mount, IPC" for the CLONE_NEW* flags in ns ("none" for 0). */
void spank_ns_names(uint64_t ns, char *buf, size_t size);
