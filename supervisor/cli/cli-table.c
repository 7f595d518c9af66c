/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli-table.c — the tables of `corral list` and `corral history`, through
 * libsmartcols (util-linux's: lsblk, findmnt, lslocks): column widths from
 * the data, the last column truncated to the terminal, --output to choose
 * the columns and --noheadings, as util-linux's tools take them.
 *
 * columns[] is the one list of what a table can show: its name (what
 * --output takes, any case; the header is the name in capitals), what it
 * shows (--help), and how its cell is made from a job object of the API. */
#include <ctype.h>
#include <errno.h>
#include <libsmartcols.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "macro.h"
#include "parse.h"
#include "strv.h"

#define MAX_COLUMNS 32

typedef enum CellKind {
        CELL_STRING, /* the job's field, "-" when absent or null */
        CELL_INT,
        CELL_TIME, /* seconds since the epoch, as a local time */
        CELL_ELAPSED, /* ended (or now) - started */
        CELL_COMMAND, /* argv joined by spaces */
        CELL_MAXRSS, /* usage.memory_peak_bytes */
        CELL_CPU, /* usage.cpu_user_usec + cpu_system_usec */
} CellKind;

static const struct {
        const char *name, *field, *help;
        CellKind kind;
        int flags;
        double width;
} columns[] = {
        { "id", "id", "job id", CELL_INT, 0, 0 }, /* left: `corral list | grep "^17 "` */
        { "array", "array", "array element: ARRAYID_TASKID (submit --array)", CELL_STRING, 0, 0 },
        { "name", "name", "job name (-J)", CELL_STRING, SCOLS_FL_TRUNC, 0 },
        { "user", "user", "owner", CELL_STRING, 0, 0 },
        { "uid", "uid", "owner's uid", CELL_INT, SCOLS_FL_RIGHT, 0 },
        { "state", "state", "QUEUED, RUNNING, COMPLETED, FAILED...", CELL_STRING, 0, 0 },
        { "policy", "policy", "policy it ran under", CELL_STRING, 0, 0 },
        { "submitted", "submitted", "when it was submitted (local time)", CELL_TIME, 0, 0 },
        { "started", "started", "when it started", CELL_TIME, 0, 0 },
        { "ended", "ended", "when it ended", CELL_TIME, 0, 0 },
        { "elapsed", NULL, "run time, [D-]HH:MM:SS (until now if it runs)", CELL_ELAPSED, SCOLS_FL_RIGHT, 0 },
        { "walltime", "walltime", "its run time limit", CELL_STRING, SCOLS_FL_RIGHT, 0 },
        { "exit", "exit", "exit code:signal", CELL_STRING, 0, 0 },
        { "maxrss", NULL, "peak memory of its cgroup", CELL_MAXRSS, SCOLS_FL_RIGHT, 0 },
        { "cpu", NULL, "CPU time used (user + system)", CELL_CPU, SCOLS_FL_RIGHT, 0 },
        { "pending", "pending_reason", "why a queued job waits: HELD, DRAINED, RESOURCES, USER_CAP, ARRAY_LIMIT",
          CELL_STRING, 0, 0 },
        { "mem", "mem", "memory it asked for, bytes", CELL_INT, SCOLS_FL_RIGHT, 0 },
        { "cpus", "cpus", "CPUs it asked for", CELL_STRING, SCOLS_FL_RIGHT, 0 },
        { "reason", "reason", "why it ended as it did", CELL_STRING, SCOLS_FL_TRUNC, 0 },
        { "cwd", "cwd", "working directory", CELL_STRING, SCOLS_FL_TRUNC, 0 },
        { "output", "output_dir", "its output directory (corral logs)", CELL_STRING, SCOLS_FL_TRUNC, 0 },
        { "command", NULL, "command and arguments", CELL_COMMAND, SCOLS_FL_TRUNC, 0 },
};

struct CliTable {
        struct libscols_table *tb;
        size_t cols[MAX_COLUMNS];
        size_t n;
};

void cli_table_columns_help(FILE *f) {
        for (size_t i = 0; i < ELEMENTSOF(columns); i++)
                fprintf(f, "  %-10s %s\n", columns[i].name, columns[i].help);
}

CliTable *cli_table_free(CliTable *t) {
        if (!t)
                return NULL;
        scols_unref_table(t->tb);
        free(t);
        return NULL;
}

CliTable *cli_table_new(const char *list, bool noheadings, char **ret_error) {
        _cleanup_strv_free_ char **names = NULL;
        CliTable *t;

        *ret_error = NULL;
        if (parse_list(list, &names) < 0 || !names || !names[0]) {
                if (asprintf(ret_error, "--output expects a comma-separated list of columns, got '%s'", list) < 0)
                        *ret_error = NULL;
                return NULL;
        }
        t = calloc(1, sizeof(CliTable));
        if (!t)
                return NULL;
        t->tb = scols_new_table();
        if (!t->tb)
                return cli_table_free(t);
        scols_table_enable_noheadings(t->tb, noheadings);
        for (char **n = names; *n; n++) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(columns); i++)
                        if (strcasecmp(*n, columns[i].name) == 0)
                                break;
                if (i == ELEMENTSOF(columns)) {
                        if (asprintf(ret_error, "unknown column '%s' (see --help for the list)", *n) < 0)
                                *ret_error = NULL;
                        return cli_table_free(t);
                }
                if (t->n == MAX_COLUMNS) {
                        if (asprintf(ret_error, "at most %d columns", MAX_COLUMNS) < 0)
                                *ret_error = NULL;
                        return cli_table_free(t);
                }
                char header[32];
                size_t k;
                for (k = 0; k < sizeof header - 1 && columns[i].name[k]; k++)
                        header[k] = (char) toupper((unsigned char) columns[i].name[k]);
                header[k] = '\0';
                if (!scols_table_new_column(t->tb, header, columns[i].width, columns[i].flags))
                        return cli_table_free(t);
                t->cols[t->n++] = i;
        }
        return t;
}

/* [D-]HH:MM:SS, as sacct prints elapsed times */
static void fmt_elapsed(uint64_t s, char *buf, size_t len) {
        if (s >= 86400)
                snprintf(buf, len, "%llu-%02llu:%02llu:%02llu", (unsigned long long) (s / 86400),
                         (unsigned long long) (s / 3600 % 24), (unsigned long long) (s / 60 % 60),
                         (unsigned long long) (s % 60));
        else
                snprintf(buf, len, "%02llu:%02llu:%02llu", (unsigned long long) (s / 3600),
                         (unsigned long long) (s / 60 % 60), (unsigned long long) (s % 60));
}

/* The text of one cell, malloc'd. */
static char *cell(size_t col, json_t *job) {
        json_t *v = columns[col].field ? json_object_get(job, columns[col].field) : NULL;
        json_t *usage = json_object_get(job, "usage");
        char buf[FORMAT_BUF * 2];
        const char *s = "-";

        switch (columns[col].kind) {
        case CELL_STRING:
                if (json_is_string(v) && *json_string_value(v))
                        s = json_string_value(v);
                break;
        case CELL_INT:
                if (json_is_integer(v)) {
                        snprintf(buf, sizeof buf, "%lld", (long long) json_integer_value(v));
                        s = buf;
                }
                break;
        case CELL_TIME:
                if (json_is_integer(v)) {
                        time_t tt = (time_t) json_integer_value(v);
                        struct tm tm;
                        if (localtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
                                s = buf;
                }
                break;
        case CELL_ELAPSED: {
                json_t *st = json_object_get(job, "started"), *en = json_object_get(job, "ended");
                if (json_is_integer(st)) {
                        json_int_t end = json_is_integer(en) ? json_integer_value(en) : (json_int_t) time(NULL);
                        json_int_t d = end - json_integer_value(st);
                        fmt_elapsed(d > 0 ? (uint64_t) d : 0, buf, sizeof buf);
                        s = buf;
                }
                break;
        }
        case CELL_MAXRSS: {
                json_t *m = json_object_get(usage, "memory_peak_bytes");
                if (json_is_integer(m) && json_integer_value(m) >= 0)
                        s = format_size(buf, (uint64_t) json_integer_value(m));
                break;
        }
        case CELL_CPU: {
                json_t *u = json_object_get(usage, "cpu_user_usec"), *y = json_object_get(usage, "cpu_system_usec");
                if (json_is_integer(u) || json_is_integer(y)) {
                        json_int_t t = (json_is_integer(u) ? json_integer_value(u) : 0) +
                                       (json_is_integer(y) ? json_integer_value(y) : 0);
                        /* whole milliseconds: a job's CPU time to the microsecond is noise */
                        uint64_t ms = t > 0 ? ((uint64_t) t + 500) / 1000 * 1000 : 0;
                        s = format_duration(buf, ms);
                }
                break;
        }
        case CELL_COMMAND: {
                char *out = NULL;
                size_t len = 0, k;
                json_t *a;
                FILE *f = open_memstream(&out, &len);
                if (!f)
                        return NULL;
                json_array_foreach(json_object_get(job, "argv"), k, a) {
                        fprintf(f, "%s%s", k ? " " : "", json_string_value(a) ?: "");
                }
                if (fclose(f) != 0) {
                        free(out);
                        return NULL;
                }
                return out;
        }
        }
        return strdup(s);
}

int cli_table_add_job(CliTable *t, json_t *job) {
        struct libscols_line *ln = scols_table_new_line(t->tb, NULL);
        if (!ln)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                char *c = cell(t->cols[i], job);
                /* the line takes the string */
                if (!c || scols_line_refer_data(ln, i, c) < 0) {
                        free(c);
                        return -ENOMEM;
                }
        }
        return 0;
}

int cli_table_print(CliTable *t, FILE *f) {
        int r = 0;
        if (scols_table_get_nlines(t->tb) > 0 || !scols_table_is_noheadings(t->tb)) {
                scols_table_set_stream(t->tb, f);
                r = scols_print_table(t->tb);
        }
        cli_table_free(t);
        return r < 0 ? r : 0;
}
