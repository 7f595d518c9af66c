#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh WORKDIR: install qemu-system-x86, busybox-static, linux-image-amd64
# if missing, and build WORKDIR/initrd.cpio.gz: static busybox, guest-init.sh
# as /init, and the virtio-pci, 9p and overlay modules (with their
# dependencies, from modules.dep) of the kernel that run.sh boots, which is
# copied to WORKDIR/vmlinuz. The kernel is QEMU_KERNEL if set, else the
# newest /boot/vmlinuz-* that has a /lib/modules tree.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: build.sh WORKDIR"
need_root
mkdir -p "$1"
WD=$(cd "$1" && pwd -P)
ensure_pkgs qemu-system-x86 busybox-static linux-image-amd64 kmod cpio gzip

if [ -n "${QEMU_KERNEL-}" ]; then
	kernel=$QEMU_KERNEL
else
	kernel=''
	for k in $(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V -r); do
		[ -f "/lib/modules/${k#vmlinuz-}/modules.dep" ] && { kernel=/boot/$k; break; }
	done
fi
if [ -z "$kernel" ] || ! [ -f "$kernel" ]; then die "no kernel image with modules found in /boot"; fi
kver=${kernel##*/vmlinuz-}
[ -f "/lib/modules/$kver/modules.dep" ] || die "no /lib/modules/$kver/modules.dep for $kernel"

stage=$WD/initrd.d
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/proc" "$stage/sys" "$stage/dev"
busybox=$(dpkg -L busybox-static | grep -m1 '/bin/busybox$')
cp "$busybox" "$stage/bin/busybox"
cp "$QEMU_HERE/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"

# Modules in load order; builtins need nothing. Compressed modules are
# unpacked because busybox insmod may not read them.
: >"$stage/lib/modules/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		name=$(basename "$path")
		name=${name%.xz}
		name=${name%.zst}
		name=${name%.gz}
		grep -qx "$name" "$stage/lib/modules/order" && continue
		case $path in
		*.xz) xz -dc "$path" >"$stage/lib/modules/$name" ;;
		*.zst) zstd -qdc "$path" >"$stage/lib/modules/$name" ;;
		*.gz) gzip -dc "$path" >"$stage/lib/modules/$name" ;;
		*) cp "$path" "$stage/lib/modules/$name" ;;
		esac
		echo "$name" >>"$stage/lib/modules/order"
	done
done

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$WD/initrd.cpio.gz.new"
mv "$WD/initrd.cpio.gz.new" "$WD/initrd.cpio.gz"
cp "$kernel" "$WD/vmlinuz"
echo "$kver" >"$WD/kernel-version"
rm -rf "$stage"
log "built $WD/initrd.cpio.gz for $kver ($(paste -sd' ' - <<<"$(cd "$WD" && gzip -dc initrd.cpio.gz | cpio -it --quiet | grep -c '\.ko$')") modules)"
