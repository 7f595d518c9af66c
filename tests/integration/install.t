#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# install.t — `make install` and `make uninstall` followed literally, with
# PREFIX and SYSCONFDIR elsewhere than /usr/local and /etc: the programs,
# man pages, docs, units and batch-system glue land where they should, the
# glue names the installed programs (no /usr/local/sbin left), the programs
# have SYSCONFDIR compiled in, an admin's edited policy is never overwritten
# (NAME.ini.new beside it) nor removed. And corral-epilogue without a policy
# file runs on its built-in defaults, as documented, while a policy it was
# told to use must exist; its log names the job once.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
require_root
# every glue file of scripts/ (but deps.sh, which installs build packages)
glue=$(cd "$CORRAL_SRC/scripts" && ls | grep -vx deps.sh)
NTESTS=51 # the checks besides the 3 per glue file
plan $((NTESTS + 3 * $(wc -w <<<"$glue")))

# An admin's shell, not the make that runs this test (check-asan passes
# BUILD=build-asan SANITIZE=1 down through these)
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL BUILD SANITIZE ASAN_OPTIONS UBSAN_OPTIONS
make_tmpdir
U=corraltestinst
UID_U=61861
make_test_user "$U" "$UID_U"
EP=$CORRAL_BUILD/corral-epilogue

# ---- 1. a package build: DESTDIR, PREFIX and SYSCONFDIR elsewhere ----
P=$TEST_TMP/prefix # an absolute PREFIX that exists after the real install (3.)
STAGE=$TEST_TMP/stage
VARS=(BUILD="$TEST_TMP/build" PREFIX="$P" SYSCONFDIR="$P/etc")
mk() { (cd "$CORRAL_SRC" && make --no-print-directory -j2 "${VARS[@]}" "$@"); }
out=$(mk install DESTDIR="$STAGE" 2>&1); rc=$?
ok $rc "make install DESTDIR=... PREFIX=... SYSCONFDIR=... succeeds"; [ $rc = 0 ] || fail_diag "${out: -3000}"
outside=$(find "$P" 2>/dev/null | head -3)
is "$outside" "" "with DESTDIR nothing is installed outside it"
S=$STAGE$P
for p in sbin/corral-epilogue sbin/corral-launch sbin/corrald bin/corral; do
    [ -x "$S/$p" ]; ok $? "program $p is installed and executable"
done
n_man=$(ls "$CORRAL_SRC"/man/*.[1-8] | wc -l)
n_inst=$(find "$S/share/man" -type f -name '*.[1-8]' | wc -l)
is "$n_inst" "$n_man" "every man page is installed ($n_man)"
[ -f "$S/share/man/man8/corral-epilogue.8" ]; ok $? "... corral-epilogue.8 in man8/"
like "$(cat "$S/share/man/man8/corral-epilogue.8")" "$P/etc/corral/policies" \
    "the man page names the configured policy directory"
[ -f "$S/share/doc/corral/epilogue-install.md" ]; ok $? "docs/epilogue-install.md is installed in share/doc/corral"
like "$(cat "$S/lib/systemd/system/corrald.service")" "ExecStart=$P/sbin/corrald" \
    "corrald.service runs the installed corrald"

# every glue file in libexec/corral, executable, naming installed programs only
n_glue=0
for g in $glue; do
    f=$S/libexec/corral/$g
    [ -x "$f" ]; ok $? "glue $g is installed executable in libexec/corral"
    [ -x "$f" ] && n_glue=$((n_glue + 1))
    left=$(grep -n '/usr/local/sbin/\|/usr/local/libexec/\|/etc/corral' "$f")
    is "$left" "" "glue $g: no default path left (all rewritten to PREFIX/SYSCONFDIR)"
    missing=
    for prog in $(grep -o "$P/s*bin/[a-z-]*" "$f" | sort -u); do
        [ -x "$STAGE$prog" ] || missing="$missing $prog"
    done
    is "$missing" "" "glue $g: every program it names is installed"
done
grep -q "exec $P/sbin/corral-epilogue " "$S/libexec/corral/slurm-epilog.sh"
ok $? "slurm-epilog.sh execs the installed corral-epilogue"
grep -q "exec $P/sbin/corral-epilogue " "$S/libexec/corral/torque-epilogue"
ok $? "torque-epilogue execs the installed corral-epilogue"

# the compiled-in configuration paths come from SYSCONFDIR
strings "$S/sbin/corral-epilogue" | grep -qx "$P/etc/corral/policies"
ok $? "corral-epilogue has $P/etc/corral/policies compiled in"
like "$("$S/sbin/corral-epilogue" --help 2>&1)" "default $P/etc/corral/policies" \
    "... and its --help names it"
like "$("$S/sbin/corrald" --help 2>&1)" "default $P/etc/corral/corral.conf" \
    "corrald's --help names the node config under SYSCONFDIR"
strings "$S/sbin/corral-launch" | grep -qx "$P/etc/corral/policies"
ok $? "corral-launch has the policy directory under SYSCONFDIR compiled in"
like "$(cat "$S/etc/corral/corral.conf")" "policy_dir = $P/etc/corral/policies" \
    "the installed node config names the policy directory under SYSCONFDIR"
for f in default.ini strict.ini; do
    cmp -s "$S/etc/corral/policies/$f" "$S/share/corral/policies/$f"
    ok $? "policy $f is installed, and its shipped version in share/corral"
done

out=$(mk uninstall DESTDIR="$STAGE" 2>&1); rc=$?
ok $rc "make uninstall DESTDIR=... succeeds"; [ $rc = 0 ] || fail_diag "$out"
left=$(find "$STAGE" -type f)
is "$left" "" "... and removes every file it installed"

# ---- 2. the real thing (no DESTDIR): the installed programs and glue run ----
out=$(mk install 2>&1); rc=$?
ok $rc "make install into $P succeeds (the same build)"; [ $rc = 0 ] || fail_diag "${out: -3000}"
unlike_rebuild=$(grep -c '^cc ' <<<"$out")
is "$unlike_rebuild" "0" "the same SYSCONFDIR needs no rebuild"
E=$P/etc/corral/policies
out=$("$P/sbin/corral-epilogue" --user "$U" --dry-run --json 2>&1); rc=$?
ok $rc "the installed corral-epilogue --user $U --dry-run --json exits 0"; [ $rc = 0 ] || fail_diag "$out"
unlike=$(grep -c 'built-in defaults' <<<"$out")
is "$unlike" "0" "... with the installed default policy from SYSCONFDIR (no built-in defaults)"
# the glue as slurmd runs it (no PATH, no HOME), dry run, log into the test dir
out=$(env -i SLURM_JOB_ID=5 SLURM_JOB_UID=$UID_U SLURM_JOB_USER=$U "$P/libexec/corral/slurm-epilog.sh" \
    --dry-run --json --log-file "$TEST_TMP/slurm.log" 2>&1); rc=$?
ok $rc "the installed slurm-epilog.sh runs corral-epilogue (dry run, exit 0)"; [ $rc = 0 ] || fail_diag "$out"
like "$(tail -1 <<<"$out")" '"type":"summary","mode":"slurm"' "... in Slurm mode"
log=$(cat "$TEST_TMP/slurm.log" 2>/dev/null)
like "$log" "corral-epilogue\[[0-9]+\]: job 5 \($U\): dry run: would kill" \
    "the log names the job and its user once: 'job 5 ($U): dry run...'"
dup=$(grep -c 'job 5: job 5\|: 5: ' <<<"$log")
is "$dup" "0" "... never 'job 5: job 5'"

# an admin edits a policy; the next install keeps it and puts the new one beside
echo "; site: edited by the admin" >>"$E/default.ini"
# strict.ini as an older release shipped it, never edited: upgraded in place
echo "; an older release" | tee -a "$E/strict.ini" >>"$P/share/corral/policies/strict.ini"
out=$(mk install 2>&1); rc=$?
ok $rc "make install again succeeds"; [ $rc = 0 ] || fail_diag "${out: -3000}"
grep -q 'edited by the admin' "$E/default.ini"; ok $? "the edited default.ini is kept"
cmp -s "$E/default.ini.new" "$CORRAL_SRC/policies/default.ini" ||
    cmp -s "$E/default.ini.new" "$P/share/corral/policies/default.ini"
ok $? "... the shipped version is beside it as default.ini.new"
like "$out" "kept your edited $E/default.ini; the shipped version is $E/default.ini.new" "... and make says so"
cmp -s "$E/strict.ini" "$P/share/corral/policies/strict.ini" && ! grep -q 'older release' "$E/strict.ini"
ok $? "an unedited policy of an older release is upgraded in place"
[ ! -e "$E/strict.ini.new" ]; ok $? "... without a strict.ini.new"
policy=$("$P/bin/corral" policy show default 2>&1)
like "$policy" "min_uid = [0-9]+ +; $E/default.ini:[0-9]+" \
    "the installed corral reads its policies under SYSCONFDIR (corral policy show default)"

# without default.ini the installed corral-epilogue falls back to the built-in defaults
mv "$E/default.ini" "$TEST_TMP/default.ini.saved"
out=$("$P/sbin/corral-epilogue" --sweep --dry-run 2>&1); rc=$?
ok $rc "with no $E/default.ini, --sweep --dry-run exits 0"; [ $rc = 0 ] || fail_diag "$out"
like "$out" "no policy file $E/default.ini, using the built-in defaults" "... and says it uses the built-in defaults"
mv "$TEST_TMP/default.ini.saved" "$E/default.ini"

out=$(mk uninstall 2>&1); rc=$?
ok $rc "make uninstall succeeds"; [ $rc = 0 ] || fail_diag "$out"
left=$(cd "$P" && find . -type f | sort)
is "$left" "./etc/corral/policies/default.ini" "it removes everything but the edited policy"
like "$out" "kept $E/default.ini: it differs from the shipped version" "... and says it kept it"

# ---- 3. corral-epilogue's policy: built-in defaults only when none is named ----
mkdir -m 0755 "$TEST_TMP/empty"
out=$("$EP" --policy-dir "$TEST_TMP/empty" --sweep --dry-run 2>&1); rc=$?
is "$rc" "0" "no default.ini in the policy dir: --sweep --dry-run exits 0"
like "$out" "using the built-in defaults" "... and says it uses the built-in defaults"
out=$("$EP" --policy-dir "$TEST_TMP/missing" --user "$U" --job 7 --dry-run --json \
    --log-file "$TEST_TMP/ep.log" 2>&1); rc=$?
is "$rc" "0" "a policy dir that does not exist: --user --dry-run exits 0 on the built-in defaults"
like "$(cat "$TEST_TMP/ep.log")" "job 7 \($U\): no policy file $TEST_TMP/missing/default.ini: the built-in defaults apply" \
    "... and its log says so"
out=$("$EP" --policy-dir "$TEST_TMP/empty" --policy default --sweep --dry-run 2>&1); rc=$?
is "$rc" "2" "--policy default named but missing: exit 2"
like "$out" "no policy named 'default'" "... saying which policy is missing"
out=$("$EP" --policy-dir "$TEST_TMP/empty" --policy site --sweep --dry-run 2>&1); rc=$?
is "$rc" "2" "--policy site missing: exit 2"
printf '[epilogue]\nmin_uid = many\n' >"$TEST_TMP/empty/default.ini"
out=$("$EP" --policy-dir "$TEST_TMP/empty" --sweep --dry-run 2>&1); rc=$?
is "$rc" "2" "a default.ini that does not load is an error, not a fallback (exit 2)"
like "$out" "default.ini:2" "... naming the file and line"

done_testing
