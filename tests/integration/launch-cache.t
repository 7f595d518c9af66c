#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# launch-cache.t — the caches in the node's run_dir (lib/runcache.c): the
# generated seccomp programs (RUN_DIR/seccomp), used when the policy did not
# change, a new program when it did; libcgroup's discovery of the cgroup
# hierarchies (RUN_DIR/cgroup). Never a file that is damaged, not root's
# alone, or another key's. Whatever happens to a cache, the job gets the
# filter its policy says, in its own cgroup.
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
. "$CORRAL_SRC/tests/launch-lib.sh"
launch_setup 1
RUN=$TEST_TMP/run
CACHE=$RUN/seccomp
CONF=$TEST_TMP/corral.conf
printf '[node]\nrun_dir = %s\n' "$RUN" >"$CONF"
chmod 0644 "$CONF"
printf '[policy]\ninherit = default\n' >"$POLDIR/cachetest.ini"
# the job's cgroup as the host names it (private_root's cgroup namespace
# would show "/")
printf '[policy]\ninherit = default\n[filesystem]\nprivate_root = no\n' >"$POLDIR/hostroot.ini"
chmod 0644 "$POLDIR/cachetest.ini" "$POLDIR/hostroot.ini"
plan 45

files() { find "${1:-$CACHE}" -maxdepth 1 -type f | wc -l; }
# the one cache file (when there is one)
file() { find "${1:-$CACHE}" -maxdepth 1 -type f | head -1; }
inode() { stat -c %i "$1"; }
# the default policy's filter: unshare denied, getppid allowed
check_default() {
        run_job default --config "$CONF" -- sh -c "$HELPERS/try-syscall unshare; $HELPERS/try-syscall getppid"
        is "$OUT" "errno EPERM
ok" "$1: the job gets the default policy's filter"
}

check_default "no cache yet"
is "$(stat -c '%U %a' "$CACHE")" "root 700" "the cache directory is created root's, 0700"
is "$(files)" 1 "one program in the cache"
F=$(file)
is "$(stat -c '%U %a %h' "$F")" "root 600 1" "the file is root's, 0600, one link"
ino=$(inode "$F")

check_default "cached"
is "$(inode "$F")" "$ino" "the cached program is used (the file is not written again)"
is "$ERR" "" "no warning"

# the same resolved seccomp settings through another policy: the same key
run_job cachetest --config "$CONF" -- "$HELPERS/try-syscall" getppid
is "$OUT" ok "a policy that inherits the filter unchanged: getppid works"
is "$(files)" 1 "it shares the program (same settings, same key)"

# a changed policy gives a new filter
printf '[policy]\ninherit = default\n[seccomp]\ndeny = @mount, getppid\n' >"$POLDIR/cachetest.ini"
run_job cachetest --config "$CONF" -- "$HELPERS/try-syscall" getppid
is "$OUT" "errno EPERM" "the policy changed to deny getppid: the job's getppid fails"
is "$(files)" 2 "a second program in the cache"
run_job cachetest --config "$CONF" -- "$HELPERS/try-syscall" getppid
is "$OUT" "errno EPERM" "and again, from the cache"
check_default "after the other policy changed"
is "$(inode "$F")" "$ino" "the default policy's program is still the cached one"

# damaged: one byte of the program flipped
size=$(stat -c %s "$F")
printf '\377' | dd of="$F" bs=1 seek=$((size - 3)) conv=notrunc status=none
check_default "a damaged file"
like "$ERR" "cache file .*/seccomp/.* is damaged, ignoring it" "a warning names the damaged file"
isnt_ino=$(inode "$F")
ok "$([ "$isnt_ino" != "$ino" ] && echo 0 || echo 1)" "the file was replaced"
check_default "after the repair"
is "$ERR" "" "the replaced file is used without a warning"

# not root's alone: another owner, or readable by others
chown "$TUSER" "$F"
check_default "a file owned by the job's user"
like "$ERR" "is not root's alone, ignoring it" "a warning"
is "$(stat -c %U "$F")" root "the file was replaced by root's"
chmod 0644 "$F"
check_default "a file readable by others"
is "$(stat -c %a "$F")" 600 "the file was replaced by a 0600 one"

# another key's valid file under this key's name: never used
other=$(find "$CACHE" -maxdepth 1 -type f ! -name "$(basename "$F")" | head -1)
cp -p "$other" "$F"
check_default "another policy's program under this name"
run_job default --config "$CONF" -- "$HELPERS/try-syscall" getppid
is "$OUT" ok "the other policy's getppid rule does not apply"

# a symlink in the cache
mv "$F" "$TEST_TMP/moved.bpf"
ln -s "$TEST_TMP/moved.bpf" "$F"
check_default "a symlink in the cache"
ok "$([ -f "$F" ] && [ ! -L "$F" ] && echo 0 || echo 1)" "the symlink was replaced by a file"

# a cache directory that others may write: not used at all, not written
chmod 0777 "$CACHE"
rm -f "$CACHE"/*
check_default "a cache directory writable by others"
like "$ERR" "is not root's alone, ignoring it" "a warning"
is "$(files)" 0 "nothing is written into it"
chmod 0700 "$CACHE"

# the cgroup backend's set-up: libcgroup's answer, kept while the cgroup
# mounts stay the same
CG=$RUN/cgroup
in_cgroup() { # the memory line (v1), else the cgroup2 one
        run_job hostroot --config "$CONF" -- cat /proc/self/cgroup
        local line
        line=$(printf '%s\n' "$OUT" | grep ':memory:' || printf '%s\n' "$OUT" | grep '^0::')
        like "$line" ":/$CGPARENT/job-[^/]*\$" "$1: the job is in its memory cgroup"
}
is "$(files "$CG")" 1 "libcgroup's answer is in the cache"
G=$(file "$CG")
is "$(stat -c '%U %a %h' "$G")" "root 600 1" "root's, 0600, one link"
gino=$(inode "$G")
in_cgroup "from the cache"
is "$(inode "$G")" "$gino" "the cached answer is used"
is "$ERR" "" "no warning"
size=$(stat -c %s "$G")
printf 'X' | dd of="$G" bs=1 seek=$((size - 2)) conv=notrunc status=none
in_cgroup "a damaged file"
like "$ERR" "cache file .*/cgroup/.* is damaged, ignoring it" "a warning"
ok "$([ "$(inode "$G")" != "$gino" ] && echo 0 || echo 1)" "the file was replaced"
chown "$TUSER" "$G"
in_cgroup "a file owned by the job's user"
like "$ERR" "is not root's alone, ignoring it" "a warning"
is "$(stat -c %U "$G")" root "the file was replaced by root's"
is "$(job_cgroups_left)" 0 "no job cgroup left behind"

# no cache possible (run_dir is a file): the job runs all the same
rm -rf "$RUN"
: >"$RUN"
check_default "no cache possible"
in_cgroup "no cache possible"
rm -f "$RUN"

done_testing
