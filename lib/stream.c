/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stream.c — see stream.h. */
#include "stream.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "protocol.h"

json_t *api_event_state(int64_t job, JobState state, const char *stdout_path, const char *stderr_path) {
        json_t *o = json_pack("{s:b, s:s, s:I, s:s}", "ok", 1, "event", "state", "job", (json_int_t) job, "state",
                              job_state_to_string(state));
        if (o && stdout_path)
                json_object_set_new(o, "stdout", json_string(stdout_path));
        if (o && stderr_path)
                json_object_set_new(o, "stderr", json_string(stderr_path));
        return o;
}

json_t *api_event_output(int stream, uint64_t offset, size_t bytes) {
        return json_pack("{s:b, s:s, s:s, s:I, s:I}", "ok", 1, "event", "output", "stream",
                         stream ? "stderr" : "stdout", "offset", (json_int_t) offset, "bytes", (json_int_t) bytes);
}

json_t *api_event_end(json_t *job_info) {
        return json_pack("{s:b, s:s, s:O}", "ok", 1, "event", "end", "job", job_info);
}

void api_event_done(ApiEvent *e) {
        if (!e)
                return;
        free(e->stdout_path);
        free(e->stderr_path);
        free(e->pending_reason);
        free(e->dependency);
        free(e->code);
        free(e->error);
        json_decref(e->job_info);
        *e = (ApiEvent){ .type = _API_EVENT_INVALID };
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

/* an optional string field: 0 absent, 1 copied */
static int opt_string(json_t *o, const char *field, char **ret, char **ret_error) {
        json_t *v = json_object_get(o, field);
        if (!v)
                return 0;
        if (!json_is_string(v))
                return fail(ret_error, "field '%s' must be a string", field);
        *ret = strdup(json_string_value(v));
        return *ret ? 1 : -ENOMEM;
}

static int get_state(json_t *v, JobState *ret, char **ret_error) {
        JobState s = json_is_string(v) ? job_state_from_string(json_string_value(v)) : _JOB_STATE_INVALID;
        if (s == _JOB_STATE_INVALID)
                return fail(ret_error, "field 'state' must be a job state");
        *ret = s;
        return 0;
}

static int parse_event(json_t *o, ApiEvent *e, char **ret_error) {
        json_t *ok = json_object_get(o, "ok"), *ev, *v;
        const char *name;
        int r;

        if (!json_is_boolean(ok))
                return fail(ret_error, "a message needs 'ok', true or false");
        if (!json_is_true(ok)) {
                e->type = API_EVENT_ERROR;
                r = opt_string(o, "code", &e->code, ret_error);
                if (r < 0)
                        return r;
                r = opt_string(o, "error", &e->error, ret_error);
                if (r < 0)
                        return r;
                if (!e->error)
                        return fail(ret_error, "a refusal needs 'error', the reason");
                return 0;
        }
        ev = json_object_get(o, "event");
        name = json_string_value(ev);
        if (!name)
                return fail(ret_error, "a message needs 'event', a string");
        if (streq(name, "state")) {
                e->type = API_EVENT_STATE;
                v = json_object_get(o, "job");
                if (!json_is_integer(v) || json_integer_value(v) <= 0)
                        return fail(ret_error, "field 'job' must be a positive job id");
                e->job = json_integer_value(v);
                r = get_state(json_object_get(o, "state"), &e->state, ret_error);
                if (r < 0)
                        return r;
                r = opt_string(o, "stdout", &e->stdout_path, ret_error);
                if (r < 0)
                        return r;
                r = opt_string(o, "stderr", &e->stderr_path, ret_error);
                if (r < 0)
                        return r;
                r = opt_string(o, "pending_reason", &e->pending_reason, ret_error);
                if (r < 0)
                        return r;
                r = opt_string(o, "dependency", &e->dependency, ret_error);
                return r < 0 ? r : 0;
        }
        if (streq(name, "output")) {
                const char *s = json_string_value(json_object_get(o, "stream"));
                e->type = API_EVENT_OUTPUT;
                if (!s || !(streq(s, "stdout") || streq(s, "stderr")))
                        return fail(ret_error, "field 'stream' must be \"stdout\" or \"stderr\"");
                e->stream = streq(s, "stderr");
                v = json_object_get(o, "offset");
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                        return fail(ret_error, "field 'offset' must be a whole number");
                e->offset = (uint64_t) json_integer_value(v);
                v = json_object_get(o, "bytes");
                if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
                    (uint64_t) json_integer_value(v) > API_STREAM_CHUNK)
                        return fail(ret_error, "field 'bytes' must be from 1 to %zu", API_STREAM_CHUNK);
                e->bytes = (size_t) json_integer_value(v);
                return 0;
        }
        if (streq(name, "end")) {
                e->type = API_EVENT_END;
                v = json_object_get(o, "job");
                if (!json_is_object(v))
                        return fail(ret_error, "field 'job' of an end event must be an object");
                r = get_state(json_object_get(v, "state"), &e->state, ret_error);
                if (r < 0)
                        return r;
                if (!job_state_is_final(e->state))
                        return fail(ret_error, "an end event names a job that has not ended");
                e->job_info = json_incref(v);
                return 0;
        }
        return fail(ret_error, "unknown event '%.32s'", name);
}

int api_event_parse(const char *buf, size_t len, ApiEvent *ret, char **ret_error) {
        ApiEvent e = { .type = _API_EVENT_INVALID };
        json_error_t jerr;
        json_t *o;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (len > API_MAX_MESSAGE) {
                fail(ret_error, "message too large (%zu bytes, limit %zu)", len, API_MAX_MESSAGE);
                return -E2BIG;
        }
        o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!o)
                return fail(ret_error, "malformed JSON at position %d: %s", jerr.position, jerr.text);
        if (!json_is_object(o))
                r = fail(ret_error, "a message must be a JSON object");
        else
                r = parse_event(o, &e, ret_error);
        json_decref(o);
        if (r < 0) {
                api_event_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}
