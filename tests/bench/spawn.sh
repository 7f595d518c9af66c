#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/spawn.sh — what starting a process costs corrald's root helper:
# fork() without exec (the built-in launcher and epilogue), fork()+exec,
# posix_spawn() and a vfork-style clone()+exec (--launch/--epilogue), from a
# process of the helper's size and from a small pre-forked one, beside the
# kernel's floor (tests/bench/spawn.c says what each line is). Figures and
# the decision they led to: docs/BENCHMARKS.md, "fork, spawn or a server:
# what starting the launcher costs".
#
#   tests/bench/spawn.sh      SPAWN_N=500 SPAWN_MB="6 14" (env)
# SPAWN_MB: the sizes of the big process's heap, in MiB, one run each
# (corrald's root helper: about 5.5 MB resident, 1.4-2.6 MB of it anonymous,
# 13-14 MB helper and core together with 100,000 queued jobs).
set -u
: "${CORRAL_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CORRAL_BUILD:=$CORRAL_SRC/build}"
# the lock of the tests (a busy machine makes every line slower)
. "$CORRAL_SRC/tests/lib.sh"
BIN=$CORRAL_BUILD/tests/bench/spawn
[ -x "$BIN" ] || { echo "spawn.sh: $BIN not built (make tests)" >&2; exit 1; }
N=${SPAWN_N:-500}

printf 'process start from a process the size of the root helper (%s, %s cores, load %s)\n' \
    "$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
for mb in ${SPAWN_MB:-6 14}; do
    "$BIN" -n "$N" -m "$mb" -p /bin/true || exit 1
done
