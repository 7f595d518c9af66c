/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h — program-level logging. Library code never logs: it returns -errno
 * and the program logs once, at the top (STYLE.md "Errors").
 *
 *   return log_error_errno(r, "Failed to create cgroup %s: %m", path);
 *
 * %m prints strerror(-r). Messages go to stderr prefixed with the program
 * name; after log_open_journal() (corrald under systemd) they go to the
 * journal with structured fields instead (log-journal.c speaks the journal's
 * native protocol itself, on a socket it can reopen after a fork). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
        /* the journal, and the same line on stderr: corral-launch run by
         * corrald, whose stderr is the file the helper reads back */
        LOG_TARGET_JOURNAL_AND_STDERR,
} LogTarget;

void log_set_program(const char *name);
const char *log_get_program(void);
void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_target(LogTarget t);
LogTarget log_get_target(void);
/* From now on to the journal (log-journal.c). Without it LOG_TARGET_JOURNAL
 * falls back to stderr, as does a message the journal does not take (no
 * journald, or its socket not visible from this mount namespace). */
void log_open_journal(void);
/* Closes the journal socket; the next message opens it again. A child forked
 * by a program that logs to the journal calls it before closing its fds. */
void log_close(void);
/* Tests: the journal's socket (default /run/systemd/journal/socket). */
void log_set_journal_socket(const char *path);
/* Parse "debug", "info", "notice", "warning", "err"/"error" into a syslog level. */
int log_level_from_string(const char *s);

/* Fields that every later message of this process carries on the journal,
 * "KEY=value" (KEY: A-Z, 0-9, _, not starting with _ or a digit, at most 64
 * characters), LOG_CONTEXT_MAX at most, copied; NULL clears them. A field
 * the message itself has (log_job's CORRAL_JOB=) wins. -EINVAL for a
 * malformed field, -E2BIG for too many or too long. corral-launch and
 * corral-epilogue run by corrald get CORRAL_JOB= and CORRAL_USER= this way
 * (helper.c). */
#define LOG_CONTEXT_MAX 8
int log_set_context(const char *const *fields);
/* Is key (up to its '=' or end) a valid journal field name? */
bool log_field_name_valid(const char *field);

/* Returns error (which should be negative or 0) so callers can return it. */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...)
        _printf_(6, 7);

/* log_internal() with extra "KEY=value" journal fields (NULL-terminated, may
 * be NULL): corrald's helper names the job its lines are about
 * (CORRAL_JOB=) without changing their text. */
int log_internal_fields(int level, int error, const char *file, int line, const char *func, const char *const *fields,
                        const char *fmt, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...) log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)

/* A message about one job: on the journal with CORRAL_JOB= and CORRAL_USER=
 * fields (journalctl CORRAL_JOB=42) and the extra "KEY=value" fields of the
 * NULL-terminated fields (MESSAGE_ID=, CORRAL_STATE=...; may be NULL), on
 * stderr prefixed "job 42 (alice): ". */
int log_job_full(int level, long long job, const char *user, const char *const *fields, const char *fmt, ...)
        _printf_(5, 6);
#define log_job(level, job, user, ...) log_job_full((level), (job), (user), NULL, __VA_ARGS__)

/* For "out of memory" paths: logs and returns -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
