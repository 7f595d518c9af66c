/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-protocol.c — request parsing: each operation, and every kind of bad
 * input refused with a message naming the field. */
#include <check.h>
#include <errno.h>
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
        char a[JOB_OUTPUT_ID_LEN + 1], b[JOB_OUTPUT_ID_LEN + 1];
        ck_assert_int_eq(job_output_id_new(a), 0);
        ck_assert_int_eq(job_output_id_new(b), 0);
        ck_assert(job_output_id_valid(a));
        ck_assert_str_ne(a, b);
        ck_assert(!job_output_id_valid("../../etc"));
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
        suite_add_tcase(s, tc);
        return s;
}
