/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobns.h — one set of namespaces per job on a node (share=job, the
 * default): the first step of a job that slurmstepd prepares makes the
 * step's mount, IPC and UTS namespaces (step.c) and publishes them here;
 * the job's later steps under the same policy join that set, so a batch
 * script and its srun steps see one /tmp, one /dev/shm and one IPC
 * namespace, as Slurm's job_container/tmpfs gives. The job's epilog
 * (slurm_spank_job_epilog) removes the set; the namespaces end with the
 * job's last process.
 *
 *   DIR/               0700 root, a private bind mount of itself: the
 *                      namespace files' mounts never propagate, and a
 *                      step's helper unmounts its copy of DIR (else every
 *                      job's namespaces would stay alive as long as its)
 *   DIR/JOB.lock       flock: one step of the job at a time between
 *                      looking for the set and publishing its own
 *   DIR/JOB/mnt, ipc, uts   bind mounts of the namespace files
 *   DIR/JOB/policy     "NAME PATH" of the policy the set was made for,
 *                      written last (the set is complete once it exists)
 * Only slurmstepd (root) uses it: no logging here, -errno and a malloc'd
 * message naming the path and the cause. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define JOBNS_DIR_DEFAULT "/run/corral/spank"

typedef struct JobNsKey {
        const char *dir;
        uint32_t job;
        const char *policy; /* "NAME PATH": the set is joined only by steps of the same */
} JobNsKey;

/* Creates DIR if needed, makes it a private mount, takes the job's lock
 * (held until *ret_fd is closed). */
int jobns_lock(const JobNsKey *k, int *ret_fd, char **ret_msg);

/* Opens the job's published namespaces: fds[i] for each names[i] that is
 * not NULL ("mnt", "ipc", "uts"), each checked to be a namespace of that
 * kind. -ENOENT: no set published; -ESTALE: the set is another policy's. */
int jobns_open(const JobNsKey *k, const char *const *names, int *fds, size_t n, char **ret_msg);

/* Publishes fds[i] as DIR/JOB/names[i] (names[i] NULL: skipped), then the
 * policy. Call with the lock held. */
int jobns_publish(const JobNsKey *k, const char *const *names, const int *fds, size_t n, char **ret_msg);

/* Unmounts and removes the job's set and its lock file. 0 removed, 1
 * there was none. */
int jobns_remove(const char *dir, uint32_t job, char **ret_msg);
