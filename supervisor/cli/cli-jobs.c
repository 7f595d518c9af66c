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
#include "depend.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "nodeconf.h"
#include "parse.h"
#include "protocol.h"
#include "resources.h"
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

/* One request, one answer on fd; prints the error of a refused request. */
/* The same on a connection of its own. */
static int call(const Opts *o, json_t *req, json_t **ret) {
        _cleanup_close_ int fd = connect_daemon(o);
        if (fd < 0) {
                json_decref(req);
                return fd;
        }
        return cli_call_on(fd, req, ret);
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

/* ---- waiting: submit --wait/--pipe, wait ---- */

enum { OPT_CANCEL_ON_INTERRUPT = 0x340 };

typedef struct WaitOpts {
        bool pipe, cancel_on_interrupt;
} WaitOpts;

static int wait_opt(int c, WaitOpts *w) {
        if (c == 'P')
                w->pipe = true;
        else if (c == OPT_CANCEL_ON_INTERRUPT)
                w->cancel_on_interrupt = true;
        else
                return -EINVAL;
        return 0;
}

static int cancel_for_wait(void *userdata, int64_t id) {
        json_t *resp = NULL;
        int r = call(userdata, json_pack("{s:s, s:I}", "op", "cancel", "job", (json_int_t) id), &resp);
        json_decref(resp);
        return r;
}

/* one connection, the daemon pushes (cli-wait.c) */
static int wait_job(const Opts *o, const WaitOpts *wo, int64_t id) {
        _cleanup_close_ int fd = connect_daemon(o);
        if (fd < 0)
                return CLI_EXIT_FAILURE;
        CliWait w = { .job = id,
                      .pipe = wo->pipe,
                      .json = o->json,
                      .cancel_on_interrupt = wo->cancel_on_interrupt,
                      .cancel = cancel_for_wait,
                      .userdata = (void *) o };
        return cli_wait(fd, &w);
}

static int wait_verb_opt(int c, void *u) {
        return wait_opt(c, u);
}

static int verb_wait(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "pipe", no_argument, NULL, 'P' },
                { "cancel-on-interrupt", no_argument, NULL, OPT_CANCEL_ON_INTERRUPT },
                {},
        };
        Opts o = { 0 };
        WaitOpts w = { 0 };
        int64_t id;

        PARSE("Usage: corral wait [--pipe] [--cancel-on-interrupt] ID\n"
              "\n"
              "Wait for a job to end (at once if it has) and exit with its status.\n"
              "  -P, --pipe                 show its stdout and stderr (all of it, then as it writes)\n"
              "      --cancel-on-interrupt  ^C cancels the job (else, on a terminal, ^C asks)\n",
              "P", extra, wait_verb_opt, &w);
        if (job_arg(argc, argv, &id) < 0)
                return CLI_EXIT_USAGE;
        return wait_job(&o, &w, id);
}

/* ---- submit ---- */

/* --mem, --cpus, --tasks, --time, as Slurm's sbatch takes them
 * (resources.h); sent as whole numbers. */
typedef struct SubmitRes {
        uint64_t mem, cpus, tasks, time; /* bytes, CPUs per task, tasks, usec; 0: not given */
} SubmitRes;

enum { OPT_MEM = 0x300 };

static int submit_res_opt(int c, SubmitRes *r) {
        switch (c) {
        case OPT_MEM:
                if (res_parse_mem(optarg, &r->mem) < 0) {
                        log_error("--mem expects a size such as 500M, 4G or 512 (megabytes, as Slurm's), got '%s'",
                                  optarg);
                        return -EINVAL;
                }
                return 0;
        case 'c':
                if (parse_uint64(optarg, 1, RES_MAX_CPUS, &r->cpus) < 0) {
                        log_error("--cpus expects a whole number of CPUs per task from 1 to %d, got '%s'", RES_MAX_CPUS,
                                  optarg);
                        return -EINVAL;
                }
                return 0;
        case 'n':
                if (parse_uint64(optarg, 1, RES_MAX_TASKS, &r->tasks) < 0) {
                        log_error("--tasks expects a number of tasks from 1 to %d, got '%s'", RES_MAX_TASKS, optarg);
                        return -EINVAL;
                }
                return 0;
        case 't':
                if (res_parse_time(optarg, &r->time) < 0) {
                        log_error("--time expects minutes (90), MM:SS, HH:MM:SS, D-HH, D-HH:MM:SS or a duration "
                                  "with a unit (30m, 2h, 1d), got '%s'",
                                  optarg);
                        return -EINVAL;
                }
                return 0;
        }
        return -EINVAL;
}

static void submit_res_json(const SubmitRes *r, json_t *req) {
        if (r->mem)
                json_object_set_new(req, "mem", json_integer((json_int_t) r->mem));
        if (r->cpus)
                json_object_set_new(req, "cpus", json_integer((json_int_t) r->cpus));
        if (r->tasks)
                json_object_set_new(req, "tasks", json_integer((json_int_t) r->tasks));
        /* whole seconds, rounded up: the API's integer walltime */
        if (r->time)
                json_object_set_new(req, "walltime",
                                    json_integer((json_int_t) ((r->time + USEC_PER_SEC - 1) / USEC_PER_SEC)));
}

typedef struct SubmitOpts {
        const char *policy, *walltime, *cwd, *out, *err;
        char **env;
        bool wait, hold;
        /* environment and output (issue 13, items 1 and 3) */
        const char *export_arg, *name;
        const char *array; /* --array SPEC */
        SubmitRes res;
        WaitOpts w;
        /* dependencies and --begin (item 7) */
        DepList deps;
        const char *begin;
} SubmitOpts;

enum { OPT_EXPORT = 0x310, OPT_AFTER, OPT_AFTEROK, OPT_AFTERANY, OPT_BEGIN };

/* The job's environment: the submitter's (--export=ALL, the default), only
 * the variables --export=NAME,... names, or none (--export=NONE); then the
 * NAME=VALUE items of --export and -E, which win and are "explicit" (a
 * variable the policy denies is then an error, not a note). Variables whose
 * name a job cannot have (bash's exported functions, BASH_FUNC_f%%) are not
 * exported, nor USER, LOGNAME, HOME and SHELL, which corral-launch sets from
 * the password entry (unless named or set), nor CORRAL_JOB_ID,
 * CORRAL_POLICY and CORRAL_ARRAY_* (a submission from inside a job: corral-launch sets the new
 * job's, and they win even when set). Never cut short: too much is an error
 * naming the fix. */
static int submit_env(const SubmitOpts *s, json_t **ret_env, json_t **ret_explicit) {
        _cleanup_strv_free_ char **items = NULL, **names = NULL, **sets = NULL;
        json_t *env = json_object(), *explicit = json_array();
        bool all = true;
        size_t bytes = 0;
        const char *k;
        json_t *v;

        if (!env || !explicit)
                goto oom;
        if (s->export_arg) {
                all = false;
                if (parse_list(s->export_arg, &items) < 0 || !items[0]) {
                        log_error("--export expects ALL, NONE or a comma-separated list of NAME and NAME=VALUE, "
                                  "got '%s'",
                                  s->export_arg);
                        goto fail;
                }
                for (char **i = items; *i; i++) {
                        char *eq = strchr(*i, '=');
                        if (streq(*i, "ALL"))
                                all = true;
                        else if (streq(*i, "NONE")) {
                                if (strv_length(items) > 1) {
                                        log_error("--export=NONE stands alone (NONE: only what corral sets, and "
                                                  "-E); got '%s'",
                                                  s->export_arg);
                                        goto fail;
                                }
                        } else if (eq ? strv_extend(&sets, *i) < 0 : strv_extend(&names, *i) < 0)
                                goto oom;
                }
        }
        if (all) {
                for (char **e = environ; e && *e; e++) {
                        size_t n = strcspn(*e, "=");
                        char name[300];
                        if (!(*e)[n] || n >= sizeof name)
                                continue;
                        snprintf(name, sizeof name, "%.*s", (int) n, *e);
                        /* who the job runs as comes from the password entry
                         * (corral-launch), not from a shell of su or sudo */
                        if (streq(name, "USER") || streq(name, "LOGNAME") || streq(name, "HOME") ||
                            streq(name, "SHELL"))
                                continue;
                        /* corral's own (the job's id and policy), never another job's */
                        if (streq(name, "CORRAL_JOB_ID") || streq(name, "CORRAL_POLICY") ||
                            strncmp(name, "CORRAL_ARRAY_", 13) == 0)
                                continue;
                        if (api_env_name_valid(name) && json_object_set_new(env, name, json_string(*e + n + 1)) < 0)
                                goto oom;
                }
        }
        for (char **n = names; n && *n; n++) {
                const char *val = getenv(*n);
                if (!api_env_name_valid(*n)) {
                        log_error("--export: invalid variable name '%s'", *n);
                        goto fail;
                }
                if (val && json_object_set_new(env, *n, json_string(val)) < 0)
                        goto oom;
        }
        /* --export's NAME=VALUE, then -E: explicit, they win */
        for (int pass = 0; pass < 2; pass++)
                for (char **e = pass ? s->env : sets; e && *e; e++) {
                        char *eq = strchr(*e, '=');
                        *eq = '\0';
                        bool valid = api_env_name_valid(*e);
                        int r = valid ? json_object_set_new(env, *e, json_string(eq + 1)) : 0;
                        if (valid && r >= 0)
                                r = json_array_append_new(explicit, json_string(*e));
                        *eq = '=';
                        if (!valid) {
                                log_error("%s: invalid variable name in '%s' (NAME is [A-Za-z_][A-Za-z0-9_]*)",
                                          pass ? "--env" : "--export", *e);
                                goto fail;
                        }
                        if (r < 0)
                                goto oom;
                }
        json_object_foreach(env, k, v) {
                size_t l = json_string_length(v);
                if (l > API_MAX_ARG) {
                        log_error("the environment variable %s is %zu bytes long, more than a job may carry (%d): "
                                  "unset it, or leave it out with --export=NAME,... or --export=NONE",
                                  k, l, API_MAX_ARG);
                        goto fail;
                }
                bytes += strlen(k) + 1 + l;
        }
        if (json_object_size(env) > API_MAX_ENV || bytes > API_MAX_ENV_BYTES) {
                log_error("the job's environment has %zu variables of %zu bytes in all, more than a job may carry "
                          "(%d variables, %zu bytes): export fewer with --export=NAME,... or --export=NONE",
                          json_object_size(env), bytes, API_MAX_ENV, API_MAX_ENV_BYTES);
                goto fail;
        }
        *ret_env = env;
        *ret_explicit = explicit;
        return 0;
oom:
        log_oom();
fail:
        json_decref(env);
        json_decref(explicit);
        return -EINVAL;
}

/* -o/-e: relative to the job's working directory; "." and ".." are resolved
 * by name (the patterns, %j and the others, stay for corrald). */
static int submit_output_path(const char *cwd, const char *arg, const char *opt, char **ret) {
        _cleanup_free_ char *joined = NULL, *out = NULL;
        size_t len = 0;
        if (!*arg) {
                log_error("%s expects a file name, got an empty one", opt);
                return -EINVAL;
        }
        if (asprintf(&joined, "%s/%s", arg[0] == '/' ? "" : cwd, arg) < 0)
                return log_oom();
        out = malloc(strlen(joined) + 2);
        if (!out)
                return log_oom();
        for (char *p = joined; *p;) {
                size_t l;
                while (*p == '/')
                        p++;
                l = strcspn(p, "/");
                if (l == 0 || (l == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (l == 2 && p[0] == '.' && p[1] == '.') {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--;
                } else {
                        out[len++] = '/';
                        memcpy(out + len, p, l);
                        len += l;
                }
                p += l;
        }
        if (len == 0 || arg[strlen(arg) - 1] == '/') {
                log_error("%s %s names a directory, not a file", opt, arg);
                return -EINVAL;
        }
        out[len] = '\0';
        if (strlen(out) > 4095) {
                log_error("%s %s: the path is too long", opt, arg);
                return -EINVAL;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int submit_opt(int c, void *u) {
        SubmitOpts *s = u;
        switch (c) {
        case OPT_MEM:
        case 'c':
        case 'n':
        case 't':
                return submit_res_opt(c, &s->res);
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
        case 'J':
                if (!api_job_name_valid(optarg)) {
                        log_error("invalid job name '%s': 1 to %d characters, no '/' or control characters, not "
                                  "'.' or '..'",
                                  optarg, API_MAX_JOB_NAME);
                        return -EINVAL;
                }
                s->name = optarg;
                return 0;
        case OPT_EXPORT:
                s->export_arg = optarg;
                return 0;
        case 'a':
                s->array = optarg;
                return 0;
        case OPT_AFTER:
        case OPT_AFTEROK:
        case OPT_AFTERANY:
        case 'd': {
                const char *bad = NULL;
                int r = c == 'd' ? dep_parse(optarg, &s->deps, &bad)
                                 : dep_parse_ids(c == OPT_AFTER     ? DEP_AFTER
                                                 : c == OPT_AFTEROK ? DEP_AFTEROK
                                                                    : DEP_AFTERANY,
                                                 optarg, &s->deps, &bad);
                if (r == -E2BIG)
                        log_error("a job may have at most %d dependencies", DEP_MAX);
                else if (r < 0 && c == 'd')
                        log_error("--dependency expects TYPE:ID[:ID...][,TYPE:ID...] with TYPE after, afterok or "
                                  "afterany; cannot parse '%s'",
                                  bad ? bad : optarg);
                else if (r < 0)
                        log_error("--%s expects job ids separated by ':' (3:4:5), got '%s'",
                                  c == OPT_AFTER     ? "after"
                                  : c == OPT_AFTEROK ? "afterok"
                                                     : "afterany",
                                  optarg);
                return r < 0 ? -EINVAL : 0;
        }
        case OPT_BEGIN:
                s->begin = optarg;
                return 0;
        }
        return wait_opt(c, &s->w);
}

static int verb_submit(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "policy", required_argument, NULL, 'p' },
                { "walltime", required_argument, NULL, 'w' },
                { "cwd", required_argument, NULL, 'C' },
                { "output", required_argument, NULL, 'o' },
                { "error", required_argument, NULL, 'e' },
                { "stdout", required_argument, NULL, 'o' },
                { "stderr", required_argument, NULL, 'e' },
                { "env", required_argument, NULL, 'E' },
                { "export", required_argument, NULL, OPT_EXPORT },
                { "name", required_argument, NULL, 'J' },
                { "wait", no_argument, NULL, 'W' },
                { "pipe", no_argument, NULL, 'P' },
                { "cancel-on-interrupt", no_argument, NULL, OPT_CANCEL_ON_INTERRUPT },
                { "hold", no_argument, NULL, 'H' },
                { "mem", required_argument, NULL, OPT_MEM },
                { "cpus", required_argument, NULL, 'c' },
                { "cpus-per-task", required_argument, NULL, 'c' },
                { "tasks", required_argument, NULL, 'n' },
                { "ntasks", required_argument, NULL, 'n' },
                { "time", required_argument, NULL, 't' },
                { "array", required_argument, NULL, 'a' },
                { "after", required_argument, NULL, OPT_AFTER },
                { "afterok", required_argument, NULL, OPT_AFTEROK },
                { "afterany", required_argument, NULL, OPT_AFTERANY },
                { "dependency", required_argument, NULL, 'd' },
                { "begin", required_argument, NULL, OPT_BEGIN },
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
              "  -w, --walltime DUR    run time limit, at most the policy's (30m, 2h, 1d; a bare\n"
              "                        number is seconds)\n"
              "  -t, --time TIME       the same as Slurm writes it: minutes (90), MM:SS, HH:MM:SS,\n"
              "                        D-HH, D-HH:MM, D-HH:MM:SS, or 30m, 2h, 1d\n"
              "      --mem SIZE        memory of the job, at most the policy's max_mem (500M, 4G;\n"
              "                        a bare number is megabytes)\n"
              "  -c, --cpus N          CPUs per task (default: the policy's cpus)\n"
              "  -n, --tasks N         task slots; the job gets --cpus x --tasks CPUs\n"
              "  -C, --cwd DIR         working directory (default: the current one)\n"
              "  -J, --name NAME       the job's name (list, show, %x)\n"
              "      --export=WHAT     the environment the job gets: ALL (the default: yours),\n"
              "                        NONE (only what corral sets, and -E), or NAME,... (those)\n"
              "  -E, --env NAME=VALUE  set a variable in the job's environment (repeatable)\n"
              "  -o, --output FILE     the job's stdout in FILE (default: corral logs ID)\n"
              "  -e, --error FILE      its stderr in FILE; relative to the working directory,\n"
              "                        %j the job id, %x its name, %u your user name, %% a %\n"
              "                        (with --array: %A the array's id, %a the task id)\n"
              "  -a, --array SPEC      a job array: one job per task id of SPEC, as sbatch's\n"
              "                        (1-100, 0-15:4, 1,3,5-7; %N after it: at most N at once);\n"
              "                        prints the array's id (corral cancel ID cancels them all)\n"
              "      --hold            queue it held (corral release ID lets it run)\n"
              "      --after ID[:ID]   start once these jobs have started (or ended)\n"
              "      --afterok ID[:ID] start once they all ended COMPLETED; if one ends otherwise,\n"
              "                        this job is cancelled, naming it\n"
              "      --afterany ID[:ID]  start once they all ended, in any state\n"
              "  -d, --dependency TYPE:ID[:ID][,TYPE:ID...]  the same as sbatch writes it\n"
              "      --begin TIME      start no earlier than TIME: now+30s, now+5min, +90 (seconds),\n"
              "                        HH:MM[:SS] (the next time the clock shows it), or\n"
              "                        YYYY-MM-DD[THH:MM[:SS]] (local time)\n"
              "  -W, --wait            wait for the job and exit with its status\n"
              "  -P, --pipe            --wait, showing its stdout and stderr as it writes them\n"
              "      --cancel-on-interrupt  with --wait or --pipe: ^C cancels the job (else, on a\n"
              "                        terminal, ^C asks; otherwise the job goes on)\n"
              "Options end at CMD: what follows it is the job's own arguments, options too.\n",
              "+p:w:C:o:e:E:WPHJ:c:n:t:d:a:", extra, submit_opt, &s);
        _cleanup_strv_free_ char **env = s.env;
        s.wait = s.wait || s.w.pipe;
        if (s.w.cancel_on_interrupt && !s.wait) {
                log_error("submit: --cancel-on-interrupt needs --wait or --pipe");
                return CLI_EXIT_USAGE;
        }
        if (optind >= argc) {
                log_error("submit: no command given (corral submit -- CMD ...)");
                return CLI_EXIT_USAGE;
        }
        if (s.array && s.wait) {
                log_error("submit: --wait and --pipe follow one job, not an --array: corral wait ID for one of "
                          "its jobs");
                return CLI_EXIT_USAGE;
        }
        if (!s.cwd) {
                if (!getcwd(cwd, sizeof cwd)) {
                        log_error_errno(negative_errno(), "cannot get the current directory: %m");
                        return CLI_EXIT_FAILURE;
                }
                s.cwd = cwd;
        }
        json_t *jexplicit = NULL;
        if (submit_env(&s, &jenv, &jexplicit) < 0)
                return CLI_EXIT_USAGE;
        jargv = json_array();
        for (int i = optind; i < argc; i++)
                json_array_append_new(jargv, json_string(argv[i]));
        req = json_pack("{s:s, s:o, s:o, s:s, s:b}", "op", "submit", "argv", jargv, "env", jenv, "cwd", s.cwd, "hold",
                        s.hold);
        if (!req) {
                json_decref(jexplicit);
                return log_oom(), CLI_EXIT_FAILURE;
        }
        json_object_set_new(req, "env_explicit", jexplicit);
        if (s.name)
                json_object_set_new(req, "name", json_string(s.name));
        if (s.policy)
                json_object_set_new(req, "policy", json_string(s.policy));
        if (s.walltime && s.res.time) {
                json_decref(req);
                log_error("--time and --walltime are the same limit: give one of them");
                return CLI_EXIT_USAGE;
        }
        if (s.walltime)
                json_object_set_new(req, "walltime", json_string(s.walltime));
        for (int e = 0; e < 2; e++) {
                _cleanup_free_ char *path = NULL;
                const char *arg = e ? s.err : s.out;
                if (!arg)
                        continue;
                if (submit_output_path(s.cwd, arg, e ? "--error" : "--output", &path) < 0) {
                        json_decref(req);
                        return CLI_EXIT_USAGE;
                }
                json_object_set_new(req, e ? "stderr" : "stdout", json_string(path));
        }
        submit_res_json(&s.res, req);
        if (s.array)
                json_object_set_new(req, "array", json_string(s.array));
        if (s.deps.n > 0) {
                _cleanup_free_ char *deps = NULL;
                if (dep_format(&s.deps, &deps) < 0) {
                        json_decref(req);
                        return log_oom(), CLI_EXIT_FAILURE;
                }
                json_object_set_new(req, "depends", json_string(deps));
        }
        if (s.begin) {
                time_t t;
                r = begin_parse(s.begin, time(NULL), &t);
                if (r < 0) {
                        json_decref(req);
                        log_error("--begin expects now+DURATION (now+30s, now+5min, now+2h), +SECONDS, HH:MM[:SS] "
                                  "or YYYY-MM-DD[THH:MM[:SS]] (local time); got '%s'",
                                  s.begin);
                        return CLI_EXIT_USAGE;
                }
                json_object_set_new(req, "begin", json_integer(t < 0 ? 0 : (json_int_t) t));
        }
        r = call(&o, req, &resp);
        if (r < 0)
                return CLI_EXIT_FAILURE;
        json_t *dropped = json_object_get(resp, "env_dropped");
        if (json_array_size(dropped) > 0) {
                size_t i;
                json_t *d;
                fprintf(stderr, "corral: warning: the policy's [job] env_deny keeps");
                json_array_foreach(dropped, i, d) fprintf(stderr, "%s %s", i ? "," : "", json_string_value(d));
                fprintf(stderr, " from the job's environment (not exported)\n");
        }
        int64_t id = json_integer_value(json_object_get(resp, "job"));
        json_t *ids = json_object_get(resp, "jobs");
        const char *state = json_string_value(json_object_get(resp, "state"));
        if (state && streq(state, "CANCELLED"))
                fprintf(stderr,
                        "corral: warning: job %lld was cancelled at once: a dependency can never be met "
                        "(corral show %lld)\n",
                        (long long) id, (long long) id);
        if (s.array && !o.json) {
                /* the array's id on stdout, as the id of one job: what
                 * cancel takes; the rest for people */
                long long aid = (long long) json_integer_value(json_object_get(resp, "array_job_id"));
                printf("%lld\n", aid);
                fprintf(stderr, "corral: array job %lld: %zu tasks, jobs %lld to %lld (listed as %lld_TASK)\n", aid,
                        json_array_size(ids), (long long) json_integer_value(json_array_get(ids, 0)),
                        (long long) json_integer_value(json_array_get(ids, json_array_size(ids) - 1)), aid);
                json_decref(resp);
                return CLI_EXIT_OK;
        }
        if (o.json && !s.wait)
                print_json(resp);
        else if (!s.wait)
                printf("%lld\n", (long long) id);
        json_decref(resp);
        if (!s.wait)
                return CLI_EXIT_OK;
        if (!o.json)
                fprintf(stderr, "corral: job %lld submitted, waiting\n", (long long) id);
        return wait_job(&o, &s.w, id);
}

/* ---- list, show ---- */

#define LIST_LAST_DEFAULT 10
_Static_assert(LIST_LAST_DEFAULT == 10, "list's usage text and corral(1) say 10");

#define LIST_COLUMNS "id,user,state,policy,name,array,submitted,exit,pending,command"

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
        case 's':
                return cli_parse_states(optarg, NULL,
                                        "a state (QUEUED or PENDING, HELD, STARTING, RUNNING, COMPLETED, FAILED, "
                                        "CANCELLED, TIMEOUT, OUT_OF_MEMORY, LOST)",
                                        &l->states);
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
        if (states)
                json_object_set_new(req, "states", cli_strv_json(states));
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

/* "afterok:3 (COMPLETED, met), afterany:5 (RUNNING, waiting)" */
static char *fmt_dependencies(json_t *a) {
        char *buf = NULL;
        size_t len = 0, i;
        json_t *d;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        json_array_foreach(a, i, d) {
                const char *st = json_string_value(json_object_get(d, "state"));
                fprintf(f, "%s%s:%lld (%s, %s)", i ? ", " : "", json_string_value(json_object_get(d, "type")) ?: "?",
                        (long long) json_integer_value(json_object_get(d, "job")), st ? st : "gone",
                        json_string_value(json_object_get(d, "status")) ?: "?");
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
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
                if ((streq(k, "submitted") || streq(k, "started") || streq(k, "ended") || streq(k, "begin")) &&
                    !json_is_null(v))
                        val = fmt_time(v, true, tb, sizeof tb);
                else if (streq(k, "dependencies") && json_is_array(v))
                        s = fmt_dependencies(v);
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
                else if (streq(k, "mem") && json_is_integer(v))
                        val = format_size(tb, (uint64_t) json_integer_value(v));
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
        else if (json_is_integer(json_object_get(resp, "cancelled")))
                printf("array %lld: cancel requested for %lld jobs\n", (long long) id,
                       (long long) json_integer_value(json_object_get(resp, "cancelled")));
        else
                printf("job %lld: %s\n", (long long) id, done);
        json_decref(resp);
        return CLI_EXIT_OK;
}

static bool state_not_final(int st) {
        return !job_state_is_final((JobState) st);
}

/* cancel: ids and ranges (3 5-9 12), -u USER, --state STATES */
typedef struct CancelOpts {
        const char *user;
        char **states;
} CancelOpts;

static int cancel_opt(int c, void *u) {
        CancelOpts *co = u;
        if (c == 'u') {
                co->user = optarg;
                return 0;
        }
        if (c == 's')
                return cli_parse_states(optarg, state_not_final,
                                        "a state of a job not over yet (QUEUED or PENDING, HELD, STARTING, RUNNING)",
                                        &co->states);
        return -EINVAL;
}

/* "N" or "N-M" */
static int cancel_range(const char *arg, json_t **ret) {
        uint64_t a, b;
        const char *dash = strchr(arg, '-');
        _cleanup_free_ char *from = NULL;
        if (!dash) {
                if (parse_uint64(arg, 1, INT64_MAX, &a) < 0)
                        goto bad;
                *ret = json_integer((json_int_t) a);
                return 0;
        }
        from = strndup(arg, (size_t) (dash - arg));
        if (!from)
                return log_oom();
        if (parse_uint64(from, 1, INT64_MAX, &a) < 0 || parse_uint64(dash + 1, 1, INT64_MAX, &b) < 0 || b < a)
                goto bad;
        if (b - a >= API_MAX_CANCEL) {
                log_error("the range %s names %llu jobs; one cancel takes at most %d", arg,
                          (unsigned long long) (b - a + 1), API_MAX_CANCEL);
                return -EINVAL;
        }
        *ret = json_pack("[I, I]", (json_int_t) a, (json_int_t) b);
        return 0;
bad:
        log_error("invalid job id or range '%s' (ID, or FROM-TO with FROM <= TO)", arg);
        return -EINVAL;
}

/* cancel ARRAYID_TASKID: one element of an array */
static int cancel_array_task(Opts *o, const char *arg) {
        uint64_t aid, task;
        json_t *resp = NULL;
        _cleanup_free_ char *a = strndup(arg, (size_t) (strchr(arg, '_') - arg));
        if (!a)
                return log_oom(), CLI_EXIT_FAILURE;
        if (parse_uint64(a, 1, INT64_MAX, &aid) < 0 || parse_uint64(strchr(arg, '_') + 1, 0, UINT32_MAX, &task) < 0) {
                log_error("invalid job id '%s': a job id, or an array's id and a task id as ARRAYID_TASKID (12_3)",
                          arg);
                return CLI_EXIT_USAGE;
        }
        if (call(o, json_pack("{s:s, s:I, s:I}", "op", "cancel", "job", (json_int_t) aid, "task", (json_int_t) task),
                 &resp) < 0)
                return CLI_EXIT_FAILURE;
        if (o->json)
                print_json(resp);
        else
                printf("job %llu_%llu: cancel requested\n", (unsigned long long) aid, (unsigned long long) task);
        json_decref(resp);
        return CLI_EXIT_OK;
}

static int verb_cancel(int argc, char *argv[]) {
        static const struct option extra[] = {
                { "user", required_argument, NULL, 'u' },
                { "state", required_argument, NULL, 's' },
                {},
        };
        Opts o = { 0 };
        CancelOpts co = { 0 };
        json_t *resp = NULL;
        PARSE("Usage: corral cancel [ID|FROM-TO]... [-u USER] [--state STATES]\n"
              "       corral cancel ARRAYID_TASKID\n"
              "\n"
              "Cancel jobs: a queued one is removed, a running one gets SIGTERM and, after the\n"
              "policy's grace, its cgroup is killed. One request for all of them; each is\n"
              "reported. Exits 1 if a job named could not be cancelled (not found, not yours,\n"
              "already ended). The id of an array (submit --array) cancels every job of it not\n"
              "over yet; ARRAYID_TASKID (12_3), named alone, one of them.\n"
              "  -u, --user USER       only USER's jobs (others' than yours: admins only);\n"
              "                        without ids, all of USER's jobs not over yet\n"
              "  -s, --state STATES    only jobs in these states (QUEUED or PENDING, HELD,\n"
              "                        STARTING, RUNNING); without ids, all of yours in them\n"
              "The filters combine (all must hold). --json prints corrald's answer:\n"
              "{\"jobs\":[{\"job\":ID,\"result\":R,\"state\":S}],\"cancelled\":N,\"failed\":N,...}\n",
              "u:s:", extra, cancel_opt, &co);
        _cleanup_strv_free_ char **states = co.states;
        int nargs = argc - optind;
        if (nargs == 0 && !co.user && !states) {
                log_error("cancel: name jobs (ID or FROM-TO), or select them with -u USER or --state STATES");
                return CLI_EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++)
                if (strchr(argv[i], '_') && (nargs > 1 || co.user || states)) {
                        log_error("cancel: %s names one job of an array and is taken alone (corral cancel %s); "
                                  "the array's id cancels all its jobs",
                                  argv[i], argv[i]);
                        return CLI_EXIT_USAGE;
                }
        if (nargs == 1 && strchr(argv[optind], '_'))
                return cancel_array_task(&o, argv[optind]);
        if (nargs == 1 && !strchr(argv[optind], '-') && !co.user && !states) {
                /* one job: the answer is that job's (an array's: how many of its jobs) */
                int64_t id;
                if (job_arg(argc, argv, &id) < 0)
                        return CLI_EXIT_USAGE;
                if (call(&o, json_pack("{s:s, s:I}", "op", "cancel", "job", (json_int_t) id), &resp) < 0)
                        return CLI_EXIT_FAILURE;
                if (o.json)
                        print_json(resp);
                else if (json_is_integer(json_object_get(resp, "cancelled")))
                        printf("array %lld: cancel requested for %lld jobs\n", (long long) id,
                               (long long) json_integer_value(json_object_get(resp, "cancelled")));
                else
                        printf("job %lld: cancel requested\n", (long long) id);
                json_decref(resp);
                return CLI_EXIT_OK;
        }
        json_t *req = json_pack("{s:s}", "op", "cancel");
        if (!req)
                return log_oom(), CLI_EXIT_FAILURE;
        if (nargs > 0) {
                json_t *jobs = json_array();
                uint64_t total = 0;
                for (int i = optind; i < argc; i++) {
                        json_t *e = NULL;
                        if (cancel_range(argv[i], &e) < 0) {
                                json_decref(jobs);
                                json_decref(req);
                                return CLI_EXIT_USAGE;
                        }
                        total += json_is_array(e) ? (uint64_t) (json_integer_value(json_array_get(e, 1)) -
                                                                json_integer_value(json_array_get(e, 0))) +
                                                            1
                                                  : 1;
                        json_array_append_new(jobs, e);
                }
                if (total > API_MAX_CANCEL) {
                        log_error("cancel: %llu jobs named; one cancel takes at most %d", (unsigned long long) total,
                                  API_MAX_CANCEL);
                        json_decref(jobs);
                        json_decref(req);
                        return CLI_EXIT_USAGE;
                }
                json_object_set_new(req, "jobs", jobs);
        }
        if (co.user)
                json_object_set_new(req, "user", json_string(co.user));
        if (states)
                json_object_set_new(req, "states", cli_strv_json(states));
        if (call(&o, req, &resp) < 0)
                return CLI_EXIT_FAILURE;
        json_int_t failed = json_integer_value(json_object_get(resp, "failed"));
        if (o.json)
                print_json(resp);
        else {
                size_t i;
                json_t *e;
                json_array_foreach(json_object_get(resp, "jobs"), i, e) {
                        const char *res = json_string_value(json_object_get(e, "result")) ?: "?";
                        const char *st = json_string_value(json_object_get(e, "state"));
                        long long id = (long long) json_integer_value(json_object_get(e, "job"));
                        if (json_object_get(e, "array_job_id") && !streq(res, "skipped"))
                                printf("job %lld (array %lld): %s\n", id,
                                       (long long) json_integer_value(json_object_get(e, "array_job_id")),
                                       streq(res, "cancelled") ? "cancelled" : res);
                        else if (streq(res, "cancelled"))
                                printf("job %lld: cancelled\n", id);
                        else if (streq(res, "cancel_requested"))
                                printf("job %lld: cancel requested\n", id);
                        else if (streq(res, "skipped"))
                                printf("job %lld: skipped (%s: not selected by -u/--state)\n", id, st ? st : "?");
                        else if (streq(res, "not_found"))
                                fprintf(stderr, "corral: job %lld: no such job\n", id);
                        else if (streq(res, "already_final"))
                                fprintf(stderr, "corral: job %lld: already ended (%s)\n", id, st ? st : "?");
                        else
                                fprintf(stderr, "corral: job %lld: %s\n", id, res);
                }
                if (json_array_size(json_object_get(resp, "jobs")) == 0)
                        printf("no job matches\n");
                if (json_is_true(json_object_get(resp, "truncated")) && nargs > 0)
                        fprintf(stderr,
                                "corral: the jobs of the arrays named are more than one answer lists; %lld "
                                "were cancelled in all (corral list)\n",
                                (long long) json_integer_value(json_object_get(resp, "cancelled")));
                else if (json_is_true(json_object_get(resp, "truncated")))
                        fprintf(stderr, "corral: more jobs match than one cancel takes (%d): run it again\n",
                                API_MAX_CANCEL);
        }
        json_decref(resp);
        return failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
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
        else if (streq(op, "version")) {
                char mem[FORMAT_BUF];
                printf("corrald %s: %lld running, %lld queued, %lld slots, %lld CPUs, %s memory%s\n",
                       json_string_value(json_object_get(resp, "version")),
                       (long long) json_integer_value(json_object_get(resp, "running")),
                       (long long) json_integer_value(json_object_get(resp, "queued")),
                       (long long) json_integer_value(json_object_get(resp, "slots")),
                       (long long) json_integer_value(json_object_get(resp, "node_cpus")),
                       format_size(mem, (uint64_t) json_integer_value(json_object_get(resp, "node_mem"))),
                       json_is_true(json_object_get(resp, "drained")) ? ", drained" : "");
        } else {
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
        { "policies", verb_policies, NULL }, { "status", verb_status, NULL }, { "wait", verb_wait, NULL },
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

int cli_parse_states(const char *arg, bool (*keep)(int state), const char *expect, char ***states) {
        _cleanup_strv_free_ char **parts = NULL;
        if (parse_list(arg, &parts) < 0) {
                log_error("--state expects a comma-separated list of states, got '%s'", arg);
                return -EINVAL;
        }
        for (char **p = parts; *p; p++) {
                for (char *q = *p; *q; q++)
                        *q = (char) toupper((unsigned char) *q);
                const char *name = streq(*p, "PENDING") ? "QUEUED" : *p;
                JobState st = job_state_from_string(name);
                if (st == _JOB_STATE_INVALID || (keep && !keep((int) st))) {
                        log_error("--state: '%s' is not %s", *p, expect);
                        return -EINVAL;
                }
                if (strv_extend(states, name) < 0)
                        return log_oom();
        }
        return 0;
}

json_t *cli_strv_json(char *const *l) {
        json_t *a = json_array();
        for (; a && l && *l; l++)
                json_array_append_new(a, json_string(*l));
        return a;
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
