/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-epilogue.c — corral-epilogue's pure parts and its kill loop under
 * fault injection, linked against libepilogue.a like corral-epilogue. Covered: Torque argv shape detection and
 * validation, the Slurm environment, at job headers, /proc/net lines, allow-file comparison, target rules, and
 * ep_kill_targets() with a recycled PID (never signalled) and EPERM (reported as a survivor, exit 1); identity: a root
 * process with the user's effective uid is never touched, a real uid that turns to root between the classification and
 * the stop (injected status) stops nothing, an "sshd" of real uid 0 and another effective uid still pardons; Grid
 * Engine's epilog environment (--sge and detected), and the pardons of running Slurm and Grid Engine jobs over an
 * injected /proc tree (a directory with stat, status, environ and cwd per process): below a root
 * slurmstepd/sge_shepherd of another job, and a daemon by the job id in its environment only while that job's root
 * daemon runs. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit-skip.h"
#include "epilogue.h"
#include "parse.h"

static int parse(char **argv, char **envp, EpRequest *r, char **err) {
        int argc = 0;
        while (argv[argc])
                argc++;
        return ep_parse_args(argc, argv, envp, r, err);
}

/* Running jobs are spared below every --job-cgroup-parent; without one,
 * below both places corral-launch's backends put jobs: /corral (cgroupfs)
 * and /corral.slice (systemd scopes). */
START_TEST(test_job_cgroup_parents) {
        char *argv[] = { "corral-epilogue", "--user", "alice", NULL };
        char *two[] = { "corral-epilogue",    "--user", "alice", "--job-cgroup-parent", "/a", "--job-cgroup-parent",
                        "/b.slice/b-c.slice", NULL };
        char q[] = "/var/lib/corral/quarantine";
        Policy p = { .quarantine_dir = q };
        EpRequest r = {};
        char *err = NULL;

        ck_assert_int_eq(parse(argv, NULL, &r, &err), 0);
        ck_assert_ptr_null(r.job_cgroup_parents);
        ck_assert_int_eq(ep_resolve_paths(&r, &p), 0);
        ck_assert_ptr_nonnull(r.job_cgroup_parents);
        ck_assert_str_eq(r.job_cgroup_parents[0], "/corral");
        ck_assert_str_eq(r.job_cgroup_parents[1], "/corral.slice");
        ck_assert_ptr_null(r.job_cgroup_parents[2]);
        ep_request_done(&r);

        r = (EpRequest){};
        ck_assert_int_eq(parse(two, NULL, &r, &err), 0);
        ck_assert_int_eq(ep_resolve_paths(&r, &p), 0);
        ck_assert_str_eq(r.job_cgroup_parents[0], "/a");
        ck_assert_str_eq(r.job_cgroup_parents[1], "/b.slice/b-c.slice");
        ck_assert_ptr_null(r.job_cgroup_parents[2]);
        ep_request_done(&r);
}
END_TEST

START_TEST(test_torque_shape) {
        char *argv[] = { "epilogue",         "42.srv",         "alice", "users", "my job", "4711",
                         "walltime=1:00:00", "cput=0,mem=1kb", "batch", "acct",  "0",      NULL };
        EpRequest r = {};
        char *err = NULL;
        ck_assert_int_eq(parse(argv, NULL, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_TORQUE);
        ck_assert_str_eq(r.job, "42.srv");
        ck_assert_str_eq(r.user, "alice");
        ck_assert_str_eq(r.group, "users");
        ck_assert_str_eq(r.job_name, "my job");
        ck_assert_int_eq(r.session, 4711);
        ck_assert_str_eq(r.queue, "batch");
        ck_assert_str_eq(r.exit_status, "0");
        ck_assert_ptr_null(r.script);
        ep_request_done(&r);
}
END_TEST

START_TEST(test_torque_forced_11) {
        char *argv[] = { "corral-epilogue",
                         "--dry-run",
                         "--torque",
                         "7[3].srv",
                         "bob",
                         "bob",
                         "j",
                         "0",
                         "",
                         "",
                         "q",
                         "a",
                         "-11",
                         "/var/spool/torque/mom_priv/jobs/7.SC",
                         NULL };
        EpRequest r = {};
        char *err = NULL;
        ck_assert_int_eq(parse(argv, NULL, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_TORQUE);
        ck_assert(r.dry_run);
        ck_assert_str_eq(r.job, "7[3].srv");
        ck_assert_int_eq(r.session, 0);
        ck_assert_str_eq(r.script, "/var/spool/torque/mom_priv/jobs/7.SC");
        ep_request_done(&r);
}
END_TEST

START_TEST(test_torque_malformed) {
        char *nine[] = { "e", "--torque", "1", "u", "g", "n", "1", "l", "r", "q", "a", NULL };
        char *badsid[] = { "e", "1", "u", "g", "n", "12x", "l", "r", "q", "a", "0", NULL };
        char *badjob[] = { "e", "1/2", "u", "g", "n", "1", "l", "r", "q", "a", "0", NULL };
        char *badexit[] = { "e", "1", "u", "g", "n", "1", "l", "r", "q", "a", "zero", NULL };
        EpRequest r = {};
        char *err = NULL;
        ck_assert_int_eq(parse(nine, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "10 or 11 arguments"));
        free(err);
        ck_assert_int_eq(parse(badsid, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "session id"));
        free(err);
        ck_assert_int_eq(parse(badjob, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "job id"));
        free(err);
        ck_assert_int_eq(parse(badexit, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "exit status"));
        free(err);
}
END_TEST

START_TEST(test_slurm_env) {
        char *argv[] = { "e", "--slurm", NULL };
        char *env[] = { "PATH=", "SLURM_JOB_ID=99", "SLURM_JOB_UID=1001", "SLURM_JOB_USER=carol", "SLURM_JOB_GID=100",
                        NULL };
        char *noid[] = { "SLURM_JOB_UID=1001", NULL };
        char *baduid[] = { "SLURM_JOB_ID=9", "SLURM_JOB_UID=-1", NULL };
        char *badid[] = { "SLURM_JOB_ID=9a", "SLURM_JOB_UID=1", NULL };
        EpRequest r = {};
        char *err = NULL;
        ck_assert_int_eq(parse(argv, env, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_SLURM);
        ck_assert_str_eq(r.job, "99");
        ck_assert(r.have_uid);
        ck_assert_uint_eq(r.uid, 1001);
        ck_assert_str_eq(r.user, "carol");
        ck_assert_uint_eq(r.gid, 100);
        ep_request_done(&r);
        ck_assert_int_eq(parse(argv, noid, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "SLURM_JOB_ID is not set"));
        free(err);
        ck_assert_int_eq(parse(argv, baduid, &r, &err), -EINVAL);
        free(err);
        ck_assert_int_eq(parse(argv, badid, &r, &err), -EINVAL);
        free(err);
}
END_TEST

START_TEST(test_sge_env) {
        char *flag[] = { "e", "--sge", NULL };
        char *none[] = { "e", NULL };
        char *dry[] = { "e", "--dry-run", NULL };
        char *owner[] = { "e", "--user", "erin", "--job", "12", NULL };
        char *other_user[] = { "e", "--sge", "--user", "mallory", NULL };
        char *other_job[] = { "e", "--user", "erin", "--job", "13", NULL };
        char *with_slurm[] = { "e", "--slurm", NULL };
        char *env[] = { "JOB_ID=12",
                        "SGE_TASK_ID=undefined",
                        "SGE_JOB_SPOOL_DIR=/var/spool/gridengine/execd/n1/active_jobs/12.1",
                        "USER=erin",
                        "JOB_NAME=sim",
                        "QUEUE=all.q",
                        "SGE_JOBEXIT_STAT=3",
                        "SLURM_JOB_ID=5",
                        "SLURM_JOB_UID=1001",
                        NULL };
        char *array[] = { "JOB_ID=12", "SGE_TASK_ID=4", "SGE_JOB_SPOOL_DIR=/s/active_jobs/12.4", "USER=erin", NULL };
        char *wrong_dir[] = { "JOB_ID=12", "SGE_TASK_ID=4", "SGE_JOB_SPOOL_DIR=/s/active_jobs/12.1", "USER=erin",
                              NULL };
        char *no_id[] = { "SGE_JOB_SPOOL_DIR=/s/active_jobs/12.1", "USER=erin", NULL };
        char *no_user[] = { "JOB_ID=12", "SGE_JOB_SPOOL_DIR=/s/active_jobs/12.1", NULL };
        char *bad_task[] = { "JOB_ID=12", "SGE_TASK_ID=x", "USER=erin", NULL };
        EpRequest r = {};
        char *err = NULL;
        char key[64];

        ck_assert_int_eq(parse(flag, env, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_SGE);
        ck_assert_str_eq(ep_mode_name(r.mode), "sge");
        ck_assert_str_eq(r.job, "12.1");
        ck_assert_str_eq(r.user, "erin");
        ck_assert_str_eq(r.job_name, "sim");
        ck_assert_str_eq(r.queue, "all.q");
        ck_assert_str_eq(r.exit_status, "3");
        ep_request_done(&r);
        /* detected: no mode asked for, Grid Engine's variables set */
        ck_assert_int_eq(parse(dry, env, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_SGE);
        ck_assert(r.dry_run);
        ep_request_done(&r);
        /* the queue's pseudo variables, when they agree */
        ck_assert_int_eq(parse(owner, env, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_SGE);
        ck_assert_str_eq(r.job, "12.1");
        ep_request_done(&r);
        /* an explicit mode wins over the environment */
        ck_assert_int_eq(parse(with_slurm, env, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_SLURM);
        ep_request_done(&r);
        /* without Grid Engine's environment --user is corral's mode */
        ck_assert_int_eq(parse(owner, NULL, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_CORRAL);
        ep_request_done(&r);
        ck_assert_int_eq(parse(array, NULL, &r, &err), -EINVAL); /* no mode, no SGE env: needs one */
        free(err);
        ck_assert_int_eq(parse(flag, array, &r, &err), 0);
        ck_assert_str_eq(r.job, "12.4");
        ep_request_done(&r);
        ck_assert_int_eq(parse(other_user, env, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "mallory"));
        free(err);
        ck_assert_int_eq(parse(other_job, env, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "JOB_ID"));
        free(err);
        ck_assert_int_eq(parse(flag, wrong_dir, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "SGE_JOB_SPOOL_DIR"));
        free(err);
        ck_assert_int_eq(parse(flag, no_id, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "JOB_ID is not set"));
        free(err);
        ck_assert_int_eq(parse(flag, no_user, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "--user $job_owner"));
        free(err);
        ck_assert_int_eq(parse(flag, bad_task, &r, &err), -EINVAL);
        free(err);
        ck_assert_int_eq(parse(none, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "--sge"));
        free(err);
        ck_assert_int_eq(ep_sge_job_key("7", NULL, key, sizeof key), 0);
        ck_assert_str_eq(key, "7.1");
        ck_assert_int_eq(ep_sge_job_key("7", "3", key, sizeof key), 0);
        ck_assert_str_eq(key, "7.3");
        ck_assert_int_eq(ep_sge_job_key("7x", NULL, key, sizeof key), -EINVAL);
        ck_assert_int_eq(ep_sge_job_key(NULL, NULL, key, sizeof key), -EINVAL);
}
END_TEST

START_TEST(test_options) {
        char *ok_[] = { "e",           "--user",        "dave",           "--job", "5",
                        "--cgroup",    "/corral/job-5", "--keep-session", "10,11", "--uid-range",
                        "61000-61999", "--root",        "/tmp/x",         NULL };
        char *bad_cg[] = { "e", "--user", "dave", "--cgroup", "relative", NULL };
        char *dotdot[] = { "e", "--user", "dave", "--cgroup", "/corral/../x", NULL };
        char *sweep_user[] = { "e", "--sweep", "--user", "dave", NULL };
        char *extra[] = { "e", "--user", "dave", "surprise", NULL };
        EpRequest r = {};
        char *err = NULL;
        ck_assert_int_eq(parse(ok_, NULL, &r, &err), 0);
        ck_assert_int_eq(r.mode, EP_MODE_CORRAL);
        ck_assert_str_eq(r.cgroup, "/corral/job-5");
        ck_assert_uint_eq(r.n_keep_sessions, 2);
        ck_assert_int_eq(r.keep_sessions[1], 11);
        ck_assert_uint_eq(r.uid_range_min, 61000);
        ep_request_done(&r);
        ck_assert_int_eq(parse(bad_cg, NULL, &r, &err), -EINVAL);
        free(err);
        ck_assert_int_eq(parse(dotdot, NULL, &r, &err), -EINVAL);
        free(err);
        ck_assert_int_eq(parse(sweep_user, NULL, &r, &err), -EINVAL);
        free(err);
        ck_assert_int_eq(parse(extra, NULL, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "surprise"));
        free(err);
}
END_TEST

START_TEST(test_at_header) {
        uid_t u = 0;
        ck_assert_int_eq(at_parse_header_uid("#!/bin/sh\n# atrun uid=61761 gid=61761\n# mail x 0\n", &u), 0);
        ck_assert_uint_eq(u, 61761);
        ck_assert_int_eq(at_parse_header_uid("#!/bin/sh\n# atrun uid=12x gid=1\n", &u), -EINVAL);
        ck_assert_int_eq(at_parse_header_uid("#!/bin/sh\necho # atrun uid=0\n", &u), -EINVAL);
        ck_assert_int_eq(at_parse_header_uid("", &u), -EINVAL);
}
END_TEST

START_TEST(test_listener_lines) {
        EpListener l;
        ck_assert_int_eq(listeners_parse_inet_line("   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 "
                                                   "00000000  61753        0 12345 1 0000000000000000 100 0 0 10 0",
                                                   false, false, &l),
                         1);
        ck_assert_str_eq(l.proto, "tcp");
        ck_assert_str_eq(l.address, "127.0.0.1");
        ck_assert_uint_eq(l.port, 631);
        ck_assert_uint_eq(l.inode, 12345);
        ck_assert_uint_eq(l.uid, 61753);
        /* established: not a listener */
        ck_assert_int_eq(listeners_parse_inet_line("   1: 0100007F:0277 0100007F:9C40 01 00000000:00000000 00:00000000 "
                                                   "00000000  0        0 1 1",
                                                   false, false, &l),
                         0);
        ck_assert_int_eq(listeners_parse_inet_line("   0: 00000000000000000000000001000000:1F90 "
                                                   "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                                                   "00:00000000 00000000  0  0 777 1",
                                                   true, false, &l),
                         1);
        ck_assert_str_eq(l.address, "::1");
        ck_assert_uint_eq(l.port, 8080);
        ck_assert_int_eq(listeners_parse_inet_line("  5: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 "
                                                   "00000000 0 0 88 2",
                                                   false, true, &l),
                         1);
        ck_assert_str_eq(l.proto, "udp");
        ck_assert_uint_eq(l.port, 53);
        ck_assert_int_eq(
                listeners_parse_unix_line("0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/x.sock", &l),
                1);
        ck_assert_str_eq(l.address, "/run/x.sock");
        ck_assert_uint_eq(l.inode, 4242);
        ck_assert_int_eq(listeners_parse_unix_line("0000000000000000: 00000003 00000000 00000000 0001 03 4243", &l), 0);
        ck_assert_int_lt(listeners_parse_inet_line("garbage", false, false, &l), 0);
}
END_TEST

START_TEST(test_allow_equal) {
        char *want[] = { "root", "admin", NULL };
        ck_assert(allowfile_content_equal("root\nadmin\n", want));
        ck_assert(allowfile_content_equal("# managed\n admin \n\nroot\n", want));
        ck_assert(!allowfile_content_equal("root\n", want));
        ck_assert(!allowfile_content_equal("root\nadmin\nalice\n", want));
        char *none[] = { NULL };
        ck_assert(allowfile_content_equal("", none));
        ck_assert(!allowfile_content_equal("x\n", none));
}
END_TEST

START_TEST(test_uid_rules) {
        uid_t ex[] = { 61745 };
        EpTargetRules r = { .min_uid = 61740,
                            .have_uid_range = true,
                            .uid_range_min = 61740,
                            .uid_range_max = 61799,
                            .exempt_uids = ex,
                            .n_exempt = 1 };
        ck_assert(!ep_uid_eligible(&r, 0));
        ck_assert(!ep_uid_eligible(&r, 1000));
        ck_assert(!ep_uid_eligible(&r, 61739));
        ck_assert(ep_uid_eligible(&r, 61740));
        ck_assert(!ep_uid_eligible(&r, 61745));
        ck_assert(!ep_uid_eligible(&r, 61800));

        /* max_uid; nobody and "unknown" never, whatever the bounds */
        EpTargetRules w = { .min_uid = 1000, .max_uid = 60000 };
        ck_assert(ep_uid_eligible(&w, 1000));
        ck_assert(ep_uid_eligible(&w, 60000));
        ck_assert(!ep_uid_eligible(&w, 60001));
        ck_assert(!ep_uid_eligible(&w, 64030)); /* Debian's slurm */
        ck_assert(!ep_uid_eligible(&w, 65534));
        w.max_uid = 4294967294U;
        ck_assert(ep_uid_eligible(&w, 64030));
        ck_assert(!ep_uid_eligible(&w, 65534));
        ck_assert(!ep_uid_eligible(&w, (uid_t) -1));
}
END_TEST

START_TEST(test_default_max_uid) {
        _cleanup_policy_free_ Policy *p = NULL;
        ck_assert_int_eq(policy_new_defaults(&p), 0);
        ck_assert_uint_eq(p->ep_min_uid, 1000);
        ck_assert_uint_eq(p->ep_max_uid, 60000);
}
END_TEST

/* ---- ep_kill_targets() under fault injection ---- */

#define TEST_UID 61799

static pid_t inj_pid;
static int (*inj_real_stat_ino)(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid);
static unsigned inj_stats;

/* the victim's /proc entry: the first stat(2) (the snapshot) is true, later
 * ones (the check after pidfd_open) show another inode — the PID was
 * recycled */
static int inj_stat_recycled(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid) {
        char want[16];
        int r = inj_real_stat_ino(dirfd, path, ret_ino, ret_uid);
        (void) snprintf(want, sizeof want, "%d", (int) inj_pid);
        if (r == 0 && strcmp(path, want) == 0 && inj_stats++ > 0)
                (*ret_ino)++;
        return r;
}

static int inj_signal_eperm(int pidfd, int sig) {
        (void) pidfd;
        (void) sig;
        return -EPERM;
}

static pid_t spawn_test_uid_sleeper(void) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (setresgid(TEST_UID, TEST_UID, TEST_UID) < 0 || setresuid(TEST_UID, TEST_UID, TEST_UID) < 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        /* wait until it runs as the test uid */
        for (int i = 0; i < 200; i++) {
                char path[64], buf[4096];
                FILE *f;
                snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
                f = fopen(path, "re");
                if (f) {
                        size_t n = fread(buf, 1, sizeof buf - 1, f);
                        fclose(f);
                        buf[n] = '\0';
                        if (strstr(buf, "Uid:\t61799\t"))
                                break;
                }
                usleep(5000);
        }
        return pid;
}

static int run_kill_ssh(EpReport *rep, EpRequest *req, bool spare_ssh) {
        _cleanup_policy_free_ Policy *p = NULL;
        uid_t *busy = NULL;
        size_t n_busy = 0;
        int r;

        ck_assert_int_eq(policy_new_defaults(&p), 0);
        *req = (EpRequest){ .mode = EP_MODE_CORRAL,
                            .have_uid = true,
                            .uid = TEST_UID,
                            .quiet = true,
                            .deadline = 300 * USEC_PER_MSEC };
        req->paths.proc = strdup("/proc");
        EpTargetRules rules = { .mode = EP_MODE_CORRAL,
                                .have_uid = true,
                                .uid = TEST_UID,
                                .user_eligible = true,
                                .min_uid = 61740,
                                .have_uid_range = true,
                                .uid_range_min = TEST_UID,
                                .uid_range_max = TEST_UID,
                                .spare_ssh = spare_ssh,
                                .self = getpid() };
        ck_assert_int_eq(report_init(rep, req), 0);
        r = ep_kill_targets(req, p, &rules, rep, &busy, &n_busy);
        free(busy);
        return r;
}

static int run_kill(EpReport *rep, EpRequest *req) {
        return run_kill_ssh(rep, req, false);
}

/* State of pid (stat field 3), or 0. */
static char state_of(pid_t pid) {
        char path[64], buf[512];
        FILE *f;
        size_t n;
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits (up to 10 s) until pid's real uid, read from status, is uid. */
static void wait_real_uid(pid_t pid, uid_t uid) {
        char path[64], buf[2048];
        for (int i = 0; i < 10000; i++) {
                FILE *f;
                size_t n;
                unsigned ruid;
                const char *u;
                snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
                f = fopen(path, "re");
                if (f) {
                        n = fread(buf, 1, sizeof buf - 1, f);
                        fclose(f);
                        buf[n] = '\0';
                        u = strstr(buf, "\nUid:");
                        if (u && sscanf(u + 5, "%u", &ruid) == 1 && ruid == uid)
                                return;
                }
                usleep(1000);
        }
        ck_abort_msg("process %d never took uid %u", (int) pid, (unsigned) uid);
}

/* A root process that switched only its effective uid to TEST_UID and made
 * itself dumpable again (slurmstepd does both): /proc/PID is TEST_UID's.
 * With name: it is called that, and forks a child of TEST_UID (all ids),
 * whose pid goes to *ret_child. */
static pid_t spawn_root_as_user(const char *name, pid_t *ret_child) {
        int p[2];
        pid_t pid, child = 0;
        ck_assert_int_eq(pipe(p), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(p[0]);
                if (name) {
                        (void) prctl(PR_SET_NAME, name, 0, 0, 0);
                        child = fork();
                        if (child == 0) {
                                close(p[1]);
                                if (setresgid(TEST_UID, TEST_UID, TEST_UID) < 0 ||
                                    setresuid(TEST_UID, TEST_UID, TEST_UID) < 0)
                                        _exit(1);
                                for (;;)
                                        pause();
                        }
                }
                if (setresuid(0, name ? TEST_UID - 1 : TEST_UID, 0) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
                        _exit(1);
                if (write(p[1], &child, sizeof child) != sizeof child)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        ck_assert_int_eq(read(p[0], &child, sizeof child), (ssize_t) sizeof child);
        close(p[0]);
        if (ret_child)
                *ret_child = child;
        /* the child's setresuid: until it ran, the child is root's (a sleep
         * was not enough on a loaded machine) */
        if (child > 0)
                wait_real_uid(child, TEST_UID);
        return pid;
}

START_TEST(test_kill_recycled_not_signalled) {
        EpRequest req;
        EpReport rep;

        /* root: to run a process as the test uid */
        if (unit_skip_unless_root(__func__) || unit_skip_unless_pidfd(__func__))
                return;
        inj_pid = spawn_test_uid_sleeper();
        inj_stats = 0;
        inj_real_stat_ino = proc_syscalls.stat_ino;
        proc_syscalls.stat_ino = inj_stat_recycled;
        ck_assert_int_eq(run_kill(&rep, &req), 0);
        proc_syscalls_reset();
        ck_assert_uint_eq(rep.recycled, 1);
        ck_assert_uint_eq(rep.killed, 0);
        /* never signalled: still running, not even stopped */
        usleep(20000);
        ck_assert_int_eq(waitpid(inj_pid, NULL, WNOHANG | WUNTRACED), 0);
        report_done(&rep);
        ep_request_done(&req);
        kill(inj_pid, SIGKILL);
        waitpid(inj_pid, NULL, 0);
}
END_TEST

START_TEST(test_kill_eperm_is_survivor) {
        EpRequest req;
        EpReport rep;
        pid_t pid;

        if (unit_skip_unless_root(__func__) || unit_skip_unless_pidfd(__func__))
                return;
        pid = spawn_test_uid_sleeper();
        proc_syscalls.pidfd_send_signal = inj_signal_eperm;
        ck_assert_int_eq(run_kill(&rep, &req), 0);
        proc_syscalls_reset();
        ck_assert_uint_eq(rep.survivors, 1);
        ck_assert_uint_eq(rep.killed, 0);
        ck_assert_int_eq(report_finish(&rep), EP_EXIT_DIRTY);
        ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
        report_done(&rep);
        ep_request_done(&req);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_kill_real) {
        EpRequest req;
        EpReport rep;
        pid_t pid;

        if (unit_skip_unless_root(__func__) || unit_skip_unless_pidfd(__func__))
                return;
        pid = spawn_test_uid_sleeper();
        ck_assert_int_eq(run_kill(&rep, &req), 0);
        ck_assert_uint_eq(rep.killed, 1);
        ck_assert_uint_eq(rep.survivors, 0);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
        report_done(&rep);
        ep_request_done(&req);
}
END_TEST

START_TEST(test_kill_spares_root_with_user_euid) {
        EpRequest req;
        EpReport rep;
        pid_t pid;

        if (geteuid() != 0)
                return;
        pid = spawn_root_as_user(NULL, NULL);
        ck_assert_int_eq(run_kill(&rep, &req), 0);
        ck_assert_uint_eq(rep.killed, 0);
        ck_assert_uint_eq(rep.survivors, 0);
        ck_assert_int_eq(json_array_size(rep.records), 0);
        usleep(20000);
        ck_assert_int_eq(waitpid(pid, NULL, WNOHANG | WUNTRACED), 0); /* neither dead nor stopped */
        ck_assert_int_eq(state_of(pid), 'S');
        report_done(&rep);
        ep_request_done(&req);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}
END_TEST

/* status of inj_pid: the truth on the first read (the classification),
 * real uid 0 on every later one (the check right before the stop) */
static ssize_t (*inj_real_read_record)(int dirfd, const char *path, char *buf, size_t size);
static unsigned inj_status_reads;

static ssize_t inj_status_turns_root(int dirfd, const char *path, char *buf, size_t size) {
        char want[32];
        (void) snprintf(want, sizeof want, "%d/status", (int) inj_pid);
        if (strcmp(path, want) == 0 && inj_status_reads++ > 0) {
                (void) snprintf(buf, size, "Name:\tdaemon\nUid:\t0\t%d\t0\t%d\n", TEST_UID, TEST_UID);
                return (ssize_t) strlen(buf);
        }
        return inj_real_read_record(dirfd, path, buf, size);
}

static int inj_get_ids_enotty(int pidfd, uid_t ret[4]) {
        (void) pidfd;
        (void) ret;
        return -ENOTTY;
}

/* through the pidfd, the process has turned root's */
static int inj_get_ids_root(int pidfd, uid_t ret[4]) {
        (void) pidfd;
        ret[0] = ret[2] = 0;
        ret[1] = ret[3] = TEST_UID;
        return 0;
}

START_TEST(test_kill_reverifies_real_uid) {
        EpRequest req;
        EpReport rep;

        if (geteuid() != 0)
                return;
        for (int variant = 0; variant < 2; variant++) {
                inj_pid = spawn_test_uid_sleeper();
                inj_status_reads = 0;
                inj_real_read_record = proc_syscalls.read_record;
                if (variant == 0)
                        proc_syscalls.pidfd_get_ids = inj_get_ids_root;
                else {
                        /* an older kernel: status, the second read says root */
                        proc_syscalls.pidfd_get_ids = inj_get_ids_enotty;
                        proc_syscalls.read_record = inj_status_turns_root;
                }
                ck_assert_int_eq(run_kill(&rep, &req), 0);
                proc_syscalls_reset();
                if (variant == 1)
                        ck_assert_uint_ge(inj_status_reads, 2); /* classified, then checked again */
                ck_assert_uint_eq(rep.killed, 0);
                ck_assert_uint_eq(rep.survivors, 0);
                usleep(20000);
                ck_assert_int_eq(waitpid(inj_pid, NULL, WNOHANG | WUNTRACED), 0); /* never stopped */
                report_done(&rep);
                ep_request_done(&req);
                kill(inj_pid, SIGKILL);
                waitpid(inj_pid, NULL, 0);
        }
}
END_TEST

START_TEST(test_pardon_by_real_root) {
        EpRequest req;
        EpReport rep;
        pid_t sshd, child;

        if (geteuid() != 0)
                return;
        /* "sshd": real uid 0, effective 61798, dumpable; its child is the user's */
        sshd = spawn_root_as_user("sshd", &child);
        ck_assert_int_gt(child, 0);
        ck_assert_int_eq(run_kill_ssh(&rep, &req, true), 0);
        ck_assert_uint_eq(rep.killed, 0);
        ck_assert_uint_eq(rep.spared, 1);
        ck_assert_int_eq(state_of(child), 'S');
        report_done(&rep);
        ep_request_done(&req);
        /* without spare_ssh the child dies (and "sshd" stays) */
        ck_assert_int_eq(run_kill_ssh(&rep, &req, false), 0);
        ck_assert_uint_eq(rep.killed, 1);
        {
                int wst = 0;
                pid_t w = waitpid(sshd, &wst, WNOHANG | WUNTRACED);
                ck_assert_msg(w == 0, "\"sshd\" changed state: waitpid %d, status 0x%x", (int) w, wst);
        }
        report_done(&rep);
        ep_request_done(&req);
        kill(sshd, SIGKILL);
        waitpid(sshd, NULL, 0);
}
END_TEST

/* ---- an injected /proc: a directory per process with stat, status,
 * cmdline, environ and a cwd symlink, owned by the process's effective
 * uid (the snapshot pre-selects by it) ---- */

static char fake_proc[64];

static void fake_write(const char *path, const char *data, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, data, len), (ssize_t) len);
        close(fd);
}

/* env: "A=1\0B=2\0" (len bytes); cwd may be NULL */
static void fake_proc_add(pid_t pid, pid_t ppid, const char *comm, uid_t ruid, uid_t euid, const char *cmdline,
                          const char *env, size_t env_len, const char *cwd) {
        char dir[128], path[192], buf[512];
        int n;

        (void) snprintf(dir, sizeof dir, "%s/%d", fake_proc, (int) pid);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        n = snprintf(buf, sizeof buf,
                     "%d (%s) S %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                     "0 0 0\n",
                     (int) pid, comm, (int) ppid, (int) pid, (int) pid, 1000 + (int) pid);
        (void) snprintf(path, sizeof path, "%s/stat", dir);
        fake_write(path, buf, (size_t) n);
        n = snprintf(buf, sizeof buf, "Name:\t%s\nState:\tS (sleeping)\nUid:\t%u\t%u\t%u\t%u\n", comm, (unsigned) ruid,
                     (unsigned) euid, (unsigned) euid, (unsigned) euid);
        (void) snprintf(path, sizeof path, "%s/status", dir);
        fake_write(path, buf, (size_t) n);
        (void) snprintf(path, sizeof path, "%s/cmdline", dir);
        fake_write(path, cmdline, strlen(cmdline) + 1);
        (void) snprintf(path, sizeof path, "%s/environ", dir);
        fake_write(path, env ? env : "", env ? env_len : 0);
        if (cwd) {
                (void) snprintf(path, sizeof path, "%s/cwd", dir);
                ck_assert_int_eq(symlink(cwd, path), 0);
        }
        ck_assert_int_eq(chown(dir, euid, euid), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void fake_proc_done(void) {
        (void) nftw(fake_proc, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define ENV(s) s, sizeof(s) - 1
#define U 61797
#define OTHER 61796

/* Classifies every process of the fake tree; the verdict of pid. */
static EpVerdict verdict_of(EpTargetRules *rules, ProcTable *t, pid_t pid, char *reason, size_t size) {
        const char *why = NULL;
        char buf[256];
        ProcEntry *e = proctable_find(t, pid);
        ck_assert_ptr_nonnull(e);
        EpVerdict v = ep_classify(rules, t, e, buf, sizeof buf, &why);
        (void) snprintf(reason, size, "%s", why ? why : "");
        return v;
}

static unsigned environ_reads;
static ssize_t (*real_read_file)(int dirfd, const char *path, char *buf, size_t size);
static ssize_t count_environ(int dirfd, const char *path, char *buf, size_t size) {
        if (strstr(path, "/environ"))
                environ_reads++;
        return real_read_file(dirfd, path, buf, size);
}

START_TEST(test_pardon_running_jobs) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        char why[256];

        if (geteuid() != 0)
                return; /* the fake entries are owned by their users */
        (void) snprintf(fake_proc, sizeof fake_proc, "/tmp/corral-fakeproc-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(fake_proc));
        fake_proc_add(1, 0, "init", 0, 0, "init", NULL, 0, NULL);
        /* Grid Engine: job 7.1 runs (its shepherd is root, effective
         * sgeadmin), job 8.1 ended (its shepherd runs the epilog) */
        fake_proc_add(100, 1, "sge_execd", 0, 0, "sge_execd", NULL, 0, NULL);
        fake_proc_add(110, 100, "sge_shepherd", 0, 61795, "sge_shepherd -bg", NULL, 0,
                      "/var/spool/gridengine/execd/n1/active_jobs/7.1");
        fake_proc_add(111, 110, "sh", U, U, "-sh job", ENV("JOB_ID=7\0SGE_TASK_ID=undefined\0"), NULL);
        fake_proc_add(120, 100, "sge_shepherd", 0, 0, "sge_shepherd -bg", NULL, 0,
                      "/var/spool/gridengine/execd/n1/active_jobs/8.1");
        fake_proc_add(121, 120, "sleep", U, U, "sleep 9", ENV("JOB_ID=8\0"), NULL);
        /* daemons reparented to PID 1 */
        fake_proc_add(130, 1, "sleep", U, U, "sleep 300", ENV("HOME=/\0JOB_ID=7\0SGE_TASK_ID=undefined\0"), NULL);
        fake_proc_add(131, 1, "sleep", U, U, "sleep 300", ENV("JOB_ID=8\0SGE_TASK_ID=undefined\0"), NULL);
        fake_proc_add(132, 1, "sleep", U, U, "sleep 300", ENV("JOB_ID=9\0"), NULL); /* no such job */
        fake_proc_add(133, 1, "sleep", U, U, "sleep 300", ENV("JOB_ID=7\0SGE_TASK_ID=2\0"), NULL); /* task 2: none */
        /* a user's own "sge_shepherd" in a job-looking directory pardons nothing */
        fake_proc_add(140, 1, "sge_shepherd", U, U, "sge_shepherd -bg", NULL, 0, "/tmp/x/active_jobs/10.1");
        fake_proc_add(141, 140, "sleep", U, U, "sleep 300", ENV("JOB_ID=10\0"), NULL);
        /* another user's running job 11.1: the user's daemon cannot claim it */
        fake_proc_add(150, 100, "sge_shepherd", 0, 0, "sge_shepherd -bg", NULL, 0, "/s/active_jobs/11.1");
        fake_proc_add(151, 150, "sh", OTHER, OTHER, "-sh", ENV("JOB_ID=11\0"), NULL);
        fake_proc_add(152, 1, "sleep", U, U, "sleep 300", ENV("JOB_ID=11\0"), NULL);
        /* Slurm: job 5 runs, job 6 ended */
        fake_proc_add(200, 1, "slurmd", 0, 0, "slurmd", NULL, 0, NULL);
        fake_proc_add(210, 1, "slurmstepd", 0, U, "slurmstepd: [5.batch]", NULL, 0, NULL);
        fake_proc_add(211, 210, "bash", U, U, "bash job", ENV("SLURM_JOB_ID=5\0"), NULL);
        fake_proc_add(220, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=5\0"), NULL);
        fake_proc_add(221, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=6\0"), NULL);
        fake_proc_add(222, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=12\0"), NULL);
        /* a user's fake slurmstepd of "job 13" */
        fake_proc_add(230, 1, "slurmstepd", U, U, "slurmstepd: [13.batch]", NULL, 0, NULL);
        fake_proc_add(231, 230, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=13\0"), NULL);
        fake_proc_add(232, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=13\0"), NULL);
        ck_assert_int_eq(proctable_snapshot(fake_proc, &t), 0);

        EpTargetRules sge = {
                .mode = EP_MODE_SGE,
                .have_uid = true,
                .uid = U,
                .user_eligible = true,
                .min_uid = 1000,
                .job = "8.1",
                .self = 999999,
        };
        ck_assert_int_eq(ep_rules_refresh(&sge), 0);
        ck_assert_int_eq(verdict_of(&sge, t, 111, why, sizeof why), EP_SPARED);
        ck_assert_ptr_nonnull(strstr(why, "sge_shepherd of running Grid Engine job 7.1"));
        ck_assert_int_eq(verdict_of(&sge, t, 121, why, sizeof why), EP_TARGET); /* below the ended job's */
        ck_assert_int_eq(verdict_of(&sge, t, 130, why, sizeof why), EP_SPARED);
        ck_assert_ptr_nonnull(strstr(why, "daemon of running Grid Engine job 7.1"));
        ck_assert_int_eq(verdict_of(&sge, t, 131, why, sizeof why), EP_TARGET); /* the ended job's daemon */
        ck_assert_int_eq(verdict_of(&sge, t, 132, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&sge, t, 133, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&sge, t, 140, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&sge, t, 141, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&sge, t, 151, why, sizeof why), EP_IGNORE); /* another user's */
        ck_assert_int_eq(verdict_of(&sge, t, 152, why, sizeof why), EP_TARGET); /* not its user's job */
        ck_assert_int_eq(verdict_of(&sge, t, 220, why, sizeof why), EP_TARGET); /* Slurm's are not SGE's */
        ck_assert_int_eq(verdict_of(&sge, t, 110, why, sizeof why), EP_IGNORE); /* root */
        ep_rules_done(&sge);

        EpTargetRules slurm = {
                .mode = EP_MODE_SLURM,
                .have_uid = true,
                .uid = U,
                .user_eligible = true,
                .min_uid = 1000,
                .job = "6",
                .self = 999999,
        };
        ck_assert_int_eq(ep_rules_refresh(&slurm), 0);
        ck_assert_int_eq(verdict_of(&slurm, t, 211, why, sizeof why), EP_SPARED);
        ck_assert_int_eq(verdict_of(&slurm, t, 220, why, sizeof why), EP_SPARED);
        ck_assert_ptr_nonnull(strstr(why, "daemon of running Slurm job 5"));
        ck_assert_int_eq(verdict_of(&slurm, t, 221, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&slurm, t, 222, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&slurm, t, 231, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&slurm, t, 232, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&slurm, t, 130, why, sizeof why), EP_TARGET); /* SGE's are not Slurm's */
        ck_assert_int_eq(verdict_of(&slurm, t, 210, why, sizeof why), EP_IGNORE); /* root, the user's euid */
        ep_rules_done(&slurm);

        /* Torque: job 20.srv runs (its session leader is a child of a root
         * pbs_mom), 21.srv ended */
        fake_proc_add(300, 1, "pbs_mom", 0, 0, "pbs_mom", NULL, 0, NULL);
        fake_proc_add(301, 300, "bash", U, U, "-bash", ENV("PBS_JOBID=20.srv\0"), NULL);
        fake_proc_add(302, 1, "sleep", U, U, "sleep 300", ENV("PBS_JOBID=20.srv\0"), NULL);
        fake_proc_add(303, 1, "sleep", U, U, "sleep 300", ENV("PBS_JOBID=21.srv\0"), NULL);
        /* a leader below a pbs_mom of the user's own pardons nothing */
        fake_proc_add(310, 1, "pbs_mom", U, U, "pbs_mom", NULL, 0, NULL);
        fake_proc_add(311, 310, "bash", U, U, "-bash", ENV("PBS_JOBID=22.srv\0"), NULL);
        fake_proc_add(312, 1, "sleep", U, U, "sleep 300", ENV("PBS_JOBID=22.srv\0"), NULL);
        t = proctable_free(t);
        ck_assert_int_eq(proctable_snapshot(fake_proc, &t), 0);
        EpTargetRules torque = {
                .mode = EP_MODE_TORQUE,
                .have_uid = true,
                .uid = U,
                .user_eligible = true,
                .min_uid = 1000,
                .job = "21.srv",
                .self = 999999,
                .mom_name = "pbs_mom",
        };
        ck_assert_int_eq(ep_rules_refresh(&torque), 0);
        ck_assert_int_eq(verdict_of(&torque, t, 301, why, sizeof why), EP_SPARED); /* its session */
        ck_assert_int_eq(verdict_of(&torque, t, 302, why, sizeof why), EP_SPARED);
        ck_assert_ptr_nonnull(strstr(why, "daemon of running Torque job 20.srv"));
        ck_assert_int_eq(verdict_of(&torque, t, 303, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&torque, t, 311, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&torque, t, 312, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&torque, t, 220, why, sizeof why), EP_TARGET); /* Slurm's are not Torque's */
        ep_rules_done(&torque);

        /* the sweep knows them all */
        EpTargetRules sweep = { .mode = EP_MODE_SWEEP, .min_uid = 1000, .self = 999999, .mom_name = "pbs_mom" };
        ck_assert_int_eq(ep_rules_refresh(&sweep), 0);
        ck_assert_int_eq(verdict_of(&sweep, t, 130, why, sizeof why), EP_SPARED);
        ck_assert_int_eq(verdict_of(&sweep, t, 220, why, sizeof why), EP_SPARED);
        ck_assert_int_eq(verdict_of(&sweep, t, 121, why, sizeof why), EP_SPARED); /* 8.1 runs for a sweep */
        ck_assert_int_eq(verdict_of(&sweep, t, 152, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&sweep, t, 151, why, sizeof why), EP_SPARED);
        ck_assert_int_eq(verdict_of(&sweep, t, 302, why, sizeof why), EP_SPARED);
        ck_assert_int_eq(verdict_of(&sweep, t, 303, why, sizeof why), EP_TARGET);
        ep_rules_done(&sweep);
        fake_proc_done();
}
END_TEST

START_TEST(test_environ_read_only_when_needed) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        char why[256];

        if (geteuid() != 0)
                return;
        (void) snprintf(fake_proc, sizeof fake_proc, "/tmp/corral-fakeproc-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(fake_proc));
        fake_proc_add(1, 0, "init", 0, 0, "init", NULL, 0, NULL);
        fake_proc_add(210, 1, "slurmstepd", 0, 0, "slurmstepd: [6.batch]", NULL, 0, NULL); /* the ended job's */
        fake_proc_add(211, 210, "bash", U, U, "bash job", ENV("SLURM_JOB_ID=6\0"), NULL);
        fake_proc_add(220, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=6\0"), NULL);
        fake_proc_add(221, 1, "sleep", U, U, "sleep 300", ENV("SLURM_JOB_ID=5\0"), NULL);
        /* another user's running job 5 */
        fake_proc_add(230, 1, "slurmstepd", 0, 0, "slurmstepd: [5.batch]", NULL, 0, NULL);
        fake_proc_add(231, 230, "bash", OTHER, OTHER, "bash job", ENV("SLURM_JOB_ID=5\0"), NULL);
        ck_assert_int_eq(proctable_snapshot(fake_proc, &t), 0);
        EpTargetRules slurm = {
                .mode = EP_MODE_SLURM,
                .have_uid = true,
                .uid = U,
                .user_eligible = true,
                .min_uid = 1000,
                .job = "6",
                .self = 999999,
        };
        ck_assert_int_eq(ep_rules_refresh(&slurm), 0);
        environ_reads = 0;
        real_read_file = proc_syscalls.read_file;
        proc_syscalls.read_file = count_environ;
        for (size_t i = 0; i < t->n; i++) {
                const char *r;
                (void) ep_classify(&slurm, t, &t->entries[i], why, sizeof why, &r);
        }
        proc_syscalls_reset();
        /* no other job of the user runs: no environment is read */
        ck_assert_uint_eq(environ_reads, 0);
        ck_assert_int_eq(verdict_of(&slurm, t, 220, why, sizeof why), EP_TARGET);
        ck_assert_int_eq(verdict_of(&slurm, t, 221, why, sizeof why), EP_TARGET);
        ep_rules_done(&slurm);
        fake_proc_done();
}
END_TEST

/* --logind: auto asks logind only for the real linger dir, never for a
 * test's (--root, --linger-dir). */
START_TEST(test_logind_wanted) {
        ck_assert(linger_logind_wanted(EP_LOGIND_AUTO, "/var/lib/systemd/linger"));
        ck_assert(!linger_logind_wanted(EP_LOGIND_AUTO, "/tmp/t/var/lib/systemd/linger"));
        ck_assert(!linger_logind_wanted(EP_LOGIND_AUTO, NULL));
        ck_assert(linger_logind_wanted(EP_LOGIND_YES, "/tmp/t/linger"));
        ck_assert(!linger_logind_wanted(EP_LOGIND_NO, "/var/lib/systemd/linger"));

        EpRequest r;
        char *err = NULL;
        char *argv[] = { "corral-epilogue", "--user", "u", "--logind", "maybe", NULL };
        ck_assert_int_eq(ep_parse_args(5, argv, (char *[]){ NULL }, &r, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "--logind: need auto, yes or no"));
        free(err);
        err = NULL;
        argv[4] = "no";
        ck_assert_int_eq(ep_parse_args(5, argv, (char *[]){ NULL }, &r, &err), 0);
        ck_assert_int_eq(r.logind, EP_LOGIND_NO);
        ep_request_done(&r);
}
END_TEST

/* No system bus (nothing at the address, or a socket nobody accepts on):
 * nothing to tell, not an error. The bus address comes from
 * DBUS_SYSTEM_BUS_ADDRESS, as for every sd-bus client. */
START_TEST(test_logind_no_bus) {
        char dir[] = "/tmp/corral-test-bus.XXXXXX", path[128], addr[160], *err = (char *) 1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/corral-test/system_bus_socket", 1);
        ck_assert_int_eq(linger_logind_disable(61999, &err), 0);
        ck_assert_ptr_null(err);

        /* a socket file whose listener is gone: ECONNREFUSED */
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/bus", dir);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        close(fd);
        snprintf(addr, sizeof addr, "unix:path=%s", path);
        setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);
        ck_assert_int_eq(linger_logind_disable(61999, &err), 0);
        ck_assert_ptr_null(err);
        unlink(path);
        rmdir(dir);
}
END_TEST

/* The linger record says what logind was told: a test's linger dir is not
 * the node's, so auto does not ask. */
START_TEST(test_linger_record_logind) {
        char dir[] = "/tmp/corral-test-linger.XXXXXX", ld[128], qd[128], f[200];
        EpRequest req = { .mode = EP_MODE_CORRAL, .user = (char *) "corraltestnolg", .logind = EP_LOGIND_AUTO };
        EpTargetRules rules = { .user_eligible = true, .uid = 61998 };
        EpReport rep;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(ld, sizeof ld, "%s/linger", dir);
        snprintf(qd, sizeof qd, "%s/q", dir);
        ck_assert_int_eq(mkdir(ld, 0755), 0);
        ck_assert_int_eq(mkdir(qd, 0700), 0);
        snprintf(f, sizeof f, "%s/corraltestnolg", ld);
        ck_assert_int_eq(close(open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
        req.paths.linger_dir = ld;
        req.paths.quarantine_dir = qd;
        req.quiet = true;
        ck_assert_int_eq(report_init(&rep, &req), 0);
        ck_assert_int_eq(linger_strip(&req, &rules, &rep, NULL, 0), 0);
        ck_assert_int_eq(rep.lingers, 1);
        json_t *o = json_array_get(rep.records, 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "result")), "removed");
        ck_assert_str_eq(json_string_value(json_object_get(o, "logind")), "not asked");
        ck_assert_int_eq(access(f, F_OK), -1);

        /* --logind yes with no bus: asked, nobody there */
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/corral-test/system_bus_socket", 1);
        req.logind = EP_LOGIND_YES;
        ck_assert_int_eq(close(open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
        ck_assert_int_eq(linger_strip(&req, &rules, &rep, NULL, 0), 0);
        o = json_array_get(rep.records, 1);
        ck_assert_str_eq(json_string_value(json_object_get(o, "logind")), "not running");
        report_done(&rep);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *epilogue_suite(void) {
        Suite *s = suite_create("epilogue");
        TCase *tc = tcase_create("pure");
        tcase_add_test(tc, test_torque_shape);
        tcase_add_test(tc, test_job_cgroup_parents);
        tcase_add_test(tc, test_torque_forced_11);
        tcase_add_test(tc, test_torque_malformed);
        tcase_add_test(tc, test_slurm_env);
        tcase_add_test(tc, test_sge_env);
        tcase_add_test(tc, test_options);
        tcase_add_test(tc, test_at_header);
        tcase_add_test(tc, test_listener_lines);
        tcase_add_test(tc, test_allow_equal);
        tcase_add_test(tc, test_uid_rules);
        tcase_add_test(tc, test_default_max_uid);
        suite_add_tcase(s, tc);
        tc = tcase_create("kill");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_kill_recycled_not_signalled);
        tcase_add_test(tc, test_kill_eperm_is_survivor);
        tcase_add_test(tc, test_kill_real);
        tcase_add_test(tc, test_kill_spares_root_with_user_euid);
        tcase_add_test(tc, test_kill_reverifies_real_uid);
        tcase_add_test(tc, test_pardon_by_real_root);
        tcase_add_test(tc, test_pardon_running_jobs);
        tcase_add_test(tc, test_environ_read_only_when_needed);
        tcase_add_test(tc, test_logind_wanted);
        tcase_add_test(tc, test_logind_no_bus);
        tcase_add_test(tc, test_linger_record_logind);
        suite_add_tcase(s, tc);
        return s;
}
