/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core.h — internal to the unprivileged core of corrald: its state (struct
 * Core, the connections, the jobs holding a slot) and the functions one of
 * its files calls in another. Only the core's own files include it:
 *   core.c            the state of the jobs holding a slot, start-up, the
 *                     event loop (core_main)
 *   core-api.c        connections, authorization, the API operations
 *   core-lifecycle.c  messages to and from the root helper, the
 *                     dispatcher, crash recovery
 *   core-pack.c       the packing dispatcher's choice, pending reasons
 *   core-status.c     sd_notify STATUS= and the metrics file
 *   core-watch.c      connections the daemon pushes to: wait, logs --follow
 *   core-purge.c      the history's retention (keep_finished, keep_audit)
 *   core-deps.c       dependencies and --begin: what a queued job waits for
 * corrald.h stays the interface between corrald.c, helper.c and the core. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "corrald.h"
#include "job.h"
#include "resources.h"
#include "store.h"

typedef struct Core Core;
typedef struct Watch Watch;

typedef struct Conn {
        Core *core;
        int fd;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        uint64_t accepted; /* CLOCK_BOOTTIME usec of the accept (peer_inspect()) */
        bool admin;
        sd_event_source *src;
        sd_event_source *idle_timer; /* closes the connection after idle_timeout without a request */
        Watch *watch; /* wait, logs --follow: the daemon pushes, the client only reads */
        struct Conn *next;
} Conn;

typedef struct Active {
        int64_t id;
        uid_t uid;
        bool running, epilogue;
        uint64_t mem, cpus; /* what it takes of the node (Job.mem, .cpus) until its epilogue is done */
        int64_t array_job_id; /* an array element: its array (counted for the array's throttle); 0: none */
        uint64_t array_throttle;
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
        int64_t reserved_job; /* the queued job the CPUs and memory freed are kept for (pack_pick); 0: none */
        bool drained;
        bool recovering;
        /* metrics: rewritten on every tick (metrics_interval) and, when a
         * job changed state, with the next STATUS= (coalesced) */
        uint64_t launches, launch_failures, epilogue_kills, requests, denied;
        /* rejected requests, audited in aggregate (core-api.c): one window
         * per uid with rejections in the last REJECT_WINDOW */
        struct RejectWindow *reject_windows;
        sd_event_source *reject_timer;
        bool metrics_dirty;
        bool metrics_failing; /* logged once, until a write succeeds again */
        bool status_pending;
        /* core-watch.c: the inotify instance of every subscriber, made at the
         * first that needs it */
        bool inotify_ready;
        int inotify_fd;
        /* purge: what the current run deleted so far (logged at its end);
         * how many of the oldest ended jobs it still purges for the count
         * cap (counted once per run) */
        uint64_t purged_jobs, purged_audit, purge_excess;
        bool purge_running;
        /* the batch of jobs being purged: requests sent to the helper for
         * the first purge_sent of purge_n, their rows deleted at the end */
        StorePurgeItem *purge_batch;
        size_t purge_n, purge_sent;
        /* core-deps.c: the timer at the earliest --begin ahead; deps_update
         * running, and asked again meanwhile */
        sd_event_source *begin_timer;
        bool deps_running, deps_again;
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
/* writes the summary rows of the open windows of rejected requests (at exit) */
void reject_windows_flush(Core *c, bool all);
/* a job as `show` answers it (full: with env, usage, result, epilogue) */
json_t *job_to_json(Core *c, const Job *j, bool full);

/* core-watch.c: a connection becomes a subscription to job j (after the
 * API checked the caller may see it): WATCH_WAIT sends its state changes,
 * its spooled stdout and stderr unless stream is -1, then its end;
 * WATCH_LOGS sends one stream from offset until the job ended. The
 * lifecycle calls watch_job_changed() after a job changed state; the
 * connection's handler hands its events to watch_on_io(). */
typedef enum WatchMode {
        WATCH_WAIT,
        WATCH_LOGS,
} WatchMode;
int watch_start(Conn *conn, const Job *j, WatchMode mode, int stream, uint64_t offset);
void watch_job_changed(Core *c, int64_t id);
void watch_on_io(Conn *conn, uint32_t revents);
void watch_free(Watch *w);

/* core-lifecycle.c: core_main's handler of the helper's socket; the
 * dispatcher (after a submit, release or resume, and when a slot frees);
 * crash recovery (core_main, at start-up); the cancel of a running job
 * (SIGTERM now, its cgroup killed after the policy's grace: op_cancel, and
 * on_launched for a job cancelled while it was starting). */
int on_helper(sd_event_source *src, int fd, uint32_t revents, void *userdata);
void dispatch(Core *c);
int recover(Core *c);
void start_cancel(Core *c, const Job *j);

/* core-lifecycle.c: the job's -o/-e path with its %j, %x, %u patterns
 * replaced (%x: the job's name, else its command's base name); NULL in
 * *ret when it has none (the output directory); -EINVAL if the expansion is
 * not a valid path. */
int job_output_path(const Job *j, bool err, char **ret);
/* core-pack.c: the next queued job to start (*ret NULL: none fits now, or
 * none is queued), as the packing dispatcher decides; why a job waits;
 * what an active job takes (set when it starts or is recovered). */
int pack_next(Core *c, Job **ret);
PendReason pending_reason(Core *c, const Job *j);
void active_set_ask(Active *a, const Job *j);

/* core-status.c: asks for a STATUS= and metrics update soon (coalesced),
 * after any change of a job's state; the timers core_main arms (the first
 * STATUS= is sent by calling on_status_timer directly). */
void update_status(Core *c);
int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata);
int on_metrics_timer(sd_event_source *src, uint64_t usec, void *userdata);

/* core-deps.c: checks at submit that the jobs named in depends exist and
 * are uid's (admin: anyone's), else -ENOENT with *ret_why naming the id;
 * re-evaluates every job waiting for a dependency or a --begin time (after
 * a job started or ended, at start-up, at the --begin timer): clears what is
 * met, cancels a job whose dependency can never be met, re-arms the timer;
 * true when a job became ready (the caller dispatches). deps_to_json: the
 * dependencies of j and where each stands (show). cancel_waiting: cancels a
 * queued or held job j with reason (1; 0: it was not in j->state any
 * more). */
int deps_validate(Core *c, const char *depends, uid_t uid, bool admin, char **ret_why);
bool deps_update(Core *c);
json_t *deps_to_json(Core *c, const Job *j);
int cancel_waiting(Core *c, Job *j, const char *reason);

/* core-purge.c: arms the purge of ended jobs and audit rows beyond the
 * node's retention (its first run right away, then every purge_interval);
 * core_main calls it once the recovery is over. */
int purge_start(Core *c);
