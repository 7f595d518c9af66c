/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c — see log.h. stderr is the default target. Sending to the journal
 * lives in log-journal.c behind a hook, so that only programs that call
 * log_open_journal() (corrald) load libsystemd: corral-launch, started once
 * per job, saves the half millisecond it costs to load. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "log-internal.h"

static const char *program = "corral";
static int max_level = LOG_INFO;
static LogTarget target = LOG_TARGET_STDERR;
LogJournalSend log_journal_hook = NULL;

void log_set_program(const char *name) {
        const char *slash = strrchr(name, '/');
        program = slash ? slash + 1 : name;
}

const char *log_get_program(void) {
        return program;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_target(LogTarget t) {
        target = t;
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } table[] = {
                { "debug", LOG_DEBUG },  { "info", LOG_INFO }, { "notice", LOG_NOTICE }, { "warning", LOG_WARNING },
                { "warn", LOG_WARNING }, { "err", LOG_ERR },   { "error", LOG_ERR },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(s, table[i].name) == 0)
                        return table[i].level;
        return -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...) {
        char buf[4096];
        va_list ap;
        int saved = errno;

        if (level > max_level)
                return error;

        /* %m prints the error we were handed, not whatever errno happens to be. */
        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);

        if (target == LOG_TARGET_JOURNAL && log_journal_hook)
                log_journal_hook(level, file, line, func, buf, -1, NULL);
        else
                (void) fprintf(stderr, "%s: %s\n", program, buf);

        errno = saved;
        return error;
}

int log_job(int level, long long job, const char *user, const char *fmt, ...) {
        char buf[4096];
        va_list ap;

        if (level > max_level)
                return 0;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (target == LOG_TARGET_JOURNAL && log_journal_hook)
                log_journal_hook(level, NULL, 0, NULL, buf, job, user);
        else
                (void) fprintf(stderr, "%s: job %lld (%s): %s\n", program, job, user ? user : "?", buf);
        return 0;
}
