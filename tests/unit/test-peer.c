/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-peer.c — what the core reads of a client to tell whether it runs
 * inside a job (supervisor/core/pidstat.c, compiled in here): the depth of
 * its PID namespace from the NSpid line, and peer_inspect() on a live client
 * (its cgroup text, depth 0 here) and on one that exited before it was
 * looked at (-ESRCH: never another process that got its pid). */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corrald.h"
#include "parse.h"

static uint64_t boottime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

START_TEST(test_nspid_depth) {
        ck_assert_int_eq(proc_status_pidns_depth("Name:\tsh\nNSpid:\t1234\nNSpgid:\t1\n"), 0);
        ck_assert_int_eq(proc_status_pidns_depth("Name:\tsh\nNSpid:\t1234\t1\n"), 1);
        ck_assert_int_eq(proc_status_pidns_depth("NSpid:\t9\t5\t2\n"), 2);
        /* NSpgid is not NSpid */
        ck_assert_int_eq(proc_status_pidns_depth("Name:\tsh\nNSpgid:\t1\t2\n"), -EBADMSG);
        ck_assert_int_eq(proc_status_pidns_depth("NSpid:\t\n"), -EBADMSG);
        ck_assert_int_eq(proc_status_pidns_depth(""), -EBADMSG);
}
END_TEST

START_TEST(test_inspect_live) {
        int sv[2];
        char *cg = NULL;
        int depth = -1;
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        ck_assert_int_eq(peer_inspect(sv[0], getpid(), boottime_usec(), &cg, &depth), 0);
        ck_assert_int_eq(depth, 0); /* the test runs in the PID namespace of its /proc */
        ck_assert_ptr_nonnull(cg);
        ck_assert_ptr_nonnull(strchr(cg, ':'));
        free(cg);
        close(sv[0]);
        close(sv[1]);
}
END_TEST

START_TEST(test_inspect_gone) {
        int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 +
                                     (size_t) snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "corral-test-peer-%d",
                                                       (int) getpid()));
        ck_assert_int_ge(l, 0);
        ck_assert_int_eq(bind(l, (struct sockaddr *) &sa, len), 0);
        ck_assert_int_eq(listen(l, 4), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                _exit(c >= 0 && connect(c, (struct sockaddr *) &sa, len) == 0 ? 0 : 1);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        struct ucred cred;
        socklen_t cl = sizeof cred;
        ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl), 0);
        ck_assert_int_eq(cred.pid, pid);
        char *cg = NULL;
        int depth = -1;
        /* the client is gone (reaped): nothing is read in its place */
        int r = peer_inspect(fd, cred.pid, boottime_usec(), &cg, &depth);
        ck_assert_int_lt(r, 0);
        ck_assert_ptr_null(cg);
        close(fd);
        close(l);
}
END_TEST

Suite *peer_suite(void) {
        Suite *s = suite_create("peer");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_nspid_depth);
        tcase_add_test(tc, test_inspect_live);
        tcase_add_test(tc, test_inspect_gone);
        suite_add_tcase(s, tc);
        return s;
}
