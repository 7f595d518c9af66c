#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-subtree-v2.t — corrald-subtree.t on a pure cgroup v2: one boot of the
# QEMU guest with systemd 252 as PID 1 (tests/recipes/qemu-cgroup2,
# QEMU_INIT=systemd) runs tests/corrald-subtree-guest.sh twice:
#  A. corrald started in <unit>/supervisor, as systemd 254's
#     DelegateSubgroup=supervisor does (emulated with a drop-in: 252 has
#     none): corrald enables the controllers in <unit> and <unit>/jobs and
#     makes each job's cgroup at <unit>/jobs/job-N with memory.max and
#     pids.max enforced (OOM, fork bomb); `systemctl status corrald` lists the
#     job;
#  B. the unit as shipped: systemd 252 starts corrald in the unit's own
#     cgroup, where enabling controllers for jobs would make the next start
#     fail (219/CGROUP, measured); corrald keeps cgroup_backend's choice
#     (auto: a scope per job), and `systemctl stop corrald` leaves the job
#     running and the next start adopts it.
# As in launch-systemd-v2.t the guest runs us chrooted, where the kernel
# refuses new user namespaces: the policy keeps the host's.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
R=$CORRAL_RECIPES/qemu-cgroup2
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
[ -x "$R/run.sh" ] || plan_skip_unless_must cgroup2 "no qemu-cgroup2 recipe at $R (CORRAL_RECIPES)"
make_tmpdir
WD=$TEST_TMP/qemu
mkdir -p "$WD/share"
if ! "$R/build.sh" "$WD" >"$TEST_TMP/build.log" 2>&1; then
        plan_skip_unless_must cgroup2 "qemu-cgroup2 recipe cannot build here: $(tail -1 "$TEST_TMP/build.log")"
fi
# the daemon user and the admin group (the guest script writes its own
# config); the guest sees the host's /etc as it was at boot
corrald_setup 2
make_test_user corraltestsb 61162
plan 24

cat >"$WD/share/both.sh" <<GUEST
#!/bin/bash
"$CORRAL_SRC/tests/corrald-subtree-guest.sh" "$CORRAL_BUILD" "$CORRAL_SRC" subgroup limits | sed -u 's/^/A_/'
"$CORRAL_SRC/tests/corrald-subtree-guest.sh" "$CORRAL_BUILD" "$CORRAL_SRC" shipped nolimits | sed -u 's/^/B_/'
GUEST
chmod 0755 "$WD/share/both.sh"
bind=$CORRAL_SRC
case "$CORRAL_BUILD/" in "$CORRAL_SRC"/*) ;; *) bind="$bind $CORRAL_BUILD" ;; esac
QEMU_INIT=systemd QEMU_BIND="$bind" QEMU_TIMEOUT=580 "$R/run.sh" "$WD" "$WD/share/both.sh" \
        >"$TEST_TMP/guest.out" 2>"$TEST_TMP/guest.err"
rc=$?
get() { sed -n "s/^$1=//p" "$TEST_TMP/guest.out" | tail -1; }
is "$rc:$(get A_started)" "0:0" "A. corrald.service starts under systemd in the guest"
[ "$rc:$(get A_started)" = 0:0 ] || diag "$(tail -5 "$TEST_TMP/guest.err")"
is "$(get A_fstype)" cgroup2fs "the guest has a pure cgroup v2"
U=$(get A_unit_cg)
is "$U" "/corral.slice/corrald.service" "the unit's cgroup"
is "$(get A_main_cg)" "$U/supervisor" "corrald runs in the leaf <unit>/supervisor"
is "$(get A_a_state)" RUNNING "a job runs"
is "$(get A_a_cgroup)" "$U/jobs/job-1" "its cgroup (from /proc/PID/cgroup) is <unit>/jobs/job-N, below corrald.service"
is "$(get A_a_memory)" $((64 << 20)) "... with the policy's memory.max"
is "$(get A_a_pids)" 16 "... and pids.max"
[ "$(get A_a_listed)" -ge 1 ] 2>/dev/null; ok $? "systemctl status corrald lists the job's process"
is "$(get A_o_state)" OUT_OF_MEMORY "a job over its memory.max ends OUT_OF_MEMORY"
[ "$(get A_f_hits)" -ge 1 ] 2>/dev/null; ok $? "a fork bomb is capped by pids.max (pids.events max $(get A_f_hits); the job ended $(get A_f_state))"
is "$(get A_a_final)" COMPLETED "the first job ends COMPLETED"
like "$(get A_a_result)" "cgroup $U/jobs/job-1," "its result names the cgroup below corrald.service"
is "$(get A_procs):$(get A_left)" "0:0" "no process of the user and no job cgroup is left"

is "$(get B_started)" 0 "B. the shipped unit starts"
is "$(get B_main_cg)" "$U" "systemd 252 started corrald in the unit's own cgroup, and it stays there"
is "$(get B_a_cgroup)" "/corraltest.slice/corral-job-1.scope" "so the job runs in a scope (cgroup_backend auto), not below the unit"
is "$(get B_stopped):$(get B_a_alive_stopped)" "inactive:0" "systemctl stop corrald leaves the running job alive (KillMode=process)"
is "$(get B_restarted)" 0 "corrald starts again (no controllers enabled in its cgroup)"
is "$(get B_a_cgroup2)" "/corraltest.slice/corral-job-1.scope" "the job kept its cgroup across the restart"
is "$(get B_adopted)" 1 "the new corrald adopted the job's launcher"
is "$(get B_a_final)" COMPLETED "the adopted job ends COMPLETED"
like "$(get B_a_result)" "cgroup /corraltest.slice/corral-job-1.scope," "its result names the scope"
is "$(get B_procs)" 0 "no process of the user is left"
done_testing
