/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hmsg.h — the messages between corrald's unprivileged core and its root
 * helper, typed: one struct per message, one table that names each field's
 * JSON key, kind and check, and one pack and one unpack for all of them,
 * used by both processes. The wire format stays one JSON object per
 * SOCK_SEQPACKET message ("type" plus the fields), so a core and a helper of
 * the same build speak it; nothing else ever does.
 *
 * The helper runs as root and the core is not trusted (it parses user
 * input): hmsg_unpack() is where every field the helper acts on is checked
 * (types, ranges, names, paths, the environment's form, the signal table),
 * before any handler sees it. A message that does not unpack is refused
 * with the field named; the helper treats that as fatal. What a message may
 * do given the helper's state (a launch for a job it already tracks, an
 * adopt outside recovery) is the helper's request table's "when" column,
 * not this file's. */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* the most one message may hold (the launch of a job with the API's most
 * argv and env entries fits) */
#define HMSG_MAX_BYTES ((size_t) 128 * 1024)
/* the most interactive sessions an epilogue request may spare */
#define HMSG_MAX_KEEP_SESSIONS 64

typedef enum HMsgType {
        /* core -> helper */
        HMSG_T_LAUNCH,
        HMSG_T_SIGNAL,
        HMSG_T_KILL,
        HMSG_T_EPILOGUE,
        HMSG_T_RECOVERY, /* the core starts (begin) or ends its recovery after a restart */
        HMSG_T_ADOPT,
        HMSG_T_PURGE, /* remove an ended job's output directory (the history's retention) */
        /* helper -> core */
        HMSG_T_LAUNCHED,
        HMSG_T_LAUNCH_FAILED,
        HMSG_T_EXITED,
        HMSG_T_EPILOGUE_DONE,
        HMSG_T_ADOPTED,
        _HMSG_T_MAX,
        _HMSG_T_INVALID = -EINVAL,
} HMsgType;

/* launch: start corral-launch for a job the helper does not track */
typedef struct HMsgLaunch {
        int64_t job;
        uid_t uid;
        char *user, *policy;
        char *cwd; /* absolute */
        uint64_t walltime; /* usec, > 0 */
        uint64_t mem; /* bytes (submit --mem, resolved); 0: the policy's memory */
        uint64_t cpus; /* millicpus (--cpus x --tasks, resolved); 0: the policy's cpus */
        char *output_id;
        char **argv; /* at least one entry */
        char **env; /* NAME=VALUE, NAME as the API allows */
        char *stdout_path, *stderr_path; /* NULL: the output directory's */
} HMsgLaunch;

/* signal: forward one of the signals users may send to a job */
typedef struct HMsgSignal {
        int64_t job;
        int signal;
} HMsgSignal;

/* kill: kill a tracked job's cgroup (its launcher reports the end) */
typedef struct HMsgKill {
        int64_t job;
} HMsgKill;

/* epilogue: run corral-epilogue for an ended job of user (uid) */
typedef struct HMsgEpilogue {
        int64_t job;
        uid_t uid;
        char *user, *policy;
        pid_t keep_sessions[HMSG_MAX_KEEP_SESSIONS]; /* each > 1 */
        size_t n_keep_sessions;
} HMsgEpilogue;

typedef struct HMsgRecovery {
        bool begin; /* true: adopts follow; false: the last one was sent */
} HMsgRecovery;

/* adopt: after a restart, find the launcher of a job the store says runs
 * (pid and start time as the core stored them: a fallback only) */
typedef struct HMsgAdopt {
        int64_t job;
        pid_t pid; /* 0: unknown */
        uint64_t start;
} HMsgAdopt;

/* purge: remove the output directory of an ended job the core deletes from
 * its store; the helper never tracks it (a job with a launcher or an
 * epilogue is refused) */
typedef struct HMsgPurge {
        int64_t job;
        char *output_id;
} HMsgPurge;

typedef struct HMsgLaunched {
        int64_t job;
        pid_t pid;
        uint64_t start;
        char *stdout_path, *stderr_path;
        char *cgroup; /* NULL: not known */
} HMsgLaunched;

typedef struct HMsgLaunchFailed {
        int64_t job;
        char *error;
} HMsgLaunchFailed;

typedef struct HMsgExited {
        int64_t job;
        json_t *result; /* corral-launch's result record, or NULL */
        bool status_known;
        int code, signal;
        char *log; /* the tail of the launcher's own log, or NULL */
        bool lost; /* adopt found neither the launcher nor its result */
} HMsgExited;

typedef struct HMsgEpilogueDone {
        int64_t job;
        int exit;
        json_t *summary; /* corral-epilogue's summary record, or NULL */
} HMsgEpilogueDone;

typedef struct HMsgAdopted {
        int64_t job;
} HMsgAdopted;

typedef struct HMsg {
        HMsgType type;
        union {
                HMsgLaunch launch;
                HMsgSignal signal;
                HMsgKill kill;
                HMsgEpilogue epilogue;
                HMsgRecovery recovery;
                HMsgAdopt adopt;
                HMsgPurge purge;
                HMsgLaunched launched;
                HMsgLaunchFailed launch_failed;
                HMsgExited exited;
                HMsgEpilogueDone epilogue_done;
                HMsgAdopted adopted;
        };
} HMsg;

/* The helper's state, as far as what it accepts depends on it: after start
 * it takes only the core's "recovery" begin; while recovering adopts and
 * epilogues of jobs found in the store; after the recovery's end launches
 * and everything but adopts. */
typedef enum HMsgPhase {
        HMSG_PHASE_START,
        HMSG_PHASE_RECOVERING,
        HMSG_PHASE_RUNNING,
} HMsgPhase;

/* The "when" column of the helper's request table: NULL if the helper may
 * act on m in phase, where job_tracked says whether it runs a launcher or
 * an epilogue for m's job; else why not (a static sentence). A message the
 * helper sends is never accepted from the core. */
const char *hmsg_refusal(const HMsg *m, HMsgPhase phase, bool job_tracked);
/* The phase after the helper accepted m (recovery moves it on). */
HMsgPhase hmsg_phase_after(const HMsg *m, HMsgPhase phase);

/* The "type" string of t ("launch", "launch-failed"...), NULL if invalid. */
const char *hmsg_type_name(HMsgType t);
HMsgType hmsg_type_from_name(const char *s);
/* Whether t goes from the core to the helper (else the other way). */
bool hmsg_type_to_helper(HMsgType t);
/* The job a message is about; 0 for recovery. */
int64_t hmsg_job(const HMsg *m);

/* The JSON object of m (new reference in *ret). -EINVAL when m itself would
 * not unpack (the sender's bug: nothing invalid goes on the wire); then
 * *ret_field, if given, names the field. */
int hmsg_pack(const HMsg *m, json_t **ret, const char **ret_field);
/* Fills *ret from o: 0, or -EBADMSG with *ret_field naming what is wrong
 * ("type", or the field's key: a static string, valid after o is gone, until
 * the next call), or -ENOMEM. Unknown keys are refused too.
 * On success the strings and JSON values in *ret are its own (hmsg_done). */
int hmsg_unpack(json_t *o, HMsg *ret, const char **ret_field);
/* The same from the bytes of one message (at most HMSG_MAX_BYTES). */
int hmsg_unpack_bytes(const void *buf, size_t len, HMsg *ret, const char **ret_field);
void hmsg_done(HMsg *m);

/* One message over a SOCK_SEQPACKET fd. send blocks; -EINVAL (nothing sent)
 * when m would not unpack, with *ret_field (if given) naming the field, as
 * hmsg_pack(). recv returns 1 with *ret filled, 0 at EOF, -EBADMSG
 * (oversized or not unpacking: *ret_field says why) or -errno. */
int hmsg_send(int fd, const HMsg *m, const char **ret_field);
int hmsg_recv(int fd, HMsg *ret, const char **ret_field);
