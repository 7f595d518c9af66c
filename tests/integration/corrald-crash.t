#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-crash.t — kill -9 of either corrald process in the middle of a
# 200-job run, then a restart: every acknowledged job is accounted for and
# ends in a final state, running launchers are adopted or their jobs marked
# LOST with their cgroups removed, the audit log records the recovery, and no
# cgroup is left.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 15

make_tmpdir
corrald_setup 4
make_test_user corraltestk 61121
corrald_start; ok $? "corrald starts"
db=$TEST_TMP/state/queue.db

all_final() {
    sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state NOT IN ('COMPLETED','FAILED','CANCELLED','TIMEOUT','OUT_OF_MEMORY','LOST') OR (epilogue IS NULL AND start_time > 0)"
}
wait_all_final() {
    local i
    for i in $(seq 1200); do [ "$(all_final)" = 0 ] && return 0; sleep 0.1; done
    return 1
}

submit_batch() { # submit_batch N TAG
    # submitted held by the user, then released by root (an admin): a
    # submit loop running as the user would itself be cleaned up by the
    # epilogue of the user's first job, which is what the epilogue is for
    # every tenth job runs ~3 s, so that some are running when the kill comes
    run_as corraltestk bash -c "for i in \$(seq 1 $1); do
        '$CORRAL' submit --hold -- /bin/sh -c \"sleep \$(( i % 10 == 0 ? 3 : 0 )).\$((RANDOM % 5)); echo $2-\$i\" || echo FAIL; done" \
        >"$TEST_TMP/acked-$2"
    local id
    for id in $(grep -E '^[0-9]+$' "$TEST_TMP/acked-$2"); do "$CORRAL" release "$id" >/dev/null; done
}

for round in core helper; do
    submit_batch 100 "$round"
    # some finished and some running, then kill -9 one of the two processes
    for i in $(seq 300); do
        done_n=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state='COMPLETED' AND argv LIKE '%$round-%'")
        running=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state IN ('RUNNING','STARTING')")
        [ "$done_n" -ge 10 ] && [ "$running" -ge 2 ] && break; sleep 0.05
    done
    core=$(corrald_core_pid)
    if [ "$round" = core ]; then victim=$core; else victim=$CORRALD_PID; fi
    kill -9 "$victim"
    # both processes end (the other notices and exits): wait for both
    for i in $(seq 100); do
        kill -0 "$CORRALD_PID" 2>/dev/null || kill -0 "$core" 2>/dev/null || break; sleep 0.1
    done
    kill -0 "$CORRALD_PID" 2>/dev/null; is $? 1 "kill -9 of the $round ($running jobs active): corrald exits"
    wait "$CORRALD_PID" 2>/dev/null; CORRALD_PID=
    acked=$(grep -Ec '^[0-9]+$' "$TEST_TMP/acked-$round")
    stored=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE argv LIKE '%$round-%'")
    is "$stored" "$acked" "$round: every acknowledged job ($acked) is stored"
    corrald_start; ok $? "$round: corrald restarts"
    wait_all_final; ok $? "$round: every job reaches a final state after the restart"
    bad=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE argv LIKE '%$round-%' AND state NOT IN ('COMPLETED','LOST')")
    is "$bad" 0 "$round: each job COMPLETED or, if its launcher vanished, LOST"
    rec=$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE op='recover'")
    [ "$rec" -ge "$running" ] && [ "$running" -ge 1 ]; ok $? "$round: the audit log records the recovery of the $running active jobs ($rec entries)"
done
corrald_stop
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
is "$(count_user_procs corraltestk)" 0 "no process of the test user is left"
done_testing
