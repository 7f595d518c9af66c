/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quarantine.c — moves a spool entry (crontab, at job, linger flag) out of
 * the daemons' reach, never deleting it: the admin may need it as evidence
 * or to give it back. Layout:
 *   QDIR/                    root 0700
 *   QDIR/USER/               root 0700 ("uid-N" when the name is unknown)
 *   QDIR/USER/KIND-NAME-TIME-PID        the moved file, owner and mode kept
 *   QDIR/USER/KIND-NAME-TIME-PID.json   what it was, where from, when, which job
 * The move is a rename (atomic on one filesystem); across filesystems the
 * file is copied, synced, then unlinked. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "epilogue.h"

static int mkdir_p(const char *path, mode_t last_mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, last_mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static int copy_file(int src_dirfd, const char *name, int dst_dirfd, const char *dest, const struct stat *st) {
        _cleanup_close_ int in = -1, out = -1;
        char buf[65536];

        in = openat(src_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (in < 0)
                return negative_errno();
        out = openat(dst_dirfd, dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0)
                return negative_errno();
        for (;;) {
                ssize_t k = read(in, buf, sizeof buf);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                for (ssize_t off = 0; off < k;) {
                        ssize_t w = write(out, buf + off, (size_t) (k - off));
                        if (w < 0)
                                return negative_errno();
                        off += w;
                }
        }
        if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0 || fsync(out) < 0)
                return negative_errno();
        return 0;
}

static int write_record(int dirfd, const char *dest, json_t *rec) {
        _cleanup_free_ char *name = NULL, *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t len;

        if (asprintf(&name, "%s.json", dest) < 0)
                return -ENOMEM;
        text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!text)
                return -ENOMEM;
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1)
                return -EIO;
        return fsync(fd) < 0 ? negative_errno() : 0;
}

/* QDIR/USER, or QDIR/uid-UID for an account that is gone. */
static int user_dir_path(const char *qdir, const char *user, uid_t uid, char **ret) {
        if ((user ? asprintf(ret, "%s/%s", qdir, user) : asprintf(ret, "%s/uid-%u", qdir, (unsigned) uid)) < 0)
                return -ENOMEM;
        return 0;
}

int quarantine_move(const char *qdir, const char *user, uid_t uid, const char *job, const char *kind,
                    const char *src_dir, const char *name, char **ret_dest) {
        _cleanup_free_ char *udir = NULL, *dest = NULL, *src = NULL, *full = NULL;
        _cleanup_close_ int sfd = -1, dfd = -1;
        char ts[32];
        struct stat st;
        time_t now = time(NULL);
        struct tm tm;
        int r;

        if (strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        r = quarantine_open_user_dir(qdir, user, uid, &dfd);
        if (r < 0)
                return r;
        r = user_dir_path(qdir, user, uid, &udir);
        if (r < 0)
                return r;
        sfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
                return negative_errno();
        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;

        (void) strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
        for (unsigned n = 0;; n++) {
                free(dest);
                dest = NULL;
                if ((n == 0 ? asprintf(&dest, "%s-%s-%s-%d", kind, name, ts, (int) getpid())
                            : asprintf(&dest, "%s-%s-%s-%d.%u", kind, name, ts, (int) getpid(), n)) < 0)
                        return -ENOMEM;
                if (renameat2(sfd, name, dfd, dest, RENAME_NOREPLACE) == 0)
                        break;
                if (errno == EEXIST && n < 100)
                        continue;
                if (errno != EXDEV)
                        return negative_errno();
                /* another filesystem: copy, sync, then unlink */
                r = copy_file(sfd, name, dfd, dest, &st);
                if (r == -EEXIST && n < 100)
                        continue;
                if (r < 0) {
                        (void) unlinkat(dfd, dest, 0);
                        return r;
                }
                if (unlinkat(sfd, name, 0) < 0) {
                        r = negative_errno();
                        (void) unlinkat(dfd, dest, 0);
                        return r;
                }
                break;
        }
        (void) fsync(sfd);
        (void) fsync(dfd);

        if (asprintf(&src, "%s/%s", src_dir, name) < 0 || asprintf(&full, "%s/%s", udir, dest) < 0)
                return -ENOMEM;
        json_t *rec = json_pack("{s:s, s:s?, s:I, s:s?, s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "kind", kind, "user", user,
                                "uid", (json_int_t) uid, "job", job, "source", src, "quarantined_to", full, "mode", "",
                                "owner_uid", (json_int_t) st.st_uid, "size", (json_int_t) st.st_size, "time", ts, "by",
                                "corral-epilogue");
        if (rec) {
                char mode[8];
                (void) snprintf(mode, sizeof mode, "%04o", (unsigned) (st.st_mode & 07777));
                (void) json_object_set_new(rec, "mode", json_string(mode));
                (void) write_record(dfd, dest, rec);
                json_decref(rec);
        }
        *ret_dest = TAKE_PTR(full);
        return 0;
}

int quarantine_open_user_dir(const char *qdir, const char *user, uid_t uid, int *ret_fd) {
        _cleanup_free_ char *udir = NULL;
        int r, fd;

        r = mkdir_p(qdir, 0700);
        if (r < 0)
                return r;
        r = user_dir_path(qdir, user, uid, &udir);
        if (r < 0)
                return r;
        if (mkdir(udir, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(udir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}
