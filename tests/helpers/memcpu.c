/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memcpu.c — a job with a known footprint, for accounting tests
 * (tests/integration/slurm-sacct.t): touches MB mebibytes of memory and
 * holds them while it burns SECONDS of its own CPU time (by the process's
 * CPU clock, so a busy machine only makes it take longer), then exits 0.
 *   memcpu MB SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char *argv[]);

static double cpu_seconds(void) {
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        long mb, secs;
        volatile unsigned long sink = 0;
        unsigned char *p;

        if (argc != 3 || (mb = strtol(argv[1], NULL, 10)) <= 0 || (secs = strtol(argv[2], NULL, 10)) < 0) {
                fprintf(stderr, "usage: memcpu MB SECONDS\n");
                return 2;
        }
        p = malloc((size_t) mb << 20);
        if (!p) {
                fprintf(stderr, "memcpu: cannot allocate %ld MiB\n", mb);
                return 1;
        }
        memset(p, 0x5a, (size_t) mb << 20); /* every page resident */
        while (cpu_seconds() < (double) secs)
                for (size_t i = 0; i < ((size_t) mb << 20); i += 4096)
                        sink += p[i];
        printf("memcpu: %ld MiB, %.1f s CPU\n", mb, cpu_seconds());
        free(p);
        return 0;
}
