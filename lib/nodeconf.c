/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodeconf.c — the [node] key table and its loader; see nodeconf.h. */
#include "nodeconf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "parse.h"

static const char *const backend_values[] = { "auto", "cgroupfs", "systemd", NULL };

#define KEY(name, type_, idx, fld, ...)                                                                                \
        [idx] = { .section = "node", .key = name, .type = type_, .offset = offsetof(NodeConfig, fld), __VA_ARGS__ }

const ConfKey nodeconf_keys[_NK_MAX] = {
        KEY("slots", CONF_UINT, NK_SLOTS, slots, .min = 1, .max = 4096, .def = "2",
            .help = "jobs that may run at once on this node"),
        KEY("state_dir", CONF_PATH, NK_STATE_DIR, state_dir, .def = "/var/lib/corral",
            .help = "the queue database (owned by the daemon user, mode 0700)"),
        KEY("run_dir", CONF_PATH, NK_RUN_DIR, run_dir, .def = "/run/corral",
            .help = "root-only runtime files: the launchers' result records"),
        KEY("output_dir", CONF_PATH, NK_OUTPUT_DIR, output_dir, .def = "/var/spool/corral",
            .help = "job output, one directory per job named by a random 128-bit id (the root is mode 0711)"),
        KEY("socket", CONF_PATH, NK_SOCKET, socket, .def = "/run/corral/corral.sock",
            .help = "the Unix socket of the API"),
        KEY("admin_group", CONF_NAME, NK_ADMIN_GROUP, admin_group, .def = "corral-admin",
            .help = "members may see and act on every job, drain and resume the node"),
        KEY("user", CONF_NAME, NK_USER, user, .def = "corral",
            .help = "the unprivileged system user the queue core runs as after start-up"),
        KEY("cgroup_backend", CONF_ENUM, NK_CGROUP_BACKEND, cgroup_backend, .values = backend_values, .def = "auto",
            .help = "cgroupfs (libcgroup, v1 or v2), systemd (a transient scope corral-job-ID.scope per job over "
                    "D-Bus), or auto (systemd when it is PID 1 and answers on the system bus, else cgroupfs)"),
        KEY("cgroup_parent", CONF_NAME, NK_CGROUP_PARENT, cgroup_parent, .def = "corral",
            .help = "the cgroup under which job cgroups are made (job-ID); with the systemd backend the slice of "
                    "the job scopes (corral: corral.slice)"),
        KEY("policy_dir", CONF_PATH, NK_POLICY_DIR, policy_dir, .def = CORRAL_CONF_DIR "/policies",
            .help = "where NAME.ini policies are read from"),
        KEY("default_policy", CONF_NAME, NK_DEFAULT_POLICY, default_policy, .def = "default",
            .help = "the policy of a submission that names none"),
        KEY("metrics_file", CONF_PATH, NK_METRICS_FILE, metrics_file, .def = "",
            .help = "node_exporter textfile collector output (empty: none)"),
        KEY("metrics_interval", CONF_DURATION, NK_METRICS_INTERVAL, metrics_interval, .min = 100 * USEC_PER_MSEC,
            .max = 3600 * USEC_PER_SEC, .def = "5s",
            .help = "how often the metrics file is rewritten even when nothing changed (its age tells that corrald "
                    "is alive); job state changes rewrite it at once"),
        KEY("max_queued_per_user", CONF_UINT, NK_MAX_QUEUED_PER_USER, max_queued_per_user, .min = 1, .max = 1000000,
            .def = "10000", .help = "submissions a user may have waiting at once"),
        KEY("log_level", CONF_NAME, NK_LOG_LEVEL, log_level, .def = "info",
            .help = "debug, info, notice, warning or error"),
        KEY("max_connections", CONF_UINT, NK_MAX_CONNECTIONS, max_connections, .min = 8, .max = 65536, .def = "1024",
            .help = "API connections at once; the last sixteenth (at least 2) only root and admin_group may take"),
        KEY("idle_timeout", CONF_DURATION, NK_IDLE_TIMEOUT, idle_timeout, .min = USEC_PER_SEC,
            .max = 24 * 3600 * USEC_PER_SEC, .def = "60s",
            .help = "an API connection that sends no request for this long is closed (infinity: never)"),
        KEY("memory", CONF_SIZE, NK_MEMORY, memory, .min = 0, .max = UINT64_MAX - 1, .def = "0",
            .help = "memory the jobs running at once may ask for together (submit --mem, else their policy's "
                    "memory); 0: what the machine has"),
        KEY("cpus", CONF_UINT, NK_CPUS, cpus, .min = 0, .max = 65536, .def = "0",
            .help = "CPUs the jobs running at once may ask for together (submit --cpus x --tasks, else their "
                    "policy's cpus); 0: what the machine has"),
        KEY("max_running_per_user", CONF_UINT, NK_MAX_RUNNING_PER_USER, max_running_per_user, .min = 1, .max = 1000000,
            .unlimited = true, .def = "unlimited",
            .help = "jobs of one user that may run at once (their others wait with the reason USER_CAP)"),
        KEY("keep_finished", CONF_DURATION, NK_KEEP_FINISHED, keep_finished, .min = 0, .max = USEC_INFINITY,
            .def = "30d",
            .help = "a finished job (its row and its output directory in output_dir) is purged this long after it "
                    "ended (0 or infinity: kept for ever)"),
        KEY("keep_finished_jobs", CONF_UINT, NK_KEEP_FINISHED_JOBS, keep_finished_jobs, .min = 0, .max = 100000000,
            .def = "100000",
            .help = "the most finished jobs kept: beyond it, those that ended first are purged (0: no cap)"),
        KEY("keep_audit", CONF_DURATION, NK_KEEP_AUDIT, keep_audit, .min = 0, .max = USEC_INFINITY, .def = "90d",
            .help = "an audit row is purged this long after it was written (0 or infinity: kept for ever)"),
        KEY("purge_interval", CONF_DURATION, NK_PURGE_INTERVAL, purge_interval, .min = USEC_PER_SEC,
            .max = 24 * 3600 * USEC_PER_SEC, .def = "10min",
            .help = "how often corrald purges what is beyond keep_finished, keep_finished_jobs and keep_audit (it "
                    "also does at start), in batches between which the queue runs"),
        KEY("max_array_size", CONF_UINT, NK_MAX_ARRAY_SIZE, max_array_size, .min = 1, .max = 100000, .def = "1000",
            .help = "elements one job array may have (submit --array); each is a job of its own, counted by "
                    "max_queued_per_user"),
};

const ConfSchema nodeconf_schema = {
        .what = "node config",
        .keys = nodeconf_keys,
        .n_keys = _NK_MAX,
        .origin_offset = offsetof(NodeConfig, origin),
        .files_offset = offsetof(NodeConfig, files),
};

NodeConfig *nodeconf_free(NodeConfig *c) {
        if (!c)
                return NULL;
        conf_free_values(&nodeconf_schema, c);
        free(c);
        return NULL;
}

int nodeconf_load(const char *path, unsigned flags, bool missing_ok, NodeConfig **ret, ConfDiags *d) {
        _cleanup_nodeconf_free_ NodeConfig *c = calloc(1, sizeof(NodeConfig)), *staged = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        r = conf_init_defaults(&nodeconf_schema, c);
        if (r < 0)
                return r;
        if (path && !(missing_ok && access(path, F_OK) < 0 && errno == ENOENT)) {
                staged = calloc(1, sizeof(NodeConfig));
                if (!staged)
                        return -ENOMEM;
                r = conf_parse_file(&nodeconf_schema, path, flags, staged, d);
                if (r < 0)
                        return r;
                r = conf_apply(&nodeconf_schema, c, staged);
                if (r < 0)
                        return r;
        }
        if (log_level_from_string(c->log_level) < 0) {
                const ConfOrigin *o = &c->origin[NK_LOG_LEVEL];
                conf_diags_add(d, o->line ? o->file : path, o->line,
                               "invalid log_level '%s': expected debug, info, notice, warning or error", c->log_level);
                return -EINVAL;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

void nodeconf_detect(uint64_t *ret_memory, uint64_t *ret_cpus) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE), online = sysconf(_SC_NPROCESSORS_ONLN);
        cpu_set_t set;

        *ret_memory = pages > 0 && page > 0 ? (uint64_t) pages * (uint64_t) page : 0;
        if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
                *ret_cpus = (uint64_t) CPU_COUNT(&set);
        else
                *ret_cpus = online > 0 ? (uint64_t) online : 1;
}
