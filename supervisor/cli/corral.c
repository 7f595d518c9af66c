/* SPDX-License-Identifier: GPL-2.0-or-later */
/* corral.c — the `corral` command line: global options and the table of
 * verbs. Each verb lives in its own file (cli-policy.c, ...) and is listed in
 * verbs[] below with its one-line help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "macro.h"

static const CliVerb verbs[] = {
        { "submit", verb_jobs, "queue a job: corral submit [--wait|--pipe] [--] CMD [ARG]..." },
        { "list", verb_jobs, "your jobs not over, and the last that ended (--all: every one)" },
        { "show", verb_jobs, "show one job" },
        { "history", verb_history, "the jobs that ended, sacct-like (--since, --until, --state, -o COLUMNS)" },
        { "cancel", verb_jobs, "cancel jobs: IDs, FROM-TO ranges, -u USER, --state STATES, ARRAYID_TASKID" },
        { "logs", verb_jobs, "print a job's output (-f to follow)" },
        { "wait", verb_jobs, "wait for a job to end (--pipe: show its output)" },
        { "hold", verb_jobs, "keep a queued job from starting" },
        { "release", verb_jobs, "let a held job start" },
        { "drain", verb_jobs, "admins: start no new jobs on this node" },
        { "resume", verb_jobs, "admins: start jobs again" },
        { "policies", verb_jobs, "list the policies corrald offers" },
        { "status", verb_jobs, "the daemon's version and counts" },
        { "policy", verb_policy, "check and show policy files (no daemon needed)" },
};

static void help(FILE *f) {
        fprintf(f, "Usage: corral [--version] [--help] VERB [ARGS...]\n"
                   "\n"
                   "corral is the command line of the corral batch-node supervisor: it checks\n"
                   "policies and (with corrald running) submits and manages jobs.\n"
                   "\n"
                   "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
        fprintf(f, "\n"
                   "Run 'corral VERB --help' for the options of a verb.\n"
                   "Exit status: 0 success, 1 failure (invalid policy, denied, job failed), 2 usage error.\n");
}

int cli_hoist_verb(int argc, char *argv[]) {
        int i;
        for (i = 1; i < argc; i++) {
                if (streq(argv[i], "--"))
                        return -1;
                if (argv[i][0] != '-')
                        break;
                if ((streq(argv[i], "--socket") || streq(argv[i], "--config") || streq(argv[i], "--policy-dir") ||
                     streq(argv[i], "-c") || streq(argv[i], "-d")) &&
                    i + 1 < argc)
                        i++;
        }
        if (i >= argc)
                return -1;
        char *verb = argv[i];
        memmove(argv + 2, argv + 1, (size_t) (i - 1) * sizeof(char *));
        argv[1] = verb;
        return 1;
}

int main(int argc, char *argv[]) {
        log_set_program("corral");

        if (argc < 2) {
                help(stderr);
                return CLI_EXIT_USAGE;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
                help(stdout);
                return 0;
        }
        if (streq(argv[1], "--version")) {
                printf("corral %s\n", CORRAL_VERSION);
                return 0;
        }
        if (argv[1][0] == '-' && cli_hoist_verb(argc, argv) < 0) {
                log_error("no verb given; run 'corral --help' for the list");
                return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[1], verbs[i].name))
                        return verbs[i].run(argc - 1, argv + 1);

        log_error("unknown verb '%s'; run 'corral --help' for the list", argv[1]);
        return CLI_EXIT_USAGE;
}
