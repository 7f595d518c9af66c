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
# shellcheck source=../cronat-lib.sh
. "$CORRAL_SRC/tests/cronat-lib.sh"

ep_setup
cronat_available || plan_skip_unless_must cron "cron and at (and the Debian spools) are not installed (scripts/deps.sh)"
if cronat_atd_running; then
    plan_skip "an atd is already running: queued test jobs would run before the epilogue"
fi
plan 11

A=corraltestepq   # quarantined
B=corraltestepk   # control
make_test_user $A 61771 || { echo "# cannot create test user $A (uid 61771)"; exit 1; }
make_test_user $B 61772 || { echo "# cannot create test user $B (uid 61772)"; exit 1; }
M=$TEST_TMP/shared
SPOOL=$CRON_SPOOL
ATSPOOL=$AT_SPOOL
cronat_cleanup_users $A:61771 $B:61772

# --- start the daemons (cron now, atd after the epilogue) ---
cronat_start_cron

# install and strip within one minute: not in the last 15 s of a minute,
# so neither crontab can fire before the epilogue ran
cronat_wait_minute_start

# crontab(1) and at(1) check /etc/cron.allow and /etc/at.allow (an epilogue
# may well have written them): let the test users in for the two commands,
# then put the files back exactly as they were
cronat_allow_open /etc/cron.allow $A $B
cronat_allow_open /etc/at.allow $A $B
printf '* * * * * touch %s/%s-cron\n' "$M" $A | crontab -u $A -
printf '* * * * * touch %s/%s-cron\n' "$M" $B | crontab -u $B -
(cd /tmp && echo "touch $M/$A-at" | runuser -u $A -- at now 2>/dev/null)
(cd /tmp && echo "touch $M/$B-at" | runuser -u $B -- at now 2>/dev/null)
cronat_allow_restore /etc/cron.allow
cronat_allow_restore /etc/at.allow
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
cronat_start_atd
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
