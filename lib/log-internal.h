/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log-internal.h — between log.c and log-journal.c only. */
#pragma once

/* Sends one message to the journal; job < 0 means "not about a job". */
typedef void (*LogJournalSend)(int level, const char *file, int line, const char *func, const char *msg, long long job,
                               const char *user);
extern LogJournalSend log_journal_hook;
