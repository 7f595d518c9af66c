#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/slurm-spank.sh — what spank_corral.so costs a Slurm job (make
# bench; needs root, Slurm and the plugin built). In one run, on the
# one-node Slurm of tests/recipes/slurm-local.sh, first without the plugin,
# then with it (default policy), the same work:
#   1. N trivial batch jobs (`sbatch --wrap true`), submitted one after the
#      other: seconds from the first submission until all are COMPLETED;
#   2. N srun steps (`srun -n1 true`) one after the other inside one batch
#      job: the time per step, measured by the job itself.
# Prints both and the difference per job / per step, and the plugin's own
# time from its log lines in the run with it (median and 90th percentile):
# per step in slurmstepd (policy, filters, the namespace helper), per task
# as root (setns, rlimits, capabilities) and as the user (lock-down). On a
# busy machine the end-to-end differences are mostly noise; the plugin's
# own times are what it costs. N=200 (env). Nothing is asserted: the
# figures go to docs/slurm.md ("Cost per task").
set -u
: "${CORRAL_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CORRAL_BUILD:=$CORRAL_SRC/build}"
. "$CORRAL_SRC/tests/lib.sh"
N=${N:-200}
U=corraltestspb
UID_=61931
RECIPE=$CORRAL_SRC/tests/recipes/slurm-local.sh
SO=$CORRAL_BUILD/spank_corral.so

[ "$(id -u)" = 0 ] || { echo "slurm-spank.sh: needs root" >&2; exit 1; }
for p in slurmctld slurmd munged sbatch srun squeue; do
        command -v $p >/dev/null || { echo "slurm-spank.sh: $p is not installed (scripts/deps.sh); skipped" >&2; exit 0; }
done
[ -f "$SO" ] || { echo "slurm-spank.sh: $SO not built (libslurm-dev missing?); skipped" >&2; exit 0; }

# outside /tmp: the contained jobs get a private one
T=$(mktemp -d /var/lib/corraltest-spankbench.XXXXXX) || exit 1
chmod 0755 "$T"
_cleanup_add "rm -rf '$T'"
_cleanup_add "umount -R '$T/ns'" # the plugin's ns_dir, a mount of its own
mkdir -p "$T/shared" "$T/policies" "$T/lib"
chmod 1777 "$T/shared"
cp "$CORRAL_SRC/policies/default.ini" "$T/policies/"
chmod 0644 "$T/policies/default.ini"
install -m 0644 "$SO" "$T/lib/spank_corral.so"
echo "required $T/lib/spank_corral.so policy=default policy_dir=$T/policies ns_dir=$T/ns" >"$T/with.conf"
: >"$T/without.conf"
make_test_user $U $UID_ || exit 1

now() { date +%s.%N; }
as_user() { setpriv --reuid=$U --regid=$U --clear-groups env SLURM_CONF="$SLURM_CONF" "$@"; }
left() { squeue -h -u $U -t PENDING,CONFIGURING,RUNNING,COMPLETING -o %i 2>/dev/null | wc -l; }

# run NAME PLUGSTACK: prints "NAME JOBS_SECONDS STEP_MS"
run() {
        local name=$1 W=$T/slurm-$1 t0 t1 j n
        _cleanup_add "'$RECIPE' stop '$W' >/dev/null 2>&1"
        SLURM_PLUGSTACK=$2 "$RECIPE" start "$W" >"$T/$name.start" 2>&1 || { cat "$T/$name.start" >&2; return 1; }
        export SLURM_CONF=$W/etc/slurm.conf
        # 1. N batch jobs
        t0=$(now)
        for _ in $(seq "$N"); do
                as_user sbatch --parsable -o /dev/null -e /dev/null --chdir="$T/shared" --wrap true >/dev/null || return 1
        done
        while [ "$(left)" -gt 0 ]; do sleep 0.05; done
        t1=$(now)
        n=$(squeue -h -u $U -t COMPLETED -o %i | wc -l)
        [ "$n" -eq "$N" ] || echo "slurm-spank.sh: $name: only $n of $N jobs COMPLETED" >&2
        # 2. N srun steps in one job, timed inside it
        j=$(as_user sbatch --parsable -o "$T/shared/$name.steps" -e "$T/shared/$name.err" --chdir="$T/shared" \
                --wrap "s=\$(date +%s%N); for i in \$(seq $N); do srun -n1 true || exit 1; done; e=\$(date +%s%N); echo \$(( (e - s) / $N / 1000 ))")
        while [ "$(left)" -gt 0 ]; do sleep 0.1; done
        echo "$name $(echo "$t1 - $t0" | bc) $(cat "$T/shared/$name.steps" 2>/dev/null)"
        "$RECIPE" stop "$W" >/dev/null 2>&1
}

# stats PATTERN: median and p90 of the "... in N us" numbers after PATTERN in the log of the run with the plugin
stats() {
        grep -o "$1[^[]*in [0-9]* us" "$T/slurm-with/log/slurmd.log" | grep -o 'in [0-9]* us' | awk '{print $2}' |
                sort -n | awk '{v[NR] = $1} END {if (NR) printf "median %d us, p90 %d us (%d)", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], NR}'
}

a=$(run without "$T/without.conf") || exit 1
b=$(run with "$T/with.conf") || exit 1
read -r _ ja sa <<<"$a"
read -r _ jb sb <<<"$b"
echo "$N trivial batch jobs, submit -> all COMPLETED: without the plugin ${ja} s, with it ${jb} s;" \
        "difference $(echo "scale=2; ($jb - $ja) * 1000 / $N" | bc) ms per job"
echo "$N srun steps (srun -n1 true) in one job: without ${sa} us per step, with ${sb} us;" \
        "difference $(echo "scale=1; ($sb - $sa) / 1000" | bc) ms per step"
echo "inside the plugin, per step (slurmstepd: policy, filters, namespaces): $(stats 'namespaces made for the step')"
echo "inside the plugin, per task as root (join, rlimits, capabilities): $(stats 'joined the step')"
echo "inside the plugin, per task as the user (lock-down): $(stats 'locked down under')"
