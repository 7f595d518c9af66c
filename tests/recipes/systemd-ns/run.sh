#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh WORKDIR CMD [ARG...]: run CMD inside the namespaces started by
# start.sh (nsenter into pid, mount, cgroup, uts, ipc, net) and return its
# exit status. CMD first joins a leaf cgroup "run.PID" under the namespace's
# cgroup root in every hierarchy, so systemd there may move it or its
# children into units (the kernel refuses cgroup v2 moves from outside the
# namespace's root). It starts in the caller's working directory when that
# path is visible inside, else in /. Environment is passed through.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || die "usage: run.sh WORKDIR CMD [ARG...]"
need_root
WD=$(cd "$1" 2>/dev/null && pwd -P) || die "no workdir $1"
shift
if ! load_state || ! proc_alive "$SD_PID" "$SD_START"; then
	die "no running instance in $WD (run start.sh)"
fi

LEAF=run.$$
leaves=()
while IFS=$'\t' read -r d _; do
	cg_mkleaf "$d/ns/$LEAF"
	leaves+=("$d/ns/$LEAF")
done <"$WD/cgroups"

rc=0
(
	for l in "${leaves[@]}"; do echo "$BASHPID" >"$l/cgroup.procs"; done
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec nsenter -t "$SD_PID" -m -p -u -i -n -C -- /bin/sh -c '
		cd "$1" 2>/dev/null || { echo "sdns: $1 is not visible inside; running in /" >&2; cd /; }
		shift; exec "$@"' sdns-run "$PWD" "$@"
) || rc=$?

# Leaves still holding processes (a daemon CMD left behind) are removed by stop.sh.
for l in "${leaves[@]}"; do rmdir "$l" 2>/dev/null || true; done
exit "$rc"
