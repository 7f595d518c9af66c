/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-status.c — what the core tells about itself: sd_notify STATUS=
 * (running and queued jobs, drained) and the metrics file for
 * node_exporter's textfile collector (job counts by state, launches,
 * failures, epilogue kills, requests, slots). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "core.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "parse.h"
#include "store.h"

#define STATUS_INTERVAL_USEC (250 * USEC_PER_MSEC)

/* ---- status and metrics ---- */

static void write_metrics_logged(Core *c, const uint64_t *counts);

/* STATUS= is recomputed at most every STATUS_INTERVAL: counting the
 * queue after every message would cost more than the messages. The metrics
 * file follows the job states as closely, from the same count. */
int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Core *c = userdata;
        uint64_t counts[_JOB_STATE_MAX] = { 0 };
        c->status_pending = false;
        if (store_count_states(c->store, counts) < 0)
                return 0;
        (void) sd_notifyf(false, "STATUS=%llu running, %llu queued%s",
                          (unsigned long long) counts[JOB_RUNNING] + (unsigned long long) counts[JOB_STARTING],
                          (unsigned long long) counts[JOB_QUEUED], c->drained ? ", drained" : "");
        if (c->metrics_dirty)
                write_metrics_logged(c, counts);
        return 0;
}

void update_status(Core *c) {
        c->metrics_dirty = true;
        if (c->status_pending || !c->event)
                return;
        if (sd_event_add_time_relative(c->event, NULL, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC, 0, on_status_timer, c) >=
            0)
                c->status_pending = true;
}

static int write_metrics(Core *c, const uint64_t counts[static _JOB_STATE_MAX]) {
        const char *path = c->s->node->metrics_file;
        char tmp[4200];
        FILE *f;
        int r;

        if (isempty(path))
                return 0;
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid());
        f = fopen(tmp, "we");
        if (!f)
                return negative_errno();
        fprintf(f, "# HELP corral_jobs Jobs in the queue store by state.\n# TYPE corral_jobs gauge\n");
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                fprintf(f, "corral_jobs{state=\"%s\"} %llu\n", job_state_to_string((JobState) i),
                        (unsigned long long) counts[i]);
        fprintf(f,
                "# HELP corral_launches_total Jobs launched since corrald started.\n"
                "# TYPE corral_launches_total counter\ncorral_launches_total %llu\n"
                "# HELP corral_launch_failures_total Jobs that could not be launched.\n"
                "# TYPE corral_launch_failures_total counter\ncorral_launch_failures_total %llu\n"
                "# HELP corral_epilogue_kills_total Processes killed by epilogues.\n"
                "# TYPE corral_epilogue_kills_total counter\ncorral_epilogue_kills_total %llu\n"
                "# HELP corral_requests_total API requests.\n"
                "# TYPE corral_requests_total counter\ncorral_requests_total %llu\n"
                "# HELP corral_requests_denied_total API requests denied.\n"
                "# TYPE corral_requests_denied_total counter\ncorral_requests_denied_total %llu\n"
                "# HELP corral_slots Job slots of this node.\n# TYPE corral_slots gauge\ncorral_slots %llu\n"
                "# HELP corral_drained 1 while the node is drained.\n# TYPE corral_drained gauge\ncorral_drained %d\n",
                (unsigned long long) c->launches, (unsigned long long) c->launch_failures,
                (unsigned long long) c->epilogue_kills, (unsigned long long) c->requests,
                (unsigned long long) c->denied, (unsigned long long) c->s->slots, c->drained ? 1 : 0);
        if (fflush(f) != 0 || fsync(fileno(f)) < 0 || ferror(f)) {
                r = negative_errno();
                fclose(f);
                unlink(tmp);
                return r;
        }
        fclose(f);
        (void) chmod(tmp, 0644);
        /* node_exporter never sees a half-written file */
        if (rename(tmp, path) < 0) {
                r = negative_errno();
                unlink(tmp);
                return r;
        }
        return 0;
}

/* counts NULL: counted here */
static void write_metrics_logged(Core *c, const uint64_t *counts) {
        uint64_t own[_JOB_STATE_MAX] = { 0 };
        int r = 0;

        if (isempty(c->s->node->metrics_file))
                return;
        if (!counts) {
                r = store_count_states(c->store, own);
                counts = own;
        }
        if (r >= 0)
                r = write_metrics(c, counts);
        if (r < 0 && !c->metrics_failing)
                log_warning_errno(r,
                                  "Cannot write metrics to %s (its directory must be writable by user %s), ignoring "
                                  "until it works again: %m",
                                  c->s->node->metrics_file, c->s->user);
        else if (r >= 0 && c->metrics_failing)
                log_info("Metrics are written to %s again", c->s->node->metrics_file);
        c->metrics_failing = r < 0;
        if (r >= 0)
                c->metrics_dirty = false;
}

/* Every tick, changed or not: the file's age (node_exporter's
 * node_textfile_mtime_seconds) tells that corrald is alive, and the
 * counters of requests, which mark no job change, get out. */
int on_metrics_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        Core *c = userdata;
        int r;

        write_metrics_logged(c, NULL);
        /* a time source fires once: re-armed, and enabled again */
        r = sd_event_source_set_time_relative(src, c->s->node->metrics_interval);
        if (r >= 0)
                r = sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Cannot re-arm the metrics timer, metrics now follow job changes only: %m");
        return 0;
}
