/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stream.h — the messages corrald pushes to a client that waits for a job
 * ({"op":"wait"}, protocol.h): building them (the core) and parsing them
 * (the CLI). Pure code (no I/O): unit-tested and fuzzed (fuzz-event).
 *
 * After {"op":"wait","job":N,"output":B} the daemon sends, each its own
 * SOCK_SEQPACKET message, in this order:
 *
 *   {"ok":false,"code":C,"error":E}          refused (then it closes); a job
 *                                            of another user is "not_found"
 *   {"ok":true,"event":"state","job":N,"state":S}
 *                                            first, then after every change
 *                                            of the job's state; the first
 *                                            one names "stdout"/"stderr"
 *                                            paths the job writes elsewhere
 *                                            than its spool (not streamed);
 *                                            a job that waits has its
 *                                            "pending_reason" (and, if it
 *                                            has them, its "dependency",
 *                                            the canonical text), sent
 *                                            again when the reason changes
 *   {"ok":true,"event":"output","stream":"stdout"|"stderr","offset":O,
 *    "bytes":B}                              only with "output":true: the
 *                                            next message is B raw bytes
 *                                            (1 <= B <= API_STREAM_CHUNK) of
 *                                            that stream from offset O
 *   {"ok":true,"event":"end","job":{...}}    last: the job ended and its
 *                                            epilogue ran; "job" is what
 *                                            `show` answers; then it closes
 *
 * The client only reads; closing its end unsubscribes. Bounds: the output
 * is read from the job's spool files when the socket can take it, so a
 * slow reader slows only its own stream (back-pressure: nothing is dropped,
 * the job writes to disk as ever), and the daemon holds at most one chunk
 * per subscriber; sends never block its loop. One audit row per wait. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"

#define API_STREAM_CHUNK ((size_t) 60 * 1024)

typedef enum ApiEventType {
        API_EVENT_ERROR, /* "ok":false */
        API_EVENT_STATE,
        API_EVENT_OUTPUT,
        API_EVENT_END,
        _API_EVENT_MAX,
        _API_EVENT_INVALID = -1,
} ApiEventType;

typedef struct ApiEvent {
        ApiEventType type;
        int64_t job; /* state */
        JobState state; /* state; end: the job's */
        int stream; /* output: 0 stdout, 1 stderr */
        uint64_t offset; /* output */
        size_t bytes; /* output: the size of the raw message that follows */
        char *stdout_path, *stderr_path; /* state: written elsewhere, not streamed */
        char *pending_reason, *dependency; /* state: why a queued or held job waits; its dependencies */
        char *code, *error; /* error */
        json_t *job_info; /* end: the job, as `show` answers it */
} ApiEvent;

json_t *api_event_state(int64_t job, JobState state, const char *stdout_path, const char *stderr_path);
json_t *api_event_output(int stream, uint64_t offset, size_t bytes);
/* takes a reference to job_info */
json_t *api_event_end(json_t *job_info);

/* Parses one message of a wait stream (not the raw data that follows an
 * output event). Unknown fields are ignored (a newer daemon may add some);
 * known ones are checked. On failure returns -EINVAL (-E2BIG, -ENOMEM) and,
 * unless NULL, sets *ret_error to a malloc'd message. */
int api_event_parse(const char *buf, size_t len, ApiEvent *ret, char **ret_error);
void api_event_done(ApiEvent *e);
