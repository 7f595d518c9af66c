/* SPDX-License-Identifier: GPL-2.0-or-later */
/* depend.h — job dependencies and deferred starts (`corral submit --after,
 * --afterok, --afterany, --dependency, --begin`), pure: parsing them as
 * Slurm users write them, their canonical text (what the store keeps and
 * `show` prints), and whether one dependency is met, still to wait for, or
 * can never be met, from the state of the job it names. No I/O, so all of
 * it is unit-tested; corrald's core-deps.c applies it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "job.h"

#define DEP_MAX 64 /* dependencies of one job */

typedef enum DepType {
        DEP_AFTER, /* the job named has started (or ended, or was cancelled) */
        DEP_AFTEROK, /* it ended COMPLETED (exit 0) */
        DEP_AFTERANY, /* it ended, in any final state */
        _DEP_TYPE_MAX,
        _DEP_TYPE_INVALID = -1,
} DepType;

typedef struct Dep {
        DepType type;
        int64_t job;
} Dep;

typedef struct DepList {
        Dep v[DEP_MAX];
        size_t n;
} DepList;

const char *dep_type_to_string(DepType t);
DepType dep_type_from_string(const char *s);

/* Adds the dependencies of spec to l: Slurm's --dependency syntax,
 * "TYPE:ID[:ID...][,TYPE:ID...]" with TYPE after, afterok or afterany
 * (a repeated TYPE:ID is kept once). -EINVAL on anything else (*ret_bad,
 * if not NULL, points at the part that is wrong), -E2BIG past DEP_MAX. */
int dep_parse(const char *spec, DepList *l, const char **ret_bad);
/* Adds the ids of "ID[:ID...]" (--after, --afterok, --afterany) with type t. */
int dep_parse_ids(DepType t, const char *ids, DepList *l, const char **ret_bad);
/* The canonical text: "after:1,afterok:3:4,afterany:5" (types in that
 * order, ids in the order given); NULL in *ret for an empty list. */
int dep_format(const DepList *l, char **ret);

typedef enum DepStatus {
        DEP_WAIT,
        DEP_MET,
        DEP_NEVER,
} DepStatus;

/* Whether a dependency of type t on a job in state s is met. exists: the
 * job is still in the store; one purged long after it ended (keep_finished)
 * meets after and afterany, but never afterok (its outcome is gone). */
DepStatus dep_status(DepType t, bool exists, JobState s);
const char *dep_status_to_string(DepStatus s);

/* --begin, as sbatch takes it (local time, now given): "now", "now+N[UNIT]"
 * or "+N[UNIT]" (UNIT s, m/min, h, d, or their long names; none: seconds),
 * "HH:MM[:SS]" (today, or tomorrow when that time has passed), and
 * "YYYY-MM-DD[THH:MM[:SS]]" (ISO 8601, local time). Seconds since the
 * epoch in *ret; -EINVAL for anything else, -ERANGE past year 9999. */
int begin_parse(const char *s, time_t now, time_t *ret);
