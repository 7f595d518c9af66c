#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-errors.t — every failure before exec names its step and cause,
# exits with its own documented code and leaves no cgroup and no process:
# bad options, a missing or broken policy, an unknown user, root, a uid below
# min_uid, a user not allowed, a missing command (127), an unwritable result
# file, a job id whose cgroup exists already (which must stay untouched);
# stdio that is not a regular file (a FIFO, a directory, a device) refused
# at once, and a stdio open that has to wait (a lease) cut off at the
# walltime.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 2
plan 46

# clean: no job cgroup and no process of the test user
clean() { [ "$(job_cgroups_left)" = 0 ] && [ "$(count_user_procs "$TUSER")" = 0 ] && echo 0 || echo 1; }

"$LAUNCH" --user "$TUSER" -- true >/dev/null 2>"$TEST_TMP/err"
is "$?" 200 "no --policy: usage error 200"
"$LAUNCH" --policy default --user "$TUSER" --bogus -- true >/dev/null 2>&1
is "$?" 200 "unknown option: 200"
"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" >/dev/null 2>"$TEST_TMP/err"
is "$?" 200 "no command: 200"
"$LAUNCH" --policy default --user "$TUSER" --job-id '../x' -- true >/dev/null 2>&1
is "$?" 200 "a job id with a slash: 200"
"$LAUNCH" --policy default --user "$TUSER" --env 'A B=c' -- true >/dev/null 2>&1
is "$?" 200 "a bad --env: 200"
setpriv --reuid "$TUID" --regid "$TUID" --clear-groups "$LAUNCH" --policy default --user "$TUSER" \
        --policy-dir "$POLDIR" -- true >/dev/null 2>"$TEST_TMP/err"
is "$?:$(cat "$TEST_TMP/err")" "200:corral-launch: must be run as root" "not root: 200, says so"

run_job nosuch -- true
is "$RC" 201 "a policy that does not exist: 201"
like "$ERR" "no policy named 'nosuch'" "... and the message says which"
is "$(json state):$(json failed_step)" "FAILED:policy" "... and the result record says FAILED at step policy"
printf '[limits]\nmemroy = 1G\n' >"$POLDIR/broken.ini"
run_job broken -- true
is "$RC" 201 "a policy with an unknown key: 201"
like "$ERR" "broken.ini:2: " "... reported as FILE:LINE"
cp "$POLDIR/default.ini" "$POLDIR/loose.ini" && chmod 0666 "$POLDIR/loose.ini"
run_job loose -- true
is "$RC" 201 "a world-writable policy file is refused: 201"

JOB_USER=corraltestnosuch run_job default -- true
is "$RC" 202 "an unknown user: 202"
like "$ERR" "no such user 'corraltestnosuch'" "... named in the message"
JOB_USER=root run_job default -- true
is "$RC" 202 "root: 202"
like "$ERR" "jobs never run as root" "... refused as root"
run_job highmin -- true
is "$RC" 202 "uid below the policy's min_uid: 202"
like "$ERR" "uid $TUID is below the policy's min_uid 61999" "... with both numbers"
run_job onlyother -- true
is "$RC" 202 "a user not in allow_users: 202"
ok "$(clean)" "none of the refusals left a cgroup or a process"

run_job default -- /nonexistent/command
is "$RC" 127 "a missing command: 127 like a shell"
like "$ERR" "cannot execute '/nonexistent/command': No such file or directory" "... with a clear message"
is "$(json state):$(json failed_step)" "FAILED:exec" "... FAILED at step exec"
run_job default -- /etc/hostname
is "$RC" 127 "a file that is not executable: 127"
ok "$(clean)" "failed execs left nothing behind"

"$LAUNCH" --policy default --user "$TUSER" --policy-dir "$POLDIR" --cgroup-parent "$CGPARENT" \
        --result /nonexistent-dir/result.json -- true >/dev/null 2>"$TEST_TMP/err"
is "$?" 209 "a result file that cannot be created: 209"

run_job default --cwd /nonexistent-dir -- true
is "$RC:$(json failed_step)" "208:exec-setup" "a working directory that does not exist: 208"

# a job id whose cgroup exists: refused, and the existing cgroup untouched
# (v1: in the memory and pids hierarchies; a pure cgroup2: its one tree)
taken=
for h in /sys/fs/cgroup/memory /sys/fs/cgroup/pids; do
        [ -d "$h" ] && mkdir -p "$h/$CGPARENT/job-taken" && taken=$h/$CGPARENT/job-taken
done
if [ -z "$taken" ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        mkdir -p "/sys/fs/cgroup/$CGPARENT/job-taken" && taken=/sys/fs/cgroup/$CGPARENT/job-taken
fi
run_job default --job-id taken -- true
is "$RC" 203 "a job id whose cgroup exists: 203"
like "$ERR" "cannot create cgroup .*/$CGPARENT/job-taken: File exists" "... naming the controller and path"
ok "$([ -n "$taken" ] && [ -d "$taken" ] && echo 0 || echo 1)" "... and the existing cgroup is left alone"
rmdir /sys/fs/cgroup/*/"$CGPARENT"/job-taken /sys/fs/cgroup/"$CGPARENT"/job-taken 2>/dev/null
# --- stdio: only regular files (and /dev/null), opened without waiting ---
# The old launcher waited in open() for a FIFO's reader, for ever: these
# runs go through timeout(1), so such a wait shows as a failure, not a hang.
printf '#!/bin/sh\nexec timeout -k 5 60 %s "$@"\n' "$LAUNCH" >"$TEST_TMP/launch-t"
chmod 0755 "$TEST_TMP/launch-t"
SDIR=$TEST_TMP/stdio
mkdir -m 0755 "$SDIR"
chown "$TUSER" "$SDIR"
mkfifo -m 0666 "$SDIR/fifo"
chown "$TUSER" "$SDIR/fifo"
LAUNCH=$TEST_TMP/launch-t run_job default --stdout "$SDIR/fifo" -- true
is "$RC:$(json failed_step)" "208:exec-setup" "--stdout a FIFO without a reader: 208 at once"
like "$ERR" "stdout $SDIR/fifo is a FIFO" "... the message names the FIFO and says what it is"
exec 7<>"$SDIR/fifo" # a reader (and a writer): open() alone would succeed now
LAUNCH=$TEST_TMP/launch-t run_job default --stdout "$SDIR/fifo" -- true
is "$RC" 208 "--stdout a FIFO with a reader: refused too"
LAUNCH=$TEST_TMP/launch-t run_job default --stdin "$SDIR/fifo" -- true
is "$RC" 208 "--stdin a FIFO: refused"
like "$ERR" "stdin $SDIR/fifo is a FIFO" "... named as stdin"
exec 7>&-
run_job default --stdin "$SDIR" -- true
is "$RC" 208 "--stdin a directory: refused"
like "$ERR" "stdin $SDIR is a directory" "... saying it is a directory"
run_job default --stdout /dev/ptmx -- true
is "$RC" 208 "--stdout a character device (/dev/ptmx): refused"
like "$ERR" "stdout /dev/ptmx is a character device" "... saying what it is"
run_job default --stdout /dev/null --stderr "$SDIR/err" -- sh -c 'echo out; echo err >&2'
is "$RC:$(cat "$SDIR/err")" "0:err" "--stdout /dev/null and a regular --stderr are fine"
# run by hand on a terminal, the launcher may give the job that terminal
# (its own fd 0-2; the user must be able to open it, as with any path)
out=$(script -qec "chown $TUSER \$(tty) && $LAUNCH --policy default --user $TUSER --policy-dir $POLDIR \
        --cgroup-parent $CGPARENT --stdout \$(tty) -- echo on-my-tty; echo rc=\$?" /dev/null 2>&1 </dev/null)
like "$out" "on-my-tty.*rc=0" "--stdout the terminal corral-launch itself runs on: allowed"
ok "$(clean)" "the refused stdio left no cgroup and no process"

# A read lease on the --stdout file, held by a process that never lets go
# (the kernel breaks it only after lease-break-time, 45 s): the open waits
# for it, but never past the walltime (2 s in policy small), which runs from
# the start of the launch.
: >"$SDIR/leased"
chown "$TUSER" "$SDIR/leased"
mkfifo "$TEST_TMP/lease.in"
"$HELPERS/holdlease" "$SDIR/leased" <"$TEST_TMP/lease.in" >"$TEST_TMP/lease.out" 2>&1 &
lease_pid=$!
exec 7>"$TEST_TMP/lease.in"
for i in $(seq 100); do [ -s "$TEST_TMP/lease.out" ] && break; sleep 0.1; done
is "$(cat "$TEST_TMP/lease.out")" "leased" "a read lease is held on the --stdout file"
LAUNCH=$TEST_TMP/launch-t run_job small --stdout "$SDIR/leased" -- true
is "$RC:$(json state)" "208:FAILED" "a --stdout whose lease is not released: FAILED, 208, not a job run late"
like "$ERR" "the walltime \(2s\) ran out before the job started: cannot open stdout $SDIR/leased" "... and the walltime is named as the cause"
exec 7>&-
wait "$lease_pid"
ok "$(clean)" "nothing else was left behind"
done_testing
