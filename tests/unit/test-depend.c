/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-depend.c — lib/depend.c: --dependency and --after/--afterok/--afterany
 * as Slurm writes them, their canonical text, whether a dependency is met
 * from the state of its job, and --begin times; where they travel: the
 * API's submit and bulk cancel, the store (and the dispatcher's pick, which
 * skips a blocked job). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "depend.h"
#include "protocol.h"
#include "store.h"
#include "strv.h"

START_TEST(test_dep_parse) {
        DepList l = { .n = 0 };
        const char *bad = NULL;
        char *s = NULL;
        ck_assert_int_eq(dep_parse("afterok:3:4,afterany:5", &l, &bad), 0);
        ck_assert_uint_eq(l.n, 3);
        ck_assert_int_eq(l.v[0].type, DEP_AFTEROK);
        ck_assert_int_eq(l.v[0].job, 3);
        ck_assert_int_eq(l.v[1].job, 4);
        ck_assert_int_eq(l.v[2].type, DEP_AFTERANY);
        ck_assert_int_eq(l.v[2].job, 5);
        /* --after 2 added to it; a repeat is kept once */
        ck_assert_int_eq(dep_parse_ids(DEP_AFTER, "2:2", &l, &bad), 0);
        ck_assert_int_eq(dep_parse_ids(DEP_AFTEROK, "3", &l, &bad), 0);
        ck_assert_uint_eq(l.n, 4);
        /* canonical: types in order, ids as given */
        ck_assert_int_eq(dep_format(&l, &s), 0);
        ck_assert_str_eq(s, "after:2,afterok:3:4,afterany:5");
        free(s);
        DepList e = { .n = 0 };
        ck_assert_int_eq(dep_format(&e, &s), 0);
        ck_assert_ptr_null(s);
        /* what is refused, and where */
        const char *badones[] = { "",          "afterok",      "afterok:",   "afterok:x",
                                  "afterok:0", "afterok:-1",   "afterok:3,", "afterok:3;",
                                  "later:3",   "afterok:3::4", "AFTEROK:3",  "afterok:99999999999999999999" };
        for (size_t i = 0; i < sizeof badones / sizeof *badones; i++) {
                DepList m = { .n = 0 };
                ck_assert_msg(dep_parse(badones[i], &m, &bad) == -EINVAL, "%s", badones[i]);
        }
        DepList m = { .n = 0 };
        ck_assert_int_eq(dep_parse("later:3", &m, &bad), -EINVAL);
        ck_assert_str_eq(bad, "later:3");
        ck_assert_int_eq(dep_parse("afterok:3,afterany:x", &m, &bad), -EINVAL);
        ck_assert_str_eq(bad, "x");
        ck_assert_int_eq(dep_parse_ids(DEP_AFTER, "3,4", &m, &bad), -EINVAL);
        /* at most DEP_MAX */
        DepList big = { .n = 0 };
        char buf[16];
        for (int i = 1; i <= DEP_MAX; i++) {
                snprintf(buf, sizeof buf, "%d", i);
                ck_assert_int_eq(dep_parse_ids(DEP_AFTEROK, buf, &big, &bad), 0);
        }
        ck_assert_int_eq(dep_parse_ids(DEP_AFTEROK, "1000", &big, &bad), -E2BIG);
        ck_assert_int_eq(dep_parse_ids(DEP_AFTEROK, "1", &big, &bad), 0); /* a repeat takes no room */
}
END_TEST

START_TEST(test_dep_status) {
        /* after: started (running) or over, whatever the outcome */
        ck_assert_int_eq(dep_status(DEP_AFTER, true, JOB_QUEUED), DEP_WAIT);
        ck_assert_int_eq(dep_status(DEP_AFTER, true, JOB_HELD), DEP_WAIT);
        ck_assert_int_eq(dep_status(DEP_AFTER, true, JOB_STARTING), DEP_WAIT);
        ck_assert_int_eq(dep_status(DEP_AFTER, true, JOB_RUNNING), DEP_MET);
        ck_assert_int_eq(dep_status(DEP_AFTER, true, JOB_CANCELLED), DEP_MET);
        /* afterok: COMPLETED only; any other end is never */
        ck_assert_int_eq(dep_status(DEP_AFTEROK, true, JOB_RUNNING), DEP_WAIT);
        ck_assert_int_eq(dep_status(DEP_AFTEROK, true, JOB_COMPLETED), DEP_MET);
        for (JobState s = JOB_FAILED; s <= JOB_LOST; s++)
                ck_assert_int_eq(dep_status(DEP_AFTEROK, true, s), DEP_NEVER);
        /* afterany: any end */
        ck_assert_int_eq(dep_status(DEP_AFTERANY, true, JOB_RUNNING), DEP_WAIT);
        for (JobState s = JOB_COMPLETED; s <= JOB_LOST; s++)
                ck_assert_int_eq(dep_status(DEP_AFTERANY, true, s), DEP_MET);
        /* a job purged long after it ended */
        ck_assert_int_eq(dep_status(DEP_AFTER, false, _JOB_STATE_INVALID), DEP_MET);
        ck_assert_int_eq(dep_status(DEP_AFTERANY, false, _JOB_STATE_INVALID), DEP_MET);
        ck_assert_int_eq(dep_status(DEP_AFTEROK, false, _JOB_STATE_INVALID), DEP_NEVER);
        ck_assert_str_eq(dep_status_to_string(DEP_WAIT), "waiting");
        ck_assert_str_eq(dep_status_to_string(DEP_NEVER), "never");
        ck_assert_str_eq(dep_type_to_string(DEP_AFTERANY), "afterany");
        ck_assert_int_eq(dep_type_from_string("afterok"), DEP_AFTEROK);
        ck_assert_int_eq(dep_type_from_string("aftercorr"), _DEP_TYPE_INVALID);
}
END_TEST

START_TEST(test_begin_parse) {
        time_t now, t;
        struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 2, .tm_hour = 8, .tm_min = 30, .tm_isdst = -1 };
        setenv("TZ", "Europe/Paris", 1); /* local time, not UTC */
        tzset();
        now = mktime(&tm); /* 2026-12-02 08:30:00 local */
        ck_assert_int_eq(begin_parse("now", now, &t), 0);
        ck_assert_int_eq(t, now);
        ck_assert_int_eq(begin_parse("now+30s", now, &t), 0);
        ck_assert_int_eq(t, now + 30);
        ck_assert_int_eq(begin_parse("now+5min", now, &t), 0);
        ck_assert_int_eq(t, now + 300);
        ck_assert_int_eq(begin_parse("now+2hours", now, &t), 0);
        ck_assert_int_eq(t, now + 7200);
        ck_assert_int_eq(begin_parse("now+1d", now, &t), 0);
        ck_assert_int_eq(t, now + 86400);
        ck_assert_int_eq(begin_parse("+90", now, &t), 0);
        ck_assert_int_eq(t, now + 90);
        ck_assert_int_eq(begin_parse("now+90", now, &t), 0);
        ck_assert_int_eq(t, now + 90);
        /* HH:MM: today if ahead, else tomorrow */
        ck_assert_int_eq(begin_parse("14:00", now, &t), 0);
        ck_assert_int_eq(t, now + 5 * 3600 + 30 * 60);
        ck_assert_int_eq(begin_parse("08:00", now, &t), 0);
        ck_assert_int_eq(t, now + 86400 - 30 * 60);
        ck_assert_int_eq(begin_parse("08:30:10", now, &t), 0);
        ck_assert_int_eq(t, now + 10);
        /* ISO 8601, local time */
        ck_assert_int_eq(begin_parse("2026-12-02T14:00", now, &t), 0);
        ck_assert_int_eq(t, now + 5 * 3600 + 30 * 60);
        ck_assert_int_eq(begin_parse("2026-12-03", now, &t), 0);
        ck_assert_int_eq(t, now + 86400 - 8 * 3600 - 30 * 60);
        ck_assert_int_eq(begin_parse("2026-12-02 08:30:05", now, &t), 0);
        ck_assert_int_eq(t, now + 5);
        /* summer time: 2027-07-01 12:00 in Paris is 10:00 UTC */
        ck_assert_int_eq(begin_parse("2027-07-01T12:00", now, &t), 0);
        ck_assert_int_eq(t, 1814436000);
        const char *bad[] = { "",           "later",      "now+",     "now-5",       "now+5x",
                              "+",          "25:00",      "12:60",    "1:00",        "12:00:",
                              "2026-13-01", "2026-02-30", "2026-2-1", "2026-12-02T", "2026-12-02T9:00",
                              "tomorrow",   "now+1y",     "12:00pm" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                ck_assert_msg(begin_parse(bad[i], now, &t) < 0, "%s", bad[i]);
        ck_assert_int_eq(begin_parse("now+99999999999999", now, &t), -ERANGE);
        unsetenv("TZ");
        tzset();
}
END_TEST

START_TEST(test_protocol_depends_cancel) {
        ApiRequest rq;
        char *err = NULL;
        const char *sub = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\","
                          "\"depends\":\"afterany:5,afterok:3:4\",\"begin\":1795338781}";
        ck_assert_int_eq(api_request_parse(sub, strlen(sub), &rq, &err), 0);
        ck_assert_str_eq(rq.depends, "afterok:3:4,afterany:5"); /* canonical */
        ck_assert_uint_eq(rq.begin, UINT64_C(1795338781) * 1000000);
        api_request_done(&rq);
        const char *bad = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"depends\":\"afterok:x\"}";
        ck_assert_int_eq(api_request_parse(bad, strlen(bad), &rq, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "'depends'"));
        free(err);
        err = NULL;
        /* a bulk cancel: ids, ranges, filters */
        const char *bulk = "{\"op\":\"cancel\",\"jobs\":[3,[5,9],12],\"user\":\"alice\",\"states\":[\"QUEUED\"]}";
        ck_assert_int_eq(api_request_parse(bulk, strlen(bulk), &rq, &err), 0);
        ck_assert(rq.bulk);
        ck_assert_uint_eq(rq.n_ranges, 3);
        ck_assert_int_eq(rq.ranges[0][0], 3);
        ck_assert_int_eq(rq.ranges[0][1], 3);
        ck_assert_int_eq(rq.ranges[1][0], 5);
        ck_assert_int_eq(rq.ranges[1][1], 9);
        ck_assert_str_eq(rq.user, "alice");
        ck_assert_uint_eq(rq.states, 1u << JOB_QUEUED);
        api_request_done(&rq);
        const char *filters = "{\"op\":\"cancel\",\"states\":[\"HELD\"]}";
        ck_assert_int_eq(api_request_parse(filters, strlen(filters), &rq, &err), 0);
        ck_assert(rq.bulk);
        ck_assert_uint_eq(rq.n_ranges, 0);
        api_request_done(&rq);
        const char *one = "{\"op\":\"cancel\",\"job\":7}";
        ck_assert_int_eq(api_request_parse(one, strlen(one), &rq, &err), 0);
        ck_assert(!rq.bulk);
        ck_assert_int_eq(rq.job, 7);
        api_request_done(&rq);
        const char *refused[] = {
                "{\"op\":\"cancel\",\"jobs\":[]}",
                "{\"op\":\"cancel\",\"jobs\":[0]}",
                "{\"op\":\"cancel\",\"jobs\":[[9,5]]}",
                "{\"op\":\"cancel\",\"jobs\":[[1,2,3]]}",
                "{\"op\":\"cancel\",\"jobs\":[\"3\"]}",
                "{\"op\":\"cancel\",\"jobs\":[[1,1001]]}", /* more than API_MAX_CANCEL */
                "{\"op\":\"cancel\",\"jobs\":[3],\"job\":3}",
                "{\"op\":\"cancel\",\"jobs\":[3],\"last\":3}",
        };
        for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
                ck_assert_msg(api_request_parse(refused[i], strlen(refused[i]), &rq, &err) == -EINVAL, "%s",
                              refused[i]);
                free(err);
                err = NULL;
        }
}
END_TEST

static Job *new_job(uid_t uid) {
        Job *j = calloc(1, sizeof(Job));
        *j = (Job){ .uid = uid, .gid = uid, .state = JOB_QUEUED, .walltime = 1000000, .tasks = 1 };
        j->user = strdup("u");
        j->policy = strdup("default");
        strv_extend(&j->argv, "/bin/true");
        j->env = calloc(1, sizeof(char *));
        j->cwd = strdup("/");
        ck_assert_int_eq(job_output_id_new(j->output_id), 0);
        return j;
}

START_TEST(test_store_blocked) {
        char dir[] = "/tmp/corral-dep.XXXXXX", path[64], cmd[96];
        Store *s = NULL;
        Job *k = NULL, **l = NULL;
        size_t n = 0;
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/queue.db", dir);
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *j[2] = { new_job(61000), new_job(61000) };
        j[0]->depends = strdup("afterok:7");
        j[0]->begin_time = UINT64_C(1795338781000000);
        j[0]->blocked = STORE_BLOCKED_DEPENDENCY | STORE_BLOCKED_BEGIN;
        ck_assert_int_eq(store_submit(s, j, 2), 0);
        ck_assert_int_eq(store_get(s, j[0]->id, &k), 0);
        ck_assert_str_eq(k->depends, "afterok:7");
        ck_assert_uint_eq(k->begin_time, UINT64_C(1795338781000000));
        ck_assert_uint_eq(k->blocked, STORE_BLOCKED_DEPENDENCY | STORE_BLOCKED_BEGIN);
        k = job_free(k);
        /* the dispatcher's pick passes the blocked job: the user's head is
         * the next one */
        ck_assert_int_eq(store_queued_heads(s, 0, false, 8, &l, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(l[0]->id, j[1]->id);
        job_list_free(l, n);
        ck_assert_int_eq(store_list_blocked(s, &l, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(l[0]->id, j[0]->id);
        job_list_free(l, n);
        /* unblocked: a candidate again, not listed as blocked */
        ck_assert_int_eq(store_set_blocked(s, j[0]->id, 0), 0);
        ck_assert_int_eq(store_next_queued(s, 0, false, &k), 0);
        ck_assert_int_eq(k->id, j[0]->id);
        k = job_free(k);
        ck_assert_int_eq(store_list_blocked(s, &l, &n), 0);
        ck_assert_uint_eq(n, 0);
        job_list_free(l, n);
        /* a job that ends waits for nothing: store_update clears it */
        ck_assert_int_eq(store_set_blocked(s, j[1]->id, STORE_BLOCKED_BEGIN), 0);
        ck_assert_int_eq(store_get(s, j[1]->id, &k), 0);
        k->state = JOB_CANCELLED;
        ck_assert_int_eq(store_update(s, k), 0);
        k = job_free(k);
        ck_assert_int_eq(store_get(s, j[1]->id, &k), 0);
        ck_assert_uint_eq(k->blocked, 0);
        k = job_free(k);
        ck_assert_int_eq(store_set_blocked(s, 9999, 1), -ENOENT);
        job_free(j[0]);
        job_free(j[1]);
        store_close(s);
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *depend_suite(void) {
        Suite *s = suite_create("depend");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_dep_parse);
        tcase_add_test(tc, test_dep_status);
        tcase_add_test(tc, test_begin_parse);
        tcase_add_test(tc, test_protocol_depends_cancel);
        tcase_add_test(tc, test_store_blocked);
        suite_add_tcase(s, tc);
        return s;
}
