# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cronat-lib.sh — the real cron and atd, on the real Debian spools, for
# the tests that show a quarantined crontab or at job never runs
# (epilogue-cron-at.t, slurm-epilogue.t). Source after tests/lib.sh, with
# TEST_TMP set (make_tmpdir).
#
# Safety: the real spools are touched only for the test users a test names;
# their entries are removed at exit (cronat_cleanup_users) and at's job
# counter is put back. /etc/cron.allow and /etc/at.allow are opened to the
# test users only for the moment crontab(1) and at(1) run, then restored
# byte for byte (or removed again when they were absent). The daemons are
# started here and stopped by pid; a cron that was already running is used
# and left alone; an atd that was already running makes the caller skip
# (queued test jobs would run before the epilogue).
# shellcheck shell=bash

CRON_SPOOL=/var/spool/cron/crontabs
AT_SPOOL=/var/spool/cron/atjobs

# cronat_available: cron, atd, crontab, at and the Debian spools are here
cronat_available() {
    command -v cron >/dev/null && command -v atd >/dev/null && command -v crontab >/dev/null &&
        command -v at >/dev/null && [ -d "$CRON_SPOOL" ] && [ -d "$AT_SPOOL" ]
}

cronat_pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# cronat_atd_running: an atd not started by us runs (then skip)
cronat_atd_running() { cronat_pid_alive "$(cat /run/atd.pid 2>/dev/null)"; }

# at_files_of UID: the at job files of that uid in the real spool
at_files_of() { grep -l "^# atrun uid=$1 " "$AT_SPOOL"/* 2>/dev/null; }

# cronat_cleanup_users USER:UID...: at exit, the users' crontabs and at jobs
# leave the real spools, and at's counter (.SEQ) is put back
cronat_cleanup_users() {
    local u
    if [ -f "$AT_SPOOL/.SEQ" ] && [ ! -e "$TEST_TMP/saved.SEQ" ]; then
        cp -p "$AT_SPOOL/.SEQ" "$TEST_TMP/saved.SEQ"
        _cleanup_add "cp -p '$TEST_TMP/saved.SEQ' '$AT_SPOOL/.SEQ'"
    fi
    for u in "$@"; do
        _cleanup_add "rm -f '$CRON_SPOOL/${u%%:*}'; for f in \$(at_files_of ${u##*:}); do rm -f \"\$f\"; done"
    done
}

# cronat_start_cron: start cron (CRON_PID), unless one runs already
CRON_PID=
cronat_start_cron() {
    if cronat_pid_alive "$(cat /run/crond.pid 2>/dev/null)"; then
        diag "using the cron already running (pid $(cat /run/crond.pid))"
        return 0
    fi
    cron -f </dev/null >/dev/null 2>&1 &
    CRON_PID=$!
    _cleanup_add "kill $CRON_PID; wait $CRON_PID"
    sleep 0.3
    cronat_pid_alive "$CRON_PID" || { diag "cron did not start"; return 1; }
}

# cronat_start_atd: start atd (ATD_PID); it runs what is due at once
ATD_PID=
cronat_start_atd() {
    atd -f </dev/null >/dev/null 2>&1 &
    ATD_PID=$!
    _cleanup_add "kill $ATD_PID; wait $ATD_PID"
}

# cronat_allow_open FILE USER...: save FILE (or that it was absent), add the
# users; cronat_allow_restore FILE puts it back (once: a second call, at
# exit, finds nothing to do)
cronat_allow_open() {
    local f=$1 b
    shift
    b=$(basename "$f")
    if [ -e "$f" ]; then cp -p "$f" "$TEST_TMP/saved.$b"; else touch "$TEST_TMP/absent.$b"; fi
    _cleanup_add "cronat_allow_restore '$f'"
    printf '%s\n' "$@" >>"$f"
}
cronat_allow_restore() {
    local b
    b=$(basename "$1")
    if [ -e "$TEST_TMP/saved.$b" ]; then
        cp -p "$TEST_TMP/saved.$b" "$1" && rm -f "$TEST_TMP/saved.$b"
    elif [ -e "$TEST_TMP/absent.$b" ]; then
        rm -f "$1" "$TEST_TMP/absent.$b"
    fi
}

# cronat_wait_minute_start [NEED]: at least NEED seconds (15 unless told)
# left in this minute, so that a crontab installed now cannot fire before the
# epilogue that follows ran (cron reads its spool and runs what is due at
# the minute's start)
cronat_wait_minute_start() {
    local s need=${1:-15}
    s=$(date +%-S)
    if [ "$s" -gt $((60 - need)) ]; then sleep $((61 - s)); fi
}
