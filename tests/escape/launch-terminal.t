#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-terminal.t — an interactive job and the caller's terminal
# (issue 14, item 5): a job that gets the caller's terminal as its stdio
# changes its modes (raw, no echo) and its window size; once corral-launch
# returns, the terminal is as it was before. The terminal is a pty that
# script(1) makes; the shell inside it records the modes (stty -g) and the
# size before and after. The job's own output shows that it did change
# them (the control: without the restore the "after" would be the job's).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
command -v script >/dev/null || plan_skip "no script(1) (bsdutils)"
launch_setup 1
plan 4

T=$TEST_TMP/tty
mkdir -m 0755 "$T"
L="'$LAUNCH' --policy default --user $TUSER --policy-dir '$POLDIR' --cgroup-parent $CGPARENT"
# inside the pty: a known start (sane, 40x100), the job, then the state after
script -qec "stty sane rows 40 cols 100; stty -g >$T/before; stty size >$T/size-before;
        $L -- sh -c 'stty raw -echo rows 7 cols 33; stty size; stty -g' >$T/job 2>$T/job.err;
        echo \$? >$T/rc; stty -g >$T/after; stty size >$T/size-after" /dev/null </dev/null >/dev/null 2>&1
is "$(cat "$T/rc" 2>/dev/null):$(head -1 "$T/job" 2>/dev/null | tr -d '\r')" "0:7 33" \
    "the job ran on the caller's terminal and set its size to 7x33 (and raw mode, no echo)"
during=$(sed -n 2p "$T/job" 2>/dev/null | tr -d '\r')
ok "$([ -n "$during" ] && [ "$during" != "$(cat "$T/before")" ] && echo 0 || echo 1)" \
    "... its modes were not the caller's while it ran"
is "$(cat "$T/after" 2>/dev/null)" "$(cat "$T/before")" "after corral-launch returns, the terminal's modes are the caller's again"
is "$(cat "$T/size-after" 2>/dev/null)" "$(cat "$T/size-before")" "... and its size too"
done_testing
