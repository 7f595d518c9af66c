#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# torque-starter.t — scripts/torque-job-starter invoked exactly as pbs_mom
# invokes its $job_starter with $job_starter_run_privileged true: as root,
# argv [starter, SHELL, -SHELL|SHELL, SCRIPT...] (the script on standard
# input in the login form, as pbs_mom passes a batch script), in a job
# environment of PBS_JOBID, PBS_O_*, USER, HOME. Torque and OpenPBS are not
# packaged in Debian 12, so pbs_mom itself does not run here: this is the
# invocation it makes. Checked: the job runs as its user inside corral's
# containment (its own PID namespace, its own cgroup named after the job
# id, no capabilities), in the job's environment, as a login shell when
# asked, in PBS_O_INITDIR; its output reaches the starter's stdout and its
# exit status is the starter's; a daemon it leaves dies with it; and a
# starter run without root, without PBS_JOBID or USER, for root or for an
# unknown user refuses with a message naming the cause (exit 200).
# The test's copy of the starter points at the build's corral-launch and
# the test's policies and cgroup parent (the two site lines at its top).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
STARTER_SRC=$CORRAL_SRC/scripts/torque-job-starter
[ -f "$STARTER_SRC" ] || plan_skip "no $STARTER_SRC"
plan 33

STARTER=$BIN_STAGE/torque-job-starter
sed -e "s|^CORRAL_LAUNCH=.*|CORRAL_LAUNCH=$LAUNCH|" \
    -e "s|^CORRAL_LAUNCH_OPTIONS=.*|CORRAL_LAUNCH_OPTIONS=(--policy default --policy-dir $POLDIR --cgroup-parent $CGPARENT)|" \
    "$STARTER_SRC" >"$STARTER"
chmod 0755 "$STARTER"
grep -q "^CORRAL_LAUNCH=$LAUNCH\$" "$STARTER" && grep -q "^CORRAL_LAUNCH_OPTIONS=(--policy default --policy-dir" "$STARTER"
ok $? "the test's copy of the starter has its two site lines set"

WORK=$BIN_STAGE/work
mkdir -m 0777 "$WORK"
THOME=$(getent passwd "$TUSER" | cut -d: -f6)

# pbs_mom's job environment (start_exec.c sets HOME, USER, PBS_JOBID,
# PBS_JOBNAME, PBS_QUEUE, PBS_ENVIRONMENT...; qsub adds PBS_O_*)
pbs_env() { # pbs_env JOBID: the env -i arguments of a job of $TUSER
    echo "PBS_JOBID=$1" "USER=$TUSER" "LOGNAME=$TUSER" "HOME=$THOME" "SHELL=/bin/bash" \
        "PATH=/bin:/usr/bin" "PBS_JOBNAME=starter-test" "PBS_QUEUE=batch" "PBS_ENVIRONMENT=PBS_BATCH" \
        "PBS_O_HOST=submit.example.org" "PBS_O_LOGNAME=$TUSER" "PBS_O_HOME=$THOME" "PBS_O_WORKDIR=$WORK" \
        "PBS_O_PATH=/usr/local/bin:/usr/bin:/bin" "PBS_O_SHELL=/bin/bash" "PBS_O_QUEUE=batch"
}
start() { # start JOBID [ENV...] -- ARGV...: the starter as pbs_mom runs it, stdin from $STDIN
    local id=$1 envs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    # shellcheck disable=SC2046
    env -i $(pbs_env "$id") "${envs[@]}" "$STARTER" "$@" <"${STDIN:-/dev/null}" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    RC=$?
    OUT=$(cat "$TEST_TMP/out")
    ERR=$(cat "$TEST_TMP/err")
}
val() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -1; } # val KEY: KEY=VALUE line of the job's output

# 1. the login form, the batch script on standard input
cat >"$WORK/job1.sh" <<'EOF'
echo "uid=$(id -u)"
echo "pid=$$"
echo "visible=$(ls -d /proc/[0-9]* | wc -l)"
echo "capeff=$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)"
echo "jobid=$PBS_JOBID"
echo "workdir=$PBS_O_WORKDIR"
echo "logname=$PBS_O_LOGNAME"
echo "corral_job=$CORRAL_JOB_ID"
echo "arg0=$0"
shopt -q login_shell && echo "login=yes"
echo "cwd=$(pwd)"
# its cgroup's name is the host's (in its cgroup namespace it is "/"): the
# test looks for it on the host while the job waits
i=0; while [ ! -e "$PBS_O_WORKDIR/cgseen" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "cgroup=$(cat "$PBS_O_WORKDIR/cgseen" 2>/dev/null)"
echo "cgroup_ns=$(cut -d: -f3 /proc/self/cgroup | sort -u | tr '\n' ' ')"
echo "multi=$(printf '%s' "$MULTI" | od -An -c | tr -s ' ')"
exit 7
EOF
chmod 0644 "$WORK/job1.sh"
(for _ in $(seq 300); do
        n=$(ls -d /sys/fs/cgroup/*/"$CGPARENT"/job-42.srv.example.org /sys/fs/cgroup/"$CGPARENT"/job-42.srv.example.org \
                2>/dev/null | wc -l)
        [ "$n" -gt 0 ] && { echo "$n" >"$WORK/cgseen"; break; }
        sleep 0.1
done) &
watcher=$!
STDIN=$WORK/job1.sh start 42.srv.example.org "MULTI=a
b" -- /bin/bash -bash
is "$RC" 7 "the job's exit status (7) is the starter's"
[ -n "$ERR" ] && fail_diag "stderr: $ERR"
is "$(val uid)" "$TUID" "the job runs as its user (USER=$TUSER)"
like "$(val pid)" '^[0-9]$' "the job's shell has a small PID ($(val pid)): its own PID namespace"
like "$(val visible)" '^[1-9]$' "it sees only its own few processes in /proc ($(val visible))"
is "$(val capeff)" 0000000000000000 "no capabilities"
wait "$watcher"
rm -f "$WORK/cgseen"
like "$(val cgroup)" '^[1-9]' "it is in corral's job cgroup named after the Torque job id (job-42.srv.example.org)"
is "$(val cgroup_ns)" "/ " "... which is / in its own cgroup namespace (private_root)"
is "$(val corral_job)" 42.srv.example.org "CORRAL_JOB_ID is the Torque job id"
is "$(val jobid)" 42.srv.example.org "PBS_JOBID reaches the job"
is "$(val workdir)" "$WORK" "PBS_O_WORKDIR reaches the job"
is "$(val logname)" "$TUSER" "PBS_O_LOGNAME reaches the job"
is "$(val multi)" " a \\n b" "a value with a newline reaches the job intact"
is "$(val arg0)" -bash "the shell's argv[0] is pbs_mom's ARGV0 (-bash)"
is "$(val login)" yes "so it is a login shell"
home_cwd=/ # corral-launch: the home if the user can enter it, else /
[ -d "$THOME" ] && home_cwd=$THOME
is "$(val cwd)" "$home_cwd" "without PBS_O_INITDIR the job starts in the user's home (or / without one)"
is "$(job_cgroups_left)" 0 "the job's cgroup is gone after the job"

# 2. the script as an argument, non-login form, qsub -d
cat >"$WORK/job2.sh" <<'EOF'
echo "arg0=$0 args=$*"
echo "cwd=$(pwd)"
echo out-line
echo err-line >&2
exit 3
EOF
chmod 0644 "$WORK/job2.sh"
start 43.srv PBS_O_INITDIR="$WORK" -- /bin/sh sh "$WORK/job2.sh" one two
is "$RC" 3 "script as an argument: exit status 3"
is "$(val arg0)" "$WORK/job2.sh args=one two" "the shell got the script and its arguments"
is "$(val cwd)" "$WORK" "PBS_O_INITDIR (qsub -d) is the working directory"
like "$OUT" 'out-line' "the job's stdout is the starter's"
like "$ERR" 'err-line' "the job's stderr is the starter's"

# 3. an array job id is made a corral job id
cat >"$WORK/job3.sh" <<'EOF'
echo "corral_job=$CORRAL_JOB_ID"
echo "jobid=$PBS_JOBID"
EOF
chmod 0644 "$WORK/job3.sh"
STDIN=$WORK/job3.sh start '7[3].srv' -- /bin/bash -bash
is "$RC/$(val corral_job)/$(val jobid)" "0/7_3_.srv/7[3].srv" "an array job 7[3].srv runs as corral job 7_3_.srv, PBS_JOBID unchanged"

# 4. a daemon the job leaves dies with it (its PID namespace ends)
cat >"$WORK/job4.sh" <<EOF
(setsid sh -c 'sleep 2; touch $WORK/daemon-survived' </dev/null >/dev/null 2>&1 &)
echo started
EOF
chmod 0644 "$WORK/job4.sh"
STDIN=$WORK/job4.sh start 44.srv -- /bin/bash -bash
is "$RC/$OUT" 0/started "a job that leaves a daemon behind ends (exit 0)"
sleep 4
[ ! -e "$WORK/daemon-survived" ]
ok $? "its daemon died with the job (no file 4 s later)"
is "$(count_user_procs "$TUSER")" 0 "no process of $TUSER is left"

# 5. refusals: each names its cause, the job never runs (exit 200)
STDIN=$WORK/job3.sh
# shellcheck disable=SC2046
env -i $(pbs_env 45.srv | tr ' ' '\n' | grep -v '^PBS_JOBID=') "$STARTER" /bin/bash -bash <"$STDIN" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
RC=$?
is "$RC" 200 "no PBS_JOBID: exit 200"
like "$(cat "$TEST_TMP/err")" 'PBS_JOBID is not set' "... the message names PBS_JOBID"
# shellcheck disable=SC2046
env -i $(pbs_env 46.srv | tr ' ' '\n' | grep -v '^USER=') "$STARTER" /bin/bash -bash <"$STDIN" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
RC=$?
like "$RC: $(cat "$TEST_TMP/err")" '^200: .*USER .* is not set' "no USER: exit 200, the message names USER"
start 47.srv USER=root -- /bin/bash -bash
like "$RC: $ERR" '^200: .*USER is root' "USER=root: refused"
start 48.srv USER=corraltestnosuchuser -- /bin/bash -bash
like "$RC: $ERR" "^200: .*no such user" "an unknown USER: refused"
start 49.srv -- /bin/bash
like "$RC: $ERR" '^200: .*usage' "too few arguments: refused with the usage"
# not root: pbs_mom without $job_starter_run_privileged runs it as the user
# shellcheck disable=SC2046
setpriv --reuid="$TUID" --regid="$TUID" --clear-groups env -i $(pbs_env 50.srv) "$STARTER" /bin/bash -bash \
    <"$STDIN" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
RC=$?
like "$RC: $(cat "$TEST_TMP/err")" '^200: .*must run as root.*job_starter_run_privileged' \
    "run as the user: exit 200, the message says to set \$job_starter_run_privileged"
done_testing
