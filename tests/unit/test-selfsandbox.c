/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-selfsandbox.c — the core's own seccomp filter (supervisor/core/
 * selfsandbox.c, compiled in here): loaded in a forked child, it refuses
 * the socket families, personalities, realtime policies, clock and module
 * calls it is meant to, and lets through what the core needs (AF_UNIX,
 * AF_INET, PER_LINUX, SCHED_OTHER). A 32-bit syscall (int 0x80)
 * kills the process, where the kernel runs them at all. Each check runs in
 * its own child so the filter never reaches the test runner, even with
 * CK_FORK=no. */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit-skip.h"

#include "corrald.h"

/* the errno of a call that failed, 0 if it succeeded */
#define ERR_OF(call) ((call) < 0 ? errno : 0)

static int sock_err(int family, int type) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

/* The checks, run after the filter is loaded; returns 0 or the number of
 * the first check that went wrong (the child's exit status). */
static int checks_with_filter(void) {
        struct sched_param sp = { 0 };
        struct timespec ts = { 0 };

        if (sock_err(AF_UNIX, SOCK_STREAM) != 0)
                return 1;
        if (sock_err(AF_INET, SOCK_DGRAM) != 0)
                return 2;
        if (sock_err(AF_NETLINK, SOCK_RAW) != EAFNOSUPPORT)
                return 3;
        if (sock_err(AF_PACKET, SOCK_RAW) != EAFNOSUPPORT)
                return 4;
        if (sock_err(AF_ALG, SOCK_SEQPACKET) != EAFNOSUPPORT)
                return 5;
        if (sock_err(AF_VSOCK, SOCK_STREAM) != EAFNOSUPPORT)
                return 6;
        if (sock_err(AF_MAX + 3, SOCK_STREAM) != EAFNOSUPPORT)
                return 7;
        if (ERR_OF(personality(0xffffffffUL)) != EPERM) /* as LockPersonality= */
                return 8;
        if (ERR_OF(personality(PER_LINUX)) != 0)
                return 9;
        if (ERR_OF(personality(PER_LINUX32)) != EPERM)
                return 10;
        if (ERR_OF(sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){ .sched_priority = 1 })) != EPERM)
                return 11;
        if (ERR_OF(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK,
                                      &(struct sched_param){ .sched_priority = 1 })) != EPERM)
                return 12;
        if (ERR_OF(sched_setscheduler(0, SCHED_OTHER, &sp)) != 0)
                return 13;
        if (ERR_OF(syscall(SYS_sched_setattr, 0, NULL, 0)) != EPERM)
                return 14;
        /* unfiltered, the kernel says EINVAL: the monotonic clock cannot be set */
        if (ERR_OF(clock_settime(CLOCK_MONOTONIC, &ts)) != EPERM)
                return 15;
        /* unfiltered: ENOENT as root, EPERM otherwise */
        if (ERR_OF(syscall(SYS_delete_module, "corraltest_no_such_module", 0)) != EPERM)
                return 16;
        return 0;
}

START_TEST(test_filter_in_child) {
        int status;
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                const char *step = NULL;
                if (selfsandbox_apply(&step) < 0)
                        _exit(100);
                _exit(checks_with_filter());
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status), "the child died of signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        ck_assert_msg(WEXITSTATUS(status) == 0, "check %d failed (100: the filter did not load)", WEXITSTATUS(status));
}
END_TEST

/* Without the filter the same calls give other answers: the test above
 * would notice a filter that does nothing. */
START_TEST(test_unfiltered_differs) {
        struct timespec ts = { 0 };
        ck_assert_int_eq(ERR_OF(clock_settime(CLOCK_MONOTONIC, &ts)), EINVAL);
        ck_assert_int_ne(sock_err(AF_MAX + 3, SOCK_STREAM), 0);
}
END_TEST

#if defined(__x86_64__)
/* an i386 getpid() through int 0x80, in a child; returns its wait status */
static int i386_getpid_in_child(bool filtered) {
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                const char *step = NULL;
                long ret = 20; /* getpid on i386 */
                if (filtered && selfsandbox_apply(&step) < 0)
                        _exit(100);
                __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
                _exit(ret == getpid() ? 0 : 101);
        }
        if (waitpid(pid, &status, 0) != pid)
                return -1;
        return status;
}

START_TEST(test_other_arch_kills) {
        /* probed outside the filter: kernels built or booted without ia32
         * emulation (ia32_emulation=0) fault on int 0x80 (SIGSEGV) */
        int status = i386_getpid_in_child(false);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                (void) unit_skip(__func__, "ia32", "this kernel runs no i386 syscalls (no ia32 emulation)");
                return;
        }
        status = i386_getpid_in_child(true);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "an i386 syscall was not killed (status %#x)",
                      (unsigned) status);
}
END_TEST
#endif

START_TEST(test_build_only) {
        scmp_filter_ctx ctx = NULL;
        const char *step = NULL;
        int r = selfsandbox_build(&ctx, &step);
        ck_assert_msg(r == 0, "building %s: %s", step, strerror(-r));
        ck_assert_ptr_nonnull(ctx);
        /* the native architecture only: no i386 or x32 */
        ck_assert_int_eq(seccomp_arch_exist(ctx, seccomp_arch_native()), 0);
        ck_assert_int_eq(seccomp_arch_exist(ctx, SCMP_ARCH_X86), -EEXIST);
        seccomp_release(ctx);
}
END_TEST

Suite *selfsandbox_suite(void) {
        Suite *s = suite_create("selfsandbox");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_filter_in_child);
        tcase_add_test(tc, test_unfiltered_differs);
#if defined(__x86_64__)
        tcase_add_test(tc, test_other_arch_kills);
#endif
        tcase_add_test(tc, test_build_only);
        suite_add_tcase(s, tc);
        return s;
}
