#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# start.sh WORKDIR [hybrid|unified]: boot systemd as pid 1 of new pid, mount,
# cgroup, uts, ipc and net namespaces, in child cgroups of the caller's
# cgroups. Its root is the host's root file system under a tmpfs overlay
# (all writes are discarded at stop); other host mounts are read-only.
# Prints the host pid of that systemd once `systemctl is-system-running`
# says running (or degraded), or fails after SDNS_TIMEOUT seconds.
# Environment (all optional):
#   SDNS_BIND="/dir1 /dir2"  host dirs shared read-write at the same path
#                            (WORKDIR/share always is)
#   SDNS_TMPFS="/dir"        dirs replaced by an empty tmpfs
#   SDNS_DEVICES="fuse"      extra /dev nodes bound from the host
#   SDNS_TIMEOUT=60          seconds to wait for boot
#   SDNS_LOGLEVEL=info       systemd log level; console in WORKDIR/console.log
set -euo pipefail
set +m # background jobs must stay in our process group (see setsid below)

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: start.sh WORKDIR [hybrid|unified]"; fi
MODE=${2:-hybrid}
case $MODE in hybrid | unified) ;; *) die "mode must be hybrid or unified, not '$MODE'" ;; esac
need_root
mkdir -p "$1"
WD=$(cd "$1" && pwd -P)
TIMEOUT=${SDNS_TIMEOUT:-60}

ensure_pkgs systemd dbus util-linux mount bsdutils

if load_state && proc_alive "$SD_PID" "$SD_START"; then
	die "already running in $WD (systemd pid $SD_PID); run stop.sh first"
fi
if [ -f "$WD/state" ] || [ -f "$WD/cgroups" ]; then
	log "cleaning up a stale instance in $WD"
	teardown || die "could not clean up the stale instance in $WD"
fi
for d in ${SDNS_BIND-}; do
	case $d in /*) ;; *) die "SDNS_BIND entry '$d' is not an absolute path" ;; esac
	[ -d "$d" ] || die "SDNS_BIND entry '$d' is not a directory"
done

T0=$(date +%s.%N)
mkdir -p "$WD/root" "$WD/share"
: >"$WD/console.log"

# Our cgroups: one child of the caller's cgroup in every mounted hierarchy.
HIER=$(cg_hierarchies)
grep -q $'\tcgroup2\t' <<<"$HIER" || die "no cgroup2 hierarchy mounted on this host"
if [ "$MODE" = hybrid ]; then
	grep -qE $'\tcgroup\t(.*,)?name=systemd(,|$)' <<<"$HIER" ||
		die "hybrid mode needs a v1 name=systemd hierarchy; this host has none (use unified)"
fi
NAME=sdns.$(printf %s "$WD" | md5sum | cut -c1-8).$$
: >"$WD/cgroups"
started=0
on_exit() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ "$started" = 0 ]; then
		log "start failed; cleaning up (console log: $WD/console.log)"
		teardown || true
	fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# NAME/launcher holds script and unshare; NAME/ns becomes the root of the
# namespace's cgroup tree, so only namespace processes are seen there.
while IFS=$'\t' read -r mp path fstype so; do
	dir=$mp${path%/}/$NAME
	cg_mkleaf "$dir"
	cg_mkleaf "$dir/launcher"
	cg_mkleaf "$dir/ns"
	printf '%s\t%s\t%s\t%s\n' "$dir" "$fstype" "$so" "$mp" >>"$WD/cgroups"
done <<<"$HIER"

# The launcher joins our cgroups, then becomes `script` (setsid does not
# fork: we are not a process group leader). script gives the namespace a pty
# for /dev/console (systemd logs only to a tty) and copies it to console.log;
# its child unshare runs ns-init.sh as pid 1, which enters NAME/ns and a new
# cgroup namespace, then execs systemd.
(
	while IFS=$'\t' read -r d _; do echo "$BASHPID" >"$d/launcher/cgroup.procs"; done <"$WD/cgroups"
	export SDNS_WORKDIR="$WD" SDNS_MODE="$MODE" SHELL=/bin/sh
	exec setsid script -qfec "exec unshare --pid --fork --mount --uts --ipc --net \
		--propagation private -- $(printf '%q' "$SDNS_HERE/ns-init.sh")" "$WD/console.log"
) </dev/null >/dev/null 2>&1 &
LAUNCHER_PID=$!
disown "$LAUNCHER_PID"
LAUNCHER_START=$(proc_start "$LAUNCHER_PID" || true)
write_state() {
	printf 'SD_PID=%s\nSD_START=%s\nLAUNCHER_PID=%s\nLAUNCHER_START=%s\nSD_MODE=%s\n' \
		"${SD_PID-}" "${SD_START-}" "$LAUNCHER_PID" "$LAUNCHER_START" "$MODE" >"$WD/state.new"
	mv "$WD/state.new" "$WD/state"
}
write_state

fail() {
	log "error: $*"
	log "last lines of $WD/console.log:"
	tail -n 25 "$WD/console.log" | tr -d '\r' | sed 's/^/    /' >&2
	exit 1
}

# Wait for the namespace's pid 1 (script -> unshare -> ns-init.sh) to exec systemd.
deadline=$(($(date +%s) + TIMEOUT))
SD_PID=''
while :; do
	proc_alive "$LAUNCHER_PID" "$LAUNCHER_START" || fail "the namespace's init exited before systemd started"
	SD_PID=$(find_child "$LAUNCHER_PID" unshare)
	[ -n "$SD_PID" ] && SD_PID=$(find_child "$SD_PID" systemd)
	[ -n "$SD_PID" ] && break
	[ "$(date +%s)" -lt "$deadline" ] || fail "systemd was not started within ${TIMEOUT}s"
	sleep 0.05
done
SD_START=$(proc_start "$SD_PID")
write_state

# Wait until the boot transaction is done.
st=''
while :; do
	proc_alive "$SD_PID" "$SD_START" || fail "systemd (pid $SD_PID) exited during boot"
	st=$(nsenter -t "$SD_PID" -m -p systemctl is-system-running 2>/dev/null) || true
	case $st in running | degraded) break ;; esac
	[ "$(date +%s)" -lt "$deadline" ] || fail "systemd did not reach running within ${TIMEOUT}s (state: ${st:-unknown})"
	sleep 0.1
done
if [ "$st" = degraded ]; then
	log "warning: system is degraded; failed units:"
	nsenter -t "$SD_PID" -m -p systemctl --failed --no-legend --no-pager >&2 || true
fi
started=1
log "systemd pid $SD_PID ($MODE) $st after $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s; workdir $WD"
echo "$SD_PID"
