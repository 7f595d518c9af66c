/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proctable.c — see proctable.h. Layout: the syscall table, the pure
 * parsers, the snapshot (readdir of /proc, one stat(2) of /proc/PID per
 * process and a status read for root-owned ones, in two threads on big
 * tables, then sort), lazy loading of stat/cmdline/cgroup, and the verified
 * pidfd open. */
#include "proctable.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the syscall table ---- */

/* record: the file is one record that the kernel makes whole on the first
 * read (/proc/PID/stat, status), so a read that returns less than asked for
 * has all of it and the read that would see the end is skipped (the snapshot
 * reads one of these per process). Other files may come in pieces. */
static ssize_t read_proc_file(int dirfd, const char *path, char *buf, size_t size, bool record) {
        _cleanup_close_ int fd = -1;
        size_t len = 0;

        if (size == 0)
                return -EINVAL;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        while (len < size - 1) {
                ssize_t k = read(fd, buf + len, size - 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (record && len < size - 1)
                        break;
        }
        buf[len] = '\0';
        return (ssize_t) len;
}

static ssize_t sys_read_file(int dirfd, const char *path, char *buf, size_t size) {
        return read_proc_file(dirfd, path, buf, size, false);
}

static ssize_t sys_read_record(int dirfd, const char *path, char *buf, size_t size) {
        return read_proc_file(dirfd, path, buf, size, true);
}

static int sys_pidfd_open(pid_t pid) {
        long r = syscall(SYS_pidfd_open, pid, 0);
        if (r < 0)
                return negative_errno();
        return (int) r;
}

static int sys_pidfd_send_signal(int pidfd, int sig) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return negative_errno();
        return 0;
}

static int sys_stat_ino(int dirfd, const char *path, uint64_t *ret_ino, uid_t *ret_uid) {
        struct stat st;
        if (fstatat(dirfd, path, &st, 0) < 0)
                return negative_errno();
        *ret_ino = (uint64_t) st.st_ino;
        *ret_uid = st.st_uid;
        return 0;
}

/* struct pidfd_info as of Linux 6.13 (PIDFD_INFO_SIZE_VER0, 64 bytes; the
 * kernel takes the size from the ioctl number). Declared here: the build
 * machine's headers may predate it. */
struct corral_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define CORRAL_PIDFD_GET_INFO _IOWR(0xFF, 11, struct corral_pidfd_info)
#define CORRAL_PIDFD_INFO_CREDS (UINT64_C(1) << 1)

static int sys_pidfd_get_ids(int pidfd, uid_t ret[4]) {
        struct corral_pidfd_info info = { .mask = CORRAL_PIDFD_INFO_CREDS };
        if (ioctl(pidfd, CORRAL_PIDFD_GET_INFO, &info) < 0)
                return negative_errno();
        if (!(info.mask & CORRAL_PIDFD_INFO_CREDS))
                return -EOPNOTSUPP;
        ret[0] = info.ruid;
        ret[1] = info.euid;
        ret[2] = info.suid;
        ret[3] = info.fsuid;
        return 0;
}

static const ProcSyscalls proc_syscalls_default = {
        .read_file = sys_read_file,
        .read_record = sys_read_record,
        .pidfd_open = sys_pidfd_open,
        .pidfd_send_signal = sys_pidfd_send_signal,
        .stat_ino = sys_stat_ino,
        .pidfd_get_ids = sys_pidfd_get_ids,
};

ProcSyscalls proc_syscalls = {
        .read_file = sys_read_file,
        .read_record = sys_read_record,
        .pidfd_open = sys_pidfd_open,
        .pidfd_send_signal = sys_pidfd_send_signal,
        .stat_ino = sys_stat_ino,
        .pidfd_get_ids = sys_pidfd_get_ids,
};

void proc_syscalls_reset(void) {
        proc_syscalls = proc_syscalls_default;
}

/* ---- pure parsers ---- */

static int parse_field_long(const char **p, long long *ret) {
        char *end;
        long long v;

        while (**p == ' ')
                (*p)++;
        if (!isdigit((unsigned char) **p) && **p != '-')
                return -EINVAL;
        errno = 0;
        v = strtoll(*p, &end, 10);
        if (errno != 0 || end == *p)
                return -EINVAL;
        *p = end;
        *ret = v;
        return 0;
}

static int skip_fields(const char **p, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                while (**p == ' ')
                        (*p)++;
                if (**p == '\0' || **p == '\n')
                        return -EINVAL;
                while (**p && **p != ' ' && **p != '\n')
                        (*p)++;
        }
        return 0;
}

int proc_parse_stat(const char *buf, ProcEntry *e) {
        /* "pid (comm) S ppid pgrp session tty_nr tpgid flags minflt cminflt
         *  majflt cmajflt utime stime cutime cstime priority nice num_threads
         *  itrealvalue starttime ..." — comm may contain spaces and ')', so it
         *  ends at the *last* ')'. */
        const char *open, *close, *p;
        long long pid, ppid, pgid, sid, start;
        size_t len;

        open = strchr(buf, '(');
        close = strrchr(buf, ')');
        if (!open || !close || close < open)
                return -EINVAL;
        p = buf;
        if (parse_field_long(&p, &pid) < 0 || p > open || pid <= 0 || pid > INT32_MAX)
                return -EINVAL;
        p = close + 1;
        while (*p == ' ')
                p++;
        if (*p == '\0' || *p == '\n')
                return -EINVAL;
        char state = *p++;
        if (parse_field_long(&p, &ppid) < 0 || parse_field_long(&p, &pgid) < 0 || parse_field_long(&p, &sid) < 0)
                return -EINVAL;
        /* fields 7..19 (tty_nr .. nice), 20 num_threads, 21 itrealvalue */
        long long threads;
        if (skip_fields(&p, 13) < 0 || parse_field_long(&p, &threads) < 0 || skip_fields(&p, 1) < 0 ||
            parse_field_long(&p, &start) < 0)
                return -EINVAL;
        if (ppid < 0 || ppid > INT32_MAX || pgid < 0 || pgid > INT32_MAX || sid < 0 || sid > INT32_MAX || start < 0)
                return -EINVAL;

        e->pid = (pid_t) pid;
        e->ppid = (pid_t) ppid;
        e->pgid = (pid_t) pgid;
        e->sid = (pid_t) sid;
        e->state = state;
        e->start_time = (uint64_t) start;
        e->num_threads = threads > 0 && threads < UINT32_MAX ? (unsigned) threads : 0;
        len = (size_t) (close - open - 1);
        if (len >= sizeof e->comm)
                len = sizeof e->comm - 1;
        memcpy(e->comm, open + 1, len);
        e->comm[len] = '\0';
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) e->comm[i] < 0x20 || e->comm[i] == 0x7f)
                        e->comm[i] = '?';
        return 0;
}

int proc_parse_status_ids(const char *buf, uid_t ret[4]) {
        /* "Uid:\t<real>\t<effective>\t<saved>\t<filesystem>" */
        const char *p = buf;
        long long v[4];

        for (;;) {
                if (strneq(p, "Uid:", 4))
                        break;
                p = strchr(p, '\n');
                if (!p)
                        return -EINVAL;
                p++;
        }
        p += 4;
        for (size_t i = 0; i < 4; i++) {
                while (*p == '\t' || *p == ' ')
                        p++;
                if (parse_field_long(&p, &v[i]) < 0 || v[i] < 0 || v[i] > (long long) UINT32_MAX - 1)
                        return -EINVAL;
                if (*p != '\t' && *p != ' ' && *p != '\n' && *p != '\0')
                        return -EINVAL;
        }
        for (size_t i = 0; i < 4; i++)
                ret[i] = (uid_t) v[i];
        return 0;
}

int proc_parse_status_uids(const char *buf, uid_t *ret_uid, uid_t *ret_euid) {
        uid_t ids[4];
        int r = proc_parse_status_ids(buf, ids);
        if (r < 0)
                return r;
        *ret_uid = ids[0];
        *ret_euid = ids[1];
        return 0;
}

bool proc_cgroup_text_under(const char *text, const char *path) {
        size_t plen;

        if (!text || isempty(path))
                return false;
        plen = strlen(path);
        while (plen > 1 && path[plen - 1] == '/')
                plen--;
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                /* "hierarchy-id:controllers:path" */
                const char *c1 = strchr(line, ':');
                const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                const char *nl = strchr(line, '\n');
                if (!c2 || (nl && c2 > nl))
                        continue;
                const char *cg = c2 + 1;
                size_t cglen = nl ? (size_t) (nl - cg) : strlen(cg);
                if (cglen < plen || memcmp(cg, path, plen) != 0)
                        continue;
                if (cglen == plen || cg[plen] == '/' || (plen == 1 && path[0] == '/'))
                        return true;
        }
        return false;
}

/* ---- the snapshot ---- */

ProcTable *proctable_free(ProcTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                free(t->entries[i].cmdline);
                free(t->entries[i].cgroup);
        }
        free(t->entries);
        if (t->proc_fd >= 0)
                (void) close(t->proc_fd);
        free(t);
        return NULL;
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = ((const ProcEntry *) a)->pid, y = ((const ProcEntry *) b)->pid;
        return (x > y) - (x < y);
}

static void clear_ids(ProcEntry *e) {
        e->have_ids = false;
        e->uid = e->euid = e->suid = e->fsuid = (uid_t) -1;
}

/* Reads the ids of e from status (always afresh). On failure e's ids are
 * unknown (have_ids false). */
static int read_status_ids(int proc_fd, ProcEntry *e) {
        char path[32], buf[2048];
        uid_t ids[4];
        ssize_t k;
        int r;

        clear_ids(e);
        (void) snprintf(path, sizeof path, "%d/status", (int) e->pid);
        k = proc_syscalls.read_record(proc_fd, path, buf, sizeof buf);
        if (k < 0)
                return k == -ENOENT ? -ESRCH : (int) k;
        r = proc_parse_status_ids(buf, ids);
        if (r < 0)
                return r;
        e->uid = ids[0];
        e->euid = ids[1];
        e->suid = ids[2];
        e->fsuid = ids[3];
        e->have_ids = true;
        return 0;
}

static int cmp_pid_t(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
        return (x > y) - (x < y);
}

int proc_parse_pid_list(const char *buf, bool truncated, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ pid_t *l = NULL;
        size_t n = 0, cap = 0;
        const char *p = buf;

        while (*p) {
                long long v = 0;
                const char *start;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                start = p;
                for (; *p >= '0' && *p <= '9'; p++) {
                        v = v * 10 + (*p - '0');
                        if (v > INT32_MAX)
                                return -EINVAL;
                }
                if (p == start || (*p && *p != ' ' && *p != '\n') || v <= 0)
                        return -EINVAL;
                if (truncated && !*p)
                        break; /* may be the first digits of a longer number */
                if (n == cap) {
                        pid_t *nl = realloc(l, (cap ? cap * 2 : 64) * sizeof *nl);
                        if (!nl)
                                return -ENOMEM;
                        l = nl;
                        cap = cap ? cap * 2 : 64;
                }
                l[n++] = (pid_t) v;
        }
        if (n > 1)
                qsort(l, n, sizeof *l, cmp_pid_t);
        *ret = n ? TAKE_PTR(l) : NULL;
        *ret_n = n;
        return 0;
}

/* The kernel threads: every one is a child of kthreadd (PID 2), which lists
 * them in one file. They are root's and never anyone's leftovers, so the
 * snapshot need not read each one's status to learn its real uid (most of a
 * small node's processes are kernel threads, and status is the dearest file
 * in /proc). The list is advisory: a PID missing from it is read as any
 * other; one that was a kernel thread and is reused by the time /proc is
 * read has a new /proc inode, and the next scan classifies it afresh. */
static void read_kthreads(int proc_fd, pid_t **ret, size_t *ret_n) {
        size_t size = (size_t) 64 * 1024;
        _cleanup_free_ char *buf = malloc(size);
        ssize_t k;

        *ret = NULL;
        *ret_n = 0;
        if (!buf)
                return;
        k = proc_syscalls.read_file(proc_fd, "2/task/2/children", buf, size);
        if (k <= 0)
                return;
        buf[(size_t) k < size ? (size_t) k : size - 1] = '\0';
        if (proc_parse_pid_list(buf, (size_t) k >= size - 1, ret, ret_n) < 0) {
                *ret = NULL;
                *ret_n = 0;
        }
}

static int load_stat(int proc_fd, ProcEntry *e) {
        char path[32], buf[2048];
        ProcEntry tmp = {};
        ssize_t k;
        int r;

        (void) snprintf(path, sizeof path, "%d/stat", (int) e->pid);
        k = proc_syscalls.read_record(proc_fd, path, buf, sizeof buf);
        if (k < 0) {
                r = (int) k;
                goto gone;
        }
        r = proc_parse_stat(buf, &tmp);
        if (r < 0 || tmp.pid != e->pid)
                goto gone;
        e->ppid = tmp.ppid;
        e->pgid = tmp.pgid;
        e->sid = tmp.sid;
        e->start_time = tmp.start_time;
        e->num_threads = tmp.num_threads;
        e->state = tmp.state;
        memcpy(e->comm, tmp.comm, sizeof e->comm);
        e->have_stat = true;
        return 0;
gone:
        /* it exited: from now on it is dead to every caller */
        e->have_stat = true;
        e->gone = true;
        e->state = 'X';
        return r == -ENOENT || r == 0 ? -ESRCH : r;
}

/* The thread ids of the reader threads we started (see proc_pids_all_own). */
#define OWN_TIDS_MAX 256
static pid_t own_tids[OWN_TIDS_MAX];
static unsigned n_own_tids;
static pthread_mutex_t own_tids_lock = PTHREAD_MUTEX_INITIALIZER;

static void record_own_tid(void) {
        pthread_mutex_lock(&own_tids_lock);
        if (n_own_tids < OWN_TIDS_MAX)
                own_tids[n_own_tids++] = gettid();
        pthread_mutex_unlock(&own_tids_lock);
}

bool proc_pids_all_own(pid_t after, pid_t upto) {
        bool all = true;
        unsigned n = 0;

        if (after == upto)
                return true;
        if (upto < after || upto - after > OWN_TIDS_MAX)
                return false; /* wrapped or too many: assume not */
        pthread_mutex_lock(&own_tids_lock);
        for (pid_t p = after + 1; p <= upto && all; p++) {
                bool found = false;
                for (unsigned i = 0; i < n_own_tids && !found; i++)
                        found = own_tids[i] == p;
                all = found;
                n++;
        }
        pthread_mutex_unlock(&own_tids_lock);
        return all && n > 0;
}

typedef struct Slot {
        pid_t pid;
        uint64_t ino;
} Slot;

/* Reads the owner (and for root-owned entries the ids) of slots[a..b) into
 * out[0..n). */
typedef struct Chunk {
        int proc_fd;
        const Slot *slots;
        size_t a, b;
        const ProcTable *prev;
        ProcEntry *out;
        size_t n;
        bool threaded;
        const pid_t *kthreads;
        size_t n_kthreads;
} Chunk;

static void *read_chunk(void *userdata) {
        Chunk *c = userdata;
        if (c->threaded)
                record_own_tid();
        for (size_t i = c->a; i < c->b; i++) {
                const Slot *s = &c->slots[i];
                ProcEntry *e = &c->out[c->n];
                const ProcEntry *old = c->prev ? proctable_find(c->prev, s->pid) : NULL;
                char path[16];
                uint64_t ino;
                uid_t uid;

                if (old && old->ino == s->ino && old->owner != 0 && !old->gone) {
                        /* the same process as before (same /proc inode): its
                         * stat fields still hold, but not its ids: a process
                         * may change its real uid without its owner
                         * changing, so they are read again when needed */
                        *e = *old;
                        e->cmdline = e->cgroup = NULL;
                        e->loaded_cmdline = e->loaded_cgroup = false;
                        clear_ids(e);
                        e->seen = true;
                        c->n++;
                        continue;
                }
                *e = (ProcEntry){ .pid = s->pid, .ino = s->ino };
                clear_ids(e);
                (void) snprintf(path, sizeof path, "%d", (int) s->pid);
                if (proc_syscalls.stat_ino(c->proc_fd, path, &ino, &uid) < 0)
                        continue;
                e->ino = ino;
                e->owner = uid;
                if (uid == 0) {
                        /* root-owned (effective uid 0): any real uid may
                         * hide behind it (a setuid-root program a user
                         * started); kernel threads are root's */
                        if (c->n_kthreads && bsearch(&e->pid, c->kthreads, c->n_kthreads, sizeof(pid_t), cmp_pid_t)) {
                                e->uid = e->euid = e->suid = e->fsuid = 0;
                                e->have_ids = true;
                        } else if (read_status_ids(c->proc_fd, e) < 0)
                                continue;
                }
                c->n++;
        }
        return NULL;
}

static int snapshot_fd(int proc_fd, const ProcTable *prev, ProcTable **ret) {
        _cleanup_proctable_free_ ProcTable *t = NULL;
        _cleanup_free_ Slot *slots = NULL;
        size_t n_slots = 0, cap = 1024;
        DIR *d;
        int dfd;

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->proc_fd = fcntl(proc_fd, F_DUPFD_CLOEXEC, 3);
        if (t->proc_fd < 0)
                return negative_errno();
        slots = malloc(cap * sizeof *slots);
        if (!slots)
                return -ENOMEM;

        dfd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        d = fdopendir(dfd);
        if (!d) {
                int r = negative_errno();
                (void) close(dfd);
                return r;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                const char *s = de->d_name;
                long long pid = 0;

                if (!isdigit((unsigned char) s[0]))
                        continue;
                for (; *s; s++) {
                        if (!isdigit((unsigned char) *s) || pid > INT32_MAX / 10)
                                break;
                        pid = pid * 10 + (*s - '0');
                }
                if (*s || pid <= 0)
                        continue;
                if (n_slots == cap) {
                        Slot *n = realloc(slots, 2 * cap * sizeof *n);
                        if (!n) {
                                (void) closedir(d);
                                return -ENOMEM;
                        }
                        slots = n;
                        cap *= 2;
                }
                slots[n_slots++] = (Slot){ .pid = (pid_t) pid, .ino = de->d_ino };
        }
        if (errno != 0) {
                int r = negative_errno();
                (void) closedir(d);
                return r;
        }
        (void) closedir(d);

        t->entries = calloc(n_slots ? n_slots : 1, sizeof *t->entries);
        if (!t->entries)
                return -ENOMEM;

        /* Two readers on a big table: the cost is one stat(2) per process,
         * and a batch node has more than one core. */
        size_t half = n_slots >= 2048 ? n_slots / 2 : n_slots, n_kthreads;
        _cleanup_free_ pid_t *kthreads = NULL;
        read_kthreads(proc_fd, &kthreads, &n_kthreads);
        Chunk c0 = { .proc_fd = proc_fd,
                     .slots = slots,
                     .a = 0,
                     .b = half,
                     .prev = prev,
                     .out = t->entries,
                     .kthreads = kthreads,
                     .n_kthreads = n_kthreads };
        Chunk c1 = { .proc_fd = proc_fd,
                     .slots = slots,
                     .a = half,
                     .b = n_slots,
                     .prev = prev,
                     .out = t->entries + half,
                     .kthreads = kthreads,
                     .n_kthreads = n_kthreads };
        pthread_t th;
        c1.threaded = true;
        bool threaded = half < n_slots && pthread_create(&th, NULL, read_chunk, &c1) == 0;
        (void) read_chunk(&c0);
        if (threaded)
                (void) pthread_join(th, NULL);
        else {
                c1.threaded = false;
                (void) read_chunk(&c1);
        }
        memmove(t->entries + c0.n, t->entries + half, c1.n * sizeof *t->entries);
        t->n = c0.n + c1.n;

        qsort(t->entries, t->n, sizeof *t->entries, cmp_pid);
        *ret = TAKE_PTR(t);
        return 0;
}

int proctable_snapshot(const char *proc_root, ProcTable **ret) {
        _cleanup_close_ int fd = -1;

        fd = open(proc_root ?: "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return snapshot_fd(fd, NULL, ret);
}

int proctable_resnapshot(const ProcTable *prev, ProcTable **ret) {
        return snapshot_fd(prev->proc_fd, prev, ret);
}

typedef struct LoadChunk {
        ProcTable *t;
        size_t a, b;
        bool (*want)(const ProcEntry *e, void *userdata);
        void *userdata;
        unsigned what;
        bool threaded;
} LoadChunk;

static void *load_chunk(void *userdata) {
        LoadChunk *c = userdata;
        if (c->threaded)
                record_own_tid();
        for (size_t i = c->a; i < c->b; i++) {
                ProcEntry *e = &c->t->entries[i];
                if (c->want(e, c->userdata))
                        (void) proc_entry_load(c->t, e, c->what);
        }
        return NULL;
}

void proctable_load_many(ProcTable *t, bool (*want)(const ProcEntry *e, void *userdata), void *userdata,
                         unsigned what) {
        size_t half = t->n >= 2048 ? t->n / 2 : t->n;
        LoadChunk c0 = { .t = t, .a = 0, .b = half, .want = want, .userdata = userdata, .what = what };
        LoadChunk c1 = {
                .t = t, .a = half, .b = t->n, .want = want, .userdata = userdata, .what = what, .threaded = true
        };
        pthread_t th;
        bool threaded = half < t->n && pthread_create(&th, NULL, load_chunk, &c1) == 0;

        (void) load_chunk(&c0);
        if (threaded)
                (void) pthread_join(th, NULL);
        else {
                c1.threaded = false;
                (void) load_chunk(&c1);
        }
}

ProcEntry *proctable_find(const ProcTable *t, pid_t pid) {
        size_t lo = 0, hi = t->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->entries[mid].pid == pid)
                        return &t->entries[mid];
                if (t->entries[mid].pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

ProcEntry *proctable_parent(ProcTable *t, ProcEntry *e) {
        if (!e->have_stat && load_stat(t->proc_fd, e) < 0)
                return NULL;
        if (e->gone || e->ppid <= 0 || e->ppid == e->pid)
                return NULL;
        return proctable_find(t, e->ppid);
}

bool proctable_is_ancestor(ProcTable *t, const ProcEntry *a, ProcEntry *e) {
        /* bounded: a corrupt table cannot loop forever */
        for (size_t depth = 0; e && depth <= t->n; depth++, e = proctable_parent(t, e))
                if (e == a)
                        return true;
        return false;
}

int proc_entry_load(const ProcTable *t, ProcEntry *e, unsigned what) {
        char path[32];
        int r = 0;

        if ((what & PROC_LOAD_STAT) && !e->have_stat) {
                r = load_stat(t->proc_fd, e);
                if (r < 0)
                        return r;
        }
        if ((what & PROC_LOAD_IDS) && !e->have_ids && !e->gone) {
                r = read_status_ids(t->proc_fd, e);
                if (r < 0)
                        return r;
        }

        if ((what & PROC_LOAD_CMDLINE) && !e->loaded_cmdline) {
                _cleanup_free_ char *buf = malloc(PROC_CMDLINE_MAX);
                ssize_t k;

                if (!buf)
                        return -ENOMEM;
                e->loaded_cmdline = true;
                (void) snprintf(path, sizeof path, "%d/cmdline", (int) e->pid);
                k = proc_syscalls.read_file(t->proc_fd, path, buf, PROC_CMDLINE_MAX);
                if (k < 0)
                        r = (int) k;
                else {
                        /* NUL-separated arguments; a process may have rewritten
                         * them, so treat every control byte as a space */
                        while (k > 0 && buf[k - 1] == '\0')
                                k--;
                        for (ssize_t i = 0; i < k; i++)
                                if ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7f)
                                        buf[i] = ' ';
                        buf[k] = '\0';
                        char *s = realloc(buf, (size_t) k + 1);
                        e->cmdline = s ? s : buf;
                        buf = NULL;
                }
        }
        if ((what & PROC_LOAD_CGROUP) && !e->loaded_cgroup) {
                _cleanup_free_ char *buf = malloc(PROC_CGROUP_MAX);
                ssize_t k;

                if (!buf)
                        return -ENOMEM;
                e->loaded_cgroup = true;
                (void) snprintf(path, sizeof path, "%d/cgroup", (int) e->pid);
                k = proc_syscalls.read_file(t->proc_fd, path, buf, PROC_CGROUP_MAX);
                if (k < 0)
                        r = (int) k;
                else {
                        char *s = realloc(buf, (size_t) k + 1);
                        e->cgroup = s ? s : buf;
                        buf = NULL;
                }
        }
        /* a process that exited is ESRCH for the caller, whatever /proc said */
        return r == -ENOENT ? -ESRCH : r;
}

int proc_read_last_pid(int proc_fd, pid_t *ret) {
        /* "0.01 0.05 0.00 1/123 4567" */
        char buf[256];
        const char *p;
        long long v;
        ssize_t k = proc_syscalls.read_file(proc_fd, "loadavg", buf, sizeof buf);

        if (k < 0)
                return (int) k;
        p = strrchr(buf, ' ');
        if (!p)
                return -EINVAL;
        p++;
        if (parse_field_long(&p, &v) < 0 || v < 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

int proc_read_start_time(int proc_fd, pid_t pid, uint64_t *ret) {
        ProcEntry e;
        int r = proc_read_stat(proc_fd, pid, &e);
        if (r < 0)
                return r;
        *ret = e.start_time;
        return 0;
}

int proc_read_ids(int proc_fd, ProcEntry *e) {
        return read_status_ids(proc_fd, e);
}

int proc_read_stat(int proc_fd, pid_t pid, ProcEntry *ret) {
        char path[32], buf[2048];
        ProcEntry e = {};
        ssize_t k;
        int r;

        (void) snprintf(path, sizeof path, "%d/stat", (int) pid);
        k = proc_syscalls.read_record(proc_fd, path, buf, sizeof buf);
        if (k < 0)
                return k == -ENOENT ? -ESRCH : (int) k;
        r = proc_parse_stat(buf, &e);
        if (r < 0)
                return r;
        if (e.pid != pid)
                return -EINVAL;
        e.have_stat = true;
        e.uid = e.euid = e.suid = e.fsuid = e.owner = (uid_t) -1;
        *ret = e;
        return 0;
}

int proc_pidfd_open_verified(const ProcTable *t, ProcEntry *e, int *ret_pidfd) {
        _cleanup_close_ int fd = -1;
        char path[16];
        uint64_t ino;
        uid_t uid;
        int r;

        if (!e->have_stat || e->gone)
                return -ESRCH;
        fd = proc_syscalls.pidfd_open(e->pid);
        if (fd < 0)
                return fd;
        /* who it is now: through the pidfd itself, or from status read after
         * the pidfd exists and before the inode check (a matching inode then
         * proves they are this process's) */
        uid_t ids[4];
        r = proc_syscalls.pidfd_get_ids(fd, ids);
        if (r == 0) {
                e->uid = ids[0];
                e->euid = ids[1];
                e->suid = ids[2];
                e->fsuid = ids[3];
                e->have_ids = true;
        } else if (r == -ESRCH)
                return r;
        else {
                r = read_status_ids(t->proc_fd, e);
                if (r < 0)
                        return r;
        }
        /* The pidfd pins whatever process has this PID *now*. Only if
         * /proc/PID is still the inode of the snapshot is it the process we
         * saw (the stat(2) revalidates the entry: a process that was reaped
         * fails, a new one at the same PID gets a new inode); otherwise the
         * PID was recycled and we must not touch it. */
        (void) snprintf(path, sizeof path, "%d", (int) e->pid);
        r = proc_syscalls.stat_ino(t->proc_fd, path, &ino, &uid);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (ino != e->ino)
                return -ESTALE;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}

int proc_pidfd_open_started(int proc_fd, pid_t pid, uint64_t start_time, ProcEntry *ret, int *ret_pidfd) {
        _cleanup_close_ int fd = -1;
        ProcEntry e = { .pid = pid };
        int r;

        if (pid <= 0)
                return -ESRCH;
        fd = proc_syscalls.pidfd_open(pid);
        if (fd < 0)
                return fd == -EINVAL ? -ESRCH : fd; /* EINVAL: a thread, not a process */
        r = load_stat(proc_fd, &e);
        if (r < 0)
                return r;
        if (e.start_time != start_time)
                return -ESRCH;
        r = read_status_ids(proc_fd, &e);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        /* still not reaped: what was read above is the pidfd's process */
        r = proc_syscalls.pidfd_send_signal(fd, 0);
        if (r < 0)
                return r;
        *ret = e;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}
