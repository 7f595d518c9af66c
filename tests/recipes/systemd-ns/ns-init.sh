#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ns-init.sh: pid 1 of the fresh pid/mount/uts/ipc/net namespaces made by
# start.sh. Builds the new root under $SDNS_WORKDIR/root, pivots into it and
# execs systemd. Order: (0) enter NAME/ns and a new cgroup namespace,
# (1) an overlay of the host root with a tmpfs on top, (2) the host's other
# mounts read-only, (3) our own scratch and API mounts, (4) pivot_root,
# (5) write the units, exec systemd.
# Nothing here touches the host: the mount namespace is private, and the only
# host paths written are the SDNS_BIND dirs and $WD/share.
set -euo pipefail

: "${SDNS_WORKDIR:?}" "${SDNS_MODE:?}"
WD=$SDNS_WORKDIR

# (0) Join NAME/ns in every hierarchy and make it our cgroup namespace root;
# the launcher processes outside the pid namespace stay in NAME/launcher.
if [ "${SDNS_STAGE-}" != 2 ]; then
	while IFS=$'\t' read -r d _; do echo 0 >"$d/ns/cgroup.procs"; done <"$WD/cgroups"
	export SDNS_STAGE=2
	exec unshare --cgroup -- "$0"
fi
echo "sdns: ns-init in $SDNS_MODE mode"

# (1) The root: an overlay whose lower layer is the host's root file system
# and whose upper layer is a tmpfs, so everything is writable and every write
# (even after `mount -o remount,rw /`) stays in memory and is gone at stop.
mount -t tmpfs -o mode=755 sdns-root "$WD/root"
mkdir "$WD/root/upper" "$WD/root/work" "$WD/root/merged"
mount -t overlay -o "lowerdir=/,upperdir=$WD/root/upper,workdir=$WD/root/work" sdns-root "$WD/root/merged"
R=$WD/root/merged

# (2) The host's other mounts, read-only at the same paths, parents first,
# except the API and scratch trees replaced in (3) and our own mounts.
while IFS=' ' read -r mp opts; do
	mp=${mp//\\040/ }
	case $mp in / | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/* | /tmp | /tmp/* | "$WD/root" | "$WD/root/"*) continue ;; esac
	[ -e "$R$mp" ] || continue
	keep=$(tr ',' '\n' <<<"$opts" | { grep -xE 'nosuid|nodev|noexec|relatime|noatime|nodiratime|strictatime' || true; } | paste -sd, -)
	mount --bind "$mp" "$R$mp"
	mount -o "remount,bind,ro${keep:+,$keep}" "$R$mp"
done < <(awk '!seen[$5]++ { print length($5), $5, $6 }' /proc/self/mountinfo | sort -n -s -k1,1 | cut -d' ' -f2-)

# (3a) /run and /tmp: fresh tmpfs. /run/sdns/upper shows what was written.
mount -t tmpfs -o mode=755,nosuid,nodev sdns-run "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev sdns-tmp "$R/tmp"
mkdir -p "$R/run/sdns/upper"
mount --bind "$WD/root/upper" "$R/run/sdns/upper"
mount -o remount,bind,ro "$R/run/sdns/upper"

# (3b) Extra empty tmpfs dirs.
for d in ${SDNS_TMPFS-}; do
	mkdir -p "$R$d"
	mount -t tmpfs -o mode=755 sdns-tmpfs "$R$d"
done

# (3c) /proc of this pid namespace; host-wide knobs stay read-only (as nspawn).
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
for p in sys sysrq-trigger irq bus fs acpi scsi asound; do
	[ -e "$R/proc/$p" ] || continue
	mount --bind "$R/proc/$p" "$R/proc/$p"
	mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/$p"
done

# (3d) /sys read-only; cgroups as seen from our cgroup namespace (rw).
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
CGR=$R/sys/fs/cgroup
if [ "$SDNS_MODE" = unified ]; then
	mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$CGR"
else
	mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup "$CGR"
	while IFS=$'\t' read -r _ fstype so hmp; do
		name=${hmp#/sys/fs/cgroup/}
		[ "$name" != "$hmp" ] || name=$(basename "$hmp")
		mkdir -p "$CGR/$name"
		if [ "$fstype" = cgroup2 ]; then
			mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$CGR/$name"
			continue
		fi
		o=$(tr ',' '\n' <<<"$so" | { grep -vxE 'rw|ro|release_agent=.*' || true; } | paste -sd, -)
		case ",$o," in *,name=*) o="none,$o" ;; esac
		mount -t cgroup -o "nosuid,nodev,noexec,$o" cgroup "$CGR/$name"
		# co-mounted controllers (cpu,cpuacct) get one symlink each, as systemd does
		case $name in *,*) for c in ${name//,/ }; do ln -s "$name" "$CGR/$c"; done ;; esac
	done <"$WD/cgroups"
	mount -o remount,ro "$CGR"
fi

# (3e) /dev: tmpfs with the basic nodes, private devpts/shm/mqueue, and
# /dev/console bound to our stdin, the pty that start.sh's `script` copies to
# $WD/console.log (systemd logs to a tty only).
mount -t tmpfs -o mode=755,nosuid sdns-dev "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
ln -s pts/ptmx "$R/dev/ptmx"
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue"
for d in ${SDNS_DEVICES-}; do
	[ -e "/dev/$d" ] || { echo "sdns: /dev/$d missing on host, skipped"; continue; }
	mkdir -p "$(dirname "$R/dev/$d")"
	touch "$R/dev/$d"
	mount --bind "/dev/$d" "$R/dev/$d"
done
touch "$R/dev/console"
if tty=$(tty <&0); then mount --bind "$tty" "$R/dev/console"; else mount --bind "$WD/console.log" "$R/dev/console"; fi

# (3f) Host directories shared read-write, at the same path; parents first.
read -ra binds <<<"${SDNS_BIND-}"
for d in $(printf '%s\n' "$WD/share" "${binds[@]}" | sort -u); do
	mkdir -p "$R$d"
	mount --bind "$d" "$R$d"
done

# (4) Switch root; the old root (the host view) is detached.
mkdir -p "$R/run/sdns/oldroot"
cd "$R"
pivot_root . run/sdns/oldroot
cd /
umount -l /run/sdns/oldroot
rmdir /run/sdns/oldroot

# (5) The default target: sysinit.target (transient units pull it in anyway,
# via their default dependencies) and the system D-Bus, so that
# sd_bus_open_system() works. Units and generators that would act on the
# host (kernel modules, fstab mounts and fsck, remounting the root
# superblock, sysctls, binfmt, debugfs/tracefs, clock, pstore) are masked.
U=/run/systemd/system
mkdir -p "$U" /run/systemd/system-generators
M=/etc/systemd/system
mkdir -p "$M"
for u in systemd-remount-fs.service systemd-fsck-root.service systemd-fsck@.service \
	systemd-modules-load.service modprobe@.service systemd-sysctl.service \
	systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
	sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
	sys-fs-fuse-connections.mount dev-hugepages.mount systemd-udevd.service \
	systemd-udev-trigger.service systemd-udev-settle.service systemd-random-seed.service \
	systemd-timesyncd.service systemd-pstore.service systemd-repart.service \
	systemd-firstboot.service systemd-tmpfiles-clean.timer; do
	ln -sfn /dev/null "$M/$u"
done
for g in /lib/systemd/system-generators/* /usr/lib/systemd/system-generators/* \
	/usr/local/lib/systemd/system-generators/* /etc/systemd/system-generators/*; do
	[ -e "$g" ] && ln -sfn /dev/null "/run/systemd/system-generators/${g##*/}"
done
cat >"$U/sdns.target" <<'EOF2'
[Unit]
Description=sdns test environment
DefaultDependencies=no
Wants=sysinit.target dbus.socket dbus.service
After=sysinit.target dbus.socket dbus.service
EOF2
for u in dbus.socket dbus.service; do
	mkdir -p "$U/$u.d"
	printf '[Unit]\nDefaultDependencies=no\n' >"$U/$u.d/sdns.conf"
done
echo "sdns: exec systemd"
exec env -i container=other PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	/lib/systemd/systemd --system --unit=sdns.target --log-target=console \
	--log-level="${SDNS_LOGLEVEL:-info}" --log-color=no --show-status=no \
	--default-standard-output=inherit --default-standard-error=inherit
