/* SPDX-License-Identifier: GPL-2.0-or-later */
/* job.h — the job model shared by corrald, the CLI and the store: states,
 * their names, and which transitions are allowed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum JobState {
        JOB_QUEUED,
        JOB_HELD,
        JOB_STARTING,
        JOB_RUNNING,
        JOB_COMPLETED,
        JOB_FAILED,
        JOB_CANCELLED,
        JOB_TIMEOUT,
        JOB_OUT_OF_MEMORY,
        JOB_LOST,
        _JOB_STATE_MAX,
        _JOB_STATE_INVALID = -1,
} JobState;

const char *job_state_to_string(JobState s);
JobState job_state_from_string(const char *s);
/* COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, LOST */
bool job_state_is_final(JobState s);
/* whether the job's spool directory is complete: corrald's helper builds it
 * root-only while the job is STARTING, so before RUNNING it may be there
 * and unreadable to the core */
bool job_state_has_output(JobState s);
/* STARTING, RUNNING: a launcher exists */
bool job_state_is_active(JobState s);

#define JOB_OUTPUT_ID_LEN 32 /* 128 random bits as hex */
/* Fills buf (JOB_OUTPUT_ID_LEN + 1 bytes) from getrandom(). */
int job_output_id_new(char *buf);
bool job_output_id_valid(const char *s);
