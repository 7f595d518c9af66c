/* SPDX-License-Identifier: GPL-2.0-or-later */
/* args.c — spank_corral.so's plugstack.conf arguments (see args.h).
 *
 *   policy=NAME        required: the default policy
 *   policy_dir=DIR     optional: absolute; default the installed directory
 *   selectable=a,b,c   optional: what --corral-policy may name besides the
 *                      default (empty: nothing else)
 *   share=job|step     optional: one set of namespaces per job (default:
 *                      a batch script and its srun steps share /tmp) or
 *                      one per step
 *   ns_dir=DIR         optional: absolute; where the jobs' namespaces are
 *                      published (default /run/corral/spank, jobns.h)
 *
 * Each argument at most once; anything else is an error, so that a typo
 * (polcy=strict) cannot leave a node running jobs under the wrong policy. */
#include "args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "jobns.h"
#include "policy.h"
#include "strv.h"

void spank_args_done(SpankArgs *a) {
        free(a->policy);
        free(a->policy_dir);
        strv_free(a->selectable);
        free(a->ns_dir);
        *a = (SpankArgs){ 0 };
}

static int fail(char **ret_error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int parse_selectable(const char *value, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (!policy_name_valid(w))
                        return fail(ret_error,
                                    "argument 'selectable=%s': '%s' is not a policy name (letters, digits, '-', "
                                    "'_', '.'); fix: list policy file names without .ini, separated by commas",
                                    value, w);
                if (strv_contains(l, w))
                        continue;
                if (strv_extend(&l, w) < 0)
                        return -ENOMEM;
        }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = l;
        l = NULL;
        return 0;
}

int spank_args_parse(int ac, char **av, const char *default_dir, SpankArgs *ret, char **ret_error) {
        _cleanup_spank_args_done_ SpankArgs a = { 0 };
        _cleanup_free_ char *share = NULL;
        int r;

        *ret_error = NULL;
        for (int i = 0; i < ac; i++) {
                const char *arg = av[i], *eq = strchr(arg, '=');
                size_t klen = eq ? (size_t) (eq - arg) : strlen(arg);
                const char *value = eq ? eq + 1 : NULL;
                char **slot = NULL;

                if (klen == 6 && strncmp(arg, "policy", 6) == 0)
                        slot = &a.policy;
                else if (klen == 10 && strncmp(arg, "policy_dir", 10) == 0)
                        slot = &a.policy_dir;
                else if (klen == 6 && strncmp(arg, "ns_dir", 6) == 0)
                        slot = &a.ns_dir;
                else if (klen == 5 && strncmp(arg, "share", 5) == 0)
                        slot = &share;
                else if (!(klen == 10 && strncmp(arg, "selectable", 10) == 0))
                        return fail(ret_error,
                                    "unknown argument '%s'; fix: use policy=NAME, policy_dir=DIR, "
                                    "selectable=NAME,..., share=job|step and ns_dir=DIR on the plugstack.conf line",
                                    arg);
                if (!value || !*value)
                        return fail(ret_error, "argument '%s' has no value; fix: write %.*s=VALUE", arg, (int) klen,
                                    arg);
                if (!slot) {
                        if (a.selectable)
                                return fail(ret_error, "argument 'selectable' given twice; fix: give it once");
                        r = parse_selectable(value, &a.selectable, ret_error);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (*slot)
                        return fail(ret_error, "argument '%.*s' given twice; fix: give it once", (int) klen, arg);
                if (slot == &a.policy && !policy_name_valid(value))
                        return fail(ret_error,
                                    "argument 'policy=%s': not a policy name (letters, digits, '-', '_', '.'); "
                                    "fix: name a policy file without .ini, e.g. policy=default",
                                    value);
                if (slot == &a.policy_dir && (value[0] != '/' || !conf_path_valid(value)))
                        return fail(ret_error,
                                    "argument 'policy_dir=%s': not an absolute path without . or .. components; fix: "
                                    "e.g. policy_dir=%s",
                                    value, default_dir);
                if (slot == &a.ns_dir && (value[0] != '/' || !conf_path_valid(value) || strcmp(value, "/") == 0))
                        return fail(ret_error,
                                    "argument 'ns_dir=%s': not an absolute path without . or .. components; fix: "
                                    "e.g. ns_dir=" JOBNS_DIR_DEFAULT,
                                    value);
                if (slot == &share && strcmp(value, "job") != 0 && strcmp(value, "step") != 0)
                        return fail(ret_error,
                                    "argument 'share=%s': neither job nor step; fix: share=job (a job's steps "
                                    "share /tmp, the default) or share=step",
                                    value);
                if (!(*slot = strdup(value)))
                        return -ENOMEM;
        }
        a.share_step = share && strcmp(share, "step") == 0;
        if (!a.ns_dir && !(a.ns_dir = strdup(JOBNS_DIR_DEFAULT)))
                return -ENOMEM;
        if (!a.policy)
                return fail(ret_error,
                            "no policy=NAME argument; fix: add e.g. policy=default to the plugstack.conf line");
        if (!a.policy_dir && !(a.policy_dir = strdup(default_dir)))
                return -ENOMEM;
        if (!a.selectable && !(a.selectable = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = a;
        a = (SpankArgs){ 0 };
        return 0;
}

bool spank_args_allowed(const SpankArgs *a, const char *name) {
        return name && (strcmp(name, a->policy) == 0 || strv_contains(a->selectable, name));
}

char *spank_args_allowed_list(const SpankArgs *a) {
        _cleanup_strv_free_ char **l = NULL;

        if (strv_extend(&l, a->policy) < 0)
                return NULL;
        for (char **s = a->selectable; s && *s; s++)
                if (!strv_contains(l, *s) && strv_extend(&l, *s) < 0)
                        return NULL;
        return strv_join(l, ", ");
}
