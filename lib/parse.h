/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse.h — the one checked parser for each kind of value a user can give
 * corral: integers, sizes, durations, booleans, comma lists. Every function
 * returns 0 on success or -errno (-EINVAL: malformed, -ERANGE: out of range)
 * and leaves *ret untouched on failure. No bare atoi/strtol elsewhere. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SIZE_UNLIMITED UINT64_MAX
#define USEC_INFINITY UINT64_MAX
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)

/* Decimal only, optional surrounding whitespace is NOT accepted; no sign for
 * unsigned; value must lie within [min, max]. */
int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
int parse_uint32(const char *s, uint32_t min, uint32_t max, uint32_t *ret);
int parse_int(const char *s, int min, int max, int *ret);
int parse_uid(const char *s, uid_t *ret); /* 0..4294967294 */
int parse_pid(const char *s, pid_t *ret); /* 1..INT_MAX */

/* "512", "64K", "4G", "1T" (binary multiples, optional "B"/"iB" suffix, case
 * insensitive), or "unlimited"/"infinity" (-> SIZE_UNLIMITED). */
int parse_size(const char *s, uint64_t *ret);
/* "30s", "5m", "48h", "2d", "1w", "1h30m", "500ms", a bare number of seconds,
 * or "infinity"/"unlimited" (-> USEC_INFINITY). Result in microseconds. */
int parse_duration(const char *s, uint64_t *ret_usec);
/* A point in time, for options such as `corral list --since`: a duration
 * meaning that long before now_usec ("2h", "1d12h", "90"), "today" or
 * "yesterday" (local midnight), a local date and time "2026-11-22",
 * "2026-11-22 09:13", "2026-11-22T09:13:01", a local time of today "09:13" or
 * "09:13:01", or "@SECONDS" since the epoch. Each field has its exact number
 * of digits and range; a date that does not exist (Feb 30) or a local time
 * that a DST change skips is -EINVAL, a time before the epoch -ERANGE. Result
 * in microseconds since the epoch. */
int parse_time(const char *s, uint64_t now_usec, uint64_t *ret_usec);
/* yes/no, true/false, on/off, 1/0 (case insensitive). */
int parse_boolean(const char *s, bool *ret);
/* "1", "0.5", "2.25" cpus -> millicpus (1000 per cpu), range 1..1024000;
 * "unlimited" -> UINT64_MAX. */
int parse_cpus(const char *s, uint64_t *ret_millicpus);
/* Items separated by commas and/or whitespace; an empty item between commas
 * is an error ("a,,b", ",a"), one trailing comma is not ("a, b,"); an empty
 * string is an empty list. */
int parse_list(const char *s, char ***ret);

/* Formatting counterparts: the result re-parses to the same value. buf must
 * hold at least FORMAT_BUF bytes. */
#define FORMAT_BUF 64
const char *format_size(char *buf, uint64_t v);
const char *format_duration(char *buf, uint64_t usec);
const char *format_cpus(char *buf, uint64_t millicpus);
