#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-dev.t — the job's own /dev (corral.policy(5) [filesystem]
# private_dev, devices; supervisor/launch/mounts.c setup_dev()): a job sees
# the basic nodes, its own devpts and what the policy lists, never the rest
# of the host's devtmpfs. The test makes a 0666 device node in the host's
# /dev (the numbers of /dev/null: harmless to open) and a directory with
# another: a job under the default policy does not find them, a job whose
# policy lists them (by name, by glob, by directory) opens them; with
# private_dev = no the host's /dev is back (the control).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
plan 17

node=corraltest-dev-$$
mknod -m 0666 "/dev/$node" c 1 3 || bail_out "cannot mknod /dev/$node"
mkdir -m 0755 "/dev/$node.d" && mknod -m 0666 "/dev/$node.d/inner" c 1 3
_cleanup_add "rm -rf '/dev/$node' '/dev/$node.d'"

printf '[policy]\ninherit = default\n[filesystem]\ndevices = /dev/%s\n' "$node" >"$POLDIR/devone.ini"
printf '[policy]\ninherit = default\n[filesystem]\ndevices = /dev/%s*\n' "corraltest-dev-$$" >"$POLDIR/devglob.ini"
printf '[policy]\ninherit = default\n[filesystem]\nprivate_dev = no\n' >"$POLDIR/devhost.ini"
printf '[policy]\ninherit = default\n[filesystem]\nprivate_devshm = no\n' >"$POLDIR/devshm.ini"
chmod 0644 "$POLDIR"/*.ini

# 1. the default policy: the basic set and nothing else of the host's
# (/dev/log too where the host has it: journald's syslog socket)
run_job default -- /bin/sh -c 'cd /dev && ls -A | sort | tr "\n" " "'
is "$RC" 0 "a job under the default policy runs"
like "$OUT" "^fd full (log )?mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \$" \
    "its /dev has the basic nodes, its own pts, shm, mqueue and the links, nothing else"
run_job default -- /bin/sh -c "test -e /dev/$node || test -e /dev/loop-control || test -e /dev/kmsg; echo \$?"
is "$OUT" 1 "the test's 0666 node, /dev/loop-control and /dev/kmsg are not there"
run_job default -- /bin/sh -c 'echo x >/dev/null && head -c 8 /dev/urandom | wc -c && head -c 3 /dev/zero | wc -c'
is "$(tr '\n' ' ' <<<"$OUT")" "8 3 " "null, urandom and zero work"
run_job default -- /bin/sh -c 'touch /dev/made 2>&1; mknod /dev/m2 c 1 3 2>&1; echo end'
like "$OUT" "Read-only file system.*end" "the job cannot add files to its /dev"
is "$(ls -d /dev/made /dev/m2 2>/dev/null | wc -l)" 0 "... nor to the host's"
run_job default -- python3 -c 'import os; m, s = os.openpty(); print(os.ttyname(s)); print(sorted(os.listdir("/dev/pts")))'
like "$OUT" "^/dev/pts/0" "a pty of the job's own devpts (the first one: the instance is new)"
like "$OUT" "\\['0', 'ptmx'\\]" "... in which the host's ptys are not"
run_job default -- /bin/sh -c 'readlink /dev/fd; readlink /dev/ptmx'
is "$(tr '\n' ' ' <<<"$OUT")" "/proc/self/fd pts/ptmx " "/dev/fd and /dev/ptmx are links as on the host"

# 2. listed devices
run_job devone -- /bin/sh -c "cat /dev/$node && echo opened; test -e /dev/$node.d; echo \$?"
is "$(tr '\n' ' ' <<<"$OUT")" "opened 1 " "devices = /dev/$node: the job opens it, and only it"
run_job devglob -- /bin/sh -c "find /dev/$node /dev/$node.d | sort"
is "$(tr '\n' ' ' <<<"$OUT")" "/dev/$node /dev/$node.d /dev/$node.d/inner " "a glob pattern brings the node and a directory with its nodes"
run_job devglob -- /bin/sh -c "cat /dev/$node.d/inner && echo opened"
is "$OUT" "opened" "... which the job opens"
run_job devone -- /bin/sh -c 'test -e /dev/loop-control; echo $?'
is "$OUT" 1 "... other host devices stay out"

# 3. private_dev = no: the host's /dev (the control of 1)
run_job devhost -- /bin/sh -c "test -e /dev/$node && cat /dev/$node && echo found"
is "$OUT" "found" "private_dev = no: the job sees the host's /dev and the test's node"

# 4. private_devshm = no with private_dev: the host's /dev/shm is bound in
f=corraltest-shm-$$
touch "/dev/shm/$f" && _cleanup_add "rm -f '/dev/shm/$f'"
run_job devshm -- /bin/sh -c "test -e /dev/shm/$f; echo \$?"
is "$OUT" 0 "private_devshm = no: the job's /dev has the host's /dev/shm"
run_job default -- /bin/sh -c "test -e /dev/shm/$f; echo \$?"
is "$OUT" 1 "... and the default's /dev/shm is private"

is "$(job_cgroups_left)" 0 "no job cgroup is left"
