/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kill.c — steps 1, 2, 3 and 5 of the epilogue: snapshot /proc, classify
 * (targets.c), then kill without races:
 *
 *   stop rounds   every target is pidfd_open()ed and its /proc inode
 *                 checked again (a recycled PID is never signalled), its
 *                 real uid read again through the pidfd and judged again,
 *                 its ancestors noted with their state, then SIGSTOPped.
 *                 Re-scan: new targets (children forked before their parent
 *                 stopped) are stopped too, and victims that someone
 *                 SIGCONTed are stopped again, until a scan finds nothing
 *                 new. A stopped process cannot fork, so a fork bomb or a
 *                 respawner cannot outrun this.
 *   listeners     the stopped victims' listening sockets are reported (they
 *                 still hold them).
 *   kill          SIGKILL through every pidfd.
 *   verify        wait for the pidfds to report exit, re-scan, and repeat
 *                 stop+kill for anything new, until nothing is left or the
 *                 deadline passes. What is left is a survivor; one in D
 *                 state is reported as unkillable.
 *   continue      noted ancestors that are no targets and stopped
 *                 themselves when a victim below them stopped (su,
 *                 runuser, sudo) are SIGCONTed (continue_collateral()).
 *
 * A stop-round re-scan is skipped when it could not find anything: the last
 * PID the kernel handed out (/proc/loadavg) is read before each snapshot,
 * and if it has not moved, no process was created on the node since. On a
 * quiet node that saves a full /proc scan (~25 ms with 10,000 processes).
 * The verification always re-scans, after the victims exited; it classifies
 * only the processes that were not in the previous table (see
 * anything_new()).
 *
 * Victims are remembered by (pid, start time) in a small hash. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "epilogue.h"
#include "log.h"
#include "parse.h"

typedef struct Victim {
        pid_t pid;
        uint64_t start_time;
        int pidfd;
        uid_t uid;
        char state;
        bool killed, dead, held, failed;
        char comm[PROC_COMM_MAX];
        char *cmdline;
        char *reason;
        int error;
} Victim;

typedef struct Victims {
        Victim *v;
        size_t n, cap;
        size_t *hash; /* index+1, 0 = empty; capacity hcap (power of 2) */
        size_t hcap;
} Victims;

static uint64_t now_usec(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static size_t hash_slot(const Victims *vs, pid_t pid, uint64_t start) {
        uint64_t h = ((uint64_t) (uint32_t) pid * 0x9E3779B97F4A7C15ULL) ^ (start * 0xC2B2AE3D27D4EB4FULL);
        return (size_t) (h >> 17) & (vs->hcap - 1);
}

static Victim *victims_find(const Victims *vs, pid_t pid, uint64_t start) {
        if (vs->hcap == 0)
                return NULL;
        for (size_t i = hash_slot(vs, pid, start);; i = (i + 1) & (vs->hcap - 1)) {
                size_t k = vs->hash[i];
                if (k == 0)
                        return NULL;
                if (vs->v[k - 1].pid == pid && vs->v[k - 1].start_time == start)
                        return &vs->v[k - 1];
        }
}

static int victims_rehash(Victims *vs, size_t hcap) {
        size_t *h = calloc(hcap, sizeof *h);
        if (!h)
                return -ENOMEM;
        free(vs->hash);
        vs->hash = h;
        vs->hcap = hcap;
        for (size_t k = 0; k < vs->n; k++) {
                size_t i = hash_slot(vs, vs->v[k].pid, vs->v[k].start_time);
                while (vs->hash[i])
                        i = (i + 1) & (hcap - 1);
                vs->hash[i] = k + 1;
        }
        return 0;
}

static Victim *victims_add(Victims *vs, const ProcEntry *e) {
        if (vs->n == vs->cap) {
                size_t cap = vs->cap ? vs->cap * 2 : 256;
                Victim *n = realloc(vs->v, cap * sizeof *n);
                if (!n)
                        return NULL;
                vs->v = n;
                vs->cap = cap;
        }
        if ((vs->n + 1) * 2 > vs->hcap && victims_rehash(vs, vs->hcap ? vs->hcap * 2 : 1024) < 0)
                return NULL;
        Victim *x = &vs->v[vs->n];
        *x = (Victim){ .pid = e->pid, .start_time = e->start_time, .pidfd = -1, .uid = e->uid, .state = e->state };
        memcpy(x->comm, e->comm, sizeof x->comm);
        size_t i = hash_slot(vs, e->pid, e->start_time);
        while (vs->hash[i])
                i = (i + 1) & (vs->hcap - 1);
        vs->hash[i] = ++vs->n;
        return x;
}

static void victims_done(Victims *vs) {
        for (size_t i = 0; i < vs->n; i++) {
                if (vs->v[i].pidfd >= 0)
                        (void) close(vs->v[i].pidfd);
                free(vs->v[i].cmdline);
                free(vs->v[i].reason);
        }
        free(vs->v);
        free(vs->hash);
        *vs = (Victims){};
}

/* Has the victim exited? (pidfd readable = exited; a zombie counts.) */
static bool victim_exited(Victim *x) {
        struct pollfd p = { .fd = x->pidfd, .events = POLLIN };
        if (x->dead)
                return true;
        if (x->pidfd < 0)
                return false;
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
                x->dead = true;
        return x->dead;
}

static void add_busy(uid_t **busy, size_t *n, uid_t uid) {
        for (size_t i = 0; i < *n; i++)
                if ((*busy)[i] == uid)
                        return;
        uid_t *b = realloc(*busy, (*n + 1) * sizeof *b);
        if (!b)
                return;
        b[(*n)++] = uid;
        *busy = b;
}

/* A process that is no target but may stop itself when a victim below it
 * stops (util-linux su and runuser, sudo: they stop themselves when their
 * child stops, and wait for a SIGCONT that a killed child never sends).
 * Every ancestor of a victim is noted, with its state, before the victim is
 * stopped; after the kill, those that were not stopped then and are now
 * are continued (see continue_collateral()). */
typedef struct Watch {
        pid_t pid;
        uint64_t start_time;
        char state; /* before the first stop below it */
        pid_t child; /* the victim whose stop it was noted for */
        pid_t below; /* the process directly below it on the way to that victim */
        uint64_t below_start;
        bool done, continued;
} Watch;

typedef struct KillCtx {
        const EpRequest *req;
        const Policy *policy;
        EpTargetRules *rules;
        EpReport *rep;
        bool want_cmdline;
        bool defer_cmdline; /* stop rounds: read the victims' cmdlines after, in bulk */
        Victims vs;
        unsigned new_in_scan;
        bool first_scan;
        uid_t *busy;
        size_t n_busy;
        Watch *watch;
        size_t n_watch;
} KillCtx;

static Watch *watch_find(const KillCtx *k, pid_t pid) {
        for (size_t i = 0; i < k->n_watch; i++)
                if (k->watch[i].pid == pid)
                        return &k->watch[i];
        return NULL;
}

/* Notes the ancestors of e (about to be stopped) that are not noted yet,
 * nearest first, with their state as of now: a fresh read of stat, since
 * one may have been loaded before an earlier stop. PID 1 is not noted (it
 * neither stops nor is ours to continue). */
static void watch_ancestors(KillCtx *k, ProcTable *t, ProcEntry *e) {
        size_t depth = 0;
        ProcEntry *below = e;
        for (ProcEntry *a = proctable_parent(t, e); a && a->pid > 1 && depth <= t->n;
             below = a, a = proctable_parent(t, a), depth++) {
                ProcEntry now;
                if (watch_find(k, a->pid))
                        break; /* and its ancestors are noted too */
                if (proc_entry_load(t, a, PROC_LOAD_STAT) < 0 || proc_read_stat(t->proc_fd, a->pid, &now) < 0 ||
                    now.start_time != a->start_time)
                        break;
                Watch *w = realloc(k->watch, (k->n_watch + 1) * sizeof *w);
                if (!w)
                        return;
                k->watch = w;
                k->watch[k->n_watch++] = (Watch){ .pid = a->pid,
                                                  .start_time = a->start_time,
                                                  .state = now.state,
                                                  .child = e->pid,
                                                  .below = below->pid,
                                                  .below_start = below->start_time };
        }
}

/* A target seen in a scan: new victims are opened (verified) and stopped;
 * known ones that are running again are stopped again. */
static void handle_target(KillCtx *k, ProcTable *t, ProcEntry *e, const char *reason, bool stop) {
        Victim *x = victims_find(&k->vs, e->pid, e->start_time);
        _cleanup_close_ int pidfd = -1;
        int r = 0;

        if (x) {
                /* known: stop it again, in case something sent SIGCONT */
                if (stop && !x->held && !x->dead && !x->killed && x->pidfd >= 0)
                        (void) proc_syscalls.pidfd_send_signal(x->pidfd, SIGSTOP);
                return;
        }
        if (stop) {
                /* The pidfd pins it; its ids are read afresh and judged
                 * again right before the stop: a root daemon may have taken
                 * the user's real uid for a moment and given it back (the
                 * classification read them a few ms ago). */
                r = proc_pidfd_open_verified(t, e, &pidfd);
                if (r == 0 && !ep_still_target(k->rules, e)) {
                        report_detail(k->rep, LOG_NOTICE,
                                      "pid %d (%s) now has real uid %u, no longer a target: not signalled",
                                      (int) e->pid, e->comm, (unsigned) e->uid);
                        return; /* a later scan judges it afresh */
                }
        }
        if (k->want_cmdline && !(stop && k->defer_cmdline))
                (void) proc_entry_load(t, e, PROC_LOAD_CMDLINE);
        x = victims_add(&k->vs, e);
        if (!x)
                return;
        x->reason = strdup(reason);
        x->cmdline = e->cmdline ? strdup(e->cmdline) : NULL;
        k->new_in_scan++;
        if (!stop)
                return; /* dry run: only remembered */

        x->pidfd = TAKE_FD(pidfd);
        if (r == -ESTALE) {
                /* the PID now names another process: never signal it */
                report_process(k->rep, t, e, reason, "kill", "recycled");
                report_detail(k->rep, LOG_NOTICE, "pid %d was recycled since the snapshot: not signalled",
                              (int) e->pid);
                k->rep->recycled++;
                x->dead = true;
                return;
        }
        if (r == -ESRCH || r == -ENOENT) {
                x->dead = true;
                k->rep->gone++;
                return;
        }
        if (r < 0) {
                x->failed = true;
                x->error = r;
                report_detail(k->rep, LOG_WARNING, "cannot open pid %d (%s): %s", (int) e->pid, e->comm, strerror(-r));
                return;
        }
        watch_ancestors(k, t, e);
        r = proc_syscalls.pidfd_send_signal(x->pidfd, SIGSTOP);
        if (r == -ESRCH)
                x->dead = true;
        else if (r < 0) {
                x->failed = true;
                x->error = r;
        }
}

/* The cmdlines of the victims stopped in the stop rounds, for the record:
 * read once they are stopped, in two threads, instead of one by one before
 * each stop (2,000 reads: ~20 ms that delayed every stop after them). */
static bool victim_needs_cmdline(const ProcEntry *e, void *userdata) {
        const KillCtx *k = userdata;
        const Victim *x;
        if (e->loaded_cmdline || !e->have_stat || e->gone)
                return false;
        x = victims_find(&k->vs, e->pid, e->start_time);
        return x && !x->cmdline && !x->dead;
}

static void load_victim_cmdlines(KillCtx *k, ProcTable *t) {
        proctable_load_many(t, victim_needs_cmdline, k, PROC_LOAD_CMDLINE);
        for (size_t i = 0; i < k->vs.n; i++) {
                Victim *x = &k->vs.v[i];
                const ProcEntry *e;
                if (x->cmdline)
                        continue;
                e = proctable_find(t, x->pid);
                if (e && e->start_time == x->start_time && e->cmdline)
                        x->cmdline = strdup(e->cmdline);
        }
}

/* Will ep_classify() need this entry's stat and ids? (the user's by its
 * owner or known real uid, or a sweep's eligible uid, and not already
 * decided by a running job's cgroup; anything in the ended job's) */
static bool users_process(const EpTargetRules *rules, const ProcEntry *e) {
        return ep_maybe_users(rules, e);
}

static bool needs_stat(const ProcEntry *e, void *userdata) {
        const EpTargetRules *rules = userdata;
        return !e->have_stat && (pidset_contains(rules->ended_pids, e->pid) ||
                                 (users_process(rules, e) && !pidset_contains(rules->running_pids, e->pid)));
}

/* ...and its ids (status), read in parallel too? Those of the ended job's
 * cgroup, and in corral's own mode (no pardon by ancestry to wait for) the
 * same candidates less those a passed-in session spares (no use reading
 * status for 9,000 processes of running jobs). In the other modes most
 * candidates are spared by an ancestor or a cgroup path, and
 * ep_classify() reads the ids of the rest one by one. */
static bool needs_ids(const ProcEntry *e, void *userdata) {
        const EpTargetRules *rules = userdata;
        if (e->have_ids || e->gone || !e->have_stat)
                return false;
        if (pidset_contains(rules->ended_pids, e->pid))
                return true;
        return rules->mode == EP_MODE_CORRAL && !rules->spare_ssh && users_process(rules, e) &&
               !pidset_contains(rules->running_pids, e->pid) && !ep_in_kept_session(rules, e) && !proc_entry_dead(e) &&
               e->ppid != 2;
}

/* Could the verification find a new target in t? Only among processes that
 * were not in the previous table (seen: classified there; a process's
 * cgroup and owner do not change under it without root, and root-owned
 * entries are always re-read): the user's, or any when the ended job's
 * cgroup is known (a victim's child in it). */
static bool anything_new(const EpTargetRules *rules, const ProcTable *t) {
        for (size_t i = 0; i < t->n; i++) {
                const ProcEntry *e = &t->entries[i];
                if (!e->seen && (rules->cgroup || users_process(rules, e)))
                        return true;
        }
        return false;
}

/* One scan: classify everything (only_new: only what was not in the
 * previous table, see anything_new()); returns 0 or -errno. */
static int scan(KillCtx *k, ProcTable *t, bool stop, bool only_new) {
        char buf[256];

        k->new_in_scan = 0;
        /* nothing new of the user's: no cgroup.procs to read (9,000 pids of
         * running jobs cost ~7 ms of kernel time on cgroup v1) */
        if (only_new && !anything_new(k->rules, t))
                return 0;
        /* cgroup memberships change as processes fork: re-read per scan */
        if (ep_rules_refresh(k->rules) < 0)
                return -ENOMEM;
        /* what classification will read, read in parallel first */
        uint64_t t0 = now_usec();
        proctable_load_many(t, needs_stat, k->rules, PROC_LOAD_STAT);
        proctable_load_many(t, needs_ids, k->rules, PROC_LOAD_IDS);
        report_detail(k->rep, LOG_DEBUG, "scan: stat and ids of the candidates read in %.1f ms",
                      (double) (now_usec() - t0) / 1000.0);
        for (size_t i = 0; i < t->n; i++) {
                ProcEntry *e = &t->entries[i];
                const char *reason;
                if (only_new && e->seen)
                        continue;
                EpVerdict v = ep_classify(k->rules, t, e, buf, sizeof buf, &reason);

                switch (v) {
                case EP_TARGET:
                        handle_target(k, t, e, reason, stop);
                        break;
                case EP_SPARED:
                        if (k->first_scan) {
                                add_busy(&k->busy, &k->n_busy, e->have_ids ? e->uid : e->owner);
                                k->rep->spared++;
                                /* not an action: recorded only when asked,
                                 * a node may run thousands of such processes */
                                if (k->req->verbose)
                                        report_process(k->rep, t, e, reason, "spare", "alive");
                        }
                        break;
                case EP_PROTECTED:
                        if (k->first_scan) {
                                k->rep->protected_++;
                                report_process(k->rep, t, e, reason, "none", "protected");
                        }
                        break;
                case EP_IGNORE:
                        break;
                }
        }
        k->first_scan = false;
        return 0;
}

static bool keep_listener_uid(uid_t uid, void *userdata) {
        KillCtx *k = userdata;
        if (k->rules->mode == EP_MODE_SWEEP)
                return ep_uid_eligible(k->rules, uid);
        return (k->rules->have_uid && uid == k->rules->uid) || (k->rules->cgroup && ep_uid_eligible(k->rules, uid));
}

/* Step 5: the listening sockets of the (stopped) victims. Each victim's
 * network namespace, and then its fds, are read in two threads over
 * halves of the victims (2,000 victims: ~35 us each, mostly /proc/PID/fd);
 * the namespaces' socket tables are loaded in between, once each (sock_diag,
 * listeners.c), and the matches reported in victim order after. */
typedef struct ListenHit {
        size_t victim, listener;
} ListenHit;

typedef struct ListenChunk {
        KillCtx *k;
        ProcTable *t;
        const EpListenerTable *lt;
        uint64_t *netns; /* per victim; 0: not to be looked at */
        size_t a, b;
        bool fds; /* pass 1: netns; pass 2: fds */
        size_t cur;
        ListenHit *hits;
        size_t n_hits;
        bool oom;
} ListenChunk;

static void on_listener_hit(const EpListener *l, void *userdata) {
        ListenChunk *c = userdata;
        ListenHit *h = realloc(c->hits, (c->n_hits + 1) * sizeof *h);
        if (!h) {
                c->oom = true;
                return;
        }
        c->hits = h;
        c->hits[c->n_hits++] = (ListenHit){ .victim = c->cur, .listener = (size_t) (l - c->lt->items) };
}

static void *listen_chunk(void *userdata) {
        ListenChunk *c = userdata;
        for (size_t i = c->a; i < c->b; i++) {
                Victim *x = &c->k->vs.v[i];
                if (!c->fds) {
                        ProcEntry *e;
                        c->netns[i] = 0;
                        if (x->dead || x->failed || victim_exited(x))
                                continue;
                        e = proctable_find(c->t, x->pid);
                        if (!e || e->start_time != x->start_time ||
                            listeners_netns_of(c->t->proc_fd, x->pid, &c->netns[i]) < 0)
                                c->netns[i] = 0;
                } else if (c->netns[i] != 0) {
                        c->cur = i;
                        (void) listeners_of_pid(c->lt, c->t->proc_fd, x->pid, on_listener_hit, c);
                }
        }
        return NULL;
}

/* Runs listen_chunk over the victims, in two threads when there are many. */
static void listen_pass(ListenChunk c[2], bool fds) {
        pthread_t th;
        bool threaded;
        c[0].fds = c[1].fds = fds;
        threaded = c[1].a < c[1].b && c[1].b >= 256 && pthread_create(&th, NULL, listen_chunk, &c[1]) == 0;
        (void) listen_chunk(&c[0]);
        if (threaded)
                (void) pthread_join(th, NULL);
        else
                (void) listen_chunk(&c[1]);
}

static void report_listeners(KillCtx *k, ProcTable *t) {
        EpListenerTable lt = {};
        _cleanup_free_ uint64_t *netns = calloc(k->vs.n ? k->vs.n : 1, sizeof *netns);
        size_t half = k->vs.n / 2;
        ListenChunk c[2] = {
                { .k = k, .t = t, .lt = &lt, .netns = netns, .a = 0, .b = half },
                { .k = k, .t = t, .lt = &lt, .netns = netns, .a = half, .b = k->vs.n },
        };
        bool any = false;

        if (!netns || k->vs.n == 0)
                return;
        listen_pass(c, false);
        /* each namespace's listeners, once (a representative victim's pid
         * reaches it; one whose namespace fails to load is skipped) */
        for (size_t i = 0; i < k->vs.n; i++) {
                if (netns[i] == 0)
                        continue;
                if (listeners_load_netns_ino(&lt, t->proc_fd, k->vs.v[i].pid, netns[i], keep_listener_uid, k) < 0)
                        netns[i] = 0;
        }
        report_detail(k->rep, LOG_DEBUG,
                      "listeners: %zu network namespaces, %zu listening sockets (%u tables "
                      "through sock_diag, %u from /proc/net)",
                      lt.n_netns, lt.n, lt.diag_tables, lt.proc_tables);
        for (size_t i = 0; i < k->vs.n; i++)
                if (netns[i] != 0)
                        any = true;
        if (any && lt.n > 0)
                listen_pass(c, true);

        for (int part = 0; part < 2; part++)
                for (size_t h = 0; h < c[part].n_hits; h++) {
                        Victim *x = &k->vs.v[c[part].hits[h].victim];
                        const EpListener *l = &lt.items[c[part].hits[h].listener];
                        ProcEntry *e = proctable_find(t, x->pid);
                        if (!e)
                                continue;
                        report_listener(k->rep, e, l->proto, l->address, l->port, NULL);
                        if (!k->policy->kill_listeners && !k->req->dry_run && !x->held) {
                                /* kill_listeners = no: reported, left running,
                                 * and the node is not clean */
                                x->held = true;
                                (void) proc_syscalls.pidfd_send_signal(x->pidfd, SIGCONT);
                        }
                }
        if (c[0].oom || c[1].oom)
                report_detail(k->rep, LOG_WARNING, "listeners: out of memory, some may not be reported");
        free(c[0].hits);
        free(c[1].hits);
        listeners_done(&lt);
}

static void kill_all(KillCtx *k) {
        for (size_t i = 0; i < k->vs.n; i++) {
                Victim *x = &k->vs.v[i];
                int r;
                if (x->dead || x->failed || x->held || x->killed || x->pidfd < 0)
                        continue;
                r = proc_syscalls.pidfd_send_signal(x->pidfd, SIGKILL);
                if (r == 0 || r == -ESRCH)
                        x->killed = true;
                else {
                        x->failed = true;
                        x->error = r;
                }
        }
}

/* Waits until every killed victim's pidfd reports exit (readable), or until
 * the time `until`. One epoll set over the pidfds: woken as they exit, in
 * batches, instead of polling every pidfd every few milliseconds. */
static bool wait_dead(KillCtx *k, uint64_t until) {
        _cleanup_close_ int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event evs[256];
        size_t left = 0;

        for (size_t i = 0; i < k->vs.n; i++) {
                Victim *x = &k->vs.v[i];
                struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = i };
                if (!x->killed || victim_exited(x))
                        continue;
                if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, x->pidfd, &ev) < 0)
                        return false; /* the verification scan still looks */
                left++;
        }
        while (left > 0) {
                uint64_t now = now_usec();
                int n;
                if (now >= until)
                        return false;
                n = epoll_wait(ep, evs, (int) ELEMENTSOF(evs), (int) ((until - now + 999) / 1000));
                if (n < 0 && errno != EINTR)
                        return false;
                for (int j = 0; j < n; j++) {
                        Victim *x = &k->vs.v[evs[j].data.u64];
                        if (!x->dead) {
                                x->dead = true;
                                left--;
                        }
                }
        }
        return true;
}

/* Is the process (pid, start) gone: exited and reaped (a zombie is not)? */
static bool proc_gone(int proc_fd, pid_t pid, uint64_t start) {
        ProcEntry now;
        int r = proc_read_stat(proc_fd, pid, &now);
        return r == -ESRCH || (r == 0 && now.start_time != start);
}

/* After the kill: continue the noted ancestors that are no victims, were
 * not stopped before a victim below them was, and are stopped now. They
 * stop asynchronously (su sees its child stopped in waitpid(), then stops
 * itself; on a busy node that may come after the kill), so each is watched
 * until it is settled: gone; stopped, and then continued; or the process
 * below it is gone (reaped: su reaps its child only after it has decided
 * not to stop), or is neither a victim nor a noted process that is not
 * settled or was continued (a process we continued may make its parent
 * stop in turn: sudo above su). Passes 10 ms apart until every one is
 * settled, one second at most (a parent that never reaps its dead child
 * costs that second). SIGCONT goes through a pidfd whose process is
 * checked, after it was opened, to have the noted start time. */
static void continue_collateral(KillCtx *k, int proc_fd, uint64_t deadline) {
        uint64_t until = now_usec() + USEC_PER_SEC;
        if (until > deadline)
                until = deadline;
        for (unsigned pass = 0;; pass++) {
                bool pending = false;
                if (pass > 0) {
                        if (now_usec() >= until)
                                break;
                        (void) usleep(10000);
                }
                /* nearest first: a parent is judged after what is below it */
                for (size_t i = 0; i < k->n_watch; i++) {
                        Watch *w = &k->watch[i];
                        _cleanup_close_ int fd = -1;
                        ProcEntry now;
                        char reason[160];

                        if (w->done)
                                continue;
                        if (w->state == 'T' || w->state == 't' || victims_find(&k->vs, w->pid, w->start_time) ||
                            proc_read_stat(proc_fd, w->pid, &now) < 0 || now.start_time != w->start_time) {
                                w->done = true; /* stopped before us, a victim, or gone */
                                continue;
                        }
                        if (now.state != 'T') {
                                Watch *b = watch_find(k, w->below);
                                Victim *x = victims_find(&k->vs, w->below, w->below_start);
                                bool below_victim = x && x->killed && !x->held;
                                bool below_unsettled =
                                        b && b->start_time == w->below_start && (!b->done || b->continued);
                                if (!proc_gone(proc_fd, w->below, w->below_start) && (below_victim || below_unsettled))
                                        pending = true;
                                else
                                        w->done = true;
                                continue;
                        }
                        fd = proc_syscalls.pidfd_open(w->pid);
                        /* the pidfd pins the process that has the PID now:
                         * the one noted only if it still has its start time */
                        if (fd < 0 || proc_read_stat(proc_fd, w->pid, &now) < 0 || now.start_time != w->start_time) {
                                w->done = true;
                                continue;
                        }
                        int r = proc_syscalls.pidfd_send_signal(fd, SIGCONT);
                        (void) snprintf(reason, sizeof reason,
                                        "no target; stopped itself after its descendant %d was stopped",
                                        (int) w->child);
                        (void) proc_read_ids(proc_fd, &now); /* for the record */
                        report_process(k->rep, NULL, &now, reason, "continue", r == 0 ? "continued" : "failed");
                        if (r == 0)
                                k->rep->continued++;
                        w->done = true;
                        w->continued = r == 0;
                        pending = true; /* its parent may stop in turn */
                }
                if (!pending)
                        break;
        }
}

static void final_report(KillCtx *k, ProcTable *t) {
        for (size_t i = 0; i < k->vs.n; i++) {
                Victim *x = &k->vs.v[i];
                ProcEntry fake = {
                        .pid = x->pid, .uid = x->uid, .have_ids = true, .start_time = x->start_time, .state = x->state
                };
                const char *result;
                ProcEntry *e;

                if (x->dead && !x->killed)
                        continue; /* recycled or gone: already counted */
                memcpy(fake.comm, x->comm, sizeof fake.comm);
                fake.cmdline = x->cmdline;
                fake.loaded_cmdline = true;

                if (k->req->dry_run) {
                        k->rep->would_kill++;
                        report_process(k->rep, NULL, &fake, x->reason, "kill", "dry-run");
                        continue;
                }
                e = t ? proctable_find(t, x->pid) : NULL;
                if (e && !victim_exited(x)) {
                        /* fresh state: the table may hold a copy from an
                         * earlier scan */
                        e->have_stat = false;
                        (void) proc_entry_load(t, e, PROC_LOAD_STAT);
                }
                bool alive = !victim_exited(x) && e && !proc_entry_dead(e) && e->start_time == x->start_time;
                if (!alive && x->killed) {
                        k->rep->killed++;
                        result = "killed";
                } else {
                        k->rep->survivors++;
                        if (e && e->state == 'D') {
                                k->rep->unkillable++;
                                result = "unkillable (D state)";
                        } else if (x->held)
                                result = "survived (listener, kill_listeners = no)";
                        else if (x->failed)
                                result = "survived (signal failed)";
                        else
                                result = "survived";
                        fake.state = e ? e->state : x->state;
                }
                report_process(k->rep, NULL, &fake, x->reason, "kill", result);
        }
}

int ep_kill_targets(const EpRequest *req, const Policy *p, EpTargetRules *rules, EpReport *rep, uid_t **ret_busy_uids,
                    size_t *ret_n_busy) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        KillCtx k = { .req = req,
                      .policy = p,
                      .rules = rules,
                      .rep = rep,
                      .first_scan = true,
                      .want_cmdline = req->json || req->verbose || rep->log || rep->use_syslog,
                      .defer_cmdline = true };
        uint64_t t0 = now_usec(), deadline = t0 + (req->deadline ? req->deadline : p->deadline);
        bool stop = !req->dry_run;
        int r;

        /* The last PID handed out, read before each snapshot: if it has not
         * moved when we look again, no process was created on the node in
         * between, so a re-scan could find nothing new and is skipped. */
        _cleanup_close_ int proc_fd = open(req->paths.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        pid_t mark = 0, now_mark = 0;
        bool have_mark = proc_fd >= 0 && proc_read_last_pid(proc_fd, &mark) == 0;
#define NOTHING_NEW() (have_mark && proc_read_last_pid(proc_fd, &now_mark) == 0 && proc_pids_all_own(mark, now_mark))
#define SET_MARK() (have_mark = proc_read_last_pid(proc_fd, &mark) == 0)
        /* (used for the stop rounds only: a child missed there because its
         * fork was still in flight is found by the verification, which
         * always re-scans) */

        /* 1. snapshot, 2. classify, 3a. stop what we found */
        r = proctable_snapshot(req->paths.proc, &t);
        if (r < 0) {
                log_error_errno(r, "Failed to read %s: %m", req->paths.proc);
                victims_done(&k.vs);
                return r;
        }
        report_detail(rep, LOG_DEBUG, "snapshot: %zu processes, %.1f ms", t->n, (double) (now_usec() - t0) / 1000.0);
        (void) scan(&k, t, stop, false);
        report_detail(rep, LOG_DEBUG, "scan 1: %zu processes, %zu targets, %.1f ms", t->n, k.vs.n,
                      (double) (now_usec() - t0) / 1000.0);

        if (!req->dry_run) {
                /* 3b. stop rounds: until nothing new can be running */
                unsigned rounds = 0;
                for (;;) {
                        ProcTable *n = NULL;
                        if (NOTHING_NEW())
                                break;
                        SET_MARK();
                        if (proctable_resnapshot(t, &n) < 0)
                                break;
                        proctable_free(t);
                        t = n;
                        (void) scan(&k, t, true, false);
                        rounds++;
                        if (k.new_in_scan == 0 || now_usec() >= deadline)
                                break;
                }
                report_detail(rep, LOG_DEBUG, "%zu targets stopped after %u re-scans, %.1f ms", k.vs.n, rounds,
                              (double) (now_usec() - t0) / 1000.0);
        }
        if (k.want_cmdline && stop)
                load_victim_cmdlines(&k, t);
        k.defer_cmdline = false; /* later finds are killed right after: read before */

        /* 5. listeners, while the victims still hold their sockets */
        report_listeners(&k, t);
        report_detail(rep, LOG_DEBUG, "listeners, %.1f ms", (double) (now_usec() - t0) / 1000.0);

        if (!req->dry_run) {
                /* 3c. kill, 3d. verify until clean or the deadline */
                for (;;) {
                        ProcTable *n = NULL;
                        kill_all(&k);
                        report_detail(rep, LOG_DEBUG, "SIGKILL sent, %.1f ms", (double) (now_usec() - t0) / 1000.0);
                        /* Wait for the victims to exit before re-scanning:
                         * an exited process has no fork in flight, so every
                         * child it made is visible in /proc by then. (No
                         * short cut here: a child whose fork was in flight
                         * during the last scan has a PID older than the
                         * mark.) Up to a second: 2,000 exits can take most
                         * of one on a busy node, and every re-scan before
                         * they are done (~15 ms each, 2,000 processes) is
                         * taken from them; one that never exits (D state)
                         * still lets a re-scan run every second. */
                        (void) wait_dead(&k,
                                         now_usec() + USEC_PER_SEC < deadline ? now_usec() + USEC_PER_SEC : deadline);
                        report_detail(rep, LOG_DEBUG, "pidfds report exit, %.1f ms",
                                      (double) (now_usec() - t0) / 1000.0);
                        if (proctable_resnapshot(t, &n) < 0)
                                break;
                        proctable_free(t);
                        t = n;
                        (void) scan(&k, t, true, true);
                        report_detail(rep, LOG_DEBUG, "re-scanned, %.1f ms", (double) (now_usec() - t0) / 1000.0);
                        bool pending = false;
                        for (size_t i = 0; i < k.vs.n; i++)
                                if (k.vs.v[i].killed && !victim_exited(&k.vs.v[i]))
                                        pending = true;
                        if (k.new_in_scan == 0 && !pending)
                                break;
                        if (now_usec() >= deadline)
                                break;
                        if (k.new_in_scan == 0)
                                (void) usleep(20000);
                }
        }
#undef NOTHING_NEW
#undef SET_MARK

        report_detail(rep, LOG_DEBUG, "killed and verified, %.1f ms", (double) (now_usec() - t0) / 1000.0);
        if (!req->dry_run && k.n_watch > 0)
                continue_collateral(&k, t->proc_fd, deadline);
        report_detail(rep, LOG_DEBUG, "collateral stops settled (%zu ancestors watched), %.1f ms", k.n_watch,
                      (double) (now_usec() - t0) / 1000.0);
        final_report(&k, t);
        report_detail(rep, LOG_DEBUG, "final report, %.1f ms", (double) (now_usec() - t0) / 1000.0);
        ep_rules_done(rules);
        *ret_busy_uids = TAKE_PTR(k.busy);
        *ret_n_busy = k.n_busy;
        free(k.watch);
        victims_done(&k.vs);
        return 0;
}
