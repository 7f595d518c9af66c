/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c — corral-epilogue(8); the program is epilogue_main() (epilogue.c),
 * which corrald's root helper also runs after each job. */
#include "epilogue.h"

int main(int argc, char *argv[], char *envp[]) {
        return epilogue_main(argc, argv, envp);
}
