#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# deb-package.t — the Debian package (debian/, `make deb`) under a real
# systemd (252, PID 1 of its own namespaces, tests/recipes/systemd-ns, whose
# root is an in-memory overlay of this machine: dpkg's database, /etc and the
# users written there vanish at stop, which the test checks on the host).
# `dpkg -i` creates the corral user (sysusers.d) and its directories
# (tmpfiles.d), enables and starts corrald.socket; a user's `corral submit`
# starts corrald.service through the socket; the admin's edits of
# /etc/corral survive an upgrade to a newer package, which restarts corrald
# while a job runs: the job survives and ends COMPLETED; `dpkg --purge`
# removes the units, the configuration and the state.
#   CORRAL_DEB=path.deb  use that package instead of building one (make deb)
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/systemd-lib.sh"
require_root
R=$CORRAL_RECIPES
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    plan_skip_unless_must systemd "dpkg-buildpackage or debhelper missing: run scripts/deps.sh"
fi
# an admin's shell, not the make that runs this test
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL BUILD SANITIZE CORRAL_SOCKET
make_tmpdir
U=corraltestdeb
make_test_user "$U" 61481 # before systemd-ns starts: its /etc is the host's as of then

# ---- the packages: the one `make deb` builds, and a newer one ----
if [ -n "${CORRAL_DEB:-}" ]; then
    DEB1=$CORRAL_DEB
else
    out=$(cd "$CORRAL_SRC" && make --no-print-directory deb DEBDIR="$TEST_TMP/deb" 2>&1)
    DEB1=$(sed -n 's/^make deb: \(.*\.deb\) (log: .*/\1/p' <<<"$out")
    if [ -z "$DEB1" ] || [ ! -f "$DEB1" ]; then
        plan 1
        ok 1 "make deb builds the package"
        fail_diag "$out"
        exit 1
    fi
fi
V1=$(dpkg-deb -f "$DEB1" Version)
# the newer package: the same one repacked with a higher version and a
# changed shipped policy (strict.ini), as a rebuilt release would bring
V2=$V1+test1
rm -rf "$TEST_TMP/v2"
dpkg-deb -R "$DEB1" "$TEST_TMP/v2"
sed -i "s/^Version: .*/Version: $V2/" "$TEST_TMP/v2/DEBIAN/control"
for f in etc/corral/policies/strict.ini usr/share/corral/policies/strict.ini; do
    echo "; $V2: a changed shipped policy" >>"$TEST_TMP/v2/$f"
done
(cd "$TEST_TMP/v2" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
DEB2=$TEST_TMP/corral_${V2}_$(dpkg-deb -f "$DEB1" Architecture).deb
dpkg-deb --root-owner-group -b "$TEST_TMP/v2" "$DEB2" >/dev/null || { plan 1; ok 1 "dpkg-deb repacks $DEB2"; exit 1; }

host_status=$(dpkg-query -W -f='${Status} ${Version}' corral 2>&1)
host_user=$(getent passwd corral)
# the checkout is not shared with the namespace (an installed package is
# under test): commands run inside from /, which it has
cd / || exit 1
sdns_start $TEST_TMP
plan 37
as_user() { inside_as "$U" sh -c 'cd / && exec "$@"' sh corral "$@"; }
field() { # field ID FIELD: from `corral show --json` (as root inside)
    inside corral show --json "$1" | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}
wait_state() { # wait_state ID STATE... -> prints the state reached (or the last seen)
    local id=$1 st i
    shift
    for i in $(seq 300); do
        st=$(field "$id" state)
        for s in "$@"; do [ "$st" = "$s" ] && { echo "$st"; return 0; }; done
        sleep 0.2
    done
    echo "${st:-UNKNOWN}"
}

# what dpkg writes inside is the namespace's: the overlay, not the host
is "$(inside stat -f -c %T /var/lib/dpkg /etc | sort -u)" "overlayfs" \
    "inside systemd-ns, /var/lib/dpkg and /etc are on the in-memory overlay"
# a policy-rc.d of the host (scripts/deps.sh writes one while it installs)
# would keep the package's scripts from starting anything: not inside
inside rm -f /usr/sbin/policy-rc.d

# ---- install ----
out=$(inside dpkg -i "$DEB1" </dev/null 2>&1); rc=$?
is "$rc" 0 "dpkg -i $(basename "$DEB1") installs"; [ "$rc" = 0 ] || fail_diag "$out"
unitdir=$(inside pkg-config --variable=systemdsystemunitdir systemd)
[ -n "$unitdir" ] && inside test -f "$unitdir/corrald.service" -a -f "$unitdir/corrald.socket"
ok $? "the units are in systemd's unit directory ($unitdir, pkg-config systemdsystemunitdir)"
like "$(inside systemctl cat corrald.service 2>&1)" "ExecStart=/usr/sbin/corrald" "corrald.service runs /usr/sbin/corrald"
like "$(inside getent passwd corral)" "^corral:x:[0-9]+:[0-9]+:.*:/usr/sbin/nologin$" \
    "the postinst created the corral system user (sysusers.d)"
inside getent group corral-admin >/dev/null
ok $? "... and the corral-admin group"
is "$(inside stat -c '%U %a' /var/lib/corral)" "corral 700" "/var/lib/corral belongs to corral, mode 0700 (tmpfiles.d)"
conff=$(inside dpkg-query -W -f='${Conffiles}\n' corral)
like "$conff" "/etc/corral/corral.conf [0-9a-f]+" "/etc/corral/corral.conf is a dpkg conffile"
like "$conff" "/etc/corral/policies/default.ini [0-9a-f]+" "... and so are the policies"
# the SPANK plugin (Build-Depends: libslurm-dev): in Slurm's plugin directory, with its man page
files=$(dpkg-deb -c "$DEB1")
like "$files" "\./usr/lib/slurm/spank_corral\.so" "the package ships the SPANK plugin in /usr/lib/slurm"
like "$files" "\./usr/share/man/man8/spank_corral\.8" "... and spank_corral(8)"
is "$(inside systemctl is-enabled corrald.socket corrald.service | paste -sd' ')" "enabled enabled" \
    "corrald.socket and corrald.service are enabled"
is "$(inside systemctl is-active corrald.socket)" "active" "corrald.socket is started"

# ---- the admin configures the node; a user's job starts corrald ----
# systemd-ns over-mounts parts of /proc read-only, and the kernel refuses a
# fresh /proc inside a user namespace while such over-mounts exist: the
# admin turns the job's user namespace off (an edit of a shipped policy)
inside systemctl stop corrald.service 2>/dev/null # (it says the socket may start it again: what comes next)
inside sed -i 's/^user = isolated$/user = host/' /etc/corral/policies/default.ini
inside sed -i 's/^slots = .*/slots = 3/' /etc/corral/corral.conf
is "$(inside systemctl is-active corrald.service)" "inactive" "corrald.service is stopped"
id=$(as_user submit -- /bin/echo hello from the package)
like "$id" "^[0-9]+$" "$U submits a job through /run/corral/corral.sock"
is "$(inside systemctl is-active corrald.service)" "active" "... which started corrald.service (socket activation)"
like "$(inside corral status)" ", 3 slots" "corrald reads the admin's /etc/corral/corral.conf (3 slots)"
is "$(wait_state "$id" COMPLETED FAILED CANCELLED LOST)" "COMPLETED" "the job completes"
[ "$(field "$id" state)" = COMPLETED ] || inside corral show "$id" | sed 's/^/# /' >&2
out=$(as_user logs "$id" 2>&1)
is "$out" "hello from the package" "... with its output (corral logs)"
[ "$out" = "hello from the package" ] || inside corral show "$id" | sed 's/^/# /' >&2

# ---- upgrade while a job runs ----
# the job waits for the test's word (a file in the namespace's /srv) to end
inside mkdir -m 0755 /srv/corraltest-deb
id2=$(as_user submit -- /bin/sh -c 'for i in $(seq 600); do [ -e /srv/corraltest-deb/go ] && break; sleep 0.2; done
    [ -e /srv/corraltest-deb/go ] && echo survived the upgrade')
is "$(wait_state "$id2" RUNNING COMPLETED FAILED)" "RUNNING" "a job is running before the upgrade"
pid1=$(inside systemctl show -p MainPID --value corrald.service)
out=$(inside dpkg -i "$DEB2" </dev/null 2>&1); rc=$?
is "$rc" 0 "dpkg -i upgrades to $V2 (no conffile question)"; [ "$rc" = 0 ] || fail_diag "$out"
is "$(inside dpkg-query -W -f='${Version}' corral)" "$V2" "... the installed version is $V2"
pid2=$(inside systemctl show -p MainPID --value corrald.service)
[ -n "$pid2" ] && [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ]
ok $? "the upgrade restarted corrald.service (main pid $pid1 -> $pid2)"
is "$(field "$id2" state)" "RUNNING" "the job is still running under the new corrald"
inside touch /srv/corraltest-deb/go
is "$(wait_state "$id2" COMPLETED FAILED CANCELLED LOST)" "COMPLETED" "the job that ran through the upgrade ends COMPLETED"
[ "$(field "$id2" state)" = COMPLETED ] || inside corral show "$id2" | sed 's/^/# /' >&2
is "$(as_user logs "$id2")" "survived the upgrade" "... with all its output"
inside grep -qx 'slots = 3' /etc/corral/corral.conf
ok $? "the admin's edit of corral.conf survived the upgrade"
inside grep -qx 'user = host' /etc/corral/policies/default.ini
ok $? "... and of default.ini"
inside grep -q "; $V2: a changed shipped policy" /etc/corral/policies/strict.ini
ok $? "an unedited policy that the new package changed is upgraded"
like "$(inside corral status)" ", 3 slots" "the restarted corrald runs on the admin's corral.conf"
id3=$(as_user submit -- /bin/echo after the upgrade)
is "$(wait_state "$id3" COMPLETED FAILED CANCELLED LOST)" "COMPLETED" "a job submitted after the upgrade completes"

# ---- purge ----
out=$(inside dpkg --purge corral </dev/null 2>&1); rc=$?
is "$rc" 0 "dpkg --purge corral succeeds"; [ "$rc" = 0 ] || fail_diag "$out"
is "$(inside systemctl show -p LoadState --value corrald.service corrald.socket | grep . | paste -sd' ')" "not-found not-found" \
    "corrald.service and corrald.socket are gone"
is "$(inside systemctl show -p ActiveState --value corrald.service)" "inactive" "corrald is not running"
left=$(inside sh -c 'ls -d /etc/corral /var/lib/corral /var/spool/corral /usr/sbin/corrald /run/corral/corral.sock 2>/dev/null')
is "$left" "" "the configuration, the state, the job output and the programs are removed"

# ---- the host was not touched ----
"$R/systemd-ns/stop.sh" "$WD" >/dev/null 2>&1
is "$(dpkg-query -W -f='${Status} ${Version}' corral 2>&1)" "$host_status" "the host's dpkg database is as before"
is "$(getent passwd corral)" "$host_user" "... and so is its corral user (or its absence)"
done_testing
