#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-cgroup2.t — the cgroup v2 path of corral-launch, in a QEMU guest
# with a pure cgroup2 (tests/recipes/qemu-cgroup2; this host's controllers
# are v1). One guest boot (7-15 s) runs three jobs:
#   1. a job that reads its own cgroup: memory.max and pids.max are the
#      policy's, memory.swap.max 0, cpu.max the quota, under PARENT/job-ID
#      (the result record; in its own cgroup namespace the job's
#      /proc/self/cgroup says "/" and /sys/fs/cgroup is its own cgroup:
#      private_root), and a sibling cgroup the test makes under PARENT is
#      not found from a job;
#   2. a job over its memory limit: OOM-killed, state OUT_OF_MEMORY;
#   3. a fork bomb under the tasks limit;
#   4. the device cgroup's BPF program (private_dev): a 0666 node with the
#      numbers of no driver (c 240:0, "local use"), in a directory jobs
#      reach, refused with EPERM by the program, while with private_dev = no
#      or the guest's /dev node of the same numbers listed in devices the
#      open gets past the program to the missing driver (ENXIO), and
#      /dev/null opens;
# and afterwards no job cgroup and no process of the user is left.
# The recipe's guest runs us chrooted, where the kernel refuses new user
# namespaces (EPERM), so the policy here keeps the host's user namespace:
# this also covers that path (the child is real root until it drops).
# Capability cgroup2: with CORRAL_MUST_RUN=cgroup2, a missing recipe or a
# guest that cannot be built is a failure, not a skip.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
require_root
R=$CORRAL_RECIPES/qemu-cgroup2
[ -x "$CORRAL_BUILD/corral-launch" ] || plan_skip "corral-launch not built"
[ -x "$R/run.sh" ] || plan_skip_unless_must cgroup2 "no qemu-cgroup2 recipe at $R (CORRAL_RECIPES)"
make_tmpdir
WD=$TEST_TMP/qemu
mkdir -p "$WD/share"
# installs qemu and a kernel on first use (about a minute), then 0.5 s
if ! "$R/build.sh" "$WD" >"$TEST_TMP/build.log" 2>&1; then
        plan_skip_unless_must cgroup2 "qemu-cgroup2 recipe cannot build here: $(tail -1 "$TEST_TMP/build.log")"
fi
plan 18

cat >"$WD/share/guest.sh" <<'GUEST'
#!/bin/bash
# runs as root in the guest; prints KEY=VALUE lines
B=$1
out() { echo "$1=$2"; }
out fstype "$(stat -f -c %T /sys/fs/cgroup)"
groupadd -g 61430 corraltestq && useradd -M -d /nonexistent -u 61430 -g 61430 corraltestq
P=/tmp/pol
mkdir -m 0755 $P
cp "$CORRAL_SRC"/policies/default.ini $P/
printf '%s\n' '[policy]' 'inherit = default' '[limits]' 'memory = 32M' 'swap = 0' 'tasks = 16' 'cpus = 0.5' \
        'walltime = 60s' '[namespaces]' 'user = host' >$P/v2.ini
chmod 0644 $P/*.ini
L=("$B/corral-launch" --user corraltestq --policy-dir $P --cgroup-parent corraltest-v2 --policy v2
        --env ASAN_OPTIONS=detect_leaks=0)
"${L[@]}" --job-id one --result /tmp/r1 -- sh -c 'c=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup);
        echo "path=$c"; echo "memory_max=$(cat $c/memory.max)"; echo "swap_max=$(cat $c/memory.swap.max)";
        echo "pids_max=$(cat $c/pids.max)"; echo "cpu_max=$(cat $c/cpu.max)"'
out rc1 $?
out cgroup_r1 "$(grep -o '"cgroup":"[^"]*"' /tmp/r1 | cut -d'"' -f4)"
mkdir /sys/fs/cgroup/corraltest-v2/sib
"${L[@]}" --job-id sib -- sh -c 'echo "sib_found=$(find /sys/fs/cgroup -name sib | wc -l)";
        echo "sib_cgroup=$(cat /proc/self/cgroup)"; echo "sib_mounts=$(grep -c cgroup2 /proc/self/mountinfo)"'
rmdir /sys/fs/cgroup/corraltest-v2/sib
out left1 "$(ls -d /sys/fs/cgroup/corraltest-v2/job-* 2>/dev/null | wc -l)"
"${L[@]}" --job-id two --result /tmp/r2 -- sh -c 'head -c 200000000 /dev/zero | tail >/dev/null'
out state2 "$(grep -o '"state":"[A-Z_]*"' /tmp/r2 | cut -d'"' -f4)"
out oom2 "$(grep -o '"oom_kills":[0-9]*' /tmp/r2 | cut -d: -f2)"
# while the bomb holds pids.max the job's own shell cannot fork either (and
# dash exits when a fork fails): it waits for the limit's first hit with
# builtins only, then must go on all the same
"${L[@]}" --job-id three -- sh -c 'bomb() { bomb | bomb & }; bomb 2>/dev/null
        IFS=: read -r _ _ cg </proc/self/cgroup; f=/sys/fs/cgroup$cg/pids.events; i=0
        while read -r _ n <"$f"; [ "$n" = 0 ] && [ $i -lt 3000000 ]; do i=$((i + 1)); done
        echo "pids_max_hits=$n"; echo survived' 2>/dev/null
out rc3 $?
# 4. devices: EPERM from the program, ENXIO past it (no driver for 240:0)
mknod -m 0666 /dev/corraltest-dev c 240 0
mkdir -m 0755 /var/lib/corraltest-dv && mknod -m 0666 /var/lib/corraltest-dv/copy c 240 0
printf '%s\n' '[policy]' 'inherit = v2' '[filesystem]' 'private_dev = no' >$P/v2nodev.ini
printf '%s\n' '[policy]' 'inherit = v2' '[filesystem]' 'devices = /dev/corraltest-dev' >$P/v2dev.ini
chmod 0644 $P/*.ini
try_open() { # try_open POLICY PATH: "denied", "reached" (ENXIO), "opened" or the error
        local m
        m=$("$B/corral-launch" --user corraltestq --policy-dir $P --cgroup-parent corraltest-v2 --policy "$1" \
                --env ASAN_OPTIONS=detect_leaks=0 -- sh -c ": <'$2' && echo opened" 2>&1)
        case $m in
        *"Operation not permitted"*) echo denied ;;
        *"No such device or address"*) echo reached ;;
        *opened*) echo opened ;;
        *) echo "$m" | tr '\n' ' ' ;;
        esac
}
out dev_default "$(try_open v2 /var/lib/corraltest-dv/copy)"
out dev_nodev "$(try_open v2nodev /var/lib/corraltest-dv/copy)"
out dev_listed "$(try_open v2dev /var/lib/corraltest-dv/copy)"
out dev_null "$(try_open v2 /dev/null)"
out procs "$(ps -e -o uid= | grep -c '^ *61430$')"
out left "$(ls -d /sys/fs/cgroup/corraltest-v2/job-* 2>/dev/null | wc -l)"
rmdir /sys/fs/cgroup/corraltest-v2 2>/dev/null
exit 0
GUEST
chmod 0755 "$WD/share/guest.sh"

# the guest has its own /tmp: share the checkout and the build at their paths
bind=$CORRAL_SRC
case "$CORRAL_BUILD/" in "$CORRAL_SRC"/*) ;; *) bind="$bind $CORRAL_BUILD" ;; esac
QEMU_BIND="$bind" QEMU_ENV="CORRAL_SRC" QEMU_TIMEOUT=300 "$R/run.sh" "$WD" "$WD/share/guest.sh" "$CORRAL_BUILD" \
        >"$TEST_TMP/guest.out" 2>"$TEST_TMP/guest.err"
rc=$?
get() { sed -n "s/^$1=//p" "$TEST_TMP/guest.out" | tail -1; }
is "$rc" 0 "the guest ran"
[ "$rc" = 0 ] || diag "$(tail -5 "$TEST_TMP/guest.err")"
is "$(get fstype)" cgroup2fs "the guest has a pure cgroup v2"
is "$(get rc1)" 0 "a job runs on v2"
is "$(get path):$(get cgroup_r1)" "/sys/fs/cgroup/:/corraltest-v2/job-one" \
    "it runs in PARENT/job-ID, which is / in its cgroup namespace"
is "$(get sib_found):$(get sib_cgroup):$(get sib_mounts)" "0:0::/:1" \
    "a job does not find a sibling cgroup, its /proc/self/cgroup is 0::/, one cgroup2 mount (its own)"
is "$(get memory_max)" 33554432 "memory.max is the policy's 32M"
is "$(get swap_max)" 0 "memory.swap.max is 0"
is "$(get pids_max)" 16 "pids.max is the policy's tasks"
is "$(get cpu_max)" "50000 100000" "cpu.max is half a CPU"
# (both processes of the pipeline may be OOM-killed before the job ends:
# one kill or more)
like "$(get state2):$(get oom2)" "^OUT_OF_MEMORY:[1-9][0-9]*$" "over memory.max: OOM-killed, OUT_OF_MEMORY, oom_kill counted"
[ "$(get pids_max_hits)" -ge 1 ] 2>/dev/null; ok $? "a fork bomb is stopped by pids.max (pids.events max $(get pids_max_hits))"
is "$(get rc3)" 0 "... and the job's shell goes on"
is "$(get dev_default)" denied "private_dev: the device program refuses a copied node of an unlisted device (EPERM)"
is "$(get dev_nodev)" reached "private_dev = no: no program, the open reaches the (missing) driver"
is "$(get dev_listed)" reached "devices = /dev/corraltest-dev: the program lets the copy of the same numbers through"
is "$(get dev_null)" opened "/dev/null, of the basic set, opens under the program"
is "$(get procs)" 0 "no process of the user is left in the guest"
is "$(get left1):$(get left)" "0:0" "every job cgroup was removed"
done_testing
