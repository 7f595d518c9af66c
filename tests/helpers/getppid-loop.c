/* SPDX-License-Identifier: GPL-2.0-or-later */
/* getppid-loop.c — the cost of one syscall: times N getppid() calls (raw
 * syscall, no libc caching) and prints the nanoseconds per call. Run inside
 * a job with and without a seccomp filter, the difference is the filter's
 * cost (tests/bench/launch.sh).
 *   getppid-loop [N]   (default 2000000) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
        struct timespec a, b;
        double ns;

        if (n <= 0)
                return 2;
        for (long i = 0; i < 10000; i++) /* warm up */
                (void) syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++)
                (void) syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ns = ((double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec)) / (double) n;
        printf("%.1f\n", ns);
        return 0;
}
