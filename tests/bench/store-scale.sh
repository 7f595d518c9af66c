#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/store-scale.sh — `make bench`: the queue at scale (issue 13,
# item 9). A store with 1,000,000 finished jobs (ended over the last 60 days)
# and 100,000 queued (95,000 of one user, 5,000 of a second; a third user
# has 3), written straight into the SQLite file, the node drained so that
# nothing runs; then, each the median of 5 runs (wall time of the command):
#  1. corrald's start on that store;
#  2. `corral list` (the jobs not over, the default): as the user with
#     95,000 queued (one answer's worth), as the user with 3, as an admin
#     for every user; `corral show` of a queued job and of a job that ended
#     two months ago;
#  3. submit latency, p50 and p99, of 2,000 more submissions (durable: each
#     acknowledged after its commit is fsynced) onto that store;
#  4. the daemon's RSS (root helper + core);
#  5. the purge at the next start with keep_finished_jobs = 100,000: the
#     time until it is done and the store's size before, after, and after
#     VACUUM.
# BENCH_FINISHED and BENCH_QUEUED change the sizes.
set -u
. "$(dirname "$0")/../lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
N=${BENCH_FINISHED:-1000000}
Q=${BENCH_QUEUED:-100000}
KEEP=$((N / 10))
make_tmpdir
MAXQ=1000000 corrald_setup 2
printf 'keep_finished = 0\nkeep_finished_jobs = 0\n' >>"$TEST_TMP/corral.conf"
make_test_user corraltestsa 61297
make_test_user corraltestsb 61298
make_test_user corraltestsc 61299
db=$TEST_TMP/state/queue.db
corrald_start || exit 1 # makes the store
corrald_stop
now=$(date +%s)
t0=$(date +%s%N)
# finished: ended i * 60 days / N ago, every 7th FAILED, 1 in 20 of the
# second user; queued: submitted over the last hour
sqlite3 "$db" "PRAGMA journal_mode=WAL; BEGIN;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $N)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time,start_time,end_time,
                   exit_code,exit_signal,epilogue,result)
  SELECT CASE WHEN i % 20 THEN 61297 ELSE 61298 END, 61297, CASE WHEN i % 20 THEN 'corraltestsa' ELSE 'corraltestsb' END,
         CASE WHEN i % 7 THEN 'COMPLETED' ELSE 'FAILED' END,'t','[\"/usr/bin/python3\",\"train.py\",\"--epochs\",\"10\"]',
         '[\"PATH=/usr/bin:/bin\",\"HOME=/home/u\"]','/home/u/project',3600000000,printf('%032x', i + 10000000),
         ($now - i * 5184 / ($N / 1000) - 600) * 1000000, ($now - i * 5184 / ($N / 1000) - 300) * 1000000,
         ($now - i * 5184 / ($N / 1000)) * 1000000, i % 7 != 0, 0, '{\"summary\":{\"message\":\"clean\"}}',
         '{\"usage\":{\"memory_peak_bytes\":104857600,\"cpu_user_usec\":250000000,\"cpu_system_usec\":1000000}}'
  FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $Q)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time)
  SELECT CASE WHEN i % 20 THEN 61297 ELSE 61298 END, 61297, CASE WHEN i % 20 THEN 'corraltestsa' ELSE 'corraltestsb' END,
         'QUEUED','t','[\"/bin/true\"]','[]','/',3600000000, printf('%032x', i + 20000000),
         ($now - 3600 + i * 3600 / $Q) * 1000000 FROM n;
  INSERT OR REPLACE INTO settings(key,value) VALUES('drained','1');
  COMMIT;" >/dev/null || exit 1
t_fill=$((($(date +%s%N) - t0) / 1000000))
size_before=$(stat -c %s "$db")

t0=$(date +%s%N)
corrald_start || exit 1
t_start=$((($(date +%s%N) - t0) / 1000000))
for _ in 1 2 3; do submit_as corraltestsc -- /bin/true >/dev/null; done
queued_id=$(sqlite3 "$db" "SELECT max(id) FROM jobs WHERE state='QUEUED' AND uid=61297")
old_id=$(sqlite3 "$db" "SELECT min(id) FROM jobs WHERE uid=61297")

t_list_a=$(bench_ms run_as corraltestsa "$CORRAL" list)
n_list_a=$(run_as corraltestsa "$CORRAL" list --noheadings 2>/dev/null | wc -l)
t_list_a_json=$(bench_ms run_as corraltestsa "$CORRAL" list --json)
t_list_c=$(bench_ms run_as corraltestsc "$CORRAL" list)
t_list_all=$(bench_ms "$CORRAL" list --all-users)
t_show_q=$(bench_ms run_as corraltestsa "$CORRAL" show "$queued_id")
t_show_old=$(bench_ms run_as corraltestsa "$CORRAL" show "$old_id")
t_show_old_json=$(bench_ms run_as corraltestsa "$CORRAL" show --json "$old_id")
t_show_foreign=$(bench_ms run_as corraltestsc "$CORRAL" show "$old_id")

# submit latency onto the big store (the node stays drained)
run_as corraltestsc "$CORRAL_BUILD/tests/helpers/benchsubmit" "$SOCK" 2000 >"$TEST_TMP/lat" || exit 1
read -r p50 p99 < <(sort -n "$TEST_TMP/lat" | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')
rss=$(corrald_rss_kb)

# the purge at start, to KEEP
corrald_stop
sed -i "s/^keep_finished_jobs = .*/keep_finished_jobs = $KEEP/" "$TEST_TMP/corral.conf"
t0=$(date +%s%N)
corrald_start || exit 1
t_ready=$((($(date +%s%N) - t0) / 1000000))
t_list_during=$(bench_ms run_as corraltestsc "$CORRAL" list)
while ! grep -q "Purged" "$TEST_TMP/corrald.log"; do sleep 0.1; done
t_purge=$((($(date +%s%N) - t0) / 1000000))
left=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state IN ('COMPLETED','FAILED')")
queued=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state='QUEUED'")
corrald_stop
size_after=$(stat -c %s "$db")
t0=$(date +%s%N)
sqlite3 "$db" "VACUUM"
t_vacuum=$((($(date +%s%N) - t0) / 1000))
size_vacuum=$(stat -c %s "$db")

mb() { echo "$1 / 1048576" | bc -l; }
printf '\nthe queue at scale (%s, %s cores): %d finished jobs, %d queued (node drained)\n' "$(uname -r)" "$(nproc)" "$N" "$Q"
printf '  store written straight (one transaction)  %6d ms, %.1f MB\n' "$t_fill" "$(mb "$size_before")"
printf '  corrald start on it                       %6d ms\n' "$t_start"
printf '  list, user with %d queued (%d lines)  %6s ms   --json %s ms\n' $((Q - Q / 20)) "$n_list_a" "$t_list_a" "$t_list_a_json"
printf '  list, user with 3 queued                  %6s ms\n' "$t_list_c"
printf '  list --all-users (admin)                  %6s ms\n' "$t_list_all"
printf '  show, a queued job                        %6s ms\n' "$t_show_q"
printf '  show, a job ended 60 days ago             %6s ms   --json %s ms; another user asking %s ms\n' \
    "$t_show_old" "$t_show_old_json" "$t_show_foreign"
printf '  submit latency (durable ack), 2,000       p50 %.2f ms   p99 %.2f ms\n' "$p50" "$p99"
printf '  daemon RSS (helper + core)                %6.1f MB   target <= 20 MB\n' "$(echo "$rss / 1024" | bc -l)"
printf '  purge to %d at start: answering after %d ms (list during it %s ms), done after %.1f s; %d ended and %d queued left\n' \
    "$KEEP" "$t_ready" "$t_list_during" "$(echo "$t_purge / 1000" | bc -l)" "$left" "$queued"
printf '  store: %.1f MB before, %.1f MB after the purge, %.1f MB after VACUUM (%.1f s)\n' \
    "$(mb "$size_before")" "$(mb "$size_after")" "$(mb "$size_vacuum")" "$(echo "$t_vacuum / 1000000" | bc -l)"
