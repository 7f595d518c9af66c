# SPDX-License-Identifier: GPL-2.0-or-later
# common.sh: what every recipe needs (sourced after setting RECIPE_NAME):
# messages, the root check and installing missing Debian packages.
# shellcheck shell=bash

log() { printf '%s: %s\n' "${RECIPE_NAME:-recipe}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${RECIPE_NAME:-recipe}" "$*" >&2; exit 1; }

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
