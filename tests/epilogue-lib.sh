# SPDX-License-Identifier: GPL-2.0-or-later
# tests/epilogue-lib.sh — shared by tests/integration/epilogue-*.t and
# tests/bench/epilogue.sh. Source after tests/lib.sh.
#
# Safety: the epilogue kills as root. Every run here goes through ep_run,
# which pins --uid-range to this file's own test uids (61740-61799: other
# test suites use other parts of 61000-61999 and may run at the same time),
# a test policy with min_uid 61740, and --root pointing at the test's
# temporary tree, so neither a process nor a spool entry outside the tests
# can be touched.
# shellcheck shell=bash

EP_UID_MIN=61740
EP_UID_MAX=61799
EPILOGUE=$CORRAL_BUILD/corral-epilogue
EPI_PROC=$CORRAL_BUILD/tests/helpers/epi-proc

# ep_setup: a temporary root with the spool layout, a policy dir, and a
# subreaper (PID 1 on these machines reaps nothing; orphans of the tests
# are re-parented to the reaper, which reaps them).
ep_setup() {
    require_root
    [ -x "$EPILOGUE" ] || plan_skip "corral-epilogue not built"
    [ -x "$EPI_PROC" ] || plan_skip "tests/helpers/epi-proc not built"
    make_tmpdir
    EP_ROOT=$TEST_TMP/root
    mkdir -p "$EP_ROOT/etc" "$EP_ROOT/var/spool/cron/crontabs" "$EP_ROOT/var/spool/cron/atjobs" \
        "$EP_ROOT/var/lib/systemd/linger" "$TEST_TMP/policies"
    chmod 0755 "$TEST_TMP/policies"
    cat >"$TEST_TMP/policies/test.ini" <<EOF
[epilogue]
min_uid = $EP_UID_MIN
max_uid = $EP_UID_MAX
deadline = 20s
quarantine_dir = /var/lib/corral/quarantine
EOF
    EP_QDIR=$EP_ROOT/var/lib/corral/quarantine
    chmod 0644 "$TEST_TMP/policies/test.ini"
    # world-writable spot for the test users' markers
    mkdir -p "$TEST_TMP/shared"
    chmod 1777 "$TEST_TMP/shared"
    _cleanup_add "ep_kill_test_procs"
}

# Kill every process of this file's test uids, by pid, until none is left
# (5 s at most). Never touches another uid.
ep_kill_test_procs() {
    local pids tries=50
    while [ $tries -gt 0 ]; do
        pids=$(ps -eL -o pid=,uid=,stat= | awk -v a="$EP_UID_MIN" -v b="$EP_UID_MAX" \
            '$2 >= a && $2 <= b && $3 !~ /^Z/ {print $1}' | sort -u)
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# ep_spawn VAR ARGS...: runs "epi-proc ARGS..." below a fresh subreaper
# (PID 1 on these machines reaps nothing, so orphans would stay zombies) and
# sets VAR to what the helper printed (a pid). At exit the test uids'
# processes are killed first, then the reaper. (Not in $(...): the cleanups
# must be registered in the test's own shell.)
ep_spawn() { local _var=$1; shift; ep_spawn_cmd "$_var" "$EPI_PROC" "$@"; }
ep_spawn_cmd() { # ep_spawn_cmd VAR CMD...: the same for any command
    local _v=$1 pidfile out
    shift
    pidfile=$(mktemp "$TEST_TMP/reaper.XXXXXX")
    out=$(mktemp "$TEST_TMP/out.XXXXXX")
    "$EPI_PROC" reaper "$pidfile" -- "$@" </dev/null >"$out" 2>&1 &
    for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.02; done
    _cleanup_add "kill -KILL $(cat "$pidfile"); wait $!"
    _cleanup_add "ep_kill_test_procs"
    # wait for the helper's line (a pid) or its exit
    for _ in $(seq 150); do grep -q . "$out" && break; sleep 0.02; done
    printf -v "$_v" '%s' "$(head -1 "$out")"
}

ep_run() { # ep_run ARGS...: the epilogue, pinned to the test uids and root
    "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
        --uid-range "$EP_UID_MIN-$EP_UID_MAX" "$@"
}

alive() { # alive PID: running (not a zombie)
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

count_live() { # count_live USER: live threads of USER (a zombie leader's live threads count)
    local uid
    uid=$(id -u "$1" 2>/dev/null) || { echo 0; return; }
    ps -eL -o uid=,stat= | awk -v u="$uid" '$1 == u && $2 !~ /^Z/' | wc -l
}

# A cgroup parent of our own, on the first v1 hierarchy we find (pids,
# freezer) or on a cgroup2 mount with cgroup.procs; removed at exit (after
# its processes were killed). Sets EP_CG_MNT (mount) and EP_CG_REL (path
# relative to the hierarchy).
ep_cgroup_parent() { # [NAME]: default corraltest-ep.PID
    local m name=${1:-corraltest-ep.$$}
    EP_CG_MNT=
    for m in /sys/fs/cgroup/pids /sys/fs/cgroup/freezer /sys/fs/cgroup/unified /sys/fs/cgroup; do
        if [ -e "$m/cgroup.procs" ] && mkdir "$m/$name" 2>/dev/null; then
            EP_CG_MNT=$m
            break
        fi
    done
    [ -n "$EP_CG_MNT" ] || return 1
    EP_CG_REL=/$name
    _cleanup_add "ep_cgroup_remove '$EP_CG_MNT/$name'"
}

ep_cgroup_remove() { # remove a test cgroup tree, deepest first (its processes may still be exiting)
    local d=$1 tries=50
    while [ -d "$d" ] && [ $tries -gt 0 ]; do
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        [ -d "$d" ] && sleep 0.1
        tries=$((tries - 1))
    done
    [ ! -d "$d" ]
}
