/* SPDX-License-Identifier: GPL-2.0-or-later */
/* strv.c — see strv.h. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        if (!l)
                return false;
        for (char *const *i = l; *i; i++)
                if (strcmp(*i, s) == 0)
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n;
        char **c;

        if (!s)
                return -ENOMEM;
        n = strv_length(*l);
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 1, seplen = strlen(sep);
        char *r, *p;

        for (char *const *i = l; i && *i; i++)
                len += strlen(*i) + seplen;
        r = p = malloc(len);
        if (!r)
                return NULL;
        *p = '\0';
        for (char *const *i = l; i && *i; i++) {
                if (i != l) {
                        memcpy(p, sep, seplen);
                        p += seplen;
                }
                size_t k = strlen(*i);
                memcpy(p, *i, k);
                p += k;
        }
        *p = '\0';
        return r;
}
