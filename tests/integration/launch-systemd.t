#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-systemd.t — corral-launch with cgroup_backend = systemd under a real
# systemd (252, PID 1 of its own namespaces, hybrid cgroups:
# tests/recipes/systemd-ns), as a batch system or an admin would call it:
# the job runs in the transient scope corral.slice/corral-job-ID.scope with
# Delegate=yes and the policy's limits as unit properties while it runs;
# usage is read back (memory peak, OOM kills); a taken scope name is refused;
# a job killed through its scope by another process (corrald's cancel) is
# still reported with its usage;
# the memory limit OOM-kills, TasksMax holds a fork bomb; the policy's
# private_dev is DevicePolicy=strict with the job's devices in DeviceAllow=
# (v1 devices.list), and a 0666 copy of an unlisted device is refused (and
# reached with private_dev = no); afterwards the
# scope and its cgroups are gone. cgroup_backend = auto picks systemd there
# and cgroupfs on a host without systemd, where "systemd" fails naming the
# backend, the bus and the fix.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
R=$CORRAL_RECIPES
[ -x "$R/systemd-ns/start.sh" ] || plan_skip_unless_must systemd "no systemd-ns recipe at $R (CORRAL_RECIPES)"

# systemd-ns over-mounts parts of /proc read-only, and the kernel refuses a
# fresh /proc inside a user namespace then (tests/recipes/README.md): the
# job's user namespace is off; everything else of the policy stays.
cat >"$POLDIR/sd.ini" <<'EOF'
[policy]
inherit = default
[limits]
memory = 64M
swap = 0
tasks = 24
cpus = 1.5
walltime = 60s
[namespaces]
user = host
[epilogue]
grace = 1s
EOF
sed -e 's/^walltime = 60s/walltime = 3s/' "$POLDIR/sd.ini" >"$POLDIR/sdshort.ini"
printf '[policy]\ninherit = sd\n[filesystem]\nprivate_dev = no\n' >"$POLDIR/sdnodev.ini"
chmod 0644 "$POLDIR"/*.ini
for b in systemd auto; do
        printf '[node]\ncgroup_backend = %s\ncgroup_parent = corral\nrun_dir = %s/run-%s\n' "$b" "$TEST_TMP" "$b" \
                >"$TEST_TMP/$b.conf"
done
# a directory the job can see (its /tmp is private) for "go" files
SIG=$(mktemp -d /var/lib/corraltest-sd.XXXXXX)
chmod 0755 "$SIG"
_cleanup_add "rm -rf '$SIG'"
# a 0666 copy of a harmless device outside the job's device list (tun, 10:200)
mknod -m 0666 "$SIG/devcopy" c 10 200

WD=$(mktemp -d /tmp/corraltest-sdns.XXXXXX)
if ! SDNS_BIND="$CORRAL_SRC $CORRAL_BUILD $TEST_TMP $SIG" "$R/systemd-ns/start.sh" "$WD" >/dev/null 2>"$WD.err" 8>&-; then
        plan_skip_unless_must systemd "systemd-ns cannot start here: $(tail -1 "$WD.err")"
fi
_cleanup_add "'$R/systemd-ns/stop.sh' '$WD'; rm -rf '$WD' '$WD.err'"
plan 26
inside() { "$R/systemd-ns/run.sh" "$WD" "$@"; }

# sd_job CONF POLICY JOBID CMD...: corral-launch inside the namespace; sets
# RC, ERR, RES like run_job
sd_job() {
        local conf=$1 policy=$2 id=$3
        shift 3
        OUTF=$TEST_TMP/out.$RANDOM ERRF=$TEST_TMP/err.$RANDOM RESF=$TEST_TMP/res.$RANDOM
        inside "$LAUNCH" --config "$TEST_TMP/$conf.conf" --policy "$policy" --user "$TUSER" --policy-dir "$POLDIR" \
                --job-id "$id" --result "$RESF" "${JOB_ENV[@]}" -- "$@" >"$OUTF" 2>"$ERRF" </dev/null
        RC=$?
        OUT=$(cat "$OUTF") ERR=$(cat "$ERRF") RES=$(cat "$RESF" 2>/dev/null)
        rm -f "$OUTF" "$ERRF" "$RESF"
}
# the unit's LoadState, polled until it is not-found (10 s at most)
scope_gone() {
        local st
        for _ in $(seq 100); do
                st=$(inside systemctl show -p LoadState --value "$1")
                [ "$st" = not-found ] && break
                sleep 0.1
        done
        echo "$st"
}
scope_dirs() { inside sh -c "find /sys/fs/cgroup -name '$1' -type d | wc -l"; }

# 1. the job runs in its scope, whose properties are the policy's
OUTF1=$TEST_TMP/job1.out
inside "$LAUNCH" --config "$TEST_TMP/systemd.conf" --policy sd --user "$TUSER" --policy-dir "$POLDIR" --job-id 1 \
        --result "$TEST_TMP/job1.json" -- sh -c "cat /proc/self/cgroup; echo ready; while [ ! -e $SIG/go1 ]; do sleep 0.1; done" \
        >"$OUTF1" 2>"$TEST_TMP/job1.err" </dev/null &
lp=$!
for _ in $(seq 300); do grep -q ready "$OUTF1" 2>/dev/null && break; sleep 0.1; done
# (in its own cgroup namespace, private_root, the job's /proc/self/cgroup
# says "/": the scope's processes are read on the host's side)
scope_procs() { inside sh -c "cat /sys/fs/cgroup/$1/corral.slice/corral-job-1.scope/cgroup.procs 2>/dev/null | wc -l"; }
[ "$(scope_procs unified)" -gt 0 ] && grep -q '^0::/$' "$OUTF1"
ok $? "the job runs in corral.slice/corral-job-1.scope (its cgroup.procs; / in its /proc/self/cgroup)"
[ -s "$OUTF1" ] || diag "stderr: $(cat "$TEST_TMP/job1.err")"
[ "$(scope_procs memory)" -gt 0 ] && grep -q ':memory:/$' "$OUTF1"
ok $? "... also in the v1 memory hierarchy"
is "$(inside systemctl show -p Delegate,MemoryMax,TasksMax,CPUQuotaPerSecUSec,Slice corral-job-1.scope | sort | tr '\n' ' ')" \
        "CPUQuotaPerSecUSec=1.500000s Delegate=yes MemoryMax=67108864 Slice=corral.slice TasksMax=25 " \
        "systemctl show: Delegate=yes and the policy's limits (TasksMax: 24 + the process that holds the scope)"
is "$(inside cat /sys/fs/cgroup/memory/corral.slice/corral-job-1.scope/memory.limit_in_bytes)" 67108864 \
        "systemd gave the kernel the memory limit (memory.limit_in_bytes)"
dl=$(inside systemctl show -p DevicePolicy,DeviceAllow corral-job-1.scope | LC_ALL=C sort | tr '\n' ' ')
like "$dl" "DevicePolicy=strict" "private_dev: DevicePolicy=strict (systemd's closed would add its own set)"
is "${dl% DevicePolicy=strict }" \
        "DeviceAllow=/dev/full rwm DeviceAllow=/dev/null rwm DeviceAllow=/dev/ptmx rwm DeviceAllow=/dev/random rwm DeviceAllow=/dev/tty rwm DeviceAllow=/dev/urandom rwm DeviceAllow=/dev/zero rwm DeviceAllow=char-pts rwm" \
        "... DeviceAllow= the basic set: paths, and char-pts by name"
if inside test -d /sys/fs/cgroup/devices/corral.slice/corral-job-1.scope; then
        # (systemd finds char-pts's majors in /proc/devices: 136 only here)
        is "$(inside cat /sys/fs/cgroup/devices/corral.slice/corral-job-1.scope/devices.list | LC_ALL=C sort | tr '\n' ' ')" \
                "$({ for m in $(awk '$2 == "pts" {print $1}' /proc/devices); do echo "c $m:* rwm"; done
                    printf 'c 1:%s rwm\n' 3 5 7 8 9; printf 'c 5:%s rwm\n' 0 2; } | LC_ALL=C sort | tr '\n' ' ')" \
                "... which systemd wrote into the scope's v1 devices.list, nothing else"
else
        skip "no v1 devices hierarchy inside systemd-ns"
fi

# the name is taken while job 1 runs: another launch with that id is refused
sd_job systemd sd 1 true
is "$RC" 203 "a second job with the same id fails at the cgroup step (203)"
like "$ERR" "cgroup backend systemd: .*corral-job-1\.scope: a unit of that name exists already" "... at create, before the job exists, naming the backend and the taken scope"
is "$(inside cat /sys/fs/cgroup/pids/corral.slice/corral-job-1.scope/pids.max)" 25 "... and job 1's scope is untouched"

touch "$SIG/go1"
wait $lp
RES=$(cat "$TEST_TMP/job1.json" 2>/dev/null)
is "$(json state):$(json cgroup)" "COMPLETED:/corral.slice/corral-job-1.scope" "the job completes; the record names the scope's cgroup"
ok "$([ "$(json memory_peak_bytes)" -gt 0 ] 2>/dev/null && echo 0 || echo 1)" \
        "usage is read back from the scope after the job ended (memory peak $(json memory_peak_bytes))"
is "$(scope_gone corral-job-1.scope):$(scope_dirs corral-job-1.scope)" "not-found:0" \
        "afterwards the scope is gone, and its cgroups in every hierarchy"

# 2. the memory limit (v1 memory controller, set by systemd) OOM-kills
if inside test -d /sys/fs/cgroup/memory/corral.slice; then
        sd_job systemd sd 2 sh -c 'head -c 300000000 /dev/zero | tail >/dev/null'
        is "$(json state)" OUT_OF_MEMORY "MemoryMax: the job is OOM-killed, state OUT_OF_MEMORY"
        ok "$([ "$(json oom_kills)" -ge 1 ] && [ "$(json memory_peak_bytes)" -le $((64 << 20)) ] 2>/dev/null && echo 0 || echo 1)" \
                "... the OOM kill is counted and the peak ($(json memory_peak_bytes)) stays within 64M"
else
        skip "no v1 memory hierarchy inside systemd-ns"
        skip "no v1 memory hierarchy inside systemd-ns"
fi

# 3. a fork bomb against TasksMax until the walltime
inside "$LAUNCH" --config "$TEST_TMP/systemd.conf" --policy sdshort --user "$TUSER" --policy-dir "$POLDIR" --job-id 3 \
        --result "$TEST_TMP/job3.json" -- sh -c 'bomb() { bomb | bomb; }; bomb & exec sleep 30' >/dev/null 2>&1 </dev/null &
lp=$!
most=0 refused=0
for _ in $(seq 20); do
        sleep 0.1
        # shellcheck disable=SC2016 # expanded inside
        read -r n r < <(inside sh -c 'd=/sys/fs/cgroup/pids/corral.slice/corral-job-3.scope
                cat $d/pids.peak 2>/dev/null || cat $d/pids.current 2>/dev/null || echo 0
                awk "\$1 == \"max\" {print \$2}" $d/pids.events 2>/dev/null' | tr '\n' ' ')
        [ "${n:-0}" -gt "$most" ] && most=$n
        [ "${r:-0}" -gt "$refused" ] && refused=$r
done
wait $lp
RES=$(cat "$TEST_TMP/job3.json" 2>/dev/null)
ok "$([ "$most" -le 25 ] && [ "$refused" -gt 0 ] && echo 0 || echo 1)" \
        "TasksMax: the fork bomb is refused forks, never above 24 tasks + 1 (peak $most, $refused refused)"
is "$(json state):$(count_user_procs "$TUSER")" "TIMEOUT:0" "the walltime ends it and nothing of the user remains"
is "$(scope_gone corral-job-3.scope):$(scope_dirs corral-job-3.scope)" "not-found:0" "... nor its scope"

# 4. corrald cancelling a job: the scope opened by its unit name and killed
# (tests/helpers/cgjob-tool kill, the calls of the helper's req_kill), while
# the job's own launcher lives on to report it and read its usage
OUTF5=$TEST_TMP/job5.out
inside "$LAUNCH" --config "$TEST_TMP/systemd.conf" --policy sd --user "$TUSER" --policy-dir "$POLDIR" --job-id 5 \
        --result "$TEST_TMP/job5.json" -- sh -c 'echo ready; while :; do sleep 0.2; done' >"$OUTF5" 2>/dev/null </dev/null &
lp=$!
for _ in $(seq 300); do grep -q ready "$OUTF5" 2>/dev/null && break; sleep 0.1; done
inside "$CORRAL_BUILD/tests/helpers/cgjob-tool" kill corral job-5
ok $? "the job's scope is opened by name and killed from another process"
wait $lp
RES=$(cat "$TEST_TMP/job5.json" 2>/dev/null)
ok "$([ "$(json exit)" = 0:9 ] && [ "$(json memory_peak_bytes)" -gt 0 ] 2>/dev/null && echo 0 || echo 1)" \
        "... the launcher reports it killed (exit $(json exit)) with its usage (the process holding the scope was spared)"
is "$(scope_gone corral-job-5.scope):$(scope_dirs corral-job-5.scope)" "not-found:0" "... and the scope is gone"

# 5. a device outside the list: refused by the scope's device policy
sd_job systemd sd 7 "$ESCAPE/escape-devices" open "$SIG/devcopy"
is "$RC:$OUT" "0:contained" "a 0666 copy of /dev/net/tun (c 10:200) is refused in the scope (EPERM)"
[ "$OUT" = contained ] || diag "$ERR"
sd_job systemd sdnodev 8 "$ESCAPE/escape-devices" open "$SIG/devcopy"
is "$RC:$OUT" "0:escaped" "... and opens with private_dev = no (no DevicePolicy)"

# 6. auto: systemd here, cgroupfs on this host when it runs no systemd
sd_job auto sd 6 true
is "$(json state):$(json cgroup)" "COMPLETED:/corral.slice/corral-job-6.scope" "cgroup_backend = auto picks systemd under systemd"
if [ -d /run/systemd/system ]; then
        skip "this host runs systemd: auto picks systemd here too"
        skip "this host runs systemd"
else
        sed -i "s/^cgroup_parent = corral$/cgroup_parent = $CGPARENT/" "$TEST_TMP/auto.conf" "$TEST_TMP/systemd.conf"
        RESF=$TEST_TMP/host.json
        "$LAUNCH" --config "$TEST_TMP/auto.conf" --policy sd --user "$TUSER" --policy-dir "$POLDIR" --job-id host5 \
                --result "$RESF" -- true >/dev/null 2>&1 </dev/null
        RES=$(cat "$RESF" 2>/dev/null)
        is "$(json state):$(json cgroup)" "COMPLETED:/$CGPARENT/job-host5" "... and cgroupfs on a host without systemd"
        ERR=$("$LAUNCH" --config "$TEST_TMP/systemd.conf" --policy sd --user "$TUSER" --policy-dir "$POLDIR" \
                --job-id host6 -- true 2>&1 >/dev/null </dev/null)
        RC=$?
        like "$RC:$ERR" "^203:.*cgroup backend systemd: .*corral-job-host6\.scope: cannot connect to the system bus.*cgroup_backend = cgroupfs" \
                "cgroup_backend = systemd without systemd fails (203) naming the backend, the bus and the fix"
fi
done_testing
