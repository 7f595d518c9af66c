#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-cron-at.t — with the real cron and atd, on the real spools: a
# crontab installed with `crontab -u` and an at job queued with at(1) are
# quarantined, and then do not run, while a control user's crontab and at
# job (same daemons, same minute) do run. This is the one slow test: cron
# runs jobs only at minute boundaries (up to ~60 s).
#
# The real /var/spool/cron is touched only for the two test users, whose
# entries are removed at exit; cron.allow and at.allow are pointed at the
# temporary root; the daemons are started here and stopped by pid (a cron
# that was already running is used and left alone).
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
command -v cron >/dev/null && command -v atd >/dev/null && command -v crontab >/dev/null &&
    command -v at >/dev/null || plan_skip_unless_must cron "cron and at are not installed (scripts/deps.sh)"
[ -d /var/spool/cron/crontabs ] && [ -d /var/spool/cron/atjobs ] || plan_skip "no Debian cron/at spools"
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
if pid_alive "$(cat /run/atd.pid 2>/dev/null)"; then
    plan_skip "an atd is already running: queued test jobs would run before the epilogue"
fi
plan 11

A=corraltestepq   # quarantined
B=corraltestepk   # control
make_test_user $A 61771 || { echo "# cannot create test user $A (uid 61771)"; exit 1; }
make_test_user $B 61772 || { echo "# cannot create test user $B (uid 61772)"; exit 1; }
M=$TEST_TMP/shared
SPOOL=/var/spool/cron/crontabs
ATSPOOL=/var/spool/cron/atjobs

at_files_of() { # the at job files of uid $1 in the real spool
    grep -l "^# atrun uid=$1 " "$ATSPOOL"/* 2>/dev/null
}
# at(1) counts its jobs in .SEQ: put the counter back at exit
if [ -f "$ATSPOOL/.SEQ" ]; then
    cp -p "$ATSPOOL/.SEQ" "$TEST_TMP/saved.SEQ"
    _cleanup_add "cp -p '$TEST_TMP/saved.SEQ' '$ATSPOOL/.SEQ'"
fi
# remove our entries from the real spools at exit, whatever happened
_cleanup_add "rm -f '$SPOOL/$A' '$SPOOL/$B'; for f in \$(at_files_of 61771) \$(at_files_of 61772); do rm -f \"\$f\"; done"

# --- start the daemons (cron now, atd after the epilogue) ---
cron_pid=
if pid_alive "$(cat /run/crond.pid 2>/dev/null)"; then
    diag "using the cron already running (pid $(cat /run/crond.pid))"
else
    cron -f </dev/null >/dev/null 2>&1 &
    cron_pid=$!
    _cleanup_add "kill $cron_pid; wait $cron_pid"
    sleep 0.3
    pid_alive $cron_pid || diag "cron did not start"
fi

# install and strip within one minute: not in the last 15 s of a minute,
# so neither crontab can fire before the epilogue ran
s=$(date +%-S)
[ "$s" -ge 45 ] && sleep $((61 - s))

# crontab(1) and at(1) check /etc/cron.allow and /etc/at.allow (an epilogue
# may well have written them): let the test users in for the two commands,
# then put the files back exactly as they were
allow_open() { # allow_open FILE: save it (or that it was absent), add the test users
    local b
    b=$(basename "$1")
    if [ -e "$1" ]; then cp -p "$1" "$TEST_TMP/saved.$b"; else touch "$TEST_TMP/absent.$b"; fi
    _cleanup_add "allow_restore '$1'"
    printf '%s\n%s\n' $A $B >>"$1"
}
allow_restore() { # once: the second call (at exit) finds nothing to do
    local b
    b=$(basename "$1")
    if [ -e "$TEST_TMP/saved.$b" ]; then
        cp -p "$TEST_TMP/saved.$b" "$1" && rm -f "$TEST_TMP/saved.$b"
    elif [ -e "$TEST_TMP/absent.$b" ]; then
        rm -f "$1" "$TEST_TMP/absent.$b"
    fi
}
allow_open /etc/cron.allow
allow_open /etc/at.allow
printf '* * * * * touch %s/%s-cron\n' "$M" $A | crontab -u $A -
printf '* * * * * touch %s/%s-cron\n' "$M" $B | crontab -u $B -
(cd /tmp && echo "touch $M/$A-at" | runuser -u $A -- at now 2>/dev/null)
(cd /tmp && echo "touch $M/$B-at" | runuser -u $B -- at now 2>/dev/null)
allow_restore /etc/cron.allow
allow_restore /etc/at.allow
[ -f "$SPOOL/$A" ] && [ -n "$(at_files_of 61771)" ]
ok $? "crontab -u and at(1) put the jobs in the real spools"

out=$(ep_run --user $A --job 71 --cron-spool $SPOOL --at-spool $ATSPOOL \
    --cron-allow "$TEST_TMP/cron.allow" --at-allow "$TEST_TMP/at.allow" --json)
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue exits 0"
[ ! -e "$SPOOL/$A" ]
ok $? "the crontab left the real cron spool"
[ -z "$(at_files_of 61771)" ]
ok $? "the at job left the real at spool"
[ -e "$SPOOL/$B" ] && [ -n "$(at_files_of 61772)" ]
ok $? "the control user's crontab and at job are still queued"
[ -n "$(find "$EP_QDIR/$A" -name 'crontab-*' ! -name '*.json')" ] &&
    [ -n "$(find "$EP_QDIR/$A" -name 'atjob-*' ! -name '*.json')" ]
ok $? "both are in the quarantine"

# --- atd runs what is due at start-up: the control job, not ours ---
atd -f </dev/null >/dev/null 2>&1 &
atd_pid=$!
_cleanup_add "kill $atd_pid; wait $atd_pid"
for _ in $(seq 100); do [ -e "$M/$B-at" ] && break; sleep 0.2; done
[ -e "$M/$B-at" ]
ok $? "atd ran the control user's at job"
sleep 1
[ ! -e "$M/$A-at" ]
ok $? "atd did not run the quarantined at job"

# --- cron: wait for the control crontab to fire (next minute boundary) ---
for _ in $(seq 150); do [ -e "$M/$B-cron" ] && break; sleep 0.5; done
[ -e "$M/$B-cron" ]
ok $? "cron ran the control user's crontab"
sleep 2
[ ! -e "$M/$A-cron" ]
ok $? "cron did not run the quarantined crontab"

is "$(ls "$EP_QDIR/$A" | grep -c json)" 2 "two JSON records in the quarantine"

done_testing
