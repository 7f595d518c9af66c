/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.c — the policy key table, loading with inheritance, the
 * cross-key validation that needs the resolved policy, and the [users] rule
 * (policy_user_allowed()). The table is the single source for parsing,
 * defaults, `corral policy show` and the docs. */
#include "policy.h"

#include <dirent.h>
#include <fnmatch.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "landlock.h"
#include "strv.h"
#include "syscall-groups.h"

static const char *const ns_values[] = { "host", "isolated", NULL };
static const char *const seccomp_mode_values[] = { "denylist", "allowlist", "off", NULL };
static const char *const seccomp_action_values[] = { "errno", "kill", "log", NULL };
/* in the order of LandlockMode */
static const char *const landlock_mode_values[] = { "auto", "required", "off", NULL };

#define OFF(f) offsetof(Policy, f)
#define KEY(sec, name, type_, idx, fld, ...)                                                                           \
        [idx] = { .section = sec, .key = name, .type = type_, .offset = OFF(fld), __VA_ARGS__ }

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)
#define TiB (UINT64_C(1) << 40)
#define DAY (UINT64_C(86400) * USEC_PER_SEC)
#define MAX_UID UINT64_C(4294967294)

const ConfKey policy_keys[_PK_MAX] = {
        KEY("policy", "description", CONF_STRING, PK_DESCRIPTION, description, .def = "",
            .help = "free text shown by `corral policy show` and `corral policies`"),
        KEY("policy", "inherit", CONF_STRING, PK_INHERIT, inherit, .def = "",
            .help = "name of a policy in the same directory whose values this one starts from"),

        KEY("users", "min_uid", CONF_UINT, PK_USERS_MIN_UID, min_uid, .min = 1, .max = MAX_UID, .def = "1000",
            .help = "lowest uid allowed to run jobs (root never is)"),
        KEY("users", "allow_users", CONF_NAMES, PK_ALLOW_USERS, allow_users, .def = "",
            .help = "if this or allow_groups is set, only these users may run jobs"),
        KEY("users", "allow_groups", CONF_NAMES, PK_ALLOW_GROUPS, allow_groups, .def = "",
            .help = "members (primary or supplementary) of these groups may run jobs"),
        KEY("users", "deny_users", CONF_NAMES, PK_DENY_USERS, deny_users, .def = "",
            .help = "these users may never run jobs (wins over the allow lists)"),
        KEY("users", "submit_from_jobs", CONF_BOOL, PK_SUBMIT_FROM_JOBS, submit_from_jobs, .def = "no",
            .help = "may a job of this policy submit jobs itself (corrald knows a job's processes by their cgroup "
                    "and PID namespace); no also hides the socket's directory from the job"),

        KEY("limits", "memory", CONF_SIZE, PK_MEMORY, memory, .min = 4 * MiB, .max = UINT64_MAX - 1, .def = "4G",
            .help = "memory limit of the job's cgroup (RAM, page cache included)"),
        KEY("limits", "swap", CONF_SIZE, PK_SWAP, swap, .min = 0, .max = UINT64_MAX - 1, .def = "0",
            .help = "swap the job may use on top of memory"),
        KEY("limits", "cpus", CONF_CPUS, PK_CPUS, cpus, .def = "1",
            .help = "CPU quota in CPUs (0.5 = half a CPU, 2 = two CPUs)"),
        KEY("limits", "tasks", CONF_UINT, PK_TASKS, tasks, .min = 1, .max = 4194304, .unlimited = true, .def = "512",
            .help = "processes and threads the job may have at once (stops fork bombs)"),
        KEY("limits", "walltime", CONF_DURATION, PK_WALLTIME, walltime, .min = USEC_PER_SEC, .max = USEC_INFINITY - 1,
            .def = "48h", .help = "longest run time; a submission may ask for less, never more"),
        KEY("limits", "max_mem", CONF_SIZE, PK_MAX_MEM, max_mem, .min = 0, .max = UINT64_MAX - 1, .def = "0",
            .help = "most memory a job may ask for with `corral submit --mem` (memory is the default of a job that "
                    "asks for none); 0: the value of memory"),
        KEY("limits", "max_cpus", CONF_UINT, PK_MAX_CPUS, max_cpus, .min = 0, .max = 1024, .unlimited = true,
            .def = "0",
            .help = "most CPUs a job may ask for, --cpus x --tasks (cpus is the default per task of a job that asks "
                    "for none); 0: the value of cpus"),
        KEY("limits", "nofile", CONF_UINT, PK_NOFILE, nofile, .min = 16, .max = 1048576, .def = "65536",
            .help = "RLIMIT_NOFILE: open files per process"),
        KEY("limits", "nproc", CONF_UINT, PK_NPROC, nproc, .min = 1, .max = 4194304, .unlimited = true,
            .def = "unlimited", .help = "RLIMIT_NPROC: processes of the user (the cgroup's tasks limit is per job)"),
        KEY("limits", "core", CONF_SIZE, PK_CORE, core, .min = 0, .max = UINT64_MAX - 1, .def = "0",
            .help = "RLIMIT_CORE: largest core dump"),
        KEY("limits", "fsize", CONF_SIZE, PK_FSIZE, fsize, .min = 0, .max = UINT64_MAX - 1, .def = "unlimited",
            .help = "RLIMIT_FSIZE: largest file the job may write"),
        KEY("limits", "stack", CONF_SIZE, PK_STACK, stack, .min = UINT64_C(64) * 1024, .max = UINT64_MAX - 1,
            .def = "8M", .help = "RLIMIT_STACK: stack size of the main thread"),

        KEY("namespaces", "user", CONF_ENUM, PK_NS_USER, ns_user, .values = ns_values, .def = "isolated",
            .help = "user namespace (the job's own uid and gid mapped to themselves only)"),
        KEY("namespaces", "pid", CONF_ENUM, PK_NS_PID, ns_pid, .values = ns_values, .def = "isolated",
            .help = "PID namespace: the job sees only its own processes, and all die with it"),
        KEY("namespaces", "mount", CONF_ENUM, PK_NS_MOUNT, ns_mount, .values = ns_values, .def = "isolated",
            .help = "mount namespace (own /proc, private /tmp, read-only and hidden paths)"),
        KEY("namespaces", "ipc", CONF_ENUM, PK_NS_IPC, ns_ipc, .values = ns_values, .def = "isolated",
            .help = "IPC namespace: SysV IPC and POSIX message queues private to the job"),
        KEY("namespaces", "uts", CONF_ENUM, PK_NS_UTS, ns_uts, .values = ns_values, .def = "isolated",
            .help = "UTS namespace (own hostname)"),
        KEY("namespaces", "net", CONF_ENUM, PK_NS_NET, ns_net, .values = ns_values, .def = "host",
            .help = "network namespace: isolated leaves the job only a loopback interface"),

        KEY("filesystem", "private_tmp", CONF_BOOL, PK_PRIVATE_TMP, private_tmp, .def = "yes",
            .help = "an empty /tmp for the job, gone when it ends"),
        KEY("filesystem", "private_devshm", CONF_BOOL, PK_PRIVATE_DEVSHM, private_devshm, .def = "yes",
            .help = "an empty /dev/shm for the job"),
        KEY("filesystem", "private_dev", CONF_BOOL, PK_PRIVATE_DEV, private_dev, .def = "yes",
            .help = "a /dev of the job's own: null, zero, full, random, urandom, tty, its own pts and ptmx, shm, "
                    "mqueue, and the devices listed; the device cgroup allows those and no other device"),
        KEY("filesystem", "private_root", CONF_BOOL, PK_PRIVATE_ROOT, private_root, .def = "yes",
            .help = "a root of the job's own (pivot_root): the job's mount table lists its own mounts, not the "
                    "host's, and /sys/fs/cgroup shows its own cgroups, not other jobs'"),
        KEY("filesystem", "devices", CONF_PATHS, PK_DEVICES, devices, .def = "",
            .help = "host devices the job may use besides (private_dev): paths below /dev, glob patterns and "
                    "directories (/dev/nvidia*, /dev/infiniband); missing ones are skipped"),
        KEY("filesystem", "private_dirs", CONF_PATHS, PK_PRIVATE_DIRS, private_dirs, .def = "/var/tmp, /run/lock",
            .help = "more world-writable directories that get an empty tmpfs of the job's own, like /tmp"),
        KEY("filesystem", "read_only", CONF_PATHS, PK_READ_ONLY, read_only, .def = "",
            .help = "paths made read-only inside the job (missing paths are skipped)"),
        KEY("filesystem", "hide", CONF_PATHS, PK_HIDE, hide, .def = "",
            .help = "paths made inaccessible inside the job (missing paths are skipped)"),
        KEY("filesystem", "hostname", CONF_HOSTNAME, PK_HOSTNAME, hostname, .def = "corral-job",
            .help = "hostname inside the job (needs namespaces.uts = isolated)"),

        KEY("seccomp", "mode", CONF_ENUM, PK_SECCOMP_MODE, seccomp_mode, .values = seccomp_mode_values,
            .def = "denylist", .help = "denylist: deny what is listed; allowlist: allow only what is listed; off"),
        KEY("seccomp", "action", CONF_ENUM, PK_SECCOMP_ACTION, seccomp_action, .values = seccomp_action_values,
            .def = "errno", .help = "what a denied syscall does: fail with errno, kill the process, or only log"),
        KEY("seccomp", "errno", CONF_ERRNO, PK_SECCOMP_ERRNO, seccomp_errno, .def = "EPERM",
            .help = "the error a denied syscall returns when action = errno"),
        KEY("seccomp", "deny", CONF_SYSCALLS, PK_SECCOMP_DENY, seccomp_deny,
            .def = "@bpf, @clock, @cpu-emulation, @debug, @io-uring, @keyring, @module, @mount, @namespaces, "
                   "@obsolete, @privileged, @raw-io, @reboot, @swap, memfd_secret, userfaultfd",
            .help = "syscalls and @groups denied (denylist mode; in allowlist mode they are removed from allow)"),
        KEY("seccomp", "allow", CONF_SYSCALLS, PK_SECCOMP_ALLOW, seccomp_allow, .def = "",
            .help = "syscalls and @groups allowed (allowlist mode; in denylist mode, exceptions to deny)"),

        KEY("landlock", "mode", CONF_ENUM, PK_LANDLOCK_MODE, landlock_mode, .values = landlock_mode_values,
            .def = "auto",
            .help = "auto: what this kernel's Landlock can do, the rest reported; required: all of it or the job "
                    "does not start; off"),
        KEY("landlock", "scope", CONF_NAMES, PK_LANDLOCK_SCOPE, landlock_scope, .def = "abstract_unix, signal",
            .help = "what the job cannot reach outside itself: abstract_unix (abstract unix sockets), signal "
                    "(Linux 6.12)"),
        KEY("landlock", "read", CONF_PATHS, PK_LANDLOCK_READ, landlock_read, .def = "",
            .help = "if this or write is set, the job reaches only files below these paths (read, list, execute)"),
        KEY("landlock", "write", CONF_PATHS, PK_LANDLOCK_WRITE, landlock_write, .def = "",
            .help = "... and below these with every right (write, create, remove, rename)"),

        KEY("epilogue", "min_uid", CONF_UINT, PK_EP_MIN_UID, ep_min_uid, .min = 1, .max = MAX_UID, .def = "1000",
            .help = "the epilogue never touches processes or files of uids below this"),
        KEY("epilogue", "max_uid", CONF_UINT, PK_EP_MAX_UID, ep_max_uid, .min = 1, .max = MAX_UID, .def = "60000",
            .help = "nor of uids above this (Debian's static system accounts are 60000-64999, nobody 65534)"),
        KEY("epilogue", "exempt_users", CONF_NAMES, PK_EXEMPT_USERS, exempt_users, .def = "",
            .help = "users the epilogue never touches (service accounts above min_uid)"),
        KEY("epilogue", "grace", CONF_DURATION, PK_GRACE, grace, .min = 0, .max = 3600 * USEC_PER_SEC, .def = "10s",
            .help = "time between SIGTERM and SIGKILL (walltime, cancel)"),
        KEY("epilogue", "deadline", CONF_DURATION, PK_DEADLINE, deadline, .min = USEC_PER_SEC,
            .max = 3600 * USEC_PER_SEC, .def = "30s",
            .help = "how long the epilogue keeps re-scanning for survivors before it reports them"),
        KEY("epilogue", "kill_listeners", CONF_BOOL, PK_KILL_LISTENERS, kill_listeners, .def = "yes",
            .help = "kill processes holding listening sockets (always reported)"),
        KEY("epilogue", "strip_cron", CONF_BOOL, PK_STRIP_CRON, strip_cron, .def = "yes",
            .help = "quarantine the user's crontab"),
        KEY("epilogue", "strip_at", CONF_BOOL, PK_STRIP_AT, strip_at, .def = "yes",
            .help = "quarantine the user's at jobs"),
        KEY("epilogue", "strip_linger", CONF_BOOL, PK_STRIP_LINGER, strip_linger, .def = "yes",
            .help = "remove the user's systemd linger flag"),
        KEY("epilogue", "cron_allow", CONF_NAMES, PK_CRON_ALLOW, cron_allow, .def = "root",
            .help = "the users /etc/cron.allow lists (kept equal to this list)"),
        KEY("epilogue", "at_allow", CONF_NAMES, PK_AT_ALLOW, at_allow, .def = "root",
            .help = "the users /etc/at.allow lists (kept equal to this list)"),
        KEY("epilogue", "quarantine_dir", CONF_PATH, PK_QUARANTINE_DIR, quarantine_dir,
            .def = "/var/lib/corral/quarantine", .help = "where crontabs and at jobs are moved to"),
        KEY("epilogue", "spare_ssh", CONF_BOOL, PK_SPARE_SSH, spare_ssh, .def = "no",
            .help = "spare the user's interactive ssh sessions (and what they started)"),
        KEY("epilogue", "clean_ipc", CONF_BOOL, PK_CLEAN_IPC, clean_ipc, .def = "yes",
            .help = "remove the SysV shared memory, semaphore sets and message queues the user created"),
        KEY("epilogue", "clean_tmp", CONF_BOOL, PK_CLEAN_TMP, clean_tmp, .def = "yes",
            .help = "quarantine or remove the user's files in tmp_dirs"),
        KEY("epilogue", "tmp_dirs", CONF_PATHS, PK_TMP_DIRS, tmp_dirs, .def = "/dev/shm, /tmp, /var/tmp, /run/lock",
            .help = "the world-writable directories clean_tmp empties of the user's files"),
        KEY("epilogue", "tmp_quarantine_max", CONF_SIZE, PK_TMP_QUARANTINE_MAX, tmp_quarantine_max, .min = 0,
            .max = UINT64_MAX - 1, .def = "64M",
            .help = "bytes of the user's tmp files kept in quarantine per run; the rest is removed (0: remove all)"),

        KEY("job", "env_deny", CONF_ENVNAMES, PK_ENV_DENY, env_deny, .def = "",
            .help = "environment variables (names, glob patterns such as LD_*) a job never gets: dropped from the "
                    "exported environment, refused when set with -E"),
};

const ConfSchema policy_schema = {
        .what = "policy",
        .keys = policy_keys,
        .n_keys = _PK_MAX,
        .origin_offset = offsetof(Policy, origin),
        .files_offset = offsetof(Policy, files),
};

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        conf_free_values(&policy_schema, p);
        free(p->name);
        free(p->path);
        strv_free(p->chain);
        free(p);
        return NULL;
}

bool policy_name_valid(const char *name) {
        return conf_name_valid(name) && name[0] != '.';
}

int policy_new_defaults(Policy **ret) {
        _cleanup_policy_free_ Policy *p = calloc(1, sizeof(Policy));
        int r;

        if (!p)
                return -ENOMEM;
        r = conf_init_defaults(&policy_schema, p);
        if (r < 0)
                return r;
        p->name = strdup("builtin");
        p->chain = calloc(1, sizeof(char *));
        if (!p->name || !p->chain)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- cross-key validation ---- */

/* What validation needs of an expanded deny or allow list: whether it names
 * execve, and whether it is empty. A scan, not a set: the lists expand to a
 * few hundred names, and building a de-duplicated set of them dominated the
 * cost of loading a policy (which the launcher, the epilogue and corrald's
 * helper each do for every job). */
typedef struct ExpandScan {
        size_t n;
        bool execve;
} ExpandScan;

static int scan_name(const char *name, void *userdata) {
        ExpandScan *sc = userdata;
        sc->n++;
        sc->execve = sc->execve || streq(name, "execve");
        return 0;
}

static int scan_list(char *const *entries, ExpandScan *ret) {
        *ret = (ExpandScan){};
        for (char *const *e = entries; e && *e; e++) {
                int r = syscall_expand(*e, scan_name, ret);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void diag_at(const Policy *p, ConfDiags *d, PolicyKey k, const char *fmt, ...) _printf_(4, 5);
static void diag_at(const Policy *p, ConfDiags *d, PolicyKey k, const char *fmt, ...) {
        const ConfOrigin *o = &p->origin[k];
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        conf_diags_add(d, o->line ? o->file : (p->path ? p->path : "builtin"), o->line, "%s", msg);
}

int policy_validate(const Policy *p, ConfDiags *d) {
        int errors = 0;

        /* A job always execs its command after the filter is loaded: a
         * policy that denies execve can never launch anything. */
        if (p->seccomp_mode == SECCOMP_MODE_DENYLIST || p->seccomp_mode == SECCOMP_MODE_ALLOWLIST) {
                ExpandScan deny, allow;
                if (scan_list(p->seccomp_deny, &deny) < 0 || scan_list(p->seccomp_allow, &allow) < 0)
                        return -ENOMEM;
                if (p->seccomp_mode == SECCOMP_MODE_DENYLIST && p->seccomp_action != SECCOMP_ACT_LOG && deny.execve &&
                    !allow.execve) {
                        diag_at(p, d, PK_SECCOMP_DENY, "'deny' denies execve: no job could ever start");
                        errors++;
                }
                if (p->seccomp_mode == SECCOMP_MODE_ALLOWLIST) {
                        if (allow.n == 0) {
                                diag_at(p, d, PK_SECCOMP_MODE, "mode = allowlist needs a non-empty 'allow' list");
                                errors++;
                        } else if (!allow.execve || deny.execve) {
                                diag_at(p, d, PK_SECCOMP_ALLOW,
                                        "the allowlist does not allow execve: no job could ever start (add @default)");
                                errors++;
                        }
                }
        }
        if (p->grace > p->deadline) {
                char a[FORMAT_BUF], b[FORMAT_BUF];
                diag_at(p, d, PK_GRACE, "grace (%s) is longer than deadline (%s)", format_duration(a, p->grace),
                        format_duration(b, p->deadline));
                errors++;
        }
        if (p->ep_min_uid > p->ep_max_uid) {
                diag_at(p, d, PK_EP_MAX_UID,
                        "[epilogue] max_uid (%" PRIu64 ") is below min_uid (%" PRIu64
                        "): the epilogue could clean no user (raise max_uid)",
                        p->ep_max_uid, p->ep_min_uid);
                errors++;
        }
        for (char **s = p->landlock_scope; s && *s; s++)
                if (!landlock_scope_name_valid(*s)) {
                        diag_at(p, d, PK_LANDLOCK_SCOPE,
                                "unknown Landlock scope '%s' (known: abstract_unix, signal; empty for none)", *s);
                        errors++;
                }
        if (p->ns_uts == NS_HOST && p->origin[PK_HOSTNAME].line > 0) {
                diag_at(p, d, PK_HOSTNAME, "hostname is set but namespaces.uts = host: the job would rename the node");
                errors++;
        }
        for (char **dv = p->devices; dv && *dv; dv++)
                if (strncmp(*dv, "/dev/", 5) != 0 || !(*dv)[5]) {
                        diag_at(p, d, PK_DEVICES,
                                "devices: '%s' is not below /dev (a device node, a glob pattern "
                                "of them or a directory of them: /dev/nvidia0, /dev/nvidia*, /dev/infiniband)",
                                *dv);
                        errors++;
                }
        if (strv_length(p->devices) && !p->private_dev) {
                diag_at(p, d, PK_DEVICES,
                        "devices is set but private_dev = no: the job sees every device of the host anyway (set "
                        "private_dev = yes, or remove devices)");
                errors++;
        }
        if (p->private_root && p->ns_mount == NS_HOST && p->origin[PK_PRIVATE_ROOT].line > 0) {
                diag_at(p, d, PK_PRIVATE_ROOT,
                        "private_root = yes needs namespaces.mount = isolated (set it, or private_root = no)");
                errors++;
        }
        if ((p->private_tmp || p->private_devshm || p->private_dev || strv_length(p->private_dirs) ||
             strv_length(p->read_only) || strv_length(p->hide)) &&
            p->ns_mount == NS_HOST) {
                diag_at(p, d, PK_NS_MOUNT,
                        "namespaces.mount = host, but [filesystem] asks for private or read-only paths, which need "
                        "an isolated mount namespace");
                errors++;
        }
        return errors > 0 ? -EINVAL : 0;
}

/* ---- loading ---- */

static int find_in_dir(const char *dir, const char *name, char **ret) {
        char *path;
        if (asprintf(&path, "%s/%s.ini", dir, name) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0) {
                int r = negative_errno();
                free(path);
                return r;
        }
        *ret = path;
        return 0;
}

static char *name_from_path(const char *path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
                n -= 4;
        return strndup(base, n);
}

static char *dir_from_path(const char *path) {
        const char *slash = strrchr(path, '/');
        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t) (slash - path));
}

static void free_staged(Policy **staged, size_t n) {
        for (size_t i = 0; i < n; i++)
                policy_free(staged[i]);
}

int policy_load_file(const char *path, unsigned flags, Policy **ret, ConfDiags *d) {
        Policy *staged[POLICY_MAX_DEPTH + 1] = { 0 };
        size_t n = 0;
        _cleanup_free_ char *dir = dir_from_path(path), *leaf_name = name_from_path(path);
        _cleanup_free_ char *cur = strdup(path);
        _cleanup_policy_free_ Policy *p = NULL;
        int r = 0, fail_r = -EINVAL;
        bool failed = false;

        if (!dir || !leaf_name || !cur)
                return -ENOMEM;

        /* Parse the chain leaf first, each file into its own staging object.
         * A file with errors is reported, and the chain still followed so that
         * the parent's errors show up in the same run. */
        while (cur) {
                Policy *s = calloc(1, sizeof(Policy));
                if (!s) {
                        free_staged(staged, n);
                        return -ENOMEM;
                }
                staged[n++] = s;
                s->path = strdup(cur);
                if (!s->path) {
                        free_staged(staged, n);
                        return -ENOMEM;
                }
                r = conf_parse_file(&policy_schema, cur, flags, s, d);
                if (r == -ENOMEM) {
                        free_staged(staged, n);
                        return r;
                }
                if (r < 0) {
                        /* a refused file (permissions) outranks content errors */
                        if (!failed || r == -EPERM)
                                fail_r = r;
                        failed = true;
                }

                free(cur);
                cur = NULL;
                if (!s->inherit || !s->inherit[0])
                        break;

                /* The parent: a valid name, in this directory, not already in
                 * the chain, and not too deep. */
                const ConfOrigin *o = &s->origin[PK_INHERIT];
                if (!policy_name_valid(s->inherit)) {
                        conf_diags_add(d, o->file, o->line, "invalid policy name '%s' in inherit", s->inherit);
                        failed = true;
                        break;
                }
                bool cycle = false;
                _cleanup_free_ char *parent_name = NULL;
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *nm = name_from_path(staged[i]->path);
                        if (nm && strcmp(nm, s->inherit) == 0)
                                cycle = true;
                }
                if (cycle) {
                        char chainbuf[1024] = "";
                        size_t off = 0;
                        for (size_t i = 0; i < n && off < sizeof chainbuf; i++) {
                                _cleanup_free_ char *nm = name_from_path(staged[i]->path);
                                off += (size_t) snprintf(chainbuf + off, sizeof chainbuf - off, "%s -> ",
                                                         nm ? nm : "?");
                        }
                        conf_diags_add(d, o->file, o->line, "inherit cycle: %s%s", chainbuf, s->inherit);
                        failed = true;
                        break;
                }
                if (n > POLICY_MAX_DEPTH) {
                        conf_diags_add(d, o->file, o->line, "inheritance deeper than %d levels", POLICY_MAX_DEPTH);
                        failed = true;
                        break;
                }
                r = find_in_dir(dir, s->inherit, &cur);
                if (r == -ENOMEM) {
                        free_staged(staged, n);
                        return r;
                }
                if (r < 0) {
                        conf_diags_add(d, o->file, o->line, "parent policy '%s' not found (no %s/%s.ini)", s->inherit,
                                       dir, s->inherit);
                        failed = true;
                        break;
                }
        }

        if (failed) {
                free_staged(staged, n);
                return fail_r == -EPERM ? -EPERM : -EINVAL;
        }

        /* Every file parsed: apply defaults, then the chain root first. */
        r = policy_new_defaults(&p);
        if (r < 0) {
                free_staged(staged, n);
                return r;
        }
        for (size_t i = n; i > 0; i--) {
                r = conf_apply(&policy_schema, p, staged[i - 1]);
                if (r >= 0)
                        r = strv_extend(&p->chain, staged[i - 1]->path);
                if (r < 0) {
                        free_staged(staged, n);
                        return r;
                }
        }
        free_staged(staged, n);
        free(p->name);
        p->name = TAKE_PTR(leaf_name);
        p->path = strdup(path);
        if (!p->path)
                return -ENOMEM;

        r = policy_validate(p, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load(const char *dir, const char *name, unsigned flags, Policy **ret, ConfDiags *d) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!policy_name_valid(name)) {
                conf_diags_add(d, name, 0, "invalid policy name");
                return -EINVAL;
        }
        r = find_in_dir(dir, name, &path);
        if (r == -ENOENT) {
                conf_diags_add(d, dir, 0, "no policy named '%s' (no %s/%s.ini)", name, dir, name);
                return r;
        }
        if (r < 0) {
                conf_diags_add(d, dir, 0, "cannot access policy '%s': %s", name, strerror(-r));
                return r;
        }
        return policy_load_file(path, flags, ret, d);
}

int policy_write_ini(const Policy *p, bool comments, FILE *f) {
        if (comments) {
                fprintf(f, "; effective policy '%s'", p->name);
                if (strv_length(p->chain) > 0) {
                        fprintf(f, " from");
                        for (char **c = p->chain; *c; c++)
                                fprintf(f, " %s%s", *c, c[1] ? " <-" : "");
                }
                fprintf(f, "\n; after each value: the file and line that set it, or 'default'\n");
        }
        return conf_write_ini(&policy_schema, p, comments, f);
}

json_t *policy_to_json(const Policy *p) {
        json_t *o = conf_to_json(&policy_schema, p), *chain = json_array();
        if (!o || !chain) {
                json_decref(o);
                json_decref(chain);
                return NULL;
        }
        for (char **c = p->chain; c && *c; c++)
                json_array_append_new(chain, json_string(*c));
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "path", p->path ? json_string(p->path) : json_null());
        json_object_set_new(o, "chain", chain);
        return o;
}

static int user_refused(char **ret_reason, const char *fmt, ...) _printf_(2, 3);
static int user_refused(char **ret_reason, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : -EPERM;
}

bool policy_user_needs_groups(const Policy *p) {
        return strv_length(p->allow_groups) > 0;
}

int policy_user_allowed(const Policy *p, uid_t uid, gid_t gid, const char *name, char *const *group_names,
                        char **ret_reason) {
        if (uid == 0)
                return user_refused(ret_reason, "user '%s' is root (uid 0): jobs never run as root", name);
        /* root's group owns and may write much of the system */
        if (gid == 0)
                return user_refused(ret_reason,
                                    "user '%s' has root's group as its primary group (gid 0): jobs never run as root",
                                    name);
        if (uid < p->min_uid)
                return user_refused(ret_reason, "user '%s': uid %u is below the policy's min_uid %llu", name,
                                    (unsigned) uid, (unsigned long long) p->min_uid);
        if (strv_contains(p->deny_users, name))
                return user_refused(ret_reason, "user '%s' is in the policy's deny_users", name);
        if (strv_length(p->allow_users) == 0 && strv_length(p->allow_groups) == 0)
                return 0;
        if (strv_contains(p->allow_users, name))
                return 0;
        for (char *const *g = group_names; g && *g; g++)
                if (strv_contains(p->allow_groups, *g))
                        return 0;
        return user_refused(ret_reason, "user '%s' is not in the policy's allow_users or allow_groups", name);
}

int policy_group_names(const gid_t *gids, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < n; i++) {
                struct group *g = getgrgid(gids[i]);
                if (g && !strv_contains(l, g->gr_name) && strv_extend(&l, g->gr_name) < 0)
                        return -ENOMEM;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int policy_list(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        DIR *dp;
        struct dirent *de;

        if (!l)
                return -ENOMEM;
        dp = opendir(dir);
        if (!dp)
                return negative_errno();
        while ((de = readdir(dp))) {
                size_t n = strlen(de->d_name);
                if (n <= 4 || strcmp(de->d_name + n - 4, ".ini") != 0)
                        continue;
                _cleanup_free_ char *nm = strndup(de->d_name, n - 4);
                if (!nm) {
                        closedir(dp);
                        return -ENOMEM;
                }
                if (!policy_name_valid(nm))
                        continue;
                if (strv_consume(&l, TAKE_PTR(nm)) < 0) {
                        closedir(dp);
                        return -ENOMEM;
                }
        }
        closedir(dp);
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return (int) strv_length(*ret);
}

bool policy_env_denied(const Policy *p, const char *name) {
        char buf[300];
        size_t n = strcspn(name, "=");
        if (n >= sizeof buf)
                return false; /* no valid name is that long */
        memcpy(buf, name, n);
        buf[n] = '\0';
        for (char **i = p->env_deny; i && *i; i++)
                if (fnmatch(*i, buf, 0) == 0)
                        return true;
        return false;
}
