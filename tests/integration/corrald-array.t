#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-array.t — job arrays (submit --array), end to end through the CLI
# as test users, on a node of 4 slots and 4 CPUs (so that the throttle, not
# the node, limits the array):
#  - --array 1-6%2: six jobs, each writing its CORRAL_ARRAY_TASK_ID (and
#    the array's id, count, min, max) to -o %A_%a.out; all six files have
#    the right contents; sampled through `list --json` while it runs, never
#    more than 2 elements RUNNING, and the waiting ones show ARRAY_LIMIT;
#  - cancel of one element by its id, and by ARRAYID_TASKID, cancels only
#    it; cancel of the array's id cancels the rest;
#  - a spec with a step and a list makes the right task ids;
#  - refused specs (bad syntax, more than max_array_size elements, more
#    than max_queued_per_user may wait) store nothing and say why; %a
#    without --array is refused;
#  - another user can neither see nor cancel the array;
#  - an array's id among other ids (bulk cancel) cancels all its elements,
#    another user's bulk cancel none; ARRAYID_TASKID among other ids is
#    refused;
#  - --afterany/--afterok on an array's id wait for every element: a job
#    after an array whose first element ended still waits (DEPENDENCY) for
#    the second, and --afterok is cancelled, naming the element, when one
#    element FAILED; every element of an array carries its own
#    dependencies (an array after a CANCELLED job is cancelled at once);
#  - after a restart of corrald the throttle still holds.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 55

make_tmpdir
MAXQ=40 corrald_setup 4
echo "max_array_size = 50" >>"$TEST_TMP/corral.conf"
# the jobs of this test see the host's /tmp, where they write their output
cat >"$TEST_TMP/policies/arr.ini" <<EOP
[policy]
inherit = t
[filesystem]
private_tmp = no
EOP
chmod 0644 "$TEST_TMP/policies/arr.ini"
A=corraltestar1
B=corraltestar2
make_test_user $A 61341 || plan_skip "cannot create test users"
make_test_user $B 61342 || plan_skip "cannot create test users"
# the epilogue (which ends a user's processes) reports only: the tests run
# commands as the users while their jobs end
corrald_start --epilogue-dry-run; ok $? "corrald starts"
W=$TEST_TMP/work
mkdir -p "$W" && chown $A "$W"

in_dir() { local d=$1 user=$2; shift 2; (cd "$d" && setpriv --reuid="$user" --regid="$user" --init-groups env CORRAL_SOCKET="$SOCK" "$@"); }
njobs() { "$CORRAL" list --json --all -u "$1" | grep -c '"id"'; }
# A's jobs, one line each (list --json, as an admin)
job_lines() { "$CORRAL" list --json --all -u $A | awk '/^    \{/ { l = ""; next } /^    \}/ { print l; next } { l = l $0 }'; }
# how many elements of array $1 are in state $2
count_state() { job_lines | grep "\"array_job_id\": $1," | grep -c "\"state\": \"$2\""; }
# the ids of the elements of array $1
array_ids() { job_lines | grep "\"array_job_id\": $1," | sed 's/.*"id": \([0-9]*\),.*/\1/' | sort -n; }

# --- 1-6%2: six jobs, at most two at once ---
aid=$(in_dir "$W" $A "$CORRAL" submit -p arr --array '1-6%2' -o '%A_%a.out' -- /bin/sh -c \
    'echo "$CORRAL_ARRAY_TASK_ID $CORRAL_ARRAY_JOB_ID $CORRAL_ARRAY_TASK_COUNT $CORRAL_ARRAY_TASK_MIN $CORRAL_ARRAY_TASK_MAX"; sleep 1' \
    2>"$TEST_TMP/submit.err")
like "$aid" '^[0-9]+$' "submit --array prints the array's id"
like "$(cat "$TEST_TMP/submit.err")" "array job $aid: 6 tasks, jobs $aid to $((aid + 5))" "... and, on stderr, its tasks and jobs"
max=0 limit_seen=0 table_seen=0
for i in $(seq 600); do
    json=$("$CORRAL" list --json --all -u $A)
    run=$(printf '%s\n' "$json" | grep -c '"state": "RUNNING"')
    [ "$run" -gt "$max" ] && max=$run
    printf '%s\n' "$json" | grep -q '"pending_reason": "ARRAY_LIMIT"' && limit_seen=$((limit_seen + 1))
    [ "$table_seen" = 0 ] && "$CORRAL" list -u $A | grep -Eq "^[0-9]+ .* QUEUED .* ${aid}_[0-9] .* ARRAY_LIMIT " && table_seen=1
    final=$(printf '%s\n' "$json" | grep -cE '"state": "(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|LOST)"')
    [ "$final" = 6 ] && break
    sleep 0.1
done
is "$final" 6 "all six elements ended"
ok "$([ "$max" -ge 1 ] && [ "$max" -le 2 ]; echo $?)" "at no time more than 2 elements RUNNING (the most seen: $max)"
ok "$([ "$limit_seen" -gt 0 ]; echo $?)" "the waiting elements showed the pending reason ARRAY_LIMIT"
is "$table_seen" 1 "the list table shows ID, ARRAY as ${aid}_TASK and ARRAY_LIMIT"
is "$(count_state "$aid" COMPLETED)" 6 "all six COMPLETED"
contents=""
for t in 1 2 3 4 5 6; do contents="$contents$(cat "$W/${aid}_$t.out" 2>&1)|"; done
is "$contents" "1 $aid 6 1 6|2 $aid 6 1 6|3 $aid 6 1 6|4 $aid 6 1 6|5 $aid 6 1 6|6 $aid 6 1 6|" \
    "each element wrote its task id, array id, count, min, max to %A_%a.out" || diag "$(ls -l "$W")"
is "$(stat -c %U "$W/${aid}_3.out")" $A "the output files belong to the user"
is "$(job_field $((aid + 2)) array)/$(job_field $((aid + 2)) array_task_id)/$(job_field $((aid + 2)) array_job_id)" \
    "${aid}_3/3/$aid" "show: array, array_task_id, array_job_id of an element"
like "$(as $A show $((aid + 2)))" "array +${aid}_3" "show prints the element as ${aid}_3"
ids=$(array_ids "$aid" | tr '\n' ' ')
is "$ids" "$aid $((aid + 1)) $((aid + 2)) $((aid + 3)) $((aid + 4)) $((aid + 5)) " "one job per element, each its own id"

# --- cancel: one element, then the array; another user can do neither ---
aid=$(submit_as $A --array '1-5%1' -- /bin/sleep 300)
wait_state "$aid" RUNNING; ok $? "the first element of 1-5%1 runs"
is "$(job_field $((aid + 1)) state)/$(job_field $((aid + 1)) pending_reason)" "QUEUED/ARRAY_LIMIT" \
    "the second waits with ARRAY_LIMIT while slots are free"
out=$(as $B cancel "$aid" 2>&1); rc=$?
like "$rc:$out" "^1:.*no job $aid" "another user cannot cancel the array (no job $aid)"
out=$(as $B cancel "${aid}_2" 2>&1); rc=$?
like "$rc:$out" "^1:.*no job $aid" "... nor one of its elements by ARRAYID_TASKID"
out=$(as $B show "$aid" 2>&1); rc=$?
is "$rc" 1 "... nor show it"
is "$(as $B list --json --all | grep -c "\"array_job_id\": $aid")" 0 "... nor see it in list"
is "$(count_state "$aid" CANCELLED)" 0 "nothing was cancelled"
as $A cancel $((aid + 2)) >/dev/null; ok $? "cancel of an element by its own id"
is "$(job_field $((aid + 2)) state)" CANCELLED "... cancels it"
is "$(count_state "$aid" QUEUED)" 3 "... and only it"
out=$(as $A cancel "${aid}_4"); ok $? "cancel ${aid}_4"
is "$(job_field $((aid + 3)) state)/$(count_state "$aid" QUEUED)" "CANCELLED/2" "... cancels task 4 only"
out=$(as $A cancel "$aid"); ok $? "cancel of the array's id"
like "$out" "array $aid: cancel requested for 3 jobs" "... asks for its 3 unfinished jobs"
wait_final "$aid" >/dev/null
is "$(count_state "$aid" CANCELLED)" 5 "... all five are CANCELLED"

# --- step and list ---
json=$(submit_as $A --json --hold --array '0-15:4,1,3' -- /bin/true)
aid=$(printf '%s\n' "$json" | sed -n 's/^ *"array_job_id": \([0-9]*\),*$/\1/p')
is "$(printf '%s\n' "$json" | sed -n 's/^ *"tasks": \([0-9]*\),*$/\1/p')" 6 "0-15:4,1,3: six tasks (JSON answer)"
tasks=""
for id in $(array_ids "$aid"); do tasks="$tasks$(job_field "$id" array_task_id) "; done
is "$tasks" "0 1 3 4 8 12 " "... with task ids 0 1 3 4 8 12, in order"
as $A cancel "$aid" >/dev/null

# --- refused specs store nothing ---
before=$(njobs $A)
out=$(submit_as $A --array '1-' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*invalid --array '1-'.* 1-100, 0-15:4 or 1,3,5-7" "a malformed spec is refused, showing the forms"
out=$(submit_as $A --array '5-1' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*ends before it starts" "a range that ends before it starts is refused"
out=$(submit_as $A --array '1-51' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*more than 50 elements.*max_array_size" "51 elements with max_array_size = 50: refused, naming the limit and the knob"
out=$(submit_as $A --array '1-45' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*this array adds 45 \(the limit is 40, \[node\] max_queued_per_user\)" \
    "an array past max_queued_per_user is refused as a whole"
out=$(submit_as $A --array '1-3%0' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*throttle" "a throttle of 0 is refused"
out=$(in_dir "$W" $A "$CORRAL" submit -o '%a.out' -- /bin/true 2>&1); rc=$?
like "$rc:$out" "^1:.*%a and %A .* --array" "%a without --array is refused"
is "$(njobs $A)" "$before" "the refused submissions stored no job"

# --- bulk cancel with an array's id; dependencies on an array ---
aid=$(submit_as $A --hold --array '1-3' -- /bin/true)
one=$(submit_as $A --hold -- /bin/true)
out=$(as $B cancel "$aid" "$one" 2>&1); rc=$?
is "$rc/$(count_state "$aid" HELD)" "1/3" "another user's bulk cancel of the array's id cancels nothing"
out=$(as $A cancel "${aid}_1" "$one" 2>&1); rc=$?
like "$rc:$out" "^2:.*${aid}_1 names one job of an array and is taken alone" "ARRAYID_TASKID among other ids is refused"
out=$(as $A cancel "$one" "$aid" 2>&1); rc=$?
is "$rc" 0 "bulk cancel of a job and an array's id"
like "$out" "job $((aid + 2)) \(array $aid\): cancelled" "... reports each element with its array"
is "$(count_state "$aid" CANCELLED)/$(job_field "$one" state)" "3/CANCELLED" "... and cancels all three elements and the job"

aid=$(submit_as $A --array '1-2' -- /bin/sh -c '[ "$CORRAL_ARRAY_TASK_ID" = 2 ] && exec sleep 300; exit 0')
is "$(wait_final "$aid")" COMPLETED "an array whose first element ends COMPLETED"
wait_state $((aid + 1)) RUNNING; ok $? "... while its second runs"
dep=$(submit_as $A --afterany "$aid" -- /bin/true)
is "$(job_field "$dep" state)/$(job_field "$dep" pending_reason)" "QUEUED/DEPENDENCY" \
    "--afterany on the array's id waits for every element, not only the first"
as $A cancel "${aid}_2" >/dev/null
is "$(wait_final "$dep")" COMPLETED "... and runs once the last element ended"

aid=$(submit_as $A --array '1-2' -- /bin/sh -c 'exit $((CORRAL_ARRAY_TASK_ID - 1))')
dep=$(submit_as $A --afterok "$aid" -- /bin/true)
is "$(wait_final "$dep")" CANCELLED "--afterok on an array with a FAILED element: the dependent job is cancelled"
like "$(job_field "$dep" reason)" "job $((aid + 1)) \(task 2 of array $aid\) FAILED" "... naming the element that failed"
is "$(job_field "$aid" state)" COMPLETED "... though the first element COMPLETED"
aid=$(submit_as $A --array '1-2' --afterok "$dep" -- /bin/true 2>"$TEST_TMP/submit.err")
like "$(cat "$TEST_TMP/submit.err")" "job $aid was cancelled at once: a dependency can never be met" \
    "an array whose --afterok can never be met: submit says it was cancelled at once"
is "$(count_state "$aid" CANCELLED)" 2 "... and every element carries the dependency (both CANCELLED)"

# --- the throttle after a restart ---
aid=$(submit_as $A --array '1-3%1' -- /bin/sleep 300)
wait_state "$aid" RUNNING; ok $? "1-3%1: the first element runs"
corrald_stop
corrald_start --epilogue-dry-run; ok $? "corrald restarts"
sleep 1
is "$(count_state "$aid" RUNNING)/$(job_field $((aid + 1)) pending_reason)" "1/ARRAY_LIMIT" \
    "after the restart one element runs, the others wait with ARRAY_LIMIT"
as $A cancel "$aid" >/dev/null
wait_final "$aid" >/dev/null
wait_final $((aid + 2)) >/dev/null
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
[ "$_tap_failed" = 0 ] || fail_diag "corrald's log:" "$(tail -40 "$TEST_TMP/corrald.log")"
done_testing
