/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices.h — the devices a job may use under a policy with private_dev
 * (corral.policy(5) [filesystem]): the basic set every job gets (null, zero,
 * full, random, urandom, tty, ptmx and the pty slaves of its own devpts) and
 * the host devices the policy lists, expanded on this node (glob patterns,
 * directories walked, missing paths skipped). One list serves both sides of
 * the containment: corral-launch binds these nodes into the job's own /dev
 * (mounts.c), and the job's device cgroup allows these and nothing else
 * (v1 devices.allow, v2 a BPF device program, systemd DeviceAllow=). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define DEV_ANY_MINOR UINT32_MAX

typedef struct DevNode {
        char *path; /* below /dev; as the job sees it (its own /dev has the same path) */
        char type; /* 'c' or 'b' */
        uint32_t major, minor; /* minor DEV_ANY_MINOR: every minor of the major */
        bool basic; /* of the basic set: made by corral-launch (pts, ptmx), not bound from the host */
        const char *systemd; /* for DeviceAllow= when path will not do ("char-pts"); NULL: path */
} DevNode;

typedef struct DevList {
        DevNode *v;
        size_t n;
} DevList;

/* The basic set and p->devices expanded under dev_root (normally "/dev";
 * tests point it elsewhere, the paths in the list stay "/dev/..."): a glob
 * pattern's matches, a directory's device nodes (at most 8 levels deep),
 * character and block nodes only, each once. A symlink is followed only to
 * a device node below dev_root. 0, or -ENOMEM. Paths that are missing, or
 * not device nodes, are skipped: a policy is shared by nodes that differ. */
int devlist_for_policy(const Policy *p, const char *dev_root, DevList *ret);

void devlist_done(DevList *l);
