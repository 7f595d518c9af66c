/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-api.c — the core's API socket: connections and who may make them
 * (on_accept), their requests (handle_request) and the operations
 * (api_ops[]): submit, list, show, cancel, logs, hold, release, drain,
 * resume, policies, version, wait. Every request is in the audit log (a
 * wait or a logs --follow once, however long the daemon then pushes). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "array.h"
#include "core.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "messages.h"
#include "parse.h"
#include "policy.h"
#include "protocol.h"
#include "resources.h"
#include "store.h"
#include "strv.h"

/* one user cannot take every connection from the others (the node's total
 * is max_connections, of which NODECONF_ADMIN_CONNECTIONS are kept for root
 * and the admin group) */
#define MAX_CONNECTIONS_PER_UID 64
/* out of fds (EMFILE): accepting again after this, not in a busy loop */
#define ACCEPT_RETRY_USEC (250 * USEC_PER_MSEC)
#define LOGS_CHUNK ((size_t) 60 * 1024)

/* -J, -o, -e: "name" (null: none), "stdout"/"stderr" with their patterns
 * replaced (what the job writes to) when it has them. */
static void job_output_json(json_t *o, const Job *j) {
        json_object_set_new(o, "name", j->name ? json_string(j->name) : json_null());
        for (int e = 0; e < 2; e++) {
                _cleanup_free_ char *p = NULL;
                const char *raw = e ? j->stderr_path : j->stdout_path;
                if (raw)
                        json_object_set_new(o, e ? "stderr" : "stdout",
                                            json_string(job_output_path(j, e, &p) >= 0 && p ? p : raw));
        }
}

/* "mem" (bytes; null: not limited), "cpus" (CPUs, as the policy writes
 * them; null: not limited), "tasks", and for a job that waits its
 * "pending_reason" (core-pack.c). */
static void job_resources_to_json(Core *c, const Job *j, json_t *o) {
        char buf[FORMAT_BUF];
        json_object_set_new(o, "mem", j->mem ? json_integer((json_int_t) j->mem) : json_null());
        json_object_set_new(o, "cpus", j->cpus ? json_string(format_cpus(buf, j->cpus)) : json_null());
        json_object_set_new(o, "tasks", json_integer((json_int_t) (j->tasks ? j->tasks : 1)));
        PendReason why = pending_reason(c, j);
        if (why != PEND_NONE)
                json_object_set_new(o, "pending_reason", json_string(pend_reason_to_string(why)));
}

json_t *job_to_json(Core *c, const Job *j, bool full) {
        char buf[FORMAT_BUF], outdir[4200];
        json_t *o = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s}", "id", (json_int_t) j->id, "user", j->user, "uid",
                              (int) j->uid, "state", job_state_to_string(j->state), "policy", j->policy, "cwd", j->cwd);
        if (!o)
                return NULL;
        json_t *argv = json_array();
        for (char **a = j->argv; argv && a && *a; a++)
                json_array_append_new(argv, json_string(*a));
        json_object_set_new(o, "argv", argv ? argv : json_null());
        if (full) {
                json_t *env = json_object();
                for (char **e = j->env; env && e && *e; e++) {
                        size_t n = strcspn(*e, "=");
                        char name[300];
                        snprintf(name, sizeof name, "%.*s", (int) n, *e);
                        json_object_set_new(env, name, json_string((*e)[n] ? *e + n + 1 : ""));
                }
                json_object_set_new(o, "env", env ? env : json_null());
        }
        json_object_set_new(o, "walltime", json_string(format_duration(buf, j->walltime)));
        job_resources_to_json(c, j, o);
        if (j->array_job_id > 0) {
                /* an element of an array: "array" is ARRAY_TASK as Slurm writes it */
                char at[64];
                snprintf(at, sizeof at, "%lld_%llu", (long long) j->array_job_id,
                         (unsigned long long) j->array_task_id);
                json_object_set_new(o, "array", json_string(at));
                json_object_set_new(o, "array_job_id", json_integer((json_int_t) j->array_job_id));
                json_object_set_new(o, "array_task_id", json_integer((json_int_t) j->array_task_id));
                json_object_set_new(o, "array_throttle",
                                    j->array_throttle ? json_integer((json_int_t) j->array_throttle) : json_null());
        }
        json_object_set_new(o, "submitted", json_integer((json_int_t) (j->submit_time / USEC_PER_SEC)));
        /* the job it was submitted from ([users] submit_from_jobs = yes) */
        json_object_set_new(o, "parent_job",
                            j->parent_job > 0 ? json_integer((json_int_t) j->parent_job) : json_null());
        json_object_set_new(o, "started",
                            j->start_time ? json_integer((json_int_t) (j->start_time / USEC_PER_SEC)) : json_null());
        json_object_set_new(o, "ended",
                            j->end_time ? json_integer((json_int_t) (j->end_time / USEC_PER_SEC)) : json_null());
        if (j->exit_code >= 0) {
                snprintf(buf, sizeof buf, "%d:%d", j->exit_code, j->exit_signal >= 0 ? j->exit_signal : 0);
                json_object_set_new(o, "exit", json_string(buf));
        } else
                json_object_set_new(o, "exit", json_null());
        snprintf(outdir, sizeof outdir, "%s/%s", c->s->output_dir, j->output_id);
        json_object_set_new(o, "output_dir", json_string(outdir));
        job_output_json(o, j);
        if (j->reason)
                json_object_set_new(o, "reason", json_string(j->reason));
        json_object_set_new(o, "cancel_requested", json_boolean(j->cancel_requested));
        /* --after/--afterok/--afterany (canonical text; null: none), --begin */
        json_object_set_new(o, "dependency", j->depends ? json_string(j->depends) : json_null());
        json_object_set_new(o, "begin",
                            j->begin_time ? json_integer((json_int_t) (j->begin_time / USEC_PER_SEC)) : json_null());
        if (full && j->depends)
                json_object_set_new(o, "dependencies", deps_to_json(c, j));
        if (full) {
                json_t *res = j->result ? json_loads(j->result, 0, NULL) : NULL;
                json_t *usage = res ? json_object_get(res, "usage") : NULL;
                json_object_set(o, "usage", usage ? usage : json_null());
                json_object_set_new(o, "result", res ? res : json_null());
                json_t *ep = j->epilogue ? json_loads(j->epilogue, 0, NULL) : NULL;
                json_object_set_new(o, "epilogue", ep ? ep : json_null());
        }
        return o;
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

/* ---- connections ---- */

void conn_free(Conn *conn) {
        Core *c = conn->core;
        for (Conn **p = &c->conns; *p; p = &(*p)->next)
                if (*p == conn) {
                        *p = conn->next;
                        break;
                }
        sd_event_source_disable_unref(conn->src);
        watch_free(conn->watch);
        sd_event_source_disable_unref(conn->idle_timer);
        if (conn->fd >= 0)
                close(conn->fd);
        c->n_conns--;
        free(conn);
}

/* Sends one message; a client that does not read is dropped. */
static int conn_send_raw(Conn *conn, const void *buf, size_t len) {
        for (;;) {
                ssize_t n = send(conn->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n >= 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                return negative_errno();
        }
}

static int conn_send(Conn *conn, json_t *msg) {
        _cleanup_free_ char *s = NULL;
        size_t n;
        int r;
        if (!msg)
                return -ENOMEM;
        r = api_dump(msg, &s, &n);
        json_decref(msg);
        if (r < 0)
                return r;
        return conn_send_raw(conn, s, n);
}

static bool is_admin(Core *c, uid_t uid, gid_t gid, int fd) {
        if (uid == 0)
                return true;
        if (c->s->admin_gid == (gid_t) -1)
                return false;
        if (gid == c->s->admin_gid)
                return true;
        gid_t groups[256];
        socklen_t len = sizeof groups;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                return false;
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == c->s->admin_gid)
                        return true;
        return false;
}

/* ---- API operations ---- */

typedef struct Ctx {
        Core *c;
        Conn *conn;
        ApiRequest *req;
        int64_t job; /* for the audit log */
        const char *result; /* "ok", "denied", "invalid", ... */
        char detail[256];
        Job **array_jobs; /* submit --array: the elements stored */
        size_t n_array_jobs;
} Ctx;

static json_t *deny(Ctx *x, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_t *deny(Ctx *x, const char *code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->detail, sizeof x->detail, fmt, ap);
        va_end(ap);
        x->result = code;
        if (streq(code, "denied"))
                x->c->denied++;
        return api_error(code, "%s", x->detail);
}

static json_t *ok(Ctx *x) {
        x->result = "ok";
        return json_pack("{s:b}", "ok", 1);
}

/* Loads a job the caller may act on: its owner, or an admin. */
static json_t *get_own_job(Ctx *x, int64_t id, Job **ret) {
        Job *j = NULL;
        x->job = id;
        int r = store_get(x->c->store, id, &j);
        if (r == -ENOENT)
                return deny(x, "not_found", "no job %lld", (long long) id);
        if (r < 0)
                return deny(x, "internal", "cannot read job %lld: %s", (long long) id, strerror(-r));
        if (j->uid != x->conn->uid && !x->conn->admin) {
                /* the same answer as for a job that does not exist: other
                 * users' job ids are not for a user to find out (the audit
                 * log and the denied counter still tell the admin) */
                job_free(j);
                json_decref(deny(x, "denied", "job %lld belongs to another user", (long long) id));
                return api_error("not_found", "no job %lld", (long long) id);
        }
        *ret = j;
        return NULL;
}

/* The policy's [users] rule (lib/policy.c), the one corral-launch applies:
 * a job it would refuse is refused now, with the same reason. */
static int user_allowed(const Policy *p, const struct passwd *pw, char **ret_reason) {
        _cleanup_strv_free_ char **names = NULL;
        if (policy_user_needs_groups(p)) {
                gid_t groups[256];
                int n = ELEMENTSOF(groups);
                if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
                        return asprintf(ret_reason, "user '%s' is in more than %zu groups", pw->pw_name,
                                        ELEMENTSOF(groups)) < 0
                                       ? -ENOMEM
                                       : -E2BIG;
                int r = policy_group_names(groups, (size_t) n, &names);
                if (r < 0)
                        return r;
        }
        return policy_user_allowed(p, pw->pw_uid, pw->pw_gid, pw->pw_name, names, ret_reason);
}

/* Drops the variables the policy's [job] env_deny matches from the
 * request's env, into *dropped; one the user set explicitly is -EPERM, with
 * why naming it. */
static int filter_env(Ctx *x, const Policy *p, const char *policy, char ***dropped, char *why, size_t len) {
        ApiRequest *rq = x->req;
        size_t k = 0;
        for (size_t i = 0; rq->env && rq->env[i]; i++) {
                char *e = rq->env[i];
                if (!policy_env_denied(p, e)) {
                        rq->env[k++] = e;
                        continue;
                }
                size_t n = strcspn(e, "=");
                char name[300];
                snprintf(name, sizeof name, "%.*s", (int) n, e);
                if (strv_contains(rq->env_explicit, name)) {
                        snprintf(why, len, "policy '%s' does not let a job set %s ([job] env_deny): drop -E %s", policy,
                                 name, name);
                        /* the rest are freed with the request */
                        memmove(rq->env + k, rq->env + i, (strv_length(rq->env + i) + 1) * sizeof(char *));
                        return -EPERM;
                }
                free(e);
                if (strv_extend(dropped, name) < 0) {
                        memmove(rq->env + k, rq->env + i + 1, (strv_length(rq->env + i + 1) + 1) * sizeof(char *));
                        snprintf(why, len, "out of memory");
                        return -ENOMEM;
                }
        }
        if (rq->env)
                rq->env[k] = NULL;
        return 0;
}

/* --mem, --cpus, --tasks against the policy and the node (resources.h):
 * what the job gets, or why it can never run (*ret_reason). */
static int submit_resources(Core *c, const ApiRequest *rq, const Policy *p, const char *policy, ResAsk *ret,
                            char **ret_reason) {
        ResRequest req = { .mem = rq->mem, .cpus = rq->cpus, .tasks = rq->tasks };
        ResLimits l = { .def_mem = p->memory,
                        .max_mem = p->max_mem,
                        .def_cpus = p->cpus,
                        .max_cpus = p->max_cpus,
                        .node_mem = c->s->node_mem,
                        .node_cpus = c->s->node_cpus };
        free(*ret_reason);
        *ret_reason = NULL;
        return res_resolve(&req, &l, policy, ret, ret_reason);
}

/* ---- submissions from inside a job ---- */

/* "job-12" (cgroupfs) or "corral-job-12.scope" (systemd): 12; else 0 */
static int64_t job_id_of_component(const char *comp, size_t n) {
        char buf[64];
        uint64_t id;
        size_t k = n;
        if (n >= sizeof buf)
                return 0;
        if (n > 11 + 6 && strncmp(comp, "corral-job-", 11) == 0 && strncmp(comp + n - 6, ".scope", 6) == 0) {
                comp += 11;
                k = n - 11 - 6;
        } else if (n > 4 && strncmp(comp, "job-", 4) == 0) {
                comp += 4;
                k = n - 4;
        } else
                return 0;
        memcpy(buf, comp, k);
        buf[k] = '\0';
        if (parse_uint64(buf, 1, INT64_MAX, &id) < 0)
                return 0;
        return (int64_t) id;
}

/* The active job whose cgroup, as recorded when it started (a component
 * named like a job's is not enough: users may name their own cgroups so),
 * is path or above it; 0: none. */
static int64_t job_of_cgroup_path(Core *c, const char *path) {
        while (*path == '/')
                path++;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, "/");
                int64_t id = job_id_of_component(p, n);
                Job *j = NULL;
                if (id > 0 && active_find(c, id) && store_get(c->store, id, &j) >= 0) {
                        char expect[256];
                        const char *cg = j->cgroup;
                        if (!cg && job_cgroup_name_num(c->s->node->cgroup_parent, id, sizeof expect, expect) >= 0)
                                cg = expect; /* starting: cgroupfs's rule */
                        while (cg && *cg == '/')
                                cg++;
                        size_t k = cg ? strlen(cg) : 0;
                        bool in = k > 0 && strncmp(path, cg, k) == 0 && (path[k] == '\0' || path[k] == '/');
                        job_free(j);
                        if (in)
                                return id;
                }
                p += n;
                while (*p == '/')
                        p++;
        }
        return 0;
}

/* Is the client of conn inside a job? From the kernel, never from what it
 * says (CORRAL_JOB_ID...): its cgroup names an active job (*ret_job), or it
 * is in a PID namespace below ours (*ret_job 0: corrald cannot tell which
 * job). 1: inside, 0: not, <0: cannot tell (the client is gone...). */
static int peer_job(Core *c, Conn *conn, int64_t *ret_job) {
        _cleanup_free_ char *cg = NULL;
        int depth = 0;
        int r = peer_inspect(conn->fd, conn->pid, conn->accepted, &cg, &depth);
        if (r < 0)
                return r;
        for (char *line = cg, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                /* "ID:CONTROLLERS:PATH" */
                char *path = strchr(line, ':');
                path = path ? strchr(path + 1, ':') : NULL;
                if (!path)
                        continue;
                int64_t id = job_of_cgroup_path(c, path + 1);
                if (id > 0) {
                        *ret_job = id;
                        return 1;
                }
        }
        *ret_job = 0;
        return depth > 0;
}

/* [users] submit_from_jobs of the job the client runs in: NULL and
 * *ret_parent (0: not in a job), or the refusal. */
static json_t *check_submit_origin(Ctx *x, int64_t *ret_parent) {
        Core *c = x->c;
        int64_t parent = 0;
        int r = peer_job(c, x->conn, &parent);
        if (r < 0)
                return deny(x, "denied",
                            "cannot tell whether the client runs inside a job (%s): a submission is only taken from a "
                            "client that waits for the answer",
                            strerror(-r));
        if (r == 0) {
                *ret_parent = 0;
                return NULL;
        }
        if (parent == 0)
                return deny(x, "denied",
                            "submissions from a PID namespace of its own that is in no job's cgroup are not allowed: "
                            "corrald cannot tell which job's policy applies (submit from the host)");
        _cleanup_job_free_ Job *pj = NULL;
        r = store_get(c->store, parent, &pj);
        if (r < 0)
                return deny(x, "internal", "cannot read job %lld: %s", (long long) parent, strerror(-r));
        _cleanup_policy_free_ Policy *pp = NULL;
        ConfDiags d = { 0 };
        r = policy_load(c->s->policy_dir, pj->policy, POLICY_STRICT_PERMS, &pp, &d);
        conf_diags_clear(&d);
        if (r < 0)
                return deny(x, "denied",
                            "submissions from inside job %lld are not allowed: its policy %s cannot be loaded "
                            "(corral policy check %s)",
                            (long long) parent, pj->policy, pj->policy);
        if (!pp->submit_from_jobs)
                return deny(x, "denied",
                            "submissions from inside job %lld are not allowed by policy %s ([users] submit_from_jobs "
                            "= no)",
                            (long long) parent, pj->policy);
        *ret_parent = parent;
        return NULL;
}

/* The submission's array elements, stored (all or none) in one
 * transaction; x->array_jobs the elements. NULL, or the denial. */
static json_t *submit_array(Ctx *x, const Job *proto, const ArraySpec *spec) {
        Core *c = x->c;
        Job **l = calloc(spec->n, sizeof(Job *));
        int r = 0;
        if (!l)
                return deny(x, "internal", "out of memory");
        for (size_t i = 0; i < spec->n && r >= 0; i++) {
                Job *e = calloc(1, sizeof(Job));
                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                *e = *proto;
                e->user = strdup(proto->user);
                e->policy = strdup(proto->policy);
                e->argv = strv_copy(proto->argv);
                e->env = strv_copy(proto->env);
                e->cwd = strdup(proto->cwd);
                e->stdout_path = proto->stdout_path ? strdup(proto->stdout_path) : NULL;
                e->stderr_path = proto->stderr_path ? strdup(proto->stderr_path) : NULL;
                e->name = proto->name ? strdup(proto->name) : NULL;
                e->depends = proto->depends ? strdup(proto->depends) : NULL;
                e->cgroup = e->result = e->epilogue = e->reason = NULL;
                l[i] = e;
                if (!e->user || !e->policy || !e->argv || !e->env || !e->cwd ||
                    (proto->stdout_path && !e->stdout_path) || (proto->stderr_path && !e->stderr_path) ||
                    (proto->name && !e->name) || (proto->depends && !e->depends) ||
                    job_output_id_new(e->output_id) < 0) {
                        r = -ENOMEM;
                        break;
                }
                e->array_job_id = STORE_ARRAY_NEW;
                e->array_task_id = spec->ids[i];
                e->array_throttle = spec->throttle;
                e->array_count = spec->n;
                e->array_min = spec->ids[0];
                e->array_max = spec->ids[spec->n - 1];
        }
        /* acknowledged only after the commit is on disk (synchronous=FULL) */
        if (r >= 0)
                r = store_submit(c->store, l, spec->n);
        if (r < 0) {
                job_list_free(l, spec->n);
                return deny(x, "internal", "cannot store the array: %s", strerror(-r));
        }
        x->job = l[0]->id;
        x->array_jobs = l;
        x->n_array_jobs = spec->n;
        {
                _cleanup_free_ char *pf = NULL;
                const char *fields[] = { CORRAL_MESSAGE_JOB_SUBMITTED, "CORRAL_STATE=QUEUED",
                                         asprintf(&pf, "CORRAL_POLICY=%s", l[0]->policy) < 0 ? NULL : pf, NULL };
                log_job_full(LOG_INFO, (long long) l[0]->id, l[0]->user, fields,
                             "submitted array %lld of %zu jobs %lld-%lld (%s, policy %s)", (long long) l[0]->id,
                             spec->n, (long long) l[0]->id, (long long) l[spec->n - 1]->id, l[0]->argv[0],
                             l[0]->policy);
        }
        return NULL;
}

/* {"ok":true,"job":FIRST,"array_job_id":ID,"tasks":N,"jobs":[ids],"state":S} */
static json_t *submit_array_answer(Ctx *x, char **dropped) {
        Job **l = x->array_jobs;
        json_t *resp = ok(x), *ids = json_array();
        for (size_t i = 0; ids && i < x->n_array_jobs; i++)
                json_array_append_new(ids, json_integer((json_int_t) l[i]->id));
        json_object_set_new(resp, "job", json_integer((json_int_t) l[0]->id));
        json_object_set_new(resp, "array_job_id", json_integer((json_int_t) l[0]->array_job_id));
        json_object_set_new(resp, "tasks", json_integer((json_int_t) x->n_array_jobs));
        json_object_set_new(resp, "jobs", ids ? ids : json_null());
        json_object_set_new(resp, "state", json_string(job_state_to_string(l[0]->state)));
        if (dropped) {
                json_t *a = json_array();
                for (char **dv = dropped; a && *dv; dv++)
                        json_array_append_new(a, json_string(*dv));
                json_object_set_new(resp, "env_dropped", a ? a : json_null());
        }
        job_list_free(l, x->n_array_jobs);
        x->array_jobs = NULL;
        x->n_array_jobs = 0;
        return resp;
}

static json_t *op_submit(Ctx *x) {
        Core *c = x->c;
        ApiRequest *rq = x->req;
        _cleanup_policy_free_ Policy *p = NULL;
        _cleanup_job_free_ Job *j = NULL;
        ConfDiags d = { 0 };
        const char *policy = rq->policy ? rq->policy : c->s->node->default_policy;
        struct passwd *pw;
        uint64_t waiting = 0;
        int r;

        if (x->conn->uid == 0)
                return deny(x, "denied", "root cannot run jobs: submit as the user the job should run as");
        pw = getpwuid(x->conn->uid);
        if (!pw)
                return deny(x, "denied", "uid %u has no account on this node", (unsigned) x->conn->uid);
        /* a job may queue jobs only when its own policy says so */
        int64_t parent = 0;
        json_t *refused = check_submit_origin(x, &parent);
        if (refused)
                return refused;
        r = policy_load(c->s->policy_dir, policy, POLICY_STRICT_PERMS, &p, &d);
        if (r < 0) {
                json_t *e = r == -ENOENT ? deny(x, "invalid", "no policy named '%s'", policy)
                                         : deny(x, "invalid", "policy '%s' is invalid (corral policy check %s)", policy,
                                                policy);
                conf_diags_clear(&d);
                return e;
        }
        conf_diags_clear(&d);
        /* the same checks corral-launch makes, so that a doomed job is refused now */
        _cleanup_free_ char *why = NULL;
        r = user_allowed(p, pw, &why);
        if (r < 0)
                return deny(x, "denied", "policy '%s' refuses this job: %s", policy,
                            why ? why : "cannot check the user's groups");
        if (rq->walltime > p->walltime) {
                char a[FORMAT_BUF], b[FORMAT_BUF];
                return deny(x, "invalid", "walltime %s exceeds the %s of policy '%s'", format_duration(a, rq->walltime),
                            format_duration(b, p->walltime), policy);
        }
        /* the policy's [job] env_deny: an exported variable is dropped (and
         * named in the answer), one set explicitly (-E) refuses the job */
        _cleanup_strv_free_ char **dropped = NULL;
        char envwhy[512];
        r = filter_env(x, p, policy, &dropped, envwhy, sizeof envwhy);
        if (r < 0)
                return deny(x, r == -EPERM ? "denied" : "internal", "%s", envwhy);
        ResAsk ask;
        r = submit_resources(c, rq, p, policy, &ask, &why);
        if (r == -ENOMEM)
                return deny(x, "internal", "out of memory");
        if (r < 0)
                return deny(x, "invalid", "%s", why);
        /* --array: one job per task id, all checked before any is stored */
        _cleanup_(array_spec_done) ArraySpec spec = { 0 };
        if (rq->array) {
                _cleanup_free_ char *aerr = NULL;
                r = array_spec_parse(rq->array, c->s->node->max_array_size, &spec, &aerr);
                if (r == -ENOMEM)
                        return deny(x, "internal", "out of memory");
                if (r < 0)
                        return deny(x, r == -E2BIG ? "limit" : "invalid", "%s", aerr ? aerr : "invalid --array");
        }
        /* corrald adds CORRAL_ARRAY_* (5) to each element's environment */
        if (rq->array && strv_length(rq->env) > API_MAX_ENV - ARRAY_ENV_VARS)
                return deny(x, "invalid",
                            "the environment has %zu variables and a job array's may have %d (corral adds its "
                            "CORRAL_ARRAY_* to each job): --export=NAME,... or --export=NONE",
                            strv_length(rq->env), API_MAX_ENV - ARRAY_ENV_VARS);
        size_t n_jobs = rq->array ? spec.n : 1;
        /* the jobs it depends on: existing, and the submitter's (admins: anyone's) */
        if (rq->depends) {
                free(why);
                why = NULL;
                r = deps_validate(c, rq->depends, x->conn->uid, x->conn->admin, &why);
                if (r == -ENOMEM)
                        return deny(x, "internal", "out of memory");
                if (r < 0)
                        return deny(x, r == -ENOENT ? "not_found" : "internal", "%s", why);
        }
        r = store_count_waiting(c->store, x->conn->uid, &waiting);
        if (r < 0)
                return deny(x, "internal", "cannot count queued jobs: %s", strerror(-r));
        if (!rq->array && waiting >= c->s->max_queued_per_user)
                return deny(x, "limit", "%s already has %llu jobs waiting (the limit is %llu)", pw->pw_name,
                            (unsigned long long) waiting, (unsigned long long) c->s->max_queued_per_user);
        if (waiting + n_jobs > c->s->max_queued_per_user)
                return deny(x, "limit",
                            "%s already has %llu jobs waiting and this array adds %zu (the limit is %llu, [node] "
                            "max_queued_per_user)",
                            pw->pw_name, (unsigned long long) waiting, n_jobs,
                            (unsigned long long) c->s->max_queued_per_user);

        j = calloc(1, sizeof(Job));
        if (!j)
                return deny(x, "internal", "out of memory");
        j->uid = x->conn->uid;
        j->gid = pw->pw_gid;
        j->user = strdup(pw->pw_name);
        j->state = rq->hold ? JOB_HELD : JOB_QUEUED;
        j->policy = strdup(policy);
        j->argv = TAKE_PTR(rq->argv);
        j->env = TAKE_PTR(rq->env);
        j->cwd = TAKE_PTR(rq->cwd);
        /* output elsewhere than the job's output directory: corral-launch
         * opens these as the job's user, with the user's permissions */
        j->stdout_path = TAKE_PTR(rq->stdout_path);
        j->stderr_path = TAKE_PTR(rq->stderr_path);
        j->name = TAKE_PTR(rq->name);
        j->walltime = rq->walltime ? rq->walltime : p->walltime;
        j->mem = ask.mem;
        j->cpus = ask.cpus;
        j->tasks = ask.tasks;
        j->parent_job = parent;
        j->submit_time = now_usec();
        /* what it waits for besides a slot: deps_update() below clears what
         * is met already */
        j->depends = TAKE_PTR(rq->depends);
        j->begin_time = rq->begin;
        j->blocked = (j->depends ? STORE_BLOCKED_DEPENDENCY : 0) |
                     (j->begin_time > j->submit_time ? STORE_BLOCKED_BEGIN : 0);
        j->exit_code = j->exit_signal = -1;
        /* The session it came from is the user's interactive session, never
         * the job's (jobs run in their own PID namespace): its epilogue spares it. */
        (void) pid_session(x->conn->pid, &j->submit_sid);
        if (!j->user || !j->policy || job_output_id_new(j->output_id) < 0)
                return deny(x, "internal", "out of memory");
        if (rq->array) {
                json_t *e = submit_array(x, j, &spec);
                if (e)
                        return e;
                /* dependencies met already, or never to be met (the
                 * answer's state: cancelled at once) */
                if (j->blocked) {
                        _cleanup_job_free_ Job *now = NULL;
                        (void) deps_update(c);
                        if (store_get(c->store, x->array_jobs[0]->id, &now) >= 0)
                                x->array_jobs[0]->state = now->state;
                }
                dispatch(c);
                return submit_array_answer(x, dropped);
        }
        /* acknowledged only after the commit is on disk (synchronous=FULL) */
        r = store_submit(c->store, &j, 1);
        if (r < 0)
                return deny(x, "internal", "cannot store the job: %s", strerror(-r));
        x->job = j->id;
        {
                _cleanup_free_ char *pf = NULL;
                const char *fields[] = { CORRAL_MESSAGE_JOB_SUBMITTED, "CORRAL_STATE=QUEUED",
                                         asprintf(&pf, "CORRAL_POLICY=%s", j->policy) < 0 ? NULL : pf, NULL };
                log_job_full(LOG_INFO, (long long) j->id, j->user, fields, "submitted (%s, policy %s)", j->argv[0],
                             j->policy);
        }
        if (j->blocked) {
                /* met already, or never to be met (cancelled at once) */
                _cleanup_job_free_ Job *now = NULL;
                (void) deps_update(c);
                if (store_get(c->store, j->id, &now) >= 0) {
                        j->state = now->state;
                        j->blocked = now->blocked;
                }
        }
        json_t *resp = ok(x);
        json_object_set_new(resp, "job", json_integer((json_int_t) j->id));
        json_object_set_new(resp, "state", json_string(job_state_to_string(j->state)));
        if (dropped) {
                json_t *a = json_array();
                for (char **dv = dropped; a && *dv; dv++)
                        json_array_append_new(a, json_string(*dv));
                json_object_set_new(resp, "env_dropped", a ? a : json_null());
        }
        dispatch(c);
        return resp;
}

/* list and history: whose jobs (the request's user, or every user's for an
 * admin's "all", else the caller's) into f; NULL, or the denial. what:
 * "list other users' jobs" / "see other users' history"... */
static json_t *filter_user(Ctx *x, StoreFilter *f, const char *others, const char *every) {
        if (x->req->user) {
                struct passwd *pw = getpwnam(x->req->user);
                if (!pw)
                        return deny(x, "not_found", "no user %s", x->req->user);
                if (pw->pw_uid != x->conn->uid && !x->conn->admin)
                        return deny(x, "denied", "only admins may %s", others);
                f->by_uid = true;
                f->uid = pw->pw_uid;
        } else if (!(x->req->all && x->conn->admin)) {
                if (x->req->all)
                        return deny(x, "denied", "only admins may %s", every);
                f->by_uid = true;
                f->uid = x->conn->uid;
        }
        return NULL;
}

static json_t *op_list(Ctx *x) {
        Core *c = x->c;
        StoreFilter f = { .states = x->req->states, .limit = x->req->limit };
        Job **l = NULL;
        size_t n = 0;
        int r;

        json_t *denied = filter_user(x, &f, "list other users' jobs", "list every user's jobs");
        if (denied)
                return denied;
        /* a 64 KiB answer holds a few hundred jobs: read no more rows than that */
        uint64_t total = 0;
        r = store_count(c->store, &f, &total);
        if (r < 0)
                return deny(x, "internal", "cannot count jobs: %s", strerror(-r));
        if (!f.limit || f.limit > API_MAX_MESSAGE / 64)
                f.limit = API_MAX_MESSAGE / 64;
        /* the jobs not over yet, then those that ended last: what people ask
         * about, and what must not fall off the end of a long history */
        r = store_list_recent(c->store, &f, x->req->has_last ? x->req->last : STORE_ALL, x->req->since, &l, &n);
        if (r < 0)
                return deny(x, "internal", "cannot list jobs: %s", strerror(-r));
        /* one answer is one message: as many jobs as fit, in that order, and
         * "truncated" says there are more than it holds ("total" of them) */
        json_t *jobs = json_array();
        size_t size = 256;
        bool truncated = false;
        for (size_t i = 0; jobs && i < n; i++) {
                json_t *o = job_to_json(c, l[i], false);
                char *one = o ? json_dumps(o, JSON_COMPACT) : NULL;
                size += one ? strlen(one) + 1 : 0;
                free(one);
                if (size > API_MAX_MESSAGE - 512) {
                        json_decref(o);
                        truncated = true;
                        break;
                }
                json_array_append_new(jobs, o);
        }
        job_list_free(l, n);
        json_t *resp = ok(x);
        json_object_set_new(resp, "jobs", jobs ? jobs : json_array());
        json_object_set_new(resp, "truncated", json_boolean(truncated || json_array_size(jobs) < total));
        json_object_set_new(resp, "total", json_integer((json_int_t) total));
        return resp;
}

/* `corral history`: the ended jobs of the caller (of a user or of every
 * user for admins) that ended in [since, until), in the order they ended,
 * one page per answer; "next" is the cursor of the next page. Each job has
 * its usage (from the launcher's result) for the accounting columns. */
static json_t *op_history(Ctx *x) {
        Core *c = x->c;
        StoreFilter f = { .states = x->req->states };
        uint64_t limit = x->req->limit;
        Job **l = NULL;
        size_t n = 0;
        int r;

        json_t *denied = filter_user(x, &f, "see other users' history", "see every user's history");
        if (denied)
                return denied;
        /* a 64 KiB answer holds a few hundred jobs: read no more rows than that */
        if (!limit || limit > API_MAX_MESSAGE / 128)
                limit = API_MAX_MESSAGE / 128;
        r = store_list_ended(c->store, &f, x->req->since, x->req->until, x->req->after_end, x->req->after_id, limit, &l,
                             &n);
        if (r < 0)
                return deny(x, "internal", "cannot read the history: %s", strerror(-r));
        json_t *jobs = json_array();
        size_t size = 256, shown = 0;
        for (size_t i = 0; jobs && i < n; i++) {
                json_t *o = job_to_json(c, l[i], false);
                json_t *res = l[i]->result ? json_loads(l[i]->result, 0, NULL) : NULL;
                json_t *usage = res ? json_object_get(res, "usage") : NULL;
                if (o)
                        json_object_set(o, "usage", usage ? usage : json_null());
                json_decref(res);
                char *one = o ? json_dumps(o, JSON_COMPACT) : NULL;
                size += one ? strlen(one) + 1 : 0;
                free(one);
                if (size > API_MAX_MESSAGE - 512 && shown == 0 && o) {
                        /* one job alone too large (argv near the API's 64 KiB): its
                         * command is left out, so the pages still move on */
                        json_object_set_new(o, "argv", json_pack("[s]", "(too long: corral show ID)"));
                        size = 1024;
                }
                if (size > API_MAX_MESSAGE - 512) {
                        json_decref(o);
                        break;
                }
                json_array_append_new(jobs, o);
                shown++;
        }
        json_t *resp = ok(x);
        json_object_set_new(resp, "jobs", jobs ? jobs : json_array());
        /* more may follow when the page is full or did not fit */
        if (shown > 0 && (shown < n || n == limit))
                json_object_set_new(
                        resp, "next",
                        json_pack("[I, I]", (json_int_t) l[shown - 1]->end_time, (json_int_t) l[shown - 1]->id));
        job_list_free(l, n);
        return resp;
}

static json_t *op_show(Ctx *x) {
        Job *j = NULL;
        json_t *e = get_own_job(x, x->req->job, &j);
        if (e)
                return e;
        json_t *resp = ok(x);
        json_object_set_new(resp, "job", job_to_json(x->c, j, true));
        job_free(j);
        return resp;
}

/* Cancels j (the caller may act on it): a queued or held one at once, a
 * starting or running one through its launcher (SIGTERM, then its cgroup
 * killed after the grace). What happened: "cancelled", "cancel_requested",
 * "already_final", or "internal" (why in x->detail). */
static const char *cancel_one(Ctx *x, Job **jp) {
        Core *c = x->c;
        Job *j = *jp;
        int r;
        if (j->state == JOB_QUEUED || j->state == JOB_HELD) {
                r = cancel_waiting(c, j, "cancelled before it started");
                if (r > 0)
                        return "cancelled";
                /* it just started: cancel it as a running job */
                int64_t id = j->id;
                *jp = j = job_free(j);
                r = store_get(c->store, id, jp);
                if (r < 0) {
                        snprintf(x->detail, sizeof x->detail, "cannot read job %lld: %s", (long long) id, strerror(-r));
                        return "internal";
                }
                j = *jp;
        }
        if (job_state_is_active(j->state)) {
                j->cancel_requested = true;
                r = store_update(c->store, j);
                if (r < 0) {
                        snprintf(x->detail, sizeof x->detail, "cannot record the cancel of job %lld: %s",
                                 (long long) j->id, strerror(-r));
                        return "internal";
                }
                if (j->state == JOB_RUNNING)
                        start_cancel(c, j);
                log_job(LOG_INFO, (long long) j->id, j->user, "cancel requested by uid %u", (unsigned) x->conn->uid);
                return "cancel_requested";
        }
        return "already_final";
}

/* One job of a bulk cancel: its entry in the answer; *failed when it was
 * named and could not be cancelled. */
static json_t *cancel_entry(Ctx *x, Job **jp, int64_t id, uid_t *only_uid, bool *failed) {
        Job *j = *jp;
        if (!j || (j->uid != x->conn->uid && !x->conn->admin)) {
                /* another user's job is answered as a missing one (the
                 * audit row's detail and the denied counter tell the admin) */
                if (j)
                        x->c->denied++;
                *failed = true;
                return json_pack("{s:I, s:s}", "job", (json_int_t) id, "result", "not_found");
        }
        if ((only_uid && j->uid != *only_uid) || (x->req->states && !(x->req->states & (1u << j->state))))
                return json_pack("{s:I, s:s, s:s}", "job", (json_int_t) id, "result", "skipped", "state",
                                 job_state_to_string(j->state));
        const char *what = cancel_one(x, jp);
        j = *jp;
        *failed = !streq(what, "cancelled") && !streq(what, "cancel_requested");
        json_t *e = json_pack("{s:I, s:s}", "job", (json_int_t) id, "result", what);
        if (e && j)
                json_object_set_new(e, "state", json_string(job_state_to_string(j->state)));
        return e;
}

/* Appends a bulk cancel's entry while the answer stays one message (an
 * array's id may name many more jobs than API_MAX_CANCEL): past that, the
 * job is cancelled all the same, and the answer says "truncated". */
static void append_entry(json_t *list, json_t *e, size_t *bytes, bool *truncated) {
        char *one = e ? json_dumps(e, JSON_COMPACT) : NULL;
        size_t len = one ? strlen(one) + 1 : 0;
        free(one);
        if (!e || *bytes + len > API_MAX_MESSAGE - 1024) {
                json_decref(e);
                *truncated = true;
                return;
        }
        *bytes += len;
        json_array_append_new(list, e);
}

static bool ids_contain(const int64_t *ids, size_t n, int64_t id) {
        for (size_t i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

/* An array's id in a bulk cancel: an entry for each of its elements not
 * over yet (those the filters leave out "skipped"), their ids added to
 * *done. > 0: answered; 0: every element is over; < 0: error. */
static int cancel_array_entries(Ctx *x, const Job *head, uid_t *only_uid, json_t *list, size_t *bytes, bool *truncated,
                                int64_t **done, size_t *n_done, unsigned *cancelled, unsigned *failed,
                                unsigned *named) {
        StoreFilter f = { .array_job_id = head->id };
        Job **l = NULL;
        size_t n = 0, open = 0;
        int r = store_list(x->c->store, &f, &l, &n);
        if (r < 0)
                return r;
        int64_t *nd = realloc(*done, (*n_done + n + 1) * sizeof(int64_t));
        if (!nd) {
                job_list_free(l, n);
                return -ENOMEM;
        }
        *done = nd;
        for (size_t i = 0; i < n; i++) {
                if (job_state_is_final(l[i]->state))
                        continue;
                bool bad = false;
                int64_t id = l[i]->id;
                json_t *e = cancel_entry(x, &l[i], id, only_uid, &bad);
                const char *res = json_string_value(json_object_get(e, "result"));
                *cancelled += res && (streq(res, "cancelled") || streq(res, "cancel_requested"));
                *failed += bad;
                (*named)++;
                open++;
                (*done)[(*n_done)++] = id;
                if (e)
                        json_object_set_new(e, "array_job_id", json_integer((json_int_t) head->id));
                append_entry(list, e, bytes, truncated);
        }
        job_list_free(l, n);
        return open > 0;
}

/* cancel of a selection (corral cancel 3 5-9 12 -u USER --state STATE):
 * every id named gets its entry; without ids, the user's (default: the
 * caller's) jobs not over yet that match the states. */
static json_t *op_cancel_bulk(Ctx *x) {
        Core *c = x->c;
        ApiRequest *rq = x->req;
        int64_t *done = NULL; /* the array elements cancelled with their array */
        size_t n_done = 0, bytes = 256;
        uid_t uid = x->conn->uid;
        bool by_user = false;
        unsigned cancelled = 0, failed = 0, named = 0;
        bool truncated = false;
        int r;

        if (rq->user) {
                struct passwd *pw = getpwnam(rq->user);
                if (!pw)
                        return deny(x, "not_found", "no user %s", rq->user);
                if (pw->pw_uid != x->conn->uid && !x->conn->admin)
                        return deny(x, "denied", "only admins may cancel other users' jobs");
                uid = pw->pw_uid;
                by_user = true;
        }
        json_t *list = json_array();
        if (!list)
                return deny(x, "internal", "out of memory");
        if (rq->n_ranges > 0) {
                for (size_t i = 0; i < rq->n_ranges; i++)
                        for (int64_t id = rq->ranges[i][0]; id <= rq->ranges[i][1]; id++) {
                                Job *j = NULL;
                                bool bad = false;
                                r = store_get(c->store, id, &j);
                                if (r < 0 && r != -ENOENT) {
                                        json_decref(list);
                                        free(done);
                                        return deny(x, "internal", "cannot read job %lld: %s", (long long) id,
                                                    strerror(-r));
                                }
                                if (!x->job)
                                        x->job = id;
                                if (j && j->array_job_id > 0 && j->array_job_id != j->id &&
                                    ids_contain(done, n_done, id)) {
                                        /* cancelled with its array, named before */
                                        job_free(j);
                                        continue;
                                }
                                if (j && j->array_job_id == j->id && (j->uid == x->conn->uid || x->conn->admin)) {
                                        /* an array's id: its elements not over yet */
                                        r = cancel_array_entries(x, j, by_user ? &uid : NULL, list, &bytes, &truncated,
                                                                 &done, &n_done, &cancelled, &failed, &named);
                                        job_free(j);
                                        if (r < 0) {
                                                json_decref(list);
                                                free(done);
                                                return deny(x, "internal", "cannot read the array's jobs: %s",
                                                            strerror(-r));
                                        }
                                        if (r > 0)
                                                continue;
                                        /* every element over: answered as the job its id is */
                                        j = NULL;
                                        r = store_get(c->store, id, &j);
                                        if (r < 0 && r != -ENOENT) {
                                                json_decref(list);
                                                free(done);
                                                return deny(x, "internal", "cannot read job %lld: %s", (long long) id,
                                                            strerror(-r));
                                        }
                                }
                                json_t *e = cancel_entry(x, &j, id, by_user ? &uid : NULL, &bad);
                                const char *res = json_string_value(json_object_get(e, "result"));
                                cancelled += res && (streq(res, "cancelled") || streq(res, "cancel_requested"));
                                failed += bad;
                                named++;
                                job_free(j);
                                append_entry(list, e, &bytes, &truncated);
                        }
                free(done);
        } else {
                unsigned open_states =
                        (1u << JOB_QUEUED) | (1u << JOB_HELD) | (1u << JOB_STARTING) | (1u << JOB_RUNNING);
                StoreFilter f = { .by_uid = true,
                                  .uid = uid,
                                  .states = rq->states ? rq->states & open_states : open_states,
                                  .limit = API_MAX_CANCEL + 1 };
                Job **l = NULL;
                size_t n = 0;
                if (f.states) {
                        r = store_list(c->store, &f, &l, &n);
                        if (r < 0) {
                                json_decref(list);
                                return deny(x, "internal", "cannot list jobs: %s", strerror(-r));
                        }
                }
                truncated = n > API_MAX_CANCEL;
                for (size_t i = 0; i < n && i < API_MAX_CANCEL; i++) {
                        bool bad = false;
                        int64_t id = l[i]->id;
                        json_t *e = cancel_entry(x, &l[i], id, &uid, &bad);
                        const char *res = json_string_value(json_object_get(e, "result"));
                        cancelled += res && (streq(res, "cancelled") || streq(res, "cancel_requested"));
                        /* a job selected by the filters that ended meanwhile is no failure */
                        json_array_append_new(list, e);
                }
                job_list_free(l, n);
        }
        if (deps_update(c))
                dispatch(c);
        update_status(c);
        json_t *resp = ok(x);
        snprintf(x->detail, sizeof x->detail, "bulk: %u cancelled, %u failed of %u named%s", cancelled, failed, named,
                 by_user ? " (by user)" : "");
        json_object_set_new(resp, "jobs", list);
        json_object_set_new(resp, "cancelled", json_integer(cancelled));
        json_object_set_new(resp, "failed", json_integer(failed));
        json_object_set_new(resp, "truncated", json_boolean(truncated));
        return resp;
}

/* The answer to the cancel of one job (cancel_one's what); frees j. */
static json_t *cancel_answer(Ctx *x, Job *j, const char *what) {
        json_t *resp;
        if (streq(what, "cancelled") || streq(what, "cancel_requested")) {
                /* the jobs that depended on it */
                if (deps_update(x->c))
                        dispatch(x->c);
                resp = ok(x);
        } else if (streq(what, "already_final"))
                resp = deny(x, "conflict", "job %lld already ended (%s)", (long long) j->id,
                            job_state_to_string(j->state));
        else
                resp = deny(x, "internal", "%s", x->detail);
        job_free(j);
        return resp;
}

/* cancel ID of an array (its first element's id): every element not over
 * yet; cancel ID with "task": that element only; any other id: that job;
 * a selection: op_cancel_bulk. */
static json_t *op_cancel(Ctx *x) {
        Job *j = NULL, **l = NULL;
        size_t n = 0;
        if (x->req->bulk)
                return op_cancel_bulk(x);
        json_t *e = get_own_job(x, x->req->job, &j);
        if (e)
                return e;
        bool is_array = j->array_job_id > 0 && j->array_job_id == j->id;
        if (!is_array && !x->req->has_task)
                return cancel_answer(x, j, cancel_one(x, &j));
        if (!is_array) {
                e = deny(x, "not_found", "job %lld is not an array (a task id names an element of an array: ID_TASK)",
                         (long long) j->id);
                job_free(j);
                return e;
        }
        StoreFilter f = { .array_job_id = j->id };
        job_free(j);
        int r = store_list(x->c->store, &f, &l, &n);
        if (r < 0)
                return deny(x, "internal", "cannot read the array's jobs: %s", strerror(-r));
        if (x->req->has_task) {
                for (size_t i = 0; i < n; i++)
                        if (l[i]->array_task_id == x->req->task) {
                                Job *one = l[i];
                                l[i] = NULL;
                                job_list_free(l, n);
                                x->job = one->id;
                                return cancel_answer(x, one, cancel_one(x, &one));
                        }
                job_list_free(l, n);
                return deny(x, "not_found", "array %lld has no task %llu", (long long) x->req->job,
                            (unsigned long long) x->req->task);
        }
        uint64_t cancelled = 0;
        bool internal = false;
        for (size_t i = 0; i < n; i++) {
                if (job_state_is_final(l[i]->state))
                        continue;
                const char *what = cancel_one(x, &l[i]);
                cancelled += streq(what, "cancelled") || streq(what, "cancel_requested");
                internal |= streq(what, "internal");
        }
        job_list_free(l, n);
        x->job = x->req->job;
        if (cancelled > 0 && deps_update(x->c))
                dispatch(x->c);
        update_status(x->c);
        if (cancelled == 0 && internal)
                return deny(x, "internal", "%s", x->detail);
        if (cancelled == 0)
                return deny(x, "conflict", "every job of array %lld already ended", (long long) x->req->job);
        json_t *resp = ok(x);
        json_object_set_new(resp, "array_job_id", json_integer((json_int_t) x->req->job));
        json_object_set_new(resp, "cancelled", json_integer((json_int_t) cancelled));
        return resp;
}

static json_t *op_hold_release(Ctx *x) {
        Job *j = NULL;
        bool hold = x->req->op == API_HOLD;
        json_t *e = get_own_job(x, x->req->job, &j);
        if (e)
                return e;
        int r = store_transition(x->c->store, j->id, hold ? JOB_QUEUED : JOB_HELD, hold ? JOB_HELD : JOB_QUEUED);
        JobState was = j->state;
        job_free(j);
        if (r < 0)
                return deny(x, "internal", "%s", strerror(-r));
        if (r == 0)
                return deny(x, "conflict", "job %lld is %s, not %s", (long long) x->req->job, job_state_to_string(was),
                            hold ? "QUEUED" : "HELD");
        watch_job_changed(x->c, x->req->job);
        if (!hold)
                dispatch(x->c);
        update_status(x->c);
        return ok(x);
}

static json_t *op_drain_resume(Ctx *x) {
        Core *c = x->c;
        bool drain = x->req->op == API_DRAIN;
        if (!x->conn->admin)
                return deny(x, "denied", "only root and members of the admin group may %s the node",
                            drain ? "drain" : "resume");
        int r = store_set_setting(c->store, "drained", drain ? "1" : "0");
        if (r < 0)
                return deny(x, "internal", "%s", strerror(-r));
        c->drained = drain;
        log_info("node %s by uid %u", drain ? "drained" : "resumed", (unsigned) x->conn->uid);
        if (!drain)
                dispatch(c);
        update_status(c);
        json_t *resp = ok(x);
        json_object_set_new(resp, "drained", json_boolean(drain));
        return resp;
}

static json_t *op_policies(Ctx *x) {
        _cleanup_strv_free_ char **names = NULL;
        int r = policy_list(x->c->s->policy_dir, &names);
        if (r < 0)
                return deny(x, "internal", "cannot list policies: %s", strerror(-r));
        json_t *l = json_array();
        for (char **n = names; l && *n; n++) {
                _cleanup_policy_free_ Policy *p = NULL;
                ConfDiags d = { 0 };
                r = policy_load(x->c->s->policy_dir, *n, POLICY_STRICT_PERMS, &p, &d);
                conf_diags_clear(&d);
                json_array_append_new(l, json_pack("{s:s, s:b, s:s, s:b}", "name", *n, "valid", r >= 0, "description",
                                                   p ? p->description : "", "default",
                                                   streq(*n, x->c->s->node->default_policy)));
        }
        json_t *resp = ok(x);
        json_object_set_new(resp, "policies", l ? l : json_array());
        return resp;
}

static json_t *op_version(Ctx *x) {
        uint64_t counts[_JOB_STATE_MAX] = { 0 };
        (void) store_count_states(x->c->store, counts);
        json_t *resp = ok(x);
        json_object_set_new(resp, "version", json_string(CORRAL_VERSION));
        json_object_set_new(resp, "api", json_integer(1));
        json_object_set_new(resp, "slots", json_integer((json_int_t) x->c->s->slots));
        json_object_set_new(resp, "node_mem", json_integer((json_int_t) min_u64(x->c->s->node_mem, INT64_MAX)));
        json_object_set_new(resp, "node_cpus", json_integer((json_int_t) min_u64(x->c->s->node_cpus, INT64_MAX)));
        json_object_set_new(resp, "drained", json_boolean(x->c->drained));
        json_object_set_new(resp, "running",
                            json_integer((json_int_t) counts[JOB_RUNNING] + (json_int_t) counts[JOB_STARTING]));
        json_object_set_new(resp, "queued", json_integer((json_int_t) counts[JOB_QUEUED]));
        json_object_set_new(resp, "admin", json_boolean(x->conn->admin));
        return resp;
}

/* logs: a JSON header, then (when "bytes" > 0) one raw message with the data */
static int send_chunk(Conn *conn, const Job *j, int stream, uint64_t *offset, bool *ret_eof) {
        char path[4300];
        _cleanup_close_ int fd = -1;
        char *buf;
        ssize_t n;
        int r;

        snprintf(path, sizeof path, "%s/%s/%s", conn->core->s->output_dir, j->output_id, stream ? "stderr" : "stdout");
        /* nothing yet before the job runs (its directory may be unreadable) */
        bool ready = job_state_has_output(j->state);
        fd = ready ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) : -1;
        if (ready && fd < 0 && errno != ENOENT)
                return negative_errno();
        buf = malloc(LOGS_CHUNK);
        if (!buf)
                return -ENOMEM;
        n = fd >= 0 ? pread(fd, buf, LOGS_CHUNK, (off_t) *offset) : 0;
        if (n < 0) {
                r = negative_errno();
                free(buf);
                return r;
        }
        *ret_eof = n == 0 && job_state_is_final(j->state);
        r = conn_send(conn, json_pack("{s:b, s:I, s:I, s:b, s:s}", "ok", 1, "offset", (json_int_t) *offset, "bytes",
                                      (json_int_t) n, "eof", *ret_eof, "state", job_state_to_string(j->state)));
        if (r >= 0 && n > 0)
                r = conn_send_raw(conn, buf, (size_t) n);
        free(buf);
        if (r >= 0)
                *offset += (uint64_t) n;
        return r;
}

static json_t *op_logs(Ctx *x) {
        Job *j = NULL;
        bool eof = false;
        uint64_t offset = x->req->offset;
        json_t *e = get_own_job(x, x->req->job, &j);
        if (e)
                return e;
        _cleanup_free_ char *path = NULL;
        (void) job_output_path(j, x->req->stream, &path);
        const char *elsewhere = path ? path : x->req->stream ? j->stderr_path : j->stdout_path;
        if (elsewhere) {
                e = deny(x, "invalid", "job %lld writes its %s to %s (chosen at submit): read it there",
                         (long long) j->id, x->req->stream ? "stderr" : "stdout", elsewhere);
                job_free(j);
                return e;
        }
        int r = send_chunk(x->conn, j, x->req->stream, &offset, &eof);
        if (r < 0) {
                job_free(j);
                return deny(x, "internal", "cannot read the job's output: %s", strerror(-r));
        }
        x->result = "ok";
        if (x->req->follow && !eof) {
                /* the rest is pushed as the job writes (core-watch.c) */
                r = watch_start(x->conn, j, WATCH_LOGS, x->req->stream, offset);
                if (r < 0)
                        x->result = "internal";
        }
        job_free(j);
        return NULL; /* already answered */
}

/* wait: the connection becomes a subscription to the job (core-watch.c),
 * audited once, here; another user's job is "not_found" */
static json_t *op_wait(Ctx *x) {
        Job *j = NULL;
        json_t *e = get_own_job(x, x->req->job, &j);
        if (e)
                return e;
        int r = watch_start(x->conn, j, WATCH_WAIT, x->req->output ? 0 : -1, 0);
        job_free(j);
        if (r < 0)
                return deny(x, "internal", "cannot wait for the job: %s", strerror(-r));
        x->result = "ok";
        return NULL; /* the first state event is the answer */
}

static const struct {
        ApiOp op;
        json_t *(*run)(Ctx *x);
} api_ops[] = {
        { API_SUBMIT, op_submit },        { API_LIST, op_list },          { API_SHOW, op_show },
        { API_CANCEL, op_cancel },        { API_LOGS, op_logs },          { API_HOLD, op_hold_release },
        { API_RELEASE, op_hold_release }, { API_DRAIN, op_drain_resume }, { API_RESUME, op_drain_resume },
        { API_POLICIES, op_policies },    { API_VERSION, op_version },    { API_WAIT, op_wait },
        { API_HISTORY, op_history },
};

/* ---- rejected requests, audited in aggregate ----
 *
 * A client that sends rejected requests in a loop (20,000 in 1.3 s) would
 * otherwise add a row to the audit log and a line to the journal for each.
 * Per uid and per window of REJECT_WINDOW: the first REJECT_ROWS rejections
 * are audited one by one, the rest only counted, and when the window closes
 * one row says how many ("N more rejected requests from uid U in the last
 * 60 s"). The requests are still answered at once, each with its reason;
 * the core serves one request per wake-up of a connection, so one uid's
 * flood (at most its 64 connections) takes its turn with everyone else. */
#define REJECT_WINDOW (60 * USEC_PER_SEC)
#define REJECT_ROWS 5

typedef struct RejectWindow {
        uid_t uid;
        uint64_t start; /* CLOCK_MONOTONIC usec */
        unsigned rows; /* audited one by one */
        uint64_t counted; /* only counted */
        struct RejectWindow *next;
} RejectWindow;

static uint64_t now_mono(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int on_reject_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        reject_windows_flush(userdata, false);
        return 0;
}

/* Closes the windows that are over (all: every one), with their summary
 * row, and arms the timer for the next to close. */
void reject_windows_flush(Core *c, bool all) {
        uint64_t now = now_mono(), next = UINT64_MAX;
        for (RejectWindow **p = &c->reject_windows; *p;) {
                RejectWindow *w = *p;
                if (!all && now - w->start < REJECT_WINDOW) {
                        next = w->start + REJECT_WINDOW < next ? w->start + REJECT_WINDOW : next;
                        p = &w->next;
                        continue;
                }
                if (w->counted > 0) {
                        char detail[160];
                        uint64_t secs = (now - w->start + USEC_PER_SEC / 2) / USEC_PER_SEC;
                        snprintf(detail, sizeof detail, "%llu more rejected requests from uid %u in the last %llu s",
                                 (unsigned long long) w->counted, (unsigned) w->uid,
                                 (unsigned long long) (secs > REJECT_WINDOW / USEC_PER_SEC
                                                               ? REJECT_WINDOW / USEC_PER_SEC
                                                               : secs));
                        int r = store_audit(c->store, w->uid, 0, "rejected", 0, "summary", detail);
                        if (r < 0)
                                log_warning_errno(r, "Cannot write the audit log, ignoring: %m");
                        log_notice("audit: %s", detail);
                }
                *p = w->next;
                free(w);
        }
        if (next == UINT64_MAX || all) {
                if (c->reject_timer)
                        (void) sd_event_source_set_enabled(c->reject_timer, SD_EVENT_OFF);
                return;
        }
        if (!c->reject_timer) {
                if (sd_event_add_time(c->event, &c->reject_timer, CLOCK_MONOTONIC, next, 0, on_reject_timer, c) < 0)
                        return;
        } else
                (void) sd_event_source_set_time(c->reject_timer, next);
        (void) sd_event_source_set_enabled(c->reject_timer, SD_EVENT_ONESHOT);
}

/* A request of uid was rejected: does it get an audit row of its own? */
static bool reject_audited(Core *c, uid_t uid) {
        uint64_t now = now_mono();
        RejectWindow *w;
        for (w = c->reject_windows; w; w = w->next)
                if (w->uid == uid)
                        break;
        if (w && now - w->start >= REJECT_WINDOW) {
                /* over, the timer not run yet: its summary first */
                reject_windows_flush(c, false);
                w = NULL;
        }
        if (!w) {
                w = calloc(1, sizeof(RejectWindow));
                if (!w)
                        return true;
                *w = (RejectWindow){ .uid = uid, .start = now, .next = c->reject_windows };
                c->reject_windows = w;
                if (!c->reject_timer || sd_event_source_get_enabled(c->reject_timer, NULL) == 0)
                        reject_windows_flush(c, false); /* arms the timer */
        }
        if (w->rows < REJECT_ROWS) {
                w->rows++;
                return true;
        }
        w->counted++;
        return false;
}

/* One audit row (and journal line) for the request, unless it was rejected
 * and its uid had its share of rows in this window. */
static void audit_request(Conn *conn, const char *opname, int64_t job, const char *result, const char *detail) {
        Core *c = conn->core;
        bool rejected = !streq(result, "ok") && !streq(result, "internal");
        if (rejected && !reject_audited(c, conn->uid)) {
                log_debug("audit (counted): %s by uid %u pid %d: %s%s%s", opname, (unsigned) conn->uid, (int) conn->pid,
                          result, detail ? ": " : "", detail ? detail : "");
                return;
        }
        /* every request is in the audit log: time, uid, pid, operation, job, result */
        int ar = store_audit(c->store, conn->uid, conn->pid, opname, job, result, detail);
        if (ar < 0)
                log_warning_errno(ar, "Cannot write the audit log, ignoring: %m");
        log_full_errno(streq(result, "ok") ? LOG_INFO : LOG_NOTICE, 0, "audit: %s by uid %u pid %d: %s%s%s", opname,
                       (unsigned) conn->uid, (int) conn->pid, result, detail ? ": " : "", detail ? detail : "");
}

static void handle_request(Conn *conn, const char *buf, size_t len) {
        Core *c = conn->core;
        ApiRequest req = { .op = _API_OP_INVALID };
        _cleanup_free_ char *err = NULL;
        Ctx x = { .c = c, .conn = conn, .req = &req, .result = "invalid" };
        json_t *resp = NULL;
        int r;

        c->requests++;
        r = api_request_parse(buf, len, &req, &err);
        if (r < 0) {
                snprintf(x.detail, sizeof x.detail, "%s", err ? err : strerror(-r));
                resp = api_error("invalid", "%s", x.detail);
        } else {
                for (size_t i = 0; i < ELEMENTSOF(api_ops); i++)
                        if (api_ops[i].op == req.op) {
                                resp = api_ops[i].run(&x);
                                break;
                        }
        }
        const char *opname = r < 0 ? "malformed" : api_op_to_string(req.op);
        audit_request(conn, opname, x.job, x.result, x.detail[0] ? x.detail : NULL);
        api_request_done(&req);
        c->metrics_dirty = true;
        if (resp && conn_send(conn, resp) < 0) {
                conn_free(conn);
                return;
        }
}

static int on_conn(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Conn *conn = userdata;
        char *buf;
        ssize_t n;

        if (conn->watch) {
                /* pushed to: the client only reads; EOF or error ends it */
                watch_on_io(conn, revents);
                return 0;
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
                return 0;
        buf = malloc(API_MAX_MESSAGE + 1);
        if (!buf) {
                conn_free(conn);
                return 0;
        }
        n = recv(fd, buf, API_MAX_MESSAGE + 1, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                free(buf);
                return 0;
        }
        if (n <= 0) {
                free(buf);
                conn_free(conn);
                return 0;
        }
        /* a request: the idle clock starts again */
        if (conn->idle_timer) {
                (void) sd_event_source_set_time_relative(conn->idle_timer, conn->core->s->node->idle_timeout);
                (void) sd_event_source_set_enabled(conn->idle_timer, SD_EVENT_ONESHOT);
        }
        if ((size_t) n > API_MAX_MESSAGE) {
                /* oversized: refused with a reason, and the daemon goes on */
                audit_request(conn, "oversized", 0, "invalid", NULL);
                (void) conn_send(conn,
                                 api_error("invalid", "request too large (%zd bytes, limit %zu)", n, API_MAX_MESSAGE));
                free(buf);
                return 0;
        }
        handle_request(conn, buf, (size_t) n);
        free(buf);
        return 0;
}

/* A connection that sent no request for idle_timeout is closed: a client
 * that connects and stays silent holds a slot of max_connections (and of
 * its user's 64) for nothing. One that waits for a job or follows its
 * output (wait, logs -f) is being served, not idle. */
static int on_idle(sd_event_source *src, uint64_t usec, void *userdata) {
        Conn *conn = userdata;
        char buf[FORMAT_BUF];
        if (conn->watch)
                return 0;
        log_debug("Closing the connection of uid %u pid %d: no request for %s", (unsigned) conn->uid, (int) conn->pid,
                  format_duration(buf, conn->core->s->node->idle_timeout));
        conn_free(conn);
        return 0;
}

static int on_accept_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        Core *c = userdata;
        (void) sd_event_source_set_enabled(c->accept_src, SD_EVENT_ON);
        return 0;
}

/* Refuses a connection with a reason the client can print; holdconns and
 * the CLI look for "too many connections". */
static void refuse(int cfd, const char *why) {
        char msg[300];
        int n = snprintf(msg, sizeof msg, "{\"ok\":false,\"code\":\"limit\",\"error\":\"too many connections%s\"}",
                         why);
        if (n > 0 && (size_t) n < sizeof msg)
                (void) send(cfd, msg, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT);
        /* closed with its request unread, the client's recv() would fail
         * with ECONNRESET before it saw the answer */
        while (recv(cfd, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC) > 0)
                ;
        close(cfd);
}

/* Who may connect, in this order: the peer is identified first
 * (SO_PEERCRED, and the admin group from SO_PEERGROUPS), then the limits
 * are checked with that identity: the node's max_connections for everyone;
 * below it, the last NODECONF_ADMIN_CONNECTIONS only for root and the
 * admin group, so that idle or hostile connections of users can never lock
 * an admin out; and 64 per uid but root's. */
int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Core *c = userdata;
        struct ucred cred;
        socklen_t len = sizeof cred;
        uint64_t max = c->s->node->max_connections;
        bool privileged;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
                if (errno == EMFILE || errno == ENFILE) {
                        /* the pending connection would wake us again at once: pause */
                        log_warning_errno(negative_errno(), "Cannot accept a connection: %m; pausing for %llu ms",
                                          (unsigned long long) (ACCEPT_RETRY_USEC / USEC_PER_MSEC));
                        c->accept_src = src;
                        if (c->accept_retry)
                                (void) sd_event_source_set_time_relative(c->accept_retry, ACCEPT_RETRY_USEC);
                        else if (sd_event_add_time_relative(c->event, &c->accept_retry, CLOCK_MONOTONIC,
                                                            ACCEPT_RETRY_USEC, 0, on_accept_retry, c) < 0)
                                return 0;
                        (void) sd_event_source_set_enabled(c->accept_retry, SD_EVENT_ONESHOT);
                        (void) sd_event_source_set_enabled(src, SD_EVENT_OFF);
                }
                return 0;
        }
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                close(cfd);
                return 0;
        }
        privileged = is_admin(c, cred.uid, cred.gid, cfd);
        if (c->n_conns >= max) {
                refuse(cfd, ": corrald is at its max_connections");
                return 0;
        }
        if (!privileged && c->n_conns >= max - NODECONF_ADMIN_CONNECTIONS(max)) {
                refuse(cfd, ": the connections left are kept for root and the admin group");
                return 0;
        }
        unsigned mine = 0;
        for (Conn *o = c->conns; o; o = o->next)
                mine += o->uid == cred.uid;
        if (cred.uid != 0 && mine >= MAX_CONNECTIONS_PER_UID) {
                refuse(cfd, "");
                return 0;
        }
        Conn *conn = calloc(1, sizeof(Conn));
        if (!conn) {
                close(cfd);
                return 0;
        }
        /* identity from the kernel, never from the request */
        struct timespec ts;
        (void) clock_gettime(CLOCK_BOOTTIME, &ts);
        *conn = (Conn){ .core = c,
                        .fd = cfd,
                        .uid = cred.uid,
                        .gid = cred.gid,
                        .pid = cred.pid,
                        .accepted = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000,
                        .next = c->conns };
        conn->admin = privileged;
        if (sd_event_add_io(c->event, &conn->src, cfd, EPOLLIN | EPOLLRDHUP, on_conn, conn) < 0 ||
            (c->s->node->idle_timeout != USEC_INFINITY &&
             sd_event_add_time_relative(c->event, &conn->idle_timer, CLOCK_MONOTONIC, c->s->node->idle_timeout, 0,
                                        on_idle, conn) < 0)) {
                sd_event_source_disable_unref(conn->src);
                close(cfd);
                free(conn);
                return 0;
        }
        c->conns = conn;
        c->n_conns++;
        return 0;
}
