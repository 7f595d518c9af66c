# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: helpers shared by start.sh, run.sh and stop.sh (sourced, not run).
# Layout: logging, package install, process identity (pid + start time),
# cgroup hierarchy discovery, and the teardown that stop.sh and a failed
# start.sh both use. All state lives in $WD (the WORKDIR argument).
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by start.sh
SDNS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

RECIPE_NAME=sdns
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# proc_start PID: print the process start time (field 22 of /proc/PID/stat).
proc_start() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -ra f <<<"${s##*) }"
	printf '%s\n' "${f[19]}"
}

# proc_alive PID START: true if PID is the same, non-zombie process.
proc_alive() {
	local s f
	[ -n "$1" ] && [ -n "$2" ] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -ra f <<<"${s##*) }"
	[ "${f[0]}" != Z ] && [ "${f[19]}" = "$2" ]
}

# find_child PID COMM: print the first child of PID whose comm is COMM.
find_child() {
	local c kids=()
	read -ra kids <"/proc/$1/task/$1/children" 2>/dev/null || true
	for c in "${kids[@]}"; do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
	done
	return 0
}

# cg_hierarchies: for each line of our /proc/self/cgroup print
# "MOUNTPOINT<TAB>PATH<TAB>FSTYPE<TAB>SUPEROPTS" of the host mount that shows
# the whole hierarchy. Hierarchies not mounted anywhere are skipped.
cg_hierarchies() {
	local id ctl path mp cg
	cg=$(cat /proc/self/cgroup)
	while IFS=: read -r id ctl path; do
		: "$id"
		mp=$(awk -v want="$ctl" '
			{ for (i = 7; $i != "-"; i++); fs = $(i + 1); so = $(i + 3)
			  if ($4 != "/") next
			  if (want == "") { if (fs == "cgroup2") { print $5 "\t" fs "\t" so; exit } ; next }
			  if (fs != "cgroup") next
			  n = split(want, w, ","); split(so, s, ","); delete have
			  for (k in s) have[s[k]] = 1
			  ok = 1; for (k = 1; k <= n; k++) if (!(w[k] in have)) ok = 0
			  if (ok) { print $5 "\t" fs "\t" so; exit } }' /proc/self/mountinfo)
		[ -n "$mp" ] || continue
		printf '%s\t%s\t%s\t%s\n' "${mp%%$'\t'*}" "$path" "$(cut -f2 <<<"$mp")" "$(cut -f3 <<<"$mp")"
	done <<<"$cg"
}

# cg_mkleaf DIR: create cgroup DIR (v1 cpuset needs cpus/mems copied from
# the parent before a task can join).
cg_mkleaf() {
	mkdir "$1" || return 1
	if [ -f "$1/cpuset.cpus" ] && [ -z "$(cat "$1/cpuset.cpus")" ]; then
		cat "$1/../cpuset.cpus" >"$1/cpuset.cpus"
		cat "$1/../cpuset.mems" >"$1/cpuset.mems"
	fi
}

# cg_rmtree DIR: remove DIR and every cgroup below it, deepest first. Tasks
# still inside are listed and the call fails.
cg_rmtree() {
	local d try
	[ -d "$1" ] || return 0
	for try in 1 2 3 4 5 6 7 8 9 10; do
		while IFS= read -r d; do rmdir "$d" 2>/dev/null || true; done < <(find "$1" -depth -type d)
		[ -d "$1" ] || return 0
		sleep 0.2
	done
	log "cannot remove cgroup $1; tasks: $(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')"
	return 1
}

# cg_procs DIR: print every pid in cgroup DIR and below.
cg_procs() { [ -d "$1" ] && find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null; true; }

# load_state: read $WD/state into SD_PID SD_START LAUNCHER_PID LAUNCHER_START SD_MODE.
load_state() {
	# shellcheck disable=SC2034 # SD_MODE is for callers
	SD_PID='' SD_START='' LAUNCHER_PID='' LAUNCHER_START='' SD_MODE=''
	[ -f "$WD/state" ] || return 1
	# shellcheck source=/dev/null
	. "$WD/state"
}

# teardown: power off the namespace's systemd (or, if start.sh failed before
# systemd ran, SIGKILL the namespace's pid 1, which takes the whole pid
# namespace with it), wait, kill by pid whatever is still in our cgroups
# (start time checked for the pids we recorded), remove our cgroups.
teardown() {
	local t0 deadline pid init rc=0 d left
	load_state || true
	t0=$(date +%s.%N)
	deadline=$(($(date +%s) + ${SDNS_STOP_TIMEOUT:-30}))
	if ! proc_alive "$SD_PID" "$SD_START" && proc_alive "$LAUNCHER_PID" "$LAUNCHER_START"; then
		init=$(find_child "$LAUNCHER_PID" unshare)
		[ -n "$init" ] && init=$(cut -d' ' -f1 "/proc/$init/task/$init/children" 2>/dev/null || true)
		if [ -n "$init" ]; then kill -KILL "$init" 2>/dev/null || true; fi
	fi
	if proc_alive "$SD_PID" "$SD_START"; then
		# SIGRTMIN+4 = start poweroff.target (systemd(1)); needs no bus.
		kill -s RTMIN+4 "$SD_PID" 2>/dev/null || true
		while proc_alive "$SD_PID" "$SD_START" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
		if proc_alive "$SD_PID" "$SD_START"; then
			log "systemd $SD_PID did not power off in ${SDNS_STOP_TIMEOUT:-30}s; killing its pid namespace"
			kill -KILL "$SD_PID" 2>/dev/null || true
			rc=1
		fi
	fi
	# script and unshare exit once the namespace's pid 1 is gone
	for _ in $(seq 50); do proc_alive "$LAUNCHER_PID" "$LAUNCHER_START" || break; sleep 0.1; done
	if proc_alive "$LAUNCHER_PID" "$LAUNCHER_START"; then
		kill -KILL "$LAUNCHER_PID" 2>/dev/null || true
	fi
	# Anything still in our cgroups was started by us (run.sh's nsenter exits
	# with its child). Give it a moment, then kill by pid.
	if [ -f "$WD/cgroups" ]; then
		for _ in $(seq 30); do
			left=$(while IFS=$'\t' read -r d _; do cg_procs "$d"; done <"$WD/cgroups" | sort -u)
			[ -z "$left" ] && break
			sleep 0.1
		done
		for pid in $left; do
			log "killing leftover pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null))"
			kill -KILL "$pid" 2>/dev/null || true
		done
		while IFS=$'\t' read -r d _; do cg_rmtree "$d" || rc=1; done <"$WD/cgroups"
		[ $rc -eq 0 ] && rm -f "$WD/cgroups"
	fi
	rmdir "$WD/root" 2>/dev/null || true
	rm -f "$WD/state"
	log "stopped in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
	return $rc
}
