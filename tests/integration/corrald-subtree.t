#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-subtree.t — corrald as a systemd service (the shipped unit,
# Delegate=yes, under systemd 252 as PID 1 of tests/recipes/systemd-ns, hybrid
# cgroups: the limits are v1's) makes its jobs' cgroups below its own:
# <unit>/jobs/job-N in each hierarchy, corrald itself in <unit>/supervisor.
# The job's memory and pids limits are there and enforced (OOM, fork bomb),
# `systemctl status corrald` lists the job, `systemctl stop corrald` leaves
# it running (KillMode=process) and the next start adopts it. The jobs run
# in tests/corrald-subtree-guest.sh; corrald-subtree-v2.t runs the same on a
# pure cgroup v2 in the QEMU guest.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
. "$CORRAL_SRC/tests/systemd-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"

make_tmpdir
# the daemon user and the admin group (the guest script writes its own config)
corrald_setup 2
make_test_user corraltestsb 61162
sdns_start $CORRAL_SRC $CORRAL_BUILD
plan 20
inside "$CORRAL_SRC/tests/corrald-subtree-guest.sh" "$CORRAL_BUILD" "$CORRAL_SRC" \
        >"$TEST_TMP/guest.out" 2>"$TEST_TMP/guest.err"
rc=$?
get() { sed -n "s/^$1=//p" "$TEST_TMP/guest.out" | tail -1; }
is "$rc:$(get started)" "0:0" "corrald.service starts under systemd"
[ "$(get started)" = 0 ] || diag "$(tail -5 "$TEST_TMP/guest.err")"
U=$(get unit_cg)
is "$U" "/corral.slice/corrald.service" "the unit's cgroup"
is "$(get main_cg)" "$U/supervisor" "corrald moved itself into the leaf <unit>/supervisor"
is "$(get a_state)" RUNNING "a job runs"
like "$(get a_pid)" '^[0-9]+$' "... its process is found"
is "$(get a_cgroup)" "$U/jobs/job-1" "its cgroup (memory, from /proc/PID/cgroup) is <unit>/jobs/job-N, below corrald.service"
is "$(get a_memory)" $((64 << 20)) "... with the policy's memory limit (memory.limit_in_bytes)"
is "$(get a_pids)" 16 "... and its task limit (pids.max)"
[ "$(get a_listed)" -ge 1 ] 2>/dev/null; ok $? "systemctl status corrald lists the job's process"
is "$(get o_state)" OUT_OF_MEMORY "a job over its memory limit ends OUT_OF_MEMORY"
[ "$(get f_hits)" -ge 1 ] 2>/dev/null; ok $? "a fork bomb is capped by pids.max (pids.events max $(get f_hits); the job ended $(get f_state))"
is "$(get a_alive_epilogue)" 0 "the epilogues of the user's other jobs spared the running job (below <unit>/jobs)"
is "$(get stopped):$(get a_alive_stopped)" "inactive:0" "systemctl stop corrald leaves the running job alive (KillMode=process)"
is "$(get restarted)" 0 "corrald starts again"
is "$(get main_cg2)" "$U/supervisor" "... and moves itself into <unit>/supervisor again"
is "$(get a_cgroup2):$(get a_memory2)" "$U/jobs/job-1:$((64 << 20))" "the job kept its cgroup and limit across the restart"
is "$(get adopted)" 1 "the new corrald adopted the job's launcher"
is "$(get a_final)" COMPLETED "the adopted job ends COMPLETED"
like "$(get a_result)" "cgroup $U/jobs/job-1," "its result names the cgroup below corrald.service"
is "$(get procs):$(get left)" "0:0" "no process of the user and no job cgroup is left"
done_testing
