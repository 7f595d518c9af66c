#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-seccomp.t — the seccomp gaps an adversarial review found against
# Docker's default profile, each first shown to work on the host outside any
# job (as the job's user), then judged inside under the default, strict and
# isolated-network policies:
#   personality: only PER_LINUX, PER_LINUX32, UNAME26 (and both) and the
#     query; READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE refused;
#   memfd_secret denied by default;
#   NUMA placement (@numa) and reading other processes' memory
#     (@cross-memory) allowed by default (MPI, OpenMP), denied by strict;
#   socket(AF_VSOCK) denied when net = isolated (it would reach the
#     hypervisor and other VMs past the network namespace).
# A check whose call fails on the host skips with the reason (capability:
# the call's name, for CORRAL_MUST_RUN).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
T=$HELPERS/try-syscall
[ -x "$T" ] || plan_skip "test helpers not built ($HELPERS)"

# policy call expected
cases=(
        "default|personality 0|ok"
        "default|personality 8|ok"
        "default|personality 20008|ok"
        "default|personality ffffffff|ok"
        "default|personality 400000|errno EPERM"
        "default|personality 40000|errno EPERM"
        "default|memfd_secret|errno EPERM"
        "default|mbind|ok"
        "default|set_mempolicy|ok"
        "default|process_vm_readv|ok"
        "default|vsock|ok"
        "strict|mbind|errno EPERM"
        "strict|set_mempolicy|errno EPERM"
        "strict|process_vm_readv|errno EPERM"
        "strict|vsock|errno EPERM"
        "netiso|vsock|errno EPERM"
        "netiso|personality 400000|errno EPERM"
)
plan ${#cases[@]}

for c in "${cases[@]}"; do
        IFS='|' read -r policy call expect <<<"$c"
        # shellcheck disable=SC2086 # call is "NAME [ARG]"
        host=$(setpriv --reuid "$TUID" --regid "$TUID" --clear-groups "$T" $call 2>&1)
        if [ "$host" != ok ]; then
                skip_or_fail "${call%% *}" "$call fails on the host outside any job ($host)"
                continue
        fi
        # shellcheck disable=SC2086
        run_job "$policy" -- "$T" $call
        is "$OUT" "$expect" "$policy: $call -> $expect (on the host: ok)"
done
done_testing
