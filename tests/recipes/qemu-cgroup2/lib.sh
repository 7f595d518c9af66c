# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: helpers shared by build.sh and run.sh (sourced).
# shellcheck shell=bash

QEMU_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export QEMU_HERE

log() { printf 'qemu-cgroup2: %s\n' "$*" >&2; }
die() { printf 'qemu-cgroup2: error: %s\n' "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# ensure_pkgs PKG...: apt-get install the packages that are not installed yet.
# Waits for the dpkg lock (another apt-get may be running) and retries.
ensure_pkgs() {
	local p missing=() try
	for p in "$@"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	for try in 1 2 3 4 5; do
		if DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
			install -y --no-install-recommends "${missing[@]}" >&2; then
			return 0
		fi
		log "apt-get install failed (try $try), updating lists and retrying"
		apt-get -q -o DPkg::Lock::Timeout=300 update >&2 || sleep 10
	done
	die "could not install ${missing[*]}"
}
