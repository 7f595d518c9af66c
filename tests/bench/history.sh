#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/history.sh — `make bench`: history at scale (issue 13, item 6).
# A store with 100,000 finished jobs (one user's, ended over the last 30
# days, 5,000 of them another user's) and a few running; then:
#  1. corrald's start (recovery reads only what runs);
#  2. `corral list` (the jobs not over and the last 10), as the user and
#     as an admin for every user;
#  3. `corral history` for today, for the last hour, for 30 days (every job,
#     page after page), and --state FAILED over 30 days;
#  4. the purge to keep_finished_jobs = 50,000 at the next start: how long,
#     and the store's size before and after.
# Each figure is the median of 5 runs (wall time of the command).
set -u
. "$(dirname "$0")/../lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
N=${BENCH_HISTORY:-100000}
make_tmpdir
corrald_setup 2
printf 'keep_finished = 0\nkeep_finished_jobs = 0\n' >>"$TEST_TMP/corral.conf"
make_test_user corraltesthb 61295
make_test_user corraltesthc 61296
db=$TEST_TMP/state/queue.db
corrald_start || exit 1 # makes the store
corrald_stop
now=$(date +%s)
# ended i * 30 days / N ago; every 7th FAILED; 1 in 20 of the other user
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $N)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time,start_time,end_time,
                   exit_code,exit_signal,epilogue,result)
  SELECT CASE WHEN i % 20 THEN 61295 ELSE 61296 END, 61295, CASE WHEN i % 20 THEN 'corraltesthb' ELSE 'corraltesthc' END,
         CASE WHEN i % 7 THEN 'COMPLETED' ELSE 'FAILED' END,'t','[\"/usr/bin/python3\",\"train.py\",\"--epochs\",\"10\"]',
         '[\"PATH=/usr/bin:/bin\",\"HOME=/home/u\"]','/home/u/project',3600000000,printf('%032x', i + 1000000),
         ($now - i * 2592 / ($N / 1000) - 600) * 1000000, ($now - i * 2592 / ($N / 1000) - 300) * 1000000,
         ($now - i * 2592 / ($N / 1000)) * 1000000, i % 7 != 0, 0, '{\"summary\":{\"message\":\"clean\"}}',
         '{\"usage\":{\"memory_peak_bytes\":104857600,\"cpu_user_usec\":250000000,\"cpu_system_usec\":1000000}}'
  FROM n;"
size_before=$(stat -c %s "$db")

median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }
# ms CMD...: the median wall time of 5 runs, in ms
ms() {
    local i t0 t1
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | median | awk '{printf "%.1f", $1 / 1000}'
}

t0=$(date +%s%N)
corrald_start || exit 1
t_start=$((($(date +%s%N) - t0) / 1000000))
running=$(for i in 1 2 3; do submit_as corraltesthb -- /bin/sleep 300; done)

U=corraltesthb
t_list=$(ms run_as $U "$CORRAL" list)
t_list_json=$(ms run_as $U "$CORRAL" list --json)
t_list_all=$(ms "$CORRAL" list --all-users)
t_hist_today=$(ms run_as $U "$CORRAL" history)
n_today=$(run_as $U "$CORRAL" history --noheadings -o id | wc -l)
t_hist_hour=$(ms run_as $U "$CORRAL" history --since 1h)
n_hour=$(run_as $U "$CORRAL" history --since 1h --noheadings -o id | wc -l)
t_hist_30d=$(ms run_as $U "$CORRAL" history --since 31d)
n_30d=$(run_as $U "$CORRAL" history --since 31d --noheadings -o id | wc -l)
t_hist_30d_json=$(ms run_as $U "$CORRAL" history --since 31d --json)
t_hist_failed=$(ms run_as $U "$CORRAL" history --since 31d --state failed)
n_failed=$(run_as $U "$CORRAL" history --since 31d --state failed --noheadings -o id | wc -l)
t_hist_other=$(ms "$CORRAL" history -u corraltesthc --since 31d)
rss=0
for p in "$CORRALD_PID" $(ps -o pid= --ppid "$CORRALD_PID"); do
    [ "$(ps -o comm= -p "$p")" = corrald ] || continue
    rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
done

# 4. the purge at start, to 50,000
corrald_stop
sed -i 's/^keep_finished_jobs = .*/keep_finished_jobs = 50000/' "$TEST_TMP/corral.conf"
t0=$(date +%s%N)
corrald_start || exit 1
t_ready=$((($(date +%s%N) - t0) / 1000000))
while ! grep -q "Purged" "$TEST_TMP/corrald.log"; do sleep 0.05; done
t_purge=$((($(date +%s%N) - t0) / 1000000))
t_list_after=$(ms run_as $U "$CORRAL" list)
left=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state IN ('COMPLETED','FAILED')")
for id in $running; do "$CORRAL" cancel "$id" >/dev/null; done
for id in $running; do wait_final "$id" >/dev/null; done
corrald_stop
size_after=$(stat -c %s "$db")
sqlite3 "$db" "VACUUM"
size_vacuum=$(stat -c %s "$db")

printf '\nhistory at scale (%s, %s cores): %d finished jobs, 3 running\n' "$(uname -r)" "$(nproc)" "$N"
printf '  corrald start (recovery)             %6d ms\n' "$t_start"
printf '  list (user: 3 running + last 10)     %6s ms   --json %s ms\n' "$t_list" "$t_list_json"
printf '  list --all-users (admin)             %6s ms\n' "$t_list_all"
printf '  history (today: %5d jobs)           %6s ms\n' "$n_today" "$t_hist_today"
printf '  history --since 1h (%4d jobs)         %6s ms\n' "$n_hour" "$t_hist_hour"
printf '  history --since 31d (%6d jobs)     %6s ms   --json %s ms\n' "$n_30d" "$t_hist_30d" "$t_hist_30d_json"
printf '  history --since 31d --state failed (%5d) %6s ms\n' "$n_failed" "$t_hist_failed"
printf '  history -u OTHER --since 31d (admin)  %6s ms\n' "$t_hist_other"
printf '  daemon RSS after these               %6.1f MB (helper + core)\n' "$(echo "$rss / 1024" | bc -l)"
printf '  purge to 50,000 at start: ready %d ms, purged (%d left) after %d ms; list right after %s ms\n' \
    "$t_ready" "$left" "$t_purge" "$t_list_after"
printf '  store: %.1f MB before, %.1f MB after the purge (%.1f MB after VACUUM)\n' \
    "$(echo "$size_before / 1048576" | bc -l)" "$(echo "$size_after / 1048576" | bc -l)" "$(echo "$size_vacuum / 1048576" | bc -l)"
