/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-hmsg.c — libFuzzer harness for the core<->helper messages
 * (lib/hmsg.c), the root helper's first line of defence against a core
 * that is not trusted: any bytes are unpacked; a refusal must name the
 * field; a message that unpacks must pack again (every unpacked message is
 * valid by the same checks), unpack again to the same JSON and be released
 * cleanly. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "hmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HMsg m, again;
        json_t *o = NULL, *o2 = NULL;
        const char *field = NULL;
        int r = hmsg_unpack_bytes(data, size, &m, &field);
        if (r < 0) {
                if (r != -ENOMEM && !field)
                        abort(); /* every refusal names what it refused */
                return 0;
        }
        if (hmsg_pack(&m, &o, &field) < 0 || hmsg_unpack(o, &again, &field) < 0)
                abort();
        if (hmsg_pack(&again, &o2, &field) < 0 || !json_equal(o, o2))
                abort();
        json_decref(o);
        json_decref(o2);
        hmsg_done(&again);
        hmsg_done(&m);
        return 0;
}
