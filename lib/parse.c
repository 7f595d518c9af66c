/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse.c — see parse.h. Built on strtoull/strtoll with every edge checked:
 * leading whitespace and signs (strtoull silently negates "-1"), trailing
 * garbage, overflow, and range. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "strv.h"

/* Parses a leading run of decimal digits; *end points after it. */
static int parse_digits(const char *s, uint64_t *ret, const char **end) {
        char *e;
        unsigned long long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0)
                return -EINVAL;
        *ret = v;
        *end = e;
        return 0;
}

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;
        const char *e;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, &v, &e);
        if (r < 0)
                return r;
        if (*e != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret) {
        uint64_t v;
        bool neg = false;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '-') {
                neg = true;
                s++;
        }
        r = parse_uint64(s, 0, UINT64_MAX, &v);
        if (r < 0)
                return r;
        if (neg) {
                if (v > (uint64_t) INT64_MAX + 1)
                        return -ERANGE;
                int64_t x = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
                if (x < min || x > max)
                        return -ERANGE;
                *ret = x;
        } else {
                if (v > (uint64_t) INT64_MAX || (int64_t) v < min || (int64_t) v > max)
                        return -ERANGE;
                *ret = (int64_t) v;
        }
        return 0;
}

int parse_uint32(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        uint64_t v;
        int r = parse_uint64(s, min, max, &v);
        if (r < 0)
                return r;
        *ret = (uint32_t) v;
        return 0;
}

int parse_int(const char *s, int min, int max, int *ret) {
        int64_t v;
        int r = parse_int64(s, min, max, &v);
        if (r < 0)
                return r;
        *ret = (int) v;
        return 0;
}

int parse_uid(const char *s, uid_t *ret) {
        uint32_t v;
        /* (uid_t) -1 is "no uid" for the kernel and never a valid uid. */
        int r = parse_uint32(s, 0, UINT32_MAX - 1, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int parse_pid(const char *s, pid_t *ret) {
        int v;
        int r = parse_int(s, 1, INT_MAX, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

static bool is_unlimited(const char *s) {
        return strcasecmp(s, "unlimited") == 0 || strcasecmp(s, "infinity") == 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                char c;
                unsigned shift;
        } units[] = { { 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 }, { 'p', 50 }, { 'e', 60 } };
        uint64_t v;
        const char *e;
        unsigned shift = 0;
        int r;

        if (!s)
                return -EINVAL;
        if (is_unlimited(s)) {
                *ret = SIZE_UNLIMITED;
                return 0;
        }
        r = parse_digits(s, &v, &e);
        if (r < 0)
                return r;
        if (*e != '\0') {
                size_t i;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (tolower((unsigned char) *e) == units[i].c)
                                break;
                if (i == ELEMENTSOF(units)) {
                        /* a bare "B" suffix means bytes */
                        if (strcasecmp(e, "b") != 0)
                                return -EINVAL;
                } else {
                        shift = units[i].shift;
                        e++;
                        if (*e != '\0' && strcasecmp(e, "b") != 0 && strcasecmp(e, "ib") != 0)
                                return -EINVAL;
                }
        }
        if (shift > 0 && v > (UINT64_MAX >> shift))
                return -ERANGE;
        v <<= shift;
        if (v == SIZE_UNLIMITED)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_duration(const char *s, uint64_t *ret_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                /* longest first so "ms" wins over "m" */
                { "usec", 1 },
                { "msec", USEC_PER_MSEC },
                { "us", 1 },
                { "ms", USEC_PER_MSEC },
                { "sec", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "d", UINT64_C(86400) * USEC_PER_SEC },
                { "w", UINT64_C(7) * 86400 * USEC_PER_SEC },
        };
        uint64_t total = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (is_unlimited(s)) {
                *ret_usec = USEC_INFINITY;
                return 0;
        }
        while (*p) {
                uint64_t v, mul = 0;
                const char *e;
                int r = parse_digits(p, &v, &e);
                if (r < 0)
                        return r;
                if (*e == '\0') {
                        /* a bare number is seconds, and only alone */
                        if (p != s)
                                return -EINVAL;
                        mul = USEC_PER_SEC;
                } else {
                        size_t i;
                        for (i = 0; i < ELEMENTSOF(units); i++) {
                                size_t l = strlen(units[i].suffix);
                                if (strncmp(e, units[i].suffix, l) == 0 && !isalpha((unsigned char) e[l])) {
                                        mul = units[i].usec;
                                        e += l;
                                        break;
                                }
                        }
                        if (i == ELEMENTSOF(units))
                                return -EINVAL;
                }
                if (v > (UINT64_MAX - 1) / mul || total > UINT64_MAX - 1 - v * mul)
                        return -ERANGE;
                total += v * mul;
                p = e;
        }
        *ret_usec = total;
        return 0;
}

/* Exactly n digits at *p, as a number in [min, max]; advances *p. */
static int parse_fixed(const char **p, unsigned n, int min, int max, int *ret) {
        int v = 0;
        for (unsigned i = 0; i < n; i++) {
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

/* "HH:MM" or "HH:MM:SS" into tm; the rest of the string must be empty. */
static int parse_clock(const char *p, struct tm *tm) {
        if (parse_fixed(&p, 2, 0, 23, &tm->tm_hour) < 0 || *p++ != ':' || parse_fixed(&p, 2, 0, 59, &tm->tm_min) < 0)
                return -EINVAL;
        tm->tm_sec = 0;
        if (*p == ':' && (p++, parse_fixed(&p, 2, 0, 59, &tm->tm_sec) < 0))
                return -EINVAL;
        return *p == '\0' ? 0 : -EINVAL;
}

/* Local broken-down time to usec; -EINVAL when mktime() had to normalise it
 * (Feb 30, a time skipped by DST), -ERANGE before the epoch. */
static int local_to_usec(struct tm *tm, uint64_t *ret) {
        struct tm want = *tm;
        time_t t;
        tm->tm_isdst = -1;
        t = mktime(tm);
        if (t == (time_t) -1) /* an error, or the second before the epoch */
                return -ERANGE;
        if (tm->tm_year != want.tm_year || tm->tm_mon != want.tm_mon || tm->tm_mday != want.tm_mday ||
            tm->tm_hour != want.tm_hour || tm->tm_min != want.tm_min || tm->tm_sec != want.tm_sec)
                return -EINVAL;
        if (t < 0)
                return -ERANGE;
        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

int parse_time(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        struct tm tm = { 0 };
        time_t now = (time_t) (now_usec / USEC_PER_SEC);
        uint64_t v;
        const char *p = s;
        int r;

        if (!s || !*s)
                return -EINVAL;
        if (*s == '@') {
                r = parse_uint64(s + 1, 0, UINT64_MAX / USEC_PER_SEC, &v);
                if (r < 0)
                        return r;
                *ret_usec = v * USEC_PER_SEC;
                return 0;
        }
        if (isdigit((unsigned char) s[0]) && parse_duration(s, &v) >= 0) {
                if (v > now_usec)
                        return -ERANGE;
                *ret_usec = now_usec - v;
                return 0;
        }
        if (!localtime_r(&now, &tm))
                return -EINVAL;
        if (streq(s, "today") || streq(s, "yesterday")) {
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                if (streq(s, "yesterday")) {
                        /* the day before, normalised by a first mktime() */
                        tm.tm_mday--;
                        tm.tm_isdst = -1;
                        if (mktime(&tm) == (time_t) -1)
                                return -ERANGE;
                        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                }
                return local_to_usec(&tm, ret_usec);
        }
        if (strlen(s) > 2 && s[2] == ':') /* a time of today */
                return parse_clock(s, &tm) < 0 ? -EINVAL : local_to_usec(&tm, ret_usec);
        int y, m, d;
        if (parse_fixed(&p, 4, 1900, 9999, &y) < 0 || *p++ != '-' || parse_fixed(&p, 2, 1, 12, &m) < 0 || *p++ != '-' ||
            parse_fixed(&p, 2, 1, 31, &d) < 0)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        if (*p == ' ' || *p == 'T') {
                if (parse_clock(p + 1, &tm) < 0)
                        return -EINVAL;
        } else if (*p != '\0')
                return -EINVAL;
        return local_to_usec(&tm, ret_usec);
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

int parse_cpus(const char *s, uint64_t *ret_millicpus) {
        uint64_t whole, frac = 0;
        const char *e;
        int r;

        if (!s)
                return -EINVAL;
        if (is_unlimited(s)) {
                *ret_millicpus = UINT64_MAX;
                return 0;
        }
        r = parse_digits(s, &whole, &e);
        if (r < 0)
                return r;
        if (*e == '.') {
                unsigned n = 0;
                e++;
                if (!isdigit((unsigned char) *e))
                        return -EINVAL;
                for (; isdigit((unsigned char) *e); e++, n++) {
                        if (n >= 3) /* finer than a millicpu is meaningless */
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (*e - '0');
                }
                for (; n < 3; n++)
                        frac *= 10;
        }
        if (*e != '\0')
                return -EINVAL;
        if (whole > 1024)
                return -ERANGE;
        whole = whole * 1000 + frac;
        if (whole < 1 || whole > 1024000)
                return -ERANGE;
        *ret_millicpus = whole;
        return 0;
}

int parse_list(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = s;

        if (!s)
                return -EINVAL;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (;;) {
                size_t n;
                while (isspace((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        break; /* a trailing comma is fine: lists go on over continuation lines */
                if (*p == ',')
                        return -EINVAL; /* empty item */
                n = strcspn(p, ", \t\r\n\v\f");
                if (strv_consume(&l, strndup(p, n)) < 0)
                        return -ENOMEM;
                p += n;
                while (isspace((unsigned char) *p))
                        p++;
                if (*p == ',')
                        p++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

const char *format_size(char *buf, uint64_t v) {
        static const char suffix[] = "KMGTPE";
        unsigned i = 0;

        if (v == SIZE_UNLIMITED) {
                snprintf(buf, FORMAT_BUF, "unlimited");
                return buf;
        }
        while (v >= 1024 && v % 1024 == 0 && i < sizeof(suffix) - 1) {
                v /= 1024;
                i++;
        }
        if (i == 0)
                snprintf(buf, FORMAT_BUF, "%llu", (unsigned long long) v);
        else
                snprintf(buf, FORMAT_BUF, "%llu%c", (unsigned long long) v, suffix[i - 1]);
        return buf;
}

const char *format_duration(char *buf, uint64_t usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "d", UINT64_C(86400) * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "ms", USEC_PER_MSEC },
                { "us", 1 },
        };
        size_t off = 0;

        if (usec == USEC_INFINITY) {
                snprintf(buf, FORMAT_BUF, "infinity");
                return buf;
        }
        if (usec == 0) {
                snprintf(buf, FORMAT_BUF, "0s");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(units) && usec > 0; i++) {
                uint64_t n = usec / units[i].usec;
                if (n == 0)
                        continue;
                usec -= n * units[i].usec;
                off += (size_t) snprintf(buf + off, FORMAT_BUF - off, "%llu%s", (unsigned long long) n,
                                         units[i].suffix);
        }
        return buf;
}

const char *format_cpus(char *buf, uint64_t m) {
        if (m == UINT64_MAX)
                snprintf(buf, FORMAT_BUF, "unlimited");
        else if (m % 1000 == 0)
                snprintf(buf, FORMAT_BUF, "%llu", (unsigned long long) (m / 1000));
        else {
                snprintf(buf, FORMAT_BUF, "%llu.%03llu", (unsigned long long) (m / 1000),
                         (unsigned long long) (m % 1000));
                /* trim trailing zeros of the fraction */
                size_t l = strlen(buf);
                while (buf[l - 1] == '0')
                        buf[--l] = '\0';
        }
        return buf;
}
