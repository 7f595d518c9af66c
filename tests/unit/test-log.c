/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-log.c — lib/log.c and lib/log-journal.c: the journal fields a
 * message carries (the context of corral-launch and corral-epilogue run by
 * corrald, log_job_full()'s CORRAL_JOB=/MESSAGE_ID=), their encoding in
 * journald's native protocol, read back from a datagram socket that stands
 * in for /run/systemd/journal/socket, and the fall back to stderr. */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

typedef struct Journal {
        char dir[64];
        char path[128];
        int fd;
} Journal;

/* A datagram socket where the logger sends its entries. */
static void journal_start(Journal *j) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(j->dir, sizeof j->dir, "/tmp/corral-test-log.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(j->dir));
        snprintf(j->path, sizeof j->path, "%s/socket", j->dir);
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ck_assert_int_ge(j->fd, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", j->path);
        ck_assert_int_eq(bind(j->fd, (struct sockaddr *) &sa, sizeof sa), 0);
        log_set_journal_socket(j->path);
        log_open_journal();
}

static void journal_stop(Journal *j) {
        close(j->fd);
        unlink(j->path);
        rmdir(j->dir);
}

/* The next entry, decoded into "KEY=value" lines in out (values with a
 * newline keep it); returns the number of fields, -1 if none is waiting. */
static int journal_next(Journal *j, char *out, size_t size) {
        char buf[32768];
        ssize_t n = recv(j->fd, buf, sizeof buf, 0);
        size_t o = 0;
        int fields = 0;
        if (n < 0)
                return -1;
        for (size_t i = 0; i < (size_t) n;) {
                char *nl = memchr(buf + i, '\n', (size_t) n - i);
                char *eq = memchr(buf + i, '=', (size_t) n - i);
                ck_assert_ptr_nonnull(nl);
                if (eq && eq < nl) {
                        o += (size_t) snprintf(out + o, size - o, "%.*s\n", (int) (nl - (buf + i)), buf + i);
                        i = (size_t) (nl - buf) + 1;
                } else {
                        /* KEY\n, 64-bit little-endian length, value, \n */
                        uint64_t le;
                        size_t klen = (size_t) (nl - (buf + i));
                        memcpy(&le, nl + 1, sizeof le);
                        size_t vlen = (size_t) le64toh(le);
                        const char *v = nl + 1 + sizeof le;
                        ck_assert(v + vlen < buf + n && v[vlen] == '\n');
                        o += (size_t) snprintf(out + o, size - o, "%.*s=%.*s\n", (int) klen, buf + i, (int) vlen, v);
                        i = (size_t) (v - buf) + vlen + 1;
                }
                fields++;
        }
        return fields;
}

/* Does the decoded entry have this exact "KEY=value" line? */
static bool has(const char *entry, const char *line) {
        size_t n = strlen(line);
        for (const char *p = entry; (p = strstr(p, line)); p++)
                if ((p == entry || p[-1] == '\n') && p[n] == '\n')
                        return true;
        return false;
}

static int count(const char *entry, const char *key) {
        int c = 0;
        size_t n = strlen(key);
        for (const char *p = entry; *p; p = strchr(p, '\n') + 1) {
                if (strncmp(p, key, n) == 0 && p[n] == '=')
                        c++;
                if (!strchr(p, '\n'))
                        break;
        }
        return c;
}

START_TEST(test_field_names) {
        ck_assert(log_field_name_valid("CORRAL_JOB=7"));
        ck_assert(log_field_name_valid("MESSAGE_ID"));
        ck_assert(log_field_name_valid("A1_"));
        ck_assert(!log_field_name_valid("corral_job=7"));
        ck_assert(!log_field_name_valid("_PID=1")); /* journald's own */
        ck_assert(!log_field_name_valid("1ABC=x"));
        ck_assert(!log_field_name_valid("=x"));
        ck_assert(!log_field_name_valid("A-B=x"));
        ck_assert(
                !log_field_name_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=x")); /* 65 */
}
END_TEST

START_TEST(test_context_rejects) {
        const char *lower[] = { "corral_job=7", NULL }, *noeq[] = { "CORRAL_JOB", NULL }, *many[LOG_CONTEXT_MAX + 2];
        ck_assert_int_eq(log_set_context(lower), -EINVAL);
        ck_assert_int_eq(log_set_context(noeq), -EINVAL);
        for (int i = 0; i <= LOG_CONTEXT_MAX; i++)
                many[i] = "A=1";
        many[LOG_CONTEXT_MAX + 1] = NULL;
        ck_assert_int_eq(log_set_context(many), -E2BIG);
        ck_assert_int_eq(log_set_context(NULL), 0);
}
END_TEST

/* What helper.c's run_program() sets up for corral-launch: every line
 * carries the job and its user. */
START_TEST(test_context_fields_on_every_message) {
        Journal j;
        char e[8192];
        const char *ctx[] = { "CORRAL_JOB=7", "CORRAL_USER=alice", NULL };

        journal_start(&j);
        log_set_program("corral-launch");
        ck_assert_int_eq(log_set_context(ctx), 0);
        log_error_errno(-ENOENT, "cannot open %s: %m", "/x");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=cannot open /x: No such file or directory"));
        ck_assert(has(e, "PRIORITY=3"));
        ck_assert(has(e, "SYSLOG_IDENTIFIER=corral-launch"));
        ck_assert(has(e, "CORRAL_JOB=7"));
        ck_assert(has(e, "CORRAL_USER=alice"));
        ck_assert_int_eq(count(e, "CODE_FILE"), 1);

        /* cleared: no job fields any more */
        ck_assert_int_eq(log_set_context(NULL), 0);
        log_info("plain");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=plain"));
        ck_assert_int_eq(count(e, "CORRAL_JOB"), 0);
        journal_stop(&j);
}
END_TEST

/* log_job_full(): its own CORRAL_JOB= wins over the context's (no second
 * CORRAL_JOB= field), the extra fields come along. */
START_TEST(test_job_fields) {
        Journal j;
        char e[8192];
        const char *ctx[] = { "CORRAL_JOB=7", "CORRAL_NODE=n1", NULL };
        const char *fields[] = { "MESSAGE_ID=6d9d0f6d1b50429fba0de2ab35a5889a", "CORRAL_STATE=COMPLETED",
                                 "CORRAL_EXIT=0", NULL };

        journal_start(&j);
        ck_assert_int_eq(log_set_context(ctx), 0);
        log_job_full(LOG_NOTICE, 9, "bob", fields, "%s, exit %d:%d", "COMPLETED", 0, 0);
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=job 9 (bob): COMPLETED, exit 0:0"));
        ck_assert(has(e, "PRIORITY=5"));
        ck_assert(has(e, "CORRAL_JOB=9"));
        ck_assert_int_eq(count(e, "CORRAL_JOB"), 1);
        ck_assert(has(e, "CORRAL_USER=bob"));
        ck_assert(has(e, "MESSAGE_ID=6d9d0f6d1b50429fba0de2ab35a5889a"));
        ck_assert(has(e, "CORRAL_STATE=COMPLETED"));
        ck_assert(has(e, "CORRAL_EXIT=0"));
        ck_assert(has(e, "CORRAL_NODE=n1"));
        /* a malformed extra field is dropped, not sent */
        const char *bad[] = { "lower=1", "CORRAL_OK=1", NULL };
        log_job_full(LOG_INFO, 9, NULL, bad, "x");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert_int_eq(count(e, "lower"), 0);
        ck_assert(has(e, "CORRAL_OK=1"));
        ck_assert(has(e, "MESSAGE=job 9 (?): x"));
        journal_stop(&j);
}
END_TEST

/* log_internal_fields(): the text as it is, the fields on the journal
 * besides the code location; its CORRAL_JOB= wins over the context's. */
START_TEST(test_internal_fields) {
        Journal j;
        char e[8192];
        const char *ctx[] = { "CORRAL_JOB=7", NULL }, *fields[] = { "CORRAL_JOB=5", NULL };

        journal_start(&j);
        ck_assert_int_eq(log_set_context(ctx), 0);
        ck_assert_int_eq(log_internal_fields(LOG_WARNING, -EPERM, "f.c", 12, "fn", fields, "helper: job %d: %m", 5),
                         -EPERM);
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=helper: job 5: Operation not permitted"));
        ck_assert(has(e, "CORRAL_JOB=5"));
        ck_assert_int_eq(count(e, "CORRAL_JOB"), 1);
        ck_assert(has(e, "CODE_FILE=f.c"));
        ck_assert(has(e, "CODE_LINE=12"));
        ck_assert(has(e, "CODE_FUNC=fn"));
        journal_stop(&j);
}
END_TEST

/* A value with a newline goes in the binary form, whole. */
START_TEST(test_multiline_value) {
        Journal j;
        char e[8192];
        const char *fields[] = { "CORRAL_REASON=line one\nline two", NULL };

        journal_start(&j);
        log_job_full(LOG_WARNING, 3, "carol", fields, "first\nsecond");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(strstr(e, "MESSAGE=job 3 (carol): first\nsecond\n"));
        ck_assert(strstr(e, "CORRAL_REASON=line one\nline two\n"));
        journal_stop(&j);
}
END_TEST

/* stderr as a file the test reads back */
static int capture_stderr(char *path, size_t size) {
        snprintf(path, size, "/tmp/corral-test-log-err.XXXXXX");
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(dup2(fd, 2), 2);
        close(fd);
        return 0;
}

static void read_file(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        ck_assert_int_ge(fd, 0);
        n = read(fd, buf, size - 1);
        ck_assert_int_ge(n, 0);
        buf[n] = '\0';
        close(fd);
        unlink(path);
}

/* No journald (nothing at the socket): the message is not lost, it goes to
 * stderr. LOG_TARGET_JOURNAL_AND_STDERR writes both (the launcher's). */
START_TEST(test_fallback_and_copy) {
        Journal j;
        char e[8192], path[64], out[4096];

        capture_stderr(path, sizeof path);
        log_set_program("corral-launch");
        log_set_journal_socket("/nonexistent/corral-test/socket");
        log_open_journal();
        log_error("nobody listens");

        journal_start(&j);
        log_set_target(LOG_TARGET_JOURNAL_AND_STDERR);
        log_error("to both");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=to both"));
        log_set_target(LOG_TARGET_JOURNAL);
        log_error("journal only");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=journal only"));
        journal_stop(&j);

        read_file(path, out, sizeof out);
        ck_assert_str_eq(out, "corral-launch: nobody listens\ncorral-launch: to both\n");
}
END_TEST

/* A forked child closes its inherited fds (run_program()): after
 * log_close() the next message opens a socket of its own, and a file that
 * took the old number is never written to. */
START_TEST(test_close_reopens) {
        Journal j;
        char e[8192], path[64];

        journal_start(&j);
        log_info("before");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        log_close();
        snprintf(path, sizeof path, "/tmp/corral-test-log-f.XXXXXX");
        int fd = mkstemp(path); /* likely the number the socket had */
        ck_assert_int_ge(fd, 0);
        log_info("after");
        ck_assert_int_gt(journal_next(&j, e, sizeof e), 0);
        ck_assert(has(e, "MESSAGE=after"));
        ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
        close(fd);
        unlink(path);
        journal_stop(&j);
}
END_TEST

Suite *log_suite(void) {
        Suite *s = suite_create("log");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_field_names);
        tcase_add_test(tc, test_context_rejects);
        tcase_add_test(tc, test_context_fields_on_every_message);
        tcase_add_test(tc, test_job_fields);
        tcase_add_test(tc, test_internal_fields);
        tcase_add_test(tc, test_multiline_value);
        tcase_add_test(tc, test_fallback_and_copy);
        tcase_add_test(tc, test_close_reopens);
        suite_add_tcase(s, tc);
        return s;
}
