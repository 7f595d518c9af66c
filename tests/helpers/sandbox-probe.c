/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox-probe.c — what a job may do that a service's sandbox could take
 * away (corrald-sandbox.t): prints one line per probe, "NAME ok" or
 * "NAME errno NAME", in a fixed order, so that the output of a job run by
 * corrald can be compared with the same job run by corral-launch directly.
 *   af_alg       socket(AF_ALG, SOCK_SEQPACKET)      (RestrictAddressFamilies=)
 *   af_vsock     socket(AF_VSOCK, SOCK_STREAM)       (RestrictAddressFamilies=)
 *   af_packet    socket(AF_PACKET, SOCK_DGRAM)       (RestrictAddressFamilies=)
 *   per_linux32  personality(PER_LINUX32), then back (LockPersonality=)
 *   sched_rr     sched_setscheduler(SCHED_RR)        (RestrictRealtime=)
 * Exit status 0 whatever the results. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

int main(void);

static void report(const char *name, int r) {
        if (r >= 0)
                printf("%s ok\n", name);
        else
                printf("%s errno %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
}

static void probe_socket(const char *name, int family, int type) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0);
        report(name, fd);
        if (fd >= 0)
                close(fd);
}

int main(void) {
        probe_socket("af_alg", AF_ALG, SOCK_SEQPACKET);
        probe_socket("af_vsock", AF_VSOCK, SOCK_STREAM);
        probe_socket("af_packet", AF_PACKET, SOCK_DGRAM);

        int old = personality(0xffffffff);
        int r = personality(PER_LINUX32);
        report("per_linux32", r);
        if (r >= 0 && old >= 0)
                (void) personality((unsigned long) old);

        struct sched_param sp = { .sched_priority = 1 };
        r = sched_setscheduler(0, SCHED_RR, &sp);
        report("sched_rr", r);
        if (r == 0) {
                sp.sched_priority = 0;
                (void) sched_setscheduler(0, SCHED_OTHER, &sp);
        }
        fflush(stdout);
        return 0;
}
