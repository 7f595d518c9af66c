# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh — shared by the TAP tests (tests/integration/*.t,
# tests/escape/*.t). Source it, call plan N (or plan_skip), then ok/is/... .
#
# Safety: tests only ever create and target users in the uid range
# 61000-61999 named corraltest*, remove them on exit, kill by pid or by a
# cgroup they created, never by name.
# shellcheck shell=bash

: "${CORRAL_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${CORRAL_BUILD:=$CORRAL_SRC/build}"
: "${CORRAL_RECIPES:=$CORRAL_SRC/tests/recipes}"
export CORRAL_SRC CORRAL_BUILD CORRAL_RECIPES
# CORRAL_MUST_RUN=cap1,cap2: the test capabilities that must not be skipped
# here (CI sets it): a skip for one of them becomes a failure, with the reason
# (like bubblewrap's BWRAP_MUST_WORK). Tests probe a feature on the host,
# outside any job, before they rely on it, and skip with the reason when the
# machine lacks it; the capabilities:
#   cgroup2   the QEMU guest with a pure cgroup v2 (tests/recipes/qemu-cgroup2)
#   systemd   systemd-ns (tests/recipes/systemd-ns), systemd-socket-activate
#   root      the tests that need root (TAP and unit tests)
#   pidfd     pidfd_open/pidfd_send_signal (unit tests)
#   userns clone3 memory-peak ipv6   launch-basic, launch-limits, epilogue-hostile
#   cgroup    a test cgroup the epilogue tests create; cron: real cron and atd
#   slurm     a one-node Slurm (tests/recipes/slurm-local.sh), slurm-epilogue.t
#   sge       a one-node Grid Engine (tests/recipes/sge-local.sh), sge-epilogue.t
#   setuid sysvipc and every escape name (unshare-int80, unshare-x32,
#             io_uring, init_module...)   tests/escape/launch-escape.t
#   landlock  Landlock with scopes (ABI 6, Linux 6.12)   tests/escape/launch-landlock.t
: "${CORRAL_MUST_RUN:=}"
export CORRAL_MUST_RUN

# A test plays a user at a terminal: its `corral submit`, `corral logs -f`
# and `corral cancel` belong to the session the jobs were submitted from,
# which the epilogue of each job spares. A runner that starts us outside any
# session (session id 0: a container's init that never called setsid(), as
# CI's may be) would have every such command of the test users killed by the
# epilogue of the job that just ended. Such a test starts again as the leader
# of a session of its own.
if [ "$(ps -o sid= -p $$ | tr -d ' ')" = 0 ] && [ -z "${_CORRAL_TEST_SETSID:-}" ]; then
    export _CORRAL_TEST_SETSID=1
    exec setsid -w "$BASH" "$0" "$@"
fi

# The TAP tests of every checkout on this machine share their test users
# (uids 61000-61999), cgroup parents and spools: two runs at once (two
# checkouts, or a developer's run beside CI) would kill each other's
# processes when they reset those users. One test file at a time, machine-wide.
# The lock is on fd 8; a test that waits more than 30 minutes names the holder.
# A script run by a test that holds it (CORRAL_TEST_LOCKED, that test's pid,
# one of our ancestors) does not lock again; a stale value inherited from
# elsewhere does not count.
_corral_lock_held_above() {
    local p=$$ n=0
    [ -n "${CORRAL_TEST_LOCKED:-}" ] || return 1
    while [ "$p" -gt 1 ] && [ $n -lt 64 ]; do
        p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ') || return 1
        [ -n "$p" ] || return 1
        [ "$p" = "$CORRAL_TEST_LOCKED" ] && return 0
        n=$((n + 1))
    done
    return 1
}
if ! _corral_lock_held_above; then
    exec 8>>/tmp/corral-tests.lock
    if ! flock -w 1800 8; then
        echo "Bail out! another corral test run holds /tmp/corral-tests.lock ($(fuser /tmp/corral-tests.lock 2>/dev/null))"
        exit 1
    fi
    export CORRAL_TEST_LOCKED=$$
fi
CORRAL=$CORRAL_BUILD/corral

_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
plan_skip() { echo "1..0 # SKIP $*"; exit 0; }
ok() { # ok COND-STATUS DESCRIPTION  (use: cmd; ok $? "desc")
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; _tap_failed=$((_tap_failed + 1)); fi
}
is() { # is GOT EXPECTED DESCRIPTION
    _tap_n=$((_tap_n + 1))
    if [ "$1" == "$2" ]; then echo "ok $_tap_n - $3"; else
        echo "not ok $_tap_n - $3"; _tap_failed=$((_tap_failed + 1))
        printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" | sed 's/^\([^#]\)/# \1/' >&2
    fi
}
like() { # like GOT REGEX DESCRIPTION
    _tap_n=$((_tap_n + 1))
    if [[ "$1" =~ $2 ]]; then echo "ok $_tap_n - $3"; else
        echo "not ok $_tap_n - $3"; _tap_failed=$((_tap_failed + 1))
        printf '#   got:   %s\n#   match: %s\n' "$1" "$2" >&2
    fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
# must_run CAP: CAP is listed in CORRAL_MUST_RUN
must_run() { [[ ",${CORRAL_MUST_RUN// /}," == *",$1,"* ]]; }
# plan_skip_unless_must CAP REASON...: skip the whole file (plan_skip), or,
# when CAP must run here, fail it with the reason (one failed check, not a
# "Bail out!", which would stop prove's other files too)
plan_skip_unless_must() {
    local cap=$1
    shift
    if must_run "$cap"; then
        echo "1..1"
        echo "not ok 1 - $cap must run here (CORRAL_MUST_RUN=$CORRAL_MUST_RUN) but: $*"
        exit 1
    fi
    plan_skip "$*"
}
# skip_or_fail CAP REASON...: skip one check, or fail it when CAP must run
skip_or_fail() {
    local cap=$1
    shift
    if must_run "$cap"; then
        _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_n - $cap must run here (CORRAL_MUST_RUN=$CORRAL_MUST_RUN) but: $*"
    else
        skip "$*"
    fi
}
diag() { echo "# $*"; }
# fail_diag TEXT...: what a failed check needs to be understood, on stderr
# (prove shows it without -v; CI keeps only what prove prints)
fail_diag() { printf '%s\n' "$*" | sed 's/^/# /' >&2; }
done_testing() { [ "$_tap_failed" -eq 0 ]; }

require_root() { [ "$(id -u)" = 0 ] || plan_skip_unless_must root "needs root"; }

# A private temporary directory removed at exit (root-owned, 0755).
make_tmpdir() {
    TEST_TMP=$(mktemp -d /tmp/corraltest.XXXXXX)
    chmod 0755 "$TEST_TMP"
    _cleanup_add "rm -rf '$TEST_TMP'"
}

# Cleanup actions run at exit in reverse order, even when a test fails.
_cleanups=()
_cleanup_add() { _cleanups+=("$1"); }
_run_cleanups() {
    local i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
}
trap _run_cleanups EXIT

# Test users: uid 61000-61999, names corraltest*. make_test_user NAME UID
# creates it (with a home in the test tmpdir when TEST_TMP is set) and
# removes it, its processes (by pid) and its files at exit.
make_test_user() {
    local name=$1 uid=$2
    case "$name" in corraltest*) ;; *) echo "make_test_user: name must start with corraltest" >&2; return 1 ;; esac
    if [ "$uid" -lt 61000 ] || [ "$uid" -gt 61999 ]; then echo "make_test_user: uid out of range" >&2; return 1; fi
    kill_test_user_procs "$name" 2>/dev/null || true
    userdel -r "$name" >/dev/null 2>&1 || true
    groupdel "$name" >/dev/null 2>&1 || true
    groupadd -g "$uid" "$name" || return 1
    useradd -M -d "/nonexistent" -s /bin/sh -u "$uid" -g "$uid" "$name" 2>/dev/null || return 1
    _cleanup_add "kill_test_user_procs '$name'; userdel '$name'; groupdel '$name'"
}

# Kill every process of a test user, by pid, until none remain (5 s at most).
kill_test_user_procs() {
    local name=$1 uid pids tries=50
    uid=$(id -u "$name" 2>/dev/null) || return 0
    [ "$uid" -ge 61000 ] && [ "$uid" -le 61999 ] || return 1
    while [ $tries -gt 0 ]; do
        pids=$(ps -e -o pid=,uid= | awk -v u="$uid" '$2 == u {print $1}')
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

count_user_procs() {
    local uid
    uid=$(id -u "$1" 2>/dev/null) || { echo 0; return; }
    ps -e -o uid= | awk -v u="$uid" '$1 == u' | wc -l
}
