/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodeconf.h — the node config, /etc/corral/corral.conf: one [node] section
 * with what the queue core and the helpers need to know about this node.
 * Every key has a built-in default, so a missing file means "defaults". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "macro.h"
#include "paths.h"

#define NODECONF_PATH_DEFAULT CORRAL_CONF_DIR "/corral.conf"

/* Of max_connections, the ones only root and the admin group may take, so
 * that an admin can always connect to see and stop what fills the rest: a
 * sixteenth, at least 2. */
#define NODECONF_ADMIN_CONNECTIONS(max) ((max) / 16 > 2 ? (max) / 16 : 2)

typedef enum CgroupBackendKind {
        CGROUP_BACKEND_AUTO,
        CGROUP_BACKEND_CGROUPFS,
        CGROUP_BACKEND_SYSTEMD,
} CgroupBackendKind;

typedef enum NodeKey {
        NK_SLOTS,
        NK_STATE_DIR,
        NK_RUN_DIR,
        NK_OUTPUT_DIR,
        NK_SOCKET,
        NK_ADMIN_GROUP,
        NK_USER,
        NK_CGROUP_BACKEND,
        NK_CGROUP_PARENT,
        NK_POLICY_DIR,
        NK_DEFAULT_POLICY,
        NK_METRICS_FILE,
        NK_METRICS_INTERVAL,
        NK_MAX_QUEUED_PER_USER,
        NK_LOG_LEVEL,
        NK_MAX_CONNECTIONS,
        NK_IDLE_TIMEOUT,
        NK_MEMORY,
        NK_CPUS,
        NK_MAX_RUNNING_PER_USER,
        NK_KEEP_FINISHED,
        NK_KEEP_FINISHED_JOBS,
        NK_KEEP_AUDIT,
        NK_PURGE_INTERVAL,
        NK_MAX_ARRAY_SIZE,
        _NK_MAX,
} NodeKey;

typedef struct NodeConfig {
        uint64_t slots;
        char *state_dir;
        char *run_dir;
        char *output_dir;
        char *socket;
        char *admin_group;
        char *user;
        int cgroup_backend; /* CgroupBackendKind */
        char *cgroup_parent;
        char *policy_dir;
        char *default_policy;
        char *metrics_file; /* empty: no metrics */
        uint64_t metrics_interval; /* usec between rewrites; USEC_INFINITY: on changes only */
        uint64_t max_queued_per_user;
        char *log_level;
        uint64_t max_connections; /* API connections at once, the reserve included */
        uint64_t idle_timeout; /* usec a connection may stay without a request; USEC_INFINITY: for ever */
        uint64_t memory; /* bytes the jobs may ask for together; 0: the machine's (nodeconf_detect) */
        uint64_t cpus; /* CPUs the jobs may ask for together; 0: the machine's (nodeconf_detect) */
        uint64_t max_running_per_user; /* jobs of one user holding a slot at once; UINT64_MAX: no cap */
        /* history retention (core-purge.c): 0 or USEC_INFINITY keeps for ever */
        uint64_t keep_finished; /* usec a finished job is kept after it ended */
        uint64_t keep_finished_jobs; /* the most finished jobs kept; 0: no cap */
        uint64_t keep_audit; /* usec an audit row is kept */
        uint64_t purge_interval; /* usec between purges */
        uint64_t max_array_size; /* elements of one job array (submit --array) */

        ConfOrigin origin[_NK_MAX];
        char **files;
} NodeConfig;

extern const ConfKey nodeconf_keys[];
extern const ConfSchema nodeconf_schema;

NodeConfig *nodeconf_free(NodeConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(NodeConfig *, nodeconf_free)
#define _cleanup_nodeconf_free_ _cleanup_(nodeconf_freep)

/* Loads path over the defaults. path NULL: defaults only. missing_ok: a
 * missing file is not an error (the default path on a fresh node). */
int nodeconf_load(const char *path, unsigned flags, bool missing_ok, NodeConfig **ret, ConfDiags *d);

/* What the machine has, for `memory = 0` and `cpus = 0`: the physical memory
 * (sysconf _SC_PHYS_PAGES x page size) and the CPUs this process may run on
 * (sched_getaffinity; else those online), minus nothing. */
void nodeconf_detect(uint64_t *ret_memory, uint64_t *ret_cpus);
