#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/epilogue.sh — corral-epilogue against the classic grid prune
# script on a node with 10,000 processes of one user: 9 running jobs of
# 1,000 processes each and 1,000 orphans of an ended job. Run by `make
# bench` as root; prints both times, the ratio and the survivors of each.
#
# The classic approach (faithfully re-implemented below): snapshot
# `ps -eo pid,ppid,uid,sid,comm`, pick with awk the user's processes whose
# session is not one of a running job's, `kill -9` them, and repeat until a
# snapshot finds none. It knows the running jobs by their session ids (what
# the batch system's job records give). corral-epilogue is run twice: with
# the running jobs known by their cgroups (corral's and Slurm's way: one
# read per job), and known by their sessions like the script. The floor of
# the node (tests/helpers/epi-floor: snapshot by real uid, the running
# jobs' PIDs read from their cgroup.procs and left alone, pidfd_open,
# SIGSTOP, SIGKILL, wait for every exit; nothing else) is measured too.
#
# Processes run as a test user (uid 61790) below a subreaper that reaps
# them; everything is killed by pid at exit.
set -u
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

JOBS=${BENCH_JOBS:-9}
PER_JOB=${BENCH_PER_JOB:-1000}
ORPHANS=${BENCH_ORPHANS:-1000}
TOTAL=$((JOBS * PER_JOB + ORPHANS))
BU=corraltestepbench
BUID=61790

[ "$(id -u)" = 0 ] || { echo "epilogue bench: needs root, skipped"; exit 0; }
EPI_FLOOR=$CORRAL_BUILD/tests/helpers/epi-floor
[ -x "$EPILOGUE" ] && [ -x "$EPI_PROC" ] && [ -x "$EPI_FLOOR" ] || { echo "epilogue bench: run 'make tests' first"; exit 1; }
need=$((TOTAL + 2000))
if [ "$(cat /proc/sys/kernel/pid_max)" -lt "$need" ] || [ "$(cat /proc/sys/kernel/threads-max)" -lt "$need" ]; then
    echo "epilogue bench: pid_max/threads-max below $need, skipped"
    exit 0
fi

ep_setup() { :; } # not a TAP test: set up by hand
make_tmpdir
EP_ROOT=$TEST_TMP/root
mkdir -p "$EP_ROOT/etc" "$TEST_TMP/policies"
chmod 0755 "$TEST_TMP/policies"
printf '[epilogue]\nmin_uid = %s\nmax_uid = %s\ndeadline = 30s\n' "$EP_UID_MIN" "$EP_UID_MAX" >"$TEST_TMP/policies/bench.ini"
chmod 0644 "$TEST_TMP/policies/bench.ini"
make_test_user $BU $BUID >/dev/null 2>&1 || { echo "cannot create the test user"; exit 1; }
_cleanup_add "ep_kill_test_procs"
ep_cgroup_parent || { echo "epilogue bench: no cgroup hierarchy to create test cgroups in"; exit 1; }
CGDIR=$EP_CG_MNT$EP_CG_REL

now_ms() { echo $(($(date +%s%N) / 1000000)); }
ms_since() { echo $(($(date +%s%N) / 1000000 - $1)); }
count() { ps -e -o uid=,stat= | awk -v u=$BUID '$1 == u && $2 !~ /^Z/' | wc -l; }
in_jobs() { cat "$CGDIR"/job-*/cgroup.procs 2>/dev/null | wc -l; }

SPAWNER=
SESSIONS=
spawn_node() {
    local fifo=$TEST_TMP/spawn.fifo line
    rm -f "$fifo"
    mkfifo "$fifo"
    "$EPI_PROC" bench --uid $BUID --jobs "$JOBS" --per-job "$PER_JOB" --orphans "$ORPHANS" \
        --cgroup-dir "$CGDIR" >"$fifo" 2>&1 &
    SPAWNER=$!
    exec 7<"$fifo"
    read -r line <&7
    SESSIONS=${line#sessions }
    read -r line <&7
    if [ "$line" != ready ] || [ "$SESSIONS" = "$line" ]; then
        echo "spawner failed: $SESSIONS / $line"
        return 1
    fi
    # let the orphans settle below the spawner (their job shell exited), and
    # the kernel finish freeing the previous round's 10,000 processes
    for _ in $(seq 100); do [ "$(count)" -eq "$TOTAL" ] && break; sleep 0.1; done
    sleep "${BENCH_SETTLE:-3}"
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

# The classic prune script, as grid sites have run it from their epilogues
# for years: snapshot with ps, select with awk, kill -9, until clean.
classic_prune() { # classic_prune UID SESSION,SESSION,...
    local uid=$1 keep=$2 pass pids
    for pass in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ps -eo pid=,ppid=,uid=,sid=,comm= | awk -v uid="$uid" -v keep="$keep" -v self=$$ '
            BEGIN { n = split(keep, k, ","); for (i = 1; i <= n; i++) running[k[i]] = 1 }
            $3 == uid && !($4 in running) && $1 != self { print $1 }')
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null
    done
    return 1
}

run_epilogue() { # run_epilogue ARGS...: prints "ms rc"
    local t0 rc
    t0=$(now_ms)
    ${BENCH_WRAP:-} "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy bench --root "$EP_ROOT" \
        --uid-range $BUID-$BUID --user $BU --job bench ${BENCH_EP_ARGS:-} "$@" >"$TEST_TMP/ep.out" 2>&1
    rc=$?
    echo "$(ms_since "$t0") $rc"
}

echo "node: $TOTAL processes of $BU ($JOBS running jobs x $PER_JOB, $ORPHANS orphans of an ended job)," \
    "$(nproc) cores, kernel $(uname -r)"

spawn_node_retry() { spawn_node || { teardown_node; spawn_node; } || exit 1; }

# 1. corral-epilogue, running jobs known by their cgroups
spawn_node_retry
read -r t_cg rc_cg < <(run_epilogue --job-cgroup-parent "$EP_CG_REL")
jobs_cg=$(in_jobs)
surv_cg=$(($(count) - jobs_cg))
sed 's/^/  /' "$TEST_TMP/ep.out"
teardown_node

# 2. corral-epilogue, running jobs known by their sessions
spawn_node_retry
read -r t_sid rc_sid < <(run_epilogue --keep-session "$SESSIONS")
jobs_sid=$(in_jobs)
surv_sid=$(($(count) - jobs_sid))
sed 's/^/  /' "$TEST_TMP/ep.out"
teardown_node

# 3. the classic ps + awk prune script
spawn_node_retry
t0=$(now_ms)
classic_prune $BUID "$SESSIONS"
rc_ps=$?
t_ps=$(ms_since "$t0")
jobs_ps=$(in_jobs)
surv_ps=$(($(count) - jobs_ps))
teardown_node

# 4. the floor: only snapshot, stop, kill and wait for the exits
spawn_node_retry
keep=()
for f in "$CGDIR"/job-*/cgroup.procs; do keep+=(--keep "$f"); done
t0=$(now_ms)
"$EPI_FLOOR" $BUID "${keep[@]}" >"$TEST_TMP/floor.out" 2>&1
rc_fl=$?
t_fl=$(ms_since "$t0")
jobs_fl=$(in_jobs)
surv_fl=$(($(count) - jobs_fl))
teardown_node

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
printf '%-44s %9s %5s %10s %14s\n' "" "time" "exit" "survivors" "running kept"
row() { printf '%-44s %6s ms %5s %10s %8s/%s\n' "$1" "$2" "$3" "$4" "$5" $((JOBS * PER_JOB)); }
row "corral-epilogue (running jobs by cgroup)" "$t_cg" "$rc_cg" "$surv_cg" "$jobs_cg"
row "corral-epilogue (running jobs by session)" "$t_sid" "$rc_sid" "$surv_sid" "$jobs_sid"
row "classic ps + awk + kill -9 prune script" "$t_ps" "$rc_ps" "$surv_ps" "$jobs_ps"
row "floor (epi-floor: snapshot, stop, kill, wait)" "$t_fl" "$rc_fl" "$surv_fl" "$jobs_fl"
echo "ratio (script / corral-epilogue): $(ratio "$t_ps" "$t_cg")x by cgroup, $(ratio "$t_ps" "$t_sid")x by session"
echo "ratio (corral-epilogue / floor): $(ratio "$t_cg" "$t_fl")x by cgroup, $(ratio "$t_sid" "$t_fl")x by session"
[ "$surv_cg" -eq 0 ] && [ "$surv_sid" -eq 0 ] && [ "$rc_cg" -eq 0 ] && [ "$rc_sid" -eq 0 ] &&
    [ "$jobs_cg" -eq $((JOBS * PER_JOB)) ] && [ "$jobs_sid" -eq $((JOBS * PER_JOB)) ]
