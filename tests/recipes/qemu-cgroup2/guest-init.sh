#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-init.sh: /init of the qemu-cgroup2 initrd (busybox sh, guest pid 1).
# Loads the virtio/9p/overlay modules, reads /run/qemu/config from the "ctl"
# share, builds /newroot: the host root (9p, read-only) under a tmpfs
# overlay (or read-only as it is, ROOT=ro), the API file systems, a pure
# cgroup2 at /sys/fs/cgroup, tmpfs /run and /tmp, the shared dirs (9p,
# read-write) at their host paths. Then
# mode chroot: runs /run/qemu/cmd.sh chrooted there and powers off;
# mode systemd: switch_root to systemd, which runs it as qemu-cmd.service.
# shellcheck shell=sh

/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "qemu-init: error: $*"
	sync
	poweroff -f
}

while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m"
done </lib/modules/order

O=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /ctl /lower /rw /newroot
mount -t 9p -o "$O" ctl /ctl || fail "cannot mount the ctl share"
QEMU_MODE=chroot ROOT=overlay SHARE='' BINDS='' CG_ENABLE=''
# shellcheck source=/dev/null
. /ctl/config

N=/newroot
if [ "$ROOT" = ro ]; then
	mount -t 9p -o "$O,ro,cache=loose" hostroot "$N" || fail "cannot mount the host root"
	mount -t tmpfs -o mode=1777,nosuid,nodev vartmp "$N/var/tmp"
else
	mount -t 9p -o "$O,ro,cache=loose" hostroot /lower || fail "cannot mount the host root"
	mount -t tmpfs -o mode=755 rw /rw
	mkdir /rw/upper /rw/work
	mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root "$N" || fail "overlay root"
fi
mount -t proc proc "$N/proc"
mount -t sysfs sysfs "$N/sys"
mount -t devtmpfs devtmpfs "$N/dev"
mkdir -p "$N/dev/pts" "$N/dev/shm"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$N/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$N/dev/shm"
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 "$N/sys/fs/cgroup" || fail "cgroup2"
mount -t tmpfs -o mode=755,nosuid,nodev run "$N/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$N/tmp"
mkdir -p "$N/run/qemu"
mount --move /ctl "$N/run/qemu"
mkdir -p "$N$SHARE"
mount -t 9p -o "$O" share "$N$SHARE" || fail "cannot mount the share at $SHARE"
i=0
for d in $BINDS; do
	mkdir -p "$N$d"
	mount -t 9p -o "$O" "rw$i" "$N$d" || fail "cannot mount $d"
	i=$((i + 1))
done
echo qemu-cg2 >/proc/sys/kernel/hostname
ip link set lo up

if [ "$QEMU_MODE" = systemd ]; then
	U=$N/run/systemd/system
	mkdir -p "$U" "$N/run/systemd/system-generators"
	# host fstab/sysv/getty generators would act on the host's config
	for g in "$N"/lib/systemd/system-generators/* "$N"/usr/lib/systemd/system-generators/* \
		"$N"/usr/local/lib/systemd/system-generators/* "$N"/etc/systemd/system-generators/*; do
		[ -e "$g" ] && ln -sfn /dev/null "$N/run/systemd/system-generators/${g##*/}"
	done
	# not needed by tests, and slow under TCG (units read over 9p)
	for u in systemd-remount-fs.service systemd-fsck-root.service systemd-firstboot.service \
		systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
		systemd-timesyncd.service systemd-modules-load.service modprobe@.service \
		systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
		sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
		sys-fs-fuse-connections.mount dev-hugepages.mount systemd-random-seed.service \
		systemd-pstore.service systemd-repart.service systemd-tmpfiles-clean.timer; do
		ln -sfn /dev/null "$N/etc/systemd/system/$u"
	done
	cat >"$U/qemu.target" <<'EOF'
[Unit]
Description=qemu-cgroup2 test environment
DefaultDependencies=no
Wants=sysinit.target dbus.socket dbus.service qemu-cmd.service
After=sysinit.target dbus.socket dbus.service
EOF
	cat >"$U/qemu-cmd.service" <<'EOF'
[Unit]
Description=qemu-cgroup2 command
DefaultDependencies=no
After=sysinit.target dbus.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=exec
ExecStart=/bin/bash /run/qemu/cmd.sh
StandardInput=null
StandardOutput=file:/run/qemu/stdout
StandardError=file:/run/qemu/stderr
Delegate=yes
TimeoutStartSec=infinity
EOF
	for u in dbus.socket dbus.service; do
		mkdir -p "$U/$u.d"
		printf '[Unit]\nDefaultDependencies=no\n' >"$U/$u.d/qemu.conf"
	done
	umount /sys /proc
	umount -l /dev
	exec switch_root "$N" /lib/systemd/systemd --unit=qemu.target
fi

for c in $CG_ENABLE; do
	echo "+$c" >"$N/sys/fs/cgroup/cgroup.subtree_control" || echo "qemu-init: cannot enable $c"
done
chroot "$N" /bin/bash /run/qemu/cmd.sh </dev/null >"$N/run/qemu/stdout" 2>"$N/run/qemu/stderr"
sync
poweroff -f
