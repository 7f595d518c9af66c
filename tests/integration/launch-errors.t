#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-errors.t — every failure before exec names its step and cause,
# exits with its own documented code and leaves no cgroup and no process:
# bad options, a missing or broken policy, an unknown user, root, a uid below
# min_uid, a user not allowed, a missing command (127), an unwritable result
# file, a job id whose cgroup exists already (which must stay untouched).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 2
plan 31

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
ok "$(clean)" "nothing else was left behind"
done_testing
