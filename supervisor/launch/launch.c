/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch.c — corral-launch: run one job as a user, contained as a policy
 * says, wait for it, report. launch_run() (a LaunchRequest, launch-main.h),
 * launch_main() (its command line) and the ordered list of containment
 * steps live here; each step is a function in its own file:
 *
 *   options.c  the command line, and the checks of a request
 *   user.c     1. the user
 *   (lib) cgroup.h / cgroup-fs.c   2. the job cgroup
 *   userns.c   3. namespaces (clone3) and the uid/gid maps
 *   mounts.c   4. /proc, /tmp, /dev/shm, read-only and hidden paths, hostname
 *   caps.c     5. rlimits, groups, ids, capabilities, no_new_privs
 *   seccomp.c  6. the seccomp filter
 *   init.c     7. exec of the job; 8. the init that is PID 1 of the job
 *   env.c      7. the job's environment
 *   result.c   10. state, exit status, JSON record
 * and here: 9. walltime, cancel, signal forwarding, and the end (the cgroup
 * killed, its usage read, removed).
 *
 * Every failure before exec names its step and cause and exits with the
 * step's code (launch.h); whatever was created by then is removed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <limits.h>

#include "cgroup.h"
#include "contain.h"
#include "devices.h"
#include "launch-main.h"
#include "launch.h"
#include "log.h"
#include "nodeconf.h"
#include "parse.h"
#include "policy.h"
#include "resources.h"
#include "runcache.h"
#include "strv.h"

#define KILL_TIMEOUT_USEC (10 * USEC_PER_SEC)

typedef struct Launch {
        LaunchRequest args; /* the caller's request (its strings stay the caller's) */
        char **env; /* --env-file's variables, then args.env's: args.env points here */
        NodeConfig *node;
        Policy *policy;
        JobUser user;
        char job_id[80], cgroup_name[96];
        const char *cgroup_parent;
        SeccompProgram bpf;
        char **envp;
        int stdio[3];
        int result_fd;
        const CgroupBackend *backend;
        CgroupJob *cg;
        char *cgroup_path; /* the job cgroup's path, kept for the record after it is gone */
        pid_t pid;
        int pidfd, sigfd, sync_w, error_r, status_r;
        uint64_t walltime, deadline; /* deadline: monotonic, USEC_INFINITY for none */
        timer_t guard[2];
        bool guarded;
        bool reaped, timed_out, cancelled;
        int init_status, job_status;
        bool have_job_status;
        Step failed_step;
        char *message;
        char **warnings; /* for the result record */
        int tty_fd; /* the caller's terminal, if a stdio fd is one: restored at the end */
        struct termios tty_modes;
        struct winsize tty_size;
        bool have_tty_size;
        LandlockPlan landlock;
        DevList devices; /* private_dev: the devices of the job's /dev and device cgroup */
        RootSpec root; /* private_root: the trees the child mounts, closed after clone */
        uint64_t start_mono, start_real;
} Launch;

static uint64_t now_usec(clockid_t c) {
        struct timespec ts;
        (void) clock_gettime(c, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

/* Set by SIGALRM at the walltime, while the steps before the job runs are
 * guarded (arm_walltime_guard()). */
static volatile sig_atomic_t walltime_expired;

/* Logs "corral-launch: MESSAGE" once and remembers the step and message for
 * the result record. Returns r. */
static int fail(Launch *l, Step step, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(Launch *l, Step step, int r, const char *fmt, ...) {
        char buf[1024];
        va_list ap;

        errno = r < 0 ? -r : r; /* for %m */
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (walltime_expired && l->guarded && l->failed_step == STEP_NONE) {
                /* whatever was interrupted before the job ran, the cause is the walltime */
                char wt[FORMAT_BUF], tmp[sizeof buf];
                (void) snprintf(tmp, sizeof tmp, "the walltime (%s) ran out before the job started: %s",
                                format_duration(wt, l->walltime), buf);
                memcpy(buf, tmp, sizeof buf);
        }
        log_error("%s", buf);
        if (l->failed_step == STEP_NONE) {
                l->failed_step = step;
                free(l->message);
                l->message = strdup(buf);
        }
        return r < 0 ? r : -EIO;
}

/* fds 0, 1, 2 must be open, or the files we open would take their place */
static void ensure_std_fds(void) {
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
                        /* no O_CLOEXEC: it becomes fd 0-2, which the job inherits */
                        int n = open("/dev/null", O_RDWR); /* NOLINT(android-cloexec-open) */
                        if (n >= 0 && n != fd) {
                                (void) dup2(n, fd);
                                (void) close(n);
                        }
                }
}

/* Opens a job's stdio file with the user's permissions: fsuid/fsgid and
 * groups switched for the one open(), so root's powers never apply to a path
 * the job's submitter chose. What the path is comes back in *ret_st: the
 * open file's (fstat), or after a failure the path's as the user sees it
 * (stat; st_mode 0 when that fails too), so that the caller can say why. */
static int open_as_user(const JobUser *u, const char *path, int flags, int *ret, struct stat *ret_st) {
        gid_t saved[LAUNCH_MAX_GROUPS * 2];
        int n, fd, e = 0;

        *ret_st = (struct stat){};
        n = getgroups((int) ELEMENTSOF(saved), saved);
        if (n < 0)
                return negative_errno();
        if (setgroups((size_t) u->n_groups, u->groups) < 0)
                return negative_errno();
        (void) setfsgid(u->gid);
        (void) setfsuid(u->uid);
        if ((uid_t) setfsuid((uid_t) -1) != u->uid || (gid_t) setfsgid((gid_t) -1) != u->gid)
                e = EPERM;
        fd = e ? -1 : open(path, flags | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0 && !e) {
                e = errno;
                if (stat(path, ret_st) < 0)
                        *ret_st = (struct stat){};
        }
        (void) setfsuid(0);
        (void) setfsgid(0);
        if (setgroups((size_t) n, saved) < 0 || (uid_t) setfsuid((uid_t) -1) != 0) {
                /* cannot get back: do not go on half-privileged */
                log_error("cannot restore root's file system ids: %m");
                _exit(EXIT_INTERNAL);
        }
        if (fd < 0)
                return -e;
        if (fstat(fd, ret_st) < 0) {
                e = errno;
                (void) close(fd);
                return -e;
        }
        *ret = fd;
        return 0;
}

static const char *file_kind(mode_t m) {
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISSOCK(m))
                return "a socket";
        if (S_ISDIR(m))
                return "a directory";
        if (S_ISBLK(m))
                return "a block device";
        if (S_ISCHR(m))
                return "a character device";
        if (S_ISLNK(m))
                return "a symbolic link";
        return "not a regular file";
}

/* The character devices a job's stdio may be besides a regular file: the
 * memory devices that never block and hold nothing (/dev/null, /dev/zero,
 * /dev/full, /dev/random, /dev/urandom: major 1), and a terminal the
 * launcher was itself given as its fd 0, 1 or 2 (an admin running it by
 * hand with --stdout $(tty)). Anything else could block the launcher or
 * the job's first read or write in ways the walltime does not see coming
 * (a FIFO without a reader, a socket, a tape or a modem line), or is not
 * output at all (a directory). */
static bool stdio_device_ok(int fd, const struct stat *st) {
        unsigned mi = minor(st->st_rdev);

        if (major(st->st_rdev) == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9))
                return true;
        if (!isatty(fd))
                return false;
        for (int i = 0; i < 3; i++) {
                struct stat own;
                if (fstat(i, &own) == 0 && S_ISCHR(own.st_mode) && own.st_rdev == st->st_rdev && isatty(i))
                        return true;
        }
        return false;
}

static const char *const stdio_names[3] = { "stdin", "stdout", "stderr" };

/* Opens one of the job's stdio files without ever blocking: O_NONBLOCK, so
 * that a FIFO (waiting for a partner in open()) or a device cannot hold the
 * launcher while the job, not started yet, shows as running past its
 * walltime; then what was opened must be a regular file or one of the
 * devices stdio_device_ok() allows, and the fd goes back to blocking for the
 * job. The one wait left is for a lease on a regular file to be released
 * (another process, or an NFS client through knfsd, holding it; open() with
 * O_NONBLOCK starts the break and says EWOULDBLOCK): retried until the
 * holder lets go, the kernel breaks it (lease-break-time), or the walltime
 * runs out. */
static int open_stdio_file(Launch *l, int i, const char *path, int *ret) {
        int flags = (i == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC) | O_NONBLOCK;
        uint64_t delay = USEC_PER_MSEC;
        struct stat st;
        int fd = -1, r, fl;

        for (;;) {
                r = open_as_user(&l->user, path, flags, &fd, &st);
                if (r != -EAGAIN || !S_ISREG(st.st_mode))
                        break;
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) (delay * NSEC_PER_USEC) };
                if (walltime_expired || (nanosleep(&ts, NULL) < 0 && walltime_expired))
                        return fail(l, STEP_EXEC_SETUP, -ETIMEDOUT,
                                    "cannot open %s %s as %s: it is leased by another process (or NFS client), "
                                    "and the lease was not released",
                                    stdio_names[i], path, l->user.name);
                delay = delay * 2 > 100 * USEC_PER_MSEC ? 100 * USEC_PER_MSEC : delay * 2;
        }
        if (r < 0 && st.st_mode != 0 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
                /* ENXIO: a FIFO without a reader, a socket; EISDIR */
                return fail(l, STEP_EXEC_SETUP, r,
                            "%s %s is %s: a job's stdin, stdout and stderr must be regular files (or /dev/null)",
                            stdio_names[i], path, file_kind(st.st_mode));
        if (r < 0)
                return fail(l, STEP_EXEC_SETUP, r, "cannot open %s %s as %s: %m", stdio_names[i], path, l->user.name);
        if (!S_ISREG(st.st_mode) && !(S_ISCHR(st.st_mode) && stdio_device_ok(fd, &st))) {
                (void) close(fd);
                return fail(l, STEP_EXEC_SETUP, -EINVAL,
                            "%s %s is %s: a job's stdin, stdout and stderr must be regular files (or /dev/null)",
                            stdio_names[i], path, file_kind(st.st_mode));
        }
        fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
                r = negative_errno();
                (void) close(fd);
                return fail(l, STEP_EXEC_SETUP, r, "cannot make %s %s blocking: %m", stdio_names[i], path);
        }
        *ret = fd;
        return 0;
}

static int open_stdio(Launch *l) {
        const char *paths[3] = { l->args.stdin_path, l->args.stdout_path, l->args.stderr_path };
        int r;

        for (int i = 0; i < 3; i++) {
                l->stdio[i] = i; /* inherited */
                if (!paths[i])
                        continue;
                if (i == 2 && paths[1] && streq(paths[1], paths[2])) {
                        /* one file for both: share the offset */
                        l->stdio[2] = l->stdio[1];
                        continue;
                }
                r = open_stdio_file(l, i, paths[i], &l->stdio[i]);
                if (r < 0) {
                        l->stdio[i] = -1;
                        return r;
                }
        }
        return 0;
}

/* The caller's terminal, when the job gets it as stdin, stdout or stderr
 * (an interactive job): its modes and window size are saved before the job
 * and put back after the job and everything it left are gone, so that a
 * job that turned echo off or set the size leaves the caller's terminal as
 * it was. (init's setsid() already keeps the job from making it its
 * controlling terminal: no TIOCSTI, no signals from it.) */
static void save_tty(Launch *l) {
        for (int i = 0; i < 3; i++) {
                int fd = l->stdio[i];
                if (fd < 0 || !isatty(fd))
                        continue;
                if (tcgetattr(fd, &l->tty_modes) < 0)
                        return;
                l->have_tty_size = ioctl(fd, TIOCGWINSZ, &l->tty_size) == 0;
                l->tty_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                return;
        }
}

static void restore_tty(Launch *l) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        struct termios now;

        if (l->tty_fd < 0)
                return;
        /* a launcher in the background would get SIGTTOU for this */
        (void) sigaction(SIGTTOU, &ign, &old);
        if (tcgetattr(l->tty_fd, &now) < 0 || memcmp(&now, &l->tty_modes, sizeof now) != 0)
                if (tcsetattr(l->tty_fd, TCSANOW, &l->tty_modes) < 0)
                        log_warning_errno(negative_errno(), "cannot restore the terminal's modes, ignoring: %m");
        if (l->have_tty_size && ioctl(l->tty_fd, TIOCSWINSZ, &l->tty_size) < 0)
                log_warning_errno(negative_errno(), "cannot restore the terminal's size, ignoring: %m");
        (void) sigaction(SIGTTOU, &old, NULL);
        (void) close(l->tty_fd);
        l->tty_fd = -1;
}

/* A launch that failed says why in the job's stderr file too, as a shell
 * says "command not found": the user finds it with `corral logs --stderr`
 * or in the file they named, not only in the result record. Written only
 * to what the user could open themselves: the fd open_stdio() opened with
 * the user's file system ids, or, for a failure before that but after the
 * user is known (seccomp, environment), the path opened now the same way
 * (appending: the job never ran). Before the user is known (node config,
 * policy, the user refused) nobody can open it as the user, and root never
 * opens a path a user chose (a symlink to /etc/shadow would be followed with
 * root's rights): those failures are in the result record and in corrald's
 * `corral show` only. Non-blocking and SIGPIPE ignored: a FIFO or pipe the
 * user named cannot hold the launcher. */
static void tell_stderr(Launch *l) {
        _cleanup_close_ int own = -1;
        char line[1100];
        int fd = l->stdio[2], n;

        if (l->failed_step == STEP_NONE || !l->message || !l->args.stderr_path)
                return;
        if (fd <= 2) {
                struct stat st;
                /* a regular file only, as for the job's own stdio */
                if (!l->user.name ||
                    open_as_user(&l->user, l->args.stderr_path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, &own, &st) <
                            0 ||
                    !S_ISREG(st.st_mode))
                        return;
                fd = own;
        } else
                (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        (void) signal(SIGPIPE, SIG_IGN);
        n = snprintf(line, sizeof line, "corral-launch: %s\n", l->message);
        if (n > 0 && write(fd, line, (size_t) n < sizeof line ? (size_t) n : sizeof line - 1) < 0)
                log_debug_errno(negative_errno(), "cannot write the failure to the job's stderr, ignoring: %m");
}

static int open_result(Launch *l) {
        if (l->args.result_path) {
                l->result_fd = open(l->args.result_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
                if (l->result_fd < 0)
                        return fail(l, STEP_RESULT, negative_errno(), "cannot open result file %s: %m",
                                    l->args.result_path);
        } else if (l->args.result_fd >= 0) {
                l->result_fd = l->args.result_fd;
                (void) fcntl(l->result_fd, F_SETFD, FD_CLOEXEC);
        }
        return 0;
}

/* ---- the steps before clone ---- */

/* [users] submit_from_jobs = no: the job does not see corrald's socket. Its
 * directory is hidden, so that a socket made again (corrald restarted) stays
 * out of sight too; when the directory is one other programs share, only the
 * socket itself (a mount on a file that is removed goes with it: corrald
 * still refuses such a job's submissions, by its cgroup). Added to the
 * policy's hide list, which mounts.c applies (paths missing here skipped). */
static int hide_socket(Policy *p, const char *sock) {
        char dir[PATH_MAX];
        struct stat st;

        if (p->submit_from_jobs || p->ns_mount != NS_ISOLATED || !sock || sock[0] != '/' || strlen(sock) >= sizeof dir)
                return 0;
        strcpy(dir, sock);
        char *slash = strrchr(dir, '/');
        *(slash == dir ? slash + 1 : slash) = '\0';
        bool shared = streq(dir, "/") || streq(dir, "/run") || streq(dir, "/var/run") ||
                      (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH));
        const char *what = shared ? sock : dir;
        if (strv_contains(p->hide, what))
                return 0;
        return strv_extend(&p->hide, what);
}

static int load_config(Launch *l) {
        ConfDiags d = {};
        const char *dir;
        int r;

        r = nodeconf_load(l->args.config_path ? l->args.config_path : NODECONF_PATH_DEFAULT, CONF_STRICT_PERMS,
                          !l->args.config_path, &l->node, &d);
        if (r < 0) {
                conf_diags_print(&d, stderr);
                conf_diags_clear(&d);
                return fail(l, STEP_POLICY, r, "cannot load the node config %s: %m",
                            l->args.config_path ? l->args.config_path : NODECONF_PATH_DEFAULT);
        }
        dir = l->args.policy_dir ? l->args.policy_dir : l->node->policy_dir;
#ifdef CORRAL_BUILD_DIR
        /* Run from its own build tree on a node where corral is not
         * installed (no policy_dir in a node config, no /etc/corral/policies),
         * the tree's policies/ are used, as `corral policy` does. An installed
         * binary lives elsewhere and never does this. */
        if (!l->args.policy_dir && !l->node->origin[NK_POLICY_DIR].line && access(dir, F_OK) < 0) {
                char exe[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
                char *slash;
                if (n > 0) {
                        exe[n] = '\0';
                        slash = strrchr(exe, '/');
                        if (slash) {
                                *slash = '\0';
                                if (streq(exe, CORRAL_BUILD_DIR) && access(CORRAL_SOURCE_POLICY_DIR, F_OK) == 0)
                                        dir = CORRAL_SOURCE_POLICY_DIR;
                        }
                }
        }
#endif
        r = policy_load(dir, l->args.policy, POLICY_STRICT_PERMS, &l->policy, &d);
        if (r < 0) {
                conf_diags_print(&d, stderr);
                conf_diags_clear(&d);
                return fail(l, STEP_POLICY, r, "cannot load policy '%s' from %s: %m", l->args.policy, dir);
        }
        conf_diags_clear(&d);
        l->cgroup_parent = l->args.cgroup_parent ? l->args.cgroup_parent : l->node->cgroup_parent;
        if (!cgjob_parent_valid(l->cgroup_parent))
                return fail(l, STEP_POLICY, -EINVAL, "invalid cgroup_parent '%s' in the node config", l->cgroup_parent);
        r = hide_socket(l->policy, l->args.socket ? l->args.socket : l->node->socket);
        if (r < 0)
                return fail(l, STEP_POLICY, r, "cannot add corrald's socket to the hidden paths: %m");
        return 0;
}

/* The caches in the node's run_dir (runcache.h) are only an optimisation:
 * whatever is wrong with them, the work is done as if they were not there;
 * what looks tampered with is reported. */
static int open_cache(Launch *l, const char *name) {
        int fd = -1, r;

        r = runcache_open(l->node->run_dir, name, &fd);
        if (r == -EPERM)
                log_warning("cache %s/%s (or %s) is not root's alone, ignoring it", l->node->run_dir, name,
                            l->node->run_dir);
        else if (r < 0)
                log_debug_errno(r, "cannot open the cache %s/%s, ignoring: %m", l->node->run_dir, name);
        return r < 0 ? -1 : fd;
}

static void cache_file_warning(Launch *l, const char *name, const char *key, int r) {
        char file[RUNCACHE_NAME_MAX];

        if (r != -EPERM && r != -EBADMSG) {
                if (r != -ENOENT && r != -ESTALE)
                        log_debug_errno(r, "cannot read the cache %s/%s, ignoring: %m", l->node->run_dir, name);
                return;
        }
        runcache_file_name(key, file);
        log_warning("cache file %s/%s/%s is %s, ignoring it", l->node->run_dir, name, file,
                    r == -EPERM ? "not root's alone" : "damaged");
}

static int step_user(Launch *l) {
        _cleanup_free_ char *msg = NULL;
        int r = user_resolve(l->args.user, l->policy, &l->user, &msg);
        if (r < 0)
                return fail(l, STEP_USER, r, "%s", msg ? msg : "cannot resolve the user");
        return 0;
}

/* 2a. The backend's set-up (libcgroup finding the hierarchies: 0.35-0.5 ms,
 * the largest single cost of a launch before the clone) gives the same
 * answer for as long as the cgroup mounts stay the same: it is kept in the
 * cache under a key that describes them, and reused. A process that is set
 * up already (a parent that called cgjob_backend_prepare() before forking
 * the launcher) skips this. */
static void prepare_cgroup_backend(Launch *l) {
        _cleanup_free_ char *key = NULL, *state = NULL;
        _cleanup_free_ void *data = NULL;
        _cleanup_close_ int cache = -1;
        size_t size = 0;
        int r;

        if (cgjob_backend_state_key(l->backend, &key) < 0)
                return;
        cache = open_cache(l, "cgroup");
        if (cache < 0)
                return;
        r = runcache_load(cache, key, &data, &size);
        if (r == 0) {
                /* text: NUL-terminated where it ends */
                char *text = realloc(data, size + 1);
                if (text) {
                        data = text;
                        text[size] = '\0';
                        r = strlen(text) == size ? cgjob_backend_state_restore(l->backend, text) : -EBADMSG;
                        if (r == 0)
                                return;
                }
        }
        cache_file_warning(l, "cgroup", key, r);
        /* the set-up, done here, and remembered */
        if (cgjob_backend_state_save(l->backend, &state) < 0 || isempty(state))
                return;
        r = runcache_store(cache, key, state, strlen(state));
        if (r < 0)
                log_debug_errno(r, "cannot store the cgroup backend's set-up in the cache, ignoring: %m");
}

/* The devices of a job under private_dev (the basic set and the policy's
 * devices found on this node): its /dev shows them and its device cgroup
 * allows them and no other. */
static int step_devices(Launch *l) {
        int r;

        if (!l->policy->private_dev || l->devices.v)
                return 0;
        r = devlist_for_policy(l->policy, "/dev", &l->devices);
        if (r < 0)
                return fail(l, STEP_INTERNAL, r, "cannot list the job's devices: %m");
        return 0;
}

static int step_cgroup(Launch *l) {
        const CgroupBackend *b = l->backend;
        _cleanup_free_ char *where = NULL;
        CgroupLimits lim = {
                .memory = l->policy->memory,
                .swap = l->policy->swap,
                .cpus = l->policy->cpus,
                .tasks = l->policy->tasks,
                /* private_dev = no: every device, as the host's /dev */
                .devices = l->policy->private_dev ? &l->devices : NULL,
        };
        int r;

        r = step_devices(l);
        if (r < 0)
                return r;
        prepare_cgroup_backend(l);
        r = cgjob_create(b, l->cgroup_parent, l->cgroup_name, &lim, &l->cg, &where);
        if (r == -ENODEV && where && streq(where, "devices"))
                return fail(l, STEP_CGROUP, r,
                            "cannot create cgroup %s/%s: the policy's private_dev needs the devices controller "
                            "(cgroup v1) or cgroup v2, and this node has neither (mount the v1 devices controller, "
                            "or set [filesystem] private_dev = no in the policy)",
                            l->cgroup_parent, l->cgroup_name);
        if (r == -ENODEV && where && !strchr(where, ':'))
                return fail(l, STEP_CGROUP, r, "cannot create cgroup %s/%s: controller %s is not mounted",
                            l->cgroup_parent, l->cgroup_name, where);
        if (r == -EOPNOTSUPP && where)
                return fail(l, STEP_CGROUP, r, "cannot create cgroup: controllers not enabled in %s", where);
        if (r < 0 && b != &cgroup_backend_cgroupfs)
                return fail(l, STEP_CGROUP, r, "cgroup backend %s: cannot create cgroup %s: %m", b->name,
                            where ? where : l->cgroup_name);
        if (r < 0)
                return fail(l, STEP_CGROUP, r, "cannot create cgroup %s: %m", where ? where : l->cgroup_name);
        if (l->cg->warnings & CGROUP_WARN_SWAP) {
                const char *why = b == &cgroup_backend_cgroupfs ? "this node's memory cgroup has no memory.memsw.*"
                                                                : "systemd sets no swap limit on cgroup v1";
                log_warning("swap limit not enforced: %s, ignoring", why);
                _cleanup_free_ char *w = NULL;
                if (asprintf(&w, "swap limit not enforced: %s", why) >= 0)
                        (void) strv_extend(&l->warnings, w);
        }
        return 0;
}

/* --env-file: read as the user (a path the caller chose never gets root's
 * powers), a regular file; its variables come before --env's. */
static int read_env_file(Launch *l) {
        _cleanup_free_ char *buf = NULL, *err = NULL;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len;
        int r;

        if (!l->args.env_file)
                return 0;
        r = open_as_user(&l->user, l->args.env_file, O_RDONLY | O_NONBLOCK, &fd, &st);
        if (r < 0)
                return fail(l, STEP_EXEC_SETUP, r, "cannot open --env-file %s as %s: %m", l->args.env_file,
                            l->user.name);
        if (!S_ISREG(st.st_mode))
                return fail(l, STEP_EXEC_SETUP, -EINVAL, "--env-file %s is not a regular file", l->args.env_file);
        r = env_read_fd(fd, &buf, &len);
        if (r == -EFBIG)
                return fail(l, STEP_EXEC_SETUP, r, "--env-file %s: more than %d bytes", l->args.env_file,
                            LAUNCH_MAX_ENV_BYTES);
        if (r < 0)
                return fail(l, STEP_EXEC_SETUP, r, "cannot read --env-file %s: %m", l->args.env_file);
        r = env_parse_nul(buf, len, &env, &err);
        explicit_bzero(buf, len);
        if (r == -ENOMEM)
                return fail(l, STEP_INTERNAL, r, "out of memory");
        if (r < 0)
                return fail(l, STEP_EXEC_SETUP, r, "--env-file %s: %s", l->args.env_file, err);
        for (char **e = l->args.env; e && *e; e++)
                if ((r = strv_extend(&env, *e)) < 0)
                        return fail(l, STEP_INTERNAL, r, "out of memory");
        strv_free(l->env);
        l->env = TAKE_PTR(env);
        l->args.env = l->env;
        return 0;
}

/* 7a. The policy's [job] env_deny once more (corrald drops it at submit,
 * refuses it from -E; the policy may have changed since, and a direct
 * caller's --env gets the same rule): a denied variable is dropped, with a
 * warning in the log and the result record. */
static int drop_denied_env(Launch *l) {
        _cleanup_strv_free_ char **kept = NULL;
        bool dropped = false;
        int r;

        for (char **e = l->args.env; e && *e; e++) {
                if (!policy_env_denied(l->policy, *e)) {
                        if ((r = strv_extend(&kept, *e)) < 0)
                                return fail(l, STEP_INTERNAL, r, "out of memory");
                        continue;
                }
                _cleanup_free_ char *w = NULL;
                int n = (int) strcspn(*e, "=");
                log_warning("the policy's [job] env_deny drops %.*s from the job's environment", n, *e);
                if (asprintf(&w, "environment variable %.*s dropped: the policy's [job] env_deny", n, *e) >= 0)
                        (void) strv_consume(&l->warnings, TAKE_PTR(w));
                dropped = true;
        }
        if (!dropped)
                return 0;
        strv_free(l->env);
        l->env = TAKE_PTR(kept);
        l->args.env = l->env;
        return 0;
}

/* 6b. Landlock: planned here from the kernel's ABI (contain_landlock_plan(),
 * the same plan as a foreign caller's), applied in the job just before the
 * seccomp filter. What the kernel lacks is a warning in the result record
 * (mode = auto) or stops the launch (mode = required). */
static int step_landlock(Launch *l) {
        const char *missing;
        int r;

        r = contain_landlock_plan(l->policy, &l->landlock, &missing);
        if (r < 0)
                return fail(l, STEP_LANDLOCK, r, "%s, and the policy's [landlock] mode is required", missing);
        if (missing && strv_extend(&l->warnings, missing) < 0)
                return fail(l, STEP_INTERNAL, -ENOMEM, "out of memory");
        return 0;
}

/* 6. The seccomp program: from the cache, else built by
 * contain_seccomp_program() (as for a foreign caller) and stored. */
static int step_seccomp(Launch *l) {
        _cleanup_free_ char *msg = NULL, *key = NULL;
        _cleanup_close_ int cache = -1;
        int r;

        if (l->policy->seccomp_mode == SECCOMP_MODE_OFF)
                return 0;
        r = seccomp_filter_key(l->policy, &key);
        if (r < 0)
                return fail(l, STEP_SECCOMP, r, "cannot describe the seccomp filter: %m");
        cache = open_cache(l, "seccomp");
        if (cache >= 0) {
                r = seccomp_cache_load(cache, key, &l->bpf);
                if (r == 0)
                        return 0;
                cache_file_warning(l, "seccomp", key, r);
        }

        r = contain_seccomp_program(l->policy, &l->bpf, &msg);
        if (r < 0)
                return fail(l, STEP_SECCOMP, r, "%s", msg ? msg : "cannot build the seccomp filter");
        if (cache >= 0) {
                r = seccomp_cache_store(cache, key, &l->bpf);
                if (r < 0)
                        log_debug_errno(r, "cannot store the seccomp program in the cache, ignoring: %m");
        }
        return 0;
}

/* The walltime runs from the start of the launch, not from the exec: the
 * job shows as running from the moment corral-launch starts, so whatever
 * happens before the job exists counts, and nothing may hold the launch
 * past walltime + grace. Until the job is spawned (after that, wait_job()
 * keeps the deadline), two timers guard the steps:
 *  - at the walltime, SIGALRM, caught without SA_RESTART: a step blocked in
 *    an interruptible wait (a lease being broken, an NSS lookup, anything
 *    that waits like a FIFO's open would) fails with EINTR, and fail() says
 *    that the walltime ran out;
 *  - at walltime + grace, SIGKILL: a step stuck where only a fatal signal
 *    reaches it (a hung NFS server, TASK_KILLABLE) ends with the launcher;
 *    corrald then reports the job FAILED, "the launcher left no result".
 * The steps of the child before exec (cwd on a hung file system, the
 * mounts) are under wait_job(), which kills init at the same deadline. */
static void on_walltime_alarm(int sig) {
        walltime_expired = 1;
}

static int arm_walltime_guard(Launch *l) {
        struct sigaction sa = { .sa_handler = on_walltime_alarm }; /* no SA_RESTART */
        struct sigevent ev[2] = {
                { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM },
                { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL },
        };
        uint64_t at[2];
        sigset_t alrm;
        int r;

        if (l->deadline == USEC_INFINITY)
                return 0;
        at[0] = l->deadline;
        at[1] = l->policy->grace >= USEC_INFINITY - l->deadline ? USEC_INFINITY - 1 : l->deadline + l->policy->grace;
        sigemptyset(&sa.sa_mask);
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        if (sigaction(SIGALRM, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &alrm, NULL) < 0)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot set up the walltime alarm: %m");
        if (timer_create(CLOCK_MONOTONIC, &ev[0], &l->guard[0]) < 0)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot create the walltime timers: %m");
        if (timer_create(CLOCK_MONOTONIC, &ev[1], &l->guard[1]) < 0) {
                r = negative_errno();
                (void) timer_delete(l->guard[0]);
                return fail(l, STEP_INTERNAL, r, "cannot create the walltime timers: %m");
        }
        l->guarded = true;
        for (int i = 0; i < 2; i++) {
                struct itimerspec its = {
                        .it_value = { .tv_sec = (time_t) (at[i] / USEC_PER_SEC),
                                      .tv_nsec = (long) (at[i] % USEC_PER_SEC * NSEC_PER_USEC) },
                };
                if (timer_settime(l->guard[i], TIMER_ABSTIME, &its, NULL) < 0)
                        return fail(l, STEP_INTERNAL, negative_errno(), "cannot set the walltime timers: %m");
        }
        return 0;
}

static void disarm_walltime_guard(Launch *l) {
        if (!l->guarded)
                return;
        (void) timer_delete(l->guard[1]);
        (void) timer_delete(l->guard[0]);
        (void) signal(SIGALRM, SIG_DFL);
        l->guarded = false;
}

/* Signals are taken through a signalfd from before the cgroup exists, so a
 * cancel during setup is not lost; the child inherits the mask and the job
 * resets it. SIGPIPE is blocked so a closed result pipe is an error, not
 * death. */
static const int handled_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT };

static int setup_signals(Launch *l) {
        sigset_t set;

        sigemptyset(&set);
        for (size_t i = 0; i < ELEMENTSOF(handled_signals); i++)
                sigaddset(&set, handled_signals[i]);
        sigaddset(&set, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot block signals: %m");
        sigdelset(&set, SIGPIPE);
        l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (l->sigfd < 0)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot create a signalfd: %m");
        return 0;
}

/* ---- clone and the parent's half of the handshake ---- */

static int step_spawn(Launch *l) {
        int sync_p[2], error_p[2], status_p[2];
        _cleanup_close_ int cgfd = -1;
        _cleanup_free_ char *where = NULL;
        ChildError e = {};
        JobSpec spec;
        bool parent_attach = false;
        int r;

        if (pipe2(sync_p, O_CLOEXEC) < 0)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot create a pipe: %m");
        if (pipe2(error_p, O_CLOEXEC) < 0) {
                r = negative_errno();
                (void) close(sync_p[0]);
                (void) close(sync_p[1]);
                return fail(l, STEP_INTERNAL, r, "cannot create a pipe: %m");
        }
        if (pipe2(status_p, O_CLOEXEC) < 0) {
                r = negative_errno();
                (void) close(sync_p[0]);
                (void) close(sync_p[1]);
                (void) close(error_p[0]);
                (void) close(error_p[1]);
                return fail(l, STEP_INTERNAL, r, "cannot create a pipe: %m");
        }
        l->sync_w = sync_p[1];
        l->error_r = error_p[0];
        l->status_r = status_p[0];

        spec = (JobSpec){
                .policy = l->policy,
                .user = &l->user,
                .argv = l->args.argv,
                .envp = l->envp,
                .cwd = l->args.cwd,
                .stdio = { l->stdio[0], l->stdio[1], l->stdio[2] },
                .seccomp = &l->bpf,
                .landlock = &l->landlock,
                .devices = l->devices.v ? &l->devices : NULL, /* else the child lists them */
                .sync_fd = sync_p[0],
                .error_fd = error_p[1],
                .status_fd = status_p[1],
        };

        /* step 2b: on v2 the child is born inside the job cgroup; on v1 it
         * moves itself in first thing, through these fds */
        cgfd = cgjob_clone_fd(l->cg);
        r = cgjob_self_attach_fds(l->cg, cgfd >= 0, spec.attach_fds, &where);
        if (r == -EOPNOTSUPP)
                parent_attach = true;
        else if (r < 0)
                return fail(l, STEP_CGROUP, r, "cannot open cgroup %s: %m", where ? where : l->cg->path);
        else
                spec.n_attach_fds = (size_t) r;
        /* private_root: what the child cannot get in its user namespace */
        {
                int cg_fds[CGROUP_SELF_ATTACH_MAX + 1];
                size_t n = 0;
                for (size_t i = 0; i < spec.n_attach_fds; i++)
                        cg_fds[n++] = spec.attach_fds[i];
                if (cgfd >= 0)
                        cg_fds[n++] = cgfd;
                mounts_root_prepare(l->policy, contain_namespace_flags(l->policy), cg_fds, n, !parent_attach, &l->root);
        }
        spec.root = l->root.active ? &l->root : NULL;
        r = userns_clone(l->policy, cgfd, &l->pid, &l->pidfd);
        if (r == 0) {
                /* the child: close the parent's ends and go */
                (void) close(sync_p[1]);
                (void) close(error_p[0]);
                (void) close(status_p[0]);
                (void) close(l->sigfd);
                if (l->result_fd > 2)
                        (void) close(l->result_fd);
                child_main(&spec);
        }
        (void) close(sync_p[0]);
        (void) close(error_p[1]);
        (void) close(status_p[1]);
        for (size_t i = 0; i < spec.n_attach_fds; i++)
                (void) close(spec.attach_fds[i]);
        mounts_root_done(&l->root);
        if (r < 0)
                return fail(l, STEP_NAMESPACES, r, "cannot create the job's namespaces: %m");

        /* step 2c, the slow way, where the child cannot move itself */
        if (parent_attach) {
                r = cgjob_attach(l->cg, l->pid, &where);
                if (r < 0)
                        return fail(l, STEP_CGROUP, r, "cgroup backend %s: cannot attach the job to cgroup %s: %m",
                                    l->backend->name, where ? where : l->cg->path);
        }
        /* step 3b: the job's ids, mapped to themselves only */
        if (l->policy->ns_user == NS_ISOLATED) {
                r = userns_write_maps(l->pid, &l->user);
                if (r < 0)
                        return fail(l, STEP_NAMESPACES, r, "cannot write the uid/gid maps of the job: %m");
        }
        /* step 5a: rlimits, from here where raising a hard limit is allowed */
        r = creds_set_rlimits(l->pid, l->policy, &l->warnings, &e);
        if (r < 0)
                return fail(l, STEP_CREDENTIALS, r, "%s", e.msg);
        if (write(l->sync_w, "g", 1) != 1)
                return fail(l, STEP_INTERNAL, negative_errno(), "cannot start the job: %m");
        return 0;
}

/* ---- 9. waiting: walltime, cancel, forwarding ---- */

static void read_child_error(Launch *l) {
        ChildError e;
        ssize_t n;

        if (l->error_r < 0)
                return;
        n = read(l->error_r, &e, sizeof e);
        if (n == (ssize_t) sizeof e) {
                e.msg[sizeof e.msg - 1] = '\0';
                if (e.step <= STEP_NONE || e.step >= _STEP_MAX)
                        e.step = STEP_INTERNAL;
                (void) fail(l, (Step) e.step, -e.error, "%s", e.msg);
                return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        /* EOF: the job exec'd (or every writer is gone) */
        closep(&l->error_r);
        l->error_r = -1;
}

static void reap(Launch *l) {
        int st;
        pid_t p = waitpid(l->pid, &st, WNOHANG);
        if (p == l->pid) {
                l->reaped = true;
                l->init_status = st;
        }
}

/* poll() timeout until the monotonic time next: -1 for never, at most an hour */
static int ms_until(uint64_t next, uint64_t now) {
        uint64_t ms;

        if (next == USEC_INFINITY)
                return -1;
        if (next <= now)
                return 0;
        ms = (next - now + 999) / 1000;
        return ms > 3600000 ? 3600000 : (int) ms;
}

static void begin_end(Launch *l, int sig, uint64_t *kill_at) {
        (void) kill(l->pid, sig);
        *kill_at = now_usec(CLOCK_MONOTONIC) + l->policy->grace;
}

/* The first OOM kill in the job's cgroup ends the whole job, like systemd's
 * OOMPolicy=stop: a job that lost a process to the OOM killer is broken,
 * and on cgroup v1 the rest of it can stay blocked at the limit until the
 * walltime (seen here: 4 runs in 15 of a pipeline over its limit). */
#define OOM_CHECK_USEC (250 * USEC_PER_MSEC)

static bool oom_killed(Launch *l) {
        CgroupUsage u;
        return cgjob_usage(l->cg, &u) >= 0 && u.oom_kills != CGROUP_USAGE_UNKNOWN && u.oom_kills > 0;
}

static int wait_job(Launch *l) {
        uint64_t deadline = l->deadline;
        uint64_t kill_at = USEC_INFINITY, oom_check = 0;
        bool ending = false, watch_oom = l->cg && l->policy->memory != UINT64_MAX;

        while (!l->reaped) {
                struct pollfd p[3] = {
                        { .fd = l->sigfd, .events = POLLIN },
                        { .fd = l->pidfd, .events = POLLIN },
                        { .fd = l->error_r, .events = POLLIN },
                };
                uint64_t now = now_usec(CLOCK_MONOTONIC), next;
                int timeout;

                if (!ending && now >= deadline) {
                        /* walltime: SIGTERM (init forwards it), the grace, SIGKILL */
                        l->timed_out = ending = true;
                        begin_end(l, SIGTERM, &kill_at);
                }
                if (watch_oom && !ending && now >= oom_check) {
                        if (oom_killed(l)) {
                                ending = true;
                                (void) kill(l->pid, SIGKILL);
                                (void) cgjob_signal(l->cg, SIGKILL);
                        }
                        oom_check = now + OOM_CHECK_USEC;
                }
                if (kill_at != USEC_INFINITY && now >= kill_at) {
                        /* killing init ends the PID namespace; the cgroup catches the rest */
                        (void) kill(l->pid, SIGKILL);
                        (void) cgjob_signal(l->cg, SIGKILL);
                        kill_at = USEC_INFINITY;
                }
                next = ending ? kill_at : deadline;
                if (watch_oom && !ending && oom_check < next)
                        next = oom_check;
                timeout = ms_until(next, now);
                if (l->pidfd < 0 && (timeout < 0 || timeout > 100))
                        timeout = 100; /* no pidfd (old kernel): look every 100 ms */
                if (poll(p, ELEMENTSOF(p), timeout) < 0 && errno != EINTR)
                        return -errno;

                for (;;) {
                        struct signalfd_siginfo si;
                        if (read(l->sigfd, &si, sizeof si) != (ssize_t) sizeof si)
                                break;
                        switch (si.ssi_signo) {
                        case SIGTERM:
                        case SIGINT:
                        case SIGHUP:
                                if (!ending) {
                                        /* a batch system cancelling the job */
                                        l->cancelled = ending = true;
                                        begin_end(l, (int) si.ssi_signo, &kill_at);
                                } else
                                        kill_at = now_usec(CLOCK_MONOTONIC); /* asked twice: kill now */
                                break;
                        case SIGUSR1:
                        case SIGUSR2:
                        case SIGCONT:
                                (void) kill(l->pid, (int) si.ssi_signo);
                                break;
                        default:
                                break;
                        }
                }
                if (p[2].revents)
                        read_child_error(l);
                reap(l);
        }
        return 0;
}

/* ---- 10. the end ---- */

static void finish(Launch *l) {
        _cleanup_free_ char *where = NULL;
        int st, r;

        if (l->pid > 0 && !l->reaped) {
                /* a failure after clone: the child must not live on */
                (void) kill(l->pid, SIGKILL);
                if (waitpid(l->pid, &st, 0) == l->pid) {
                        l->reaped = true;
                        l->init_status = st;
                }
        }
        if (l->error_r >= 0) {
                (void) fcntl(l->error_r, F_SETFL, O_NONBLOCK);
                read_child_error(l);
        }
        if (l->status_r >= 0) {
                (void) fcntl(l->status_r, F_SETFL, O_NONBLOCK);
                if (read(l->status_r, &st, sizeof st) == (ssize_t) sizeof st) {
                        l->job_status = st;
                        l->have_job_status = true;
                }
        }
        if (l->cg) {
                r = cgjob_kill(l->cg, KILL_TIMEOUT_USEC);
                if (r < 0)
                        log_error_errno(r, "cannot kill every process of cgroup %s: %m", l->cg->path);
        }
}

static void remove_cgroup(Launch *l, CgroupUsage *usage) {
        _cleanup_free_ char *where = NULL;
        int r;

        if (!l->cg)
                return;
        (void) cgjob_usage(l->cg, usage);
        /* the backend's own path ("/corral.slice/corral-job-12.scope" for systemd) */
        free(l->cgroup_path);
        l->cgroup_path = strdup(l->cg->path);
        r = cgjob_remove(l->cg, &where);
        if (r < 0)
                log_error_errno(r, "cannot remove cgroup %s: %m", where ? where : l->cg->path);
        l->cg = cgjob_free(l->cg);
}

static int report(Launch *l, const CgroupUsage *usage) {
        JobResult res = {
                .job_id = l->job_id[0] ? l->job_id : NULL,
                .policy = l->args.policy,
                .user = l->args.user,
                .uid = l->user.uid,
                .failed_step = l->failed_step,
                .message = l->message,
                .usage = *usage,
                .start_realtime_usec = l->start_real,
                .end_realtime_usec = now_usec(CLOCK_REALTIME),
                .elapsed_usec = now_usec(CLOCK_MONOTONIC) - l->start_mono,
                .walltime_usec = l->walltime == USEC_INFINITY ? CGROUP_USAGE_UNKNOWN : l->walltime,
                .pid = l->pid,
                .argv = l->args.argv,
                .warnings = l->warnings,
        };
        char cgpath[512];
        int st, status;

        if (l->cgroup_path)
                res.cgroup = l->cgroup_path;
        else if (l->cgroup_name[0] && l->cgroup_parent) {
                (void) snprintf(cgpath, sizeof cgpath, "/%s/%s", l->cgroup_parent, l->cgroup_name);
                res.cgroup = cgpath;
        }
        /* the job's status from init; if init did not say (killed), init's */
        st = l->have_job_status ? l->job_status : l->init_status;
        if (l->failed_step != STEP_NONE) {
                status = step_exit_code(l->failed_step);
                res.exit_code = status;
        } else if (WIFSIGNALED(st)) {
                res.signal = WTERMSIG(st);
                status = 128 + res.signal;
        } else {
                res.exit_code = WEXITSTATUS(st);
                status = res.exit_code;
        }
        res.status = status;
        res.state = job_state_classify(l->timed_out, l->cancelled, usage->oom_kills, st, l->failed_step != STEP_NONE);
        if (res.state == JOB_TIMEOUT)
                log_info("job %s: walltime reached, killed", l->job_id);
        if (l->result_fd >= 0) {
                int r = result_write(l->result_fd, &res);
                if (r < 0) {
                        log_error_errno(r, "cannot write the result record: %m");
                        if (status == 0)
                                status = EXIT_RESULT;
                }
        }
        return status;
}

static void launch_done(Launch *l) {
        /* stdout and stderr may share one fd */
        if (l->stdio[2] > 2 && l->stdio[2] != l->stdio[1])
                (void) close(l->stdio[2]);
        for (int i = 0; i < 2; i++)
                if (l->stdio[i] > 2)
                        (void) close(l->stdio[i]);
        if (l->result_fd > 2 && l->result_fd != l->args.result_fd)
                (void) close(l->result_fd);
        closep(&l->pidfd);
        closep(&l->sigfd);
        closep(&l->sync_w);
        closep(&l->error_r);
        closep(&l->status_r);
        free(l->bpf.prog.filter);
        l->envp = strv_free(l->envp);
        user_done(&l->user);
        l->policy = policy_free(l->policy);
        l->node = nodeconf_free(l->node);
        free(l->message);
        strv_free(l->warnings);
        free(l->cgroup_path);
        devlist_done(&l->devices);
        l->env = strv_free(l->env);
}

/* The containment steps, in order. Why this order:
 *  - policy and user first: refusing costs nothing and creates nothing;
 *  - seccomp is built (not loaded) before anything exists, so a bad filter
 *    leaves nothing behind; stdio files are opened with the user's rights
 *    in the host's mount namespace, where the caller meant the paths, and
 *    never with a wait in open() (open_stdio_file());
 *  - the walltime counts from the start and guards every step from the
 *    moment the policy says what it is (arm_walltime_guard());
 *  - the cgroup exists before the child, so the job is limited and counted
 *    from its first instruction (v2: born inside it; v1: the child's first
 *    act is to move itself in, before it even waits for the parent);
 *  - namespaces come with the clone; the child waits until its ids are
 *    mapped and its rlimits set, then mounts (it needs its namespace
 *    capabilities for that), then drops credentials for good, then forks
 *    the job, which loads seccomp last, because the filter would otherwise
 *    get in the way of the setup calls, and execs. */
/* --mem and --cpus (the job's own, corral submit --mem/--cpus/--tasks):
 * they replace the policy's memory and cpus for this job, up to the
 * policy's max_mem and max_cpus, before step 2 makes the cgroup. */
static int apply_job_resources(Launch *l) {
        char a[FORMAT_BUF], b[FORMAT_BUF];
        uint64_t max;

        if (l->args.mem) {
                max = res_max_mem(l->policy->memory, l->policy->max_mem);
                if (max != UINT64_MAX && l->args.mem > max)
                        return fail(l, STEP_POLICY, -EPERM, "--mem %s exceeds the %s policy '%s' allows (max_mem)",
                                    format_size(a, l->args.mem), format_size(b, max), l->args.policy);
                l->policy->memory = l->args.mem;
        }
        if (l->args.cpus) {
                max = res_max_cpus(l->policy->cpus, l->policy->max_cpus);
                if (max != UINT64_MAX && l->args.cpus > max)
                        return fail(l, STEP_POLICY, -EPERM, "--cpus %s exceeds the %s policy '%s' allows (max_cpus)",
                                    format_cpus(a, l->args.cpus), format_cpus(b, max), l->args.policy);
                l->policy->cpus = l->args.cpus;
        }
        return 0;
}

static int run_setup(Launch *l) {
        int r;

        r = open_result(l);
        if (r < 0)
                return r;
        r = load_config(l);
        if (r < 0)
                return r;
        r = apply_job_resources(l);
        if (r < 0)
                return r;
        /* the walltime counts from the start of the launch (l->start_mono),
         * and from here on guards every step before the job runs */
        l->walltime = l->policy->walltime;
        if (l->args.walltime != USEC_INFINITY && l->args.walltime < l->walltime)
                l->walltime = l->args.walltime; /* a job may ask for less, never more */
        l->deadline = l->walltime >= USEC_INFINITY - l->start_mono ? USEC_INFINITY : l->start_mono + l->walltime;
        r = arm_walltime_guard(l);
        if (r < 0)
                return r;
        /* The backend's one-time set-up (libcgroup's cgroup_init()), when the
         * cache does not spare it, runs in step 2, in line: in a thread beside
         * steps 1 and 6a it made the launch slower, not faster (measured:
         * 0.15 ms more to reach step 2; the NSS modules loaded by step 1 and
         * libcgroup's page faults contend for the address space, and every
         * mprotect/munmap then costs a TLB shootdown IPI to the other CPU).
         * A parent that forks launchers can do it once for all of them
         * (cgjob_backend_prepare()). */
        r = cgjob_backend_find(l->node->cgroup_backend, &l->backend);
        if (r < 0)
                return fail(l, STEP_CGROUP, r, "cgroup backend %s not available: %m",
                            nodeconf_keys[NK_CGROUP_BACKEND].values[l->node->cgroup_backend]);
        log_debug("cgroup backend: %s", l->backend->name);
        /* 1. the user */
        r = step_user(l);
        if (r < 0)
                return r;

        if (l->args.job_id)
                (void) snprintf(l->job_id, sizeof l->job_id, "%s", l->args.job_id);
        else {
                uint32_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                        rnd = (uint32_t) now_usec(CLOCK_MONOTONIC);
                (void) snprintf(l->job_id, sizeof l->job_id, "%d-%08x", (int) getpid(), rnd);
        }
        r = job_cgroup_name(NULL, l->job_id, sizeof l->cgroup_name, l->cgroup_name);
        if (r < 0)
                return fail(l, STEP_USAGE, r, "job id '%s' makes no valid cgroup name: %m", l->job_id);

        /* 6a. the filter, built now (or found in the cache), loaded last */
        r = step_seccomp(l);
        if (r < 0)
                return r;
        r = step_landlock(l);
        if (r < 0)
                return r;
        r = read_env_file(l);
        if (r < 0)
                return r;
        r = drop_denied_env(l);
        if (r < 0)
                return r;
        /* 7a. environment and stdio */
        r = env_build(&l->user, l->job_id, l->args.policy, l->args.env, &l->envp);
        if (r < 0)
                return fail(l, STEP_INTERNAL, r, "cannot build the job's environment: %m");
        r = open_stdio(l);
        if (r < 0)
                return r;
        save_tty(l);

        r = setup_signals(l);
        if (r < 0)
                return r;
        /* 2. the cgroup */
        r = step_cgroup(l);
        if (r < 0)
                return r;
        /* 3.-8. namespaces, then in the child: mounts, credentials, init, exec */
        return step_spawn(l);
}

static int run(Launch *l) {
        int r;

        r = run_setup(l);
        /* from here the deadline is wait_job()'s (and finish()'s cleanup
         * must not be cut short by the guard's SIGKILL) */
        disarm_walltime_guard(l);
        if (r < 0)
                return r;
        /* 9. wait, with walltime and signals */
        r = wait_job(l);
        if (r < 0)
                return fail(l, STEP_INTERNAL, r, "waiting for the job failed: %m");
        return 0;
}

int launch_run(const LaunchRequest *req) {
        Launch l = {
                .args = *req,
                .stdio = { -1, -1, -1 },
                .result_fd = -1,
                .pidfd = -1,
                .sigfd = -1,
                .sync_w = -1,
                .error_r = -1,
                .status_r = -1,
                .tty_fd = -1,
        };
        CgroupUsage usage = {
                .memory_peak = CGROUP_USAGE_UNKNOWN,
                .cpu_user_usec = CGROUP_USAGE_UNKNOWN,
                .cpu_system_usec = CGROUP_USAGE_UNKNOWN,
                .oom_kills = CGROUP_USAGE_UNKNOWN,
        };
        int status;

        log_set_program("corral-launch");
        ensure_std_fds();
        l.start_mono = now_usec(CLOCK_MONOTONIC);
        l.start_real = now_usec(CLOCK_REALTIME);

        /* the parser's checks, for a request built in memory (the parser's
         * own pass them again) */
        if (launch_request_check(req) < 0)
                return EXIT_USAGE;
        if (geteuid() != 0) {
                log_error("must be run as root");
                return EXIT_USAGE;
        }

        (void) run(&l);
        finish(&l);
        restore_tty(&l);
        tell_stderr(&l);
        remove_cgroup(&l, &usage);
        status = report(&l, &usage);
        launch_done(&l);
        return status;
}

int launch_main(int argc, char *argv[]) {
        LaunchRequest req;
        int r;

        log_set_program("corral-launch");
        ensure_std_fds();
        r = launch_parse_args(argc, argv, &req);
        if (r > 0)
                return 0;
        if (r < 0)
                return EXIT_USAGE;
        r = launch_run(&req);
        launch_request_done(&req);
        return r;
}
