#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# deps.sh — install the Debian 12 packages corral needs to build and test,
# only those missing. Safe to re-run; `make check`, `make run` and CI call it.
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh --build    build packages only
#   scripts/deps.sh --list     print the package list and exit
set -euo pipefail

build_pkgs=(
    gcc make pkg-config libc6-dev
    libcap-ng-dev libseccomp-dev libcgroup-dev libsystemd-dev libinih-dev
    libsqlite3-dev libjansson-dev libsmartcols-dev
)
test_pkgs=(
    check perl                      # Check unit tests, prove
    clang libclang-rt-14-dev        # libFuzzer (make fuzz)
    clang-format clang-tidy cppcheck
    util-linux procps passwd iproute2 psmisc
    cron at                         # real cron and atd for the epilogue tests
    bubblewrap hyperfine socat bc   # benchmarks and listener tests
    sqlite3                         # queue store inspection
    dpkg-dev debhelper              # make deb, tests/integration/deb-package.t
    # tests/recipes/systemd-ns: systemd 252 as PID 1 of fresh namespaces
    systemd dbus mount bsdutils
    # tests/recipes/qemu-cgroup2: a Debian kernel under QEMU, pure cgroup v2
    qemu-system-x86 busybox-static linux-image-amd64 kmod cpio gzip xz-utils zstd
    # tests/recipes/slurm-local.sh: a one-node Slurm 22.05 (spank.h for plugins)
    slurmctld slurmd munge slurm-client libslurm-dev
    # SLURM_ACCOUNTING=1: sacct through slurmdbd on a private MariaDB
    slurmdbd mariadb-server-core mariadb-client
    # tests/recipes/sge-local.sh: a one-node Grid Engine 8.1.9 (pulls in exim4)
    gridengine-master gridengine-exec gridengine-client
)

mode=${1:-all}
case "$mode" in
    --build) pkgs=("${build_pkgs[@]}") ;;
    --list) printf '%s\n' "${build_pkgs[@]}" "${test_pkgs[@]}"; exit 0 ;;
    all|--all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    *) echo "usage: $0 [--build|--list]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    echo "deps.sh: run as root (sudo make ...) or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Grid Engine asks debconf whether to create a cell and who is its master:
# answer for this host (the tests use a private cell, tests/recipes/sge-local.sh)
if command -v debconf-set-selections >/dev/null 2>&1; then
    printf '%s\n' "gridengine-common shared/gridengineconfig boolean true" \
        "gridengine-common shared/gridenginecell string default" \
        "gridengine-common shared/gridenginemaster string $(hostname)" | debconf-set-selections || true
fi
# no package's postinst may start a system daemon (munge, slurmctld, slurmd,
# gridengine, exim4): a policy-rc.d that refuses, for this install only,
# unless the machine already has one
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by corral scripts/deps.sh for one install\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt_install() {
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$@" </dev/null
}
# a fresh machine has no package lists: update first if the install fails
if ! apt_install "${missing[@]}"; then
    apt-get -o DPkg::Lock::Timeout=300 update -q
    apt_install "${missing[@]}"
fi
