#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-limits.t — one user cannot stall the node for everyone:
#  - a job whose --stdout is a FIFO fails at once, naming the FIFO, and
#    does not hold its slot (two such jobs used to stop a 2-slot node);
#  - a job whose launch has to wait (a lease on its --stdout file that is
#    never released) ends at its walltime, not when the wait ends;
#  - 16 users holding 64 idle connections each cannot lock root or the
#    admin group out (max_connections keeps a reserve for them);
#  - idle connections are closed after idle_timeout, those that follow a
#    job's output are not; a bad idle_timeout stops corrald from starting.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
command -v socat >/dev/null || plan_skip "socat not installed (scripts/deps.sh)"
plan 19

make_tmpdir
corrald_setup 2
# 16 users for the connection test; the first also submits the jobs
for i in $(seq 1 16); do make_test_user "corraltestk$i" $((61300 + i)) || plan_skip "cannot create test users"; done
make_test_user corraltestk17 61317
make_test_user corraltestkadm 61320
usermod -a -G corraltestadm corraltestkadm
U=corraltestk1
UDIR=$TEST_TMP/u
mkdir -m 0755 "$UDIR"; chown "$U" "$UDIR"
corrald_start; ok $? "corrald starts"

reason() { "$CORRAL" show --json "$1" | sed -n 's/^  "reason": "\(.*\)",\{0,1\}$/\1/p'; }

# --- a FIFO as --stdout: refused at once, the slot freed ---
run_as "$U" mkfifo "$UDIR/fifo1" "$UDIR/fifo2"
id1=$(submit_as "$U" --stdout "$UDIR/fifo1" -- /bin/true)
id2=$(submit_as "$U" --stdout "$UDIR/fifo2" -- /bin/true)
st=$(wait_final "$id1" 60); is "$st" FAILED "a job with a FIFO as --stdout ends FAILED"
like "$(reason "$id1")" "stdout $UDIR/fifo1 is a FIFO" "... with a reason naming the FIFO"
st=$(wait_final "$id2" 60); is "$st" FAILED "a second one too (together they used to hold both slots)"
id3=$(submit_as "$U" -- /bin/sh -c 'echo next')
st=$(wait_final "$id3" 60); is "$st" COMPLETED "the node still runs the next job"
is "$(as "$U" logs "$id3")" "next" "... and its output is there"

# --- a launch that has to wait ends at the walltime ---
# A read lease on the --stdout file, held (by root) and never let go: the
# kernel breaks it only after lease-break-time (45 s). The walltime, 3 s,
# counts from the start of the launch, and bounds the wait.
run_as "$U" touch "$UDIR/leased"
mkfifo "$TEST_TMP/lease.in"
"$CORRAL_BUILD/tests/helpers/holdlease" "$UDIR/leased" <"$TEST_TMP/lease.in" >"$TEST_TMP/lease.out" 2>&1 &
lease_pid=$!
exec 7>"$TEST_TMP/lease.in"
for i in $(seq 100); do [ -s "$TEST_TMP/lease.out" ] && break; sleep 0.1; done
is "$(cat "$TEST_TMP/lease.out")" "leased" "a read lease is held on the job's --stdout file"
id=$(submit_as "$U" --walltime 3s --stdout "$UDIR/leased" -- /bin/true)
st=$(wait_final "$id" 120); is "$st" FAILED "the job ends FAILED at its walltime, not RUNNING until the lease is broken"
like "$(reason "$id")" "the walltime \(3s\) ran out before the job started: cannot open stdout $UDIR/leased" "... and the reason says so"
exec 7>&-
wait "$lease_pid"

# --- 16 users x 64 idle connections: root and the admin group still get in ---
# (the default max_connections, 1024, of which the last 64 are kept for
# root and the admin group; 64 per user)
mkfifo -m 0666 "$TEST_TMP/hold.in"
holders=()
for i in $(seq 1 16); do
    run_as "corraltestk$i" "$CORRAL_BUILD/tests/helpers/holdconns" "$SOCK" 64 <"$TEST_TMP/hold.in" >"$TEST_TMP/hold.$i" 2>&1 &
    holders+=($!)
done
exec 6>"$TEST_TMP/hold.in"
for i in $(seq 1 16); do
    for t in $(seq 300); do [ -s "$TEST_TMP/hold.$i" ] && break; sleep 0.1; done
done
open_n=0; refused=0
for i in $(seq 1 16); do
    read -r o r <"$TEST_TMP/hold.$i"
    open_n=$((open_n + ${o:-0})); refused=$((refused + ${r:-0}))
done
is "$open_n $refused" "960 64" "16 users x 64: 960 connections held, the 64 kept for root and admins refused with a reason"
"$CORRAL" status >/dev/null 2>"$TEST_TMP/root.err"; ok $? "root can still connect"
[ -s "$TEST_TMP/root.err" ] && sed 's/^/# /' "$TEST_TMP/root.err"
as corraltestkadm status >/dev/null; ok $? "a member of the admin group can still connect"
# (holdconns: the CLI would send its request first and could see the
# refusal only as a broken pipe)
out=$(run_as corraltestk17 "$CORRAL_BUILD/tests/helpers/holdconns" "$SOCK" 1 </dev/null)
is "$out" "0 1" "a user with no connection yet is refused meanwhile, with a reason"
exec 6>&-
for p in "${holders[@]}"; do wait "$p" 2>/dev/null; done
as corraltestk16 status >/dev/null; ok $? "the user is served again once the connections are closed"

# --- idle connections are closed after idle_timeout ---
corrald_stop
printf 'idle_timeout = 2s\n' >>"$TEST_TMP/corral.conf"
corrald_start; ok $? "corrald starts with idle_timeout = 2s"
# a client that connects and never asks anything: corrald closes it, and
# socat (reading the connection) ends; timeout(1) ends it otherwise
run_as "$U" timeout 60 socat -u "UNIX-CONNECT:$SOCK,type=5" - >"$TEST_TMP/idle.out" 2>&1; rc=$?
is "$rc" 0 "an idle connection is closed by corrald (not cut by timeout(1), 124)"
id=$(submit_as "$U" -- /bin/sh -c 'echo one; sleep 5; echo two' 2>"$TEST_TMP/submit.err") || sed 's/^/# /' "$TEST_TMP/submit.err"
out=$(run_as "$U" timeout 60 "$CORRAL" logs -f "$id"); rc=$?
is "$rc:$(echo $out)" "0:one two" "a connection following a job's output for longer than idle_timeout is not closed"
wait_final "$id" 60 >/dev/null

# --- a bad idle_timeout: corrald refuses to start, naming the line ---
corrald_stop
sed -i 's/^idle_timeout = 2s$/idle_timeout = 0s/' "$TEST_TMP/corral.conf"
err=$("$CORRALD" --config "$TEST_TMP/corral.conf" 2>&1); rc=$?
is "$rc" 1 "idle_timeout = 0s: corrald does not start"
like "$err" "corral.conf:[0-9]+: .*idle_timeout" "... and says which line and key"
[ "$_tap_failed" = 0 ] || fail_diag "corrald's log:" "$(tail -40 "$TEST_TMP/corrald.log")"
done_testing
