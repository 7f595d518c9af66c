/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resources.h — a job's own resources (`corral submit --mem --cpus --tasks
 * --time`), pure: parsing them as Slurm users write them, resolving a
 * request against the policy's default and maximum and the node's size (the
 * submit check), the dispatcher's packing decision, and the names of the
 * reasons a job waits. No I/O, so all of it is unit-tested.
 *
 * Units everywhere: memory in bytes, CPUs in millicpus (1000 per CPU, as the
 * policy's `cpus`), 0 meaning "not limited, not counted" (a policy whose
 * memory or cpus is unlimited and a job that asks for none). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#define RES_MAX_CPUS 1024 /* --cpus, per task */
#define RES_MAX_TASKS 4096 /* --tasks */

/* Slurm's --mem: a whole number with an optional K, M, G or T suffix
 * (1024-based, case insensitive); a bare number is megabytes. 0, "", signs,
 * fractions, other suffixes: -EINVAL; past 2^63 bytes: -ERANGE. */
int res_parse_mem(const char *s, uint64_t *ret_bytes);

/* Slurm's --time: "MIN", "MIN:SEC", "H:MIN:SEC", "D-H", "D-H:MIN",
 * "D-H:MIN:SEC" (a bare number is minutes), and corral's durations with a
 * unit ("90s", "30m", "2h", "1d", "1h30m"). Zero and unlimited are -EINVAL
 * (a job always ends); more than 100 years -ERANGE. */
int res_parse_time(const char *s, uint64_t *ret_usec);

/* What a submission asks for (0: not given). */
typedef struct ResRequest {
        uint64_t mem; /* bytes */
        uint64_t cpus; /* whole CPUs per task */
        uint64_t tasks; /* task slots */
} ResRequest;

/* What the policy and the node allow (UINT64_MAX: unlimited, as in Policy;
 * max_mem 0 / max_cpus 0: the same as the default). */
typedef struct ResLimits {
        uint64_t def_mem, max_mem; /* policy [limits] memory, max_mem */
        uint64_t def_cpus; /* policy [limits] cpus, millicpus */
        uint64_t max_cpus; /* policy [limits] max_cpus, whole CPUs */
        uint64_t node_mem, node_cpus; /* node [node] memory (bytes), cpus (whole) */
} ResLimits;

/* What a job gets and is counted for: mem bytes and cpus millicpus for the
 * whole job (cpus per task x tasks; Slurm's --ntasks x --cpus-per-task);
 * 0: unlimited and not counted. */
typedef struct ResAsk {
        uint64_t mem, cpus, tasks;
} ResAsk;

/* The most a job may ask for under a policy: memory (bytes) from its memory
 * and max_mem, CPUs (millicpus) from its cpus and max_cpus; UINT64_MAX:
 * unlimited. Used at submit, by the root helper and by corral-launch. */
uint64_t res_max_mem(uint64_t def_mem, uint64_t max_mem);
uint64_t res_max_cpus(uint64_t def_millicpus, uint64_t max_cpus);

/* Resolves rq against the limits: a resource not asked for is the policy's
 * default (CPUs: the default per task, times the tasks). Refuses (-EINVAL,
 * *ret_reason allocated, naming the option and the bound) a request above
 * the policy's maximum, or one that can never fit on the node. -ENOMEM. */
int res_resolve(const ResRequest *rq, const ResLimits *l, const char *policy, ResAsk *ret, char **ret_reason);

/* Why a job waits (`corral list`/`show`: "reason"). DEPENDENCY and
 * BEGIN_TIME are reserved for dependencies and --begin. */
typedef enum PendReason {
        PEND_NONE,
        PEND_HELD, /* corral hold, or submit --hold */
        PEND_DRAINED, /* the node is drained */
        PEND_RESOURCES, /* not enough free CPUs, memory or slots for it (or for a job before it) */
        PEND_USER_CAP, /* its user runs max_running_per_user jobs already */
        PEND_DEPENDENCY,
        PEND_BEGIN_TIME,
        PEND_ARRAY_LIMIT, /* its array runs its throttle's worth (--array ...%N) of elements already */
        _PEND_MAX,
} PendReason;

const char *pend_reason_to_string(PendReason r);

/* ---- packing ---- */

/* The node's free resources now. */
typedef struct PackFree {
        uint64_t slots; /* jobs that may still start */
        uint64_t mem, cpus; /* bytes, millicpus */
} PackFree;

/* One candidate: the oldest queued job of one user (the head of its queue). */
typedef struct PackHead {
        int64_t id; /* job id: a lower one was submitted first */
        uid_t uid;
        ResAsk ask;
        uint64_t running; /* jobs of this user holding a slot */
} PackHead;

/* The dispatcher's decision, given the head of every user with queued jobs,
 * in round-robin order (the users after the one served last, in uid order,
 * wrapping around), the free resources, the per-user cap (UINT64_MAX: none)
 * and the job holding the reservation (0: none). Returns the index of the
 * head to start now, or -1 for none; *ret_reserved (may be NULL) is the
 * reservation for the next pick; ret_reasons[] (n entries, may be NULL) why
 * each head not started waits.
 *  - a user at the cap is skipped (USER_CAP);
 *  - the first head, in round-robin order, that fits starts: fair between
 *    users as the one-job-per-turn order was;
 *  - within one user, jobs start in submission order: only its head is a
 *    candidate, a smaller job of the same user never passes it;
 *  - a head that does not fit lets the next users' heads that fit pass it,
 *    once: the oldest head passed over gets the reservation, and from then
 *    on other heads start only in the CPUs and memory it leaves free, so it
 *    starts when enough of the running jobs end, never waits for ever (no
 *    backfill past it). The reservation ends when it starts, or leaves the
 *    queue, or its user reaches the cap. The slots are not reserved: the
 *    reserved job gets a free slot in its turn. */
ssize_t pack_pick(const PackHead *heads, size_t n, const PackFree *free_res, uint64_t user_cap, int64_t reserved,
                  int64_t *ret_reserved, PendReason *ret_reasons);
/* Whether ask fits into free_res (a 0 in ask is not counted). */
bool pack_fits(const ResAsk *ask, const PackFree *free_res);
