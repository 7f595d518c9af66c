#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-resources.t — a job's own resources, end to end through the CLI as
# test users, on a node of 3 CPUs, 400M and 4 slots, at most 2 running jobs
# per user:
#  - submit --mem 200M --cpus 2: the job's cgroup gets that memory limit and
#    a 2-CPU quota instead of the policy's 96M and 1 CPU; show says so;
#    --time takes Slurm's units (a bare number is minutes);
#  - requests above the policy's max_mem/max_cpus, and those the node can
#    never give, are refused at submit with the reason;
#  - two jobs that together ask for more memory than the node has do not
#    run at once (the second waits with the reason RESOURCES), two small
#    ones do; a 2-CPU job waits while only one CPU is free;
#  - pending reasons: RESOURCES, USER_CAP, HELD, DRAINED in show --json and
#    in the list table.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 33

make_tmpdir
NODE_CPUS=3 corrald_setup 4
cat >>"$TEST_TMP/corral.conf" <<EOC
memory = 400M
max_running_per_user = 2
EOC
# r: the test policy (96M, 1 CPU by default) whose jobs may ask for up to
# 300M and 2 CPUs; big: no maximum, to reach what the node cannot give
cat >"$TEST_TMP/policies/r.ini" <<EOP
[policy]
inherit = t
[limits]
cpus = 1
max_mem = 300M
max_cpus = 2
walltime = 3d
EOP
cat >"$TEST_TMP/policies/big.ini" <<EOP
[policy]
inherit = t
[limits]
max_mem = unlimited
max_cpus = 8
EOP
chmod 0644 "$TEST_TMP/policies/"*.ini
A=corraltestra
B=corraltestrb
make_test_user $A 61231 || plan_skip "cannot create test users"
make_test_user $B 61232 || plan_skip "cannot create test users"
corrald_start --epilogue-dry-run; ok $? "corrald starts"

# the value of a limit file of job ID's cgroup (v1 name, v2 name)
cg_read() {
    local id=$1 v1ctl=$2 v1=$3 v2=$4 f
    for f in "/sys/fs/cgroup/$v1ctl/$CG_PARENT/job-$id/$v1" "/sys/fs/cgroup/$CG_PARENT/job-$id/$v2"; do
        [ -e "$f" ] && { cat "$f"; return; }
    done
    echo "no-$v1"
}
pending() { job_field "$1" pending_reason; }
cancel_wait() { local id; for id in "$@"; do "$CORRAL" cancel "$id" >/dev/null 2>&1; done; for id in "$@"; do wait_final "$id" 60 >/dev/null; done; }

# --- the job's cgroup gets what it asked for ---
id=$(submit_as $A -p r --mem 200M --cpus 2 -- /bin/sleep 300)
wait_state "$id" RUNNING; ok $? "a job with --mem 200M --cpus 2 runs"
is "$(cg_read "$id" memory memory.limit_in_bytes memory.max)" $((200 << 20)) "its cgroup's memory limit is 200M, not the policy's 96M"
cpu=$(cg_read "$id" cpu cpu.cfs_quota_us cpu.max)
like "$cpu" "^200000( 100000)?$" "its CPU quota is 2 CPUs (200 ms per 100 ms), not the policy's 1"
is "$(job_field "$id" mem)/$(job_field "$id" cpus)/$(job_field "$id" tasks)" "$((200 << 20))/2/1" "show --json: mem, cpus, tasks"
like "$(as $A show "$id")" "mem +200M" "show prints the memory as a size"
cancel_wait "$id"
id=$(submit_as $A -p r -- /bin/sleep 300)
wait_state "$id" RUNNING
is "$(cg_read "$id" memory memory.limit_in_bytes memory.max)" $((96 << 20)) "a job that asks for nothing gets the policy's memory (96M)"
cancel_wait "$id"
id=$(submit_as $A -p r --mem 150M --tasks 2 -- /bin/true)
is "$(job_field "$id" cpus)/$(job_field "$id" tasks)" "2/2" "--tasks 2 without --cpus: the policy's 1 CPU per task, 2 CPUs"
wait_final "$id" >/dev/null
id=$(submit_as $A -p r --hold --time 90 -- /bin/true)
is "$(job_field "$id" walltime)" "1h30m" "--time 90: minutes, as Slurm's"
as $A cancel "$id" >/dev/null
id=$(submit_as $A -p r --hold -t 1-02:03:04 -- /bin/true)
is "$(job_field "$id" walltime)" "1d2h3m4s" "--time 1-02:03:04: D-HH:MM:SS"
as $A cancel "$id" >/dev/null
id=$(submit_as $A -p r --hold --walltime 90 -- /bin/true)
is "$(job_field "$id" walltime)" "1m30s" "--walltime 90 keeps its seconds"
as $A cancel "$id" >/dev/null
err=$(submit_as $A -p r --time 10 --walltime 1h -- /bin/true 2>&1); rc=$?
is "$rc" 2 "--time and --walltime together: a usage error"

# --- refused at submit, with the reason ---
err=$(submit_as $A -p r --mem 1G -- /bin/true 2>&1); rc=$?
is "$rc" 1 "--mem 1G above the policy's max_mem: refused"
like "$err" "--mem 1G exceeds the 300M policy 'r' allows \(its \[limits\] max_mem\)" "... saying which limit"
err=$(submit_as $A -p r --cpus 2 --tasks 2 -- /bin/true 2>&1); rc=$?
like "$rc:$err" "^1:.*2 CPUs per task x 2 tasks = 4 CPUs exceeds the 2 policy 'r' allows \(its \[limits\] max_cpus\)" "--cpus 2 --tasks 2 above max_cpus: refused, saying why"
err=$(submit_as $A -p big --mem 500M -- /bin/true 2>&1); rc=$?
like "$rc:$err" "^1:.*asks for 500M of memory and the node has 400M: it can never run here" "more memory than the node has: refused, never queued"
err=$(submit_as $A -p big --cpus 4 -- /bin/true 2>&1); rc=$?
like "$rc:$err" "^1:.*asks for 4 CPUs and the node has 3: it can never run here" "more CPUs than the node has: refused"
err=$(submit_as $A -p r --mem 2X -- /bin/true 2>&1); rc=$?
like "$rc:$err" "^2:.*--mem expects a size such as 500M, 4G or 512" "a malformed --mem: a usage error naming the forms"
is "$(as $A list --json --all | grep -c '"id"')" 6 "the refused submissions left no job"

# --- packing by memory: 250M + 250M > 400M ---
id1=$(submit_as $A -p r --mem 250M -- /bin/sleep 300)
wait_state "$id1" RUNNING; ok $? "a 250M job runs"
id2=$(submit_as $B -p r --mem 250M -- /bin/sleep 300)
is "$(job_field "$id2" state)/$(pending "$id2")" "QUEUED/RESOURCES" "a second 250M job waits (the node has 400M), reason RESOURCES"
like "$(as $B list | grep "^$id2 ")" "QUEUED .* RESOURCES " "the list table shows the reason"
cancel_wait "$id1"
wait_state "$id2" RUNNING 60; ok $? "... and runs once the first has ended"
is "$(pending "$id2")" "" "a running job has no pending reason"
cancel_wait "$id2"

# --- two small jobs run at once; CPUs pack too; the per-user cap ---
id4=$(submit_as $A -p r --mem 100M -- /bin/sleep 300)
id5=$(submit_as $B -p r --mem 100M -- /bin/sleep 300)
wait_state "$id4" RUNNING && wait_state "$id5" RUNNING; ok $? "two 100M jobs run at once"
id6=$(submit_as $B -p r --cpus 2 -- /bin/sleep 300)
is "$(job_field "$id6" state)/$(pending "$id6")" "QUEUED/RESOURCES" "a 2-CPU job waits while 1 of 3 CPUs is free"
id7=$(submit_as $A -p r -- /bin/sleep 300)
wait_state "$id7" RUNNING; ok $? "a 1-CPU job of another user takes the free CPU"
id8=$(submit_as $A -p r -- /bin/sleep 300)
is "$(job_field "$id8" state)/$(pending "$id8")" "QUEUED/USER_CAP" "a third job of a user with 2 running: USER_CAP"

# --- held, drained ---
id9=$(submit_as $A -p r --hold -- /bin/true)
is "$(job_field "$id9" state)/$(pending "$id9")" "HELD/HELD" "a held job: HELD"
"$CORRAL" drain >/dev/null
id10=$(submit_as $B -p r --mem 10M -- /bin/true)
is "$(pending "$id10")" "DRAINED" "on a drained node: DRAINED"
like "$(as $B list | grep "^$id10 ")" "QUEUED .* DRAINED " "... in the list table too"
"$CORRAL" resume >/dev/null
cancel_wait "$id4" "$id5" "$id7"
wait_state "$id6" RUNNING 60; ok $? "the 2-CPU job runs once CPUs are free"
cancel_wait "$id6" "$id8" "$id9" "$id10"
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
[ "$_tap_failed" = 0 ] || fail_diag "corrald's log:" "$(tail -40 "$TEST_TMP/corrald.log")"
done_testing
