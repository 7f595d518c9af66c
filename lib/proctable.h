/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proctable.h — a snapshot of /proc as a table of processes, with the tree
 * rebuilt on demand (parent by ppid) and lookup by pid.
 *
 * A snapshot reads only what every process costs little: its pid, the inode
 * of /proc/PID (a new process gets a new one) and its owner. The rest (stat:
 * ppid, pgid, sid, state, start time, comm; status: the real, effective,
 * saved and filesystem uids; cmdline; cgroup) is loaded on demand with
 * proc_entry_load(), so a caller that looks at 1,000 of 10,000 processes
 * pays for 1,000: reading /proc/PID/stat costs ~7 us, /proc/PID/status
 * ~9 us, a stat(2) of /proc/PID ~1.6 us (measured, 10,000 processes).
 *
 * Who a process belongs to is its *real* uid, read from status. The owner
 * of the directory /proc/PID is not it: it is always the effective uid
 * (only the files inside turn root's when the process is non-dumpable), so
 * a root daemon that switched only its effective uid to a user (slurmstepd,
 * sge_shepherd) shows the user as owner, dumpable or not, and a setuid-root
 * program a user started shows root. The owner is only a cheap pre-filter:
 * the real uid is read by the snapshot for root-owned entries (any real uid
 * may hide behind root) and must be loaded (PROC_LOAD_IDS) for every other
 * entry before it is judged by it. A process whose owner is user V has a
 * real uid other than V only if a process holding V's or root's
 * credentials made it so (a setuid-V program, or setresuid by a
 * privileged one).
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
        /* ioctl(pidfd, PIDFD_GET_INFO) (Linux 6.13): the real, effective,
         * saved and filesystem uids of the pidfd's process into ret[0..3];
         * 0, -ESRCH (exited), or -ENOTTY/-EINVAL on older kernels. */
        int (*pidfd_get_ids)(int pidfd, uid_t ret[4]);
} ProcSyscalls;

extern ProcSyscalls proc_syscalls;
void proc_syscalls_reset(void);

typedef struct ProcEntry {
        pid_t pid;
        uint64_t ino; /* the inode of /proc/PID: new for every new process */
        uid_t owner; /* the owner of /proc/PID: the effective uid (see above) */
        /* from status, valid once have_ids (proc_entry_load(PROC_LOAD_IDS));
         * (uid_t) -1 before */
        bool have_ids;
        uid_t uid; /* real uid: who started it; a setuid-root program keeps it */
        uid_t euid, suid, fsuid; /* effective, saved, filesystem */
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
        PROC_LOAD_IDS = 1 << 3, /* status: uid, euid, suid, fsuid */
};

ProcTable *proctable_free(ProcTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcTable *, proctable_free)
#define _cleanup_proctable_free_ _cleanup_(proctable_freep)

/* Snapshots proc_root ("/proc" when NULL): every process with its owner;
 * root-owned entries other than kernel threads also with their ids (status),
 * since any real uid may hide behind a root owner. Every other entry has
 * have_ids false: its owner is its euid, not who it belongs to. The stat
 * fields are read on demand. Processes that vanish while being read are
 * left out. Returns 0 or -errno. */
int proctable_snapshot(const char *proc_root, ProcTable **ret);
/* A new snapshot from prev's /proc fd; a process already in prev (same pid,
 * same /proc inode, not root-owned) is copied instead of re-read, and marked
 * seen. Its ids are not copied (have_ids false): a process can change its
 * uids without its owner changing (setresuid of the real uid alone), so they
 * are read again when needed. */
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
 * "Uid:" line (real, effective, saved, filesystem) into uid and euid, or all
 * four into ret[0..3]. Return 0 or -EINVAL. */
int proc_parse_stat(const char *buf, ProcEntry *e);
int proc_parse_status_uids(const char *buf, uid_t *ret_uid, uid_t *ret_euid);
int proc_parse_status_ids(const char *buf, uid_t ret[4]);
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
/* Reads the stat fields of pid afresh into *ret (pid, ppid, state, start
 * time, comm...). 0, -ESRCH (gone) or -errno. */
int proc_read_stat(int proc_fd, pid_t pid, ProcEntry *ret);
/* Reads the ids of e->pid (status) afresh into e; on failure have_ids is
 * false. 0, -ESRCH or -errno. */
int proc_read_ids(int proc_fd, ProcEntry *e);

/* Opens a pidfd for the process that holds pid and started at start_time
 * (stat field 22, clock ticks after boot), and fills *ret with its stat
 * fields and uids. The pidfd is opened first and /proc/PID read after it; a
 * signal 0 through the pidfd then tells that its process was not reaped yet,
 * so the PID still named it while /proc was read (the kernel gives a PID to
 * no other process before). Returns 0 with *ret_pidfd set, -ESRCH when no
 * process has that PID or another one (another start time) has it, or
 * another -errno. */
int proc_pidfd_open_started(int proc_fd, pid_t pid, uint64_t start_time, ProcEntry *ret, int *ret_pidfd);

/* Opens a pidfd for e (stat loaded), reads its ids afresh into e (through
 * the pidfd with PIDFD_GET_INFO, ~0.3 us; from status where the kernel
 * lacks it), and checks, by the inode of /proc/PID, that it still names the
 * process of the snapshot (so the ids are that process's, as of now: the
 * caller judges them again before signalling). Returns 0 with *ret_pidfd set,
 * -ESRCH (gone), -ESTALE (the PID now belongs to another process: never
 * signal it) or another -errno. */
int proc_pidfd_open_verified(const ProcTable *t, ProcEntry *e, int *ret_pidfd);
