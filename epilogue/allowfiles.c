/* SPDX-License-Identifier: GPL-2.0-or-later */
/* allowfiles.c — step 4: /etc/cron.allow and /etc/at.allow are kept equal to
 * the policy's cron_allow and at_allow lists, so that no user can queue new
 * deferred work with crontab(1) or at(1). Compared as sets (order, blank
 * lines and comments do not matter); when different, or not root 0644, the
 * file is rewritten atomically: a temporary file in the same directory,
 * fchown root, fchmod 0644, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epilogue.h"
#include "strv.h"

#define ALLOW_MAX_SIZE (256L * 1024L)

static int content_users(const char *content, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = content;

        while (p && *p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                while (len > 0 && (p[0] == ' ' || p[0] == '\t'))
                        p++, len--;
                while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
                        len--;
                if (len > 0 && p[0] != '#') {
                        char *s = strndup(p, len);
                        if (!s || (!strv_contains(l, s) ? strv_consume(&l, s) : (free(s), 0)) < 0)
                                return -ENOMEM;
                }
                p = nl ? nl + 1 : NULL;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

bool allowfile_content_equal(const char *content, char *const *users) {
        _cleanup_strv_free_ char **have = NULL;
        size_t n_want = 0;

        if (content_users(content, &have) < 0)
                return false;
        for (char *const *u = users; u && *u; u++) {
                if (!strv_contains(have, *u))
                        return false;
                bool dup = false;
                for (char *const *v = users; v < u; v++)
                        if (streq(*v, *u))
                                dup = true;
                if (!dup)
                        n_want++;
        }
        return strv_length(have) == n_want;
}

int allowfile_sync(const char *path, char *const *users, bool dry_run) {
        _cleanup_free_ char *content = NULL, *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        bool ok_perms = false;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return negative_errno();
                if (S_ISREG(st.st_mode) && st.st_size < ALLOW_MAX_SIZE) {
                        content = calloc(1, (size_t) st.st_size + 1);
                        if (!content)
                                return -ENOMEM;
                        ssize_t k = read(fd, content, (size_t) st.st_size);
                        if (k < 0)
                                return negative_errno();
                        content[k] = '\0';
                        ok_perms = st.st_uid == 0 && (st.st_mode & 07777) == 0644;
                }
                (void) close(TAKE_FD(fd));
        } else if (errno != ENOENT)
                return negative_errno();

        if (content && ok_perms && allowfile_content_equal(content, users))
                return 0;
        if (dry_run)
                return 1;

        const char *slash = strrchr(path, '/');
        dir = slash && slash != path ? strndup(path, (size_t) (slash - path)) : strdup("/");
        if (!dir || asprintf(&tmp, "%s/.%s.corral-XXXXXX", dir, slash ? slash + 1 : path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        _cleanup_free_ char *text = strv_join(users, "\n");
        int r = 0;
        if (!text)
                r = -ENOMEM;
        else {
                size_t len = strlen(text);
                if ((len > 0 && (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1)) ||
                    fchown(fd, 0, 0) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
                        r = errno > 0 ? -errno : -EIO;
        }
        if (r == 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return 1;
}
