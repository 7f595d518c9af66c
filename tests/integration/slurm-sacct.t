#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-sacct.t — Slurm's accounting of a job is the same with
# spank_corral.so as without it: a one-node Slurm 22.05 with slurmdbd on a
# private MariaDB (tests/recipes/slurm-local.sh, SLURM_ACCOUNTING=1,
# jobacct_gather/linux), started twice, first without the plugin, then with
# it under the default policy. The same job runs on each: its batch step
# touches 200 MiB and burns 3 s of CPU, its srun step 100 MiB and 2 s
# (tests/helpers/memcpu.c). sacct must show for both steps a MaxRSS and a
# TotalCPU at least what the job used, and the two runs must agree within
# 25 %. With the plugin the job must really have run contained (Seccomp: 2
# and NoNewPrivs: 1 in both steps, and slurmd's log names the policy).
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"

U1=corraltestac1
UID1=61935
RECIPE=$CORRAL_RECIPES/slurm-local.sh
SO=$CORRAL_BUILD/spank_corral.so

require_root
for p in slurmctld slurmd munged sbatch srun scontrol sinfo; do
    command -v "$p" >/dev/null 2>&1 ||
        plan_skip_unless_must slurm "$p not installed (apt-get install slurmctld slurmd munge slurm-client, or scripts/deps.sh)"
done
for p in slurmdbd sacct sacctmgr mariadbd mariadb-install-db mariadb-admin; do
    command -v "$p" >/dev/null 2>&1 ||
        plan_skip_unless_must slurm "$p not installed (apt-get install slurmdbd mariadb-server-core mariadb-client, or scripts/deps.sh)"
done
[ -x "$RECIPE" ] || plan_skip_unless_must slurm "no $RECIPE"
[ -f "$SO" ] || plan_skip "spank_corral.so not built (make; needs libslurm-dev)"

plan 16

# not below /tmp: the jobs get a private one
T=$(mktemp -d /var/lib/corraltest-sacct.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 0755 "$T"
_cleanup_add "rm -rf '$T'"
# the plugin makes ns_dir a mount of its own (the jobs' namespaces)
_cleanup_add "umount -R '$T/ns'"
P=$T/policies
mkdir -p "$P" "$T/lib" "$T/out"
chmod 0755 "$P" "$T/lib"
chmod 1777 "$T/out"
cp "$CORRAL_SRC/policies/default.ini" "$P/"
chmod 0644 "$P"/*.ini
install -m 0644 "$SO" "$T/lib/spank_corral.so"
install -m 0755 "$CORRAL_BUILD/tests/helpers/memcpu" "$T/memcpu"
echo "required $T/lib/spank_corral.so policy=default policy_dir=$P ns_dir=$T/ns" >"$T/plugstack-corral.conf"
: >"$T/plugstack-none.conf"
cat >"$T/job.sh" <<EOF
#!/bin/sh
grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\t' | sed 's/^/batch /'
$T/memcpu 200 3
srun --quiet sh -c "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\t' | sed 's/^/step /'; exec $T/memcpu 100 2"
EOF
chmod 0755 "$T/job.sh"
make_test_user $U1 $UID1 || { echo "Bail out! cannot create $U1"; exit 1; }

# sacct's MaxRSS (1234K, 12.5M, 1.2G) in KiB
kib() {
    awk -v v="$1" 'BEGIN { n = v + 0; u = substr(v, length(v));
        if (u == "M") n *= 1024; else if (u == "G") n *= 1048576; else if (u == "T") n *= 1073741824;
        printf "%d\n", n }'
}
# sacct's TotalCPU ([D-][HH:]MM:SS[.mmm]) in milliseconds
msec() {
    awk -v v="$1" 'BEGIN { d = 0; if (index(v, "-")) { split(v, a, "-"); d = a[1]; v = a[2] }
        n = split(v, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i];
        printf "%d\n", (d * 86400 + s) * 1000 }'
}
# near A B: within 25 % of each other (both > 0)
near() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > 0 && b > 0 && (a > b ? a - b : b - a) <= 0.25 * (a > b ? a : b)) }'; }

# run NAME PLUGSTACK: a cluster with accounting, the job, its sacct lines in
# T/NAME.sacct ("JobID|State|MaxRSS|TotalCPU"), its output in T/out/NAME.out
run() {
    local name=$1 W=$T/slurm-$1 id st
    _cleanup_add "'$RECIPE' stop '$W'"
    SLURM_ACCOUNTING=1 SLURM_PLUGSTACK=$2 "$RECIPE" start "$W" >"$T/$name.start" 2>&1
    ok $? "$name: the one-node cluster starts with slurmdbd and MariaDB"
    export SLURM_CONF=$W/etc/slurm.conf
    id=$(setpriv --reuid=$U1 --regid=$U1 --clear-groups env ASAN_OPTIONS=detect_leaks=0 SLURM_CONF="$SLURM_CONF" \
        sbatch --parsable -o "$T/out/$name.out" -e "$T/out/$name.err" --chdir="$T/out" "$T/job.sh" 2>"$T/$name.sbatch")
    # the job is over when slurmdbd has its batch and srun steps ended
    st=
    for _ in $(seq 900); do
        st=$(sacct -n -P -X -j "${id:-0}" -o State 2>/dev/null | head -1)
        case "$st" in COMPLETED | FAILED | CANCELLED* | TIMEOUT | OUT_OF_MEMORY | NODE_FAIL)
            sacct -n -P -j "$id" -o JobID,State,MaxRSS,TotalCPU >"$T/$name.sacct" 2>&1
            grep -q "^$id\.0|" "$T/$name.sacct" && grep -q "^$id\.batch|" "$T/$name.sacct" && break ;;
        esac
        sleep 0.2
    done
    is "$st" COMPLETED "$name: the job (batch step and an srun step) completed"
    [ "$st" = COMPLETED ] || fail_diag "$(cat "$T/$name.sbatch" "$T/out/$name.err" "$T/$name.sacct" 2>/dev/null)"
    "$RECIPE" stop "$W" >/dev/null 2>&1
    JOB=$id
}

check_usage() { # check_usage NAME: the figures cover what the job used
    local b0 s0
    b0=$(grep "^[0-9]*\.batch|" "$T/$1.sacct" | cut -d'|' -f3,4)
    s0=$(grep "^[0-9]*\.0|" "$T/$1.sacct" | cut -d'|' -f3,4)
    eval "${1}_batch_rss=$(kib "${b0%|*}") ${1}_batch_cpu=$(msec "${b0#*|}")"
    eval "${1}_step_rss=$(kib "${s0%|*}") ${1}_step_cpu=$(msec "${s0#*|}")"
    local br=${1}_batch_rss bc=${1}_batch_cpu sr=${1}_step_rss sc=${1}_step_cpu
    [ "${!br}" -ge $((190 * 1024)) ] && [ "${!bc}" -ge 2500 ]
    ok $? "$1: sacct shows the batch step's MaxRSS (${b0%|*}) and TotalCPU (${b0#*|}): >= 190 MiB, >= 2.5 s"
    [ "${!sr}" -ge $((95 * 1024)) ] && [ "${!sc}" -ge 1500 ]
    ok $? "$1: sacct shows the srun step's MaxRSS (${s0%|*}) and TotalCPU (${s0#*|}): >= 95 MiB, >= 1.5 s"
}

run without "$T/plugstack-none.conf"
check_usage without
grep -q '^batch Seccomp:0' "$T/out/without.out" && grep -q '^step Seccomp:0' "$T/out/without.out"
ok $? "without: the job ran without a seccomp filter (the plugin is not loaded)"

run with "$T/plugstack-corral.conf"
j=$JOB
check_usage with
grep -q '^batch Seccomp:2' "$T/out/with.out" && grep -q '^batch NoNewPrivs:1' "$T/out/with.out"
ok $? "with: the batch step ran contained (Seccomp: 2, NoNewPrivs: 1)"
grep -q '^step Seccomp:2' "$T/out/with.out" && grep -q '^step NoNewPrivs:1' "$T/out/with.out"
ok $? "with: the srun step ran contained (Seccomp: 2, NoNewPrivs: 1)"
[ -s "$T/out/with.out" ] || fail_diag "$(cat "$T/out/with.err" 2>/dev/null)"
grep -q "spank_corral: job $j batch step: policy 'default'" "$T/slurm-with/log/slurmd.log" &&
    grep -q "spank_corral: job $j step 0: policy 'default'" "$T/slurm-with/log/slurmd.log"
ok $? "with: slurmd's log names the policy of both steps"

near "$with_batch_rss" "$without_batch_rss"
ok $? "batch step MaxRSS with the plugin ($with_batch_rss KiB) within 25 % of without ($without_batch_rss KiB)"
near "$with_batch_cpu" "$without_batch_cpu"
ok $? "batch step TotalCPU with the plugin ($with_batch_cpu ms) within 25 % of without ($without_batch_cpu ms)"
near "$with_step_rss" "$without_step_rss"
ok $? "srun step MaxRSS with the plugin ($with_step_rss KiB) within 25 % of without ($without_step_rss KiB)"
near "$with_step_cpu" "$without_step_cpu"
ok $? "srun step TotalCPU with the plugin ($with_step_cpu ms) within 25 % of without ($without_step_cpu ms)"
sed 's/^/# without: /' "$T/without.sacct"
sed 's/^/# with:    /' "$T/with.sacct"
