#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# newcomer.t — README's first hour, as a new user lives it: the checkout is
# a clone in the user's own mode-0700 home directory, root runs `make run`
# from it (as `sudo make run` does), and the user submits, lists, follows
# and cancels jobs exactly as README shows. Also: a plain `make` without the
# -dev packages names `sudo make deps`; a daemon whose state would lie in the
# closed home says which directory keeps it out and what to do.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
command -v git >/dev/null || plan_skip "git is not installed"
plan 22

# A newcomer's shell, not the make that runs this test (check-asan passes
# BUILD=build-asan SANITIZE=1 down through these)
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL BUILD SANITIZE ASAN_OPTIONS UBSAN_OPTIONS
U=corraltestnew
UID_NEW=61701
HOMEDIR=/home/$U
make_tmpdir
make_test_user "$U" "$UID_NEW"
rm -rf "$HOMEDIR"
mkdir -m 0700 "$HOMEDIR" && chown "$U:$U" "$HOMEDIR" && usermod -d "$HOMEDIR" "$U"
_cleanup_add "rm -rf '$HOMEDIR'"
CLONE=$HOMEDIR/corral
DEV=$TEST_TMP/dev
export CORRAL_SOCKET=$DEV/corral.sock

# The checkout as the user would have it: the working tree (committed or
# not, without build outputs), owned by the user.
as_user() { (cd "$CLONE" && setpriv --reuid=$U --regid=$U --init-groups env HOME="$HOMEDIR" \
    CORRAL_SOCKET="$CORRAL_SOCKET" PATH="$CLONE/build:/usr/bin:/bin" "$@"); }
mkdir "$CLONE"
(cd "$CORRAL_SRC" && git ls-files -co --exclude-standard -z | grep -zv '^build' | tar --null -T - -cf -) |
    tar -xf - -C "$CLONE"
chown -R "$U:$U" "$CLONE"
is "$(stat -c %a "$HOMEDIR")" "700" "the clone lives in a mode-0700 home directory"

# 1. plain `make` without the packages (pkg-config finds none of them)
out=$(as_user env PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= make 2>&1); rc=$?
ok $((rc == 0)) "a plain make without the -dev packages fails"
like "$out" 'sudo make deps' "... and says to run sudo make deps (got: ${out:0:200})"

# 2. `sudo make run`: a node config that keeps cgroups and users in the test range
CG_PARENT=corraltest-$$
cat >"$TEST_TMP/corral.conf" <<EOC
[node]
slots = 2
admin_group = corraltestadm
user = corraltestd
cgroup_parent = $CG_PARENT
metrics_file = $TEST_TMP/metrics/corral.prom
EOC
chmod 0644 "$TEST_TMP/corral.conf"
groupdel corraltestadm >/dev/null 2>&1; groupadd -g 61090 corraltestadm
_cleanup_add "groupdel corraltestadm"
make_test_user corraltestd 61091
mkdir -p "$TEST_TMP/metrics"; chown corraltestd "$TEST_TMP/metrics"
_cleanup_add "corrald_remove_cgroups"

(cd "$CLONE" && exec setsid env SUDO_UID=$UID_NEW SUDO_GID=$UID_NEW SUDO_USER=$U MAKEFLAGS=-j2 \
    make run DEV_DIR="$DEV" CORRALD_ARGS="--config $TEST_TMP/corral.conf" >"$TEST_TMP/run.log" 2>&1 8>&-) &
MAKE_PID=$!
stop_run() { # SIGTERM to the corrald that make started (found by its executable), then make ends
    local p
    for p in $(ps -o pid= --sid "$MAKE_PID" 2>/dev/null); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$CLONE/build/corrald" ] && kill -TERM "$p" 2>/dev/null
    done
    for _ in $(seq 100); do kill -0 "$MAKE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- -"$MAKE_PID" 2>/dev/null
    wait "$MAKE_PID" 2>/dev/null
}
_cleanup_add "stop_run"
up=1
for _ in $(seq 900); do
    as_user corral status >/dev/null 2>&1 && { up=0; break; }
    kill -0 "$MAKE_PID" 2>/dev/null || break
    sleep 0.2
done
ok $up "sudo make run builds and starts corrald from the clone"
[ $up -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/run.log" | tail -n 30
like "$(cat "$TEST_TMP/run.log")" "export CORRAL_SOCKET=$DEV/corral.sock" "make run prints the line to export"
is "$(find "$CLONE" ! -user $U | head -n 3)" "" "everything in the clone (build/ included) still belongs to the user"
ok "$([ ! -e "$CLONE/var" ]; echo $?)" "no state is kept in the checkout"
is "$(stat -c '%U %a' "$DEV/policies/default.ini" 2>&1)" "root 644" "the daemon reads a root-owned copy of the policies"

# 3. README's walkthrough, as the user, from the clone
id=$(as_user corral submit -- /bin/sh -c 'echo hello from $(hostname); sleep 60')
like "$id" '^[0-9]+$' "corral submit prints the job id"
st=""
for _ in $(seq 100); do
    st=$(as_user corral show --json "$id" | tr -d ' \n' | grep -o '"state":"[A-Z_]*"')
    [ "$st" = '"state":"RUNNING"' ] && break
    sleep 0.1
done
is "$st" '"state":"RUNNING"' "the job runs (not refused: policies are root's in the copy)"
like "$(as_user corral list)" "^ID.*"$'\n'"$id +$U +RUNNING" "corral list shows it"
out=$(as_user timeout 20 corral logs -f "$id" | head -n 1)
like "$out" '^hello from ' "corral logs -f follows its stdout"
like "$(as_user corral cancel "$id")" "cancel" "corral cancel answers"
final=$(wait_final "$id")
is "$final" "CANCELLED" "the job ends CANCELLED"
out=$(as_user corral submit --wait -- /bin/echo hello); rc=$?
is "$rc" "0" "corral submit --wait returns the job's exit status"
out=$(as_user corral submit --wait -- /bin/sh -c 'exit 3'); rc=$?
is "$rc" "3" "... also when it is not 0"
id2=$(as_user corral submit -- /bin/pwd)
wait_final "$id2" >/dev/null
is "$(as_user corral logs "$id2")" "$CLONE" "a job runs in the directory it was submitted from, inside the closed home"

# 4. after make run, the user's own build still works
stop_run
out=$(as_user make 2>&1); rc=$?
is "$rc" "0" "after sudo make run, the user's plain make works (${out: -200})"

# 5. start-up failures name the cause and the fix
out=$("$CORRAL_BUILD/corrald" --config "$TEST_TMP/corral.conf" --state-dir "$CLONE/var/state" \
    --run-dir "$TEST_TMP/r" --output-dir "$TEST_TMP/o" --socket "$TEST_TMP/s.sock" 2>&1 8>&-); rc=$?
is "$rc" "1" "corrald with its state in the closed home exits 1"
like "$out" "cannot reach the state directory $CLONE/var/state: $HOMEDIR is mode 0700" \
    "... naming the directory that keeps the daemon user out (${out:0:300})"
mkdir -p "$TEST_TMP/userdev" && chown $U "$TEST_TMP/userdev"
out=$(cd "$CLONE" && "$CORRAL_BUILD/corrald" --dev-dir "$TEST_TMP/userdev" --config "$TEST_TMP/corral.conf" 2>&1 8>&-); rc=$?
is "$rc" "1" "a development directory that is not root's is refused"
like "$out" "userdev is owned by uid $UID_NEW" "... saying whose it is (${out:0:300})"
done_testing
