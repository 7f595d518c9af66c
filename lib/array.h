/* SPDX-License-Identifier: GPL-2.0-or-later */
/* array.h — job arrays (`corral submit --array SPEC`): the spec as Slurm's
 * sbatch --array writes it, pure (unit-tested). One element is one job of
 * its own; they share the array's id (the id of the first element, as
 * Slurm's ARRAYID_TASKID notation: `corral list` shows 12_3) and each has
 * its task id (CORRAL_ARRAY_TASK_ID, %a in -o/-e). */
#pragma once

#include <stdint.h>
#include <stddef.h>

#define ARRAY_MAX_TASK_ID 4000000 /* the largest task id a spec may name */
#define ARRAY_MAX_SPEC 1024 /* bytes of a spec */
/* CORRAL_ARRAY_JOB_ID, _TASK_ID, _TASK_COUNT, _TASK_MIN, _TASK_MAX: added to
 * an element's environment when it is launched */
#define ARRAY_ENV_VARS 5

typedef struct ArraySpec {
        uint32_t *ids; /* ascending, no duplicates */
        size_t n;
        uint32_t throttle; /* %N: at most N elements run at once; 0: no limit */
} ArraySpec;

/* Parses SPEC: a comma-separated list of ITEMs, then optionally %N;
 * ITEM is N, N-M or N-M:S (from N to M by S). Task ids are 0 to
 * ARRAY_MAX_TASK_ID, duplicates count once. More than max_tasks elements is
 * -E2BIG; anything malformed -EINVAL; both with *ret_error (malloc'd) saying
 * what and how to fix it. -ENOMEM. */
int array_spec_parse(const char *spec, uint64_t max_tasks, ArraySpec *ret, char **ret_error);
void array_spec_done(ArraySpec *a);
