/* SPDX-License-Identifier: GPL-2.0-or-later */
/* targets.c — which processes die. Pure logic over a ProcTable: no signals,
 * no writes (it may load a process's cgroup or cmdline).
 *
 * In order, for each process:
 *   1. never: PID 1, kernel threads, zombies, the epilogue and its ancestors;
 *   2. everything in the ended job's cgroup (--cgroup) dies — unless its
 *      (real) uid is outside min_uid..max_uid or exempt: then it is
 *      "protected" and reported;
 *      cgroup membership is read from cgroupfs (cgroup.procs, jobs.c), one
 *      read per cgroup instead of one per process;
 *   3. otherwise only processes of the job's user (every eligible user in a
 *      sweep) are considered; the owner is the *real* uid, read from
 *      /proc/PID/status, so a setuid-root program the job started is the
 *      job's, and a root daemon that only switched its effective uid
 *      (slurmstepd, sge_shepherd) is not. The owner of /proc/PID (the
 *      effective uid) only pre-selects whose status is read: the user's
 *      (or an eligible uid's) and root's (read by the snapshot). A process
 *      in a running job's cgroup or a session passed with --keep-session
 *      is spared on the pre-selection alone (sparing touches nothing, and
 *      9,000 status reads would cost ~40 ms);
 *   4. such a process is spared when it belongs to a running job:
 *        - every mode: it is in a cgroup passed with --keep-cgroup, or in
 *          one of corral's job cgroups (below --job-cgroup-parent) other
 *          than the ended one; its session is one passed with --keep-session;
 *        - Torque (and sweep): its session is led by a live direct child of
 *          a root-owned pbs_mom (a job shell), other than the ended job's;
 *        - Slurm (and sweep): it descends from a root-owned slurmstepd of
 *          another job, or its cgroup path has a job_N component for
 *          another job N;
 *        - Grid Engine (and sweep): it descends from a root-owned
 *          sge_shepherd of another job (the shepherd's job is its working
 *          directory, sge_execd's .../active_jobs/JOB.TASK: its argv is
 *          only "sge_shepherd -bg", measured on 8.1.9);
 *        - spare_ssh: it descends from a root-owned sshd (an interactive
 *          session).
 *      Ancestors that grant a pardon must be root's (real uid 0, read from
 *      status), so a job cannot rename itself "sshd" or "slurmstepd" to be
 *      spared.
 *   5. a daemon of a running job (double-forked, reparented out of its
 *      slurmstepd or sge_shepherd, or setsid'd out of its Torque session,
 *      so no ancestor tells) is spared by the job id it inherited in its
 *      environment (/proc/PID/environ: SLURM_JOB_ID; JOB_ID and
 *      SGE_TASK_ID; PBS_JOBID) — but only when that job is running now: a
 *      root-owned slurmstepd or sge_shepherd of that job is in the same
 *      snapshot with a process of the same user below it (Torque: the
 *      job's session leader, a live child of a root-owned pbs_mom, is the
 *      user's and has that PBS_JOBID), and it is not the ended job. A process can write any environment it
 *      likes, but the candidates are the ended job's user's own processes,
 *      and the only lie that helps is naming another running job of the
 *      same user: the process then lives until that job ends, whose
 *      epilogue kills it (there the lie names the ended job). That is what
 *      the user could have had anyway by starting the daemon from that job.
 *      Cheap: environ is read only for a candidate no other rule decided
 *      (one that would otherwise die), and only when the user has another
 *      running job on the node (the list of running jobs is built once per
 *      scan, on the first such candidate);
 *   6. everything else of the user dies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epilogue.h"

typedef enum EpJobKind {
        EP_JOB_SLURM,
        EP_JOB_SGE,
        EP_JOB_TORQUE,
        _EP_JOB_KIND_MAX,
} EpJobKind;

/* per kind: the batch system, the root daemon that shows a job runs, the
 * variable a job's processes inherit its id in */
static const struct {
        const char *system, *daemon, *variable;
} job_kinds[_EP_JOB_KIND_MAX] = {
        [EP_JOB_SLURM] = { "Slurm", "slurmstepd", "SLURM_JOB_ID" },
        [EP_JOB_SGE] = { "Grid Engine", "sge_shepherd", "JOB_ID" },
        [EP_JOB_TORQUE] = { "Torque", "pbs_mom", "PBS_JOBID" },
};

/* A slurmstepd or sge_shepherd whose job was looked up in this scan. */
typedef struct EpJobDaemon {
        pid_t pid;
        uint64_t ino;
        bool found;
        char id[32];
} EpJobDaemon;

/* A running job of one of the users judged: its daemon is in the snapshot
 * with a process of that user (real uid) below it. */
typedef struct EpRunningJob {
        EpJobKind kind;
        uid_t uid;
        char id[256]; /* Torque: "123[4].server.example.org" */
} EpRunningJob;

struct EpRunningJobs {
        bool built;
        EpJobDaemon *daemons;
        size_t n_daemons;
        EpRunningJob *jobs;
        size_t n_jobs;
};

static void running_jobs_free(struct EpRunningJobs *j) {
        if (!j)
                return;
        free(j->daemons);
        free(j->jobs);
        free(j);
}

bool ep_uid_eligible(const EpTargetRules *rules, uid_t uid) {
        /* root, nobody (the kernel's overflow uid) and "unknown" never */
        if (uid == 0 || uid == EP_UID_NOBODY || uid == (uid_t) -1 || uid < rules->min_uid)
                return false;
        if (rules->max_uid > 0 && uid > rules->max_uid)
                return false;
        if (rules->have_uid_range && (uid < rules->uid_range_min || uid > rules->uid_range_max))
                return false;
        for (size_t i = 0; i < rules->n_exempt; i++)
                if (rules->exempt_uids[i] == uid)
                        return false;
        return true;
}

bool ep_uid_is_users(const EpTargetRules *rules, uid_t uid) {
        return rules->mode == EP_MODE_SWEEP ? ep_uid_eligible(rules, uid)
                                            : rules->have_uid && rules->user_eligible && uid == rules->uid;
}

bool ep_maybe_users(const EpTargetRules *rules, const ProcEntry *e) {
        return ep_uid_is_users(rules, e->have_ids ? e->uid : e->owner);
}

bool ep_still_target(const EpTargetRules *rules, const ProcEntry *e) {
        if (!e->have_ids)
                return false;
        if (pidset_contains(rules->ended_pids, e->pid))
                return ep_uid_eligible(rules, e->uid);
        return ep_uid_is_users(rules, e->uid);
}

bool ep_in_kept_session(const EpTargetRules *rules, const ProcEntry *e) {
        for (size_t i = 0; i < rules->n_keep_sessions; i++)
                if (e->sid == rules->keep_sessions[i])
                        return true;
        return false;
}

static bool is_root(ProcTable *t, ProcEntry *a) {
        return proc_entry_load(t, a, PROC_LOAD_IDS) == 0 && a->have_ids && a->uid == 0;
}

bool ep_uid_busy(const uid_t *busy, size_t n, uid_t uid) {
        for (size_t i = 0; i < n; i++)
                if (busy[i] == uid)
                        return true;
        return false;
}

void ep_rules_done(EpTargetRules *rules) {
        if (rules->ended_pids) {
                pidset_done(rules->ended_pids);
                free(rules->ended_pids);
        }
        if (rules->running_pids) {
                pidset_done(rules->running_pids);
                free(rules->running_pids);
        }
        rules->ended_pids = rules->running_pids = NULL;
        running_jobs_free(rules->running_jobs);
        rules->running_jobs = NULL;
}

int ep_rules_refresh(EpTargetRules *rules) {
        ep_rules_done(rules);
        rules->ended_pids = calloc(1, sizeof(PidSet));
        rules->running_pids = calloc(1, sizeof(PidSet));
        rules->running_jobs = calloc(1, sizeof(struct EpRunningJobs));
        if (!rules->ended_pids || !rules->running_pids || !rules->running_jobs)
                return -ENOMEM;
        if (rules->cgroup) {
                int r = pidset_add_cgroup(rules->ended_pids, rules->cgroup, NULL);
                if (r == -ENOMEM)
                        return r;
        }
        for (char *const *p = rules->job_cgroup_parents; p && *p; p++) {
                int r = pidset_add_cgroup(rules->running_pids, *p, rules->cgroup);
                if (r == -ENOMEM)
                        return r;
        }
        for (char *const *c = rules->keep_cgroups; c && *c; c++) {
                int r = pidset_add_cgroup(rules->running_pids, *c, NULL);
                if (r == -ENOMEM)
                        return r;
        }
        pidset_seal(rules->ended_pids);
        pidset_seal(rules->running_pids);
        return 0;
}

static bool is_self_or_ancestor(const EpTargetRules *rules, ProcTable *t, const ProcEntry *e) {
        ProcEntry *self = proctable_find(t, rules->self);
        return self && proctable_is_ancestor(t, e, self);
}

/* An ancestor of root's (real uid 0; strictly above e) whose comm is name,
 * or NULL. */
static ProcEntry *root_ancestor_named(ProcTable *t, ProcEntry *e, const char *name) {
        size_t depth = 0;
        for (ProcEntry *a = proctable_parent(t, e); a && depth <= t->n; a = proctable_parent(t, a), depth++)
                if (proc_entry_load(t, a, PROC_LOAD_STAT) == 0 && streq(a->comm, name) && is_root(t, a))
                        return a;
        return NULL;
}

/* Slurm: "slurmstepd: [1234.0]", "slurmstepd: [1234.batch]",
 * "slurmstepd: [1234.extern]" -> "1234". */
static bool slurmstepd_job(ProcTable *t, ProcEntry *stepd, char *buf, size_t size) {
        const char *p, *end;
        (void) proc_entry_load(t, stepd, PROC_LOAD_CMDLINE);
        if (!stepd->cmdline || !(p = strchr(stepd->cmdline, '[')))
                return false;
        p++;
        end = p;
        while (*end >= '0' && *end <= '9')
                end++;
        if (end == p || (size_t) (end - p) >= size)
                return false;
        memcpy(buf, p, (size_t) (end - p));
        buf[end - p] = '\0';
        return true;
}

/* Grid Engine: sge_shepherd runs in its job's directory, sge_execd's
 * "<execd_spool_dir>/<host>/active_jobs/<job>.<task>" (a parallel job's
 * task in a directory below it) -> "<job>.<task>". */
static bool sge_shepherd_job(ProcTable *t, ProcEntry *shepherd, char *buf, size_t size) {
        char path[32], cwd[4096];
        const char *p, *end, *dot;
        ssize_t k;

        (void) snprintf(path, sizeof path, "%d/cwd", (int) shepherd->pid);
        k = readlinkat(t->proc_fd, path, cwd, sizeof cwd - 1);
        if (k <= 0)
                return false;
        cwd[k] = '\0';
        p = strstr(cwd, "/active_jobs/");
        if (!p)
                return false;
        p += strlen("/active_jobs/");
        end = strchrnul(p, '/');
        dot = memchr(p, '.', (size_t) (end - p));
        if (!dot || dot == p || dot + 1 == end || (size_t) (end - p) >= size)
                return false;
        for (const char *c = p; c < end; c++)
                if (c != dot && (*c < '0' || *c > '9'))
                        return false;
        memcpy(buf, p, (size_t) (end - p));
        buf[end - p] = '\0';
        return true;
}

/* The job of a root-owned slurmstepd or sge_shepherd, remembered for the
 * scan (thousands of processes of a job share one). */
static bool daemon_job(const EpTargetRules *rules, ProcTable *t, ProcEntry *d, EpJobKind kind, char *buf, size_t size) {
        struct EpRunningJobs *rj = rules->running_jobs;
        EpJobDaemon x = { .pid = d->pid, .ino = d->ino };

        for (size_t i = 0; rj && i < rj->n_daemons; i++)
                if (rj->daemons[i].pid == d->pid && rj->daemons[i].ino == d->ino) {
                        if (!rj->daemons[i].found || strlen(rj->daemons[i].id) >= size)
                                return false;
                        strcpy(buf, rj->daemons[i].id);
                        return true;
                }
        x.found = kind == EP_JOB_SLURM ? slurmstepd_job(t, d, x.id, sizeof x.id)
                                       : sge_shepherd_job(t, d, x.id, sizeof x.id);
        if (rj) {
                EpJobDaemon *n = realloc(rj->daemons, (rj->n_daemons + 1) * sizeof *n);
                if (n) {
                        rj->daemons = n;
                        rj->daemons[rj->n_daemons++] = x;
                }
        }
        if (!x.found || strlen(x.id) >= size)
                return false;
        strcpy(buf, x.id);
        return true;
}

/* Does e descend from a root-owned slurmstepd/sge_shepherd? Its job in buf. */
static bool job_of_ancestor(const EpTargetRules *rules, ProcTable *t, ProcEntry *e, EpJobKind kind, char *buf,
                            size_t size) {
        ProcEntry *d = root_ancestor_named(t, e, job_kinds[kind].daemon);
        return d && daemon_job(rules, t, d, kind, buf, size);
}

static bool is_ended_job(const EpTargetRules *rules, const char *id) {
        return rules->job && streq(id, rules->job);
}

static bool kind_applies(const EpTargetRules *rules, EpJobKind kind) {
        if (kind == EP_JOB_TORQUE)
                return (rules->mode == EP_MODE_TORQUE || rules->mode == EP_MODE_SWEEP) && rules->mom_name;
        return rules->mode == EP_MODE_SWEEP || (rules->mode == EP_MODE_SLURM && kind == EP_JOB_SLURM) ||
               (rules->mode == EP_MODE_SGE && kind == EP_JOB_SGE);
}

static bool any_kind_applies(const EpTargetRules *rules) {
        for (EpJobKind kind = 0; kind < _EP_JOB_KIND_MAX; kind++)
                if (kind_applies(rules, kind))
                        return true;
        return false;
}

static bool running_job_known(const struct EpRunningJobs *rj, EpJobKind kind, const char *id, uid_t uid) {
        for (size_t i = 0; i < rj->n_jobs; i++)
                if (rj->jobs[i].kind == kind && rj->jobs[i].uid == uid && streq(rj->jobs[i].id, id))
                        return true;
        return false;
}

/* The value of name in a NUL-separated environment block, or NULL (the
 * first one wins, as for getenv()). */
static const char *environ_get(const char *env, size_t len, const char *name) {
        size_t n = strlen(name);
        for (const char *p = env; p < env + len; p += strlen(p) + 1)
                if (strneq(p, name, n) && p[n] == '=')
                        return p + n + 1;
        return NULL;
}

/* /proc/PID/environ, whole (up to 1 MiB: a process's environment is at most
 * a quarter of its stack limit). NULL if unreadable. */
static char *read_environ(const ProcTable *t, pid_t pid, size_t *ret_len) {
        char path[32];
        (void) snprintf(path, sizeof path, "%d/environ", (int) pid);
        for (size_t size = 64 * 1024; size <= 1024 * 1024; size *= 4) {
                char *buf = malloc(size);
                ssize_t k;
                if (!buf)
                        return NULL;
                k = proc_syscalls.read_file(t->proc_fd, path, buf, size);
                if (k < 0) {
                        free(buf);
                        return NULL;
                }
                if ((size_t) k < size - 1) {
                        *ret_len = (size_t) k;
                        return buf;
                }
                free(buf);
        }
        return NULL;
}

/* Records that e, if it is a judged user's (real uid), has a running job
 * of that kind and id. */
static void running_job_add(const EpTargetRules *rules, ProcTable *t, ProcEntry *e, EpJobKind kind, const char *id) {
        struct EpRunningJobs *rj = rules->running_jobs;
        EpRunningJob *n;

        if (is_ended_job(rules, id) || strlen(id) >= sizeof n->id)
                return;
        /* by the owner first: one status read per job and user */
        if (running_job_known(rj, kind, id, e->have_ids ? e->uid : e->owner))
                return;
        if (proc_entry_load(t, e, PROC_LOAD_IDS) < 0 || !e->have_ids || !ep_uid_is_users(rules, e->uid) ||
            running_job_known(rj, kind, id, e->uid))
                return;
        n = realloc(rj->jobs, (rj->n_jobs + 1) * sizeof *n);
        if (!n)
                return; /* fewer pardons: the safe side for a clean node */
        rj->jobs = n;
        rj->jobs[rj->n_jobs] = (EpRunningJob){ .kind = kind, .uid = e->uid };
        strcpy(rj->jobs[rj->n_jobs].id, id);
        rj->n_jobs++;
}

/* Torque: e leads a running job's session (a live child of a root-owned
 * pbs_mom): the job's id is the PBS_JOBID pbs_mom gave it. */
static void torque_leader_job(const EpTargetRules *rules, ProcTable *t, ProcEntry *e) {
        ProcEntry *mom;
        _cleanup_free_ char *env = NULL;
        const char *id;
        size_t len = 0;

        if (e->sid != e->pid || !(mom = proctable_parent(t, e)) || proc_entry_load(t, mom, PROC_LOAD_STAT) < 0 ||
            !streq(mom->comm, rules->mom_name) || !is_root(t, mom))
                return;
        env = read_environ(t, e->pid, &len);
        if (env && (id = environ_get(env, len, "PBS_JOBID")) && ep_job_id_valid(id))
                running_job_add(rules, t, e, EP_JOB_TORQUE, id);
}

/* Step 5's list, once per scan: the jobs other than the ended one that have
 * a process of a judged user below their root-owned slurmstepd or
 * sge_shepherd right now (Torque: whose session leader, a child of
 * pbs_mom, is the user's). Walks the ancestry of the users' processes
 * (their stat is loaded for the classification anyway); reads the real uid
 * of one process per job and user. */
static void running_jobs_build(const EpTargetRules *rules, ProcTable *t) {
        rules->running_jobs->built = true;
        for (size_t i = 0; i < t->n; i++) {
                ProcEntry *e = &t->entries[i];
                if (e->pid <= 2 || !ep_maybe_users(rules, e) || pidset_contains(rules->running_pids, e->pid))
                        continue;
                if (proc_entry_load(t, e, PROC_LOAD_STAT) < 0 || proc_entry_dead(e) || e->ppid == 2)
                        continue;
                for (EpJobKind kind = EP_JOB_SLURM; kind <= EP_JOB_SGE; kind++) {
                        char id[32];
                        if (kind_applies(rules, kind) && job_of_ancestor(rules, t, e, kind, id, sizeof id))
                                running_job_add(rules, t, e, kind, id);
                }
                if (kind_applies(rules, EP_JOB_TORQUE))
                        torque_leader_job(rules, t, e);
        }
}

/* Step 5: does e's environment name a running job of its user? */
static bool running_job_by_environ(const EpTargetRules *rules, ProcTable *t, ProcEntry *e, char *buf, size_t bufsize) {
        struct EpRunningJobs *rj = rules->running_jobs;
        _cleanup_free_ char *env = NULL;
        size_t len = 0;

        if (!rj)
                return false;
        if (!rj->built)
                running_jobs_build(rules, t);
        if (rj->n_jobs == 0)
                return false; /* no other job of the user: nothing to read */
        env = read_environ(t, e->pid, &len);
        if (!env)
                return false;
        for (EpJobKind kind = 0; kind < _EP_JOB_KIND_MAX; kind++) {
                const char *id = NULL;
                char key[64];
                if (!kind_applies(rules, kind))
                        continue;
                if (kind != EP_JOB_SGE)
                        id = environ_get(env, len, job_kinds[kind].variable);
                else if (ep_sge_job_key(environ_get(env, len, "JOB_ID"), environ_get(env, len, "SGE_TASK_ID"), key,
                                        sizeof key) == 0)
                        id = key;
                if (!id || is_ended_job(rules, id) || !running_job_known(rj, kind, id, e->uid))
                        continue;
                (void) snprintf(buf, bufsize,
                                "a daemon of running %s job %.64s (%s in its environment, and the job's %s)",
                                job_kinds[kind].system, id, job_kinds[kind].variable, job_kinds[kind].daemon);
                return true;
        }
        return false;
}

/* Slurm cgroups: "/slurm/uid_1000/job_1234/step_0" (v1; "/slurm_NODE/..."
 * with several slurmd on a host) or "/system.slice/slurmstepd.scope/job_1234/
 * step_batch" (v2): a job_N other than the ended job. Only these root-owned
 * places count: under a delegated systemd user subtree a job could make its
 * own "job_5" cgroup to look like a running job. */
static bool slurm_cgroup_other_job(const char *cg, const char *ended, char *buf, size_t size) {
        for (const char *line = cg; line && *line;) {
                const char *nl = strchr(line, '\n');
                const char *c1 = strchr(line, ':');
                const char *c2 = c1 && (!nl || c1 < nl) ? strchr(c1 + 1, ':') : NULL;
                const char *path = c2 && (!nl || c2 < nl) ? c2 + 1 : NULL;
                const char *job = NULL;

                line = nl ? nl + 1 : NULL;
                if (!path)
                        continue;
                if (strneq(path, "/system.slice/slurmstepd.scope/job_", 35))
                        job = path + 35;
                else if (strneq(path, "/slurm", 6) && (path[6] == '/' || path[6] == '_')) {
                        /* /slurm[_NODE]/uid_N/job_M */
                        const char *u = strchr(path + 1, '/');
                        if (u && strneq(u, "/uid_", 5)) {
                                const char *q = u + 5;
                                while (*q >= '0' && *q <= '9')
                                        q++;
                                if (q > u + 5 && strneq(q, "/job_", 5))
                                        job = q + 5;
                        }
                }
                if (!job)
                        continue;
                const char *end = job;
                while (*end >= '0' && *end <= '9')
                        end++;
                size_t n = (size_t) (end - job);
                if (n == 0 || n >= size || (*end != '/' && *end != '\n' && *end != '\0'))
                        continue;
                memcpy(buf, job, n);
                buf[n] = '\0';
                if (!ended || !streq(buf, ended))
                        return true;
        }
        return false;
}

static bool torque_job_session(const EpTargetRules *rules, ProcTable *t, const ProcEntry *e) {
        /* pbs_mom forks, the child calls setsid() and execs the job's shell:
         * a running Torque job is a session whose leader is a live child of
         * a root-owned pbs_mom. Orphans of an ended job keep its session id
         * but its leader is gone. */
        ProcEntry *leader, *mom;
        if (e->sid <= 0 || (rules->session > 0 && e->sid == rules->session))
                return false;
        leader = proctable_find(t, e->sid);
        if (!leader || proc_entry_load(t, leader, PROC_LOAD_STAT) < 0 || leader->sid != leader->pid ||
            proc_entry_dead(leader))
                return false;
        mom = proctable_parent(t, leader);
        return mom && proc_entry_load(t, mom, PROC_LOAD_STAT) == 0 && streq(mom->comm, rules->mom_name) &&
               is_root(t, mom);
}

EpVerdict ep_classify(const EpTargetRules *rules, ProcTable *t, ProcEntry *e, char *buf, size_t bufsize,
                      const char **ret_reason) {
        bool in_job_cgroup, users;

        *ret_reason = NULL;
        /* 1. never: PID 1, kthreadd, and what is not ours to judge (cheap
         * checks first: most processes of a node stop here) */
        if (e->pid <= 2)
                return EP_IGNORE;
        in_job_cgroup = pidset_contains(rules->ended_pids, e->pid);
        /* by the owner of /proc/PID, or the real uid where already known */
        users = ep_maybe_users(rules, e);
        if (!in_job_cgroup && !users)
                return EP_IGNORE;
        /* in a running job's cgroup (read from cgroupfs for the whole scan):
         * decided without reading anything of the process; sparing touches
         * nothing, whoever it really is */
        if (!in_job_cgroup && pidset_contains(rules->running_pids, e->pid)) {
                *ret_reason = "in a running job's cgroup";
                return EP_SPARED;
        }
        /* dead (zombies included) or a kernel thread */
        if (proc_entry_load(t, e, PROC_LOAD_STAT) < 0 || proc_entry_dead(e) || e->ppid == 2)
                return EP_IGNORE;

        if (is_self_or_ancestor(rules, t, e)) {
                *ret_reason = "the epilogue itself or its ancestor";
                return EP_SPARED;
        }

        /* 2. the ended job's cgroup: judged by the real uid */
        if (in_job_cgroup) {
                if (proc_entry_load(t, e, PROC_LOAD_IDS) < 0 || !e->have_ids)
                        return EP_IGNORE;
                if (!ep_uid_eligible(rules, e->uid)) {
                        (void) snprintf(buf, bufsize,
                                        "in the ended job's cgroup, but uid %u is exempt or outside min_uid..max_uid",
                                        (unsigned) e->uid);
                        *ret_reason = buf;
                        return EP_PROTECTED;
                }
                *ret_reason = "in the ended job's cgroup";
                return EP_TARGET;
        }

        /* 4. belongs to a running job? (cgroups: see above; a session passed
         * in is, like those, decided without reading who it is) */
        if (ep_in_kept_session(rules, e)) {
                (void) snprintf(buf, bufsize, "session %d of a running job", (int) e->sid);
                *ret_reason = buf;
                return EP_SPARED;
        }

        if ((rules->mode == EP_MODE_TORQUE || rules->mode == EP_MODE_SWEEP) && rules->mom_name &&
            torque_job_session(rules, t, e)) {
                (void) snprintf(buf, bufsize, "session %d of a running Torque job", (int) e->sid);
                *ret_reason = buf;
                return EP_SPARED;
        }
        if (kind_applies(rules, EP_JOB_SLURM)) {
                char job[32];
                if (job_of_ancestor(rules, t, e, EP_JOB_SLURM, job, sizeof job) && !is_ended_job(rules, job)) {
                        (void) snprintf(buf, bufsize, "below slurmstepd of running Slurm job %s", job);
                        *ret_reason = buf;
                        return EP_SPARED;
                }
                (void) proc_entry_load(t, e, PROC_LOAD_CGROUP);
                if (e->cgroup && slurm_cgroup_other_job(e->cgroup, rules->job, job, sizeof job)) {
                        (void) snprintf(buf, bufsize, "in the cgroup of running Slurm job %s", job);
                        *ret_reason = buf;
                        return EP_SPARED;
                }
        }
        if (kind_applies(rules, EP_JOB_SGE)) {
                char job[32];
                if (job_of_ancestor(rules, t, e, EP_JOB_SGE, job, sizeof job) && !is_ended_job(rules, job)) {
                        (void) snprintf(buf, bufsize, "below sge_shepherd of running Grid Engine job %s", job);
                        *ret_reason = buf;
                        return EP_SPARED;
                }
        }
        if (rules->spare_ssh && root_ancestor_named(t, e, "sshd")) {
                *ret_reason = "in an interactive ssh session (spare_ssh = yes)";
                return EP_SPARED;
        }

        /* 3. who it really is, before it is called a target: the real uid (a
         * root daemon with the user's effective uid is root's). After the
         * pardons, which do not depend on it (they need the real uid of the
         * ancestor that grants them) and spare most of a node. */
        if (proc_entry_load(t, e, PROC_LOAD_IDS) < 0 || !e->have_ids || !ep_uid_is_users(rules, e->uid))
                return EP_IGNORE;

        /* 5. a daemon of a running job, by its environment (see the top) */
        if (any_kind_applies(rules) && running_job_by_environ(rules, t, e, buf, bufsize)) {
                *ret_reason = buf;
                return EP_SPARED;
        }

        /* 6. an orphan: say what kind, for the report */
        if (rules->session > 0 && e->sid == rules->session)
                *ret_reason = "left in the ended job's session";
        else if (e->ppid == 1)
                *ret_reason = "orphan reparented to PID 1, outside any running job";
        else if (e->sid == e->pid)
                *ret_reason = "session leader outside any running job";
        else
                *ret_reason = "outside any running job";
        return EP_TARGET;
}
