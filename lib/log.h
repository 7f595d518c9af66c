/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h — program-level logging. Library code never logs: it returns -errno
 * and the program logs once, at the top (STYLE.md "Errors").
 *
 *   return log_error_errno(r, "Failed to create cgroup %s: %m", path);
 *
 * %m prints strerror(-r). Messages go to stderr prefixed with the program
 * name; after log_open_journal() (corrald under systemd) they go to the
 * journal with structured fields instead. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
} LogTarget;

void log_set_program(const char *name);
const char *log_get_program(void);
void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_target(LogTarget t);
/* From now on to the journal (log-journal.c; links libsystemd). Without it
 * LOG_TARGET_JOURNAL falls back to stderr. */
void log_open_journal(void);
/* Parse "debug", "info", "notice", "warning", "err"/"error" into a syslog level. */
int log_level_from_string(const char *s);

/* Returns error (which should be negative or 0) so callers can return it. */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...)
        _printf_(6, 7);

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
 * fields (journalctl CORRAL_JOB=42), on stderr prefixed "job 42 (alice): ". */
int log_job(int level, long long job, const char *user, const char *fmt, ...) _printf_(4, 5);

/* For "out of memory" paths: logs and returns -ENOMEM. */
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
