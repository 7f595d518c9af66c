#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sge-local.sh — a one-node Grid Engine 8.1.9 (Debian's gridengine) under a
# work directory, as root, without systemd, for the tests that run real jobs
# (tests/integration/sge-epilogue.t). Nothing of the system is changed: the
# cluster has its own SGE_ROOT in WORKDIR (symlinks to the packaged bin/,
# lib/, utilbin/, util/, and its own cell "default": bootstrap, act_qmaster,
# host_aliases), its own Berkeley DB spool, qmaster and execd spools, and
# free ports (SGE_QMASTER_PORT, SGE_EXECD_PORT); the packaged
# /var/lib/gridengine and /var/spool/gridengine are only read. The daemons
# run in the foreground (SGE_ND=1) in their own sessions and are stopped by
# the pids recorded at start, never by name.
#
#   sge-local.sh start WORKDIR   qmaster + execd, one queue all.q (2 slots); prints the client environment
#   sge-local.sh stop WORKDIR    delete every job, stop the daemons
#   sge-local.sh env WORKDIR     the client environment (SGE_ROOT SGE_CELL SGE_QMASTER_PORT SGE_EXECD_PORT)
#
# Options (environment, read by start):
#   SGE_EPILOG="root@/abs/path ARGS"   the queue's epilog (ARGS may use $job_owner $job_id $host ...)
#   SGE_SLOTS                          slots of all.q (default: the number of CPUs)
#   SGE_EXECD_PARAMS                   execd_params (default none; e.g. ENABLE_ADDGRP_KILL=false)
#   SGE_START_TIMEOUT                  seconds to wait for the queue (default 60)
# The scheduler runs every second and on every submit and job end
# (schedule_interval 0:0:1, flush_submit_sec/flush_finish_sec 1), and load
# thresholds are off (a loaded build machine would keep the queue in alarm).
# Needs gridengine-master gridengine-exec gridengine-client (scripts/deps.sh).
set -uo pipefail

die() { echo "sge-local: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 start|stop|env WORKDIR"
cmd=$1
W=$2
[ "$(id -u)" = 0 ] || die "needs root (sge_execd runs jobs as their users)"
PKG_ROOT=/var/lib/gridengine
SBIN=/usr/sbin

free_port() { # a TCP port nobody listens on, between 20000 and 59999
    local p used
    used=$(ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}')
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
    done
    return 1
}

alive() { # alive PID: running and not a zombie (PID 1 here reaps slowly)
    local st
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

stop_pid() { # stop_pid NAME: the pid in W/NAME.pid if it is still ours (same start time)
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

spawn() { # spawn NAME CMD...: CMD in its own session; records "pid starttime"
    local name=$1 pid
    shift
    setsid env SGE_ND=1 "$@" </dev/null >>"$W/log/$name.out" 2>&1 &
    pid=$!
    for _ in $(seq 50); do [ -r "/proc/$pid/stat" ] && break; sleep 0.02; done
    echo "$pid $(awk '{print $22}' "/proc/$pid/stat")" >"$W/$name.pid"
}

load_env() {
    [ -s "$W/env" ] || return 1
    set -a
    # shellcheck disable=SC1091
    . "$W/env"
    set +a
}

start() {
    local p missing=()
    for p in "$SBIN/sge_qmaster" "$SBIN/sge_execd" /usr/lib/gridengine/spoolinit /usr/lib/gridengine/spooldefaults; do
        [ -x "$p" ] || missing+=("$p")
    done
    for p in qconf qsub qstat qdel; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ -d "$PKG_ROOT/bin" ] && [ -d /usr/share/gridengine/util ] || missing+=("$PKG_ROOT/bin")
    [ ${#missing[@]} -eq 0 ] ||
        die "missing ${missing[*]}: install gridengine-master gridengine-exec gridengine-client (scripts/deps.sh)"
    [ -e "$W/qmaster.pid" ] && die "$W already has a running Grid Engine: stop it first ($0 stop $W)"

    local R=$W/root host
    host=$(hostname)
    mkdir -p "$R/default/common" "$W/spooldb" "$W/qmaster/job_scripts" "$W/execd" "$W/log" || die "cannot create $W"
    chmod 0755 "$W" "$R" "$R/default" "$R/default/common" "$W/execd" "$W/log"
    for d in bin lib utilbin; do ln -sfn "$PKG_ROOT/$d" "$R/$d"; done
    ln -sfn /usr/share/gridengine/util "$R/util"
    cat >"$R/default/common/bootstrap" <<EOF
# Version: 6.2
admin_user              none
default_domain          none
ignore_fqdn             false
spooling_method         berkeleydb
spooling_lib            libspoolb
spooling_params         $W/spooldb
binary_path             $SBIN
qmaster_spool_dir       $W/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
EOF
    echo "$host" >"$R/default/common/act_qmaster"
    # "access denied (client IP resolved to host name localhost ...)"
    echo "$host localhost" >"$R/default/common/host_aliases"
    sed -e "s|^execd_spool_dir .*|execd_spool_dir        $W/execd|" \
        -e "s|^mailer .*|mailer                 /bin/true|" \
        -e "s|^load_report_time .*|load_report_time       00:00:05|" \
        -e "s|^min_uid .*|min_uid                0|" -e "s|^min_gid .*|min_gid                0|" \
        -e "s|^execd_params .*|execd_params           ${SGE_EXECD_PARAMS:-none}|" \
        /usr/share/gridengine/default-configuration >"$W/global.conf"

    local qport eport
    qport=$(free_port) || die "no free port"
    eport=$(free_port) || die "no free port"
    while [ "$eport" = "$qport" ]; do eport=$(free_port); done
    cat >"$W/env" <<EOF
SGE_ROOT=$R
SGE_CELL=default
SGE_QMASTER_PORT=$qport
SGE_EXECD_PORT=$eport
EOF
    load_env
    {
        /usr/lib/gridengine/spoolinit berkeleydb libspoolb "$W/spooldb" init &&
            /usr/lib/gridengine/spooldefaults configuration "$W/global.conf" &&
            /usr/lib/gridengine/spooldefaults complexes /usr/share/gridengine/util/resources/centry &&
            /usr/lib/gridengine/spooldefaults usersets /usr/share/gridengine/util/resources/usersets &&
            /usr/lib/gridengine/spooldefaults managers root
    } >"$W/log/init.out" 2>&1 || { cat "$W/log/init.out" >&2; die "initializing the spool failed (output above)"; }

    spawn qmaster "$SBIN/sge_qmaster"
    local up=
    for _ in $(seq 100); do qconf -sh >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
    [ -n "$up" ] || { tail -20 "$W/log/qmaster.out" "$W/qmaster/messages" >&2; stop; die "sge_qmaster did not answer (log above)"; }

    # scheduler: every second, and at once on submit and job end
    qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
        -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' \
        -e 's/^job_load_adjustments .*/job_load_adjustments NONE/' \
        -e 's/^schedd_job_info .*/schedd_job_info false/' >"$W/sched.conf"
    local slots=${SGE_SLOTS:-$(nproc)}
    printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
        "$host" >"$W/exechost.conf"
    cat >"$W/queue.conf" <<EOF
qname all.q
hostlist $host
seq_no 0
load_thresholds NONE
suspend_thresholds NONE
nsuspend 1
suspend_interval 00:05:00
priority 0
min_cpu_interval 00:05:00
processors UNDEFINED
qtype BATCH INTERACTIVE
ckpt_list NONE
pe_list NONE
rerun FALSE
slots $slots
tmpdir /tmp
shell /bin/sh
prolog NONE
epilog ${SGE_EPILOG:-NONE}
shell_start_mode posix_compliant
starter_method NONE
suspend_method NONE
resume_method NONE
terminate_method NONE
notify 00:00:60
owner_list NONE
user_lists NONE
xuser_lists NONE
subordinate_list NONE
complex_values NONE
projects NONE
xprojects NONE
calendar NONE
initial_state default
s_rt INFINITY
h_rt INFINITY
s_cpu INFINITY
h_cpu INFINITY
s_fsize INFINITY
h_fsize INFINITY
s_data INFINITY
h_data INFINITY
s_stack INFINITY
h_stack INFINITY
s_core INFINITY
h_core INFINITY
s_rss INFINITY
h_rss INFINITY
s_vmem INFINITY
h_vmem INFINITY
EOF
    {
        qconf -Msconf "$W/sched.conf" && qconf -Ae "$W/exechost.conf" && qconf -as "$host" &&
            qconf -Aq "$W/queue.conf"
    } >"$W/log/qconf.out" 2>&1 || { cat "$W/log/qconf.out" >&2; stop; die "configuring the cluster failed (output above)"; }

    spawn execd "$SBIN/sge_execd"
    local t=$((${SGE_START_TIMEOUT:-60} * 10)) st=
    for _ in $(seq "$t"); do
        # the queue instance is usable: load values arrived, no state letters
        st=$(qstat -f -q all.q 2>/dev/null | awk -v h="all.q@$host" '$1 == h {print ($6 == "" ? "ok" : $6)}')
        [ "$st" = ok ] && break
        sleep 0.2
    done
    if [ "$st" != ok ]; then
        qstat -f >&2
        tail -20 "$W/log/execd.out" >&2
        stop
        die "the queue all.q@$host is '${st:-missing}', not usable, after ${SGE_START_TIMEOUT:-60} s (above)"
    fi
    cat "$W/env"
}

stop() {
    local left
    if load_env && [ -s "$W/qmaster.pid" ]; then
        # jobs first (their shepherds outlive sge_execd)
        qdel -f -u '*' >/dev/null 2>&1
        for _ in $(seq 300); do
            left=$(qstat -u '*' 2>/dev/null | awk 'NR > 2' | wc -l)
            [ "$left" -eq 0 ] && break
            sleep 0.1
        done
    fi
    stop_pid execd
    stop_pid qmaster
    return 0
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    env) cat "$W/env" ;;
    *) die "usage: $0 start|stop|env WORKDIR" ;;
esac
