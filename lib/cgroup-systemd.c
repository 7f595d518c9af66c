/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup-systemd.c — the "systemd" backend of cgroup.h: the job cgroup is a
 * transient scope "corral-job-ID.scope" in the slice named by the cgroup
 * parent ("corral" -> corral.slice), made over sd-bus, the way systemd-run
 * --scope does it:
 *
 *   1. create: connect to the system bus and ask systemd for the unit
 *      (GetUnit): "no such unit" says both that systemd answers and that the
 *      name is free; nothing is made yet (systemd makes no empty scope).
 *   2. attach (the job's first process waits on its pipe until then): a
 *      keeper process is forked (see below); StartTransientUnit(scope,
 *      "fail", Description, Slice, Delegate=yes, accounting, CollectMode=
 *      inactive-or-failed, MemoryMax, MemorySwapMax, CPUQuotaPerSecUSec,
 *      TasksMax, DevicePolicy=strict with DeviceAllow= when the job's
 *      devices are restricted, PIDs=[job, keeper]); the match for JobRemoved is installed
 *      before the call, and the call returns when the start job is removed.
 *      The scope's cgroup (its ControlGroup property) is then opened with the
 *      cgroupfs backend (cgroup_fs_open_path()), which signals, kills and
 *      reads usage there exactly as for its own cgroups, v1 or v2.
 *   3. kill: every process of the scope but the keeper, through that view.
 *   4. remove: the keeper is killed and reaped, then StopUnit, waiting for
 *      its JobRemoved; systemd removes the cgroup and collects the unit.
 *
 * Why a keeper: systemd stops a scope, and removes its cgroup, as soon as it
 * is empty, which is the moment the job's last process exits, before the
 * launcher reads memory.peak (memory.max_usage_in_bytes on v1), the CPU
 * times and the OOM count there; systemd 252 keeps no memory peak of its
 * own. The keeper is a forked copy of the launcher that only waits (all
 * signals blocked, oom_score_adj -1000, killed with its parent), so the scope
 * lives until usage is read. It counts as a task: TasksMax is the policy's
 * tasks + 1. Another process that opens the scope (corrald cancelling a job
 * whose launcher lives) knows it as the process named "corral-keeper" with
 * real uid 0 (a job never runs as root: min_uid >= 1) and spares it too, so
 * that the launcher still reads the usage.
 *
 * Errors: *ret_where says what failed ("corral-job-12.scope: cannot connect
 * to the system bus"), with the bus error's text where there is one. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "strv.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* how long a call and its job may take: systemd answers in milliseconds,
 * but a busy PID 1 (a daemon-reload) can hold the queue for seconds */
#define SD_CALL_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* the availability probe of "auto" must not hold a launch up for long */
#define SD_PROBE_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef struct SdJob {
        CgroupJob head;
        sd_bus *bus;
        char unit[SYSTEMD_UNIT_NAME_MAX];
        char slice[SYSTEMD_UNIT_NAME_MAX];
        CgroupLimits limits; /* its devices: NULL, see device_allow */
        char **device_allow; /* DeviceAllow= names; NULL: no device restriction */
        bool unified;
        bool started; /* the unit is ours: stop it at remove */
        pid_t keeper; /* our child that holds the scope */
        pid_t spare; /* the scope's keeper: ours, or a launcher's (opened) */
        CgroupJob *fs; /* the cgroupfs view of the scope's cgroup */
        /* the job being waited for */
        char *job_path;
        char *job_result;
} SdJob;

static void set_where(char **ret_where, const SdJob *j, const char *fmt, ...) _printf_(3, 4);
static void set_where(char **ret_where, const SdJob *j, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int n;

        if (!ret_where)
                return;
        va_start(ap, fmt);
        n = vasprintf(&what, fmt, ap);
        va_end(ap);
        free(*ret_where);
        *ret_where = NULL;
        if (n >= 0 && asprintf(ret_where, "%s: %s", j->unit, what) < 0)
                *ret_where = NULL;
}

static int bus_open(sd_bus **ret, uint64_t timeout_usec) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_method_call_timeout(bus, timeout_usec);
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Is systemd there and answering? (the bus itself answers Ping too:
 * ask systemd's own name) */
static int ping(sd_bus *bus, sd_bus_error *error) {
        return sd_bus_call_method(bus, SD_DEST, SD_PATH, "org.freedesktop.DBus.Peer", "Ping", error, NULL, "");
}

bool cgroup_systemd_available(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        if (sd_booted() <= 0)
                return false;
        if (bus_open(&bus, SD_PROBE_TIMEOUT_USEC) < 0)
                return false;
        return ping(bus, NULL) >= 0;
}

static bool is_unified(void) {
        struct statfs fs;
        return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SdJob *j = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        (void) ret_error;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (j->job_path && streq(path, j->job_path) && !j->job_result)
                j->job_result = strdup(result);
        return 0;
}

/* Calls a job-returning method of the manager (m) and waits for the job's
 * JobRemoved; the match is installed before the call, so the signal cannot
 * pass unseen. 0 when the job's result is "done"; -EIO otherwise, with the
 * result in *ret_where. A bus error goes to *error. */
static int call_job(SdJob *j, sd_bus_message *m, sd_bus_error *error, char **ret_where) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *method = sd_bus_message_get_member(m), *path;
        uint64_t deadline;
        int r;

        r = sd_bus_match_signal(j->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, j);
        if (r < 0) {
                set_where(ret_where, j, "cannot watch systemd's jobs");
                return r;
        }
        r = sd_bus_call(j->bus, m, SD_CALL_TIMEOUT_USEC, error, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                set_where(ret_where, j, "%s: unexpected reply", method);
                return r;
        }
        free(j->job_path);
        free(j->job_result);
        j->job_result = NULL;
        j->job_path = strdup(path);
        if (!j->job_path)
                return -ENOMEM;
        deadline = now_usec() + SD_CALL_TIMEOUT_USEC;
        while (!j->job_result) {
                uint64_t now = now_usec();
                if (now >= deadline) {
                        set_where(ret_where, j, "%s: the job %s did not finish in time", method, path);
                        return -ETIMEDOUT;
                }
                r = sd_bus_process(j->bus, NULL);
                if (r < 0) {
                        set_where(ret_where, j, "%s: the connection to the system bus broke", method);
                        return r;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(j->bus, deadline - now);
                if (r < 0 && r != -EINTR) {
                        set_where(ret_where, j, "%s: the connection to the system bus broke", method);
                        return r;
                }
        }
        if (!streq(j->job_result, "done")) {
                set_where(ret_where, j, "%s: the job's result is '%s'", method, j->job_result);
                return -EIO;
        }
        return 0;
}

/* The bus error's errno, with its text in *ret_where. */
static int bus_error(SdJob *j, int r, const sd_bus_error *error, const char *what, char **ret_where) {
        if (error && sd_bus_error_is_set(error)) {
                set_where(ret_where, j, "%s: %s", what, error->message ? error->message : error->name);
                return sd_bus_error_get_errno(error) > 0 ? -sd_bus_error_get_errno(error) : r;
        }
        if (ret_where && !*ret_where)
                set_where(ret_where, j, "%s", what);
        return r;
}

static int unit_object(SdJob *j, sd_bus_error *error, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *p;
        int r;

        r = sd_bus_call_method(j->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", error, &reply, "s", j->unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The scope's cgroup, opened with the cgroupfs backend. */
static int open_scope_cgroup(SdJob *j, char **ret_where) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *obj = NULL, *cg = NULL;
        int r;

        r = unit_object(j, &error, &obj);
        if (r >= 0)
                r = sd_bus_get_property_string(j->bus, SD_DEST, obj, "org.freedesktop.systemd1.Scope", "ControlGroup",
                                               &error, &cg);
        if (r < 0)
                return bus_error(j, r, &error, "cannot find the scope's cgroup", ret_where);
        if (isempty(cg)) {
                set_where(ret_where, j, "the scope has no cgroup");
                return -ENOENT;
        }
        free(j->head.path);
        j->head.path = TAKE_PTR(cg);
        r = cgroup_fs_open_path(j->head.path, j->spare, &j->fs);
        if (r < 0)
                set_where(ret_where, j, "cannot open its cgroup %s", j->head.path);
        return r;
}

static void sdjob_free(CgroupJob *head) {
        SdJob *j = (SdJob *) head;

        if (j->keeper > 0) {
                (void) kill(j->keeper, SIGKILL);
                (void) waitpid(j->keeper, NULL, 0);
        }
        j->fs = cgjob_free(j->fs);
        j->bus = sd_bus_flush_close_unref(j->bus);
        free(j->job_path);
        free(j->job_result);
        strv_free(j->device_allow);
        free(j->head.path);
        free(j);
}

static int sdjob_new(const char *parent, const char *name, SdJob **ret, char **ret_where) {
        SdJob *j;
        int r;

        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->head.backend = &cgroup_backend_systemd;
        r = systemd_slice_name(parent, sizeof j->slice, j->slice);
        if (r >= 0)
                r = systemd_scope_name(name, sizeof j->unit, j->unit);
        if (r < 0) {
                free(j);
                return r;
        }
        /* what ControlGroup will say for an unnested slice; replaced by it */
        if (asprintf(&j->head.path, "/%s/%s", j->slice, j->unit) < 0) {
                free(j);
                return -ENOMEM;
        }
        r = bus_open(&j->bus, SD_CALL_TIMEOUT_USEC);
        if (r < 0) {
                set_where(ret_where, j,
                          "cannot connect to the system bus (the systemd backend needs systemd as PID 1 and D-Bus; "
                          "elsewhere set cgroup_backend = cgroupfs or auto)");
                sdjob_free(&j->head);
                return r;
        }
        *ret = j;
        return 0;
}

static int sd_create(const char *parent, const char *name, const CgroupLimits *l, CgroupJob **ret, char **ret_where) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SystemdProperty props[SYSTEMD_PROPERTIES_MAX];
        SdJob *j = NULL;
        int r;

        r = sdjob_new(parent, name, &j, ret_where);
        if (r < 0)
                return r;
        /* never adopt another job's scope (StartTransientUnit would refuse
         * it too, but only after the job's process exists); systemd's
         * answer "no such unit" also says that it is there */
        {
                _cleanup_free_ char *obj = NULL;
                r = unit_object(j, &error, &obj);
                if (r >= 0) {
                        set_where(ret_where, j, "a unit of that name exists already (another job's)");
                        r = -EEXIST;
                        goto fail;
                }
                if (!sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                        r = bus_error(j, r, &error, "systemd does not answer on the system bus", ret_where);
                        goto fail;
                }
                sd_bus_error_free(&error);
        }
        j->limits = *l;
        /* the list is the caller's for create only: its names are kept */
        j->limits.devices = NULL;
        if (l->devices) {
                r = systemd_device_allow(l->devices, &j->device_allow);
                if (r < 0)
                        goto fail;
        }
        j->unified = is_unified();
        /* checked now, so that a limit systemd cannot take fails here */
        r = systemd_scope_properties("", j->slice, l, j->device_allow, 1, j->unified, props, &j->head.warnings);
        if (r < 0) {
                set_where(ret_where, j, "the limits cannot be expressed");
                goto fail;
        }
        *ret = &j->head;
        return 0;
fail:
        sdjob_free(&j->head);
        return r;
}

#define KEEPER_NAME "corral-keeper"

/* Is pid a keeper: named so, with real uid 0? */
static bool is_keeper(pid_t pid) {
        char path[64], buf[1024];
        _cleanup_fclose_ FILE *f = NULL;
        bool named = false;

        (void) snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(buf, sizeof buf, f)) {
                unsigned uid;
                if (strneq(buf, "Name:\t", 6))
                        named = streq(buf + 6, KEEPER_NAME "\n");
                else if (sscanf(buf, "Uid:\t%u", &uid) == 1)
                        return named && uid == 0;
        }
        return false;
}

/* The keeper of a scope that another process started, from the unit's
 * processes (GetUnitProcesses); 0 when there is none. */
static pid_t find_keeper(SdJob *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *cg, *cmdline;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(j->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnitProcesses", NULL, &reply, "s", j->unit);
        if (r < 0 || sd_bus_message_enter_container(reply, 'a', "(sus)") < 0)
                return 0;
        while (sd_bus_message_read(reply, "(sus)", &cg, &pid, &cmdline) > 0)
                if (pid > 0 && is_keeper((pid_t) pid))
                        return (pid_t) pid;
        return 0;
}

/* The keeper: a copy of this process that holds the scope (see the top of
 * the file). Between fork and _exit only async-signal-safe calls. */
static int keeper_start(pid_t *ret) {
        pid_t parent = getpid(), p;

        p = fork();
        if (p < 0)
                return negative_errno();
        if (p == 0) {
                int fd;
                sigset_t all;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                (void) prctl(PR_SET_NAME, KEEPER_NAME);
                (void) sigfillset(&all);
                (void) sigprocmask(SIG_BLOCK, &all, NULL);
                fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd >= 0)
                        for (int i = 0; i < 3; i++)
                                (void) dup2(fd, i);
                (void) close_range(3, ~0U, 0);
                fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void) !write(fd, "-1000", 5);
                        (void) close(fd);
                }
                for (;;)
                        (void) pause();
        }
        *ret = p;
        return 0;
}

static void keeper_stop(SdJob *j) {
        if (j->keeper <= 0)
                return;
        /* our unreaped child: its pid cannot have been reused */
        (void) kill(j->keeper, SIGKILL);
        (void) waitpid(j->keeper, NULL, 0);
        j->keeper = 0;
}

static int append_property(sd_bus_message *m, const SystemdProperty *p) {
        switch (p->type) {
        case 'b':
                return sd_bus_message_append(m, "(sv)", p->name, "b", (int) p->u);
        case 's':
                return sd_bus_message_append(m, "(sv)", p->name, "s", p->s);
        case 't':
                return sd_bus_message_append(m, "(sv)", p->name, "t", p->u);
        case 'A': {
                /* DeviceAllow: a(ss), (path or name, permissions) */
                int r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", p->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (char *const *d = p->strv; r >= 0 && d && *d; d++)
                        r = sd_bus_message_append(m, "(ss)", *d, "rwm");
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                return r;
        }
        default:
                return -EINVAL;
        }
}

static int start_scope(SdJob *j, pid_t pid, char **ret_where) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SystemdProperty props[SYSTEMD_PROPERTIES_MAX];
        char description[SYSTEMD_UNIT_NAME_MAX + 32];
        int n, r;

        (void) snprintf(description, sizeof description, "corral job %s", j->unit);
        n = systemd_scope_properties(description, j->slice, &j->limits, j->device_allow, 1, j->unified, props, NULL);
        if (n < 0)
                return n;
        r = sd_bus_message_new_method_call(j->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
        if (r >= 0)
                /* "fail": an existing unit of that name is another job's */
                r = sd_bus_message_append(m, "ss", j->unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        for (int i = 0; r >= 0 && i < n; i++)
                r = append_property(m, &props[i]);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 2, (uint32_t) pid, (uint32_t) j->keeper);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        r = call_job(j, m, &error, ret_where);
        if (r < 0 && sd_bus_error_is_set(&error)) {
                r = bus_error(j, r, &error, "StartTransientUnit", ret_where);
                /* the name was taken: the unit is not ours to stop */
                return r;
        }
        /* from the call on, the unit may exist: a failed start job leaves a
         * failed unit (collected), a timed-out one a unit to stop */
        j->started = true;
        return r;
}

static int sd_attach(CgroupJob *head, pid_t pid, char **ret_where) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SdJob *j = (SdJob *) head;
        int r;

        if (j->fs) {
                /* the scope exists: a further process joins it */
                r = sd_bus_call_method(j->bus, SD_DEST, SD_PATH, SD_MANAGER, "AttachProcessesToUnit", &error, NULL,
                                       "ssau", j->unit, "", 1, (uint32_t) pid);
                return r < 0 ? bus_error(j, r, &error, "AttachProcessesToUnit", ret_where) : 0;
        }
        if (j->started)
                return -ESTALE; /* a start that failed half-way */
        r = keeper_start(&j->keeper);
        if (r < 0) {
                set_where(ret_where, j, "cannot fork the process that holds the scope");
                return r;
        }
        j->spare = j->keeper;
        r = start_scope(j, pid, ret_where);
        if (r < 0)
                return r;
        return open_scope_cgroup(j, ret_where);
}

static int sd_open(const char *parent, const char *name, CgroupJob **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *obj = NULL;
        SdJob *j = NULL;
        int r;

        r = sdjob_new(parent, name, &j, NULL);
        if (r < 0)
                return r;
        r = unit_object(j, &error, &obj);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                        r = -ENOENT;
                goto fail;
        }
        j->started = true;
        j->spare = find_keeper(j);
        /* a scope whose cgroup is gone already has only the unit left to stop */
        r = open_scope_cgroup(j, NULL);
        if (r < 0 && r != -ENOENT)
                goto fail;
        *ret = &j->head;
        return 0;
fail:
        sdjob_free(&j->head);
        return r;
}

static int sd_signal(CgroupJob *head, int sig) {
        SdJob *j = (SdJob *) head;
        return j->fs ? cgjob_signal(j->fs, sig) : 0;
}

static int sd_kill(CgroupJob *head, uint64_t timeout_usec) {
        SdJob *j = (SdJob *) head;

        if (!j->started)
                return 0;
        if (j->spare <= 0) {
                /* no keeper (a lost job's scope, opened): systemd kills all,
                 * and the cgroupfs view waits until it is empty */
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                (void) sd_bus_call_method(j->bus, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", &error, NULL, "ssi",
                                          j->unit, "all", SIGKILL);
        }
        /* with a keeper, KillUnit would kill it too: the cgroupfs view
         * kills everything else (freeze first where it can) */
        return j->fs ? cgjob_kill(j->fs, timeout_usec) : 0;
}

static int sd_usage(CgroupJob *head, CgroupUsage *ret) {
        SdJob *j = (SdJob *) head;

        if (j->fs)
                return cgjob_usage(j->fs, ret);
        *ret = (CgroupUsage){
                .memory_peak = CGROUP_USAGE_UNKNOWN,
                .cpu_user_usec = CGROUP_USAGE_UNKNOWN,
                .cpu_system_usec = CGROUP_USAGE_UNKNOWN,
                .oom_kills = CGROUP_USAGE_UNKNOWN,
        };
        return 0;
}

static int sd_remove(CgroupJob *head, char **ret_where) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SdJob *j = (SdJob *) head;
        bool foreign = j->spare > 0 && j->spare != j->keeper;
        int r;

        keeper_stop(j);
        j->fs = cgjob_free(j->fs);
        if (!j->started)
                return 0;
        if (foreign) {
                /* opened, with a launcher's keeper: the scope goes now */
                _cleanup_(sd_bus_error_free) sd_bus_error kerror = SD_BUS_ERROR_NULL;
                (void) sd_bus_call_method(j->bus, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", &kerror, NULL, "ssi",
                                          j->unit, "all", SIGKILL);
        }
        j->spare = 0;
        /* The scope is empty now, so systemd may be stopping it already:
         * StopUnit then joins that job, or finds no unit. */
        r = sd_bus_message_new_method_call(j->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", j->unit, "replace");
        if (r >= 0)
                r = call_job(j, m, &error, ret_where);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                r = 0;
        else if (r < 0)
                return sd_bus_error_is_set(&error) ? bus_error(j, r, &error, "StopUnit", ret_where) : r;
        j->started = false;
        return 0;
}

const CgroupBackend cgroup_backend_systemd = {
        .name = "systemd",
        .create = sd_create,
        .open = sd_open,
        .attach = sd_attach,
        .signal = sd_signal,
        .kill = sd_kill,
        .usage = sd_usage,
        .remove = sd_remove,
        .free = sdjob_free,
};
