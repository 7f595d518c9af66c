/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log-journal.c — the journal target of log.h, with structured fields:
 * CODE_FILE/CODE_LINE/CODE_FUNC, CORRAL_JOB=/CORRAL_USER= for messages about
 * a job (journalctl CORRAL_JOB=42), MESSAGE_ID= and the others of
 * corrald(8) "JOURNAL FIELDS". Linked only into programs that call
 * log_open_journal().
 *
 * It speaks journald's native protocol (systemd's JOURNAL_NATIVE_PROTOCOL:
 * one datagram per entry to /run/systemd/journal/socket, "KEY=value\n" per
 * field, or "KEY\n", the value's length as 64-bit little endian, the value
 * and "\n" for a value with a newline) on a socket of its own, instead of
 * sd_journal_send(): libsystemd keeps its socket in a static that a forked
 * child cannot reset, so after the child closes its inherited fds
 * (helper.c, run_program()) sd_journal_send() would write to whatever file
 * later gets that number. Here log_close() forgets it. Entries are at most
 * the 4 KiB message and a few fields, so one datagram always fits (no memfd
 * fallback needed). */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log-internal.h"
#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define ENTRY_MAX ((size_t) 16 * 1024)

static int journal_fd = -1;
static char journal_socket[sizeof(((struct sockaddr_un *) NULL)->sun_path)] = JOURNAL_SOCKET;

void log_set_journal_socket(const char *path) {
        (void) snprintf(journal_socket, sizeof journal_socket, "%s", path ? path : JOURNAL_SOCKET);
}

/* Appends one field ("KEY" and value, or "KEY=value" with value NULL);
 * false when it does not fit. */
static bool append_field(char *buf, size_t size, size_t *len, const char *key, size_t key_len, const char *value) {
        size_t vlen = strlen(value);
        bool binary = memchr(value, '\n', vlen) != NULL;
        size_t need = key_len + 1 + (binary ? 8 : 0) + vlen + 1;

        if (*len + need > size)
                return false;
        memcpy(buf + *len, key, key_len);
        *len += key_len;
        if (binary) {
                uint64_t le = htole64((uint64_t) vlen);
                buf[(*len)++] = '\n';
                memcpy(buf + *len, &le, sizeof le);
                *len += sizeof le;
        } else
                buf[(*len)++] = '=';
        for (size_t i = 0; i < vlen; i++) /* not memcpy: the value is not NUL-terminated in buf */
                buf[(*len)++] = value[i];
        buf[(*len)++] = '\n';
        return true;
}

static bool append_kv(char *buf, size_t size, size_t *len, const char *field) {
        size_t k = strcspn(field, "=");
        return field[k] == '=' && append_field(buf, size, len, field, k, field + k + 1);
}

static int journal_send(int level, const char *file, int line, const char *func, const char *msg,
                        const char *const *fields) {
        char buf[ENTRY_MAX], num[32];
        size_t len = 0;
        bool ok;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        (void) snprintf(num, sizeof num, "%d", level);
        ok = append_field(buf, sizeof buf, &len, "MESSAGE", 7, msg) &&
             append_field(buf, sizeof buf, &len, "PRIORITY", 8, num) &&
             append_field(buf, sizeof buf, &len, "SYSLOG_IDENTIFIER", 17, log_get_program());
        if (ok && file) {
                (void) snprintf(num, sizeof num, "%d", line);
                ok = append_field(buf, sizeof buf, &len, "CODE_FILE", 9, file) &&
                     append_field(buf, sizeof buf, &len, "CODE_LINE", 9, num) &&
                     append_field(buf, sizeof buf, &len, "CODE_FUNC", 9, func ? func : "?");
        }
        for (const char *const *f = fields; ok && f && *f; f++)
                if (log_field_name_valid(*f))
                        ok = append_kv(buf, sizeof buf, &len, *f);
        if (!ok)
                return -E2BIG;

        if (journal_fd < 0) {
                journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (journal_fd < 0)
                        return -errno;
        }
        (void) snprintf(sa.sun_path, sizeof sa.sun_path, "%s", journal_socket);
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        struct msghdr mh = {
                .msg_name = &sa,
                .msg_namelen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path)),
                .msg_iov = &iov,
                .msg_iovlen = 1,
        };
        if (sendmsg(journal_fd, &mh, MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

static void journal_close(void) {
        if (journal_fd >= 0)
                (void) close(journal_fd);
        journal_fd = -1;
}

void log_open_journal(void) {
        log_journal_hook = journal_send;
        log_journal_close_hook = journal_close;
        log_set_target(LOG_TARGET_JOURNAL);
}
