/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch-main.h — the entry point of corral-launch, apart from launch.h so
 * that corrald can call it without the launcher's internal types. */
#pragma once

#include <stdbool.h>

/* The whole of corral-launch, argv as on its command line: main.c calls it,
 * and corrald's root helper calls it in a forked child (no exec: the
 * helper's loaded libraries and prepared cgroup backend carry over). */
int launch_main(int argc, char *argv[]);

/* Set by main.c: the argv is the program's own (a real exec, not corrald's
 * in-memory call), so option values that may be secret (--env's) are
 * blanked in it once copied: ps then shows no secret of the launcher, nor
 * of corral-init, its clone. */
extern bool launch_argv_scrub;
