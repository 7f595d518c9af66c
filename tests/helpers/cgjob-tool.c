/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgjob-tool.c — the lib/cgroup.h calls the queue core uses for a lost job,
 * from the command line, for tests:
 *   cgjob-tool clean PARENT NAME   open the job cgroup, kill what is in it,
 *                                  print the usage, remove it
 *   cgjob-tool kill PARENT NAME    open it and kill what is in it, as corrald
 *                                  cancelling a job whose launcher lives
 * Exit 0 when removed, 2 when there was no such cgroup, 1 on an error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int main(int argc, char *argv[]);

int main(int argc, char *argv[]) {
        const CgroupBackend *b;
        CgroupJob *j = NULL;
        CgroupUsage u;
        char *where = NULL;
        int r;

        if (argc != 4 || (strcmp(argv[1], "clean") != 0 && strcmp(argv[1], "kill") != 0)) {
                fprintf(stderr, "usage: cgjob-tool clean|kill PARENT NAME\n");
                return 1;
        }
        if (cgjob_backend_find(CGROUP_BACKEND_AUTO, &b) < 0)
                return 1;
        r = cgjob_open(b, argv[2], argv[3], &j);
        if (r == -ENOENT) {
                printf("no such cgroup\n");
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "cgjob-tool: cannot open %s/%s: %s\n", argv[2], argv[3], strerror(-r));
                return 1;
        }
        r = cgjob_kill(j, 5000000);
        if (r < 0)
                fprintf(stderr, "cgjob-tool: kill: %s\n", strerror(-r));
        if (strcmp(argv[1], "kill") == 0) {
                cgjob_free(j);
                return r < 0 ? 1 : 0;
        }
        if (cgjob_usage(j, &u) == 0)
                printf("killed %d, memory_peak %" PRIu64 "\n", r, u.memory_peak);
        r = cgjob_remove(j, &where);
        if (r < 0)
                fprintf(stderr, "cgjob-tool: cannot remove %s: %s\n", where ? where : j->path, strerror(-r));
        cgjob_free(j);
        free(where);
        return r < 0 ? 1 : 0;
}
