/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli-jobs.c — the job verbs of `corral`: submit, list, show, cancel, logs,
 * hold, release, drain, resume, policies, status. Each sends one JSON request
 * to corrald over its SOCK_SEQPACKET socket and prints the answer, as a table
 * for people or as JSON (--json) for scripts. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "nodeconf.h"
#include "parse.h"
#include "protocol.h"
#include "strv.h"

static char *socket_path(const Opts *o) {
        _cleanup_nodeconf_free_ NodeConfig *c = NULL;
        ConfDiags d = { 0 };
        const char *e = getenv("CORRAL_SOCKET"), *cfg;
        if (o->socket)
                return strdup(o->socket);
        if (e && *e)
                return strdup(e);
        cfg = o->config ? o->config : (getenv("CORRAL_CONFIG") ? getenv("CORRAL_CONFIG") : NODECONF_PATH_DEFAULT);
        if (nodeconf_load(cfg, 0, o->config == NULL, &c, &d) < 0) {
                conf_diags_print(&d, stderr);
                conf_diags_clear(&d);
                return NULL;
        }
        return strdup(c->socket);
}

static int connect_daemon(const Opts *o) {
        _cleanup_free_ char *path = socket_path(o);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (!path)
                return -EINVAL;
        if (strlen(path) >= sizeof sa.sun_path) {
                log_error("socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot create a socket: %m");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = negative_errno();
                close(fd);
                if (r == -ENOENT)
                        log_error("corrald is not running: no socket at %s (start it, or use --socket or "
                                  "$CORRAL_SOCKET)",
                                  path);
                else if (r == -ECONNREFUSED)
                        log_error("corrald is not running: nothing listens on %s", path);
                else if (r == -EACCES || r == -EPERM)
                        log_error("permission denied on %s", path);
                else
                        log_error_errno(r, "cannot connect to corrald at %s: %m", path);
                return r;
        }
        return fd;
}

static int send_request(int fd, json_t *req) {
        _cleanup_free_ char *s = NULL;
        size_t n;
        int r = api_dump(req, &s, &n);
        json_decref(req);
        if (r == -E2BIG)
                return log_error_errno(r, "the request is too large (limit %zu bytes)", API_MAX_MESSAGE);
        if (r < 0)
                return log_oom();
        if (send(fd, s, n, MSG_NOSIGNAL) < 0)
                return log_error_errno(negative_errno(), "cannot send to corrald: %m");
        return 0;
}

static int recv_raw(int fd, char **ret, size_t *ret_len) {
        char *buf = malloc(API_MAX_MESSAGE + 1);
        ssize_t n;
        if (!buf)
                return log_oom();
        do
                n = recv(fd, buf, API_MAX_MESSAGE + 1, MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
                free(buf);
                return n == 0 ? log_error_errno(-ECONNRESET, "corrald closed the connection")
                              : log_error_errno(negative_errno(), "cannot read from corrald: %m");
        }
        if ((size_t) n > API_MAX_MESSAGE) {
                free(buf);
                return log_error_errno(-EBADMSG, "oversized answer from corrald");
        }
        buf[n] = '\0';
        *ret = buf;
        *ret_len = (size_t) n;
        return 0;
}

static int recv_json(int fd, json_t **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r = recv_raw(fd, &buf, &n);
        if (r < 0)
                return r;
        *ret = json_loadb(buf, n, 0, NULL);
        if (!*ret || !json_is_object(*ret))
                return log_error_errno(-EBADMSG, "malformed answer from corrald");
        return 0;
}

/* One request, one answer; prints the error of a refused request. */
static int call(const Opts *o, json_t *req, json_t **ret) {
        _cleanup_close_ int fd = connect_daemon(o);
        json_t *resp;
        int r;
        if (fd < 0) {
                json_decref(req);
                return fd;
        }
        r = send_request(fd, req);
        if (r < 0)
                return r;
        r = recv_json(fd, &resp);
        if (r < 0)
                return r;
        if (!json_is_true(json_object_get(resp, "ok"))) {
                log_error("%s", json_string_value(json_object_get(resp, "error")) ?: "request refused");
                json_decref(resp);
                return -EPERM;
        }
        *ret = resp;
        return 0;
}

static void print_json(json_t *o) {
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
}

static int parse_common(int argc, char *argv[], Opts *o, const char *usage, const char *extra_short,
                        const struct option *extra, int (*on_opt)(int c, void *u), void *u) {
        enum { OPT_JSON = 0x200, OPT_SOCKET, OPT_CONFIG };
        struct option all[32];
        size_t n = 0;
        char shorts[64];
        int c;

        for (const struct option *e = extra; e && e->name; e++)
                all[n++] = *e;
        all[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
        all[n++] = (struct option){ "socket", required_argument, NULL, OPT_SOCKET };
        all[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
        all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
        all[n] = (struct option){ 0 };
        /* Options may come anywhere (GNU getopt permutes them to the front),
         * and "--" ends them. A verb whose extra_short starts with '+' (submit)
         * stops at its first operand instead: the command after it keeps
         * its own options. */
        bool in_order = extra_short && extra_short[0] == '+';
        snprintf(shorts, sizeof shorts, "%sh%s", in_order ? "+" : "", extra_short ? extra_short + in_order : "");
        optind = 1;
        while ((c = getopt_long(argc, argv, shorts, all, NULL)) >= 0) {
                switch (c) {
                case OPT_JSON:
                        o->json = true;
                        break;
                case OPT_SOCKET:
                        o->socket = optarg;
                        break;
                case OPT_CONFIG:
                        o->config = optarg;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        fputs("\nCommon options: --json (machine-readable output), --socket PATH (else "
                              "$CORRAL_SOCKET,\nelse the node config's socket, /run/corral/corral.sock), "
                              "--config FILE, --help\n",
                              stdout);
                        return 1;
                case '?':
                        return -EINVAL;
                default:
                        if (!on_opt || on_opt(c, u) < 0)
                                return -EINVAL;
                }
        }
        return 0;
}

#define PARSE(usage, shorts, extra, cb, u)                                                                             \
        do {                                                                                                           \
                int _r = parse_common(argc, argv, &o, usage, shorts, extra, cb, u);                                    \
                if (_r > 0)                                                                                            \
                        return CLI_EXIT_OK;                                                                            \
                if (_r < 0)                                                                                            \
                        return CLI_EXIT_USAGE;                                                                         \
        } while (0)

static int job_arg(int argc, char *argv[], int64_t *ret) {
        uint64_t v;
        if (optind != argc - 1) {
                log_error("expected exactly one job id");
                return -EINVAL;
        }
        if (parse_uint64(argv[optind], 1, INT64_MAX, &v) < 0) {
                log_error("invalid job id '%s'", argv[optind]);
                return -EINVAL;
        }
        *ret = (int64_t) v;
        return 0;
}

static int exit_code_of(json_t *job) {
        const char *st = json_string_value(json_object_get(job, "state"));
        const char *ex = json_string_value(json_object_get(job, "exit"));
        int code, sig;
        if (ex && sscanf(ex, "%d:%d", &code, &sig) == 2)
                return sig > 0 ? 128 + sig : code;
        return st && streq(st, "COMPLETED") ? 0 : 1;
}

/* ---- submit ---- */

typedef struct SubmitOpts {
        const char *policy, *walltime, *cwd, *out, *err;
        char **env;
        bool wait, hold;
} SubmitOpts;

static int submit_opt(int c, void *u) {
        SubmitOpts *s = u;
        switch (c) {
        case 'p':
                s->policy = optarg;
                return 0;
        case 'w':
                s->walltime = optarg;
                return 0;
        case 'C':
                s->cwd = optarg;
                return 0;
        case 'o':
                s->out = optarg;
                return 0;
        case 'e':
                s->err = optarg;
                return 0;
        case 'E':
                if (!strchr(optarg, '=')) {
                        log_error("--env expects NAME=VALUE, got '%s'", optarg);
                        return -EINVAL;
                }
                return strv_extend(&s->env, optarg);
        case 'W':
                s->wait = true;
                return 0;
        case 'H':
                s->hold = true;
                return 0;
        }
        return -EINVAL;
}

static int wait_for(const Opts *o, int64_t id, json_t **ret) {
        for (;;) {
                json_t *resp = NULL;
                int r = call(o, json_pack("{s:s, s:I}", "op", "show", "job", (json_int_t) id), &resp);
                if (r < 0)
                        return r;
                json_t *job = json_object_get(resp, "job");
                JobState st = job_state_from_string(json_string_value(json_object_get(job, "state")));
                if (job_state_is_final(st) && !json_is_null(json_object_get(job, "epilogue"))) {
                        *ret = json_incref(job);
                        json_decref(resp);
                        return 0;
                }
                json_decref(resp);
                struct timespec ts = { 0, 100L * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
}

static int verb_submit(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "policy", required_argument, NULL, 'p' },
                { "walltime", required_argument, NULL, 'w' },
                { "cwd", required_argument, NULL, 'C' },
                { "stdout", required_argument, NULL, 'o' },
                { "stderr", required_argument, NULL, 'e' },
                { "env", required_argument, NULL, 'E' },
                { "wait", no_argument, NULL, 'W' },
                { "hold", no_argument, NULL, 'H' },
                {},
        };
        Opts o = { 0 };
        SubmitOpts s = { 0 };
        char cwd[PATH_MAX];
        json_t *req, *resp = NULL, *jargv, *jenv;
        int r;

        PARSE("Usage: corral submit [OPTIONS] -- CMD [ARG]...\n"
              "\n"
              "Queue CMD as a job of the calling user; prints the job id.\n"
              "  -p, --policy NAME     policy (default: the node's default policy)\n"
              "  -w, --walltime DUR    run time limit, at most the policy's (30m, 2h, 1d)\n"
              "  -C, --cwd DIR         working directory (default: the current one)\n"
              "  -E, --env NAME=VALUE  set a variable in the job's environment (repeatable)\n"
              "      --hold            queue it held (corral release ID lets it run)\n"
              "  -W, --wait            wait for the job and exit with its status\n"
              "Options end at CMD: what follows it is the job's own arguments, options too.\n",
              "+p:w:C:o:e:E:WH", extra, submit_opt, &s);
        _cleanup_strv_free_ char **env = s.env;
        if (optind >= argc) {
                log_error("submit: no command given (corral submit -- CMD ...)");
                return CLI_EXIT_USAGE;
        }
        if (!s.cwd) {
                if (!getcwd(cwd, sizeof cwd)) {
                        log_error_errno(negative_errno(), "cannot get the current directory: %m");
                        return CLI_EXIT_FAILURE;
                }
                s.cwd = cwd;
        }
        jargv = json_array();
        jenv = json_object();
        for (int i = optind; i < argc; i++)
                json_array_append_new(jargv, json_string(argv[i]));
        for (char **e = env; e && *e; e++) {
                char *eq = strchr(*e, '=');
                *eq = '\0';
                json_object_set_new(jenv, *e, json_string(eq + 1));
                *eq = '=';
        }
        req = json_pack("{s:s, s:o, s:o, s:s, s:b}", "op", "submit", "argv", jargv, "env", jenv, "cwd", s.cwd, "hold",
                        s.hold);
        if (!req)
                return log_oom(), CLI_EXIT_FAILURE;
        if (s.policy)
                json_object_set_new(req, "policy", json_string(s.policy));
        if (s.walltime)
                json_object_set_new(req, "walltime", json_string(s.walltime));
        if (s.out)
                json_object_set_new(req, "stdout", json_string(s.out));
        if (s.err)
                json_object_set_new(req, "stderr", json_string(s.err));
        r = call(&o, req, &resp);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        int64_t id = json_integer_value(json_object_get(resp, "job"));
        if (o.json && !s.wait)
                print_json(resp);
        else if (!s.wait)
                printf("%lld\n", (long long) id);
        json_decref(resp);
        if (!s.wait)
                return CLI_EXIT_OK;
        if (!o.json)
                fprintf(stderr, "corral: job %lld submitted, waiting\n", (long long) id);
        json_t *job = NULL;
        if (wait_for(&o, id, &job) < 0)
                return CLI_EXIT_FAILURE;
        if (o.json)
                print_json(job);
        else
                fprintf(stderr, "corral: job %lld %s, exit %s\n", (long long) id,
                        json_string_value(json_object_get(job, "state")),
                        json_string_value(json_object_get(job, "exit")) ?: "none");
        r = exit_code_of(job);
        json_decref(job);
        return r;
}

/* ---- list, show ---- */

#define LIST_LAST_DEFAULT 10
_Static_assert(LIST_LAST_DEFAULT == 10, "list's usage text and corral(1) say 10");

#define LIST_COLUMNS "id,user,state,policy,submitted,exit,command"

typedef struct ListOpts {
        bool all, all_users, has_last, noheadings;
        const char *user, *since_arg, *output;
        uint64_t last, since;
        char **states;
} ListOpts;

static int list_opt(int c, void *u) {
        ListOpts *l = u;
        switch (c) {
        case 'a':
                l->all = true;
                return 0;
        case 'A':
                l->all_users = true;
                return 0;
        case 'u':
                l->user = optarg;
                return 0;
        case 'o':
                l->output = optarg;
                return 0;
        case 'N':
                l->noheadings = true;
                return 0;
        case 'n':
                if (parse_uint64(optarg, 0, 1000000, &l->last) < 0) {
                        log_error("--last expects a number of jobs from 0 to 1000000, got '%s'", optarg);
                        return -EINVAL;
                }
                l->has_last = true;
                return 0;
        case 'S': {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                if (parse_time(optarg, (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000, &l->since) <
                    0) {
                        log_error("--since expects a duration (2h, 1d), a local date and time (2026-11-22, "
                                  "'2026-11-22 09:13'), a time of today (09:13), today, yesterday or @SECONDS; "
                                  "got '%s'",
                                  optarg);
                        return -EINVAL;
                }
                l->since_arg = optarg;
                return 0;
        }
        case 's': {
                char **parts = NULL;
                if (parse_list(optarg, &parts) < 0) {
                        log_error("--state expects a comma-separated list of states, got '%s'", optarg);
                        return -EINVAL;
                }
                for (char **p = parts; *p; p++) {
                        for (char *q = *p; *q; q++)
                                *q = (char) toupper((unsigned char) *q);
                        if (job_state_from_string(*p) == _JOB_STATE_INVALID) {
                                log_error("unknown state '%s' (QUEUED, HELD, STARTING, RUNNING, COMPLETED, FAILED, "
                                          "CANCELLED, TIMEOUT, OUT_OF_MEMORY, LOST)",
                                          *p);
                                strv_free(parts);
                                return -EINVAL;
                        }
                        strv_extend(&l->states, *p);
                }
                strv_free(parts);
                return 0;
        }
        }
        return -EINVAL;
}

/* Seconds since the epoch as a local time, "-" for none: the whole date and
 * the zone (show), or a short form for a table (list). */
static const char *fmt_time(json_t *v, bool full, char *buf, size_t len) {
        struct tm tm;
        time_t t;
        if (!json_is_integer(v))
                return "-";
        t = (time_t) json_integer_value(v);
        if (!localtime_r(&t, &tm) || strftime(buf, len, full ? "%Y-%m-%d %H:%M:%S %Z" : "%m-%d %H:%M:%S", &tm) == 0)
                return "?";
        return buf;
}

static int verb_list(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "all", no_argument, NULL, 'a' },
                { "all-users", no_argument, NULL, 'A' },
                { "user", required_argument, NULL, 'u' },
                { "state", required_argument, NULL, 's' },
                { "last", required_argument, NULL, 'n' },
                { "since", required_argument, NULL, 'S' },
                { "output", required_argument, NULL, 'o' },
                { "noheadings", no_argument, NULL, 'N' },
                {},
        };
        Opts o = { 0 };
        ListOpts l = { 0 };
        json_t *resp = NULL, *jobs, *j;
        size_t i;
        _cleanup_free_ char *table_error = NULL;
        CliTable *t = NULL;

        PARSE("Usage: corral list [--last N | --since TIME | --all] [--state STATE[,STATE...]]\n"
              "                   [--user USER | --all-users]\n"
              "\n"
              "List your jobs: those queued, held or running, newest first, then the 10 that ended last.\n"
              "  -n, --last N          the N that ended last (0: none)\n"
              "  -S, --since TIME      those that ended since TIME: a duration ago (2h, 1d), a\n"
              "                        local date and time (2026-11-22, '2026-11-22 09:13'),\n"
              "                        a time of today (09:13), today, yesterday, @SECONDS\n"
              "  -a, --all             every job, however long ago it ended\n"
              "  -s, --state STATES    only jobs in these states (RUNNING,QUEUED)\n"
              "  -u, --user USER       USER's jobs (admins)\n"
              "  -A, --all-users       every user's jobs (admins)\n"
              "  -o, --output COLUMNS  the columns to show, comma-separated (default\n"
              "                        " LIST_COLUMNS "; see corral history --help)\n"
              "      --noheadings      no header line\n",
              "aAu:s:n:S:o:", extra, list_opt, &l);
        _cleanup_strv_free_ char **states = l.states;
        if (optind != argc) {
                log_error("list takes no arguments, got '%s'", argv[optind]);
                return CLI_EXIT_USAGE;
        }
        if (l.all && (l.has_last || l.since_arg)) {
                log_error("--all lists every job: drop it to use --last or --since");
                return CLI_EXIT_USAGE;
        }
        if (l.all_users && l.user) {
                log_error("--user and --all-users exclude each other");
                return CLI_EXIT_USAGE;
        }
        json_t *req = json_pack("{s:s, s:b}", "op", "list", "all", l.all_users);
        if (!req)
                return log_oom(), CLI_EXIT_FAILURE;
        if (l.user)
                json_object_set_new(req, "user", json_string(l.user));
        if (!l.all && !l.has_last && !l.since_arg)
                l.last = LIST_LAST_DEFAULT, l.has_last = true;
        if (l.has_last)
                json_object_set_new(req, "last", json_integer((json_int_t) l.last));
        if (l.since_arg)
                json_object_set_new(req, "since", json_integer((json_int_t) (l.since / USEC_PER_SEC)));
        if (states) {
                json_t *a = json_array();
                for (char **st = states; *st; st++)
                        json_array_append_new(a, json_string(*st));
                json_object_set_new(req, "states", a);
        }
        if (call(&o, req, &resp) < 0)
                return CLI_EXIT_FAILURE;
        jobs = json_object_get(resp, "jobs");
        if (o.json) {
                json_object_del(resp, "ok");
                print_json(resp);
                json_decref(resp);
                return CLI_EXIT_OK;
        }
        t = cli_table_new(l.output ?: LIST_COLUMNS, l.noheadings, &table_error);
        if (!t) {
                json_decref(resp);
                if (!table_error)
                        return log_oom(), CLI_EXIT_FAILURE;
                log_error("%s", table_error);
                return CLI_EXIT_USAGE;
        }
        json_array_foreach(jobs, i, j) {
                if (cli_table_add_job(t, j) < 0) {
                        cli_table_free(t);
                        json_decref(resp);
                        return log_oom(), CLI_EXIT_FAILURE;
                }
        }
        if (cli_table_print(t, stdout) < 0) {
                json_decref(resp);
                return log_error_errno(-EIO, "cannot print the table: %m"), CLI_EXIT_FAILURE;
        }
        if (json_is_true(json_object_get(resp, "truncated"))) {
                fflush(stdout); /* the note after the table, also when both go to one file */
                long long total = (long long) json_integer_value(json_object_get(resp, "total"));
                size_t shown = json_array_size(jobs);
                if (l.all)
                        fprintf(stderr,
                                "corral: %zu of %lld jobs shown (no more fit one answer); the others with "
                                "--state, --since or --last\n",
                                shown, total);
                else if (l.since_arg)
                        fprintf(stderr,
                                "corral: %zu of %lld jobs shown (those not over, and those that ended since "
                                "%s); more with an earlier --since, or --all\n",
                                shown, total, l.since_arg);
                else
                        fprintf(stderr,
                                "corral: %zu of %lld jobs shown (those not over, and the %llu that ended "
                                "last); more with --last N, --since TIME or --all\n",
                                shown, total, (unsigned long long) l.last);
        }
        json_decref(resp);
        return CLI_EXIT_OK;
}

/* argv as one line a shell would read back: words with anything special in
 * single quotes. */
static char *join_argv(json_t *a) {
        char *buf = NULL;
        size_t len = 0, k;
        json_t *v;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        json_array_foreach(a, k, v) {
                const char *w = json_string_value(v) ?: "";
                if (k)
                        fputc(' ', f);
                if (*w &&
                    w[strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=/.,:@%")] == '\0')
                        fputs(w, f);
                else {
                        fputc('\'', f);
                        for (const char *p = w; *p; p++)
                                *p == '\'' ? fputs("'\\''", f) : fputc(*p, f);
                        fputc('\'', f);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A duration to show people: whole seconds from a second on, else whole
 * milliseconds (from a millisecond on). */
static const char *fmt_duration_rounded(char *buf, uint64_t usec) {
        uint64_t unit = usec >= USEC_PER_SEC ? USEC_PER_SEC : usec >= USEC_PER_MSEC ? USEC_PER_MSEC : 1;
        return format_duration(buf, (usec + unit / 2) / unit * unit);
}

/* A usage object as "memory_peak 872K, cpu_user 8ms": sizes and durations
 * by the suffix of their names (_bytes, _usec). */
static char *fmt_usage(json_t *u) {
        char *buf = NULL, b[FORMAT_BUF];
        size_t len = 0;
        const char *k;
        json_t *v;
        bool first = true;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        json_object_foreach(u, k, v) {
                size_t n = strlen(k);
                fprintf(f, "%s", first ? "" : ", ");
                first = false;
                if (json_is_integer(v) && json_integer_value(v) >= 0 && n > 6 && streq(k + n - 6, "_bytes"))
                        fprintf(f, "%.*s %s", (int) n - 6, k, format_size(b, (uint64_t) json_integer_value(v)));
                else if (json_is_integer(v) && json_integer_value(v) >= 0 && n > 5 && streq(k + n - 5, "_usec"))
                        fprintf(f, "%.*s %s", (int) n - 5, k,
                                fmt_duration_rounded(b, (uint64_t) json_integer_value(v)));
                else {
                        _cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                        fprintf(f, "%s %s", k, s ? s : "?");
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* corral-launch's result record in a line: where it ran, for how long, why it failed. */
static char *fmt_result(json_t *r) {
        char *buf = NULL, b[FORMAT_BUF];
        size_t len = 0;
        json_t *pid = json_object_get(r, "pid");
        json_t *el = json_object_get(json_object_get(r, "timings"), "elapsed_usec");
        const char *cg = json_string_value(json_object_get(r, "cgroup"));
        const char *step = json_string_value(json_object_get(r, "failed_step"));
        const char *msg = json_string_value(json_object_get(r, "message"));
        const char *sep = "";
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        if (json_is_integer(pid)) {
                fprintf(f, "pid %lld", (long long) json_integer_value(pid));
                sep = ", ";
        }
        if (cg) {
                fprintf(f, "%scgroup %s", sep, cg);
                sep = ", ";
        }
        if (json_is_integer(el) && json_integer_value(el) >= 0) {
                fprintf(f, "%sran %s", sep, fmt_duration_rounded(b, (uint64_t) json_integer_value(el)));
                sep = ", ";
        }
        if (step)
                fprintf(f, "%sfailed at step %s%s%s", *sep ? "; " : "", step, msg ? ": " : "", msg ?: "");
        else if (msg)
                fprintf(f, "%s%s", *sep ? "; " : "", msg);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* corral-epilogue's summary in a line: its message, or why it was skipped. */
static char *fmt_epilogue(json_t *e) {
        json_t *st = json_object_get(e, "exit");
        const char *msg = json_string_value(json_object_get(json_object_get(e, "summary"), "message"));
        const char *skipped = json_string_value(json_object_get(e, "skipped"));
        char *s = NULL;
        if (skipped)
                return asprintf(&s, "skipped: %s", skipped) < 0 ? NULL : s;
        if (!msg)
                return json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
        if (json_is_integer(st) && json_integer_value(st) != 0)
                return asprintf(&s, "status %lld: %s", (long long) json_integer_value(st), msg) < 0 ? NULL : s;
        return strdup(msg);
}

/* "0:15" as "0:15 (SIGTERM)": a job killed by a signal says which. */
static char *fmt_exit(const char *ex) {
        int code, sig;
        char *s = NULL;
        const char *name;
        if (sscanf(ex, "%d:%d", &code, &sig) == 2 && sig > 0 && (name = sigabbrev_np(sig)))
                return asprintf(&s, "%s (SIG%s)", ex, name) < 0 ? NULL : s;
        return strdup(ex);
}

/* One line per field of the job, in the API's order; the names are the
 * JSON's (argv is "command"), the values for people: local times, sizes and
 * durations, one-line summaries of the launcher's result and the epilogue's. */
static void print_job(json_t *j) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
                char tb[128];
                _cleanup_free_ char *s = NULL;
                const char *name = k, *val = NULL;
                if (streq(k, "submitted") || streq(k, "started") || streq(k, "ended"))
                        val = fmt_time(v, true, tb, sizeof tb);
                else if (json_is_null(v))
                        val = "-";
                else if (streq(k, "argv")) {
                        name = "command";
                        s = join_argv(v);
                } else if (streq(k, "env") && json_is_object(v)) {
                        json_t *a = json_array();
                        const char *ek;
                        json_t *ev;
                        json_object_foreach(v, ek, ev) {
                                char *kv = NULL;
                                if (asprintf(&kv, "%s=%s", ek, json_string_value(ev) ?: "") >= 0)
                                        json_array_append_new(a, json_string(kv));
                                free(kv);
                        }
                        s = json_array_size(a) ? join_argv(a) : strdup("-");
                        json_decref(a);
                } else if (streq(k, "usage") && json_is_object(v))
                        s = fmt_usage(v);
                else if (streq(k, "result") && json_is_object(v))
                        s = fmt_result(v);
                else if (streq(k, "epilogue") && json_is_object(v))
                        s = fmt_epilogue(v);
                else if (streq(k, "exit") && json_is_string(v))
                        s = fmt_exit(json_string_value(v));
                else if (json_is_boolean(v))
                        val = json_is_true(v) ? "yes" : "no";
                else if (json_is_string(v))
                        val = json_string_value(v);
                else
                        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%-16s %s\n", name, val ?: s ?: "?");
        }
}

static int verb_show(int argc, char *argv[]) {
        Opts o = { 0 };
        int64_t id;
        json_t *resp = NULL;
        PARSE("Usage: corral show [--json] ID\n"
              "\n"
              "Show one job: state, command, times (local), exit, usage, the launcher's result, the epilogue's.\n"
              "--json gives the fields as corrald sends them, times in seconds since the epoch.\n",
              NULL, NULL, NULL, NULL);
        if (job_arg(argc, argv, &id) < 0)
                return CLI_EXIT_USAGE;
        if (call(&o, json_pack("{s:s, s:I}", "op", "show", "job", (json_int_t) id), &resp) < 0)
                return CLI_EXIT_FAILURE;
        json_t *j = json_object_get(resp, "job");
        if (o.json)
                print_json(j);
        else
                print_job(j);
        json_decref(resp);
        return CLI_EXIT_OK;
}

/* ---- cancel, hold, release, drain, resume, policies, status ---- */

static int simple_job_op(int argc, char *argv[], const char *op, const char *usage, const char *done) {
        Opts o = { 0 };
        int64_t id;
        json_t *resp = NULL;
        PARSE(usage, NULL, NULL, NULL, NULL);
        if (job_arg(argc, argv, &id) < 0)
                return CLI_EXIT_USAGE;
        if (call(&o, json_pack("{s:s, s:I}", "op", op, "job", (json_int_t) id), &resp) < 0)
                return CLI_EXIT_FAILURE;
        if (o.json)
                print_json(resp);
        else
                printf("job %lld: %s\n", (long long) id, done);
        json_decref(resp);
        return CLI_EXIT_OK;
}

static int verb_cancel(int argc, char *argv[]) {
        return simple_job_op(argc, argv, "cancel",
                             "Usage: corral cancel ID\n\nCancel a job: a queued one is removed, a running one gets "
                             "SIGTERM and,\nafter the policy's grace, its cgroup is killed.\n",
                             "cancel requested");
}

static int verb_hold(int argc, char *argv[]) {
        return simple_job_op(argc, argv, "hold", "Usage: corral hold ID\n\nKeep a queued job from starting.\n", "held");
}

static int verb_release(int argc, char *argv[]) {
        return simple_job_op(argc, argv, "release", "Usage: corral release ID\n\nLet a held job run.\n", "released");
}

static int node_op(int argc, char *argv[], const char *op, const char *usage) {
        Opts o = { 0 };
        json_t *resp = NULL;
        PARSE(usage, NULL, NULL, NULL, NULL);
        if (optind != argc) {
                log_error("%s takes no arguments", op);
                return CLI_EXIT_USAGE;
        }
        if (call(&o, json_pack("{s:s}", "op", op), &resp) < 0)
                return CLI_EXIT_FAILURE;
        if (o.json)
                print_json(resp);
        else if (streq(op, "drain") || streq(op, "resume"))
                printf("node %s\n", json_is_true(json_object_get(resp, "drained"))
                                            ? "drained: no new jobs start, running jobs finish"
                                            : "resumed: jobs start again");
        else if (streq(op, "version"))
                printf("corrald %s: %lld running, %lld queued, %lld slots%s\n",
                       json_string_value(json_object_get(resp, "version")),
                       (long long) json_integer_value(json_object_get(resp, "running")),
                       (long long) json_integer_value(json_object_get(resp, "queued")),
                       (long long) json_integer_value(json_object_get(resp, "slots")),
                       json_is_true(json_object_get(resp, "drained")) ? ", drained" : "");
        else {
                size_t i;
                json_t *p;
                json_array_foreach(json_object_get(resp, "policies"), i, p) {
                        printf("%-16s %s%s\n", json_string_value(json_object_get(p, "name")),
                               json_is_true(json_object_get(p, "valid"))
                                       ? json_string_value(json_object_get(p, "description"))
                                       : "INVALID",
                               json_is_true(json_object_get(p, "default")) ? " (default)" : "");
                }
        }
        json_decref(resp);
        return CLI_EXIT_OK;
}

static int verb_drain(int argc, char *argv[]) {
        return node_op(argc, argv, "drain", "Usage: corral drain\n\nAdmins: start no new jobs; running jobs finish.\n");
}

static int verb_resume(int argc, char *argv[]) {
        return node_op(argc, argv, "resume", "Usage: corral resume\n\nAdmins: start jobs again after a drain.\n");
}

static int verb_policies(int argc, char *argv[]) {
        return node_op(argc, argv, "policies",
                       "Usage: corral policies\n\nList the policies corrald offers, and which is the default.\n");
}

static int verb_status(int argc, char *argv[]) {
        return node_op(argc, argv, "version",
                       "Usage: corral status\n\nThe daemon's version, running and queued jobs, slots, drain state.\n");
}

/* ---- logs ---- */

typedef struct LogsOpts {
        bool follow, err;
} LogsOpts;

static int logs_opt(int c, void *u) {
        LogsOpts *l = u;
        if (c == 'f')
                l->follow = true;
        else if (c == 'e')
                l->err = true;
        else
                return -EINVAL;
        return 0;
}

static int verb_logs(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "follow", no_argument, NULL, 'f' },
                { "stderr", no_argument, NULL, 'e' },
                {},
        };
        Opts o = { 0 };
        LogsOpts l = { 0 };
        int64_t id;
        uint64_t offset = 0;

        PARSE("Usage: corral logs [-f] [--stderr] ID\n\nPrint a job's stdout (or stderr); -f follows it until the "
              "job ends.\n",
              "fe", extra, logs_opt, &l);
        if (job_arg(argc, argv, &id) < 0)
                return CLI_EXIT_USAGE;
        signal(SIGPIPE, SIG_DFL);
        for (;;) {
                _cleanup_close_ int fd = connect_daemon(&o);
                if (fd < 0)
                        return CLI_EXIT_FAILURE;
                if (send_request(fd, json_pack("{s:s, s:I, s:s, s:b, s:I}", "op", "logs", "job", (json_int_t) id,
                                               "stream", l.err ? "stderr" : "stdout", "follow", l.follow, "offset",
                                               (json_int_t) offset)) < 0)
                        return CLI_EXIT_FAILURE;
                /* header, [data], header, [data], ... until eof or (not following) an empty chunk */
                for (;;) {
                        json_t *h = NULL;
                        if (recv_json(fd, &h) < 0)
                                return CLI_EXIT_FAILURE;
                        if (!json_is_true(json_object_get(h, "ok"))) {
                                log_error("%s", json_string_value(json_object_get(h, "error")) ?: "refused");
                                json_decref(h);
                                return CLI_EXIT_FAILURE;
                        }
                        json_int_t bytes = json_integer_value(json_object_get(h, "bytes"));
                        bool eof = json_is_true(json_object_get(h, "eof"));
                        json_decref(h);
                        if (bytes > 0) {
                                _cleanup_free_ char *data = NULL;
                                size_t n;
                                if (recv_raw(fd, &data, &n) < 0)
                                        return CLI_EXIT_FAILURE;
                                if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0)
                                        return CLI_EXIT_FAILURE; /* stdout closed: stop following */
                                offset += n;
                        }
                        if (eof || (!l.follow && bytes == 0))
                                return CLI_EXIT_OK;
                        if (!l.follow)
                                break; /* one chunk per request: ask for the next */
                }
        }
}

static const CliVerb job_verbs[] = {
        { "submit", verb_submit, NULL },     { "list", verb_list, NULL },     { "show", verb_show, NULL },
        { "cancel", verb_cancel, NULL },     { "logs", verb_logs, NULL },     { "hold", verb_hold, NULL },
        { "release", verb_release, NULL },   { "drain", verb_drain, NULL },   { "resume", verb_resume, NULL },
        { "policies", verb_policies, NULL }, { "status", verb_status, NULL },
};

int cli_call(const Opts *o, json_t *req, json_t **ret) {
        return call(o, req, ret);
}

int cli_connect(const Opts *o) {
        return connect_daemon(o);
}

int cli_call_on(int fd, json_t *req, json_t **ret) {
        json_t *resp;
        int r = send_request(fd, req);
        if (r < 0)
                return r;
        r = recv_json(fd, &resp);
        if (r < 0)
                return r;
        if (!json_is_true(json_object_get(resp, "ok"))) {
                log_error("%s", json_string_value(json_object_get(resp, "error")) ?: "request refused");
                json_decref(resp);
                return -EPERM;
        }
        *ret = resp;
        return 0;
}

int cli_parse(int argc, char *argv[], Opts *o, const char *usage, const char *extra_short, const struct option *extra,
              int (*on_opt)(int c, void *u), void *u) {
        return parse_common(argc, argv, o, usage, extra_short, extra, on_opt, u);
}

void cli_print_json(json_t *o) {
        print_json(o);
}

int verb_jobs(int argc, char *argv[]) {
        for (size_t i = 0; i < ELEMENTSOF(job_verbs); i++)
                if (streq(argv[0], job_verbs[i].name))
                        return job_verbs[i].run(argc, argv);
        return CLI_EXIT_USAGE;
}
