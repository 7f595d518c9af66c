#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-launch-failures.t — a job that cannot start says why where its
# user looks: `corral logs --stderr` gives corral-launch's reason (a command
# that does not exist, a working directory that does not exist), written
# only to a file opened as the user (a symlink to a root-only file is never
# written); and a user the launcher would refuse (primary group 0) is refused
# at submit already, with the launcher's own reason.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 23

make_tmpdir
corrald_setup 2
make_test_user corraltestf 61202
corrald_start; ok $? "corrald starts"
LAUNCH=$CORRAL_BUILD/corral-launch

# --- exec fails inside the job: the reason is in its stderr ---
id=$(submit_as corraltestf -- nosuchcmd arg)
st=$(wait_final "$id"); is "$st" FAILED "a command that does not exist: FAILED"
is "$(as corraltestf logs --stderr "$id")" "corral-launch: cannot execute 'nosuchcmd': No such file or directory" \
    "corral logs --stderr gives the reason"
is "$(as corraltestf logs "$id")" "" "... and stdout stays empty"
like "$(job_field "$id" reason)" "cannot execute 'nosuchcmd'" "... the same reason as corral show"
# a PATH with a directory the user cannot search (a submitter's exported
# /root/bin): still "No such file or directory", not execvp's EACCES
mkdir -m 0700 "$TEST_TMP/closed"
id=$(submit_as corraltestf -E PATH="$TEST_TMP/closed:/usr/bin:/bin" -- nosuchcmd)
st=$(wait_final "$id"); is "$st" FAILED "not found in a PATH with an unsearchable directory: FAILED"
is "$(as corraltestf logs --stderr "$id")" "corral-launch: cannot execute 'nosuchcmd': No such file or directory" \
    "... and the reason is that it does not exist (not Permission denied)"

# --- the working directory does not exist ---
id=$(submit_as corraltestf --cwd /nonexistent-corraltest -- /bin/true)
st=$(wait_final "$id"); is "$st" FAILED "a working directory that does not exist: FAILED"
is "$(as corraltestf logs --stderr "$id")" \
    "corral-launch: cannot change to directory /nonexistent-corraltest: No such file or directory" \
    "corral logs --stderr names the directory and the cause"

# --- a job that runs is not touched ---
id=$(submit_as corraltestf -- /bin/sh -c 'echo own >&2')
st=$(wait_final "$id"); is "$st" COMPLETED "a job that runs"
is "$(as corraltestf logs --stderr "$id")" "own" "... has only its own stderr"

# --- corral-launch alone: the file is only ever opened as the user ---
L=("$LAUNCH" --config "$TEST_TMP/corral.conf" --policy t --policy-dir "$TEST_TMP/policies" --user corraltestf --cwd /)
udir=$TEST_TMP/fdir
mkdir -m 0755 "$udir" && chown corraltestf "$udir"
"${L[@]}" --job-id lf1 --stderr "$udir/err" -- nosuchcmd >/dev/null 2>&1
is "$?" 127 "corral-launch: a command that does not exist exits 127"
is "$(cat "$udir/err")" "corral-launch: cannot execute 'nosuchcmd': No such file or directory" \
    "... and the --stderr file says why"
is "$(stat -c %U "$udir/err")" corraltestf "... a file created as the user"
echo "root only" >"$TEST_TMP/secret" && chmod 0600 "$TEST_TMP/secret"
ln -s "$TEST_TMP/secret" "$udir/trap"
"${L[@]}" --job-id lf2 --stderr "$udir/trap" -- nosuchcmd >/dev/null 2>"$TEST_TMP/lerr"
is "$?" 208 "a --stderr symlink to a root-only file: refused (208)"
is "$(cat "$TEST_TMP/secret")" "root only" "... and the file it points to is not written"
"${L[@]}" --job-id lf3 --stdout "$udir/trap" --stderr "$udir/err3" -- true >/dev/null 2>&1
is "$(cat "$TEST_TMP/secret")" "root only" "a failure before stderr is open does not write through a trap either"
like "$(cat "$udir/err3")" "^corral-launch: cannot open stdout $udir/trap as corraltestf: Permission denied" \
    "... and the --stderr file, opened as the user then, says why"

# --- one [users] rule: a primary group 0 is refused at submit, as at launch ---
userdel corraltestg0 >/dev/null 2>&1
useradd -M -d /nonexistent -s /bin/sh -u 61203 -g 0 corraltestg0 2>/dev/null || { echo "Bail out! cannot create the test user corraltestg0"; exit 1; }
_cleanup_add "kill_test_user_procs corraltestg0; userdel corraltestg0"
out=$(cd / && setpriv --reuid=corraltestg0 --regid=0 --init-groups env CORRAL_SOCKET="$SOCK" "$CORRAL" submit -- /bin/true 2>&1)
rc=$?
ok $((rc == 0)) "a user whose primary group is 0 is refused at submit (exit $rc)"
like "$out" "has root's group as its primary group \(gid 0\)" "... saying why"
"$LAUNCH" --config "$TEST_TMP/corral.conf" --policy t --policy-dir "$TEST_TMP/policies" --user corraltestg0 \
    -- /bin/true >/dev/null 2>"$TEST_TMP/lerr"
is "$?" 202 "corral-launch refuses the same user (202)"
why=$(sed -n 's/^corral-launch: //p' "$TEST_TMP/lerr")
ok $([ -n "$why" ] && [[ "$out" == *"$why"* ]]; echo $?) "submit gives the launcher's reason ($why)"
is "$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT count(*) FROM jobs WHERE uid=61203")" 0 "... and nothing was queued"

done_testing
