/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store.c — see store.h. Layout: schema and migrations; job rows to and
 * from structs (argv and env as JSON arrays); queries; audit; settings. */
#include "store.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strv.h"

/* The statements run for every job, prepared once (SQLITE_PREPARE_PERSISTENT)
 * and reset after each use: parsing them again each time cost as much as
 * running them. */
typedef enum Stmt {
        STMT_INSERT_JOB,
        STMT_GET_JOB,
        STMT_TRANSITION,
        STMT_UPDATE_JOB,
        STMT_COUNT_STATES,
        STMT_NEXT_QUEUED,
        STMT_AUDIT,
        _STMT_MAX,
} Stmt;

struct Store {
        sqlite3 *db;
        sqlite3_stmt *stmts[_STMT_MAX];
};

static const char schema_v1[] =
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS jobs("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " uid INTEGER NOT NULL, gid INTEGER NOT NULL, user TEXT NOT NULL,"
        " state TEXT NOT NULL, policy TEXT NOT NULL,"
        " argv TEXT NOT NULL, env TEXT NOT NULL, cwd TEXT NOT NULL,"
        " walltime INTEGER NOT NULL, stdout_path TEXT, stderr_path TEXT,"
        " output_id TEXT NOT NULL UNIQUE,"
        " submit_time INTEGER NOT NULL, start_time INTEGER NOT NULL DEFAULT 0, end_time INTEGER NOT NULL DEFAULT 0,"
        " exit_code INTEGER NOT NULL DEFAULT -1, exit_signal INTEGER NOT NULL DEFAULT -1,"
        " launcher_pid INTEGER NOT NULL DEFAULT 0, launcher_start INTEGER NOT NULL DEFAULT 0,"
        " cgroup TEXT, result TEXT, epilogue TEXT, reason TEXT,"
        " cancel_requested INTEGER NOT NULL DEFAULT 0, submit_sid INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX IF NOT EXISTS jobs_state_uid ON jobs(state, uid, id);"
        "CREATE INDEX IF NOT EXISTS jobs_uid ON jobs(uid, id);"
        /* `corral list`: the jobs that ended last (store_list_recent); the
         * index is added to existing version 1 files at open, which older
         * corralds read just as well */
        "CREATE INDEX IF NOT EXISTS jobs_uid_end ON jobs(uid, end_time);"
        "CREATE INDEX IF NOT EXISTS jobs_end ON jobs(end_time);"
        "CREATE TABLE IF NOT EXISTS audit("
        " id INTEGER PRIMARY KEY, time INTEGER NOT NULL, uid INTEGER NOT NULL, pid INTEGER NOT NULL,"
        " op TEXT NOT NULL, job INTEGER, result TEXT NOT NULL, detail TEXT);"
        /* the audit retention (store_purge_audit): added like jobs_end */
        "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);"
        /* recovery (store_list_unfinished): the few rows without an
         * epilogue summary, not the whole history */
        "CREATE INDEX IF NOT EXISTS jobs_no_epilogue ON jobs(id) WHERE epilogue IS NULL;"
        "CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/* Columns added to the jobs table after version 1, each with a default:
 * store_open() adds the missing ones to an existing file (ALTER TABLE ... ADD
 * COLUMN, in the same transaction as the schema), so a file written by an
 * older corrald opens unchanged, and an older corrald still reads a newer
 * file (it names the columns it knows). Append here; never remove or
 * reorder; a change that is not additive needs a new schema_version. */
static const struct {
        const char *name, *decl;
} jobs_added_columns[] = {
        { "name", "TEXT" }, /* -J/--name; NULL: none */
        /* submit --mem, --cpus x --tasks as resolved at submit (resources.h);
         * 0: the policy's, not counted by the dispatcher (jobs from before) */
        { "mem", "INTEGER NOT NULL DEFAULT 0" }, /* bytes */
        { "cpus", "INTEGER NOT NULL DEFAULT 0" }, /* millicpus, the whole job */
        { "tasks", "INTEGER NOT NULL DEFAULT 1" },
        /* job arrays (array.h): the array's id (its first element's id; 0:
         * not an element), the element's task id, the array's throttle (%N;
         * 0: none) and its task count, smallest and largest task id (what
         * the job's environment says) */
        { "array_job_id", "INTEGER NOT NULL DEFAULT 0" },
        { "array_task_id", "INTEGER NOT NULL DEFAULT 0" },
        { "array_throttle", "INTEGER NOT NULL DEFAULT 0" },
        { "array_count", "INTEGER NOT NULL DEFAULT 0" },
        { "array_min", "INTEGER NOT NULL DEFAULT 0" },
        { "array_max", "INTEGER NOT NULL DEFAULT 0" },
        /* submit --after/--afterok/--afterany (depend.h's canonical text;
         * NULL: none), --begin (usec since the epoch; 0: none), and what a
         * queued or held job still waits for (STORE_BLOCKED_*; 0: nothing,
         * the dispatcher may start it) */
        { "depends", "TEXT" },
        { "begin_time", "INTEGER NOT NULL DEFAULT 0" },
        { "blocked", "INTEGER NOT NULL DEFAULT 0" },
        /* the job a submission came from, when its policy allows that
         * ([users] submit_from_jobs); 0: none */
        { "parent_job", "INTEGER NOT NULL DEFAULT 0" },
};

/* read by name (job_res_from_row), wherever they are in the list */
#define JOB_RES_COLUMNS "mem, cpus, tasks"
#define JOB_ARRAY_COLUMNS "array_job_id, array_task_id, array_throttle, array_count, array_min, array_max"
#define JOB_DEP_COLUMNS "depends, begin_time, blocked"
#define JOB_COLUMNS                                                                                                    \
        "id, uid, gid, user, state, policy, argv, env, cwd, walltime, stdout_path, stderr_path, output_id, "           \
        "submit_time, start_time, end_time, exit_code, exit_signal, launcher_pid, launcher_start, cgroup, result, "    \
        "epilogue, reason, cancel_requested, submit_sid, name, " JOB_RES_COLUMNS ", " JOB_ARRAY_COLUMNS                \
        ", " JOB_DEP_COLUMNS ", parent_job"

static const char *const stmt_sql[_STMT_MAX] = {
        [STMT_INSERT_JOB] =
                "INSERT INTO jobs(uid, gid, user, state, policy, argv, env, cwd, walltime, stdout_path, "
                "stderr_path, output_id, submit_time, submit_sid, name, " JOB_RES_COLUMNS ", " JOB_ARRAY_COLUMNS
                ", " JOB_DEP_COLUMNS ", parent_job) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, :mem, :cpus, :tasks, "
                ":array_job_id, :array_task_id, :array_throttle, :array_count, :array_min, :array_max, :depends, "
                ":begin_time, :blocked, :parent_job)",
        [STMT_GET_JOB] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?",
        [STMT_TRANSITION] = "UPDATE jobs SET state = ? WHERE id = ? AND state = ?",
        [STMT_UPDATE_JOB] = "UPDATE jobs SET state=?, start_time=?, end_time=?, exit_code=?, exit_signal=?, "
                            "launcher_pid=?, launcher_start=?, cgroup=?, result=?, epilogue=?, reason=?, "
                            "cancel_requested=?, blocked = CASE WHEN ? THEN 0 ELSE blocked END WHERE id=?",
        [STMT_COUNT_STATES] = "SELECT state, count(*) FROM jobs GROUP BY state",
        [STMT_NEXT_QUEUED] =
                "SELECT " JOB_COLUMNS " FROM jobs INDEXED BY jobs_ready WHERE state = 'QUEUED' AND blocked = 0 AND "
                "uid >= ? ORDER BY uid, id LIMIT 1",
        [STMT_AUDIT] = "INSERT INTO audit(time, uid, pid, op, job, result, detail) VALUES(?,?,?,?,?,?,?)",
};

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* SQLite result codes to -errno, keeping the cause recognisable. */
static int sqlite_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        default:
                return -EIO;
        }
}

static int exec_sql(Store *s, const char *sql) {
        return sqlite_errno(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

/* The cached statement id, prepared on first use; reset it with release(). */
static int stmt_get(Store *s, Stmt id, sqlite3_stmt **ret) {
        if (!s->stmts[id]) {
                int r = sqlite_errno(
                        sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL));
                if (r < 0)
                        return r;
        }
        *ret = s->stmts[id];
        return 0;
}

/* Done with st: a cached statement is reset for its next use, any other
 * finalized. */
static void release(Store *s, sqlite3_stmt *st) {
        for (size_t i = 0; i < _STMT_MAX; i++)
                if (s->stmts[i] == st) {
                        sqlite3_reset(st);
                        sqlite3_clear_bindings(st);
                        return;
                }
        sqlite3_finalize(st);
}

Store *store_close(Store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(s->stmts[i]);
        sqlite3_close_v2(s->db);
        free(s);
        return NULL;
}

static int add_columns(Store *s) {
        for (size_t i = 0; i < ELEMENTSOF(jobs_added_columns); i++) {
                _cleanup_free_ char *sql = NULL;
                sqlite3_stmt *st = NULL;
                bool have = false;
                int r;

                /* pragma_table_info(): SQLite >= 3.16 */
                r = sqlite_errno(sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('jobs') WHERE name = ?", -1,
                                                    &st, NULL));
                if (r < 0)
                        return r;
                sqlite3_bind_text(st, 1, jobs_added_columns[i].name, -1, SQLITE_STATIC);
                r = sqlite3_step(st);
                have = r == SQLITE_ROW;
                r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sqlite_errno(r);
                sqlite3_finalize(st);
                if (r < 0)
                        return r;
                if (have)
                        continue;
                if (asprintf(&sql, "ALTER TABLE jobs ADD COLUMN %s %s;", jobs_added_columns[i].name,
                             jobs_added_columns[i].decl) < 0)
                        return -ENOMEM;
                r = exec_sql(s, sql);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_open(const char *path, Store **ret) {
        _cleanup_(store_closep) Store *s = calloc(1, sizeof(Store));
        int r, version = 0;
        sqlite3_stmt *st = NULL;

        if (!s)
                return -ENOMEM;
        r = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (r != SQLITE_OK)
                return sqlite_errno(r);
        sqlite3_busy_timeout(s->db, 5000);
        /* WAL + FULL: every commit is fsynced before we acknowledge it */
        /* WAL. Submissions commit with synchronous=FULL (fsynced before they
         * are acknowledged, see store_submit); everything else (state changes,
         * audit rows) with NORMAL: in WAL mode that survives a crash of the
         * process, and what a power loss could roll back (the last state
         * changes) is reconciled by the recovery at the next start. */
        r = exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                        "PRAGMA cache_size=-2048;"); /* 2 MiB of page cache: the queue is on disk, not in RAM */
        if (r < 0)
                return r;
        r = exec_sql(s, "BEGIN IMMEDIATE;");
        if (r < 0)
                return r;
        r = exec_sql(s, schema_v1);
        if (r >= 0 && sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, NULL) ==
                              SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        version = atoi((const char *) sqlite3_column_text(st, 0)); /* written by us: digits */
                sqlite3_finalize(st);
        }
        if (r >= 0)
                r = add_columns(s);
        /* the elements of an array (cancel, the throttle): after the columns */
        if (r >= 0)
                r = exec_sql(s, "CREATE INDEX IF NOT EXISTS jobs_array ON jobs(array_job_id, array_task_id);");
        /* the jobs that wait for a dependency or a --begin time
         * (store_list_blocked), and those the dispatcher may start
         * (STMT_NEXT_QUEUED): each query reads only its own rows, however
         * many others the queue holds (named with INDEXED BY: without
         * ANALYZE the planner would take jobs_state_uid and step over every
         * queued job) */
        if (r >= 0)
                r = exec_sql(s, "CREATE INDEX IF NOT EXISTS jobs_blocked ON jobs(id) WHERE blocked != 0;"
                                "CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(uid, id) WHERE state = 'QUEUED' "
                                "AND blocked = 0;");
        if (r >= 0 && version == 0)
                r = exec_sql(s, "INSERT INTO meta(key, value) VALUES('schema_version', '1');");
        else if (r >= 0 && version > STORE_SCHEMA_VERSION)
                r = -EPROTONOSUPPORT; /* written by a newer corrald: refuse rather than corrupt */
        if (r < 0) {
                (void) exec_sql(s, "ROLLBACK;");
                return r;
        }
        r = exec_sql(s, "COMMIT;");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        free(j->user);
        free(j->policy);
        strv_free(j->argv);
        strv_free(j->env);
        free(j->cwd);
        free(j->stdout_path);
        free(j->stderr_path);
        free(j->cgroup);
        free(j->result);
        free(j->epilogue);
        free(j->reason);
        free(j->name);
        free(j->depends);
        free(j);
        return NULL;
}

void job_list_free(Job **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                job_free(l[i]);
        free(l);
}

static char *strv_to_json(char **l) {
        json_t *a = json_array();
        for (char **i = l; a && i && *i; i++)
                if (json_array_append_new(a, json_string(*i)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
        json_decref(a);
        return s;
}

static char **strv_from_json(const char *s) {
        json_t *a = s ? json_loads(s, 0, NULL) : NULL;
        char **l = calloc(1, sizeof(char *));
        size_t i;
        json_t *v;
        if (!a || !l || !json_is_array(a)) {
                json_decref(a);
                return strv_free(l);
        }
        json_array_foreach(a, i, v) {
                if (!json_is_string(v) || strv_extend(&l, json_string_value(v)) < 0) {
                        json_decref(a);
                        return strv_free(l);
                }
        }
        json_decref(a);
        return l;
}

static char *col_strdup(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *) t) : NULL;
}

/* The resources (resources.h) by column name, so that other added columns
 * can go anywhere in JOB_COLUMNS. */
static void job_res_from_row(sqlite3_stmt *st, Job *j) {
        j->tasks = 1;
        for (int i = 0; i < sqlite3_column_count(st); i++) {
                const char *n = sqlite3_column_name(st, i);
                sqlite3_int64 v = sqlite3_column_int64(st, i);
                if (!n || v < 0)
                        continue;
                if (strcmp(n, "mem") == 0)
                        j->mem = (uint64_t) v;
                else if (strcmp(n, "cpus") == 0)
                        j->cpus = (uint64_t) v;
                else if (strcmp(n, "tasks") == 0 && v > 0)
                        j->tasks = (uint64_t) v;
                else if (strcmp(n, "parent_job") == 0)
                        j->parent_job = (int64_t) v;
                else if (strcmp(n, "array_job_id") == 0)
                        j->array_job_id = v;
                else if (strcmp(n, "array_task_id") == 0)
                        j->array_task_id = (uint64_t) v;
                else if (strcmp(n, "array_throttle") == 0)
                        j->array_throttle = (uint64_t) v;
                else if (strcmp(n, "array_count") == 0)
                        j->array_count = (uint64_t) v;
                else if (strcmp(n, "array_min") == 0)
                        j->array_min = (uint64_t) v;
                else if (strcmp(n, "array_max") == 0)
                        j->array_max = (uint64_t) v;
        }
}

/* The dependencies and --begin, by column name as the resources. */
static void job_dep_from_row(sqlite3_stmt *st, Job *j) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
                const char *n = sqlite3_column_name(st, i);
                if (!n)
                        continue;
                if (strcmp(n, "depends") == 0)
                        j->depends = col_strdup(st, i);
                else if (strcmp(n, "begin_time") == 0 && sqlite3_column_int64(st, i) > 0)
                        j->begin_time = (uint64_t) sqlite3_column_int64(st, i);
                else if (strcmp(n, "blocked") == 0 && sqlite3_column_int64(st, i) > 0)
                        j->blocked = (unsigned) sqlite3_column_int64(st, i);
        }
}

static sqlite3_int64 clamp_i64(uint64_t v) {
        return v > (uint64_t) INT64_MAX ? INT64_MAX : (sqlite3_int64) v;
}

static void bind_res(sqlite3_stmt *st, const Job *j) {
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":mem"), clamp_i64(j->mem));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cpus"), clamp_i64(j->cpus));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":tasks"), clamp_i64(j->tasks ? j->tasks : 1));
        int pj = sqlite3_bind_parameter_index(st, ":parent_job");
        if (pj > 0)
                sqlite3_bind_int64(st, pj, j->parent_job > 0 ? j->parent_job : 0);
}

static void bind_array(sqlite3_stmt *st, const Job *j, int64_t array_id) {
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_job_id"), array_id);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_task_id"), clamp_i64(j->array_task_id));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_throttle"), clamp_i64(j->array_throttle));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_count"), clamp_i64(j->array_count));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_min"), clamp_i64(j->array_min));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":array_max"), clamp_i64(j->array_max));
}

static void bind_dep(sqlite3_stmt *st, const Job *j) {
        int i = sqlite3_bind_parameter_index(st, ":depends");
        if (j->depends)
                sqlite3_bind_text(st, i, j->depends, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":begin_time"), clamp_i64(j->begin_time));
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":blocked"), (sqlite3_int64) j->blocked);
}

static Job *job_from_row(sqlite3_stmt *st) {
        Job *j = calloc(1, sizeof(Job));
        if (!j)
                return NULL;
        j->id = sqlite3_column_int64(st, 0);
        j->uid = (uid_t) sqlite3_column_int64(st, 1);
        j->gid = (gid_t) sqlite3_column_int64(st, 2);
        j->user = col_strdup(st, 3);
        j->state = job_state_from_string((const char *) sqlite3_column_text(st, 4));
        j->policy = col_strdup(st, 5);
        j->argv = strv_from_json((const char *) sqlite3_column_text(st, 6));
        j->env = strv_from_json((const char *) sqlite3_column_text(st, 7));
        j->cwd = col_strdup(st, 8);
        j->walltime = (uint64_t) sqlite3_column_int64(st, 9);
        j->stdout_path = col_strdup(st, 10);
        j->stderr_path = col_strdup(st, 11);
        const unsigned char *oid = sqlite3_column_text(st, 12);
        snprintf(j->output_id, sizeof j->output_id, "%s", oid ? (const char *) oid : "");
        j->submit_time = (uint64_t) sqlite3_column_int64(st, 13);
        j->start_time = (uint64_t) sqlite3_column_int64(st, 14);
        j->end_time = (uint64_t) sqlite3_column_int64(st, 15);
        j->exit_code = sqlite3_column_int(st, 16);
        j->exit_signal = sqlite3_column_int(st, 17);
        j->launcher_pid = (pid_t) sqlite3_column_int64(st, 18);
        j->launcher_start = (uint64_t) sqlite3_column_int64(st, 19);
        j->cgroup = col_strdup(st, 20);
        j->result = col_strdup(st, 21);
        j->epilogue = col_strdup(st, 22);
        j->reason = col_strdup(st, 23);
        j->cancel_requested = sqlite3_column_int(st, 24) != 0;
        j->submit_sid = (pid_t) sqlite3_column_int64(st, 25);
        j->name = col_strdup(st, 26);
        job_res_from_row(st, j);
        job_dep_from_row(st, j);
        if (!j->user || !j->policy || !j->argv || !j->env || !j->cwd || j->state == _JOB_STATE_INVALID)
                return job_free(j);
        return j;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

int store_submit(Store *s, Job **jobs, size_t n) {
        sqlite3_stmt *st = NULL;
        int64_t array_id = 0; /* of the elements of this batch (STORE_ARRAY_NEW) */
        int r;

        r = exec_sql(s, "PRAGMA synchronous=FULL; BEGIN IMMEDIATE;");
        if (r < 0)
                return r;
        r = stmt_get(s, STMT_INSERT_JOB, &st);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                Job *j = jobs[i];
                _cleanup_free_ char *argv = strv_to_json(j->argv), *env = strv_to_json(j->env);
                if (!argv || !env) {
                        r = -ENOMEM;
                        break;
                }
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, j->uid);
                sqlite3_bind_int64(st, 2, j->gid);
                sqlite3_bind_text(st, 3, j->user, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 4, job_state_to_string(j->state), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 5, j->policy, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 6, argv, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 7, env, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 8, j->cwd, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 9, (sqlite3_int64) j->walltime);
                bind_text_or_null(st, 10, j->stdout_path);
                bind_text_or_null(st, 11, j->stderr_path);
                sqlite3_bind_text(st, 12, j->output_id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 13, (sqlite3_int64) j->submit_time);
                sqlite3_bind_int64(st, 14, j->submit_sid);
                bind_text_or_null(st, 15, j->name);
                bind_res(st, j);
                bind_array(st, j, j->array_job_id == STORE_ARRAY_NEW ? array_id : j->array_job_id);
                bind_dep(st, j);
                r = sqlite_errno(sqlite3_step(st));
                if (r < 0)
                        break;
                j->id = sqlite3_last_insert_rowid(s->db);
                if (j->array_job_id == STORE_ARRAY_NEW) {
                        if (!array_id) {
                                /* the first element: its id is the array's */
                                char sql[128];
                                array_id = j->id;
                                snprintf(sql, sizeof sql, "UPDATE jobs SET array_job_id = id WHERE id = %lld",
                                         (long long) j->id);
                                r = exec_sql(s, sql);
                        }
                        j->array_job_id = array_id;
                }
        }
        if (st)
                release(s, st);
        if (r < 0) {
                (void) exec_sql(s, "ROLLBACK; PRAGMA synchronous=NORMAL;");
                return r;
        }
        /* COMMIT fsyncs the WAL (synchronous=FULL): durable from here on */
        r = exec_sql(s, "COMMIT;");
        if (r < 0)
                (void) exec_sql(s, "ROLLBACK;");
        (void) exec_sql(s, "PRAGMA synchronous=NORMAL;");
        return r;
}

/* Steps a one-row query of a count, releases it. */
static int step_count(Store *s, sqlite3_stmt *st, uint64_t *ret) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                *ret = (uint64_t) sqlite3_column_int64(st, 0);
        release(s, st);
        return r == SQLITE_ROW ? 0 : sqlite_errno(r);
}

/* Steps a query of at most one job, releases it: 1 and *ret, 0 for no row,
 * or -errno. */
static int step_job(Store *s, sqlite3_stmt *st, Job **ret) {
        int r = sqlite3_step(st);
        Job *j = r == SQLITE_ROW ? job_from_row(st) : NULL;
        release(s, st);
        if (r == SQLITE_ROW) {
                if (!j)
                        return -EBADMSG;
                *ret = j;
                return 1;
        }
        return r == SQLITE_DONE ? 0 : sqlite_errno(r);
}

int store_get(Store *s, int64_t id, Job **ret) {
        sqlite3_stmt *st = NULL;
        int r = stmt_get(s, STMT_GET_JOB, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        r = step_job(s, st, ret);
        return r == 0 ? -ENOENT : r < 0 ? r : 0;
}

/* The WHERE clause of a filter; only numbers and state names go in. With
 * state_unindexed, the state term cannot pick the index (SQLite's unary +):
 * for queries that an index on another column serves better. */
static size_t filter_sql_full(const StoreFilter *f, bool state_unindexed, char *sql, size_t off, size_t len) {
        if (f && f->by_uid)
                off += (size_t) snprintf(sql + off, len - off, " AND uid = %u", (unsigned) f->uid);
        if (f && f->array_job_id > 0)
                off += (size_t) snprintf(sql + off, len - off, " AND array_job_id = %lld", (long long) f->array_job_id);
        if (f && f->states) {
                bool first = true;
                off += (size_t) snprintf(sql + off, len - off, " AND %sstate IN (", state_unindexed ? "+" : "");
                for (int i = 0; i < _JOB_STATE_MAX; i++)
                        if (f->states & (1u << i)) {
                                off += (size_t) snprintf(sql + off, len - off, "%s'%s'", first ? "" : ",",
                                                         job_state_to_string((JobState) i));
                                first = false;
                        }
                off += (size_t) snprintf(sql + off, len - off, ")");
        }
        return off;
}

static size_t filter_sql(const StoreFilter *f, char *sql, size_t off, size_t len) {
        return filter_sql_full(f, false, sql, off, len);
}

int store_count(Store *s, const StoreFilter *f, uint64_t *ret) {
        char sql[1024];
        sqlite3_stmt *st = NULL;
        size_t off = (size_t) snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE 1");
        filter_sql(f, sql, off, sizeof sql);
        int r = sqlite_errno(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        if (r < 0)
                return r;
        return step_count(s, st, ret);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* Runs a query of jobs and appends its rows to *l (n rows, room for *cap). */
static int append_jobs(Store *s, const char *sql, Job ***l, size_t *n, size_t *cap) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                if (*n == *cap) {
                        size_t c = *cap ? *cap * 2 : 16;
                        Job **nl = realloc(*l, c * sizeof(Job *));
                        if (!nl) {
                                r = SQLITE_NOMEM;
                                break;
                        }
                        *l = nl;
                        *cap = c;
                }
                (*l)[*n] = job_from_row(st);
                if (!(*l)[*n]) {
                        r = SQLITE_CORRUPT;
                        break;
                }
                (*n)++;
        }
        sqlite3_finalize(st);
        if (r != SQLITE_DONE)
                return sqlite_errno(r) ? sqlite_errno(r) : -EIO;
        return 0;
}

int store_list(Store *s, const StoreFilter *f, Job ***ret, size_t *ret_n) {
        char sql[1024];
        size_t off = 0, n = 0, cap = 0;
        Job **l = NULL;
        int r;

        off = (size_t) snprintf(sql, sizeof sql, "SELECT " JOB_COLUMNS " FROM jobs WHERE 1");
        off = filter_sql(f, sql, off, sizeof sql);
        off += (size_t) snprintf(sql + off, sizeof sql - off, " ORDER BY id");
        if (f && f->limit)
                snprintf(sql + off, sizeof sql - off, " LIMIT %llu", (unsigned long long) f->limit);
        r = append_jobs(s, sql, &l, &n, &cap);
        if (r < 0) {
                job_list_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int store_list_recent(Store *s, const StoreFilter *f, uint64_t last, uint64_t ended_since, Job ***ret, size_t *ret_n) {
        unsigned states = f && f->states ? f->states : (1u << _JOB_STATE_MAX) - 1, waiting = 0;
        uint64_t limit = f && f->limit ? f->limit : UINT64_MAX;
        size_t n = 0, cap = 0;
        Job **l = NULL;
        int r = 0;

        for (int i = 0; i < _JOB_STATE_MAX; i++)
                if (!job_state_is_final((JobState) i))
                        waiting |= 1u << i;
        /* first the jobs that are not over (queued, held, starting, running), newest first */
        StoreFilter part = f ? *f : (StoreFilter){ 0 };
        part.states = states & waiting;
        if (part.states) {
                char sql[1024];
                /* the ids first, from the (state, uid, id) index alone, then
                 * the rows of those: a user with 100,000 queued jobs costs a
                 * sort of 100,000 integers, not of 100,000 decoded rows
                 * (200 ms -> 4 ms, BENCHMARKS.md) */
                size_t off = (size_t) snprintf(
                        sql, sizeof sql, "SELECT " JOB_COLUMNS " FROM jobs WHERE id IN (SELECT id FROM jobs WHERE 1");
                off = filter_sql(&part, sql, off, sizeof sql);
                snprintf(sql + off, sizeof sql - off, " ORDER BY id DESC LIMIT %llu) ORDER BY id DESC",
                         (unsigned long long) min_u64(limit, (uint64_t) INT64_MAX));
                r = append_jobs(s, sql, &l, &n, &cap);
        }
        /* then the ended ones, the one that ended last first */
        part.states = states & ~waiting;
        limit = min_u64(limit - min_u64(limit, (uint64_t) n), last);
        if (r >= 0 && part.states && limit > 0) {
                char sql[1024];
                size_t off = (size_t) snprintf(sql, sizeof sql, "SELECT " JOB_COLUMNS " FROM jobs WHERE 1");
                /* read backwards along (uid, end_time) or (end_time), up to the limit */
                off = filter_sql_full(&part, true, sql, off, sizeof sql);
                if (ended_since)
                        off += (size_t) snprintf(sql + off, sizeof sql - off, " AND end_time >= %llu",
                                                 (unsigned long long) min_u64(ended_since, (uint64_t) INT64_MAX));
                snprintf(sql + off, sizeof sql - off, " ORDER BY end_time DESC, id DESC LIMIT %llu",
                         (unsigned long long) min_u64(limit, (uint64_t) INT64_MAX));
                r = append_jobs(s, sql, &l, &n, &cap);
        }
        if (r < 0) {
                job_list_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

/* " AND +state IN ('COMPLETED',...)": the final states of mask (none: every
 * final state), unindexed, so an index on end_time serves the query. */
static size_t final_states_sql(unsigned mask, char *sql, size_t off, size_t len) {
        bool first = true;
        off += (size_t) snprintf(sql + off, len - off, " AND +state IN (");
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                if (job_state_is_final((JobState) i) && (!mask || (mask & (1u << i)))) {
                        off += (size_t) snprintf(sql + off, len - off, "%s'%s'", first ? "" : ",",
                                                 job_state_to_string((JobState) i));
                        first = false;
                }
        /* a mask of states not over only: nothing matches */
        off += (size_t) snprintf(sql + off, len - off, "%s)", first ? "NULL" : "");
        return off;
}

static long long sql_u64(uint64_t v) {
        return (long long) min_u64(v, (uint64_t) INT64_MAX);
}

int store_list_ended(Store *s, const StoreFilter *f, uint64_t since, uint64_t until, uint64_t after_end,
                     int64_t after_id, uint64_t limit, Job ***ret, size_t *ret_n) {
        char sql[2048];
        size_t off, n = 0, cap = 0;
        Job **l = NULL;
        int r;

        off = (size_t) snprintf(sql, sizeof sql, "SELECT " JOB_COLUMNS " FROM jobs WHERE 1");
        if (f && f->by_uid)
                off += (size_t) snprintf(sql + off, sizeof sql - off, " AND uid = %u", (unsigned) f->uid);
        off = final_states_sql(f ? f->states : 0, sql, off, sizeof sql);
        if (since || after_end)
                off += (size_t) snprintf(sql + off, sizeof sql - off, " AND end_time >= %lld",
                                         sql_u64(since > after_end ? since : after_end));
        if (until)
                off += (size_t) snprintf(sql + off, sizeof sql - off, " AND end_time < %lld", sql_u64(until));
        if (after_end || after_id)
                off += (size_t) snprintf(sql + off, sizeof sql - off, " AND (end_time > %lld OR id > %lld)",
                                         sql_u64(after_end), (long long) after_id);
        snprintf(sql + off, sizeof sql - off, " ORDER BY end_time, id LIMIT %lld", sql_u64(limit ? limit : STORE_ALL));
        r = append_jobs(s, sql, &l, &n, &cap);
        if (r < 0) {
                job_list_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int store_list_unfinished(Store *s, Job ***ret, size_t *ret_n) {
        char sql[2048];
        size_t off, n = 0, cap = 0;
        Job **l = NULL;
        int r;

        off = (size_t) snprintf(sql, sizeof sql,
                                "SELECT " JOB_COLUMNS " FROM jobs WHERE state IN ('STARTING','RUNNING') UNION ALL "
                                "SELECT " JOB_COLUMNS " FROM jobs WHERE epilogue IS NULL AND start_time > 0");
        off = final_states_sql(0, sql, off, sizeof sql);
        snprintf(sql + off, sizeof sql - off, " ORDER BY id");
        r = append_jobs(s, sql, &l, &n, &cap);
        if (r < 0) {
                job_list_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int store_count_ended(Store *s, uint64_t *ret) {
        uint64_t counts[_JOB_STATE_MAX], n = 0;
        int r = store_count_states(s, counts);
        if (r < 0)
                return r;
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                if (job_state_is_final((JobState) i))
                        n += counts[i];
        *ret = n;
        return 0;
}

int store_purge_candidates(Store *s, uint64_t ended_before, uint64_t oldest, size_t max, StorePurgeItem **ret,
                           size_t *ret_n) {
        _cleanup_free_ StorePurgeItem *l = NULL;
        sqlite3_stmt *st = NULL;
        char sql[1024];
        size_t off, n = 0;
        int r;

        if (max == 0 || (oldest == 0 && ended_before == 0)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        l = calloc(max, sizeof(StorePurgeItem));
        if (!l)
                return -ENOMEM;
        /* along the end_time index, the one that ended first first: the first
         * row neither too old nor beyond the cap ends the scan */
        off = (size_t) snprintf(sql, sizeof sql, "SELECT id, output_id, end_time FROM jobs WHERE 1");
        off = final_states_sql(0, sql, off, sizeof sql);
        snprintf(sql + off, sizeof sql - off, " ORDER BY end_time, id LIMIT %lld", sql_u64(max));
        r = sqlite_errno(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                uint64_t end = (uint64_t) sqlite3_column_int64(st, 2);
                const char *oid = (const char *) sqlite3_column_text(st, 1);
                if (n >= oldest && end >= ended_before)
                        break;
                l[n].id = sqlite3_column_int64(st, 0);
                snprintf(l[n].output_id, sizeof l[n].output_id, "%s", oid ? oid : "");
                n++;
        }
        r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sqlite_errno(r);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        *ret = n ? TAKE_PTR(l) : NULL;
        *ret_n = n;
        return 0;
}

int store_delete_ended(Store *s, const int64_t *ids, size_t n) {
        sqlite3_stmt *st = NULL;
        char sql[1024];
        size_t off;
        int r, deleted = 0;

        off = (size_t) snprintf(sql, sizeof sql, "DELETE FROM jobs WHERE id = ?");
        final_states_sql(0, sql, off, sizeof sql);
        r = exec_sql(s, "BEGIN IMMEDIATE;");
        if (r < 0)
                return r;
        r = sqlite_errno(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        for (size_t i = 0; r >= 0 && i < n; i++) {
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, ids[i]);
                r = sqlite_errno(sqlite3_step(st));
                if (r >= 0)
                        deleted += sqlite3_changes(s->db);
        }
        sqlite3_finalize(st);
        if (r < 0) {
                (void) exec_sql(s, "ROLLBACK;");
                return r;
        }
        r = exec_sql(s, "COMMIT;");
        if (r < 0) {
                (void) exec_sql(s, "ROLLBACK;");
                return r;
        }
        return deleted;
}

int store_purge_audit(Store *s, uint64_t before, size_t max) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(
                s->db, "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE time < ? ORDER BY time LIMIT ?)", -1,
                &st, NULL));
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, sql_u64(before));
        sqlite3_bind_int64(st, 2, sql_u64(max));
        r = sqlite_errno(sqlite3_step(st));
        sqlite3_finalize(st);
        return r < 0 ? r : sqlite3_changes(s->db);
}

int store_transition(Store *s, int64_t id, JobState from, JobState to) {
        sqlite3_stmt *st = NULL;
        int r = stmt_get(s, STMT_TRANSITION, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, job_state_to_string(to), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_text(st, 3, job_state_to_string(from), -1, SQLITE_STATIC);
        r = sqlite_errno(sqlite3_step(st));
        release(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int store_update(Store *s, const Job *j) {
        sqlite3_stmt *st = NULL;
        int r = stmt_get(s, STMT_UPDATE_JOB, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, job_state_to_string(j->state), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) j->start_time);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) j->end_time);
        sqlite3_bind_int(st, 4, j->exit_code);
        sqlite3_bind_int(st, 5, j->exit_signal);
        sqlite3_bind_int64(st, 6, j->launcher_pid);
        sqlite3_bind_int64(st, 7, (sqlite3_int64) j->launcher_start);
        bind_text_or_null(st, 8, j->cgroup);
        bind_text_or_null(st, 9, j->result);
        bind_text_or_null(st, 10, j->epilogue);
        bind_text_or_null(st, 11, j->reason);
        sqlite3_bind_int(st, 12, j->cancel_requested);
        /* a job that ended waits for nothing any more */
        sqlite3_bind_int(st, 13, job_state_is_final(j->state));
        sqlite3_bind_int64(st, 14, j->id);
        r = sqlite_errno(sqlite3_step(st));
        release(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_count_states(Store *s, uint64_t counts[_JOB_STATE_MAX]) {
        sqlite3_stmt *st = NULL;
        int r = stmt_get(s, STMT_COUNT_STATES, &st);
        if (r < 0)
                return r;
        memset(counts, 0, sizeof(uint64_t) * _JOB_STATE_MAX);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                JobState js = job_state_from_string((const char *) sqlite3_column_text(st, 0));
                if (js != _JOB_STATE_INVALID)
                        counts[js] = (uint64_t) sqlite3_column_int64(st, 1);
        }
        release(s, st);
        return r == SQLITE_DONE ? 0 : sqlite_errno(r);
}

int store_count_waiting(Store *s, uid_t uid, uint64_t *ret) {
        StoreFilter f = { .states = (1u << JOB_QUEUED) | (1u << JOB_HELD), .by_uid = true, .uid = uid };
        return store_count(s, &f, ret);
}

/* The oldest queued job of the first user from min_uid on, leaving out the
 * elements of the arrays in skip (at their throttle) and, as
 * STMT_NEXT_QUEUED, the blocked jobs (dependencies, --begin). */
static int next_queued_skip(Store *s, int64_t min_uid, const int64_t *skip, size_t n_skip, Job **ret) {
        sqlite3_stmt *st = NULL;
        char *sql = NULL;
        size_t len = 0;
        int r;
        FILE *f = open_memstream(&sql, &len);
        if (!f)
                return -ENOMEM;
        /* as STMT_NEXT_QUEUED (its partial index, no blocked job) */
        fputs("SELECT " JOB_COLUMNS " FROM jobs INDEXED BY jobs_ready WHERE state = 'QUEUED' AND blocked = 0 AND "
              "uid >= ? AND array_job_id NOT IN (",
              f);
        for (size_t i = 0; i < n_skip; i++)
                fprintf(f, "%s%lld", i ? "," : "", (long long) skip[i]);
        fputs(") ORDER BY uid, id LIMIT 1", f);
        if (fclose(f) != 0) {
                free(sql);
                return -ENOMEM;
        }
        r = sqlite_errno(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));
        free(sql);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, min_uid);
        *ret = NULL;
        r = step_job(s, st, ret);
        return r < 0 ? r : 0;
}

static int next_queued_from(Store *s, int64_t min_uid, const int64_t *skip, size_t n_skip, Job **ret) {
        sqlite3_stmt *st = NULL;
        if (n_skip > 0)
                return next_queued_skip(s, min_uid, skip, n_skip, ret);
        int r = stmt_get(s, STMT_NEXT_QUEUED, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, min_uid);
        *ret = NULL;
        r = step_job(s, st, ret);
        return r < 0 ? r : 0;
}

int store_next_queued(Store *s, uid_t after_uid, bool have_after, Job **ret) {
        /* round robin over the users that have queued jobs, in uid order */
        int r = next_queued_from(s, have_after ? (int64_t) after_uid + 1 : 0, NULL, 0, ret);
        if (r < 0 || *ret || !have_after)
                return r;
        return next_queued_from(s, 0, NULL, 0, ret);
}

int store_queued_heads(Store *s, uid_t after_uid, bool have_after, size_t max, Job ***ret, size_t *ret_n) {
        return store_queued_heads_skip(s, after_uid, have_after, NULL, 0, max, ret, ret_n);
}

int store_queued_heads_skip(Store *s, uid_t after_uid, bool have_after, const int64_t *skip_arrays, size_t n_skip,
                            size_t max, Job ***ret, size_t *ret_n) {
        /* the users after after_uid, then from the first one up to it */
        int64_t from = have_after ? (int64_t) after_uid + 1 : 0;
        bool wrapped = !have_after;
        Job **l = calloc(max ? max : 1, sizeof(Job *));
        size_t n = 0;
        int r = 0;

        if (!l)
                return -ENOMEM;
        while (n < max) {
                Job *j = NULL;
                r = next_queued_from(s, from, skip_arrays, n_skip, &j);
                if (r < 0)
                        break;
                if (j && wrapped && have_after && j->uid > after_uid) {
                        job_free(j); /* past the start again */
                        j = NULL;
                }
                if (!j) {
                        if (wrapped)
                                break;
                        wrapped = true;
                        from = 0;
                        continue;
                }
                from = (int64_t) j->uid + 1;
                l[n++] = j;
        }
        if (r < 0) {
                job_list_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int store_audit(Store *s, uid_t uid, pid_t pid, const char *op, int64_t job, const char *result, const char *detail) {
        sqlite3_stmt *st = NULL;
        int r = stmt_get(s, STMT_AUDIT, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) now_usec());
        sqlite3_bind_int64(st, 2, uid);
        sqlite3_bind_int64(st, 3, pid);
        sqlite3_bind_text(st, 4, op, -1, SQLITE_TRANSIENT);
        if (job > 0)
                sqlite3_bind_int64(st, 5, job);
        else
                sqlite3_bind_null(st, 5);
        sqlite3_bind_text(st, 6, result, -1, SQLITE_TRANSIENT);
        bind_text_or_null(st, 7, detail);
        r = sqlite_errno(sqlite3_step(st));
        release(s, st);
        return r;
}

int store_audit_count(Store *s, uint64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(s->db, "SELECT count(*) FROM audit", -1, &st, NULL));
        if (r < 0)
                return r;
        return step_count(s, st, ret);
}

int store_get_setting(Store *s, const char *key, char **ret) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(s->db, "SELECT value FROM settings WHERE key = ?", -1, &st, NULL));
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
                *ret = col_strdup(st, 0);
                sqlite3_finalize(st);
                return *ret ? 1 : -ENOMEM;
        }
        sqlite3_finalize(st);
        *ret = NULL;
        return r == SQLITE_DONE ? 0 : sqlite_errno(r);
}

int store_set_setting(Store *s, const char *key, const char *value) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(
                s->db,
                "INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", -1,
                &st, NULL));
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
        r = sqlite_errno(sqlite3_step(st));
        sqlite3_finalize(st);
        return r;
}

int store_set_blocked(Store *s, int64_t id, unsigned blocked) {
        sqlite3_stmt *st = NULL;
        int r = sqlite_errno(sqlite3_prepare_v2(s->db, "UPDATE jobs SET blocked = ? WHERE id = ?", -1, &st, NULL));
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) blocked);
        sqlite3_bind_int64(st, 2, id);
        r = sqlite_errno(sqlite3_step(st));
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_list_blocked(Store *s, Job ***ret, size_t *ret_n) {
        sqlite3_stmt *st = NULL;
        Job **l = NULL;
        size_t n = 0;
        int r = sqlite_errno(sqlite3_prepare_v2(s->db,
                                                "SELECT " JOB_COLUMNS
                                                " FROM jobs INDEXED BY jobs_blocked WHERE blocked != 0 "
                                                "AND state IN ('QUEUED', 'HELD') ORDER BY id",
                                                -1, &st, NULL));
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                Job **nl = realloc(l, (n + 1) * sizeof(Job *));
                if (!nl) {
                        r = SQLITE_NOMEM;
                        break;
                }
                l = nl;
                l[n] = job_from_row(st);
                if (!l[n]) {
                        r = SQLITE_NOMEM;
                        break;
                }
                n++;
        }
        sqlite3_finalize(st);
        if (r != SQLITE_DONE) {
                job_list_free(l, n);
                return sqlite_errno(r) < 0 ? sqlite_errno(r) : -EIO;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
