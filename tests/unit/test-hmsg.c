/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-hmsg.c — the typed core<->helper messages (lib/hmsg.c): every type
 * packs and unpacks to the same struct; unpack refuses, with the field
 * named, each kind of bad field (type, range, name, path, environment,
 * signal, session), a missing one, an unknown key and an unknown type; pack
 * refuses to put an invalid message on the wire; and a real socketpair
 * carries one. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hmsg.h"
#include "macro.h"
#include "strv.h"

#define OID "0123456789abcdef0123456789abcdef"
#define LAUNCH                                                                                                         \
        "{\"type\":\"launch\",\"job\":7,\"uid\":61000,\"user\":\"corraltest\",\"policy\":\"default\",\"cwd\":\"/"      \
        "tmp\","                                                                                                       \
        "\"walltime\":3600000000,\"output_id\":\"" OID                                                                 \
        "\",\"argv\":[\"/bin/echo\",\"a b\"],\"env\":[\"A=1\",\"B=x=y\"],"                                             \
        "\"stdout\":\"/tmp/o\",\"stderr\":null}"

static int unpack_str(const char *s, HMsg *m, const char **field) {
        return hmsg_unpack_bytes(s, strlen(s), m, field);
}

/* the message s with "key": value replaced (or added) */
static char *with(const char *s, const char *key, const char *value) {
        json_t *o = json_loads(s, 0, NULL), *v = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
        ck_assert_ptr_nonnull(o);
        if (value)
                ck_assert_ptr_nonnull(v);
        if (v)
                json_object_set_new(o, key, v);
        else
                json_object_del(o, key);
        char *r = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return r;
}

static void assert_refused(const char *base, const char *key, const char *value, const char *expect_field) {
        _cleanup_free_ char *s = with(base, key, value);
        HMsg m;
        const char *field = NULL;
        int r = unpack_str(s, &m, &field);
        if (r != -EBADMSG)
                ck_abort_msg("%s: expected -EBADMSG, got %d", s, r);
        ck_assert_ptr_nonnull(field);
        if (!streq(field, expect_field))
                ck_abort_msg("%s: expected the field '%s' named, got '%s'", s, expect_field, field);
}

/* pack(unpack(s)) unpacks to what unpack(s) gave, field by field as JSON */
static void assert_round_trip(const char *s) {
        HMsg a, b;
        json_t *o = NULL, *o2 = NULL;
        const char *field = NULL;
        ck_assert_int_eq(unpack_str(s, &a, &field), 0);
        ck_assert_int_eq(hmsg_pack(&a, &o, &field), 0);
        ck_assert_int_eq(hmsg_unpack(o, &b, &field), 0);
        ck_assert_int_eq(a.type, b.type);
        ck_assert_int_eq(hmsg_pack(&b, &o2, &field), 0);
        ck_assert(json_equal(o, o2));
        json_decref(o);
        json_decref(o2);
        hmsg_done(&a);
        hmsg_done(&b);
}

START_TEST(test_launch) {
        HMsg m;
        const char *field = "x";
        ck_assert_int_eq(unpack_str(LAUNCH, &m, &field), 0);
        ck_assert_ptr_null(field);
        ck_assert_int_eq(m.type, HMSG_T_LAUNCH);
        ck_assert(hmsg_type_to_helper(m.type));
        ck_assert_int_eq(hmsg_job(&m), 7);
        ck_assert_uint_eq(m.launch.uid, 61000);
        ck_assert_str_eq(m.launch.user, "corraltest");
        ck_assert_str_eq(m.launch.cwd, "/tmp");
        ck_assert_uint_eq(m.launch.walltime, UINT64_C(3600000000));
        ck_assert_uint_eq(strv_length(m.launch.argv), 2);
        ck_assert_str_eq(m.launch.argv[1], "a b");
        ck_assert_str_eq(m.launch.env[1], "B=x=y");
        ck_assert_str_eq(m.launch.stdout_path, "/tmp/o");
        ck_assert_ptr_null(m.launch.stderr_path);
        hmsg_done(&m);
        assert_round_trip(LAUNCH);
}
END_TEST

START_TEST(test_launch_refusals) {
        assert_refused(LAUNCH, "job", "0", "job");
        assert_refused(LAUNCH, "job", "-3", "job");
        assert_refused(LAUNCH, "job", "\"7\"", "job");
        assert_refused(LAUNCH, "job", NULL, "job");
        assert_refused(LAUNCH, "uid", "0", "uid");
        assert_refused(LAUNCH, "uid", "4294967295", "uid");
        assert_refused(LAUNCH, "uid", "4294967296", "uid");
        assert_refused(LAUNCH, "user", "\"a/b\"", "user");
        assert_refused(LAUNCH, "user", "\"\"", "user");
        assert_refused(LAUNCH, "user", "7", "user");
        assert_refused(LAUNCH, "policy", "\"../etc/x\"", "policy");
        assert_refused(LAUNCH, "cwd", "\"tmp\"", "cwd");
        assert_refused(LAUNCH, "walltime", "-1", "walltime");
        assert_refused(LAUNCH, "output_id", "\"../../etc\"", "output_id");
        assert_refused(LAUNCH, "argv", "[]", "argv");
        assert_refused(LAUNCH, "argv", "[1]", "argv");
        assert_refused(LAUNCH, "argv", "\"/bin/sh\"", "argv");
        assert_refused(LAUNCH, "env", "[\"NOEQUALS\"]", "env");
        assert_refused(LAUNCH, "env", "[\"=x\"]", "env");
        assert_refused(LAUNCH, "env", "[\"A B=x\"]", "env");
        assert_refused(LAUNCH, "stdout", "\"relative\"", "stdout");
        assert_refused(LAUNCH, "stderr", "5", "stderr");
        assert_refused(LAUNCH, "extra", "1", "extra");
        assert_refused(LAUNCH, "type", "\"lunch\"", "type");
        assert_refused(LAUNCH, "type", NULL, "type");
}
END_TEST

START_TEST(test_limits) {
        /* more argv entries than the API allows */
        json_t *o = json_loads(LAUNCH, 0, NULL), *a = json_array();
        for (int i = 0; i < 1025; i++)
                json_array_append_new(a, json_string("x"));
        json_object_set_new(o, "argv", a);
        HMsg m;
        const char *field = NULL;
        ck_assert_int_eq(hmsg_unpack(o, &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "argv");
        json_decref(o);
        /* a NUL inside a string (JSON may carry one as \u0000) */
        o = json_loads(LAUNCH, 0, NULL);
        a = json_array();
        json_array_append_new(a, json_stringn("a\0b", 3));
        json_object_set_new(o, "argv", a);
        ck_assert_int_eq(hmsg_unpack(o, &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "argv");
        json_object_set_new(o, "argv", json_pack("[s]", "/bin/true"));
        json_object_set_new(o, "cwd", json_stringn("/tmp\0/x", 7));
        ck_assert_int_eq(hmsg_unpack(o, &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "cwd");
        json_decref(o);
        /* oversized bytes and bytes that are not JSON */
        size_t n = HMSG_MAX_BYTES + 1;
        char *big = malloc(n);
        ck_assert_ptr_nonnull(big);
        memset(big, ' ', n);
        ck_assert_int_eq(hmsg_unpack_bytes(big, n, &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "message");
        free(big);
        ck_assert_int_eq(unpack_str("{\"type\":", &m, &field), -EBADMSG);
        ck_assert_int_eq(unpack_str("[1]", &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "type");
        /* a duplicate key is refused, not resolved */
        ck_assert_int_eq(unpack_str("{\"type\":\"kill\",\"job\":1,\"job\":2}", &m, &field), -EBADMSG);
}
END_TEST

START_TEST(test_other_types) {
        static const char *const ok[] = {
                "{\"type\":\"signal\",\"job\":3,\"signal\":15}",
                "{\"type\":\"kill\",\"job\":3}",
                "{\"type\":\"epilogue\",\"job\":3,\"uid\":61001,\"user\":\"u\",\"policy\":\"strict\","
                "\"keep_sessions\":[100,200]}",
                "{\"type\":\"epilogue\",\"job\":3,\"uid\":61001,\"user\":\"u\",\"policy\":\"strict\"}",
                "{\"type\":\"recovery\",\"begin\":true}",
                "{\"type\":\"adopt\",\"job\":3,\"pid\":0,\"start\":0}",
                "{\"type\":\"launched\",\"job\":3,\"pid\":4711,\"start\":99,\"stdout\":\"/o\",\"stderr\":\"/e\","
                "\"cgroup\":\"/corral/job-3\"}",
                "{\"type\":\"launch-failed\",\"job\":3,\"error\":\"policy 'x' cannot be loaded\"}",
                "{\"type\":\"exited\",\"job\":3,\"result\":{\"exit\":\"0:0\"},\"status_known\":true,\"code\":0,"
                "\"signal\":0,\"log\":null,\"lost\":false}",
                "{\"type\":\"epilogue-done\",\"job\":3,\"exit\":1,\"summary\":null}",
                "{\"type\":\"adopted\",\"job\":3}",
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                HMsg m;
                const char *field = NULL;
                int r = unpack_str(ok[i], &m, &field);
                if (r != 0)
                        ck_abort_msg("%s: %d (field %s)", ok[i], r, field ? field : "-");
                json_t *o = json_loads(ok[i], 0, NULL);
                ck_assert_str_eq(hmsg_type_name(m.type), json_string_value(json_object_get(o, "type")) ?: "");
                json_decref(o);
                hmsg_done(&m);
                assert_round_trip(ok[i]);
        }
        HMsg m;
        ck_assert_int_eq(unpack_str(ok[2], &m, NULL), 0);
        ck_assert_uint_eq(m.epilogue.n_keep_sessions, 2);
        ck_assert_int_eq(m.epilogue.keep_sessions[1], 200);
        hmsg_done(&m);
        ck_assert_int_eq(unpack_str(ok[4], &m, NULL), 0);
        ck_assert(m.recovery.begin);
        ck_assert_int_eq(hmsg_job(&m), 0);
        ck_assert(hmsg_type_to_helper(m.type));
        hmsg_done(&m);
        ck_assert_int_eq(unpack_str(ok[8], &m, NULL), 0);
        ck_assert(!hmsg_type_to_helper(m.type));
        ck_assert_str_eq(json_string_value(json_object_get(m.exited.result, "exit")), "0:0");
        hmsg_done(&m);

        /* refusals of these types' own checks */
        assert_refused(ok[0], "signal", "9", "signal"); /* SIGKILL is not the users' to send */
        assert_refused(ok[0], "signal", "\"TERM\"", "signal");
        assert_refused(ok[2], "keep_sessions", "[1]", "keep_sessions");
        assert_refused(ok[2], "keep_sessions", "[-5]", "keep_sessions");
        assert_refused(ok[2], "keep_sessions", "\"100\"", "keep_sessions");
        assert_refused(ok[4], "begin", "1", "begin");
        assert_refused(ok[5], "pid", "-1", "pid");
        assert_refused(ok[5], "start", "-1", "start");
        assert_refused(ok[6], "stdout", "\"o\"", "stdout");
        assert_refused(ok[8], "result", "[1]", "result");
        assert_refused(ok[8], "lost", "0", "lost");
        assert_refused(ok[8], "code", "4294967296", "code");
        assert_refused(ok[9], "summary", "\"x\"", "summary");
        assert_refused(ok[10], "alive", "true", "alive");
}
END_TEST

START_TEST(test_keep_sessions_limit) {
        json_t *o = json_loads("{\"type\":\"epilogue\",\"job\":3,\"uid\":61001,\"user\":\"u\",\"policy\":\"strict\"}",
                               0, NULL),
               *a = json_array();
        for (int i = 0; i < HMSG_MAX_KEEP_SESSIONS + 1; i++)
                json_array_append_new(a, json_integer(100 + i));
        json_object_set_new(o, "keep_sessions", a);
        HMsg m;
        const char *field = NULL;
        ck_assert_int_eq(hmsg_unpack(o, &m, &field), -EBADMSG);
        ck_assert_str_eq(field, "keep_sessions");
        json_decref(o);
}
END_TEST

START_TEST(test_pack_refuses_invalid) {
        char *argv[] = { NULL };
        HMsg m = { .type = HMSG_T_LAUNCH,
                   .launch = { .job = 1,
                               .uid = 61000,
                               .user = "u",
                               .policy = "default",
                               .cwd = "/",
                               .walltime = 1,
                               .output_id = OID,
                               .argv = argv,
                               .env = argv } };
        json_t *o = NULL;
        const char *field = NULL;
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), -EINVAL);
        ck_assert_str_eq(field, "argv");
        ck_assert_ptr_null(o);
        m = (HMsg){ .type = HMSG_T_SIGNAL, .signal = { .job = 1, .signal = SIGKILL } };
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), -EINVAL);
        ck_assert_str_eq(field, "signal");
        m = (HMsg){ .type = HMSG_T_KILL, .kill = { .job = 0 } };
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), -EINVAL);
        ck_assert_str_eq(field, "job");
        m = (HMsg){ .type = _HMSG_T_MAX };
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), -EINVAL);
        ck_assert_str_eq(field, "type");
        ck_assert_ptr_null(hmsg_type_name(_HMSG_T_MAX));
        ck_assert_int_eq(hmsg_type_from_name("nope"), _HMSG_T_INVALID);
}
END_TEST

START_TEST(test_socket) {
        int sv[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        HMsg m = { .type = HMSG_T_SIGNAL, .signal = { .job = 42, .signal = SIGUSR1 } }, got;
        const char *field = NULL;
        /* an invalid message is refused before it is sent, the field named */
        HMsg bad_sig = { .type = HMSG_T_SIGNAL, .signal = { .job = 42, .signal = SIGKILL } };
        ck_assert_int_eq(hmsg_send(sv[0], &bad_sig, &field), -EINVAL);
        ck_assert_str_eq(field, "signal");
        ck_assert_int_eq(hmsg_send(sv[0], &m, NULL), 0);
        ck_assert_int_eq(hmsg_recv(sv[1], &got, &field), 1);
        ck_assert_int_eq(got.type, HMSG_T_SIGNAL);
        ck_assert_int_eq(got.signal.job, 42);
        ck_assert_int_eq(got.signal.signal, SIGUSR1);
        hmsg_done(&got);
        /* a message that does not unpack: the receiver is told which field */
        const char *bad = "{\"type\":\"signal\",\"job\":42,\"signal\":9}";
        ck_assert_int_eq(send(sv[0], bad, strlen(bad), 0), (ssize_t) strlen(bad));
        ck_assert_int_eq(hmsg_recv(sv[1], &got, &field), -EBADMSG);
        ck_assert_str_eq(field, "signal");
        close(sv[0]);
        ck_assert_int_eq(hmsg_recv(sv[1], &got, &field), 0);
        close(sv[1]);
}
END_TEST

START_TEST(test_when) {
        char *argv[] = { "/bin/true", NULL }, *env[] = { NULL };
        HMsg launch = { .type = HMSG_T_LAUNCH,
                        .launch = { .job = 1,
                                    .uid = 61000,
                                    .user = "u",
                                    .policy = "default",
                                    .cwd = "/",
                                    .walltime = 1,
                                    .output_id = OID,
                                    .argv = argv,
                                    .env = env } },
             adopt = { .type = HMSG_T_ADOPT, .adopt = { .job = 1 } },
             epilogue = { .type = HMSG_T_EPILOGUE,
                          .epilogue = { .job = 1, .uid = 61000, .user = "u", .policy = "default" } },
             sig = { .type = HMSG_T_SIGNAL, .signal = { .job = 1, .signal = SIGTERM } },
             kill = { .type = HMSG_T_KILL, .kill = { .job = 1 } },
             begin = { .type = HMSG_T_RECOVERY, .recovery = { .begin = true } },
             end = { .type = HMSG_T_RECOVERY, .recovery = { .begin = false } },
             exited = { .type = HMSG_T_EXITED, .exited = { .job = 1 } };

        /* after start: only the recovery's begin */
        ck_assert_ptr_null(hmsg_refusal(&begin, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&end, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&launch, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&adopt, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&epilogue, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&sig, HMSG_PHASE_START, false));
        ck_assert_int_eq(hmsg_phase_after(&begin, HMSG_PHASE_START), HMSG_PHASE_RECOVERING);
        /* recovering: adopt and epilogue of untracked jobs, the end */
        ck_assert_ptr_null(hmsg_refusal(&adopt, HMSG_PHASE_RECOVERING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&adopt, HMSG_PHASE_RECOVERING, true));
        ck_assert_ptr_null(hmsg_refusal(&epilogue, HMSG_PHASE_RECOVERING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&launch, HMSG_PHASE_RECOVERING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&kill, HMSG_PHASE_RECOVERING, true));
        ck_assert_ptr_nonnull(hmsg_refusal(&begin, HMSG_PHASE_RECOVERING, false));
        ck_assert_ptr_null(hmsg_refusal(&end, HMSG_PHASE_RECOVERING, false));
        ck_assert_int_eq(hmsg_phase_after(&end, HMSG_PHASE_RECOVERING), HMSG_PHASE_RUNNING);
        /* running: launch for an untracked job, never adopt, no recovery */
        ck_assert_ptr_null(hmsg_refusal(&launch, HMSG_PHASE_RUNNING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&launch, HMSG_PHASE_RUNNING, true));
        ck_assert_ptr_nonnull(hmsg_refusal(&adopt, HMSG_PHASE_RUNNING, false));
        ck_assert_ptr_null(hmsg_refusal(&epilogue, HMSG_PHASE_RUNNING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&epilogue, HMSG_PHASE_RUNNING, true));
        ck_assert_ptr_null(hmsg_refusal(&sig, HMSG_PHASE_RUNNING, true));
        ck_assert_ptr_null(hmsg_refusal(&sig, HMSG_PHASE_RUNNING, false)); /* gone already: ignored */
        ck_assert_ptr_null(hmsg_refusal(&kill, HMSG_PHASE_RUNNING, true));
        ck_assert_ptr_nonnull(hmsg_refusal(&begin, HMSG_PHASE_RUNNING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&end, HMSG_PHASE_RUNNING, false));
        ck_assert_int_eq(hmsg_phase_after(&launch, HMSG_PHASE_RUNNING), HMSG_PHASE_RUNNING);
        /* what the helper sends is never taken from the core */
        for (HMsgPhase ph = HMSG_PHASE_START; ph <= HMSG_PHASE_RUNNING; ph++)
                ck_assert_ptr_nonnull(hmsg_refusal(&exited, ph, false));
}
END_TEST

/* purge: only after the recovery, never for a job the helper tracks, and
 * only with an output id corral makes (no path can be smuggled in) */
START_TEST(test_purge) {
        HMsg m = { .type = HMSG_T_PURGE, .purge = { .job = 7, .output_id = OID } }, back;
        json_t *o = NULL;
        const char *field = NULL;

        ck_assert_ptr_nonnull(hmsg_refusal(&m, HMSG_PHASE_START, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&m, HMSG_PHASE_RECOVERING, false));
        ck_assert_ptr_null(hmsg_refusal(&m, HMSG_PHASE_RUNNING, false));
        ck_assert_ptr_nonnull(hmsg_refusal(&m, HMSG_PHASE_RUNNING, true));
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), 0);
        ck_assert_int_eq(hmsg_unpack(o, &back, &field), 0);
        ck_assert_int_eq(back.purge.job, 7);
        ck_assert_str_eq(back.purge.output_id, OID);
        hmsg_done(&back);
        json_object_set_new(o, "output_id", json_string("../../etc"));
        ck_assert_int_eq(hmsg_unpack(o, &back, &field), -EBADMSG);
        ck_assert_str_eq(field, "output_id");
        json_decref(o);
        m.purge.output_id = "..";
        ck_assert_int_eq(hmsg_pack(&m, &o, &field), -EINVAL);
        ck_assert_str_eq(field, "output_id");
}
END_TEST

Suite *hmsg_suite(void) {
        Suite *s = suite_create("hmsg");
        TCase *tc = tcase_create("messages");
        tcase_add_test(tc, test_launch);
        tcase_add_test(tc, test_launch_refusals);
        tcase_add_test(tc, test_purge);
        tcase_add_test(tc, test_limits);
        tcase_add_test(tc, test_other_types);
        tcase_add_test(tc, test_keep_sessions_limit);
        tcase_add_test(tc, test_pack_refuses_invalid);
        tcase_add_test(tc, test_socket);
        tcase_add_test(tc, test_when);
        suite_add_tcase(s, tc);
        return s;
}
