/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/bench/spawn.c — what starting a process costs from a process the
 * size of corrald's root helper, and from a small one (tests/bench/spawn.sh,
 * make bench; figures in docs/BENCHMARKS.md, "fork, spawn or a server").
 *
 *   spawn [-n N] [-m MB] [-p PROGRAM] [-k PAGES]
 *
 * The "big" process (this one) first starts the "small" one (a fork made
 * before anything else is touched: a pre-forked server of about 1 MB), then
 * touches MB MiB of heap (default 8: corrald's root helper has 5-14 MB
 * resident) and times, N times each, interleaved in rounds so that a change
 * of load on a shared machine hits every variant alike:
 *
 *   big   fork+_exit         fork(), the child _exit()s, waitpid(): the
 *                            built-in launcher's fork, before its work
 *   big   fork+dirty+_exit   the same, the child writes PAGES pages of the
 *                            heap first (copy-on-write faults, as the
 *                            built-in launcher's code does)
 *   big   fork+exec          fork(), execv(PROGRAM), waitpid(): --launch
 *                            PATH before this change
 *   big   posix_spawn        posix_spawn(PROGRAM) (glibc: clone(CLONE_VM |
 *                            CLONE_VFORK)), waitpid()
 *   big   vfork-clone+exec   clone(CLONE_VM | CLONE_VFORK) on a stack of
 *                            ours, execv(PROGRAM), waitpid()
 *   small fork+_exit         the same in the small process: what a
 *                            pre-forked launcher server pays per fork
 *   small fork+dirty+_exit   (with PAGES pages of its own heap)
 *   small fork+exec
 *   small posix_spawn
 *   big->small round trip    a request over a socket, the small process
 *                            forks a child that _exit()s, reaps it, answers
 *   floor vfork+_exit        vfork() in the small process, the child
 *                            _exit()s at once: no page tables copied, no
 *                            exec; what creating and reaping a process
 *                            costs the kernel at least
 *
 * Each line: the median wall time of one (start to reaped), the CPU time
 * of one (the starting process and its reaped children, user + system,
 * mean), both as a ratio to "big fork+exec", and the page faults of one
 * (both processes, mean): on a paravirtualised guest each fault and each
 * TLB flush is a trip to the hypervisor, and they, not the size of the
 * page tables, make the difference. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
        V_FORK,
        V_FORK_DIRTY,
        V_FORK_EXEC,
        V_SPAWN,
        V_CLONE_VFORK,
        V_FLOOR,
        _V_LOCAL,
};

static const char *const local_names[_V_LOCAL] = {
        [V_FORK] = "fork+_exit",   [V_FORK_DIRTY] = "fork+dirty+_exit",  [V_FORK_EXEC] = "fork+exec",
        [V_SPAWN] = "posix_spawn", [V_CLONE_VFORK] = "vfork-clone+exec", [V_FLOOR] = "vfork+_exit",
};

static const char *program = "/bin/true";
static unsigned char *heap;
static size_t heap_len, dirty_pages = 64;
static long page_size;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv) {
        return (uint64_t) tv.tv_sec * 1000000000u + (uint64_t) tv.tv_usec * 1000u;
}

/* CPU of this process and of its reaped children, user + system; their
 * page faults */
static uint64_t cpu_ns(uint64_t *faults) {
        struct rusage s, c;
        getrusage(RUSAGE_SELF, &s);
        getrusage(RUSAGE_CHILDREN, &c);
        *faults = (uint64_t) (s.ru_minflt + s.ru_majflt + c.ru_minflt + c.ru_majflt);
        return tv_ns(s.ru_utime) + tv_ns(s.ru_stime) + tv_ns(c.ru_utime) + tv_ns(c.ru_stime);
}

static void die(const char *what) {
        fprintf(stderr, "spawn: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static void reap(pid_t pid) {
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "spawn: a child failed (status 0x%x): is %s executable?\n", status, program);
                exit(EXIT_FAILURE);
        }
}

static void touch(unsigned char *p, size_t len, size_t pages) {
        for (size_t i = 0; i < pages && i * (size_t) page_size < len; i++)
                p[i * (size_t) page_size]++;
}

static int clone_child(void *arg) {
        char *argv[] = { (char *) program, NULL };
        execve(program, argv, environ);
        _exit(127);
}

/* One start of a process, the variant v; returns when it is reaped. */
static void one(int v) {
        char *argv[] = { (char *) program, NULL };
        pid_t pid;

        switch (v) {
        case V_FORK:
        case V_FORK_DIRTY:
        case V_FORK_EXEC:
                pid = fork();
                if (pid < 0)
                        die("fork");
                if (pid == 0) {
                        if (v == V_FORK_DIRTY)
                                touch(heap, heap_len, dirty_pages);
                        if (v == V_FORK_EXEC)
                                execve(program, argv, environ);
                        _exit(v == V_FORK_EXEC ? 127 : 0);
                }
                /* the parent goes on using its memory: the same pages, now
                 * shared, are copied on its side too */
                if (v == V_FORK_DIRTY)
                        touch(heap, heap_len, dirty_pages);
                break;
        case V_SPAWN:
                errno = posix_spawn(&pid, program, NULL, NULL, argv, environ);
                if (errno)
                        die("posix_spawn");
                break;
        case V_CLONE_VFORK: {
                static char stack[64 * 1024] __attribute__((aligned(16)));
                pid = clone(clone_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
                if (pid < 0)
                        die("clone");
                break;
        }
        case V_FLOOR:
                pid = vfork();
                if (pid < 0)
                        die("vfork");
                if (pid == 0)
                        _exit(0);
                break;
        default:
                abort();
        }
        reap(pid);
}

/* ---- the small process: one request (a variant's number) at a time,
 * answered with the wall and CPU time it took ---- */

typedef struct {
        uint64_t wall, cpu, faults;
} Sample;

static _Noreturn void small_server(int fd) {
        unsigned char v;
        /* a heap of its own for the dirty variant */
        heap_len = (dirty_pages + 1) * (size_t) page_size;
        heap = malloc(heap_len);
        if (!heap)
                die("malloc");
        memset(heap, 1, heap_len);
        while (read(fd, &v, 1) == 1) {
                uint64_t f0, f1, c0 = cpu_ns(&f0), t0 = now_ns();
                one(v);
                uint64_t t1 = now_ns(), c1 = cpu_ns(&f1);
                Sample s = { t1 - t0, c1 - c0, f1 - f0 };
                if (write(fd, &s, sizeof s) != sizeof s)
                        die("write");
        }
        _exit(0);
}

static Sample ask_small(int fd, int v) {
        unsigned char b = (unsigned char) v;
        Sample s;
        if (write(fd, &b, 1) != 1 || read(fd, &s, sizeof s) != sizeof s)
                die("the small process");
        return s;
}

/* ---- the table ---- */

typedef struct {
        const char *where, *what;
        uint64_t *wall, *cpu;
        uint64_t faults;
        size_t n;
} Row;

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static double median_us(uint64_t *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_u64);
        return (n % 2 ? (double) v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
}

static double mean_us(const uint64_t *v, size_t n) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += (double) v[i];
        return sum / (double) n / 1000.0;
}

static long status_kb(const char *key) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long kb = -1;
        size_t len = strlen(key);
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, key, len) == 0 && line[len] == ':')
                        kb = strtol(line + len + 1, NULL, 10);
        fclose(f);
        return kb;
}

int main(int argc, char **argv) {
        size_t n = 500, mb = 8, rounds = 10;
        int opt, sv[2];

        page_size = sysconf(_SC_PAGESIZE);
        while ((opt = getopt(argc, argv, "n:m:p:k:")) != -1)
                switch (opt) {
                case 'n':
                        n = strtoul(optarg, NULL, 10);
                        break;
                case 'm':
                        mb = strtoul(optarg, NULL, 10);
                        break;
                case 'p':
                        program = optarg;
                        break;
                case 'k':
                        dirty_pages = strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: spawn [-n N] [-m MB] [-p PROGRAM] [-k PAGES]\n");
                        return 2;
                }
        if (n < rounds)
                n = rounds;
        n -= n % rounds;
        if (access(program, X_OK) < 0)
                die(program);

        /* the small process, forked before the heap is touched */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                die("socketpair");
        pid_t small = fork();
        if (small < 0)
                die("fork");
        if (small == 0) {
                close(sv[0]);
                small_server(sv[1]);
        }
        close(sv[1]);

        /* the big one: MB MiB of heap, every page written (anonymous memory
         * whose page tables fork() copies) */
        heap_len = mb << 20;
        heap = malloc(heap_len);
        if (!heap)
                die("malloc");
        memset(heap, 1, heap_len);

        enum { R_BIG = 0, R_SMALL = 5, R_TRIP = 9, R_FLOOR = 10, _R_MAX = 11 };
        static const int big_variants[] = { V_FORK, V_FORK_DIRTY, V_FORK_EXEC, V_SPAWN, V_CLONE_VFORK };
        static const int small_variants[] = { V_FORK, V_FORK_DIRTY, V_FORK_EXEC, V_SPAWN };
        Row rows[_R_MAX];
        for (int r = 0; r < _R_MAX; r++) {
                rows[r] = (Row){ .wall = calloc(n, sizeof(uint64_t)), .cpu = calloc(n, sizeof(uint64_t)) };
                if (!rows[r].wall || !rows[r].cpu)
                        die("calloc");
        }
        for (int i = 0; i < 5; i++)
                rows[R_BIG + i].where = "big", rows[R_BIG + i].what = local_names[big_variants[i]];
        for (int i = 0; i < 4; i++)
                rows[R_SMALL + i].where = "small", rows[R_SMALL + i].what = local_names[small_variants[i]];
        rows[R_TRIP].where = "big->small";
        rows[R_TRIP].what = "round trip, fork+_exit";
        rows[R_FLOOR].where = "floor";
        rows[R_FLOOR].what = local_names[V_FLOOR];

        /* one of each first, not counted (the program in the page cache) */
        for (int i = 0; i < 5; i++)
                one(big_variants[i]);
        for (int i = 0; i < 4; i++)
                (void) ask_small(sv[0], small_variants[i]);

        for (size_t round = 0; round < rounds; round++)
                for (int r = 0; r < _R_MAX; r++)
                        for (size_t k = 0; k < n / rounds; k++) {
                                Row *row = &rows[r];
                                Sample s;
                                if (r < R_SMALL) {
                                        uint64_t f0, f1, c0 = cpu_ns(&f0), t0 = now_ns();
                                        one(big_variants[r - R_BIG]);
                                        uint64_t t1 = now_ns(), c1 = cpu_ns(&f1);
                                        s = (Sample){ t1 - t0, c1 - c0, f1 - f0 };
                                } else if (r < R_TRIP) {
                                        s = ask_small(sv[0], small_variants[r - R_SMALL]);
                                } else if (r == R_TRIP) {
                                        uint64_t t0 = now_ns();
                                        s = ask_small(sv[0], V_FORK);
                                        s.wall = now_ns() - t0; /* the server's CPU: s.cpu */
                                } else {
                                        s = ask_small(sv[0], V_FLOOR);
                                }
                                row->wall[row->n] = s.wall;
                                row->cpu[row->n] = s.cpu;
                                row->faults += s.faults;
                                row->n++;
                        }

        long rss = status_kb("VmRSS"), anon = status_kb("RssAnon"), pte = status_kb("VmPTE");
        close(sv[0]);
        reap(small);

        double ref_wall = 0, ref_cpu = 0;
        {
                Row *ref = &rows[R_BIG + 2]; /* big fork+exec */
                ref_cpu = mean_us(ref->cpu, ref->n);
                ref_wall = median_us(ref->wall, ref->n);
        }
        printf("process start, %zu each (%zu rounds), program %s; big: RSS %.1f MB (anonymous %.1f MB, page "
               "tables %ld kB); dirty: %zu pages\n",
               n, rounds, program, rss / 1024.0, anon / 1024.0, pte, dirty_pages);
        printf("  %-11s %-24s %10s %7s %10s %7s %7s\n", "from", "what", "wall (us)", "ratio", "CPU (us)", "ratio",
               "faults");
        for (int r = 0; r < _R_MAX; r++) {
                double cpu = mean_us(rows[r].cpu, rows[r].n), wall = median_us(rows[r].wall, rows[r].n);
                printf("  %-11s %-24s %10.1f %7.2f %10.1f %7.2f %7.1f\n", rows[r].where, rows[r].what, wall,
                       wall / ref_wall, cpu, cpu / ref_cpu, (double) rows[r].faults / (double) rows[r].n);
        }
        printf("  (wall: median, start to reaped; CPU: mean, the starting process and its children, "
               "user+system; faults: mean page faults of both; ratios to big fork+exec)\n");
        return 0;
}
