/* SPDX-License-Identifier: GPL-2.0-or-later */
/* args-test.c — spank/args.c (spank_corral.so's plugstack.conf arguments)
 * without Slurm: every refusal names the argument and the fix, defaults
 * apply, the allowed names are the default plus the selectable ones. Prints
 * TAP; run by tests/integration/spank-args.t. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "tap.h"
#include "strv.h"

/* parse the space-separated words of line; returns the result, fills *err */
static int parse(const char *line, SpankArgs *a, char **err) {
        char *copy = strdup(line), *save = NULL, *av[16];
        int ac = 0;

        for (char *w = strtok_r(copy, " ", &save); w && ac < 16; w = strtok_r(NULL, " ", &save))
                av[ac++] = w;
        int r = spank_args_parse(ac, av, "/etc/corral/policies", a, err);
        free(copy);
        return r;
}

/* refused LINE FRAGMENT: the line is refused with a message containing FRAGMENT and "fix:" */
static void refused(const char *line, const char *fragment) {
        SpankArgs a = { 0 };
        char *err = NULL, what[512];
        int r = parse(line, &a, &err);

        snprintf(what, sizeof(what), "'%s' is refused: %s", line, err ? err : "(no message)");
        ok(r == -EINVAL && err && strstr(err, fragment) && strstr(err, "fix:"), what);
        free(err);
        spank_args_done(&a);
}

int main(void) {
        SpankArgs a = { 0 };
        char *err = NULL, *list;

        printf("1..19\n");
        ok(parse("policy=default", &a, &err) == 0 && strcmp(a.policy, "default") == 0 &&
                   strcmp(a.policy_dir, "/etc/corral/policies") == 0 && strv_length(a.selectable) == 0,
           "policy=default alone: the installed policy_dir, nothing selectable");
        ok(spank_args_allowed(&a, "default") && !spank_args_allowed(&a, "strict") && !spank_args_allowed(&a, NULL),
           "only the default policy is allowed then");
        ok(!a.share_step && strcmp(a.ns_dir, "/run/corral/spank") == 0,
           "by default one set of namespaces per job, published in /run/corral/spank");
        spank_args_done(&a);

        ok(parse("policy=default share=step ns_dir=/run/x", &a, &err) == 0 && a.share_step &&
                   strcmp(a.ns_dir, "/run/x") == 0,
           "share=step and ns_dir=");
        spank_args_done(&a);
        ok(parse("policy=default share=job", &a, &err) == 0 && !a.share_step, "share=job");
        spank_args_done(&a);
        ok(parse("policy=default share=node", &a, &err) == -EINVAL && err && strstr(err, "share=node") &&
                   strstr(err, "share=job"),
           "share=node is refused, naming the fix");
        free(err);
        err = NULL;
        ok(parse("policy=default ns_dir=run/x", &a, &err) == -EINVAL && err && strstr(err, "ns_dir=run/x"),
           "a relative ns_dir is refused");
        free(err);
        err = NULL;

        ok(parse("policy=default policy_dir=/srv/pol selectable=strict,gpu,strict", &a, &err) == 0 &&
                   strcmp(a.policy_dir, "/srv/pol") == 0 && strv_length(a.selectable) == 2,
           "policy_dir and selectable (a repeated name counted once)");
        ok(spank_args_allowed(&a, "gpu") && spank_args_allowed(&a, "strict") && spank_args_allowed(&a, "default") &&
                   !spank_args_allowed(&a, "other"),
           "the default and the selectable names are allowed, no other");
        list = spank_args_allowed_list(&a);
        ok(list && strcmp(list, "default, strict, gpu") == 0, "the allowed list for messages: default first");
        free(list);
        spank_args_done(&a);

        refused("policy_dir=/srv", "no policy=NAME argument");
        refused("polcy=default", "unknown argument 'polcy=default'");
        refused("policy", "argument 'policy' has no value");
        refused("policy=", "argument 'policy=' has no value");
        refused("policy=a policy=b", "argument 'policy' given twice");
        refused("policy=../etc", "not a policy name");
        refused("policy=default policy_dir=pol", "not an absolute path");
        refused("policy=default policy_dir=/srv/../etc", "not an absolute path");
        refused("policy=default selectable=strict,a/b", "'a/b' is not a policy name");
        return tap_failed ? 1 : 0;
}
