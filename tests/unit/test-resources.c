/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-resources.c — lib/resources.c: --mem and --time as Slurm writes
 * them, the submit check against the policy and the node, the pending
 * reasons' names and the packing decision. */
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>
#include <sqlite3.h>
#include <unistd.h>

#include "launch-main.h"
#include "parse.h"
#include "protocol.h"
#include "resources.h"
#include "store.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define MIN (60 * USEC_PER_SEC)

START_TEST(test_parse_mem) {
        uint64_t v = 77;
        ck_assert_int_eq(res_parse_mem("500", &v), 0); /* bare: megabytes, as Slurm */
        ck_assert_uint_eq(v, 500 * MiB);
        ck_assert_int_eq(res_parse_mem("4G", &v), 0);
        ck_assert_uint_eq(v, 4 * GiB);
        ck_assert_int_eq(res_parse_mem("4g", &v), 0);
        ck_assert_uint_eq(v, 4 * GiB);
        ck_assert_int_eq(res_parse_mem("512K", &v), 0);
        ck_assert_uint_eq(v, 512 * 1024);
        ck_assert_int_eq(res_parse_mem("100M", &v), 0);
        ck_assert_uint_eq(v, 100 * MiB);
        ck_assert_int_eq(res_parse_mem("2T", &v), 0);
        ck_assert_uint_eq(v, 2 * 1024 * GiB);
        v = 77;
        ck_assert_int_eq(res_parse_mem("0", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("0G", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem(NULL, &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("-1G", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("1.5G", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("4GB", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("4P", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("G", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem(" 4G", &v), -EINVAL);
        ck_assert_int_eq(res_parse_mem("99999999999T", &v), -ERANGE);
        ck_assert_int_eq(res_parse_mem("99999999999999999999999", &v), -ERANGE);
        ck_assert_uint_eq(v, 77); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_time) {
        uint64_t v = 77;
        ck_assert_int_eq(res_parse_time("10", &v), 0); /* bare: minutes, as Slurm */
        ck_assert_uint_eq(v, 10 * MIN);
        ck_assert_int_eq(res_parse_time("1:30", &v), 0); /* MM:SS */
        ck_assert_uint_eq(v, 90 * USEC_PER_SEC);
        ck_assert_int_eq(res_parse_time("2:00:05", &v), 0); /* HH:MM:SS */
        ck_assert_uint_eq(v, (2 * 3600 + 5) * USEC_PER_SEC);
        ck_assert_int_eq(res_parse_time("1-2", &v), 0); /* D-HH */
        ck_assert_uint_eq(v, 26 * 3600 * USEC_PER_SEC);
        ck_assert_int_eq(res_parse_time("1-02:30", &v), 0); /* D-HH:MM */
        ck_assert_uint_eq(v, (26 * 3600 + 30 * 60) * USEC_PER_SEC);
        ck_assert_int_eq(res_parse_time("2-00:00:10", &v), 0); /* D-HH:MM:SS */
        ck_assert_uint_eq(v, (2 * 86400 + 10) * USEC_PER_SEC);
        ck_assert_int_eq(res_parse_time("0:30", &v), 0);
        ck_assert_uint_eq(v, 30 * USEC_PER_SEC);
        /* corral's own forms stay */
        ck_assert_int_eq(res_parse_time("30m", &v), 0);
        ck_assert_uint_eq(v, 30 * MIN);
        ck_assert_int_eq(res_parse_time("2h", &v), 0);
        ck_assert_uint_eq(v, 120 * MIN);
        ck_assert_int_eq(res_parse_time("1d", &v), 0);
        ck_assert_uint_eq(v, 1440 * MIN);
        ck_assert_int_eq(res_parse_time("90s", &v), 0);
        ck_assert_uint_eq(v, 90 * USEC_PER_SEC);
        v = 77;
        ck_assert_int_eq(res_parse_time("0", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("0:00", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("0s", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("infinity", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("UNLIMITED", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time(NULL, &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("1:2:3:4", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("-5", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("1-", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("1--2", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time(":30", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("10:", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("1.5", &v), -EINVAL);
        ck_assert_int_eq(res_parse_time("99999999999", &v), -ERANGE);
        ck_assert_uint_eq(v, 77);
}
END_TEST

/* the shipped default policy: memory 4G, cpus 1, no max_*; a 2-CPU 8 GiB node */
static ResLimits limits(void) {
        return (ResLimits){ .def_mem = 4 * GiB, .def_cpus = 1000, .node_mem = 8 * GiB, .node_cpus = 2 };
}

START_TEST(test_resolve_defaults) {
        ResLimits l = limits();
        ResAsk a;
        char *why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ 0 }, &l, "p", &a, &why), 0);
        ck_assert_uint_eq(a.mem, 4 * GiB);
        ck_assert_uint_eq(a.cpus, 1000);
        ck_assert_uint_eq(a.tasks, 1);
        /* less than the default: allowed, and what the job gets */
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 100 * MiB }, &l, "p", &a, &why), 0);
        ck_assert_uint_eq(a.mem, 100 * MiB);
        /* unlimited policy values: not counted */
        l.def_mem = UINT64_MAX;
        l.def_cpus = UINT64_MAX;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .tasks = 3 }, &l, "p", &a, &why), 0);
        ck_assert_uint_eq(a.mem, 0);
        ck_assert_uint_eq(a.cpus, 0);
        ck_assert_uint_eq(a.tasks, 3);
        ck_assert_ptr_null(why);
}
END_TEST

START_TEST(test_resolve_bounds) {
        ResLimits l = limits();
        ResAsk a = { 7, 7, 7 };
        char *why = NULL;

        /* above the default with no max_mem: refused, naming memory */
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 5 * GiB }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "--mem 5G exceeds the 4G policy 'p' allows (its [limits] memory)"));
        free(why), why = NULL;
        /* max_mem lets it ask for more than the default */
        l.max_mem = 6 * GiB;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 5 * GiB }, &l, "p", &a, &why), 0);
        ck_assert_uint_eq(a.mem, 5 * GiB);
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 7 * GiB }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "(its [limits] max_mem)"));
        free(why), why = NULL;
        /* the policy allows it, the node can never give it */
        l.max_mem = UINT64_MAX;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 9 * GiB }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "the node has 8G: it can never run here"));
        free(why), why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .mem = 1 * MiB }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "too small"));
        free(why), why = NULL;

        /* CPUs: per task x tasks, against max_cpus (default: cpus) */
        ck_assert_int_eq(res_resolve(&(ResRequest){ .cpus = 2 }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "2 CPUs per task x 1 tasks = 2 CPUs exceeds the 1 policy 'p' allows"));
        free(why), why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .tasks = 2 }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "x 2 tasks"));
        free(why), why = NULL;
        l.max_cpus = 4;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .cpus = 1, .tasks = 2 }, &l, "p", &a, &why), 0);
        ck_assert_uint_eq(a.cpus, 2000);
        ck_assert_uint_eq(a.tasks, 2);
        ck_assert_int_eq(res_resolve(&(ResRequest){ .cpus = 3 }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "the node has 2: it can never run here"));
        free(why), why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .cpus = 5 }, &l, "p", &a, &why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "(its [limits] max_cpus)"));
        free(why), why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .cpus = RES_MAX_CPUS + 1 }, &l, "p", &a, &why), -EINVAL);
        free(why), why = NULL;
        ck_assert_int_eq(res_resolve(&(ResRequest){ .tasks = RES_MAX_TASKS + 1 }, &l, "p", &a, &why), -EINVAL);
        free(why), why = NULL;
        ck_assert_uint_eq(a.tasks, 2); /* untouched on failure */
}
END_TEST

START_TEST(test_max_helpers) {
        ck_assert_uint_eq(res_max_mem(4 * GiB, 0), 4 * GiB);
        ck_assert_uint_eq(res_max_mem(4 * GiB, 8 * GiB), 8 * GiB);
        ck_assert_uint_eq(res_max_cpus(500, 0), 500);
        ck_assert_uint_eq(res_max_cpus(500, 2), 2000);
        ck_assert_uint_eq(res_max_cpus(500, UINT64_MAX), UINT64_MAX);
}
END_TEST

START_TEST(test_reason_names) {
        ck_assert_str_eq(pend_reason_to_string(PEND_HELD), "HELD");
        ck_assert_str_eq(pend_reason_to_string(PEND_DRAINED), "DRAINED");
        ck_assert_str_eq(pend_reason_to_string(PEND_RESOURCES), "RESOURCES");
        ck_assert_str_eq(pend_reason_to_string(PEND_USER_CAP), "USER_CAP");
        ck_assert_str_eq(pend_reason_to_string(PEND_DEPENDENCY), "DEPENDENCY");
        ck_assert_str_eq(pend_reason_to_string(PEND_BEGIN_TIME), "BEGIN_TIME");
        ck_assert_ptr_null(pend_reason_to_string(_PEND_MAX));
        for (int i = 0; i < _PEND_MAX; i++)
                ck_assert_ptr_nonnull(pend_reason_to_string((PendReason) i));
}
END_TEST

#define HEAD(id_, uid_, mem_, cpus_)                                                                                   \
        {                                                                                                              \
                .id = id_, .uid = uid_, .ask = {.mem = mem_, .cpus = cpus_, .tasks = 1 }                               \
        }

START_TEST(test_pack_fits) {
        PackFree f = { .slots = 1, .mem = GiB, .cpus = 1000 };
        ck_assert(pack_fits(&(ResAsk){ .mem = GiB, .cpus = 1000 }, &f));
        ck_assert(!pack_fits(&(ResAsk){ .mem = GiB + 1, .cpus = 1000 }, &f));
        ck_assert(!pack_fits(&(ResAsk){ .mem = 0, .cpus = 1001 }, &f));
        ck_assert(pack_fits(&(ResAsk){ 0 }, &f)); /* not limited: not counted */
        f.slots = 0;
        ck_assert(!pack_fits(&(ResAsk){ 0 }, &f)); /* the slots still bound the count */
}
END_TEST

START_TEST(test_pack_round_robin) {
        /* two users, both fit: the first in round-robin order starts */
        PackHead h[] = { HEAD(7, 1001, GiB, 1000), HEAD(3, 1000, GiB, 1000) };
        PackFree f = { .slots = 2, .mem = 4 * GiB, .cpus = 2000 };
        PendReason why[2];
        int64_t res = 99;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 0, &res, why), 0);
        ck_assert_int_eq(why[0], PEND_NONE);
        ck_assert_int_eq(why[1], PEND_RESOURCES);
        ck_assert_int_eq(res, 0);
        ck_assert_int_eq(pack_pick(h, 0, &f, UINT64_MAX, 0, &res, why), -1);
}
END_TEST

START_TEST(test_pack_fair_equal_jobs) {
        /* user 1000 queued long before 1001; jobs of one CPU each, one CPU
         * free: the user in turn starts, whoever is older (no reservation
         * between jobs of the same size, so neither user starves) */
        PackHead h[] = { HEAD(50, 1001, 0, 1000), HEAD(1, 1000, 0, 1000) };
        PackFree f = { .slots = 2, .cpus = 1000 };
        int64_t res = 99;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 0, &res, NULL), 0);
        ck_assert_int_eq(res, 0);
        /* no CPU free: nothing starts, nothing is reserved */
        f.cpus = 0;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 0, &res, NULL), -1);
        ck_assert_int_eq(res, 0);
}
END_TEST

START_TEST(test_pack_by_resources) {
        /* the node has 1 GiB left: a 2 GiB head waits, the next user's
         * 512 MiB one passes it */
        PackHead h[] = { HEAD(5, 1000, 2 * GiB, 1000), HEAD(9, 1001, 512 * MiB, 1000), HEAD(2, 1002, 256 * MiB, 0) };
        PackFree f = { .slots = 4, .mem = GiB, .cpus = 2000 };
        PendReason why[3];
        int64_t res = 0;
        ck_assert_int_eq(pack_pick(h, 3, &f, UINT64_MAX, 0, &res, why), 1);
        ck_assert_int_eq(why[0], PEND_RESOURCES);
        ck_assert_int_eq(why[1], PEND_NONE);
        ck_assert_int_eq(res, 5); /* ... once: it holds the reservation now */
        /* CPUs count as memory does */
        PackHead c[] = { HEAD(8, 1000, 0, 2000), HEAD(6, 1001, 0, 1000) };
        PackFree fc = { .slots = 4, .mem = 0, .cpus = 1000 };
        ck_assert_int_eq(pack_pick(c, 2, &fc, UINT64_MAX, 0, NULL, why), 1);
        ck_assert_int_eq(why[0], PEND_RESOURCES);
        /* no slot: nothing starts, whatever fits */
        fc.slots = 0;
        ck_assert_int_eq(pack_pick(c, 2, &fc, UINT64_MAX, 0, &res, why), -1);
        ck_assert_int_eq(why[1], PEND_RESOURCES);
        ck_assert_int_eq(res, 0);
}
END_TEST

START_TEST(test_pack_no_starvation) {
        /* job 5 (2 GiB) was passed over and holds the reservation; 1 GiB
         * free: the small jobs may not take it any more */
        PackHead h[] = { HEAD(9, 1001, 512 * MiB, 1000), HEAD(5, 1000, 2 * GiB, 1000) };
        PackFree f = { .slots = 4, .mem = GiB, .cpus = 4000 };
        PendReason why[2];
        int64_t res = 0;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 5, &res, why), -1);
        ck_assert_int_eq(why[0], PEND_RESOURCES);
        ck_assert_int_eq(why[1], PEND_RESOURCES);
        ck_assert_int_eq(res, 5);
        /* 2.5 GiB free: the small one fits beside it, in its turn */
        f.mem = 2 * GiB + 512 * MiB;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 5, &res, why), 0);
        ck_assert_int_eq(res, 5);
        /* 2 GiB free: the reserved job starts, before its turn */
        f.mem = 2 * GiB;
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 5, &res, why), 1);
        ck_assert_int_eq(res, 0); /* its reservation is over */
        /* a reservation for a job no longer queued is dropped */
        ck_assert_int_eq(pack_pick(h, 2, &f, UINT64_MAX, 77, &res, why), 0);
        ck_assert_int_eq(res, 0);
}
END_TEST

START_TEST(test_pack_user_cap) {
        PackHead h[] = { HEAD(1, 1000, GiB, 1000), HEAD(4, 1001, GiB, 1000) };
        PackFree f = { .slots = 4, .mem = 8 * GiB, .cpus = 4000 };
        PendReason why[2];
        int64_t res = 0;
        h[0].running = 2;
        ck_assert_int_eq(pack_pick(h, 2, &f, 2, 0, &res, why), 1);
        ck_assert_int_eq(why[0], PEND_USER_CAP);
        /* a capped user's reserved job keeps nothing for itself */
        h[0].ask.mem = 100 * GiB;
        ck_assert_int_eq(pack_pick(h, 2, &f, 2, 1, &res, why), 1);
        ck_assert_int_eq(res, 0);
        h[1].running = 2;
        ck_assert_int_eq(pack_pick(h, 2, &f, 2, 0, &res, why), -1);
        ck_assert_int_eq(why[1], PEND_USER_CAP);
}
END_TEST

/* ---- where the resources travel: the API, the store, corral-launch ---- */

START_TEST(test_protocol_fields) {
        ApiRequest rq;
        char *err = NULL;
        const char *ok = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"mem\":1073741824,"
                         "\"cpus\":2,\"tasks\":3}";
        ck_assert_int_eq(api_request_parse(ok, strlen(ok), &rq, &err), 0);
        ck_assert_uint_eq(rq.mem, GiB);
        ck_assert_uint_eq(rq.cpus, 2);
        ck_assert_uint_eq(rq.tasks, 3);
        api_request_done(&rq);
        const char *none = "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\"}";
        ck_assert_int_eq(api_request_parse(none, strlen(none), &rq, &err), 0);
        ck_assert_uint_eq(rq.mem + rq.cpus + rq.tasks, 0);
        api_request_done(&rq);
        static const char *const bad[] = {
                "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"mem\":\"4G\"}",
                "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"mem\":-1}",
                "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"cpus\":1025}",
                "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"tasks\":4097}",
                "{\"op\":\"submit\",\"argv\":[\"/bin/true\"],\"cwd\":\"/\",\"cpus\":1.5}",
                "{\"op\":\"list\",\"mem\":1}",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                ck_assert_int_eq(api_request_parse(bad[i], strlen(bad[i]), &rq, &err), -EINVAL);
                ck_assert_ptr_nonnull(err);
                free(err);
                err = NULL;
        }
}
END_TEST

START_TEST(test_store_round_trip) {
        char dir[] = "/tmp/corral-res.XXXXXX", path[64], cmd[96];
        Store *s = NULL;
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/queue.db", dir);
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *j = calloc(1, sizeof(Job)), *k = NULL;
        j->uid = j->gid = 61000;
        j->user = strdup("u");
        j->state = JOB_QUEUED;
        j->policy = strdup("default");
        strv_extend(&j->argv, "/bin/true");
        j->env = calloc(1, sizeof(char *));
        j->cwd = strdup("/");
        j->walltime = USEC_PER_SEC;
        j->mem = 3 * GiB;
        j->cpus = 2500;
        j->tasks = 5;
        ck_assert_int_eq(job_output_id_new(j->output_id), 0);
        ck_assert_int_eq(store_submit(s, &j, 1), 0);
        ck_assert_int_eq(store_get(s, j->id, &k), 0);
        ck_assert_uint_eq(k->mem, 3 * GiB);
        ck_assert_uint_eq(k->cpus, 2500);
        ck_assert_uint_eq(k->tasks, 5);
        job_free(k);
        /* the heads the dispatcher packs: one per user, round robin */
        Job *more[3];
        for (int i = 0; i < 3; i++) {
                more[i] = calloc(1, sizeof(Job));
                *more[i] = (Job){ .uid = (uid_t) (61001 - (i == 2)),
                                  .gid = 61000,
                                  .state = JOB_QUEUED,
                                  .walltime = USEC_PER_SEC,
                                  .tasks = 1 };
                more[i]->user = strdup("u");
                more[i]->policy = strdup("default");
                strv_extend(&more[i]->argv, "/bin/true");
                more[i]->env = calloc(1, sizeof(char *));
                more[i]->cwd = strdup("/");
                ck_assert_int_eq(job_output_id_new(more[i]->output_id), 0);
        }
        ck_assert_int_eq(store_submit(s, more, 3), 0); /* ids 2 (61001), 3 (61001), 4 (61000) */
        Job **l = NULL;
        size_t n = 0;
        ck_assert_int_eq(store_queued_heads(s, 0, false, 16, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(l[0]->id, 1); /* uid 61000: its oldest */
        ck_assert_int_eq(l[1]->id, 2);
        job_list_free(l, n);
        ck_assert_int_eq(store_queued_heads(s, 61000, true, 16, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(l[0]->id, 2); /* after 61000: 61001 first, then around */
        ck_assert_int_eq(l[1]->id, 1);
        job_list_free(l, n);
        ck_assert_int_eq(store_queued_heads(s, 61000, true, 1, &l, &n), 0);
        ck_assert_uint_eq(n, 1);
        job_list_free(l, n);
        for (int i = 0; i < 3; i++)
                job_free(more[i]);
        job_free(j);
        store_close(s);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_launch_argv) {
        LaunchRequest req = LAUNCH_REQUEST_INIT, out;
        char *cmd[] = { "/bin/true", NULL };
        char **argv = NULL;
        req.policy = "default";
        req.user = "u";
        req.argv = cmd;
        req.mem = 768 * MiB;
        req.cpus = 1500;
        ck_assert_int_eq(launch_request_to_argv(&req, &argv), 0);
        optind = 0;
        ck_assert_int_eq(launch_parse_args((int) strv_length(argv), argv, &out), 0);
        ck_assert_uint_eq(out.mem, 768 * MiB);
        ck_assert_uint_eq(out.cpus, 1500);
        launch_request_done(&out);
        strv_free(argv);
        /* none given: the policy's (0), and no option written */
        req.mem = req.cpus = 0;
        ck_assert_int_eq(launch_request_to_argv(&req, &argv), 0);
        for (char **a = argv; *a; a++)
                ck_assert(strcmp(*a, "--mem") != 0 && strcmp(*a, "--cpus") != 0);
        strv_free(argv);
}
END_TEST

Suite *resources_suite(void) {
        Suite *s = suite_create("resources");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_parse_mem);
        tcase_add_test(tc, test_parse_time);
        tcase_add_test(tc, test_resolve_defaults);
        tcase_add_test(tc, test_resolve_bounds);
        tcase_add_test(tc, test_max_helpers);
        tcase_add_test(tc, test_reason_names);
        tcase_add_test(tc, test_pack_fits);
        tcase_add_test(tc, test_pack_round_robin);
        tcase_add_test(tc, test_pack_fair_equal_jobs);
        tcase_add_test(tc, test_pack_by_resources);
        tcase_add_test(tc, test_pack_no_starvation);
        tcase_add_test(tc, test_pack_user_cap);
        tcase_add_test(tc, test_protocol_fields);
        tcase_add_test(tc, test_store_round_trip);
        tcase_add_test(tc, test_launch_argv);
        suite_add_tcase(s, tc);
        return s;
}
