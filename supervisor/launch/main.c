/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c — corral-launch(8): its command line (launch_main(): the parser,
 * then launch_run(), launch.c). corrald's root helper calls launch_run()
 * with a LaunchRequest instead, in its launcher processes. */
#include "launch-main.h"

int main(int argc, char *argv[]) {
        launch_argv_scrub = true;
        return launch_main(argc, argv);
}
