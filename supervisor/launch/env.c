/* SPDX-License-Identifier: GPL-2.0-or-later */
/* env.c — the job's environment (step 7). Nothing of corral-launch's own
 * environment reaches the job except the locale and terminal variables below
 * (the documented safe set); corral sets the login variables from the
 * password entry; --env comes next and wins over those; CORRAL_JOB_ID and
 * CORRAL_POLICY come last and win over --env (corrald passes the submitter's
 * whole environment, which may hold another job's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* passed through from the caller when set */
static const char *const passthrough[] = { "LANG",        "LANGUAGE",    "LC_ALL",     "LC_CTYPE",
                                           "LC_COLLATE",  "LC_MESSAGES", "LC_NUMERIC", "LC_TIME",
                                           "LC_MONETARY", "TZ",          "TERM" };

bool env_assignment_valid(const char *kv) {
        const char *eq = strchr(kv, '=');

        if (!eq || eq == kv || eq - kv > 256 || strlen(kv) > 32768)
                return false;
        if (!((kv[0] >= 'A' && kv[0] <= 'Z') || (kv[0] >= 'a' && kv[0] <= 'z') || kv[0] == '_'))
                return false;
        for (const char *c = kv; c < eq; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                        return false;
        return true;
}

/* Sets or replaces NAME=... in *l. */
static int env_set(char ***l, const char *name, const char *value) {
        size_t n = strlen(name);
        char *kv;

        if (asprintf(&kv, "%s=%s", name, value) < 0)
                return -ENOMEM;
        for (char **i = *l; i && *i; i++)
                if (strncmp(*i, name, n) == 0 && (*i)[n] == '=') {
                        free(*i);
                        *i = kv;
                        return 0;
                }
        return strv_consume(l, kv);
}

int env_build(const JobUser *u, const char *job_id, const char *policy, char *const *extra, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(passthrough); i++) {
                const char *v = getenv(passthrough[i]);
                if (v && strlen(v) < 4096 && (r = env_set(&l, passthrough[i], v)) < 0)
                        return r;
        }
        if ((r = env_set(&l, "PATH", DEFAULT_PATH)) < 0 || (r = env_set(&l, "HOME", u->home)) < 0 ||
            (r = env_set(&l, "USER", u->name)) < 0 || (r = env_set(&l, "LOGNAME", u->name)) < 0 ||
            (r = env_set(&l, "SHELL", u->shell)) < 0)
                return r;
        for (char *const *e = extra; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                char name[257];
                size_t n = (size_t) (eq - *e);
                memcpy(name, *e, n);
                name[n] = '\0';
                if ((r = env_set(&l, name, eq + 1)) < 0)
                        return r;
        }
        if ((r = env_set(&l, "CORRAL_JOB_ID", job_id)) < 0 || (r = env_set(&l, "CORRAL_POLICY", policy)) < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int env_parse_nul(const char *buf, size_t len, char ***env, char **ret_error) {
        size_t i = 0, n = 0;

        *ret_error = NULL;
        while (i < len) {
                const char *end = memchr(buf + i, '\0', len - i);
                size_t l = end ? (size_t) (end - (buf + i)) : len - i;
                _cleanup_free_ char *kv = strndup(buf + i, l);
                int r;

                n++;
                i += l + 1;
                if (!kv)
                        return -ENOMEM;
                if (l == 0)
                        continue; /* an empty entry (a doubled NUL) */
                if (!env_assignment_valid(kv))
                        return asprintf(ret_error,
                                        "entry %zu is not NAME=VALUE with NAME of [A-Za-z_][A-Za-z0-9_]* (entries are "
                                        "separated by NUL bytes, as env -0 writes them)",
                                        n) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                if (strv_length(*env) >= LAUNCH_MAX_ENV)
                        return asprintf(ret_error, "more than %d variables", LAUNCH_MAX_ENV) < 0 ? -ENOMEM : -E2BIG;
                r = strv_extend(env, kv);
                if (r < 0)
                        return r;
        }
        return 0;
}

int env_read_fd(int fd, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = malloc(LAUNCH_MAX_ENV_BYTES + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, LAUNCH_MAX_ENV_BYTES + 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > LAUNCH_MAX_ENV_BYTES)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}
