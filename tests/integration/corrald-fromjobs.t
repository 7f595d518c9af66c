#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-fromjobs.t — submissions from inside jobs are the policy's
# decision ([users] submit_from_jobs), known from the kernel:
#  - a job whose policy says no (and that is given the socket) is refused
#    with the reason; one whose policy says yes queues a job that records its
#    parent_job (show, JSON);
#  - a client outside any job that says it is in one (CORRAL_JOB_ID) is not;
#  - under the shipped default the job does not see the socket's directory;
#  - a flood of rejected requests from one uid leaves a handful of audit
#    rows and one summary row with the count, not a row per request.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 17

make_tmpdir
corrald_setup 2
# the test's directory (and socket) is in the host's /tmp: these jobs see it
cat >"$TEST_TMP/policies/tdef.ini" <<EOP
[policy]
description = corrald-fromjobs.t: t (default.ini's submit_from_jobs) with the host's /tmp
inherit = t
[filesystem]
private_tmp = no
EOP
# yes: a job of it may submit (and sees the socket)
cat >"$TEST_TMP/policies/tyes.ini" <<EOP
[policy]
description = corrald-fromjobs.t: jobs may submit
inherit = tdef
[users]
submit_from_jobs = yes
EOP
chmod 0644 "$TEST_TMP/policies/"*.ini
U=corraltestfj
V=corraltestfk
make_test_user $U 61301
make_test_user $V 61302
corrald_start --epilogue-dry-run; ok $? "corrald starts"
DB=$TEST_TMP/state/queue.db
# the socket by another path (a hard link), which the launcher does not hide:
# what corrald answers is all that stops a job of a policy that says no
mkdir -m 0755 "$TEST_TMP/alt"
ln "$SOCK" "$TEST_TMP/alt/corral.sock"

# the job: corral submit from inside itself, its answer and exit status on
# stdout (an ASan build's leak check cannot run in a job: LeakSanitizer stops
# the world with ptrace, which the policy's seccomp filter denies)
inner() { echo "ASAN_OPTIONS=detect_leaks=0 $CORRAL submit -p t -- /bin/true 2>&1; echo rc=\$?"; }
inner_alt() {
    echo "ASAN_OPTIONS=detect_leaks=0 CORRAL_SOCKET=$TEST_TMP/alt/corral.sock $CORRAL submit -p t -- /bin/true 2>&1; echo rc=\$?"
}

# --- no: refused, with the reason ---
id=$(submit_as $U -p tdef -- /bin/sh -c "$(inner_alt)")
st=$(wait_final "$id")
out=$(as $U logs "$id")
[ "$st" = COMPLETED ] || fail_diag "$st: $(job_field "$id" reason)"
like "$out" "submissions from inside job $id are not allowed by policy tdef \(\[users\] submit_from_jobs = no\)" \
    "submit_from_jobs = no: a job's corral submit is refused, naming the job, the policy and the key"
like "$st/$out" "^COMPLETED/.*rc=1" "... the inner corral submit fails (exit 1), the job itself completes"
is "$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE uid=61301")" 1 "... and no job was queued"
is "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE uid=61301 AND op='submit' AND result='denied' AND detail LIKE 'submissions from inside job $id %'")" 1 \
    "... audited as denied, with the reason"

# --- yes: accepted, the new job records its parent ---
id=$(submit_as $U -p tyes -- /bin/sh -c "$(inner)")
st=$(wait_final "$id")
out=$(as $U logs "$id")
child=$(sed -n 's/^\([0-9][0-9]*\)$/\1/p' <<<"$out" | head -1)
like "$st/$out" "^COMPLETED/[0-9]+"$'\n'"rc=0" "submit_from_jobs = yes: a job's corral submit is accepted (job ${child:-none})"
is "$(job_field "${child:-0}" parent_job)" "$id" "... and the new job's parent_job (show --json) is the job it came from"
like "$(as $U show "${child:-0}")" "parent_job +$id" "... shown by corral show"
is "$(job_field "$id" parent_job)" "null" "the outer job, submitted from the host, has no parent_job"
wait_final "${child:-0}" >/dev/null

# --- a client outside any job that says it is in one is not ---
id=$(submit_as $U -p tyes -- /bin/sleep 300)
wait_state "$id" RUNNING
fake=$(run_as $U env CORRAL_JOB_ID="$id" CORRAL_POLICY=tdef CORRAL_JOB=1 "$CORRAL" submit -p t -- /bin/true 2>&1)
like "$fake" "^[0-9]+$" "a client outside any job with CORRAL_JOB_ID of a running job in its environment may submit"
is "$(job_field "$fake" parent_job)" "null" "... and its job has no parent_job: corrald goes by the kernel, not by what the client says"
as $U cancel "$id" >/dev/null
wait_final "$id" >/dev/null

# --- the shipped default hides the socket's directory from the job ---
probe="if [ -e '$SOCK' ]; then echo socket-visible; else echo socket-hidden; fi; ls '$(dirname "$SOCK")' >/dev/null 2>&1 && echo dir-listable || echo dir-hidden"
id=$(submit_as $U -p tdef -- /bin/sh -c "$probe")
wait_final "$id" >/dev/null
is "$(as $U logs "$id" | tr '\n' ' ')" "socket-hidden dir-hidden " \
    "under the shipped default (tdef inherits default.ini: submit_from_jobs = no) a job sees neither the socket nor its directory"
id=$(submit_as $U -p tyes -- /bin/sh -c "$probe")
wait_final "$id" >/dev/null
is "$(as $U logs "$id" | tr '\n' ' ')" "socket-visible dir-listable " "... while a job whose policy says yes sees both"
id=$(submit_as $U -p tdef -- /bin/sh -c "$(inner)")
wait_final "$id" >/dev/null
like "$(as $U logs "$id")" "rc=1" "... and its corral submit fails"

# --- a flood of rejected requests: a handful of rows and one summary ---
a0=$(sqlite3 "$DB" "SELECT coalesce(max(id), 0) FROM audit")
answered=0
for i in $(seq 200); do
    as $V drain 2>&1 | grep -q "only root and members of the admin group may drain" && answered=$((answered + 1))
done
is "$answered" 200 "200 rejected requests of one uid (drain by a user) are each answered with the reason"
rows=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE uid=61302 AND id > $a0 AND op='drain'")
[ "$rows" -ge 1 ] && [ "$rows" -le 10 ]; ok $? "... yet only a handful have an audit row of their own ($rows, not 200)"
# the window closes at the latest when the core exits: its summary row
corrald_stop
summary=$(sqlite3 "$DB" "SELECT detail FROM audit WHERE uid=61302 AND id > $a0 AND op='rejected' AND result='summary'")
is "$summary" "$((200 - rows)) more rejected requests from uid 61302 in the last ${summary##* last }" \
    "... and one summary row counts the rest ($summary)"

done_testing
