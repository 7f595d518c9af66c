/* SPDX-License-Identifier: GPL-2.0-or-later */
/* step.c — the containment of one Slurm step (step.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"
#include "step.h"

/* how long the step's namespace helper may take to set up the mounts */
#define HELPER_TIMEOUT_MS (60 * 1000)

static const struct {
        uint64_t flag;
        const char *proc; /* /proc/PID/ns/NAME */
        const char *label;
} step_ns[] = {
        { CLONE_NEWNS, "mnt", "mount" },
        { CLONE_NEWIPC, "ipc", "IPC" },
        { CLONE_NEWUTS, "uts", "UTS" },
};

struct SpankStep {
        const Policy *policy;
        ContainFilters filters;
        int ns_fds[ELEMENTSOF(step_ns)];
        uint64_t ns, skipped;
        JobShared shared; /* made by this step, joined, or not shared */
};

/* What the namespace helper reports (one write, smaller than PIPE_BUF). */
typedef struct HelperReport {
        int r;
        uint64_t ns, skipped;
        ChildError err;
} HelperReport;

void spank_ns_names(uint64_t ns, char *buf, size_t size) {
        static const struct {
                uint64_t flag;
                const char *name;
        } all[] = {
                { CLONE_NEWUSER, "user" }, { CLONE_NEWPID, "PID" }, { CLONE_NEWNS, "mount" },
                { CLONE_NEWIPC, "IPC" },   { CLONE_NEWUTS, "UTS" }, { CLONE_NEWNET, "network" },
        };
        size_t n = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if ((ns & all[i].flag) && n < size)
                        n += (size_t) snprintf(buf + n, size - n, "%s%s", n ? ", " : "", all[i].name);
        if (n == 0)
                snprintf(buf, size, "none");
}

static int msg(char **ret, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int msg(char **ret, int r, const char *fmt, ...) {
        va_list ap;

        errno = -r;
        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return r;
}

static void close_fds(SpankStep *s) {
        for (size_t i = 0; i < ELEMENTSOF(s->ns_fds); i++)
                if (s->ns_fds[i] >= 0) {
                        (void) close(s->ns_fds[i]);
                        s->ns_fds[i] = -1;
                }
}

void spank_step_free(SpankStep *s) {
        if (!s)
                return;
        close_fds(s);
        contain_filters_done(&s->filters);
        free(s);
}

_noreturn_ static void helper(const Policy *p, const JobUser *u, const char *hide_dir, int rep_fd, int hold_fd) {
        HelperReport rep = { 0 };
        char c;

        rep.r = contain_setup_self(p, u, &rep.ns, &rep.skipped, &rep.err);
        /* the copy of the directory of the jobs' published namespaces: it
         * would hold every other job's namespaces alive as long as this
         * one (jobns.h) */
        if (rep.r == 0 && hide_dir && (rep.ns & CLONE_NEWNS) && umount2(hide_dir, MNT_DETACH) < 0 && errno != EINVAL &&
            errno != ENOENT)
                rep.r = child_error(&rep.err, STEP_MOUNTS, negative_errno(), "cannot unmount %s in the step: %m",
                                    hide_dir);
        if (write(rep_fd, &rep, sizeof rep) != (ssize_t) sizeof rep)
                _exit(1);
        (void) close(rep_fd);
        /* until slurmstepd has opened the namespaces (EOF) */
        while (read(hold_fd, &c, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

/* Phase 1 for the whole step: a helper forked from slurmstepd unshares the
 * namespaces and sets them up (contain_setup_self(): / private, read-only
 * paths, private /tmp, /dev/shm and private_dirs, hidden paths, hostname),
 * reports, and waits while slurmstepd opens /proc/HELPER/ns/...; the open
 * fds (O_CLOEXEC) keep the namespaces alive once the helper exits, and every
 * task of the step joins them: the tasks share one /tmp and /dev/shm.
 * slurmstepd's own namespaces never change (it opens the job's output files
 * later, docs/slurm.md §3). */
static int make_namespaces(SpankStep *s, uid_t uid, gid_t gid, const char *hide_dir, char **ret_msg) {
        Policy p = *s->policy; /* a read-only copy whose network stays the host's */
        JobUser u = { .name = (char *) "the job's user", .uid = uid, .gid = gid };
        uint64_t want = contain_namespace_flags(s->policy) & SPANK_NAMESPACES;
        HelperReport rep = { .r = -EIO };
        int rep_pipe[2], hold[2], status = 0;
        size_t got = 0;
        pid_t pid;

        p.ns_net = NS_HOST;
        s->skipped = contain_namespace_flags(s->policy) & ~SPANK_NAMESPACES;
        if (want == 0)
                return 0;
        if (pipe2(rep_pipe, O_CLOEXEC) < 0)
                return msg(ret_msg, negative_errno(), "cannot create a pipe for the namespace helper: %m");
        if (pipe2(hold, O_CLOEXEC) < 0) {
                int r = negative_errno();
                (void) close(rep_pipe[0]);
                (void) close(rep_pipe[1]);
                return msg(ret_msg, r, "cannot create a pipe for the namespace helper: %m");
        }
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                (void) close(rep_pipe[0]);
                (void) close(rep_pipe[1]);
                (void) close(hold[0]);
                (void) close(hold[1]);
                return msg(ret_msg, r, "cannot fork the namespace helper: %m");
        }
        if (pid == 0) {
                /* a fork of slurmstepd, which has threads: the helper's
                 * path must stay syscalls (no logging, NSS or locks) */
                (void) close(rep_pipe[0]);
                (void) close(hold[1]);
                helper(&p, &u, hide_dir, rep_pipe[1], hold[0]);
        }
        (void) close(rep_pipe[1]);
        (void) close(hold[0]);
        /* the mounts stat() and mount the policy's paths: one on a hung NFS
         * or autofs server would block the step for ever */
        bool timed_out = false;
        struct timespec t0, t;
        (void) clock_gettime(CLOCK_MONOTONIC, &t0);
        while (got < sizeof rep) {
                (void) clock_gettime(CLOCK_MONOTONIC, &t);
                long left = HELPER_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
                struct pollfd pfd = { .fd = rep_pipe[0], .events = POLLIN };
                int k = left > 0 ? poll(&pfd, 1, (int) left) : 0;
                if (k < 0 && errno == EINTR)
                        continue;
                if (k == 0) {
                        timed_out = true;
                        break;
                }
                if (k < 0)
                        break;
                ssize_t n = read(rep_pipe[0], (char *) &rep + got, sizeof rep - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        (void) close(rep_pipe[0]);
        if (timed_out)
                (void) kill(pid, SIGKILL);
        if (got == sizeof rep && rep.r == 0)
                for (size_t i = 0; i < ELEMENTSOF(step_ns); i++) {
                        char path[64];
                        if (!(rep.ns & step_ns[i].flag))
                                continue;
                        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) pid, step_ns[i].proc);
                        s->ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
                        if (s->ns_fds[i] < 0) {
                                rep.r = child_error(&rep.err, STEP_NAMESPACES, negative_errno(), "cannot open %s: %m",
                                                    path);
                                break;
                        }
                }
        (void) close(hold[1]); /* the helper exits */
        /* (killed in a mount that hangs it may not die at once: not waited
         * for then; slurmstepd reaps it) */
        while (waitpid(pid, &status, timed_out ? WNOHANG : 0) < 0 && errno == EINTR)
                ;
        if (timed_out) {
                close_fds(s);
                return msg(ret_msg, -ETIMEDOUT,
                           "the namespace helper (pid %d) did not report within %d s, killed: a mount of the "
                           "policy's paths hangs? (an unreachable NFS or autofs path in [filesystem])",
                           (int) pid, HELPER_TIMEOUT_MS / 1000);
        }
        if (got != sizeof rep) {
                close_fds(s);
                return msg(ret_msg, -EIO, "the namespace helper (pid %d) ended before it reported (wait status 0x%x)",
                           (int) pid, (unsigned) status);
        }
        if (rep.r < 0) {
                close_fds(s);
                return msg(ret_msg, rep.r, "cannot set up the step's namespaces (%s): %s", step_name(rep.err.step),
                           rep.err.msg);
        }
        if ((rep.ns & SPANK_NAMESPACES) != want) {
                /* fail closed: never a task without what the policy asks */
                char got_s[64], want_s[64];
                close_fds(s);
                spank_ns_names(rep.ns, got_s, sizeof got_s);
                spank_ns_names(want, want_s, sizeof want_s);
                return msg(ret_msg, -EIO, "the namespace helper made %s, not %s", got_s, want_s);
        }
        s->ns = want;
        return 0;
}

/* The job's namespaces, if an earlier step of the job published a set for
 * the same policy: their fds in s. 1 joined, 0 none to join (or another
 * policy's, *ret_other set), <0 an error. */
static int join_job(SpankStep *s, const JobNsKey *key, bool *ret_other, char **ret_msg) {
        uint64_t want = contain_namespace_flags(s->policy) & SPANK_NAMESPACES;
        const char *names[ELEMENTSOF(step_ns)];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(step_ns); i++)
                names[i] = (want & step_ns[i].flag) ? step_ns[i].proc : NULL;
        r = jobns_open(key, names, s->ns_fds, ELEMENTSOF(step_ns), ret_msg);
        if (r == -ESTALE) {
                *ret_other = true;
                free(*ret_msg);
                *ret_msg = NULL;
                return 0;
        }
        if (r == -ENOENT) {
                free(*ret_msg);
                *ret_msg = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        s->ns = want;
        s->skipped = contain_namespace_flags(s->policy) & ~SPANK_NAMESPACES;
        return 1;
}

static int share_made(SpankStep *s, const JobNsKey *key, char **ret_msg) {
        const char *names[ELEMENTSOF(step_ns)];

        for (size_t i = 0; i < ELEMENTSOF(step_ns); i++)
                names[i] = s->ns_fds[i] >= 0 ? step_ns[i].proc : NULL;
        return jobns_publish(key, names, s->ns_fds, ELEMENTSOF(step_ns), ret_msg);
}

int spank_step_prepare(const Policy *p, uid_t uid, gid_t gid, const JobNsKey *share, SpankStep **ret, char **ret_msg,
                       const char **ret_warning) {
        _cleanup_close_ int lock_fd = -1;
        bool other = false;
        _cleanup_free_ char *build_msg = NULL;
        Step step = STEP_NONE;
        SpankStep *s;
        int r;

        *ret = NULL;
        *ret_msg = NULL;
        *ret_warning = NULL;
        s = calloc(1, sizeof *s);
        if (!s)
                return msg(ret_msg, -ENOMEM, "out of memory");
        s->policy = p;
        for (size_t i = 0; i < ELEMENTSOF(s->ns_fds); i++)
                s->ns_fds[i] = -1;
        r = contain_filters_build(p, &s->filters, &step, &build_msg, ret_warning);
        if (r < 0) {
                spank_step_free(s);
                return msg(ret_msg, r, "cannot build the %s filter: %s", step_name(step),
                           build_msg ? build_msg : "out of memory");
        }
        if (share && (contain_namespace_flags(p) & SPANK_NAMESPACES)) {
                /* one step of the job at a time from here to the publish */
                r = jobns_lock(share, &lock_fd, ret_msg);
                if (r == 0)
                        r = join_job(s, share, &other, ret_msg);
                if (r < 0) {
                        spank_step_free(s);
                        return r;
                }
                if (r > 0) {
                        s->shared = JOB_SHARED_JOINED;
                        *ret = s;
                        return 0;
                }
        }
        r = make_namespaces(s, uid, gid, share ? share->dir : NULL, ret_msg);
        if (r < 0) {
                spank_step_free(s);
                return r;
        }
        if (share && lock_fd >= 0 && !other && s->ns) {
                r = share_made(s, share, ret_msg);
                if (r < 0) {
                        spank_step_free(s);
                        return r;
                }
                s->shared = JOB_SHARED_MADE;
        } else if (other)
                s->shared = JOB_SHARED_OTHER_POLICY;
        *ret = s;
        return 0;
}

JobShared spank_step_shared(const SpankStep *s) {
        return s->shared;
}

uint64_t spank_step_namespaces(const SpankStep *s) {
        return s->ns;
}

uint64_t spank_step_skipped(const SpankStep *s) {
        return s->skipped;
}

bool spank_step_landlock(const SpankStep *s) {
        return landlock_plan_active(&s->filters.landlock);
}

int spank_step_join(SpankStep *s, char ***ret_warnings, char **ret_msg) {
        ChildError err = { 0 };
        char cwd[PATH_MAX];
        bool have_cwd = getcwd(cwd, sizeof cwd) != NULL;
        uint64_t ns = 0;

        *ret_msg = NULL;
        for (size_t i = 0; i < ELEMENTSOF(step_ns); i++) {
                if (s->ns_fds[i] < 0)
                        continue;
                if (setns(s->ns_fds[i], (int) step_ns[i].flag) < 0) {
                        int r = negative_errno();
                        close_fds(s);
                        return msg(ret_msg, r, "cannot join the step's %s namespace: %m", step_ns[i].label);
                }
                ns |= step_ns[i].flag;
                (void) close(s->ns_fds[i]);
                s->ns_fds[i] = -1;
        }
        if (ns != s->ns)
                return msg(ret_msg, -EIO, "the step's namespaces are gone (joined twice?)");
        /* setns() into a mount namespace moves the cwd to its root; Slurm
         * changes to the job's directory again as the user next (with its
         * own fallback to /tmp): this is for the steps where it does not */
        if ((ns & CLONE_NEWNS) && have_cwd && chdir(cwd) < 0 && chdir("/") < 0)
                return msg(ret_msg, negative_errno(), "cannot change to / in the step's mount namespace: %m");
        if (creds_set_rlimits(0, s->policy, ret_warnings, &err) < 0 || contain_drop_privileged(&err) < 0)
                return msg(ret_msg, -err.error, "%s: %s", step_name(err.step), err.msg);
        return 0;
}

int spank_step_lockdown(const SpankStep *s, char **ret_msg) {
        ChildError err = { 0 };

        *ret_msg = NULL;
        if (contain_lockdown(s->policy, &s->filters, &err) < 0)
                return msg(ret_msg, -err.error, "%s: %s", step_name(err.step), err.msg);
        return 0;
}
