/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epilogue.c — corral-epilogue: leave the node clean after a batch job.
 *
 * epilogue_run() reads top to bottom as the algorithm of corral-epilogue(8);
 * epilogue_main() parses the command line into its request first.
 *   0. how were we called (conventions.c, or a request filled by corrald's
 *      root helper: request.c), which policy, whose job;
 *   1. strip deferred execution first (cronstrip.c, atstrip.c, linger.c,
 *      allowfiles.c): once the crontab and at jobs are out of the spools the
 *      daemons cannot start new processes for the user while we kill, and
 *      the kill's re-scans catch whatever they started just before;
 *   2. snapshot /proc, classify (targets.c), stop every target, report their
 *      listening sockets, kill, re-scan until clean or the deadline (kill.c);
 *   3. the rest of the user's traces (traces.c): SysV IPC objects and files
 *      in the tmp dirs, after the kill, since live processes may use them;
 *   4. report (report.c): one summary line or JSON records; the exit code
 *      says whether the node is clean (0), not clean (1), or we were called
 *      wrong (2). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "epilogue.h"
#include "log.h"
#include "policy.h"
#include "strv.h"

/* The policy: --policy NAME, else "default" from --policy-dir (default
 * POLICY_DIR_DEFAULT). When no --policy was given and the default policy's
 * file does not exist (a node where only the epilogue is installed, without
 * SYSCONFDIR/corral), the built-in defaults apply, as corral-epilogue(8)
 * says; *ret_builtin tells so. A policy named with --policy that does not
 * exist, or any policy file that does not load, is an error. */
static int load_policy(const EpRequest *req, Policy **ret, bool *ret_builtin) {
        _cleanup_(conf_diags_clear) ConfDiags diags = {};
        const char *dir = req->policy_dir ?: POLICY_DIR_DEFAULT;
        const char *name = req->policy_name ?: "default";
        int r;

        *ret_builtin = false;
        r = policy_load(dir, name, POLICY_STRICT_PERMS, ret, &diags);
        if (r == -ENOENT && !req->policy_name) {
                log_notice("no policy file %s/%s.ini, using the built-in defaults (see corral-epilogue(8))", dir, name);
                *ret_builtin = true;
                return policy_new_defaults(ret);
        }
        if (r < 0) {
                conf_diags_print(&diags, stderr);
                return log_error_errno(r, "Failed to load policy '%s' from %s: %m", name, dir);
        }
        return 0;
}

/* Who is the job's user? Fills req->uid/user so that both are known when
 * the account exists. */
static int resolve_user(EpRequest *req) {
        struct passwd *pw;

        if (req->mode == EP_MODE_SWEEP)
                return 0;
        if (req->user) {
                pw = getpwnam(req->user);
                if (!pw) {
                        if (req->have_uid)
                                return 0; /* Slurm gave the uid: enough for processes */
                        log_error("no such user '%s'", req->user);
                        return -ESRCH;
                }
                if (req->have_uid && pw->pw_uid != req->uid) {
                        log_error("user '%s' has uid %u, but the job's uid is %u", req->user, (unsigned) pw->pw_uid,
                                  (unsigned) req->uid);
                        return -EINVAL;
                }
                req->uid = pw->pw_uid;
                req->have_uid = true;
                return 0;
        }
        pw = getpwuid(req->uid);
        if (pw && !(req->user = strdup(pw->pw_name)))
                return -ENOMEM;
        return 0;
}

static int exempt_uids(const Policy *p, uid_t **ret, size_t *ret_n) {
        size_t n = 0;
        uid_t *u = calloc(strv_length(p->exempt_users) + 1, sizeof *u);
        if (!u)
                return -ENOMEM;
        for (char **i = p->exempt_users; i && *i; i++) {
                struct passwd *pw = getpwnam(*i);
                if (pw)
                        u[n++] = pw->pw_uid;
        }
        *ret = u;
        *ret_n = n;
        return 0;
}

static void sync_allow_file(const EpRequest *req, EpReport *rep, const char *path, char *const *users) {
        int r = allowfile_sync(path, users, req->dry_run);
        const char *kind = "allow_file";
        if (r < 0) {
                report_file(rep, kind, NULL, 0, path, NULL, "rewrite", "failed", strerror(-r));
                rep->strip_failures++;
        } else if (r > 0) {
                report_file(rep, kind, NULL, 0, path, NULL, "rewrite", req->dry_run ? "dry-run" : "rewritten", NULL);
                rep->allow_files++;
        }
}

int epilogue_main(int argc, char *argv[], char *envp[]) {
        _cleanup_(ep_request_done) EpRequest req = {};
        _cleanup_free_ char *error = NULL;
        int r;

        log_set_program("corral-epilogue");
        r = ep_parse_args(argc, argv, envp, &req, &error);
        if (r > 0)
                return EP_EXIT_CLEAN; /* --help, --version */
        if (r < 0) {
                log_error("%s", error ?: "out of memory");
                return EP_EXIT_USAGE;
        }
        return epilogue_run(&req);
}

int epilogue_run(const EpRequest *request) {
        _cleanup_(ep_request_done) EpRequest req = {};
        _cleanup_policy_free_ Policy *policy = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ uid_t *exempt = NULL, *busy = NULL;
        size_t n_exempt = 0, n_busy = 0;
        bool builtin_policy;
        EpReport rep = {};
        int r, code;

        log_set_program("corral-epilogue");

        /* 0. the request (parsed by epilogue_main(), or filled by corrald's
         * helper: checked by the same rules), the policy, whose job */
        r = ep_request_validate(request, &error);
        if (r < 0) {
                log_error("%s", error ?: "out of memory");
                return EP_EXIT_USAGE;
        }
        if (ep_request_copy(request, &req) < 0) {
                log_oom();
                return EP_EXIT_USAGE;
        }
        if (req.verbose)
                log_set_max_level(LOG_DEBUG);
        if (geteuid() != 0 && !req.dry_run) {
                log_error("must run as root (or use --dry-run)");
                return EP_EXIT_USAGE;
        }
        /* every target is held by a pidfd until it is gone: a fork bomb of a
         * few thousand processes must not run us out of descriptors (a soft
         * limit of 1024 is the usual default, the hard limit far higher) */
        {
                struct rlimit rl;
                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                        rl.rlim_cur = rl.rlim_max;
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                }
        }
        if (load_policy(&req, &policy, &builtin_policy) < 0)
                return EP_EXIT_USAGE;
        if (ep_resolve_paths(&req, policy) < 0 || exempt_uids(policy, &exempt, &n_exempt) < 0) {
                log_oom();
                return EP_EXIT_USAGE;
        }
        if (resolve_user(&req) < 0)
                return EP_EXIT_USAGE;

        EpTargetRules rules = {
                .mode = req.mode,
                .have_uid = req.have_uid,
                .uid = req.uid,
                .min_uid = (uid_t) policy->ep_min_uid,
                .max_uid = (uid_t) policy->ep_max_uid,
                .have_uid_range = req.have_uid_range,
                .uid_range_min = req.uid_range_min,
                .uid_range_max = req.uid_range_max,
                .exempt_uids = exempt,
                .n_exempt = n_exempt,
                .cgroup = req.cgroup,
                .session = req.session,
                .job = req.mode == EP_MODE_SLURM || req.mode == EP_MODE_SGE || req.mode == EP_MODE_TORQUE ? req.job
                                                                                                          : NULL,
                .keep_sessions = req.keep_sessions,
                .n_keep_sessions = req.n_keep_sessions,
                .keep_cgroups = req.keep_cgroups,
                .job_cgroup_parents = req.job_cgroup_parents,
                .mom_name = req.mom_name,
                .spare_ssh = policy->spare_ssh,
                .self = getpid(),
        };
        rules.user_eligible = req.have_uid && ep_uid_eligible(&rules, req.uid);
        if (req.mode != EP_MODE_SWEEP && !rules.user_eligible)
                log_full_errno(LOG_NOTICE, 0,
                               "user %s (uid %u) is exempt, outside min_uid %u..max_uid %u (a system account) or "
                               "outside --uid-range: only the job's cgroup is cleaned",
                               req.user ?: "?", (unsigned) req.uid, (unsigned) rules.min_uid, (unsigned) rules.max_uid);

        r = report_init(&rep, &req);
        if (r < 0) {
                log_error_errno(r, "Failed to open log file %s: %m", req.log_file ?: "");
                return EP_EXIT_USAGE;
        }
        if (builtin_policy)
                report_detail(&rep, LOG_NOTICE, "no policy file %s/default.ini: the built-in defaults apply",
                              req.policy_dir ?: POLICY_DIR_DEFAULT);

        /* 1. deferred execution: the spools first, see the top of the file.
         * In a sweep the users with a running job keep theirs, so the
         * processes are classified first there (busy uids), which is safe:
         * a sweep runs between jobs. */
        if (req.mode == EP_MODE_SWEEP) {
                r = ep_kill_targets(&req, policy, &rules, &rep, &busy, &n_busy);
                if (r < 0)
                        rep.survivors++;
        }
        if (policy->strip_cron) {
                r = cron_strip(&req, &rules, &rep, busy, n_busy);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read the cron spool %s: %m", req.paths.cron_spool);
                        rep.strip_failures++;
                }
                sync_allow_file(&req, &rep, req.paths.cron_allow, policy->cron_allow);
        }
        if (policy->strip_at) {
                r = at_strip(&req, &rules, &rep, busy, n_busy);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read the at spool %s: %m", req.paths.at_spool);
                        rep.strip_failures++;
                }
                sync_allow_file(&req, &rep, req.paths.at_allow, policy->at_allow);
        }
        if (policy->strip_linger) {
                r = linger_strip(&req, &rules, &rep, busy, n_busy);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read the linger directory %s: %m", req.paths.linger_dir);
                        rep.strip_failures++;
                }
        }

        /* 2. processes: snapshot, classify, stop all, listeners, kill, verify */
        if (req.mode != EP_MODE_SWEEP) {
                r = ep_kill_targets(&req, policy, &rules, &rep, &busy, &n_busy);
                if (r < 0)
                        rep.survivors++;
        }

        /* 3. SysV IPC and tmp files: only now, no process of the user's is left */
        traces_clean(&req, policy, &rules, &rep, busy, n_busy);

        /* 4. report */
        code = report_finish(&rep);
        report_done(&rep);
        return code;
}
