/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap.h — the TAP line of the test programs in tests/spank/ (run by
 * tests/integration/spank-*.t): ok(cond, what) prints "ok N - what" or
 * "not ok N - what" and counts; tap_failed is what the program exits with. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline void ok(bool cond, const char *what) {
        tap_n++;
        printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, what);
        if (!cond)
                tap_failed++;
}
