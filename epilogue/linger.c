/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linger.c — step 4 for systemd: the linger flag
 * /var/lib/systemd/linger/USER keeps a user's systemd instance (and what it
 * starts: timers, services) running with no session. On Debian 12 any user
 * may set it for themselves (loginctl enable-linger). The flag file is moved
 * into the quarantine like a crontab, so the removal is recorded. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "epilogue.h"

static void strip_one(const EpRequest *req, EpReport *rep, const char *user, uid_t uid) {
        _cleanup_free_ char *path = NULL, *dest = NULL;
        int r;

        if (asprintf(&path, "%s/%s", req->paths.linger_dir, user) < 0)
                return;
        if (req->dry_run) {
                report_file(rep, "linger", user, uid, path, NULL, "remove", "dry-run", NULL);
                rep->lingers++;
                return;
        }
        r = quarantine_move(req->paths.quarantine_dir, user, uid, req->job, "linger", req->paths.linger_dir, user,
                            &dest);
        if (r < 0) {
                report_file(rep, "linger", user, uid, path, NULL, "remove", "failed", strerror(-r));
                rep->strip_failures++;
                return;
        }
        report_file(rep, "linger", user, uid, path, dest, "remove", "removed", NULL);
        rep->lingers++;
}

int linger_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy) {
        struct stat st;
        DIR *d;

        if (req->mode != EP_MODE_SWEEP) {
                _cleanup_free_ char *path = NULL;
                if (!rules->user_eligible || !req->user)
                        return 0;
                if (asprintf(&path, "%s/%s", req->paths.linger_dir, req->user) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) < 0)
                        return errno == ENOENT ? 0 : -errno;
                strip_one(req, rep, req->user, rules->uid);
                return 0;
        }
        d = opendir(req->paths.linger_dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                struct passwd *pw;
                if (de->d_name[0] == '.')
                        continue;
                pw = getpwnam(de->d_name);
                if (!pw || !ep_uid_eligible(rules, pw->pw_uid) || ep_uid_busy(busy, n_busy, pw->pw_uid))
                        continue;
                strip_one(req, rep, de->d_name, pw->pw_uid);
        }
        (void) closedir(d);
        return 0;
}
