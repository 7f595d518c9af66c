/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.h — the policy model (what site admins write in policies/NAME.ini)
 * and its loader. A policy is loaded by name from a policy directory; its
 * `inherit = PARENT` chain is resolved root first, each file parsed into its
 * own staging object and applied over the built-in defaults only when every
 * file of the chain parsed cleanly. Fail closed: on any error no Policy is
 * returned. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "macro.h"
#include "paths.h"

#define POLICY_DIR_DEFAULT CORRAL_CONF_DIR "/policies"
#define POLICY_MAX_DEPTH 8

typedef enum NsMode {
        NS_HOST,
        NS_ISOLATED,
} NsMode;

typedef enum SeccompMode {
        SECCOMP_MODE_DENYLIST,
        SECCOMP_MODE_ALLOWLIST,
        SECCOMP_MODE_OFF,
} SeccompMode;

typedef enum SeccompAction {
        SECCOMP_ACT_ERRNO,
        SECCOMP_ACT_KILL,
        SECCOMP_ACT_LOG,
} SeccompAction;

/* Index of every key in policy_keys[]; the order is the order of output. */
typedef enum PolicyKey {
        PK_DESCRIPTION,
        PK_INHERIT,
        PK_USERS_MIN_UID,
        PK_ALLOW_USERS,
        PK_ALLOW_GROUPS,
        PK_DENY_USERS,
        PK_SUBMIT_FROM_JOBS,
        PK_MEMORY,
        PK_SWAP,
        PK_CPUS,
        PK_TASKS,
        PK_WALLTIME,
        PK_MAX_MEM,
        PK_MAX_CPUS,
        PK_NOFILE,
        PK_NPROC,
        PK_CORE,
        PK_FSIZE,
        PK_STACK,
        PK_NS_USER,
        PK_NS_PID,
        PK_NS_MOUNT,
        PK_NS_IPC,
        PK_NS_UTS,
        PK_NS_NET,
        PK_PRIVATE_TMP,
        PK_PRIVATE_DEVSHM,
        PK_PRIVATE_DEV,
        PK_PRIVATE_ROOT,
        PK_DEVICES,
        PK_PRIVATE_DIRS,
        PK_READ_ONLY,
        PK_HIDE,
        PK_HOSTNAME,
        PK_SECCOMP_MODE,
        PK_SECCOMP_ACTION,
        PK_SECCOMP_ERRNO,
        PK_SECCOMP_DENY,
        PK_SECCOMP_ALLOW,
        PK_LANDLOCK_MODE,
        PK_LANDLOCK_SCOPE,
        PK_LANDLOCK_READ,
        PK_LANDLOCK_WRITE,
        PK_EP_MIN_UID,
        PK_EP_MAX_UID,
        PK_EXEMPT_USERS,
        PK_GRACE,
        PK_DEADLINE,
        PK_KILL_LISTENERS,
        PK_STRIP_CRON,
        PK_STRIP_AT,
        PK_STRIP_LINGER,
        PK_CRON_ALLOW,
        PK_AT_ALLOW,
        PK_QUARANTINE_DIR,
        PK_SPARE_SSH,
        PK_CLEAN_IPC,
        PK_CLEAN_TMP,
        PK_TMP_DIRS,
        PK_TMP_QUARANTINE_MAX,
        PK_ENV_DENY,
        _PK_MAX,
} PolicyKey;

typedef struct Policy {
        char *name; /* file name without .ini */
        char *path; /* the leaf file */

        /* [policy] */
        char *description;
        char *inherit;
        /* [users] */
        uint64_t min_uid;
        char **allow_users; /* empty: everybody not denied */
        char **allow_groups;
        char **deny_users;
        bool submit_from_jobs; /* may a process inside a job of this policy submit jobs? */
        /* [limits]: UINT64_MAX is unlimited */
        uint64_t memory, swap;
        uint64_t cpus; /* millicpus */
        uint64_t tasks;
        uint64_t walltime; /* usec */
        uint64_t max_mem; /* bytes a job may ask for (--mem); 0: memory's value */
        uint64_t max_cpus; /* whole CPUs a job may ask for (--cpus x --tasks); 0: cpus's value */
        uint64_t nofile, nproc, core, fsize, stack;
        /* [namespaces] NsMode */
        int ns_user, ns_pid, ns_mount, ns_ipc, ns_uts, ns_net;
        /* [filesystem] */
        bool private_tmp, private_devshm;
        bool private_dev; /* a /dev of the job's own: the basic nodes and devices */
        bool private_root; /* a root of the job's own: only its mounts, its cgroups (mounts.c) */
        char **devices; /* host devices for it: paths below /dev, glob patterns, directories */
        char **private_dirs; /* more directories with a private tmpfs */
        char **read_only, **hide;
        char *hostname;
        /* [seccomp] */
        int seccomp_mode; /* SeccompMode */
        int seccomp_action; /* SeccompAction */
        int seccomp_errno;
        char **seccomp_deny, **seccomp_allow;
        /* [landlock] (landlock.h) */
        int landlock_mode; /* LandlockMode */
        char **landlock_scope;
        char **landlock_read, **landlock_write;
        /* [epilogue] */
        uint64_t ep_min_uid;
        uint64_t ep_max_uid;
        char **exempt_users;
        uint64_t grace, deadline; /* usec */
        bool kill_listeners, strip_cron, strip_at, strip_linger;
        char **cron_allow, **at_allow;
        char *quarantine_dir;
        bool spare_ssh;
        bool clean_ipc, clean_tmp;
        char **tmp_dirs;
        uint64_t tmp_quarantine_max; /* bytes */
        /* [job] */
        char **env_deny; /* environment variable names and glob patterns a job may not get */

        /* the inheritance chain, root first (file paths) */
        char **chain;
        ConfOrigin origin[_PK_MAX];
        char **files;
} Policy;

extern const ConfKey policy_keys[];
extern const ConfSchema policy_schema;

enum {
        POLICY_STRICT_PERMS = CONF_STRICT_PERMS,
};

Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free)
#define _cleanup_policy_free_ _cleanup_(policy_freep)

/* A policy with only the built-in defaults (name "builtin"). */
int policy_new_defaults(Policy **ret);

bool policy_name_valid(const char *name);

/* Loads NAME from dir (NAME.ini), resolving inheritance from the same dir.
 * Errors go to d as FILE:LINE: message. Returns 0, -ENOENT (no such policy),
 * -EINVAL (errors in d), -EPERM (permission check failed) or another -errno. */
int policy_load(const char *dir, const char *name, unsigned flags, Policy **ret, ConfDiags *d);
/* Loads the policy in FILE (any path ending in .ini); parents come from the
 * file's own directory. */
int policy_load_file(const char *path, unsigned flags, Policy **ret, ConfDiags *d);

/* Cross-key checks after inheritance (also run by the loaders). */
int policy_validate(const Policy *p, ConfDiags *d);

int policy_write_ini(const Policy *p, bool comments, FILE *f);
/* {"name":..., "path":..., "chain":[...], "policy":{...}, "users":{...}, ...} */
json_t *policy_to_json(const Policy *p);

/* The [users] rule, the one place it is written: corral-launch applies it
 * (step 1) and corrald checks it at submit, so that a job refused at launch
 * is refused when it is submitted, with the same reason. A user may run
 * jobs when it is not root (uid 0 or primary gid 0), its uid is at least
 * min_uid, it is not in deny_users and, when allow_users or allow_groups is
 * set, it is listed or one of its groups is. group_names are the names of
 * all its groups, primary included (read only when policy_user_needs_groups();
 * NULL: none). Pure. Returns 0, or -EPERM with *ret_reason (allocated) saying
 * why ("user 'NAME' ..."), or -ENOMEM. */
int policy_user_allowed(const Policy *p, uid_t uid, gid_t gid, const char *name, char *const *group_names,
                        char **ret_reason);
/* Whether policy_user_allowed() reads the group names: the caller looks
 * them up (policy_group_names()) only then. */
bool policy_user_needs_groups(const Policy *p);
/* The names of n group ids (getgrgid()); ids without a name are left out. */
int policy_group_names(const gid_t *gids, size_t n, char ***ret);

/* Whether the policy's [job] env_deny keeps the variable NAME (or a
 * NAME=VALUE assignment) from a job: a name or glob pattern (fnmatch(3))
 * of the list matches it. Pure. */
bool policy_env_denied(const Policy *p, const char *name);

/* Lists the policy names in dir (sorted); returns the count or -errno. */
int policy_list(const char *dir, char ***ret);
