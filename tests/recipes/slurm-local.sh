#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm-local.sh — a one-node Slurm 22.05 under a work directory, as root,
# without systemd, for the tests that run real jobs (tests/integration/
# slurm-epilogue.t). Everything lives in WORKDIR: its own munged (private
# socket and key), slurm.conf/cgroup.conf, state, spool, logs and pid files,
# on free ports. Daemons run in their own sessions (setsid) and are stopped
# by the pids recorded at start, never by name.
#
#   slurm-local.sh start WORKDIR     start munged, slurmctld, slurmd; wait for the node to be idle
#   slurm-local.sh stop WORKDIR      cancel every job, stop the daemons, remove Slurm's cgroups
#   slurm-local.sh env WORKDIR       print SLURM_CONF=... (clients need it; `su -` wipes it)
#
# Options (environment, read by start):
#   SLURM_PROCTRACK=linuxproc|cgroup|pgid   ProctrackType (default linuxproc: a
#                         daemonized process survives its job, as on many sites)
#   SLURM_EPILOG=PATH     Epilog= (root-owned, absolute); SLURM_PROLOG=PATH Prolog=
#   SLURM_PLUGSTACK=FILE  copied as the cluster's plugstack.conf (SPANK plugins,
#                         loaded by slurmd at start); default: an empty one
#   SLURM_OVERSUBSCRIBE  the partition's OverSubscribe= (default NO: one job per
#                         CPU; FORCE:4 runs up to 4 jobs on each CPU, for the
#                         throughput bench, tests/bench/corrald.sh)
#   SLURM_START_TIMEOUT   seconds to wait for the node (default 60)
#   SLURMD_DEBUG          SlurmdDebug= (default info; debug, debug2... for more)
#   SLURM_ACCOUNTING=1    job accounting for sacct: a MariaDB server of its own
#                         (datadir, socket and a free TCP port on 127.0.0.1 in
#                         WORKDIR), slurmdbd on it, the cluster registered,
#                         and jobacct_gather/linux sampling every task each
#                         second; default: no accounting (sacct has nothing)
# Needs the Debian packages slurmctld slurmd munge slurm-client, and for
# accounting slurmdbd mariadb-server (scripts/deps.sh installs them all). Facts behind the settings: the
# "Slurm 22.05" section of the machines' ENVIRONMENT notes and the README
# beside this file.
set -uo pipefail

die() { echo "slurm-local: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 start|stop|env WORKDIR"
cmd=$1
W=$2
[ "$(id -u)" = 0 ] || die "needs root (slurmd and munged run as root here)"

free_port() { # a TCP port nobody listens on, between 20000 and 59999
    local p used
    used=$(ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}')
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
    done
    return 1
}

# alive PID: running and not a zombie (PID 1 here reaps slowly)
alive() {
    local st
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# stop_pid NAME: TERM the pid in W/NAME.pid (if it is still the process we
# started: same start time), wait up to 15 s, then KILL
stop_pid() {
    local f=$W/$1.pid pid start now
    [ -s "$f" ] || return 0
    read -r pid start <"$f"
    now=$(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$now" = "$start" ] && alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
        for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$f"
}

# spawn NAME CMD...: CMD in its own session, output to W/log/NAME.out;
# records "pid starttime" in W/NAME.pid
spawn() {
    local name=$1 pid
    shift
    setsid "$@" </dev/null >>"$W/log/$name.out" 2>&1 &
    pid=$!
    for _ in $(seq 50); do [ -r "/proc/$pid/stat" ] && break; sleep 0.02; done
    echo "$pid $(awk '{print $22}' "/proc/$pid/stat")" >"$W/$name.pid"
}

sconf() { env SLURM_CONF="$W/etc/slurm.conf" "$@"; }

node_state() { sconf sinfo -h -n localhost -o %T 2>/dev/null | head -1; }

# start_accounting DBD_PORT: MariaDB (its own datadir, socket and port,
# as root, no password, reachable on 127.0.0.1 only) and slurmdbd on it;
# writes W/etc/slurmdbd.conf (slurmdbd finds it beside $SLURM_CONF)
start_accounting() {
    local dbd_port=$1 db_port p
    for p in mariadbd mariadb-install-db mariadb-admin slurmdbd sacctmgr; do
        command -v "$p" >/dev/null 2>&1 || { echo "slurm-local: missing $p: install slurmdbd mariadb-server (scripts/deps.sh)" >&2; return 1; }
    done
    db_port=$(free_port) || return 1
    while [ "$db_port" = "$dbd_port" ]; do db_port=$(free_port); done
    mkdir -p "$W/mysql/data" && chmod 0700 "$W/mysql" || return 1
    mariadb-install-db --no-defaults --datadir="$W/mysql/data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db >"$W/log/mariadb-install.out" 2>&1 ||
        { tail -20 "$W/log/mariadb-install.out" >&2; return 1; }
    spawn mariadbd mariadbd --no-defaults --datadir="$W/mysql/data" --socket="$W/mysql/mysql.sock" \
        --port="$db_port" --bind-address=127.0.0.1 --user=root --skip-name-resolve \
        --pid-file="$W/mysql/mariadbd.pid" --log-error="$W/log/mariadb.log" \
        --innodb-buffer-pool-size=32M
    for _ in $(seq 300); do
        mariadb-admin --no-defaults --socket="$W/mysql/mysql.sock" -uroot ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    mariadb-admin --no-defaults --socket="$W/mysql/mysql.sock" -uroot ping >/dev/null 2>&1 ||
        { tail -20 "$W/log/mariadb.log" "$W/log/mariadbd.out" >&2; return 1; }
    cat >"$W/etc/slurmdbd.conf" <<EOF
# written by $0 for a one-node test cluster
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$W/log/slurmdbd.pidfile
LogFile=$W/log/slurmdbd.log
DebugLevel=info
EOF
    chmod 0600 "$W/etc/slurmdbd.conf" # slurmdbd refuses a readable one
    spawn slurmdbd env SLURM_CONF="$W/etc/slurm.conf" slurmdbd -D
    for _ in $(seq 300); do
        sconf sacctmgr -n list cluster >/dev/null 2>&1 && break
        sleep 0.1
    done
    sconf sacctmgr -i add cluster corraltest >>"$W/log/sacctmgr.out" 2>&1 ||
        { tail -20 "$W/log/slurmdbd.log" "$W/log/slurmdbd.out" "$W/log/sacctmgr.out" >&2; return 1; }
}

start() {
    local missing=() p
    for p in slurmctld slurmd munged mungekey sinfo scontrol sbatch scancel; do
        command -v "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: install slurmctld slurmd munge slurm-client (scripts/deps.sh)"
    [ -e "$W/slurmctld.pid" ] && die "$W already has a running Slurm: stop it first ($0 stop $W)"
    mkdir -p "$W"/{etc,state,spool,log,munge} || die "cannot create $W"
    # slurmd checks the config path; clients run as the job users: o+x on
    # every directory down to slurm.conf (the caller's too)
    chmod 0755 "$W" "$W/etc" "$W/log" "$W/state" "$W/spool"
    chmod 0700 "$W/munge"

    # munge: private key and socket (Slurm finds it through AuthInfo)
    mungekey -c -k "$W/munge/munge.key" -b 1024 2>/dev/null || die "mungekey failed"
    spawn munged munged -F -S "$W/munge/munge.sock" --key-file="$W/munge/munge.key" \
        --pid-file="$W/munge/munged.pid" --seed-file="$W/munge/munged.seed" \
        --log-file="$W/log/munged.log" --force
    for _ in $(seq 100); do [ -S "$W/munge/munge.sock" ] && break; sleep 0.05; done
    [ -S "$W/munge/munge.sock" ] || { cat "$W/log/munged.out" >&2; die "munged did not start (log above)"; }
    chmod 0755 "$W/munge" # clients (sbatch as a job user) use the socket

    local ctld_port d_port dbd_port=
    ctld_port=$(free_port) || die "no free port"
    d_port=$(free_port) || die "no free port"
    while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
    local acct="AccountingStorageType=accounting_storage/none" gather="JobAcctGatherType=jobacct_gather/none"
    case "${SLURM_ACCOUNTING:-0}" in
        0) ;;
        1)
            dbd_port=$(free_port) || die "no free port"
            while [ "$dbd_port" = "$ctld_port" ] || [ "$dbd_port" = "$d_port" ]; do dbd_port=$(free_port); done
            acct="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
AccountingStoragePass=$W/munge/munge.sock"
            gather="JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1"
            ;;
        *) die "SLURM_ACCOUNTING: 0 or 1, not '$SLURM_ACCOUNTING'" ;;
    esac
    # the node's hardware as slurmd sees it, named localhost (slurmd -N localhost)
    local hw
    hw=$(slurmd -C 2>/dev/null | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
    [ -n "$hw" ] || die "slurmd -C printed no hardware line"
    local proctrack=${SLURM_PROCTRACK:-linuxproc}
    case "$proctrack" in linuxproc | cgroup | pgid) ;; *) die "SLURM_PROCTRACK: linuxproc, cgroup or pgid, not '$proctrack'" ;; esac

    cat >"$W/etc/slurm.conf" <<EOF
# written by $0 for a one-node test cluster
ClusterName=corraltest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool/slurmd.%n
SlurmctldPidFile=$W/log/slurmctld.pidfile
SlurmdPidFile=$W/log/slurmd.%n.pidfile
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=${SLURMD_DEBUG:-info}
ProctrackType=proctrack/$proctrack
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
$gather
$acct
MailProg=/bin/true
InactiveLimit=0
KillWait=5
MinJobAge=600
MaxJobCount=20000
PlugStackConfig=$W/etc/plugstack.conf
${SLURM_PROLOG:+Prolog=$SLURM_PROLOG}
${SLURM_EPILOG:+Epilog=$SLURM_EPILOG}
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=${SLURM_OVERSUBSCRIBE:-NO}
EOF
    if [ -n "${SLURM_PLUGSTACK:-}" ]; then
        cp "$SLURM_PLUGSTACK" "$W/etc/plugstack.conf" || die "cannot copy SLURM_PLUGSTACK=$SLURM_PLUGSTACK"
    else
        : >"$W/etc/plugstack.conf"
    fi
    # proctrack/cgroup: the v1 freezer here (v2 where it is pure); Slurm
    # makes /slurm below the hierarchy's root, removed again by stop
    echo "CgroupPlugin=autodetect" >"$W/etc/cgroup.conf"
    chmod 0644 "$W/etc/"*
    for d in /sys/fs/cgroup/freezer /sys/fs/cgroup; do
        if [ -e "$d/cgroup.procs" ] && [ ! -d "$d/slurm" ]; then echo "$d/slurm" >>"$W/cgroups-made"; fi
    done

    if [ -n "$dbd_port" ]; then
        start_accounting "$dbd_port" || { stop; die "accounting did not start (log above)"; }
    fi
    spawn slurmctld slurmctld -D -i -f "$W/etc/slurm.conf"
    for _ in $(seq 100); do sconf scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
    sconf scontrol ping 2>/dev/null | grep -q 'is UP' || { tail -20 "$W/log/slurmctld.log" "$W/log/slurmctld.out" >&2; stop; die "slurmctld did not come up (log above)"; }
    spawn slurmd slurmd -D -N localhost -f "$W/etc/slurm.conf"
    local t=$((${SLURM_START_TIMEOUT:-60} * 10)) st=
    for _ in $(seq "$t"); do
        st=$(node_state)
        [ "$st" = idle ] && break
        sleep 0.1
    done
    if [ "$st" != idle ]; then
        tail -20 "$W/log/slurmd.log" "$W/log/slurmd.out" >&2
        stop
        die "the node is '$st', not idle, after ${SLURM_START_TIMEOUT:-60} s (log above)"
    fi
    echo "SLURM_CONF=$W/etc/slurm.conf"
}

# remove the cgroups Slurm made below a hierarchy root it did not have
# before start (deepest first; a cgroup with processes stays)
rm_cgroups() {
    local top
    [ -s "$W/cgroups-made" ] || return 0
    while read -r top; do
        case "$top" in /sys/fs/cgroup/*/slurm | /sys/fs/cgroup/slurm) ;; *) continue ;; esac
        [ -d "$top" ] && find "$top" -depth -type d -exec rmdir {} + 2>/dev/null
    done <"$W/cgroups-made"
    rm -f "$W/cgroups-made"
}

stop() {
    local ids
    if [ -s "$W/slurmctld.pid" ] && [ -s "$W/slurmd.pid" ]; then
        # slurmd leaves running jobs alive when it exits: cancel them first
        # and wait (Epilogs included) until no job is left running
        sconf scancel --full --quiet --partition=test 2>/dev/null
        for _ in $(seq 300); do
            ids=$(sconf squeue -h -t RUNNING,COMPLETING,CONFIGURING,PENDING -o %i 2>/dev/null)
            [ -z "$ids" ] && break
            sleep 0.1
        done
    fi
    stop_pid slurmd
    stop_pid slurmctld
    stop_pid slurmdbd
    stop_pid mariadbd
    stop_pid munged
    rm_cgroups
    return 0
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    env) echo "SLURM_CONF=$W/etc/slurm.conf" ;;
    *) die "usage: $0 start|stop|env WORKDIR" ;;
esac
