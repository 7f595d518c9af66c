#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-submit-env.t — a job's environment and its output, as users of
# sbatch expect them, through the CLI against a real corrald:
#  - `corral submit` exports the submitter's environment (PATH, a variable
#    only the submitter has), --export=NONE, --export=NAME,..., -E wins;
#  - the policy's [job] env_deny drops LD_PRELOAD with a note, refuses it
#    set with -E; CORRAL_JOB_ID and CORRAL_POLICY are corral's whatever the
#    submitter says; the environment is the owner's (and admins') to read;
#  - too big an environment is an error naming its size, never cut short;
#  - -o/-e relative to the working directory with %j, %x, %u, %%, files
#    owned by the user; -J in list and show.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
plan 44

make_tmpdir
corrald_setup 2
# the jobs of this test see the host's /tmp, where their working directories are
cat >"$TEST_TMP/policies/envt.ini" <<EOP
[policy]
description = corrald-submit-env.t: t with the host's /tmp
inherit = t
[filesystem]
private_tmp = no
EOP
chmod 0644 "$TEST_TMP/policies/envt.ini"
make_test_user corraltestenv 61291
make_test_user corraltestenw 61292
corrald_start --epilogue-dry-run; ok $? "corrald starts"
U=corraltestenv
V=corraltestenw
W=$TEST_TMP/work
mkdir -p "$W/out" "$W/sub"
chown -R "$U:$U" "$W"
chmod 0755 "$W"
LIBC=$(ldd /bin/true | sed -n 's/^[[:space:]]*libc\.so\.6 => \([^ ]*\) .*/\1/p')
# what the submitter preloads: libm (it interposes nothing of the sanitizer
# runtime), so that the ASan build of corral (make check-asan) still runs
# under it, with ASan's check of the library order off
PRELOAD=$(ldconfig -p 2>/dev/null | awk '$1 == "libm.so.6" { print $NF; exit }')
[ -n "$PRELOAD" ] || PRELOAD=$LIBC

# in_dir DIR USER CMD...: CMD as USER from DIR, with a login-like environment
# of the test's (and root's USER and HOME, as su without - leaves them)
in_dir() {
    local dir=$1 user=$2; shift 2
    (cd "$dir" && setpriv --reuid="$user" --regid="$user" --init-groups \
        env -i CORRAL_SOCKET="$SOCK" PATH=/corraltest/bin:/usr/bin:/bin USER=root HOME=/root LANG=C \
        CORRALTEST_MINE="only-mine $$" CORRALTEST_A=a CORRALTEST_B=b CORRALTEST_C=c \
        ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0} \
        LD_PRELOAD="$PRELOAD" CORRAL_JOB_ID=999999 CORRAL_POLICY=forged "$@")
}
envof() { # envof ID: the job's environment, as /usr/bin/env printed it
    wait_final "$1" >/dev/null
    as $U logs "$1"
}
val() { sed -n "s/^$1=//p"; } # val NAME < env

# --- the exported environment ---
id=$(in_dir "$W" $U "$CORRAL" submit -p envt -- /usr/bin/env 2>"$TEST_TMP/submit.err")
env=$(envof "$id")
is "$(val CORRALTEST_MINE <<<"$env")" "only-mine $$" "a variable only the submitter has reaches the job"
is "$(val PATH <<<"$env")" "/corraltest/bin:/usr/bin:/bin" "... and so does the submitter's PATH"
is "$(val USER <<<"$env")/$(val HOME <<<"$env")/$(val CORRALTEST_A <<<"$env")" "$U//nonexistent/a" \
    "USER and HOME are the password entry's, not the submitter's shell's (su), the rest is exported"
is "$(val CORRAL_JOB_ID <<<"$env")/$(val CORRAL_POLICY <<<"$env")/$(val CORRALTEST_B <<<"$env")" "$id/envt/b" \
    "CORRAL_JOB_ID and CORRAL_POLICY are corral's, over the submitter's"
is "$(grep -c '^LD_PRELOAD=' <<<"$env")/$(val CORRALTEST_B <<<"$env")/$(job_field "$id" state)" "0/b/COMPLETED" \
    "env_deny (default.ini: LD_PRELOAD) keeps LD_PRELOAD from the job, the rest is exported, the job runs"
like "$(cat "$TEST_TMP/submit.err")" "warning: the policy's \[job\] env_deny keeps LD_PRELOAD from the job's environment" \
    "... and corral submit says so on stderr"

# --- --export ---
id=$(in_dir "$W" $U "$CORRAL" submit -p envt --export=NONE -E CORRALTEST_SET=1 -- /usr/bin/env)
env=$(envof "$id")
is "$(grep -c '^CORRALTEST_' <<<"$env")/$(val CORRALTEST_SET <<<"$env")" "1/1" \
    "--export=NONE: none of the submitter's variables, only -E's"
is "$(val PATH <<<"$env")/$(val CORRAL_JOB_ID <<<"$env")" "/usr/local/bin:/usr/bin:/bin/$id" \
    "... and what corral sets (the default PATH, CORRAL_JOB_ID)"
id=$(in_dir "$W" $U "$CORRAL" submit -p envt --export=CORRALTEST_A,CORRALTEST_C,CORRALTEST_X=x -- /usr/bin/env)
env=$(envof "$id")
is "$(grep '^CORRALTEST_' <<<"$env" | sort | tr '\n' ' ')" "CORRALTEST_A=a CORRALTEST_C=c CORRALTEST_X=x " \
    "--export=A,C,X=x: those two of the submitter's, and X set"
is "$(val PATH <<<"$env")" "/usr/local/bin:/usr/bin:/bin" "... PATH not among them: corral's default"
id=$(in_dir "$W" $U "$CORRAL" submit -p envt -E CORRALTEST_MINE=overridden -E CORRAL_JOB_ID=1 -- /usr/bin/env)
env=$(envof "$id")
is "$(val CORRALTEST_MINE <<<"$env")/$(val CORRALTEST_C <<<"$env")" "overridden/c" \
    "-E wins over the exported value, the other variables stay"
is "$(val CORRAL_JOB_ID <<<"$env")" "$id" "CORRAL_JOB_ID set with -E: corral's still wins"

# --- refused ---
err=$(in_dir "$W" $U "$CORRAL" submit -p envt -E LD_PRELOAD="$LIBC" -- /bin/true 2>&1); rc=$?
is "$rc" 1 "-E LD_PRELOAD=...: refused"
like "$err" "policy 'envt' does not let a job set LD_PRELOAD \(\[job\] env_deny\): drop -E LD_PRELOAD" \
    "... naming the variable, the rule and the fix"
err=$(in_dir "$W" $U "$CORRAL" submit -p envt --export=ALL,LD_AUDIT=x -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^1/.*does not let a job set LD_AUDIT" "--export=ALL,LD_AUDIT=x: explicit too, refused"
big=$(head -c 20000 /dev/zero | tr '\0' x)
err=$(in_dir "$W" $U env CORRALTEST_BIG="$big" "$CORRAL" submit -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/.*the environment variable CORRALTEST_BIG is 20000 bytes long.*--export" \
    "a variable too long for a job: an error naming it and the fix, nothing submitted"
part=$(head -c 12000 /dev/zero | tr '\0' y)
err=$(in_dir "$W" $U env Q1="$part" Q2="$part" Q3="$part" "$CORRAL" submit -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/.*the job's environment has [0-9]+ variables of [0-9]+ bytes in all, more than a job may carry" \
    "an environment too big in all: its count and size, never cut short"
err=$(in_dir "$W" $U "$CORRAL" submit --export=NONE,CORRALTEST_A -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/.*--export=NONE stands alone" "--export=NONE with names: a usage error"

# --- who may read it ---
id=$(in_dir "$W" $U "$CORRAL" submit -p envt -J secretive -- /bin/true)
wait_final "$id" >/dev/null
out=$(as $U show --json "$id")
like "$out" "\"CORRALTEST_MINE\": \"only-mine $$\"" "the owner reads the stored environment (show)"
grep -qE '"(CORRAL_JOB_ID|CORRAL_POLICY|USER|HOME)":' <<<"$out"; is $? 1 \
    "... without the submitter's CORRAL_JOB_ID, CORRAL_POLICY, USER and HOME (corral sets those)"
like "$("$CORRAL" show "$id")" "'CORRALTEST_MINE=only-mine $$'" "... and so does an admin"
out=$(as $V show --json "$id" 2>&1); rc=$?
is "$rc/$out/$(as $U show --json "$id" | grep -c "only-mine $$")" "1/corral: no job $id/1" \
    "another user cannot show it (no such job, as for any other user's), its owner can"

# --- output where users look ---
id=$(in_dir "$W" $U "$CORRAL" submit -p envt -J sim -o 'out/%x-%j.out' -e './sub/../err-%u-%j.%%' \
    -- /bin/sh -c 'echo to-stdout; echo to-stderr >&2')
is "$(wait_final "$id")" COMPLETED "a job with -J, -o and -e runs"
o=$W/out/sim-$id.out e=$W/err-$U-$id.%
is "$(cat "$o" 2>&1)" "to-stdout" "-o out/%x-%j.out: the job's stdout, relative to the submit directory"
is "$(cat "$e" 2>&1)" "to-stderr" "-e ./sub/../err-%u-%j.%%: its stderr, %u the user, %% a %"
is "$(stat -c %U "$o" 2>&1)/$(stat -c %U "$e" 2>&1)" "$U/$U" "... both owned by the user"
like "$(as $U show --json "$id")" "\"stdout\": \"$o\"" "show gives the path the job wrote to, patterns replaced"
like "$(as $U show "$id")" "name +sim" "show: the name"
like "$(as $U list)" $'\n'"$id +$U +COMPLETED +envt +sim " "list: the NAME column"
like "$(as $U list --json)" "\"name\": \"sim\"" "list --json: the name"
err=$(as $U logs "$id" 2>&1); rc=$?
like "$rc/$err" "^1/.*writes its stdout to $o \(chosen at submit\)" "logs says where the output is"
id=$(in_dir "$W" $U "$CORRAL" submit -p envt -o both.%j -e both.%j -- /bin/sh -c 'echo 1; echo 2 >&2; echo 3')
wait_final "$id" >/dev/null
is "$(tr '\n' ' ' <"$W/both.$id" 2>&1)" "1 2 3 " "-o F -e F: both streams in one file, in the order written"
id=$(in_dir "$W/sub" $U "$CORRAL" submit -p envt --output %x.%j -- /bin/echo hi)
wait_final "$id" >/dev/null
is "$(cat "$W/sub/echo.$id" 2>&1)" "hi" "--output %x.%j without -J: %x is the command's base name, in the cwd"
id=$(in_dir / $U "$CORRAL" submit -p envt -C "$W/sub" --error e.txt -- /bin/sh -c 'echo oops >&2; echo fine')
wait_final "$id" >/dev/null
is "$(cat "$W/sub/e.txt" 2>&1)/$(as $U logs "$id")" "oops/fine" \
    "-C DIR --error FILE: relative to the working directory; stdout stays in the spool (corral logs)"
mkdir -p "$TEST_TMP/root-only"
id=$(in_dir "$TEST_TMP" $U "$CORRAL" submit -p envt -o "root-only/%j" -- /bin/echo no)
is "$(wait_final "$id")" FAILED "-o DIR/%j into a directory only root may write: the job fails (opened as the user)"
[ ! -e "$TEST_TMP/root-only/$id" ]; ok $? "... and no file is made there"

# --- refused output options ---
err=$(in_dir "$W" $U "$CORRAL" submit -o 'x-%b' -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^1/.*field 'stdout': unknown pattern '%b' \(%j the job id, %x its name, %u the user, %A the array's id, %a the array task id, %% a percent sign\)" \
    "an unknown pattern is refused, naming the ones there are"
err=$(in_dir "$W" $U "$CORRAL" submit -J a/b -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/corral: invalid job name 'a/b'" "-J with a '/': refused"
err=$(in_dir "$W" $U "$CORRAL" submit -e out/ -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/corral: --error out/ names a directory" "-e DIR/: refused"
err=$(in_dir "$W" $U "$CORRAL" submit -e '' -- /bin/true 2>&1); rc=$?
like "$rc/$err" "^2/corral: --error expects a file name" "-e '': refused"
# the old absolute --stdout still works, now with patterns
id=$(in_dir / $U "$CORRAL" submit -p envt --stdout "$W/old-%j" -- /bin/echo old)
wait_final "$id" >/dev/null
is "$(cat "$W/old-$id" 2>&1)" "old" "--stdout ABSOLUTE (an alias of --output) takes patterns too"
# a raw request: corrald checks the patterns itself
out=$(printf '%s' '{"op":"submit","argv":["/bin/true"],"cwd":"/","stderr":"/x/%q"}' | "$RAWSEND" "$SOCK" 2>&1)
like "$out" "field 'stderr': unknown pattern '%q'" "corrald refuses an unknown pattern in a raw request too"

corrald_stop
is "$(corrald_cgroups_left)" 0 "no job cgroup left"
done_testing
