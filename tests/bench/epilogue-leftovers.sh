#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/epilogue-leftovers.sh — corral-epilogue on a node left with
# ~2,000 processes of one user spread over many small trees (the shape of
# issue 10): double-forked daemons with workers, setsid'd sessions with a
# background process group, nohup'd sleepers (exec'd /bin/sleep), one TCP
# listener and a respawner pair (each restarts the other when it dies),
# all orphans below a subreaper, with another user's running job (its own
# cgroup) beside them that must survive. Run by `make bench` as root.
#
# Compared, each from a fresh node of the same shape, in the same run
# (BENCH_RUNS rounds, interleaved):
#   corral-epilogue  --user U --job J, as a site runs it; waits until every
#                    target has exited;
#   ps + kill -9     the site's alternative: ps, awk on the uid, kill -9,
#                    repeated until a snapshot finds none (it does not wait
#                    for exits);
#   epilogue-alt     (only when asked, with BENCH_KINDS and
#                    BENCH_ALT_EPILOGUE=PATH) another corral-epilogue, for an
#                    A/B comparison in the same rounds;
#   floor            tests/helpers/epi-floor: snapshot /proc by real uid,
#                    pidfd_open each, SIGSTOP all, SIGKILL all, wait until
#                    every pidfd reports exit: the kernel's share alone.
set -u
# shellcheck shell=bash source=../lib.sh
. "${CORRAL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

TREES=${BENCH_TREES:-600}
RUNS=${BENCH_RUNS:-3}
OTHER_PROCS=${BENCH_OTHER_PROCS:-50}
BU=corraltesteplo
BUID=61791
OU=corraltestepoth
OUID=61792
PORT=${BENCH_PORT:-47391}
EPI_FLOOR=$CORRAL_BUILD/tests/helpers/epi-floor

[ "$(id -u)" = 0 ] || { echo "epilogue leftovers bench: needs root, skipped"; exit 0; }
[ -x "$EPILOGUE" ] && [ -x "$EPI_PROC" ] && [ -x "$EPI_FLOOR" ] ||
    { echo "epilogue leftovers bench: run 'make tests' first"; exit 1; }

make_tmpdir
EP_ROOT=$TEST_TMP/root
mkdir -p "$EP_ROOT/etc" "$TEST_TMP/policies"
chmod 0755 "$TEST_TMP/policies"
printf '[epilogue]\nmin_uid = %s\nmax_uid = %s\ndeadline = 30s\n' "$EP_UID_MIN" "$EP_UID_MAX" >"$TEST_TMP/policies/bench.ini"
chmod 0644 "$TEST_TMP/policies/bench.ini"
make_test_user $BU $BUID >/dev/null 2>&1 || { echo "cannot create the test user $BU"; exit 1; }
make_test_user $OU $OUID >/dev/null 2>&1 || { echo "cannot create the test user $OU"; exit 1; }
_cleanup_add "ep_kill_test_procs"
ep_cgroup_parent || { echo "epilogue leftovers bench: no cgroup hierarchy to create test cgroups in"; exit 1; }
CGDIR=$EP_CG_MNT$EP_CG_REL

now_ns() { date +%s%N; }
count() { ps -e -o uid=,stat= | awk -v u="$1" '$1 == u && $2 !~ /^Z/' | wc -l; }

SPAWNER=
TOTAL=0
spawn_node() {
    local fifo=$TEST_TMP/spawn.fifo line
    rm -f "$fifo"
    mkfifo "$fifo"
    "$EPI_PROC" leftovers --uid $BUID --trees "$TREES" --port "$PORT" --other-uid $OUID \
        --other-procs "$OTHER_PROCS" --cgroup-dir "$CGDIR" >"$fifo" 2>&1 &
    SPAWNER=$!
    exec 7<"$fifo"
    read -r line <&7
    TOTAL=${line#total }
    read -r line <&7
    if [ "$line" != ready ]; then
        echo "spawner failed: $TOTAL / $line"
        return 1
    fi
    # the respawner's child and the daemons' workers settle; the kernel
    # finishes freeing the previous round's processes
    for _ in $(seq 100); do [ "$(count $BUID)" -ge "$TOTAL" ] && break; sleep 0.1; done
    sleep "${BENCH_SETTLE:-2}"
    NODE=$(count $BUID)
}
teardown_node() {
    ep_kill_test_procs
    exec 7<&-
    kill -KILL "$SPAWNER" 2>/dev/null
    wait "$SPAWNER" 2>/dev/null
    ep_cgroup_remove "$CGDIR" >/dev/null 2>&1 || true
    mkdir -p "$CGDIR"
}
_cleanup_add 'kill -KILL $SPAWNER 2>/dev/null; wait $SPAWNER 2>/dev/null'
spawn_node_retry() { spawn_node || { teardown_node; spawn_node; } || exit 1; }

# the site's alternative: ps, awk on the uid, kill -9, until a snapshot
# finds none (10 passes at most)
ps_kill() {
    local pids
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ps -eo pid=,uid= | awk -v uid="$1" '$2 == uid { print $1 }')
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null
    done
    return 1
}

# run_one KIND: a fresh node, one cleaner; appends "ms exit survivors other-job-kept" to $TEST_TMP/KIND
run_one() {
    local kind=$1 t0 t1 rc ep
    spawn_node_retry
    t0=$(now_ns)
    case $kind in
    epilogue | epilogue-alt)
        ep=$EPILOGUE
        [ "$kind" = epilogue-alt ] && ep=${BENCH_ALT_EPILOGUE:?BENCH_ALT_EPILOGUE: another corral-epilogue to compare}
        ${BENCH_WRAP:-} "$ep" --policy-dir "$TEST_TMP/policies" --policy bench --root "$EP_ROOT" \
            --uid-range $BUID-$BUID --user $BU --job bench ${BENCH_EP_ARGS:-} >"$TEST_TMP/ep.out" 2>&1
        rc=$? ;;
    ps-kill) ps_kill $BUID; rc=$? ;;
    floor) ${BENCH_WRAP:-} "$EPI_FLOOR" $BUID ${BENCH_FLOOR_ARGS:-} >"$TEST_TMP/floor.out" 2>&1; rc=$? ;;
    esac
    t1=$(now_ns)
    # survivors: processes of the user that are not zombies, once the
    # killed ones had time to go (ps + kill does not wait for them)
    sleep 0.5
    echo "$(((t1 - t0) / 1000000)) $rc $(count $BUID) $(count $OUID) $NODE" >>"$TEST_TMP/$kind"
    if [ -n "${BENCH_VERBOSE:-}" ]; then
        [ "$kind" = epilogue ] && sed 's/^/  epilogue: /' "$TEST_TMP/ep.out"
        [ "$kind" = floor ] && sed 's/^/  floor: /' "$TEST_TMP/floor.out"
    fi
    teardown_node
}

echo "node: ~$((TREES / 3 * 10 + 3)) leftover processes of $BU in $TREES small trees (daemons, sessions," \
    "nohup'd sleepers), a TCP listener, a respawner pair; $OTHER_PROCS processes of $OU's running job;" \
    "$(nproc) cores, kernel $(uname -r)"
for _ in $(seq "$RUNS"); do
    for kind in ${BENCH_KINDS:-epilogue ps-kill floor}; do run_one $kind; done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
ok=0
printf '%-34s %-26s %7s %5s %10s %12s\n' "" "times (ms)" "median" "exit" "survivors" "other job"
for kind in ${BENCH_KINDS:-epilogue ps-kill floor}; do
    times=$(awk '{ print $1 }' "$TEST_TMP/$kind" | paste -sd, -)
    med=$(awk '{ print $1 }' "$TEST_TMP/$kind" | median)
    rcs=$(awk '{ print $2 }' "$TEST_TMP/$kind" | sort -u | paste -sd/ -)
    surv=$(awk '{ s += $3 } END { print s }' "$TEST_TMP/$kind")
    other=$(awk '{ print $4 }' "$TEST_TMP/$kind" | sort -u | paste -sd/ -)
    case $kind in
    epilogue) label="corral-epilogue --user --job"; m_ep=$med; s_ep=$surv; o_ep=$other ;;
    ps-kill) label="ps + kill -9 script"; m_ps=$med ;;
    floor) label="floor (epi-floor)"; m_fl=$med ;;
    *) label=$kind ;;
    esac
    printf '%-34s %-26s %7s %5s %10s %8s/%s\n' "$label" "$times" "$med" "$rcs" "$surv" "$other" "$OTHER_PROCS"
done
if [ -s "$TEST_TMP/epilogue" ] && [ -s "$TEST_TMP/floor" ]; then
    echo "per round, corral-epilogue / floor: $(paste -d' ' "$TEST_TMP/epilogue" "$TEST_TMP/floor" |
        awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 / $6 }')"
fi
echo "leftovers per node: $(awk '{ print $5 }' "$TEST_TMP/epilogue" | sort -u | paste -sd/ -)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
m_ep=${m_ep:-0} m_ps=${m_ps:-0} m_fl=${m_fl:-0} s_ep=${s_ep:-0} o_ep=${o_ep:-$OTHER_PROCS}
echo "medians: ps + kill / corral-epilogue = $(ratio "$m_ps" "$m_ep")x (goal >= 5x);" \
    "corral-epilogue / floor = $(ratio "$m_ep" "$m_fl")x (goal <= 1.2x where the floor is above ps + kill / 5);" \
    "ps + kill / floor = $(ratio "$m_ps" "$m_fl")x"
[ "$s_ep" -eq 0 ] && [ "$o_ep" = "$OTHER_PROCS" ] || ok=1
exit $ok
