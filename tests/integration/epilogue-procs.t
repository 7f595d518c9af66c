#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# epilogue-procs.t — corral-epilogue kills what a job leaves behind and
# nothing else: double-forked, setsid'd, nohup'd and renamed orphans die;
# another running job of the same user, exempt users and uids below min_uid
# survive; --dry-run changes nothing; a second run is harmless.
# shellcheck source=../lib.sh
. "${CORRAL_SRC:-$(dirname "$0")/../..}/tests/lib.sh"
# shellcheck source=../epilogue-lib.sh
. "$CORRAL_SRC/tests/epilogue-lib.sh"

ep_setup
plan 29

U=corraltestepa      # the job's user
X=corraltestepx      # an exempt user
make_test_user $U 61741 || { echo "# cannot create test user $U (uid 61741)"; exit 1; }
make_test_user $X 61742 || { echo "# cannot create test user $X (uid 61742)"; exit 1; }
ep_cgroup_parent || diag "no cgroup hierarchy to create a test cgroup in"

# --- the job's leftovers ---
ep_spawn p_double sleeper --uid 61741 --double-fork
ep_spawn p_setsid sleeper --uid 61741 --setsid
ep_spawn p_renamed sleeper --uid 61741 --setsid --double-fork --comm sshd
# non-dumpable: the files in /proc/PID are root's (the directory shows the euid)
ep_spawn p_nodump sleeper --uid 61741 --setsid --double-fork --nodump
# nohup'd and backgrounded from a shell of the user, which then exits
ep_spawn_cmd p_nohup runuser -u $U -- sh -c 'nohup sleep 1000 >/dev/null 2>&1 & echo $!'
# --- what must survive ---
ep_spawn p_exempt sleeper --uid 61742 --setsid
# a process of uid 61739: inside --uid-range? no: below min_uid 61740 of the
# test policy; started as a plain uid (no user needed)
ep_spawn p_low sleeper --uid 61739 --setsid 2>/dev/null
[ -n "$p_low" ] && _cleanup_add "kill -KILL $p_low"
# another running job of the same user: in a running job's cgroup
if [ -n "$EP_CG_MNT" ]; then
    mkdir "$EP_CG_MNT$EP_CG_REL/job-2"
    ep_spawn p_job2 sleeper --uid 61741 --setsid
    echo "$p_job2" >"$EP_CG_MNT$EP_CG_REL/job-2/cgroup.procs"
fi
# another running job identified by its session (Torque: passed in)
ep_spawn p_sess sleeper --uid 61741 --setsid

for p in "$p_double" "$p_setsid" "$p_renamed" "$p_nodump" "$p_nohup" "$p_exempt" "$p_sess"; do
    alive "$p" || diag "helper process $p did not start"
done
printf '[epilogue]\nmin_uid = %s\nmax_uid = 61799\nexempt_users = %s\nquarantine_dir = /var/lib/corral/quarantine\n' \
    "$EP_UID_MIN" "$X" >"$TEST_TMP/policies/exempt.ini"
chmod 0644 "$TEST_TMP/policies/exempt.ini"
# the spared session of the "other job" is p_sess's own session (setsid)
sid_sess=$(awk '{print $6}' "/proc/$p_sess/stat")
# p_low is below min_uid: give it to the sweep below
before=$(count_live $U)

# --- dry run: reports, changes nothing ---
# (two job cgroup parents, as a node with both of corral-launch's backends
# has: the running job is below the first)
out=$(ep_run --policy exempt --user $U --job 41 --dry-run --keep-session "$sid_sess" \
    ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL" --job-cgroup-parent /corraltest-none.slice} --json)
rc=$?
is "$rc" 0 "dry run exits 0"
like "$out" '"would_kill":5' "dry run would kill the 5 leftovers"
is "$(count_live $U)" "$before" "dry run killed nothing"
alive "$p_double" && alive "$p_setsid"
ok $? "dry run: orphans still alive"

# --- the real run ---
out=$(ep_run --policy exempt --user $U --job 42 --keep-session "$sid_sess" \
    ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL"} --json 2>"$TEST_TMP/err")
rc=$?
diag "$(tail -1 <<<"$out")"
is "$rc" 0 "epilogue exits 0: node clean"
! alive "$p_double"
ok $? "double-forked orphan killed"
! alive "$p_setsid"
ok $? "setsid'd orphan killed"
! alive "$p_renamed"
ok $? "orphan renamed 'sshd' killed (a user process grants no pardon)"
is "$(stat -c %u "/proc/$p_nodump" 2>/dev/null || echo gone)" gone "non-dumpable orphan (its /proc entry root's) killed"
! alive "$p_nohup"
ok $? "nohup'd orphan killed"
alive "$p_exempt"
ok $? "exempt user's process alive"
alive "$p_sess"
ok $? "process in another running job's session (--keep-session) alive"
if [ -n "$EP_CG_MNT" ]; then
    alive "$p_job2"
    ok $? "process in another running job's cgroup alive"
else
    skip_or_fail cgroup "no test cgroup could be created"
fi
if [ -n "$p_low" ]; then
    alive "$p_low"
    ok $? "process of a uid below min_uid alive"
else
    skip "no uid-61739 process"
fi
like "$out" '"type":"process","pid":'"$p_double"'[^}]*"result":"killed"' "JSON record for the double-forked orphan"
like "$out" '"cmdline":"[^"]*epi-proc' "JSON records carry the cmdline"
like "$out" '"type":"summary"[^}]*"killed":5' "summary: 5 killed"
like "$out" '"clean":true' "summary: clean"

# --- a second run is harmless ---
out=$(ep_run --policy exempt --user $U --job 42 --keep-session "$sid_sess" \
    ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL"})
rc=$?
is "$rc" 0 "second run exits 0"
like "$out" 'killed 0 processes' "second run kills nothing"
alive "$p_sess" && alive "$p_exempt"
ok $? "second run: survivors still alive"

# --- the ended job's cgroup: everything in it dies, whatever its session ---
if [ -n "$EP_CG_MNT" ]; then
    mkdir "$EP_CG_MNT$EP_CG_REL/job-43"
    ep_spawn p_cg sleeper --uid 61741 --setsid
    echo "$p_cg" >"$EP_CG_MNT$EP_CG_REL/job-43/cgroup.procs"
    out=$(ep_run --policy exempt --user $U --job 43 --cgroup "$EP_CG_REL/job-43" --keep-session "$sid_sess,$(awk '{print $6}' "/proc/$p_cg/stat")" \
        --job-cgroup-parent "$EP_CG_REL")
    ! alive "$p_cg"
    ok $? "process in the ended job's cgroup killed (even in a kept session)"
    alive "$p_job2"
    ok $? "the other job's cgroup still spared"
else
    skip_or_fail cgroup "no test cgroup"
    skip_or_fail cgroup "no test cgroup"
fi

# --- sweep: every eligible user without a running job ---
out=$(ep_run --sweep --uid-range 61739-61742 --policy exempt --keep-session "$sid_sess" \
    ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL"} --json)
rc=$?
is "$rc" 0 "sweep exits 0"
alive "$p_exempt" && alive "$p_sess"
ok $? "sweep spares exempt users and running jobs"
if [ -n "$p_low" ]; then
    alive "$p_low"
    ok $? "sweep spares uids below min_uid"
else
    skip "no uid-61739 process"
fi

# --- spare_ssh: a session below a root-owned sshd ---
mkdir -p "$TEST_TMP/sshd"
"$EPI_PROC" reaper --name sshd "$TEST_TMP/sshd/pid" -- "$EPI_PROC" sleeper --uid 61741 \
    </dev/null >"$TEST_TMP/sshd/out" 2>&1 &
sshd_bg=$!
_cleanup_add "kill -KILL $sshd_bg; wait $sshd_bg"
_cleanup_add "ep_kill_test_procs"
for _ in $(seq 100); do grep -q . "$TEST_TMP/sshd/out" 2>/dev/null && break; sleep 0.02; done
p_ssh=$(head -1 "$TEST_TMP/sshd/out")
printf '[epilogue]\nmin_uid = %s\nmax_uid = %s\nspare_ssh = yes\n' "$EP_UID_MIN" "$EP_UID_MAX" >"$TEST_TMP/policies/ssh.ini"
chmod 0644 "$TEST_TMP/policies/ssh.ini"
out=$(ep_run --policy ssh --user $U --job 44 --keep-session "$sid_sess" \
    ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL"})
alive "$p_ssh"
ok $? "spare_ssh = yes: a process below a root-owned sshd survives"
out=$(ep_run --user $U --job 45 --keep-session "$sid_sess" ${EP_CG_MNT:+--job-cgroup-parent "$EP_CG_REL"})
like "$out" "killed 1 process" "spare_ssh = no (the test policy): one process killed"
! alive "$p_ssh"
ok $? "spare_ssh = no: the ssh session's process is killed"

done_testing
