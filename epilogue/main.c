/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c — corral-epilogue(8): epilogue_main() (epilogue.c) parses the
 * command line and the environment into a request and runs it with
 * epilogue_run(), which corrald's root helper also calls after each job. */
#include "epilogue-api.h"

int main(int argc, char *argv[], char *envp[]) {
        return epilogue_main(argc, argv, envp);
}
