/* SPDX-License-Identifier: GPL-2.0-or-later */
/* landlock.h — the job's Landlock domain: what the policy's [landlock]
 * asks, what this kernel's Landlock ABI can give, and the step that gives
 * it. Landlock is an unprivileged LSM (Linux 5.13): a process restricts
 * itself and everything it later starts, for good. corral uses it for what
 * namespaces and seccomp cannot express:
 *
 *   scope abstract_unix  the job cannot connect to abstract unix sockets
 *                        (@name) made outside it: a root service's, another
 *                        job's (ABI 6, Linux 6.12)
 *   scope signal         the job cannot signal processes outside it (ABI 6)
 *   read, write          when either is set, the job reaches only the files
 *                        below these paths (read: read, list, execute;
 *                        write: everything) (ABI 1; rename/link across
 *                        directories ABI 2, truncate ABI 3, device ioctls
 *                        ABI 5 are governed when the kernel has them)
 *
 * The library never logs; the launcher reports what the kernel could not
 * give (the result record's "warnings") or fails when mode = required. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

typedef enum LandlockMode {
        LANDLOCK_MODE_AUTO, /* what the kernel has; the rest reported */
        LANDLOCK_MODE_REQUIRED, /* all that is asked, or the launch fails */
        LANDLOCK_MODE_OFF,
} LandlockMode;

/* What the policy asks and the kernel lacks (LandlockPlan.missing). */
enum {
        LANDLOCK_MISSING_ALL = 1 << 0, /* no Landlock at all (kernel, or not in lsm=) */
        LANDLOCK_MISSING_SCOPE = 1 << 1, /* ABI < 6: no scoping */
};

typedef struct LandlockPlan {
        int abi; /* this kernel's ABI, 0 when it has no Landlock */
        uint64_t handled_fs; /* 0: no filesystem rules */
        uint64_t read_access, write_access; /* rights of read and write paths */
        uint64_t scoped; /* LANDLOCK_SCOPE_* bits */
        unsigned missing; /* LANDLOCK_MISSING_* */
} LandlockPlan;

/* The kernel's Landlock ABI version (>= 1), or 0 when it has none. */
int landlock_abi(void);

/* The plan for policy p on a kernel with ABI abi (pure): nothing to do has
 * handled_fs == 0 and scoped == 0. */
void landlock_plan(const Policy *p, int abi, LandlockPlan *ret);
/* Is there anything to apply? */
bool landlock_plan_active(const LandlockPlan *plan);

/* What plan enforces and misses, for people: "scopes abstract_unix, signal;
 * filesystem rules" or "none: this kernel has no Landlock". */
void landlock_plan_describe(const LandlockPlan *plan, char *buf, size_t size);
/* One sentence per missing feature, for the result record's warnings and
 * for the error of mode = required; NULL when nothing is missing. */
const char *landlock_missing_text(const LandlockPlan *plan);

/* Restricts the calling process (needs no_new_privs or CAP_SYS_ADMIN) as
 * planned: the paths are opened now, in the caller's mount namespace (a
 * missing path is skipped, as read_only and hide do). On failure
 * *ret_where names the path or the call, and nothing was restricted. */
int landlock_apply(const Policy *p, const LandlockPlan *plan, const char **ret_where);

/* Is name one of the scope names of [landlock] scope? */
bool landlock_scope_name_valid(const char *name);
