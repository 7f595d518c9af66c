/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-helper.c — libFuzzer harness for the root helper's gate on what the
 * core sends: a sequence of messages (one per line) goes through what
 * helper.c's on_core_message() does before any handler runs, hmsg_unpack()
 * and then hmsg_refusal() with the helper's phase and the jobs it tracks
 * (launch, adopt and epilogue make a job tracked here; every third
 * message ends the oldest one, as a launcher or epilogue would). The
 * helper stops at the first message refused (fatal()); the harness
 * aborts if anything accepted breaks the rules the helper relies on:
 * no helper-side message, no launch before the recovery ended, no adopt
 * outside it, no second launch, adopt or epilogue for a tracked job, and
 * the phase only moves forward. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmsg.h"

#define TRACK_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool tracked(const int64_t *t, size_t n, int64_t job) {
        for (size_t i = 0; i < n; i++)
                if (t[i] == job)
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HMsgPhase phase = HMSG_PHASE_START;
        int64_t track[TRACK_MAX];
        size_t n_track = 0, count = 0;
        const char *p = (const char *) data, *end = p + size;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                HMsg m;
                const char *field = NULL;
                int r = hmsg_unpack_bytes(p, len, &m, &field);
                p += len + (nl ? 1 : 0);
                if (r < 0) {
                        if (!field)
                                abort(); /* the helper names what it refused */
                        return 0; /* fatal(): the helper stops */
                }
                int64_t job = hmsg_job(&m);
                bool is_tracked = tracked(track, n_track, job);
                if (hmsg_refusal(&m, phase, is_tracked)) {
                        hmsg_done(&m);
                        return 0; /* fatal() */
                }
                /* accepted: the rules */
                if (!hmsg_type_to_helper(m.type))
                        abort();
                if (m.type == HMSG_T_LAUNCH && (phase != HMSG_PHASE_RUNNING || is_tracked))
                        abort();
                if (m.type == HMSG_T_ADOPT && (phase != HMSG_PHASE_RECOVERING || is_tracked))
                        abort();
                if (m.type == HMSG_T_EPILOGUE && (phase == HMSG_PHASE_START || is_tracked))
                        abort();
                /* a purge removes a directory: never for a job that runs or is cleaned up */
                if (m.type == HMSG_T_PURGE && (phase != HMSG_PHASE_RUNNING || is_tracked))
                        abort();
                if (m.type != HMSG_T_RECOVERY && job <= 0)
                        abort();
                HMsgPhase next = hmsg_phase_after(&m, phase);
                if (next < phase)
                        abort();
                phase = next;
                if ((m.type == HMSG_T_LAUNCH || m.type == HMSG_T_ADOPT || m.type == HMSG_T_EPILOGUE) &&
                    n_track < TRACK_MAX)
                        track[n_track++] = job;
                if (++count % 3 == 0 && n_track > 0)
                        memmove(track, track + 1, --n_track * sizeof track[0]);
                hmsg_done(&m);
        }
        return 0;
}
