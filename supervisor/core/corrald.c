/* SPDX-License-Identifier: GPL-2.0-or-later */
/* corrald.c — start-up as root, then the split into the root helper
 * (helper.c, this process) and the unprivileged core (core.c, a child).
 *
 * Order, with the reasons:
 *  1. settings: options over the node config over built-in defaults;
 *  2. the daemon user and the admin group exist (created on first start);
 *  3. directories with their owners and modes (state 0700 for the daemon
 *     user, results root-only, output root 0711 so job directories can be
 *     reached only by whoever knows their random name);
 *  4. the API socket: passed by systemd (socket activation) or made here,
 *     mode 0666 (everyone may talk; SO_PEERCRED decides what they may do);
 *  4b. run as a systemd service with Delegate=yes: into our own subtree
 *     (cgroup-delegate.c), before the fork so the core is born there too;
 *  5. signals blocked for sd-event, then socketpair + fork: the child drops
 *     to the daemon user for good (groups, gid, uid, no_new_privs) and loads
 *     its own seccomp filter (selfsandbox.c) before it reads a single byte
 *     from users. The helper, which launches jobs, gets no such filter: jobs
 *     would inherit it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cgroup.h"
#include "corrald.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "pathcheck.h"

static void help(void) {
        printf("Usage: corrald [OPTIONS]\n"
               "\n"
               "The corral queue core: takes job submissions from local users over a Unix\n"
               "socket, stores them durably (SQLite), runs each through corral-launch with\n"
               "full containment, runs corral-epilogue after it, and tracks its lifecycle.\n"
               "Runs in the foreground (under systemd: Type=notify, see corrald.service).\n"
               "\n"
               "Options:\n"
               "  -c, --config FILE       node config (default " NODECONF_PATH_DEFAULT "; a\n"
               "                          missing file means built-in defaults)\n"
               "      --dev               development mode for `make run`: state, output and\n"
               "                          socket under a root-owned directory (--dev-dir),\n"
               "                          with a root-owned copy of ./policies (or of\n"
               "                          --policy-dir) made at every start; the epilogue\n"
               "                          only reports (on a workstation, the user's other\n"
               "                          sessions and crontab are not a job's leftovers)\n"
               "      --dev-dir DIR       development mode under DIR (default " DEV_DIR_DEFAULT ")\n"
               "      --state-dir DIR     queue database directory (node config: state_dir)\n"
               "      --run-dir DIR       root-only runtime directory (run_dir)\n"
               "      --output-dir DIR    job output directories (output_dir)\n"
               "      --socket PATH       API socket (socket)\n"
               "      --policy-dir DIR    policies (policy_dir)\n"
               "      --slots N           jobs at once (slots)\n"
               "      --user NAME         the unprivileged user of the core (user)\n"
               "      --launch PATH       run jobs with this corral-launch binary (default: the\n"
               "                          one built into corrald, run without exec)\n"
               "      --epilogue PATH     run this corral-epilogue binary after each job\n"
               "                          (default: the one built into corrald)\n"
               "      --epilogue-dry-run  the epilogue after each job reports what it would\n"
               "                          clean but changes nothing (implied by --dev)\n"
               "      --log-level LEVEL   debug, info, notice, warning, error\n"
               "  -h, --help              this text\n"
               "      --version           print the version\n"
               "\n"
               "Signals: SIGTERM and SIGINT stop corrald; running jobs go on and are adopted\n"
               "at the next start. Exit status: 0 stopped, 1 error.\n");
}

static char *absolute(const char *p) {
        char cwd[PATH_MAX], *r;
        if (p[0] == '/')
                return strdup(p);
        if (!getcwd(cwd, sizeof cwd) || asprintf(&r, "%s/%s", cwd, p) < 0)
                return NULL;
        return r;
}

static int run_cmd(const char *const argv[]) {
        pid_t pid = fork();
        int status;
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                execv(argv[0], (char **) argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int ensure_user(Settings *s) {
        struct passwd *pw = getpwnam(s->user);
        if (!pw) {
                const char *argv[] = { "/usr/sbin/useradd", "--system",     "--no-create-home",
                                       "--home-dir",        "/nonexistent", "--shell",
                                       "/usr/sbin/nologin", "--user-group", "--comment",
                                       "corral queue core", s->user,        NULL };
                log_info("Creating the system user %s", s->user);
                int r = run_cmd(argv);
                if (r < 0)
                        return log_error_errno(r, "Cannot create the system user %s with useradd: %m", s->user);
                pw = getpwnam(s->user);
                if (!pw)
                        return log_error_errno(-ENOENT, "User %s still does not exist after useradd", s->user);
        }
        if (pw->pw_uid == 0)
                return log_error_errno(-EINVAL, "The daemon user %s is root: refusing", s->user);
        s->uid = pw->pw_uid;
        s->gid = pw->pw_gid;

        struct group *gr = getgrnam(s->node->admin_group);
        if (!gr) {
                const char *argv[] = { "/usr/sbin/groupadd", "--system", s->node->admin_group, NULL };
                log_info("Creating the admin group %s", s->node->admin_group);
                if (run_cmd(argv) < 0)
                        log_warning("Cannot create the admin group %s; only root is an admin", s->node->admin_group);
                gr = getgrnam(s->node->admin_group);
        }
        s->admin_gid = gr ? gr->gr_gid : (gid_t) -1;
        return 0;
}

static int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid) {
        struct stat st;
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", path);
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "%s is not a directory", path);
        if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
                return log_error_errno(negative_errno(), "Cannot set owner and mode of %s: %m", path);
        return 0;
}

static int make_parent(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return log_oom();
        const char *dir = dirname(copy);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", dir);
        return 0;
}

static int open_socket(Settings *s) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int n = sd_listen_fds(true), fd, r;

        if (n > 1)
                return log_error_errno(-EINVAL, "Got %d sockets from systemd, expected one", n);
        if (n == 1) {
                fd = SD_LISTEN_FDS_START;
                if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
                        return log_error_errno(-EINVAL, "The socket from systemd is not a listening "
                                                        "SOCK_SEQPACKET Unix socket (ListenSequentialPacket=)");
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
                (void) fcntl(fd, F_SETFL, O_NONBLOCK);
                log_info("Using the socket passed by systemd");
                return fd;
        }
        if (strlen(s->socket) >= sizeof sa.sun_path)
                return log_error_errno(-ENAMETOOLONG, "Socket path too long: %s", s->socket);
        strcpy(sa.sun_path, s->socket);
        r = make_parent(s->socket);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Cannot create a socket: %m");
        /* a socket file another corrald answers on is not stale */
        int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0) {
                close(probe);
                close(fd);
                return log_error_errno(-EADDRINUSE, "Another corrald is listening on %s", s->socket);
        }
        if (probe >= 0)
                close(probe);
        (void) unlink(s->socket);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || chmod(s->socket, 0666) < 0 || listen(fd, 256) < 0) {
                r = negative_errno();
                close(fd);
                return log_error_errno(r, "Cannot listen on %s: %m", s->socket);
        }
        return fd;
}

/* The core runs as the daemon user and opens the queue store, job output
 * and policies itself; users connect to the socket. A directory on the way
 * that they cannot search (a checkout in a mode-0700 home) would otherwise
 * surface later as a bare "No such file or directory". */
static int check_reachable(const Settings *s) {
        const struct {
                const char *what, *path, *option;
        } need[] = {
                { "state directory", s->state_dir, "--state-dir or state_dir" },
                { "job output directory", s->output_dir, "--output-dir or output_dir" },
                { "policy directory", s->policy_dir, "--policy-dir or policy_dir" },
        };
        PathBlock b;
        for (size_t i = 0; i < ELEMENTSOF(need); i++) {
                int r = path_reachable_by_user(need[i].path, s->uid, s->gid, &b);
                if (r == -EACCES)
                        return log_error_errno(r,
                                               "The daemon user %s (uid %u) cannot reach the %s %s: %s is mode "
                                               "%04o, owned by uid %u; choose a directory it can reach (%s)%s",
                                               s->user, (unsigned) s->uid, need[i].what, need[i].path, b.dir,
                                               (unsigned) b.mode, (unsigned) b.owner, need[i].option,
                                               s->dev ? "" : ", or for a checkout run `sudo make run`");
                if (r < 0)
                        return log_error_errno(r, "Cannot check the path to the %s %s: %m", need[i].what, need[i].path);
        }
        /* any local user: nobody stands for them */
        if (path_reachable(s->socket, 65534, 65534, NULL, 0, &b) == -EACCES)
                log_warning("Users cannot reach the socket %s: %s is mode %04o, owned by uid %u; only its owner, "
                            "its group and root can submit jobs (--socket to choose another place)",
                            s->socket, b.dir, (unsigned) b.mode, (unsigned) b.owner);
        return 0;
}

static int drop_privileges(const Settings *s) {
        if (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0)
                return negative_errno();
        /* no way back: check that root is really gone */
        if (setresuid(0, 0, 0) == 0 || geteuid() != s->uid || getegid() != s->gid)
                return -EPERM;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

/* The core holds one fd per connection, up to max_connections, besides
 * its own few: with the usual soft limit of 1024 it would run out of fds
 * (EMFILE) before it reached the cap, and nobody could connect. Raised in
 * the core only, while it is still root (the hard limit too, when needed);
 * the helper, the launchers and the jobs keep what corrald was given. */
static void raise_fd_limit(uint64_t max_connections) {
        rlim_t want = (rlim_t) max_connections + 256;
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
                return;
        if (rl.rlim_max < want) {
                struct rlimit raised = { want, want };
                if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
                        return;
                want = rl.rlim_max;
                log_warning("The fd limit is %llu, too low for max_connections = %llu; raise it (LimitNOFILE=)",
                            (unsigned long long) rl.rlim_max, (unsigned long long) max_connections);
        }
        rl.rlim_cur = want;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}

/* 4b. Under systemd with Delegate=yes, jobs' cgroups are made below our own
 * ("<unit>/jobs/job-ID"), not at cgroup_parent: the node config's parent is
 * replaced for everything that names a job's cgroup (the launchers, through
 * cgroup_delegation_set(); the core's record, the helper's kill, cleanup and
 * adoption, the epilogue's arguments, through s->node->cgroup_parent).
 * cgroup_backend = systemd keeps its scopes. */
static int enter_delegated_subtree(Settings *s) {
        _cleanup_free_ char *unit = NULL, *parent = NULL, *where = NULL;
        int r;

        if (s->node->cgroup_backend == CGROUP_BACKEND_SYSTEMD)
                return 0;
        r = cgroup_delegation_detect(&unit);
        if (r == -EPERM)
                log_info("Running as a systemd service without Delegate=yes: jobs' cgroups stay below /%s",
                         s->node->cgroup_parent);
        else if (r == -EBUSY)
                log_notice("On cgroup v2, systemd would not start corrald again in its own cgroup once jobs' "
                           "controllers are enabled there: jobs run as before (cgroup_backend); with systemd 254 "
                           "or later, add DelegateSubgroup=supervisor to corrald.service to have them below it");
        if (r < 0)
                return 0;
        if (s->launch_bin) {
                /* an exec'd launcher would not inherit the parent */
                log_notice("--launch: jobs' cgroups stay where cgroup_backend puts them, not below %s", unit);
                return 0;
        }
        r = cgroup_delegation_jobs_parent(unit, &parent);
        if (r < 0) {
                log_warning("Cgroup %s is not a usable parent for jobs, they stay below /%s", unit,
                            s->node->cgroup_parent);
                return 0;
        }
        r = cgroup_delegation_enter(unit, &where);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the delegated cgroup %s: %m (is Delegate=yes in the unit?)",
                                       where ? where : unit);
        r = cgroup_delegation_set(parent);
        if (r < 0)
                return log_error_errno(r, "Cannot use %s for jobs' cgroups: %m", parent);
        free(s->node->cgroup_parent);
        s->node->cgroup_parent = TAKE_PTR(parent);
        log_info("Delegated cgroup %s: jobs' cgroups are made below /%s", unit, s->node->cgroup_parent);
        return 0;
}

static void settings_done(Settings *s) {
        nodeconf_free(s->node);
        free(s->config_path);
        free(s->state_dir);
        free(s->run_dir);
        free(s->output_dir);
        free(s->socket);
        free(s->policy_dir);
        free(s->launch_bin);
        free(s->epilogue_bin);
        free(s->user);
        *s = (Settings){ 0 };
}

/* systemd's watchdog (WatchdogSec=) watches the main process, the helper:
 * WATCHDOG_PID names it, and sd_event_set_watchdog() in the core sends no
 * ping for another pid. The core is what must stay responsive, and its
 * pings count (NotifyAccess=all): it takes WATCHDOG_PID over, or systemd
 * kills corrald every WatchdogSec=. */
static void core_take_watchdog(void) {
        const char *w = getenv("WATCHDOG_PID");
        char buf[32];
        pid_t p;

        if (!w || parse_pid(w, &p) < 0 || p != getppid())
                return;
        (void) snprintf(buf, sizeof buf, "%d", (int) getpid());
        (void) setenv("WATCHDOG_PID", buf, 1);
}

int main(int argc, char *argv[]) {
        enum {
                OPT_DEV = 0x100,
                OPT_STATE,
                OPT_RUN,
                OPT_OUTPUT,
                OPT_SOCKET,
                OPT_POLICY_DIR,
                OPT_SLOTS,
                OPT_USER,
                OPT_LAUNCH,
                OPT_EPILOGUE,
                OPT_DEV_DIR,
                OPT_EPILOGUE_DRY_RUN,
                OPT_LOG_LEVEL,
                OPT_VERSION,
        };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "dev", no_argument, NULL, OPT_DEV },
                { "state-dir", required_argument, NULL, OPT_STATE },
                { "run-dir", required_argument, NULL, OPT_RUN },
                { "output-dir", required_argument, NULL, OPT_OUTPUT },
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "policy-dir", required_argument, NULL, OPT_POLICY_DIR },
                { "slots", required_argument, NULL, OPT_SLOTS },
                { "user", required_argument, NULL, OPT_USER },
                { "launch", required_argument, NULL, OPT_LAUNCH },
                { "epilogue", required_argument, NULL, OPT_EPILOGUE },
                { "dev-dir", required_argument, NULL, OPT_DEV_DIR },
                { "epilogue-dry-run", no_argument, NULL, OPT_EPILOGUE_DRY_RUN },
                { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        Settings s = { 0 };
        const char *o_config = NULL, *o_state = NULL, *o_run = NULL, *o_output = NULL, *o_socket = NULL,
                   *o_policy = NULL, *o_user = NULL, *o_launch = NULL, *o_epilogue = NULL, *o_level = NULL,
                   *o_dev_dir = DEV_DIR_DEFAULT;
        uint64_t o_slots = 0;
        ConfDiags d = { 0 };
        int c, r, sp[2], listen_fd;

        log_set_program("corrald");
        /* nothing corrald did not open itself is handed on to launchers,
         * epilogues or jobs (a socket from systemd is made CLOEXEC anyway) */
        (void) close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID"))
                log_open_journal();

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o_config = optarg;
                        break;
                case OPT_DEV:
                        s.dev = true;
                        break;
                case OPT_STATE:
                        o_state = optarg;
                        break;
                case OPT_RUN:
                        o_run = optarg;
                        break;
                case OPT_OUTPUT:
                        o_output = optarg;
                        break;
                case OPT_SOCKET:
                        o_socket = optarg;
                        break;
                case OPT_POLICY_DIR:
                        o_policy = optarg;
                        break;
                case OPT_SLOTS:
                        if (parse_uint64(optarg, 1, 4096, &o_slots) < 0) {
                                log_error("--slots: expected a number from 1 to 4096, got '%s'", optarg);
                                return 2;
                        }
                        break;
                case OPT_USER:
                        o_user = optarg;
                        break;
                case OPT_LAUNCH:
                        o_launch = optarg;
                        break;
                case OPT_EPILOGUE:
                        o_epilogue = optarg;
                        break;
                case OPT_DEV_DIR:
                        s.dev = true;
                        o_dev_dir = optarg;
                        break;
                case OPT_EPILOGUE_DRY_RUN:
                        s.epilogue_dry_run = true;
                        break;
                case OPT_LOG_LEVEL:
                        o_level = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("corrald %s\n", CORRAL_VERSION);
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("unexpected argument '%s'; see corrald --help", argv[optind]);
                return 2;
        }

        /* 1. settings */
        s.config_path = o_config ? strdup(o_config) : NULL;
        r = nodeconf_load(o_config ? o_config : NODECONF_PATH_DEFAULT, CONF_STRICT_PERMS, o_config == NULL, &s.node,
                          &d);
        if (r < 0) {
                conf_diags_print(&d, stderr);
                conf_diags_clear(&d);
                return 1;
        }
        if (s.dev) {
                /* `make run`: everything under a root-owned directory outside
                 * the checkout, policies copied there (devmode.c says why) */
                _cleanup_free_ char *src = absolute(o_policy ? o_policy : "policies");
                if (!src)
                        return log_oom(), 1;
                if (geteuid() != 0) {
                        log_error("corrald must start as root: run `sudo make run`");
                        return 1;
                }
                if (dev_prepare(&s, o_dev_dir, src) < 0)
                        return 1;
                o_policy = NULL;
                s.epilogue_dry_run = true;
        } else {
                s.state_dir = strdup(s.node->state_dir);
                s.run_dir = strdup(s.node->run_dir);
                s.output_dir = strdup(s.node->output_dir);
                s.socket = strdup(s.node->socket);
                s.policy_dir = strdup(s.node->policy_dir);
        }
#define OVERRIDE(field, opt)                                                                                           \
        if (opt) {                                                                                                     \
                free(s.field);                                                                                         \
                s.field = absolute(opt);                                                                               \
        }
        OVERRIDE(state_dir, o_state);
        OVERRIDE(run_dir, o_run);
        OVERRIDE(output_dir, o_output);
        OVERRIDE(socket, o_socket);
        OVERRIDE(policy_dir, o_policy);
        /* NULL: the built-in corral-launch and corral-epilogue, run by the
         * root helper in forked children without exec */
        s.launch_bin = o_launch ? absolute(o_launch) : NULL;
        s.epilogue_bin = o_epilogue ? absolute(o_epilogue) : NULL;
        s.user = strdup(o_user ? o_user : s.node->user);
        s.slots = o_slots ? o_slots : s.node->slots;
        s.max_queued_per_user = s.node->max_queued_per_user;
        /* the node's size: the config's, else the machine's */
        nodeconf_detect(&s.node_mem, &s.node_cpus);
        if (s.node->memory)
                s.node_mem = s.node->memory;
        if (s.node->cpus)
                s.node_cpus = s.node->cpus;
        s.max_running_per_user = s.node->max_running_per_user;
        s.grace = 10 * USEC_PER_SEC;
        if (!s.state_dir || !s.run_dir || !s.output_dir || !s.socket || !s.policy_dir || (o_launch && !s.launch_bin) ||
            (o_epilogue && !s.epilogue_bin) || !s.user)
                return log_oom(), 1;
        r = log_level_from_string(o_level ? o_level : s.node->log_level);
        if (r < 0) {
                log_error("invalid log level '%s'", o_level);
                return 2;
        }
        log_set_max_level(r);
        if (geteuid() != 0) {
                log_error("corrald must start as root (it keeps a small root helper to launch jobs as their users)");
                return 1;
        }
        if (s.launch_bin && access(s.launch_bin, X_OK) < 0)
                return log_error_errno(negative_errno(), "Cannot execute %s: %m (see --launch)", s.launch_bin), 1;
        if (s.epilogue_bin && access(s.epilogue_bin, X_OK) < 0)
                return log_error_errno(negative_errno(), "Cannot execute %s: %m (see --epilogue)", s.epilogue_bin), 1;

        /* 2. users, 3. directories */
        if (ensure_user(&s) < 0)
                return 1;
        char results[PATH_MAX];
        snprintf(results, sizeof results, "%s/results", s.run_dir);
        if (make_parent(s.state_dir) < 0 || make_dir(s.state_dir, 0700, s.uid, s.gid) < 0 ||
            make_parent(s.run_dir) < 0 || make_dir(s.run_dir, 0755, 0, 0) < 0 || make_dir(results, 0700, 0, 0) < 0 ||
            make_parent(s.output_dir) < 0 || make_dir(s.output_dir, 0711, 0, 0) < 0 || check_reachable(&s) < 0)
                return 1;

        /* 4. the socket */
        listen_fd = open_socket(&s);
        if (listen_fd < 0)
                return 1;
        if (enter_delegated_subtree(&s) < 0)
                return 1;

        /* 5. split. A log line to a closed pipe must not kill us: writes fail
         * with EPIPE instead. */
        (void) signal(SIGPIPE, SIG_IGN);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return log_error_errno(negative_errno(), "socketpair: %m"), 1;
        pid_t core = fork();
        if (core < 0)
                return log_error_errno(negative_errno(), "fork: %m"), 1;
        if (core == 0) {
                close(sp[0]);
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() == 1)
                        _exit(EXIT_FAILURE);
                raise_fd_limit(s.node->max_connections);
                r = drop_privileges(&s);
                if (r < 0) {
                        log_error_errno(r, "Cannot drop privileges to %s: %m", s.user);
                        _exit(EXIT_FAILURE);
                }
                /* fail closed: the core is what parses users' input */
                const char *step = NULL;
                r = selfsandbox_apply(&step);
                if (r < 0) {
                        log_error_errno(r,
                                        "Cannot restrict the core with its seccomp filter (%s): %m; corrald needs "
                                        "seccomp filters (a kernel with CONFIG_SECCOMP_FILTER, libseccomp 2.5 or "
                                        "later, no sandbox around corrald that forbids seccomp(2)), as "
                                        "corral-launch does for jobs",
                                        step);
                        _exit(EXIT_FAILURE);
                }
                log_set_program("corrald");
                core_take_watchdog();
                r = core_main(&s, sp[1], listen_fd);
                _exit(r < 0 ? EXIT_FAILURE : r);
        }
        close(sp[1]);
        close(listen_fd);
        log_info("corrald %s: root helper pid %d, core pid %d running as %s", CORRAL_VERSION, (int) getpid(),
                 (int) core, s.user);
        r = helper_main(&s, sp[0]);

        /* the core goes with us */
        (void) kill(core, SIGTERM);
        (void) waitpid(core, NULL, 0);
        if (s.dev)
                (void) unlink(s.socket);
        settings_done(&s);
        return r < 0 ? EXIT_FAILURE : r;
}
