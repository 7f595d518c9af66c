/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conf.c — see conf.h. Layout: diagnostics; value parsing per type; the
 * inih reader and handler (line tracking, continuation lines, errors inih
 * does not report); file loading and permission checks; defaults, copy and
 * output. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "parse.h"
#include "strv.h"
#include "syscall-groups.h"

/* ---- diagnostics ---- */

void conf_diags_add(ConfDiags *d, const char *file, unsigned line, const char *fmt, ...) {
        ConfDiag *n;
        va_list ap;
        char *msg = NULL;

        if (!d)
                return;
        if (d->n >= CONF_MAX_DIAGS) {
                d->truncated = true;
                return;
        }
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        n = realloc(d->items, sizeof(ConfDiag) * (d->n + 1));
        if (!n || !msg) {
                free(msg);
                if (n)
                        d->items = n;
                d->truncated = true;
                return;
        }
        d->items = n;
        d->items[d->n].file = strdup(file ? file : "");
        d->items[d->n].line = line;
        d->items[d->n].msg = msg;
        d->n++;
}

void conf_diags_print(const ConfDiags *d, FILE *f) {
        for (size_t i = 0; i < d->n; i++) {
                if (d->items[i].line > 0)
                        fprintf(f, "%s:%u: %s\n", d->items[i].file ? d->items[i].file : "?", d->items[i].line,
                                d->items[i].msg);
                else
                        fprintf(f, "%s: %s\n", d->items[i].file ? d->items[i].file : "?", d->items[i].msg);
        }
        if (d->truncated)
                fprintf(f, "(more errors not shown)\n");
}

void conf_diags_clear(ConfDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].msg);
        }
        free(d->items);
        *d = (ConfDiags){ 0 };
}

/* ---- validators ---- */

bool conf_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        if (!isalnum((unsigned char) s[0]) && s[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        /* a trailing '$' is allowed for Samba machine accounts by useradd;
         * we do not: no job runs as a machine account */
        return true;
}

bool conf_hostname_valid(const char *s) {
        size_t n = strlen(s), label = 0;
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) c) && c != '-')
                        return false;
                if (c == '-' && label == 0)
                        return false;
                if (++label > 63)
                        return false;
        }
        return label > 0 && s[n - 1] != '-';
}

bool conf_path_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n >= PATH_MAX || s[0] != '/')
                return false;
        /* no "." or ".." components: what a policy names is what it gets */
        for (const char *p = s; *p;) {
                while (*p == '/')
                        p++;
                size_t l = strcspn(p, "/");
                if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += l;
        }
        for (size_t i = 0; i < n; i++)
                if (iscntrl((unsigned char) s[i]))
                        return false;
        return true;
}

bool conf_env_pattern_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 256 || isdigit((unsigned char) s[0]))
                return false;
        bool bracket = false; /* '-' and '!' only in a [...] set */
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '[')
                        bracket = true;
                else if (s[i] == ']')
                        bracket = false;
                else if (!isalnum((unsigned char) s[i]) && !strchr("_*?", s[i]) && !(bracket && strchr("-!", s[i])))
                        return false;
        }
        return true;
}

const char *conf_errno_name(int e) {
        return strerrorname_np(e);
}

int conf_parse_errno(const char *s, int *ret) {
        int v;
        if (parse_int(s, 1, 4095, &v) == 0) {
                *ret = v;
                return 0;
        }
        for (int e = 1; e < 4096; e++) {
                const char *n = strerrorname_np(e);
                if (n && strcmp(n, s) == 0) {
                        *ret = e;
                        return 0;
                }
        }
        return -EINVAL;
}

static size_t levenshtein(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t prev[65], cur[65];
        if (la > 64 || lb > 64)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (tolower((unsigned char) a[i - 1]) != b[j - 1]);
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, sizeof(size_t) * (lb + 1));
        }
        return prev[lb];
}

const char *conf_suggest(const char *word, const char *const *candidates, size_t n) {
        const char *best = NULL;
        size_t best_d = SIZE_MAX, wl = strlen(word);
        for (size_t i = 0; i < n; i++) {
                size_t d = levenshtein(word, candidates[i]);
                if (d < best_d) {
                        best_d = d;
                        best = candidates[i];
                }
        }
        if (best && best_d <= 2 && best_d * 3 <= wl * 2)
                return best;
        return NULL;
}

/* ---- values ---- */

#define VALUE(k, obj, type) ((type *) ((char *) (obj) + (k)->offset))
#define CVALUE(k, obj, type) ((const type *) ((const char *) (obj) + (k)->offset))
typedef char *str_t;
typedef char **strv_t;

static ConfOrigin *origins(const ConfSchema *s, void *obj) {
        return (ConfOrigin *) ((char *) obj + s->origin_offset);
}

static char ***files_of(const ConfSchema *s, void *obj) {
        return (char ***) ((char *) obj + s->files_offset);
}

static bool type_is_list(ConfType t) {
        return t == CONF_NAMES || t == CONF_PATHS || t == CONF_SYSCALLS || t == CONF_ENVNAMES;
}

static bool type_is_string(ConfType t) {
        return t == CONF_STRING || t == CONF_NAME || t == CONF_PATH || t == CONF_HOSTNAME;
}

static void value_free(const ConfKey *k, void *obj) {
        if (type_is_list(k->type))
                *VALUE(k, obj, char **) = strv_free(*VALUE(k, obj, char **));
        else if (type_is_string(k->type)) {
                free(*VALUE(k, obj, char *));
                *VALUE(k, obj, char *) = NULL;
        }
}

static void format_range(const ConfKey *k, char *buf, size_t len) {
        char a[FORMAT_BUF], b[FORMAT_BUF];
        switch (k->type) {
        case CONF_SIZE:
                if (k->max >= UINT64_MAX - 1)
                        snprintf(buf, len, "at least %s", format_size(a, k->min));
                else
                        snprintf(buf, len, "%s to %s", format_size(a, k->min), format_size(b, k->max));
                break;
        case CONF_DURATION:
                snprintf(buf, len, "%s to %s", format_duration(a, k->min), format_duration(b, k->max));
                break;
        default:
                snprintf(buf, len, "%llu to %llu", (unsigned long long) k->min, (unsigned long long) k->max);
        }
}

/* Validates one item of a list value; returns NULL or an error message. */
static const char *check_list_item(const ConfKey *k, const char *item, char *buf, size_t len) {
        switch (k->type) {
        case CONF_NAMES:
                if (!conf_name_valid(item)) {
                        snprintf(buf, len, "invalid user or group name '%s'", item);
                        return buf;
                }
                return NULL;
        case CONF_ENVNAMES:
                if (!conf_env_pattern_valid(item)) {
                        snprintf(buf, len,
                                 "'%s' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*) or a glob "
                                 "pattern of one (LD_*)",
                                 item);
                        return buf;
                }
                return NULL;
        case CONF_PATHS:
                if (!conf_path_valid(item)) {
                        snprintf(buf, len, "'%s' is not an absolute path without '.' or '..' components", item);
                        return buf;
                }
                return NULL;
        case CONF_SYSCALLS:
                if (item[0] == '@') {
                        if (!syscall_group_find(item)) {
                                const char *cand[64] = { 0 };
                                size_t n = 0;
                                for (unsigned i = 0; i < syscall_groups_count && n < ELEMENTSOF(cand); i++)
                                        cand[n++] = syscall_groups[i].name;
                                const char *sug = conf_suggest(item, cand, n);
                                snprintf(buf, len, "unknown syscall group '%s'%s%s%s", item,
                                         sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
                                return buf;
                        }
                        return NULL;
                }
                if (!syscall_name_known(item)) {
                        snprintf(buf, len, "unknown syscall '%s'", item);
                        return buf;
                }
                return NULL;
        default:
                return NULL;
        }
}

/* Parses text into the key's slot of obj. For lists, append = true adds to
 * the existing list (continuation lines). On error, returns -EINVAL with a
 * message in err and leaves the slot as it was. */
static int value_parse(const ConfKey *k, void *obj, const char *text, bool append, char *err, size_t errlen) {
        char range[160];
        int r;

        /* only text and lists may be empty (an empty list clears an inherited one) */
        if (text[0] == '\0' && !type_is_list(k->type) && k->type != CONF_STRING && k->type != CONF_PATH) {
                snprintf(err, errlen, "'%s' needs a value", k->key);
                return -EINVAL;
        }

        switch (k->type) {
        case CONF_STRING:
        case CONF_NAME:
        case CONF_PATH:
        case CONF_HOSTNAME: {
                if (strlen(text) > CONF_MAX_STRING) {
                        snprintf(err, errlen, "value of '%s' is too long (limit %d characters)", k->key,
                                 CONF_MAX_STRING);
                        return -EINVAL;
                }
                if (k->type == CONF_NAME && !conf_name_valid(text)) {
                        snprintf(err, errlen,
                                 "invalid name '%s' for '%s': use letters, digits, '_', '.' and '-' "
                                 "(at most 64, not starting with '.' or '-')",
                                 text, k->key);
                        return -EINVAL;
                }
                if (k->type == CONF_PATH && text[0] && !conf_path_valid(text)) {
                        snprintf(err, errlen, "'%s' is not an absolute path without '.' or '..' components", text);
                        return -EINVAL;
                }
                if (k->type == CONF_HOSTNAME && !conf_hostname_valid(text)) {
                        snprintf(err, errlen, "invalid hostname '%s'", text);
                        return -EINVAL;
                }
                char *c = strdup(text);
                if (!c)
                        return -ENOMEM;
                free(*VALUE(k, obj, char *));
                *VALUE(k, obj, char *) = c;
                return 0;
        }
        case CONF_BOOL: {
                bool b;
                if (parse_boolean(text, &b) < 0) {
                        snprintf(err, errlen, "invalid value '%s' for '%s': expected yes or no", text, k->key);
                        return -EINVAL;
                }
                *VALUE(k, obj, bool) = b;
                return 0;
        }
        case CONF_UINT: {
                uint64_t v;
                if (k->unlimited && (strcmp(text, "unlimited") == 0 || strcmp(text, "infinity") == 0)) {
                        *VALUE(k, obj, uint64_t) = UINT64_MAX;
                        return 0;
                }
                r = parse_uint64(text, k->min, k->max, &v);
                if (r == -ERANGE) {
                        format_range(k, range, sizeof range);
                        snprintf(err, errlen, "value %s for '%s' is out of range (%s%s)", text, k->key, range,
                                 k->unlimited ? ", or unlimited" : "");
                        return -EINVAL;
                }
                if (r < 0) {
                        format_range(k, range, sizeof range);
                        snprintf(err, errlen, "invalid value '%s' for '%s': expected a whole number (%s%s)", text,
                                 k->key, range, k->unlimited ? ", or unlimited" : "");
                        return -EINVAL;
                }
                *VALUE(k, obj, uint64_t) = v;
                return 0;
        }
        case CONF_SIZE: {
                uint64_t v;
                r = parse_size(text, &v);
                if (r < 0 && r != -ERANGE) {
                        snprintf(err, errlen,
                                 "invalid size '%s' for '%s': expected a number with an optional K, M, G or T "
                                 "suffix (1024-based), or unlimited",
                                 text, k->key);
                        return -EINVAL;
                }
                if (r == -ERANGE || (v != SIZE_UNLIMITED && (v < k->min || v > k->max))) {
                        format_range(k, range, sizeof range);
                        snprintf(err, errlen, "size %s for '%s' is out of range (%s, or unlimited)", text, k->key,
                                 range);
                        return -EINVAL;
                }
                *VALUE(k, obj, uint64_t) = v;
                return 0;
        }
        case CONF_DURATION: {
                uint64_t v;
                r = parse_duration(text, &v);
                if (r < 0 && r != -ERANGE) {
                        snprintf(err, errlen,
                                 "invalid duration '%s' for '%s': expected e.g. 30s, 5m, 48h, 2d or infinity", text,
                                 k->key);
                        return -EINVAL;
                }
                if (r == -ERANGE || (v != USEC_INFINITY && (v < k->min || v > k->max))) {
                        format_range(k, range, sizeof range);
                        snprintf(err, errlen, "duration %s for '%s' is out of range (%s%s)", text, k->key, range,
                                 k->max == USEC_INFINITY ? "" : "");
                        return -EINVAL;
                }
                *VALUE(k, obj, uint64_t) = v;
                return 0;
        }
        case CONF_CPUS: {
                uint64_t v;
                r = parse_cpus(text, &v);
                if (r == -ERANGE) {
                        snprintf(err, errlen, "value %s for '%s' is out of range (0.001 to 1024, or unlimited)", text,
                                 k->key);
                        return -EINVAL;
                }
                if (r < 0) {
                        snprintf(err, errlen,
                                 "invalid value '%s' for '%s': expected a number of CPUs such as 1, 0.5 or 2.25, "
                                 "or unlimited",
                                 text, k->key);
                        return -EINVAL;
                }
                *VALUE(k, obj, uint64_t) = v;
                return 0;
        }
        case CONF_ENUM: {
                for (int i = 0; k->values[i]; i++)
                        if (strcmp(k->values[i], text) == 0) {
                                *VALUE(k, obj, int) = i;
                                return 0;
                        }
                _cleanup_free_ char *all = strv_join((char *const *) k->values, ", ");
                snprintf(err, errlen, "invalid value '%s' for '%s': expected one of %s", text, k->key, all ? all : "?");
                return -EINVAL;
        }
        case CONF_ERRNO: {
                int e;
                if (conf_parse_errno(text, &e) < 0) {
                        snprintf(err, errlen,
                                 "invalid value '%s' for '%s': expected an errno name such as EPERM or a number "
                                 "from 1 to 4095",
                                 text, k->key);
                        return -EINVAL;
                }
                *VALUE(k, obj, int) = e;
                return 0;
        }
        case CONF_NAMES:
        case CONF_PATHS:
        case CONF_SYSCALLS:
        case CONF_ENVNAMES: {
                _cleanup_strv_free_ char **items = NULL, **merged = NULL;
                r = parse_list(text, &items);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        snprintf(err, errlen, "invalid list for '%s': empty item between commas", k->key);
                        return -EINVAL;
                }
                for (char **i = items; *i; i++) {
                        const char *m = check_list_item(k, *i, err, errlen);
                        if (m)
                                return -EINVAL;
                }
                merged = append ? strv_copy(*VALUE(k, obj, char **)) : calloc(1, sizeof(char *));
                if (!merged)
                        return -ENOMEM;
                for (char **i = items; *i; i++) {
                        if (strv_contains(merged, *i))
                                continue;
                        if (strv_length(merged) >= CONF_MAX_LIST) {
                                snprintf(err, errlen, "too many items in '%s' (limit %d)", k->key, CONF_MAX_LIST);
                                return -EINVAL;
                        }
                        if (strv_extend(&merged, *i) < 0)
                                return -ENOMEM;
                }
                strv_free(*VALUE(k, obj, char **));
                *VALUE(k, obj, char **) = TAKE_PTR(merged);
                return 0;
        }
        default:
                snprintf(err, errlen, "internal error: unknown type");
                return -EINVAL;
        }
}

static int value_copy(const ConfKey *k, void *dst, const void *src) {
        if (type_is_list(k->type)) {
                char *const *l = *CVALUE(k, src, strv_t);
                char **c = l ? strv_copy(l) : NULL;
                if (l && !c)
                        return -ENOMEM;
                strv_free(*VALUE(k, dst, char **));
                *VALUE(k, dst, char **) = c;
        } else if (type_is_string(k->type)) {
                const char *v = *CVALUE(k, src, str_t);
                char *c = v ? strdup(v) : NULL;
                if (v && !c)
                        return -ENOMEM;
                free(*VALUE(k, dst, char *));
                *VALUE(k, dst, char *) = c;
        } else if (k->type == CONF_BOOL)
                *VALUE(k, dst, bool) = *CVALUE(k, src, bool);
        else if (k->type == CONF_ENUM || k->type == CONF_ERRNO)
                *VALUE(k, dst, int) = *CVALUE(k, src, int);
        else
                *VALUE(k, dst, uint64_t) = *CVALUE(k, src, uint64_t);
        return 0;
}

/* Keeps one copy of each file name in the object so origins can point there. */
static const char *intern_file(const ConfSchema *s, void *obj, const char *file) {
        char ***files = files_of(s, obj);
        for (char **i = *files; i && *i; i++)
                if (strcmp(*i, file) == 0)
                        return *i;
        if (strv_extend(files, file) < 0)
                return NULL;
        return (*files)[strv_length(*files) - 1];
}

/* ---- inih reader and handler ---- */

/* Policies are UTF-8 text: anything else could not be shown as JSON and is
 * more likely a corrupted file than intent. Returns NULL or what is wrong. */
static const char *check_text(const unsigned char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len;
                uint32_t cp;
                if (c < 0x80) {
                        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
                                return c == 0 ? "NUL byte in line" : "control character in line";
                        i++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0) {
                        len = 2;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        len = 3;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        len = 4;
                        cp = c & 0x07;
                } else
                        return "line is not valid UTF-8";
                if (i + len > n)
                        return "line is not valid UTF-8";
                for (size_t k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return "line is not valid UTF-8";
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                /* overlong forms, surrogates, beyond U+10FFFF */
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return "line is not valid UTF-8";
                i += len;
        }
        return NULL;
}

typedef enum LineKind {
        LINE_BLANK,
        LINE_COMMENT,
        LINE_SECTION,
        LINE_OTHER,
} LineKind;

typedef struct ParseState {
        const ConfSchema *schema;
        void *obj;
        ConfDiags *diags;
        const char *file; /* interned in obj */
        const char *buf;
        size_t len, pos;
        unsigned lineno;
        LineKind kind;
        bool indented, handled, reported;
        bool section_known;
        int last_key; /* index of the key the previous handler call set, or -1 */
        char last_name[CONF_MAX_LINE + 2];
        unsigned errors;
        int oom;
} ParseState;

static void st_error(ParseState *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void st_error(ParseState *st, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        conf_diags_add(st->diags, st->file, st->lineno, "%s", buf);
        st->errors++;
        st->reported = true;
}

static bool section_exists(const ConfSchema *s, const char *name) {
        for (size_t i = 0; i < s->n_keys; i++)
                if (strcmp(s->keys[i].section, name) == 0)
                        return true;
        return false;
}

static void check_section(ParseState *st, const char *line) {
        const ConfSchema *s = st->schema;
        const char *end = strchr(line + 1, ']');
        char name[CONF_MAX_LINE + 2];

        if (!end) {
                st_error(st, "syntax error: section header without closing ']'");
                st->section_known = false;
                return;
        }
        snprintf(name, sizeof name, "%.*s", (int) (end - line - 1), line + 1);
        if (section_exists(s, name)) {
                st->section_known = true;
                return;
        }
        st->section_known = false;
        const char *cand[32] = { 0 };
        size_t n = 0;
        for (size_t i = 0; i < s->n_keys && n < ELEMENTSOF(cand); i++)
                if (n == 0 || strcmp(cand[n - 1], s->keys[i].section) != 0)
                        cand[n++] = s->keys[i].section;
        const char *sug = conf_suggest(name, cand, n);
        if (sug)
                st_error(st, "unknown section [%s] (did you mean [%s]?)", name, sug);
        else
                st_error(st, "unknown section [%s]", name);
}

/* Called by inih before each line: first finishes the previous line (a line
 * inih neither handed to us nor skipped as blank, comment or section was a
 * syntax error, which inih itself reports only once per file), then hands
 * over the next line whole, or refuses it when it is too long. */
static char *reader(char *str, int num, void *stream) {
        ParseState *st = stream;
        const char *line, *nl, *p;
        size_t n;

        if (st->lineno > 0 && st->kind == LINE_OTHER && !st->handled && !st->reported)
                st_error(st, "syntax error: expected 'key = value', a [section] header or a comment");

        if (st->pos >= st->len)
                return NULL;

        line = st->buf + st->pos;
        nl = memchr(line, '\n', st->len - st->pos);
        n = nl ? (size_t) (nl - line) : st->len - st->pos;
        st->pos += n + (nl ? 1 : 0);
        st->lineno++;
        st->handled = st->reported = false;
        st->kind = LINE_BLANK;

        const char *bad = check_text((const unsigned char *) line, n);
        if (bad && !(st->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 &&
                     !check_text((const unsigned char *) line + 3, n - 3))) {
                st_error(st, "%s", bad);
                snprintf(str, (size_t) num, "\n");
                return str;
        }
        if (n > CONF_MAX_LINE || (int) n + 2 > num) {
                st_error(st, "line too long (%zu characters, the limit is %d); continue a long list on indented lines",
                         n, CONF_MAX_LINE);
                snprintf(str, (size_t) num, "\n");
                return str;
        }
        memcpy(str, line, n);
        str[n] = '\n';
        str[n + 1] = '\0';

        /* classify it the way inih will */
        p = str;
        if (st->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
        st->indented = isspace((unsigned char) *p) && *p != '\n';
        while (isspace((unsigned char) *p))
                p++;
        if (*p == '\0')
                st->kind = LINE_BLANK;
        else if (*p == ';' || *p == '#')
                st->kind = LINE_COMMENT;
        else if (st->indented && st->last_name[0]) {
                /* A continuation line. inih 55 strips " ;comments" from key
                 * lines but not from continuation lines: strip them here so
                 * both behave the same. */
                st->kind = LINE_OTHER;
                for (char *c = (char *) p; *c; c++)
                        if (*c == ';' && c > p && isspace((unsigned char) c[-1])) {
                                c[0] = '\n';
                                c[1] = '\0';
                                break;
                        }
        } else if (*p == '[') {
                st->kind = LINE_SECTION;
                st->last_key = -1;
                st->last_name[0] = '\0';
                check_section(st, p);
        } else
                st->kind = LINE_OTHER;
        return str;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        ParseState *st = user;
        const ConfSchema *s = st->schema;
        ConfOrigin *orig = origins(s, st->obj);
        char err[512];
        bool continuation;
        int idx, r;

        st->handled = true;
        continuation = st->indented && st->last_name[0] && strcmp(name, st->last_name) == 0;

        if (continuation) {
                if (st->last_key < 0)
                        return 1; /* the key was already reported */
                const ConfKey *k = &s->keys[st->last_key];
                if (!type_is_list(k->type)) {
                        st_error(st,
                                 "'%s' takes a single value, but this indented line continues it "
                                 "(only lists continue on indented lines)",
                                 k->key);
                        return 1;
                }
                r = value_parse(k, st->obj, value, true, err, sizeof err);
                if (r == -ENOMEM)
                        st->oom = r;
                else if (r < 0)
                        st_error(st, "%s", err);
                return 1;
        }

        snprintf(st->last_name, sizeof st->last_name, "%s", name);
        st->last_key = -1;

        if (section[0] == '\0') {
                st_error(st, "'%s' outside any section: put it under a [section] header", name);
                return 1;
        }
        if (!st->section_known)
                return 1; /* the section header was reported */

        idx = conf_find_key(s, section, name);
        if (idx < 0) {
                const char *cand[64] = { 0 };
                char where[128] = "";
                size_t n = 0, wl = 0;
                for (size_t i = 0; i < s->n_keys; i++) {
                        if (strcmp(s->keys[i].section, section) == 0 && n < ELEMENTSOF(cand))
                                cand[n++] = s->keys[i].key;
                        else if (strcmp(s->keys[i].key, name) == 0 && wl < sizeof where)
                                wl += (size_t) snprintf(where + wl, sizeof where - wl, "%s[%s]", wl ? " or " : "",
                                                        s->keys[i].section);
                }
                const char *sug = conf_suggest(name, cand, n);
                if (sug)
                        st_error(st, "unknown key '%s' in [%s] (did you mean '%s'?)", name, section, sug);
                else if (wl > 0)
                        st_error(st, "unknown key '%s' in [%s] (it belongs in %s)", name, section, where);
                else
                        st_error(st, "unknown key '%s' in [%s]", name, section);
                return 1;
        }
        if (orig[idx].line > 0) {
                st_error(st, "duplicate key '%s' in [%s] (first set on line %u)", name, section, orig[idx].line);
                return 1;
        }
        r = value_parse(&s->keys[idx], st->obj, value, false, err, sizeof err);
        if (r == -ENOMEM) {
                st->oom = r;
                return 1;
        }
        if (r < 0) {
                st_error(st, "%s", err);
                /* remember the line so a second assignment is still a duplicate */
        }
        orig[idx].line = st->lineno;
        orig[idx].file = st->file;
        st->last_key = r < 0 ? -1 : idx;
        return 1;
}

int conf_parse_buffer(const ConfSchema *s, const char *name, const char *buf, size_t len, void *obj, ConfDiags *d) {
        ParseState st = {
                .schema = s,
                .obj = obj,
                .diags = d,
                .buf = buf,
                .len = len,
                .last_key = -1,
        };
        int r;

        st.file = intern_file(s, obj, name);
        if (!st.file)
                return -ENOMEM;
        if (len > CONF_MAX_FILE_SIZE) {
                conf_diags_add(d, name, 0, "file too large (%zu bytes, the limit is %zu)", len, CONF_MAX_FILE_SIZE);
                return -EFBIG;
        }
        r = ini_parse_stream(reader, &st, handler, &st);
        if (st.oom)
                return st.oom;
        if (r > 0 && st.errors == 0) {
                /* inih saw an error our line tracking did not: never ignore it */
                st.lineno = (unsigned) r;
                st_error(&st, "syntax error");
        }
        if (r < 0)
                return -ENOMEM;
        return st.errors > 0 ? -EINVAL : 0;
}

/* ---- files ---- */

int conf_check_perms(const char *path, int fd, ConfDiags *d) {
        struct stat st;
        _cleanup_free_ char *copy = NULL, *real = NULL;
        int r = 0;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid != 0) {
                conf_diags_add(d, path, 0, "refusing file not owned by root (owner uid %u)", (unsigned) st.st_uid);
                r = -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                conf_diags_add(d, path, 0, "refusing file writable by group or others (mode %04o)",
                               (unsigned) (st.st_mode & 07777));
                r = -EPERM;
        }
        /* the directory the file really lives in */
        real = realpath(path, NULL);
        copy = strdup(real ? real : path);
        if (!copy)
                return -ENOMEM;
        const char *dir = dirname(copy);
        if (stat(dir, &st) < 0) {
                conf_diags_add(d, path, 0, "cannot stat directory %s: %s", dir, strerror(errno));
                return -errno;
        }
        if (st.st_uid != 0) {
                conf_diags_add(d, path, 0, "refusing file in directory %s not owned by root (owner uid %u)", dir,
                               (unsigned) st.st_uid);
                r = -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                conf_diags_add(d, path, 0, "refusing file in directory %s writable by group or others (mode %04o)", dir,
                               (unsigned) (st.st_mode & 07777));
                r = -EPERM;
        }
        return r;
}

int conf_parse_file(const ConfSchema *s, const char *path, unsigned flags, void *obj, ConfDiags *d) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                conf_diags_add(d, path, 0, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                conf_diags_add(d, path, 0, "cannot stat: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                conf_diags_add(d, path, 0, "not a regular file");
                return -EINVAL;
        }
        if (flags & CONF_STRICT_PERMS) {
                r = conf_check_perms(path, fd, d);
                if (r < 0)
                        return r;
        }
        if ((size_t) st.st_size > CONF_MAX_FILE_SIZE) {
                conf_diags_add(d, path, 0, "file too large (%lld bytes, the limit is %zu)", (long long) st.st_size,
                               CONF_MAX_FILE_SIZE);
                return -EFBIG;
        }
        buf = malloc(CONF_MAX_FILE_SIZE + 1);
        if (!buf)
                return -ENOMEM;
        /* read to EOF: the size may have changed since fstat */
        for (;;) {
                ssize_t k = read(fd, buf + len, CONF_MAX_FILE_SIZE + 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        conf_diags_add(d, path, 0, "read error: %s", strerror(-r));
                        return r;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > CONF_MAX_FILE_SIZE) {
                        conf_diags_add(d, path, 0, "file too large (the limit is %zu bytes)", CONF_MAX_FILE_SIZE);
                        return -EFBIG;
                }
        }
        return conf_parse_buffer(s, path, buf, len, obj, d);
}

/* ---- defaults, copy, output ---- */

int conf_find_key(const ConfSchema *s, const char *section, const char *key) {
        for (size_t i = 0; i < s->n_keys; i++)
                if (strcmp(s->keys[i].section, section) == 0 && strcmp(s->keys[i].key, key) == 0)
                        return (int) i;
        return -1;
}

const ConfOrigin *conf_origin(const ConfSchema *s, const void *obj, size_t i) {
        return &((const ConfOrigin *) ((const char *) obj + s->origin_offset))[i];
}

bool conf_is_set(const ConfSchema *s, const void *obj, size_t i) {
        return conf_origin(s, obj, i)->line > 0;
}

int conf_init_defaults(const ConfSchema *s, void *obj) {
        ConfOrigin *orig = origins(s, obj);
        char err[512];

        for (size_t i = 0; i < s->n_keys; i++) {
                const ConfKey *k = &s->keys[i];
                int r = value_parse(k, obj, k->def ? k->def : "", false, err, sizeof err);
                if (r == -ENOMEM)
                        return r;
                /* a default that does not parse is a bug caught by the unit tests */
                if (r < 0)
                        return -EINVAL;
                orig[i] = (ConfOrigin){ NULL, 0 };
        }
        return 0;
}

int conf_apply(const ConfSchema *s, void *dst, const void *src) {
        ConfOrigin *od = origins(s, dst);
        for (size_t i = 0; i < s->n_keys; i++) {
                const ConfOrigin *os = conf_origin(s, src, i);
                if (os->line == 0)
                        continue;
                int r = value_copy(&s->keys[i], dst, src);
                if (r < 0)
                        return r;
                od[i].line = os->line;
                od[i].file = intern_file(s, dst, os->file);
                if (!od[i].file)
                        return -ENOMEM;
        }
        return 0;
}

void conf_free_values(const ConfSchema *s, void *obj) {
        if (!obj)
                return;
        for (size_t i = 0; i < s->n_keys; i++)
                value_free(&s->keys[i], obj);
        *files_of(s, obj) = strv_free(*files_of(s, obj));
}

char *conf_format_value(const ConfKey *k, const void *obj) {
        char buf[FORMAT_BUF];
        char *r = NULL;

        switch (k->type) {
        case CONF_STRING:
        case CONF_NAME:
        case CONF_PATH:
        case CONF_HOSTNAME: {
                const char *v = *CVALUE(k, obj, str_t);
                return strdup(v ? v : "");
        }
        case CONF_BOOL:
                return strdup(*CVALUE(k, obj, bool) ? "yes" : "no");
        case CONF_UINT: {
                uint64_t v = *CVALUE(k, obj, uint64_t);
                if (v == UINT64_MAX && k->unlimited)
                        return strdup("unlimited");
                if (asprintf(&r, "%llu", (unsigned long long) v) < 0)
                        return NULL;
                return r;
        }
        case CONF_SIZE:
                return strdup(format_size(buf, *CVALUE(k, obj, uint64_t)));
        case CONF_DURATION:
                return strdup(format_duration(buf, *CVALUE(k, obj, uint64_t)));
        case CONF_CPUS:
                return strdup(format_cpus(buf, *CVALUE(k, obj, uint64_t)));
        case CONF_ENUM:
                return strdup(k->values[*CVALUE(k, obj, int)]);
        case CONF_ERRNO: {
                const char *n = conf_errno_name(*CVALUE(k, obj, int));
                if (n)
                        return strdup(n);
                if (asprintf(&r, "%d", *CVALUE(k, obj, int)) < 0)
                        return NULL;
                return r;
        }
        case CONF_NAMES:
        case CONF_PATHS:
        case CONF_SYSCALLS:
        case CONF_ENVNAMES:
                return strv_join(*CVALUE(k, obj, strv_t), ", ");
        default:
                return NULL;
        }
}

json_t *conf_json_value(const ConfKey *k, const void *obj) {
        switch (k->type) {
        case CONF_BOOL:
                return json_boolean(*CVALUE(k, obj, bool));
        case CONF_UINT:
        case CONF_SIZE:
        case CONF_DURATION:
        case CONF_CPUS: {
                uint64_t v = *CVALUE(k, obj, uint64_t);
                if (v == UINT64_MAX)
                        return json_null(); /* unlimited / infinity */
                if (k->type == CONF_DURATION)
                        return json_integer((json_int_t) (v / USEC_PER_SEC)); /* seconds */
                if (k->type == CONF_CPUS)
                        return json_real((double) v / 1000.0);
                return json_integer((json_int_t) v);
        }
        case CONF_ERRNO:
                return json_integer(*CVALUE(k, obj, int));
        case CONF_NAMES:
        case CONF_PATHS:
        case CONF_SYSCALLS:
        case CONF_ENVNAMES: {
                json_t *a = json_array();
                for (char *const *i = *CVALUE(k, obj, strv_t); a && i && *i; i++)
                        json_array_append_new(a, json_string(*i));
                return a;
        }
        default: {
                _cleanup_free_ char *v = conf_format_value(k, obj);
                return v ? json_string(v) : NULL;
        }
        }
}

int conf_write_ini(const ConfSchema *s, const void *obj, bool comments, FILE *f) {
        const char *section = NULL;
        for (size_t i = 0; i < s->n_keys; i++) {
                const ConfKey *k = &s->keys[i];
                const ConfOrigin *o = conf_origin(s, obj, i);
                _cleanup_free_ char *v = conf_format_value(k, obj);
                if (!v)
                        return -ENOMEM;
                if (!section || strcmp(section, k->section) != 0) {
                        fprintf(f, "%s[%s]\n", section ? "\n" : "", k->section);
                        section = k->section;
                }
                /* long lists wrap onto indented continuation lines, so the
                 * output is itself a valid policy file */
                fprintf(f, "%s =", k->key);
                size_t col = strlen(k->key) + 2;
                if (type_is_list(k->type)) {
                        for (char *const *it = *CVALUE(k, obj, strv_t); it && *it; it++) {
                                size_t l = strlen(*it) + 2;
                                if (col + l > 76 && col > strlen(k->key) + 2) {
                                        fprintf(f, "\n   ");
                                        col = 3;
                                }
                                fprintf(f, " %s%s", *it, it[1] ? "," : "");
                                col += l;
                        }
                } else if (v[0])
                        fprintf(f, " %s", v);
                if (comments) {
                        if (o->line > 0)
                                fprintf(f, "    ; %s:%u", o->file, o->line);
                        else
                                fprintf(f, "    ; default");
                }
                fputc('\n', f);
        }
        return 0;
}

json_t *conf_to_json(const ConfSchema *s, const void *obj) {
        json_t *root = json_object();
        if (!root)
                return NULL;
        for (size_t i = 0; i < s->n_keys; i++) {
                const ConfKey *k = &s->keys[i];
                json_t *sec = json_object_get(root, k->section);
                if (!sec) {
                        sec = json_object();
                        if (!sec || json_object_set_new(root, k->section, sec) < 0) {
                                json_decref(root);
                                return NULL;
                        }
                }
                json_t *v = conf_json_value(k, obj);
                if (!v || json_object_set_new(sec, k->key, v) < 0) {
                        json_decref(root);
                        return NULL;
                }
        }
        return root;
}
