#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# policy-cli.t — `corral policy check|show|list|groups` end to end: the
# shipped policies are valid, every malformed policy of tests/policies/bad/
# gives exactly the FILE:LINE errors of its .err file and exit 1, strict
# permissions are enforced, and the man page documents every key and group.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
cd "$CORRAL_SRC" || exit 1

bad=(tests/policies/bad/[0-9]*.ini)
good=(tests/policies/good/*.ini)
plan $((27 + ${#bad[@]} * 2 + ${#good[@]}))

out=$("$CORRAL" policy check policies/*.ini 2>&1); rc=$?
is "$rc" 0 "shipped policies pass 'policy check' (strict permissions)"
like "$out" "policies/strict.ini: ok \(policy 'strict', inherits default\)" "check prints one ok line per file"

for f in "${bad[@]}"; do
    err=$("$CORRAL" policy check --no-strict-perms "$f" 2>&1 >/dev/null); rc=$?
    is "$rc" 1 "$(basename "$f"): exit 1"
    is "$err" "$(cat "${f%.ini}.err")" "$(basename "$f"): exact FILE:LINE errors"
done
for f in "${good[@]}"; do
    "$CORRAL" policy check --no-strict-perms -q "$f"; ok $? "$(basename "$f") is valid"
done

# several files: every error printed, valid ones still reported, exit 1
out=$("$CORRAL" policy check --no-strict-perms policies/default.ini tests/policies/bad/01-unknown-key.ini \
      tests/policies/bad/34-many-errors.ini 2>&1); rc=$?
is "$rc" 1 "a mix of valid and invalid files exits 1"
n=$(grep -c '^tests/policies/bad/.*:[0-9]*: ' <<<"$out")
is "$n" 6 "every error of every invalid file is printed"
like "$out" "2 of 3 policies invalid" "a count of invalid files closes the report"

out=$("$CORRAL" policy show -d policies strict); rc=$?
is "$rc" 0 "policy show strict"
like "$out" $'\nnet = isolated +; policies/strict.ini:[0-9]+' "show: net = isolated, set by strict.ini"
like "$out" $'\nmemory = 4G +; policies/default.ini:[0-9]+' "show: memory inherited from default.ini"
like "$out" $'\nmode = allowlist' "show: seccomp allowlist"
like "$out" $'\nnproc = unlimited +; default' "show: built-in defaults are marked"

# from the build tree, with no installed policy directory, the tree's policies/ are used
if [ ! -e /etc/corral/policies ]; then
    out=$(CORRAL_CONFIG=/nonexistent "$CORRAL" policy show strict 2>&1); rc=$?
    is "$rc" 0 "policy show strict from the build tree (no /etc/corral/policies)"
    make_tmpdir
    cp "$CORRAL" "$TEST_TMP/corral-elsewhere"
    CORRAL_CONFIG=/nonexistent "$TEST_TMP/corral-elsewhere" policy show strict >/dev/null 2>&1
    is "$?" 1 "a copy outside the build tree does not fall back to the source policies"
else
    skip "/etc/corral/policies exists (corral is installed here)"
    skip "/etc/corral/policies exists (corral is installed here)"
fi

json=$("$CORRAL" policy show --json -d policies strict); rc=$?
is "$rc" 0 "policy show --json"
like "$json" '"net": "isolated"' "JSON has namespaces.net"
like "$json" '"memory": 4294967296' "JSON sizes are bytes"
like "$json" '"chain": \[' "JSON lists the inheritance chain"
like "$json" '"landlock_on_this_kernel": \{' "JSON says what Landlock enforces on this kernel"

out=$("$CORRAL" policy list -d policies); rc=$?
like "$out" "default +grid batch job" "policy list shows names and descriptions"

out=$("$CORRAL" policy groups @mount); rc=$?
like "$out" "pivot_root" "policy groups @mount lists its syscalls"

# strict permissions: a group-writable copy is refused unless --no-strict-perms
make_tmpdir
cp policies/default.ini "$TEST_TMP/p.ini"; chmod 0664 "$TEST_TMP/p.ini"
err=$("$CORRAL" policy check "$TEST_TMP/p.ini" 2>&1); rc=$?
is "$rc" 1 "group-writable policy refused"
like "$err" "p.ini: refusing file writable by group or others \(mode 0664\)" "refusal names the file and mode"

# usage errors exit 2 with a message; --help exits 0
"$CORRAL" policy >/dev/null 2>&1; is $? 2 "'corral policy' without a command: exit 2"
"$CORRAL" frobnicate >/dev/null 2>&1; is $? 2 "unknown verb: exit 2"
"$CORRAL" policy show a b >/dev/null 2>&1; is $? 2 "policy show with two names: exit 2"
out=$("$CORRAL" policy --help); like "$out" "Usage: corral policy check" "policy --help"

# the man page documents every key and every syscall group
man=man/corral.policy.5
missing=""
# (the keys of the policy's sections; not the kernel's Landlock report)
for k in $("$CORRAL" policy show --json -d policies default | sed '/"landlock_on_this_kernel"/,/}/d' |
    grep -oE '^    "[a-z_]+"' | tr -d ' "'); do
    grep -q "^\.B $k\$" "$man" || missing="$missing $k"
done
is "$missing" "" "corral.policy(5) documents every key"
missing=""
for g in $("$CORRAL" policy groups --json | grep -oE '^  "@[a-z-]+"' | tr -d ' "'); do
    grep -q -- "$g" "$man" || missing="$missing $g"
done
is "$missing" "" "corral.policy(5) documents every syscall group"

done_testing
