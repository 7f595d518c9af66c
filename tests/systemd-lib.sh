# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-lib.sh — for tests that run a real systemd (252, PID 1 of its own
# namespaces, tests/recipes/systemd-ns). Source after tests/lib.sh, call
# sdns_start before `plan` (it skips the test when systemd-ns cannot start
# here, or fails it when CORRAL_MUST_RUN has systemd).

# sdns_start BIND_DIR...: starts systemd-ns with BIND_DIRs shared (the
# checkout and build dirs, TEST_TMP: whatever the commands inside use),
# stopped and removed at exit; sets WD (its work dir). Commands go in with
# inside().
sdns_start() {
    local R=$CORRAL_RECIPES
    [ -x "$R/systemd-ns/start.sh" ] || plan_skip_unless_must systemd "no systemd-ns recipe at $R (CORRAL_RECIPES)"
    WD=$(mktemp -d /tmp/corraltest-sdns.XXXXXX)
    if ! SDNS_BIND="$*" "$R/systemd-ns/start.sh" "$WD" >/dev/null 2>"$WD.err" 8>&-; then
        plan_skip_unless_must systemd "systemd-ns cannot start here: $(tail -1 "$WD.err")"
    fi
    _cleanup_add "'$R/systemd-ns/stop.sh' '$WD'; rm -rf '$WD' '$WD.err'"
}

# inside CMD...: runs CMD as root inside systemd-ns (from the same cwd when
# it is visible there, else from /)
inside() { "$CORRAL_RECIPES/systemd-ns/run.sh" "$WD" "$@"; }

# inside_as USER CMD...: runs CMD as USER inside systemd-ns, in a session of
# its own, as a login would. The session must be one corrald can see: a job's
# epilogue spares the session it was submitted from, and the test's own
# session lies outside systemd-ns's PID namespace (corrald reads it as 0).
# Without it a job that fails at once has its epilogue kill the user's
# `corral submit` before that has printed the id (seen under ASan, whose
# leak check runs at exit before stdout is flushed).
inside_as() { local u=$1; shift; inside setsid -w setpriv --reuid="$u" --regid="$u" --init-groups "$@"; }

# sdns_install_corrald: the shipped units (corrald.service, corrald.socket,
# corral.slice), pointed at the test build, TEST_TMP/corral.conf and $SOCK
# (tests/corrald-lib.sh), into systemd-ns's /etc/systemd/system, plus any
# drop-in given as NAME=TEXT pairs ("corrald.service.d/x.conf=[Service]...");
# then daemon-reload. Its status is the commands'.
sdns_install_corrald() {
    local d
    sed -e "s|@SBINDIR@/corrald|$CORRAL_BUILD/corrald --config $TEST_TMP/corral.conf|" \
        "$CORRAL_SRC/units/corrald.service.in" >"$TEST_TMP/corrald.service"
    sed -e "s|^ListenSequentialPacket=.*|ListenSequentialPacket=$SOCK|" "$CORRAL_SRC/units/corrald.socket" \
        >"$TEST_TMP/corrald.socket"
    cp "$CORRAL_SRC/units/corral.slice" "$TEST_TMP/"
    inside cp "$TEST_TMP/corrald.service" "$TEST_TMP/corrald.socket" "$TEST_TMP/corral.slice" /etc/systemd/system/ ||
        return 1
    for d in "$@"; do
        inside mkdir -p "/etc/systemd/system/$(dirname "${d%%=*}")" &&
            printf '%s\n' "${d#*=}" | inside sh -c 'cat >"$1"' sh "/etc/systemd/system/${d%%=*}" || return 1
    done
    inside systemctl daemon-reload
}
