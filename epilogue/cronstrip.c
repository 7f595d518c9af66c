/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cronstrip.c — step 4 for cron: the user's crontab leaves the spool.
 *
 * Debian's cron checks /etc/cron.allow only in the crontab command, never in
 * the daemon: a crontab already in /var/spool/cron/crontabs keeps running
 * after its user is removed from cron.allow, and cron revives an orphaned
 * crontab when a pool account's name reappears. So the spool file is moved
 * into the quarantine (cron notices the spool's mtime and drops it from the
 * next minute). In a sweep every crontab of an eligible user without a
 * running job goes, and so does an orphan (no such user) unless the sweep is
 * limited to a --uid-range. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "epilogue.h"

static void quarantine_one(const EpRequest *req, EpReport *rep, const char *user, uid_t uid, const char *name,
                           const char *why) {
        _cleanup_free_ char *path = NULL, *dest = NULL;
        int r;

        if (asprintf(&path, "%s/%s", req->paths.cron_spool, name) < 0)
                return;
        if (req->dry_run) {
                report_file(rep, "crontab", user, uid, path, NULL, "quarantine", "dry-run", why);
                rep->crontabs++;
                return;
        }
        r = quarantine_move(req->paths.quarantine_dir, user, uid, req->job, "crontab", req->paths.cron_spool, name,
                            &dest);
        if (r < 0) {
                report_file(rep, "crontab", user, uid, path, NULL, "quarantine", "failed", strerror(-r));
                rep->strip_failures++;
                return;
        }
        report_file(rep, "crontab", user, uid, path, dest, "quarantine", "quarantined", why);
        rep->crontabs++;
}

int cron_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy) {
        struct stat st;
        DIR *d;

        if (req->mode != EP_MODE_SWEEP) {
                if (!rules->user_eligible || !req->user)
                        return 0;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", req->paths.cron_spool, req->user) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) < 0)
                        return errno == ENOENT ? 0 : -errno;
                quarantine_one(req, rep, req->user, rules->uid, req->user, "the job's user's crontab");
                return 0;
        }

        d = opendir(req->paths.cron_spool);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                const char *name = de->d_name;
                struct passwd *pw;

                /* crontab(1)'s temporary files are "tmp.XXXXXX" */
                if (name[0] == '.' || strneq(name, "tmp.", 4))
                        continue;
                if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
                        continue;
                pw = getpwnam(name);
                if (!pw) {
                        if (!rules->have_uid_range && ep_user_name_valid(name))
                                quarantine_one(req, rep, name, (uid_t) -1, name,
                                               "orphaned crontab (no such user): cron would revive it");
                        continue;
                }
                if (!ep_uid_eligible(rules, pw->pw_uid) || ep_uid_busy(busy, n_busy, pw->pw_uid))
                        continue;
                quarantine_one(req, rep, name, pw->pw_uid, name, "user without a running job");
        }
        (void) closedir(d);
        return 0;
}
