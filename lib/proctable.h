/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proctable.h — a snapshot of /proc as a table of processes, with the tree
 * rebuilt on demand (parent by ppid) and lookup by pid.
 *
 * A snapshot reads only what every process costs little: its pid, the inode
 * of /proc/PID (a new process gets a new one) and its owner. The rest (stat:
 * ppid, pgid, sid, state, start time, comm; cmdline; cgroup) is loaded on
 * demand with proc_entry_load(), so a caller that looks at 1,000 of 10,000
 * processes pays for 1,000: reading /proc/PID/stat costs ~7 us, /proc/PID/
 * status ~9 us, a stat(2) of /proc/PID ~1.6 us (measured, 10,000 processes).
 *
 * Every /proc read and every pidfd call goes through proc_syscalls, a small
 * table of function pointers (SQLite's aSyscall[]): tests replace entries to
 * inject ESRCH, EPERM or a recycled PID, and put them back with
 * proc_syscalls_reset().
 *
 * Race-free signalling: proc_pidfd_open_verified() opens a pidfd for a table
 * entry and stats /proc/PID *after* the pidfd exists: every new process gets
 * a new /proc/PID inode, so if the inode differs from the snapshot's the PID
 * was recycled and the new process is never signalled. If it is the same,
 * the process held the PID from the snapshot until after pidfd_open(): the
 * pidfd, the owner and the stat fields read in between are all its own (a
 * stat(2) costs ~1.6 us where re-reading stat cost ~7 us). Signals then go
 * through the pidfd, which can never reach another process. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define PROC_COMM_MAX 64
#define PROC_CMDLINE_MAX 4096
#define PROC_CGROUP_MAX 8192
#define PROC_NONE SIZE_MAX

typedef struct ProcSyscalls {
        /* Reads at most size-1 bytes of dirfd/path and NUL-terminates; returns
         * the length or -errno. */
        ssize_t (*read_file)(int dirfd, const char *path, char *buf, size_t size);
        /* The same for a file the kernel makes whole on the first read
         * (/proc/PID/stat, status): one read when it returns less than
         * asked for. */
        ssize_t (*read_record)(int dirfd, const char *path, char *buf, size_t size);
        /* pidfd_open(pid, 0): a new O_CLOEXEC fd or -errno. */
        int (*pidfd_open)(pid_t pid);
        /* pidfd_send_signal(pidfd, sig, NULL, 0): 0 or -errno. */
        int (*pidfd_send_signal)(int pidfd, int sig);
        /* fstatat(dirfd, path): the inode number and owner, 0 or -errno. */
        int (*stat_ino)(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid);
} ProcSyscalls;

extern ProcSyscalls proc_syscalls;
void proc_syscalls_reset(void);

typedef struct ProcEntry {
        pid_t pid;
        uint64_t ino; /* the inode of /proc/PID: new for every new process */
        uid_t uid; /* real uid: who started it; a setuid-root program keeps it */
        uid_t euid; /* effective uid */
        bool have_stat;
        bool gone; /* vanished while we read it */
        /* from stat, valid once have_stat (proc_entry_load(PROC_LOAD_STAT)) */
        pid_t ppid, pgid, sid;
        uint64_t start_time; /* clock ticks after boot (stat field 22) */
        unsigned num_threads; /* stat field 20: a zombie leader may still have live threads */
        char state; /* R S D Z T t X I ... */
        char comm[PROC_COMM_MAX];
        char *cmdline; /* NULL until loaded: arguments joined by spaces, capped */
        char *cgroup; /* NULL until loaded: the content of /proc/PID/cgroup */
        bool loaded_cmdline, loaded_cgroup;
        bool seen; /* copied by proctable_resnapshot(): the same process as in the previous table */
} ProcEntry;

typedef struct ProcTable {
        int proc_fd; /* the /proc directory the snapshot came from */
        ProcEntry *entries; /* sorted by pid */
        size_t n;
} ProcTable;

enum {
        PROC_LOAD_CMDLINE = 1 << 0,
        PROC_LOAD_CGROUP = 1 << 1,
        PROC_LOAD_STAT = 1 << 2,
};

ProcTable *proctable_free(ProcTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcTable *, proctable_free)
#define _cleanup_proctable_free_ _cleanup_(proctable_freep)

/* Snapshots proc_root ("/proc" when NULL): every process with its owner.
 * The uid is cheap for most processes: the owner of /proc/PID is the
 * effective uid of a dumpable process, and any change of uid makes a process
 * non-dumpable, which shows as root; so only root-owned entries need their
 * status read for the real uid (a setuid-root program run by a user is the
 * user's). The stat fields are read on demand. Processes that vanish while
 * being read are left out. Returns 0 or -errno. */
int proctable_snapshot(const char *proc_root, ProcTable **ret);
/* A new snapshot from prev's /proc fd; a process already in prev (same pid,
 * same /proc inode, not root-owned) is copied instead of re-read, and marked
 * seen. */
int proctable_resnapshot(const ProcTable *prev, ProcTable **ret);

/* Loads `what` for every entry for which want(e, userdata) is true, in two
 * threads on big tables (reading /proc is the cost, and a node has cores). */
void proctable_load_many(ProcTable *t, bool (*want)(const ProcEntry *e, void *userdata), void *userdata, unsigned what);

ProcEntry *proctable_find(const ProcTable *t, pid_t pid);
/* The parent entry of e (loads stat), or NULL. */
ProcEntry *proctable_parent(ProcTable *t, ProcEntry *e);
/* Is a an ancestor of e (or e itself)? */
bool proctable_is_ancestor(ProcTable *t, const ProcEntry *a, ProcEntry *e);

/* Dead: exited and reaped or a zombie with no live thread left. (A thread
 * group whose leader called pthread_exit() shows the leader as Z while its
 * other threads run on: that is alive.) */
static inline bool proc_entry_dead(const ProcEntry *e) {
        return e->gone || e->state == 'X' || (e->state == 'Z' && e->num_threads <= 1);
}

/* Loads stat, cmdline and/or cgroup of e if not loaded yet. A process that
 * is gone keeps NULL fields (and state 'X'); returns 0 or -errno (-ESRCH when
 * gone). */
int proc_entry_load(const ProcTable *t, ProcEntry *e, unsigned what);

/* Does any line of a /proc/PID/cgroup text name path (or a cgroup below it)
 * on some hierarchy? path is hierarchy-relative ("/corral/job-7"); a line
 * "N:ctrls:/corral/job-7/sub" matches, "/corral/job-70" does not. */
bool proc_cgroup_text_under(const char *cgroup_text, const char *path);

/* Pure parsers (unit-tested): stat ("pid (comm) S ppid pgrp session ... ")
 * into e's pid, comm (control characters replaced by '?', so a name cannot
 * forge log lines), state, ppid, pgid, sid, num_threads, start_time; status
 * "Uid:" line into uid and euid. Return 0 or -EINVAL. */
int proc_parse_stat(const char *buf, ProcEntry *e);
int proc_parse_status_uids(const char *buf, uid_t *ret_uid, uid_t *ret_euid);
/* A list of PIDs separated by blanks (/proc/PID/task/TID/children) into a
 * sorted array. truncated: buf is the start of a longer text, so its last
 * number may be cut short and is dropped. 0 or -ENOMEM/-EINVAL; *ret NULL
 * and *ret_n 0 for an empty list. */
int proc_parse_pid_list(const char *buf, bool truncated, pid_t **ret, size_t *ret_n);

/* The last PID the kernel handed out (the 5th field of /proc/loadavg, for
 * the reader's PID namespace; a process created in any namespace below it
 * moves it too). If it has not changed between two reads, no process was
 * created on the node in between. */
int proc_read_last_pid(int proc_fd, pid_t *ret);

/* Our own reader threads take PIDs too: is every PID in (after, upto] one of
 * the threads this library started? (Then nobody else created a process.) */
bool proc_pids_all_own(pid_t after, pid_t upto);

/* Re-reads the start time of pid from the /proc at proc_fd. */
int proc_read_start_time(int proc_fd, pid_t pid, uint64_t *ret);

/* Opens a pidfd for the process that holds pid and started at start_time
 * (stat field 22, clock ticks after boot), and fills *ret with its stat
 * fields and uids. The pidfd is opened first and /proc/PID read after it; a
 * signal 0 through the pidfd then tells that its process was not reaped yet,
 * so the PID still named it while /proc was read (the kernel gives a PID to
 * no other process before). Returns 0 with *ret_pidfd set, -ESRCH when no
 * process has that PID or another one (another start time) has it, or
 * another -errno. */
int proc_pidfd_open_started(int proc_fd, pid_t pid, uint64_t start_time, ProcEntry *ret, int *ret_pidfd);

/* Opens a pidfd for e (stat loaded) and checks, by the inode of /proc/PID, that
 * it still names the process of the snapshot. Returns 0 with *ret_pidfd set, -ESRCH (gone), -ESTALE (the PID now
 * belongs to another process: never signal it) or another -errno. */
int proc_pidfd_open_verified(const ProcTable *t, const ProcEntry *e, int *ret_pidfd);
