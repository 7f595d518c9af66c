/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-epilogue-request.c — corral-epilogue's request without argv
 * (epilogue-api.h, epilogue/request.c): epilogue_request_to_argv() is
 * parsed back by ep_parse_args() into the same request, for requests as
 * corrald's root helper fills them (whose argv is the one the helper used to
 * build by hand) and for every option; what the parser makes always
 * validates; invalid requests are refused by ep_request_validate(),
 * epilogue_request_to_argv() and epilogue_run(), each with a message that
 * names the option. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epilogue-api.h"
#include "epilogue.h"
#include "parse.h"
#include "strv.h"

static int parse(char **argv, char **envp, EpRequest *r, char **err) {
        return ep_parse_args((int) strv_length(argv), argv, envp, r, err);
}

static void assert_str_eq_null(const char *a, const char *b, const char *what) {
        if (!a || !b)
                ck_assert_msg(a == b, "%s: '%s' != '%s'", what, a ?: "(null)", b ?: "(null)");
        else
                ck_assert_msg(streq(a, b), "%s: '%s' != '%s'", what, a, b);
}

static void assert_strv_eq(char *const *a, char *const *b, const char *what) {
        ck_assert_msg(strv_length(a) == strv_length(b), "%s: %zu != %zu entries", what, strv_length(a), strv_length(b));
        ck_assert_msg(!a == !b, "%s: NULL and a list", what);
        for (size_t i = 0; a && a[i]; i++)
                ck_assert_msg(streq(a[i], b[i]), "%s[%zu]: '%s' != '%s'", what, i, a[i], b[i]);
}

/* Every field of the request. */
static void assert_request_eq(const EpRequest *a, const EpRequest *b) {
        ck_assert_int_eq(a->mode, b->mode);
        assert_str_eq_null(a->user, b->user, "user");
        ck_assert_int_eq(a->have_uid, b->have_uid);
        if (a->have_uid)
                ck_assert_uint_eq(a->uid, b->uid);
        ck_assert_int_eq(a->have_gid, b->have_gid);
        if (a->have_gid)
                ck_assert_uint_eq(a->gid, b->gid);
        assert_str_eq_null(a->job, b->job, "job");
        assert_str_eq_null(a->cgroup, b->cgroup, "cgroup");
        ck_assert_int_eq(a->session, b->session);
        assert_str_eq_null(a->group, b->group, "group");
        assert_str_eq_null(a->job_name, b->job_name, "job_name");
        assert_str_eq_null(a->limits, b->limits, "limits");
        assert_str_eq_null(a->resources, b->resources, "resources");
        assert_str_eq_null(a->queue, b->queue, "queue");
        assert_str_eq_null(a->account, b->account, "account");
        assert_str_eq_null(a->exit_status, b->exit_status, "exit_status");
        assert_str_eq_null(a->script, b->script, "script");
        ck_assert_uint_eq(a->n_keep_sessions, b->n_keep_sessions);
        for (size_t i = 0; i < a->n_keep_sessions; i++)
                ck_assert_int_eq(a->keep_sessions[i], b->keep_sessions[i]);
        assert_strv_eq(a->keep_cgroups, b->keep_cgroups, "keep_cgroups");
        assert_strv_eq(a->job_cgroup_parents, b->job_cgroup_parents, "job_cgroup_parents");
        assert_str_eq_null(a->mom_name, b->mom_name, "mom_name");
        assert_str_eq_null(a->policy_name, b->policy_name, "policy_name");
        assert_str_eq_null(a->policy_dir, b->policy_dir, "policy_dir");
        ck_assert_int_eq(a->dry_run, b->dry_run);
        ck_assert_int_eq(a->json, b->json);
        ck_assert_int_eq(a->verbose, b->verbose);
        ck_assert_int_eq(a->quiet, b->quiet);
        ck_assert_int_eq(a->logind, b->logind);
        ck_assert_int_eq(a->have_uid_range, b->have_uid_range);
        if (a->have_uid_range) {
                ck_assert_uint_eq(a->uid_range_min, b->uid_range_min);
                ck_assert_uint_eq(a->uid_range_max, b->uid_range_max);
        }
        ck_assert_uint_eq(a->deadline, b->deadline);
        assert_str_eq_null(a->log_file, b->log_file, "log_file");
        assert_str_eq_null(a->root, b->root, "root");
        assert_str_eq_null(a->paths.proc, b->paths.proc, "proc");
        assert_str_eq_null(a->paths.cron_spool, b->paths.cron_spool, "cron_spool");
        assert_str_eq_null(a->paths.at_spool, b->paths.at_spool, "at_spool");
        assert_str_eq_null(a->paths.cron_allow, b->paths.cron_allow, "cron_allow");
        assert_str_eq_null(a->paths.at_allow, b->paths.at_allow, "at_allow");
        assert_str_eq_null(a->paths.linger_dir, b->paths.linger_dir, "linger_dir");
        assert_str_eq_null(a->paths.quarantine_dir, b->paths.quarantine_dir, "quarantine_dir");
        assert_strv_eq(a->paths.tmp_dirs, b->paths.tmp_dirs, "tmp_dirs");
}

/* req -> argv -> ep_parse_args() gives req again; *ret_argv (if not NULL)
 * gets the argv. */
static void assert_round_trip(const EpRequest *req, char ***ret_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_(ep_request_done) EpRequest back = {};
        _cleanup_free_ char *err = NULL;

        ck_assert_int_eq(ep_request_validate(req, &err), 0);
        ck_assert_int_eq(epilogue_request_to_argv(req, &argv), 0);
        ck_assert_str_eq(argv[0], "corral-epilogue");
        ck_assert_msg(parse(argv, NULL, &back, &err) == 0, "argv does not parse: %s", err ?: "");
        assert_request_eq(req, &back);
        if (ret_argv)
                *ret_argv = TAKE_PTR(argv);
}

/* A request as req_epilogue() in supervisor/core/helper.c fills it. */
static void helper_request(EpRequest *r, const char *job, const pid_t *sessions, size_t n_sessions, bool dry_run) {
        *r = (EpRequest){ .mode = EP_MODE_CORRAL, .json = true, .dry_run = dry_run };
        ck_assert_ptr_nonnull(r->user = strdup("corraltest1"));
        ck_assert_ptr_nonnull(r->job = strdup(job));
        ck_assert_ptr_nonnull(r->policy_name = strdup("default"));
        ck_assert_ptr_nonnull(r->policy_dir = strdup("/etc/corral/policies"));
        ck_assert_ptr_nonnull(r->cgroup = strdup("/corral/job-42"));
        ck_assert_int_eq(strv_extend(&r->job_cgroup_parents, "/corral"), 0);
        if (n_sessions > 0) {
                ck_assert_ptr_nonnull(r->keep_sessions = calloc(n_sessions, sizeof(pid_t)));
                memcpy(r->keep_sessions, sessions, n_sessions * sizeof(pid_t));
                r->n_keep_sessions = n_sessions;
        }
}

/* corrald's requests: the argv is exactly the one its helper gave an
 * --epilogue binary before the request was a struct, and parses back. */
START_TEST(test_helper_requests) {
        const pid_t sessions[] = { 4711, 2, 2147483647 };
        char *want_plain[] = { "corral-epilogue",
                               "--user",
                               "corraltest1",
                               "--job",
                               "42",
                               "--policy",
                               "default",
                               "--policy-dir",
                               "/etc/corral/policies",
                               "--cgroup",
                               "/corral/job-42",
                               "--job-cgroup-parent",
                               "/corral",
                               "--json",
                               NULL };
        char *want_full[] = { "corral-epilogue",
                              "--user",
                              "corraltest1",
                              "--job",
                              "42",
                              "--policy",
                              "default",
                              "--policy-dir",
                              "/etc/corral/policies",
                              "--cgroup",
                              "/corral/job-42",
                              "--job-cgroup-parent",
                              "/corral",
                              "--json",
                              "--keep-session",
                              "4711,2,2147483647",
                              "--dry-run",
                              NULL };
        _cleanup_strv_free_ char **argv = NULL;
        EpRequest r;

        helper_request(&r, "42", NULL, 0, false);
        assert_round_trip(&r, &argv);
        assert_strv_eq(argv, want_plain, "argv");
        argv = strv_free(argv);
        ep_request_done(&r);

        helper_request(&r, "42", sessions, ELEMENTSOF(sessions), true);
        assert_round_trip(&r, &argv);
        assert_strv_eq(argv, want_full, "argv");
        ep_request_done(&r);

        /* the systemd backend's parent, a job id as large as the store's */
        helper_request(&r, "9223372036854775807", sessions, 1, false);
        free(r.cgroup);
        ck_assert_ptr_nonnull(r.cgroup = strdup("/corral.slice/corral-job\\x2d7.scope"));
        free(r.job_cgroup_parents[0]);
        ck_assert_ptr_nonnull(r.job_cgroup_parents[0] = strdup("/corral.slice"));
        assert_round_trip(&r, NULL);
        ep_request_done(&r);
}
END_TEST

/* Every option of corral's mode, at once. */
START_TEST(test_all_options) {
        const pid_t sessions[] = { 17 };
        EpRequest r;

        helper_request(&r, "7", sessions, 1, true);
        r.have_uid = true;
        r.uid = 61001;
        ck_assert_int_eq(strv_extend(&r.keep_cgroups, "/corral/job-8"), 0);
        ck_assert_int_eq(strv_extend(&r.keep_cgroups, "/slurm/uid_61001/job_9"), 0);
        ck_assert_int_eq(strv_extend(&r.job_cgroup_parents, "/corral.slice"), 0);
        ck_assert_ptr_nonnull(r.mom_name = strdup("pbs_mom_x"));
        r.verbose = r.quiet = true;
        r.logind = EP_LOGIND_NO;
        r.have_uid_range = true;
        r.uid_range_min = 61000;
        r.uid_range_max = 61999;
        r.deadline = 1500 * USEC_PER_MSEC + 7; /* not a whole number of any unit but usec */
        ck_assert_ptr_nonnull(r.log_file = strdup("/var/log/corral/epilogue.log"));
        ck_assert_ptr_nonnull(r.root = strdup("/tmp/root"));
        ck_assert_ptr_nonnull(r.paths.proc = strdup("/tmp/proc"));
        ck_assert_ptr_nonnull(r.paths.cron_spool = strdup("/tmp/root/cron"));
        ck_assert_ptr_nonnull(r.paths.at_spool = strdup("/tmp/root/at"));
        ck_assert_ptr_nonnull(r.paths.cron_allow = strdup("/tmp/root/cron.allow"));
        ck_assert_ptr_nonnull(r.paths.at_allow = strdup("/tmp/root/at.allow"));
        ck_assert_ptr_nonnull(r.paths.linger_dir = strdup("/tmp/root/linger"));
        ck_assert_ptr_nonnull(r.paths.quarantine_dir = strdup("/tmp/root/q"));
        assert_round_trip(&r, NULL);

        r.logind = EP_LOGIND_YES;
        r.deadline = 3600 * USEC_PER_SEC;
        assert_round_trip(&r, NULL);

        /* --uid alone names the user too */
        free(r.user);
        r.user = NULL;
        free(r.job);
        r.job = NULL;
        assert_round_trip(&r, NULL);
        ep_request_done(&r);
}
END_TEST

START_TEST(test_sweep_and_torque) {
        EpRequest r = { .mode = EP_MODE_SWEEP, .dry_run = true };
        _cleanup_strv_free_ char **argv = NULL;

        ck_assert_int_eq(strv_extend(&r.keep_cgroups, "/corral/job-3"), 0);
        ck_assert_ptr_nonnull(r.root = strdup("/srv/node"));
        assert_round_trip(&r, NULL);
        ep_request_done(&r);

        /* Torque: the options, then pbs_mom's 10 or 11 arguments */
        r = (EpRequest){ .mode = EP_MODE_TORQUE, .session = 4711, .json = true };
        ck_assert_ptr_nonnull(r.job = strdup("42[3].srv"));
        ck_assert_ptr_nonnull(r.user = strdup("alice"));
        ck_assert_ptr_nonnull(r.group = strdup(""));
        ck_assert_ptr_nonnull(r.job_name = strdup("-dash and space"));
        ck_assert_ptr_nonnull(r.limits = strdup("walltime=1:00:00"));
        ck_assert_ptr_nonnull(r.resources = strdup("cput=0,mem=1kb"));
        ck_assert_ptr_nonnull(r.queue = strdup("batch"));
        ck_assert_ptr_nonnull(r.account = strdup(""));
        ck_assert_ptr_nonnull(r.exit_status = strdup("-11"));
        ck_assert_ptr_nonnull(r.mom_name = strdup("pbs_mom"));
        assert_round_trip(&r, &argv);
        ck_assert_uint_eq(strv_length(argv), 1 + 1 + 2 + 1 + 10); /* --json, --mom-name NAME, --torque */
        ck_assert_str_eq(argv[4], "--torque");
        ck_assert_str_eq(argv[5], "42[3].srv");
        ck_assert_str_eq(argv[9], "4711");
        argv = strv_free(argv);

        r.session = 0;
        ck_assert_ptr_nonnull(r.script = strdup("/var/spool/torque/mom_priv/jobs/42.SC"));
        assert_round_trip(&r, &argv);
        ck_assert_uint_eq(strv_length(argv), 1 + 1 + 2 + 1 + 11);
        ep_request_done(&r);
}
END_TEST

/* What the parser makes validates (epilogue_main() runs it through
 * epilogue_run(), which validates: a stricter check would change the
 * program), and argv-only requests survive parse -> argv -> parse. */
START_TEST(test_parsed_requests_validate) {
        char *corral[] = { "e",           "--user",        "dave",           "--job", "5",
                           "--cgroup",    "/corral/job-5", "--keep-session", "10,11", "--uid-range",
                           "61000-61999", "--root",        "/tmp/x",         "-v",    "--deadline",
                           "30s",         "--logind",      "auto",           NULL };
        char *uid_only[] = { "e", "--uid", "61001", "--keep-cgroup", "/a", "--keep-cgroup", "/b/c", "-q", NULL };
        char *sweep[] = { "e", "--sweep", "--dry-run", "--json", "--mom-name", "pbs_mom", NULL };
        char *torque[] = { "epilogue",         "42.srv",         "alice", "users", "my job", "4711",
                           "walltime=1:00:00", "cput=0,mem=1kb", "batch", "acct",  "0",      NULL };
        char *torque_forced[] = {
                "e", "--json", "--torque", "1.s", "bob", "", "", "0", "", "", "", "", "", "/x", NULL
        };
        char *slurm[] = { "e", "--slurm", "--cgroup", "/slurm/uid_1001/job_99", NULL };
        char *slurm_env[] = { "SLURM_JOB_ID=99", "SLURM_JOB_UID=1001", "SLURM_JOB_USER=carol", "SLURM_JOB_GID=100",
                              NULL };
        char *sge[] = { "e", "--user", "erin", "--job", "12", NULL };
        char *sge_env[] = { "JOB_ID=12",
                            "SGE_TASK_ID=3",
                            "SGE_JOB_SPOOL_DIR=/s/active_jobs/12.3",
                            "USER=erin",
                            "JOB_NAME=sim",
                            "QUEUE=all.q",
                            "SGE_JOBEXIT_STAT=3",
                            NULL };
        struct {
                char **argv, **envp;
                EpMode mode;
                bool expressible;
        } cases[] = {
                { corral, NULL, EP_MODE_CORRAL, true },        { uid_only, NULL, EP_MODE_CORRAL, true },
                { sweep, NULL, EP_MODE_SWEEP, true },          { torque, NULL, EP_MODE_TORQUE, true },
                { torque_forced, NULL, EP_MODE_TORQUE, true }, { slurm, slurm_env, EP_MODE_SLURM, false },
                { sge, sge_env, EP_MODE_SGE, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(ep_request_done) EpRequest r = {}, copy = {};
                _cleanup_free_ char *err = NULL;
                _cleanup_strv_free_ char **argv = NULL;

                ck_assert_msg(parse(cases[i].argv, cases[i].envp, &r, &err) == 0, "case %zu: %s", i, err ?: "");
                ck_assert_int_eq(r.mode, cases[i].mode);
                ck_assert_msg(ep_request_validate(&r, &err) == 0, "case %zu: %s", i, err ?: "");
                ck_assert_int_eq(ep_request_copy(&r, &copy), 0);
                assert_request_eq(&r, &copy);
                if (cases[i].expressible)
                        assert_round_trip(&r, NULL);
                else
                        ck_assert_int_eq(epilogue_request_to_argv(&r, &argv), -EOPNOTSUPP);
        }
}
END_TEST

/* A copy shares nothing with its original. */
START_TEST(test_copy_is_deep) {
        const pid_t sessions[] = { 5, 6 };
        _cleanup_(ep_request_done) EpRequest copy = {};
        EpRequest r;

        helper_request(&r, "1", sessions, 2, false);
        ck_assert_ptr_nonnull(r.paths.proc = strdup("/proc"));
        ck_assert_int_eq(strv_extend(&r.paths.tmp_dirs, "/tmp"), 0);
        ck_assert_int_eq(ep_request_copy(&r, &copy), 0);
        assert_request_eq(&r, &copy);
        ck_assert_ptr_ne(copy.user, r.user);
        ck_assert_ptr_ne(copy.keep_sessions, r.keep_sessions);
        ck_assert_ptr_ne(copy.job_cgroup_parents, r.job_cgroup_parents);
        ck_assert_ptr_ne(copy.job_cgroup_parents[0], r.job_cgroup_parents[0]);
        ck_assert_ptr_ne(copy.paths.tmp_dirs[0], r.paths.tmp_dirs[0]);
        ep_request_done(&r);
        ck_assert_str_eq(copy.user, "corraltest1");
        ck_assert_int_eq(copy.keep_sessions[1], 6);
        ck_assert_str_eq(copy.paths.tmp_dirs[0], "/tmp");
}
END_TEST

/* One way to spoil a valid request, and what the message must name. */
typedef struct Spoil {
        const char *name;
        void (*spoil)(EpRequest *r);
        const char *message;
} Spoil;

#define SPOIL_STR(field, value)                                                                                        \
        static void spoil_##field(EpRequest *r) {                                                                      \
                free(r->field);                                                                                        \
                ck_assert_ptr_nonnull(r->field = strdup(value));                                                       \
        }
SPOIL_STR(user, "../etc")
SPOIL_STR(job, "4/2")
SPOIL_STR(cgroup, "/corral/../x")
SPOIL_STR(policy_name, "../default")
SPOIL_STR(policy_dir, "etc/corral")
SPOIL_STR(log_file, "/var/log/../x")
SPOIL_STR(root, "")
SPOIL_STR(mom_name, "a_name_longer_than_15")
SPOIL_STR(group, "users")
SPOIL_STR(exit_status, "1")

static void spoil_quarantine(EpRequest *r) {
        ck_assert_ptr_nonnull(r->paths.quarantine_dir = strdup("q"));
}
static void spoil_session_zero(EpRequest *r) {
        r->keep_sessions[0] = 0;
}
static void spoil_sessions_missing(EpRequest *r) {
        free(r->keep_sessions);
        r->keep_sessions = NULL;
}
static void spoil_keep_cgroup(EpRequest *r) {
        ck_assert_int_eq(strv_extend(&r->keep_cgroups, "relative"), 0);
}
static void spoil_parent(EpRequest *r) {
        ck_assert_int_eq(strv_extend(&r->job_cgroup_parents, "/a/.."), 0);
}
static void spoil_no_user(EpRequest *r) {
        free(r->user);
        r->user = NULL;
}
static void spoil_uid(EpRequest *r) {
        r->have_uid = true;
        r->uid = (uid_t) -1;
}
static void spoil_gid(EpRequest *r) {
        r->have_gid = true;
        r->gid = 100;
}
static void spoil_sweep(EpRequest *r) {
        r->mode = EP_MODE_SWEEP;
}
static void spoil_torque(EpRequest *r) {
        r->mode = EP_MODE_TORQUE; /* with a --cgroup */
}
static void spoil_sge(EpRequest *r) {
        r->mode = EP_MODE_SGE; /* with a --cgroup */
}
static void spoil_slurm_job(EpRequest *r) {
        r->mode = EP_MODE_SLURM;
        free(r->job);
        ck_assert_ptr_nonnull(r->job = strdup("42.srv"));
}
static void spoil_mode(EpRequest *r) {
        r->mode = (EpMode) 99;
}
static void spoil_session(EpRequest *r) {
        r->session = 7;
}
static void spoil_logind(EpRequest *r) {
        r->logind = (EpLogind) 7;
}
static void spoil_uid_range(EpRequest *r) {
        r->have_uid_range = true;
        r->uid_range_min = 62000;
        r->uid_range_max = 61000;
}
static void spoil_deadline(EpRequest *r) {
        r->deadline = 3600 * USEC_PER_SEC + 1;
}
static void spoil_tmp_dirs(EpRequest *r) {
        ck_assert_int_eq(strv_extend(&r->paths.tmp_dirs, "/tmp"), 0);
}

START_TEST(test_invalid_requests) {
        const pid_t sessions[] = { 10, 11 };
        const Spoil spoils[] = {
                { "user", spoil_user, "--user: invalid user name '../etc'" },
                { "job", spoil_job, "--job: invalid job id '4/2'" },
                { "cgroup", spoil_cgroup, "--cgroup: need a cgroup path" },
                { "policy", spoil_policy_name, "--policy: invalid policy name" },
                { "policy dir", spoil_policy_dir, "--policy-dir needs an absolute path" },
                { "log file", spoil_log_file, "--log-file needs an absolute path" },
                { "root", spoil_root, "--root needs an absolute path" },
                { "quarantine dir", spoil_quarantine, "--quarantine-dir needs an absolute path" },
                { "mom name", spoil_mom_name, "--mom-name: invalid name" },
                { "session 0", spoil_session_zero, "--keep-session: invalid session id 0" },
                { "sessions missing", spoil_sessions_missing, "--keep-session: 2 sessions but no list" },
                { "keep cgroup", spoil_keep_cgroup, "--keep-cgroup: invalid cgroup 'relative'" },
                { "parent", spoil_parent, "--job-cgroup-parent: invalid cgroup '/a/..'" },
                { "no user", spoil_no_user, "say whose job ended" },
                { "uid -1", spoil_uid, "--uid: invalid uid" },
                { "gid", spoil_gid, "SLURM_JOB_GID" },
                { "sweep with a user", spoil_sweep, "--sweep cleans every user" },
                { "torque with a cgroup", spoil_torque, "do not go with Torque's argv" },
                { "sge with a cgroup", spoil_sge, "no --uid or --cgroup" },
                { "slurm job id", spoil_slurm_job, "--slurm: invalid SLURM_JOB_ID '42.srv'" },
                { "mode", spoil_mode, "unknown mode 99" },
                { "session outside torque", spoil_session, "only with Torque's argv" },
                { "group outside torque", spoil_group, "only with Torque's argv" },
                { "exit status outside torque/sge", spoil_exit_status, "Grid Engine's environment" },
                { "logind", spoil_logind, "--logind: need auto, yes or no" },
                { "uid range", spoil_uid_range, "--uid-range: need MIN-MAX" },
                { "deadline", spoil_deadline, "--deadline: need a duration up to 1h" },
                { "tmp dirs", spoil_tmp_dirs, "tmp dirs come from the policy" },
        };

        for (size_t i = 0; i < ELEMENTSOF(spoils); i++) {
                _cleanup_(ep_request_done) EpRequest r = {};
                _cleanup_free_ char *err = NULL;
                char **argv = NULL;

                helper_request(&r, "42", sessions, ELEMENTSOF(sessions), true);
                ck_assert_int_eq(ep_request_validate(&r, &err), 0);
                spoils[i].spoil(&r);
                ck_assert_msg(ep_request_validate(&r, &err) == -EINVAL, "%s: accepted", spoils[i].name);
                ck_assert_ptr_nonnull(err);
                ck_assert_msg(strstr(err, spoils[i].message), "%s: message '%s' lacks '%s'", spoils[i].name, err,
                              spoils[i].message);
                ck_assert_msg(epilogue_request_to_argv(&r, &argv) == -EINVAL, "%s: made an argv", spoils[i].name);
                ck_assert_ptr_null(argv);
        }
}
END_TEST

/* epilogue_run() checks the request it is handed, before anything: it
 * returns the usage exit code without looking at the node (no root needed:
 * a request that passed would say "must run as root" with the same code,
 * so the message is checked on stderr). */
START_TEST(test_run_refuses_invalid) {
        _cleanup_(ep_request_done) EpRequest r = {};
        char buf[4096] = "";
        int pfd[2], saved;
        ssize_t n;

        helper_request(&r, "42", NULL, 0, true);
        spoil_user(&r);
        ck_assert_int_eq(pipe(pfd), 0);
        saved = dup(2);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(dup2(pfd[1], 2), 0);
        close(pfd[1]);
        ck_assert_int_eq(epilogue_run(&r), EP_EXIT_USAGE);
        ck_assert_int_ge(dup2(saved, 2), 0);
        close(saved);
        n = read(pfd[0], buf, sizeof buf - 1);
        close(pfd[0]);
        ck_assert_int_gt(n, 0);
        ck_assert_msg(strstr(buf, "--user: invalid user name '../etc'"), "stderr: %s", buf);
}
END_TEST

Suite *epilogue_request_suite(void) {
        Suite *s = suite_create("epilogue-request");
        TCase *tc = tcase_create("request");
        tcase_add_test(tc, test_helper_requests);
        tcase_add_test(tc, test_all_options);
        tcase_add_test(tc, test_sweep_and_torque);
        tcase_add_test(tc, test_parsed_requests_validate);
        tcase_add_test(tc, test_copy_is_deep);
        tcase_add_test(tc, test_invalid_requests);
        tcase_add_test(tc, test_run_refuses_invalid);
        suite_add_tcase(s, tc);
        return s;
}
