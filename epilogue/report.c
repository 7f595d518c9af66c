/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report.c — step 6: what the epilogue tells. Every action becomes a JSON
 * record (kept in memory, printed one a line with --json, then a summary
 * record); detail lines go to the log: --log-file if given, else syslog when
 * called by a batch system (pbs_mom appends our stdout and stderr to the
 * user's job output, so those get one summary line at most), else stderr
 * with --verbose. The human summary is one line:
 *   corral-epilogue: job 42 (alice): killed 3 processes, quarantined crontab and 1 at job, node clean */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "epilogue.h"
#include "log.h"

int report_init(EpReport *rep, const EpRequest *req) {
        *rep = (EpReport){ .req = req };
        rep->records = json_array();
        if (!rep->records)
                return -ENOMEM;
        if (req->log_file) {
                rep->log = fopen(req->log_file, "ae");
                if (!rep->log)
                        return negative_errno();
        } else if (req->mode != EP_MODE_CORRAL) {
                openlog("corral-epilogue", LOG_PID, LOG_DAEMON);
                rep->use_syslog = true;
        }
        return 0;
}

void report_done(EpReport *rep) {
        json_decref(rep->records);
        if (rep->log)
                (void) fclose(rep->log);
        if (rep->use_syslog)
                closelog();
        *rep = (EpReport){};
}

/* Whose run this is, as the summary line and the log name it: "job 42
 * (alice)", "alice" (--user without --job) or "sweep". */
static void who_of(const EpRequest *req, char *buf, size_t size) {
        if (req->mode == EP_MODE_SWEEP)
                (void) snprintf(buf, size, "sweep");
        else if (req->job)
                (void) snprintf(buf, size, "job %s (%s)", req->job, req->user ? req->user : "?");
        else
                (void) snprintf(buf, size, "%s", req->user ? req->user : "?");
}

void report_detail(EpReport *rep, int level, const char *fmt, ...) {
        char buf[2048], who[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);

        /* every line of the log and syslog says whose run it is, once:
         * "job 42 (alice): killed pid 7 ..." */
        who_of(rep->req, who, sizeof who);
        if (rep->log) {
                char ts[32];
                time_t now = time(NULL);
                struct tm tm;
                (void) strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
                fprintf(rep->log, "%s corral-epilogue[%d]: %s: %s\n", ts, (int) getpid(), who, buf);
                (void) fflush(rep->log);
        }
        if (rep->use_syslog && level <= LOG_NOTICE)
                syslog(level, "%s: %s", who, buf);
        /* run by corrald, which logs to the journal: every line goes there
         * too, with the job's CORRAL_JOB= (helper.c), so that journalctl
         * CORRAL_JOB=7 shows what the epilogue did for job 7 */
        if (rep->req->verbose || (log_get_target() != LOG_TARGET_STDERR && !rep->use_syslog && !rep->log) ||
            (level <= LOG_WARNING && !rep->req->quiet && !rep->use_syslog && !rep->log))
                log_full_errno(level, 0, "%s", buf);
}

/* The job's user by name if it is the job's uid; else the number (a sweep
 * may meet many users, and getpwuid per process would be slow). */
static const char *user_of(const EpRequest *req, uid_t uid, char *buf, size_t size) {
        if (req->user && req->have_uid && uid == req->uid)
                return req->user;
        (void) snprintf(buf, size, "%u", (unsigned) uid);
        return buf;
}

/* The real uid; the owner of /proc/PID for an entry whose ids were never
 * read (one spared without a look, in a running job's cgroup). */
static uid_t uid_of(const ProcEntry *e) {
        return e->have_ids ? e->uid : e->owner;
}

void report_process(EpReport *rep, const ProcTable *t, ProcEntry *e, const char *reason, const char *action,
                    const char *result) {
        char ubuf[16];
        json_t *o;
        uid_t uid = uid_of(e);
        const char *user = user_of(rep->req, uid, ubuf, sizeof ubuf);
        if (t)
                (void) proc_entry_load(t, e, PROC_LOAD_CMDLINE);
        o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s?, s:I, s:s, s:s, s:s, s:s}", "type", "process", "pid",
                      (int) e->pid, "uid", (json_int_t) uid, "user", user, "comm", e->comm, "cmdline", e->cmdline,
                      "start_time", (json_int_t) e->start_time, "state", (char[2]){ e->state ? e->state : '?', 0 },
                      "reason", reason ? reason : "", "action", action, "result", result);
        if (o)
                (void) json_array_append_new(rep->records, o);
        report_detail(rep,
                      streq(action, "kill") && !streq(result, "killed") && !streq(result, "dry-run") ? LOG_WARNING
                                                                                                     : LOG_INFO,
                      "%s pid %d uid %u (%s) [%s]: %s: %s", action, (int) e->pid, (unsigned) uid, e->comm,
                      e->cmdline ? e->cmdline : "", reason ? reason : "", result);
}

void report_file(EpReport *rep, const char *kind, const char *user, uid_t uid, const char *path, const char *dest,
                 const char *action, const char *result, const char *detail) {
        json_t *o = json_pack("{s:s, s:s, s:s?, s:I, s:s, s:s?, s:s, s:s, s:s?}", "type", kind, "kind", kind, "user",
                              user, "uid", (json_int_t) uid, "path", path, "quarantined_to", dest, "action", action,
                              "result", result, "detail", detail);
        if (o)
                (void) json_array_append_new(rep->records, o);
        report_detail(rep, streq(result, "failed") ? LOG_WARNING : LOG_INFO, "%s %s %s%s%s: %s%s%s", action, kind, path,
                      dest ? " -> " : "", dest ? dest : "", result, detail ? ": " : "", detail ? detail : "");
}

void report_annotate_last(EpReport *rep, const char *key, const char *value) {
        size_t n = json_array_size(rep->records);
        json_t *o = n ? json_array_get(rep->records, n - 1) : NULL;
        if (o && value)
                (void) json_object_set_new(o, key, json_string(value));
}

void report_listener(EpReport *rep, const ProcEntry *e, const char *proto, const char *address, unsigned port,
                     const char *path) {
        json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:i}", "type", "listener", "pid", (int) e->pid, "uid",
                              (json_int_t) uid_of(e), "comm", e->comm, "proto", proto, "address", address, "port",
                              (int) port);
        (void) path;
        if (o)
                (void) json_array_append_new(rep->records, o);
        rep->listeners++;
        if (streq(proto, "unix"))
                report_detail(rep, LOG_WARNING, "listener: pid %d (%s) uid %u holds a listening unix socket %s",
                              (int) e->pid, e->comm, (unsigned) uid_of(e), address);
        else
                report_detail(rep, LOG_WARNING, "listener: pid %d (%s) uid %u listens on %s %s port %u", (int) e->pid,
                              e->comm, (unsigned) uid_of(e), proto, address, port);
}

static void append(char *buf, size_t size, bool *first, const char *fmt, ...) _printf_(4, 5);
static void append(char *buf, size_t size, bool *first, const char *fmt, ...) {
        size_t len = strlen(buf);
        va_list ap;
        if (len + 3 >= size)
                return;
        if (!*first) {
                strcat(buf, ", ");
                len += 2;
        }
        *first = false;
        va_start(ap, fmt);
        (void) vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

int report_finish(EpReport *rep) {
        const EpRequest *req = rep->req;
        bool clean = rep->survivors == 0 && rep->protected_ == 0 && rep->strip_failures == 0;
        int code = clean ? EP_EXIT_CLEAN : EP_EXIT_DIRTY;
        char line[1024] = "", who[512];
        bool first = true;

        who_of(req, who, sizeof who);

        if (req->dry_run) {
                append(line, sizeof line, &first, "dry run: would kill %u process%s", rep->would_kill,
                       rep->would_kill == 1 ? "" : "es");
        } else
                append(line, sizeof line, &first, "killed %u process%s", rep->killed, rep->killed == 1 ? "" : "es");
        if (rep->crontabs || rep->at_jobs) {
                const char *verb = req->dry_run ? "would quarantine" : "quarantined";
                char crons[32] = "", ats[32] = "";
                /* "crontab" for the one user's crontab, "3 crontabs" in a sweep */
                if (rep->crontabs == 1)
                        (void) snprintf(crons, sizeof crons, "crontab");
                else if (rep->crontabs > 1)
                        (void) snprintf(crons, sizeof crons, "%u crontabs", rep->crontabs);
                if (rep->at_jobs)
                        (void) snprintf(ats, sizeof ats, "%u at job%s", rep->at_jobs, rep->at_jobs == 1 ? "" : "s");
                append(line, sizeof line, &first, "%s %s%s%s", verb, crons, *crons && *ats ? " and " : "", ats);
        }
        if (rep->lingers)
                append(line, sizeof line, &first, "%s linger", req->dry_run ? "would remove" : "removed");
        if (rep->ipc_objects)
                append(line, sizeof line, &first, "%s %u IPC object%s", req->dry_run ? "would remove" : "removed",
                       rep->ipc_objects, rep->ipc_objects == 1 ? "" : "s");
        if (rep->tmp_entries)
                append(line, sizeof line, &first, "%s %u tmp file%s", req->dry_run ? "would clean" : "cleaned",
                       rep->tmp_entries, rep->tmp_entries == 1 ? "" : "s");
        if (rep->traces_spared)
                append(line, sizeof line, &first, "left %u trace%s of a running job", rep->traces_spared,
                       rep->traces_spared == 1 ? "" : "s");
        if (rep->listeners)
                append(line, sizeof line, &first, "%u listening socket%s", rep->listeners,
                       rep->listeners == 1 ? "" : "s");
        if (rep->spared)
                append(line, sizeof line, &first, "spared %u of running jobs", rep->spared);
        if (rep->continued)
                append(line, sizeof line, &first, "continued %u stopped parent%s", rep->continued,
                       rep->continued == 1 ? "" : "s");
        if (rep->survivors)
                append(line, sizeof line, &first, "%u SURVIVED%s", rep->survivors, rep->unkillable ? " (D state)" : "");
        if (rep->protected_)
                append(line, sizeof line, &first, "%u protected left in the job's cgroup", rep->protected_);
        if (rep->strip_failures)
                append(line, sizeof line, &first, "%u strip failure%s", rep->strip_failures,
                       rep->strip_failures == 1 ? "" : "s");
        append(line, sizeof line, &first, "%s",
               req->dry_run ? "nothing changed"
               : clean      ? "node clean"
                            : "NODE NOT CLEAN");

        if (req->json) {
                size_t i;
                json_t *o;
                json_array_foreach(rep->records, i, o) {
                        char *s = json_dumps(o, JSON_COMPACT);
                        if (s) {
                                puts(s);
                                free(s);
                        }
                }
                o = json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
                              "s:i, s:i, s:s}",
                              "type", "summary", "mode", ep_mode_name(req->mode), "job", req->job, "user", req->user,
                              "dry_run", req->dry_run, "clean", clean, "killed", (int) rep->killed, "would_kill",
                              (int) rep->would_kill, "survivors", (int) rep->survivors, "unkillable",
                              (int) rep->unkillable, "recycled", (int) rep->recycled, "spared", (int) rep->spared,
                              "protected", (int) rep->protected_, "crontabs", (int) rep->crontabs, "at_jobs",
                              (int) rep->at_jobs, "lingers", (int) rep->lingers, "listeners", (int) rep->listeners,
                              "strip_failures", (int) rep->strip_failures, "message", line);
                if (o) {
                        json_t *ex = json_integer(code);
                        (void) json_object_set_new(o, "exit", ex);
                        (void) json_object_set_new(o, "continued", json_integer(rep->continued));
                        (void) json_object_set_new(o, "ipc_objects", json_integer(rep->ipc_objects));
                        (void) json_object_set_new(o, "tmp_files", json_integer(rep->tmp_entries));
                        (void) json_object_set_new(o, "traces_spared", json_integer(rep->traces_spared));
                        char *s = json_dumps(o, JSON_COMPACT);
                        if (s) {
                                puts(s);
                                free(s);
                        }
                        json_decref(o);
                }
        } else if (!req->quiet)
                printf("corral-epilogue: %s: %s\n", who, line);
        (void) fflush(stdout);
        report_detail(rep, LOG_NOTICE, "%s", line); /* it adds who */
        return code;
}
