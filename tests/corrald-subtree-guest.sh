#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-subtree-guest.sh B SRC [MODE] [nolimits] — the part of corrald-subtree.t (systemd-ns,
# hybrid v1) and corrald-subtree-v2.t (QEMU guest, pure v2) that runs where
# systemd is PID 1, as root. Installs the shipped units (paths changed for
# the test), starts corrald.service and runs jobs as corraltestsb (made with
# corraltestd and corraltestadm by the caller, before systemd started);
# prints KEY=VALUE lines for the .t to check. Everything it writes is in the
# tmpfs overlay of the recipe and vanishes with it.
# MODE "shipped" (default): the unit as shipped; stop and start again with a
# job running. MODE "subgroup": ExecStart first moves into <unit>/supervisor,
# as systemd 254's DelegateSubgroup=supervisor does (systemd 252 has none),
# and the job is released before corrald stops. "nolimits": no OOM and fork
# bomb jobs.
B=$1 SRC=$2 MODE=${3:-shipped} LIMITS=${4:-limits}
systemctl stop corrald.service corrald.socket 2>/dev/null
rm -rf /var/lib/corraltest /run/corraltest /ctflag
out() { echo "$1=$2"; }
C=/etc/corraltest
SOCK=/run/corraltest.sock
mkdir -m 0755 -p $C/policies /ctflag /var/lib/corraltest
chmod 1777 /ctflag
cp "$SRC/policies/default.ini" $C/policies/
cat >$C/policies/t.ini <<EOP
[policy]
inherit = default
[users]
min_uid = 61000
[limits]
memory = 64M
swap = 0
tasks = 16
walltime = 10m
[namespaces]
; the recipes refuse a fresh /proc (systemd-ns) or new user namespaces (the
; QEMU guest's chroot): keep the host's user namespace
user = host
[epilogue]
min_uid = 61000
max_uid = 61999
grace = 1s
deadline = 10s
quarantine_dir = /var/lib/corraltest/quarantine
strip_cron = no
strip_at = no
strip_linger = no
EOP
cat >$C/corral.conf <<EOC
[node]
slots = 4
state_dir = /var/lib/corraltest/state
run_dir = /run/corraltest
output_dir = /var/lib/corraltest/output
socket = $SOCK
admin_group = corraltestadm
user = corraltestd
cgroup_parent = corraltest
policy_dir = $C/policies
default_policy = t
EOC
chmod 0644 $C/corral.conf $C/policies/*.ini
sed -e "s|@SBINDIR@/corrald|$B/corrald --config $C/corral.conf|" "$SRC/units/corrald.service.in" \
        >/etc/systemd/system/corrald.service
sed -e "s|^ListenSequentialPacket=.*|ListenSequentialPacket=$SOCK|" "$SRC/units/corrald.socket" \
        >/etc/systemd/system/corrald.socket
cp "$SRC/units/corral.slice" /etc/systemd/system/
if [ "$MODE" = subgroup ]; then
        mkdir -p /etc/systemd/system/corrald.service.d
        printf '%s\n' '[Service]' 'ExecStart=' "ExecStart=/bin/sh -c 'c=/sys/fs/cgroup\$\$(sed -n \"s/^0:://p\" /proc/self/cgroup); mkdir -p \$\$c/supervisor; echo \$\$\$\$ >\$\$c/supervisor/cgroup.procs; exec $B/corrald --config $C/corral.conf'" \
                >/etc/systemd/system/corrald.service.d/subgroup.conf
else
        rm -rf /etc/systemd/system/corrald.service.d
fi
systemctl daemon-reload && systemctl start corrald.socket corrald.service
r=$?
out started $r
if [ $r != 0 ]; then journalctl -q --no-pager -o cat -u corrald.service | tail -5 >&2; exit 1; fi

cli() { env CORRAL_SOCKET=$SOCK "$B/corral" "$@"; }
submit() { (cd / && setpriv --reuid=corraltestsb --regid=corraltestsb --init-groups env CORRAL_SOCKET=$SOCK \
        "$B/corral" submit --cwd / -- "$@"); }
field() { cli show --json "$1" | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"; }
wait_state() { # ID STATE...: until the job is in one of them; prints the state
        local st i
        for i in $(seq 900); do
                st=$(field "$1" state)
                for s in "${@:2}"; do [ "$st" = "$s" ] && { echo "$st"; return 0; }; done
                # a final state not asked for: no use waiting (why: on stderr)
                case $st in COMPLETED | FAILED | OUT_OF_MEMORY | CANCELLED | TIMEOUT | LOST)
                        cli show "$1" >&2; echo "$st"; return 1 ;;
                esac
                sleep 0.2
        done
        echo "${st:-UNKNOWN}"
}
# the cgroup of a process in the hierarchy of controller ($2: memory, pids;
# the "0::" line on v2)
cg_of() { local l; l=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" /proc/$1/cgroup || grep '^0::' /proc/$1/cgroup)
        echo "${l#*:*:}"; }
cgdir() { if [ -d /sys/fs/cgroup/$1 ]; then echo "/sys/fs/cgroup/$1$2"; else echo "/sys/fs/cgroup$2"; fi; }

out fstype "$(stat -f -c %T /sys/fs/cgroup)"
main=$(systemctl show -p MainPID --value corrald.service)
out unit_cg "$(systemctl show -p ControlGroup --value corrald.service)"
out main_cg "$(grep '^0::' /proc/"$main"/cgroup | cut -d: -f3)"

# 1. a job that waits for /ctflag/go
a=$(submit sh -c 'while [ ! -e /ctflag/go ]; do sleep 0.2; done; echo released')
out a_state "$(wait_state "$a" RUNNING)"
pid=
for i in $(seq 100); do
        pid=$(ps -u corraltestsb -o pid=,comm= | awk '$2 == "sh" { print $1; exit }')
        [ -n "$pid" ] && break
        sleep 0.2
done
out a_pid "$pid"
out a_cgroup "$(cg_of "$pid" memory)"
mem=$(cgdir memory "$(cg_of "$pid" memory)")
if [ -e "$mem/memory.max" ]; then out a_memory "$(cat "$mem/memory.max")"; else
        out a_memory "$(cat "$mem/memory.limit_in_bytes")"; fi
out a_pids "$(cat "$(cgdir pids "$(cg_of "$pid" pids)")/pids.max")"
out a_listed "$(systemctl status --no-pager -l corrald.service | grep -c -E "[^0-9]$pid (sh|/bin/sh)")"

if [ "$LIMITS" = limits ]; then
# 2. over its memory limit
o=$(submit sh -c 'head -c 300000000 /dev/zero | tail >/dev/null')
out o_state "$(wait_state "$o" COMPLETED FAILED OUT_OF_MEMORY CANCELLED TIMEOUT LOST)"
out o_reason "$(field "$o" reason)"

# 3. a fork bomb; the job then becomes a "sleep 21" (exec: no fork needed)
# whose pids.events is read from outside (the job's own /sys has no cgroups)
f=$(submit sh -c 'bomb() { bomb | bomb & }; bomb 2>/dev/null; exec sleep 21')
for i in $(seq 150); do
        bp=$(ps -u corraltestsb -o pid=,args= | awk '$2 == "sleep" && $3 == "21" { print $1; exit }')
        if [ -n "$bp" ]; then
                read -r _ hits <"$(cgdir pids "$(cg_of "$bp" pids)")/pids.events"
                [ "${hits:-0}" -ge 1 ] && break
        fi
        sleep 0.2
done
echo "$hits" >/ctflag/bomb
out f_state "$(wait_state "$f" COMPLETED FAILED OUT_OF_MEMORY CANCELLED TIMEOUT LOST)"
out f_hits "$(cat /ctflag/bomb 2>/dev/null)"
[ -e /ctflag/bomb ] || cli show "$f" | grep -E '^(reason|exit|result)' >&2
# their epilogues (same user) spare the running job: it is in a cgroup below
# the --job-cgroup-parent corrald passes (<unit>/jobs)
for i in $(seq 300); do
        [ "$(cli show --json "$f" | grep -c '"epilogue": null')" = 0 ] &&
                [ "$(cli show --json "$o" | grep -c '"epilogue": null')" = 0 ] && break
        sleep 0.2
done
kill -0 "$pid" 2>/dev/null
out a_alive_epilogue $?

fi

if [ "$MODE" = subgroup ]; then
        touch /ctflag/go
        out a_final "$(wait_state "$a" COMPLETED FAILED OUT_OF_MEMORY CANCELLED TIMEOUT LOST)"
        out a_result "$(cli show "$a" | grep '^result')"
        systemctl stop corrald.service corrald.socket
        out procs "$(ps -u corraltestsb -o pid= | wc -l)"
        out left "$(find /sys/fs/cgroup -type d -path '*/jobs/job-*' | wc -l)"
        exit 0
fi

# 4. stop corrald: the job goes on; the next start adopts it
systemctl stop corrald.service
out stopped "$(systemctl show -p ActiveState --value corrald.service)"
kill -0 "$pid" 2>/dev/null
out a_alive_stopped $?
systemctl start corrald.service
r=$?
out restarted $r
if [ $r != 0 ]; then
        systemctl status --no-pager -l corrald.service >&2
        journalctl -q --no-pager -o cat -u corrald.service | tail -8 >&2
        exit 1
fi
main=$(systemctl show -p MainPID --value corrald.service)
out main_cg2 "$(grep '^0::' /proc/"$main"/cgroup | cut -d: -f3)"
out a_cgroup2 "$(cg_of "$pid" memory)"
if [ -e "$mem/memory.max" ]; then out a_memory2 "$(cat "$mem/memory.max")"; else
        out a_memory2 "$(cat "$mem/memory.limit_in_bytes")"; fi
for i in $(seq 100); do
        journalctl -q --no-pager -o cat -u corrald.service | grep -q "adopted the launcher of job $a" && break
        sleep 0.2
done
out adopted "$(journalctl -q --no-pager -o cat -u corrald.service | grep -c "adopted the launcher of job $a ")"
touch /ctflag/go
out a_final "$(wait_state "$a" COMPLETED FAILED OUT_OF_MEMORY CANCELLED TIMEOUT LOST)"
out a_result "$(cli show "$a" | grep '^result')"
systemctl stop corrald.service corrald.socket
out procs "$(ps -u corraltestsb -o pid= | wc -l)"
out left "$(find /sys/fs/cgroup -type d -path '*/jobs/job-*' | wc -l)"
exit 0
