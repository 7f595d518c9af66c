/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log-journal.c — the journal target of log.h, with structured fields:
 * CODE_FILE/CODE_LINE/CODE_FUNC, and CORRAL_JOB=/CORRAL_USER= for messages
 * about a job (journalctl CORRAL_JOB=42). Linked only into programs that call
 * log_open_journal(). */
#include <stdio.h>
#include <systemd/sd-journal.h>

#include "log-internal.h"
#include "log.h"

static void journal_send(int level, const char *file, int line, const char *func, const char *msg, long long job,
                         const char *user) {
        if (job >= 0)
                (void) sd_journal_send("MESSAGE=job %lld (%s): %s", job, user ? user : "?", msg, "PRIORITY=%d", level,
                                       "CORRAL_JOB=%lld", job, "CORRAL_USER=%s", user ? user : "",
                                       "SYSLOG_IDENTIFIER=%s", log_get_program(), NULL);
        else
                (void) sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level, "CODE_FILE=%s", file ? file : "?",
                                       "CODE_LINE=%d", line, "CODE_FUNC=%s", func ? func : "?", "SYSLOG_IDENTIFIER=%s",
                                       log_get_program(), NULL);
}

void log_open_journal(void) {
        log_journal_hook = journal_send;
        log_set_target(LOG_TARGET_JOURNAL);
}
