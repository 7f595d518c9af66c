/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-store.c — the SQLite queue store on a real file: submit (group
 * commit), get, list filters, compare-and-set transitions, fair dispatch
 * order, per-user counts, audit, settings, schema version checks; history
 * pages and the purge's queries (by age, by count, never a job not over). */
#include <check.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "strv.h"

static char dir[256], path[300];

static void setup(void) {
        snprintf(dir, sizeof dir, "/tmp/corral-store.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/queue.db", dir);
}

static void teardown(void) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static Job *mkjob(uid_t uid, const char *user) {
        Job *j = calloc(1, sizeof(Job));
        j->uid = uid;
        j->gid = uid;
        j->user = strdup(user);
        j->state = JOB_QUEUED;
        j->policy = strdup("default");
        strv_extend(&j->argv, "/bin/echo");
        strv_extend(&j->argv, "a \"quoted\" arg");
        j->env = calloc(1, sizeof(char *));
        strv_extend(&j->env, "K=V");
        j->cwd = strdup("/tmp");
        j->walltime = 60000000;
        j->submit_time = now_usec();
        ck_assert_int_eq(job_output_id_new(j->output_id), 0);
        return j;
}

START_TEST(test_submit_get) {
        Store *s = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *jobs[3] = { mkjob(61001, "a"), mkjob(61002, "b"), mkjob(61001, "a") };
        jobs[1]->name = strdup("my run"); /* -J */
        jobs[2]->parent_job = 1; /* submitted from inside job 1 */
        ck_assert_int_eq(store_submit(s, jobs, 3), 0);
        ck_assert_int_eq(jobs[0]->id, 1);
        ck_assert_int_eq(jobs[2]->id, 3);
        store_close(s);

        /* reopen: durable, and the same values come back */
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *j = NULL;
        ck_assert_int_eq(store_get(s, 2, &j), 0);
        ck_assert_str_eq(j->user, "b");
        ck_assert_str_eq(j->argv[1], "a \"quoted\" arg");
        ck_assert_str_eq(j->env[0], "K=V");
        ck_assert_int_eq(j->state, JOB_QUEUED);
        ck_assert_str_eq(j->output_id, jobs[1]->output_id);
        ck_assert_int_eq(j->exit_code, -1);
        ck_assert_str_eq(j->name, "my run");
        ck_assert_int_eq(j->parent_job, 0);
        job_free(j);
        ck_assert_int_eq(store_get(s, 1, &j), 0);
        ck_assert_ptr_null(j->name); /* none given */
        job_free(j);
        ck_assert_int_eq(store_get(s, 3, &j), 0);
        ck_assert_int_eq(j->parent_job, 1);
        job_free(j);
        ck_assert_int_eq(store_get(s, 99, &j), -ENOENT);
        for (int i = 0; i < 3; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

START_TEST(test_transitions_and_list) {
        Store *s = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *jobs[4] = { mkjob(61001, "a"), mkjob(61002, "b"), mkjob(61001, "a"), mkjob(61003, "c") };
        ck_assert_int_eq(store_submit(s, jobs, 4), 0);
        ck_assert_int_eq(store_transition(s, 1, JOB_QUEUED, JOB_STARTING), 1);
        ck_assert_int_eq(store_transition(s, 1, JOB_QUEUED, JOB_CANCELLED), 0); /* not QUEUED any more */
        Job *j = NULL;
        ck_assert_int_eq(store_get(s, 1, &j), 0);
        j->state = JOB_COMPLETED;
        j->exit_code = 0;
        j->exit_signal = 0;
        j->end_time = 5;
        j->result = strdup("{\"state\":\"COMPLETED\"}");
        ck_assert_int_eq(store_update(s, j), 0);
        job_free(j);
        ck_assert_int_eq(store_get(s, 1, &j), 0);
        ck_assert_int_eq(j->state, JOB_COMPLETED);
        ck_assert_str_eq(j->result, "{\"state\":\"COMPLETED\"}");
        job_free(j);

        Job **l = NULL;
        size_t n = 0;
        StoreFilter f = { .by_uid = true, .uid = 61001 };
        ck_assert_int_eq(store_list(s, &f, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        job_list_free(l, n);
        f = (StoreFilter){ .states = 1u << JOB_QUEUED };
        ck_assert_int_eq(store_list(s, &f, &l, &n), 0);
        ck_assert_uint_eq(n, 3);
        job_list_free(l, n);
        f = (StoreFilter){ .limit = 2 };
        ck_assert_int_eq(store_list(s, &f, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        job_list_free(l, n);

        uint64_t counts[_JOB_STATE_MAX], w;
        ck_assert_int_eq(store_count_states(s, counts), 0);
        ck_assert_uint_eq(counts[JOB_QUEUED], 3);
        ck_assert_uint_eq(counts[JOB_COMPLETED], 1);
        ck_assert_int_eq(store_count_waiting(s, 61001, &w), 0);
        ck_assert_uint_eq(w, 1);
        for (int i = 0; i < 4; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

static void set_state(Store *s, int64_t id, JobState st, uint64_t end_time) {
        Job *j = NULL;
        ck_assert_int_eq(store_get(s, id, &j), 0);
        j->state = st;
        j->end_time = end_time;
        ck_assert_int_eq(store_update(s, j), 0);
        job_free(j);
}

/* The ids store_list_recent returns, as "7 4 1 2". */
static const char *recent_ids(Store *s, const StoreFilter *f, uint64_t last, uint64_t since) {
        static char buf[256];
        Job **l = NULL;
        size_t n = 0, off = 0;
        ck_assert_int_eq(store_list_recent(s, f, last, since, &l, &n), 0);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                off += (size_t) snprintf(buf + off, sizeof buf - off, "%s%lld", i ? " " : "", (long long) l[i]->id);
        job_list_free(l, n);
        return buf;
}

START_TEST(test_list_recent) {
        Store *s = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        Job *jobs[7] = { mkjob(61001, "a"), mkjob(61001, "a"), mkjob(61001, "a"), mkjob(61001, "a"),
                         mkjob(61001, "a"), mkjob(61002, "b"), mkjob(61001, "a") };
        ck_assert_int_eq(store_submit(s, jobs, 7), 0);
        /* 1 runs (the oldest), 4 is held, 7 queued; 2, 3, 5 of a and 6 of b
         * ended, in the order 3, 5, 2, 6: not the order of their ids */
        set_state(s, 1, JOB_RUNNING, 0);
        set_state(s, 2, JOB_COMPLETED, 300);
        set_state(s, 3, JOB_FAILED, 100);
        set_state(s, 4, JOB_HELD, 0);
        set_state(s, 5, JOB_COMPLETED, 200);
        set_state(s, 6, JOB_CANCELLED, 400);

        StoreFilter f = { .by_uid = true, .uid = 61001 };
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 0), "7 4 1 2 5 3");
        ck_assert_str_eq(recent_ids(s, &f, 2, 0), "7 4 1 2 5");
        ck_assert_str_eq(recent_ids(s, &f, 0, 0), "7 4 1");
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 150), "7 4 1 2 5");
        ck_assert_str_eq(recent_ids(s, &f, 1, 150), "7 4 1 2");
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 301), "7 4 1");
        f.limit = 4;
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 0), "7 4 1 2");
        f.limit = 2;
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 0), "7 4");
        f = (StoreFilter){ .by_uid = true, .uid = 61001, .states = 1u << JOB_COMPLETED };
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 0), "2 5");
        f.states = 1u << JOB_RUNNING | 1u << JOB_FAILED;
        ck_assert_str_eq(recent_ids(s, &f, STORE_ALL, 0), "1 3");
        f = (StoreFilter){ 0 }; /* every user */
        ck_assert_str_eq(recent_ids(s, &f, 2, 0), "7 4 1 6 2");
        ck_assert_str_eq(recent_ids(s, NULL, STORE_ALL, 0), "7 4 1 6 2 5 3");
        for (int i = 0; i < 7; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

START_TEST(test_fair_order) {
        Store *s = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        /* user a submits 3 jobs, then b 1, then c 1: round robin gives a, b, c, a, a */
        Job *jobs[5] = { mkjob(61001, "a"), mkjob(61001, "a"), mkjob(61001, "a"), mkjob(61002, "b"),
                         mkjob(61003, "c") };
        ck_assert_int_eq(store_submit(s, jobs, 5), 0);
        uid_t expect[] = { 61001, 61002, 61003, 61001, 61001 };
        uid_t last = 0;
        bool have = false;
        for (int i = 0; i < 5; i++) {
                Job *j = NULL;
                ck_assert_int_eq(store_next_queued(s, last, have, &j), 0);
                ck_assert_ptr_nonnull(j);
                ck_assert_uint_eq(j->uid, expect[i]);
                ck_assert_int_eq(store_transition(s, j->id, JOB_QUEUED, JOB_STARTING), 1);
                last = j->uid;
                have = true;
                job_free(j);
        }
        Job *none = (Job *) 0x1;
        ck_assert_int_eq(store_next_queued(s, last, have, &none), 0);
        ck_assert_ptr_null(none);
        for (int i = 0; i < 5; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

START_TEST(test_audit_settings_version) {
        Store *s = NULL;
        uint64_t n = 0;
        char *v = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        ck_assert_int_eq(store_audit(s, 61001, 123, "submit", 1, "ok", NULL), 0);
        ck_assert_int_eq(store_audit(s, 61002, 124, "show", 1, "denied", "not the owner"), 0);
        ck_assert_int_eq(store_audit_count(s, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(store_get_setting(s, "drained", &v), 0);
        ck_assert_ptr_null(v);
        ck_assert_int_eq(store_set_setting(s, "drained", "1"), 0);
        ck_assert_int_eq(store_set_setting(s, "drained", "0"), 0);
        ck_assert_int_eq(store_get_setting(s, "drained", &v), 1);
        ck_assert_str_eq(v, "0");
        free(v);
        store_close(s);

        /* a database from a newer corrald is refused, not modified */
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE key='schema_version'", NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
        ck_assert_int_eq(store_open(path, &s), -EPROTONOSUPPORT);

        /* WAL mode is on */
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_str_eq((const char *) sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
}
END_TEST

/* A file written before a column was added (the version-1 jobs table, as
 * the first corrald made it) opens: the column is added, the job kept. */
START_TEST(test_added_columns) {
        static const char v1[] =
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "INSERT INTO meta VALUES('schema_version','1');"
                "CREATE TABLE jobs(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " uid INTEGER NOT NULL, gid INTEGER NOT NULL, user TEXT NOT NULL,"
                " state TEXT NOT NULL, policy TEXT NOT NULL,"
                " argv TEXT NOT NULL, env TEXT NOT NULL, cwd TEXT NOT NULL,"
                " walltime INTEGER NOT NULL, stdout_path TEXT, stderr_path TEXT,"
                " output_id TEXT NOT NULL UNIQUE,"
                " submit_time INTEGER NOT NULL, start_time INTEGER NOT NULL DEFAULT 0,"
                " end_time INTEGER NOT NULL DEFAULT 0,"
                " exit_code INTEGER NOT NULL DEFAULT -1, exit_signal INTEGER NOT NULL DEFAULT -1,"
                " launcher_pid INTEGER NOT NULL DEFAULT 0, launcher_start INTEGER NOT NULL DEFAULT 0,"
                " cgroup TEXT, result TEXT, epilogue TEXT, reason TEXT,"
                " cancel_requested INTEGER NOT NULL DEFAULT 0, submit_sid INTEGER NOT NULL DEFAULT 0);"
                "INSERT INTO jobs(id, uid, gid, user, state, policy, argv, env, cwd, walltime, output_id, "
                "submit_time) VALUES(7, 61001, 61001, 'corraltest1', 'QUEUED', 'default', '[\"/bin/true\"]', "
                "'[]', '/tmp', 60000000, 'aaaaaaaaaaaaaaaa', 1);";
        sqlite3 *db;
        sqlite3_stmt *st;
        Store *s = NULL;
        Job *j = NULL;

        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        ck_assert_int_eq(store_open(path, &s), 0);
        ck_assert_int_eq(store_get(s, 7, &j), 0);
        ck_assert_str_eq(j->argv[0], "/bin/true");
        ck_assert_ptr_null(j->name); /* the added column's default */
        ck_assert_int_eq(j->parent_job, 0);
        job_free(j);
        store_close(s);
        /* opened twice: nothing added twice */
        ck_assert_int_eq(store_open(path, &s), 0);
        store_close(s);

        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'name'",
                                            -1, &st, NULL),
                         SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
        sqlite3_finalize(st);
        sqlite3_close(db);
}
END_TEST

/* The ids store_list_ended returns, as "3 5 2". */
static const char *ended_ids(Store *s, const StoreFilter *f, uint64_t since, uint64_t until, uint64_t after_end,
                             int64_t after_id, uint64_t limit) {
        static char buf[256];
        Job **l = NULL;
        size_t n = 0, off = 0;
        ck_assert_int_eq(store_list_ended(s, f, since, until, after_end, after_id, limit, &l, &n), 0);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                off += (size_t) snprintf(buf + off, sizeof buf - off, "%s%lld", i ? " " : "", (long long) l[i]->id);
        job_list_free(l, n);
        return buf;
}

static const char *purge_ids(Store *s, uint64_t before, uint64_t oldest, size_t max) {
        static char buf[256];
        StorePurgeItem *l = NULL;
        size_t n = 0, off = 0;
        ck_assert_int_eq(store_purge_candidates(s, before, oldest, max, &l, &n), 0);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                ck_assert_int_eq(strlen(l[i].output_id), JOB_OUTPUT_ID_LEN);
                off += (size_t) snprintf(buf + off, sizeof buf - off, "%s%lld", i ? " " : "", (long long) l[i].id);
        }
        free(l);
        return buf;
}

/* 1 runs, 4 is held (both with an end time, which must not matter), 7
 * queued; 2, 3, 5 of a and 6 of b ended in the order 3, 5, 2, 6 */
static Store *history_store(Job *jobs[7]) {
        Store *s = NULL;
        ck_assert_int_eq(store_open(path, &s), 0);
        for (int i = 0; i < 7; i++)
                jobs[i] = mkjob(i == 5 ? 61002 : 61001, i == 5 ? "b" : "a");
        ck_assert_int_eq(store_submit(s, jobs, 7), 0);
        set_state(s, 1, JOB_RUNNING, 50);
        set_state(s, 2, JOB_COMPLETED, 300);
        set_state(s, 3, JOB_FAILED, 100);
        set_state(s, 4, JOB_HELD, 60);
        set_state(s, 5, JOB_COMPLETED, 200);
        set_state(s, 6, JOB_CANCELLED, 400);
        return s;
}

START_TEST(test_list_ended) {
        Job *jobs[7];
        Store *s = history_store(jobs);
        StoreFilter f = { .by_uid = true, .uid = 61001 };

        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 0, 0, 0), "3 5 2");
        ck_assert_str_eq(ended_ids(s, NULL, 0, 0, 0, 0, 0), "3 5 2 6");
        ck_assert_str_eq(ended_ids(s, &f, 150, 0, 0, 0, 0), "5 2");
        ck_assert_str_eq(ended_ids(s, &f, 150, 300, 0, 0, 0), "5");
        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 0, 0, 2), "3 5");
        /* the next page starts after the cursor (end time, id) */
        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 200, 5, 2), "2");
        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 300, 2, 2), "");
        f.states = 1u << JOB_FAILED;
        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 0, 0, 0), "3");
        /* states not over never come back, even when asked for */
        f.states = 1u << JOB_RUNNING | 1u << JOB_HELD;
        ck_assert_str_eq(ended_ids(s, &f, 0, 0, 0, 0, 0), "");
        for (int i = 0; i < 7; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

START_TEST(test_list_unfinished) {
        Job *jobs[7], *j = NULL, **l = NULL;
        Store *s = history_store(jobs);
        size_t n = 0;

        /* 2 and 5 had started; 5's epilogue ran, 2's did not */
        for (int64_t id = 2; id <= 5; id += 3) {
                ck_assert_int_eq(store_get(s, id, &j), 0);
                j->start_time = 10;
                j->epilogue = id == 5 ? strdup("{}") : NULL;
                ck_assert_int_eq(store_update(s, j), 0);
                j = job_free(j);
        }
        ck_assert_int_eq(store_list_unfinished(s, &l, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(l[0]->id, 1); /* running */
        ck_assert_int_eq(l[1]->id, 2); /* its epilogue to run */
        job_list_free(l, n);
        for (int i = 0; i < 7; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

START_TEST(test_purge) {
        Job *jobs[7];
        Store *s = history_store(jobs);
        uint64_t n = 0;

        /* by age: those that ended before 250, oldest first; never 1 or 4 */
        ck_assert_str_eq(purge_ids(s, 250, 0, 100), "3 5");
        ck_assert_str_eq(purge_ids(s, 250, 0, 1), "3");
        ck_assert_str_eq(purge_ids(s, 0, 0, 100), "");
        /* by count: 4 ended; keeping 1 purges the 3 that ended first */
        ck_assert_int_eq(store_count_ended(s, &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_str_eq(purge_ids(s, 0, 3, 100), "3 5 2");
        ck_assert_str_eq(purge_ids(s, 0, 9, 100), "3 5 2 6");
        /* both: what either says */
        ck_assert_str_eq(purge_ids(s, 150, 2, 100), "3 5");
        ck_assert_str_eq(purge_ids(s, 350, 1, 100), "3 5 2");

        /* delete: only jobs in a final state, whatever the caller passes */
        int64_t ids[] = { 3, 5, 1, 4, 7 };
        ck_assert_int_eq(store_delete_ended(s, ids, 5), 2);
        Job *j = NULL;
        ck_assert_int_eq(store_get(s, 3, &j), -ENOENT);
        ck_assert_int_eq(store_get(s, 1, &j), 0);
        job_free(j);
        ck_assert_int_eq(store_get(s, 4, &j), 0);
        job_free(j);
        ck_assert_str_eq(purge_ids(s, 1000, 0, 100), "2 6");

        /* audit: rows written before a time, at most max at once */
        ck_assert_int_eq(store_audit(s, 61001, 1, "list", 0, "ok", NULL), 0);
        ck_assert_int_eq(store_audit(s, 61001, 1, "list", 0, "ok", NULL), 0);
        ck_assert_int_eq(store_audit(s, 61001, 1, "list", 0, "ok", NULL), 0);
        ck_assert_int_eq(store_purge_audit(s, 1, 10), 0); /* all are newer */
        ck_assert_int_eq(store_purge_audit(s, now_usec() + 1000000, 2), 2);
        ck_assert_int_eq(store_audit_count(s, &n), 0);
        ck_assert_uint_eq(n, 1);
        for (int i = 0; i < 7; i++)
                job_free(jobs[i]);
        store_close(s);
}
END_TEST

Suite *store_suite(void) {
        Suite *s = suite_create("store");
        TCase *tc = tcase_create("store");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_submit_get);
        tcase_add_test(tc, test_transitions_and_list);
        tcase_add_test(tc, test_list_recent);
        tcase_add_test(tc, test_fair_order);
        tcase_add_test(tc, test_audit_settings_version);
        tcase_add_test(tc, test_added_columns);
        tcase_add_test(tc, test_list_ended);
        tcase_add_test(tc, test_list_unfinished);
        tcase_add_test(tc, test_purge);
        suite_add_tcase(s, tc);
        return s;
}
