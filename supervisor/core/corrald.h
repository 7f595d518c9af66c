/* SPDX-License-Identifier: GPL-2.0-or-later */
/* corrald.h — shared by the two processes of corrald.
 *
 *   corrald (root)  ── fork ──>  core (user `corral`)
 *   the root helper              API socket, SQLite queue, dispatcher,
 *   fixed request table          lifecycle, audit, metrics, sd_notify
 *        ^                                 |
 *        └──── socketpair (SOCK_SEQPACKET), one JSON message each way ──┘
 *
 * The helper keeps root and does only what needs it: launch a job through
 * corral-launch, signal it, kill its cgroup, run corral-epilogue, adopt a
 * launcher after a restart. It re-checks every request against the policy
 * files it reads itself and treats anything unknown or oversized as fatal
 * (OpenSSH's monitor). The core parses untrusted input and never runs as
 * root. If either process dies the other exits too, and the next start
 * reconciles the queue with what is still running (core-lifecycle.c). */
#pragma once

#include <stdbool.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "nodeconf.h"
#include "store.h"

/* The messages between the core and the helper: lib/hmsg.h. */

typedef struct Settings {
        NodeConfig *node;
        char *config_path;
        char *state_dir; /* the queue database (owned by the daemon user, 0700) */
        char *run_dir; /* root-owned: launch results */
        char *output_dir; /* job output directories (root, 0711) */
        char *socket;
        char *policy_dir;
        char *launch_bin, *epilogue_bin;
        char *user; /* the unprivileged user of the core */
        uid_t uid;
        gid_t gid;
        gid_t admin_gid; /* (gid_t) -1: no admin group on this node */
        bool dev; /* `make run`: state under a root-owned directory (devmode.c) */
        bool epilogue_dry_run; /* report only (--dev: a workstation is not a batch node) */
        uint64_t slots;
        uint64_t node_mem, node_cpus; /* bytes, whole CPUs: what the running jobs may ask for together */
        uint64_t max_running_per_user; /* UINT64_MAX: no cap */
        uint64_t max_queued_per_user;
        uint64_t grace; /* usec, between SIGTERM and the cgroup kill on cancel */
} Settings;

/* The directory of `corrald --dev` (`sudo make run`). */
#define DEV_DIR_DEFAULT "/run/corral-dev"

/* devmode.c: points the state, run and output directories, the socket and
 * the policy directory into dev_dir (root-owned, created if missing) and
 * copies the *.ini files of policy_src there; logs and returns -errno. */
int dev_prepare(Settings *s, const char *dev_dir, const char *policy_src);

/* helper.c */
int helper_main(Settings *s, int fd);

/* core.c */
int core_main(Settings *s, int helper_fd, int listen_fd);

/* selfsandbox.c: the core's own seccomp filter (native architecture, socket
 * families, personality, no realtime, clock or modules). build returns the
 * context; apply builds and loads it into the calling thread group's
 * process. On failure -errno and *ret_step names what failed. */
int selfsandbox_build(scmp_filter_ctx *ret, const char **ret_step);
int selfsandbox_apply(const char **ret_step);

/* Reads the start time (clock ticks since boot, field 22 of /proc/PID/stat)
 * to tell a process from a later one with the same pid. */
int pid_start_time(pid_t pid, uint64_t *ret);
/* The session id (field 6 of /proc/PID/stat). */
int pid_session(pid_t pid, pid_t *ret);
/* What the kernel says of the process that connected on the socket fd (pid:
 * its SO_PEERCRED pid): the text of its /proc/PID/cgroup and how many PID
 * namespaces below ours it is in. Through its pidfd (SO_PEERPIDFD, Linux
 * 6.5; else pidfd_open() of pid and a start time no later than
 * accepted_usec, CLOCK_BOOTTIME), checked after the reads to still be alive,
 * so that a reused pid is never read in its place. -ESRCH: the process is
 * gone. */
int peer_inspect(int fd, pid_t pid, uint64_t accepted_usec, char **ret_cgroup, int *ret_pidns_depth);
/* The "NSpid:" line's entries less one (pure; -EBADMSG without one). */
int proc_status_pidns_depth(const char *status);
