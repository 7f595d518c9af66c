/* SPDX-License-Identifier: GPL-2.0-or-later */
/* protocol.c — see protocol.h. Parsing goes field by field through a small
 * table of the fields each operation takes; anything else is refused. */
#include "protocol.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "conf.h"
#include "depend.h"
#include "job.h"
#include "macro.h"
#include "parse.h"
#include "policy.h"
#include "resources.h"
#include "strv.h"

static const char *const op_names[_API_OP_MAX] = {
        [API_SUBMIT] = "submit",   [API_LIST] = "list",         [API_SHOW] = "show",       [API_CANCEL] = "cancel",
        [API_LOGS] = "logs",       [API_HOLD] = "hold",         [API_RELEASE] = "release", [API_DRAIN] = "drain",
        [API_RESUME] = "resume",   [API_POLICIES] = "policies", [API_VERSION] = "version", [API_WAIT] = "wait",
        [API_HISTORY] = "history",
};

/* The fields each operation accepts besides "op". */
static const char *const op_fields[_API_OP_MAX][24] = {
        [API_SUBMIT] = { "argv", "env", "cwd", "policy", "walltime", "stdout", "stderr", "hold",
                         /* environment and output (issue 13, items 1 and 3) */
                         "env_explicit", "name",
                         /* resources (item 2) */
                         "mem", "cpus", "tasks",
                         /* job arrays (item 7) */
                         "array",
                         /* dependencies, --begin (item 7) */
                         "depends", "begin" },
        [API_LIST] = { "states", "user", "all", "limit", "last", "since" },
        [API_SHOW] = { "job" },
        [API_CANCEL] = { "job", "jobs", "user", "states", "task" },
        [API_LOGS] = { "job", "stream", "follow", "offset" },
        [API_HOLD] = { "job" },
        [API_RELEASE] = { "job" },
        [API_WAIT] = { "job", "output" },
        [API_HISTORY] = { "states", "user", "all", "limit", "since", "until", "after" },
};

const char *api_op_to_string(ApiOp op) {
        return op >= 0 && op < _API_OP_MAX ? op_names[op] : NULL;
}

ApiOp api_op_from_string(const char *s) {
        for (int i = 0; i < _API_OP_MAX; i++)
                if (s && strcmp(s, op_names[i]) == 0)
                        return (ApiOp) i;
        return _API_OP_INVALID;
}

bool api_env_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 256 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

bool api_job_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > API_MAX_JOB_NAME || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || iscntrl((unsigned char) s[i]))
                        return false;
        return true;
}

int api_output_pattern_check(const char *path, const char **ret_bad) {
        for (const char *p = strchr(path, '%'); p; p = strchr(p, '%')) {
                if (!p[1] || !strchr("jxuaA%", p[1])) {
                        if (ret_bad)
                                *ret_bad = p;
                        return -EINVAL;
                }
                p += 2;
        }
        return 0;
}

int api_output_pattern_expand(const char *path, int64_t id, const char *name, const char *user, char **ret) {
        return api_output_pattern_expand_array(path, id, name, user, 0, 0, ret);
}

int api_output_pattern_expand_array(const char *path, int64_t id, const char *name, const char *user,
                                    int64_t array_job_id, uint64_t array_task_id, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (api_output_pattern_check(path, NULL) < 0)
                return -EINVAL;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        for (const char *p = path; *p; p++) {
                if (*p != '%') {
                        fputc(*p, f);
                        continue;
                }
                switch (*++p) {
                case 'j':
                        fprintf(f, "%lld", (long long) id);
                        break;
                case 'x':
                        fputs(name, f);
                        break;
                case 'u':
                        fputs(user, f);
                        break;
                case 'A':
                        fprintf(f, "%lld", (long long) (array_job_id > 0 ? array_job_id : id));
                        break;
                case 'a':
                        fprintf(f, "%llu", (unsigned long long) array_task_id);
                        break;
                default:
                        fputc('%', f);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        if (!conf_path_valid(buf)) {
                free(buf);
                return -EINVAL;
        }
        *ret = buf;
        return 0;
}

void api_request_done(ApiRequest *r) {
        if (!r)
                return;
        strv_free(r->argv);
        strv_free(r->env);
        free(r->cwd);
        free(r->policy);
        free(r->stdout_path);
        free(r->stderr_path);
        strv_free(r->env_explicit);
        free(r->name);
        free(r->array);
        free(r->user);
        free(r->depends);
        free(r->ranges);
        *r = (ApiRequest){ .op = _API_OP_INVALID };
}

static int fail(char **ret_error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static int get_string(json_t *o, const char *field, size_t max, char **ret, char **ret_error) {
        json_t *v = json_object_get(o, field);
        if (!v)
                return 0;
        if (!json_is_string(v))
                return fail(ret_error, "field '%s' must be a string", field);
        if (json_string_length(v) > max)
                return fail(ret_error, "field '%s' is too long (limit %zu)", field, max);
        *ret = strdup(json_string_value(v));
        return *ret ? 1 : -ENOMEM;
}

static int get_bool(json_t *o, const char *field, bool *ret, char **ret_error) {
        json_t *v = json_object_get(o, field);
        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return fail(ret_error, "field '%s' must be true or false", field);
        *ret = json_is_true(v);
        return 1;
}

static int get_uint(json_t *o, const char *field, uint64_t max, uint64_t *ret, char **ret_error) {
        json_t *v = json_object_get(o, field);
        if (!v)
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t) json_integer_value(v) > max)
                return fail(ret_error, "field '%s' must be a whole number from 0 to %llu", field,
                            (unsigned long long) max);
        *ret = (uint64_t) json_integer_value(v);
        return 1;
}

static int parse_path_field(json_t *o, const char *field, char **ret, char **ret_error) {
        int r = get_string(o, field, 4095, ret, ret_error);
        if (r > 0 && !conf_path_valid(*ret))
                return fail(ret_error, "field '%s' must be an absolute path without '.' or '..' components", field);
        return r;
}

/* stdout, stderr: an absolute path with %j, %x, %u, %% patterns */
static int parse_output_field(json_t *o, const char *field, char **ret, char **ret_error) {
        const char *bad = NULL;
        int r = parse_path_field(o, field, ret, ret_error);
        if (r > 0 && api_output_pattern_check(*ret, &bad) < 0)
                return fail(ret_error,
                            "field '%s': unknown pattern '%.2s' (%%j the job id, %%x its name, %%u the user, %%A the "
                            "array's id, %%a the array task id, %%%% a percent sign)",
                            field, bad);
        return r;
}

/* env_explicit and name: the environment and output of issue 13 */
static int parse_submit_env_name(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *ex = json_object_get(o, "env_explicit");
        size_t i, bytes = 0;
        json_t *v;
        int r;

        for (char **e = req->env; e && *e; e++)
                bytes += strlen(*e);
        if (bytes > API_MAX_ENV_BYTES)
                return fail(ret_error, "field 'env' has %zu variables of %zu bytes in all (limit %zu bytes)",
                            strv_length(req->env), bytes, API_MAX_ENV_BYTES);
        req->env_explicit = calloc(1, sizeof(char *));
        if (!req->env_explicit)
                return -ENOMEM;
        if (ex) {
                if (!json_is_array(ex))
                        return fail(ret_error, "field 'env_explicit' must be an array of variable names");
                if (json_array_size(ex) > API_MAX_ENV)
                        return fail(ret_error, "field 'env_explicit' has too many names (limit %d)", API_MAX_ENV);
                json_array_foreach(ex, i, v) {
                        if (!json_is_string(v) || !api_env_name_valid(json_string_value(v)))
                                return fail(ret_error, "env_explicit[%zu] is not a variable name", i);
                        if (strv_extend(&req->env_explicit, json_string_value(v)) < 0)
                                return -ENOMEM;
                }
        }
        r = get_string(o, "name", API_MAX_JOB_NAME, &req->name, ret_error);
        if (r < 0)
                return r;
        if (r > 0 && !api_job_name_valid(req->name))
                return fail(ret_error,
                            "invalid job name '%.64s': 1 to %d characters, no '/' or control characters, not '.' "
                            "or '..'",
                            req->name, API_MAX_JOB_NAME);
        return 0;
}

/* submit's resources (resources.h): whole numbers; 0 or absent: not asked */
static int parse_resources(json_t *o, ApiRequest *req, char **ret_error) {
        int r = get_uint(o, "mem", (uint64_t) INT64_MAX, &req->mem, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "cpus", RES_MAX_CPUS, &req->cpus, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "tasks", RES_MAX_TASKS, &req->tasks, ret_error);
        return r < 0 ? r : 0;
}

/* Whether an output path names an array element (%a, %A). */
static bool output_names_array(const char *path) {
        for (const char *p = path ? strchr(path, '%') : NULL; p && p[1]; p = strchr(p + 2, '%'))
                if (p[1] == 'a' || p[1] == 'A')
                        return true;
        return false;
}

/* "array": the spec (array.h), parsed by corrald against the node's
 * max_array_size; %a and %A only in the output of an array */
static int parse_submit_array(json_t *o, ApiRequest *req, char **ret_error) {
        int r = get_string(o, "array", ARRAY_MAX_SPEC, &req->array, ret_error);
        if (r < 0)
                return r;
        if (r == 0 && (output_names_array(req->stdout_path) || output_names_array(req->stderr_path)))
                return fail(ret_error, "%%a and %%A in an output path name an array element: use them with --array "
                                       "(or %%j, the job id)");
        return 0;
}

/* submit's dependencies (stored in their canonical text) and --begin */
static int parse_depends(json_t *o, ApiRequest *req, char **ret_error) {
        _cleanup_free_ char *spec = NULL;
        DepList l = { .n = 0 };
        const char *bad = NULL;
        int r = get_string(o, "depends", 4096, &spec, ret_error);
        if (r < 0)
                return r;
        if (r > 0) {
                r = dep_parse(spec, &l, &bad);
                if (r == -E2BIG)
                        return fail(ret_error, "field 'depends' names more than %d dependencies", DEP_MAX);
                if (r < 0)
                        return fail(ret_error,
                                    "field 'depends': cannot parse '%.32s' (TYPE:ID[:ID...][,TYPE:ID...], TYPE "
                                    "after, afterok or afterany)",
                                    bad ? bad : spec);
                r = dep_format(&l, &req->depends);
                if (r < 0)
                        return r;
        }
        r = get_uint(o, "begin", API_MAX_TIME, &req->begin, ret_error);
        if (r < 0)
                return r;
        req->begin *= USEC_PER_SEC;
        return 0;
}

static int parse_submit(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *argv = json_object_get(o, "argv"), *env = json_object_get(o, "env"), *wt;
        size_t i;
        int r;

        if (!argv)
                return fail(ret_error, "submit needs 'argv', the command and its arguments");
        if (!json_is_array(argv) || json_array_size(argv) == 0)
                return fail(ret_error, "field 'argv' must be a non-empty array of strings");
        if (json_array_size(argv) > API_MAX_ARGV)
                return fail(ret_error, "field 'argv' has too many items (limit %d)", API_MAX_ARGV);
        req->argv = calloc(json_array_size(argv) + 1, sizeof(char *));
        if (!req->argv)
                return -ENOMEM;
        for (i = 0; i < json_array_size(argv); i++) {
                json_t *a = json_array_get(argv, i);
                if (!json_is_string(a))
                        return fail(ret_error, "argv[%zu] must be a string", i);
                if (json_string_length(a) > API_MAX_ARG)
                        return fail(ret_error, "argv[%zu] is too long (limit %d)", i, API_MAX_ARG);
                if (i == 0 && json_string_length(a) == 0)
                        return fail(ret_error, "argv[0], the command, is empty");
                req->argv[i] = strdup(json_string_value(a));
                if (!req->argv[i])
                        return -ENOMEM;
        }

        req->env = calloc(1, sizeof(char *));
        if (!req->env)
                return -ENOMEM;
        if (env) {
                const char *k;
                json_t *v;
                if (!json_is_object(env))
                        return fail(ret_error, "field 'env' must be an object of strings");
                if (json_object_size(env) > API_MAX_ENV)
                        return fail(ret_error, "field 'env' has too many variables (limit %d)", API_MAX_ENV);
                json_object_foreach(env, k, v) {
                        char *kv;
                        if (!api_env_name_valid(k))
                                return fail(ret_error, "invalid environment variable name '%.64s'", k);
                        if (!json_is_string(v))
                                return fail(ret_error, "env.%s must be a string", k);
                        if (json_string_length(v) > API_MAX_ARG)
                                return fail(ret_error, "env.%s is too long (limit %d)", k, API_MAX_ARG);
                        if (asprintf(&kv, "%s=%s", k, json_string_value(v)) < 0)
                                return -ENOMEM;
                        if (strv_consume(&req->env, kv) < 0)
                                return -ENOMEM;
                }
        }
        r = parse_path_field(o, "cwd", &req->cwd, ret_error);
        if (r < 0)
                return r;
        if (r == 0)
                return fail(ret_error, "submit needs 'cwd', an absolute directory");
        r = get_string(o, "policy", 64, &req->policy, ret_error);
        if (r < 0)
                return r;
        if (r > 0 && !policy_name_valid(req->policy))
                return fail(ret_error, "invalid policy name '%s'", req->policy);
        wt = json_object_get(o, "walltime");
        if (wt) {
                if (json_is_integer(wt)) {
                        json_int_t s = json_integer_value(wt);
                        if (s <= 0 || s > 100LL * 365 * 86400)
                                return fail(ret_error, "field 'walltime' in seconds must be positive");
                        req->walltime = (uint64_t) s * USEC_PER_SEC;
                } else if (json_is_string(wt)) {
                        if (parse_duration(json_string_value(wt), &req->walltime) < 0 || req->walltime == 0 ||
                            req->walltime == USEC_INFINITY)
                                return fail(ret_error, "field 'walltime' must be a duration such as 30m or 2h");
                } else
                        return fail(ret_error, "field 'walltime' must be a duration string or seconds");
        }
        r = parse_output_field(o, "stdout", &req->stdout_path, ret_error);
        if (r < 0)
                return r;
        r = parse_output_field(o, "stderr", &req->stderr_path, ret_error);
        if (r < 0)
                return r;
        r = parse_submit_env_name(o, req, ret_error);
        if (r < 0)
                return r;
        r = get_bool(o, "hold", &req->hold, ret_error);
        if (r < 0)
                return r;
        r = parse_submit_array(o, req, ret_error);
        if (r < 0)
                return r;
        r = parse_resources(o, req, ret_error);
        if (r < 0)
                return r;
        return parse_depends(o, req, ret_error);
}

static int parse_job(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *v = json_object_get(o, "job");
        if (!v)
                return fail(ret_error, "%s needs 'job', a job id", api_op_to_string(req->op));
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
                return fail(ret_error, "field 'job' must be a positive job id");
        req->job = json_integer_value(v);
        return 0;
}

static int parse_list_req(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *st = json_object_get(o, "states");
        int r;
        if (st) {
                size_t i;
                json_t *v;
                if (!json_is_array(st))
                        return fail(ret_error, "field 'states' must be an array of state names");
                json_array_foreach(st, i, v) {
                        JobState s =
                                json_is_string(v) ? job_state_from_string(json_string_value(v)) : _JOB_STATE_INVALID;
                        if (s == _JOB_STATE_INVALID)
                                return fail(ret_error, "states[%zu] is not a job state", i);
                        req->states |= 1u << s;
                }
        }
        r = get_string(o, "user", 64, &req->user, ret_error);
        if (r < 0)
                return r;
        if (r > 0 && !conf_name_valid(req->user))
                return fail(ret_error, "invalid user name");
        r = get_bool(o, "all", &req->all, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "limit", 1000000, &req->limit, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "last", 1000000, &req->last, ret_error);
        if (r < 0)
                return r;
        req->has_last = r > 0;
        r = get_uint(o, "since", API_MAX_TIME, &req->since, ret_error);
        if (r < 0)
                return r;
        req->since *= USEC_PER_SEC;
        return 0;
}

static int parse_history(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *after = json_object_get(o, "after");
        int r;

        /* states, user, all, limit and since as list takes them (op_fields
         * keeps "last" out) */
        r = parse_list_req(o, req, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "until", API_MAX_TIME, &req->until, ret_error);
        if (r < 0)
                return r;
        req->until *= USEC_PER_SEC;
        if (after) {
                json_t *e = json_array_get(after, 0), *id = json_array_get(after, 1);
                if (!json_is_array(after) || json_array_size(after) != 2 || !json_is_integer(e) ||
                    !json_is_integer(id) || json_integer_value(e) < 0 || json_integer_value(id) < 0)
                        return fail(ret_error, "field 'after' must be the [END,ID] cursor of a previous answer");
                req->after_end = (uint64_t) json_integer_value(e);
                req->after_id = json_integer_value(id);
        }
        return 0;
}

/* cancel: one "job", or a selection (bulk) of "jobs" (ids and [FROM,TO]
 * ranges) filtered by "user" and "states" */
static int parse_cancel(json_t *o, ApiRequest *req, char **ret_error) {
        json_t *jobs = json_object_get(o, "jobs"), *v;
        uint64_t total = 0;
        size_t i;
        int r;

        if (!jobs && !json_object_get(o, "user") && !json_object_get(o, "states")) {
                r = parse_job(o, req, ret_error);
                if (r >= 0 && json_object_get(o, "task")) {
                        /* one element of an array: its array's id and its task id (12_3) */
                        r = get_uint(o, "task", ARRAY_MAX_TASK_ID, &req->task, ret_error);
                        req->has_task = r >= 0;
                }
                return r < 0 ? r : 0;
        }
        if (json_object_get(o, "job"))
                return fail(ret_error, "cancel takes 'job' or a selection ('jobs', 'user', 'states'), not both");
        if (json_object_get(o, "task"))
                return fail(ret_error, "field 'task' selects one element of the array 'job' names: "
                                       "send it with 'job', not with a selection");
        req->bulk = true;
        if (jobs) {
                if (!json_is_array(jobs) || json_array_size(jobs) == 0)
                        return fail(ret_error, "field 'jobs' must be a non-empty array of ids and [FROM,TO] ranges");
                if (json_array_size(jobs) > API_MAX_CANCEL)
                        return fail(ret_error, "field 'jobs' names more than %d jobs", API_MAX_CANCEL);
                req->ranges = calloc(json_array_size(jobs), sizeof *req->ranges);
                if (!req->ranges)
                        return -ENOMEM;
                json_array_foreach(jobs, i, v) {
                        json_t *a = json_is_array(v) ? json_array_get(v, 0) : v;
                        json_t *b = json_is_array(v) ? json_array_get(v, 1) : v;
                        if ((json_is_array(v) && json_array_size(v) != 2) || !json_is_integer(a) ||
                            !json_is_integer(b) || json_integer_value(a) <= 0 ||
                            json_integer_value(b) < json_integer_value(a))
                                return fail(ret_error,
                                            "jobs[%zu] must be a positive job id or a [FROM,TO] range with FROM <= TO",
                                            i);
                        total += (uint64_t) (json_integer_value(b) - json_integer_value(a)) + 1;
                        if (total > API_MAX_CANCEL)
                                return fail(ret_error, "the selection names more than %d jobs", API_MAX_CANCEL);
                        req->ranges[i][0] = json_integer_value(a);
                        req->ranges[i][1] = json_integer_value(b);
                }
                req->n_ranges = json_array_size(jobs);
        }
        /* user and states as list takes them (op_fields keeps the rest out) */
        r = parse_list_req(o, req, ret_error);
        return r < 0 ? r : 0;
}

static int parse_logs(json_t *o, ApiRequest *req, char **ret_error) {
        _cleanup_free_ char *stream = NULL;
        int r = parse_job(o, req, ret_error);
        if (r < 0)
                return r;
        r = get_string(o, "stream", 16, &stream, ret_error);
        if (r < 0)
                return r;
        if (r > 0) {
                if (streq(stream, "stdout"))
                        req->stream = 0;
                else if (streq(stream, "stderr"))
                        req->stream = 1;
                else
                        return fail(ret_error, "field 'stream' must be \"stdout\" or \"stderr\"");
        }
        r = get_bool(o, "follow", &req->follow, ret_error);
        if (r < 0)
                return r;
        r = get_uint(o, "offset", INT64_MAX, &req->offset, ret_error);
        return r < 0 ? r : 0;
}

static int parse_wait(json_t *o, ApiRequest *req, char **ret_error) {
        int r = parse_job(o, req, ret_error);
        if (r < 0)
                return r;
        r = get_bool(o, "output", &req->output, ret_error);
        return r < 0 ? r : 0;
}

int api_request_parse(const char *buf, size_t len, ApiRequest *ret, char **ret_error) {
        ApiRequest req = { .op = _API_OP_INVALID };
        json_error_t jerr;
        json_t *o, *opv;
        const char *k;
        json_t *v;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (len > API_MAX_MESSAGE) {
                fail(ret_error, "request too large (%zu bytes, limit %zu)", len, API_MAX_MESSAGE);
                return -E2BIG;
        }
        o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!o)
                return fail(ret_error, "malformed JSON at position %d: %s", jerr.position, jerr.text);
        if (!json_is_object(o)) {
                json_decref(o);
                return fail(ret_error, "a request must be a JSON object");
        }
        opv = json_object_get(o, "op");
        if (!opv || !json_is_string(opv)) {
                json_decref(o);
                return fail(ret_error, "a request needs 'op', the operation");
        }
        req.op = api_op_from_string(json_string_value(opv));
        if (req.op == _API_OP_INVALID) {
                r = fail(ret_error, "unknown operation '%.32s'", json_string_value(opv));
                json_decref(o);
                return r;
        }
        json_object_foreach(o, k, v) {
                bool known = streq(k, "op");
                for (size_t i = 0; !known && i < ELEMENTSOF(op_fields[req.op]) && op_fields[req.op][i]; i++)
                        known = streq(k, op_fields[req.op][i]);
                if (!known) {
                        r = fail(ret_error, "unknown field '%.64s' for %s", k, api_op_to_string(req.op));
                        json_decref(o);
                        return r;
                }
        }
        switch (req.op) {
        case API_SUBMIT:
                r = parse_submit(o, &req, ret_error);
                break;
        case API_LIST:
                r = parse_list_req(o, &req, ret_error);
                break;
        case API_HISTORY:
                r = parse_history(o, &req, ret_error);
                break;
        case API_CANCEL:
                r = parse_cancel(o, &req, ret_error);
                break;
        case API_SHOW:
        case API_HOLD:
        case API_RELEASE:
                r = parse_job(o, &req, ret_error);
                break;
        case API_LOGS:
                r = parse_logs(o, &req, ret_error);
                break;
        case API_WAIT:
                r = parse_wait(o, &req, ret_error);
                break;
        default:
                r = 0;
        }
        json_decref(o);
        if (r < 0) {
                api_request_done(&req);
                return r;
        }
        *ret = req;
        return 0;
}

json_t *api_error(const char *code, const char *fmt, ...) {
        char *msg = NULL;
        va_list ap;
        json_t *o;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        o = json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg ? msg : "out of memory");
        free(msg);
        return o;
}

int api_dump(json_t *msg, char **ret, size_t *ret_len) {
        char *s = json_dumps(msg, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        if (n > API_MAX_MESSAGE) {
                free(s);
                return -E2BIG;
        }
        *ret = s;
        *ret_len = n;
        return 0;
}
