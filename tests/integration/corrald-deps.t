#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-deps.t — bulk cancel, job dependencies and --begin, end to end
# through the CLI as test users (issue 13, item 7):
#  - corral cancel takes ids and ranges in one request, with --state and -u
#    as filters (combined: all must hold); it reports each job and exits 1
#    when a job named could not be cancelled; another user's job is "no such
#    job"; -u naming another user is for admins;
#  - --afterok chain of three with a failing middle job: the first
#    COMPLETED, the middle FAILED, the last CANCELLED with the reason naming
#    the dependency; --afterany runs after a failure; --after waits for the
#    start; a dependency on another user's job (or none) is refused at
#    submit; pending reason DEPENDENCY in show and list;
#  - --begin now+3s: BEGIN_TIME, then it runs (no assertion on timing);
#  - dependencies and --begin survive a restart of corrald, and a --begin
#    time that passed while it was stopped is seen at start-up;
#  - the JSON of cancel and of show's dependency fields; corral wait says
#    what a job waits for (the stream's pending_reason and dependency).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 57

make_tmpdir
corrald_setup 4
A=corraltestda
B=corraltestdb
make_test_user $A 61251 || plan_skip "cannot create test users"
make_test_user $B 61252 || plan_skip "cannot create test users"
# an admin that is not root: a member of the node's admin_group
C=corraltestdc
make_test_user $C 61253 || plan_skip "cannot create test users"
usermod -a -G corraltestadm $C
corrald_start --epilogue-dry-run; ok $? "corrald starts"

pending() { job_field "$1" pending_reason; }
state() { job_field "$1" state; }
compact() { tr -d ' \n'; }
cancel_wait() { local id; for id in "$@"; do "$CORRAL" cancel "$id" >/dev/null 2>&1; done; for id in "$@"; do wait_final "$id" 60 >/dev/null; done; }

# --- bulk cancel: ids and ranges, --state, -u ---
h1=$(submit_as $A --hold -- /bin/true)
h2=$(submit_as $A --hold -- /bin/true)
h3=$(submit_as $A --hold -- /bin/true)
h4=$(submit_as $A --hold -- /bin/true)
h5=$(submit_as $A --hold -- /bin/true)
out=$(as $A cancel "$h1" "$h2-$h4" 999999 2>&1); rc=$?
is "$rc" 1 "cancel ID FROM-TO 999999: exit 1, one job named was not found"
is "$(state "$h1") $(state "$h2") $(state "$h3") $(state "$h4") $(state "$h5")" "CANCELLED CANCELLED CANCELLED CANCELLED HELD" "... the id and the range are cancelled, not the job after it"
like "$out" "job 999999: no such job" "... the missing one is reported"
like "$out" "job $h3: cancelled" "... each job cancelled is reported"
is "$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT count(*) FROM audit WHERE op = 'cancel' AND uid = $(id -u $A)")" 1 "... in one request (one audit row)"

r1=$(submit_as $A -- /bin/sleep 300)
wait_state "$r1" RUNNING
h6=$(submit_as $A --hold -- /bin/true)
as $A cancel --state HELD,PENDING >/dev/null; ok $? "cancel --state HELD,PENDING"
is "$(state "$h5") $(state "$h6") $(state "$r1")" "CANCELLED CANCELLED RUNNING" "... cancels the held jobs, not the running one"
h7=$(submit_as $A --hold -- /bin/true)
out=$(as $A cancel "$r1" "$h7" --state HELD); rc=$?
is "$rc/$(state "$h7")/$(state "$r1")" "0/CANCELLED/RUNNING" "ids with --state: only those in the state (filters combine)"
like "$out" "job $r1: skipped \\(RUNNING" "... the other is reported skipped"

b1=$(submit_as $B --hold -- /bin/true)
b2=$(submit_as $B --hold -- /bin/true)
out=$(as $A cancel --json "$b1" "$h1" 2>&1); rc=$?
is "$rc/$(state "$b1")" "1/HELD" "a user cannot cancel another user's job (exit 1)"
like "$(echo "$out" | compact)" "\\{\"job\":$b1,\"result\":\"not_found\"\\}" "... answered as a missing job, with no state"
like "$(echo "$out" | compact)" "\\{\"job\":$h1,\"result\":\"already_final\",\"state\":\"CANCELLED\"\\}" "--json: a job that ended is already_final with its state"
like "$(echo "$out" | compact)" "\"cancelled\":0,\"failed\":2," "--json: the counts"
out=$(as $A cancel -u $B 2>&1); rc=$?
is "$rc/$(state "$b1")/$(state "$b2")" "1/HELD/HELD" "cancel -u $B by $A is refused"
like "$out" "only admins may cancel other users' jobs" "... with the reason"
out=$(as $B cancel --json -u $B --state HELD "$b1"); rc=$?
is "$rc/$(state "$b1")/$(state "$b2")" "0/CANCELLED/HELD" "a user may name themself with -u"
like "$(echo "$out" | compact)" "\"jobs\":\\[\\{\"job\":$b1,\"result\":\"cancelled\",\"state\":\"CANCELLED\"\\}\\]" "--json: each job's result and state"
"$CORRAL" cancel -u $B >/dev/null; ok $? "root cancels -u $B"
is "$(state "$b2")" CANCELLED "... $B's jobs are cancelled"
b3=$(submit_as $B --hold -- /bin/true)
b4=$(submit_as $B --hold -- /bin/true)
out=$(as $C cancel -u $B --state held "$b3"); rc=$?
is "$rc/$(state "$b3")/$(state "$b4")" "0/CANCELLED/HELD" "a member of the admin group cancels another user's job with -u"
as $C cancel "$b4" >/dev/null; is "$?/$(state "$b4")" "0/CANCELLED" "... and by id"
out=$(as $A cancel 5-2 2>&1); rc=$?
like "$rc: $out" "^2: .*invalid job id or range '5-2' \(ID, or FROM-TO with FROM <= TO\)" "a range FROM > TO is a usage error"
cancel_wait "$r1"

# --- afterok chain of three, the middle one failing ---
c1=$(submit_as $A --hold -- /bin/true)
c2=$(submit_as $A --afterok "$c1" -- /bin/false)
c3=$(submit_as $A -d "afterok:$c2" -- /bin/true)
is "$(state "$c2")/$(pending "$c2")" "QUEUED/DEPENDENCY" "a job after a held one waits: DEPENDENCY"
is "$(pending "$c3")" DEPENDENCY "... and the one after it"
like "$(as $A list | grep "^$c3 ")" "QUEUED .* DEPENDENCY " "... in the list table too"
"$CORRAL" release "$c1" >/dev/null
is "$(wait_final "$c1")" COMPLETED "the first of the chain COMPLETED"
is "$(wait_final "$c2")" FAILED "the middle one ran and FAILED"
is "$(wait_final "$c3")" CANCELLED "the last is CANCELLED"
is "$(job_field "$c3" reason)" "dependency afterok:$c2 can never be met: job $c2 FAILED" "... with the reason naming the dependency"
is "$(job_field "$c3" started)" null "... and it never started"

# a dependent of the cancelled one falls with it (a chain cascades)
d1=$(submit_as $A --hold -- /bin/true)
d2=$(submit_as $A --afterok "$d1" -- /bin/true)
d3=$(submit_as $A --afterok "$d2" -- /bin/true)
as $A cancel "$d1" >/dev/null
is "$(wait_final "$d2")/$(wait_final "$d3")" "CANCELLED/CANCELLED" "cancelling a job cancels the chain after it"
like "$(job_field "$d3" reason)" "afterok:$d2 can never be met: job $d2 CANCELLED" "... each naming its own dependency"

# --- afterany runs after a failure; after waits for the start ---
f1=$(submit_as $A --hold -- /bin/false)
f2=$(submit_as $A --afterany "$f1" -- /bin/true)
is "$(pending "$f2")" DEPENDENCY "afterany on a held job: DEPENDENCY"
"$CORRAL" release "$f1" >/dev/null
is "$(wait_final "$f1")/$(wait_final "$f2")" "FAILED/COMPLETED" "afterany runs after its dependency FAILED"
s1=$(submit_as $A --hold -- /bin/sleep 300)
s2=$(submit_as $A --after "$s1" -- /bin/true)
is "$(pending "$s2")" DEPENDENCY "after on a job that has not started: DEPENDENCY"
"$CORRAL" release "$s1" >/dev/null
is "$(wait_final "$s2")/$(state "$s1")" COMPLETED/RUNNING "after: it runs once its dependency started, while that one still runs"
cancel_wait "$s1"

# --- refused at submit ---
out=$(submit_as $B --afterok "$c1" -- /bin/true 2>&1); rc=$?
is "$rc" 1 "a dependency on another user's job is refused"
like "$out" "no job $c1 to depend on \\(--afterok $c1\\)" "... naming the id, as if it did not exist"
c4=$(submit_as $C --afterany "$c1" -- /bin/true); rc=$?
is "$rc/$(wait_final "$c4")" "0/COMPLETED" "an admin's job may depend on another user's job"
out=$(submit_as $A --afterany 999999 -- /bin/true 2>&1)
like "$out" "no job 999999 to depend on" "a dependency on no job is refused"
out=$(submit_as $A -d "afterwards:$c1" -- /bin/true 2>&1); rc=$?
like "$rc: $out" "^2: .*--dependency expects TYPE:ID" "an unknown dependency type is a usage error"

# --- --begin ---
out=$(submit_as $A --begin tomorrowish -- /bin/true 2>&1); rc=$?
like "$rc: $out" "^2: .*--begin expects now\\+DURATION" "--begin with a time it cannot read: a usage error"
g1=$(submit_as $A --begin now+3s -- /bin/true)
is "$(state "$g1")/$(pending "$g1")" "QUEUED/BEGIN_TIME" "--begin now+3s: waits with BEGIN_TIME"
like "$(job_field "$g1" begin)" "^[0-9]+$" "show --json: begin, in seconds since the epoch"
is "$(wait_final "$g1" 60)" COMPLETED "... then it runs (the core's timer)"

# --- restart: dependencies and --begin survive ---
k1=$(submit_as $A --hold -- /bin/true)
k2=$(submit_as $A --afterok "$k1" -- /bin/true)
k3=$(submit_as $A --begin now+1h -- /bin/true)
k4=$(submit_as $A --begin now+2s -- /bin/true)
show=$("$CORRAL" show --json "$k2" | compact)
like "$show" "\"dependency\":\"afterok:$k1\"" "show --json: dependency, the canonical text"
like "$show" "\"dependencies\":\\[\\{\"job\":$k1,\"state\":\"HELD\",\"status\":\"waiting\",\"type\":\"afterok\"\\}\\]" "show --json: dependencies, each with its job's state and status"
like "$(as $A show "$k2")" "dependencies +afterok:$k1 \\(HELD, waiting\\)" "show prints the dependencies"
corrald_stop
sleep 3 # k4's --begin time passes while corrald is stopped
corrald_start --epilogue-dry-run; ok $? "corrald restarts"
is "$(state "$k2")/$(pending "$k2")/$(job_field "$k2" dependency)" "QUEUED/DEPENDENCY/afterok:$k1" "after the restart the dependency is still there"
is "$(pending "$k3")" BEGIN_TIME "... and a --begin time ahead"
is "$(wait_final "$k4" 60)" COMPLETED "a --begin time that passed while corrald was stopped: it runs"
as $A wait "$k2" >"$TEST_TMP/wait.out" 2>&1 &
waiter=$!
for i in $(seq 100); do grep -q "waits for" "$TEST_TMP/wait.out" && break; sleep 0.1; done
"$CORRAL" release "$k1" >/dev/null
is "$(wait_final "$k1")/$(wait_final "$k2")" "COMPLETED/COMPLETED" "... and the dependent job runs when its dependency completes"
wait "$waiter"; rc=$?
out=$(cat "$TEST_TMP/wait.out")
like "$out" "job $k2 waits for its dependencies \(afterok:$k1\)" "corral wait: the stream says what the job waits for"
like "$rc: $out" "^0: .*job $k2 COMPLETED" "... and follows it to its end"
cancel_wait "$k3"
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
[ "$_tap_failed" = 0 ] || fail_diag "corrald's log:" "$(tail -40 "$TEST_TMP/corrald.log")"
done_testing
