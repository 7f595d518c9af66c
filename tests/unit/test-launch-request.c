/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-launch-request.c — corral-launch's request (launch-main.h): the
 * command line launch_request_to_argv() writes for the exec path (corrald
 * --launch PATH) parses back into the same request, every field; a request
 * with a bad field is refused by the parser with the option's message, and
 * by launch_run() (its in-memory path) before anything is done. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch-main.h"
#include "launch.h"
#include "parse.h"
#include "strv.h"

static void assert_str_eq_null(const char *a, const char *b) {
        if (!a || !b)
                ck_assert_ptr_eq(a, b);
        else
                ck_assert_str_eq(a, b);
}

static void assert_strv_eq(char **a, char **b) {
        ck_assert_uint_eq(strv_length(a), strv_length(b));
        for (size_t i = 0; a && a[i]; i++)
                ck_assert_str_eq(a[i], b[i]);
}

static void assert_request_eq(const LaunchRequest *a, const LaunchRequest *b) {
        assert_str_eq_null(a->policy, b->policy);
        assert_str_eq_null(a->user, b->user);
        assert_str_eq_null(a->job_id, b->job_id);
        assert_str_eq_null(a->cwd, b->cwd);
        assert_str_eq_null(a->stdin_path, b->stdin_path);
        assert_str_eq_null(a->stdout_path, b->stdout_path);
        assert_str_eq_null(a->stderr_path, b->stderr_path);
        assert_strv_eq(a->env, b->env);
        assert_str_eq_null(a->env_file, b->env_file);
        ck_assert_uint_eq(a->walltime, b->walltime);
        assert_str_eq_null(a->result_path, b->result_path);
        ck_assert_int_eq(a->result_fd, b->result_fd);
        assert_str_eq_null(a->policy_dir, b->policy_dir);
        assert_str_eq_null(a->config_path, b->config_path);
        assert_str_eq_null(a->cgroup_parent, b->cgroup_parent);
        assert_str_eq_null(a->socket, b->socket);
        assert_strv_eq(a->argv, b->argv);
}

/* req -> argv -> parser; *ret_argv holds the strings ret points into */
static int round_trip(const LaunchRequest *req, char ***ret_argv, LaunchRequest *ret) {
        ck_assert_int_eq(launch_request_to_argv(req, ret_argv), 0);
        ck_assert_str_eq((*ret_argv)[0], "corral-launch");
        optind = 0; /* a fresh getopt, as in a new process */
        return launch_parse_args((int) strv_length(*ret_argv), *ret_argv, ret);
}

START_TEST(test_round_trip_all_fields) {
        char *env[] = { (char *) "TOKEN=s3cret value", (char *) "OPTS=--policy evil -- x",
                        (char *) "EMPTY=", (char *) "EQ=a=b=c", NULL };
        char *cmd[] = { (char *) "/bin/sh",   (char *) "-c", (char *) "echo \"$@\"",
                        (char *) "--policy",  (char *) "--", (char *) "-e",
                        (char *) "two words", (char *) "",   (char *) "--user=x",
                        (char *) "-h",        NULL };
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        LaunchRequest req = {
                .policy = "default",
                .user = "corraltest1",
                .job_id = "42.a_b-c",
                .cwd = "/home/with space",
                .stdin_path = "/in put",
                .stdout_path = "/tmp/out -- file",
                .stderr_path = "-not-an-option",
                .env = env,
                .env_file = "/etc/env file",
                .walltime = 90 * USEC_PER_SEC,
                .result_fd = fd,
                .policy_dir = "/etc/corral/policies dir",
                .config_path = "/etc/corral/node.ini",
                .cgroup_parent = "corral/sub.1",
                .socket = "/run/corral dir/corral.sock",
                .argv = cmd,
        };
        _cleanup_strv_free_ char **argv = NULL;
        LaunchRequest out;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(round_trip(&req, &argv, &out), 0);
        assert_request_eq(&req, &out);
        ck_assert(strv_contains(argv, "--walltime") && strv_contains(argv, "90s")); /* as the helper wrote it */
        launch_request_done(&out);
        argv = strv_free(argv);

        /* --result instead of --result-fd; a walltime not in whole seconds */
        req.result_fd = -1;
        req.result_path = "/run/corral/results/42.json";
        req.walltime = 1500 * USEC_PER_MSEC + 7;
        ck_assert_int_eq(round_trip(&req, &argv, &out), 0);
        assert_request_eq(&req, &out);
        launch_request_done(&out);
        close(fd);
}
END_TEST

/* Unset fields are left out, and come back unset (the defaults). */
START_TEST(test_round_trip_minimal) {
        char *cmd[] = { (char *) "true", NULL };
        LaunchRequest req = LAUNCH_REQUEST_INIT;
        _cleanup_strv_free_ char **argv = NULL;
        LaunchRequest out;
        char *expect[] = { (char *) "corral-launch",
                           (char *) "--policy",
                           (char *) "p",
                           (char *) "--user",
                           (char *) "u",
                           (char *) "--",
                           (char *) "true",
                           NULL };

        req.policy = "p";
        req.user = "u";
        req.argv = cmd;
        ck_assert_int_eq(round_trip(&req, &argv, &out), 0);
        assert_strv_eq(argv, expect);
        assert_request_eq(&req, &out);
        ck_assert_uint_eq(out.walltime, USEC_INFINITY);
        ck_assert_int_eq(out.result_fd, -1);
        ck_assert_ptr_null(out.env);
        launch_request_done(&out);
}
END_TEST

/* The exec'd corral-launch blanks --env values in its own argv (what ps
 * shows) once copied; the request keeps them. */
START_TEST(test_env_scrubbed) {
        char *env[] = { (char *) "TOKEN=s3cret", NULL }, *cmd[] = { (char *) "true", NULL };
        LaunchRequest req = LAUNCH_REQUEST_INIT, out;
        _cleanup_strv_free_ char **argv = NULL;

        req.policy = "p";
        req.user = "u";
        req.env = env;
        req.argv = cmd;
        launch_argv_scrub = true;
        ck_assert_int_eq(round_trip(&req, &argv, &out), 0);
        launch_argv_scrub = false;
        assert_strv_eq(out.env, env);
        ck_assert(strv_contains(argv, "TOKEN="));
        for (char **a = argv; *a; a++)
                ck_assert_ptr_null(strstr(*a, "s3cret"));
        launch_request_done(&out);
}
END_TEST

/* stderr into a file, read back after each call */
static int err_fd = -1, saved_stderr = -1;

static void capture_begin(void) {
        char path[] = "/tmp/corral-test-launch-request.XXXXXX";
        err_fd = mkstemp(path);
        ck_assert_int_ge(err_fd, 0);
        unlink(path);
        saved_stderr = dup(2);
        ck_assert_int_ge(saved_stderr, 0);
        ck_assert_int_eq(dup2(err_fd, 2), 2);
}

static void capture_end(void) {
        ck_assert_int_eq(dup2(saved_stderr, 2), 2);
        close(saved_stderr);
        close(err_fd);
}

/* what was written to stderr since the last call */
static void captured(char *buf, size_t size) {
        off_t end = lseek(err_fd, 0, SEEK_END);
        ssize_t n;

        ck_assert_int_ge(end, 0);
        n = pread(err_fd, buf, size - 1, 0);
        ck_assert_int_ge(n, 0);
        buf[n] = '\0';
        ck_assert_int_eq(ftruncate(err_fd, 0), 0);
        ck_assert_int_eq(lseek(err_fd, 0, SEEK_SET), 0);
}

typedef struct BadCase {
        const char *what;
        LaunchRequest req;
        const char *parser_msg; /* the parser's, from the argv */
        const char *check_msg; /* launch_run()'s, from the request itself */
} BadCase;

START_TEST(test_invalid_rejected) {
        static char *cmd[] = { (char *) "true", NULL }, *empty_cmd[] = { (char *) "", NULL };
        static char *bad_env[] = { (char *) "OK=1", (char *) "1BAD=x", NULL };
        static char *bad_name_env[] = { (char *) "A-B=c", NULL };
/* a valid request, then the one field a case changes */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#define REQ(...)                                                                                                       \
        { .policy = "p", .user = "u", .argv = cmd, .walltime = UINT64_MAX, .result_fd = -1, __VA_ARGS__ }
        const BadCase cases[] = {
                { "job id", REQ(.job_id = "a/b"), "invalid --job-id 'a/b': use 1-64 of [A-Za-z0-9_.-]", NULL },
                { "long job id", REQ(.job_id = "12345678901234567890123456789012345678901234567890123456789012345"),
                  "invalid --job-id '1234", NULL },
                { "relative cwd", REQ(.cwd = "home/u"), "--cwd must be an absolute path: home/u", NULL },
                { "env", REQ(.env = bad_env), "invalid --env '1BAD=x': use NAME=VALUE, NAME of [A-Za-z_][A-Za-z0-9_]*",
                  NULL },
                { "env name", REQ(.env = bad_name_env), "invalid --env 'A-B=c'", NULL },
                { "relative env file", REQ(.env_file = "env"), "--env-file must be an absolute path: env", NULL },
                { "zero walltime", REQ(.walltime = 0), "invalid --walltime '0s': a duration like 90s, 30m, 2h",
                  "invalid --walltime '0': a duration like 90s, 30m, 2h" },
                { "closed result fd", REQ(.result_fd = 999), "invalid --result-fd '999': not an open file descriptor",
                  NULL },
                { "cgroup parent", REQ(.cgroup_parent = "../x"),
                  "invalid --cgroup-parent '../x': names of [A-Za-z0-9_.-] separated by /", NULL },
                { "relative socket", REQ(.socket = "run/corral.sock"),
                  "invalid --socket 'run/corral.sock': an absolute path without '..' (corrald's socket)", NULL },
                { "no user", REQ(.user = NULL), "--policy and --user are required; see --help", NULL },
                { "no policy", REQ(.policy = NULL), "--policy and --user are required; see --help", NULL },
                { "result twice", REQ(.result_path = "/r.json", .result_fd = 2),
                  "--result and --result-fd exclude each other", NULL },
                { "no command", REQ(.argv = NULL),
                  "no command given: corral-launch --policy NAME --user USER -- CMD [ARG]...", NULL },
                { "empty command", REQ(.argv = empty_cmd), "no command given", NULL },
        };
#undef REQ
#pragma GCC diagnostic pop
        char buf[4096];

        capture_begin();
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const BadCase *c = &cases[i];
                _cleanup_strv_free_ char **argv = NULL;
                LaunchRequest out;
                int r;

                (void) close(999);
                r = round_trip(&c->req, &argv, &out);
                captured(buf, sizeof buf);
                ck_assert_msg(r == -EINVAL, "%s: the parser took it (%d)", c->what, r);
                ck_assert_msg(strstr(buf, c->parser_msg), "%s: parser said '%s', expected '%s'", c->what, buf,
                              c->parser_msg);
                ck_assert_msg(!strchr(buf, '\n') || strchr(buf, '\n') == buf + strlen(buf) - 1,
                              "%s: one message, got '%s'", c->what, buf);

                /* launch_run()'s path: the same check of the request */
                ck_assert_int_eq(launch_request_check(&c->req), -EINVAL);
                captured(buf, sizeof buf);
                ck_assert_msg(strstr(buf, c->check_msg ?: c->parser_msg), "%s: check said '%s'", c->what, buf);
                ck_assert_int_eq(launch_run(&c->req), EXIT_USAGE);
                captured(buf, sizeof buf);
                ck_assert_msg(strstr(buf, c->check_msg ?: c->parser_msg), "%s: launch_run said '%s'", c->what, buf);
        }
        capture_end();
}
END_TEST

/* The request the round trip starts from is a valid one (the invalid cases
 * above fail for their field, not for something else). */
START_TEST(test_valid_accepted) {
        char *cmd[] = { (char *) "true", NULL };
        LaunchRequest req = LAUNCH_REQUEST_INIT;

        req.policy = "p";
        req.user = "u";
        req.argv = cmd;
        ck_assert_int_eq(launch_request_check(&req), 0);
}
END_TEST

Suite *launch_request_suite(void) {
        Suite *s = suite_create("launch_request");
        TCase *tc = tcase_create("argv");
        tcase_add_test(tc, test_round_trip_all_fields);
        tcase_add_test(tc, test_round_trip_minimal);
        tcase_add_test(tc, test_env_scrubbed);
        tcase_add_test(tc, test_invalid_rejected);
        tcase_add_test(tc, test_valid_accepted);
        suite_add_tcase(s, tc);
        return s;
}
