#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh WORKDIR CMD [ARG...]: boot the Debian kernel under QEMU with the
# initrd from build.sh (built first if missing), run CMD in the guest on a
# pure cgroup v2 host view, print its stdout/stderr, return its exit status.
# In the guest: the host root read-only under a tmpfs overlay (writes are
# discarded), tmpfs /run and /tmp, cgroup2 at /sys/fs/cgroup, WORKDIR/share
# read-write at the same path ($QEMU_SHARE), CMD run by bash in the caller's
# directory (or / if that is not visible), stdin /dev/null, no network.
# Exit: CMD's status; 124 if QEMU_TIMEOUT passed; 125 if the guest failed.
# Environment (all optional):
#   QEMU_INIT=chroot|systemd  chroot: CMD runs as root in the root cgroup of a
#                       guest with no init (default); systemd: the guest boots
#                       systemd 252 as pid 1 and CMD runs as qemu-cmd.service
#                       (Delegate=yes) once it is running
#   QEMU_ROOT=overlay|ro  the host root under a tmpfs overlay (default), or
#                       read-only as it is, with tmpfs /tmp /var/tmp (chroot mode)
#   QEMU_BIND="/d1 /d2" more host dirs shared read-write at the same path
#   QEMU_ENV="VAR1 VAR2" variables passed to CMD (default: none)
#   QEMU_CG_ENABLE="cpu cpuset io memory pids"  controllers enabled in the
#                       root's cgroup.subtree_control (chroot mode)
#   QEMU_TIMEOUT=600  QEMU_MEM=2048 (MiB)  QEMU_SMP=<nproc>  QEMU_ACCEL=tcg
#   QEMU_CPU=qemu64,+ssse3,... (x86-64-v2; "max" for AVX, slower under TCG)
#   QEMU_VERBOSE=1      also print the guest console (WORKDIR/console.log)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || die "usage: run.sh WORKDIR CMD [ARG...]"
need_root
mkdir -p "$1"
WD=$(cd "$1" && pwd -P)
shift
if ! [ -f "$WD/initrd.cpio.gz" ] || ! [ -f "$WD/vmlinuz" ]; then
	log "no initrd in $WD yet; running build.sh"
	"$QEMU_HERE/build.sh" "$WD"
fi
MODE=${QEMU_INIT:-chroot}
case $MODE in chroot | systemd) ;; *) die "QEMU_INIT must be chroot or systemd" ;; esac
ROOT=${QEMU_ROOT:-overlay}
case $MODE/$ROOT in */overlay | chroot/ro) ;; *) die "QEMU_ROOT must be overlay, or ro in chroot mode" ;; esac
TIMEOUT=${QEMU_TIMEOUT:-600}
read -ra binds <<<"${QEMU_BIND-}"
for d in "${binds[@]}"; do
	case $d in /*) ;; *) die "QEMU_BIND entry '$d' is not an absolute path" ;; esac
	[ -d "$d" ] || die "QEMU_BIND entry '$d' is not a directory"
done

SHARE=$WD/share
CTL=$WD/run.$$
mkdir -p "$SHARE"
rm -rf "$CTL"
mkdir "$CTL"
QPID=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	if [ -n "$QPID" ]; then
		kill -TERM "$QPID" 2>/dev/null || true # timeout(1) passes it on to qemu
		wait "$QPID" 2>/dev/null || true
	fi
	if [ -f "$CTL/console.log" ]; then mv -f "$CTL/console.log" "$WD/console.log"; fi
	rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

printf 'QEMU_MODE=%q\nROOT=%q\nSHARE=%q\nBINDS=%q\nCG_ENABLE=%q\n' "$MODE" "$ROOT" "$SHARE" "${binds[*]}" \
	"${QEMU_CG_ENABLE-cpu cpuset io memory pids}" >"$CTL/config"
{
	echo '#!/bin/bash'
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8'
	printf 'export QEMU_SHARE=%q\n' "$SHARE"
	for v in ${QEMU_ENV-}; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	[ "$MODE" = systemd ] && echo 'systemctl is-system-running --wait >/dev/null'
	printf 'cd %q 2>/dev/null || { echo "qemu-cgroup2: %q is not visible in the guest; running in /" >&2; cd /; }\n' "$PWD" "$PWD"
	printf 'rc=0\n'
	printf '%q ' "$@"
	# shellcheck disable=SC2016 # expanded in the guest
	printf '|| rc=$?\necho "$rc" >/run/qemu/rc\nexit "$rc"\n'
} >"$CTL/cmd.sh"

accel=${QEMU_ACCEL:-tcg}
virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$CTL,mount_tag=ctl,security_model=none"
	-virtfs "local,path=$SHARE,mount_tag=share,security_model=none")
i=0
for d in "${binds[@]}"; do
	virtfs+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none")
	i=$((i + 1))
done

t0=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "${QEMU_CPU:-qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16,+lahf_lm}" \
	-m "${QEMU_MEM:-2048}" -smp "${QEMU_SMP:-$(nproc)}" \
	-nodefaults -no-user-config -display none -monitor none -nic none -no-reboot \
	-serial "file:$CTL/console.log" \
	-kernel "$WD/vmlinuz" -initrd "$WD/initrd.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 ${QEMU_APPEND-}" \
	"${virtfs[@]}" </dev/null >"$CTL/qemu.log" 2>&1 &
QPID=$!
qrc=0
wait "$QPID" || qrc=$?
QPID=''
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

[ -f "$CTL/stdout" ] && cat "$CTL/stdout"
[ -f "$CTL/stderr" ] && cat "$CTL/stderr" >&2
[ "${QEMU_VERBOSE-}" = 1 ] && tr -d '\r' <"$CTL/console.log" >&2
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	log "error: timed out after ${TIMEOUT}s (console: $WD/console.log)"
	exit 124
fi
if ! [ -s "$CTL/rc" ]; then
	log "error: the guest did not report an exit status (qemu rc $qrc, ${secs}s); last console lines:"
	cat "$CTL/qemu.log" >&2
	tail -n 20 "$CTL/console.log" | tr -d '\r' | sed 's/^/    /' >&2
	exit 125
fi
rc=$(cat "$CTL/rc")
log "guest ($MODE, $accel) done in ${secs}s, exit status $rc"
exit "$rc"
