/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-contain.c — the phases of the containment (supervisor/launch/
 * contain.h) as a caller that cannot clone uses them (the SPANK plugin): the
 * namespaces a policy asks for, and, in a throwaway child as root, the
 * privileged set-up of the calling process, the privileged drop, the ids
 * (slurmstepd's part there; a uid of the test range that no user has) and
 * the lock-down, checked from what the kernel says in that child. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "strv.h"
#include "unit-skip.h"

#define TEST_UID 61990
#define TEST_HOSTNAME "corraltest-contain"

static Policy *load_shipped(const char *name) {
        const char *src = getenv("CORRAL_SRC");
        char pdir[PATH_MAX];
        Policy *p = NULL;
        ConfDiags d = { 0 };

        snprintf(pdir, sizeof pdir, "%s/policies", src ? src : ".");
        ck_assert_int_eq(policy_load(pdir, name, 0, &p, &d), 0);
        return p;
}

START_TEST(test_namespace_flags) {
        Policy *p = NULL;
        struct {
                int *field;
                uint64_t flag;
        } one[6];

        ck_assert_int_eq(policy_new_defaults(&p), 0);
        p->ns_user = p->ns_pid = p->ns_mount = p->ns_ipc = p->ns_uts = p->ns_net = NS_HOST;
        ck_assert_uint_eq(contain_namespace_flags(p), 0);
        one[0].field = &p->ns_user, one[0].flag = CLONE_NEWUSER;
        one[1].field = &p->ns_pid, one[1].flag = CLONE_NEWPID;
        one[2].field = &p->ns_mount, one[2].flag = CLONE_NEWNS;
        one[3].field = &p->ns_ipc, one[3].flag = CLONE_NEWIPC;
        one[4].field = &p->ns_uts, one[4].flag = CLONE_NEWUTS;
        one[5].field = &p->ns_net, one[5].flag = CLONE_NEWNET;
        for (size_t i = 0; i < ELEMENTSOF(one); i++) {
                *one[i].field = NS_ISOLATED;
                ck_assert_uint_eq(contain_namespace_flags(p), one[i].flag);
                *one[i].field = NS_HOST;
        }
        policy_free(p);

        /* the shipped policies: default keeps the host's network */
        p = load_shipped("default");
        ck_assert_uint_eq(contain_namespace_flags(p),
                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS);
        policy_free(p);
        p = load_shipped("strict");
        ck_assert_uint_eq(contain_namespace_flags(p),
                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET);
        policy_free(p);

        /* what a process can unshare for itself: never user nor PID */
        ck_assert_uint_eq(CONTAIN_SELF_NAMESPACES & (CLONE_NEWUSER | CLONE_NEWPID), 0);
        ck_assert_uint_eq(CONTAIN_SELF_NAMESPACES, CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET);
}
END_TEST

START_TEST(test_filters_build) {
        Policy *p = load_shipped("default");
        ContainFilters f;
        Step step = STEP_NONE;
        char *msg = NULL;
        const char *warning = NULL;

        ck_assert_int_eq(contain_filters_build(p, &f, &step, &msg, &warning), 0);
        ck_assert_ptr_null(msg);
        ck_assert_ptr_nonnull(f.seccomp.prog.filter);
        ck_assert_uint_gt(f.seccomp.prog.len, 0);
        contain_filters_done(&f);
        ck_assert_ptr_null(f.seccomp.prog.filter);

        /* no filter: nothing to load, and no error */
        p->seccomp_mode = SECCOMP_MODE_OFF;
        p->landlock_mode = LANDLOCK_MODE_OFF;
        ck_assert_int_eq(contain_filters_build(p, &f, &step, &msg, &warning), 0);
        ck_assert_ptr_null(f.seccomp.prog.filter);
        ck_assert(!landlock_plan_active(&f.landlock));
        ck_assert_ptr_null(warning);
        contain_filters_done(&f);
        policy_free(p);
}
END_TEST

/* What the contained child saw, sent back through a pipe. */
typedef struct Report {
        int phase; /* 0: all done; else the phase that failed */
        ChildError err;
        char build_msg[256];
        uint64_t ns, skipped;
        char status[8192]; /* /proc/self/status */
        char hostname[HOST_NAME_MAX + 1];
        char tmpfile[64]; /* made in its /tmp */
        int marker_errno; /* access() of the parent's file in /tmp */
        int hidden_errno; /* open() of the file in the hidden directory */
        int denied_errno; /* umount2(), denied by the filter */
        struct rlimit core, nofile;
} Report;

static void send_report(int fd, const Report *r) {
        const char *b = (const char *) r;
        size_t left = sizeof *r;
        while (left > 0) {
                ssize_t n = write(fd, b, left);
                if (n <= 0)
                        _exit(99);
                b += n;
                left -= (size_t) n;
        }
}

_noreturn_ static void contained_child(int fd, const Policy *p, const char *marker, const char *hidden) {
        static Report rep; /* large: not on the stack */
        JobUser u = { .name = (char *) "corraltest-contain", .uid = TEST_UID, .gid = TEST_UID, .n_groups = 1 };
        ContainFilters f;
        Step step = STEP_NONE;
        char *msg = NULL;
        const char *warning = NULL;
        int tfd, sfd;
        ssize_t n;

        u.groups[0] = TEST_UID;

        /* 0: before any set-up, as the plugin does before the task forks */
        if (contain_filters_build(p, &f, &step, &msg, &warning) < 0) {
                rep.phase = 10;
                rep.err.step = (int) step;
                snprintf(rep.build_msg, sizeof rep.build_msg, "%s", msg ? msg : "?");
                send_report(fd, &rep);
                _exit(1);
        }
        /* 1, 2: root */
        if (contain_setup_self(p, &u, &rep.ns, &rep.skipped, &rep.err) < 0) {
                rep.phase = 1;
                send_report(fd, &rep);
                _exit(1);
        }
        if (contain_drop_privileged(&rep.err) < 0) {
                rep.phase = 2;
                send_report(fd, &rep);
                _exit(1);
        }
        /* 3: slurmstepd's setuid in a task; corral-launch's own here */
        if (contain_become_user(&u, &rep.err) < 0) {
                rep.phase = 3;
                send_report(fd, &rep);
                _exit(1);
        }
        /* as the user, in the private /tmp */
        snprintf(rep.tmpfile, sizeof rep.tmpfile, "/tmp/corraltest-contain.XXXXXX");
        tfd = mkstemp(rep.tmpfile);
        if (tfd < 0)
                rep.tmpfile[0] = '\0';
        else
                close(tfd);
        /* 4: the lock-down */
        if (contain_lockdown(p, &f, &rep.err) < 0) {
                rep.phase = 4;
                send_report(fd, &rep);
                _exit(1);
        }

        /* what the job would see */
        sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (sfd >= 0) {
                n = read(sfd, rep.status, sizeof rep.status - 1);
                if (n > 0)
                        rep.status[n] = '\0';
                close(sfd);
        }
        (void) gethostname(rep.hostname, sizeof rep.hostname);
        rep.marker_errno = access(marker, F_OK) < 0 ? errno : 0;
        {
                char path[PATH_MAX];
                int hfd;
                snprintf(path, sizeof path, "%s/secret", hidden);
                hfd = open(path, O_RDONLY | O_CLOEXEC);
                rep.hidden_errno = hfd < 0 ? errno : 0;
                if (hfd >= 0)
                        close(hfd);
        }
        rep.denied_errno = umount2("/corraltest-nonexistent", 0) < 0 ? errno : 0;
        (void) getrlimit(RLIMIT_CORE, &rep.core);
        (void) getrlimit(RLIMIT_NOFILE, &rep.nofile);
        send_report(fd, &rep);
        _exit(0);
}

/* The value of "Name:" in a /proc/PID/status text, its whitespace trimmed. */
static const char *status_field(const char *status, const char *name, char *buf, size_t size) {
        size_t n = strlen(name);
        for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, name, n) == 0 && l[n] == ':') {
                        const char *v = l + n + 1;
                        size_t len;
                        v += strspn(v, " \t");
                        len = strcspn(v, "\n");
                        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
                                len--;
                        snprintf(buf, size, "%.*s", (int) len, v);
                        return buf;
                }
        }
        return NULL;
}

START_TEST(test_setup_self_and_lockdown) {
        static Report rep;
        char marker[] = "/tmp/corraltest-contain-marker.XXXXXX";
        char hidden[] = "/run/corraltest-contain.XXXXXX";
        char secret[PATH_MAX], host[HOST_NAME_MAX + 1] = "", buf[256];
        char *hide[] = { hidden, NULL };
        char **saved_hide;
        struct rlimit own_nofile;
        Policy *p;
        size_t got = 0;
        int pfd[2], mfd, sfd, status;
        pid_t pid;

        if (unit_skip_unless_root(__func__))
                return;

        /* the shipped default, with a network namespace, our own hostname,
         * an errno no real failure gives, and a directory of ours hidden */
        p = load_shipped("default");
        p->ns_net = NS_ISOLATED;
        free(p->hostname);
        p->hostname = strdup(TEST_HOSTNAME);
        p->seccomp_errno = ENOTRECOVERABLE;
        ck_assert_ptr_nonnull(mkdtemp(hidden));
        ck_assert_int_eq(chmod(hidden, 0755), 0);
        snprintf(secret, sizeof secret, "%s/secret", hidden);
        sfd = open(secret, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        ck_assert_int_ge(sfd, 0);
        close(sfd);
        saved_hide = p->hide;
        p->hide = hide;

        mfd = mkstemp(marker);
        ck_assert_int_ge(mfd, 0);
        close(mfd);
        (void) gethostname(host, sizeof host);
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &own_nofile), 0);

        ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(pfd[0]);
                contained_child(pfd[1], p, marker, hidden);
        }
        close(pfd[1]);
        while (got < sizeof rep) {
                ssize_t n = read(pfd[0], (char *) &rep + got, sizeof rep - got);
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        close(pfd[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);

        /* the parent's state is the parent's */
        (void) unlink(marker);
        (void) unlink(secret);
        (void) rmdir(hidden);
        p->hide = saved_hide;
        policy_free(p);

        ck_assert_uint_eq(got, sizeof rep);
        ck_assert_msg(rep.phase == 0, "phase %d failed, step %s: %s%s", rep.phase, step_name((Step) rep.err.step),
                      rep.err.msg, rep.build_msg);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        /* phase 1: what unshare gave, what it left to the caller */
        ck_assert_uint_eq(rep.ns, CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET);
        ck_assert_uint_eq(rep.skipped, CLONE_NEWUSER | CLONE_NEWPID);
        ck_assert_str_eq(rep.hostname, TEST_HOSTNAME);
        ck_assert_str_ne(host, TEST_HOSTNAME); /* the UTS namespace was its own */
        ck_assert_str_ne(rep.tmpfile, ""); /* the user could write its /tmp */
        ck_assert_int_eq(rep.marker_errno, ENOENT); /* not the host's /tmp */
        ck_assert_int_ne(access(rep.tmpfile, F_OK), 0); /* nor did its file land there */
        ck_assert_int_eq(rep.hidden_errno, EACCES);
        ck_assert_uint_eq(rep.core.rlim_max, 0); /* default.ini: core = 0 */
        /* nofile = 65536; without CAP_SYS_RESOURCE (some containers) the
         * hard limit cannot be raised: ours, tighter (caps.c) */
        ck_assert_uint_eq(rep.nofile.rlim_max, own_nofile.rlim_max != RLIM_INFINITY && own_nofile.rlim_max < 65536
                                                       ? own_nofile.rlim_max
                                                       : 65536);
        ck_assert_uint_eq(rep.nofile.rlim_cur, rep.nofile.rlim_max);

        /* phases 2 to 4, from the kernel */
        ck_assert_str_eq(status_field(rep.status, "Seccomp", buf, sizeof buf), "2");
        ck_assert_str_eq(status_field(rep.status, "NoNewPrivs", buf, sizeof buf), "1");
        ck_assert_str_eq(status_field(rep.status, "CapInh", buf, sizeof buf), "0000000000000000");
        ck_assert_str_eq(status_field(rep.status, "CapPrm", buf, sizeof buf), "0000000000000000");
        ck_assert_str_eq(status_field(rep.status, "CapEff", buf, sizeof buf), "0000000000000000");
        ck_assert_str_eq(status_field(rep.status, "CapBnd", buf, sizeof buf), "0000000000000000");
        ck_assert_str_eq(status_field(rep.status, "CapAmb", buf, sizeof buf), "0000000000000000");
        ck_assert_str_eq(status_field(rep.status, "Uid", buf, sizeof buf), "61990\t61990\t61990\t61990");
        ck_assert_str_eq(status_field(rep.status, "Gid", buf, sizeof buf), "61990\t61990\t61990\t61990");
        ck_assert_str_eq(status_field(rep.status, "Groups", buf, sizeof buf), "61990");
        /* the policy's filter, with the policy's errno */
        ck_assert_int_eq(rep.denied_errno, ENOTRECOVERABLE);
}
END_TEST

/* The lock-down fails closed: a caller that skipped the privileged drop
 * still holds a bounding set, and contain_drop_caps() says so. */
START_TEST(test_drop_caps_fails_closed) {
        ChildError e = {};
        int pfd[2], status;
        pid_t pid;
        ssize_t n;

        if (unit_skip_unless_root(__func__))
                return;
        ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int r = contain_drop_caps(&e);
                ssize_t w = write(pfd[1], &e, sizeof e);
                (void) w;
                _exit(r == -EPERM ? 0 : 1);
        }
        close(pfd[1]);
        n = read(pfd[0], &e, sizeof e);
        close(pfd[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(n, (ssize_t) sizeof e);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_int_eq(e.step, STEP_CREDENTIALS);
        ck_assert_int_eq(e.error, EPERM);
        ck_assert_str_eq(e.msg, "capabilities are still held after dropping them");
}
END_TEST

Suite *contain_suite(void) {
        Suite *s = suite_create("contain");
        TCase *tc = tcase_create("core");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_namespace_flags);
        tcase_add_test(tc, test_filters_build);
        tcase_add_test(tc, test_setup_self_and_lockdown);
        tcase_add_test(tc, test_drop_caps_fails_closed);
        suite_add_tcase(s, tc);
        return s;
}
