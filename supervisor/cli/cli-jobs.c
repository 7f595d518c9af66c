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

typedef struct Opts {
        const char *socket, *config;
        bool json;
} Opts;

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
        snprintf(shorts, sizeof shorts, "+h%s", extra_short ? extra_short : "");
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
              "  -W, --wait            wait for the job and exit with its status\n",
              "p:w:C:o:e:E:WH", extra, submit_opt, &s);
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

typedef struct ListOpts {
        bool all;
        const char *user;
        char **states;
} ListOpts;

static int list_opt(int c, void *u) {
        ListOpts *l = u;
        switch (c) {
        case 'a':
                l->all = true;
                return 0;
        case 'u':
                l->user = optarg;
                return 0;
        case 's': {
                char **parts = NULL;
                if (parse_list(optarg, &parts) < 0)
                        return -EINVAL;
                for (char **p = parts; *p; p++) {
                        for (char *q = *p; *q; q++)
                                *q = (char) toupper((unsigned char) *q);
                        if (job_state_from_string(*p) == _JOB_STATE_INVALID) {
                                log_error("unknown state '%s'", *p);
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

static const char *fmt_time(json_t *v, char *buf, size_t len) {
        if (!json_is_integer(v))
                return "-";
        time_t t = (time_t) json_integer_value(v);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, len, "%m-%d %H:%M:%S", &tm);
        return buf;
}

static int verb_list(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "all", no_argument, NULL, 'a' },
                { "user", required_argument, NULL, 'u' },
                { "state", required_argument, NULL, 's' },
                {},
        };
        Opts o = { 0 };
        ListOpts l = { 0 };
        json_t *resp = NULL, *jobs, *j;
        size_t i;

        PARSE("Usage: corral list [--all] [--user USER] [--state STATE[,STATE...]]\n"
              "\n"
              "List your jobs (admins: --all for every user's, --user for one user's).\n",
              "au:s:", extra, list_opt, &l);
        _cleanup_strv_free_ char **states = l.states;
        json_t *req = json_pack("{s:s, s:b}", "op", "list", "all", l.all);
        if (l.user)
                json_object_set_new(req, "user", json_string(l.user));
        if (states) {
                json_t *a = json_array();
                for (char **s = states; *s; s++)
                        json_array_append_new(a, json_string(*s));
                json_object_set_new(req, "states", a);
        }
        if (call(&o, req, &resp) < 0)
                return CLI_EXIT_FAILURE;
        jobs = json_object_get(resp, "jobs");
        if (o.json) {
                print_json(jobs);
                json_decref(resp);
                return CLI_EXIT_OK;
        }
        printf("%-7s %-12s %-13s %-9s %-14s %-7s %s\n", "ID", "USER", "STATE", "POLICY", "SUBMITTED", "EXIT",
               "COMMAND");
        json_array_foreach(jobs, i, j) {
                char tb[64], cmd[80] = "";
                size_t off = 0;
                size_t k;
                json_t *a;
                json_array_foreach(json_object_get(j, "argv"), k, a) {
                        if (off < sizeof cmd)
                                off += (size_t) snprintf(cmd + off, sizeof cmd - off, "%s%s", k ? " " : "",
                                                         json_string_value(a));
                }
                printf("%-7lld %-12s %-13s %-9s %-14s %-7s %s\n",
                       (long long) json_integer_value(json_object_get(j, "id")),
                       json_string_value(json_object_get(j, "user")), json_string_value(json_object_get(j, "state")),
                       json_string_value(json_object_get(j, "policy")),
                       fmt_time(json_object_get(j, "submitted"), tb, sizeof tb),
                       json_string_value(json_object_get(j, "exit")) ?: "-", cmd);
        }
        if (json_is_true(json_object_get(resp, "truncated")))
                fprintf(stderr, "corral: showing %zu of %lld jobs; narrow with --state or --user\n",
                        json_array_size(jobs), (long long) json_integer_value(json_object_get(resp, "total")));
        json_decref(resp);
        return CLI_EXIT_OK;
}

static int verb_show(int argc, char *argv[]) {
        Opts o = { 0 };
        int64_t id;
        json_t *resp = NULL;
        PARSE("Usage: corral show [--json] ID\n\nShow one job: state, command, times, exit, usage, epilogue.\n", NULL,
              NULL, NULL, NULL);
        if (job_arg(argc, argv, &id) < 0)
                return CLI_EXIT_USAGE;
        if (call(&o, json_pack("{s:s, s:I}", "op", "show", "job", (json_int_t) id), &resp) < 0)
                return CLI_EXIT_FAILURE;
        json_t *j = json_object_get(resp, "job");
        if (o.json)
                print_json(j);
        else {
                const char *k;
                json_t *v;
                json_object_foreach(j, k, v) {
                        _cleanup_free_ char *s = json_is_string(v) ? strdup(json_string_value(v))
                                                                   : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                        printf("%-16s %s\n", k, s ? s : "?");
                }
        }
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

int verb_jobs(int argc, char *argv[]) {
        for (size_t i = 0; i < ELEMENTSOF(job_verbs); i++)
                if (streq(argv[0], job_verbs[i].name))
                        return job_verbs[i].run(argc, argv);
        return CLI_EXIT_USAGE;
}
