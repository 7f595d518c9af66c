#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-sandbox.t — jobs do not inherit corrald.service's sandbox. Under a
# real systemd (tests/recipes/systemd-ns) with the shipped unit, the same
# probe (tests/helpers/sandbox-probe: AF_ALG, AF_VSOCK, AF_PACKET sockets,
# personality(PER_LINUX32), SCHED_RR) runs as a test user
#   (a) as a job of corrald running as the service,
#   (b) through corral-launch directly, outside the service, same policy,
#   (c) with no corral at all (setpriv),
# and gives the same lines in all three: what the policy allows, not what the
# unit happens to forbid. A policy that denies personality() gets EPERM for
# it in (a) and (b): the policy decides. The unprivileged core carries the
# restrictions instead (Seccomp: 2 in its /proc status; selfsandbox.c), the
# root helper, which launches the jobs, has no seccomp filter (Seccomp: 0).
# A core that cannot load its filter (seccomp(2) refused) exits: fail closed.
# With the unit as it was (SystemCallArchitectures=, RestrictAddressFamilies=,
# LockPersonality=, ... on the service) (a) differs and the helper has a filter.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
. "$CORRAL_SRC/tests/systemd-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/tests/helpers/sandbox-probe" ] ||
    plan_skip "corral-launch or tests/helpers/sandbox-probe not built (make tests)"

make_tmpdir
# jobs have a private /tmp and a test user may not reach a checkout in a
# 0700 home: the probe is staged where any job can run it
STAGE=$(mktemp -d /var/lib/corraltest-bin.XXXXXX)
_cleanup_add "rm -rf '$STAGE'"
chmod 0755 "$STAGE"
cp "$CORRAL_BUILD/tests/helpers/sandbox-probe" "$STAGE/"
chmod 0755 "$STAGE/sandbox-probe"
PROBE=$STAGE/sandbox-probe
# a sanitizer build: LeakSanitizer needs ptrace, which jobs are denied
ASAN_ENV=ASAN_OPTIONS=detect_leaks=0
corrald_setup 2
TUSER=corraltestsbx
make_test_user $TUSER 61181
# as in corrald-systemd.t: systemd-ns's read-only over-mounts of /proc keep
# a user namespace from mounting a fresh /proc, so the job's user namespace
# is off here (PID, mount, IPC, UTS namespaces, cgroup, caps, seccomp stay)
printf '[namespaces]\nuser = host\n' >>"$TEST_TMP/policies/t.ini"
# the same policy with personality() denied: then the policy says no
printf '[policy]\ninherit = t\n[seccomp]\ndeny = personality\n' >"$TEST_TMP/policies/tp.ini"
chmod 0644 "$TEST_TMP/policies/tp.ini"
sdns_start $CORRAL_SRC $CORRAL_BUILD $TEST_TMP $STAGE
plan 12

# the shipped unit, pointed at the test build and config
sdns_install_corrald && inside systemctl start corrald.socket corrald.service
ok $? "the units load and corrald.service starts"

# job_probe POLICY: the probe as a job of corrald (the service); its stdout
job_probe() {
    local id st i
    id=$(inside_as $TUSER env CORRAL_SOCKET="$SOCK" \
        "$CORRAL" submit --policy "$1" --cwd / -E "$ASAN_ENV" -- "$PROBE")
    [ -n "$id" ] || { echo "NO-JOB"; return; }
    for i in $(seq 300); do
        st=$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show --json "$id" | sed -n 's/^  "state": "\(.*\)",$/\1/p')
        case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|LOST) break ;; esac
        sleep 0.2
    done
    [ "$st" = COMPLETED ] || { echo "JOB-$st"; fail_diag "$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show "$id")"; return; }
    # the output belongs to the user (root cannot read it through corral logs)
    inside_as $TUSER env CORRAL_SOCKET="$SOCK" "$CORRAL" logs "$id"
}
# launch_probe POLICY ID: the probe through corral-launch, outside the service
launch_probe() {
    inside "$CORRAL_BUILD/corral-launch" --config "$TEST_TMP/corral.conf" --policy "$1" --user $TUSER \
        --policy-dir "$TEST_TMP/policies" --job-id "$2" --cwd / --env "$ASAN_ENV" -- "$PROBE"
}

in_service=$(job_probe t)
direct=$(launch_probe t direct1)
bare=$(inside_as $TUSER env "$ASAN_ENV" "$PROBE")
diag "in the service: $(echo $in_service)"
diag "corral-launch:  $(echo $direct)"
diag "no corral:      $(echo $bare)"
like "$direct" '^af_alg .*af_vsock .*af_packet .*per_linux32 .*sched_rr ' "the probe runs through corral-launch"
is "$in_service" "$direct" "a job of corrald.service gets what the same job gets from corral-launch outside the service"
is "$direct" "$bare" "the policy leaves these calls alone: the same as with no corral at all"
like "$(grep per_linux32 <<<"$in_service")" '^per_linux32 ok$' \
    "personality(PER_LINUX32) works in a job of the service (the policy allows it; LockPersonality= is off the unit)"

in_service=$(job_probe tp)
direct=$(launch_probe tp direct2)
is "$(grep per_linux32 <<<"$in_service") / $(grep per_linux32 <<<"$direct")" \
    "per_linux32 errno EPERM / per_linux32 errno EPERM" "a policy that denies personality() is what denies it, in and out of the service"

# the two processes of corrald: the helper is the service's main process, the
# core its child running as the daemon user
helper=$(inside systemctl show -p MainPID --value corrald.service)
core=$(inside ps -o pid=,uid= --ppid "$helper" | awk -v u="$(id -u corraltestd)" '$2 == u { print $1 }')
seccomp_of() { inside sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$1/status"; }
[ -n "$helper" ] && [ "$helper" != 0 ] && [ -n "$core" ]; ok $? "the helper ($helper) and the core (${core:-none}) are found"
is "$(seccomp_of "$core")" 2 "the core runs under its own seccomp filter (Seccomp: 2)"
is "$(seccomp_of "$helper")" 0 "the root helper, which launches the jobs, has no seccomp filter (Seccomp: 0)"
j=$(inside journalctl -q --no-pager -o cat _SYSTEMD_UNIT=corrald.service)
if grep -q "seccomp filter" <<<"$j"; then fail_diag "$j"; false; else true; fi
ok $? "the journal has no failure of the core's filter"

inside systemctl stop corrald.service corrald.socket

# fail closed: under a sandbox that refuses seccomp(2) the core cannot load
# its filter and must not go on without it (on the host, outside systemd)
out=$(timeout 60 "$CORRAL_BUILD/tests/helpers/deny-seccomp" "$CORRALD" --config "$TEST_TMP/corral.conf" 2>&1)
is "$?" 1 "without seccomp corrald exits with status 1"
like "$out" "Cannot restrict the core with its seccomp filter \(the kernel's seccomp support\): .*CONFIG_SECCOMP_FILTER" \
    "... and the core's message names the cause and the fix"
done_testing
