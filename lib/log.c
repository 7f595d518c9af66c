/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c — see log.h. stderr is the default target. Sending to the journal
 * lives in log-journal.c behind a hook, so that only programs that call
 * log_open_journal() (corrald) link it in. The context fields
 * (log_set_context()) are copied into static storage: a forked child of
 * corrald's helper sets its own before it runs corral-launch or
 * corral-epilogue (helper.c, run_program()). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "log-internal.h"

/* a context field's length, "KEY=value" */
#define LOG_CONTEXT_FIELD_MAX 256
/* fields of one message: the job's two, the caller's, the context's */
#define LOG_FIELDS_MAX (2 + 16 + LOG_CONTEXT_MAX + 1)

static const char *program = "corral";
static int max_level = LOG_INFO;
static LogTarget target = LOG_TARGET_STDERR;
static char context[LOG_CONTEXT_MAX][LOG_CONTEXT_FIELD_MAX];
static size_t n_context;
LogJournalSend log_journal_hook = NULL;
void (*log_journal_close_hook)(void) = NULL;

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

LogTarget log_get_target(void) {
        return target;
}

void log_close(void) {
        if (log_journal_close_hook)
                log_journal_close_hook();
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

/* journald's rule (journal_field_valid()): A-Z, 0-9 and _, not starting
 * with a digit; a leading _ is for fields journald itself adds; 64 at most. */
bool log_field_name_valid(const char *field) {
        size_t n = strcspn(field, "=");
        if (n == 0 || n > 64 || field[0] == '_' || (field[0] >= '0' && field[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((field[i] >= 'A' && field[i] <= 'Z') || (field[i] >= '0' && field[i] <= '9') || field[i] == '_'))
                        return false;
        return true;
}

int log_set_context(const char *const *fields) {
        size_t n = 0;

        for (const char *const *f = fields; f && *f; f++, n++) {
                if (!strchr(*f, '=') || !log_field_name_valid(*f))
                        return -EINVAL;
                if (n >= LOG_CONTEXT_MAX || strlen(*f) >= LOG_CONTEXT_FIELD_MAX)
                        return -E2BIG;
        }
        for (size_t i = 0; i < n; i++)
                (void) snprintf(context[i], sizeof context[i], "%s", fields[i]);
        n_context = n;
        return 0;
}

static bool has_field(const char *const *fields, size_t n, const char *field) {
        size_t k = strcspn(field, "=");
        for (size_t i = 0; i < n; i++)
                if (strncmp(fields[i], field, k) == 0 && fields[i][k] == '=')
                        return true;
        return false;
}

/* to the journal if that is the target and it takes the message, else (or
 * also) to stderr, as "program: msg" */
static void emit(int level, const char *file, int line, const char *func, const char *msg, const char *const *own) {
        const char *fields[LOG_FIELDS_MAX];
        size_t n = 0;
        bool sent = false;

        if (target != LOG_TARGET_STDERR && log_journal_hook) {
                for (const char *const *f = own; f && *f && n < LOG_FIELDS_MAX - 1 - LOG_CONTEXT_MAX; f++)
                        fields[n++] = *f;
                for (size_t i = 0, own_n = n; i < n_context; i++)
                        if (!has_field(fields, own_n, context[i]))
                                fields[n++] = context[i];
                fields[n] = NULL;
                sent = log_journal_hook(level, file, line, func, msg, fields) >= 0;
        }
        if (!sent || target == LOG_TARGET_JOURNAL_AND_STDERR)
                (void) fprintf(stderr, "%s: %s\n", program, msg);
}

static int log_internalv(int level, int error, const char *file, int line, const char *func, const char *const *fields,
                         const char *fmt, va_list ap) _printf_(7, 0);
static int log_internalv(int level, int error, const char *file, int line, const char *func, const char *const *fields,
                         const char *fmt, va_list ap) {
        char buf[4096];
        int saved = errno;

        if (level > max_level)
                return error;

        /* %m prints the error we were handed, not whatever errno happens to be. */
        errno = error < 0 ? -error : error;
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        emit(level, file, line, func, buf, fields);
        errno = saved;
        return error;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        error = log_internalv(level, error, file, line, func, NULL, fmt, ap);
        va_end(ap);
        return error;
}

int log_internal_fields(int level, int error, const char *file, int line, const char *func, const char *const *fields,
                        const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        error = log_internalv(level, error, file, line, func, fields, fmt, ap);
        va_end(ap);
        return error;
}

int log_job_full(int level, long long job, const char *user, const char *const *fields, const char *fmt, ...) {
        char buf[4096], jf[40], uf[LOG_CONTEXT_FIELD_MAX];
        const char *own[2 + 16 + 1];
        size_t n = 0;
        va_list ap;
        int saved = errno, k;

        if (level > max_level)
                return 0;
        /* "job 42 (alice): " on stderr and in MESSAGE=, for a plain journalctl -u corrald */
        k = snprintf(buf, sizeof buf, "job %lld (%s): ", job, user ? user : "?");
        if (k < 0 || (size_t) k >= sizeof buf)
                k = 0;
        va_start(ap, fmt);
        (void) vsnprintf(buf + k, sizeof buf - (size_t) k, fmt, ap);
        va_end(ap);
        (void) snprintf(jf, sizeof jf, "CORRAL_JOB=%lld", job);
        own[n++] = jf;
        if (user) {
                (void) snprintf(uf, sizeof uf, "CORRAL_USER=%s", user);
                own[n++] = uf;
        }
        for (const char *const *f = fields; f && *f && n < ELEMENTSOF(own) - 1; f++)
                own[n++] = *f;
        own[n] = NULL;
        emit(level, NULL, 0, NULL, buf, own);
        errno = saved;
        return 0;
}
