/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h — shared between the verbs of the `corral` command line. */
#pragma once

#include <stdio.h>

enum {
        CLI_EXIT_OK = 0,
        CLI_EXIT_FAILURE = 1,
        CLI_EXIT_USAGE = 2,
};

typedef struct CliVerb {
        const char *name;
        int (*run)(int argc, char *argv[]); /* argv[0] is the verb */
        const char *help;
} CliVerb;

int verb_policy(int argc, char *argv[]);
/* submit, list, show, cancel, logs, hold, release, drain, resume, policies, status */
int verb_jobs(int argc, char *argv[]);

/* The policy directory to use: --policy-dir, else $CORRAL_POLICY_DIR, else
 * the node config's policy_dir (--config, $CORRAL_CONFIG or the default
 * path), else the built-in default. Returns a malloc'd string or NULL. */
char *cli_policy_dir(const char *opt_dir, const char *opt_config);
