/* SPDX-License-Identifier: GPL-2.0-or-later */
/* protocol.h — corrald's API: one JSON request and one JSON response per
 * SOCK_SEQPACKET message on the Unix socket (`logs --follow` and `wait`
 * answer with several messages, pushed by the daemon as the job goes on). Requests are parsed strictly: unknown
 * operations and fields, wrong types, oversized or malformed input are errors naming the field. Pure code (no I/O), so
 * it is unit-tested and fuzzed.
 *
 *   {"op":"submit","argv":["/bin/echo","hi"],"env":{"K":"V"},"cwd":"/home/a",
 *    "policy":"default","walltime":"1h","stdout":"/home/a/out","hold":false,
 *    "mem":1073741824,"cpus":2,"tasks":1,"array":"1-100%10",
 *    "depends":"afterok:3:4,afterany:5","begin":1795338781}
 *     ("env" is the job's environment, usually the submitter's exported one;
 *     "env_explicit" the names of it the user set explicitly (-E): a variable
 *     the policy's [job] env_deny matches is dropped from "env", and named in
 *     the answer's "env_dropped", unless it is explicit: then the submission
 *     is refused. "name" (-J) is the job's name. "stdout" and "stderr" are
 *     absolute paths that may hold %j (the job id), %x (the job's name, else
 *     its command's base name), %u (the user) and %% (a %), replaced when the
 *     job starts. mem in bytes, cpus per task and tasks whole numbers, each
 *     optional: see resources.h. "array" makes one job per task id of the
 *     spec (array.h), stored together (all or none); %A (the array's id)
 *     and %a (the task id) in stdout/stderr are for arrays only; the answer
 *     then has "array_job_id", "tasks" (the count) and "jobs" (the
 *     elements' ids, in task order) besides "job" (the first's).
 *     "depends" is Slurm's --dependency text (depend.h), "begin" the time it
 *     may start, seconds since the epoch)
 *   {"op":"list","states":["RUNNING","QUEUED"],"user":"alice","all":true,
 *    "last":10,"since":1795338781}
 *     (every job not over yet, newest first, then those that ended last: the
 *     `last` that ended last, those that ended at or after `since`, seconds
 *     since the epoch; without either every one; answers "jobs", "total"
 *     (how many match without last/since) and "truncated")
 *   {"op":"history","states":["FAILED"],"user":"alice","all":true,
 *    "since":1795338781,"until":1795425181,"limit":100,"after":[END,ID]}
 *     (`corral history`: the jobs that ended in [since, until), seconds since
 *     the epoch, in the order they ended, each with its "usage"; answers
 *     "jobs" and, when more follow, "next": the [END,ID] cursor to send as
 *     "after" for the next page (END in microseconds))
 *   {"op":"show"|"cancel"|"hold"|"release","job":42}
 *     (cancel of an array's id cancels every element not over yet; with
 *     "task":3 only the element of array 42 with that task id)
 *   {"op":"cancel","jobs":[3,[5,9],12],"user":"alice","states":["QUEUED"]}
 *     (bulk cancel: ids and [FROM,TO] ranges, at most API_MAX_CANCEL ids in
 *     all, an array's id standing for its elements not over yet; "user"
 *     and "states" filter them, or without "jobs" select the user's
 *     (default: the caller's) jobs not over yet; answers "jobs":
 *     [{"job":ID,"result":R,"state":S}] with R cancelled, cancel_requested,
 *     not_found, already_final or skipped (not matching the filters),
 *     "cancelled" and "failed" counts, and "truncated" when a selection by
 *     filters matched more than one answer holds, or the elements of the
 *     arrays named (each entry with "array_job_id") do not all fit in one
 *     answer: they are cancelled all the same)
 *   {"op":"logs","job":42,"stream":"stdout","follow":true,"offset":0}
 *     (a JSON header {"ok":true,"offset":O,"bytes":B,"eof":E,"state":S},
 *     then, when B > 0, one message of B raw bytes; with follow, more
 *     pairs as the job writes, pushed (inotify), until "eof":true)
 *   {"op":"wait","job":42,"output":true}
 *     (a subscription: the job's state changes, with "output" its stdout
 *     and stderr as it writes them, then its end; the messages and their
 *     bounds are in stream.h; one audit row for the whole wait)
 *   {"op":"drain"|"resume"|"policies"|"version"}
 *
 * Responses: {"ok":true,...} or {"ok":false,"error":"what","code":"CODE"}
 * with CODE one of invalid, denied, not_found, conflict, limit, internal. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define API_MAX_MESSAGE ((size_t) 64 * 1024)
#define API_MAX_ARGV 1024
#define API_MAX_ENV 512
#define API_MAX_ARG 16384
/* The job's environment in all ("K=V" bytes): a login environment is 2-6 KiB,
 * one with many environment modules or a conda stack 10-25 KiB; the limit
 * keeps `show` of any job one answer (API_MAX_MESSAGE). */
#define API_MAX_ENV_BYTES ((size_t) 32 * 1024)
#define API_MAX_JOB_NAME 128
#define API_MAX_TIME UINT64_C(253402300799) /* 9999-12-31 23:59:59 UTC, in seconds */
/* jobs one cancel names (ids and the ids of its ranges) or selects: the
 * answer lists each of them and stays one message */
#define API_MAX_CANCEL 1000

typedef enum ApiOp {
        API_SUBMIT,
        API_LIST,
        API_SHOW,
        API_CANCEL,
        API_LOGS,
        API_HOLD,
        API_RELEASE,
        API_DRAIN,
        API_RESUME,
        API_POLICIES,
        API_VERSION,
        API_WAIT,
        API_HISTORY,
        _API_OP_MAX,
        _API_OP_INVALID = -1,
} ApiOp;

typedef struct ApiRequest {
        ApiOp op;
        /* submit */
        char **argv;
        char **env; /* K=V */
        char *cwd;
        char *policy; /* NULL: the node's default policy */
        uint64_t walltime; /* usec; 0: the policy's */
        char *stdout_path, *stderr_path;
        bool hold;
        char **env_explicit; /* names set explicitly (-E); never NULL after a submit parse */
        char *name; /* -J; NULL: none */
        uint64_t mem; /* bytes; 0: the policy's memory */
        uint64_t cpus; /* whole CPUs per task; 0: the policy's cpus */
        uint64_t tasks; /* task slots; 0: one */
        char *array; /* --array SPEC (array.h); NULL: one job */
        char *depends; /* depend.h's canonical text; NULL: none */
        uint64_t begin; /* usec since the epoch; 0: none */
        /* list */
        unsigned states; /* bit mask of 1 << JobState; 0: all */
        char *user;
        bool all;
        uint64_t limit; /* 0: no limit */
        bool has_last; /* only the `last` jobs that ended last */
        uint64_t last;
        uint64_t since; /* usec since the epoch: only jobs that ended since; 0: any time */
        /* history (with states, user, all, since, limit) */
        uint64_t until; /* usec since the epoch: only jobs that ended before; 0: no bound */
        uint64_t after_end; /* the cursor: the end time (usec) and id of the last job of the previous page */
        int64_t after_id;
        /* show, cancel, logs, hold, release */
        int64_t job;
        /* cancel: only the element of array `job` with this task id */
        bool has_task;
        uint64_t task;
        /* logs */
        int stream; /* 0 stdout, 1 stderr */
        bool follow;
        uint64_t offset;
        /* cancel of a selection: ids and ranges (from, to), with user and
         * states as filters; bulk: the answer lists every job */
        bool bulk;
        int64_t (*ranges)[2];
        size_t n_ranges;
        /* wait */
        bool output; /* stream the job's stdout and stderr too */
} ApiRequest;

const char *api_op_to_string(ApiOp op);
ApiOp api_op_from_string(const char *s);

/* Parses one request message. On failure returns -EINVAL (or -E2BIG,
 * -ENOMEM) and, unless NULL, sets *ret_error to a malloc'd message. */
int api_request_parse(const char *buf, size_t len, ApiRequest *ret, char **ret_error);
void api_request_done(ApiRequest *r);

/* {"ok":false,"code":code,"error":message} */
json_t *api_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Serialises a response; fails (-E2BIG) when it exceeds API_MAX_MESSAGE. */
int api_dump(json_t *msg, char **ret, size_t *ret_len);

/* Environment names a job may set: [A-Za-z_][A-Za-z0-9_]*, at most 256. */
bool api_env_name_valid(const char *s);
/* A job name (-J): 1 to API_MAX_JOB_NAME bytes, no '/' and no control
 * characters, not "." or ".." (it may become a path component through %x). */
bool api_job_name_valid(const char *s);
/* Checks the patterns of an output path: every '%' starts %j, %x, %u, %A, %a or %%.
 * Returns 0, or -EINVAL with *ret_bad (if not NULL) pointing at the bad '%'. */
int api_output_pattern_check(const char *path, const char **ret_bad);
/* Replaces the patterns of an output path (checked before): %j with id, %x
 * with name, %u with user, %% with %. The result is a valid absolute path
 * (conf_path_valid()) or -EINVAL. */
int api_output_pattern_expand(const char *path, int64_t id, const char *name, const char *user, char **ret);
/* The same for an array element: %A its array's id, %a its task id
 * (array_job_id 0: not an element, %A is the job's id). */
int api_output_pattern_expand_array(const char *path, int64_t id, const char *name, const char *user,
                                    int64_t array_job_id, uint64_t array_task_id, char **ret);
