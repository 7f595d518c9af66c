/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helper.c — the root half of corrald. It serves a fixed table of requests
 * from the core (helper_requests[] at the end), typed messages of
 * lib/hmsg.h: hmsg_recv() checks every field (names, ids, paths, the
 * environment's form, the signal table), hmsg_refusal() whether the request
 * may come now (the "when" column: adopt only while the core recovers,
 * launch only after and only for a job not tracked here), and the handlers
 * what only this process can know: the user must exist with that uid and
 * may not be root, the policy is read from the policy directory by this
 * process (never taken from the core), the walltime may not exceed the
 * policy's. Anything unknown, malformed, oversized or out of turn ends the
 * helper: the core is never trusted to be right.
 *
 * What it starts: corral-launch (one per job; its result goes to
 * run_dir/results/JOB.json so that a restarted corrald can still collect it)
 * and corral-epilogue. Both are linked into corrald and run in a forked
 * child without exec (corral-launch: launch_run() with a LaunchRequest
 * filled here; corral-epilogue: epilogue_run() with an EpRequest filled
 * here): the child starts from what this long-lived process has already
 * loaded and prepared (shared libraries, NSS modules, libcgroup's view of
 * the mounts), which is most of what a fresh corral-launch spends before its
 * job starts. --launch/--epilogue name binaries to execute instead; they are
 * started with posix_spawn() (glibc: clone(CLONE_VM | CLONE_VFORK), the
 * helper's page tables neither copied nor write-protected), the file
 * descriptors, session and signal mask set by its attributes
 * (spawn_program()). Launchers are not killed when corrald stops: the
 * next start adopts them (see recovery in core-lifecycle.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epilogue-api.h"
#include "hmsg.h"
#include "launch-main.h"
#include "cgroup.h"
#include "corrald.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "policy.h"
#include "resources.h"
#include "proctable.h"
#include "protocol.h"
#include "rmtree.h"
#include "strv.h"

#define RESULT_MAX ((size_t) 256 * 1024)
#define EPILOGUE_OUTPUT_MAX ((size_t) 1024 * 1024)
#define MAX_LAUNCHERS 4096

typedef struct Helper Helper;

typedef struct Launcher {
        Helper *h;
        int64_t job;
        pid_t pid;
        int pidfd;
        sd_event_source *src;
        struct Launcher *next;
} Launcher;

typedef struct Epilogue {
        Helper *h;
        int64_t job;
        pid_t pid;
        char *buf;
        size_t len;
        sd_event_source *child_src, *io_src;
        bool exited, eof;
        int code;
        struct Epilogue *next;
} Epilogue;

struct Helper {
        Settings *s;
        int fd;
        HMsgPhase phase;
        sd_event *event;
        Launcher *launchers;
        Epilogue *epilogues;
        unsigned n_launchers;
};

/* A line about one job: the text as it was, CORRAL_JOB= on the journal. */
#define log_helper_job(level, error, job, ...)                                                                         \
        ({                                                                                                             \
                char _jf[40];                                                                                          \
                (void) snprintf(_jf, sizeof _jf, "CORRAL_JOB=%lld", (long long) (job));                                \
                log_internal_fields((level), (error), __FILE__, __LINE__, __func__,                                    \
                                    (const char *const[]){ _jf, NULL }, __VA_ARGS__);                                  \
        })

static _noreturn_ void fatal(const char *what, const char *detail) {
        log_error("helper: %s%s%s; exiting", what, detail ? ": " : "", detail ? detail : "");
        _exit(EXIT_FAILURE);
}

static void reply(Helper *h, const HMsg *m) {
        int r = hmsg_send(h->fd, m, NULL);
        if (r == -EINVAL || r == -ENOMEM)
                fatal("cannot pack a message to the core", hmsg_type_name(m->type));
        if (r < 0)
                log_warning_errno(r, "helper: cannot reply to the core, ignoring: %m");
}

static void job_file(Helper *h, int64_t job, const char *ext, char *buf, size_t len) {
        snprintf(buf, len, "%s/results/%lld.%s", h->s->run_dir, (long long) job, ext);
}

/* Reads a small root-owned file; NULL if absent or unreadable. */
static char *read_small(const char *path, size_t max) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char *buf;
        size_t len = 0;

        if (fd < 0)
                return NULL;
        buf = malloc(max + 1);
        if (!buf)
                return NULL;
        while (len < max) {
                ssize_t k = read(fd, buf + len, max - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0';
        return buf;
}

static json_t *read_result(Helper *h, int64_t job) {
        char path[4200];
        job_file(h, job, "json", path, sizeof path);
        _cleanup_free_ char *s = read_small(path, RESULT_MAX);
        json_t *o = s ? json_loads(s, 0, NULL) : NULL;
        if (o && !json_is_object(o)) {
                json_decref(o);
                o = NULL;
        }
        return o;
}

/* The last lines corral-launch wrote to its own stderr (its error messages). */
static char *launcher_log_tail(Helper *h, int64_t job) {
        char path[4200];
        job_file(h, job, "log", path, sizeof path);
        char *s = read_small(path, 4096);
        if (s) {
                size_t n = strlen(s);
                while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
                        s[--n] = '\0';
        }
        return s;
}

static void remove_launcher_record(Helper *h, int64_t job);

static void remove_job_files(Helper *h, int64_t job) {
        char path[4200];
        job_file(h, job, "json", path, sizeof path);
        (void) unlink(path);
        job_file(h, job, "log", path, sizeof path);
        (void) unlink(path);
        remove_launcher_record(h, job);
}

static Launcher *find_launcher(Helper *h, int64_t job) {
        for (Launcher *l = h->launchers; l; l = l->next)
                if (l->job == job)
                        return l;
        return NULL;
}

static void launcher_free(Launcher *l) {
        Helper *h = l->h;
        for (Launcher **p = &h->launchers; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        sd_event_source_disable_unref(l->src);
        if (l->pidfd >= 0)
                close(l->pidfd);
        h->n_launchers--;
        free(l);
}

/* A launcher ended: hand its result (or at least its exit status) over. */
static void launcher_done(Launcher *l, bool status_known, int code, int sig) {
        Helper *h = l->h;
        json_t *res = read_result(h, l->job);
        _cleanup_free_ char *tail = launcher_log_tail(h, l->job);

        log_helper_job(LOG_INFO, 0, l->job, "helper: the launcher of job %lld (pid %d) ended", (long long) l->job,
                       (int) l->pid);
        remove_launcher_record(h, l->job);
        reply(h, &(HMsg){ .type = HMSG_T_EXITED,
                          .exited = { .job = l->job,
                                      .result = res,
                                      .status_known = status_known,
                                      .code = code,
                                      .signal = sig,
                                      .log = tail && *tail ? tail : NULL } });
        json_decref(res);
        launcher_free(l);
}

static int on_launcher_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Launcher *l = userdata;
        bool exited = si->si_code == CLD_EXITED;
        launcher_done(l, true, exited ? si->si_status : 128 + si->si_status, exited ? 0 : si->si_status);
        return 0;
}

/* An adopted launcher is not our child: its pidfd becomes readable when it
 * exits, and its exit status is only in its result file. */
static int on_adopted_exit(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        launcher_done(userdata, false, -1, 0);
        return 0;
}

/* ---- request validation (the rest is hmsg_unpack()'s) ---- */

/* The user as the helper itself sees it: exists, not root, and its name
 * matches the uid the core named. */
static struct passwd *check_user(uid_t uid, const char *name) {
        struct passwd *pw = getpwuid(uid);
        if (!pw || uid == 0 || !name || strcmp(pw->pw_name, name) != 0)
                return NULL;
        return pw;
}

/* ---- running corral-launch and corral-epilogue ---- */

/* Starts bin with argv and the helper's environment, without copying the
 * helper: posix_spawn(). stdio[i] >= 0: the child's fd i (else the
 * helper's); pass_fd >= 0: the child's fd 3; every other fd is closed; the
 * signal mask empty; new_session: in a session of its own (setsid()). The
 * fds stay open here (the caller closes them). Returns 0 (the pid in
 * *ret_pid) or a negative errno: of an fd action, or why bin cannot be
 * executed (glibc reports the exec's error, and then no process is left). */
static int spawn_program(const char *bin, char **argv, const int stdio[3], int pass_fd, bool new_session,
                         pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none;
        int r;

        sigemptyset(&none);
        r = posix_spawn_file_actions_init(&fa);
        if (r)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        /* the fds given are >= 3 (0-2 are open here), so no dup2 below
         * overwrites one that a later action still reads */
        for (int i = 0; i < 3 && !r; i++)
                if (stdio[i] >= 0)
                        r = posix_spawn_file_actions_adddup2(&fa, stdio[i], i);
        if (!r && pass_fd >= 0) /* glibc clears FD_CLOEXEC when pass_fd is 3 already */
                r = posix_spawn_file_actions_adddup2(&fa, pass_fd, 3);
        if (!r)
                r = posix_spawn_file_actions_addclosefrom_np(&fa, pass_fd >= 0 ? 4 : 3);
        if (!r)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | (new_session ? POSIX_SPAWN_SETSID : 0));
        if (!r)
                r = posix_spawnattr_setsigmask(&attr, &none);
        if (!r)
                r = posix_spawn(ret_pid, bin, &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

/* For --launch BIN: the job's environment (the submitter's exported
 * variables: tokens, passwords) goes through --env-fd, a memfd the launcher
 * reads, never through argv, which every local user reads in ps. Returns
 * the memfd (close-on-exec: spawn_program() passes it as fd 3) or a negative
 * errno. */
static int launch_env_memfd(char **env) {
        _cleanup_close_ int fd = memfd_create("corral-env", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        for (char **e = env; *e; e++)
                for (size_t n = strlen(*e) + 1, done = 0; done < n;) {
                        ssize_t k = write(fd, *e + done, n - done);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                return k < 0 ? negative_errno() : -EIO;
                        done += (size_t) k;
                }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

/* corral-launch's command line for --launch BIN: the request's, with
 * --env-fd 3 instead of the environment when with_env_fd. NULL: out of
 * memory. */
static char **launch_exec_args(const char *bin, const LaunchRequest *req, bool with_env_fd) {
        _cleanup_strv_free_ char **args = NULL, **out = NULL;
        LaunchRequest r = *req;

        if (with_env_fd)
                r.env = NULL;
        if (launch_request_to_argv(&r, &args) < 0 || strv_extend(&out, bin) < 0 ||
            (with_env_fd && (strv_extend(&out, "--env-fd") < 0 || strv_extend(&out, "3") < 0)))
                return NULL;
        for (char **a = args + 1; *a; a++)
                if (strv_extend(&out, *a) < 0)
                        return NULL;
        return TAKE_PTR(out);
}

/* In a forked child whose stdio is set up, before it calls a program's code
 * in this process: undo what exec would have undone: other fds, the signal
 * mask, the name shown by ps (no getopt state: both programs take a
 * request struct).
 * The log target: when the helper logs to the journal, so does the program,
 * on a socket of its own (the helper's is closed with the other fds), every
 * line with CORRAL_JOB= and CORRAL_USER= (journalctl CORRAL_JOB=7 then shows
 * why a launch failed); copy_stderr: the same lines on stderr too (the
 * launcher's, whose tail the helper reads back). Otherwise stderr.
 * The child starts with a copy of the helper's memory, other jobs' requests
 * included. It stays root; of what it starts, the job execs at once (a new
 * address space) and only corral-init keeps the copy, non-dumpable from the
 * moment it takes the job's uid, so the job can neither ptrace it nor read
 * its /proc/1/mem (and the default policy denies ptrace besides). */
static void become_program(const char *name, int64_t job, const char *user, bool copy_stderr) {
        char jf[40], uf[300];
        const char *fields[] = { jf, uf, NULL };
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        log_close();
        (void) close_range(3, ~0U, 0);
        (void) prctl(PR_SET_NAME, name, 0, 0, 0);
        (void) snprintf(jf, sizeof jf, "CORRAL_JOB=%lld", (long long) job);
        (void) snprintf(uf, sizeof uf, "CORRAL_USER=%s", user);
        if (log_get_target() != LOG_TARGET_STDERR && log_set_context(fields) >= 0)
                log_set_target(copy_stderr ? LOG_TARGET_JOURNAL_AND_STDERR : LOG_TARGET_JOURNAL);
        else
                log_set_target(LOG_TARGET_STDERR);
}

/* What the children would otherwise each load or read again: libcgroup's
 * mount table, the NSS modules for users and groups. */
static void prepare_children(Helper *h) {
        const CgroupBackend *b;
        gid_t groups[8];
        int n = ELEMENTSOF(groups);

        if (cgjob_backend_find(h->s->node->cgroup_backend, &b) == 0)
                (void) cgjob_backend_prepare(b);
        (void) getpwuid(0);
        (void) getgrgid(0);
        (void) getgrouplist("root", 0, groups, &n);
        endpwent();
        endgrent();
}

/* Where the job's cgroup is (hierarchy-relative) and where the other jobs'
 * are, as the backend makes them. */
static int job_cgroup_path(Helper *h, int64_t job, size_t size, char *ret_path, char *ret_parent) {
        const CgroupBackend *b;
        char name[64];
        int r = cgjob_backend_find(h->s->node->cgroup_backend, &b);
        if (r < 0)
                return r;
        r = job_cgroup_name_num(NULL, job, sizeof name, name);
        if (r < 0)
                return r;
        return cgjob_backend_job_path(b, h->s->node->cgroup_parent, name, size, ret_path, ret_parent);
}

/* ---- launch ---- */

static int make_output(Helper *h, const struct passwd *pw, const char *oid, char *out, char *err, size_t len) {
        char dir[4200];
        _cleanup_close_ int dfd = -1;
        int r;

        /* Built root-owned first, then handed to the user: nobody can
         * prepare a trap in it before the files exist. */
        snprintf(dir, sizeof dir, "%s/%s", h->s->output_dir, oid);
        if (mkdir(dir, 0700) < 0)
                return negative_errno();
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return negative_errno();
        for (int i = 0; i < 2; i++) {
                const char *name = i == 0 ? "stdout" : "stderr";
                int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
                if (fd < 0)
                        return negative_errno();
                /* 0640 whatever the umask (corrald.service has UMask=0077):
                 * the core reads them for `corral logs` through the group */
                r = fchown(fd, pw->pw_uid, h->s->gid) < 0 || fchmod(fd, 0640) < 0 ? negative_errno() : 0;
                close(fd);
                if (r < 0)
                        return r;
        }
        if (fchown(dfd, pw->pw_uid, h->s->gid) < 0 || fchmod(dfd, 0750) < 0)
                return negative_errno();
        snprintf(out, len, "%s/stdout", dir);
        snprintf(err, len, "%s/stderr", dir);
        return 0;
}

static int write_launcher_record(Helper *h, int64_t job, pid_t pid, uint64_t start);

static void launch_failed(Helper *h, int64_t job, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void launch_failed(Helper *h, int64_t job, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_helper_job(LOG_WARNING, 0, job, "helper: job %lld not launched: %s", (long long) job, buf);
        reply(h, &(HMsg){ .type = HMSG_T_LAUNCH_FAILED, .launch_failed = { .job = job, .error = buf } });
}

/* --launch BIN: BIN executed with the request's command line, as the
 * built-in launcher runs: stdin and stdout /dev/null, stderr the launch log
 * the helper reads back, in a session of its own (a SIGINT to corrald's
 * terminal is not the job's), the environment through --env-fd. Says why
 * with launch_failed() when it cannot: the job was not launched. */
static int spawn_launcher(Helper *h, int64_t job, const LaunchRequest *req, const char *log, pid_t *ret_pid) {
        const char *bin = h->s->launch_bin;
        _cleanup_close_ int lfd = -1, nfd = -1, efd = -1;
        _cleanup_strv_free_ char **args = NULL;
        int r;

        lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lfd < 0) {
                r = negative_errno();
                launch_failed(h, job, "cannot open the launcher's log %s: %s", log, strerror(-r));
                return r;
        }
        nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nfd < 0) {
                r = negative_errno();
                launch_failed(h, job, "cannot open /dev/null: %s", strerror(-r));
                goto fail;
        }
        if (req->env && req->env[0]) {
                efd = launch_env_memfd(req->env);
                if (efd < 0) {
                        r = efd;
                        launch_failed(h, job, "cannot pass the job's environment in a memfd: %s", strerror(-r));
                        goto fail;
                }
        }
        args = launch_exec_args(bin, req, efd >= 0);
        if (!args) {
                r = -ENOMEM;
                launch_failed(h, job, "out of memory");
                goto fail;
        }
        r = spawn_program(bin, args, (const int[3]){ nfd, nfd, lfd }, efd, true, ret_pid);
        if (r >= 0)
                return 0;
        launch_failed(h, job, "corrald: cannot execute %s: %s", bin, strerror(-r));
fail:
        /* no launcher, no epilogue: nothing else removes it */
        (void) unlink(log);
        return r;
}

static void req_launch(Helper *h, const HMsg *msg) {
        const HMsgLaunch *m = &msg->launch;
        int64_t job = m->job;
        const char *user = m->user, *policy = m->policy, *cwd = m->cwd, *oid = m->output_id;
        char **argv = m->argv, **env = m->env;
        _cleanup_policy_free_ Policy *p = NULL;
        ConfDiags d = { 0 };
        char out[4300], err[4300], res[4200], log[4200], num[64];
        struct passwd *pw;
        uint64_t walltime = m->walltime;
        int r;

        if (h->n_launchers >= MAX_LAUNCHERS)
                fatal("launch request beyond the most launchers", NULL);

        /* the policy, read by us; the user, looked up by us */
        r = policy_load(h->s->policy_dir, policy, POLICY_STRICT_PERMS, &p, &d);
        if (r < 0) {
                char first[512] = "";
                if (d.n > 0)
                        snprintf(first, sizeof first, "%s:%u: %s", d.items[0].file, d.items[0].line, d.items[0].msg);
                conf_diags_clear(&d);
                return launch_failed(h, job, "policy '%s' cannot be loaded: %s", policy,
                                     first[0] ? first : strerror(-r));
        }
        conf_diags_clear(&d);
        pw = check_user(m->uid, user);
        if (!pw)
                return launch_failed(h, job, "user %s (uid %lld) does not exist here, or is root", user,
                                     (long long) m->uid);
        if (walltime == 0 || walltime > p->walltime)
                return launch_failed(h, job, "walltime exceeds the policy's");
        if (m->mem && res_max_mem(p->memory, p->max_mem) < m->mem)
                return launch_failed(h, job, "its memory (--mem) exceeds what policy '%s' allows now", policy);
        if (m->cpus && res_max_cpus(p->cpus, p->max_cpus) < m->cpus)
                return launch_failed(h, job, "its CPUs (--cpus x --tasks) exceed what policy '%s' allows now", policy);

        r = make_output(h, pw, oid, out, err, sizeof out);
        if (r < 0)
                return launch_failed(h, job, "cannot create the output directory %s/%s: %s", h->s->output_dir, oid,
                                     strerror(-r));
        /* paths the user chose at submit: corral-launch opens them as the user */
        const char *uout = m->stdout_path, *uerr = m->stderr_path;
        if (uout)
                snprintf(out, sizeof out, "%s", uout);
        if (uerr)
                snprintf(err, sizeof err, "%s", uerr);
        job_file(h, job, "json", res, sizeof res);
        job_file(h, job, "log", log, sizeof log);
        (void) unlink(res);

        /* what corral-launch --policy P --policy-dir D --user U --job-id N
         * ... -- argv would say; its command line only for --launch PATH */
        snprintf(num, sizeof num, "%lld", (long long) job);
        LaunchRequest req = LAUNCH_REQUEST_INIT;
        req.policy = policy;
        req.policy_dir = h->s->policy_dir;
        req.user = user;
        req.job_id = num;
        req.cwd = cwd;
        req.stdin_path = "/dev/null";
        req.stdout_path = out;
        req.stderr_path = err;
        /* whole seconds, rounded up */
        req.walltime = (walltime + USEC_PER_SEC - 1) / USEC_PER_SEC * USEC_PER_SEC;
        if (m->mem)
                req.mem = m->mem;
        if (m->cpus)
                req.cpus = m->cpus;
        req.result_path = res;
        req.config_path = h->s->config_path;
        req.socket = h->s->socket; /* hidden from jobs that may not submit */
        req.env = env;
        req.argv = argv;

        pid_t pid;
        if (h->s->launch_bin) {
                r = spawn_launcher(h, job, &req, log, &pid);
                if (r < 0)
                        return; /* launch_failed() said why */
        } else {
                pid = fork();
                if (pid < 0)
                        return launch_failed(h, job, "fork: %s", strerror(errno));
                if (pid == 0) {
                        /* the launcher's own messages go to a log the helper reads */
                        int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                        int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
                        if (lfd < 0 || nfd < 0 || dup2(nfd, 0) < 0 || dup2(nfd, 1) < 0 || dup2(lfd, 2) < 0)
                                _exit(EXIT_FAILURE);
                        /* a new session: a SIGINT to corrald's terminal is not the job's */
                        (void) setsid();
                        become_program("corral-launch", job, user, true);
                        int status = launch_run(&req);
                        (void) fflush(NULL);
                        _exit(status);
                }
        }

        Launcher *l = calloc(1, sizeof(Launcher));
        if (!l)
                fatal("out of memory", NULL);
        *l = (Launcher){ .h = h, .job = job, .pid = pid, .pidfd = -1, .next = h->launchers };
        r = sd_event_add_child(h->event, &l->src, pid, WEXITED, on_launcher_exit, l);
        if (r < 0)
                fatal("cannot watch the launcher", strerror(-r));
        h->launchers = l;
        h->n_launchers++;
        uint64_t start = 0;
        (void) pid_start_time(pid, &start);
        r = write_launcher_record(h, job, pid, start);
        if (r < 0)
                log_helper_job(LOG_WARNING, r, job,
                               "helper: cannot record the launcher of job %lld in %s/results, ignoring (a "
                               "restarted corrald adopts it by its name only): %m",
                               (long long) job, h->s->run_dir);
        log_helper_job(LOG_INFO, 0, job, "helper: job %lld launched for %s as pid %d", (long long) job, user,
                       (int) pid);
        char cg[1024];
        bool have_cg = job_cgroup_path(h, job, sizeof cg, cg, NULL) >= 0;
        reply(h, &(HMsg){ .type = HMSG_T_LAUNCHED,
                          .launched = { .job = job,
                                        .pid = pid,
                                        .start = start,
                                        .stdout_path = out,
                                        .stderr_path = err,
                                        .cgroup = have_cg ? cg : NULL } });
}

/* ---- signal, kill, cleanup ---- */

static void req_signal(Helper *h, const HMsg *m) {
        int sig = m->signal.signal; /* one of the table's: hmsg_unpack() */
        Launcher *l = find_launcher(h, m->signal.job);
        if (!l)
                return; /* already gone: its exit message is on the way */
        /* corral-launch forwards it to the job */
        if (l->pidfd >= 0)
                (void) syscall(SYS_pidfd_send_signal, l->pidfd, sig, NULL, 0);
        else
                (void) sd_event_source_send_child_signal(l->src, sig, NULL, 0);
}

static int open_job_cgroup(Helper *h, int64_t job, CgroupJob **ret) {
        const CgroupBackend *b;
        char name[64];
        int r = cgjob_backend_find(h->s->node->cgroup_backend, &b);
        if (r < 0)
                return r;
        r = job_cgroup_name_num(NULL, job, sizeof name, name);
        if (r < 0)
                return r;
        return cgjob_open(b, h->s->node->cgroup_parent, name, ret);
}

/* Kills and removes a job's cgroup; 0 also when there is none. */
static int kill_job_cgroup(Helper *h, int64_t job, bool remove) {
        _cleanup_cgjob_free_ CgroupJob *cg = NULL;
        int r = open_job_cgroup(h, job, &cg);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = cgjob_kill(cg, 10 * USEC_PER_SEC);
        if (r < 0 || !remove)
                return r;
        return cgjob_remove(cg, NULL);
}

static void req_kill(Helper *h, const HMsg *m) {
        int64_t job = m->kill.job;
        /* The launcher sees its job die and reports as usual; it removes
         * the cgroup itself. */
        int r = kill_job_cgroup(h, job, false);
        if (r < 0)
                log_helper_job(LOG_WARNING, r, job, "helper: cannot kill the cgroup of job %lld: %m", (long long) job);
}

/* ---- purge ---- */

/* The most levels of directories removed below a job's output directory:
 * corral makes none; a job may make a few. Deeper is left for an admin. */
#define PURGE_MAX_DEPTH 64

/* The output directory of an ended job the core purges from its store. Its
 * user owns it and may still change it (a process that outlived the job):
 * rmtree_at() removes it entry by entry through fds, following no symlink
 * and entering no other file system. A failure is logged and tolerated: the
 * row is gone either way, the directory is left for an admin. */
static void req_purge(Helper *h, const HMsg *m) {
        int64_t job = m->purge.job;
        _cleanup_close_ int dfd = open(h->s->output_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = dfd < 0 ? negative_errno() : rmtree_at(dfd, m->purge.output_id, PURGE_MAX_DEPTH);
        if (r < 0)
                log_helper_job(LOG_WARNING, r, job,
                               "helper: cannot remove the output directory %s/%s of purged job %lld, ignoring: %m",
                               h->s->output_dir, m->purge.output_id, (long long) job);
        else
                log_debug("helper: removed the output directory of purged job %lld", (long long) job);
}

/* ---- adopt (after a restart) ---- */

/* Which process is a job's launcher, after a restart. Not the one whose
 * executable is ours: `make install` or a package upgrade replaces corrald
 * (or corral-launch) under running launchers, whose /proc/PID/exe then reads
 * "... (deleted)" or names another inode. At fork time the helper writes
 * run_dir/results/N.launcher (root-only, like the results) with what names
 * the process for as long as the node runs: the boot id, the pid and the
 * pid's start time (clock ticks after boot). The kernel chooses both numbers
 * and gives the pid to no other process until this one is reaped; a later
 * process at the same pid with the same start time would need the whole pid
 * space to wrap within one tick. So neither the job's user nor the core (not
 * trusted: it runs unprivileged and parses user input; the pid and start time
 * it stored serve only as the fallback below) can present another process as
 * the launcher. At adoption the helper opens a pidfd for the recorded pid,
 * reads its start time and ids through /proc and checks that the pidfd's
 * process was not reaped in between (proc_pidfd_open_started()); the process
 * must still be root (real and effective uid 0: every process of a job runs
 * as its user, without capabilities) and the leader of its own session
 * (req_launch's setsid()). From then on it is watched and signalled only
 * through the pidfd, which cannot reach another process. The record goes
 * when the launcher ends.
 * A random token beside the record would add nothing: it could only be
 * compared with the file it is kept in, and the places a live process shows
 * (argv, environment) are the job's to read or, for the built-in launcher
 * that is never exec'd, do not show it at all.
 * A launcher started by a corrald without records (before an upgrade to this
 * one) is found by the pid and start time the core stored and, since the
 * core is not trusted, by its name, corral-launch, besides. */

#define LAUNCHER_RECORD_MAX 128

static const char *boot_id(void) {
        static char id[40];
        if (!id[0]) {
                _cleanup_free_ char *s = read_small("/proc/sys/kernel/random/boot_id", sizeof id - 1);
                if (s)
                        snprintf(id, sizeof id, "%.*s", (int) strcspn(s, "\n"), s);
        }
        return id[0] ? id : NULL;
}

static int write_launcher_record(Helper *h, int64_t job, pid_t pid, uint64_t start) {
        char path[4200], tmp[4210], rec[LAUNCHER_RECORD_MAX];
        const char *boot = boot_id();
        int fd, n, r = 0;

        if (!boot || start == 0)
                return -EIO;
        n = snprintf(rec, sizeof rec, "%d %llu %s\n", (int) pid, (unsigned long long) start, boot);
        job_file(h, job, "launcher", path, sizeof path);
        snprintf(tmp, sizeof tmp, "%s.new", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        ssize_t k = write(fd, rec, (size_t) n);
        if (k != n)
                r = k < 0 ? negative_errno() : -EIO;
        if (close(fd) < 0 && r == 0)
                r = negative_errno();
        if (r == 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* 0, -ENOENT (no record, or not a readable one) or -ESTALE (from another
 * boot: that launcher is gone). */
static int read_launcher_record(Helper *h, int64_t job, pid_t *ret_pid, uint64_t *ret_start) {
        char path[4200], boot[40];
        unsigned long long start;
        int pid;

        job_file(h, job, "launcher", path, sizeof path);
        _cleanup_free_ char *s = read_small(path, LAUNCHER_RECORD_MAX);
        if (!s || sscanf(s, "%d %llu %39s", &pid, &start, boot) != 3 || pid <= 0)
                return -ENOENT;
        if (!boot_id() || !streq(boot, boot_id()))
                return -ESTALE;
        *ret_pid = pid;
        *ret_start = start;
        return 0;
}

static void remove_launcher_record(Helper *h, int64_t job) {
        char path[4200];
        job_file(h, job, "launcher", path, sizeof path);
        (void) unlink(path);
}

/* A pidfd for the launcher of job, or -1 if it is gone (see above). */
static int open_launcher(Helper *h, int64_t job, pid_t core_pid, uint64_t core_start, pid_t *ret_pid) {
        _cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        pid_t pid = 0;
        uint64_t start = 0;
        ProcEntry e;
        int pidfd = -1, r;

        r = read_launcher_record(h, job, &pid, &start);
        bool legacy = r == -ENOENT;
        if (legacy) {
                pid = core_pid;
                start = core_start;
        }
        if (proc_fd < 0 || pid <= 0 || (r < 0 && !legacy))
                return -1;
        r = proc_pidfd_open_started(proc_fd, pid, start, &e, &pidfd);
        if (r < 0)
                return -1;
        if (e.uid != 0 || e.euid != 0 || e.sid != pid || (legacy && !streq(e.comm, "corral-launch"))) {
                log_helper_job(LOG_WARNING, 0, job,
                               "helper: pid %d is not the launcher of job %lld (another process has it: uid %u, "
                               "session %d, name %s)",
                               (int) pid, (long long) job, (unsigned) e.uid, (int) e.sid, e.comm);
                close(pidfd);
                return -1;
        }
        *ret_pid = pid;
        return pidfd;
}

static void req_adopt(Helper *h, const HMsg *m) {
        int64_t job = m->adopt.job;
        pid_t pid = m->adopt.pid;
        uint64_t start = m->adopt.start;
        int r;

        int pidfd = open_launcher(h, job, pid, start, &pid);
        if (pidfd >= 0) {
                Launcher *l = calloc(1, sizeof(Launcher));
                if (!l)
                        fatal("out of memory", NULL);
                *l = (Launcher){ .h = h, .job = job, .pid = pid, .pidfd = pidfd, .next = h->launchers };
                r = sd_event_add_io(h->event, &l->src, pidfd, EPOLLIN, on_adopted_exit, l);
                if (r < 0)
                        fatal("cannot watch an adopted launcher", strerror(-r));
                h->launchers = l;
                h->n_launchers++;
                log_helper_job(LOG_INFO, 0, job, "helper: adopted the launcher of job %lld (pid %d)", (long long) job,
                               (int) pid);
                reply(h, &(HMsg){ .type = HMSG_T_ADOPTED, .adopted = { .job = job } });
                return;
        }
        /* The launcher is gone. If it finished, its result is on disk;
         * otherwise the job is lost: kill whatever is left of it. */
        remove_launcher_record(h, job);
        json_t *res = read_result(h, job);
        if (!res) {
                r = kill_job_cgroup(h, job, true);
                if (r < 0)
                        log_helper_job(LOG_WARNING, r, job, "helper: cannot clean up the cgroup of lost job %lld: %m",
                                       (long long) job);
        }
        reply(h, &(HMsg){ .type = HMSG_T_EXITED,
                          .exited = { .job = job,
                                      .result = res,
                                      .status_known = false,
                                      .code = -1,
                                      .signal = 0,
                                      .lost = res == NULL } });
        json_decref(res);
}

/* ---- epilogue ---- */

static void epilogue_maybe_done(Epilogue *e) {
        Helper *h = e->h;
        if (!e->exited || !e->eof)
                return;
        /* corral-epilogue --json prints one record per line, the summary last */
        json_t *summary = NULL;
        if (e->buf) {
                e->buf[e->len] = '\0';
                char *last = NULL;
                for (char *line = strtok(e->buf, "\n"); line; line = strtok(NULL, "\n"))
                        last = line;
                if (last)
                        summary = json_loads(last, 0, NULL);
                if (summary && !json_is_object(summary)) {
                        json_decref(summary);
                        summary = NULL;
                }
        }
        reply(h, &(HMsg){ .type = HMSG_T_EPILOGUE_DONE,
                          .epilogue_done = { .job = e->job, .exit = e->code, .summary = summary } });
        json_decref(summary);
        remove_job_files(h, e->job);
        for (Epilogue **p = &h->epilogues; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        sd_event_source_disable_unref(e->child_src);
        sd_event_source_disable_unref(e->io_src);
        free(e->buf);
        free(e);
}

static int on_epilogue_exit(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Epilogue *e = userdata;
        e->exited = true;
        e->code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        epilogue_maybe_done(e);
        return 0;
}

static int on_epilogue_output(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Epilogue *e = userdata;
        char buf[8192];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                e->eof = true;
                sd_event_source_set_enabled(src, SD_EVENT_OFF);
                epilogue_maybe_done(e);
                return 0;
        }
        if (e->len + (size_t) n <= EPILOGUE_OUTPUT_MAX) {
                char *nb = realloc(e->buf, e->len + (size_t) n + 1);
                if (!nb)
                        fatal("out of memory", NULL);
                memcpy(nb + e->len, buf, (size_t) n);
                e->buf = nb;
                e->len += (size_t) n;
        }
        return 0;
}

/* In the forked child: the epilogue's stdout is the pipe to us; it runs in
 * this process. */
static _noreturn_ void run_epilogue(Helper *h, const EpRequest *req, int64_t job, int out_fd) {
        int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nfd < 0 || dup2(nfd, 0) < 0 || dup2(out_fd, 1) < 0)
                _exit(EXIT_FAILURE);
        become_program("corral-epilogue", job, req->user, false);
        int status = epilogue_run(req);
        (void) fflush(NULL);
        _exit(status);
}

/* --epilogue BIN: BIN executed with the request's command line, stdin
 * /dev/null, stdout out_fd (the pipe to us), stderr the helper's. Logs why
 * when it cannot. */
static int spawn_epilogue(Helper *h, const EpRequest *req, int out_fd, pid_t *ret_pid) {
        const char *bin = h->s->epilogue_bin;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int nfd = -1;
        long long job = strtoll(req->job, NULL, 10);
        int r = epilogue_request_to_argv(req, &argv);

        if (r >= 0) {
                free(argv[0]);
                argv[0] = strdup(bin);
        }
        if (r < 0 || !argv[0]) {
                (void) ep_request_validate(req, &error);
                log_helper_job(LOG_ERR, 0, job, "helper: cannot make the epilogue's command line for job %lld: %s", job,
                               error ?: strerror(r < 0 ? -r : ENOMEM));
                return r < 0 ? r : -ENOMEM;
        }
        nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nfd < 0) {
                r = negative_errno();
                log_helper_job(LOG_ERR, r, job, "helper: cannot open /dev/null for the epilogue of job %lld: %m", job);
                return r;
        }
        r = spawn_program(bin, argv, (const int[3]){ nfd, out_fd, -1 }, -1, false, ret_pid);
        if (r < 0)
                log_helper_job(LOG_ERR, r, job, "helper: cannot execute %s for the epilogue of job %lld: %m", bin, job);
        return r;
}

static void req_epilogue(Helper *h, const HMsg *msg) {
        const HMsgEpilogue *m = &msg->epilogue;
        int64_t job = m->job;
        const char *user = m->user, *policy = m->policy;
        _cleanup_(ep_request_done) EpRequest req = {
                .mode = EP_MODE_CORRAL,
                .json = true, /* one record per line, the summary last: epilogue_maybe_done() */
                .dry_run = h->s->epilogue_dry_run,
        };
        char num[64];
        int pfd[2], r;

        if (!check_user(m->uid, user)) {
                /* the account is gone: nothing of it can be cleaned by name */
                reply(h, &(HMsg){ .type = HMSG_T_EPILOGUE_DONE, .epilogue_done = { .job = job, .exit = 2 } });
                return;
        }
        /* the user's interactive sessions the core asks us to spare */
        if (m->n_keep_sessions > 0) {
                req.keep_sessions = calloc(m->n_keep_sessions, sizeof(pid_t));
                if (!req.keep_sessions)
                        fatal("out of memory", NULL);
                memcpy(req.keep_sessions, m->keep_sessions, m->n_keep_sessions * sizeof(pid_t));
                req.n_keep_sessions = m->n_keep_sessions;
        }
        /* the ended job's cgroup, and where the other running jobs are: their
         * processes are spared (the epilogue's corral mode) */
        char cg[1024], parent[1024];
        if (job_cgroup_path(h, job, sizeof cg, cg, parent) < 0)
                fatal("epilogue request for a job whose cgroup name does not fit", NULL);
        snprintf(num, sizeof num, "%lld", (long long) job);
        if (!(req.user = strdup(user)) || !(req.job = strdup(num)) || !(req.policy_name = strdup(policy)) ||
            !(req.policy_dir = strdup(h->s->policy_dir)) || !(req.cgroup = strdup(cg)) ||
            strv_extend(&req.job_cgroup_parents, parent) < 0)
                fatal("out of memory", NULL);

        if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
                fatal("pipe", strerror(errno));
        pid_t pid;
        if (h->s->epilogue_bin) {
                r = spawn_epilogue(h, &req, pfd[1], &pid);
                if (r < 0) {
                        /* what an epilogue that could not start would exit with */
                        close(pfd[0]);
                        close(pfd[1]);
                        reply(h, &(HMsg){ .type = HMSG_T_EPILOGUE_DONE,
                                          .epilogue_done = { .job = job, .exit = EP_EXIT_USAGE } });
                        remove_job_files(h, job);
                        return;
                }
        } else {
                pid = fork();
                if (pid < 0)
                        fatal("fork", strerror(errno));
                if (pid == 0)
                        run_epilogue(h, &req, job, pfd[1]);
        }
        close(pfd[1]);
        Epilogue *e = calloc(1, sizeof(Epilogue));
        if (!e)
                fatal("out of memory", NULL);
        *e = (Epilogue){ .h = h, .job = job, .pid = pid, .next = h->epilogues };
        r = sd_event_add_child(h->event, &e->child_src, pid, WEXITED, on_epilogue_exit, e);
        if (r >= 0)
                r = sd_event_add_io(h->event, &e->io_src, pfd[0], EPOLLIN, on_epilogue_output, e);
        if (r < 0)
                fatal("cannot watch the epilogue", strerror(-r));
        sd_event_source_set_io_fd_own(e->io_src, true);
        h->epilogues = e;
}

/* ---- the request table ---- */

/* What the core may ask, by message type; when it may ask it is
 * hmsg_refusal()'s (the "when" column: adopt only while recovering, launch
 * only after, and only for a job the helper neither runs nor cleans up).
 * Everything else ends the helper. */
static void (*const helper_requests[_HMSG_T_MAX])(Helper *h, const HMsg *m) = {
        [HMSG_T_LAUNCH] = req_launch,     [HMSG_T_SIGNAL] = req_signal, [HMSG_T_KILL] = req_kill,
        [HMSG_T_EPILOGUE] = req_epilogue, [HMSG_T_ADOPT] = req_adopt,   [HMSG_T_PURGE] = req_purge,
};

static bool job_tracked(Helper *h, int64_t job) {
        if (job <= 0)
                return false;
        if (find_launcher(h, job))
                return true;
        for (Epilogue *e = h->epilogues; e; e = e->next)
                if (e->job == job)
                        return true;
        return false;
}

/* One message the core sent, unpacked (and so checked) by hmsg_recv(): is
 * it allowed now, then its handler. */
static void take_message(Helper *h, const HMsg *m) {
        const char *why = hmsg_refusal(m, h->phase, job_tracked(h, hmsg_job(m)));
        if (why)
                fatal("request refused", why);
        h->phase = hmsg_phase_after(m, h->phase);
        if (m->type == HMSG_T_RECOVERY)
                log_debug("helper: recovery %s", m->recovery.begin ? "begins" : "ended");
        else
                helper_requests[m->type](h, m);
}

static int on_core_message(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Helper *h = userdata;
        const char *field = NULL;
        HMsg m;
        int r = hmsg_recv(fd, &m, &field);
        if (r == -EAGAIN)
                return 0;
        if (r == -EBADMSG)
                fatal("malformed or oversized message from the core", field);
        if (r < 0)
                fatal("unreadable message from the core", strerror(-r));
        if (r == 0) {
                /* the core is gone: stop, leaving launchers for the next start */
                log_info("helper: the core exited; stopping");
                return sd_event_exit(h->event, EXIT_FAILURE);
        }
        take_message(h, &m);
        hmsg_done(&m);
        return 0;
}

static int on_stop_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Helper *h = userdata;
        log_info("helper: %s; stopping (running jobs go on and are adopted at the next start)",
                 strsignal((int) si->ssi_signo));
        return sd_event_exit(h->event, 0);
}

int helper_main(Settings *s, int fd) {
        Helper h = { .s = s, .fd = fd };
        int r;

        prepare_children(&h);
        r = sd_event_default(&h.event);
        if (r < 0)
                return log_error_errno(r, "helper: cannot create the event loop: %m");
        r = sd_event_add_io(h.event, NULL, fd, EPOLLIN, on_core_message, &h);
        if (r >= 0)
                r = sd_event_add_signal(h.event, NULL, SIGTERM, on_stop_signal, &h);
        if (r >= 0)
                r = sd_event_add_signal(h.event, NULL, SIGINT, on_stop_signal, &h);
        if (r < 0)
                return log_error_errno(r, "helper: cannot set up the event loop: %m");
        r = sd_event_loop(h.event);
        /* launchers keep running for the next start to adopt; only our
         * bookkeeping goes */
        while (h.launchers)
                launcher_free(h.launchers);
        while (h.epilogues) {
                Epilogue *e = h.epilogues;
                h.epilogues = e->next;
                sd_event_source_disable_unref(e->child_src);
                sd_event_source_disable_unref(e->io_src);
                free(e->buf);
                free(e);
        }
        sd_event_unref(h.event);
        return r;
}
