#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-cli.t — the `corral` command line against a real corrald:
# options anywhere on the line (and submit's command keeps its own options);
# list shows the jobs not over and the ones that ended last, with --last,
# --since, --all and a JSON answer that keeps total and truncated, and does
# not lose the newest jobs of a long history; show prints local times.
# Long histories are written straight into the store (jobs that ended at
# known times), the rest runs for real.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 48

make_tmpdir
corrald_setup 2
make_test_user corraltestcli 61191
make_test_user corraltestcl2 61192
make_test_user corraltestcl3 61193
corrald_start --epilogue-dry-run; ok $? "corrald starts"
DB=$TEST_TMP/state/queue.db
U=corraltestcli

# ids of a `list --json` answer, in order, on one line
ids() { sed -n 's/^ *"id": \([0-9]*\),$/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
jfield() { sed -n "s/^  \"$1\": \(.*\)$/\1/p" | sed 's/,$//'; } # a top-level field of a list answer

# --- options anywhere ---
id=$(submit_as $U -- /bin/sleep 300)
wait_state "$id" RUNNING; ok $? "a job runs"
out=$(as $U show "$id" --json); rc=$?
is "$rc" 0 "show ID --json: an option after the job id is accepted"
like "$out" "\"id\": $id," "... and it is the JSON of the job"
like "$(as $U --json show "$id")" "\"id\": $id," "an option before the verb is accepted too"
like "$(as $U show --json "$id")" "\"id\": $id," "and before the id, as before"
err=$(as $U show "$id" 2 2>&1); rc=$?
is "$rc/$err" "2/corral: expected exactly one job id" "two ids are still a usage error"
out=$(as $U cancel "$id" --json); rc=$?
is "$rc" 0 "cancel ID --json"
like "$out" '"ok": true' "... answers in JSON"
as $U cancel "$id" >/dev/null 2>&1 # (again, in case it was not)
is "$(wait_final "$id" 30)" CANCELLED "... and the job is cancelled"
# the README's example: one line for the state, one for the exit
is "$(as $U show "$id" | grep -cE 'state|exit')" 2 "show ID | grep -E 'state|exit' prints two lines"

id=$(submit_as $U --json -- /bin/echo -l --json | sed -n 's/^  "job": \([0-9]*\),$/\1/p')
[ -n "$id" ]; ok $? "submit --json -- CMD: the options before -- are submit's"
wait_final "$id" >/dev/null
is "$(as $U logs "$id")" "-l --json" "... and the ones after it the command's, untouched"
id=$(submit_as $U -- /bin/sh -c 'echo x --json')
wait_final "$id" >/dev/null
is "$(as $U logs "$id")" "x --json" "submit -- /bin/sh -c 'x --json': the command's arguments are not parsed"
id=$(submit_as $U /bin/echo --hold -w 1h)
is "$(wait_final "$id" 30)" COMPLETED "submit CMD --hold: options after the command are its own (not held)"
is "$(as $U logs "$id")" "--hold -w 1h" "... and reach it"
id=$(submit_as $U -- /bin/sh -c 'echo out; echo err >&2')
wait_final "$id" >/dev/null
is "$(as $U logs "$id" --stderr)" "err" "logs ID --stderr: an option after the id"
as $U list --since 2h --json >/dev/null; ok $? "list --since 2h --json"

# --- list: a history written into the store ---
# corraltestcl2: one running job (the oldest), then 30 that ended, the first
# 5 minutes ago, each next one 10 minutes before: by end time, newest first,
# is the order of their ids here
V=corraltestcl2
run=$(submit_as $V -- /bin/sleep 300)
wait_state "$run" RUNNING
now=$(date +%s)
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 30)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time,start_time,end_time,
                   exit_code,exit_signal)
  SELECT 61192,61192,'$V',CASE WHEN i % 2 THEN 'COMPLETED' ELSE 'FAILED' END,'t','[\"/bin/true\"]','[]','/',
         3600000000,printf('%032x', i + 2000000),($now - i * 600 - 3600) * 1000000,($now - i * 600 - 600) * 1000000,
         ($now - i * 600 + 300) * 1000000, i % 2 = 0, 0 FROM n;"
first=$(sqlite3 "$DB" "SELECT min(id) FROM jobs WHERE uid=61192 AND state != 'RUNNING'")
seq_ids() { local s="" k; for ((k = $1; k <= $2; k++)); do s+=" $((first + k - 1))"; done; echo "${s# }"; }

out=$(as $V list --json)
is "$(ids <<<"$out")" "$run $(seq_ids 1 10)" "list: the running job, then the 10 that ended last, newest first"
is "$(jfield total <<<"$out")/$(jfield truncated <<<"$out")" "31/true" "list --json keeps total (31) and truncated (true)"
as $V list >"$TEST_TMP/list.out" 2>"$TEST_TMP/list.err"
is "$(sed -n 2p "$TEST_TMP/list.out" | awk '{print $1, $3}')" "$run RUNNING" "the table starts with the running job"
is "$(wc -l <"$TEST_TMP/list.out")" 12 "... a header and 11 jobs"
like "$(cat "$TEST_TMP/list.err")" "11 of 31 jobs shown.*--last N, --since TIME or --all" "... and says how to see the others"
is "$(as $V list --last 3 --json | ids)" "$run $(seq_ids 1 3)" "list --last 3"
is "$(as $V list --last 0 --json | ids)" "$run" "list --last 0: only the jobs not over"
is "$(as $V list --json --since 2h | ids)" "$run $(seq_ids 1 12)" "list --since 2h: those that ended in the last 2 hours"
since=$(TZ=Asia/Tokyo date -d "@$((now - 7200))" '+%Y-%m-%d %H:%M:%S')
is "$(TZ=Asia/Tokyo as $V list --since "$since" --json | ids)" "$run $(seq_ids 1 12)" \
    "list --since '$since' (a local time, in Tokyo)"
is "$(as $V list --since "@$((now - 3 * 3600))" --last 5 --json | ids)" "$run $(seq_ids 1 5)" "--since and --last together"
out=$(as $V list --all --json)
is "$(ids <<<"$out")" "$run $(seq_ids 1 30)" "list --all: every job"
is "$(jfield total <<<"$out")/$(jfield truncated <<<"$out")" "31/false" "... total 31, not truncated"
as $V list --all 2>&1 >/dev/null | grep -q .; is $? 1 "... and the table has no note"
is "$(as $V list --state failed --last 2 --json | ids)" "$(seq_ids 2 2) $(seq_ids 4 4)" "--state filters first, --last counts what is left"
err=$(as $V list --all --last 3 2>&1); rc=$?
is "$rc/$err" "2/corral: --all lists every job: drop it to use --last or --since" "--all with --last is a usage error"
err=$(as $V list --since soon 2>&1); rc=$?
is "$rc" 2 "--since with a bad time is a usage error"
like "$err" "--since expects a duration \(2h, 1d\), a local date and time" "... that says what it takes"
as $V list --all-users >/dev/null 2>&1; is $? 1 "a user cannot list every user's jobs"

# corraltestcl3: 400 jobs that ended days ago and one that just ended: more
# than one answer holds; the newest is the one shown first, not left out
W=corraltestcl3
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 400)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time,start_time,end_time,
                   exit_code,exit_signal)
  SELECT 61193,61193,'$W','COMPLETED','t','[\"/bin/echo\",\"a long enough argument to fill the answer\"]','[]','/',
         3600000000,printf('%032x', i + 3000000),($now - 864000 + i) * 1000000,($now - 864000 + i) * 1000000,
         ($now - 864000 + i) * 1000000, 0, 0 FROM n;"
newest=$(submit_as $W -- /bin/true)
is "$(wait_final "$newest")" COMPLETED "a job of a user with a long history runs"
out=$(as $W list --all --json)
n=$(ids <<<"$out" | wc -w)
is "$(jfield total <<<"$out")/$(jfield truncated <<<"$out")" "401/true" "a long history: total 401, truncated"
[ "$n" -gt 50 ] && [ "$n" -lt 401 ]; ok $? "... as many as fit one answer ($n)"
is "$(ids <<<"$out" | cut -d' ' -f1)" "$newest" "... and the first is the job that ended last"
like "$(as $W list --all 2>&1 >/dev/null)" "$n of 401 jobs shown \(no more fit one answer\)" "the table says so"
is "$(as $W list --json | ids)" "$newest $(sqlite3 "$DB" "SELECT id FROM jobs WHERE uid=61193 AND id != $newest ORDER BY id DESC LIMIT 9" | tr '\n' ' ' | sed 's/ $//')" \
    "list: the 10 that ended last of them"

# --- show: local times ---
j=$(seq_ids 1 1)
end=$(job_field "$j" ended)
is "$end" "$((now + 300 - 600))" "show --json: ended is still seconds since the epoch"
out=$(TZ=Asia/Tokyo as $V show "$j")
is "$(sed -n 's/^ended  *//p' <<<"$out")" "$(TZ=Asia/Tokyo date -d "@$end" '+%Y-%m-%d %H:%M:%S JST')" "show: ended as a local time (Tokyo)"
is "$(sed -n 's/^submitted  *//p' <<<"$out")" "$(TZ=Asia/Tokyo date -d "@$(job_field "$j" submitted)" '+%Y-%m-%d %H:%M:%S JST')" "... and submitted"
out=$(as $V show "$run")
is "$(sed -n 's/^ended  *//p' <<<"$out")" "-" "a running job has not ended: '-'"
is "$(grep -cE '^(submitted|started|ended) +[0-9]+$' <<<"$out")" 0 "no time is shown as bare epoch seconds"
like "$(sed -n 's/^command  *//p' <<<"$out")" "^/bin/sleep 300$" "show: the command as a line"
as $V cancel "$run" >/dev/null
wait_final "$run" >/dev/null
[ "$_tap_failed" = 0 ] || tail -30 "$TEST_TMP/corrald.log" | sed 's/^/# /'
done_testing
