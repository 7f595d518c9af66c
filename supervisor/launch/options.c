/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options.c — corral-launch's command line: parsing and checks of every
 * option value (no policy or system access here), and --help. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "launch-main.h"
#include "launch.h"
#include "log.h"
#include "parse.h"
#include "strv.h"

void launch_help(void) {
        printf("Usage: corral-launch --policy NAME --user USER [OPTIONS] -- CMD [ARG]...\n"
               "\n"
               "Runs one job as USER, contained as policy NAME says (cgroup limits, user, PID,\n"
               "mount, IPC, UTS and optionally network namespaces, private /tmp and /dev/shm,\n"
               "no capabilities, no_new_privs, seccomp), waits for it and exits with its status.\n"
               "\n"
               "  -p, --policy NAME        policy to apply (NAME.ini in the policy directory)\n"
               "  -u, --user USER          user the job runs as\n"
               "  -j, --job-id ID          job id (cgroup PARENT/job-ID; default: PID-RANDOM)\n"
               "  -C, --cwd DIR            working directory (default: the user's home, or /)\n"
               "      --stdin FILE         job's standard input (opened as USER; default: inherited)\n"
               "      --stdout FILE        job's standard output (created 0600 as USER; default: inherited)\n"
               "      --stderr FILE        job's standard error (likewise)\n"
               "  -e, --env K=V            set a variable in the job's environment (repeatable; its\n"
               "                           value is blanked in this process's argv at once)\n"
               "      --env-fd N           read variables from fd N: NAME=VALUE entries separated by\n"
               "                           NUL bytes (env -0); secrets stay out of argv (repeatable)\n"
               "      --env-file FILE      the same from FILE, opened as USER\n"
               "  -w, --walltime DUR       shorter walltime than the policy's (\"90s\", \"2h\")\n"
               "      --mem SIZE           the job's memory limit instead of the policy's memory, at most\n"
               "                           its max_mem (\"512M\", \"8G\")\n"
               "      --cpus N             the job's CPU quota instead of the policy's cpus, at most its\n"
               "                           max_cpus (\"2\", \"0.5\")\n"
               "  -r, --result FILE        write the JSON result record to FILE\n"
               "      --result-fd N        write the JSON result record to fd N\n"
               "  -d, --policy-dir DIR     policy directory (default: node config, %s)\n"
               "      --config FILE        node config (default: %s)\n"
               "      --cgroup-parent NAME parent of job cgroups (default: node config, \"corral\")\n"
               "      --socket PATH        corrald's API socket, hidden from a job that may not submit\n"
               "                           (default: node config)\n"
               "  -h, --help               this help\n"
               "      --version            version\n"
               "\n"
               "Exit status: the job's (its code, 128+signal, 127 cannot execute); 200 usage,\n"
               "201 policy, 202 user, 203 cgroup, 204 namespaces, 205 mounts, 206 credentials,\n"
               "207 seccomp, 208 stdio/cwd, 209 result, 210 internal. See corral-launch(8).\n",
               POLICY_DIR_DEFAULT, NODECONF_PATH_DEFAULT);
}

bool launch_argv_scrub;

/* The checks of each option's value, shared by the parser (arg: the value
 * as given) and launch_request_check() (a request built in memory); each
 * logs why, once. */
static int check_job_id(const char *s) {
        /* it becomes the cgroup name "job-ID" */
        if (strlen(s) > 64 || !cgjob_name_valid(s)) {
                log_error("invalid --job-id '%s': use 1-64 of [A-Za-z0-9_.-]", s);
                return -EINVAL;
        }
        return 0;
}

static int check_cwd(const char *s) {
        if (s[0] != '/') {
                log_error("--cwd must be an absolute path: %s", s);
                return -EINVAL;
        }
        return 0;
}

/* kv joins env, which has n entries already */
static int check_env(const char *kv, size_t n) {
        if (!env_assignment_valid(kv)) {
                log_error("invalid --env '%s': use NAME=VALUE, NAME of [A-Za-z_][A-Za-z0-9_]*", kv);
                return -EINVAL;
        }
        if (n >= LAUNCH_MAX_ENV) {
                log_error("too many --env (at most %d)", LAUNCH_MAX_ENV);
                return -EINVAL;
        }
        return 0;
}

static int check_env_file(const char *s) {
        if (s[0] != '/') {
                log_error("--env-file must be an absolute path: %s", s);
                return -EINVAL;
        }
        return 0;
}

static int check_result_fd(int fd, const char *arg) {
        if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
                log_error("invalid --result-fd '%s': not an open file descriptor", arg);
                return -EINVAL;
        }
        return 0;
}

static int check_cgroup_parent(const char *s) {
        if (!cgjob_parent_valid(s)) {
                log_error("invalid --cgroup-parent '%s': names of [A-Za-z0-9_.-] separated by /", s);
                return -EINVAL;
        }
        return 0;
}

static int check_socket(const char *s) {
        if (!conf_path_valid(s) || streq(s, "/")) {
                log_error("invalid --socket '%s': an absolute path without '..' (corrald's socket)", s);
                return -EINVAL;
        }
        return 0;
}

int launch_request_check(const LaunchRequest *req) {
        size_t n = 0;

        if (req->job_id && check_job_id(req->job_id) < 0)
                return -EINVAL;
        if (req->cwd && check_cwd(req->cwd) < 0)
                return -EINVAL;
        for (char **e = req->env; e && *e; e++, n++)
                if (check_env(*e, n) < 0)
                        return -EINVAL;
        if (req->env_file && check_env_file(req->env_file) < 0)
                return -EINVAL;
        if (req->walltime == 0) {
                log_error("invalid --walltime '0': a duration like 90s, 30m, 2h");
                return -EINVAL;
        }
        if (req->result_fd != -1) {
                char arg[16];
                (void) snprintf(arg, sizeof arg, "%d", req->result_fd);
                if (check_result_fd(req->result_fd, arg) < 0)
                        return -EINVAL;
        }
        if (req->cgroup_parent && check_cgroup_parent(req->cgroup_parent) < 0)
                return -EINVAL;
        if (req->socket && check_socket(req->socket) < 0)
                return -EINVAL;
        if (!req->policy || !req->user) {
                log_error("--policy and --user are required; see --help");
                return -EINVAL;
        }
        if (req->result_path && req->result_fd >= 0) {
                log_error("--result and --result-fd exclude each other");
                return -EINVAL;
        }
        if (!req->argv || isempty(req->argv[0])) {
                log_error("no command given: corral-launch --policy NAME --user USER -- CMD [ARG]...");
                return -EINVAL;
        }
        return 0;
}

/* --env-fd N: its variables join a->env now (the fd is the caller's, read
 * once, and closed). */
static int env_from_fd(LaunchRequest *a, const char *arg) {
        _cleanup_free_ char *buf = NULL, *err = NULL;
        size_t len;
        int fd, r;

        if (parse_int(arg, 0, 1 << 20, &fd) < 0) {
                log_error("invalid --env-fd '%s': a file descriptor number", arg);
                return -EINVAL;
        }
        r = env_read_fd(fd, &buf, &len);
        if (r == -EFBIG)
                return log_error("--env-fd %d: more than %d bytes", fd, LAUNCH_MAX_ENV_BYTES), r;
        if (r < 0)
                return log_error_errno(r, "--env-fd %d: cannot read it: %m (is it open?)", fd), r;
        if (fd > 2)
                (void) close(fd);
        r = env_parse_nul(buf, len, &a->env, &err);
        explicit_bzero(buf, len);
        if (r == -ENOMEM)
                return log_oom(), r;
        if (r < 0)
                return log_error("--env-fd %d: %s", fd, err), r;
        return 0;
}

void launch_request_done(LaunchRequest *req) {
        req->env = strv_free(req->env);
}

int launch_parse_args(int argc, char *argv[], LaunchRequest *ret) {
        enum {
                ARG_STDIN = 0x100,
                ARG_STDOUT,
                ARG_STDERR,
                ARG_RESULT_FD,
                ARG_CONFIG,
                ARG_CGROUP_PARENT,
                ARG_SOCKET,
                ARG_VERSION,
                ARG_ENV_FD,
                ARG_ENV_FILE,
                ARG_MEM,
                ARG_CPUS,
        };
        static const struct option options[] = {
                { "policy", required_argument, NULL, 'p' },
                { "user", required_argument, NULL, 'u' },
                { "job-id", required_argument, NULL, 'j' },
                { "cwd", required_argument, NULL, 'C' },
                { "stdin", required_argument, NULL, ARG_STDIN },
                { "stdout", required_argument, NULL, ARG_STDOUT },
                { "stderr", required_argument, NULL, ARG_STDERR },
                { "env", required_argument, NULL, 'e' },
                { "env-fd", required_argument, NULL, ARG_ENV_FD },
                { "env-file", required_argument, NULL, ARG_ENV_FILE },
                { "walltime", required_argument, NULL, 'w' },
                { "mem", required_argument, NULL, ARG_MEM },
                { "cpus", required_argument, NULL, ARG_CPUS },
                { "result", required_argument, NULL, 'r' },
                { "result-fd", required_argument, NULL, ARG_RESULT_FD },
                { "policy-dir", required_argument, NULL, 'd' },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "cgroup-parent", required_argument, NULL, ARG_CGROUP_PARENT },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        LaunchRequest a = LAUNCH_REQUEST_INIT;
        int c, r;

        /* "+": stop at the first non-option, so the command's own options
         * are never taken for ours even without "--" */
        while ((c = getopt_long(argc, argv, "+p:u:j:C:e:w:r:d:h", options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        a.policy = optarg;
                        break;
                case 'u':
                        a.user = optarg;
                        break;
                case 'j':
                        if (check_job_id(optarg) < 0)
                                goto usage;
                        a.job_id = optarg;
                        break;
                case 'C':
                        if (check_cwd(optarg) < 0)
                                goto usage;
                        a.cwd = optarg;
                        break;
                case ARG_STDIN:
                        a.stdin_path = optarg;
                        break;
                case ARG_STDOUT:
                        a.stdout_path = optarg;
                        break;
                case ARG_STDERR:
                        a.stderr_path = optarg;
                        break;
                case 'e':
                        if (check_env(optarg, strv_length(a.env)) < 0)
                                goto usage;
                        if (strv_extend(&a.env, optarg) < 0) {
                                log_oom();
                                goto usage;
                        }
                        /* copied: blank the value where ps reads it */
                        if (launch_argv_scrub) {
                                char *v = strchr(optarg, '=') + 1;
                                explicit_bzero(v, strlen(v));
                        }
                        break;
                case ARG_ENV_FD:
                        if (env_from_fd(&a, optarg) < 0)
                                goto usage;
                        break;
                case ARG_ENV_FILE:
                        if (check_env_file(optarg) < 0)
                                goto usage;
                        a.env_file = optarg;
                        break;
                case 'w':
                        r = parse_duration(optarg, &a.walltime);
                        if (r < 0 || a.walltime == 0) {
                                log_error("invalid --walltime '%s': a duration like 90s, 30m, 2h", optarg);
                                goto usage;
                        }
                        break;
                case ARG_MEM:
                        if (parse_size(optarg, &a.mem) < 0 || a.mem == 0 || a.mem == SIZE_UNLIMITED) {
                                log_error("invalid --mem '%s': a size like 512M or 8G", optarg);
                                goto usage;
                        }
                        break;
                case ARG_CPUS:
                        if (parse_cpus(optarg, &a.cpus) < 0 || a.cpus == UINT64_MAX) {
                                log_error("invalid --cpus '%s': a number of CPUs like 2 or 0.5", optarg);
                                goto usage;
                        }
                        break;
                case 'r':
                        a.result_path = optarg;
                        break;
                case ARG_RESULT_FD:
                        if (parse_int(optarg, 0, 1 << 20, &a.result_fd) < 0)
                                a.result_fd = -1; /* not a number: no fd either */
                        if (check_result_fd(a.result_fd, optarg) < 0) {
                                a.result_fd = -1;
                                goto usage;
                        }
                        break;
                case 'd':
                        a.policy_dir = optarg;
                        break;
                case ARG_CONFIG:
                        a.config_path = optarg;
                        break;
                case ARG_CGROUP_PARENT:
                        if (check_cgroup_parent(optarg) < 0)
                                goto usage;
                        a.cgroup_parent = optarg;
                        break;
                case ARG_SOCKET:
                        if (check_socket(optarg) < 0)
                                goto usage;
                        a.socket = optarg;
                        break;
                case 'h':
                        launch_help();
                        launch_request_done(&a);
                        return 1;
                case ARG_VERSION:
                        printf("corral-launch %s\n", CORRAL_VERSION);
                        launch_request_done(&a);
                        return 1;
                default:
                        goto usage;
                }
        }
        if (optind < argc)
                a.argv = argv + optind;
        /* what no single option can say: the required ones, --result and
         * --result-fd together, the command */
        if (launch_request_check(&a) < 0)
                goto usage;
        *ret = a;
        return 0;

usage:
        launch_request_done(&a);
        return -EINVAL;
}

static int argv_add(char ***argv, const char *option, const char *value) {
        if (!value)
                return 0;
        if (strv_extend(argv, option) < 0 || strv_extend(argv, value) < 0)
                return -ENOMEM;
        return 0;
}

int launch_request_to_argv(const LaunchRequest *req, char ***ret_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        char wt[32] = "", fd[16] = "", mem[FORMAT_BUF] = "", cpus[FORMAT_BUF] = "";

        /* whole seconds as the helper always wrote them, else microseconds */
        if (req->walltime != USEC_INFINITY)
                (void) snprintf(wt, sizeof wt, "%llu%s",
                                (unsigned long long) (req->walltime % USEC_PER_SEC == 0 ? req->walltime / USEC_PER_SEC
                                                                                        : req->walltime),
                                req->walltime % USEC_PER_SEC == 0 ? "s" : "us");
        if (req->result_fd != -1)
                (void) snprintf(fd, sizeof fd, "%d", req->result_fd);
        if (req->mem)
                (void) format_size(mem, req->mem);
        if (req->cpus)
                (void) format_cpus(cpus, req->cpus);

        if (strv_extend(&argv, "corral-launch") < 0 || argv_add(&argv, "--policy", req->policy) < 0 ||
            argv_add(&argv, "--policy-dir", req->policy_dir) < 0 || argv_add(&argv, "--user", req->user) < 0 ||
            argv_add(&argv, "--job-id", req->job_id) < 0 || argv_add(&argv, "--cwd", req->cwd) < 0 ||
            argv_add(&argv, "--stdin", req->stdin_path) < 0 || argv_add(&argv, "--stdout", req->stdout_path) < 0 ||
            argv_add(&argv, "--stderr", req->stderr_path) < 0 || argv_add(&argv, "--walltime", wt[0] ? wt : NULL) < 0 ||
            argv_add(&argv, "--mem", mem[0] ? mem : NULL) < 0 || argv_add(&argv, "--cpus", cpus[0] ? cpus : NULL) < 0 ||
            argv_add(&argv, "--result", req->result_path) < 0 ||
            argv_add(&argv, "--result-fd", fd[0] ? fd : NULL) < 0 ||
            argv_add(&argv, "--config", req->config_path) < 0 ||
            argv_add(&argv, "--cgroup-parent", req->cgroup_parent) < 0 ||
            argv_add(&argv, "--socket", req->socket) < 0 || argv_add(&argv, "--env-file", req->env_file) < 0)
                return -ENOMEM;
        for (char **e = req->env; e && *e; e++)
                if (argv_add(&argv, "--env", *e) < 0)
                        return -ENOMEM;
        /* "--": the command's own options are never taken for ours */
        if (strv_extend(&argv, "--") < 0)
                return -ENOMEM;
        for (char **a = req->argv; a && *a; a++)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        *ret_argv = TAKE_PTR(argv);
        return 0;
}
