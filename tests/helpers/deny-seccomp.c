/* SPDX-License-Identifier: GPL-2.0-or-later */
/* deny-seccomp.c — runs CMD under a seccomp filter that refuses seccomp(2)
 * and prctl(PR_SET_SECCOMP) with EPERM, as a sandbox around corrald might
 * (corrald-sandbox.t: the core must then exit, naming the cause).
 *   deny-seccomp CMD [ARG]... */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        scmp_filter_ctx ctx;

        if (argc < 2) {
                fprintf(stderr, "usage: deny-seccomp CMD [ARG]...\n");
                return 2;
        }
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        /* no no_new_privs: CMD may be corrald, which runs as root */
        if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(seccomp), 0) < 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP)) <
                    0 ||
            seccomp_load(ctx) < 0) {
                fprintf(stderr, "deny-seccomp: cannot load the filter\n");
                return 1;
        }
        seccomp_release(ctx);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
}
