/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-pack.c — what the dispatcher (core-lifecycle.c) asks before it starts
 * a job: which queued job comes next, given what the jobs holding a slot
 * take of the node (pack_pick() in lib/resources.c decides, purely), and
 * why a queued or held job waits (corral list/show "pending_reason"),
 * worked out when asked from the same state, never stored. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core.h"
#include "log.h"
#include "resources.h"
#include "store.h"

/* Users considered at each pick: past this many with queued jobs, the next
 * ones in round-robin order wait for a later pick. */
#define PACK_MAX_USERS 256

/* What the jobs holding a slot take, and what is left. */
static PackFree free_resources(Core *c) {
        uint64_t mem = 0, cpus = 0;
        for (Active *a = c->active; a; a = a->next) {
                mem += a->mem;
                cpus += a->cpus;
        }
        uint64_t node_cpus = c->s->node_cpus > UINT64_MAX / 1000 ? UINT64_MAX : c->s->node_cpus * 1000;
        return (PackFree){
                .slots = c->n_active < c->s->slots ? c->s->slots - c->n_active : 0,
                .mem = c->s->node_mem > mem ? c->s->node_mem - mem : 0,
                .cpus = node_cpus > cpus ? node_cpus - cpus : 0,
        };
}

static uint64_t running_of(Core *c, uid_t uid) {
        uint64_t n = 0;
        for (Active *a = c->active; a; a = a->next)
                n += a->uid == uid;
        return n;
}

/* Elements of array id holding a slot. */
static uint64_t array_active(Core *c, int64_t id) {
        uint64_t n = 0;
        for (Active *a = c->active; a; a = a->next)
                n += a->array_job_id == id;
        return n;
}

/* The arrays with as many elements holding a slot as their throttle allows
 * (--array ...%N): their other elements are no candidates (ARRAY_LIMIT).
 * At most one entry per active job, so at most slots of them. */
static int arrays_at_limit(Core *c, int64_t **ret, size_t *ret_n) {
        int64_t *l = calloc(c->n_active ? c->n_active : 1, sizeof(int64_t));
        size_t n = 0;
        if (!l)
                return -ENOMEM;
        for (Active *a = c->active; a && n < c->n_active; a = a->next) {
                bool seen = false;
                if (a->array_job_id <= 0 || a->array_throttle == 0)
                        continue;
                for (size_t i = 0; i < n && !seen; i++)
                        seen = l[i] == a->array_job_id;
                if (!seen && array_active(c, a->array_job_id) >= a->array_throttle)
                        l[n++] = a->array_job_id;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int pack_next(Core *c, Job **ret) {
        Job **heads = NULL;
        size_t n = 0, n_skip = 0;
        int64_t *skip = NULL;
        int r = arrays_at_limit(c, &skip, &n_skip);
        if (r < 0)
                return r;
        r = store_queued_heads_skip(c->store, c->last_uid, c->have_last_uid, skip, n_skip, PACK_MAX_USERS, &heads, &n);
        free(skip);
        if (r < 0)
                return r;
        *ret = NULL;
        if (n == 0) {
                job_list_free(heads, n);
                return 0;
        }
        PackHead *ph = calloc(n, sizeof(PackHead));
        if (!ph) {
                job_list_free(heads, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                ph[i] = (PackHead){ .id = heads[i]->id,
                                    .uid = heads[i]->uid,
                                    .ask = { .mem = heads[i]->mem, .cpus = heads[i]->cpus, .tasks = heads[i]->tasks },
                                    .running = running_of(c, heads[i]->uid) };
        PackFree f = free_resources(c);
        int64_t reserved = 0;
        ssize_t pick = pack_pick(ph, n, &f, c->s->max_running_per_user, c->reserved_job, &reserved, NULL);
        if (reserved != c->reserved_job && reserved)
                log_job(LOG_INFO, (long long) reserved, NULL,
                        "does not fit while smaller jobs pass it: the CPUs and memory freed are kept for it");
        c->reserved_job = reserved;
        if (pick >= 0) {
                *ret = heads[pick];
                heads[pick] = NULL;
        }
        free(ph);
        job_list_free(heads, n);
        return 0;
}

PendReason pending_reason(Core *c, const Job *j) {
        if (j->state == JOB_HELD)
                return PEND_HELD;
        if (j->state != JOB_QUEUED)
                return PEND_NONE;
        /* core-deps.c: what it waits for before the dispatcher considers it */
        if (j->blocked & STORE_BLOCKED_DEPENDENCY)
                return PEND_DEPENDENCY;
        if (j->blocked & STORE_BLOCKED_BEGIN)
                return PEND_BEGIN_TIME;
        if (c->drained)
                return PEND_DRAINED;
        if (j->array_job_id > 0 && j->array_throttle > 0 && array_active(c, j->array_job_id) >= j->array_throttle)
                return PEND_ARRAY_LIMIT;
        if (running_of(c, j->uid) >= c->s->max_running_per_user)
                return PEND_USER_CAP;
        /* a queued job that the dispatcher, which ran after every change,
         * did not start: no room for it, for a job of its user before it, or
         * for the oldest job that keeps what frees up (pack_pick()) */
        return PEND_RESOURCES;
}

void active_set_ask(Active *a, const Job *j) {
        a->mem = j->mem;
        a->cpus = j->cpus;
        a->array_job_id = j->array_job_id;
        a->array_throttle = j->array_throttle;
}
