#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-socket.t — socket activation: systemd-socket-activate listens on
# the SOCK_SEQPACKET socket as corrald.socket would and starts corrald on the
# first connection, passing the socket (LISTEN_FDS); corrald serves on it.
# Also: clear CLI errors when the daemon is not running.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-launch" ] && [ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-launch or corral-epilogue not built"
command -v systemd-socket-activate >/dev/null || plan_skip_unless_must systemd "systemd-socket-activate not installed (package systemd, scripts/deps.sh)"
plan 19

make_tmpdir
corrald_setup 2
make_test_user corraltests 61131
# the launcher a copy, which the last checks remove
mkdir -p "$TEST_TMP/bin"
cp "$CORRAL_BUILD/corral-launch" "$TEST_TMP/bin/corral-launch"

err=$("$CORRAL" status 2>&1); rc=$?
is "$rc" 1 "no daemon: the CLI fails"
like "$err" "corrald is not running: no socket at $SOCK" "... saying the daemon is not running and where it looked"

systemd-socket-activate --seqpacket -l "$SOCK" -- "$CORRALD" --config "$TEST_TMP/corral.conf" \
    --launch "$TEST_TMP/bin/corral-launch" --epilogue "$CORRAL_BUILD/corral-epilogue" \
    >>"$TEST_TMP/corrald.log" 2>&1 8>&- &
ACTIVATOR=$!
_cleanup_add "kill_activated"
kill_activated() {
    local p
    for p in $(ps -o pid= --ppid "$ACTIVATOR") "$ACTIVATOR"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.5
    for p in $(ps -o pid= --ppid "$ACTIVATOR") "$ACTIVATOR"; do kill -KILL "$p" 2>/dev/null; done
}
for i in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
chmod 0666 "$SOCK" # what SocketMode=0666 of corrald.socket does
grep -q 'Ready' "$TEST_TMP/corrald.log"; is $? 1 "before the first connection corrald has not started"

out=$("$CORRAL" status 2>&1); rc=$?
is "$rc" 0 "the first connection starts corrald, which answers on the passed socket"
like "$out" "corrald .*running.*queued" "status answered"
grep -q 'Using the socket passed by systemd' "$TEST_TMP/corrald.log"; ok $? "corrald used the socket from LISTEN_FDS"
id=$(submit_as corraltests -- /bin/echo activated)
is "$(wait_final "$id")" "COMPLETED" "a job runs through the socket-activated corrald"
is "$(as corraltests logs "$id")" "activated" "its output"
# --launch: the named corral-launch binary is executed, not the built-in one;
# it gets the request as a command line (launch_request_to_argv()), and
# the job's environment through --env-fd (a memfd): ps never shows a secret
# of the job, not even for the moment before a launcher blanks its argv
secret=s3cr3t-$$-$RANDOM
id=$(submit_as corraltests --env "SECRET=$secret" -- /bin/sh -c 'echo "$SECRET"; exec /bin/sleep 300')
wait_state "$id" RUNNING
# the job started: its launcher has parsed its command line
for _ in $(seq 300); do [ "$(as corraltests logs "$id")" = "$secret" ] && break; sleep 0.1; done
is "$(as corraltests logs "$id")" "$secret" "with --launch, a job submitted with --env has the variable"
lpid=$(sqlite3 "$TEST_TMP/state/queue.db" "SELECT launcher_pid FROM jobs WHERE id=$id")
is "$(readlink "/proc/$lpid/exe")" "$(readlink -f "$TEST_TMP/bin/corral-launch")" "... its launcher is that binary"
cmdline=$(tr '\0' ' ' <"/proc/$lpid/cmdline")
like "$cmdline" "--env-fd [0-9]+ .*-- /bin/sh -c" "... run with the job's request as its command line, the environment as --env-fd"
is "$(grep -cF -e "$secret" -e SECRET= <<<"$cmdline")" 0 "... which names no variable of the job"
# the memfd was the launcher's alone: nothing of the job's user holds it
leak=0
for p in $(ps -o pid= -u corraltests); do
    ls -l "/proc/$p/fd" 2>/dev/null | grep -q 'memfd:corral-env' && leak=$((leak + 1))
done
is "$leak" 0 "... and the job has no descriptor of that memfd"
as corraltests cancel "$id" >/dev/null
is "$(wait_final "$id")" "CANCELLED" "... and its job is cancelled through it"
# a launcher that cannot be executed (gone since corrald started): the job
# fails at launch with the reason naming the binary
rm -f "$TEST_TMP/bin/corral-launch"
id=$(submit_as corraltests -- /bin/true)
is "$(wait_final "$id")" "FAILED" "--launch naming a binary that is gone: the job FAILED"
like "$(as corraltests show "$id" 2>&1)" "cannot execute $TEST_TMP/bin/corral-launch" "... and show says the binary cannot be executed"
chmod 0600 "$SOCK"
err=$(as corraltests status 2>&1); rc=$?
is "$rc" 1 "a socket the user may not open: the CLI fails"
like "$err" "permission denied on $SOCK" "... saying so and naming the socket"
kill_activated
is "$(corrald_cgroups_left)" 0 "no job cgroup is left"
done_testing
