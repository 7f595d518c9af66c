#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sge-epilogue.t — corral-epilogue as the queue epilog of a real one-node
# Grid Engine 8.1.9 (tests/recipes/sge-local.sh: private SGE_ROOT, nothing of
# the system changed), with real jobs of test users:
#   (a) a job's daemon (setsid nohup: Grid Engine leaves it running) is gone
#       after the epilog;
#   (e) two jobs of one user: when one ends, the other runs on, with its
#       own child (below its sge_shepherd) and its own daemon (reparented
#       out of it: spared by the JOB_ID in its environment while that job's
#       root sge_shepherd runs);
#   (f) an epilog that cannot clean the node (exit 1) puts the queue
#       instance in error state (E; qstat -explain E names the job, qstat -j
#       gives the epilog's exit status) and
#       Grid Engine requeues the job; qmod -c brings the queue back;
#   (d) SGE_EPILOGUE_JOBS (default 20) trivial jobs: none stuck, no root
#       process killed.
# The epilog is `root@WRAPPER $job_owner $job_id`, the wrapper runs
# corral-epilogue --sge --user OWNER --job ID (docs/epilogue-install.md).
# Safety: the wrapper pins corral-epilogue to --uid-range 61920-61939 (this
# file's test users) and --root to the test's own tree; min_uid 61920.
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"

UID_MIN=61920
UID_MAX=61939
U1=corraltestsg1
U2=corraltestsg2
NJOBS=${SGE_EPILOGUE_JOBS:-20}
RECIPE=$CORRAL_RECIPES/sge-local.sh
EPILOGUE=$CORRAL_BUILD/corral-epilogue

require_root
for p in /usr/sbin/sge_qmaster /usr/sbin/sge_execd /usr/bin/qsub /usr/bin/qconf; do
    [ -x "$p" ] ||
        plan_skip_unless_must sge "$p not installed (apt-get install gridengine-master gridengine-exec gridengine-client, or scripts/deps.sh)"
done
[ -x "$RECIPE" ] || plan_skip_unless_must sge "no $RECIPE"
[ -x "$EPILOGUE" ] || plan_skip "corral-epilogue not built"

plan 28

make_tmpdir
T=$TEST_TMP
SH=$T/shared
mkdir -p "$SH" "$T/ep" "$T/policies" "$T/root/etc" "$T/root/var/spool/cron/crontabs" \
    "$T/root/var/spool/cron/atjobs" "$T/root/var/lib/systemd/linger" "$T/root/var/lib/corral"
chmod 1777 "$SH"
chmod 0755 "$T/policies" "$T/ep"
cat >"$T/policies/test.ini" <<EOF
[epilogue]
min_uid = $UID_MIN
max_uid = $UID_MAX
grace = 2s
deadline = 20s
quarantine_dir = /var/lib/corral/quarantine
EOF
chmod 0644 "$T/policies/test.ini"
cat >"$T/epilog.sh" <<EOF
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Grid Engine's queue epilog: root@$T/epilog.sh \$job_owner \$job_id
$EPILOGUE --policy-dir $T/policies --policy test --root $T/root \\
    --uid-range $UID_MIN-$UID_MAX --sge --user "\$1" --job "\$2" --json --log-file $T/epilogue.log >$T/ep/\$2.json 2>&1
EOF
chmod 0755 "$T/epilog.sh"

kill_range() { # every process of uids UID_MIN-UID_MAX, by pid (zombies are dead)
    local pids
    for _ in $(seq 50); do
        pids=$(ps -e -o pid=,ruid=,stat= | awk -v a=$UID_MIN -v b=$UID_MAX '$2 >= a && $2 <= b && $3 !~ /^Z/ {print $1}')
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
        sleep 0.1
    done
}
make_test_user $U1 61920 || { echo "Bail out! cannot create $U1"; exit 1; }
make_test_user $U2 61921 || { echo "Bail out! cannot create $U2"; exit 1; }
_cleanup_add kill_range

alive() { # alive PID: running, not a zombie (PID 1 here reaps slowly)
    local st
    [ -n "$1" ] || return 1
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

W=$T/sge
_cleanup_add "'$RECIPE' stop '$W'"
t0=$(date +%s)
# ENABLE_ADDGRP_KILL=false: Grid Engine then leaves a job's daemons alone,
# as Slurm's linuxproc does (8.1.9 kills every process carrying the job's
# additional group id by default, before the epilog)
if ! SGE_EXECD_PARAMS=ENABLE_ADDGRP_KILL=false SGE_EPILOG="root@$T/epilog.sh \$job_owner \$job_id" "$RECIPE" start "$W" >"$T/start.log" 2>&1; then
    sed 's/^/# /' "$T/start.log"
    if must_run sge; then ok 1 "sge must run here (CORRAL_MUST_RUN) but the one-node Grid Engine did not start"; else
        skip "the one-node Grid Engine did not start"; fi
    exit 1
fi
set -a
# shellcheck disable=SC1091
. "$W/env"
set +a
ok 0 "a one-node Grid Engine with corral-epilogue as the queue epilog started ($(($(date +%s) - t0)) s)"

sub() { # sub USER SCRIPT-TEXT [QSUB-ARGS...]: submit as USER, print the job id
    local u=$1 text=$2 f
    shift 2
    f=$(mktemp "$SH/job.XXXXXX")
    printf '#!/bin/sh\n%s\n' "$text" >"$f"
    chmod 0755 "$f"
    setpriv --reuid="$u" --regid="$u" --clear-groups env SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL" \
        SGE_QMASTER_PORT="$SGE_QMASTER_PORT" SGE_EXECD_PORT="$SGE_EXECD_PORT" \
        qsub -terse -o /dev/null -e /dev/null -wd "$SH" -S /bin/sh "$@" "$f" 2>>"$T/qsub.err"
}
in_queue() { qstat -u '*' 2>/dev/null | awk -v j="$1" '$1 == j {print $5}'; } # the job's state letters, or nothing
ep_done() { grep -q '"type":"summary"' "$T/ep/$1.json" 2>/dev/null; }
wait_done() { # wait_done JOB [SECONDS]: the job left the queue and its epilog reported
    for _ in $(seq $((${2:-60} * 10))); do
        [ -z "$(in_queue "$1")" ] && ep_done "$1" && return 0
        sleep 0.1
    done
    diag "job $1: state '$(in_queue "$1")', epilog report: $(tail -c 300 "$T/ep/$1.json" 2>/dev/null)"
    return 1
}
ep_exit() { grep -o '"exit":[0-9]*' "$T/ep/$1.json" 2>/dev/null | cut -d: -f2; }
daemon() { echo "(setsid nohup sh -c 'echo \$\$ > $SH/$1.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &)"; }
reasons() { # the process records of job $1's epilog report, as diagnostics
    grep -h '"type":"process"' "$T/ep/$1.json" 2>/dev/null | grep -o '"pid":[0-9]*,"uid":[0-9]*[^}]*"reason":"[^"]*","action":"[a-z-]*","result":"[a-z-]*"' |
        sed -e 's/"cmdline":"[^"]*",//' -e "s/^/# $2 epilog: /"
}

# (a) the orphan
a=$(sub $U1 "$(daemon a-orphan)
while [ ! -s $SH/a-orphan.pid ]; do sleep 0.1; done")
wait_done "$a" 60
ok $? "(a) the job with a daemon ended and its epilog reported"
orphan=$(cat "$SH/a-orphan.pid" 2>/dev/null)
alive "$orphan"
is $? 1 "(a) its daemon (pid $orphan) is gone after the epilog"
grep -q "\"pid\":$orphan,\"uid\":61920,.*\"action\":\"kill\",\"result\":\"killed\"" "$T/ep/$a.json" 2>/dev/null
ok $? "(a) ... killed by corral-epilogue (its JSON report names it)"
is "$(ep_exit "$a")" 0 "(a) the epilog exited 0"
reasons "$a" "(a) job's"

# (e) two jobs of one user: B1 ends while B2 runs with a child and a daemon
b2=$(sub $U2 "sleep 300 & echo \$! > $SH/b2child.pid
$(daemon b2daemon)
while [ ! -s $SH/b2daemon.pid ]; do sleep 0.1; done
echo \$\$ > $SH/b2shell.pid
touch $SH/b2ready
wait")
b1=$(sub $U2 "$(daemon b1daemon)
while [ ! -s $SH/b1daemon.pid ] || [ ! -e $SH/b2ready ]; do sleep 0.1; done")
wait_done "$b1" 90
ok $? "(e) the first job of $U2 ($b1) ended and its epilog reported, while the second ($b2) ran"
alive "$(cat "$SH/b1daemon.pid" 2>/dev/null)"
is $? 1 "(e) the ended job's daemon is gone"
is "$(ep_exit "$b1")" 0 "(e) the first job's epilog exited 0"
reasons "$b1" "(e) first job's"
[[ "$(in_queue "$b2")" =~ ^r$ ]]
ok $? "(e) the second job is still running in Grid Engine's view"
alive "$(cat "$SH/b2shell.pid" 2>/dev/null)"
ok $? "(e) the running job's shell (below its sge_shepherd) is untouched"
alive "$(cat "$SH/b2child.pid" 2>/dev/null)"
ok $? "(e) the running job's child is untouched"
b2daemon=$(cat "$SH/b2daemon.pid" 2>/dev/null)
alive "$b2daemon"
ok $? "(e) the running job's daemon (reparented out of its sge_shepherd) is untouched"
is "$(awk '{print $4}' "/proc/$b2daemon/stat" 2>/dev/null)" 1 "(e) ... and it really left the job's tree (its parent is PID 1)"
grep -q '"type":"process"' "$T/ep/$b1.json" 2>/dev/null &&
    ! grep '"type":"process"' "$T/ep/$b1.json" | grep -q "\"pid\":$b2daemon,"
ok $? "(e) the first job's epilog acted on processes, none of them the second job's daemon"
qdel -f "$b2" >/dev/null 2>&1
wait_done "$b2" 60 || true

# (f) an epilog that cannot clean: a crontab it cannot quarantine
HOST=$(hostname)
q_state() { qstat -f -q all.q 2>/dev/null | awk -v h="all.q@$HOST" '$1 == h {print $6}'; }
echo "* * * * * true" >"$T/root/var/spool/cron/crontabs/$U1"
touch "$T/root/var/lib/corral/quarantine" # a file where the quarantine directory should be
f=$(sub $U1 true)
for _ in $(seq 600); do ep_done "$f" && [[ "$(q_state)" == *E* ]] && break; sleep 0.1; done
is "$(ep_exit "$f")" 1 "(f) corral-epilogue exited 1 (a crontab it could not quarantine)"
like "$(q_state)" 'E' "(f) the failed epilog put the queue instance all.q@$HOST in error state"
like "$(qstat -f -explain E -q all.q 2>/dev/null)" "marked QERROR as result of job $f's failure" "(f) qstat -explain E names the job"
like "$(qstat -j "$f" 2>/dev/null)" 'error reason.*exit_status of epilog = 1' "(f) qstat -j gives the reason: the epilog's exit status"
like "$(in_queue "$f")" 'q' "(f) Grid Engine requeued the job (state '$(in_queue "$f")')"
rm -f "$T/root/var/lib/corral/quarantine"
rm -f "$T/ep/$f.json"
qmod -c "all.q@$HOST" >/dev/null 2>&1
wait_done "$f" 60
ok $? "(f) after qmod -c the queue runs again: the requeued job ran, its epilog (now clean) reported"
is "$(q_state)" "" "(f) the queue instance has no error state"

# (d) many trivial jobs, with root canaries (one with the job user's
# effective uid, as sge_shepherd has sgeadmin's): none may die
setsid sleep 900 </dev/null >/dev/null 2>&1 &
c1=$!
setsid setpriv --euid=$UID_MIN sleep 900 </dev/null >/dev/null 2>&1 &
c2=$!
disown "$c1" "$c2" # no "Killed" notices from bash
_cleanup_add "kill -KILL $c1 $c2"
# submitted held, released at once: an epilog kills every process of the
# job's user outside a running job, a qsub on the node included
ids=()
for ((i = 0; i < NJOBS; i++)); do
    if ((i % 2)); then id=$(sub $U2 true -h); else id=$(sub $U1 true -h); fi
    [ -n "$id" ] && ids+=("$id")
done
is "${#ids[@]}" "$NJOBS" "(d) $NJOBS jobs submitted"
t1=$(date +%s.%N)
qrls "${ids[@]}" >/dev/null
stuck=0
for id in "${ids[@]}"; do wait_done "$id" 120 || stuck=$((stuck + 1)); done
diag "(d) $NJOBS jobs with corral-epilogue as epilog took $(echo "$(date +%s.%N) - $t1" | bc) s"
is "$stuck" 0 "(d) no job stuck (each left the queue, its epilog reported)"
bad=0
for id in "${ids[@]}"; do [ "$(ep_exit "$id")" = 0 ] || bad=$((bad + 1)); done
is "$bad" 0 "(d) every epilog exited 0"
alive "$c1"
ok $? "(d) a root canary process is alive"
alive "$c2"
ok $? "(d) a root canary with a test user's effective uid is alive"
for id in "${ids[@]}"; do grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null |
    grep -E "\"pid\":($c1|$c2)," | sed 's/^/# canary in an epilog report: /'
bad=$(for id in "${ids[@]}"; do grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null |
    grep -c '"comm":"sge_shepherd"')
is "$bad" 0 "(d) no epilog killed an sge_shepherd (root)"
pq=$(awk '{print $1}' "$W/qmaster.pid")
pe=$(awk '{print $1}' "$W/execd.pid")
alive "$pq" && alive "$pe"
ok $? "(d) sge_qmaster and sge_execd are alive"
kill -KILL "$c1" "$c2" 2>/dev/null
diag "total $(($(date +%s) - t0)) s"
done_testing
