#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-devices.t — the job's device cgroup (corral.policy(5) [filesystem]
# private_dev, devices): a device node is reachable wherever it is made, so
# file modes and a private /dev are not enough; the device cgroup decides by
# the device's numbers. The test makes a 0666 character node with the
# numbers of a harmless host device (/dev/net/tun, 10:200: opening it makes
# nothing; else /dev/loop-control) in a directory every job can reach, and
#   - private_dev = no: the job opens it (the escape is real, no restriction);
#   - private_dev = yes (the default): EPERM, while /dev/null still opens;
#   - devices = that host device: the job opens the copy too (numbers count);
#   - on cgroup v1 the job's devices.list is exactly the policy's list (the
#     basic set and the listed device, "rwm"), and the job cgroups go at the
#     end in every hierarchy.
# On pure cgroup v2 (a BPF device program instead) the open checks run and
# the devices.list check skips; with neither the v1 devices controller nor
# cgroup v2 the file skips (capability "cgroup" for CORRAL_MUST_RUN).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
[ -x "$ESCAPE/escape-devices" ] || plan_skip "escape programs not built ($ESCAPE)"
v1=0
if [ -e /sys/fs/cgroup/devices/devices.list ]; then
        v1=1
elif [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
        plan_skip_unless_must cgroup "neither the cgroup v1 devices controller nor cgroup v2 on this host"
fi
host=
for d in /dev/net/tun /dev/loop-control; do
        [ -c "$d" ] && host=$d && break
done
[ -n "$host" ] || plan_skip "no harmless character device to copy here (/dev/net/tun, /dev/loop-control)"
plan 10

maj=$(stat -L -c '%t' "$host")
min=$(stat -L -c '%T' "$host")
maj=$((16#$maj))
min=$((16#$min))
node=$BIN_STAGE/devcopy
mknod -m 0666 "$node" c "$maj" "$min"
diag "the copy: $node, c $maj:$min, as $host"

printf '[policy]\ninherit = default\n[filesystem]\nprivate_dev = no\n' >"$POLDIR/nodev.ini"
printf '[policy]\ninherit = default\n[filesystem]\ndevices = %s\n' "$host" >"$POLDIR/withdev.ini"
chmod 0644 "$POLDIR"/*.ini

run_job nodev -- "$ESCAPE/escape-devices" open "$node"
is "$RC:$OUT" "0:escaped" "private_dev = no: the job opens a 0666 copy of $host (no device restriction)"
run_job default -- "$ESCAPE/escape-devices" open "$node"
is "$RC:$OUT" "0:contained" "private_dev = yes (default): the device cgroup refuses the copy (EPERM)"
[ "$OUT" = contained ] || fail_diag "$ERR"
run_job default -- "$ESCAPE/escape-devices" open /dev/null
is "$RC:$OUT" "0:escaped" "... while /dev/null, of the basic set, opens"
run_job strict -- "$ESCAPE/escape-devices" open "$node"
is "$RC:$OUT" "0:contained" "strict (private_dev from default): refused too"
run_job withdev -- "$ESCAPE/escape-devices" open "$node"
is "$RC:$OUT" "0:escaped" "devices = $host: the job opens the copy (the cgroup allows by numbers)"

# the job's devices.list, read from the host while it runs
GO=$BIN_STAGE/go-$$
mkdir -m 0777 "$GO"
list_of() { # list_of POLICY: the job's devices.list, sorted, one line per entry
        local id=devlist-$1-$$ f
        f=/sys/fs/cgroup/devices/$CGPARENT/job-$id/devices.list
        rm -f "$GO/go"
        "$LAUNCH" --policy "$1" --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
                --job-id "$id" "${JOB_ENV[@]}" -- sh -c "echo up; while [ ! -e $GO/go ]; do sleep 0.1; done" \
                >"$TEST_TMP/list.out" 2>"$TEST_TMP/list.err" </dev/null &
        local lpid=$!
        for _ in $(seq 300); do [ -s "$TEST_TMP/list.out" ] && break; sleep 0.1; done
        if [ -e "$f" ]; then sort "$f"; else echo "(no $f)"; fi
        touch "$GO/go"
        wait $lpid
}
basic="c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:2 rwm
c 136:* rwm
c 137:* rwm
c 138:* rwm
c 139:* rwm
c 140:* rwm
c 141:* rwm
c 142:* rwm
c 143:* rwm"
if [ $v1 = 1 ]; then
        got=$(list_of default)
        is "$got" "$(echo "$basic" | sort)" "v1: the default job's devices.list is the basic set, rwm, nothing else"
        [ "$got" = "$(echo "$basic" | sort)" ] || fail_diag "$(cat "$TEST_TMP/list.err")"
        got=$(list_of withdev)
        is "$got" "$(printf '%s\nc %s:%s rwm\n' "$basic" "$maj" "$min" | sort)" \
                "v1: with devices = $host it is the basic set and c $maj:$min"
        got=$(list_of nodev)
        is "$got" "(no /sys/fs/cgroup/devices/$CGPARENT/job-devlist-nodev-$$/devices.list)" \
                "v1: private_dev = no makes no devices cgroup (the job stays where its launcher's are)"
else
        for _ in 1 2 3; do skip "cgroup v2 here: a BPF device program, no devices.list"; done
fi
is "$(job_cgroups_left)" 0 "no job cgroup is left in any hierarchy"
ok "$([ -z "$(ls -d /sys/fs/cgroup/devices/"$CGPARENT"/job-* 2>/dev/null)" ] && echo 0 || echo 1)" \
        "... the devices hierarchy included"
done_testing
