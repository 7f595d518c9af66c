/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core.h — internal to the unprivileged core of corrald: its state (struct
 * Core, the connections, the jobs holding a slot) and the functions one of
 * its files calls in another. Only the core's own files include it:
 *   core.c            the state of the jobs holding a slot, start-up, the
 *                     event loop (core_main)
 *   core-api.c        connections, authorization, the API operations
 *   core-lifecycle.c  messages to and from the root helper, the
 *                     dispatcher, crash recovery
 *   core-status.c     sd_notify STATUS= and the metrics file
 *   core-purge.c      the history's retention (keep_finished, keep_audit)
 * corrald.h stays the interface between corrald.c, helper.c and the core. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "corrald.h"
#include "job.h"
#include "store.h"

typedef struct Core Core;

typedef struct Conn {
        Core *core;
        int fd;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        bool admin;
        sd_event_source *src, *follow_timer;
        sd_event_source *idle_timer; /* closes the connection after idle_timeout without a request */
        /* logs --follow */
        int64_t follow_job;
        int follow_stream;
        uint64_t follow_offset;
        struct Conn *next;
} Conn;

typedef struct Active {
        int64_t id;
        uid_t uid;
        bool running, epilogue;
        sd_event_source *kill_timer;
        struct Active *next;
} Active;

struct Core {
        Settings *s;
        sd_event *event;
        Store *store;
        int helper_fd;
        int listen_fd;
        Conn *conns;
        unsigned n_conns;
        sd_event_source *accept_src, *accept_retry;
        Active *active;
        unsigned n_active;
        uid_t last_uid;
        bool have_last_uid;
        bool drained;
        bool recovering;
        /* metrics: rewritten on every tick (metrics_interval) and, when a
         * job changed state, with the next STATUS= (coalesced) */
        uint64_t launches, launch_failures, epilogue_kills, requests, denied;
        bool metrics_dirty;
        bool metrics_failing; /* logged once, until a write succeeds again */
        bool status_pending;
        /* purge: what the current run deleted so far (logged at its end);
         * how many of the oldest ended jobs it still purges for the count
         * cap (counted once per run) */
        uint64_t purged_jobs, purged_audit, purge_excess;
        bool purge_running;
        /* the batch of jobs being purged: requests sent to the helper for
         * the first purge_sent of purge_n, their rows deleted at the end */
        StorePurgeItem *purge_batch;
        size_t purge_n, purge_sent;
};

/* core.c: the jobs holding a slot (starting, running or in their epilogue),
 * used by the API (cancel) and the lifecycle; core_main frees them at exit. */
Active *active_find(Core *c, int64_t id);
/* The entry of job id, added if missing; NULL when out of memory. */
Active *active_add(Core *c, int64_t id, uid_t uid);
void active_remove(Core *c, int64_t id);

/* core-api.c: core_main's handler of the listening socket, and the end of
 * a connection (core_main closes those left at exit). */
int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata);
void conn_free(Conn *conn);

/* core-lifecycle.c: core_main's handler of the helper's socket; the
 * dispatcher (after a submit, release or resume, and when a slot frees);
 * crash recovery (core_main, at start-up); the cancel of a running job
 * (SIGTERM now, its cgroup killed after the policy's grace: op_cancel, and
 * on_launched for a job cancelled while it was starting). */
int on_helper(sd_event_source *src, int fd, uint32_t revents, void *userdata);
void dispatch(Core *c);
int recover(Core *c);
void start_cancel(Core *c, const Job *j);

/* core-status.c: asks for a STATUS= and metrics update soon (coalesced),
 * after any change of a job's state; the timers core_main arms (the first
 * STATUS= is sent by calling on_status_timer directly). */
void update_status(Core *c);
int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata);
int on_metrics_timer(sd_event_source *src, uint64_t usec, void *userdata);

/* core-purge.c: arms the purge of ended jobs and audit rows beyond the
 * node's retention (its first run right away, then every purge_interval);
 * core_main calls it once the recovery is over. */
int purge_start(Core *c);
