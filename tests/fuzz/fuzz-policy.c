/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-policy.c — libFuzzer harness for the policy parser: any input is
 * parsed as a policy file; a clean parse is applied over the defaults,
 * validated, printed as INI and parsed again, and must give the same policy
 * (so `corral policy show` output is always a valid policy). Built with the
 * replay main (replay.c) for `make check`, with -fsanitize=fuzzer for
 * `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Policy *parse(const char *buf, size_t len) {
        Policy *staged = calloc(1, sizeof(Policy)), *p = NULL;
        ConfDiags d = { 0 };
        if (!staged)
                abort();
        int r = conf_parse_buffer(&policy_schema, "fuzz.ini", buf, len, staged, &d);
        conf_diags_clear(&d);
        if (r == 0 && policy_new_defaults(&p) == 0 && conf_apply(&policy_schema, p, staged) < 0)
                p = policy_free(p);
        policy_free(staged);
        return r == 0 ? p : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Policy *p, *q;
        ConfDiags d = { 0 };
        char *out = NULL;
        size_t outlen = 0;

        if (size > 65536)
                return 0;
        p = parse((const char *) data, size);
        if (!p)
                return 0;
        (void) policy_validate(p, &d);
        conf_diags_clear(&d);
        json_t *j = policy_to_json(p);
        if (!j) {
                fprintf(stderr, "a policy that parsed cannot be shown as JSON\n");
                abort();
        }

        FILE *f = open_memstream(&out, &outlen);
        if (!f || policy_write_ini(p, false, f) < 0)
                abort();
        fclose(f);
        q = parse(out, outlen);
        if (!q) {
                fprintf(stderr, "re-parse of printed policy failed:\n%s\n", out);
                abort();
        }
        json_t *k = policy_to_json(q);
        if (!k || !json_equal(j, k)) {
                fprintf(stderr, "printed policy parses to different values:\n%s\n", out);
                abort();
        }
        json_decref(j);
        json_decref(k);
        free(out);
        policy_free(p);
        policy_free(q);
        return 0;
}
