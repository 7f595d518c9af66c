/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.h — job cgroups behind a backend interface. A job cgroup is created
 * with its limits under one corral parent ("corral/job-ID"), the job's first
 * process is placed in it (clone3(CLONE_INTO_CGROUP) where the backend offers
 * a cgroup fd, otherwise attached before it execs anything), and at the end
 * every process in it is killed, its usage read and the cgroup removed.
 *
 * Two backends: "cgroupfs" (cgroup-fs.c, libcgroup, cgroup v1, v2 and
 * hybrid) and "systemd" (cgroup-systemd.c: a transient scope
 * "corral-job-ID.scope" in the slice named by the parent, over sd-bus; its
 * create checks the bus and the name, its attach starts the unit with the
 * first pid, since systemd will not make an empty scope).
 *
 * Library rules: functions return 0 or -errno and never log; where a failure
 * concerns one controller's directory, *ret_where names it as
 * "memory:/corral/job-12" for the caller's message. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "nodeconf.h"

#define CGROUP_LIMIT_MAX UINT64_MAX
/* the cfs period used for the cpu quota (v1 cpu.cfs_period_us, v2 cpu.max) */
#define CGROUP_CPU_PERIOD_USEC UINT64_C(100000)
#define CGROUP_NAME_MAX 128
#define CGROUP_SETTINGS_MAX 8

struct DevList;

typedef struct CgroupLimits {
        uint64_t memory; /* bytes; CGROUP_LIMIT_MAX: none */
        uint64_t swap; /* bytes on top of memory */
        uint64_t cpus; /* millicpus: 1000 = one CPU */
        uint64_t tasks; /* processes and threads */
        /* the only devices the job may open or mknod (read, write, mknod),
         * every other one denied (devices.h); NULL: no device restriction.
         * Used by create only: the caller's list need not outlive it. */
        const struct DevList *devices;
} CgroupLimits;

#define CGROUP_USAGE_UNKNOWN UINT64_MAX
typedef struct CgroupUsage {
        uint64_t memory_peak; /* bytes */
        uint64_t cpu_user_usec, cpu_system_usec;
        uint64_t oom_kills;
} CgroupUsage;

/* Things a backend could not enforce on this node, but tolerated. */
enum {
        CGROUP_WARN_SWAP = 1 << 0, /* v1 without memory.memsw.*: swap not limited */
};

typedef struct CgroupBackend CgroupBackend;

/* The common head of every backend's job object. */
typedef struct CgroupJob {
        const CgroupBackend *backend;
        char *path; /* "/corral/job-12", relative to each hierarchy's root */
        unsigned warnings; /* CGROUP_WARN_* */
} CgroupJob;

struct CgroupBackend {
        const char *name;
        int (*prepare)(void);
        int (*state_key)(char **ret);
        int (*state_save)(char **ret);
        int (*state_restore)(const char *state);
        int (*create)(const char *parent, const char *name, const CgroupLimits *limits, CgroupJob **ret,
                      char **ret_where);
        int (*open)(const char *parent, const char *name, CgroupJob **ret);
        int (*clone_fd)(CgroupJob *j);
        int (*attach)(CgroupJob *j, pid_t pid, char **ret_where);
        int (*self_attach_fds)(CgroupJob *j, bool with_clone_fd, int *ret_fds, size_t n_max, char **ret_where);
        int (*signal)(CgroupJob *j, int sig);
        int (*kill)(CgroupJob *j, uint64_t timeout_usec);
        int (*usage)(CgroupJob *j, CgroupUsage *ret);
        int (*remove)(CgroupJob *j, char **ret_where);
        void (*free)(CgroupJob *j);
};

extern const CgroupBackend cgroup_backend_cgroupfs;
extern const CgroupBackend cgroup_backend_systemd;

/* The backend for a node config's cgroup_backend. AUTO: systemd when it is
 * PID 1 (sd_booted()) and answers on the system bus, cgroupfs otherwise;
 * cgroupfs for AUTO in a process with cgroup_delegation_set().
 * -EOPNOTSUPP for a backend not built in. */
int cgjob_backend_find(int kind, const CgroupBackend **ret);
/* Does systemd run this machine and answer on the system bus? (AUTO's test) */
bool cgroup_systemd_available(void);

/* ---- corrald's jobs inside its own delegated subtree (cgroup-delegate.c) ----
 *
 * corrald run as a systemd service with Delegate=yes makes its jobs' cgroups
 * with cgroupfs at "<unit>/jobs/job-ID" below its own cgroup, the same path
 * in every hierarchy. */

/* Is this process in a systemd service with Delegate=yes? systemd is PID 1,
 * the process's cgroup in systemd's hierarchy is a "*.service" and carries
 * systemd's "trusted.delegate" mark. *ret_unit_path: "/corral.slice/corrald.service".
 * A process in "<unit>/supervisor" (systemd 254's DelegateSubgroup=) counts
 * as in the unit. -ENOMEDIUM: no systemd or not a service; -EPERM: a service
 * without Delegate=yes; -EBUSY: cgroup v2 with controllers and no subgroup,
 * where systemd 252 could not start the next main process in the unit's
 * cgroup once it enables controllers for jobs (219/CGROUP). */
int cgroup_delegation_detect(char **ret_unit_path);
/* Moves every process of the unit's cgroup into "<unit>/supervisor" and
 * enables the controllers the unit has (cpu io memory pids) in "<unit>" and
 * "<unit>/jobs" (cgroup v2; on v1 only the leaf is made). *ret_where names
 * the cgroup a failure concerns. */
int cgroup_delegation_enter(const char *unit_path, char **ret_where);
/* "/a.slice/x.service" -> "a.slice/x.service/jobs" (a valid parent), or
 * -EINVAL. Pure. */
int cgroup_delegation_jobs_parent(const char *unit_path, char **ret);
/* The unit's path from /proc/PID/cgroup text: the "0::" line, else the
 * "name=systemd" one; -ENOENT. Pure. */
int cgroup_unit_path_from_proc(const char *text, char **ret);
/* Process-wide and inherited by forked children (corrald's helper and the
 * launchers it forks without exec): from now on AUTO and CGROUPFS give the
 * cgroupfs backend, and cgjob_create()/cgjob_open() with it use jobs_parent
 * whatever parent they are passed, so launch code needs to know nothing of
 * it. NULL: off. -EINVAL for an invalid parent. */
int cgroup_delegation_set(const char *jobs_parent);
const char *cgroup_delegation_parent(void);

/* Does the backend's expensive one-time set-up (libcgroup's cgroup_init()
 * takes 0.35-0.5 ms, mostly page faults) ahead of cgjob_create(), e.g. once
 * in a long-lived process that forks launchers (the children inherit it).
 * Optional; create does it when needed. Not worth a thread of its own: in
 * corral-launch that was slower than doing it in line. */
int cgjob_backend_prepare(const CgroupBackend *b);

/* The result of the backend's set-up as text, so that a short-lived
 * process can keep it (runcache.h) and skip the set-up next time:
 * state_key gives the text of everything the set-up depends on (cgroupfs:
 * the cgroup mounts of /proc/self/mountinfo and what a cgroup2 root offers),
 * -EALREADY when this process is set up already, -EOPNOTSUPP for a backend
 * without such state; state_save does the set-up if needed and describes
 * it; state_restore takes an earlier description (for the same key) instead
 * of doing the set-up, -EBADMSG when it does not parse. */
int cgjob_backend_state_key(const CgroupBackend *b, char **ret);
int cgjob_backend_state_save(const CgroupBackend *b, char **ret);
int cgjob_backend_state_restore(const CgroupBackend *b, const char *state);

/* The lines of /proc/self/mountinfo text that are cgroup or cgroup2 mounts,
 * as "FSTYPE MOUNTPOINT ROOT SUPEROPTIONS\n" (no mount ids, which change
 * without any change that matters). Pure; -EBADMSG for a malformed line. */
int cgroup_mounts_key(const char *mountinfo, char **ret);

/* A job cgroup name component: [A-Za-z0-9_.-], 1..CGROUP_NAME_MAX, not "."/"..". */
bool cgjob_name_valid(const char *name);
/* A parent: one or more valid components separated by '/', no leading '/'. */
bool cgjob_parent_valid(const char *parent);

/* The one rule for the name of job ID's cgroup: "job-ID", or "PARENT/job-ID"
 * when parent is not NULL (parent as the caller needs it: "corral",
 * "/corral"). corral-launch creates it; corrald and the epilogue find the job
 * by it. -EINVAL when "job-ID" is not a valid name (cgjob_name_valid()),
 * -ENAMETOOLONG when the result does not fit in size bytes; ret is untouched
 * on failure. */
int job_cgroup_name(const char *parent, const char *job_id, size_t size, char *ret);
/* The same for corrald's numeric job ids. */
int job_cgroup_name_num(const char *parent, int64_t job_id, size_t size, char *ret);

/* Where backend b puts job cgroup name of parent, relative to each
 * hierarchy's root, for those who find jobs by path (the epilogue, the job
 * record): cgroupfs "/PARENT/NAME" below "/PARENT"; systemd
 * "/SLICE.../corral-NAME.scope" below the slice's path. ret_parent may be
 * NULL. -EINVAL for an invalid parent or name, -ENAMETOOLONG when a result
 * does not fit in size bytes. */
int cgjob_backend_job_path(const CgroupBackend *b, const char *parent, const char *name, size_t size, char *ret_path,
                           char *ret_parent);

/* Creates parent/name with the limits; fails with -EEXIST if it already
 * exists (never adopts another job's cgroup). On failure nothing is left. */
int cgjob_create(const CgroupBackend *b, const char *parent, const char *name, const CgroupLimits *limits,
                 CgroupJob **ret, char **ret_where);
/* Opens an existing job cgroup (to kill and remove a lost job's). */
int cgjob_open(const CgroupBackend *b, const char *parent, const char *name, CgroupJob **ret);
/* An O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP) (the caller closes it), or
 * -EOPNOTSUPP when the job's controllers are not all on cgroup v2. */
int cgjob_clone_fd(CgroupJob *j);
/* Moves pid into the job cgroup in every hierarchy (idempotent). Moving
 * another process takes the kernel's global threadgroup lock, which costs an
 * RCU grace period (about 10 ms measured on v1): prefer the two below. */
int cgjob_attach(CgroupJob *j, pid_t pid, char **ret_where);
/* Opens (O_CLOEXEC: a child created by clone gets them anyway) the files
 * through which a new single-threaded process moves itself into the job
 * cgroup with cgroup_attach_self(): "tasks" of each v1 hierarchy; the v2
 * hierarchy only when with_clone_fd is false. Returns the count, or
 * -EOPNOTSUPP when some hierarchy cannot be joined that way (v2 without
 * CLONE_INTO_CGROUP): then use cgjob_attach() from the parent. */
#define CGROUP_SELF_ATTACH_MAX 8
int cgjob_self_attach_fds(CgroupJob *j, bool with_clone_fd, int ret_fds[static CGROUP_SELF_ATTACH_MAX],
                          char **ret_where);
/* In the new process, first thing: writes "0" (the caller itself) into each
 * fd and closes it. A single thread moving itself needs no global lock. */
int cgroup_attach_self(const int *fds, size_t n);
/* Sends sig to every process in the cgroup; returns the number signalled. */
int cgjob_signal(CgroupJob *j, int sig);
/* Kills every process (freeze + SIGKILL, or cgroup.kill) and waits until the
 * cgroup is empty; -ETIME if it is not empty after timeout_usec. */
int cgjob_kill(CgroupJob *j, uint64_t timeout_usec);
/* Fields the backend cannot read are CGROUP_USAGE_UNKNOWN. */
int cgjob_usage(CgroupJob *j, CgroupUsage *ret);
/* Removes the (empty) job cgroup from every hierarchy; the parent stays. */
int cgjob_remove(CgroupJob *j, char **ret_where);
CgroupJob *cgjob_free(CgroupJob *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupJob *, cgjob_free)
#define _cleanup_cgjob_free_ _cleanup_(cgjob_freep)

/* ---- for the backends only ---- */

/* The cgroupfs view of a cgroup that something else made (systemd's scope):
 * path "/a.slice/b.scope" below each hierarchy's root, in the hierarchies
 * where it exists (-ENOENT: none). spare: a pid in it that signal and kill
 * leave alone and do not count (0: none). */
int cgroup_fs_open_path(const char *path, pid_t spare, CgroupJob **ret);
/* One cgroup file, DIR/FILE, never through a symlink: read into buf
 * (NUL-terminated; the byte count) or written with value in one write(). */
int cgroup_fs_read_file(const char *dir, const char *file, char *buf, size_t size);
int cgroup_fs_write_file(const char *dir, const char *file, const char *value);

/* ---- the systemd unit names and properties (pure; unit-tested) ---- */

#define SYSTEMD_UNIT_NAME_MAX 256
/* The slice for a cgroup parent: "corral" -> "corral.slice", "a/b" ->
 * "a-b.slice" (systemd's nesting), "x.slice" as it is; '-' inside a
 * component is escaped "\x2d". -EINVAL for an invalid parent,
 * -ENAMETOOLONG when it does not fit. */
int systemd_slice_name(const char *parent, size_t size, char *ret);
/* Where a slice's cgroup is, relative to the hierarchy: "corral.slice" ->
 * "/corral.slice", "a-b.slice" -> "/a.slice/a-b.slice" (systemd nests a
 * slice in the one its name's prefix names), "-.slice" -> "/". -EINVAL for
 * a name that is not a slice, -ENAMETOOLONG when it does not fit. */
int systemd_slice_path(const char *slice, size_t size, char *ret);
/* "job-12" -> "corral-job-12.scope" */
int systemd_scope_name(const char *name, size_t size, char *ret);

typedef struct SystemdProperty {
        const char *name;
        char type; /* 'b', 's', 't' or 'A' (a(ss): each of strv with "rwm") */
        uint64_t u; /* 'b', 't' */
        const char *s; /* 's' */
        char *const *strv; /* 'A' */
} SystemdProperty;
#define SYSTEMD_PROPERTIES_MAX 16
/* The StartTransientUnit properties of a job scope (PIDs apart): the
 * description, slice, Delegate, accounting, CollectMode and the limits.
 * device_allow: the DeviceAllow= names (systemd_device_allow()), with
 * DevicePolicy=strict; NULL: no device restriction (limits->devices is not
 * read here). extra_tasks: processes of ours in the scope besides the job
 * (TasksMax counts them). unified: the memory controller is cgroup v2 (on v1
 * systemd does not apply MemorySwapMax: *ret_warnings gets
 * CGROUP_WARN_SWAP). Returns the count or -ERANGE. */
int systemd_scope_properties(const char *description, const char *slice, const CgroupLimits *limits,
                             char *const *device_allow, uint64_t extra_tasks, bool unified,
                             SystemdProperty ret[static SYSTEMD_PROPERTIES_MAX], unsigned *ret_warnings);
/* The DeviceAllow= names of a device list: a node's path ("/dev/nvidia0"),
 * or its systemd name where it has one ("char-pts", once for all its
 * majors); systemd looks paths up when it starts the scope and names in
 * /proc/devices. Each once. 0, or -ENOMEM. */
int systemd_device_allow(const struct DevList *l, char ***ret);

/* ---- the device cgroup (cgroup-devices.c) ----
 *
 * The same list three ways: v1 devices.allow lines after devices.deny "a";
 * on v2 a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the job cgroup;
 * for systemd DevicePolicy=strict and DeviceAllow= (above). Every allowed
 * device gets read, write and mknod ("rwm"). */

/* One devices.allow line: "c 195:0 rwm", "c 136:* rwm" (DEV_ANY_MINOR).
 * -EINVAL for a node that is not 'c' or 'b'. Pure. */
#define CGROUP_DEVICE_LINE_MAX 40
int cgroup_device_v1_line(char type, uint32_t major, uint32_t minor, char ret[static CGROUP_DEVICE_LINE_MAX]);

/* The v2 device program for a list: it returns 1 (allow) for an access to
 * a device in the list and 0 (deny) for any other. Instructions: 4 to load
 * the type, major and minor, then per distinct (type, major, minor) 5 (4
 * for every minor of a major), then 2 (deny). *ret: malloc'd struct
 * bpf_insn[*ret_n]. -E2BIG beyond CGROUP_DEVICE_BPF_MAX instructions,
 * -ENOMEM, -EINVAL for a node of another type. Pure. */
#define CGROUP_DEVICE_BPF_MAX 65536
struct bpf_insn;
int cgroup_device_bpf_program(const struct DevList *l, struct bpf_insn **ret, size_t *ret_n);
/* Loads that program and attaches it (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI,
 * as systemd does, so that programs of other managers above still apply)
 * to the v2 cgroup open at cgroup_fd. The kernel keeps it attached for as
 * long as the cgroup lives; no fd is left open. */
int cgroup_device_bpf_attach(int cgroup_fd, const struct DevList *l);

/* ---- the v1 <-> v2 setting-name mapping (pure; unit-tested) ---- */

typedef struct CgroupSetting {
        const char *file; /* "memory.limit_in_bytes" */
        char value[48];
} CgroupSetting;

enum {
        CGROUP_HAVE_MEMSW = 1 << 0, /* v1: memory.memsw.* exists */
};

/* The files and values that put limits on a controller ("memory", "cpu",
 * "pids") of cgroup version 1 or 2, in the order they must be written.
 * Returns the count (0: nothing to set) or -EINVAL/-EOPNOTSUPP. *ret_warnings
 * gets CGROUP_WARN_* for limits that cannot be expressed. */
int cgroup_limit_settings(const char *controller, int version, unsigned have, const CgroupLimits *limits,
                          CgroupSetting ret[static CGROUP_SETTINGS_MAX], unsigned *ret_warnings);
