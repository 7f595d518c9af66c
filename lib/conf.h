/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conf.h — a table-driven INI loader on top of inih, shared by policies and
 * the node config. One table of keys (ConfKey) drives parsing, defaults,
 * inheritance (copy of the keys a file sets), output as INI and JSON, and the
 * did-you-mean suggestions.
 *
 * Loading never half-applies: a file is parsed into a zeroed staging object
 * and the caller uses it only when conf_parse_file() returned 0. Every problem
 * is collected as "FILE:LINE: message" in a ConfDiags list, so all errors of a
 * file are reported at once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_FILE_SIZE ((size_t) 1024 * 1024)
/* inih (Debian's build) reads lines into a 200-byte buffer; a longer line
 * would be handed over truncated, so we refuse it before inih sees it. */
#define CONF_MAX_LINE 198
#define CONF_MAX_STRING 1024
#define CONF_MAX_LIST 1024
#define CONF_MAX_DIAGS 200

typedef enum ConfType {
        CONF_STRING, /* char *: free text */
        CONF_NAME, /* char *: an identifier (policy, user or group name) */
        CONF_PATH, /* char *: an absolute path */
        CONF_HOSTNAME, /* char *: an RFC 1123 host name */
        CONF_BOOL, /* bool */
        CONF_UINT, /* uint64_t within [min, max]; "unlimited" if allowed */
        CONF_SIZE, /* uint64_t bytes within [min, max] or SIZE_UNLIMITED */
        CONF_DURATION, /* uint64_t usec within [min, max] or USEC_INFINITY */
        CONF_CPUS, /* uint64_t millicpus or UINT64_MAX (unlimited) */
        CONF_ENUM, /* int: index into values[] */
        CONF_ERRNO, /* int: 1..4095 */
        CONF_NAMES, /* char **: user or group names */
        CONF_PATHS, /* char **: absolute paths */
        CONF_SYSCALLS, /* char **: syscall names and @groups */
        CONF_ENVNAMES, /* char **: environment variable names, glob patterns allowed (LD_*) */
        _CONF_TYPE_MAX,
} ConfType;

typedef struct ConfKey {
        const char *section;
        const char *key;
        ConfType type;
        size_t offset; /* of the value in the object */
        uint64_t min, max; /* CONF_UINT, CONF_SIZE, CONF_DURATION */
        bool unlimited; /* CONF_UINT: "unlimited" allowed */
        const char *const *values; /* CONF_ENUM, NULL-terminated */
        const char *def; /* the built-in default, as text */
        const char *help; /* one line, for docs and --help */
} ConfKey;

/* Where a value came from; line 0 means "built-in default". */
typedef struct ConfOrigin {
        const char *file; /* points into the object's own list of file names */
        unsigned line;
} ConfOrigin;

typedef struct ConfSchema {
        const char *what; /* "policy", "node config" */
        const ConfKey *keys;
        size_t n_keys;
        size_t origin_offset; /* of ConfOrigin[n_keys] in the object */
        size_t files_offset; /* of a char ** (strv) owning the file names */
} ConfSchema;

typedef struct ConfDiag {
        char *file;
        unsigned line;
        char *msg;
} ConfDiag;

typedef struct ConfDiags {
        ConfDiag *items;
        size_t n;
        bool truncated;
} ConfDiags;

void conf_diags_add(ConfDiags *d, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void conf_diags_print(const ConfDiags *d, FILE *f);
void conf_diags_clear(ConfDiags *d);

enum {
        /* refuse files or directories not owned by root or writable by
         * group/other (like sshd's StrictModes) */
        CONF_STRICT_PERMS = 1 << 0,
};

/* Parses path into obj, a zeroed object of the schema's type (the staging
 * object). Returns 0, or -EINVAL when diagnostics were added, or -errno when
 * the file could not be read (also with a diagnostic). */
int conf_parse_file(const ConfSchema *s, const char *path, unsigned flags, void *obj, ConfDiags *d);
/* The same on an in-memory buffer (for the fuzzer and tests); the file name
 * is used in diagnostics only. */
int conf_parse_buffer(const ConfSchema *s, const char *name, const char *buf, size_t len, void *obj, ConfDiags *d);

/* Checks ownership and mode of an open file and of the directory it is in. */
int conf_check_perms(const char *path, int fd, ConfDiags *d);

/* Sets every key to its built-in default (origin line 0). */
int conf_init_defaults(const ConfSchema *s, void *obj);
/* Copies the keys set in src (origin line != 0) over dst. */
int conf_apply(const ConfSchema *s, void *dst, const void *src);
/* Frees every value of obj and its list of file names; obj itself not. */
void conf_free_values(const ConfSchema *s, void *obj);

const ConfOrigin *conf_origin(const ConfSchema *s, const void *obj, size_t key_index);
bool conf_is_set(const ConfSchema *s, const void *obj, size_t key_index);
int conf_find_key(const ConfSchema *s, const char *section, const char *key);

/* Value of one key as INI text (malloc'd) or as JSON (new reference). */
char *conf_format_value(const ConfKey *k, const void *obj);
json_t *conf_json_value(const ConfKey *k, const void *obj);
/* The whole object as INI, sections in table order; with comments = true each
 * value is followed by where it came from. */
int conf_write_ini(const ConfSchema *s, const void *obj, bool comments, FILE *f);
json_t *conf_to_json(const ConfSchema *s, const void *obj);

/* Validators exposed for tests and other parsers. */
bool conf_name_valid(const char *s);
bool conf_hostname_valid(const char *s);
bool conf_path_valid(const char *s);
/* An environment variable name, or a glob pattern of one (fnmatch(3): the
 * name's characters, * ? and [...] sets), at most 256 bytes. */
bool conf_env_pattern_valid(const char *s);
int conf_parse_errno(const char *s, int *ret);
const char *conf_errno_name(int e);
/* The best near-miss among candidates (Levenshtein distance <= 2 and at
 * most two thirds of the word's length), or NULL. */
const char *conf_suggest(const char *word, const char *const *candidates, size_t n);
