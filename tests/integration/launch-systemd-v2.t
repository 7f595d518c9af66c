#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-systemd-v2.t — the systemd cgroup backend on a pure cgroup v2, in a
# QEMU guest that boots systemd 252 as its PID 1 (tests/recipes/qemu-cgroup2,
# QEMU_INIT=systemd). One guest boot runs three jobs with cgroup_backend =
# auto, which must pick systemd there:
#   1. a job that reads its own cgroup: corral.slice/corral-job-one.scope,
#      with memory.max, memory.swap.max (MemorySwapMax: v2 only), pids.max
#      (TasksMax: the policy's + 1) and cpu.max as the policy says; its CPU
#      time is read back;
#   2. a job over its memory limit: OOM-killed, OUT_OF_MEMORY, the OOM kill
#      and the peak read back from the scope;
#   3. a fork bomb held by pids.max;
#   4. the scope's DevicePolicy=strict and DeviceAllow= (private_dev), which
#      systemd makes a BPF device program: a 0666 node with the numbers of
#      no driver (c 240:0) is refused (EPERM), reaches the missing driver
#      (ENXIO) with private_dev = no or with the guest's /dev node of the
#      same numbers in devices, and /dev/null opens;
# and afterwards no scope, no job cgroup and no process of the user is left.
# As in launch-cgroup2.t, the guest runs us chrooted, where the kernel
# refuses new user namespaces: the policy keeps the host's.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
require_root
R=$CORRAL_RECIPES/qemu-cgroup2
[ -x "$CORRAL_BUILD/corral-launch" ] || plan_skip "corral-launch not built"
[ -x "$R/run.sh" ] || plan_skip_unless_must cgroup2 "no qemu-cgroup2 recipe at $R (CORRAL_RECIPES)"
make_tmpdir
WD=$TEST_TMP/qemu
mkdir -p "$WD/share"
if ! "$R/build.sh" "$WD" >"$TEST_TMP/build.log" 2>&1; then
        plan_skip_unless_must cgroup2 "qemu-cgroup2 recipe cannot build here: $(tail -1 "$TEST_TMP/build.log")"
fi
plan 18

cat >"$WD/share/guest.sh" <<'GUEST'
#!/bin/bash
# runs as root in the guest (a Delegate=yes service of its systemd); prints KEY=VALUE lines
B=$1
out() { echo "$1=$2"; }
out fstype "$(stat -f -c %T /sys/fs/cgroup)"
out pid1 "$(cat /proc/1/comm)"
groupadd -g 61431 corraltestqs && useradd -M -d /nonexistent -u 61431 -g 61431 corraltestqs
P=/tmp/pol
mkdir -m 0755 $P
cp "$CORRAL_SRC"/policies/default.ini $P/
printf '%s\n' '[policy]' 'inherit = default' '[limits]' 'memory = 32M' 'swap = 0' 'tasks = 16' 'cpus = 0.5' \
        'walltime = 60s' '[namespaces]' 'user = host' >$P/v2.ini
chmod 0644 $P/*.ini
# the node config, like the policies, in a directory only root may write
mkdir -m 0755 /tmp/etc
printf '[node]\ncgroup_backend = auto\ncgroup_parent = corral\nrun_dir = /tmp/run\n' >/tmp/etc/corral.conf
chmod 0644 /tmp/etc/corral.conf
L=("$B/corral-launch" --config /tmp/etc/corral.conf --user corraltestqs --policy-dir $P --policy v2
        --env ASAN_OPTIONS=detect_leaks=0)
"${L[@]}" --job-id one --result /tmp/r1 -- sh -c 'c=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup);
        echo "path=$c"; echo "memory_max=$(cat $c/memory.max)"; echo "swap_max=$(cat $c/memory.swap.max)";
        echo "pids_max=$(cat $c/pids.max)"; echo "cpu_max=$(cat $c/cpu.max)"'
out rc1 $?
out cgroup1 "$(grep -o '"cgroup":"[^"]*"' /tmp/r1 | cut -d'"' -f4)"
out cpu1 "$(grep -o '"cpu_system_usec":[0-9a-z]*' /tmp/r1 | cut -d: -f2)"
"${L[@]}" --job-id two --result /tmp/r2 -- sh -c 'head -c 200000000 /dev/zero | tail >/dev/null'
out state2 "$(grep -o '"state":"[A-Z_]*"' /tmp/r2 | cut -d'"' -f4)"
out oom2 "$(grep -o '"oom_kills":[0-9]*' /tmp/r2 | cut -d: -f2)"
out peak2 "$(grep -o '"memory_peak_bytes":[0-9]*' /tmp/r2 | cut -d: -f2)"
# (the job's shell waits for the limit's first hit with builtins only: it
# cannot fork either while the bomb holds pids.max, and dash exits when a
# fork fails)
"${L[@]}" --job-id three -- sh -c 'bomb() { bomb | bomb & }; bomb 2>/dev/null
        IFS=: read -r _ _ cg </proc/self/cgroup; f=/sys/fs/cgroup$cg/pids.events; i=0
        while read -r _ n <"$f"; [ "$n" = 0 ] && [ $i -lt 3000000 ]; do i=$((i + 1)); done
        echo "pids_max_hits=$n"; echo survived' 2>/dev/null
out rc3 $?
# 4. devices: EPERM from systemd's program, ENXIO past it
mknod -m 0666 /dev/corraltest-dev c 240 0
mkdir -m 0755 /var/lib/corraltest-dv && mknod -m 0666 /var/lib/corraltest-dv/copy c 240 0
printf '%s\n' '[policy]' 'inherit = v2' '[filesystem]' 'private_dev = no' >$P/v2nodev.ini
printf '%s\n' '[policy]' 'inherit = v2' '[filesystem]' 'devices = /dev/corraltest-dev' >$P/v2dev.ini
chmod 0644 $P/*.ini
try_open() { # try_open POLICY PATH: "denied", "reached" (ENXIO), "opened" or the messages
        local m
        m=$("$B/corral-launch" --config /tmp/etc/corral.conf --user corraltestqs --policy-dir $P --policy "$1" \
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
out procs "$(ps -e -o uid= | grep -c '^ *61431$')"
sleep 1 # systemd collects a stopped scope in its next loop iteration
out units "$(systemctl list-units --all --no-legend 'corral-job-*' | wc -l)"
out left "$(ls -d /sys/fs/cgroup/corral.slice/corral-job-* 2>/dev/null | wc -l)"
exit 0
GUEST
chmod 0755 "$WD/share/guest.sh"

bind=$CORRAL_SRC
case "$CORRAL_BUILD/" in "$CORRAL_SRC"/*) ;; *) bind="$bind $CORRAL_BUILD" ;; esac
QEMU_INIT=systemd QEMU_BIND="$bind" QEMU_ENV="CORRAL_SRC" QEMU_TIMEOUT=300 "$R/run.sh" "$WD" "$WD/share/guest.sh" \
        "$CORRAL_BUILD" >"$TEST_TMP/guest.out" 2>"$TEST_TMP/guest.err"
rc=$?
get() { sed -n "s/^$1=//p" "$TEST_TMP/guest.out" | tail -1; }
is "$rc" 0 "the guest ran"
if [ "$rc" != 0 ] || [ "$(get rc1)" != 0 ]; then diag "$(tail -5 "$TEST_TMP/guest.err")"; fi
is "$(get fstype):$(get pid1)" "cgroup2fs:systemd" "the guest has a pure cgroup v2 and systemd as PID 1"
is "$(get rc1):$(get cgroup1)" "0:/corral.slice/corral-job-one.scope" "auto picks systemd: the job runs in its scope"
is "$(get path)" "/sys/fs/cgroup/" "... which is / in the job's own cgroup namespace (private_root), its limits below"
like "$(get cpu1)" '^[0-9]+$' "the job's CPU time is read back from the scope's cpu.stat"
is "$(get memory_max)" 33554432 "MemoryMax: memory.max is the policy's 32M"
is "$(get swap_max)" 0 "MemorySwapMax: memory.swap.max is 0"
is "$(get pids_max)" 17 "TasksMax: pids.max is the policy's tasks + 1 (the process that holds the scope)"
is "$(get cpu_max)" "50000 100000" "CPUQuotaPerSecUSec: cpu.max is half a CPU"
# (both processes of the pipeline may be OOM-killed before the job ends:
# one kill or more)
like "$(get state2):$(get oom2)" "^OUT_OF_MEMORY:[1-9][0-9]*$" "over memory.max: OOM-killed, OUT_OF_MEMORY, the OOM kill read back"
ok "$([ "$(get peak2)" -gt 0 ] && [ "$(get peak2)" -le $((32 << 20)) ] 2>/dev/null && echo 0 || echo 1)" \
        "... and the peak (memory.peak, $(get peak2)) within 32M"
[ "$(get pids_max_hits)" -ge 1 ] 2>/dev/null; ok $? "a fork bomb is stopped by pids.max (pids.events max $(get pids_max_hits))"
is "$(get dev_default)" denied "DevicePolicy=strict: systemd's device program refuses a copied node of an unlisted device"
is "$(get dev_nodev)" reached "private_dev = no: no device policy, the open reaches the (missing) driver"
is "$(get dev_listed)" reached "devices = /dev/corraltest-dev: DeviceAllow= lets the copy of the same numbers through"
is "$(get dev_null)" opened "/dev/null, of the basic set, opens"
is "$(get procs)" 0 "no process of the user is left in the guest"
is "$(get units):$(get left)" "0:0" "no scope and no job cgroup is left"
done_testing
