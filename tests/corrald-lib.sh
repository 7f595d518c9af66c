# SPDX-License-Identifier: GPL-2.0-or-later
# tests/corrald-lib.sh — start an isolated corrald for a test: its own node
# config, state, output and run directories in the test's tmpdir, its own
# socket, a test-owned cgroup parent, test policies whose [users] and
# [epilogue] min_uid keep everything inside the test uid range, and a test
# daemon user. Source after tests/lib.sh.
# shellcheck shell=bash

CORRALD=${CORRALD:-$CORRAL_BUILD/corrald}

# The tests read the store while corrald may still be writing to it (or
# exiting): wait for SQLite's lock instead of failing with "database is locked".
sqlite3() { command sqlite3 -cmd '.timeout 10000' "$@"; }

RAWSEND=$CORRAL_BUILD/tests/helpers/rawsend

# corrald_setup PREFIX SLOTS: writes $TEST_TMP/corral.conf and the policies
corrald_setup() {
    local slots=${1:-2}
    CG_PARENT=corraltest-$$
    # in a directory of its own: jobs whose policy says [users]
    # submit_from_jobs = no (the default) do not see the socket's directory,
    # and the jobs of the tests work below $TEST_TMP
    SOCK=$TEST_TMP/sock/corral.sock
    mkdir -p "$TEST_TMP/policies"
    chmod 0755 "$TEST_TMP/policies"
    cp "$CORRAL_SRC/policies/default.ini" "$TEST_TMP/policies/default.ini"
    cat >"$TEST_TMP/policies/t.ini" <<EOP
[policy]
description = corrald tests: only the test uid range
inherit = default
[users]
min_uid = 61000
[limits]
memory = 96M
tasks = 64
walltime = 1h
[epilogue]
min_uid = 61000
max_uid = 61999
grace = 1s
deadline = 10s
quarantine_dir = $TEST_TMP/quarantine
strip_cron = no
strip_at = no
strip_linger = no
EOP
    chmod 0644 "$TEST_TMP/policies/"*.ini
    cat >"$TEST_TMP/corral.conf" <<EOC
[node]
slots = $slots
state_dir = $TEST_TMP/state
run_dir = $TEST_TMP/run
output_dir = $TEST_TMP/output
socket = $SOCK
admin_group = corraltestadm
user = corraltestd
cgroup_parent = $CG_PARENT
policy_dir = $TEST_TMP/policies
default_policy = t
metrics_file = $TEST_TMP/metrics/corral.prom
max_queued_per_user = ${MAXQ:-10000}
# as many CPUs as slots: jobs asking for the policy's 1 CPU run SLOTS at
# once, as before jobs were packed by what they ask (corrald-resources.t
# sets its own)
cpus = ${NODE_CPUS:-$slots}
EOC
    chmod 0644 "$TEST_TMP/corral.conf"
    # the daemon's own user and the admin group, in the test range
    groupdel corraltestadm >/dev/null 2>&1; groupadd -g 61090 corraltestadm
    make_test_user corraltestd 61091
    # the metrics directory belongs to the daemon user (the core writes it)
    mkdir -p "$TEST_TMP/metrics"; chown corraltestd "$TEST_TMP/metrics"
    _cleanup_add "groupdel corraltestadm"
    _cleanup_add "corrald_remove_cgroups"
    export CORRAL_SOCKET=$SOCK
}

corrald_start() {
    # corral-launch and corral-epilogue built in (the default); corrald-socket.t
    # runs the binaries instead (--launch, --epilogue)
    "$CORRALD" --config "$TEST_TMP/corral.conf" "$@" >>"$TEST_TMP/corrald.log" 2>&1 8>&- &
    CORRALD_PID=$!
    _cleanup_add "corrald_stop"
    local i
    for i in $(seq 100); do
        "$CORRAL" status >/dev/null 2>&1 && return 0
        kill -0 "$CORRALD_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "# corrald did not start:"; sed 's/^/#   /' "$TEST_TMP/corrald.log"
    return 1
}

corrald_stop() {
    [ -n "${CORRALD_PID:-}" ] || return 0
    kill -TERM "$CORRALD_PID" 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 "$CORRALD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CORRALD_PID" 2>/dev/null
    wait "$CORRALD_PID" 2>/dev/null
    CORRALD_PID=
}

# The core: the child of corrald running as the daemon user.
corrald_core_pid() {
    local p
    for p in $(ps -o pid= --ppid "$CORRALD_PID"); do
        [ "$(ps -o uid= -p "$p" | tr -d ' ')" = "$(id -u corraltestd)" ] && { echo "$p"; return; }
    done
}

# Kills and removes every job cgroup left under the test parent, and the parent.
corrald_remove_cgroups() {
    local d p
    for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/"$CG_PARENT"; do
        [ -d "$d" ] || continue
        for p in $(cat "$d"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        rmdir "$d"/*/ 2>/dev/null; rmdir "$d" 2>/dev/null
    done
}

# Job cgroups still present under the test parent (should be none).
corrald_cgroups_left() {
    find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/$CG_PARENT/job-*" 2>/dev/null | wc -l
}

# Runs a command as a test user: setpriv execs it directly (su would stay
# behind as a parent that hangs when the epilogue of one of the user's jobs
# kills its child, which is what the epilogue is for).
run_as() {
    local user=$1; shift
    (cd / && setpriv --reuid="$user" --regid="$user" --init-groups env CORRAL_SOCKET="$SOCK" "$@")
}

# submit_as USER ARGS... -> prints the job id
submit_as() {
    local user=$1; shift
    run_as "$user" "$CORRAL" submit "$@"
}

# as USER ARGS... (corral as that user)
as() {
    local user=$1; shift
    run_as "$user" "$CORRAL" "$@"
}

job_field() { # job_field ID FIELD (as root: an admin)
    "$CORRAL" show --json "$1" | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}

# wait_final ID [SECONDS]: until the job is final and its epilogue ran; prints the state
wait_final() {
    local id=$1 max=${2:-60} i st ep
    [ -n "$id" ] || { echo "NO-JOB-ID"; return 1; }
    for i in $(seq $((max * 10))); do
        st=$(job_field "$id" state)
        case "$st" in
        COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|LOST)
            ep=$("$CORRAL" show --json "$id" | grep -c '"epilogue": null')
            [ "$ep" = 0 ] && { echo "$st"; return 0; } ;;
        esac
        sleep 0.1
    done
    echo "${st:-UNKNOWN}"
    return 1
}

wait_state() { # wait_state ID STATE [SECONDS]
    local i
    [ -n "$1" ] || return 1
    for i in $(seq $((${3:-30} * 10))); do
        [ "$(job_field "$1" state)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- for the benchmarks (tests/bench/) ----

# corrald_rss_kb: the resident memory of the running corrald, root helper
# and core, in KiB
corrald_rss_kb() {
    local p rss=0
    for p in "$CORRALD_PID" $(ps -o pid= --ppid "$CORRALD_PID"); do
        [ "$(ps -o comm= -p "$p")" = corrald ] || continue
        rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
    done
    echo "$rss"
}

# bench_median: the median of the numbers on stdin, one a line
bench_median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench_ms CMD...: the median wall time of 5 runs of CMD, in ms (one decimal)
bench_ms() {
    local t0 t1
    for _ in 1 2 3 4 5; do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | bench_median | awk '{printf "%.1f", $1 / 1000}'
}
