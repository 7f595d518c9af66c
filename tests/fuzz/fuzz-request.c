/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-request.c — libFuzzer harness for corrald's API request parser
 * (lib/protocol.c): any bytes are parsed as a request; a request that parses
 * must be released cleanly, a refused one must come with a message. The
 * --array spec of a submit is parsed as corrald does (lib/array.c), under
 * the same rules, and its ids come out ascending. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "array.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ApiRequest r;
        char *err = NULL;
        int k = api_request_parse((const char *) data, size, &r, &err);
        if (k == 0 && r.array) {
                ArraySpec a = { 0 };
                char *aerr = NULL;
                int q = array_spec_parse(r.array, 1000, &a, &aerr);
                if (q == 0) {
                        if (a.n == 0 || a.n > 1000)
                                abort();
                        for (size_t i = 1; i < a.n; i++)
                                if (a.ids[i - 1] >= a.ids[i])
                                        abort();
                        array_spec_done(&a);
                } else if (q != -ENOMEM && !aerr)
                        abort();
                free(aerr);
        }
        if (k == 0)
                api_request_done(&r);
        else if (k != -ENOMEM && !err)
                abort(); /* every refusal explains itself */
        free(err);
        return 0;
}
