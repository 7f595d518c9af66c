/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-traces.c — corral-epilogue's traces step, its pure parts: whose IPC
 * objects and files are cleaned, spared (another running job of the user)
 * or ignored; the [epilogue] keys clean_ipc, clean_tmp, tmp_dirs and
 * tmp_quarantine_max and [filesystem] private_dirs, with their defaults and
 * FILE:LINE errors; tmp_dirs below --root. traces.c is compiled in here;
 * the rest of the epilogue comes from test-epilogue.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit-skip.h"

#include "epilogue.h"
#include "strv.h"

#define U 61791
#define V 61792

START_TEST(test_judge_per_user) {
        EpTargetRules r = { .mode = EP_MODE_CORRAL,
                            .have_uid = true,
                            .uid = U,
                            .user_eligible = true,
                            .min_uid = 1000,
                            .max_uid = 65000 };
        uid_t busy[] = { U };

        ck_assert_int_eq(traces_judge_uid(&r, NULL, 0, U), TRACE_CLEAN);
        ck_assert_int_eq(traces_judge_uid(&r, NULL, 0, V), TRACE_IGNORE); /* another user */
        ck_assert_int_eq(traces_judge_uid(&r, NULL, 0, 0), TRACE_IGNORE);
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, U), TRACE_SPARE); /* another job of the user runs */

        /* IPC: the creator decides */
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, U, U), TRACE_CLEAN);
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, 0, U), TRACE_CLEAN); /* handed to root to hide it */
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, 65534, U), TRACE_CLEAN); /* or to nobody */
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, U, 0), TRACE_IGNORE); /* root's, given to the user */
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, U, V), TRACE_IGNORE); /* another user's creation */
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, V, U), TRACE_IGNORE); /* handed to a user we may not judge */
        ck_assert_int_eq(traces_judge_ipc(&r, busy, 1, U, U), TRACE_SPARE);

        /* a user outside min_uid..max_uid or exempt: nothing is the user's */
        r.user_eligible = false;
        ck_assert_int_eq(traces_judge_uid(&r, NULL, 0, U), TRACE_IGNORE);
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, U, U), TRACE_IGNORE);
}
END_TEST

START_TEST(test_judge_sweep) {
        EpTargetRules r = { .mode = EP_MODE_SWEEP, .min_uid = 1000, .max_uid = 60000 };
        uid_t busy[] = { V };

        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, 1000), TRACE_CLEAN);
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, V), TRACE_IGNORE); /* above max_uid */
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, 999), TRACE_IGNORE);
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, 64030), TRACE_IGNORE); /* Debian's slurm */
        r.max_uid = 62000;
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, V), TRACE_SPARE);
        ck_assert_int_eq(traces_judge_uid(&r, busy, 1, U), TRACE_CLEAN);
        /* created by U, handed to V: V runs a job, so it stays */
        ck_assert_int_eq(traces_judge_ipc(&r, busy, 1, V, U), TRACE_SPARE);
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, V, U), TRACE_CLEAN);
        ck_assert_int_eq(traces_judge_ipc(&r, busy, 1, U, V), TRACE_SPARE);
        ck_assert_int_eq(traces_judge_ipc(&r, NULL, 0, 1000, 0), TRACE_IGNORE);
}
END_TEST

static char dir[256];

static void setup(void) {
        snprintf(dir, sizeof dir, "/tmp/corral-unit.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

/* Loads content as t.ini; returns r, the policy and the diagnostics. */
static int load(const char *content, Policy **ret, char **ret_diags) {
        char path[512];
        ConfDiags d = {};
        size_t len = 0;
        char *buf = NULL;
        FILE *f;
        int r;

        snprintf(path, sizeof path, "%s/t.ini", dir);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_ge(fputs(content, f), 0);
        ck_assert_int_eq(fclose(f), 0);
        r = policy_load(dir, "t", 0, ret, &d);
        f = open_memstream(&buf, &len);
        for (size_t i = 0; i < d.n; i++)
                fprintf(f, "%s:%u: %s\n", strrchr(d.items[i].file, '/') + 1, d.items[i].line, d.items[i].msg);
        fclose(f);
        conf_diags_clear(&d);
        *ret_diags = buf;
        return r;
}

static void assert_error(const char *content, const char *expect) {
        Policy *p = NULL;
        char *diags = NULL;
        ck_assert_int_lt(load(content, &p, &diags), 0);
        ck_assert_ptr_null(p);
        if (!strstr(diags, expect))
                ck_abort_msg("expected '%s' in diagnostics, got:\n%s", expect, diags);
        free(diags);
}

START_TEST(test_policy_defaults) {
        _cleanup_policy_free_ Policy *p = NULL;
        ck_assert_int_eq(policy_new_defaults(&p), 0);
        ck_assert(p->clean_ipc);
        ck_assert(p->clean_tmp);
        ck_assert_uint_eq(strv_length(p->tmp_dirs), 4);
        ck_assert_str_eq(p->tmp_dirs[0], "/dev/shm");
        ck_assert_str_eq(p->tmp_dirs[3], "/run/lock");
        ck_assert_uint_eq(p->tmp_quarantine_max, 64ULL << 20);
        ck_assert_uint_eq(strv_length(p->private_dirs), 2);
        ck_assert(strv_contains(p->private_dirs, "/var/tmp"));
        ck_assert(strv_contains(p->private_dirs, "/run/lock"));
}
END_TEST

START_TEST(test_policy_shipped) {
        const char *src = getenv("CORRAL_SRC");
        char pdir[512];
        _cleanup_policy_free_ Policy *p = NULL;
        ConfDiags d = {};
        snprintf(pdir, sizeof pdir, "%s/policies", src ? src : ".");
        ck_assert_int_eq(policy_load(pdir, "default", 0, &p, &d), 0);
        /* set in the file itself, not inherited from the built-in defaults */
        ck_assert_uint_gt(p->origin[PK_CLEAN_IPC].line, 0);
        ck_assert_uint_gt(p->origin[PK_CLEAN_TMP].line, 0);
        ck_assert_uint_gt(p->origin[PK_TMP_DIRS].line, 0);
        ck_assert_uint_gt(p->origin[PK_PRIVATE_DIRS].line, 0);
        ck_assert(p->clean_ipc && p->clean_tmp);
        ck_assert(strv_contains(p->tmp_dirs, "/var/tmp") && strv_contains(p->tmp_dirs, "/run/lock"));
        ck_assert(strv_contains(p->private_dirs, "/var/tmp") && strv_contains(p->private_dirs, "/run/lock"));
}
END_TEST

START_TEST(test_policy_keys) {
        Policy *p = NULL;
        char *diags = NULL;
        ck_assert_int_eq(load("[epilogue]\nclean_ipc = no\nclean_tmp = no\ntmp_dirs = /scratch/tmp,\n    /tmp\n"
                              "tmp_quarantine_max = 0\n[filesystem]\nprivate_dirs =\n",
                              &p, &diags),
                         0);
        free(diags);
        ck_assert(!p->clean_ipc && !p->clean_tmp);
        ck_assert_uint_eq(strv_length(p->tmp_dirs), 2);
        ck_assert_str_eq(p->tmp_dirs[0], "/scratch/tmp");
        ck_assert_uint_eq(p->tmp_quarantine_max, 0);
        ck_assert_uint_eq(strv_length(p->private_dirs), 0); /* an empty value clears */
        ck_assert_uint_eq(p->origin[PK_TMP_QUARANTINE_MAX].line, 6);
        p = policy_free(p);
}
END_TEST

START_TEST(test_policy_errors) {
        assert_error("[epilogue]\nclean_ipc = maybe\n",
                     "t.ini:2: invalid value 'maybe' for 'clean_ipc': expected yes or no");
        assert_error("[epilogue]\n\nclean_tmp = 2\n", "t.ini:3: invalid value '2' for 'clean_tmp'");
        assert_error("[epilogue]\ntmp_dirs = /tmp, var/tmp\n",
                     "t.ini:2: 'var/tmp' is not an absolute path without '.' or '..' components");
        assert_error("[epilogue]\ntmp_dirs = /tmp/../etc\n", "t.ini:2: '/tmp/../etc' is not an absolute path");
        assert_error("[epilogue]\ntmp_quarantine_max = 64 MB\n",
                     "t.ini:2: invalid size '64 MB' for 'tmp_quarantine_max'");
        assert_error("[epilogue]\nclean_tmps = yes\n", "t.ini:2: unknown key 'clean_tmps'");
        assert_error("[epilogue]\nclean_tmps = yes\n", "did you mean 'clean_tmp'?");
        assert_error("[filesystem]\nprivate_dirs = run/lock\n", "t.ini:2: 'run/lock' is not an absolute path");
        /* private dirs need a mount namespace of the job's own */
        assert_error(
                "[namespaces]\nmount = host\n[filesystem]\nprivate_tmp = no\nprivate_devshm = no\nprivate_dev = no\n",
                "namespaces.mount = host, but [filesystem] asks for private");
}
END_TEST

START_TEST(test_tmp_dirs_below_root) {
        _cleanup_policy_free_ Policy *p = NULL;
        EpRequest r = { .root = strdup("/srv/node") };
        ck_assert_int_eq(policy_new_defaults(&p), 0);
        ck_assert_int_eq(ep_resolve_paths(&r, p), 0);
        ck_assert_uint_eq(strv_length(r.paths.tmp_dirs), 4);
        ck_assert_str_eq(r.paths.tmp_dirs[0], "/srv/node/dev/shm");
        ck_assert_str_eq(r.paths.tmp_dirs[2], "/srv/node/var/tmp");
        ep_request_done(&r);

        EpRequest plain = {};
        ck_assert_int_eq(ep_resolve_paths(&plain, p), 0);
        ck_assert_str_eq(plain.paths.tmp_dirs[1], "/tmp");
        ep_request_done(&plain);
}
END_TEST

Suite *traces_suite(void) {
        Suite *s = suite_create("traces");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_judge_per_user);
        tcase_add_test(tc, test_judge_sweep);
        tcase_add_test(tc, test_policy_defaults);
        tcase_add_test(tc, test_policy_shipped);
        tcase_add_test(tc, test_policy_keys);
        tcase_add_test(tc, test_policy_errors);
        tcase_add_test(tc, test_tmp_dirs_below_root);
        suite_add_tcase(s, tc);
        return s;
}
