/* SPDX-License-Identifier: GPL-2.0-or-later */
/* args.h — the arguments of spank_corral.so on its plugstack.conf line
 * (policy=NAME policy_dir=DIR selectable=a,b,c) and the rule which policy a
 * job may choose. Pure: no Slurm, no I/O; unit-testable. */
#pragma once

#include <stdbool.h>

#include "macro.h"

typedef struct SpankArgs {
        char *policy; /* the default policy of every job */
        char *policy_dir; /* where NAME.ini files are */
        char **selectable; /* names a job may choose (--corral-policy) */
        char *ns_dir; /* where the jobs' namespaces are published (jobns.h) */
        bool share_step; /* share=step: each step its own namespaces */
} SpankArgs;

void spank_args_done(SpankArgs *a);
#define _cleanup_spank_args_done_ _cleanup_(spank_args_done)

/* Parses ac/av into *ret (zeroed first; policy_dir defaults to
 * default_dir). Returns 0, -ENOMEM, or -EINVAL with *ret_error (malloc'd)
 * naming the argument, the cause and the fix. */
int spank_args_parse(int ac, char **av, const char *default_dir, SpankArgs *ret, char **ret_error);

/* Whether a job may run under policy name: the default policy, or one of the
 * selectable ones. */
bool spank_args_allowed(const SpankArgs *a, const char *name);

/* The names a job may choose, for messages: "default, a, b" (malloc'd). */
char *spank_args_allowed_list(const SpankArgs *a);
