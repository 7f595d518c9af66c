/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epilogue-api.h — corral-epilogue as a library (libepilogue.a): the request
 * (what its options say, without argv) and the calls that run it. What a
 * caller needs and nothing of the epilogue's insides (epilogue.h):
 *
 *   corral-epilogue's main     epilogue_main(argc, argv, envp): parses its
 *                              command line and environment (conventions.c)
 *                              into an EpRequest, then epilogue_run();
 *   corrald's root helper      fills an EpRequest and calls epilogue_run() in
 *                              a forked child, or with --epilogue BIN execs
 *                              BIN with epilogue_request_to_argv()'s argv.
 *
 * Every string of a request is malloc'd and freed by ep_request_done(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit codes, documented in --help and corral-epilogue(8). */
enum {
        EP_EXIT_CLEAN = 0,
        EP_EXIT_DIRTY = 1,
        EP_EXIT_USAGE = 2,
};

typedef enum EpMode {
        EP_MODE_CORRAL, /* --user USER [--job ID] [--cgroup PATH] */
        EP_MODE_TORQUE, /* pbs_mom epilogue argv */
        EP_MODE_SLURM, /* Slurm Epilog environment */
        EP_MODE_SWEEP, /* the whole node */
        EP_MODE_SGE, /* Grid Engine epilog environment */
} EpMode;

const char *ep_mode_name(EpMode m);

/* Explicit paths (--proc, --cron-spool...); NULL: the default below --root */
typedef struct EpPaths {
        char *proc; /* /proc */
        char *cron_spool; /* /var/spool/cron/crontabs */
        char *at_spool; /* /var/spool/cron/atjobs */
        char *cron_allow; /* /etc/cron.allow */
        char *at_allow; /* /etc/at.allow */
        char *linger_dir; /* /var/lib/systemd/linger */
        char *quarantine_dir; /* the policy's quarantine_dir */
        char **tmp_dirs; /* the policy's tmp_dirs, below --root (no option: NULL in a request) */
} EpPaths;

/* --logind: whether a removed linger flag is also withdrawn from logind */
typedef enum EpLogind {
        EP_LOGIND_AUTO, /* when the linger dir is the real /var/lib/systemd/linger */
        EP_LOGIND_YES,
        EP_LOGIND_NO,
} EpLogind;

/* One run of corral-epilogue; each field is the option named beside it. */
typedef struct EpRequest {
        EpMode mode; /* --torque --slurm --sge --sweep, else corral's */
        char *user; /* --user: the job's user (NULL in sweep mode) */
        uid_t uid; /* --uid, with have_uid */
        bool have_uid;
        gid_t gid; /* SLURM_JOB_GID (Slurm mode only), with have_gid */
        bool have_gid;
        char *job; /* --job: job id, NULL if unknown */
        char *cgroup; /* --cgroup: the ended job's cgroup (hierarchy-relative) */
        pid_t session; /* Torque: the ended job's session id, 0 if unknown */
        /* Torque argv (Grid Engine: job_name, queue, exit_status), kept for the record */
        char *group, *job_name, *limits, *resources, *queue, *account, *exit_status, *script;

        pid_t *keep_sessions; /* --keep-session: sessions of running jobs */
        size_t n_keep_sessions;
        char **keep_cgroups; /* --keep-cgroup: cgroups of running jobs */
        char **job_cgroup_parents; /* --job-cgroup-parent: corral's job cgroups live below these */
        char *mom_name; /* --mom-name: the comm of pbs_mom */

        char *policy_name; /* --policy; NULL: "default", built-in defaults if it does not exist */
        char *policy_dir; /* --policy-dir */
        bool dry_run, json, verbose, quiet;
        EpLogind logind; /* --logind */
        bool have_uid_range; /* --uid-range */
        uid_t uid_range_min, uid_range_max;
        uint64_t deadline; /* --deadline, usec, 0: the policy's */
        char *log_file; /* --log-file */

        char *root; /* --root: prefix for every path but /proc */
        EpPaths paths; /* explicit per-path options (NULL: default under root) */
} EpRequest;

void ep_request_done(EpRequest *r);
/* Deep copy. 0 or -ENOMEM. */
int ep_request_copy(const EpRequest *r, EpRequest *ret);
/* Would corral-epilogue's parser have made this request? Checks every field
 * as its option is checked, and which fields go with which mode. 0, or
 * -EINVAL with *ret_error a one-line message naming the option (malloc'd),
 * -ENOMEM. */
int ep_request_validate(const EpRequest *r, char **ret_error);

/* The whole of corral-epilogue after its command line is parsed: policy,
 * user, strip, kill, clean, report. Runs as the calling process (root, or
 * --dry-run); returns the exit code (EP_EXIT_*). An invalid request is
 * logged and gives EP_EXIT_USAGE. */
int epilogue_run(const EpRequest *req);

/* corral-epilogue's command line for req, argv[0] "corral-epilogue": parsed
 * again (epilogue_main) it gives the same request. Corral, Torque and sweep
 * requests; a Slurm or Grid Engine request comes from the environment and is
 * not expressed in argv (-EOPNOTSUPP). -EINVAL for a request that does not
 * validate (ep_request_validate() says why), -ENOMEM. *ret_argv is a strv. */
int epilogue_request_to_argv(const EpRequest *req, char ***ret_argv);

/* corral-epilogue's main: argv and environment as on its command line. */
int epilogue_main(int argc, char *argv[], char *envp[]);
