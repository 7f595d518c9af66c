#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/launch.sh — what full containment costs (make bench; needs root).
#
# 1. Launch time, side by side in one hyperfine run, median of RUNS (>= 200)
#    launches each:
#      corral-launch --policy default -- /bin/true   (cgroup, 5 namespaces,
#                                                     mounts, caps, seccomp)
#      /bin/true
#      unshare -Urpfm --mount-proc /bin/true
#      bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true
#    and the ratios of corral-launch to bwrap (target <= 0.6) and to unshare
#    (target <= 1.3). Beside them, the floor: tests/helpers/launch-floor
#    does the same kernel work as corral-launch (the job's cgroups with
#    their limits, the five namespaces, the mounts, the ids and
#    capabilities, the seccomp program corral-launch generated) with no
#    program around it.
# 2. The cost per syscall of the default seccomp filter: a getppid() loop in
#    a job under the default policy and under the same policy with
#    seccomp mode = off; the difference (target <= 60 ns).
#
#   tests/bench/launch.sh [--write-docs]   RUNS=200 (env)
# --write-docs replaces the measured block of docs/BENCHMARKS.md's "## corral-launch"
# section (between its "<!-- launch.sh --write-docs: begin/end -->" lines).
set -u
: "${CORRAL_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CORRAL_BUILD:=$CORRAL_SRC/build}"
. "$CORRAL_SRC/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
RUNS=${RUNS:-200}
[ "$RUNS" -ge 200 ] || RUNS=200
write_docs=0
[ "${1:-}" = --write-docs ] && write_docs=1

[ "$(id -u)" = 0 ] || { echo "launch.sh: needs root" >&2; exit 1; }
for t in hyperfine bwrap unshare; do
        command -v $t >/dev/null || { echo "launch.sh: $t is not installed (scripts/deps.sh)" >&2; exit 1; }
done
[ -x "$LAUNCH" ] || { echo "launch.sh: $LAUNCH not built" >&2; exit 1; }

make_tmpdir
POLDIR=$TEST_TMP/policies
mkdir -m 0755 "$POLDIR"
cp "$CORRAL_SRC/policies/default.ini" "$POLDIR/"
printf '[policy]\ninherit = default\n[seccomp]\nmode = off\n' >"$POLDIR/noseccomp.ini"
chmod 0644 "$POLDIR"/*.ini
make_test_user corraltestlb 61425 >/dev/null 2>&1 || { echo "launch.sh: cannot create the test user" >&2; exit 1; }
CGPARENT=corraltest-bench-$$
_cleanup_add "remove_cgroup_parent $CGPARENT"
# its own run_dir: the caches (seccomp program, cgroup set-up) start empty
# and the floor finds the program there
CONF=$TEST_TMP/corral.conf
printf '[node]\nrun_dir = %s\n' "$TEST_TMP/run" >"$CONF"
chmod 0644 "$CONF"
L="$LAUNCH --config $CONF --policy default --user corraltestlb --policy-dir $POLDIR --cgroup-parent $CGPARENT"
# one launch fills the caches and makes the cgroup parent in each hierarchy
# a job uses: the floor's job cgroups go there
$L -- /bin/true || { echo "launch.sh: corral-launch failed" >&2; exit 1; }
BPF=$(find "$TEST_TMP/run/seccomp" -type f | head -1)
floor_dirs=()
for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
        [ -d "$d" ] && floor_dirs+=("$d/floor")
done
FLOOR="$HELPERS/launch-floor $(id -u corraltestlb) $(id -g corraltestlb) $BPF ${floor_dirs[*]} -- /bin/true"
$FLOOR || { echo "launch.sh: launch-floor failed" >&2; exit 1; }

csv=$TEST_TMP/launch.csv
hyperfine -N --warmup 20 --runs "$RUNS" --export-csv "$csv" \
        -n corral-launch "$L -- /bin/true" \
        -n /bin/true "/bin/true" \
        -n unshare "unshare -Urpfm --mount-proc /bin/true" \
        -n bwrap "bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true" \
        -n floor "$FLOOR" \
        >"$TEST_TMP/hyperfine.out" 2>&1 || { cat "$TEST_TMP/hyperfine.out"; exit 1; }
median() { awk -F, -v n="$1" '$1 == n {printf "%.3f", $4 * 1000}' "$csv"; }
m_corral=$(median corral-launch)
m_true=$(median /bin/true)
m_unshare=$(median unshare)
m_bwrap=$(median bwrap)
m_floor=$(median floor)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
r_bwrap=$(awk -v a="$m_corral" -v b="$m_bwrap" 'BEGIN {printf "%.2f", a / b}')
r_unshare=$(awk -v a="$m_corral" -v b="$m_unshare" 'BEGIN {printf "%.2f", a / b}')

# seccomp cost per syscall: median of 9 runs with and without the filter
loop() {
        local policy=$1 i
        for i in 1 2 3 4 5 6 7 8 9; do
                $LAUNCH --policy "$policy" --user corraltestlb --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
                        -- "$HELPERS/getppid-loop" 2000000
        done | sort -n | sed -n 5p
}
s_with=$(loop default)
s_without=$(loop noseccomp)
s_cost=$(awk -v a="$s_with" -v b="$s_without" 'BEGIN {printf "%.1f", a - b}')
leftover=$(job_cgroups_left)

machine="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
cgver=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
[ "$cgver" = tmpfs ] && cgver="v1/hybrid (controllers on v1)"
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "met" : "missed"}'; }

report() {
        cat <<EOF
Machine: $machine; cgroups $cgver. $RUNS launches each, hyperfine -N, medians.

| command | median (ms) | corral-launch / it |
|---|---|---|
| \`corral-launch --policy default -- /bin/true\` | $m_corral | 1.00 |
| \`/bin/true\` | $m_true | $(awk -v a="$m_corral" -v b="$m_true" 'BEGIN {printf "%.2f", a / b}') |
| \`unshare -Urpfm --mount-proc /bin/true\` | $m_unshare | $r_unshare (target <= 1.3: $(verdict "$r_unshare" 1.3)) |
| \`bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc --dev /dev /bin/true\` | $m_bwrap | $r_bwrap (target <= 0.6: $(verdict "$r_bwrap" 0.6)) |
| floor: corral-launch's kernel work alone (\`tests/helpers/launch-floor\`) | $m_floor | $(ratio "$m_corral" "$m_floor") |

The floor itself is $(ratio "$m_floor" "$m_unshare")x unshare and $(ratio "$m_floor" "$m_bwrap")x bwrap;
corral-launch adds $(awk -v a="$m_corral" -v b="$m_floor" 'BEGIN {printf "%.2f", a - b}') ms to it.

Seccomp, default policy, per syscall (getppid loop, median of 9 jobs of 2M calls):
$s_with ns with the filter, $s_without ns without (seccomp mode = off), cost $s_cost ns
(target <= 60 ns: $(verdict "$s_cost" 60)). Job cgroups left after the benchmark: $leftover.
EOF
}
report

if [ $write_docs = 1 ]; then
        # only the measured block between the markers: the history and the
        # analysis around it in the section are written by hand
        doc=$CORRAL_SRC/docs/BENCHMARKS.md
        begin='<!-- launch.sh --write-docs: begin -->' end='<!-- launch.sh --write-docs: end -->'
        if ! grep -qxF "$begin" "$doc" 2>/dev/null || ! grep -qxF "$end" "$doc"; then
                echo "launch.sh: $doc has no '$begin' ... '$end' lines: nothing written" >&2
                exit 1
        fi
        block=$TEST_TMP/block.md
        {
                echo "Measured $(date -u +%Y-%m-%d) by \`tests/bench/launch.sh\`."
                echo
                report
        } >"$block"
        awk -v blk="$block" -v b="$begin" -v e="$end" '
                BEGIN { while ((getline l < blk) > 0) s = s l "\n" }
                $0 == b { print; printf "%s", s; skip = 1; next }
                $0 == e { skip = 0 }
                !skip { print }' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
        echo "launch.sh: wrote the measured block of the corral-launch section of $doc"
fi
