/* SPDX-License-Identifier: GPL-2.0-or-later */
/* depend.c — see depend.h. */
#include "depend.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"

static const char *const dep_type_names[_DEP_TYPE_MAX] = {
        [DEP_AFTER] = "after",
        [DEP_AFTEROK] = "afterok",
        [DEP_AFTERANY] = "afterany",
};

const char *dep_type_to_string(DepType t) {
        return t >= 0 && t < _DEP_TYPE_MAX ? dep_type_names[t] : NULL;
}

DepType dep_type_from_string(const char *s) {
        for (int i = 0; s && i < _DEP_TYPE_MAX; i++)
                if (streq(s, dep_type_names[i]))
                        return (DepType) i;
        return _DEP_TYPE_INVALID;
}

/* A job id: digits only, 1 to INT64_MAX; *end after it. */
static int parse_id(const char *s, const char **end, int64_t *ret) {
        int64_t v = 0;
        const char *p = s;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                if (v > (INT64_MAX - (*p - '0')) / 10)
                        return -EINVAL;
                v = v * 10 + (*p - '0');
        }
        if (v <= 0)
                return -EINVAL;
        *end = p;
        *ret = v;
        return 0;
}

static int dep_add(DepList *l, DepType t, int64_t id) {
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].type == t && l->v[i].job == id)
                        return 0;
        if (l->n >= DEP_MAX)
                return -E2BIG;
        l->v[l->n++] = (Dep){ t, id };
        return 0;
}

/* "ID[:ID...]" up to the end or a ','; *end at it */
static int parse_ids(DepType t, const char *s, DepList *l, const char **end, const char **ret_bad) {
        const char *p = s;
        for (;;) {
                int64_t id;
                int r = parse_id(p, &p, &id);
                if (r < 0) {
                        if (ret_bad)
                                *ret_bad = p;
                        return r;
                }
                r = dep_add(l, t, id);
                if (r < 0)
                        return r;
                if (*p != ':')
                        break;
                p++;
        }
        *end = p;
        return 0;
}

int dep_parse_ids(DepType t, const char *ids, DepList *l, const char **ret_bad) {
        const char *end;
        int r = parse_ids(t, ids, l, &end, ret_bad);
        if (r < 0)
                return r;
        if (*end) {
                if (ret_bad)
                        *ret_bad = end;
                return -EINVAL;
        }
        return 0;
}

int dep_parse(const char *spec, DepList *l, const char **ret_bad) {
        const char *p = spec;
        if (!*p) {
                if (ret_bad)
                        *ret_bad = p;
                return -EINVAL;
        }
        for (;;) {
                const char *colon = strchr(p, ':');
                char name[16];
                size_t n = colon ? (size_t) (colon - p) : 0;
                DepType t = _DEP_TYPE_INVALID;
                if (colon && n < sizeof name) {
                        memcpy(name, p, n);
                        name[n] = 0;
                        t = dep_type_from_string(name);
                }
                if (t == _DEP_TYPE_INVALID) {
                        if (ret_bad)
                                *ret_bad = p;
                        return -EINVAL;
                }
                int r = parse_ids(t, colon + 1, l, &p, ret_bad);
                if (r < 0)
                        return r;
                if (!*p)
                        return 0;
                if (*p != ',') {
                        if (ret_bad)
                                *ret_bad = p;
                        return -EINVAL;
                }
                p++;
        }
}

int dep_format(const DepList *l, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        *ret = NULL;
        if (l->n == 0)
                return 0;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        bool first = true;
        for (int t = 0; t < _DEP_TYPE_MAX; t++) {
                bool any = false;
                for (size_t i = 0; i < l->n; i++) {
                        if (l->v[i].type != (DepType) t)
                                continue;
                        if (!any)
                                fprintf(f, "%s%s", first ? "" : ",", dep_type_names[t]);
                        fprintf(f, ":%lld", (long long) l->v[i].job);
                        any = true;
                        first = false;
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

DepStatus dep_status(DepType t, bool exists, JobState s) {
        if (!exists)
                return t == DEP_AFTEROK ? DEP_NEVER : DEP_MET;
        bool final = job_state_is_final(s);
        switch (t) {
        case DEP_AFTER:
                return final || s == JOB_RUNNING ? DEP_MET : DEP_WAIT;
        case DEP_AFTEROK:
                if (!final)
                        return DEP_WAIT;
                return s == JOB_COMPLETED ? DEP_MET : DEP_NEVER;
        case DEP_AFTERANY:
                return final ? DEP_MET : DEP_WAIT;
        default:
                return DEP_NEVER;
        }
}

const char *dep_status_to_string(DepStatus s) {
        switch (s) {
        case DEP_WAIT:
                return "waiting";
        case DEP_MET:
                return "met";
        default:
                return "never";
        }
}

/* ---- --begin ---- */

/* "N[UNIT]": seconds */
static int parse_offset(const char *s, uint64_t *ret) {
        static const struct {
                const char *name;
                uint64_t sec;
        } units[] = {
                { "", 1 },         { "s", 1 },        { "sec", 1 },     { "secs", 1 },     { "second", 1 },
                { "seconds", 1 },  { "m", 60 },       { "min", 60 },    { "mins", 60 },    { "minute", 60 },
                { "minutes", 60 }, { "h", 3600 },     { "hour", 3600 }, { "hours", 3600 }, { "d", 86400 },
                { "day", 86400 },  { "days", 86400 },
        };
        uint64_t v = 0;
        const char *p = s;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                if (v > UINT64_C(100) * 366 * 86400)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcasecmp(p, units[i].name) == 0) {
                        if (v > UINT64_C(100) * 366 * 86400 / units[i].sec)
                                return -ERANGE;
                        *ret = v * units[i].sec;
                        return 0;
                }
        return -EINVAL;
}

/* exactly n digits at *p, in [min, max] */
static int digits(const char **p, int n, int min, int max, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        if (v < min || v > max)
                return -EINVAL;
        *p += n;
        *ret = v;
        return 0;
}

/* "HH:MM[:SS]" at the end of the string */
static int parse_clock(const char *p, struct tm *tm) {
        if (digits(&p, 2, 0, 23, &tm->tm_hour) < 0 || *p++ != ':' || digits(&p, 2, 0, 59, &tm->tm_min) < 0)
                return -EINVAL;
        tm->tm_sec = 0;
        if (*p == ':' && (p++, digits(&p, 2, 0, 60, &tm->tm_sec) < 0))
                return -EINVAL;
        return *p ? -EINVAL : 0;
}

int begin_parse(const char *s, time_t now, time_t *ret) {
        struct tm tm;
        uint64_t off;
        int r;

        if (!s)
                return -EINVAL;
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (strncmp(s, "now+", 4) == 0 || s[0] == '+') {
                r = parse_offset(s + (s[0] == '+' ? 1 : 4), &off);
                if (r < 0)
                        return r;
                *ret = now + (time_t) off;
                return 0;
        }
        if (!localtime_r(&now, &tm))
                return -EINVAL;
        if (strlen(s) <= 8 && strchr(s, ':')) {
                /* HH:MM[:SS]: the next time the clock shows it */
                if (parse_clock(s, &tm) < 0)
                        return -EINVAL;
                tm.tm_isdst = -1;
                time_t t = mktime(&tm);
                if (t == (time_t) -1)
                        return -EINVAL;
                if (t <= now) {
                        tm.tm_mday++;
                        tm.tm_isdst = -1;
                        t = mktime(&tm);
                        if (t == (time_t) -1)
                                return -EINVAL;
                }
                *ret = t;
                return 0;
        }
        /* YYYY-MM-DD[THH:MM[:SS]] */
        const char *p = s;
        memset(&tm, 0, sizeof tm);
        int year, mon;
        if (digits(&p, 4, 1970, 9999, &year) < 0 || *p++ != '-' || digits(&p, 2, 1, 12, &mon) < 0 || *p++ != '-' ||
            digits(&p, 2, 1, 31, &tm.tm_mday) < 0)
                return -EINVAL;
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        if (*p == 'T' || *p == ' ') {
                if (parse_clock(p + 1, &tm) < 0)
                        return -EINVAL;
        } else if (*p)
                return -EINVAL;
        tm.tm_isdst = -1;
        int mday = tm.tm_mday;
        time_t t = mktime(&tm);
        if (t == (time_t) -1 || tm.tm_mday != mday) /* 2026-02-30: normalised to March */
                return -EINVAL;
        *ret = t;
        return 0;
}
