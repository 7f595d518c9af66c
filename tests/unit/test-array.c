/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-array.c — job arrays: lib/array.c's spec parser (sbatch --array as
 * Slurm writes it), the protocol's "array" and cancel "task" fields and the
 * %A/%a output patterns, and the store's elements (one transaction, the
 * array id, the throttle's candidates). */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "parse.h"
#include "protocol.h"
#include "resources.h"
#include "store.h"
#include "strv.h"

static void check_ids(const char *spec, const uint32_t *want, size_t n, uint32_t throttle) {
        ArraySpec a = { 0 };
        char *err = NULL;
        ck_assert_msg(array_spec_parse(spec, 1000, &a, &err) == 0, "%s: %s", spec, err ? err : "?");
        ck_assert_ptr_null(err);
        ck_assert_uint_eq(a.n, n);
        for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(a.ids[i], want[i]);
        ck_assert_uint_eq(a.throttle, throttle);
        array_spec_done(&a);
}

START_TEST(test_spec_forms) {
        check_ids("1-6", (const uint32_t[]){ 1, 2, 3, 4, 5, 6 }, 6, 0);
        check_ids("1-6%2", (const uint32_t[]){ 1, 2, 3, 4, 5, 6 }, 6, 2);
        check_ids("0-15:4", (const uint32_t[]){ 0, 4, 8, 12 }, 4, 0);
        check_ids("1,3,5-7", (const uint32_t[]){ 1, 3, 5, 6, 7 }, 5, 0);
        check_ids("0-15:4,3,1-2%3", (const uint32_t[]){ 0, 1, 2, 3, 4, 8, 12 }, 7, 3);
        check_ids("7", (const uint32_t[]){ 7 }, 1, 0);
        check_ids("0", (const uint32_t[]){ 0 }, 1, 0);
        check_ids("5,1-3,2", (const uint32_t[]){ 1, 2, 3, 5 }, 4, 0); /* sorted, each once */
        check_ids("3-3", (const uint32_t[]){ 3 }, 1, 0);
        check_ids("1-10:20", (const uint32_t[]){ 1 }, 1, 0);
        ArraySpec a = { 0 };
        ck_assert_int_eq(array_spec_parse("1-100", 1000, &a, NULL), 0);
        ck_assert_uint_eq(a.n, 100);
        ck_assert_uint_eq(a.ids[0], 1);
        ck_assert_uint_eq(a.ids[99], 100);
        array_spec_done(&a);
}
END_TEST

START_TEST(test_spec_refused) {
        static const char *const bad[] = {
                "",        "-",       "1-",        "-5", "a",   "1-x",  "5-1",    "1-10:0", "1-10:", "1-10:x",
                "1,",      ",1",      "1,,2",      "1%", "1%0", "1%x",  "1%2%3",  "1 - 3",  " 1",    "1-3 ",
                "1-3%2,4", "4000001", "1-4000001", "+1", "1.5", "0x10", "1-3%-1", "1;2",    "1-2-3",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                ArraySpec a = { 0 };
                char *err = NULL;
                ck_assert_msg(array_spec_parse(bad[i], 1000, &a, &err) == -EINVAL, "'%s' was accepted", bad[i]);
                ck_assert_ptr_nonnull(err);
                ck_assert_ptr_null(a.ids);
                free(err);
        }
        ck_assert_int_eq(array_spec_parse(NULL, 1000, &(ArraySpec){ 0 }, NULL), -EINVAL);
}
END_TEST

START_TEST(test_spec_limit) {
        ArraySpec a = { 0 };
        char *err = NULL;
        ck_assert_int_eq(array_spec_parse("1-1000", 1000, &a, &err), 0);
        ck_assert_uint_eq(a.n, 1000);
        array_spec_done(&a);
        ck_assert_int_eq(array_spec_parse("1-1001", 1000, &a, &err), -E2BIG);
        ck_assert_ptr_nonnull(err);
        /* names the limit and the knob */
        ck_assert_ptr_nonnull(strstr(err, "1000"));
        ck_assert_ptr_nonnull(strstr(err, "max_array_size"));
        free(err);
        err = NULL;
        /* a huge range is refused without making it */
        ck_assert_int_eq(array_spec_parse("0-4000000", 10, &a, &err), -E2BIG);
        free(err);
        err = NULL;
        ck_assert_int_eq(array_spec_parse("1-5,6-11", 10, &a, &err), -E2BIG);
        free(err);
        ck_assert_ptr_null(a.ids);
        ck_assert_int_eq(array_spec_parse("0-40:4", 11, &a, NULL), 0); /* 11 of them */
        ck_assert_uint_eq(a.n, 11);
        array_spec_done(&a);
}
END_TEST

START_TEST(test_protocol_array) {
        ApiRequest rq;
        char *err = NULL;
        const char *ok = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"array\":\"1-6%2\","
                         "\"stdout\":\"/o/%A_%a.out\"}";
        ck_assert_int_eq(api_request_parse(ok, strlen(ok), &rq, &err), 0);
        ck_assert_str_eq(rq.array, "1-6%2");
        api_request_done(&rq);
        /* %a and %A only for an array */
        const char *no = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"stdout\":\"/o/%a.out\"}";
        ck_assert_int_eq(api_request_parse(no, strlen(no), &rq, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "--array"));
        free(err);
        err = NULL;
        const char *typ = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"array\":5}";
        ck_assert_int_eq(api_request_parse(typ, strlen(typ), &rq, &err), -EINVAL);
        free(err);
        err = NULL;
        const char *c = "{\"op\":\"cancel\",\"job\":12,\"task\":3}";
        ck_assert_int_eq(api_request_parse(c, strlen(c), &rq, &err), 0);
        ck_assert(rq.has_task);
        ck_assert_uint_eq(rq.task, 3);
        ck_assert_int_eq(rq.job, 12);
        api_request_done(&rq);
        const char *c1 = "{\"op\":\"cancel\",\"job\":12}";
        ck_assert_int_eq(api_request_parse(c1, strlen(c1), &rq, &err), 0);
        ck_assert(!rq.has_task);
        api_request_done(&rq);
        const char *c2 = "{\"op\":\"show\",\"job\":12,\"task\":3}"; /* only cancel takes a task */
        ck_assert_int_eq(api_request_parse(c2, strlen(c2), &rq, &err), -EINVAL);
        free(err);
        err = NULL;
        const char *c3 = "{\"op\":\"cancel\",\"job\":12,\"task\":-1}";
        ck_assert_int_eq(api_request_parse(c3, strlen(c3), &rq, &err), -EINVAL);
        free(err);
        /* the patterns */
        char *out = NULL;
        ck_assert_int_eq(api_output_pattern_check("/o/%A_%a-%j.out", NULL), 0);
        ck_assert_int_eq(api_output_pattern_expand_array("/o/%A_%a-%j.out", 14, "n", "bob", 12, 2, &out), 0);
        ck_assert_str_eq(out, "/o/12_2-14.out");
        free(out);
        ck_assert_str_eq(pend_reason_to_string(PEND_ARRAY_LIMIT), "ARRAY_LIMIT");
}
END_TEST

static Job *new_job(uid_t uid) {
        Job *j = calloc(1, sizeof(Job));
        *j = (Job){ .uid = uid, .gid = uid, .state = JOB_QUEUED, .walltime = USEC_PER_SEC, .tasks = 1 };
        j->user = strdup("u");
        j->policy = strdup("default");
        strv_extend(&j->argv, "/bin/true");
        j->env = calloc(1, sizeof(char *));
        j->cwd = strdup("/");
        ck_assert_int_eq(job_output_id_new(j->output_id), 0);
        return j;
}

START_TEST(test_store_array) {
        char dir[] = "/tmp/corral-arr.XXXXXX", path[64], cmd[96];
        Store *s = NULL;
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/queue.db", dir);
        ck_assert_int_eq(store_open(path, &s), 0);
        /* a plain job first, so the array's id is not 1 */
        Job *one = new_job(61000);
        ck_assert_int_eq(store_submit(s, &one, 1), 0);
        Job *el[3];
        for (int i = 0; i < 3; i++) {
                el[i] = new_job(61000);
                el[i]->array_job_id = STORE_ARRAY_NEW;
                el[i]->array_task_id = (uint64_t) (i * 4);
                el[i]->array_throttle = 2;
                el[i]->array_count = 3;
                el[i]->array_max = 8;
        }
        ck_assert_int_eq(store_submit(s, el, 3), 0);
        ck_assert_int_eq(el[0]->id, one->id + 1);
        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(el[i]->array_job_id, el[0]->id);
        Job *k = NULL;
        ck_assert_int_eq(store_get(s, el[2]->id, &k), 0);
        ck_assert_int_eq(k->array_job_id, el[0]->id);
        ck_assert_uint_eq(k->array_task_id, 8);
        ck_assert_uint_eq(k->array_throttle, 2);
        ck_assert_uint_eq(k->array_count, 3);
        ck_assert_uint_eq(k->array_max, 8);
        job_free(k);
        ck_assert_int_eq(store_get(s, one->id, &k), 0);
        ck_assert_int_eq(k->array_job_id, 0);
        job_free(k);
        /* the elements by their array */
        Job **l = NULL;
        size_t n = 0;
        StoreFilter f = { .array_job_id = el[0]->id };
        ck_assert_int_eq(store_list(s, &f, &l, &n), 0);
        ck_assert_uint_eq(n, 3);
        job_list_free(l, n);
        /* the dispatcher's candidates without the array at its throttle:
         * the user's next job after it */
        Job *after = new_job(61000);
        ck_assert_int_eq(store_submit(s, &after, 1), 0);
        ck_assert_int_eq(store_transition(s, one->id, JOB_QUEUED, JOB_RUNNING), 1);
        ck_assert_int_eq(store_queued_heads(s, 0, false, 16, &l, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(l[0]->id, el[0]->id);
        job_list_free(l, n);
        ck_assert_int_eq(store_queued_heads_skip(s, 0, false, &el[0]->id, 1, 16, &l, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(l[0]->id, after->id);
        job_list_free(l, n);
        /* all or none: a batch that fails stores no element (a duplicate
         * output id breaks the UNIQUE constraint at the last one) */
        uint64_t before = 0, now = 0;
        ck_assert_int_eq(store_count(s, NULL, &before), 0);
        Job *bad[2] = { new_job(61000), new_job(61000) };
        bad[0]->array_job_id = bad[1]->array_job_id = STORE_ARRAY_NEW;
        memcpy(bad[1]->output_id, el[1]->output_id, sizeof bad[1]->output_id);
        ck_assert_int_lt(store_submit(s, bad, 2), 0);
        ck_assert_int_eq(store_count(s, NULL, &now), 0);
        ck_assert_uint_eq(now, before);
        for (int i = 0; i < 3; i++)
                job_free(el[i]);
        job_free(bad[0]);
        job_free(bad[1]);
        job_free(one);
        job_free(after);
        store_close(s);
        /* reopened: the columns and index are there, nothing is added twice */
        ck_assert_int_eq(store_open(path, &s), 0);
        ck_assert_int_eq(store_count(s, &f, &now), 0);
        ck_assert_uint_eq(now, 3);
        store_close(s);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *array_suite(void) {
        Suite *s = suite_create("array");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_spec_forms);
        tcase_add_test(tc, test_spec_refused);
        tcase_add_test(tc, test_spec_limit);
        tcase_add_test(tc, test_protocol_array);
        tcase_add_test(tc, test_store_array);
        suite_add_tcase(s, tc);
        return s;
}
