/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-lifecycle.c — a job's life after the queue: the requests the core
 * sends the root helper (launch, signal, kill, epilogue, adopt) and the
 * helper's messages back (launched, launch-failed, exited, epilogue-done,
 * adopted, cleanup-done), the dispatcher that starts the jobs that fit
 * (core-pack.c: by the slots, CPUs and memory they take), the cancel
 * of a running job, and crash recovery at start-up (see core.c for the
 * states a job goes through). */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "core.h"
#include "job.h"
#include "log.h"
#include "hmsg.h"
#include "macro.h"
#include "messages.h"
#include "policy.h"
#include "protocol.h"
#include "store.h"
#include "strv.h"

/* ---- requests to the helper ---- */

/* Sends one request (lib/hmsg.h); the core exits when the helper cannot
 * take it. -EINVAL: m itself does not pass the checks the helper would
 * make (a stored job with a field that is not valid any more): nothing
 * was sent, the caller decides; *ret_field names the field. */
static int helper_send(Core *c, const HMsg *m, const char **ret_field) {
        int r = hmsg_send(c->helper_fd, m, ret_field);
        if (r == -EINVAL)
                return r;
        if (r < 0) {
                log_error_errno(r, "Cannot talk to the root helper: %m; exiting");
                sd_event_exit(c->event, EXIT_FAILURE);
        }
        return r;
}

/* ---- cancel of a running job ---- */

typedef struct KillCtx {
        Core *c;
        int64_t id;
} KillCtx;

static int on_grace_over(sd_event_source *src, uint64_t usec, void *userdata) {
        KillCtx *k = userdata;
        Active *a = active_find(k->c, k->id);
        if (a && !a->epilogue) {
                log_job(LOG_NOTICE, (long long) k->id, NULL, "grace period over: killing its cgroup");
                (void) helper_send(k->c, &(HMsg){ .type = HMSG_T_KILL, .kill = { .job = k->id } }, NULL);
        }
        return 0;
}

/* SIGTERM through the launcher now, the cgroup killed after the policy's grace. */
void start_cancel(Core *c, const Job *j) {
        Active *a = active_find(c, j->id);
        _cleanup_policy_free_ Policy *p = NULL;
        ConfDiags d = { 0 };
        uint64_t grace = c->s->grace;

        if (!a || a->kill_timer)
                return;
        if (policy_load(c->s->policy_dir, j->policy, 0, &p, &d) >= 0)
                grace = p->grace;
        conf_diags_clear(&d);
        (void) helper_send(c, &(HMsg){ .type = HMSG_T_SIGNAL, .signal = { .job = j->id, .signal = SIGTERM } }, NULL);
        KillCtx *k = calloc(1, sizeof(KillCtx));
        if (!k)
                return;
        *k = (KillCtx){ c, j->id };
        uint64_t now;
        sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (sd_event_add_time(c->event, &a->kill_timer, CLOCK_MONOTONIC, now + grace + 1, 0, on_grace_over, k) < 0)
                free(k);
        else
                sd_event_source_set_destroy_callback(a->kill_timer, free);
}

/* ---- the helper's messages ---- */

static JobState state_from_result(json_t *res, int code) {
        const char *st = json_string_value(json_object_get(res, "state"));
        JobState s = st ? job_state_from_string(st) : _JOB_STATE_INVALID;
        if (s != JOB_COMPLETED && s != JOB_FAILED && s != JOB_TIMEOUT && s != JOB_OUT_OF_MEMORY && s != JOB_CANCELLED)
                s = code == 0 ? JOB_COMPLETED : JOB_FAILED;
        return s;
}

static void on_epilogue_done(Core *c, const HMsg *m, Job *j);

static void run_epilogue(Core *c, Job *j) {
        Active *a = active_find(c, j->id);
        HMsg m = { .type = HMSG_T_EPILOGUE,
                   .epilogue = { .job = j->id, .uid = j->uid, .user = j->user, .policy = j->policy } };
        HMsgEpilogue *e = &m.epilogue;
        Job **l = NULL;
        size_t n = 0;
        StoreFilter f = { .by_uid = true, .uid = j->uid, .states = (1u << JOB_STARTING) | (1u << JOB_RUNNING) };
        const char *field = NULL;

        if (a)
                a->epilogue = true;
        /* the sessions this job and the user's running jobs were submitted
         * from: the user's own terminals, spared */
        if (j->submit_sid > 1)
                e->keep_sessions[e->n_keep_sessions++] = j->submit_sid;
        if (store_list(c->store, &f, &l, &n) >= 0) {
                for (size_t i = 0; i < n && e->n_keep_sessions < HMSG_MAX_KEEP_SESSIONS; i++)
                        if (l[i]->submit_sid > 1 && l[i]->id != j->id)
                                e->keep_sessions[e->n_keep_sessions++] = l[i]->submit_sid;
                job_list_free(l, n);
        }
        if (helper_send(c, &m, &field) == -EINVAL) {
                /* as the helper answers for an account that is gone */
                log_job(LOG_WARNING, (long long) j->id, j->user, "no epilogue: the job's %s is not valid", field);
                on_epilogue_done(
                        c, &(HMsg){ .type = HMSG_T_EPILOGUE_DONE, .epilogue_done = { .job = j->id, .exit = 2 } }, j);
        }
}

static void on_launched(Core *c, const HMsg *msg, Job *j) {
        const HMsgLaunched *m = &msg->launched;
        if (j->state != JOB_STARTING)
                return;
        j->state = JOB_RUNNING;
        j->start_time = now_usec();
        j->launcher_pid = m->pid;
        j->launcher_start = m->start;
        free(j->cgroup);
        /* where the helper's backend put it (none: cgroupfs's rule) */
        const char *where = m->cgroup;
        char cg[256];
        if (where)
                j->cgroup = strdup(where);
        else
                j->cgroup =
                        job_cgroup_name_num(c->s->node->cgroup_parent, j->id, sizeof cg, cg) >= 0 ? strdup(cg) : NULL;
        int r = store_update(c->store, j);
        if (r < 0)
                log_warning_errno(r, "Cannot record job %lld as running: %m", (long long) j->id);
        c->launches++;
        Active *a = active_find(c, j->id);
        if (a)
                a->running = true;
        char pid_field[64];
        (void) snprintf(pid_field, sizeof pid_field, "CORRAL_LAUNCHER_PID=%d", (int) j->launcher_pid);
        log_job_full(LOG_INFO, (long long) j->id, j->user,
                     (const char *const[]){ CORRAL_MESSAGE_JOB_STARTED, "CORRAL_STATE=RUNNING", pid_field, NULL },
                     "running (launcher pid %d)", (int) j->launcher_pid);
        if (j->cancel_requested)
                start_cancel(c, j);
        /* --after: the jobs that waited for it to start (core-deps.c) */
        if (deps_update(c))
                dispatch(c);
}

static void on_launch_failed(Core *c, const HMsg *m, Job *j) {
        const char *err = m->launch_failed.error;
        j->state = JOB_FAILED;
        j->end_time = now_usec();
        free(j->reason);
        j->reason = strdup(err ? err : "launch failed");
        free(j->epilogue);
        j->epilogue = strdup("{\"skipped\":\"the job was not launched\"}");
        (void) store_update(c->store, j);
        c->launch_failures++;
        _cleanup_free_ char *reason_field = NULL;
        if (asprintf(&reason_field, "CORRAL_REASON=%s", j->reason ? j->reason : "") < 0)
                reason_field = NULL;
        log_job_full(
                LOG_WARNING, (long long) j->id, j->user,
                (const char *const[]){ CORRAL_MESSAGE_JOB_LAUNCH_FAILED, "CORRAL_STATE=FAILED", reason_field, NULL },
                "launch failed: %s", j->reason ? j->reason : "");
        active_remove(c, j->id);
        /* the jobs that depended on it (core-deps.c); dispatched below */
        (void) deps_update(c);
        dispatch(c);
}

/* The end of a job that ran: MESSAGE_ID= and the fields of corrald(8) "JOURNAL FIELDS". */
static void log_job_end(const Job *j) {
        char state[64], exit_field[64], sig_field[64];
        _cleanup_free_ char *reason = NULL;
        int sig = j->exit_signal < 0 ? 0 : j->exit_signal;

        (void) snprintf(state, sizeof state, "CORRAL_STATE=%s", job_state_to_string(j->state));
        (void) snprintf(exit_field, sizeof exit_field, "CORRAL_EXIT=%d", j->exit_code);
        (void) snprintf(sig_field, sizeof sig_field, "CORRAL_SIGNAL=%d", sig);
        if (j->reason && asprintf(&reason, "CORRAL_REASON=%s", j->reason) < 0)
                reason = NULL;
        log_job_full(j->state == JOB_COMPLETED ? LOG_INFO : LOG_NOTICE, (long long) j->id, j->user,
                     (const char *const[]){ CORRAL_MESSAGE_JOB_ENDED, state, exit_field, sig_field, reason, NULL },
                     "%s, exit %d:%d", job_state_to_string(j->state), j->exit_code, sig);
}

static void on_exited(Core *c, const HMsg *m, Job *j) {
        json_t *res = m->exited.result;
        bool lost = m->exited.lost;
        bool status_known = m->exited.status_known;
        int code = m->exited.code;
        const char *log = m->exited.log;

        if (job_state_is_final(j->state) && j->epilogue) {
                active_remove(c, j->id);
                return;
        }
        free(j->reason);
        j->reason = NULL;
        if (json_is_object(res)) {
                _cleanup_free_ char *s = json_dumps(res, JSON_COMPACT);
                free(j->result);
                j->result = TAKE_PTR(s);
                j->state = state_from_result(res, code);
                const char *ex = json_string_value(json_object_get(res, "exit"));
                int ec = -1, es = 0;
                if (ex && sscanf(ex, "%d:%d", &ec, &es) == 2) {
                        j->exit_code = ec;
                        j->exit_signal = es;
                } else if (status_known) {
                        j->exit_code = code;
                        j->exit_signal = 0;
                }
                if (j->state == JOB_FAILED && log && *log)
                        j->reason = strdup(log);
        } else if (lost || !status_known) {
                j->state = JOB_LOST;
                j->reason = strdup("the launcher is gone and left no result (corrald restarted); its cgroup was "
                                   "killed and removed");
        } else {
                j->state = code == 0 ? JOB_COMPLETED : JOB_FAILED;
                j->exit_code = code;
                j->exit_signal = 0;
                j->reason = log && *log ? strdup(log) : strdup("the launcher left no result");
        }
        if (j->cancel_requested && j->state != JOB_LOST)
                j->state = JOB_CANCELLED;
        j->end_time = now_usec();
        int r = store_update(c->store, j);
        if (r < 0)
                log_warning_errno(r, "Cannot record the end of job %lld: %m", (long long) j->id);
        log_job_end(j);
        if (j->state == JOB_LOST)
                (void) store_audit(c->store, 0, getpid(), "recover", j->id, "lost", j->reason);
        Active *a = active_find(c, j->id);
        if (a) {
                a->kill_timer = sd_event_source_disable_unref(a->kill_timer);
                a->running = false;
        }
        run_epilogue(c, j);
        /* --afterok, --afterany: the jobs that waited for it to end */
        if (deps_update(c))
                dispatch(c);
}

static void on_epilogue_done(Core *c, const HMsg *m, Job *j) {
        json_t *summary = m->epilogue_done.summary;
        int ep_exit = m->epilogue_done.exit;
        json_t *rec = json_pack("{s:i, s:O}", "exit", ep_exit, "summary", summary ? summary : json_null());
        _cleanup_free_ char *s = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_t *killed = summary ? json_object_get(summary, "killed") : NULL;
        if (json_is_integer(killed))
                c->epilogue_kills += (uint64_t) json_integer_value(killed);
        json_decref(rec);
        free(j->epilogue);
        j->epilogue = TAKE_PTR(s);
        (void) store_update(c->store, j);
        char exit_field[64], killed_field[64];
        (void) snprintf(exit_field, sizeof exit_field, "CORRAL_EPILOGUE_EXIT=%d", ep_exit);
        (void) snprintf(killed_field, sizeof killed_field, "CORRAL_EPILOGUE_KILLED=%lld",
                        json_is_integer(killed) ? (long long) json_integer_value(killed) : 0LL);
        log_job_full(ep_exit == 0 ? LOG_INFO : LOG_WARNING, (long long) j->id, j->user,
                     (const char *const[]){ CORRAL_MESSAGE_EPILOGUE_DONE, exit_field, killed_field, NULL },
                     "epilogue done (exit %d: %s)", ep_exit,
                     ep_exit == 0   ? "clean"
                     : ep_exit == 1 ? "not clean"
                                    : "could not run");
        active_remove(c, j->id);
        dispatch(c);
}

static void on_adopted(Core *c, const HMsg *m, Job *j) {
        log_job(LOG_INFO, (long long) j->id, j->user, "adopted: its launcher still runs");
        (void) store_audit(c->store, 0, getpid(), "recover", j->id, "adopted", NULL);
}

/* What the helper may tell the core, by message type. */
static void (*const helper_messages[_HMSG_T_MAX])(Core *c, const HMsg *m, Job *j) = {
        [HMSG_T_LAUNCHED] = on_launched, [HMSG_T_LAUNCH_FAILED] = on_launch_failed,
        [HMSG_T_EXITED] = on_exited,     [HMSG_T_EPILOGUE_DONE] = on_epilogue_done,
        [HMSG_T_ADOPTED] = on_adopted,
};

int on_helper(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Core *c = userdata;
        const char *field = NULL;
        HMsg m;
        Job *j = NULL;
        int r = hmsg_recv(fd, &m, &field);

        if (r == -EAGAIN)
                return 0;
        if (r == -EBADMSG) {
                log_warning("Malformed message from the root helper (%s), ignoring", field ? field : "?");
                return 0;
        }
        if (r <= 0) {
                log_error("The root helper is gone; exiting (the next start recovers running jobs)");
                return sd_event_exit(c->event, EXIT_FAILURE);
        }
        if (!helper_messages[m.type])
                log_warning("Message '%s' is not the helper's to send, ignoring", hmsg_type_name(m.type));
        else if (store_get(c->store, hmsg_job(&m), &j) < 0)
                log_warning("Message '%s' from the helper about an unknown job, ignoring", hmsg_type_name(m.type));
        else
                helper_messages[m.type](c, &m, j);
        if (j)
                watch_job_changed(c, j->id); /* wait: pushed, not polled */
        job_free(j);
        hmsg_done(&m);
        c->metrics_dirty = true;
        update_status(c);
        return 0;
}

/* ---- dispatcher ---- */

/* j's stored environment and its array's variables (Slurm's
 * SLURM_ARRAY_* as CORRAL_ARRAY_*). */
static int job_array_env(const Job *j, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        char *kv = NULL;
        if (!l)
                return -ENOMEM;
        /* the stored ones but for CORRAL_ARRAY_* (-E): the array's own win */
        for (char **e = j->env; e && *e; e++)
                if (strncmp(*e, "CORRAL_ARRAY_", 13) != 0 && strv_extend(&l, *e) < 0)
                        return -ENOMEM;
        if (asprintf(&kv, "CORRAL_ARRAY_JOB_ID=%lld", (long long) j->array_job_id) < 0 || strv_consume(&l, kv) < 0 ||
            asprintf(&kv, "CORRAL_ARRAY_TASK_ID=%llu", (unsigned long long) j->array_task_id) < 0 ||
            strv_consume(&l, kv) < 0 ||
            asprintf(&kv, "CORRAL_ARRAY_TASK_COUNT=%llu", (unsigned long long) j->array_count) < 0 ||
            strv_consume(&l, kv) < 0 ||
            asprintf(&kv, "CORRAL_ARRAY_TASK_MIN=%llu", (unsigned long long) j->array_min) < 0 ||
            strv_consume(&l, kv) < 0 ||
            asprintf(&kv, "CORRAL_ARRAY_TASK_MAX=%llu", (unsigned long long) j->array_max) < 0 ||
            strv_consume(&l, kv) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

void dispatch(Core *c) {
        while (!c->drained && !c->recovering && c->n_active < c->s->slots) {
                Job *j = NULL;
                int r = pack_next(c, &j);
                if (r < 0) {
                        log_warning_errno(r, "Cannot pick the next job, ignoring: %m");
                        return;
                }
                if (!j)
                        break;
                r = store_transition(c->store, j->id, JOB_QUEUED, JOB_STARTING);
                if (r <= 0) {
                        job_free(j);
                        continue;
                }
                watch_job_changed(c, j->id);
                /* round robin: the next pick starts after this user */
                c->last_uid = j->uid;
                c->have_last_uid = true;
                Active *a = active_add(c, j->id, j->uid);
                if (!a) {
                        job_free(j);
                        return;
                }
                active_set_ask(a, j);
                /* -o/-e: their %j, %x, %u now that the id is known */
                _cleanup_free_ char *out = NULL, *err = NULL;
                if (job_output_path(j, false, &out) < 0 || job_output_path(j, true, &err) < 0) {
                        on_launch_failed(c,
                                         &(HMsg){ .type = HMSG_T_LAUNCH_FAILED,
                                                  .launch_failed = { .job = j->id,
                                                                     .error = "its -o/-e path with its patterns "
                                                                              "replaced is not a valid path" } },
                                         j);
                        job_free(j);
                        return;
                }
                /* an array element: its array's id, task id and size in
                 * its environment (after the stored one: they win) */
                _cleanup_strv_free_ char **env = NULL;
                if (j->array_job_id > 0 && job_array_env(j, &env) < 0) {
                        on_launch_failed(c,
                                         &(HMsg){ .type = HMSG_T_LAUNCH_FAILED,
                                                  .launch_failed = { .job = j->id, .error = "out of memory" } },
                                         j);
                        job_free(j);
                        return;
                }
                HMsg m = { .type = HMSG_T_LAUNCH,
                           .launch = { .job = j->id,
                                       .uid = j->uid,
                                       .user = j->user,
                                       .policy = j->policy,
                                       .cwd = j->cwd,
                                       .walltime = j->walltime,
                                       .mem = j->mem,
                                       .cpus = j->cpus,
                                       .output_id = j->output_id,
                                       .argv = j->argv,
                                       .env = env ? env : j->env,
                                       .stdout_path = out,
                                       .stderr_path = err } };
                const char *field = NULL;
                r = helper_send(c, &m, &field);
                if (r == -EINVAL) {
                        /* a stored job the helper would refuse: it fails, the queue goes on */
                        char why[128];
                        (void) snprintf(why, sizeof why, "the job's %s is not valid: it cannot be launched", field);
                        on_launch_failed(c,
                                         &(HMsg){ .type = HMSG_T_LAUNCH_FAILED,
                                                  .launch_failed = { .job = j->id, .error = why } },
                                         j);
                } else
                        log_job(LOG_INFO, (long long) j->id, j->user, "starting");
                job_free(j);
                if (r == -EINVAL)
                        return; /* on_launch_failed() dispatched again */
        }
        update_status(c);
}

int job_output_path(const Job *j, bool err, char **ret) {
        const char *pattern = err ? j->stderr_path : j->stdout_path;
        const char *name = j->name;
        *ret = NULL;
        if (!pattern)
                return 0;
        if (!name) {
                const char *slash = strrchr(j->argv[0], '/');
                name = slash && slash[1] ? slash + 1 : j->argv[0];
        }
        return api_output_pattern_expand_array(pattern, j->id, name, j->user, j->array_job_id, j->array_task_id, ret);
}

/* ---- recovery after a restart ---- */

int recover(Core *c) {
        Job **l = NULL;
        size_t n = 0;
        unsigned adopted = 0, epilogues = 0;
        /* not the whole history: the jobs running and the epilogues unfinished */
        int r = store_list_unfinished(c->store, &l, &n);
        if (r < 0)
                return r;
        /* the helper takes adopts only between these two */
        (void) helper_send(c, &(HMsg){ .type = HMSG_T_RECOVERY, .recovery = { .begin = true } }, NULL);
        for (size_t i = 0; i < n; i++) {
                Job *j = l[i];
                if (job_state_is_active(j->state)) {
                        /* alive: the helper adopts it; gone: it answers with the
                         * result the launcher left, or "lost" */
                        Active *a = active_add(c, j->id, j->uid);
                        if (a)
                                active_set_ask(a, j);
                        (void) helper_send(c,
                                           &(HMsg){ .type = HMSG_T_ADOPT,
                                                    .adopt = { .job = j->id,
                                                               .pid = j->launcher_pid > 0 ? j->launcher_pid : 0,
                                                               .start = j->launcher_start } },
                                           NULL);
                        (void) store_audit(c->store, 0, getpid(), "recover", j->id, "check-launcher", NULL);
                        adopted++;
                } else if (!j->epilogue && j->start_time > 0) {
                        /* ended, but corrald stopped before its epilogue finished */
                        Active *a = active_add(c, j->id, j->uid);
                        if (a)
                                active_set_ask(a, j);
                        run_epilogue(c, j);
                        (void) store_audit(c->store, 0, getpid(), "recover", j->id, "epilogue", NULL);
                        epilogues++;
                }
        }
        job_list_free(l, n);
        (void) helper_send(c, &(HMsg){ .type = HMSG_T_RECOVERY, .recovery = { .begin = false } }, NULL);
        if (adopted || epilogues)
                log_info("Recovery: %u jobs were starting or running, %u epilogues to finish", adopted, epilogues);
        return 0;
}
