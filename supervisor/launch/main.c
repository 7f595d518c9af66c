/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c — corral-launch(8); the program is launch_main() (launch.c), which
 * corrald's root helper also runs in its launcher processes. */
#include "launch-main.h"

int main(int argc, char *argv[]) {
        launch_argv_scrub = true;
        return launch_main(argc, argv);
}
