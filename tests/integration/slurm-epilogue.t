#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-epilogue.t — corral-epilogue as the Epilog of a real one-node Slurm
# 22.05 (tests/recipes/slurm-local.sh), with real jobs of test users:
#   (a) a job's daemon (setsid nohup, alive after the job under
#       proctrack/linuxproc) is gone after the Epilog;
#   (b) two jobs of one user: when one ends, the other runs on, with its
#       own children and its own daemon (under linuxproc reparented out of
#       its slurmstepd: spared by the SLURM_JOB_ID in its environment while
#       that job's root slurmstepd runs; under cgroup by its job cgroup);
#   (c) an Epilog that cannot clean the node (exit 1) drains it, with the
#       reason in sinfo -R;
#   (d) SLURM_EPILOGUE_JOBS (default 200) trivial jobs: none stuck, the node
#       not drained, no root process killed;
#   (e) with the real cron and atd running: a job's crontab and at job are
#       quarantined by its Epilog and never run, while a control user's do;
#   (b) and (d) again under proctrack/cgroup.
# Safety: the Epilog wrapper pins corral-epilogue to --uid-range 61900-61919
# (this file's test users) and --root to the test's own tree (spools, allow
# files); min_uid of the test policy is 61900. Only during (e) does it look
# at the real cron and at spools (tests/cronat-lib.sh: the test users'
# entries are removed at exit, the allow files restored).
# shellcheck shell=bash
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../cronat-lib.sh
. "$CORRAL_SRC/tests/cronat-lib.sh"

UID_MIN=61900
UID_MAX=61919
U1=corraltestsl1
U2=corraltestsl2
NJOBS=${SLURM_EPILOGUE_JOBS:-200}
RECIPE=$CORRAL_RECIPES/slurm-local.sh
EPILOGUE=$CORRAL_BUILD/corral-epilogue

require_root
for p in slurmctld slurmd munged sbatch scontrol sinfo; do
    command -v "$p" >/dev/null 2>&1 ||
        plan_skip_unless_must slurm "$p not installed (apt-get install slurmctld slurmd munge slurm-client, or scripts/deps.sh)"
done
[ -x "$RECIPE" ] || plan_skip_unless_must slurm "no $RECIPE"
[ -x "$EPILOGUE" ] || plan_skip "corral-epilogue not built"

plan 50

make_tmpdir
T=$TEST_TMP
SH=$T/shared
mkdir -p "$SH" "$T/ep" "$T/policies" "$T/root/etc" "$T/root/var/spool/cron/crontabs" \
    "$T/root/var/spool/cron/atjobs" "$T/root/var/lib/systemd/linger" "$T/root/var/lib/corral"
chmod 1777 "$SH"
chmod 0755 "$T/policies"
cat >"$T/policies/test.ini" <<EOF
[epilogue]
min_uid = $UID_MIN
max_uid = $UID_MAX
grace = 2s
deadline = 20s
quarantine_dir = /var/lib/corral/quarantine
EOF
chmod 0644 "$T/policies/test.ini"
# slurmd runs the Epilog as root with no argv, PATH or HOME: absolute paths;
# each job's JSON report (with its exit status) lands in ep/JOBID.json
# (the real cron and at spools only while T/real-spools exists: part (e))
cat >"$T/epilog.sh" <<EOF
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
spools=
[ -e $T/real-spools ] && spools="--cron-spool $CRON_SPOOL --at-spool $AT_SPOOL"
$EPILOGUE --policy-dir $T/policies --policy test --root $T/root \\
    --uid-range $UID_MIN-$UID_MAX --slurm --json --log-file $T/epilogue.log \$spools >$T/ep/\$SLURM_JOB_ID.json 2>&1
EOF
chmod 0755 "$T/epilog.sh"

kill_range() { # every process of uids UID_MIN-UID_MAX, by pid (zombies are dead)
    local pids
    for _ in $(seq 50); do
        pids=$(ps -e -o pid=,uid=,stat= | awk -v a=$UID_MIN -v b=$UID_MAX '$2 >= a && $2 <= b && $3 !~ /^Z/ {print $1}')
        [ -z "$pids" ] && return 0
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
        sleep 0.1
    done
}
make_test_user $U1 61900 || { echo "Bail out! cannot create $U1"; exit 1; }
make_test_user $U2 61901 || { echo "Bail out! cannot create $U2"; exit 1; }
_cleanup_add kill_range

alive() { # alive PID: running, not a zombie (PID 1 here reaps slowly)
    local st
    [ -n "$1" ] || return 1
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

W=
cluster_start() { # cluster_start linuxproc|cgroup
    W=$T/slurm-$1
    _cleanup_add "'$RECIPE' stop '$W'"
    SLURM_PROCTRACK=$1 SLURM_EPILOG=$T/epilog.sh "$RECIPE" start "$W" >"$T/start-$1.log" 2>&1
}
cluster_stop() { "$RECIPE" stop "$W" >/dev/null 2>&1; }
export SLURM_CONF
sub() { # sub USER SBATCH-ARGS...: submit as USER, print the job id
    local u=$1
    shift
    setpriv --reuid="$u" --regid="$u" --clear-groups env SLURM_CONF="$SLURM_CONF" \
        sbatch --parsable -o /dev/null -e /dev/null --chdir="$SH" "$@" 2>>"$T/sbatch.err"
}
job_state() { scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
wait_state() { # wait_state JOB STATE [SECONDS]
    local s
    for _ in $(seq $((${3:-60} * 10))); do
        s=$(job_state "$1")
        [ "$s" = "$2" ] && return 0
        sleep 0.1
    done
    diag "job $1 is '$s', not $2"
    return 1
}
wait_file() { for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
node_state() { sinfo -h -n localhost -o %T 2>/dev/null | head -1; }
ep_exit() { grep -o '"exit":[0-9]*' "$T/ep/$1.json" 2>/dev/null | cut -d: -f2; }
# daemon NAME: job-script text that starts a daemon (double fork: its parent
# exits, so it leaves the job's process tree) writing its pid to SH/NAME.pid
daemon() { echo "(setsid nohup sh -c 'echo \$\$ > $SH/$1.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &);"; }

# (b) two jobs of one user: B1 ends while B2 runs with a child and a daemon
two_jobs() { # two_jobs TAG FILE-PREFIX
    local tag=$1 f=$2 b1 b2
    b2=$(sub $U2 --wrap "sleep 300 & echo \$! > $SH/$f-b2child.pid; $(daemon "$f-b2daemon") \
        while [ ! -s $SH/$f-b2daemon.pid ]; do sleep 0.1; done; touch $SH/$f-b2ready; wait")
    b1=$(sub $U2 --wrap "$(daemon "$f-b1daemon") while [ ! -s $SH/$f-b1daemon.pid ] || [ ! -e $SH/$f-b2ready ]; do sleep 0.1; done")
    wait_state "$b1" COMPLETED 90
    ok $? "$tag: the first job of $U2 ($b1) completed while the second ($b2) ran"
    is "$(job_state "$b2")" RUNNING "$tag: the second job still runs after the first one's Epilog"
    is "$(ep_exit "$b1")" 0 "$tag: the first job's Epilog exited 0"
    alive "$(cat "$SH/$f-b2child.pid" 2>/dev/null)"
    ok $? "$tag: the running job's own child (below its slurmstepd) is untouched"
    alive "$(cat "$SH/$f-b1daemon.pid" 2>/dev/null)"
    is $? 1 "$tag: the ended job's daemon is gone"
    local d2
    d2=$(cat "$SH/$f-b2daemon.pid" 2>/dev/null)
    alive "$d2"
    B2DAEMON=$?
    # the daemon double-forked out of the job's tree: no ancestor tells
    is "$(awk '{print $4}' "/proc/$d2/stat" 2>/dev/null)" 1 "$tag: the running job's daemon left the job's tree (its parent is PID 1)"
    grep -h '"type":"process"' "$T/ep/$b1.json" 2>/dev/null | grep -o '"pid":[0-9]*,"uid":[0-9]*[^}]*"reason":"[^"]*"' |
        sed 's/^/# '"$tag"' first job'"'"'s Epilog: /'
    scancel "$b2"
    wait_state "$b2" CANCELLED 60 || true
}

# (d) NJOBS trivial jobs: none stuck, node not drained, no root process killed
many_jobs() { # many_jobs TAG
    local tag=$1 ids=() c1 c2 t0 t1 i id stuck bad
    # root canaries: a plain one, and one with the job user's effective uid
    # (what slurmstepd does at moments): the epilogue goes by the real uid
    setsid sleep 900 </dev/null >/dev/null 2>&1 &
    c1=$!
    setsid setpriv --euid=61900 sleep 900 </dev/null >/dev/null 2>&1 &
    c2=$!
    disown "$c1" "$c2" # no "Killed" notices from bash
    _cleanup_add "kill -KILL $c1 $c2"
    # submitted held, then released at once: an Epilog kills every process
    # of the job's user outside a running job, a user's sbatch on the node
    # included (users submit from login nodes, not from the compute node)
    for ((i = 0; i < NJOBS; i++)); do
        if ((i % 2)); then id=$(sub $U2 -H --wrap true); else id=$(sub $U1 -H --wrap true); fi
        [ -n "$id" ] && ids+=("$id")
    done
    is "${#ids[@]}" "$NJOBS" "$tag: $NJOBS jobs submitted"
    t0=$(date +%s.%N)
    scontrol release "$(IFS=,; echo "${ids[*]}")"
    # wait until every job is done, or none progressed for 120 s
    local left last=-1 still=0
    while :; do
        left=$(scontrol -o show job 2>/dev/null | grep -cE 'JobState=(PENDING|RUNNING|COMPLETING|CONFIGURING)')
        [ "$left" -eq 0 ] && break
        if [ "$left" = "$last" ]; then still=$((still + 1)); else still=0; last=$left; fi
        [ $still -ge 240 ] && break
        sleep 0.5
    done
    t1=$(date +%s.%N)
    diag "$tag: $NJOBS jobs with corral-epilogue as Epilog took $(echo "$t1 - $t0" | bc) s (1000 would take about $(echo "($t1 - $t0) * 1000 / $NJOBS" | bc) s)"
    stuck=0
    for id in "${ids[@]}"; do
        s=$(job_state "$id")
        [ "$s" = COMPLETED ] || { stuck=$((stuck + 1)); [ $stuck -le 5 ] && diag "job $id: $s"; }
    done
    is "$stuck" 0 "$tag: no job stuck (every one COMPLETED)"
    for _ in $(seq 100); do [ "$(node_state)" = idle ] && break; sleep 0.1; done
    like "$(node_state)" '^(idle|mixed|allocated|planned|completing)$' "$tag: the node is not drained nor down"
    bad=0
    for id in "${ids[@]}"; do [ "$(ep_exit "$id")" = 0 ] || bad=$((bad + 1)); done
    is "$bad" 0 "$tag: every Epilog ran and exited 0"
    # every process any Epilog killed or tried to kill was a test user's
    bad=$(for id in "${ids[@]}"; do grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null |
        grep -o '"uid":[0-9]*' | cut -d: -f2 | awk -v a=$UID_MIN -v b=$UID_MAX '$1 < a || $1 > b' | wc -l)
    is "$bad" 0 "$tag: no Epilog touched a process outside the test uids (as it read them)"
    # slurmstepd is root, but switches its effective uid to the job's user
    # at moments: killing it loses a running job
    bad=$(for id in "${ids[@]}"; do grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null |
        grep -c '"comm":"slurmstepd"')
    is "$bad" 0 "$tag: no Epilog killed a slurmstepd (root, with the job user's effective uid at moments)"
    alive "$c1"
    ok $? "$tag: a root canary process is alive"
    alive "$c2"
    ok $? "$tag: a root canary with the job user's effective uid (as slurmstepd at moments) is alive"
    for id in "${ids[@]}"; do grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null |
        grep -E "\"pid\":($c1|$c2)," | sed 's/^/# canary in an Epilog report: /'
    diag "$tag: processes the Epilogs acted on, by comm and result: $(for id in "${ids[@]}"; do
        grep -h '"type":"process"' "$T/ep/$id.json"; done 2>/dev/null | grep -o '"comm":"[^"]*"\|"result":"[^"]*"' |
        paste -d' ' - - | sort | uniq -c | tr '\n' ';')"
    alive "$(awk '{print $1}' "$W/slurmd.pid")" && alive "$(awk '{print $1}' "$W/slurmctld.pid")" &&
        alive "$(awk '{print $1}' "$W/munged.pid")"
    ok $? "$tag: slurmd, slurmctld and munged are alive"
    kill -KILL "$c1" "$c2" 2>/dev/null
}

# ---------------------------------------------------------------- linuxproc
t_start=$(date +%s)
cluster_start linuxproc
rc=$?
if [ $rc -ne 0 ]; then
    sed 's/^/# /' "$T/start-linuxproc.log"
    if must_run slurm; then
        ok 1 "slurm must run here (CORRAL_MUST_RUN) but the one-node cluster did not start"
    else
        skip "the one-node Slurm did not start"
    fi
    exit 1
fi
ok 0 "a one-node Slurm (proctrack/linuxproc) with corral-epilogue as Epilog started"
SLURM_CONF=$W/etc/slurm.conf

# (a) the orphan
a=$(sub $U1 --wrap "$(daemon a-orphan) while [ ! -s $SH/a-orphan.pid ]; do sleep 0.1; done")
wait_state "$a" COMPLETED 60
ok $? "(a) the job with a daemon completed"
orphan=$(cat "$SH/a-orphan.pid" 2>/dev/null)
alive "$orphan"
is $? 1 "(a) its daemon (pid $orphan, reparented out of the job) is gone after the Epilog"
grep -q "\"pid\":$orphan,\"uid\":61900,.*\"action\":\"kill\",\"result\":\"killed\"" "$T/ep/$a.json" 2>/dev/null
ok $? "(a) ... killed by corral-epilogue (its JSON report names it)"
is "$(ep_exit "$a")" 0 "(a) the Epilog exited 0"

# (b) two jobs, linuxproc
two_jobs "(b) linuxproc" bl
is $B2DAEMON 0 "(b) linuxproc: the running job's daemon (reparented out of its slurmstepd) is untouched"

# (c) an Epilog that cannot clean: a crontab it cannot quarantine
echo "* * * * * true" >"$T/root/var/spool/cron/crontabs/$U1"
touch "$T/root/var/lib/corral/quarantine" # a file where the quarantine directory should be
c=$(sub $U1 --wrap true)
for _ in $(seq 600); do [[ "$(node_state)" == drain* ]] && break; sleep 0.1; done
like "$(node_state)" '^drain' "(c) a failed Epilog drained the node"
is "$(ep_exit "$c")" 1 "(c) corral-epilogue exited 1 (a crontab it could not quarantine)"
like "$(sinfo -h -R -o '%E' 2>/dev/null)" 'Epilog error' "(c) sinfo -R gives the reason"
like "$(scontrol show node localhost 2>/dev/null | grep -o 'Reason=.*')" 'Epilog error' "(c) so does scontrol show node"
rm -f "$T/root/var/lib/corral/quarantine"
scontrol update nodename=localhost state=resume
for _ in $(seq 300); do [ "$(node_state)" = idle ] && break; sleep 0.1; done
is "$(node_state)" idle "(c) the node resumes once the cause is fixed"

# (e) a job's crontab and at job, with the real cron and atd running
cron_at_job() {
    local e q=$T/root/var/lib/corral/quarantine/$U2
    cronat_cleanup_users $U1:61900 $U2:61901
    cronat_start_cron || return 1
    # a job through Slurm and its Epilog take seconds, more under load
    # (ASan, CI): the job's crontab must be gone before cron's next minute
    cronat_wait_minute_start 40
    local m0
    m0=$(date +%H:%M)
    cronat_allow_open /etc/cron.allow $U1 $U2
    cronat_allow_open /etc/at.allow $U1 $U2
    # the control: U1's, queued by root outside any job (U1 has no job until (d))
    printf '* * * * * touch %s/e-control-cron\n' "$SH" | crontab -u $U1 -
    (cd /tmp && echo "touch $SH/e-control-at" | runuser -u $U1 -- at now 2>/dev/null)
    touch "$T/real-spools"
    e=$(sub $U2 --wrap "echo '* * * * * touch $SH/e-job-cron' | crontab - && echo 'touch $SH/e-job-at' | at now 2>/dev/null")
    wait_state "$e" COMPLETED 60 && wait_file "$T/ep/$e.json"
    ok $? "(e) a job that installed a crontab and queued an at job completed, its Epilog ran"
    [ "$(date +%H:%M)" = "$m0" ] || diag "(e) the minute changed before the Epilog ended (from $m0, now $(date +%T))"
    rm -f "$T/real-spools"
    cronat_allow_restore /etc/cron.allow
    cronat_allow_restore /etc/at.allow
    is "$(ep_exit "$e")" 0 "(e) its Epilog exited 0"
    [ ! -e "$CRON_SPOOL/$U2" ] && [ -z "$(at_files_of 61901)" ] && [ -e "$CRON_SPOOL/$U1" ]
    ok $? "(e) the job's crontab and at job left the real spools (the control's are still there)"
    [ -n "$(find "$q" -name 'crontab-*' ! -name '*.json' 2>/dev/null)" ] &&
        [ -n "$(find "$q" -name 'atjob-*' ! -name '*.json' 2>/dev/null)" ]
    ok $? "(e) ... into the quarantine"
    # atd runs what is due when it starts, cron at the next minute
    cronat_start_atd
    for _ in $(seq 100); do [ -e "$SH/e-control-at" ] && break; sleep 0.2; done
    [ -e "$SH/e-control-at" ]
    ok $? "(e) atd ran the control at job"
    for _ in $(seq 150); do [ -e "$SH/e-control-cron" ] && break; sleep 0.5; done
    [ -e "$SH/e-control-cron" ]
    ok $? "(e) cron ran the control crontab"
    sleep 2
    [ ! -e "$SH/e-job-cron" ] && [ ! -e "$SH/e-job-at" ]
    ok $? "(e) neither the job's crontab nor its at job ran"
    crontab -r -u $U1 2>/dev/null
    [ -n "$ATD_PID" ] && kill "$ATD_PID" 2>/dev/null
    [ -n "$CRON_PID" ] && kill "$CRON_PID" 2>/dev/null
    return 0
}
if ! cronat_available; then
    for _ in 1 2 3 4 5 6 7; do skip_or_fail cron "cron and at (and the Debian spools) are not installed"; done
elif cronat_atd_running; then
    for _ in 1 2 3 4 5 6 7; do skip "an atd is already running: the at jobs would run before the Epilog"; done
elif ! cron_at_job; then
    ok 1 "(e) cron started"
    for _ in 1 2 3 4 5 6; do skip "cron did not start"; done
fi

# (d) many jobs, linuxproc
many_jobs "(d) linuxproc"
cluster_stop
t_mid=$(date +%s)
diag "linuxproc part: $((t_mid - t_start)) s"

# ---------------------------------------------------------------- cgroup
if cluster_start cgroup; then
    SLURM_CONF=$W/etc/slurm.conf
    ok 0 "a one-node Slurm with proctrack/cgroup started"
    two_jobs "(b) cgroup" bc
    is $B2DAEMON 0 "(b) cgroup: the running job's daemon (in its job cgroup) is untouched"
    many_jobs "(d) cgroup"
    cluster_stop
else
    sed 's/^/# /' "$T/start-cgroup.log"
    ok 1 "a one-node Slurm with proctrack/cgroup started"
fi
diag "cgroup part: $(($(date +%s) - t_mid)) s"
done_testing
