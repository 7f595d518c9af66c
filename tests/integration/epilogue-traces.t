#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-traces.t — the rest of a user's traces: the SysV shared memory
# segment, semaphore set and message queue the user created are removed,
# another user's and root's stay; the user's files, FIFO and directory tree
# in the tmp dirs (below --root) are quarantined (same file system, under
# tmp_quarantine_max) or removed (another file system, or over the cap),
# with JSON records and a manifest; a symlink is removed, never followed;
# other users' files, and a file on a file system mounted below a tmp dir,
# stay; with another running job of the user nothing is touched (reported
# as spared); --dry-run changes nothing. The IPC objects live in an IPC
# namespace of the test's own, so no object of the machine's is in reach.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
for t in ipcmk ipcs unshare nsenter setpriv; do
    command -v $t >/dev/null || plan_skip "$t (util-linux) not installed"
done
plan 44

U=corraltesttra # the job's user
V=corraltesttrb # another user
UID_U=61791
UID_V=61792
make_test_user $U $UID_U || { echo "# cannot create test user $U (uid $UID_U)"; exit 1; }
make_test_user $V $UID_V || { echo "# cannot create test user $V (uid $UID_V)"; exit 1; }
cat >>"$TEST_TMP/policies/test.ini" <<EOF
clean_ipc = yes
clean_tmp = yes
tmp_dirs = /dev/shm, /tmp, /var/tmp, /run/lock
tmp_quarantine_max = 2M
EOF

# --- an IPC namespace of our own, held by a sleeper ---
unshare --ipc sleep 100000 </dev/null >/dev/null 2>&1 &
HOLD=$!
_cleanup_add "kill -KILL $HOLD"
for _ in $(seq 100); do
    [ "$(readlink /proc/$HOLD/ns/ipc 2>/dev/null)" != "$(readlink /proc/self/ns/ipc)" ] && break
    sleep 0.02
done
[ "$(readlink /proc/$HOLD/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ] || { echo "Bail out! no IPC namespace"; exit 1; }
inns() { nsenter --ipc=/proc/$HOLD/ns/ipc "$@"; }
mkipc() { # mkipc UID -M SIZE|-S N|-Q: prints the new object's id
    local uid=$1
    shift
    if [ "$uid" = 0 ]; then inns ipcmk "$@"; else
        inns setpriv --reuid="$uid" --regid="$uid" --clear-groups ipcmk "$@"
    fi | grep -o '[0-9]*$'
}
has_ipc() { # has_ipc -m|-s|-q ID
    inns ipcs "$1" | awk -v id="$2" '$2 == id {f = 1} END {exit !f}'
}
u_shm=$(mkipc $UID_U -M 65536)
u_sem=$(mkipc $UID_U -S 4)
u_msg=$(mkipc $UID_U -Q)
v_shm=$(mkipc $UID_V -M 4096)
r_shm=$(mkipc 0 -M 4096)
[ -n "$u_shm" ] && [ -n "$u_sem" ] && [ -n "$u_msg" ] && [ -n "$v_shm" ] && [ -n "$r_shm" ] ||
    diag "ipcmk failed: '$u_shm' '$u_sem' '$u_msg' '$v_shm' '$r_shm'"

# --- the tmp dirs, below --root ---
R=$EP_ROOT
for d in tmp var/tmp run/lock dev/shm; do mkdir -p "$R/$d" && chmod 1777 "$R/$d"; done
# /dev/shm on a file system of its own, as on a node: no rename into the
# quarantine from there
if mount -t tmpfs -o size=8m,mode=1777 corraltest "$R/dev/shm"; then
    _cleanup_add "umount -l '$R/dev/shm'"
    shm_fs=1
fi
mkfile() { # mkfile PATH OWNER [KIB]
    head -c $((${3:-1} * 1024)) /dev/urandom >"$1" && chown "$2:$2" "$1"
}
mkfile "$R/tmp/u-file" $U 1024 # 1 MiB: within the 2 MiB cap
mkfile "$R/tmp/u-big" $U 3072  # 3 MiB: over it, removed
mkfifo "$R/var/tmp/u-fifo" && chown $U "$R/var/tmp/u-fifo"
mkfile "$R/run/lock/u-lock" $U
mkfile "$R/dev/shm/u-posix-shm" $U 64
mkdir -p "$R/tmp/u-tree/a/b/c" && mkfile "$R/tmp/u-tree/a/b/c/deep" $U && mkfile "$R/tmp/u-tree/a/top" $U &&
    chown -R $U "$R/tmp/u-tree"
# the user's directory holding another user's file: that file and the
# directory stay, the user's file beside it goes
mkdir "$R/tmp/u-mixed" && mkfile "$R/tmp/u-mixed/mine" $U && mkfile "$R/tmp/u-mixed/theirs" $V &&
    chown $U "$R/tmp/u-mixed"
# a symlink of the user's to a root file
echo precious >"$TEST_TMP/root-target"
ln -s "$TEST_TMP/root-target" "$R/tmp/u-link" && chown -h $U "$R/tmp/u-link"
ln -s "$TEST_TMP/root-target" "$R/var/tmp/u-dirlink" && chown -h $U "$R/var/tmp/u-dirlink"
mkfile "$R/var/tmp/v-file" $V
mkfile "$R/tmp/root-file" root
# another file system below a tmp dir, its root owned by the user
mkdir "$R/tmp/u-mnt"
if mount -t tmpfs -o size=1m,mode=0700,uid=$UID_U corraltest "$R/tmp/u-mnt"; then
    _cleanup_add "umount -l '$R/tmp/u-mnt'"
    mkfile "$R/tmp/u-mnt/inside" $U
    mnt_fs=1
fi
# a bind mount of a directory of the same file system (same st_dev)
mkdir -p "$TEST_TMP/bindsrc" "$R/tmp/u-bind" && mkfile "$TEST_TMP/bindsrc/kept" $U &&
    chown $U "$TEST_TMP/bindsrc" "$R/tmp/u-bind"
if mount --bind "$TEST_TMP/bindsrc" "$R/tmp/u-bind"; then
    _cleanup_add "umount -l '$R/tmp/u-bind'"
    bind_fs=1
fi
snapshot() { (cd "$R" && find . -printf '%p %y %u %s\n' | sort; inns ipcs -m -s -q | awk '$2 ~ /^[0-9]+$/ {print $2, $3}' | sort) | md5sum; }
U_TREE="$R/tmp/u-file $R/tmp/u-big $R/var/tmp/u-fifo $R/run/lock/u-lock $R/tmp/u-tree $R/tmp/u-link"
all_there() { for f in $U_TREE; do [ -e "$f" ] || [ -L "$f" ] || return 1; done; }

# --- dry run: reports, changes nothing ---
before=$(snapshot)
out=$(inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range "$EP_UID_MIN-$EP_UID_MAX" --user $U --job 81 --dry-run --json)
rc=$?
is "$rc" 0 "dry run exits 0"
like "$out" "\"type\":\"ipc_shm\"[^}]*\"id\":$u_shm,[^}]*\"result\":\"dry-run\"" "dry run reports the user's segment"
like "$out" "\"path\":\"$R/tmp/u-file\"[^}]*\"action\":\"quarantine\",\"result\":\"dry-run\"" \
    "dry run would quarantine the user's file"
like "$out" '"ipc_objects":3,"tmp_files":[1-9]' "dry run counts 3 IPC objects and the tmp files"
is "$(snapshot)" "$before" "dry run changed no file and no IPC object"

# --- another running job of the user: nothing is touched ---
ep_spawn p_job sleeper --uid $UID_U --setsid
sid=$(awk '{print $6}' "/proc/$p_job/stat" 2>/dev/null)
out=$(inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range "$EP_UID_MIN-$EP_UID_MAX" --user $U --job 82 --keep-session "$sid" --json)
rc=$?
is "$rc" 0 "with a running job of the user: exit 0"
alive "$p_job"
ok $? "the running job's process is spared"
has_ipc -m "$u_shm" && has_ipc -s "$u_sem" && has_ipc -q "$u_msg"
ok $? "the user's IPC objects stay while another job of the user runs"
all_there
ok $? "the user's tmp files stay while another job of the user runs"
like "$out" "\"path\":\"$R/tmp/u-file\"[^}]*\"result\":\"spared\"" "what stays is reported as spared"
like "$out" '"traces_spared":[1-9]' "summary counts the spared traces"

# --- the user's last job ended: everything of the user's goes ---
out=$(inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range "$EP_UID_MIN-$EP_UID_MAX" --user $U --job 83 --json)
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue exits 0 (node clean)"
! alive "$p_job"
ok $? "the leftover process is killed first"
! has_ipc -m "$u_shm" && ! has_ipc -s "$u_sem" && ! has_ipc -q "$u_msg"
ok $? "the user's shared memory segment, semaphore set and message queue are removed"
has_ipc -m "$v_shm"
ok $? "another user's segment stays"
has_ipc -m "$r_shm"
ok $? "root's segment stays"
like "$out" "\"type\":\"ipc_sem\"[^}]*\"id\":$u_sem,[^}]*\"result\":\"removed\"" "the semaphore set's removal is recorded"
like "$out" '"ipc_objects":3' "summary counts 3 IPC objects"
QT=$(find "$EP_QDIR/$U" -maxdepth 1 -type d -name 'tmp-*' | head -1)
[ ! -e "$R/tmp/u-file" ] && [ -f "$QT/tmp/u-file" ]
ok $? "the user's file is quarantined (same file system, under the cap)"
is "$(stat -c '%U %s' "$QT/tmp/u-file" 2>/dev/null)" "$U 1048576" "... with its owner and size"
[ ! -e "$R/var/tmp/u-fifo" ] && [ -p "$QT/var/tmp/u-fifo" ]
ok $? "the user's FIFO is quarantined"
[ ! -e "$R/tmp/u-big" ] && [ ! -e "$QT/tmp/u-big" ]
ok $? "a file over tmp_quarantine_max is removed, not quarantined"
like "$out" "\"path\":\"$R/tmp/u-big\"[^}]*\"result\":\"removed\",\"detail\":\"file, 3145728 bytes, over tmp_quarantine_max\"" \
    "... and its record says why"
[ ! -e "$R/run/lock/u-lock" ]
ok $? "the user's file in /run/lock is gone"
if [ -n "$shm_fs" ]; then
    [ ! -e "$R/dev/shm/u-posix-shm" ] && [ -z "$(find "$EP_QDIR" -name u-posix-shm)" ]
    ok $? "the user's file in /dev/shm (another file system) is removed"
else
    skip "cannot mount a tmpfs for /dev/shm"
fi
[ ! -e "$R/tmp/u-tree" ] && [ -f "$QT/tmp/u-tree/a/b/c/deep" ]
ok $? "the user's directory tree is emptied into the quarantine and removed"
like "$out" "\"path\":\"$R/tmp/u-tree\"[^}]*\"result\":\"removed\",\"detail\":\"directory, [0-9]+ bytes, 5 entries below \\([0-9]+ bytes\\): 2 quarantined, 3 removed\"" \
    "the tree is one record, with what went below it"
! grep -q '"path":"[^"]*/u-tree/a' <<<"$out"
ok $? "... and no record per file (those are in the quarantine's manifest)"
like "$(cat "$QT.json" 2>/dev/null)" "\"source\": \"$R/tmp/u-tree/a/b/c/deep\"" "the manifest lists the file deep in the tree"
[ -f "$R/tmp/u-mixed/theirs" ] && [ ! -e "$R/tmp/u-mixed/mine" ]
ok $? "in the user's directory, another user's file stays and the user's goes"
[ ! -L "$R/tmp/u-link" ] && [ ! -L "$R/var/tmp/u-dirlink" ]
ok $? "the user's symlinks are removed themselves"
is "$(cat "$TEST_TMP/root-target")" precious "the root file they pointed at is untouched"
[ -f "$R/var/tmp/v-file" ] && [ -f "$R/tmp/root-file" ]
ok $? "another user's and root's files stay"
if [ -n "$mnt_fs" ]; then
    [ -f "$R/tmp/u-mnt/inside" ]
    ok $? "a file on another file system below a tmp dir stays"
    like "$out" "\"path\":\"$R/tmp/u-mnt\"[^}]*\"result\":\"kept\",\"detail\":\"[^\"]*another file system or mount\"" \
        "... and the mount point is reported as kept"
else
    skip "cannot mount a tmpfs below the tmp dir"
    skip "cannot mount a tmpfs below the tmp dir"
fi
if [ -n "$bind_fs" ]; then
    [ -f "$TEST_TMP/bindsrc/kept" ]
    ok $? "a bind mount of the same file system below a tmp dir is not entered"
else
    skip "cannot bind-mount below the tmp dir"
fi
like "$(cat "$QT.json" 2>/dev/null)" "\"source\": \"$R/tmp/u-file\"" "the quarantine's manifest lists the file"
is "$(stat -c '%a %U' "$QT")" "700 root" "the quarantine session dir is root 0700"
like "$out" '"type":"tmp_file"[^}]*"result":"quarantined"' "JSON records of kind tmp_file"

# --- twice is harmless ---
nq=$(find "$EP_QDIR" | wc -l)
out=$(inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range "$EP_UID_MIN-$EP_UID_MAX" --user $U --job 83 --json)
is "$?" 0 "second run exits 0"
is "$(find "$EP_QDIR" | wc -l)" "$nq" "second run quarantined nothing more"

# --- a sweep takes another user's traces when that user runs nothing ---
out=$(inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy test --root "$EP_ROOT" \
    --uid-range "$UID_V-$UID_V" --sweep --json)
rc=$?
is "$rc" 0 "sweep exits 0"
! has_ipc -m "$v_shm" && [ ! -e "$R/var/tmp/v-file" ] && has_ipc -m "$r_shm"
ok $? "sweep: the other user's segment and file went, root's segment stays" || fail_diag "$out"

# --- policy off: nothing looked at ---
u_shm2=$(mkipc $UID_U -M 4096)
mkfile "$R/tmp/u-again" $U
printf '[policy]\ninherit = test\n[epilogue]\nclean_ipc = no\nclean_tmp = no\n' >"$TEST_TMP/policies/off.ini"
chmod 0644 "$TEST_TMP/policies/off.ini"
inns "$EPILOGUE" --policy-dir "$TEST_TMP/policies" --policy off --root "$EP_ROOT" \
    --uid-range "$EP_UID_MIN-$EP_UID_MAX" --user $U --job 84 >/dev/null
has_ipc -m "$u_shm2" && [ -f "$R/tmp/u-again" ]
ok $? "clean_ipc = no and clean_tmp = no leave them"

done_testing
