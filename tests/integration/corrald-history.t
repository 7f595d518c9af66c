#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-history.t — history at scale, against a real corrald:
#  - `corral history`: the jobs that ended, in the order they ended, filtered
#    by --since/--until and --state, with --output columns, --noheadings and
#    --json, paged (more jobs than one answer holds); a user sees only their
#    own history, an admin anyone's;
#  - `corral list`: the jobs not over and the last that ended by default,
#    every one with --all, --output and --noheadings;
#  - the purge: finished jobs beyond keep_finished (age) and
#    keep_finished_jobs (count) lose their rows and their output directories
#    (a symlink in one is removed, not followed), audit rows beyond
#    keep_audit go; a running or held job and its directory stay, however
#    old.
# Old histories are written straight into the store (jobs that ended at
# known times); the rest runs for real.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 46

make_tmpdir
corrald_setup 2
cat >>"$TEST_TMP/corral.conf" <<EOC
keep_finished = 1h
keep_finished_jobs = 100000
keep_audit = 1h
purge_interval = 1s
EOC
make_test_user corraltesthi 61291
make_test_user corraltesth2 61292
U=corraltesthi
V=corraltesth2
DB=$TEST_TMP/state/queue.db
OUT=$TEST_TMP/output
corrald_start --epilogue-dry-run; ok $? "corrald starts with keep_finished, keep_finished_jobs, keep_audit and purge_interval"

ids() { sed -n 's/^ *"id": \([0-9]*\),$/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
now=$(date +%s)
# ins UID USER STATE COUNT OIDBASE END_AGO STEP: COUNT jobs, the i-th ended
# END_AGO + i*STEP seconds ago (i from 1), output ids OIDBASE + i
ins() {
    sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $4)
      INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time,start_time,end_time,
                       exit_code,exit_signal,epilogue)
      SELECT $1,$1,'$2','$3','t','[\"/bin/echo\",\"history\"]','[]','/',3600000000,printf('%032x', i + $5),
             ($now - $6 - i * $7 - 120) * 1000000,($now - $6 - i * $7 - 60) * 1000000,
             ($now - $6 - i * $7) * 1000000, 0, 0, '{\"skipped\":\"written by the test\"}' FROM n;"
}
dbids() { sqlite3 "$DB" "$1" | tr '\n' ' ' | sed 's/ $//'; }

# --- real jobs of U: one completes, one fails, one keeps running ---
ok_id=$(submit_as $U -- /bin/echo hello)
is "$(wait_final "$ok_id")" COMPLETED "a job of $U completes"
bad_id=$(submit_as $U -- /bin/false)
is "$(wait_final "$bad_id")" FAILED "one fails"
run_id=$(submit_as $U -- /bin/sleep 300)
wait_state "$run_id" RUNNING; ok $? "one runs"

# --- history ---
is "$(as $U history --json | ids)" "$ok_id $bad_id" "history: the jobs that ended, in the order they ended (not the running one)"
is "$(as $U history --state failed --json | ids)" "$bad_id" "history --state failed"
err=$(as $U history --state running 2>&1); rc=$?
is "$rc" 2 "history --state RUNNING is a usage error"
like "$err" "not a state a job ends in" "... that says why"
out=$(as $U history -o id,state,exit --noheadings)
is "$(echo $out)" "$ok_id COMPLETED 0:0 $bad_id FAILED 1:0" "history -o id,state,exit --noheadings: those columns, no header"
is "$(as $U history --format ID,User | head -1 | tr -s ' ' | sed 's/ $//')" "ID USER" "--format (any case): the header names the columns"
like "$(as $U history -o id,maxrss,cpu,elapsed | sed -n 2p)" "^ *$ok_id +[0-9.]+[KMG]? +[0-9.]+m?s +00:00:0[0-9]$" \
    "maxrss, cpu and elapsed come from the job's usage"
err=$(as $U history -o id,bogus 2>&1); rc=$?
is "$rc/$err" "2/corral: unknown column 'bogus' (see --help for the list)" "an unknown column is a usage error naming it"
like "$(as $U history --json)" '"usage": \{' "history --json: each job has its usage"

# V: 30 jobs that ended 10, 11, ... 39 minutes ago (30 ended first)
ins 61292 $V COMPLETED 30 5000000 540 60
v=$(dbids "SELECT id FROM jobs WHERE uid=61292 ORDER BY end_time")
first=$(sqlite3 "$DB" "SELECT min(id) FROM jobs WHERE uid=61292")
# ended from 25 minutes ago (included) to 15 minutes ago (excluded): 10 of them
want=$(dbids "SELECT id FROM jobs WHERE uid=61292 AND end_time >= ($now - 1500) * 1000000 AND end_time < ($now - 900) * 1000000 ORDER BY end_time")
is "$(as $V history --since "@$((now - 1500))" --until "@$((now - 900))" --json | ids)" "$want" "history --since --until: the window, in end order"
is "$(echo "$want" | wc -w)" 10 "... (10 jobs)"
is "$(as $V history --since 2h --json | ids)" "$v" "history --since 2h: all 30, the one that ended first first"
err=$(as $V history --since 1h --until 2h 2>&1); rc=$?
is "$rc" 2 "--until before --since is a usage error"

# a user cannot see another's history; an admin (root) can
out=$(as $U history --since 2h --json)
is "$(ids <<<"$out")" "$ok_id $bad_id" "$U's history has none of $V's jobs"
err=$(as $U history -u $V 2>&1); rc=$?
is "$rc/$err" "1/corral: only admins may see other users' history" "$U cannot see $V's history"
as $U history --all-users >/dev/null 2>&1; is $? 1 "... nor every user's"
is "$("$CORRAL" history -u $V --since 2h --json | ids)" "$v" "an admin sees $V's history"
is "$("$CORRAL" history --all-users --since 2h --json | ids | wc -w)" 32 "... and every user's (32 jobs)"

# paging: 700 more of V, more than one answer holds
ins 61292 $V FAILED 700 6000000 2400 1
is "$(as $V history --since 2h --json | ids | wc -w)" 730 "history: 730 jobs, over several answers, none lost"
is "$(as $V history --since 2h --json | ids | tr ' ' '\n' | sort -u | wc -l)" 730 "... none twice"
is "$(as $V history --since 2h -o id --noheadings | wc -l)" 730 "... and as a table"

# --- list ---
is "$(as $U list -o id,state --noheadings | tr -s ' ' | sed 's/^ //')" "$run_id RUNNING
$bad_id FAILED
$ok_id COMPLETED" "list -o id,state --noheadings: the job not over, then those that ended, newest first"
is "$(as $V list -o id --noheadings | wc -l)" 10 "list: by default the 10 that ended last"
out=$(as $V list --all --json)
is "$(sed -n 's/^  "total": \([0-9]*\),$/\1/p' <<<"$out")/$(sed -n 's/^  "truncated": \(.*\)$/\1/p' <<<"$out")" "730/true" \
    "list --all --json: its shape unchanged (total, truncated)"
[ "$(as $V list --all -o id --noheadings | wc -l)" -gt 100 ]; ok $? "list --all: every job that fits one answer, not 10"
is "$(as $U list | head -1 | tr -s ' ' | sed 's/ $//')" "ID USER STATE POLICY NAME ARRAY SUBMITTED EXIT PENDING COMMAND" "list: the default columns"
err=$(as $U list -o nope 2>&1); rc=$?
is "$rc" 2 "list -o with an unknown column is a usage error"

# --- purge by age, with output directories ---
# 5 jobs of V that ended 2 to 3 hours ago, each with an output directory
# (files, a subdirectory, a symlink to a file outside); a HELD job as old;
# audit rows 2 hours old
for i in 1 2 3 4 5; do
    d=$OUT/$(printf '%032x' $((i + 7000000)))
    mkdir -p "$d/sub"; echo out >"$d/stdout"; echo err >"$d/sub/f"
    ln -s "$TEST_TMP/outside" "$d/link"
    chown -R $V "$d"
done
echo keep >"$TEST_TMP/outside"
ins 61292 $V TIMEOUT 5 7000000 7200 600
old=$(dbids "SELECT id FROM jobs WHERE output_id >= printf('%032x', 7000001) AND output_id <= printf('%032x', 7000005)")
ins 61292 $V HELD 1 8000000 7200 600
held=$(sqlite3 "$DB" "SELECT id FROM jobs WHERE output_id = printf('%032x', 8000001)")
mkdir -p "$OUT/$(printf '%032x' 8000001)"
# 500 jobs of U that ended 2 hours ago: more than one batch
ins 61291 $U COMPLETED 500 9000000 7200 1
run_dir=$(job_field "$run_id" output_dir)
sqlite3 "$DB" "UPDATE jobs SET start_time = start_time - 7200000000, submit_time = submit_time - 7200000000 WHERE id = $run_id"
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000)
  INSERT INTO audit(time, uid, pid, op, job, result, detail) SELECT ($now - 7200) * 1000000, 61292, 1, 'old', NULL, 'denied', NULL FROM n;"
recent_audit=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE time > ($now - 3600) * 1000000")
gone=1
for i in $(seq 300); do
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE end_time > 0 AND end_time < ($now - 3600) * 1000000 AND state != 'HELD'")" = 0 ] &&
        [ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE op = 'old'")" = 0 ] && { gone=0; break; }
    sleep 0.1
done
is "$gone" 0 "the jobs that ended over keep_finished ago (505) and the old audit rows (3000) are purged"
is "$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE id IN (${old// /,})")" 0 "... the 5 old jobs' rows are gone"
left=0; for i in 1 2 3 4 5; do [ -e "$OUT/$(printf '%032x' $((i + 7000000)))" ] && left=$((left + 1)); done
is "$left" 0 "... and their output directories"
is "$(cat "$TEST_TMP/outside" 2>&1)" keep "... the file a symlink in one pointed to is untouched"
is "$(sqlite3 "$DB" "SELECT state FROM jobs WHERE id = $held")" HELD "an old held job is not purged"
[ -d "$OUT/$(printf '%032x' 8000001)" ]; ok $? "... nor its directory"
is "$(job_field "$run_id" state)" RUNNING "a running job that started over keep_finished ago is not purged"
[ -f "$run_dir/stdout" ]; ok $? "... nor its output directory"
is "$(as $V history --since 2h --json | ids | wc -w)" 730 "jobs within keep_finished are kept"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE time > ($now - 3600) * 1000000")" -ge "$recent_audit" ]; ok $? "recent audit rows are kept"
like "$(cat "$TEST_TMP/corrald.log")" "Purged [0-9]+ ended jobs" "corrald logs what it purged"

# --- purge by count: keep_finished_jobs = 5, applied at start ---
corrald_stop
sed -i 's/^keep_finished_jobs = .*/keep_finished_jobs = 5/' "$TEST_TMP/corral.conf"
corrald_start --epilogue-dry-run; ok $? "corrald restarts with keep_finished_jobs = 5"
want=$(dbids "SELECT id FROM jobs WHERE state IN ('COMPLETED','FAILED','CANCELLED','TIMEOUT','OUT_OF_MEMORY','LOST') ORDER BY end_time DESC, id DESC LIMIT 5" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
n=
for i in $(seq 300); do
    n=$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE state IN ('COMPLETED','FAILED','CANCELLED','TIMEOUT','OUT_OF_MEMORY','LOST')")
    [ "$n" = 5 ] && break
    sleep 0.1
done
is "$n" 5 "only the 5 jobs that ended last are kept"
is "$(dbids "SELECT id FROM jobs WHERE state IN ('COMPLETED','FAILED','CANCELLED','TIMEOUT','OUT_OF_MEMORY','LOST') ORDER BY id")" "$want" "... they are the ones that ended last"
is "$(sqlite3 "$DB" "SELECT state FROM jobs WHERE id IN ($run_id, $held) ORDER BY id")" "RUNNING
HELD" "... and the running and held jobs stay"

as $U cancel "$run_id" >/dev/null
wait_final "$run_id" >/dev/null
[ "$_tap_failed" = 0 ] || tail -30 "$TEST_TMP/corrald.log" | sed 's/^/# /'
done_testing
