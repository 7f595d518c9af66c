/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli-history.c — `corral history`, the accounting view (sacct's): the jobs
 * that ended in a time window, in the order they ended, with the columns
 * --output (or --format) chooses, as a table (cli-table.c) or as JSON.
 *
 * corrald answers a page at a time (one 64 KiB message); the command asks
 * for the next page with the cursor of the previous one ("after") until
 * none is left, so the whole window is shown whatever its size. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "strv.h"

#define HISTORY_COLUMNS "id,user,state,exit,started,ended,elapsed,maxrss,cpu,command"

typedef struct HistoryOpts {
        const char *user, *since_arg, *until_arg, *output;
        uint64_t since, until;
        bool all_users, noheadings;
        char **states;
} HistoryOpts;

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int time_arg(const char *opt, const char *arg, uint64_t *ret) {
        if (parse_time(arg, realtime_usec(), ret) < 0) {
                log_error("%s expects a duration ago (2h, 1d), a local date and time (2026-11-22, "
                          "'2026-11-22 09:13'), a time of today (09:13), today, yesterday or @SECONDS; got '%s'",
                          opt, arg);
                return -EINVAL;
        }
        return 0;
}

static bool state_final(int st) {
        return job_state_is_final((JobState) st);
}

static int history_opt(int c, void *u) {
        HistoryOpts *h = u;
        switch (c) {
        case 'u':
                h->user = optarg;
                return 0;
        case 'A':
                h->all_users = true;
                return 0;
        case 'S':
                h->since_arg = optarg;
                return time_arg("--since", optarg, &h->since);
        case 'E':
                h->until_arg = optarg;
                return time_arg("--until", optarg, &h->until);
        case 'o':
                h->output = optarg;
                return 0;
        case 'n':
                h->noheadings = true;
                return 0;
        case 's':
                return cli_parse_states(optarg, state_final,
                                        "a state a job ends in (COMPLETED, FAILED, CANCELLED, TIMEOUT, "
                                        "OUT_OF_MEMORY, LOST)",
                                        &h->states);
        }
        return -EINVAL;
}

static const char history_usage[] =
        "Usage: corral history [--since TIME] [--until TIME] [--state STATES]\n"
        "                      [--user USER | --all-users] [-o COLUMNS] [--noheadings] [--json]\n"
        "\n"
        "The jobs that ended, in the order they ended (sacct): by default yours that ended\n"
        "since midnight.\n"
        "  -S, --since TIME      those that ended at or after TIME: a duration ago (2h, 1d),\n"
        "                        a local date and time (2026-11-22, '2026-11-22 09:13'),\n"
        "                        a time of today (09:13), today, yesterday, @SECONDS\n"
        "  -E, --until TIME      those that ended before TIME (the same forms)\n"
        "  -s, --state STATES    only these end states (FAILED,TIMEOUT)\n"
        "  -u, --user USER       USER's jobs (admins; yours without it)\n"
        "  -A, --all-users       every user's jobs (admins)\n"
        "  -o, --output COLUMNS  the columns to show, comma-separated (--format too)\n"
        "  -n, --noheadings      no header line\n"
        "      --json            {\"jobs\":[...]}: the API's job objects, each with its usage\n"
        "Jobs are kept for the node's keep_finished (corrald(8)).\n"
        "\n"
        "Columns (default " HISTORY_COLUMNS "):\n";

int verb_history(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "user", required_argument, NULL, 'u' },
                { "all-users", no_argument, NULL, 'A' },
                { "since", required_argument, NULL, 'S' },
                { "starttime", required_argument, NULL, 'S' },
                { "until", required_argument, NULL, 'E' },
                { "endtime", required_argument, NULL, 'E' },
                { "state", required_argument, NULL, 's' },
                { "output", required_argument, NULL, 'o' },
                { "format", required_argument, NULL, 'o' },
                { "noheadings", no_argument, NULL, 'n' },
                {},
        };
        _cleanup_free_ char *usage = NULL, *table_error = NULL;
        Opts o = { 0 };
        HistoryOpts h = { 0 };
        CliTable *t = NULL;
        json_t *all = NULL, *after = NULL;
        size_t ulen = 0;
        int r;

        FILE *uf = open_memstream(&usage, &ulen);
        if (!uf)
                return log_oom(), CLI_EXIT_FAILURE;
        fputs(history_usage, uf);
        cli_table_columns_help(uf);
        if (fclose(uf) != 0)
                return log_oom(), CLI_EXIT_FAILURE;

        r = cli_parse(argc, argv, &o, usage, "u:AS:E:s:o:n", extra, history_opt, &h);
        _cleanup_strv_free_ char **states = h.states;
        if (r > 0)
                return CLI_EXIT_OK;
        if (r < 0)
                return CLI_EXIT_USAGE;
        if (optind != argc) {
                log_error("history takes no arguments, got '%s'", argv[optind]);
                return CLI_EXIT_USAGE;
        }
        if (h.all_users && h.user) {
                log_error("--user and --all-users exclude each other");
                return CLI_EXIT_USAGE;
        }
        if (!h.since_arg && time_arg("--since", "today", &h.since) < 0)
                return CLI_EXIT_FAILURE;
        if (h.until_arg && h.until <= h.since) {
                log_error("--until (%s) is not after --since (%s): no job can have ended in between", h.until_arg,
                          h.since_arg ?: "today");
                return CLI_EXIT_USAGE;
        }
        if (o.json) {
                all = json_array();
                if (!all)
                        return log_oom(), CLI_EXIT_FAILURE;
        } else {
                t = cli_table_new(h.output ?: HISTORY_COLUMNS, h.noheadings, &table_error);
                if (!t) {
                        if (!table_error)
                                return log_oom(), CLI_EXIT_FAILURE;
                        log_error("%s", table_error);
                        return CLI_EXIT_USAGE;
                }
        }
        /* a page per answer, until no "next", all on one connection */
        _cleanup_close_ int fd = cli_connect(&o);
        if (fd < 0) {
                json_decref(all);
                cli_table_free(t);
                return CLI_EXIT_FAILURE;
        }
        for (;;) {
                json_t *resp = NULL, *req, *j;
                size_t i;
                req = json_pack("{s:s, s:b, s:I}", "op", "history", "all", h.all_users, "since",
                                (json_int_t) (h.since / USEC_PER_SEC));
                if (!req) {
                        r = log_oom();
                        break;
                }
                if (h.user)
                        json_object_set_new(req, "user", json_string(h.user));
                if (h.until_arg)
                        json_object_set_new(req, "until",
                                            json_integer((json_int_t) ((h.until + USEC_PER_SEC - 1) / USEC_PER_SEC)));
                if (states)
                        json_object_set_new(req, "states", cli_strv_json(states));
                if (after)
                        json_object_set_new(req, "after", after);
                after = NULL;
                r = cli_call_on(fd, req, &resp);
                if (r < 0)
                        break;
                json_array_foreach(json_object_get(resp, "jobs"), i, j) {
                        if (all)
                                r = json_array_append(all, j) < 0 ? -ENOMEM : 0;
                        else
                                r = cli_table_add_job(t, j);
                        if (r < 0)
                                break;
                }
                after = json_incref(json_object_get(resp, "next"));
                json_decref(resp);
                if (r < 0 || !after)
                        break;
        }
        json_decref(after);
        if (r < 0) {
                json_decref(all);
                cli_table_free(t);
                return CLI_EXIT_FAILURE;
        }
        if (all) {
                json_t *out = json_pack("{s:o}", "jobs", all);
                if (!out)
                        return log_oom(), CLI_EXIT_FAILURE;
                cli_print_json(out);
                json_decref(out);
                return CLI_EXIT_OK;
        }
        if (cli_table_print(t, stdout) < 0)
                return log_error_errno(-EIO, "cannot print the table: %m"), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}
