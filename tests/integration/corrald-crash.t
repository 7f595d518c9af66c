#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-crash.t — kill -9 of either corrald process in the middle of a
# 200-job run, then a restart: every acknowledged job is accounted for and
# ends in a final state, running launchers are adopted or their jobs marked
# LOST with their cgroups removed, the audit log records the recovery, and no
# cgroup is left. Then an upgrade: the corrald binary is replaced by a new
# file (a new inode, as `make install` or a package upgrade do) while jobs
# run, corrald is stopped (SIGTERM) and started again from the new file: the
# launchers of the old binary are adopted and their jobs COMPLETE; a launcher
# killed while corrald was down makes its job LOST, and so does one whose PID
# was taken meanwhile by a process that looks like a launcher (root, session
# leader, named corral-launch) but started later, which is left alone. A
# launcher without a record (started before records existed) is adopted too.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
[ -x "$CORRAL_BUILD/tests/helpers/spawn-at-pid" ] || plan_skip "tests/helpers/spawn-at-pid not built (make tests)"
plan 31

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

# ---- upgrade: the binary replaced under running launchers ----
corrald_stop
mkdir -p "$TEST_TMP/bin"
CORRALD=$TEST_TMP/bin/corrald # a copy: the build's own file is never replaced
cp "$CORRAL_BUILD/corrald" "$CORRALD"
corrald_start; ok $? "upgrade: corrald starts from a copy of the build"
# each job runs until the test sends its shell SIGUSR1 (so that it surely
# still runs across the restart), then prints its tag and exits 0
ids=()
for n in 1 2 3 4; do
    ids+=("$(submit_as corraltestk -- /bin/sh -c "trap 'echo upgrade-$n; exit 0' USR1; while :; do sleep 1 & wait \$!; done")")
done
running=0
for id in "${ids[@]}"; do wait_state "$id" RUNNING 60 && running=$((running + 1)); done
is "$running" 4 "upgrade: 4 jobs run (${ids[*]})"
lpid() { sqlite3 "$db" "SELECT launcher_pid FROM jobs WHERE id=$1"; }
release_job() { # release_job ID: SIGUSR1 to the job's shell and sleep, in its cgroup
    local f p
    f=$(find /sys/fs/cgroup -path "*/$CG_PARENT/job-$1/cgroup.procs" 2>/dev/null | head -1)
    [ -n "$f" ] || return 1
    for p in $(cat "$f"); do
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in sh | sleep) kill -USR1 "$p" 2>/dev/null ;; esac
    done
}
wait_gone() { local i; for i in $(seq 100); do [ -e "/proc/$1" ] || return 0; sleep 0.1; done; return 1; }

old_ino=$(stat -c %i "$CORRALD")
cp "$CORRAL_BUILD/corrald" "$CORRALD.new" && mv -f "$CORRALD.new" "$CORRALD"
new_ino=$(stat -c %i "$CORRALD")
[ "$old_ino" != "$new_ino" ]; ok $? "upgrade: $CORRALD replaced by a new inode ($old_ino -> $new_ino)"
like "$(readlink "/proc/$(lpid "${ids[0]}")/exe")" '\(deleted\)$' "upgrade: the running launchers' executable is deleted"
kill -TERM "$CORRALD_PID"
for i in $(seq 300); do kill -0 "$CORRALD_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CORRALD_PID" 2>/dev/null; then corrald_stop; st=stuck; else wait "$CORRALD_PID"; st=$?; CORRALD_PID=; fi
alive=0
for id in "${ids[@]}"; do kill -0 "$(lpid "$id")" 2>/dev/null && alive=$((alive + 1)); done
is "$st $alive" "0 4" "upgrade: corrald stops on SIGTERM (exit 0), the 4 launchers go on"
is "$(find "$TEST_TMP/run/results" -name '*.launcher' | wc -l)" 4 "upgrade: each running launcher is recorded in run_dir/results"
# job 2: as if started by a corrald from before the records (an upgrade to
# this one): found by the pid and start time in the queue, and its name
rm -f "$TEST_TMP/run/results/${ids[1]}.launcher"
# job 3: its launcher dies while corrald is down
l3=$(lpid "${ids[2]}")
kill -9 "$l3"; wait_gone "$l3"; ok $? "upgrade: the launcher of job ${ids[2]} is killed"
# job 4: its launcher dies and its PID goes to a lookalike started later
l4=$(lpid "${ids[3]}")
kill -9 "$l4"; wait_gone "$l4"
fake=
if "$CORRAL_BUILD/tests/helpers/spawn-at-pid" "$l4" corral-launch; then
    fake=$l4
    _cleanup_add "kill -9 $fake"
fi
[ -n "$fake" ] && [ "$(cut -d' ' -f2 "/proc/$fake/stat")" = "(corral-launch)" ]
ok $? "upgrade: pid $l4 (the launcher of job ${ids[3]}) now belongs to a root corral-launch lookalike"

corrald_start; ok $? "upgrade: corrald restarts from the replaced file"
for id in "${ids[0]}" "${ids[1]}"; do
    for i in $(seq 100); do
        [ "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE op='recover' AND job=$id AND result IN ('adopted','lost')")" != 0 ] && break
        sleep 0.1
    done
    release_job "$id"
done
is "$(wait_final "${ids[0]}") $(wait_final "${ids[1]}")" "COMPLETED COMPLETED" "upgrade: the jobs of the old binary's launchers are adopted and COMPLETE"
is "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE op='recover' AND result='adopted' AND job IN (${ids[0]},${ids[1]})")" 2 "upgrade: the audit log says both were adopted"
like "$("$CORRAL" logs "${ids[1]}")" "upgrade-2" "upgrade: the adopted job ran to its end (its output)"
is "$(wait_final "${ids[2]}")" LOST "upgrade: a launcher gone without a result: its job is LOST"
is "$(wait_final "${ids[3]}")" LOST "upgrade: a recycled PID is not adopted: its job is LOST"
kill -0 "$fake" 2>/dev/null; ok $? "upgrade: the process that has the recycled PID is left alone"
is "$(find "$TEST_TMP/run/results" -name '*.launcher' | wc -l)" 0 "upgrade: no launcher record is left"
[ -n "$fake" ] && kill -9 "$fake"

corrald_stop
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
is "$(count_user_procs corraltestk)" 0 "no process of the test user is left"
done_testing
