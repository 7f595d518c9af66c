/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conventions.c — how corral-epilogue is called: options, the Torque/PBS
 * epilogue argv, the Slurm Epilog environment, the Grid Engine epilog
 * environment, corral's own --user form and --sweep. Pure: it turns argv and envp into an EpRequest or a one-line error
 * (exit 2), and looks nothing up; epilogue.c resolves users and policies.
 *
 * Torque's pbs_mom runs the epilogue with exactly these arguments:
 *   1 job id, 2 user, 3 group, 4 job name, 5 session id, 6 requested limits,
 *   7 resources used, 8 queue, 9 account, 10 exit status [, 11 script path]
 * so an invocation with no options and 10 or 11 arguments is Torque's; a
 * wrapper may also put options first and end them with --torque.
 *
 * Grid Engine (8.1.9, measured) runs the queue's `epilog root@PATH ARGS` as
 * root from the ended job's sge_shepherd, ARGS expanded from pseudo
 * variables ($job_owner, $job_id...), in the job's environment plus JOB_ID,
 * JOB_NAME, QUEUE, SGE_JOB_SPOOL_DIR (.../active_jobs/JOB.TASK),
 * SGE_JOBEXIT_STAT, SGE_TASK_ID ("undefined" outside array jobs), USER. So
 * --sge, or no mode at all with JOB_ID and SGE_JOB_SPOOL_DIR set, is Grid
 * Engine's; the job is named JOB.TASK as Grid Engine names it ("job 3.1"),
 * which tells the tasks of an array job apart. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "conf.h"
#include "epilogue.h"
#include "parse.h"
#include "strv.h"

const char *ep_mode_name(EpMode m) {
        static const char *const names[] = {
                [EP_MODE_CORRAL] = "corral", [EP_MODE_TORQUE] = "torque", [EP_MODE_SLURM] = "slurm",
                [EP_MODE_SWEEP] = "sweep",   [EP_MODE_SGE] = "sge",
        };
        return m <= EP_MODE_SGE ? names[m] : "?";
}

void ep_help(FILE *f) {
        fprintf(f, "Usage: corral-epilogue [OPTIONS] --user USER [--job ID] [--cgroup PATH]\n"
                   "       corral-epilogue [OPTIONS] --slurm          (Slurm Epilog environment)\n"
                   "       corral-epilogue [OPTIONS] --sge [--user USER] [--job ID]   (Grid Engine epilog)\n"
                   "       corral-epilogue [OPTIONS] [--torque] JOBID USER GROUP JOBNAME SESSION LIMITS\n"
                   "                                  RESOURCES QUEUE ACCOUNT EXIT [SCRIPT]   (pbs_mom)\n"
                   "       corral-epilogue [OPTIONS] --sweep          (the whole node)\n"
                   "\n"
                   "Leaves the node clean after a batch job: kills every process of the job's user\n"
                   "that belongs to no running job (stopping them all before killing any, with\n"
                   "pidfds checked against PID reuse), quarantines the user's crontab and at jobs,\n"
                   "removes the systemd linger flag, keeps /etc/cron.allow and /etc/at.allow equal\n"
                   "to the policy, reports listening sockets, then removes the user's SysV IPC\n"
                   "objects and quarantines or removes the user's files in /dev/shm, /tmp,\n"
                   "/var/tmp and /run/lock (the policy's tmp_dirs).\n"
                   "\n"
                   "Modes:\n"
                   "  --user USER          the job's user (corral, by hand); --uid UID also works\n"
                   "  --job ID             the ended job's id (for the record)\n"
                   "  --cgroup PATH        the ended job's cgroup (e.g. /corral/job-7): all in it dies\n"
                   "  --torque             the rest of argv is pbs_mom's epilogue argv\n"
                   "  --slurm              read SLURM_JOB_ID, SLURM_JOB_UID, SLURM_JOB_USER, SLURM_JOB_GID\n"
                   "  --sge                read JOB_ID, SGE_TASK_ID, SGE_JOB_SPOOL_DIR, USER (Grid Engine's\n"
                   "                       epilog; chosen by itself when JOB_ID and SGE_JOB_SPOOL_DIR are\n"
                   "                       set and no other mode is given); --user/--job, if given (from\n"
                   "                       $job_owner $job_id), must agree with them\n"
                   "  --sweep              every user in min_uid..max_uid, not exempt, without a running job\n"
                   "\n"
                   "Running jobs (their processes are spared):\n"
                   "  --keep-session SID[,SID...]   sessions of the user's running jobs\n"
                   "  --keep-cgroup PATH            a running job's cgroup (repeatable)\n"
                   "  --job-cgroup-parent PATH      corral's job cgroups (repeatable; default /corral and\n"
                   "                                /corral.slice)\n"
                   "  --mom-name NAME               the comm of pbs_mom (default pbs_mom)\n"
                   "\n"
                   "Common:\n"
                   "  --policy NAME        use the [epilogue] section of policy NAME (default: default)\n"
                   "  --policy-dir DIR     where policies are (default " POLICY_DIR_DEFAULT ")\n"
                   "  --dry-run            report what would be done, change nothing\n"
                   "  --json               one JSON record per action, then a summary record\n"
                   "  --uid-range MIN-MAX  never touch a uid outside this range (on top of min_uid)\n"
                   "  --deadline DURATION  how long to keep re-scanning (default: the policy's)\n"
                   "  --log-file FILE      append the detail there (default: syslog, or stderr by hand)\n"
                   "  -v, --verbose        the detail on stderr too\n"
                   "  -q, --quiet          no summary line\n"
                   "\n"
                   "Paths (for tests and unusual layouts):\n"
                   "  --root DIR           prefix for every path below except /proc\n"
                   "  --proc DIR           default /proc\n"
                   "  --cron-spool DIR     default /var/spool/cron/crontabs\n"
                   "  --at-spool DIR       default /var/spool/cron/atjobs\n"
                   "  --cron-allow FILE    default /etc/cron.allow\n"
                   "  --at-allow FILE      default /etc/at.allow\n"
                   "  --linger-dir DIR     default /var/lib/systemd/linger\n"
                   "  --quarantine-dir DIR default: the policy's quarantine_dir\n"
                   "  --logind auto|yes|no also tell logind that a removed linger flag is gone\n"
                   "                       (SetUserLinger); auto: only for /var/lib/systemd/linger\n"
                   "\n"
                   "Exit status:\n"
                   "  0  the node is clean\n"
                   "  1  something survived or could not be stripped (Slurm drains the node,\n"
                   "     Grid Engine puts the queue instance in error state)\n"
                   "  2  bad invocation or configuration\n"
                   "\n"
                   "See corral-epilogue(8).\n");
}

int ep_usage_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        *ret_error = s;
        return s ? -EINVAL : -ENOMEM;
}

bool ep_user_name_valid(const char *s) {
        /* what useradd accepts, plus '@' and '.' seen in directory-backed
         * pool accounts; never '/', never a leading '-' or '.' */
        size_t n = 0;
        if (isempty(s) || s[0] == '-' || s[0] == '.')
                return false;
        for (const char *p = s; *p; p++, n++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.' || c == '@' || (c == '$' && p[1] == '\0')))
                        return false;
        }
        return n <= 64;
}

bool ep_job_id_valid(const char *s) {
        /* Torque "123.server", arrays "123[4].server", Slurm "123", corral
         * "42": printable, no '/', no spaces, bounded */
        size_t n = 0;
        if (isempty(s))
                return false;
        for (const char *p = s; *p; p++, n++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f || *p == '/')
                        return false;
        return n <= 255;
}

static const char *env_get(char **envp, const char *name) {
        size_t n = strlen(name);
        for (char **e = envp; e && *e; e++)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

static int set_str(char **dst, const char *v) {
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static int parse_uid_range(const char *s, uid_t *ret_min, uid_t *ret_max) {
        _cleanup_free_ char *copy = strdup(s);
        uid_t a, b;
        char *dash;

        if (!copy)
                return -ENOMEM;
        dash = strchr(copy, '-');
        if (!dash)
                return -EINVAL;
        *dash = '\0';
        if (parse_uid(copy, &a) < 0 || parse_uid(dash + 1, &b) < 0 || a > b)
                return -EINVAL;
        *ret_min = a;
        *ret_max = b;
        return 0;
}

static int add_sessions(EpRequest *r, const char *list) {
        _cleanup_strv_free_ char **l = NULL;
        int k = parse_list(list, &l);
        if (k < 0)
                return k;
        for (char **i = l; *i; i++) {
                pid_t sid;
                if (parse_pid(*i, &sid) < 0)
                        return -EINVAL;
                pid_t *n = realloc(r->keep_sessions, (r->n_keep_sessions + 1) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                r->keep_sessions = n;
                r->keep_sessions[r->n_keep_sessions++] = sid;
        }
        return 0;
}

bool ep_cgroup_path_valid(const char *s) {
        /* hierarchy-relative, absolute, no "..", bounded */
        return s[0] == '/' && strlen(s) < 4096 && !strstr(s, "/../") &&
               !(strlen(s) >= 3 && streq(s + strlen(s) - 3, "/..")) && !strchr(s, '\n');
}

static int parse_torque_argv(EpRequest *r, int argc, char **argv, char **ret_error) {
        /* argv here is just the positional arguments */
        pid_t sid = 0;
        if (argc != 10 && argc != 11)
                return ep_usage_error(
                        ret_error,
                        "Torque epilogue needs 10 or 11 arguments (job id, user, group, job name, session id, "
                        "limits, resources used, queue, account, exit status [, script]), got %d",
                        argc);
        if (!ep_job_id_valid(argv[0]))
                return ep_usage_error(ret_error, "Torque argument 1: invalid job id '%s'", argv[0]);
        if (!ep_user_name_valid(argv[1]))
                return ep_usage_error(ret_error, "Torque argument 2: invalid user name '%s'", argv[1]);
        if (!isempty(argv[2]) && !ep_user_name_valid(argv[2]))
                return ep_usage_error(ret_error, "Torque argument 3: invalid group name '%s'", argv[2]);
        /* a job that never started has no session: pbs_mom passes 0 or "" */
        if (!isempty(argv[4]) && !streq(argv[4], "0") && parse_pid(argv[4], &sid) < 0)
                return ep_usage_error(ret_error, "Torque argument 5: invalid session id '%s'", argv[4]);
        if (!isempty(argv[9])) {
                int code;
                if (parse_int(argv[9], -100000, 100000, &code) < 0)
                        return ep_usage_error(ret_error, "Torque argument 10: invalid exit status '%s'", argv[9]);
        }
        if (set_str(&r->job, argv[0]) < 0 || set_str(&r->user, argv[1]) < 0 || set_str(&r->group, argv[2]) < 0 ||
            set_str(&r->job_name, argv[3]) < 0 || set_str(&r->limits, argv[5]) < 0 ||
            set_str(&r->resources, argv[6]) < 0 || set_str(&r->queue, argv[7]) < 0 ||
            set_str(&r->account, argv[8]) < 0 || set_str(&r->exit_status, argv[9]) < 0 ||
            (argc == 11 && set_str(&r->script, argv[10]) < 0))
                return -ENOMEM;
        r->session = sid;
        return 0;
}

/* Grid Engine names a job's run JOB.TASK (its active_jobs directory, its
 * messages: "job 3.1"); a job that is no array job is task 1. The same key
 * is made from the epilog's environment and from a process's (targets.c). */
int ep_sge_job_key(const char *job_id, const char *task_id, char *buf, size_t size) {
        uint64_t j, t = 1;
        if (!job_id || parse_uint64(job_id, 1, UINT32_MAX, &j) < 0)
                return -EINVAL;
        if (task_id && !streq(task_id, "undefined") && parse_uint64(task_id, 1, UINT32_MAX, &t) < 0)
                return -EINVAL;
        if ((size_t) snprintf(buf, size, "%" PRIu64 ".%" PRIu64, j, t) >= size)
                return -ENOBUFS;
        return 0;
}

static bool sge_env_present(char **envp) {
        return env_get(envp, "JOB_ID") && env_get(envp, "SGE_JOB_SPOOL_DIR");
}

static int parse_sge_env(EpRequest *r, char **envp, char **ret_error) {
        const char *id = env_get(envp, "JOB_ID"), *task = env_get(envp, "SGE_TASK_ID"),
                   *spool = env_get(envp, "SGE_JOB_SPOOL_DIR"), *user = env_get(envp, "USER"),
                   *name = env_get(envp, "JOB_NAME"), *queue = env_get(envp, "QUEUE"),
                   *status = env_get(envp, "SGE_JOBEXIT_STAT");
        char key[64];
        int code;

        if (!user)
                user = env_get(envp, "LOGNAME");
        if (!id)
                return ep_usage_error(ret_error,
                                      "--sge: JOB_ID is not set (is this running as Grid Engine's queue epilog?)");
        if (ep_sge_job_key(id, task, key, sizeof key) < 0)
                return ep_usage_error(ret_error, "--sge: invalid JOB_ID '%s' or SGE_TASK_ID '%s'", id, task ?: "");
        /* the job's spool directory is sge_execd's: .../active_jobs/JOB.TASK */
        if (spool) {
                const char *base = strrchr(spool, '/');
                if (!base || !streq(base + 1, key))
                        return ep_usage_error(ret_error,
                                              "--sge: SGE_JOB_SPOOL_DIR '%s' is not the directory of job %s "
                                              "(JOB_ID, SGE_TASK_ID)",
                                              spool, key);
        }
        if (r->job && !streq(r->job, id))
                return ep_usage_error(ret_error, "--sge: --job %s is not JOB_ID %s", r->job, id);
        if (user && !ep_user_name_valid(user))
                return ep_usage_error(ret_error, "--sge: invalid USER '%s'", user);
        if (r->user && user && !streq(r->user, user))
                return ep_usage_error(ret_error, "--sge: --user %s is not the job's USER %s", r->user, user);
        if (!r->user && !user)
                return ep_usage_error(ret_error,
                                      "--sge: neither USER nor LOGNAME is set: pass --user $job_owner in the epilog");
        if (status && parse_int(status, -100000, 100000, &code) < 0)
                return ep_usage_error(ret_error, "--sge: invalid SGE_JOBEXIT_STAT '%s'", status);
        if ((!r->user && set_str(&r->user, user) < 0) || set_str(&r->job, key) < 0 ||
            (name && set_str(&r->job_name, name) < 0) || (queue && set_str(&r->queue, queue) < 0) ||
            (status && set_str(&r->exit_status, status) < 0))
                return -ENOMEM;
        return 0;
}

static int parse_slurm_env(EpRequest *r, char **envp, char **ret_error) {
        const char *id = env_get(envp, "SLURM_JOB_ID"), *uid = env_get(envp, "SLURM_JOB_UID"),
                   *user = env_get(envp, "SLURM_JOB_USER"), *gid = env_get(envp, "SLURM_JOB_GID");
        uint64_t jobid;

        if (!id)
                return ep_usage_error(ret_error,
                                      "--slurm: SLURM_JOB_ID is not set (is this running as slurmd's Epilog?)");
        if (parse_uint64(id, 1, UINT32_MAX, &jobid) < 0)
                return ep_usage_error(ret_error, "--slurm: invalid SLURM_JOB_ID '%s'", id);
        if (!uid && !user)
                return ep_usage_error(ret_error, "--slurm: neither SLURM_JOB_UID nor SLURM_JOB_USER is set");
        if (uid) {
                if (parse_uid(uid, &r->uid) < 0)
                        return ep_usage_error(ret_error, "--slurm: invalid SLURM_JOB_UID '%s'", uid);
                r->have_uid = true;
        }
        if (user) {
                if (!ep_user_name_valid(user))
                        return ep_usage_error(ret_error, "--slurm: invalid SLURM_JOB_USER '%s'", user);
                if (set_str(&r->user, user) < 0)
                        return -ENOMEM;
        }
        if (gid) {
                if (parse_uid(gid, &r->gid) < 0)
                        return ep_usage_error(ret_error, "--slurm: invalid SLURM_JOB_GID '%s'", gid);
                r->have_gid = true;
        }
        return set_str(&r->job, id);
}

enum {
        ARG_USER = 0x100,
        ARG_UID,
        ARG_JOB,
        ARG_CGROUP,
        ARG_TORQUE,
        ARG_SLURM,
        ARG_SGE,
        ARG_SWEEP,
        ARG_KEEP_SESSION,
        ARG_KEEP_CGROUP,
        ARG_JOB_CGROUP_PARENT,
        ARG_MOM_NAME,
        ARG_POLICY,
        ARG_POLICY_DIR,
        ARG_DRY_RUN,
        ARG_JSON,
        ARG_UID_RANGE,
        ARG_DEADLINE,
        ARG_LOG_FILE,
        ARG_ROOT,
        ARG_PROC,
        ARG_CRON_SPOOL,
        ARG_AT_SPOOL,
        ARG_CRON_ALLOW,
        ARG_AT_ALLOW,
        ARG_LINGER_DIR,
        ARG_LOGIND,
        ARG_QUARANTINE_DIR,
        ARG_VERSION,
};

static const struct option options[] = {
        { "user", required_argument, NULL, ARG_USER },
        { "uid", required_argument, NULL, ARG_UID },
        { "job", required_argument, NULL, ARG_JOB },
        { "cgroup", required_argument, NULL, ARG_CGROUP },
        { "torque", no_argument, NULL, ARG_TORQUE },
        { "slurm", no_argument, NULL, ARG_SLURM },
        { "sge", no_argument, NULL, ARG_SGE },
        { "sweep", no_argument, NULL, ARG_SWEEP },
        { "keep-session", required_argument, NULL, ARG_KEEP_SESSION },
        { "keep-cgroup", required_argument, NULL, ARG_KEEP_CGROUP },
        { "job-cgroup-parent", required_argument, NULL, ARG_JOB_CGROUP_PARENT },
        { "mom-name", required_argument, NULL, ARG_MOM_NAME },
        { "policy", required_argument, NULL, ARG_POLICY },
        { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
        { "dry-run", no_argument, NULL, ARG_DRY_RUN },
        { "json", no_argument, NULL, ARG_JSON },
        { "uid-range", required_argument, NULL, ARG_UID_RANGE },
        { "deadline", required_argument, NULL, ARG_DEADLINE },
        { "log-file", required_argument, NULL, ARG_LOG_FILE },
        { "root", required_argument, NULL, ARG_ROOT },
        { "proc", required_argument, NULL, ARG_PROC },
        { "cron-spool", required_argument, NULL, ARG_CRON_SPOOL },
        { "at-spool", required_argument, NULL, ARG_AT_SPOOL },
        { "cron-allow", required_argument, NULL, ARG_CRON_ALLOW },
        { "at-allow", required_argument, NULL, ARG_AT_ALLOW },
        { "linger-dir", required_argument, NULL, ARG_LINGER_DIR },
        { "logind", required_argument, NULL, ARG_LOGIND },
        { "quarantine-dir", required_argument, NULL, ARG_QUARANTINE_DIR },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        {},
};

static int set_path_opt(char **dst, const char *v, const char *opt, char **ret_error) {
        if (!conf_path_valid(v))
                return ep_usage_error(ret_error, "%s needs an absolute path, got '%s'", opt, v);
        return set_str(dst, v);
}

int ep_parse_args(int argc, char **argv, char **envp, EpRequest *ret, char **ret_error) {
        EpRequest r = { .mode = EP_MODE_CORRAL };
        bool torque = false, slurm = false, sge = false, sweep = false, have_user = false;
        int c, k;

        *ret_error = NULL;
        /* Torque: pbs_mom passes exactly 10 or 11 arguments and no options.
         * Detected from that shape, the first argument a job id. */
        if ((argc == 11 || argc == 12) && argv[1][0] != '-')
                torque = true;

        optind = 0; /* reset getopt, also for repeated calls from tests */
        opterr = 0;
        while (!torque && (c = getopt_long(argc, argv, "+vqh", options, NULL)) >= 0) {
                const char *o = optarg;
                switch (c) {
                case ARG_USER:
                        if (!ep_user_name_valid(o))
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--user: invalid user name '%s'", o);
                        if ((k = set_str(&r.user, o)) < 0)
                                return ep_request_done(&r), k;
                        have_user = true;
                        break;
                case ARG_UID:
                        if (parse_uid(o, &r.uid) < 0)
                                return ep_request_done(&r), ep_usage_error(ret_error, "--uid: invalid uid '%s'", o);
                        r.have_uid = true;
                        have_user = true;
                        break;
                case ARG_JOB:
                        if (!ep_job_id_valid(o))
                                return ep_request_done(&r), ep_usage_error(ret_error, "--job: invalid job id '%s'", o);
                        if ((k = set_str(&r.job, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_CGROUP:
                        if (!ep_cgroup_path_valid(o))
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--cgroup: need a cgroup path like /corral/job-7, got '%s'", o);
                        if ((k = set_str(&r.cgroup, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_TORQUE:
                        torque = true;
                        break;
                case ARG_SLURM:
                        slurm = true;
                        break;
                case ARG_SGE:
                        sge = true;
                        break;
                case ARG_SWEEP:
                        sweep = true;
                        break;
                case ARG_KEEP_SESSION:
                        k = add_sessions(&r, o);
                        if (k == -ENOMEM)
                                return ep_request_done(&r), k;
                        if (k < 0)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--keep-session: need session ids (SID[,SID...]), got '%s'", o);
                        break;
                case ARG_KEEP_CGROUP:
                        if (!ep_cgroup_path_valid(o))
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--keep-cgroup: invalid cgroup '%s'", o);
                        if ((k = strv_extend(&r.keep_cgroups, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_JOB_CGROUP_PARENT:
                        if (!ep_cgroup_path_valid(o))
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--job-cgroup-parent: invalid cgroup '%s'", o);
                        if ((k = strv_extend(&r.job_cgroup_parents, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_MOM_NAME:
                        if (isempty(o) || strlen(o) > 15)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--mom-name: invalid name '%s'", o);
                        if ((k = set_str(&r.mom_name, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_POLICY:
                        if (!policy_name_valid(o))
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--policy: invalid policy name '%s'", o);
                        if ((k = set_str(&r.policy_name, o)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_POLICY_DIR:
                        if ((k = set_path_opt(&r.policy_dir, o, "--policy-dir", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_DRY_RUN:
                        r.dry_run = true;
                        break;
                case ARG_JSON:
                        r.json = true;
                        break;
                case ARG_UID_RANGE:
                        if (parse_uid_range(o, &r.uid_range_min, &r.uid_range_max) < 0)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--uid-range: need MIN-MAX (e.g. 61000-61999), got '%s'", o);
                        r.have_uid_range = true;
                        break;
                case ARG_DEADLINE:
                        if (parse_duration(o, &r.deadline) < 0 || r.deadline == 0 || r.deadline > 3600 * USEC_PER_SEC)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--deadline: need a duration up to 1h (e.g. 30s), got '%s'", o);
                        break;
                case ARG_LOG_FILE:
                        if ((k = set_path_opt(&r.log_file, o, "--log-file", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_ROOT:
                        if ((k = set_path_opt(&r.root, o, "--root", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_PROC:
                        if ((k = set_path_opt(&r.paths.proc, o, "--proc", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_CRON_SPOOL:
                        if ((k = set_path_opt(&r.paths.cron_spool, o, "--cron-spool", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_AT_SPOOL:
                        if ((k = set_path_opt(&r.paths.at_spool, o, "--at-spool", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_CRON_ALLOW:
                        if ((k = set_path_opt(&r.paths.cron_allow, o, "--cron-allow", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_AT_ALLOW:
                        if ((k = set_path_opt(&r.paths.at_allow, o, "--at-allow", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_LINGER_DIR:
                        if ((k = set_path_opt(&r.paths.linger_dir, o, "--linger-dir", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case ARG_LOGIND:
                        if (streq(o, "auto"))
                                r.logind = EP_LOGIND_AUTO;
                        else if (streq(o, "yes"))
                                r.logind = EP_LOGIND_YES;
                        else if (streq(o, "no"))
                                r.logind = EP_LOGIND_NO;
                        else
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--logind: need auto, yes or no, got '%s'", o);
                        break;
                case ARG_QUARANTINE_DIR:
                        if ((k = set_path_opt(&r.paths.quarantine_dir, o, "--quarantine-dir", ret_error)) < 0)
                                return ep_request_done(&r), k;
                        break;
                case 'v':
                        r.verbose = true;
                        break;
                case 'q':
                        r.quiet = true;
                        break;
                case 'h':
                        ep_help(stdout);
                        ep_request_done(&r);
                        return 1;
                case ARG_VERSION:
                        printf("corral-epilogue %s\n", CORRAL_VERSION);
                        ep_request_done(&r);
                        return 1;
                case '?':
                default:
                        if (optopt && optopt < 0x100)
                                k = ep_usage_error(ret_error, "unknown option '-%c' (see --help)", optopt);
                        else if (optopt)
                                k = ep_usage_error(ret_error, "option '%s' needs an argument (see --help)",
                                                   argv[optind - 1]);
                        else
                                k = ep_usage_error(ret_error, "unknown option '%s' (see --help)", argv[optind - 1]);
                        ep_request_done(&r);
                        return k;
                }
                if (torque)
                        break;
        }

        if ((int) torque + (int) slurm + (int) sge + (int) sweep > 1)
                return ep_request_done(&r),
                       ep_usage_error(ret_error, "--torque, --slurm, --sge and --sweep exclude each other");
        /* Grid Engine's epilog environment, with no other mode asked for:
         * its own (a `--user $job_owner --job $job_id` epilog would
         * otherwise spare none of the user's other running jobs) */
        if (!torque && !slurm && !sweep && !r.cgroup && !r.have_uid && sge_env_present(envp))
                sge = true;

        if (torque) {
                /* shape-detected: all of argv[1..]; after --torque: the rest */
                int first = optind > 0 && optind <= argc && argv[optind - 1] && streq(argv[optind - 1], "--torque")
                                    ? optind
                                    : 1;
                if (have_user || r.cgroup || r.job)
                        return ep_request_done(&r),
                               ep_usage_error(ret_error,
                                              "--user, --uid, --job and --cgroup do not go with Torque's argv");
                k = parse_torque_argv(&r, argc - first, argv + first, ret_error);
                if (k < 0)
                        return ep_request_done(&r), k;
                r.mode = EP_MODE_TORQUE;
        } else {
                if (optind < argc)
                        return ep_request_done(&r),
                               ep_usage_error(ret_error, "unexpected argument '%s' (see --help)", argv[optind]);
                if (slurm) {
                        if (have_user || r.job)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error, "--slurm takes the user and job from SLURM_JOB_*, "
                                                                 "not from --user/--uid/--job");
                        k = parse_slurm_env(&r, envp, ret_error);
                        if (k < 0)
                                return ep_request_done(&r), k;
                        r.mode = EP_MODE_SLURM;
                } else if (sge) {
                        if (r.have_uid || r.cgroup)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--sge takes the user from USER (or --user) and the job "
                                                      "from JOB_ID: no --uid or --cgroup");
                        k = parse_sge_env(&r, envp, ret_error);
                        if (k < 0)
                                return ep_request_done(&r), k;
                        r.mode = EP_MODE_SGE;
                } else if (sweep) {
                        if (have_user || r.job || r.cgroup)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "--sweep cleans every user: no --user, --uid, --job or --cgroup");
                        r.mode = EP_MODE_SWEEP;
                } else {
                        if (!have_user)
                                return ep_request_done(&r),
                                       ep_usage_error(ret_error,
                                                      "say whose job ended: --user USER, --slurm, --sge, --torque "
                                                      "ARGS... or --sweep (see --help)");
                        r.mode = EP_MODE_CORRAL;
                }
        }

        *ret = r;
        return 0;
}

static int path_join(char **dst, const char *root, const char *path) {
        if (*dst)
                return 0;
        if (asprintf(dst, "%s%s", root ? root : "", path) < 0) {
                *dst = NULL;
                return -ENOMEM;
        }
        return 0;
}

int ep_resolve_paths(EpRequest *r, const Policy *p) {
        const char *root = r->root && !streq(r->root, "/") ? r->root : NULL;
        EpPaths *x = &r->paths;

        if (!x->proc && !(x->proc = strdup("/proc")))
                return -ENOMEM;
        if (path_join(&x->cron_spool, root, "/var/spool/cron/crontabs") < 0 ||
            path_join(&x->at_spool, root, "/var/spool/cron/atjobs") < 0 ||
            path_join(&x->cron_allow, root, "/etc/cron.allow") < 0 ||
            path_join(&x->at_allow, root, "/etc/at.allow") < 0 ||
            path_join(&x->linger_dir, root, "/var/lib/systemd/linger") < 0 ||
            path_join(&x->quarantine_dir, root, p->quarantine_dir) < 0)
                return -ENOMEM;
        for (char **d = p->tmp_dirs; d && *d; d++) {
                char *j = NULL;
                if (path_join(&j, root, *d) < 0 || strv_consume(&x->tmp_dirs, j) < 0)
                        return -ENOMEM;
        }
        /* corral's parent as the cgroupfs backend makes it, and as the
         * systemd backend's slice */
        if (!r->job_cgroup_parents) {
                char slice[SYSTEMD_UNIT_NAME_MAX], path[SYSTEMD_UNIT_NAME_MAX * 2];
                if (systemd_slice_name("corral", sizeof slice, slice) < 0 ||
                    systemd_slice_path(slice, sizeof path, path) < 0)
                        return -EINVAL;
                if (strv_extend(&r->job_cgroup_parents, "/corral") < 0 || strv_extend(&r->job_cgroup_parents, path) < 0)
                        return -ENOMEM;
        }
        if (!r->mom_name && !(r->mom_name = strdup("pbs_mom")))
                return -ENOMEM;
        return 0;
}
