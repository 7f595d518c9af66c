/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epilogue.h — what the files of corral-epilogue share: the request (how we
 * were called, conventions.c; the request itself and the entry points are
 * epilogue-api.h), the paths we touch, the target classification
 * (targets.c), the kill loop (kill.c), deferred-execution stripping
 * (cronstrip.c, atstrip.c, linger.c, allowfiles.c, quarantine.c), listeners
 * (listeners.c) and the report (report.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "epilogue-api.h"
#include "macro.h"
#include "policy.h"
#include "proctable.h"

/* conventions.c: parse argv and the environment. Returns 0, 1 when --help or
 * --version was handled (printed to stdout), or -EINVAL with *ret_error set
 * to a one-line message (malloc'd). Pure: no user lookups, no files. */
int ep_parse_args(int argc, char **argv, char **envp, EpRequest *ret, char **ret_error);
/* *ret_error = the message (for a bad argument or request field); -EINVAL,
 * or -ENOMEM when the message cannot be made. */
int ep_usage_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
void ep_help(FILE *f);
/* Fills every NULL path of r->paths from r->root and the policy. */
int ep_resolve_paths(EpRequest *r, const Policy *p);
/* Validators used by the parser (exposed for tests). */
bool ep_job_id_valid(const char *s);
bool ep_user_name_valid(const char *s);
/* A cgroup path as --cgroup takes it: hierarchy-relative, absolute, no "..". */
bool ep_cgroup_path_valid(const char *s);
/* Grid Engine's name of a job's run, "JOB.TASK" (task 1 when task_id is NULL
 * or "undefined"), as in its active_jobs directory. 0 or -EINVAL. */
int ep_sge_job_key(const char *job_id, const char *task_id, char *buf, size_t size);

/* ---- jobs.c: cgroup membership read from cgroupfs ---- */

typedef struct PidSet {
        pid_t *pids; /* sorted */
        size_t n, cap;
} PidSet;

void pidset_done(PidSet *s);
bool pidset_contains(const PidSet *s, pid_t pid);
/* Adds the pids of cgroup path (hierarchy-relative, e.g. /corral/job-7) and
 * of every cgroup below it, on every mounted hierarchy (v1 and v2) where it
 * exists; skip (if not NULL) is a cgroup whose subtree is left out. Returns
 * the number of hierarchies it was found on, or -errno. */
int pidset_add_cgroup(PidSet *s, const char *path, const char *skip);
/* Sorts after adding. */
void pidset_seal(PidSet *s);

/* ---- targets.c ---- */

typedef enum EpVerdict {
        EP_IGNORE, /* not ours to judge (other users, system, dead) */
        EP_TARGET, /* kill */
        EP_SPARED, /* the user's, but belongs to a running job / ssh / us */
        EP_PROTECTED, /* in the job's cgroup but exempt / outside min_uid..max_uid: not touched, reported */
} EpVerdict;

typedef struct EpTargetRules {
        EpMode mode;
        bool have_uid; /* per-user modes: the user's uid */
        uid_t uid;
        bool user_eligible; /* the user is >= min_uid, <= max_uid, not exempt, in range */
        uid_t min_uid;
        uid_t max_uid; /* 0: no upper bound */
        bool have_uid_range;
        uid_t uid_range_min, uid_range_max;
        uid_t *exempt_uids;
        size_t n_exempt;
        const char *cgroup; /* the ended job's cgroup or NULL */
        pid_t session; /* the ended Torque job's session or 0 */
        const char *job; /* the ended job's id (Slurm: SLURM_JOB_ID; SGE: JOB_ID.TASK) */
        const pid_t *keep_sessions;
        size_t n_keep_sessions;
        char *const *keep_cgroups;
        char *const *job_cgroup_parents;
        const char *mom_name;
        bool spare_ssh;
        pid_t self; /* the epilogue: it and its ancestors are never targets */
        /* filled per scan by ep_rules_refresh(): pids in the ended job's
         * cgroup, and in running jobs' cgroups */
        struct PidSet *ended_pids, *running_pids;
        /* per scan, built on demand: the user's running Slurm/SGE jobs
         * (targets.c) */
        struct EpRunningJobs *running_jobs;
} EpTargetRules;

/* Re-reads the cgroup memberships (ended job, running jobs) for a scan. */
int ep_rules_refresh(EpTargetRules *rules);
void ep_rules_done(EpTargetRules *rules);

/* Classifies one entry; *ret_reason is a static or rules-owned string,
 * reason_buf (at least 128 bytes) may be used. May load cmdline/cgroup. */
EpVerdict ep_classify(const EpTargetRules *rules, ProcTable *t, ProcEntry *e, char *reason_buf, size_t bufsize,
                      const char **ret_reason);
/* nobody: the kernel's overflow uid, never eligible */
#define EP_UID_NOBODY ((uid_t) 65534)
/* Never root, nobody or (uid_t) -1; min_uid..max_uid, not exempt, inside
 * --uid-range. */
bool ep_uid_eligible(const EpTargetRules *rules, uid_t uid);
/* Is a process of real uid uid the job's user's (any eligible uid's in a
 * sweep)? */
bool ep_uid_is_users(const EpTargetRules *rules, uid_t uid);
/* The cheap pre-filter: ep_uid_is_users() of the real uid if known, else of
 * the owner of /proc/PID (its euid, or root). */
bool ep_maybe_users(const EpTargetRules *rules, const ProcEntry *e);
/* Right before a target is stopped, with its ids read afresh: is it still
 * one by its real uid? */
bool ep_still_target(const EpTargetRules *rules, const ProcEntry *e);
/* Is e (stat loaded) in a session passed with --keep-session? */
bool ep_in_kept_session(const EpTargetRules *rules, const ProcEntry *e);
/* Is uid in busy[0..n) (users with a running job)? */
bool ep_uid_busy(const uid_t *busy, size_t n, uid_t uid);

/* ---- report.c ---- */

typedef struct EpReport {
        const EpRequest *req;
        json_t *records; /* array */
        unsigned killed, recycled, gone, survivors, unkillable, spared, protected_, would_kill, continued;
        unsigned crontabs, at_jobs, lingers, listeners, allow_files;
        unsigned ipc_objects, tmp_entries, traces_spared; /* traces.c */
        unsigned strip_failures;
        bool config_failure;
        FILE *log;
        bool use_syslog;
} EpReport;

int report_init(EpReport *rep, const EpRequest *req);
void report_done(EpReport *rep);
/* A detail line: to the log file, syslog or stderr (see report.c). */
void report_detail(EpReport *rep, int level, const char *fmt, ...) _printf_(3, 4);
/* One JSON record per action on a process. */
void report_process(EpReport *rep, const ProcTable *t, ProcEntry *e, const char *reason, const char *action,
                    const char *result);
/* One JSON record per action on a file (crontab, at job, linger, allow file). */
void report_file(EpReport *rep, const char *kind, const char *user, uid_t uid, const char *path, const char *dest,
                 const char *action, const char *result, const char *detail);
/* Adds key: value to the record report_file() appended last. */
void report_annotate_last(EpReport *rep, const char *key, const char *value);
void report_listener(EpReport *rep, const ProcEntry *e, const char *proto, const char *address, unsigned port,
                     const char *path);
/* Prints the JSON records (--json) or the short human summary; returns the exit code. */
int report_finish(EpReport *rep);

/* ---- kill.c ---- */

typedef struct EpKillStats {
        unsigned killed, survivors, unkillable, recycled, gone, would_kill, spared, protected_, rounds;
} EpKillStats;

/* Steps 1-3 and 5 of the algorithm: snapshot, classify, stop all, report
 * listeners, kill, re-scan until no target is left or the deadline passes.
 * *ret_users_with_jobs gets the uids that have a spared (running-job)
 * process (for the sweep's deferred stripping). */
int ep_kill_targets(const EpRequest *req, const Policy *p, EpTargetRules *rules, EpReport *rep, uid_t **ret_busy_uids,
                    size_t *ret_n_busy);

/* ---- listeners.c ---- */

typedef struct EpListener {
        unsigned long inode;
        char proto[8]; /* tcp tcp6 udp udp6 unix */
        char address[108]; /* numeric address, or the unix path ("@name" abstract) */
        unsigned port;
        uid_t uid; /* the socket's owner (inet only; unix: (uid_t) -1) */
} EpListener;

typedef struct EpListenerTable {
        EpListener *items;
        size_t n, cap;
        uint64_t *netns_seen; /* network namespaces already read */
        size_t n_netns;
        uint64_t own_netns; /* ours, with have_own_netns */
        bool have_own_netns;
        bool proc_only; /* tests: read /proc/PID/net only, never sock_diag */
        unsigned diag_tables, proc_tables; /* tables read each way (tests, debug) */
} EpListenerTable;

void listeners_done(EpListenerTable *lt);
/* Reads the listening/bound sockets of pid's network namespace (once per
 * namespace): through NETLINK_SOCK_DIAG, created in that namespace, or
 * where that fails from the text of /proc/PID/net. An inet socket is kept only if keep_uid(its uid) says so: a
 * node has listeners of its own, and matching every victim's fds against
 * them costs ~30 us a victim. */
int listeners_load_netns(EpListenerTable *lt, int proc_fd, pid_t pid, bool (*keep_uid)(uid_t uid, void *userdata),
                         void *userdata);
/* The same in two steps: the inode of pid's network namespace, then its
 * listeners (nothing when that namespace was read already). */
int listeners_netns_of(int proc_fd, pid_t pid, uint64_t *ret);
int listeners_load_netns_ino(EpListenerTable *lt, int proc_fd, pid_t pid, uint64_t ino,
                             bool (*keep_uid)(uid_t uid, void *userdata), void *userdata);
/* Calls cb for every listening socket pid holds open. Returns the count. */
int listeners_of_pid(const EpListenerTable *lt, int proc_fd, pid_t pid, void (*cb)(const EpListener *l, void *userdata),
                     void *userdata);
/* Pure parsers of /proc/net/{tcp,tcp6,udp,udp6} and /proc/net/unix lines
 * (unit-tested). Return 1 when the line is a listening/bound socket. */
int listeners_parse_inet_line(const char *line, bool v6, bool udp, EpListener *ret);
int listeners_parse_unix_line(const char *line, EpListener *ret);
/* Pure: a unix socket's name as sock_diag gives it (UNIX_DIAG_NAME: the
 * bytes of sun_path, len 0 for none) into the form of /proc/net/unix: the
 * path, "@name" for an abstract one, "(unnamed)". 0 or -EINVAL. */
int listeners_format_unix_name(const char *name, size_t len, char *buf, size_t size);

/* ---- quarantine.c ---- */

/* Moves dirfd/name into the quarantine dir (never deletes) with a JSON record
 * beside it. *ret_dest gets the new path (malloc'd). */
int quarantine_move(const char *qdir, const char *user, uid_t uid, const char *job, const char *kind,
                    const char *src_dir, const char *name, char **ret_dest);
/* Creates QDIR and QDIR/USER ("uid-N" without a name), root 0700; *ret_fd is
 * QDIR/USER opened O_DIRECTORY|O_NOFOLLOW. */
int quarantine_open_user_dir(const char *qdir, const char *user, uid_t uid, int *ret_fd);

/* ---- cronstrip.c / atstrip.c / linger.c / allowfiles.c ---- */

typedef struct EpStripTarget {
        const char *user; /* may be NULL in a sweep for an unknown uid */
        uid_t uid;
} EpStripTarget;

/* Per-user: quarantines the user's crontab, at jobs, linger flag. In a sweep
 * (user NULL) every entry whose owner passes eligible() and is not busy. */
int cron_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy);
int at_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy);
int linger_strip(const EpRequest *req, const EpTargetRules *rules, EpReport *rep, const uid_t *busy, size_t n_busy);
/* linger.c: tells logind (org.freedesktop.login1 SetUserLinger(uid, false,
 * false)) on the system bus, which stops the user's manager once the user
 * has no session. 1 when done, 0 when there is no one to tell (no system
 * bus, logind not running: never started for this), -errno otherwise with
 * *ret_error (malloc'd, may stay NULL) the bus error's text. */
int linger_logind_disable(uid_t uid, char **ret_error);
/* Does --logind (with the linger dir it applies to) ask for the call? */
bool linger_logind_wanted(EpLogind mode, const char *linger_dir);
/* Pure: the uid of an at job file's "# atrun uid=N gid=N" header. */
int at_parse_header_uid(const char *buf, uid_t *ret);

/* Keeps path equal to users (one a line; root 0644; atomic rename). Returns 1
 * if rewritten, 0 if already equal, -errno. */
int allowfile_sync(const char *path, char *const *users, bool dry_run);
/* Pure: does the content list exactly these users (order and blank lines and
 * comments ignored)? */
bool allowfile_content_equal(const char *content, char *const *users);

/* ---- traces.c: SysV IPC objects and files in tmp_dirs ---- */

typedef enum TraceVerdict {
        TRACE_IGNORE, /* not ours: another user, root, a system account */
        TRACE_CLEAN, /* the user's: removed (or quarantined) */
        TRACE_SPARE, /* the user's, but the user has a running job here */
} TraceVerdict;

/* Pure: a file (or anything with one owner) of uid. */
TraceVerdict traces_judge_uid(const EpTargetRules *rules, const uid_t *busy, size_t n_busy, uid_t uid);
/* Pure: a SysV IPC object with owner uid and creator cuid. The creator
 * decides (nobody can change it; the owner can be set to anyone by the
 * creator), unless the object was handed to another user we may not clean. */
TraceVerdict traces_judge_ipc(const EpTargetRules *rules, const uid_t *busy, size_t n_busy, uid_t uid, uid_t cuid);
/* Step 3: with the policy's clean_ipc and clean_tmp. Failures are counted in
 * rep->strip_failures. */
void traces_clean(const EpRequest *req, const Policy *p, const EpTargetRules *rules, EpReport *rep, const uid_t *busy,
                  size_t n_busy);
