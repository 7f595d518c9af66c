#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-escape.t — a hostile job under the default policy tries every way
# out listed in the launch issue; each must be contained. The programs are
# tests/escape/escape-*.c; what can only be judged from outside (a process
# left running, the host's /tmp, the host's SysV IPC, another user's
# process) is checked here after the job ended.
#
# A denial inside a job proves something only where the same call works
# outside it: each escape is first probed on the host, as root, outside any
# job (escape-syscall probe NAME, setuid on the staging dir, SysV IPC), and
# its checks are skipped with the reason where this kernel or CPU lacks it
# (no i386 int $0x80, no x32, no module loader...). The capability names for
# CORRAL_MUST_RUN (tests/lib.sh), which turns those skips into failures, are
# the escape names (unshare-int80, io_uring...) and setuid, sysvipc.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 2
[ -x "$ESCAPE/escape-syscall" ] || plan_skip "escape programs not built ($ESCAPE)"

syscalls=(mount umount unshare-user unshare-mnt unshare-net unshare-pid clone-newuser clone-newns
        setns-mnt setns-pid setns-user setns-net keyctl add_key bpf perf userfaultfd io_uring
        init_module finit_module ptrace-child ptrace-init chroot pivot_root reboot swapon unshare-int80 unshare-x32)
plan $((${#syscalls[@]} * 2 + 17))

# 1. privileged syscalls, under the default denylist and the strict allowlist;
# contained means failed with an errno, or the process killed by SIGSYS
# (159: x32 syscalls are a foreign architecture to the filter)
for s in "${syscalls[@]}"; do
        # first as root on the host, outside any job: 77 when it lacks $s
        probe=$("$ESCAPE/escape-syscall" probe "$s" 2>&1)
        case $? in
        0) ;;
        77)
                skip_or_fail "$s" "default: $s: ${probe#unavailable: }"
                skip_or_fail "$s" "strict: $s: ${probe#unavailable: }"
                continue ;;
        *)
                ok 1 "default: the probe of $s works ($probe)"
                ok 1 "strict: the probe of $s works ($probe)"
                continue ;;
        esac
        run_job default -- "$ESCAPE/escape-syscall" "$s"
        like "$RC:$OUT" "^(0:contained|159:$)" "default: $s is contained"
        run_job strict -- "$ESCAPE/escape-syscall" "$s"
        like "$RC:$OUT" "^(0:contained|159:$)" "strict: $s is contained"
done

# 2. processes that try to outlive the job
for how in daemon nohup ignore-term; do
        run_job default -- "$ESCAPE/escape-procs" "$how"
        is "$RC:$(count_user_procs "$TUSER")" "0:0" "$how: nothing of the user is left when the job ends"
done
run_job default -- sh -c "setsid nohup sleep 1000 >/dev/null 2>&1 & echo ok"
is "$RC:$(count_user_procs "$TUSER")" "0:0" "setsid+nohup sleep: gone with the job"
is "$(job_cgroups_left)" 0 "... and no cgroup is left"

# 3. a setuid-root binary gives nothing (no_new_privs); outside a job, as
# the job's user, it must give root (no nosuid mount there)
# (on the root file system, which jobs see: /tmp, /var/tmp, /run/lock and
# /dev/shm are private to a job under the default policy)
sdir=$(mktemp -d /var/lib/corraltest.XXXXXX)
_cleanup_add "rm -rf '$sdir'"
chmod 0755 "$sdir"
install -o root -g root -m 4755 "$ESCAPE/escape-suid" "$sdir/suid"
probe=$(setpriv --reuid "$TUID" --regid "$TUID" --clear-groups "$sdir/suid" 2>&1)
if [ "$probe" = "ruid=$TUID euid=0" ]; then
        run_job default -- "$sdir/suid"
        is "$RC:$OUT" "0:ruid=$TUID euid=$TUID" "a setuid-root binary runs with the job's uid"
else
        skip_or_fail setuid "a setuid-root binary in $sdir gives '$probe' outside any job, not euid 0 (nosuid mount?)"
fi
rm -f "$sdir/suid"

# 4. cgroups: moving itself to the parent, root or elsewhere
run_job default -- "$ESCAPE/escape-cgroup"
like "$RC:$OUT" "^0:contained" "writing its pid into another cgroup's cgroup.procs fails"

# 5. other processes: kill(-1), another user's process, environ
setpriv --reuid "$TUID" --regid "$TUID" --clear-groups sleep 300 &
same=$!
other_uid=$(id -u corraltestl2)
setpriv --reuid "$other_uid" --regid "$other_uid" --clear-groups env CORRALTEST_SECRET=s3cr3t-$$ sleep 300 &
other=$!
_cleanup_add "kill $same $other"
sleep 0.2
run_job default -- "$ESCAPE/escape-procs" kill-all
ok "$(kill -0 $same 2>/dev/null && kill -0 $other 2>/dev/null && echo 0 || echo 1)" \
        "kill(-1, SIGKILL) inside leaves the same user's and another user's host processes alive"
run_job default -- "$ESCAPE/escape-procs" kill-pids 65536
like "$OUT" "visible others: [0-3]$" "no host process is visible to kill(pid, 0)"
ok "$(kill -0 $same 2>/dev/null && kill -0 $other 2>/dev/null && echo 0 || echo 1)" \
        "kill(pid) of every pid leaves host processes alive (the other user's pid $other included)"
run_job default -- "$ESCAPE/escape-procs" environ "s3cr3t-$$"
like "$RC:$OUT" "^0:contained" "another user's /proc/PID/environ is out of reach"
run_job default -- cat "/proc/$other/environ"
ok "$(printf '%s' "$OUT" | grep -q "s3cr3t-$$" && echo 1 || echo 0)" "reading /proc/$other/environ by its host pid fails"

# 6. SysV IPC: what the job creates is not on the host, the host's not in the job
key=c0a1$(printf '%04x' $(($$ % 65536)))
if [ -r /proc/sysvipc/shm ] && [ -r /proc/sysvipc/msg ]; then
        run_job default -- "$ESCAPE/escape-ipc" create "$key"
        is "$RC:$OUT" "0:created 1 1 1" "the job creates SysV IPC objects"
        ok "$(ipcs -a | grep -qi "0x$key" && echo 1 || echo 0)" "... and they are not visible on the host"
        _cleanup_add "ipcrm -M 0x$key; ipcrm -Q 0x$key; ipcrm -S 0x$key"
        out=$("$ESCAPE/escape-ipc" create "$key")
        if [ "$out" = "created 1 1 1" ]; then
                run_job default -- "$ESCAPE/escape-ipc" attach "$key"
                like "$RC:$OUT" "^0:contained" "the host's SysV IPC objects are out of reach"
        else
                skip_or_fail sysvipc "the host cannot create SysV IPC objects outside any job ($out)"
        fi
else
        for _ in 1 2 3; do skip_or_fail sysvipc "no SysV IPC in this kernel (/proc/sysvipc)"; done
fi

# 7. the host's /tmp
f=/tmp/corraltest-escape-$$
run_job default -- sh -c "echo pwned >$f && cat $f; ls /proc/1/root/tmp | grep -c corraltest"
ok "$([ ! -e "$f" ] && echo 0 || echo 1)" "writing /tmp inside does not write the host's /tmp"
rm -f "$f"

kill $same 2>/dev/null
wait $same 2>/dev/null
is "$(count_user_procs "$TUSER")" 0 "nothing of the job's user is left at the end"
done_testing
