/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spank_corral.c — corral's SPANK plugin: the policy's containment applied
 * to every task of a Slurm job (docs/slurm.md says where and why).
 *
 * plugstack.conf:
 *   required /PATH/spank_corral.so policy=NAME [policy_dir=DIR] [selectable=a,b]
 * job:
 *   sbatch|srun|salloc --corral-policy=NAME
 *
 * By context (spank_context()):
 *   slurmd     init: arguments parsed, the default and every selectable
 *              policy loaded; an error (FILE:LINE for a policy) fails init,
 *              and slurmd refuses to start: the admin sees it at once.
 *   sbatch,    init: arguments parsed, --corral-policy registered; the
 *   srun,      option callback refuses a name that is not allowed, so the
 *   salloc     user sees it before the job is queued.
 *   slurmstepd 1. init: arguments parsed, option registered;
 *              2. option callback (remote): the name is recorded;
 *              3. init_post_opt (root, once per step): the policy chosen
 *                 and loaded, its seccomp program and Landlock plan built
 *                 (phase 0), and the step's namespaces made by a helper
 *                 process (phase 1: contain_setup_self(): mount, IPC and
 *                 UTS namespaces, private /tmp and /dev/shm, read-only and
 *                 hidden paths, hostname); slurmstepd keeps an fd of each
 *                 (/proc/HELPER/ns/...) and the helper exits;
 *              4. task_init_privileged (each task, root): setns() into the
 *                 step's namespaces, the policy's rlimits, the bounding,
 *                 inheritable and ambient capabilities dropped (phase 2);
 *              5. task_init (each task, the job's user, after Slurm's
 *                 setuid): capabilities cleared, no_new_privs, Landlock,
 *                 seccomp (phase 4), then Slurm execs the task.
 *              No error is returned before 4: a failing init or
 *              init_post_opt in a batch step makes slurmctld drain the
 *              node, and its message reaches only slurmd's log. Errors are
 *              kept and returned by 4 in every task instead: the task exits
 *              1 before exec, never uncontained, with the message in the
 *              job's stderr and in slurmd's log.
 * The plugin must be `required`: Slurm ignores what an `optional` plugin
 * returns, so jobs would run uncontained when it fails. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "args.h"
#include "conf.h"
#include "policy.h"
#include "step.h"
#include "jobns.h"
#include "strv.h"

SPANK_PLUGIN(corral, 1)

#define LOG_PREFIX "spank_corral: "
#define OPT_NAME "corral-policy"
/* how Slurm passes the option through the job's environment when no
 * launch message carries it (a batch step with --export=NONE keeps only
 * SLURM* variables; plugstack.c _opt_env_name: plugin "corral", option
 * "corral-policy") */
#define OPT_JOB_ENV "SLURM_SPANK__SLURM_SPANK_OPTION_corral_corral_policy"

static SpankArgs args;
static char *chosen; /* --corral-policy, as given (or NULL) */
static Policy *policy; /* slurmstepd: the job's policy, loaded in init_post_opt */
static char **errors; /* slurmstepd: what task_init_privileged reports */
static SpankStep *contained; /* slurmstepd: the step's containment, prepared in init_post_opt */
static char *oom_errors[] = { (char *) "out of memory", NULL };

static int option_cb(int val, const char *optarg, int remote);

static struct spank_option corral_option = {
        .name = (char *) OPT_NAME,
        .arginfo = (char *) "NAME",
        .usage = (char *) "corral containment policy for the job's tasks (one the site lists as selectable)",
        .has_arg = 1,
        .val = 0,
        .cb = option_cb,
};

/* Keeps an error for the tasks (slurmstepd): logged now in slurmd's log,
 * and by every task in the job's stderr. */
static void keep_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void keep_error(const char *fmt, ...) {
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (errors == oom_errors)
                free(msg);
        else if (r < 0 || strv_consume(&errors, msg) < 0) {
                /* still fail closed, with a message */
                strv_free(errors);
                errors = oom_errors;
        }
}

static int log_diags(const ConfDiags *d, bool keep) {
        for (size_t i = 0; i < d->n; i++) {
                const ConfDiag *g = &d->items[i];
                if (g->line)
                        slurm_error(LOG_PREFIX "%s:%u: %s", g->file, g->line, g->msg);
                else
                        slurm_error(LOG_PREFIX "%s: %s", g->file, g->msg);
                if (keep) {
                        if (g->line)
                                keep_error("%s:%u: %s", g->file, g->line, g->msg);
                        else
                                keep_error("%s: %s", g->file, g->msg);
                }
        }
        if (d->truncated)
                slurm_error(LOG_PREFIX "(more errors not shown)");
        return 0;
}

/* Loads name; on error logs every diagnostic (and keeps it for the tasks
 * when keep). Returns 0 or -errno. */
static int load_policy(const char *name, bool keep, Policy **ret) {
        ConfDiags d = { 0 };
        int r = policy_load(args.policy_dir, name, POLICY_STRICT_PERMS, ret, &d);
        if (r < 0) {
                if (d.n == 0) {
                        slurm_error(LOG_PREFIX "policy '%s' in %s: %s", name, args.policy_dir, strerror(-r));
                        if (keep)
                                keep_error("policy '%s' in %s: %s", name, args.policy_dir, strerror(-r));
                } else
                        log_diags(&d, keep);
        }
        conf_diags_clear(&d);
        return r;
}

static int parse_args(int ac, char **av) {
        _cleanup_free_ char *err = NULL;

        spank_args_done(&args);
        int r = spank_args_parse(ac, av, POLICY_DIR_DEFAULT, &args, &err);
        if (r < 0) {
                slurm_error(LOG_PREFIX "plugstack.conf: %s", err ? err : strerror(-r));
                return r;
        }
        return 0;
}

/* slurmd: every policy a job can get must load, or slurmd does not start */
static int init_slurmd(void) {
        _cleanup_free_ char *list = spank_args_allowed_list(&args);
        int failed = 0;

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i <= strv_length(args.selectable); i++) {
                const char *name = i == 0 ? args.policy : args.selectable[i - 1];
                Policy *p = NULL;
                if (i > 0 && strcmp(name, args.policy) == 0)
                        continue;
                if (load_policy(name, false, &p) < 0)
                        failed = -EINVAL;
                policy_free(p);
        }
        if (failed < 0) {
                slurm_error(LOG_PREFIX "the policies above do not load; fix them (corral policy check FILE) and "
                                       "restart slurmd: no job runs on this node without its containment");
                return failed;
        }
        slurm_info(LOG_PREFIX "loaded: default policy '%s', selectable: %s, from %s", args.policy, list,
                   args.policy_dir);
        return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av) {
        spank_context_t ctx = spank_context();
        int r;

        if (ctx == S_CTX_ERROR)
                return 0;
        if (ctx == S_CTX_JOB_SCRIPT)
                return 0;
        r = parse_args(ac, av);
        if (r < 0) {
                if (ctx != S_CTX_REMOTE)
                        return -1;
                /* slurmstepd: failing here drains the node (batch step) and
                 * shows nothing to the user; fail the tasks instead */
                keep_error(
                        "the spank_corral line in plugstack.conf is wrong (see slurmd's log); ask the admin to fix it");
                return 0;
        }
        if (ctx == S_CTX_SLURMD)
                return init_slurmd() < 0 ? -1 : 0;
        if (spank_option_register(sp, &corral_option) != ESPANK_SUCCESS) {
                slurm_error(LOG_PREFIX "cannot register --" OPT_NAME " (another plugin has it?)");
                if (ctx == S_CTX_REMOTE) {
                        keep_error("cannot register --" OPT_NAME);
                        return 0;
                }
                return -1;
        }
        return 0;
}

static int option_cb(int val, const char *optarg, int remote) {
        if (!optarg || !*optarg) {
                slurm_error(LOG_PREFIX "--" OPT_NAME " needs a policy name");
                return -1;
        }
        free(chosen);
        if (!(chosen = strdup(optarg))) {
                if (remote)
                        keep_error("out of memory"); /* else the default policy would apply */
                return -1;
        }
        /* remote: Slurm ignores what this returns; init_post_opt checks it */
        if (remote || !args.policy)
                return 0;
        if (!spank_args_allowed(&args, optarg)) {
                _cleanup_free_ char *list = spank_args_allowed_list(&args);
                slurm_error(LOG_PREFIX "--" OPT_NAME
                                       "=%s: not a policy this site lets jobs choose; fix: use one of: %s",
                            optarg, list ? list : "(out of memory)");
                return -1;
        }
        return 0;
}

/* microseconds on the monotonic clock, for the cost in the log lines */
static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void describe_job(spank_t sp, char *buf, size_t size) {
        uint32_t job = 0, step = 0;

        if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS)
                job = 0;
        if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
                step = 0;
        if (step == SLURM_BATCH_SCRIPT)
                snprintf(buf, size, "job %u batch step", job);
        else if (step == SLURM_EXTERN_CONT)
                snprintf(buf, size, "job %u extern step", job);
        else if (step == SLURM_INTERACTIVE_STEP)
                snprintf(buf, size, "job %u interactive step", job);
        else
                snprintf(buf, size, "job %u step %u", job, step);
}

static uint32_t step_id(spank_t sp) {
        uint32_t step = 0;
        if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
                return 0;
        return step;
}

/* Everything the tasks of this step need, prepared as root in slurmstepd
 * (phases 0 and 1). Errors are kept for the tasks. */
static void prepare_step(spank_t sp, const char *what, uint64_t t0) {
        _cleanup_free_ char *msg = NULL;
        const char *warning = NULL;
        char made[64], skipped[64];
        uid_t uid;
        gid_t gid;

        if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
                keep_error("%s: Slurm did not give the job's uid and gid", what);
                return;
        }
        _cleanup_free_ char *key_s = NULL;
        uint32_t job = 0;
        JobNsKey key = { .dir = args.ns_dir };
        bool share = !args.share_step && spank_get_item(sp, S_JOB_ID, &job) == ESPANK_SUCCESS;
        if (share) {
                if (asprintf(&key_s, "%s %s", policy->name, policy->path ? policy->path : "builtin") < 0) {
                        keep_error("out of memory");
                        return;
                }
                key.job = job;
                key.policy = key_s;
        }
        if (spank_step_prepare(policy, uid, gid, share ? &key : NULL, &contained, &msg, &warning) < 0) {
                keep_error("%s: policy '%s': %s", what, policy->name, msg ? msg : "out of memory");
                return;
        }
        switch (spank_step_shared(contained)) {
        case JOB_SHARED_MADE:
                slurm_info(LOG_PREFIX "%s: the job's namespaces made by this step, for its next steps (%s/%u)", what,
                           args.ns_dir, (unsigned) job);
                break;
        case JOB_SHARED_JOINED:
                slurm_info(LOG_PREFIX "%s: joins the job's namespaces made by an earlier step (%s/%u)", what,
                           args.ns_dir, (unsigned) job);
                break;
        case JOB_SHARED_OTHER_POLICY:
                slurm_info(LOG_PREFIX "%s: the job's namespaces are another policy's: the step gets its own", what);
                break;
        case JOB_SHARED_NO:
                break;
        }
        if (warning)
                slurm_info(LOG_PREFIX "%s: policy '%s': %s; [landlock] mode is auto: the job runs without it", what,
                           policy->name, warning);
        spank_ns_names(spank_step_namespaces(contained), made, sizeof made);
        spank_ns_names(spank_step_skipped(contained), skipped, sizeof skipped);
        slurm_info(LOG_PREFIX "%s: policy '%s' (%s): namespaces made for the step: %s; not applied under Slurm: %s "
                              "(spank_corral(8)); prepared in %llu us [pid %d uid %d euid %d]",
                   what, policy->name, policy->path ? policy->path : "builtin", made, skipped,
                   (unsigned long long) (now_usec() - t0), (int) getpid(), (int) getuid(), (int) geteuid());
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av) {
        char what[64], env[256];
        const char *name;
        uint64_t t0 = now_usec();

        if (spank_context() != S_CTX_REMOTE || errors)
                return 0;
        describe_job(sp, what, sizeof(what));
        /* the extern step (PrologFlags=Contain) runs no task of the job
         * through the task callbacks: nothing to prepare (sharing one set of
         * namespaces per job through it is not done yet, spank_corral(8)) */
        if (step_id(sp) == SLURM_EXTERN_CONT)
                return 0;
        if (!chosen && spank_getenv(sp, OPT_JOB_ENV, env, sizeof(env)) == ESPANK_SUCCESS && env[0] &&
            !(chosen = strdup(env))) {
                keep_error("out of memory");
                return 0;
        }
        name = chosen ? chosen : args.policy;
        if (!spank_args_allowed(&args, name)) {
                _cleanup_free_ char *list = spank_args_allowed_list(&args);
                slurm_error(LOG_PREFIX "%s: --" OPT_NAME "=%s refused: not selectable on this node", what, name);
                keep_error("--" OPT_NAME "=%s: not a policy this site lets jobs choose; fix: use one of: %s", name,
                           list ? list : "(out of memory)");
                return 0;
        }
        if (load_policy(name, true, &policy) < 0) {
                keep_error("policy '%s' does not load on this node (errors above); the job cannot run contained", name);
                return 0;
        }
        prepare_step(sp, what, t0);
        if (errors)
                slurm_error(LOG_PREFIX "%s: %s; every task of the step will fail", what, errors[0]);
        return 0;
}

static int task_refuse(const char *what, int task, const char *msg) {
        slurm_error(LOG_PREFIX "%s: task %d: cannot contain the task: %s", what, task, msg ? msg : "out of memory");
        slurm_error(LOG_PREFIX "the task is not started");
        return -1;
}

static int task_id(spank_t sp) {
        int t = -1;
        if (spank_get_item(sp, S_TASK_ID, &t) != ESPANK_SUCCESS)
                return -1;
        return t;
}

/* Phase 2, in the task, as root (docs/slurm.md §2, 8): the step's
 * namespaces joined, the rlimits, the bounding, inheritable and ambient
 * capabilities dropped. Slurm's own setgroups/setuid come next. */
int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        char what[64], joined[64];
        uint64_t t0 = now_usec();
        int task;

        if (errors) {
                for (char **e = errors; *e; e++)
                        slurm_error(LOG_PREFIX "%s", *e);
                slurm_error(LOG_PREFIX "the task is not started");
                return -1;
        }
        if (!policy || !contained) {
                slurm_error(LOG_PREFIX "no policy was prepared for this step; the task is not started");
                return -1;
        }
        describe_job(sp, what, sizeof(what));
        task = task_id(sp);
        if (spank_step_join(contained, &warnings, &msg) < 0)
                return task_refuse(what, task, msg);
        for (char **w = warnings; w && *w; w++)
                slurm_info(LOG_PREFIX "%s: task %d: warning: %s", what, task, *w);
        spank_ns_names(spank_step_namespaces(contained), joined, sizeof joined);
        slurm_info(LOG_PREFIX "%s: task %d: joined the step's namespaces (%s), rlimits set, bounding set emptied "
                              "in %llu us [pid %d ppid %d uid %d euid %d]",
                   what, task, joined, (unsigned long long) (now_usec() - t0), (int) getpid(), (int) getppid(),
                   (int) getuid(), (int) geteuid());
        return 0;
}

/* Phase 4, in the task, as the job's user, the last SPANK callback before
 * Slurm execs the task: capabilities cleared (checked), no_new_privs,
 * Landlock, then the seccomp filter. */
int slurm_spank_task_init(spank_t sp, int ac, char **av) {
        _cleanup_free_ char *msg = NULL;
        char what[64];
        uint64_t t0 = now_usec();
        int task;

        if (errors || !policy || !contained)
                return -1; /* task_init_privileged already refused */
        describe_job(sp, what, sizeof(what));
        task = task_id(sp);
        if (spank_step_lockdown(contained, &msg) < 0)
                return task_refuse(what, task, msg);
        slurm_info(LOG_PREFIX "%s: task %d: locked down under policy '%s': no capabilities, no_new_privs, "
                              "Landlock %s, seccomp %s, in %llu us [pid %d uid %d euid %d]",
                   what, task, policy->name, spank_step_landlock(contained) ? "on" : "off",
                   policy->seccomp_mode == SECCOMP_MODE_OFF         ? "off"
                   : policy->seccomp_mode == SECCOMP_MODE_ALLOWLIST ? "allowlist"
                                                                    : "denylist",
                   (unsigned long long) (now_usec() - t0), (int) getpid(), (int) getuid(), (int) geteuid());
        return 0;
}

/* On the node when the job ends (slurmd's epilog, root): the job's
 * published namespaces are unmounted and removed; they end with the job's
 * last process. */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av) {
        _cleanup_free_ char *msg = NULL;
        uint32_t job = 0;
        int r;

        /* (slurm_spank_init is not called in this context) */
        if (!args.ns_dir && parse_args(ac, av) < 0)
                return 0;
        if (args.share_step)
                return 0;
        if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) {
                slurm_error(LOG_PREFIX "job epilog: Slurm did not give the job id; nothing removed from %s",
                            args.ns_dir);
                return 0;
        }
        r = jobns_remove(args.ns_dir, job, &msg);
        if (r < 0)
                slurm_error(LOG_PREFIX "job %u epilog: %s", (unsigned) job, msg ? msg : "out of memory");
        else if (r == 0)
                slurm_info(LOG_PREFIX "job %u epilog: the job's namespaces removed from %s", (unsigned) job,
                           args.ns_dir);
        /* never fail the epilog: that would drain the node */
        return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av) {
        spank_step_free(contained);
        contained = NULL;
        policy = policy_free(policy);
        if (errors != oom_errors)
                strv_free(errors);
        errors = NULL;
        free(chosen);
        chosen = NULL;
        spank_args_done(&args);
        return 0;
}
