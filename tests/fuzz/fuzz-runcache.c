/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-runcache.c — libFuzzer harness for the parsers of what corral-launch
 * reads back from its caches in run_dir: the first byte picks one, the rest
 * is its input.
 *   0: a cache file (lib/runcache.c, runcache_decode) for a fixed key;
 *   1: /proc/self/mountinfo text (lib/cgroup.c, cgroup_mounts_key);
 *   2: the cgroupfs backend's saved set-up (lib/cgroup-fs.c, restore).
 * Whatever decodes must be consistent: decoded data re-encodes to the same
 * bytes; a key is one line per cgroup mount. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "runcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key[] = "fuzz key\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *out = NULL;
        void *d = NULL, *again = NULL;
        size_t n = 0, n2 = 0;

        if (size < 1)
                return 0;
        switch (data[0]) {
        case 0:
                if (runcache_decode(data + 1, size - 1, key, &d, &n) == 0) {
                        if (runcache_encode(key, d, n, &again, &n2) != 0 || n2 != size - 1 ||
                            memcmp(again, data + 1, n2) != 0)
                                abort();
                        free(again);
                        free(d);
                }
                return 0;
        case 1:
        case 2:
                text = malloc(size);
                if (!text)
                        return 0;
                memcpy(text, data + 1, size - 1);
                text[size - 1] = '\0';
                if (data[0] == 1) {
                        if (cgroup_mounts_key(text, &out) == 0) {
                                size_t len = strlen(out);
                                if (len > 0 && out[len - 1] != '\n')
                                        abort();
                                free(out);
                        }
                } else
                        (void) cgjob_backend_state_restore(&cgroup_backend_cgroupfs, text);
                free(text);
                return 0;
        default:
                return 0;
        }
}
