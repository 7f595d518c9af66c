/* SPDX-License-Identifier: GPL-2.0-or-later */
/* result.c — step 10: what happened, as a state and a JSON record.
 *
 * State, first match wins:
 *   setup failed before exec (or exec failed)  FAILED
 *   corral-launch was told to stop (signal)    CANCELLED
 *   walltime passed                            TIMEOUT
 *   the OOM killer killed something and the
 *   job did not exit 0                         OUT_OF_MEMORY
 *   exit 0                                     COMPLETED
 *   anything else                              FAILED
 *
 * The record is one JSON object on one line:
 *   {"job_id":..., "state":"COMPLETED", "exit":"0:0", "status":0, ...,
 *    "usage":{"memory_peak_bytes":..., "cpu_user_usec":..., "cpu_system_usec":...,
 *             "oom_kills":...}, "timings":{...}}
 * Values that could not be measured are null. */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

static const char *const state_names[_JOB_STATE_MAX] = {
        [JOB_COMPLETED] = "COMPLETED",         [JOB_FAILED] = "FAILED",       [JOB_TIMEOUT] = "TIMEOUT",
        [JOB_OUT_OF_MEMORY] = "OUT_OF_MEMORY", [JOB_CANCELLED] = "CANCELLED",
};

static const struct {
        const char *name;
        int code;
} steps[_STEP_MAX] = {
        [STEP_NONE] = { "none", 0 },
        [STEP_USAGE] = { "usage", EXIT_USAGE },
        [STEP_POLICY] = { "policy", EXIT_POLICY },
        [STEP_USER] = { "user", EXIT_USER },
        [STEP_CGROUP] = { "cgroup", EXIT_CGROUP },
        [STEP_NAMESPACES] = { "namespaces", EXIT_NAMESPACES },
        [STEP_MOUNTS] = { "mounts", EXIT_MOUNTS },
        [STEP_CREDENTIALS] = { "credentials", EXIT_CREDENTIALS },
        [STEP_SECCOMP] = { "seccomp", EXIT_SECCOMP },
        [STEP_LANDLOCK] = { "landlock", EXIT_LANDLOCK },
        [STEP_EXEC_SETUP] = { "exec-setup", EXIT_EXEC_SETUP },
        [STEP_EXEC] = { "exec", EXIT_CANNOT_EXEC },
        [STEP_RESULT] = { "result", EXIT_RESULT },
        [STEP_INTERNAL] = { "internal", EXIT_INTERNAL },
};

const char *step_name(Step s) {
        return s >= 0 && s < _STEP_MAX ? steps[s].name : "internal";
}

int child_error(ChildError *err, int step, int r, const char *fmt, ...) {
        va_list ap;
        errno = -r; /* for %m */
        va_start(ap, fmt);
        (void) vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->step = step;
        err->error = -r;
        return r;
}

int step_exit_code(Step s) {
        return s > 0 && s < _STEP_MAX ? steps[s].code : EXIT_INTERNAL;
}

const char *job_state_name(JobState s) {
        return s >= 0 && s < _JOB_STATE_MAX ? state_names[s] : "FAILED";
}

JobState job_state_classify(bool timed_out, bool cancelled, uint64_t oom_kills, int wait_status, bool failed_setup) {
        bool success = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;

        if (failed_setup)
                return JOB_FAILED;
        if (cancelled)
                return JOB_CANCELLED;
        if (timed_out)
                return JOB_TIMEOUT;
        if (oom_kills != CGROUP_USAGE_UNKNOWN && oom_kills > 0 && !success)
                return JOB_OUT_OF_MEMORY;
        return success ? JOB_COMPLETED : JOB_FAILED;
}

static json_t *u64_or_null(uint64_t v) {
        return v == CGROUP_USAGE_UNKNOWN ? json_null() : json_integer((json_int_t) v);
}

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

int result_write(int fd, const JobResult *r) {
        json_t *o, *argv, *warnings;
        char exit_str[32];
        char *text;
        size_t len, off = 0;
        int ret = 0;

        (void) snprintf(exit_str, sizeof exit_str, "%d:%d", r->exit_code, r->signal);
        argv = json_array();
        for (char **a = r->argv; a && *a; a++)
                json_array_append_new(argv, json_string(*a));
        warnings = json_array();
        for (char **w = r->warnings; w && *w; w++)
                json_array_append_new(warnings, json_string(*w));
        o = json_pack("{s:o, s:o, s:o, s:I, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}, "
                      "s:{s:I, s:I, s:I, s:o}, s:o, s:o}",
                      "job_id", str_or_null(r->job_id), "policy", str_or_null(r->policy), "user", str_or_null(r->user),
                      "uid", (json_int_t) r->uid, "state", job_state_name(r->state), "exit", exit_str, "status",
                      r->status, "failed_step",
                      r->failed_step == STEP_NONE ? json_null() : json_string(step_name(r->failed_step)), "message",
                      str_or_null(r->message), "cgroup", str_or_null(r->cgroup), "pid",
                      r->pid > 0 ? json_integer(r->pid) : json_null(), "usage", "memory_peak_bytes",
                      u64_or_null(r->usage.memory_peak), "cpu_user_usec", u64_or_null(r->usage.cpu_user_usec),
                      "cpu_system_usec", u64_or_null(r->usage.cpu_system_usec), "oom_kills",
                      u64_or_null(r->usage.oom_kills), "timings", "start_usec", (json_int_t) r->start_realtime_usec,
                      "end_usec", (json_int_t) r->end_realtime_usec, "elapsed_usec", (json_int_t) r->elapsed_usec,
                      "walltime_usec", u64_or_null(r->walltime_usec), "argv", argv, "warnings", warnings);
        if (!o)
                return -ENOMEM;
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        while (off < len) {
                ssize_t n = write(fd, text + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        ret = negative_errno();
                        break;
                }
                off += (size_t) n;
        }
        if (ret == 0 && write(fd, "\n", 1) != 1)
                ret = negative_errno();
        free(text);
        return ret;
}
