/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-event.c — libFuzzer harness for the parser of the messages corrald
 * pushes to a waiting client (lib/stream.c): any bytes are parsed as an
 * event; one that parses must be released cleanly and be within bounds, a
 * refused one must come with a message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ApiEvent e;
        char *err = NULL;
        int k = api_event_parse((const char *) data, size, &e, &err);
        if (k == 0) {
                if (e.type == API_EVENT_OUTPUT && (e.bytes == 0 || e.bytes > API_STREAM_CHUNK || e.stream > 1))
                        abort();
                if (e.type == API_EVENT_END && (!e.job_info || !job_state_is_final(e.state)))
                        abort();
                if (e.type == API_EVENT_ERROR && !e.error)
                        abort();
                api_event_done(&e);
        } else if (k != -ENOMEM && !err)
                abort(); /* every refusal explains itself */
        free(err);
        return 0;
}
