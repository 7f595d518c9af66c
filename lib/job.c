/* SPDX-License-Identifier: GPL-2.0-or-later */
/* job.c — see job.h. */
#include "job.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"

static const char *const state_names[_JOB_STATE_MAX] = {
        [JOB_QUEUED] = "QUEUED",       [JOB_HELD] = "HELD",           [JOB_STARTING] = "STARTING",
        [JOB_RUNNING] = "RUNNING",     [JOB_COMPLETED] = "COMPLETED", [JOB_FAILED] = "FAILED",
        [JOB_CANCELLED] = "CANCELLED", [JOB_TIMEOUT] = "TIMEOUT",     [JOB_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
        [JOB_LOST] = "LOST",
};

const char *job_state_to_string(JobState s) {
        if (s < 0 || s >= _JOB_STATE_MAX)
                return NULL;
        return state_names[s];
}

JobState job_state_from_string(const char *s) {
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                if (s && strcmp(s, state_names[i]) == 0)
                        return (JobState) i;
        return _JOB_STATE_INVALID;
}

bool job_state_is_final(JobState s) {
        return s >= JOB_COMPLETED && s < _JOB_STATE_MAX;
}

bool job_state_has_output(JobState s) {
        return s != JOB_QUEUED && s != JOB_HELD && s != JOB_STARTING;
}

bool job_state_is_active(JobState s) {
        return s == JOB_STARTING || s == JOB_RUNNING;
}

int job_output_id_new(char *buf) {
        uint8_t raw[JOB_OUTPUT_ID_LEN / 2];
        size_t got = 0;
        while (got < sizeof raw) {
                ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t) n;
        }
        for (size_t i = 0; i < sizeof raw; i++)
                snprintf(buf + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

bool job_output_id_valid(const char *s) {
        if (!s || strlen(s) != JOB_OUTPUT_ID_LEN)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}
