#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-limits.t — the limits hold and the end is clean: the OOM killer
# under the memory limit (OUT_OF_MEMORY), the tasks limit against a fork
# bomb, walltime (TIMEOUT, even for a job that ignores SIGTERM), a cancel
# (SIGTERM to corral-launch: CANCELLED), an orphan left by setsid+nohup, and
# 100 launches that leave no cgroup behind.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
plan 29

# wait (10 s at most) until a job has written "ready" to its output file
wait_ready() {
        for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.1; done
        return 1
}

run_job small -- sh -c 'head -c 300000000 /dev/zero | tail >/dev/null'
is "$(json state)" OUT_OF_MEMORY "memory limit: the job is OOM-killed, state OUT_OF_MEMORY"
[ "$(json state)" = OUT_OF_MEMORY ] || diag "result: $RES stderr: $(printf '%s' "$ERR" | tail -3)"
ok "$([ "$(json oom_kills)" -ge 1 ] 2>/dev/null && echo 0 || echo 1)" "the result counts the OOM kill"
# the peak: memory.max_usage_in_bytes (v1), memory.peak (v2, Linux 5.19)
if [ -e "/sys/fs/cgroup/memory/$CGPARENT/memory.max_usage_in_bytes" ] || [ -e "/sys/fs/cgroup/$CGPARENT/memory.peak" ]; then
        ok "$([ "$(json memory_peak_bytes)" -le $((64 * 1024 * 1024)) ] 2>/dev/null && echo 0 || echo 1)" \
                "peak memory stays within the 64M limit"
else
        skip_or_fail memory-peak "no memory.peak (Linux 5.19) nor memory.max_usage_in_bytes in the job's parent cgroup"
fi

# the first OOM kill ends the whole job (like systemd's OOMPolicy=stop): its
# shell would go on to sleep past the 2 s walltime and then print "after"
run_job small -- sh -c 'head -c 300000000 /dev/zero | tail >/dev/null; sleep 30; echo after'
is "$(json state)" OUT_OF_MEMORY "a job that lost a process to the OOM killer ends at once, OUT_OF_MEMORY"
is "$OUT" "" "... without running on"

# a fork bomb that never stops: the tasks limit (24) holds while it runs
# (forks refused, pids.events; the peak never above the limit, pids.peak),
# the walltime ends it, and nothing is left
"$LAUNCH" --policy small --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" --job-id bomb \
        --result "$TEST_TMP/bomb.json" -- sh -c 'bomb() { bomb | bomb; }; bomb & exec sleep 10' >/dev/null 2>&1 </dev/null &
lp=$!
cg=/sys/fs/cgroup/pids/$CGPARENT/job-bomb
[ -d /sys/fs/cgroup/pids ] || cg=/sys/fs/cgroup/$CGPARENT/job-bomb
most=0 refused=0
for _ in $(seq 15); do
        sleep 0.1
        # pids.peak where the kernel has it (6.1+), else what we catch
        n=$(cat "$cg/pids.peak" 2>/dev/null || cat "$cg/pids.current" 2>/dev/null || echo 0)
        [ "$n" -gt "$most" ] && most=$n
        r=$(awk '$1 == "max" {print $2}' "$cg/pids.events" 2>/dev/null)
        [ "${r:-0}" -gt "$refused" ] && refused=$r
done
wait $lp
RES=$(cat "$TEST_TMP/bomb.json")
ok "$([ "$most" -le 24 ] && [ "$refused" -gt 0 ] && echo 0 || echo 1)" \
        "tasks limit: the fork bomb is refused forks at the limit, never above 24 tasks (peak $most, $refused refused)"
is "$(json state):$(count_user_procs "$TUSER")" "TIMEOUT:0" "the walltime ends it and nothing of the user remains"

run_job small -- sleep 100
is "$(json state):$RC" "TIMEOUT:143" "walltime: SIGTERM ends the job, state TIMEOUT"
run_job small -- sh -c 'trap "" TERM; while :; do sleep 1; done'
is "$(json state):$RC" "TIMEOUT:137" "a job that ignores SIGTERM is SIGKILLed after the grace"
is "$(count_user_procs "$TUSER")" 0 "nothing of the user remains after the walltime"
run_job default --walltime 1s -- sleep 100
is "$(json state)" TIMEOUT "--walltime shortens the policy's walltime"

# cancel: the batch system sends SIGTERM to corral-launch
"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
        --result "$TEST_TMP/cancel.json" -- sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
        >"$TEST_TMP/cancel.out" 2>&1 </dev/null &
lp=$!
wait_ready "$TEST_TMP/cancel.out"
kill -TERM $lp
wait $lp
rc=$?
RES=$(cat "$TEST_TMP/cancel.json")
is "$rc:$(json state)" "7:CANCELLED" "SIGTERM to corral-launch is forwarded: the job exits, CANCELLED"
like "$(cat "$TEST_TMP/cancel.out")" "got TERM" "the job itself got the SIGTERM"
is "$(count_user_procs "$TUSER")" 0 "nothing of the user remains after a cancel"

# SIGUSR1 to corral-launch reaches the job and does not end it
"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
        -- sh -c 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.1; done' >"$TEST_TMP/usr1.out" 2>&1 </dev/null &
lp=$!
wait_ready "$TEST_TMP/usr1.out"
kill -USR1 $lp
wait $lp
is "$?:$(grep -v ready "$TEST_TMP/usr1.out")" "0:got USR1" "SIGUSR1 is forwarded to the job"

# corral-launch killed hard (SIGKILL, no chance to clean up): the job dies
# with it (parent-death signal), its empty cgroup stays, and the library
# call the queue core uses for lost jobs kills and removes it
"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" --job-id lost \
        -- sh -c 'echo ready; exec sleep 100' >"$TEST_TMP/lost.out" 2>&1 </dev/null &
lp=$!
wait_ready "$TEST_TMP/lost.out"
kill -KILL $lp
wait $lp 2>/dev/null
for _ in $(seq 50); do [ "$(count_user_procs "$TUSER")" = 0 ] && break; sleep 0.1; done
is "$(count_user_procs "$TUSER")" 0 "corral-launch SIGKILLed: the job dies with it"
ok "$([ "$(job_cgroups_left)" -gt 0 ] && echo 0 || echo 1)" "... and its cgroup is left (in each hierarchy)"
"$HELPERS/cgjob-tool" clean "$CGPARENT" job-lost >/dev/null
is "$?:$(job_cgroups_left)" "0:0" "cgjob_open/kill/remove clean up a lost job's cgroup"

# an orphan in its own session with nohup is gone when the job ends
run_job default -- sh -c 'setsid nohup sleep 1000 >/dev/null 2>&1 & sleep 0.2; echo started'
is "$RC:$OUT" "0:started" "a job that leaves an orphan ends normally"
is "$(count_user_procs "$TUSER")" 0 "the setsid+nohup orphan is gone"
is "$(job_cgroups_left)" 0 "its cgroup is gone"

# the job's cgroup has the policy's limits while it runs (v1 or v2 names);
# its path as the host names it: private_root's cgroup namespace shows "/"
printf '[policy]\ninherit = small\n[filesystem]\nprivate_root = no\n' >"$POLDIR/smallhost.ini"
chmod 0644 "$POLDIR/smallhost.ini"
run_job smallhost -- cat /proc/self/cgroup
cg=$(printf '%s\n' "$OUT" | awk -F: '$2 == "memory" || $2 == "" {print $3}' | grep job- | head -1)
like "$cg" "^/$CGPARENT/job-" "the job runs in PARENT/job-ID"

# 100 launches, no cgroup left
fails=0
for i in $(seq 100); do
        "$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" -- true \
                </dev/null >/dev/null 2>&1 || fails=$((fails + 1))
done
is "$fails" 0 "100 launches succeed"
is "$(job_cgroups_left)" 0 "no job cgroup is left after 100 launches"
is "$(count_user_procs "$TUSER")" 0 "no process of the user is left"

# a hard limit corral-launch cannot grant (its own hard limit is lower and
# it lacks CAP_SYS_RESOURCE, as in some containers): the job gets the lower
# one, never silently: the result record's warnings say so
printf '[policy]\ninherit = default\n[limits]\nnofile = 65536\n' >"$POLDIR/bignofile.ini"
chmod 0644 "$POLDIR/bignofile.ini"
RESF=$TEST_TMP/res.nofile
out=$(prlimit --nofile=1024:4096 setpriv --bounding-set=-sys_resource -- "$LAUNCH" --policy bignofile \
        --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" --result "$RESF" -- sh -c 'ulimit -Hn' \
        </dev/null 2>"$TEST_TMP/err.nofile")
RES=$(cat "$RESF" 2>/dev/null)
is "$out" 4096 "without CAP_SYS_RESOURCE the job gets corral-launch's own hard nofile limit, lower than the policy's"
like "$RES" '"warnings":\[[^]]*rlimit nofile: the policy.s 65536 is above what this node lets corral grant' \
        "... and the result record's warnings say so, with the policy's value"
RESF=$TEST_TMP/res.nofile2
out=$(prlimit --nofile=1024:4096 "$LAUNCH" --policy bignofile --user "$TUSER" --policy-dir "$POLDIR" \
        --cgroup-parent "$CGPARENT" --result "$RESF" -- sh -c 'ulimit -Hn' </dev/null 2>/dev/null)
RES=$(cat "$RESF" 2>/dev/null)
# the control, where root may raise a hard limit (not in every container)
if prlimit --nofile=1024:65536 true 2>/dev/null; then
        is "$out" 65536 "with CAP_SYS_RESOURCE the job gets the policy's limit"
        ok "$(printf '%s' "$RES" | grep -q 'rlimit nofile' && echo 1 || echo 0)" "... and no warning about it"
else
        skip "root cannot raise a hard limit here (no CAP_SYS_RESOURCE): no control run"
        skip "root cannot raise a hard limit here (no CAP_SYS_RESOURCE): no control run"
fi
done_testing
