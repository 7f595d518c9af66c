#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/corrald.sh — `make bench`: corrald end to end.
#  1. submit latency: 2,000 submissions (durable: each acknowledged after its
#     SQLite commit is fsynced), p50/p99, while the node is drained;
#  2. throughput: resume, and time until all 2,000 trivial jobs are final
#     with full containment (corral-launch, default policy) and their
#     epilogues done: jobs/s;
#  3. daemon RSS (root helper + core) with 100,000 queued jobs.
# Targets (issue 5): >= 300 jobs/s, <= 30 MB RSS.
set -u
. "$(dirname "$0")/../lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
N=${BENCH_JOBS:-2000}
QUEUED=${BENCH_QUEUED:-100000}
SLOTS=${BENCH_SLOTS:-8}
make_tmpdir
corrald_setup "$SLOTS"
# run_dir (launch logs and result records, a few small files per job) on a
# tmpfs, as on a real node: /run/corral (corral-tmpfiles.conf); /run on this
# machine is not a tmpfs
mkdir -p "$TEST_TMP/run"
mount -t tmpfs -o mode=0755,size=64m corraltest-run "$TEST_TMP/run" && _cleanup_add "umount '$TEST_TMP/run'"
make_test_user corraltestbench 61141
# BENCH_CORRALD_ARGS: more corrald options, e.g. "--launch PATH --epilogue PATH"
# to exec the programs instead of running them in forked children
# shellcheck disable=SC2086
corrald_start ${BENCH_CORRALD_ARGS:-} || exit 1
"$CORRAL" drain >/dev/null

# 1. submit latency (the submitter must be gone before jobs run: the
#    epilogue of the first job would clean it up as the user's leftover)
run_as corraltestbench "$CORRAL_BUILD/tests/helpers/benchsubmit" "$SOCK" "$N" >"$TEST_TMP/lat" || exit 1
read -r p50 p99 < <(sort -n "$TEST_TMP/lat" | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')

# 2. throughput
db=$TEST_TMP/state/queue.db
t0=$(date +%s.%N)
"$CORRAL" resume >/dev/null
while :; do
    left=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE epilogue IS NULL")
    [ "$left" = 0 ] && break
    # each poll is a process taking CPU from the daemon: rarely until the
    # end is near, then often
    if [ "$left" -gt $((SLOTS * 8)) ]; then sleep 0.25; else sleep 0.01; fi
done
t1=$(date +%s.%N)
completed=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state='COMPLETED'")
secs=$(echo "$t1 - $t0" | bc -l)
rate=$(echo "$N / $secs" | bc -l)

# 3. RSS with QUEUED queued jobs (inserted straight into the store: the
#    point is what the daemon holds, not how long 100,000 fsyncs take)
corrald_stop
sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $QUEUED)
  INSERT INTO jobs(uid,gid,user,state,policy,argv,env,cwd,walltime,output_id,submit_time)
  SELECT 61141,61141,'corraltestbench','QUEUED','t','[\"/bin/true\"]','[]','/',3600000000,
         printf('%032x', i + 1000000), 0 FROM n;"
sqlite3 "$db" "UPDATE settings SET value='1' WHERE key='drained'" # start drained: nothing runs
corrald_start --slots 1 ${BENCH_CORRALD_ARGS:-} || exit 1
"$CORRAL" list --all-users --all --json >/dev/null 2>&1
rss=0
for p in "$CORRALD_PID" $(ps -o pid= --ppid "$CORRALD_PID"); do
    [ "$(ps -o comm= -p "$p")" = corrald ] || continue
    rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
done
queued=$(sqlite3 "$db" "SELECT count(*) FROM jobs WHERE state='QUEUED'")
corrald_stop

printf '\ncorrald end to end (%s, %s cores, slots=%s)\n' "$(uname -r)" "$(nproc)" "$SLOTS"
printf '  submit latency (durable ack)   p50 %6.2f ms   p99 %6.2f ms   (%d submissions)\n' "$p50" "$p99" "$N"
printf '  throughput submit->epilogue    %6.1f jobs/s  (%d jobs in %.2f s, %d COMPLETED)  target >= 300\n' \
    "$rate" "$N" "$secs" "$completed"
printf '  daemon RSS, %d queued jobs   %6.1f MB (helper + core)  target <= 30 MB\n' "$queued" "$(echo "$rss / 1024" | bc -l)"
