/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h — shared between the verbs of the `corral` command line. */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
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
/* submit, list, show, cancel, logs, hold, release, drain, resume, policies, status, wait */
int verb_jobs(int argc, char *argv[]);

/* The policy directory to use: --policy-dir, else $CORRAL_POLICY_DIR, else
 * the node config's policy_dir (--config, $CORRAL_CONFIG or the default
 * path), else the built-in default. Returns a malloc'd string or NULL. */
char *cli_policy_dir(const char *opt_dir, const char *opt_config);

/* Options may come before the verb too (corral --json show 3, corral policy
 * -d DIR list): moves the first argument after argv[0] that is neither an
 * option nor the value of --socket, --config, --policy-dir, -c or -d to
 * argv[1], the options before it after it, where the verb parses them.
 * Returns 1, or -1 when there is no such argument. */
int cli_hoist_verb(int argc, char *argv[]);

/* cli-wait.c: waits for job `job` on fd, a fresh connection to corrald,
 * with the daemon pushing (the wait op); with pipe, copies the job's stdout
 * and stderr to ours as it writes them. Returns the exit status for the
 * CLI: the job's (cli_exit_code_of), CLI_EXIT_FAILURE, or 130 after ^C:
 * with cancel_on_interrupt, or when the answer to "cancel job N? [y/N]"
 * (asked on a terminal) is yes, cancel() (a new connection) cancels the job
 * and the wait goes on to its end; otherwise it says the job is still
 * running and how to cancel it. */
typedef struct CliWait {
        int64_t job;
        bool pipe, json, cancel_on_interrupt;
        int (*cancel)(void *userdata, int64_t job); /* < 0: failed, logged */
        void *userdata;
} CliWait;
int cli_wait(int fd, const CliWait *w);
/* a job's exit status as a shell's: its code, 128 + its signal, else 0
 * when COMPLETED and 1 otherwise */
int cli_exit_code_of(json_t *job);

/* ---- shared by the verbs that talk to corrald (cli-jobs.c) ---- */

typedef struct Opts {
        const char *socket, *config;
        bool json;
} Opts;

/* One request, one answer ({"ok":true,...} in *ret); prints the error of a
 * refused request and returns -errno. Takes req. */
int cli_call(const Opts *o, json_t *req, json_t **ret);
/* The same over a connection of cli_connect() (an fd, or -errno, printed),
 * for several requests in a row (history's pages). */
int cli_connect(const Opts *o);
int cli_call_on(int fd, json_t *req, json_t **ret);
/* The options every such verb takes (--json, --socket, --config, --help)
 * and its own (extra_short, extra, on_opt). 1: --help was printed; 0; or
 * -EINVAL (a usage error, printed). */
int cli_parse(int argc, char *argv[], Opts *o, const char *usage, const char *extra_short, const struct option *extra,
              int (*on_opt)(int c, void *u), void *u);
void cli_print_json(json_t *o);
/* --state LIST: comma-separated state names in any case, PENDING for QUEUED
 * (Slurm's word), appended to *states in upper case. A state that is not
 * one of keep's (NULL: any) is a usage error naming it and expect (the
 * states the option takes). 0 or -EINVAL/-ENOMEM, printed. */
int cli_parse_states(const char *arg, bool (*keep)(int state), const char *expect, char ***states);
/* A JSON array of the strings of l (for a request's "states"). */
json_t *cli_strv_json(char *const *l);

/* history: corral history (cli-history.c) */
int verb_history(int argc, char *argv[]);

/* ---- tables (cli-table.c, libsmartcols) ---- */

typedef struct CliTable CliTable;
/* A table of jobs (the API's job objects) with these columns: a
 * comma-separated list of the names of cli_table_columns_help(), any case.
 * NULL and *ret_error (a malloc'd message) on a bad list. */
CliTable *cli_table_new(const char *columns, bool noheadings, char **ret_error);
int cli_table_add_job(CliTable *t, json_t *job);
/* Prints and frees the table. */
int cli_table_print(CliTable *t, FILE *f);
CliTable *cli_table_free(CliTable *t);
/* The column names with what each shows, one per line, for --help. */
void cli_table_columns_help(FILE *f);
