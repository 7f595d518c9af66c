/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-protocol.c — request parsing: each operation, and every kind of bad
 * input refused with a message naming the field. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "parse.h"
#include "protocol.h"
#include "strv.h"

static int parse(const char *s, ApiRequest *r, char **err) {
        return api_request_parse(s, strlen(s), r, err);
}

static void assert_bad(const char *s, const char *expect) {
        ApiRequest r;
        char *err = NULL;
        ck_assert_int_lt(parse(s, &r, &err), 0);
        ck_assert_ptr_nonnull(err);
        if (!strstr(err, expect))
                ck_abort_msg("for %s expected '%s', got '%s'", s, expect, err);
        free(err);
}

START_TEST(test_submit) {
        ApiRequest r;
        char *err = NULL;
        ck_assert_int_eq(
                parse("{\"op\":\"submit\",\"argv\":[\"/bin/echo\",\"hi there\"],\"env\":{\"A\":\"1\",\"B_2\":\"x=y\"},"
                      "\"cwd\":\"/tmp\",\"policy\":\"strict\",\"walltime\":\"1h30m\",\"hold\":true}",
                      &r, &err),
                0);
        ck_assert_int_eq(r.op, API_SUBMIT);
        ck_assert_uint_eq(strv_length(r.argv), 2);
        ck_assert_str_eq(r.argv[1], "hi there");
        ck_assert(strv_contains(r.env, "B_2=x=y"));
        ck_assert_str_eq(r.cwd, "/tmp");
        ck_assert_str_eq(r.policy, "strict");
        ck_assert_uint_eq(r.walltime, 5400 * USEC_PER_SEC);
        ck_assert(r.hold);
        api_request_done(&r);
        ck_assert_int_eq(parse("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"walltime\":60}", &r, &err), 0);
        ck_assert_uint_eq(r.walltime, 60 * USEC_PER_SEC);
        ck_assert_ptr_null(r.policy);
        api_request_done(&r);
}
END_TEST

START_TEST(test_other_ops) {
        ApiRequest r;
        char *err = NULL;
        ck_assert_int_eq(
                parse("{\"op\":\"list\",\"states\":[\"RUNNING\",\"QUEUED\"],\"all\":true,\"user\":\"bob\"}", &r, &err),
                0);
        ck_assert_uint_eq(r.states, (1u << JOB_RUNNING) | (1u << JOB_QUEUED));
        ck_assert(r.all);
        ck_assert_str_eq(r.user, "bob");
        ck_assert(!r.has_last);
        ck_assert_uint_eq(r.since, 0);
        api_request_done(&r);
        ck_assert_int_eq(parse("{\"op\":\"list\",\"last\":0,\"since\":1795338781}", &r, &err), 0);
        ck_assert(r.has_last);
        ck_assert_uint_eq(r.last, 0);
        ck_assert_uint_eq(r.since, UINT64_C(1795338781) * 1000000);
        api_request_done(&r);
        ck_assert_int_eq(
                parse("{\"op\":\"logs\",\"job\":7,\"stream\":\"stderr\",\"follow\":true,\"offset\":10}", &r, &err), 0);
        ck_assert_int_eq(r.job, 7);
        ck_assert_int_eq(r.stream, 1);
        ck_assert(r.follow);
        ck_assert_uint_eq(r.offset, 10);
        api_request_done(&r);
        const char *simple[] = { "{\"op\":\"drain\"}",          "{\"op\":\"resume\"}",
                                 "{\"op\":\"version\"}",        "{\"op\":\"policies\"}",
                                 "{\"op\":\"show\",\"job\":1}", "{\"op\":\"cancel\",\"job\":2}",
                                 "{\"op\":\"hold\",\"job\":3}", "{\"op\":\"release\",\"job\":4}" };
        for (size_t i = 0; i < sizeof simple / sizeof *simple; i++) {
                ck_assert_int_eq(parse(simple[i], &r, &err), 0);
                api_request_done(&r);
        }
}
END_TEST

START_TEST(test_bad_requests) {
        assert_bad("", "malformed JSON");
        assert_bad("{\"op\":\"submit\"", "malformed JSON");
        assert_bad("[1,2]", "must be a JSON object");
        assert_bad("{}", "needs 'op'");
        assert_bad("{\"op\":5}", "needs 'op'");
        assert_bad("{\"op\":\"rm -rf\"}", "unknown operation");
        assert_bad("{\"op\":\"version\",\"x\":1}", "unknown field 'x' for version");
        assert_bad("{\"op\":\"show\"}", "show needs 'job'");
        assert_bad("{\"op\":\"show\",\"job\":-1}", "positive job id");
        assert_bad("{\"op\":\"show\",\"job\":\"1\"}", "positive job id");
        assert_bad("{\"op\":\"submit\",\"cwd\":\"/\"}", "needs 'argv'");
        assert_bad("{\"op\":\"submit\",\"argv\":[],\"cwd\":\"/\"}", "non-empty array");
        assert_bad("{\"op\":\"submit\",\"argv\":[1],\"cwd\":\"/\"}", "argv[0] must be a string");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"\"],\"cwd\":\"/\"}", "the command, is empty");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"]}", "needs 'cwd'");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"rel\"}", "'cwd' must be an absolute path");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"env\":{\"1A\":\"x\"}}",
                   "invalid environment variable name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"env\":{\"A\":1}}", "env.A must be a string");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"policy\":\"../x\"}", "invalid policy name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"walltime\":\"soon\"}",
                   "'walltime' must be a duration");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"walltime\":0}", "positive");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"cwd\":\"/\",\"argv\":[\"y\"]}",
                   "malformed JSON"); /* duplicate key */
        assert_bad("{\"op\":\"submit\",\"argv\":[\"a\\u0000b\"],\"cwd\":\"/\"}", "malformed JSON"); /* NUL */
        assert_bad("{\"op\":\"list\",\"states\":[\"DONE\"]}", "states[0] is not a job state");
        assert_bad("{\"op\":\"logs\",\"job\":1,\"stream\":\"stdin\"}", "'stream' must be");
        assert_bad("{\"op\":\"list\",\"all\":\"yes\"}", "'all' must be true or false");
        assert_bad("{\"op\":\"list\",\"last\":-1}", "'last' must be a whole number");
        assert_bad("{\"op\":\"list\",\"last\":\"10\"}", "'last' must be a whole number");
        assert_bad("{\"op\":\"list\",\"since\":253402300800}", "'since' must be a whole number");
}
END_TEST

START_TEST(test_oversized) {
        size_t n = API_MAX_MESSAGE + 100;
        char *big = malloc(n + 1);
        memset(big, ' ', n);
        memcpy(big, "{\"op\":\"version\"}", 16);
        big[n] = '\0';
        ApiRequest r;
        char *err = NULL;
        ck_assert_int_eq(api_request_parse(big, n, &r, &err), -E2BIG);
        ck_assert(strstr(err, "too large"));
        free(err);
        free(big);
}
END_TEST

START_TEST(test_job_states) {
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                ck_assert_int_eq(job_state_from_string(job_state_to_string((JobState) i)), i);
        ck_assert_int_eq(job_state_from_string("nope"), _JOB_STATE_INVALID);
        ck_assert(job_state_is_final(JOB_LOST));
        ck_assert(!job_state_is_final(JOB_RUNNING));
        ck_assert(job_state_is_active(JOB_STARTING));
        /* the spool directory is read only once the helper said it launched */
        ck_assert(!job_state_has_output(JOB_QUEUED));
        ck_assert(!job_state_has_output(JOB_HELD));
        ck_assert(!job_state_has_output(JOB_STARTING));
        ck_assert(job_state_has_output(JOB_RUNNING));
        ck_assert(job_state_has_output(JOB_CANCELLED));
        char a[JOB_OUTPUT_ID_LEN + 1], b[JOB_OUTPUT_ID_LEN + 1];
        ck_assert_int_eq(job_output_id_new(a), 0);
        ck_assert_int_eq(job_output_id_new(b), 0);
        ck_assert(job_output_id_valid(a));
        ck_assert_str_ne(a, b);
        ck_assert(!job_output_id_valid("../../etc"));
}
END_TEST

/* issue 13: the environment (env_explicit, the size limit) and the output
 * (-J name, -o/-e patterns) of a submission */
START_TEST(test_submit_env_output) {
        ApiRequest r;
        char *err = NULL, *out = NULL;
        const char *bad = NULL;

        ck_assert_int_eq(parse("{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/tmp\",\"env\":{\"A\":\"1\","
                               "\"LD_PRELOAD\":\"x\"},\"env_explicit\":[\"A\"],\"name\":\"my run 1\","
                               "\"stdout\":\"/tmp/%x-%j.out\",\"stderr\":\"/tmp/%u/100%%.err\"}",
                               &r, &err),
                         0);
        ck_assert_uint_eq(strv_length(r.env_explicit), 1);
        ck_assert_str_eq(r.env_explicit[0], "A");
        ck_assert_str_eq(r.name, "my run 1");
        ck_assert_str_eq(r.stdout_path, "/tmp/%x-%j.out");
        ck_assert_str_eq(r.stderr_path, "/tmp/%u/100%%.err");
        api_request_done(&r);
        /* without them: no name, an empty explicit list */
        ck_assert_int_eq(parse("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\"}", &r, &err), 0);
        ck_assert_ptr_null(r.name);
        ck_assert_ptr_nonnull(r.env_explicit);
        ck_assert_uint_eq(strv_length(r.env_explicit), 0);
        api_request_done(&r);

        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"stdout\":\"/tmp/%q.out\"}",
                   "field 'stdout': unknown pattern '%q' (%j the job id, %x its name, %u the user, %A the array's id, "
                   "%a the array task id, %% a percent sign)");
        /* %a, %A: only in an array (test-array.c) */
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"stdout\":\"/tmp/%a.out\"}",
                   "%a and %A in an output path name an array element: use them with --array (or %j, the job id)");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"stderr\":\"/tmp/x%\"}",
                   "field 'stderr': unknown pattern '%'");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"stdout\":\"out/%j\"}",
                   "field 'stdout' must be an absolute path");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"name\":\"a/b\"}", "invalid job name 'a/b'");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"name\":\"..\"}", "invalid job name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"name\":\"\"}", "invalid job name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"name\":\"a\\nb\"}", "invalid job name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"env_explicit\":[\"1A\"]}",
                   "env_explicit[0] is not a variable name");
        assert_bad("{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"env_explicit\":\"A\"}",
                   "field 'env_explicit' must be an array");

        /* the environment's size in all: 3 variables of 12,000 bytes fit
         * each (API_MAX_ARG), not together (API_MAX_ENV_BYTES) */
        {
                size_t big = 12000;
                char *v = malloc(big + 1), *req = NULL;
                ck_assert_ptr_nonnull(v);
                memset(v, 'x', big);
                v[big] = '\0';
                ck_assert_int_ge(asprintf(&req,
                                          "{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"env\":{\"A\":\"%s\","
                                          "\"B\":\"%s\",\"C\":\"%s\"}}",
                                          v, v, v),
                                 0);
                assert_bad(req, "field 'env' has 3 variables of 36006 bytes in all (limit 32768 bytes)");
                free(req);
                ck_assert_int_ge(asprintf(&req,
                                          "{\"op\":\"submit\",\"argv\":[\"true\"],\"cwd\":\"/\",\"env\":{\"A\":\"%s\","
                                          "\"B\":\"%s\"}}",
                                          v, v),
                                 0);
                ck_assert_int_eq(parse(req, &r, &err), 0);
                api_request_done(&r);
                free(req);
                free(v);
        }

        /* the patterns, replaced when the job starts */
        ck_assert_int_eq(api_output_pattern_check("/a/%j-%x-%u-%%.out", NULL), 0);
        ck_assert_int_eq(api_output_pattern_check("/a/%J", &bad), -EINVAL);
        ck_assert_str_eq(bad, "%J");
        ck_assert_int_eq(api_output_pattern_expand("/home/a/%x-%j.out", 42, "sim", "alice", &out), 0);
        ck_assert_str_eq(out, "/home/a/sim-42.out");
        free(out);
        ck_assert_int_eq(api_output_pattern_expand("/o/%u/%%j%j%%", 7, "n", "bob", &out), 0);
        ck_assert_str_eq(out, "/o/bob/%j7%");
        free(out);
        ck_assert_int_eq(api_output_pattern_expand("/plain", 7, "n", "bob", &out), 0);
        ck_assert_str_eq(out, "/plain");
        free(out);
        /* a name of ".." would make a ".." component: refused, not followed */
        ck_assert_int_eq(api_output_pattern_expand("/o/%x/f", 7, "..", "bob", &out), -EINVAL);
        ck_assert_int_eq(api_output_pattern_expand("/o/%q", 7, "n", "bob", &out), -EINVAL);

        ck_assert(api_job_name_valid("a b.c-d_e (2)"));
        ck_assert(!api_job_name_valid("."));
        ck_assert(!api_job_name_valid("x/y"));
}
END_TEST

Suite *protocol_suite(void) {
        Suite *s = suite_create("protocol");
        TCase *tc = tcase_create("requests");
        tcase_add_test(tc, test_submit);
        tcase_add_test(tc, test_other_ops);
        tcase_add_test(tc, test_bad_requests);
        tcase_add_test(tc, test_oversized);
        tcase_add_test(tc, test_job_states);
        tcase_add_test(tc, test_submit_env_output);
        suite_add_tcase(s, tc);
        return s;
}
