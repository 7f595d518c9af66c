/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-stream.c — the wait request and the messages corrald pushes to a
 * waiting client (lib/stream.h): what the core builds parses back, and a
 * malformed or impossible message is refused with the field named. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "protocol.h"
#include "stream.h"

static int parse_req(const char *s, ApiRequest *r, char **err) {
        return api_request_parse(s, strlen(s), r, err);
}

static int parse_ev(const char *s, ApiEvent *e, char **err) {
        return api_event_parse(s, strlen(s), e, err);
}

/* builds msg, serialises it as the core does, parses it as the CLI does */
static void roundtrip(json_t *msg, ApiEvent *e) {
        char *s = NULL, *err = NULL;
        size_t n;
        ck_assert_ptr_nonnull(msg);
        ck_assert_int_eq(api_dump(msg, &s, &n), 0);
        json_decref(msg);
        int r = api_event_parse(s, n, e, &err);
        if (r < 0)
                ck_abort_msg("%s: %s", s, err);
        free(s);
}

static void assert_bad_event(const char *s, const char *expect) {
        ApiEvent e;
        char *err = NULL;
        ck_assert_int_lt(parse_ev(s, &e, &err), 0);
        ck_assert_ptr_nonnull(err);
        if (!strstr(err, expect))
                ck_abort_msg("for %s expected '%s', got '%s'", s, expect, err);
        free(err);
}

START_TEST(test_wait_request) {
        ApiRequest r;
        char *err = NULL;
        ck_assert_int_eq(parse_req("{\"op\":\"wait\",\"job\":12,\"output\":true}", &r, &err), 0);
        ck_assert_int_eq(r.op, API_WAIT);
        ck_assert_int_eq(r.job, 12);
        ck_assert(r.output);
        api_request_done(&r);
        ck_assert_int_eq(parse_req("{\"op\":\"wait\",\"job\":3}", &r, &err), 0);
        ck_assert(!r.output);
        api_request_done(&r);
        ck_assert_str_eq(api_op_to_string(API_WAIT), "wait");

        const struct {
                const char *in, *expect;
        } bad[] = {
                { "{\"op\":\"wait\"}", "wait needs 'job'" },
                { "{\"op\":\"wait\",\"job\":0}", "'job' must be a positive job id" },
                { "{\"op\":\"wait\",\"job\":\"7\"}", "'job' must be a positive job id" },
                { "{\"op\":\"wait\",\"job\":7,\"output\":1}", "'output' must be true or false" },
                { "{\"op\":\"wait\",\"job\":7,\"follow\":true}", "unknown field 'follow' for wait" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                ck_assert_int_eq(parse_req(bad[i].in, &r, &err), -EINVAL);
                if (!err || !strstr(err, bad[i].expect))
                        ck_abort_msg("for %s expected '%s', got '%s'", bad[i].in, bad[i].expect, err);
                free(err);
        }
}
END_TEST

START_TEST(test_events_roundtrip) {
        ApiEvent e;
        roundtrip(api_event_state(42, JOB_RUNNING, NULL, "/home/a/err"), &e);
        ck_assert_int_eq(e.type, API_EVENT_STATE);
        ck_assert_int_eq(e.job, 42);
        ck_assert_int_eq(e.state, JOB_RUNNING);
        ck_assert_ptr_null(e.stdout_path);
        ck_assert_str_eq(e.stderr_path, "/home/a/err");
        api_event_done(&e);

        roundtrip(api_event_output(1, 123456, API_STREAM_CHUNK), &e);
        ck_assert_int_eq(e.type, API_EVENT_OUTPUT);
        ck_assert_int_eq(e.stream, 1);
        ck_assert_uint_eq(e.offset, 123456);
        ck_assert_uint_eq(e.bytes, API_STREAM_CHUNK);
        api_event_done(&e);

        json_t *job = json_pack("{s:I, s:s, s:s}", "id", (json_int_t) 42, "state", "FAILED", "exit", "3:0");
        roundtrip(api_event_end(job), &e);
        ck_assert_int_eq(e.type, API_EVENT_END);
        ck_assert_int_eq(e.state, JOB_FAILED);
        ck_assert_str_eq(json_string_value(json_object_get(e.job_info, "exit")), "3:0");
        api_event_done(&e);
        json_decref(job);

        roundtrip(api_error("not_found", "no job %d", 9), &e);
        ck_assert_int_eq(e.type, API_EVENT_ERROR);
        ck_assert_str_eq(e.code, "not_found");
        ck_assert_str_eq(e.error, "no job 9");
        api_event_done(&e);

        /* a newer daemon may add fields */
        char *err = NULL;
        ck_assert_int_eq(
                parse_ev("{\"ok\":true,\"event\":\"state\",\"job\":1,\"state\":\"QUEUED\",\"reason\":\"x\"}", &e, &err),
                0);
        ck_assert_int_eq(e.state, JOB_QUEUED);
        api_event_done(&e);
}
END_TEST

START_TEST(test_bad_events) {
        assert_bad_event("", "malformed JSON");
        assert_bad_event("[1]", "must be a JSON object");
        assert_bad_event("{\"event\":\"state\"}", "needs 'ok'");
        assert_bad_event("{\"ok\":false}", "needs 'error'");
        assert_bad_event("{\"ok\":false,\"error\":5}", "'error' must be a string");
        assert_bad_event("{\"ok\":true}", "needs 'event'");
        assert_bad_event("{\"ok\":true,\"event\":\"boom\"}", "unknown event 'boom'");
        assert_bad_event("{\"ok\":true,\"event\":\"state\",\"job\":-1,\"state\":\"RUNNING\"}", "'job' must be");
        assert_bad_event("{\"ok\":true,\"event\":\"state\",\"job\":1,\"state\":\"SLEEPY\"}", "'state' must be");
        assert_bad_event("{\"ok\":true,\"event\":\"state\",\"job\":1,\"state\":\"RUNNING\",\"stdout\":[]}",
                         "'stdout' must be a string");
        assert_bad_event("{\"ok\":true,\"event\":\"output\",\"stream\":\"stdin\",\"offset\":0,\"bytes\":1}",
                         "'stream' must be");
        assert_bad_event("{\"ok\":true,\"event\":\"output\",\"stream\":\"stdout\",\"offset\":-1,\"bytes\":1}",
                         "'offset' must be");
        /* an empty or oversized chunk: the client would wait for, or
         * truncate, the raw message that follows */
        assert_bad_event("{\"ok\":true,\"event\":\"output\",\"stream\":\"stdout\",\"offset\":0,\"bytes\":0}",
                         "'bytes' must be from 1");
        assert_bad_event("{\"ok\":true,\"event\":\"output\",\"stream\":\"stdout\",\"offset\":0,\"bytes\":61441}",
                         "'bytes' must be from 1");
        assert_bad_event("{\"ok\":true,\"event\":\"end\",\"job\":3}", "must be an object");
        assert_bad_event("{\"ok\":true,\"event\":\"end\",\"job\":{\"state\":\"RUNNING\"}}", "has not ended");
        assert_bad_event("{\"ok\":true,\"ok\":true,\"event\":\"end\"}", "malformed JSON");

        ApiEvent e;
        char *err = NULL;
        char *big = malloc(API_MAX_MESSAGE + 2);
        ck_assert_ptr_nonnull(big);
        memset(big, ' ', API_MAX_MESSAGE + 1);
        big[API_MAX_MESSAGE + 1] = '\0';
        ck_assert_int_eq(api_event_parse(big, API_MAX_MESSAGE + 1, &e, &err), -E2BIG);
        ck_assert_ptr_nonnull(err);
        free(err);
        free(big);
}
END_TEST

Suite *stream_suite(void) {
        Suite *s = suite_create("stream");
        TCase *tc = tcase_create("events");
        tcase_add_test(tc, test_wait_request);
        tcase_add_test(tc, test_events_roundtrip);
        tcase_add_test(tc, test_bad_events);
        suite_add_tcase(s, tc);
        return s;
}
