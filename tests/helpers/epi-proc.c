/* SPDX-License-Identifier: GPL-2.0-or-later */
/* epi-proc — process shapes for the corral-epilogue tests and benchmark.
 * Run as root; every shape that runs user code drops to --uid first (which
 * must be a test uid, 61000-61999) so nothing here can ever act as another
 * user.
 *
 *   epi-proc reaper [--name COMM] PIDFILE -- CMD...
 *        a child subreaper (PID 1 here reaps nothing): runs CMD, reaps every
 *        orphan below it, writes its pid to PIDFILE; renamed to COMM (e.g.
 *        "pbs_mom" to play a mom whose children lead job sessions)
 *   epi-proc sleeper --uid U [--setsid] [--double-fork] [--comm NAME] [--nodump]
 *        one sleeping process (optionally in a new session, or orphaned by a
 *        double fork, or renamed); prints the sleeper's pid
 *   epi-proc bomb --uid U --nproc N
 *        a fork bomb capped by RLIMIT_NPROC=N: every process forks two
 *        children and exits, forever; prints nothing
 *   epi-proc respawner --uid U
 *        ignores SIGTERM, restarts its child when it dies; the child makes a
 *        new parent when the parent dies
 *   epi-proc zombie-leader --uid U
 *        a process whose main thread called pthread_exit(): its /proc entry
 *        says Z (zombie) while a second thread runs on; prints its pid
 *   epi-proc vfork --uid U
 *        a parent blocked in vfork() (state D, killable) under a child that
 *        never execs; prints the parent's pid
 *   epi-proc listen --uid U --port P --unix PATH [--no-ipv6]
 *        a double-forked daemon listening on TCP 127.0.0.1:P, TCP [::1]:P
 *        (not with --no-ipv6: a host without IPv6), UDP 127.0.0.1:P and the
 *        unix socket PATH; prints its pid once ready
 *   epi-proc bench --uid U --jobs J --per-job N --orphans M [--cgroup-dir D]
 *        J running "jobs" (sessions led by children of this process, renamed
 *        pbs_mom, each in cgroup D/job-J if asked) of N processes each and
 *        M orphans of an ended job; prints
 *        "sessions S1,S2,..." then "ready", then reaps until killed
 *   epi-proc leftovers --uid U --trees N --port P [--other-uid U2
 *            --other-procs M --cgroup-dir D]
 *        the leftovers of one user spread over many small trees, below
 *        this process (a subreaper renamed "slurmd"): N trees, in turn a
 *        double-forked daemon with 3 workers, a setsid'd session (leader,
 *        2 children, a grandchild in its own process group) and a nohup'd
 *        pair (SIGHUP ignored, both exec sleep); one double-forked daemon
 *        listening on TCP 127.0.0.1:P; a respawner pair (each restarts
 *        the other when it dies); and, with --other-uid, another user's
 *        running job of M processes in the cgroup D/job-other. Prints
 *        "total T" (the processes of U) then "ready", then reaps until
 *        killed */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static uid_t opt_uid = 0;
static int opt_nproc = 0;
static bool opt_setsid = false, opt_double = false, opt_nodump = false;
static const char *opt_comm = NULL, *opt_unix = NULL, *opt_name = NULL, *opt_cgroup_dir = NULL;
static bool opt_no_ipv6 = false;
static int opt_port = 0, opt_jobs = 0, opt_per_job = 0, opt_orphans = 0;
static int opt_trees = 0, opt_other_procs = 0;
static uid_t opt_other_uid = 0;

static void die(const char *what) {
        fprintf(stderr, "epi-proc: %s: %s\n", what, strerror(errno));
        exit(3);
}

static void drop_to_user(void) {
        if (opt_uid < 61000 || opt_uid > 61999) {
                fprintf(stderr, "epi-proc: --uid must be a test uid (61000-61999)\n");
                exit(2);
        }
        if (opt_nproc > 0) {
                struct rlimit rl = { (rlim_t) opt_nproc, (rlim_t) opt_nproc };
                if (setrlimit(RLIMIT_NPROC, &rl) < 0)
                        die("setrlimit");
        }
        if (setgroups(0, NULL) < 0 || setresgid(opt_uid, opt_uid, opt_uid) < 0 ||
            setresuid(opt_uid, opt_uid, opt_uid) < 0)
                die("drop privileges");
}

static void sleep_forever(void) {
        for (;;)
                pause();
}

static int cmd_reaper(char **argv) {
        const char *pidfile = argv[0];
        pid_t child;
        FILE *f;

        if (!pidfile || !argv[1] || strcmp(argv[1], "--") != 0 || !argv[2]) {
                fprintf(stderr, "usage: epi-proc reaper [--name COMM] PIDFILE -- CMD...\n");
                return 2;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die("PR_SET_CHILD_SUBREAPER");
        if (opt_name)
                (void) prctl(PR_SET_NAME, opt_name);
        f = fopen(pidfile, "we");
        if (!f)
                die("pidfile");
        fprintf(f, "%d\n", (int) getpid());
        fclose(f);
        child = fork();
        if (child < 0)
                die("fork");
        if (child == 0) {
                execvp(argv[2], argv + 2);
                die("exec");
        }
        /* reap forever: orphans keep arriving until the test kills us */
        for (;;) {
                if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
                        (void) pause();
        }
}

static int cmd_sleeper(void) {
        int p[2];
        pid_t pid;

        if (pipe(p) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(p[0]);
                drop_to_user();
                if (opt_setsid && setsid() < 0)
                        die("setsid");
                if (opt_double) {
                        pid_t g = fork();
                        if (g < 0)
                                die("fork");
                        if (g > 0)
                                _exit(0); /* the grandchild is orphaned */
                }
                if (opt_comm)
                        (void) prctl(PR_SET_NAME, opt_comm);
                /* non-dumpable: its /proc/PID is root's, hiding its uid
                 * from a stat(2) of the directory */
                if (opt_nodump)
                        (void) prctl(PR_SET_DUMPABLE, 0);
                dprintf(p[1], "%d\n", (int) getpid());
                close(p[1]);
                for (int fd = 0; fd < 3; fd++) {
                        close(fd);
                        (void) open("/dev/null", O_RDWR);
                }
                sleep_forever();
        }
        close(p[1]);
        char buf[32] = "";
        ssize_t k = read(p[0], buf, sizeof buf - 1);
        if (k <= 0)
                return 1;
        buf[k] = '\0';
        fputs(buf, stdout);
        if (!opt_double)
                return 0;
        (void) waitpid(pid, NULL, 0);
        return 0;
}

static int cmd_bomb(void) {
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid > 0)
                return 0;
        drop_to_user();
        (void) setsid();
        for (int fd = 0; fd < 3; fd++) {
                close(fd);
                (void) open("/dev/null", O_RDWR);
        }
        /* every process makes two children and leaves: the population churns
         * at the RLIMIT_NPROC cap, PIDs change all the time */
        for (;;) {
                int made = 0;
                while (made < 2) {
                        pid_t c = fork();
                        if (c == 0) {
                                made = 0;
                                usleep(2000);
                                continue;
                        }
                        if (c > 0)
                                made++;
                        else
                                usleep(5000);
                }
                _exit(0);
        }
}

static void respawn_loop(void);

static void on_parent_death(int sig) {
        (void) sig;
        /* the parent died: become the respawner ourselves */
        pid_t c = fork();
        if (c == 0)
                respawn_loop();
}

static void child_loop(void) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGUSR1, on_parent_death);
        (void) prctl(PR_SET_PDEATHSIG, SIGUSR1);
        sleep_forever();
}

static void respawn_loop(void) {
        signal(SIGTERM, SIG_IGN);
        for (;;) {
                pid_t c = fork();
                if (c == 0)
                        child_loop();
                if (c < 0) {
                        usleep(10000);
                        continue;
                }
                (void) waitpid(c, NULL, 0);
        }
}

static int cmd_respawner(void) {
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid > 0) {
                printf("%d\n", (int) pid);
                return 0;
        }
        drop_to_user();
        (void) setsid();
        for (int fd = 0; fd < 3; fd++) {
                close(fd);
                (void) open("/dev/null", O_RDWR);
        }
        respawn_loop();
        return 0;
}

static void *thread_sleep(void *arg) {
        (void) arg;
        sleep_forever();
        return NULL;
}

/* fork, drop to the user, detach; then run body in the child */
static int detached(void (*body)(int ready_fd)) {
        int p[2];
        pid_t pid;
        char buf[32] = "";
        ssize_t k;

        if (pipe(p) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(p[0]);
                drop_to_user();
                (void) setsid();
                if (fork() != 0)
                        _exit(0);
                for (int fd = 0; fd < 3; fd++) {
                        close(fd);
                        (void) open("/dev/null", O_RDWR);
                }
                body(p[1]);
                _exit(0);
        }
        close(p[1]);
        k = read(p[0], buf, sizeof buf - 1);
        (void) waitpid(pid, NULL, 0);
        if (k <= 0)
                return 1;
        buf[k] = '\0';
        fputs(buf, stdout);
        return 0;
}

static void zombie_leader_body(int ready_fd) {
        pthread_t th;
        if (pthread_create(&th, NULL, thread_sleep, NULL) != 0)
                _exit(1);
        dprintf(ready_fd, "%d\n", (int) getpid());
        close(ready_fd);
        pthread_exit(NULL);
}

static void vfork_body(int ready_fd) {
        dprintf(ready_fd, "%d\n", (int) getpid());
        close(ready_fd);
        /* the child shares our memory and never execs or exits: we stay
         * in vfork(), uninterruptible (killable) */
        pid_t c = vfork();
        if (c == 0)
                for (;;)
                        pause();
        sleep_forever();
}

static int listen_on(int family, int type, int port) {
        int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;
        if (fd < 0)
                die("socket");
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET) {
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0)
                        die("bind v4");
        } else {
                struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port) };
                a.sin6_addr = in6addr_loopback;
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
                if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0)
                        die("bind v6");
        }
        if (type == SOCK_STREAM && listen(fd, 5) < 0)
                die("listen");
        return fd;
}

static int cmd_listen(void) {
        int p[2];
        pid_t pid;

        if (pipe(p) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(p[0]);
                drop_to_user();
                (void) setsid();
                if (fork() != 0)
                        _exit(0);
                (void) prctl(PR_SET_NAME, "backdoor");
                (void) listen_on(AF_INET, SOCK_STREAM, opt_port);
                if (!opt_no_ipv6)
                        (void) listen_on(AF_INET6, SOCK_STREAM, opt_port);
                (void) listen_on(AF_INET, SOCK_DGRAM, opt_port);
                if (opt_unix) {
                        struct sockaddr_un a = { .sun_family = AF_UNIX };
                        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        snprintf(a.sun_path, sizeof a.sun_path, "%s", opt_unix);
                        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) < 0 || listen(fd, 5) < 0)
                                die("unix listen");
                }
                dprintf(p[1], "%d\n", (int) getpid());
                close(p[1]);
                for (int fd = 0; fd < 3; fd++) {
                        close(fd);
                        (void) open("/dev/null", O_RDWR);
                }
                sleep_forever();
        }
        close(p[1]);
        char buf[32] = "";
        ssize_t k = read(p[0], buf, sizeof buf - 1);
        (void) waitpid(pid, NULL, 0);
        if (k <= 0)
                return 1;
        buf[k] = '\0';
        fputs(buf, stdout);
        return 0;
}

/* A job: a session leader (child of us, the "pbs_mom") with n-1 children,
 * in the cgroup DIR/job-J when --cgroup-dir is given. */
static pid_t spawn_job(int n, bool leader_exits, int ready_fd, int j) {
        pid_t leader = fork();
        if (leader < 0)
                die("fork");
        if (leader > 0)
                return leader;
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setsid() < 0)
                die("setsid");
        if (opt_cgroup_dir && !leader_exits) {
                char path[4096];
                FILE *f;
                snprintf(path, sizeof path, "%s/job-%d", opt_cgroup_dir, j);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        die("mkdir cgroup");
                snprintf(path, sizeof path, "%s/job-%d/cgroup.procs", opt_cgroup_dir, j);
                f = fopen(path, "we");
                if (!f || fprintf(f, "%d\n", (int) getpid()) < 0 || fclose(f) != 0)
                        die("join cgroup");
        }
        drop_to_user();
        (void) prctl(PR_SET_NAME, leader_exits ? "ended-job" : "job-shell");
        for (int i = 0; i < n - (leader_exits ? 0 : 1); i++) {
                pid_t c = fork();
                if (c < 0)
                        die("fork");
                if (c == 0) {
                        close(ready_fd);
                        (void) prctl(PR_SET_NAME, leader_exits ? "orphan" : "job-task");
                        sleep_forever();
                }
        }
        if (write(ready_fd, "x", 1) != 1)
                _exit(1);
        close(ready_fd);
        if (leader_exits)
                _exit(0);
        sleep_forever();
        return 0;
}

static int cmd_bench(void) {
        int p[2], total = opt_jobs + 1;
        char c;

        if (opt_uid < 61000 || opt_uid > 61999)
                return 2;
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die("PR_SET_CHILD_SUBREAPER");
        (void) prctl(PR_SET_NAME, "pbs_mom");
        if (pipe(p) < 0)
                die("pipe");
        printf("sessions ");
        for (int j = 0; j < opt_jobs; j++)
                printf("%s%d", j ? "," : "", (int) spawn_job(opt_per_job, false, p[1], j));
        printf("\n");
        (void) spawn_job(opt_orphans, true, p[1], opt_jobs);
        close(p[1]);
        for (int i = 0; i < total; i++)
                if (read(p[0], &c, 1) != 1)
                        die("ready");
        printf("ready\n");
        fflush(stdout);
        for (;;)
                if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
                        pause();
}

/* ---- leftovers: many small trees of one user ---- */

static void ready_byte(int fd) {
        if (write(fd, "x", 1) != 1)
                _exit(1);
}

static void quiet_stdio(void) {
        for (int fd = 0; fd < 3; fd++) {
                close(fd);
                (void) open("/dev/null", O_RDWR);
        }
}

static void exec_sleep(void) {
        execl("/bin/sleep", "sleep", "100000", (char *) NULL);
        sleep_forever();
}

/* a double-forked daemon (reparented to us) with 3 workers: 4 processes */
static void tree_daemon(int ready_fd) {
        if (setsid() < 0 || fork() != 0)
                _exit(0);
        (void) prctl(PR_SET_NAME, "daemon");
        for (int i = 0; i < 3; i++)
                if (fork() == 0) {
                        (void) prctl(PR_SET_NAME, "worker");
                        ready_byte(ready_fd);
                        close(ready_fd);
                        sleep_forever();
                }
        ready_byte(ready_fd);
        close(ready_fd);
        sleep_forever();
}

/* a setsid'd session: leader, 2 children, a grandchild in its own
 * process group: 4 processes */
static void tree_session(int ready_fd) {
        (void) setsid();
        (void) prctl(PR_SET_NAME, "session");
        for (int i = 0; i < 2; i++)
                if (fork() == 0) {
                        if (i == 1 && fork() == 0) {
                                (void) setpgid(0, 0);
                                (void) prctl(PR_SET_NAME, "bg-job");
                                ready_byte(ready_fd);
                                close(ready_fd);
                                sleep_forever();
                        }
                        (void) prctl(PR_SET_NAME, "shell-job");
                        ready_byte(ready_fd);
                        close(ready_fd);
                        sleep_forever();
                }
        ready_byte(ready_fd);
        close(ready_fd);
        sleep_forever();
}

/* nohup'd: SIGHUP ignored, a child, both exec sleep: 2 processes */
static void tree_nohup(int ready_fd) {
        signal(SIGHUP, SIG_IGN);
        if (fork() == 0) {
                ready_byte(ready_fd);
                close(ready_fd);
                exec_sleep();
        }
        ready_byte(ready_fd);
        close(ready_fd);
        exec_sleep();
}

static void tree_listener(int ready_fd) {
        if (setsid() < 0 || fork() != 0)
                _exit(0);
        (void) prctl(PR_SET_NAME, "backdoor");
        (void) listen_on(AF_INET, SOCK_STREAM, opt_port);
        ready_byte(ready_fd);
        close(ready_fd);
        sleep_forever();
}

static void tree_respawner(int ready_fd) {
        (void) setsid();
        ready_byte(ready_fd);
        ready_byte(ready_fd); /* and its child, made right away */
        close(ready_fd);
        respawn_loop();
}

/* forks a child that drops to --uid and runs body */
static void spawn_tree(void (*body)(int ready_fd), int ready_fd) {
        pid_t c = fork();
        if (c < 0)
                die("fork");
        if (c == 0) {
                drop_to_user();
                quiet_stdio();
                body(ready_fd);
                _exit(0);
        }
}

static int cmd_leftovers(void) {
        int p[2], expected = 0, total_user = 0;
        char buf[256];

        if (opt_uid < 61000 || opt_uid > 61999 || opt_trees <= 0 || opt_port <= 0)
                return 2;
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                die("PR_SET_CHILD_SUBREAPER");
        (void) prctl(PR_SET_NAME, "slurmd");
        if (pipe(p) < 0)
                die("pipe");
        if (opt_other_uid) {
                /* another user's running job, in its own cgroup */
                pid_t c = fork();
                if (c < 0)
                        die("fork");
                if (c == 0) {
                        if (opt_cgroup_dir) {
                                char path[4096];
                                FILE *f;
                                snprintf(path, sizeof path, "%s/job-other", opt_cgroup_dir);
                                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                                        die("mkdir cgroup");
                                snprintf(path, sizeof path, "%s/job-other/cgroup.procs", opt_cgroup_dir);
                                f = fopen(path, "we");
                                if (!f || fprintf(f, "%d\n", (int) getpid()) < 0 || fclose(f) != 0)
                                        die("join cgroup");
                        }
                        opt_uid = opt_other_uid;
                        drop_to_user();
                        quiet_stdio();
                        (void) setsid();
                        (void) prctl(PR_SET_NAME, "running-job");
                        for (int i = 1; i < opt_other_procs; i++)
                                if (fork() == 0) {
                                        ready_byte(p[1]);
                                        close(p[1]);
                                        sleep_forever();
                                }
                        ready_byte(p[1]);
                        close(p[1]);
                        sleep_forever();
                }
                expected += opt_other_procs > 0 ? opt_other_procs : 1;
        }
        for (int i = 0; i < opt_trees; i++) {
                static void (*const kinds[])(int) = { tree_daemon, tree_session, tree_nohup };
                static const int sizes[] = { 4, 4, 2 };
                spawn_tree(kinds[i % 3], p[1]);
                expected += sizes[i % 3];
                total_user += sizes[i % 3];
                /* reap the double forks' middle processes as we go */
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
        spawn_tree(tree_listener, p[1]);
        spawn_tree(tree_respawner, p[1]);
        expected += 3;
        total_user += 3;
        close(p[1]);
        for (int got = 0; got < expected;) {
                ssize_t k = read(p[0], buf, sizeof buf);
                if (k <= 0)
                        die("ready");
                got += (int) k;
        }
        printf("total %d\nready\n", total_user);
        fflush(stdout);
        for (;;)
                if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
                        pause();
}

int main(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : "";
        int i = 2;

        for (; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--uid") && v)
                        opt_uid = (uid_t) atoi(v), i++;
                else if (!strcmp(a, "--nproc") && v)
                        opt_nproc = atoi(v), i++;
                else if (!strcmp(a, "--comm") && v)
                        opt_comm = v, i++;
                else if (!strcmp(a, "--name") && v)
                        opt_name = v, i++;
                else if (!strcmp(a, "--port") && v)
                        opt_port = atoi(v), i++;
                else if (!strcmp(a, "--no-ipv6"))
                        opt_no_ipv6 = true;
                else if (!strcmp(a, "--unix") && v)
                        opt_unix = v, i++;
                else if (!strcmp(a, "--jobs") && v)
                        opt_jobs = atoi(v), i++;
                else if (!strcmp(a, "--per-job") && v)
                        opt_per_job = atoi(v), i++;
                else if (!strcmp(a, "--cgroup-dir") && v)
                        opt_cgroup_dir = v, i++;
                else if (!strcmp(a, "--orphans") && v)
                        opt_orphans = atoi(v), i++;
                else if (!strcmp(a, "--trees") && v)
                        opt_trees = atoi(v), i++;
                else if (!strcmp(a, "--other-uid") && v)
                        opt_other_uid = (uid_t) atoi(v), i++;
                else if (!strcmp(a, "--other-procs") && v)
                        opt_other_procs = atoi(v), i++;
                else if (!strcmp(a, "--setsid"))
                        opt_setsid = true;
                else if (!strcmp(a, "--double-fork"))
                        opt_double = true;
                else if (!strcmp(a, "--nodump"))
                        opt_nodump = true;
                else
                        break;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(cmd, "reaper"))
                return cmd_reaper(argv + i);
        if (!strcmp(cmd, "sleeper"))
                return cmd_sleeper();
        if (!strcmp(cmd, "bomb"))
                return cmd_bomb();
        if (!strcmp(cmd, "respawner"))
                return cmd_respawner();
        if (!strcmp(cmd, "listen"))
                return cmd_listen();
        if (!strcmp(cmd, "zombie-leader"))
                return detached(zombie_leader_body);
        if (!strcmp(cmd, "vfork"))
                return detached(vfork_body);
        if (!strcmp(cmd, "bench"))
                return cmd_bench();
        if (!strcmp(cmd, "leftovers"))
                return cmd_leftovers();
        fprintf(stderr, "usage: epi-proc reaper|sleeper|bomb|respawner|zombie-leader|vfork|listen|bench|leftovers ... "
                        "(see the source)\n");
        return 2;
}
