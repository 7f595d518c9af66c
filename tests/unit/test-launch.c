/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-launch.c — the pure parts of corral-launch (supervisor/launch/):
 * the job's environment, the state of a finished job, the result record and
 * the exit code table. These files touch no system state, so they are
 * compiled in here directly. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "strv.h"

static const char *env_get(char **env, const char *name) {
        size_t n = strlen(name);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

START_TEST(test_env) {
        JobUser u = { .name = (char *) "alice",
                      .uid = 1001,
                      .gid = 1001,
                      .home = (char *) "/home/alice",
                      .shell = (char *) "/bin/bash" };
        char *extra[] = { (char *) "FOO=bar", (char *) "PATH=/opt/bin", (char *) "EMPTY=",
                          /* the submitter's, from inside another job: corral's own win */
                          (char *) "CORRAL_JOB_ID=99", (char *) "CORRAL_POLICY=other", NULL };
        char **env = NULL;

        setenv("LANG", "C.UTF-8", 1);
        setenv("CORRALTEST_SECRET", "x", 1);
        setenv("LD_PRELOAD", "/tmp/evil.so", 1);
        ck_assert_int_eq(env_build(&u, "12", "default", extra, &env), 0);
        ck_assert_str_eq(env_get(env, "HOME"), "/home/alice");
        ck_assert_str_eq(env_get(env, "USER"), "alice");
        ck_assert_str_eq(env_get(env, "LOGNAME"), "alice");
        ck_assert_str_eq(env_get(env, "SHELL"), "/bin/bash");
        ck_assert_str_eq(env_get(env, "CORRAL_JOB_ID"), "12");
        ck_assert_str_eq(env_get(env, "CORRAL_POLICY"), "default");
        ck_assert_str_eq(env_get(env, "LANG"), "C.UTF-8"); /* passed through */
        ck_assert_str_eq(env_get(env, "FOO"), "bar"); /* --env */
        ck_assert_str_eq(env_get(env, "PATH"), "/opt/bin"); /* --env wins */
        ck_assert_str_eq(env_get(env, "EMPTY"), "");
        ck_assert_ptr_null(env_get(env, "CORRALTEST_SECRET")); /* nothing else of ours */
        ck_assert_ptr_null(env_get(env, "LD_PRELOAD"));
        strv_free(env);

        ck_assert(env_assignment_valid("A=b"));
        ck_assert(env_assignment_valid("_x1=a=b"));
        ck_assert(!env_assignment_valid("=b"));
        ck_assert(!env_assignment_valid("A"));
        ck_assert(!env_assignment_valid("1A=b"));
        ck_assert(!env_assignment_valid("A B=c"));
        ck_assert(!env_assignment_valid("A-B=c"));
}
END_TEST

START_TEST(test_state) {
        int ok = 0, exit3 = 3 << 8, killed = SIGKILL; /* wait statuses */

        ck_assert_int_eq(job_state_classify(false, false, 0, ok, false), JOB_COMPLETED);
        ck_assert_int_eq(job_state_classify(false, false, 0, exit3, false), JOB_FAILED);
        ck_assert_int_eq(job_state_classify(false, false, 1, killed, false), JOB_OUT_OF_MEMORY);
        ck_assert_int_eq(job_state_classify(false, false, 1, exit3, false), JOB_OUT_OF_MEMORY);
        /* a child OOM-killed, the job still succeeded */
        ck_assert_int_eq(job_state_classify(false, false, 1, ok, false), JOB_COMPLETED);
        ck_assert_int_eq(job_state_classify(false, false, CGROUP_USAGE_UNKNOWN, killed, false), JOB_FAILED);
        ck_assert_int_eq(job_state_classify(true, false, 1, killed, false), JOB_TIMEOUT);
        ck_assert_int_eq(job_state_classify(true, true, 0, killed, false), JOB_CANCELLED);
        ck_assert_int_eq(job_state_classify(true, true, 0, ok, true), JOB_FAILED);
        ck_assert_str_eq(job_state_name(JOB_OUT_OF_MEMORY), "OUT_OF_MEMORY");
        ck_assert_str_eq(job_state_name((JobState) 99), "FAILED");
}
END_TEST

START_TEST(test_exit_codes) {
        /* documented in corral-launch(8): distinct, outside the job's 128+N range */
        int seen[256] = { 0 };
        for (int s = STEP_USAGE; s < _STEP_MAX; s++) {
                int c = step_exit_code((Step) s);
                if (s == STEP_EXEC) {
                        ck_assert_int_eq(c, 127);
                        continue;
                }
                ck_assert_int_ge(c, 200);
                ck_assert_int_le(c, 255);
                ck_assert_int_eq(seen[c], 0);
                seen[c] = 1;
        }
        ck_assert_int_eq(step_exit_code(STEP_CGROUP), 203);
        ck_assert_str_eq(step_name(STEP_EXEC_SETUP), "exec-setup");
}
END_TEST

START_TEST(test_result_json) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 3", NULL };
        JobResult r = {
                .job_id = "12",
                .policy = "default",
                .user = "alice",
                .cgroup = "/corral/job-12",
                .uid = 1001,
                .state = JOB_OUT_OF_MEMORY,
                .signal = 9,
                .status = 137,
                .usage = { .memory_peak = 1024,
                           .cpu_user_usec = 5,
                           .cpu_system_usec = CGROUP_USAGE_UNKNOWN,
                           .oom_kills = 1 },
                .walltime_usec = CGROUP_USAGE_UNKNOWN,
                .argv = argv,
        };
        char buf[4096];
        int p[2];
        ssize_t n;
        json_t *o;

        ck_assert_int_eq(pipe(p), 0);
        ck_assert_int_eq(result_write(p[1], &r), 0);
        close(p[1]);
        n = read(p[0], buf, sizeof buf - 1);
        close(p[0]);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert_int_eq(buf[n - 1], '\n');
        ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1); /* one line */
        o = json_loads(buf, 0, NULL);
        ck_assert_ptr_nonnull(o);
        ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "OUT_OF_MEMORY");
        ck_assert_str_eq(json_string_value(json_object_get(o, "exit")), "0:9");
        ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 137);
        ck_assert(json_is_null(json_object_get(o, "failed_step")));
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "usage"), "oom_kills")), 1);
        ck_assert(json_is_null(json_object_get(json_object_get(o, "usage"), "cpu_system_usec")));
        ck_assert(json_is_null(json_object_get(json_object_get(o, "timings"), "walltime_usec")));
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "argv"), 2)), "exit 3");
        json_decref(o);
}
END_TEST

Suite *launch_suite(void) {
        Suite *s = suite_create("launch");
        TCase *tc = tcase_create("pure");
        tcase_add_test(tc, test_env);
        tcase_add_test(tc, test_state);
        tcase_add_test(tc, test_exit_codes);
        tcase_add_test(tc, test_result_json);
        suite_add_tcase(s, tc);
        return s;
}
