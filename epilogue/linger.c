/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linger.c — step 4 for systemd: the linger flag
 * /var/lib/systemd/linger/USER keeps a user's systemd instance (and what it
 * starts: timers, services) running with no session. On Debian 12 any user
 * may set it for themselves (loginctl enable-linger). The flag file is moved
 * into the quarantine like a crontab, so the removal is recorded. logind,
 * when it runs, has read the flag already and keeps the user's manager until
 * told: so it is told too, as `loginctl disable-linger` does
 * (SetUserLinger(uid, false, false) on the system bus; its own unlink of the
 * flag then finds nothing, the quarantined file stays the record). The
 * JSON record's "logind" says how that went: "disabled", "not running" (no
 * system bus, or logind is not running: it is not started for this),
 * "failed" (with "logind_error"), "dry-run", or "not asked" (--logind no, or
 * auto with a linger dir other than /var/lib/systemd/linger: a test's). */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-bus.h>

#include "epilogue.h"

/* How long logind may take to answer: it answers at once, or it is stuck
 * and the kill step stops the user's manager anyway. */
#define LOGIND_TIMEOUT_USEC (3ULL * 1000 * 1000)
#define LINGER_DIR_REAL "/var/lib/systemd/linger"

bool linger_logind_wanted(EpLogind mode, const char *linger_dir) {
        if (mode == EP_LOGIND_AUTO)
                return linger_dir && streq(linger_dir, LINGER_DIR_REAL);
        return mode == EP_LOGIND_YES;
}

/* No bus to talk to, or no logind on it: nothing to tell. */
static bool logind_absent(int r, const sd_bus_error *e) {
        return r == -ENOENT || r == -ECONNREFUSED || r == -ENXIO || r == -EHOSTUNREACH ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

int linger_logind_disable(uid_t uid, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        *ret_error = NULL;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return logind_absent(r, &e) ? 0 : r;
        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.login1", "/org/freedesktop/login1",
                                           "org.freedesktop.login1.Manager", "SetUserLinger");
        if (r >= 0)
                r = sd_bus_message_append(m, "ubb", (uint32_t) uid, 0, 0);
        /* a logind that is not running is not started for this */
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, 0);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, LOGIND_TIMEOUT_USEC, &e, NULL);
        if (r < 0) {
                if (logind_absent(r, &e))
                        return 0;
                if (e.message || e.name)
                        *ret_error = strdup(e.message ?: e.name);
                return r;
        }
        return 1;
}

static void tell_logind(const EpRequest *req, EpReport *rep, const char *user, uid_t uid) {
        _cleanup_free_ char *error = NULL;
        int r;

        if (!linger_logind_wanted(req->logind, req->paths.linger_dir)) {
                report_annotate_last(rep, "logind", "not asked");
                return;
        }
        r = linger_logind_disable(uid, &error);
        if (r < 0) {
                char detail[512];
                (void) snprintf(detail, sizeof detail, "%s", error ? error : strerror(-r));
                report_annotate_last(rep, "logind", "failed");
                report_annotate_last(rep, "logind_error", detail);
                /* the flag is gone and the kill step stops the user's
                 * manager: the node is still clean */
                report_detail(rep, LOG_WARNING,
                              "logind did not take SetUserLinger for %s (uid %u), ignoring: %s (see "
                              "loginctl user-status %s)",
                              user, (unsigned) uid, detail, user);
                return;
        }
        report_annotate_last(rep, "logind", r > 0 ? "disabled" : "not running");
        report_detail(rep, LOG_INFO, "logind: linger of %s (uid %u) %s", user, (unsigned) uid,
                      r > 0 ? "disabled" : "not told (logind is not running)");
}

static void strip_one(const EpRequest *req, EpReport *rep, const char *user, uid_t uid) {
        _cleanup_free_ char *path = NULL, *dest = NULL;
        int r;

        if (asprintf(&path, "%s/%s", req->paths.linger_dir, user) < 0)
                return;
        if (req->dry_run) {
                report_file(rep, "linger", user, uid, path, NULL, "remove", "dry-run", NULL);
                report_annotate_last(rep, "logind", "dry-run");
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
        tell_logind(req, rep, user, uid);
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
