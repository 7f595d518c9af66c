#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrald-journal.t — what corrald under a real systemd (252, PID 1 of its
# own namespaces, tests/recipes/systemd-ns, with journald, D-Bus and logind)
# writes to the journal, read back with journalctl -o json:
#   (a) a job's start, end and epilogue result carry the MESSAGE_IDs that
#       corrald(8) JOURNAL FIELDS documents, with CORRAL_JOB=, CORRAL_USER=,
#       CORRAL_STATE=, CORRAL_EXIT= and CORRAL_EPILOGUE_EXIT=;
#   (b) the lines of corral-epilogue run by corrald carry CORRAL_JOB= and
#       CORRAL_USER= (here: its removal of the user's linger flag);
#   (c) a launch that fails (the job's --stdout is a FIFO) gives an error
#       line of corral-launch with CORRAL_JOB=, and the job's reason still
#       has it;
#   (w) with WatchdogSec=3s, the core's pings keep corrald alive (the
#       helper is the main process systemd watches);
#   (d) the epilogue tells logind that the linger flag is gone: the user's
#       manager, spared by the kill (--keep-session), stops; with
#       --logind no it does not (the control).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/corrald-lib.sh"
. "$CORRAL_SRC/tests/systemd-lib.sh"
require_root
[ -x "$CORRAL_BUILD/corral-epilogue" ] || plan_skip "corral-epilogue not built"
[ -x /lib/systemd/systemd-logind ] || plan_skip_unless_must systemd "no systemd-logind (install systemd)"

# The ids corrald(8) documents: ".B <id>" then the event's first word.
man_id() { awk -v want="$1" '/^\.B [0-9a-f]+$/ && length($2) == 32 { id = $2; getline; if (index($0, want) == 1) print id }' \
    "$CORRAL_SRC/man/corrald.8"; }
ID_STARTED=$(man_id Started)
ID_ENDED=$(man_id Ended)
ID_EPILOGUE=$(man_id "The epilogue")
[ ${#ID_STARTED} = 32 ] && [ ${#ID_ENDED} = 32 ] && [ ${#ID_EPILOGUE} = 32 ] ||
    plan_skip_unless_must systemd "corrald(8) JOURNAL FIELDS does not name the MESSAGE_IDs"

make_tmpdir
corrald_setup 2
make_test_user corraltestjn 61172
make_test_user corraltestlg 61173
# no user namespace for jobs in systemd-ns (see corrald-systemd.t); the
# epilogue strips linger flags here
printf '[namespaces]\nuser = host\n' >>"$TEST_TMP/policies/t.ini"
sed -i 's/^strip_linger = no$/strip_linger = yes/' "$TEST_TMP/policies/t.ini"
sdns_start $CORRAL_SRC $CORRAL_BUILD $TEST_TMP
plan 28

sdns_install_corrald "corrald.service.d/watchdog.conf=$(printf '[Service]\nWatchdogSec=3s')" &&
    inside systemctl start corrald.socket systemd-logind.service
ok $? "corrald.socket and systemd-logind start"

# submit USER ARGS... -> the job id (inside)
submit() { local u=$1; shift; inside_as "$u" env CORRAL_SOCKET="$SOCK" "$CORRAL" submit --cwd / "$@"; }
# done_job ID: waits (two minutes at most: under ASan every step inside
# systemd-ns is slow) until the job's epilogue has run; prints its state.
# The next job of the same user must not start before: that epilogue kills
# whatever the user runs outside a job, a `corral submit` too.
done_job() {
    local out end=$(($(date +%s) + 120))
    while :; do
        out=$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show "$1" 2>/dev/null)
        grep -q '^epilogue ' <<<"$out" && break
        [ "$(date +%s)" -ge "$end" ] && { fail_diag "job $1: no epilogue after 120 s"; break; }
        sleep 0.2
    done
    sed -n 's/^state  *//p' <<<"$out"
}
# entries FILTER... -> journalctl -o json lines (one entry a line), waiting
# (10 s at most) for at least one: journald reads its socket on its own time
entries() {
    local i out
    for i in $(seq 50); do
        out=$(inside journalctl -q --no-pager -o json "$@")
        [ -n "$out" ] && break
        sleep 0.2
    done
    printf '%s\n' "$out"
}
# field KEY <<< one entry
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -1; }

# (a) a job that exits 3
a=$(submit corraltestjn -- /bin/sh -c 'exit 3')
t0=$(date +%s)
main_pid=$(inside systemctl show -p MainPID --value corrald.service)
is "$(done_job "$a")" FAILED "a job that exits 3 fails"
e=$(entries CORRAL_JOB="$a" MESSAGE_ID="$ID_STARTED")
is "$(field CORRAL_USER <<<"$e")/$(field CORRAL_STATE <<<"$e")" "corraltestjn/RUNNING" \
    "its start: the documented MESSAGE_ID with CORRAL_JOB=, CORRAL_USER=, CORRAL_STATE=RUNNING"
like "$(field CORRAL_LAUNCHER_PID <<<"$e")" '^[0-9]+$' "the start names the launcher's pid"
e=$(entries CORRAL_JOB="$a" MESSAGE_ID="$ID_ENDED")
is "$(field CORRAL_USER <<<"$e")/$(field CORRAL_STATE <<<"$e")/$(field CORRAL_EXIT <<<"$e")" "corraltestjn/FAILED/3" \
    "its end: the documented MESSAGE_ID with CORRAL_STATE=FAILED and CORRAL_EXIT=3"
like "$(field MESSAGE <<<"$e")" "^job $a \\(corraltestjn\\): FAILED, exit 3:0" "the end's MESSAGE= reads as before"
like "$(entries CORRAL_JOB="$a" SYSLOG_IDENTIFIER=corrald | grep -c "helper: job $a launched for corraltestjn")" '^1$' \
    "the root helper's lines about the job carry CORRAL_JOB= too"
e=$(entries CORRAL_JOB="$a" MESSAGE_ID="$ID_EPILOGUE")
is "$(field CORRAL_EPILOGUE_EXIT <<<"$e")" 0 "its epilogue's result: the documented MESSAGE_ID with CORRAL_EPILOGUE_EXIT=0"
is "$(inside journalctl -q --no-pager -o cat MESSAGE_ID="$ID_ENDED" CORRAL_STATE=FAILED CORRAL_JOB="$a" | wc -l)" 1 \
    "journalctl MESSAGE_ID=<ended> CORRAL_STATE=FAILED finds it"

# (b) the epilogue's lines: the user lingers, the job's epilogue removes it
inside loginctl enable-linger corraltestjn
ok $? "loginctl enable-linger for the job's user"
b=$(submit corraltestjn -- /bin/true)
is "$(done_job "$b")" COMPLETED "a job that exits 0 completes"
e=$(entries CORRAL_JOB="$b" MESSAGE_ID="$ID_ENDED")
is "$(field CORRAL_STATE <<<"$e")/$(field CORRAL_EXIT <<<"$e")" "COMPLETED/0" "its end: CORRAL_STATE=COMPLETED, CORRAL_EXIT=0"
# the core logs the epilogue's result after the epilogue's own lines: once
# that entry is in, they all are
entries CORRAL_JOB="$b" MESSAGE_ID="$ID_EPILOGUE" >/dev/null
e=$(entries CORRAL_JOB="$b" SYSLOG_IDENTIFIER=corral-epilogue | grep 'remove linger')
is "$(field CORRAL_USER <<<"$e")" corraltestjn "corral-epilogue's line about the linger flag carries CORRAL_JOB= and CORRAL_USER="
like "$(field MESSAGE <<<"$e")" "^remove linger /var/lib/systemd/linger/corraltestjn -> .*: removed" "... and says what it did"
is "$(inside sh -c 'ls /var/lib/systemd/linger | grep -cx corraltestjn')" 0 "the flag is gone"
e=$(entries SYSLOG_IDENTIFIER=corral-epilogue | grep -c '"CORRAL_JOB"' )
is "$e" "$(entries SYSLOG_IDENTIFIER=corral-epilogue | wc -l)" "every line of corral-epilogue has a CORRAL_JOB="

# (c) a launch that fails: stdout is a FIFO
inside sh -c 'mkfifo -m 0666 /tmp/corraltest-fifo'
c=$(submit corraltestjn --stdout /tmp/corraltest-fifo -- /bin/echo hi)
is "$(done_job "$c")" FAILED "a job whose --stdout is a FIFO fails at launch"
e=$(entries CORRAL_JOB="$c" SYSLOG_IDENTIFIER=corral-launch)
like "$(field MESSAGE <<<"$e")" 'is a FIFO' "corral-launch's error is in the journal under CORRAL_JOB="
is "$(field CORRAL_USER <<<"$e")/$(field PRIORITY <<<"$e")" "corraltestjn/3" "... with CORRAL_USER= at priority err"
like "$(inside env CORRAL_SOCKET="$SOCK" "$CORRAL" show "$c" | sed -n 's/^reason  *//p')" 'is a FIFO' \
    "the job's reason still has the launcher's message (its stderr file)"
e=$(entries CORRAL_JOB="$c" MESSAGE_ID="$ID_ENDED")
like "$(field CORRAL_STATE <<<"$e")/$(field CORRAL_REASON <<<"$e")" '^FAILED/.*is a FIFO' "its end has CORRAL_REASON="

# (w) ten seconds after corrald started, more than three WatchdogSec=: still
# the same process, never restarted
while [ $(($(date +%s) - t0)) -lt 10 ]; do sleep 1; done
is "$(inside systemctl show -p MainPID --value corrald.service)/$(inside systemctl show -p NRestarts --value corrald.service)" \
    "$main_pid/0" "WatchdogSec=3s: the core's WATCHDOG=1 pings keep corrald running (no restart)"

# (d) logind. The user's manager is spared by the kill (--keep-session with
# its session), so only logind can stop it.
lg_uid=$(id -u corraltestlg)
wait_manager() { # wait_manager active|inactive
    local i st
    for i in $(seq 150); do
        st=$(inside systemctl is-active "user@$lg_uid.service")
        [ "$st" = "$1" ] && break
        [ "$1" = inactive ] && [ "$st" = failed ] && break
        sleep 0.2
    done
    echo "$st"
}
epilogue_lg() {
    local sid
    sid=$(inside systemctl show -p MainPID --value "user@$lg_uid.service")
    inside "$CORRAL_BUILD/corral-epilogue" --user corraltestlg --policy-dir "$TEST_TMP/policies" --policy t \
        --json --keep-session "$sid" "$@" 2>>"$TEST_TMP/epilogue.err" | grep '"type":"linger"'
}
inside loginctl enable-linger corraltestlg
is "$(wait_manager active)" active "a lingering user's manager runs"
rec=$(epilogue_lg --logind no)
like "$rec" '"result":"removed".*"logind":"not asked"' "control: --logind no removes the flag and does not tell logind"
is "$(inside systemctl is-active "user@$lg_uid.service")" active "control: logind keeps the manager (it read the flag before)"
inside loginctl enable-linger corraltestlg
rec=$(epilogue_lg)
like "$rec" '"result":"removed".*"logind":"disabled"' "the epilogue removes the flag and tells logind (SetUserLinger)"
is "$(wait_manager inactive)" inactive "logind stops the user's manager"
n=$(inside sh -c "ls '$TEST_TMP/quarantine/corraltestlg/' | grep -c '^linger-corraltestlg-.*[0-9]\$'")
is "$n" 2 "both flags are in the quarantine, the record of the removal"

done_testing
