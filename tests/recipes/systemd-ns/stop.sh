#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# stop.sh WORKDIR: power off the namespace's systemd (SIGRTMIN+4), wait
# (SDNS_STOP_TIMEOUT, default 30 s, then SIGKILL to its pid 1), kill by pid
# anything left in our cgroups, remove exactly the cgroups start.sh created.
# Safe to run twice; WORKDIR/console.log is kept.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: stop.sh WORKDIR"
need_root
WD=$(cd "$1" 2>/dev/null && pwd -P) || die "no workdir $1"
if ! [ -f "$WD/state" ] && ! [ -f "$WD/cgroups" ]; then
	log "nothing to stop in $WD"
	exit 0
fi
teardown
