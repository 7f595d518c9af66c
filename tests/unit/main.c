/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c — runs every Check suite of tests/unit/test-NAME.c (each defines
 * Suite *NAME_suite(void)); the Makefile generates suites.h from the file
 * names. Each test forks (CK_FORK), so prctl/unshare/seccomp in one test
 * cannot leak into the next. */
#include <check.h>
#include <stdlib.h>

#define SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef SUITE

int main(void) {
        SRunner *sr = srunner_create(NULL);
        int failed;

#define SUITE(name) srunner_add_suite(sr, name##_suite());
#include "suites.h"
#undef SUITE

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
