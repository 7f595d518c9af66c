/* SPDX-License-Identifier: GPL-2.0-or-later */
/* traces.c — corral-epilogue(8) step 5 (step 3 of epilogue_main()): what a
 * job leaves behind besides processes and spool entries, once its processes
 * are dead (they may have used all of it):
 *
 *   1. SysV IPC (clean_ipc): the shared memory segments, semaphore sets and
 *      message queues the user created (MPI libraries leave them after a
 *      crash), in the epilogue's IPC namespace, which is the host's: a
 *      corral-launch job has its own, gone with the job. The kernel's own
 *      index is walked (SHM_INFO + SHM_STAT_ANY and the sem and msg
 *      equivalents); each object is read again by its id (IPC_STAT) right
 *      before IPC_RMID, and removed only if it is still the same object
 *      (key and creator). They are removed, not quarantined: a segment's
 *      content is the memory of a dead job with no file form; the JSON
 *      record keeps its key, size, owner, creator and the pids.
 *   2. files in tmp_dirs (clean_tmp: /dev/shm, /tmp, /var/tmp, /run/lock):
 *      every entry the user owns. Each directory is opened with
 *      openat(O_NOFOLLOW | O_DIRECTORY) from the one above and checked to be
 *      the entry that was judged (device and inode), entries are judged by
 *      fstatat(AT_SYMLINK_NOFOLLOW) and removed with unlinkat(): a symlink
 *      is removed itself, never followed; nothing on another file system
 *      or mount (a mount point below a tmp dir, a bind mount of the same
 *      file system: statx's mount id) is entered or removed. The user's
 *      directories are emptied depth first (TRACES_MAX_DEPTH levels); what
 *      other users own inside them stays, and so does the directory then.
 *      A file goes to the quarantine (QDIR/USER/tmp-TIME-PID/<dir>/<path>,
 *      with QDIR/USER/tmp-TIME-PID.json listing every entry) when the
 *      quarantine is on the same file system, so a rename moves it, and
 *      while the allocated bytes moved in this run stay within
 *      tmp_quarantine_max; everything else is removed. Every entry gets a
 *      JSON record in the report either way.
 *
 * Whose traces: the job's user's (every eligible user's in a sweep), unless
 * the user has another running job on the node (a "busy" uid of kill.c: a
 * process of theirs was spared). Then nothing of the user's is touched, and
 * what is left is reported as spared: nothing on the node tells which job
 * created a file (it has an owner, no job) or an IPC object (its creator pid
 * is dead and may be reused by the running job), and removing a segment or
 * a file the running job uses would break it. The epilogue of the user's
 * last job on the node, or a sweep, removes them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "epilogue.h"
#include "log.h"
#include "strv.h"

/* a user's directory tree is followed this deep, an fd per level */
#define TRACES_MAX_DEPTH 128

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

union semun {
        int val;
        struct semid_ds *buf;
        unsigned short *array;
        struct seminfo *__buf;
};

static bool uid_cleanable(const EpTargetRules *rules, uid_t uid) {
        return rules->mode == EP_MODE_SWEEP ? ep_uid_eligible(rules, uid)
                                            : rules->have_uid && rules->user_eligible && uid == rules->uid;
}

TraceVerdict traces_judge_uid(const EpTargetRules *rules, const uid_t *busy, size_t n_busy, uid_t uid) {
        if (!uid_cleanable(rules, uid))
                return TRACE_IGNORE;
        return ep_uid_busy(busy, n_busy, uid) ? TRACE_SPARE : TRACE_CLEAN;
}

TraceVerdict traces_judge_ipc(const EpTargetRules *rules, const uid_t *busy, size_t n_busy, uid_t uid, uid_t cuid) {
        TraceVerdict v = traces_judge_uid(rules, busy, n_busy, cuid);
        if (v == TRACE_IGNORE || uid == cuid || !ep_uid_eligible(rules, uid))
                return v;
        /* handed to another user: theirs too, who may be using it in a job */
        TraceVerdict o = traces_judge_uid(rules, busy, n_busy, uid);
        if (o == TRACE_IGNORE)
                return TRACE_IGNORE;
        return v == TRACE_SPARE || o == TRACE_SPARE ? TRACE_SPARE : TRACE_CLEAN;
}

/* A user's quarantine of this run: QDIR/USER/tmp-TIME-PID and its manifest */
typedef struct QSession {
        uid_t uid;
        int fd; /* QDIR/USER/tmp-TIME-PID */
        char *dir;
        json_t *entries; /* written to DIR.json at the end */
} QSession;

typedef struct Traces {
        const EpRequest *req;
        const EpTargetRules *rules;
        EpReport *rep;
        const uid_t *busy;
        size_t n_busy;
        /* tmp walk */
        uint64_t budget; /* bytes the quarantine may still take in this run */
        dev_t dev; /* of the tmp dir being walked */
        uint64_t mnt_id; /* its mount (0: the kernel does not say) */
        bool quarantine_here; /* the quarantine is on that file system */
        const char *path; /* the tmp dir as found ("/tmp", below --root) */
        const char *mirror; /* its name in the quarantine ("tmp", "var/tmp") */
        char stamp[48]; /* TIME-PID */
        /* inside the top-level directory being emptied: what went (one
         * record for the directory, not one per file: a job's tree in /tmp
         * may hold 100,000 files, and corrald keeps 1 MiB of our output) */
        unsigned quarantined, removed;
        uint64_t bytes;
        QSession *sessions;
        size_t n_sessions;
} Traces;

/* The user's name for records and the quarantine: the job's user by name,
 * others looked up (a sweep meets a few users only here). */
static const char *name_of(const Traces *t, uid_t uid, char *buf, size_t size) {
        struct passwd *pw;
        if (t->req->user && t->req->have_uid && uid == t->req->uid)
                return t->req->user;
        pw = getpwuid(uid);
        if (pw && strlen(pw->pw_name) < size) {
                (void) snprintf(buf, size, "%s", pw->pw_name);
                return buf;
        }
        return NULL;
}

/* ---- 1. SysV IPC ---- */

typedef enum IpcKind {
        IPC_KIND_SHM,
        IPC_KIND_SEM,
        IPC_KIND_MSG,
} IpcKind;

static const char *const ipc_kind_name[] = { "ipc_shm", "ipc_sem", "ipc_msg" };

typedef struct IpcObject {
        IpcKind kind;
        int id;
        key_t key;
        uid_t uid, cuid;
        uint64_t size; /* shm bytes, sem count, msg bytes queued */
        uint64_t count; /* shm attaches, msg messages */
        pid_t cpid, lpid; /* shm creator and last shmat/shmdt; msg last send and receive */
} IpcObject;

/* Reads the object at index idx (stat_any) or with id idx (IPC_STAT). */
static int ipc_read(IpcKind kind, int idx, bool by_id, IpcObject *ret) {
        IpcObject o = { .kind = kind };
        struct ipc_perm *perm;
        int id;

        switch (kind) {
        case IPC_KIND_SHM: {
                struct shmid_ds ds;
                id = shmctl(idx, by_id ? IPC_STAT : SHM_STAT_ANY, &ds);
                if (id < 0 && !by_id && errno == EINVAL)
                        id = shmctl(idx, SHM_STAT, &ds); /* before Linux 4.17 */
                if (id < 0)
                        return negative_errno();
                perm = &ds.shm_perm;
                o.size = ds.shm_segsz;
                o.count = ds.shm_nattch;
                o.cpid = ds.shm_cpid;
                o.lpid = ds.shm_lpid;
                o.id = by_id ? idx : id;
                o.key = perm->__key;
                o.uid = perm->uid;
                o.cuid = perm->cuid;
                break;
        }
        case IPC_KIND_SEM: {
                struct semid_ds ds;
                union semun arg = { .buf = &ds };
                id = semctl(idx, 0, by_id ? IPC_STAT : SEM_STAT_ANY, arg);
                if (id < 0 && !by_id && errno == EINVAL)
                        id = semctl(idx, 0, SEM_STAT, arg);
                if (id < 0)
                        return negative_errno();
                perm = &ds.sem_perm;
                o.size = ds.sem_nsems;
                o.id = by_id ? idx : id;
                o.key = perm->__key;
                o.uid = perm->uid;
                o.cuid = perm->cuid;
                break;
        }
        case IPC_KIND_MSG: {
                struct msqid_ds ds;
                id = msgctl(idx, by_id ? IPC_STAT : MSG_STAT_ANY, &ds);
                if (id < 0 && !by_id && errno == EINVAL)
                        id = msgctl(idx, MSG_STAT, &ds);
                if (id < 0)
                        return negative_errno();
                perm = &ds.msg_perm;
                o.size = ds.__msg_cbytes;
                o.count = ds.msg_qnum;
                o.cpid = ds.msg_lspid;
                o.lpid = ds.msg_lrpid;
                o.id = by_id ? idx : id;
                o.key = perm->__key;
                o.uid = perm->uid;
                o.cuid = perm->cuid;
                break;
        }
        default:
                return -EINVAL;
        }
        *ret = o;
        return 0;
}

/* The highest index in use, or -errno. */
static int ipc_max_index(IpcKind kind) {
        int r;
        switch (kind) {
        case IPC_KIND_SHM: {
                struct shm_info info;
                r = shmctl(0, SHM_INFO, (struct shmid_ds *) (void *) &info);
                break;
        }
        case IPC_KIND_SEM: {
                struct seminfo info;
                union semun arg = { .__buf = &info };
                r = semctl(0, 0, SEM_INFO, arg);
                break;
        }
        case IPC_KIND_MSG: {
                struct msginfo info;
                r = msgctl(0, MSG_INFO, (struct msqid_ds *) (void *) &info);
                break;
        }
        default:
                return -EINVAL;
        }
        return r < 0 ? negative_errno() : r;
}

static int ipc_remove(const IpcObject *o) {
        int r;
        switch (o->kind) {
        case IPC_KIND_SHM:
                r = shmctl(o->id, IPC_RMID, NULL);
                break;
        case IPC_KIND_SEM:
                r = semctl(o->id, 0, IPC_RMID);
                break;
        case IPC_KIND_MSG:
                r = msgctl(o->id, IPC_RMID, NULL);
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? negative_errno() : 0;
}

static void report_ipc(Traces *t, const IpcObject *o, const char *result, const char *detail) {
        const char *kind = ipc_kind_name[o->kind];
        char ubuf[64], key[16];
        const char *user = name_of(t, o->cuid, ubuf, sizeof ubuf);
        json_t *rec;

        (void) snprintf(key, sizeof key, "0x%08x", (unsigned) o->key);
        rec = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:s, s:I, s:s, s:s, s:s?}", "type", kind, "kind", kind, "user",
                        user, "uid", (json_int_t) o->cuid, "owner_uid", (json_int_t) o->uid, "id", (json_int_t) o->id,
                        "key", key, "size", (json_int_t) o->size, "action", "remove", "result", result, "detail",
                        detail);
        if (rec) {
                if (o->kind != IPC_KIND_SEM)
                        (void) json_object_set_new(rec, o->kind == IPC_KIND_SHM ? "attached" : "messages",
                                                   json_integer((json_int_t) o->count));
                if (o->kind == IPC_KIND_SHM) {
                        (void) json_object_set_new(rec, "creator_pid", json_integer(o->cpid));
                        (void) json_object_set_new(rec, "last_pid", json_integer(o->lpid));
                }
                (void) json_array_append_new(t->rep->records, rec);
        }
        report_detail(t->rep, streq(result, "failed") ? LOG_WARNING : LOG_INFO,
                      "remove %s id %d key %s of uid %u (owner %u, %" PRIu64 " %s): %s%s%s", kind, o->id, key,
                      (unsigned) o->cuid, (unsigned) o->uid, o->size, o->kind == IPC_KIND_SEM ? "semaphores" : "bytes",
                      result, detail ? ": " : "", detail ? detail : "");
}

static void clean_ipc_kind(Traces *t, IpcKind kind) {
        int max = ipc_max_index(kind);

        if (max < 0) {
                if (max != -ENOSYS) /* a kernel without SysV IPC */
                        log_warning_errno(max, "Cannot list the %s objects, ignoring: %m", ipc_kind_name[kind]);
                return;
        }
        for (int idx = 0; idx <= max; idx++) {
                IpcObject o, now;
                TraceVerdict v;
                int r;

                if (ipc_read(kind, idx, false, &o) < 0)
                        continue; /* a free slot */
                v = traces_judge_ipc(t->rules, t->busy, t->n_busy, o.uid, o.cuid);
                if (v == TRACE_IGNORE)
                        continue;
                if (v == TRACE_SPARE) {
                        report_ipc(t, &o, "spared", "the user has a running job on this node");
                        t->rep->traces_spared++;
                        continue;
                }
                if (t->req->dry_run) {
                        report_ipc(t, &o, "dry-run", NULL);
                        t->rep->ipc_objects++;
                        continue;
                }
                /* the same object still? (a removed id is not reused until
                 * its sequence number wraps) */
                r = ipc_read(kind, o.id, true, &now);
                if (r < 0 || now.key != o.key || now.cuid != o.cuid || now.uid != o.uid)
                        continue;
                r = ipc_remove(&o);
                if (r == -EINVAL || r == -EIDRM)
                        continue; /* gone meanwhile */
                if (r < 0) {
                        report_ipc(t, &o, "failed", strerror(-r));
                        t->rep->strip_failures++;
                        continue;
                }
                report_ipc(t, &o, "removed", NULL);
                t->rep->ipc_objects++;
        }
}

/* ---- 2. files in tmp_dirs ---- */

static const char *type_name(mode_t m) {
        switch (m & S_IFMT) {
        case S_IFREG:
                return "file";
        case S_IFDIR:
                return "directory";
        case S_IFLNK:
                return "symlink";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        case S_IFCHR:
                return "char device";
        case S_IFBLK:
                return "block device";
        default:
                return "unknown";
        }
}

static void report_entry(Traces *t, const char *path, const struct stat *st, const char *dest, const char *action,
                         const char *result, const char *detail) {
        char ubuf[64], d[256];
        const char *user = name_of(t, st->st_uid, ubuf, sizeof ubuf);

        (void) snprintf(d, sizeof d, "%s, %lld bytes%s%s", type_name(st->st_mode), (long long) st->st_size,
                        detail ? ", " : "", detail ? detail : "");
        report_file(t->rep, "tmp_file", user, st->st_uid, path, dest, action, result, d);
}

static QSession *session_of(Traces *t, uid_t uid) {
        for (size_t i = 0; i < t->n_sessions; i++)
                if (t->sessions[i].uid == uid)
                        return &t->sessions[i];
        return NULL;
}

/* QDIR/USER/tmp-TIME-PID for uid, made on first use. */
static int session_open(Traces *t, uid_t uid, QSession **ret) {
        _cleanup_close_ int ufd = -1;
        QSession *s = session_of(t, uid), *n;
        char ubuf[64], name[80];
        int r, fd;

        if (s) {
                *ret = s;
                return 0;
        }
        r = quarantine_open_user_dir(t->req->paths.quarantine_dir, name_of(t, uid, ubuf, sizeof ubuf), uid, &ufd);
        if (r < 0)
                return r;
        for (unsigned i = 0;; i++) {
                (void) snprintf(name, sizeof name, i ? "tmp-%s.%u" : "tmp-%s", t->stamp, i);
                if (mkdirat(ufd, name, 0700) == 0)
                        break;
                if (errno != EEXIST || i >= 100)
                        return negative_errno();
        }
        fd = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = realloc(t->sessions, (t->n_sessions + 1) * sizeof *n);
        if (!n) {
                (void) close(fd);
                return -ENOMEM;
        }
        t->sessions = n;
        s = &t->sessions[t->n_sessions++];
        *s = (QSession){ .uid = uid, .fd = fd, .entries = json_array() };
        const char *user = name_of(t, uid, ubuf, sizeof ubuf);
        if ((user ? asprintf(&s->dir, "%s/%s/%s", t->req->paths.quarantine_dir, user, name)
                  : asprintf(&s->dir, "%s/uid-%u/%s", t->req->paths.quarantine_dir, (unsigned) uid, name)) < 0)
                s->dir = NULL;
        *ret = s;
        return 0;
}

/* The id of the mount dfd/name is on ("" for dfd itself): a bind mount of
 * a directory of the same file system has the same st_dev. 0 when the
 * kernel does not say (before Linux 5.8). */
static uint64_t mount_id_at(int dfd, const char *name) {
        struct statx sx;
        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) < 0 ||
            !(sx.stx_mask & STATX_MNT_ID))
                return 0;
        return sx.stx_mnt_id;
}

/* Opens (making them, root 0700) the directories of rel below fd. */
static int mkdir_below(int fd, const char *rel) {
        _cleanup_free_ char *copy = strdup(rel);
        _cleanup_close_ int cur = -1;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return negative_errno();
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;
                if (mkdirat(cur, c, 0700) < 0 && errno != EEXIST)
                        return negative_errno();
                next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return negative_errno();
                (void) close(cur);
                cur = next;
        }
        return TAKE_FD(cur);
}

/* Moves dfd/name (the tmp dir's entry at rel) into uid's quarantine
 * session; -EXDEV when it cannot be renamed there. */
static int quarantine_entry(Traces *t, int dfd, const char *name, const char *rel, const struct stat *st,
                            char **ret_dest) {
        _cleanup_free_ char *qrel = NULL, *dest = NULL;
        _cleanup_close_ int qfd = -1;
        QSession *s;
        const char *slash;
        int r;

        r = session_open(t, st->st_uid, &s);
        if (r < 0)
                return r;
        slash = strrchr(rel, '/');
        if (asprintf(&qrel, "%s%s%.*s", t->mirror, slash ? "/" : "", slash ? (int) (slash - rel) : 0, rel) < 0)
                return -ENOMEM;
        qfd = mkdir_below(s->fd, qrel);
        if (qfd < 0)
                return qfd;
        if (renameat2(dfd, name, qfd, name, RENAME_NOREPLACE) < 0)
                return negative_errno();
        if (asprintf(&dest, "%s/%s/%s", s->dir ?: "?", qrel, name) < 0)
                return -ENOMEM;
        char mode[8];
        (void) snprintf(mode, sizeof mode, "%04o", (unsigned) (st->st_mode & 07777));
        json_t *e = json_pack("{s:s++, s:s, s:s, s:I, s:s, s:I, s:I}", "source", t->path, "/", rel, "quarantined_to",
                              dest, "type", type_name(st->st_mode), "owner_uid", (json_int_t) st->st_uid, "mode", mode,
                              "size", (json_int_t) st->st_size, "mtime", (json_int_t) st->st_mtime);
        if (e && s->entries)
                (void) json_array_append(s->entries, e);
        json_decref(e);
        *ret_dest = TAKE_PTR(dest);
        return 0;
}

/* One non-directory entry of the user's: quarantine or unlink. */
/* Counts what went below a top-level directory; a top-level entry (depth
 * 0) gets its own record instead. */
static void went(Traces *t, unsigned depth, const char *path, const struct stat *st, const char *dest,
                 const char *action, const char *result, const char *detail) {
        t->rep->tmp_entries++;
        if (depth == 0) {
                report_entry(t, path, st, dest, action, result, detail);
                return;
        }
        if (streq(action, "quarantine"))
                t->quarantined++;
        else
                t->removed++;
        t->bytes += S_ISREG(st->st_mode) ? (uint64_t) st->st_size : 0;
}

static void take_entry(Traces *t, int dfd, const char *name, const char *rel, const struct stat *st, unsigned depth) {
        _cleanup_free_ char *path = NULL, *dest = NULL;
        uint64_t bytes = S_ISREG(st->st_mode) ? (uint64_t) st->st_blocks * 512 : 0;
        bool quarantine = t->quarantine_here && bytes <= t->budget;
        int r;

        if (asprintf(&path, "%s/%s", t->path, rel) < 0)
                return;
        if (t->req->dry_run) {
                if (quarantine)
                        t->budget -= bytes;
                went(t, depth, path, st, NULL, quarantine ? "quarantine" : "remove", "dry-run", NULL);
                return;
        }
        if (quarantine) {
                r = quarantine_entry(t, dfd, name, rel, st, &dest);
                if (r == 0) {
                        t->budget -= bytes;
                        went(t, depth, path, st, dest, "quarantine", "quarantined", NULL);
                        return;
                }
                if (r == -ENOENT)
                        return; /* gone meanwhile */
                /* the quarantine failed: removing still cleans the node */
                report_detail(t->rep, LOG_NOTICE, "cannot quarantine %s (%s): removing it", path, strerror(-r));
        }
        if (unlinkat(dfd, name, 0) < 0) {
                if (errno == ENOENT)
                        return;
                report_entry(t, path, st, NULL, "remove", "failed", strerror(errno));
                t->rep->strip_failures++;
                return;
        }
        went(t, depth, path, st, NULL, "remove", "removed",
             t->quarantine_here ? "over tmp_quarantine_max" : "not on the quarantine's file system");
}

static int read_names(int fd, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

        if (dup_fd < 0)
                return negative_errno();
        d = fdopendir(dup_fd);
        if (!d) {
                int r = negative_errno();
                (void) close(dup_fd);
                return r;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (strv_extend(&names, de->d_name) < 0) {
                        (void) closedir(d);
                        return -ENOMEM;
                }
        }
        (void) closedir(d);
        *ret = TAKE_PTR(names);
        return 0;
}

/* Empties the user's directory dfd (at rel) of the user's entries; returns
 * true when everything in it went. */
static bool walk(Traces *t, int dfd, const char *rel, unsigned depth, bool top);

/* One entry of dfd judged the user's (v == TRACE_CLEAN): a directory is
 * emptied and removed, anything else taken. Returns true when it went. */
static bool take(Traces *t, int dfd, const char *name, const char *rel, const struct stat *st, unsigned depth) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        struct stat now;

        uint64_t mnt = t->mnt_id ? mount_id_at(dfd, name) : 0;
        if (st->st_dev != t->dev || (mnt && mnt != t->mnt_id)) { /* a mount point: never entered */
                if (asprintf(&path, "%s/%s", t->path, rel) >= 0)
                        report_entry(t, path, st, NULL, "remove", "kept", "another file system or mount");
                return false;
        }
        if (!S_ISDIR(st->st_mode)) {
                take_entry(t, dfd, name, rel, st, depth);
                return true;
        }
        if (asprintf(&path, "%s/%s", t->path, rel) < 0)
                return false;
        if (depth >= TRACES_MAX_DEPTH) {
                report_entry(t, path, st, NULL, "remove", "kept", "deeper than the epilogue follows");
                return false;
        }
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return false; /* gone, or replaced by a symlink meanwhile */
        if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino || now.st_uid != st->st_uid)
                return false; /* not the directory that was judged */
        if (depth == 0)
                t->quarantined = t->removed = 0, t->bytes = 0;
        bool all = walk(t, fd, rel, depth + 1, false);
        char what[160] = "";
        if (depth == 0)
                (void) snprintf(what, sizeof what, "%u entries below (%" PRIu64 " bytes): %u %s, %u %s",
                                t->quarantined + t->removed, t->bytes, t->quarantined,
                                t->req->dry_run ? "to quarantine" : "quarantined", t->removed,
                                t->req->dry_run ? "to remove" : "removed");
        if (!all) {
                _cleanup_free_ char *d = NULL;
                if (asprintf(&d, "it holds what is not the user's%s%s", *what ? "; " : "", what) >= 0)
                        report_entry(t, path, st, NULL, "remove", "kept", d);
                return false;
        }
        if (t->req->dry_run) {
                went(t, depth, path, st, NULL, "remove", "dry-run", *what ? what : NULL);
                return true;
        }
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0) {
                if (errno == ENOENT)
                        return true;
                report_entry(t, path, st, NULL, "remove", "failed", strerror(errno));
                t->rep->strip_failures++;
                return false;
        }
        went(t, depth, path, st, NULL, "remove", "removed", *what ? what : NULL);
        return true;
}

static bool walk(Traces *t, int dfd, const char *rel, unsigned depth, bool top) {
        _cleanup_strv_free_ char **names = NULL;
        bool all = true;

        if (read_names(dfd, &names) < 0)
                return false;
        for (char **n = names; n && *n; n++) {
                _cleanup_free_ char *sub = NULL;
                struct stat st;
                TraceVerdict v;

                if (fstatat(dfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* gone meanwhile */
                if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", *n) < 0)
                        return false;
                v = traces_judge_uid(t->rules, t->busy, t->n_busy, st.st_uid);
                if (v == TRACE_CLEAN) {
                        if (!take(t, dfd, *n, sub, &st, depth))
                                all = false;
                        continue;
                }
                all = false;
                if (v == TRACE_SPARE && top) {
                        _cleanup_free_ char *path = NULL;
                        if (asprintf(&path, "%s/%s", t->path, sub) >= 0)
                                report_entry(t, path, &st, NULL, "remove", "spared",
                                             "the user has a running job on this node");
                        t->rep->traces_spared++;
                }
        }
        return all;
}

static void clean_tmp_dir(Traces *t, const char *path, const char *configured) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *mirror = NULL;
        struct stat st;
        bool q = false;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT) /* a node without /run/lock */
                        log_warning_errno(negative_errno(), "Cannot open the tmp dir %s, skipping it: %m", path);
                return;
        }
        if (fstat(fd, &st) < 0)
                return;
        /* the quarantine's file system: is a rename possible from here? It
         * may not exist yet: its nearest existing ancestor is on the file
         * system it will be on */
        {
                _cleanup_free_ char *qp = strdup(t->req->paths.quarantine_dir);
                struct stat qs;
                char *slash;
                while (qp && qp[1] && stat(qp, &qs) < 0 && (slash = strrchr(qp, '/')))
                        *(slash == qp ? slash + 1 : slash) = '\0';
                q = qp && stat(qp, &qs) == 0 && qs.st_dev == st.st_dev;
        }
        mirror = strdup(configured + strspn(configured, "/"));
        if (!mirror)
                return;
        if (!*mirror) {
                free(mirror);
                mirror = strdup("root");
                if (!mirror)
                        return;
        }
        t->dev = st.st_dev;
        t->mnt_id = mount_id_at(fd, "");
        t->quarantine_here = q && t->budget > 0;
        t->path = path;
        t->mirror = mirror;
        (void) walk(t, fd, "", 0, true);
        t->path = t->mirror = NULL;
}

static void sessions_finish(Traces *t) {
        for (size_t i = 0; i < t->n_sessions; i++) {
                QSession *s = &t->sessions[i];
                _cleanup_free_ char *name = NULL, *text = NULL;
                char ubuf[64];
                json_t *rec = json_pack("{s:s, s:s?, s:I, s:s?, s:s, s:O}", "kind", "tmp_files", "user",
                                        name_of(t, s->uid, ubuf, sizeof ubuf), "uid", (json_int_t) s->uid, "job",
                                        t->req->job, "by", "corral-epilogue", "entries", s->entries);
                if (rec && (text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS)) && s->dir &&
                    asprintf(&name, "%s.json", s->dir) >= 0) {
                        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                        if (fd >= 0) {
                                size_t len = strlen(text);
                                if (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
                                        report_detail(t->rep, LOG_WARNING, "cannot write %s: %m", name);
                                (void) close(fd);
                        }
                }
                json_decref(rec);
                json_decref(s->entries);
                free(s->dir);
                if (s->fd >= 0)
                        (void) close(s->fd);
        }
        free(t->sessions);
        t->sessions = NULL;
        t->n_sessions = 0;
}

void traces_clean(const EpRequest *req, const Policy *p, const EpTargetRules *rules, EpReport *rep, const uid_t *busy,
                  size_t n_busy) {
        Traces t = {
                .req = req,
                .rules = rules,
                .rep = rep,
                .busy = busy,
                .n_busy = n_busy,
                .budget = p->tmp_quarantine_max,
        };
        time_t now = time(NULL);
        struct tm tm;
        char ts[32];

        /* a per-user run for a user we may not clean: nothing to look for */
        if (req->mode != EP_MODE_SWEEP && !rules->user_eligible)
                return;
        if (p->clean_ipc)
                for (IpcKind k = IPC_KIND_SHM; k <= IPC_KIND_MSG; k++)
                        clean_ipc_kind(&t, k);
        if (!p->clean_tmp)
                return;
        (void) strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
        (void) snprintf(t.stamp, sizeof t.stamp, "%s-%d", ts, (int) getpid());
        for (size_t i = 0; req->paths.tmp_dirs && req->paths.tmp_dirs[i]; i++) {
                /* the policy's own name for the quarantine's mirror tree */
                const char *configured = i < strv_length(p->tmp_dirs) ? p->tmp_dirs[i] : req->paths.tmp_dirs[i];
                clean_tmp_dir(&t, req->paths.tmp_dirs[i], configured);
        }
        sessions_finish(&t);
}
