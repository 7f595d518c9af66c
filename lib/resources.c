/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resources.c — see resources.h. Layout: the two parsers of Slurm's
 * notations; the submit check (res_resolve); the reasons' names; packing. */
#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse.h"

#define MiB (UINT64_C(1) << 20)
#define MIN_MEM (4 * MiB) /* as the policy's memory: less and the launcher itself cannot run */
#define MAX_TIME_USEC (UINT64_C(100) * 365 * 86400 * USEC_PER_SEC)

int res_parse_mem(const char *s, uint64_t *ret_bytes) {
        static const struct {
                char c;
                unsigned shift;
        } units[] = { { 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 } };
        uint64_t v;
        unsigned shift = 20; /* Slurm: a bare number is megabytes */
        size_t n;
        int r;

        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        n = strspn(s, "0123456789");
        if (s[n] != '\0') {
                size_t i;
                if (s[n + 1] != '\0')
                        return -EINVAL;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (tolower((unsigned char) s[n]) == units[i].c)
                                break;
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                shift = units[i].shift;
        }
        char digits[32];
        if (n >= sizeof digits)
                return -ERANGE;
        memcpy(digits, s, n);
        digits[n] = '\0';
        r = parse_uint64(digits, 0, UINT64_MAX, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return -EINVAL; /* "0": Slurm's "all the node's memory", not ours */
        if (v > (UINT64_C(1) << 63) >> shift)
                return -ERANGE;
        *ret_bytes = v << shift;
        return 0;
}

/* "A" or "A:B" or "A:B:C" into up to three numbers; returns how many. */
static int colon_fields(const char *s, uint64_t f[3]) {
        int n = 0;
        const char *p = s;
        for (;;) {
                char buf[24];
                size_t len = strspn(p, "0123456789");
                if (len == 0 || len >= sizeof buf || n == 3)
                        return -EINVAL;
                memcpy(buf, p, len);
                buf[len] = '\0';
                if (parse_uint64(buf, 0, UINT64_C(1) << 40, &f[n]) < 0)
                        return -ERANGE;
                n++;
                p += len;
                if (*p == '\0')
                        return n;
                if (*p != ':')
                        return -EINVAL;
                p++;
        }
}

int res_parse_time(const char *s, uint64_t *ret_usec) {
        uint64_t f[3] = { 0 }, days = 0, secs;
        const char *dash;
        int n;

        if (!s || !*s)
                return -EINVAL;
        if (strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
                /* corral's own durations, with a unit: 30m, 2h, 1d */
                uint64_t v;
                int r = parse_duration(s, &v);
                if (r < 0)
                        return r;
                if (v == 0 || v == USEC_INFINITY)
                        return -EINVAL;
                if (v > MAX_TIME_USEC)
                        return -ERANGE;
                *ret_usec = v;
                return 0;
        }
        dash = strchr(s, '-');
        if (dash) {
                char buf[24];
                size_t len = (size_t) (dash - s);
                if (len == 0 || len >= sizeof buf || strspn(s, "0123456789") != len)
                        return -EINVAL;
                memcpy(buf, s, len);
                buf[len] = '\0';
                if (parse_uint64(buf, 0, 36500, &days) < 0)
                        return -ERANGE;
                n = colon_fields(dash + 1, f);
                if (n < 0)
                        return n;
                /* D-H, D-H:M, D-H:M:S */
                secs = days * 86400 + f[0] * 3600 + (n >= 2 ? f[1] * 60 : 0) + (n == 3 ? f[2] : 0);
        } else {
                n = colon_fields(s, f);
                if (n < 0)
                        return n;
                /* M, M:S, H:M:S */
                secs = n == 1 ? f[0] * 60 : n == 2 ? f[0] * 60 + f[1] : f[0] * 3600 + f[1] * 60 + f[2];
        }
        if (secs == 0)
                return -EINVAL;
        if (secs > MAX_TIME_USEC / USEC_PER_SEC)
                return -ERANGE;
        *ret_usec = secs * USEC_PER_SEC;
        return 0;
}

static int refuse(char **ret_reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(char **ret_reason, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *ret_reason = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

uint64_t res_max_mem(uint64_t def_mem, uint64_t max_mem) {
        return max_mem ? max_mem : def_mem;
}

uint64_t res_max_cpus(uint64_t def_millicpus, uint64_t max_cpus) {
        if (max_cpus == 0)
                return def_millicpus;
        return max_cpus > UINT64_MAX / 1000 ? UINT64_MAX : max_cpus * 1000;
}

int res_resolve(const ResRequest *rq, const ResLimits *l, const char *policy, ResAsk *ret, char **ret_reason) {
        char a[FORMAT_BUF], b[FORMAT_BUF];
        ResAsk ask = { .tasks = rq->tasks ? rq->tasks : 1 };
        uint64_t max_mem = res_max_mem(l->def_mem, l->max_mem), max_cpus = res_max_cpus(l->def_cpus, l->max_cpus);

        if (ask.tasks > RES_MAX_TASKS)
                return refuse(ret_reason, "--tasks %llu: at most %d", (unsigned long long) ask.tasks, RES_MAX_TASKS);
        if (rq->cpus > RES_MAX_CPUS)
                return refuse(ret_reason, "--cpus %llu: at most %d per task", (unsigned long long) rq->cpus,
                              RES_MAX_CPUS);

        /* memory: the job's, for all its tasks (Slurm's --mem is per node) */
        if (rq->mem) {
                if (rq->mem < MIN_MEM)
                        return refuse(ret_reason, "--mem %s is too small: at least 4M", format_size(a, rq->mem));
                if (max_mem != UINT64_MAX && rq->mem > max_mem)
                        return refuse(ret_reason,
                                      "--mem %s exceeds the %s policy '%s' allows (its [limits] %s): ask for less, "
                                      "or another policy",
                                      format_size(a, rq->mem), format_size(b, max_mem), policy,
                                      l->max_mem ? "max_mem" : "memory");
                ask.mem = rq->mem;
        } else
                ask.mem = l->def_mem == UINT64_MAX ? 0 : l->def_mem;

        /* CPUs: per task, times the tasks */
        uint64_t per = rq->cpus ? rq->cpus * 1000 : l->def_cpus;
        ask.cpus = per == UINT64_MAX ? 0 : per * ask.tasks;
        if (max_cpus != UINT64_MAX && ask.cpus > max_cpus) {
                char c1[FORMAT_BUF], c2[FORMAT_BUF], c3[FORMAT_BUF];
                return refuse(ret_reason,
                              "%s CPUs per task x %llu tasks = %s CPUs exceeds the %s policy '%s' allows (its "
                              "[limits] %s): ask for fewer (--cpus, --tasks), or another policy",
                              format_cpus(c1, per), (unsigned long long) ask.tasks, format_cpus(c2, ask.cpus),
                              format_cpus(c3, max_cpus), policy, l->max_cpus ? "max_cpus" : "cpus");
        }

        /* what the node can never give */
        if (ask.mem && l->node_mem && ask.mem > l->node_mem)
                return refuse(ret_reason, "the job asks for %s of memory and the node has %s: it can never run here",
                              format_size(a, ask.mem), format_size(b, l->node_mem));
        if (ask.cpus && l->node_cpus && ask.cpus > l->node_cpus * 1000)
                return refuse(ret_reason, "the job asks for %s CPUs and the node has %llu: it can never run here",
                              format_cpus(a, ask.cpus), (unsigned long long) l->node_cpus);
        *ret = ask;
        return 0;
}

static const char *const pend_names[_PEND_MAX] = {
        [PEND_NONE] = "NONE",
        [PEND_HELD] = "HELD",
        [PEND_DRAINED] = "DRAINED",
        [PEND_RESOURCES] = "RESOURCES",
        [PEND_USER_CAP] = "USER_CAP",
        [PEND_DEPENDENCY] = "DEPENDENCY",
        [PEND_BEGIN_TIME] = "BEGIN_TIME",
        [PEND_ARRAY_LIMIT] = "ARRAY_LIMIT",
};

const char *pend_reason_to_string(PendReason r) {
        return r >= 0 && r < _PEND_MAX ? pend_names[r] : NULL;
}

bool pack_fits(const ResAsk *ask, const PackFree *f) {
        return f->slots > 0 && ask->mem <= f->mem && ask->cpus <= f->cpus;
}

/* Whether ask fits in the CPUs and memory of f (not its slots). */
static bool fits_res(const ResAsk *ask, const PackFree *f) {
        return ask->mem <= f->mem && ask->cpus <= f->cpus;
}

ssize_t pack_pick(const PackHead *heads, size_t n, const PackFree *free_res, uint64_t user_cap, int64_t reserved,
                  int64_t *ret_reserved, PendReason *ret_reasons) {
        ssize_t res = -1, pick = -1, passed = -1;

        for (size_t i = 0; i < n; i++) {
                if (ret_reasons)
                        ret_reasons[i] = heads[i].running >= user_cap ? PEND_USER_CAP : PEND_NONE;
                if (reserved > 0 && heads[i].id == reserved && heads[i].running < user_cap)
                        res = (ssize_t) i;
        }
        for (size_t i = 0; i < n && pick < 0; i++) {
                const ResAsk *a = &heads[i].ask;
                if (heads[i].running >= user_cap)
                        continue;
                if (!pack_fits(a, free_res)) {
                        if (ret_reasons)
                                ret_reasons[i] = PEND_RESOURCES;
                        if ((ssize_t) i != res && (passed < 0 || heads[i].id < heads[passed].id))
                                passed = (ssize_t) i;
                        continue;
                }
                if (res >= 0 && (ssize_t) i != res) {
                        /* only in what the reserved job leaves */
                        PackFree left = { .mem = free_res->mem - a->mem, .cpus = free_res->cpus - a->cpus };
                        if (!fits_res(&heads[res].ask, &left)) {
                                if (ret_reasons)
                                        ret_reasons[i] = PEND_RESOURCES;
                                continue;
                        }
                }
                pick = (ssize_t) i;
        }
        for (size_t i = 0; ret_reasons && i < n; i++)
                if ((ssize_t) i != pick && ret_reasons[i] == PEND_NONE)
                        ret_reasons[i] = PEND_RESOURCES;
        if (ret_reserved) {
                if (res >= 0)
                        *ret_reserved = pick == res ? 0 : reserved;
                else if (pick >= 0 && passed >= 0)
                        *ret_reserved = heads[passed].id; /* a smaller job passed it: not again for ever */
                else
                        *ret_reserved = 0;
        }
        return pick;
}
