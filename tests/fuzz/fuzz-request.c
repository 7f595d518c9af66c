/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-request.c — libFuzzer harness for corrald's API request parser
 * (lib/protocol.c): any bytes are parsed as a request; a request that parses
 * must be released cleanly, a refused one must come with a message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ApiRequest r;
        char *err = NULL;
        int k = api_request_parse((const char *) data, size, &r, &err);
        if (k == 0)
                api_request_done(&r);
        else if (k != -ENOMEM && !err)
                abort(); /* every refusal explains itself */
        free(err);
        return 0;
}
