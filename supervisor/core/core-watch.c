/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core-watch.c — connections that the daemon pushes to: `wait` (a job's
 * state changes, its output, its end: the messages are in lib/stream.h) and
 * `logs --follow` (one stream, as header and data pairs). No polling: the
 * lifecycle calls watch_job_changed() when a job changes state, and an
 * inotify watch on the job's spool directory says when it wrote (one
 * inotify instance for the core, whatever the number of subscribers: the
 * kernel allows 128 per user; subscribers to the same job share its watch).
 *
 * Bounded: the output is read from the spool files only when the socket
 * can take a message (EPOLLOUT), so a slow reader makes the daemon hold at
 * most the one chunk whose header it already sent (pending); every send is
 * non-blocking, and one wake-up sends at most WATCH_BUDGET messages before
 * the loop serves the others. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "store.h"
#include "stream.h"

#define WATCH_BUDGET 8

struct Watch {
        Conn *conn;
        int64_t job;
        WatchMode mode;
        bool streams[2]; /* which of stdout, stderr to send */
        uint64_t offset[2];
        int next_stream; /* stdout and stderr take turns */
        int fds[2]; /* the spool files, once opened */
        int wd; /* the inotify watch on the spool directory, -1 none yet */
        char output_id[JOB_OUTPUT_ID_LEN + 1];
        char *stdout_path, *stderr_path; /* written elsewhere: not streamed */
        JobState state;
        bool have_state, ended; /* ended: final (and, for wait, its epilogue ran) */
        bool dirty; /* the job may have changed: read it again */
        bool sent_first;
        JobState sent_state;
        /* a waiting job's pending reason and dependencies (core-deps.c):
         * sent with its state, and again when the reason changes */
        PendReason reason, sent_reason;
        char *depends;
        bool closing; /* the last message is out: close once pending is */
        char *pending; /* a message the socket could not take yet */
        size_t pending_len;
};

void watch_free(Watch *w) {
        if (!w)
                return;
        /* the last subscriber of the directory removes its watch (the
         * connection is already off the list) */
        if (w->wd >= 0) {
                Core *c = w->conn->core;
                bool shared = false;
                for (Conn *o = c->conns; o && !shared; o = o->next)
                        shared = o->watch && o->watch != w && o->watch->wd == w->wd;
                if (!shared)
                        (void) inotify_rm_watch(c->inotify_fd, w->wd);
        }
        for (int i = 0; i < 2; i++)
                if (w->fds[i] >= 0)
                        close(w->fds[i]);
        free(w->stdout_path);
        free(w->stderr_path);
        free(w->depends);
        free(w->pending);
        free(w);
}

static void want_out(Watch *w, bool on) {
        (void) sd_event_source_set_io_events(w->conn->src, EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0));
}

/* 1 sent, 0 the socket is full, < 0 the client is gone */
static int try_send(Watch *w, const void *buf, size_t len) {
        for (;;) {
                ssize_t n = send(w->conn->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n >= 0)
                        return 1;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return 0;
                return negative_errno();
        }
}

static int try_send_json(Watch *w, json_t *msg) {
        _cleanup_free_ char *s = NULL;
        size_t n;
        int r;
        if (!msg)
                return -ENOMEM;
        r = api_dump(msg, &s, &n);
        json_decref(msg);
        return r < 0 ? r : try_send(w, s, n);
}

/* the subscribers of watch wd (all of them for -1) have something to read */
static void wake(Core *c, int wd, bool gone) {
        for (Conn *o = c->conns; o; o = o->next)
                if (o->watch && o->watch->wd >= 0 && (wd < 0 || o->watch->wd == wd)) {
                        if (gone)
                                o->watch->wd = -1;
                        want_out(o->watch, true);
                }
}

static int on_inotify(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Core *c = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        /* what changed does not matter: the files are read again */
        while ((n = read(fd, buf, sizeof buf)) > 0) {
                int last = -2;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        if (ev->mask & IN_Q_OVERFLOW)
                                wake(c, -1, false);
                        else if (ev->wd != last || (ev->mask & IN_IGNORED))
                                wake(c, ev->wd, ev->mask & IN_IGNORED);
                        last = ev->wd;
                        p += sizeof *ev + ev->len;
                }
        }
        return 0;
}

static bool output_ready(const Watch *w) {
        return w->have_state && job_state_has_output(w->state);
}

/* The spool directory exists once the helper launched the job. */
static void watch_output_dir(Watch *w) {
        Core *c = w->conn->core;
        char dir[4200];
        if (w->wd >= 0 || !(w->streams[0] || w->streams[1]) || !output_ready(w))
                return;
        if (!c->inotify_ready) {
                c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (c->inotify_fd < 0) {
                        log_warning_errno(negative_errno(), "Cannot stream job output: inotify: %m");
                        return;
                }
                /* floating: freed with the event loop */
                if (sd_event_add_io(c->event, NULL, c->inotify_fd, EPOLLIN, on_inotify, c) < 0) {
                        close(c->inotify_fd);
                        return;
                }
                c->inotify_ready = true;
        }
        snprintf(dir, sizeof dir, "%s/%s", c->s->output_dir, w->output_id);
        w->wd = inotify_add_watch(c->inotify_fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR);
        /* < 0: not there yet (queued): the next change of state tries again */
}

static int reload(Watch *w) {
        Job *j = NULL;
        int r = store_get(w->conn->core->store, w->job, &j);
        if (r < 0)
                return r; /* gone (purged): the stream ends */
        w->state = j->state;
        w->have_state = true;
        w->ended = job_state_is_final(j->state) && (w->mode == WATCH_LOGS || j->epilogue);
        w->reason = pending_reason(w->conn->core, j);
        free(w->depends);
        w->depends = TAKE_PTR(j->depends);
        job_free(j);
        w->dirty = false;
        watch_output_dir(w);
        return 0;
}

/* Reads the next chunk of stream s: > 0 bytes into *ret_buf, 0 none yet. */
static ssize_t read_chunk(Watch *w, int s, char **ret_buf) {
        Core *c = w->conn->core;
        char path[4300];
        if (w->fds[s] < 0) {
                if (!output_ready(w))
                        return 0;
                snprintf(path, sizeof path, "%s/%s/%s", c->s->output_dir, w->output_id, s ? "stderr" : "stdout");
                w->fds[s] = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                if (w->fds[s] < 0)
                        return errno == ENOENT ? 0 : negative_errno();
        }
        char *buf = malloc(API_STREAM_CHUNK);
        if (!buf)
                return -ENOMEM;
        ssize_t n = pread(w->fds[s], buf, API_STREAM_CHUNK, (off_t) w->offset[s]);
        if (n <= 0) {
                int r = n < 0 ? negative_errno() : 0;
                free(buf);
                return r;
        }
        *ret_buf = buf;
        return n;
}

/* 1: a message went (or is pending), 0: nothing to send, < 0: stop */
static int send_output(Watch *w, int s) {
        _cleanup_free_ char *buf = NULL;
        ssize_t n = read_chunk(w, s, &buf);
        int r;
        if (n <= 0)
                return (int) n;
        if (w->mode == WATCH_WAIT)
                r = try_send_json(w, api_event_output(s, w->offset[s], (size_t) n));
        else
                r = try_send_json(w,
                                  json_pack("{s:b, s:I, s:I, s:b, s:s}", "ok", 1, "offset", (json_int_t) w->offset[s],
                                            "bytes", (json_int_t) n, "eof", 0, "state", job_state_to_string(w->state)));
        if (r <= 0)
                return r < 0 ? r : -EAGAIN; /* nothing sent: read again when it can take it */
        w->offset[s] += (uint64_t) n;
        r = try_send(w, buf, (size_t) n);
        if (r == 0) {
                /* the header is out: its data must follow */
                w->pending = TAKE_PTR(buf);
                w->pending_len = (size_t) n;
                return -EAGAIN;
        }
        return r < 0 ? r : 1;
}

static int send_end(Watch *w) {
        if (w->mode == WATCH_LOGS)
                return try_send_json(w, json_pack("{s:b, s:I, s:I, s:b, s:s}", "ok", 1, "offset",
                                                  (json_int_t) w->offset[w->streams[1]], "bytes", 0, "eof", 1, "state",
                                                  job_state_to_string(w->state)));
        Job *j = NULL;
        int r = store_get(w->conn->core->store, w->job, &j);
        if (r < 0)
                return r;
        json_t *info = job_to_json(w->conn->core, j, true);
        job_free(j);
        if (!info)
                return -ENOMEM;
        r = try_send_json(w, api_event_end(info));
        json_decref(info);
        return r;
}

/* Sends what is due; < 0: the connection is to be closed. */
static int flush(Watch *w) {
        int r;
        for (int budget = WATCH_BUDGET; budget > 0; budget--) {
                if (w->pending) {
                        r = try_send(w, w->pending, w->pending_len);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return want_out(w, true), 0;
                        free(w->pending);
                        w->pending = NULL;
                }
                if (w->closing)
                        return -ESHUTDOWN;
                if (w->dirty || !w->have_state) {
                        r = reload(w);
                        if (r < 0)
                                return r;
                }
                if (w->mode == WATCH_WAIT &&
                    (!w->sent_first || w->state != w->sent_state || w->reason != w->sent_reason)) {
                        json_t *ev = api_event_state(w->job, w->state, w->sent_first ? NULL : w->stdout_path,
                                                     w->sent_first ? NULL : w->stderr_path);
                        if (ev && w->reason != PEND_NONE)
                                json_object_set_new(ev, "pending_reason",
                                                    json_string(pend_reason_to_string(w->reason)));
                        if (ev && w->depends && !job_state_is_final(w->state))
                                json_object_set_new(ev, "dependency", json_string(w->depends));
                        r = try_send_json(w, ev);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return want_out(w, true), 0;
                        w->sent_first = true;
                        w->sent_state = w->state;
                        w->sent_reason = w->reason;
                        continue;
                }
                bool sent = false;
                for (int i = 0; i < 2 && !sent; i++) {
                        int s = (w->next_stream + i) % 2;
                        if (!w->streams[s])
                                continue;
                        r = send_output(w, s);
                        if (r == -EAGAIN) {
                                if (w->pending)
                                        w->next_stream = !s; /* its header went out */
                                return want_out(w, true), 0;
                        }
                        if (r < 0)
                                return r;
                        sent = r > 0;
                        if (sent)
                                w->next_stream = !s;
                }
                if (sent)
                        continue;
                /* the state was read before the files: once it says the job
                 * ended, files read to their end after it are complete */
                if (w->ended) {
                        r = send_end(w);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return want_out(w, true), 0;
                        w->closing = true;
                        continue;
                }
                want_out(w, false);
                return 0;
        }
        want_out(w, true); /* more to send: after the loop served the others */
        return 0;
}

int watch_start(Conn *conn, const Job *j, WatchMode mode, int stream, uint64_t offset) {
        Watch *w = calloc(1, sizeof(Watch));
        if (!w)
                return -ENOMEM;
        *w = (Watch){ .conn = conn, .job = j->id, .mode = mode, .fds = { -1, -1 }, .wd = -1, .dirty = true };
        snprintf(w->output_id, sizeof w->output_id, "%s", j->output_id);
        if (mode == WATCH_LOGS) {
                w->streams[stream] = true;
                w->offset[stream] = offset;
        } else if (stream >= 0) {
                /* -1: states only; else both streams kept in the spool */
                w->streams[0] = !j->stdout_path;
                w->streams[1] = !j->stderr_path;
                if ((j->stdout_path && !(w->stdout_path = strdup(j->stdout_path))) ||
                    (j->stderr_path && !(w->stderr_path = strdup(j->stderr_path)))) {
                        watch_free(w);
                        return -ENOMEM;
                }
        }
        conn->watch = w;
        want_out(w, true);
        return 0;
}

void watch_job_changed(Core *c, int64_t id) {
        for (Conn *conn = c->conns; conn; conn = conn->next)
                if (conn->watch && conn->watch->job == id) {
                        conn->watch->dirty = true;
                        want_out(conn->watch, true);
                }
}

void watch_on_io(Conn *conn, uint32_t revents) {
        char tmp[64];
        if (revents & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
                conn_free(conn);
                return;
        }
        if ((revents & EPOLLIN) && recv(conn->fd, tmp, sizeof tmp, MSG_DONTWAIT) == 0) {
                /* the client only reads: EOF (or a message, ignored) */
                conn_free(conn);
                return;
        }
        if ((revents & EPOLLOUT) && flush(conn->watch) < 0)
                conn_free(conn);
}
