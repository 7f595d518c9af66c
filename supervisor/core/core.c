/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core.c — the unprivileged half of corrald: the API socket, the SQLite
 * queue, the dispatcher and the job lifecycle, on one sd-event loop.
 *
 * Layout (the shared types and prototypes are in core.h):
 *   core.c            the jobs holding a slot (Active); start-up and the
 *                     event loop (core_main)
 *   core-api.c        connections and authorization; the API operations
 *                     (api_ops[])
 *   core-lifecycle.c  messages from the root helper (launched, exited,
 *                     epilogue-done...) and the requests sent to it; the
 *                     dispatcher; crash recovery
 *   core-status.c     sd_notify status and metrics
 *   core-purge.c      the history's retention: old jobs, their output
 *                     directories and audit rows are purged
 *
 * Lifecycle: submit -> QUEUED (or HELD) -> the dispatcher moves it to
 * STARTING and asks the helper to launch -> RUNNING when the launcher runs ->
 * COMPLETED/FAILED/TIMEOUT/OUT_OF_MEMORY/CANCELLED from its result (LOST when
 * the launcher vanished across a restart) -> the epilogue runs, and only then
 * is the slot free again, so that the next job of the same user cannot be
 * caught by this job's epilogue. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "core.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "store.h"

/* ---- the jobs holding a slot (core.h) ---- */

Active *active_find(Core *c, int64_t id) {
        for (Active *a = c->active; a; a = a->next)
                if (a->id == id)
                        return a;
        return NULL;
}

Active *active_add(Core *c, int64_t id, uid_t uid) {
        Active *a = active_find(c, id);
        if (a)
                return a;
        a = calloc(1, sizeof(Active));
        if (!a)
                return NULL;
        *a = (Active){ .id = id, .uid = uid, .next = c->active };
        c->active = a;
        c->n_active++;
        return a;
}

void active_remove(Core *c, int64_t id) {
        for (Active **p = &c->active; *p; p = &(*p)->next)
                if ((*p)->id == id) {
                        Active *a = *p;
                        *p = a->next;
                        sd_event_source_disable_unref(a->kill_timer);
                        free(a);
                        c->n_active--;
                        return;
                }
}

/* ---- start-up and the event loop ---- */

static int on_stop(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Core *c = userdata;
        log_info("%s: stopping (running jobs go on and are adopted at the next start)", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(c->event, 0);
}

int core_main(Settings *s, int helper_fd, int listen_fd) {
        Core c = { .s = s, .helper_fd = helper_fd, .listen_fd = listen_fd };
        _cleanup_free_ char *drained = NULL;
        char dbpath[4200];
        int r;

        snprintf(dbpath, sizeof dbpath, "%s/queue.db", s->state_dir);
        r = store_open(dbpath, &c.store);
        if (r < 0)
                return log_error_errno(r, "Cannot open the queue store %s: %m", dbpath);
        if (store_get_setting(c.store, "drained", &drained) > 0)
                c.drained = streq(drained, "1");

        r = sd_event_default(&c.event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        r = sd_event_add_io(c.event, NULL, helper_fd, EPOLLIN, on_helper, &c);
        if (r >= 0)
                r = sd_event_add_io(c.event, NULL, listen_fd, EPOLLIN, on_accept, &c);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGTERM, on_stop, &c);
        if (r >= 0)
                r = sd_event_add_signal(c.event, NULL, SIGINT, on_stop, &c);
        if (r >= 0 && !isempty(s->node->metrics_file) && s->node->metrics_interval != USEC_INFINITY)
                r = sd_event_add_time_relative(c.event, NULL, CLOCK_MONOTONIC, s->node->metrics_interval, 0,
                                               on_metrics_timer, &c);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        /* WATCHDOG=1 pings at half of WatchdogSec=, when systemd asks for them */
        (void) sd_event_set_watchdog(c.event, true);

        c.recovering = true;
        r = recover(&c);
        if (r < 0)
                return log_error_errno(r, "Cannot recover the queue: %m");
        c.recovering = false;
        /* what happened while corrald was stopped: dependencies met or never
         * to be met, --begin times passed; the timer for the next one */
        (void) deps_update(&c);
        dispatch(&c);
        r = purge_start(&c);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the purge timer: %m");

        c.metrics_dirty = true;
        (void) on_status_timer(NULL, 0, &c); /* the first STATUS= and metrics come with READY= */
        (void) sd_notify(false, "READY=1");
        log_info("Ready: socket %s, %llu slots, policies from %s%s", s->socket, (unsigned long long) s->slots,
                 s->policy_dir, c.drained ? ", drained" : "");

        r = sd_event_loop(c.event);
        while (c.conns)
                conn_free(c.conns);
        free(c.purge_batch);
        sd_event_source_disable_unref(c.accept_retry);
        sd_event_source_disable_unref(c.begin_timer);
        while (c.active)
                active_remove(&c, c.active->id);
        store_close(c.store);
        sd_event_unref(c.event);
        return r;
}
