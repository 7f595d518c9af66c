/* SPDX-License-Identifier: GPL-2.0-or-later */
/* syscall-groups.h — the named syscall groups policies may use in
 * [seccomp] deny/allow ("@mount", "@debug", ...), and name validation through
 * libseccomp. The table is data only; docs/policy.md lists the same contents
 * (tests/unit/test-syscall-groups.c checks that the two agree). */
#pragma once

#include <stdbool.h>

typedef struct SyscallGroup {
        const char *name; /* with the leading '@' */
        const char *help;
        /* NULL-terminated; entries starting with '@' include another group */
        const char *const *syscalls;
} SyscallGroup;

extern const SyscallGroup syscall_groups[];
extern const unsigned syscall_groups_count;

const SyscallGroup *syscall_group_find(const char *name);

/* True if libseccomp knows this syscall name on any architecture it
 * supports (it may not exist on the native one: such names are skipped
 * when a filter is built). */
bool syscall_name_known(const char *name);

/* Calls cb for every syscall name the entry expands to (a single name, or a
 * group's members, recursively). Returns 0, -ENOENT for an unknown group, or
 * the first non-zero value cb returns (which stops the walk). */
int syscall_expand(const char *entry, int (*cb)(const char *name, void *userdata), void *userdata);
