/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfsandbox.c — the seccomp filter the unprivileged core loads on itself,
 * right after it dropped to the daemon user (corrald.c, step 5).
 *
 * These restrictions used to be options of corrald.service
 * (SystemCallArchitectures=native, RestrictAddressFamilies=, LockPersonality=,
 * RestrictRealtime=, ProtectClock=, ProtectKernelModules=). systemd applies
 * them to the service's main process, the root helper, and every process it
 * forks inherits them: every job would have lost 32-bit binaries, AF_ALG,
 * AF_VSOCK, AF_PACKET..., personality(PER_LINUX32), realtime scheduling (and,
 * through ProtectClock='s device list, perhaps devices), whatever its policy
 * says. Only the core parses untrusted input, and it never starts a job, so it
 * is the one to carry them:
 *
 *   1. native architecture only: another ABI (i386, x32) kills the process;
 *   2. socket(): AF_UNIX, AF_INET and AF_INET6 only; any other family fails
 *      with EAFNOSUPPORT, as RestrictAddressFamilies= does. Measured (strace
 *      of a core running a job, under systemd and not): the core opens AF_UNIX
 *      sockets only (its API socket, sd_notify, the journal, nscd/sssd/nslcd
 *      behind getpwuid()); AF_INET/AF_INET6 stay for NSS modules that reach a
 *      directory over the network themselves (libnss-ldap). AF_NETLINK, which
 *      the unit allowed for jobs (the loopback of isolated jobs is brought up
 *      by corral-launch, in the helper), is not needed here;
 *   3. personality(): only PER_LINUX, else EPERM (as LockPersonality=);
 *   4. no realtime scheduling: sched_setscheduler() with SCHED_FIFO, SCHED_RR
 *      or SCHED_DEADLINE and sched_setattr() fail with EPERM;
 *   5. @clock and @module (lib/syscall-groups.c) fail with EPERM.
 *
 * The core has no capabilities, so 4 and 5 would fail anyway (CAP_SYS_NICE,
 * CAP_SYS_TIME, CAP_SYS_MODULE): the filter keeps them closed should a bug
 * ever leave one behind. The root helper, which launches the jobs, never
 * loads this filter. The core already runs with no_new_privs (corrald.c). */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "corrald.h"
#include "macro.h"
#include "syscall-groups.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static const int allowed_families[] = { AF_UNIX, AF_INET, AF_INET6 };

static bool family_allowed(int af) {
        for (size_t i = 0; i < ELEMENTSOF(allowed_families); i++)
                if (allowed_families[i] == af)
                        return true;
        return false;
}

static int restrict_families(scmp_filter_ctx ctx) {
        int r;

        /* one rule per family below AF_MAX that is not allowed, and one for
         * every number from AF_MAX up (families of newer kernels) */
        for (int af = 0; af < AF_MAX; af++) {
                if (family_allowed(af))
                        continue;
                r = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) af));
                if (r < 0)
                        return r;
        }
        return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                      SCMP_A0(SCMP_CMP_GE, (scmp_datum_t) AF_MAX));
}

static int lock_personality(scmp_filter_ctx ctx) {
        /* as systemd's LockPersonality=: anything but PER_LINUX, the query
         * (0xffffffff) included, since libseccomp allows one comparison per
         * argument in a rule; the argument is an unsigned int */
        return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                                      SCMP_A0_32(SCMP_CMP_NE, PER_LINUX));
}

static int restrict_realtime(scmp_filter_ctx ctx) {
        static const int rt[] = { SCHED_FIFO, SCHED_RR, SCHED_DEADLINE };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(rt); i++) {
                /* SCHED_RESET_ON_FORK may be or-ed into the policy */
                r = seccomp_rule_add_exact(
                        ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sched_setscheduler), 1,
                        SCMP_A1_32(SCMP_CMP_MASKED_EQ, ~(uint32_t) SCHED_RESET_ON_FORK, (uint32_t) rt[i]));
                if (r < 0)
                        return r;
        }
        /* its policy sits in memory a filter cannot read */
        return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sched_setattr), 0);
}

static int deny_name(const char *name, void *userdata) {
        scmp_filter_ctx ctx = userdata;
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR || nr < 0) /* not a syscall of this architecture */
                return 0;
        return seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

int selfsandbox_build(scmp_filter_ctx *ret, const char **ret_step) {
        scmp_filter_ctx ctx;
        const char *step;
        int r;

        /* level 3: the seccomp() syscall with SECCOMP_RET_KILL_PROCESS
         * (Linux 4.14); lower when the kernel or a sandbox around corrald
         * refuses seccomp() */
        if (seccomp_api_get() < 3) {
                *ret_step = "the kernel's seccomp support";
                return -EOPNOTSUPP;
        }
        /* the default context covers the native architecture only */
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                *ret_step = "the filter context";
                return -ENOMEM;
        }
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
                step = "the native-architecture check";
        else if ((r = restrict_families(ctx)) < 0)
                step = "the address families";
        else if ((r = lock_personality(ctx)) < 0)
                step = "the personality lock";
        else if ((r = restrict_realtime(ctx)) < 0)
                step = "the realtime scheduling rules";
        else if ((r = syscall_expand("@clock", deny_name, ctx)) < 0 ||
                 (r = syscall_expand("@module", deny_name, ctx)) < 0)
                step = "@clock and @module";
        else {
                *ret = ctx;
                return 0;
        }
        seccomp_release(ctx);
        *ret_step = step;
        return r;
}

int selfsandbox_apply(const char **ret_step) {
        scmp_filter_ctx ctx = NULL;
        int r;

        r = selfsandbox_build(&ctx, ret_step);
        if (r < 0)
                return r;
        /* no_new_privs is set already (drop_privileges()); NNP off would make
         * libseccomp set it, which is fine too */
        r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0) {
                *ret_step = "loading the filter";
                return r;
        }
        return 0;
}
