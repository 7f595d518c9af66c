/* SPDX-License-Identifier: GPL-2.0-or-later */
/* init.c — the child side: steps 4 to 8. The child of clone3() becomes the
 * job's init, PID 1 of its PID namespace:
 *
 *   move itself into the job's v1 cgroups (on v2 it was born there), close
 *   every fd it does not need
 *   -> wait for the parent (ids mapped, rlimits set)
 *   -> mounts, hostname, loopback (as root of the new user namespace)
 *   -> credentials dropped for good (it is the user from here on)
 *   -> vfork the job: new session, cwd, stdio, other fds closed, clean
 *      environment, seccomp last, exec
 *   -> init loop: reap every zombie, forward SIGTERM, SIGINT, SIGHUP,
 *      SIGUSR1, SIGUSR2 and SIGCONT to the job, and when the job ends write
 *      its wait status to the parent and exit; the kernel then kills what is
 *      left in the namespace.
 *
 * init itself runs as the user without capabilities and non-dumpable, so the
 * job can neither ptrace it nor read its memory or fds through /proc. A
 * failure before exec is reported through the error pipe (step, errno,
 * message) and the process exits with the step's code. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "launch.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT };

extern char **environ;

static void report(int fd, const ChildError *e) {
        /* one write, smaller than PIPE_BUF: atomic */
        ssize_t n = write(fd, e, sizeof *e);
        (void) n;
}

_noreturn_ static void die(const JobSpec *spec, const ChildError *e) {
        report(spec->error_fd, e);
        _exit(step_exit_code((Step) e->step));
}

_noreturn_ static void die_errno(const JobSpec *spec, Step step, int r, const char *fmt, ...) _printf_(4, 5);
_noreturn_ static void die_errno(const JobSpec *spec, Step step, int r, const char *fmt, ...) {
        ChildError e = { .step = step, .error = -r };
        va_list ap;
        errno = -r;
        va_start(ap, fmt);
        (void) vsnprintf(e.msg, sizeof e.msg, fmt, ap);
        va_end(ap);
        die(spec, &e);
}

/* Marks every fd above 2 close-on-exec, except none: the error pipe already
 * is, so exec success closes it and tells the parent. */
static int cloexec_all(void) {
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        for (int fd = 3; fd < 65536; fd++)
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return 0;
}

/* execvp()'s error, as a shell would put it: execvp() says EACCES when a
 * directory of PATH could not be searched (the submitter's PATH, exported,
 * may name one the job's user cannot enter, /root/bin), even though the
 * command is in none of them: that is "No such file or directory". EACCES
 * stays when a file of that name is there (not executable). */
static int exec_errno(const char *name) {
        int r = negative_errno();
        const char *path = getenv("PATH");

        if (r != -EACCES || strchr(name, '/') || !path)
                return r;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");
                char buf[PATH_MAX];
                struct stat st;
                if (snprintf(buf, sizeof buf, "%.*s/%s", (int) n, n ? p : ".", name) < (int) sizeof buf &&
                    stat(buf, &st) == 0)
                        return r;
                p += n;
                if (*p == ':')
                        p++;
        }
        return -ENOENT;
}

_noreturn_ static void exec_job(JobSpec *spec) {
        sigset_t none;
        const char *cwd = spec->cwd;
        ChildError e = {};

        /* the job starts with default signal handling and nothing blocked */
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                (void) signal(forwarded[i], SIG_DFL);
        (void) signal(SIGCHLD, SIG_DFL);
        (void) signal(SIGPIPE, SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        /* its own session: no controlling terminal (no TIOCSTI into the
         * caller's), its own process group for signals */
        (void) setsid();
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

        /* step 7: cwd after the mounts and as the user (permissions are
         * the user's); default: home if it is there, else / */
        if (!cwd) {
                cwd = spec->user->home;
                if (chdir(cwd) < 0)
                        cwd = "/";
        }
        if (chdir(cwd) < 0)
                die_errno(spec, STEP_EXEC_SETUP, negative_errno(), "cannot change to directory %s: %m", cwd);

        for (int i = 0; i < 3; i++)
                if (spec->stdio[i] >= 0 && spec->stdio[i] != i && dup2(spec->stdio[i], i) < 0)
                        die_errno(spec, STEP_EXEC_SETUP, negative_errno(), "cannot set up fd %d: %m", i);
        (void) cloexec_all();
        environ = spec->envp;

        /* steps 6b and 6: Landlock, in the job's mount namespace and as the
         * user (its rules name the paths the job sees), then seccomp, last
         * before exec */
        if (contain_apply_filters(spec->policy, spec->landlock, spec->seccomp, &e) < 0)
                die(spec, &e);

        execvp(spec->argv[0], spec->argv);
        die_errno(spec, STEP_EXEC, exec_errno(spec->argv[0]), "cannot execute '%s': %m", spec->argv[0]);
}

_noreturn_ static void init_loop(JobSpec *spec, pid_t job) {
        sigset_t set;
        int status = 0;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&set, forwarded[i]);

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        (void) kill(job, sig);
                        continue;
                }
                /* reap every zombie: orphans of the job end up here */
                for (;;) {
                        int st;
                        pid_t p = waitpid(-1, &st, WNOHANG);
                        if (p <= 0)
                                break;
                        if (p == job) {
                                ssize_t n = write(spec->status_fd, &st, sizeof st);
                                (void) n;
                                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                                _exit(status);
                        }
                }
        }
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return x < y ? -1 : x > y;
}

/* Closes every fd but 0-2 and those in keep: whatever the caller or a
 * library left open (libcgroup, NSS, the cgroup directory fd) has no business
 * in the job's init. */
static void close_all_but(int *keep, size_t n) {
        int from = 3;

        qsort(keep, n, sizeof keep[0], cmp_int);
        for (size_t i = 0; i < n; i++) {
                if (keep[i] < from)
                        continue;
                if (keep[i] > from && syscall(SYS_close_range, (unsigned) from, (unsigned) keep[i] - 1, 0U) < 0)
                        for (int fd = from; fd < keep[i]; fd++)
                                (void) close(fd);
                from = keep[i] + 1;
        }
        if (syscall(SYS_close_range, (unsigned) from, ~0U, 0U) < 0)
                for (int fd = from; fd < 65536; fd++)
                        (void) close(fd);
}

void child_main(JobSpec *spec) {
        ChildError e = {};
        char go;
        pid_t job;

        /* if corral-launch dies, so does the job (re-armed after the ids
         * change, which clears it) */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        (void) prctl(PR_SET_NAME, "corral-init", 0, 0, 0);

        /* step 2c (v1): into the job cgroup before anything else; a single
         * thread moving itself needs no global lock (the parent moving us
         * would cost an RCU grace period) */
        {
                int r = cgroup_attach_self(spec->attach_fds, spec->n_attach_fds);
                if (r < 0)
                        die_errno(spec, STEP_CGROUP, r, "cannot attach the job to its cgroup: %m");
        }

        {
                int keep[] = { spec->stdio[0],
                               spec->stdio[1],
                               spec->stdio[2],
                               spec->sync_fd,
                               spec->error_fd,
                               spec->status_fd,
                               spec->root ? spec->root->run_fd : -1,
                               spec->root ? spec->root->sys_fd : -1 };
                close_all_but(keep, ELEMENTSOF(keep));
        }

        /* wait until the parent has mapped the ids, attached the cgroup and
         * set the rlimits; EOF means it gave up */
        if (read(spec->sync_fd, &go, 1) != 1)
                _exit(EXIT_INTERNAL);

        /* step 4: mounts, as root of the new user namespace */
        if (mounts_setup(spec->policy, contain_namespace_flags(spec->policy), spec->user, spec->devices, spec->root,
                         &e) < 0)
                die(spec, &e);
        /* the trees are in the job's root now, or not used */
        if (spec->root) {
                if (spec->root->run_fd >= 0)
                        (void) close(spec->root->run_fd);
                if (spec->root->sys_fd >= 0)
                        (void) close(spec->root->sys_fd);
        }

        /* step 5: credentials, for init and the job alike (contain.h's
         * phases 2 to 4a) */
        if (contain_drop_privileged(&e) < 0 || contain_become_user(spec->user, &e) < 0 || contain_drop_caps(&e) < 0)
                die(spec, &e);
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (spec->policy->ns_pid != NS_ISOLATED)
                /* without a PID namespace, orphans still come to us */
                (void) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        /* the parent may have died before PDEATHSIG was re-armed: it keeps
         * the other end of the sync pipe open for as long as it lives */
        {
                struct pollfd pfd = { .fd = spec->sync_fd, .events = POLLIN };
                if (poll(&pfd, 1, 0) != 0)
                        _exit(EXIT_INTERNAL);
        }

        /* vfork: the job's process shares init's memory only until it
         * execs (init waits), which spares copying the page tables of this
         * whole process; exec_job() touches nothing but its stack, its own
         * fd table, cwd and signal state (not shared without CLONE_FILES,
         * CLONE_FS, CLONE_SIGHAND) and the environ pointer, which init never
         * uses */
        job = vfork();
        if (job < 0)
                die_errno(spec, STEP_NAMESPACES, negative_errno(), "cannot fork the job: %m");
        if (job == 0)
                exec_job(spec);

        /* init: keep nothing the job could use; the error pipe closes when
         * the job execs */
        (void) close(spec->error_fd);
        init_loop(spec, job);
}
