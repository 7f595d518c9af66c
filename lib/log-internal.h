/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log-internal.h — between log.c and log-journal.c only. */
#pragma once

/* Sends one message to the journal with the NULL-terminated "KEY=value"
 * fields besides MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER= and (file not NULL)
 * CODE_FILE=/CODE_LINE=/CODE_FUNC=. 0, or -errno when the journal did not
 * take it (the caller then writes it to stderr). */
typedef int (*LogJournalSend)(int level, const char *file, int line, const char *func, const char *msg,
                              const char *const *fields);
extern LogJournalSend log_journal_hook;
extern void (*log_journal_close_hook)(void);
