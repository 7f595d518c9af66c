#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-conventions.t — how batch systems call corral-epilogue: Torque's
# pbs_mom argv (with a mock pbs_mom whose child leads a running job's
# session), Slurm's Epilog environment (no PATH, no HOME; a running job's
# cgroup job_N; a running job's daemon by its SLURM_JOB_ID), Grid Engine's
# epilog environment (detected; mock sge_shepherds in active_jobs/JOB.TASK
# directories; daemons by their JOB_ID), and every malformed invocation or
# configuration -> exit 2 with a clear message.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
plan 45

T=corraltestept
S=corraltesteps
make_test_user $T 61781 || { echo "# cannot create test user $T (uid 61781)"; exit 1; }
make_test_user $S 61782 || { echo "# cannot create test user $S (uid 61782)"; exit 1; }

# --- Torque: a mock pbs_mom (root, comm "pbs_mom") with a running job ---
mompid=$TEST_TMP/mom.pid
"$EPI_PROC" reaper --name pbs_mom "$mompid" -- "$EPI_PROC" sleeper --uid 61781 --setsid \
    </dev/null >"$TEST_TMP/mom.out" 2>&1 &
mom_bg=$!
_cleanup_add "kill -KILL $mom_bg; wait $mom_bg"
_cleanup_add "ep_kill_test_procs"
for _ in $(seq 100); do grep -q . "$TEST_TMP/mom.out" 2>/dev/null && break; sleep 0.02; done
p_running=$(head -1 "$TEST_TMP/mom.out")
# the ended job: its shell is gone, an orphan keeps its session
ep_spawn p_orphan sleeper --uid 61781 --setsid --double-fork
sid_end=$(awk '{print $6}' "/proc/$p_orphan/stat")
is "$(awk '{print $4}' "/proc/$p_running/stat")" "$(cat "$mompid")" "mock: the running job's shell is a child of pbs_mom"

targs=(4242.pbs.example.org $T $T myjob "$sid_end" "walltime=01:00:00" "cput=00:00:01,mem=1kb" batch acct 0)
out=$(ep_run --dry-run --json --torque "${targs[@]}")
rc=$?
is "$rc" 0 "Torque argv (--torque, 10 arguments) accepted"
like "$out" '"mode":"torque","job":"4242.pbs.example.org","user":"corraltestept"' "job id and user taken from argv 1 and 2"
like "$out" '"would_kill":1' "dry run: only the ended job's orphan would die"
out=$(ep_run --torque "${targs[@]}" /var/spool/torque/mom_priv/jobs/4242.SC)
rc=$?
diag "$out"
is "$rc" 0 "Torque argv with the 11th (script) argument"
like "$out" "^corral-epilogue: job 4242.pbs.example.org \\($T\\): killed 1 process" "one short line for the job's output"
is "$(wc -l <<<"$out")" 1 "exactly one line on stdout"
! alive "$p_orphan"
ok $? "the ended job's orphan (session $sid_end) was killed"
alive "$p_running"
ok $? "the running Torque job (session led by a child of pbs_mom) survives"

# --- Slurm: environment only, as slurmd runs the Epilog ---
# Slurm's v1 layout, /slurm_NODE/uid_N/job_M/step_S, on a test node name
ep_cgroup_parent "slurm_corraltest$$" || diag "no cgroup hierarchy for a test cgroup"
ep_spawn p_s1 sleeper --uid 61782 --setsid
ep_spawn p_s2 sleeper --uid 61782 --setsid
if [ -n "$EP_CG_MNT" ]; then
    mkdir -p "$EP_CG_MNT$EP_CG_REL/uid_61782/job_78/step_0"
    echo "$p_s2" >"$EP_CG_MNT$EP_CG_REL/uid_61782/job_78/step_0/cgroup.procs"
fi
out=$(env -i SLURM_JOB_ID=77 SLURM_JOB_UID=61782 SLURM_JOB_USER=$S SLURM_JOB_GID=61782 \
    "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range 61782-61782 --slurm --json)
rc=$?
is "$rc" 0 "Slurm Epilog environment with no PATH and no HOME: exit 0"
like "$out" '"mode":"slurm","job":"77","user":"corraltesteps"' "job and user from SLURM_JOB_*"
! alive "$p_s1"
ok $? "the ended Slurm job's leftover was killed"
if [ -n "$EP_CG_MNT" ]; then
    alive "$p_s2"
    ok $? "a process in running Slurm job 78's cgroup (job_78) survives"
    # a job_N cgroup outside Slurm's places proves nothing
    mkdir -p "$EP_CG_MNT/corraltest-ep.$$/job_79"
    _cleanup_add "ep_cgroup_remove '$EP_CG_MNT/corraltest-ep.$$'"
    ep_spawn p_fake sleeper --uid 61782 --setsid
    echo "$p_fake" >"$EP_CG_MNT/corraltest-ep.$$/job_79/cgroup.procs"
    env -i SLURM_JOB_ID=77 SLURM_JOB_UID=61782 "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test \
        --root "$EP_ROOT" --uid-range 61782-61782 --slurm >/dev/null
    ! alive "$p_fake"
    ok $? "a home-made job_79 cgroup outside Slurm's tree is no pardon"
else
    skip_or_fail cgroup "no test cgroup"
    skip_or_fail cgroup "no test cgroup"
fi
# slurmstepd ancestry: a mock slurmstepd (root, "slurmstepd: [78.0]") of a
# running job, and one of the ended job 77
stepd() { # stepd JOB VAR: a user process below a mock slurmstepd of JOB
    local d=$TEST_TMP/stepd.$1
    mkdir -p "$d"
    bash -c 'exec -a "slurmstepd: ['"$1"'.0]" "$0" reaper --name slurmstepd "$1" -- "$0" sleeper --uid 61782 --setsid' \
        "$EPI_PROC" "$d/pid" </dev/null >"$d/out" 2>&1 &
    _cleanup_add "kill -KILL $!; wait $!"
    _cleanup_add "ep_kill_test_procs"
    for _ in $(seq 100); do grep -q . "$d/out" 2>/dev/null && break; sleep 0.02; done
    printf -v "$2" '%s' "$(head -1 "$d/out")"
}
stepd 78 p_step78
stepd 77 p_step77
env -i SLURM_JOB_ID=77 SLURM_JOB_UID=61782 SLURM_JOB_USER=$S "$EPILOGUE" --policy-dir "$TEST_TMP/policies" \
    --policy test --root "$EP_ROOT" --uid-range 61782-61782 --slurm >/dev/null
alive "$p_step78"
ok $? "a process below slurmstepd of running job 78 survives"
! alive "$p_step77"
ok $? "a process below slurmstepd of the ended job 77 is killed"

# daemons (double-forked out of their job) by the job id in their
# environment, while that job's root slurmstepd runs with a user process
ep_spawn_cmd p_sd78 env SLURM_JOB_ID=78 "$EPI_PROC" sleeper --uid 61782 --setsid --double-fork
ep_spawn_cmd p_sd77 env SLURM_JOB_ID=77 "$EPI_PROC" sleeper --uid 61782 --setsid --double-fork
env -i SLURM_JOB_ID=77 SLURM_JOB_UID=61782 SLURM_JOB_USER=$S "$EPILOGUE" --policy-dir "$TEST_TMP/policies" \
    --policy test --root "$EP_ROOT" --uid-range 61782-61782 --slurm >/dev/null
alive "$p_sd78"
ok $? "a daemon with SLURM_JOB_ID=78 (job 78's slurmstepd runs) survives"
! alive "$p_sd77"
ok $? "a daemon with SLURM_JOB_ID=77 (the ended job) is killed"

out=$(env -i SLURM_JOB_ID=77 SLURM_JOB_UID=61782 "$EPILOGUE" --policy-dir "$TEST_TMP/policies" \
    --policy test --root "$EP_ROOT" --uid-range 61782-61782 --slurm --dry-run --json)
like "$out" '"user":"corraltesteps"' "SLURM_JOB_USER missing: the user is found from SLURM_JOB_UID"

# --- Grid Engine: the epilog's environment; mock sge_shepherds (root),
# each in its job's directory as sge_execd starts them ---
AJ=$TEST_TMP/execd/n1/active_jobs
shepherd() { # shepherd JOB.TASK VAR: a user process below a mock sge_shepherd of JOB.TASK
    local d=$AJ/$1
    mkdir -p "$d"
    (cd "$d" && exec "$EPI_PROC" reaper --name sge_shepherd "$d/pid" -- "$EPI_PROC" sleeper --uid 61782 --setsid) \
        </dev/null >"$d/out" 2>&1 &
    _cleanup_add "kill -KILL $!; wait $!"
    for _ in $(seq 100); do grep -q . "$d/out" 2>/dev/null && break; sleep 0.02; done
    printf -v "$2" '%s' "$(head -1 "$d/out")"
}
shepherd 88.1 p_sh88
shepherd 87.1 p_sh87
ep_spawn_cmd p_gd88 env JOB_ID=88 SGE_TASK_ID=undefined "$EPI_PROC" sleeper --uid 61782 --setsid --double-fork
ep_spawn_cmd p_gd87 env JOB_ID=87 "$EPI_PROC" sleeper --uid 61782 --setsid --double-fork
ep_spawn_cmd p_gd89 env JOB_ID=89 "$EPI_PROC" sleeper --uid 61782 --setsid --double-fork
sge_env=(JOB_ID=87 SGE_TASK_ID=undefined "SGE_JOB_SPOOL_DIR=$AJ/87.1" USER=$S JOB_NAME=j QUEUE=all.q
    SGE_JOBEXIT_STAT=0)
out=$(env -i "${sge_env[@]}" "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range 61782-61782 --json)
rc=$?
is "$rc" 0 "Grid Engine's epilog environment, no mode given: exit 0"
like "$out" '"mode":"sge","job":"87.1","user":"corraltesteps"' "Grid Engine detected: job JOB_ID.TASK, user from USER"
alive "$p_sh88"
ok $? "a process below the sge_shepherd of running job 88.1 survives"
! alive "$p_sh87"
ok $? "a process below the ended job's sge_shepherd (87.1) is killed"
alive "$p_gd88"
ok $? "a daemon with JOB_ID=88 (job 88.1's sge_shepherd runs) survives"
! alive "$p_gd87"
ok $? "a daemon with JOB_ID=87 (the ended job) is killed"
! alive "$p_gd89"
ok $? "a daemon with JOB_ID=89 (no such running job) is killed"

# --- malformed invocations: exit 2, one clear message ---
bad() { # bad DESCRIPTION REGEX CMD...
    local desc=$1 re=$2 err rc
    shift 2
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq 2 ] && [[ "$err" =~ $re ]]; then ok 0 "$desc"; else
        ok 1 "$desc"
        diag "rc=$rc err=$err"
    fi
}
bad "no mode at all" "say whose job ended" "$EPILOGUE"
bad "Torque argv with 9 arguments" "10 or 11 arguments" ep_run --torque "${targs[@]:0:9}"
bad "Torque session id not a number" "argument 5: invalid session id 'abc'" \
    ep_run --torque 1.srv $T $T j abc l r q a 0
bad "Torque user name with a slash" "argument 2: invalid user name" ep_run --torque 1.srv ../x g j 1 l r q a 0
bad "Slurm without SLURM_JOB_ID" "SLURM_JOB_ID is not set" env -i SLURM_JOB_UID=61782 \
    "$EPILOGUE" --slurm --dry-run
bad "Slurm with a bad SLURM_JOB_UID" "invalid SLURM_JOB_UID 'x1'" env -i SLURM_JOB_ID=5 SLURM_JOB_UID=x1 \
    "$EPILOGUE" --slurm --dry-run
bad "SLURM_JOB_USER and SLURM_JOB_UID disagree" "has uid 61782, but the job's uid is 61781" \
    env -i SLURM_JOB_ID=5 SLURM_JOB_UID=61781 SLURM_JOB_USER=$S "$EPILOGUE" --policy-dir "$TEST_TMP/policies" \
    --policy test --root "$EP_ROOT" --slurm --dry-run
bad "Grid Engine without JOB_ID" "--sge: JOB_ID is not set" env -i USER=$S "$EPILOGUE" --sge --dry-run
bad "Grid Engine: --user is not the job's USER" "--user $T is not the job's USER $S" \
    env -i "${sge_env[@]}" "$EPILOGUE" --sge --user $T --dry-run
bad "unknown option" "unknown option '--frobnicate'" ep_run --frobnicate --user $T
bad "no such user" "no such user 'corraltestnobody'" ep_run --user corraltestnobody --dry-run
bad "--sweep with --user" "--sweep cleans every user" ep_run --sweep --user $T
bad "bad --uid-range" "--uid-range: need MIN-MAX" "$EPILOGUE" --uid-range 9-1 --user $T
bad "bad --deadline" "--deadline: need a duration" ep_run --user $T --deadline forever
printf '[epilogue]\nmin_uid = 61740\nmax_uid = 61799\nfrobnicate = yes\n' >"$TEST_TMP/policies/broken.ini"
chmod 0644 "$TEST_TMP/policies/broken.ini"
bad "a policy with an unknown key" "broken.ini:4: .*frobnicate" ep_run --policy broken --user $T --dry-run
mkdir -m 0777 "$TEST_TMP/wpol"
cp "$TEST_TMP/policies/test.ini" "$TEST_TMP/wpol/"
bad "a policy in a world-writable directory" "writable by group or others" \
    "$EPILOGUE" --policy-dir "$TEST_TMP/wpol" --policy test --root "$EP_ROOT" --user $T --dry-run
bad "a policy that does not exist (named)" "Failed to load policy 'nosuch'" ep_run --policy nosuch --user $T

out=$("$EPILOGUE" --help)
is "$?" 0 "--help exits 0"
like "$out" "Exit status:.*0  the node is clean.*1  something survived.*2  bad invocation" "--help documents the exit codes"

done_testing
