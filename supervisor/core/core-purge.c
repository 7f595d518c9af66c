/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-purge.c — the history's retention: ended jobs beyond the node
 * config's keep_finished (age) or keep_finished_jobs (count) and audit rows
 * beyond keep_audit are deleted from the store, and the jobs' output
 * directories in output_dir removed (by the root helper: the user owns
 * them; it removes them without following symlinks, see rmtree.h).
 *
 * When: at start, once the recovery is over (a job whose epilogue still has
 * to run is never purged), then every purge_interval. A run goes in batches
 * of PURGE_BATCH jobs (their rows deleted in one transaction) and
 * AUDIT_BATCH rows, in steps at idle priority, each step as many requests to
 * the helper as its socket takes without waiting: the API and the
 * dispatcher run between two steps, so purging a
 * long history never stalls the queue. A job that holds a slot (starting,
 * running, or in its epilogue) is never purged: only jobs in a final state
 * are candidates, those still in c->active are skipped, and the store
 * deletes a row only if its state is final at that moment.
 *
 * Order: the helper is asked to remove the directory before the row goes:
 * after a crash between the two the row is still there and the next run
 * sends the request again (a missing directory is success).
 *
 * The socket to the helper: the core's sends block, and so do the
 * helper's. A batch that filled the core's send buffer with purge requests
 * while the helper was itself blocked sending to the core (an epilogue's
 * summary) deadlocked both (seen at a restart with 500 jobs to purge). So a
 * batch stops while more than PURGE_MAX_QUEUED bytes of requests wait for
 * the helper (SIOCOUTQ), and goes on after PURGE_BACKOFF, once the event
 * loop has read what the helper sent: the buffer never fills with purges,
 * and a launch always finds room. */
#include <errno.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core.h"
#include "hmsg.h"
#include "log.h"
#include "macro.h"
#include "parse.h"

/* jobs per transaction; the requests to the helper go a few dozen per turn
 * of the event loop */
#define PURGE_BATCH 1000
#define AUDIT_BATCH 2000
/* a purge request takes about 1 KiB of the 208 KiB send buffer (its skb);
 * the helper takes one in tens of microseconds */
#define PURGE_MAX_QUEUED (64 * 1024)
#define PURGE_BACKOFF (2 * USEC_PER_MSEC)

static bool keeps_forever(uint64_t usec) {
        return usec == 0 || usec == USEC_INFINITY;
}

/* usec since the epoch before which what ended (or was written) is purged;
 * 0: nothing by age */
static uint64_t cutoff(uint64_t keep) {
        uint64_t now = now_usec();
        if (keeps_forever(keep))
                return 0;
        return now > keep ? now - keep : 0;
}

/* Whether the helper still has more than PURGE_MAX_QUEUED bytes of our
 * requests to read. */
static bool helper_busy(Core *c) {
        int queued = 0;
        if (ioctl(c->helper_fd, SIOCOUTQ, &queued) < 0)
                return false; /* cannot tell: the batch limit still holds */
        return queued > PURGE_MAX_QUEUED;
}

/* One step of a batch of jobs: loads the batch if none is loaded, sends the
 * helper the purge requests it has room for, and once all are sent deletes
 * the batch's rows in one transaction (a transaction per few dozen rows
 * made the purge wait for SQLite's checkpoints). Returns how many rows it
 * deleted; *ret_more when there may be more, *ret_busy when it stopped for
 * the helper to catch up. */
static int purge_jobs_step(Core *c, bool *ret_more, bool *ret_busy) {
        const NodeConfig *n = c->s->node;
        _cleanup_free_ int64_t *ids = NULL;
        size_t nids = 0;
        int r;

        *ret_more = *ret_busy = false;
        if (!c->purge_batch) {
                c->purge_n = c->purge_sent = 0;
                r = store_purge_candidates(c->store, cutoff(n->keep_finished), c->purge_excess, PURGE_BATCH,
                                           &c->purge_batch, &c->purge_n);
                if (r < 0)
                        return log_warning_errno(r, "Cannot find the jobs to purge, ignoring: %m");
                if (c->purge_n == 0)
                        return 0;
        }
        for (; c->purge_sent < c->purge_n; c->purge_sent++) {
                StorePurgeItem *it = &c->purge_batch[c->purge_sent];
                if (active_find(c, it->id)) {
                        it->id = 0; /* its epilogue still runs: next time */
                        continue;
                }
                if (helper_busy(c)) {
                        *ret_busy = *ret_more = true;
                        return 0;
                }
                HMsg m = { .type = HMSG_T_PURGE, .purge = { .job = it->id, .output_id = it->output_id } };
                const char *field = NULL;
                r = hmsg_send(c->helper_fd, &m, &field);
                if (r == -EINVAL)
                        /* a row whose output id is not one we made: no directory to remove */
                        log_warning("Job %lld has an invalid %s; purging its row only", (long long) it->id,
                                    field ?: "field");
                else if (r < 0) {
                        log_error_errno(r, "Cannot talk to the root helper: %m; exiting");
                        sd_event_exit(c->event, EXIT_FAILURE);
                        return r;
                }
        }
        /* all sent: the rows go */
        ids = calloc(c->purge_n, sizeof(int64_t));
        if (!ids)
                return log_oom();
        for (size_t i = 0; i < c->purge_n; i++)
                if (c->purge_batch[i].id > 0)
                        ids[nids++] = c->purge_batch[i].id;
        bool full = c->purge_n == PURGE_BATCH;
        free(c->purge_batch);
        c->purge_batch = NULL;
        c->purge_n = c->purge_sent = 0;
        r = store_delete_ended(c->store, ids, nids);
        if (r < 0)
                return log_warning_errno(r, "Cannot delete purged jobs from the store, ignoring: %m");
        c->purge_excess -= (uint64_t) r < c->purge_excess ? (uint64_t) r : c->purge_excess;
        *ret_more = full && r > 0;
        return r;
}

static int on_purge(sd_event_source *src, uint64_t usec, void *userdata);

/* Runs one batch of each; rearms the timer at once while there is more, else
 * after purge_interval. */
static int on_purge(sd_event_source *src, uint64_t usec, void *userdata) {
        Core *c = userdata;
        const NodeConfig *n = c->s->node;
        bool more = false, busy = false;
        int r;

        if (!c->purge_running) {
                /* a run begins: how far the count cap is exceeded, counted once
                 * (a count of every row per batch made a long purge 5 times slower) */
                uint64_t ended = 0;
                c->purge_excess = 0;
                if (n->keep_finished_jobs > 0) {
                        r = store_count_ended(c->store, &ended);
                        if (r < 0)
                                log_warning_errno(r, "Cannot count the ended jobs, ignoring keep_finished_jobs: %m");
                        else if (ended > n->keep_finished_jobs)
                                c->purge_excess = ended - n->keep_finished_jobs;
                }
                c->purge_running = true;
        }
        r = purge_jobs_step(c, &more, &busy);
        if (r > 0) {
                c->purged_jobs += (uint64_t) r;
                update_status(c);
        }
        uint64_t before = cutoff(n->keep_audit);
        if (before > 0) {
                r = store_purge_audit(c->store, before, AUDIT_BATCH);
                if (r < 0)
                        log_warning_errno(r, "Cannot purge the audit log, ignoring: %m");
                else {
                        c->purged_audit += (uint64_t) r;
                        more = more || r == AUDIT_BATCH;
                }
        }
        if (!more)
                c->purge_running = false;
        if (!more && (c->purged_jobs || c->purged_audit)) {
                log_info("Purged %llu ended jobs (keep_finished %s, keep_finished_jobs %llu) and %llu audit rows "
                         "(keep_audit %s)",
                         (unsigned long long) c->purged_jobs, format_duration((char[FORMAT_BUF]){}, n->keep_finished),
                         (unsigned long long) n->keep_finished_jobs, (unsigned long long) c->purged_audit,
                         format_duration((char[FORMAT_BUF]){}, n->keep_audit));
                c->purged_jobs = c->purged_audit = 0;
        }
        r = sd_event_source_set_time_relative(src, busy ? PURGE_BACKOFF : more ? 0 : n->purge_interval);
        if (r >= 0)
                r = sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Cannot rearm the purge timer, no more purges until a restart: %m");
        return 0;
}

int purge_start(Core *c) {
        sd_event_source *src = NULL;
        /* the first run right after start-up, at idle priority */
        /* accuracy 1 ms: sd-event's default (250 ms) held every step of a long
         * purge back by up to a quarter second (50,000 jobs took 138 s) */
        int r = sd_event_add_time_relative(c->event, &src, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_purge, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(src, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_floating(src, true);
        return 0;
}
