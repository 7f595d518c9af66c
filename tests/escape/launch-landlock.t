#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-landlock.t — what the job's Landlock domain closes (lib/landlock.c,
# corral.policy(5) [landlock]): with net = host (the default) the abstract
# unix socket namespace is the host's, so without Landlock a job connects to
# a root service's @socket and to another job's; with pid = host it can
# signal the user's processes outside the job; with read/write rules it
# reaches only the files below them. Each escape is first shown to work
# with [landlock] mode = off, then contained under the default policy. On a
# kernel without Landlock scopes (ABI < 6) the checks skip with the reason
# (capability "landlock" for CORRAL_MUST_RUN), and a job under mode =
# required must not start.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
[ -x "$ESCAPE/escape-landlock" ] || plan_skip "escape programs not built ($ESCAPE)"
plan 14

probe=$("$ESCAPE/escape-landlock" probe 2>&1)
probe_rc=$?

printf '[policy]\ninherit = default\n[landlock]\nmode = off\n' >"$POLDIR/lloff.ini"
printf '[policy]\ninherit = default\n[landlock]\nmode = required\n' >"$POLDIR/llreq.ini"
printf '[policy]\ninherit = default\n[namespaces]\npid = host\n' >"$POLDIR/pidhost.ini"
printf '[policy]\ninherit = pidhost\n[landlock]\nmode = off\n' >"$POLDIR/pidhostoff.ini"
# a job that may read the system and its staged programs, and write only
# /dev (for /dev/null) and its private /tmp
printf '[policy]\ninherit = default\n[landlock]\nread = /usr, /lib, /lib64, /bin, /etc, /proc, %s\nwrite = /dev, /tmp\n' \
    "$BIN_STAGE" >"$POLDIR/llfs.ini"
chmod 0644 "$POLDIR"/*.ini

# the host's root service: a listener on an abstract unix socket
name=corraltest-ll-$$
"$ESCAPE/escape-landlock" listen "$name" >"$TEST_TMP/listen.out" 2>&1 &
listener=$!
_cleanup_add "kill $listener"
for _ in $(seq 50); do grep -q ready "$TEST_TMP/listen.out" && break; sleep 0.1; done
is "$(cat "$TEST_TMP/listen.out")" "ready" "the host listens on @$name"

# 1. abstract unix sockets
run_job lloff -- "$ESCAPE/escape-landlock" connect "$name"
is "$RC:$OUT" "0:escaped" "without Landlock a job connects to the host's @$name (net = host shares it)"
if [ $probe_rc -eq 0 ]; then
        run_job default -- "$ESCAPE/escape-landlock" connect "$name"
        is "$RC:$OUT" "0:contained" "default policy: the host's abstract socket is out of the job's reach"
        run_job default -- sh -c "'$ESCAPE/escape-landlock' listen job-own-$$ >/tmp/ready & until grep -q ready /tmp/ready; do sleep 0.05; done; '$ESCAPE/escape-landlock' connect job-own-$$; r=\$?; kill \$!; exit \$r"
        is "$RC:$OUT" "0:escaped" "... its own abstract sockets still work inside it"
        ok "$(printf '%s' "$RES" | grep -o '"warnings":\[[^]]*\]' | grep -qi landlock && echo 1 || echo 0)" \
                "the result record's warnings name nothing of Landlock"
else
        for _ in 1 2 3; do skip_or_fail landlock "${probe#unavailable: }"; done
fi

# 2. signals (pid = host: the job sees the host's processes)
setpriv --reuid "$TUID" --regid "$TUID" --clear-groups sleep 300 &
victim=$!
_cleanup_add "kill -9 $victim"
if [ $probe_rc -eq 0 ]; then
        run_job pidhost -- "$ESCAPE/escape-landlock" signal "$victim"
        is "$RC:$OUT" "0:contained" "pid = host: the job cannot signal the user's process outside it"
        kill -0 $victim 2>/dev/null
        ok $? "... which is still alive"
        run_job pidhostoff -- "$ESCAPE/escape-landlock" signal "$victim"
        is "$RC:$OUT" "0:escaped" "... while with mode = off it could (the check above can fail)"
        { wait $victim; } 2>/dev/null
        # (SIGUSR1 ends the sleep; if it did not, the job's end would)
        run_job default -- sh -c "sleep 30 & exec '$ESCAPE/escape-landlock' signal \$!"
        is "$RC:$OUT" "0:escaped" "the job still signals its own processes"
else
        for _ in 1 2 3 4; do skip_or_fail landlock "${probe#unavailable: }"; done
fi

# 3. filesystem rules (ABI 1 is enough)
secret=$(mktemp /var/lib/corraltest-secret.XXXXXX)
_cleanup_add "rm -f '$secret'"
chmod 0644 "$secret"
if [ "$(cat /sys/kernel/security/lsm 2>/dev/null)" != "" ] && ! grep -q landlock /sys/kernel/security/lsm; then
        for _ in 1 2 3; do skip_or_fail landlock "Landlock is not in this kernel's lsm list"; done
elif [ $probe_rc -eq 0 ] || [ "${probe#unavailable: Landlock ABI}" != "$probe" ]; then
        run_job default -- "$ESCAPE/escape-landlock" read "$secret"
        is "$RC:$OUT" "0:escaped" "default policy (no read/write rules): a world-readable file is readable"
        run_job llfs -- "$ESCAPE/escape-landlock" read "$secret"
        is "$RC:$OUT" "0:contained" "read/write rules: a file outside them is out of reach"
        run_job llfs -- sh -c "echo x >/tmp/f && cat /tmp/f /etc/hostname >/dev/null && echo fine"
        is "$RC:$OUT" "0:fine" "... while the listed paths work (write /tmp, read /etc)"
else
        for _ in 1 2 3; do skip_or_fail landlock "${probe#unavailable: }"; done
fi

# 4. mode = required on a kernel that lacks what is asked; and policy show
if [ $probe_rc -eq 0 ]; then
        run_job llreq -- /bin/true
        is "$RC" 0 "mode = required: this kernel has all of it, the job runs"
else
        run_job llreq -- /bin/true
        is "$RC:$(json failed_step)" "211:landlock" "mode = required: a kernel without scopes stops the launch (exit 211)"
fi
out=$("$CORRAL_BUILD/corral" policy show --policy-dir "$POLDIR" default 2>&1)
like "$out" "Landlock on this kernel: " "corral policy show says what Landlock does on this kernel"
done_testing
