#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-mountview.t — the job's view of the node's mounts and cgroups
# (corral.policy(5) [filesystem] private_root; supervisor/launch/mounts.c
# setup_root(), setup_cgroup_view()). Without a root of its own a job's
# /proc/self/mountinfo lists the host's whole mount table (other users'
# /run/user/UID, container runtimes' mounts, what is mounted under /tmp)
# and /sys/fs/cgroup shows every job's cgroup. The test mounts a tmpfs
# under /run (where /run/user/UID is) and one under the host's /tmp, and
# makes a sibling of the job's cgroup under the test's cgroup parent: a job
# under the default policy finds none of them, still has its /tmp, /dev,
# /proc and its own cgroup; with private_root = no they are back (the
# control, which shows what the test would find without the change).
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
plan 16

printf '[policy]\ninherit = default\n[filesystem]\nprivate_root = no\n' >"$POLDIR/hostroot.ini"
printf '[policy]\ninherit = default\n[filesystem]\nprivate_tmp = no\nprivate_dev = no\n' >"$POLDIR/hosttmp.ini"
chmod 0644 "$POLDIR"/*.ini

mark=corraltest-mv-$$
runmnt=/run/$mark
tmpmnt=/tmp/$mark
mkdir -m 0755 "$runmnt" "$tmpmnt" || bail_out "cannot make $runmnt, $tmpmnt"
_cleanup_add "rmdir '$runmnt' '$tmpmnt'"
mount -t tmpfs -o size=64k,mode=0755 "$mark" "$runmnt" || bail_out "cannot mount a tmpfs on $runmnt"
_cleanup_add "umount '$runmnt'"
mount -t tmpfs -o size=64k,mode=0755 "$mark" "$tmpmnt" || bail_out "cannot mount a tmpfs on $tmpmnt"
_cleanup_add "umount '$tmpmnt'"
touch "$runmnt/inside" "$tmpmnt/inside"

# 1. the mount table
run_job default -- /bin/cat /proc/self/mountinfo
is "$RC" 0 "a job under the default policy runs"
mountinfo=$OUT
! grep -q "$mark" <<<"$mountinfo"
ok $? "its mount table lists neither the test's mount under /run nor the one under the host's /tmp"
# /run's own submounts are gone: what is left there is the job's (private
# /run/lock, hidden paths: tmpfs owned by the job's user)
is "$(awk -v u="uid=$TUID," '$5 ~ "^/run/" && index($0 ",", u) == 0 {print $5}' <<<"$mountinfo" | wc -l)" 0 \
    "no mount below /run but the job's own"
! grep -q " /\.oldroot" <<<"$mountinfo"
ok $? "the host's root is not left below the job's"
diag "the job's mount table: $(wc -l <<<"$mountinfo") lines; the host's: $(wc -l </proc/self/mountinfo)"
run_job default -- /bin/sh -c "ls -A $runmnt $tmpmnt 2>&1; echo end"
! grep -q inside <<<"$OUT"
ok $? "the files in the test's mounts are not reachable"
run_job default -- /bin/sh -c '/bin/true && touch /tmp/x && test -c /dev/null && test -d /proc/1 && cat /proc/1/comm && ls /'
like "$OUT" "^corral-init" "the job runs /bin/true, writes its /tmp, has /dev/null and its own /proc"
like "$OUT" "usr" "... and sees the host's directories in its /"
run_job default -- /bin/sh -c 'touch /made 2>&1; mkdir /made.d 2>&1; echo end'
like "$OUT" "Read-only file system.*end" "the job cannot add files to its root"
run_job hosttmp -- /bin/sh -c "cat $tmpmnt/inside && echo found"
is "$OUT" "found" "private_tmp = no: the host's /tmp is there, with its submounts"

# 2. other jobs' cgroups
run_job default -- /bin/true
n=0
for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
        [ -d "$d" ] || continue
        mkdir "$d/sib-$$" && n=$((n + 1))
        _cleanup_add "rmdir '$d/sib-$$'"
done
[ "$n" -gt 0 ]
ok $? "the test made a sibling cgroup in $n hierarchies"
run_job default -- /bin/sh -c 'find /sys/fs/cgroup -name "sib-*" 2>/dev/null; cat /proc/self/cgroup'
! grep -q "sib-$$" <<<"$OUT"
ok $? "the job does not find the sibling cgroup"
! grep -q "$CGPARENT" <<<"$OUT"
ok $? "its /proc/self/cgroup does not name the host's path"
run_job default -- /bin/sh -c 'ls /sys/fs/cgroup/memory/ /sys/fs/cgroup/ 2>/dev/null'
like "$OUT" "memory\\.(limit_in_bytes|max)" "it reads its own memory cgroup"

# 3. private_root = no: the host's table and cgroups (the control)
run_job hostroot -- /bin/sh -c "cat /proc/self/mountinfo; find /sys/fs/cgroup -name 'sib-*' 2>/dev/null"
like "$OUT" "$runmnt" "private_root = no: the job's table lists the test's mount under /run"
like "$OUT" "sib-$$" "... and the job finds the sibling cgroup"

is "$(job_cgroups_left)" 0 "no job cgroup is left"
