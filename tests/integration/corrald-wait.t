#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-wait.t — waiting that streams, against a real corrald: submit
# --pipe shows the job's stdout and stderr while it runs (a line appears, the
# job goes on only once the test saw it) and exits with its status; the wait
# is one connection pushed by the daemon: one audit row, not one per poll;
# `corral wait ID` on an ended job answers with its status; ^C leaves the job
# running and says so, or with --cancel-on-interrupt cancels it; another
# user's job is answered as a missing one; logs -f is pushed too.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 29

make_tmpdir
corrald_setup 2
# jobs of policy w see the host's /tmp, where the test leaves its signals
cat >"$TEST_TMP/policies/w.ini" <<EOP
[policy]
description = corrald-wait.t: t with the host's /tmp
inherit = t
[filesystem]
private_tmp = no
EOP
chmod 0644 "$TEST_TMP/policies/w.ini"
U=corraltestwt
V=corraltestwv
make_test_user $U 61201
make_test_user $V 61202
corrald_start --epilogue-dry-run; ok $? "corrald starts"
DB=$TEST_TMP/state/queue.db
SYNC=$TEST_TMP/sync
mkdir -p "$SYNC"; chmod 0777 "$SYNC"

# as_bg USER ARGS...: corral as USER in the background, $! its own pid
# (setpriv and env exec it), stdin not a terminal
as_bg() {
    local user=$1; shift
    cd /; setpriv --reuid="$user" --regid="$user" --init-groups env CORRAL_SOCKET="$SOCK" "$CORRAL" "$@" </dev/null &
}
# until_file FILE PATTERN: waits (60 s at most) for a line matching PATTERN
until_file() {
    local i
    for i in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
# until corrald has the wait request for job $1 (the CLI catches ^C from before it sends it)
until_waiting() {
    local i
    for i in $(seq 600); do
        [ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE op='wait' AND job=$1")" -ge 1 ] && return 0
        sleep 0.1
    done
    return 1
}
last_job() { sqlite3 "$DB" "SELECT max(id) FROM jobs WHERE uid=$1"; }
audit_max() { sqlite3 "$DB" "SELECT coalesce(max(id),0) FROM audit"; }
# the inotify watches of the core: one per job directory whose output it streams
inotify_watches() {
    local core f n=0
    core=$(corrald_core_pid)
    for f in /proc/"$core"/fd/*; do
        [ "$(readlink "$f")" = "anon_inode:inotify" ] || continue
        n=$((n + $(grep -c '^inotify wd:' "/proc/$core/fdinfo/${f##*/}")))
    done
    echo $n
}
rss_kb() { sed -n 's/^VmRSS: *\([0-9]*\) kB$/\1/p' "/proc/$(corrald_core_pid)/status"; }
audit_ops() { # audit_ops UID AFTER: the operations audited for UID since row AFTER
    sqlite3 "$DB" "SELECT group_concat(op, ' ') FROM (SELECT op FROM audit WHERE uid=$1 AND id > $2 ORDER BY id)"
}

# --- submit --pipe streams while the job runs, and exits with its status ---
a0=$(audit_max)
base=$(inotify_watches)
as_bg $U submit -p w --pipe -- /bin/sh -c \
    "echo first; echo first-err >&2; while [ ! -e $SYNC/go1 ]; do sleep 0.1; done; echo second; echo second-err >&2; exit 3" \
    >"$TEST_TMP/out1" 2>"$TEST_TMP/err1"
pid=$!
until_file "$TEST_TMP/out1" '^first$'; ok $? "submit --pipe: the job's first stdout line is shown while it runs"
until_file "$TEST_TMP/err1" '^first-err$'; ok $? "... its stderr on stderr"
id=$(last_job 61201)
is "$(job_field "$id" state)/$(grep -c second "$TEST_TMP/out1")" RUNNING/0 \
    "... the job still running (it waits for the test), nothing it has not written yet shown"
is "$(inotify_watches)" $((base + 1)) "... corrald watches the job's output directory (inotify), it does not poll"
touch "$SYNC/go1"
wait $pid; rc=$?
is "$rc" 3 "submit --pipe exits with the job's exit code"
is "$(cat "$TEST_TMP/out1")" "$(printf 'first\nsecond')" "stdout holds exactly the job's stdout, in order"
is "$(grep -c -- '-err$' "$TEST_TMP/err1")/$(grep -c -- '-err' "$TEST_TMP/out1")" 2/0 \
    "stderr holds the job's stderr lines, stdout none of them"
like "$(cat "$TEST_TMP/err1")" "job $id FAILED, exit 3:0" "the end is reported on stderr"
is "$(audit_ops 61201 "$a0")" "submit wait" "one audit row for the submit, one for the whole wait (no polling)"

# --- corral wait ID on an ended job ---
out=$(run_as $U timeout 60 "$CORRAL" wait "$id" 2>"$TEST_TMP/err2"); rc=$?
is "$rc/$out" 3/ "corral wait ID on an ended job: its exit status, nothing on stdout without --pipe"
like "$(cat "$TEST_TMP/err2")" "job $id FAILED" "... its end on stderr"
out=$(run_as $U timeout 60 "$CORRAL" wait --pipe "$id" 2>/dev/null)
is "$out" "$(printf 'first\nsecond')" "corral wait --pipe ID on an ended job: all of its stdout"
out=$(run_as $U timeout 60 "$CORRAL" wait --json "$id" 2>/dev/null)
like "$out" "\"state\": \"FAILED\"" "corral wait --json: the job as show --json prints it"
id2=$(submit_as $U -- /bin/sh -c 'exit 0')
run_as $U timeout 60 "$CORRAL" wait "$id2" 2>/dev/null; is $? 0 "corral wait on a job that completes: 0"

# --- submit --wait (no --pipe) does not show the output ---
a0=$(audit_max)
out=$(run_as $U timeout 60 "$CORRAL" submit --wait -- /bin/echo hidden 2>/dev/null); rc=$?
is "$rc/$out/$(audit_ops 61201 "$a0")" "0//submit wait" \
    "submit --wait without --pipe: the job's status, not its output; one wait, audited once"

# --- ^C: the job keeps running, and the message says how to cancel it ---
as_bg $U submit --wait -- /bin/sleep 300 >/dev/null 2>"$TEST_TMP/err3"
pid=$!
until_file "$TEST_TMP/err3" 'submitted, waiting'
id=$(last_job 61201)
wait_state "$id" RUNNING
until_waiting "$id"
kill -INT $pid
wait $pid; rc=$?
msg=$(grep -c "^corral: job $id is still running: corral cancel $id\$" "$TEST_TMP/err3")
sleep 1
is "$rc/$msg/$(job_field "$id" state)" 130/1/RUNNING \
    "^C while waiting: exit 130, saying the job is still running and how to cancel it; it still runs"
as $U cancel "$id" >/dev/null

# --- ^C with --cancel-on-interrupt cancels the job ---
as_bg $U submit --wait --cancel-on-interrupt -- /bin/sleep 300 >/dev/null 2>"$TEST_TMP/err4"
pid=$!
until_file "$TEST_TMP/err4" 'submitted, waiting'
id=$(last_job 61201)
wait_state "$id" RUNNING
until_waiting "$id"
kill -INT $pid
wait $pid; rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; ok $? "--cancel-on-interrupt: waits for the cancelled job's end (exit $rc)"
like "$(cat "$TEST_TMP/err4")" "cancelling job $id" "... saying it cancels it"
is "$(wait_final "$id" 60)" CANCELLED "... and the job ends CANCELLED"
like "$(cat "$TEST_TMP/err4")" "job $id CANCELLED" "... which the wait reported"

# --- ^C on a terminal asks, and yes cancels ---
mkfifo "$TEST_TMP/tty-in"; chmod 0666 "$TEST_TMP/tty-in"
trap '' PIPE # a corral that is gone (no question asked) must fail this test, not kill it
cd /; setpriv --reuid=$U --regid=$U --init-groups env CORRAL_SOCKET="$SOCK" \
    script -qfec "$CORRAL submit --wait -- /bin/sleep 300" /dev/null <"$TEST_TMP/tty-in" >"$TEST_TMP/tty-out" 2>&1 &
pid=$!
exec 7>"$TEST_TMP/tty-in"
until_file "$TEST_TMP/tty-out" 'submitted, waiting'
id=$(last_job 61201)
wait_state "$id" RUNNING
until_waiting "$id"
printf '\003' >&7 # ^C, typed on the terminal
until_file "$TEST_TMP/tty-out" "cancel job $id? \[y/N\]" && asked=asked
printf 'y\n' >&7
wait $pid
exec 7>&-
is "${asked:-no}/$(wait_final "$id" 60)/$(grep -c "cancelling job $id" "$TEST_TMP/tty-out")" asked/CANCELLED/1 \
    "^C on a terminal asks 'cancel job N? [y/N]'; y cancels the job"

# --- another user's job: the same answer as a missing job ---
id=$(submit_as $U -- /bin/sleep 300)
err=$(run_as $V timeout 60 "$CORRAL" wait --pipe "$id" 2>&1); rc=$?
is "$rc/$err" "1/corral: no job $id" "another user cannot wait for (or stream) a job: answered as a missing job"
err=$(run_as $V timeout 60 "$CORRAL" wait 999999 2>&1)
is "$err" "corral: no job 999999" "... the same as for a job that does not exist"
is "$(sqlite3 "$DB" "SELECT result FROM audit WHERE uid=61202 AND op='wait' AND job=$id")" denied "... audited as denied"
run_as $U timeout 60 "$CORRAL" wait 999999 >/dev/null 2>&1; is $? 1 "waiting for a missing job fails"
as $U cancel "$id" >/dev/null

# --- logs -f is pushed: lines appear as the job writes them, one audit row ---
id=$(submit_as $U -p w -- /bin/sh -c "echo one; while [ ! -e $SYNC/go5 ]; do sleep 0.1; done; echo two")
wait_state "$id" RUNNING
a0=$(audit_max)
base=$(inotify_watches)
as_bg $U logs -f "$id" >"$TEST_TMP/out5" 2>&1
pid=$!
seen=no; until_file "$TEST_TMP/out5" '^one$' && seen=yes
n=$(inotify_watches)
touch "$SYNC/go5"
wait $pid; rc=$?
is "$seen/$n/$rc/$(cat "$TEST_TMP/out5" | tr '\n' ' ')/$(audit_ops 61201 "$a0")" "yes/$((base + 1))/0/one two /logs" \
    "logs -f: lines as the job writes them, pushed (inotify, no timer), then it ends with the job; one audit row"

# --- a client that stops reading: corrald neither buffers for it nor stalls ---
rss0=$(rss_kb)
id=$(submit_as $U -- /bin/sh -c 'head -c 40000000 /dev/zero | tr "\0" x; echo; exec sleep 300')
wait_state "$id" RUNNING
cd /; setpriv --reuid=$U --regid=$U --init-groups "$CORRAL_BUILD/tests/helpers/stallwait" "$SOCK" "$id" \
    >"$TEST_TMP/stall" 2>&1 </dev/null &
spid=$!
until_file "$TEST_TMP/stall" 'event' && sub=subscribed
outf="$(job_field "$id" output_dir)/stdout"
for i in $(seq 600); do [ "$(stat -c %s "$outf" 2>/dev/null)" -ge 40000001 ] 2>/dev/null && break; sleep 0.1; done
sleep 1
st=$(timeout 30 "$CORRAL" status >/dev/null 2>&1 && echo answers)
rss1=$(rss_kb)
grew=$(( (rss1 - rss0) / 1024 ))
[ "$grew" -lt 16 ] && bounded=bounded || bounded="grew ${grew} MiB"
is "${sub:-no}/$(stat -c %s "$outf")/$st/$bounded" "subscribed/40000001/answers/bounded" \
    "a subscriber that stops reading while its job writes 40 MB: corrald still answers, its memory does not follow"
kill $spid; wait $spid 2>/dev/null
as $U cancel "$id" >/dev/null
st=$(wait_final "$id" 60)
watches=$(inotify_watches)
# under `make check-asan` this is where memory errors and leaks would show
corrald_stop
bad=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$TEST_TMP/corrald.log")
is "$st/$watches/$bad" CANCELLED/0/ "... once it is gone no watch is left behind (and no sanitizer report)"
