/* SPDX-License-Identifier: GPL-2.0-or-later */
/* strv.h — NULL-terminated string vectors (char **), as used for comma
 * lists in policies and argv/env handling. All functions accept NULL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Appends a copy of s. Returns 0 or -ENOMEM; *l is unchanged on failure. */
int strv_extend(char ***l, const char *s);
/* Takes ownership of s (freed on failure too). */
int strv_consume(char ***l, char *s);
/* Deep copy; returns NULL on OOM (and for NULL input: check the input). */
char **strv_copy(char *const *l);
/* Joins with sep; returns a malloc'd string or NULL on OOM. "" for empty. */
char *strv_join(char *const *l, const char *sep);
