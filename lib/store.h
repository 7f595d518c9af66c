/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store.h — corrald's durable queue: one SQLite file in WAL mode; a
 * submission commits with synchronous=FULL, so it is on disk when
 * store_submit() returns and it is acknowledged only then. Versioned schema (meta.schema_version);
 * jobs, and the audit log of every API request.
 *
 * State changes are compare-and-set (store_transition): a job moves only
 * from the state the caller saw, which keeps the dispatcher, cancel and crash
 * recovery from racing each other. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"
#include "macro.h"

#define STORE_SCHEMA_VERSION 1

typedef struct Store Store;

typedef struct Job {
        int64_t id;
        uid_t uid;
        gid_t gid;
        char *user;
        JobState state;
        char *policy;
        char **argv;
        char **env; /* K=V */
        char *cwd;
        uint64_t walltime; /* usec */
        char *stdout_path, *stderr_path;
        char output_id[JOB_OUTPUT_ID_LEN + 1];
        uint64_t submit_time, start_time, end_time; /* usec since the epoch; 0: not yet */
        int exit_code, exit_signal; /* -1: none */
        pid_t launcher_pid; /* 0: none */
        uint64_t launcher_start; /* start time in clock ticks since boot */
        char *cgroup;
        char *result; /* corral-launch's JSON result record */
        char *epilogue; /* corral-epilogue's JSON summary */
        char *reason; /* why it ended as it did, for people */
        bool cancel_requested;
        pid_t submit_sid; /* session the job was submitted from (spared by its epilogue) */
        char *name; /* -J/--name; NULL: none */
        /* resources (resources.h ResAsk): what the job gets and the dispatcher
         * counts; 0: the policy's, not counted */
        uint64_t mem; /* bytes */
        uint64_t cpus; /* millicpus, all its tasks */
        uint64_t tasks; /* task slots, >= 1 */
        /* job arrays (array.h); array_job_id 0: not an element. At submit,
         * STORE_ARRAY_NEW: an element of a new array whose id is the first
         * such element's in this store_submit() */
        int64_t array_job_id;
        uint64_t array_task_id;
        uint64_t array_throttle; /* at most this many of the array hold a slot at once; 0: no limit */
        uint64_t array_count, array_min, array_max; /* the array's task count, smallest and largest task id */
        /* dependencies and --begin (depend.h): the canonical text (NULL:
         * none), the time it may start (usec; 0: any), and what it still
         * waits for (STORE_BLOCKED_*; written by store_submit and
         * store_set_blocked, cleared by store_update when the job ends) */
        char *depends;
        uint64_t begin_time;
        unsigned blocked;
        int64_t parent_job; /* the job it was submitted from ([users] submit_from_jobs); 0: none */
} Job;

#define STORE_BLOCKED_DEPENDENCY 1u
#define STORE_BLOCKED_BEGIN 2u

#define STORE_ARRAY_NEW INT64_C(-1)

Job *job_free(Job *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(Job *, job_free)
#define _cleanup_job_free_ _cleanup_(job_freep)
void job_list_free(Job **l, size_t n);

int store_open(const char *path, Store **ret);
Store *store_close(Store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_close)

/* Inserts the jobs in one transaction (group commit: all or none) and sets
 * their ids (and the array id of the elements of a new array). */
int store_submit(Store *s, Job **jobs, size_t n);
int store_get(Store *s, int64_t id, Job **ret);

typedef struct StoreFilter {
        unsigned states; /* bit mask of 1 << JobState; 0: all */
        bool by_uid;
        uid_t uid;
        int64_t array_job_id; /* > 0: only the elements of this array */
        uint64_t limit; /* 0: none */
} StoreFilter;
/* The jobs that match, oldest first, at most f->limit. */
int store_list(Store *s, const StoreFilter *f, Job ***ret, size_t *ret_n);
/* What `corral list` shows: first the jobs that are not over (queued, held,
 * starting, running), newest first; then the ones that are, the one that ended
 * last first, only those that ended at or after ended_since (usec; 0: any
 * time), at most `last` of them (STORE_ALL: every one). The filter's user and
 * states apply to both parts, its limit to the whole list. */
#define STORE_ALL UINT64_MAX
int store_list_recent(Store *s, const StoreFilter *f, uint64_t last, uint64_t ended_since, Job ***ret, size_t *ret_n);
/* How many jobs match (the limit is ignored). */
int store_count(Store *s, const StoreFilter *f, uint64_t *ret);

/* Sets state to `to` if it is `from`; returns 1 if it did, 0 if the job was
 * not in `from`, -errno on error. */
int store_transition(Store *s, int64_t id, JobState from, JobState to);
/* Writes every mutable field of j (state, times, exit, launcher, cgroup,
 * result, epilogue, reason, cancel flag). */
int store_update(Store *s, const Job *j);

int store_count_states(Store *s, uint64_t counts[_JOB_STATE_MAX]);
/* Queued or held jobs of a user (the per-user cap). */
int store_count_waiting(Store *s, uid_t uid, uint64_t *ret);
/* Fair dispatch: the oldest QUEUED job of the next user after after_uid in
 * uid order (wrapping around); 0 and *ret = NULL when nothing is queued. */
int store_next_queued(Store *s, uid_t after_uid, bool have_after, Job **ret);

/* The packing dispatcher's candidates: the oldest QUEUED job of each user
 * with queued jobs, at most max, in the order store_next_queued() would
 * serve the users (after after_uid in uid order, wrapping around). */
int store_queued_heads(Store *s, uid_t after_uid, bool have_after, size_t max, Job ***ret, size_t *ret_n);
/* The same, leaving out the elements of the arrays in skip_arrays (those
 * at their throttle): a user's next job passes them. */
int store_queued_heads_skip(Store *s, uid_t after_uid, bool have_after, const int64_t *skip_arrays, size_t n_skip,
                            size_t max, Job ***ret, size_t *ret_n);
/* History (`corral history`): the ended jobs of f (user, states; the states
 * not over are never included) that ended in [since, until) (usec; until 0:
 * no bound), in the order they ended (end_time, then id), after the cursor
 * (after_end, after_id: the last row of the previous page; 0, 0 for the
 * first), at most limit. Read along the (uid, end_time) or (end_time)
 * index, so a page costs the same with 100 or 1,000,000 jobs. */
int store_list_ended(Store *s, const StoreFilter *f, uint64_t since, uint64_t until, uint64_t after_end,
                     int64_t after_id, uint64_t limit, Job ***ret, size_t *ret_n);

/* What crash recovery looks at: the jobs starting or running, and those that
 * ended (and had started) without their epilogue's summary, by id. Read
 * along the state index and a partial index of the rows without an
 * epilogue summary, so a start does not read the whole history. */
int store_list_unfinished(Store *s, Job ***ret, size_t *ret_n);

/* Purge (core-purge.c). How many jobs have ended (final states). */
int store_count_ended(Store *s, uint64_t *ret);
/* The ended jobs to purge, those that ended first first, at most max: the
 * `oldest` that ended first (the count cap: how many ended beyond it), and
 * after them those that ended before ended_before (usec; 0: none by age).
 * ret gets ids and output ids (ret_n of them). */
typedef struct StorePurgeItem {
        int64_t id;
        char output_id[JOB_OUTPUT_ID_LEN + 1];
} StorePurgeItem;
int store_purge_candidates(Store *s, uint64_t ended_before, uint64_t oldest, size_t max, StorePurgeItem **ret,
                           size_t *ret_n);
/* Deletes these jobs, in one transaction, if they are (still) in a final
 * state; returns how many it deleted. */
int store_delete_ended(Store *s, const int64_t *ids, size_t n);
/* Deletes at most max audit rows written before `before` (usec), the oldest
 * first; returns how many. */
int store_purge_audit(Store *s, uint64_t before, size_t max);

/* What a queued or held job waits for (STORE_BLOCKED_*; 0: the dispatcher
 * may start it). -ENOENT: no such job. */
int store_set_blocked(Store *s, int64_t id, unsigned blocked);
/* The queued and held jobs that wait for a dependency or a --begin time,
 * by id (along a partial index: costs nothing when none does). */
int store_list_blocked(Store *s, Job ***ret, size_t *ret_n);

int store_audit(Store *s, uid_t uid, pid_t pid, const char *op, int64_t job, const char *result, const char *detail);
/* Count of audit rows, for tests and metrics. */
int store_audit_count(Store *s, uint64_t *ret);

/* Key/value settings that survive restarts (e.g. "drained"). */
int store_get_setting(Store *s, const char *key, char **ret);
int store_set_setting(Store *s, const char *key, const char *value);

uint64_t now_usec(void);
