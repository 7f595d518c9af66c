/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unit-skip.h — for the unit tests that need root or a kernel feature.
 * Check has no skip: such a test probes first and, when the machine lacks
 * what it needs, prints "# SKIP TEST: REASON" on stderr and returns early
 * (a pass that says so). When CORRAL_MUST_RUN (see tests/lib.sh) names the
 * capability, the skip is a failure instead. Capabilities here: root, pidfd.
 *
 *   if (unit_skip_unless_root(__func__) || unit_skip_unless_pidfd(__func__))
 *           return;
 */
#pragma once

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* CAP is listed in the comma-separated CORRAL_MUST_RUN */
static inline bool unit_must_run(const char *cap) {
        const char *l = getenv("CORRAL_MUST_RUN");
        size_t n = strlen(cap);
        while (l && *l) {
                l += strspn(l, " ,");
                if (strncmp(l, cap, n) == 0 && (l[n] == '\0' || l[n] == ',' || l[n] == ' '))
                        return true;
                l += strcspn(l, ",");
        }
        return false;
}

/* true: skipped (the caller returns); a failure when CAP must run */
static inline bool unit_skip(const char *test, const char *cap, const char *reason) {
        if (unit_must_run(cap))
                ck_abort_msg("%s: %s must run here (CORRAL_MUST_RUN) but: %s", test, cap, reason);
        fprintf(stderr, "# SKIP %s: %s\n", test, reason);
        return true;
}

static inline bool unit_skip_unless_root(const char *test) {
        if (geteuid() == 0)
                return false;
        return unit_skip(test, "root", "needs root (make check runs as root)");
}

/* pidfd_open(2) and pidfd_send_signal(2), Linux 5.3: probed on ourselves */
static inline bool unit_skip_unless_pidfd(const char *test) {
        char reason[128];
        long fd = syscall(SYS_pidfd_open, getpid(), 0);
        if (fd >= 0) {
                int r = (int) syscall(SYS_pidfd_send_signal, (int) fd, 0, NULL, 0);
                int e = errno;
                close((int) fd);
                if (r == 0)
                        return false;
                snprintf(reason, sizeof reason, "pidfd_send_signal() fails here: %s", strerror(e));
        } else
                snprintf(reason, sizeof reason, "pidfd_open() fails here: %s", strerror(errno));
        return unit_skip(test, "pidfd", reason);
}
