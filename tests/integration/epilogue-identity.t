#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-identity.t — who a process belongs to, and what else stops.
#   - A root process that switched only its effective uid to the job's
#     user (seteuid, as slurmstepd and sge_shepherd do; /proc/PID then shows
#     the user as owner), dumpable or not, is root's: --dry-run --json does
#     not list it, a real run and a sweep leave it alive and running.
#   - The parent of a killed process that stopped itself when its child was
#     stopped (util-linux su and runuser do) is continued: a root
#     `su - USER -c 'sleep 300'` whose child is killed is not left in state
#     T, and exits.
#   - max_uid: a sweep never touches a uid above the policy's max_uid.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

HOLD=$CORRAL_BUILD/tests/helpers/seteuid-hold

ep_setup
[ -x "$HOLD" ] || plan_skip "tests/helpers/seteuid-hold not built"
plan 24

U=corraltestepi
UID_U=61764
make_test_user $U $UID_U || { echo "# cannot create test user $U (uid $UID_U)"; exit 1; }

state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
listed() { # listed PID: does the JSON on stdin name the process?
    grep -q "\"pid\":$1,"
}

# --- root daemons acting as the user ---
ep_spawn_cmd hold_d "$HOLD" --euid $UID_U --dumpable --comm slurmstepd
ep_spawn_cmd hold_n "$HOLD" --euid $UID_U
_cleanup_add "kill -KILL ${hold_d:-0} ${hold_n:-0} 2>/dev/null"
# and a real leftover of the user
ep_spawn p_orphan sleeper --uid $UID_U --setsid --double-fork
is "$(stat -c %u "/proc/$hold_d" 2>/dev/null)" $UID_U "dumpable seteuid daemon: /proc/PID shows the user (the trap)"
is "$(stat -c %u "/proc/$hold_n" 2>/dev/null)" $UID_U "non-dumpable seteuid daemon: /proc/PID shows the user too"
is "$(awk '/^Uid:/ {print $2}' "/proc/$hold_d/status")" 0 "... while its real uid is 0"

out=$(ep_run --user $U --job 7 --dry-run --json 2>"$TEST_TMP/err")
diag "$(tail -1 <<<"$out")"
listed "$p_orphan" <<<"$out"
ok $? "dry run lists the user's orphan"
! listed "$hold_d" <<<"$out"
ok $? "dry run does not list the dumpable root daemon with the user's euid"
! listed "$hold_n" <<<"$out"
ok $? "dry run does not list the non-dumpable one"

out=$(ep_run --user $U --job 7 --json 2>"$TEST_TMP/err")
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "real run: node clean"
! alive "$p_orphan"
ok $? "the user's orphan killed"
alive "$hold_d" && [ "$(state "$hold_d")" = S ]
ok $? "dumpable root daemon alive and not stopped"
alive "$hold_n" && [ "$(state "$hold_n")" = S ]
ok $? "non-dumpable root daemon alive and not stopped"

# Slurm's convention (the mode the daemon was killed in) and a sweep
SLURM_JOB_ID=128 SLURM_JOB_USER=$U SLURM_JOB_UID=$UID_U ep_run --slurm >/dev/null 2>&1
alive "$hold_d" && [ "$(state "$hold_d")" = S ]
ok $? "Slurm epilogue: root daemon with the user's euid untouched"
ep_run --sweep >/dev/null 2>&1
alive "$hold_d" && alive "$hold_n" && [ "$(state "$hold_d")" = S ] && [ "$(state "$hold_n")" = S ]
ok $? "sweep: both root daemons untouched"

# --- su and runuser stop themselves when their child stops ---
su_case() { # su_case NAME CMD...: CMD runs `sleep 300` as U below a root parent
    local name=$1 parent child out i st
    shift
    "$@" </dev/null >/dev/null 2>&1 &
    parent=$!
    _cleanup_add "kill -CONT $parent 2>/dev/null; kill -KILL $parent 2>/dev/null"
    child=
    for i in $(seq 100); do
        child=$(ps -o pid= --ppid "$parent" | tr -d ' ')
        [ -n "$child" ] && [ "$(stat -c %u "/proc/$child" 2>/dev/null)" = $UID_U ] && break
        sleep 0.05
    done
    [ -n "$child" ] || diag "$name: no child appeared"
    is "$(awk '/^Uid:/ {print $2}' "/proc/$parent/status" 2>/dev/null)" 0 "$name parent is root's"
    out=$(ep_run --user $U --job 9 --json 2>"$TEST_TMP/err")
    diag "$(tail -1 <<<"$out")"
    ! alive "$child"
    ok $? "$name: the user's child killed"
    # not left stopped: it was continued, saw its child die and exits
    for i in $(seq 100); do
        st=$(state "$parent")
        [ "$st" != T ] && [ "$st" != t ] && break
        sleep 0.05
    done
    [ -n "$st" ] && [ "$st" != T ] && [ "$st" != t ] || [ -z "$st" ]
    ok $? "$name parent not left in state T (state: ${st:-gone})"
    # (su stops only if it saw its child stopped before the child died: on
    # a busy machine it may not have, and then there is nothing to continue)
    if grep '"action":"continue"' <<<"$out" | listed "$parent"; then
        ok 0 "$name: the report says it was continued"
    else
        ok 0 "$name: the report says it was continued # SKIP it never stopped"
    fi
    for i in $(seq 100); do alive "$parent" || break; sleep 0.05; done
    ! alive "$parent"
    ok $? "$name parent exited after its child's death"
    # (never wait for a stopped child)
    alive "$parent" && { kill -CONT "$parent"; kill -KILL "$parent"; } 2>/dev/null
    wait "$parent" 2>/dev/null
}
su_case "su -" su - $U -c 'sleep 300'
su_case runuser runuser -l $U -c 'sleep 300'

# --- max_uid: a sweep leaves uids above it alone ---
printf '[epilogue]\nmin_uid = %s\nmax_uid = 61766\nstrip_cron = no\nstrip_at = no\nstrip_linger = no\n' \
    "$EP_UID_MIN" >"$TEST_TMP/policies/maxuid.ini"
chmod 0644 "$TEST_TMP/policies/maxuid.ini"
ep_spawn p_in sleeper --uid 61765 --setsid --double-fork
ep_spawn p_above sleeper --uid 61767 --setsid --double-fork
out=$(ep_run --policy maxuid --sweep --json 2>"$TEST_TMP/err")
diag "$(tail -1 <<<"$out") $(head -3 "$TEST_TMP/err")"
! alive "$p_in"
ok $? "sweep kills an orphan of uid 61765 (<= max_uid 61766)"
alive "$p_above" && [ "$(state "$p_above")" = S ]
ok $? "sweep leaves uid 61767 (> max_uid) alone"
