/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-deps.c — what a queued or held job waits for besides a free slot:
 * its dependencies (`submit --after/--afterok/--afterany`) and its --begin
 * time. A job that waits for either has a nonzero `blocked` in the store
 * (STORE_BLOCKED_*), which the dispatcher's pick skips (store_queued_heads)
 * and `list`/`show` name as its pending reason (DEPENDENCY, BEGIN_TIME).
 *
 *  1. At submit (op_submit): every job named must exist and be the
 *     submitter's (an admin's: anyone's), else the submission is refused.
 *  2. deps_update() looks at every blocked job, oldest first, whenever a job
 *     starts or ends (the lifecycle, cancel), when the --begin timer fires,
 *     after a submit and at start-up (the recovery re-evaluates what
 *     happened while corrald was stopped): a dependency met clears its bit;
 *     one that can never be met (afterok on a job that ended FAILED, ...)
 *     cancels the job with the reason. Dependencies always name older jobs
 *     (they existed at submit), so one pass oldest first also cancels the
 *     jobs that depended on one it cancelled: a chain falls in one pass.
 *  3. One CLOCK_REALTIME timer, at the earliest --begin still ahead (no
 *     polling): --begin is a time of the wall clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "depend.h"
#include "log.h"
#include "messages.h"
#include "store.h"

int deps_validate(Core *c, const char *depends, uid_t uid, bool admin, char **ret_why) {
        DepList l = { .n = 0 };
        int r = dep_parse(depends, &l, NULL);
        if (r < 0)
                return asprintf(ret_why, "cannot parse the dependencies '%s'", depends) < 0 ? -ENOMEM : r;
        for (size_t i = 0; i < l.n; i++) {
                Job *d = NULL;
                r = store_get(c->store, l.v[i].job, &d);
                if (r < 0 && r != -ENOENT)
                        return asprintf(ret_why, "cannot read job %lld: %s", (long long) l.v[i].job, strerror(-r)) < 0
                                       ? -ENOMEM
                                       : r;
                bool visible = r >= 0 && (d->uid == uid || admin);
                job_free(d);
                if (!visible)
                        /* another user's job is answered as a missing one */
                        return asprintf(ret_why,
                                        "no job %lld to depend on (--%s %lld): a dependency names one of your "
                                        "own jobs",
                                        (long long) l.v[i].job, dep_type_to_string(l.v[i].type),
                                        (long long) l.v[i].job) < 0
                                       ? -ENOMEM
                                       : -ENOENT;
        }
        return 0;
}

/* Where one dependency stands; *ret_d the job that decided it (NULL: none
 * such). A dependency on an array's id (its first element's, submit
 * --array) is on every element of the array, as in Slurm: met when each
 * element meets it, never when one never will (*ret_d that element). */
static DepStatus dep_one(Core *c, DepType t, int64_t id, Job **ret_d) {
        Job *d = NULL, **l = NULL;
        size_t n = 0;
        *ret_d = NULL;
        int r = store_get(c->store, id, &d);
        if (r < 0 && r != -ENOENT)
                return DEP_WAIT; /* tried again at the next change */
        if (r < 0)
                return dep_status(t, false, _JOB_STATE_INVALID);
        if (d->array_job_id != d->id) {
                *ret_d = d;
                return dep_status(t, true, d->state);
        }
        StoreFilter f = { .array_job_id = d->id };
        if (store_list(c->store, &f, &l, &n) < 0) {
                job_free(d);
                return DEP_WAIT;
        }
        DepStatus all = DEP_MET;
        for (size_t i = 0; i < n && all != DEP_NEVER; i++) {
                DepStatus s = dep_status(t, true, l[i]->state);
                if (s == DEP_NEVER) {
                        job_free(d);
                        d = l[i];
                        l[i] = NULL;
                }
                if (s != DEP_MET)
                        all = s;
        }
        job_list_free(l, n);
        *ret_d = d;
        return all;
}

/* Where the dependencies of j stand: DEP_MET when all are met, DEP_NEVER
 * (with why) when one can never be, else DEP_WAIT. */
static DepStatus deps_check(Core *c, const Job *j, char *why, size_t len) {
        DepList l = { .n = 0 };
        DepStatus all = DEP_MET;
        if (!j->depends)
                return DEP_MET;
        if (dep_parse(j->depends, &l, NULL) < 0) {
                snprintf(why, len, "its dependencies '%s' cannot be read", j->depends);
                return DEP_NEVER;
        }
        for (size_t i = 0; i < l.n; i++) {
                Job *d = NULL;
                DepStatus s = dep_one(c, l.v[i].type, l.v[i].job, &d);
                if (s == DEP_NEVER) {
                        if (d && d->id != l.v[i].job)
                                snprintf(why, len,
                                         "dependency %s:%lld can never be met: job %lld (task %llu of array %lld) %s",
                                         dep_type_to_string(l.v[i].type), (long long) l.v[i].job, (long long) d->id,
                                         (unsigned long long) d->array_task_id, (long long) l.v[i].job,
                                         job_state_to_string(d->state));
                        else if (d)
                                snprintf(why, len, "dependency %s:%lld can never be met: job %lld %s",
                                         dep_type_to_string(l.v[i].type), (long long) l.v[i].job,
                                         (long long) l.v[i].job, job_state_to_string(d->state));
                        else
                                snprintf(why, len, "dependency %s:%lld can never be met: job %lld no longer exists",
                                         dep_type_to_string(l.v[i].type), (long long) l.v[i].job,
                                         (long long) l.v[i].job);
                        job_free(d);
                        return DEP_NEVER;
                }
                if (s == DEP_WAIT)
                        all = DEP_WAIT;
                job_free(d);
        }
        return all;
}

json_t *deps_to_json(Core *c, const Job *j) {
        DepList l = { .n = 0 };
        json_t *a = json_array();
        if (!a || !j->depends || dep_parse(j->depends, &l, NULL) < 0)
                return a;
        for (size_t i = 0; i < l.n; i++) {
                Job *d = NULL;
                DepStatus s = dep_one(c, l.v[i].type, l.v[i].job, &d);
                /* "state": the job named's (an array's: its first element's,
                 * or the one that makes it never met) */
                json_array_append_new(a, json_pack("{s:s, s:I, s:o, s:s}", "type", dep_type_to_string(l.v[i].type),
                                                   "job", (json_int_t) l.v[i].job, "state",
                                                   d ? json_string(job_state_to_string(d->state)) : json_null(),
                                                   "status", dep_status_to_string(s)));
                job_free(d);
        }
        return a;
}

int cancel_waiting(Core *c, Job *j, const char *reason) {
        int r = store_transition(c->store, j->id, j->state, JOB_CANCELLED);
        if (r <= 0)
                return r;
        j->state = JOB_CANCELLED;
        j->end_time = now_usec();
        j->blocked = 0;
        free(j->reason);
        j->reason = strdup(reason);
        free(j->epilogue);
        j->epilogue = strdup("{\"skipped\":\"the job never ran\"}");
        (void) store_update(c->store, j);
        _cleanup_free_ char *reason_field = NULL;
        if (asprintf(&reason_field, "CORRAL_REASON=%s", reason) < 0)
                reason_field = NULL;
        log_job_full(LOG_INFO, (long long) j->id, j->user,
                     (const char *const[]){ CORRAL_MESSAGE_JOB_ENDED, "CORRAL_STATE=CANCELLED", reason_field, NULL },
                     "cancelled while queued: %s", reason);
        watch_job_changed(c, j->id);
        update_status(c);
        return 1;
}

static int on_begin_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Core *c = userdata;
        deps_update(c);
        dispatch(c);
        return 0;
}

/* The timer at the earliest --begin ahead of now (off: none). */
static void arm_begin_timer(Core *c, uint64_t next) {
        if (next == 0) {
                if (c->begin_timer)
                        (void) sd_event_source_set_enabled(c->begin_timer, SD_EVENT_OFF);
                return;
        }
        if (!c->begin_timer) {
                int r = sd_event_add_time(c->event, &c->begin_timer, CLOCK_REALTIME, next, 0, on_begin_timer, c);
                if (r < 0)
                        log_warning_errno(r, "Cannot arm the --begin timer, ignoring: %m");
                return;
        }
        (void) sd_event_source_set_time(c->begin_timer, next);
        (void) sd_event_source_set_enabled(c->begin_timer, SD_EVENT_ONESHOT);
}

bool deps_update(Core *c) {
        Job **l = NULL;
        size_t n = 0;
        uint64_t next = 0;
        bool ready = false;

        if (c->deps_running) {
                /* called again from within (a cancel, a dispatch): once more after */
                c->deps_again = true;
                return false;
        }
        c->deps_running = true;
        do {
                c->deps_again = false;
                int r = store_list_blocked(c->store, &l, &n);
                if (r < 0) {
                        log_warning_errno(r, "Cannot read the jobs that wait for a dependency, ignoring: %m");
                        break;
                }
                uint64_t now = now_usec();
                for (size_t i = 0; i < n; i++) {
                        Job *j = l[i];
                        unsigned b = j->blocked;
                        char why[256];
                        if ((b & STORE_BLOCKED_BEGIN) && j->begin_time <= now)
                                b &= ~STORE_BLOCKED_BEGIN;
                        if (b & STORE_BLOCKED_DEPENDENCY) {
                                DepStatus s = deps_check(c, j, why, sizeof why);
                                if (s == DEP_NEVER) {
                                        r = cancel_waiting(c, j, why);
                                        if (r < 0)
                                                log_warning_errno(r, "Cannot cancel job %lld, ignoring: %m",
                                                                  (long long) j->id);
                                        continue;
                                }
                                if (s == DEP_MET)
                                        b &= ~STORE_BLOCKED_DEPENDENCY;
                        }
                        if ((b & STORE_BLOCKED_BEGIN) && (next == 0 || j->begin_time < next))
                                next = j->begin_time;
                        if (b == j->blocked)
                                continue;
                        r = store_set_blocked(c->store, j->id, b);
                        if (r < 0) {
                                log_warning_errno(r, "Cannot record what job %lld waits for, ignoring: %m",
                                                  (long long) j->id);
                                continue;
                        }
                        if (b == 0) {
                                log_job(LOG_INFO, (long long) j->id, j->user, "%s",
                                        j->state == JOB_HELD ? "its dependencies and start time are met (held)"
                                                             : "its dependencies and start time are met");
                                ready = true;
                        }
                        watch_job_changed(c, j->id);
                }
                job_list_free(l, n);
                l = NULL;
                n = 0;
        } while (c->deps_again);
        c->deps_running = false;
        arm_begin_timer(c, next);
        return ready;
}
