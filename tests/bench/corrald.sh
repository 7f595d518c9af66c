#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/corrald.sh — `make bench`: corrald end to end.
#  1. submit latency: 2,000 submissions (durable: each acknowledged after its
#     SQLite commit is fsynced), p50/p99, while the node is drained;
#  2. throughput: resume, and time until all 2,000 trivial jobs are final
#     with full containment (corral-launch, default policy) and their
#     epilogues done: jobs/s;
#  3. daemon RSS (root helper + core) with 100,000 queued jobs;
#  4. the same throughput on the local Slurm of tests/recipes/slurm-local.sh
#     (when Slurm is installed; BENCH_SLURM=0 skips it), measured the same
#     way in the same run: BENCH_SLURM_JOBS (300) `sbatch --wrap true`
#     submitted while the node is drained, then the time from resuming it
#     until all are COMPLETED; and the latency of one submission through
#     each command line (`corral submit` and `sbatch`, 50 each, median).
#     Printed as the ratio corral / Slurm (issue 13 aims at >= 30).
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

# 4. the local Slurm, the same way
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cli_ms() { # CMD...: the median of 50 runs, in ms
    local t0 t1
    for _ in $(seq 50); do
        t0=$(date +%s%N); "$@" >/dev/null || return 1; t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | median | awk '{printf "%.1f", $1 / 1000}'
}
slurm_line=""
RECIPE=$CORRAL_SRC/tests/recipes/slurm-local.sh
if [ "${BENCH_SLURM:-1}" != 0 ] && command -v slurmctld >/dev/null && command -v sbatch >/dev/null; then
    NS=${BENCH_SLURM_JOBS:-300}
    # corral's submit latency through its command line (drained: nothing
    # runs; without the 100,000 of 3, over the per-user cap)
    sqlite3 "$db" "DELETE FROM jobs WHERE state='QUEUED'"
    corrald_start || exit 1
    "$CORRAL" drain >/dev/null
    c_cli=$(cli_ms run_as corraltestbench "$CORRAL" submit -- /bin/true) || exit 1
    corrald_stop
    # Slurm's work directory outside /tmp is not needed (no containment);
    # the jobs write nowhere (-o /dev/null)
    export SLURM_CONF
    sb() { run_as corraltestbench env SLURM_CONF="$SLURM_CONF" sbatch --parsable -o /dev/null -e /dev/null --wrap true; }
    sleft() { squeue -h -t PENDING,CONFIGURING,RUNNING,COMPLETING -o %i 2>/dev/null | wc -l; }
    # slurm_run NAME OVERSUBSCRIBE: NS jobs, released at once; prints
    # "JOBS_PER_S DONE SECONDS CPUS CLI_MS" (the run "one" also measures
    # the submission through sbatch, 50 of its jobs)
    slurm_run() {
        local SW=$TEST_TMP/slurm-$1 t0 t1 done_ cli=-
        _cleanup_add "'$RECIPE' stop '$SW' >/dev/null 2>&1"
        SLURM_OVERSUBSCRIBE=$2 "$RECIPE" start "$SW" >"$TEST_TMP/slurm-$1.start" 2>&1 || {
            echo "the local Slurm did not start: $(tail -3 "$TEST_TMP/slurm-$1.start" | tr '\n' ' ')" >&2
            return 1
        }
        SLURM_CONF=$SW/etc/slurm.conf
        scontrol update nodename=localhost state=drain reason=bench
        if [ "$1" = one ]; then
            cli=$(cli_ms sb)
            for _ in $(seq $((NS - 50))); do sb >/dev/null || break; done
        else
            for _ in $(seq "$NS"); do sb >/dev/null || break; done
        fi
        t0=$(date +%s.%N)
        scontrol update nodename=localhost state=resume
        while [ "$(sleft)" -gt 0 ]; do sleep 0.05; done
        t1=$(date +%s.%N)
        done_=$(squeue -h -t COMPLETED -o %i | wc -l)
        echo "$(echo "$done_ / ($t1 - $t0)" | bc -l) $done_ $(echo "$t1 - $t0" | bc -l) $(scontrol show node localhost | grep -o 'CPUTot=[0-9]*' | cut -d= -f2) $cli"
        "$RECIPE" stop "$SW" >/dev/null 2>&1
    }
    # as the recipe has it (one job per CPU), then as many jobs at once as
    # corral's slots (OverSubscribe=FORCE)
    if r1=$(slurm_run one NO) && read -r s_rate s_done s_secs s_cpus s_cli <<<"$r1"; then
        per_cpu=$(((SLOTS + s_cpus - 1) / s_cpus))
        slurm_line=$(printf '  the local Slurm (%s, %d CPUs, one job per CPU)  %6.1f jobs/s  (%d of %d COMPLETED in %.2f s)  corral / Slurm %.1f x' \
            "Slurm $(dpkg-query -W -f '${Version}' slurmctld 2>/dev/null)" "$s_cpus" "$s_rate" "$s_done" "$NS" "$s_secs" "$(echo "$rate / $s_rate" | bc -l)")
        if r2=$(slurm_run many "FORCE:$per_cpu") && read -r s2_rate s2_done s2_secs _ <<<"$r2"; then
            slurm_line+=$(printf '\n  the same, up to %d jobs per CPU (OverSubscribe)  %6.1f jobs/s  (%d of %d COMPLETED in %.2f s)  corral / Slurm %.1f x' \
                "$per_cpu" "$s2_rate" "$s2_done" "$NS" "$s2_secs" "$(echo "$rate / $s2_rate" | bc -l)")
        fi
        slurm_line+=$(printf '\n  (issue 13 aims at >= 30 x)')
        slurm_line+=$(printf '\n  one submission, command line   corral submit %s ms, sbatch %s ms (median of 50): %.1f x' \
            "$c_cli" "$s_cli" "$(echo "$s_cli / $c_cli" | bc -l)")
    else
        slurm_line="  the local Slurm: not measured (see above)"
    fi
fi

printf '\ncorrald end to end (%s, %s cores, slots=%s)\n' "$(uname -r)" "$(nproc)" "$SLOTS"
printf '  submit latency (durable ack)   p50 %6.2f ms   p99 %6.2f ms   (%d submissions)\n' "$p50" "$p99" "$N"
printf '  throughput submit->epilogue    %6.1f jobs/s  (%d jobs in %.2f s, %d COMPLETED)  target >= 300\n' \
    "$rate" "$N" "$secs" "$completed"
printf '  daemon RSS, %d queued jobs   %6.1f MB (helper + core)  target <= 30 MB\n' "$queued" "$(echo "$rss / 1024" | bc -l)"
if [ -n "$slurm_line" ]; then printf '%s\n' "$slurm_line"; fi
