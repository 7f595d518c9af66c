#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-spools.t — deferred execution, against a temporary root (--root):
# the user's crontab and at jobs (matched by their "# atrun uid=N" header)
# are quarantined with a JSON record, never deleted; other users' entries
# stay; the linger flag is removed (recorded); cron.allow and at.allow are
# rewritten to the policy's lists (root 0644); --dry-run changes nothing;
# a second run is harmless; a sweep strips users without a running job.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
plan 27

U=corraltestepc
V=corraltestepd
make_test_user $U 61761 || { echo "# cannot create test user $U (uid 61761)"; exit 1; }
make_test_user $V 61762 || { echo "# cannot create test user $V (uid 61762)"; exit 1; }
CR=$EP_ROOT/var/spool/cron/crontabs
AT=$EP_ROOT/var/spool/cron/atjobs
LG=$EP_ROOT/var/lib/systemd/linger

atjob() { # atjob FILE UID USER
    printf '#!/bin/sh\n# atrun uid=%s gid=%s\n# mail %s 0\numask 22\ntouch /nonexistent\n' "$2" "$2" "$3" >"$AT/$1"
    chown "$2:$2" "$AT/$1"
    chmod 0700 "$AT/$1"
}
echo '* * * * * echo hi' >"$CR/$U"
chown "$U" "$CR/$U"
chmod 0600 "$CR/$U"
echo '* * * * * echo other' >"$CR/$V"
atjob a0000101a8c3f2 61761 $U
atjob a0000201a8c3f3 61761 $U
atjob a0000301a8c3f4 61762 $V
printf '12\n' >"$AT/.SEQ"
touch "$LG/$U" "$LG/$V"
printf 'alice\n%s\n' $U >"$EP_ROOT/etc/cron.allow"
printf '%s\n' $U >"$EP_ROOT/etc/at.allow"
chmod 0666 "$EP_ROOT/etc/at.allow"
snapshot() { (cd "$EP_ROOT" && find . -type f -printf '%p %m %u\n' | sort && cat etc/cron.allow etc/at.allow) | md5sum; }

# --- dry run ---
before=$(snapshot)
out=$(ep_run --user $U --job 61 --dry-run --json)
rc=$?
is "$rc" 0 "dry run exits 0"
like "$out" '"type":"crontab"[^}]*"result":"dry-run"' "dry run reports the crontab"
like "$out" '"at_jobs":2' "dry run counts 2 at jobs"
like "$out" '"lingers":1' "dry run counts the linger flag"
is "$(snapshot)" "$before" "dry run changed no file"

# --- the real run ---
out=$(ep_run --user $U --job 62 --json)
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue exits 0"
[ ! -e "$CR/$U" ]
ok $? "the user's crontab left the spool"
[ -e "$CR/$V" ]
ok $? "another user's crontab stays"
[ ! -e "$AT/a0000101a8c3f2" ] && [ ! -e "$AT/a0000201a8c3f3" ]
ok $? "the user's two at jobs left the spool"
[ -e "$AT/a0000301a8c3f4" ] && [ -e "$AT/.SEQ" ]
ok $? "another user's at job and .SEQ stay"
[ ! -e "$LG/$U" ] && [ -e "$LG/$V" ]
ok $? "the user's linger flag removed, another's kept"
q=$(find "$EP_QDIR/$U" -name 'crontab-*' ! -name '*.json' | head -1)
[ -n "$q" ] && grep -q 'echo hi' "$q"
ok $? "crontab quarantined with its content"
is "$(stat -c '%U %a' "$q" 2>/dev/null)" "$U 600" "quarantined crontab keeps owner and mode"
like "$(cat "$q.json" 2>/dev/null)" '"job": "62"' "JSON record beside it names the job"
is "$(find "$EP_QDIR/$U" -name 'atjob-*' ! -name '*.json' | wc -l)" 2 "two at jobs quarantined"
is "$(find "$EP_QDIR/$U" -name 'linger-*.json' | wc -l)" 1 "linger removal recorded"
is "$(stat -c '%a' "$EP_QDIR")" 700 "quarantine dir is 0700"
is "$(cat "$EP_ROOT/etc/cron.allow")" root "cron.allow rewritten to the policy's list"
is "$(stat -c '%u %a' "$EP_ROOT/etc/at.allow")" "0 644" "at.allow is root 0644"
is "$(cat "$EP_ROOT/etc/at.allow")" root "at.allow rewritten to the policy's list"
like "$out" '"summary".*"crontabs":1,"at_jobs":2,"lingers":1' "summary counts"
ls "$EP_ROOT/etc" | grep -q corral
ok $((!$?)) "no temporary file left in /etc"

# --- twice is harmless ---
nq=$(find "$EP_QDIR" -type f | wc -l)
out=$(ep_run --user $U --job 62)
rc=$?
is "$rc" 0 "second run exits 0"
is "$(find "$EP_QDIR" -type f | wc -l)" "$nq" "second run quarantined nothing more"

# --- sweep: users without a running job lose theirs ---
out=$(ep_run --sweep --uid-range 61761-61762 --json)
rc=$?
is "$rc" 0 "sweep exits 0"
[ ! -e "$CR/$V" ] && [ ! -e "$AT/a0000301a8c3f4" ] && [ ! -e "$LG/$V" ]
ok $? "sweep quarantined the other user's crontab, at job and linger"

# --- a failure to strip means "not clean" ---
atjob a0000401a8c3f5 61761 $U
chattr +i "$AT/a0000401a8c3f5" 2>/dev/null || true
if lsattr "$AT/a0000401a8c3f5" 2>/dev/null | grep -q '^....i'; then
    _cleanup_add "chattr -i '$AT/a0000401a8c3f5'"
    ep_run --user $U --job 63 >/dev/null 2>&1
    is "$?" 1 "an at job that cannot be moved: exit 1"
    chattr -i "$AT/a0000401a8c3f5"
else
    skip "chattr +i not supported on $TEST_TMP"
fi

done_testing
