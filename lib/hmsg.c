/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hmsg.c — pack and unpack the core<->helper messages (hmsg.h) through one
 * table: per message type, its fields, each with its JSON key, its kind
 * (which C type at which offset) and its check. Adding a field is one line
 * here and one in the struct; the two sides cannot disagree on a name. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "hmsg.h"
#include "job.h"
#include "macro.h"
#include "policy.h"
#include "protocol.h"
#include "strv.h"

typedef enum FieldKind {
        F_JOB, /* int64_t, > 0 */
        F_UID, /* uid_t, 1 .. 2^32-2 (never root) */
        F_PID, /* pid_t, >= 0 */
        F_INT, /* int */
        F_U64, /* uint64_t */
        F_BOOL, /* bool */
        F_STR, /* char *, required */
        F_STR_OPT, /* char *, may be absent or null */
        F_STRV, /* char **, a JSON array of strings */
        F_OBJECT_OPT, /* json_t *, an object, or absent/null */
        F_PIDS, /* pid_t[HMSG_MAX_KEEP_SESSIONS] + size_t count after it: keep_sessions */
} FieldKind;

typedef enum FieldCheck {
        C_NONE,
        C_USER, /* a user name as the API takes it (conf_name_valid) */
        C_POLICY, /* policy_name_valid() */
        C_PATH, /* absolute, conf_path_valid() */
        C_OUTPUT_ID, /* job_output_id_valid() */
        C_ARGV, /* 1 .. API_MAX_ARGV entries */
        C_ENV, /* 0 .. API_MAX_ENV entries, NAME=VALUE, api_env_name_valid(NAME) */
        C_SIGNAL, /* the signals users may send */
        C_POSITIVE, /* > 0 (U64) */
        C_SESSION, /* > 1 each (PIDS) */
        C_TEXT, /* any string up to 64 KiB (messages, logs) */
        C_ZERO_IF_ABSENT, /* U64: absent or null is 0 (a field added later) */
} FieldCheck;

typedef struct Field {
        const char *key;
        FieldKind kind;
        FieldCheck check;
        size_t offset;
        size_t count_offset; /* F_PIDS: where the count is */
} Field;

#define FIELD(T, key, member, kind, check)                                                                             \
        { key, kind, check, offsetof(HMsg, T.member), 0 }
#define FIELDS_END                                                                                                     \
        { NULL, 0, 0, 0, 0 }

static const Field f_launch[] = {
        FIELD(launch, "job", job, F_JOB, C_NONE),
        FIELD(launch, "uid", uid, F_UID, C_NONE),
        FIELD(launch, "user", user, F_STR, C_USER),
        FIELD(launch, "policy", policy, F_STR, C_POLICY),
        FIELD(launch, "cwd", cwd, F_STR, C_PATH),
        FIELD(launch, "walltime", walltime, F_U64, C_NONE), /* 0 or above the policy's: the helper fails the launch */
        FIELD(launch, "mem", mem, F_U64,
              C_ZERO_IF_ABSENT), /* above the policy's max_mem: the helper fails the launch */
        FIELD(launch, "cpus", cpus, F_U64, C_ZERO_IF_ABSENT), /* above the policy's max_cpus: likewise */
        FIELD(launch, "output_id", output_id, F_STR, C_OUTPUT_ID),
        FIELD(launch, "argv", argv, F_STRV, C_ARGV),
        FIELD(launch, "env", env, F_STRV, C_ENV),
        FIELD(launch, "stdout", stdout_path, F_STR_OPT, C_PATH),
        FIELD(launch, "stderr", stderr_path, F_STR_OPT, C_PATH),
        FIELDS_END,
};
static const Field f_signal[] = {
        FIELD(signal, "job", job, F_JOB, C_NONE),
        FIELD(signal, "signal", signal, F_INT, C_SIGNAL),
        FIELDS_END,
};
static const Field f_kill[] = {
        FIELD(kill, "job", job, F_JOB, C_NONE),
        FIELDS_END,
};
static const Field f_epilogue[] = {
        FIELD(epilogue, "job", job, F_JOB, C_NONE),
        FIELD(epilogue, "uid", uid, F_UID, C_NONE),
        FIELD(epilogue, "user", user, F_STR, C_USER),
        FIELD(epilogue, "policy", policy, F_STR, C_POLICY),
        { "keep_sessions", F_PIDS, C_SESSION, offsetof(HMsg, epilogue.keep_sessions),
          offsetof(HMsg, epilogue.n_keep_sessions) },
        FIELDS_END,
};
static const Field f_recovery[] = {
        FIELD(recovery, "begin", begin, F_BOOL, C_NONE),
        FIELDS_END,
};
static const Field f_adopt[] = {
        FIELD(adopt, "job", job, F_JOB, C_NONE),
        FIELD(adopt, "pid", pid, F_PID, C_NONE),
        FIELD(adopt, "start", start, F_U64, C_NONE),
        FIELDS_END,
};
static const Field f_purge[] = {
        FIELD(purge, "job", job, F_JOB, C_NONE),
        FIELD(purge, "output_id", output_id, F_STR, C_OUTPUT_ID),
        FIELDS_END,
};
static const Field f_launched[] = {
        FIELD(launched, "job", job, F_JOB, C_NONE),
        FIELD(launched, "pid", pid, F_PID, C_NONE),
        FIELD(launched, "start", start, F_U64, C_NONE),
        FIELD(launched, "stdout", stdout_path, F_STR, C_PATH),
        FIELD(launched, "stderr", stderr_path, F_STR, C_PATH),
        FIELD(launched, "cgroup", cgroup, F_STR_OPT, C_TEXT),
        FIELDS_END,
};
static const Field f_launch_failed[] = {
        FIELD(launch_failed, "job", job, F_JOB, C_NONE),
        FIELD(launch_failed, "error", error, F_STR, C_TEXT),
        FIELDS_END,
};
static const Field f_exited[] = {
        FIELD(exited, "job", job, F_JOB, C_NONE),
        FIELD(exited, "result", result, F_OBJECT_OPT, C_NONE),
        FIELD(exited, "status_known", status_known, F_BOOL, C_NONE),
        FIELD(exited, "code", code, F_INT, C_NONE),
        FIELD(exited, "signal", signal, F_INT, C_NONE),
        FIELD(exited, "log", log, F_STR_OPT, C_TEXT),
        FIELD(exited, "lost", lost, F_BOOL, C_NONE),
        FIELDS_END,
};
static const Field f_epilogue_done[] = {
        FIELD(epilogue_done, "job", job, F_JOB, C_NONE),
        FIELD(epilogue_done, "exit", exit, F_INT, C_NONE),
        FIELD(epilogue_done, "summary", summary, F_OBJECT_OPT, C_NONE),
        FIELDS_END,
};
static const Field f_adopted[] = {
        FIELD(adopted, "job", job, F_JOB, C_NONE),
        FIELDS_END,
};

static const struct {
        const char *name;
        bool to_helper;
        const Field *fields;
} types[_HMSG_T_MAX] = {
        [HMSG_T_LAUNCH] = { "launch", true, f_launch },
        [HMSG_T_SIGNAL] = { "signal", true, f_signal },
        [HMSG_T_KILL] = { "kill", true, f_kill },
        [HMSG_T_EPILOGUE] = { "epilogue", true, f_epilogue },
        [HMSG_T_RECOVERY] = { "recovery", true, f_recovery },
        [HMSG_T_ADOPT] = { "adopt", true, f_adopt },
        [HMSG_T_PURGE] = { "purge", true, f_purge },
        [HMSG_T_LAUNCHED] = { "launched", false, f_launched },
        [HMSG_T_LAUNCH_FAILED] = { "launch-failed", false, f_launch_failed },
        [HMSG_T_EXITED] = { "exited", false, f_exited },
        [HMSG_T_EPILOGUE_DONE] = { "epilogue-done", false, f_epilogue_done },
        [HMSG_T_ADOPTED] = { "adopted", false, f_adopted },
};

const char *hmsg_type_name(HMsgType t) {
        return t >= 0 && t < _HMSG_T_MAX ? types[t].name : NULL;
}

HMsgType hmsg_type_from_name(const char *s) {
        for (int t = 0; s && t < _HMSG_T_MAX; t++)
                if (streq(types[t].name, s))
                        return (HMsgType) t;
        return _HMSG_T_INVALID;
}

bool hmsg_type_to_helper(HMsgType t) {
        return t >= 0 && t < _HMSG_T_MAX && types[t].to_helper;
}

int64_t hmsg_job(const HMsg *m) {
        /* every message but recovery has its job first */
        const Field *f = m->type >= 0 && m->type < _HMSG_T_MAX ? types[m->type].fields : NULL;
        if (!f || f[0].kind != F_JOB)
                return 0;
        return *(const int64_t *) ((const char *) m + f[0].offset);
}

/* ---- when the helper takes a message ---- */

const char *hmsg_refusal(const HMsg *m, HMsgPhase phase, bool job_tracked) {
        switch (m->type) {
        case HMSG_T_RECOVERY:
                if (m->recovery.begin && phase != HMSG_PHASE_START)
                        return "a second recovery";
                if (!m->recovery.begin && phase != HMSG_PHASE_RECOVERING)
                        return "the end of a recovery that did not begin";
                return NULL;
        case HMSG_T_ADOPT:
                if (phase != HMSG_PHASE_RECOVERING)
                        return "an adopt outside the recovery";
                return job_tracked ? "an adopt for a job the helper already tracks" : NULL;
        case HMSG_T_LAUNCH:
                if (phase != HMSG_PHASE_RUNNING)
                        return "a launch before the recovery ended";
                return job_tracked ? "a launch for a job the helper already runs or cleans up" : NULL;
        case HMSG_T_EPILOGUE:
                if (phase == HMSG_PHASE_START)
                        return "an epilogue before the recovery began";
                return job_tracked ? "an epilogue for a job whose launcher or epilogue still runs" : NULL;
        case HMSG_T_PURGE:
                if (phase != HMSG_PHASE_RUNNING)
                        return "a purge before the recovery ended";
                return job_tracked ? "a purge of a job whose launcher or epilogue still runs" : NULL;
        case HMSG_T_SIGNAL:
        case HMSG_T_KILL:
                /* a job already gone is ignored: its end is on its way */
                return phase == HMSG_PHASE_RUNNING ? NULL : "a signal or kill before the recovery ended";
        default:
                return "a message only the helper sends";
        }
}

HMsgPhase hmsg_phase_after(const HMsg *m, HMsgPhase phase) {
        if (m->type == HMSG_T_RECOVERY)
                return m->recovery.begin ? HMSG_PHASE_RECOVERING : HMSG_PHASE_RUNNING;
        return phase;
}

/* ---- checks ---- */

#define TEXT_MAX (64 * 1024)

static bool env_ok(char **env) {
        if (strv_length(env) > API_MAX_ENV)
                return false;
        for (char **e = env; *e; e++) {
                char name[300];
                size_t n = strcspn(*e, "=");
                if ((*e)[n] != '=' || n >= sizeof name)
                        return false;
                memcpy(name, *e, n);
                name[n] = '\0';
                if (!api_env_name_valid(name))
                        return false;
        }
        return true;
}

static bool signal_ok(int sig) {
        static const int allowed[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT };
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (allowed[i] == sig)
                        return true;
        return false;
}

static bool str_ok(FieldCheck c, const char *s) {
        switch (c) {
        case C_USER: /* the rule the API applies (protocol.c) */
                return conf_name_valid(s);
        case C_POLICY:
                return policy_name_valid(s);
        case C_PATH:
                return s[0] == '/' && conf_path_valid(s);
        case C_OUTPUT_ID:
                return job_output_id_valid(s);
        case C_TEXT:
        case C_NONE:
                return strlen(s) <= TEXT_MAX;
        default:
                return false;
        }
}

/* Whether the C value of one field passes its check (both directions). */
static bool field_ok(const Field *f, const HMsg *m) {
        const char *p = (const char *) m + f->offset;
        switch (f->kind) {
        case F_JOB:
                return *(const int64_t *) p > 0;
        case F_UID: {
                uid_t u = *(const uid_t *) p;
                return u != 0 && u != (uid_t) -1;
        }
        case F_PID:
                return *(const pid_t *) p >= 0;
        case F_INT:
                return f->check != C_SIGNAL || signal_ok(*(const int *) p);
        case F_U64:
                return f->check != C_POSITIVE || *(const uint64_t *) p > 0;
        case F_BOOL:
        case F_OBJECT_OPT:
                return true;
        case F_STR:
        case F_STR_OPT: {
                const char *s = *(char *const *) p;
                if (!s)
                        return f->kind == F_STR_OPT;
                return str_ok(f->check, s);
        }
        case F_STRV: {
                char **l = *(char **const *) p;
                if (!l)
                        return false;
                if (f->check == C_ARGV)
                        return l[0] && strv_length(l) <= API_MAX_ARGV;
                if (f->check == C_ENV)
                        return env_ok(l);
                return true;
        }
        case F_PIDS: {
                const pid_t *a = (const pid_t *) p;
                size_t n = *(const size_t *) ((const char *) m + f->count_offset);
                if (n > HMSG_MAX_KEEP_SESSIONS)
                        return false;
                for (size_t i = 0; i < n; i++)
                        if (a[i] <= 1)
                                return false;
                return true;
        }
        }
        return false;
}

/* ---- unpack ---- */

static int unpack_field(const Field *f, json_t *v, HMsg *m) {
        char *p = (char *) m + f->offset;
        bool absent = !v || json_is_null(v);

        switch (f->kind) {
        case F_JOB:
        case F_UID:
        case F_PID:
        case F_INT:
        case F_U64: {
                if (absent && f->check == C_ZERO_IF_ABSENT) {
                        *(uint64_t *) p = 0;
                        return 0;
                }
                if (!json_is_integer(v))
                        return -EBADMSG;
                json_int_t i = json_integer_value(v);
                if (f->kind == F_JOB)
                        *(int64_t *) p = i;
                else if (f->kind == F_UID) {
                        if (i < 0 || i > UINT32_MAX)
                                return -EBADMSG;
                        *(uid_t *) p = (uid_t) i;
                } else if (f->kind == F_PID) {
                        if (i < 0 || i > INT32_MAX)
                                return -EBADMSG;
                        *(pid_t *) p = (pid_t) i;
                } else if (f->kind == F_INT) {
                        if (i < INT32_MIN || i > INT32_MAX)
                                return -EBADMSG;
                        *(int *) p = (int) i;
                } else {
                        if (i < 0)
                                return -EBADMSG;
                        *(uint64_t *) p = (uint64_t) i;
                }
                return 0;
        }
        case F_BOOL:
                if (!json_is_boolean(v))
                        return -EBADMSG;
                *(bool *) p = json_is_true(v);
                return 0;
        case F_STR:
        case F_STR_OPT:
                if (absent && f->kind == F_STR_OPT)
                        return 0;
                if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                        return -EBADMSG; /* no NUL inside */
                *(char **) p = strdup(json_string_value(v));
                return *(char **) p ? 0 : -ENOMEM;
        case F_STRV: {
                size_t i, max = f->check == C_ENV ? API_MAX_ENV : API_MAX_ARGV;
                json_t *e;
                if (!json_is_array(v) || json_array_size(v) > max)
                        return -EBADMSG;
                char **l = calloc(json_array_size(v) + 1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *(char ***) p = l;
                json_array_foreach(v, i, e) {
                        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e) ||
                            json_string_length(e) > API_MAX_ARG)
                                return -EBADMSG;
                        l[i] = strdup(json_string_value(e));
                        if (!l[i])
                                return -ENOMEM;
                }
                return 0;
        }
        case F_OBJECT_OPT:
                if (absent)
                        return 0;
                if (!json_is_object(v))
                        return -EBADMSG;
                *(json_t **) p = json_incref(v);
                return 0;
        case F_PIDS: {
                size_t i;
                json_t *e;
                if (absent) /* none to spare */
                        return 0;
                if (!json_is_array(v) || json_array_size(v) > HMSG_MAX_KEEP_SESSIONS)
                        return -EBADMSG;
                json_array_foreach(v, i, e) {
                        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > INT32_MAX)
                                return -EBADMSG;
                        ((pid_t *) p)[i] = (pid_t) json_integer_value(e);
                }
                *(size_t *) ((char *) m + f->count_offset) = json_array_size(v);
                return 0;
        }
        }
        return -EBADMSG;
}

static bool field_known(const Field *fields, const char *key) {
        for (const Field *f = fields; f->key; f++)
                if (streq(f->key, key))
                        return true;
        return false;
}

int hmsg_unpack(json_t *o, HMsg *ret, const char **ret_field) {
        const char *key, *dummy;
        json_t *v;
        int r;

        if (!ret_field)
                ret_field = &dummy;
        *ret = (HMsg){ .type = _HMSG_T_INVALID };
        *ret_field = "type";
        if (!json_is_object(o))
                return -EBADMSG;
        HMsgType t = hmsg_type_from_name(json_string_value(json_object_get(o, "type")));
        if (t < 0)
                return -EBADMSG;
        ret->type = t;
        json_object_foreach(o, key, v) if (!streq(key, "type") && !field_known(types[t].fields, key)) {
                /* a copy: the key is the object's, which the caller may
                 * release before it reads the field's name (a message's
                 * keys are short; a longer one is cut) */
                static char unknown[64];
                (void) snprintf(unknown, sizeof unknown, "%s", key);
                *ret_field = unknown;
                hmsg_done(ret);
                return -EBADMSG;
        }
        for (const Field *f = types[t].fields; f->key; f++) {
                *ret_field = f->key;
                r = unpack_field(f, json_object_get(o, f->key), ret);
                if (r == 0 && !field_ok(f, ret))
                        r = -EBADMSG;
                if (r < 0) {
                        hmsg_done(ret);
                        return r;
                }
        }
        *ret_field = NULL;
        return 0;
}

int hmsg_unpack_bytes(const void *buf, size_t len, HMsg *ret, const char **ret_field) {
        const char *dummy;
        if (!ret_field)
                ret_field = &dummy;
        *ret = (HMsg){ .type = _HMSG_T_INVALID };
        *ret_field = "message";
        if (len > HMSG_MAX_BYTES)
                return -EBADMSG;
        json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        if (!o)
                return -EBADMSG;
        int r = hmsg_unpack(o, ret, ret_field);
        json_decref(o);
        return r;
}

void hmsg_done(HMsg *m) {
        if (!m || m->type < 0 || m->type >= _HMSG_T_MAX)
                return;
        for (const Field *f = types[m->type].fields; f->key; f++) {
                char *p = (char *) m + f->offset;
                if (f->kind == F_STR || f->kind == F_STR_OPT) {
                        free(*(char **) p);
                        *(char **) p = NULL;
                } else if (f->kind == F_STRV)
                        *(char ***) p = strv_free(*(char ***) p);
                else if (f->kind == F_OBJECT_OPT) {
                        json_decref(*(json_t **) p);
                        *(json_t **) p = NULL;
                }
        }
}

/* ---- pack ---- */

static json_t *pack_field(const Field *f, const HMsg *m) {
        const char *p = (const char *) m + f->offset;
        switch (f->kind) {
        case F_JOB:
                return json_integer(*(const int64_t *) p);
        case F_UID:
                return json_integer((json_int_t) * (const uid_t *) p);
        case F_PID:
                return json_integer(*(const pid_t *) p);
        case F_INT:
                return json_integer(*(const int *) p);
        case F_U64:
                return json_integer((json_int_t) * (const uint64_t *) p);
        case F_BOOL:
                return json_boolean(*(const bool *) p);
        case F_STR:
        case F_STR_OPT: {
                const char *s = *(char *const *) p;
                return s ? json_string(s) : json_null();
        }
        case F_STRV: {
                json_t *a = json_array();
                for (char **l = *(char **const *) p; a && l && *l; l++)
                        if (json_array_append_new(a, json_string(*l)) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                return a;
        }
        case F_OBJECT_OPT: {
                json_t *o = *(json_t *const *) p;
                return o ? json_incref(o) : json_null();
        }
        case F_PIDS: {
                json_t *a = json_array();
                size_t n = *(const size_t *) ((const char *) m + f->count_offset);
                for (size_t i = 0; a && i < n; i++)
                        if (json_array_append_new(a, json_integer(((const pid_t *) p)[i])) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                return a;
        }
        }
        return NULL;
}

int hmsg_pack(const HMsg *m, json_t **ret, const char **ret_field) {
        const char *dummy;
        if (!ret_field)
                ret_field = &dummy;
        *ret_field = "type";
        if (m->type < 0 || m->type >= _HMSG_T_MAX)
                return -EINVAL;
        json_t *o = json_pack("{s:s}", "type", types[m->type].name);
        if (!o)
                return -ENOMEM;
        for (const Field *f = types[m->type].fields; f->key; f++) {
                *ret_field = f->key;
                if (!field_ok(f, m)) {
                        json_decref(o);
                        return -EINVAL;
                }
                json_t *v = pack_field(f, m);
                if (!v || json_object_set_new(o, f->key, v) < 0) {
                        json_decref(o);
                        return -ENOMEM;
                }
        }
        *ret_field = NULL;
        *ret = o;
        return 0;
}

/* ---- the socket ---- */

int hmsg_send(int fd, const HMsg *m, const char **ret_field) {
        json_t *o = NULL;
        int r = hmsg_pack(m, &o, ret_field);
        if (r < 0)
                return r;
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        if (n > HMSG_MAX_BYTES) {
                free(s);
                return -E2BIG;
        }
        for (;;) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                if (k >= 0 || errno != EINTR) {
                        r = k >= 0 ? 0 : -errno;
                        break;
                }
        }
        free(s);
        return r;
}

int hmsg_recv(int fd, HMsg *ret, const char **ret_field) {
        const char *dummy;
        if (!ret_field)
                ret_field = &dummy;
        *ret_field = NULL;
        *ret = (HMsg){ .type = _HMSG_T_INVALID };
        char *buf = malloc(HMSG_MAX_BYTES + 1);
        ssize_t n;
        if (!buf)
                return -ENOMEM;
        do
                n = recv(fd, buf, HMSG_MAX_BYTES + 1, MSG_TRUNC | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        int r;
        if (n < 0)
                r = -errno;
        else if (n == 0)
                r = 0;
        else if ((size_t) n > HMSG_MAX_BYTES) {
                *ret_field = "message";
                r = -EBADMSG;
        } else {
                r = hmsg_unpack_bytes(buf, (size_t) n, ret, ret_field);
                if (r == 0)
                        r = 1;
        }
        free(buf);
        return r;
}
