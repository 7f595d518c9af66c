/* SPDX-License-Identifier: GPL-2.0-or-later */
/* atstrip.c — step 4 for at: the user's queued at jobs leave the spool.
 *
 * atd never checks /etc/at.allow for jobs already queued, so they are moved
 * into the quarantine. A job file in /var/spool/cron/atjobs belongs to the
 * uid in its header ("#!/bin/sh", "# atrun uid=N gid=N", "# mail USER 0");
 * atd runs it as that uid, so that is what decides, together with the file's
 * owner (atd refuses a mismatch, but we take either). ".SEQ" and dotfiles are
 * atd's own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epilogue.h"
#include "parse.h"

int at_parse_header_uid(const char *buf, uid_t *ret) {
        /* the header's second line; tolerate it anywhere in the first lines */
        const char *p = strstr(buf, "\n# atrun uid=");
        char num[16];
        size_t n = 0;

        if (!p)
                return -EINVAL;
        p += strlen("\n# atrun uid=");
        while (p[n] >= '0' && p[n] <= '9' && n < sizeof num - 1) {
                num[n] = p[n];
                n++;
        }
        num[n] = '\0';
        if (n == 0 || (p[n] != ' ' && p[n] != '\n'))
                return -EINVAL;
        return parse_uid(num, ret);
}

int at_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy) {
        DIR *d;

        if (req->mode != EP_MODE_SWEEP && !rules->user_eligible)
                return 0;
        d = opendir(req->paths.at_spool);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                const char *name = de->d_name;
                _cleanup_close_ int fd = -1;
                _cleanup_free_ char *path = NULL, *dest = NULL;
                char buf[512];
                struct stat st;
                uid_t uid;
                ssize_t k;
                bool match;
                int r;

                if (name[0] == '.')
                        continue;
                fd = openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                k = read(fd, buf, sizeof buf - 1);
                if (k < 0)
                        continue;
                buf[k] = '\0';
                if (at_parse_header_uid(buf, &uid) < 0)
                        uid = st.st_uid; /* no header: the owner decides */
                if (req->mode == EP_MODE_SWEEP) {
                        uid_t who = ep_uid_eligible(rules, uid) ? uid : st.st_uid;
                        match = ep_uid_eligible(rules, who) && !ep_uid_busy(busy, n_busy, who);
                        uid = who;
                } else
                        match = uid == rules->uid || st.st_uid == rules->uid;
                if (!match)
                        continue;
                if (req->mode != EP_MODE_SWEEP)
                        uid = rules->uid;
                if (asprintf(&path, "%s/%s", req->paths.at_spool, name) < 0)
                        return (void) closedir(d), -ENOMEM;

                const char *user = req->mode != EP_MODE_SWEEP ? req->user : NULL;
                struct passwd *pw = user ? NULL : getpwuid(uid);
                if (pw)
                        user = pw->pw_name;
                if (req->dry_run) {
                        report_file(rep, "at_job", user, uid, path, NULL, "quarantine", "dry-run", NULL);
                        rep->at_jobs++;
                        continue;
                }
                r = quarantine_move(req->paths.quarantine_dir, user, uid, req->job, "atjob", req->paths.at_spool, name,
                                    &dest);
                if (r < 0) {
                        report_file(rep, "at_job", user, uid, path, NULL, "quarantine", "failed", strerror(-r));
                        rep->strip_failures++;
                        continue;
                }
                report_file(rep, "at_job", user, uid, path, dest, "quarantine", "quarantined", NULL);
                rep->at_jobs++;
        }
        (void) closedir(d);
        return 0;
}
