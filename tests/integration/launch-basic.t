#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-basic.t — what a job sees from inside: its ids and groups, no
# capabilities, no_new_privs, a seccomp filter that acts as the policy says,
# its own PID namespace, private /tmp, /dev/shm, /var/tmp and /run/lock, the
# hostname, a clean environment, stdio files, the exit status like a shell,
# the result record.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 2
# a supplementary group (retried: useradd and friends fail while another
# process holds the passwd lock)
groupdel corraltestlg >/dev/null 2>&1
for _ in 1 2 3 4 5; do
        groupadd -g 61420 corraltestlg >/dev/null 2>&1 && usermod -a -G corraltestlg "$TUSER" && break
        sleep 1
done
_cleanup_add "groupdel corraltestlg"
plan 44

run_job default -- sh -c 'id -u; id -g; id -G'
is "$RC" 0 "a job exits 0"
is "$OUT" "$TUID
$TUID
$TUID 61420" "uid, gid and supplementary groups are the user's"

run_job default -- cat /proc/self/status
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        is "$(printf '%s\n' "$OUT" | awk -v f="$f:" '$1 == f {print $2}')" 0000000000000000 "$f is empty"
done
is "$(printf '%s\n' "$OUT" | awk '$1 == "NoNewPrivs:" {print $2}')" 1 "NoNewPrivs is 1"
is "$(printf '%s\n' "$OUT" | awk '$1 == "Seccomp:" {print $2}')" 2 "Seccomp is 2 (filter)"

# a denied syscall: errno under default (EPERM), the process killed under kill
run_job default -- "$HELPERS/try-syscall" unshare
is "$OUT" "errno EPERM" "default policy: unshare() fails with EPERM"
run_job kill -- sh -c "$HELPERS/try-syscall unshare; echo status \$?"
is "$OUT" "status 159" "kill policy: unshare() kills the process with SIGSYS (128+31)"
# the job's user may make a user namespace outside a job (nested in the
# job's, too, unless the host turns unprivileged user namespaces off)
probe=$(setpriv --reuid "$TUID" --regid "$TUID" --clear-groups "$HELPERS/try-syscall" unshare 2>&1)
if [ "$probe" = ok ]; then
        run_job log -- "$HELPERS/try-syscall" unshare
        is "$OUT" "ok" "log policy: a denied syscall is only logged (unshare works)"
else
        skip_or_fail userns "unshare(CLONE_NEWUSER) as uid $TUID fails outside any job ($probe): unprivileged user namespaces are off here"
fi
run_job default -- "$HELPERS/try-syscall" clone-newuser
is "$OUT" "errno EPERM" "clone(CLONE_NEWUSER) is denied with @namespaces"
# the ENOSYS is the filter's only where the kernel has clone3 (Linux 5.3)
probe=$("$HELPERS/try-syscall" clone3 2>&1)
if [ "$probe" = ok ]; then
        run_job default -- "$HELPERS/try-syscall" clone3
        is "$OUT" "errno ENOSYS" "clone3() gives ENOSYS so that libc falls back to clone()"
else
        skip_or_fail clone3 "clone3() fails outside any job ($probe): not in this kernel"
fi
run_job default -- "$HELPERS/try-syscall" fork
is "$OUT" "ok" "plain fork (clone without CLONE_NEW*) works"
run_job strict -- "$HELPERS/try-syscall" getppid
is "$OUT" "ok" "strict allowlist: an ordinary syscall works"
run_job strict -- "$HELPERS/try-syscall" mount
is "$OUT" "errno EPERM" "strict allowlist: a syscall outside @job fails with EPERM"

# PID namespace: the job is PID 2 under our init, host processes invisible
sleep 300 &
hostpid=$!
_cleanup_add "kill $hostpid"
run_job default -- sh -c 'echo $$; ls /proc | grep -c "^[0-9]"; cat /proc/1/comm'
is "$(printf '%s\n' "$OUT" | sed -n 1p)" 2 "the job is PID 2 of its own PID namespace"
ok "$([ "$(printf '%s\n' "$OUT" | sed -n 2p)" -le 4 ] && echo 0 || echo 1)" "only the job's few processes are in /proc"
is "$(printf '%s\n' "$OUT" | sed -n 3p)" corral-init "PID 1 is corral's init"
run_job default -- sh -c "kill -0 $hostpid 2>/dev/null && echo visible || echo invisible"
is "$OUT" invisible "a host process cannot be signalled from inside"

# private /tmp and /dev/shm, and they are gone afterwards
marker=corraltest-marker-$$
touch "/tmp/$marker" "/dev/shm/$marker"
_cleanup_add "rm -f /tmp/$marker /dev/shm/$marker"
run_job default -- sh -c "ls -A /tmp | wc -l; ls -A /dev/shm | wc -l; touch /tmp/$marker.job /dev/shm/$marker.job && echo wrote"
is "$OUT" "0
0
wrote" "/tmp and /dev/shm are empty and writable inside"
ok "$([ ! -e "/tmp/$marker.job" ] && [ ! -e "/dev/shm/$marker.job" ] && echo 0 || echo 1)" \
        "what the job wrote there never reaches the host"
# /var/tmp and /run/lock too (private_dirs): a 1 MiB file, a FIFO and a lock
# file the job leaves there stay out of the host's, charged to no cgroup
touch "/var/tmp/$marker" "/run/lock/$marker"
_cleanup_add "rm -f /var/tmp/$marker /var/tmp/$marker.job /var/tmp/$marker.fifo /run/lock/$marker /run/lock/$marker.job"
run_job default -- sh -c "ls -A /var/tmp /run/lock | grep -c $marker; head -c 1048576 /dev/zero >/var/tmp/$marker.job &&
        mkfifo /var/tmp/$marker.fifo && touch /run/lock/$marker.job && echo wrote"
is "$OUT" "0
wrote" "/var/tmp and /run/lock are private and writable inside"
ok "$([ ! -e "/var/tmp/$marker.job" ] && [ ! -e "/var/tmp/$marker.fifo" ] && [ ! -e "/run/lock/$marker.job" ] &&
        echo 0 || echo 1)" "what the job wrote in /var/tmp and /run/lock never reaches the host's"
run_job default -- sh -c 'touch /usr/corraltest 2>&1; touch /etc/corraltest 2>&1' 
like "$OUT" "Read-only file system.*Read-only file system" "read_only paths are read-only"

run_job default -- hostname
is "$OUT" corral-job "the hostname is the policy's"
is "$(hostname)" "$(uname -n)" "the host's hostname is untouched"

run_job netiso -- sh -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; cat /sys/class/net/lo/operstate 2>/dev/null | head -1'
is "$(printf '%s\n' "$OUT" | head -1)" lo "net = isolated: only the loopback interface"
run_job netiso -- "$HELPERS/try-syscall" loopback
is "$OUT" ok "... and it is up: a TCP connection to 127.0.0.1 works"

# environment: the documented set plus --env, nothing of ours
CORRALTEST_LEAK=secret run_job default --env FOO=bar --env PATH=/bin -- env
like "$OUT" "FOO=bar" "--env reaches the job"
like "$OUT" "(^|
)PATH=/bin(
|$)" "--env overrides a default"
like "$OUT" "USER=$TUSER" "USER is set"
ok "$(printf '%s\n' "$OUT" | grep -q CORRALTEST_LEAK && echo 1 || echo 0)" "the caller's environment does not leak"

# stdio files opened as the user; cwd
out=$TEST_TMP/userdir/out.txt
mkdir -p "$TEST_TMP/userdir" && chown "$TUSER" "$TEST_TMP/userdir"
echo hello >"$TEST_TMP/in.txt"
run_job default --stdin "$TEST_TMP/in.txt" --stdout "$out" --cwd /usr -- sh -c 'cat; pwd'
is "$(cat "$out")" "hello
/usr" "--stdin, --stdout and --cwd work"
is "$(stat -c '%U %a' "$out")" "$TUSER 600" "the output file is the user's, mode 600"
run_job default --stdout /etc/corraltest-denied -- true
is "$RC" 208 "an output path the user cannot write is refused (exit 208)"
ok "$([ ! -e /etc/corraltest-denied ] && echo 0 || echo 1)" "... and root did not create it"

# exit status like a shell, and the result record
run_job default -- sh -c 'exit 3'
is "$RC:$(json state):$(json exit)" "3:FAILED:3:0" "exit 3: status 3, FAILED, exit 3:0"
run_job default -- sh -c 'kill -USR1 $$'
is "$RC:$(json exit)" "138:0:10" "killed by SIGUSR1: status 138, exit 0:10"
run_job default -- true
is "$(json state):$(json exit):$(json user):$(json policy)" "COMPLETED:0:0:$TUSER:default" "the result record of a job that succeeded"
"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" --result-fd 3 \
        "${JOB_ENV[@]}" -- true 3>"$TEST_TMP/fd3.json" </dev/null
RES=$(cat "$TEST_TMP/fd3.json")
is "$(json state):$(json cpu_user_usec | tr -d 0-9)" "COMPLETED:" "--result-fd writes the record to that fd, with cpu usage"
like "$RES" '"timings":\{"start_usec":[0-9]+,"end_usec":[0-9]+,"elapsed_usec":[0-9]+' "the record has the timings"
is "$(job_cgroups_left)" 0 "no job cgroup is left"
done_testing
