/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli-wait.c — waiting for a job (`submit --wait`, `submit --pipe`,
 * `corral wait`): one connection on which corrald pushes the job's state
 * changes, with --pipe its stdout and stderr as it writes them, and its end
 * (lib/stream.h); no polling. ^C: see cli_wait(). */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "stream.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
        interrupted = 1;
}

int cli_exit_code_of(json_t *job) {
        const char *st = json_string_value(json_object_get(job, "state"));
        const char *ex = json_string_value(json_object_get(job, "exit"));
        int code, sig;
        if (ex && sscanf(ex, "%d:%d", &code, &sig) == 2)
                return sig > 0 ? 128 + sig : code;
        return st && streq(st, "COMPLETED") ? 0 : 1;
}

/* One message; waits with SIGINT deliverable only while it waits.
 * 0: *ret_n bytes, -EINTR: interrupted, else an error (logged). */
static int recv_msg(int fd, const sigset_t *waitmask, char *buf, size_t *ret_n) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (interrupted)
                        return -EINTR;
                if (ppoll(&p, 1, NULL, waitmask) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(negative_errno(), "cannot wait for corrald: %m");
                }
                ssize_t n = recv(fd, buf, API_MAX_MESSAGE + 1, MSG_TRUNC | MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n < 0)
                        return log_error_errno(negative_errno(), "cannot read from corrald: %m");
                if (n == 0)
                        return log_error_errno(-ECONNRESET,
                                               "corrald closed the connection before the job ended (restarted?): "
                                               "corral show or corral wait tells where it is");
                if ((size_t) n > API_MAX_MESSAGE)
                        return log_error_errno(-EBADMSG, "oversized message from corrald");
                *ret_n = (size_t) n;
                return 0;
        }
}

static int write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

/* ^C: 1 cancel the job, 0 leave it */
static int ask_cancel(const CliWait *w) {
        char line[64];
        if (w->cancel_on_interrupt)
                return 1;
        if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
                return 0;
        fprintf(stderr, "\ncancel job %lld? [y/N] ", (long long) w->job);
        (void) fflush(stderr);
        /* a second ^C at the question ends corral; the job goes on */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGINT, &sa, NULL);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGINT);
        sigprocmask(SIG_UNBLOCK, &m, NULL);
        bool yes = fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
        return yes;
}

static const char *state_word(JobState s) {
        switch (s) {
        case JOB_QUEUED:
                return "queued";
        case JOB_HELD:
                return "held";
        default:
                return "running";
        }
}

int cli_wait(int fd, const CliWait *w) {
        _cleanup_free_ char *buf = malloc(API_MAX_MESSAGE + 1);
        _cleanup_free_ char *req = NULL;
        uint64_t expect[2] = { 0, 0 };
        JobState state = JOB_QUEUED;
        bool cancelling = false;
        sigset_t block, waitmask;
        size_t n;
        int r;

        if (!buf)
                return log_oom(), CLI_EXIT_FAILURE;
        json_t *o = json_pack("{s:s, s:I, s:b}", "op", "wait", "job", (json_int_t) w->job, "output", w->pipe);
        r = o ? api_dump(o, &req, &n) : -ENOMEM;
        json_decref(o);
        if (r < 0)
                return log_oom(), CLI_EXIT_FAILURE;
        /* SIGINT is caught only while waiting for corrald (ppoll), so that
         * it is never lost between a check and a wait; from before the
         * request, so that once corrald has it (and audited it) ^C is ours */
        interrupted = 0;
        struct sigaction sa = { .sa_handler = on_sigint };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, &waitmask);
        sigdelset(&waitmask, SIGINT);

        if (send(fd, req, n, MSG_NOSIGNAL) < 0)
                return log_error_errno(negative_errno(), "cannot send to corrald: %m"), CLI_EXIT_FAILURE;

        for (;;) {
                _cleanup_(api_event_done) ApiEvent e = { .type = _API_EVENT_INVALID };
                _cleanup_free_ char *err = NULL;

                r = recv_msg(fd, &waitmask, buf, &n);
                if (r == -EINTR) {
                        interrupted = 0;
                        if (!cancelling && ask_cancel(w) > 0) {
                                /* refused (it just ended, say): its end is on its way */
                                if (w->cancel(w->userdata, w->job) >= 0)
                                        fprintf(stderr, "corral: cancelling job %lld\n", (long long) w->job);
                                cancelling = true;
                                /* back to waiting, SIGINT caught again */
                                sigaction(SIGINT, &sa, NULL);
                                sigprocmask(SIG_BLOCK, &block, NULL);
                                continue;
                        }
                        if (cancelling)
                                fprintf(stderr, "corral: job %lld is being cancelled: corral show %lld\n",
                                        (long long) w->job, (long long) w->job);
                        else
                                fprintf(stderr, "corral: job %lld is still %s: corral cancel %lld\n",
                                        (long long) w->job, state_word(state), (long long) w->job);
                        return 130;
                }
                if (r < 0)
                        return CLI_EXIT_FAILURE;
                r = api_event_parse(buf, n, &e, &err);
                if (r < 0) {
                        log_error("malformed message from corrald: %s", err ? err : strerror(-r));
                        return CLI_EXIT_FAILURE;
                }
                switch (e.type) {
                case API_EVENT_ERROR:
                        log_error("%s", e.error);
                        return CLI_EXIT_FAILURE;
                case API_EVENT_STATE:
                        state = e.state;
                        /* what it waits for that the user chose (issue 13, item 7) */
                        if (!w->json && e.pending_reason && streq(e.pending_reason, "DEPENDENCY"))
                                fprintf(stderr, "corral: job %lld waits for its dependencies (%s)\n",
                                        (long long) w->job, e.dependency ? e.dependency : "?");
                        else if (!w->json && e.pending_reason && streq(e.pending_reason, "BEGIN_TIME"))
                                fprintf(stderr, "corral: job %lld waits for its --begin time\n", (long long) w->job);
                        if (w->pipe && e.stdout_path)
                                fprintf(stderr, "corral: job %lld writes its stdout to %s (not shown here)\n",
                                        (long long) w->job, e.stdout_path);
                        if (w->pipe && e.stderr_path)
                                fprintf(stderr, "corral: job %lld writes its stderr to %s (not shown here)\n",
                                        (long long) w->job, e.stderr_path);
                        break;
                case API_EVENT_OUTPUT:
                        if (e.offset != expect[e.stream]) {
                                log_error("corrald sent job output out of order (offset %llu, expected %llu)",
                                          (unsigned long long) e.offset, (unsigned long long) expect[e.stream]);
                                return CLI_EXIT_FAILURE;
                        }
                        r = recv_msg(fd, &waitmask, buf, &n);
                        if (r == -EINTR) {
                                /* the data is on its way: take it, then handle ^C */
                                interrupted = 0;
                                r = recv_msg(fd, &waitmask, buf, &n);
                                interrupted = 1;
                        }
                        if (r < 0)
                                return CLI_EXIT_FAILURE;
                        if (n != e.bytes) {
                                log_error("corrald sent %zu bytes of output, announced %zu", n, e.bytes);
                                return CLI_EXIT_FAILURE;
                        }
                        expect[e.stream] += n;
                        r = write_all(e.stream ? STDERR_FILENO : STDOUT_FILENO, buf, n);
                        if (r == -EPIPE)
                                return CLI_EXIT_FAILURE; /* as `| head`: stop quietly */
                        if (r < 0)
                                return log_error_errno(r, "cannot write the job's output: %m"), CLI_EXIT_FAILURE;
                        break;
                case API_EVENT_END:
                        if (w->json) {
                                json_dumpf(e.job_info, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
                                fputc('\n', stdout);
                        } else
                                fprintf(stderr, "corral: job %lld %s, exit %s\n", (long long) w->job,
                                        job_state_to_string(e.state),
                                        json_string_value(json_object_get(e.job_info, "exit")) ?: "none");
                        return cli_exit_code_of(e.job_info);
                default:
                        break;
                }
        }
}
