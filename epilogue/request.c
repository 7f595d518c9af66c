/* SPDX-License-Identifier: GPL-2.0-or-later */
/* request.c — the EpRequest of epilogue-api.h without argv: freeing and
 * copying one, validating one that a caller filled (corrald's root helper)
 * by the rules the parser (conventions.c) applies to each option, and the
 * way back to a command line (epilogue_request_to_argv()) for a caller that
 * execs corral-epilogue. Pure, like conventions.c: no lookups, no files.
 *
 * The parser's output always validates, and the argv of a valid corral,
 * Torque or sweep request parses back into the same request: both are
 * unit-tested (tests/unit/test-epilogue-request.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "epilogue.h"
#include "parse.h"
#include "policy.h"
#include "strv.h"

void ep_request_done(EpRequest *r) {
        free(r->user);
        free(r->job);
        free(r->cgroup);
        free(r->group);
        free(r->job_name);
        free(r->limits);
        free(r->resources);
        free(r->queue);
        free(r->account);
        free(r->exit_status);
        free(r->script);
        free(r->keep_sessions);
        strv_free(r->keep_cgroups);
        strv_free(r->job_cgroup_parents);
        free(r->mom_name);
        free(r->policy_name);
        free(r->policy_dir);
        free(r->log_file);
        free(r->root);
        free(r->paths.proc);
        free(r->paths.cron_spool);
        free(r->paths.at_spool);
        free(r->paths.cron_allow);
        free(r->paths.at_allow);
        free(r->paths.linger_dir);
        free(r->paths.quarantine_dir);
        strv_free(r->paths.tmp_dirs);
        *r = (EpRequest){};
}

static int copy_str(char **dst, const char *src) {
        if (src && !(*dst = strdup(src)))
                return -ENOMEM;
        return 0;
}

static int copy_strv(char ***dst, char *const *src) {
        if (src && !(*dst = strv_copy(src)))
                return -ENOMEM;
        return 0;
}

int ep_request_copy(const EpRequest *r, EpRequest *ret) {
        _cleanup_(ep_request_done) EpRequest c = *r;

        /* the scalars from *r, every pointer made anew */
        c.user = c.job = c.cgroup = c.group = c.job_name = c.limits = c.resources = c.queue = c.account =
                c.exit_status = c.script = c.mom_name = c.policy_name = c.policy_dir = c.log_file = c.root = NULL;
        c.keep_sessions = NULL;
        c.keep_cgroups = c.job_cgroup_parents = NULL;
        c.paths = (EpPaths){};
        if (r->n_keep_sessions > 0) {
                c.keep_sessions = calloc(r->n_keep_sessions, sizeof *c.keep_sessions);
                if (!c.keep_sessions)
                        return -ENOMEM;
                memcpy(c.keep_sessions, r->keep_sessions, r->n_keep_sessions * sizeof *c.keep_sessions);
        }
        if (copy_str(&c.user, r->user) < 0 || copy_str(&c.job, r->job) < 0 || copy_str(&c.cgroup, r->cgroup) < 0 ||
            copy_str(&c.group, r->group) < 0 || copy_str(&c.job_name, r->job_name) < 0 ||
            copy_str(&c.limits, r->limits) < 0 || copy_str(&c.resources, r->resources) < 0 ||
            copy_str(&c.queue, r->queue) < 0 || copy_str(&c.account, r->account) < 0 ||
            copy_str(&c.exit_status, r->exit_status) < 0 || copy_str(&c.script, r->script) < 0 ||
            copy_strv(&c.keep_cgroups, r->keep_cgroups) < 0 ||
            copy_strv(&c.job_cgroup_parents, r->job_cgroup_parents) < 0 || copy_str(&c.mom_name, r->mom_name) < 0 ||
            copy_str(&c.policy_name, r->policy_name) < 0 || copy_str(&c.policy_dir, r->policy_dir) < 0 ||
            copy_str(&c.log_file, r->log_file) < 0 || copy_str(&c.root, r->root) < 0 ||
            copy_str(&c.paths.proc, r->paths.proc) < 0 || copy_str(&c.paths.cron_spool, r->paths.cron_spool) < 0 ||
            copy_str(&c.paths.at_spool, r->paths.at_spool) < 0 ||
            copy_str(&c.paths.cron_allow, r->paths.cron_allow) < 0 ||
            copy_str(&c.paths.at_allow, r->paths.at_allow) < 0 ||
            copy_str(&c.paths.linger_dir, r->paths.linger_dir) < 0 ||
            copy_str(&c.paths.quarantine_dir, r->paths.quarantine_dir) < 0 ||
            copy_strv(&c.paths.tmp_dirs, r->paths.tmp_dirs) < 0)
                return -ENOMEM;
        *ret = c;
        c = (EpRequest){};
        return 0;
}

static bool exit_status_valid(const char *s) {
        int code;
        return isempty(s) || parse_int(s, -100000, 100000, &code) >= 0;
}

/* The options that are paths but --policy-dir, and where they are in a
 * request. */
static const struct PathOption {
        const char *option;
        size_t offset;
} path_options[] = {
        { "--log-file", offsetof(EpRequest, log_file) },
        { "--root", offsetof(EpRequest, root) },
        { "--proc", offsetof(EpRequest, paths.proc) },
        { "--cron-spool", offsetof(EpRequest, paths.cron_spool) },
        { "--at-spool", offsetof(EpRequest, paths.at_spool) },
        { "--cron-allow", offsetof(EpRequest, paths.cron_allow) },
        { "--at-allow", offsetof(EpRequest, paths.at_allow) },
        { "--linger-dir", offsetof(EpRequest, paths.linger_dir) },
        { "--quarantine-dir", offsetof(EpRequest, paths.quarantine_dir) },
};

static const char *path_option_value(const EpRequest *r, size_t i) {
        return *(char *const *) ((const char *) r + path_options[i].offset);
}

static int validate_mode(const EpRequest *r, char **ret_error) {
        bool have_user = r->user || r->have_uid;

        switch (r->mode) {
        case EP_MODE_CORRAL:
                if (!have_user)
                        return ep_usage_error(ret_error, "say whose job ended: --user USER or --uid UID");
                break;
        case EP_MODE_TORQUE:
                if (!r->user || !r->job)
                        return ep_usage_error(ret_error,
                                              "a Torque request needs the job id and the user (arguments 1 and 2)");
                if (r->have_uid || r->cgroup)
                        return ep_usage_error(ret_error, "--uid and --cgroup do not go with Torque's argv");
                if (!isempty(r->group) && !ep_user_name_valid(r->group))
                        return ep_usage_error(ret_error, "Torque argument 3: invalid group name '%s'", r->group);
                if (r->session < 0)
                        return ep_usage_error(ret_error, "Torque argument 5: invalid session id %d", (int) r->session);
                break;
        case EP_MODE_SLURM: {
                uint64_t id;
                if (!r->job || parse_uint64(r->job, 1, UINT32_MAX, &id) < 0)
                        return ep_usage_error(ret_error, "--slurm: invalid SLURM_JOB_ID '%s'", r->job ?: "");
                if (!have_user)
                        return ep_usage_error(ret_error, "--slurm: neither SLURM_JOB_UID nor SLURM_JOB_USER is set");
                break;
        }
        case EP_MODE_SGE:
                if (!r->user || !r->job)
                        return ep_usage_error(ret_error, "--sge: needs the job's USER and JOB_ID");
                if (r->have_uid || r->cgroup)
                        return ep_usage_error(ret_error, "--sge takes the user from USER (or --user) and the job from "
                                                         "JOB_ID: no --uid or --cgroup");
                break;
        case EP_MODE_SWEEP:
                if (have_user || r->job || r->cgroup)
                        return ep_usage_error(ret_error,
                                              "--sweep cleans every user: no --user, --uid, --job or --cgroup");
                break;
        default:
                return ep_usage_error(ret_error, "unknown mode %d", (int) r->mode);
        }

        /* what only Torque's argv and Grid Engine's environment carry */
        if (r->mode != EP_MODE_TORQUE &&
            (r->session || r->group || r->limits || r->resources || r->account || r->script))
                return ep_usage_error(ret_error, "session, group, limits, resources, account and script come only with "
                                                 "Torque's argv (--torque)");
        if (r->mode != EP_MODE_TORQUE && r->mode != EP_MODE_SGE && (r->job_name || r->queue || r->exit_status))
                return ep_usage_error(ret_error, "job name, queue and exit status come only with Torque's argv or Grid "
                                                 "Engine's environment");
        if (!exit_status_valid(r->exit_status))
                return ep_usage_error(ret_error, "invalid exit status '%s'", r->exit_status);
        if (r->have_gid && r->mode != EP_MODE_SLURM)
                return ep_usage_error(ret_error, "a gid comes only from Slurm's SLURM_JOB_GID (--slurm)");
        return 0;
}

int ep_request_validate(const EpRequest *r, char **ret_error) {
        int k;

        *ret_error = NULL;
        if (r->user && !ep_user_name_valid(r->user))
                return ep_usage_error(ret_error, "--user: invalid user name '%s'", r->user);
        if (r->have_uid && r->uid == (uid_t) -1)
                return ep_usage_error(ret_error, "--uid: invalid uid %u", (unsigned) r->uid);
        if (r->have_gid && r->gid == (gid_t) -1)
                return ep_usage_error(ret_error, "invalid gid %u", (unsigned) r->gid);
        if (r->job && !ep_job_id_valid(r->job))
                return ep_usage_error(ret_error, "--job: invalid job id '%s'", r->job);
        if (r->cgroup && !ep_cgroup_path_valid(r->cgroup))
                return ep_usage_error(ret_error, "--cgroup: need a cgroup path like /corral/job-7, got '%s'",
                                      r->cgroup);
        k = validate_mode(r, ret_error);
        if (k < 0)
                return k;

        if (r->n_keep_sessions > 0 && !r->keep_sessions)
                return ep_usage_error(ret_error, "--keep-session: %zu sessions but no list", r->n_keep_sessions);
        for (size_t i = 0; i < r->n_keep_sessions; i++)
                if (r->keep_sessions[i] < 1)
                        return ep_usage_error(ret_error, "--keep-session: invalid session id %d",
                                              (int) r->keep_sessions[i]);
        for (char **c = r->keep_cgroups; c && *c; c++)
                if (!ep_cgroup_path_valid(*c))
                        return ep_usage_error(ret_error, "--keep-cgroup: invalid cgroup '%s'", *c);
        for (char **c = r->job_cgroup_parents; c && *c; c++)
                if (!ep_cgroup_path_valid(*c))
                        return ep_usage_error(ret_error, "--job-cgroup-parent: invalid cgroup '%s'", *c);
        if (r->mom_name && (isempty(r->mom_name) || strlen(r->mom_name) > 15))
                return ep_usage_error(ret_error, "--mom-name: invalid name '%s'", r->mom_name);
        if (r->policy_name && !policy_name_valid(r->policy_name))
                return ep_usage_error(ret_error, "--policy: invalid policy name '%s'", r->policy_name);
        if (r->policy_dir && !conf_path_valid(r->policy_dir))
                return ep_usage_error(ret_error, "--policy-dir needs an absolute path, got '%s'", r->policy_dir);
        for (size_t i = 0; i < ELEMENTSOF(path_options); i++) {
                const char *v = path_option_value(r, i);
                if (v && !conf_path_valid(v))
                        return ep_usage_error(ret_error, "%s needs an absolute path, got '%s'", path_options[i].option,
                                              v);
        }
        if (r->paths.tmp_dirs)
                return ep_usage_error(ret_error, "the tmp dirs come from the policy (tmp_dirs), not from the request");
        if (r->logind != EP_LOGIND_AUTO && r->logind != EP_LOGIND_YES && r->logind != EP_LOGIND_NO)
                return ep_usage_error(ret_error, "--logind: need auto, yes or no, got %d", (int) r->logind);
        if (r->have_uid_range && (r->uid_range_min > r->uid_range_max || r->uid_range_max == (uid_t) -1))
                return ep_usage_error(ret_error, "--uid-range: need MIN-MAX (e.g. 61000-61999), got %u-%u",
                                      (unsigned) r->uid_range_min, (unsigned) r->uid_range_max);
        if (r->deadline > 3600 * USEC_PER_SEC)
                return ep_usage_error(ret_error, "--deadline: need a duration up to 1h, got %" PRIu64 "us",
                                      r->deadline);
        return 0;
}

static int add(char ***argv, const char *option, const char *value) {
        if (strv_extend(argv, option) < 0 || (value && strv_extend(argv, value) < 0))
                return -ENOMEM;
        return 0;
}

static int add_format(char ***argv, const char *option, const char *fmt, ...) _printf_(3, 4);
static int add_format(char ***argv, const char *option, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (strv_extend(argv, option) < 0)
                return free(s), -ENOMEM;
        return strv_consume(argv, s);
}

static int add_sessions(char ***argv, const EpRequest *r) {
        _cleanup_free_ char *list = NULL;
        size_t len = 0, size = r->n_keep_sessions * 12 + 1; /* ",2147483647" each */

        if (r->n_keep_sessions == 0)
                return 0;
        list = malloc(size);
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_keep_sessions; i++)
                len += (size_t) snprintf(list + len, size - len, "%s%d", i ? "," : "", (int) r->keep_sessions[i]);
        return add(argv, "--keep-session", list);
}

/* The options every mode takes, in the order corrald's helper always gave
 * them. */
static int add_common(char ***argv, const EpRequest *r) {
        static const char *const logind[] = { [EP_LOGIND_YES] = "yes", [EP_LOGIND_NO] = "no" };

        if ((r->policy_name && add(argv, "--policy", r->policy_name) < 0) ||
            (r->policy_dir && add(argv, "--policy-dir", r->policy_dir) < 0) ||
            (r->cgroup && add(argv, "--cgroup", r->cgroup) < 0))
                return -ENOMEM;
        for (char **c = r->job_cgroup_parents; c && *c; c++)
                if (add(argv, "--job-cgroup-parent", *c) < 0)
                        return -ENOMEM;
        if ((r->json && add(argv, "--json", NULL) < 0) || add_sessions(argv, r) < 0 ||
            (r->dry_run && add(argv, "--dry-run", NULL) < 0))
                return -ENOMEM;
        for (char **c = r->keep_cgroups; c && *c; c++)
                if (add(argv, "--keep-cgroup", *c) < 0)
                        return -ENOMEM;
        if ((r->mom_name && add(argv, "--mom-name", r->mom_name) < 0) ||
            (r->have_uid_range &&
             add_format(argv, "--uid-range", "%u-%u", (unsigned) r->uid_range_min, (unsigned) r->uid_range_max) < 0) ||
            (r->deadline && add_format(argv, "--deadline", "%" PRIu64 "us", r->deadline) < 0) ||
            (r->logind != EP_LOGIND_AUTO && add(argv, "--logind", logind[r->logind]) < 0) ||
            (r->verbose && add(argv, "--verbose", NULL) < 0) || (r->quiet && add(argv, "--quiet", NULL) < 0))
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(path_options); i++) {
                const char *v = path_option_value(r, i);
                if (v && add(argv, path_options[i].option, v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int epilogue_request_to_argv(const EpRequest *req, char ***ret_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *error = NULL;
        int k = ep_request_validate(req, &error);

        if (k < 0)
                return k;
        if (req->mode == EP_MODE_SLURM || req->mode == EP_MODE_SGE)
                return -EOPNOTSUPP;
        if (strv_extend(&argv, "corral-epilogue") < 0)
                return -ENOMEM;
        switch (req->mode) {
        case EP_MODE_CORRAL:
                if ((req->user && add(&argv, "--user", req->user) < 0) ||
                    (req->have_uid && add_format(&argv, "--uid", "%u", (unsigned) req->uid) < 0) ||
                    (req->job && add(&argv, "--job", req->job) < 0) || add_common(&argv, req) < 0)
                        return -ENOMEM;
                break;
        case EP_MODE_SWEEP:
                if (add(&argv, "--sweep", NULL) < 0 || add_common(&argv, req) < 0)
                        return -ENOMEM;
                break;
        case EP_MODE_TORQUE: {
                /* options, then pbs_mom's argv after --torque */
                const char *positional[] = { req->job,           req->user,        req->group,     req->job_name,
                                             NULL /* session */, req->limits,      req->resources, req->queue,
                                             req->account,       req->exit_status, req->script };
                char session[16];
                size_t n = req->script ? ELEMENTSOF(positional) : ELEMENTSOF(positional) - 1;

                (void) snprintf(session, sizeof session, "%d", (int) req->session);
                positional[4] = session;
                if (add_common(&argv, req) < 0 || add(&argv, "--torque", NULL) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if (strv_extend(&argv, positional[i] ?: "") < 0)
                                return -ENOMEM;
                break;
        }
        default:
                return -EINVAL;
        }
        *ret_argv = TAKE_PTR(argv);
        return 0;
}
