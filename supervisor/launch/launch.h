/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch.h — what the files of corral-launch share: the exit codes, the
 * containment steps (for messages and the result record), the launch
 * settings, and the prototypes of each step's file. */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "devices.h"
#include "landlock.h"
#include "launch-main.h"
#include "policy.h"

/* Exit codes of corral-launch itself (documented in corral-launch(8)). Below
 * 200 the status is the job's, as a shell gives it: its exit code, 128+N when
 * it was killed by signal N, 127 when the command could not be executed. */
enum {
        EXIT_CANNOT_EXEC = 127,
        EXIT_USAGE = 200, /* bad command line, or not run as root */
        EXIT_POLICY = 201, /* node config or policy cannot be loaded */
        EXIT_USER = 202, /* unknown user, root, below min_uid, not allowed */
        EXIT_CGROUP = 203, /* cannot create the job cgroup or set its limits */
        EXIT_NAMESPACES = 204, /* cannot create namespaces or map ids */
        EXIT_MOUNTS = 205, /* /proc, /tmp, /dev/shm, read-only, hidden paths, hostname, loopback */
        EXIT_CREDENTIALS = 206, /* rlimits, groups, uid/gid, capabilities, no_new_privs */
        EXIT_SECCOMP = 207, /* cannot build or load the seccomp filter */
        EXIT_EXEC_SETUP = 208, /* stdin/stdout/stderr files, working directory */
        EXIT_RESULT = 209, /* cannot open the result file or fd */
        EXIT_INTERNAL = 210, /* out of memory, unexpected system error */
        EXIT_LANDLOCK = 211, /* Landlock required but missing, or it cannot be applied */
};

/* The steps, in order; each names a failure and maps to its exit code. */
typedef enum Step {
        STEP_NONE,
        STEP_USAGE,
        STEP_POLICY,
        STEP_USER,
        STEP_CGROUP,
        STEP_NAMESPACES,
        STEP_MOUNTS,
        STEP_CREDENTIALS,
        STEP_SECCOMP,
        STEP_LANDLOCK,
        STEP_EXEC_SETUP,
        STEP_EXEC,
        STEP_RESULT,
        STEP_INTERNAL,
        _STEP_MAX,
} Step;

const char *step_name(Step s);
int step_exit_code(Step s);

#define LAUNCH_MAX_ENV 1024
/* the most an --env-fd or --env-file may hold */
#define LAUNCH_MAX_ENV_BYTES (1024 * 1024)
#define LAUNCH_MAX_GROUPS 256

typedef struct JobUser {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home, *shell;
        gid_t groups[LAUNCH_MAX_GROUPS]; /* supplementary, primary included */
        int n_groups;
} JobUser;

/* A failure inside the child, reported to the parent through a pipe before
 * the child exits (atomic: smaller than PIPE_BUF). */
typedef struct ChildError {
        int step; /* Step */
        int error; /* errno, positive; 0: none */
        char msg[480];
} ChildError;

/* Fills err (the step, the errno, the message with %m for -r) and returns
 * r: how every step in the child reports a failure to the parent. */
int child_error(ChildError *err, int step, int r, const char *fmt, ...) _printf_(4, 5);

typedef struct SeccompProgram {
        struct sock_fprog prog; /* filter NULL: no filter */
} SeccompProgram;

/* private_root (mounts.c): what the child cannot get itself once in its
 * user namespace, where the host's mounts are locked together and a bind
 * without its submounts is refused. Made by mounts_root_prepare() in the
 * parent, before clone; inherited by the child. */
typedef struct RootSpec {
        bool active; /* the policy's private_root, with a mount namespace */
        int run_fd, sys_fd; /* the host's /run and /sys alone, without their submounts
                             * (open_tree(OPEN_TREE_CLONE)); -1: not available, the
                             * child binds them with their submounts */
        int cg_kind; /* what the host's /sys/fs/cgroup is (mounts.c CgKind) */
        bool cg_known; /* cg_dirs lists the job's cgroups (the child joins them
                        * itself or is born in them); else (the systemd backend
                        * attaches it from the parent) the child finds them in
                        * /proc/self/cgroup against host_cgroups */
        char cg_dirs[2048]; /* the job's cgroup directories as the host names them, one a line */
        char host_cgroups[2048]; /* the launcher's /proc/self/cgroup: a hierarchy in
                                  * which the job has the same cgroup is not its own */
} RootSpec;

/* Everything the child needs; built by the parent before clone. */
typedef struct JobSpec {
        const Policy *policy;
        const JobUser *user;
        char **argv;
        char **envp;
        const char *cwd; /* NULL: home or / */
        int stdio[3]; /* fds for the job's 0, 1, 2 */
        const SeccompProgram *seccomp; /* prog.filter NULL: no filter */
        const LandlockPlan *landlock;
        const DevList *devices; /* private_dev: the list the device cgroup has (step_devices()) */
        int sync_fd; /* read end: the parent writes one byte when the ids are mapped */
        int error_fd; /* write end of the ChildError pipe (CLOEXEC) */
        int status_fd; /* write end: init writes the job's wait status */
        int attach_fds[CGROUP_SELF_ATTACH_MAX]; /* cgroup_attach_self() first thing */
        size_t n_attach_fds;
        const RootSpec *root; /* private_root, or NULL */
} JobSpec;

/* options.c (and launch-main.h: the request, its parser, its argv) */
/* The parser's checks of each field, for a request that did not come from
 * it: 0, or -EINVAL after logging the first bad field as the parser would. */
int launch_request_check(const LaunchRequest *req);
void launch_help(void);

/* user.c: step 1 */
int user_resolve(const char *name, const Policy *p, JobUser *ret, char **ret_msg);
void user_done(JobUser *u);

/* env.c: the job's environment */
int env_build(const JobUser *u, const char *job_id, const char *policy, char *const *extra, char ***ret);
bool env_assignment_valid(const char *kv);
/* Appends the NUL-separated NAME=VALUE entries of buf (the format of
 * `env -0` and /proc/PID/environ; a last entry without its NUL counts) to
 * *env. -EINVAL for an invalid entry and -E2BIG for more than
 * LAUNCH_MAX_ENV in all, with *ret_error saying which (by number, never
 * its value: it may be a secret). */
int env_parse_nul(const char *buf, size_t len, char ***env, char **ret_error);
/* Reads all of fd (at most LAUNCH_MAX_ENV_BYTES; -EFBIG beyond). */
int env_read_fd(int fd, char **ret, size_t *ret_len);

/* userns.c: step 3 */
int userns_clone(const Policy *p, int cgroup_fd, pid_t *ret_pid, int *ret_pidfd);
int userns_write_maps(pid_t pid, const JobUser *u);

/* mounts.c: step 4, in the namespaces ns (CLONE_NEW* flags) the process
 * is in: what needs a namespace it is not in is left out */
int mounts_setup(const Policy *p, uint64_t ns, const JobUser *u, const DevList *devices, const RootSpec *root,
                 ChildError *err);
/* In the parent, before clone: *ret for the policy's private_root (inactive
 * without a mount namespace in ns); cg_fds: the fds of the job's cgroups
 * (cgroup_attach_self()'s and the clone fd), cg_known false when the parent
 * attaches the child itself. Never fails: what it cannot open, the child
 * does the slower way (see RootSpec). */
void mounts_root_prepare(const Policy *p, uint64_t ns, const int *cg_fds, size_t n_cg_fds, bool cg_known,
                         RootSpec *ret);
void mounts_root_done(RootSpec *r);

/* caps.c: step 5a, the policy's rlimits on process pid (0: the caller) */
/* A hard limit the policy asks and this process cannot grant (no
 * CAP_SYS_RESOURCE) becomes its own, lower one, with a sentence appended to
 * *warnings (if given) that says so. */
int creds_set_rlimits(pid_t pid, const Policy *p, char ***warnings, ChildError *err);
/* step 5b, the credentials: contain.h */

/* seccomp.c: step 6 */
int seccomp_build(const Policy *p, scmp_filter_ctx *ret, char **ret_msg);
/* The kernel's program: libseccomp's, behind corral's own checks that
 * libseccomp cannot express (personality values, seccomp.c). */
int seccomp_export(const Policy *p, scmp_filter_ctx ctx, SeccompProgram *ret);
int seccomp_install(const SeccompProgram *p);
/* The text of everything the program built from p depends on (the policy's
 * resolved seccomp settings, the syscall groups, the builder, libseccomp's
 * version, the architecture): the seccomp cache's key. */
int seccomp_filter_key(const Policy *p, char **ret);

/* The cache of generated programs (runcache.h, RUN_DIR/seccomp): load
 * fails like runcache_load(), and with -EBADMSG for data that is not a
 * program. */
int seccomp_cache_load(int dirfd, const char *key, SeccompProgram *ret);
int seccomp_cache_store(int dirfd, const char *key, const SeccompProgram *p);

/* init.c: steps 7 and 8 (in the child) */
_noreturn_ void child_main(JobSpec *spec);

/* result.c: step 10 */
typedef enum JobState {
        JOB_COMPLETED,
        JOB_FAILED,
        JOB_TIMEOUT,
        JOB_OUT_OF_MEMORY,
        JOB_CANCELLED,
        _JOB_STATE_MAX,
} JobState;

typedef struct JobResult {
        const char *job_id, *policy, *user, *cgroup;
        uid_t uid;
        JobState state;
        int exit_code, signal; /* "exit": "code:signal" */
        int status; /* corral-launch's own exit status */
        Step failed_step; /* STEP_NONE when the job ran */
        const char *message;
        CgroupUsage usage;
        uint64_t start_realtime_usec, end_realtime_usec, elapsed_usec;
        uint64_t walltime_usec;
        pid_t pid;
        char **argv;
        char **warnings; /* what the policy asks and this node could not give */
} JobResult;

const char *job_state_name(JobState s);
JobState job_state_classify(bool timed_out, bool cancelled, uint64_t oom_kills, int wait_status, bool failed_setup);
int result_write(int fd, const JobResult *r);
