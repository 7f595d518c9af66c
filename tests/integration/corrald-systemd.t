#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-systemd.t — corrald under a real systemd (252, PID 1 of its own
# namespaces, tests/recipes/systemd-ns): the shipped units, with only the
# paths changed for the test, start through socket activation; Type=notify
# gets READY and the STATUS line; a job runs; its messages are in the journal
# with CORRAL_JOB= and CORRAL_USER= fields; the job runs in corrald's own
# delegated subtree (Delegate=yes: <unit>/jobs/job-N, not a transient scope;
# corrald-subtree.t tests that subtree); stopping the service leaves no job
# cgroup or scope.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
. "$CORRAL_SRC/tests/systemd-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"

make_tmpdir
corrald_setup 2
make_test_user corraltestsd 61161
# systemd-ns over-mounts parts of /proc read-only (/proc/sys, /proc/irq...),
# and the kernel refuses a fresh /proc inside a user namespace while such
# over-mounts exist; so here the job's user namespace is off (the PID, mount,
# IPC and UTS namespaces, cgroup, capabilities and seccomp all stay).
printf '[namespaces]\nuser = host\n' >>"$TEST_TMP/policies/t.ini"
sdns_start $CORRAL_SRC $CORRAL_BUILD $TEST_TMP
plan 11

# the shipped units, pointed at the test build and config
sdns_install_corrald && inside systemctl start corrald.socket
ok $? "the units load and corrald.socket starts"

out=$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" status 2>&1); rc=$?
is "$rc" 0 "the first connection starts corrald.service (socket activation)"
is "$(inside systemctl show -p ActiveState --value corrald.service)" "active" "Type=notify: the service became active (READY=1)"
like "$(inside systemctl show -p StatusText --value corrald.service)" '^[0-9]+ running, [0-9]+ queued' "STATUS= shows running and queued counts"

id=$(inside_as corraltestsd env CORRAL_SOCKET="$SOCK" "$CORRAL" submit --cwd / -- /bin/echo under-systemd)
for i in $(seq 100); do
    st=$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show --json "$id" | sed -n 's/^  "state": "\(.*\)",$/\1/p')
    [ "$st" = COMPLETED ] && break; sleep 0.2
done
is "$st" "COMPLETED" "a job runs through corrald under systemd"
[ "$st" = COMPLETED ] || inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show "$id" | grep -E '^(reason|exit|result)' | sed 's/^/# /'
like "$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show "$id" | grep '^result')" "cgroup /corral\.slice/corrald\.service/jobs/job-$id," \
        "cgroup_backend = auto: the job ran below corrald.service (its delegated subtree), not in a scope"
j=$(inside journalctl -q --no-pager -o cat CORRAL_JOB="$id" CORRAL_USER=corraltestsd)
like "$j" "submitted" "the journal has the job's messages under CORRAL_JOB= and CORRAL_USER="

# a job that ends while another job of the same user runs: its epilogue
# spares the other, found where the backend put it (below the slice)
as_user() { inside_as corraltestsd env CORRAL_SOCKET="$SOCK" "$CORRAL" "$@"; }
state_of() { inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show --json "$1" | sed -n 's/^  "state": "\(.*\)",$/\1/p'; }
long=$(as_user submit --cwd / -- /bin/sleep 8)
for i in $(seq 100); do [ "$(state_of "$long")" = RUNNING ] && break; sleep 0.1; done
short=$(as_user submit --cwd / -- /bin/true)
for i in $(seq 150); do
    inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show --json "$short" | grep -q '^  "epilogue": {' && break; sleep 0.1
done
for i in $(seq 150); do st=$(state_of "$long"); [ "$st" = RUNNING ] || break; sleep 0.1; done
is "$st" "COMPLETED" "the epilogue of a job that ended spared the same user's job running in its scope"
for i in $(seq 30); do   # STATUS= is refreshed every 250 ms
    status=$(inside systemctl show -p StatusText --value corrald.service)
    [[ "$status" =~ ^0\ running ]] && break; sleep 0.1
done
like "$status" '^0 running' "STATUS= follows the job to its end"

inside systemctl stop corrald.service corrald.socket
is "$(inside systemctl show -p ActiveState --value corrald.service)" "inactive" "the service stops"
is "$(inside sh -c "find /sys/fs/cgroup -path '*$CG_PARENT/job-*' -o -path '*/jobs/job-*' -o -name 'corral-job-*.scope' -type d | wc -l")" 0 \
        "no job cgroup and no job scope is left"
done_testing
