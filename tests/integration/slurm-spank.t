#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-spank.t — spank_corral.so in a real one-node Slurm 22.05
# (tests/recipes/slurm-local.sh, plugstack.conf in its work dir):
#   (a) slurmd loads the plugin at start (its log line names the policies);
#   (b) `sbatch --help` lists --corral-policy;
#   (c) sbatch refuses an unlisted --corral-policy before queueing the job;
#   (d) a batch job runs under the default policy, a --corral-policy=strict
#       job and its srun step under strict (slurmd's log, per step), also
#       with --export=NONE, for every task of a job array, for each task
#       of a two-task srun step and for `srun --pty`;
#   (e) an unlisted name that bypasses sbatch's check (the option's raw
#       environment variable) fails the task before exec, with the message
#       in the job's stderr, and the node is not drained;
#   (f) a policy broken after slurmd started fails the job's task with
#       FILE:LINE in the job's stderr;
#   (g) a broken policy at start: slurmd refuses to start, FILE:LINE in its log;
#   (h) a misspelt plugin argument: slurmd refuses to start and says which.
# The containment itself is not applied yet (Part 1's API): the plugin only
# logs what it would do, and these checks stop at what it decides.
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"

U1=corraltestsp1
UID1=61930
RECIPE=$CORRAL_RECIPES/slurm-local.sh
SO=$CORRAL_BUILD/spank_corral.so

require_root
for p in slurmctld slurmd munged sbatch srun scontrol sinfo; do
    command -v "$p" >/dev/null 2>&1 ||
        plan_skip_unless_must slurm "$p not installed (apt-get install slurmctld slurmd munge slurm-client, or scripts/deps.sh)"
done
[ -x "$RECIPE" ] || plan_skip_unless_must slurm "no $RECIPE"
[ -e /usr/include/slurm/spank.h ] || plan_skip_unless_must slurm "no <slurm/spank.h> (apt-get install libslurm-dev)"
[ -f "$SO" ] || plan_skip "spank_corral.so not built (make)"

plan 31

make_tmpdir
T=$TEST_TMP
SH=$T/shared
P=$T/policies
mkdir -p "$SH" "$P"
chmod 1777 "$SH"
chmod 0755 "$P"
cp "$CORRAL_SRC/policies/default.ini" "$CORRAL_SRC/policies/strict.ini" "$P/"
chmod 0644 "$P"/*.ini
# the plugin as slurmstepd, sbatch and srun (the job's user) load it
install -m 0755 -d "$T/lib"
install -m 0644 "$SO" "$T/lib/spank_corral.so"
cat >"$T/plugstack.conf" <<EOF
required $T/lib/spank_corral.so policy=default policy_dir=$P selectable=strict
EOF
make_test_user $U1 $UID1 || { echo "Bail out! cannot create $U1"; exit 1; }

W=$T/slurm
_cleanup_add "'$RECIPE' stop '$W'"
SLURM_PLUGSTACK=$T/plugstack.conf "$RECIPE" start "$W" >"$T/start.log" 2>&1
START=$?
export SLURM_CONF=$W/etc/slurm.conf
LOG=$W/log/slurmd.log

as_user() { setpriv --reuid=$U1 --regid=$U1 --clear-groups env -u _SLURM_SPANK_OPTION_corral_corral_policy SLURM_CONF="$SLURM_CONF" "$@"; }
sub() { # sub NAME SBATCH-ARGS...: submit as U1 with output in SH/NAME.out/.err, print the job id
    local n=$1
    shift
    as_user sbatch --parsable -o "$SH/$n.out" -e "$SH/$n.err" --chdir="$SH" "$@" 2>>"$T/sbatch.err"
}
# (an array's first job id shows every task of the array: take its own line)
job_state() { scontrol -o show job "$1" 2>/dev/null | grep "^JobId=$1 " | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_done() { # wait_done JOB: until it is no longer pending/running; prints the state
    local s
    for _ in $(seq 600); do
        s=$(job_state "$1")
        case "$s" in PENDING | CONFIGURING | RUNNING | COMPLETING | '') sleep 0.1 ;; *) break ;; esac
    done
    echo "$s"
}
node_state() { sinfo -h -n localhost -o %T 2>/dev/null | head -1; }

# (a)
ok $START "the one-node cluster starts with spank_corral.so in plugstack.conf"
[ $START -eq 0 ] || fail_diag "$(tail -20 "$T/start.log")"
grep -q "spank_corral: loaded: default policy 'default', selectable: default, strict, from $P" "$LOG"
ok $? "slurmd loaded the plugin at start and says which policies (slurmd.log)"

# (b)
help=$(as_user sbatch --help 2>&1)
like "$help" "--corral-policy=NAME" "sbatch --help lists --corral-policy=NAME"

# (c)
out=$(as_user sbatch --parsable -o /dev/null --wrap "touch $SH/c-ran" --corral-policy=nosuch 2>&1)
rc=$?
isnt_zero() { [ "$1" -ne 0 ]; }
isnt_zero $rc
ok $? "sbatch --corral-policy=nosuch exits non-zero"
like "$out" "corral-policy=nosuch: not a policy this site lets jobs choose; fix: use one of: default, strict" \
    "sbatch says why and which names are allowed"
is "$(squeue -h -u $U1 -o %i | wc -l)" 0 "no job was queued"

# (d) default, strict, and an srun step of a strict job
j1=$(sub d1 --wrap "echo ran-default")
is "$(wait_done "$j1")" COMPLETED "a job without --corral-policy completes"
grep -q "spank_corral: job $j1 batch step: policy 'default' ($P/default.ini)" "$LOG"
ok $? "its batch step runs under the default policy (slurmd.log)"
grep -q "spank_corral: job $j1 batch step: task set-up under policy 'default' would apply" "$LOG"
ok $? "its task passed task_init_privileged (stub logs what it will apply)"
j2=$(sub d2 --corral-policy=strict --wrap "srun -n1 echo ran-srun")
is "$(wait_done "$j2")" COMPLETED "a --corral-policy=strict job with an srun step completes"
grep -q "spank_corral: job $j2 batch step: policy 'strict' ($P/strict.ini)" "$LOG"
ok $? "its batch step runs under strict"
grep -q "spank_corral: job $j2 step 0: policy 'strict' ($P/strict.ini)" "$LOG"
ok $? "its srun step inherits strict from the batch job"
is "$(cat "$SH/d2.out" 2>/dev/null)" ran-srun "the srun step ran"
grep "spank_corral: job $j2 " "$LOG" | sed 's/^/# slurmd.log: /'
# --export=NONE: the batch step's environment keeps only SLURM* variables
j5=$(sub d3 --export=NONE --corral-policy=strict --wrap "echo ran")
is "$(wait_done "$j5")" COMPLETED "a --export=NONE --corral-policy=strict job completes"
grep -q "spank_corral: job $j5 batch step: policy 'strict'" "$LOG"
ok $? "with --export=NONE its batch step still runs under strict"
# a job array: every task gets the option
ja=$(sub 'd4-%a' --array=1-2 --corral-policy=strict --wrap "echo ran")
for _ in $(seq 600); do [ -z "$(squeue -h -r -j "$ja" -o %i 2>/dev/null)" ] && break; sleep 0.1; done
n=0
for id in $(scontrol -o show job "$ja" 2>/dev/null | grep -o '^JobId=[0-9]*' | cut -d= -f2); do
    [ "$(wait_done "$id")" = COMPLETED ] && grep -q "spank_corral: job $id batch step: policy 'strict'" "$LOG" && n=$((n + 1))
done
is "$n" 2 "both tasks of a --corral-policy=strict job array complete under strict"
# a two-task srun step: each task goes through the task callbacks
j6=$(sub d5 --ntasks=2 --wrap "srun -n2 echo ran")
is "$(wait_done "$j6")" COMPLETED "a job with a two-task srun step completes"
is "$(grep -c "spank_corral: job $j6 step 0: task set-up under policy 'default'" "$LOG")" 2 \
    "both tasks of the step went through task_init_privileged"
# srun --pty (a terminal from script(1)): an interactive step is contained too
out=$(as_user script -qec "srun --pty sh -c 'echo pty-job=\$SLURM_JOB_ID'" /dev/null 2>&1 </dev/null)
jp=$(printf '%s\n' "$out" | grep -ao 'pty-job=[0-9]*' | head -1 | cut -d= -f2)
like "$jp" "^[0-9]+$" "srun --pty runs its command"
[ -n "$jp" ] || fail_diag "srun --pty printed: $out"
grep -q "spank_corral: job ${jp:-none} step 0: task lock-down under policy 'default'" "$LOG"
ok $? "the --pty step went through the task callbacks under the default policy"
[ "$n" = 2 ] || fail_diag "array job '$ja': $(scontrol -o show job "$ja" 2>&1 | cut -c1-150)"

# (e) the raw option variable goes around sbatch's check: slurmstepd refuses
j3=$(setpriv --reuid=$U1 --regid=$U1 --clear-groups env SLURM_CONF="$SLURM_CONF" \
    _SLURM_SPANK_OPTION_corral_corral_policy=nosuch \
    sbatch --parsable -o "$SH/e.out" -e "$SH/e.err" --chdir="$SH" --wrap "touch $SH/e-ran" 2>>"$T/sbatch.err")
is "$(wait_done "$j3")" FAILED "a job that names an unlisted policy past sbatch fails"
[ ! -e "$SH/e-ran" ]
ok $? "its script never ran"
grep -q "corral-policy=nosuch: not a policy this site lets jobs choose" "$SH/e.err" 2>/dev/null
r=$?
ok $r "the refusal is in the job's stderr"
[ $r -eq 0 ] || fail_diag "job stderr: $(cat "$SH/e.err" 2>/dev/null)"
sed 's/^/# job stderr: /' "$SH/e.err" 2>/dev/null
like "$(node_state)" "^(idle|mixed|allocated)" "the node is not drained by a user's bad choice"

# (f) a policy broken after slurmd started
cp "$P/strict.ini" "$T/strict.ini.good"
printf '\n[namespaces]\nmount = sometimes\n' >>"$P/strict.ini"
line=$(wc -l <"$P/strict.ini")
j4=$(sub f --corral-policy=strict --wrap "touch $SH/f-ran")
is "$(wait_done "$j4")" FAILED "a job whose policy no longer loads fails"
[ ! -e "$SH/f-ran" ]
ok $? "its script never ran"
grep -q "$P/strict.ini:$line: " "$SH/f.err" 2>/dev/null
r=$?
ok $r "FILE:LINE of the policy error is in the job's stderr"
[ $r -eq 0 ] || fail_diag "job stderr: $(cat "$SH/f.err" 2>/dev/null)"
sed 's/^/# job stderr: /' "$SH/f.err" 2>/dev/null
cp "$T/strict.ini.good" "$P/strict.ini"

# (g) a broken default policy when slurmd starts
"$RECIPE" stop "$W" >/dev/null 2>&1
printf '\n[limits]\nmemory = lots\n' >>"$P/default.ini"
line=$(wc -l <"$P/default.ini")
rm -rf "$W"
SLURM_START_TIMEOUT=10 SLURM_PLUGSTACK=$T/plugstack.conf "$RECIPE" start "$W" >"$T/start2.log" 2>&1
isnt_zero $?
ok $? "with a broken default policy the node does not come up"
grep -q "spank_corral: $P/default.ini:$line: " "$LOG"
r=$?
ok $r "slurmd's log names FILE:LINE of the policy error"
[ $r -eq 0 ] || fail_diag "$(grep -i 'spank\|corral' "$LOG" | tail -5)"
grep 'spank_corral\|initialization failed' "$LOG" | tail -4 | sed 's/^/# slurmd.log: /'

# (h) a misspelt argument on the plugstack.conf line
"$RECIPE" stop "$W" >/dev/null 2>&1
cp "$T/strict.ini.good" "$P/strict.ini"
cp "$CORRAL_SRC/policies/default.ini" "$P/default.ini"
echo "required $T/lib/spank_corral.so polcy=default policy_dir=$P" >"$T/plugstack-bad.conf"
rm -rf "$W"
SLURM_START_TIMEOUT=10 SLURM_PLUGSTACK=$T/plugstack-bad.conf "$RECIPE" start "$W" >"$T/start3.log" 2>&1
isnt_zero $?
ok $? "with a misspelt plugin argument the node does not come up"
grep -q "spank_corral: plugstack.conf: unknown argument 'polcy=default'; fix: use policy=NAME" "$LOG"
r=$?
ok $r "slurmd's log names the argument and the fix"
[ $r -eq 0 ] || fail_diag "$(grep -i 'spank\|corral' "$LOG" | tail -5)"

done_testing
