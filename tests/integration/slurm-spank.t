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
#   (h) a misspelt plugin argument: slurmd refuses to start and says which;
#   (i) the containment, seen from inside the jobs: a batch job and its srun
#       step run with Seccomp: 2, NoNewPrivs: 1, every capability set 0, the
#       policy's hostname, a private /tmp (a file written there is not in
#       the host's /tmp afterwards), a hidden path hidden, a denied syscall
#       failing with the policy's errno, in the directory they were
#       submitted from;
#   (j) --corral-policy=strict gets the strict filter: a syscall that
#       default allows (set_mempolicy) fails;
#   (k) the two tasks of `srun -n2` share one mount namespace and one /tmp,
#       which is not the host's;
#   (l) scancel of a running contained job: CANCELLED, and no process of
#       the user is left;
#   (m) the escape programs (tests/escape/) run as a job and are contained;
#   (n) a step whose namespaces cannot be set up: its task fails before
#       exec with the cause in the job's stderr; the node is not drained.
# Everything of the test lives outside /tmp (the jobs see a private one).
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

plan 86

# not below /tmp: the jobs get a private one, and must still see the
# Slurm spool (their batch script), the shared directory and the helpers
T=$(mktemp -d /var/lib/corraltest-spank.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 0755 "$T"
_cleanup_add "rm -rf '$T'"
# the plugin makes ns_dir a mount of its own (the jobs' namespaces)
_cleanup_add "umount -R '$T/ns'"
SH=$T/shared
P=$T/policies
mkdir -p "$SH" "$P"
chmod 1777 "$SH"
chmod 0755 "$P"
cp "$CORRAL_SRC/policies/default.ini" "$CORRAL_SRC/policies/strict.ini" "$P/"
# a test policy: default's, plus a hidden directory and another errno
mkdir -p "$T/secret" "$T/bin"
echo corraltest-secret >"$T/secret/data"
chmod 0755 "$T/secret" "$T/bin"
chmod 0644 "$T/secret/data"
cat >"$P/testpol.ini" <<EOF
[policy]
inherit = default
[filesystem]
hide = $T/secret
[seccomp]
errno = EXDEV
EOF
chmod 0644 "$P"/*.ini
install -m 0755 "$CORRAL_BUILD/tests/helpers/try-syscall" "$T/bin/try-syscall"
# the plugin as slurmstepd, sbatch and srun (the job's user) load it
install -m 0755 -d "$T/lib"
install -m 0644 "$SO" "$T/lib/spank_corral.so"
cat >"$T/plugstack.conf" <<EOF
required $T/lib/spank_corral.so policy=default policy_dir=$P selectable=strict,testpol ns_dir=$T/ns
EOF
make_test_user $U1 $UID1 || { echo "Bail out! cannot create $U1"; exit 1; }

# corral-epilogue as the cluster's Epilog (fake spools under T/root; only
# this test's uid): after scancel it must find nothing the job left (l)
mkdir -p "$T/ep" "$T/ep-policies" "$T/root/etc" "$T/root/var/spool/cron/crontabs" \
    "$T/root/var/spool/cron/atjobs" "$T/root/var/lib/systemd/linger" "$T/root/var/lib/corral"
chmod 0755 "$T/ep-policies"
cat >"$T/ep-policies/test.ini" <<EOF
[epilogue]
min_uid = $UID1
max_uid = $UID1
grace = 2s
deadline = 20s
quarantine_dir = /var/lib/corral/quarantine
EOF
chmod 0644 "$T/ep-policies/test.ini"
# (only while T/ep-on exists: (m) keeps a process of the user outside jobs)
cat >"$T/epilog.sh" <<EOF
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
[ -e $T/ep-on ] || exit 0
$CORRAL_BUILD/corral-epilogue --policy-dir $T/ep-policies --policy test --root $T/root \\
    --uid-range $UID1-$UID1 --slurm --json --log-file $T/epilogue.log >$T/ep/\$SLURM_JOB_ID.json 2>&1
EOF
chmod 0755 "$T/epilog.sh"

W=$T/slurm
_cleanup_add "'$RECIPE' stop '$W'"
SLURM_EPILOG=$T/epilog.sh SLURM_PLUGSTACK=$T/plugstack.conf "$RECIPE" start "$W" >"$T/start.log" 2>&1
START=$?
export SLURM_CONF=$W/etc/slurm.conf
LOG=$W/log/slurmd.log

# (ASAN_OPTIONS: under make check-asan the test programs a job runs are
# ASan builds, and LeakSanitizer cannot work under the job's seccomp filter)
as_user() { setpriv --reuid=$U1 --regid=$U1 --clear-groups env -u _SLURM_SPANK_OPTION_corral_corral_policy \
    ASAN_OPTIONS=detect_leaks=0 SLURM_CONF="$SLURM_CONF" "$@"; }
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
isnt_zero() { [ "$1" -ne 0 ]; }
unlike() { ! [[ $1 =~ $2 ]]; ok $? "$3"; }
isnt() { [ "$1" != "$2" ]; ok $? "$3"; }

# (a)
ok $START "the one-node cluster starts with spank_corral.so in plugstack.conf"
[ $START -eq 0 ] || fail_diag "$(tail -20 "$T/start.log")"
grep -q "spank_corral: loaded: default policy 'default', selectable: default, strict, testpol, from $P" "$LOG"
ok $? "slurmd loaded the plugin at start and says which policies (slurmd.log)"

# (b)
help=$(as_user sbatch --help 2>&1)
like "$help" "--corral-policy=NAME" "sbatch --help lists --corral-policy=NAME"

# (c)
out=$(as_user sbatch --parsable -o /dev/null --wrap "touch $SH/c-ran" --corral-policy=nosuch 2>&1)
rc=$?
isnt_zero $rc
ok $? "sbatch --corral-policy=nosuch exits non-zero"
like "$out" "corral-policy=nosuch: not a policy this site lets jobs choose; fix: use one of: default, strict, testpol" \
    "sbatch says why and which names are allowed"
is "$(squeue -h -u $U1 -o %i | wc -l)" 0 "no job was queued"

# (d) default, strict, and an srun step of a strict job
j1=$(sub d1 --wrap "echo ran-default")
is "$(wait_done "$j1")" COMPLETED "a job without --corral-policy completes"
grep -q "spank_corral: job $j1 batch step: policy 'default' ($P/default.ini)" "$LOG"
ok $? "its batch step runs under the default policy (slurmd.log)"
grep -q "spank_corral: job $j1 batch step: task 0: joined the step's namespaces (mount, IPC, UTS)" "$LOG"
ok $? "its task joined the step's namespaces in task_init_privileged"
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
is "$(grep -c "spank_corral: job $j6 step 0: task [01]: joined the step's namespaces" "$LOG")" 2 \
    "both tasks of the step went through task_init_privileged"
# srun --pty (a terminal from script(1)): an interactive step is contained too
out=$(as_user script -qec "srun --pty sh -c 'echo pty-job=\$SLURM_JOB_ID'" /dev/null 2>&1 </dev/null)
jp=$(printf '%s\n' "$out" | grep -ao 'pty-job=[0-9]*' | head -1 | cut -d= -f2)
like "$jp" "^[0-9]+$" "srun --pty runs its command"
[ -n "$jp" ] || fail_diag "srun --pty printed: $out"
grep -q "spank_corral: job ${jp:-none} step 0: task 0: locked down under policy 'default'" "$LOG"
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

# (i) the containment, from inside a batch job and its srun step, under the
# test policy (default's, a hidden directory, errno EXDEV)
STATUS_RE='^(Seccomp|NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):'
cat >"$SH/i.sh" <<EOF
#!/bin/sh
echo "pwd=\$(pwd)"
echo "hostname=\$(hostname)"
grep -E '$STATUS_RE' /proc/self/status | sed 's/^/batch /'
echo mark >/tmp/corraltest-spank-mark-\$SLURM_JOB_ID && echo "tmp-write=ok"
ls /tmp | sed 's/^/tmp-entry=/'
cat $T/secret/data >/dev/null 2>&1 && echo "hidden=readable" || echo "hidden=denied"
echo "unshare=\$($T/bin/try-syscall unshare)"
echo "nofile=\$(ulimit -Hn)"
echo "dev=\$(ls -A /dev | sort | tr '\n' ' ')"
srun -n1 grep -E '$STATUS_RE' /proc/self/status | sed 's/^/srun /'
srun -n1 $T/bin/try-syscall unshare | sed 's/^/srun-unshare=/'
EOF
chmod 0755 "$SH/i.sh"
# control: outside a job the user reads the file the policy hides
like "$(as_user cat "$T/secret/data" 2>&1)" "corraltest-secret" "the user can read $T/secret/data outside a job"
# submitted from $SH without --chdir: the job starts there
ji=$(cd "$SH" && as_user sbatch --parsable -o "$SH/i.out" -e "$SH/i.err" --corral-policy=testpol "$SH/i.sh" 2>>"$T/sbatch.err")
is "$(wait_done "$ji")" COMPLETED "a contained batch job with an srun step completes"
out=$(cat "$SH/i.out" 2>/dev/null)
[ -n "$out" ] || fail_diag "job stderr: $(cat "$SH/i.err" 2>/dev/null)"
printf '%s\n' "$out" | sed 's/^/# job: /'
for w in batch srun; do
    st=$(printf '%s\n' "$out" | grep "^$w " | cut -d' ' -f2- | tr -s '\t ' ' ')
    like "$st" "Seccomp: 2" "$w: Seccomp: 2 (a filter)"
    like "$st" "NoNewPrivs: 1" "$w: NoNewPrivs: 1"
    n=$(printf '%s\n' "$st" | grep -cE '^Cap(Inh|Prm|Eff|Bnd|Amb): 0000000000000000$')
    is "$n" 5 "$w: CapInh, CapPrm, CapEff, CapBnd and CapAmb are all 0"
done
like "$out" "pwd=$SH" "the job runs in the directory it was submitted from"
like "$out" "hostname=corral-job" "the job has the policy's hostname"
like "$out" "tmp-write=ok" "the job wrote a file in its /tmp"
like "$out" "tmp-entry=corraltest-spank-mark-$ji" "the job sees it there"
[ ! -e "/tmp/corraltest-spank-mark-$ji" ]
ok $? "the file is not in the host's /tmp: the job's /tmp is private"
like "$out" "hidden=denied" "the policy's hidden directory cannot be read in the job"
unlike "$out" "corraltest-secret" "the hidden file's content never shows"
like "$(grep "^dev=" <<<"$out")" "^dev=fd full (log )?mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \$" \
    "the job's /dev has the basic nodes and nothing else of the host's (private_dev)"
like "$out" "unshare=errno EXDEV" "a denied syscall fails with the policy's errno (EXDEV) in the batch step"
like "$out" "srun-unshare=errno EXDEV" "and in the srun step"
# the policy's nofile (65536, default's): granted, or the task gets
# slurmstepd's own lower hard limit and slurmd's log says so, never silently
nofile=$(printf '%s\n' "$out" | sed -n 's/^nofile=//p')
if [ "$nofile" = 65536 ]; then
    ! grep -q "spank_corral: job $ji batch step: task 0: warning: rlimit nofile" "$LOG"
    ok $? "the policy's nofile 65536 was granted, and no warning was logged"
else
    grep -q "spank_corral: job $ji batch step: task 0: warning: rlimit nofile: the policy's 65536 is above what this node lets corral grant (its own hard limit, $nofile, " "$LOG"
    ok $? "nofile 65536 could not be granted (the task got ${nofile:-?}): slurmd's log says so"
fi
grep -q "spank_corral: job $ji step 0: task 0: locked down under policy 'testpol'" "$LOG"
ok $? "the srun step was locked down under the job's policy (slurmd.log)"

# (j) strict's allowlist: set_mempolicy (@numa) is allowed by default, not by strict
jd=$(sub j-default --wrap "$T/bin/try-syscall set_mempolicy")
js=$(sub j-strict --corral-policy=strict --wrap "$T/bin/try-syscall set_mempolicy; srun -n1 $T/bin/try-syscall set_mempolicy")
wait_done "$jd" >/dev/null
wait_done "$js" >/dev/null
is "$(cat "$SH/j-default.out" 2>/dev/null)" "ok" "under default, set_mempolicy works"
is "$(cat "$SH/j-strict.out" 2>/dev/null | tr '\n' ' ')" "errno EPERM errno EPERM " \
    "under --corral-policy=strict it fails with EPERM, in the batch step and its srun step"

# (k) the two tasks of a step share its namespaces
jk=$(sub k --ntasks=2 --wrap "srun -n2 sh -c 'echo \"\$(readlink /proc/self/ns/mnt) \$(stat -c %d /tmp)\"'")
is "$(wait_done "$jk")" COMPLETED "a job with a two-task srun step completes"
lines=$(sort "$SH/k.out" 2>/dev/null)
is "$(printf '%s\n' "$lines" | grep -c .)" 2 "both tasks report"
is "$(printf '%s\n' "$lines" | sort -u | grep -c .)" 1 "both tasks are in the same mount namespace, with the same /tmp"
host="$(readlink /proc/self/ns/mnt) $(stat -c %d /tmp)"
isnt "$(printf '%s\n' "$lines" | head -1)" "$host" "and neither is the host's"

# (k2) one set of namespaces per job (share=job, the default): the batch
# script and its srun step share /tmp; another job running at the same
# time does not see it; the job's epilog removes the published set
cat >"$SH/k2.sh" <<EOF
#!/bin/sh
echo mark-\$SLURM_JOB_ID >/tmp/corraltest-k2-mark
echo "batch \$(readlink /proc/self/ns/mnt) \$(readlink /proc/self/ns/ipc)"
srun -n1 sh -c 'echo "step \$(readlink /proc/self/ns/mnt) \$(readlink /proc/self/ns/ipc)"; echo "seen=\$(cat /tmp/corraltest-k2-mark)"'
while [ ! -e $SH/k2-go ]; do sleep 0.1; done
EOF
chmod 0755 "$SH/k2.sh"
jk2=$(sub k2 "$SH/k2.sh")
for _ in $(seq 600); do grep -q '^seen=' "$SH/k2.out" 2>/dev/null && break; sleep 0.1; done
[ -d "$T/ns/$jk2" ] && [ -s "$T/ns/$jk2/policy" ]
ok $? "the running job's namespaces are published in ns_dir ($T/ns/$jk2)"
# another job at the same time: its own /tmp
jk3=$(sub k3 --wrap "ls /tmp; readlink /proc/self/ns/mnt")
is "$(wait_done "$jk3")" COMPLETED "another job runs beside it"
touch "$SH/k2-go"
is "$(wait_done "$jk2")" COMPLETED "the job with the shared namespaces completes"
printf '%s\n' "$(cat "$SH/k2.out" 2>/dev/null)" | sed 's/^/# k2: /'
b=$(sed -n 's/^batch //p' "$SH/k2.out" 2>/dev/null)
st=$(sed -n 's/^step //p' "$SH/k2.out" 2>/dev/null)
[ -n "$b" ] && [ "$b" = "$st" ]
ok $? "the batch script and its srun step are in the same mount and IPC namespaces"
like "$(cat "$SH/k2.out" 2>/dev/null)" "seen=mark-$jk2" "the srun step sees the file the batch script wrote in /tmp"
unlike "$(cat "$SH/k3.out" 2>/dev/null)" "corraltest-k2-mark" "the other job's /tmp does not have it"
isnt "$(tail -1 "$SH/k3.out" 2>/dev/null)" "${b%% *}" "and the other job has a mount namespace of its own"
grep -q "spank_corral: job $jk2 batch step: the job's namespaces made by this step" "$LOG" &&
    grep -q "spank_corral: job $jk2 step 0: joins the job's namespaces made by an earlier step" "$LOG"
ok $? "slurmd's log says the batch step made them and step 0 joined them"
for _ in $(seq 300); do [ ! -e "$T/ns/$jk2" ] && break; sleep 0.1; done
[ ! -e "$T/ns/$jk2" ] && [ ! -e "$T/ns/$jk2.lock" ] && ! grep -q " $T/ns/$jk2/" /proc/self/mountinfo
ok $? "the job's epilog unmounted and removed its published namespaces"

# (l) scancel of a running contained job
touch "$T/ep-on"
jl=$(sub l --wrap "echo started; sleep 600")
for _ in $(seq 600); do
    [ "$(job_state "$jl")" = RUNNING ] && grep -q started "$SH/l.out" 2>/dev/null && break
    sleep 0.1
done
is "$(job_state "$jl")" RUNNING "a contained job runs"
scancel "$jl"
is "$(wait_done "$jl")" CANCELLED "scancel cancels it"
for _ in $(seq 300); do
    [ -z "$(ps -u $UID1 -o pid= 2>/dev/null)" ] && break
    sleep 0.1
done
is "$(ps -u $UID1 -o pid=,args= 2>/dev/null)" "" "no process of the job's user is left"
for _ in $(seq 600); do grep -q '"clean"' "$T/ep/$jl.json" 2>/dev/null && break; sleep 0.1; done
ep=$(tr -d ' \n' <"$T/ep/$jl.json" 2>/dev/null)
like "$ep" '"clean":true' "corral-epilogue (the Epilog) then finds the node clean after the cancelled job"
like "$ep" '"killed":0[,}]' "and kills nothing"
[ -n "$ep" ] || fail_diag "no $T/ep/$jl.json; epilogue log: $(tail -5 "$T/epilogue.log" 2>/dev/null)"
rm -f "$T/ep-on"

# (m) the escape programs (tests/escape/) as a Slurm job under the default
# policy: privileged syscalls, a setuid-root binary, the host's SysV IPC, an
# abstract unix socket and a process of the same user outside the job.
# What Slurm itself answers for is not tried here: leaving a process behind
# (its proctrack) and the job's cgroup (its task/cgroup).
E=$CORRAL_BUILD/tests/escape
install -m 0755 "$E/escape-syscall" "$E/escape-ipc" "$E/escape-landlock" "$T/bin/"
install -o root -g root -m 4755 "$E/escape-suid" "$T/bin/escape-suid"
escapes="mount umount unshare-user unshare-mnt unshare-net unshare-pid clone-newuser clone-newns setns-mnt setns-pid
setns-user setns-net keyctl add_key bpf perf userfaultfd io_uring init_module finit_module ptrace-child ptrace-init
chroot pivot_root reboot swapon sethostname"
# the host side: SysV IPC objects, a listener on an abstract socket (root),
# a process of the job's user outside any job
key=$(printf '%x' $((0x5c000000 + $$ % 65536)))
"$T/bin/escape-ipc" create "$key" >"$T/ipc.out" 2>&1
_cleanup_add "ipcrm -M 0x$key; ipcrm -Q 0x$key; ipcrm -S 0x$key"
sock=corraltest-spank-$$
"$T/bin/escape-landlock" listen "$sock" >"$T/listen.out" 2>&1 &
lpid=$!
_cleanup_add "kill $lpid 2>/dev/null"
as_user sleep 600 &
upid=$!
_cleanup_add "kill $upid 2>/dev/null"
for _ in $(seq 100); do grep -q ready "$T/listen.out" 2>/dev/null && break; sleep 0.05; done
# probes on the host, outside any job: each way works there
probe=$(as_user "$T/bin/escape-suid" 2>&1)
like "$probe" "euid=0" "outside a job the setuid-root binary gives euid 0"
like "$(as_user "$T/bin/escape-ipc" attach "$key" 2>&1)" "ESCAPED" "outside a job the user reaches the host's SysV IPC objects"
like "$(as_user "$T/bin/escape-landlock" connect "$sock" 2>&1)" "escaped" "outside a job the user connects to @$sock"
cat >"$SH/m.sh" <<EOF
#!/bin/sh
for s in $(echo $escapes); do
    out=\$($T/bin/escape-syscall \$s 2>&1); echo "syscall \$s rc=\$? \$out"
done
echo "suid \$($T/bin/escape-suid 2>&1)"
echo "ipc \$($T/bin/escape-ipc attach $key 2>&1)"
echo "socket \$($T/bin/escape-landlock connect $sock 2>&1)"
echo "signal \$($T/bin/escape-landlock signal $upid 2>&1)"
EOF
chmod 0755 "$SH/m.sh"
jm=$(sub m "$SH/m.sh")
is "$(wait_done "$jm")" COMPLETED "a job running the escape programs completes"
out=$(cat "$SH/m.out" 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/# job: /'
n=$(printf '%s\n' "$out" | grep -cE '^syscall [a-z0-9_-]+ rc=(0 contained|159)')
is "$n" "$(echo $escapes | wc -w)" "every privileged syscall is contained in the job (failed, or SIGSYS)"
unlike "$out" "ESCAPED|escaped" "no escape program got out"
like "$out" "suid ruid=$UID1 euid=$UID1" "the setuid-root binary keeps the job's uid (no_new_privs)"
like "$out" "ipc contained" "the host's SysV IPC objects are out of reach (IPC namespace)"
like "$out" "socket contained" "the host's abstract unix socket is out of reach (Landlock scope)"
like "$out" "signal contained" "a process of the same user outside the job cannot be signalled (Landlock scope)"
kill -0 "$upid" 2>/dev/null
ok $? "and it is still alive"

# (n) the step's set-up fails on the node (a private_dirs entry that is a
# file): the batch step's task fails before exec, with the cause in the
# job's stderr, and the node is not drained (nothing failed before the tasks)
cp "$P/testpol.ini" "$T/testpol.ini.good"
: >"$T/afile"
cat >"$P/testpol.ini" <<EOF
[policy]
inherit = default
[filesystem]
private_dirs = $T/afile
EOF
jn=$(sub n --corral-policy=testpol --wrap "touch $SH/n-ran")
is "$(wait_done "$jn")" FAILED "a job whose namespaces cannot be set up fails"
[ ! -e "$SH/n-ran" ]
ok $? "its script never ran"
grep -q "cannot set up the step's namespaces (mounts): cannot mount a private $T/afile" "$SH/n.err" 2>/dev/null
r=$?
ok $r "the cause is in the job's stderr"
[ $r -eq 0 ] || fail_diag "job stderr: $(cat "$SH/n.err" 2>/dev/null)"
sed 's/^/# job stderr: /' "$SH/n.err" 2>/dev/null
like "$(node_state)" "^(idle|mixed|allocated)" "the node is not drained"
cp "$T/testpol.ini.good" "$P/testpol.ini"

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
