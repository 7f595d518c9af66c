/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launch-main.h — the entry point of corral-launch, apart from launch.h so
 * that corrald can call it without the launcher's internal types. */
#pragma once

/* The whole of corral-launch, argv as on its command line: main.c calls it,
 * and corrald's root helper calls it in a forked child (no exec: the
 * helper's loaded libraries and prepared cgroup backend carry over). */
int launch_main(int argc, char *argv[]);
