#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-metrics.t — the node_exporter textfile (metrics_file) follows the
# queue: a job that ends long after corrald started shows in it without
# waiting for a tick, and every tick (metrics_interval) rewrites it, so its
# age tells a monitor that corrald is alive, and the request counters get out.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 9

make_tmpdir
corrald_setup 1
make_test_user corraltestm 61201
PROM=$TEST_TMP/metrics/corral.prom

metric() { # metric NAME-WITH-LABELS: its value in the file, or nothing
    awk -v m="$1" '$1 == m {print $2}' "$PROM" 2>/dev/null
}
# wait_metric NAME VALUE [SECONDS]: until the file shows it
wait_metric() {
    local i
    for i in $(seq $((${3:-20} * 10))); do
        [ "$(metric "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
mtime() { stat -c %.9Y "$PROM" 2>/dev/null; }

# --- job state changes: a tick that never comes (1h), the file still follows ---
echo "metrics_interval = 1h" >>"$TEST_TMP/corral.conf"
corrald_start; ok $? "corrald starts (metrics_interval = 1h)"
wait_metric 'corral_jobs{state="COMPLETED"}' 0 10; ok $? "the metrics file is written at start"
sleep 1 # well after start: the start-up write is behind us
id=$(submit_as corraltestm -- /bin/sh -c 'sleep 0.5')
st=$(wait_final "$id"); is "$st" COMPLETED "a job runs to the end"
wait_metric 'corral_jobs{state="COMPLETED"}' 1; ok $? "its end shows in the metrics file without waiting for a tick"
is "$(metric corral_launches_total)" 1 "... with the launch counted"
is "$(stat -c '%U %a' "$PROM")" "corraltestd 644" "the file is the daemon user's, world-readable"
corrald_stop

# --- every tick rewrites the file, whether anything changed or not ---
sed -i 's/^metrics_interval = .*/metrics_interval = 200ms/' "$TEST_TMP/corral.conf"
corrald_start; ok $? "corrald starts again (metrics_interval = 200ms)"
sleep 1 # past the first ticks: the file must keep changing
m=$(mtime) seen=0
for i in $(seq 100); do
    sleep 0.1
    now=$(mtime)
    [ "$now" != "$m" ] && { seen=$((seen + 1)); m=$now; }
    [ $seen -ge 3 ] && break
done
ok $((seen < 3)) "the file is rewritten on every tick, nothing changing ($seen rewrites seen)"
# requests change no job: only the ticks carry their counter out
before=$(metric corral_requests_total)
for i in 1 2 3; do "$CORRAL" status >/dev/null; done
for i in $(seq 100); do [ "$(metric corral_requests_total)" -ge $((before + 3)) ] 2>/dev/null && break; sleep 0.1; done
ok $(($(metric corral_requests_total) < before + 3)) "requests reach the file with the next tick ($before, then $(metric corral_requests_total))"

done_testing
