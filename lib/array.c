/* SPDX-License-Identifier: GPL-2.0-or-later */
/* array.c — see array.h. */
#include "array.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char **ret_error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

/* A whole number of digits only at *p, at most max; moves *p past it. */
static bool parse_num(const char **p, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;
        const char *s = *p;
        if (*s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (uint64_t) (*s - '0');
                if (v > max)
                        return false;
        }
        *p = s;
        *ret = v;
        return true;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

#define SYNTAX "expected a list such as 1-100, 0-15:4 or 1,3,5-7, optionally followed by %%N (at most N at once)"

int array_spec_parse(const char *spec, uint64_t max_tasks, ArraySpec *ret, char **ret_error) {
        ArraySpec a = { 0 };
        size_t cap = 0;
        const char *p = spec;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!spec || !*spec)
                return fail(ret_error, -EINVAL, "empty --array: " SYNTAX);
        if (strlen(spec) > ARRAY_MAX_SPEC)
                return fail(ret_error, -EINVAL, "--array is longer than %d characters", ARRAY_MAX_SPEC);
        for (;;) {
                uint64_t from, to, step = 1;
                const char *item = p;
                if (!parse_num(&p, ARRAY_MAX_TASK_ID, &from)) {
                        r = fail(ret_error, -EINVAL, "invalid --array '%s' at '%s': task ids are 0 to %d; " SYNTAX,
                                 spec, item, ARRAY_MAX_TASK_ID);
                        goto out;
                }
                to = from;
                if (*p == '-') {
                        p++;
                        if (!parse_num(&p, ARRAY_MAX_TASK_ID, &to)) {
                                r = fail(ret_error, -EINVAL,
                                         "invalid --array '%s' at '%s': task ids are 0 to %d; " SYNTAX, spec, item,
                                         ARRAY_MAX_TASK_ID);
                                goto out;
                        }
                        if (to < from) {
                                r = fail(ret_error, -EINVAL,
                                         "invalid --array '%s': the range %llu-%llu ends before it starts", spec,
                                         (unsigned long long) from, (unsigned long long) to);
                                goto out;
                        }
                        if (*p == ':') {
                                p++;
                                if (!parse_num(&p, ARRAY_MAX_TASK_ID, &step) || step == 0) {
                                        r = fail(ret_error, -EINVAL,
                                                 "invalid --array '%s' at '%s': the step after ':' is a whole number "
                                                 "from 1 to %d",
                                                 spec, item, ARRAY_MAX_TASK_ID);
                                        goto out;
                                }
                        }
                }
                for (uint64_t t = from; t <= to; t += step) {
                        if (a.n >= max_tasks) {
                                r = fail(ret_error, -E2BIG,
                                         "--array '%s' has more than %llu elements, the most this node allows "
                                         "([node] max_array_size): split it or ask the admin to raise the limit",
                                         spec, (unsigned long long) max_tasks);
                                goto out;
                        }
                        if (a.n == cap) {
                                size_t c = cap ? cap * 2 : 64;
                                uint32_t *n = realloc(a.ids, c * sizeof(uint32_t));
                                if (!n) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                                a.ids = n;
                                cap = c;
                        }
                        a.ids[a.n++] = (uint32_t) t;
                }
                if (*p == ',') {
                        p++;
                        continue;
                }
                break;
        }
        if (*p == '%') {
                uint64_t t;
                const char *th = ++p;
                if (!parse_num(&p, UINT32_MAX, &t) || t == 0 || *p) {
                        r = fail(ret_error, -EINVAL,
                                 "invalid --array '%s' at '%%%s': the throttle after '%%' is a whole number of 1 or "
                                 "more (the most elements that run at once)",
                                 spec, th);
                        goto out;
                }
                a.throttle = (uint32_t) t;
        }
        if (*p) {
                r = fail(ret_error, -EINVAL, "invalid --array '%s' at '%s': " SYNTAX, spec, p);
                goto out;
        }
        /* ascending, each id once (1-5,3 names 3 once) */
        qsort(a.ids, a.n, sizeof(uint32_t), cmp_u32);
        size_t k = 0;
        for (size_t i = 0; i < a.n; i++)
                if (k == 0 || a.ids[k - 1] != a.ids[i])
                        a.ids[k++] = a.ids[i];
        a.n = k;
        *ret = a;
        return 0;
out:
        free(a.ids);
        return r;
}

void array_spec_done(ArraySpec *a) {
        if (!a)
                return;
        free(a->ids);
        a->ids = NULL;
        a->n = 0;
}
